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


/* One pod in a namespace at `level`; the message after the level prefix. */
static const char *verdict(adm_env_t *e, const char *nsname, const char *meta, const char *spec)
{
    static char msg[4096];
    char path[200], body[3000];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods", nsname);
    snprintf(body, sizeof body, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"%s%s},\"spec\":%s}",
             meta ? "," : "", meta ? meta : "", spec);
    int code = adm_env_call(e, "POST", path, NULL, body, msg, sizeof msg, NULL);
    if (code == 201) {
        char dpath[300];
        snprintf(dpath, sizeof dpath, "%s/p", path);
        adm_env_call(e, "DELETE", dpath, NULL, NULL, NULL, 0, NULL);
        return "admitted";
    }
    const char *colon = strstr(msg, "latest\": ");
    return colon ? colon + 9 : msg;
}

static void test_baseline_apparmor(void **state)
{
    (void)state;
    adm_env_t e;
    adm_env_up(&e, &skiff_plugin, NULL);
    ns(&e, "b", "baseline");
    /* field: pod and containers of every kind (init, regular, ephemeral) */
    assert_string_equal(verdict(&e, "b", NULL,
        "{\"securityContext\":{\"appArmorProfile\":{\"type\":\"Unconfined\"}},"
        "\"initContainers\":[{\"name\":\"i\",\"image\":\"x:1\",\"securityContext\":{\"appArmorProfile\":{\"type\":\"Unconfined\"}}}],"
        "\"containers\":[{\"name\":\"a\",\"image\":\"x:1\",\"securityContext\":{\"appArmorProfile\":{\"type\":\"Localhost\",\"localhostProfile\":\"k\"}}}],"
        "\"ephemeralContainers\":[{\"name\":\"dbg\",\"image\":\"x:1\",\"securityContext\":{\"appArmorProfile\":{\"type\":\"Bogus\"}}}]}"),
        "forbidden AppArmor profiles (pod and containers \"i\", \"dbg\" must not set AppArmor profile type to \"Bogus\", \"Unconfined\")");
    assert_string_equal(verdict(&e, "b", NULL,
        "{\"containers\":[{\"name\":\"a\",\"image\":\"x:1\",\"securityContext\":{\"appArmorProfile\":{\"type\":\"Unconfined\"}}}]}"),
        "forbidden AppArmor profile (container \"a\" must not set AppArmor profile type to \"Unconfined\")");
    /* deprecated annotations: empty, runtime/default and localhost/NAME are allowed */
    assert_string_equal(verdict(&e, "b",
        "\"annotations\":{\"container.apparmor.security.beta.kubernetes.io/f\":\"unknown\","
        "\"container.apparmor.security.beta.kubernetes.io/a\":\"\","
        "\"container.apparmor.security.beta.kubernetes.io/b\":\"runtime/default\","
        "\"container.apparmor.security.beta.kubernetes.io/d\":\"localhost/foo\","
        "\"container.apparmor.security.beta.kubernetes.io/e\":\"unconfined\",\"other\":\"unconfined\"}",
        "{\"containers\":[{\"name\":\"a\",\"image\":\"x:1\"}]}"),
        "forbidden AppArmor profiles (annotations must not set AppArmor profile type to "
        "\"container.apparmor.security.beta.kubernetes.io/e=\"unconfined\"\", "
        "\"container.apparmor.security.beta.kubernetes.io/f=\"unknown\"\")");
    assert_string_equal(verdict(&e, "b",
        "\"annotations\":{\"container.apparmor.security.beta.kubernetes.io/a\":\"unconfined\"}",
        "{\"securityContext\":{\"appArmorProfile\":{\"type\":\"Unconfined\"}},\"containers\":[{\"name\":\"a\",\"image\":\"x:1\"}]}"),
        "forbidden AppArmor profiles (pod and annotation must not set AppArmor profile type to "
        "\"Unconfined\", \"container.apparmor.security.beta.kubernetes.io/a=\"unconfined\"\")");
    assert_string_equal(verdict(&e, "b", "\"annotations\":{\"container.apparmor.security.beta.kubernetes.io/a\":\"localhost/x\"}",
        "{\"securityContext\":{\"appArmorProfile\":{\"type\":\"RuntimeDefault\"}},\"containers\":[{\"name\":\"a\",\"image\":\"x:1\"}]}"),
        "admitted");
    adm_env_down(&e);
}

