/* core/api/names — metadata validation glue (internal). */
#ifndef SKIFF_CORE_API_NAMES_H
#define SKIFF_CORE_API_NAMES_H

#include "api/internal.h"

/* metadata.name/namespace/labels/annotations of obj by r's naming rule. */
void apisrv_check_meta(const apisrv_resource_t *r, const cJSON *obj, apisrv_invalid_t *inv);

#endif
