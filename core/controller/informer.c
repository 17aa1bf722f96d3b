/* core/controller/informer — one list+watch per resource, an in-memory
 * cache shared by every controller of the process. See controller.h.
 *
 * A thread per informer lists, then watches from the list's
 * resourceVersion; a watch ERROR (410 Expired...) or the end of the stream
 * wakes the thread, which re-lists and diffs the list against the cache (so
 * deletions missed meanwhile are delivered) and watches again.
 *
 * The cache is a hash map key -> entry, each entry holding a refcounted,
 * never-edited cJSON tree (an update replaces it), and indexes as
 * client-go's Indexers: index name -> value -> the set of entries filed
 * under it (built in: namespace, owner uid, controller uid, orphans by
 * namespace). Lookups by index cost the size of the answer, not of the
 * cache; borrowed views (skiff_informer_select/borrow) cost a reference
 * per object instead of a deep copy. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/controller.h"
#include "controller/hashmap.h"
#include "log/log.h"

typedef struct cached { cJSON *json; int refs; } cached_t;   /* refs: __atomic */
typedef struct entry { char *key; cached_t *obj; } entry_t;
typedef struct bucket { char *value; skiff_pset_t set; } bucket_t;
typedef struct index { char name[32]; skiff_index_fn fn; skiff_smap_t map; } index_t;
typedef struct handler { skiff_informer_handler fn; void *ud; } handler_t;

#define MAX_INDEXES 8
#define MAX_VALUES 16   /* values one object is filed under in one index */

struct skiff_informer {
    skiff_api_client_t *client;
    const skiff_ctrl_resource_t *res;
    int64_t resync_ms;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    skiff_smap_t byk;              /* key -> entry_t */
    index_t ix[MAX_INDEXES];
    size_t nix;
    handler_t h[16];
    size_t nh;
    char rv[32];
    int relist, stop, synced, started;
    skiff_api_client_watch_t *watch;
    pthread_t th;
};

/* ---- refcounted cached objects ---- */

static cached_t *cached_new(cJSON *json)
{
    cached_t *c = malloc(sizeof *c);
    if (!c) return NULL;
    c->json = json;
    c->refs = 1;
    return c;
}

static cached_t *cached_ref(cached_t *c)
{
    __atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
    return c;
}

static void cached_unref(cached_t *c)
{
    if (c && __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        cJSON_Delete(c->json);
        free(c);
    }
}

void skiff_informer_unhold(void *hold) { cached_unref(hold); }

void skiff_objs_release(skiff_objs_t *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) cached_unref(l->hold[i]);
    free(l->hold);
    free(l->v);
    *l = (skiff_objs_t){ 0 };
}

/* ---- the built-in indexes ---- */

static const cJSON *md_item(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "metadata"), k);
}

static size_t ix_namespace(const cJSON *o, const char **v, size_t max)
{
    const cJSON *ns = md_item(o, "namespace");
    if (!max || !cJSON_IsString(ns) || !*ns->valuestring) return 0;
    v[0] = ns->valuestring;
    return 1;
}

static size_t ix_owner(const cJSON *o, const char **v, size_t max)
{
    size_t n = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, md_item(o, "ownerReferences")) {
        const cJSON *u = cJSON_GetObjectItemCaseSensitive(r, "uid");
        if (n < max && cJSON_IsString(u)) v[n++] = u->valuestring;
    }
    return n;
}

static size_t ix_controller(const cJSON *o, const char **v, size_t max)
{
    const cJSON *r = skiff_obj_controller_ref(o), *u = cJSON_GetObjectItemCaseSensitive(r, "uid");
    if (!max || !cJSON_IsString(u)) return 0;
    v[0] = u->valuestring;
    return 1;
}

static size_t ix_orphan(const cJSON *o, const char **v, size_t max)
{
    const cJSON *ns = md_item(o, "namespace");
    if (!max || skiff_obj_controller_ref(o)) return 0;
    v[0] = cJSON_IsString(ns) ? ns->valuestring : "";
    return 1;
}

static index_t *find_index(skiff_informer_t *inf, const char *name)
{
    for (size_t i = 0; i < inf->nix; i++)
        if (!strcmp(inf->ix[i].name, name)) return &inf->ix[i];
    return NULL;
}

