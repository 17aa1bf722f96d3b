/* Conformance: watch — events and prev values, ordering across many writers,
 * resume from a revision, compaction, unwatch (also from a callback), many
 * watchers. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "harness.h"

#define WAIT_MS 10000

static void watch_events(void **state)
{
    st_t *st = *state;
    put(st, "/e/old", "before"); /* 1: not replayed by a watch from now */
    wcol_t c;
    wcol_init(&c, st);
    watch(st, &c, "/e/", 0);

    skiff_store_op_t ops[3] = {
        { .kind = SKIFF_STORE_OP_PUT, .key = "/e/a", .key_len = 4, .value = "A", .value_len = 1 },
        { .kind = SKIFF_STORE_OP_PUT, .key = "/e/old", .key_len = 6, .value = "after", .value_len = 5 },
        { .kind = SKIFF_STORE_OP_PUT, .key = "/other", .key_len = 6, .value = "x", .value_len = 1 },
    };
    skiff_store_txn_res_t res;
    skiff_error_t err = { 0 };
    assert_int_equal(st->ops->txn(st->self, NULL, 0, ops, 3, &res, &err), 0);
    assert_int_equal(res.rev, 2);
    assert_int_equal(del(st, "/e/a", NULL), 3);

    assert_int_equal(wcol_wait(&c, 3, WAIT_MS), 3);
    sleep_ms(50);
    st->ops->unwatch(st->self, c.w);
    assert_int_equal(c.n, 3); /* /other is outside the prefix */
    assert_int_equal(c.ended, 0);
    /* both events of revision 2, together, then the delete */
    assert_int_equal(c.ev[0].mod_rev, 2);
    assert_int_equal(c.ev[1].mod_rev, 2);
    assert_int_equal(c.ev[0].type, SKIFF_STORE_EV_PUT);
    assert_string_equal(c.ev[0].key, "/e/a");
    assert_string_equal(c.ev[0].val, "A");
    assert_int_equal(c.ev[0].has_prev, 0);
    assert_int_equal(c.ev[0].create_rev, 2);
    assert_int_equal(c.ev[0].version, 1);
    assert_string_equal(c.ev[1].key, "/e/old");
    assert_int_equal(c.ev[1].has_prev, 1);
    assert_string_equal(c.ev[1].prev, "before");
    assert_int_equal(c.ev[1].prev_mod, 1);
    assert_int_equal(c.ev[1].version, 2);
    assert_int_equal(c.ev[2].type, SKIFF_STORE_EV_DELETE);
    assert_string_equal(c.ev[2].key, "/e/a");
    assert_int_equal(c.ev[2].mod_rev, 3);
    assert_int_equal(c.ev[2].has_prev, 1);
    assert_string_equal(c.ev[2].prev, "A");
    assert_int_equal(c.ev[2].prev_mod, 2);
    wcol_fini(&c);
}

/* ---- ordering across many writers ---------------------------------------------- */

#define WRITERS 8
#define PER_WRITER 250
#define KEYS_PER_WRITER 16

typedef struct writer {
    st_t *st;
    int id;
    int failures;
    int64_t revs; /* revisions this writer created */
} writer_t;

static void *writer_main(void *arg)
{
    writer_t *w = arg;
    for (int i = 0; i < PER_WRITER; i++) {
        char k[32], v[32];
        snprintf(k, sizeof k, "/w/%d/%d", w->id, i % KEYS_PER_WRITER);
        snprintf(v, sizeof v, "%d.%d", w->id, i);
        /* every 5th op deletes the key just written (so it exists) */
        skiff_store_op_t op = { .kind = i % 5 == 4 ? SKIFF_STORE_OP_DELETE : SKIFF_STORE_OP_PUT,
                                .key = k, .key_len = strlen(k), .value = v, .value_len = strlen(v) };
        if (i % 5 == 4)
            snprintf(k, sizeof k, "/w/%d/%d", w->id, (i - 1) % KEYS_PER_WRITER), op.key_len = strlen(k);
        skiff_store_txn_res_t res;
        skiff_error_t err = { 0 };
        if (w->st->ops->txn(w->st->self, NULL, 0, &op, 1, &res, &err) != 0 || !res.succeeded)
            w->failures++;
        else
            w->revs++;
    }
    return NULL;
}

