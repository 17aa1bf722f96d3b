/* Tests for core/sched: the pieces (nodes to find, FailedScheduling
 * wording, views) and the framework end to end with in-test plugins and a
 * recording sink (profiles, weights, permit wait/timeout/allow, unreserve
 * after a failed bind, retry on node add, assumed pods counted). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <time.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "sched/sched.h"

/* ---- pieces ------------------------------------------------------------- */

static void test_nodes_to_find(void **state)
{
    (void)state;
    assert_int_equal(skiff_sched_nodes_to_find(50, 0), 50);
    assert_int_equal(skiff_sched_nodes_to_find(99, 10), 99);
    assert_int_equal(skiff_sched_nodes_to_find(1000, 0), 420);   /* 50 - 8 = 42% */
    assert_int_equal(skiff_sched_nodes_to_find(5000, 0), 500);   /* 50 - 40 = 10% */
    assert_int_equal(skiff_sched_nodes_to_find(6000, 0), 300);   /* 50 - 48 = 2% -> 5% */
    assert_int_equal(skiff_sched_nodes_to_find(200, 10), 100);   /* at least 100 */
    assert_int_equal(skiff_sched_nodes_to_find(5000, 30), 1500);
    assert_int_equal(skiff_sched_nodes_to_find(5000, 100), 5000);
}

static void test_fit_message(void **state)
{
    (void)state;
    const char *r[] = { "Insufficient cpu", "node(s) had untolerated taint {dedicated: gpu}",
                        "Insufficient cpu", "Insufficient cpu",
                        "node(s) had untolerated taint {dedicated: gpu}" };
    char *m = skiff_sched_fit_message(5, r, 5, NULL, NULL);
    assert_string_equal(m, "0/5 nodes are available: 2 node(s) had untolerated taint {dedicated: gpu}, 3 Insufficient cpu.");
    free(m);
    /* several reasons from one node; byte order puts "10 ..." before "2 ..." */
    const char *r2[12];
    for (int i = 0; i < 10; i++) r2[i] = "Insufficient cpu\nInsufficient memory";
    r2[10] = r2[11] = "Too many pods";
    m = skiff_sched_fit_message(12, r2, 12, NULL, NULL);
    assert_string_equal(m, "0/12 nodes are available: 10 Insufficient cpu, 10 Insufficient memory, 2 Too many pods.");
    free(m);
    m = skiff_sched_fit_message(3, NULL, 0, "node(s) didn't match pod topology spread constraints", "no preemption victims");
    assert_string_equal(m, "0/3 nodes are available: node(s) didn't match pod topology spread constraints. no preemption victims.");
    free(m);
}

static void test_pod_view(void **state)
{
    (void)state;
    cJSON *o = cJSON_Parse(
        "{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\",\"uid\":\"u1\",\"labels\":{\"app\":\"web\"}},"
        "\"spec\":{\"priority\":7,\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"250m\",\"memory\":\"1Gi\",\"example.com/gpu\":\"2\"}}},"
        "{\"name\":\"b\"}],\"initContainers\":[{\"resources\":{\"requests\":{\"cpu\":\"2\"}}}],"
        "\"overhead\":{\"cpu\":\"10m\"},"
        "\"tolerations\":[{\"key\":\"k\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}],"
        "\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"a\",\"b\"]}]}]}}}}}");
    skiff_sched_pod_t *p;
    skiff_error_t err;
    assert_int_equal(skiff_sched_pod_view(o, &p, &err), 0);
    assert_string_equal(p->namespace_, "ns");
    assert_string_equal(p->scheduler_name, "default-scheduler");
    assert_int_equal(p->priority, 7);
    assert_int_equal(p->requests.milli_cpu, 2010);             /* init container wins, + overhead */
    assert_int_equal(p->requests.memory, 1024LL * 1024 * 1024);
    assert_int_equal(p->requests.n_scalar, 1);
    assert_int_equal(p->requests.scalar[0].value, 2);
    assert_int_equal(p->non_zero_milli_cpu, 2010);
    assert_int_equal(p->non_zero_memory, 1024LL * 1024 * 1024 + 200LL * 1024 * 1024); /* b gets 200Mi */
    assert_int_equal(p->n_tolerations, 1);
    assert_int_equal(p->tolerations[0].op, SKIFF_SCHED_TOL_EXISTS);
    assert_int_equal(p->n_required_terms, 1);
    assert_int_equal(p->required_terms[0].exprs[0].n_values, 2);
    skiff_sched_pod_view_free(p);
    cJSON_Delete(o);

    o = cJSON_Parse("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Near\"}]}]}}}}}");
    assert_int_equal(skiff_sched_pod_view(o, &p, &err), SKIFF_E_INVALID);
    assert_string_equal(err.msg, "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator: \"Near\" is not a valid node selector operator");
    cJSON_Delete(o);
    o = cJSON_Parse("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"1Q\"}}}]}}");
    assert_int_equal(skiff_sched_pod_view(o, &p, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "spec.containers[0].resources.requests.cpu: "));
    cJSON_Delete(o);

    o = cJSON_Parse("{\"metadata\":{\"name\":\"n1\",\"labels\":{\"zone\":\"a\"}},\"spec\":{\"taints\":[{\"key\":\"k\",\"value\":\"v\",\"effect\":\"NoExecute\"}]},"
                    "\"status\":{\"allocatable\":{\"cpu\":\"4\",\"memory\":\"8Gi\",\"pods\":\"110\",\"example.com/gpu\":\"1\"}}}");
    skiff_sched_node_t *n;
    assert_int_equal(skiff_sched_node_view(o, &n, &err), 0);
    assert_int_equal(n->allocatable.milli_cpu, 4000);
    assert_int_equal(n->allocatable.pods, 110);
    assert_int_equal(n->allocatable.n_scalar, 1);
    assert_int_equal(n->taints[0].effect, SKIFF_SCHED_EFFECT_NO_EXECUTE);
    skiff_sched_node_view_free(n);
    cJSON_Delete(o);
}

