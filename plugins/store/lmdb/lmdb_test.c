/* lmdb_test.c — focused tests of the lmdb store through its ops table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../../tests/store/lmdb/coreload.h"
#include "lmdb_store.h"

extern const skiff_plugin_t skiff_plugin;
static const skiff_store_ops_t *ops;

typedef struct fx {
    char dir[64];
    char pathset[128];
    void *s;
} fx_t;

static void *open_with(fx_t *f, const char *extra1, const char *extra2, int *rc, skiff_error_t *err)
{
    const char *set[] = { f->pathset, extra1, extra2, NULL };
    void *s = NULL;
    *rc = cl_instance_new(&skiff_plugin, set, &s, err);
    return s;
}

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/skiff-lmdb-test.XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->pathset, sizeof f->pathset, "path=%s/data", f->dir);
    ops = skiff_plugin.ops;
    int rc;
    skiff_error_t err = { 0 };
    f->s = open_with(f, "retention=0", NULL, &rc, &err);
    if (rc) { fprintf(stderr, "# open: %s\n", err.msg); return -1; }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    cl_instance_free(f->s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    if (system(cmd) != 0) return -1;
    free(f);
    return 0;
}

static int64_t put(void *s, const char *k, const char *v, int64_t lease)
{
    skiff_store_op_t op = { SKIFF_STORE_OP_PUT, k, strlen(k), v, strlen(v), lease };
    skiff_store_txn_res_t res;
    skiff_error_t err = { 0 };
    int rc = ops->txn(s, NULL, 0, &op, 1, &res, &err);
    if (rc) { fprintf(stderr, "# put %s: %s\n", k, err.msg); return rc; }
    return res.rev;
}

static int64_t del(void *s, const char *k)
{
    skiff_store_op_t op = { SKIFF_STORE_OP_DELETE, k, strlen(k), NULL, 0, 0 };
    skiff_store_txn_res_t res;
    skiff_error_t err = { 0 };
    int rc = ops->txn(s, NULL, 0, &op, 1, &res, &err);
    return rc ? rc : res.rev;
}

typedef struct got {
    int n;
    char keys[64][64];
    char vals[64][64];
    skiff_store_kv_t kv[64];
} got_t;

static int collect(void *ud, const skiff_store_kv_t *kv)
{
    got_t *g = ud;
    if (g->n < 64) {
        snprintf(g->keys[g->n], 64, "%.*s", (int)kv->key_len, kv->key);
        snprintf(g->vals[g->n], 64, "%.*s", (int)kv->value_len, kv->value ? (const char *)kv->value : "");
        g->kv[g->n] = *kv;
    }
    g->n++;
    return 0;
}

static void test_put_get_revisions(void **state)
{
    fx_t *f = *state;
    assert_int_equal(put(f->s, "a", "1", 0), 1);
    assert_int_equal(put(f->s, "a", "2", 0), 2);
    assert_int_equal(put(f->s, "b", "x", 0), 3);
    got_t g = { 0 };
    skiff_error_t err = { 0 };
    assert_int_equal(ops->get(f->s, "a", 1, 0, collect, &g, &err), 0);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.vals[0], "2");
    assert_int_equal(g.kv[0].create_rev, 1);
    assert_int_equal(g.kv[0].mod_rev, 2);
    assert_int_equal(g.kv[0].version, 2);
    memset(&g, 0, sizeof g);
    assert_int_equal(ops->get(f->s, "a", 1, 1, collect, &g, &err), 0);
    assert_string_equal(g.vals[0], "1");
    assert_int_equal(g.kv[0].version, 1);
    assert_int_equal(ops->get(f->s, "zz", 2, 0, collect, &g, &err), SKIFF_E_NOTFOUND);
    assert_int_equal(ops->get(f->s, "a", 1, 99, collect, &g, &err), SKIFF_E_FUTURE_REV);
    assert_int_equal(del(f->s, "a"), 4);
    assert_int_equal(del(f->s, "a"), 4); /* no-op delete: no new revision */
    assert_int_equal(ops->get(f->s, "a", 1, 0, collect, &g, &err), SKIFF_E_NOTFOUND);
    memset(&g, 0, sizeof g);
    assert_int_equal(ops->get(f->s, "a", 1, 3, collect, &g, &err), 0);
    assert_string_equal(g.vals[0], "2");
    int64_t cur, comp;
    assert_int_equal(ops->revision(f->s, &cur, &comp, &err), 0);
    assert_int_equal(cur, 4);
    assert_int_equal(comp, 0);
    /* recreate after delete starts a new life */
    assert_int_equal(put(f->s, "a", "3", 0), 5);
    memset(&g, 0, sizeof g);
    assert_int_equal(ops->get(f->s, "a", 1, 0, collect, &g, &err), 0);
    assert_int_equal(g.kv[0].create_rev, 5);
    assert_int_equal(g.kv[0].version, 1);
}

