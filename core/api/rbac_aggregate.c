/* core/api/rbac_aggregate — ClusterRole aggregation, as kube's
 * clusterrole-aggregation controller (pkg/controller/clusterroleaggregation):
 * a ClusterRole with aggregationRule.clusterRoleSelectors gets as `rules`
 * the rules of every other ClusterRole its selectors match — selector by
 * selector, the matching roles sorted by name, their rules in order, a rule
 * equal to one already taken skipped — written back with a merge patch
 * (field manager clusterrole-aggregation-controller) whenever it differs.
 *
 * Level-triggered like the controller: a store watch on ClusterRoles only
 * marks the state dirty; one worker thread lists every ClusterRole and
 * rewrites what changed, again until nothing does (chains such as
 * view -> edit -> admin settle in a few passes; a union only grows, so
 * this ends). Writes go through the server as the in-process component
 * (system:masters), so validation, escalation checks and watches see them
 * like any write. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/authz.h"
#include "api/selector.h"
#include "log/log.h"

static const char PREFIX[] = "/registry/clusterroles/";
#define MAX_PASSES 16

struct apisrv_rbac_agg {
    skiff_api_server_t *s;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int dirty, stop, rewatch;
    skiff_store_watch_t *w;
    int64_t rev;
};

static void on_event(void *ud, const skiff_store_event_t *ev, const skiff_error_t *err)
{
    apisrv_rbac_agg_t *a = ud;
    pthread_mutex_lock(&a->mu);
    if (err || !ev) a->rewatch = 1; /* the watch ended: list again and watch anew */
    a->dirty = 1;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

typedef struct role { char *name; cJSON *obj; } role_t;
typedef struct list_ctx { role_t *v; size_t n, cap; int oom; } list_ctx_t;

static int on_kv(void *ud, const skiff_store_kv_t *kv)
{
    list_ctx_t *l = ud;
    cJSON *o = apisrv_obj_decode(kv->value, kv->value_len, kv->mod_rev);
    const char *name = o ? apisrv_str(o, "metadata.name") : NULL;
    if (!name) { cJSON_Delete(o); return 0; }
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 64;
        role_t *nv = realloc(l->v, nc * sizeof *nv);
        if (!nv) { cJSON_Delete(o); l->oom = 1; return 0; }
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n++] = (role_t){ (char *)name, o };
    return 0;
}

static int by_name(const void *x, const void *y) { return strcmp(((const role_t *)x)->name, ((const role_t *)y)->name); }

/* kube's ruleExists: an equal PolicyRule is already there */
static int has_rule(const cJSON *rules, const cJSON *r)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, rules) if (cJSON_Compare(x, r, 1)) return 1;
    return 0;
}

/* The aggregated rules of `agg` (new array), or NULL when its selectors
 * are not valid (validation keeps those out; nothing is changed then). */
static cJSON *aggregate(const role_t *all, size_t n, const role_t *agg)
{
    const cJSON *sels = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(agg->obj, "aggregationRule"),
                                                         "clusterRoleSelectors"), *sel;
    cJSON *out = cJSON_CreateArray();
    if (!out) return NULL;
    cJSON_ArrayForEach(sel, (cJSON_IsArray(sels) ? sels : NULL)) {
        skiff_api_selector_t *ls = NULL;
        skiff_error_t err;
        if (skiff_api_label_selector_from_object(sel, &ls, &err) < 0) { cJSON_Delete(out); return NULL; }
        for (size_t i = 0; i < n; i++) {
            if (&all[i] == agg || strcmp(all[i].name, agg->name) == 0) continue;
            const cJSON *labels = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(all[i].obj, "metadata"), "labels");
            if (!skiff_api_selector_matches(ls, labels)) continue;
            const cJSON *r;
            cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(all[i].obj, "rules"))
                if (!has_rule(out, r)) cJSON_AddItemToArray(out, cJSON_Duplicate(r, 1));
        }
        skiff_api_selector_free(ls);
    }
    return out;
}

/* Write rules into the ClusterRole as read (its resourceVersion a
 * precondition). 0 written, 1 conflict or gone (try again), -1 failed. */
static int write_rules(skiff_api_server_t *s, const role_t *r, cJSON *rules)
{
    cJSON *p = cJSON_CreateObject();
    cJSON *m = cJSON_AddObjectToObject(p, "metadata");
    const char *rv = apisrv_str(r->obj, "metadata.resourceVersion");
    cJSON_AddStringToObject(m, "resourceVersion", rv ? rv : "");
    cJSON_AddItemToObject(p, "rules", cJSON_Duplicate(rules, 1));
    char *body = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    if (!body) return -1;
    char path[600];
    snprintf(path, sizeof path, "/apis/rbac.authorization.k8s.io/v1/clusterroles/%s", r->name);
    static const skiff_api_param_t params[] = { { "fieldManager", "clusterrole-aggregation-controller" } };
    skiff_api_request_t rq = { .method = "PATCH", .path = path, .params = params, .nparams = 1,
                               .content_type = "application/merge-patch+json", .body = body, .body_len = strlen(body),
                               .discard_success_body = 1 };
    skiff_api_response_t rs;
    int rc = skiff_api_server_handle(s, &rq, &rs);
    free(body);
    int code = rs.code;
    if (rc == 0 && code != 200 && code != 409 && code != 404)
        skiff_log(SKIFF_LOG_WARN, "apiserver", "clusterrole aggregation: %s: %d %.*s", r->name, code, (int)rs.body_len,
                  rs.body ? rs.body : "");
    skiff_api_response_free(&rs);
    return rc < 0 ? -1 : code == 200 ? 0 : code == 409 || code == 404 ? 1 : -1;
}

