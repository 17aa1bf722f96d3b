/* Watches served from the shared log (watch_hub.c) and written by the push
 * writer (watch_push.c), checked on the wire with raw sockets: one event per
 * chunk, strict chunked framing, namespaces kept apart, partial writes to a
 * slow reader, timeoutSeconds ending the body on a connection that stays
 * usable, BOOKMARKs, the initial state, clients that vanish. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "api/internal.h"
#include "api/test_server.h"
#include "api/watch_int.h"
#include "bus/bus.h"

typedef struct fx {
    test_server_t *ts;      /* store, server (started here) and client */
    skiff_bus_t *bus;
    int port;
    struct wire *stalled;   /* a watch left unread: closed after the server is freed */
} fx_t;

static unsigned window;
static void close_watch(struct wire *w);

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    skiff_error_t err;
    assert_int_equal(skiff_bus_new(&f->bus, &err), 0);
    skiff_api_config_t cfg = { .listen = "127.0.0.1:0", .watch_bookmark_ms = 200, .bus = f->bus,
                               .watch_window = window };
    f->ts = test_server_up(&cfg);
    if (skiff_api_server_start(f->ts->srv, &err) < 0) fail_msg("%s", err.msg);
    f->port = skiff_api_server_port(f->ts->srv);
    test_server_namespace(f->ts, "default");
    test_server_namespace(f->ts, "other");
    *state = f;
    return 0;
}

static int setup_small(void **state)
{
    window = 1024;
    int r = setup(state);
    window = 0;
    return r;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    test_server_down(f->ts);
    if (f->stalled) close_watch(f->stalled);
    skiff_bus_free(f->bus);
    free(f);
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int64_t revision(fx_t *f)
{
    int64_t cur = 0;
    skiff_error_t err;
    const skiff_store_ops_t *ops = skiff_instance_ops(f->ts->store);
    assert_int_equal(ops->revision(skiff_instance_self(f->ts->store), &cur, NULL, &err), 0);
    return cur;
}

static int dial(fx_t *f, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    if (rcvbuf) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)f->port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static void send_get(int fd, const char *path)
{
    char req[512];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n", path);
    assert_int_equal(write(fd, req, (size_t)n), n);
}

/* One watch response as read so far, parsed strictly. */
typedef struct wire {
    int fd;                 /* the connection it is read from */
    char *buf;
    size_t len, cap, pos;   /* pos: parsed up to here */
    int headers_done, status, ended;
    int events;             /* chunks = events seen */
    char log[1 << 16];      /* "TYPE name;" */
    size_t loglen;
    long long last_rv;
    int bookmarks;
} wire_t;

static int read_some(wire_t *w, int timeout_ms)
{
    struct pollfd p = { .fd = w->fd, .events = POLLIN };
    if (poll(&p, 1, timeout_ms) <= 0) return 0;
    if (w->cap - w->len < 65536) {
        w->cap = w->cap ? w->cap * 2 : 1 << 17;
        w->buf = realloc(w->buf, w->cap);
        assert_non_null(w->buf);
    }
    ssize_t r = read(w->fd, w->buf + w->len, w->cap - w->len - 1);
    if (r <= 0) return -1;
    w->len += (size_t)r;
    return 1;
}

/* Parse what is complete; fails the test on any framing error. */
static void parse(wire_t *w)
{
    for (;;) {
        char *p = w->buf + w->pos, *end = w->buf + w->len;
        if (!w->headers_done) {
            char *h = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
            if (!h) return;
            w->status = atoi(p + 9);
            assert_non_null(memmem(p, (size_t)(h - p), "Transfer-Encoding: chunked", 26));
            w->headers_done = 1;
            w->pos = (size_t)(h + 4 - w->buf);
            continue;
        }
        if (w->ended) {
            /* nothing may follow the last chunk on a watch (no pipelining here) */
            assert_true(w->pos == w->len);
            return;
        }
        char *crlf = memmem(p, (size_t)(end - p), "\r\n", 2);
        if (!crlf) return;
        char *e;
        unsigned long n = strtoul(p, &e, 16);
        if (e != crlf) fail_msg("bad chunk size line at %zu: %.20s", w->pos, p);
        if (crlf + 2 + n + 2 > end) return;
        char *data = crlf + 2;
        if (memcmp(data + n, "\r\n", 2) != 0) fail_msg("chunk not followed by CRLF");
        w->pos = (size_t)(data + n + 2 - w->buf);
        if (n == 0) { w->ended = 1; continue; }
        /* exactly one event, newline-terminated */
        if (data[n - 1] != '\n' || memchr(data, '\n', n - 1)) {
            const char *nl = memchr(data, '\n', n - 1);
            fail_msg("chunk of %lu at %zu is not one line (newline at %td): %.60s ... %.60s", n, w->pos, nl ? nl - data : -1,
                     data, nl ? nl - 30 : data);
        }
        cJSON *o = cJSON_ParseWithLength(data, n);
        assert_non_null(o);
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(o, "type"));
        cJSON *obj = cJSON_GetObjectItem(o, "object");
        cJSON *meta = cJSON_GetObjectItem(obj, "metadata");
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(meta, "name"));
        const char *rv = cJSON_GetStringValue(cJSON_GetObjectItem(meta, "resourceVersion"));
        assert_non_null(type);
        if (strcmp(type, "ERROR") == 0) {
            if (w->loglen + 20 < sizeof w->log)
                w->loglen += (size_t)snprintf(w->log + w->loglen, sizeof w->log - w->loglen, "ERROR ?;");
            cJSON_Delete(o);
            continue;
        }
        assert_non_null(rv);
        long long r = atoll(rv);
        if (strcmp(type, "BOOKMARK") == 0) {
            assert_true(r >= w->last_rv);
            w->bookmarks++;
        } else {
            if (r <= w->last_rv) /* in revision order, no duplicate */
                fail_msg("%s %s at rv %lld after rv %lld; before: %s (%d bookmarks)", type, name, r, w->last_rv, w->log, w->bookmarks);
            w->events++;
            if (w->loglen + 200 < sizeof w->log)
                w->loglen += (size_t)snprintf(w->log + w->loglen, sizeof w->log - w->loglen, "%s %s;", type, name ? name : "?");
        }
        w->last_rv = r;
        cJSON_Delete(o);
    }
}

