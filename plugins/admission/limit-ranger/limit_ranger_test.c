/* Tests for admission/limit-ranger through an in-process API server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <skiff/skiff.h>

#include "../common/adm_testenv.h"

extern const skiff_plugin_t skiff_plugin;

static void test_defaults_and_limits(void **state)
{
    (void)state;
    adm_env_t e;
    adm_env_up(&e, &skiff_plugin, NULL);
    char msg[2048];
    int code = adm_env_call(&e, "POST", "/api/v1/namespaces/default/limitranges", NULL,
        "{\"metadata\":{\"name\":\"lr\"},\"spec\":{\"limits\":["
        "{\"type\":\"Container\",\"default\":{\"memory\":\"128Mi\"},\"defaultRequest\":{\"memory\":\"64Mi\"},"
        "\"maxLimitRequestRatio\":{\"cpu\":\"2\"}},"
        "{\"type\":\"Pod\",\"max\":{\"memory\":\"200Mi\"}}]}}", msg, sizeof msg, NULL);
    if (code != 201) fail_msg("limitrange: %d %s", code, msg);
    char *body = NULL;
    assert_int_equal(adm_env_call(&e, "POST", "/api/v1/namespaces/default/pods", NULL,
        "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x:1\",\"resources\":{\"limits\":{\"cpu\":\"1\"}}}]}}", msg, sizeof msg, &body), 201);
    cJSON *p = cJSON_Parse(body);
    free(body);
    cJSON *res = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(p, "spec"), "containers"), 0), "resources");
    char *txt = cJSON_PrintUnformatted(res);
    assert_string_equal(txt, "{\"limits\":{\"cpu\":\"1\",\"memory\":\"128Mi\"},\"requests\":{\"cpu\":\"1\",\"memory\":\"64Mi\"}}");
    free(txt);
    cJSON_Delete(p);
    assert_int_equal(adm_env_call(&e, "POST", "/api/v1/namespaces/default/pods", NULL,
        "{\"metadata\":{\"name\":\"b\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x:1\","
        "\"resources\":{\"requests\":{\"cpu\":\"100m\"},\"limits\":{\"cpu\":\"400m\"}}},"
        "{\"name\":\"d\",\"image\":\"x:1\"}]}}", msg, sizeof msg, NULL), 403);
    assert_string_equal(msg, "pods \"b\" is forbidden: t: [cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000, "
                             "cpu max limit to request ratio per Container is 2, but no request is specified or request is 0, "
                             "maximum memory usage per Pod is 200Mi, but limit is 256Mi]");
    adm_env_down(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_defaults_and_limits) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
