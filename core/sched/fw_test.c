/* The scheduling cycle (sched_fw_schedule) against a plain reference of
 * kube-scheduler's algorithm, pod after pod on one evolving cluster:
 * filter node by node from the rotating start index until one feasible
 * node more than numFeasibleNodesToFind turns up (processed = the nodes
 * before it), every filter in profile order with PreFilter skips, scores
 * per plugin, NormalizeScore, weights, and selectHost's uniform draw among
 * the highest totals (one draw from the same random sequence). The chosen node, the next start index and the
 * FailedScheduling message must be the same for every pod; the cycle's
 * loops are free to be organised differently (plugin by plugin over a
 * chunk, skipped filters, parallel workers) but not to decide differently. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "sched/sched_int.h"

/* ---- test plugins (shaped like the real ones, with varied outcomes) ---- */

static int has_label(const skiff_sched_pod_t *p, const char *k, const char *v)
{
    const char *x = skiff_sched_label(p->labels, p->n_labels, k);
    return x && strcmp(x, v) == 0;
}

/* Cordoned nodes fail; skipped (PreFilter) for pods labelled cordon=ok. */
static void cordon_pre(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                       skiff_sched_status_t *out)
{
    (void)self; (void)st;
    if (has_label(pod, "cordon", "ok")) out->code = SKIFF_SCHED_SKIP;
}
static void cordon_filter(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                          const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)self; (void)st; (void)pod;
    if (node->unschedulable && !has_label(pod, "cordon", "ok"))
        skiff_sched_status_set(out, SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE, "node(s) were unschedulable");
}

static void fit_filter(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                       const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)self; (void)st;
    if (node->requested.pods + 1 > node->allocatable.pods)
        skiff_sched_status_set(out, SKIFF_SCHED_UNSCHEDULABLE, "Too many pods");
    else if (pod->requests.milli_cpu > node->allocatable.milli_cpu - node->requested.milli_cpu)
        skiff_sched_status_set(out, SKIFF_SCHED_UNSCHEDULABLE, "Insufficient cpu");
}

/* A failure with no reason: the host names the plugin. */
static void taint_filter(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                         const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)self; (void)st;
    if (node->n_taints && !has_label(pod, "tolerate", "yes")) out->code = SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE;
}

static int64_t least_score(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                           const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)self; (void)st; (void)out;
    int64_t a = node->allocatable.milli_cpu, r = node->non_zero_milli_cpu + pod->non_zero_milli_cpu;
    return r > a ? 0 : (a - r) * 100 / a;
}

/* Few distinct values: many ties for selectHost. */
static int64_t zone_score(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                          const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)self; (void)st; (void)pod; (void)out;
    const char *z = skiff_sched_label(node->labels, node->n_labels, "zone");
    return z && strcmp(z, "z0") == 0 ? 100 : z && strcmp(z, "z1") == 0 ? 50 : 0;
}

/* Pods on the node, normalized so that fewer is better (as taint-toleration). */
static int64_t count_score(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                           const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)self; (void)st; (void)pod; (void)out;
    return (int64_t)node->n_pods;
}
static void count_pre_score(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                            skiff_sched_status_t *out)
{
    (void)self; (void)st;
    if (has_label(pod, "count", "skip")) out->code = SKIFF_SCHED_SKIP;
}
static void count_normalize(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                            int64_t *s, size_t n, skiff_sched_status_t *out)
{
    (void)self; (void)st; (void)pod; (void)out;
    int64_t max = 0;
    for (size_t i = 0; i < n; i++) if (s[i] > max) max = s[i];
    for (size_t i = 0; i < n; i++) s[i] = max ? 100 - 100 * s[i] / max : 100;
}

static const skiff_scheduler_ops_t CORDON = { .size = sizeof CORDON, .pre_filter = cordon_pre, .filter = cordon_filter };
static const skiff_scheduler_ops_t FIT = { .size = sizeof FIT, .filter = fit_filter };
static const skiff_scheduler_ops_t TAINT = { .size = sizeof TAINT, .filter = taint_filter };
static const skiff_scheduler_ops_t LEAST = { .size = sizeof LEAST, .score = least_score };
static const skiff_scheduler_ops_t ZONE = { .size = sizeof ZONE, .score = zone_score };
static const skiff_scheduler_ops_t COUNT = { .size = sizeof COUNT, .pre_score = count_pre_score,
                                             .score = count_score, .normalize_score = count_normalize };

