/* The informer's indexes and borrowed views, ReplicaSet expectations, and
 * the Deployment controller's rolling update bounds:
 *  - a rolling update must not count a ReplicaSet's stale status (more
 *    available replicas than its spec, after a scale-down its ReplicaSet
 *    controller has not carried out yet): it scaled the old ReplicaSet down
 *    twice for the same new pods and availability fell below replicas -
 *    maxUnavailable (6,202 of 10,000 in make bench-ctrl). Reproduced here
 *    with the Deployment controller alone and statuses written by hand;
 *  - a full rolling update with every controller, the scheduler and
 *    simulated nodes, watched pod by pod: available pods never below
 *    replicas - maxUnavailable, pods never above replicas + maxSurge;
 *  - proportional scaling in the middle of a rollout. */
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
#include <ftw.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "api/api.h"
#include "api/client.h"
#include "api/component.h"
#include "bus/bus.h"
#include "config/config.h"
#include "controller/component.h"
#include "controller/controller.h"
#include "controller/expect.h"
#include "plugin/plugin.h"
#include "sched/component.h"
#include "sim/sim.h"

typedef struct fx {
    skiff_registry_t *reg;
    skiff_instance_t *store;
    skiff_api_server_t *srv;
    skiff_api_client_t *cl;
    skiff_ctrl_mgr_t *m;         /* stopped by teardown, also after a failed assertion */
} fx_t;

static const char *plugins_dir(void)
{
    const char *dir = getenv("SKIFF_PLUGINS");
    return dir && *dir ? dir : "build/plugins";
}

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    skiff_error_t err;
    char path[1024];
    snprintf(path, sizeof path, "%s/store/memory.so", plugins_dir());
    assert_int_equal(skiff_registry_new(&f->reg, &err), 0);
    if (skiff_registry_load_file(f->reg, path, &err) < 0) fail_msg("%s", err.msg);
    const skiff_plugin_t *d = skiff_registry_find(f->reg, SKIFF_KIND_STORE, "memory");
    assert_non_null(d);
    assert_int_equal(skiff_instance_new(d, "mem", NULL, NULL, &f->store, &err), 0);
    assert_int_equal(skiff_instance_start(f->store, &err), 0);
    skiff_api_config_t cfg = { .listen = "127.0.0.1:0", .service_cidr = "10.0.0.0/29", .watch_bookmark_ms = 200 };
    if (skiff_api_server_new(&cfg, skiff_instance_ops(f->store), skiff_instance_self(f->store), &f->srv, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(skiff_api_client_local(f->srv, &f->cl, &err), 0);
    assert_int_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces", "{\"metadata\":{\"name\":\"default\"}}", NULL, &err), 0);
    assert_int_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces", "{\"metadata\":{\"name\":\"other\"}}", NULL, &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    skiff_ctrl_mgr_free(f->m);
    skiff_api_client_free(f->cl);
    skiff_api_server_free(f->srv);
    skiff_instance_free(f->store);
    skiff_registry_free(f->reg);
    free(f);
    return 0;
}

static void wait_len(skiff_informer_t *inf, const char *index, const char *value, size_t want)
{
    for (int i = 0; i < 2000 && skiff_informer_count(inf, index, value) != want; i++) usleep(5000);
    assert_int_equal(skiff_informer_count(inf, index, value), want);
}

static int has_name(const skiff_objs_t *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(skiff_obj_str(l->v[i], "metadata.name"), name)) return 1;
    return 0;
}

/* a custom index: the "tier" label */
static size_t ix_tier(const cJSON *o, const char **v, size_t max)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "metadata"), "labels"), "tier");
    if (!max || !cJSON_IsString(t)) return 0;
    v[0] = t->valuestring;
    return 1;
}

static int named_b(void *ud, const cJSON *o) { (void)ud; return !strcmp(skiff_obj_str(o, "metadata.name"), "b"); }

