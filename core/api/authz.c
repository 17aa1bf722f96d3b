/* core/api/authz — deciding each request (see auth.h): the configured
 * authorization modes in order, `system:masters` first, and the 403
 * Forbidden kube-apiserver answers (responsewriters.ForbiddenStatusError). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/authz.h"
#include "api/satoken.h"
#include "log/log.h"

static const char *const verbs[APISRV_NVERBS] = {
    "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "",
};

static int mode_of(const char *m, size_t n)
{
    if (n == 11 && strncmp(m, "AlwaysAllow", n) == 0) return APISRV_AUTHZ_ALWAYS_ALLOW;
    if (n == 10 && strncmp(m, "AlwaysDeny", n) == 0) return APISRV_AUTHZ_ALWAYS_DENY;
    if (n == 4 && strncmp(m, "RBAC", n) == 0) return APISRV_AUTHZ_RBAC;
    return 0;
}

static int read_file(const char *path, char **out, skiff_error_t *err)
{
    FILE *f = fopen(path, "r");
    if (!f) return skiff_error_set(err, SKIFF_E_INVALID, "apiserver: token_auth_file \"%s\": %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    for (size_t r; b && (r = fread(b + n, 1, cap - n - 1, f)) > 0;) {
        n += r;
        if (cap - n < 2) {
            char *nb = cap < (64u << 20) ? realloc(b, cap * 2) : NULL;
            if (!nb) { free(b); b = NULL; break; }
            b = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!b) return skiff_error_set(err, -ENOMEM, "apiserver: token_auth_file \"%s\": out of memory (or over 64 MiB)", path);
    b[n] = '\0';
    *out = b;
    return 0;
}

int apisrv_auth_init(skiff_api_server_t *s, const skiff_api_config_t *cfg, skiff_error_t *err)
{
    s->anonymous = !cfg || cfg->anonymous_auth >= 0;
    for (size_t i = 0; cfg && cfg->authorization_modes && cfg->authorization_modes[i]; i++) {
        /* entries may themselves be kube's comma lists ("Node,RBAC") */
        for (const char *p = cfg->authorization_modes[i]; *p;) {
            size_t n = strcspn(p, ",");
            const char *m = p;
            size_t mn = n;
            while (mn && isspace((unsigned char)*m)) { m++; mn--; }
            while (mn && isspace((unsigned char)m[mn - 1])) mn--;
            int mode = mode_of(m, mn);
            if (!mode)
                return skiff_error_set(err, SKIFF_E_INVALID,
                                       "apiserver: authorization_mode \"%.*s\": unknown mode (valid: AlwaysAllow, AlwaysDeny, RBAC)", (int)mn, m);
            for (int k = 0; k < s->nmodes; k++)
                if (s->modes[k] == mode)
                    return skiff_error_set(err, SKIFF_E_INVALID, "apiserver: authorization_mode \"%.*s\" is listed twice", (int)mn, m);
            if (s->nmodes < 4) s->modes[s->nmodes++] = mode;
            p += n;
            if (*p == ',') p++;
        }
    }
    const char *const rbac_plurals[4] = { "roles", "clusterroles", "rolebindings", "clusterrolebindings" };
    for (int k = 0; k < 4; k++) {
        const apisrv_resource_t *r = apisrv_resource_find("rbac.authorization.k8s.io", "v1", rbac_plurals[k]);
        s->rbac_idx[k] = r ? (int)apisrv_resource_index(r) : -1;
    }
    if (cfg && cfg->token_auth_file && *cfg->token_auth_file) {
        char *text = NULL;
        int rc = read_file(cfg->token_auth_file, &text, err);
        if (rc == 0) rc = skiff_api_server_load_tokens(s, cfg->token_auth_file, text, err);
        free(text);
        if (rc < 0) return rc;
        skiff_log(SKIFF_LOG_INFO, "apiserver", "authentication: %zu token(s) from %s", apisrv_tokens_count(s->tokens),
                  cfg->token_auth_file);
    }
    for (int k = 0; k < s->nmodes; k++)
        if (s->modes[k] == APISRV_AUTHZ_RBAC) return apisrv_rbac_new(s->ops, s->store, &s->rbac, err);
    return 0;
}

void apisrv_auth_fini(skiff_api_server_t *s)
{
    apisrv_rbac_free(s->rbac);
    s->rbac = NULL;
    apisrv_tokens_free(s->tokens);
    s->tokens = NULL;
    apisrv_sa_fini(s);
}

