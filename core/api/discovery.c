/* core/api/discovery — /version, /api, /apis and the per-group-version
 * APIResourceLists kubectl reads for short names, scopes, verbs and the
 * "all" category. Legacy (non-aggregated) discovery: kubectl then fetches each
 * group version, which is what the table drives. */
#include <stdio.h>
#include <string.h>

#include "api/internal.h"

static const char *const all_verbs[] = { "create", "delete", "deletecollection", "get", "list", "patch", "update", "watch" };

static cJSON *verbs(const char *const *v, size_t n)
{
    return cJSON_CreateStringArray(v, (int)n);
}

static void add_sub(cJSON *arr, const apisrv_resource_t *r, const char *sub, const char *kind,
                    const char *group, const char *version, const char *const *v, size_t nv)
{
    char name[96];
    snprintf(name, sizeof name, "%s/%s", r->plural, sub);
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "name", name);
    cJSON_AddStringToObject(x, "singularName", "");
    cJSON_AddBoolToObject(x, "namespaced", r->namespaced);
    if (group) cJSON_AddStringToObject(x, "group", group);
    if (version) cJSON_AddStringToObject(x, "version", version);
    cJSON_AddStringToObject(x, "kind", kind);
    cJSON_AddItemToObject(x, "verbs", verbs(v, nv));
    cJSON_AddItemToArray(arr, x);
}

static int resource_list(apisrv_call_t *c, const char *group, const char *version)
{
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "kind", "APIResourceList");
    cJSON_AddStringToObject(l, "apiVersion", "v1");
    char gv[96];
    if (*group) snprintf(gv, sizeof gv, "%s/%s", group, version);
    else snprintf(gv, sizeof gv, "%s", version);
    cJSON_AddStringToObject(l, "groupVersion", gv);
    cJSON *arr = cJSON_AddArrayToObject(l, "resources");
    int any = 0;
    static const char *const gpu[] = { "get", "patch", "update" };
    static const char *const create[] = { "create" };
    static const char *const update[] = { "update" };
    for (size_t i = 0; i < apisrv_nresources; i++) {
        const apisrv_resource_t *r = &apisrv_resources[i];
        if (strcmp(r->group, group) || strcmp(r->version, version)) continue;
        any = 1;
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", r->plural);
        cJSON_AddStringToObject(x, "singularName", r->singular);
        cJSON_AddBoolToObject(x, "namespaced", r->namespaced);
        cJSON_AddStringToObject(x, "kind", r->kind);
        cJSON_AddItemToObject(x, "verbs", r->handle ? verbs(create, 1) : verbs(all_verbs, 8));
        if (r->short_names[0]) {
            cJSON *sn = cJSON_AddArrayToObject(x, "shortNames");
            for (int k = 0; k < 3 && r->short_names[k]; k++) cJSON_AddItemToArray(sn, cJSON_CreateString(r->short_names[k]));
        }
        if (r->in_all) {
            cJSON *cat = cJSON_AddArrayToObject(x, "categories");
            cJSON_AddItemToArray(cat, cJSON_CreateString("all"));
        }
        cJSON_AddItemToArray(arr, x);
        if (r->subs & APISRV_SUB_STATUS) add_sub(arr, r, "status", r->kind, NULL, NULL, gpu, 3);
        if (r->subs & APISRV_SUB_SCALE) add_sub(arr, r, "scale", "Scale", "autoscaling", "v1", gpu, 3);
        if (r->subs & APISRV_SUB_BINDING) add_sub(arr, r, "binding", "Binding", NULL, NULL, create, 1);
        if (r->subs & APISRV_SUB_EVICTION) add_sub(arr, r, "eviction", "Eviction", "policy", "v1", create, 1);
        if (r->subs & APISRV_SUB_FINALIZE) add_sub(arr, r, "finalize", r->kind, NULL, NULL, update, 1);
        if (r->subs & APISRV_SUB_TOKEN) add_sub(arr, r, "token", "TokenRequest", "authentication.k8s.io", "v1", create, 1);
    }
    if (!any) {
        cJSON_Delete(l);
        return apisrv_fail(c, 404, "NotFound", "the server could not find the requested resource");
    }
    return apisrv_reply_json(c, 200, l);
}

static cJSON *group_obj(const char *group, const char *version)
{
    cJSON *g = cJSON_CreateObject();
    char gv[96];
    snprintf(gv, sizeof gv, "%s/%s", group, version);
    cJSON_AddStringToObject(g, "name", group);
    cJSON *vs = cJSON_AddArrayToObject(g, "versions");
    cJSON *v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "groupVersion", gv);
    cJSON_AddStringToObject(v, "version", version);
    cJSON_AddItemToArray(vs, v);
    cJSON *p = cJSON_AddObjectToObject(g, "preferredVersion");
    cJSON_AddStringToObject(p, "groupVersion", gv);
    cJSON_AddStringToObject(p, "version", version);
    return g;
}

