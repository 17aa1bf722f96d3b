/* core/plugin/host_api — where the host table's api_* slots (ABI 1.1) find
 * the API server. The apiserver component registers its in-process client
 * at start and clears it at stop; until then (or in a process without an API
 * server) the slots fail with SKIFF_E_UNSUPPORTED. */
#ifndef SKIFF_CORE_PLUGIN_HOST_API_H
#define SKIFF_CORE_PLUGIN_HOST_API_H

#include <skiff/host.h>

#include "api/client.h"

/* Register `c` (borrowed; NULL = unregister). Unregistering waits until no
 * api_* call is using the previous client, so the caller may then free it. */
void skiff_host_set_api_client(skiff_api_client_t *c);

/* The slots themselves, for host.c's table (see host.h for the contract). */
int skiff_host_api_get(skiff_ctx_t *ctx, const char *path, char **out, skiff_error_t *err);
int skiff_host_api_list(skiff_ctx_t *ctx, const char *path, const char *ls, const char *fs,
                        char **out, skiff_error_t *err);
int skiff_host_api_create(skiff_ctx_t *ctx, const char *path, const char *json, char **out,
                          skiff_error_t *err);
int skiff_host_api_update(skiff_ctx_t *ctx, const char *path, const char *json, char **out,
                          skiff_error_t *err);
int skiff_host_api_patch(skiff_ctx_t *ctx, const char *path, const char *ctype,
                         const char *json, char **out, skiff_error_t *err);
int skiff_host_api_delete(skiff_ctx_t *ctx, const char *path, char **out, skiff_error_t *err);
void skiff_host_api_free(char *json);

#endif