static skiff_sched_plugin_ref_t PLUGINS[] = {
    { "cordon", NULL, &CORDON, 0 }, { "fit", NULL, &FIT, 0 },  { "taint", NULL, &TAINT, 0 },
    { "least", NULL, &LEAST, 1 },   { "zone", NULL, &ZONE, 2 }, { "count", NULL, &COUNT, 3 },
};
#define N_PLUGINS (sizeof PLUGINS / sizeof PLUGINS[0])

/* ---- the reference ----------------------------------------------------- */

typedef struct ref {
    size_t next_start;
    uint64_t rng;
} ref_t;

static uint64_t ref_rng(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

/* Every filter in order (PreFilter SKIP honoured); reason of the first failure. */
static int ref_filter(const skiff_sched_pod_t *pod, const skiff_sched_node_t *node, const int *skip,
                      char *reason)
{
    for (size_t k = 0; k < N_PLUGINS; k++) {
        const skiff_scheduler_ops_t *ops = PLUGINS[k].ops;
        if (!ops->filter || skip[k]) continue;
        skiff_sched_status_t s = { SKIFF_SCHED_SUCCESS, "" };
        ops->filter(NULL, NULL, pod, node, &s);
        if (s.code == SKIFF_SCHED_SUCCESS || s.code == SKIFF_SCHED_SKIP) continue;
        snprintf(reason, 256, "%s", s.reason[0] ? s.reason : PLUGINS[k].name);
        return 0;
    }
    return 1;
}

/* One cycle: the chosen snapshot index (or -1, message in *msg). */
static long ref_schedule(ref_t *r, const sched_cache_t *c, const skiff_sched_pod_t *pod, int pct, char **msg)
{
    size_t n = c->n_list;
    int skip[N_PLUGINS] = { 0 }, skip_score[N_PLUGINS] = { 0 };
    for (size_t k = 0; k < N_PLUGINS; k++) {
        skiff_sched_status_t s = { SKIFF_SCHED_SUCCESS, "" };
        if (PLUGINS[k].ops->pre_filter) PLUGINS[k].ops->pre_filter(NULL, NULL, pod, &s);
        skip[k] = s.code == SKIFF_SCHED_SKIP;
    }
    size_t to_find = skiff_sched_nodes_to_find(n, pct);
    size_t *feasible = malloc(n * sizeof *feasible), nf = 0, processed = 0;
    char (*reasons)[256] = calloc(n, sizeof *reasons);
    const char **rl = malloc(n * sizeof *rl);
    size_t nr = 0;
    assert_non_null(feasible);
    assert_non_null(reasons);
    assert_non_null(rl);
    size_t start = r->next_start % n;
    for (size_t i = 0; i < n; i++) {
        size_t idx = (start + i) % n;
        if (ref_filter(pod, c->snap[idx], skip, reasons[idx])) {
            if (nf == to_find) break; /* one more than needed: dropped, not processed */
            feasible[nf++] = idx;
        } else {
            rl[nr++] = reasons[idx];
        }
        processed++;
    }
    r->next_start = (start + processed) % n;
    long chosen = -1;
    *msg = NULL;
    if (nf == 0) {
        /* the host lists reasons in snapshot order */
        nr = 0;
        for (size_t i = 0; i < n; i++) rl[nr++] = reasons[i];
        *msg = skiff_sched_fit_message(n, rl, nr, NULL, "");
    } else if (nf == 1) {
        chosen = (long)feasible[0];
    } else {
        int64_t *total = calloc(nf, sizeof *total), *sc = malloc(nf * sizeof *sc);
        assert_non_null(total);
        assert_non_null(sc);
        for (size_t k = 0; k < N_PLUGINS; k++) {
            const skiff_scheduler_ops_t *ops = PLUGINS[k].ops;
            if (!ops->score) continue;
            skiff_sched_status_t s = { SKIFF_SCHED_SUCCESS, "" };
            if (ops->pre_score) ops->pre_score(NULL, NULL, pod, &s);
            skip_score[k] = s.code == SKIFF_SCHED_SKIP;
            if (skip_score[k]) continue;
            for (size_t i = 0; i < nf; i++) sc[i] = ops->score(NULL, NULL, pod, c->snap[feasible[i]], &s);
            if (ops->normalize_score) ops->normalize_score(NULL, NULL, pod, sc, nf, &s);
            int64_t w = PLUGINS[k].weight > 0 ? PLUGINS[k].weight : 1;
            for (size_t i = 0; i < nf; i++) total[i] += sc[i] * w;
        }
        /* the highest total; ties: one uniform draw among them, in order */
        int64_t top = INT64_MIN;
        size_t ties = 0, best = 0;
        for (size_t i = 0; i < nf; i++) {
            if (total[i] > top) { top = total[i]; ties = 0; }
            if (total[i] == top) ties++;
        }
        size_t pick = ties > 1 ? (size_t)(ref_rng(&r->rng) % ties) : 0;
        for (size_t i = 0; i < nf; i++)
            if (total[i] == top && pick-- == 0) { best = i; break; }
        chosen = (long)feasible[best];
        free(total);
        free(sc);
    }
    free(feasible);
    free(reasons);
    free(rl);
    return chosen;
}

/* ---- the cluster ------------------------------------------------------- */

static void add_node(sched_cache_t *c, int i)
{
    char buf[600];
    /* a few small nodes that fill up, cordoned and tainted ones, three zones */
    int cpu = i % 9 == 0 ? 400 : 1000 + (i % 5) * 700;
    snprintf(buf, sizeof buf,
             "{\"metadata\":{\"name\":\"n%d\",\"labels\":{\"zone\":\"z%d\"}},"
             "\"spec\":{\"unschedulable\":%s%s},"
             "\"status\":{\"allocatable\":{\"cpu\":\"%dm\",\"memory\":\"64Gi\",\"pods\":\"%d\"}}}",
             i, i % 3, i % 13 == 5 ? "true" : "false",
             i % 17 == 3 ? ",\"taints\":[{\"key\":\"dedicated\",\"value\":\"x\",\"effect\":\"NoSchedule\"}]" : "",
             cpu, i % 23 == 7 ? 2 : 110);
    cJSON *o = cJSON_Parse(buf);
    assert_non_null(o);
    int changed;
    skiff_error_t err;
    assert_non_null(sched_cache_node_set(c, o, &changed, &err));
}

/* A pod record (the scheduler's view of it) from its JSON text. */
static sched_pod_rec_t *pod_rec(const char *json, const char *key)
{
    cJSON *o = cJSON_Parse(json);
    assert_non_null(o);
    sched_pod_rec_t *p = calloc(1, sizeof *p);
    assert_non_null(p);
    p->obj = o;
    skiff_error_t err;
    assert_int_equal(sched_view_pod(&p->arena, o, &p->view, &err), 0);
    assert_non_null(p->key = strdup(key));
    return p;
}

static sched_pod_rec_t *make_pod(int i, int cpu)
{
    char buf[600];
    snprintf(buf, sizeof buf,
             "{\"metadata\":{\"name\":\"p%d\",\"namespace\":\"t\",\"uid\":\"u%d\",\"labels\":{"
             "\"cordon\":\"%s\",\"tolerate\":\"%s\",\"count\":\"%s\"}},"
             "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\","
             "\"resources\":{\"requests\":{\"cpu\":\"%dm\"}}}]}}",
             i, i, i % 5 == 0 ? "ok" : "no", i % 4 == 0 ? "yes" : "no", i % 6 == 0 ? "skip" : "no", cpu);
    char key[32];
    snprintf(key, sizeof key, "t/p%d", i);
    return pod_rec(buf, key);
}

/* Run `pods` pods through both, placing each where it went. */
static void run_against_reference(int n_nodes, int pct, int pods, int parallel)
{
    sched_cache_t c = { 0 };
    for (int i = 0; i < n_nodes; i++) add_node(&c, i);
    sched_profile_t prof = { "p", PLUGINS, N_PLUGINS, pct };
    sched_fw_t fw = { 0 };
    fw.rng = 42;
    if (parallel) {
        setenv("SKIFF_SCHED_MIN_PARALLEL", "1", 1);
        assert_int_equal(sched_pool_new(2, &fw.pool), 0);
        unsetenv("SKIFF_SCHED_MIN_PARALLEL");
    }
    ref_t ref = { 0, 42 };
    int placed = 0, failed = 0;
    for (int i = 0; i < pods; i++) {
        /* now and then one that fits nowhere (every node reports why) */
        int cpu = i % 97 == 50 ? 100000 : 50 + (i * 37) % 400;
        sched_pod_rec_t *p = make_pod(i, cpu);
        char *want_msg = NULL;
        long want = parallel ? -2 : ref_schedule(&ref, &c, &p->view, pct, &want_msg);
        sched_cycle_t *cy = malloc(sizeof *cy);
        assert_non_null(cy);
        sched_cycle_init(cy, NULL, &c, &prof, p);
        sched_fw_result_t res;
        assert_int_equal(sched_fw_schedule(&fw, &c, cy, &res), 0);
        sched_cycle_clear(cy);
        free(cy);
        if (!parallel) {
            if (want < 0) {
                assert_int_not_equal(res.code, SKIFF_SCHED_SUCCESS);
                assert_non_null(res.message);
                assert_string_equal(res.message, want_msg);
            } else {
                if (res.code != SKIFF_SCHED_SUCCESS) fail_msg("pod %d: %s", i, res.message);
                if (res.node->snap_idx != (size_t)want)
                    fail_msg("pod %d: chose %s, the reference %s", i, res.node->view.name,
                             c.snap[want]->name);
            }
            assert_int_equal(fw.next_start, ref.next_start);
        } else if (res.code == SKIFF_SCHED_SUCCESS) {
            /* workers may find other nodes first; the pick must still fit */
            int skip[N_PLUGINS] = { 0 };
            char why[256];
            for (size_t k = 0; k < N_PLUGINS; k++) {
                skiff_sched_status_t s = { SKIFF_SCHED_SUCCESS, "" };
                if (PLUGINS[k].ops->pre_filter) PLUGINS[k].ops->pre_filter(NULL, NULL, &p->view, &s);
                skip[k] = s.code == SKIFF_SCHED_SKIP;
            }
            assert_true(ref_filter(&p->view, &res.node->view, skip, why));
        }
        free(want_msg);
        if (res.code == SKIFF_SCHED_SUCCESS) {
            assert_int_equal(sched_cache_pod_place(&c, p, res.node, 0), 0);
            assert_int_equal(sched_map_put(&c.pods, p->key, p), 0);
            placed++;
        } else {
            sched_pod_rec_unref(p);
            failed++;
        }
        free(res.message);
    }
    assert_true(placed > pods / 2);
    assert_true(failed > 0);
    sched_fw_free(&fw);
    sched_cache_free(&c);
}

/* n alike nodes t0..t(n-1): 4 cpu, 8Gi, 110 pods. */
static void add_same_nodes(sched_cache_t *c, int n)
{
    for (int i = 0; i < n; i++) {
        char buf[300];
        snprintf(buf, sizeof buf, "{\"metadata\":{\"name\":\"t%d\"},\"status\":{\"allocatable\":"
                                  "{\"cpu\":\"4\",\"memory\":\"8Gi\",\"pods\":\"110\"}}}", i);
        int changed;
        skiff_error_t err;
        assert_non_null(sched_cache_node_set(c, cJSON_Parse(buf), &changed, &err));
    }
}

/* 600 nodes, adaptive percentage: 276 to find, rotation wraps often. */
static void test_adaptive_percentage(void **state)
{
    (void)state;
    run_against_reference(600, 0, 1500, 0);
}

/* 1,500 nodes at 10%: 150 to find, chunks cut mid-way. */
static void test_fixed_percentage(void **state)
{
    (void)state;
    run_against_reference(1500, 10, 800, 0);
}

/* Fewer than 100 nodes: every node is filtered and scored. */
static void test_small_cluster(void **state)
{
    (void)state;
    run_against_reference(60, 0, 400, 0);
}

/* Workers (forced): every pick passes every filter. */
static void test_parallel_picks_fit(void **state)
{
    (void)state;
    run_against_reference(800, 0, 600, 1);
}

/* Ties: every node with the highest total is as likely (one uniform draw). */
static void test_ties_uniform(void **state)
{
    (void)state;
    sched_cache_t c = { 0 };
    add_same_nodes(&c, 4);
    skiff_sched_plugin_ref_t plugins[] = { { "fit", NULL, &FIT, 0 }, { "least", NULL, &LEAST, 1 } };
    sched_profile_t prof = { "p", plugins, 2, 0 };
    sched_fw_t fw = { 0 };
    fw.rng = 7;
    sched_pod_rec_t *p = make_pod(1, 100);
    int count[4] = { 0 };
    for (int i = 0; i < 4000; i++) {
        sched_cycle_t cy;
        sched_cycle_init(&cy, NULL, &c, &prof, p);
        sched_fw_result_t res;
        assert_int_equal(sched_fw_schedule(&fw, &c, &cy, &res), 0);
        assert_int_equal(res.code, SKIFF_SCHED_SUCCESS);
        count[res.node->snap_idx]++;
        sched_cycle_clear(&cy);
    }
    for (int i = 0; i < 4; i++)
        if (count[i] < 880 || count[i] > 1120) fail_msg("node %d picked %d times of 4000", i, count[i]);
    sched_pod_rec_unref(p);
    sched_fw_free(&fw);
    sched_cache_free(&c);
}

/* Nominated pods, kube's RunFilterPluginsWithNominatedPods: a node passes
 * only if the pod fits there both with the nominated pods of at least its
 * priority counted and without them (they may never land). "friend" lets
 * pods labelled needs=friend only onto a node that holds a pod named big. */
static void friend_filter(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                          const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)self; (void)st;
    if (!has_label(pod, "needs", "friend")) return;
    for (size_t i = 0; i < node->n_pods; i++)
        if (strcmp(node->pods[i]->name, "big") == 0) return;
    skiff_sched_status_set(out, SKIFF_SCHED_UNSCHEDULABLE, "node(s) had no friend");
}
static const skiff_scheduler_ops_t FRIEND = { .size = sizeof FRIEND, .filter = friend_filter };

