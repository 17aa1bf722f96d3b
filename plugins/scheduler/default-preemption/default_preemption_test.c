/* default-preemption alone: victim choice on a node (fewest, most important
 * reprieved), the choice among nodes, preemptionPolicy Never, a nominated
 * pod waiting for its victims, and the "preemption: 0/N nodes" wording.
 * run_filters is a cpu/pods fit (the host's is the profile's filters);
 * preempt records what the plugin asked for. */
#include "../common/sched_test_util.h"
#include "api/client.h"
#include "api/test_server.h"
#include "plugin/host_api.h"
#include "pdb.h"

static skiff_sched_code_t fake_filters(skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                                       const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)st;
    out->code = SKIFF_SCHED_SUCCESS;
    out->reason[0] = '\0';
    if (skiff_sched_label(node->labels, node->n_labels, "broken"))
        skiff_sched_status_set(out, SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE, "node(s) were unschedulable");
    else if (node->requested.pods + 1 > node->allocatable.pods)
        skiff_sched_status_set(out, SKIFF_SCHED_UNSCHEDULABLE, "Too many pods");
    else if (pod->requests.milli_cpu > node->allocatable.milli_cpu - node->requested.milli_cpu)
        skiff_sched_status_set(out, SKIFF_SCHED_UNSCHEDULABLE, "Insufficient cpu");
    return out->code;
}

static char got_node[64], got_victims[512];
static int preempt_calls;

static int fake_preempt(skiff_sched_state_t *st, const skiff_sched_pod_t *pod, const char *node,
                        const skiff_sched_pod_t *const *victims, size_t n, skiff_error_t *err)
{
    (void)st; (void)pod; (void)err;
    preempt_calls++;
    snprintf(got_node, sizeof got_node, "%s", node);
    got_victims[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(got_victims);
        snprintf(got_victims + l, sizeof got_victims - l, "%s%s", i ? "," : "", victims[i]->name);
    }
    return 0;
}

static skiff_sched_pod_t *P(const char *name, const char *cpu, int prio, const char *extra)
{
    char buf[600];
    snprintf(buf, sizeof buf, "{\"metadata\":{\"name\":\"%s\",\"uid\":\"u-%s\"%s},\"spec\":{\"priority\":%d,%s"
             "\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"%s\"}}}]}%s}",
             name, name, extra && strstr(extra, "deleting") ? ",\"deletionTimestamp\":\"2026-01-01T00:00:00Z\"" : "",
             prio, extra && strstr(extra, "never") ? "\"preemptionPolicy\":\"Never\"," : "", cpu,
             extra && strstr(extra, "nominated") ? ",\"status\":{\"nominatedNodeName\":\"n1\"}"
             : extra && strstr(extra, "early") ? ",\"status\":{\"startTime\":\"2026-01-01T00:00:00Z\"}"
             : extra && strstr(extra, "late") ? ",\"status\":{\"startTime\":\"2026-06-01T00:00:00Z\"}" : "");
    return tu_pod(buf);
}

/* A node with pods on it, requested summed as the cache would. */
static skiff_sched_node_t *N(const char *name, const char *cpu, const char *label, const skiff_sched_pod_t **pods, size_t k)
{
    char buf[300];
    snprintf(buf, sizeof buf, "{\"metadata\":{\"name\":\"%s\",\"labels\":{\"%s\":\"x\"}},\"status\":{\"allocatable\":{\"cpu\":\"%s\",\"memory\":\"8Gi\",\"pods\":\"110\"}}}",
             name, label ? label : "kubernetes.io/hostname", cpu);
    skiff_sched_node_t *n = tu_node(buf);
    tu_place(n, pods, k);
    for (size_t i = 0; i < k; i++) {
        n->requested.milli_cpu += pods[i]->requests.milli_cpu;
        n->requested.pods += 1;
    }
    return n;
}

/* A labelled pod (app=LABEL), as P otherwise. */
static skiff_sched_pod_t *PL(const char *name, const char *cpu, int prio, const char *app)
{
    char buf[600];
    snprintf(buf, sizeof buf, "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\",\"uid\":\"u-%s\",\"labels\":{\"app\":\"%s\"}},"
             "\"spec\":{\"priority\":%d,\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"%s\"}}}]}}", name, name, app, prio, cpu);
    return tu_pod(buf);
}

