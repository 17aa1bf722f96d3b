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

#include "api/api.h"
#include "api/client.h"
#include "api/watch_int.h"
#include "bus/bus.h"
#include "plugin/plugin.h"

typedef struct fx {
    skiff_registry_t *reg;
    skiff_instance_t *store;
    skiff_api_server_t *srv;
    skiff_api_client_t *cl;
    skiff_bus_t *bus;
    int port;
    int stalled_fd;   /* closed after the server is freed */
} fx_t;

static unsigned window;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    skiff_error_t err;
    char path[1024];
    const char *dir = getenv("SKIFF_PLUGINS");
    snprintf(path, sizeof path, "%s/store/memory.so", dir && *dir ? dir : "build/plugins");
    assert_int_equal(skiff_registry_new(&f->reg, &err), 0);
    if (skiff_registry_load_file(f->reg, path, &err) < 0) fail_msg("%s", err.msg);
    const skiff_plugin_t *d = skiff_registry_find(f->reg, SKIFF_KIND_STORE, "memory");
    assert_non_null(d);
    assert_int_equal(skiff_instance_new(d, "mem", NULL, NULL, &f->store, &err), 0);
    assert_int_equal(skiff_instance_start(f->store, &err), 0);
    assert_int_equal(skiff_bus_new(&f->bus, &err), 0);
    skiff_api_config_t cfg = { .listen = "127.0.0.1:0", .watch_bookmark_ms = 200, .bus = f->bus,
                               .watch_window = window };
    if (skiff_api_server_new(&cfg, skiff_instance_ops(f->store), skiff_instance_self(f->store), &f->srv, &err) < 0)
        fail_msg("%s", err.msg);
    if (skiff_api_server_start(f->srv, &err) < 0) fail_msg("%s", err.msg);
    f->port = skiff_api_server_port(f->srv);
    assert_int_equal(skiff_api_client_local(f->srv, &f->cl, &err), 0);
    assert_int_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces", "{\"metadata\":{\"name\":\"default\"}}", NULL, &err), 0);
    assert_int_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces", "{\"metadata\":{\"name\":\"other\"}}", NULL, &err), 0);
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
    skiff_api_client_free(f->cl);
    skiff_api_server_free(f->srv);
    if (f->stalled_fd > 0) close(f->stalled_fd);
    skiff_bus_free(f->bus);
    skiff_instance_free(f->store);
    skiff_registry_free(f->reg);
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
    const skiff_store_ops_t *ops = skiff_instance_ops(f->store);
    assert_int_equal(ops->revision(skiff_instance_self(f->store), &cur, NULL, &err), 0);
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
    char *buf;
    size_t len, cap, pos;   /* pos: parsed up to here */
    int headers_done, status, ended;
    int events;             /* chunks = events seen */
    char log[1 << 16];      /* "TYPE name;" */
    size_t loglen;
    long long last_rv;
    int bookmarks;
} wire_t;

static int read_some(int fd, wire_t *w, int timeout_ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    if (poll(&p, 1, timeout_ms) <= 0) return 0;
    if (w->cap - w->len < 65536) {
        w->cap = w->cap ? w->cap * 2 : 1 << 17;
        w->buf = realloc(w->buf, w->cap);
        assert_non_null(w->buf);
    }
    ssize_t r = read(fd, w->buf + w->len, w->cap - w->len - 1);
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

static void read_until(int fd, wire_t *w, int events, double secs)
{
    double until = now_s() + secs;
    while (w->events < events && now_s() < until) {
        if (read_some(fd, w, 100) < 0) break;
        parse(w);
    }
    if (w->events < events) fail_msg("got %d of %d events", w->events, events);
}

/* Dial, ask for the watch and wait for its response headers: a shared-log
 * watch answers them once it is attached, so what is created after this
 * returns is on the wire in one chunk per event. */
static int open_watch(fx_t *f, const char *path, int rcvbuf, wire_t *w)
{
    int fd = dial(f, rcvbuf);
    send_get(fd, path);
    double until = now_s() + 20;
    while (!w->headers_done && now_s() < until) {
        if (read_some(fd, w, 100) < 0) break;
        parse(w);
    }
    assert_true(w->headers_done);
    assert_int_equal(w->status, 200);
    return fd;
}

static void create_pod(fx_t *f, const char *ns, const char *name, size_t pad)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods", ns);
    char *a = malloc(pad + 1);
    memset(a, 'x', pad);
    a[pad] = '\0';
    char *body;
    assert_true(asprintf(&body, "{\"metadata\":{\"name\":\"%s\",\"annotations\":{\"pad\":\"%s\"}},"
                                "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}", name, a) > 0);
    skiff_error_t err;
    if (skiff_api_client_create(f->cl, path, body, NULL, &err) < 0) fail_msg("create %s: %s", name, err.msg);
    free(body);
    free(a);
}

