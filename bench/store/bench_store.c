/* bench_store — skiff's side of `make bench-store`: the lmdb store plugin
 * loaded in-process and driven through its ops table.
 *
 *   bench_store [--dir DIR] [--duration 10s] [--clients 64] [--plugin PATH]
 *
 * Prints one line per figure, `metric <name> <value> <unit>`:
 *   fsync.floor          write+fdatasync of 256 bytes in a loop, same filesystem
 *   lmdb.put.c1          durable puts/s of 256-byte values to fresh keys, 1 client
 *   lmdb.put.c<N>        the same from N concurrent clients (threads)
 *   lmdb.range10k.ms     median of 15 range reads of 10,000 keys under a prefix
 *   lmdb.watch.p50_us/p99_us  from just before a put to its watch callback
 *   lmdb.watch_notify.p50_us/p99_us  from the put's return (durable) to it
 *   lmdb.watch_put.p50_us/p99_us     the put itself (sent to durable)
 *   fsync.p50_us/p99_us  one append + fdatasync of the floor loop
 *   fsync.overwrite(.p50_us/.p99_us)  the same loop over already written
 *                        blocks, as the store's log writes (rate, latency)
 * Lines starting with '#' are commentary.
 */
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "coreload.h"
#include "log/log.h"
#include "util/quantity.h"

static const skiff_plugin_t *plug;
static const skiff_store_ops_t *ops;
static void *store;
static char value[256];

static int64_t now_ns(void) { return cl_mono_ns(); }

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

#define FLOOR_MAX 200000
static int64_t floor_lat[FLOOR_MAX];
static double floor_p50_us, floor_p99_us, over_p50_us, over_p99_us, over_rate;

/* Appends 256 bytes and fdatasyncs, in a loop: the disk's floor for a
 * durable single-writer commit, and the distribution of one fdatasync's
 * latency (p50/p99), which bounds any durable put's. */
static double fsync_floor(const char *dir, double secs)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/fsync-floor", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) { perror(path); return -1; }
    int64_t t0 = now_ns(), end = t0 + (int64_t)(secs * 1e9);
    long n = 0;
    int64_t t = t0;
    while (t < end) {
        if (write(fd, value, sizeof value) != (ssize_t)sizeof value || fdatasync(fd) != 0) {
            perror("fsync floor");
            close(fd);
            return -1;
        }
        int64_t t2 = now_ns();
        if (n < FLOOR_MAX) floor_lat[n] = t2 - t;
        t = t2;
        n++;
    }
    double rate = n / ((now_ns() - t0) / 1e9);
    long m = n < FLOOR_MAX ? n : FLOOR_MAX;
    if (m > 0) {
        qsort(floor_lat, (size_t)m, sizeof floor_lat[0], cmp_i64);
        floor_p50_us = floor_lat[m / 2] / 1e3;
        floor_p99_us = floor_lat[(m * 99) / 100] / 1e3;
    }
    /* The same over blocks already written and synced (what the store's
     * zero-filled log segments give its fdatasync: no file size to commit):
     * the distribution any durable put of the store sits on. */
    long blocks = n;
    t0 = now_ns();
    end = t0 + (int64_t)(secs * 1e9);
    t = t0;
    long k = 0;
    while (t < end && blocks > 0) {
        if (pwrite(fd, value, sizeof value, (off_t)(k % blocks) * (off_t)sizeof value) !=
                (ssize_t)sizeof value || fdatasync(fd) != 0) {
            perror("fsync floor (overwrite)");
            close(fd);
            return -1;
        }
        int64_t t2 = now_ns();
        if (k < FLOOR_MAX) floor_lat[k] = t2 - t;
        t = t2;
        k++;
    }
    m = k < FLOOR_MAX ? k : FLOOR_MAX;
    if (m > 0) {
        over_rate = k / ((now_ns() - t0) / 1e9);
        qsort(floor_lat, (size_t)m, sizeof floor_lat[0], cmp_i64);
        over_p50_us = floor_lat[m / 2] / 1e3;
        over_p99_us = floor_lat[(m * 99) / 100] / 1e3;
    }
    close(fd);
    unlink(path);
    return rate;
}