static void test_baseline_selinux_proc_sysctl_hostprocess(void **state)
{
    (void)state;
    adm_env_t e;
    adm_env_up(&e, &skiff_plugin, NULL);
    ns(&e, "b", "baseline");
    assert_string_equal(verdict(&e, "b", NULL,
        "{\"securityContext\":{\"seLinuxOptions\":{\"type\":\"spc_t\",\"user\":\"u\"}},"
        "\"containers\":[{\"name\":\"a\",\"image\":\"x:1\",\"securityContext\":{\"seLinuxOptions\":{\"type\":\"container_engine_t\",\"role\":\"r\"}}},"
        "{\"name\":\"b\",\"image\":\"x:1\",\"securityContext\":{\"seLinuxOptions\":{\"type\":\"container_t\",\"level\":\"s0:c1\"}}}]}"),
        "seLinuxOptions (pod and container \"a\" set forbidden securityContext.seLinuxOptions: type \"spc_t\"; user may not be set; role may not be set)");
    assert_string_equal(verdict(&e, "b", NULL,
        "{\"containers\":[{\"name\":\"a\",\"image\":\"x:1\",\"securityContext\":{\"seLinuxOptions\":{\"user\":\"system_u\"}}}]}"),
        "seLinuxOptions (container \"a\" set forbidden securityContext.seLinuxOptions: user may not be set)");
    assert_string_equal(verdict(&e, "b", NULL,
        "{\"containers\":[{\"name\":\"a\",\"image\":\"x:1\",\"securityContext\":{\"procMount\":\"Unmasked\"}}],"
        "\"initContainers\":[{\"name\":\"i\",\"image\":\"x:1\",\"securityContext\":{\"procMount\":\"Default\"}}]}"),
        "procMount (container \"a\" must not set securityContext.procMount to \"Unmasked\")");
    assert_string_equal(verdict(&e, "b", NULL,
        "{\"securityContext\":{\"sysctls\":[{\"name\":\"net.ipv4.tcp_keepalive_time\",\"value\":\"1\"},"
        "{\"name\":\"kernel.msgmax\",\"value\":\"1\"},{\"name\":\"net.core.somaxconn\",\"value\":\"1\"}]},"
        "\"containers\":[{\"name\":\"a\",\"image\":\"x:1\"}]}"),
        "forbidden sysctls (kernel.msgmax, net.core.somaxconn)");
    assert_string_equal(verdict(&e, "b", NULL,
        "{\"securityContext\":{\"windowsOptions\":{\"hostProcess\":true}},\"hostNetwork\":true,"
        "\"containers\":[{\"name\":\"a\",\"image\":\"x:1\",\"securityContext\":{\"windowsOptions\":{\"hostProcess\":true}}},"
        "{\"name\":\"b\",\"image\":\"x:1\",\"securityContext\":{\"windowsOptions\":{\"hostProcess\":false}}}]}"),
        "host namespaces (hostNetwork=true), hostProcess (pod and container \"a\" must not set securityContext.windowsOptions.hostProcess=true)");
    assert_string_equal(verdict(&e, "b", NULL,
        "{\"securityContext\":{\"seccompProfile\":{\"type\":\"Unconfined\"}},"
        "\"containers\":[{\"name\":\"a\",\"image\":\"x:1\",\"ports\":[{\"containerPort\":1,\"hostPort\":8080},{\"containerPort\":2,\"hostPort\":10000}],"
        "\"securityContext\":{\"seccompProfile\":{\"type\":\"Unconfined\"},\"capabilities\":{\"add\":[\"SYS_TIME\",\"NET_ADMIN\",\"CHOWN\"]}}}]}"),
        "non-default capabilities (container \"a\" must not include \"NET_ADMIN\", \"SYS_TIME\" in securityContext.capabilities.add), "
        "hostPort (container \"a\" uses hostPorts 10000, 8080), "
        "seccompProfile (pod and container \"a\" must not set securityContext.seccompProfile.type to \"Unconfined\")");
    /* what baseline allows */
    assert_string_equal(verdict(&e, "b", NULL,
        "{\"securityContext\":{\"seLinuxOptions\":{\"type\":\"container_init_t\"},\"sysctls\":[{\"name\":\"net.ipv4.ip_local_port_range\",\"value\":\"1 2\"}]},"
        "\"containers\":[{\"name\":\"a\",\"image\":\"x:1\",\"securityContext\":{\"capabilities\":{\"add\":[\"CHOWN\"]},\"seccompProfile\":{\"type\":\"RuntimeDefault\"}}}]}"),
        "admitted");
    adm_env_down(&e);
}