static void test_namespaces_and_order(void **state)
{
    fx_t *f = *state;
    char path[256];
    long long cur = (long long)revision(f);
    int fds[4];
    wire_t *w = calloc(4, sizeof *w);
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "/api/v1/namespaces/default/pods?watch=true&resourceVersion=%lld", cur);
        fds[i] = open_watch(f, path, 0, &w[i]);
    }
    snprintf(path, sizeof path, "/api/v1/pods?watch=1&resourceVersion=%lld", cur);
    fds[3] = open_watch(f, path, 0, &w[3]);
    char name[32];
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "p%d", i);
        create_pod(f, i % 3 == 2 ? "other" : "default", name, 0);
    }
    skiff_error_t err;
    assert_int_equal(skiff_api_client_patch(f->cl, "/api/v1/namespaces/default/pods/p0", "application/merge-patch+json",
                                            "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}", NULL, &err), 0);
    assert_int_equal(skiff_api_client_delete(f->cl, "/api/v1/namespaces/default/pods/p1", NULL, &err), 0);
    for (int i = 0; i < 4; i++) read_until(fds[i], &w[i], i < 3 ? 202 : 302, 20);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(w[i].status, 200);
        assert_non_null(strstr(w[i].log, i < 3 ? "ADDED p0;ADDED p1;ADDED p3;ADDED p4;ADDED p6;"
                                              : "ADDED p0;ADDED p1;ADDED p2;ADDED p3;"));
        assert_non_null(strstr(w[i].log, "MODIFIED p0;DELETED p1;"));
        assert_int_equal(strlen(strstr(w[i].log, "MODIFIED p0;DELETED p1;")), strlen("MODIFIED p0;DELETED p1;"));
        if (i < 3) assert_null(strstr(w[i].log, "p2;"));
    }
    /* every namespaced watcher saw the same stream */
    assert_string_equal(w[0].log, w[1].log);
    assert_string_equal(w[0].log, w[2].log);
    for (int i = 0; i < 4; i++) { close(fds[i]); free(w[i].buf); }
    free(w);
}

static void test_slow_reader_partial_writes(void **state)
{
    fx_t *f = *state;
    char path[256];
    long long cur = (long long)revision(f);
    snprintf(path, sizeof path, "/api/v1/namespaces/default/pods?watch=true&resourceVersion=%lld", cur);
    wire_t *w = calloc(1, sizeof *w);
    int fd = open_watch(f, path, 4096, w);
    /* a second watcher that reads along, so the log keeps moving */
    wire_t *w2 = calloc(1, sizeof *w2);
    int fd2 = open_watch(f, path, 0, w2);
    char name[32];
    /* ~10 KB per event, odd sizes: the socket fills up and writes stop mid-chunk */
    for (int i = 0; i < 600; i++) {
        snprintf(name, sizeof name, "big%d", i);
        create_pod(f, "default", name, 9000 + (size_t)(i * 37) % 2000);
    }
    read_until(fd2, w2, 600, 30);
    /* now drain the slow one in small reads */
    double until = now_s() + 30;
    while (w->events < 600 && now_s() < until) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 100) <= 0) continue;
        if (w->cap - w->len < 8192) {
            w->cap = w->cap ? w->cap * 2 : 1 << 17;
            w->buf = realloc(w->buf, w->cap);
        }
        ssize_t r = read(fd, w->buf + w->len, 1500);
        if (r <= 0) break;
        w->len += (size_t)r;
        parse(w);
    }
    assert_int_equal(w->events, 600);
    assert_string_equal(w->log, w2->log);
    close(fd);
    close(fd2);
    free(w->buf);
    free(w);
    free(w2->buf);
    free(w2);
}