static int bucket_add(index_t *ix, const char *value, entry_t *e)
{
    bucket_t *b = skiff_smap_get(&ix->map, value);
    if (!b) {
        b = calloc(1, sizeof *b);
        if (!b || !(b->value = strdup(value))) { free(b); return -ENOMEM; }
        if (skiff_smap_put(&ix->map, b->value, b, NULL) < 0) { free(b->value); free(b); return -ENOMEM; }
    }
    return skiff_pset_add(&b->set, e) < 0 ? -ENOMEM : 0;
}

static void bucket_del(index_t *ix, const char *value, entry_t *e)
{
    bucket_t *b = skiff_smap_get(&ix->map, value);
    if (!b) return;
    skiff_pset_del(&b->set, e);
    if (b->set.n) return;
    skiff_smap_del(&ix->map, value);
    skiff_pset_free(&b->set);
    free(b->value);
    free(b);
}

static int same_values(const char **a, size_t na, const char **b, size_t nb)
{
    if (na != nb) return 0;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i])) return 0;
    return 1;
}

/* File e (now holding now, NULL when leaving the cache) anew in one index,
 * where it was filed for was (NULL when new). */
static int reindex_one(index_t *ix, entry_t *e, const cJSON *was, const cJSON *now)
{
    const char *ov[MAX_VALUES], *nv[MAX_VALUES];
    size_t no = was ? ix->fn(was, ov, MAX_VALUES) : 0, nn = now ? ix->fn(now, nv, MAX_VALUES) : 0;
    if (same_values(ov, no, nv, nn)) return 0;   /* the usual update: a status change */
    for (size_t i = 0; i < no; i++) bucket_del(ix, ov[i], e);
    int rc = 0;
    for (size_t i = 0; i < nn; i++)
        if (bucket_add(ix, nv[i], e) < 0) rc = -ENOMEM;
    return rc;
}

static int reindex(skiff_informer_t *inf, entry_t *e, const cJSON *was, const cJSON *now)
{
    int rc = 0;
    for (size_t i = 0; i < inf->nix; i++)
        if (reindex_one(&inf->ix[i], e, was, now) < 0) rc = -ENOMEM;
    return rc;
}

static int add_index(skiff_informer_t *inf, const char *name, skiff_index_fn fn);

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
    add_index(inf, SKIFF_INDEX_NAMESPACE, ix_namespace);
    add_index(inf, SKIFF_INDEX_OWNER, ix_owner);
    add_index(inf, SKIFF_INDEX_CONTROLLER, ix_controller);
    add_index(inf, SKIFF_INDEX_ORPHAN, ix_orphan);
    *out = inf;
    return 0;
}

int skiff_informer_add_handler(skiff_informer_t *inf, skiff_informer_handler fn, void *ud)
{
    if (inf->nh == sizeof inf->h / sizeof inf->h[0]) return SKIFF_E_NOSPACE;
    inf->h[inf->nh++] = (handler_t){ fn, ud };
    return 0;
}

typedef struct fill_ctx { index_t *ix; int rc; } fill_ctx_t;

static void fill_one(void *ud, const char *key, void *val)
{
    (void)key;
    fill_ctx_t *f = ud;
    entry_t *e = val;
    if (reindex_one(f->ix, e, NULL, e->obj->json) < 0) f->rc = -ENOMEM;
}

static int add_index(skiff_informer_t *inf, const char *name, skiff_index_fn fn)
{
    if (inf->nix == MAX_INDEXES) return SKIFF_E_NOSPACE;
    if (strlen(name) >= sizeof inf->ix[0].name) return SKIFF_E_INVALID;
    if (find_index(inf, name)) return SKIFF_E_EXISTS;
    index_t *ix = &inf->ix[inf->nix++];
    *ix = (index_t){ .fn = fn };
    snprintf(ix->name, sizeof ix->name, "%s", name);
    fill_ctx_t f = { ix, 0 };
    skiff_smap_each(&inf->byk, fill_one, &f);
    return f.rc;
}

int skiff_informer_add_index(skiff_informer_t *inf, const char *name, skiff_index_fn fn, skiff_error_t *err)
{
    if (!name || !fn) return skiff_error_set(err, SKIFF_E_INVALID, "informer %s: an index needs a name and a function", inf->res->name);
    pthread_mutex_lock(&inf->mu);
    int rc = add_index(inf, name, fn);
    pthread_mutex_unlock(&inf->mu);
    if (rc == SKIFF_E_EXISTS) return skiff_error_set(err, rc, "informer %s: index \"%s\" exists", inf->res->name, name);
    if (rc == SKIFF_E_NOSPACE) return skiff_error_set(err, rc, "informer %s: at most %d indexes", inf->res->name, MAX_INDEXES);
    if (rc < 0) return skiff_error_set(err, rc, "informer %s: index \"%s\": bad name or out of memory", inf->res->name, name);
    return 0;
}

