/* Content-Type -> patcher; see patch_type.h. */
#include "api/patch_type.h"

#include <string.h>
#include <strings.h>

#include "api/patch_json.h"
#include "api/patch_merge.h"
#include "api/patch_strategic.h"

skiff_api_patch_type_t skiff_api_patch_type(const char *ct)
{
    static const struct { const char *mt; skiff_api_patch_type_t t; } types[] = {
        { "application/json-patch+json", SKIFF_API_PATCH_JSON },
        { "application/merge-patch+json", SKIFF_API_PATCH_MERGE },
        { "application/strategic-merge-patch+json", SKIFF_API_PATCH_STRATEGIC },
        { "application/apply-patch+yaml", SKIFF_API_PATCH_APPLY },
    };
    if (!ct) return SKIFF_API_PATCH_UNKNOWN;
    while (*ct == ' ' || *ct == '\t') ct++;
    size_t n = strcspn(ct, ";");
    while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t')) n--;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strlen(types[i].mt) == n && !strncasecmp(types[i].mt, ct, n)) return types[i].t;
    return SKIFF_API_PATCH_UNKNOWN;
}

int skiff_api_patch(skiff_api_patch_type_t type, const cJSON *doc, const cJSON *patch, const char *kind, cJSON **out,
                    skiff_error_t *err)
{
    if (out) *out = NULL;
    switch (type) {
    case SKIFF_API_PATCH_JSON: return skiff_api_json_patch(doc, patch, out, err);
    case SKIFF_API_PATCH_MERGE: return skiff_api_merge_patch(doc, patch, out, err);
    case SKIFF_API_PATCH_STRATEGIC: return skiff_api_strategic_patch(doc, patch, kind, out, err);
    default:
        return skiff_error_set(err, SKIFF_E_UNSUPPORTED,
                               "the body of the request was in an unknown format - accepted media types include: "
                               "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, "
                               "application/strategic-merge-patch+json");
    }
}
