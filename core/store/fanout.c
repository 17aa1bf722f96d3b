/* core/store/fanout: one store watch, many subscribers (see fanout.h).
 *
 * The window is a ring of refcounted event copies indexed by a running event
 * number. The bus carries only "new events are available" kicks, one per
 * store event, to each subscriber's ASYNC+DROP queue; the subscriber's
 * callback walks its own cursor through the window to its end. So the payload
 * bytes exist once, a subscriber can join in the past (its cursor starts
 * inside the window) without a second store watch, and a subscriber that
 * cannot keep up is detected twice over: its bus queue overflows
 * (SKIFF_BUS_EV_LOST) while it is more than queue_len events behind, or its
 * cursor falls out of the window. Both end it with SKIFF_E_COMPACTED, as the
 * Kubernetes watch cache ends a slow watcher.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/fanout.h"

#define FANOUT_HISTORY_DEFAULT 4096u
#define FANOUT_HISTORY_MAX (1u << 22)
#define FANOUT_QUEUE_DEFAULT 1024u
#define FANOUT_TOPIC_VERSION 1u
#define FANOUT_BATCH 16u /* events a subscriber takes per window lock */

typedef struct fo_event {
    atomic_uint refs;
    skiff_fanout_t *f;
    skiff_store_event_t ev; /* points into bytes[] */
    unsigned char bytes[];
} fo_event_t;

/* The kick every subscriber's queue receives: events with index < upto
 * exist. Subscribers walk to the window's end anyway; upto is for debugging. */
typedef struct fo_kick {
    uint64_t upto;
} fo_kick_t;

struct skiff_fanout {
    skiff_bus_t *bus;
    const skiff_store_ops_t *ops;
    void *self;
    skiff_store_watch_t *watch;
    skiff_bus_topic_t *topic;
    char topic_name[48];
    uint32_t qlen;

    pthread_mutex_t lock; /* everything below */
    fo_event_t **hist;
    uint32_t cap;
    uint64_t first_idx, next_idx; /* window = [first_idx, next_idx) */
    int64_t start_rev;
    int64_t evicted_rev; /* newest revision no longer (fully) in the window */
    int64_t last_rev;
    uint64_t events;
    uint64_t cut_off;
    uint64_t nsubs;
    int failed;
    char fail_msg[SKIFF_ERROR_MSG_MAX];

    atomic_ullong live; /* event blocks allocated */

    /* Pull subscriptions (under lock): they sleep on pull_cv; the store's
     * thread broadcasts only when pull_sleepers says someone may sleep. */
    pthread_cond_t pull_cv;
    uint32_t pull_sleepers;

    pthread_mutex_t tap_mu; /* held by the store's thread around a tap call */
    skiff_store_watch_cb tap;
    void *tap_ud;
};

struct skiff_fanout_pull {
    skiff_fanout_t *f;
    uint64_t cursor;   /* next window index to take (its thread only, under f->lock) */
    int64_t min_rev;   /* skip events below the requested start */
    int ended;         /* the negative code that ended it; 0 = running */
    int wake;          /* skiff_fanout_pull_wake was called */
    char msg[SKIFF_ERROR_MSG_MAX];
};

struct skiff_fanout_sub {
    skiff_fanout_t *f;
    skiff_store_watch_cb cb;
    void *ud;
    skiff_bus_free_fn free_ud;
    skiff_bus_sub_t *bsub;
    atomic_int closed;  /* final error delivered, or unsubscribing */
    uint64_t cursor;    /* next window index to deliver (bus worker only) */
    int64_t min_rev;    /* skip events below the requested start */
};

static atomic_ullong topic_counter;

/* ---- event blocks ------------------------------------------------------ */

