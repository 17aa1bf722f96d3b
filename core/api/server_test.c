/* API server semantics through the client interface (in-process transport,
 * plus one round over HTTP), over the memory store plugin. */
#include <pthread.h>
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
#include "bus/bus.h"
#include "plugin/plugin.h"

typedef struct fx {
    skiff_registry_t *reg;
    skiff_instance_t *store;
    skiff_api_server_t *srv;
    skiff_api_client_t *cl;
    skiff_bus_t *bus;
} fx_t;

static int setup_with(void **state, int cache)
{
    fx_t *f = calloc(1, sizeof *f);
    skiff_error_t err;
    char path[1024];
    const char *dir = getenv("SKIFF_PLUGINS");
    snprintf(path, sizeof path, "%s/store/memory.so", dir && *dir ? dir : "build/plugins");
    assert_int_equal(skiff_registry_new(&f->reg, &err), 0);
    if (skiff_registry_load_file(f->reg, path, &err) < 0) fail_msg("%s", err.msg);
    const skiff_plugin_t *d = skiff_registry_find(f->reg, SKIFF_KIND_STORE, "memory");
    assert_non_null(d);
    assert_int_equal(skiff_instance_new(d, "mem", NULL, NULL, &f->store, &err), 0);
    assert_int_equal(skiff_instance_start(f->store, &err), 0);
    if (cache) assert_int_equal(skiff_bus_new(&f->bus, &err), 0);
    skiff_api_config_t cfg = { .listen = "127.0.0.1:0", .service_cidr = "10.0.0.0/29", .watch_bookmark_ms = 200, .bus = f->bus,
                               .event_ttl_ms = 400 };
    if (skiff_api_server_new(&cfg, skiff_instance_ops(f->store), skiff_instance_self(f->store), &f->srv, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(skiff_api_client_local(f->srv, &f->cl, &err), 0);
    assert_int_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces", "{\"metadata\":{\"name\":\"default\"}}", NULL, &err), 0);
    *state = f;
    return 0;
}

static int setup(void **state) { return setup_with(state, 0); }
static int setup_cache(void **state) { return setup_with(state, 1); }

static int teardown(void **state)
{
    fx_t *f = *state;
    skiff_api_client_free(f->cl);
    skiff_api_server_free(f->srv);
    skiff_bus_free(f->bus);
    skiff_instance_free(f->store);
    skiff_registry_free(f->reg);
    free(f);
    return 0;
}

static cJSON *parse(const skiff_api_result_t *r)
{
    cJSON *o = cJSON_ParseWithLength(r->body, r->len);
    assert_non_null(o);
    return o;
}

static const char *str(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b) x = cJSON_GetObjectItemCaseSensitive(x, b);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

static double num(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b) x = cJSON_GetObjectItemCaseSensitive(x, b);
    return cJSON_IsNumber(x) ? x->valuedouble : -1;
}

#define DEPLOY(img, rv) \
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\"" rv "},\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"web\"}}," \
    "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"" img "\"}]}}}," \
    "\"status\":{\"replicas\":7}}"

