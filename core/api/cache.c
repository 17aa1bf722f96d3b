/* core/api/cache — the list half of the watch cache: every object of one
 * resource kept in memory, fed by the resource's fan-out (the same stream
 * watches are served from), so lists are answered without touching the
 * store.
 *
 * Consistency: a list that asks for the latest state (resourceVersion "")
 * waits until the cache has applied every write this server acknowledged
 * for the resource (the handlers record the revision of each committed
 * write before answering), then answers at the cache's own revision — the
 * revision of the last event it applied — so the items are exactly the
 * state at that revision and a watch from it misses nothing. A cache that
 * falls behind the fan-out (cut off) stops serving; lists then go to the
 * store. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/internal.h"
#include "store/fanout.h"

typedef struct entry {
    struct entry *next;
    char *key;
    size_t key_len;
    char *value;
    size_t value_len;
    int64_t mod_rev;
    uint64_t hash;
} entry_t;

struct apisrv_cache {
    pthread_rwlock_t lock;
    pthread_mutex_t mu;      /* with cv: waiting for the cache to catch up */
    pthread_cond_t cv;
    entry_t **buckets;
    size_t nbuckets, n;
    int64_t rev;             /* last revision applied */
    int broken;
    skiff_fanout_sub_t *sub;
};

static uint64_t hash(const char *k, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)k[i]) * 1099511628211ull;
    return h;
}

static entry_t **find(apisrv_cache_t *c, const char *k, size_t n, uint64_t h)
{
    entry_t **pp = &c->buckets[h & (c->nbuckets - 1)];
    while (*pp && !((*pp)->hash == h && (*pp)->key_len == n && memcmp((*pp)->key, k, n) == 0)) pp = &(*pp)->next;
    return pp;
}

static int grow(apisrv_cache_t *c)
{
    size_t nb = c->nbuckets * 2;
    entry_t **b = calloc(nb, sizeof *b);
    if (!b) return -1;
    for (size_t i = 0; i < c->nbuckets; i++)
        for (entry_t *e = c->buckets[i], *nx; e; e = nx) {
            nx = e->next;
            e->next = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
        }
    free(c->buckets);
    c->buckets = b;
    c->nbuckets = nb;
    return 0;
}

/* caller holds the write lock; 0 or -1 (out of memory: the cache breaks) */
static int put(apisrv_cache_t *c, const skiff_store_kv_t *kv)
{
    uint64_t h = hash(kv->key, kv->key_len);
    entry_t **pp = find(c, kv->key, kv->key_len, h);
    char *v = malloc(kv->value_len + 1);
    if (!v) return -1;
    memcpy(v, kv->value, kv->value_len);
    v[kv->value_len] = '\0';
    if (*pp) {
        free((*pp)->value);
        (*pp)->value = v;
        (*pp)->value_len = kv->value_len;
        (*pp)->mod_rev = kv->mod_rev;
        return 0;
    }
    entry_t *e = calloc(1, sizeof *e);
    if (!e || !(e->key = malloc(kv->key_len + 1))) { free(e); free(v); return -1; }
    memcpy(e->key, kv->key, kv->key_len);
    e->key[kv->key_len] = '\0';
    e->key_len = kv->key_len;
    e->value = v;
    e->value_len = kv->value_len;
    e->mod_rev = kv->mod_rev;
    e->hash = h;
    e->next = c->buckets[h & (c->nbuckets - 1)];
    c->buckets[h & (c->nbuckets - 1)] = e;
    c->n++;
    if (c->n > c->nbuckets && grow(c) < 0) return -1;
    return 0;
}

static void del(apisrv_cache_t *c, const char *k, size_t n)
{
    entry_t **pp = find(c, k, n, hash(k, n));
    if (!*pp) return;
    entry_t *e = *pp;
    *pp = e->next;
    free(e->key);
    free(e->value);
    free(e);
    c->n--;
}

static void on_event(void *ud, const skiff_store_event_t *ev, const skiff_error_t *err)
{
    apisrv_cache_t *c = ud;
    pthread_rwlock_wrlock(&c->lock);
    if (err) c->broken = 1;
    else if (ev->type == SKIFF_STORE_EV_PUT) { if (put(c, &ev->kv) < 0) c->broken = 1; }
    else del(c, ev->kv.key, ev->kv.key_len);
    if (ev && ev->kv.mod_rev > c->rev) c->rev = ev->kv.mod_rev;
    pthread_rwlock_unlock(&c->lock);
    pthread_mutex_lock(&c->mu);
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static int load_cb(void *ud, const skiff_store_kv_t *kv)
{
    apisrv_cache_t *c = ud;
    if (put(c, kv) < 0) { c->broken = 1; return 1; }
    return 0;
}

void apisrv_cache_free(apisrv_cache_t *c)
{
    if (!c) return;
    skiff_fanout_unsubscribe(c->sub);
    for (size_t i = 0; i < c->nbuckets; i++)
        for (entry_t *e = c->buckets[i], *nx; e; e = nx) { nx = e->next; free(e->key); free(e->value); free(e); }
    free(c->buckets);
    pthread_rwlock_destroy(&c->lock);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c);
}

