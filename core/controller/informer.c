/* core/controller/informer — one list+watch per resource, an in-memory
 * cache shared by every controller of the process. See controller.h.
 *
 * A thread per informer lists, then watches from the list's
 * resourceVersion; a watch ERROR (410 Expired...) or the end of the stream
 * wakes the thread, which re-lists and diffs the list against the cache (so
 * deletions missed meanwhile are delivered) and watches again. The cache is
 * an array searched linearly: controllers here hold hundreds of objects,
 * not hundreds of thousands. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/controller.h"
#include "log/log.h"

typedef struct entry { char *key; cJSON *obj; } entry_t;
typedef struct handler { skiff_informer_handler fn; void *ud; } handler_t;

struct skiff_informer {
    skiff_api_client_t *client;
    const skiff_ctrl_resource_t *res;
    int64_t resync_ms;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    entry_t *e;
    size_t n, cap;
    handler_t h[16];
    size_t nh;
    char rv[32];
    int relist, stop, synced, started;
    skiff_api_client_watch_t *watch;
    pthread_t th;
};

int skiff_informer_new(skiff_api_client_t *client, const char *resource, int64_t resync_ms,
                       skiff_informer_t **out, skiff_error_t *err)
{
    const skiff_ctrl_resource_t *r = skiff_ctrl_resource(resource);
    if (!r) return skiff_error_set(err, SKIFF_E_INVALID, "informer: unknown resource \"%s\"", resource);
    skiff_informer_t *inf = calloc(1, sizeof *inf);
    if (!inf) return skiff_error_set(err, -ENOMEM, "informer: out of memory");
    inf->client = client;
    inf->res = r;
    inf->resync_ms = resync_ms;
    pthread_mutex_init(&inf->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&inf->cv, &ca);
    pthread_condattr_destroy(&ca);
    *out = inf;
    return 0;
}

int skiff_informer_add_handler(skiff_informer_t *inf, skiff_informer_handler fn, void *ud)
{
    if (inf->nh == sizeof inf->h / sizeof inf->h[0]) return SKIFF_E_NOSPACE;
    inf->h[inf->nh++] = (handler_t){ fn, ud };
    return 0;
}

static void dispatch(skiff_informer_t *inf, skiff_ev_t ev, const cJSON *obj, const cJSON *old)
{
    for (size_t i = 0; i < inf->nh; i++) inf->h[i].fn(inf->h[i].ud, inf->res->name, ev, obj, old);
}

static ssize_t find(skiff_informer_t *inf, const char *key)
{
    for (size_t i = 0; i < inf->n; i++)
        if (!strcmp(inf->e[i].key, key)) return (ssize_t)i;
    return -1;
}

/* Put obj (taken) in the cache; returns the replaced object (caller frees) via *old. */
static int cache_put(skiff_informer_t *inf, cJSON *obj, cJSON **old)
{
    char key[512];
    skiff_obj_key(obj, key, sizeof key);
    *old = NULL;
    ssize_t i = find(inf, key);
    if (i >= 0) {
        *old = inf->e[i].obj;
        inf->e[i].obj = obj;
        return 0;
    }
    if (inf->n == inf->cap) {
        size_t nc = inf->cap ? inf->cap * 2 : 64;
        entry_t *p = realloc(inf->e, nc * sizeof *p);
        if (!p) return -ENOMEM;
        inf->e = p;
        inf->cap = nc;
    }
    char *k = strdup(key);
    if (!k) return -ENOMEM;
    inf->e[inf->n++] = (entry_t){ k, obj };
    return 0;
}

static cJSON *cache_del(skiff_informer_t *inf, const char *key)
{
    ssize_t i = find(inf, key);
    if (i < 0) return NULL;
    cJSON *o = inf->e[i].obj;
    free(inf->e[i].key);
    inf->e[i] = inf->e[--inf->n];
    return o;
}