#define CM(ns) "/api/v1/namespaces/" ns "/configmaps"
#define REF(uid, ctl) "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":\"o\",\"uid\":\"" uid "\"" ctl "}"

static void test_informer_indexes(void **state)
{
    fx_t *f = *state;
    skiff_error_t err;
    /* a: orphan; b: controlled by u-1, also owned by u-2; c: owned (not controlled) by u-1; d: other namespace */
    assert_int_equal(skiff_api_client_create(f->cl, CM("default"), "{\"metadata\":{\"name\":\"a\",\"labels\":{\"tier\":\"web\"}}}", NULL, &err), 0);
    assert_int_equal(skiff_api_client_create(f->cl, CM("default"), "{\"metadata\":{\"name\":\"b\",\"labels\":{\"tier\":\"db\"},\"ownerReferences\":["
        REF("u-1", ",\"controller\":true") "," REF("u-2", "") "]}}", NULL, &err), 0);
    assert_int_equal(skiff_api_client_create(f->cl, CM("default"), "{\"metadata\":{\"name\":\"c\",\"ownerReferences\":[" REF("u-1", "") "]}}", NULL, &err), 0);
    assert_int_equal(skiff_api_client_create(f->cl, CM("other"), "{\"metadata\":{\"name\":\"d\",\"labels\":{\"tier\":\"web\"}}}", NULL, &err), 0);
    skiff_informer_t *inf;
    assert_int_equal(skiff_informer_new(f->cl, "configmaps", 0, &inf, &err), 0);
    assert_int_equal(skiff_informer_start(inf, &err), 0);
    wait_len(inf, NULL, NULL, 4);
    assert_int_equal(skiff_informer_count(inf, SKIFF_INDEX_NAMESPACE, "default"), 3);
    assert_int_equal(skiff_informer_count(inf, SKIFF_INDEX_NAMESPACE, "other"), 1);
    assert_int_equal(skiff_informer_count(inf, SKIFF_INDEX_OWNER, "u-1"), 2);
    assert_int_equal(skiff_informer_count(inf, SKIFF_INDEX_OWNER, "u-2"), 1);
    assert_int_equal(skiff_informer_count(inf, SKIFF_INDEX_CONTROLLER, "u-1"), 1);
    assert_int_equal(skiff_informer_count(inf, SKIFF_INDEX_CONTROLLER, "u-2"), 0);
    assert_int_equal(skiff_informer_count(inf, SKIFF_INDEX_ORPHAN, "default"), 2); /* a, c */
    assert_int_equal(skiff_informer_count(inf, "nosuch", "x"), 0);
    skiff_objs_t l;
    assert_int_equal(skiff_informer_select(inf, "nosuch", "x", NULL, NULL, &l), SKIFF_E_INVALID);
    assert_int_equal(l.n, 0);
    assert_int_equal(skiff_informer_select(inf, SKIFF_INDEX_OWNER, "u-1", NULL, NULL, &l), 0);
    assert_int_equal(l.n, 2);
    assert_true(has_name(&l, "b") && has_name(&l, "c"));
    skiff_objs_release(&l);
    assert_int_equal(skiff_informer_select(inf, SKIFF_INDEX_OWNER, "u-1", named_b, NULL, &l), 0);
    assert_int_equal(l.n, 1);
    skiff_objs_release(&l);
    /* the copying list goes through the same indexes, in key order */
    cJSON *copies = skiff_informer_list(inf, "default", NULL, NULL, NULL);
    assert_int_equal(cJSON_GetArraySize(copies), 3);
    assert_string_equal(skiff_obj_str(cJSON_GetArrayItem(copies, 0), "metadata.name"), "a");
    assert_string_equal(skiff_obj_str(cJSON_GetArrayItem(copies, 1), "metadata.name"), "b");
    assert_string_equal(skiff_obj_str(cJSON_GetArrayItem(copies, 2), "metadata.name"), "c");
    cJSON_Delete(copies);
    copies = skiff_informer_list(inf, NULL, NULL, NULL, NULL);
    assert_string_equal(skiff_obj_str(cJSON_GetArrayItem(copies, 3), "metadata.namespace"), "other");
    cJSON_Delete(copies);
    copies = skiff_informer_list(inf, "other", NULL, NULL, NULL);
    assert_int_equal(cJSON_GetArraySize(copies), 1);
    cJSON_Delete(copies);
    copies = skiff_informer_list(inf, "other", "u-1", NULL, NULL);
    assert_int_equal(cJSON_GetArraySize(copies), 0);
    cJSON_Delete(copies);
    /* a custom index, added after the objects: filed at once */
    assert_int_equal(skiff_informer_add_index(inf, "tier", ix_tier, &err), 0);
    assert_int_equal(skiff_informer_add_index(inf, "tier", ix_tier, &err), SKIFF_E_EXISTS);
    assert_int_equal(skiff_informer_count(inf, "tier", "web"), 2);
    assert_int_equal(skiff_informer_count(inf, "tier", "db"), 1);
    /* a borrowed object outlives its deletion from the cache, unchanged */
    void *hold = NULL;
    const cJSON *b = skiff_informer_borrow(inf, "default/b", &hold);
    assert_non_null(b);
    /* an update moves the object between buckets: b loses u-1, becomes an orphan, changes tier */
    assert_int_equal(skiff_api_client_patch(f->cl, "/api/v1/namespaces/default/configmaps/b", "application/merge-patch+json",
        "{\"metadata\":{\"labels\":{\"tier\":\"web\"},\"ownerReferences\":[" REF("u-2", "") "]}}", NULL, &err), 0);
    wait_len(inf, SKIFF_INDEX_OWNER, "u-1", 1);
    assert_int_equal(skiff_informer_count(inf, SKIFF_INDEX_CONTROLLER, "u-1"), 0);
    assert_int_equal(skiff_informer_count(inf, SKIFF_INDEX_ORPHAN, "default"), 3);
    assert_int_equal(skiff_informer_count(inf, "tier", "web"), 3);
    assert_int_equal(skiff_informer_count(inf, "tier", "db"), 0);
    assert_int_equal(skiff_api_client_delete(f->cl, "/api/v1/namespaces/default/configmaps/b", NULL, &err), 0);
    wait_len(inf, SKIFF_INDEX_OWNER, "u-2", 0);
    assert_int_equal(skiff_informer_count(inf, SKIFF_INDEX_NAMESPACE, "default"), 2);
    assert_int_equal(skiff_informer_count(inf, "tier", "web"), 2);
    assert_null(skiff_informer_get(inf, "default/b"));
    /* the held view still reads the object as it was when borrowed */
    assert_string_equal(skiff_obj_str(b, "metadata.labels.tier"), "db");
    assert_string_equal(skiff_obj_str(skiff_obj_controller_ref(b), "uid"), "u-1");
    skiff_informer_unhold(hold);
    skiff_informer_free(inf);
}