static fo_event_t *ev_copy(skiff_fanout_t *f, const skiff_store_event_t *src)
{
    const skiff_store_kv_t *kv = &src->kv, *pv = &src->prev;
    size_t n = kv->key_len + kv->value_len;
    if (src->has_prev)
        n += pv->key_len + pv->value_len;
    fo_event_t *e = malloc(sizeof *e + n);
    if (!e)
        return NULL;
    atomic_init(&e->refs, 1);
    e->f = f;
    e->ev = *src;
    unsigned char *p = e->bytes;
#define FO_TAKE(dst, ptr, len)                \
    do {                                      \
        if (len) {                            \
            memcpy(p, (ptr), (len));          \
            (dst) = (void *)p;                \
            p += (len);                       \
        } else {                              \
            (dst) = NULL;                     \
        }                                     \
    } while (0)
    FO_TAKE(e->ev.kv.key, kv->key, kv->key_len);
    FO_TAKE(e->ev.kv.value, kv->value, kv->value_len);
    if (src->has_prev) {
        FO_TAKE(e->ev.prev.key, pv->key, pv->key_len);
        FO_TAKE(e->ev.prev.value, pv->value, pv->value_len);
    } else {
        memset(&e->ev.prev, 0, sizeof e->ev.prev);
    }
#undef FO_TAKE
    if (!e->ev.kv.key)
        e->ev.kv.key = ""; /* never hand out a NULL key */
    atomic_fetch_add(&f->live, 1);
    return e;
}

static void ev_unref(fo_event_t *e)
{
    if (e && atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) == 1) {
        atomic_fetch_sub(&e->f->live, 1);
        free(e);
    }
}

/* ---- store side -------------------------------------------------------- */

static void tap(skiff_fanout_t *f, const skiff_store_event_t *ev, const skiff_error_t *err)
{
    /* uncontended but for untap: two atomics per event */
    pthread_mutex_lock(&f->tap_mu);
    if (f->tap)
        f->tap(f->tap_ud, ev, err);
    pthread_mutex_unlock(&f->tap_mu);
}

/* Caller holds f->lock: wake pullers that sleep (or are about to). Under
 * the lock on purpose: broadcasting after unlocking was measured worse
 * (bench_sched_api: ~25 % more CPU per pod, 1.5x the context switches) — a
 * puller woken outside the lock takes it at once, one event at a time, and
 * the store's thread then sleeps on it; woken under it, the puller finds a
 * few more events when it gets the lock. */
static void pull_wake_locked(skiff_fanout_t *f)
{
    if (f->pull_sleepers) {
        f->pull_sleepers = 0;
        pthread_cond_broadcast(&f->pull_cv);
    }
}

static void kick(skiff_fanout_t *f, uint64_t upto)
{
    fo_kick_t k = { upto };
    skiff_error_t err;
    /* Subscribers are DROP: this never blocks the store's thread. ENOMEM
     * for one subscriber shows up there as a lost event. */
    (void)skiff_bus_publish(f->topic, &k, sizeof k, &err);
}

static void fanout_fail(skiff_fanout_t *f, int code, const char *msg)
{
    pthread_mutex_lock(&f->lock);
    int first = !f->failed;
    if (first) {
        f->failed = code ? code : SKIFF_E_INTERNAL;
        snprintf(f->fail_msg, sizeof f->fail_msg, "%s", msg && *msg ? msg : "store watch ended");
    }
    skiff_error_t err;
    skiff_error_set(&err, f->failed, "%s", f->fail_msg);
    uint64_t upto = f->next_idx;
    pull_wake_locked(f);
    pthread_mutex_unlock(&f->lock);
    if (first)
        tap(f, NULL, &err);
    kick(f, upto);
}