/* What read_for waits for: the headers, the end of the body, or (>= 0)
 * that many events. */
enum { UNTIL_HEADERS = -1, UNTIL_ENDED = -2 };

static int reached(const wire_t *w, int what)
{
    if (what == UNTIL_HEADERS) return w->headers_done;
    if (what == UNTIL_ENDED) return w->ended;
    return w->events >= what;
}

/* Read and parse until `what` or for at most secs; the caller checks what
 * it got. */
static void read_for(wire_t *w, int what, double secs)
{
    double until = now_s() + secs;
    while (!reached(w, what) && now_s() < until) {
        if (read_some(w, 100) < 0) break;
        parse(w);
    }
}

static void read_until(wire_t *w, int events, double secs)
{
    read_for(w, events, secs);
    if (w->events < events) fail_msg("got %d of %d events", w->events, events);
}

static wire_t *wire_new(int fd)
{
    wire_t *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->fd = fd;
    return w;
}

/* Dial, ask for the watch and wait for its response headers: a shared-log
 * watch answers them once it is attached, so what is created after this
 * returns is on the wire in one chunk per event. */

static wire_t *open_watch(fx_t *f, const char *path, int rcvbuf)
{
    wire_t *w = wire_new(dial(f, rcvbuf));
    send_get(w->fd, path);
    read_for(w, UNTIL_HEADERS, 20);
    assert_true(w->headers_done);
    assert_int_equal(w->status, 200);
    return w;
}

/* The watch path on default's pods from the current revision: watches
 * opened with it see every pod created after this call. */
