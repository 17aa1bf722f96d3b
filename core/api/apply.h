/* core/api/apply — server-side apply (PATCH with Content-Type
 * application/apply-patch+yaml; kubectl apply --server-side), simplified.
 *
 * What it does, as kube-apiserver does for the common case:
 *  - the applied configuration is merged into the live object (maps
 *    recursively, lists by the merge keys of patch_schema.h, other lists
 *    replaced whole); merged lists are ordered as structured-merge-diff
 *    orders them: items only in the live list keep their place, applied
 *    items follow the applied order (a new container listed last lands
 *    last);
 *  - each field manager's fields are kept in metadata.managedFields entries
 *    {manager, operation:"Apply"|"Update", apiVersion, time?, fieldsType:
 *    "FieldsV1", fieldsV1}; fields this manager applied last time and no
 *    longer applies are removed from the object unless another manager
 *    also owns them;
 *  - applying a value that differs from the live one in a field another
 *    manager owns is a conflict: without force the call fails with
 *    SKIFF_E_CONFLICT (HTTP 409, reason Conflict) and a message/causes
 *    list worded as kube's; with force the field changes hands.
 * Left to the caller (as kube-apiserver does before merging): the applied
 * object must carry apiVersion and kind and its metadata.name must match
 * the URL; a metadata.resourceVersion in it is a precondition (409 if it
 * differs from live) — it is otherwise merged in like any field.
 * Simplifications (documented, deliberate): list items are keyed by the
 * single merge key of the table (kube uses listMapKeys, e.g. containerPort
 * + protocol); ownership of a whole map/list by another manager is checked
 * only at the exact same path; managers are told apart by (manager,
 * operation) only, not subresource; no apiVersion conversion.
 */
#ifndef SKIFF_CORE_API_APPLY_H
#define SKIFF_CORE_API_APPLY_H

#include <cjson/cJSON.h>
#include <skiff/error.h>

typedef struct skiff_api_apply_opts {
    const char *manager;     /* ?fieldManager=, required for apply */
    const char *api_version; /* of the request, e.g. "apps/v1"; recorded in the entry */
    const char *kind;        /* for merge keys ("Deployment") */
    const char *time;        /* RFC 3339 for managedFields[].time; NULL = omit */
    int force;               /* ?force=true */
    /* record_update only: */
    const char *subresource; /* "status", "scale"; NULL = the main resource */
    unsigned fieldset_flags; /* SKIFF_API_FIELDSET_* (api/fieldset.h), e.g. SKIFF_API_FIELDSET_SKIP_STATUS */
} skiff_api_apply_opts_t;

/* Apply `applied` to `live` (NULL when the object does not exist yet: the
 * result is then the applied object plus its managedFields entry). A NEW
 * object goes to *out (caller frees). Server-owned metadata (uid,
 * resourceVersion, creationTimestamp...) is left for the server to stamp.
 * `live` and `applied` are borrowed, never modified.
 * On SKIFF_E_CONFLICT, err->msg is kube's text
 *   `Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas`
 * and, if `causes` is non-NULL, *causes is a NEW array (caller frees) of
 *   {"type":"FieldManagerConflict","message":"conflict with \"kubectl-edit\" using apps/v1","field":".spec.replicas"}
 * for the Status body's details.causes.
 * Other errors: SKIFF_E_INVALID (no manager — kube: 400 "fieldManager is
 * required for apply requests" —, applied not an object, a list item without
 * its merge key, too deep), -ENOMEM. On error *out is NULL. */
int skiff_api_apply(const cJSON *live, const cJSON *applied, const skiff_api_apply_opts_t *opts,
                    cJSON **out, cJSON **causes, skiff_error_t *err);

/* Record a non-apply write (create, update, any patch) by opts->manager in
 * `obj`'s managedFields, in place, as kube-apiserver's field manager does:
 * the fields new or changed against `old` (every field when old is NULL;
 * skiff_api_fieldset_diff) join the "Update" entry of (manager,
 * subresource) and leave other managers' sets; fields gone from obj leave
 * every set; emptied entries are dropped; entries are kept in kube's order
 * (Apply before Update, then by time, manager, apiVersion, subresource).
 * The entry's time and apiVersion change only when its set does, so a
 * write that changes nothing leaves managedFields byte-identical. When obj
 * carries no managedFields, old's are used (a PUT body usually omits them).
 * `old` is borrowed. opts->force is ignored.
 * Errors: SKIFF_E_INVALID (not an object / too deep / a merging list's item
 * without its key), -ENOMEM; obj's managedFields are then as before. */
int skiff_api_apply_record_update(cJSON *obj, const cJSON *old, const skiff_api_apply_opts_t *opts, skiff_error_t *err);

#endif