/* Replays the stream against a model: revisions strictly increase, nothing is
 * missing, every prev value is the value the model holds for the key. */
static void check_stream(const wcol_t *c, size_t want, int64_t first_rev)
{
    char (*model)[64] = calloc(WRITERS * KEYS_PER_WRITER, 64);
    int64_t last = first_rev - 1;
    assert_int_equal(c->n, want);
    for (size_t i = 0; i < c->n; i++) {
        const wev_t *e = &c->ev[i];
        assert_int_equal(e->mod_rev, last + 1); /* one op per txn: dense revisions */
        last = e->mod_rev;
        int w, k;
        assert_int_equal(sscanf(e->key, "/w/%d/%d", &w, &k), 2);
        char *m = model[w * KEYS_PER_WRITER + k];
        if (m[0]) {
            assert_true(e->has_prev);
            assert_string_equal(e->prev, m);
        } else {
            assert_false(e->has_prev);
        }
        if (e->type == SKIFF_STORE_EV_PUT)
            snprintf(m, 64, "%s", e->val);
        else
            m[0] = '\0';
    }
    free(model);
}

/* WRITERS writers at once, each PER_WRITER txns under /w/<id>/; returns the
 * revisions they made together. */
static int64_t run_writers(st_t *st, writer_t *w)
{
    pthread_t t[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        w[i] = (writer_t){ .st = st, .id = i };
        pthread_create(&t[i], NULL, writer_main, &w[i]);
    }
    int64_t total = 0;
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].failures, 0);
        total += w[i].revs;
    }
    return total;
}

static void watch_many_writers(void **state)
{
    st_t *st = *state;
    wcol_t c[4];
    for (int i = 0; i < 4; i++) {
        wcol_init(&c[i], st);
        watch(st, &c[i], i == 3 ? "" : "/w/", i == 1 ? 1 : 0);
    }
    writer_t w[WRITERS];
    int64_t total = run_writers(st, w);
    assert_int_equal(cur_rev(st, NULL), total);
    for (int i = 0; i < 4; i++)
        assert_int_equal(wcol_wait(&c[i], (size_t)total, WAIT_MS), (size_t)total);
    sleep_ms(20);
    for (int i = 0; i < 4; i++) {
        st->ops->unwatch(st->self, c[i].w);
        check_stream(&c[i], (size_t)total, 1);
        wcol_fini(&c[i]);
    }
}

/* One watch per writer's prefix while all write at once: a store that
 * wakes only the watches a commit concerns (lmdb) must not move a watch
 * past events it was woken for but has not read yet. */
static void watch_prefixes_many_writers(void **state)
{
    st_t *st = *state;
    wcol_t c[WRITERS + 1];
    char prefix[WRITERS][16];
    for (int i = 0; i <= WRITERS; i++) {
        wcol_init(&c[i], st);
        if (i < WRITERS) snprintf(prefix[i], sizeof prefix[i], "/w/%d/", i);
        watch(st, &c[i], i < WRITERS ? prefix[i] : "", 0);
    }
    writer_t w[WRITERS];
    int64_t total = run_writers(st, w);
    for (int i = 0; i < WRITERS; i++)
        assert_int_equal(wcol_wait(&c[i], (size_t)w[i].revs, WAIT_MS), (size_t)w[i].revs);
    assert_int_equal(wcol_wait(&c[WRITERS], (size_t)total, WAIT_MS), (size_t)total);
    sleep_ms(20);
    for (int i = 0; i <= WRITERS; i++) {
        st->ops->unwatch(st->self, c[i].w);
        if (i < WRITERS) {
            assert_int_equal(c[i].n, (size_t)w[i].revs);
            for (size_t j = 0; j < c[i].n; j++) {
                assert_true(strncmp(c[i].ev[j].key, prefix[i], strlen(prefix[i])) == 0);
                if (j) assert_true(c[i].ev[j].mod_rev > c[i].ev[j - 1].mod_rev);
            }
        } else {
            check_stream(&c[i], (size_t)total, 1);
        }
        wcol_fini(&c[i]);
    }
}

