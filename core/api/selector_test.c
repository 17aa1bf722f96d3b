/* Tests for core/api/selector: label selectors (string and object) and field selectors. */
#include "api/test_json.h"
#include "api/selector.h"

static int lmatch(const char *sel, const char *labels)
{
    skiff_api_selector_t *s = NULL;
    skiff_error_t err = {0};
    if (skiff_api_label_selector_parse(sel, &s, NULL, &err)) fail_msg("parse %s: %s", sel, err.msg);
    cJSON *l = labels ? tj(labels) : NULL;
    int m = skiff_api_selector_matches(s, l);
    cJSON_Delete(l);
    skiff_api_selector_free(s);
    return m;
}

static void lbad(const char *sel, const char *msg, size_t pos)
{
    skiff_api_selector_t *s = (void *)1;
    skiff_error_t err = {0};
    size_t at = 999;
    assert_int_equal(skiff_api_label_selector_parse(sel, &s, &at, &err), SKIFF_E_INVALID);
    assert_null(s);
    if (strcmp(err.msg, msg)) fail_msg("selector %s:\n  got  %s\n  want %s", sel, err.msg, msg);
    if (pos != (size_t)-1) assert_int_equal(at, pos);
}

static void test_label_ops(void **state)
{
    const char *L = "{'app':'web','tier':'fe','n':'5'}";
    assert_true(lmatch("", L));
    assert_true(lmatch("", NULL));
    assert_true(lmatch("app=web", L));
    assert_true(lmatch("app==web", L));
    assert_false(lmatch("app=db", L));
    assert_true(lmatch("app!=db", L));
    assert_true(lmatch("missing!=x", L));
    assert_false(lmatch("app!=web", L));
    assert_true(lmatch("tier in (fe, be)", L));
    assert_false(lmatch("tier in (be)", L));
    assert_true(lmatch("tier notin (be)", L));
    assert_true(lmatch("missing notin (be)", L));
    assert_false(lmatch("tier notin (fe)", L));
    assert_true(lmatch("app", L));
    assert_false(lmatch("nope", L));
    assert_true(lmatch("!nope", L));
    assert_false(lmatch("!app", L));
    assert_true(lmatch("n>3,n<6", L));
    assert_false(lmatch("n>5", L));
    assert_true(lmatch(" app = web , tier in (fe) , !x ", L));
    assert_false(lmatch("app=web,tier=be", L));
    assert_true(lmatch("in in (in,notin)", "{'in':'notin'}"));
    assert_true(lmatch("a=", "{'a':''}"));
    assert_true(lmatch("example.com/k=v", "{'example.com/k':'v'}"));
}

