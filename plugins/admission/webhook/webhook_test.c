/* Tests for admission/webhook against an in-test webhook server
 * (libmicrohttpd on 127.0.0.1) and an in-process API server: which hooks
 * are called (namespaceSelector on namespaces and other cluster-scoped
 * objects, objectSelector on updates, matchConditions), reinvocation
 * (IfNeeded) inside one instance, and matchConditions refused at creation. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <microhttpd.h>
#include <skiff/skiff.h>

#include "../common/adm_testenv.h"
#include "jsonpatch.h"

extern const skiff_plugin_t skiff_plugin;

/* ---- the webhook server ------------------------------------------------- */

static pthread_mutex_t hits_mu = PTHREAD_MUTEX_INITIALIZER;
static int hits_label, hits_copy, hits_set;

typedef struct upload { char *p; size_t n; } upload_t;

static char *b64(const char *s)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(s);
    char *o = malloc(4 * ((n + 2) / 3) + 1), *q = o;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)s[i] << 16;
        if (i + 1 < n) v |= (uint32_t)(unsigned char)s[i + 1] << 8;
        if (i + 2 < n) v |= (unsigned char)s[i + 2];
        *q++ = t[v >> 18 & 63];
        *q++ = t[v >> 12 & 63];
        *q++ = i + 1 < n ? t[v >> 6 & 63] : '=';
        *q++ = i + 2 < n ? t[v & 63] : '=';
    }
    *q = '\0';
    return o;
}

/* /label: add label hooked=yes; /copy-b: label saw-b = label b (or none);
 * /set-b: label b=set. Each patch first makes sure metadata.labels exists. */
static char *answer(const char *url, const char *body)
{
    cJSON *rv = cJSON_Parse(body);
    const cJSON *rq = cJSON_GetObjectItem(rv, "request");
    const cJSON *labels = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(rq, "object"), "metadata"), "labels");
    char patch[400];
    size_t o = (size_t)snprintf(patch, sizeof patch, "[%s", labels ? "" : "{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{}},");
    pthread_mutex_lock(&hits_mu);
    if (!strcmp(url, "/label")) {
        hits_label++;
        snprintf(patch + o, sizeof patch - o, "{\"op\":\"add\",\"path\":\"/metadata/labels/hooked\",\"value\":\"yes\"}]");
    } else if (!strcmp(url, "/copy-b")) {
        hits_copy++;
        const cJSON *b = cJSON_GetObjectItem(labels, "b");
        snprintf(patch + o, sizeof patch - o, "{\"op\":\"add\",\"path\":\"/metadata/labels/saw-b\",\"value\":\"%s\"}]",
                 cJSON_IsString(b) ? b->valuestring : "none");
    } else {
        hits_set++;
        snprintf(patch + o, sizeof patch - o, "{\"op\":\"add\",\"path\":\"/metadata/labels/b\",\"value\":\"set\"}]");
    }
    pthread_mutex_unlock(&hits_mu);
    char *p64 = b64(patch), *out = NULL;
    const cJSON *uid = cJSON_GetObjectItem(rq, "uid");
    assert_true(asprintf(&out, "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":"
                               "{\"uid\":\"%s\",\"allowed\":true,\"patchType\":\"JSONPatch\",\"patch\":\"%s\"}}",
                         cJSON_IsString(uid) ? uid->valuestring : "", p64) > 0);
    free(p64);
    cJSON_Delete(rv);
    return out;
}

static enum MHD_Result on_req(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *data, size_t *size, void **con_cls)
{
    (void)cls; (void)method; (void)version;
    upload_t *u = *con_cls;
    if (!u) {
        *con_cls = calloc(1, sizeof *u);
        return MHD_YES;
    }
    if (*size) {
        u->p = realloc(u->p, u->n + *size + 1);
        memcpy(u->p + u->n, data, *size);
        u->n += *size;
        u->p[u->n] = '\0';
        *size = 0;
        return MHD_YES;
    }
    char *out = answer(url, u->p ? u->p : "{}");
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(out), out, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
    (void)cls; (void)c; (void)t;
    upload_t *u = *con_cls;
    if (u) free(u->p);
    free(u);
    *con_cls = NULL;
}

static struct MHD_Daemon *hook_srv;
static int hook_port;

static void hooks_up(void)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    hook_srv = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
                                on_req, NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
                                MHD_OPTION_END);
    assert_non_null(hook_srv);
    hook_port = MHD_get_daemon_info(hook_srv, MHD_DAEMON_INFO_BIND_PORT)->port;
    hits_label = hits_copy = hits_set = 0;
}

/* ---- helpers ------------------------------------------------------------- */

