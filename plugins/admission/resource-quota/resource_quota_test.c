/* Tests for admission/resource-quota through an in-process API server:
 * counts and compute quotas, the message, status.used, dryRun, and a burst
 * of concurrent creates that must not overshoot. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <skiff/skiff.h>

#include "../common/adm_testenv.h"

extern const skiff_plugin_t skiff_plugin;

static int pod(adm_env_t *e, const char *name, const char *cpu, const char *query, char *msg, size_t len)
{
    char body[600];
    snprintf(body, sizeof body, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\"},"
             "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x:1\",\"resources\":{\"requests\":{\"cpu\":\"%s\"}}}]}}", name, cpu);
    return adm_env_call(e, "POST", "/api/v1/namespaces/default/pods", query, body, msg, len, NULL);
}

static void test_counts_cpu_status_dryrun(void **state)
{
    (void)state;
    adm_env_t e;
    adm_env_up(&e, &skiff_plugin, NULL);
    char msg[1024];
    assert_int_equal(adm_env_call(&e, "POST", "/api/v1/namespaces/default/resourcequotas", NULL,
        "{\"metadata\":{\"name\":\"q\"},\"spec\":{\"hard\":{\"pods\":\"2\",\"requests.cpu\":\"1\"}}}", msg, sizeof msg, NULL), 201);
    assert_int_equal(pod(&e, "a", "400m", NULL, msg, sizeof msg), 201);
    assert_int_equal(pod(&e, "big", "700m", NULL, msg, sizeof msg), 403);
    assert_string_equal(msg, "pods \"big\" is forbidden: t: exceeded quota: q, requested: requests.cpu=700m, used: requests.cpu=400m, limited: requests.cpu=1");
    assert_int_equal(pod(&e, "dry", "100m", "dryRun=All", msg, sizeof msg), 201);
    assert_int_equal(pod(&e, "b", "100m", NULL, msg, sizeof msg), 201);
    assert_int_equal(pod(&e, "c", "100m", NULL, msg, sizeof msg), 403);
    assert_string_equal(msg, "pods \"c\" is forbidden: t: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2");
    char *body = NULL;
    assert_int_equal(adm_env_call(&e, "GET", "/api/v1/namespaces/default/resourcequotas/q", NULL, NULL, NULL, 0, &body), 200);
    cJSON *q = cJSON_Parse(body);
    free(body);
    char *used = cJSON_PrintUnformatted(cJSON_GetObjectItem(cJSON_GetObjectItem(q, "status"), "used"));
    assert_string_equal(used, "{\"pods\":\"2\",\"requests.cpu\":\"500m\"}");
    free(used);
    cJSON_Delete(q);
    assert_int_equal(adm_env_call(&e, "POST", "/api/v1/namespaces/default/pods", NULL,
        "{\"metadata\":{\"name\":\"nores\"},\"spec\":{\"containers\":[{\"name\":\"b\",\"image\":\"x:1\"},"
        "{\"name\":\"a\",\"image\":\"x:1\",\"resources\":{\"limits\":{\"cpu\":\"1m\"}}}]}}", msg, sizeof msg, NULL), 403);
    assert_string_equal(msg, "pods \"nores\" is forbidden: t: failed quota: q: must specify requests.cpu for: b");
    assert_int_equal(adm_env_call(&e, "DELETE", "/api/v1/namespaces/default/pods/a", NULL, NULL, msg, sizeof msg, NULL), 200);
    assert_int_equal(pod(&e, "c", "100m", NULL, msg, sizeof msg), 201);
    adm_env_down(&e);
}

typedef struct burst { adm_env_t *e; int id, created; } burst_t;

static void *burst_worker(void *arg)
{
    burst_t *b = arg;
    for (int i = 0; i < 6; i++) {
        char name[32];
        snprintf(name, sizeof name, "w%d-%d", b->id, i);
        if (pod(b->e, name, "10m", NULL, NULL, 0) == 201) b->created++;
    }
    return NULL;
}

static void test_concurrent_burst_never_overshoots(void **state)
{
    (void)state;
    adm_env_t e;
    adm_env_up(&e, &skiff_plugin, NULL);
    assert_int_equal(adm_env_call(&e, "POST", "/api/v1/namespaces/default/resourcequotas", NULL,
        "{\"metadata\":{\"name\":\"q\"},\"spec\":{\"hard\":{\"count/pods\":\"10\"}}}", NULL, 0, NULL), 201);
    pthread_t t[8];
    burst_t b[8];
    for (int i = 0; i < 8; i++) {
        b[i] = (burst_t){ &e, i, 0 };
        pthread_create(&t[i], NULL, burst_worker, &b[i]);
    }
    int total = 0;
    for (int i = 0; i < 8; i++) { pthread_join(t[i], NULL); total += b[i].created; }
    assert_int_equal(total, 10);
    char *body = NULL;
    assert_int_equal(adm_env_call(&e, "GET", "/api/v1/namespaces/default/pods", NULL, NULL, NULL, 0, &body), 200);
    cJSON *l = cJSON_Parse(body);
    free(body);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(l, "items")), 10);
    cJSON_Delete(l);
    adm_env_down(&e);
}

static int post(adm_env_t *e, const char *path, const char *json, char *msg, size_t len)
{
    return adm_env_call(e, "POST", path, NULL, json, msg, len, NULL);
}

/* a pod: cpu request ("" for none), activeDeadlineSeconds (<0: none), priorityClassName ("" for none) */
static int spod(adm_env_t *e, const char *name, const char *cpu, int ads, const char *pc, char *msg, size_t len)
{
    char body[800], res[120] = "", extra[200] = "";
    if (*cpu) snprintf(res, sizeof res, ",\"resources\":{\"requests\":{\"cpu\":\"%s\"},\"limits\":{\"cpu\":\"%s\"}}", cpu, cpu);
    size_t o = 0;
    if (ads >= 0) o += (size_t)snprintf(extra + o, sizeof extra - o, ",\"activeDeadlineSeconds\":%d", ads);
    if (*pc) snprintf(extra + o, sizeof extra - o, ",\"priorityClassName\":\"%s\"", pc);
    snprintf(body, sizeof body, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\"},"
             "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x:1\"%s}]%s}}", name, res, extra);
    return post(e, "/api/v1/namespaces/default/pods", body, msg, len);
}