static void test_create_get_semantics(void **state)
{
    fx_t *f = *state;
    skiff_api_result_t r;
    skiff_error_t err;
    const char *p = "/apis/apps/v1/namespaces/default/deployments";
    assert_int_equal(skiff_api_client_create(f->cl, p, DEPLOY("nginx:1", ""), &r, &err), 0);
    assert_int_equal(r.code, 201);
    cJSON *o = parse(&r);
    assert_non_null(str(o, "metadata", "uid"));
    assert_non_null(str(o, "metadata", "creationTimestamp"));
    assert_true(atoll(str(o, "metadata", "resourceVersion")) > 0);
    assert_int_equal((int)num(o, "metadata", "generation"), 1);
    assert_int_equal((int)num(o, "spec", "replicas"), 1);          /* defaulted */
    assert_int_equal((int)num(o, "status", "replicas"), -1);       /* status dropped on create */
    char uid[64];
    snprintf(uid, sizeof uid, "%s", str(o, "metadata", "uid"));
    cJSON_Delete(o);
    skiff_api_result_free(&r);

    assert_int_equal(skiff_api_client_create(f->cl, p, DEPLOY("nginx:1", ""), &r, &err), SKIFF_E_EXISTS);
    assert_int_equal(r.code, 409);
    assert_non_null(strstr(err.msg, "deployments.apps \"web\" already exists"));
    skiff_api_result_free(&r);

    /* unconditional PUT of a spec change: generation 2, uid kept, status kept */
    assert_int_equal(skiff_api_client_update(f->cl, "/apis/apps/v1/namespaces/default/deployments/web", DEPLOY("nginx:2", ""), &r, &err), 0);
    o = parse(&r);
    assert_int_equal((int)num(o, "metadata", "generation"), 2);
    assert_string_equal(str(o, "metadata", "uid"), uid);
    assert_int_equal((int)num(o, "status", "replicas"), -1);
    cJSON_Delete(o);
    skiff_api_result_free(&r);

    /* stale resourceVersion: 409 Conflict */
    assert_int_equal(skiff_api_client_update(f->cl, "/apis/apps/v1/namespaces/default/deployments/web", DEPLOY("nginx:3", ",\"resourceVersion\":\"1\""), &r, &err), SKIFF_E_CONFLICT);
    assert_non_null(strstr(err.msg, "the object has been modified"));
    skiff_api_result_free(&r);

    /* metadata-only patch: generation unchanged */
    assert_int_equal(skiff_api_client_patch(f->cl, "/apis/apps/v1/namespaces/default/deployments/web", "application/merge-patch+json",
                                            "{\"metadata\":{\"labels\":{\"x\":\"y\"}}}", &r, &err), 0);
    o = parse(&r);
    assert_int_equal((int)num(o, "metadata", "generation"), 2);
    cJSON_Delete(o);
    skiff_api_result_free(&r);

    /* status only through /status */
    assert_int_equal(skiff_api_client_patch(f->cl, "/apis/apps/v1/namespaces/default/deployments/web/status", "application/merge-patch+json",
                                            "{\"status\":{\"replicas\":3},\"spec\":{\"replicas\":9}}", &r, &err), 0);
    o = parse(&r);
    assert_int_equal((int)num(o, "status", "replicas"), 3);
    assert_int_equal((int)num(o, "spec", "replicas"), 1);
    assert_int_equal((int)num(o, "metadata", "generation"), 2);
    cJSON_Delete(o);
    skiff_api_result_free(&r);

    /* scale subresource */
    assert_int_equal(skiff_api_client_patch(f->cl, "/apis/apps/v1/namespaces/default/deployments/web/scale", "application/merge-patch+json",
                                            "{\"spec\":{\"replicas\":4}}", &r, &err), 0);
    o = parse(&r);
    assert_string_equal(str(o, "kind", NULL), "Scale");
    assert_int_equal((int)num(o, "spec", "replicas"), 4);
    assert_string_equal(str(o, "status", "selector"), "app=web");
    cJSON_Delete(o);
    skiff_api_result_free(&r);

    /* missing namespace */
    assert_int_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces/nope/configmaps", "{\"metadata\":{\"name\":\"a\"}}", &r, &err), SKIFF_E_NOTFOUND);
    assert_non_null(strstr(err.msg, "namespaces \"nope\" not found"));
    skiff_api_result_free(&r);
}