static int mwc(adm_env_t *e, const char *name, const char *webhooks, char *msg, size_t len)
{
    char body[4000];
    snprintf(body, sizeof body, "{\"apiVersion\":\"admissionregistration.k8s.io/v1\",\"kind\":\"MutatingWebhookConfiguration\","
             "\"metadata\":{\"name\":\"%s\"},\"webhooks\":%s}", name, webhooks);
    return adm_env_call(e, "POST", "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations", NULL, body,
                        msg, len, NULL);
}

/* one hook: name, path, rules resources (JSON list), extra fields */
static void hook(char *out, size_t len, const char *name, const char *path, const char *resources, const char *extra)
{
    snprintf(out, len, "{\"name\":\"%s\",\"admissionReviewVersions\":[\"v1\"],\"sideEffects\":\"None\","
             "\"clientConfig\":{\"url\":\"http://127.0.0.1:%d%s\"},\"rules\":[{\"operations\":[\"CREATE\",\"UPDATE\"],"
             "\"apiGroups\":[\"\"],\"apiVersions\":[\"v1\"],\"resources\":%s}]%s%s}",
             name, hook_port, path, resources, extra ? "," : "", extra ? extra : "");
}

static const char *label_of(adm_env_t *e, const char *path, const char *key)
{
    static char val[100];
    char *body = NULL;
    assert_int_equal(adm_env_call(e, "GET", path, NULL, NULL, NULL, 0, &body), 200);
    cJSON *o = cJSON_Parse(body);
    free(body);
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "metadata"), "labels"), key);
    snprintf(val, sizeof val, "%s", cJSON_IsString(v) ? v->valuestring : "(none)");
    cJSON_Delete(o);
    return val;
}

/* ---- tests --------------------------------------------------------------- */

static void test_selectors(void **state)
{
    (void)state;
    hooks_up();
    adm_env_t e;
    adm_env_up(&e, &skiff_plugin, (const char *[]){ "phase=mutating", NULL });
    char h[1000], list[1200], msg[1024];
    hook(h, sizeof h, "ns.test", "/label", "[\"namespaces\",\"nodes\",\"configmaps\"]",
         "\"namespaceSelector\":{\"matchLabels\":{\"team\":\"a\"}}");
    snprintf(list, sizeof list, "[%s]", h);
    assert_int_equal(mwc(&e, "sel", list, msg, sizeof msg), 201);
    /* a Namespace is matched on its own labels */
    assert_int_equal(adm_env_call(&e, "POST", "/api/v1/namespaces", NULL,
        "{\"metadata\":{\"name\":\"na\",\"labels\":{\"team\":\"a\"}}}", msg, sizeof msg, NULL), 201);
    assert_int_equal(adm_env_call(&e, "POST", "/api/v1/namespaces", NULL,
        "{\"metadata\":{\"name\":\"nb\",\"labels\":{\"team\":\"b\"}}}", msg, sizeof msg, NULL), 201);
    assert_string_equal(label_of(&e, "/api/v1/namespaces/na", "hooked"), "yes");
    assert_string_equal(label_of(&e, "/api/v1/namespaces/nb", "hooked"), "(none)");
    /* other cluster-scoped objects are never skipped by a namespaceSelector */
    assert_int_equal(adm_env_call(&e, "POST", "/api/v1/nodes", NULL, "{\"metadata\":{\"name\":\"n1\"}}", msg, sizeof msg, NULL), 201);
    assert_string_equal(label_of(&e, "/api/v1/nodes/n1", "hooked"), "yes");
    /* namespaced objects: their namespace's labels */
    assert_int_equal(adm_env_call(&e, "POST", "/api/v1/namespaces/na/configmaps", NULL,
        "{\"metadata\":{\"name\":\"c\"}}", msg, sizeof msg, NULL), 201);
    assert_int_equal(adm_env_call(&e, "POST", "/api/v1/namespaces/nb/configmaps", NULL,
        "{\"metadata\":{\"name\":\"c\"}}", msg, sizeof msg, NULL), 201);
    assert_string_equal(label_of(&e, "/api/v1/namespaces/na/configmaps/c", "hooked"), "yes");
    assert_string_equal(label_of(&e, "/api/v1/namespaces/nb/configmaps/c", "hooked"), "(none)");
    assert_int_equal(hits_label, 3);

    /* objectSelector on an update: the old object matching is enough */
    hook(h, sizeof h, "obj.test", "/set-b", "[\"secrets\"]", "\"objectSelector\":{\"matchLabels\":{\"pick\":\"me\"}}");
    snprintf(list, sizeof list, "[%s]", h);
    assert_int_equal(mwc(&e, "obj", list, msg, sizeof msg), 201);
    assert_int_equal(adm_env_call(&e, "POST", "/api/v1/namespaces/default/secrets", NULL,
        "{\"metadata\":{\"name\":\"s\",\"labels\":{\"pick\":\"me\"}}}", msg, sizeof msg, NULL), 201);
    assert_int_equal(hits_set, 1);
    assert_int_equal(adm_env_call(&e, "PUT", "/api/v1/namespaces/default/secrets/s", NULL,
        "{\"metadata\":{\"name\":\"s\",\"labels\":{\"pick\":\"not-me\"}}}", msg, sizeof msg, NULL), 200);
    assert_int_equal(hits_set, 2);
    assert_int_equal(adm_env_call(&e, "PUT", "/api/v1/namespaces/default/secrets/s", NULL,
        "{\"metadata\":{\"name\":\"s\",\"labels\":{\"pick\":\"nobody\"}}}", msg, sizeof msg, NULL), 200);
    assert_int_equal(hits_set, 2); /* neither old nor new matches now */
    adm_env_down(&e);
    MHD_stop_daemon(hook_srv);
}

