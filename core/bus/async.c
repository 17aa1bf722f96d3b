/* core/bus: async delivery — one bounded ring per subscriber and a small pool
 * of worker threads.
 *
 * A subscriber with queued events sits on the bus's ready queue; a worker
 * takes it, delivers up to BATCH events in ring order and puts it back at the
 * tail if more remain. A subscriber is drained by one worker at a time, which
 * is what keeps per-topic order; the batch limit keeps one busy subscriber
 * from starving the others, and several workers keep one slow callback from
 * stalling everyone (it ties up only its own worker).
 */
#include <stdlib.h>
#include <string.h>

#include "bus/bus_int.h"

#define BATCH 256u
#define CHUNK 16u

int skiff_bus_ring_init(skiff_bus_sub_t *s, uint32_t cap, skiff_error_t *err)
{
    /* CHUNK extra slots: events a worker has taken for delivery stop
     * counting against `cap` (see skiff_bus_ring_push). */
    s->slots = calloc((size_t)cap + CHUNK, sizeof *s->slots);
    if (!s->slots)
        return skiff_error_set(err, -ENOMEM, "bus: out of memory for an async queue of %u events", cap);
    s->qcap = cap;
    s->qphys = cap + CHUNK;
    pthread_mutex_init(&s->qlock, NULL);
    pthread_cond_init(&s->not_full, NULL);
    return 0;
}

void skiff_bus_ring_fini(skiff_bus_sub_t *s)
{
    if (!s->slots)
        return;
    for (uint32_t i = 0; i < s->qphys; i++)
        free(s->slots[i].data);
    free(s->slots);
    s->slots = NULL;
    pthread_mutex_destroy(&s->qlock);
    pthread_cond_destroy(&s->not_full);
}

/* Append n subscriptions to the ready queue with one lock and at most one
 * wake-up call: a publisher fanning out to many subscribers would otherwise
 * pay a lock and a futex wake per subscriber. */
void skiff_bus_rq_push(skiff_bus_t *bus, skiff_bus_sub_t *const *subs, size_t n)
{
    if (n == 0)
        return;
    pthread_mutex_lock(&bus->rq_lock);
    for (size_t i = 0; i < n; i++) {
        skiff_bus_sub_t *s = subs[i];
        s->rq_next = NULL;
        if (bus->rq_tail)
            bus->rq_tail->rq_next = s;
        else
            bus->rq_head = s;
        bus->rq_tail = s;
    }
    /* Wake as many sleeping workers as subscriptions became ready, no more:
     * a broadcast for two ready subscribers would wake all four workers and
     * two would find nothing and sleep again (a context switch each). */
    if (bus->idle == 0) {
        /* every worker is awake and looks at the queue before sleeping */
    } else if (n >= (size_t)bus->idle) {
        pthread_cond_broadcast(&bus->rq_cond);
    } else {
        for (size_t i = 0; i < n; i++)
            pthread_cond_signal(&bus->rq_cond);
    }
    pthread_mutex_unlock(&bus->rq_lock);
}

static void rq_push(skiff_bus_t *bus, skiff_bus_sub_t *s)
{
    skiff_bus_rq_push(bus, &s, 1);
}

int skiff_bus_ring_push(skiff_bus_sub_t *s, uint64_t seq, const void *payload, size_t len, int may_wait,
                        int *wake)
{
    *wake = 0;
    int rc = 0;
    pthread_mutex_lock(&s->qlock);
    /* Full means qcap events not yet started: the ones a worker is already
     * delivering don't count. So when an event is dropped, some queued event
     * will still start after it — a subscriber that treats events as
     * wake-ups ("look for new work") can never miss one. */
    while (!atomic_load(&s->dead) && s->qcount - s->claimed >= s->qcap) {
        if (s->on_full == SKIFF_BUS_FULL_DROP) {
            s->lost = 1;
            goto out;
        }
        if (!may_wait) {
            rc = -EAGAIN;
            goto out;
        }
        s->waiters++;
        pthread_cond_wait(&s->not_full, &s->qlock);
        s->waiters--;
    }
    if (atomic_load(&s->dead))
        goto out;
    skiff_bus_slot_t *sl = &s->slots[(s->qhead + s->qcount) % s->qphys];
    void *dst = sl->inl;
    if (len > sizeof sl->inl) {
        if (len > sl->cap) {
            size_t cap = len < 256 ? 256 : len;
            void *p = cap <= UINT32_MAX ? realloc(sl->data, cap) : NULL;
            if (!p) {
                s->lost = 1; /* the subscriber learns of it from the next event */
                rc = -ENOMEM;
                goto out;
            }
            sl->data = p;
            sl->cap = (uint32_t)cap;
        }
        dst = sl->data;
    }
    if (len)
        memcpy(dst, payload, len);
    sl->len = len;
    sl->seq = seq;
    sl->flags = s->lost ? SKIFF_BUS_EV_LOST : 0;
    s->lost = 0;
    s->qcount++;
    if (!s->scheduled) {
        s->scheduled = 1;
        skiff_bus_sub_ref(s); /* the ready queue's ref */
        *wake = 1;
    }
out:
    pthread_mutex_unlock(&s->qlock);
    return rc;
}