int apisrv_cache_new(skiff_api_server_t *s, struct skiff_bus *bus, const char *prefix,
                     unsigned window, apisrv_cache_t **out, struct skiff_fanout **fanout,
                     skiff_error_t *err)
{
    *out = NULL;
    *fanout = NULL;
    apisrv_cache_t *c = calloc(1, sizeof *c);
    if (!c || !(c->buckets = calloc(1024, sizeof *c->buckets))) {
        free(c);
        return skiff_error_set(err, -ENOMEM, "out of memory");
    }
    c->nbuckets = 1024;
    pthread_rwlock_init(&c->lock, NULL);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    skiff_store_range_req_t rq = { .key = prefix, .key_len = strlen(prefix), .prefix = 1 };
    skiff_store_range_res_t rs = { 0 };
    int rc = s->ops->range(s->store, &rq, load_cb, c, &rs, err);
    if (rc == 0 && c->broken) rc = skiff_error_set(err, -ENOMEM, "out of memory loading %s", prefix);
    c->rev = rs.rev;
    skiff_fanout_opts_t fo = { .size = sizeof fo, .history = window, .queue_len = 65536 };
    if (rc == 0) rc = skiff_fanout_new(bus, s->ops, s->store, prefix, strlen(prefix), rs.rev + 1, &fo, fanout, err);
    if (rc == 0) rc = skiff_fanout_subscribe(*fanout, rs.rev + 1, on_event, c, NULL, &c->sub, err);
    if (rc < 0) {
        apisrv_cache_free(c);
        skiff_fanout_free(*fanout);
        *fanout = NULL;
        return rc;
    }
    *out = c;
    return 0;
}

static int cmp_entry(const void *a, const void *b)
{
    const entry_t *x = *(entry_t *const *)a, *y = *(entry_t *const *)b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int r = memcmp(x->key, y->key, n);
    return r ? r : (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

int apisrv_cache_list(apisrv_cache_t *c, const char *prefix, int64_t min_rev, int wait_ms,
                      int64_t limit, skiff_store_kv_cb cb, void *ud, skiff_store_range_res_t *res)
{
    if (!c) return 1;
    /* wait for the cache to reach min_rev */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) { until.tv_sec++; until.tv_nsec -= 1000000000L; }
    pthread_mutex_lock(&c->mu);
    for (;;) {
        pthread_rwlock_rdlock(&c->lock);
        int ready = c->rev >= min_rev || c->broken;
        pthread_rwlock_unlock(&c->lock);
        if (ready) break;
        if (pthread_cond_timedwait(&c->cv, &c->mu, &until) != 0) break;
    }
    pthread_mutex_unlock(&c->mu);
    pthread_rwlock_rdlock(&c->lock);
    if (c->broken || c->rev < min_rev) { pthread_rwlock_unlock(&c->lock); return 1; }
    size_t plen = strlen(prefix), n = 0;
    entry_t **v = malloc((c->n ? c->n : 1) * sizeof *v);
    if (!v) { pthread_rwlock_unlock(&c->lock); return 1; }
    for (size_t i = 0; i < c->nbuckets; i++)
        for (entry_t *e = c->buckets[i]; e; e = e->next)
            if (e->key_len >= plen && memcmp(e->key, prefix, plen) == 0) v[n++] = e;
    qsort(v, n, sizeof *v, cmp_entry);
    res->rev = c->rev;
    res->count = 0;
    res->more = 0;
    for (size_t i = 0; i < n; i++) {
        if (limit && res->count == limit) { res->more = 1; break; }
        skiff_store_kv_t kv = { .key = v[i]->key, .key_len = v[i]->key_len, .value = v[i]->value,
                                .value_len = v[i]->value_len, .mod_rev = v[i]->mod_rev };
        res->count++;
        if (cb(ud, &kv)) break;
    }
    pthread_rwlock_unlock(&c->lock);
    free(v);
    return 0;
}