static void watch_resume(void **state)
{
    st_t *st = *state;
    for (int i = 1; i <= 100; i++) {
        char k[16], v[16];
        snprintf(k, sizeof k, "k%d", i % 10);
        snprintf(v, sizeof v, "%d", i);
        assert_int_equal(put(st, k, v), i);
    }
    wcol_t c;
    wcol_init(&c, st);
    watch(st, &c, "", 50);
    assert_int_equal(wcol_wait(&c, 51, WAIT_MS), 51);
    sleep_ms(30);
    assert_int_equal(c.n, 51); /* exactly the events >= 50 */
    for (int i = 0; i < 51; i++) {
        assert_int_equal(c.ev[i].mod_rev, 50 + i);
        char v[16];
        snprintf(v, sizeof v, "%d", 50 + i);
        assert_string_equal(c.ev[i].val, v);
        assert_true(c.ev[i].has_prev);
        assert_int_equal(c.ev[i].prev_mod, 40 + i);
    }
    /* then live events follow */
    assert_int_equal(put(st, "k1", "live"), 101);
    assert_int_equal(wcol_wait(&c, 52, WAIT_MS), 52);
    assert_int_equal(c.ev[51].mod_rev, 101);
    st->ops->unwatch(st->self, c.w);
    wcol_fini(&c);

    /* from a future revision: nothing until it is written */
    wcol_init(&c, st);
    watch(st, &c, "", 103);
    put(st, "k2", "102");
    sleep_ms(30);
    assert_int_equal(wcol_n(&c), 0);
    put(st, "k3", "103");
    assert_int_equal(wcol_wait(&c, 1, WAIT_MS), 1);
    assert_int_equal(c.ev[0].mod_rev, 103);
    st->ops->unwatch(st->self, c.w);
    wcol_fini(&c);
}

static void watch_compacted(void **state)
{
    st_t *st = *state;
    skiff_error_t err = { 0 };
    for (int i = 1; i <= 20; i++)
        put(st, i % 2 ? "a" : "b", "v");
    assert_int_equal(st->ops->compact(st->self, 10, &err), 0);

    wcol_t c;
    wcol_init(&c, st);
    watch(st, &c, "", 9);
    assert_true(wcol_wait_end(&c, WAIT_MS));
    assert_int_equal(c.err_code, SKIFF_E_COMPACTED);
    assert_true(c.err_msg[0] != '\0');
    assert_int_equal(wcol_n(&c), 0);
    int ends = wcol_ended(&c);
    put(st, "a", "after");
    sleep_ms(30);
    assert_int_equal(wcol_ended(&c), ends); /* no call after the final error */
    assert_int_equal(wcol_n(&c), 0);
    st->ops->unwatch(st->self, c.w);
    wcol_fini(&c);

    wcol_init(&c, st);
    watch(st, &c, "", 10); /* the compaction point itself is still there */
    assert_int_equal(wcol_wait(&c, 12, WAIT_MS), 12);
    assert_int_equal(c.ev[0].mod_rev, 10);
    assert_int_equal(c.ev[11].mod_rev, 21);
    assert_int_equal(c.ended, 0);
    st->ops->unwatch(st->self, c.w);
    wcol_fini(&c);
}

/* A watcher stuck in its callback while history is compacted past it ends
 * with SKIFF_E_COMPACTED (or, if the plugin had already buffered them, gets
 * every event): never a gap, never a reordering. */
static void watch_slow_cut_off(void **state)
{
    st_t *st = *state;
    skiff_error_t err = { 0 };
    wcol_t c;
    wcol_init(&c, st);
    c.block_first = 1;
    watch(st, &c, "", 0);
    put(st, "s", "0"); /* 1 */
    pthread_mutex_lock(&c.mu);
    while (!c.entered)
        pthread_cond_wait(&c.cv, &c.mu);
    pthread_mutex_unlock(&c.mu);
    for (int i = 1; i <= 200; i++)
        put(st, "s", "n");
    int64_t head = cur_rev(st, NULL);
    assert_int_equal(st->ops->compact(st->self, head, &err), 0);
    pthread_mutex_lock(&c.mu);
    c.released = 1;
    pthread_cond_broadcast(&c.cv);
    pthread_mutex_unlock(&c.mu);

    int64_t deadline = now_ns() + (int64_t)WAIT_MS * 1000000;
    while (!wcol_ended(&c) && wcol_n(&c) < (size_t)head && now_ns() < deadline)
        sleep_ms(1);
    sleep_ms(20);
    st->ops->unwatch(st->self, c.w);
    assert_true(c.n >= 1);
    for (size_t i = 0; i < c.n; i++)
        assert_int_equal(c.ev[i].mod_rev, (int64_t)i + 1);
    if (c.ended) {
        assert_int_equal(c.err_code, SKIFF_E_COMPACTED);
        fprintf(stderr, "# slow watcher: %zu events, then cut off: %s\n", c.n, c.err_msg);
    } else {
        assert_int_equal(c.n, (size_t)head);
        fprintf(stderr, "# slow watcher: got all %zu events (buffered before compaction)\n", c.n);
    }
    wcol_fini(&c);
}