static void test_expectations(void **state)
{
    (void)state;
    skiff_expect_t *x = skiff_expect_new();
    assert_non_null(x);
    assert_true(skiff_expect_satisfied(x, "default/rs"));
    /* counted creations */
    skiff_expect_set(x, "default/rs", 2, 0);
    skiff_expect_observed(x, "default/rs", 1);
    assert_false(skiff_expect_satisfied(x, "default/rs"));
    skiff_expect_observed(x, "default/rs", 1);
    assert_true(skiff_expect_satisfied(x, "default/rs"));
    /* deletions by pod: the two events of one graceful deletion count once */
    const char *pods[] = { "default/p1", "default/p2" };
    assert_int_equal(skiff_expect_deletes(x, "default/rs", pods, 2), 0);
    skiff_expect_deleted(x, "default/rs", "default/p1");   /* deletionTimestamp */
    skiff_expect_deleted(x, "default/rs", "default/p1");   /* DELETED */
    skiff_expect_deleted(x, "default/rs", "default/p9");   /* not one we deleted */
    assert_false(skiff_expect_satisfied(x, "default/rs"));
    skiff_expect_deleted(x, "default/other", "default/p2"); /* another ReplicaSet's */
    assert_false(skiff_expect_satisfied(x, "default/rs"));
    skiff_expect_deleted(x, "default/rs", "default/p2");
    assert_true(skiff_expect_satisfied(x, "default/rs"));
    /* a new expectation replaces the old one; forget drops it */
    assert_int_equal(skiff_expect_deletes(x, "default/rs", pods, 1), 0);
    assert_false(skiff_expect_satisfied(x, "default/rs"));
    skiff_expect_forget(x, "default/rs");
    assert_true(skiff_expect_satisfied(x, "default/rs"));
    skiff_expect_free(x);
}

