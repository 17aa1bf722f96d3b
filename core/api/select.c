/* core/api/select — labelSelector / fieldSelector filtering of objects.
 *
 * Field selectors are the API server's own business (which fields a kind
 * exposes: metadata.name, metadata.namespace, spec.nodeName, status.phase,
 * involvedObject.*, ...). Label selector terms: k=v, k==v, k!=v, k in (a,b),
 * k notin (a,b), k, !k — AND-ed. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"

enum { OP_EQ, OP_NE, OP_IN, OP_NOTIN, OP_EXISTS, OP_NOTEXISTS };

#define MAX_TERMS 32
#define MAX_VALS 16

typedef struct term {
    int op;
    char key[256];
    int nvals;
    char vals[MAX_VALS][128];
} term_t;

struct apisrv_filter {
    int nlabel, nfield;
    term_t label[MAX_TERMS];
    term_t field[MAX_TERMS];
};

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
    return s;
}

static int copy(char *dst, size_t len, const char *src)
{
    if (strlen(src) >= len) return -1;
    snprintf(dst, len, "%s", src);
    return 0;
}

/* split `s` on commas outside parentheses */
static int split_terms(char *s, char **out, int max)
{
    int n = 0, depth = 0;
    char *start = s;
    for (char *p = s;; p++) {
        if (*p == '(') depth++;
        else if (*p == ')') depth--;
        if ((*p == ',' && depth == 0) || *p == '\0') {
            int end = *p == '\0';
            *p = '\0';
            if (n == max) return -1;
            out[n++] = start;
            if (end) break;
            start = p + 1;
        }
    }
    return depth == 0 ? n : -1;
}

static int parse_eq(char *t, term_t *x, int allow_set)
{
    char *p;
    if ((p = strstr(t, "!="))) { *p = '\0'; x->op = OP_NE; p += 2; }
    else if ((p = strstr(t, "=="))) { *p = '\0'; x->op = OP_EQ; p += 2; }
    else if ((p = strchr(t, '='))) { *p = '\0'; x->op = OP_EQ; p += 1; }
    if (p) {
        x->nvals = 1;
        if (copy(x->key, sizeof x->key, trim(t)) < 0 || copy(x->vals[0], sizeof x->vals[0], trim(p)) < 0) return -1;
        return x->key[0] ? 0 : -1;
    }
    if (!allow_set) return -1;
    t = trim(t);
    char *sp = t;
    while (*sp && !isspace((unsigned char)*sp) && *sp != '(') sp++;
    if (!*sp) {
        x->op = OP_EXISTS;
        if (*t == '!') { x->op = OP_NOTEXISTS; t = trim(t + 1); }
        return copy(x->key, sizeof x->key, t) < 0 || !*x->key ? -1 : 0;
    }
    *sp++ = '\0';
    if (copy(x->key, sizeof x->key, t) < 0) return -1;
    char *rest = trim(sp);
    if (strncmp(rest, "notin", 5) == 0) { x->op = OP_NOTIN; rest += 5; }
    else if (strncmp(rest, "in", 2) == 0) { x->op = OP_IN; rest += 2; }
    else return -1;
    rest = trim(rest);
    size_t n = strlen(rest);
    if (n < 2 || rest[0] != '(' || rest[n - 1] != ')') return -1;
    rest[n - 1] = '\0';
    rest++;
    x->nvals = 0;
    for (char *save = NULL, *v = strtok_r(rest, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
        if (x->nvals == MAX_VALS || copy(x->vals[x->nvals], sizeof x->vals[0], trim(v)) < 0) return -1;
        x->nvals++;
    }
    return 0;
}

static int parse(const char *sel, term_t *terms, int *nterms, int labels)
{
    *nterms = 0;
    if (!sel || !*sel) return 0;
    char *dup = strdup(sel);
    if (!dup) return -1;
    char *parts[MAX_TERMS];
    int n = split_terms(dup, parts, MAX_TERMS);
    int rc = n < 0 ? -1 : 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        char *t = trim(parts[i]);
        if (!*t) continue;
        memset(&terms[*nterms], 0, sizeof terms[0]);
        rc = parse_eq(t, &terms[*nterms], labels);
        if (rc == 0) (*nterms)++;
    }
    free(dup);
    return rc;
}