static void test_txn_compares(void **state)
{
    fx_t *f = *state;
    skiff_error_t err = { 0 };
    skiff_store_txn_res_t res;
    skiff_store_cmp_t absent = { SKIFF_STORE_CMP_ABSENT, "k", 1, 0 };
    skiff_store_op_t op = { SKIFF_STORE_OP_PUT, "k", 1, "v1", 2, 0 };
    assert_int_equal(ops->txn(f->s, &absent, 1, &op, 1, &res, &err), 0);
    assert_true(res.succeeded);
    assert_int_equal(res.rev, 1);
    assert_int_equal(ops->txn(f->s, &absent, 1, &op, 1, &res, &err), 0);
    assert_false(res.succeeded);
    assert_int_equal(res.failed_cmp, 0);
    assert_int_equal(res.rev, 1);
    skiff_store_cmp_t cmps[2] = { { SKIFF_STORE_CMP_EXISTS, "k", 1, 0 }, { SKIFF_STORE_CMP_MOD_REV, "k", 1, 7 } };
    assert_int_equal(ops->txn(f->s, cmps, 2, &op, 1, &res, &err), 0);
    assert_false(res.succeeded);
    assert_int_equal(res.failed_cmp, 1);
    cmps[1].rev = 1;
    skiff_store_op_t two[2] = { { SKIFF_STORE_OP_PUT, "k", 1, "v2", 2, 0 }, { SKIFF_STORE_OP_PUT, "m", 1, "w", 1, 0 } };
    assert_int_equal(ops->txn(f->s, cmps, 2, two, 2, &res, &err), 0);
    assert_true(res.succeeded);
    assert_int_equal(res.rev, 2);
    /* both keys carry the one revision */
    got_t g = { 0 };
    skiff_store_range_req_t q = { .key = "", .key_len = 0, .prefix = 1 };
    skiff_store_range_res_t rr;
    assert_int_equal(ops->range(f->s, &q, collect, &g, &rr, &err), 0);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.kv[0].mod_rev, 2);
    assert_int_equal(g.kv[1].mod_rev, 2);
    /* duplicate keys and oversize values are refused */
    skiff_store_op_t dup[2] = { two[0], two[0] };
    assert_int_equal(ops->txn(f->s, NULL, 0, dup, 2, &res, &err), SKIFF_E_INVALID);
    static char big[SKIFF_STORE_VALUE_MAX + 1];
    skiff_store_op_t bigop = { SKIFF_STORE_OP_PUT, "big", 3, big, sizeof big, 0 };
    assert_int_equal(ops->txn(f->s, NULL, 0, &bigop, 1, &res, &err), SKIFF_E_TOOLARGE);
    bigop.value_len = SKIFF_STORE_VALUE_MAX;
    assert_int_equal(ops->txn(f->s, NULL, 0, &bigop, 1, &res, &err), 0);
    static char longkey[SKIFF_STORE_KEY_MAX + 1];
    memset(longkey, 'k', sizeof longkey);
    skiff_store_op_t lk = { SKIFF_STORE_OP_PUT, longkey, sizeof longkey, "v", 1, 0 };
    assert_int_equal(ops->txn(f->s, NULL, 0, &lk, 1, &res, &err), SKIFF_E_TOOLARGE);
    /* delete of several keys counts them */
    skiff_store_op_t dels[3] = { { SKIFF_STORE_OP_DELETE, "k", 1 }, { SKIFF_STORE_OP_DELETE, "m", 1 },
                                 { SKIFF_STORE_OP_DELETE, "nope", 4 } };
    assert_int_equal(ops->txn(f->s, NULL, 0, dels, 3, &res, &err), 0);
    assert_int_equal(res.deleted, 2);
    assert_int_equal(res.rev, 4);
}

static void test_range_limit_old_rev(void **state)
{
    fx_t *f = *state;
    char k[16], v[16];
    for (int i = 0; i < 20; i++) {
        snprintf(k, sizeof k, "/r/%02d", i);
        snprintf(v, sizeof v, "v%d", i);
        put(f->s, k, v, 0);
    }
    put(f->s, "/s", "other", 0);
    int64_t at20 = 20;
    del(f->s, "/r/05");
    put(f->s, "/r/06", "changed", 0);
    skiff_error_t err = { 0 };
    /* paginate at rev 20 with limit 7 */
    got_t all = { 0 };
    skiff_store_range_req_t q = { .key = "/r/", .key_len = 3, .prefix = 1, .rev = at20, .limit = 7 };
    skiff_store_range_res_t res;
    char from[32] = "/r/";
    size_t fromlen = 3;
    int pages = 0;
    for (;;) {
        got_t g = { 0 };
        skiff_store_range_req_t p = { .key = from, .key_len = fromlen, .end = "/r0", .end_len = 3,
                                      .rev = at20, .limit = 7 };
        assert_int_equal(ops->range(f->s, &p, collect, &g, &res, &err), 0);
        assert_int_equal(res.rev, at20);
        for (int i = 0; i < g.n; i++) { strcpy(all.keys[all.n], g.keys[i]); strcpy(all.vals[all.n++], g.vals[i]); }
        pages++;
        if (!res.more) break;
        memcpy(from, g.keys[g.n - 1], strlen(g.keys[g.n - 1]));
        fromlen = strlen(g.keys[g.n - 1]) + 1;
        from[fromlen - 1] = '\0';
    }
    assert_int_equal(pages, 3);
    assert_int_equal(all.n, 20);
    assert_string_equal(all.keys[5], "/r/05");
    assert_string_equal(all.vals[6], "v6");
    /* latest: /r/05 gone, /r/06 changed */
    got_t g = { 0 };
    q.rev = 0;
    q.limit = 0;
    assert_int_equal(ops->range(f->s, &q, collect, &g, &res, &err), 0);
    assert_int_equal(g.n, 19);
    assert_string_equal(g.vals[5], "changed");
    /* count only */
    q.count_only = 1;
    assert_int_equal(ops->range(f->s, &q, NULL, NULL, &res, &err), 0);
    assert_int_equal(res.count, 19);
}

