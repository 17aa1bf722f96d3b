/* core/bus — the in-process event bus (the face of core/bus/).
 *
 * The plugin-facing rules (topics, payload versions, sync/async delivery,
 * full-queue policy, ownership of ud) are in sdk/include/skiff/bus.h; the
 * host table's bus slots call straight into these functions.
 *
 * `owner` is an opaque token (the plugin instance's ctx, or NULL for the
 * core). skiff_bus_unsubscribe_owner() drops every subscription an owner made
 * (called when a plugin is unloaded), calling each free_ud.
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
