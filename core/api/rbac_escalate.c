/* core/api/rbac_escalate — privilege-escalation prevention on RBAC writes,
 * as kube-apiserver's rbac registry (policybased storage) does it: a Role
 * or ClusterRole may be written only by someone who already holds every
 * permission in it or may `escalate` it; a binding only by someone who
 * holds every permission of the role it references or may `bind` that
 * role. system:masters (and so the in-process components) bypass. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/authz.h"
#include "api/json_util.h"

static const char RBAC_GROUP[] = "rbac.authorization.k8s.io";

static void attrs_of(const apisrv_call_t *c, apisrv_authz_attrs_t *a)
{
    const skiff_api_user_t *u = c->user ? c->user : &skiff_api_user_component;
    memset(a, 0, sizeof *a);
    a->user = u->name;
    a->groups = u->groups;
    a->ngroups = u->ngroups;
    a->resource_request = 1;
    a->group = RBAC_GROUP;
    a->subresource = "";
    a->path = "";
}

static int privileged(const apisrv_authz_attrs_t *a)
{
    for (size_t i = 0; i < a->ngroups; i++)
        if (strcmp(a->groups[i], "system:masters") == 0) return 1;
    return 0;
}

static void min_revs(const skiff_api_server_t *s, int64_t min_rev[4])
{
    for (int k = 0; k < 4; k++)
        min_rev[k] = s->rbac_idx[k] >= 0 ? __atomic_load_n(&s->last_write[s->rbac_idx[k]], __ATOMIC_ACQUIRE) : 0;
}

static void cover_cb(void *ud, const apisrv_rbac_rule_t *rule) { apisrv_rbac_perms_cover(ud, rule); }

/* Go's %q of the user's groups: ["a" "b"] */
static void groups_q(const apisrv_authz_attrs_t *a, char *buf, size_t len)
{
    size_t o = 0;
    int n = snprintf(buf, len, "[");
    o = n > 0 ? (size_t)n : 0;
    for (size_t i = 0; i < a->ngroups && o < len; i++) {
        n = snprintf(buf + o, len - o, "%s\"%s\"", i ? " " : "", a->groups[i]);
        if (n < 0) break;
        o += (size_t)n;
    }
    if (o < len) snprintf(buf + o, len - o, "]");
}

/* ConfirmNoEscalation: everything in p must be covered by the rules the
 * user holds in ns ("" = cluster-wide only). 0 = covered; -1 = 403 set
 * (or 500 on allocation failure). */
static int confirm(apisrv_call_t *c, apisrv_authz_attrs_t *a, const char *ns, const char *obj_name,
                   apisrv_rbac_perms_t *p, const char *why)
{
    a->namespace_ = ns;
    if (c->s->rbac) {
        int64_t min_rev[4];
        min_revs(c->s, min_rev);
        apisrv_rbac_rules_for(c->s->rbac, a, min_rev, cover_cb, p);
    }
    char *missing = NULL;
    if (apisrv_rbac_perms_missing(p, &missing) < 0) return apisrv_fail(c, 500, "InternalError", "out of memory"), -1;
    if (!missing) return 0;
    char q[160], groups[1024];
    apisrv_resource_qualified(c->res, q, sizeof q);
    if (why) {
        free(missing);
        return apisrv_fail_causes(c, 403, "Forbidden", why, NULL), -1;
    }
    groups_q(a, groups, sizeof groups);
    char *msg = NULL;
    int n = asprintf(&msg, "%s \"%s\" is forbidden: user \"%s\" (groups=%s) is attempting to grant RBAC permissions not currently held:\n%s",
                     q, obj_name, a->user, groups, missing);
    free(missing);
    if (n < 0) return apisrv_fail(c, 500, "InternalError", "out of memory"), -1;
    apisrv_fail_causes(c, 403, "Forbidden", msg, NULL);
    free(msg);
    return -1;
}

static const char *meta_name(const cJSON *obj)
{
    const char *n = apisrv_str(obj, "metadata.name");
    return n ? n : "";
}

static int fail_breakdown(apisrv_call_t *c, int rc, const char *name)
{
    if (rc == -E2BIG) {
        char q[160];
        apisrv_resource_qualified(c->res, q, sizeof q);
        return apisrv_fail(c, 403, "Forbidden",
                           "%s \"%s\" is forbidden: the rules grant more than %d single permissions (verbs x apiGroups x "
                           "resources x resourceNames): too many to check against the user's; use fewer or `*`",
                           q, name, APISRV_RBAC_MAX_PERMS);
    }
    return apisrv_fail(c, 500, "InternalError", "out of memory");
}

/* kube's IsOnlyMutatingGCFields: an update that changes only
 * ownerReferences and finalizers (the garbage collector's and namespace
 * deletion's business) is not a grant. Server-kept metadata is ignored. */
static int only_gc_fields(const cJSON *obj, const cJSON *old)
{
    if (!old) return 0;
    static const char *const skip[] = { "ownerReferences", "finalizers", "managedFields", "resourceVersion", "generation" };
    cJSON *a = cJSON_Duplicate(obj, 1), *b = cJSON_Duplicate(old, 1);
    int same = 0;
    if (a && b) {
        cJSON *ma = cJSON_GetObjectItemCaseSensitive(a, "metadata"), *mb = cJSON_GetObjectItemCaseSensitive(b, "metadata");
        for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++) {
            cJSON_DeleteItemFromObjectCaseSensitive(ma, skip[i]);
            cJSON_DeleteItemFromObjectCaseSensitive(mb, skip[i]);
        }
        same = skiff_api_json_equal(a, b);
    }
    cJSON_Delete(a);
    cJSON_Delete(b);
    return same;
}