static void dispatch(skiff_informer_t *inf, skiff_ev_t ev, const cJSON *obj, const cJSON *old)
{
    for (size_t i = 0; i < inf->nh; i++) inf->h[i].fn(inf->h[i].ud, inf->res->name, ev, obj, old);
}

/* Put obj under its key; *old gets the replaced object (the caller unrefs
 * it). On success the cache owns obj's reference; on failure (<0) the
 * caller still does. */
static int cache_put(skiff_informer_t *inf, cached_t *obj, cached_t **old)
{
    char key[512];
    skiff_obj_key(obj->json, key, sizeof key);
    *old = NULL;
    entry_t *e = skiff_smap_get(&inf->byk, key);
    int rc = 0;
    if (e) {
        *old = e->obj;
        e->obj = obj;
        rc = reindex(inf, e, (*old)->json, obj->json);
    } else {
        e = calloc(1, sizeof *e);
        if (!e || !(e->key = strdup(key))) { free(e); return -ENOMEM; }
        e->obj = obj;
        if (skiff_smap_put(&inf->byk, e->key, e, NULL) < 0) { free(e->key); free(e); return -ENOMEM; }
        rc = reindex(inf, e, NULL, obj->json);
    }
    /* stored, but missing from an index: lookups by that index miss it until
     * the next update of the object */
    if (rc < 0) skiff_log(SKIFF_LOG_WARN, "controllers", "informer %s: out of memory indexing %s", inf->res->name, key);
    return 0;
}

/* Take key out of the cache; returns its object (the caller unrefs it). */
static cached_t *cache_del(skiff_informer_t *inf, const char *key)
{
    entry_t *e = skiff_smap_del(&inf->byk, key);
    if (!e) return NULL;
    cached_t *o = e->obj;
    reindex(inf, e, o->json, NULL);
    free(e->key);
    free(e);
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
        cached_t *old = cache_del(inf, key);
        if (rv) snprintf(inf->rv, sizeof inf->rv, "%s", rv);
        pthread_mutex_unlock(&inf->mu);
        dispatch(inf, SKIFF_EV_DELETE, obj, old ? old->json : NULL);
        cached_unref(old);
        cJSON_Delete(obj);
        return;
    }
    /* the parsed object itself goes into the cache (no copy): it is never
     * edited from here on, and handlers get it borrowed */
    cached_t *c = cached_new(obj), *old = NULL;
    if (!c) cJSON_Delete(obj);
    pthread_mutex_lock(&inf->mu);
    int rc = c ? cache_put(inf, cached_ref(c), &old) : -ENOMEM;
    if (rc < 0 && c) cached_unref(c);   /* the reference meant for the cache */
    if (rv) snprintf(inf->rv, sizeof inf->rv, "%s", rv);
    pthread_mutex_unlock(&inf->mu);
    if (rc < 0) {
        skiff_log(SKIFF_LOG_WARN, "controllers", "informer %s: out of memory, re-listing", inf->res->name);
        pthread_mutex_lock(&inf->mu);
        inf->relist = 1;
        pthread_cond_signal(&inf->cv);
        pthread_mutex_unlock(&inf->mu);
    } else {
        dispatch(inf, old ? SKIFF_EV_UPDATE : SKIFF_EV_ADD, c->json, old ? old->json : NULL);
    }
    cached_unref(old);
    cached_unref(c);
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

typedef struct gone_ctx { const skiff_smap_t *listed; char **keys; size_t n, cap; int oom; } gone_ctx_t;