/* ---- a recording sink ---------------------------------------------------------- */

typedef struct rec {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char bound[64][64];     /* "pod=node" */
    int n_bound;
    char failed[64][300];
    int n_failed;
    int fail_binds;         /* binds to refuse before accepting */
    int bind_sleep_us;      /* a slow store: each bind takes this long */
    int in_bind, max_in_bind;
} rec_t;

static rec_t R;

static void rec_reset(void)
{
    pthread_mutex_destroy(&R.mu);
    pthread_cond_destroy(&R.cv);
    memset(&R, 0, sizeof R);
    pthread_mutex_init(&R.mu, NULL);
    pthread_cond_init(&R.cv, NULL);
}

static int sink_bind(void *ud, const skiff_sched_pod_t *pod, const char *node, skiff_error_t *err)
{
    (void)ud;
    pthread_mutex_lock(&R.mu);
    if (R.fail_binds > 0) {
        R.fail_binds--;
        pthread_mutex_unlock(&R.mu);
        return skiff_error_set(err, SKIFF_E_CONFLICT, "pod %s is being deleted", pod->name);
    }
    if (R.bind_sleep_us) {
        if (++R.in_bind > R.max_in_bind) R.max_in_bind = R.in_bind;
        pthread_mutex_unlock(&R.mu);
        usleep((useconds_t)R.bind_sleep_us);
        pthread_mutex_lock(&R.mu);
        R.in_bind--;
    }
    if (R.n_bound < 64) snprintf(R.bound[R.n_bound++], 64, "%s=%s", pod->name, node);
    pthread_cond_broadcast(&R.cv);
    pthread_mutex_unlock(&R.mu);
    return 0;
}

static void sink_failed(void *ud, const skiff_sched_pod_t *pod, int error, const char *msg)
{
    (void)ud;
    pthread_mutex_lock(&R.mu);
    if (R.n_failed < 64) snprintf(R.failed[R.n_failed++], 300, "%s%s: %s", error ? "error " : "", pod->name, msg);
    pthread_cond_broadcast(&R.cv);
    pthread_mutex_unlock(&R.mu);
}

static const skiff_sched_sink_t SINK = { NULL, sink_bind, sink_failed, NULL };

static int wait_for(int *counter, int n, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
    pthread_mutex_lock(&R.mu);
    while (*counter < n)
        if (pthread_cond_timedwait(&R.cv, &R.mu, &ts) != 0) break;
    int got = *counter;
    pthread_mutex_unlock(&R.mu);
    return got;
}

/* ---- in-test plugins ---------------------------------------------------------- */

/* fit: the cpu request must fit (reads the cache's requested, assumed included). */
static void cpu_filter(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                       const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)self; (void)st;
    if (pod->requests.milli_cpu > node->allocatable.milli_cpu - node->requested.milli_cpu)
        skiff_sched_status_set(out, SKIFF_SCHED_UNSCHEDULABLE, "Insufficient cpu");
}

/* only: accepts only the node named by self. */
static void only_filter(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                        const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)st; (void)pod;
    if (strcmp(node->name, self) != 0)
        skiff_sched_status_set(out, SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE, "node(s) didn't match the test");
}

/* prefer: 100 (or 60 for "b") on the node named by self, else 0. */
static int64_t prefer_score(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                            const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)st; (void)pod; (void)out;
    if (strcmp(node->name, self) != 0) return 0;
    return strcmp(self, "b") == 0 ? 60 : 100;
}

static int reserves, unreserves;
static void count_reserve(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                          const char *node, skiff_sched_status_t *out)
{
    (void)self; (void)st; (void)pod; (void)node; (void)out;
    __atomic_add_fetch(&reserves, 1, __ATOMIC_SEQ_CST);
}
static void count_unreserve(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                            const char *node)
{
    (void)self; (void)st; (void)pod; (void)node;
    __atomic_add_fetch(&unreserves, 1, __ATOMIC_SEQ_CST);
}

static int64_t permit_wait_ms;
static void wait_permit(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                        const char *node, int64_t *wait_ms, skiff_sched_status_t *out)
{
    (void)self; (void)st; (void)pod; (void)node;
    out->code = SKIFF_SCHED_WAIT;
    *wait_ms = permit_wait_ms;
}

static void handle_bind(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                        const char *node, skiff_sched_status_t *out)
{
    (void)self;
    skiff_error_t err;
    if (st->handle->bind(st->handle, pod, node, &err) < 0)
        skiff_sched_status_set(out, SKIFF_SCHED_ERROR, err.msg);
}

static const skiff_scheduler_ops_t CPU_OPS = { .size = sizeof CPU_OPS, .filter = cpu_filter,
                                               .reserve = count_reserve, .unreserve = count_unreserve };
static const skiff_scheduler_ops_t ONLY_OPS = { .size = sizeof ONLY_OPS, .filter = only_filter };
static const skiff_scheduler_ops_t PREFER_OPS = { .size = sizeof PREFER_OPS, .score = prefer_score };
static const skiff_scheduler_ops_t PERMIT_OPS = { .size = sizeof PERMIT_OPS, .permit = wait_permit };
static const skiff_scheduler_ops_t BIND_OPS = { .size = sizeof BIND_OPS, .bind = handle_bind };

static char PERMIT_SELF[] = "permit";

static cJSON *node_json(const char *name, const char *cpu)
{
    char buf[256];
    snprintf(buf, sizeof buf, "{\"metadata\":{\"name\":\"%s\"},\"status\":{\"allocatable\":{\"cpu\":\"%s\",\"memory\":\"8Gi\",\"pods\":\"110\"}}}", name, cpu);
    return cJSON_Parse(buf);
}

static cJSON *pod_json(const char *name, const char *cpu, const char *scheduler)
{
    char buf[400];
    snprintf(buf, sizeof buf, "{\"metadata\":{\"name\":\"%s\",\"uid\":\"uid-%s\"},\"spec\":{\"schedulerName\":\"%s\",\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"%s\"}}}]}}",
             name, name, scheduler, cpu);
    return cJSON_Parse(buf);
}