typedef struct evlog {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int n;
    int ended;
    int end_code;
    int64_t rev[256];
    int type[256];
    char key[256][32];
    char val[256][32];
    char prev[256][32];
    int has_prev[256];
} evlog_t;

static void on_event(void *ud, const skiff_store_event_t *ev, const skiff_error_t *err)
{
    evlog_t *l = ud;
    pthread_mutex_lock(&l->mu);
    if (err) {
        l->ended = 1;
        l->end_code = err->code;
    } else if (l->n < 256) {
        int i = l->n++;
        l->rev[i] = ev->kv.mod_rev;
        l->type[i] = ev->type;
        snprintf(l->key[i], 32, "%.*s", (int)ev->kv.key_len, ev->kv.key);
        snprintf(l->val[i], 32, "%.*s", (int)ev->kv.value_len, ev->kv.value ? (const char *)ev->kv.value : "");
        l->has_prev[i] = ev->has_prev;
        snprintf(l->prev[i], 32, "%.*s", (int)ev->prev.value_len, ev->prev.value ? (const char *)ev->prev.value : "");
    }
    pthread_cond_broadcast(&l->cond);
    pthread_mutex_unlock(&l->mu);
}

static int wait_events(evlog_t *l, int n)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 5;
    pthread_mutex_lock(&l->mu);
    while (l->n < n && !l->ended)
        if (pthread_cond_timedwait(&l->cond, &l->mu, &ts) != 0) break;
    int got = l->n;
    pthread_mutex_unlock(&l->mu);
    return got;
}

/* Keys longer than LMDB's own limit, sharing long prefixes, keep their order. */
static int collect_len(void *ud, const skiff_store_kv_t *kv)
{
    got_t *g = ud;
    if (g->n < 64) {
        g->kv[g->n] = *kv;
        snprintf(g->keys[g->n], 64, "%zu:%c", kv->key_len, kv->key[kv->key_len - 1]);
    }
    g->n++;
    return 0;
}

