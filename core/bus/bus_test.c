/* Tests for core/bus: versions, sync/async order, back-pressure, drop/lost,
 * unsubscribe semantics, owners, concurrency and teardown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
#include <stdatomic.h>

#include <cmocka.h>

#include "bus/bus.h"

static const skiff_bus_sub_opts_t ASYNC_BLOCK = { sizeof(skiff_bus_sub_opts_t), SKIFF_BUS_ASYNC, 0,
                                                  SKIFF_BUS_FULL_BLOCK };

/* cmocka's assertions may only run on the test's own thread; callbacks on
 * bus threads count violations here and the test checks it at the end. */
static atomic_int violations;

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Wait (up to ~10 s) until *v reaches want. */
static int wait_for(atomic_long *v, long want)
{
    for (int i = 0; i < 10000; i++) {
        if (atomic_load(v) >= want)
            return 1;
        sleep_ms(1);
    }
    return 0;
}

/* A recording subscriber: appends (tag, seq, payload int) to a log. */
typedef struct rec {
    pthread_mutex_t mu;
    int tag;
    long n;
    long cap;
    int *vals;
    uint64_t *seqs;
    uint32_t *flags;
    atomic_long count;
    atomic_int freed;
    int *order_log; /* shared between subscribers: tags in call order */
    int *order_n;
    int sleep_ms;
    atomic_int in_cb;
} rec_t;

