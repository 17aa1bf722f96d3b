/* The scheduling queue alone: active order (priority, then age), backoff
 * 1s doubling to 10s, the unschedulable set moved by cluster events (to
 * backoff while a pod's backoff lasts) and flushed after the interval. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sched/sched_int.h"

#define S 1000000000LL

static sched_queue_t q0(void)
{
    sched_queue_t q;
    memset(&q, 0, sizeof q);
    q.backoff_initial_ns = 1 * S;
    q.backoff_max_ns = 10 * S;
    q.flush_ns = 300 * S;
    return q;
}

static sched_pod_rec_t *pod(int prio)
{
    sched_pod_rec_t *p = calloc(1, sizeof *p);
    p->view.priority = prio;
    return p;
}

static void test_backoff_doubles_to_max(void **state)
{
    (void)state;
    sched_queue_t q = q0();
    static const int64_t want[] = { 1, 2, 4, 8, 10, 10, 10 };
    for (int a = 1; a <= 7; a++) assert_int_equal(sched_queue_backoff_ns(&q, a), want[a - 1] * S);
}

static void test_active_order(void **state)
{
    (void)state;
    sched_queue_t q = q0();
    sched_pod_rec_t *a = pod(0), *b = pod(10), *c = pod(0), *d = pod(5);
    sched_queue_add(&q, a, 100);
    sched_queue_add(&q, b, 200);
    sched_queue_add(&q, c, 50);  /* older than a */
    sched_queue_add(&q, d, 300);
    assert_ptr_equal(sched_queue_pop(&q), b);
    assert_ptr_equal(sched_queue_pop(&q), d);
    assert_ptr_equal(sched_queue_pop(&q), c);
    assert_ptr_equal(sched_queue_pop(&q), a);
    assert_null(sched_queue_pop(&q));
    sched_queue_free(&q);
    free(a); free(b); free(c); free(d);
}

static void test_unschedulable_moves(void **state)
{
    (void)state;
    sched_queue_t q = q0();
    sched_pod_rec_t *a = pod(0), *b = pod(0);
    sched_queue_add(&q, a, 0);
    sched_queue_add(&q, b, 0);
    assert_ptr_equal(sched_queue_pop(&q), a);
    assert_ptr_equal(sched_queue_pop(&q), b);
    sched_queue_failed(&q, a, 0, 0);            /* unschedulable, backoff until 1s */
    b->attempts = 3;
    sched_queue_failed(&q, b, 0, 0);            /* 4th attempt: backoff 8s */
    assert_int_equal(q.n_unsched, 2);
    assert_null(sched_queue_pop(&q));           /* nothing active until an event */

    sched_queue_move_all(&q, 2 * S);            /* a's backoff is over, b's is not */
    assert_int_equal(q.n_unsched, 0);
    assert_int_equal(a->where, SCHED_Q_ACTIVE);
    assert_int_equal(b->where, SCHED_Q_BACKOFF);
    assert_ptr_equal(sched_queue_pop(&q), a);
    assert_null(sched_queue_pop(&q));
    int64_t next = sched_queue_tick(&q, 2 * S);
    assert_int_equal(next, 6 * S);              /* b leaves backoff at 8s */
    sched_queue_tick(&q, 8 * S);
    assert_ptr_equal(sched_queue_pop(&q), b);

    /* an error goes to backoff straight away, not to the unschedulable set */
    sched_queue_failed(&q, a, 10 * S, 1);
    assert_int_equal(a->where, SCHED_Q_BACKOFF);
    sched_queue_tick(&q, 12 * S);               /* 2nd attempt: 2s */
    assert_ptr_equal(sched_queue_pop(&q), a);

    /* the unschedulable set is flushed after the interval without events */
    sched_queue_failed(&q, a, 20 * S, 0);
    sched_queue_tick(&q, 100 * S);
    assert_int_equal(a->where, SCHED_Q_UNSCHED);
    sched_queue_tick(&q, 321 * S);
    assert_int_equal(a->where, SCHED_Q_ACTIVE);

    /* removal from any place */
    sched_queue_remove(&q, a);
    assert_int_equal(a->where, SCHED_Q_NONE);
    assert_null(sched_queue_pop(&q));
    sched_queue_free(&q);
    free(a); free(b);
}

/* The heaps under churn: adds at several times, removals from the middle,
 * pops in order (priority, then time queued, then arrival). */
static void test_heap_order_under_churn(void **state)
{
    (void)state;
    sched_queue_t q = q0();
    enum { N = 3000 };
    sched_pod_rec_t *ps[N];
    uint64_t x = 12345;
    for (int i = 0; i < N; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        ps[i] = pod((int)(x % 5) - 2);
        assert_int_equal(sched_queue_add(&q, ps[i], (int64_t)(x >> 40) % 7), 0);
    }
    int removed = 0;
    for (int i = 0; i < N; i += 7) { sched_queue_remove(&q, ps[i]); removed++; }
    assert_int_equal(q.n_active, N - removed);
    sched_pod_rec_t *prev = NULL;
    int popped = 0;
    for (sched_pod_rec_t *p; (p = sched_queue_pop(&q)); prev = p, popped++) {
        if (!prev) continue;
        assert_true(prev->view.priority >= p->view.priority);
        if (prev->view.priority == p->view.priority) {
            assert_true(prev->queued_ns <= p->queued_ns);
            if (prev->queued_ns == p->queued_ns) assert_true(prev->seq < p->seq);
        }
    }
    assert_int_equal(popped, N - removed);
    /* backoff: expiry order */
    for (int i = 0; i < N; i++) {
        ps[i]->where = SCHED_Q_NONE;
        sched_queue_failed(&q, ps[i], (int64_t)(i % 11) * S, 1);
    }
    int moved = 0;
    for (int64_t now = 0; now < 40 * S; now += S / 2) {
        sched_queue_tick(&q, now);
        for (sched_pod_rec_t *p; (p = sched_queue_pop(&q)); moved++)
            assert_true(p->backoff_until_ns <= now && p->backoff_until_ns > now - S / 2);
    }
    assert_int_equal(moved, N);
    for (int i = 0; i < N; i++) free(ps[i]);
    sched_queue_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_doubles_to_max),
        cmocka_unit_test(test_active_order),
        cmocka_unit_test(test_unschedulable_moves),
        cmocka_unit_test(test_heap_order_under_churn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
