/* core/bus — the in-process event bus (the face of core/bus/).
 *
 * The plugin-facing rules (topics, payload versions, sync/async delivery,
 * full-queue policy, ownership of ud) are in sdk/include/skiff/bus.h; the
 * host table's bus slots call straight into these functions.
 *
 * `owner` is an opaque token (the plugin instance's ctx, or NULL for the
 * core). skiff_bus_unsubscribe_owner() drops every subscription an owner made
 * (called when a plugin is unloaded), calling each free_ud. After it (and
 * after skiff_bus_free) that owner's subscription handles are invalid.
 *
 * How it behaves (implementation: bus.c, async.c):
 *  - publish never holds a lock while a callback runs and a sync publish
 *    never allocates. Async publish copies the payload into the subscriber's
 *    preallocated ring: up to 24 bytes inside the slot, larger payloads in a
 *    per-slot buffer that is reused once grown.
 *  - Full async queue: SKIFF_BUS_FULL_BLOCK makes publish() wait for room —
 *    and while it waits, other publishers of the same topic wait too
 *    (that is what keeps per-topic order); SKIFF_BUS_FULL_DROP drops the event
 *    for that subscriber only and flags its next delivered event
 *    SKIFF_BUS_EV_LOST (seq then also shows the gap). "Full" means
 *    queue_len events queued and not yet started; the few (up to 16) a
 *    worker has already taken for delivery don't count, so when an event is
 *    dropped at least one queued event still starts after it — a subscriber
 *    that treats events as wake-ups never misses one.
 *  - Async callbacks run on a pool of worker threads (4; the environment
 *    variable SKIFF_BUS_WORKERS=1..16 overrides). One subscriber is served by
 *    one worker at a time, in batches, so a slow callback holds up only its
 *    own worker; more slow subscribers than workers stall async delivery.
 *  - subscribe sets *out before the first callback can run (even one on
 *    another thread), so a callback may unsubscribe itself through it.
 *  - unsubscribe from inside the subscription's own callback returns at once;
 *    free_ud then runs when that callback returns, on its thread. From
 *    anywhere else it waits for running callbacks first. Two callbacks that
 *    unsubscribe each other from two threads at once deadlock: don't.
 *  - skiff_bus_publish returns 0, SKIFF_E_INVALID (NULL topic, NULL payload
 *    with len > 0) or -ENOMEM (an async copy failed; those subscribers see
 *    SKIFF_BUS_EV_LOST next). Publishing to a topic nobody subscribes to is
 *    fine and still advances its seq.
 */
#ifndef SKIFF_CORE_BUS_H
#define SKIFF_CORE_BUS_H

#include <skiff/bus.h>
#include <skiff/error.h>

typedef struct skiff_bus skiff_bus_t;

/* Create a bus; its async worker thread starts here. */
int skiff_bus_new(skiff_bus_t **out, skiff_error_t *err);
/* Stop the worker (queued async events are delivered first), free every
 * remaining subscription (free_ud is called) and the bus. NULL is fine. */
void skiff_bus_free(skiff_bus_t *bus);

int skiff_bus_topic_open(skiff_bus_t *bus, const char *name, uint32_t payload_version,
                         skiff_bus_topic_t **out, skiff_error_t *err);
int skiff_bus_publish(skiff_bus_topic_t *topic, const void *payload, size_t len,
                      skiff_error_t *err);
int skiff_bus_subscribe(skiff_bus_t *bus, void *owner, const char *name, uint32_t built_version,
                        const skiff_bus_sub_opts_t *opts, skiff_bus_cb cb, void *ud,
                        skiff_bus_free_fn free_ud, skiff_bus_sub_t **out, skiff_error_t *err);
void skiff_bus_unsubscribe(skiff_bus_sub_t *sub);
void skiff_bus_unsubscribe_owner(skiff_bus_t *bus, void *owner);

#endif