/* The options these tests run with: short backoffs, a fixed seed. */
static skiff_sched_options_t options(const skiff_sched_profile_conf_t *profiles, size_t n)
{
    return (skiff_sched_options_t){ .profiles = profiles, .n_profiles = n, .parallelism = 2,
                                    .backoff_initial_ms = 10, .backoff_max_ms = 40, .seed = 1 };
}

/* A started scheduler with o and sink; fails the test on an error. */
static skiff_sched_t *start_with(const skiff_sched_options_t *o, const skiff_sched_sink_t *sink)
{
    skiff_sched_t *s;
    skiff_error_t err;
    assert_int_equal(skiff_sched_new(o, sink, &s, &err), 0);
    assert_int_equal(skiff_sched_start(s, &err), 0);
    return s;
}

static skiff_sched_t *make(const skiff_sched_profile_conf_t *profiles, size_t n)
{
    skiff_sched_options_t o = options(profiles, n);
    return start_with(&o, &SINK);
}

/* The profile most tests use: cpu fit, then bind. */
static const skiff_sched_plugin_ref_t CPU_BINDER[] = { { "cpu", NULL, &CPU_OPS, 0 }, { "binder", NULL, &BIND_OPS, 0 } };
static const skiff_sched_profile_conf_t CPU_BINDER_PROF = { "default-scheduler", CPU_BINDER, 2, 0 };

/* A fresh recording sink and a started cpu + binder scheduler. */
static skiff_sched_t *make_cpu_binder(void)
{
    rec_reset();
    return make(&CPU_BINDER_PROF, 1);
}

static void add_node(skiff_sched_t *s, const char *name, const char *cpu)
{
    skiff_error_t err;
    assert_int_equal(skiff_sched_node_add(s, node_json(name, cpu), &err), 0);
}

static void add_pod(skiff_sched_t *s, const char *name, const char *cpu, const char *sched)
{
    skiff_error_t err;
    assert_int_equal(skiff_sched_pod_add(s, pod_json(name, cpu, sched), &err), 0);
}

static void test_weights(void **state)
{
    (void)state;
    rec_reset();
    for (int w = 1; w <= 2; w++) {
        skiff_sched_plugin_ref_t refs[] = {
            { "cpu", NULL, &CPU_OPS, 0 }, { "prefer-a", "a", &PREFER_OPS, 1 },
            { "prefer-b", "b", &PREFER_OPS, w }, { "binder", NULL, &BIND_OPS, 0 },
        };
        skiff_sched_profile_conf_t prof = { "default-scheduler", refs, 4, 0 };
        skiff_sched_t *s = make(&prof, 1);
        add_node(s, "a", "4");
        add_node(s, "b", "4");
        add_node(s, "c", "4");
        char name[16];
        snprintf(name, sizeof name, "w%d", w);
        add_pod(s, name, "1", "default-scheduler");
        assert_int_equal(wait_for(&R.n_bound, w, 5000), w);
        skiff_sched_free(s);
    }
    assert_string_equal(R.bound[0], "w1=a"); /* 100*1 > 60*1 */
    assert_string_equal(R.bound[1], "w2=b"); /* 60*2 > 100*1 */
}

static void test_profiles_and_unknown_scheduler(void **state)
{
    (void)state;
    rec_reset();
    skiff_sched_plugin_ref_t p1[] = { { "cpu", NULL, &CPU_OPS, 0 }, { "only-a", "a", &ONLY_OPS, 0 },
                                      { "binder", NULL, &BIND_OPS, 0 } };
    skiff_sched_plugin_ref_t p2[] = { { "only-c", "c", &ONLY_OPS, 0 }, { "binder", NULL, &BIND_OPS, 0 } };
    skiff_sched_profile_conf_t profs[] = { { "default-scheduler", p1, 3, 0 }, { "second", p2, 2, 0 } };
    skiff_sched_t *s = make(profs, 2);
    add_node(s, "a", "4");
    add_node(s, "b", "4");
    add_node(s, "c", "4");
    add_pod(s, "x", "1", "default-scheduler");
    add_pod(s, "y", "1", "second");
    add_pod(s, "z", "1", "nobody");
    assert_int_equal(wait_for(&R.n_bound, 2, 5000), 2);
    assert_int_equal(skiff_sched_wait_idle(s, 5000), 0);
    int saw_x = 0, saw_y = 0;
    for (int i = 0; i < R.n_bound; i++) {
        saw_x |= strcmp(R.bound[i], "x=a") == 0;
        saw_y |= strcmp(R.bound[i], "y=c") == 0;
    }
    assert_true(saw_x && saw_y);
    assert_int_equal(R.n_bound, 2);   /* z names no profile: stays Pending, */
    assert_int_equal(R.n_failed, 0);  /* without an event either */
    skiff_sched_free(s);

    /* configuration errors say which profile */
    skiff_sched_profile_conf_t dup[] = { { "default-scheduler", p1, 3, 0 }, { "default-scheduler", p2, 2, 0 } };
    skiff_sched_options_t o = { .profiles = dup, .n_profiles = 2 };
    skiff_error_t err;
    assert_int_equal(skiff_sched_new(&o, &SINK, &s, &err), SKIFF_E_INVALID);
    assert_string_equal(err.msg, "scheduler: duplicate profile \"default-scheduler\"");
    skiff_sched_profile_conf_t nobind = { "p", p1, 2, 0 };
    o.profiles = &nobind;
    o.n_profiles = 1;
    assert_int_equal(skiff_sched_new(&o, &SINK, &s, &err), SKIFF_E_INVALID);
    assert_string_equal(err.msg, "scheduler: profile \"p\" has no bind plugin (add default-binder)");
}

