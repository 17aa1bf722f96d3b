/* make bench-sched-core: the scheduler in-process with a fake pod/node source and
 * a fake binder (no API server yet), at kube-scheduler scheduler_perf sizes:
 *   basic-10k    5,000 nodes, 1,000 pods placed first, then 10,000 measured
 *   basic-50k    5,000 nodes, 50,000 pods
 *   constrained  5,000 nodes, 50,000 pods, a third with pod anti-affinity
 *                (hostname) or topology spread (zone, maxSkew 1)
 * Pods/s is from the first pod handed over to the last bind; latency is per
 * pod, handed over -> bound. Placement is checked afterwards: every pod
 * bound once, no node over its cpu/memory/pods, anti-affinity groups on
 * distinct nodes, spread groups within maxSkew across zones.
 * Usage: bench_sched PLUGIN_DIR [scale] (scale < 1 shrinks pod counts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <sys/resource.h>

#include <cjson/cJSON.h>

#include "plugin/plugin.h"
#include "sched/sched.h"
#include "../bench_util.h"
#include "sched_shapes.h"

#define N_NODES 5000

typedef struct bench {
    int n_pods;
    int64_t *created, *bound;
    int *node_of;
    int *kind;           /* 0 plain, 1 anti-affinity, 2 spread */
    pthread_mutex_t mu;
    int n_bound, n_failed;
    char first_failure[400];
} bench_t;

static int pod_index(const skiff_sched_pod_t *p)
{
    return atoi(p->name + 1); /* "p<index>" */
}

static int node_index(const char *n)
{
    return atoi(n + 1); /* "n<index>" */
}

static int b_bind(void *ud, const skiff_sched_pod_t *pod, const char *node, skiff_error_t *err)
{
    (void)err;
    bench_t *b = ud;
    int i = pod_index(pod);
    int64_t t = bench_now_ns();
    pthread_mutex_lock(&b->mu);
    if (b->node_of[i] < 0) b->n_bound++;
    b->node_of[i] = node_index(node);
    b->bound[i] = t;
    pthread_mutex_unlock(&b->mu);
    return 0;
}

static void b_failed(void *ud, const skiff_sched_pod_t *pod, int error, const char *msg)
{
    (void)pod; (void)error;
    bench_t *b = ud;
    pthread_mutex_lock(&b->mu);
    if (!b->n_failed++) snprintf(b->first_failure, sizeof b->first_failure, "%s: %s", pod->name, msg);
    pthread_mutex_unlock(&b->mu);
}

static cJSON *make_node(int i)
{
    char buf[512];
    snprintf(buf, sizeof buf,
             "{\"metadata\":{\"name\":\"n%d\",\"labels\":{\"kubernetes.io/hostname\":\"n%d\","
             "\"topology.kubernetes.io/zone\":\"zone-%d\"}},\"spec\":{},"
             "\"status\":{\"allocatable\":{\"cpu\":\"%dm\",\"memory\":\"%lld\",\"pods\":\"%d\"}}}",
             i, i, i % N_ZONES, NODE_CPU_MILLI, (long long)NODE_MEM, NODE_PODS);
    return cJSON_Parse(buf);
}

static cJSON *make_pod(int i, int kind)
{
    char buf[1536], extra[1024];
    int g = i / GROUP;
    sched_pod_constraint(extra, sizeof extra, i, kind);
    snprintf(buf, sizeof buf,
             "{\"metadata\":{\"name\":\"p%d\",\"namespace\":\"bench\",\"uid\":\"u%d\",\"labels\":{\"group\":\"g%d\"}},"
             "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\",\"resources\":{\"requests\":"
             "{\"cpu\":\"%dm\",\"memory\":\"%lld\"}}}]%s}}",
             i, i, g, POD_CPU_MILLI, (long long)POD_MEM, extra);
    return cJSON_Parse(buf);
}

typedef struct plugins {
    skiff_registry_t *reg;
    skiff_instance_t *inst[16];
    skiff_sched_plugin_ref_t refs[16];
    size_t n;
} plugins_t;