static void test_restricted_details(void **state)
{
    (void)state;
    adm_env_t e;
    adm_env_up(&e, &skiff_plugin, NULL);
    ns(&e, "r", "restricted");
    const char *good_sc = "\"allowPrivilegeEscalation\":false,\"capabilities\":{\"drop\":[\"ALL\"]}";
    char spec[2000];
    /* explicit bad values are reported instead of the "must set" hints */
    snprintf(spec, sizeof spec, "{\"securityContext\":{\"runAsNonRoot\":false,\"runAsUser\":0,\"seccompProfile\":{\"type\":\"Unconfined\"}},"
             "\"containers\":[{\"name\":\"a\",\"image\":\"x:1\",\"securityContext\":{%s,\"runAsNonRoot\":false,\"runAsUser\":0}},"
             "{\"name\":\"b\",\"image\":\"x:1\",\"securityContext\":{%s}}],"
             "\"ephemeralContainers\":[{\"name\":\"e\",\"image\":\"x:1\",\"securityContext\":{%s,\"seccompProfile\":{\"type\":\"Bogus\"}}}]}",
             good_sc, good_sc, good_sc);
    assert_string_equal(verdict(&e, "r", NULL, spec),
        "runAsNonRoot != true (pod and container \"a\" must not set securityContext.runAsNonRoot=false), "
        "runAsUser=0 (pod and container \"a\" must not set runAsUser=0), "
        "seccompProfile (pod and container \"e\" must not set securityContext.seccompProfile.type to \"Bogus\", \"Unconfined\")");
    /* init containers count; volume types; NET_BIND_SERVICE only */
    snprintf(spec, sizeof spec, "{\"securityContext\":{\"runAsNonRoot\":true,\"seccompProfile\":{\"type\":\"Localhost\",\"localhostProfile\":\"p\"}},"
             "\"initContainers\":[{\"name\":\"i\",\"image\":\"x:1\",\"securityContext\":{\"capabilities\":{\"add\":[\"NET_RAW\"]}}}],"
             "\"containers\":[{\"name\":\"a\",\"image\":\"x:1\",\"securityContext\":{%s}}],"
             "\"volumes\":[{\"name\":\"ok\",\"emptyDir\":{}},{\"name\":\"n\",\"nfs\":{\"server\":\"s\",\"path\":\"/\"}},"
             "{\"name\":\"h\",\"hostPath\":{\"path\":\"/\"}},{\"name\":\"plain\"},{\"name\":\"odd\",\"madeUp\":{}}]}", good_sc);
    assert_string_equal(verdict(&e, "r", NULL, spec),
        "allowPrivilegeEscalation != false (container \"i\" must set securityContext.allowPrivilegeEscalation=false), "
        "unrestricted capabilities (container \"i\" must set securityContext.capabilities.drop=[\"ALL\"]; container \"i\" must not include \"NET_RAW\" in securityContext.capabilities.add), "
        "restricted volume types (volumes \"n\", \"h\", \"odd\" use restricted volume types \"hostPath\", \"nfs\", \"unknown\")");
    /* restricted includes every baseline check */
    snprintf(spec, sizeof spec, "{\"securityContext\":{\"runAsNonRoot\":true,\"seccompProfile\":{\"type\":\"RuntimeDefault\"},"
             "\"appArmorProfile\":{\"type\":\"Unconfined\"},\"seLinuxOptions\":{\"role\":\"x\"}},"
             "\"containers\":[{\"name\":\"a\",\"image\":\"x:1\",\"securityContext\":{%s}}]}", good_sc);
    assert_string_equal(verdict(&e, "r", NULL, spec),
        "forbidden AppArmor profile (pod must not set AppArmor profile type to \"Unconfined\"), "
        "seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: role may not be set)");
    adm_env_down(&e);
}

