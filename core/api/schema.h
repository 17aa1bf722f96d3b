/* core/api/schema — the OpenAPI schemas of the served kinds, read from the
 * table core/api/schema.txt (embedded in the binary; format described at
 * its top). Used for the /openapi/v3 documents (kubectl explain) and for
 * fieldValidation (unknown fields).
 *
 * The table is parsed once, on first use, and kept for the program's life:
 * every pointer returned stays valid. Thread-safe.
 */
#ifndef SKIFF_CORE_API_SCHEMA_H
#define SKIFF_CORE_API_SCHEMA_H

#include <cjson/cJSON.h>
#include <skiff/error.h>

enum {
    SKIFF_API_SF_REQUIRED = 1u << 0,
    SKIFF_API_SF_ATOMIC = 1u << 1,
    SKIFF_API_SF_SET = 1u << 2,
    SKIFF_API_SF_RETAIN = 1u << 3,
};

typedef struct skiff_api_sfield {
    const char *name;
    const char *type;      /* "string", "int32", "[]Container", "map[string]Quantity", ... */
    const char *merge_key; /* merge=<key>, or NULL */
    unsigned flags;        /* SKIFF_API_SF_* */
    const char *desc;
    /* resolved at load: the struct type the value (or its items/values) is,
     * NULL for primitives and free-form objects; how many "[]" wrap it and
     * whether a map[string] does */
    const struct skiff_api_stype *elem;
    int list_depth, is_map;
} skiff_api_sfield_t;

typedef struct skiff_api_stype {
    const char *name;      /* "Container" */
    const char *full;      /* "io.k8s.api.core.v1.Container" */
    const char *desc;
    int open;              /* members not listed are allowed */
    const char *group, *version, *kind; /* its GVK when it is a kind's root, else kind NULL */
    const skiff_api_sfield_t *fields;
    int nfields;
    const skiff_api_sfield_t **sorted; /* fields by name, for lookups */
} skiff_api_stype_t;

/* Parse the table (once). 0, or SKIFF_E_INVALID naming the line of a bad
 * table (a build defect; the unit test catches it). */
int skiff_api_schema_load(skiff_error_t *err);

/* All types (in table order); *n gets the count. NULL if the table failed. */
const skiff_api_stype_t *skiff_api_schema_types(int *n);
/* A type by short name ("Container"), or NULL. */
const skiff_api_stype_t *skiff_api_schema_type(const char *name);
/* The root type of a kind ("" = the core group), or NULL. */
const skiff_api_stype_t *skiff_api_schema_kind(const char *group, const char *kind);
/* A field of a type, or NULL. */
const skiff_api_sfield_t *skiff_api_schema_member(const skiff_api_stype_t *t, const char *name);
/* The full OpenAPI name of a field type's referenced schema ("Quantity" ->
 * "io.k8s.apimachinery.pkg.api.resource.Quantity"), or NULL for primitives. */
const char *skiff_api_schema_ref(const char *type);

/* Members of `obj` (an object of type t) that the schema does not declare,
 * as kube's strict decoder names them: "spec.containers[0].imagee". Each
 * path is passed to cb (borrowed for the call). Open types and free-form
 * objects accept anything. Returns how many were found (cb may stop
 * early by returning non-zero; the count is then of those reported). */
typedef int (*skiff_api_unknown_cb)(void *ud, const char *path);
int skiff_api_schema_unknown(const skiff_api_stype_t *t, const cJSON *obj, skiff_api_unknown_cb cb, void *ud);

#endif
