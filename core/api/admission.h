/* core/api/admission — connecting the admission chain (core/admission) to
 * an API server. */
#ifndef SKIFF_CORE_API_ADMISSION_H
#define SKIFF_CORE_API_ADMISSION_H

#include "admission/chain.h"
#include "api/api.h"

/* Every create/update/patch/delete (subresources and dryRun included) of s
 * then runs through `chain` (borrowed; must outlive the server; NULL = none).
 * Set it before the server takes requests. */
void skiff_api_server_set_admission(skiff_api_server_t *s, skiff_adm_chain_t *chain);

#endif
