/* The watch hub: one thread that walks every watcher's cursor through the
 * shared history log and calls its callback, in revision order, a batch (at
 * most watch_batch events, never splitting a revision) per watcher per turn.
 *
 * Why a cursor and not a per-watcher queue: the log already holds every event
 * until compaction, so a watcher that lags pins no memory of its own. What
 * bounds memory is compaction, and a watcher whose cursor compaction passes
 * ends with SKIFF_E_COMPACTED (as etcd cancels such a watch); it can resume
 * with a fresh watch from the compaction point after re-listing.
 *
 * No store lock is held while callbacks run (events hold refs on their
 * versions), so a callback may call any store op, including unwatch. */
#include <stdlib.h>
#include <string.h>

#include "memory.h"

#define HUB_SCAN_MAX 65536 /* log entries examined per watcher per turn */

struct memory_watch {
    skiff_store_watch_cb cb;
    void *ud;
    char *prefix;
    size_t prefix_len;
    int64_t cursor;  /* next revision to deliver; hub thread only after creation */
    int cancelled;   /* atomic: unwatch was called */
    int ended;       /* hub thread: the final error was delivered */
    int free_by_hub; /* unwatched from inside its own callback */
};

static void watch_free(memory_store_t *s, memory_watch_t *w)
{
    s->host->free(w->prefix);
    s->host->free(w);
}