static void test_timeout_keepalive_bookmarks(void **state)
{
    fx_t *f = *state;
    create_pod(f, "default", "a0", 0);
    int fd = dial(f, 0);
    /* resourceVersion 0: the current state first, one event per chunk */
    send_get(fd, "/api/v1/namespaces/default/pods?watch=true&resourceVersion=0&allowWatchBookmarks=true&timeoutSeconds=1");
    wire_t *w = calloc(1, sizeof *w);
    double t0 = now_s();
    while (!w->ended && now_s() - t0 < 5) {
        if (read_some(fd, w, 100) < 0) break;
        parse(w);
    }
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
    close(fd);
    free(w->buf);
    free(w);
}

static void test_clients_vanish(void **state)
{
    fx_t *f = *state;
    char path[256];
    long long cur = (long long)revision(f);
    snprintf(path, sizeof path, "/api/v1/namespaces/default/pods?watch=true&resourceVersion=%lld", cur);
    int fds[20];
    for (int i = 0; i < 20; i++) {
        wire_t *hw = calloc(1, sizeof *hw);
        fds[i] = open_watch(f, path, 2048, hw);
        free(hw->buf);
        free(hw);
    }
    char name[32];
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "v%d", i);
        create_pod(f, "default", name, 3000);
        if (i % 10 == 0) close(fds[i / 10]);      /* mid-stream, unread data pending */
    }
    for (int i = 10; i < 20; i++) close(fds[i]);
    /* the server still serves watches and requests */
    wire_t *w = calloc(1, sizeof *w);
    int fd = open_watch(f, path, 0, w);
    read_until(fd, w, 100, 20);
    close(fd);
    free(w->buf);
    free(w);
}

/* A watcher that stops reading falls out of the window: the rest of the
 * chunk it was in, then ERROR 410 Expired, then the end of the body. */
static void test_cut_off(void **state)
{
    fx_t *f = *state;
    char path[256];
    long long cur = (long long)revision(f);
    snprintf(path, sizeof path, "/api/v1/namespaces/default/pods?watch=true&resourceVersion=%lld", cur);
    wire_t *w = calloc(1, sizeof *w);
    int fd = open_watch(f, path, 2048, w);
    wire_t *w2 = calloc(1, sizeof *w2);
    int fd2 = open_watch(f, path, 0, w2);
    char name[32];
    for (int i = 0; i < 2500; i++) {
        snprintf(name, sizeof name, "c%d", i);
        create_pod(f, "default", name, 6000);
        read_until(fd2, w2, i + 1, 30); /* keeps up */
    }
    /* the one that kept reading got everything */
    read_until(fd2, w2, 2500, 30);
    double until = now_s() + 30;
    while (!w->ended && now_s() < until) {
        if (read_some(fd, w, 100) < 0) break;
        parse(w);
    }
    assert_true(w->ended);
    assert_true(w->events > 0 && w->events < 2500);
    const char *last = strrchr(w->log, ';');
    assert_non_null(last);
    assert_non_null(strstr(w->log, "ERROR ?;"));
    assert_int_equal(strlen(strstr(w->log, "ERROR ?;")), strlen("ERROR ?;"));
    const char *st = "\"reason\":\"Expired\",\"code\":410";
    assert_non_null(memmem(w->buf, w->len, st, strlen(st)));
    close(fd);
    close(fd2);
    free(w->buf);
    free(w);
    free(w2->buf);
    free(w2);
}