static char *used_of(adm_env_t *e, const char *quota)
{
    char path[200], *body = NULL;
    snprintf(path, sizeof path, "/api/v1/namespaces/default/resourcequotas/%s", quota);
    assert_int_equal(adm_env_call(e, "GET", path, NULL, NULL, NULL, 0, &body), 200);
    cJSON *q = cJSON_Parse(body);
    free(body);
    char *u = cJSON_PrintUnformatted(cJSON_GetObjectItem(cJSON_GetObjectItem(q, "status"), "used"));
    cJSON_Delete(q);
    return u;
}

static void test_scopes(void **state)
{
    (void)state;
    adm_env_t e;
    adm_env_up(&e, &skiff_plugin, NULL);
    char msg[1024];
    const char *qp = "/api/v1/namespaces/default/resourcequotas";
    /* the API server refuses pods naming a PriorityClass that does not exist */
    const char *pcp = "/apis/scheduling.k8s.io/v1/priorityclasses";
    assert_int_equal(post(&e, pcp, "{\"metadata\":{\"name\":\"gold\"},\"value\":1000}", msg, sizeof msg), 201);
    assert_int_equal(post(&e, pcp, "{\"metadata\":{\"name\":\"silver\"},\"value\":100}", msg, sizeof msg), 201);
    assert_int_equal(post(&e, qp, "{\"metadata\":{\"name\":\"be\"},\"spec\":{\"hard\":{\"pods\":\"1\"},\"scopes\":[\"BestEffort\"]}}", msg, sizeof msg), 201);
    assert_int_equal(post(&e, qp, "{\"metadata\":{\"name\":\"term\"},\"spec\":{\"hard\":{\"pods\":\"1\"},\"scopes\":[\"Terminating\",\"NotBestEffort\"]}}", msg, sizeof msg), 201);
    assert_int_equal(post(&e, qp, "{\"metadata\":{\"name\":\"gold\"},\"spec\":{\"hard\":{\"pods\":\"1\"},\"scopeSelector\":{\"matchExpressions\":"
                                  "[{\"scopeName\":\"PriorityClass\",\"operator\":\"In\",\"values\":[\"gold\"]}]}}}", msg, sizeof msg), 201);
    assert_int_equal(post(&e, qp, "{\"metadata\":{\"name\":\"nopc\"},\"spec\":{\"hard\":{\"pods\":\"2\"},\"scopeSelector\":{\"matchExpressions\":"
                                  "[{\"scopeName\":\"PriorityClass\",\"operator\":\"DoesNotExist\"},{\"scopeName\":\"NotBestEffort\",\"operator\":\"Exists\"}]}}}", msg, sizeof msg), 201);
    /* BestEffort: the first best-effort pod fits, the second not; burstable pods are not counted there */
    assert_int_equal(spod(&e, "be1", "", -1, "", msg, sizeof msg), 201);
    assert_int_equal(spod(&e, "be2", "", -1, "", msg, sizeof msg), 403);
    assert_string_equal(msg, "pods \"be2\" is forbidden: t: exceeded quota: be, requested: pods=1, used: pods=1, limited: pods=1");
    assert_int_equal(spod(&e, "bu1", "100m", -1, "", msg, sizeof msg), 201);  /* nopc: 1 */
    assert_int_equal(spod(&e, "bu2", "100m", -1, "", msg, sizeof msg), 201);  /* nopc: 2 */
    assert_int_equal(spod(&e, "bu3", "100m", -1, "", msg, sizeof msg), 403);
    assert_string_equal(msg, "pods \"bu3\" is forbidden: t: exceeded quota: nopc, requested: pods=1, used: pods=2, limited: pods=2");
    /* PriorityClass In [gold]: not counted by nopc (it has a class) */
    assert_int_equal(spod(&e, "g1", "100m", -1, "gold", msg, sizeof msg), 201);
    assert_int_equal(spod(&e, "g2", "100m", -1, "gold", msg, sizeof msg), 403);
    assert_string_equal(msg, "pods \"g2\" is forbidden: t: exceeded quota: gold, requested: pods=1, used: pods=1, limited: pods=1");
    assert_int_equal(spod(&e, "s1", "100m", -1, "silver", msg, sizeof msg), 201);
    /* Terminating + NotBestEffort */
    assert_int_equal(spod(&e, "t1", "100m", 60, "silver", msg, sizeof msg), 201);
    assert_int_equal(spod(&e, "t2", "100m", 60, "silver", msg, sizeof msg), 403);
    assert_string_equal(msg, "pods \"t2\" is forbidden: t: exceeded quota: term, requested: pods=1, used: pods=1, limited: pods=1");
    assert_int_equal(spod(&e, "t3", "", 60, "silver", msg, sizeof msg), 403); /* best effort: quota be is full */
    char *u = used_of(&e, "be");
    assert_string_equal(u, "{\"pods\":\"1\"}");
    free(u);
    u = used_of(&e, "nopc");
    assert_string_equal(u, "{\"pods\":\"2\"}");
    free(u);
    adm_env_down(&e);
}

