/* scheduler/most-allocated through the real host. */
#include "../common/sched_test_util.h"

#define NODE(n) "{\"metadata\":{\"name\":\"" n "\"},\"status\":{\"allocatable\":{\"cpu\":\"4\",\"memory\":\"8Gi\",\"pods\":\"10\",\"example.com/gpu\":\"4\"}}}"

static void test_score(void **state)
{
    (void)state;
    skiff_instance_t *inst = tu_instance(NULL);
    skiff_sched_node_t *nodes[2] = { tu_node(NODE("busy")), tu_node(NODE("idle")) };
    nodes[0]->non_zero_milli_cpu = 1000;
    nodes[0]->non_zero_memory = 2LL << 30;
    skiff_sched_pod_t *p = tu_pod("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"1\",\"memory\":\"2Gi\",\"example.com/gpu\":\"1\"}}}]}}");
    int64_t sc[2];
    assert_int_equal(tu_scores(inst, NULL, p, nodes, 2, sc), SKIFF_SCHED_SUCCESS);
    assert_int_equal(sc[0], 50);
    assert_int_equal(sc[1], 25);
    /* more than allocatable counts as full */
    nodes[1]->non_zero_milli_cpu = 9000;
    nodes[1]->non_zero_memory = 9LL << 30;
    assert_int_equal(tu_scores(inst, NULL, p, nodes, 2, sc), SKIFF_SCHED_SUCCESS);
    assert_int_equal(sc[1], 100);
    skiff_instance_free(inst);
    /* an extended resource */
    inst = tu_instance((const char *[]){ "resources=example.com/gpu", NULL });
    assert_int_equal(tu_scores(inst, NULL, p, nodes, 2, sc), SKIFF_SCHED_SUCCESS);
    assert_int_equal(sc[0], 25);
    skiff_instance_free(inst);
    tu_free_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_score) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
