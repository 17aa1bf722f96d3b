/* plugins/admission/common — a small cache of API answers for admission
 * plugins, kept current by the admission chain itself.
 *
 * Why it is safe: every write to the cluster passes through the chain, so a
 * plugin sees each create/update/delete of the objects it caches
 * (namespaces, LimitRanges, ResourceQuotas) and calls adm_cache_invalidate()
 * for it. The write is stored a moment *after* admission, so an invalidated
 * key is not cached again for `quiet` (a fetch that began before that could
 * hold the old state); `ttl` bounds staleness should anything slip past.
 * Values are cJSON trees; callers get a copy (or NULL for "absent"). */
#ifndef SKIFF_ADM_CACHE_H
#define SKIFF_ADM_CACHE_H

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <skiff/skiff.h>

#define ADM_CACHE_MAX 4096
#define ADM_CACHE_BUCKETS 256 /* a power of two */
#define ADM_CACHE_MEMO_KEY 64   /* namespace names are at most 63 */
#define ADM_CACHE_MEMO_MAX 192  /* the largest view result remembered */

typedef struct adm_cache_ent {
    struct adm_cache_ent *next; /* in its bucket */
    uint32_t hash;
    cJSON *val;            /* NULL = nothing cached; a cJSON null = "absent" */
    int64_t filled_ns;
    int64_t quiet_until_ns;
    char key[];
} adm_cache_ent_t;

typedef struct adm_cache {
    pthread_mutex_t mu;
    int ok;
    /* hashed: a lookup per plugin per create, and a cluster has many
     * namespaces (a list walk was one strcmp per namespace known) */
    adm_cache_ent_t *bucket[ADM_CACHE_BUCKETS];
    size_t n;
    int64_t ttl_ns, quiet_ns;
    const skiff_host_t *host;
    /* The last hit's view result, read without the lock (a seqlock: odd
     * memo_seq while written, all writes under mu). Any put or invalidate
     * drops it. One create asks each plugin's cache once per namespace, so
     * consecutive creates in a namespace skip hash, lock and view. */
    unsigned memo_seq;
    int memo_ok;
    const void *memo_view;
    size_t memo_size;
    int64_t memo_filled_ns;
    char memo_key[ADM_CACHE_MEMO_KEY]; /* [ADM_CACHE_MEMO_KEY - 1] stays '\0' */
    unsigned char memo_res[ADM_CACHE_MEMO_MAX];
} adm_cache_t;

static inline int adm_cache_init(adm_cache_t *c, const skiff_host_t *host, int64_t ttl_ms, int64_t quiet_ms)
{
    memset(c, 0, sizeof *c);
    if (pthread_mutex_init(&c->mu, NULL) != 0) return -1;
    c->ok = 1;
    c->host = host;
    c->ttl_ns = ttl_ms * 1000000;
    c->quiet_ns = quiet_ms * 1000000;
    return 0;
}

static inline void adm_cache_clear_locked(adm_cache_t *c)
{
    for (size_t b = 0; b < ADM_CACHE_BUCKETS; b++)
        while (c->bucket[b]) {
            adm_cache_ent_t *e = c->bucket[b];
            c->bucket[b] = e->next;
            cJSON_Delete(e->val);
            free(e);
        }
    c->n = 0;
}

/* FNV-1a, and the key's length for the copy on an insert. */
static inline uint32_t adm_cache_hash(const char *key, size_t *len)
{
    uint32_t h = 2166136261u;
    const unsigned char *k = (const unsigned char *)key;
    for (; *k; k++) h = (h ^ *k) * 16777619u;
    *len = (size_t)(k - (const unsigned char *)key);
    return h;
}

static inline void adm_cache_fini(adm_cache_t *c)
{
    if (!c->ok) return;
    adm_cache_clear_locked(c);
    pthread_mutex_destroy(&c->mu);
    c->ok = 0;
}

