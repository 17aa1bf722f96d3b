/* core/api/cache — the list half of the watch cache: every object of one
 * resource kept in memory, fed by the resource's fan-out (the same stream
 * watches are served from) through its tap — on the store's watch thread,
 * with no bus worker in between — so lists are answered without touching
 * the store.
 *
 * Consistency: a list that asks for the latest state (resourceVersion "")
 * waits until the cache has applied every write this server acknowledged
 * for the resource (the handlers record the revision of each committed
 * write before answering), then answers at the cache's own revision — the
 * revision of the last event it applied — so the items are exactly the
 * state at that revision and a watch from it misses nothing. A cache that
 * cannot keep up (out of memory, the store watch ended) stops serving;
 * lists then go to the store. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/internal.h"
#include "store/fanout.h"

/* One object as stored: key and value in one block, shared by the map and
 * the lists being answered from it (a list takes references under the lock
 * and answers after letting go of it, so the store's watch thread, which
 * applies events here, never waits for a long list). */
typedef struct val {
    unsigned refs;  /* atomic */
    size_t key_len, value_len;
    int64_t mod_rev;
    char *value;    /* into data, after the key's NUL */
    char data[];    /* key NUL value NUL */
} val_t;

typedef struct entry {
    struct entry *next;
    val_t *v;
    uint64_t hash;
} entry_t;

struct apisrv_cache {
    pthread_rwlock_t lock;
    pthread_mutex_t mu;      /* with cv: waiting for the cache to catch up */
    pthread_cond_t cv;
    int waiters;             /* atomic: lists waiting on cv */
    entry_t **buckets;
    size_t nbuckets, n;
    int64_t rev;             /* last revision applied */
    int broken;
    skiff_fanout_t *fo;      /* feeds on_event through its tap */
};

static uint64_t hash(const char *k, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)k[i]) * 1099511628211ull;
    return h;
}

static void val_unref(val_t *v)
{
    if (v && __atomic_sub_fetch(&v->refs, 1, __ATOMIC_ACQ_REL) == 0) free(v);
}

static val_t *val_new(const skiff_store_kv_t *kv)
{
    val_t *v = malloc(sizeof *v + kv->key_len + kv->value_len + 2);
    if (!v) return NULL;
    v->refs = 1;
    v->key_len = kv->key_len;
    v->value_len = kv->value_len;
    v->mod_rev = kv->mod_rev;
    memcpy(v->data, kv->key, kv->key_len);
    v->data[kv->key_len] = '\0';
    v->value = v->data + kv->key_len + 1;
    if (kv->value_len) memcpy(v->value, kv->value, kv->value_len);
    v->value[kv->value_len] = '\0';
    return v;
}

static entry_t **find(apisrv_cache_t *c, const char *k, size_t n, uint64_t h)
{
    entry_t **pp = &c->buckets[h & (c->nbuckets - 1)];
    while (*pp && !((*pp)->hash == h && (*pp)->v->key_len == n && memcmp((*pp)->v->data, k, n) == 0)) pp = &(*pp)->next;
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

/* caller holds the write lock; 0 or -1 (out of memory: the cache breaks).
 * The copy is made before the lock is taken (v); this only links it. */
static int put(apisrv_cache_t *c, val_t *v, uint64_t h)
{
    entry_t **pp = find(c, v->data, v->key_len, h);
    if (*pp) {
        val_t *old = (*pp)->v;
        (*pp)->v = v;
        val_unref(old);
        return 0;
    }
    entry_t *e = malloc(sizeof *e);
    if (!e) { val_unref(v); return -1; }
    e->v = v;
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
    val_unref(e->v);
    free(e);
    c->n--;
}

/* The fan-out's tap: runs on the store's watch thread for every event of
 * the resource, so a list never waits for a bus worker to catch up. Kept
 * short: the copy is made outside the lock, lists hold the lock only to
 * collect references. */
static void on_event(void *ud, const skiff_store_event_t *ev, const skiff_error_t *err)
{
    apisrv_cache_t *c = ud;
    val_t *v = NULL;
    uint64_t h = 0;
    if (!err && ev->type == SKIFF_STORE_EV_PUT) {
        v = val_new(&ev->kv);
        h = hash(ev->kv.key, ev->kv.key_len);
    }
    pthread_rwlock_wrlock(&c->lock);
    if (err) c->broken = 1;
    else if (ev->type == SKIFF_STORE_EV_PUT) { if (!v || put(c, v, h) < 0) c->broken = 1; }
    else del(c, ev->kv.key, ev->kv.key_len);
    if (ev && ev->kv.mod_rev > c->rev) c->rev = ev->kv.mod_rev;
    pthread_rwlock_unlock(&c->lock);
    /* pairs with the fence in apisrv_cache_list: a list that counted itself
     * a waiter before reading the revision is woken */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&c->waiters, __ATOMIC_RELAXED)) {
        pthread_mutex_lock(&c->mu);
        pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
    }
}

