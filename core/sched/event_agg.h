/* core/sched/event_agg — client-go's EventCorrelator for the scheduler's
 * events (event_agg.c): similar events aggregated, identical ones counted
 * on one Event, a spam filter per source and object. */
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

/* The whole correlator (EventCorrelator.EventCorrelate): aggregate, observe,
 * spam filter. */
enum {
    SCHED_EVENT_CREATE = 0, /* create an Event named v->name with v->message, count 1 */
    SCHED_EVENT_PATCH = 1,  /* patch Event v->name: count, lastTimestamp, message */
    SCHED_EVENT_SKIP = 2,   /* dropped by the spam filter (its count still observed) */
};

typedef struct sched_event_verdict {
    int action;         /* SCHED_EVENT_* */
    char name[256];
    char first[40];     /* firstTimestamp of the Event */
    int64_t count;      /* its count after this one */
    char *message;      /* malloc'd: the message to write (the event's, or
                           "(combined from similar events): ..." once 10
                           different messages of one reason came within 10
                           minutes) */
    char *key;          /* malloc'd: what sched_event_agg_forget takes when the
                           patched Event turns out to be gone */
} sched_event_verdict_t;

/* An event happens at now (RFC 3339; now_ns the same instant in ns, any
 * clock as long as it is the same for every call). spam_key: the source,
 * the involved object (kind, namespace, name, uid, apiVersion) and the type,
 * joined; reason and message are the event's; name the name a new Event
 * gets. 0 with *v filled (release with sched_event_verdict_free), or
 * SKIFF_E_NOSPACE (nothing to release: write the event as it is). */
int sched_event_agg_correlate(sched_event_agg_t *a, const char *spam_key, const char *reason,
                              const char *message, const char *name, const char *now, int64_t now_ns,
                              sched_event_verdict_t *v);
void sched_event_verdict_free(sched_event_verdict_t *v);

#endif
