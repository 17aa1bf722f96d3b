/* bench/api — API server throughput over HTTP with the LMDB store:
 *   1. pod creates, C concurrent keep-alive clients (target >= 10,000/s, C=32)
 *   2. one LIST of N pods (target N=100,000 in < 1 s), JSON and Table
 *   3. W watchers each receiving every event of a B-pod burst (target
 *      W=1,000, B=10,000, p99 delivery latency < 100 ms)
 * The server runs in this process (its own HTTP threads); clients speak raw
 * HTTP/1.1 over loopback so the client side costs little.
 * usage: api_bench --plugins DIR [--creates N] [--clients C] [--list N]
 *                  [--watchers W] [--burst B] [--readers R] [--dir TMPDIR]
 * (R: the watch client's reader threads, 2 by default) */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "api/watch_int.h"
#include "bus/bus.h"
#include "plugin/plugin.h"
#include "../bench_util.h"

static int port;

static int create_pod(int fd, const char *name, char *buf, size_t cap)
{
    char body[512], req[1024];
    int bl = snprintf(body, sizeof body, BENCH_POD_FMT, name);
    int rl = snprintf(req, sizeof req,
                      "POST /api/v1/namespaces/default/pods HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      "Accept: application/json\r\nContent-Length: %d\r\n\r\n%s", bl, body);
    bench_write_all(fd, req, (size_t)rl);
    return bench_read_response(fd, buf, cap, NULL);
}

static double *answered_at; /* burst: when each create was answered (API_BENCH_SLICES) */

typedef struct worker {
    int id, n;
    const char *prefix;
    double *sent;      /* per pod index send time (burst) */
    int base;
    int errors;
} worker_t;

static void *create_worker(void *arg)
{
    worker_t *w = arg;
    int fd = bench_dial(port);
    char buf[16384], name[64];
    for (int i = 0; i < w->n; i++) {
        int idx = w->base + i;
        snprintf(name, sizeof name, "%s-%d", w->prefix, idx);
        if (w->sent) w->sent[idx] = bench_now_s();
        if (create_pod(fd, name, buf, sizeof buf) != 201) w->errors++;
        if (w->sent && answered_at) answered_at[idx] = bench_now_s();
    }
    close(fd);
    return NULL;
}

static double run_creates(const char *prefix, int total, int clients, double *sent, int *errors)
{
    pthread_t th[256];
    worker_t w[256];
    double t0 = bench_now_s();
    for (int i = 0; i < clients; i++) {
        w[i] = (worker_t){ .id = i, .prefix = prefix, .sent = sent };
        bench_share(total, clients, i, &w[i].n, &w[i].base);
        pthread_create(&th[i], NULL, create_worker, &w[i]);
    }
    *errors = 0;
    for (int i = 0; i < clients; i++) { pthread_join(th[i], NULL); *errors += w[i].errors; }
    return bench_now_s() - t0;
}

static double time_list(const char *accept, size_t *bytes)
{
    int fd = bench_dial(port);
    char req[512];
    int rl = snprintf(req, sizeof req, "GET /api/v1/namespaces/default/pods HTTP/1.1\r\nHost: x\r\nAccept: %s\r\n\r\n", accept);
    size_t cap = 1u << 30;
    char *buf = malloc(cap);
    double t0 = bench_now_s();
    bench_write_all(fd, req, (size_t)rl);
    int code = bench_read_response(fd, buf, cap, bytes);
    double t = bench_now_s() - t0;
    if (code != 200) fprintf(stderr, "list: HTTP %d\n", code);
    free(buf);
    close(fd);
    return t;
}

/* ---- watchers: one epoll thread reads every stream (chunked) ---- */

typedef struct wconn {
    int fd;
    int state;        /* 0 headers, 1 chunk size, 2 chunk data, 3 chunk CRLF */
    size_t chunk_left;
    char line[160];   /* the head of an event split across reads: type and metadata.name come first */
    size_t ll;
    int last;         /* the chunk's last data byte seen */
    char hdr[4096];
    size_t hl;
    int got;
    int bad;          /* chunks that were not one burst event */
    double lat_sum;   /* for API_BENCH_SLICES: the watcher's mean delay */
} wconn_t;

static wconn_t *wc;
static int nwatch, burst;
static double *sent_at;
static unsigned long long hist[100001]; /* 0.1 ms buckets up to 10 s */
static long long delivered;
static int burst_sent;  /* every create of the burst has been answered */
/* Reader threads: each reads its share of the connections (one is at most
 * one core; at 1,000 x 10,000 the client must read ~11 GB). */
static int readers = 2;   /* --readers */
static __thread unsigned long long *my_hist;
/* API_BENCH_SLICES=1: the worst delay per quarter second of the burst (by
 * when the create was sent), to tell a standing backlog (every slice) from
 * a hiccup (one slice), and each watcher's mean delay */
#define NSLICES 40
static int slices;
static double burst_t0, slice_max[NSLICES];
static __thread double my_slice_max[NSLICES];

#define HEAD 160          /* what is looked at of an event: its type and name come first */
static const char ADDED[] = "{\"type\":\"ADDED\",";
static const char NAME[] = "\"name\":\"bw-";

/* One event's head (the first bytes of its chunk): an ADDED of a burst pod;
 * its delay is t (when the read returned) - when that pod's create was sent. */
static void on_event(wconn_t *c, const char *head, size_t n, double t)
{
    if (n < sizeof ADDED - 1 || memcmp(head, ADDED, sizeof ADDED - 1) != 0) { c->bad++; return; }
    const char *p = memmem(head, n, NAME, sizeof NAME - 1);
    if (!p) { c->bad++; return; }
    p += sizeof NAME - 1;
    const char *e = head + n;
    int idx = 0, digits = 0;
    for (; p < e && *p >= '0' && *p <= '9' && digits < 9; p++, digits++) idx = idx * 10 + (*p - '0');
    if (!digits || p == e || *p != '"' || idx >= burst) { c->bad++; return; }
    double lat = t - sent_at[idx];
    long b = (long)(lat * 10000);
    if (b < 0) b = 0;
    if (b > 100000) b = 100000;
    my_hist[b]++;
    if (slices) {
        int sl = (int)((sent_at[idx] - burst_t0) * 4);
        if (sl < 0) sl = 0;
        if (sl >= NSLICES) sl = NSLICES - 1;
        if (lat > my_slice_max[sl]) my_slice_max[sl] = lat;
    }
    c->lat_sum += lat;
    __atomic_add_fetch(&delivered, 1, __ATOMIC_RELAXED);
    c->got++;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* The chunked body, strictly: "<hex>\r\n<data>\r\n" per chunk, and each
 * chunk exactly one event line ending in "\n" (KUBECTL-WIRE.md 4). The head
 * of each event is parsed in place when the read holds it (the usual case),
 * else gathered first; the rest of the event is skipped by its length. */
static void feed(wconn_t *c, const char *p, size_t n, double t)
{
    const char *end = p + n;
    while (p < end) {
        if (c->state == 0) {
            /* response headers: once per connection */
            if (c->hl < sizeof c->hdr - 1) c->hdr[c->hl++] = *p;
            p++;
            if (c->hl >= 4 && memcmp(c->hdr + c->hl - 4, "\r\n\r\n", 4) == 0) {
                if (memcmp(c->hdr, "HTTP/1.1 200", 12) != 0) c->bad++;
                c->state = 1;
                c->hl = 0;
            }
        } else if (c->state == 1) {
            /* chunk size line */
            char ch = *p++;
            if (ch == '\n') {
                c->state = c->chunk_left ? 2 : 0; /* a last chunk: the stream ended (counted short) */
                c->ll = 0;
                c->last = 0;
                if (!c->chunk_left) c->hl = 0;
            } else if (ch != '\r') {
                int v = hexval(ch);
                if (v < 0) { c->bad++; c->state = 1; continue; }
                c->chunk_left = c->chunk_left * 16 + (size_t)v;
            }
        } else if (c->state == 2) {
            size_t avail = (size_t)(end - p);
            size_t take = avail < c->chunk_left ? avail : c->chunk_left;
            if (c->ll < HEAD) {
                if (c->ll == 0 && (take >= HEAD || take == c->chunk_left)) {
                    /* the whole head is in this read */
                    on_event(c, p, take < HEAD ? take : HEAD, t);
                    c->ll = HEAD;
                } else {
                    size_t cp = HEAD - c->ll < take ? HEAD - c->ll : take;
                    memcpy(c->line + c->ll, p, cp);
                    c->ll += cp;
                    if (c->ll == HEAD || cp == c->chunk_left) {
                        on_event(c, c->line, c->ll, t);
                        c->ll = HEAD;
                    }
                }
            }
            c->last = (unsigned char)p[take - 1];
            p += take;
            c->chunk_left -= take;
            if (!c->chunk_left) {
                if (c->last != '\n') c->bad++; /* not one whole event line */
                c->state = 3;
                c->hl = 0;
            }
        } else {
            /* CRLF after the data */
            char ch = *p++;
            if (c->hl == 0 && ch == '\r') c->hl = 1;
            else if (c->hl == 1 && ch == '\n') { c->state = 1; c->hl = 0; c->chunk_left = 0; }
            else { c->bad++; c->state = 1; c->hl = 0; c->chunk_left = 0; }
        }
    }
}

static void *watch_reader(void *arg)
{
    int id = (int)(long)arg;
    my_hist = calloc(100001, sizeof *my_hist);
    int ep = epoll_create1(0);
    for (int i = id; i < nwatch; i += readers) {
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
        epoll_ctl(ep, EPOLL_CTL_ADD, wc[i].fd, &ev);
    }
    size_t cap = 1 << 18;
    char *buf = malloc(cap);
    long long want = (long long)nwatch * burst;
    double deadline = bench_now_s() + 600, last = bench_now_s();
    while (__atomic_load_n(&delivered, __ATOMIC_RELAXED) < want && bench_now_s() < deadline) {
        struct epoll_event evs[64];
        int n = epoll_wait(ep, evs, 64, 100);
        for (int k = 0; k < n; k++) {
            wconn_t *c = &wc[evs[k].data.u32];
            ssize_t r = read(c->fd, buf, cap);
            if (r > 0) feed(c, buf, (size_t)r, last = bench_now_s());
            else { epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL); }
        }
        /* events that will never come (lost, or not counted as burst events) */
        if (n == 0 && __atomic_load_n(&burst_sent, __ATOMIC_ACQUIRE) && bench_now_s() - last > 10) break;
    }
    close(ep);
    free(buf);
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&mu);
    for (int i = 0; i <= 100000; i++) hist[i] += my_hist[i];
    for (int i = 0; i < NSLICES; i++) if (my_slice_max[i] > slice_max[i]) slice_max[i] = my_slice_max[i];
    pthread_mutex_unlock(&mu);
    free(my_hist);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double q)
{
    unsigned long long total = 0, acc = 0;
    for (int i = 0; i <= 100000; i++) total += hist[i];
    for (int i = 0; i <= 100000; i++) {
        acc += hist[i];
        if ((double)acc >= q * (double)total) return i / 10.0;
    }
    return 10000;
}