typedef struct putter {
    int id;
    int clients;
    int64_t end_ns;
    long done;
    int failed;
    pthread_t th;
} putter_t;

static void *put_main(void *arg)
{
    putter_t *p = arg;
    char key[64];
    while (now_ns() < p->end_ns) {
        int kl = snprintf(key, sizeof key, "/bench/c%d/%d/%ld", p->clients, p->id, p->done);
        skiff_store_op_t op = { SKIFF_STORE_OP_PUT, key, (size_t)kl, value, sizeof value, 0 };
        skiff_store_txn_res_t res;
        skiff_error_t err = { 0 };
        if (ops->txn(store, NULL, 0, &op, 1, &res, &err) != 0) {
            fprintf(stderr, "bench_store: put: %s\n", err.msg);
            p->failed = 1;
            break;
        }
        p->done++;
    }
    return NULL;
}

static int64_t cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}

static double put_rate(int clients, double secs)
{
    putter_t *p = calloc((size_t)clients, sizeof *p);
    int64_t cpu0 = cpu_ns();
    int64_t t0 = now_ns(), end = t0 + (int64_t)(secs * 1e9);
    for (int i = 0; i < clients; i++) {
        p[i] = (putter_t){ .id = i, .clients = clients, .end_ns = end };
        pthread_create(&p[i].th, NULL, put_main, &p[i]);
    }
    long total = 0;
    int failed = 0;
    for (int i = 0; i < clients; i++) {
        pthread_join(p[i].th, NULL);
        total += p[i].done;
        failed |= p[i].failed;
    }
    double el = (now_ns() - t0) / 1e9;
    free(p);
    /* CPU of the whole process (store and clients) per put: what the
     * machine's load does not change much, unlike the rate */
    if (total > 0)
        printf("# put.c%d: %ld puts, %.1f us CPU per put (store and client threads)\n", clients,
               total, (cpu_ns() - cpu0) / 1e3 / total);
    return failed ? -1 : total / el;
}

static int count_cb(void *ud, const skiff_store_kv_t *kv)
{
    (void)kv;
    (*(long *)ud)++;
    return 0;
}

static double range10k(void)
{
    char key[64];
    skiff_error_t err = { 0 };
    /* 10,000 keys, loaded 500 per txn */
    for (int b = 0; b < 20; b++) {
        skiff_store_op_t op[500];
        static char keys[500][32];
        for (int i = 0; i < 500; i++) {
            int kl = snprintf(keys[i], sizeof keys[i], "/registry/pods/p%05d", b * 500 + i);
            op[i] = (skiff_store_op_t){ SKIFF_STORE_OP_PUT, keys[i], (size_t)kl, value, sizeof value, 0 };
        }
        skiff_store_txn_res_t res;
        if (ops->txn(store, NULL, 0, op, 500, &res, &err) != 0) {
            fprintf(stderr, "bench_store: load: %s\n", err.msg);
            return -1;
        }
    }
    snprintf(key, sizeof key, "/registry/pods/");
    int64_t t[15];
    for (int r = 0; r < 15; r++) {
        long n = 0;
        skiff_store_range_req_t q = { .key = key, .key_len = strlen(key), .prefix = 1 };
        skiff_store_range_res_t res;
        int64_t t0 = now_ns();
        if (ops->range(store, &q, count_cb, &n, &res, &err) != 0 || n != 10000) {
            fprintf(stderr, "bench_store: range: %s (%ld keys)\n", err.msg, n);
            return -1;
        }
        t[r] = now_ns() - t0;
    }
    qsort(t, 15, sizeof t[0], cmp_i64);
    return t[7] / 1e6;
}

#define WATCH_N 5000

typedef struct wlat {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int64_t at[WATCH_N];
    int n;
} wlat_t;

static void on_watch(void *ud, const skiff_store_event_t *ev, const skiff_error_t *err)
{
    wlat_t *w = ud;
    int64_t t = now_ns();
    pthread_mutex_lock(&w->mu);
    if (!err && ev && w->n < WATCH_N) w->at[w->n++] = t;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->mu);
}