static void fanout_on_store(void *ud, const skiff_store_event_t *ev, const skiff_error_t *err)
{
    skiff_fanout_t *f = ud;
    if (err || !ev) {
        fanout_fail(f, err ? err->code : SKIFF_E_INTERNAL, err ? err->msg : NULL);
        return;
    }
    fo_event_t *e = ev_copy(f, ev);
    if (!e) {
        fanout_fail(f, -ENOMEM, "out of memory copying a watch event; re-list and watch again");
        return;
    }
    fo_event_t *old = NULL;
    pthread_mutex_lock(&f->lock);
    if (f->failed) { /* the stream already ended for everyone */
        pthread_mutex_unlock(&f->lock);
        ev_unref(e);
        return;
    }
    if (f->next_idx - f->first_idx == f->cap) {
        old = f->hist[f->first_idx % f->cap];
        f->evicted_rev = old->ev.kv.mod_rev;
        f->first_idx++;
    }
    f->hist[f->next_idx % f->cap] = e;
    f->next_idx++;
    f->last_rev = e->ev.kv.mod_rev;
    f->events++;
    uint64_t upto = f->next_idx;
    pull_wake_locked(f);
    pthread_mutex_unlock(&f->lock);
    ev_unref(old);
    /* after the wake-up: a woken puller runs while the tap does its work */
    tap(f, ev, NULL);
    kick(f, upto);
}

/* ---- subscriber side (bus worker threads) ------------------------------ */

static void sub_end(skiff_fanout_sub_t *s, int code, const char *msg)
{
    skiff_fanout_t *f = s->f;
    atomic_store(&s->closed, 1);
    if (code == SKIFF_E_COMPACTED) {
        pthread_mutex_lock(&f->lock);
        f->cut_off++;
        pthread_mutex_unlock(&f->lock);
    }
    skiff_error_t err;
    skiff_error_set(&err, code, "%s", msg);
    s->cb(s->ud, NULL, &err);
}

static void sub_on_kick(void *ud, const skiff_bus_event_t *bev)
{
    skiff_fanout_sub_t *s = ud;
    skiff_fanout_t *f = s->f;
    if (atomic_load(&s->closed))
        return;
    if (bev->flags & SKIFF_BUS_EV_LOST) {
        /* Its wake-up queue overflowed. Kicks are only wake-ups, so that
         * alone loses nothing (the bus guarantees a queued kick starts after
         * any dropped one); what counts is how far behind it really is. */
        pthread_mutex_lock(&f->lock);
        uint64_t lag = f->next_idx - s->cursor;
        pthread_mutex_unlock(&f->lock);
        if (lag > f->qlen) {
            char msg[200];
            snprintf(msg, sizeof msg,
                     "watch subscriber fell %llu events behind (more than %u) and was cut off; "
                     "re-list and watch again", (unsigned long long)lag, f->qlen);
            sub_end(s, SKIFF_E_COMPACTED, msg);
            return;
        }
    }
    /* Whatever the kick says, walk to the end of the window: a kick dropped
     * on a full queue then costs nothing (the queued ones still reach the
     * end), and the store's final error is seen even if its kick was the
     * one dropped. */
    if (bev->len != sizeof(fo_kick_t))
        return;
    while (!atomic_load(&s->closed)) {
        pthread_mutex_lock(&f->lock);
        if (s->cursor < f->first_idx) {
            int64_t oldest = f->evicted_rev + 1;
            pthread_mutex_unlock(&f->lock);
            char msg[160];
            snprintf(msg, sizeof msg,
                     "watch subscriber fell out of the %u-event window (oldest revision now %lld); "
                     "re-list and watch again", f->cap, (long long)oldest);
            sub_end(s, SKIFF_E_COMPACTED, msg);
            return;
        }
        if (s->cursor >= f->next_idx && f->failed) {
            int code = f->failed;
            char msg[SKIFF_ERROR_MSG_MAX];
            memcpy(msg, f->fail_msg, sizeof msg);
            pthread_mutex_unlock(&f->lock);
            sub_end(s, code, msg);
            return;
        }
        if (s->cursor >= f->next_idx) {
            pthread_mutex_unlock(&f->lock);
            return;
        }
        /* Take a few events per lock: the window lock is shared by every
         * subscriber's worker and the store's thread. */
        fo_event_t *batch[FANOUT_BATCH];
        size_t n = 0;
        while (s->cursor < f->next_idx && n < FANOUT_BATCH) {
            fo_event_t *e = f->hist[s->cursor % f->cap];
            atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
            batch[n++] = e;
            s->cursor++;
        }
        pthread_mutex_unlock(&f->lock);
        for (size_t i = 0; i < n; i++) {
            fo_event_t *e = batch[i];
            if (e->ev.kv.mod_rev >= s->min_rev && !atomic_load(&s->closed))
                s->cb(s->ud, &e->ev, NULL);
            ev_unref(e);
        }
    }
}

