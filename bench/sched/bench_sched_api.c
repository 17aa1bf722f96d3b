/* make bench-sched (also bench-sched-api): the scheduler_perf shapes with the API server in the
 * loop, in ONE process, the code path `skiff run` takes: an API server over
 * the memory store plugin (watch cache on the bus, not listening on any
 * port) assembled from a config (skiff_cluster_assemble), the real
 * `scheduler` component (skiff_sched_component_start: its api_link watches
 * nodes and pods through the in-process client and binds via pods/binding,
 * writing Scheduled events), nodes and pods created through the in-process
 * client, pods by several creator threads.
 *   basic-10k    5,000 nodes, 1,000 pods placed first, then 10,000 measured
 *   basic-50k    5,000 nodes, 50,000 pods
 *   constrained  5,000 nodes, 50,000 pods, a third with pod anti-affinity
 *                (hostname) or topology spread (zone, maxSkew 1)
 * Bound-ness is observed by a watch on pods (spec.nodeName set). Pods/s runs
 * from the first measured create to the last bound seen; latency is per pod,
 * just before its POST -> its nodeName seen on the watch. Placement is
 * checked from the final pod list: every pod bound, no node over its
 * cpu/memory/pods, anti-affinity groups on distinct nodes, spread groups
 * within maxSkew 1 across zones.
 *
 * usage: bench_sched_api --plugins DIR [--scale S] [--only NAME] [--store memory|lmdb]
 *                        [--threads N] [--nodes N --pods P [--warm W] [--constrained]]
 * (--nodes/--pods run one "custom" scenario instead of the three). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <ftw.h>

#include <cjson/cJSON.h>

#include "api/client.h"
#include "api/component.h"
#include "bus/bus.h"
#include "config/config.h"
#include "sched/component.h"
#include "../bench_util.h"
#include "sched_shapes.h"


typedef struct bench {
    int n_pods, n_nodes;
    int64_t *created, *bound;  /* per pod, monotonic ns; 0 = not yet */
    int *kind;                 /* 0 plain, 1 anti-affinity, 2 spread */
    pthread_mutex_t mu;
    int n_bound;
    skiff_api_client_t *c;
    int from, to, threads;     /* creator range [from, to) */
    int create_errors;
    int64_t creates_done;      /* when the last creator thread finished */
    char first_error[600];
} bench_t;

/* The watch callback runs on the watch's thread for every pod event: find
 * metadata.name ("p<index>") and whether spec.nodeName is set without a
 * full parse, so the observer costs little beside the scheduler. */
static void pod_cb(void *ud, const char *type, const char *obj, size_t len)
{
    bench_t *b = ud;
    if (!type || !obj || (strcmp(type, "ADDED") && strcmp(type, "MODIFIED"))) return;
    static const char nn[] = "\"nodeName\":\"";
    if (!memmem(obj, len, nn, sizeof nn - 1)) return;
    static const char meta[] = "\"metadata\":{";
    const char *m = memmem(obj, len, meta, sizeof meta - 1);
    if (!m) return;
    static const char name[] = "\"name\":\"p";
    const char *n = memmem(m, len - (size_t)(m - obj), name, sizeof name - 1);
    if (!n) return;
    int i = atoi(n + sizeof name - 1);
    if (i < 0 || i >= b->n_pods) return;
    int64_t t = bench_now_ns();
    pthread_mutex_lock(&b->mu);
    if (!b->bound[i]) { b->bound[i] = t; b->n_bound++; }
    pthread_mutex_unlock(&b->mu);
}

static int make_pod(char *buf, size_t len, int i, int kind)
{
    char extra[1024];
    int g = i / GROUP;
    sched_pod_constraint(extra, sizeof extra, i, kind);
    return snprintf(buf, len,
                    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p%d\",\"labels\":{\"group\":\"g%d\"}},"
                    "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\",\"resources\":{\"requests\":"
                    "{\"cpu\":\"%dm\",\"memory\":\"%lld\"}}}]%s}}",
                    i, g, POD_CPU_MILLI, (long long)POD_MEM, extra);
}

typedef struct creator { bench_t *b; int k; } creator_t;

static void *create_pods(void *arg)
{
    creator_t *cr = arg;
    bench_t *b = cr->b;
    char body[2048];
    for (int i = b->from + cr->k; i < b->to; i += b->threads) {
        make_pod(body, sizeof body, i, b->kind[i]);
        skiff_error_t err;
        skiff_error_clear(&err);
        int64_t t = bench_now_ns();
        pthread_mutex_lock(&b->mu);
        b->created[i] = t;
        pthread_mutex_unlock(&b->mu);
        if (skiff_api_client_create(b->c, "/api/v1/namespaces/default/pods", body, NULL, &err) < 0) {
            pthread_mutex_lock(&b->mu);
            if (!b->create_errors++) snprintf(b->first_error, sizeof b->first_error, "p%d: %s", i, err.msg);
            pthread_mutex_unlock(&b->mu);
        }
    }
    return NULL;
}

