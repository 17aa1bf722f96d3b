/* core/api/patch_type — pick the patcher from a PATCH request's Content-Type.
 *
 * kube-apiserver accepts four patch media types on PATCH:
 *   application/json-patch+json           -> skiff_api_json_patch      (patch_json.h)
 *   application/merge-patch+json          -> skiff_api_merge_patch     (patch_merge.h)
 *   application/strategic-merge-patch+json -> skiff_api_strategic_patch (patch_strategic.h)
 *   application/apply-patch+yaml          -> skiff_api_apply           (apply.h; kubectl sends
 *                                            JSON, which is YAML too; other clients may send
 *                                            YAML: decode with skiff_manifest_decode_body,
 *                                            core/manifest/manifest.h)
 * Parameters after ';' (charset) are ignored, case-insensitively.
 */
#ifndef SKIFF_CORE_API_PATCH_TYPE_H
#define SKIFF_CORE_API_PATCH_TYPE_H

#include <cjson/cJSON.h>
#include <skiff/error.h>

typedef enum {
    SKIFF_API_PATCH_UNKNOWN = 0,
    SKIFF_API_PATCH_JSON,
    SKIFF_API_PATCH_MERGE,
    SKIFF_API_PATCH_STRATEGIC,
    SKIFF_API_PATCH_APPLY,
} skiff_api_patch_type_t;

/* The patch type for a Content-Type header value (NULL = unknown). */
skiff_api_patch_type_t skiff_api_patch_type(const char *content_type);

/* Apply a json/merge/strategic patch by type (apply has its own call, as it
 * needs a field manager). *out is NEW (caller frees). For an unknown or
 * apply type: SKIFF_E_UNSUPPORTED with kube's 415 text `the body of the
 * request was in an unknown format - accepted media types include:
 * application/json-patch+json, application/merge-patch+json,
 * application/apply-patch+yaml, application/strategic-merge-patch+json`.
 * Other errors as the chosen patcher's. */
int skiff_api_patch(skiff_api_patch_type_t type, const cJSON *doc, const cJSON *patch, const char *kind,
                    cJSON **out, skiff_error_t *err);

#endif
