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

    /* a few checks that the work was real */
    skiff_api_result_t r = { 0 };
    int ok = skiff_api_client_get(c, "/api/v1/namespaces/default/pods/p0", &r, &err) == 0 && strstr(r.body, "\"phase\":\"Running\"") != NULL;
    skiff_api_result_free(&r);

    printf("nodes %d, pods %d (machine shared; in-process client, memory store, watch cache)\n", nodes, pods);
    printf("  create %d pre-bound pods:           %.2f s (%.0f/s)\n", pods, t_create, pods / t_create);
    printf("  register %d nodes (+ leases):       %.2f s (%.0f nodes/s)\n", nodes, t_nodes, nodes / t_nodes);
    printf("  all %d pods Running (from start):   %.2f s (%.0f pods/s after nodes)\n", pods, t_pods,
           t_pods > t_nodes ? pods / (t_pods - t_nodes) : 0.0);
    printf("  CPU used during start:              %.2f s\n", cpu_start);
    printf("  steady heartbeats (%d leases/10 s):  %.1f%% of one core\n", nodes, steady_cpu * 100);
    printf("  pod p0 Running: %s\n", ok ? "yes" : "NO");
    skiff_sim_component_stop(sim);
    skiff_api_client_free(c);
    skiff_cluster_free(cl);
    skiff_bus_free(bus);
    skiff_config_free(cfg);
    unlink(file);
    rmdir(dir);
    return ok && t_pods > 0 ? 0 : 1;
}
