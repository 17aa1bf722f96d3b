/* bench_bus — events/s delivered by core/bus to 1, 10 and 100 subscribers,
 * sync and async (BLOCK, default queue), 64-byte payload; median of RUNS
 * runs. Usage: bench_bus [runs] [seconds-per-run]. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus/bus.h"

typedef struct counter {
    atomic_ullong n;
    char pad[56]; /* one cache line each: subscribers don't share counters */
} counter_t;

static void count_cb(void *ud, const skiff_bus_event_t *ev)
{
    (void)ev;
    counter_t *c = ud;
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

static unsigned long long total(counter_t *c, int k)
{
    unsigned long long t = 0;
    for (int i = 0; i < k; i++)
        t += atomic_load_explicit(&c[i].n, memory_order_relaxed);
    return t;
}

/* One run: returns deliveries per second. */
static double run(int mode, int k, double secs)
{
    skiff_bus_t *bus;
    skiff_error_t err = { 0 };
    if (skiff_bus_new(&bus, &err) < 0) {
        fprintf(stderr, "bench_bus: %s\n", err.msg);
        exit(1);
    }
    skiff_bus_topic_t *t;
    skiff_bus_topic_open(bus, "bench", 1, &t, &err);
    counter_t *c = calloc((size_t)k, sizeof *c);
    skiff_bus_sub_opts_t o = { sizeof o, (uint32_t)mode, 0, SKIFF_BUS_FULL_BLOCK };
    for (int i = 0; i < k; i++) {
        skiff_bus_sub_t *s;
        if (skiff_bus_subscribe(bus, NULL, "bench", 1, &o, count_cb, &c[i], NULL, &s, &err) < 0) {
            fprintf(stderr, "bench_bus: %s\n", err.msg);
            exit(1);
        }
    }
    char payload[64];
    memset(payload, 'x', sizeof payload);
    unsigned long long published = 0;
    double t0 = now_s(), t1;
    do {
        for (int i = 0; i < 256; i++)
            skiff_bus_publish(t, payload, sizeof payload, &err);
        published += 256;
        t1 = now_s();
    } while (t1 - t0 < secs);
    /* Async: count until the workers have delivered everything. */
    while (total(c, k) < published * (unsigned long long)k) {
        struct timespec ts = { 0, 100000 };
        nanosleep(&ts, NULL);
    }
    t1 = now_s();
    double rate = (double)published * k / (t1 - t0);
    skiff_bus_free(bus);
    free(c);
    return rate;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    double secs = argc > 2 ? atof(argv[2]) : 0.3;
    if (runs < 1 || runs > 99 || secs <= 0) {
        fprintf(stderr, "usage: bench_bus [runs 1-99] [seconds-per-run]\n");
        return 2;
    }
    const int ks[] = { 1, 10, 100 };
    printf("# core/bus: deliveries/s (events x subscribers), 64-byte payload, median of %d runs of %.2fs\n",
           runs, secs);
    printf("%-6s %12s %16s %16s\n", "mode", "subscribers", "deliveries/s", "publishes/s");
    for (int mode = 0; mode < 2; mode++) {
        for (size_t j = 0; j < sizeof ks / sizeof ks[0]; j++) {
            double r[99];
            for (int i = 0; i < runs; i++)
                r[i] = run(mode, ks[j], secs);
            qsort(r, (size_t)runs, sizeof r[0], cmp_double);
            double med = r[runs / 2];
            printf("%-6s %12d %16.0f %16.0f\n", mode ? "async" : "sync", ks[j], med, med / ks[j]);
            fflush(stdout);
        }
    }
    return 0;
}