/* The bus calls this once, after the last sub_on_kick returned. */
static void sub_free(void *ud)
{
    skiff_fanout_sub_t *s = ud;
    skiff_fanout_t *f = s->f;
    pthread_mutex_lock(&f->lock);
    f->nsubs--;
    pthread_mutex_unlock(&f->lock);
    if (s->free_ud)
        s->free_ud(s->ud);
    free(s);
}

/* ---- API --------------------------------------------------------------- */

#define OPS_HAS(ops, slot) \
    ((ops)->size >= offsetof(skiff_store_ops_t, slot) + sizeof((ops)->slot) && (ops)->slot)

static void fanout_release(skiff_fanout_t *f)
{
    for (uint64_t i = f->first_idx; i < f->next_idx; i++)
        ev_unref(f->hist[i % f->cap]);
    pthread_mutex_destroy(&f->lock);
    pthread_cond_destroy(&f->pull_cv);
    pthread_mutex_destroy(&f->tap_mu);
    free(f->hist);
    free(f);
}

int skiff_fanout_new(skiff_bus_t *bus, const skiff_store_ops_t *ops, void *self,
                     const char *prefix, size_t prefix_len, int64_t start_rev,
                     const skiff_fanout_opts_t *opts, skiff_fanout_t **out, skiff_error_t *err)
{
    if (!out)
        return skiff_error_set(err, SKIFF_E_INVALID, "fanout: out is NULL");
    *out = NULL;
    if (!bus || !ops)
        return skiff_error_set(err, SKIFF_E_INVALID, "fanout: needs a bus and a store ops table");
    if (!OPS_HAS(ops, watch) || !OPS_HAS(ops, unwatch))
        return skiff_error_set(err, SKIFF_E_UNSUPPORTED, "fanout: the store has no watch/unwatch");
    if (start_rev < 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "fanout: start revision %lld is negative",
                               (long long)start_rev);
    if (prefix_len > SKIFF_STORE_KEY_MAX || (prefix_len && !prefix))
        return skiff_error_set(err, SKIFF_E_INVALID, "fanout: prefix of %zu bytes is invalid (max %u)",
                               prefix_len, SKIFF_STORE_KEY_MAX);
    uint32_t history = FANOUT_HISTORY_DEFAULT, qlen = FANOUT_QUEUE_DEFAULT;
    if (opts) {
        if (opts->size >= offsetof(skiff_fanout_opts_t, history) + sizeof opts->history && opts->history)
            history = opts->history;
        if (opts->size >= offsetof(skiff_fanout_opts_t, queue_len) + sizeof opts->queue_len &&
            opts->queue_len)
            qlen = opts->queue_len;
    }
    skiff_store_watch_cb tap_cb = NULL;
    void *tap_ud = NULL;
    if (opts && opts->size >= offsetof(skiff_fanout_opts_t, tap_ud) + sizeof opts->tap_ud) {
        tap_cb = opts->tap;
        tap_ud = opts->tap_ud;
    }
    if (history > FANOUT_HISTORY_MAX)
        return skiff_error_set(err, SKIFF_E_INVALID, "fanout: history %u is over the limit of %u", history,
                               FANOUT_HISTORY_MAX);

    skiff_fanout_t *f = calloc(1, sizeof *f);
    if (!f)
        return skiff_error_set(err, -ENOMEM, "fanout: out of memory");
    f->hist = calloc(history, sizeof *f->hist);
    if (!f->hist) {
        free(f);
        return skiff_error_set(err, -ENOMEM, "fanout: out of memory for a window of %u events", history);
    }
    pthread_mutex_init(&f->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* pull timeouts do not jump with the wall clock */
    pthread_cond_init(&f->pull_cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&f->tap_mu, NULL);
    f->bus = bus;
    f->ops = ops;
    f->self = self;
    f->cap = history;
    f->qlen = qlen;
    f->tap = tap_cb;
    f->tap_ud = tap_ud;
    atomic_init(&f->live, 0);
    snprintf(f->topic_name, sizeof f->topic_name, "store.fanout/%llu",
             (unsigned long long)atomic_fetch_add(&topic_counter, 1) + 1);
    int rc = skiff_bus_topic_open(bus, f->topic_name, FANOUT_TOPIC_VERSION, &f->topic, err);
    if (rc < 0) {
        fanout_release(f);
        return rc;
    }
    if (start_rev == 0) {
        /* Pin "now" so late joiners can ask for it by number, and watch from
         * there: nothing between the two calls is missed. */
        if (!OPS_HAS(ops, revision)) {
            fanout_release(f);
            return skiff_error_set(err, SKIFF_E_UNSUPPORTED,
                                   "fanout: the store cannot report its revision; give a start revision");
        }
        int64_t cur = 0;
        if ((rc = ops->revision(self, &cur, NULL, err)) < 0) {
            fanout_release(f);
            return rc;
        }
        start_rev = cur + 1;
    }
    f->start_rev = start_rev;
    f->evicted_rev = start_rev - 1;
    f->last_rev = 0;
    rc = ops->watch(self, prefix, prefix_len, start_rev, fanout_on_store, f, &f->watch, err);
    if (rc < 0) {
        fanout_release(f);
        return rc;
    }
    pthread_mutex_lock(&f->lock);
    int failed = f->failed;
    pthread_mutex_unlock(&f->lock);
    if (failed) { /* e.g. start_rev already compacted, reported through the callback */
        ops->unwatch(self, f->watch);
        rc = skiff_error_set(err, failed, "%s", f->fail_msg);
        fanout_release(f);
        return rc;
    }
    *out = f;
    return 0;
}

void skiff_fanout_free(skiff_fanout_t *f)
{
    if (!f)
        return;
    f->ops->unwatch(f->self, f->watch); /* no store callback after this */
    skiff_bus_unsubscribe_owner(f->bus, f); /* each sub_free runs */
    fanout_release(f);
}

/* First window index whose revision is >= rev (caller holds f->lock). */
static uint64_t window_find(skiff_fanout_t *f, int64_t rev)
{
    uint64_t lo = f->first_idx, hi = f->next_idx;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (f->hist[mid % f->cap]->ev.kv.mod_rev < rev)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int skiff_fanout_subscribe(skiff_fanout_t *f, int64_t start_rev, skiff_store_watch_cb cb, void *ud,
                           skiff_bus_free_fn free_ud, skiff_fanout_sub_t **out, skiff_error_t *err)
{
    if (!out)
        return skiff_error_set(err, SKIFF_E_INVALID, "fanout: out is NULL");
    *out = NULL;
    if (!f || !cb)
        return skiff_error_set(err, SKIFF_E_INVALID, "fanout: subscribe needs a fan-out and a callback");
    if (start_rev < 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "fanout: start revision %lld is negative",
                               (long long)start_rev);
    skiff_fanout_sub_t *s = calloc(1, sizeof *s);
    if (!s)
        return skiff_error_set(err, -ENOMEM, "fanout: out of memory");
    s->f = f;
    s->cb = cb;
    s->ud = ud;
    s->free_ud = free_ud;
    atomic_init(&s->closed, 0);

    pthread_mutex_lock(&f->lock);
    int rc = 0;
    if (f->failed) {
        rc = skiff_error_set(err, f->failed, "%s", f->fail_msg);
    } else if (start_rev != 0 && start_rev <= f->evicted_rev) {
        rc = skiff_error_set(err, SKIFF_E_COMPACTED,
                             "fanout: revision %lld is older than the watch window (oldest revision %lld); "
                             "re-list and watch again",
                             (long long)start_rev, (long long)f->evicted_rev + 1);
    } else {
        s->min_rev = start_rev;
        s->cursor = start_rev == 0 ? f->next_idx : window_find(f, start_rev);
        /* Subscribing under f->lock: no event can be appended between
         * placing the cursor and the bus delivering our first kick. */
        skiff_bus_sub_opts_t o = { sizeof o, SKIFF_BUS_ASYNC, f->qlen, SKIFF_BUS_FULL_DROP };
        /* The handle is the caller's before any callback can use it. */
        *out = s;
        rc = skiff_bus_subscribe(f->bus, f, f->topic_name, FANOUT_TOPIC_VERSION, &o, sub_on_kick, s, sub_free,
                                 &s->bsub, err);
        if (rc == 0)
            f->nsubs++;
        else
            *out = NULL;
    }
    uint64_t upto = f->next_idx;
    int replay = rc == 0 && s->cursor < upto;
    pthread_mutex_unlock(&f->lock);
    if (rc < 0) {
        free(s);
        return rc;
    }
    if (replay)
        kick(f, upto); /* others just find nothing new past their cursors */
    return 0;
}

void skiff_fanout_unsubscribe(skiff_fanout_sub_t *s)
{
    if (!s)
        return;
    atomic_store(&s->closed, 1); /* a running delivery loop stops early */
    skiff_bus_unsubscribe(s->bsub); /* waits for it; sub_free runs */
}

void skiff_fanout_untap(skiff_fanout_t *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->tap_mu); /* waits for a tap call in flight */
    f->tap = NULL;
    pthread_mutex_unlock(&f->tap_mu);
}

void skiff_fanout_stats(skiff_fanout_t *f, skiff_fanout_stats_t *out)
{
    memset(out, 0, sizeof *out);
    if (!f)
        return;
    pthread_mutex_lock(&f->lock);
    out->start_rev = f->start_rev;
    out->oldest_rev = f->evicted_rev + 1;
    out->last_rev = f->last_rev;
    out->events = f->events;
    out->window = f->next_idx - f->first_idx;
    out->subscribers = f->nsubs;
    out->cut_off = f->cut_off;
    out->failed = f->failed;
    pthread_mutex_unlock(&f->lock);
    out->live_events = atomic_load(&f->live);
}

/* ---- pull subscriptions ------------------------------------------------ */

int skiff_fanout_pull_open(skiff_fanout_t *f, int64_t start_rev, skiff_fanout_pull_t **out, skiff_error_t *err)
{
    if (!out)
        return skiff_error_set(err, SKIFF_E_INVALID, "fanout: out is NULL");
    *out = NULL;
    if (!f)
        return skiff_error_set(err, SKIFF_E_INVALID, "fanout: pull_open needs a fan-out");
    if (start_rev < 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "fanout: start revision %lld is negative",
                               (long long)start_rev);
    skiff_fanout_pull_t *p = calloc(1, sizeof *p);
    if (!p)
        return skiff_error_set(err, -ENOMEM, "fanout: out of memory");
    p->f = f;
    int rc = 0;
    pthread_mutex_lock(&f->lock);
    if (f->failed) {
        rc = skiff_error_set(err, f->failed, "%s", f->fail_msg);
    } else if (start_rev != 0 && start_rev <= f->evicted_rev) {
        rc = skiff_error_set(err, SKIFF_E_COMPACTED,
                             "fanout: revision %lld is older than the watch window (oldest revision %lld); "
                             "re-list and watch again",
                             (long long)start_rev, (long long)f->evicted_rev + 1);
    } else {
        p->min_rev = start_rev;
        p->cursor = start_rev == 0 ? f->next_idx : window_find(f, start_rev);
        f->nsubs++;
    }
    pthread_mutex_unlock(&f->lock);
    if (rc < 0) {
        free(p);
        return rc;
    }
    *out = p;
    return 0;
}

/* Caller holds f->lock: end p (once) with code/msg. */
static int pull_end_locked(skiff_fanout_pull_t *p, int code, const char *msg)
{
    if (!p->ended) {
        p->ended = code;
        snprintf(p->msg, sizeof p->msg, "%s", msg);
        if (code == SKIFF_E_COMPACTED)
            p->f->cut_off++;
    }
    return p->ended;
}

int skiff_fanout_pull(skiff_fanout_pull_t *p, skiff_store_watch_cb cb, void *ud, size_t max, int timeout_ms,
                      skiff_error_t *err)
{
    if (!p || !cb)
        return skiff_error_set(err, SKIFF_E_INVALID, "fanout: pull needs a handle and a callback");
    skiff_fanout_t *f = p->f;
    struct timespec until = { 0, 0 };
    if (timeout_ms > 0) {
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += timeout_ms / 1000;
        until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
    }
    size_t taken = 0;
    pthread_mutex_lock(&f->lock);
    for (;;) {
        if (!p->ended && p->cursor < f->first_idx) {
            char msg[160];
            snprintf(msg, sizeof msg,
                     "watch subscriber fell out of the %u-event window (oldest revision now %lld); "
                     "re-list and watch again", f->cap, (long long)f->evicted_rev + 1);
            pull_end_locked(p, SKIFF_E_COMPACTED, msg);
        }
        if (!p->ended && p->cursor >= f->next_idx && f->failed)
            pull_end_locked(p, f->failed, f->fail_msg);
        if (p->ended) {
            /* what was taken before is reported first; the end comes next call */
            int code = p->ended;
            if (taken) {
                pthread_mutex_unlock(&f->lock);
                return (int)taken;
            }
            skiff_error_set(err, code, "%s", p->msg);
            pthread_mutex_unlock(&f->lock);
            return code;
        }
        if (p->cursor < f->next_idx && (max == 0 || taken < max)) {
            /* everything available, a few per lock of the window */
            fo_event_t *batch[FANOUT_BATCH];
            size_t n = 0;
            while (p->cursor < f->next_idx && n < FANOUT_BATCH && (max == 0 || taken + n < max)) {
                fo_event_t *e = f->hist[p->cursor % f->cap];
                atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
                batch[n++] = e;
                p->cursor++;
            }
            pthread_mutex_unlock(&f->lock);
            for (size_t i = 0; i < n; i++) {
                if (batch[i]->ev.kv.mod_rev >= p->min_rev)
                    cb(ud, &batch[i]->ev, NULL);
                ev_unref(batch[i]);
            }
            taken += n;
            pthread_mutex_lock(&f->lock);
            continue;
        }
        if (taken || p->wake || timeout_ms == 0) {
            p->wake = 0;
            pthread_mutex_unlock(&f->lock);
            return (int)taken;
        }
        f->pull_sleepers++;
        int rc = timeout_ms < 0 ? pthread_cond_wait(&f->pull_cv, &f->lock)
                                : pthread_cond_timedwait(&f->pull_cv, &f->lock, &until);
        if (rc == ETIMEDOUT)
            timeout_ms = 0; /* one last look, then return */
    }
}

void skiff_fanout_pull_wake(skiff_fanout_pull_t *p)
{
    if (!p)
        return;
    skiff_fanout_t *f = p->f;
    pthread_mutex_lock(&f->lock);
    p->wake = 1;
    /* every sleeper wakes; the others find nothing new and sleep again */
    f->pull_sleepers = 0;
    pthread_cond_broadcast(&f->pull_cv);
    pthread_mutex_unlock(&f->lock);
}

void skiff_fanout_pull_close(skiff_fanout_pull_t *p)
{
    if (!p)
        return;
    skiff_fanout_t *f = p->f;
    pthread_mutex_lock(&f->lock);
    f->nsubs--;
    pthread_mutex_unlock(&f->lock);
    free(p);
}
