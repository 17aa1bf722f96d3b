/* The controller runtime: work queue de-duplication and retries, the
 * informer's cache, events and owner index against an in-process API server
 * (memory store), and the ReplicaSet controller through the manager. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "api/api.h"
#include "api/client.h"
#include "controller/controller.h"
#include "plugin/plugin.h"
#include "api/test_server.h"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- work queue ---- */

typedef struct wq_fx {
    pthread_mutex_t mu;
    int calls_a, calls_block, calls_r, release;
    int64_t first_r, last_r;
} wq_fx_t;

static int wq_fn(void *ud, const char *key, skiff_error_t *err)
{
    wq_fx_t *f = ud;
    pthread_mutex_lock(&f->mu);
    if (!strcmp(key, "a")) f->calls_a++;
    if (!strcmp(key, "block")) {
        f->calls_block++;
        while (!f->release) { pthread_mutex_unlock(&f->mu); usleep(1000); pthread_mutex_lock(&f->mu); }
    }
    int fail = 0;
    if (!strcmp(key, "r")) {
        if (!f->calls_r) f->first_r = now_ms();
        f->last_r = now_ms();
        fail = ++f->calls_r <= 3;
    }
    pthread_mutex_unlock(&f->mu);
    return fail ? skiff_error_set(err, SKIFF_E_INTERNAL, "failing on purpose") : 0;
}

static int wait_until(int (*cond)(void *), void *ud, int ms)
{
    for (int i = 0; i < ms / 5; i++) { if (cond(ud)) return 1; usleep(5000); }
    return cond(ud);
}

static int block_started(void *ud) { wq_fx_t *f = ud; pthread_mutex_lock(&f->mu); int r = f->calls_block; pthread_mutex_unlock(&f->mu); return r > 0; }
static int a_synced(void *ud) { wq_fx_t *f = ud; pthread_mutex_lock(&f->mu); int r = f->calls_a; pthread_mutex_unlock(&f->mu); return r > 0; }
static int r_done(void *ud) { wq_fx_t *f = ud; pthread_mutex_lock(&f->mu); int r = f->calls_r; pthread_mutex_unlock(&f->mu); return r >= 4; }

static void test_workqueue_dedup(void **state)
{
    (void)state;
    wq_fx_t f = { .mu = PTHREAD_MUTEX_INITIALIZER };
    skiff_workqueue_t *q;
    skiff_error_t err;
    assert_int_equal(skiff_workqueue_new("t", 1, wq_fn, &f, &q, &err), 0);
    skiff_workqueue_add(q, "block");
    assert_true(wait_until(block_started, &f, 2000));
    /* the only worker is busy: ten adds of one key queue it once */
    for (int i = 0; i < 10; i++) skiff_workqueue_add(q, "a");
    assert_int_equal(skiff_workqueue_len(q), 1);
    /* "block" re-added while it is being synced: synced once more after */
    skiff_workqueue_add(q, "block");
    skiff_workqueue_add(q, "block");
    pthread_mutex_lock(&f.mu);
    f.release = 1;
    pthread_mutex_unlock(&f.mu);
    assert_true(wait_until(a_synced, &f, 2000));
    usleep(50000);
    pthread_mutex_lock(&f.mu);
    assert_int_equal(f.calls_a, 1);
    assert_int_equal(f.calls_block, 2);
    pthread_mutex_unlock(&f.mu);
    skiff_workqueue_free(q);
}

static void test_workqueue_retry_backoff(void **state)
{
    (void)state;
    wq_fx_t f = { .mu = PTHREAD_MUTEX_INITIALIZER, .release = 1 };
    skiff_workqueue_t *q;
    skiff_error_t err;
    assert_int_equal(skiff_workqueue_new("t", 2, wq_fn, &f, &q, &err), 0);
    skiff_workqueue_add(q, "r");
    assert_true(wait_until(r_done, &f, 3000));
    usleep(50000);
    pthread_mutex_lock(&f.mu);
    assert_int_equal(f.calls_r, 4);              /* three failures, then success */
    assert_true(f.last_r - f.first_r >= 5 + 10 + 20 - 3); /* 5ms, 10ms, 20ms backoff */
    pthread_mutex_unlock(&f.mu);
    assert_int_equal(skiff_workqueue_retries(q, "r"), 0); /* success forgets failures */
    skiff_workqueue_free(q);
    assert_int_equal(skiff_workqueue_new("t", 0, wq_fn, &f, &q, &err), SKIFF_E_INVALID);
}