typedef struct run { skiff_sched_code_t code; char reason[256]; } run_t;

static run_t post_filter(skiff_instance_t *inst, const skiff_sched_node_t **nodes, size_t n,
                         const skiff_sched_pod_t *pod)
{
    skiff_sched_state_t *st = skiff_sched_state_new(nodes, n);
    st->run_filters = fake_filters;
    st->preempt = fake_preempt;
    preempt_calls = 0;
    got_node[0] = got_victims[0] = '\0';
    skiff_sched_status_t s = { SKIFF_SCHED_UNSCHEDULABLE, "" };
    tu_ops(inst)->post_filter(skiff_instance_self(inst), st, pod, &s);
    skiff_sched_state_free(st);
    run_t r = { s.code, "" };
    snprintf(r.reason, sizeof r.reason, "%s", s.reason);
    return r;
}

static void test_victims_on_a_node(void **state)
{
    (void)state;
    skiff_instance_t *inst = tu_instance(NULL);
    /* 2 cpu: three pods of 600m (priorities 1, 5, 3) and one of 200m at 50.
     * The 1-cpu preemptor (priority 10) needs 800m freed: putting back the
     * most important first keeps 50 and 5, so 3 and 1 go — and 1 alone
     * would not be enough. */
    const skiff_sched_pod_t *pods[] = { P("p1", "600m", 1, NULL), P("p5", "600m", 5, NULL),
                                        P("p3", "600m", 3, NULL), P("p50", "200m", 50, NULL) };
    const skiff_sched_node_t *nodes[] = { N("n1", "2", NULL, pods, 4) };
    run_t r = post_filter(inst, nodes, 1, P("hi", "1", 10, NULL));
    assert_int_equal(r.code, SKIFF_SCHED_SUCCESS);
    assert_string_equal(r.reason, "");
    assert_int_equal(preempt_calls, 1);
    assert_string_equal(got_node, "n1");
    assert_string_equal(got_victims, "p3,p1");
    /* Equal priorities: the later-started pod is the less important one. */
    const skiff_sched_pod_t *eq[] = { P("old", "1", 1, "early"), P("new", "1", 1, "late") };
    const skiff_sched_node_t *n2[] = { N("n1", "2", NULL, eq, 2) };
    r = post_filter(inst, n2, 1, P("hi2", "1", 10, NULL));
    assert_string_equal(got_victims, "new");
    skiff_instance_free(inst);
    tu_free_all();
}

static void test_choice_among_nodes(void **state)
{
    (void)state;
    skiff_instance_t *inst = tu_instance(NULL);
    /* n1 would lose a priority-7 pod, n2 two priority-2 pods, n3 one
     * priority-2 pod: the lowest top priority first (n2, n3), then the
     * lowest priority sum: n3. */
    const skiff_sched_pod_t *a[] = { P("a7", "1", 7, NULL), P("a-keep", "1", 100, NULL) };
    const skiff_sched_pod_t *b[] = { P("b2", "500m", 2, NULL), P("b2b", "500m", 2, NULL), P("b-keep", "1", 100, NULL) };
    const skiff_sched_pod_t *c[] = { P("c2", "1", 2, NULL), P("c-keep", "1", 100, NULL) };
    const skiff_sched_node_t *nodes[] = { N("n1", "2", NULL, a, 2), N("n2", "2", NULL, b, 3), N("n3", "2", NULL, c, 2) };
    run_t r = post_filter(inst, nodes, 3, P("hi", "1", 10, NULL));
    assert_int_equal(r.code, SKIFF_SCHED_SUCCESS);
    assert_string_equal(got_node, "n3");
    assert_string_equal(got_victims, "c2");
    skiff_instance_free(inst);
    tu_free_all();
}

