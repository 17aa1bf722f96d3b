/* The namespace and node IPAM controllers through the manager against an
 * in-process API server (memory store): a deleted namespace is emptied and
 * finalized; one holding an object with a finalizer stays Terminating with
 * kube's conditions; nodes get distinct ranges, a range already on a node
 * is never given again (restored at start), exhaustion is an event. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "api/api.h"
#include "api/client.h"
#include "controller/controller.h"
#include "plugin/plugin.h"
#include "api/test_server.h"

typedef test_server_t fx_t;

static int setup(void **state)
{
    skiff_api_config_t cfg = { .listen = "127.0.0.1:0", .service_cidr = "10.0.0.0/29", .watch_bookmark_ms = 200 };
    fx_t *f = test_server_up(&cfg);
    test_server_namespace(f, "default");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    test_server_down(*state);
    return 0;
}

static cJSON *get(fx_t *f, const char *path)
{
    skiff_api_result_t r = { 0 };
    skiff_error_t err;
    cJSON *o = NULL;
    if (skiff_api_client_get(f->cl, path, &r, &err) == 0) o = cJSON_ParseWithLength(r.body, r.len);
    skiff_api_result_free(&r);
    return o;
}

static void create(fx_t *f, const char *path, const char *body)
{
    skiff_error_t err;
    if (skiff_api_client_create(f->cl, path, body, NULL, &err) < 0) fail_msg("create %s: %s", path, err.msg);
}

static int count(fx_t *f, const char *path)
{
    cJSON *l = get(f, path);
    int n = cJSON_GetArraySize(cJSON_GetObjectItem(l, "items"));
    cJSON_Delete(l);
    return n;
}

/* "status/reason/message" of a namespace condition, or "" */
static void condition(fx_t *f, const char *ns, const char *type, char *out, size_t n)
{
    char path[200];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s", ns);
    cJSON *o = get(f, path), *c;
    out[0] = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(cJSON_GetObjectItem(o, "status"), "conditions")) {
        const char *t = skiff_obj_str(c, "type");
        if (t && !strcmp(t, type))
            snprintf(out, n, "%s/%s/%s", skiff_obj_str(c, "status"), skiff_obj_str(c, "reason"), skiff_obj_str(c, "message"));
    }
    cJSON_Delete(o);
}

static void test_namespace_emptied(void **state)
{
    fx_t *f = *state;
    skiff_error_t err;
    create(f, "/api/v1/namespaces", "{\"metadata\":{\"name\":\"t\"}}");
    for (int i = 0; i < 3; i++) {
        char b[100];
        snprintf(b, sizeof b, "{\"metadata\":{\"name\":\"c%d\"}}", i);
        create(f, "/api/v1/namespaces/t/configmaps", b);
    }
    create(f, "/api/v1/namespaces/t/services", "{\"metadata\":{\"name\":\"s\"},\"spec\":{\"ports\":[{\"port\":80}]}}");
    create(f, "/api/v1/namespaces/t/pods", "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}");
    /* kept: held by a finalizer */
    create(f, "/api/v1/namespaces", "{\"metadata\":{\"name\":\"held\"}}");
    create(f, "/api/v1/namespaces/held/configmaps", "{\"metadata\":{\"name\":\"pin\",\"finalizers\":[\"example.com/x\"]}}");
    create(f, "/api/v1/namespaces/held/configmaps", "{\"metadata\":{\"name\":\"free\"}}");

    const char *only[] = { "namespace", NULL };
    skiff_ctrl_mgr_config_t mc = { .client = f->cl, .enable = only, .workers = 2 };
    skiff_ctrl_mgr_t *m;
    assert_int_equal(skiff_ctrl_mgr_new(&mc, &m, &err), 0);
    usleep(100000);
    cJSON *ns = get(f, "/api/v1/namespaces/t");
    assert_non_null(ns); /* not deleted: nothing happens to a live namespace */
    cJSON_Delete(ns);
    assert_int_equal(count(f, "/api/v1/namespaces/t/configmaps"), 3);

    assert_int_equal(skiff_api_client_delete(f->cl, "/api/v1/namespaces/t", NULL, &err), 0);
    assert_int_equal(skiff_api_client_delete(f->cl, "/api/v1/namespaces/held", NULL, &err), 0);
    cJSON *gone = NULL;
    int i;
    for (i = 0; i < 500 && (gone = get(f, "/api/v1/namespaces/t")); i++) { cJSON_Delete(gone); usleep(10000); }
    assert_null(gone);
    assert_int_equal(count(f, "/api/v1/namespaces/t/configmaps"), 0);
    assert_int_equal(count(f, "/api/v1/namespaces/t/services"), 0);
    assert_int_equal(count(f, "/api/v1/namespaces/t/pods"), 0);

    char c[1200];
    for (i = 0; i < 500; i++) {
        condition(f, "held", "NamespaceFinalizersRemaining", c, sizeof c);
        if (*c) break;
        usleep(10000);
    }
    assert_string_equal(c, "True/SomeFinalizersRemain/Some content in the namespace has finalizers remaining: example.com/x in 1 resource instances");
    condition(f, "held", "NamespaceContentRemaining", c, sizeof c);
    assert_string_equal(c, "True/SomeResourcesRemain/Some resources are remaining: configmaps. has 1 resource instances");
    condition(f, "held", "NamespaceDeletionContentFailure", c, sizeof c);
    assert_string_equal(c, "False/ContentDeleted/All content successfully deleted, may be waiting on finalization");
    condition(f, "held", "NamespaceDeletionDiscoveryFailure", c, sizeof c);
    assert_string_equal(c, "False/ResourcesDiscovered/All resources successfully discovered");
    condition(f, "held", "NamespaceDeletionGroupVersionParsingFailure", c, sizeof c);
    assert_string_equal(c, "False/ParsedGroupVersions/All legacy kube types successfully parsed");
    ns = get(f, "/api/v1/namespaces/held");
    assert_string_equal(skiff_obj_str(ns, "status.phase"), "Terminating");
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(ns, "spec"), "finalizers"), 0)->valuestring, "kubernetes");
    cJSON_Delete(ns);
    assert_int_equal(count(f, "/api/v1/namespaces/held/configmaps"), 1);
    skiff_ctrl_mgr_free(m);
}

