/* Tests for admission/require-label, instantiated through the real host
 * (skiff_instance_new) exactly as a config file would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <skiff/skiff.h>

#include "plugin/plugin.h"

extern const skiff_plugin_t skiff_plugin;

static skiff_instance_t *make(const char *const *settings, skiff_error_t *err)
{
    skiff_instance_t *inst = NULL;
    int rc = skiff_instance_new(&skiff_plugin, "t", settings, NULL, &inst, err);
    if (rc < 0) assert_null(inst);
    return inst;
}

static skiff_adm_verdict_t admit(skiff_instance_t *inst, skiff_adm_op_t op, const char *resource,
                                 const char *json, skiff_error_t *err)
{
    const skiff_admission_ops_t *ops = skiff_instance_ops(inst);
    assert_true(SKIFF_OPS_HAS(ops, skiff_admission_ops_t, admit));
    cJSON *obj = cJSON_Parse(json);
    assert_non_null(obj);
    skiff_adm_request_t req = { .size = sizeof req, .op = op, .group = "", .version = "v1",
                                .resource = resource, .subresource = "", .kind = "Pod",
                                .namespace_ = "default", .name = "p", .user = "u",
                                .object = obj };
    skiff_adm_verdict_t v = SKIFF_ADM_ALLOW;
    skiff_error_clear(err);
    assert_int_equal(ops->admit(skiff_instance_self(inst), &req, &v, err), 0);
    cJSON_Delete(obj);
    return v;
}

static void test_denies_missing_label(void **state)
{
    (void)state;
    skiff_error_t err;
    skiff_instance_t *inst = make((const char *[]){ "label=team", NULL }, &err);
    assert_non_null(inst);
    assert_int_equal(admit(inst, SKIFF_ADM_CREATE, "pods",
                           "{\"metadata\":{\"name\":\"p\",\"labels\":{\"app\":\"x\"}}}", &err),
                     SKIFF_ADM_DENY);
    assert_string_equal(err.msg, "missing required label \"team\"");
    assert_int_equal(admit(inst, SKIFF_ADM_CREATE, "pods", "{\"metadata\":{\"name\":\"p\"}}", &err),
                     SKIFF_ADM_DENY);
    skiff_instance_free(inst);
}

static void test_allows_labelled_and_deletes(void **state)
{
    (void)state;
    skiff_error_t err;
    skiff_instance_t *inst = make((const char *[]){ "label=team", NULL }, &err);
    assert_int_equal(admit(inst, SKIFF_ADM_UPDATE, "pods",
                           "{\"metadata\":{\"labels\":{\"team\":\"a\"}}}", &err),
                     SKIFF_ADM_ALLOW);
    assert_int_equal(admit(inst, SKIFF_ADM_DELETE, "pods", "{}", &err), SKIFF_ADM_ALLOW);
    skiff_instance_free(inst);
}

static void test_resources_filter(void **state)
{
    (void)state;
    skiff_error_t err;
    skiff_instance_t *inst =
        make((const char *[]){ "label=team", "resources=pods, deployments", NULL }, &err);
    assert_non_null(inst);
    assert_int_equal(admit(inst, SKIFF_ADM_CREATE, "configmaps", "{}", &err), SKIFF_ADM_ALLOW);
    assert_int_equal(admit(inst, SKIFF_ADM_CREATE, "deployments", "{}", &err), SKIFF_ADM_DENY);
    skiff_instance_free(inst);
}

static void test_settings_checked(void **state)
{
    (void)state;
    skiff_error_t err;
    assert_null(make(NULL, &err));
    assert_string_equal(err.msg, "missing required key \"label\" in admission/require-label");
    assert_null(make((const char *[]){ "label=team", "resorces=pods", NULL }, &err));
    assert_string_equal(err.msg, "unknown key \"resorces\" in admission/require-label; "
                                 "did you mean \"resources\"?");
}

static void test_init_rejects_bad_label(void **state)
{
    (void)state;
    skiff_error_t err;
    assert_null(make((const char *[]){ "label=-bad-", NULL }, &err));
    assert_non_null(strstr(err.msg, "init of admission/require-label instance \"t\" failed: "
                                    "label \"-bad-\" is not a valid label key"));
    skiff_instance_t *inst = make((const char *[]){ "label=example.com/team", NULL }, &err);
    assert_non_null(inst);
    skiff_instance_free(inst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_denies_missing_label),
        cmocka_unit_test(test_allows_labelled_and_deletes),
        cmocka_unit_test(test_resources_filter),
        cmocka_unit_test(test_settings_checked),
        cmocka_unit_test(test_init_rejects_bad_label),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