/* ---- the Deployment controller on hand-written ReplicaSet statuses ---- */

static cJSON *get_json(fx_t *f, const char *path)
{
    skiff_api_result_t r = { 0 };
    skiff_error_t err;
    int rc = skiff_api_client_get(f->cl, path, &r, &err);
    cJSON *o = rc == 0 ? cJSON_ParseWithLength(r.body, r.len) : NULL;
    skiff_api_result_free(&r);
    return o;
}

/* The ReplicaSet of the deployment whose first container runs image: its name into out; spec.replicas or -1. */
static int64_t rs_of(fx_t *f, const char *image, char *out, size_t n)
{
    cJSON *l = get_json(f, "/apis/apps/v1/namespaces/default/replicasets"), *it;
    int64_t spec = -1;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(l, "items")) {
        const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(
            cJSON_GetObjectItem(it, "spec"), "template"), "spec"), "containers"), 0);
        const char *img = skiff_obj_str(c, "image");
        if (!img || strcmp(img, image)) continue;
        snprintf(out, n, "%s", skiff_obj_str(it, "metadata.name"));
        spec = skiff_obj_int(it, "spec.replicas", -1);
    }
    cJSON_Delete(l);
    return spec;
}

static int64_t wait_rs(fx_t *f, const char *image, char *name, size_t n, int64_t not, int64_t want)
{
    int64_t spec = -1;
    for (int i = 0; i < 2000; i++) {   /* 10 s: the machine may be loaded */
        spec = rs_of(f, image, name, n);
        if (spec >= 0 && spec != not && (want < 0 || spec == want)) break;
        usleep(5000);
    }
    return spec;
}

static int has_event(fx_t *f, const char *msg)
{
    cJSON *evs = get_json(f, "/api/v1/namespaces/default/events"), *e;
    int found = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(evs, "items")) {
        const char *m = skiff_obj_str(e, "message");
        if (m && !strcmp(m, msg)) found = 1;
    }
    cJSON_Delete(evs);
    return found;
}

static int wait_event(fx_t *f, const char *msg)
{
    for (int i = 0; i < 2000; i++) {
        if (has_event(f, msg)) return 1;
        usleep(5000);
    }
    print_message("no event \"%s\"\n", msg);
    return 0;
}

static void set_status(fx_t *f, const char *rs, int replicas, int available)
{
    char path[256], body[256];
    skiff_error_t err;
    snprintf(path, sizeof path, "/apis/apps/v1/namespaces/default/replicasets/%s/status", rs);
    snprintf(body, sizeof body, "{\"status\":{\"replicas\":%d,\"readyReplicas\":%d,\"availableReplicas\":%d,\"observedGeneration\":1}}",
             replicas, available, available);
    assert_int_equal(skiff_api_client_patch(f->cl, path, "application/merge-patch+json", body, NULL, &err), 0);
}

#define DEPLOY(image) "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\"},\"spec\":{\"replicas\":100," \
    "\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}}," \
    "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"" image "\"}]}}}}"