int apisrv_authorize_attrs(skiff_api_server_t *s, const apisrv_authz_attrs_t *a)
{
    /* kube-apiserver's privileged-group authorizer runs ahead of the modes */
    for (size_t i = 0; i < a->ngroups; i++)
        if (strcmp(a->groups[i], "system:masters") == 0) return 1;
    if (!s->nmodes) return 1;
    int64_t min_rev[4];
    for (int k = 0; k < 4; k++)
        min_rev[k] = s->rbac_idx[k] >= 0 ? __atomic_load_n(&s->last_write[s->rbac_idx[k]], __ATOMIC_ACQUIRE) : 0;
    for (int k = 0; k < s->nmodes; k++) {
        switch (s->modes[k]) {
        case APISRV_AUTHZ_ALWAYS_ALLOW: return 1;
        case APISRV_AUTHZ_ALWAYS_DENY: return 0;
        case APISRV_AUTHZ_RBAC:
            if (s->rbac && apisrv_rbac_authorize(s->rbac, a, min_rev)) return 1;
            break;
        }
    }
    return 0;
}

int apisrv_authorize_explain(skiff_api_server_t *s, const apisrv_authz_attrs_t *a, char *reason, size_t len)
{
    if (len) reason[0] = '\0';
    if (!apisrv_authorize_attrs(s, a)) return 0;
    /* kube: the privileged-group and AlwaysAllow authorizers give no reason */
    for (size_t i = 0; i < a->ngroups; i++)
        if (strcmp(a->groups[i], "system:masters") == 0) return 1;
    for (int k = 0; k < s->nmodes; k++) {
        if (s->modes[k] != APISRV_AUTHZ_RBAC) break;
        if (s->rbac && apisrv_rbac_explain(s->rbac, a, NULL, reason, len)) break;
    }
    return 1;
}

static void user_attrs(const apisrv_call_t *c, apisrv_authz_attrs_t *a)
{
    const skiff_api_user_t *u = c->user ? c->user : &skiff_api_user_component;
    a->user = u->name;
    a->groups = u->groups;
    a->ngroups = u->ngroups;
}

static int fast_allow(const apisrv_call_t *c)
{
    return !c->s->nmodes || c->s->modes[0] == APISRV_AUTHZ_ALWAYS_ALLOW;
}

/* kube's responsewriters.ForbiddenStatusError for a resource request:
 * apierrors.NewForbidden(group/resource, name, "User ... cannot ..."),
 * details {name, group, kind: resource}. */
static int forbid_resource(apisrv_call_t *c, const apisrv_authz_attrs_t *a)
{
    char q[400], who[700], res[300];
    snprintf(q, sizeof q, "%s%s%s", a->resource, *a->group ? "." : "", a->group);
    snprintf(res, sizeof res, "%s%s%s", a->resource, *a->subresource ? "/" : "", a->subresource);
    if (*a->name) snprintf(who, sizeof who, "%s \"%s\"", q, a->name);
    else snprintf(who, sizeof who, "%s", q);
    char *msg = NULL;
    int n = *a->namespace_
        ? asprintf(&msg, "%s is forbidden: User \"%s\" cannot %s resource \"%s\" in API group \"%s\" in the namespace \"%s\"",
                   who, a->user, a->verb, res, a->group, a->namespace_)
        : asprintf(&msg, "%s is forbidden: User \"%s\" cannot %s resource \"%s\" in API group \"%s\" at the cluster scope",
                   who, a->user, a->verb, res, a->group);
    if (n < 0) return apisrv_fail(c, 500, "InternalError", "out of memory"), -1;
    cJSON *st = cJSON_CreateObject();
    cJSON_AddStringToObject(st, "kind", "Status");
    cJSON_AddStringToObject(st, "apiVersion", "v1");
    cJSON_AddObjectToObject(st, "metadata");
    cJSON_AddStringToObject(st, "status", "Failure");
    cJSON_AddStringToObject(st, "message", msg);
    cJSON_AddStringToObject(st, "reason", "Forbidden");
    cJSON *d = cJSON_AddObjectToObject(st, "details");
    if (*a->name) cJSON_AddStringToObject(d, "name", a->name);
    if (*a->group) cJSON_AddStringToObject(d, "group", a->group);
    cJSON_AddStringToObject(d, "kind", a->resource);
    cJSON_AddNumberToObject(st, "code", 403);
    free(msg);
    apisrv_reply_json(c, 403, st);
    return -1;
}

int apisrv_authorize_resource(apisrv_call_t *c)
{
    if (fast_allow(c)) return 0;
    apisrv_authz_attrs_t a = { .resource_request = 1 };
    user_attrs(c, &a);
    a.verb = verbs[c->verb];
    a.group = c->res->group;
    a.resource = c->res->plural;
    a.subresource = c->sub;
    a.name = c->name;
    /* as kube's RequestInfo: a namespace is its own namespace */
    a.namespace_ = c->ns[0] ? c->ns : strcmp(c->res->plural, "namespaces") == 0 && !*c->res->group ? c->name : "";
    if (apisrv_authorize_attrs(c->s, &a)) return 0;
    return forbid_resource(c, &a);
}