static void pods_watch_path(fx_t *f, char *path, size_t size)
{
    snprintf(path, size, "/api/v1/namespaces/default/pods?watch=true&resourceVersion=%lld", (long long)revision(f));
}

/* open_watch on default's pods from the current revision. */
static wire_t *watch_pods(fx_t *f, int rcvbuf)
{
    char path[256];
    pods_watch_path(f, path, sizeof path);
    return open_watch(f, path, rcvbuf);
}

/* Close a watch's connection and free what was read from it. */
static void close_watch(wire_t *w)
{
    close(w->fd);
    free(w->buf);
    free(w);
}

/* Create a pod in ns named by fmt, with a pad annotation of pad bytes. */
__attribute__((format(printf, 4, 5)))
static void create_pod(fx_t *f, const char *ns, size_t pad, const char *fmt, ...)
{
    char name[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods", ns);
    char *a = malloc(pad + 1);
    memset(a, 'x', pad);
    a[pad] = '\0';
    char *body;
    assert_true(asprintf(&body, "{\"metadata\":{\"name\":\"%s\",\"annotations\":{\"pad\":\"%s\"}},"
                                "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}", name, a) > 0);
    skiff_error_t err;
    if (skiff_api_client_create(f->ts->cl, path, body, NULL, &err) < 0) fail_msg("create %s: %s", name, err.msg);
    free(body);
    free(a);
}

static void test_namespaces_and_order(void **state)
{
    fx_t *f = *state;
    char path[256];
    long long cur = (long long)revision(f);
    wire_t *w[4];
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "/api/v1/namespaces/default/pods?watch=true&resourceVersion=%lld", cur);
        w[i] = open_watch(f, path, 0);
    }
    snprintf(path, sizeof path, "/api/v1/pods?watch=1&resourceVersion=%lld", cur);
    w[3] = open_watch(f, path, 0);
    for (int i = 0; i < 300; i++) {
        create_pod(f, i % 3 == 2 ? "other" : "default", 0, "p%d", i);
    }
    skiff_error_t err;
    assert_int_equal(skiff_api_client_patch(f->ts->cl, "/api/v1/namespaces/default/pods/p0", "application/merge-patch+json",
                                            "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}", NULL, &err), 0);
    assert_int_equal(skiff_api_client_delete(f->ts->cl, "/api/v1/namespaces/default/pods/p1", NULL, &err), 0);
    for (int i = 0; i < 4; i++) read_until(w[i], i < 3 ? 202 : 302, 20);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(w[i]->status, 200);
        assert_non_null(strstr(w[i]->log, i < 3 ? "ADDED p0;ADDED p1;ADDED p3;ADDED p4;ADDED p6;"
                                              : "ADDED p0;ADDED p1;ADDED p2;ADDED p3;"));
        assert_non_null(strstr(w[i]->log, "MODIFIED p0;DELETED p1;"));
        assert_int_equal(strlen(strstr(w[i]->log, "MODIFIED p0;DELETED p1;")), strlen("MODIFIED p0;DELETED p1;"));
        if (i < 3) assert_null(strstr(w[i]->log, "p2;"));
    }
    /* every namespaced watcher saw the same stream */
    assert_string_equal(w[0]->log, w[1]->log);
    assert_string_equal(w[0]->log, w[2]->log);
    for (int i = 0; i < 4; i++) close_watch(w[i]);
}

