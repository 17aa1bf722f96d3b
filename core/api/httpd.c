/* core/api/httpd — the HTTP front end on GNU libmicrohttpd.
 *
 * One thread per connection: a request's handler may block on the store, and
 * a watch's content reader blocks on its stream (chunked, unknown length)
 * without starving anyone else. A shared-log watch is written by the push
 * writer instead (watch_push.c) while its thread sleeps. Bodies are collected
 * up to 3 MiB; beyond that the request is answered 413 without reading
 * further into memory. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "api/watch_int.h"

void apisrv_httpd_identity(struct MHD_Connection *conn, skiff_api_request_t *req);

typedef struct conn {
    skiff_api_buf_t body;
    int too_large;
    skiff_api_param_t *params;
    size_t nparams, cap;
    int oom;
} conn_t;

typedef struct stream_state {
    skiff_api_stream_t *st;
    char *pending;
    size_t plen, poff;
    int fd;         /* the connection's socket: hub watches are pushed on it (watch_push.c) */
} stream_state_t;

static enum MHD_Result collect_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    conn_t *c = cls;
    if (c->nparams == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 16;
        skiff_api_param_t *p = realloc(c->params, nc * sizeof *p);
        if (!p) { c->oom = 1; return MHD_NO; }
        c->params = p;
        c->cap = nc;
    }
    c->params[c->nparams].key = key ? key : "";
    c->params[c->nparams].value = value ? value : "";
    c->nparams++;
    return MHD_YES;
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    stream_state_t *ss = cls;
    if (ss->fd >= 0) {
        /* headers are out: a hub watch is written by the push writer and
         * this thread sleeps until it ends */
        int r = apisrv_stream_push(ss->st, ss->fd);
        ss->fd = -1;
        if (r > 0) return MHD_CONTENT_READER_END_OF_STREAM;
        if (r < 0) return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    if (!ss->pending) {
        int r = skiff_api_stream_next(ss->st, &ss->pending, &ss->plen, 1000);
        if (r < 0) return MHD_CONTENT_READER_END_OF_STREAM;
        if (r == 0) return 0;
        ss->poff = 0;
    }
    size_t n = ss->plen - ss->poff;
    if (n > max) n = max;
    memcpy(buf, ss->pending + ss->poff, n);
    ss->poff += n;
    if (ss->poff >= ss->plen) {
        free(ss->pending);
        ss->pending = NULL;
    }
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    stream_state_t *ss = cls;
    skiff_api_stream_close(ss->st);
    free(ss->pending);
    free(ss);
}

/* One `Warning: 299 - "text"` header per line of warnings (admission
 * warnings; kubectl prints "Warning: text"). */
static void add_warnings(struct MHD_Response *r, const char *warnings)
{
    for (const char *p = warnings; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char h[1200];
        size_t o = (size_t)snprintf(h, sizeof h, "299 - \"");
        for (size_t i = 0; i < n && o + 3 < sizeof h; i++) {
            if (p[i] == '"' || p[i] == '\\') h[o++] = '\\';
            h[o++] = p[i];
        }
        snprintf(h + o, sizeof h - o, "\"");
        MHD_add_response_header(r, "Warning", h);
        p = nl ? nl + 1 : p + n;
    }
}

