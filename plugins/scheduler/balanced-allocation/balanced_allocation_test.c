/* scheduler/balanced-allocation through the real host. */
#include "../common/sched_test_util.h"

#define NODE(n) "{\"metadata\":{\"name\":\"" n "\"},\"status\":{\"allocatable\":{\"cpu\":\"4\",\"memory\":\"8Gi\",\"pods\":\"10\"}}}"

static void test_score(void **state)
{
    (void)state;
    skiff_instance_t *inst = tu_instance(NULL);
    skiff_sched_node_t *nodes[2] = { tu_node(NODE("skewed")), tu_node(NODE("even")) };
    nodes[0]->requested.milli_cpu = 1000;
    nodes[0]->requested.memory = 6LL << 30;
    nodes[1]->requested.memory = 2LL << 30;
    skiff_sched_pod_t *p = tu_pod("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"1\"}}}]}}");
    int64_t sc[2];
    assert_int_equal(tu_scores(inst, NULL, p, nodes, 2, sc), SKIFF_SCHED_SUCCESS);
    assert_int_equal(sc[0], 87);  /* cpu 0.5, memory 0.75: std 0.125 */
    assert_int_equal(sc[1], 100); /* cpu 0.25, memory 0.25 */
    skiff_sched_pod_t *none = tu_pod("{\"metadata\":{\"name\":\"q\"},\"spec\":{\"containers\":[{\"name\":\"c\"}]}}");
    assert_int_equal(tu_scores(inst, NULL, none, nodes, 2, sc), SKIFF_SCHED_SKIP);
    skiff_instance_free(inst);
    /* three resources: population standard deviation */
    inst = tu_instance((const char *[]){ "resources=cpu,memory,ephemeral-storage", NULL });
    skiff_sched_node_t *n3[1] = { tu_node("{\"metadata\":{\"name\":\"x\"},\"status\":{\"allocatable\":{\"cpu\":\"1\",\"memory\":\"1Gi\",\"ephemeral-storage\":\"1Gi\"}}}") };
    skiff_sched_pod_t *q = tu_pod("{\"metadata\":{\"name\":\"q\"},\"spec\":{\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"1\",\"memory\":\"512Mi\"}}}]}}");
    assert_int_equal(tu_scores(inst, NULL, q, n3, 1, sc), SKIFF_SCHED_SUCCESS);
    assert_int_equal(sc[0], 59); /* fractions 1, .5, 0: std 0.408 */
    skiff_instance_free(inst);
    tu_free_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_score) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