static void test_slow_reader_partial_writes(void **state)
{
    fx_t *f = *state;
    wire_t *w = watch_pods(f, 4096);
    /* a second watcher that reads along, so the log keeps moving */
    wire_t *w2 = watch_pods(f, 0);
    /* ~10 KB per event, odd sizes: the socket fills up and writes stop mid-chunk */
    for (int i = 0; i < 600; i++) {
        create_pod(f, "default", 9000 + (size_t)(i * 37) % 2000, "big%d", i);
    }
    read_until(w2, 600, 30);
    /* now drain the slow one in small reads */
    double until = now_s() + 30;
    while (w->events < 600 && now_s() < until) {
        struct pollfd p = { .fd = w->fd, .events = POLLIN };
        if (poll(&p, 1, 100) <= 0) continue;
        if (w->cap - w->len < 8192) {
            w->cap = w->cap ? w->cap * 2 : 1 << 17;
            w->buf = realloc(w->buf, w->cap);
        }
        ssize_t r = read(w->fd, w->buf + w->len, 1500);
        if (r <= 0) break;
        w->len += (size_t)r;
        parse(w);
    }
    assert_int_equal(w->events, 600);
    assert_string_equal(w->log, w2->log);
    close_watch(w);
    close_watch(w2);
}

static void test_timeout_keepalive_bookmarks(void **state)
{
    fx_t *f = *state;
    create_pod(f, "default", 0, "a0");
    int fd = dial(f, 0);
    /* resourceVersion 0: the current state first, one event per chunk */
    send_get(fd, "/api/v1/namespaces/default/pods?watch=true&resourceVersion=0&allowWatchBookmarks=true&timeoutSeconds=1");
    wire_t *w = wire_new(fd);
    double t0 = now_s();
    read_for(w, UNTIL_ENDED, 5);
    assert_true(w->ended);
    double took = now_s() - t0;
    assert_true(took >= 0.9 && took < 3);
    assert_string_equal(w->log, "ADDED a0;");
    assert_true(w->bookmarks >= 2); /* every 200 ms while idle */
    /* the connection is still good for the next request */
    send_get(fd, "/version");
    char buf[4096];
    size_t have = 0;
    t0 = now_s();
    while (!memmem(buf, have, "gitVersion", 10) && now_s() - t0 < 5) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 100) <= 0) continue;
        ssize_t r = read(fd, buf + have, sizeof buf - have);
        if (r <= 0) break;
        have += (size_t)r;
    }
    assert_non_null(memmem(buf, have, "HTTP/1.1 200", 12));
    assert_non_null(memmem(buf, have, "gitVersion", 10));
    close_watch(w);
}

static void test_clients_vanish(void **state)
{
    fx_t *f = *state;
    char path[256];
    pods_watch_path(f, path, sizeof path);
    wire_t *hw[20];
    for (int i = 0; i < 20; i++) hw[i] = open_watch(f, path, 2048);
    for (int i = 0; i < 100; i++) {
        create_pod(f, "default", 3000, "v%d", i);
        if (i % 10 == 0) close_watch(hw[i / 10]); /* mid-stream, unread data pending */
    }
    for (int i = 10; i < 20; i++) close_watch(hw[i]);
    /* the server still serves watches and requests */
    wire_t *w = open_watch(f, path, 0);
    read_until(w, 100, 20);
    close_watch(w);
}

/* A watcher that stops reading falls out of the window: the rest of the
 * chunk it was in, then ERROR 410 Expired, then the end of the body. */
static void test_cut_off(void **state)
{
    fx_t *f = *state;
    wire_t *w = watch_pods(f, 2048);
    wire_t *w2 = watch_pods(f, 0);
    for (int i = 0; i < 2500; i++) {
        create_pod(f, "default", 6000, "c%d", i);
        read_until(w2, i + 1, 30); /* keeps up */
    }
    /* the one that kept reading got everything */
    read_until(w2, 2500, 30);
    read_for(w, UNTIL_ENDED, 30);
    assert_true(w->ended);
    assert_true(w->events > 0 && w->events < 2500);
    const char *last = strrchr(w->log, ';');
    assert_non_null(last);
    assert_non_null(strstr(w->log, "ERROR ?;"));
    assert_int_equal(strlen(strstr(w->log, "ERROR ?;")), strlen("ERROR ?;"));
    const char *st = "\"reason\":\"Expired\",\"code\":410";
    assert_non_null(memmem(w->buf, w->len, st, strlen(st)));
    close_watch(w);
    close_watch(w2);
}

/* The server stops while a watcher has stopped reading with its socket
 * full: stopping must not wait for it. */