/* Create pods [from, to) with b->threads threads and wait until all are seen
 * bound, or no progress for 60 s. Returns the number still unbound. */
static int create_and_wait(bench_t *b, int from, int to)
{
    b->from = from;
    b->to = to;
    pthread_t th[64];
    creator_t cr[64];
    for (int k = 0; k < b->threads; k++) {
        cr[k] = (creator_t){ b, k };
        if (pthread_create(&th[k], NULL, create_pods, &cr[k]) == 0) pthread_setname_np(th[k], "bench-creator");
    }
    for (int k = 0; k < b->threads; k++) pthread_join(th[k], NULL);
    b->creates_done = bench_now_ns();
    int last = -1;
    int64_t last_change = bench_now_ns();
    for (;;) {
        pthread_mutex_lock(&b->mu);
        int nb = b->n_bound;
        pthread_mutex_unlock(&b->mu);
        if (nb >= to) return 0;
        if (nb != last) { last = nb; last_change = bench_now_ns(); }
        else if (bench_now_ns() - last_change > 60000000000LL) return to - nb;
        usleep(2000);
    }
}

/* --store lmdb: the durable store `make run` uses, in a data directory that
 * is emptied before each scenario (run() calls wipe_store()). */
static const char *store_kind = "memory";
static char store_dir[300];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag;
    if (ftw->level > 0)
        remove(path);
    return 0;
}