static void test_list_paging(void **state)
{
    fx_t *f = *state;
    skiff_error_t err;
    skiff_api_result_t r;
    for (int i = 0; i < 5; i++) {
        char b[128];
        snprintf(b, sizeof b, "{\"metadata\":{\"name\":\"cm-%d\",\"labels\":{\"n\":\"%d\"}}}", i, i % 2);
        assert_int_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces/default/configmaps", b, NULL, &err), 0);
    }
    assert_int_equal(skiff_api_client_do(f->cl, "GET", "/api/v1/namespaces/default/configmaps", "limit=2", NULL, NULL, 0, &r, &err), 0);
    cJSON *o = parse(&r);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "items")), 2);
    char rv[32], cont[512];
    snprintf(rv, sizeof rv, "%s", str(o, "metadata", "resourceVersion"));
    assert_non_null(str(o, "metadata", "continue"));
    snprintf(cont, sizeof cont, "limit=2&continue=%s", str(o, "metadata", "continue"));
    cJSON_Delete(o);
    skiff_api_result_free(&r);
    /* a write between pages does not show up: pages read at one revision */
    assert_int_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces/default/configmaps", "{\"metadata\":{\"name\":\"cm-9\"}}", NULL, &err), 0);
    int total = 2;
    for (;;) {
        assert_int_equal(skiff_api_client_do(f->cl, "GET", "/api/v1/namespaces/default/configmaps", cont, NULL, NULL, 0, &r, &err), 0);
        o = parse(&r);
        assert_string_equal(str(o, "metadata", "resourceVersion"), rv);
        total += cJSON_GetArraySize(cJSON_GetObjectItem(o, "items"));
        const char *c = str(o, "metadata", "continue");
        if (c) snprintf(cont, sizeof cont, "limit=2&continue=%s", c);
        cJSON_Delete(o);
        skiff_api_result_free(&r);
        if (!c) break;
    }
    assert_int_equal(total, 5);
    assert_int_equal(skiff_api_client_list(f->cl, "/api/v1/namespaces/default/configmaps", "n=1", "metadata.name!=cm-3", &r, &err), 0);
    o = parse(&r);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "items")), 1);
    cJSON_Delete(o);
    skiff_api_result_free(&r);
    assert_int_equal(skiff_api_client_do(f->cl, "GET", "/api/v1/namespaces/default/configmaps", "continue=garbage", NULL, NULL, 0, &r, &err), SKIFF_E_INVALID);
    skiff_api_result_free(&r);
}

typedef struct events {
    pthread_mutex_t mu;
    char log[4096];
    int ended;
    int bookmarks;
} events_t;

static void on_ev(void *ud, const char *type, const char *obj, size_t len)
{
    events_t *e = ud;
    pthread_mutex_lock(&e->mu);
    if (!type) e->ended = 1;
    else if (strcmp(type, "BOOKMARK") == 0) e->bookmarks++;
    else {
        cJSON *o = cJSON_ParseWithLength(obj, len);
        const char *n = str(o, "metadata", "name");
        const cJSON *code = cJSON_GetObjectItem(o, "code");
        size_t l = strlen(e->log);
        snprintf(e->log + l, sizeof e->log - l, "%s %s;", type, n ? n : cJSON_IsNumber(code) ? (code->valueint == 410 ? "410" : "?") : "?");
        if (strcmp(type, "ERROR") == 0) fprintf(stderr, "# %.*s\n", (int)len, obj);
        cJSON_Delete(o);
    }
    pthread_mutex_unlock(&e->mu);
}

static int wait_for(events_t *e, const char *want)
{
    for (int i = 0; i < 300; i++) {
        pthread_mutex_lock(&e->mu);
        int ok = strstr(e->log, want) != NULL;
        pthread_mutex_unlock(&e->mu);
        if (ok) return 1;
        usleep(10000);
    }
    return 0;
}