int main(int argc, char **argv)
{
    const char *plugins = "build/plugins", *dir = NULL;
    int creates = 20000, clients = 32, list_n = 100000;
    nwatch = 1000;
    burst = 10000;
    slices = getenv("API_BENCH_SLICES") != NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--plugins")) plugins = argv[i + 1];
        else if (!strcmp(argv[i], "--creates")) creates = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--clients")) clients = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--list")) list_n = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--watchers")) nwatch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--burst")) burst = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--dir")) dir = argv[i + 1];
        else if (!strcmp(argv[i], "--readers")) readers = atoi(argv[i + 1]);
    }
    if (clients > 256) clients = 256;
    if (readers < 1) readers = 1;
    if (readers > 16) readers = 16;
    char tmpl[] = "/tmp/skiff-bench-api.XXXXXX";
    if (!dir) dir = mkdtemp(tmpl);
    skiff_error_t err;
    skiff_registry_t *reg;
    skiff_instance_t *store;
    if (bench_lmdb_store(plugins, dir, &reg, &store) < 0) return 1;
    skiff_bus_t *bus = NULL;
    if (!getenv("API_BENCH_NO_CACHE") && skiff_bus_new(&bus, &err) < 0) { fprintf(stderr, "%s\n", err.msg); return 1; }
    skiff_api_config_t cfg = { .listen = "127.0.0.1:0", .bus = bus };
    skiff_api_server_t *srv;
    if (skiff_api_server_new(&cfg, skiff_instance_ops(store), skiff_instance_self(store), &srv, &err) < 0
        || skiff_api_server_start(srv, &err) < 0) { fprintf(stderr, "%s\n", err.msg); return 1; }
    port = skiff_api_server_port(srv);
    static const char ns[] = "{\"metadata\":{\"name\":\"default\"}}";
    skiff_api_request_t rq = { .method = "POST", .path = "/api/v1/namespaces", .body = ns, .body_len = sizeof ns - 1 };
    skiff_api_response_t rs;
    skiff_api_server_handle(srv, &rq, &rs);
    skiff_api_response_free(&rs);
    printf("# skiff API server bench (LMDB store in %s, port %d, watch cache %s)\n", dir, port, bus ? "on" : "off");

    int errors;
    if (creates > 0) {
        double t = run_creates("c", creates, clients, NULL, &errors);
        printf("creates: %d pods, %d clients: %.2f s, %.0f creates/s (%d errors)\n", creates, clients, t, creates / t, errors);
    }
    if (list_n > 0) {
        int more = list_n - (creates > 0 ? creates : 0);
        if (more > 0) run_creates("l", more, clients, NULL, &errors);
        size_t bytes = 0;
        double tj[3], tt[3];
        for (int i = 0; i < 3; i++) tj[i] = time_list("application/json", &bytes);
        printf("list: %d pods as JSON (%.1f MB): %.3f s / %.3f s / %.3f s\n", list_n, bytes / 1e6, tj[0], tj[1], tj[2]);
        for (int i = 0; i < 3; i++) tt[i] = time_list("application/json;as=Table;v=v1;g=meta.k8s.io", &bytes);
        printf("list: %d pods as Table (%.1f MB): %.3f s / %.3f s / %.3f s\n", list_n, bytes / 1e6, tt[0], tt[1], tt[2]);
    }
    if (nwatch > 0 && burst > 0) {
        int64_t cur = 0;
        const skiff_store_ops_t *ops = skiff_instance_ops(store);
        ops->revision(skiff_instance_self(store), &cur, NULL, &err);
        wc = calloc((size_t)nwatch, sizeof *wc);
        sent_at = calloc((size_t)burst, sizeof *sent_at);
        if (slices) answered_at = calloc((size_t)burst, sizeof *answered_at);
        for (int i = 0; i < nwatch; i++) {
            wc[i].fd = bench_dial(port);
            char req[256];
            int rl = snprintf(req, sizeof req, "GET /api/v1/namespaces/default/pods?watch=true&resourceVersion=%lld HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n", (long long)cur);
            bench_write_all(wc[i].fd, req, (size_t)rl);
        }
        usleep(500000);
        pthread_t rd[16];
        for (long i = 0; i < readers; i++) pthread_create(&rd[i], NULL, watch_reader, (void *)i);
        double t0 = bench_now_s();
        burst_t0 = t0;
        double tc = run_creates("bw", burst, clients, sent_at, &errors);
        __atomic_store_n(&burst_sent, 1, __ATOMIC_RELEASE);
        for (int i = 0; i < readers; i++) pthread_join(rd[i], NULL);
        double t = bench_now_s() - t0;
        int short_ = 0;
        long long bad = 0;
        for (int i = 0; i < nwatch; i++) { if (wc[i].got < burst) short_++; bad += wc[i].bad; }
        printf("watch: %d watchers x %d-pod burst (created in %.2f s): %lld/%lld events in %.2f s; latency p50 %.1f ms, p99 %.1f ms, max %.1f ms; %d watchers short, %lld bad chunks\n",
               nwatch, burst, tc, delivered, (long long)nwatch * burst, t, pct(0.5), pct(0.99), pct(1.0), short_, bad);
        if (slices) {
            int nsl = NSLICES;
            while (nsl > 1 && slice_max[nsl - 1] == 0) nsl--;
            for (int i = 0; i < nsl; i++) printf(" %.0f", slice_max[i] * 1000);
            printf(" (max ms per 250 ms of the burst)\n");
            double *m = calloc((size_t)nwatch, sizeof *m);
            for (int i = 0; i < nwatch; i++) m[i] = wc[i].got ? wc[i].lat_sum / wc[i].got * 1000 : 0;
            qsort(m, (size_t)nwatch, sizeof *m, cmp_double);
            printf("watchers' mean delay: min %.1f ms, p10 %.1f, p50 %.1f, p90 %.1f, max %.1f\n", m[0], m[nwatch / 10],
                   m[nwatch / 2], m[nwatch * 9 / 10], m[nwatch - 1]);
            free(m);
            /* how much of the delay is the create itself (the gate's wait, the commit) */
            double *cr = calloc((size_t)burst, sizeof *cr);
            for (int i = 0; i < burst; i++) cr[i] = (answered_at[i] - sent_at[i]) * 1000;
            qsort(cr, (size_t)burst, sizeof *cr, cmp_double);
            printf("creates answered after: p50 %.1f ms, p99 %.1f, max %.1f\n", cr[burst / 2], cr[burst * 99 / 100], cr[burst - 1]);
            free(cr);
        }
        apisrv_gate_stats_t gs;
        apisrv_watch_gate_stats(srv, &gs);
        printf("watch: write gate: %llu creates waited (%.1f ms on average), %llu gave up waiting, %llu times a watcher was left behind\n", gs.waits,
               gs.waits ? gs.wait_us / 1e3 / (double)gs.waits : 0.0, gs.timeouts, gs.left);
        for (int i = 0; i < nwatch; i++) close(wc[i].fd);
    }
    skiff_api_server_free(srv);
    skiff_bus_free(bus);
    skiff_instance_free(store);
    skiff_registry_free(reg);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (strncmp(dir, "/tmp/skiff-bench-api.", 21) == 0 && system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return 0;
}
