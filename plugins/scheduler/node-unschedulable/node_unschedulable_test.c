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

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_cordoned) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