static void test_long_keys(void **state)
{
    fx_t *f = *state;
    static char k[8][SKIFF_STORE_KEY_MAX];
    /* lengths/last bytes chosen so hash order and key order differ */
    size_t len[8] = { 10, 480, 481, 600, 4096, 700, 481, 2000 };
    char last[8] = { 'a', 'b', 'c', 'd', 'e', 'f', 'a', 'z' };
    skiff_error_t err = { 0 };
    for (int i = 0; i < 8; i++) {
        memset(k[i], 'p', len[i]);
        k[i][len[i] - 1] = last[i];
        skiff_store_op_t op = { SKIFF_STORE_OP_PUT, k[i], len[i], "v", 1, 0 };
        skiff_store_txn_res_t res;
        assert_int_equal(ops->txn(f->s, NULL, 0, &op, 1, &res, &err), 0);
        assert_int_equal(res.rev, i + 1);
    }
    /* expected order: plain byte order of the full keys */
    const char *want[8] = { "10:a", "480:b", "481:a", "481:c", "600:d", "700:f", "4096:e", "2000:z" };
    for (int pass = 0; pass < 2; pass++) {
        got_t g = { 0 };
        skiff_store_range_req_t q = { .key = "p", .key_len = 1, .prefix = 1, .rev = pass ? 8 : 0 };
        skiff_store_range_res_t res;
        if (pass) put(f->s, "zzz", "bump", 0); /* so rev 8 is an old revision */
        assert_int_equal(ops->range(f->s, &q, collect_len, &g, &res, &err), 0);
        assert_int_equal(g.n, 8);
        for (int i = 0; i < 8; i++) assert_string_equal(g.keys[i], want[i]);
        /* page through with limit 3 */
        int total = 0;
        static char from[SKIFF_STORE_KEY_MAX + 1];
        size_t fl = 1;
        from[0] = 'p';
        for (;;) {
            got_t p = { 0 };
            skiff_store_range_req_t pq = { .key = from, .key_len = fl, .end = "q", .end_len = 1,
                                           .rev = pass ? 8 : 0, .limit = 3 };
            assert_int_equal(ops->range(f->s, &pq, collect_len, &p, &res, &err), 0);
            for (int i = 0; i < p.n; i++) assert_string_equal(p.keys[i], want[total + i]);
            total += p.n;
            if (!res.more) break;
            memcpy(from, p.kv[p.n - 1].key, p.kv[p.n - 1].key_len);
            from[p.kv[p.n - 1].key_len] = 0;
            fl = p.kv[p.n - 1].key_len + 1;
        }
        assert_int_equal(total, 8);
    }
    /* get, compare and delete of one long key */
    got_t g = { 0 };
    assert_int_equal(ops->get(f->s, k[4], len[4], 0, collect_len, &g, &err), 0);
    assert_int_equal(g.kv[0].key_len, 4096);
    assert_int_equal(g.kv[0].mod_rev, 5);
    skiff_store_cmp_t c = { SKIFF_STORE_CMP_MOD_REV, k[4], len[4], 5 };
    skiff_store_op_t d = { SKIFF_STORE_OP_DELETE, k[4], len[4] };
    skiff_store_txn_res_t res;
    assert_int_equal(ops->txn(f->s, &c, 1, &d, 1, &res, &err), 0);
    assert_true(res.succeeded);
    assert_int_equal(res.deleted, 1);
    assert_int_equal(ops->get(f->s, k[4], len[4], 0, collect_len, &g, &err), SKIFF_E_NOTFOUND);
    memset(&g, 0, sizeof g);
    assert_int_equal(ops->get(f->s, k[4], len[4], 8, collect_len, &g, &err), 0);
    assert_int_equal(g.n, 1);
    assert_int_equal(ops->get(f->s, k[2], len[2], 0, collect_len, &g, &err), 0);
    /* watch replay of long keys, with previous values */
    static char v2[8] = "v2";
    skiff_store_op_t up = { SKIFF_STORE_OP_PUT, k[7], len[7], v2, 2, 0 };
    assert_int_equal(ops->txn(f->s, NULL, 0, &up, 1, &res, &err), 0); /* rev 11 */
    evlog_t *l = calloc(1, sizeof *l);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cond, NULL);
    skiff_store_watch_t *w;
    assert_int_equal(ops->watch(f->s, "p", 1, 5, on_event, l, &w, &err), 0);
    assert_int_equal(wait_events(l, 6), 6); /* 5..8 puts, 10 delete, 11 put (9 is "zzz") */
    ops->unwatch(f->s, w);
    assert_int_equal(l->n, 6);
    assert_int_equal(l->type[4], SKIFF_STORE_EV_DELETE);
    assert_int_equal(l->rev[4], 10);
    assert_int_equal(l->rev[5], 11);
    assert_true(l->has_prev[5]);
    assert_string_equal(l->prev[5], "v");
    assert_string_equal(l->val[5], "v2");
    free(l);
    /* a lease on a long key; compaction over long keys */
    int64_t id;
    assert_int_equal(ops->lease_grant(f->s, 60000, &id, &err), 0);
    skiff_store_op_t lp = { SKIFF_STORE_OP_PUT, k[3], len[3], "l", 1, id };
    assert_int_equal(ops->txn(f->s, NULL, 0, &lp, 1, &res, &err), 0); /* rev 12 */
    assert_int_equal(ops->lease_revoke(f->s, id, &err), 0);               /* rev 13 */
    assert_int_equal(ops->get(f->s, k[3], len[3], 0, collect_len, &g, &err), SKIFF_E_NOTFOUND);
    assert_int_equal(ops->compact(f->s, 13, &err), 0);
    usleep(100000);
    memset(&g, 0, sizeof g);
    skiff_store_range_req_t q = { .key = "p", .key_len = 1, .prefix = 1, .rev = 13 };
    skiff_store_range_res_t rr;
    assert_int_equal(ops->range(f->s, &q, collect_len, &g, &rr, &err), 0);
    assert_int_equal(g.n, 6); /* 8 less the deleted 4096 and the revoked 600 */
    assert_string_equal(g.keys[5], "2000:z");
}

