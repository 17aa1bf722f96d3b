/* core/api/patch_merge — RFC 7386 JSON merge patch
 * (Content-Type: application/merge-patch+json; kubectl label/annotate/scale).
 *
 * Objects in the patch are merged key by key, `null` deletes a key, anything
 * else (arrays included) replaces the target value. A patch that is not an
 * object replaces the whole document.
 */
#ifndef SKIFF_CORE_API_PATCH_MERGE_H
#define SKIFF_CORE_API_PATCH_MERGE_H

#include <cjson/cJSON.h>
#include <skiff/error.h>

/* Apply `patch` to `doc` and store a NEW tree in *out; the caller frees it
 * with cJSON_Delete(). `doc` and `patch` are borrowed and never modified.
 * `doc` may be NULL (patching nothing, as for a missing field).
 * Errors: SKIFF_E_INVALID (patch nested deeper than SKIFF_API_MAX_DEPTH, or
 * NULL patch; message names the path), -ENOMEM. On error *out is NULL. */
int skiff_api_merge_patch(const cJSON *doc, const cJSON *patch, cJSON **out, skiff_error_t *err);

/* In-place variant: merges `patch` into the object `*doc`, which may be
 * replaced (when the patch is not an object) — hence the double pointer.
 * Used by other patchers; on error *doc may be partially patched. */
int skiff_api_merge_patch_inplace(cJSON **doc, const cJSON *patch, skiff_error_t *err);

#endif
