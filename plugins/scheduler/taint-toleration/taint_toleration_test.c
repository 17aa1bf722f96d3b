/* scheduler/taint-toleration through the real host. */
#include "../common/sched_test_util.h"

static void test_filter(void **state)
{
    (void)state;
    skiff_instance_t *inst = tu_instance(NULL);
    skiff_sched_node_t *n = tu_node("{\"metadata\":{\"name\":\"n\"},\"spec\":{\"taints\":["
        "{\"key\":\"dedicated\",\"value\":\"gpu\",\"effect\":\"NoSchedule\"},"
        "{\"key\":\"soft\",\"effect\":\"PreferNoSchedule\"}]}}");
    skiff_sched_node_t *x = tu_node("{\"metadata\":{\"name\":\"x\"},\"spec\":{\"taints\":[{\"key\":\"evict\",\"effect\":\"NoExecute\"}]}}");
    skiff_sched_pod_t *plain = tu_pod("{\"metadata\":{\"name\":\"p\"}}");
    skiff_sched_pod_t *eq = tu_pod("{\"metadata\":{\"name\":\"q\"},\"spec\":{\"tolerations\":[{\"key\":\"dedicated\",\"operator\":\"Equal\",\"value\":\"gpu\",\"effect\":\"NoSchedule\"}]}}");
    skiff_sched_pod_t *wrongval = tu_pod("{\"metadata\":{\"name\":\"r\"},\"spec\":{\"tolerations\":[{\"key\":\"dedicated\",\"value\":\"cpu\"}]}}");
    skiff_sched_pod_t *all = tu_pod("{\"metadata\":{\"name\":\"s\"},\"spec\":{\"tolerations\":[{\"operator\":\"Exists\"}]}}");
    char r[256];
    assert_int_equal(tu_filter(inst, NULL, plain, n, r), SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE);
    assert_string_equal(r, "node(s) had untolerated taint {dedicated: gpu}");
    assert_int_equal(tu_filter(inst, NULL, eq, n, r), SKIFF_SCHED_SUCCESS); /* PreferNoSchedule never filters */
    assert_int_equal(tu_filter(inst, NULL, wrongval, n, r), SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE);
    assert_int_equal(tu_filter(inst, NULL, plain, x, r), SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE);
    assert_string_equal(r, "node(s) had untolerated taint {evict: }");
    assert_int_equal(tu_filter(inst, NULL, all, x, r), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, NULL, eq, x, r), SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE);
    skiff_instance_free(inst);
    tu_free_all();
}

static void test_score(void **state)
{
    (void)state;
    skiff_instance_t *inst = tu_instance(NULL);
    skiff_sched_node_t *nodes[3] = {
        tu_node("{\"metadata\":{\"name\":\"a\"}}"),
        tu_node("{\"metadata\":{\"name\":\"b\"},\"spec\":{\"taints\":[{\"key\":\"s1\",\"effect\":\"PreferNoSchedule\"}]}}"),
        tu_node("{\"metadata\":{\"name\":\"c\"},\"spec\":{\"taints\":[{\"key\":\"s1\",\"effect\":\"PreferNoSchedule\"},{\"key\":\"s2\",\"effect\":\"PreferNoSchedule\"}]}}"),
    };
    int64_t sc[3];
    skiff_sched_pod_t *plain = tu_pod("{\"metadata\":{\"name\":\"p\"}}");
    assert_int_equal(tu_scores(inst, NULL, plain, nodes, 3, sc), SKIFF_SCHED_SUCCESS);
    assert_int_equal(sc[0], 100);
    assert_int_equal(sc[1], 50);
    assert_int_equal(sc[2], 0);
    /* a NoSchedule toleration does not count for PreferNoSchedule scoring */
    skiff_sched_pod_t *tol = tu_pod("{\"metadata\":{\"name\":\"q\"},\"spec\":{\"tolerations\":[{\"key\":\"s1\",\"operator\":\"Exists\",\"effect\":\"PreferNoSchedule\"},{\"key\":\"s2\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]}}");
    assert_int_equal(tu_scores(inst, NULL, tol, nodes, 3, sc), SKIFF_SCHED_SUCCESS);
    assert_int_equal(sc[0], 100);
    assert_int_equal(sc[1], 100);
    assert_int_equal(sc[2], 0);
    skiff_instance_free(inst);
    tu_free_all();
}

/* PreFilter skips the filter while no node has a NoSchedule/NoExecute
 * taint (PreferNoSchedule only scores). */
static void test_pre_filter_skip(void **state)
{
    (void)state;
    skiff_instance_t *inst = tu_instance(NULL);
    const skiff_sched_node_t *soft[2] = {
        tu_node("{\"metadata\":{\"name\":\"a\"}}"),
        tu_node("{\"metadata\":{\"name\":\"b\"},\"spec\":{\"taints\":[{\"key\":\"s\",\"effect\":\"PreferNoSchedule\"}]}}"),
    };
    skiff_sched_pod_t *plain = tu_pod("{\"metadata\":{\"name\":\"p\"}}");
    skiff_sched_state_t *st = skiff_sched_state_new(soft, 2);
    assert_int_equal(tu_pre_filter(inst, st, plain), SKIFF_SCHED_SKIP);
    skiff_sched_state_free(st);
    const skiff_sched_node_t *hard[3] = {
        soft[0], soft[1],
        tu_node("{\"metadata\":{\"name\":\"c\"},\"spec\":{\"taints\":[{\"key\":\"h\",\"effect\":\"NoExecute\"}]}}"),
    };
    st = skiff_sched_state_new(hard, 3);
    assert_int_equal(tu_pre_filter(inst, st, plain), SKIFF_SCHED_SUCCESS);
    char r[256];
    assert_int_equal(tu_filter(inst, st, plain, hard[2], r), SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE);
    skiff_sched_state_free(st);
    skiff_instance_free(inst);
    tu_free_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_filter), cmocka_unit_test(test_score), cmocka_unit_test(test_pre_filter_skip) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