/* ---- against an API server ---- */

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

typedef struct seen { pthread_mutex_t mu; int add, upd, del; } seen_t;

static void on_ev(void *ud, const char *resource, skiff_ev_t ev, const cJSON *obj, const cJSON *old)
{
    (void)resource; (void)obj; (void)old;
    seen_t *s = ud;
    pthread_mutex_lock(&s->mu);
    if (ev == SKIFF_EV_ADD) s->add++;
    else if (ev == SKIFF_EV_UPDATE) s->upd++;
    else s->del++;
    pthread_mutex_unlock(&s->mu);
}

static int seen_n(seen_t *s, int which)
{
    pthread_mutex_lock(&s->mu);
    int n = which == 0 ? s->add : which == 1 ? s->upd : s->del;
    pthread_mutex_unlock(&s->mu);
    return n;
}

static void wait_seen(seen_t *s, int which, int want)
{
    for (int i = 0; i < 400 && seen_n(s, which) < want; i++) usleep(5000);
    assert_int_equal(seen_n(s, which), want);
}

static void test_informer(void **state)
{
    fx_t *f = *state;
    skiff_error_t err;
    const char *cms = "/api/v1/namespaces/default/configmaps";
    assert_int_equal(skiff_api_client_create(f->cl, cms, "{\"metadata\":{\"name\":\"a\"}}", NULL, &err), 0);
    assert_int_equal(skiff_api_client_create(f->cl, cms, "{\"metadata\":{\"name\":\"b\",\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":\"a\",\"uid\":\"u-1\"}]}}", NULL, &err), 0);
    skiff_informer_t *inf;
    seen_t s = { .mu = PTHREAD_MUTEX_INITIALIZER };
    assert_int_equal(skiff_informer_new(f->cl, "configmaps", 200, &inf, &err), 0);
    assert_int_equal(skiff_informer_new(f->cl, "frobs", 0, &(skiff_informer_t *){ NULL }, &err), SKIFF_E_INVALID);
    assert_int_equal(skiff_informer_add_handler(inf, on_ev, &s), 0);
    assert_int_equal(skiff_informer_start(inf, &err), 0);
    wait_seen(&s, 0, 2);                               /* the list */
    assert_true(skiff_informer_synced(inf));
    assert_int_equal(skiff_informer_len(inf), 2);
    cJSON *b = skiff_informer_get(inf, "default/b");
    assert_non_null(b);
    assert_string_equal(skiff_obj_str(b, "kind"), "ConfigMap"); /* list items get their kind */
    cJSON_Delete(b);
    cJSON *owned = skiff_informer_list(inf, "default", "u-1", NULL, NULL);
    assert_int_equal(cJSON_GetArraySize(owned), 1);
    assert_string_equal(skiff_obj_str(cJSON_GetArrayItem(owned, 0), "metadata.name"), "b");
    cJSON_Delete(owned);
    /* the watch: a create, an update, a delete */
    assert_int_equal(skiff_api_client_create(f->cl, cms, "{\"metadata\":{\"name\":\"c\"}}", NULL, &err), 0);
    wait_seen(&s, 0, 3);
    assert_int_equal(skiff_api_client_patch(f->cl, "/api/v1/namespaces/default/configmaps/c", "application/merge-patch+json",
                                            "{\"data\":{\"k\":\"v\"}}", NULL, &err), 0);
    for (int i = 0; i < 400; i++) {
        cJSON *c = skiff_informer_get(inf, "default/c");
        int ok = c && skiff_obj_str(c, "data.k");
        cJSON_Delete(c);
        if (ok) break;
        usleep(5000);
    }
    cJSON *c = skiff_informer_get(inf, "default/c");
    assert_non_null(c);
    assert_string_equal(skiff_obj_str(c, "data.k"), "v");
    cJSON_Delete(c);
    assert_int_equal(skiff_api_client_delete(f->cl, "/api/v1/namespaces/default/configmaps/a", NULL, &err), 0);
    wait_seen(&s, 2, 1);
    assert_null(skiff_informer_get(inf, "default/a"));
    /* resync re-delivers every cached object as an update (200ms here) */
    int before = seen_n(&s, 1);
    usleep(500000);
    assert_true(seen_n(&s, 1) >= before + 2);
    skiff_informer_free(inf);
}

