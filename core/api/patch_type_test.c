/* Tests for core/api/patch_type: Content-Type dispatch as kubectl sends it. */
#include "api/test_json.h"
#include "api/patch_type.h"

static void test_types(void **state)
{
    assert_int_equal(skiff_api_patch_type("application/json-patch+json"), SKIFF_API_PATCH_JSON);
    assert_int_equal(skiff_api_patch_type("application/merge-patch+json"), SKIFF_API_PATCH_MERGE);
    assert_int_equal(skiff_api_patch_type("application/strategic-merge-patch+json"), SKIFF_API_PATCH_STRATEGIC);
    assert_int_equal(skiff_api_patch_type("application/apply-patch+yaml"), SKIFF_API_PATCH_APPLY);
    assert_int_equal(skiff_api_patch_type(" Application/Merge-Patch+JSON ; charset=utf-8"), SKIFF_API_PATCH_MERGE);
    assert_int_equal(skiff_api_patch_type("application/json"), SKIFF_API_PATCH_UNKNOWN);
    assert_int_equal(skiff_api_patch_type("application/merge-patch+jsonx"), SKIFF_API_PATCH_UNKNOWN);
    assert_int_equal(skiff_api_patch_type(NULL), SKIFF_API_PATCH_UNKNOWN);
}

static void test_dispatch(void **state)
{
    cJSON *doc = tj("{'spec':{'containers':[{'name':'a','image':'1'}]}}"), *out = NULL;
    skiff_error_t err = {0};
    cJSON *smp = tj("{'spec':{'containers':[{'name':'b','image':'2'}]}}");
    assert_int_equal(skiff_api_patch(SKIFF_API_PATCH_STRATEGIC, doc, smp, "Pod", &out, &err), 0);
    /* (a new item without $setElementOrder goes first, as kube's mergeSlice orders it) */
    assert_json(out, "{'spec':{'containers':[{'name':'b','image':'2'},{'name':'a','image':'1'}]}}");
    cJSON_Delete(out);
    /* The same body as a merge patch replaces the list. */
    assert_int_equal(skiff_api_patch(SKIFF_API_PATCH_MERGE, doc, smp, "Pod", &out, &err), 0);
    assert_json(out, "{'spec':{'containers':[{'name':'b','image':'2'}]}}");
    cJSON_Delete(out);
    cJSON *jp = tj("[{'op':'replace','path':'/spec/containers/0/image','value':'9'}]");
    assert_int_equal(skiff_api_patch(SKIFF_API_PATCH_JSON, doc, jp, "Pod", &out, &err), 0);
    assert_json(out, "{'spec':{'containers':[{'name':'a','image':'9'}]}}");
    cJSON_Delete(out);
    assert_int_equal(skiff_api_patch(SKIFF_API_PATCH_UNKNOWN, doc, jp, "Pod", &out, &err), SKIFF_E_UNSUPPORTED);
    assert_null(out);
    assert_true(!strncmp(err.msg, "the body of the request was in an unknown format", 48));
    cJSON_Delete(doc); cJSON_Delete(smp); cJSON_Delete(jp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_dispatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
