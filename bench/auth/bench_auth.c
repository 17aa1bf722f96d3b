/* bench/auth — what authentication and RBAC cost the API server:
 *   1. pod creates over HTTP with C keep-alive clients against three servers
 *      on one LMDB store, in alternating rounds (ABC CBA ...), median of each:
 *        A  no authentication, AlwaysAllow (the default)
 *        B  bearer token, AlwaysAllow            (what authentication costs)
 *        C  bearer token, RBAC, a user that is not in system:masters,
 *           allowed by a RoleBinding to `edit`, among `--noise` other
 *           RoleBindings and ClusterRoleBindings (what RBAC costs)
 *   2. the decision alone: apisrv_authorize_attrs() in a loop, ns/decision.
 * usage: auth_bench --plugins DIR [--creates N] [--clients C] [--rounds R]
 *                   [--noise B] */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/authz.h"
#include "bus/bus.h"
#include "plugin/plugin.h"
#include "../bench_util.h"

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double proc_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double proc_cpu_per_create;

typedef struct worker {
    int port, n, base;
    const char *prefix, *auth; /* auth: an "Authorization: ..." header line or "" */
    int errors;
} worker_t;

static void *create_worker(void *arg)
{
    worker_t *w = arg;
    int fd = bench_dial(w->port);
    char buf[16384], name[64], body[512], req[1200];
    for (int i = 0; i < w->n; i++) {
        snprintf(name, sizeof name, "%s-%d", w->prefix, w->base + i);
        int bl = snprintf(body, sizeof body, BENCH_POD_FMT, name);
        int rl = snprintf(req, sizeof req,
                          "POST /api/v1/namespaces/default/pods HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
                          "Accept: application/json\r\nContent-Length: %d\r\n\r\n%s", w->auth, bl, body);
        bench_write_all(fd, req, (size_t)rl);
        int code = bench_read_response(fd, buf, sizeof buf, NULL);
        if (code != 201) {
            if (!w->errors) fprintf(stderr, "create %s: %d %s\n", name, code, strstr(buf, "\r\n\r\n") ? strstr(buf, "\r\n\r\n") + 4 : "");
            w->errors++;
        }
    }
    close(fd);
    return NULL;
}

static double run_creates(int port, const char *auth, const char *prefix, int total, int clients, int *errors)
{
    pthread_t th[256];
    worker_t w[256];
    double t0 = bench_now_s();
    for (int i = 0; i < clients; i++) {
        w[i] = (worker_t){ .port = port, .prefix = prefix, .auth = auth };
        bench_share(total, clients, i, &w[i].n, &w[i].base);
        pthread_create(&th[i], NULL, create_worker, &w[i]);
    }
    *errors = 0;
    for (int i = 0; i < clients; i++) { pthread_join(th[i], NULL); *errors += w[i].errors; }
    return total / (bench_now_s() - t0);
}