void skiff_bus_ring_wake(skiff_bus_sub_t *s)
{
    pthread_mutex_lock(&s->qlock);
    pthread_cond_broadcast(&s->not_full);
    pthread_mutex_unlock(&s->qlock);
}

/* Deliver up to BATCH events of s; returns with s requeued or descheduled.
 * Slots are claimed and released CHUNK at a time to keep lock traffic low;
 * a chunk stays small so DROP subscribers do not lose capacity for long. */
static void drain(skiff_bus_sub_t *s)
{
    skiff_bus_topic_t *t = s->topic;
    uint32_t done = 0;
    for (;;) {
        pthread_mutex_lock(&s->qlock);
        if (atomic_load(&s->dead) || s->qcount == 0 || done >= BATCH) {
            int more = s->qcount > 0 && !atomic_load(&s->dead);
            if (!more)
                s->scheduled = 0;
            pthread_mutex_unlock(&s->qlock);
            if (more)
                rq_push(s->bus, s); /* still scheduled; the ref moves with it */
            else
                skiff_bus_sub_unref(s);
            return;
        }
        uint32_t n = s->qcount < CHUNK ? s->qcount : CHUNK, h = s->qhead;
        s->claimed = n;
        if (s->waiters) /* claimed events stop counting: there is room */
            pthread_cond_broadcast(&s->not_full);
        pthread_mutex_unlock(&s->qlock);

        /* Slots [h, h+n) are ours until qcount drops: publishers only write
         * free slots, so payloads are read without the lock. */
        for (uint32_t i = 0; i < n; i++) {
            skiff_bus_slot_t *sl = &s->slots[(h + i) % s->qphys];
            const void *pl = sl->len == 0 ? NULL : sl->len <= sizeof sl->inl ? (const void *)sl->inl : sl->data;
            skiff_bus_event_t ev = { t->name, t->version, sl->flags, sl->seq, pl, sl->len };
            skiff_bus_deliver(s, &ev);
        }
        done += n;

        pthread_mutex_lock(&s->qlock);
        s->qhead = (s->qhead + n) % s->qphys;
        s->qcount -= n;
        s->claimed = 0;
        if (s->waiters)
            pthread_cond_broadcast(&s->not_full);
        pthread_mutex_unlock(&s->qlock);
    }
}

static void *worker_main(void *arg)
{
    skiff_bus_t *bus = arg;
    for (;;) {
        pthread_mutex_lock(&bus->rq_lock);
        while (!bus->rq_head && !bus->stopping) {
            bus->idle++;
            pthread_cond_wait(&bus->rq_cond, &bus->rq_lock);
            bus->idle--;
        }
        skiff_bus_sub_t *s = bus->rq_head;
        if (!s) { /* stopping and nothing left */
            pthread_mutex_unlock(&bus->rq_lock);
            return NULL;
        }
        bus->rq_head = s->rq_next;
        if (!bus->rq_head)
            bus->rq_tail = NULL;
        pthread_mutex_unlock(&bus->rq_lock);
        drain(s);
    }
}

int skiff_bus_workers_start(skiff_bus_t *bus, int n, skiff_error_t *err)
{
    for (int i = 0; i < n; i++) {
        int rc = pthread_create(&bus->workers[i], NULL, worker_main, bus);
        if (rc != 0)
            return skiff_error_set(err, -rc, "bus: cannot start worker thread %d: %s", i, strerror(rc));
        pthread_setname_np(bus->workers[i], "skiff-bus"); /* for perf/top; best effort */
        bus->nworkers++;
    }
    return 0;
}

void skiff_bus_workers_stop(skiff_bus_t *bus)
{
    pthread_mutex_lock(&bus->rq_lock);
    bus->stopping = 1;
    pthread_cond_broadcast(&bus->rq_cond);
    pthread_mutex_unlock(&bus->rq_lock);
    for (int i = 0; i < bus->nworkers; i++)
        pthread_join(bus->workers[i], NULL);
    bus->nworkers = 0;
}