static int watch_latency(double secs, double *p50, double *p99, double *n50, double *n99)
{
    static wlat_t w;
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cond, NULL);
    skiff_store_watch_t *h;
    skiff_error_t err = { 0 };
    if (ops->watch(store, "/lat/", 5, 0, on_watch, &w, &h, &err) != 0) {
        fprintf(stderr, "bench_store: watch: %s\n", err.msg);
        return -1;
    }
    static int64_t sent[WATCH_N], acked[WATCH_N];
    int n = 0;
    int64_t end = now_ns() + (int64_t)(secs * 1e9);
    while (n < WATCH_N && now_ns() < end) {
        char key[32];
        int kl = snprintf(key, sizeof key, "/lat/%d", n);
        skiff_store_op_t op = { SKIFF_STORE_OP_PUT, key, (size_t)kl, value, sizeof value, 0 };
        skiff_store_txn_res_t res;
        sent[n] = now_ns();
        if (ops->txn(store, NULL, 0, &op, 1, &res, &err) != 0) {
            fprintf(stderr, "bench_store: watch put: %s\n", err.msg);
            return -1;
        }
        acked[n] = now_ns();
        n++;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 10;
    pthread_mutex_lock(&w.mu);
    while (w.n < n && pthread_cond_timedwait(&w.cond, &w.mu, &ts) == 0) {}
    int got = w.n;
    pthread_mutex_unlock(&w.mu);
    ops->unwatch(store, h);
    if (got < n) {
        fprintf(stderr, "bench_store: watch delivered %d of %d events\n", got, n);
        return -1;
    }
    int64_t *lat = malloc((size_t)n * sizeof *lat);
    for (int i = 0; i < n; i++) lat[i] = w.at[i] - sent[i];
    qsort(lat, (size_t)n, sizeof *lat, cmp_i64);
    *p50 = lat[n / 2] / 1e3;
    *p99 = lat[(n * 99) / 100] / 1e3;
    printf("# watch: %d samples, put->callback max %.0f us\n", n, lat[n - 1] / 1e3);
    /* notification alone: from txn() returning (durable) to the callback;
     * the callback may even run first (0) */
    for (int i = 0; i < n; i++) lat[i] = w.at[i] > acked[i] ? w.at[i] - acked[i] : 0;
    qsort(lat, (size_t)n, sizeof *lat, cmp_i64);
    *n50 = lat[n / 2] / 1e3;
    *n99 = lat[(n * 99) / 100] / 1e3;
    /* the put alone (sent to acknowledged, durable): most of the above */
    for (int i = 0; i < n; i++) lat[i] = acked[i] - sent[i];
    qsort(lat, (size_t)n, sizeof *lat, cmp_i64);
    printf("metric lmdb.watch_put.p50_us %.0f us\n", lat[n / 2] / 1e3);
    printf("metric lmdb.watch_put.p99_us %.0f us\n", lat[(n * 99) / 100] / 1e3);
    free(lat);
    return 0;
}