static void test_not_eligible_and_messages(void **state)
{
    (void)state;
    skiff_instance_t *inst = tu_instance(NULL);
    const skiff_sched_pod_t *a[] = { P("low", "2", 1, NULL) };
    const skiff_sched_pod_t *b[] = { P("peer", "2", 10, NULL) };
    const skiff_sched_pod_t *c[] = { P("low-c", "2", 1, NULL) };
    const skiff_sched_node_t *nodes[] = { N("n1", "2", NULL, a, 1), N("n2", "2", NULL, b, 1), N("n3", "2", "broken", c, 1) };
    /* preemptionPolicy: Never */
    run_t r = post_filter(inst, nodes, 3, P("never", "1", 10, "never"));
    assert_int_equal(r.code, SKIFF_SCHED_UNSCHEDULABLE);
    assert_string_equal(r.reason, "preemption: not eligible due to preemptionPolicy=Never");
    assert_int_equal(preempt_calls, 0);
    /* nothing of lower priority anywhere, or the node is no use at all */
    r = post_filter(inst, nodes, 3, P("equal", "1", 1, NULL));
    assert_int_equal(r.code, SKIFF_SCHED_UNSCHEDULABLE);
    assert_string_equal(r.reason, "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
                                  "2 No preemption victims found for incoming pod");
    assert_int_equal(preempt_calls, 0);
    /* too big even with every lower pod gone: the filter's own reason */
    r = post_filter(inst, nodes, 3, P("huge", "3", 10, NULL));
    assert_string_equal(r.reason, "preemption: 0/3 nodes are available: 1 Insufficient cpu, 1 No preemption victims found for incoming pod, "
                                  "1 Preemption is not helpful for scheduling");
    skiff_instance_free(inst);
    tu_free_all();
}

static void test_nominated_pod_waits_for_victims(void **state)
{
    (void)state;
    skiff_instance_t *inst = tu_instance(NULL);
    /* Nominated to n1 where its victim is still terminating: no new victims. */
    const skiff_sched_pod_t *a[] = { P("leaving", "2", 1, "deleting") };
    const skiff_sched_pod_t *b[] = { P("other", "2", 1, NULL) };
    const skiff_sched_node_t *nodes[] = { N("n1", "2", NULL, a, 1), N("n2", "2", NULL, b, 1) };
    run_t r = post_filter(inst, nodes, 2, P("hi", "1", 10, "nominated"));
    assert_int_equal(r.code, SKIFF_SCHED_UNSCHEDULABLE);
    assert_string_equal(r.reason, "preemption: not eligible due to a terminating pod on the nominated node");
    assert_int_equal(preempt_calls, 0);
    /* Without the nomination it preempts (and the terminating pod counts as a victim too). */
    r = post_filter(inst, nodes, 2, P("hi2", "1", 10, NULL));
    assert_int_equal(r.code, SKIFF_SCHED_SUCCESS);
    assert_int_equal(preempt_calls, 1);
    /* A nominated pod whose node no longer helps clears its nomination. */
    const skiff_sched_pod_t *c[] = { P("peer", "2", 50, NULL) };
    const skiff_sched_node_t *n2[] = { N("n1", "2", NULL, c, 1) };
    r = post_filter(inst, n2, 1, P("hi3", "1", 10, "nominated"));
    assert_int_equal(r.code, SKIFF_SCHED_UNSCHEDULABLE);
    assert_int_equal(preempt_calls, 1);
    assert_string_equal(got_node, "");
    skiff_instance_free(inst);
    tu_free_all();
}

static void test_keys(void **state)
{
    (void)state;
    skiff_instance_t *inst = NULL;
    skiff_error_t err;
    const char *bad[] = { "min_candidate_nodes_percentage=101", NULL };
    assert_int_equal(skiff_instance_new(&skiff_plugin, "t", bad, NULL, &inst, &err), SKIFF_E_INVALID);
    if (!strstr(err.msg, "min_candidate_nodes_percentage 101 is not within 0..100")) fail_msg("%s", err.msg);
    const char *zero[] = { "min_candidate_nodes_percentage=0", "min_candidate_nodes_absolute=0", NULL };
    assert_int_equal(skiff_instance_new(&skiff_plugin, "t", zero, NULL, &inst, &err), SKIFF_E_INVALID);
    /* One candidate wanted: the search stops at the first node that works. */
    const char *one[] = { "min_candidate_nodes_percentage=0", "min_candidate_nodes_absolute=1", NULL };
    inst = tu_instance(one);
    const skiff_sched_pod_t *a[] = { P("a1", "2", 1, NULL) };
    const skiff_sched_pod_t *b[] = { P("b0", "2", 0, NULL) };
    const skiff_sched_node_t *nodes[] = { N("n1", "2", NULL, a, 1), N("n2", "2", NULL, b, 1) };
    run_t r = post_filter(inst, nodes, 2, P("hi", "1", 10, NULL));
    assert_int_equal(r.code, SKIFF_SCHED_SUCCESS);
    assert_string_equal(got_node, "n1"); /* n2's victim is cheaper, but was never looked at */
    skiff_instance_free(inst);
    tu_free_all();
}