static void test_watch(void **state)
{
    fx_t *f = *state;
    put(f->s, "/w/a", "1", 0);   /* 1 */
    put(f->s, "/x", "no", 0);    /* 2 */
    put(f->s, "/w/a", "2", 0);   /* 3 */
    del(f->s, "/w/a");           /* 4 */
    evlog_t *l = calloc(1, sizeof *l);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cond, NULL);
    skiff_store_watch_t *w;
    skiff_error_t err = { 0 };
    assert_int_equal(ops->watch(f->s, "/w/", 3, 1, on_event, l, &w, &err), 0);
    assert_int_equal(wait_events(l, 3), 3);
    put(f->s, "/w/b", "live", 0); /* 5 */
    put(f->s, "/y", "no", 0);     /* 6 */
    put(f->s, "/w/b", "live2", 0);/* 7 */
    assert_int_equal(wait_events(l, 5), 5);
    ops->unwatch(f->s, w);
    assert_int_equal(l->rev[0], 1);
    assert_int_equal(l->has_prev[0], 0);
    assert_int_equal(l->rev[1], 3);
    assert_true(l->has_prev[1]);
    assert_string_equal(l->prev[1], "1");
    assert_int_equal(l->type[2], SKIFF_STORE_EV_DELETE);
    assert_int_equal(l->rev[2], 4);
    assert_string_equal(l->prev[2], "2");
    assert_int_equal(l->rev[3], 5);
    assert_string_equal(l->val[3], "live");
    assert_int_equal(l->rev[4], 7);
    assert_string_equal(l->prev[4], "live");
    /* compaction cuts off a watch from before it */
    assert_int_equal(ops->compact(f->s, 5, &err), 0);
    assert_int_equal(ops->compact(f->s, 4, &err), SKIFF_E_COMPACTED);
    evlog_t *l2 = calloc(1, sizeof *l2);
    pthread_mutex_init(&l2->mu, NULL);
    pthread_cond_init(&l2->cond, NULL);
    assert_int_equal(ops->watch(f->s, "", 0, 2, on_event, l2, &w, &err), 0);
    wait_events(l2, 1);
    assert_true(l2->ended);
    assert_int_equal(l2->end_code, SKIFF_E_COMPACTED);
    ops->unwatch(f->s, w);
    /* from the compaction point itself, with prev values kept */
    memset(l2, 0, sizeof *l2);
    pthread_mutex_init(&l2->mu, NULL);
    pthread_cond_init(&l2->cond, NULL);
    assert_int_equal(ops->watch(f->s, "/w/", 3, 5, on_event, l2, &w, &err), 0);
    assert_int_equal(wait_events(l2, 2), 2);
    ops->unwatch(f->s, w);
    assert_int_equal(l2->rev[1], 7);
    assert_string_equal(l2->prev[1], "live");
    free(l);
    free(l2);
}

/* Acknowledged writes that LMDB has not committed yet (the writer defers
 * its commits): gets and watches find them in the overlay, a range has the
 * writer commit first, and a reopen has them all. */
static void test_deferred_overlay(void **state)
{
    fx_t *f = *state;
    cl_instance_free(f->s);
    int rc;
    skiff_error_t err = { 0 };
    f->s = open_with(f, "retention=0", "commit_interval=1h", &rc, &err);
    assert_int_equal(rc, 0);
    lmdb_store_t *st = f->s;
    st->commit_idle_us = 3600LL * 1000000; /* no idle commit either */
    assert_int_equal(put(f->s, "/o/a", "1", 0), 1);
    assert_int_equal(put(f->s, "/o/a", "2", 0), 2);
    assert_int_equal(put(f->s, "/o/b", "x", 0), 3);
    assert_int_equal(del(f->s, "/o/b"), 4);
    assert_int_equal(put(f->s, "/p", "other", 0), 5);
    /* nothing committed to LMDB yet: these come from the overlay */
    assert_int_equal(atomic_load(&st->committed_rev), 0);
    int64_t cur = 0;
    assert_int_equal(ops->revision(f->s, &cur, NULL, &err), 0);
    assert_int_equal(cur, 5);
    got_t g = { 0 };
    assert_int_equal(ops->get(f->s, "/o/a", 4, 0, collect, &g, &err), 0);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.vals[0], "2");
    assert_int_equal(g.kv[0].create_rev, 1);
    assert_int_equal(g.kv[0].mod_rev, 2);
    assert_int_equal(g.kv[0].version, 2);
    assert_int_equal(ops->get(f->s, "/o/b", 4, 0, collect, &g, &err), SKIFF_E_NOTFOUND);
    assert_int_equal(ops->get(f->s, "/none", 5, 0, collect, &g, &err), SKIFF_E_NOTFOUND);
    evlog_t *l = calloc(1, sizeof *l);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cond, NULL);
    skiff_store_watch_t *w;
    assert_int_equal(ops->watch(f->s, "/o/", 3, 1, on_event, l, &w, &err), 0);
    assert_int_equal(wait_events(l, 4), 4);
    assert_int_equal(atomic_load(&st->committed_rev), 0);
    assert_int_equal(l->rev[0], 1);
    assert_int_equal(l->has_prev[0], 0);
    assert_int_equal(l->rev[1], 2);
    assert_string_equal(l->val[1], "2");
    assert_string_equal(l->prev[1], "1");
    assert_int_equal(l->rev[2], 3);
    assert_int_equal(l->type[3], SKIFF_STORE_EV_DELETE);
    assert_int_equal(l->rev[3], 4);
    assert_string_equal(l->prev[3], "x");
    /* live events, still from the overlay */
    assert_int_equal(put(f->s, "/o/c", "live", 0), 6);
    assert_int_equal(wait_events(l, 5), 5);
    assert_int_equal(l->rev[4], 6);
    assert_string_equal(l->val[4], "live");
    /* a range needs LMDB current: the writer commits, then it reads */
    memset(&g, 0, sizeof g);
    skiff_store_range_req_t q = { .key = "/o/", .key_len = 3, .prefix = 1 };
    skiff_store_range_res_t res;
    assert_int_equal(ops->range(f->s, &q, collect, &g, &res, &err), 0);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.keys[0], "/o/a");
    assert_string_equal(g.keys[1], "/o/c");
    assert_int_equal(res.rev, 6);
    assert_int_equal(atomic_load(&st->committed_rev), 6);
    /* after the commit: LMDB and a fresh overlay, watch goes on */
    assert_int_equal(put(f->s, "/o/a", "3", 0), 7);
    assert_int_equal(wait_events(l, 6), 6);
    assert_int_equal(l->rev[5], 7);
    assert_string_equal(l->prev[5], "2");
    memset(&g, 0, sizeof g);
    assert_int_equal(ops->get(f->s, "/o/a", 4, 0, collect, &g, &err), 0);
    assert_string_equal(g.vals[0], "3");
    /* a read at a past revision sees history the overlay held */
    memset(&g, 0, sizeof g);
    assert_int_equal(ops->get(f->s, "/o/a", 4, 2, collect, &g, &err), 0);
    assert_string_equal(g.vals[0], "2");
    ops->unwatch(f->s, w);
    free(l);
    /* closing commits; a reopen has every acknowledged write */
    assert_int_equal(put(f->s, "/o/d", "last", 0), 8);
    cl_instance_free(f->s);
    f->s = open_with(f, "retention=0", NULL, &rc, &err);
    assert_int_equal(rc, 0);
    assert_int_equal(ops->revision(f->s, &cur, NULL, &err), 0);
    assert_int_equal(cur, 8);
    memset(&g, 0, sizeof g);
    assert_int_equal(ops->range(f->s, &q, collect, &g, &res, &err), 0);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.vals[0], "3");
    assert_string_equal(g.vals[2], "last");
}