static void test_assumed_pods_count_and_message(void **state)
{
    (void)state;
    skiff_sched_t *s = make_cpu_binder();
    add_node(s, "n1", "1");
    add_pod(s, "p1", "400m", "default-scheduler");
    add_pod(s, "p2", "400m", "default-scheduler");
    add_pod(s, "p3", "400m", "default-scheduler");
    assert_int_equal(wait_for(&R.n_bound, 2, 5000), 2);
    assert_int_equal(wait_for(&R.n_failed, 1, 5000), 1);
    assert_string_equal(R.failed[0], "p3: 0/1 nodes are available: 1 Insufficient cpu.");
    /* deleting a bound pod frees its share: p3 is retried and fits */
    skiff_error_t err;
    char victim[64];
    snprintf(victim, sizeof victim, "%s", R.bound[0]);
    *strchr(victim, '=') = '\0';
    assert_int_equal(skiff_sched_pod_delete(s, "default", victim, &err), 0);
    assert_int_equal(wait_for(&R.n_bound, 3, 5000), 3);
    assert_string_equal(R.bound[2], "p3=n1");
    skiff_sched_free(s);
}

/* A watch restarted after a 410 starts with every pod as listed; a pod we
 * have bound may come back unbound (listed before our bind landed). It must
 * stay placed and not be scheduled again: spec.nodeName is never unset. */
static void test_stale_unbound_copy_keeps_placement(void **state)
{
    (void)state;
    skiff_sched_t *s = make_cpu_binder();
    add_node(s, "n1", "1");
    add_pod(s, "p1", "600m", "default-scheduler");
    assert_int_equal(wait_for(&R.n_bound, 1, 5000), 1);
    assert_string_equal(R.bound[0], "p1=n1");
    assert_int_equal(skiff_sched_wait_idle(s, 5000), 0);
    add_pod(s, "p1", "600m", "default-scheduler"); /* the stale, unbound copy */
    add_pod(s, "p2", "600m", "default-scheduler");
    assert_int_equal(wait_for(&R.n_failed, 1, 5000), 1);
    assert_string_equal(R.failed[0], "p2: 0/1 nodes are available: 1 Insufficient cpu.");
    assert_int_equal(skiff_sched_wait_idle(s, 5000), 0);
    assert_int_equal(R.n_bound, 1); /* p1 was not bound a second time */
    skiff_sched_free(s);
}

static void test_retry_on_node_add(void **state)
{
    (void)state;
    skiff_sched_t *s = make_cpu_binder();
    add_pod(s, "p", "2", "default-scheduler");
    assert_int_equal(wait_for(&R.n_failed, 1, 5000), 1);
    assert_string_equal(R.failed[0], "p: no nodes available to schedule pods");
    add_node(s, "small", "1");
    assert_int_equal(wait_for(&R.n_failed, 2, 5000), 2);
    assert_string_equal(R.failed[1], "p: 0/1 nodes are available: 1 Insufficient cpu.");
    add_node(s, "big", "4");
    assert_int_equal(wait_for(&R.n_bound, 1, 5000), 1);
    assert_string_equal(R.bound[0], "p=big");
    skiff_sched_free(s);
}

static void test_unreserve_after_failed_bind(void **state)
{
    (void)state;
    rec_reset();
    reserves = unreserves = 0;
    R.fail_binds = 1;
    skiff_sched_t *s = make(&CPU_BINDER_PROF, 1);
    add_node(s, "n1", "1");
    add_pod(s, "p", "800m", "default-scheduler");
    assert_int_equal(wait_for(&R.n_failed, 1, 5000), 1);
    assert_string_equal(R.failed[0], "error p: running Bind plugin \"binder\": pod p is being deleted");
    /* the assumed 800m was forgotten, or the retry would not fit on 1 cpu */
    assert_int_equal(wait_for(&R.n_bound, 1, 5000), 1);
    assert_string_equal(R.bound[0], "p=n1");
    assert_int_equal(skiff_sched_wait_idle(s, 5000), 0);
    assert_int_equal(__atomic_load_n(&reserves, __ATOMIC_SEQ_CST), 2);
    assert_int_equal(__atomic_load_n(&unreserves, __ATOMIC_SEQ_CST), 1);
    skiff_sched_free(s);
}

/* Several binding threads (bind_workers, kube-scheduler's parallel binding
 * goroutines): every pod bound once, capacity exactly used, failed binds
 * unreserved and retried, the accounting back to idle. */
static void test_parallel_binders(void **state)
{
    (void)state;
    rec_reset();
    reserves = unreserves = 0;
    R.fail_binds = 3;
    skiff_error_t err;
    skiff_sched_t *s;
    skiff_sched_options_t bad = { .profiles = &CPU_BINDER_PROF, .n_profiles = 1, .bind_workers = 17 };
    assert_int_equal(skiff_sched_new(&bad, &SINK, &s, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "bind_workers 17 is not within 1..16"));
    skiff_sched_options_t o = options(&CPU_BINDER_PROF, 1);
    o.bind_workers = 4;
    s = start_with(&o, &SINK);
    add_node(s, "n1", "4");
    add_node(s, "n2", "4");
    char name[16];
    for (int i = 0; i < 40; i++) { /* 40 x 200m = both nodes full */
        snprintf(name, sizeof name, "p%d", i);
        add_pod(s, name, "200m", "default-scheduler");
    }
    assert_int_equal(wait_for(&R.n_bound, 40, 10000), 40);
    assert_int_equal(skiff_sched_wait_idle(s, 5000), 0);
    int on_n1 = 0, on_n2 = 0;
    pthread_mutex_lock(&R.mu);
    for (int i = 0; i < R.n_bound; i++) {
        on_n1 += strstr(R.bound[i], "=n1") != NULL;
        on_n2 += strstr(R.bound[i], "=n2") != NULL;
        for (int j = 0; j < i; j++) assert_string_not_equal(R.bound[i], R.bound[j]);
    }
    int failed = R.n_failed, bound = R.n_bound;
    pthread_mutex_unlock(&R.mu);
    assert_int_equal(bound, 40); /* none bound twice */
    assert_int_equal(on_n1, 20);
    assert_int_equal(on_n2, 20);
    assert_int_equal(failed, 3); /* the three rejected binds, each retried */
    assert_int_equal(__atomic_load_n(&unreserves, __ATOMIC_SEQ_CST), 3);
    add_pod(s, "extra", "200m", "default-scheduler");
    assert_int_equal(wait_for(&R.n_failed, 4, 5000), 4);
    assert_string_equal(R.failed[3], "extra: 0/2 nodes are available: 2 Insufficient cpu.");
    skiff_sched_free(s);
}