static void test_rolling_stale_status(void **state)
{
    fx_t *f = *state;
    skiff_error_t err;
    const char *only[] = { "deployment", NULL };
    skiff_ctrl_mgr_config_t mc = { .client = f->cl, .enable = only, .workers = 2 };
    assert_int_equal(skiff_ctrl_mgr_new(&mc, &f->m, &err), 0);
    assert_int_equal(skiff_api_client_create(f->cl, "/apis/apps/v1/namespaces/default/deployments", DEPLOY("nginx:1"), NULL, &err), 0);
    char old[128] = "", neu[128] = "";
    assert_int_equal(wait_rs(f, "nginx:1", old, sizeof old, -1, 100), 100);
    set_status(f, old, 100, 100);                 /* all 100 available */
    usleep(100000);
    assert_int_equal(skiff_api_client_patch(f->cl, "/apis/apps/v1/namespaces/default/deployments/web", "application/merge-patch+json",
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:2\"}]}}}}", NULL, &err), 0);
    /* the new ReplicaSet within maxSurge (25), the old one down by maxUnavailable (25) */
    assert_int_equal(wait_rs(f, "nginx:2", neu, sizeof neu, -1, 25), 25);
    assert_int_equal(wait_rs(f, "nginx:1", old, sizeof old, 100, 75), 75);
    /* The old ReplicaSet's controller has not carried the scale-down out:
     * its status still says 100 available. 10 new pods become available:
     * the old one may go down by 10 (65 + 10 = 75 available), not by 35
     * (the stale 100 + 10 - 75) to 40, which leaves 50 available. */
    set_status(f, neu, 25, 10);
    int64_t spec = wait_rs(f, "nginx:1", old, sizeof old, 75, -1);
    usleep(200000);                               /* and no second step on the same counts */
    spec = rs_of(f, "nginx:1", old, sizeof old);
    assert_int_equal(spec, 65);
    assert_true(spec + 10 >= 100 - 25);
    /* the old ReplicaSet still has 100 pods: no room to surge into yet */
    assert_int_equal(rs_of(f, "nginx:2", neu, sizeof neu), 25);
    /* it catches up (65 pods): the new one surges to 125 - 65 = 60 */
    set_status(f, old, 65, 65);
    assert_int_equal(wait_rs(f, "nginx:2", neu, sizeof neu, 25, 60), 60);
}

/* Scaling in the middle of a rollout is spread over the ReplicaSets by the
 * max-replicas annotation they were sized for (kube's proportional
 * scaling), leftovers to the largest. */