/* a merge patch; returns the HTTP code, the Status message in msg */
static int mpatch(adm_env_t *e, const char *path, const char *json, char *msg, size_t len)
{
    skiff_api_result_t r = { 0 };
    skiff_error_t err;
    skiff_error_clear(&err);
    skiff_api_client_do(e->cl, "PATCH", path, NULL, "application/merge-patch+json", json, strlen(json), &r, &err);
    cJSON *st = r.body ? cJSON_Parse(r.body) : NULL;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(st, "message");
    snprintf(msg, len, "%s", cJSON_IsString(m) && r.code >= 300 ? m->valuestring : "");
    cJSON_Delete(st);
    int code = r.code;
    skiff_api_result_free(&r);
    return code;
}

/* Kubernetes' API validation of scopes: 422 Invalid */
static void test_scope_validation(void **state)
{
    (void)state;
    adm_env_t e;
    adm_env_up(&e, &skiff_plugin, NULL);
    char msg[1024];
    const char *qp = "/api/v1/namespaces/default/resourcequotas";
    assert_int_equal(post(&e, qp, "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"hard\":{\"requests.cpu\":\"1\"},\"scopes\":[\"BestEffort\"]}}", msg, sizeof msg), 422);
    assert_string_equal(msg, "ResourceQuota \"a\" is invalid: spec.scopes: Invalid value: []core.ResourceQuotaScope{\"BestEffort\"}: unsupported scope applied to resource");
    assert_int_equal(post(&e, qp, "{\"metadata\":{\"name\":\"b\"},\"spec\":{\"hard\":{\"pods\":\"1\"},\"scopes\":[\"Terminating\",\"NotTerminating\"]}}", msg, sizeof msg), 422);
    assert_string_equal(msg, "ResourceQuota \"b\" is invalid: spec.scopes: Invalid value: []core.ResourceQuotaScope{\"Terminating\", \"NotTerminating\"}: conflicting scopes");
    assert_int_equal(post(&e, qp, "{\"metadata\":{\"name\":\"c\"},\"spec\":{\"hard\":{\"pods\":\"1\"},\"scopes\":[\"Weekend\"]}}", msg, sizeof msg), 422);
    assert_string_equal(msg, "ResourceQuota \"c\" is invalid: spec.scopes: Invalid value: []core.ResourceQuotaScope{\"Weekend\"}: unsupported scope");
    assert_int_equal(post(&e, qp, "{\"metadata\":{\"name\":\"d\"},\"spec\":{\"hard\":{\"pods\":\"1\"},\"scopeSelector\":{\"matchExpressions\":"
                                  "[{\"scopeName\":\"PriorityClass\",\"operator\":\"In\"}]}}}", msg, sizeof msg), 422);
    assert_string_equal(msg, "ResourceQuota \"d\" is invalid: spec.scopeSelector.matchExpressions.values: Required value: "
                             "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector");
    assert_int_equal(post(&e, qp, "{\"metadata\":{\"name\":\"e\"},\"spec\":{\"hard\":{\"pods\":\"1\"},\"scopeSelector\":{\"matchExpressions\":"
                                  "[{\"scopeName\":\"BestEffort\",\"operator\":\"In\",\"values\":[\"x\"]}]}}}", msg, sizeof msg), 422);
    assert_non_null(strstr(msg, "spec.scopeSelector.matchExpressions.operator: Invalid value: \"In\": must be 'Exist' when scope is"));
    /* services with a pod scope: not a pod resource */
    assert_int_equal(post(&e, qp, "{\"metadata\":{\"name\":\"f\"},\"spec\":{\"hard\":{\"services\":\"1\"},\"scopes\":[\"NotTerminating\"]}}", msg, sizeof msg), 422);
    /* valid ones pass; count/<resource> is not checked against scopes */
    assert_int_equal(post(&e, qp, "{\"metadata\":{\"name\":\"g\"},\"spec\":{\"hard\":{\"pods\":\"1\",\"limits.memory\":\"1Gi\",\"count/pods\":\"3\"},"
                                  "\"scopes\":[\"NotBestEffort\",\"Terminating\"],\"scopeSelector\":{\"matchExpressions\":"
                                  "[{\"scopeName\":\"PriorityClass\",\"operator\":\"NotIn\",\"values\":[\"low\"]}]}}}", msg, sizeof msg), 201);
    adm_env_down(&e);
}