static void test_reinvocation_and_match_conditions(void **state)
{
    (void)state;
    hooks_up();
    adm_env_t e;
    adm_env_up(&e, &skiff_plugin, (const char *[]){ "phase=mutating", NULL });
    char a[1000], b[1000], list[2200], msg[2048];
    hook(a, sizeof a, "copy.test", "/copy-b", "[\"configmaps\"]",
         "\"reinvocationPolicy\":\"IfNeeded\",\"matchConditions\":[{\"name\":\"only-r\",\"expression\":\"object.metadata.name.startsWith('r')\"}]");
    hook(b, sizeof b, "set.test", "/set-b", "[\"configmaps\"]",
         "\"matchConditions\":[{\"name\":\"not-skip\",\"expression\":\"!has(object.metadata.labels) || !('skip' in object.metadata.labels)\"}]");
    snprintf(list, sizeof list, "[%s,%s]", a, b);
    assert_int_equal(mwc(&e, "re", list, msg, sizeof msg), 201);
    assert_int_equal(adm_env_call(&e, "POST", "/api/v1/namespaces/default/configmaps", NULL,
        "{\"metadata\":{\"name\":\"r1\"}}", msg, sizeof msg, NULL), 201);
    assert_string_equal(label_of(&e, "/api/v1/namespaces/default/configmaps/r1", "saw-b"), "set");
    assert_int_equal(hits_copy, 2); /* once, then once more after set.test changed the object */
    assert_int_equal(hits_set, 1);
    /* matchConditions false: copy.test is skipped (name), set.test skipped (label) */
    assert_int_equal(adm_env_call(&e, "POST", "/api/v1/namespaces/default/configmaps", NULL,
        "{\"metadata\":{\"name\":\"x1\",\"labels\":{\"skip\":\"1\"}}}", msg, sizeof msg, NULL), 201);
    assert_int_equal(hits_copy, 2);
    assert_int_equal(hits_set, 1);
    /* refused at creation: outside the subset, with field, expression and position */
    hook(a, sizeof a, "bad.test", "/label", "[\"configmaps\"]",
         "\"matchConditions\":[{\"name\":\"ok\",\"expression\":\"true\"},{\"name\":\"bad\",\"expression\":\"object.x.all(y, y)\"}]");
    snprintf(list, sizeof list, "[%s]", a);
    assert_int_equal(mwc(&e, "bad", list, msg, sizeof msg), 422);
    assert_string_equal(msg, "MutatingWebhookConfiguration.admissionregistration.k8s.io \"bad\" is invalid: webhooks[0].matchConditions[1].expression: "
                             "Invalid value: \"object.x.all(y, y)\": compilation failed: ERROR: <input>:1:10: "
                             "undeclared reference to 'all' (in container '')");
    hook(a, sizeof a, "dup.test", "/label", "[\"configmaps\"]",
         "\"matchConditions\":[{\"name\":\"c\",\"expression\":\"true\"},{\"name\":\"c\",\"expression\":\"false\"}]");
    snprintf(list, sizeof list, "[%s]", a);
    assert_int_equal(mwc(&e, "dup", list, msg, sizeof msg), 422);
    assert_non_null(strstr(msg, "webhooks[0].matchConditions[1].name: Duplicate value: \"c\""));
    /* clientConfig: exactly one of url and service */
    assert_int_equal(mwc(&e, "none", "[{\"name\":\"n.test\",\"sideEffects\":\"None\",\"clientConfig\":{}}]", msg, sizeof msg), 422);
    assert_string_equal(msg, "MutatingWebhookConfiguration.admissionregistration.k8s.io \"none\" is invalid: webhooks[0].clientConfig: Required value: "
                             "exactly one of url or service is required");
    adm_env_down(&e);
    MHD_stop_daemon(hook_srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selectors),
        cmocka_unit_test(test_reinvocation_and_match_conditions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
