/* core/api/lean — decoding stored objects for what does not need their
 * managedFields (Table rows, selector matching): the member is cut from the
 * stored text before parsing, since parsing it is most of the cost of a
 * created object's decode and a Table never shows it. */
#ifndef SKIFF_CORE_API_LEAN_H
#define SKIFF_CORE_API_LEAN_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* As apisrv_obj_decode (api/internal.h), without metadata.managedFields.
 * NULL on failure (not an object of ours). */
cJSON *apisrv_obj_decode_lean(const char *val, size_t len, int64_t rv);

/* The [start, end) span of the metadata.managedFields member of a stored
 * text (which begins with {"metadata":{), with one neighbouring comma, so
 * cutting it leaves valid JSON; 0 if found, -1 if there is none. */
int apisrv_managed_fields_span(const char *val, size_t len, size_t *start, size_t *end);

#endif