static void watch_round(fx_t *f, skiff_api_client_t *cl)
{
    skiff_error_t err;
    skiff_api_result_t r;
    assert_int_equal(skiff_api_client_create(cl, "/api/v1/namespaces/default/secrets", "{\"metadata\":{\"name\":\"s0\"},\"stringData\":{\"a\":\"b\"}}", &r, &err), 0);
    cJSON *o = parse(&r);
    char rv[32];
    snprintf(rv, sizeof rv, "%s", str(o, "metadata", "resourceVersion"));
    assert_string_equal(str(o, "data", "a"), "Yg==");
    cJSON_Delete(o);
    skiff_api_result_free(&r);
    events_t e = { .mu = PTHREAD_MUTEX_INITIALIZER };
    skiff_api_client_watch_t *w;
    assert_int_equal(skiff_api_client_watch(cl, "/api/v1/namespaces/default/secrets", "0", on_ev, &e, &w, &err), 0);
    assert_true(wait_for(&e, "ADDED s0;"));
    /* idle: BOOKMARKs (every 200 ms in this fixture) */
    int bm = 0;
    for (int i = 0; i < 300 && !bm; i++) {
        usleep(10000);
        pthread_mutex_lock(&e.mu);
        bm = e.bookmarks;
        pthread_mutex_unlock(&e.mu);
    }
    assert_true(bm > 0);
    assert_int_equal(skiff_api_client_create(cl, "/api/v1/namespaces/default/secrets", "{\"metadata\":{\"name\":\"s1\"}}", NULL, &err), 0);
    assert_int_equal(skiff_api_client_patch(cl, "/api/v1/namespaces/default/secrets/s1", "application/merge-patch+json", "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}", NULL, &err), 0);
    assert_int_equal(skiff_api_client_delete(cl, "/api/v1/namespaces/default/secrets/s1", NULL, &err), 0);
    if (!wait_for(&e, "ADDED s0;ADDED s1;MODIFIED s1;DELETED s1;")) fail_msg("events: %s", e.log);
    skiff_api_client_watch_stop(w);
    /* resume from an old RV gets only what came after it */
    events_t e2 = { .mu = PTHREAD_MUTEX_INITIALIZER };
    assert_int_equal(skiff_api_client_watch(cl, "/api/v1/namespaces/default/secrets", rv, on_ev, &e2, &w, &err), 0);
    if (!wait_for(&e2, "ADDED s1;MODIFIED s1;DELETED s1;")) fail_msg("events: %s", e2.log);
    assert_null(strstr(e2.log, "s0"));
    skiff_api_client_watch_stop(w);
    if (f->bus) {
        /* the watch cache keeps a window of its own: an RV the store has
         * compacted still resumes from it */
        const skiff_store_ops_t *ops = skiff_instance_ops(f->store);
        int64_t cur = 0;
        assert_int_equal(ops->revision(skiff_instance_self(f->store), &cur, NULL, &err), 0);
        assert_int_equal(ops->compact(skiff_instance_self(f->store), cur, &err), 0);
        events_t e4 = { .mu = PTHREAD_MUTEX_INITIALIZER };
        assert_int_equal(skiff_api_client_watch(cl, "/api/v1/namespaces/default/secrets", rv, on_ev, &e4, &w, &err), 0);
        if (!wait_for(&e4, "ADDED s1;MODIFIED s1;DELETED s1;")) fail_msg("events: %s", e4.log);
        skiff_api_client_watch_stop(w);
        return;
    }
    /* compacted: ERROR 410 */
    const skiff_store_ops_t *ops = skiff_instance_ops(f->store);
    int64_t cur = 0;
    assert_int_equal(ops->revision(skiff_instance_self(f->store), &cur, NULL, &err), 0);
    assert_int_equal(ops->compact(skiff_instance_self(f->store), cur, &err), 0);
    events_t e3 = { .mu = PTHREAD_MUTEX_INITIALIZER };
    assert_int_equal(skiff_api_client_watch(cl, "/api/v1/namespaces/default/secrets", rv, on_ev, &e3, &w, &err), 0);
    if (!wait_for(&e3, "ERROR 410;")) fail_msg("events: %s", e3.log);
    skiff_api_client_watch_stop(w);
}

static void test_watch_local(void **state)
{
    fx_t *f = *state;
    watch_round(f, f->cl);
}

static void test_watch_http(void **state)
{
    fx_t *f = *state;
    skiff_error_t err;
    if (skiff_api_server_start(f->srv, &err) < 0) fail_msg("%s", err.msg);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", skiff_api_server_port(f->srv));
    skiff_api_client_t *h;
    assert_int_equal(skiff_api_client_http(url, &h, &err), 0);
    skiff_api_result_t r;
    assert_int_equal(skiff_api_client_get(h, "/api/v1/namespaces/default", &r, &err), 0);
    skiff_api_result_free(&r);
    assert_int_equal(skiff_api_client_get(h, "/api/v1/namespaces/default/pods/nope", &r, &err), SKIFF_E_NOTFOUND);
    assert_non_null(strstr(err.msg, "pods \"nope\" not found"));
    skiff_api_result_free(&r);
    watch_round(f, h);
    skiff_api_client_free(h);
}

