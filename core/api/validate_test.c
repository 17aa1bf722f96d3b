/* Tests for core/api/validate: kube's name/label rules and messages, causes and the 422 Status. */
#include "api/test_json.h"
#include "api/validate.h"

#define SUBDOMAIN_MSG "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define LABEL_MSG "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"

static void test_subdomain_and_label(void **state)
{
    const char *m[SKIFF_API_CHECK_MAX];
    assert_int_equal(skiff_api_check_dns1123_subdomain("example.com", m), 0);
    assert_int_equal(skiff_api_check_dns1123_subdomain("a-b.c1", m), 0);
    assert_int_equal(skiff_api_check_dns1123_subdomain("Foo", m), 1);
    assert_string_equal(m[0], SUBDOMAIN_MSG);
    assert_int_equal(skiff_api_check_dns1123_subdomain("a..b", m), 1);
    assert_int_equal(skiff_api_check_dns1123_subdomain("-a", m), 1);
    assert_int_equal(skiff_api_check_dns1123_subdomain("a.", m), 1);
    assert_int_equal(skiff_api_check_dns1123_subdomain("", m), 1);
    char big[300];
    memset(big, 'a', 254); big[254] = 0;
    assert_int_equal(skiff_api_check_dns1123_subdomain(big, m), 1);
    assert_string_equal(m[0], "must be no more than 253 characters");

    assert_int_equal(skiff_api_check_dns1123_label("kube-system", m), 0);
    assert_int_equal(skiff_api_check_dns1123_label("a.b", m), 1);
    assert_string_equal(m[0], LABEL_MSG);
    memset(big, 'a', 64); big[64] = 0;
    assert_int_equal(skiff_api_check_dns1123_label(big, m), 1);
    assert_string_equal(m[0], "must be no more than 63 characters");
    assert_int_equal(skiff_api_check_dns1035_label("1abc", m), 1);
    assert_non_null(strstr(m[0], "a DNS-1035 label must consist"));
    assert_int_equal(skiff_api_check_dns1035_label("abc-1", m), 0);
}

static void test_keys_values_paths(void **state)
{
    const char *m[SKIFF_API_CHECK_MAX];
    assert_int_equal(skiff_api_check_qualified_name("app", m), 0);
    assert_int_equal(skiff_api_check_qualified_name("app.kubernetes.io/name", m), 0);
    assert_int_equal(skiff_api_check_qualified_name("My_Key.1", m), 0);
    assert_int_equal(skiff_api_check_qualified_name("a/b/c", m), 1);
    assert_non_null(strstr(m[0], "with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"));
    assert_int_equal(skiff_api_check_qualified_name("/x", m), 1);
    assert_string_equal(m[0], "prefix part must be non-empty");
    assert_int_equal(skiff_api_check_qualified_name("Ex.com/x", m), 1);
    assert_true(!strncmp(m[0], "prefix part a lowercase RFC 1123 subdomain", 42));
    assert_int_equal(skiff_api_check_qualified_name("x/", m), 1);
    assert_string_equal(m[0], "name part must be non-empty");
    assert_int_equal(skiff_api_check_qualified_name("_x", m), 1);
    assert_true(!strncmp(m[0], "name part must consist of alphanumeric characters", 49));

    assert_int_equal(skiff_api_check_label_value("", m), 0);
    assert_int_equal(skiff_api_check_label_value("v1.2_x-y", m), 0);
    assert_int_equal(skiff_api_check_label_value("a b", m), 1);
    assert_true(!strncmp(m[0], "a valid label must be an empty string", 37));

    assert_int_equal(skiff_api_check_path_segment_name("ok", m), 0);
    assert_int_equal(skiff_api_check_path_segment_name("..", m), 1);
    assert_string_equal(m[0], "may not be '..'");
    assert_int_equal(skiff_api_check_path_segment_name(".", m), 1);
    assert_string_equal(m[0], "may not be '.'");
    assert_int_equal(skiff_api_check_path_segment_name("a/b%", m), 2);
    assert_string_equal(m[0], "may not contain '/'");
    assert_string_equal(m[1], "may not contain '%'");
}