/* a GET, a change, a PUT: the HTTP code and the Status message */
static int put_pod(adm_env_t *e, const char *nsname, const char *image, const char *label, char *msg, size_t len)
{
    char path[200], *body = NULL;
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/p", nsname);
    assert_int_equal(adm_env_call(e, "GET", path, NULL, NULL, NULL, 0, &body), 200);
    cJSON *pod = cJSON_Parse(body);
    free(body);
    cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(pod, "spec"), "containers"), 0);
    cJSON_ReplaceItemInObject(c, "image", cJSON_CreateString(image));
    cJSON *meta = cJSON_GetObjectItem(pod, "metadata");
    cJSON_DeleteItemFromObject(meta, "labels");
    cJSON_AddItemToObject(meta, "labels", cJSON_CreateObject());
    cJSON_AddStringToObject(cJSON_GetObjectItem(meta, "labels"), "l", label);
    char *json = cJSON_PrintUnformatted(pod);
    cJSON_Delete(pod);
    int code = adm_env_call(e, "PUT", path, NULL, json, msg, len, NULL);
    free(json);
    return code;
}

/* The modes a namespace's labels give are remembered between creates (the
 * cache's memo of its last answer, and the defaults worked out once for a
 * namespace without labels): a label change, a label removal and creates
 * alternating between namespaces must all still be judged as a fresh read. */
static void test_label_changes_take_effect(void **state)
{
    (void)state;
    adm_env_t e;
    adm_env_up(&e, &skiff_plugin, NULL);
    assert_int_equal(adm_env_call(&e, "POST", "/api/v1/namespaces", NULL, "{\"metadata\":{\"name\":\"m\"}}", NULL, 0, NULL), 201);
    ns(&e, "o", "baseline");
    const char *priv = "{\"containers\":[{\"name\":\"a\",\"image\":\"x:1\",\"securityContext\":{\"privileged\":true}}]}";
    const char *why = "privileged (container \"a\" must not set securityContext.privileged=true)";
    for (int i = 0; i < 3; i++) assert_string_equal(verdict(&e, "m", NULL, priv), "admitted");
    for (int i = 0; i < 3; i++) { /* alternating: each answer for its own namespace */
        assert_string_equal(verdict(&e, "o", NULL, priv), why);
        assert_string_equal(verdict(&e, "m", NULL, priv), "admitted");
    }
    char msg[4096];
    assert_int_equal(adm_env_call(&e, "PUT", "/api/v1/namespaces/m", NULL,
        "{\"metadata\":{\"name\":\"m\",\"labels\":{\"pod-security.kubernetes.io/enforce\":\"baseline\"}}}", msg, sizeof msg, NULL), 200);
    for (int i = 0; i < 3; i++) assert_string_equal(verdict(&e, "m", NULL, priv), why);
    assert_int_equal(adm_env_call(&e, "PUT", "/api/v1/namespaces/m", NULL,
        "{\"metadata\":{\"name\":\"m\",\"labels\":{\"team\":\"x\"}}}", msg, sizeof msg, NULL), 200);
    for (int i = 0; i < 3; i++) assert_string_equal(verdict(&e, "m", NULL, priv), "admitted");
    assert_int_equal(adm_env_call(&e, "PUT", "/api/v1/namespaces/o", NULL,
        "{\"metadata\":{\"name\":\"o\",\"labels\":{\"pod-security.kubernetes.io/enforce\":\"privileged\"}}}", msg, sizeof msg, NULL), 200);
    for (int i = 0; i < 3; i++) assert_string_equal(verdict(&e, "o", NULL, priv), "admitted");
    adm_env_down(&e);
}

