/* bench/admission — what the admission chain costs per create.
 * Assembles a cluster from a config file (the API server component over its
 * store, with whatever admission chain the file lists), then T threads
 * create N pods in total through skiff_api_server_handle (in-process: no
 * HTTP, so the chain's share is as large as it can be) and prints the
 * create throughput.
 * usage: adm_bench CONFIG [--creates N] [--threads T] [--ns NAMESPACE] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "api/api.h"
#include "api/component.h"
#include "bus/bus.h"
#include "config/config.h"

static skiff_api_server_t *srv;
static int per_thread;
static const char *ns = "default";
static int failures;
static pthread_mutex_t fail_mu = PTHREAD_MUTEX_INITIALIZER;

/* CPU seconds (user+system) of the whole process: on a shared machine a
 * steadier measure of cost per create than wall-clock throughput. */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec
           + ru.ru_stime.tv_usec / 1e6;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    char path[256], body[512];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods", ns);
    for (int i = 0; i < per_thread; i++) {
        int n = snprintf(body, sizeof body,
                         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"b-%d-%d\",\"labels\":{\"app\":\"bench\"}},"
                         "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1.36\"}]}}", id, i);
        skiff_api_request_t rq = { .method = "POST", .path = path, .body = body, .body_len = (size_t)n,
                                   .content_type = "application/json", .accept = "application/json" };
        skiff_api_response_t rs;
        skiff_api_server_handle(srv, &rq, &rs);
        if (rs.code != 201) {
            pthread_mutex_lock(&fail_mu);
            if (failures++ < 3) fprintf(stderr, "create failed: %d %.*s\n", rs.code, (int)rs.body_len, rs.body ? rs.body : "");
            pthread_mutex_unlock(&fail_mu);
        }
        skiff_api_response_free(&rs);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: adm_bench CONFIG [--creates N] [--threads T] [--ns NS]\n"); return 2; }
    int creates = 20000, threads = 4;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--creates")) creates = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--ns")) ns = argv[i + 1];
    }
    if (threads < 1 || threads > 256 || creates < threads) { fprintf(stderr, "bad --creates/--threads\n"); return 2; }
    per_thread = creates / threads;
    skiff_error_t err;
    skiff_cluster_config_t *cfg = NULL;
    if (skiff_config_load(argv[1], NULL, NULL, &cfg, &err) < 0) { fprintf(stderr, "%s\n", err.msg); return 2; }
    skiff_api_component_set_listen("127.0.0.1:0");
    skiff_bus_t *bus = NULL;
    skiff_cluster_t *cl = NULL;
    if (skiff_bus_new(&bus, &err) < 0 || skiff_cluster_assemble(cfg, bus, &cl, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    srv = skiff_api_component_server();
    if (!srv) { fprintf(stderr, "the config runs no API server\n"); return 2; }
    /* steady state: the bootstrap's namespace writes keep the plugins'
     * caches cold for their quiet window (plugins/admission/common/adm_cache.h) */
    struct timespec settle = { 1, 0 };
    nanosleep(&settle, NULL);
    pthread_t t[256];
    double t0 = now_s(), c0 = cpu_s();
    for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    double dt = now_s() - t0, dc = cpu_s() - c0;
    int done = per_thread * threads;
    printf("creates %d threads %d admission-plugins %zu seconds %.3f creates/s %.0f cpu-us/create %.1f failures %d\n",
           done, threads, skiff_cluster_of_kind(cl, SKIFF_KIND_ADMISSION, NULL, 0), dt, done / dt,
           dc * 1e6 / done, failures);
    skiff_cluster_free(cl);
    skiff_bus_free(bus);
    skiff_config_free(cfg);
    return failures ? 1 : 0;
}
