/* core/sched/api_link — the scheduler's source and sink over the in-process
 * API client (internal to core/sched: the component uses it). Ownership:
 * the link owns its client and watches; the server is borrowed and must
 * outlive it. Order: new (gives the sink), skiff_sched_new + start, then
 * link_start (watches); at the end link_stop, free the scheduler, link_free. */
#ifndef SKIFF_CORE_SCHED_API_LINK_H
#define SKIFF_CORE_SCHED_API_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "api/api.h"
#include "sched/sched.h"

typedef struct sched_api_link sched_api_link_t;

int sched_api_link_new(skiff_api_server_t *srv, sched_api_link_t **out, skiff_sched_sink_t *sink,
                       skiff_error_t *err);
int sched_api_link_start(sched_api_link_t *l, skiff_sched_t *s, skiff_error_t *err);
void sched_api_link_stop(sched_api_link_t *l);
/* Events written / dropped by the link's recorder (recorder.h); `flush`
 * waits for the queue to drain first. */
/* MODIFIED echoes of our own binds recognised from their text (not parsed). */
uint64_t sched_api_link_echoes_skipped(sched_api_link_t *l);
void sched_api_link_events(sched_api_link_t *l, int flush, uint64_t *written, uint64_t *dropped);
void sched_api_link_free(sched_api_link_t *l);
/* What says whether a pod watch event's text is the echo of one of our
 * binds, read with the shared scanner (api/jscan.h) and no parse: spec is
 * entered, not skipped, and metadata read only up to name and namespace.
 * key = "namespace/name" (namespace "default" when absent), [*node,
 * *node_end) = spec.nodeName's string value, pointing into object. 0, or -1
 * when the text does not show them plainly (no nodeName string, a name with
 * escapes, too long, malformed or truncated text): then it is parsed. */
int sched_api_link_echo_facts(const char *object, size_t len, char *key, size_t keylen, const char **node,
                              const char **node_end);

#endif