/* filterPodsWithPDBViolation alone: budgets are spent in the given order,
 * only in their namespace, not by pods already in disruptedPods, and nil /
 * empty selectors match nothing. */
static void test_pdb_split(void **state)
{
    (void)state;
    preempt_pdbs_t p;
    assert_int_equal(preempt_pdbs_parse("{\"items\":["
        "{\"metadata\":{\"name\":\"one\",\"namespace\":\"default\"},\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"web\"}}},"
        " \"status\":{\"disruptionsAllowed\":1,\"disruptedPods\":{\"w-gone\":\"2026-01-01T00:00:00Z\"}}},"
        "{\"metadata\":{\"name\":\"expr\",\"namespace\":\"default\"},\"spec\":{\"selector\":{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"In\",\"values\":[\"db\"]}]}},"
        " \"status\":{\"disruptionsAllowed\":0}},"
        "{\"metadata\":{\"name\":\"all\",\"namespace\":\"default\"},\"spec\":{\"selector\":{}},\"status\":{\"disruptionsAllowed\":0}},"
        "{\"metadata\":{\"name\":\"nil\",\"namespace\":\"default\"},\"spec\":{},\"status\":{\"disruptionsAllowed\":0}},"
        "{\"metadata\":{\"name\":\"huge\",\"namespace\":\"default\"},\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"huge\"}}},\"status\":{\"disruptionsAllowed\":1e308}},"
        "{\"metadata\":{\"name\":\"elsewhere\",\"namespace\":\"other\"},\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"cache\"}}},\"status\":{\"disruptionsAllowed\":0}}"
        "]}", &p), 0);
    assert_int_equal(p.n, 4); /* {} and nil dropped */
    const skiff_sched_pod_t *pods[] = { PL("w1", "1", 5, "web"), PL("w-gone", "1", 4, "web"), PL("w2", "1", 3, "web"),
                                        PL("d1", "1", 2, "db"), PL("c1", "1", 1, "cache"), P("nolabels", "1", 0, NULL),
                                        PL("h1", "1", 0, "huge") };
    const skiff_sched_pod_t *v[7], *ok[7];
    size_t nv, nok;
    assert_int_equal(preempt_pdbs_split(&p, pods, 7, v, &nv, ok, &nok), 0);
    assert_int_equal(nv, 2);
    assert_string_equal(v[0]->name, "w2"); /* w1 spent the one allowed; w-gone is already counted */
    assert_string_equal(v[1]->name, "d1");
    assert_int_equal(nok, 5);
    assert_string_equal(ok[0]->name, "w1");
    assert_string_equal(ok[1]->name, "w-gone");
    assert_string_equal(ok[2]->name, "c1"); /* its budget is in another namespace */
    assert_string_equal(ok[3]->name, "nolabels");
    assert_string_equal(ok[4]->name, "h1"); /* a hostile 1e308 allowed: clamped, no overflow */
    preempt_pdbs_free(&p);
    tu_free_all();
}