/* The server stops while a watcher has stopped reading with its socket
 * full: stopping must not wait for it. */
static void test_stop_with_stalled_client(void **state)
{
    fx_t *f = *state;
    char path[256];
    long long cur = (long long)revision(f);
    snprintf(path, sizeof path, "/api/v1/namespaces/default/pods?watch=true&resourceVersion=%lld", cur);
    wire_t *w = calloc(1, sizeof *w);
    f->stalled_fd = open_watch(f, path, 2048, w);
    char name[32];
    for (int i = 0; i < 400; i++) {
        snprintf(name, sizeof name, "s%d", i);
        create_pod(f, "default", name, 6000);
    }
    usleep(200000);
    free(w->buf);
    free(w);
    /* teardown frees the server with this watch stalled */
}

/* ---- the write gate: HTTP writes wait while a pushed watch is behind ---- */

typedef struct poster {
    fx_t *f;
    const char *prefix;
    int n, ok;
    double took;            /* seconds for all n */
    double max_one;         /* the slowest single create */
} poster_t;

/* n pod creates over HTTP (the gate is on the HTTP path), one connection. */
static void *post_pods(void *arg)
{
    poster_t *pp = arg;
    int fd = dial(pp->f, 0);
    char *pad = malloc(6001);
    memset(pad, 'x', 6000);
    pad[6000] = '\0';
    double t0 = now_s();
    for (int i = 0; i < pp->n; i++) {
        char body[7000], req[8000], resp[16384];
        int bl = snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"%s%d\",\"annotations\":{\"pad\":\"%s\"}},"
                          "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}", pp->prefix, i, pad);
        int rl = snprintf(req, sizeof req, "POST /api/v1/namespaces/default/pods HTTP/1.1\r\nHost: x\r\n"
                          "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", bl, body);
        double t1 = now_s();
        if (write(fd, req, (size_t)rl) != rl) break;
        size_t have = 0;
        for (;;) {
            ssize_t r = read(fd, resp + have, sizeof resp - 1 - have);
            if (r <= 0) goto out;
            have += (size_t)r;
            resp[have] = '\0';
            char *h = strstr(resp, "\r\n\r\n");
            char *cl = h ? strcasestr(resp, "Content-Length:") : NULL;
            if (h && cl && have >= (size_t)(h + 4 - resp) + strtoul(cl + 15, NULL, 10)) break;
        }
        if (strncmp(resp, "HTTP/1.1 201", 12) == 0) pp->ok++;
        if (now_s() - t1 > pp->max_one) pp->max_one = now_s() - t1;
    }
out:
    pp->took = now_s() - t0;
    free(pad);
    close(fd);
    return NULL;
}

/* A watcher that does not read for a while holds HTTP creates back (its
 * socket fills, its cursor stops); once it reads again they go on; every
 * event reaches it, in order, and no create gave up waiting. */
