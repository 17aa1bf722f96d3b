/* Conformance: txn compares, multi-op atomicity, and CAS races between threads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "harness.h"

#define OP_PUT(k, v) { .kind = SKIFF_STORE_OP_PUT, .key = k, .key_len = sizeof k - 1, .value = v, .value_len = sizeof v - 1 }
#define OP_DEL(k) { .kind = SKIFF_STORE_OP_DELETE, .key = k, .key_len = sizeof k - 1 }
#define CMP(kd, k, r) { .kind = kd, .key = k, .key_len = sizeof k - 1, .rev = r }

static void txn_compares(void **state)
{
    st_t *st = *state;
    skiff_store_txn_res_t res;
    skiff_error_t err = { 0 };
    kvc_t kv;

    /* ABSENT on a missing key holds: create */
    skiff_store_cmp_t absent = CMP(SKIFF_STORE_CMP_ABSENT, "k", 0);
    skiff_store_op_t put1 = OP_PUT("k", "one");
    assert_int_equal(st->ops->txn(st->self, &absent, 1, &put1, 1, &res, &err), 0);
    assert_true(res.succeeded);
    assert_int_equal(res.failed_cmp, -1);
    assert_int_equal(res.rev, 1);

    /* ABSENT again fails: not an error, no write, current revision */
    skiff_store_op_t put2 = OP_PUT("k", "two");
    assert_int_equal(st->ops->txn(st->self, &absent, 1, &put2, 1, &res, &err), 0);
    assert_false(res.succeeded);
    assert_int_equal(res.failed_cmp, 0);
    assert_int_equal(res.rev, 1);
    assert_int_equal(get(st, "k", 0, &kv), 0);
    assert_string_equal(kv.val, "one");

    /* MOD_REV: only the current mod_rev holds */
    skiff_store_cmp_t modrev = CMP(SKIFF_STORE_CMP_MOD_REV, "k", 1);
    assert_int_equal(st->ops->txn(st->self, &modrev, 1, &put2, 1, &res, &err), 0);
    assert_true(res.succeeded);
    assert_int_equal(res.rev, 2);
    assert_int_equal(st->ops->txn(st->self, &modrev, 1, &put2, 1, &res, &err), 0);
    assert_false(res.succeeded); /* stale: k is at 2 now */
    assert_int_equal(res.rev, 2);
    skiff_store_cmp_t modrev_missing = CMP(SKIFF_STORE_CMP_MOD_REV, "nope", 0);
    assert_int_equal(st->ops->txn(st->self, &modrev_missing, 1, &put2, 1, &res, &err), 0);
    assert_false(res.succeeded); /* a missing key has no mod_rev, not even 0 */

    /* EXISTS */
    skiff_store_cmp_t exists = CMP(SKIFF_STORE_CMP_EXISTS, "k", 0);
    skiff_store_op_t delk = OP_DEL("k");
    assert_int_equal(st->ops->txn(st->self, &exists, 1, &delk, 1, &res, &err), 0);
    assert_true(res.succeeded);
    assert_int_equal(res.deleted, 1);
    assert_int_equal(res.rev, 3);
    assert_int_equal(st->ops->txn(st->self, &exists, 1, &delk, 1, &res, &err), 0);
    assert_false(res.succeeded); /* deleted keys do not exist */
    assert_int_equal(st->ops->txn(st->self, &absent, 1, &put1, 1, &res, &err), 0);
    assert_true(res.succeeded); /* and are absent */
    assert_int_equal(res.rev, 4);

    /* several compares: all must hold; the first failing one is reported */
    put(st, "x", "1"); /* rev 5 */
    skiff_store_cmp_t many[3] = { CMP(SKIFF_STORE_CMP_EXISTS, "k", 0), CMP(SKIFF_STORE_CMP_MOD_REV, "x", 5),
                                  CMP(SKIFF_STORE_CMP_ABSENT, "x", 0) };
    assert_int_equal(st->ops->txn(st->self, many, 3, &put2, 1, &res, &err), 0);
    assert_false(res.succeeded);
    assert_int_equal(res.failed_cmp, 2);
    assert_int_equal(st->ops->txn(st->self, many, 2, &put2, 1, &res, &err), 0);
    assert_true(res.succeeded);
    assert_int_equal(res.rev, 6);
}