/* Binding threads wake on demand: one runs while the queue is short; a
 * second joins only once more than 32 cycles per running thread wait (a
 * slow bind here, as with a durable store), however many are allowed. */
static void test_binders_wake_on_demand(void **state)
{
    (void)state;
    rec_reset();
    reserves = unreserves = 0;
    skiff_sched_options_t o = options(&CPU_BINDER_PROF, 1);
    o.parallelism = 1;
    o.bind_workers = 16;
    skiff_sched_t *s = start_with(&o, &SINK);
    add_node(s, "n1", "100");
    /* fast binds, one pod at a time: never more than one binder */
    char name[16];
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "f%d", i);
        add_pod(s, name, "100m", "default-scheduler");
        assert_int_equal(wait_for(&R.n_bound, i + 1, 5000), i + 1);
    }
    pthread_mutex_lock(&R.mu);
    R.bind_sleep_us = 5000;
    pthread_mutex_unlock(&R.mu);
    for (int i = 0; i < 55; i++) { /* 55 slow binds queued at once */
        snprintf(name, sizeof name, "p%d", i);
        add_pod(s, name, "100m", "default-scheduler");
    }
    assert_int_equal(wait_for(&R.n_bound, 60, 20000), 60);
    assert_int_equal(skiff_sched_wait_idle(s, 5000), 0);
    pthread_mutex_lock(&R.mu);
    int most = R.max_in_bind;
    pthread_mutex_unlock(&R.mu);
    assert_int_equal(most, 2); /* 55 queued: > 32 for one, never > 64 for two */
    skiff_sched_free(s);
}

static void test_permit_timeout_and_allow(void **state)
{
    (void)state;
    rec_reset();
    reserves = unreserves = 0;
    permit_wait_ms = 50;
    skiff_sched_plugin_ref_t refs[] = { { "cpu", NULL, &CPU_OPS, 0 }, { "gang", PERMIT_SELF, &PERMIT_OPS, 0 },
                                        { "binder", NULL, &BIND_OPS, 0 } };
    skiff_sched_profile_conf_t prof = { "default-scheduler", refs, 3, 0 };
    skiff_sched_t *s = make(&prof, 1);
    add_node(s, "n1", "4");
    add_pod(s, "p", "1", "default-scheduler");
    assert_int_equal(wait_for(&R.n_failed, 1, 5000), 1);
    assert_string_equal(R.failed[0], "p: rejected due to timeout after waiting 50ms at plugin gang");
    assert_true(__atomic_load_n(&unreserves, __ATOMIC_SEQ_CST) >= 1);
    assert_int_equal(R.n_bound, 0);
    skiff_sched_free(s);

    /* a long wait ended early by the plugin allowing the pod */
    rec_reset();
    permit_wait_ms = 60000;
    s = make(&prof, 1);
    add_node(s, "n1", "4");
    add_pod(s, "q", "1", "default-scheduler");
    const skiff_sched_handle_t *h = skiff_sched_handle(s);
    int rc = SKIFF_E_NOTFOUND;
    for (int i = 0; i < 500 && rc != 0; i++) {
        rc = h->permit_allow(h, "uid-q", PERMIT_SELF);
        if (rc) { struct timespec ts = { 0, 10000000 }; nanosleep(&ts, NULL); }
    }
    assert_int_equal(rc, 0);
    assert_int_equal(wait_for(&R.n_bound, 1, 5000), 1);
    assert_string_equal(R.bound[0], "q=n1");
    assert_int_equal(h->permit_allow(h, "uid-q", PERMIT_SELF), SKIFF_E_NOTFOUND);
    skiff_sched_free(s);
}

static void test_queue_order(void **state)
{
    (void)state;
    rec_reset();
    skiff_sched_options_t o = { .profiles = &CPU_BINDER_PROF, .n_profiles = 1, .parallelism = 1 };
    skiff_sched_t *s;
    skiff_error_t err;
    assert_int_equal(skiff_sched_new(&o, &SINK, &s, &err), 0);
    /* Queued before the scheduling thread runs: it applies every event,
     * then pops by priority (higher first), then age. */
    add_node(s, "n1", "64");
    static const struct { const char *name; int prio; } pods[] = {
        { "low-a", 0 }, { "high", 100 }, { "mid", 50 }, { "low-b", 0 }, { "neg", -5 },
    };
    for (size_t i = 0; i < 5; i++) {
        char buf[300];
        snprintf(buf, sizeof buf, "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"priority\":%d}}", pods[i].name, pods[i].prio);
        assert_int_equal(skiff_sched_pod_add(s, cJSON_Parse(buf), &err), 0);
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL); /* distinct ages */
    }
    assert_int_equal(skiff_sched_start(s, &err), 0);
    assert_int_equal(wait_for(&R.n_bound, 5, 5000), 5);
    assert_string_equal(R.bound[0], "high=n1");
    assert_string_equal(R.bound[1], "mid=n1");
    assert_string_equal(R.bound[2], "low-a=n1");
    assert_string_equal(R.bound[3], "low-b=n1");
    assert_string_equal(R.bound[4], "neg=n1");
    /* a pod the scheduler cannot view is refused with the field at fault */
    assert_int_equal(skiff_sched_pod_add(s, cJSON_Parse("{\"metadata\":{}}"), &err), SKIFF_E_INVALID);
    assert_string_equal(err.msg, "pod: metadata.name: required");
    skiff_sched_free(s);
}