static void test_stop_with_stalled_client(void **state)
{
    fx_t *f = *state;
    f->stalled = watch_pods(f, 2048);
    for (int i = 0; i < 400; i++) {
        create_pod(f, "default", 6000, "s%d", i);
    }
    usleep(200000);
    /* teardown frees the server with this watch stalled */
}

/* ---- the write gate: HTTP writes wait while a pushed watch is behind ---- */

/* POST a JSON body on the open connection fd and read the whole response;
 * returns its status, -1 when the connection failed. */
static int http_post(int fd, const char *path, const char *body)
{
    char req[8192], resp[16384];
    int rl = snprintf(req, sizeof req, "POST %s HTTP/1.1\r\nHost: x\r\n"
                      "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", path, strlen(body), body);
    assert_true(rl > 0 && (size_t)rl < sizeof req);
    if (write(fd, req, (size_t)rl) != rl) return -1;
    size_t have = 0;
    for (;;) {
        ssize_t r = read(fd, resp + have, sizeof resp - 1 - have);
        if (r <= 0) return -1;
        have += (size_t)r;
        resp[have] = '\0';
        char *h = strstr(resp, "\r\n\r\n");
        char *cl = h ? strcasestr(resp, "Content-Length:") : NULL;
        if (h && cl && have >= (size_t)(h + 4 - resp) + strtoul(cl + 15, NULL, 10)) break;
    }
    return strncmp(resp, "HTTP/1.1 ", 9) == 0 ? atoi(resp + 9) : 0;
}

/* The shared log that pod watches are served from (NULL none yet). */
static apisrv_hub_t *pods_hub(fx_t *f)
{
    skiff_api_server_t *s = f->ts->srv;
    apisrv_hub_t *found = NULL;
    pthread_mutex_lock(&s->watch_mu);
    for (size_t i = 0; i < 64 && !found; i++)
        if (s->hubs[i] && strcmp(s->hubs[i]->kind, "Pod") == 0) found = s->hubs[i];
    pthread_mutex_unlock(&s->watch_mu);
    return found;
}

/* Until the log holds at least n events, for at most limit seconds. */
static void wait_hub_tail(apisrv_hub_t *h, uint64_t n, double limit)
{
    double until = now_s() + limit;
    while (__atomic_load_n(&h->tail, __ATOMIC_ACQUIRE) < n && now_s() < until) usleep(200);
}

typedef struct poster {
    fx_t *f;
    const char *prefix;
    int n, ok;
    double took;            /* seconds for all n */
    double max_one;         /* the slowest single create */
    int64_t busy_since_us;  /* when the create in flight was sent (now_s() in us), 0 none; atomic */
    int done;               /* all n tried (atomic) */
} poster_t;

/* n pod creates over HTTP (the gate is on the HTTP path), one connection.
 * Each waits until the previous one is in the pod watches' log: the gate
 * measures how far a watch is behind that log, and on a loaded machine the
 * store's thread that fills it can fall behind a burst of creates that is
 * then over before the gate sees anything. */
static void *post_pods(void *arg)
{
    poster_t *pp = arg;
    apisrv_hub_t *h = pods_hub(pp->f);
    uint64_t tail0 = h ? __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE) : 0;
    int fd = dial(pp->f, 0);
    char *pad = malloc(6001);
    memset(pad, 'x', 6000);
    pad[6000] = '\0';
    double t0 = now_s();
    for (int i = 0; i < pp->n; i++) {
        char body[7000];
        snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"%s%d\",\"annotations\":{\"pad\":\"%s\"}},"
                 "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}", pp->prefix, i, pad);
        if (h) wait_hub_tail(h, tail0 + (uint64_t)pp->ok, 20);
        double t1 = now_s();
        __atomic_store_n(&pp->busy_since_us, (int64_t)(t1 * 1e6), __ATOMIC_RELEASE);
        int st = http_post(fd, "/api/v1/namespaces/default/pods", body);
        __atomic_store_n(&pp->busy_since_us, 0, __ATOMIC_RELEASE);
        if (st < 0) break;
        if (st == 201) pp->ok++;
        if (now_s() - t1 > pp->max_one) pp->max_one = now_s() - t1;
    }
    pp->took = now_s() - t0;
    __atomic_store_n(&pp->done, 1, __ATOMIC_RELEASE);
    free(pad);
    close(fd);
    return NULL;
}

