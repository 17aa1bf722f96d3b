/* scheduler/node-resources-fit through the real host: every resource,
 * several reasons at once, ignored resources, a bad key. */
#include "../common/sched_test_util.h"

#define NODE "{\"metadata\":{\"name\":\"n\"},\"status\":{\"allocatable\":{\"cpu\":\"2\",\"memory\":\"4Gi\",\"ephemeral-storage\":\"10Gi\",\"pods\":\"3\",\"example.com/gpu\":\"1\"}}}"

static skiff_sched_pod_t *pod(const char *requests)
{
    char buf[512];
    snprintf(buf, sizeof buf, "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"resources\":{\"requests\":%s}}]}}", requests);
    return tu_pod(buf);
}

static void test_fit(void **state)
{
    (void)state;
    skiff_instance_t *inst = tu_instance(NULL);
    skiff_sched_node_t *n = tu_node(NODE);
    n->requested.milli_cpu = 1500;
    n->requested.memory = 1LL << 30;
    n->requested.pods = 1;
    char r[256];
    assert_int_equal(tu_filter(inst, NULL, pod("{\"cpu\":\"500m\",\"memory\":\"3Gi\"}"), n, r), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, NULL, pod("{\"cpu\":\"501m\"}"), n, r), SKIFF_SCHED_UNSCHEDULABLE);
    assert_string_equal(r, "Insufficient cpu");
    assert_int_equal(tu_filter(inst, NULL, pod("{\"cpu\":\"1\",\"memory\":\"4Gi\",\"ephemeral-storage\":\"11Gi\"}"), n, r), SKIFF_SCHED_UNSCHEDULABLE);
    assert_string_equal(r, "Insufficient cpu\nInsufficient memory\nInsufficient ephemeral-storage");
    assert_int_equal(tu_filter(inst, NULL, pod("{\"example.com/gpu\":\"2\"}"), n, r), SKIFF_SCHED_UNSCHEDULABLE);
    assert_string_equal(r, "Insufficient example.com/gpu");
    assert_int_equal(tu_filter(inst, NULL, pod("{\"example.com/gpu\":\"1\"}"), n, r), SKIFF_SCHED_SUCCESS);
    n->requested.pods = 3;
    assert_int_equal(tu_filter(inst, NULL, pod("{}"), n, r), SKIFF_SCHED_UNSCHEDULABLE);
    assert_string_equal(r, "Too many pods");
    skiff_instance_free(inst);

    inst = tu_instance((const char *[]){ "ignored_resources=example.com/gpu", NULL });
    n->requested.pods = 0;
    assert_int_equal(tu_filter(inst, NULL, pod("{\"example.com/gpu\":\"5\"}"), n, r), SKIFF_SCHED_SUCCESS);
    skiff_instance_free(inst);
    inst = tu_instance((const char *[]){ "ignored_resource_groups=example.com", NULL });
    assert_int_equal(tu_filter(inst, NULL, pod("{\"example.com/gpu\":\"5\"}"), n, r), SKIFF_SCHED_SUCCESS);
    skiff_instance_free(inst);

    skiff_error_t err;
    assert_true(skiff_instance_new(&skiff_plugin, "t", (const char *[]){ "ignored=x", NULL }, NULL, &inst, &err) < 0);
    assert_non_null(strstr(err.msg, "did you mean \"ignored_resources\"?"));
    tu_free_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_fit) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