static rec_t *rec_new(int tag, long cap)
{
    rec_t *r = calloc(1, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    r->tag = tag;
    r->cap = cap;
    r->vals = calloc((size_t)cap, sizeof *r->vals);
    r->seqs = calloc((size_t)cap, sizeof *r->seqs);
    r->flags = calloc((size_t)cap, sizeof *r->flags);
    return r;
}

static void rec_del(rec_t *r)
{
    pthread_mutex_destroy(&r->mu);
    free(r->vals);
    free(r->seqs);
    free(r->flags);
    free(r);
}

static void rec_cb(void *ud, const skiff_bus_event_t *ev)
{
    rec_t *r = ud;
    atomic_fetch_add(&r->in_cb, 1);
    if (atomic_load(&r->freed)) /* never a callback after free_ud */
        atomic_fetch_add(&violations, 1);
    if (r->sleep_ms)
        sleep_ms(r->sleep_ms);
    pthread_mutex_lock(&r->mu);
    if (r->n < r->cap) {
        int v = -1;
        if (ev->len == sizeof(int))
            memcpy(&v, ev->payload, sizeof v);
        r->vals[r->n] = v;
        r->seqs[r->n] = ev->seq;
        r->flags[r->n] = ev->flags;
        r->n++;
    }
    if (r->order_log)
        r->order_log[(*r->order_n)++] = r->tag;
    pthread_mutex_unlock(&r->mu);
    atomic_fetch_add(&r->count, 1);
    atomic_fetch_sub(&r->in_cb, 1);
}

static void rec_free_ud(void *ud)
{
    rec_t *r = ud;
    if (atomic_load(&r->in_cb)) /* after the last callback returned */
        atomic_fetch_add(&violations, 1);
    atomic_fetch_add(&r->freed, 1);
}

static void publish_int(skiff_bus_topic_t *t, int v)
{
    skiff_error_t err = { 0 };
    assert_int_equal(skiff_bus_publish(t, &v, sizeof v, &err), 0);
}

/* ---------------------------------------------------------------------- */

static void test_version_refusal(void **state)
{
    (void)state;
    skiff_bus_t *bus;
    skiff_error_t err = { 0 };
    assert_int_equal(skiff_bus_new(&bus, &err), 0);
    skiff_bus_topic_t *t, *t2;
    assert_int_equal(skiff_bus_topic_open(bus, "store.watch", 2, &t, &err), 0);
    /* Re-opening with the same version finds the same topic. */
    assert_int_equal(skiff_bus_topic_open(bus, "store.watch", 2, &t2, &err), 0);
    assert_ptr_equal(t, t2);
    /* Another version from an existing declaration is refused. */
    assert_int_equal(skiff_bus_topic_open(bus, "store.watch", 3, &t2, &err), SKIFF_E_VERSION);
    assert_non_null(strstr(err.msg, "payload version 2"));

    rec_t *r = rec_new(0, 16);
    skiff_bus_sub_t *s = NULL;
    /* Built for a newer payload than the host publishes: refused, ud untouched. */
    assert_int_equal(skiff_bus_subscribe(bus, NULL, "store.watch", 3, NULL, rec_cb, r, rec_free_ud, &s, &err),
                     SKIFF_E_VERSION);
    assert_null(s);
    assert_non_null(strstr(err.msg, "version 3"));
    assert_int_equal(atomic_load(&r->freed), 0);
    /* Older and equal versions are accepted. */
    skiff_bus_sub_t *s1, *s2;
    assert_int_equal(skiff_bus_subscribe(bus, NULL, "store.watch", 1, NULL, rec_cb, r, NULL, &s1, &err), 0);
    assert_int_equal(skiff_bus_subscribe(bus, NULL, "store.watch", 2, NULL, rec_cb, r, NULL, &s2, &err), 0);
    publish_int(t, 7);
    assert_int_equal(r->n, 2);
    assert_int_equal(r->vals[0], 7);
    /* Unknown topic, bad opts. */
    assert_int_equal(skiff_bus_subscribe(bus, NULL, "nope", 1, NULL, rec_cb, r, NULL, &s, &err), SKIFF_E_NOTFOUND);
    assert_non_null(strstr(err.msg, "\"nope\""));
    skiff_bus_sub_opts_t bad = { sizeof bad, 7, 0, 0 };
    assert_int_equal(skiff_bus_subscribe(bus, NULL, "store.watch", 1, &bad, rec_cb, r, NULL, &s, &err),
                     SKIFF_E_INVALID);
    assert_int_equal(skiff_bus_topic_open(bus, "", 1, &t2, &err), SKIFF_E_INVALID);
    assert_int_equal(skiff_bus_publish(t, NULL, 4, &err), SKIFF_E_INVALID);
    skiff_bus_unsubscribe(s1);
    skiff_bus_unsubscribe(s2);
    skiff_bus_unsubscribe(NULL);
    skiff_bus_free(bus);
    skiff_bus_free(NULL);
    rec_del(r);
}

static void test_sync_order(void **state)
{
    (void)state;
    skiff_bus_t *bus;
    skiff_error_t err = { 0 };
    assert_int_equal(skiff_bus_new(&bus, &err), 0);
    skiff_bus_topic_t *t;
    assert_int_equal(skiff_bus_topic_open(bus, "sched.bound", 1, &t, &err), 0);
    int log[64], logn = 0;
    rec_t *r[3];
    skiff_bus_sub_t *s[3];
    for (int i = 0; i < 3; i++) {
        r[i] = rec_new(i, 16);
        r[i]->order_log = log;
        r[i]->order_n = &logn;
        assert_int_equal(skiff_bus_subscribe(bus, NULL, "sched.bound", 1, NULL, rec_cb, r[i], rec_free_ud,
                                             &s[i], &err), 0);
    }
    for (int v = 1; v <= 4; v++)
        publish_int(t, v);
    /* Synchronous: everything ran inside publish(), subscription order. */
    assert_int_equal(logn, 12);
    for (int k = 0; k < 12; k++)
        assert_int_equal(log[k], k % 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(r[i]->n, 4);
        for (int k = 0; k < 4; k++) {
            assert_int_equal(r[i]->vals[k], k + 1);
            assert_int_equal(r[i]->seqs[k], (uint64_t)k + 1);
            assert_int_equal(r[i]->flags[k], 0);
        }
    }
    skiff_bus_unsubscribe(s[1]);
    assert_int_equal(atomic_load(&r[1]->freed), 1);
    publish_int(t, 5);
    assert_int_equal(r[1]->n, 4);
    assert_int_equal(r[0]->n, 5);
    assert_int_equal(r[0]->seqs[4], 5);
    skiff_bus_free(bus); /* frees s[0], s[2] */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(atomic_load(&r[i]->freed), 1);
        rec_del(r[i]);
    }
}

