/* core/api/rbac_rules — PolicyRule parsing and matching, written from
 * kube's pkg/apis/rbac/v1/evaluation_helpers.go (VerbMatches,
 * APIGroupMatches, ResourceMatches, ResourceNameMatches,
 * NonResourceURLMatches). */
#include <stdlib.h>
#include <string.h>

#include "api/rbac.h"

/* A role's rules live in ONE allocation — the rule array, then every
 * list's pointer array, then the strings — so a decision walks a few
 * contiguous cache lines instead of a pointer per string (a cold decision
 * inside a create was the visible part of RBAC's cost). Parsing runs twice:
 * once to validate and size, once to fill. */
typedef struct arena {
    char *base;   /* NULL while sizing */
    size_t used;
} arena_t;

static void *carve(arena_t *a, size_t n, size_t align)
{
    a->used = (a->used + align - 1) & ~(align - 1);
    void *p = a->base ? a->base + a->used : NULL;
    a->used += n;
    return p;
}

static int list_parse(const cJSON *arr, apisrv_rbac_list_t *l, size_t idx, const char *field,
                      arena_t *ar, skiff_error_t *err)
{
    if (!arr || cJSON_IsNull(arr)) return 0;
    if (!cJSON_IsArray(arr))
        return skiff_error_set(err, SKIFF_E_INVALID, "rules[%zu].%s: must be a list of strings", idx, field);
    size_t n = (size_t)cJSON_GetArraySize(arr);
    if (!n) return 0;
    char **v = carve(ar, n * sizeof *v, sizeof(char *));
    size_t i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        if (!cJSON_IsString(it))
            return skiff_error_set(err, SKIFF_E_INVALID, "rules[%zu].%s[%zu]: must be a string", idx, field, i);
        size_t len = strlen(it->valuestring) + 1;
        char *str = carve(ar, len, 1);
        if (str) { memcpy(str, it->valuestring, len); v[i] = str; }
        i++;
    }
    if (v) { l->v = v; l->n = n; }
    return 0;
}

static const char *const known_verbs[] = {
    "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", NULL,
};

unsigned apisrv_rbac_verb_bit(const char *verb)
{
    for (unsigned i = 0; known_verbs[i]; i++)
        if (strcmp(verb, known_verbs[i]) == 0) return 1u << i;
    return 0;
}

static int has(const apisrv_rbac_list_t *l, const char *s);

static void precompute(apisrv_rbac_rule_t *r)
{
    for (size_t i = 0; i < r->verbs.n; i++) {
        unsigned b = strcmp(r->verbs.v[i], "*") == 0 ? APISRV_RBAC_VERB_ALL : apisrv_rbac_verb_bit(r->verbs.v[i]);
        if (b) r->verb_mask |= b;
        else r->other_verbs = 1;
    }
    r->any_group = has(&r->groups, "*");
    r->any_resource = has(&r->resources, "*");
}

void apisrv_rbac_rules_free(apisrv_rbac_rule_t *rules, size_t n)
{
    (void)n; /* one allocation (see arena_t) */
    free(rules);
}

static int parse_into(const cJSON *rules, apisrv_rbac_rule_t *v, arena_t *ar, skiff_error_t *err)
{
    size_t i = 0;
    const cJSON *r;
    int rc = 0;
    cJSON_ArrayForEach(r, rules) {
        apisrv_rbac_rule_t tmp, *x = v ? &v[i] : &tmp;
        memset(x, 0, sizeof *x);
        if (!cJSON_IsObject(r)) return skiff_error_set(err, SKIFF_E_INVALID, "rules[%zu]: must be an object", i);
        if ((rc = list_parse(cJSON_GetObjectItemCaseSensitive(r, "verbs"), &x->verbs, i, "verbs", ar, err)) < 0
            || (rc = list_parse(cJSON_GetObjectItemCaseSensitive(r, "apiGroups"), &x->groups, i, "apiGroups", ar, err)) < 0
            || (rc = list_parse(cJSON_GetObjectItemCaseSensitive(r, "resources"), &x->resources, i, "resources", ar, err)) < 0
            || (rc = list_parse(cJSON_GetObjectItemCaseSensitive(r, "resourceNames"), &x->names, i, "resourceNames", ar, err)) < 0
            || (rc = list_parse(cJSON_GetObjectItemCaseSensitive(r, "nonResourceURLs"), &x->urls, i, "nonResourceURLs", ar, err)) < 0)
            return rc;
        if (v) precompute(x);
        i++;
    }
    return 0;
}