static const char *known_fields[] = { "metadata.name", "metadata.namespace", "spec.nodeName",
                                      "status.phase", "spec.unschedulable", "type", "reason",
                                      "source", "spec.schedulerName", "status.podIP",
                                      "spec.restartPolicy", "spec.serviceAccountName", NULL };

static int field_known(const apisrv_resource_t *r, const char *k)
{
    if (strncmp(k, "involvedObject.", 15) == 0) return strcmp(r->kind, "Event") == 0;
    for (const char **f = known_fields; *f; f++) if (strcmp(*f, k) == 0) return 1;
    return 0;
}

int apisrv_filter_new(apisrv_call_t *c, apisrv_filter_t **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out) return apisrv_fail(c, 500, "InternalError", "out of memory"), -1;
    const char *ls = apisrv_param(c, "labelSelector"), *fs = apisrv_param(c, "fieldSelector");
    if (parse(ls, (*out)->label, &(*out)->nlabel, 1) < 0) {
        apisrv_filter_free(*out);
        *out = NULL;
        return apisrv_fail(c, 400, "BadRequest", "unable to parse requirement: invalid label selector \"%s\"", ls), -1;
    }
    if (parse(fs, (*out)->field, &(*out)->nfield, 0) < 0) {
        apisrv_filter_free(*out);
        *out = NULL;
        return apisrv_fail(c, 400, "BadRequest", "invalid field selector \"%s\": expected key=value, key==value or key!=value terms", fs), -1;
    }
    for (int i = 0; i < (*out)->nfield; i++) {
        if (!field_known(c->res, (*out)->field[i].key)) {
            char msg[512];
            snprintf(msg, sizeof msg, "field label not supported: %s", (*out)->field[i].key);
            apisrv_filter_free(*out);
            *out = NULL;
            return apisrv_fail(c, 400, "BadRequest", "%s", msg), -1;
        }
    }
    return 0;
}

int apisrv_filter_empty(const apisrv_filter_t *f) { return !f || (f->nlabel == 0 && f->nfield == 0); }

void apisrv_filter_free(apisrv_filter_t *f) { free(f); }

static int term_match(const term_t *t, const char *v)
{
    switch (t->op) {
    case OP_EXISTS: return v != NULL;
    case OP_NOTEXISTS: return v == NULL;
    case OP_EQ: return v && strcmp(v, t->vals[0]) == 0;
    case OP_NE: return !v || strcmp(v, t->vals[0]) != 0;
    case OP_IN:
    case OP_NOTIN: {
        int in = 0;
        for (int i = 0; v && i < t->nvals; i++) if (strcmp(v, t->vals[i]) == 0) in = 1;
        return t->op == OP_IN ? in : !in;
    }
    }
    return 0;
}

static const char *field_value(const cJSON *obj, const char *key, char *buf, size_t len)
{
    if (strcmp(key, "source") == 0) return apisrv_str(obj, "source.component");
    if (strcmp(key, "spec.unschedulable") == 0) {
        const cJSON *u = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "spec"), "unschedulable");
        snprintf(buf, len, "%s", cJSON_IsTrue(u) ? "true" : "false");
        return buf;
    }
    const char *v = apisrv_str(obj, key);
    /* Kubernetes compares absent fields as "" */
    return v ? v : "";
}

int apisrv_filter_match(const apisrv_filter_t *f, const apisrv_resource_t *r, const cJSON *obj)
{
    (void)r;
    if (apisrv_filter_empty(f)) return 1;
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "labels");
    for (int i = 0; i < f->nlabel; i++) {
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(labels, f->label[i].key);
        if (!term_match(&f->label[i], cJSON_IsString(l) ? l->valuestring : NULL)) return 0;
    }
    char buf[16];
    for (int i = 0; i < f->nfield; i++)
        if (!term_match(&f->field[i], field_value(obj, f->field[i].key, buf, sizeof buf))) return 0;
    return 1;
}