static void wipe_store(void)
{
    if (store_dir[0])
        nftw(store_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The work directory goes on every exit, the early ones (exit(1) on a
 * scenario that cannot start) too. */
static char work_dir[64];

static void remove_work_dir(void)
{
    if (!work_dir[0])
        return;
    nftw(work_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    rmdir(work_dir);
    work_dir[0] = '\0';
}

static int write_config(const char *file, const char *plugins)
{
    FILE *f = fopen(file, "w");
    if (!f) { perror(file); return -1; }
    char store[512];
    if (!strcmp(store_kind, "lmdb"))
        snprintf(store, sizeof store,
                 "{ plugin = \"lmdb\"; instance = \"main\"; settings = { path = \"%s\"; }; }", store_dir);
    else
        snprintf(store, sizeof store, "{ plugin = \"memory\"; instance = \"main\"; }");
    /* examples/scheduler.cfg's default profile: kube-scheduler's plugins and weights */
    fprintf(f,
            "plugin_path = [ \"%s\" ];\n"
            "components = { apiserver = true; scheduler = false; };\n"
            "apiserver = { listen = \"\"; };\n"
            "scheduler = { percentage_of_nodes_to_score = 0; parallelism = %s;%s%s%s\n"
            "  profiles = ( { name = \"default-scheduler\";\n"
            "    plugins = ( { instance = \"unschedulable\"; }, { instance = \"node-name\"; },\n"
            "                { instance = \"taints\"; weight = 3; }, { instance = \"node-affinity\"; weight = 2; },\n"
            "                { instance = \"fit\"; }, { instance = \"spread\"; weight = 2; },\n"
            "                { instance = \"pod-affinity\"; weight = 2; }, { instance = \"least\"; weight = 1; },\n"
            "                { instance = \"balanced\"; weight = 1; }, { instance = \"preemption\"; },\n"
            "                { instance = \"binder\"; } ); } ); };\n"
            "plugins = {\n"
            "  store = ( %s );\n"
            "  scheduler = (\n"
            "    { plugin = \"node-unschedulable\"; instance = \"unschedulable\"; },\n"
            "    { plugin = \"node-name\"; },\n"
            "    { plugin = \"taint-toleration\"; instance = \"taints\"; },\n"
            "    { plugin = \"node-affinity\"; },\n"
            "    { plugin = \"node-resources-fit\"; instance = \"fit\"; },\n"
            "    { plugin = \"pod-topology-spread\"; instance = \"spread\"; },\n"
            "    { plugin = \"inter-pod-affinity\"; instance = \"pod-affinity\"; },\n"
            "    { plugin = \"least-allocated\"; instance = \"least\"; },\n"
            "    { plugin = \"balanced-allocation\"; instance = \"balanced\"; },\n"
            "    { plugin = \"default-preemption\"; instance = \"preemption\"; },\n"
            "    { plugin = \"default-binder\"; instance = \"binder\"; }\n"
            "  );\n"
            "};\n",
            plugins, getenv("SCHED_PARALLELISM") ? getenv("SCHED_PARALLELISM") : "2",
            /* the scheduler's default unless SCHED_BIND_WORKERS says */
            getenv("SCHED_BIND_WORKERS") ? " bind_workers = " : "",
            getenv("SCHED_BIND_WORKERS") ? getenv("SCHED_BIND_WORKERS") : "",
            getenv("SCHED_BIND_WORKERS") ? ";" : "", store);
    fclose(f);
    return 0;
}

/* Validate from the final pod list. Returns the number of problems. */
static int validate(const char *label, bench_t *b)
{
    skiff_api_result_t r = { 0 };
    skiff_error_t err;
    skiff_error_clear(&err);
    if (skiff_api_client_get(b->c, "/api/v1/namespaces/default/pods", &r, &err) < 0) {
        fprintf(stderr, "%s: list pods: %s\n", label, err.msg);
        skiff_api_result_free(&r);
        return 1;
    }
    cJSON *l = cJSON_ParseWithLength(r.body, r.len);
    skiff_api_result_free(&r);
    int *node_of = malloc((size_t)b->n_pods * sizeof *node_of);
    int64_t *cnt = calloc((size_t)b->n_nodes, sizeof *cnt);
    int problems = 0, listed = 0;
    if (!l || !node_of || !cnt) { fprintf(stderr, "%s: out of memory validating\n", label); free(node_of); free(cnt); cJSON_Delete(l); return 1; }
    for (int i = 0; i < b->n_pods; i++) node_of[i] = -1;
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(l, "items")) {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(it, "metadata"), "name");
        const cJSON *nn = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(it, "spec"), "nodeName");
        if (!cJSON_IsString(nm) || nm->valuestring[0] != 'p') continue;
        int i = atoi(nm->valuestring + 1);
        if (i < 0 || i >= b->n_pods) continue;
        listed++;
        if (cJSON_IsString(nn) && nn->valuestring[0] == 'n') {
            int n = atoi(nn->valuestring + 1);
            if (n >= 0 && n < b->n_nodes) { node_of[i] = n; cnt[n]++; }
        }
    }
    cJSON_Delete(l);
    if (listed != b->n_pods) { fprintf(stderr, "%s: %d pods listed, %d created\n", label, listed, b->n_pods); problems++; }
    for (int i = 0; i < b->n_pods; i++)
        if (node_of[i] < 0) {
            if (!problems) fprintf(stderr, "%s: pod p%d not bound to a known node\n", label, i);
            problems++;
        }
    for (int n = 0; n < b->n_nodes; n++)
        if (cnt[n] * POD_CPU_MILLI > NODE_CPU_MILLI || cnt[n] > NODE_PODS || cnt[n] * POD_MEM > NODE_MEM) {
            fprintf(stderr, "%s: node n%d overcommitted (%lld pods)\n", label, n, (long long)cnt[n]);
            problems++;
        }
    for (int g = 0; g * GROUP < b->n_pods; g++) {
        int first = g * GROUP, last = first + GROUP < b->n_pods ? first + GROUP : b->n_pods;
        if (b->kind[first] == 1) {
            for (int i = first; i < last; i++)
                for (int j = i + 1; j < last; j++)
                    if (node_of[i] >= 0 && node_of[i] == node_of[j]) {
                        fprintf(stderr, "%s: anti-affinity pods p%d and p%d share n%d\n", label, i, j, node_of[i]);
                        problems++;
                    }
        } else if (b->kind[first] == 2) {
            int z[N_ZONES] = { 0 }, mn = 1 << 30, mx = 0;
            for (int i = first; i < last; i++) if (node_of[i] >= 0) z[node_of[i] % N_ZONES]++;
            int zones = b->n_nodes < N_ZONES ? b->n_nodes : N_ZONES;
            for (int k = 0; k < zones; k++) { if (z[k] < mn) mn = z[k]; if (z[k] > mx) mx = z[k]; }
            if (mx - mn > 1) { fprintf(stderr, "%s: spread group g%d skew %d\n", label, g, mx - mn); problems++; }
        }
    }
    free(node_of);
    free(cnt);
    return problems;
}

