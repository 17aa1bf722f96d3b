/* core/api — the API server: the one door to the cluster's store, speaking
 * the Kubernetes REST API well enough for an unmodified kubectl 1.32 (see
 * docs/api.md and shared KUBECTL-WIRE.md).
 *
 * Layers (one file per concern):
 *   httpd.c      libmicrohttpd front end (thread per connection; chunked
 *                streaming for watches) → skiff_api_server_handle()
 *   router.c     URL grammar → (resource, namespace, name, subresource, verb)
 *   resources.c  the resource table: adding a kind is one entry there plus
 *                its defaults/validation (kinds.c) and columns (table.c)
 *   handlers.c   get/list/create/update/patch/delete/deletecollection
 *   watch.c      watch streams (store watch → JSON lines / Table rows)
 *   discovery.c, openapi.c, status.c, metrics.c, objects.c, store.c
 *   client.c     skiff_api_client_t: the same verbs in-process or over HTTP
 *
 * Threads: skiff_api_server_handle() may be called from any thread
 * concurrently. The store ops table and its `self` are borrowed and must
 * outlive the server.
 */
#ifndef SKIFF_CORE_API_H
#define SKIFF_CORE_API_H

#include <stddef.h>
#include <stdint.h>

#include <skiff/error.h>
#include <skiff/store.h>

#define SKIFF_API_BODY_MAX (3u * 1024u * 1024u) /* 3 MiB, as kube-apiserver */

typedef struct skiff_api_config {
    const char *listen;          /* "ADDR:PORT"; NULL/"" = in-process only. Port 0 = any. */
    const char *service_cidr;    /* ClusterIP range; NULL = "10.96.0.0/12" */
    const char *node_port_range; /* NULL = "30000-32767" */
    int watch_bookmark_ms;       /* idle time before a BOOKMARK; 0 = 10000 */
    /* With a bus, watches are served by a watch cache: one store watch per
     * resource fanned out to every watcher (core/store/fanout) with a window
     * of recent events; NULL = one store watch per watcher. Borrowed. */
    struct skiff_bus *bus;
    unsigned watch_window;       /* events kept per resource; 0 = 20000 */
    int64_t event_ttl_ms;        /* Events expire after this; 0 = 1h, < 0 = never */
} skiff_api_config_t;

typedef struct skiff_api_server skiff_api_server_t;

/* Create the server over a store (borrowed). Nothing listens yet. */
int skiff_api_server_new(const skiff_api_config_t *cfg, const skiff_store_ops_t *store_ops,
                         void *store_self, skiff_api_server_t **out, skiff_error_t *err);
/* Start the HTTP listener (if cfg->listen is set). Bind failures name the address. */
int skiff_api_server_start(skiff_api_server_t *s, skiff_error_t *err);
/* The bound TCP port (useful with port 0), or 0 when not listening. */
int skiff_api_server_port(const skiff_api_server_t *s);
/* Stop listening, end every watch, free. NULL is fine. */
void skiff_api_server_free(skiff_api_server_t *s);

/* ---- transport-neutral requests (used by httpd.c and the in-process client) */

typedef struct skiff_api_param {
    const char *key;   /* decoded */
    const char *value; /* decoded; "" for a bare key */
} skiff_api_param_t;

typedef struct skiff_api_request {
    const char *method;       /* "GET", "POST", ... */
    const char *path;         /* decoded path, no query */
    const skiff_api_param_t *params;
    size_t nparams;
    const char *content_type; /* may be NULL */
    const char *accept;       /* may be NULL */
    const char *body;         /* may be NULL with body_len 0 */
    size_t body_len;
    const char *user_agent;   /* may be NULL; names the field manager when the query does not */
    int discard_success_body; /* in-process caller will not read a 2xx body: the server may
                                 answer "{}" instead of serialising the object (errors keep
                                 their Status) */
} skiff_api_request_t;

typedef struct skiff_api_stream skiff_api_stream_t;

typedef struct skiff_api_response {
    int code;
    char content_type[128];
    char *body;                 /* malloc'd; owned by the response */
    size_t body_len;
    skiff_api_stream_t *stream; /* watch: chunks come from the stream (body is NULL) */
    char *warnings;             /* malloc'd; "\n"-separated texts sent as `Warning: 299 - "..."`
                                   headers (admission warnings); NULL = none */
} skiff_api_response_t;

/* Serve one request. Always fills `resp` (errors are Status bodies); returns
 * 0, or -ENOMEM when even the error could not be built (answer 500). The
 * request is borrowed; the response owns what it holds. */
int skiff_api_server_handle(skiff_api_server_t *s, const skiff_api_request_t *req,
                            skiff_api_response_t *resp);
/* Free what the response holds (closing its stream). */
void skiff_api_response_free(skiff_api_response_t *resp);

/* Next chunk of a streaming response, appended to *out / *len (malloc'd,
 * caller frees). Waits up to timeout_ms. Returns 1 with data, 0 when there is
 * nothing yet, -1 when the stream has ended (nothing more will come). */
int skiff_api_stream_next(skiff_api_stream_t *st, char **out, size_t *len, int timeout_ms);
/* Close and free a stream (idempotent for NULL). */
void skiff_api_stream_close(skiff_api_stream_t *st);

#endif