static void txn_atomic(void **state)
{
    st_t *st = *state;
    skiff_store_txn_res_t res;
    skiff_error_t err = { 0 };
    kvc_t kv;
    put(st, "c", "old"); /* 1 */

    skiff_store_op_t ops[4] = { OP_PUT("a", "A"), OP_PUT("b", "B"), OP_DEL("c"), OP_DEL("missing") };
    assert_int_equal(st->ops->txn(st->self, NULL, 0, ops, 4, &res, &err), 0);
    assert_true(res.succeeded);
    assert_int_equal(res.rev, 2); /* one revision for the whole txn */
    assert_int_equal(res.deleted, 1);
    assert_int_equal(get(st, "a", 0, &kv), 0);
    assert_int_equal(kv.mod_rev, 2);
    assert_int_equal(get(st, "b", 0, &kv), 0);
    assert_int_equal(kv.mod_rev, 2);
    assert_int_equal(get(st, "c", 0, &kv), SKIFF_E_NOTFOUND);
    assert_int_equal(get(st, "c", 1, &kv), 0);
    assert_int_equal(get(st, "a", 1, &kv), SKIFF_E_NOTFOUND); /* not there before it */

    /* A txn whose last op fails writes nothing at all. */
    skiff_store_op_t bad[3] = { OP_PUT("d", "D"), OP_DEL("a"), OP_PUT("e", "E") };
    bad[2].lease = 424242; /* no such lease */
    assert_int_equal(st->ops->txn(st->self, NULL, 0, bad, 3, &res, &err), SKIFF_E_NOLEASE);
    assert_true(err.msg[0] != '\0');
    assert_int_equal(cur_rev(st, NULL), 2);
    assert_int_equal(get(st, "d", 0, &kv), SKIFF_E_NOTFOUND);
    assert_int_equal(get(st, "a", 0, &kv), 0);

    /* a txn of only no-op deletes makes no revision */
    skiff_store_op_t noop[2] = { OP_DEL("zz1"), OP_DEL("zz2") };
    assert_int_equal(st->ops->txn(st->self, NULL, 0, noop, 2, &res, &err), 0);
    assert_true(res.succeeded);
    assert_int_equal(res.deleted, 0);
    assert_int_equal(res.rev, 2);
    assert_int_equal(cur_rev(st, NULL), 2);

    /* the same key twice in one txn is refused (as etcd) */
    skiff_store_op_t dup[2] = { OP_PUT("q", "1"), OP_PUT("q", "2") };
    skiff_error_clear(&err);
    assert_int_equal(st->ops->txn(st->self, NULL, 0, dup, 2, &res, &err), SKIFF_E_INVALID);
    assert_true(err.msg[0] != '\0');
    assert_int_equal(cur_rev(st, NULL), 2);
}

/* ---- CAS races: N threads CAS one key from the same revision ------------------- */

#define RACERS 8
#define ROUNDS 40

typedef struct race {
    st_t *st;
    pthread_barrier_t go, done;
    int64_t base;       /* the key's mod_rev every racer compares against */
    int round;
    int won[RACERS];
    int created[RACERS];
    int errors;
} race_t;

typedef struct racer {
    race_t *r;
    int id;
} racer_t;

static void *racer_main(void *arg)
{
    racer_t *me = arg;
    race_t *r = me->r;
    for (int round = 0; round < ROUNDS; round++) {
        pthread_barrier_wait(&r->go);
        char val[16], ck[32];
        snprintf(val, sizeof val, "%d", me->id);
        snprintf(ck, sizeof ck, "create/%d", round);
        skiff_store_cmp_t cmp = { .kind = SKIFF_STORE_CMP_MOD_REV, .key = "cas", .key_len = 3, .rev = r->base };
        skiff_store_op_t op = { .kind = SKIFF_STORE_OP_PUT, .key = "cas", .key_len = 3, .value = val,
                                .value_len = strlen(val) };
        skiff_store_txn_res_t res;
        skiff_error_t err = { 0 };
        if (r->st->ops->txn(r->st->self, &cmp, 1, &op, 1, &res, &err) != 0)
            __atomic_add_fetch(&r->errors, 1, __ATOMIC_RELAXED);
        else if (res.succeeded)
            r->won[me->id]++;
        skiff_store_cmp_t absent = { .kind = SKIFF_STORE_CMP_ABSENT, .key = ck, .key_len = strlen(ck) };
        skiff_store_op_t create = { .kind = SKIFF_STORE_OP_PUT, .key = ck, .key_len = strlen(ck),
                                    .value = val, .value_len = strlen(val) };
        if (r->st->ops->txn(r->st->self, &absent, 1, &create, 1, &res, &err) != 0)
            __atomic_add_fetch(&r->errors, 1, __ATOMIC_RELAXED);
        else if (res.succeeded)
            r->created[me->id]++;
        pthread_barrier_wait(&r->done);
    }
    return NULL;
}

static void cas_race(void **state)
{
    st_t *st = *state;
    race_t r = { .st = st };
    pthread_barrier_init(&r.go, NULL, RACERS + 1);
    pthread_barrier_init(&r.done, NULL, RACERS + 1);
    pthread_t t[RACERS];
    racer_t rs[RACERS];
    r.base = put(st, "cas", "start");
    for (int i = 0; i < RACERS; i++) {
        rs[i] = (racer_t){ &r, i };
        pthread_create(&t[i], NULL, racer_main, &rs[i]);
    }
    for (int round = 0; round < ROUNDS; round++) {
        int won_before = 0, created_before = 0;
        for (int i = 0; i < RACERS; i++) {
            won_before += r.won[i];
            created_before += r.created[i];
        }
        pthread_barrier_wait(&r.go);
        pthread_barrier_wait(&r.done);
        int won = 0, created = 0;
        for (int i = 0; i < RACERS; i++) {
            won += r.won[i];
            created += r.created[i];
        }
        assert_int_equal(won - won_before, 1);         /* exactly one winner */
        assert_int_equal(created - created_before, 1); /* exactly one creator */
        kvc_t kv;
        assert_int_equal(get(st, "cas", 0, &kv), 0);
        assert_int_equal(kv.version, round + 2);
        r.base = kv.mod_rev; /* next round races from the winner's revision */
    }
    for (int i = 0; i < RACERS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(r.errors, 0);
    assert_int_equal(cur_rev(st, NULL), 1 + 2 * ROUNDS);
    pthread_barrier_destroy(&r.go);
    pthread_barrier_destroy(&r.done);
}

const struct CMUnitTest store_txn_cases[] = {
    CASE(txn_compares),
    CASE(txn_atomic),
    CASE(cas_race),
};
const size_t store_txn_ncases = sizeof store_txn_cases / sizeof store_txn_cases[0];
