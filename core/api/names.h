/* core/api/names — name and label checks (internal). */
#ifndef SKIFF_CORE_API_NAMES_H
#define SKIFF_CORE_API_NAMES_H

#include "api/internal.h"

void apisrv_check_name(const apisrv_resource_t *r, const char *name, apisrv_invalid_t *inv);
void apisrv_check_labels(const cJSON *labels, apisrv_invalid_t *inv);

#endif