int apisrv_rbac_check_role_write(apisrv_call_t *c, const cJSON *obj, const cJSON *old)
{
    apisrv_authz_attrs_t a;
    attrs_of(c, &a);
    if (privileged(&a) || only_gc_fields(obj, old)) return 0;
    const char *ns = c->res->namespaced ? c->ns : "";
    /* kube's RoleEscalationAuthorized: the request's own attributes with
     * verb escalate (a create names no object) */
    a.verb = "escalate";
    a.resource = c->res->plural;
    a.namespace_ = ns;
    a.name = c->verb == APISRV_VERB_CREATE ? "" : c->name;
    if (apisrv_authorize_attrs(c->s, &a)) return 0;
    apisrv_rbac_rule_t *rules = NULL;
    size_t n = 0;
    skiff_error_t err;
    if (apisrv_rbac_rules_parse(cJSON_GetObjectItemCaseSensitive(obj, "rules"), &rules, &n, &err) < 0)
        return 0; /* validation has reported it */
    apisrv_rbac_perms_t p = { 0 };
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) rc = apisrv_rbac_perms_add(&p, &rules[i]);
    apisrv_rbac_rules_free(rules, n);
    if (rc < 0) rc = (fail_breakdown(c, rc, meta_name(obj)), -1);
    else rc = confirm(c, &a, ns, meta_name(obj), &p, NULL);
    apisrv_rbac_perms_free(&p);
    /* kube: setting or changing an aggregationRule, which can gather
     * anything, needs * on *.* and on every non-resource URL */
    const cJSON *agg = cJSON_GetObjectItemCaseSensitive(obj, "aggregationRule");
    const cJSON *old_agg = old ? cJSON_GetObjectItemCaseSensitive(old, "aggregationRule") : NULL;
    if (agg && cJSON_IsNull(agg)) agg = NULL;
    if (old_agg && cJSON_IsNull(old_agg)) old_agg = NULL;
    int changed = old ? !((!agg && !old_agg) || (agg && old_agg && cJSON_Compare(agg, old_agg, 1))) : agg != NULL;
    if (rc == 0 && changed && !c->res->namespaced) {
        static const char full[] = "[{\"verbs\":[\"*\"],\"apiGroups\":[\"*\"],\"resources\":[\"*\"]},{\"verbs\":[\"*\"],\"nonResourceURLs\":[\"*\"]}]";
        cJSON *fj = cJSON_Parse(full);
        apisrv_rbac_perms_t fp = { 0 };
        rc = fj && apisrv_rbac_rules_parse(fj, &rules, &n, &err) == 0 ? 0 : -ENOMEM;
        for (size_t i = 0; i < n && rc == 0; i++) rc = apisrv_rbac_perms_add(&fp, &rules[i]);
        if (rc == 0) apisrv_rbac_rules_free(rules, n);
        cJSON_Delete(fj);
        char q[160], why[600];
        apisrv_resource_qualified(c->res, q, sizeof q);
        snprintf(why, sizeof why, "%s \"%s\" is forbidden: must have cluster-admin privileges to use the aggregationRule", q, meta_name(obj));
        if (rc < 0) rc = (apisrv_fail(c, 500, "InternalError", "out of memory"), -1);
        else rc = confirm(c, &a, "", meta_name(obj), &fp, why);
        apisrv_rbac_perms_free(&fp);
    }
    return rc;
}

int apisrv_rbac_check_binding_write(apisrv_call_t *c, const cJSON *obj, const cJSON *old)
{
    apisrv_authz_attrs_t a;
    attrs_of(c, &a);
    if (privileged(&a) || only_gc_fields(obj, old)) return 0;
    const char *ns = c->res->namespaced ? c->ns : "";
    const char *kind = apisrv_str(obj, "roleRef.kind"), *role = apisrv_str(obj, "roleRef.name");
    if (!kind || !role) return 0; /* validation has reported it */
    int cluster = strcmp(kind, "ClusterRole") == 0;
    /* kube's BindingAuthorized: `bind` on the referenced role, in the
     * binding's namespace (resourceNames name the role) */
    a.verb = "bind";
    a.resource = cluster ? "clusterroles" : "roles";
    a.namespace_ = ns;
    a.name = role;
    if (apisrv_authorize_attrs(c->s, &a)) return 0;
    apisrv_rbac_perms_t p = { 0 };
    int64_t min_rev[4];
    min_revs(c->s, min_rev); /* a role written a moment ago through this server is seen */
    int rc = c->s->rbac ? apisrv_rbac_role_perms(c->s->rbac, cluster, ns, role, min_rev, &p) : SKIFF_E_NOTFOUND;
    if (rc == SKIFF_E_NOTFOUND) {
        rc = (apisrv_fail(c, 404, "NotFound", "%s.%s \"%s\" not found", a.resource, RBAC_GROUP, role), -1);
    } else if (rc < 0) {
        rc = (fail_breakdown(c, rc, meta_name(obj)), -1);
    } else {
        rc = confirm(c, &a, ns, meta_name(obj), &p, NULL);
    }
    apisrv_rbac_perms_free(&p);
    return rc;
}