/* gpu: one example.com/gpu per node (reads the cache's requested scalars). */
static void gpu_filter(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                       const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)self; (void)st;
    if (!pod->requests.n_scalar) return;
    for (size_t i = 0; i < node->requested.n_scalar; i++)
        if (strcmp(node->requested.scalar[i].name, "example.com/gpu") == 0 && node->requested.scalar[i].value > 0)
            skiff_sched_status_set(out, SKIFF_SCHED_UNSCHEDULABLE, "Insufficient example.com/gpu");
}
static const skiff_scheduler_ops_t GPU_OPS = { .size = sizeof GPU_OPS, .filter = gpu_filter };

/* A node update that changes nothing a plugin reads (a heartbeat) does not
 * retry unschedulable pods; one that adds room does. Requested extended
 * resources survive node updates. */
static void test_node_heartbeat_is_not_an_event(void **state)
{
    (void)state;
    rec_reset();
    skiff_sched_plugin_ref_t refs[] = { { "cpu", NULL, &CPU_OPS, 0 }, { "gpu", NULL, &GPU_OPS, 0 },
                                        { "binder", NULL, &BIND_OPS, 0 } };
    skiff_sched_profile_conf_t prof = { "default-scheduler", refs, 3, 0 };
    skiff_sched_t *s = make(&prof, 1);
    skiff_error_t err;
    add_node(s, "n1", "1");
    assert_int_equal(skiff_sched_pod_add(s, cJSON_Parse("{\"metadata\":{\"name\":\"g\"},\"spec\":{\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"100m\",\"example.com/gpu\":\"1\"}}}]}}"), &err), 0);
    assert_int_equal(wait_for(&R.n_bound, 1, 5000), 1);
    add_pod(s, "big", "2", "default-scheduler");
    assert_int_equal(wait_for(&R.n_failed, 1, 5000), 1);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(skiff_sched_node_update(s, cJSON_Parse("{\"metadata\":{\"name\":\"n1\"},\"status\":{\"allocatable\":{\"cpu\":\"1\",\"memory\":\"8Gi\",\"pods\":\"110\"},\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}"), &err), 0);
        assert_int_equal(skiff_sched_wait_idle(s, 5000), 0);
    }
    struct timespec ts = { 0, 100000000 };
    nanosleep(&ts, NULL);
    assert_int_equal(R.n_failed, 1); /* no retry, no new event */
    /* the gpu is still counted after the updates: a second gpu pod does not fit */
    assert_int_equal(skiff_sched_pod_add(s, cJSON_Parse("{\"metadata\":{\"name\":\"g2\"},\"spec\":{\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"100m\",\"example.com/gpu\":\"1\"}}}]}}"), &err), 0);
    assert_int_equal(wait_for(&R.n_failed, 2, 5000), 2);
    assert_string_equal(R.failed[1], "g2: 0/1 nodes are available: 1 Insufficient example.com/gpu.");
    add_node(s, "n1", "4"); /* an update that adds cpu */
    assert_int_equal(wait_for(&R.n_bound, 2, 5000), 2);
    assert_string_equal(R.bound[1], "big=n1");
    skiff_sched_free(s);
}

/* A bound pod may arrive before its node (two watches): it is counted on
 * the node once the node arrives. */
static void test_bound_pod_before_node(void **state)
{
    (void)state;
    skiff_sched_t *s = make_cpu_binder();
    skiff_error_t err;
    assert_int_equal(skiff_sched_pod_add(s, cJSON_Parse("{\"metadata\":{\"name\":\"old\"},\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"800m\"}}}]}}"), &err), 0);
    add_node(s, "n1", "1");
    add_pod(s, "new", "400m", "default-scheduler");
    assert_int_equal(wait_for(&R.n_failed, 1, 5000), 1);
    assert_string_equal(R.failed[0], "new: 0/1 nodes are available: 1 Insufficient cpu.");
    assert_int_equal(skiff_sched_wait_idle(s, 5000), 0);
    skiff_sched_stats_t st;
    skiff_sched_stats(s, &st);
    assert_int_equal(st.pods, 1);
    assert_int_equal(st.nodes, 1);
    skiff_sched_free(s);
}


/* ---- nomination (preemption's host side) ---------------------------------------- */

static char nominated_to[64][80];
static int n_nominated;

static int sink_preempt(void *ud, const skiff_sched_pod_t *pod, const char *node,
                        const skiff_sched_pod_t *const *victims, size_t n, skiff_error_t *err)
{
    (void)ud; (void)victims; (void)n; (void)err;
    pthread_mutex_lock(&R.mu);
    if (n_nominated < 64) snprintf(nominated_to[n_nominated++], 80, "%s=%s", pod->name, node);
    pthread_cond_broadcast(&R.cv);
    pthread_mutex_unlock(&R.mu);
    return 0;
}

/* A PostFilter that nominates pod "big" to node "a" (what default-preemption
 * does once it chose "a"), and checks run_filters sees the cluster. */
static int run_filters_failed_on_a;
static void nominate_post_filter(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                                 skiff_sched_status_t *out)
{
    (void)self;
    if (strcmp(pod->name, "big") != 0 || !SKIFF_STATE_HAS(st, preempt) || !st->preempt) return;
    for (size_t i = 0; i < st->n_nodes; i++) {
        skiff_sched_status_t s;
        if (strcmp(st->nodes[i]->name, "a") == 0 &&
            st->run_filters(st, pod, st->nodes[i], &s) == SKIFF_SCHED_UNSCHEDULABLE &&
            strcmp(s.reason, "Insufficient cpu") == 0)
            run_filters_failed_on_a = 1;
    }
    skiff_error_t err;
    if (st->preempt(st, pod, "a", NULL, 0, &err) == 0) out->reason[0] = '\0';
}
static const skiff_scheduler_ops_t NOMINATE_OPS = { .size = sizeof NOMINATE_OPS, .post_filter = nominate_post_filter };