static void test_proportional_scaling(void **state)
{
    fx_t *f = *state;
    skiff_error_t err;
    const char *only[] = { "deployment", NULL };
    skiff_ctrl_mgr_config_t mc = { .client = f->cl, .enable = only, .workers = 2 };
    assert_int_equal(skiff_ctrl_mgr_new(&mc, &f->m, &err), 0);
    assert_int_equal(skiff_api_client_create(f->cl, "/apis/apps/v1/namespaces/default/deployments", DEPLOY("nginx:1"), NULL, &err), 0);
    char old[128] = "", neu[128] = "";
    assert_int_equal(wait_rs(f, "nginx:1", old, sizeof old, -1, 100), 100);
    set_status(f, old, 100, 100);
    usleep(100000);
    assert_int_equal(skiff_api_client_patch(f->cl, "/apis/apps/v1/namespaces/default/deployments/web", "application/merge-patch+json",
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:2\"}]}}}}", NULL, &err), 0);
    assert_int_equal(wait_rs(f, "nginx:2", neu, sizeof neu, -1, 25), 25);
    assert_int_equal(wait_rs(f, "nginx:1", old, sizeof old, 100, 75), 75);
    /* 100 -> 200 (maxSurge 50): 250 - 100 = 150 to add; old 75 * 250/125
     * = 150 (+75), new 25 * 250/125 = 50 (+25), the leftover 50 to the
     * largest: old 200, new 50 */
    assert_int_equal(skiff_api_client_patch(f->cl, "/apis/apps/v1/namespaces/default/deployments/web", "application/merge-patch+json",
                                            "{\"spec\":{\"replicas\":200}}", NULL, &err), 0);
    char want1[300], want2[300];
    snprintf(want1, sizeof want1, "Scaled up replica set %s to 200 from 75", old);
    snprintf(want2, sizeof want2, "Scaled up replica set %s to 50 from 25", neu);
    assert_true(wait_event(f, want1));
    assert_true(wait_event(f, want2));
    /* then the rolling update goes on as kube's: the old ReplicaSet's 100
     * replicas without pods count as unhealthy and go first (200 -> 150),
     * which makes room for the new one (50 -> 100) */
    assert_int_equal(wait_rs(f, "nginx:1", old, sizeof old, -1, 150), 150);
    assert_int_equal(wait_rs(f, "nginx:2", neu, sizeof neu, -1, 100), 100);
    cJSON *rs = get_json(f, "/apis/apps/v1/namespaces/default/replicasets");
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(rs, "items")) {
        const cJSON *ann = cJSON_GetObjectItem(cJSON_GetObjectItem(it, "metadata"), "annotations");
        assert_string_equal(cJSON_GetObjectItem(ann, "deployment.kubernetes.io/desired-replicas")->valuestring, "200");
        assert_string_equal(cJSON_GetObjectItem(ann, "deployment.kubernetes.io/max-replicas")->valuestring, "250");
    }
    cJSON_Delete(rs);
    /* 200 -> 40 (maxSurge 10): 50 - 250 = -200; old 150 * 50/250 = 30,
     * new 100 * 50/250 = 20: the 3:2 split is kept */
    assert_int_equal(skiff_api_client_patch(f->cl, "/apis/apps/v1/namespaces/default/deployments/web", "application/merge-patch+json",
                                            "{\"spec\":{\"replicas\":40}}", NULL, &err), 0);
    snprintf(want1, sizeof want1, "Scaled down replica set %s to 30 from 150", old);
    snprintf(want2, sizeof want2, "Scaled down replica set %s to 20 from 100", neu);
    assert_true(wait_event(f, want1));
    assert_true(wait_event(f, want2));
    usleep(200000);
    assert_int_equal(rs_of(f, "nginx:1", old, sizeof old), 30);
    assert_int_equal(rs_of(f, "nginx:2", neu, sizeof neu), 20);
}

/* ---- a full rolling update, watched pod by pod ---- */

#define ROLL_REPLICAS 400
#define ROLL_NODES 20
#define ROLL_SURGE 100      /* 25% */
#define ROLL_UNAVAIL 100    /* 25% */

typedef struct watch_fx {
    pthread_mutex_t mu;
    skiff_informer_t *pods;
    int arm;                   /* the Deployment says all-Available: */
    int armed;                 /* and this informer has seen it: the bounds apply */
    int min_avail, max_active, events, checks, last_avail;
} watch_fx_t;

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(p);
}

/* At every pod event: pods of the deployment not being deleted, and the
 * available ones among them (Ready; minReadySeconds is 0). */
static void on_pod(void *ud, const char *resource, skiff_ev_t ev, const cJSON *obj, const cJSON *old)
{
    (void)resource; (void)ev; (void)obj; (void)old;
    watch_fx_t *w = ud;
    skiff_objs_t l;
    if (skiff_informer_select(w->pods, SKIFF_INDEX_NAMESPACE, "default", NULL, NULL, &l) < 0) return;
    int active = 0, avail = 0;
    for (size_t i = 0; i < l.n; i++) {
        if (!skiff_pod_active(l.v[i])) continue;
        active++;
        if (skiff_pod_ready(l.v[i])) avail++;
    }
    skiff_objs_release(&l);
    pthread_mutex_lock(&w->mu);
    w->events++;
    w->last_avail = avail;
    /* the bounds hold from the moment this informer (which lags the API
     * server by its own amount) has seen every replica available */
    if (w->arm && avail >= ROLL_REPLICAS) w->armed = 1;
    if (w->armed) {
        w->checks++;
        if (avail < w->min_avail) w->min_avail = avail;
        if (active > w->max_active) w->max_active = active;
    }
    pthread_mutex_unlock(&w->mu);
}