/* Until a create has been held for at least secs (or all are done, or
 * limit seconds pass): a condition, not a fixed sleep, so a loaded machine
 * that is slow to fill the watcher's socket still sees the gate engage. */
static void wait_create_held(poster_t *pp, double secs, double limit)
{
    double until = now_s() + limit;
    while (!__atomic_load_n(&pp->done, __ATOMIC_ACQUIRE) && now_s() < until) {
        int64_t since = __atomic_load_n(&pp->busy_since_us, __ATOMIC_ACQUIRE);
        if (since > 0 && now_s() - (double)since / 1e6 >= secs) return;
        usleep(10000);
    }
}

/* Until the push writer has made a pass over the watches just opened and
 * published their cursors for the gate (a condition, not a sleep): writes
 * made before that pass are not held back whatever a watcher does, and on a
 * loaded machine a burst of creates can be over before the pass. */
static void wait_gate_sees_watches(fx_t *f, double limit)
{
    skiff_api_server_t *s = f->ts->srv;
    double until = now_s() + limit;
    for (;;) {
        int seen = 0;
        pthread_mutex_lock(&s->watch_mu);
        for (size_t i = 0; i < 64 && !seen; i++)
            for (size_t k = 0; s->hubs[i] && k < APISRV_PUSHERS_MAX && !seen; k++)
                seen = __atomic_load_n(&s->hubs[i]->push_min[k], __ATOMIC_ACQUIRE) != UINT64_MAX;
        pthread_mutex_unlock(&s->watch_mu);
        if (seen) return;
        if (now_s() > until) fail_msg("the push writer took no watch in within %.0f s", limit);
        usleep(1000);
    }
}

/* A watcher that does not read for a while holds HTTP creates back (its
 * socket fills, its cursor stops); once it reads again they go on; every
 * event reaches it, in order, and no create gave up waiting. */
static void test_gate_engages_and_releases(void **state)
{
    fx_t *f = *state;
    wire_t *w = watch_pods(f, 2048);
    wait_gate_sees_watches(f, 20);
    poster_t pp = { .f = f, .prefix = "g", .n = 60 };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, post_pods, &pp), 0);
    /* not reading: a create waits at the gate; read once one has waited
     * 0.6 s (more than the 0.4 s checked below) */
    wait_create_held(&pp, 0.6, 20);
    read_until(w, 60, 30);
    apisrv_gate_stats_t gs;
    pthread_join(th, NULL);
    assert_int_equal(pp.ok, 60);
    apisrv_watch_gate_stats(f->ts->srv, &gs);
    /* engaged: creates waited; released by delivery, not by the bound */
    assert_true(gs.waits >= 1);
    assert_int_equal(gs.timeouts, 0);
    assert_int_equal(gs.left, 0);
    assert_true(pp.max_one >= 0.4);
    assert_int_equal(w->events, 60);
    char want[64];
    for (int i = 0; i < 60; i++) {
        snprintf(want, sizeof want, "ADDED g%d;", i);
        assert_non_null(strstr(w->log, want));
    }
    close_watch(w);
}

static int setup_gate(void **state)
{
    /* a small lag so a few 6 KB events trip it; a long stall and bound so
     * only reading releases it, even on a busy machine */
    setenv("SKIFF_WATCH_GATE_LAG", "4", 1);
    setenv("SKIFF_WATCH_GATE_STALL_MS", "10000", 1);
    setenv("SKIFF_WATCH_GATE_MAX_MS", "10000", 1);
    return setup(state);
}