static cJSON *prio_pod(const char *name, const char *cpu, int prio, const char *node)
{
    char buf[400];
    snprintf(buf, sizeof buf, "{\"metadata\":{\"name\":\"%s\",\"uid\":\"uid-%s\"},\"spec\":{\"priority\":%d,%s%s%s"
             "\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"%s\"}}}]}}",
             name, name, prio, node ? "\"nodeName\":\"" : "", node ? node : "", node ? "\"," : "", cpu);
    return cJSON_Parse(buf);
}

static int has_str(char (*list)[300], int n, const char *want)
{
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], want) == 0) return 1;
    return 0;
}

/* A started scheduler with o, the nominating sink, nodes a (2 cpu) and b
 * (100m), pod low (1500m) bound on a, and pod big (1 cpu, priority 100)
 * that fits nowhere, once its PostFilter has nominated it. */
static skiff_sched_t *start_with_big_nominated(const skiff_sched_options_t *o)
{
    skiff_sched_sink_t sink = SINK;
    sink.preempt = sink_preempt;
    skiff_sched_t *s = start_with(o, &sink);
    skiff_error_t err;
    add_node(s, "a", "2");
    add_node(s, "b", "100m");
    assert_int_equal(skiff_sched_pod_add(s, prio_pod("low", "1500m", 0, "a"), &err), 0);
    assert_int_equal(skiff_sched_pod_add(s, prio_pod("big", "1", 100, NULL), &err), 0);
    assert_int_equal(wait_for(&n_nominated, 1, 5000), 1);
    return s;
}

static void test_nominated_pods(void **state)
{
    (void)state;
    rec_reset();
    n_nominated = 0;
    skiff_sched_plugin_ref_t refs[] = { { "cpu", NULL, &CPU_OPS, 0 }, { "nominate", NULL, &NOMINATE_OPS, 0 },
                                        { "binder", NULL, &BIND_OPS, 0 } };
    skiff_sched_profile_conf_t prof = { "default-scheduler", refs, 3, 0 };
    skiff_sched_options_t o = options(&prof, 1);
    /* big fits nowhere; the PostFilter nominates it to a. */
    skiff_sched_t *s = start_with_big_nominated(&o);
    skiff_error_t err;
    assert_string_equal(nominated_to[0], "big=a");
    assert_true(run_filters_failed_on_a);
    assert_int_equal(skiff_sched_wait_idle(s, 5000), 0);
    /* A lower-priority pod would fit a's free 500m, but big's 1 cpu is
     * counted there now: a is full for it. */
    assert_int_equal(skiff_sched_pod_add(s, prio_pod("small", "400m", 0, NULL), &err), 0);
    assert_int_equal(skiff_sched_wait_idle(s, 5000), 0);
    pthread_mutex_lock(&R.mu);
    assert_true(has_str(R.failed, R.n_failed, "small: 0/2 nodes are available: 2 Insufficient cpu."));
    pthread_mutex_unlock(&R.mu);
    /* A pod of higher priority than big does not count big. */
    assert_int_equal(skiff_sched_pod_add(s, prio_pod("urgent", "400m", 200, NULL), &err), 0);
    assert_int_equal(wait_for(&R.n_bound, 1, 5000), 1);
    assert_string_equal(R.bound[0], "urgent=a");
    /* The victim goes: big is bound on its nominated node (tried first). */
    assert_int_equal(skiff_sched_pod_delete(s, "default", "low", &err), 0);
    assert_true(wait_for(&R.n_bound, 2, 5000) >= 2);
    assert_int_equal(skiff_sched_wait_idle(s, 5000), 0);
    int big_on_a = 0;
    pthread_mutex_lock(&R.mu);
    for (int i = 0; i < R.n_bound; i++) big_on_a |= strcmp(R.bound[i], "big=a") == 0;
    pthread_mutex_unlock(&R.mu);
    assert_true(big_on_a);
    skiff_sched_free(s);
}

/* PreFilter extensions (kube's AddPod/RemovePod) through the cycle state:
 * run_remove_pod / run_add_pod reach the plugins whose pre_filter did not
 * skip, and run_filters adds the nominated pods it counts to the PreFilter
 * state for the run (then takes them out again). */
static char ext_log[32][80];
static int n_ext_log;

static void ext_pre_filter(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod, skiff_sched_status_t *out)
{
    (void)self; (void)st;
    if (strcmp(pod->name, "skipme") == 0) out->code = SKIFF_SCHED_SKIP;
}

static void ext_log_add(const char *what, const skiff_sched_pod_t *pod, const skiff_sched_pod_t *other, const skiff_sched_node_t *node)
{
    if (n_ext_log < 32) snprintf(ext_log[n_ext_log++], 80, "%s %s %s %s", what, pod->name, other->name, node->name);
}

static void ext_add(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod, const skiff_sched_pod_t *other,
                    const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)self; (void)st; (void)out;
    ext_log_add("add", pod, other, node);
}

static void ext_remove(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod, const skiff_sched_pod_t *other,
                       const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)self; (void)st; (void)out;
    ext_log_add("remove", pod, other, node);
}

/* For "needs-big": passes only where a pod named big is (as an affinity would). */
static void ext_filter(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod, const skiff_sched_node_t *node,
                       skiff_sched_status_t *out)
{
    (void)self; (void)st;
    if (strcmp(pod->name, "needs-big")) return;
    for (size_t i = 0; i < node->n_pods; i++)
        if (!strcmp(node->pods[i]->name, "big")) return;
    skiff_sched_status_set(out, SKIFF_SCHED_UNSCHEDULABLE, "no big here");
}

static const skiff_scheduler_ops_t EXT_OPS = { .size = sizeof EXT_OPS, .pre_filter = ext_pre_filter, .filter = ext_filter,
                                               .pre_filter_add_pod = ext_add, .pre_filter_remove_pod = ext_remove };

