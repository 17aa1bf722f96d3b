/* Conformance: leases — expiry deletes keys (watched as DELETEs of one
 * revision), keepalive extends, revoke deletes at once, unknown leases refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "harness.h"

static void lease_expiry(void **state)
{
    st_t *st = *state;
    skiff_error_t err = { 0 };
    kvc_t kv;
    int64_t id = 0;
    assert_int_equal(st->ops->lease_grant(st->self, 300, &id, &err), 0);
    assert_true(id > 0);
    put_lease(st, "/l/a", "A", id);
    put_lease(st, "/l/b", "B", id);
    put(st, "/l/c", "C");               /* no lease: stays */
    put_lease(st, "/l/d", "D", id);
    put(st, "/l/d", "D2");              /* put again without the lease: stays */
    assert_int_equal(get(st, "/l/a", 0, &kv), 0);
    assert_int_equal(kv.lease, id);
    int64_t before = cur_rev(st, NULL);

    wcol_t c;
    wcol_init(&c, st);
    watch(st, &c, "/l/", 0);
    int64_t t0 = now_ns();
    while (get(st, "/l/a", 0, &kv) == 0 && now_ns() - t0 < 5000000000ll)
        sleep_ms(10);
    int64_t waited_ms = (now_ns() - t0) / 1000000;
    fprintf(stderr, "# lease of 300 ms: keys gone after %lld ms\n", (long long)waited_ms);
    assert_int_equal(get(st, "/l/a", 0, &kv), SKIFF_E_NOTFOUND);
    assert_true(waited_ms >= 200); /* not long before the TTL */
    assert_int_equal(get(st, "/l/b", 0, &kv), SKIFF_E_NOTFOUND);
    assert_int_equal(get(st, "/l/c", 0, &kv), 0);
    assert_int_equal(get(st, "/l/d", 0, &kv), 0);
    assert_string_equal(kv.val, "D2");
    assert_int_equal(cur_rev(st, NULL), before + 1); /* one revision for the lease */

    assert_int_equal(wcol_wait(&c, 2, 5000), 2);
    sleep_ms(30);
    assert_int_equal(c.n, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(c.ev[i].type, SKIFF_STORE_EV_DELETE);
        assert_int_equal(c.ev[i].mod_rev, before + 1);
        assert_true(c.ev[i].has_prev);
    }
    assert_string_equal(c.ev[0].key, "/l/a");
    assert_string_equal(c.ev[0].prev, "A");
    assert_string_equal(c.ev[1].key, "/l/b");
    assert_string_equal(c.ev[1].prev, "B");
    st->ops->unwatch(st->self, c.w);
    wcol_fini(&c);

    /* the lease is gone with its keys */
    assert_int_equal(st->ops->lease_keepalive(st->self, id, &err), SKIFF_E_NOLEASE);
    skiff_store_op_t op = { .kind = SKIFF_STORE_OP_PUT, .key = "/l/e", .key_len = 4, .value = "E",
                            .value_len = 1, .lease = id };
    skiff_store_txn_res_t res;
    assert_int_equal(st->ops->txn(st->self, NULL, 0, &op, 1, &res, &err), SKIFF_E_NOLEASE);
}

static void lease_keepalive(void **state)
{
    st_t *st = *state;
    skiff_error_t err = { 0 };
    kvc_t kv;
    int64_t id = 0;
    assert_int_equal(st->ops->lease_grant(st->self, 400, &id, &err), 0);
    put_lease(st, "ka", "v", id);
    for (int i = 0; i < 10; i++) { /* 1 s, well past the TTL */
        sleep_ms(100);
        assert_int_equal(st->ops->lease_keepalive(st->self, id, &err), 0);
    }
    assert_int_equal(get(st, "ka", 0, &kv), 0);
    int64_t t0 = now_ns();
    while (get(st, "ka", 0, &kv) == 0 && now_ns() - t0 < 5000000000ll)
        sleep_ms(10);
    assert_int_equal(get(st, "ka", 0, &kv), SKIFF_E_NOTFOUND);
    assert_true((now_ns() - t0) / 1000000 >= 250); /* it ran from the last keepalive */
}

