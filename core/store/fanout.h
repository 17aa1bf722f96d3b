/* core/store/fanout — one store watch feeding many subscribers (the face of
 * fanout.c). The API server's watch cache sits on top of this.
 *
 * A fan-out opens ONE watch on a key prefix of a store (any skiff_store_ops_t
 * + self) and keeps the last `history` events in a window. Each subscriber
 * names its own start revision; events from the window are replayed to it
 * and live ones follow, in revision order, with no gap and no duplicate.
 * Delivery runs on the event bus's async workers (ASYNC + DROP), so a slow
 * subscriber never slows the store or the others: when its bounded queue
 * overflows while it is more than queue_len events behind, or it falls out
 * of the window, it gets SKIFF_E_COMPACTED as a final error — like a
 * Kubernetes watcher getting 410 Gone, it must re-list and watch again.
 * Memory is bounded by history events, plus up to 16 events per subscriber
 * being delivered (already out of the window), plus a bus ring of
 * queue_len + 16 slots of 56 bytes per subscriber (58 KiB at the default),
 * whatever the subscribers do.
 *
 * Ownership and lifetime:
 *  - Each store event is copied once (key, value, prev) into a refcounted
 *    block shared by the window and every subscriber delivering it. The event
 *    handed to a subscriber's callback is borrowed for that call.
 *  - The store (ops, self) must outlive the fan-out; so must the bus.
 *  - A subscription handle stays valid after its final error until
 *    skiff_fanout_unsubscribe() (callable from inside its own callback) or
 *    skiff_fanout_free(); free_ud(ud) runs exactly once, after the last
 *    callback returned.
 *  - The fan-out declares one bus topic, "store.fanout/<n>", which like every
 *    topic lives as long as the bus (a few dozen bytes once freed).
 */
#ifndef SKIFF_CORE_STORE_FANOUT_H
#define SKIFF_CORE_STORE_FANOUT_H

#include <skiff/store.h>

#include "bus/bus.h"

typedef struct skiff_fanout skiff_fanout_t;
typedef struct skiff_fanout_sub skiff_fanout_sub_t;

typedef struct skiff_fanout_opts {
    uint32_t size;      /* sizeof(skiff_fanout_opts_t) */
    uint32_t history;   /* events kept for late joiners; 0 = 4096 */
    uint32_t queue_len; /* per-subscriber backlog (events) before cut-off; 0 = 1024 */
} skiff_fanout_opts_t;

typedef struct skiff_fanout_stats {
    int64_t start_rev;     /* first revision the fan-out covers */
    int64_t oldest_rev;    /* subscribe at >= this resumes from the window */
    int64_t last_rev;      /* revision of the newest event seen (0 = none) */
    uint64_t events;       /* events received from the store */
    uint64_t window;       /* events in the window now */
    uint64_t live_events;  /* event blocks allocated (window + in delivery) */
    uint64_t subscribers;  /* open subscriptions (cut-off ones included) */
    uint64_t cut_off;      /* subscribers ended with SKIFF_E_COMPACTED so far */
    int failed;            /* the store watch ended with this code (0 = running) */
} skiff_fanout_stats_t;

/* Open the store watch on `prefix` (prefix_len 0 = every key) from
 * `start_rev` (0 = the store's next revision). opts may be NULL. Errors: the
 * store's watch error (SKIFF_E_COMPACTED, ...), SKIFF_E_INVALID,
 * SKIFF_E_UNSUPPORTED (ops without watch/unwatch, or without revision when
 * start_rev is 0), -ENOMEM. */
int skiff_fanout_new(skiff_bus_t *bus, const skiff_store_ops_t *ops, void *self,
                     const char *prefix, size_t prefix_len, int64_t start_rev,
                     const skiff_fanout_opts_t *opts, skiff_fanout_t **out, skiff_error_t *err);

/* Stop the store watch, end every subscription (free_ud runs; no final error
 * is delivered) and free. NULL is fine. Must not be called from a callback. */
void skiff_fanout_free(skiff_fanout_t *f);

/* Subscribe from `start_rev` (0 = only events after now). cb gets events with
 * mod_rev >= start_rev in order; a final call with err set (ev NULL) ends the
 * stream: SKIFF_E_COMPACTED when cut off, or the store watch's own error.
 * Errors: SKIFF_E_COMPACTED when start_rev is older than the window (or the
 * fan-out's start) — re-list then — the store watch's error if it has already
 * ended, SKIFF_E_INVALID, -ENOMEM. On error free_ud is not called and
 * *out is NULL. *out is set before the first callback can run, so a callback
 * may unsubscribe itself through it. */
int skiff_fanout_subscribe(skiff_fanout_t *f, int64_t start_rev, skiff_store_watch_cb cb, void *ud,
                           skiff_bus_free_fn free_ud, skiff_fanout_sub_t **out, skiff_error_t *err);

/* End a subscription: after it returns no callback runs (from inside its own
 * callback: none after that callback returns) and free_ud has run (or runs
 * when that callback returns). NULL is fine. */
void skiff_fanout_unsubscribe(skiff_fanout_sub_t *s);

void skiff_fanout_stats(skiff_fanout_t *f, skiff_fanout_stats_t *out);

#endif