static int dep_done(fx_t *f, const char *image)
{
    (void)image;
    cJSON *d = get_json(f, "/apis/apps/v1/namespaces/default/deployments/web");
    int ok = d && skiff_obj_int(d, "status.observedGeneration", 0) >= skiff_obj_int(d, "metadata.generation", 1) &&
             skiff_obj_int(d, "status.updatedReplicas", 0) == ROLL_REPLICAS &&
             skiff_obj_int(d, "status.replicas", 0) == ROLL_REPLICAS &&
             skiff_obj_int(d, "status.availableReplicas", 0) == ROLL_REPLICAS;
    cJSON_Delete(d);
    return ok;
}

static void test_rollout_bounds(void **state)
{
    (void)state;
    char dir[] = "/tmp/skiff-rollout-test.XXXXXX", file[256];
    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof file, "%s/c.cfg", dir);
    char *abs = realpath(plugins_dir(), NULL);
    assert_non_null(abs);
    FILE *cf = fopen(file, "w");
    assert_non_null(cf);
    fprintf(cf,
            "plugin_path = [ \"%s\" ];\n"
            "components = { apiserver = true; scheduler = false; sim = false; controllers = false; };\n"
            "apiserver = { listen = \"\"; };\n"
            "sim = { nodes = %d; pod_start_delay = \"0s\"; heartbeat = \"10s\"; status_interval = \"1m\"; };\n"
            "controllers = { enable = [ \"replicaset\", \"deployment\", \"garbagecollector\" ]; workers = 2; };\n"
            "scheduler = { profiles = ( { name = \"default-scheduler\"; plugins = ( { instance = \"fit\"; }, { instance = \"least\"; }, { instance = \"binder\"; } ); } ); };\n"
            "plugins = { store = ( { plugin = \"memory\"; instance = \"main\"; } );\n"
            "  scheduler = ( { plugin = \"node-resources-fit\"; instance = \"fit\"; }, { plugin = \"least-allocated\"; instance = \"least\"; },\n"
            "                { plugin = \"default-binder\"; instance = \"binder\"; } ); };\n",
            abs, ROLL_NODES);
    fclose(cf);
    free(abs);
    skiff_error_t err;
    skiff_error_clear(&err);
    skiff_cluster_config_t *cfg = NULL;
    skiff_bus_t *bus = NULL;
    skiff_cluster_t *cl = NULL;
    skiff_api_client_t *c = NULL;
    void *sched = NULL, *sim = NULL, *ctrl = NULL;
    if (skiff_config_load(file, NULL, NULL, &cfg, &err) < 0 || skiff_bus_new(&bus, &err) < 0 ||
        skiff_cluster_assemble(cfg, bus, &cl, &err) < 0 ||
        skiff_api_client_local(skiff_api_component_server(), &c, &err) < 0 ||
        skiff_sim_component_start(cl, skiff_config_component(cfg, "sim"), &sim, &err) < 0 ||
        skiff_sched_component_start(cl, skiff_config_component(cfg, "scheduler"), &sched, &err) < 0 ||
        skiff_ctrl_component_start(cl, skiff_config_component(cfg, "controllers"), &ctrl, &err) < 0)
        fail_msg("assembling: %s", err.msg);
    fx_t f = { .cl = c };
    /* our own pod informer: the bounds checked at every pod event */
    watch_fx_t w = { .mu = PTHREAD_MUTEX_INITIALIZER, .min_avail = 1 << 30 };
    assert_int_equal(skiff_informer_new(c, "pods", 0, &w.pods, &err), 0);
    assert_int_equal(skiff_informer_add_handler(w.pods, on_pod, &w), 0);
    assert_int_equal(skiff_informer_start(w.pods, &err), 0);
    skiff_sim_stats_t st;
    for (int i = 0; i < 1000; i++) {
        skiff_sim_stats(sim, &st);
        if (st.nodes_registered >= ROLL_NODES) break;
        usleep(10000);
    }
    usleep(300000);   /* the scheduler's node watch */
    char body[1024];
    snprintf(body, sizeof body,
             "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\"},\"spec\":{\"replicas\":%d,"
             "\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},"
             "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1\",\"resources\":{\"requests\":{\"cpu\":\"100m\"}}}]}}}}",
             ROLL_REPLICAS);
    assert_int_equal(skiff_api_client_create(c, "/apis/apps/v1/namespaces/default/deployments", body, NULL, &err), 0);
    int done = 0;
    for (int i = 0; i < 3000 && !(done = dep_done(&f, "nginx:1")); i++) usleep(10000);
    assert_true(done);
    pthread_mutex_lock(&w.mu);
    w.arm = 1;
    if (w.last_avail >= ROLL_REPLICAS) w.armed = 1;   /* seen already, before the last event */
    pthread_mutex_unlock(&w.mu);
    int armed = 0;
    for (int i = 0; i < 1000 && !armed; i++) {
        usleep(5000);
        pthread_mutex_lock(&w.mu);
        armed = w.armed;
        pthread_mutex_unlock(&w.mu);
    }
    assert_true(armed);
    for (int round = 2; round <= 3; round++) {
        char patch[256];
        snprintf(patch, sizeof patch, "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:%d\"}]}}}}", round);
        assert_int_equal(skiff_api_client_patch(c, "/apis/apps/v1/namespaces/default/deployments/web", "application/merge-patch+json",
                                                patch, NULL, &err), 0);
        usleep(100000);
        done = 0;
        for (int i = 0; i < 3000 && !(done = dep_done(&f, "")); i++) usleep(10000);
        assert_true(done);
    }
    /* let this informer catch up with the end of the rollout */
    for (int i = 0; i < 2000; i++) {
        pthread_mutex_lock(&w.mu);
        int settled = w.last_avail == ROLL_REPLICAS;
        pthread_mutex_unlock(&w.mu);
        if (settled && skiff_informer_count(w.pods, NULL, NULL) == ROLL_REPLICAS) break;
        usleep(5000);
    }
    skiff_informer_stop(w.pods);
    pthread_mutex_lock(&w.mu);
    print_message("rollout bounds: %d pod events, %d checked; available never below %d (floor %d), pods never above %d (ceiling %d)\n",
                  w.events, w.checks, w.min_avail, ROLL_REPLICAS - ROLL_UNAVAIL, w.max_active, ROLL_REPLICAS + ROLL_SURGE);
    assert_true(w.checks > 2 * ROLL_REPLICAS);           /* both rollouts were watched */
    assert_true(w.min_avail >= ROLL_REPLICAS - ROLL_UNAVAIL);
    assert_true(w.max_active <= ROLL_REPLICAS + ROLL_SURGE);
    pthread_mutex_unlock(&w.mu);
    skiff_ctrl_component_stop(ctrl);
    skiff_sched_component_stop(sched);
    skiff_sim_component_stop(sim);
    skiff_informer_free(w.pods);
    skiff_api_client_free(c);
    skiff_cluster_free(cl);
    skiff_bus_free(bus);
    skiff_config_free(cfg);
    nftw(dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_informer_indexes, setup, teardown),
        cmocka_unit_test(test_expectations),
        cmocka_unit_test_setup_teardown(test_rolling_stale_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proportional_scaling, setup, teardown),
        cmocka_unit_test(test_rollout_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
