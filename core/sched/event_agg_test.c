/* core/sched/event_agg: identical events are counted on the first Event
 * (name and firstTimestamp kept), different ones are new, a forgotten or
 * evicted key starts over; the correlator aggregates the 10th different
 * message of one reason within 10 minutes into "(combined from similar
 * events): ...", and drops events of one object beyond a burst of 25
 * refilled at 1 per 5 minutes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sched/event_agg.h"

static void test_identical_events_counted(void **state)
{
    (void)state;
    sched_event_agg_t *a;
    assert_int_equal(sched_event_agg_new(0, &a), 0);
    sched_event_agg_hit_t h;
    const char *k = "default-scheduler|Pod|default|big|Warning|FailedScheduling|0/2 nodes are available: 2 Insufficient cpu.";
    assert_int_equal(sched_event_agg_record(a, k, "big.1", "2026-01-01T00:00:00Z", &h), 0);
    assert_string_equal(h.name, "big.1");
    assert_int_equal(h.count, 1);
    assert_int_equal(sched_event_agg_record(a, k, "big.2", "2026-01-01T00:00:04Z", &h), 1);
    assert_string_equal(h.name, "big.1");                 /* patch the first Event */
    assert_string_equal(h.first, "2026-01-01T00:00:00Z"); /* kept: "(x2 over 4s)" */
    assert_int_equal(h.count, 2);
    assert_int_equal(sched_event_agg_record(a, k, "big.3", "2026-01-01T00:00:10Z", &h), 1);
    assert_int_equal(h.count, 3);
    /* another message is another event */
    assert_int_equal(sched_event_agg_record(a, "other", "big.4", "2026-01-01T00:00:11Z", &h), 0);
    assert_string_equal(h.name, "big.4");
    assert_int_equal(sched_event_agg_len(a), 2);
    /* the Event expired: the next one is created anew */
    sched_event_agg_forget(a, k);
    assert_int_equal(sched_event_agg_record(a, k, "big.5", "2026-01-01T01:00:00Z", &h), 0);
    assert_int_equal(h.count, 1);
    sched_event_agg_free(a);
}

static void test_lru_bound(void **state)
{
    (void)state;
    sched_event_agg_t *a;
    assert_int_equal(sched_event_agg_new(2, &a), 0);
    sched_event_agg_hit_t h;
    sched_event_agg_record(a, "k1", "e1", "t", &h);
    sched_event_agg_record(a, "k2", "e2", "t", &h);
    assert_int_equal(sched_event_agg_record(a, "k1", "x", "t", &h), 1); /* k1 now most recent */
    sched_event_agg_record(a, "k3", "e3", "t", &h);                       /* evicts k2 */
    assert_int_equal(sched_event_agg_len(a), 2);
    assert_int_equal(sched_event_agg_record(a, "k1", "x", "t", &h), 1);
    assert_int_equal(h.count, 3);
    assert_int_equal(sched_event_agg_record(a, "k2", "e2b", "t", &h), 0);
    assert_string_equal(h.name, "e2b");
    sched_event_agg_free(a);
}


#define S 1000000000LL
#define SPAM "default-scheduler|v1|Pod|default|p|uid-p|Warning"

static int corr(sched_event_agg_t *a, const char *spam, const char *msg, const char *name, int64_t t, sched_event_verdict_t *v)
{
    char now[40];
    snprintf(now, sizeof now, "T+%lld", (long long)(t / S));
    assert_int_equal(sched_event_agg_correlate(a, spam, "FailedScheduling", msg, name, now, t, v), 0);
    return v->action;
}