static int load_plugins(plugins_t *P, const char *dir)
{
    static const struct { const char *name; int64_t weight; } list[] = {
        { "node-unschedulable", 0 }, { "node-name", 0 }, { "taint-toleration", 3 },
        { "node-affinity", 2 }, { "node-resources-fit", 0 }, { "pod-topology-spread", 2 },
        { "inter-pod-affinity", 2 }, { "least-allocated", 1 }, { "balanced-allocation", 1 },
        { "default-binder", 0 },
    };
    skiff_error_t err;
    if (skiff_registry_new(&P->reg, &err) < 0 || skiff_registry_scan(P->reg, dir, &err) < 0) {
        fprintf(stderr, "bench_sched: %s\n", err.msg);
        return -1;
    }
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
        const skiff_plugin_t *d = skiff_registry_find(P->reg, SKIFF_KIND_SCHEDULER, list[i].name);
        if (!d) { fprintf(stderr, "bench_sched: no scheduler plugin %s in %s\n", list[i].name, dir); return -1; }
        if (skiff_instance_new(d, list[i].name, NULL, NULL, &P->inst[P->n], &err) < 0) {
            fprintf(stderr, "bench_sched: %s\n", err.msg);
            return -1;
        }
        P->refs[P->n] = (skiff_sched_plugin_ref_t){ list[i].name, skiff_instance_self(P->inst[P->n]),
                                                    skiff_instance_ops(P->inst[P->n]), list[i].weight };
        P->n++;
    }
    return 0;
}

