/* Tests for admission/webhook's JSON Patch and base64 (RFC 6902 cases a
 * webhook sends), and that the plugin refuses a bad phase. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <skiff/skiff.h>

#include "jsonpatch.h"
#include "plugin/plugin.h"

extern const skiff_plugin_t skiff_plugin;

static char *patched(const char *doc, const char *patch, int *rc)
{
    cJSON *d = cJSON_Parse(doc), *p = cJSON_Parse(patch);
    char why[200];
    *rc = webhook_jsonpatch_apply(d, p, why, sizeof why);
    char *out = cJSON_PrintUnformatted(d);
    cJSON_Delete(d);
    cJSON_Delete(p);
    return out;
}

static void test_ops(void **state)
{
    (void)state;
    int rc;
    char *s = patched("{\"metadata\":{\"name\":\"x\"},\"spec\":{\"c\":[1,2]}}",
                      "[{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{}},"
                      "{\"op\":\"add\",\"path\":\"/metadata/labels/a~1b\",\"value\":\"v\"},"
                      "{\"op\":\"add\",\"path\":\"/spec/c/-\",\"value\":3},"
                      "{\"op\":\"add\",\"path\":\"/spec/c/0\",\"value\":0},"
                      "{\"op\":\"replace\",\"path\":\"/metadata/name\",\"value\":\"y\"},"
                      "{\"op\":\"remove\",\"path\":\"/spec/c/1\"},"
                      "{\"op\":\"copy\",\"from\":\"/metadata/name\",\"path\":\"/spec/n\"},"
                      "{\"op\":\"move\",\"from\":\"/spec/n\",\"path\":\"/spec/m\"},"
                      "{\"op\":\"test\",\"path\":\"/spec/m\",\"value\":\"y\"}]", &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(s, "{\"metadata\":{\"name\":\"y\",\"labels\":{\"a/b\":\"v\"}},\"spec\":{\"c\":[0,2,3],\"m\":\"y\"}}");
    free(s);
    s = patched("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"/b\",\"value\":2}]", &rc);
    assert_int_equal(rc, -1); /* replace needs the member */
    free(s);
    s = patched("{\"a\":1}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":2}]", &rc);
    assert_int_equal(rc, -1);
    free(s);
    s = patched("{\"a\":1}", "{\"op\":\"add\"}", &rc);
    assert_int_equal(rc, -1);
    free(s);
}

static void test_b64(void **state)
{
    (void)state;
    size_t n;
    char *s = webhook_b64_decode("W3sib3AiOiJhZGQifV0=", &n);
    assert_string_equal(s, "[{\"op\":\"add\"}]");
    assert_int_equal(n, 14);
    free(s);
    assert_null(webhook_b64_decode("not*base64", &n));
}

static void test_phase_setting(void **state)
{
    (void)state;
    skiff_instance_t *i = NULL;
    skiff_error_t err;
    assert_true(skiff_instance_new(&skiff_plugin, "w", (const char *[]){ "phase=both", NULL }, NULL, &i, &err) < 0);
    assert_non_null(strstr(err.msg, "phase = \"both\": want \"mutating\" or \"validating\""));
    assert_int_equal(skiff_instance_new(&skiff_plugin, "w", (const char *[]){ "phase=mutating", NULL }, NULL, &i, &err), 0);
    const skiff_admission_ops_t *ops = skiff_instance_ops(i);
    assert_int_equal(ops->is_mutating(skiff_instance_self(i)), 1);
    skiff_instance_free(i);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops),
        cmocka_unit_test(test_b64),
        cmocka_unit_test(test_phase_setting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
