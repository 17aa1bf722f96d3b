/* core/controller/cidralloc: node pod ranges from the cluster CIDR —
 * distinct ranges, round-robin, exhaustion, occupy/release (restoring from
 * existing nodes), bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "controller/cidralloc.h"

static void test_distinct_until_full(void **state)
{
    (void)state;
    skiff_cidr_alloc_t *a;
    skiff_error_t err;
    skiff_error_clear(&err);
    assert_int_equal(skiff_cidr_alloc_new("10.244.0.0/16", 24, &a, &err), 0);
    assert_int_equal(skiff_cidr_alloc_total(a), 256);
    char got[256][24];
    for (int i = 0; i < 256; i++) {
        assert_int_equal(skiff_cidr_alloc_next(a, got[i], sizeof got[i], &err), 0);
        char want[24];
        snprintf(want, sizeof want, "10.244.%d.0/24", i);
        assert_string_equal(got[i], want);
    }
    assert_int_equal(skiff_cidr_alloc_free_count(a), 0);
    char x[24];
    assert_int_equal(skiff_cidr_alloc_next(a, x, sizeof x, &err), SKIFF_E_FULL);
    assert_non_null(strstr(err.msg, "no remaining CIDRs left to allocate in the accepted range 10.244.0.0/16"));
    /* a released range comes back */
    assert_int_equal(skiff_cidr_alloc_release(a, "10.244.7.0/24", &err), 0);
    assert_int_equal(skiff_cidr_alloc_free_count(a), 1);
    assert_int_equal(skiff_cidr_alloc_next(a, x, sizeof x, &err), 0);
    assert_string_equal(x, "10.244.7.0/24");
    skiff_cidr_alloc_free(a);
}

static void test_round_robin_and_restore(void **state)
{
    (void)state;
    skiff_cidr_alloc_t *a;
    skiff_error_t err;
    skiff_error_clear(&err);
    assert_int_equal(skiff_cidr_alloc_new("10.0.0.0/8", 24, &a, &err), 0);
    assert_int_equal(skiff_cidr_alloc_total(a), 65536);
    /* restored from nodes that have ranges (a new leader): never given again */
    assert_int_equal(skiff_cidr_alloc_occupy(a, "10.0.0.0/24", &err), 0);
    assert_int_equal(skiff_cidr_alloc_occupy(a, "10.0.0.0/24", &err), 0); /* idempotent */
    assert_int_equal(skiff_cidr_alloc_occupy(a, "10.0.2.0/24", &err), 0);
    assert_int_equal(skiff_cidr_alloc_free_count(a), 65534);
    char x[24];
    assert_int_equal(skiff_cidr_alloc_next(a, x, sizeof x, &err), 0);
    assert_string_equal(x, "10.0.1.0/24");
    assert_int_equal(skiff_cidr_alloc_next(a, x, sizeof x, &err), 0);
    assert_string_equal(x, "10.0.3.0/24");
    /* a just-released range is not handed out at once (round-robin) */
    assert_int_equal(skiff_cidr_alloc_release(a, "10.0.1.0/24", &err), 0);
    assert_int_equal(skiff_cidr_alloc_next(a, x, sizeof x, &err), 0);
    assert_string_equal(x, "10.0.4.0/24");
    /* a wider range takes all it covers; a narrower one its node range */
    assert_int_equal(skiff_cidr_alloc_occupy(a, "10.1.0.0/16", &err), 0);
    assert_int_equal(skiff_cidr_alloc_free_count(a), 65536 - 4 - 256);
    assert_int_equal(skiff_cidr_alloc_occupy(a, "10.2.0.128/25", &err), 0);
    assert_int_equal(skiff_cidr_alloc_free_count(a), 65536 - 4 - 256 - 1);
    assert_int_equal(skiff_cidr_alloc_release(a, "10.1.0.0/16", &err), 0);
    assert_int_equal(skiff_cidr_alloc_free_count(a), 65536 - 5);
    /* outside the cluster range */
    assert_int_equal(skiff_cidr_alloc_occupy(a, "192.168.0.0/24", &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "not inside the cluster CIDR"));
    assert_int_equal(skiff_cidr_alloc_occupy(a, "10.0.0.0/7", &err), SKIFF_E_INVALID);
    assert_int_equal(skiff_cidr_alloc_occupy(a, "10.0.0.1/24", &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "host bits"));
    skiff_cidr_alloc_free(a);
}

static void test_masks(void **state)
{
    (void)state;
    skiff_cidr_alloc_t *a;
    skiff_error_t err;
    skiff_error_clear(&err);
    char x[24];
    assert_int_equal(skiff_cidr_alloc_new("192.168.0.0/24", 26, &a, &err), 0);
    const char *want[] = { "192.168.0.0/26", "192.168.0.64/26", "192.168.0.128/26", "192.168.0.192/26" };
    for (int i = 0; i < 4; i++) {
        assert_int_equal(skiff_cidr_alloc_next(a, x, sizeof x, &err), 0);
        assert_string_equal(x, want[i]);
    }
    assert_int_equal(skiff_cidr_alloc_next(a, x, sizeof x, &err), SKIFF_E_FULL);
    skiff_cidr_alloc_free(a);
    /* the whole cluster range as one node range */
    assert_int_equal(skiff_cidr_alloc_new("10.9.0.0/24", 24, &a, &err), 0);
    assert_int_equal(skiff_cidr_alloc_next(a, x, sizeof x, &err), 0);
    assert_string_equal(x, "10.9.0.0/24");
    skiff_cidr_alloc_free(a);
}

static void test_bad_input(void **state)
{
    (void)state;
    skiff_cidr_alloc_t *a = NULL;
    skiff_error_t err;
    skiff_error_clear(&err);
    assert_int_equal(skiff_cidr_alloc_new("10.244.1.0/16", 24, &a, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "host bits"));
    assert_int_equal(skiff_cidr_alloc_new("10.244.0.0", 24, &a, &err), SKIFF_E_INVALID);
    assert_int_equal(skiff_cidr_alloc_new("10.244.0.0/33", 24, &a, &err), SKIFF_E_INVALID);
    assert_int_equal(skiff_cidr_alloc_new("10.244.0.0/1x", 24, &a, &err), SKIFF_E_INVALID);
    assert_int_equal(skiff_cidr_alloc_new("300.0.0.0/8", 24, &a, &err), SKIFF_E_INVALID);
    assert_int_equal(skiff_cidr_alloc_new("fd00::/64", 80, &a, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "IPv6"));
    assert_int_equal(skiff_cidr_alloc_new(NULL, 24, &a, &err), SKIFF_E_INVALID);
    assert_int_equal(skiff_cidr_alloc_new("10.244.0.0/16", 8, &a, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "mask size 8"));
    assert_int_equal(skiff_cidr_alloc_new("10.244.0.0/16", 31, &a, &err), SKIFF_E_INVALID);
    assert_int_equal(skiff_cidr_alloc_new("10.0.0.0/8", 25, &a, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "2^17"));
    assert_null(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distinct_until_full),
        cmocka_unit_test(test_round_robin_and_restore),
        cmocka_unit_test(test_masks),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
