/* core/store/fanout over the real memory store plugin, loaded the way the
 * daemon loads it (core/plugin registry + instance). The store's own watch
 * is the reference: every fan-out subscriber must see exactly what a direct
 * store watch from the same revision sees.
 *
 * Finds the plugin at $SKIFF_PLUGINS/store/memory.so (tests/run.sh sets it),
 * else build/plugins/store/memory.so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <stdatomic.h>

#include <cmocka.h>

#include "plugin/plugin.h"
#include "store/fanout.h"

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

typedef struct env {
    skiff_bus_t *bus;
    skiff_registry_t *reg;
    skiff_instance_t *inst;
    const skiff_store_ops_t *ops;
    void *self;
} env_t;

static int setup(void **state)
{
    env_t *e = calloc(1, sizeof *e);
    skiff_error_t err = { 0 };
    const char *dir = getenv("SKIFF_PLUGINS");
    char path[4096];
    snprintf(path, sizeof path, "%s/store/memory.so", dir && *dir ? dir : "build/plugins");
    if (skiff_bus_new(&e->bus, &err) < 0 || skiff_registry_new(&e->reg, &err) < 0 ||
        skiff_registry_load_file(e->reg, path, &err) < 0) {
        print_error("loading %s: %s\n", path, err.msg);
        return -1;
    }
    const skiff_plugin_t *desc = skiff_registry_find(e->reg, SKIFF_KIND_STORE, "memory");
    if (!desc || skiff_instance_new(desc, "mem", NULL, e->bus, &e->inst, &err) < 0 ||
        skiff_instance_start(e->inst, &err) < 0) {
        print_error("memory store instance: %s\n", err.msg);
        return -1;
    }
    e->ops = skiff_instance_ops(e->inst);
    e->self = skiff_instance_self(e->inst);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    env_t *e = *state;
    skiff_instance_free(e->inst);
    skiff_registry_free(e->reg);
    skiff_bus_free(e->bus);
    free(e);
    return 0;
}

/* ---- a recorder usable both as a store watch and a fan-out callback ---- */

typedef struct got {
    int64_t rev;
    int type;
    int has_prev;
    char key[48];
    char val[48];
    char pval[48];
} got_t;

typedef struct rec {
    pthread_mutex_t mu;
    got_t ev[4096];
    long n;
    atomic_long count;
    atomic_int final_code;
} rec_t;

