/* Conformance: get/put/delete, revision numbering, reads at old revisions,
 * ranges (prefix, [start,end), limit + continuation), size limits, compaction. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "harness.h"

static void put_get_delete(void **state)
{
    st_t *st = *state;
    kvc_t kv;
    int64_t compacted;
    assert_int_equal(cur_rev(st, &compacted), 0); /* an empty store is at revision 0 */
    assert_int_equal(compacted, 0);
    assert_int_equal(get(st, "a", 0, &kv), SKIFF_E_NOTFOUND);

    assert_int_equal(put(st, "a", "1"), 1); /* the first write is revision 1 */
    assert_int_equal(get(st, "a", 0, &kv), 0);
    assert_string_equal(kv.key, "a");
    assert_string_equal(kv.val, "1");
    assert_int_equal(kv.create_rev, 1);
    assert_int_equal(kv.mod_rev, 1);
    assert_int_equal(kv.version, 1);
    assert_int_equal(kv.lease, 0);

    assert_int_equal(put(st, "a", "2"), 2);
    assert_int_equal(get(st, "a", 0, &kv), 0);
    assert_string_equal(kv.val, "2");
    assert_int_equal(kv.create_rev, 1);
    assert_int_equal(kv.mod_rev, 2);
    assert_int_equal(kv.version, 2);

    assert_int_equal(put(st, "b", ""), 3); /* empty values are values */
    assert_int_equal(get(st, "b", 0, &kv), 0);
    assert_int_equal(kv.val_len, 0);

    int64_t deleted = -1;
    assert_int_equal(del(st, "a", &deleted), 4);
    assert_int_equal(deleted, 1);
    assert_int_equal(get(st, "a", 0, &kv), SKIFF_E_NOTFOUND);

    /* Deleting a missing key is a no-op: no revision. */
    assert_int_equal(del(st, "a", &deleted), 4);
    assert_int_equal(deleted, 0);
    assert_int_equal(del(st, "never", &deleted), 4);
    assert_int_equal(cur_rev(st, NULL), 4);

    /* Re-created: a new life, create_rev and version start again. */
    assert_int_equal(put(st, "a", "3"), 5);
    assert_int_equal(get(st, "a", 0, &kv), 0);
    assert_int_equal(kv.create_rev, 5);
    assert_int_equal(kv.version, 1);

    /* A txn with no ops writes nothing. */
    skiff_store_txn_res_t res;
    skiff_error_t err = { 0 };
    assert_int_equal(st->ops->txn(st->self, NULL, 0, NULL, 0, &res, &err), 0);
    assert_true(res.succeeded);
    assert_int_equal(res.rev, 5);
    assert_int_equal(cur_rev(st, NULL), 5);
}

static void bad_keys(void **state)
{
    st_t *st = *state;
    skiff_error_t err = { 0 };
    skiff_store_op_t op = { .kind = SKIFF_STORE_OP_PUT, .key = "", .key_len = 0, .value = "v", .value_len = 1 };
    skiff_store_txn_res_t res;
    assert_int_equal(st->ops->txn(st->self, NULL, 0, &op, 1, &res, &err), SKIFF_E_INVALID);
    assert_true(err.msg[0] != '\0');
    char *big = malloc(SKIFF_STORE_KEY_MAX + 2);
    memset(big, 'k', SKIFF_STORE_KEY_MAX + 1);
    op.key = big;
    op.key_len = SKIFF_STORE_KEY_MAX; /* exactly the limit is fine */
    int rc = st->ops->txn(st->self, NULL, 0, &op, 1, &res, &err);
    if (rc != 0)
        fprintf(stderr, "# a key of SKIFF_STORE_KEY_MAX (%u) bytes was refused: %s\n", SKIFF_STORE_KEY_MAX, err.msg);
    assert_int_equal(rc, 0);
    op.key_len = SKIFF_STORE_KEY_MAX + 1;
    skiff_error_clear(&err);
    assert_true(st->ops->txn(st->self, NULL, 0, &op, 1, &res, &err) < 0);
    assert_true(err.msg[0] != '\0');
    free(big);
    assert_int_equal(cur_rev(st, NULL), 1);
}