static int probes_done, probe_bad, needs_big_rc = -1;
static char needs_big_reason[256];
static void probe_post_filter(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod, skiff_sched_status_t *out)
{
    (void)self; (void)out;
    if (!strcmp(pod->name, "needs-big")) {
        /* node a with low taken out: big (nominated there) is counted in
         * the first pass only; the second, without it, decides */
        for (size_t i = 0; i < st->n_nodes; i++)
            if (!strcmp(st->nodes[i]->name, "a")) {
                skiff_sched_node_t v = *st->nodes[i];
                v.n_pods = 0;
                v.requested.milli_cpu = 0;
                skiff_sched_status_t s;
                needs_big_rc = st->run_filters(st, pod, &v, &s);
                snprintf(needs_big_reason, sizeof needs_big_reason, "%s", s.reason);
            }
        pthread_mutex_lock(&R.mu);
        probes_done++;
        pthread_cond_broadcast(&R.cv);
        pthread_mutex_unlock(&R.mu);
        return;
    }
    if (strcmp(pod->name, "probe") && strcmp(pod->name, "skipme")) return;
    /* (on the scheduling thread: no cmocka asserts here) */
    if (!SKIFF_STATE_HAS(st, run_remove_pod) || !st->run_add_pod || !st->run_remove_pod) probe_bad = 1;
    for (size_t i = 0; !probe_bad && i < st->n_nodes; i++) {
        const skiff_sched_node_t *n = st->nodes[i];
        if (strcmp(n->name, "a")) continue;
        skiff_sched_status_t s;
        st->run_filters(st, pod, n, &s);
        for (size_t j = 0; j < n->n_pods; j++) {
            if (st->run_remove_pod(st, pod, n->pods[j], n, &s) != SKIFF_SCHED_SUCCESS) probe_bad = 1;
            if (st->run_add_pod(st, pod, n->pods[j], n, &s) != SKIFF_SCHED_SUCCESS) probe_bad = 1;
        }
    }
    pthread_mutex_lock(&R.mu);
    probes_done++;
    pthread_cond_broadcast(&R.cv);
    pthread_mutex_unlock(&R.mu);
}
static const skiff_scheduler_ops_t PROBE_OPS = { .size = sizeof PROBE_OPS, .post_filter = probe_post_filter };

static int ext_logged(const char *want)
{
    for (int i = 0; i < n_ext_log; i++)
        if (strcmp(ext_log[i], want) == 0) return 1;
    return 0;
}

static void test_prefilter_extensions(void **state)
{
    (void)state;
    rec_reset();
    n_nominated = 0;
    n_ext_log = 0;
    probes_done = probe_bad = 0;
    skiff_sched_plugin_ref_t refs[] = { { "cpu", NULL, &CPU_OPS, 0 }, { "ext", NULL, &EXT_OPS, 0 },
                                        { "nominate", NULL, &NOMINATE_OPS, 0 }, { "probe", NULL, &PROBE_OPS, 0 },
                                        { "binder", NULL, &BIND_OPS, 0 } };
    skiff_sched_profile_conf_t prof = { "default-scheduler", refs, 5, 0 };
    skiff_sched_options_t o = options(&prof, 1);
    o.parallelism = 1;
    o.backoff_initial_ms = 1000;
    o.backoff_max_ms = 2000;
    skiff_sched_t *s = start_with_big_nominated(&o); /* big nominated to a */
    skiff_error_t err;
    assert_int_equal(skiff_sched_wait_idle(s, 5000), 0);
    /* probe (priority 100, as big) fits nowhere: its PostFilter looks at a */
    assert_int_equal(skiff_sched_pod_add(s, prio_pod("probe", "1", 100, NULL), &err), 0);
    assert_int_equal(wait_for(&probes_done, 1, 5000), 1);
    pthread_mutex_lock(&R.mu);
    assert_true(ext_logged("add probe big a"));    /* big nominated to a: counted for the run */
    assert_true(ext_logged("remove probe big a")); /* and taken out after it */
    assert_true(ext_logged("remove probe low a"));
    assert_true(ext_logged("add probe low a"));
    int before = n_ext_log;
    pthread_mutex_unlock(&R.mu);
    /* a pod whose pre_filter of "ext" skipped: its extensions are not run */
    assert_int_equal(skiff_sched_pod_add(s, prio_pod("skipme", "1", 100, NULL), &err), 0);
    assert_int_equal(wait_for(&probes_done, 2, 5000), 2);
    pthread_mutex_lock(&R.mu);
    assert_int_equal(n_ext_log, before);
    assert_false(probe_bad);
    pthread_mutex_unlock(&R.mu);
    /* a pod that fits only with the nominated pod there does not fit:
     * the second pass (without nominated pods) fails */
    assert_int_equal(skiff_sched_pod_add(s, prio_pod("needs-big", "100m", 100, NULL), &err), 0);
    assert_int_equal(wait_for(&probes_done, 3, 5000), 3);
    pthread_mutex_lock(&R.mu);
    assert_int_equal(needs_big_rc, SKIFF_SCHED_UNSCHEDULABLE);
    assert_string_equal(needs_big_reason, "no big here");
    assert_true(ext_logged("add needs-big big a")); /* the first pass had big */
    pthread_mutex_unlock(&R.mu);
    skiff_sched_free(s);
}

int main(void)
{
    pthread_mutex_init(&R.mu, NULL);
    pthread_cond_init(&R.cv, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nodes_to_find),
        cmocka_unit_test(test_fit_message),
        cmocka_unit_test(test_pod_view),
        cmocka_unit_test(test_weights),
        cmocka_unit_test(test_profiles_and_unknown_scheduler),
        cmocka_unit_test(test_assumed_pods_count_and_message),
        cmocka_unit_test(test_stale_unbound_copy_keeps_placement),
        cmocka_unit_test(test_retry_on_node_add),
        cmocka_unit_test(test_unreserve_after_failed_bind),
        cmocka_unit_test(test_parallel_binders),
        cmocka_unit_test(test_binders_wake_on_demand),
        cmocka_unit_test(test_permit_timeout_and_allow),
        cmocka_unit_test(test_queue_order),
        cmocka_unit_test(test_bound_pod_before_node),
        cmocka_unit_test(test_node_heartbeat_is_not_an_event),
        cmocka_unit_test(test_nominated_pods),
        cmocka_unit_test(test_prefilter_extensions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
