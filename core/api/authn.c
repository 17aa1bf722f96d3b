/* core/api/authn — bearer tokens from a static token file (kube-apiserver's
 * --token-auth-file) and the anonymous user; see auth.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/auth.h"
#include "api/authz.h"
#include "api/satoken.h"
#include "log/log.h"

static const char *const component_groups[] = { "system:masters", "system:authenticated" };
const skiff_api_user_t skiff_api_user_component = { "system:skiff:component", "", component_groups, 2 };
static const char *const anonymous_groups[] = { "system:unauthenticated" };
const skiff_api_user_t skiff_api_user_anonymous = { "system:anonymous", "", anonymous_groups, 1 };

#define NBUCKETS 1024

typedef struct token {
    struct token *next;
    char *token;
    skiff_api_user_t user; /* strings below are owned */
    char *name, *uid;
    char **groups;
} token_t;

struct apisrv_tokens {
    token_t *b[NBUCKETS];
    size_t n;
};

static unsigned hash(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h % NBUCKETS;
}

static void token_free(token_t *t)
{
    if (!t) return;
    free(t->token);
    free(t->name);
    free(t->uid);
    for (size_t i = 0; t->groups && i < t->user.ngroups; i++) free(t->groups[i]);
    free(t->groups);
    free(t);
}

void apisrv_tokens_free(apisrv_tokens_t *ts)
{
    if (!ts) return;
    for (size_t i = 0; i < NBUCKETS; i++)
        while (ts->b[i]) { token_t *t = ts->b[i]; ts->b[i] = t->next; token_free(t); }
    free(ts);
}

/* groups: ngroups strings (not NUL-terminated lists: token files give a
 * comma-separated column); system:authenticated is appended once. */
static int add(skiff_api_server_t *s, const char *tok, const char *user, const char *uid,
               const char *const *groups, size_t ngroups, int replace, skiff_error_t *err)
{
    if (!s->tokens && !(s->tokens = calloc(1, sizeof *s->tokens))) return skiff_error_set(err, -ENOMEM, "out of memory");
    unsigned h = hash(tok);
    token_t **pp = &s->tokens->b[h];
    while (*pp && strcmp((*pp)->token, tok) != 0) pp = &(*pp)->next;
    if (*pp && !replace) return skiff_error_set(err, SKIFF_E_EXISTS, "token already known (user \"%s\")", (*pp)->name);
    token_t *t = calloc(1, sizeof *t);
    if (!t) return skiff_error_set(err, -ENOMEM, "out of memory");
    t->token = strdup(tok);
    t->name = strdup(user);
    t->uid = strdup(uid ? uid : "");
    t->groups = calloc(ngroups + 1, sizeof *t->groups);
    int ok = t->token && t->name && t->uid && t->groups;
    int has_auth = 0;
    for (size_t i = 0; ok && i < ngroups; i++) {
        if (!(t->groups[t->user.ngroups] = strdup(groups[i]))) ok = 0;
        else t->user.ngroups++;
        if (strcmp(groups[i], "system:authenticated") == 0) has_auth = 1;
    }
    if (ok && !has_auth) {
        if (!(t->groups[t->user.ngroups] = strdup("system:authenticated"))) ok = 0;
        else t->user.ngroups++;
    }
    if (!ok) { token_free(t); return skiff_error_set(err, -ENOMEM, "out of memory"); }
    t->user.name = t->name;
    t->user.uid = t->uid;
    t->user.groups = (const char *const *)t->groups;
    if (*pp) {
        token_t *old = *pp;
        t->next = old->next;
        *pp = t;
        token_free(old);
    } else {
        t->next = s->tokens->b[h];
        s->tokens->b[h] = t;
        s->tokens->n++;
    }
    return 0;
}

int skiff_api_server_add_token(skiff_api_server_t *s, const char *token, const char *user,
                               const char *uid, const char *const *groups, skiff_error_t *err)
{
    if (!token || !*token) return skiff_error_set(err, SKIFF_E_INVALID, "empty token");
    if (!user || !*user) return skiff_error_set(err, SKIFF_E_INVALID, "empty user name");
    size_t n = 0;
    while (groups && groups[n]) n++;
    return add(s, token, user, uid, groups, n, 0, err);
}

size_t apisrv_tokens_count(const apisrv_tokens_t *ts) { return ts ? ts->n : 0; }

int skiff_api_server_authn_enabled(const skiff_api_server_t *s)
{
    return (s->tokens && s->tokens->n) || !s->anonymous;
}

/* One CSV record of `line` (RFC 4180 quoting, as Go's encoding/csv) into
 * fields[] (pointers into buf). Returns the field count or -1 on a bad quote. */
static int csv_split(const char *line, char *buf, char **fields, int max)
{
    int n = 0;
    const char *p = line;
    char *o = buf;
    for (;;) {
        if (n == max) return n;
        fields[n++] = o;
        if (*p == '"') {
            p++;
            for (;;) {
                if (!*p) return -1;
                if (*p == '"' && p[1] == '"') { *o++ = '"'; p += 2; continue; }
                if (*p == '"') { p++; break; }
                *o++ = *p++;
            }
            if (*p && *p != ',') return -1;
        } else {
            while (*p && *p != ',') {
                if (*p == '"') return -1;
                *o++ = *p++;
            }
        }
        *o++ = '\0';
        if (!*p) return n;
        p++; /* the comma */
    }
}