static void old_revisions(void **state)
{
    st_t *st = *state;
    kvc_t kv;
    coll_t c;
    skiff_store_range_res_t res;
    assert_int_equal(put(st, "a", "v1"), 1);
    assert_int_equal(put(st, "a", "v2"), 2);
    assert_int_equal(put(st, "b", "x"), 3);
    assert_int_equal(del(st, "a", NULL), 4);

    assert_int_equal(get(st, "a", 1, &kv), 0);
    assert_string_equal(kv.val, "v1");
    assert_int_equal(kv.mod_rev, 1);
    assert_int_equal(get(st, "a", 2, &kv), 0);
    assert_string_equal(kv.val, "v2");
    assert_int_equal(kv.version, 2);
    assert_int_equal(get(st, "a", 3, &kv), 0);
    assert_string_equal(kv.val, "v2");
    assert_int_equal(get(st, "a", 4, &kv), SKIFF_E_NOTFOUND);
    assert_int_equal(get(st, "a", 0, &kv), SKIFF_E_NOTFOUND);
    assert_int_equal(get(st, "b", 2, &kv), SKIFF_E_NOTFOUND);

    assert_int_equal(range(st, "", NULL, 1, 3, 0, &c, &res), 0);
    assert_int_equal(res.rev, 3);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.keys[0], "a");
    assert_string_equal(c.keys[1], "b");
    assert_int_equal(range(st, "", NULL, 1, 1, 0, &c, &res), 0);
    assert_int_equal(c.n, 1);
    assert_int_equal(range(st, "", NULL, 1, 0, 0, &c, &res), 0);
    assert_int_equal(res.rev, 4);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.keys[0], "b");

    assert_int_equal(get(st, "b", 99, &kv), SKIFF_E_FUTURE_REV);
    assert_int_equal(range(st, "", NULL, 1, 5, 0, &c, &res), SKIFF_E_FUTURE_REV);
}

static void range_shapes(void **state)
{
    st_t *st = *state;
    coll_t c;
    skiff_store_range_res_t res;
    const char *keys[] = { "/r/c", "/r/a", "/s/x", "/r/e", "/q", "/r/b", "/r/d", "/r", "/r0" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        put(st, keys[i], "v");

    assert_int_equal(range(st, "/r/", NULL, 1, 0, 0, &c, &res), 0);
    assert_int_equal(c.n, 5);
    const char *want[] = { "/r/a", "/r/b", "/r/c", "/r/d", "/r/e" };
    for (int i = 0; i < 5; i++)
        assert_string_equal(c.keys[i], want[i]);
    assert_int_equal(res.count, 5);
    assert_false(res.more);

    /* [start, end) */
    assert_int_equal(range(st, "/r/b", "/r/d", 0, 0, 0, &c, &res), 0);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.keys[0], "/r/b");
    assert_string_equal(c.keys[1], "/r/c");

    /* one key */
    assert_int_equal(range(st, "/r", NULL, 0, 0, 0, &c, &res), 0);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.keys[0], "/r");
    assert_int_equal(range(st, "/nope", NULL, 0, 0, 0, &c, &res), 0);
    assert_int_equal(c.n, 0);
    assert_int_equal(res.count, 0);

    /* end "\0": every key >= start, as etcd */
    assert_int_equal(range(st, "/r/d", "", 0, 0, 0, &c, &res), 0);
    assert_int_equal(c.n, 4); /* /r/d /r/e /r0 /s/x */
    assert_string_equal(c.keys[3], "/s/x");

    /* all keys, in byte order */
    assert_int_equal(range(st, "", NULL, 1, 0, 0, &c, &res), 0);
    assert_int_equal(c.n, 9);
    assert_string_equal(c.keys[0], "/q");
    assert_string_equal(c.keys[1], "/r");
    assert_string_equal(c.keys[2], "/r/a");
    assert_string_equal(c.keys[7], "/r0");

    /* limit */
    assert_int_equal(range(st, "/r/", NULL, 1, 0, 2, &c, &res), 0);
    assert_int_equal(c.n, 2);
    assert_int_equal(res.count, 2);
    assert_true(res.more);
    assert_int_equal(range(st, "/r/", NULL, 1, 0, 5, &c, &res), 0);
    assert_int_equal(c.n, 5);
    assert_false(res.more);

    /* count_only: no callbacks */
    skiff_store_range_req_t req = { .key = "/r/", .key_len = 3, .prefix = 1, .count_only = 1 };
    skiff_error_t err = { 0 };
    memset(&c, 0, sizeof c);
    assert_int_equal(st->ops->range(st->self, &req, coll_cb, &c, &res, &err), 0);
    assert_int_equal(c.n, 0);
    assert_int_equal(res.count, 5);

    /* keys_only still delivers keys and revisions */
    req.count_only = 0;
    req.keys_only = 1;
    assert_int_equal(st->ops->range(st->self, &req, coll_cb, &c, &res, &err), 0);
    assert_int_equal(c.n, 5);
    assert_true(c.mod[0] > 0);

    /* binary keys: a prefix ending in 0xff */
    const char bk1[] = { 'b', (char)0xff, 'x' }, bk2[] = { 'b', (char)0xff }, bk3[] = { 'c' };
    skiff_store_op_t ops[3] = {
        { .kind = SKIFF_STORE_OP_PUT, .key = bk1, .key_len = 3, .value = "1", .value_len = 1 },
        { .kind = SKIFF_STORE_OP_PUT, .key = bk2, .key_len = 2, .value = "2", .value_len = 1 },
        { .kind = SKIFF_STORE_OP_PUT, .key = bk3, .key_len = 1, .value = "3", .value_len = 1 },
    };
    skiff_store_txn_res_t tres;
    assert_int_equal(st->ops->txn(st->self, NULL, 0, ops, 3, &tres, &err), 0);
    skiff_store_range_req_t breq = { .key = bk2, .key_len = 2, .prefix = 1 };
    memset(&c, 0, sizeof c);
    assert_int_equal(st->ops->range(st->self, &breq, coll_cb, &c, &res, &err), 0);
    assert_int_equal(c.n, 2); /* b\xff and b\xffx, not c */
}