/* One pass over every ClusterRole: 1 when something was written (or must
 * be retried), 0 when all aggregated roles are current, -1 on a store error. */
static int pass(apisrv_rbac_agg_t *a, int64_t *rev)
{
    skiff_api_server_t *s = a->s;
    list_ctx_t l = { 0 };
    skiff_store_range_req_t rq = { .key = PREFIX, .key_len = sizeof PREFIX - 1, .prefix = 1 };
    skiff_store_range_res_t rs;
    skiff_error_t err;
    int rc = s->ops->range(s->store, &rq, on_kv, &l, &rs, &err);
    if (rc == 0 && rev) *rev = rs.rev;
    int again = 0;
    if (rc == 0 && !l.oom) {
        qsort(l.v, l.n, sizeof *l.v, by_name);
        for (size_t i = 0; i < l.n; i++) {
            if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(l.v[i].obj, "aggregationRule"))) continue;
            cJSON *rules = aggregate(l.v, l.n, &l.v[i]);
            if (!rules) continue;
            const cJSON *cur = cJSON_GetObjectItemCaseSensitive(l.v[i].obj, "rules");
            /* kube's Semantic.DeepEqual: a missing list equals an empty one */
            int same = cJSON_IsArray(cur) ? cJSON_Compare(cur, rules, 1) : !cJSON_GetArraySize(rules);
            if (!same && write_rules(s, &l.v[i], rules) != -1) again = 1;
            cJSON_Delete(rules);
        }
    }
    for (size_t i = 0; i < l.n; i++) cJSON_Delete(l.v[i].obj);
    free(l.v);
    if (rc < 0) skiff_log(SKIFF_LOG_WARN, "apiserver", "clusterrole aggregation: listing ClusterRoles: %s", err.msg);
    return rc < 0 || l.oom ? -1 : again;
}

static void *worker(void *ud)
{
    apisrv_rbac_agg_t *a = ud;
    pthread_mutex_lock(&a->mu);
    while (!a->stop) {
        if (!a->dirty) {
            pthread_cond_wait(&a->cv, &a->mu);
            continue;
        }
        a->dirty = 0;
        int rewatch = a->rewatch || !a->w;
        a->rewatch = 0;
        pthread_mutex_unlock(&a->mu);
        int64_t rev = 0;
        int rc = 0;
        for (int i = 0; i < MAX_PASSES && (rc = pass(a, &rev)) == 1; i++) {}
        if (rewatch && rc >= 0) {
            skiff_error_t err;
            if (a->w) a->s->ops->unwatch(a->s->store, a->w);
            a->w = NULL;
            if (a->s->ops->watch(a->s->store, PREFIX, sizeof PREFIX - 1, rev + 1, on_event, a, &a->w, &err) < 0) {
                skiff_log(SKIFF_LOG_WARN, "apiserver", "clusterrole aggregation: watch: %s", err.msg);
                a->w = NULL;
            }
        }
        pthread_mutex_lock(&a->mu);
        if (rc < 0 || !a->w) {
            /* a store error: retry in a second rather than spin */
            struct timespec dl;
            clock_gettime(CLOCK_REALTIME, &dl);
            dl.tv_sec += 1;
            if (!a->stop) pthread_cond_timedwait(&a->cv, &a->mu, &dl);
            a->dirty = 1;
        }
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

int apisrv_rbac_aggregate_start(skiff_api_server_t *s)
{
    if (s->rbac_agg) return 0;
    apisrv_rbac_agg_t *a = calloc(1, sizeof *a);
    if (!a) return -ENOMEM;
    a->s = s;
    a->dirty = 1; /* the first pass lists, aggregates and starts the watch */
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    if (pthread_create(&a->thread, NULL, worker, a) != 0) {
        pthread_mutex_destroy(&a->mu);
        pthread_cond_destroy(&a->cv);
        free(a);
        return -EAGAIN;
    }
    s->rbac_agg = a;
    return 0;
}

void apisrv_rbac_aggregate_stop(skiff_api_server_t *s)
{
    apisrv_rbac_agg_t *a = s->rbac_agg;
    if (!a) return;
    pthread_mutex_lock(&a->mu);
    a->stop = 1;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    if (a->w) s->ops->unwatch(s->store, a->w);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
    free(a);
    s->rbac_agg = NULL;
}
