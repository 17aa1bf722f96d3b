/* RFC 7386 merge patch; see patch_merge.h. */
#include "api/patch_merge.h"

#include <string.h>

#include "api/json_limits.h"
#include "api/json_util.h"

/* A copy of `patch` with its null members removed (RFC 7386: nulls in a
 * value that is added whole are "delete nothing", not literal nulls). */
static cJSON *merge_strip_nulls(const cJSON *patch, int depth)
{
    if (!cJSON_IsObject(patch)) return cJSON_Duplicate(patch, 1);
    if (depth > SKIFF_API_MAX_DEPTH) return NULL;
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    for (const cJSON *c = patch->child; c; c = c->next) {
        if (cJSON_IsNull(c)) continue;
        cJSON *v = merge_strip_nulls(c, depth + 1);
        if (!v || !cJSON_AddItemToObject(o, c->string, v)) {
            cJSON_Delete(v);
            cJSON_Delete(o);
            return NULL;
        }
    }
    return o;
}

static int merge_into(cJSON **doc, const cJSON *patch, int depth, skiff_error_t *err)
{
    if (depth > SKIFF_API_MAX_DEPTH)
        return skiff_error_set(err, SKIFF_E_INVALID, "merge patch: nested deeper than %d levels",
                               SKIFF_API_MAX_DEPTH);
    if (!cJSON_IsObject(patch)) {
        cJSON *n = cJSON_Duplicate(patch, 1);
        if (!n) return skiff_error_set(err, -ENOMEM, "merge patch: out of memory");
        cJSON_Delete(*doc);
        *doc = n;
        return 0;
    }
    if (!cJSON_IsObject(*doc)) {
        cJSON *n = cJSON_CreateObject();
        if (!n) return skiff_error_set(err, -ENOMEM, "merge patch: out of memory");
        cJSON_Delete(*doc);
        *doc = n;
    }
    for (const cJSON *p = patch->child; p; p = p->next) {
        if (!p->string) continue;
        cJSON *cur = cJSON_GetObjectItemCaseSensitive(*doc, p->string);
        if (cJSON_IsNull(p)) {
            if (cur) cJSON_Delete(cJSON_DetachItemViaPointer(*doc, cur));
            continue;
        }
        if (cur && cJSON_IsObject(p) && cJSON_IsObject(cur)) {
            /* Both objects: merged in place, so the key keeps its position
             * (merge_into never replaces an object target with an object patch). */
            int rc = merge_into(&cur, p, depth + 1, err);
            if (rc) return rc;
            continue;
        }
        cJSON *v = merge_strip_nulls(p, depth + 1);
        if (!v) return skiff_error_set(err, SKIFF_E_INVALID, "merge patch: value of \"%s\" too deep or out of memory", p->string);
        if (skiff_api_json_set(*doc, p->string, v)) {
            cJSON_Delete(v);
            return skiff_error_set(err, -ENOMEM, "merge patch: out of memory");
        }
    }
    return 0;
}

int skiff_api_merge_patch_inplace(cJSON **doc, const cJSON *patch, skiff_error_t *err)
{
    if (!doc || !patch) return skiff_error_set(err, SKIFF_E_INVALID, "merge patch: no patch document");
    return merge_into(doc, patch, 0, err);
}

int skiff_api_merge_patch(const cJSON *doc, const cJSON *patch, cJSON **out, skiff_error_t *err)
{
    if (!out) return skiff_error_set(err, SKIFF_E_INVALID, "merge patch: no output");
    *out = NULL;
    if (!patch) return skiff_error_set(err, SKIFF_E_INVALID, "merge patch: no patch document");
    cJSON *d = NULL;
    if (doc && !(d = cJSON_Duplicate(doc, 1))) return skiff_error_set(err, -ENOMEM, "merge patch: out of memory");
    int rc = merge_into(&d, patch, 0, err);
    if (rc) { cJSON_Delete(d); return rc; }
    *out = d;
    return 0;
}
