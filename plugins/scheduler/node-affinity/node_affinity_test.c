/* scheduler/node-affinity through the real host: nodeSelector, required
 * terms with every operator, matchFields, preferred scoring, skip. */
#include "../common/sched_test_util.h"

static skiff_sched_pod_t *req_pod(const char *exprs)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":{\"nodeSelectorTerms\":%s}}}}}", exprs);
    return tu_pod(buf);
}

static void test_filter(void **state)
{
    (void)state;
    skiff_instance_t *inst = tu_instance(NULL);
    skiff_sched_node_t *n = tu_node("{\"metadata\":{\"name\":\"n1\",\"labels\":{\"zone\":\"a\",\"cores\":\"8\",\"ssd\":\"true\"}}}");
    char r[256];
    skiff_sched_pod_t *none = tu_pod("{\"metadata\":{\"name\":\"p\"}}");
    assert_int_equal(tu_pre_filter(inst, NULL, none), SKIFF_SCHED_SKIP);
    skiff_sched_pod_t *sel = tu_pod("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"nodeSelector\":{\"zone\":\"b\"}}}");
    assert_int_equal(tu_pre_filter(inst, NULL, sel), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, NULL, sel, n, r), SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE);
    assert_string_equal(r, "node(s) didn't match Pod's node affinity/selector");
    static const struct { const char *terms; int ok; } cases[] = {
        { "[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"a\",\"b\"]}]}]", 1 },
        { "[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"NotIn\",\"values\":[\"a\"]}]}]", 0 },
        { "[{\"matchExpressions\":[{\"key\":\"gpu\",\"operator\":\"NotIn\",\"values\":[\"x\"]}]}]", 1 },
        { "[{\"matchExpressions\":[{\"key\":\"ssd\",\"operator\":\"Exists\"}]}]", 1 },
        { "[{\"matchExpressions\":[{\"key\":\"ssd\",\"operator\":\"DoesNotExist\"}]}]", 0 },
        { "[{\"matchExpressions\":[{\"key\":\"cores\",\"operator\":\"Gt\",\"values\":[\"4\"]}]}]", 1 },
        { "[{\"matchExpressions\":[{\"key\":\"cores\",\"operator\":\"Lt\",\"values\":[\"4\"]}]}]", 0 },
        { "[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"Gt\",\"values\":[\"4\"]}]}]", 0 },
        /* terms are ORed, expressions ANDed */
        { "[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"b\"]}]},{\"matchExpressions\":[{\"key\":\"ssd\",\"operator\":\"Exists\"}]}]", 1 },
        { "[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"a\"]},{\"key\":\"ssd\",\"operator\":\"DoesNotExist\"}]}]", 0 },
        { "[{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"In\",\"values\":[\"n1\"]}]}]", 1 },
        { "[{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"In\",\"values\":[\"n2\"]}]}]", 0 },
        { "[{}]", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        skiff_sched_pod_t *p = req_pod(cases[i].terms);
        assert_int_equal(tu_filter(inst, NULL, p, n, r),
                         cases[i].ok ? SKIFF_SCHED_SUCCESS : SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE);
    }
    skiff_instance_free(inst);
    tu_free_all();
}

static void test_score(void **state)
{
    (void)state;
    skiff_instance_t *inst = tu_instance(NULL);
    skiff_sched_node_t *nodes[3] = {
        tu_node("{\"metadata\":{\"name\":\"a\",\"labels\":{\"zone\":\"a\",\"ssd\":\"1\"}}}"),
        tu_node("{\"metadata\":{\"name\":\"b\",\"labels\":{\"zone\":\"a\"}}}"),
        tu_node("{\"metadata\":{\"name\":\"c\"}}"),
    };
    skiff_sched_pod_t *p = tu_pod("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"affinity\":{\"nodeAffinity\":{\"preferredDuringSchedulingIgnoredDuringExecution\":["
        "{\"weight\":30,\"preference\":{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"a\"]}]}},"
        "{\"weight\":10,\"preference\":{\"matchExpressions\":[{\"key\":\"ssd\",\"operator\":\"Exists\"}]}}]}}}}");
    int64_t sc[3];
    assert_int_equal(tu_scores(inst, NULL, p, nodes, 3, sc), SKIFF_SCHED_SUCCESS);
    assert_int_equal(sc[0], 100);
    assert_int_equal(sc[1], 75);
    assert_int_equal(sc[2], 0);
    skiff_sched_pod_t *none = tu_pod("{\"metadata\":{\"name\":\"q\"}}");
    assert_int_equal(tu_scores(inst, NULL, none, nodes, 3, sc), SKIFF_SCHED_SKIP);
    skiff_instance_free(inst);
    tu_free_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_filter), cmocka_unit_test(test_score) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
