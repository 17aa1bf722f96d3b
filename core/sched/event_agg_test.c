/* core/sched/event_agg: identical events are counted on the first Event
 * (name and firstTimestamp kept), different ones are new, a forgotten or
 * evicted key starts over. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identical_events_counted),
        cmocka_unit_test(test_lru_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
