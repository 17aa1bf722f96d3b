/* skiff/bus.h — the in-process event bus as plugins see it.
 *
 * Topics are named ("store.watch", "sched.bound", ...) and carry a payload
 * version, as Redis module server events do: a topic's owner declares the
 * version of the payload struct it publishes; a subscriber states the version
 * it was built for, and one built for a newer payload than the topic has is
 * refused with SKIFF_E_VERSION. Payload structs only ever grow at the end, so
 * an older subscriber reading a newer payload is safe.
 *
 * Delivery:
 *  - SKIFF_BUS_SYNC: the callback runs on the publisher's thread, inside
 *    publish(), in subscription order. The payload is borrowed for the call.
 *  - SKIFF_BUS_ASYNC: publish() copies `len` payload bytes (pointers inside
 *    the payload are not followed) into the subscriber's bounded queue; a bus
 *    worker thread delivers them. Events of one topic reach each subscriber in
 *    publish order (per-topic ordering); different topics are not ordered
 *    against each other.
 *  - When an async subscriber's queue is full, `on_full` decides:
 *      SKIFF_BUS_FULL_BLOCK (default): publish() waits until there is room
 *        (back-pressure; never use from inside a callback of the same bus);
 *      SKIFF_BUS_FULL_DROP: the event is dropped for that subscriber only,
 *        publish() still returns 0, and the next event it does receive carries
 *        SKIFF_BUS_EV_LOST so it knows to resynchronise.
 *
 * Ownership: the host copies topic names. `ud` belongs to the subscriber; the
 * host calls `free_ud(ud)` exactly once — on unsubscribe or when the plugin
 * that subscribed is unloaded — after the last callback has returned.
 */
#ifndef SKIFF_BUS_H
#define SKIFF_BUS_H

#include <stddef.h>
#include <stdint.h>

typedef struct skiff_bus_topic skiff_bus_topic_t; /* opaque, host-owned */
typedef struct skiff_bus_sub skiff_bus_sub_t;     /* opaque, host-owned */

enum { SKIFF_BUS_SYNC = 0, SKIFF_BUS_ASYNC = 1 };
enum { SKIFF_BUS_FULL_BLOCK = 0, SKIFF_BUS_FULL_DROP = 1 };
enum { SKIFF_BUS_EV_LOST = 1u << 0 };

typedef struct skiff_bus_event {
    const char *topic;
    uint32_t payload_version; /* the topic's version */
    uint32_t flags;           /* SKIFF_BUS_EV_* */
    uint64_t seq;             /* per-topic sequence number, from 1 */
    const void *payload;      /* borrowed for the call */
    size_t len;
} skiff_bus_event_t;

typedef void (*skiff_bus_cb)(void *ud, const skiff_bus_event_t *ev);
typedef void (*skiff_bus_free_fn)(void *ud);

typedef struct skiff_bus_sub_opts {
    uint32_t size;      /* sizeof(skiff_bus_sub_opts_t) */
    uint32_t mode;      /* SKIFF_BUS_SYNC or SKIFF_BUS_ASYNC */
    uint32_t queue_len; /* async queue capacity in events; 0 = 1024 */
    uint32_t on_full;   /* SKIFF_BUS_FULL_BLOCK or SKIFF_BUS_FULL_DROP */
} skiff_bus_sub_opts_t;

#endif
