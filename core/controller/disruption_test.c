/* PodDisruptionBudgets end to end in-process: the API kind's validation,
 * the disruption controller's status (integer and percentage minAvailable,
 * maxUnavailable through a ReplicaSet's scale, an unmanaged pod, a DaemonSet
 * pod as a sync failure) and the eviction subresource spending the budget
 * (201 then 429 with kube's message, disruptedPods, DisruptionTarget). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "api/api.h"
#include "api/client.h"
#include "controller/controller.h"
#include "plugin/plugin.h"
#include "api/test_server.h"

typedef struct fx { test_server_t *t; skiff_ctrl_mgr_t *m; int64_t stale_ms; } fx_t;

static int setup(void **state)
{
    skiff_api_config_t cfg = { .service_cidr = "10.0.0.0/29", .watch_bookmark_ms = 200 };
    fx_t *f = calloc(1, sizeof *f);
    f->t = test_server_up(&cfg);
    test_server_namespace(f->t, "default");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    if (f->m) skiff_ctrl_mgr_free(f->m);
    test_server_down(f->t);
    free(f);
    return 0;
}

static void start(fx_t *f)
{
    static const char *only[] = { "disruption", NULL };
    skiff_ctrl_mgr_config_t mc = { .client = f->t->cl, .enable = only, .workers = 2, .stale_pod_disruption_ms = f->stale_ms };
    skiff_error_t err;
    if (skiff_ctrl_mgr_new(&mc, &f->m, &err) < 0) fail_msg("%s", err.msg);
}

/* One request as the component user: the code, the body in *out. */
static int call(fx_t *f, const char *method, const char *path, const char *body, cJSON **out)
{
    skiff_api_request_t rq = { .method = method, .path = path, .content_type = "application/json",
                               .accept = "application/json", .body = body, .body_len = body ? strlen(body) : 0 };
    skiff_api_response_t rs;
    memset(&rs, 0, sizeof rs);
    skiff_api_server_handle(f->t->srv, &rq, &rs);
    if (out) *out = rs.body ? cJSON_ParseWithLength(rs.body, rs.body_len) : NULL;
    int code = rs.code;
    skiff_api_response_free(&rs);
    return code;
}

/* Pod name's status.phase and status.conditions (a JSON array) replaced through pods/status. */
static void pod_status(fx_t *f, const char *name, const char *phase, const char *conditions)
{
    char path[200];
    cJSON *p = NULL;
    snprintf(path, sizeof path, "/api/v1/namespaces/default/pods/%s/status", name);
    assert_int_equal(call(f, "GET", path, NULL, &p), 200);
    cJSON *st = cJSON_GetObjectItem(p, "status"), *conds = cJSON_Parse(conditions);
    assert_non_null(conds);
    cJSON_DeleteItemFromObject(st, "phase");
    cJSON_AddStringToObject(st, "phase", phase);
    cJSON_DeleteItemFromObject(st, "conditions");
    cJSON_AddItemToObject(st, "conditions", conds);
    char *txt = cJSON_PrintUnformatted(p);
    assert_int_equal(call(f, "PUT", path, txt, NULL), 200);
    free(txt);
    cJSON_Delete(p);
}

/* A pod with labels, Running and Ready (or not), owned by `owner` (JSON ownerReferences or ""). */
static void pod(fx_t *f, const char *name, const char *labels, int ready, const char *owner)
{
    char body[1200];
    snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"%s\",\"labels\":%s%s%s},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}",
             name, labels, *owner ? ",\"ownerReferences\":" : "", owner);
    assert_int_equal(call(f, "POST", "/api/v1/namespaces/default/pods", body, NULL), 201);
    pod_status(f, name, "Running", ready ? "[{\"type\":\"Ready\",\"status\":\"True\"}]" : "[{\"type\":\"Ready\",\"status\":\"False\"}]");
}

