/* core/api/patch_schema — which lists merge, and by what key.
 *
 * A small table modelled on the Kubernetes Go types' struct tags
 * (`patchStrategy:"merge" patchMergeKey:"name"`, `patchStrategy:"retainKeys"`):
 * strategic merge patch and server-side apply look fields up here. Types
 * are named after the Go types ("PodSpec", "Container"); a kind's root type
 * is the kind itself ("Deployment"), so the pod spec is found at spec for a
 * Pod and at spec.template.spec for Deployment/ReplicaSet/DaemonSet/
 * StatefulSet/Job/ReplicationController/PodTemplate, and at
 * spec.jobTemplate.spec.template.spec for a CronJob. Unknown kinds (and
 * custom resources) get only ObjectMeta's rules: their other lists are
 * replaced whole, as for a JSON merge patch.
 * The table is static; returned pointers stay valid for the program's life.
 */
#ifndef SKIFF_CORE_API_PATCH_SCHEMA_H
#define SKIFF_CORE_API_PATCH_SCHEMA_H

enum {
    SKIFF_API_FIELD_MERGE = 1,       /* list merges (by merge_key, or as a set of primitives) */
    SKIFF_API_FIELD_RETAIN_KEYS = 2, /* a map (or the list's items) honours $retainKeys */
};

typedef struct skiff_api_field {
    const char *type;      /* containing type */
    const char *field;     /* JSON field name */
    const char *child;     /* type of the value or of the list's items; NULL = no rules below */
    const char *merge_key; /* for SKIFF_API_FIELD_MERGE lists of maps; NULL for primitives */
    unsigned flags;
} skiff_api_field_t;

/* Root type for an object kind ("Pod" -> "Pod", "Frobnicator" -> "Object"). */
const char *skiff_api_schema_root(const char *kind);

/* Rule for `field` inside a value of `type`, or NULL (plain field: maps are
 * merged recursively with no list rules, lists are replaced). `type` may be
 * NULL (returns NULL). */
const skiff_api_field_t *skiff_api_schema_field(const char *type, const char *field);

#endif
