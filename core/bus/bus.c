/* core/bus: topics, subscriptions, sync delivery and unsubscribe.
 *
 * Why it is shaped this way:
 *  - publish takes no lock while callbacks run: each topic holds an
 *    immutable, refcounted snapshot of its subscriptions that publishers
 *    borrow; subscribe/unsubscribe swap in a new one (copy-on-write).
 *  - "no callback after unsubscribe returns" uses a Dekker-style handshake
 *    per subscription: a caller bumps `inflight` and then checks `dead`;
 *    unsubscribe sets `dead` and then waits for `inflight` to drain. Both are
 *    seq_cst, so either the caller sees `dead` or unsubscribe sees the caller.
 *  - unsubscribe from inside the subscription's own callback cannot wait for
 *    itself: a thread-local stack of running callbacks tells it how many of
 *    the in-flight calls are its own, and free_ud is left to the last of them
 *    to return.
 */
#include <stdlib.h>
#include <string.h>

#include "bus/bus_int.h"

#define SKIFF_BUS_QUEUE_DEFAULT 1024u
#define SKIFF_BUS_QUEUE_MAX (1u << 20)
#define SKIFF_BUS_TOPIC_MAX 255u
#define SKIFF_BUS_WORKERS_DEFAULT 4

/* Callbacks running on this thread, innermost first. */
typedef struct cb_frame {
    skiff_bus_sub_t *sub;
    struct cb_frame *up;
} cb_frame_t;
static __thread cb_frame_t *tl_frames;

static int frames_of(const skiff_bus_sub_t *s)
{
    int n = 0;
    for (cb_frame_t *f = tl_frames; f; f = f->up)
        n += f->sub == s;
    return n;
}

/* ---- refcounts --------------------------------------------------------- */

void skiff_bus_sub_ref(skiff_bus_sub_t *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}