static void collect_gone(void *ud, const char *key, void *val)
{
    (void)val;
    gone_ctx_t *g = ud;
    if (skiff_smap_get(g->listed, key)) return;
    if (g->n == g->cap) {
        size_t nc = g->cap ? g->cap * 2 : 16;
        char **p = realloc(g->keys, nc * sizeof *p);
        if (!p) { g->oom = 1; return; }
        g->keys = p;
        g->cap = nc;
    }
    char *k = strdup(key);
    if (k) g->keys[g->n++] = k;
    else g->oom = 1;
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
    size_t nitems = 0;
    cJSON_ArrayForEach(it, items) nitems++;
    char **lk = calloc(nitems ? nitems : 1, sizeof *lk);
    skiff_smap_t listed = { 0 };
    int oom = !lk;
    size_t i = 0;
    cJSON_ArrayForEach(it, items) {
        if (oom) break;
        char k[512];
        skiff_obj_key(it, k, sizeof k);
        if (!(lk[i] = strdup(k)) || skiff_smap_put(&listed, lk[i], it, NULL) < 0) oom = 1;
        i++;
    }
    gone_ctx_t g = { .listed = &listed };
    if (!oom) {
        pthread_mutex_lock(&inf->mu);
        skiff_smap_each(&inf->byk, collect_gone, &g);
        pthread_mutex_unlock(&inf->mu);
    }
    skiff_smap_free(&listed);
    for (size_t j = 0; lk && j < nitems; j++) free(lk[j]);
    free(lk);
    if (oom || g.oom) {
        /* deletions would be missed: better no list than a wrong cache */
        for (size_t j = 0; j < g.n; j++) free(g.keys[j]);
        free(g.keys);
        cJSON_Delete(list);
        return -ENOMEM;
    }
    for (size_t j = 0; j < g.n; j++) {
        pthread_mutex_lock(&inf->mu);
        cached_t *old = cache_del(inf, g.keys[j]);
        pthread_mutex_unlock(&inf->mu);
        if (old) dispatch(inf, SKIFF_EV_DELETE, old->json, old->json);
        cached_unref(old);
        free(g.keys[j]);
    }
    free(g.keys);
    while (items && items->child) {
        cJSON *obj = cJSON_DetachItemViaPointer(items, items->child);
        const char *orv = skiff_obj_str(obj, "metadata.resourceVersion");
        char key[512];
        skiff_obj_key(obj, key, sizeof key);
        pthread_mutex_lock(&inf->mu);
        entry_t *e = skiff_smap_get(&inf->byk, key);
        const char *crv = e ? skiff_obj_str(e->obj->json, "metadata.resourceVersion") : NULL;
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
    skiff_objs_t all = { 0 };
    if (skiff_informer_select(inf, NULL, NULL, NULL, NULL, &all) < 0) return;
    for (size_t i = 0; i < all.n; i++) dispatch(inf, SKIFF_EV_UPDATE, all.v[i], all.v[i]);
    skiff_objs_release(&all);
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

static void free_entry(void *ud, const char *key, void *val)
{
    (void)ud; (void)key;
    entry_t *e = val;
    cached_unref(e->obj);
    free(e->key);
    free(e);
}

static void free_bucket(void *ud, const char *key, void *val)
{
    (void)ud; (void)key;
    bucket_t *b = val;
    skiff_pset_free(&b->set);
    free(b->value);
    free(b);
}

void skiff_informer_free(skiff_informer_t *inf)
{
    if (!inf) return;
    skiff_informer_stop(inf);
    for (size_t i = 0; i < inf->nix; i++) {
        skiff_smap_each(&inf->ix[i].map, free_bucket, NULL);
        skiff_smap_free(&inf->ix[i].map);
    }
    skiff_smap_each(&inf->byk, free_entry, NULL);
    skiff_smap_free(&inf->byk);
    pthread_mutex_destroy(&inf->mu);
    pthread_cond_destroy(&inf->cv);
    free(inf);
}

cJSON *skiff_informer_get(skiff_informer_t *inf, const char *key)
{
    void *hold = NULL;
    const cJSON *o = skiff_informer_borrow(inf, key, &hold);
    cJSON *c = o ? cJSON_Duplicate(o, 1) : NULL;
    skiff_informer_unhold(hold);
    return c;
}

const cJSON *skiff_informer_borrow(skiff_informer_t *inf, const char *key, void **hold)
{
    pthread_mutex_lock(&inf->mu);
    entry_t *e = skiff_smap_get(&inf->byk, key);
    cached_t *c = e ? cached_ref(e->obj) : NULL;
    pthread_mutex_unlock(&inf->mu);
    *hold = c;
    return c ? c->json : NULL;
}

/* ---- selecting ---- */

typedef struct sel_ctx {
    int (*filter)(void *ud, const cJSON *obj);
    void *ud;
    const char *ns;        /* also in this namespace (NULL = any) */
    skiff_objs_t *out;
    size_t cap;
    int oom;
} sel_ctx_t;

static void sel_take(sel_ctx_t *s, entry_t *e)
{
    const cJSON *o = e->obj->json;
    if (s->oom) return;
    if (s->ns) {
        const char *ons = skiff_obj_str(o, "metadata.namespace");
        if (!ons || strcmp(ons, s->ns)) return;
    }
    if (s->filter && !s->filter(s->ud, o)) return;
    skiff_objs_t *l = s->out;
    if (l->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 16;
        const cJSON **v = realloc(l->v, nc * sizeof *v);
        if (v) l->v = v;
        void **h = v ? realloc(l->hold, nc * sizeof *h) : NULL;
        if (h) l->hold = h;
        if (!v || !h) { s->oom = 1; return; }
        s->cap = nc;
    }
    l->v[l->n] = o;
    l->hold[l->n++] = cached_ref(e->obj);
}

static void sel_each(void *ud, const char *key, void *val) { (void)key; sel_take(ud, val); }

/* Under the lock: the entries filed under value in index (index NULL: all). */
static int select_locked(skiff_informer_t *inf, const char *index, const char *value, sel_ctx_t *s)
{
    if (!index) {
        skiff_smap_each(&inf->byk, sel_each, s);
        return s->oom ? -ENOMEM : 0;
    }
    index_t *ix = find_index(inf, index);
    if (!ix) return SKIFF_E_INVALID;
    bucket_t *b = value ? skiff_smap_get(&ix->map, value) : NULL;
    for (size_t i = 0; b && i < b->set.cap; i++)
        if (skiff_pset_live(b->set.s[i])) sel_take(s, b->set.s[i]);
    return s->oom ? -ENOMEM : 0;
}

int skiff_informer_select(skiff_informer_t *inf, const char *index, const char *value,
                          int (*filter)(void *ud, const cJSON *obj), void *ud, skiff_objs_t *out)
{
    *out = (skiff_objs_t){ 0 };
    sel_ctx_t s = { .filter = filter, .ud = ud, .out = out };
    pthread_mutex_lock(&inf->mu);
    int rc = select_locked(inf, index, value, &s);
    pthread_mutex_unlock(&inf->mu);
    if (rc < 0) skiff_objs_release(out);
    return rc;
}

size_t skiff_informer_count(skiff_informer_t *inf, const char *index, const char *value)
{
    pthread_mutex_lock(&inf->mu);
    size_t n = 0;
    if (!index) n = inf->byk.n;
    else {
        index_t *ix = find_index(inf, index);
        bucket_t *b = ix && value ? skiff_smap_get(&ix->map, value) : NULL;
        n = b ? b->set.n : 0;
    }
    pthread_mutex_unlock(&inf->mu);
    return n;
}

typedef struct keyed { char *key; const cJSON *obj; } keyed_t;

static int cmp_keyed(const void *a, const void *b)
{
    return strcmp(((const keyed_t *)a)->key, ((const keyed_t *)b)->key);
}

cJSON *skiff_informer_list(skiff_informer_t *inf, const char *ns, const char *owner_uid,
                           int (*filter)(void *ud, const cJSON *obj), void *ud)
{
    cJSON *out = cJSON_CreateArray();
    if (!out) return NULL;
    skiff_objs_t l = { 0 };
    sel_ctx_t s = { .filter = filter, .ud = ud, .out = &l };
    pthread_mutex_lock(&inf->mu);
    if (owner_uid) { s.ns = ns; select_locked(inf, SKIFF_INDEX_OWNER, owner_uid, &s); }
    else if (ns) select_locked(inf, SKIFF_INDEX_NAMESPACE, ns, &s);
    else select_locked(inf, NULL, NULL, &s);
    pthread_mutex_unlock(&inf->mu);
    /* copied outside the lock (the held objects do not change), in key
     * order: callers compare what they build from a list with what they
     * wrote before, and the hash map's order is no order */
    keyed_t *k = l.n ? malloc(l.n * sizeof *k) : NULL;
    size_t nk = 0;
    for (size_t i = 0; k && i < l.n; i++) {
        char key[512];
        skiff_obj_key(l.v[i], key, sizeof key);
        if (!(k[nk].key = strdup(key))) break;
        k[nk++].obj = l.v[i];
    }
    if (k && nk == l.n) qsort(k, nk, sizeof *k, cmp_keyed);
    for (size_t i = 0; i < l.n; i++) {
        cJSON *c = cJSON_Duplicate(k && nk == l.n ? k[i].obj : l.v[i], 1);
        if (c) cJSON_AddItemToArray(out, c);
    }
    for (size_t i = 0; i < nk; i++) free(k[i].key);
    free(k);
    skiff_objs_release(&l);
    return out;
}

size_t skiff_informer_len(skiff_informer_t *inf)
{
    return skiff_informer_count(inf, NULL, NULL);
}
