/* scheduler/least-allocated through the real host. */
#include "../common/resource_score.h"
#include "../common/sched_test_util.h"

#define NODE(n) "{\"metadata\":{\"name\":\"" n "\"},\"status\":{\"allocatable\":{\"cpu\":\"4\",\"memory\":\"8Gi\",\"pods\":\"10\"}}}"
#define POD "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"1\",\"memory\":\"2Gi\"}}}]}}"

static void test_score(void **state)
{
    (void)state;
    skiff_instance_t *inst = tu_instance(NULL);
    skiff_sched_node_t *nodes[2] = { tu_node(NODE("busy")), tu_node(NODE("idle")) };
    nodes[0]->non_zero_milli_cpu = 1000;
    nodes[0]->non_zero_memory = 2LL << 30;
    skiff_sched_pod_t *p = tu_pod(POD);
    int64_t sc[2];
    assert_int_equal(tu_scores(inst, NULL, p, nodes, 2, sc), SKIFF_SCHED_SUCCESS);
    assert_int_equal(sc[0], 50);
    assert_int_equal(sc[1], 75);
    /* a pod asking nothing is counted at 100m / 200Mi, as Kubernetes does */
    skiff_sched_pod_t *zero = tu_pod("{\"metadata\":{\"name\":\"z\"},\"spec\":{\"containers\":[{\"name\":\"c\"}]}}");
    assert_int_equal(tu_scores(inst, NULL, zero, nodes, 2, sc), SKIFF_SCHED_SUCCESS);
    assert_int_equal(sc[1], (3900 * 100 / 4000 + (8192 - 200) * 100 / 8192) / 2);
    skiff_instance_free(inst);

    inst = tu_instance((const char *[]){ "resources=cpu:3,memory:1", NULL });
    nodes[0]->non_zero_memory = 6LL << 30; /* memory full after the pod: 0 */
    assert_int_equal(tu_scores(inst, NULL, p, nodes, 2, sc), SKIFF_SCHED_SUCCESS);
    assert_int_equal(sc[0], (50 * 3 + 0) / 4);
    skiff_instance_free(inst);

    skiff_error_t err;
    assert_true(skiff_instance_new(&skiff_plugin, "t", (const char *[]){ "resources=cpu:0", NULL }, NULL, &inst, &err) < 0);
    assert_non_null(strstr(err.msg, "resources: weight in \"cpu:0\" must be an integer 1..100"));
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
    skiff_sched_pod_t *p = tu_pod(POD);
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

/* rs_div is C's division for every sign and size (its shortcuts: a
 * power-of-two divisor, 32-bit operands). */
static void test_div_exact(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        int64_t n = (int64_t)(x >> (x % 64)), d = (int64_t)((x * 0x9e3779b97f4a7c15ull) >> ((x >> 6) % 64));
        if (i % 3 == 0) d = INT64_C(1) << (x % 62);
        if (i % 5 == 0) n = -n;
        if (i % 7 == 0) d = -d;
        if (d == 0 || (n == INT64_MIN && d == -1)) continue;
        if (rs_div(n, d) != n / d)
            fail_msg("%lld / %lld: %lld, want %lld", (long long)n, (long long)d, (long long)rs_div(n, d),
                     (long long)(n / d));
    }
    assert_int_equal(rs_div(7, 2), 3);
    assert_int_equal(rs_div(-7, 2), -3);
    assert_int_equal(rs_div(INT64_MAX, 1), INT64_MAX);
    assert_int_equal(rs_div(3200000, 32000), 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_score), cmocka_unit_test(test_fast_path_matches_general),
                                        cmocka_unit_test(test_div_exact) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