static int teardown_gate(void **state)
{
    unsetenv("SKIFF_WATCH_GATE_LAG");
    unsetenv("SKIFF_WATCH_GATE_STALL_MS");
    unsetenv("SKIFF_WATCH_GATE_MAX_MS");
    return teardown(state);
}

/* A watcher that never reads stops holding writes after the stall time:
 * creates go on (each waits at most about that long), a watcher that reads
 * gets everything. */
static void test_gate_leaves_stalled_watcher(void **state)
{
    fx_t *f = *state;
    f->stalled = watch_pods(f, 2048);
    wire_t *w = watch_pods(f, 0);
    wait_gate_sees_watches(f, 20);
    poster_t pp = { .f = f, .prefix = "s", .n = 60 };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, post_pods, &pp), 0);
    read_until(w, 60, 30);
    pthread_join(th, NULL);
    assert_int_equal(pp.ok, 60);
    apisrv_gate_stats_t gs;
    apisrv_watch_gate_stats(f->ts->srv, &gs);
    assert_true(gs.left >= 1);
    /* it held writes for about the stall time (300 ms here), then no more */
    assert_true(pp.took < 10);
    close_watch(w);
}

/* Writes to a resource no one watches are not held back by the pod
 * watchers' pushes: the writer may be idle for long, no pass to wait for. */
static void test_gate_other_resources(void **state)
{
    fx_t *f = *state;
    wire_t *w = watch_pods(f, 0);
    wait_gate_sees_watches(f, 20);
    int fd = dial(f, 0);
    double t0 = now_s();
    int ok = 0;
    for (int i = 0; i < 200; i++) {
        char body[256];
        snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"cm%d\"},\"data\":{\"a\":\"b\"}}", i);
        double t1 = now_s();
        int st = http_post(fd, "/api/v1/namespaces/default/configmaps", body);
        assert_true(st > 0);
        if (st == 201) ok++;
        /* the gate's bound here is 10 s: a create held by it shows */
        if (now_s() - t1 > 3) fail_msg("configmap create %d took %.1f s", i, now_s() - t1);
    }
    assert_int_equal(ok, 200);
    apisrv_gate_stats_t gs;
    apisrv_watch_gate_stats(f->ts->srv, &gs);
    assert_int_equal(gs.timeouts, 0);
    assert_int_equal(gs.waits, 0);
    assert_true(now_s() - t0 < 20);
    /* the pod watch still works */
    create_pod(f, "default", 0, "after");
    read_until(w, 1, 10);
    close(fd);
    close_watch(w);
}

static int setup_gate_stall(void **state)
{
    setenv("SKIFF_WATCH_GATE_LAG", "4", 1);
    setenv("SKIFF_WATCH_GATE_STALL_MS", "300", 1);
    return setup(state);
}

/* SKIFF_WATCH_GATE_LAG=0: no gate, creates never wait. */
static void test_gate_off(void **state)
{
    fx_t *f = *state;
    f->stalled = watch_pods(f, 2048);
    poster_t pp = { .f = f, .prefix = "o", .n = 30 };
    post_pods(&pp);
    assert_int_equal(pp.ok, 30);
    apisrv_gate_stats_t gs;
    apisrv_watch_gate_stats(f->ts->srv, &gs);
    assert_int_equal(gs.waits, 0);
}

static int setup_gate_off(void **state)
{
    setenv("SKIFF_WATCH_GATE_LAG", "0", 1);
    return setup(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_namespaces_and_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_reader_partial_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_keepalive_bookmarks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clients_vanish, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cut_off, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_stop_with_stalled_client, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gate_engages_and_releases, setup_gate, teardown_gate),
        cmocka_unit_test_setup_teardown(test_gate_leaves_stalled_watcher, setup_gate_stall, teardown_gate),
        cmocka_unit_test_setup_teardown(test_gate_off, setup_gate_off, teardown_gate),
        cmocka_unit_test_setup_teardown(test_gate_other_resources, setup_gate, teardown_gate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