static int group_list(apisrv_call_t *c, const char *only)
{
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "kind", only ? "APIGroup" : "APIGroupList");
    cJSON_AddStringToObject(l, "apiVersion", "v1");
    cJSON *groups = only ? NULL : cJSON_AddArrayToObject(l, "groups");
    for (size_t i = 0; i < apisrv_nresources; i++) {
        const apisrv_resource_t *r = &apisrv_resources[i];
        if (!*r->group) continue;
        int seen = 0;
        for (size_t j = 0; j < i; j++) if (strcmp(apisrv_resources[j].group, r->group) == 0) seen = 1;
        if (seen) continue;
        if (only) {
            if (strcmp(only, r->group) != 0) continue;
            cJSON *g = group_obj(r->group, r->version);
            cJSON_Delete(l);
            cJSON_DeleteItemFromObjectCaseSensitive(g, "kind");
            cJSON_AddStringToObject(g, "kind", "APIGroup");
            cJSON_AddStringToObject(g, "apiVersion", "v1");
            return apisrv_reply_json(c, 200, g);
        }
        cJSON_AddItemToArray(groups, group_obj(r->group, r->version));
    }
    if (only) {
        cJSON_Delete(l);
        return apisrv_fail(c, 404, "NotFound", "the server could not find the requested resource");
    }
    return apisrv_reply_json(c, 200, l);
}

/* Aggregated discovery (apidiscovery.k8s.io/v2): /api or /apis in one
 * answer, so kubectl skips the per-group-version requests. */
static cJSON *gk(const char *group, const char *version, const char *kind)
{
    cJSON *k = cJSON_CreateObject();
    cJSON_AddStringToObject(k, "group", group);
    cJSON_AddStringToObject(k, "version", version);
    cJSON_AddStringToObject(k, "kind", kind);
    return k;
}

static void agg_sub(cJSON *subs, const char *name, cJSON *kind, const char *const *v, int nv)
{
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "subresource", name);
    cJSON_AddItemToObject(x, "responseKind", kind);
    cJSON_AddItemToObject(x, "verbs", cJSON_CreateStringArray(v, nv));
    cJSON_AddItemToArray(subs, x);
}

static int aggregated(apisrv_call_t *c, int core)
{
    static const char *const gpu[] = { "get", "patch", "update" };
    static const char *const create[] = { "create" };
    static const char *const update[] = { "update" };
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "kind", "APIGroupDiscoveryList");
    cJSON_AddStringToObject(l, "apiVersion", "apidiscovery.k8s.io/v2");
    cJSON_AddObjectToObject(l, "metadata");
    cJSON *items = cJSON_AddArrayToObject(l, "items");
    for (size_t i = 0; i < apisrv_nresources; i++) {
        const apisrv_resource_t *r = &apisrv_resources[i];
        if ((*r->group == '\0') != core) continue;
        cJSON *grp = NULL, *it;
        cJSON_ArrayForEach(it, items) if (strcmp(apisrv_str(it, "metadata.name"), r->group) == 0) grp = it;
        if (!grp) {
            grp = cJSON_CreateObject();
            cJSON_AddStringToObject(cJSON_AddObjectToObject(grp, "metadata"), "name", r->group);
            cJSON *vs = cJSON_AddArrayToObject(grp, "versions");
            cJSON *v = cJSON_CreateObject();
            cJSON_AddStringToObject(v, "version", r->version);
            cJSON_AddArrayToObject(v, "resources");
            cJSON_AddStringToObject(v, "freshness", "Current");
            cJSON_AddItemToArray(vs, v);
            cJSON_AddItemToArray(items, grp);
        }
        cJSON *res = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(grp, "versions"), 0), "resources");
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "resource", r->plural);
        cJSON_AddItemToObject(x, "responseKind", gk(r->group, r->version, r->kind));
        cJSON_AddStringToObject(x, "scope", r->namespaced ? "Namespaced" : "Cluster");
        cJSON_AddStringToObject(x, "singularResource", r->singular);
        cJSON_AddItemToObject(x, "verbs", r->handle ? verbs(create, 1) : verbs(all_verbs, 8));
        if (r->short_names[0]) {
            cJSON *sn = cJSON_AddArrayToObject(x, "shortNames");
            for (int k = 0; k < 3 && r->short_names[k]; k++) cJSON_AddItemToArray(sn, cJSON_CreateString(r->short_names[k]));
        }
        if (r->in_all) cJSON_AddItemToArray(cJSON_AddArrayToObject(x, "categories"), cJSON_CreateString("all"));
        if (r->subs) {
            cJSON *subs = cJSON_AddArrayToObject(x, "subresources");
            if (r->subs & APISRV_SUB_STATUS) agg_sub(subs, "status", gk(r->group, r->version, r->kind), gpu, 3);
            if (r->subs & APISRV_SUB_SCALE) agg_sub(subs, "scale", gk("autoscaling", "v1", "Scale"), gpu, 3);
            if (r->subs & APISRV_SUB_BINDING) agg_sub(subs, "binding", gk("", "v1", "Binding"), create, 1);
            if (r->subs & APISRV_SUB_EVICTION) agg_sub(subs, "eviction", gk("policy", "v1", "Eviction"), create, 1);
            if (r->subs & APISRV_SUB_FINALIZE) agg_sub(subs, "finalize", gk(r->group, r->version, r->kind), update, 1);
            if (r->subs & APISRV_SUB_TOKEN) agg_sub(subs, "token", gk("authentication.k8s.io", "v1", "TokenRequest"), create, 1);
        }
        cJSON_AddItemToArray(res, x);
    }
    int rc = apisrv_reply_json(c, 200, l);
    snprintf(c->resp->content_type, sizeof c->resp->content_type,
             "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
    return rc;
}

