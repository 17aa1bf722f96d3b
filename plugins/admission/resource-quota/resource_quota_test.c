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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_cpu_status_dryrun),
        cmocka_unit_test(test_concurrent_burst_never_overshoots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
