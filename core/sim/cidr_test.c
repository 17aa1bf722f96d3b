/* core/sim/cidr: ranges, node subnets and per-node pod IP pools. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sim/sim.h"

static void test_parse(void **state)
{
    (void)state;
    skiff_sim_cidr_t c;
    skiff_error_t err;
    skiff_error_clear(&err);
    assert_int_equal(skiff_sim_cidr_parse("10.244.0.0/16", &c, &err), 0);
    assert_int_equal(c.base, 0x0af40000u);
    assert_int_equal(c.prefix, 16);
    char b[24];
    skiff_sim_cidr_format(&c, b, sizeof b);
    assert_string_equal(b, "10.244.0.0/16");
    assert_int_equal(skiff_sim_cidr_parse("0.0.0.0/0", &c, &err), 0);
    assert_int_equal(skiff_sim_cidr_parse("10.244.1.0/16", &c, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "host bits set"));
    assert_int_equal(skiff_sim_cidr_parse("10.244.0.0", &c, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "expected ADDRESS/PREFIX"));
    assert_int_equal(skiff_sim_cidr_parse("10.244.0.0/33", &c, &err), SKIFF_E_INVALID);
    assert_int_equal(skiff_sim_cidr_parse("10.244.0.0/", &c, &err), SKIFF_E_INVALID);
    assert_int_equal(skiff_sim_cidr_parse("10.244.0.0/1x", &c, &err), SKIFF_E_INVALID);
    assert_int_equal(skiff_sim_cidr_parse("300.1.0.0/16", &c, &err), SKIFF_E_INVALID);
    assert_int_equal(skiff_sim_cidr_parse(" 10.1.0.0/16", &c, &err), SKIFF_E_INVALID);
    assert_int_equal(skiff_sim_cidr_parse(NULL, &c, &err), SKIFF_E_INVALID);
    uint32_t ip;
    assert_int_equal(skiff_sim_ip_parse("1.2.3.4", &ip), 0);
    assert_int_equal(ip, 0x01020304u);
    assert_int_equal(skiff_sim_ip_parse("1.2.3", &ip), SKIFF_E_INVALID);
    assert_int_equal(skiff_sim_ip_parse("1.2.3.4.5", &ip), SKIFF_E_INVALID);
}

static void test_subnets(void **state)
{
    (void)state;
    skiff_sim_cidr_t c, s;
    skiff_error_t err;
    skiff_error_clear(&err);
    assert_int_equal(skiff_sim_cidr_parse("10.244.0.0/16", &c, &err), 0);
    assert_int_equal(skiff_sim_cidr_count(&c, 24), 256);
    assert_int_equal(skiff_sim_cidr_count(&c, 8), 0);
    char b[24];
    assert_int_equal(skiff_sim_cidr_subnet(&c, 24, 0, &s, &err), 0);
    skiff_sim_cidr_format(&s, b, sizeof b);
    assert_string_equal(b, "10.244.0.0/24");
    assert_int_equal(skiff_sim_cidr_subnet(&c, 24, 255, &s, &err), 0);
    skiff_sim_cidr_format(&s, b, sizeof b);
    assert_string_equal(b, "10.244.255.0/24");
    assert_true(skiff_sim_cidr_contains(&c, s.base + 7));
    assert_int_equal(skiff_sim_cidr_subnet(&c, 24, 256, &s, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "room for 256 /24 ranges"));
    /* 5,000 nodes need a wider range */
    assert_int_equal(skiff_sim_cidr_parse("10.0.0.0/8", &c, &err), 0);
    assert_int_equal(skiff_sim_cidr_subnet(&c, 24, 4999, &s, &err), 0);
    skiff_sim_cidr_format(&s, b, sizeof b);
    assert_string_equal(b, "10.19.135.0/24");
    assert_false(skiff_sim_cidr_contains(&s, s.base + 256));
}

