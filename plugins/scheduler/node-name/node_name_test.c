/* scheduler/node-name through the real host. */
#include "../common/sched_test_util.h"

static void test_node_name(void **state)
{
    (void)state;
    skiff_instance_t *inst = tu_instance(NULL);
    skiff_sched_node_t *a = tu_node("{\"metadata\":{\"name\":\"a\"}}");
    skiff_sched_node_t *b = tu_node("{\"metadata\":{\"name\":\"b\"}}");
    skiff_sched_pod_t *named = tu_pod("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"nodeName\":\"a\"}}");
    skiff_sched_pod_t *free_ = tu_pod("{\"metadata\":{\"name\":\"q\"}}");
    char r[256];
    assert_int_equal(tu_filter(inst, NULL, named, a, r), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, NULL, named, b, r), SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE);
    assert_string_equal(r, "node(s) didn't match the requested node name");
    assert_int_equal(tu_filter(inst, NULL, free_, b, r), SKIFF_SCHED_SUCCESS);
    skiff_instance_free(inst);
    tu_free_all();
}

/* A pod naming no node skips the filter for the whole cycle. */
static void test_pre_filter_skip(void **state)
{
    (void)state;
    skiff_instance_t *inst = tu_instance(NULL);
    skiff_sched_pod_t *named = tu_pod("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"nodeName\":\"a\"}}");
    skiff_sched_pod_t *free_ = tu_pod("{\"metadata\":{\"name\":\"q\"}}");
    assert_int_equal(tu_pre_filter(inst, NULL, named), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_pre_filter(inst, NULL, free_), SKIFF_SCHED_SKIP);
    skiff_instance_free(inst);
    tu_free_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_node_name), cmocka_unit_test(test_pre_filter_skip) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