/* List items come without kind/apiVersion; controllers need them (events,
 * owner references), so the cache always has them. */
static void add_type(skiff_informer_t *inf, cJSON *obj)
{
    if (!cJSON_IsObject(obj) || cJSON_GetObjectItemCaseSensitive(obj, "kind")) return;
    const char *p = inf->res->prefix;
    cJSON_AddStringToObject(obj, "kind", inf->res->kind);
    cJSON_AddStringToObject(obj, "apiVersion", !strncmp(p, "/apis/", 6) ? p + 6 : p + 5);
}

static void apply_event(skiff_informer_t *inf, const char *type, cJSON *obj)
{
    add_type(inf, obj);
    const char *rv = skiff_obj_str(obj, "metadata.resourceVersion");
    if (!strcmp(type, "BOOKMARK")) {
        pthread_mutex_lock(&inf->mu);
        if (rv) snprintf(inf->rv, sizeof inf->rv, "%s", rv);
        pthread_mutex_unlock(&inf->mu);
        cJSON_Delete(obj);
        return;
    }
    if (!strcmp(type, "DELETED")) {
        char key[512];
        skiff_obj_key(obj, key, sizeof key);
        pthread_mutex_lock(&inf->mu);
        cJSON *old = cache_del(inf, key);
        if (rv) snprintf(inf->rv, sizeof inf->rv, "%s", rv);
        pthread_mutex_unlock(&inf->mu);
        dispatch(inf, SKIFF_EV_DELETE, obj, old);
        cJSON_Delete(old);
        cJSON_Delete(obj);
        return;
    }
    cJSON *copy = cJSON_Duplicate(obj, 1), *old = NULL;
    pthread_mutex_lock(&inf->mu);
    int rc = copy ? cache_put(inf, copy, &old) : -ENOMEM;
    if (rv) snprintf(inf->rv, sizeof inf->rv, "%s", rv);
    pthread_mutex_unlock(&inf->mu);
    if (rc < 0) {
        cJSON_Delete(copy);
        skiff_log(SKIFF_LOG_WARN, "controllers", "informer %s: out of memory, re-listing", inf->res->name);
        pthread_mutex_lock(&inf->mu);
        inf->relist = 1;
        pthread_cond_signal(&inf->cv);
        pthread_mutex_unlock(&inf->mu);
    } else {
        dispatch(inf, old ? SKIFF_EV_UPDATE : SKIFF_EV_ADD, obj, old);
    }
    cJSON_Delete(old);
    cJSON_Delete(obj);
}

static void on_watch(void *ud, const char *type, const char *object, size_t len)
{
    skiff_informer_t *inf = ud;
    if (!type || !strcmp(type, "ERROR")) {
        pthread_mutex_lock(&inf->mu);
        inf->relist = 1;
        pthread_cond_signal(&inf->cv);
        pthread_mutex_unlock(&inf->mu);
        return;
    }
    cJSON *obj = cJSON_ParseWithLength(object, len);
    if (!obj) return;
    apply_event(inf, type, obj);
}