static void test_pool(void **state)
{
    (void)state;
    skiff_sim_cidr_t c;
    skiff_sim_ippool_t p;
    skiff_error_t err;
    skiff_error_clear(&err);
    assert_int_equal(skiff_sim_cidr_parse("10.244.3.0/24", &c, &err), 0);
    assert_int_equal(skiff_sim_ippool_init(&p, &c, &err), 0);
    /* .0 network, .1 gateway and .255 broadcast are never given; no duplicates */
    uint8_t seen[256] = { 0 };
    uint32_t ip;
    for (int i = 0; i < 253; i++) {
        assert_int_equal(skiff_sim_ippool_alloc(&p, &ip, &err), 0);
        assert_true(skiff_sim_cidr_contains(&c, ip));
        uint32_t off = ip & 255;
        assert_true(off >= 2 && off <= 254);
        assert_int_equal(seen[off], 0);
        seen[off] = 1;
    }
    assert_int_equal(skiff_sim_ippool_alloc(&p, &ip, &err), SKIFF_E_NOSPACE);
    assert_non_null(strstr(err.msg, "no free pod IP left in 10.244.3.0/24"));
    /* release and reuse */
    skiff_sim_ippool_release(&p, c.base + 77);
    skiff_sim_ippool_release(&p, c.base + 77); /* idempotent */
    assert_int_equal(p.used_count, 252);
    assert_int_equal(skiff_sim_ippool_alloc(&p, &ip, &err), 0);
    assert_int_equal(ip, c.base + 77);
}

static void test_pool_round_robin_and_mark(void **state)
{
    (void)state;
    skiff_sim_cidr_t c;
    skiff_sim_ippool_t p;
    skiff_error_t err;
    skiff_error_clear(&err);
    assert_int_equal(skiff_sim_cidr_parse("10.244.0.0/24", &c, &err), 0);
    assert_int_equal(skiff_sim_ippool_init(&p, &c, &err), 0);
    assert_int_equal(skiff_sim_ippool_mark(&p, c.base + 2), 0);
    assert_int_equal(skiff_sim_ippool_mark(&p, c.base + 2), SKIFF_E_EXISTS);
    assert_int_equal(skiff_sim_ippool_mark(&p, c.base + 1), SKIFF_E_INVALID);
    assert_int_equal(skiff_sim_ippool_mark(&p, c.base + 256), SKIFF_E_INVALID);
    uint32_t a, b;
    assert_int_equal(skiff_sim_ippool_alloc(&p, &a, &err), 0);
    assert_int_equal(a, c.base + 3); /* the marked one is skipped */
    skiff_sim_ippool_release(&p, a);
    assert_int_equal(skiff_sim_ippool_alloc(&p, &b, &err), 0);
    assert_int_equal(b, c.base + 4); /* a just-released IP is not reused at once */
    /* too small ranges */
    assert_int_equal(skiff_sim_cidr_parse("10.0.0.0/31", &c, &err), 0);
    assert_int_equal(skiff_sim_ippool_init(&p, &c, &err), SKIFF_E_INVALID);
    /* a /30 has exactly one: .2 */
    assert_int_equal(skiff_sim_cidr_parse("10.0.0.4/30", &c, &err), 0);
    assert_int_equal(skiff_sim_ippool_init(&p, &c, &err), 0);
    assert_int_equal(skiff_sim_ippool_alloc(&p, &a, &err), 0);
    assert_int_equal(a, c.base + 2);
    assert_int_equal(skiff_sim_ippool_alloc(&p, &a, &err), SKIFF_E_NOSPACE);
    /* a wide node range is capped at SKIFF_SIM_POOL_MAX addresses */
    assert_int_equal(skiff_sim_cidr_parse("10.8.0.0/16", &c, &err), 0);
    assert_int_equal(skiff_sim_ippool_init(&p, &c, &err), 0);
    int n = 0;
    while (skiff_sim_ippool_alloc(&p, &a, &err) == 0) n++;
    assert_int_equal(n, SKIFF_SIM_POOL_MAX - 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_subnets),
        cmocka_unit_test(test_pool),
        cmocka_unit_test(test_pool_round_robin_and_mark),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