static const char *node_cidr(fx_t *f, const char *name, char *out, size_t n)
{
    char path[200];
    snprintf(path, sizeof path, "/api/v1/nodes/%s", name);
    cJSON *o = get(f, path);
    const char *c = skiff_obj_str(o, "spec.podCIDR");
    snprintf(out, n, "%s", c ? c : "");
    cJSON_Delete(o);
    return out;
}

static void test_nodeipam(void **state)
{
    fx_t *f = *state;
    skiff_error_t err;
    /* a node that has a range already (an earlier leader gave it) */
    create(f, "/api/v1/nodes", "{\"metadata\":{\"name\":\"old\"},\"spec\":{\"podCIDR\":\"10.8.0.0/26\",\"podCIDRs\":[\"10.8.0.0/26\"]}}");
    create(f, "/api/v1/nodes", "{\"metadata\":{\"name\":\"a\"}}");
    const char *only[] = { "nodeipam", NULL };
    skiff_ctrl_mgr_config_t mc = { .client = f->cl, .enable = only, .workers = 2,
                                   .cluster_cidr = "10.8.0.0/24", .node_cidr_mask_size = 26 };
    skiff_ctrl_mgr_t *m;
    assert_int_equal(skiff_ctrl_mgr_new(&mc, &m, &err), 0);
    create(f, "/api/v1/nodes", "{\"metadata\":{\"name\":\"b\"}}");
    create(f, "/api/v1/nodes", "{\"metadata\":{\"name\":\"c\"}}");
    char ca[32], cb[32], cc[32];
    int i;
    for (i = 0; i < 500; i++) {
        if (*node_cidr(f, "a", ca, sizeof ca) && *node_cidr(f, "b", cb, sizeof cb) && *node_cidr(f, "c", cc, sizeof cc)) break;
        usleep(10000);
    }
    assert_true(*ca && *cb && *cc);
    const char *want[] = { "10.8.0.64/26", "10.8.0.128/26", "10.8.0.192/26" };
    for (int k = 0; k < 3; k++) /* each of the three free ranges once, never the old node's */
        assert_int_equal((strcmp(ca, want[k]) == 0) + (strcmp(cb, want[k]) == 0) + (strcmp(cc, want[k]) == 0), 1);
    cJSON *n = get(f, "/api/v1/nodes/a");
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(n, "spec"), "podCIDRs"), 0)->valuestring, ca);
    cJSON_Delete(n);
    /* exhausted: an event, no range */
    create(f, "/api/v1/nodes", "{\"metadata\":{\"name\":\"d\"}}");
    int events = 0;
    for (i = 0; i < 500 && events == 0; i++) {
        skiff_api_result_t r = { 0 };
        if (skiff_api_client_list(f->cl, "/api/v1/namespaces/default/events", NULL, "reason=CIDRNotAvailable,involvedObject.name=d", &r, &err) == 0) {
            cJSON *l = cJSON_ParseWithLength(r.body, r.len);
            cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(l, "items"), 0);
            if (e) {
                events++;
                assert_string_equal(skiff_obj_str(e, "message"), "Node d status is now: CIDRNotAvailable");
            }
            cJSON_Delete(l);
        }
        skiff_api_result_free(&r);
        if (!events) usleep(10000);
    }
    assert_int_equal(events, 1);
    char cd[32];
    assert_string_equal(node_cidr(f, "d", cd, sizeof cd), "");
    /* a deleted node's range goes to the one waiting */
    assert_int_equal(skiff_api_client_delete(f->cl, "/api/v1/nodes/old", NULL, &err), 0);
    for (i = 0; i < 500 && !*node_cidr(f, "d", cd, sizeof cd); i++) usleep(10000);
    assert_string_equal(cd, "10.8.0.0/26");
    skiff_ctrl_mgr_free(m);
    /* bad settings are refused at start */
    skiff_ctrl_mgr_config_t bad = mc;
    bad.cluster_cidr = "10.8.0.1/24";
    assert_int_equal(skiff_ctrl_mgr_new(&bad, &m, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "cluster_cidr"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_namespace_emptied, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nodeipam, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