/* List, replace the cache with the list (delivering the differences), remember the revision. */
static int relist(skiff_informer_t *inf)
{
    char path[256];
    skiff_ctrl_path(inf->res, NULL, NULL, path, sizeof path);
    skiff_api_result_t res = { 0 };
    skiff_error_t err;
    skiff_error_clear(&err);
    int rc = skiff_api_client_list(inf->client, path, NULL, NULL, &res, &err);
    if (rc < 0) {
        skiff_api_result_free(&res);
        return rc;
    }
    cJSON *list = cJSON_ParseWithLength(res.body, res.len);
    skiff_api_result_free(&res);
    if (!list) return -ENOMEM;
    const char *rv = skiff_obj_str(list, "metadata.resourceVersion");
    cJSON *items = cJSON_GetObjectItemCaseSensitive(list, "items"), *it;
    /* gone: cached keys not in the list */
    pthread_mutex_lock(&inf->mu);
    char **gone = NULL;
    size_t ngone = 0;
    for (size_t i = 0; i < inf->n; i++) {
        int seen = 0;
        cJSON_ArrayForEach(it, items) {
            char k[512];
            skiff_obj_key(it, k, sizeof k);
            if (!strcmp(k, inf->e[i].key)) { seen = 1; break; }
        }
        if (!seen) {
            char **p = realloc(gone, (ngone + 1) * sizeof *p);
            if (!p) break;
            gone = p;
            gone[ngone++] = strdup(inf->e[i].key);
        }
    }
    pthread_mutex_unlock(&inf->mu);
    for (size_t i = 0; i < ngone; i++) {
        if (!gone[i]) continue;
        pthread_mutex_lock(&inf->mu);
        cJSON *old = cache_del(inf, gone[i]);
        pthread_mutex_unlock(&inf->mu);
        if (old) dispatch(inf, SKIFF_EV_DELETE, old, old);
        cJSON_Delete(old);
        free(gone[i]);
    }
    free(gone);
    while (items && items->child) {
        cJSON *obj = cJSON_DetachItemViaPointer(items, items->child);
        const char *orv = skiff_obj_str(obj, "metadata.resourceVersion");
        char key[512];
        skiff_obj_key(obj, key, sizeof key);
        pthread_mutex_lock(&inf->mu);
        ssize_t i = find(inf, key);
        const char *crv = i >= 0 ? skiff_obj_str(inf->e[i].obj, "metadata.resourceVersion") : NULL;
        int same = crv && orv && !strcmp(crv, orv);
        pthread_mutex_unlock(&inf->mu);
        if (same) { cJSON_Delete(obj); continue; }
        apply_event(inf, "MODIFIED", obj);
    }
    pthread_mutex_lock(&inf->mu);
    if (rv) snprintf(inf->rv, sizeof inf->rv, "%s", rv);
    inf->synced = 1;
    pthread_mutex_unlock(&inf->mu);
    cJSON_Delete(list);
    return 0;
}

