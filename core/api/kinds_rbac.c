/* core/api/kinds_rbac — rbac.authorization.k8s.io/v1 validation (kube's
 * pkg/apis/rbac/validation, the common cases) and the binding columns
 * kubectl shows (NAME ROLE AGE; wide: USERS GROUPS SERVICEACCOUNTS). */
#include <stdio.h>
#include <string.h>

#include "api/authz.h"
#include "api/kinds.h"
#include "api/rbac.h"
#include "api/selector.h"

static const cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static int list_len(const cJSON *x) { return cJSON_IsArray(x) ? cJSON_GetArraySize(x) : 0; }

int apisrv_prepare_rbac_role(apisrv_call_t *c, cJSON *obj, const cJSON *old, apisrv_invalid_t *inv)
{
    int namespaced = c->res->namespaced;
    const cJSON *rules = get(obj, "rules");
    apisrv_rbac_rule_t *parsed = NULL;
    size_t n = 0;
    skiff_error_t err;
    int rc = apisrv_rbac_rules_parse(rules, &parsed, &n, &err);
    if (rc == -ENOMEM) return apisrv_fail(c, 500, "InternalError", "out of memory"), -1;
    if (rc < 0) {
        apisrv_invalid_add(inv, "FieldValueInvalid", "rules", "Invalid value: %s", err.msg);
        return 0;
    }
    apisrv_rbac_rules_free(parsed, n);
    int i = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, (cJSON_IsArray(rules) ? rules : NULL)) {
        char f[64];
        if (!list_len(get(r, "verbs"))) {
            snprintf(f, sizeof f, "rules[%d].verbs", i);
            apisrv_invalid_add(inv, "FieldValueRequired", f, "Required value: verbs must contain at least one value");
        }
        int urls = list_len(get(r, "nonResourceURLs"));
        int resources = list_len(get(r, "resources")) || list_len(get(r, "apiGroups")) || list_len(get(r, "resourceNames"));
        snprintf(f, sizeof f, "rules[%d].nonResourceURLs", i);
        if (urls && namespaced)
            apisrv_invalid_add(inv, "FieldValueInvalid", f, "Invalid value: namespaced rules cannot apply to non-resource URLs");
        else if (urls && resources)
            apisrv_invalid_add(inv, "FieldValueInvalid", f, "Invalid value: rules cannot apply to both regular resources and non-resource URLs");
        else if (!urls) {
            if (!list_len(get(r, "apiGroups"))) {
                snprintf(f, sizeof f, "rules[%d].apiGroups", i);
                apisrv_invalid_add(inv, "FieldValueRequired", f, "Required value: resource rules must supply at least one api group");
            }
            if (!list_len(get(r, "resources"))) {
                snprintf(f, sizeof f, "rules[%d].resources", i);
                apisrv_invalid_add(inv, "FieldValueRequired", f, "Required value: resource rules must supply at least one resource");
            }
        }
        i++;
    }
    /* kube's ValidateClusterRole: the aggregationRule's selectors */
    const cJSON *agg = get(obj, "aggregationRule");
    if (!namespaced && agg && !cJSON_IsNull(agg)) {
        const cJSON *sels = get(agg, "clusterRoleSelectors"), *sel;
        if (!list_len(sels))
            apisrv_invalid_add(inv, "FieldValueRequired", "aggregationRule.clusterRoleSelectors",
                               "Required value: at least one clusterRoleSelector required if aggregationRule is non-nil");
        int k = 0;
        cJSON_ArrayForEach(sel, (cJSON_IsArray(sels) ? sels : NULL)) {
            skiff_api_selector_t *ls = NULL;
            char f[64];
            snprintf(f, sizeof f, "aggregationRule.clusterRoleSelectors[%d]", k++);
            if (!cJSON_IsObject(sel) || skiff_api_label_selector_from_object(sel, &ls, &err) < 0)
                apisrv_invalid_add(inv, "FieldValueInvalid", f, "Invalid value: %s", cJSON_IsObject(sel) ? err.msg : "must be a label selector");
            skiff_api_selector_free(ls);
        }
    }
    /* a valid role is then checked against what its writer holds (kube
     * answers Forbidden before validating; we validate first) */
    if (!inv->n && apisrv_rbac_check_role_write(c, obj, old) < 0) return -1;
    return 0;
}