/* "current/desired/expected/allowed/condition-status/reason/observedGeneration" of a PDB. */
static void status_of(fx_t *f, const char *name, char *out, size_t n)
{
    char path[200];
    snprintf(path, sizeof path, "/apis/policy/v1/namespaces/default/poddisruptionbudgets/%s", name);
    cJSON *p = NULL;
    out[0] = '\0';
    if (call(f, "GET", path, NULL, &p) != 200) { cJSON_Delete(p); return; }
    const cJSON *st = cJSON_GetObjectItem(p, "status"), *c, *cond = NULL;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(st, "conditions"))
        if (!strcmp(skiff_obj_str(c, "type"), "DisruptionAllowed")) cond = c;
    snprintf(out, n, "%lld/%lld/%lld/%lld/%s/%s/%lld", (long long)skiff_obj_int(st, "currentHealthy", -1),
             (long long)skiff_obj_int(st, "desiredHealthy", -1), (long long)skiff_obj_int(st, "expectedPods", -1),
             (long long)skiff_obj_int(st, "disruptionsAllowed", -1), cond ? skiff_obj_str(cond, "status") : "-",
             cond ? skiff_obj_str(cond, "reason") : "-", (long long)skiff_obj_int(st, "observedGeneration", -1));
    cJSON_Delete(p);
}

static void wait_status(fx_t *f, const char *name, const char *want)
{
    char got[200];
    for (int i = 0; i < 500; i++) {
        status_of(f, name, got, sizeof got);
        if (!strcmp(got, want)) return;
        usleep(10000);
    }
    fail_msg("pdb %s: status %s, want %s", name, got, want);
}

static void pdb(fx_t *f, const char *name, const char *spec)
{
    char body[600];
    snprintf(body, sizeof body, "{\"apiVersion\":\"policy/v1\",\"kind\":\"PodDisruptionBudget\",\"metadata\":{\"name\":\"%s\"},\"spec\":%s}", name, spec);
    cJSON *o = NULL;
    int code = call(f, "POST", "/apis/policy/v1/namespaces/default/poddisruptionbudgets", body, &o);
    if (code != 201) fail_msg("create pdb %s: %d %s", name, code, skiff_obj_str(o, "message"));
    cJSON_Delete(o);
}

/* How many Events with this reason the object has. */
static int events_of(fx_t *f, const char *name, const char *reason)
{
    char fs[300];
    snprintf(fs, sizeof fs, "involvedObject.name=%s,reason=%s", name, reason);
    skiff_api_result_t r = { 0 };
    skiff_error_t err;
    int n = -1;
    if (skiff_api_client_list(f->t->cl, "/api/v1/namespaces/default/events", NULL, fs, &r, &err) == 0) {
        cJSON *l = cJSON_ParseWithLength(r.body, r.len);
        n = cJSON_GetArraySize(cJSON_GetObjectItem(l, "items"));
        cJSON_Delete(l);
    }
    skiff_api_result_free(&r);
    return n;
}

/* A budget the API refuses: 422 with msg in the message. */
static void expect_invalid(fx_t *f, const char *body, const char *msg)
{
    cJSON *o = NULL;
    int code = call(f, "POST", "/apis/policy/v1/namespaces/default/poddisruptionbudgets", body, &o);
    const char *got = skiff_obj_str(o, "message");
    if (code != 422 || !got || !strstr(got, msg)) fail_msg("%s: %d %s, want 422 with %s", body, code, got ? got : "", msg);
    cJSON_Delete(o);
}

static void test_validation(void **state)
{
    fx_t *f = *state;
    cJSON *o = NULL;
    expect_invalid(f, "{\"metadata\":{\"name\":\"b\"},\"spec\":{\"minAvailable\":1,\"maxUnavailable\":1}}",
                   "minAvailable and maxUnavailable cannot be both set");
    expect_invalid(f, "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"minAvailable\":\"150%\"}}",
                   "spec.minAvailable: Invalid value: \"150%\": must not be greater than 100%");
    expect_invalid(f, "{\"metadata\":{\"name\":\"n\"},\"spec\":{\"maxUnavailable\":-1}}",
                   "spec.maxUnavailable: Invalid value: -1: must be greater than or equal to 0");
    expect_invalid(f, "{\"metadata\":{\"name\":\"h\"},\"spec\":{\"minAvailable\":1e308}}",
                   "spec.minAvailable: Invalid value: 1e+308: must be an integer or percentage");
    expect_invalid(f, "{\"metadata\":{\"name\":\"u\"},\"spec\":{\"unhealthyPodEvictionPolicy\":\"Never\"}}",
                   "Unsupported value: \"Never\": supported values: \"AlwaysAllow\", \"IfHealthyBudget\"");
    /* a client-sent status is dropped at create; generation starts at 1 */
    const char *ok = "{\"metadata\":{\"name\":\"ok\"},\"spec\":{\"minAvailable\":\"50%\",\"selector\":{\"matchLabels\":{\"a\":\"b\"}}},\"status\":{\"disruptionsAllowed\":9}}";
    assert_int_equal(call(f, "POST", "/apis/policy/v1/namespaces/default/poddisruptionbudgets", ok, &o), 201);
    assert_int_equal(skiff_obj_int(o, "status.disruptionsAllowed", -1), -1);
    assert_int_equal(skiff_obj_int(o, "metadata.generation", -1), 1);
    cJSON_Delete(o);
}

