/* The scheduling queue (after kube-scheduler's PriorityQueue): an active
 * heap ordered by priority (higher first) then time queued (older first), a
 * backoff heap ordered by backoff expiry (1s doubling to 10s by default),
 * and an unschedulable set whose pods move back on cluster events or after
 * the flush interval. The scheduling thread owns it. */
#include <stdlib.h>

#include "sched/sched_int.h"

static int active_less(const sched_pod_rec_t *a, const sched_pod_rec_t *b)
{
    if (a->view.priority != b->view.priority) return a->view.priority > b->view.priority;
    if (a->queued_ns != b->queued_ns) return a->queued_ns < b->queued_ns;
    return a->seq < b->seq;
}

static int backoff_less(const sched_pod_rec_t *a, const sched_pod_rec_t *b)
{
    if (a->backoff_until_ns != b->backoff_until_ns) return a->backoff_until_ns < b->backoff_until_ns;
    return a->seq < b->seq;
}

typedef int (*less_fn)(const sched_pod_rec_t *, const sched_pod_rec_t *);

static void heap_swap(sched_pod_rec_t **h, size_t i, size_t j)
{
    sched_pod_rec_t *t = h[i];
    h[i] = h[j];
    h[j] = t;
    h[i]->heap_idx = i;
    h[j]->heap_idx = j;
}

static void heap_up(sched_pod_rec_t **h, size_t i, less_fn less)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!less(h[i], h[p])) break;
        heap_swap(h, i, p);
        i = p;
    }
}

static void heap_down(sched_pod_rec_t **h, size_t n, size_t i, less_fn less)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && less(h[l], h[m])) m = l;
        if (r < n && less(h[r], h[m])) m = r;
        if (m == i) break;
        heap_swap(h, i, m);
        i = m;
    }
}

static int grow(sched_pod_rec_t ***arr, size_t *cap, size_t need)
{
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap * 2 : 256;
    while (c < need) c *= 2;
    sched_pod_rec_t **n = realloc(*arr, c * sizeof *n);
    if (!n) return -1;
    *arr = n;
    *cap = c;
    return 0;
}

static int heap_push(sched_pod_rec_t ***h, size_t *n, size_t *cap, sched_pod_rec_t *p, less_fn less)
{
    if (grow(h, cap, *n + 1) < 0) return -1;
    (*h)[*n] = p;
    p->heap_idx = *n;
    (*n)++;
    heap_up(*h, *n - 1, less);
    return 0;
}

static void heap_remove(sched_pod_rec_t **h, size_t *n, size_t i, less_fn less)
{
    (*n)--;
    if (i != *n) {
        h[i] = h[*n];
        h[i]->heap_idx = i;
        heap_down(h, *n, i, less);
        heap_up(h, i, less);
    }
}

int64_t sched_queue_backoff_ns(const sched_queue_t *q, int attempts)
{
    int64_t d = q->backoff_initial_ns;
    for (int i = 1; i < attempts && d < q->backoff_max_ns; i++) d *= 2;
    return d > q->backoff_max_ns ? q->backoff_max_ns : d;
}

static int to_active(sched_queue_t *q, sched_pod_rec_t *p, int64_t now)
{
    p->queued_ns = now;
    p->seq = ++q->seq;
    if (heap_push(&q->active, &q->n_active, &q->cap_active, p, active_less) < 0) return -1;
    p->where = SCHED_Q_ACTIVE;
    return 0;
}

static int to_backoff(sched_queue_t *q, sched_pod_rec_t *p)
{
    p->seq = ++q->seq;
    if (heap_push(&q->backoff, &q->n_backoff, &q->cap_backoff, p, backoff_less) < 0) return -1;
    p->where = SCHED_Q_BACKOFF;
    return 0;
}

int sched_queue_add(sched_queue_t *q, sched_pod_rec_t *p, int64_t now)
{
    if (p->where != SCHED_Q_NONE) return 0;
    return to_active(q, p, now);
}

int sched_queue_restore(sched_queue_t *q, sched_pod_rec_t *p, int where, int64_t now)
{
    if (p->where != SCHED_Q_NONE) return 0;
    if (where == SCHED_Q_BACKOFF) return to_backoff(q, p);
    if (where != SCHED_Q_UNSCHED) return to_active(q, p, now);
    if (grow(&q->unsched, &q->cap_unsched, q->n_unsched + 1) < 0) return -1;
    p->heap_idx = q->n_unsched;
    q->unsched[q->n_unsched++] = p;
    p->where = SCHED_Q_UNSCHED;
    return 0;
}