static void test_gate_engages_and_releases(void **state)
{
    fx_t *f = *state;
    char path[256];
    long long cur = (long long)revision(f);
    snprintf(path, sizeof path, "/api/v1/namespaces/default/pods?watch=true&resourceVersion=%lld", cur);
    wire_t *w = calloc(1, sizeof *w);
    int fd = open_watch(f, path, 2048, w);
    poster_t pp = { .f = f, .prefix = "g", .n = 60 };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, post_pods, &pp), 0);
    usleep(700000); /* not reading: a create waits at the gate */
    read_until(fd, w, 60, 30);
    apisrv_gate_stats_t gs;
    pthread_join(th, NULL);
    assert_int_equal(pp.ok, 60);
    apisrv_watch_gate_stats(f->srv, &gs);
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
    close(fd);
    free(w->buf);
    free(w);
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
    char path[256];
    long long cur = (long long)revision(f);
    snprintf(path, sizeof path, "/api/v1/namespaces/default/pods?watch=true&resourceVersion=%lld", cur);
    wire_t *ws = calloc(1, sizeof *ws);
    f->stalled_fd = open_watch(f, path, 2048, ws);
    wire_t *w = calloc(1, sizeof *w);
    int fd = open_watch(f, path, 0, w);
    poster_t pp = { .f = f, .prefix = "s", .n = 60 };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, post_pods, &pp), 0);
    read_until(fd, w, 60, 30);
    pthread_join(th, NULL);
    assert_int_equal(pp.ok, 60);
    apisrv_gate_stats_t gs;
    apisrv_watch_gate_stats(f->srv, &gs);
    assert_true(gs.left >= 1);
    /* it held writes for about the stall time (300 ms here), then no more */
    assert_true(pp.took < 10);
    close(fd);
    free(ws->buf);
    free(ws);
    free(w->buf);
    free(w);
}

/* Writes to a resource no one watches are not held back by the pod
 * watchers' pushes: the writer may be idle for long, no pass to wait for. */
static void test_gate_other_resources(void **state)
{
    fx_t *f = *state;
    char path[256];
    long long cur = (long long)revision(f);
    snprintf(path, sizeof path, "/api/v1/namespaces/default/pods?watch=true&resourceVersion=%lld", cur);
    wire_t *w = calloc(1, sizeof *w);
    int wfd = open_watch(f, path, 0, w);
    int fd = dial(f, 0);
    double t0 = now_s();
    int ok = 0;
    for (int i = 0; i < 200; i++) {
        char body[256], req[512], resp[8192];
        int bl = snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"cm%d\"},\"data\":{\"a\":\"b\"}}", i);
        int rl = snprintf(req, sizeof req, "POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\n"
                          "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", bl, body);
        double t1 = now_s();
        assert_int_equal(write(fd, req, (size_t)rl), rl);
        size_t have = 0;
        for (;;) {
            ssize_t r = read(fd, resp + have, sizeof resp - 1 - have);
            assert_true(r > 0);
            have += (size_t)r;
            resp[have] = '\0';
            char *h = strstr(resp, "\r\n\r\n");
            char *cl = h ? strcasestr(resp, "Content-Length:") : NULL;
            if (h && cl && have >= (size_t)(h + 4 - resp) + strtoul(cl + 15, NULL, 10)) break;
        }
        if (strncmp(resp, "HTTP/1.1 201", 12) == 0) ok++;
        /* the gate's bound here is 10 s: a create held by it shows */
        if (now_s() - t1 > 3) fail_msg("configmap create %d took %.1f s", i, now_s() - t1);
    }
    assert_int_equal(ok, 200);
    apisrv_gate_stats_t gs;
    apisrv_watch_gate_stats(f->srv, &gs);
    assert_int_equal(gs.timeouts, 0);
    assert_int_equal(gs.waits, 0);
    assert_true(now_s() - t0 < 20);
    /* the pod watch still works */
    create_pod(f, "default", "after", 0);
    read_until(wfd, w, 1, 10);
    close(fd);
    close(wfd);
    free(w->buf);
    free(w);
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
    char path[256];
    long long cur = (long long)revision(f);
    snprintf(path, sizeof path, "/api/v1/namespaces/default/pods?watch=true&resourceVersion=%lld", cur);
    wire_t *w = calloc(1, sizeof *w);
    f->stalled_fd = open_watch(f, path, 2048, w);
    poster_t pp = { .f = f, .prefix = "o", .n = 30 };
    post_pods(&pp);
    assert_int_equal(pp.ok, 30);
    apisrv_gate_stats_t gs;
    apisrv_watch_gate_stats(f->srv, &gs);
    assert_int_equal(gs.waits, 0);
    free(w->buf);
    free(w);
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