static void test_status(void **state)
{
    fx_t *f = *state;
    start(f);
    pod(f, "w1", "{\"app\":\"web\"}", 1, "");
    pod(f, "w2", "{\"app\":\"web\"}", 1, "");
    pod(f, "w3", "{\"app\":\"web\"}", 0, "");
    pod(f, "other", "{\"app\":\"db\"}", 1, "");
    /* integer minAvailable: expected = the matching pods, 2 Ready of 3 */
    pdb(f, "min1", "{\"minAvailable\":1,\"selector\":{\"matchLabels\":{\"app\":\"web\"}}}");
    wait_status(f, "min1", "2/1/3/1/True/SufficientPods/1");
    /* settled: the status is written only when it changes (no write loop) */
    cJSON *a = NULL, *b = NULL;
    assert_int_equal(call(f, "GET", "/apis/policy/v1/namespaces/default/poddisruptionbudgets/min1", NULL, &a), 200);
    usleep(300000);
    assert_int_equal(call(f, "GET", "/apis/policy/v1/namespaces/default/poddisruptionbudgets/min1", NULL, &b), 200);
    assert_string_equal(skiff_obj_str(a, "metadata.resourceVersion"), skiff_obj_str(b, "metadata.resourceVersion"));
    cJSON_Delete(a);
    cJSON_Delete(b);
    pdb(f, "min2", "{\"minAvailable\":2,\"selector\":{\"matchLabels\":{\"app\":\"web\"}}}");
    wait_status(f, "min2", "2/2/3/0/False/InsufficientPods/1");
    /* null selector: no pods, nothing allowed */
    pdb(f, "none", "{\"minAvailable\":0}");
    wait_status(f, "none", "0/0/0/0/False/InsufficientPods/1");
    /* with the status write only (a lost write race may make a second one) */
    int nopods = events_of(f, "none", "NoPods");
    assert_true(nopods >= 1 && nopods <= 2);
    usleep(200000);
    assert_int_equal(events_of(f, "none", "NoPods"), nopods); /* settled: no more */
    /* a pod turning Ready frees a disruption */
    pod_status(f, "w3", "Running", "[{\"type\":\"Ready\",\"status\":\"True\"}]");
    wait_status(f, "min2", "3/2/3/1/True/SufficientPods/1");
    /* a spec change: observedGeneration follows */
    assert_int_equal(call(f, "PUT", "/apis/policy/v1/namespaces/default/poddisruptionbudgets/min2",
                          "{\"metadata\":{\"name\":\"min2\"},\"spec\":{\"minAvailable\":3,\"selector\":{\"matchLabels\":{\"app\":\"web\"}}}}", NULL), 200);
    wait_status(f, "min2", "3/3/3/0/False/InsufficientPods/2");
}

