/* scheduler/pod-topology-spread through the real host: skew per zone,
 * missing label, minDomains, node affinity honoured, scoring. */
#include "../common/sched_test_util.h"

#define NODE(n, z) "{\"metadata\":{\"name\":\"" n "\",\"labels\":{\"zone\":\"" z "\"}}}"
#define APP(name) "{\"metadata\":{\"name\":\"" name "\",\"labels\":{\"app\":\"web\"}}}"

static skiff_sched_pod_t *spread_pod(int skew, const char *when, const char *extra)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "{\"metadata\":{\"name\":\"new\",\"labels\":{\"app\":\"web\"}},\"spec\":{%s\"topologySpreadConstraints\":[{\"maxSkew\":%d,\"topologyKey\":\"zone\",\"whenUnsatisfiable\":\"%s\",\"labelSelector\":{\"matchLabels\":{\"app\":\"web\"}}%s}]}}",
             extra && strstr(extra, "nodeSelector") ? extra : "", skew, when,
             extra && strstr(extra, "minDomains") ? extra : "");
    return tu_pod(buf);
}

static void test_filter(void **state)
{
    (void)state;
    skiff_instance_t *inst = tu_instance(NULL);
    skiff_sched_node_t *a = tu_node(NODE("a", "z1")), *b = tu_node(NODE("b", "z2"));
    skiff_sched_node_t *c = tu_node("{\"metadata\":{\"name\":\"c\"}}");
    const skiff_sched_pod_t *on_a[] = { tu_pod(APP("w1")), tu_pod(APP("w2")),
                                        tu_pod("{\"metadata\":{\"name\":\"other\",\"labels\":{\"app\":\"db\"}}}") };
    tu_place(a, on_a, 3);
    const skiff_sched_node_t *nodes[] = { a, b, c };
    skiff_sched_state_t *st = skiff_sched_state_new(nodes, 3);
    char r[256];
    skiff_sched_pod_t *p = spread_pod(1, "DoNotSchedule", NULL);
    assert_int_equal(tu_pre_filter(inst, st, p), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, st, p, a, r), SKIFF_SCHED_UNSCHEDULABLE); /* 2+1-0 > 1 */
    assert_string_equal(r, "node(s) didn't match pod topology spread constraints");
    assert_int_equal(tu_filter(inst, st, p, b, r), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, st, p, c, r), SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE);
    assert_string_equal(r, "node(s) didn't match pod topology spread constraints (missing required label)");
    skiff_sched_state_free(st);

    /* maxSkew 3 allows z1 */
    st = skiff_sched_state_new(nodes, 3);
    p = spread_pod(3, "DoNotSchedule", NULL);
    assert_int_equal(tu_pre_filter(inst, st, p), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, st, p, a, r), SKIFF_SCHED_SUCCESS);
    skiff_sched_state_free(st);

    /* node affinity honoured: only z1 nodes count, so z1 is the minimum */
    st = skiff_sched_state_new(nodes, 3);
    p = spread_pod(1, "DoNotSchedule", "\"nodeSelector\":{\"zone\":\"z1\"},");
    assert_int_equal(tu_pre_filter(inst, st, p), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, st, p, a, r), SKIFF_SCHED_SUCCESS);
    skiff_sched_state_free(st);

    /* minDomains 3 with two domains: the minimum counts as 0 */
    const skiff_sched_pod_t *on_b[] = { tu_pod(APP("w3")), tu_pod(APP("w4")) };
    tu_place(b, on_b, 2);
    st = skiff_sched_state_new(nodes, 3);
    p = spread_pod(2, "DoNotSchedule", ",\"minDomains\":3");
    assert_int_equal(tu_pre_filter(inst, st, p), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, st, p, b, r), SKIFF_SCHED_UNSCHEDULABLE); /* 2+1-0 > 2 */
    skiff_sched_state_free(st);
    st = skiff_sched_state_new(nodes, 3);
    p = spread_pod(2, "DoNotSchedule", NULL);
    assert_int_equal(tu_pre_filter(inst, st, p), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, st, p, b, r), SKIFF_SCHED_SUCCESS);       /* 2+1-2 <= 2 */
    skiff_sched_state_free(st);

    /* no hard constraints: skipped */
    skiff_sched_pod_t *plain = tu_pod(APP("x"));
    assert_int_equal(tu_pre_filter(inst, NULL, plain), SKIFF_SCHED_SKIP);
    skiff_instance_free(inst);
    tu_free_all();
}