static void test_service_allocation(void **state)
{
    fx_t *f = *state;
    skiff_error_t err;
    skiff_api_result_t r;
    /* 10.0.0.0/29: 6 usable addresses (.1-.6) */
    char seen[8][32];
    for (int i = 0; i < 6; i++) {
        char b[160];
        snprintf(b, sizeof b, "{\"metadata\":{\"name\":\"s%d\"},\"spec\":{\"ports\":[{\"port\":80}]}}", i);
        assert_int_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces/default/services", b, &r, &err), 0);
        cJSON *o = parse(&r);
        snprintf(seen[i], sizeof seen[i], "%s", str(cJSON_GetObjectItem(o, "spec"), "clusterIP", NULL));
        for (int j = 0; j < i; j++) assert_string_not_equal(seen[i], seen[j]);
        cJSON_Delete(o);
        skiff_api_result_free(&r);
    }
    /* full range: a clear error, not a duplicate */
    assert_int_not_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces/default/services", "{\"metadata\":{\"name\":\"s9\"},\"spec\":{\"ports\":[{\"port\":80}]}}", NULL, &err), 0);
    /* emptying a deleted namespace (what the namespace controller does:
     * deletecollection, then finalize) frees its services' addresses too */
    assert_int_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces", "{\"metadata\":{\"name\":\"other\"}}", NULL, &err), 0);
    assert_int_equal(skiff_api_client_delete(f->cl, "/api/v1/namespaces/default/services/s5", NULL, &err), 0);
    assert_int_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces/other/services", "{\"metadata\":{\"name\":\"o1\"},\"spec\":{\"ports\":[{\"port\":80}]}}", NULL, &err), 0);
    assert_int_not_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces/default/services", "{\"metadata\":{\"name\":\"s8\"},\"spec\":{\"ports\":[{\"port\":80}]}}", NULL, &err), 0);
    assert_int_equal(skiff_api_client_delete(f->cl, "/api/v1/namespaces/other", &r, &err), 0);
    cJSON *ns = parse(&r);
    assert_string_equal(str(cJSON_GetObjectItem(ns, "status"), "phase", NULL), "Terminating");
    cJSON_Delete(ns);
    skiff_api_result_free(&r);
    assert_int_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces/other/configmaps", "{\"metadata\":{\"name\":\"late\"}}", NULL, &err), SKIFF_E_INTERNAL);
    assert_non_null(strstr(err.msg, "because it is being terminated"));
    assert_int_equal(skiff_api_client_do(f->cl, "DELETE", "/api/v1/namespaces/other/services", NULL, NULL, NULL, 0, NULL, &err), 0);
    assert_int_equal(skiff_api_client_update(f->cl, "/api/v1/namespaces/other/finalize", "{\"metadata\":{\"name\":\"other\"},\"spec\":{\"finalizers\":[]}}", NULL, &err), 0);
    assert_int_equal(skiff_api_client_get(f->cl, "/api/v1/namespaces/other", NULL, &err), SKIFF_E_NOTFOUND);
    assert_int_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces/default/services", "{\"metadata\":{\"name\":\"s8\"},\"spec\":{\"ports\":[{\"port\":80}]}}", NULL, &err), 0);
    /* deleting frees the address for reuse */
    assert_int_equal(skiff_api_client_delete(f->cl, "/api/v1/namespaces/default/services/s0", NULL, &err), 0);
    assert_int_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces/default/services", "{\"metadata\":{\"name\":\"s9\"},\"spec\":{\"ports\":[{\"port\":80}]}}", &r, &err), 0);
    cJSON *o = parse(&r);
    assert_string_equal(str(cJSON_GetObjectItem(o, "spec"), "clusterIP", NULL), seen[0]);
    cJSON_Delete(o);
    skiff_api_result_free(&r);
}

