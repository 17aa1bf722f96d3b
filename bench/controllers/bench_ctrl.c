/* make bench-ctrl: the controllers issue's target in ONE process, the code
 * path `skiff run --config examples/sim.cfg` takes: an API server over the
 * memory store (or --store lmdb) assembled from a config
 * (skiff_cluster_assemble), the real scheduler component, the sim component
 * (N simulated nodes, pods Running after --pod-start-delay, default "0s"),
 * and the controllers component (replicaset, deployment, garbagecollector).
 *
 * Once every simulated node is registered, a Deployment of R replicas is
 * created through the in-process client; the clock runs from that POST until
 * the Deployment's status shows observedGeneration >= generation and
 * availableReplicas == updatedReplicas == R ("available"). Then the pod
 * template's image is patched (a rolling update, default 25%/25%) and the
 * clock runs until the rollout is complete by kubectl's rule
 * (`kubectl rollout status`: observedGeneration >= generation,
 * updatedReplicas == replicas == availableReplicas == R) and every old
 * ReplicaSet is at 0 replicas in spec and status ("rollout").
 * The Deployment is polled every 20 ms (one GET through the in-process
 * client); progress is printed every 5 s. A hard overall timeout (--timeout,
 * default 180 s) ends the run and says where it got.
 *
 * Target (controllers issue): R = 10,000 on 1,000 nodes: available < 10 s,
 * rollout < 30 s.
 *
 * usage: bench_ctrl --plugins DIR [--replicas R] [--nodes N] [--store memory|lmdb]
 *                   [--pod-start-delay D] [--profile default|lean] [--workers W]
 *                   [--timeout SECONDS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <ftw.h>
#include <sys/resource.h>

#include <cjson/cJSON.h>

#include "api/client.h"
#include "api/component.h"
#include "bus/bus.h"
#include "config/config.h"
#include "controller/component.h"
#include "sched/component.h"
#include "sim/sim.h"

#define DEPLOY_PATH "/apis/apps/v1/namespaces/default/deployments/web"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

typedef struct opts {
    const char *store, *delay, *profile;
    int replicas, nodes, workers;
    double timeout;
} opts_t;

static int write_config(const char *file, const char *plugins, const char *dir, const opts_t *o)
{
    FILE *f = fopen(file, "w");
    if (!f) { perror(file); return -1; }
    fprintf(f,
            "plugin_path = [ \"%s\" ];\n"
            "components = { apiserver = true; scheduler = false; sim = false; controllers = false; };\n"
            "apiserver = { listen = \"\"; };\n"
            "sim = { nodes = %d; pod_start_delay = \"%s\"; heartbeat = \"10s\"; status_interval = \"1m\";\n"
            "        zones = 3; pod_cidr = \"10.0.0.0/8\"; node_cidr = \"172.16.0.0/12\"; };\n"
            "controllers = { enable = [ \"replicaset\", \"deployment\", \"garbagecollector\" ]; workers = %d; };\n",
            plugins, o->nodes, o->delay, o->workers);
    if (!strcmp(o->profile, "lean"))
        fprintf(f,
                "scheduler = { percentage_of_nodes_to_score = 0;\n"
                "  profiles = ( { name = \"default-scheduler\";\n"
                "    plugins = ( { instance = \"unschedulable\"; }, { instance = \"taints\"; }, { instance = \"fit\"; },\n"
                "                { instance = \"least\"; }, { instance = \"binder\"; } ); } ); };\n");
    else /* examples/sim.cfg's default profile: kube-scheduler's plugins and weights */
        fprintf(f,
                "scheduler = { percentage_of_nodes_to_score = 0;\n"
                "  profiles = ( { name = \"default-scheduler\";\n"
                "    plugins = ( { instance = \"unschedulable\"; }, { instance = \"node-name\"; },\n"
                "                { instance = \"taints\"; weight = 3; }, { instance = \"node-affinity\"; weight = 2; },\n"
                "                { instance = \"fit\"; }, { instance = \"spread\"; weight = 2; },\n"
                "                { instance = \"pod-affinity\"; weight = 2; }, { instance = \"least\"; weight = 1; },\n"
                "                { instance = \"balanced\"; weight = 1; }, { instance = \"binder\"; } ); } ); };\n");
    if (!strcmp(o->store, "lmdb"))
        fprintf(f, "plugins = {\n  store = ( { plugin = \"lmdb\"; instance = \"etcd\"; settings = { path = \"%s/data\"; }; } );\n", dir);
    else
        fprintf(f, "plugins = {\n  store = ( { plugin = \"memory\"; instance = \"main\"; } );\n");
    fprintf(f,
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
            "    { plugin = \"default-binder\"; instance = \"binder\"; }\n"
            "  );\n"
            "};\n");
    fclose(f);
    return 0;
}

