/* core/bus internals shared by bus.c (topics, subscriptions, sync delivery)
 * and async.c (per-subscriber rings and the worker pool). Not a face: only
 * files under core/bus/ include this.
 *
 * Lifetime of a subscription (skiff_bus_sub_t) is reference counted; refs are
 * held by: the subscriber's handle (dropped by unsubscribe), every topic
 * snapshot listing it, and the ready queue while it is scheduled. free_ud is
 * separate from memory: it runs once, when unsubscribe has made sure no
 * callback is running, while the struct may live a little longer in an old
 * snapshot a publisher still holds.
 */
#ifndef SKIFF_CORE_BUS_INT_H
#define SKIFF_CORE_BUS_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "bus/bus.h"

/* An immutable array of a topic's subscriptions, in subscription order.
 * Publishers take a ref and iterate without any lock; subscribe/unsubscribe
 * build a new one and swap it in (copy-on-write), so publish never allocates. */
typedef struct skiff_bus_snap {
    atomic_uint refs;
    uint32_t n;
    uint32_t nasync;
    skiff_bus_sub_t *subs[];
} skiff_bus_snap_t;

/* One slot of an async ring. Payloads up to SKIFF_BUS_SLOT_INLINE bytes
 * (handles, indices, small structs) live in the slot itself; larger ones go
 * to `data`, grown on demand and reused, so after the ring has wrapped once
 * with a payload size, enqueue does not allocate. */
#define SKIFF_BUS_SLOT_INLINE 24u
typedef struct skiff_bus_slot {
    uint64_t seq;
    uint32_t flags;
    uint32_t cap; /* of data */
    size_t len;
    void *data;
    unsigned char inl[SKIFF_BUS_SLOT_INLINE];
} skiff_bus_slot_t;

struct skiff_bus_sub {
    skiff_bus_t *bus;
    skiff_bus_topic_t *topic;
    void *owner;
    skiff_bus_cb cb;
    void *ud;
    skiff_bus_free_fn free_ud;
    uint32_t mode;
    uint32_t on_full;

    atomic_uint refs;
    atomic_int inflight;   /* callers inside (or about to enter) cb */
    atomic_int dead;       /* set once by unsubscribe; no cb starts after */
    atomic_int closing;    /* unsubscribe has begun (idempotency guard) */
    atomic_int defer_free; /* free_ud left to the last callback frame to exit */

    /* Bus-wide list of live subscriptions (bus->lock). */
    skiff_bus_sub_t *prev, *next;

    /* Async ring (qlock). */
    pthread_mutex_t qlock;
    pthread_cond_t not_full;
    skiff_bus_slot_t *slots;
    uint32_t qcap;    /* queue_len: events queued and not yet started */
    uint32_t qphys;   /* slots allocated: qcap + what a worker may hold */
    uint32_t qhead, qcount;
    uint32_t claimed; /* slots at qhead a worker is delivering */
    int lost;      /* an event was dropped; flag the next one */
    int scheduled; /* on the ready queue or being drained by a worker */
    int waiters;   /* publishers blocked on not_full */
    skiff_bus_sub_t *rq_next;
};

struct skiff_bus_topic {
    skiff_bus_t *bus;
    char *name;
    uint32_t version;
    atomic_uint_fast64_t seq;
    pthread_mutex_t snap_lock; /* guards `snap` only; never held in a callback */
    skiff_bus_snap_t *snap;    /* NULL = no subscribers */
    pthread_mutex_t pub_lock;  /* serialises seq + async enqueue (per-topic order) */
    skiff_bus_topic_t *next;
};

#define SKIFF_BUS_WORKERS_MAX 16

struct skiff_bus {
    pthread_mutex_t lock; /* topics list, subs list; never held in a callback */
    skiff_bus_topic_t *topics;
    skiff_bus_sub_t *subs;

    pthread_mutex_t wait_lock; /* unsubscribe waiting for callbacks to finish */
    pthread_cond_t wait_cond;

    pthread_mutex_t rq_lock; /* ready queue of async subs with pending events */
    pthread_cond_t rq_cond;
    skiff_bus_sub_t *rq_head, *rq_tail;
    int stopping;
    int idle; /* workers waiting on rq_cond (rq_lock) */
    int nworkers;
    pthread_t workers[SKIFF_BUS_WORKERS_MAX];
};

/* bus.c */
void skiff_bus_sub_ref(skiff_bus_sub_t *s);
void skiff_bus_sub_unref(skiff_bus_sub_t *s);
/* Run s->cb unless s is dead, honouring unsubscribe's wait/defer protocol. */
void skiff_bus_deliver(skiff_bus_sub_t *s, const skiff_bus_event_t *ev);

/* async.c */
int skiff_bus_ring_init(skiff_bus_sub_t *s, uint32_t cap, skiff_error_t *err);
void skiff_bus_ring_fini(skiff_bus_sub_t *s);
/* Copy one event into s's ring. 0, -ENOMEM, or -EAGAIN when the ring is
 * full, on_full is BLOCK and !may_wait (nothing was copied).
 * *wake = 1: s was idle and is now scheduled (with the ready queue's ref);
 * the caller must hand it to skiff_bus_rq_push. */
int skiff_bus_ring_push(skiff_bus_sub_t *s, uint64_t seq, const void *payload, size_t len, int may_wait,
                        int *wake);
void skiff_bus_rq_push(skiff_bus_t *bus, skiff_bus_sub_t *const *subs, size_t n);
/* Wake publishers blocked on s's full ring (after s->dead is set). */
void skiff_bus_ring_wake(skiff_bus_sub_t *s);
int skiff_bus_workers_start(skiff_bus_t *bus, int n, skiff_error_t *err);
/* Deliver everything queued, then join the workers. */
void skiff_bus_workers_stop(skiff_bus_t *bus);

#endif
