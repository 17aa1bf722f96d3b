/* scheduler/node-unschedulable through the real host. */
#include "../common/sched_test_util.h"

static void test_cordoned(void **state)
{
    (void)state;
    skiff_instance_t *inst = tu_instance(NULL);
    skiff_sched_node_t *up = tu_node("{\"metadata\":{\"name\":\"a\"}}");
    skiff_sched_node_t *cordoned = tu_node("{\"metadata\":{\"name\":\"b\"},\"spec\":{\"unschedulable\":true}}");
    skiff_sched_pod_t *plain = tu_pod("{\"metadata\":{\"name\":\"p\"}}");
    skiff_sched_pod_t *tol = tu_pod("{\"metadata\":{\"name\":\"q\"},\"spec\":{\"tolerations\":[{\"key\":\"node.kubernetes.io/unschedulable\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]}}");
    skiff_sched_pod_t *wrong = tu_pod("{\"metadata\":{\"name\":\"r\"},\"spec\":{\"tolerations\":[{\"key\":\"node.kubernetes.io/unschedulable\",\"operator\":\"Exists\",\"effect\":\"NoExecute\"}]}}");
    char r[256];
    assert_int_equal(tu_filter(inst, NULL, plain, up, r), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, NULL, plain, cordoned, r), SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE);
    assert_string_equal(r, "node(s) were unschedulable");
    assert_int_equal(tu_filter(inst, NULL, tol, cordoned, r), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, NULL, wrong, cordoned, r), SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE);
    skiff_instance_free(inst);
    tu_free_all();
}

/* PreFilter skips the filter when no node is cordoned (remembered per
 * node set) or the pod tolerates the taint; runs it otherwise. */
static void test_pre_filter_skip(void **state)
{
    (void)state;
    skiff_instance_t *inst = tu_instance(NULL);
    const skiff_sched_node_t *nodes[2] = { tu_node("{\"metadata\":{\"name\":\"a\"}}"),
                                           tu_node("{\"metadata\":{\"name\":\"b\"}}") };
    skiff_sched_pod_t *plain = tu_pod("{\"metadata\":{\"name\":\"p\"}}");
    skiff_sched_pod_t *tol = tu_pod("{\"metadata\":{\"name\":\"q\"},\"spec\":{\"tolerations\":[{\"key\":\"node.kubernetes.io/unschedulable\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]}}");
    skiff_sched_state_t *st = skiff_sched_state_new(nodes, 2);
    assert_int_equal(tu_pre_filter(inst, st, plain), SKIFF_SCHED_SKIP);
    assert_int_equal(tu_pre_filter(inst, st, plain), SKIFF_SCHED_SKIP); /* the remembered answer */
    skiff_sched_state_free(st);
    /* another node set (a new generation) with a cordoned node */
    skiff_sched_node_t *c = tu_node("{\"metadata\":{\"name\":\"c\"},\"spec\":{\"unschedulable\":true}}");
    const skiff_sched_node_t *nodes2[3] = { nodes[0], nodes[1], c };
    st = skiff_sched_state_new(nodes2, 3);
    assert_int_equal(tu_pre_filter(inst, st, plain), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_pre_filter(inst, st, tol), SKIFF_SCHED_SKIP);
    skiff_sched_state_free(st);
    skiff_instance_free(inst);
    tu_free_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_cordoned), cmocka_unit_test(test_pre_filter_skip) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