/* A batch that fails halfway while the open LMDB transaction holds
 * acknowledged batches: those are rebuilt from the log, the failed one
 * leaves no trace. */
static void test_rebuild_after_failed_batch(void **state)
{
    fx_t *f = *state;
    cl_instance_free(f->s);
    int rc;
    skiff_error_t err = { 0 };
    f->s = open_with(f, "retention=0", "commit_interval=1h", &rc, &err);
    assert_int_equal(rc, 0);
    lmdb_store_t *st = f->s;
    st->commit_idle_us = 3600LL * 1000000;
    assert_int_equal(put(f->s, "/r/a", "1", 0), 1);
    assert_int_equal(put(f->s, "/r/b", "2", 0), 2);
    assert_int_equal(atomic_load(&st->committed_rev), 0);
    got_t g = { 0 };
    st->test_fail_apply = 1;
    skiff_store_op_t op = { SKIFF_STORE_OP_PUT, "/r/c", 4, "3", 1, 0 };
    skiff_store_txn_res_t res;
    assert_int_equal(ops->txn(f->s, NULL, 0, &op, 1, &res, &err), SKIFF_E_NOSPACE);
    /* a round whose fdatasync fails: cut from the log, gone from LMDB and
     * the overlay, the store goes on */
    st->test_fail_sync = 1;
    skiff_store_op_t op2 = { SKIFF_STORE_OP_PUT, "/r/e", 4, "5", 1, 0 };
    assert_int_not_equal(ops->txn(f->s, NULL, 0, &op2, 1, &res, &err), 0);
    assert_int_equal(ops->get(f->s, "/r/e", 4, 0, collect, &g, &err), SKIFF_E_NOTFOUND);
    assert_int_equal(ops->get(f->s, "/r/b", 4, 0, collect, &g, &err), 0);
    assert_string_equal(g.vals[0], "2");
    assert_int_equal(ops->get(f->s, "/r/c", 4, 0, collect, &g, &err), SKIFF_E_NOTFOUND);
    /* the next write numbers on from the rebuilt state */
    assert_int_equal(put(f->s, "/r/d", "4", 0), 3);
    memset(&g, 0, sizeof g);
    skiff_store_range_req_t q = { .key = "/r/", .key_len = 3, .prefix = 1 };
    skiff_store_range_res_t rr;
    assert_int_equal(ops->range(f->s, &q, collect, &g, &rr, &err), 0);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.keys[2], "/r/d");
    assert_int_equal(rr.rev, 3);
    assert_int_equal(atomic_load(&st->committed_rev), 3);
    cl_instance_free(f->s);
    f->s = open_with(f, "retention=0", NULL, &rc, &err);
    assert_int_equal(rc, 0);
    int64_t cur = 0;
    assert_int_equal(ops->revision(f->s, &cur, NULL, &err), 0);
    assert_int_equal(cur, 3);
    memset(&g, 0, sizeof g);
    assert_int_equal(ops->range(f->s, &q, collect, &g, &rr, &err), 0);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.vals[1], "2");
}

