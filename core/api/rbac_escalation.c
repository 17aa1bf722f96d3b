/* core/api/rbac_escalation — the pure half of escalation prevention:
 * breaking rules into single permissions, deciding whether a held rule
 * covers one, and printing what is missing the way kube-apiserver does.
 * Written from kube's pkg/registry/rbac/validation (Covers, BreakdownRule,
 * ruleCovers, CompactRules) and rbacv1helpers.CompactString. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/rbac.h"

static int has(const apisrv_rbac_list_t *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0) return 1;
    return 0;
}

static void perm_clear(apisrv_rbac_perm_t *x)
{
    free(x->verb); /* the block of all five strings */
}

void apisrv_rbac_perms_free(apisrv_rbac_perms_t *p)
{
    for (size_t i = 0; i < p->n; i++) perm_clear(&p->v[i]);
    free(p->v);
    memset(p, 0, sizeof *p);
}

/* copy s (may be NULL) to *o; returns where it went */
static char *put_str(char **o, const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = *o;
    memcpy(d, s, n);
    *o += n;
    return d;
}

static int push(apisrv_rbac_perms_t *p, const char *verb, const char *group, const char *resource,
                const char *name, const char *url)
{
    /* a rule's breakdown is a product of its lists: a small body can ask
     * for millions of permissions; refuse rather than allocate them */
    if (p->n >= APISRV_RBAC_MAX_PERMS) return -E2BIG;
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 8;
        apisrv_rbac_perm_t *nv = realloc(p->v, nc * sizeof *nv);
        if (!nv) return -ENOMEM;
        p->v = nv;
        p->cap = nc;
    }
    /* one allocation per permission (the profile of a binding check was a
     * third malloc/free with one string each) */
    size_t len = strlen(verb) + 1 + (group ? strlen(group) + 1 : 0) + (resource ? strlen(resource) + 1 : 0)
                 + (name ? strlen(name) + 1 : 0) + (url ? strlen(url) + 1 : 0);
    char *block = malloc(len), *o = block;
    if (!block) return -ENOMEM;
    apisrv_rbac_perm_t *x = &p->v[p->n];
    memset(x, 0, sizeof *x);
    x->verb = put_str(&o, verb);
    x->group = put_str(&o, group);
    x->resource = put_str(&o, resource);
    x->name = put_str(&o, name);
    x->url = put_str(&o, url);
    x->verb_bit = apisrv_rbac_verb_bit(verb);
    p->n++;
    return 0;
}

int apisrv_rbac_perms_add(apisrv_rbac_perms_t *p, const apisrv_rbac_rule_t *r)
{
    int rc;
    for (size_t g = 0; g < r->groups.n; g++)
        for (size_t s = 0; s < r->resources.n; s++)
            for (size_t v = 0; v < r->verbs.n; v++) {
                if (!r->names.n) {
                    if ((rc = push(p, r->verbs.v[v], r->groups.v[g], r->resources.v[s], NULL, NULL)) < 0) return rc;
                    continue;
                }
                for (size_t k = 0; k < r->names.n; k++)
                    if ((rc = push(p, r->verbs.v[v], r->groups.v[g], r->resources.v[s], r->names.v[k], NULL)) < 0)
                        return rc;
            }
    for (size_t u = 0; u < r->urls.n; u++)
        for (size_t v = 0; v < r->verbs.n; v++)
            if ((rc = push(p, r->verbs.v[v], NULL, NULL, NULL, r->urls.v[u])) < 0) return rc;
    return 0;
}

/* kube's resourceCoversAll for one resource: "*", the exact name, or for a
 * subresource "*" + "/<sub>". */
static int resource_covers(const apisrv_rbac_list_t *owner, const char *res)
{
    if (has(owner, "*") || has(owner, res)) return 1;
    const char *slash = strchr(res, '/');
    if (!slash) return 0;
    for (size_t i = 0; i < owner->n; i++)
        if (owner->v[i][0] == '*' && strcmp(owner->v[i] + 1, slash) == 0) return 1;
    return 0;
}

/* "/healthz" covers itself; "/api/" + "*" every path under
 * /api/; "*" all. */
static int url_covers(const apisrv_rbac_list_t *owner, const char *url)
{
    for (size_t i = 0; i < owner->n; i++) {
        const char *o = owner->v[i];
        size_t ol = strlen(o);
        if (strcmp(o, url) == 0) return 1;
        if (ol && o[ol - 1] == '*' && strncmp(o, url, ol - 1) == 0) return 1;
    }
    return 0;
}

int apisrv_rbac_rule_covers(const apisrv_rbac_rule_t *o, const apisrv_rbac_perm_t *x)
{
    /* the precomputed verb mask answers most rules without a compare
     * (strcmp was half the profile of a binding check) */
    if (!(o->verb_mask & (x->verb_bit | APISRV_RBAC_VERB_ALL))
        && (x->verb_bit || !o->other_verbs || !has(&o->verbs, x->verb)))
        return 0;
    if (x->url) return url_covers(&o->urls, x->url);
    if (!o->any_group && !has(&o->groups, x->group)) return 0;
    /* a rule with resourceNames covers only those names: never the whole
     * resource */
    if (o->names.n && !(x->name && has(&o->names, x->name))) return 0;
    return resource_covers(&o->resources, x->resource);
}