/* One scenario on a fresh API server + scheduler. Returns pods/s, or -1. */
static double run(const char *label, const char *cfg_file, int nodes, int warm, int measured,
                  int constrained, int threads)
{
    int total = warm + measured;
    bench_t b = { .n_pods = total, .n_nodes = nodes, .threads = threads };
    pthread_mutex_init(&b.mu, NULL);
    b.created = calloc((size_t)total, sizeof *b.created);
    b.bound = calloc((size_t)total, sizeof *b.bound);
    b.kind = calloc((size_t)total, sizeof *b.kind);
    if (!b.created || !b.bound || !b.kind) { fprintf(stderr, "%s: out of memory\n", label); exit(1); }
    for (int i = 0; i < total; i++)
        if (constrained && (i / GROUP) % 3 == 0) b.kind[i] = (i / GROUP / 3) % 2 ? 2 : 1;

    wipe_store();
    skiff_error_t err;
    skiff_error_clear(&err);
    skiff_cluster_config_t *cfg = NULL;
    skiff_bus_t *bus = NULL;
    skiff_cluster_t *cl = NULL;
    void *sched = NULL;
    if (skiff_config_load(cfg_file, NULL, NULL, &cfg, &err) < 0 || skiff_bus_new(&bus, &err) < 0 ||
        skiff_cluster_assemble(cfg, bus, &cl, &err) < 0 ||
        skiff_api_client_local(skiff_api_component_server(), &b.c, &err) < 0 ||
        skiff_sched_component_start(cl, skiff_config_component(cfg, "scheduler"), &sched, &err) < 0) {
        fprintf(stderr, "%s: %s\n", label, err.msg);
        exit(1);
    }
    for (int i = 0; i < nodes; i++) {
        char body[640];
        snprintf(body, sizeof body,
                 "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n%d\",\"labels\":"
                 "{\"kubernetes.io/hostname\":\"n%d\",\"topology.kubernetes.io/zone\":\"zone-%d\"}},\"spec\":{},"
                 "\"status\":{\"allocatable\":{\"cpu\":\"%dm\",\"memory\":\"%lld\",\"pods\":\"%d\"},"
                 "\"capacity\":{\"cpu\":\"%dm\",\"memory\":\"%lld\",\"pods\":\"%d\"}}}",
                 i, i, i % N_ZONES, NODE_CPU_MILLI, (long long)NODE_MEM, NODE_PODS,
                 NODE_CPU_MILLI, (long long)NODE_MEM, NODE_PODS);
        if (skiff_api_client_create(b.c, "/api/v1/nodes", body, NULL, &err) < 0) {
            fprintf(stderr, "%s: create node n%d: %s\n", label, i, err.msg);
            exit(1);
        }
    }
    skiff_api_client_watch_t *w = NULL;
    if (skiff_api_client_watch(b.c, "/api/v1/namespaces/default/pods", "", pod_cb, &b, &w, &err) < 0) {
        fprintf(stderr, "%s: watch pods: %s\n", label, err.msg);
        exit(1);
    }
    int unbound = warm ? create_and_wait(&b, 0, warm) : 0;
    double cpu0 = bench_cpu_seconds();
    int64_t t0 = bench_now_ns();
    if (!unbound) unbound = create_and_wait(&b, warm, total);
    /* the Scheduled events are written off the binding path (the
     * recorder's queue): their CPU counts too, so wait until they are in */
    uint64_t ev_written = 0, ev_dropped = 0;
    skiff_sched_component_events(sched, 1, &ev_written, &ev_dropped);
    int64_t t_events = bench_now_ns();
    double cpu_used = bench_cpu_seconds() - cpu0;
    skiff_api_client_watch_stop(w);
    int64_t t1 = 0;
    for (int i = warm; i < total; i++) if (b.bound[i] > t1) t1 = b.bound[i];
    int problems = validate(label, &b) + (unbound != 0) + (b.create_errors != 0);
    if (b.create_errors) fprintf(stderr, "%s: %d creates failed (first: %s)\n", label, b.create_errors, b.first_error);
    if (unbound) fprintf(stderr, "%s: %d pods never seen bound (no progress for 60 s)\n", label, unbound);

    int64_t *lat = malloc((size_t)measured * sizeof *lat);
    int nl = 0;
    for (int i = warm; i < total; i++) if (b.bound[i]) lat[nl++] = b.bound[i] - b.created[i];
    qsort(lat, (size_t)nl, sizeof *lat, bench_cmp_i64);
    double p50 = nl ? (double)lat[nl / 2] / 1e6 : 0, p99 = nl ? (double)lat[(size_t)(nl * 0.99)] / 1e6 : 0;
    double pps = t1 > t0 ? measured / ((double)(t1 - t0) / 1e9) : 0;
    printf("%-12s %5d nodes, %6d pods measured (%d placed first), %d creator threads: %7.0f pods/s, "
           "p50 %.1f ms, p99 %.1f ms, %.0f pods per CPU-second, creates done at %.2f s, "
           "events %llu written, %llu dropped, in at %.2f s, bind echoes unparsed %llu, placement %s\n",
           label, nodes, measured, warm, threads, pps, p50, p99, cpu_used > 0 ? measured / cpu_used : 0,
           (double)(b.creates_done - t0) / 1e9, (unsigned long long)ev_written, (unsigned long long)ev_dropped,
           (double)(t_events - t0) / 1e9, (unsigned long long)skiff_sched_component_echoes_skipped(sched),
           problems ? "INVALID" : "valid");
    fflush(stdout);

    skiff_sched_component_stop(sched);
    skiff_api_client_free(b.c);
    skiff_cluster_free(cl);
    skiff_bus_free(bus);
    skiff_config_free(cfg);
    free(lat);
    free(b.created); free(b.bound); free(b.kind);
    pthread_mutex_destroy(&b.mu);
    return problems ? -1 : pps;
}