/* Async: many publishes on two topics; each subscriber sees each topic in order. */
static void test_async_order(void **state)
{
    (void)state;
    enum { N = 20000, SUBS = 8 };
    skiff_bus_t *bus;
    skiff_error_t err = { 0 };
    assert_int_equal(skiff_bus_new(&bus, &err), 0);
    skiff_bus_topic_t *ta, *tb;
    assert_int_equal(skiff_bus_topic_open(bus, "a", 1, &ta, &err), 0);
    assert_int_equal(skiff_bus_topic_open(bus, "b", 1, &tb, &err), 0);
    rec_t *ra[SUBS], *rb[SUBS];
    skiff_bus_sub_opts_t o = ASYNC_BLOCK;
    o.queue_len = 64; /* small: exercises wrap-around and back-pressure */
    for (int i = 0; i < SUBS; i++) {
        skiff_bus_sub_t *s;
        ra[i] = rec_new(i, N);
        rb[i] = rec_new(i, N);
        assert_int_equal(skiff_bus_subscribe(bus, NULL, "a", 1, &o, rec_cb, ra[i], rec_free_ud, &s, &err), 0);
        assert_int_equal(skiff_bus_subscribe(bus, NULL, "b", 1, &o, rec_cb, rb[i], rec_free_ud, &s, &err), 0);
    }
    for (int v = 0; v < N; v++) {
        publish_int(ta, v);
        publish_int(tb, -v - 10);
    }
    for (int i = 0; i < SUBS; i++) {
        assert_true(wait_for(&ra[i]->count, N));
        assert_true(wait_for(&rb[i]->count, N));
    }
    for (int i = 0; i < SUBS; i++) {
        for (int k = 0; k < N; k++) {
            if (ra[i]->vals[k] != k || ra[i]->seqs[k] != (uint64_t)k + 1 || ra[i]->flags[k] != 0)
                fail_msg("sub %d topic a event %d: val %d seq %llu", i, k, ra[i]->vals[k],
                         (unsigned long long)ra[i]->seqs[k]);
            if (rb[i]->vals[k] != -k - 10 || rb[i]->seqs[k] != (uint64_t)k + 1)
                fail_msg("sub %d topic b event %d out of order", i, k);
        }
    }
    skiff_bus_free(bus);
    for (int i = 0; i < SUBS; i++) {
        assert_int_equal(atomic_load(&ra[i]->freed), 1);
        rec_del(ra[i]);
        rec_del(rb[i]);
    }
}

/* BLOCK: a slow consumer with a tiny queue makes publish wait; nothing lost. */
static void test_block_backpressure(void **state)
{
    (void)state;
    enum { N = 200 };
    skiff_bus_t *bus;
    skiff_error_t err = { 0 };
    assert_int_equal(skiff_bus_new(&bus, &err), 0);
    skiff_bus_topic_t *t;
    assert_int_equal(skiff_bus_topic_open(bus, "bp", 1, &t, &err), 0);
    rec_t *r = rec_new(0, N);
    r->sleep_ms = 1;
    skiff_bus_sub_opts_t o = ASYNC_BLOCK;
    o.queue_len = 4;
    skiff_bus_sub_t *s;
    assert_int_equal(skiff_bus_subscribe(bus, NULL, "bp", 1, &o, rec_cb, r, rec_free_ud, &s, &err), 0);
    for (int v = 0; v < N; v++) {
        publish_int(t, v);
        /* The publisher is never more than queue_len queued + what the
         * worker took for delivery (at most queue_len here) ahead. */
        long behind = (v + 1) - atomic_load(&r->count);
        assert_true(behind <= 8);
    }
    assert_true(wait_for(&r->count, N));
    for (int k = 0; k < N; k++) {
        assert_int_equal(r->vals[k], k);
        assert_int_equal(r->flags[k], 0);
    }
    skiff_bus_unsubscribe(s);
    assert_int_equal(atomic_load(&r->freed), 1);
    skiff_bus_free(bus);
    rec_del(r);
}

/* DROP: a stalled consumer loses events; the next one it gets says so. */
typedef struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int open;
    atomic_int entered;
} gate_t;

typedef struct drop_ud {
    gate_t *gate;
    rec_t *rec;
} drop_ud_t;

static void gated_cb(void *ud, const skiff_bus_event_t *ev)
{
    drop_ud_t *d = ud;
    atomic_fetch_add(&d->gate->entered, 1);
    pthread_mutex_lock(&d->gate->mu);
    while (!d->gate->open)
        pthread_cond_wait(&d->gate->cv, &d->gate->mu);
    pthread_mutex_unlock(&d->gate->mu);
    rec_cb(d->rec, ev);
}