/* Pod updates: checked when an image changes (as kube-apiserver), not for a
 * label change; the level is the namespace's at the time of the update. */
static void test_updates(void **state)
{
    (void)state;
    adm_env_t e;
    adm_env_up(&e, &skiff_plugin, NULL);
    ns(&e, "u", "privileged");
    char msg[4096];
    assert_int_equal(pod(&e, "u", "{\"containers\":[{\"name\":\"a\",\"image\":\"x:1\",\"securityContext\":{\"privileged\":true}}]}",
                         msg, sizeof msg), 201);
    assert_int_equal(adm_env_call(&e, "PUT", "/api/v1/namespaces/u", NULL,
        "{\"metadata\":{\"name\":\"u\",\"labels\":{\"pod-security.kubernetes.io/enforce\":\"baseline\"}}}", msg, sizeof msg, NULL), 200);
    assert_int_equal(put_pod(&e, "u", "x:1", "one", msg, sizeof msg), 200);
    assert_int_equal(put_pod(&e, "u", "x:2", "two", msg, sizeof msg), 403);
    assert_string_equal(msg, "pods \"p\" is forbidden: t: violates PodSecurity \"baseline:latest\": "
        "privileged (container \"a\" must not set securityContext.privileged=true)");
    adm_env_down(&e);
}

/* pod-security.kubernetes.io/enforce-version picks the policy of that release */
static void test_versions(void **state)
{
    (void)state;
    adm_env_t e;
    adm_env_up(&e, &skiff_plugin, NULL);
    char msg[4096];
    assert_int_equal(adm_env_call(&e, "POST", "/api/v1/namespaces", NULL,
        "{\"metadata\":{\"name\":\"old\",\"labels\":{\"pod-security.kubernetes.io/enforce\":\"baseline\","
        "\"pod-security.kubernetes.io/enforce-version\":\"v1.26\"}}}", msg, sizeof msg, NULL), 201);
    ns(&e, "new", "baseline");
    const char *spec = "{\"securityContext\":{\"sysctls\":[{\"name\":\"net.ipv4.ip_local_reserved_ports\",\"value\":\"1\"}],"
                       "\"seLinuxOptions\":{\"type\":\"container_engine_t\"}},\"containers\":[{\"name\":\"a\",\"image\":\"x:1\"}]}";
    assert_int_equal(pod(&e, "old", spec, msg, sizeof msg), 403);
    assert_string_equal(msg, "pods \"p\" is forbidden: t: violates PodSecurity \"baseline:v1.26\": "
        "seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: type \"container_engine_t\"), "
        "forbidden sysctls (net.ipv4.ip_local_reserved_ports)");
    assert_string_equal(verdict(&e, "new", NULL, spec), "admitted");
    /* restricted before 1.22 checks capabilities as baseline does; runAsUser from 1.23 */
    assert_int_equal(adm_env_call(&e, "POST", "/api/v1/namespaces", NULL,
        "{\"metadata\":{\"name\":\"r21\",\"labels\":{\"pod-security.kubernetes.io/enforce\":\"restricted\","
        "\"pod-security.kubernetes.io/enforce-version\":\"v1.21\"}}}", msg, sizeof msg, NULL), 201);
    assert_int_equal(pod(&e, "r21", "{\"securityContext\":{\"runAsNonRoot\":true,\"runAsUser\":0,\"seccompProfile\":{\"type\":\"RuntimeDefault\"}},"
                                    "\"containers\":[{\"name\":\"a\",\"image\":\"x:1\",\"securityContext\":{\"allowPrivilegeEscalation\":false}}]}",
                         msg, sizeof msg), 201);
    adm_env_down(&e);
}

