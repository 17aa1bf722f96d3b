/* The api_* slots of the host table (ABI 1.1); see host_api.h and host.h. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/host_api.h"
#include "plugin/internal.h"

/* Readers are api_* calls (which may nest: a plugin's write runs the chain,
 * whose plugins read again); glibc's default rwlock prefers readers, so a
 * nested read never waits behind the writer of set_api_client. */
static pthread_rwlock_t api_lock = PTHREAD_RWLOCK_INITIALIZER;
static skiff_api_client_t *api_client;

void skiff_host_set_api_client(skiff_api_client_t *c)
{
    pthread_rwlock_wrlock(&api_lock);
    api_client = c;
    pthread_rwlock_unlock(&api_lock);
}

typedef enum { CALL_GET, CALL_LIST, CALL_CREATE, CALL_UPDATE, CALL_PATCH, CALL_DELETE } call_t;

static int api_call(skiff_ctx_t *ctx, call_t what, const char *path, const char *a,
                    const char *b, const char *json, char **json_out, skiff_error_t *err)
{
    if (json_out) *json_out = NULL;
    if (!path || path[0] != '/')
        return skiff_error_set(err, SKIFF_E_INVALID, "%s: API path \"%s\" does not start with /",
                               ctx ? ctx->prefix : "plugin", path ? path : "(null)");
    pthread_rwlock_rdlock(&api_lock);
    skiff_api_client_t *c = api_client;
    if (!c) {
        pthread_rwlock_unlock(&api_lock);
        return skiff_error_set(err, SKIFF_E_UNSUPPORTED, "%s: no API server in this process",
                               ctx ? ctx->prefix : "plugin");
    }
    skiff_api_result_t res = { 0 };
    int rc;
    switch (what) {
    case CALL_GET: rc = skiff_api_client_get(c, path, &res, err); break;
    case CALL_LIST: rc = skiff_api_client_list(c, path, a, b, &res, err); break;
    case CALL_CREATE: rc = skiff_api_client_create(c, path, json, &res, err); break;
    case CALL_UPDATE: rc = skiff_api_client_update(c, path, json, &res, err); break;
    case CALL_PATCH: rc = skiff_api_client_patch(c, path, a, json, &res, err); break;
    default: rc = skiff_api_client_delete(c, path, &res, err); break;
    }
    pthread_rwlock_unlock(&api_lock);
    if (json_out && res.body) {
        *json_out = res.body; /* malloc'd: api_free() releases it */
        res.body = NULL;
    }
    skiff_api_result_free(&res);
    return rc;
}

int skiff_host_api_get(skiff_ctx_t *ctx, const char *path, char **out, skiff_error_t *err)
{
    return api_call(ctx, CALL_GET, path, NULL, NULL, NULL, out, err);
}

int skiff_host_api_list(skiff_ctx_t *ctx, const char *path, const char *ls, const char *fs,
                         char **out, skiff_error_t *err)
{
    return api_call(ctx, CALL_LIST, path, ls, fs, NULL, out, err);
}

int skiff_host_api_create(skiff_ctx_t *ctx, const char *path, const char *json, char **out,
                           skiff_error_t *err)
{
    return api_call(ctx, CALL_CREATE, path, NULL, NULL, json, out, err);
}

int skiff_host_api_update(skiff_ctx_t *ctx, const char *path, const char *json, char **out,
                           skiff_error_t *err)
{
    return api_call(ctx, CALL_UPDATE, path, NULL, NULL, json, out, err);
}

int skiff_host_api_patch(skiff_ctx_t *ctx, const char *path, const char *ctype, const char *json,
                          char **out, skiff_error_t *err)
{
    return api_call(ctx, CALL_PATCH, path, ctype, NULL, json, out, err);
}

int skiff_host_api_delete(skiff_ctx_t *ctx, const char *path, char **out, skiff_error_t *err)
{
    return api_call(ctx, CALL_DELETE, path, NULL, NULL, NULL, out, err);
}

void skiff_host_api_free(char *json) { free(json); }