static void test_scale(void **state)
{
    fx_t *f = *state;
    cJSON *rs = NULL;
    assert_int_equal(call(f, "POST", "/apis/apps/v1/namespaces/default/replicasets",
                          "{\"metadata\":{\"name\":\"rs\"},\"spec\":{\"replicas\":4,\"selector\":{\"matchLabels\":{\"app\":\"r\"}},"
                          "\"template\":{\"metadata\":{\"labels\":{\"app\":\"r\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}}}", &rs), 201);
    char owner[300];
    snprintf(owner, sizeof owner, "[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"rs\",\"uid\":\"%s\",\"controller\":true}]",
             skiff_obj_str(rs, "metadata.uid"));
    cJSON_Delete(rs);
    start(f);
    pod(f, "r1", "{\"app\":\"r\"}", 1, owner);
    pod(f, "r2", "{\"app\":\"r\"}", 1, owner);
    pod(f, "r3", "{\"app\":\"r\"}", 1, owner);
    /* maxUnavailable 25% of the ReplicaSet's 4 (rounded up: 1): 3 desired */
    pdb(f, "max", "{\"maxUnavailable\":\"25%\",\"selector\":{\"matchLabels\":{\"app\":\"r\"}}}");
    wait_status(f, "max", "3/3/4/0/False/InsufficientPods/1");
    /* minAvailable 50% of 4: 2 */
    pdb(f, "pct", "{\"minAvailable\":\"50%\",\"selector\":{\"matchLabels\":{\"app\":\"r\"}}}");
    wait_status(f, "pct", "3/2/4/1/True/SufficientPods/1");
    /* the ReplicaSet scaled to 3: expected follows */
    skiff_error_t err;
    assert_int_equal(skiff_api_client_patch(f->t->cl, "/apis/apps/v1/namespaces/default/replicasets/rs", "application/merge-patch+json",
                                            "{\"spec\":{\"replicas\":3}}", NULL, &err), 0);
    wait_status(f, "max", "3/2/3/1/True/SufficientPods/1");
    /* a bare pod under a percentage budget: not counted, an UnmanagedPods warning */
    pod(f, "bare", "{\"app\":\"r\"}", 1, "");
    wait_status(f, "max", "4/2/3/2/True/SufficientPods/1");
    assert_true(events_of(f, "max", "UnmanagedPods") >= 1);
    /* a DaemonSet pod under a percentage: no controller skiff can scale */
    pod(f, "d1", "{\"app\":\"d\"}", 1, "[{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"name\":\"ds\",\"uid\":\"u-ds\",\"controller\":true}]");
    pdb(f, "ds", "{\"maxUnavailable\":1,\"selector\":{\"matchLabels\":{\"app\":\"d\"}}}");
    char got[300];
    int i;
    for (i = 0; i < 500; i++) {
        cJSON *p = NULL;
        call(f, "GET", "/apis/policy/v1/namespaces/default/poddisruptionbudgets/ds", NULL, &p);
        const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(p, "status"), "conditions"), 0);
        snprintf(got, sizeof got, "%s/%s/%s", c ? skiff_obj_str(c, "status") : "", c ? skiff_obj_str(c, "reason") : "",
                 c ? skiff_obj_str(c, "message") : "");
        cJSON_Delete(p);
        if (!strcmp(got, "False/SyncFailed/found no controllers for pod \"d1\"")) break;
        usleep(10000);
    }
    assert_string_equal(got, "False/SyncFailed/found no controllers for pod \"d1\"");
}