static int stop_after_two(void *ud, const skiff_store_kv_t *kv)
{
    int *n = ud;
    return ++*n == 2;
}

static void range_early_stop(void **state)
{
    st_t *st = *state;
    for (int i = 0; i < 10; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        put(st, k, "v");
    }
    skiff_store_range_req_t req = { .key = "k", .key_len = 1, .prefix = 1 };
    skiff_store_range_res_t res;
    skiff_error_t err = { 0 };
    int n = 0;
    assert_int_equal(st->ops->range(st->self, &req, stop_after_two, &n, &res, &err), 0);
    assert_int_equal(n, 2);
}

typedef struct churn {
    st_t *st;
    int stop;   /* atomic */
    int writes; /* atomic */
    int failures;
} churn_t;

static void *churn_main(void *arg)
{
    churn_t *ch = arg;
    unsigned seed = 7;
    while (!__atomic_load_n(&ch->stop, __ATOMIC_ACQUIRE)) {
        char k[32], v[32];
        int i = (int)(rand_r(&seed) % 1200);
        snprintf(k, sizeof k, "/p/%04d", i);
        snprintf(v, sizeof v, "w%d", i);
        /* No cmocka asserts off the main thread: count failures instead. */
        skiff_store_op_t op = { .kind = i % 3 == 0 ? SKIFF_STORE_OP_DELETE : SKIFF_STORE_OP_PUT,
                                .key = k, .key_len = strlen(k), .value = v, .value_len = strlen(v) };
        skiff_store_txn_res_t res;
        skiff_error_t err = { 0 };
        if (ch->st->ops->txn(ch->st->self, NULL, 0, &op, 1, &res, &err) != 0)
            ch->failures++;
        __atomic_add_fetch(&ch->writes, 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

typedef struct pages {
    size_t n;
    char (*keys)[16];
    int64_t *mod;
} pages_t;

static int pages_cb(void *ud, const skiff_store_kv_t *kv)
{
    pages_t *p = ud;
    snprintf(p->keys[p->n], 16, "%.*s", (int)kv->key_len, kv->key);
    p->mod[p->n] = kv->mod_rev;
    p->n++;
    return 0;
}

/* Paging with limit + continuation at one revision sees exactly the range as
 * of that revision, however many writes land between pages. */
static void range_paging_consistent(void **state)
{
    st_t *st = *state;
    for (int i = 0; i < 1000; i++) {
        char k[32];
        snprintf(k, sizeof k, "/p/%04d", i);
        put(st, k, "v0");
    }
    churn_t ch = { .st = st };
    pthread_t t;
    pthread_create(&t, NULL, churn_main, &ch);
    while (__atomic_load_n(&ch.writes, __ATOMIC_ACQUIRE) < 50)
        sleep_ms(1);

    pages_t paged = { 0, calloc(2000, 16), calloc(2000, sizeof(int64_t)) };
    skiff_error_t err = { 0 };
    char start[32] = "/p/";
    size_t start_len = 3;
    int64_t at = 0;
    int pages = 0;
    for (;;) {
        skiff_store_range_req_t req = { .key = start, .key_len = start_len, .end = "/p0", .end_len = 3,
                                        .rev = at, .limit = 97 };
        skiff_store_range_res_t res;
        size_t before = paged.n;
        assert_int_equal(st->ops->range(st->self, &req, pages_cb, &paged, &res, &err), 0);
        if (at == 0)
            at = res.rev;
        assert_int_equal(res.rev, at);
        assert_int_equal(res.count, (int64_t)(paged.n - before));
        pages++;
        sleep_ms(1); /* let writes land between pages */
        if (!res.more)
            break;
        /* continue from the last key + "\0" */
        start_len = strlen(paged.keys[paged.n - 1]) + 1;
        memcpy(start, paged.keys[paged.n - 1], start_len);
    }
    __atomic_store_n(&ch.stop, 1, __ATOMIC_RELEASE);
    pthread_join(t, NULL);
    assert_int_equal(ch.failures, 0);
    assert_true(pages > 5);
    assert_true(cur_rev(st, NULL) > at);

    pages_t whole = { 0, calloc(2000, 16), calloc(2000, sizeof(int64_t)) };
    skiff_store_range_req_t req = { .key = "/p/", .key_len = 3, .prefix = 1, .rev = at };
    skiff_store_range_res_t res;
    assert_int_equal(st->ops->range(st->self, &req, pages_cb, &whole, &res, &err), 0);
    assert_int_equal(paged.n, whole.n);
    for (size_t i = 0; i < whole.n; i++) {
        assert_string_equal(paged.keys[i], whole.keys[i]);
        assert_int_equal(paged.mod[i], whole.mod[i]);
        assert_true(whole.mod[i] <= at);
        if (i)
            assert_true(strcmp(whole.keys[i - 1], whole.keys[i]) < 0);
    }
    free(paged.keys);
    free(paged.mod);
    free(whole.keys);
    free(whole.mod);
}

static int big_cb(void *ud, const skiff_store_kv_t *kv)
{
    const unsigned char *want = ud;
    assert_int_equal(kv->value_len, SKIFF_STORE_VALUE_MAX);
    assert_memory_equal(kv->value, want, SKIFF_STORE_VALUE_MAX);
    return 0;
}

static void value_limit(void **state)
{
    st_t *st = *state;
    unsigned char *v = malloc(SKIFF_STORE_VALUE_MAX + 1);
    for (size_t i = 0; i < SKIFF_STORE_VALUE_MAX + 1; i++)
        v[i] = (unsigned char)(i * 31 + 7);
    skiff_store_op_t op = { .kind = SKIFF_STORE_OP_PUT, .key = "big", .key_len = 3, .value = v,
                            .value_len = SKIFF_STORE_VALUE_MAX };
    skiff_store_txn_res_t res;
    skiff_error_t err = { 0 };
    assert_int_equal(st->ops->txn(st->self, NULL, 0, &op, 1, &res, &err), 0); /* exactly 1.5 MiB */
    assert_int_equal(res.rev, 1);
    assert_int_equal(st->ops->get(st->self, "big", 3, 0, big_cb, v, &err), 0);

    op.value_len = SKIFF_STORE_VALUE_MAX + 1;
    op.key = "big2";
    op.key_len = 4;
    skiff_error_clear(&err);
    assert_int_equal(st->ops->txn(st->self, NULL, 0, &op, 1, &res, &err), SKIFF_E_TOOLARGE);
    assert_int_equal(err.code, SKIFF_E_TOOLARGE);
    fprintf(stderr, "# over the limit: %s\n", err.msg);
    assert_true(strlen(err.msg) > 10);
    kvc_t kv;
    assert_int_equal(get(st, "big2", 0, &kv), SKIFF_E_NOTFOUND);
    assert_int_equal(cur_rev(st, NULL), 1);
    free(v);
}

static void compaction(void **state)
{
    st_t *st = *state;
    kvc_t kv;
    coll_t c;
    skiff_store_range_res_t res;
    skiff_error_t err = { 0 };
    for (int i = 1; i <= 10; i++) {
        char v[16];
        snprintf(v, sizeof v, "v%d", i);
        assert_int_equal(put(st, "a", v), i);
    }
    assert_int_equal(put(st, "gone", "x"), 11);
    assert_int_equal(del(st, "gone", NULL), 12);
    assert_int_equal(put(st, "b", "y"), 13);

    assert_int_equal(st->ops->compact(st->self, 5, &err), 0);
    int64_t compacted;
    assert_int_equal(cur_rev(st, &compacted), 13);
    assert_int_equal(compacted, 5);
    skiff_error_clear(&err);
    assert_int_equal(get(st, "a", 4, &kv), SKIFF_E_COMPACTED);
    assert_int_equal(get(st, "a", 1, &kv), SKIFF_E_COMPACTED);
    assert_int_equal(range(st, "", NULL, 1, 4, 0, &c, &res), SKIFF_E_COMPACTED);
    assert_int_equal(get(st, "a", 5, &kv), 0); /* at the compaction point: fine */
    assert_string_equal(kv.val, "v5");
    assert_int_equal(kv.create_rev, 1);
    assert_int_equal(get(st, "a", 7, &kv), 0);
    assert_string_equal(kv.val, "v7");
    assert_int_equal(get(st, "a", 0, &kv), 0);
    assert_string_equal(kv.val, "v10");
    assert_int_equal(kv.version, 10);
    assert_int_equal(range(st, "", NULL, 1, 5, 0, &c, &res), 0);
    assert_int_equal(c.n, 1);
    assert_int_equal(get(st, "gone", 11, &kv), 0);

    /* again at or below the point: compacted; beyond the head: future */
    assert_int_equal(st->ops->compact(st->self, 5, &err), SKIFF_E_COMPACTED);
    assert_int_equal(st->ops->compact(st->self, 3, &err), SKIFF_E_COMPACTED);
    assert_int_equal(st->ops->compact(st->self, 14, &err), SKIFF_E_FUTURE_REV);
    assert_true(err.msg[0] != '\0');

    /* up to the head: the latest state survives, deleted keys are gone */
    assert_int_equal(st->ops->compact(st->self, 13, &err), 0);
    assert_int_equal(get(st, "a", 0, &kv), 0);
    assert_string_equal(kv.val, "v10");
    assert_int_equal(get(st, "a", 13, &kv), 0);
    assert_int_equal(get(st, "gone", 0, &kv), SKIFF_E_NOTFOUND);
    assert_int_equal(get(st, "a", 12, &kv), SKIFF_E_COMPACTED);
    assert_int_equal(range(st, "", NULL, 1, 0, 0, &c, &res), 0);
    assert_int_equal(c.n, 2);
    /* and writes go on from there */
    assert_int_equal(put(st, "a", "v11"), 14);
    assert_int_equal(get(st, "a", 0, &kv), 0);
    assert_int_equal(kv.version, 11);
}

const struct CMUnitTest store_kv_cases[] = {
    CASE(put_get_delete),  CASE(bad_keys),     CASE(old_revisions),
    CASE(range_shapes),    CASE(range_early_stop), CASE(range_paging_consistent),
    CASE(value_limit),     CASE(compaction),
};
const size_t store_kv_ncases = sizeof store_kv_cases / sizeof store_kv_cases[0];