/* A PreFilter extension that logs what the cycle adds to and removes from
 * its state (kube's AddPod/RemovePod for nominated pods). */
static char ext_log[8][64];
static int n_ext;
static void ext_log_pod(const char *what, const skiff_sched_pod_t *pod, const skiff_sched_pod_t *other,
                        const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)out;
    if (n_ext < 8) snprintf(ext_log[n_ext++], 64, "%s %s %s %s", what, pod->name, other->name, node->name);
}
static void ext_add(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod, const skiff_sched_pod_t *other,
                    const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)self; (void)st;
    ext_log_pod("add", pod, other, node, out);
}
static void ext_remove(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod, const skiff_sched_pod_t *other,
                       const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)self; (void)st;
    ext_log_pod("remove", pod, other, node, out);
}
static const skiff_scheduler_ops_t EXT = { .size = sizeof EXT, .pre_filter_add_pod = ext_add,
                                           .pre_filter_remove_pod = ext_remove };

static sched_pod_rec_t *prio_pod(const char *name, int prio, const char *label, const char *cpu)
{
    char buf[600];
    snprintf(buf, sizeof buf,
             "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"t\",\"uid\":\"u-%s\",\"labels\":{%s}},"
             "\"spec\":{\"priority\":%d,\"containers\":[{\"name\":\"c\",\"image\":\"x\","
             "\"resources\":{\"requests\":{\"cpu\":\"%s\"}}}]}}",
             name, name, label, prio, cpu);
    char key[300];
    snprintf(key, sizeof key, "t/%s", name);
    return pod_rec(buf, key);
}