static void unwatch_in_callback(void **state)
{
    st_t *st = *state;
    wcol_t self_cancel, other;
    wcol_init(&self_cancel, st);
    wcol_init(&other, st);
    self_cancel.unwatch_at = 3;
    watch(st, &self_cancel, "", 0);
    watch(st, &other, "", 0);
    for (int i = 0; i < 10; i++)
        put(st, "u", "v");
    assert_int_equal(wcol_wait(&other, 10, WAIT_MS), 10);
    sleep_ms(30);
    assert_int_equal(wcol_n(&self_cancel), 3); /* nothing after it unwatched itself */
    assert_int_equal(wcol_ended(&self_cancel), 0);
    for (int i = 0; i < 5; i++)
        put(st, "u", "w");
    assert_int_equal(wcol_wait(&other, 15, WAIT_MS), 15);
    assert_int_equal(wcol_n(&self_cancel), 3);
    st->ops->unwatch(st->self, other.w);
    st->ops->unwatch(st->self, NULL); /* NULL is fine */
    wcol_fini(&self_cancel);
    wcol_fini(&other);
}

typedef struct feeder {
    st_t *st;
    int stop; /* atomic */
    int writes;
} feeder_t;

static void *feeder_main(void *arg)
{
    feeder_t *f = arg;
    while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE) && f->writes < 100000) {
        skiff_store_op_t op = { .kind = SKIFF_STORE_OP_PUT, .key = "c", .key_len = 1, .value = "v", .value_len = 1 };
        skiff_store_txn_res_t res;
        skiff_error_t err = { 0 };
        if (f->st->ops->txn(f->st->self, NULL, 0, &op, 1, &res, &err) == 0)
            f->writes++;
    }
    return NULL;
}

/* unwatch from another thread while callbacks run and writes keep coming:
 * once it returns, no callback runs. */
static void unwatch_concurrent(void **state)
{
    st_t *st = *state;
    wcol_t c;
    wcol_init(&c, st);
    c.slow_us = 1000;
    watch(st, &c, "", 0);
    feeder_t f = { .st = st };
    pthread_t t;
    pthread_create(&t, NULL, feeder_main, &f);
    size_t got = wcol_wait(&c, 5, WAIT_MS); /* callbacks are running now */
    st->ops->unwatch(st->self, c.w);
    __atomic_store_n(&c.after_unwatch, 1, __ATOMIC_RELEASE);
    size_t n = wcol_n(&c);
    sleep_ms(50);
    __atomic_store_n(&f.stop, 1, __ATOMIC_RELEASE);
    pthread_join(t, NULL);
    assert_true(got >= 5);
    assert_int_equal(__atomic_load_n(&c.violations, __ATOMIC_ACQUIRE), 0); /* no callback after unwatch returned */
    assert_int_equal(wcol_n(&c), n);
    assert_true((int64_t)n < cur_rev(st, NULL)); /* it was cut mid-stream */
    wcol_fini(&c);
}

#define NWATCH 100