int apisrv_rbac_rules_parse(const cJSON *rules, apisrv_rbac_rule_t **out, size_t *n,
                            skiff_error_t *err)
{
    *out = NULL;
    *n = 0;
    if (!rules || cJSON_IsNull(rules)) return 0;
    if (!cJSON_IsArray(rules)) return skiff_error_set(err, SKIFF_E_INVALID, "rules: must be a list");
    size_t cnt = (size_t)cJSON_GetArraySize(rules);
    if (!cnt) return 0;
    arena_t ar = { NULL, cnt * sizeof(apisrv_rbac_rule_t) };
    int rc = parse_into(rules, NULL, &ar, err); /* validate and size */
    if (rc < 0) return rc;
    char *block = malloc(ar.used);
    if (!block) return skiff_error_set(err, -ENOMEM, "out of memory");
    ar = (arena_t){ block, cnt * sizeof(apisrv_rbac_rule_t) };
    parse_into(rules, (apisrv_rbac_rule_t *)block, &ar, err);
    *out = (apisrv_rbac_rule_t *)block;
    *n = cnt;
    return 0;
}

static int has(const apisrv_rbac_list_t *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0) return 1;
    return 0;
}

/* bit: the request verb's bit (apisrv_rbac_verb_bit), 0 for others */
static int verb_matches(const apisrv_rbac_rule_t *r, const char *verb, unsigned bit)
{
    if (r->verb_mask & (bit | APISRV_RBAC_VERB_ALL)) return 1;
    return !bit && r->other_verbs && has(&r->verbs, verb);
}

static int group_matches(const apisrv_rbac_rule_t *r, const char *group)
{
    return r->any_group || has(&r->groups, group);
}

/* "pods" matches pods; "pods/log" matches only that subresource; "*"
 * everything; "*\/scale" the scale subresource of any resource. */
static int resource_matches(const apisrv_rbac_rule_t *r, const char *resource, const char *sub)
{
    if (r->any_resource) return 1;
    size_t rl = strlen(resource), sl = strlen(sub);
    for (size_t i = 0; i < r->resources.n; i++) {
        const char *x = r->resources.v[i];
        size_t xl = strlen(x);
        if (strcmp(x, "*") == 0) return 1;
        if (!sl) {
            if (strcmp(x, resource) == 0) return 1;
            continue;
        }
        if (xl == rl + 1 + sl && memcmp(x, resource, rl) == 0 && x[rl] == '/' && strcmp(x + rl + 1, sub) == 0)
            return 1;
        if (xl == sl + 2 && x[0] == '*' && x[1] == '/' && strcmp(x + 2, sub) == 0) return 1;
    }
    return 0;
}

static int name_matches(const apisrv_rbac_rule_t *r, const char *name)
{
    if (!r->names.n) return 1;
    return name && *name && has(&r->names, name);
}

static int url_matches(const apisrv_rbac_rule_t *r, const char *path)
{
    for (size_t i = 0; i < r->urls.n; i++) {
        const char *u = r->urls.v[i];
        size_t ul = strlen(u);
        if (strcmp(u, "*") == 0 || strcmp(u, path) == 0) return 1;
        if (ul && u[ul - 1] == '*' && strncmp(u, path, ul - 1) == 0) return 1;
    }
    return 0;
}

static int allows(const apisrv_rbac_rule_t *r, const apisrv_authz_attrs_t *a, unsigned bit)
{
    if (!verb_matches(r, a->verb, bit)) return 0;
    if (a->resource_request)
        return !r->urls.n && group_matches(r, a->group)
               && resource_matches(r, a->resource, a->subresource ? a->subresource : "")
               && name_matches(r, a->name);
    return url_matches(r, a->path ? a->path : "");
}

int apisrv_rbac_rule_allows(const apisrv_rbac_rule_t *r, const apisrv_authz_attrs_t *a)
{
    return allows(r, a, apisrv_rbac_verb_bit(a->verb));
}

int apisrv_rbac_rules_allow(const apisrv_rbac_rule_t *r, size_t n, const apisrv_authz_attrs_t *a)
{
    unsigned bit = apisrv_rbac_verb_bit(a->verb);
    for (size_t i = 0; i < n; i++)
        if (allows(&r[i], a, bit)) return 1;
    return 0;
}

int apisrv_rbac_subject_matches(const apisrv_rbac_subject_t *s, const apisrv_authz_attrs_t *a)
{
    switch (s->kind) {
    case APISRV_SUBJ_USER:
        return strcmp(s->name, a->user) == 0;
    case APISRV_SUBJ_GROUP:
        for (size_t i = 0; i < a->ngroups; i++)
            if (strcmp(s->name, a->groups[i]) == 0) return 1;
        return 0;
    case APISRV_SUBJ_SA: {
        /* "system:serviceaccount:<ns>:<name>" */
        static const char pfx[] = "system:serviceaccount:";
        size_t pl = sizeof pfx - 1, nl = strlen(s->ns);
        const char *u = a->user;
        return strncmp(u, pfx, pl) == 0 && strncmp(u + pl, s->ns, nl) == 0 && u[pl + nl] == ':'
               && strcmp(u + pl + nl + 1, s->name) == 0;
    }
    }
    return 0;
}