void apisrv_rbac_perms_cover(apisrv_rbac_perms_t *p, const apisrv_rbac_rule_t *owner)
{
    for (size_t i = 0; i < p->n; i++)
        if (!p->v[i].covered && apisrv_rbac_rule_covers(owner, &p->v[i])) p->v[i].covered = 1;
}

/* ---- printing ------------------------------------------------------------ */

typedef struct sbuf {
    char *s;
    size_t n, cap;
    int oom;
} sbuf_t;

static void put(sbuf_t *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t nc = (b->n + n + 1) * 2;
        char *ns = realloc(b->s, nc);
        if (!ns) { b->oom = 1; return; }
        b->s = ns;
        b->cap = nc;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static void puts_(sbuf_t *b, const char *s) { put(b, s, strlen(s)); }

/* Go's %q of one string (strconv.Quote, for the characters that occur in
 * names and paths) */
static void quote(sbuf_t *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') { char e[2] = { '\\', (char)ch }; put(b, e, 2); }
        else if (ch < 0x20 || ch == 0x7f) { char e[4] = { '\\', 'x', hex[ch >> 4], hex[ch & 15] }; put(b, e, 4); }
        else put(b, (const char *)&ch, 1);
    }
    put(b, "\"", 1);
}

/* Go's %q of a []string: ["a" "b"] */
static void field(sbuf_t *b, int *first, const char *label, const char *const *v, size_t n)
{
    if (!n) return;
    if (!*first) puts_(b, ", ");
    *first = 0;
    puts_(b, label);
    puts_(b, ":[");
    for (size_t i = 0; i < n; i++) {
        if (i) put(b, " ", 1);
        quote(b, v[i]);
    }
    put(b, "]", 1);
}

static int eq(const char *a, const char *b) { return a == b || (a && b && strcmp(a, b) == 0); }

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int apisrv_rbac_perms_missing(const apisrv_rbac_perms_t *p, char **out)
{
    *out = NULL;
    size_t nmiss = 0;
    for (size_t i = 0; i < p->n; i++) nmiss += !p->v[i].covered;
    if (!nmiss) return 0;
    /* CompactRules: resource permissions of the same group, resource and
     * name become one rule listing their verbs in order; a
     * nonResourceURL permission stays a rule of its own */
    size_t *head = calloc(p->n, sizeof *head);   /* index of the first perm of its rule */
    char **lines = calloc(nmiss, sizeof *lines);
    const char **verbs = calloc(nmiss, sizeof *verbs);
    size_t nlines = 0;
    int rc = 0;
    if (!head || !lines || !verbs) { rc = -ENOMEM; goto out; }
    for (size_t i = 0; i < p->n; i++) {
        const apisrv_rbac_perm_t *x = &p->v[i];
        head[i] = i;
        if (x->covered || x->url) continue;
        for (size_t j = 0; j < i; j++) {
            const apisrv_rbac_perm_t *y = &p->v[j];
            if (!y->covered && !y->url && head[j] == j && eq(x->group, y->group) && eq(x->resource, y->resource)
                && eq(x->name, y->name)) { head[i] = j; break; }
        }
    }
    for (size_t i = 0; i < p->n; i++) {
        const apisrv_rbac_perm_t *x = &p->v[i];
        if (x->covered || head[i] != i) continue;
        size_t nv = 0;
        for (size_t j = i; j < p->n; j++)
            if (!p->v[j].covered && head[j] == i) verbs[nv++] = p->v[j].verb;
        sbuf_t b = { 0 };
        int first = 1;
        puts_(&b, "{");
        field(&b, &first, "APIGroups", (const char *const *)&x->group, x->group ? 1 : 0);
        field(&b, &first, "Resources", (const char *const *)&x->resource, x->resource ? 1 : 0);
        field(&b, &first, "NonResourceURLs", (const char *const *)&x->url, x->url ? 1 : 0);
        field(&b, &first, "ResourceNames", (const char *const *)&x->name, x->name ? 1 : 0);
        field(&b, &first, "Verbs", verbs, nv);
        puts_(&b, "}");
        if (b.oom) { free(b.s); rc = -ENOMEM; goto out; }
        lines[nlines++] = b.s;
    }
    /* kube prints a sorted set: sorted, duplicates once */
    qsort(lines, nlines, sizeof *lines, cmp_str);
    sbuf_t all = { 0 };
    for (size_t i = 0; i < nlines; i++) {
        if (i && strcmp(lines[i], lines[i - 1]) == 0) continue;
        if (all.n) put(&all, "\n", 1);
        puts_(&all, lines[i]);
    }
    if (all.oom) { free(all.s); rc = -ENOMEM; goto out; }
    *out = all.s;
out:
    for (size_t i = 0; lines && i < nlines; i++) free(lines[i]);
    free(lines);
    free(verbs);
    free(head);
    return rc;
}
