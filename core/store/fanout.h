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
 * Two other ways to read the same stream, each with one thread hop less:
 *  - a pull subscription (skiff_fanout_pull_*, below) is read on the
 *    consumer's own thread, straight from the window;
 *  - the tap (skiff_fanout_opts_t.tap), one per fan-out for its owner's
 *    bookkeeping, runs on the store's watch thread itself.
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
    /* The tap (NULL = none): called on the store's watch thread for every
     * event the fan-out gets, in order, from the fan-out's start revision,
     * then once with err set if the store watch ends — no bus worker, no
     * queue, no thread hop. For the fan-out's owner's own bookkeeping (the
     * watch cache's object map): it must be quick and never block for long,
     * as every watcher of the store waits for it. skiff_fanout_untap() stops
     * it. */
    skiff_store_watch_cb tap;
    void *tap_ud;
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

/* No tap call starts after this returns, and none is running. Not from the
 * tap itself. NULL is fine. */
void skiff_fanout_untap(skiff_fanout_t *f);

/* ---- pull subscriptions ------------------------------------------------
 *
 * A consumer with a thread of its own (the in-process API client's watch
 * thread) takes events from the window on that thread instead of through a
 * bus worker: one thread hop less per event (store watch thread -> consumer,
 * not store -> bus worker -> consumer), and a consumer that is busy when
 * events arrive is not woken at all — the store's thread wakes pullers only
 * when one sleeps, and a puller takes everything available per wake-up.
 * A slow puller is cut off as a slow subscriber is: when it falls out of
 * the window it ends with SKIFF_E_COMPACTED (re-list, watch again). It pins
 * no memory of its own (what it has not read is the window's), so the window
 * is its bounded queue.
 *
 * A pull handle is used by one thread at a time; skiff_fanout_pull_wake()
 * may be called from any thread. Close every pull handle before
 * skiff_fanout_free(). */
typedef struct skiff_fanout_pull skiff_fanout_pull_t;

/* Open at start_rev (0 = only events after now); errors as for subscribe. */
int skiff_fanout_pull_open(skiff_fanout_t *f, int64_t start_rev, skiff_fanout_pull_t **out, skiff_error_t *err);

/* Hand every event available now (revision order, up to `max`; 0 = no
 * limit) to cb on the caller's thread, waiting up to timeout_ms (< 0: no
 * limit) for the first one. cb's event is borrowed for the call and cb
 * never gets an error (the error is returned). Returns the number of events
 * taken (some may have been below start_rev and skipped), 0 when the wait
 * timed out or skiff_fanout_pull_wake() was called, or the negative code
 * that ended the stream (err set): SKIFF_E_COMPACTED when cut off, or the
 * store watch's error; every later call returns it again. */
int skiff_fanout_pull(skiff_fanout_pull_t *p, skiff_store_watch_cb cb, void *ud, size_t max, int timeout_ms,
                      skiff_error_t *err);

/* Make a waiting (or the next) skiff_fanout_pull return 0 at once. */
void skiff_fanout_pull_wake(skiff_fanout_pull_t *p);

/* Close a pull handle (not while another thread is inside skiff_fanout_pull
 * with it). NULL is fine. */
void skiff_fanout_pull_close(skiff_fanout_pull_t *p);

#endif
