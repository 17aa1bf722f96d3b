/* Tests for core/api/patch_json: RFC 6902 section A examples, kubectl's rollout undo, errors. */
#include "api/test_json.h"
#include "api/patch_json.h"

static void ok_case(const char *doc, const char *patch, const char *want)
{
    cJSON *d = tj(doc), *p = tj(patch), *out = NULL;
    skiff_error_t err = {0};
    int rc = skiff_api_json_patch(d, p, &out, &err);
    if (rc) fail_msg("patch %s failed: %s", patch, err.msg);
    assert_json(out, want);
    assert_json(d, doc);
    cJSON_Delete(d); cJSON_Delete(p); cJSON_Delete(out);
}

static void bad_case(const char *doc, const char *patch, int code, const char *msg_part)
{
    cJSON *d = tj(doc), *p = tj(patch), *out = (cJSON *)1;
    skiff_error_t err = {0};
    assert_int_equal(skiff_api_json_patch(d, p, &out, &err), code);
    assert_null(out);
    if (!strstr(err.msg, msg_part)) fail_msg("message %s lacks %s", err.msg, msg_part);
    assert_json(d, doc);
    cJSON_Delete(d); cJSON_Delete(p);
}

static void test_rfc6902_appendix_a(void **state)
{
    ok_case("{'foo':'bar'}", "[{'op':'add','path':'/baz','value':'qux'}]", "{'baz':'qux','foo':'bar'}");
    ok_case("{'foo':['bar','baz']}", "[{'op':'add','path':'/foo/1','value':'qux'}]", "{'foo':['bar','qux','baz']}");
    ok_case("{'baz':'qux','foo':'bar'}", "[{'op':'remove','path':'/baz'}]", "{'foo':'bar'}");
    ok_case("{'foo':['bar','qux','baz']}", "[{'op':'remove','path':'/foo/1'}]", "{'foo':['bar','baz']}");
    ok_case("{'baz':'qux','foo':'bar'}", "[{'op':'replace','path':'/baz','value':'boo'}]", "{'baz':'boo','foo':'bar'}");
    ok_case("{'foo':{'bar':'baz','waldo':'fred'},'qux':{'corge':'grault'}}",
            "[{'op':'move','from':'/foo/waldo','path':'/qux/thud'}]",
            "{'foo':{'bar':'baz'},'qux':{'corge':'grault','thud':'fred'}}");
    ok_case("{'foo':['all','grass','cows','eat']}", "[{'op':'move','from':'/foo/1','path':'/foo/3'}]",
            "{'foo':['all','cows','eat','grass']}");
    ok_case("{'baz':'qux','foo':['a',2,'c']}",
            "[{'op':'test','path':'/baz','value':'qux'},{'op':'test','path':'/foo/1','value':2}]",
            "{'baz':'qux','foo':['a',2,'c']}");
    ok_case("{'foo':'bar'}", "[{'op':'add','path':'/child','value':{'grandchild':{}}}]",
            "{'foo':'bar','child':{'grandchild':{}}}");
    ok_case("{'foo':['bar']}", "[{'op':'add','path':'/foo/-','value':['abc','def']}]",
            "{'foo':['bar',['abc','def']]}");
    ok_case("{'/':9,'~1':10}", "[{'op':'test','path':'/~01','value':10},{'op':'replace','path':'/~1','value':1}]",
            "{'/':1,'~1':10}");
    ok_case("{'foo':1}", "[{'op':'copy','from':'/foo','path':'/bar'}]", "{'foo':1,'bar':1}");
    ok_case("{'foo':1}", "[{'op':'add','path':'','value':[1]}]", "[1]");
    ok_case("{'a':[1,2]}", "[{'op':'add','path':'/a/2','value':3}]", "{'a':[1,2,3]}");
}

static void test_rollout_undo_body(void **state)
{
    ok_case("{'metadata':{'annotations':{'deployment.kubernetes.io/revision':'2'}},"
            "'spec':{'template':{'spec':{'containers':[{'name':'n','image':'nginx:2'}]}}}}",
            "[{'op':'replace','path':'/spec/template','value':{'spec':{'containers':[{'name':'n','image':'nginx:1'}]}}},"
            "{'op':'replace','path':'/metadata/annotations','value':{'deployment.kubernetes.io/revision':'3'}}]",
            "{'metadata':{'annotations':{'deployment.kubernetes.io/revision':'3'}},"
            "'spec':{'template':{'spec':{'containers':[{'name':'n','image':'nginx:1'}]}}}}");
}