/* a long reason (many containers) is not cut */
static void test_long_message(void **state)
{
    (void)state;
    adm_env_t e;
    adm_env_up(&e, &skiff_plugin, NULL);
    ns(&e, "r", "restricted");
    char spec[3000] = "{\"containers\":[";
    for (int i = 0; i < 12; i++) {
        char c[120];
        snprintf(c, sizeof c, "%s{\"name\":\"container-with-a-long-name-%02d\",\"image\":\"x:1\"}", i ? "," : "", i);
        strcat(spec, c);
    }
    strcat(spec, "]}");
    const char *m = verdict(&e, "r", NULL, spec);
    assert_true(strlen(m) > 1400);
    const char *tail = "\"container-with-a-long-name-11\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")";
    assert_string_equal(m + strlen(m) - strlen(tail), tail);
    adm_env_down(&e);
}

/* raising a namespace's enforce level warns about the pods already there */
static void test_namespace_label_warnings(void **state)
{
    (void)state;
    adm_env_t e;
    adm_env_up(&e, &skiff_plugin, NULL);
    ns(&e, "w", "privileged");
    char msg[4096], path[100] = "/api/v1/namespaces/w/pods";
    const char *pods[] = {
        "{\"metadata\":{\"name\":\"b2\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x:1\",\"securityContext\":{\"privileged\":true}}]}}",
        "{\"metadata\":{\"name\":\"a1\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x:1\",\"securityContext\":{\"privileged\":true}}]}}",
        "{\"metadata\":{\"name\":\"h\"},\"spec\":{\"hostNetwork\":true,\"containers\":[{\"name\":\"c\",\"image\":\"x:1\"}]}}",
        "{\"metadata\":{\"name\":\"ok\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x:1\"}]}}",
    };
    for (int i = 0; i < 4; i++) assert_int_equal(adm_env_call(&e, "POST", path, NULL, pods[i], msg, sizeof msg, NULL), 201);
    cJSON *nw = cJSON_Parse("{\"metadata\":{\"name\":\"w\",\"labels\":{\"pod-security.kubernetes.io/enforce\":\"baseline\"}}}");
    cJSON *old = cJSON_Parse("{\"metadata\":{\"name\":\"w\",\"labels\":{\"pod-security.kubernetes.io/enforce\":\"privileged\"}}}");
    skiff_adm_request_t req = { .size = sizeof req, .op = SKIFF_ADM_UPDATE, .group = "", .version = "v1",
                                .resource = "namespaces", .subresource = "", .kind = "Namespace", .namespace_ = "",
                                .name = "w", .user = "u", .object = nw, .old_object = old };
    skiff_adm_outcome_t out;
    assert_int_equal(skiff_adm_chain_run(e.chain, &req, &out), 0);
    assert_int_equal(out.nwarnings, 3);
    assert_string_equal(out.warnings[0], "existing pods in namespace \"w\" violate the new PodSecurity enforce level \"baseline:latest\"");
    assert_string_equal(out.warnings[1], "a1 (and 1 other pod): privileged");
    assert_string_equal(out.warnings[2], "h: host namespaces");
    skiff_adm_outcome_free(&out);
    /* the same level again: nothing to say */
    assert_int_equal(skiff_adm_chain_run(e.chain, &(skiff_adm_request_t){ .size = sizeof req, .op = SKIFF_ADM_UPDATE,
        .group = "", .version = "v1", .resource = "namespaces", .subresource = "", .kind = "Namespace",
        .namespace_ = "", .name = "w", .user = "u", .object = nw, .old_object = nw }, &out), 0);
    assert_int_equal(out.nwarnings, 0);
    cJSON_Delete(nw);
    cJSON_Delete(old);
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
        cmocka_unit_test(test_baseline_apparmor),
        cmocka_unit_test(test_baseline_selinux_proc_sysctl_hostprocess),
        cmocka_unit_test(test_restricted_details),
        cmocka_unit_test(test_updates),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_long_message),
        cmocka_unit_test(test_namespace_label_warnings),
        cmocka_unit_test(test_bad_setting),
        cmocka_unit_test(test_label_changes_take_effect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