static double parse_secs(const char *s)
{
    int64_t ms;
    if (skiff_duration_parse(s, &ms, NULL) != 0) return -1;
    return ms / 1000.0;
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *plugin = NULL;
    double secs = 10;
    int clients = 64;
    const char *extra[8];
    int nextra = 0;
    const char *only = NULL; /* "c1", "cN", "range", "watch": one workload (profiling) */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dir") && i + 1 < argc) dir = argv[++i];
        else if (!strcmp(argv[i], "--duration") && i + 1 < argc) secs = parse_secs(argv[++i]);
        else if (!strcmp(argv[i], "--clients") && i + 1 < argc) clients = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--plugin") && i + 1 < argc) plugin = argv[++i];
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "--set") && i + 1 < argc && nextra < 6) extra[nextra++] = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--dir DIR] [--duration 10s] [--clients 64] [--plugin lmdb.so] [--only c1|cN|range|watch] [--set key=value]...\n", argv[0]);
            return 2;
        }
    }
    if (secs <= 0 || clients < 1) { fprintf(stderr, "bench_store: bad --duration or --clients\n"); return 2; }
    setvbuf(stdout, NULL, _IOLBF, 0);
    skiff_log_set_level(SKIFF_LOG_WARN);
    skiff_log_init_env(); /* SKIFF_LOG=debug shows the store writer's statistics */
    char plugbuf[4096], dirbuf[4096];
    if (!plugin) {
        const char *b = getenv("BUILD");
        snprintf(plugbuf, sizeof plugbuf, "%s/plugins/store/lmdb.so", b && *b ? b : "build");
        plugin = plugbuf;
    }
    char *tmp = NULL;
    if (!dir) {
        snprintf(dirbuf, sizeof dirbuf, "/tmp/skiff-bench-store.XXXXXX");
        tmp = mkdtemp(dirbuf);
        if (!tmp) { perror("mkdtemp"); return 1; }
        dir = tmp;
    }
    memset(value, 'v', sizeof value);
    skiff_error_t err = { 0 };
    plug = cl_load(plugin, &err);
    if (!plug) { fprintf(stderr, "bench_store: %s\n", err.msg); return 1; }
    ops = plug->ops;

    double floor = only ? 0 : fsync_floor(dir, secs / 4 > 1 ? secs / 4 : 1);
    if (floor < 0) return 1;
    if (!only) {
        printf("metric fsync.floor %.0f ops/s\n", floor);
        printf("metric fsync.p50_us %.0f us\n", floor_p50_us);
        printf("metric fsync.p99_us %.0f us\n", floor_p99_us);
        printf("metric fsync.overwrite %.0f ops/s\n", over_rate);
        printf("metric fsync.overwrite.p50_us %.0f us\n", over_p50_us);
        printf("metric fsync.overwrite.p99_us %.0f us\n", over_p99_us);
    }

    char pathset[4200];
    snprintf(pathset, sizeof pathset, "path=%s/lmdb", dir);
    const char *set[10] = { pathset, "retention=0" };
    for (int i = 0; i < nextra; i++) set[2 + i] = extra[i];
    set[2 + nextra] = NULL;
    if (cl_instance_new(plug, set, &store, &err) != 0) {
        fprintf(stderr, "bench_store: open: %s\n", err.msg);
        return 1;
    }
    int rc = 0;
    double r1 = 1;
    if (!only || !strcmp(only, "c1")) {
        r1 = put_rate(1, secs);
        if (r1 < 0) rc = 1;
        else printf("metric lmdb.put.c1 %.0f ops/s\n", r1);
    }
    if (!rc && (!only || (only[0] == 'c' && atoi(only + 1) > 1))) {
        int n = only ? atoi(only + 1) : clients;
        double rn = put_rate(n, secs);
        if (rn < 0) rc = 1;
        else printf("metric lmdb.put.c%d %.0f ops/s\n", n, rn);
    }
    if (!rc && (!only || !strcmp(only, "range"))) {
        double rr = range10k();
        if (rr < 0) rc = 1;
        else printf("metric lmdb.range10k.ms %.3f ms\n", rr);
    }
    double p50, p99, n50, n99;
    if (rc || (only && strcmp(only, "watch"))) {
        /* skipped */
    } else if (watch_latency(secs / 2 > 1 ? secs / 2 : 1, &p50, &p99, &n50, &n99) == 0) {
        printf("metric lmdb.watch.p50_us %.0f us\n", p50);
        printf("metric lmdb.watch.p99_us %.0f us\n", p99);
        printf("metric lmdb.watch_notify.p50_us %.0f us\n", n50);
        printf("metric lmdb.watch_notify.p99_us %.0f us\n", n99);
    } else {
        rc = 1;
    }
    if (!rc && !only) printf("# single client: fsync floor / lmdb = %.2f\n", floor / r1);
    cl_instance_free(store);
    if (tmp) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
        if (system(cmd) != 0) fprintf(stderr, "bench_store: could not remove %s\n", tmp);
    }
    return rc;
}