int apisrv_authorize_unrouted(apisrv_call_t *c, char **segs, int nseg)
{
    if (fast_allow(c)) return 0;
    /* kube's RequestInfoFactory.NewRequestInfo, which reads only the path:
     * /api/V/... or /apis/G/V/..., an optional /watch/ or /proxy/ verb
     * segment, /namespaces/NS/ (unless followed by status or finalize, the
     * Namespace's own subresources), then resource[/name[/subresource]]. */
    int i;
    const char *group = "";
    if (nseg >= 3 && strcmp(segs[0], "api") == 0) i = 2;
    else if (nseg >= 4 && strcmp(segs[0], "apis") == 0) { group = segs[1]; i = 3; }
    else return apisrv_authorize_path(c);
    const char *m = c->req->method, *verb;
    if (strcmp(segs[i], "watch") == 0 || strcmp(segs[i], "proxy") == 0) {
        if (nseg - i < 2) return 0; /* kube: an error, then 404 */
        verb = segs[i++];
    } else {
        verb = strcmp(m, "POST") == 0 ? "create" : strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 ? "get"
             : strcmp(m, "PUT") == 0 ? "update" : strcmp(m, "PATCH") == 0 ? "patch"
             : strcmp(m, "DELETE") == 0 ? "delete" : "";
    }
    const char *ns = "";
    if (strcmp(segs[i], "namespaces") == 0 && nseg - i > 1) {
        ns = segs[i + 1];
        if (nseg - i > 2 && strcmp(segs[i + 2], "status") != 0 && strcmp(segs[i + 2], "finalize") != 0) i += 2;
    }
    int nparts = nseg - i;
    apisrv_authz_attrs_t a = { .resource_request = 1, .group = group, .namespace_ = ns, .resource = segs[i],
                               .name = nparts >= 2 ? segs[i + 1] : "",
                               .subresource = nparts >= 3 && strcmp(verb, "proxy") != 0 ? segs[i + 2] : "" };
    user_attrs(c, &a);
    if (!*a.name && strcmp(verb, "get") == 0) verb = apisrv_param_true(c, "watch") ? "watch" : "list";
    if (!*a.name && strcmp(verb, "delete") == 0) verb = "deletecollection";
    a.verb = verb;
    if (apisrv_authorize_attrs(c->s, &a)) return 0;
    return forbid_resource(c, &a);
}

int apisrv_authorize_path(apisrv_call_t *c)
{
    if (fast_allow(c)) return 0;
    apisrv_authz_attrs_t a = { .resource_request = 0 };
    user_attrs(c, &a);
    char verb[16];
    size_t i = 0;
    for (const char *m = c->req->method; *m && i + 1 < sizeof verb; m++) verb[i++] = (char)tolower((unsigned char)*m);
    verb[i] = '\0';
    a.verb = verb;
    a.path = c->req->path && *c->req->path ? c->req->path : "/";
    if (apisrv_authorize_attrs(c->s, &a)) return 0;
    char *msg = NULL;
    if (asprintf(&msg, "forbidden: User \"%s\" cannot %s path \"%s\"", a.user, verb, a.path) < 0)
        return apisrv_fail(c, 500, "InternalError", "out of memory"), -1;
    apisrv_fail_causes(c, 403, "Forbidden", msg, NULL);
    free(msg);
    return -1;
}

static int impersonation_denied(apisrv_call_t *c, const char *resource, const char *ns, const char *name)
{
    apisrv_authz_attrs_t a = { .resource_request = 1, .verb = "impersonate", .group = "", .resource = resource,
                               .subresource = "", .namespace_ = ns, .name = name };
    user_attrs(c, &a);
    if (apisrv_authorize_attrs(c->s, &a)) return 0;
    char *msg = NULL;
    int n = *ns ? asprintf(&msg, "%s \"%s\" is forbidden: User \"%s\" cannot impersonate resource \"%s\" in API group \"\" in the namespace \"%s\"",
                           resource, name, a.user, resource, ns)
                : asprintf(&msg, "%s \"%s\" is forbidden: User \"%s\" cannot impersonate resource \"%s\" in API group \"\" at the cluster scope",
                           resource, name, a.user, resource);
    if (n < 0) return apisrv_fail(c, 500, "InternalError", "out of memory"), -1;
    apisrv_fail_causes(c, 403, "Forbidden", msg, NULL);
    free(msg);
    return -1;
}