static void test_drop_lost(void **state)
{
    (void)state;
    skiff_bus_t *bus;
    skiff_error_t err = { 0 };
    assert_int_equal(skiff_bus_new(&bus, &err), 0);
    skiff_bus_topic_t *t;
    assert_int_equal(skiff_bus_topic_open(bus, "drop", 1, &t, &err), 0);
    gate_t g = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };
    drop_ud_t d = { &g, rec_new(0, 64) };
    rec_t *fast = rec_new(1, 64);
    skiff_bus_sub_opts_t o = { sizeof o, SKIFF_BUS_ASYNC, 4, SKIFF_BUS_FULL_DROP };
    skiff_bus_sub_t *s, *sf;
    assert_int_equal(skiff_bus_subscribe(bus, NULL, "drop", 1, &o, gated_cb, &d, NULL, &s, &err), 0);
    assert_int_equal(skiff_bus_subscribe(bus, NULL, "drop", 1, &o, rec_cb, fast, rec_free_ud, &sf, &err), 0);
    publish_int(t, 0); /* the worker takes it and blocks in the gate */
    for (int i = 0; i < 1000 && !atomic_load(&g.entered); i++)
        sleep_ms(1);
    assert_int_equal(atomic_load(&g.entered), 1);
    /* The event being delivered no longer counts, so the ring (4) holds 1..4;
     * 5..9 are dropped for this subscriber only — publish still returns 0. */
    for (int v = 1; v <= 9; v++) {
        publish_int(t, v);
        assert_true(wait_for(&fast->count, v + 1)); /* the fast one gets everything */
    }
    pthread_mutex_lock(&g.mu);
    g.open = 1;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
    assert_true(wait_for(&d.rec->count, 5));
    publish_int(t, 10);
    assert_true(wait_for(&d.rec->count, 6));
    sleep_ms(20);
    assert_int_equal(d.rec->n, 6);
    int want[] = { 0, 1, 2, 3, 4, 10 };
    for (int k = 0; k < 6; k++) {
        assert_int_equal(d.rec->vals[k], want[k]);
        assert_int_equal(d.rec->flags[k], k == 5 ? SKIFF_BUS_EV_LOST : 0);
    }
    assert_int_equal(d.rec->seqs[5], 11); /* the gap in seq shows it too */
    assert_true(wait_for(&fast->count, 11));
    for (int k = 0; k <= 10; k++)
        assert_int_equal(fast->flags[k], 0);
    skiff_bus_unsubscribe(s);
    skiff_bus_unsubscribe(sf);
    skiff_bus_free(bus);
    rec_del(d.rec);
    rec_del(fast);
}

/* A stalled BLOCK subscriber holds the publisher, but the other subscribers
 * still get every event published so far, including the one it waits on. */
typedef struct pub_arg {
    skiff_bus_topic_t *t;
    int n;
    atomic_int done;
} pub_arg_t;

static void *pub_thread(void *arg)
{
    pub_arg_t *p = arg;
    for (int v = 0; v < p->n; v++) {
        skiff_error_t err;
        if (skiff_bus_publish(p->t, &v, sizeof v, &err) != 0)
            atomic_fetch_add(&violations, 1);
    }
    atomic_store(&p->done, 1);
    return NULL;
}

static void test_block_does_not_stall_others(void **state)
{
    (void)state;
    skiff_bus_t *bus;
    skiff_error_t err = { 0 };
    assert_int_equal(skiff_bus_new(&bus, &err), 0);
    skiff_bus_topic_t *t;
    assert_int_equal(skiff_bus_topic_open(bus, "stall", 1, &t, &err), 0);
    gate_t g = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };
    drop_ud_t d = { &g, rec_new(0, 64) };
    rec_t *other = rec_new(1, 64);
    skiff_bus_sub_opts_t o = { sizeof o, SKIFF_BUS_ASYNC, 2, SKIFF_BUS_FULL_BLOCK };
    skiff_bus_sub_t *s, *so;
    assert_int_equal(skiff_bus_subscribe(bus, NULL, "stall", 1, &o, rec_cb, other, rec_free_ud, &so, &err), 0);
    assert_int_equal(skiff_bus_subscribe(bus, NULL, "stall", 1, &o, gated_cb, &d, NULL, &s, &err), 0);
    pub_arg_t p = { t, 10, 0 };
    pthread_t th;
    pthread_create(&th, NULL, pub_thread, &p);
    /* The gated one holds what its worker took (1 or 2 events, by timing)
     * and queues 2 more; the publisher then waits on the next one — which
     * the other subscriber has already received. */
    assert_true(wait_for(&other->count, 4));
    sleep_ms(30);
    long c = atomic_load(&other->count);
    assert_int_equal(atomic_load(&p.done), 0);
    assert_true(c >= 4 && c <= 5);
    sleep_ms(20);
    assert_int_equal(atomic_load(&other->count), c); /* stuck with the publisher */
    pthread_mutex_lock(&g.mu);
    g.open = 1;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
    pthread_join(th, NULL);
    assert_true(wait_for(&d.rec->count, 10));
    assert_true(wait_for(&other->count, 10));
    for (int k = 0; k < 10; k++) {
        assert_int_equal(d.rec->vals[k], k);
        assert_int_equal(other->vals[k], k);
    }
    skiff_bus_unsubscribe(s);
    skiff_bus_free(bus);
    rec_del(d.rec);
    rec_del(other);
}

