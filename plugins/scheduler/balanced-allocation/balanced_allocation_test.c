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

/* The cpu/memory fast path (fields read by offset) scores exactly as the
 * general path does: a listed extended resource no node has forces the
 * general path without changing any score. */
static void test_fast_path_matches_general(void **state)
{
    (void)state;
    skiff_instance_t *fast = tu_instance((const char *[]){ "resources=cpu:3,memory:2", NULL });
    skiff_instance_t *slow = tu_instance((const char *[]){ "resources=cpu:3,memory:2,example.com/none", NULL });
    skiff_sched_node_t *nodes[64];
    for (int i = 0; i < 64; i++) {
        nodes[i] = tu_node(NODE("n"));
        nodes[i]->allocatable.milli_cpu = i % 7 == 3 ? 0 : 1000 + 313 * i;
        nodes[i]->allocatable.memory = (1LL << 30) + (int64_t)i * 77777777;
        nodes[i]->requested.milli_cpu = nodes[i]->non_zero_milli_cpu = (i * 997) % 30000;
        nodes[i]->requested.memory = nodes[i]->non_zero_memory = ((int64_t)i * 123456789) % (6LL << 30);
    }
    skiff_sched_pod_t *p = tu_pod("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}}}]}}");
    int64_t a[64], b[64];
    assert_int_equal(tu_scores(fast, NULL, p, nodes, 64, a), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_scores(slow, NULL, p, nodes, 64, b), SKIFF_SCHED_SUCCESS);
    int distinct = 0;
    for (int i = 0; i < 64; i++) {
        assert_int_equal(a[i], b[i]);
        distinct += i && a[i] != a[i - 1];
    }
    assert_true(distinct > 10);
    skiff_instance_free(fast);
    skiff_instance_free(slow);
    tu_free_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_score), cmocka_unit_test(test_fast_path_matches_general) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