static int wants_aggregated(const apisrv_call_t *c)
{
    const char *a = c->req->accept;
    return a && strstr(a, "g=apidiscovery.k8s.io") && strstr(a, "v=v2;") && strstr(a, "as=APIGroupDiscoveryList");
}

int apisrv_handle_discovery(apisrv_call_t *c, char **segs, int nseg)
{
    if (nseg == 1 && (strcmp(segs[0], "api") == 0 || strcmp(segs[0], "apis") == 0) && wants_aggregated(c))
        return aggregated(c, strcmp(segs[0], "api") == 0);
    if (nseg == 1 && strcmp(segs[0], "version") == 0) {
        cJSON *v = cJSON_CreateObject();
        cJSON_AddStringToObject(v, "major", "1");
        cJSON_AddStringToObject(v, "minor", "32");
        cJSON_AddStringToObject(v, "gitVersion", "v1.32.0-skiff");
        cJSON_AddStringToObject(v, "gitCommit", "0000000000000000000000000000000000000000");
        cJSON_AddStringToObject(v, "gitTreeState", "clean");
        cJSON_AddStringToObject(v, "buildDate", "2026-01-01T00:00:00Z");
        cJSON_AddStringToObject(v, "goVersion", "go1.23.0");
        cJSON_AddStringToObject(v, "compiler", "gc");
        cJSON_AddStringToObject(v, "platform", "linux/amd64");
        return apisrv_reply_json(c, 200, v);
    }
    if (nseg == 1 && strcmp(segs[0], "api") == 0) {
        cJSON *v = cJSON_CreateObject();
        cJSON_AddStringToObject(v, "kind", "APIVersions");
        cJSON *vs = cJSON_AddArrayToObject(v, "versions");
        cJSON_AddItemToArray(vs, cJSON_CreateString("v1"));
        cJSON *a = cJSON_AddArrayToObject(v, "serverAddressByClientCIDRs");
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "clientCIDR", "0.0.0.0/0");
        char addr[160];
        snprintf(addr, sizeof addr, "%s", c->s->listen[0] ? c->s->listen : "127.0.0.1:6443");
        cJSON_AddStringToObject(x, "serverAddress", addr);
        cJSON_AddItemToArray(a, x);
        return apisrv_reply_json(c, 200, v);
    }
    if (nseg == 2 && strcmp(segs[0], "api") == 0 && strcmp(segs[1], "v1") == 0) return resource_list(c, "", "v1");
    if (nseg == 1 && strcmp(segs[0], "apis") == 0) return group_list(c, NULL);
    if (nseg == 2 && strcmp(segs[0], "apis") == 0) return group_list(c, segs[1]);
    if (nseg == 3 && strcmp(segs[0], "apis") == 0) return resource_list(c, segs[1], segs[2]);
    if (nseg == 0) {
        cJSON *r = cJSON_CreateObject();
        const char *paths[] = { "/api", "/api/v1", "/apis", "/healthz", "/livez", "/metrics", "/openapi/v3", "/readyz", "/version" };
        cJSON_AddItemToObject(r, "paths", cJSON_CreateStringArray(paths, 9));
        return apisrv_reply_json(c, 200, r);
    }
    return apisrv_fail(c, 404, "NotFound", "the server could not find the requested resource");
}