static void test_eviction(void **state)
{
    fx_t *f = *state;
    start(f);
    pod(f, "e1", "{\"app\":\"e\"}", 1, "");
    pod(f, "e2", "{\"app\":\"e\"}", 1, "");
    pod(f, "e3", "{\"app\":\"e\"}", 1, "");
    pod(f, "free", "{\"app\":\"free\"}", 1, "");
    pdb(f, "e", "{\"minAvailable\":2,\"selector\":{\"matchLabels\":{\"app\":\"e\"}}}");
    wait_status(f, "e", "3/2/3/1/True/SufficientPods/1");
    #define EV "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{\"name\":\"%s\"}}"
    char body[200];
    /* no budget selects it: evicted */
    snprintf(body, sizeof body, EV, "free");
    assert_int_equal(call(f, "POST", "/api/v1/namespaces/default/pods/free/eviction", body, NULL), 201);
    /* a dry run (deleteOptions.dryRun, as kubectl drain --dry-run=server) checks, spends and deletes nothing */
    assert_int_equal(call(f, "POST", "/api/v1/namespaces/default/pods/e1/eviction",
                          "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{\"name\":\"e1\"},"
                          "\"deleteOptions\":{\"dryRun\":[\"All\"]}}", NULL), 201);
    assert_int_equal(call(f, "GET", "/api/v1/namespaces/default/pods/e1", NULL, NULL), 200);
    wait_status(f, "e", "3/2/3/1/True/SufficientPods/1");
    assert_int_equal(call(f, "POST", "/api/v1/namespaces/default/pods/nosuch/eviction",
                          "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{\"name\":\"nosuch\"},"
                          "\"deleteOptions\":{\"dryRun\":[\"All\"]}}", NULL), 404);
    /* the one disruption allowed is spent */
    snprintf(body, sizeof body, EV, "e1");
    assert_int_equal(call(f, "POST", "/api/v1/namespaces/default/pods/e1/eviction", body, NULL), 201);
    cJSON *p = NULL;
    assert_int_equal(call(f, "GET", "/apis/policy/v1/namespaces/default/poddisruptionbudgets/e", NULL, &p), 200);
    assert_int_equal(skiff_obj_int(p, "status.disruptionsAllowed", -1), 0);
    cJSON_Delete(p);
    /* the next is refused with kube's 429 */
    snprintf(body, sizeof body, EV, "e2");
    assert_int_equal(call(f, "POST", "/api/v1/namespaces/default/pods/e2/eviction", body, &p), 429);
    assert_string_equal(skiff_obj_str(p, "reason"), "TooManyRequests");
    assert_string_equal(skiff_obj_str(p, "message"), "Cannot evict pod as it would violate the pod's disruption budget.");
    const cJSON *cause = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(p, "details"), "causes"), 0);
    assert_string_equal(skiff_obj_str(cause, "reason"), "DisruptionBudget");
    cJSON_Delete(p);
    assert_int_equal(call(f, "GET", "/api/v1/namespaces/default/pods/e2", NULL, NULL), 200);
    /* e1 went (no finalizers, graceful delete of an unbound pod is at once) */
    assert_int_equal(call(f, "GET", "/api/v1/namespaces/default/pods/e1", NULL, &p), 404);
    cJSON_Delete(p);
    /* the controller sees e1 gone: 2 healthy, still none allowed, disruptedPods emptied */
    wait_status(f, "e", "2/2/2/0/False/InsufficientPods/1");
    /* a pod not Ready while the budget is met goes without spending it */
    pod(f, "e4", "{\"app\":\"e\"}", 0, "");
    wait_status(f, "e", "2/2/3/0/False/InsufficientPods/1");
    snprintf(body, sizeof body, EV, "e4");
    assert_int_equal(call(f, "POST", "/api/v1/namespaces/default/pods/e4/eviction", body, NULL), 201);
    /* two budgets over one pod: kube's 500 */
    pdb(f, "e-too", "{\"maxUnavailable\":5,\"selector\":{\"matchLabels\":{\"app\":\"e\"}}}");
    snprintf(body, sizeof body, EV, "e2");
    assert_int_equal(call(f, "POST", "/api/v1/namespaces/default/pods/e2/eviction", body, &p), 500);
    assert_string_equal(skiff_obj_str(p, "message"), "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.");
    cJSON_Delete(p);
}