static void test_compact(void **state)
{
    fx_t *f = *state;
    put(f->s, "c", "1", 0); /* 1 */
    put(f->s, "c", "2", 0); /* 2 */
    put(f->s, "d", "1", 0); /* 3 */
    del(f->s, "d");         /* 4 */
    put(f->s, "c", "3", 0); /* 5 */
    put(f->s, "e", "1", 0); /* 6 */
    skiff_error_t err = { 0 };
    assert_int_equal(ops->compact(f->s, 4, &err), 0);
    assert_int_equal(ops->compact(f->s, 99, &err), SKIFF_E_FUTURE_REV);
    got_t g = { 0 };
    assert_int_equal(ops->get(f->s, "c", 1, 3, collect, &g, &err), SKIFF_E_COMPACTED);
    usleep(100000); /* let the purge run */
    assert_int_equal(ops->get(f->s, "c", 1, 4, collect, &g, &err), 0);
    assert_string_equal(g.vals[0], "2");
    assert_int_equal(ops->get(f->s, "d", 1, 4, collect, &g, &err), SKIFF_E_NOTFOUND);
    memset(&g, 0, sizeof g);
    skiff_store_range_req_t q = { .key = "", .prefix = 1, .rev = 4 };
    skiff_store_range_res_t res;
    assert_int_equal(ops->range(f->s, &q, collect, &g, &res, &err), 0);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.keys[0], "c");
    int64_t comp;
    ops->revision(f->s, NULL, &comp, &err);
    assert_int_equal(comp, 4);
}

static void test_leases(void **state)
{
    fx_t *f = *state;
    skiff_error_t err = { 0 };
    int64_t id, id2;
    assert_int_equal(ops->lease_grant(f->s, 150, &id, &err), 0);
    assert_int_equal(ops->lease_grant(f->s, 60000, &id2, &err), 0);
    assert_true(id != id2);
    assert_int_equal(put(f->s, "l1", "x", id), 1);
    assert_int_equal(put(f->s, "l2", "x", id), 2);
    assert_int_equal(put(f->s, "l3", "x", id2), 3);
    assert_int_equal(put(f->s, "bad", "x", 987654), SKIFF_E_NOLEASE);
    got_t g = { 0 };
    assert_int_equal(ops->get(f->s, "l1", 2, 0, collect, &g, &err), 0);
    assert_int_equal(g.kv[0].lease, id);
    assert_int_equal(ops->lease_keepalive(f->s, id, &err), 0);
    usleep(400000);
    assert_int_equal(ops->get(f->s, "l1", 2, 0, collect, &g, &err), SKIFF_E_NOTFOUND);
    assert_int_equal(ops->get(f->s, "l2", 2, 0, collect, &g, &err), SKIFF_E_NOTFOUND);
    int64_t cur;
    ops->revision(f->s, &cur, NULL, &err);
    assert_int_equal(cur, 4); /* both keys deleted in one revision */
    assert_int_equal(ops->lease_keepalive(f->s, id, &err), SKIFF_E_NOLEASE);
    assert_int_equal(ops->lease_revoke(f->s, id2, &err), 0);
    assert_int_equal(ops->get(f->s, "l3", 2, 0, collect, &g, &err), SKIFF_E_NOTFOUND);
    assert_int_equal(ops->lease_revoke(f->s, id2, &err), SKIFF_E_NOLEASE);
}

static void test_reopen_lock_corrupt(void **state)
{
    fx_t *f = *state;
    put(f->s, "p", "persist", 0);
    int64_t lid;
    skiff_error_t err = { 0 };
    assert_int_equal(ops->lease_grant(f->s, 60000, &lid, &err), 0);
    /* a second instance on the same directory is refused */
    int rc;
    void *s2 = open_with(f, NULL, NULL, &rc, &err);
    assert_null(s2);
    assert_int_equal(rc, SKIFF_E_LOCKED);
    assert_non_null(strstr(err.msg, "in use by another skiff process"));
    assert_non_null(strstr(err.msg, f->dir));
    cl_instance_free(f->s);
    f->s = open_with(f, NULL, NULL, &rc, &err);
    assert_int_equal(rc, 0);
    got_t g = { 0 };
    assert_int_equal(ops->get(f->s, "p", 1, 0, collect, &g, &err), 0);
    assert_string_equal(g.vals[0], "persist");
    assert_int_equal(put(f->s, "q", "2", lid), 2); /* the lease survived */
    cl_instance_free(f->s);
    f->s = NULL;
    /* A damaged header of the data file is repaired from the write-ahead
     * log's checkpoint copy; a damaged log header is reported by path. */
    char file[128], walglob[160], wal[256] = "";
    snprintf(file, sizeof file, "%s/data/data.mdb", f->dir);
    char junk[8192];
    memset(junk, 0x5a, sizeof junk);
    int fd = open(file, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, junk, sizeof junk, 0), (ssize_t)sizeof junk);
    close(fd);
    f->s = open_with(f, NULL, NULL, &rc, &err);
    assert_int_equal(rc, 0);
    memset(&g, 0, sizeof g);
    assert_int_equal(ops->get(f->s, "q", 1, 0, collect, &g, &err), 0);
    cl_instance_free(f->s);
    f->s = NULL;
    snprintf(walglob, sizeof walglob, "ls %s/data/wal-*.log", f->dir);
    FILE *ls = popen(walglob, "r");
    assert_non_null(ls);
    assert_non_null(fgets(wal, sizeof wal, ls));
    pclose(ls);
    wal[strcspn(wal, "\n")] = 0;
    fd = open(wal, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, junk, 64, 0), 64);
    close(fd);
    s2 = open_with(f, NULL, NULL, &rc, &err);
    assert_null(s2);
    assert_int_equal(rc, SKIFF_E_CORRUPT);
    assert_non_null(strstr(err.msg, wal));
    /* without a log, a damaged data file header is reported by path */
    assert_int_equal(unlink(wal), 0);
    fd = open(file, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, junk, sizeof junk, 0), (ssize_t)sizeof junk);
    close(fd);
    s2 = open_with(f, NULL, NULL, &rc, &err);
    assert_null(s2);
    assert_int_equal(rc, SKIFF_E_CORRUPT);
    assert_non_null(strstr(err.msg, file));
    /* truncated */
    assert_int_equal(truncate(file, 100), 0);
    s2 = open_with(f, NULL, NULL, &rc, &err);
    assert_int_equal(rc, SKIFF_E_CORRUPT);
    assert_non_null(strstr(err.msg, file));
    /* teardown needs an instance: start afresh */
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s/data", f->dir);
    assert_int_equal(system(cmd), 0);
    f->s = open_with(f, NULL, NULL, &rc, &err);
    assert_int_equal(rc, 0);
}