typedef struct dstatus {
    long long gen, observed, replicas, updated, ready, available;
} dstatus_t;

static long long jint(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? (long long)v->valuedouble : 0;
}

static int get_status(skiff_api_client_t *c, dstatus_t *s, skiff_error_t *err)
{
    skiff_api_result_t r = { 0 };
    if (skiff_api_client_get(c, DEPLOY_PATH, &r, err) < 0) { skiff_api_result_free(&r); return -1; }
    cJSON *d = cJSON_ParseWithLength(r.body, r.len);
    skiff_api_result_free(&r);
    if (!d) return skiff_error_set(err, SKIFF_E_INVALID, "GET %s: unparseable body", DEPLOY_PATH);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(d, "status");
    s->gen = jint(cJSON_GetObjectItemCaseSensitive(d, "metadata"), "generation");
    s->observed = jint(st, "observedGeneration");
    s->replicas = jint(st, "replicas");
    s->updated = jint(st, "updatedReplicas");
    s->ready = jint(st, "readyReplicas");
    s->available = jint(st, "availableReplicas");
    cJSON_Delete(d);
    return 0;
}

/* ReplicaSets of the Deployment whose template image is not `image` and
 * that still have replicas (spec or status). -1 on error. */
static int old_rs_left(skiff_api_client_t *c, const char *image, long long *old_pods)
{
    skiff_api_result_t r = { 0 };
    skiff_error_t err;
    skiff_error_clear(&err);
    *old_pods = 0;
    if (skiff_api_client_list(c, "/apis/apps/v1/namespaces/default/replicasets", "app=web", NULL, &r, &err) < 0) {
        skiff_api_result_free(&r);
        return -1;
    }
    cJSON *l = cJSON_ParseWithLength(r.body, r.len);
    skiff_api_result_free(&r);
    if (!l) return -1;
    int left = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(l, "items")) {
        const cJSON *ctrs = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(it, "spec"), "template"), "spec"), "containers");
        const cJSON *img = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(ctrs, 0), "image");
        if (cJSON_IsString(img) && !strcmp(img->valuestring, image)) continue;
        long long spec = jint(cJSON_GetObjectItemCaseSensitive(it, "spec"), "replicas");
        long long stat = jint(cJSON_GetObjectItemCaseSensitive(it, "status"), "replicas");
        if (spec || stat) left++;
        *old_pods += stat;
    }
    cJSON_Delete(l);
    return left;
}

static void progress(const char *phase, double t, const dstatus_t *s, void *sim)
{
    skiff_sim_stats_t st;
    skiff_sim_stats(sim, &st);
    printf("  %-9s %6.1f s: generation %lld observed %lld, replicas %lld updated %lld ready %lld available %lld; "
           "sim: %llu pods started, %llu deletions, %zu jobs pending; CPU %.1f s\n",
           phase, t, s->gen, s->observed, s->replicas, s->updated, s->ready, s->available,
           (unsigned long long)st.pods_started, (unsigned long long)st.deletes_finished, st.jobs_pending, cpu_s());
    fflush(stdout);
}

/* Poll until `done` holds or the deadline. Returns seconds from t0, or -1. */
typedef int (*done_fn)(skiff_api_client_t *c, const dstatus_t *s, const opts_t *o, const char *image);

static int available_done(skiff_api_client_t *c, const dstatus_t *s, const opts_t *o, const char *image)
{
    (void)c; (void)image;
    return s->observed >= s->gen && s->gen > 0 && s->available == o->replicas && s->updated == o->replicas;
}

static int rollout_done(skiff_api_client_t *c, const dstatus_t *s, const opts_t *o, const char *image)
{
    if (!(s->observed >= s->gen && s->updated == o->replicas && s->replicas == o->replicas &&
          s->available == o->replicas))
        return 0;
    long long old_pods;
    return old_rs_left(c, image, &old_pods) == 0;
}

