/* Tests for admission/webhook's clientConfig.service resolution against an
 * in-process API server: EndpointSlices first, then Endpoints, then the
 * clusterIP; the URL is the one Kubernetes uses (https://name.ns.svc:port/path). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <skiff/skiff.h>

#include "../common/adm_testenv.h"
#include "service.h"

extern const skiff_plugin_t skiff_plugin;

static skiff_host_t host;

static void setup_host(void)
{
    memset(&host, 0, sizeof host);
    host.size = sizeof host;
    host.api_get = skiff_host_api_get;
    host.api_list = skiff_host_api_list;
    host.api_free = skiff_host_api_free;
}

static void post(adm_env_t *e, const char *path, const char *json)
{
    char msg[512];
    int code = adm_env_call(e, "POST", path, NULL, json, msg, sizeof msg, NULL);
    if (code != 201) fail_msg("POST %s: %d %s", path, code, msg);
}

static int resolve(const char *svc_json, webhook_target_t *t, char *why, size_t len)
{
    cJSON *svc = cJSON_Parse(svc_json);
    int rc = webhook_service_resolve(&host, NULL, svc, t, why, len);
    cJSON_Delete(svc);
    return rc;
}

static void test_service_resolution(void **state)
{
    (void)state;
    setup_host();
    adm_env_t e;
    adm_env_up(&e, &skiff_plugin, (const char *[]){ "phase=validating", NULL });
    webhook_target_t t;
    char why[600];

    assert_int_equal(resolve("{\"namespace\":\"default\",\"name\":\"nope\",\"path\":\"/v\"}", &t, why, sizeof why), -1);
    assert_string_equal(why, "Post \"https://nope.default.svc:443/v\": service \"nope\" not found");

    /* a Service with a clusterIP and nothing else: the clusterIP on the service port */
    post(&e, "/api/v1/namespaces/default/services",
         "{\"metadata\":{\"name\":\"hook\"},\"spec\":{\"ports\":[{\"name\":\"https\",\"port\":443,\"targetPort\":8443},"
         "{\"name\":\"other\",\"port\":9000}]}}");
    assert_int_equal(resolve("{\"namespace\":\"default\",\"name\":\"hook\",\"path\":\"/mutate\"}", &t, why, sizeof why), 0);
    assert_string_equal(t.url, "https://hook.default.svc:443/mutate");
    assert_non_null(strstr(t.connect, "hook.default.svc:443:"));
    assert_string_equal(t.connect + strlen(t.connect) - 4, ":443");

    assert_int_equal(resolve("{\"namespace\":\"default\",\"name\":\"hook\",\"port\":444}", &t, why, sizeof why), -1);
    assert_string_equal(why, "Post \"https://hook.default.svc:444\": service \"hook\" has no port 444");

    /* Endpoints: the ready address on the port named like the service port */
    post(&e, "/api/v1/namespaces/default/endpoints",
         "{\"metadata\":{\"name\":\"hook\"},\"subsets\":[{\"addresses\":[{\"ip\":\"127.0.0.7\"}],"
         "\"notReadyAddresses\":[{\"ip\":\"127.0.0.9\"}],\"ports\":[{\"name\":\"other\",\"port\":1},{\"name\":\"https\",\"port\":8443}]}]}");
    assert_int_equal(resolve("{\"namespace\":\"default\",\"name\":\"hook\",\"path\":\"/m\"}", &t, why, sizeof why), 0);
    assert_string_equal(t.connect, "hook.default.svc:443:127.0.0.7:8443");
    assert_int_equal(resolve("{\"namespace\":\"default\",\"name\":\"hook\",\"port\":9000}", &t, why, sizeof why), 0);
    assert_string_equal(t.connect, "hook.default.svc:9000:127.0.0.7:1");

    /* EndpointSlices win over Endpoints; a not-ready endpoint is skipped */
    post(&e, "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
         "{\"metadata\":{\"name\":\"hook-abcde\",\"labels\":{\"kubernetes.io/service-name\":\"hook\"}},\"addressType\":\"IPv4\","
         "\"endpoints\":[{\"addresses\":[\"127.0.0.3\"],\"conditions\":{\"ready\":false}},{\"addresses\":[\"127.0.0.4\"],\"conditions\":{\"ready\":true}}],"
         "\"ports\":[{\"name\":\"https\",\"port\":9443}]}");
    assert_int_equal(resolve("{\"namespace\":\"default\",\"name\":\"hook\",\"path\":\"/m\"}", &t, why, sizeof why), 0);
    assert_string_equal(t.connect, "hook.default.svc:443:127.0.0.4:9443");

    assert_int_equal(resolve("{\"name\":\"hook\"}", &t, why, sizeof why), -1);
    assert_string_equal(why, "clientConfig.service needs namespace and name");
    adm_env_down(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_service_resolution),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