static void test_finalizers_and_graceful_delete(void **state)
{
    fx_t *f = *state;
    skiff_error_t err;
    skiff_api_result_t r;
    assert_int_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces/default/configmaps", "{\"metadata\":{\"name\":\"fin\",\"finalizers\":[\"x/y\"]}}", NULL, &err), 0);
    assert_int_equal(skiff_api_client_delete(f->cl, "/api/v1/namespaces/default/configmaps/fin", &r, &err), 0);
    cJSON *o = parse(&r);
    assert_non_null(str(o, "metadata", "deletionTimestamp"));
    cJSON_Delete(o);
    skiff_api_result_free(&r);
    assert_int_equal(skiff_api_client_get(f->cl, "/api/v1/namespaces/default/configmaps/fin", NULL, &err), 0);
    assert_int_equal(skiff_api_client_patch(f->cl, "/api/v1/namespaces/default/configmaps/fin", "application/merge-patch+json", "{\"metadata\":{\"finalizers\":null}}", NULL, &err), 0);
    assert_int_equal(skiff_api_client_get(f->cl, "/api/v1/namespaces/default/configmaps/fin", NULL, &err), SKIFF_E_NOTFOUND);
    /* a pod bound to a node is deleted gracefully (its agent finishes it) */
    assert_int_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces/default/pods", "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}", NULL, &err), 0);
    assert_int_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces/default/pods/p/binding", "{\"metadata\":{\"name\":\"p\"},\"target\":{\"kind\":\"Node\",\"name\":\"n1\"}}", &r, &err), 0);
    assert_int_equal(r.code, 201);
    skiff_api_result_free(&r);
    assert_int_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces/default/pods/p/binding", "{\"metadata\":{\"name\":\"p\"},\"target\":{\"kind\":\"Node\",\"name\":\"n2\"}}", NULL, &err), SKIFF_E_CONFLICT);
    assert_int_equal(skiff_api_client_delete(f->cl, "/api/v1/namespaces/default/pods/p", &r, &err), 0);
    o = parse(&r);
    assert_non_null(str(o, "metadata", "deletionTimestamp"));
    assert_int_equal((int)num(o, "metadata", "deletionGracePeriodSeconds"), 30);
    cJSON_Delete(o);
    skiff_api_result_free(&r);
    assert_int_equal(skiff_api_client_do(f->cl, "DELETE", "/api/v1/namespaces/default/pods/p", "gracePeriodSeconds=0", NULL, NULL, 0, NULL, &err), 0);
    assert_int_equal(skiff_api_client_get(f->cl, "/api/v1/namespaces/default/pods/p", NULL, &err), SKIFF_E_NOTFOUND);
}

static void test_bad_input(void **state)
{
    fx_t *f = *state;
    skiff_error_t err;
    skiff_api_result_t r;
    const char *p = "/api/v1/namespaces/default/configmaps";
    assert_int_equal(skiff_api_client_do(f->cl, "POST", p, NULL, "application/json", "{\"a\":", 5, &r, &err), SKIFF_E_INVALID);
    assert_int_equal(r.code, 400);
    skiff_api_result_free(&r);
    assert_int_equal(skiff_api_client_do(f->cl, "POST", p, NULL, "text/plain", "x", 1, &r, &err), SKIFF_E_INVALID);
    assert_int_equal(r.code, 415);
    skiff_api_result_free(&r);
    assert_int_equal(skiff_api_client_create(f->cl, p, "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"x\"}}", &r, &err), SKIFF_E_INVALID);
    assert_int_equal(r.code, 400);
    skiff_api_result_free(&r);
    assert_int_equal(skiff_api_client_create(f->cl, p, "{\"metadata\":{\"name\":\"a/b\"}}", &r, &err), SKIFF_E_INVALID);
    assert_int_equal(r.code, 422);
    assert_non_null(strstr(r.body, "\"causes\""));
    skiff_api_result_free(&r);
    assert_int_equal(skiff_api_client_create(f->cl, p, "{\"metadata\":{\"name\":\"..\"}}", &r, &err), SKIFF_E_INVALID);
    skiff_api_result_free(&r);
    assert_int_equal(skiff_api_client_get(f->cl, "/api/v1/namespaces/default/configmaps/..", &r, &err), SKIFF_E_INVALID);
    skiff_api_result_free(&r);
    assert_int_equal(skiff_api_client_get(f->cl, "/apis/nope/v1/things", &r, &err), SKIFF_E_NOTFOUND);
    skiff_api_result_free(&r);
    /* nothing was stored */
    assert_int_equal(skiff_api_client_list(f->cl, p, NULL, NULL, &r, &err), 0);
    cJSON *o = parse(&r);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "items")), 0);
    cJSON_Delete(o);
    skiff_api_result_free(&r);
}