static double wait_for(const char *phase, skiff_api_client_t *c, const opts_t *o, const char *image,
                       done_fn done, double t0, double deadline, void *sim, dstatus_t *last)
{
    double next_print = t0 + 5;
    for (;;) {
        skiff_error_t err;
        skiff_error_clear(&err);
        dstatus_t s = { 0 };
        double t = now_s();
        if (get_status(c, &s, &err) < 0) {
            fprintf(stderr, "bench_ctrl: %s: %s\n", phase, err.msg);
        } else {
            *last = s;
            if (done(c, &s, o, image)) return now_s() - t0;
        }
        if (t >= next_print) { progress(phase, t - t0, last, sim); next_print += 5; }
        if (t > deadline) return -1;
        usleep(20000);
    }
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(p);
}

int main(int argc, char **argv)
{
    const char *plugins = "build/plugins";
    opts_t o = { .store = "memory", .delay = "0s", .profile = "default", .replicas = 10000, .nodes = 1000,
                 .workers = 2, .timeout = 180 };
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--plugins") && i + 1 < argc) plugins = argv[++i];
        else if (!strcmp(argv[i], "--replicas") && i + 1 < argc) o.replicas = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--nodes") && i + 1 < argc) o.nodes = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--store") && i + 1 < argc) o.store = argv[++i];
        else if (!strcmp(argv[i], "--pod-start-delay") && i + 1 < argc) o.delay = argv[++i];
        else if (!strcmp(argv[i], "--profile") && i + 1 < argc) o.profile = argv[++i];
        else if (!strcmp(argv[i], "--workers") && i + 1 < argc) o.workers = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) o.timeout = atof(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_ctrl --plugins DIR [--replicas R] [--nodes N] [--store memory|lmdb]\n"
                            "                  [--pod-start-delay D] [--profile default|lean] [--workers W] [--timeout SECONDS]\n");
            return 2;
        }
    }
    if (o.replicas < 1 || o.nodes < 1 || o.timeout <= 0 || o.workers < 1 || o.workers > 64) {
        fprintf(stderr, "bench_ctrl: --replicas and --nodes must be positive, --timeout positive, --workers 1..64\n");
        return 2;
    }
    if (strcmp(o.store, "memory") && strcmp(o.store, "lmdb")) {
        fprintf(stderr, "bench_ctrl: --store must be memory or lmdb, not \"%s\"\n", o.store);
        return 2;
    }
    if (strcmp(o.profile, "default") && strcmp(o.profile, "lean")) {
        fprintf(stderr, "bench_ctrl: --profile must be default or lean, not \"%s\"\n", o.profile);
        return 2;
    }
    if ((long long)o.replicas * 5 / 4 + 1 > (long long)o.nodes * 110) {
        fprintf(stderr, "bench_ctrl: %d replicas (+25%% surge) do not fit on %d nodes of 110 pods\n", o.replicas, o.nodes);
        return 2;
    }
    char *abs = realpath(plugins, NULL);
    if (!abs) { perror(plugins); return 2; }
    char dir[] = "/tmp/skiff-ctrlbench.XXXXXX";
    if (!mkdtemp(dir)) { perror("mkdtemp"); free(abs); return 1; }
    char file[256];
    snprintf(file, sizeof file, "%s/ctrl.cfg", dir);
    int wrc = write_config(file, abs, dir, &o);
    free(abs);
    if (wrc < 0) { nftw(dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS); return 1; }

    printf("bench_ctrl: API server (%s store, in-process client) + scheduler (%s profile) + sim (%d nodes, "
           "pod_start_delay %s) + controllers (replicaset, deployment, garbagecollector; %d workers), one process\n",
           o.store, o.profile, o.nodes, o.delay, o.workers);
    fflush(stdout);
    skiff_error_t err;
    skiff_error_clear(&err);
    skiff_cluster_config_t *cfg = NULL;
    skiff_bus_t *bus = NULL;
    skiff_cluster_t *cl = NULL;
    skiff_api_client_t *c = NULL;
    void *sched = NULL, *sim = NULL, *ctrl = NULL;
    double start = now_s(), deadline = start + o.timeout;
    if (skiff_config_load(file, NULL, NULL, &cfg, &err) < 0 || skiff_bus_new(&bus, &err) < 0 ||
        skiff_cluster_assemble(cfg, bus, &cl, &err) < 0 ||
        skiff_api_client_local(skiff_api_component_server(), &c, &err) < 0 ||
        skiff_sim_component_start(cl, skiff_config_component(cfg, "sim"), &sim, &err) < 0 ||
        skiff_sched_component_start(cl, skiff_config_component(cfg, "scheduler"), &sched, &err) < 0 ||
        skiff_ctrl_component_start(cl, skiff_config_component(cfg, "controllers"), &ctrl, &err) < 0) {
        fprintf(stderr, "bench_ctrl: %s\n", err.msg);
        return 1;
    }
    /* the nodes first: the measured time is the controllers' (and the
     * scheduler's and sim's on their behalf), not node registration */
    skiff_sim_stats_t st;
    for (;;) {
        skiff_sim_stats(sim, &st);
        if (st.nodes_registered >= (uint64_t)o.nodes) break;
        if (now_s() > deadline) { fprintf(stderr, "bench_ctrl: only %llu of %d nodes registered\n", (unsigned long long)st.nodes_registered, o.nodes); return 1; }
        usleep(20000);
    }
    printf("  %d nodes registered in %.2f s\n", o.nodes, now_s() - start);
    usleep(500000);   /* let the scheduler's node watch catch up */

    char body[2048];
    snprintf(body, sizeof body,
             "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"labels\":{\"app\":\"web\"}},"
             "\"spec\":{\"replicas\":%d,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
             "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"web\","
             "\"image\":\"nginx:1.26\",\"resources\":{\"requests\":{\"cpu\":\"100m\",\"memory\":\"128Mi\"}}}]}}}}",
             o.replicas);
    dstatus_t last = { 0 };
    double cpu0 = cpu_s(), t0 = now_s();
    if (skiff_api_client_create(c, "/apis/apps/v1/namespaces/default/deployments", body, NULL, &err) < 0) {
        fprintf(stderr, "bench_ctrl: create deployment: %s\n", err.msg);
        return 1;
    }
    double avail = wait_for("available", c, &o, "nginx:1.26", available_done, t0, deadline, sim, &last);
    double cpu_avail = cpu_s() - cpu0;
    if (avail < 0) {
        printf("bench_ctrl: TIMEOUT (%.0f s overall) before all-Available:\n", o.timeout);
        progress("available", now_s() - t0, &last, sim);
    } else
        printf("  all %d replicas Available after %.2f s (%.1f CPU-s)\n", o.replicas, avail, cpu_avail);
    fflush(stdout);

    double roll = -1, cpu_roll = 0;
    if (avail >= 0) {
        const char *patch = "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.27\","
                            "\"resources\":{\"requests\":{\"cpu\":\"100m\",\"memory\":\"128Mi\"}}}]}}}}";
        cpu0 = cpu_s();
        double t1 = now_s();
        if (skiff_api_client_patch(c, DEPLOY_PATH, "application/merge-patch+json", patch, NULL, &err) < 0) {
            fprintf(stderr, "bench_ctrl: patch image: %s\n", err.msg);
            return 1;
        }
        roll = wait_for("rollout", c, &o, "nginx:1.27", rollout_done, t1, deadline, sim, &last);
        cpu_roll = cpu_s() - cpu0;
        if (roll < 0) {
            long long old_pods = 0;
            int left = old_rs_left(c, "nginx:1.27", &old_pods);
            printf("bench_ctrl: TIMEOUT (%.0f s overall) before the rollout completed; old ReplicaSets with replicas: %d (%lld pods):\n",
                   o.timeout, left, old_pods);
            progress("rollout", now_s() - t1, &last, sim);
        } else
            printf("  rollout to nginx:1.27 complete after %.2f s (%.1f CPU-s)\n", roll, cpu_roll);
    }
    fflush(stdout);

    skiff_ctrl_component_stop(ctrl);
    skiff_sched_component_stop(sched);
    skiff_sim_component_stop(sim);
    skiff_api_client_free(c);
    skiff_cluster_free(cl);
    skiff_bus_free(bus);
    skiff_config_free(cfg);
    nftw(dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
    char a[32], r[32];
    if (avail >= 0) snprintf(a, sizeof a, "%.2f", avail); else snprintf(a, sizeof a, "TIMEOUT");
    if (roll >= 0) snprintf(r, sizeof r, "%.2f", roll); else snprintf(r, sizeof r, avail >= 0 ? "TIMEOUT" : "not-run");
    printf("ctrl: available %s s, rollout %s s (%d replicas, %d nodes)\n", a, r, o.replicas, o.nodes);
    return avail < 0 || roll < 0;
}
