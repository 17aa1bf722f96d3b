/* core/sched/recorder — the scheduler's events written off the scheduling
 * and binding paths, as kube-scheduler's event broadcaster (client-go
 * tools/events): post() copies the event into a bounded queue and returns;
 * one thread drains the queue through `write`. A full queue drops the event
 * (client-go's DropIfChannelFull) and counts it; the count is logged, at
 * most once a second. Internal to core/sched (api_link.c uses it). */
#ifndef SKIFF_CORE_SCHED_RECORDER_H
#define SKIFF_CORE_SCHED_RECORDER_H

#include <stddef.h>
#include <stdint.h>

/* client-go's maxQueuedEvents */
#define SCHED_RECORDER_CAP 1000

/* One event about a pod. Strings are borrowed by post() (copied there);
 * the writer gets them for the duration of its call. */
typedef struct sched_rec_event {
    const char *type, *reason, *action, *message;
    const char *by;                          /* reporting component (schedulerName) */
    const char *name, *namespace_, *uid;     /* the pod the event is about */
    const char *rname, *rnamespace, *ruid;   /* a related pod (preemptor), rname NULL = none */
    int64_t at_ns;                           /* when it happened (CLOCK_REALTIME); 0 = now */
} sched_rec_event_t;

typedef void (*sched_recorder_write_fn)(void *ud, const sched_rec_event_t *ev);

typedef struct sched_recorder sched_recorder_t;

/* cap: events queued at most (0 = SCHED_RECORDER_CAP). Starts the writer
 * thread. SKIFF_E_NOSPACE / -errno on failure. */
int sched_recorder_new(size_t cap, sched_recorder_write_fn write, void *ud, sched_recorder_t **out);
/* Queue ev: 0 queued, 1 dropped (queue full, or no memory). Never blocks
 * on the writer. */
int sched_recorder_post(sched_recorder_t *r, const sched_rec_event_t *ev);
/* Wait until everything posted so far has been written. */
void sched_recorder_flush(sched_recorder_t *r);
uint64_t sched_recorder_dropped(sched_recorder_t *r);
uint64_t sched_recorder_written(sched_recorder_t *r);
/* Write what is still queued, stop the thread, free. NULL is fine. */
void sched_recorder_free(sched_recorder_t *r);

#endif
