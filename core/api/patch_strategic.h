/* core/api/patch_strategic — Kubernetes strategic merge patch
 * (Content-Type: application/strategic-merge-patch+json; kubectl apply,
 * rollout restart, cordon, edit).
 *
 * Like a JSON merge patch (maps merge, null deletes), except that lists the
 * Kubernetes types tag `patchStrategy:"merge"` are merged: lists of maps
 * item by item on their merge key (containers by name, container ports by
 * containerPort, service ports by port, volumeMounts by mountPath... see
 * patch_schema.h), primitive lists (finalizers) as sets. Other lists are
 * replaced. Merged lists are ordered as kube's mergeSlice orders them: the
 * items the patch names follow the patch's order, the others keep their
 * live order and are interleaved by live position, so without
 * $setElementOrder a new item lands before the server-only items after it
 * (kube's known "prepend"; kubectl always sends $setElementOrder).
 * Directives honoured:
 *   {"$patch":"replace"}  in a map: the map replaces the original whole;
 *                         as a list item: the list is replaced by the others.
 *   {"$patch":"delete"}   in a map: the map is deleted; as a list item with
 *                         the merge key: that item is deleted.
 *   {"$patch":"merge"}    the default; accepted and dropped.
 *   "$retainKeys":[...]   original keys not listed are cleared first.
 *   "$deleteFromPrimitiveList/<f>":[...]  those values leave list f.
 *   "$setElementOrder/<f>":[...]  list f is reordered: the items it names
 *                         follow it, the others keep their live order and are
 *                         interleaved by live position (kube's
 *                         normalizeElementOrder + mergeSortedSlice).
 * Directives never reach the result.
 */
#ifndef SKIFF_CORE_API_PATCH_STRATEGIC_H
#define SKIFF_CORE_API_PATCH_STRATEGIC_H

#include <cjson/cJSON.h>
#include <skiff/error.h>

/* Apply `patch` (a JSON object) to `doc` (the stored object, may be NULL) of
 * the given `kind` ("Deployment", ...; NULL or unknown = only metadata
 * rules). A NEW tree goes to *out (caller frees with cJSON_Delete); `doc` and
 * `patch` are borrowed, never modified.
 * Errors: SKIFF_E_INVALID with the path and reason (patch not an object, a
 * list item without its merge key — `map: {...} does not contain declared
 * merge key: name` as kube says —, an unknown $patch value, $retainKeys not
 * a list of strings or not covering the patch's keys, too deep); the server
 * answers 400 BadRequest (kube answers 422 for the $retainKeys mismatch).
 * -ENOMEM. On error *out is NULL. */
int skiff_api_strategic_patch(const cJSON *doc, const cJSON *patch, const char *kind,
                              cJSON **out, skiff_error_t *err);

/* The same, merging into `doc` in place (used by server-side apply). On
 * error `doc` may be partially patched; callers work on a copy. */
int skiff_api_strategic_patch_inplace(cJSON *doc, const cJSON *patch, const char *kind, skiff_error_t *err);

#endif