int apisrv_impersonate(apisrv_call_t *c)
{
    const skiff_api_request_t *r = c->req;
    if (!r->impersonate_user && !r->nimpersonate_groups && !r->impersonate_overflow) return 0;
    if (r->impersonate_overflow)
        return apisrv_fail(c, 400, "BadRequest", "too many Impersonate-Group headers (at most 8)"), -1;
    if (!r->impersonate_user || !*r->impersonate_user)
        return apisrv_fail(c, 400, "BadRequest", "impersonating groups requires impersonating a user (Impersonate-User)"), -1;
    const char *u = r->impersonate_user;
    static const char sa_pfx[] = "system:serviceaccount:";
    size_t ng = 0;
    if (strncmp(u, sa_pfx, sizeof sa_pfx - 1) == 0) {
        /* system:serviceaccount:<ns>:<name>: impersonate serviceaccounts in <ns> */
        const char *rest = u + sizeof sa_pfx - 1, *colon = strchr(rest, ':');
        if (!colon || colon == rest || !colon[1] || (size_t)(colon - rest) >= 256)
            return apisrv_fail(c, 400, "BadRequest", "Impersonate-User \"%.200s\": expected system:serviceaccount:NAMESPACE:NAME", u), -1;
        char ns[256];
        snprintf(ns, sizeof ns, "%.*s", (int)(colon - rest), rest);
        if (impersonation_denied(c, "serviceaccounts", ns, colon + 1) < 0) return -1;
        snprintf(c->imp_sa_group, sizeof c->imp_sa_group, "system:serviceaccounts:%s", ns);
        c->imp_groups[ng++] = "system:serviceaccounts";
        c->imp_groups[ng++] = c->imp_sa_group;
    } else if (impersonation_denied(c, "users", "", u) < 0) {
        return -1;
    }
    for (size_t i = 0; i < r->nimpersonate_groups; i++) {
        if (impersonation_denied(c, "groups", "", r->impersonate_groups[i]) < 0) return -1;
        c->imp_groups[ng++] = r->impersonate_groups[i];
    }
    int has_auth = 0;
    for (size_t i = 0; i < ng; i++) if (strcmp(c->imp_groups[i], "system:authenticated") == 0) has_auth = 1;
    if (!has_auth && strcmp(u, "system:anonymous") != 0) c->imp_groups[ng++] = "system:authenticated";
    c->imp.name = u;
    c->imp.uid = "";
    c->imp.groups = c->imp_groups;
    c->imp.ngroups = ng;
    c->user = &c->imp;
    return 0;
}

static cJSON *strings(const apisrv_rbac_list_t *l)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < l->n; i++) cJSON_AddItemToArray(a, cJSON_CreateString(l->v[i]));
    return a;
}

typedef struct rules_ctx { cJSON *res, *nonres; } rules_ctx_t;

static void add_rule(void *ud, const apisrv_rbac_rule_t *r)
{
    rules_ctx_t *x = ud;
    cJSON *o = cJSON_CreateObject();
    if (!o) return;
    cJSON_AddItemToObject(o, "verbs", strings(&r->verbs));
    if (r->urls.n) {
        cJSON_AddItemToObject(o, "nonResourceURLs", strings(&r->urls));
        cJSON_AddItemToArray(x->nonres, o);
        return;
    }
    cJSON_AddItemToObject(o, "apiGroups", strings(&r->groups));
    cJSON_AddItemToObject(o, "resources", strings(&r->resources));
    if (r->names.n) cJSON_AddItemToObject(o, "resourceNames", strings(&r->names));
    cJSON_AddItemToArray(x->res, o);
}

void apisrv_rules_review(skiff_api_server_t *s, const apisrv_authz_attrs_t *a, cJSON *st)
{
    rules_ctx_t x = { cJSON_AddArrayToObject(st, "resourceRules"), cJSON_AddArrayToObject(st, "nonResourceRules") };
    int all = !s->nmodes;
    for (int k = 0; k < s->nmodes && !all; k++) {
        if (s->modes[k] == APISRV_AUTHZ_ALWAYS_ALLOW) all = 1;
        if (s->modes[k] == APISRV_AUTHZ_ALWAYS_DENY) break;
        if (s->modes[k] == APISRV_AUTHZ_RBAC && s->rbac) {
            int64_t min_rev[4];
            for (int i = 0; i < 4; i++)
                min_rev[i] = s->rbac_idx[i] >= 0 ? __atomic_load_n(&s->last_write[s->rbac_idx[i]], __ATOMIC_ACQUIRE) : 0;
            apisrv_rbac_rules_for(s->rbac, a, min_rev, add_rule, &x);
        }
    }
    if (all) {
        /* what kube's AlwaysAllow authorizer lists */
        apisrv_rbac_rule_t r = { 0 };
        char *star[] = { "*" };
        r.verbs = r.groups = r.resources = (apisrv_rbac_list_t){ star, 1 };
        add_rule(&x, &r);
        r = (apisrv_rbac_rule_t){ 0 };
        r.verbs = r.urls = (apisrv_rbac_list_t){ star, 1 };
        add_rule(&x, &r);
    }
    cJSON_AddBoolToObject(st, "incomplete", 0);
}