static void test_updates(void **state)
{
    (void)state;
    adm_env_t e;
    adm_env_up(&e, &skiff_plugin, NULL);
    char msg[1024];
    assert_int_equal(post(&e, "/api/v1/namespaces/default/resourcequotas",
        "{\"metadata\":{\"name\":\"svc\"},\"spec\":{\"hard\":{\"services\":\"2\",\"count/services\":\"2\",\"services.nodeports\":\"2\",\"services.loadbalancers\":\"0\"}}}",
        msg, sizeof msg), 201);
    const char *sp = "/api/v1/namespaces/default/services";
    assert_int_equal(post(&e, sp, "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"ports\":[{\"name\":\"x\",\"port\":80},{\"name\":\"y\",\"port\":81}]}}", msg, sizeof msg), 201);
    assert_int_equal(post(&e, sp, "{\"metadata\":{\"name\":\"b\"},\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"port\":80}]}}", msg, sizeof msg), 201);
    char *u = used_of(&e, "svc");
    assert_string_equal(u, "{\"services\":\"2\",\"count/services\":\"2\",\"services.nodeports\":\"1\",\"services.loadbalancers\":\"0\"}");
    free(u);
    /* ClusterIP -> NodePort with two ports needs two node ports: one is left */
    assert_int_equal(mpatch(&e, "/api/v1/namespaces/default/services/a",
        "{\"spec\":{\"type\":\"NodePort\"}}", msg, sizeof msg), 403);
    assert_string_equal(msg, "services \"a\" is forbidden: t: exceeded quota: svc, requested: services.nodeports=2, used: services.nodeports=1, limited: services.nodeports=2");
    /* -> LoadBalancer: none allowed */
    assert_int_equal(mpatch(&e, "/api/v1/namespaces/default/services/b",
        "{\"spec\":{\"type\":\"LoadBalancer\"}}", msg, sizeof msg), 403);
    assert_string_equal(msg, "services \"b\" is forbidden: t: exceeded quota: svc, requested: services.loadbalancers=1, used: services.loadbalancers=0, limited: services.loadbalancers=0");
    /* an update that adds nothing passes even though count/services is at its limit */
    assert_int_equal(mpatch(&e, "/api/v1/namespaces/default/services/a",
        "{\"metadata\":{\"labels\":{\"x\":\"y\"}}}", msg, sizeof msg), 200);
    /* back to ClusterIP frees the node port; then a's two ports do not fit, one port does */
    assert_int_equal(mpatch(&e, "/api/v1/namespaces/default/services/b",
        "{\"spec\":{\"type\":\"ClusterIP\",\"ports\":[{\"port\":80,\"nodePort\":null}]}}", msg, sizeof msg), 200);
    assert_int_equal(mpatch(&e, "/api/v1/namespaces/default/services/a",
        "{\"spec\":{\"type\":\"NodePort\"}}", msg, sizeof msg), 200);
    u = used_of(&e, "svc");
    assert_string_equal(u, "{\"services\":\"2\",\"count/services\":\"2\",\"services.nodeports\":\"2\",\"services.loadbalancers\":\"0\"}");
    free(u);
    adm_env_down(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_cpu_status_dryrun),
        cmocka_unit_test(test_concurrent_burst_never_overshoots),
        cmocka_unit_test(test_scopes),
        cmocka_unit_test(test_scope_validation),
        cmocka_unit_test(test_updates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