static void test_aggregation_by_reason(void **state)
{
    (void)state;
    sched_event_agg_t *a;
    assert_int_equal(sched_event_agg_new(0, &a), 0);
    sched_event_verdict_t v;
    char msg[64], name[32];
    /* nine different messages: nine Events of their own */
    for (int i = 1; i <= 9; i++) {
        snprintf(msg, sizeof msg, "0/%d nodes are available", i);
        snprintf(name, sizeof name, "p.%d", i);
        assert_int_equal(corr(a, SPAM, msg, name, i * S, &v), SCHED_EVENT_CREATE);
        assert_string_equal(v.message, msg);
        assert_string_equal(v.name, name);
        sched_event_verdict_free(&v);
    }
    /* a repeat of one of them is still counted on its own Event */
    assert_int_equal(corr(a, SPAM, "0/5 nodes are available", "p.x", 10 * S, &v), SCHED_EVENT_PATCH);
    assert_string_equal(v.name, "p.5");
    assert_int_equal(v.count, 2);
    sched_event_verdict_free(&v);
    /* the tenth different one: the aggregate Event */
    assert_int_equal(corr(a, SPAM, "0/10 nodes are available", "p.10", 11 * S, &v), SCHED_EVENT_CREATE);
    assert_string_equal(v.message, "(combined from similar events): 0/10 nodes are available");
    assert_string_equal(v.name, "p.10");
    sched_event_verdict_free(&v);
    /* more new messages go to that same Event, its message the latest */
    assert_int_equal(corr(a, SPAM, "0/11 nodes are available", "p.11", 12 * S, &v), SCHED_EVENT_PATCH);
    assert_string_equal(v.name, "p.10");
    assert_string_equal(v.first, "T+11");
    assert_int_equal(v.count, 2);
    assert_string_equal(v.message, "(combined from similar events): 0/11 nodes are available");
    sched_event_verdict_free(&v);
    /* another reason (or object) is aggregated apart */
    assert_int_equal(sched_event_agg_correlate(a, SPAM, "Preempted", "x", "p.p", "T", 13 * S, &v), 0);
    assert_int_equal(v.action, SCHED_EVENT_CREATE);
    assert_string_equal(v.message, "x");
    sched_event_verdict_free(&v);
    /* after 10 quiet minutes the record starts over: messages are their own again */
    assert_int_equal(corr(a, SPAM, "0/12 nodes are available", "p.12", 12 * S + 601 * S, &v), SCHED_EVENT_CREATE);
    assert_string_equal(v.message, "0/12 nodes are available");
    sched_event_verdict_free(&v);
    /* a patched Event that is gone: forget its key, the next is created anew */
    assert_int_equal(corr(a, SPAM, "0/12 nodes are available", "p.13", 12 * S + 602 * S, &v), SCHED_EVENT_PATCH);
    sched_event_agg_forget(a, v.key);
    sched_event_verdict_free(&v);
    assert_int_equal(corr(a, SPAM, "0/12 nodes are available", "p.14", 12 * S + 603 * S, &v), SCHED_EVENT_CREATE);
    assert_string_equal(v.name, "p.14");
    sched_event_verdict_free(&v);
    sched_event_agg_free(a);
}

static void test_spam_filter(void **state)
{
    (void)state;
    sched_event_agg_t *a;
    assert_int_equal(sched_event_agg_new(0, &a), 0);
    sched_event_verdict_t v;
    /* 25 at once pass (creates, then count updates of the same Event) */
    for (int i = 0; i < 25; i++) {
        assert_int_not_equal(corr(a, SPAM, "same", "p.1", S, &v), SCHED_EVENT_SKIP);
        sched_event_verdict_free(&v);
    }
    /* the 26th is dropped, but counted: the next written one carries it */
    assert_int_equal(corr(a, SPAM, "same", "p.1", S, &v), SCHED_EVENT_SKIP);
    sched_event_verdict_free(&v);
    /* another object has its own bucket */
    assert_int_equal(corr(a, "default-scheduler|v1|Pod|default|q|uid-q|Warning", "same", "q.1", S, &v),
                     SCHED_EVENT_CREATE);
    sched_event_verdict_free(&v);
    /* 4 minutes later: still no token; 5 minutes: one */
    assert_int_equal(corr(a, SPAM, "same", "p.1", S + 240 * S, &v), SCHED_EVENT_SKIP);
    sched_event_verdict_free(&v);
    assert_int_equal(corr(a, SPAM, "same", "p.1", S + 301 * S, &v), SCHED_EVENT_PATCH);
    assert_int_equal(v.count, 28); /* 25 + the dropped two + this */
    sched_event_verdict_free(&v);
    assert_int_equal(corr(a, SPAM, "same", "p.1", S + 302 * S, &v), SCHED_EVENT_SKIP);
    sched_event_verdict_free(&v);
    sched_event_agg_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identical_events_counted),
        cmocka_unit_test(test_lru_bound),
        cmocka_unit_test(test_aggregation_by_reason),
        cmocka_unit_test(test_spam_filter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