static void test_label_errors(void **state)
{
    lbad("type=app,versionv1.0.1)", "unable to parse requirement: found ')', expected: in, notin, =, ==, !=, gt, lt", 22);
    lbad("env IN (a)", "unable to parse requirement: found 'IN', expected: in, notin, =, ==, !=, gt, lt", 4);
    lbad("x (", "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt", 2);
    lbad("a in b", "unable to parse requirement: found 'b' expected: '('", 5);
    lbad("a in (b c)", "unable to parse requirement: found 'c', expected: ',' or ')'", 8);
    lbad("a=b c", "found 'c', expected: ',' or 'end of string'", 4);
    lbad("a=b,", "found '', expected: identifier after ','", 4);
    lbad(",a", "found ',', expected: !, identifier, or 'end of string'", 0);
    lbad("a=(", "unable to parse requirement: found '(', expected: identifier", 2);
    lbad("a b=c", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt", 2);
    lbad("a=b!c", "found '!', expected: ',' or 'end of string'", 3);
    lbad("a>x", "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer", 0);
    lbad("-bad=1",
         "unable to parse requirement: key: Invalid value: \"-bad\": name part must consist of alphanumeric characters, '-', '_' or '.', "
         "and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
         "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')", 0);
    lbad("a=-x", "unable to parse requirement: values[0][a]: Invalid value: \"-x\": a valid label must be an empty string or consist of "
         "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
         "'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')", 0);
}

static void test_label_object(void **state)
{
    skiff_api_selector_t *s = NULL;
    skiff_error_t err = {0};
    cJSON *ls = tj("{'matchLabels':{'app':'web'},'matchExpressions':[{'key':'tier','operator':'In','values':['fe','be']},"
                   "{'key':'canary','operator':'DoesNotExist'},{'key':'app','operator':'Exists'}]}");
    assert_int_equal(skiff_api_label_selector_from_object(ls, &s, &err), 0);
    cJSON *l1 = tj("{'app':'web','tier':'be'}"), *l2 = tj("{'app':'web','tier':'be','canary':'1'}"), *l3 = tj("{'app':'web'}");
    assert_true(skiff_api_selector_matches(s, l1));
    assert_false(skiff_api_selector_matches(s, l2));
    assert_false(skiff_api_selector_matches(s, l3));
    char *str = skiff_api_selector_format(s);
    assert_string_equal(str, "app=web,app,!canary,tier in (be,fe)");
    free(str);
    skiff_api_selector_free(s);
    cJSON_Delete(ls);

    /* {} matches all; null / missing matches nothing. */
    cJSON *empty = tj("{}");
    assert_int_equal(skiff_api_label_selector_from_object(empty, &s, &err), 0);
    assert_true(skiff_api_selector_matches(s, l2));
    skiff_api_selector_free(s);
    assert_int_equal(skiff_api_label_selector_from_object(NULL, &s, &err), 0);
    assert_false(skiff_api_selector_matches(s, l2));
    skiff_api_selector_free(s);
    cJSON_Delete(empty);

    cJSON *bad = tj("{'matchExpressions':[{'key':'a','operator':'Foo'}]}");
    assert_int_equal(skiff_api_label_selector_from_object(bad, &s, &err), SKIFF_E_INVALID);
    assert_string_equal(err.msg, "matchExpressions[0].operator: \"Foo\" is not a valid label selector operator");
    cJSON_Delete(bad);
    bad = tj("{'matchExpressions':[{'key':'a','operator':'In','values':[]}]}");
    assert_int_equal(skiff_api_label_selector_from_object(bad, &s, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "values set can't be empty"));
    cJSON_Delete(bad);
    bad = tj("{'matchLabels':{'a':'b c'}}");
    assert_int_equal(skiff_api_label_selector_from_object(bad, &s, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "a valid label must be"));
    cJSON_Delete(bad);
    cJSON_Delete(l1); cJSON_Delete(l2); cJSON_Delete(l3);

    /* The string form round-trips through the parser. */
    assert_int_equal(skiff_api_label_selector_parse("b notin (y,x),a", &s, NULL, &err), 0);
    str = skiff_api_selector_format(s);
    assert_string_equal(str, "a,b notin (x,y)");
    free(str);
    skiff_api_selector_free(s);
}

static int fmatch(const char *sel, const char *obj)
{
    skiff_api_field_selector_t *s = NULL;
    skiff_error_t err = {0};
    if (skiff_api_field_selector_parse(sel, &s, &err)) fail_msg("parse %s: %s", sel, err.msg);
    cJSON *o = tj(obj);
    int m = skiff_api_field_selector_matches(s, o, NULL, NULL);
    cJSON_Delete(o);
    skiff_api_field_selector_free(s);
    return m;
}

static int only_name(const cJSON *obj, const char *field, char *buf, size_t len, void *arg)
{
    (*(int *)arg)++;
    if (strcmp(field, "metadata.name")) return -1;
    return skiff_api_field_get_default(obj, field, buf, len, NULL);
}

static void test_field_selectors(void **state)
{
    const char *pod = "{'metadata':{'name':'p','namespace':'default'},'spec':{'nodeName':'n1'},'status':{'phase':'Running'}}";
    assert_true(fmatch("", pod));
    assert_true(fmatch("metadata.name=p", pod));
    assert_true(fmatch("metadata.name==p,metadata.namespace=default", pod));
    assert_false(fmatch("metadata.name=q", pod));
    assert_true(fmatch("spec.nodeName=n1,status.phase!=Succeeded,status.phase!=Failed", pod));
    assert_false(fmatch("spec.nodeName=n1,status.phase!=Running", pod));
    /* describe node: involvedObject.namespace= (empty) matches a missing namespace. */
    const char *ev = "{'involvedObject':{'kind':'Node','name':'n1','uid':'u'}}";
    assert_true(fmatch("involvedObject.kind=Node,involvedObject.namespace=", ev));
    assert_true(fmatch("involvedObject.name=n1,involvedObject.uid=u", ev));
    assert_true(fmatch("a\\,b=x\\=y", "{'a,b':'x=y'}")); /* escaped ',' and '=' */
    assert_true(fmatch("spec.replicas=3,spec.paused=true", "{'spec':{'replicas':3,'paused':true}}"));

    skiff_api_field_selector_t *s = NULL;
    skiff_error_t err = {0};
    assert_int_equal(skiff_api_field_selector_parse("metadata.name", &s, &err), SKIFF_E_INVALID);
    assert_string_equal(err.msg, "invalid selector: 'metadata.name'; can't understand 'metadata.name'");
    assert_int_equal(skiff_api_field_selector_parse("a=1,b", &s, &err), SKIFF_E_INVALID);
    assert_string_equal(err.msg, "invalid selector: 'a=1,b'; can't understand 'b'");

    assert_int_equal(skiff_api_field_selector_parse("metadata.name=p,spec.foo=x", &s, &err), 0);
    assert_int_equal(s->n, 2);
    assert_string_equal(s->reqs[1].field, "spec.foo");
    const char *allowed[] = { "metadata.name", "metadata.namespace", NULL };
    assert_int_equal(skiff_api_field_selector_check(s, allowed, &err), SKIFF_E_INVALID);
    assert_string_equal(err.msg, "field label not supported: spec.foo");
    assert_int_equal(skiff_api_field_selector_check(s, skiff_api_field_selector_allowed("configmaps"), &err), SKIFF_E_INVALID);
    skiff_api_field_selector_t *ok_sel = NULL;
    assert_int_equal(skiff_api_field_selector_parse("spec.nodeName=n1,status.phase!=Failed", &ok_sel, &err), 0);
    assert_int_equal(skiff_api_field_selector_check(ok_sel, skiff_api_field_selector_allowed("pods"), &err), 0);
    assert_int_equal(skiff_api_field_selector_check(ok_sel, skiff_api_field_selector_allowed("configmaps"), &err), SKIFF_E_INVALID);
    assert_string_equal(err.msg, "field label not supported: spec.nodeName");
    skiff_api_field_selector_free(ok_sel);
    assert_int_equal(skiff_api_field_selector_parse("involvedObject.uid=u,involvedObject.namespace=", &ok_sel, &err), 0);
    assert_int_equal(skiff_api_field_selector_check(ok_sel, skiff_api_field_selector_allowed("events"), &err), 0);
    skiff_api_field_selector_free(ok_sel);
    /* A callback that knows only metadata.name: unknown fields never match. */
    int calls = 0;
    cJSON *o = tj(pod);
    assert_false(skiff_api_field_selector_matches(s, o, only_name, &calls));
    assert_int_equal(calls, 2);
    skiff_api_field_selector_free(s);
    assert_int_equal(skiff_api_field_selector_parse("x\\,y=1", &s, &err), 0);
    assert_string_equal(s->reqs[0].field, "x,y");
    skiff_api_field_selector_free(s);
    cJSON_Delete(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label_ops),
        cmocka_unit_test(test_label_errors),
        cmocka_unit_test(test_label_object),
        cmocka_unit_test(test_field_selectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