/* Writers hold c->mu; the seq brackets keep lock-free readers off a half-written memo. */
static inline void adm_cache_memo_begin_locked(adm_cache_t *c)
{
    __atomic_store_n(&c->memo_seq, c->memo_seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
}
static inline void adm_cache_memo_end_locked(adm_cache_t *c)
{
    __atomic_store_n(&c->memo_seq, c->memo_seq + 1, __ATOMIC_RELEASE);
}
static inline void adm_cache_memo_drop_locked(adm_cache_t *c)
{
    if (!c->memo_ok) return;
    adm_cache_memo_begin_locked(c);
    __atomic_store_n(&c->memo_ok, 0, __ATOMIC_RELAXED);
    adm_cache_memo_end_locked(c);
}

static inline adm_cache_ent_t *adm_cache_find_locked(adm_cache_t *c, const char *key, int add)
{
    size_t kl;
    uint32_t h = adm_cache_hash(key, &kl);
    adm_cache_ent_t **b = &c->bucket[h & (ADM_CACHE_BUCKETS - 1)];
    for (adm_cache_ent_t *e = *b; e; e = e->next)
        if (e->hash == h && strcmp(e->key, key) == 0) return e;
    if (!add) return NULL;
    if (c->n >= ADM_CACHE_MAX) adm_cache_clear_locked(c); /* crude, rare */
    adm_cache_ent_t *e = calloc(1, sizeof *e + kl + 1);
    if (!e) return NULL;
    memcpy(e->key, key, kl + 1);
    e->hash = h;
    e->next = *b;
    *b = e;
    c->n++;
    return e;
}

/* 1 and *out (a copy, NULL for "absent") on a hit; 0 on a miss. */
static inline int adm_cache_get(adm_cache_t *c, const char *key, cJSON **out)
{
    int hit = 0;
    *out = NULL;
    if (!c->ok) return 0;
    int64_t now = c->host->clock_monotonic_ns();
    pthread_mutex_lock(&c->mu);
    adm_cache_ent_t *e = adm_cache_find_locked(c, key, 0);
    if (e && e->val && now - e->filled_ns < c->ttl_ns && now >= e->quiet_until_ns) {
        hit = 1;
        *out = cJSON_IsNull(e->val) ? NULL : cJSON_Duplicate(e->val, 1);
        if (!cJSON_IsNull(e->val) && !*out) hit = 0;
    }
    pthread_mutex_unlock(&c->mu);
    return hit;
}

/* Remember val (copied; NULL = "absent") fetched starting at fetch_start_ns. */
static inline void adm_cache_put(adm_cache_t *c, const char *key, const cJSON *val, int64_t fetch_start_ns)
{
    if (!c->ok) return;
    cJSON *copy = val ? cJSON_Duplicate(val, 1) : cJSON_CreateNull();
    if (!copy) return;
    pthread_mutex_lock(&c->mu);
    adm_cache_memo_drop_locked(c);
    adm_cache_ent_t *e = adm_cache_find_locked(c, key, 1);
    if (e && fetch_start_ns >= e->quiet_until_ns) {
        cJSON_Delete(e->val);
        e->val = copy;
        e->filled_ns = fetch_start_ns;
        copy = NULL;
    }
    pthread_mutex_unlock(&c->mu);
    cJSON_Delete(copy);
}

static inline void adm_cache_invalidate(adm_cache_t *c, const char *key)
{
    if (!c->ok) return;
    int64_t now = c->host->clock_monotonic_ns();
    pthread_mutex_lock(&c->mu);
    adm_cache_memo_drop_locked(c);
    adm_cache_ent_t *e = adm_cache_find_locked(c, key, 1);
    if (e) {
        cJSON_Delete(e->val);
        e->val = NULL;
        e->quiet_until_ns = now + c->quiet_ns;
    } else {
        adm_cache_clear_locked(c); /* out of memory: forget everything instead */
    }
    pthread_mutex_unlock(&c->mu);
}

/* GET (list_items = 0) or LIST (1: the value is the list's `items`) `path`
 * through the cache under `key`. 0 with *out (caller frees; NULL when the
 * object does not exist), or a negative code with err set. `reduce` (may be
 * NULL) turns the fetched document into the (smaller) value to keep: it
 * takes the document and returns the value, NULL on allocation failure. */
typedef cJSON *(*adm_cache_reduce_fn)(cJSON *doc);
static inline int adm_cache_fetch_r(adm_cache_t *c, skiff_ctx_t *ctx, const char *key, const char *path,
                                    int list_items, adm_cache_reduce_fn reduce, cJSON **out,
                                    skiff_error_t *err)
{
    if (adm_cache_get(c, key, out)) return 0;
    int64_t start = c->host->clock_monotonic_ns();
    char *json = NULL;
    skiff_error_t e;
    skiff_error_clear(&e);
    int rc = list_items ? c->host->api_list(ctx, path, NULL, NULL, &json, &e)
                        : c->host->api_get(ctx, path, &json, &e);
    if (rc == SKIFF_E_NOTFOUND && !list_items) {
        c->host->api_free(json);
        adm_cache_put(c, key, NULL, start);
        *out = NULL;
        return 0;
    }
    if (rc < 0) {
        c->host->api_free(json);
        return skiff_error_set(err, rc, "reading %s: %s", path, e.msg);
    }
    cJSON *doc = cJSON_Parse(json);
    c->host->api_free(json);
    if (!doc) return skiff_error_set(err, SKIFF_E_INTERNAL, "reading %s: unreadable answer", path);
    if (list_items) {
        cJSON *items = cJSON_DetachItemFromObjectCaseSensitive(doc, "items");
        cJSON_Delete(doc);
        doc = items ? items : cJSON_CreateArray();
        if (!doc) return skiff_error_set(err, -ENOMEM, "out of memory");
    }
    if (reduce && !(doc = reduce(doc))) return skiff_error_set(err, -ENOMEM, "out of memory");
    adm_cache_put(c, key, doc, start);
    *out = doc;
    return 0;
}

static inline int adm_cache_fetch(adm_cache_t *c, skiff_ctx_t *ctx, const char *key, const char *path,
                                  int list_items, cJSON **out, skiff_error_t *err)
{
    return adm_cache_fetch_r(c, ctx, key, path, list_items, NULL, out, err);
}

/* The same for a namespace-scoped path "/api/v1/namespaces/<ns><suffix>",
 * cached under the key <ns>; the path is only formatted on a miss (the hit
 * is the hot path of every create: no snprintf there). */
static inline int adm_cache_fetch_ns(adm_cache_t *c, skiff_ctx_t *ctx, const char *ns, const char *suffix,
                                     int list_items, adm_cache_reduce_fn reduce, cJSON **out, skiff_error_t *err)
{
    if (adm_cache_get(c, ns, out)) return 0;
    char path[600];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s%s", ns, suffix);
    return adm_cache_fetch_r(c, ctx, ns, path, list_items, reduce, out, err);
}

/* Look at the value cached for namespace `ns` without copying it: `view`
 * is called with the value (NULL for "absent") — under the cache's lock on
 * a hit, so it must be quick, must not call back into the cache and must
 * not keep the pointer; on a miss with the freshly fetched value. It fills
 * *arg (arg_size bytes, all of them: the caller's inputs in it too) and
 * returns 1 when that result may be handed out again for this namespace
 * (it holds nothing owned or borrowed from the value), 0 otherwise.
 * The hot path of every create: a repeat ask for the namespace last seen
 * is answered from the memo (no hash, no lock, no view); a copy of the
 * value and its free would cost more than the lookup. */
typedef int (*adm_cache_view_fn)(const cJSON *val, void *arg);
static inline int adm_cache_view_ns(adm_cache_t *c, skiff_ctx_t *ctx, const char *ns, const char *suffix,
                                    int list_items, adm_cache_reduce_fn reduce, adm_cache_view_fn view,
                                    void *arg, size_t arg_size, skiff_error_t *err)
{
    if (c->ok) {
        int64_t now = c->host->clock_monotonic_ns();
        unsigned s1 = __atomic_load_n(&c->memo_seq, __ATOMIC_ACQUIRE);
        /* scalars as relaxed atomics; the key and result bytes may be torn
         * by a writer, which the second look at memo_seq catches */
        if (!(s1 & 1) && __atomic_load_n(&c->memo_ok, __ATOMIC_RELAXED) &&
            __atomic_load_n(&c->memo_view, __ATOMIC_RELAXED) == (const void *)view &&
            __atomic_load_n(&c->memo_size, __ATOMIC_RELAXED) == arg_size &&
            now - __atomic_load_n(&c->memo_filled_ns, __ATOMIC_RELAXED) < c->ttl_ns &&
            strcmp(c->memo_key, ns) == 0) {
            unsigned char res[ADM_CACHE_MEMO_MAX];
            memcpy(res, c->memo_res, arg_size);
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            if (__atomic_load_n(&c->memo_seq, __ATOMIC_RELAXED) == s1) {
                memcpy(arg, res, arg_size);
                return 0;
            }
        }
        pthread_mutex_lock(&c->mu);
        adm_cache_ent_t *e = adm_cache_find_locked(c, ns, 0);
        if (e && e->val && now - e->filled_ns < c->ttl_ns && now >= e->quiet_until_ns) {
            int keep = view(cJSON_IsNull(e->val) ? NULL : e->val, arg);
            size_t kl = strlen(ns);
            if (keep && arg_size <= ADM_CACHE_MEMO_MAX && kl < ADM_CACHE_MEMO_KEY) {
                adm_cache_memo_begin_locked(c);
                __atomic_store_n(&c->memo_ok, 1, __ATOMIC_RELAXED);
                __atomic_store_n(&c->memo_view, (const void *)view, __ATOMIC_RELAXED);
                __atomic_store_n(&c->memo_size, arg_size, __ATOMIC_RELAXED);
                __atomic_store_n(&c->memo_filled_ns, e->filled_ns, __ATOMIC_RELAXED);
                memcpy(c->memo_key, ns, kl + 1);
                memcpy(c->memo_res, arg, arg_size);
                adm_cache_memo_end_locked(c);
            }
            pthread_mutex_unlock(&c->mu);
            return 0;
        }
        pthread_mutex_unlock(&c->mu);
    }
    char path[600];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s%s", ns, suffix);
    cJSON *doc = NULL;
    int rc = adm_cache_fetch_r(c, ctx, ns, path, list_items, reduce, &doc, err);
    if (rc < 0) return rc;
    view(doc, arg);
    cJSON_Delete(doc);
    return 0;
}

/* Fetch the list cached for namespace `ns` (e.g. its LimitRanges): *out a
 * copy (caller frees) when it has items, NULL when it is empty or absent —
 * no copy then, the common case of every create. */
typedef struct adm_list_view { cJSON *items; int oom; } adm_list_view_t;
static inline int adm_view_copy_nonempty(const cJSON *val, void *arg)
{
    adm_list_view_t *v = arg;
    v->items = val && val->child ? cJSON_Duplicate(val, 1) : NULL;
    v->oom = val && val->child && !v->items;
    return !v->items && !v->oom; /* "none" may be answered again; a copy may not */
}
static inline int adm_cache_list_ns(adm_cache_t *c, skiff_ctx_t *ctx, const char *ns, const char *suffix,
                                    cJSON **out, skiff_error_t *err)
{
    adm_list_view_t v = { NULL, 0 };
    *out = NULL;
    int rc = adm_cache_view_ns(c, ctx, ns, suffix, 1, NULL, adm_view_copy_nonempty, &v, sizeof v, err);
    if (rc < 0) return rc;
    if (v.oom) return skiff_error_set(err, -ENOMEM, "out of memory");
    *out = v.items;
    return 0;
}

#endif
