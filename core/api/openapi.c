/* core/api/openapi — the minimal OpenAPI v3 kubectl needs before writes:
 * a root index of group versions and, per group version, one PATCH operation
 * per kind carrying its GVK and a `fieldValidation` parameter, which tells
 * kubectl to leave validation to the server (KUBECTL-WIRE §5a). */
#include <stdio.h>
#include <string.h>

#include "api/internal.h"

#define HASH "skiff-1"

static void gv_path(const apisrv_resource_t *r, char *buf, size_t len)
{
    if (*r->group) snprintf(buf, len, "apis/%s/%s", r->group, r->version);
    else snprintf(buf, len, "api/%s", r->version);
}

static int root(apisrv_call_t *c)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON *paths = cJSON_AddObjectToObject(doc, "paths");
    for (size_t i = 0; i < apisrv_nresources; i++) {
        char gv[128], url[200];
        gv_path(&apisrv_resources[i], gv, sizeof gv);
        if (cJSON_GetObjectItemCaseSensitive(paths, gv)) continue;
        snprintf(url, sizeof url, "/openapi/v3/%s?hash=%s", gv, HASH);
        cJSON_AddStringToObject(cJSON_AddObjectToObject(paths, gv), "serverRelativeURL", url);
    }
    return apisrv_reply_json(c, 200, doc);
}

static int group_version(apisrv_call_t *c, const char *gvwant)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "openapi", "3.0.0");
    cJSON *info = cJSON_AddObjectToObject(doc, "info");
    cJSON_AddStringToObject(info, "title", "Kubernetes");
    cJSON_AddStringToObject(info, "version", "v1.32.0");
    cJSON *paths = cJSON_AddObjectToObject(doc, "paths");
    int any = 0;
    for (size_t i = 0; i < apisrv_nresources; i++) {
        const apisrv_resource_t *r = &apisrv_resources[i];
        char gv[128], p[300];
        gv_path(r, gv, sizeof gv);
        if (strcmp(gv, gvwant) != 0) continue;
        any = 1;
        if (r->namespaced) snprintf(p, sizeof p, "/%s/namespaces/{namespace}/%s/{name}", gv, r->plural);
        else snprintf(p, sizeof p, "/%s/%s/{name}", gv, r->plural);
        cJSON *op = cJSON_AddObjectToObject(cJSON_AddObjectToObject(paths, p), "patch");
        cJSON *gvk = cJSON_AddObjectToObject(op, "x-kubernetes-group-version-kind");
        cJSON_AddStringToObject(gvk, "group", r->group);
        cJSON_AddStringToObject(gvk, "version", r->version);
        cJSON_AddStringToObject(gvk, "kind", r->kind);
        cJSON *params = cJSON_AddArrayToObject(op, "parameters");
        cJSON *fv = cJSON_CreateObject();
        cJSON_AddStringToObject(fv, "name", "fieldValidation");
        cJSON_AddStringToObject(fv, "in", "query");
        cJSON_AddItemToArray(params, fv);
        cJSON_AddObjectToObject(op, "responses");
    }
    if (!any) {
        cJSON_Delete(doc);
        return apisrv_fail(c, 404, "NotFound", "the server could not find the requested resource");
    }
    return apisrv_reply_json(c, 200, doc);
}

int apisrv_handle_openapi(apisrv_call_t *c, char **segs, int nseg)
{
    if (nseg == 2 && strcmp(segs[1], "v3") == 0) return root(c);
    if (nseg >= 4 && strcmp(segs[1], "v3") == 0) {
        char gv[200];
        if (nseg == 4) snprintf(gv, sizeof gv, "%s/%s", segs[2], segs[3]);
        else if (nseg == 5) snprintf(gv, sizeof gv, "%s/%s/%s", segs[2], segs[3], segs[4]);
        else return apisrv_fail(c, 404, "NotFound", "the server could not find the requested resource");
        return group_version(c, gv);
    }
    return apisrv_fail(c, 404, "NotFound", "the server could not find the requested resource");
}