/* Unsubscribe from inside the callback (sync and async): free_ud runs once,
 * after the callback returned, and no further callbacks come. */
typedef struct self_unsub {
    skiff_bus_sub_t *sub;
    atomic_int calls;
    atomic_int freed;
    atomic_int in_cb;
    int unsub_at;
} self_unsub_t;

static void self_unsub_cb(void *ud, const skiff_bus_event_t *ev)
{
    self_unsub_t *u = ud;
    (void)ev;
    if (atomic_load(&u->freed))
        atomic_fetch_add(&violations, 1);
    atomic_fetch_add(&u->in_cb, 1);
    if (atomic_fetch_add(&u->calls, 1) + 1 == u->unsub_at) {
        skiff_bus_unsubscribe(u->sub);
        /* free_ud is deferred until this callback returns. */
        if (atomic_load(&u->freed))
            atomic_fetch_add(&violations, 1);
    }
    atomic_fetch_sub(&u->in_cb, 1);
}

static void self_unsub_free(void *ud)
{
    self_unsub_t *u = ud;
    if (atomic_load(&u->in_cb))
        atomic_fetch_add(&violations, 1);
    atomic_fetch_add(&u->freed, 1);
}

static void test_unsubscribe_inside(void **state)
{
    (void)state;
    skiff_bus_t *bus;
    skiff_error_t err = { 0 };
    assert_int_equal(skiff_bus_new(&bus, &err), 0);
    skiff_bus_topic_t *t;
    assert_int_equal(skiff_bus_topic_open(bus, "u", 1, &t, &err), 0);
    for (int mode = 0; mode < 2; mode++) {
        self_unsub_t u = { .unsub_at = 3 };
        skiff_bus_sub_opts_t o = { sizeof o, (uint32_t)mode, 0, SKIFF_BUS_FULL_BLOCK };
        rec_t *other = rec_new(1, 64);
        skiff_bus_sub_t *so;
        assert_int_equal(skiff_bus_subscribe(bus, NULL, "u", 1, &o, self_unsub_cb, &u, self_unsub_free,
                                             &u.sub, &err), 0);
        assert_int_equal(skiff_bus_subscribe(bus, NULL, "u", 1, &o, rec_cb, other, rec_free_ud, &so, &err), 0);
        for (int v = 0; v < 10; v++)
            publish_int(t, v);
        assert_true(wait_for(&other->count, 10));
        for (int i = 0; i < 1000 && !atomic_load(&u.freed); i++)
            sleep_ms(1);
        assert_int_equal(atomic_load(&u.calls), 3);
        assert_int_equal(atomic_load(&u.freed), 1);
        skiff_bus_unsubscribe(so);
        assert_int_equal(atomic_load(&other->freed), 1);
        rec_del(other);
    }
    skiff_bus_free(bus);
}

/* Unsubscribe from another thread while callbacks are running: after it
 * returns, no callback is running or starts, and free_ud ran exactly once. */
typedef struct spin_pub {
    skiff_bus_topic_t *t;
    atomic_int stop;
} spin_pub_t;

static void *spin_publisher(void *arg)
{
    spin_pub_t *p = arg;
    int v = 0;
    while (!atomic_load(&p->stop)) {
        skiff_error_t err;
        skiff_bus_publish(p->t, &v, sizeof v, &err);
        v++;
    }
    return NULL;
}