int main(int argc, char **argv)
{
    const char *plugins = "build/plugins", *only = NULL;
    double scale = 1;
    int threads = 4, nodes = 0, pods = 0, warm = 0, constrained = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--plugins") && i + 1 < argc) plugins = argv[++i];
        else if (!strcmp(argv[i], "--scale") && i + 1 < argc) scale = atof(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--nodes") && i + 1 < argc) nodes = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--pods") && i + 1 < argc) pods = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warm") && i + 1 < argc) warm = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--constrained")) constrained = 1;
        else if (!strcmp(argv[i], "--store") && i + 1 < argc) store_kind = argv[++i];
        else {
            fprintf(stderr, "usage: bench_sched_api --plugins DIR [--scale S] [--only basic-10k|basic-50k|constrained]\n"
                            "                       [--store memory|lmdb]\n"
                            "                       [--threads N] [--nodes N --pods P [--warm W] [--constrained]]\n");
            return 2;
        }
    }
    if (strcmp(store_kind, "memory") && strcmp(store_kind, "lmdb")) {
        fprintf(stderr, "bench_sched_api: --store must be memory or lmdb, not \"%s\"\n", store_kind);
        return 2;
    }
    if (scale <= 0 || scale > 1) { fprintf(stderr, "bench_sched_api: --scale must be within (0, 1]\n"); return 2; }
    if (threads < 1 || threads > 64) { fprintf(stderr, "bench_sched_api: --threads must be within 1..64\n"); return 2; }
    if ((nodes || pods) && (nodes < 1 || pods < 1 || warm < 0)) {
        fprintf(stderr, "bench_sched_api: --nodes and --pods must both be positive, --warm not negative\n");
        return 2;
    }
    char *abs = realpath(plugins, NULL);
    if (!abs) { perror(plugins); return 2; }
    char dir[] = "/tmp/skiff-schedbench.XXXXXX";
    if (!mkdtemp(dir)) { perror("mkdtemp"); free(abs); return 1; }
    snprintf(work_dir, sizeof work_dir, "%s", dir);
    atexit(remove_work_dir);
    char file[256];
    snprintf(file, sizeof file, "%s/sched.cfg", dir);
    if (!strcmp(store_kind, "lmdb")) {
        snprintf(store_dir, sizeof store_dir, "%s/store", dir);
        if (mkdir(store_dir, 0700) < 0) { perror(store_dir); return 1; }
    }
    int wrc = write_config(file, abs);
    free(abs);
    if (wrc < 0) return 1;
    printf("bench_sched_api: API server (%s store, watch cache, in-process client) + scheduler component, one process\n",
           store_kind);
    int bad = 0;
    if (nodes) {
        double r = run("custom", file, nodes, warm, pods, constrained, threads);
        bad = r < 0;
        printf("sched: custom %.0f pods/s\n", r);
    } else {
        double a = 0, b = 0, c = 0;
        if (!only || !strcmp(only, "basic-10k"))
            a = run("basic-10k", file, 5000, (int)(1000 * scale), (int)(10000 * scale), 0, threads);
        if (!only || !strcmp(only, "basic-50k"))
            b = run("basic-50k", file, 5000, 0, (int)(50000 * scale), 0, threads);
        if (!only || !strcmp(only, "constrained"))
            c = run("constrained", file, 5000, 0, (int)(50000 * scale), 1, threads);
        bad = a < 0 || b < 0 || c < 0;
        printf("sched: basic-10k %.0f pods/s, basic-50k %.0f pods/s, constrained %.0f pods/s\n", a, b, c);
    }
    remove_work_dir();
    return bad;
}
