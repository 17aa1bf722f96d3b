/* core/api/patch_json — RFC 6902 JSON patch
 * (Content-Type: application/json-patch+json; kubectl rollout undo, patch --type=json).
 *
 * Operations add, remove, replace, move, copy, test, with RFC 6901 pointers
 * (~1 is '/', ~0 is '~'; "-" is one past the end of an array, for add/move/copy
 * targets). Array indexes are decimal without leading zeros; negative
 * indexes are refused. The patch is applied to a copy, so a failing
 * operation leaves no partial result — as kube-apiserver, which applies the
 * whole patch or nothing.
 */
#ifndef SKIFF_CORE_API_PATCH_JSON_H
#define SKIFF_CORE_API_PATCH_JSON_H

#include <cjson/cJSON.h>
#include <skiff/error.h>

/* Error codes, with the HTTP status the API server should answer
 * (see skiff_api_json_patch_http_status):
 *   SKIFF_E_INVALID  — the patch document is malformed (not an array, an op
 *                      without "op"/"path"/"value"/"from", an unknown op, a
 *                      bad pointer syntax): 400 BadRequest, as kube-apiserver
 *                      answers a patch it cannot decode.
 *   SKIFF_E_NOTFOUND — an op does not apply to this document (missing path,
 *                      index out of range, a scalar where a container is
 *                      needed, move into its own child): 422.
 *   SKIFF_API_E_TEST_FAILED (= SKIFF_E_CONFLICT) — a "test" op compared
 *                      unequal: 422 like kube-apiserver (which wraps every
 *                      apply error in 422 Invalid); a server that prefers 409
 *                      can tell it apart by this code.
 *   SKIFF_E_TOOLARGE — more than SKIFF_API_JSON_PATCH_MAX_OPS operations:
 *                      kube-apiserver answers 422 with `The allowed maximum
 *                      operations in a JSON patch is 10000, got N`.
 * Messages name the op index and path, e.g.
 *   `json patch op 1 (replace "/spec/foo"): doc is missing path "/spec/foo"`. */
#define SKIFF_API_E_TEST_FAILED SKIFF_E_CONFLICT
#define SKIFF_API_JSON_PATCH_MAX_OPS 10000

/* Apply the JSON patch array `patch` to `doc`; a NEW tree goes to *out
 * (caller frees with cJSON_Delete). `doc` and `patch` are borrowed and never
 * modified. On error *out is NULL and err says which op failed and why. */
int skiff_api_json_patch(const cJSON *doc, const cJSON *patch, cJSON **out, skiff_error_t *err);

/* Resolve an RFC 6901 pointer in `doc` (borrowed). Returns the item (owned by
 * doc) or NULL with SKIFF_E_INVALID/SKIFF_E_NOTFOUND in err. "" is doc. */
cJSON *skiff_api_json_pointer_get(const cJSON *doc, const char *pointer, skiff_error_t *err);

/* HTTP status the API server answers for a code from skiff_api_json_patch:
 * 400, 422 (also for SKIFF_E_TOOLARGE), or 500 for anything else (-ENOMEM). */
int skiff_api_json_patch_http_status(int code);

#endif