static void many_watchers(void **state)
{
    st_t *st = *state;
    wcol_t *c = calloc(NWATCH + 5, sizeof *c);
    char prefix[32];
    for (int i = 0; i < NWATCH + 5; i++) {
        wcol_init(&c[i], st);
        snprintf(prefix, sizeof prefix, "/m/%d/", i);
        watch(st, &c[i], i < NWATCH ? prefix : "", 0);
    }
    unsigned seed = 3;
    int count[NWATCH] = { 0 };
    for (int n = 0; n < NWATCH * 5; n++) {
        int i;
        do
            i = (int)(rand_r(&seed) % NWATCH);
        while (count[i] == 5);
        char k[32];
        snprintf(k, sizeof k, "/m/%d/%d", i, count[i]++);
        put(st, k, "v");
    }
    for (int i = 0; i < NWATCH + 5; i++) {
        size_t want = i < NWATCH ? 5 : NWATCH * 5;
        assert_int_equal(wcol_wait(&c[i], want, WAIT_MS), want);
    }
    sleep_ms(30);
    for (int i = 0; i < NWATCH + 5; i++) {
        st->ops->unwatch(st->self, c[i].w);
        if (i < NWATCH) {
            assert_int_equal(c[i].n, 5);
            snprintf(prefix, sizeof prefix, "/m/%d/", i);
            for (int j = 0; j < 5; j++) {
                assert_true(strncmp(c[i].ev[j].key, prefix, strlen(prefix)) == 0);
                if (j)
                    assert_true(c[i].ev[j].mod_rev > c[i].ev[j - 1].mod_rev);
            }
        } else {
            assert_int_equal(c[i].n, NWATCH * 5);
        }
        wcol_fini(&c[i]);
    }
    free(c);
}


/* ---- multi-op txns from many writers: a revision's events arrive together ---- */

typedef struct grouper {
    st_t *st;
    int id;
    int failures;
} grouper_t;

static void *grouper_main(void *arg)
{
    grouper_t *g = arg;
    for (int i = 0; i < 100; i++) {
        char k[3][32];
        skiff_store_op_t ops[3];
        for (int j = 0; j < 3; j++) {
            snprintf(k[j], sizeof k[j], "/g/%d/%d/%d", g->id, i % 7, j);
            ops[j] = (skiff_store_op_t){ .kind = SKIFF_STORE_OP_PUT, .key = k[j], .key_len = strlen(k[j]),
                                         .value = k[j], .value_len = strlen(k[j]) };
        }
        skiff_store_txn_res_t res;
        skiff_error_t err = { 0 };
        if (g->st->ops->txn(g->st->self, NULL, 0, ops, 3, &res, &err) != 0 || !res.succeeded)
            g->failures++;
    }
    return NULL;
}