static void test_object_meta_and_status(void **state)
{
    cJSON *causes = cJSON_CreateArray();
    cJSON *ns = tj("{'kind':'Namespace','metadata':{'name':'Foo'}}");
    assert_int_equal(skiff_api_validate_object_meta(ns, SKIFF_API_NAME_LABEL, 0, causes), 1);
    cJSON *st = skiff_api_status_invalid("Namespace", "", "Foo", causes);
    assert_non_null(st);
    assert_string_equal(cJSON_GetObjectItem(st, "message")->valuestring,
                        "Namespace \"Foo\" is invalid: metadata.name: Invalid value: \"Foo\": " LABEL_MSG);
    assert_int_equal(cJSON_GetObjectItem(st, "code")->valueint, 422);
    assert_string_equal(cJSON_GetObjectItem(st, "reason")->valuestring, "Invalid");
    cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "details"), "causes"), 0);
    assert_string_equal(cJSON_GetObjectItem(c0, "reason")->valuestring, "FieldValueInvalid");
    assert_string_equal(cJSON_GetObjectItem(c0, "field")->valuestring, "metadata.name");
    assert_string_equal(cJSON_GetObjectItem(c0, "message")->valuestring, "Invalid value: \"Foo\": " LABEL_MSG);
    cJSON_Delete(st);
    cJSON_Delete(ns);

    causes = cJSON_CreateArray();
    cJSON *d = tj("{'metadata':{'name':'a/b','namespace':'default','labels':{'ok':'v','bad key':'x'},'annotations':{'A.io/x':'1'}}}");
    assert_int_equal(skiff_api_validate_object_meta(d, SKIFF_API_NAME_SUBDOMAIN, 1, causes), 3);
    st = skiff_api_status_invalid("Deployment", "apps", "a/b", causes);
    const char *msg = cJSON_GetObjectItem(st, "message")->valuestring;
    assert_true(!strncmp(msg, "Deployment.apps \"a/b\" is invalid: [metadata.name: Invalid value: \"a/b\": may not contain '/', "
                              "metadata.name: Invalid value: \"a/b\": a lowercase RFC 1123 subdomain", 150));
    assert_non_null(strstr(msg, "metadata.labels: Invalid value: \"bad key\": name part must consist"));
    assert_int_equal(msg[strlen(msg) - 1], ']');
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "details"), "group")->valuestring, "apps");
    cJSON_Delete(st);
    cJSON_Delete(d);

    /* Missing name; namespace on a cluster-scoped kind; annotations too big; generateName. */
    causes = cJSON_CreateArray();
    cJSON *x = tj("{'metadata':{'namespace':'x'}}");
    assert_int_equal(skiff_api_validate_object_meta(x, SKIFF_API_NAME_SUBDOMAIN, 0, causes), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(causes, 0), "message")->valuestring,
                        "Required value: name or generateName is required");
    cJSON_Delete(x);
    cJSON_Delete(causes);

    causes = cJSON_CreateArray();
    char *big = malloc(SKIFF_API_ANNOTATIONS_MAX_BYTES + 10);
    memset(big, 'v', SKIFF_API_ANNOTATIONS_MAX_BYTES);
    big[SKIFF_API_ANNOTATIONS_MAX_BYTES] = 0;
    x = tj("{'metadata':{'generateName':'web-','annotations':{}}}");
    cJSON_AddStringToObject(cJSON_GetObjectItem(cJSON_GetObjectItem(x, "metadata"), "annotations"), "k", big);
    assert_int_equal(skiff_api_validate_object_meta(x, SKIFF_API_NAME_SUBDOMAIN, 1, causes), 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(causes, 0), "message")->valuestring,
                        "Too long: must have at most 262144 bytes");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(causes, 0), "reason")->valuestring, "FieldValueTooLong");
    free(big);
    cJSON_Delete(x);
    cJSON_Delete(causes);

    /* Labels that are not a map, or values that are not strings: causes, not a crash. */
    causes = cJSON_CreateArray();
    x = tj("{'metadata':{'name':'a','labels':[{'name':'x'}],'annotations':'s'}}");
    assert_int_equal(skiff_api_validate_object_meta(x, SKIFF_API_NAME_SUBDOMAIN, 1, causes), 2);
    cJSON_Delete(x);
    x = tj("{'metadata':{'name':'a','labels':{'k':1}}}");
    assert_int_equal(skiff_api_validate_object_meta(x, SKIFF_API_NAME_SUBDOMAIN, 1, causes), 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(causes, 2), "message")->valuestring,
                        "Invalid value: label values must be strings");
    cJSON_Delete(x);
    cJSON_Delete(causes);

    /* Rules per kind; RBAC names only need to be path segments. */
    assert_int_equal(skiff_api_name_rule_for_kind("Namespace"), SKIFF_API_NAME_LABEL);
    assert_int_equal(skiff_api_name_rule_for_kind("Service"), SKIFF_API_NAME_DNS1035);
    assert_int_equal(skiff_api_name_rule_for_kind("ClusterRole"), SKIFF_API_NAME_PATH_SEGMENT);
    assert_int_equal(skiff_api_name_rule_for_kind("Deployment"), SKIFF_API_NAME_SUBDOMAIN);
    causes = cJSON_CreateArray();
    x = tj("{'metadata':{'name':'system:controller:x'}}");
    assert_int_equal(skiff_api_validate_object_meta(x, SKIFF_API_NAME_PATH_SEGMENT, 0, causes), 0);
    assert_int_equal(skiff_api_validate_object_meta(x, SKIFF_API_NAME_SUBDOMAIN, 0, causes), 1);
    cJSON_Delete(x);
    x = tj("{'metadata':{'name':'a/b'}}");
    assert_int_equal(skiff_api_validate_object_meta(x, SKIFF_API_NAME_PATH_SEGMENT, 0, causes), 1);
    cJSON_Delete(x);
    cJSON_Delete(causes);

    /* Go-style quoting of odd values. */
    causes = cJSON_CreateArray();
    assert_int_equal(skiff_api_causes_invalid(causes, "f", "a\"b\n", "bad"), 0);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(causes, 0), "message")->valuestring, "Invalid value: \"a\\\"b\\n\": bad");
    cJSON_Delete(causes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subdomain_and_label),
        cmocka_unit_test(test_keys_values_paths),
        cmocka_unit_test(test_object_meta_and_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