/* Returns pods/s, or -1 when placement is wrong. */
static double run(const char *label, plugins_t *P, int warm, int measured, int constrained,
                  double *p99_ms)
{
    int total = warm + measured;
    bench_t b = { .n_pods = total };
    pthread_mutex_init(&b.mu, NULL);
    b.created = calloc((size_t)total, sizeof *b.created);
    b.bound = calloc((size_t)total, sizeof *b.bound);
    b.node_of = malloc((size_t)total * sizeof *b.node_of);
    b.kind = calloc((size_t)total, sizeof *b.kind);
    cJSON **pods = calloc((size_t)total, sizeof *pods);
    for (int i = 0; i < total; i++) {
        b.node_of[i] = -1;
        if (constrained && (i / GROUP) % 3 == 0) b.kind[i] = (i / GROUP / 3) % 2 ? 2 : 1;
        pods[i] = make_pod(i, b.kind[i]);
    }
    skiff_sched_profile_conf_t prof = { "default-scheduler", P->refs, P->n, 0 };
    const char *par = getenv("SCHED_PARALLELISM");
    skiff_sched_options_t o = { .profiles = &prof, .n_profiles = 1,
                                .parallelism = par ? atoi(par) : 2, .seed = 42 };
    skiff_sched_sink_t sink = { &b, b_bind, b_failed, NULL };
    skiff_sched_t *s;
    skiff_error_t err;
    if (skiff_sched_new(&o, &sink, &s, &err) < 0 || skiff_sched_start(s, &err) < 0) {
        fprintf(stderr, "bench_sched: %s\n", err.msg);
        exit(1);
    }
    for (int i = 0; i < N_NODES; i++) skiff_sched_node_add(s, make_node(i), &err);
    for (int i = 0; i < warm; i++) {
        b.created[i] = bench_now_ns();
        skiff_sched_pod_add(s, pods[i], &err);
    }
    skiff_sched_wait_idle(s, 600000);
    double cpu0 = bench_cpu_seconds();
    int64_t t0 = bench_now_ns();
    for (int i = warm; i < total; i++) {
        b.created[i] = bench_now_ns();
        skiff_sched_pod_add(s, pods[i], &err);
    }
    skiff_sched_wait_idle(s, 600000);
    double cpu_used = bench_cpu_seconds() - cpu0;
    int64_t t1 = 0;
    for (int i = warm; i < total; i++) if (b.bound[i] > t1) t1 = b.bound[i];
    skiff_sched_stop(s);

    /* validate */
    int ok = 1;
    int64_t *cpu = calloc(N_NODES, sizeof *cpu), *cnt = calloc(N_NODES, sizeof *cnt);
    for (int i = 0; i < total; i++) {
        if (b.node_of[i] < 0 || b.node_of[i] >= N_NODES) {
            if (ok) fprintf(stderr, "%s: pod p%d not bound (%d failures; first: %s)\n", label, i, b.n_failed, b.first_failure);
            ok = 0;
            continue;
        }
        cpu[b.node_of[i]] += POD_CPU_MILLI;
        cnt[b.node_of[i]]++;
    }
    for (int n = 0; n < N_NODES && ok; n++)
        if (cpu[n] > NODE_CPU_MILLI || cnt[n] > NODE_PODS || cnt[n] * POD_MEM > NODE_MEM) {
            fprintf(stderr, "%s: node n%d overcommitted (%lld pods)\n", label, n, (long long)cnt[n]);
            ok = 0;
        }
    for (int g = 0; ok && g * GROUP < total; g++) {
        int first = g * GROUP, last = first + GROUP < total ? first + GROUP : total;
        if (b.kind[first] == 1) {
            for (int i = first; i < last; i++)
                for (int j = i + 1; j < last; j++)
                    if (b.node_of[i] == b.node_of[j]) {
                        fprintf(stderr, "%s: anti-affinity pods p%d and p%d share n%d\n", label, i, j, b.node_of[i]);
                        ok = 0;
                    }
        } else if (b.kind[first] == 2) {
            int z[N_ZONES] = { 0 }, mn = 1 << 30, mx = 0;
            for (int i = first; i < last; i++) z[b.node_of[i] % N_ZONES]++;
            for (int k = 0; k < N_ZONES; k++) { if (z[k] < mn) mn = z[k]; if (z[k] > mx) mx = z[k]; }
            if (mx - mn > 1) { fprintf(stderr, "%s: spread group g%d skew %d\n", label, g, mx - mn); ok = 0; }
        }
    }
    int64_t *lat = malloc((size_t)measured * sizeof *lat);
    for (int i = 0; i < measured; i++) lat[i] = b.bound[warm + i] - b.created[warm + i];
    qsort(lat, (size_t)measured, sizeof *lat, bench_cmp_i64);
    *p99_ms = measured ? (double)lat[(size_t)(measured * 0.99)] / 1e6 : 0;
    double pps = measured / ((double)(t1 - t0) / 1e9);
    printf("%-12s %5d nodes, %6d pods measured (%d placed first): %8.0f pods/s, p50 %.1f ms, p99 %.1f ms, "
           "%.0f pods per CPU-second, placement %s\n",
           label, N_NODES, measured, warm, pps, (double)lat[measured / 2] / 1e6, *p99_ms,
           cpu_used > 0 ? measured / cpu_used : 0, ok ? "valid" : "INVALID");
    fflush(stdout);
    skiff_sched_free(s);
    free(lat); free(cpu); free(cnt);
    free(b.created); free(b.bound); free(b.node_of); free(b.kind); free(pods);
    return ok ? pps : -1;
}

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: bench_sched PLUGIN_DIR [scale]\n"); return 2; }
    double scale = argc > 2 ? atof(argv[2]) : 1.0;
    if (scale <= 0 || scale > 1) scale = 1;
    plugins_t P = { 0 };
    if (load_plugins(&P, argv[1]) < 0) return 1;
    double p99a, p99b, p99c;
    const char *only = getenv("SCHED_BENCH_ONLY"); /* one scenario, for profiling */
    double a = 0, b = 0, c = 0;
    if (!only || strcmp(only, "basic-10k") == 0)
        a = run("basic-10k", &P, (int)(1000 * scale), (int)(10000 * scale), 0, &p99a);
    if (!only || strcmp(only, "basic-50k") == 0)
        b = run("basic-50k", &P, 0, (int)(50000 * scale), 0, &p99b);
    if (!only || strcmp(only, "constrained") == 0)
        c = run("constrained", &P, 0, (int)(50000 * scale), 1, &p99c);
    for (size_t i = P.n; i-- > 0;) skiff_instance_free(P.inst[i]);
    skiff_registry_free(P.reg);
    printf("sched-core: basic-10k %.0f pods/s, basic-50k %.0f pods/s, constrained %.0f pods/s\n", a, b, c);
    return a < 0 || b < 0 || c < 0;
}