sched_pod_rec_t *sched_queue_pop(sched_queue_t *q)
{
    if (!q->n_active) return NULL;
    sched_pod_rec_t *p = q->active[0];
    heap_remove(q->active, &q->n_active, 0, active_less);
    p->where = SCHED_Q_NONE;
    return p;
}

int sched_queue_failed(sched_queue_t *q, sched_pod_rec_t *p, int64_t now, int retry_now)
{
    p->attempts++;
    p->backoff_until_ns = now + sched_queue_backoff_ns(q, p->attempts);
    if (retry_now) return to_backoff(q, p);
    if (grow(&q->unsched, &q->cap_unsched, q->n_unsched + 1) < 0) return -1;
    p->heap_idx = q->n_unsched;
    p->unsched_since_ns = now;
    q->unsched[q->n_unsched++] = p;
    p->where = SCHED_Q_UNSCHED;
    return 0;
}

static void unsched_remove(sched_queue_t *q, size_t i)
{
    q->n_unsched--;
    if (i != q->n_unsched) {
        q->unsched[i] = q->unsched[q->n_unsched];
        q->unsched[i]->heap_idx = i;
    }
}

void sched_queue_remove(sched_queue_t *q, sched_pod_rec_t *p)
{
    switch (p->where) {
    case SCHED_Q_ACTIVE: heap_remove(q->active, &q->n_active, p->heap_idx, active_less); break;
    case SCHED_Q_BACKOFF: heap_remove(q->backoff, &q->n_backoff, p->heap_idx, backoff_less); break;
    case SCHED_Q_UNSCHED: unsched_remove(q, p->heap_idx); break;
    default: return;
    }
    p->where = SCHED_Q_NONE;
}

/* Out of the unschedulable set, to active or (still backing off) backoff. */
static void requeue(sched_queue_t *q, sched_pod_rec_t *p, int64_t now)
{
    int rc = p->backoff_until_ns > now ? to_backoff(q, p) : to_active(q, p, now);
    if (rc < 0) { /* no memory: leave it where the flush will find it again */
        p->unsched_since_ns = now;
        if (grow(&q->unsched, &q->cap_unsched, q->n_unsched + 1) == 0) {
            p->heap_idx = q->n_unsched;
            q->unsched[q->n_unsched++] = p;
            p->where = SCHED_Q_UNSCHED;
        }
    }
}

void sched_queue_move_all(sched_queue_t *q, int64_t now)
{
    size_t n = q->n_unsched;
    sched_pod_rec_t **list = q->unsched;
    q->unsched = NULL;
    q->n_unsched = q->cap_unsched = 0;
    for (size_t i = 0; i < n; i++) {
        list[i]->where = SCHED_Q_NONE;
        requeue(q, list[i], now);
    }
    free(list);
}

int64_t sched_queue_tick(sched_queue_t *q, int64_t now)
{
    while (q->n_backoff && q->backoff[0]->backoff_until_ns <= now) {
        sched_pod_rec_t *p = q->backoff[0];
        heap_remove(q->backoff, &q->n_backoff, 0, backoff_less);
        p->where = SCHED_Q_NONE;
        if (to_active(q, p, now) < 0) { to_backoff(q, p); break; }
    }
    int64_t next = -1;
    for (size_t i = 0; i < q->n_unsched;) {
        sched_pod_rec_t *p = q->unsched[i];
        int64_t due = p->unsched_since_ns + q->flush_ns;
        if (due <= now) {
            unsched_remove(q, i);
            p->where = SCHED_Q_NONE;
            requeue(q, p, now);
            continue;
        }
        if (next < 0 || due - now < next) next = due - now;
        i++;
    }
    if (q->n_backoff) {
        int64_t d = q->backoff[0]->backoff_until_ns - now;
        if (d < 0) d = 0;
        if (next < 0 || d < next) next = d;
    }
    return next;
}

void sched_queue_free(sched_queue_t *q)
{
    free(q->active);
    free(q->backoff);
    free(q->unsched);
    q->active = q->backoff = q->unsched = NULL;
    q->n_active = q->n_backoff = q->n_unsched = 0;
}