static void test_score(void **state)
{
    (void)state;
    skiff_instance_t *inst = tu_instance(NULL);
    skiff_sched_node_t *nodes[3] = { tu_node(NODE("a", "z1")), tu_node(NODE("b", "z2")), tu_node(NODE("c", "z3")) };
    const skiff_sched_pod_t *on_a[] = { tu_pod(APP("w1")), tu_pod(APP("w2")) };
    const skiff_sched_pod_t *on_b[] = { tu_pod(APP("w3")) };
    tu_place(nodes[0], on_a, 2);
    tu_place(nodes[1], on_b, 1);
    skiff_sched_state_t *st = skiff_sched_state_new((const skiff_sched_node_t *const *)nodes, 3);
    skiff_sched_pod_t *p = spread_pod(1, "ScheduleAnyway", NULL);
    assert_int_equal(tu_pre_filter(inst, st, p), SKIFF_SCHED_SKIP); /* soft only: no filtering */
    int64_t sc[3];
    assert_int_equal(tu_scores(inst, st, p, nodes, 3, sc), SKIFF_SCHED_SUCCESS);
    assert_true(sc[2] > sc[1] && sc[1] > sc[0]);
    assert_int_equal(sc[2], 100);
    skiff_sched_state_free(st);
    skiff_instance_free(inst);
    tu_free_all();
}

/* PreFilter extensions: matching pods taken out of a zone (preemption's
 * what-if) lower its count and the skew; put back, they count again. */
static void test_extensions(void **state)
{
    (void)state;
    skiff_instance_t *inst = tu_instance(NULL);
    skiff_sched_node_t *a = tu_node(NODE("a", "z1")), *b = tu_node(NODE("b", "z2"));
    const skiff_sched_pod_t *w1 = tu_pod(APP("w1")), *w2 = tu_pod(APP("w2"));
    const skiff_sched_pod_t *other = tu_pod("{\"metadata\":{\"name\":\"other\",\"labels\":{\"app\":\"db\"}}}");
    const skiff_sched_pod_t *on_a[] = { w1, w2, other };
    tu_place(a, on_a, 3);
    const skiff_sched_node_t *nodes[] = { a, b };
    char r[256];
    skiff_sched_state_t *st = skiff_sched_state_new(nodes, 2);
    skiff_sched_pod_t *p = spread_pod(1, "DoNotSchedule", NULL);
    assert_int_equal(tu_pre_filter(inst, st, p), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, st, p, a, r), SKIFF_SCHED_UNSCHEDULABLE); /* 2+1-0 > 1 */
    assert_int_equal(tu_pod_ext(inst, st, p, other, a, 0), SKIFF_SCHED_SUCCESS); /* not selected: no change */
    assert_int_equal(tu_filter(inst, st, p, a, r), SKIFF_SCHED_UNSCHEDULABLE);
    assert_int_equal(tu_pod_ext(inst, st, p, w1, a, 0), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, st, p, a, r), SKIFF_SCHED_UNSCHEDULABLE); /* 1+1-0 > 1 still */
    assert_int_equal(tu_pod_ext(inst, st, p, w2, a, 0), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, st, p, a, r), SKIFF_SCHED_SUCCESS);       /* 0+1-0 */
    /* a pod added to z2 makes z1 (now 0) the minimum: z2 is 1+1-0 > 1 */
    assert_int_equal(tu_pod_ext(inst, st, p, w1, b, 1), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, st, p, b, r), SKIFF_SCHED_UNSCHEDULABLE);
    assert_int_equal(tu_pod_ext(inst, st, p, w1, b, 0), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_pod_ext(inst, st, p, w1, a, 1), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_pod_ext(inst, st, p, w2, a, 1), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, st, p, a, r), SKIFF_SCHED_UNSCHEDULABLE); /* restored */
    skiff_sched_state_free(st);
    skiff_instance_free(inst);
    tu_free_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_filter), cmocka_unit_test(test_score),
                                        cmocka_unit_test(test_extensions) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
