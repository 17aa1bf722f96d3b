/* bench_sim — the sim component at scale, in-process: register N simulated
 * nodes, then take P pods created beforehand (bound round-robin to those
 * nodes) to Running, then measure the steady-state heartbeat cost (process
 * CPU per second while N leases renew every `heartbeat`).
 *
 * usage: sim_bench --plugins DIR [--nodes N] [--pods P] [--steady SECONDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "api/client.h"
#include "api/component.h"
#include "bus/bus.h"
#include "config/config.h"
#include "log/log.h"
#include "sim/sim.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Every pod Running, its IP inside its node's /24 (10.0.0.0/8 + index), no
 * IP given twice. Returns the number of problems. */
static int check_pods(skiff_api_client_t *c, int nodes, int pods)
{
    skiff_api_result_t r = { 0 };
    skiff_error_t err;
    skiff_error_clear(&err);
    if (skiff_api_client_get(c, "/api/v1/namespaces/default/pods", &r, &err) < 0) {
        fprintf(stderr, "sim_bench: list pods: %s\n", err.msg);
        return 1;
    }
    cJSON *l = cJSON_ParseWithLength(r.body, r.len);
    skiff_api_result_free(&r);
    uint32_t *ips = calloc((size_t)pods + 1, sizeof *ips);
    int running = 0, outside = 0, n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(l, "items")) {
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(it, "status");
        const cJSON *ph = cJSON_GetObjectItemCaseSensitive(st, "phase"), *ip = cJSON_GetObjectItemCaseSensitive(st, "podIP");
        const cJSON *nn = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(it, "spec"), "nodeName");
        if (cJSON_IsString(ph) && !strcmp(ph->valuestring, "Running")) running++;
        uint32_t a;
        int idx = cJSON_IsString(nn) && !strncmp(nn->valuestring, "sim-node-", 9) ? atoi(nn->valuestring + 9) : -1;
        if (!cJSON_IsString(ip) || skiff_sim_ip_parse(ip->valuestring, &a) < 0 || idx < 0 || idx >= nodes ||
            (a & 0xffffff00u) != (0x0a000000u + ((uint32_t)idx << 8))) { outside++; continue; }
        if (ips && n < pods) ips[n++] = a;
    }
    cJSON_Delete(l);
    int dups = 0;
    if (ips) {
        qsort(ips, (size_t)n, sizeof *ips, cmp_u32);
        for (int i = 1; i < n; i++) dups += ips[i] == ips[i - 1];
    }
    free(ips);
    printf("  check: %d/%d Running, %d IPs outside their node's podCIDR, %d duplicate IPs\n", running, pods, outside, dups);
    return (running != pods) + (outside != 0) + (dups != 0);
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    const char *plugins = "build/plugins";
    int nodes = 5000, pods = 10000, steady = 10;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--plugins") && i + 1 < argc) plugins = argv[++i];
        else if (!strcmp(argv[i], "--nodes") && i + 1 < argc) nodes = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--pods") && i + 1 < argc) pods = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--steady") && i + 1 < argc) steady = atoi(argv[++i]);
        else { fprintf(stderr, "usage: sim_bench --plugins DIR [--nodes N] [--pods P] [--steady SECONDS]\n"); return 2; }
    }
    if (nodes < 1 || pods < 0) { fprintf(stderr, "sim_bench: --nodes must be positive\n"); return 2; }
    char *abs = realpath(plugins, NULL);
    if (!abs) { perror(plugins); return 2; }
    char dir[] = "/tmp/skiff-simbench.XXXXXX";
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    char file[256];
    snprintf(file, sizeof file, "%s/sim.cfg", dir);
    FILE *f = fopen(file, "w");
    if (!f) { perror(file); return 1; }
    fprintf(f, "plugin_path = [ \"%s\" ];\n"
               "components = { apiserver = true; sim = false; };\n"
               "apiserver = { listen = \"\"; };\n"
               "sim = { nodes = %d; heartbeat = \"10s\"; status_interval = \"1m\"; pod_start_delay = \"0s\"; pod_cidr = \"10.0.0.0/8\"; node_cidr = \"172.16.0.0/12\"; };\n"
               "plugins = { store = ( { plugin = \"memory\"; } ); };\n", abs, nodes);
    free(abs);
    fclose(f);
    skiff_cluster_config_t *cfg;
    skiff_error_t err;
    skiff_error_clear(&err);
    skiff_bus_t *bus = NULL;
    skiff_cluster_t *cl = NULL;
    if (skiff_config_load(file, NULL, NULL, &cfg, &err) < 0 || skiff_bus_new(&bus, &err) < 0 ||
        skiff_cluster_assemble(cfg, bus, &cl, &err) < 0) {
        fprintf(stderr, "sim_bench: %s\n", err.msg);
        return 1;
    }
    skiff_api_client_t *c;
    if (skiff_api_client_local(skiff_api_component_server(), &c, &err) < 0) { fprintf(stderr, "sim_bench: %s\n", err.msg); return 1; }

    /* pods bound before the nodes exist, as after a scheduler ran */
    double t = now_s();
    for (int i = 0; i < pods; i++) {
        char body[512];
        snprintf(body, sizeof body,
                 "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p%d\"},"
                 "\"spec\":{\"nodeName\":\"sim-node-%d\",\"containers\":[{\"name\":\"main\",\"image\":\"busybox\"}]}}",
                 i, i % nodes);
        if (skiff_api_client_create(c, "/api/v1/namespaces/default/pods", body, NULL, &err) < 0) {
            fprintf(stderr, "sim_bench: create pod %d: %s\n", i, err.msg);
            return 1;
        }
    }
    double t_create = now_s() - t;

    void *sim = NULL;
    t = now_s();
    double cpu0 = cpu_s();
    if (skiff_sim_component_start(cl, skiff_config_component(cfg, "sim"), &sim, &err) < 0) {
        fprintf(stderr, "sim_bench: %s\n", err.msg);
        return 1;
    }
    skiff_sim_stats_t st;
    double t_nodes = -1, t_pods = -1, deadline = t + 600;
    for (;;) {
        skiff_sim_stats(sim, &st);
        if (t_nodes < 0 && st.nodes_registered >= (uint64_t)nodes) t_nodes = now_s() - t;
        if (st.pods_started >= (uint64_t)pods) { t_pods = now_s() - t; break; }
        if (now_s() > deadline) break;
        usleep(5000);
    }
    double cpu_start = cpu_s() - cpu0;
    /* steady state: every lease renewed once per 10 s */
    double c0 = cpu_s(), s0 = now_s();
    sleep((unsigned)steady);
    double steady_cpu = (cpu_s() - c0) / (now_s() - s0);

    printf("nodes %d, pods %d (machine shared; in-process client, memory store, watch cache)\n", nodes, pods);
    /* the work was real: every pod Running with a good IP */
    int problems = check_pods(c, nodes, pods);

    /* graceful deletion of every pod (kubectl delete: deletionTimestamp,
     * grace 30 s), finished by the sim */
    skiff_sim_stats_t d0;
    skiff_sim_stats(sim, &d0);
    double t_del = now_s();
    for (int i = 0; i < pods; i++) {
        char path[128];
        snprintf(path, sizeof path, "/api/v1/namespaces/default/pods/p%d", i);
        if (skiff_api_client_delete(c, path, NULL, &err) < 0) { fprintf(stderr, "sim_bench: delete p%d: %s\n", i, err.msg); problems++; break; }
    }
    double t_del_calls = now_s() - t_del;
    for (;;) {
        skiff_sim_stats(sim, &st);
        if (st.deletes_finished - d0.deletes_finished >= (uint64_t)pods || now_s() > t_del + 600) break;
        usleep(5000);
    }
    t_del = now_s() - t_del;
    skiff_api_result_t r = { 0 };
    int left = -1;
    if (skiff_api_client_get(c, "/api/v1/namespaces/default/pods", &r, &err) == 0) {
        cJSON *l = cJSON_ParseWithLength(r.body, r.len);
        left = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(l, "items"));
        cJSON_Delete(l);
    }
    skiff_api_result_free(&r);
    if (left != 0) problems++;
    int ok = problems == 0;

    printf("  create %d pre-bound pods:           %.2f s (%.0f/s)\n", pods, t_create, pods / t_create);
    printf("  register %d nodes (+ leases):       %.2f s (%.0f nodes/s)\n", nodes, t_nodes, nodes / t_nodes);
    printf("  all %d pods Running (from start):   %.2f s (%.0f pods/s after nodes)\n", pods, t_pods,
           t_pods > t_nodes ? pods / (t_pods - t_nodes) : 0.0);
    printf("  CPU used during start:              %.2f s\n", cpu_start);
    printf("  steady heartbeats (%d leases/10 s):  %.1f%% of one core\n", nodes, steady_cpu * 100);
    printf("  graceful delete of all pods:        %.2f s (%.2f s of DELETE calls; %d pods left)\n", t_del, t_del_calls, left);
    printf("  result: %s\n", ok ? "ok" : "PROBLEMS");
    skiff_sim_component_stop(sim);
    skiff_api_client_free(c);
    skiff_cluster_free(cl);
    skiff_bus_free(bus);
    skiff_config_free(cfg);
    unlink(file);
    rmdir(dir);
    return ok && t_pods > 0 ? 0 : 1;
}
