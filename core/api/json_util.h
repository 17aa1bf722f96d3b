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

#endif