static void test_eviction_marks_pod(void **state)
{
    fx_t *f = *state;
    /* no controller running: a budget with no status yet refuses (still being processed) */
    pod(f, "m1", "{\"app\":\"m\"}", 1, "");
    pdb(f, "m", "{\"minAvailable\":0,\"selector\":{\"matchLabels\":{\"app\":\"m\"}}}");
    cJSON *p = NULL;
    const char *body = "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{\"name\":\"m1\"}}";
    assert_int_equal(call(f, "POST", "/api/v1/namespaces/default/pods/m1/eviction", body, &p), 429);
    const cJSON *cause = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(p, "details"), "causes"), 0);
    assert_string_equal(skiff_obj_str(cause, "message"), "The disruption budget m is still being processed by the server.");
    cJSON_Delete(p);
    start(f);
    wait_status(f, "m", "1/0/1/1/True/SufficientPods/1");
    /* the controller stopped, the eviction's own writes stay visible */
    skiff_ctrl_mgr_free(f->m);
    f->m = NULL;
    /* the pod gets a finalizer so the delete leaves it visible with its condition */
    skiff_error_t err;
    assert_int_equal(skiff_api_client_patch(f->t->cl, "/api/v1/namespaces/default/pods/m1", "application/merge-patch+json",
                                            "{\"metadata\":{\"finalizers\":[\"test/keep\"]}}", NULL, &err), 0);
    assert_int_equal(call(f, "POST", "/api/v1/namespaces/default/pods/m1/eviction", body, NULL), 201);
    /* spent: recorded in disruptedPods, the condition says so at once */
    assert_int_equal(call(f, "GET", "/apis/policy/v1/namespaces/default/poddisruptionbudgets/m", NULL, &p), 200);
    assert_int_equal(skiff_obj_int(p, "status.disruptionsAllowed", -1), 0);
    assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(p, "status"), "disruptedPods"), "m1"));
    const cJSON *pc = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(p, "status"), "conditions"), 0);
    assert_string_equal(skiff_obj_str(pc, "reason"), "InsufficientPods");
    assert_string_equal(skiff_obj_str(pc, "status"), "False");
    cJSON_Delete(p);
    assert_int_equal(call(f, "GET", "/api/v1/namespaces/default/pods/m1", NULL, &p), 200);
    assert_non_null(skiff_obj_str(p, "metadata.deletionTimestamp"));
    const cJSON *c, *dt = NULL;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(cJSON_GetObjectItem(p, "status"), "conditions"))
        if (!strcmp(skiff_obj_str(c, "type"), "DisruptionTarget")) dt = c;
    assert_non_null(dt);
    assert_string_equal(skiff_obj_str(dt, "reason"), "EvictionByEvictionAPI");
    assert_string_equal(skiff_obj_str(dt, "message"), "Eviction API: evicting");
    cJSON_Delete(p);
    assert_int_equal(skiff_api_client_patch(f->t->cl, "/api/v1/namespaces/default/pods/m1", "application/merge-patch+json",
                                            "{\"metadata\":{\"finalizers\":null}}", NULL, &err), 0);
}

/* The DisruptionTarget condition of a pod: "status/reason/message/lastTransitionTime" ("-" for none). */
static void target_of(fx_t *f, const char *name, char *out, size_t n)
{
    char path[200];
    cJSON *p = NULL;
    snprintf(path, sizeof path, "/api/v1/namespaces/default/pods/%s", name);
    snprintf(out, n, "-");
    if (call(f, "GET", path, NULL, &p) == 200) {
        const cJSON *c, *dt = NULL;
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(cJSON_GetObjectItem(p, "status"), "conditions"))
            if (!strcmp(skiff_obj_str(c, "type"), "DisruptionTarget")) dt = c;
        const char *r = skiff_obj_str(dt, "reason"), *m = skiff_obj_str(dt, "message"), *t = skiff_obj_str(dt, "lastTransitionTime");
        if (dt) snprintf(out, n, "%s/%s/%s/%s", skiff_obj_str(dt, "status"), r ? r : "-", m ? m : "-", t ? t : "-");
    }
    cJSON_Delete(p);
}

/* Pod name Running with DisruptionTarget=True (reason) set age_s seconds ago, in phase. */
static void disrupted_pod(fx_t *f, const char *name, const char *phase, const char *reason, int age_s)
{
    char body[300], when[40], conds[400];
    time_t t = time(NULL) - age_s;
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}", name);
    assert_int_equal(call(f, "POST", "/api/v1/namespaces/default/pods", body, NULL), 201);
    snprintf(conds, sizeof conds, "[{\"type\":\"Ready\",\"status\":\"True\"},{\"type\":\"DisruptionTarget\",\"status\":\"True\","
             "\"reason\":\"%s\",\"message\":\"test: disrupting\",\"lastTransitionTime\":\"%s\"}]", reason, when);
    pod_status(f, name, phase, conds);
}

