/* Tests for admission/namespace-lifecycle through an in-process API server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <skiff/skiff.h>

#include "../common/adm_testenv.h"

extern const skiff_plugin_t skiff_plugin;

static const char POD[] = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},"
                          "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1\"}]}}";

static void test_missing_namespace(void **state)
{
    (void)state;
    adm_env_t e;
    adm_env_up(&e, &skiff_plugin, NULL);
    char msg[1024];
    assert_int_equal(adm_env_call(&e, "POST", "/api/v1/namespaces/nope/pods", NULL, POD, msg, sizeof msg, NULL), 403);
    assert_string_equal(msg, "pods \"p\" is forbidden: t: namespace \"nope\" does not exist");
    assert_int_equal(adm_env_call(&e, "POST", "/api/v1/namespaces/default/pods", NULL, POD, msg, sizeof msg, NULL), 201);
    /* the namespace appears: the cached "absent" is dropped by the create it sees */
    assert_int_equal(adm_env_call(&e, "POST", "/api/v1/namespaces", NULL, "{\"metadata\":{\"name\":\"nope\"}}", msg, sizeof msg, NULL), 201);
    assert_int_equal(adm_env_call(&e, "POST", "/api/v1/namespaces/nope/pods", NULL, POD, msg, sizeof msg, NULL), 201);
    adm_env_down(&e);
}

static void test_terminating_and_immortal(void **state)
{
    (void)state;
    adm_env_t e;
    adm_env_up(&e, &skiff_plugin, (const char *[]){ "immortal=default,keep", NULL });
    char msg[1024];
    assert_int_equal(adm_env_call(&e, "POST", "/api/v1/namespaces", NULL,
                                  "{\"metadata\":{\"name\":\"going\",\"finalizers\":[\"x/y\"]}}", msg, sizeof msg, NULL), 201);
    /* creates there first: the cache remembers "there" (and its memo the
     * last answer), which the deletion below must overturn */
    assert_int_equal(adm_env_call(&e, "POST", "/api/v1/namespaces/going/pods", NULL, POD, msg, sizeof msg, NULL), 201);
    assert_int_equal(adm_env_call(&e, "DELETE", "/api/v1/namespaces/going/pods/p", NULL, NULL, msg, sizeof msg, NULL), 200);
    assert_int_equal(adm_env_call(&e, "POST", "/api/v1/namespaces/going/pods", NULL, POD, msg, sizeof msg, NULL), 201);
    assert_int_equal(adm_env_call(&e, "DELETE", "/api/v1/namespaces/going/pods/p", NULL, NULL, msg, sizeof msg, NULL), 200);
    assert_int_equal(adm_env_call(&e, "DELETE", "/api/v1/namespaces/going", NULL, NULL, msg, sizeof msg, NULL), 200);
    assert_int_equal(adm_env_call(&e, "POST", "/api/v1/namespaces/going/pods", NULL, POD, msg, sizeof msg, NULL), 403);
    assert_string_equal(msg, "pods \"p\" is forbidden: t: unable to create new content in namespace going because it is being terminated");
    assert_int_equal(adm_env_call(&e, "DELETE", "/api/v1/namespaces/default", NULL, NULL, msg, sizeof msg, NULL), 403);
    assert_string_equal(msg, "namespaces \"default\" is forbidden: t: this namespace may not be deleted");
    assert_int_equal(adm_env_call(&e, "POST", "/api/v1/namespaces", NULL, "{\"metadata\":{\"name\":\"other\"}}", msg, sizeof msg, NULL), 201);
    assert_int_equal(adm_env_call(&e, "DELETE", "/api/v1/namespaces/other", NULL, NULL, msg, sizeof msg, NULL), 200);
    adm_env_down(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_namespace),
        cmocka_unit_test(test_terminating_and_immortal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