static int count_pods(fx_t *f, const char *rs_uid)
{
    skiff_api_result_t r = { 0 };
    skiff_error_t err;
    assert_int_equal(skiff_api_client_list(f->cl, "/api/v1/namespaces/default/pods", "app=fe", NULL, &r, &err), 0);
    cJSON *l = cJSON_ParseWithLength(r.body, r.len), *p;
    skiff_api_result_free(&r);
    int n = 0;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(l, "items")) {
        const cJSON *ref = skiff_obj_controller_ref(p);
        if (ref && !strcmp(skiff_obj_str(ref, "uid"), rs_uid) && cJSON_IsTrue(cJSON_GetObjectItem(ref, "blockOwnerDeletion"))) n++;
    }
    cJSON_Delete(l);
    return n;
}

static void test_replicaset_controller(void **state)
{
    fx_t *f = *state;
    skiff_error_t err;
    skiff_api_result_t r = { 0 };
    const char *rsp = "/apis/apps/v1/namespaces/default/replicasets";
    assert_int_equal(skiff_api_client_create(f->cl, rsp,
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"metadata\":{\"name\":\"fe\"},\"spec\":{\"replicas\":5,"
        "\"selector\":{\"matchLabels\":{\"app\":\"fe\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"fe\"}},"
        "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}}}", &r, &err), 0);
    cJSON *rs = cJSON_ParseWithLength(r.body, r.len);
    skiff_api_result_free(&r);
    char uid[64];
    snprintf(uid, sizeof uid, "%s", skiff_obj_str(rs, "metadata.uid"));
    cJSON_Delete(rs);
    const char *only[] = { "replicaset", NULL };
    skiff_ctrl_mgr_config_t mc = { .client = f->cl, .enable = only, .workers = 2 };
    skiff_ctrl_mgr_t *m;
    const char *bad[] = { "replicaset", "nosuch", NULL };
    skiff_ctrl_mgr_config_t badc = { .client = f->cl, .enable = bad };
    assert_int_equal(skiff_ctrl_mgr_new(&badc, &m, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "nosuch"));
    assert_int_equal(skiff_ctrl_mgr_new(&mc, &m, &err), 0);
    int n = 0;
    for (int i = 0; i < 400 && (n = count_pods(f, uid)) < 5; i++) usleep(5000);
    assert_int_equal(n, 5);
    usleep(200000);
    assert_int_equal(count_pods(f, uid), 5); /* expectations: never more */
    int64_t replicas = -1, gen = -1;
    for (int i = 0; i < 400; i++) {
        assert_int_equal(skiff_api_client_get(f->cl, "/apis/apps/v1/namespaces/default/replicasets/fe", &r, &err), 0);
        cJSON *o = cJSON_ParseWithLength(r.body, r.len);
        skiff_api_result_free(&r);
        replicas = skiff_obj_int(o, "status.replicas", -1);
        gen = skiff_obj_int(o, "status.observedGeneration", -1);
        cJSON_Delete(o);
        if (replicas == 5) break;
        usleep(5000);
    }
    assert_int_equal(replicas, 5);
    assert_int_equal(gen, 1);
    /* scale down to 2 */
    assert_int_equal(skiff_api_client_patch(f->cl, "/apis/apps/v1/namespaces/default/replicasets/fe", "application/merge-patch+json",
                                            "{\"spec\":{\"replicas\":2}}", NULL, &err), 0);
    for (int i = 0; i < 400 && (n = count_pods(f, uid)) != 2; i++) usleep(5000);
    assert_int_equal(n, 2);
    /* SuccessfulCreate / SuccessfulDelete events on the ReplicaSet */
    assert_int_equal(skiff_api_client_list(f->cl, "/api/v1/namespaces/default/events", NULL, "reason=SuccessfulCreate", &r, &err), 0);
    cJSON *evs = cJSON_ParseWithLength(r.body, r.len);
    skiff_api_result_free(&r);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(evs, "items")), 5);
    assert_string_equal(skiff_obj_str(cJSON_GetArrayItem(cJSON_GetObjectItem(evs, "items"), 0), "involvedObject.kind"), "ReplicaSet");
    cJSON_Delete(evs);
    skiff_ctrl_mgr_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_workqueue_dedup),
        cmocka_unit_test(test_workqueue_retry_backoff),
        cmocka_unit_test_setup_teardown(test_informer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replicaset_controller, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
