/* core/sched/api_link — the scheduler's source and sink over the in-process
 * API client (internal to core/sched: the component uses it). Ownership:
 * the link owns its client and watches; the server is borrowed and must
 * outlive it. Order: new (gives the sink), skiff_sched_new + start, then
 * link_start (watches); at the end link_stop, free the scheduler, link_free. */
#ifndef SKIFF_CORE_SCHED_API_LINK_H
#define SKIFF_CORE_SCHED_API_LINK_H

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

#endif
