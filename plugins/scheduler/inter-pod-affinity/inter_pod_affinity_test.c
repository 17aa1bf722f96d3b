/* scheduler/inter-pod-affinity through the real host: required affinity
 * (and the first-pod exception), anti-affinity both ways, namespaces,
 * preferred scoring. */
#include "../common/sched_test_util.h"

#define NODE(n, z) "{\"metadata\":{\"name\":\"" n "\",\"labels\":{\"kubernetes.io/hostname\":\"" n "\",\"zone\":\"" z "\"}}}"

static skiff_sched_pod_t *pod_with(const char *name, const char *labels, const char *affinity)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "{\"metadata\":{\"name\":\"%s\",\"labels\":%s},\"spec\":{\"affinity\":%s}}", name, labels, affinity);
    return tu_pod(buf);
}

#define TERM(sel, key) "{\"labelSelector\":{\"matchLabels\":" sel "},\"topologyKey\":\"" key "\"}"

static void test_required(void **state)
{
    (void)state;
    skiff_instance_t *inst = tu_instance(NULL);
    skiff_sched_node_t *a = tu_node(NODE("a", "z1")), *b = tu_node(NODE("b", "z1")), *c = tu_node(NODE("c", "z2"));
    skiff_sched_node_t *bare = tu_node("{\"metadata\":{\"name\":\"d\"}}");
    const skiff_sched_pod_t *on_a[] = { tu_pod("{\"metadata\":{\"name\":\"db\",\"labels\":{\"app\":\"db\"}}}") };
    tu_place(a, on_a, 1);
    const skiff_sched_node_t *nodes[] = { a, b, c, bare };
    char r[256];

    /* affinity to app=db in the same zone */
    skiff_sched_pod_t *p = pod_with("web", "{\"app\":\"web\"}", "{\"podAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":[" TERM("{\"app\":\"db\"}", "zone") "]}}");
    skiff_sched_state_t *st = skiff_sched_state_new(nodes, 4);
    assert_int_equal(tu_pre_filter(inst, st, p), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, st, p, a, r), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, st, p, b, r), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, st, p, c, r), SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE);
    assert_string_equal(r, "node(s) didn't match pod affinity rules");
    assert_int_equal(tu_filter(inst, st, p, bare, r), SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE);
    skiff_sched_state_free(st);

    /* the first pod of a self-affine group may go anywhere with the key */
    p = pod_with("c1", "{\"app\":\"cache\"}", "{\"podAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":[" TERM("{\"app\":\"cache\"}", "zone") "]}}");
    st = skiff_sched_state_new(nodes, 4);
    assert_int_equal(tu_pre_filter(inst, st, p), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, st, p, c, r), SKIFF_SCHED_SUCCESS);
    skiff_sched_state_free(st);

    /* anti-affinity to app=db per host */
    p = pod_with("web2", "{\"app\":\"web\"}", "{\"podAntiAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":[" TERM("{\"app\":\"db\"}", "kubernetes.io/hostname") "]}}");
    st = skiff_sched_state_new(nodes, 4);
    assert_int_equal(tu_pre_filter(inst, st, p), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, st, p, a, r), SKIFF_SCHED_UNSCHEDULABLE);
    assert_string_equal(r, "node(s) didn't match pod anti-affinity rules");
    assert_int_equal(tu_filter(inst, st, p, b, r), SKIFF_SCHED_SUCCESS);
    skiff_sched_state_free(st);

    /* terms look in the pod's own namespace unless told otherwise */
    p = tu_pod("{\"metadata\":{\"name\":\"x\",\"namespace\":\"other\"},\"spec\":{\"affinity\":{\"podAntiAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":[" TERM("{\"app\":\"db\"}", "kubernetes.io/hostname") "]}}}}");
    st = skiff_sched_state_new(nodes, 4);
    assert_int_equal(tu_pre_filter(inst, st, p), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, st, p, a, r), SKIFF_SCHED_SUCCESS);
    skiff_sched_state_free(st);

    /* an existing pod's anti-affinity keeps matching pods out of its zone */
    const skiff_sched_pod_t *on_c[] = { pod_with("loner", "{\"app\":\"loner\"}", "{\"podAntiAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":[" TERM("{\"app\":\"web\"}", "zone") "]}}") };
    tu_place(c, on_c, 1);
    p = tu_pod("{\"metadata\":{\"name\":\"w\",\"labels\":{\"app\":\"web\"}}}");
    st = skiff_sched_state_new(nodes, 4);
    assert_int_equal(tu_pre_filter(inst, st, p), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, st, p, c, r), SKIFF_SCHED_UNSCHEDULABLE);
    assert_string_equal(r, "node(s) didn't satisfy existing pods anti-affinity rules");
    assert_int_equal(tu_filter(inst, st, p, a, r), SKIFF_SCHED_SUCCESS);
    /* a pod without terms that no existing anti-affinity selects: the
     * filter would pass everywhere, so PreFilter skips it */
    skiff_sched_pod_t *other = tu_pod("{\"metadata\":{\"name\":\"o\",\"labels\":{\"app\":\"other\"}}}");
    assert_int_equal(tu_pre_filter(inst, st, other), SKIFF_SCHED_SKIP);
    skiff_sched_state_free(st);
    skiff_instance_free(inst);
    tu_free_all();
}