static void test_unsubscribe_outside(void **state)
{
    (void)state;
    skiff_bus_t *bus;
    skiff_error_t err = { 0 };
    assert_int_equal(skiff_bus_new(&bus, &err), 0);
    skiff_bus_topic_t *t;
    assert_int_equal(skiff_bus_topic_open(bus, "o", 1, &t, &err), 0);
    spin_pub_t p = { t, 0 };
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, spin_publisher, &p);
    for (int round = 0; round < 40; round++) {
        int mode = round % 2;
        skiff_bus_sub_opts_t o = { sizeof o, (uint32_t)mode, 16,
                                   round % 4 < 2 ? SKIFF_BUS_FULL_BLOCK : SKIFF_BUS_FULL_DROP };
        rec_t *r = rec_new(0, 4);
        r->sleep_ms = round % 3 == 0 ? 1 : 0;
        skiff_bus_sub_t *s;
        assert_int_equal(skiff_bus_subscribe(bus, NULL, "o", 1, &o, rec_cb, r, rec_free_ud, &s, &err), 0);
        assert_true(wait_for(&r->count, 1));
        skiff_bus_unsubscribe(s);
        assert_int_equal(atomic_load(&r->in_cb), 0);
        assert_int_equal(atomic_load(&r->freed), 1);
        long c = atomic_load(&r->count);
        sleep_ms(3);
        assert_int_equal(atomic_load(&r->count), c); /* nothing after unsubscribe returned */
        rec_del(r);
    }
    atomic_store(&p.stop, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    skiff_bus_free(bus);
}

static void test_unsubscribe_owner(void **state)
{
    (void)state;
    skiff_bus_t *bus;
    skiff_error_t err = { 0 };
    assert_int_equal(skiff_bus_new(&bus, &err), 0);
    skiff_bus_topic_t *t1, *t2;
    assert_int_equal(skiff_bus_topic_open(bus, "t1", 1, &t1, &err), 0);
    assert_int_equal(skiff_bus_topic_open(bus, "t2", 1, &t2, &err), 0);
    int owner_a, owner_b;
    rec_t *ra[4], *rb = rec_new(9, 16);
    skiff_bus_sub_t *s;
    for (int i = 0; i < 4; i++) {
        ra[i] = rec_new(i, 16);
        skiff_bus_sub_opts_t o = { sizeof o, (uint32_t)(i % 2), 0, 0 };
        assert_int_equal(skiff_bus_subscribe(bus, &owner_a, i < 2 ? "t1" : "t2", 1, &o, rec_cb, ra[i],
                                             rec_free_ud, &s, &err), 0);
    }
    assert_int_equal(skiff_bus_subscribe(bus, &owner_b, "t1", 1, &ASYNC_BLOCK, rec_cb, rb, rec_free_ud, &s,
                                         &err), 0);
    publish_int(t1, 1);
    publish_int(t2, 2);
    for (int i = 0; i < 4; i++)
        assert_true(wait_for(&ra[i]->count, 1));
    skiff_bus_unsubscribe_owner(bus, &owner_a);
    for (int i = 0; i < 4; i++)
        assert_int_equal(atomic_load(&ra[i]->freed), 1);
    assert_int_equal(atomic_load(&rb->freed), 0);
    publish_int(t1, 3);
    publish_int(t2, 4);
    assert_true(wait_for(&rb->count, 2));
    sleep_ms(10);
    for (int i = 0; i < 4; i++)
        assert_int_equal(atomic_load(&ra[i]->count), 1);
    skiff_bus_unsubscribe_owner(bus, &owner_a); /* nothing left: no-op */
    skiff_bus_free(bus);
    assert_int_equal(atomic_load(&rb->freed), 1);
    for (int i = 0; i < 4; i++)
        rec_del(ra[i]);
    rec_del(rb);
}

/* Several publisher threads on one topic: every async subscriber gets every
 * event exactly once, in seq order, and each publisher's events in its order. */
typedef struct mpub {
    skiff_bus_topic_t *t;
    int id;
    int n;
} mpub_t;

static void *mpub_main(void *arg)
{
    mpub_t *m = arg;
    for (int k = 0; k < m->n; k++) {
        int v = m->id * 1000000 + k;
        skiff_error_t err;
        if (skiff_bus_publish(m->t, &v, sizeof v, &err) != 0)
            abort();
    }
    return NULL;
}