int apisrv_prepare_rbac_binding(apisrv_call_t *c, cJSON *obj, const cJSON *old, apisrv_invalid_t *inv)
{
    int namespaced = c->res->namespaced;
    cJSON *ref = cJSON_GetObjectItemCaseSensitive(obj, "roleRef");
    if (!cJSON_IsObject(ref)) {
        apisrv_invalid_add(inv, "FieldValueRequired", "roleRef", "Required value");
    } else {
        const char *kind = apisrv_str(ref, "kind"), *name = apisrv_str(ref, "name"), *grp = apisrv_str(ref, "apiGroup");
        if (!grp || !*grp) {
            cJSON_DeleteItemFromObjectCaseSensitive(ref, "apiGroup");
            cJSON_AddStringToObject(ref, "apiGroup", "rbac.authorization.k8s.io");
        } else if (strcmp(grp, "rbac.authorization.k8s.io") != 0) {
            apisrv_invalid_add(inv, "FieldValueNotSupported", "roleRef.apiGroup",
                               "Unsupported value: \"%s\": supported values: \"rbac.authorization.k8s.io\"", grp);
        }
        if (!kind || !(strcmp(kind, "ClusterRole") == 0 || (namespaced && strcmp(kind, "Role") == 0)))
            apisrv_invalid_add(inv, "FieldValueNotSupported", "roleRef.kind", "Unsupported value: \"%s\": supported values: %s",
                               kind ? kind : "", namespaced ? "\"Role\", \"ClusterRole\"" : "\"ClusterRole\"");
        if (!name || !*name) apisrv_invalid_add(inv, "FieldValueRequired", "roleRef.name", "Required value");
        const cJSON *oref = old ? cJSON_GetObjectItemCaseSensitive(old, "roleRef") : NULL;
        if (oref && !cJSON_Compare(oref, ref, 1))
            apisrv_invalid_add(inv, "FieldValueInvalid", "roleRef", "Invalid value: cannot change roleRef");
    }
    const cJSON *subs = get(obj, "subjects"), *s;
    if (subs && !cJSON_IsNull(subs) && !cJSON_IsArray(subs)) {
        apisrv_invalid_add(inv, "FieldValueInvalid", "subjects", "Invalid value: must be a list");
        return 0;
    }
    int i = 0;
    cJSON_ArrayForEach(s, subs) {
        char f[64];
        const char *kind = apisrv_str(s, "kind"), *name = apisrv_str(s, "name"), *ns = apisrv_str(s, "namespace");
        int sa = kind && strcmp(kind, "ServiceAccount") == 0;
        int ug = kind && (strcmp(kind, "User") == 0 || strcmp(kind, "Group") == 0);
        if (!sa && !ug) {
            snprintf(f, sizeof f, "subjects[%d].kind", i);
            apisrv_invalid_add(inv, "FieldValueNotSupported", f,
                               "Unsupported value: \"%s\": supported values: \"ServiceAccount\", \"User\", \"Group\"", kind ? kind : "");
        }
        if (!name || !*name) {
            snprintf(f, sizeof f, "subjects[%d].name", i);
            apisrv_invalid_add(inv, "FieldValueRequired", f, "Required value");
        }
        if (sa && !namespaced && (!ns || !*ns)) {
            snprintf(f, sizeof f, "subjects[%d].namespace", i);
            apisrv_invalid_add(inv, "FieldValueRequired", f, "Required value");
        }
        i++;
    }
    if (!inv->n && apisrv_rbac_check_binding_write(c, obj, old) < 0) return -1;
    return 0;
}

const apisrv_column_t apisrv_cols_rbac_binding[] = {
    { "Name", "string", "name", 0 },
    { "Role", "string", "", 0 },
    { "Age", "string", "", 0 },
    { "Users", "string", "", 1 },
    { "Groups", "string", "", 1 },
    { "ServiceAccounts", "string", "", 1 },
    { NULL, NULL, NULL, 0 },
};

static void join(const cJSON *subs, const char *kind, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    const cJSON *s;
    cJSON_ArrayForEach(s, subs) {
        const char *k = apisrv_str(s, "kind"), *name = apisrv_str(s, "name"), *ns = apisrv_str(s, "namespace");
        if (!k || !name || strcmp(k, kind) != 0) continue;
        int n = strcmp(kind, "ServiceAccount") == 0
            ? snprintf(buf + o, len - o, "%s%s/%s", o ? ", " : "", ns ? ns : "", name)
            : snprintf(buf + o, len - o, "%s%s", o ? ", " : "", name);
        if (n < 0 || (size_t)n >= len - o) break;
        o += (size_t)n;
    }
}

void apisrv_cells_rbac_binding(const cJSON *obj, cJSON *cells, int64_t now)
{
    char role[300], users[512], groups[512], sas[512];
    const char *k = apisrv_str(obj, "roleRef.kind"), *n = apisrv_str(obj, "roleRef.name");
    snprintf(role, sizeof role, "%s/%s", k ? k : "", n ? n : "");
    const cJSON *subs = get(obj, "subjects");
    join(subs, "User", users, sizeof users);
    join(subs, "Group", groups, sizeof groups);
    join(subs, "ServiceAccount", sas, sizeof sas);
    /* Name and Age as every kind shows them (the default cells) */
    cJSON *tmp = cJSON_CreateArray();
    if (!tmp) return;
    apisrv_default_cells(obj, tmp, now);
    cJSON *name = cJSON_DetachItemFromArray(tmp, 0), *age = cJSON_DetachItemFromArray(tmp, 0);
    cJSON_Delete(tmp);
    cJSON_AddItemToArray(cells, name ? name : cJSON_CreateString(""));
    cJSON_AddItemToArray(cells, cJSON_CreateString(role));
    cJSON_AddItemToArray(cells, age ? age : cJSON_CreateString(""));
    cJSON_AddItemToArray(cells, cJSON_CreateString(users));
    cJSON_AddItemToArray(cells, cJSON_CreateString(groups));
    cJSON_AddItemToArray(cells, cJSON_CreateString(sas));
}