int skiff_api_server_load_tokens(skiff_api_server_t *s, const char *path, const char *text,
                                 skiff_error_t *err)
{
    size_t len = strlen(text);
    char *line = malloc(len + 1), *buf = malloc(len + 2);
    if (!line || !buf) { free(line); free(buf); return skiff_error_set(err, -ENOMEM, "out of memory"); }
    int rc = 0, lineno = 0, records = 0;
    for (const char *p = text; *p && rc == 0;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        lineno++;
        memcpy(line, p, n);
        line[n] = '\0';
        if (n && line[n - 1] == '\r') line[--n] = '\0';
        p = nl ? nl + 1 : p + n;
        int blank = 1;
        for (size_t i = 0; i < n; i++) if (!isspace((unsigned char)line[i])) blank = 0;
        if (blank) continue; /* encoding/csv skips empty lines */
        char *f[8];
        int nf = csv_split(line, buf, f, 8);
        if (nf < 0) { rc = skiff_error_set(err, SKIFF_E_INVALID, "%s:%d: bad quoting (a quoted field must be \"...\" with \"\" for a quote)", path, lineno); break; }
        if (nf < 3) { rc = skiff_error_set(err, SKIFF_E_INVALID, "%s:%d: token file must have at least 3 columns (token, user name, user uid), found %d", path, lineno, nf); break; }
        records++;
        if (!*f[0]) {
            skiff_log(SKIFF_LOG_WARN, "apiserver", "%s:%d: empty token; record skipped", path, lineno);
            continue;
        }
        if (!*f[1]) { rc = skiff_error_set(err, SKIFF_E_INVALID, "%s:%d: empty user name", path, lineno); break; }
        const char *groups[64];
        size_t ng = 0;
        if (nf >= 4) {
            for (char *save = NULL, *g = strtok_r(f[3], ",", &save); g && ng < 64; g = strtok_r(NULL, ",", &save)) {
                while (isspace((unsigned char)*g)) g++;
                char *e = g + strlen(g);
                while (e > g && isspace((unsigned char)e[-1])) *--e = '\0';
                if (*g) groups[ng++] = g;
            }
        }
        int had = 0;
        if (s->tokens) {
            for (token_t *t = s->tokens->b[hash(f[0])]; t; t = t->next) if (strcmp(t->token, f[0]) == 0) had = 1;
        }
        if (had) skiff_log(SKIFF_LOG_WARN, "apiserver", "%s:%d: duplicate token; the later record wins", path, lineno);
        rc = add(s, f[0], f[1], f[2], groups, ng, 1, err);
    }
    free(line);
    free(buf);
    (void)records;
    return rc;
}

int apisrv_authenticate(skiff_api_server_t *s, const char *header, const skiff_api_user_t **out)
{
    *out = NULL;
    /* as kube's bearertoken authenticator: no header or another scheme is
     * not an answer (anonymous decides); "Bearer" with an empty or unknown
     * token is a failure, anonymous or not */
    while (header && isspace((unsigned char)*header)) header++;
    /* no token authenticator configured: a bearer header is not looked at,
     * as kube-apiserver without --token-auth-file */
    if (header && *header && s->tokens && s->tokens->n) {
        const char *sp = strchr(header, ' ');
        if (sp && sp - header == 6 && strncasecmp(header, "bearer", 6) == 0) {
            const char *tok = sp + 1;
            size_t tl = strcspn(tok, " ");
            while (tl && isspace((unsigned char)tok[tl - 1])) tl--;
            if (!tl) return -1;
            char buf[1024];
            if (tl >= sizeof buf) return -1;
            memcpy(buf, tok, tl);
            buf[tl] = '\0';
            for (token_t *t = s->tokens->b[hash(buf)]; t; t = t->next)
                if (strcmp(t->token, buf) == 0) { *out = &t->user; return 0; }
            return -1;
        }
    }
    if (!s->anonymous) return -1;
    *out = &skiff_api_user_anonymous;
    return 0;
}

int apisrv_authenticate_call(apisrv_call_t *c)
{
    const char *h = c->req->authorization;
    int rc = apisrv_authenticate(c->s, h, &c->user);
    if (rc == 0 && c->user != &skiff_api_user_anonymous) return 0; /* the token file's */
    if (!apisrv_sa_active(c->s)) return rc;
    /* a bearer token the token file does not know: a service account's? */
    while (h && isspace((unsigned char)*h)) h++;
    if (!h || strncasecmp(h, "bearer ", 7) != 0) return rc;
    const char *tok = h + 7;
    size_t tl = strcspn(tok, " ");
    while (tl && isspace((unsigned char)tok[tl - 1])) tl--;
    if (!tl) return -1;
    return apisrv_sa_authenticate(c, tok, tl);
}