static void watch_txn_groups(void **state)
{
    st_t *st = *state;
    wcol_t c;
    wcol_init(&c, st);
    watch(st, &c, "/g/", 0);
    grouper_t g[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        g[i] = (grouper_t){ .st = st, .id = i };
        pthread_create(&t[i], NULL, grouper_main, &g[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(g[i].failures, 0);
    }
    assert_int_equal(cur_rev(st, NULL), 400);
    assert_int_equal(wcol_wait(&c, 1200, WAIT_MS), 1200);
    st->ops->unwatch(st->self, c.w);
    for (size_t i = 0; i < 1200; i += 3) {
        int64_t rev = c.ev[i].mod_rev;
        assert_int_equal(rev, (int64_t)(i / 3) + 1);
        int w, n;
        assert_int_equal(sscanf(c.ev[i].key, "/g/%d/%d/", &w, &n), 2);
        for (int j = 0; j < 3; j++) {
            char want[32];
            snprintf(want, sizeof want, "/g/%d/%d/%d", w, n, j);
            assert_int_equal(c.ev[i + j].mod_rev, rev); /* together, in op order */
            assert_string_equal(c.ev[i + j].key, want);
        }
    }
    wcol_fini(&c);
}

/* ---- compaction racing writers, readers and watchers ---------------------------- */

typedef struct crun {
    st_t *st;
    int stop; /* atomic */
    int failures;
} crun_t;

static void *cwriter_main(void *arg)
{
    crun_t *r = arg;
    for (int i = 0; !__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE); i++) {
        char k[32];
        snprintf(k, sizeof k, "/c/%d", i % 40);
        skiff_store_op_t op = { .kind = SKIFF_STORE_OP_PUT, .key = k, .key_len = strlen(k), .value = k,
                                .value_len = strlen(k) };
        skiff_store_txn_res_t res;
        skiff_error_t err = { 0 };
        if (r->st->ops->txn(r->st->self, NULL, 0, &op, 1, &res, &err) != 0)
            __atomic_add_fetch(&r->failures, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static int count_cb(void *ud, const skiff_store_kv_t *kv)
{
    (*(int *)ud)++;
    return 0;
}

static void compaction_under_load(void **state)
{
    st_t *st = *state;
    crun_t r = { .st = st };
    wcol_t c;
    wcol_init(&c, st);
    watch(st, &c, "/c/", 1);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, cwriter_main, &r);
    /* No asserts while the writers run (a failing assert would close the
     * store under them): note the first problem, assert after the join. */
    int compactions = 0, old_reads = 0, compacted_reads = 0;
    char problem[SKIFF_ERROR_MSG_MAX + 128] = "";
    int64_t deadline = now_ns() + 600 * 1000000ll;
    while (now_ns() < deadline && !problem[0]) {
        int64_t cur = cur_rev(st, NULL), comp;
        skiff_error_t err = { 0 };
        if (cur > 100) {
            int rc = st->ops->compact(st->self, cur - 50, &err);
            if (rc == 0)
                compactions++;
            else if (rc != SKIFF_E_COMPACTED) /* a concurrent automatic compaction may pass us */
                snprintf(problem, sizeof problem, "compact(%lld): %d %s", (long long)(cur - 50), rc, err.msg);
        }
        cur_rev(st, &comp);
        /* a read below the compaction point is refused; at it, all 40 keys are there */
        int n = 0;
        skiff_store_range_req_t req = { .key = "/c/", .key_len = 3, .prefix = 1, .rev = comp > 1 ? comp - 1 : 0 };
        skiff_store_range_res_t res;
        int rc = st->ops->range(st->self, &req, count_cb, &n, &res, &err);
        if (rc == SKIFF_E_COMPACTED)
            compacted_reads++;
        else if (rc == 0)
            old_reads++;
        else
            snprintf(problem, sizeof problem, "range at %lld: %d %s", (long long)req.rev, rc, err.msg);
        n = 0;
        req.rev = comp;
        rc = comp > 0 ? st->ops->range(st->self, &req, count_cb, &n, &res, &err) : 0;
        if (rc != 0 && rc != SKIFF_E_COMPACTED) /* compaction may move on between the two calls */
            snprintf(problem, sizeof problem, "range at the compaction point %lld: %d %s",
                     (long long)comp, rc, err.msg);
        else if (rc == 0 && comp > 80 && n != 40) /* two writers cycle 40 keys */
            snprintf(problem, sizeof problem, "range at %lld saw %d keys, not 40", (long long)comp, n);
        sleep_ms(5);
    }
    __atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    sleep_ms(50);
    st->ops->unwatch(st->self, c.w); /* before any assert: c lives on this stack */
    if (problem[0])
        fprintf(stderr, "# %s\n", problem);
    assert_string_equal(problem, "");
    assert_int_equal(r.failures, 0);
    /* the watcher saw a gap-free prefix of history, then (maybe) the cut-off */
    for (size_t i = 0; i < c.n; i++)
        assert_int_equal(c.ev[i].mod_rev, (int64_t)i + 1);
    if (c.ended)
        assert_int_equal(c.err_code, SKIFF_E_COMPACTED);
    fprintf(stderr, "# %d compactions under load, %d reads below the point refused, %d old reads; watcher: %zu events%s\n",
            compactions, compacted_reads, old_reads, c.n, c.ended ? ", then cut off" : "");
    assert_true(compactions >= 3);
    assert_true(compacted_reads > 0);
    wcol_fini(&c);
}

const struct CMUnitTest store_watch_cases[] = {
    CASE(watch_events),      CASE(watch_many_writers), CASE(watch_prefixes_many_writers), CASE(watch_resume),
    CASE(watch_compacted),   CASE(watch_slow_cut_off), CASE(unwatch_in_callback),
    CASE(unwatch_concurrent), CASE(many_watchers),     CASE(watch_txn_groups),
    CASE(compaction_under_load),
};
const size_t store_watch_ncases = sizeof store_watch_cases / sizeof store_watch_cases[0];