static void put_pdb(test_server_t *f, const char *name, const char *app, int allowed)
{
    skiff_error_t err;
    char body[600], path[300];
    snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"minAvailable\":1,\"selector\":{\"matchLabels\":{\"app\":\"%s\"}}}}", name, app);
    if (skiff_api_client_create(f->cl, "/apis/policy/v1/namespaces/default/poddisruptionbudgets", body, NULL, &err) < 0) fail_msg("%s", err.msg);
    snprintf(path, sizeof path, "/apis/policy/v1/namespaces/default/poddisruptionbudgets/%s/status", name);
    snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"minAvailable\":1,\"selector\":{\"matchLabels\":{\"app\":\"%s\"}}},"
             "\"status\":{\"disruptionsAllowed\":%d,\"currentHealthy\":1,\"desiredHealthy\":1,\"expectedPods\":1,\"observedGeneration\":1}}", name, app, allowed);
    if (skiff_api_client_update(f->cl, path, body, NULL, &err) < 0) fail_msg("%s", err.msg);
}

/* Through the host API (an API server in the process, as under skiff run):
 * the budget-protected pod is reprieved first on a node, and the node whose
 * victims violate fewer budgets wins even over cheaper victims. */
static void test_pdb_victims_and_nodes(void **state)
{
    (void)state;
    skiff_api_config_t cfg = { .service_cidr = "10.0.0.0/29" };
    test_server_t *f = test_server_up(&cfg);
    test_server_namespace(f, "default");
    skiff_host_set_api_client(f->cl);
    skiff_instance_t *inst = tu_instance(NULL);
    /* Without budgets: db (priority 1) is less important than web (2), so
     * web is put back first and db is the victim. */
    const skiff_sched_pod_t *a[] = { PL("db", "1", 1, "db"), PL("web", "1", 2, "web") };
    const skiff_sched_node_t *n1[] = { N("n1", "2", NULL, a, 2) };
    run_t r = post_filter(inst, n1, 1, P("hi", "1", 10, NULL));
    assert_int_equal(r.code, SKIFF_SCHED_SUCCESS);
    assert_string_equal(got_victims, "db");
    /* db protected (no disruption allowed): it is reprieved first, web goes. */
    put_pdb(f, "db", "db", 0);
    r = post_filter(inst, n1, 1, P("hi2", "1", 10, NULL));
    assert_int_equal(r.code, SKIFF_SCHED_SUCCESS);
    assert_string_equal(got_victims, "web");
    /* Node choice: n2's only victim is a protected priority-1 pod, n3's an
     * unprotected priority-5 one. Fewer violations first: n3. */
    const skiff_sched_pod_t *b[] = { PL("db2", "2", 1, "db") };
    const skiff_sched_pod_t *c[] = { PL("web5", "2", 5, "web") };
    const skiff_sched_node_t *two[] = { N("n2", "2", NULL, b, 1), N("n3", "2", NULL, c, 1) };
    r = post_filter(inst, two, 2, P("hi3", "1", 10, NULL));
    assert_int_equal(r.code, SKIFF_SCHED_SUCCESS);
    assert_string_equal(got_node, "n3");
    assert_string_equal(got_victims, "web5");
    /* One candidate wanted: the search goes past n2 (it violates a budget)
     * until it has one that violates none. */
    const char *one[] = { "min_candidate_nodes_percentage=0", "min_candidate_nodes_absolute=1", NULL };
    skiff_instance_t *inst1 = tu_instance(one);
    r = post_filter(inst1, two, 2, P("hi-one", "1", 10, NULL));
    assert_int_equal(r.code, SKIFF_SCHED_SUCCESS);
    assert_string_equal(got_node, "n3");
    skiff_instance_free(inst1);
    /* Only violating candidates: it still preempts (a budget is a preference). */
    put_pdb(f, "web", "web", 0);
    r = post_filter(inst, two, 2, P("hi4", "1", 10, NULL));
    assert_int_equal(r.code, SKIFF_SCHED_SUCCESS);
    assert_string_equal(got_node, "n2"); /* both violate one: the lower priority victim */
    skiff_instance_free(inst);
    skiff_host_set_api_client(NULL);
    test_server_down(f);
    tu_free_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_victims_on_a_node),
        cmocka_unit_test(test_choice_among_nodes),
        cmocka_unit_test(test_not_eligible_and_messages),
        cmocka_unit_test(test_nominated_pod_waits_for_victims),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_pdb_split),
        cmocka_unit_test(test_pdb_victims_and_nodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