void skiff_bus_sub_unref(skiff_bus_sub_t *s)
{
    if (!s || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (s->mode == SKIFF_BUS_ASYNC)
        skiff_bus_ring_fini(s);
    free(s);
}

static void snap_unref(skiff_bus_snap_t *sn)
{
    if (!sn || atomic_fetch_sub_explicit(&sn->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (uint32_t i = 0; i < sn->n; i++)
        skiff_bus_sub_unref(sn->subs[i]);
    free(sn);
}

static skiff_bus_snap_t *snap_get(skiff_bus_topic_t *t)
{
    pthread_mutex_lock(&t->snap_lock);
    skiff_bus_snap_t *sn = t->snap;
    if (sn)
        atomic_fetch_add_explicit(&sn->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&t->snap_lock);
    return sn;
}

/* New snapshot of t's subscriptions with `add` appended and/or `drop`
 * removed. Caller holds bus->lock (so snapshots change one at a time). */
static int snap_replace(skiff_bus_topic_t *t, skiff_bus_sub_t *add, skiff_bus_sub_t *drop)
{
    skiff_bus_snap_t *old = t->snap; /* stable: only changed under bus->lock */
    uint32_t n = old ? old->n : 0;
    skiff_bus_snap_t *sn = malloc(sizeof *sn + (n + 1) * sizeof sn->subs[0]);
    if (!sn)
        return -ENOMEM;
    atomic_init(&sn->refs, 1);
    sn->n = 0;
    sn->nasync = 0;
    for (uint32_t i = 0; i < n; i++) {
        skiff_bus_sub_t *s = old->subs[i];
        if (s == drop)
            continue;
        sn->subs[sn->n++] = s;
    }
    if (add)
        sn->subs[sn->n++] = add;
    for (uint32_t i = 0; i < sn->n; i++) {
        skiff_bus_sub_ref(sn->subs[i]);
        sn->nasync += sn->subs[i]->mode == SKIFF_BUS_ASYNC;
    }
    if (sn->n == 0) {
        free(sn);
        sn = NULL;
    }
    pthread_mutex_lock(&t->snap_lock);
    t->snap = sn;
    pthread_mutex_unlock(&t->snap_lock);
    snap_unref(old);
    return 0;
}

/* ---- delivery ---------------------------------------------------------- */

static void wake_waiters(skiff_bus_t *bus)
{
    pthread_mutex_lock(&bus->wait_lock);
    pthread_cond_broadcast(&bus->wait_cond);
    pthread_mutex_unlock(&bus->wait_lock);
}

void skiff_bus_deliver(skiff_bus_sub_t *s, const skiff_bus_event_t *ev)
{
    atomic_fetch_add(&s->inflight, 1);
    if (!atomic_load(&s->dead)) {
        cb_frame_t f = { s, tl_frames };
        tl_frames = &f;
        s->cb(s->ud, ev);
        tl_frames = f.up;
    }
    int left = atomic_fetch_sub(&s->inflight, 1) - 1;
    if (atomic_load(&s->dead)) {
        /* Unsubscribed from inside a callback: the last frame out frees ud. */
        if (left == 0 && atomic_exchange(&s->defer_free, 0) && s->free_ud)
            s->free_ud(s->ud);
        wake_waiters(s->bus);
    }
}

/* ---- bus --------------------------------------------------------------- */

int skiff_bus_new(skiff_bus_t **out, skiff_error_t *err)
{
    if (!out)
        return skiff_error_set(err, SKIFF_E_INVALID, "skiff_bus_new: out is NULL");
    *out = NULL;
    skiff_bus_t *bus = calloc(1, sizeof *bus);
    if (!bus)
        return skiff_error_set(err, -ENOMEM, "bus: out of memory");
    pthread_mutex_init(&bus->lock, NULL);
    pthread_mutex_init(&bus->wait_lock, NULL);
    pthread_cond_init(&bus->wait_cond, NULL);
    pthread_mutex_init(&bus->rq_lock, NULL);
    pthread_cond_init(&bus->rq_cond, NULL);
    int workers = SKIFF_BUS_WORKERS_DEFAULT;
    const char *env = getenv("SKIFF_BUS_WORKERS");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end || v < 1 || v > SKIFF_BUS_WORKERS_MAX) {
            skiff_bus_free(bus);
            return skiff_error_set(err, SKIFF_E_INVALID,
                                   "SKIFF_BUS_WORKERS=%s: want a number from 1 to %d", env,
                                   SKIFF_BUS_WORKERS_MAX);
        }
        workers = (int)v;
    }
    int rc = skiff_bus_workers_start(bus, workers, err);
    if (rc < 0) {
        skiff_bus_free(bus);
        return rc;
    }
    *out = bus;
    return 0;
}

static void unsubscribe(skiff_bus_sub_t *s);

/* Unsubscribe every live subscription (of `owner` when by_owner). One at a
 * time with the lock dropped, since unsubscribe waits for callbacks; ones
 * another thread is already unsubscribing are left to it. */
static void drop_subs(skiff_bus_t *bus, int by_owner, void *owner)
{
    for (;;) {
        pthread_mutex_lock(&bus->lock);
        skiff_bus_sub_t *s = bus->subs;
        while (s && ((by_owner && s->owner != owner) || atomic_load(&s->closing)))
            s = s->next;
        if (s)
            skiff_bus_sub_ref(s);
        pthread_mutex_unlock(&bus->lock);
        if (!s)
            return;
        unsubscribe(s);
        skiff_bus_sub_unref(s);
    }
}

void skiff_bus_free(skiff_bus_t *bus)
{
    if (!bus)
        return;
    skiff_bus_workers_stop(bus);
    drop_subs(bus, 0, NULL);
    for (skiff_bus_topic_t *t = bus->topics, *nx; t; t = nx) {
        nx = t->next;
        snap_unref(t->snap);
        pthread_mutex_destroy(&t->snap_lock);
        pthread_mutex_destroy(&t->pub_lock);
        free(t->name);
        free(t);
    }
    pthread_mutex_destroy(&bus->lock);
    pthread_mutex_destroy(&bus->wait_lock);
    pthread_cond_destroy(&bus->wait_cond);
    pthread_mutex_destroy(&bus->rq_lock);
    pthread_cond_destroy(&bus->rq_cond);
    free(bus);
}

/* ---- topics ------------------------------------------------------------ */

static skiff_bus_topic_t *topic_find(skiff_bus_t *bus, const char *name)
{
    for (skiff_bus_topic_t *t = bus->topics; t; t = t->next)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

static int check_name(const char *name, skiff_error_t *err)
{
    if (!name || !*name)
        return skiff_error_set(err, SKIFF_E_INVALID, "bus: topic name is empty");
    if (strlen(name) > SKIFF_BUS_TOPIC_MAX)
        return skiff_error_set(err, SKIFF_E_INVALID, "bus: topic name \"%.40s...\" is longer than %u bytes",
                               name, SKIFF_BUS_TOPIC_MAX);
    return 0;
}

int skiff_bus_topic_open(skiff_bus_t *bus, const char *name, uint32_t payload_version,
                         skiff_bus_topic_t **out, skiff_error_t *err)
{
    if (!bus || !out)
        return skiff_error_set(err, SKIFF_E_INVALID, "bus: topic_open needs a bus and an out pointer");
    *out = NULL;
    int rc = check_name(name, err);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&bus->lock);
    skiff_bus_topic_t *t = topic_find(bus, name);
    if (t) {
        uint32_t v = t->version;
        pthread_mutex_unlock(&bus->lock);
        if (v != payload_version)
            return skiff_error_set(err, SKIFF_E_VERSION,
                                   "bus: topic \"%s\" is declared with payload version %u, not %u",
                                   name, v, payload_version);
        *out = t;
        return 0;
    }
    t = calloc(1, sizeof *t);
    char *nm = strdup(name);
    if (!t || !nm) {
        pthread_mutex_unlock(&bus->lock);
        free(t);
        free(nm);
        return skiff_error_set(err, -ENOMEM, "bus: out of memory declaring topic \"%s\"", name);
    }
    t->bus = bus;
    t->name = nm;
    t->version = payload_version;
    atomic_init(&t->seq, 0);
    pthread_mutex_init(&t->snap_lock, NULL);
    pthread_mutex_init(&t->pub_lock, NULL);
    t->next = bus->topics;
    bus->topics = t;
    pthread_mutex_unlock(&bus->lock);
    *out = t;
    return 0;
}

/* ---- publish ----------------------------------------------------------- */

int skiff_bus_publish(skiff_bus_topic_t *t, const void *payload, size_t len, skiff_error_t *err)
{
    if (!t)
        return skiff_error_set(err, SKIFF_E_INVALID, "bus: publish on a NULL topic");
    if (!payload && len)
        return skiff_error_set(err, SKIFF_E_INVALID,
                               "bus: publish on \"%s\" with a NULL payload of %zu bytes", t->name, len);
    skiff_bus_snap_t *sn = snap_get(t);
    uint64_t seq;
    int rc = 0;
    if (sn && sn->nasync) {
        /* seq and ring order must agree for every async subscriber. */
        skiff_bus_sub_t *wake[64];
        size_t nw = 0;
        pthread_mutex_lock(&t->pub_lock);
        seq = atomic_fetch_add(&t->seq, 1) + 1;
        for (uint32_t i = 0; i < sn->n; i++) {
            if (sn->subs[i]->mode != SKIFF_BUS_ASYNC)
                continue;
            int w, r = skiff_bus_ring_push(sn->subs[i], seq, payload, len, 0, &w);
            if (r == -EAGAIN) {
                /* About to wait for room: let the subscribers already
                 * served start on their events meanwhile. */
                skiff_bus_rq_push(t->bus, wake, nw);
                nw = 0;
                r = skiff_bus_ring_push(sn->subs[i], seq, payload, len, 1, &w);
            }
            if (r < 0)
                rc = -ENOMEM;
            if (w)
                wake[nw++] = sn->subs[i];
            if (nw == sizeof wake / sizeof wake[0]) {
                skiff_bus_rq_push(t->bus, wake, nw);
                nw = 0;
            }
        }
        skiff_bus_rq_push(t->bus, wake, nw);
        pthread_mutex_unlock(&t->pub_lock);
    } else {
        seq = atomic_fetch_add(&t->seq, 1) + 1;
    }
    if (sn && sn->n > sn->nasync) {
        skiff_bus_event_t ev = { t->name, t->version, 0, seq, len ? payload : NULL, len };
        for (uint32_t i = 0; i < sn->n; i++)
            if (sn->subs[i]->mode == SKIFF_BUS_SYNC)
                skiff_bus_deliver(sn->subs[i], &ev);
    }
    snap_unref(sn);
    if (rc < 0)
        return skiff_error_set(err, rc,
                               "bus: out of memory queueing an event of %zu bytes on \"%s\" "
                               "(dropped for some subscribers, who will see it as lost)",
                               len, t->name);
    return 0;
}

/* ---- subscribe / unsubscribe ------------------------------------------- */

int skiff_bus_subscribe(skiff_bus_t *bus, void *owner, const char *name, uint32_t built_version,
                        const skiff_bus_sub_opts_t *opts, skiff_bus_cb cb, void *ud,
                        skiff_bus_free_fn free_ud, skiff_bus_sub_t **out, skiff_error_t *err)
{
    if (!bus || !out || !cb)
        return skiff_error_set(err, SKIFF_E_INVALID, "bus: subscribe needs a bus, a callback and an out pointer");
    *out = NULL;
    int rc = check_name(name, err);
    if (rc < 0)
        return rc;
    uint32_t mode = SKIFF_BUS_SYNC, qlen = 0, on_full = SKIFF_BUS_FULL_BLOCK;
    if (opts) {
        /* Read only what the caller's struct has (older callers pass less). */
        if (opts->size < offsetof(skiff_bus_sub_opts_t, mode) + sizeof opts->mode)
            return skiff_error_set(err, SKIFF_E_INVALID, "bus: subscribe to \"%s\": opts.size %u is too small",
                                   name, opts->size);
        mode = opts->mode;
        if (opts->size >= offsetof(skiff_bus_sub_opts_t, queue_len) + sizeof opts->queue_len)
            qlen = opts->queue_len;
        if (opts->size >= offsetof(skiff_bus_sub_opts_t, on_full) + sizeof opts->on_full)
            on_full = opts->on_full;
    }
    if (mode != SKIFF_BUS_SYNC && mode != SKIFF_BUS_ASYNC)
        return skiff_error_set(err, SKIFF_E_INVALID,
                               "bus: subscribe to \"%s\": mode %u is neither SYNC (0) nor ASYNC (1)", name, mode);
    if (on_full != SKIFF_BUS_FULL_BLOCK && on_full != SKIFF_BUS_FULL_DROP)
        return skiff_error_set(err, SKIFF_E_INVALID,
                               "bus: subscribe to \"%s\": on_full %u is neither BLOCK (0) nor DROP (1)",
                               name, on_full);
    if (qlen == 0)
        qlen = SKIFF_BUS_QUEUE_DEFAULT;
    if (qlen > SKIFF_BUS_QUEUE_MAX)
        return skiff_error_set(err, SKIFF_E_INVALID,
                               "bus: subscribe to \"%s\": queue_len %u is over the limit of %u", name,
                               qlen, SKIFF_BUS_QUEUE_MAX);

    skiff_bus_sub_t *s = calloc(1, sizeof *s);
    if (!s)
        return skiff_error_set(err, -ENOMEM, "bus: out of memory subscribing to \"%s\"", name);
    s->bus = bus;
    s->owner = owner;
    s->cb = cb;
    s->ud = ud;
    s->free_ud = free_ud;
    s->mode = mode;
    s->on_full = on_full;
    atomic_init(&s->refs, 1);
    if (mode == SKIFF_BUS_ASYNC && (rc = skiff_bus_ring_init(s, qlen, err)) < 0) {
        free(s);
        return rc;
    }

    pthread_mutex_lock(&bus->lock);
    skiff_bus_topic_t *t = topic_find(bus, name);
    if (!t) {
        rc = skiff_error_set(err, SKIFF_E_NOTFOUND, "bus: no topic \"%s\" has been declared", name);
    } else if (built_version > t->version) {
        rc = skiff_error_set(err, SKIFF_E_VERSION,
                             "bus: subscriber of \"%s\" was built for payload version %u, "
                             "but the host publishes version %u",
                             name, built_version, t->version);
    } else {
        s->topic = t;
        /* Set before the first callback can run, so a callback may
         * unsubscribe itself through the caller's handle variable. */
        *out = s;
        if (snap_replace(t, s, NULL) < 0) {
            *out = NULL;
            rc = skiff_error_set(err, -ENOMEM, "bus: out of memory subscribing to \"%s\"", name);
        }
    }
    if (rc == 0) {
        s->next = bus->subs;
        if (bus->subs)
            bus->subs->prev = s;
        bus->subs = s;
    }
    pthread_mutex_unlock(&bus->lock);
    if (rc < 0) {
        skiff_bus_sub_unref(s);
        return rc;
    }
    return 0;
}

static void unsubscribe(skiff_bus_sub_t *s)
{
    skiff_bus_t *bus = s->bus;
    if (atomic_exchange(&s->closing, 1))
        return;
    /* Stop new callbacks, release publishers blocked on our ring. */
    atomic_store(&s->dead, 1);
    if (s->mode == SKIFF_BUS_ASYNC)
        skiff_bus_ring_wake(s);
    int mine = frames_of(s);
    pthread_mutex_lock(&bus->wait_lock);
    while (atomic_load(&s->inflight) > mine)
        pthread_cond_wait(&bus->wait_cond, &bus->wait_lock);
    pthread_mutex_unlock(&bus->wait_lock);
    if (mine == 0) {
        if (s->free_ud)
            s->free_ud(s->ud);
    } else {
        atomic_store(&s->defer_free, 1);
    }

    pthread_mutex_lock(&bus->lock);
    /* On ENOMEM the old snapshot keeps the dead sub; publishers skip it. */
    (void)snap_replace(s->topic, NULL, s);
    if (s->prev)
        s->prev->next = s->next;
    else
        bus->subs = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
    pthread_mutex_unlock(&bus->lock);
    skiff_bus_sub_unref(s); /* the handle's ref */
}

void skiff_bus_unsubscribe(skiff_bus_sub_t *s)
{
    if (!s)
        return;
    unsubscribe(s);
}

void skiff_bus_unsubscribe_owner(skiff_bus_t *bus, void *owner)
{
    if (bus)
        drop_subs(bus, 1, owner);
}
