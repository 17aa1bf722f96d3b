/* core/api/client — one client interface to the API server, two transports:
 * in-process (components living in the server's process call the handlers
 * directly, no HTTP, no sockets) and HTTP via libcurl (everything else).
 *
 * Paths are API paths ("/api/v1/namespaces/default/pods/x",
 * "/apis/apps/v1/namespaces/default/deployments"); bodies and results are
 * JSON text. A call returns 0 for a 2xx answer and a negative code otherwise,
 * mapped from the Status: 404 SKIFF_E_NOTFOUND, 409 AlreadyExists
 * SKIFF_E_EXISTS, other 409 SKIFF_E_CONFLICT, 410 SKIFF_E_COMPACTED, 413
 * SKIFF_E_TOOLARGE, 400/415/422 SKIFF_E_INVALID, else SKIFF_E_INTERNAL; a
 * transport failure (connection refused...) is SKIFF_E_CLOSED. err->msg then
 * holds the Status message. The result (when non-NULL) gets the HTTP code
 * and body either way; free it with skiff_api_result_free().
 *
 * Threads: a client may be used from several threads at once. Watch
 * callbacks run on a thread of the watch; they must not block for long.
 */
#ifndef SKIFF_CORE_API_CLIENT_H
#define SKIFF_CORE_API_CLIENT_H

#include <stddef.h>

#include "api/api.h"

typedef struct skiff_api_client skiff_api_client_t;

typedef struct skiff_api_result {
    int code;     /* HTTP status */
    char *body;   /* malloc'd JSON text (object, list or Status), NUL-terminated */
    size_t len;
    int discard;  /* set by the client when the caller passed no result: a 2xx body is not needed */
} skiff_api_result_t;

void skiff_api_result_free(skiff_api_result_t *r);

/* In-process transport over a running server (borrowed; must outlive the client). */
int skiff_api_client_local(skiff_api_server_t *s, skiff_api_client_t **out, skiff_error_t *err);
/* HTTP transport: base URL such as "http://127.0.0.1:6443". */
int skiff_api_client_http(const char *base_url, skiff_api_client_t **out, skiff_error_t *err);
void skiff_api_client_free(skiff_api_client_t *c);

/* The general call. query is "k=v&k2=v2" already URL-encoded (may be NULL). */
int skiff_api_client_do(skiff_api_client_t *c, const char *method, const char *path,
                        const char *query, const char *content_type, const char *body,
                        size_t body_len, skiff_api_result_t *res, skiff_error_t *err);

/* The verbs. */
int skiff_api_client_get(skiff_api_client_t *c, const char *path, skiff_api_result_t *res,
                         skiff_error_t *err);
/* selectors may be NULL (raw, not yet URL-encoded) */
int skiff_api_client_list(skiff_api_client_t *c, const char *path, const char *label_selector,
                          const char *field_selector, skiff_api_result_t *res, skiff_error_t *err);
int skiff_api_client_create(skiff_api_client_t *c, const char *path, const char *json,
                            skiff_api_result_t *res, skiff_error_t *err);
int skiff_api_client_update(skiff_api_client_t *c, const char *path, const char *json,
                            skiff_api_result_t *res, skiff_error_t *err);
/* content_type: application/merge-patch+json, application/json-patch+json,
 * application/strategic-merge-patch+json or application/apply-patch+yaml */
int skiff_api_client_patch(skiff_api_client_t *c, const char *path, const char *content_type,
                           const char *json, skiff_api_result_t *res, skiff_error_t *err);
int skiff_api_client_delete(skiff_api_client_t *c, const char *path, skiff_api_result_t *res,
                            skiff_error_t *err);

/* Watch `path` from resource_version ("" or "0" = current state first).
 * cb gets each event: type ("ADDED", "MODIFIED", "DELETED", "BOOKMARK",
 * "ERROR") and the object's JSON text (borrowed for the call). When the
 * stream ends cb is called once with type NULL. */
typedef void (*skiff_api_watch_cb)(void *ud, const char *type, const char *object, size_t len);
typedef struct skiff_api_client_watch skiff_api_client_watch_t;
int skiff_api_client_watch(skiff_api_client_t *c, const char *path, const char *resource_version,
                           skiff_api_watch_cb cb, void *ud, skiff_api_client_watch_t **out,
                           skiff_error_t *err);
/* Stop and free; after it returns no callback runs. NULL is fine. */
void skiff_api_client_watch_stop(skiff_api_client_watch_t *w);

#endif
