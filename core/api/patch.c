/* core/api/patch — glue from PATCH content types to the patch libraries in
 * core/api (patch_merge, patch_json, patch_strategic, apply). Libraries not
 * built into this tree answer 415 rather than guessing. */
#include <string.h>

#include "api/internal.h"
#include "api/patch.h"

#if __has_include("api/patch_merge.h")
#include "api/patch_merge.h"
#define HAVE_MERGE 1
#endif
#if __has_include("api/patch_json.h")
#include "api/patch_json.h"
#define HAVE_JSONPATCH 1
#endif
#if __has_include("api/apply.h")
#include "api/apply.h"
#define HAVE_APPLY 1
#endif
#if __has_include("api/patch_strategic.h")
#include "api/patch_strategic.h"
#define HAVE_STRATEGIC 1
#endif

int apisrv_patch_type(const char *ctype)
{
    if (!ctype) return -1;
    size_t n = strcspn(ctype, ";");
    if (n == strlen("application/merge-patch+json") && strncmp(ctype, "application/merge-patch+json", n) == 0) return APISRV_PATCH_MERGE;
    if (n == strlen("application/json-patch+json") && strncmp(ctype, "application/json-patch+json", n) == 0) return APISRV_PATCH_JSON;
    if (n == strlen("application/strategic-merge-patch+json") && strncmp(ctype, "application/strategic-merge-patch+json", n) == 0) return APISRV_PATCH_STRATEGIC;
    if (n == strlen("application/apply-patch+yaml") && strncmp(ctype, "application/apply-patch+yaml", n) == 0) return APISRV_PATCH_APPLY;
    return -1;
}

int apisrv_patch_apply(apisrv_call_t *c, int type, const cJSON *doc, const cJSON *patch,
                       const char *kind, cJSON **out)
{
    skiff_error_t err;
    skiff_error_clear(&err);
    int rc = SKIFF_E_UNSUPPORTED;
    *out = NULL;
    switch (type) {
#ifdef HAVE_MERGE
    case APISRV_PATCH_MERGE:
        rc = skiff_api_merge_patch(doc, patch, out, &err);
        break;
#endif
#ifdef HAVE_JSONPATCH
    case APISRV_PATCH_JSON:
        rc = skiff_api_json_patch(doc, patch, out, &err);
        if (rc < 0) {
            int code = skiff_api_json_patch_http_status(rc);
            if (code == 422) {
                apisrv_invalid_t inv = { 0 };
                apisrv_invalid_add(&inv, "FieldValueInvalid", "patch", "%s", err.msg);
                return apisrv_fail_invalid(c, c->name, &inv), -1;
            }
            return apisrv_fail(c, code, code == 409 ? "Conflict" : "BadRequest", "%s", err.msg), -1;
        }
        break;
#endif
#ifdef HAVE_STRATEGIC
    case APISRV_PATCH_STRATEGIC:
        rc = skiff_api_strategic_patch(doc, patch, kind, out, &err);
        break;
#endif
#ifdef HAVE_APPLY
    case APISRV_PATCH_APPLY: {
        char av[64], ts[40];
        const apisrv_resource_t *r = c->res;
        if (strcmp(kind, "Scale") == 0) snprintf(av, sizeof av, "autoscaling/v1");
        else apisrv_resource_api_version(r, av, sizeof av);
        apisrv_format_time(c->now_ns, ts, sizeof ts);
        const char *mgr = apisrv_param(c, "fieldManager");
        if (!mgr || !*mgr) {
            apisrv_fail(c, 400, "BadRequest", "fieldManager is required for apply requests");
            return -1;
        }
        skiff_api_apply_opts_t o = { .manager = mgr, .api_version = av, .kind = kind, .time = ts,
                                     .force = apisrv_param_true(c, "force") };
        /* identity fields are the server's, not anyone's managed fields */
        const char *pn = cJSON_IsObject(patch) ? apisrv_str(patch, "metadata.name") : NULL;
        if (pn && *pn && c->name[0] && strcmp(pn, c->name) != 0) {
            apisrv_fail(c, 400, "BadRequest", "the name of the object (%s) does not match the name on the URL (%s)", pn, c->name);
            return -1;
        }
        cJSON *cfg = cJSON_Duplicate(patch, 1);
        cJSON *md = cJSON_GetObjectItemCaseSensitive(cfg, "metadata");
        static const char *const ident[] = { "name", "namespace", "resourceVersion", "uid", "creationTimestamp",
                                             "generation", "managedFields", "selfLink" };
        for (size_t k = 0; cJSON_IsObject(md) && k < sizeof ident / sizeof ident[0]; k++)
            cJSON_DeleteItemFromObjectCaseSensitive(md, ident[k]);
        if (cJSON_IsObject(md) && !md->child) cJSON_DeleteItemFromObjectCaseSensitive(cfg, "metadata");
        cJSON *causes = NULL;
        rc = cfg ? skiff_api_apply(doc, cfg, &o, out, &causes, &err) : -ENOMEM;
        cJSON_Delete(cfg);
        if (rc == SKIFF_E_CONFLICT) {
            apisrv_fail_causes(c, 409, "Conflict", err.msg, causes);
            cJSON_Delete(causes);
            return -1;
        }
        cJSON_Delete(causes);
        break;
    }
#endif
    default:
        (void)doc; (void)patch; (void)kind;
        apisrv_fail(c, 415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json");
        return -1;
    }
    if (rc < 0) {
        if (rc == -ENOMEM) apisrv_fail(c, 500, "InternalError", "out of memory applying the patch");
        else if (rc == SKIFF_E_CONFLICT) apisrv_fail(c, 409, "Conflict", "%s", err.msg);
        else {
            apisrv_invalid_t inv = { 0 };
            apisrv_invalid_add(&inv, "FieldValueInvalid", "patch", "%s", err.msg[0] ? err.msg : "the patch could not be applied");
            apisrv_fail_invalid(c, c->name, &inv);
        }
        return -1;
    }
    return 0;
}
