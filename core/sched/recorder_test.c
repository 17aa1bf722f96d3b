/* The scheduler's event recorder: events reach the writer in order with
 * their strings copied, a full queue drops and counts (never blocks the
 * poster), flush waits, free writes what is queued. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sched/recorder.h"

typedef struct sink {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int gate_closed, inside;
    char log[8192];
    int n;
    int64_t last_at;
} sink_t;

static void write_ev(void *ud, const sched_rec_event_t *ev)
{
    sink_t *s = ud;
    pthread_mutex_lock(&s->mu);
    s->inside = 1;
    pthread_cond_broadcast(&s->cv);
    while (s->gate_closed) pthread_cond_wait(&s->cv, &s->mu);
    size_t l = strlen(s->log);
    if (l + 200 < sizeof s->log)
        snprintf(s->log + l, sizeof s->log - l, "%s %s %s/%s %s%s%s;", ev->type, ev->reason, ev->namespace_, ev->name,
                 ev->message, ev->rname ? " related " : "", ev->rname ? ev->rname : "");
    s->n++;
    s->last_at = ev->at_ns;
    s->inside = 0;
    pthread_mutex_unlock(&s->mu);
}

static sched_rec_event_t ev_of(const char *name, const char *msg)
{
    return (sched_rec_event_t){ .type = "Normal", .reason = "Scheduled", .action = "Binding", .message = msg,
                                .by = "default-scheduler", .name = name, .namespace_ = "ns", .uid = "u" };
}

static void test_order_and_copies(void **state)
{
    (void)state;
    sink_t s = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
    sched_recorder_t *r;
    assert_int_equal(sched_recorder_new(0, write_ev, &s, &r), 0);
    char name[16], msg[32];
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "p%d", i);
        snprintf(msg, sizeof msg, "m%d", i);
        sched_rec_event_t ev = ev_of(name, msg);
        if (i == 4) { ev.rname = "pre"; ev.rnamespace = "ns"; ev.ruid = "u2"; ev.reason = "Preempted"; }
        assert_int_equal(sched_recorder_post(r, &ev), 0);
        memset(name, 'x', sizeof name - 1); /* the recorder copied them */
        memset(msg, 'x', sizeof msg - 1);
    }
    sched_recorder_flush(r);
    assert_int_equal(sched_recorder_written(r), 5);
    assert_int_equal(sched_recorder_dropped(r), 0);
    assert_string_equal(s.log, "Normal Scheduled ns/p0 m0;Normal Scheduled ns/p1 m1;Normal Scheduled ns/p2 m2;"
                               "Normal Scheduled ns/p3 m3;Normal Preempted ns/p4 m4 related pre;");
    assert_true(s.last_at > 0); /* stamped when posted */
    sched_recorder_free(r);
}

static void test_overflow_drops_and_counts(void **state)
{
    (void)state;
    sink_t s = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .gate_closed = 1 };
    sched_recorder_t *r;
    assert_int_equal(sched_recorder_new(8, write_ev, &s, &r), 0);
    sched_rec_event_t ev = ev_of("first", "held");
    assert_int_equal(sched_recorder_post(r, &ev), 0);
    /* the writer holds the first event: the queue is empty again */
    pthread_mutex_lock(&s.mu);
    while (!s.inside) pthread_cond_wait(&s.cv, &s.mu);
    pthread_mutex_unlock(&s.mu);
    ev = ev_of("q", "queued");
    for (int i = 0; i < 8; i++) assert_int_equal(sched_recorder_post(r, &ev), 0);
    ev = ev_of("d", "dropped");
    for (int i = 0; i < 5; i++) assert_int_equal(sched_recorder_post(r, &ev), 1); /* full: dropped at once */
    assert_int_equal(sched_recorder_dropped(r), 5);
    pthread_mutex_lock(&s.mu);
    s.gate_closed = 0;
    pthread_cond_broadcast(&s.cv);
    pthread_mutex_unlock(&s.mu);
    sched_recorder_flush(r);
    assert_int_equal(sched_recorder_written(r), 9);
    assert_int_equal(s.n, 9);
    assert_null(strstr(s.log, "dropped"));
    /* room again */
    assert_int_equal(sched_recorder_post(r, &ev), 0);
    sched_recorder_flush(r);
    assert_int_equal(s.n, 10);
    assert_int_equal(sched_recorder_dropped(r), 5);
    sched_recorder_free(r);
}

static void test_free_writes_the_rest(void **state)
{
    (void)state;
    sink_t s = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .gate_closed = 1 };
    sched_recorder_t *r;
    assert_int_equal(sched_recorder_new(100, write_ev, &s, &r), 0);
    sched_rec_event_t ev = ev_of("p", "m");
    for (int i = 0; i < 50; i++) assert_int_equal(sched_recorder_post(r, &ev), 0);
    pthread_mutex_lock(&s.mu);
    s.gate_closed = 0;
    pthread_cond_broadcast(&s.cv);
    pthread_mutex_unlock(&s.mu);
    sched_recorder_free(r);
    assert_int_equal(s.n, 50);
}

/* Many posters at once: every event is either written or counted dropped. */
typedef struct poster { sched_recorder_t *r; int ok, dropped; } poster_t;

static void *post_many(void *arg)
{
    poster_t *p = arg;
    sched_rec_event_t ev = ev_of("c", "concurrent");
    for (int i = 0; i < 2000; i++) {
        if (sched_recorder_post(p->r, &ev) == 0) p->ok++;
        else p->dropped++;
    }
    return NULL;
}

static void test_concurrent_posters(void **state)
{
    (void)state;
    sink_t s = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
    sched_recorder_t *r;
    assert_int_equal(sched_recorder_new(64, write_ev, &s, &r), 0);
    poster_t p[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        p[i] = (poster_t){ r, 0, 0 };
        pthread_create(&t[i], NULL, post_many, &p[i]);
    }
    int ok = 0, dropped = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        ok += p[i].ok;
        dropped += p[i].dropped;
    }
    sched_recorder_flush(r);
    assert_int_equal(ok + dropped, 8000);
    assert_int_equal(sched_recorder_written(r), ok);
    assert_int_equal(sched_recorder_dropped(r), dropped);
    assert_int_equal(s.n, ok);
    sched_recorder_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_copies),
        cmocka_unit_test(test_overflow_drops_and_counts),
        cmocka_unit_test(test_free_writes_the_rest),
        cmocka_unit_test(test_concurrent_posters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