static void lease_revoke(void **state)
{
    st_t *st = *state;
    skiff_error_t err = { 0 };
    kvc_t kv;
    int64_t id = 0, id2 = 0;
    assert_int_equal(st->ops->lease_grant(st->self, 60000, &id, &err), 0);
    assert_int_equal(st->ops->lease_grant(st->self, 60000, &id2, &err), 0);
    assert_true(id != id2);
    put_lease(st, "r1", "v", id);
    put_lease(st, "r2", "v", id);
    put_lease(st, "r3", "v", id2);
    int64_t before = cur_rev(st, NULL);
    assert_int_equal(st->ops->lease_revoke(st->self, id, &err), 0);
    assert_int_equal(get(st, "r1", 0, &kv), SKIFF_E_NOTFOUND); /* at once */
    assert_int_equal(get(st, "r2", 0, &kv), SKIFF_E_NOTFOUND);
    assert_int_equal(get(st, "r3", 0, &kv), 0);
    assert_int_equal(cur_rev(st, NULL), before + 1);
    assert_int_equal(st->ops->lease_revoke(st->self, id, &err), SKIFF_E_NOLEASE);
    assert_int_equal(st->ops->lease_keepalive(st->self, id, &err), SKIFF_E_NOLEASE);

    /* a lease without keys revokes without a revision */
    int64_t empty = 0;
    assert_int_equal(st->ops->lease_grant(st->self, 60000, &empty, &err), 0);
    assert_int_equal(st->ops->lease_revoke(st->self, empty, &err), 0);
    assert_int_equal(cur_rev(st, NULL), before + 1);

    /* unknown leases and bad TTLs */
    skiff_store_op_t op = { .kind = SKIFF_STORE_OP_PUT, .key = "x", .key_len = 1, .value = "v",
                            .value_len = 1, .lease = 987654321 };
    skiff_store_txn_res_t res;
    skiff_error_clear(&err);
    assert_int_equal(st->ops->txn(st->self, NULL, 0, &op, 1, &res, &err), SKIFF_E_NOLEASE);
    assert_true(err.msg[0] != '\0');
    assert_int_equal(get(st, "x", 0, &kv), SKIFF_E_NOTFOUND);
    assert_int_equal(cur_rev(st, NULL), before + 1);
    assert_int_equal(st->ops->lease_keepalive(st->self, 987654321, &err), SKIFF_E_NOLEASE);
    assert_int_equal(st->ops->lease_revoke(st->self, 987654321, &err), SKIFF_E_NOLEASE);
    assert_true(st->ops->lease_grant(st->self, 0, &empty, &err) < 0);
    assert_true(st->ops->lease_grant(st->self, -5, &empty, &err) < 0);
}


static void many_leases_expire(void **state)
{
    st_t *st = *state;
    skiff_error_t err = { 0 };
    kvc_t kv;
    int64_t ids[50];
    /* TTLs long enough for a durable store to make its 100 puts first */
    for (int i = 0; i < 50; i++)
        assert_int_equal(st->ops->lease_grant(st->self, 1500 + (i % 5) * 20, &ids[i], &err), 0);
    for (int i = 0; i < 50; i++) {
        char k[16];
        snprintf(k, sizeof k, "ml/%d", i);
        put_lease(st, k, "v", ids[i]);
        put_lease(st, "ml/shared", "v", ids[0]); /* re-put under the same lease: one deletion */
    }
    int64_t before = cur_rev(st, NULL);
    int64_t t0 = now_ns();
    for (;;) {
        coll_t c;
        skiff_store_range_res_t res;
        assert_int_equal(range(st, "ml/", NULL, 1, 0, 0, &c, &res), 0);
        if (c.n == 0 || now_ns() - t0 > 5000000000ll)
            break;
        sleep_ms(10);
    }
    assert_int_equal(get(st, "ml/49", 0, &kv), SKIFF_E_NOTFOUND);
    assert_int_equal(get(st, "ml/shared", 0, &kv), SKIFF_E_NOTFOUND);
    assert_int_equal(cur_rev(st, NULL), before + 50); /* one revision per lease */
    for (int i = 0; i < 50; i++)
        assert_int_equal(st->ops->lease_keepalive(st->self, ids[i], &err), SKIFF_E_NOLEASE);
}

const struct CMUnitTest store_lease_cases[] = {
    CASE(lease_expiry),
    CASE(lease_keepalive),
    CASE(lease_revoke),
    CASE(many_leases_expire),
};
const size_t store_lease_ncases = sizeof store_lease_cases / sizeof store_lease_cases[0];
