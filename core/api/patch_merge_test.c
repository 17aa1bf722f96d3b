/* Tests for core/api/patch_merge: RFC 7386 appendix A cases plus kubectl's bodies. */
#include "api/test_json.h"
#include "api/patch_merge.h"
#include "api/json_limits.h"

static void check(const char *doc, const char *patch, const char *want)
{
    cJSON *d = tj(doc), *p = tj(patch), *out = NULL;
    skiff_error_t err = {0};
    assert_int_equal(skiff_api_merge_patch(d, p, &out, &err), 0);
    assert_json(out, want);
    /* The inputs are borrowed, never modified. */
    assert_json(d, doc);
    cJSON_Delete(d); cJSON_Delete(p); cJSON_Delete(out);
}

static void test_rfc7386_examples(void **state)
{
    check("{'a':'b'}", "{'a':'c'}", "{'a':'c'}");
    check("{'a':'b'}", "{'b':'c'}", "{'a':'b','b':'c'}");
    check("{'a':'b'}", "{'a':null}", "{}");
    check("{'a':'b','b':'c'}", "{'a':null}", "{'b':'c'}");
    check("{'a':['b']}", "{'a':'c'}", "{'a':'c'}");
    check("{'a':'c'}", "{'a':['b']}", "{'a':['b']}");
    check("{'a':'c','z':1}", "{'a':{'b':null,'c':1}}", "{'a':{'c':1},'z':1}");
    check("{'a':{'b':'c'}}", "{'a':{'b':'d','c':null}}", "{'a':{'b':'d'}}");
    check("{'a':[{'b':'c'}]}", "{'a':[1]}", "{'a':[1]}");
    check("['a','b']", "['c','d']", "['c','d']");
    check("{'a':'b'}", "['c']", "['c']");
    check("{'a':'foo'}", "null", "null");
    check("{'a':'foo'}", "'bar'", "'bar'");
    check("{'e':null}", "{'a':1}", "{'e':null,'a':1}");
    check("[1,2]", "{'a':'b','c':null}", "{'a':'b'}");
    check("{}", "{'a':{'bb':{'ccc':null}}}", "{'a':{'bb':{}}}");
}

static void test_kubectl_bodies(void **state)
{
    /* kubectl label pod X k=v / k- and scale. */
    check("{'metadata':{'name':'p','labels':{'app':'web'}}}", "{'metadata':{'labels':{'k':'v'}}}",
          "{'metadata':{'name':'p','labels':{'app':'web','k':'v'}}}");
    check("{'metadata':{'name':'p','labels':{'app':'web','k':'v'}}}", "{'metadata':{'labels':{'k':null}}}",
          "{'metadata':{'name':'p','labels':{'app':'web'}}}");
    check("{'spec':{'replicas':1,'selector':{}}}", "{'spec':{'replicas':3}}", "{'spec':{'replicas':3,'selector':{}}}");
}

static void test_key_order_kept(void **state)
{
    cJSON *d = tj("{'a':{'x':1},'b':2}"), *p = tj("{'a':{'y':2}}"), *out = NULL;
    assert_int_equal(skiff_api_merge_patch(d, p, &out, NULL), 0);
    assert_string_equal(out->child->string, "a");
    cJSON_Delete(d); cJSON_Delete(p); cJSON_Delete(out);
}

static void test_null_doc_and_errors(void **state)
{
    cJSON *p = tj("{'a':{'b':null,'c':1}}"), *out = NULL;
    skiff_error_t err = {0};
    assert_int_equal(skiff_api_merge_patch(NULL, p, &out, &err), 0);
    assert_json(out, "{'a':{'c':1}}");
    cJSON_Delete(out);
    assert_int_equal(skiff_api_merge_patch(NULL, NULL, &out, &err), SKIFF_E_INVALID);
    assert_null(out);
    cJSON_Delete(p);
}

static void test_depth_bounded(void **state)
{
    /* 200 nested objects both in doc and patch: refused, no crash. */
    char buf[4096] = "", tail[4096] = "";
    for (int i = 0; i < 200; i++) { strcat(buf, "{\"a\":"); strcat(tail, "}"); }
    char *s = malloc(8192);
    snprintf(s, 8192, "%s1%s", buf, tail);
    cJSON *d = cJSON_Parse(s), *p = cJSON_Parse(s), *out = NULL;
    skiff_error_t err = {0};
    assert_int_equal(skiff_api_merge_patch(d, p, &out, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "deeper"));
    assert_null(out);
    cJSON_Delete(d); cJSON_Delete(p); free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7386_examples),
        cmocka_unit_test(test_kubectl_bodies),
        cmocka_unit_test(test_key_order_kept),
        cmocka_unit_test(test_null_doc_and_errors),
        cmocka_unit_test(test_depth_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
