/* core/sched/event_agg — identical events counted on one Event (event_agg.c). */
#ifndef SKIFF_CORE_SCHED_EVENT_AGG_H
#define SKIFF_CORE_SCHED_EVENT_AGG_H

#include <stddef.h>
#include <stdint.h>

typedef struct sched_event_agg sched_event_agg_t;

typedef struct sched_event_agg_hit {
    char name[256];     /* the Event to create (new) or patch (seen) */
    char first[40];     /* its firstTimestamp */
    int64_t count;      /* its count after this one */
} sched_event_agg_hit_t;

/* cap: keys remembered (0: 4096, as client-go). SKIFF_E_NOSPACE on OOM. */
int sched_event_agg_new(size_t cap, sched_event_agg_t **out);
void sched_event_agg_free(sched_event_agg_t *a); /* NULL is fine */
/* An event with `key` happens at `now` (RFC 3339). 0: first of its kind,
 * create it named `name` (hit echoes name/now, count 1); 1: seen before,
 * patch hit->name with hit->count and lastTimestamp = now. Strings copied. */
int sched_event_agg_record(sched_event_agg_t *a, const char *key, const char *name, const char *now,
                           sched_event_agg_hit_t *hit);
/* The Event is gone (expired, deleted): the next one is created anew. */
void sched_event_agg_forget(sched_event_agg_t *a, const char *key);
size_t sched_event_agg_len(sched_event_agg_t *a);

#endif
