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

/* Kubernetes' path text: .spec.template.spec.containers[name="nginx"].image */
void skiff_api_fieldset_format(const char *const *segs, int n, char *buf, size_t len);

#endif
