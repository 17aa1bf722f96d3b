/* core/api/patch — PATCH content type → patch library (internal). */
#ifndef SKIFF_CORE_API_PATCH_GLUE_H
#define SKIFF_CORE_API_PATCH_GLUE_H

#include "api/internal.h"

enum { APISRV_PATCH_MERGE = 1, APISRV_PATCH_JSON, APISRV_PATCH_STRATEGIC, APISRV_PATCH_APPLY };

/* APISRV_PATCH_* for a Content-Type, -1 when it is not a patch type. */
int apisrv_patch_type(const char *ctype);
/* Apply; on failure the call's response holds the Status and -1 is returned. */
int apisrv_patch_apply(apisrv_call_t *c, int type, const cJSON *doc, const cJSON *patch,
                       const char *kind, cJSON **out);

#endif
