/* core/api/client_int — the transport vtable behind skiff_api_client_t. */
#ifndef SKIFF_CORE_API_CLIENT_INT_H
#define SKIFF_CORE_API_CLIENT_INT_H

#include <pthread.h>

#include "api/client.h"

typedef struct skiff_api_transport {
    int (*call)(skiff_api_client_t *c, const char *method, const char *path, const char *query,
                const char *content_type, const char *body, size_t body_len,
                skiff_api_result_t *res, skiff_error_t *err);
    /* open a streaming GET; lines go to line_cb until the stream ends or stop is set */
    int (*stream)(skiff_api_client_t *c, const char *path, const char *query,
                  skiff_api_client_watch_t *w, skiff_error_t *err);
    void (*fini)(skiff_api_client_t *c);
} skiff_api_transport_t;

struct skiff_api_client {
    const skiff_api_transport_t *t;
    skiff_api_server_t *server; /* local */
    char base[256];             /* http */
    char *auth_header;          /* http: "Authorization: Bearer ..." or NULL */
    char *ca_file;              /* http: CA bundle for https (NULL = system CAs) */
    char *ca_pem;               /* http: CA in memory (kubeconfig certificate-authority-data) */
    int insecure;               /* http: skip TLS verification */
};

struct skiff_api_client_watch {
    skiff_api_client_t *c;
    skiff_api_watch_cb cb;
    void *ud;
    char *path, *query;
    pthread_t th;
    int stop;        /* set by watch_stop (atomic) */
    char *partial;   /* http: an unfinished line */
    size_t plen;
};

#define STOPPED(w) __atomic_load_n(&(w)->stop, __ATOMIC_ACQUIRE)

/* The in-process transport's read of a watch stream (watch.c): like
 * skiff_api_stream_next(), but a stream the local client opened as a pull
 * stream hands its events straight to cb (type, object text NUL-terminated,
 * its length) on the caller's thread, as many as are ready per wake-up, and
 * returns 2. Queued lines (the initial state, BOOKMARKs, a final ERROR) still
 * come back in *out (1). 0 = nothing before timeout_ms, -1 = ended. */
int skiff_api_stream_pull(skiff_api_stream_t *st, skiff_api_watch_cb cb, void *ud, char **out, size_t *len,
                          int timeout_ms);
/* Feed bytes of a watch stream; complete lines become callbacks. */
void skiff_api_watch_feed(skiff_api_client_watch_t *w, const char *data, size_t len);
/* Turn an answer into the return code (see client.h). */
int skiff_api_client_status(skiff_api_result_t *res, skiff_error_t *err);

extern const skiff_api_transport_t skiff_api_transport_local;
extern const skiff_api_transport_t skiff_api_transport_http;

#endif