static void resync(skiff_informer_t *inf)
{
    cJSON *all = skiff_informer_list(inf, NULL, NULL, NULL, NULL), *o;
    cJSON_ArrayForEach(o, all) dispatch(inf, SKIFF_EV_UPDATE, o, o);
    cJSON_Delete(all);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *informer_main(void *arg)
{
    skiff_informer_t *inf = arg;
    int64_t backoff = 100, next_resync = inf->resync_ms > 0 ? now_ms() + inf->resync_ms : INT64_MAX;
    pthread_mutex_lock(&inf->mu);
    inf->relist = 1;
    while (!inf->stop) {
        if (inf->relist) {
            inf->relist = 0;
            skiff_api_client_watch_t *w = inf->watch;
            inf->watch = NULL;
            pthread_mutex_unlock(&inf->mu);
            skiff_api_client_watch_stop(w);
            int rc = relist(inf);
            skiff_error_t err;
            skiff_error_clear(&err);
            char path[256], rv[32];
            skiff_ctrl_path(inf->res, NULL, NULL, path, sizeof path);
            pthread_mutex_lock(&inf->mu);
            snprintf(rv, sizeof rv, "%s", inf->rv);
            pthread_mutex_unlock(&inf->mu);
            if (rc == 0) rc = skiff_api_client_watch(inf->client, path, rv, on_watch, inf, &w, &err);
            pthread_mutex_lock(&inf->mu);
            if (rc < 0) {
                /* the server is away: try again, backing off to 5s */
                inf->relist = 1;
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                ts.tv_sec += backoff / 1000;
                ts.tv_nsec += (backoff % 1000) * 1000000;
                if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
                if (!inf->stop) pthread_cond_timedwait(&inf->cv, &inf->mu, &ts);
                backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
                continue;
            }
            backoff = 100;
            inf->watch = w;
            continue;
        }
        int64_t now = now_ms();
        if (now >= next_resync) {
            pthread_mutex_unlock(&inf->mu);
            resync(inf);
            pthread_mutex_lock(&inf->mu);
            next_resync = now + inf->resync_ms;
            continue;
        }
        struct timespec ts;
        int64_t until = next_resync == INT64_MAX ? now + 3600000 : next_resync;
        ts.tv_sec = until / 1000;
        ts.tv_nsec = (until % 1000) * 1000000;
        pthread_cond_timedwait(&inf->cv, &inf->mu, &ts);
    }
    skiff_api_client_watch_t *w = inf->watch;
    inf->watch = NULL;
    pthread_mutex_unlock(&inf->mu);
    skiff_api_client_watch_stop(w);
    return NULL;
}

int skiff_informer_start(skiff_informer_t *inf, skiff_error_t *err)
{
    if (pthread_create(&inf->th, NULL, informer_main, inf) != 0)
        return skiff_error_set(err, SKIFF_E_INTERNAL, "informer %s: cannot start a thread", inf->res->name);
    inf->started = 1;
    return 0;
}

int skiff_informer_synced(skiff_informer_t *inf)
{
    pthread_mutex_lock(&inf->mu);
    int s = inf->synced;
    pthread_mutex_unlock(&inf->mu);
    return s;
}

void skiff_informer_stop(skiff_informer_t *inf)
{
    if (!inf || !inf->started) return;
    pthread_mutex_lock(&inf->mu);
    inf->stop = 1;
    pthread_cond_signal(&inf->cv);
    pthread_mutex_unlock(&inf->mu);
    pthread_join(inf->th, NULL);
    inf->started = 0;
}

void skiff_informer_free(skiff_informer_t *inf)
{
    if (!inf) return;
    skiff_informer_stop(inf);
    for (size_t i = 0; i < inf->n; i++) {
        free(inf->e[i].key);
        cJSON_Delete(inf->e[i].obj);
    }
    free(inf->e);
    pthread_mutex_destroy(&inf->mu);
    pthread_cond_destroy(&inf->cv);
    free(inf);
}

cJSON *skiff_informer_get(skiff_informer_t *inf, const char *key)
{
    pthread_mutex_lock(&inf->mu);
    ssize_t i = find(inf, key);
    cJSON *o = i >= 0 ? cJSON_Duplicate(inf->e[i].obj, 1) : NULL;
    pthread_mutex_unlock(&inf->mu);
    return o;
}

static int owned_by(const cJSON *o, const char *uid)
{
    const cJSON *refs = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "metadata"), "ownerReferences"), *r;
    cJSON_ArrayForEach(r, refs) {
        const char *u = skiff_obj_str(r, "uid");
        if (u && !strcmp(u, uid)) return 1;
    }
    return 0;
}

cJSON *skiff_informer_list(skiff_informer_t *inf, const char *ns, const char *owner_uid,
                           int (*filter)(void *ud, const cJSON *obj), void *ud)
{
    cJSON *out = cJSON_CreateArray();
    if (!out) return NULL;
    pthread_mutex_lock(&inf->mu);
    for (size_t i = 0; i < inf->n; i++) {
        const cJSON *o = inf->e[i].obj;
        if (ns) {
            const char *ons = skiff_obj_str(o, "metadata.namespace");
            if (!ons || strcmp(ons, ns)) continue;
        }
        if (owner_uid && !owned_by(o, owner_uid)) continue;
        if (filter && !filter(ud, o)) continue;
        cJSON *c = cJSON_Duplicate(o, 1);
        if (c) cJSON_AddItemToArray(out, c);
    }
    pthread_mutex_unlock(&inf->mu);
    return out;
}

size_t skiff_informer_len(skiff_informer_t *inf)
{
    pthread_mutex_lock(&inf->mu);
    size_t n = inf->n;
    pthread_mutex_unlock(&inf->mu);
    return n;
}