static void test_concurrent_publishers(void **state)
{
    (void)state;
    enum { P = 4, N = 5000, SUBS = 3 };
    skiff_bus_t *bus;
    skiff_error_t err = { 0 };
    assert_int_equal(skiff_bus_new(&bus, &err), 0);
    skiff_bus_topic_t *t;
    assert_int_equal(skiff_bus_topic_open(bus, "mp", 1, &t, &err), 0);
    rec_t *r[SUBS + 1];
    skiff_bus_sub_t *s;
    for (int i = 0; i <= SUBS; i++) {
        r[i] = rec_new(i, P * N);
        skiff_bus_sub_opts_t o = ASYNC_BLOCK;
        o.queue_len = 128;
        if (i == SUBS)
            o.mode = SKIFF_BUS_SYNC;
        assert_int_equal(skiff_bus_subscribe(bus, NULL, "mp", 1, &o, rec_cb, r[i], rec_free_ud, &s, &err), 0);
    }
    pthread_t th[P];
    mpub_t m[P];
    for (int i = 0; i < P; i++) {
        m[i] = (mpub_t){ t, i, N };
        pthread_create(&th[i], NULL, mpub_main, &m[i]);
    }
    for (int i = 0; i < P; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i <= SUBS; i++)
        assert_true(wait_for(&r[i]->count, P * N));
    for (int i = 0; i <= SUBS; i++) {
        int next[P] = { 0 };
        char *seen = calloc(P * N + 1, 1);
        for (int k = 0; k < P * N; k++) {
            int v = r[i]->vals[k], id = v / 1000000, seqn = v % 1000000;
            assert_true(id >= 0 && id < P);
            assert_int_equal(seqn, next[id]); /* each publisher's order kept */
            next[id]++;
            uint64_t sq = r[i]->seqs[k];
            assert_true(sq >= 1 && sq <= P * N);
            assert_int_equal(seen[sq], 0); /* every seq once */
            seen[sq] = 1;
            if (i < SUBS && k > 0)
                assert_true(sq > r[i]->seqs[k - 1]); /* async: seq order */
        }
        free(seen);
    }
    skiff_bus_free(bus);
    for (int i = 0; i <= SUBS; i++) {
        assert_int_equal(atomic_load(&r[i]->freed), 1);
        rec_del(r[i]);
    }
}

/* bus_free with events still queued: they are delivered, then free_ud runs. */
static void test_free_pending(void **state)
{
    (void)state;
    enum { N = 300 };
    skiff_bus_t *bus;
    skiff_error_t err = { 0 };
    assert_int_equal(skiff_bus_new(&bus, &err), 0);
    skiff_bus_topic_t *t;
    assert_int_equal(skiff_bus_topic_open(bus, "pending", 1, &t, &err), 0);
    rec_t *r[2];
    skiff_bus_sub_t *s;
    for (int i = 0; i < 2; i++) {
        r[i] = rec_new(i, N);
        assert_int_equal(skiff_bus_subscribe(bus, NULL, "pending", 1, &ASYNC_BLOCK, rec_cb, r[i], rec_free_ud,
                                             &s, &err), 0);
    }
    r[0]->sleep_ms = 0;
    for (int v = 0; v < N; v++)
        publish_int(t, v);
    skiff_bus_free(bus);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(r[i]->n, N);
        for (int k = 0; k < N; k++)
            assert_int_equal(r[i]->vals[k], k);
        assert_int_equal(atomic_load(&r[i]->freed), 1);
        rec_del(r[i]);
    }
}

/* Payloads of every size class (empty, inline in the slot, heap-grown,
 * shrinking again) arrive byte-exact through a ring that wraps many times. */
typedef struct sizes {
    atomic_long count;
    atomic_long bad;
} sizes_t;

static size_t size_for(uint64_t seq)
{
    static const size_t sz[] = { 0, 1, 23, 24, 25, 300, 5000, 24, 2, 70000, 8 };
    return sz[seq % (sizeof sz / sizeof sz[0])];
}

static void sizes_cb(void *ud, const skiff_bus_event_t *ev)
{
    sizes_t *z = ud;
    size_t want = size_for(ev->seq);
    int ok = ev->len == want && (want == 0) == (ev->payload == NULL);
    for (size_t i = 0; ok && i < want; i++)
        ok = ((const unsigned char *)ev->payload)[i] == (unsigned char)(ev->seq * 31 + i);
    if (!ok)
        atomic_fetch_add(&z->bad, 1);
    atomic_fetch_add(&z->count, 1);
}