/* The seconds of an RFC 3339 time at the start of s. */
static time_t seconds_of(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    assert_non_null(strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm));
    return timegm(&tm);
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Polls (up to ~10 s) until pod name's DisruptionTarget status is want; the wall ms then. */
static int64_t wait_target(fx_t *f, const char *name, const char *want)
{
    char got[300];
    for (int i = 0; i < 1000; i++) {
        target_of(f, name, got, sizeof got);
        if (!strncmp(got, want, strlen(want)) && got[strlen(want)] == '/') return wall_ms();
        usleep(10000);
    }
    fail_msg("pod %s: DisruptionTarget %s, want status %s", name, got, want);
    return 0;
}

/* kube's stale pod disruption check: a DisruptionTarget=True whose delete
 * never came is set False once it is stale_pod_disruption_ms old, by a
 * delayed check per pod (no event comes after the pods are made); pods
 * being deleted, finished, or marked by the kubelet are left alone. */
static void test_stale_condition(void **state)
{
    fx_t *f = *state;
    f->stale_ms = 2500;
    time_t t0 = time(NULL);
    /* made before the controller starts (its first list) and after (watch events) */
    disrupted_pod(f, "old", "Running", "EvictionByEvictionAPI", 600);
    start(f);
    disrupted_pod(f, "fresh", "Running", "PreemptionByScheduler", 0);
    disrupted_pod(f, "kubelet", "Running", "TerminationByKubelet", 600);
    disrupted_pod(f, "failed", "Failed", "EvictionByEvictionAPI", 600);
    disrupted_pod(f, "untouched", "Running", "PreemptionByScheduler", 600);
    pod_status(f, "untouched", "Running", "[{\"type\":\"DisruptionTarget\",\"status\":\"False\",\"reason\":\"Kept\"}]");
    /* evicted for real (no budget selects it): deleting, a finalizer keeps it visible */
    skiff_error_t err;
    pod(f, "evicted", "{\"app\":\"v\"}", 1, "");
    assert_int_equal(skiff_api_client_patch(f->t->cl, "/api/v1/namespaces/default/pods/evicted", "application/merge-patch+json",
                                            "{\"metadata\":{\"finalizers\":[\"test/keep\"]}}", NULL, &err), 0);
    assert_int_equal(call(f, "POST", "/api/v1/namespaces/default/pods/evicted/eviction",
                          "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{\"name\":\"evicted\"}}", NULL), 201);
    char got[300], before[300];
    target_of(f, "evicted", before, sizeof before);
    assert_non_null(strstr(before, "True/EvictionByEvictionAPI/Eviction API: evicting/"));
    /* stale long ago: False at once, reason and message gone, a new lastTransitionTime */
    wait_target(f, "old", "False");
    target_of(f, "old", got, sizeof got);
    assert_int_equal(strncmp(got, "False/-/-/", 10), 0);
    assert_true(seconds_of(got + 10) >= t0);
    /* the fresh one waits for its time: lastTransitionTime + 2.5 s */
    target_of(f, "fresh", got, sizeof got);
    assert_int_equal(strncmp(got, "True/PreemptionByScheduler/test: disrupting/", 44), 0);
    int64_t due = (int64_t)seconds_of(got + 44) * 1000 + 2500;
    int64_t flipped = wait_target(f, "fresh", "False");
    if (flipped < due) fail_msg("set False %lld ms before its time", (long long)(due - flipped));
    /* by now every condition below is older than the timeout: left alone */
    usleep(200000);
    target_of(f, "kubelet", got, sizeof got);
    assert_int_equal(strncmp(got, "True/TerminationByKubelet/", 26), 0);
    target_of(f, "failed", got, sizeof got);
    assert_int_equal(strncmp(got, "True/EvictionByEvictionAPI/", 27), 0);
    target_of(f, "untouched", got, sizeof got);
    assert_int_equal(strncmp(got, "False/Kept/-/", 13), 0);
    target_of(f, "evicted", got, sizeof got);
    assert_string_equal(got, before);
    assert_int_equal(skiff_api_client_patch(f->t->cl, "/api/v1/namespaces/default/pods/evicted", "application/merge-patch+json",
                                            "{\"metadata\":{\"finalizers\":null}}", NULL, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scale, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eviction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eviction_marks_pod, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_condition, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
