/* core/api/json_print — cJSON_PrintUnformatted's exact text, in one pass.
 *
 * cJSON's printer scans every string twice, formats every number with
 * sprintf and reads it back with sscanf, and grows its buffer by
 * realloc; on the create path it was the largest single cost after the
 * allocator. This one writes the same bytes as Debian's cJSON 1.7.15 (the
 * same escapes, the same number forms: "%1.15g", or "%1.17g" when that
 * does not read back, integers without a call to printf) straight into a
 * skiff_api_buf_t; json_print_test compares the two. Items cJSON
 * cannot print (a Raw item without text, an unknown type) fail the same
 * way: nothing usable is returned.
 */
#ifndef SKIFF_CORE_API_JSON_PRINT_H
#define SKIFF_CORE_API_JSON_PRINT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "api/buf.h"

/* Append item's text to b. 0, or -1 when cJSON would fail to print it or
 * memory ran out (b->oom). On -1, b's new bytes are not meaningful. */
int skiff_api_json_print_to(skiff_api_buf_t *b, const cJSON *item);

/* The text as a malloc'd NUL-terminated string (caller frees), its length
 * in *len when len is not NULL; NULL when cJSON_PrintUnformatted would
 * return NULL. `hint` is the expected size (0 = unknown), to allocate once. */
char *skiff_api_json_print(const cJSON *item, size_t hint, size_t *len);

#endif