static void test_deletecollection(void **state)
{
    fx_t *f = *state;
    skiff_error_t err;
    skiff_api_result_t r;
    for (int i = 0; i < 4; i++) {
        char b[128];
        snprintf(b, sizeof b, "{\"metadata\":{\"name\":\"d%d\",\"labels\":{\"del\":\"%s\"}}}", i, i < 3 ? "yes" : "no");
        assert_int_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces/default/configmaps", b, NULL, &err), 0);
    }
    assert_int_equal(skiff_api_client_do(f->cl, "DELETE", "/api/v1/namespaces/default/configmaps", "labelSelector=del%3Dyes", NULL, NULL, 0, NULL, &err), 0);
    assert_int_equal(skiff_api_client_list(f->cl, "/api/v1/namespaces/default/configmaps", NULL, NULL, &r, &err), 0);
    cJSON *o = parse(&r);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "items")), 1);
    assert_string_equal(str(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "items"), 0), "metadata", "name"), "d3");
    cJSON_Delete(o);
    skiff_api_result_free(&r);
}

/* every list after an acknowledged write sees it (the cache catches up first) */
static void test_list_reads_own_writes(void **state)
{
    fx_t *f = *state;
    skiff_error_t err;
    skiff_api_result_t r;
    for (int i = 0; i < 200; i++) {
        char b[128], want[64];
        snprintf(b, sizeof b, "{\"metadata\":{\"name\":\"rw-%03d\"}}", i);
        assert_int_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces/default/configmaps", b, NULL, &err), 0);
        if (i % 3 == 0) {
            snprintf(b, sizeof b, "/api/v1/namespaces/default/configmaps/rw-%03d", i);
            assert_int_equal(skiff_api_client_delete(f->cl, b, NULL, &err), 0);
        }
        assert_int_equal(skiff_api_client_list(f->cl, "/api/v1/namespaces/default/configmaps", NULL, NULL, &r, &err), 0);
        snprintf(want, sizeof want, "\"name\":\"rw-%03d\"", i);
        if ((strstr(r.body, want) != NULL) != (i % 3 != 0)) fail_msg("list after write %d: %.300s", i, r.body);
        cJSON *o = parse(&r);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "items")), i + 1 - (i / 3 + 1));
        cJSON_Delete(o);
        skiff_api_result_free(&r);
    }
}

typedef struct patcher { fx_t *f; int id, failures; } patcher_t;

static void *patch_many(void *arg)
{
    patcher_t *p = arg;
    for (int i = 0; i < 50; i++) {
        char b[128];
        skiff_error_t err;
        snprintf(b, sizeof b, "{\"data\":{\"k%d-%d\":\"v\"}}", p->id, i);
        if (skiff_api_client_patch(p->f->cl, "/api/v1/namespaces/default/configmaps/hot", "application/merge-patch+json", b, NULL, &err) != 0)
            p->failures++;
    }
    return NULL;
}