static void test_payload_sizes(void **state)
{
    (void)state;
    enum { N = 500 };
    skiff_bus_t *bus;
    skiff_error_t err = { 0 };
    assert_int_equal(skiff_bus_new(&bus, &err), 0);
    skiff_bus_topic_t *t;
    assert_int_equal(skiff_bus_topic_open(bus, "sizes", 1, &t, &err), 0);
    sizes_t za = { 0, 0 }, zs = { 0, 0 };
    skiff_bus_sub_opts_t o = { sizeof o, SKIFF_BUS_ASYNC, 7, SKIFF_BUS_FULL_BLOCK };
    skiff_bus_sub_t *sa, *ss;
    assert_int_equal(skiff_bus_subscribe(bus, NULL, "sizes", 1, &o, sizes_cb, &za, NULL, &sa, &err), 0);
    assert_int_equal(skiff_bus_subscribe(bus, NULL, "sizes", 1, NULL, sizes_cb, &zs, NULL, &ss, &err), 0);
    unsigned char *buf = malloc(70000);
    for (uint64_t seq = 1; seq <= N; seq++) {
        size_t n = size_for(seq);
        for (size_t i = 0; i < n; i++)
            buf[i] = (unsigned char)(seq * 31 + i);
        assert_int_equal(skiff_bus_publish(t, n ? buf : NULL, n, &err), 0);
    }
    assert_true(wait_for(&za.count, N));
    assert_int_equal(atomic_load(&zs.count), N);
    assert_int_equal(atomic_load(&za.bad), 0);
    assert_int_equal(atomic_load(&zs.bad), 0);
    free(buf);
    skiff_bus_free(bus);
}

/* A callback that publishes (re-entrantly) to another topic and to its own. */
typedef struct reent {
    skiff_bus_topic_t *other;
    skiff_bus_topic_t *self;
    int depth;
} reent_t;

static void reent_cb(void *ud, const skiff_bus_event_t *ev)
{
    reent_t *r = ud;
    int v;
    memcpy(&v, ev->payload, sizeof v);
    if (v > 0) {
        int w = v - 1;
        skiff_error_t err;
        if (skiff_bus_publish(r->self, &w, sizeof w, &err) != 0 ||
            skiff_bus_publish(r->other, &w, sizeof w, &err) != 0)
            atomic_fetch_add(&violations, 1);
    }
}

static void test_reentrant_publish(void **state)
{
    (void)state;
    skiff_bus_t *bus;
    skiff_error_t err = { 0 };
    assert_int_equal(skiff_bus_new(&bus, &err), 0);
    skiff_bus_topic_t *t, *t2;
    assert_int_equal(skiff_bus_topic_open(bus, "re", 1, &t, &err), 0);
    assert_int_equal(skiff_bus_topic_open(bus, "re2", 1, &t2, &err), 0);
    reent_t re = { t2, t, 0 };
    rec_t *r = rec_new(0, 64);
    skiff_bus_sub_t *s1, *s2;
    assert_int_equal(skiff_bus_subscribe(bus, NULL, "re", 1, NULL, reent_cb, &re, NULL, &s1, &err), 0);
    assert_int_equal(skiff_bus_subscribe(bus, NULL, "re2", 1, &ASYNC_BLOCK, rec_cb, r, rec_free_ud, &s2, &err), 0);
    publish_int(t, 5);
    assert_true(wait_for(&r->count, 5));
    for (int k = 0; k < 5; k++)
        assert_int_equal(r->vals[k], k); /* innermost publish first */
    skiff_bus_free(bus);
    assert_int_equal(atomic_load(&r->freed), 1);
    rec_del(r);
}

static int check_violations(void **state)
{
    (void)state;
    int v = atomic_exchange(&violations, 0);
    if (v)
        fail_msg("%d callback-ordering violations seen on bus threads", v);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_version_refusal, check_violations),
        cmocka_unit_test_teardown(test_sync_order, check_violations),
        cmocka_unit_test_teardown(test_async_order, check_violations),
        cmocka_unit_test_teardown(test_block_backpressure, check_violations),
        cmocka_unit_test_teardown(test_drop_lost, check_violations),
        cmocka_unit_test_teardown(test_block_does_not_stall_others, check_violations),
        cmocka_unit_test_teardown(test_unsubscribe_inside, check_violations),
        cmocka_unit_test_teardown(test_unsubscribe_outside, check_violations),
        cmocka_unit_test_teardown(test_unsubscribe_owner, check_violations),
        cmocka_unit_test_teardown(test_concurrent_publishers, check_violations),
        cmocka_unit_test_teardown(test_free_pending, check_violations),
        cmocka_unit_test_teardown(test_reentrant_publish, check_violations),
        cmocka_unit_test_teardown(test_payload_sizes, check_violations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