static void post(skiff_api_server_t *s, const char *path, const char *body)
{
    skiff_api_request_t rq = { .method = "POST", .path = path, .body = body, .body_len = strlen(body) };
    skiff_api_response_t rs;
    skiff_api_server_handle(s, &rq, &rs);
    if (rs.code != 201 && rs.code != 409) { fprintf(stderr, "%s: %d %.*s\n", path, rs.code, (int)rs.body_len, rs.body); exit(1); }
    skiff_api_response_free(&rs);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    const char *plugins = "build/plugins";
    int creates = 5000, clients = 32, rounds = 5, noise = 100;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--plugins")) plugins = argv[i + 1];
        else if (!strcmp(argv[i], "--creates")) creates = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--clients")) clients = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--rounds")) rounds = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--noise")) noise = atoi(argv[i + 1]);
    }
    if (clients > 256) clients = 256;
    if (rounds > 64) rounds = 64;
    char tmpl[] = "/tmp/skiff-bench-auth.XXXXXX";
    const char *dir = mkdtemp(tmpl);
    if (!dir) { perror("mkdtemp"); return 1; }
    skiff_error_t err;
    skiff_registry_t *reg;
    skiff_instance_t *store;
    if (bench_lmdb_store(plugins, dir, &reg, &store) < 0) return 1;
    skiff_bus_t *bus = NULL;
    if (skiff_bus_new(&bus, &err) < 0) { fprintf(stderr, "%s\n", err.msg); return 1; }

    static const char *const rbac[] = { "RBAC", NULL }, *const allow[] = { "AlwaysAllow", NULL };
    skiff_api_config_t ca = { .listen = "127.0.0.1:0", .bus = bus };
    skiff_api_config_t cb = { .listen = "127.0.0.1:0", .bus = bus, .authorization_modes = allow, .anonymous_auth = -1 };
    skiff_api_config_t cc = { .listen = "127.0.0.1:0", .bus = bus, .authorization_modes = rbac, .anonymous_auth = -1 };
    skiff_api_server_t *sa, *sb, *sc;
    if (skiff_api_server_new(&ca, skiff_instance_ops(store), skiff_instance_self(store), &sa, &err) < 0
        || skiff_api_server_new(&cb, skiff_instance_ops(store), skiff_instance_self(store), &sb, &err) < 0
        || skiff_api_server_new(&cc, skiff_instance_ops(store), skiff_instance_self(store), &sc, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    static const char *const groups[] = { "bench", NULL };
    if (skiff_api_server_add_token(sb, "bench-token", "bench-user", "1", groups, &err) < 0
        || skiff_api_server_add_token(sc, "bench-token", "bench-user", "1", groups, &err) < 0) { fprintf(stderr, "%s\n", err.msg); return 1; }
    post(sa, "/api/v1/namespaces", "{\"metadata\":{\"name\":\"default\"}}");
    skiff_api_server_bootstrap_rbac(sc);
    /* noise: bindings for other users, half cluster-wide, half in other namespaces */
    char body[1024], p[256];
    for (int i = 0; i < noise; i++) {
        if (i % 2) {
            snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"noise-%d\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"user-%d\"},"
                     "{\"kind\":\"Group\",\"name\":\"group-%d\"}],\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"view\"}}", i, i, i);
            post(sc, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", body);
        } else {
            snprintf(p, sizeof p, "{\"metadata\":{\"name\":\"team-%d\"}}", i);
            post(sc, "/api/v1/namespaces", p);
            snprintf(p, sizeof p, "/apis/rbac.authorization.k8s.io/v1/namespaces/team-%d/rolebindings", i);
            snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"noise\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"user-%d\"}],"
                     "\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"edit\"}}", i);
            post(sc, p, body);
        }
    }
    post(sc, "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings",
         "{\"metadata\":{\"name\":\"bench-edit\"},\"subjects\":[{\"kind\":\"Group\",\"name\":\"bench\"}],"
         "\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"edit\"}}");
    if (skiff_api_server_start(sa, &err) < 0 || skiff_api_server_start(sb, &err) < 0 || skiff_api_server_start(sc, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    int pa = skiff_api_server_port(sa), pb = skiff_api_server_port(sb), pc = skiff_api_server_port(sc);
    printf("# skiff auth bench: LMDB in %s, %d creates x %d clients per run, %d rounds, %d noise bindings\n", dir, creates,
           clients, rounds, noise);
    static const char tok[] = "Authorization: Bearer bench-token\r\n";
    double ra[64], rb[64], rc[64], ua[64], ub[64], uc[64]; /* creates/s, process CPU µs per create */
    int errors = 0, e;
    char prefix[32];
    double cpu0 = proc_cpu_s();
    for (int r = 0; r < rounds; r++) {
        /* ABC then CBA: a drift over the run (the store growing) hits all three alike */
        for (int k = 0; k < 3; k++) {
            int which = r % 2 ? 2 - k : k;
            snprintf(prefix, sizeof prefix, "%c%d", "abc"[which], r);
            double c0 = proc_cpu_s();
            double v = which == 0 ? run_creates(pa, "", prefix, creates, clients, &e)
                     : which == 1 ? run_creates(pb, tok, prefix, creates, clients, &e)
                                  : run_creates(pc, tok, prefix, creates, clients, &e);
            (which == 0 ? ra : which == 1 ? rb : rc)[r] = v;
            (which == 0 ? ua : which == 1 ? ub : uc)[r] = (proc_cpu_s() - c0) / creates * 1e6;
            errors += e;
        }
        printf("round %d: A %.0f/s %.1f us  B %.0f/s %.1f us  C %.0f/s %.1f us (creates/s, process CPU per create)\n", r,
               ra[r], ua[r], rb[r], ub[r], rc[r], uc[r]);
    }
    proc_cpu_per_create = (proc_cpu_s() - cpu0) / (3.0 * rounds * creates);
    double ma = median(ra, rounds), mb = median(rb, rounds), mc = median(rc, rounds);
    printf("creates/s median: A (no auth) %.0f, B (token, AlwaysAllow) %.0f, C (token, RBAC) %.0f; "
           "B/A %.3f, C/B %.3f (RBAC), C/A %.3f; %d errors\n", ma, mb, mc, mb / ma, mc / mb, mc / ma, errors);
    double va = median(ua, rounds), vb = median(ub, rounds), vc = median(uc, rounds);
    printf("CPU per create median: A %.1f us, B %.1f us, C %.1f us; authentication +%.1f%%, RBAC +%.1f%%\n", va, vb, vc,
           (vb / va - 1) * 100, (vc / vb - 1) * 100);

    /* the decision alone, on the same index */
    static const char *const ug[] = { "bench", "system:authenticated" };
    apisrv_authz_attrs_t at = { .user = "bench-user", .groups = ug, .ngroups = 2, .resource_request = 1, .verb = "create",
                                .group = "", .resource = "pods", .subresource = "", .namespace_ = "default", .name = "" };
    apisrv_authz_attrs_t deny = at;
    deny.namespace_ = "elsewhere";
    /* thread CPU time: on a shared machine wall time mostly measures the others */
    int n = 200000, allowed = 0;
    double t0 = cpu_s();
    for (int i = 0; i < n; i++) allowed += apisrv_authorize_attrs(sc, &at);
    double ta = (cpu_s() - t0) / n * 1e9;
    t0 = cpu_s();
    for (int i = 0; i < n; i++) allowed += apisrv_authorize_attrs(sc, &deny);
    double td = (cpu_s() - t0) / n * 1e9;
    /* what one create costs the whole process, for scale: CPU seconds of
     * the process over the creates it served */
    printf("decision (thread CPU): allow %.0f ns, deny %.0f ns (%d allowed of %d); "
           "one create over HTTP costs the process %.0f us CPU (all runs)\n", ta, td, allowed, 2 * n,
           proc_cpu_per_create * 1e6);

    /* in-process creates on server C, one thread, thread CPU per create:
     * as bench-user (RBAC decides) vs as a system:masters user (bypass),
     * alternating runs — the RBAC cost without HTTP and scheduling noise */
    static const char *const mg[] = { "system:masters", "system:authenticated" };
    const skiff_api_user_t bu = { "bench-user", "1", ug, 2 }, mu = { "root", "", mg, 2 };
    double ur[64], um[64];
    int ierr = 0;
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < 2; k++) {
            int rbac_run = (r + k) % 2 == 0;
            double c0 = cpu_s();
            for (int i = 0; i < creates; i++) {
                char name[64], pod[512];
                snprintf(name, sizeof name, "i%c%d-%d", rbac_run ? 'r' : 'm', r, i);
                int bl = snprintf(pod, sizeof pod, BENCH_POD_FMT, name);
                skiff_api_request_t rq = { .method = "POST", .path = "/api/v1/namespaces/default/pods", .body = pod,
                                           .body_len = (size_t)bl, .content_type = "application/json",
                                           .user = rbac_run ? &bu : &mu };
                skiff_api_response_t rs;
                skiff_api_server_handle(sc, &rq, &rs);
                if (rs.code != 201) ierr++;
                skiff_api_response_free(&rs);
            }
            (rbac_run ? ur : um)[r] = (cpu_s() - c0) / creates * 1e6;
        }
    }
    double mr = median(ur, rounds), mm = median(um, rounds);
    printf("in-process create, thread CPU median: RBAC-decided %.2f us, system:masters %.2f us; RBAC +%.2f us = %.1f%% (%d errors)\n",
           mr, mm, mr - mm, (mr / mm - 1) * 100, ierr);

    skiff_api_server_free(sa);
    skiff_api_server_free(sb);
    skiff_api_server_free(sc);
    skiff_bus_free(bus);
    skiff_instance_free(store);
    skiff_registry_free(reg);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return 0;
}