void memory_hub_notify(memory_store_t *s)
{
    memory_hub_t *h = &s->hub;
    pthread_mutex_lock(&h->mu);
    h->seq++;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

static int hub_matches(const memory_watch_t *w, const memory_ver_t *v)
{
    return v->key_len >= w->prefix_len && memcmp(memory_ver_key(v), w->prefix, w->prefix_len) == 0;
}

static void hub_kv(skiff_store_kv_t *kv, const memory_ver_t *v)
{
    kv->key = memory_ver_key(v);
    kv->key_len = v->key_len;
    kv->value = v->tomb ? NULL : memory_ver_value(v);
    kv->value_len = v->tomb ? 0 : v->value_len;
    kv->create_rev = v->create_rev;
    kv->mod_rev = v->mod_rev;
    kv->version = v->version;
    kv->lease = v->lease;
}

static int hub_batch_grow(memory_store_t *s, memory_hub_t *h)
{
    size_t cap = h->batch_cap ? h->batch_cap * 2 : 64;
    memory_logent_t *n = s->host->realloc(h->batch, cap * sizeof *n);
    if (!n)
        return -ENOMEM;
    h->batch = n;
    h->batch_cap = cap;
    return 0;
}

static int hub_cancelled(const memory_watch_t *w)
{
    return __atomic_load_n(&w->cancelled, __ATOMIC_ACQUIRE);
}

/* Deliver the next batch to `w`; returns non-zero when more is pending. */
static int hub_serve(memory_store_t *s, memory_watch_t *w)
{
    memory_hub_t *h = &s->hub;
    if (w->ended || hub_cancelled(w) || w->cursor > memory_rev_load(s))
        return 0;
    size_t n = 0, rev_start = 0, scanned = 0;
    int more = 0;
    int64_t compacted = 0, last = 0, next = 0;

    memory_lock(s);
    if (w->cursor < s->compacted) {
        compacted = s->compacted;
        memory_unlock(s);
        skiff_error_t e;
        skiff_error_set(&e, SKIFF_E_COMPACTED,
                        "watch at revision %lld: required revision has been compacted (compacted up to %lld)",
                        (long long)w->cursor, (long long)compacted);
        w->ended = 1;
        if (!hub_cancelled(w))
            w->cb(w->ud, NULL, &e);
        return 0;
    }
    size_t i = memory_log_lower_bound(s, w->cursor);
    for (; i < s->log_len; i++) {
        memory_logent_t *e = &s->log[i];
        int64_t r = e->cur->mod_rev;
        if (r != last) {
            if (n >= (size_t)s->watch_batch || scanned >= HUB_SCAN_MAX) {
                more = 1;
                next = r; /* every revision before r was taken whole */
                break;
            }
            rev_start = n;
            last = r;
        }
        scanned++;
        if (!hub_matches(w, e->cur))
            continue;
        if (n == h->batch_cap && hub_batch_grow(s, h) != 0) {
            /* Keep revisions whole: give back this one and retry it next turn. */
            while (n > rev_start) {
                n--;
                memory_ver_unref(s, h->batch[n].cur);
                memory_ver_unref(s, h->batch[n].prev);
            }
            more = 1;
            next = last;
            break;
        }
        memory_ver_ref(e->cur);
        if (e->prev)
            memory_ver_ref(e->prev);
        h->batch[n++] = *e;
    }
    if (!more)
        next = s->rev + 1;
    memory_unlock(s);

    for (size_t j = 0; j < n; j++) {
        memory_logent_t *e = &h->batch[j];
        if (!hub_cancelled(w)) {
            skiff_store_event_t ev;
            memset(&ev, 0, sizeof ev);
            ev.type = e->cur->tomb ? SKIFF_STORE_EV_DELETE : SKIFF_STORE_EV_PUT;
            hub_kv(&ev.kv, e->cur);
            if (e->prev) {
                ev.has_prev = 1;
                hub_kv(&ev.prev, e->prev);
            }
            w->cb(w->ud, &ev, NULL);
        }
        memory_ver_unref(s, e->cur);
        memory_ver_unref(s, e->prev);
    }
    w->cursor = next;
    return more;
}

static void *hub_main(void *arg)
{
    memory_store_t *s = arg;
    memory_hub_t *h = &s->hub;
    uint64_t seen = 0;
    int first = 1;
    pthread_mutex_lock(&h->mu);
    h->self = pthread_self();
    h->self_set = 1;
    while (!h->stop) {
        if (!first && seen == h->seq) {
            pthread_cond_wait(&h->cv, &h->mu);
            continue;
        }
        first = 0;
        seen = h->seq;
        int more;
        do {
            more = 0;
            for (size_t i = 0; !h->stop && i < h->n; i++) {
                memory_watch_t *w = h->watchers[i];
                h->current = w;
                pthread_mutex_unlock(&h->mu);
                more |= hub_serve(s, w);
                pthread_mutex_lock(&h->mu);
                h->current = NULL;
                pthread_cond_broadcast(&h->idle_cv);
                if (w->free_by_hub)
                    watch_free(s, w);
            }
        } while (more && !h->stop);
    }
    h->self_set = 0;
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

int memory_watch(void *self, const char *prefix, size_t prefix_len, int64_t start_rev,
                 skiff_store_watch_cb cb, void *ud, skiff_store_watch_t **out, skiff_error_t *err)
{
    memory_store_t *s = self;
    memory_hub_t *h = &s->hub;
    if (out)
        *out = NULL;
    if (!cb || !out)
        return skiff_error_set(err, SKIFF_E_INVALID, "watch: %s is NULL", cb ? "out" : "callback");
    if (prefix_len > SKIFF_STORE_KEY_MAX)
        return skiff_error_set(err, SKIFF_E_INVALID, "watch: prefix is %zu bytes; the limit is %u bytes",
                               prefix_len, SKIFF_STORE_KEY_MAX);
    if (prefix_len && !prefix)
        return skiff_error_set(err, SKIFF_E_INVALID, "watch: prefix is NULL with length %zu", prefix_len);
    if (start_rev < 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "watch: start revision %lld is negative",
                               (long long)start_rev);
    memory_watch_t *w = s->host->calloc(1, sizeof *w);
    char *p = s->host->alloc(prefix_len ? prefix_len : 1);
    if (!w || !p) {
        s->host->free(w);
        s->host->free(p);
        return skiff_error_set(err, SKIFF_E_NOSPACE, "watch: out of memory");
    }
    if (prefix_len)
        memcpy(p, prefix, prefix_len);
    w->prefix = p;
    w->prefix_len = prefix_len;
    w->cb = cb;
    w->ud = ud;
    w->cursor = start_rev ? start_rev : memory_rev_load(s) + 1;

    pthread_mutex_lock(&h->mu);
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        memory_watch_t **n = s->host->realloc(h->watchers, cap * sizeof *n);
        if (!n) {
            pthread_mutex_unlock(&h->mu);
            watch_free(s, w);
            return skiff_error_set(err, SKIFF_E_NOSPACE, "watch: out of memory");
        }
        h->watchers = n;
        h->cap = cap;
    }
    h->watchers[h->n++] = w;
    h->seq++;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    *out = (skiff_store_watch_t *)w;
    return 0;
}

void memory_unwatch(void *self, skiff_store_watch_t *handle)
{
    memory_store_t *s = self;
    memory_hub_t *h = &s->hub;
    memory_watch_t *w = (memory_watch_t *)handle;
    if (!w)
        return;
    pthread_mutex_lock(&h->mu);
    __atomic_store_n(&w->cancelled, 1, __ATOMIC_RELEASE);
    for (size_t i = 0; i < h->n; i++) {
        if (h->watchers[i] == w) {
            memmove(h->watchers + i, h->watchers + i + 1, (h->n - i - 1) * sizeof *h->watchers);
            h->n--;
            break;
        }
    }
    h->seq++;
    if (h->current == w) {
        if (h->self_set && pthread_equal(pthread_self(), h->self)) {
            /* From inside its own callback: the hub frees it when that returns. */
            w->free_by_hub = 1;
            pthread_mutex_unlock(&h->mu);
            return;
        }
        while (h->current == w)
            pthread_cond_wait(&h->idle_cv, &h->mu);
    }
    pthread_mutex_unlock(&h->mu);
    watch_free(s, w);
}

int memory_hub_init(memory_store_t *s, skiff_error_t *err)
{
    memory_hub_t *h = &s->hub;
    if (pthread_mutex_init(&h->mu, NULL) != 0 || pthread_cond_init(&h->cv, NULL) != 0 ||
        pthread_cond_init(&h->idle_cv, NULL) != 0)
        return skiff_error_set(err, SKIFF_E_INTERNAL, "cannot initialise the watch hub's lock");
    return 0;
}

int memory_hub_start(memory_store_t *s, skiff_error_t *err)
{
    memory_hub_t *h = &s->hub;
    pthread_mutex_lock(&h->mu);
    h->stop = 0;
    pthread_mutex_unlock(&h->mu);
    int rc = pthread_create(&h->thread, NULL, hub_main, s);
    if (rc)
        return skiff_error_set(err, -rc, "cannot start the watch hub thread: %s", strerror(rc));
    pthread_setname_np(h->thread, "mem-watchhub"); /* for perf/top; best effort */
    pthread_mutex_lock(&h->mu);
    h->running = 1;
    pthread_mutex_unlock(&h->mu);
    return 0;
}

void memory_hub_stop(memory_store_t *s)
{
    memory_hub_t *h = &s->hub;
    pthread_mutex_lock(&h->mu);
    int running = h->running;
    h->stop = 1;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    if (!running)
        return;
    pthread_join(h->thread, NULL);
    pthread_mutex_lock(&h->mu);
    h->running = 0;
    pthread_mutex_unlock(&h->mu);
}

void memory_hub_fini(memory_store_t *s)
{
    memory_hub_t *h = &s->hub;
    /* Watchers the user never unwatched. */
    for (size_t i = 0; i < h->n; i++)
        watch_free(s, h->watchers[i]);
    s->host->free(h->watchers);
    h->watchers = NULL;
    h->n = h->cap = 0;
    s->host->free(h->batch);
    h->batch = NULL;
    h->batch_cap = 0;
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    pthread_cond_destroy(&h->idle_cv);
}
