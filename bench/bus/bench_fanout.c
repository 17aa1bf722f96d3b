/* bench_fanout — store events/s fanned out by core/store/fanout to 1, 10 and
 * 100 subscribers (deliveries/s = events x subscribers). A minimal fake
 * store emits PUTs (32-byte key, 64-byte value) as fast as the slowest
 * subscriber allows without being cut off; median of RUNS runs.
 * Usage: bench_fanout [runs] [seconds-per-run]. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/fanout.h"

typedef struct bstore {
    skiff_store_watch_cb cb;
    void *ud;
    int64_t rev;
} bstore_t;

static int b_watch(void *self, const char *prefix, size_t plen, int64_t start_rev, skiff_store_watch_cb cb,
                   void *ud, skiff_store_watch_t **out, skiff_error_t *err)
{
    bstore_t *st = self;
    (void)prefix, (void)plen, (void)start_rev, (void)err;
    st->cb = cb;
    st->ud = ud;
    *out = (skiff_store_watch_t *)st;
    return 0;
}

static void b_unwatch(void *self, skiff_store_watch_t *w)
{
    (void)w;
    ((bstore_t *)self)->cb = NULL;
}

static int b_revision(void *self, int64_t *cur, int64_t *compacted, skiff_error_t *err)
{
    (void)err;
    if (cur)
        *cur = ((bstore_t *)self)->rev;
    if (compacted)
        *compacted = 0;
    return 0;
}

static const skiff_store_ops_t b_ops = {
    .size = sizeof(skiff_store_ops_t), .watch = b_watch, .unwatch = b_unwatch, .revision = b_revision,
};

typedef struct counter {
    atomic_ullong n;
    atomic_int ended;
    char pad[48];
} counter_t;

static void count_cb(void *ud, const skiff_store_event_t *ev, const skiff_error_t *err)
{
    counter_t *c = ud;
    if (err) {
        atomic_store(&c->ended, 1);
        return;
    }
    (void)ev;
    atomic_fetch_add_explicit(&c->n, 1, memory_order_relaxed);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static unsigned long long slowest(counter_t *c, int k)
{
    unsigned long long m = ~0ull;
    for (int i = 0; i < k; i++) {
        if (atomic_load(&c[i].ended)) {
            fprintf(stderr, "bench_fanout: subscriber %d of %d was cut off; the figures would be wrong\n", i, k);
            exit(1);
        }
        unsigned long long v = atomic_load_explicit(&c[i].n, memory_order_relaxed);
        if (v < m)
            m = v;
    }
    return m;
}

enum { QLEN = 4096, HIST = 8192, BATCH = 512 };

static double run(skiff_bus_t *bus, int k, double secs)
{
    bstore_t st = { 0 };
    skiff_error_t err = { 0 };
    skiff_fanout_opts_t o = { sizeof o, HIST, QLEN };
    skiff_fanout_t *f;
    if (skiff_fanout_new(bus, &b_ops, &st, "/registry/", 10, 0, &o, &f, &err) < 0) {
        fprintf(stderr, "bench_fanout: %s\n", err.msg);
        exit(1);
    }
    counter_t *c = calloc((size_t)k, sizeof *c);
    for (int i = 0; i < k; i++) {
        skiff_fanout_sub_t *s;
        if (skiff_fanout_subscribe(f, 0, count_cb, &c[i], NULL, &s, &err) < 0) {
            fprintf(stderr, "bench_fanout: %s\n", err.msg);
            exit(1);
        }
    }
    char key[33], val[64];
    memset(val, 'v', sizeof val);
    skiff_store_event_t ev = { 0 };
    ev.type = SKIFF_STORE_EV_PUT;
    ev.kv.key = key;
    ev.kv.key_len = 32;
    ev.kv.value = val;
    ev.kv.value_len = sizeof val;
    unsigned long long emitted = 0;
    double t0 = now_s(), t1;
    do {
        for (int i = 0; i < BATCH; i++) {
            snprintf(key, sizeof key, "/registry/pods/default/p%08llu", emitted % 1000);
            ev.kv.mod_rev = ev.kv.create_rev = ++st.rev;
            st.cb(st.ud, &ev, NULL);
            emitted++;
        }
        /* Stay well inside every subscriber's queue: this measures
         * throughput, not the cut-off. */
        while (emitted - slowest(c, k) > QLEN / 2) {
            struct timespec ts = { 0, 50000 };
            nanosleep(&ts, NULL);
        }
        t1 = now_s();
    } while (t1 - t0 < secs);
    while (slowest(c, k) < emitted) {
        struct timespec ts = { 0, 50000 };
        nanosleep(&ts, NULL);
    }
    t1 = now_s();
    skiff_fanout_free(f);
    free(c);
    return (double)emitted * k / (t1 - t0);
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    double secs = argc > 2 ? atof(argv[2]) : 0.3;
    if (runs < 1 || runs > 99 || secs <= 0) {
        fprintf(stderr, "usage: bench_fanout [runs 1-99] [seconds-per-run]\n");
        return 2;
    }
    skiff_bus_t *bus;
    skiff_error_t err = { 0 };
    if (skiff_bus_new(&bus, &err) < 0) {
        fprintf(stderr, "bench_fanout: %s\n", err.msg);
        return 1;
    }
    const int ks[] = { 1, 10, 100 };
    printf("# core/store/fanout: store events fanned out, 32-byte keys, 64-byte values, median of %d runs of %.2fs\n",
           runs, secs);
    printf("%12s %16s %16s\n", "subscribers", "deliveries/s", "store events/s");
    for (size_t j = 0; j < sizeof ks / sizeof ks[0]; j++) {
        double r[99];
        for (int i = 0; i < runs; i++)
            r[i] = run(bus, ks[j], secs);
        qsort(r, (size_t)runs, sizeof r[0], cmp_double);
        double med = r[runs / 2];
        printf("%12d %16.0f %16.0f\n", ks[j], med, med / ks[j]);
        fflush(stdout);
    }
    skiff_bus_free(bus);
    return 0;
}