static int load_cb(void *ud, const skiff_store_kv_t *kv)
{
    apisrv_cache_t *c = ud;
    val_t *v = val_new(kv);
    if (!v || put(c, v, hash(kv->key, kv->key_len)) < 0) { c->broken = 1; return 1; }
    return 0;
}

void apisrv_cache_free(apisrv_cache_t *c)
{
    if (!c) return;
    skiff_fanout_untap(c->fo); /* no on_event runs after this */
    for (size_t i = 0; i < c->nbuckets; i++)
        for (entry_t *e = c->buckets[i], *nx; e; e = nx) { nx = e->next; val_unref(e->v); free(e); }
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
    /* writer first: a steady run of lists must not keep the store's watch
     * thread (the tap) waiting, as every watch of the store waits with it */
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&c->lock, &ra);
    pthread_rwlockattr_destroy(&ra);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    skiff_store_range_req_t rq = { .key = prefix, .key_len = strlen(prefix), .prefix = 1 };
    skiff_store_range_res_t rs = { 0 };
    int rc = s->ops->range(s->store, &rq, load_cb, c, &rs, err);
    if (rc == 0 && c->broken) rc = skiff_error_set(err, -ENOMEM, "out of memory loading %s", prefix);
    c->rev = rs.rev;
    /* the cache is the fan-out's tap: every event from rs.rev + 1 on */
    skiff_fanout_opts_t fo = { .size = sizeof fo, .history = window, .queue_len = 65536, .tap = on_event, .tap_ud = c };
    if (rc == 0) rc = skiff_fanout_new(bus, s->ops, s->store, prefix, strlen(prefix), rs.rev + 1, &fo, fanout, err);
    if (rc < 0) {
        apisrv_cache_free(c);
        return rc;
    }
    c->fo = *fanout;
    *out = c;
    return 0;
}

static int cmp_val(const void *a, const void *b)
{
    const val_t *x = *(val_t *const *)a, *y = *(val_t *const *)b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int r = memcmp(x->data, y->data, n);
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
    __atomic_add_fetch(&c->waiters, 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    for (;;) {
        pthread_rwlock_rdlock(&c->lock);
        int ready = c->rev >= min_rev || c->broken;
        pthread_rwlock_unlock(&c->lock);
        if (ready) break;
        if (pthread_cond_timedwait(&c->cv, &c->mu, &until) != 0) break;
    }
    __atomic_sub_fetch(&c->waiters, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&c->mu);
    /* Under the lock only: collect references to the matching objects. */
    pthread_rwlock_rdlock(&c->lock);
    if (c->broken || c->rev < min_rev) { pthread_rwlock_unlock(&c->lock); return 1; }
    size_t plen = strlen(prefix), n = 0;
    val_t **v = malloc((c->n ? c->n : 1) * sizeof *v);
    if (!v) { pthread_rwlock_unlock(&c->lock); return 1; }
    for (size_t i = 0; i < c->nbuckets; i++)
        for (entry_t *e = c->buckets[i]; e; e = e->next)
            if (e->v->key_len >= plen && memcmp(e->v->data, prefix, plen) == 0) {
                __atomic_add_fetch(&e->v->refs, 1, __ATOMIC_RELAXED);
                v[n++] = e->v;
            }
    int64_t rev = c->rev;
    pthread_rwlock_unlock(&c->lock);
    qsort(v, n, sizeof *v, cmp_val);
    res->rev = rev;
    res->count = 0;
    res->more = 0;
    size_t i = 0;
    for (; i < n; i++) {
        if (limit && res->count == limit) { res->more = 1; break; }
        skiff_store_kv_t kv = { .key = v[i]->data, .key_len = v[i]->key_len, .value = v[i]->value,
                                .value_len = v[i]->value_len, .mod_rev = v[i]->mod_rev };
        res->count++;
        if (cb(ud, &kv)) break;
    }
    for (i = 0; i < n; i++) val_unref(v[i]);
    free(v);
    return 0;
}