static void test_map_full(void **state)
{
    fx_t *f = *state;
    cl_instance_free(f->s);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s/data", f->dir);
    assert_int_equal(system(cmd), 0);
    int rc;
    skiff_error_t err = { 0 };
    f->s = open_with(f, "map_size=1Mi", "retention=0", &rc, &err);
    assert_int_equal(rc, 0);
    static char val[8000];
    memset(val, 'v', sizeof val);
    int acked = 0, nospace = 0;
    for (int i = 0; i < 400; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%04d", i);
        skiff_store_op_t op = { SKIFF_STORE_OP_PUT, k, strlen(k), val, sizeof val, 0 };
        skiff_store_txn_res_t res;
        rc = ops->txn(f->s, NULL, 0, &op, 1, &res, &err);
        if (rc == SKIFF_E_NOSPACE) { nospace = 1; break; }
        assert_int_equal(rc, 0);
        acked++;
    }
    assert_true(nospace);
    assert_non_null(strstr(err.msg, "data.mdb"));
    assert_true(acked > 10);
    /* everything acknowledged is still there, also after a reopen */
    for (int pass = 0; pass < 2; pass++) {
        skiff_store_range_req_t q = { .key = "k", .key_len = 1, .prefix = 1, .count_only = 1 };
        skiff_store_range_res_t res;
        assert_int_equal(ops->range(f->s, &q, NULL, NULL, &res, &err), 0);
        assert_int_equal(res.count, acked);
        int64_t cur;
        ops->revision(f->s, &cur, NULL, &err);
        assert_int_equal(cur, acked);
        cl_instance_free(f->s);
        f->s = open_with(f, "map_size=1Mi", "retention=0", &rc, &err);
        assert_int_equal(rc, 0);
    }
    /* after compaction frees history, writes go through again */
    assert_int_equal(del(f->s, "k0000"), acked + 1);
}

typedef struct conc { void *s; int id; int fails; } conc_t;

static void *conc_main(void *arg)
{
    conc_t *c = arg;
    for (int i = 0; i < 100; i++) {
        char k[32];
        snprintf(k, sizeof k, "t%d/%d", c->id, i);
        if (put(c->s, k, "v", 0) <= 0) c->fails++;
    }
    return NULL;
}

static void test_concurrent_writers(void **state)
{
    fx_t *f = *state;
    pthread_t th[8];
    conc_t c[8];
    for (int i = 0; i < 8; i++) {
        c[i] = (conc_t){ f->s, i, 0 };
        pthread_create(&th[i], NULL, conc_main, &c[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(c[i].fails, 0);
    }
    int64_t cur;
    skiff_error_t err = { 0 };
    ops->revision(f->s, &cur, NULL, &err);
    assert_int_equal(cur, 800);
    skiff_store_range_req_t q = { .key = "t", .key_len = 1, .prefix = 1, .count_only = 1 };
    skiff_store_range_res_t res;
    assert_int_equal(ops->range(f->s, &q, NULL, NULL, &res, &err), 0);
    assert_int_equal(res.count, 800);
}

static void test_retention(void **state)
{
    fx_t *f = *state;
    cl_instance_free(f->s);
    int rc;
    skiff_error_t err = { 0 };
    f->s = open_with(f, "retention_revisions=10", "compact_interval=20ms", &rc, &err);
    assert_int_equal(rc, 0);
    for (int i = 0; i < 50; i++) put(f->s, "r", "v", 0);
    usleep(300000);
    int64_t cur, comp;
    ops->revision(f->s, &cur, &comp, &err);
    assert_int_equal(cur, 50);
    assert_int_equal(comp, 40);
    got_t g = { 0 };
    assert_int_equal(ops->get(f->s, "r", 1, 39, collect, &g, &err), SKIFF_E_COMPACTED);
    assert_int_equal(ops->get(f->s, "r", 1, 40, collect, &g, &err), 0);
    assert_int_equal(g.kv[0].mod_rev, 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_get_revisions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_txn_compares, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_range_limit_old_rev, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deferred_overlay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rebuild_after_failed_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_lock_corrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