static sched_fw_result_t schedule_one(sched_fw_t *fw, sched_cache_t *c, sched_profile_t *prof, sched_pod_rec_t *p)
{
    sched_cycle_t cy;
    sched_cycle_init(&cy, NULL, c, prof, p);
    sched_fw_result_t res;
    assert_int_equal(sched_fw_schedule(fw, c, &cy, &res), 0);
    sched_cycle_clear(&cy);
    return res;
}

static void test_nominated_second_pass(void **state)
{
    (void)state;
    sched_cache_t c = { 0 };
    add_same_nodes(&c, 2);
    skiff_sched_plugin_ref_t plugins[] = { { "fit", NULL, &FIT, 0 }, { "friend", NULL, &FRIEND, 0 } };
    sched_profile_t prof = { "p", plugins, 2, 0 };
    sched_fw_t fw = { 0 };
    fw.rng = 7;
    sched_pod_rec_t *big = prio_pod("big", 100, "", "3");
    assert_int_equal(sched_nominate_set(&c, big, "t0"), 0);

    /* counted: big's 3 cpu on t0 leave 1, so a 2-cpu pod of lower priority
     * goes to t1 every time */
    sched_pod_rec_t *mid = prio_pod("mid", 0, "", "2");
    for (int i = 0; i < 8; i++) {
        sched_fw_result_t r = schedule_one(&fw, &c, &prof, mid);
        assert_int_equal(r.code, SKIFF_SCHED_SUCCESS);
        assert_string_equal(r.node->view.name, "t1");
        free(r.message);
    }
    /* passes on t0 only with big counted: not without it, so nowhere */
    sched_pod_rec_t *f = prio_pod("follower", 0, "\"needs\":\"friend\"", "100m");
    sched_fw_result_t r = schedule_one(&fw, &c, &prof, f);
    assert_int_equal(r.code, SKIFF_SCHED_UNSCHEDULABLE);
    assert_non_null(r.message);
    assert_string_equal(r.message, "0/2 nodes are available: 2 node(s) had no friend.");
    free(r.message);
    /* with a PreFilter extension in the profile, big also goes into the
     * cycle's state for t0's check, and comes out again */
    skiff_sched_plugin_ref_t with_ext[] = { { "fit", NULL, &FIT, 0 }, { "ext", NULL, &EXT, 0 },
                                            { "friend", NULL, &FRIEND, 0 } };
    sched_profile_t prof_ext = { "p", with_ext, 3, 0 };
    n_ext = 0;
    r = schedule_one(&fw, &c, &prof_ext, f);
    assert_int_equal(r.code, SKIFF_SCHED_UNSCHEDULABLE);
    assert_string_equal(r.message, "0/2 nodes are available: 2 node(s) had no friend.");
    free(r.message);
    assert_int_equal(n_ext, 2);
    assert_string_equal(ext_log[0], "add follower big t0");
    assert_string_equal(ext_log[1], "remove follower big t0");
    n_ext = 0;
    r = schedule_one(&fw, &c, &prof_ext, mid); /* counted there: t1 */
    assert_int_equal(r.code, SKIFF_SCHED_SUCCESS);
    assert_string_equal(r.node->view.name, "t1");
    free(r.message);
    /* once big is bound there, the friend is real */
    sched_nominate_clear(&c, big);
    assert_int_equal(sched_cache_pod_place(&c, big, sched_map_get(&c.nodes, "t0"), 0), 0);
    assert_int_equal(sched_map_put(&c.pods, big->key, big), 0);
    r = schedule_one(&fw, &c, &prof, f);
    assert_int_equal(r.code, SKIFF_SCHED_SUCCESS);
    assert_string_equal(r.node->view.name, "t0");
    free(r.message);
    sched_pod_rec_unref(f);
    sched_pod_rec_unref(mid);
    sched_fw_free(&fw);
    sched_cache_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adaptive_percentage),
        cmocka_unit_test(test_fixed_percentage),
        cmocka_unit_test(test_small_cluster),
        cmocka_unit_test(test_parallel_picks_fit),
        cmocka_unit_test(test_ties_uniform),
        cmocka_unit_test(test_nominated_second_pass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
