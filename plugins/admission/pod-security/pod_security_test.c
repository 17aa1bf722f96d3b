/* Tests for admission/pod-security through an in-process API server:
 * levels from namespace labels and the cluster default, Kubernetes' check
 * order and wording. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <skiff/skiff.h>

#include "../common/adm_testenv.h"

extern const skiff_plugin_t skiff_plugin;

static void ns(adm_env_t *e, const char *name, const char *level)
{
    char body[300];
    snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"%s\",\"labels\":{\"pod-security.kubernetes.io/enforce\":\"%s\"}}}", name, level);
    assert_int_equal(adm_env_call(e, "POST", "/api/v1/namespaces", NULL, body, NULL, 0, NULL), 201);
}

static int pod(adm_env_t *e, const char *nsname, const char *spec, char *msg, size_t len)
{
    char path[200], body[2000];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods", nsname);
    snprintf(body, sizeof body, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},\"spec\":%s}", spec);
    return adm_env_call(e, "POST", path, NULL, body, msg, len, NULL);
}

static void test_restricted(void **state)
{
    (void)state;
    adm_env_t e;
    adm_env_up(&e, &skiff_plugin, NULL);
    ns(&e, "r", "restricted");
    char msg[4096];
    assert_int_equal(pod(&e, "r", "{\"containers\":[{\"name\":\"a\",\"image\":\"x:1\"},{\"name\":\"b\",\"image\":\"x:1\","
                                  "\"securityContext\":{\"runAsUser\":0,\"capabilities\":{\"add\":[\"SYS_TIME\"]}}}],"
                                  "\"volumes\":[{\"name\":\"h\",\"hostPath\":{\"path\":\"/\"}}]}", msg, sizeof msg), 403);
    assert_string_equal(msg, "pods \"p\" is forbidden: t: violates PodSecurity \"restricted:latest\": "
        "allowPrivilegeEscalation != false (containers \"a\", \"b\" must set securityContext.allowPrivilegeEscalation=false), "
        "unrestricted capabilities (containers \"a\", \"b\" must set securityContext.capabilities.drop=[\"ALL\"]; container \"b\" must not include \"SYS_TIME\" in securityContext.capabilities.add), "
        "restricted volume types (volume \"h\" uses restricted volume type \"hostPath\"), "
        "runAsNonRoot != true (pod or containers \"a\", \"b\" must set securityContext.runAsNonRoot=true), "
        "runAsUser=0 (container \"b\" must not set runAsUser=0), "
        "seccompProfile (pod or containers \"a\", \"b\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")");
    assert_int_equal(pod(&e, "r", "{\"securityContext\":{\"runAsNonRoot\":true,\"seccompProfile\":{\"type\":\"RuntimeDefault\"}},"
                                  "\"containers\":[{\"name\":\"a\",\"image\":\"x:1\",\"securityContext\":{\"allowPrivilegeEscalation\":false,"
                                  "\"capabilities\":{\"drop\":[\"ALL\"],\"add\":[\"NET_BIND_SERVICE\"]}}}]}", msg, sizeof msg), 201);
    adm_env_down(&e);
}

static void test_baseline_and_default(void **state)
{
    (void)state;
    adm_env_t e;
    adm_env_up(&e, &skiff_plugin, (const char *[]){ "enforce=baseline", NULL });
    ns(&e, "p", "privileged");
    char msg[4096];
    const char *bad = "{\"hostNetwork\":true,\"hostPID\":true,\"containers\":[{\"name\":\"a\",\"image\":\"x:1\","
                      "\"ports\":[{\"containerPort\":80,\"hostPort\":8080}],\"securityContext\":{\"privileged\":true}}]}";
    /* default (no label) is the setting: baseline */
    assert_int_equal(pod(&e, "default", bad, msg, sizeof msg), 403);
    assert_string_equal(msg, "pods \"p\" is forbidden: t: violates PodSecurity \"baseline:latest\": "
        "host namespaces (hostNetwork=true, hostPID=true), hostPort (container \"a\" uses hostPort 8080), "
        "privileged (container \"a\" must not set securityContext.privileged=true)");
    assert_int_equal(pod(&e, "p", bad, msg, sizeof msg), 201);
    adm_env_down(&e);
}

static void test_bad_setting(void **state)
{
    (void)state;
    skiff_instance_t *i = NULL;
    skiff_error_t err;
    assert_true(skiff_instance_new(&skiff_plugin, "t", (const char *[]){ "enforce=strict", NULL }, NULL, &i, &err) < 0);
    assert_non_null(strstr(err.msg, "enforce = \"strict\": want one of privileged, baseline, restricted"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restricted),
        cmocka_unit_test(test_baseline_and_default),
        cmocka_unit_test(test_bad_setting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
