/* The scheduling queue (after kube-scheduler's PriorityQueue): an active
 * heap ordered by priority (higher first) then time queued (older first), a
 * backoff heap ordered by backoff expiry (1s doubling to 10s by default),
 * and an unschedulable set whose pods move back on cluster events or after
 * the flush interval. The scheduling thread owns it. */
#include <stdlib.h>

#include "sched/sched_int.h"

/* Heap entries carry their ordering keys, so sifting compares entries in
 * the heap's own array instead of loading a pod record per comparison
 * (records are scattered: with a burst of 50,000 pending pods every level
 * of a pop was a cache miss). Active: priority (higher first, a = -priority),
 * then time queued (older first); backoff: backoff expiry; then seq. */
static int ent_less(const sched_qent_t *x, const sched_qent_t *y)
{
    if (x->a != y->a) return x->a < y->a;
    if (x->b != y->b) return x->b < y->b;
    return x->seq < y->seq;
}

static void heap_up(sched_qent_t *h, size_t i)
{
    sched_qent_t e = h[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!ent_less(&e, &h[p])) break;
        h[i] = h[p];
        h[i].p->heap_idx = i;
        i = p;
    }
    h[i] = e;
    e.p->heap_idx = i;
}

static void heap_down(sched_qent_t *h, size_t n, size_t i)
{
    sched_qent_t e = h[i];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = l;
        if (l >= n) break;
        if (r < n && ent_less(&h[r], &h[l])) m = r;
        if (!ent_less(&h[m], &e)) break;
        h[i] = h[m];
        h[i].p->heap_idx = i;
        i = m;
    }
    h[i] = e;
    e.p->heap_idx = i;
}

static int grow_ptrs(sched_pod_rec_t ***arr, size_t *cap, size_t need)
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

static int heap_push(sched_qent_t **h, size_t *n, size_t *cap, sched_qent_t e)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 256;
        sched_qent_t *g = realloc(*h, c * sizeof *g);
        if (!g) return -1;
        *h = g;
        *cap = c;
    }
    (*h)[*n] = e;
    (*n)++;
    heap_up(*h, *n - 1);
    return 0;
}

static void heap_remove(sched_qent_t *h, size_t *n, size_t i)
{
    (*n)--;
    if (i != *n) {
        h[i] = h[*n];
        h[i].p->heap_idx = i;
        heap_down(h, *n, i);
        heap_up(h, i);
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
    sched_qent_t e = { -(int64_t)p->view.priority, now, p->seq, p };
    if (heap_push(&q->active, &q->n_active, &q->cap_active, e) < 0) return -1;
    p->where = SCHED_Q_ACTIVE;
    return 0;
}

static int to_backoff(sched_queue_t *q, sched_pod_rec_t *p)
{
    p->seq = ++q->seq;
    sched_qent_t e = { p->backoff_until_ns, 0, p->seq, p };
    if (heap_push(&q->backoff, &q->n_backoff, &q->cap_backoff, e) < 0) return -1;
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
    if (grow_ptrs(&q->unsched, &q->cap_unsched, q->n_unsched + 1) < 0) return -1;
    p->heap_idx = q->n_unsched;
    q->unsched[q->n_unsched++] = p;
    p->where = SCHED_Q_UNSCHED;
    return 0;
}

sched_pod_rec_t *sched_queue_pop(sched_queue_t *q)
{
    if (!q->n_active) return NULL;
    sched_pod_rec_t *p = q->active[0].p;
    heap_remove(q->active, &q->n_active, 0);
    p->where = SCHED_Q_NONE;
    return p;
}

int sched_queue_failed(sched_queue_t *q, sched_pod_rec_t *p, int64_t now, int retry_now)
{
    p->attempts++;
    p->backoff_until_ns = now + sched_queue_backoff_ns(q, p->attempts);
    if (retry_now) return to_backoff(q, p);
    if (grow_ptrs(&q->unsched, &q->cap_unsched, q->n_unsched + 1) < 0) return -1;
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
    case SCHED_Q_ACTIVE: heap_remove(q->active, &q->n_active, p->heap_idx); break;
    case SCHED_Q_BACKOFF: heap_remove(q->backoff, &q->n_backoff, p->heap_idx); break;
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
        if (grow_ptrs(&q->unsched, &q->cap_unsched, q->n_unsched + 1) == 0) {
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
    while (q->n_backoff && q->backoff[0].a <= now) {
        sched_pod_rec_t *p = q->backoff[0].p;
        heap_remove(q->backoff, &q->n_backoff, 0);
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
        int64_t d = q->backoff[0].a - now;
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
    q->active = q->backoff = NULL;
    q->unsched = NULL;
    q->n_active = q->n_backoff = q->n_unsched = 0;
}