static rec_t *rec_new(void)
{
    rec_t *r = calloc(1, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    return r;
}

static void rec_cb(void *ud, const skiff_store_event_t *ev, const skiff_error_t *err)
{
    rec_t *r = ud;
    if (err) {
        atomic_store(&r->final_code, err->code);
        return;
    }
    pthread_mutex_lock(&r->mu);
    if (r->n < (long)(sizeof r->ev / sizeof r->ev[0])) {
        got_t *g = &r->ev[r->n++];
        g->rev = ev->kv.mod_rev;
        g->type = ev->type;
        g->has_prev = ev->has_prev;
        snprintf(g->key, sizeof g->key, "%.*s", (int)ev->kv.key_len, ev->kv.key);
        snprintf(g->val, sizeof g->val, "%.*s", (int)ev->kv.value_len, ev->kv.value ? (const char *)ev->kv.value : "");
        if (ev->has_prev)
            snprintf(g->pval, sizeof g->pval, "%.*s", (int)ev->prev.value_len,
                     ev->prev.value ? (const char *)ev->prev.value : "");
    }
    pthread_mutex_unlock(&r->mu);
    atomic_fetch_add(&r->count, 1);
}

static int wait_count(rec_t *r, long want)
{
    for (int i = 0; i < 10000; i++) {
        if (atomic_load(&r->count) >= want)
            return 1;
        sleep_ms(1);
    }
    return 0;
}

static void same_stream(rec_t *want, rec_t *got, const char *who)
{
    pthread_mutex_lock(&want->mu);
    pthread_mutex_lock(&got->mu);
    if (want->n != got->n)
        fail_msg("%s: %ld events, the store's own watch saw %ld", who, got->n, want->n);
    for (long k = 0; k < want->n; k++)
        if (memcmp(&want->ev[k], &got->ev[k], sizeof want->ev[k]) != 0)
            fail_msg("%s: event %ld differs: rev %lld %s=%s (store: rev %lld %s=%s)", who, k,
                     (long long)got->ev[k].rev, got->ev[k].key, got->ev[k].val, (long long)want->ev[k].rev,
                     want->ev[k].key, want->ev[k].val);
    pthread_mutex_unlock(&got->mu);
    pthread_mutex_unlock(&want->mu);
}

/* ---- writes ------------------------------------------------------------ */

static int64_t put(env_t *e, const char *key, const char *val)
{
    skiff_store_op_t op = { SKIFF_STORE_OP_PUT, key, strlen(key), val, strlen(val), 0 };
    skiff_store_txn_res_t res;
    skiff_error_t err = { 0 };
    if (e->ops->txn(e->self, NULL, 0, &op, 1, &res, &err) < 0)
        fail_msg("put %s: %s", key, err.msg);
    return res.rev;
}

static int64_t put2_del(env_t *e, const char *k1, const char *k2, const char *kdel, const char *val)
{
    skiff_store_op_t ops[3] = {
        { SKIFF_STORE_OP_PUT, k1, strlen(k1), val, strlen(val), 0 },
        { SKIFF_STORE_OP_PUT, k2, strlen(k2), val, strlen(val), 0 },
        { SKIFF_STORE_OP_DELETE, kdel, strlen(kdel), NULL, 0, 0 },
    };
    skiff_store_txn_res_t res;
    skiff_error_t err = { 0 };
    if (e->ops->txn(e->self, NULL, 0, ops, 3, &res, &err) < 0)
        fail_msg("txn: %s", err.msg);
    return res.rev;
}

/* ---------------------------------------------------------------------- */

static void test_memstore_streams_match_direct_watch(void **state)
{
    env_t *e = *state;
    enum { SUBS = 8, N = 300 };
    skiff_error_t err = { 0 };
    put(e, "/registry/pods/old", "x"); /* before the fan-out */
    put(e, "/registry/nodes/n1", "x");

    /* The store's hub hands over up to 512 events at once: the window must
     * hold a burst, or subscribers fall out of it before their turn. */
    skiff_fanout_opts_t o = { sizeof o, 2048, 0 };
    skiff_fanout_t *f = NULL;
    assert_int_equal(skiff_fanout_new(e->bus, e->ops, e->self, "/registry/pods/", 15, 0, &o, &f, &err), 0);
    skiff_fanout_stats_t st;
    skiff_fanout_stats(f, &st);
    int64_t start = st.start_rev;
    assert_int_equal(start, 3); /* the store was at 2 */

    /* Reference: the store's own watch from the same revision. */
    rec_t *ref = rec_new();
    skiff_store_watch_t *w = NULL;
    assert_int_equal(e->ops->watch(e->self, "/registry/pods/", 15, start, rec_cb, ref, &w, &err), 0);
    rec_t *r[SUBS];
    skiff_fanout_sub_t *s[SUBS];
    for (int i = 0; i < SUBS; i++) {
        r[i] = rec_new();
        assert_int_equal(skiff_fanout_subscribe(f, 0, rec_cb, r[i], NULL, &s[i], &err), 0);
    }
    long events = 0;
    int64_t mid_rev = 0;
    for (int v = 0; v < N; v++) {
        char key[48], k2[48], val[32];
        snprintf(key, sizeof key, "/registry/pods/p%d", v % 23);
        snprintf(val, sizeof val, "v%d", v);
        if (v % 10 == 9) {
            char kd[48];
            snprintf(k2, sizeof k2, "/registry/pods/q%d", v % 7);
            snprintf(kd, sizeof kd, "/registry/pods/p%d", (v + 1) % 23);
            put2_del(e, key, k2, kd, val); /* several events in one revision */
        } else {
            int64_t rev = put(e, key, val);
            if (v == N / 2)
                mid_rev = rev;
        }
        put(e, "/registry/nodes/n1", val); /* outside the prefix */
    }
    /* Wait for the reference stream to be complete, then for everyone. */
    int64_t cur = 0;
    assert_int_equal(e->ops->revision(e->self, &cur, NULL, &err), 0);
    for (int i = 0; i < 10000; i++) {
        pthread_mutex_lock(&ref->mu);
        int64_t last = ref->n ? ref->ev[ref->n - 1].rev : 0;
        pthread_mutex_unlock(&ref->mu);
        if (last >= cur - 1) /* the last write is outside the prefix */
            break;
        sleep_ms(1);
    }
    events = atomic_load(&ref->count);
    assert_true(events >= N);
    for (int i = 0; i < SUBS; i++) {
        if (!wait_count(r[i], events))
            fail_msg("subscriber %d: %ld of %ld events, final code %d", i, atomic_load(&r[i]->count), events,
                     atomic_load(&r[i]->final_code));
        same_stream(ref, r[i], "fan-out subscriber");
    }

    /* A late joiner inside the window resumes exactly like a direct watch. */
    skiff_fanout_stats(f, &st);
    assert_true(st.oldest_rev <= mid_rev);
    rec_t *late = rec_new(), *late_ref = rec_new();
    skiff_fanout_sub_t *ls;
    skiff_store_watch_t *lw;
    assert_int_equal(skiff_fanout_subscribe(f, mid_rev, rec_cb, late, NULL, &ls, &err), 0);
    assert_int_equal(e->ops->watch(e->self, "/registry/pods/", 15, mid_rev, rec_cb, late_ref, &lw, &err), 0);
    for (int i = 0; i < 10000; i++) {
        pthread_mutex_lock(&late_ref->mu);
        int64_t last = late_ref->n ? late_ref->ev[late_ref->n - 1].rev : 0;
        pthread_mutex_unlock(&late_ref->mu);
        if (last >= cur - 1)
            break;
        sleep_ms(1);
    }
    assert_true(wait_count(late, atomic_load(&late_ref->count)));
    sleep_ms(10);
    same_stream(late_ref, late, "late joiner");
    /* Older than what the fan-out holds: 410-style, the caller re-lists. */
    skiff_fanout_sub_t *gone = NULL;
    assert_int_equal(skiff_fanout_subscribe(f, start - 1, rec_cb, late, NULL, &gone, &err), SKIFF_E_COMPACTED);
    for (int i = 0; i < SUBS; i++)
        assert_int_equal(atomic_load(&r[i]->final_code), 0);

    e->ops->unwatch(e->self, w);
    e->ops->unwatch(e->self, lw);
    skiff_fanout_free(f);
    for (int i = 0; i < SUBS; i++)
        free(r[i]);
    free(ref);
    free(late);
    free(late_ref);
}

/* A fan-out asked to start below the store's compaction point gets the
 * store's SKIFF_E_COMPACTED (from watch() or its first callback). */
static void test_memstore_compacted_start(void **state)
{
    env_t *e = *state;
    skiff_error_t err = { 0 };
    int64_t rev = 0;
    for (int i = 0; i < 5; i++)
        rev = put(e, "/c/k", "v");
    assert_int_equal(e->ops->compact(e->self, rev, &err), 0);
    skiff_fanout_t *f = NULL;
    int rc = skiff_fanout_new(e->bus, e->ops, e->self, "/c/", 3, rev - 2, NULL, &f, &err);
    if (rc == 0) {
        /* The store reported it through the watch callback, later: every
         * subscriber then ends with it. */
        rec_t *r = rec_new();
        skiff_fanout_sub_t *s = NULL;
        rc = skiff_fanout_subscribe(f, 0, rec_cb, r, NULL, &s, &err);
        for (int i = 0; rc == 0 && i < 5000 && !atomic_load(&r->final_code); i++)
            sleep_ms(1);
        if (rc == 0)
            rc = atomic_load(&r->final_code);
        skiff_fanout_free(f);
        free(r);
    }
    assert_int_equal(rc, SKIFF_E_COMPACTED);
    /* From the compaction point itself it works. */
    assert_int_equal(skiff_fanout_new(e->bus, e->ops, e->self, "/c/", 3, rev, NULL, &f, &err), 0);
    rec_t *r = rec_new();
    skiff_fanout_sub_t *s;
    assert_int_equal(skiff_fanout_subscribe(f, rev, rec_cb, r, NULL, &s, &err), 0);
    assert_true(wait_count(r, 1));
    assert_int_equal(r->ev[0].rev, rev);
    skiff_fanout_free(f);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memstore_streams_match_direct_watch),
        cmocka_unit_test(test_memstore_compacted_start),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
