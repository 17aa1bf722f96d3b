/* core/api/body — request body decoding (internal). */
#ifndef SKIFF_CORE_API_BODY_H
#define SKIFF_CORE_API_BODY_H

#include "api/internal.h"

/* Parse the request body by Content-Type. `any_json`: patch bodies (the
 * patch types are JSON). NULL with the call's Status set on failure. */
cJSON *apisrv_body_parse(apisrv_call_t *c, int any_json);
/* kind/apiVersion must match (filled in when absent); -1 with Status set. */
int apisrv_body_check_kind(apisrv_call_t *c, cJSON *obj, const char *kind, const char *api_version);

#endif