static void test_preferred(void **state)
{
    (void)state;
    skiff_instance_t *inst = tu_instance(NULL);
    skiff_sched_node_t *nodes[3] = { tu_node(NODE("a", "z1")), tu_node(NODE("b", "z2")), tu_node(NODE("c", "z3")) };
    const skiff_sched_pod_t *on_a[] = { tu_pod("{\"metadata\":{\"name\":\"db\",\"labels\":{\"app\":\"db\"}}}") };
    const skiff_sched_pod_t *on_b[] = { tu_pod("{\"metadata\":{\"name\":\"noisy\",\"labels\":{\"app\":\"noisy\"}}}") };
    tu_place(nodes[0], on_a, 1);
    tu_place(nodes[1], on_b, 1);
    skiff_sched_pod_t *p = pod_with("web", "{\"app\":\"web\"}",
        "{\"podAffinity\":{\"preferredDuringSchedulingIgnoredDuringExecution\":[{\"weight\":50,\"podAffinityTerm\":" TERM("{\"app\":\"db\"}", "zone") "}]},"
        "\"podAntiAffinity\":{\"preferredDuringSchedulingIgnoredDuringExecution\":[{\"weight\":50,\"podAffinityTerm\":" TERM("{\"app\":\"noisy\"}", "zone") "}]}}");
    skiff_sched_state_t *st = skiff_sched_state_new((const skiff_sched_node_t *const *)nodes, 3);
    int64_t sc[3];
    assert_int_equal(tu_scores(inst, st, p, nodes, 3, sc), SKIFF_SCHED_SUCCESS);
    assert_int_equal(sc[0], 100);
    assert_int_equal(sc[1], 0);
    assert_int_equal(sc[2], 50);
    skiff_sched_state_free(st);
    skiff_sched_pod_t *plain = tu_pod("{\"metadata\":{\"name\":\"q\"}}");
    st = skiff_sched_state_new((const skiff_sched_node_t *const *)nodes, 3);
    assert_int_equal(tu_scores(inst, st, plain, nodes, 3, sc), SKIFF_SCHED_SKIP);
    assert_int_equal(tu_pre_filter(inst, st, plain), SKIFF_SCHED_SKIP);
    skiff_sched_state_free(st);
    skiff_instance_free(inst);
    tu_free_all();
}

/* PreFilter extensions (preemption's what-if): a pod taken out of a node
 * stops counting for each of the three checks, and putting it back
 * restores them; with no matching pod left the self-affine first-pod rule
 * applies again. */
static void test_extensions(void **state)
{
    (void)state;
    skiff_instance_t *inst = tu_instance(NULL);
    skiff_sched_node_t *a = tu_node(NODE("a", "z1")), *c = tu_node(NODE("c", "z2"));
    skiff_sched_node_t *a_empty = tu_node(NODE("a", "z1")); /* a without its pods, as preemption's view */
    const skiff_sched_pod_t *db = tu_pod("{\"metadata\":{\"name\":\"db\",\"labels\":{\"app\":\"db\"}}}");
    const skiff_sched_pod_t *loner = pod_with("loner", "{\"app\":\"loner\"}", "{\"podAntiAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":[" TERM("{\"app\":\"web\"}", "zone") "]}}");
    const skiff_sched_pod_t *on_a[] = { db, loner };
    tu_place(a, on_a, 2);
    const skiff_sched_node_t *nodes[] = { a, c };
    char r[256];

    /* the pod's own anti-affinity against db on host a */
    skiff_sched_pod_t *p = pod_with("web", "{\"app\":\"web\"}", "{\"podAntiAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":[" TERM("{\"app\":\"db\"}", "kubernetes.io/hostname") "]}}");
    skiff_sched_state_t *st = skiff_sched_state_new(nodes, 2);
    assert_int_equal(tu_pre_filter(inst, st, p), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, st, p, a_empty, r), SKIFF_SCHED_UNSCHEDULABLE);
    assert_string_equal(r, "node(s) didn't satisfy existing pods anti-affinity rules"); /* loner's, zone z1 */
    assert_int_equal(tu_pod_ext(inst, st, p, loner, a, 0), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, st, p, a_empty, r), SKIFF_SCHED_UNSCHEDULABLE);
    assert_string_equal(r, "node(s) didn't match pod anti-affinity rules"); /* still db */
    assert_int_equal(tu_pod_ext(inst, st, p, db, a, 0), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, st, p, a_empty, r), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_pod_ext(inst, st, p, db, a, 1), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, st, p, a_empty, r), SKIFF_SCHED_UNSCHEDULABLE);
    assert_string_equal(r, "node(s) didn't match pod anti-affinity rules");
    skiff_sched_state_free(st);

    /* required affinity to db in its zone: with db taken out no pod matches,
     * and a pod that does not select itself cannot go first */
    p = pod_with("near", "{\"app\":\"near\"}", "{\"podAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":[" TERM("{\"app\":\"db\"}", "zone") "]}}");
    st = skiff_sched_state_new(nodes, 2);
    assert_int_equal(tu_pre_filter(inst, st, p), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, st, p, a_empty, r), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_pod_ext(inst, st, p, db, a, 0), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, st, p, a_empty, r), SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE);
    assert_int_equal(tu_pod_ext(inst, st, p, db, a, 1), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, st, p, a_empty, r), SKIFF_SCHED_SUCCESS);
    skiff_sched_state_free(st);

    /* self-affine (app=db, affinity to app=db): db gone, it may go first anywhere */
    p = pod_with("db2", "{\"app\":\"db\"}", "{\"podAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":[" TERM("{\"app\":\"db\"}", "zone") "]}}");
    st = skiff_sched_state_new(nodes, 2);
    assert_int_equal(tu_pre_filter(inst, st, p), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, st, p, c, r), SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE); /* db is in z1 */
    assert_int_equal(tu_pod_ext(inst, st, p, db, a, 0), SKIFF_SCHED_SUCCESS);
    assert_int_equal(tu_filter(inst, st, p, c, r), SKIFF_SCHED_SUCCESS);
    skiff_sched_state_free(st);
    skiff_instance_free(inst);
    tu_free_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_required), cmocka_unit_test(test_preferred),
                                        cmocka_unit_test(test_extensions) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
