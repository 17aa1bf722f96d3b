/* core/api/json_util — small cJSON tree edits the core/api libraries share.
 *
 * cJSON_ReplaceItemViaPointer does not carry the member name over, and
 * Debian's cJSON 1.7.15 cJSON_InsertItemInArray fails for inner positions;
 * these helpers do both correctly. All take ownership of `item` ONLY on
 * success (return 0); on failure (-ENOMEM) the caller still owns it.
 */
#ifndef SKIFF_CORE_API_JSON_UTIL_H
#define SKIFF_CORE_API_JSON_UTIL_H

#include <cjson/cJSON.h>

/* Replace `old` (a member of object or array `parent`) by `item`, keeping
 * old's member name; `old` is freed. */
int skiff_api_json_replace(cJSON *parent, cJSON *old, cJSON *item);

/* Insert `item` into array `arr` at position `index` (0..size; size appends). */
int skiff_api_json_insert(cJSON *arr, int index, cJSON *item);

/* Set member `key` of object `obj` to `item`, replacing any existing one. */
int skiff_api_json_set(cJSON *obj, const char *key, cJSON *item);

/* A string item in one allocation: the text lives in the item's block
 * (cJSON_IsReference on the value, so cJSON_Delete frees the block once and
 * cJSON_Duplicate copies the text). NULL when s is NULL or out of memory.
 * cJSON_SetValuestring refuses such items; replace them instead. */
cJSON *skiff_api_json_string(const char *s);

/* Add `item` to `obj` under `lit`, a name of static storage (a literal) that
 * the item points at instead of a copy (cJSON_StringIsConst). Returns 0; on
 * -ENOMEM the item is freed. The hot create path sets a dozen members this
 * way: one allocation each instead of three. */
int skiff_api_json_add_lit(cJSON *obj, const char *lit, cJSON *item);

/* Members of an object looked up by name in O(log n) once built: wide
 * objects (a ConfigMap with 40,000 keys) must not make a walk quadratic.
 * Small objects (<= 32 members) are searched linearly and allocate nothing.
 * The index borrows obj's members; free it with skiff_api_json_index_free. */
typedef struct skiff_api_json_index {
    const cJSON *obj;
    cJSON **v;   /* sorted by name; NULL = linear */
    int n;
} skiff_api_json_index_t;
int skiff_api_json_index_build(const cJSON *obj, skiff_api_json_index_t *ix); /* 0 or -ENOMEM */
cJSON *skiff_api_json_index_get(const skiff_api_json_index_t *ix, const char *name);
void skiff_api_json_index_free(skiff_api_json_index_t *ix);

/* cJSON_Compare(a, b, 1) in O(n log n) for objects (member order ignored). */
int skiff_api_json_equal(const cJSON *a, const cJSON *b);

#endif
