/* core/api/fieldset — managedFields field sets (fieldsType FieldsV1).
 *
 * A set is a cJSON object tree in Kubernetes' FieldsV1 form:
 *   "f:<name>"       a map member,
 *   "k:{<key json>}" an item of a list merged by key (patch_schema.h),
 *   "v:<json>"       a value of a primitive set list (finalizers),
 *   "."              the list item itself,
 * with {} as leaves: {"f:spec":{"f:replicas":{},"f:template":{...}}}.
 * Lists without a merge strategy are atomic: one leaf owns them whole.
 * Type metadata and server-owned metadata (apiVersion, kind, metadata.name,
 * namespace, uid, resourceVersion, generation, creationTimestamp,
 * managedFields, deletionTimestamp...) never enter a set.
 * All returned trees are new and owned by the caller (cJSON_Delete).
 */
#ifndef SKIFF_CORE_API_FIELDSET_H
#define SKIFF_CORE_API_FIELDSET_H

#include <cjson/cJSON.h>
#include <skiff/error.h>

#define SKIFF_API_FIELDSET_MAX_SEGS 100

/* The fields `obj` (of `kind`, for list merge keys) sets. *set is new.
 * SKIFF_E_INVALID when too deep or a merging list's item lacks its key. */
int skiff_api_fieldset_from_object(const cJSON *obj, const char *kind, cJSON **set, skiff_error_t *err);

/* Called for each leaf of a set with its segments ("f:spec","f:replicas"). */
typedef int (*skiff_api_fieldset_leaf_fn)(const char *const *segs, int n, void *arg);

/* Visit every leaf; stops at the first non-zero return, which it returns. */
int skiff_api_fieldset_walk(const cJSON *set, skiff_api_fieldset_leaf_fn fn, void *arg);

/* 1 if the set holds the path (as a leaf or an inner node), else 0. */
int skiff_api_fieldset_has(const cJSON *set, const char *const *segs, int n);

/* Add / remove a leaf path (removal prunes emptied parents). 0 or -ENOMEM. */
int skiff_api_fieldset_add(cJSON *set, const char *const *segs, int n);
void skiff_api_fieldset_remove(cJSON *set, const char *const *segs, int n);

/* The value at a path inside an object (borrowed from obj), or NULL. With
 * `parent`, also the item holding it (for detaching). "." resolves to the
 * item itself. */
cJSON *skiff_api_fieldset_resolve(const cJSON *obj, const char *const *segs, int n, cJSON **parent);

/* What a non-apply write (create, update, patch) changed, as
 * kube-apiserver's field manager records it for an "Update" entry:
 * *changed holds the fields of `obj` that are new or whose value differs
 * from `old` (old NULL = a create: every field); a node that did not exist
 * in `old` and has members carries "." (the map or list item itself), as
 * structured-merge-diff's comparison adds it — except members of the
 * object's root on a create (metadata, spec: present in the empty object
 * kube compares with). *removed (skipped when removed is NULL) holds the
 * fields of `old` gone from `obj` (a leaf stands for a whole subtree).
 * Both trees are new, children sorted as kube serialises FieldsV1 ("."
 * first, then by name). flags: SKIFF_API_FIELDSET_SKIP_STATUS leaves
 * .status out (a create, whose status the server resets). Server-owned
 * metadata never enters. SKIFF_E_INVALID when too deep or a merging list's
 * item lacks its key; -ENOMEM. On error both outputs are NULL. */
#define SKIFF_API_FIELDSET_SKIP_STATUS 1u
int skiff_api_fieldset_diff(const cJSON *obj, const cJSON *old, const char *kind, unsigned flags,
                            cJSON **changed, cJSON **removed, skiff_error_t *err);

/* The same set skiff_api_fieldset_diff(obj, NULL, kind, flags) builds as
 * *changed, printed straight to compact FieldsV1 JSON text between
 * `prefix` and `suffix` (either may be NULL) — a create's whole
 * managedFields entry without building a tree: creates are the hot path.
 * *out is new (free()); NULL (and 0) when obj sets nothing. Same errors as
 * the diff; members duplicated within one object are not merged (request
 * bodies never hold them). */
int skiff_api_fieldset_print_created(const cJSON *obj, const char *kind, unsigned flags, const char *prefix,
                                     const char *suffix, char **out, skiff_error_t *err);

/* Remove from `set` every path of `minus`: a leaf of minus removes the
 * whole subtree at that path; "." of minus is ignored; inner nodes of set
 * that lose all their members (but ".") go too. Returns how many nodes
 * were removed (0 = set unchanged). */
int skiff_api_fieldset_subtract(cJSON *set, const cJSON *minus);

/* Add every path of `add` to `set` (keeping set's children sorted).
 * Returns how many nodes were added (0 = set unchanged), or -ENOMEM. */
int skiff_api_fieldset_union(cJSON *set, const cJSON *add);

/* Sort a node's members as kube serialises FieldsV1: "." first, then by name. */
void skiff_api_fieldset_sort(cJSON *node);

/* Kubernetes' path text: .spec.template.spec.containers[name="nginx"].image */
void skiff_api_fieldset_format(const char *const *segs, int n, char *buf, size_t len);

#endif