static enum MHD_Result send_simple(struct MHD_Connection *conn, int code, const char *ctype,
                                   char *body, size_t len, const char *warnings)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) { free(body); return MHD_NO; }
    MHD_add_response_header(r, "Content-Type", ctype);
    add_warnings(r, warnings);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    skiff_api_server_t *s = cls;
    conn_t *c = *con_cls;
    if (!c) {
        c = calloc(1, sizeof *c);
        if (!c) return MHD_NO;
        skiff_api_buf_init(&c->body);
        *con_cls = c;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!c->too_large) {
            if (c->body.len + *upload_data_size > SKIFF_API_BODY_MAX) {
                c->too_large = 1;
                skiff_api_buf_free(&c->body);
            } else {
                skiff_api_buf_add(&c->body, upload_data, *upload_data_size);
            }
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (c->too_large || c->body.oom) {
        char *st = apisrv_status_json(c->too_large ? 413 : 500, c->too_large ? "RequestEntityTooLarge" : "InternalError",
                                      c->too_large ? "Request entity too large: limit is 3145728" : "out of memory reading the body");
        if (!st) return MHD_NO;
        return send_simple(conn, c->too_large ? 413 : 500, "application/json", st, strlen(st), NULL);
    }
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_param, c);
    skiff_api_request_t req = {
        .method = method,
        .path = url,
        .params = c->params,
        .nparams = c->nparams,
        .content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
        .accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT),
        .body = c->body.data,
        .body_len = c->body.len,
        .user_agent = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT),
    };
    apisrv_httpd_identity(conn, &req); /* who is asking (httpd_auth.c) */
    /* writes wait while pushed watches are behind (watch_push.c) */
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 && strcmp(method, "OPTIONS") != 0)
        apisrv_watch_gate(s);
    skiff_api_response_t resp;
    if (skiff_api_server_handle(s, &req, &resp) < 0 && !resp.body && !resp.stream) return MHD_NO;
    if (resp.stream) {
        stream_state_t *ss = calloc(1, sizeof *ss);
        if (!ss) { skiff_api_response_free(&resp); return MHD_NO; }
        ss->st = resp.stream;
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        /* not over TLS: pushed bytes would bypass the TLS session */
        ss->fd = ci && !s->tls_cert ? ci->connect_fd : -1;
        free(resp.warnings); /* no Warning headers on streams */
        struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_reader, ss, stream_free);
        if (!r) { stream_free(ss); return MHD_NO; }
        MHD_add_response_header(r, "Content-Type", resp.content_type);
        MHD_add_response_header(r, "Cache-Control", "no-cache, private");
        enum MHD_Result ret = MHD_queue_response(conn, (unsigned)resp.code, r);
        MHD_destroy_response(r);
        return ret;
    }
    char *body = resp.body;
    resp.body = NULL;
    if (!body) { body = strdup(""); if (!body) return MHD_NO; }
    enum MHD_Result ret = send_simple(conn, resp.code, resp.content_type[0] ? resp.content_type : "application/json",
                                      body, resp.body_len, resp.warnings);
    skiff_api_response_free(&resp);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls; (void)conn; (void)toe;
    conn_t *c = *con_cls;
    if (!c) return;
    skiff_api_buf_free(&c->body);
    free(c->params);
    free(c);
    *con_cls = NULL;
}

int apisrv_httpd_start(skiff_api_server_t *s, skiff_error_t *err)
{
    char host[128];
    const char *colon = strrchr(s->listen, ':');
    if (!colon || colon == s->listen || (size_t)(colon - s->listen) >= sizeof host)
        return skiff_error_set(err, SKIFF_E_INVALID, "apiserver: listen \"%s\": expected ADDR:PORT, e.g. 127.0.0.1:6443", s->listen);
    memcpy(host, s->listen, (size_t)(colon - s->listen));
    host[colon - s->listen] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535)
        return skiff_error_set(err, SKIFF_E_INVALID, "apiserver: listen \"%s\": bad port", s->listen);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, &sa.sin_addr) != 1)
        return skiff_error_set(err, SKIFF_E_INVALID, "apiserver: listen \"%s\": \"%s\" is not an IPv4 address", s->listen, host);
    /* HTTPS when the server has a certificate (auth.h: kubectl sends tokens only over https) */
    struct MHD_OptionItem tls[] = {
        { MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key },
        { MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert },
        { MHD_OPTION_END, 0, NULL },
    };
    if (s->tls_cert && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        return skiff_error_set(err, SKIFF_E_UNSUPPORTED, "apiserver: this libmicrohttpd has no TLS support");
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_AUTO | (s->tls_cert ? MHD_USE_TLS : 0),
        (uint16_t)port, NULL, NULL, on_request, s,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)8192,
        MHD_OPTION_THREAD_STACK_SIZE, (size_t)(512 * 1024),
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
        MHD_OPTION_ARRAY, s->tls_cert ? tls : tls + 2,
        MHD_OPTION_END);
    if (!d)
        return skiff_error_set(err, -EADDRINUSE, "apiserver: cannot listen on %s (address in use or not available)", s->listen);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : (int)port;
    s->httpd = d;
    return 0;
}

void apisrv_httpd_stop(skiff_api_server_t *s)
{
    if (s->httpd) MHD_stop_daemon(s->httpd);
    s->httpd = NULL;
}