static void test_errors(void **state)
{
    bad_case("{}", "{'op':'add'}", SKIFF_E_INVALID, "must be a JSON array");
    bad_case("{}", "[{'path':'/a'}]", SKIFF_E_INVALID, "op 0: missing or non-string \"op\"");
    bad_case("{}", "[{'op':'frob','path':'/a'}]", SKIFF_E_INVALID, "unknown op \"frob\"");
    bad_case("{}", "[{'op':'add','path':'/a'}]", SKIFF_E_INVALID, "missing \"value\"");
    bad_case("{}", "[{'op':'move','path':'/a'}]", SKIFF_E_INVALID, "\"from\"");
    bad_case("{}", "[{'op':'add','path':'a','value':1}]", SKIFF_E_INVALID, "start with '/'");
    bad_case("{}", "[{'op':'add','path':'/a~2','value':1}]", SKIFF_E_INVALID, "'~' must be followed");
    bad_case("{'a':1}", "[{'op':'add','path':'/b','value':1},{'op':'replace','path':'/spec/foo','value':1}]",
             SKIFF_E_NOTFOUND, "json patch op 1 (replace \"/spec/foo\"): doc is missing path \"/spec/foo\"");
    bad_case("{'a':1}", "[{'op':'remove','path':'/b'}]", SKIFF_E_NOTFOUND, "missing path");
    bad_case("{'a':[1]}", "[{'op':'add','path':'/a/3','value':1}]", SKIFF_E_NOTFOUND, "out of range");
    bad_case("{'a':[1]}", "[{'op':'add','path':'/a/01','value':1}]", SKIFF_E_NOTFOUND, "out of range");
    bad_case("{'a':[1]}", "[{'op':'remove','path':'/a/-'}]", SKIFF_E_NOTFOUND, "missing path");
    bad_case("{'a':[1]}", "[{'op':'replace','path':'/a/-1','value':2}]", SKIFF_E_NOTFOUND, "missing path");
    bad_case("{'a':1}", "[{'op':'add','path':'/a/b','value':1}]", SKIFF_E_NOTFOUND, "parent is not");
    bad_case("{'a':{'b':1}}", "[{'op':'move','from':'/a','path':'/a/b/c'}]", SKIFF_E_NOTFOUND, "own child");
    bad_case("{'a':1}", "[{'op':'copy','from':'/x','path':'/y'}]", SKIFF_E_NOTFOUND, "from:");
    bad_case("{'a':1}", "[{'op':'remove','path':''}]", SKIFF_E_NOTFOUND, "whole document");
    bad_case("{'a':[1]}", "[5]", SKIFF_E_INVALID, "must be an object");
}

static void test_test_op_distinct(void **state)
{
    bad_case("{'a':1}", "[{'op':'test','path':'/a','value':2}]", SKIFF_API_E_TEST_FAILED,
             "testing value \"/a\" failed");
    /* Missing member tests equal to null, as evanphx/json-patch does. */
    ok_case("{'a':1}", "[{'op':'test','path':'/b','value':null}]", "{'a':1}");
    assert_int_equal(skiff_api_json_patch_http_status(SKIFF_API_E_TEST_FAILED), 422);
    assert_int_equal(skiff_api_json_patch_http_status(SKIFF_E_INVALID), 400);
    assert_int_equal(skiff_api_json_patch_http_status(SKIFF_E_NOTFOUND), 422);
}

static void test_op_limit(void **state)
{
    cJSON *d = tj("{'a':0}"), *p = cJSON_CreateArray(), *out = NULL;
    for (int i = 0; i < SKIFF_API_JSON_PATCH_MAX_OPS; i++) cJSON_AddItemToArray(p, tj("{'op':'replace','path':'/a','value':1}"));
    skiff_error_t err = {0};
    assert_int_equal(skiff_api_json_patch(d, p, &out, &err), 0);
    cJSON_Delete(out);
    cJSON_AddItemToArray(p, tj("{'op':'replace','path':'/a','value':1}"));
    assert_int_equal(skiff_api_json_patch(d, p, &out, &err), SKIFF_E_TOOLARGE);
    assert_string_equal(err.msg, "The allowed maximum operations in a JSON patch is 10000, got 10001");
    assert_int_equal(skiff_api_json_patch_http_status(SKIFF_E_TOOLARGE), 422);
    cJSON_Delete(d); cJSON_Delete(p);
}

static void test_pointer_get(void **state)
{
    cJSON *d = tj("{'a':{'b':[10,20]},'':3}");
    skiff_error_t err = {0};
    assert_int_equal(skiff_api_json_pointer_get(d, "/a/b/1", &err)->valueint, 20);
    assert_int_equal(skiff_api_json_pointer_get(d, "/", &err)->valueint, 3);
    assert_ptr_equal(skiff_api_json_pointer_get(d, "", &err), d);
    assert_null(skiff_api_json_pointer_get(d, "/a/c", &err));
    assert_int_equal(err.code, SKIFF_E_NOTFOUND);
    cJSON_Delete(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc6902_appendix_a),
        cmocka_unit_test(test_rollout_undo_body),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_test_op_distinct),
        cmocka_unit_test(test_op_limit),
        cmocka_unit_test(test_pointer_get),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