/* concurrent patches without a precondition never fail: lost races retry */
static void test_concurrent_patches(void **state)
{
    fx_t *f = *state;
    skiff_error_t err;
    skiff_api_result_t r;
    assert_int_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces/default/configmaps", "{\"metadata\":{\"name\":\"hot\"}}", NULL, &err), 0);
    pthread_t th[8];
    patcher_t p[8];
    for (int i = 0; i < 8; i++) { p[i] = (patcher_t){ f, i, 0 }; pthread_create(&th[i], NULL, patch_many, &p[i]); }
    for (int i = 0; i < 8; i++) { pthread_join(th[i], NULL); assert_int_equal(p[i].failures, 0); }
    assert_int_equal(skiff_api_client_get(f->cl, "/api/v1/namespaces/default/configmaps/hot", &r, &err), 0);
    cJSON *o = parse(&r);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "data")), 400);
    cJSON_Delete(o);
    skiff_api_result_free(&r);
    /* with a stale resourceVersion in the patch: 409, no retry */
    assert_int_equal(skiff_api_client_patch(f->cl, "/api/v1/namespaces/default/configmaps/hot", "application/merge-patch+json",
                                            "{\"metadata\":{\"resourceVersion\":\"2\"},\"data\":{\"x\":\"y\"}}", NULL, &err), SKIFF_E_CONFLICT);
}

/* events expire (event TTL through a store lease); other kinds do not */
static void test_event_ttl(void **state)
{
    fx_t *f = *state;
    skiff_error_t err;
    assert_int_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces/default/events",
        "{\"metadata\":{\"name\":\"e1\"},\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"p\"},\"reason\":\"R\",\"message\":\"m\"}", NULL, &err), 0);
    assert_int_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces/default/configmaps", "{\"metadata\":{\"name\":\"stays\"}}", NULL, &err), 0);
    assert_int_equal(skiff_api_client_get(f->cl, "/api/v1/namespaces/default/events/e1", NULL, &err), 0);
    int gone = 0;
    for (int i = 0; i < 100 && !gone; i++) {
        usleep(50000);
        gone = skiff_api_client_get(f->cl, "/api/v1/namespaces/default/events/e1", NULL, &err) == SKIFF_E_NOTFOUND;
    }
    assert_true(gone);
    assert_int_equal(skiff_api_client_get(f->cl, "/api/v1/namespaces/default/configmaps/stays", NULL, &err), 0);
}

static void test_quantities_normalised(void **state)
{
    fx_t *f = *state;
    skiff_error_t err;
    skiff_api_result_t r;
    assert_int_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces/default/pods",
        "{\"metadata\":{\"name\":\"q\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\","
        "\"resources\":{\"requests\":{\"cpu\":\"0.5\",\"memory\":\"1024Mi\"},\"limits\":{\"cpu\":2}}}]}}", &r, &err), 0);
    if (!strstr(r.body, "\"cpu\":\"500m\"")) fail_msg("%s", r.body);
    assert_non_null(strstr(r.body, "\"memory\":\"1Gi\""));
    assert_non_null(strstr(r.body, "\"limits\":{\"cpu\":\"2\"}"));
    skiff_api_result_free(&r);
    assert_int_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces/default/pods",
        "{\"metadata\":{\"name\":\"q2\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\","
        "\"resources\":{\"requests\":{\"cpu\":\"12Qi\"}}}]}}", &r, &err), SKIFF_E_INVALID);
    assert_int_equal(r.code, 422);
    assert_non_null(strstr(r.body, "spec.containers[0].resources.requests[cpu]"));
    skiff_api_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_get_semantics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_local, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_http, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_local, setup_cache, teardown),
        cmocka_unit_test_setup_teardown(test_watch_http, setup_cache, teardown),
        cmocka_unit_test_setup_teardown(test_service_allocation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_finalizers_and_graceful_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quantities_normalised, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deletecollection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_ttl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_patches, setup, teardown),
        /* the same with the watch/list cache */
        cmocka_unit_test_setup_teardown(test_create_get_semantics, setup_cache, teardown),
        cmocka_unit_test_setup_teardown(test_list_paging, setup_cache, teardown),
        cmocka_unit_test_setup_teardown(test_deletecollection, setup_cache, teardown),
        cmocka_unit_test_setup_teardown(test_list_reads_own_writes, setup_cache, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
