/* Tests for core/store/fanout against a tiny in-memory fake store that
 * emits watch events when the test says so. */
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

#include "store/fanout.h"

static atomic_int violations; /* seen on bus threads, checked on ours */

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* ---- the fake store ----------------------------------------------------
 * An event log (every write ever, in order) and a list of watchers. Writes
 * call matching watchers synchronously; watch() replays the log first. */

typedef struct fake_ev {
    skiff_store_event_t ev;
    char key[64];
    char val[64];
    char pval[64];
} fake_ev_t;

typedef struct fake_watch {
    char prefix[64];
    size_t plen;
    skiff_store_watch_cb cb;
    void *ud;
    int active;
} fake_watch_t;

typedef struct fake_store {
    pthread_mutex_t mu;
    fake_ev_t *log;
    size_t n, cap;
    int64_t rev, compacted;
    fake_watch_t watches[8];
    int nwatches;
    int unwatched;
} fake_store_t;

static int fake_revision(void *self, int64_t *cur, int64_t *compacted, skiff_error_t *err)
{
    fake_store_t *st = self;
    (void)err;
    if (cur)
        *cur = st->rev;
    if (compacted)
        *compacted = st->compacted;
    return 0;
}

static int matches(const fake_watch_t *w, const skiff_store_event_t *ev)
{
    return ev->kv.key_len >= w->plen && memcmp(ev->kv.key, w->prefix, w->plen) == 0;
}

static int fake_watch(void *self, const char *prefix, size_t plen, int64_t start_rev, skiff_store_watch_cb cb,
                      void *ud, skiff_store_watch_t **out, skiff_error_t *err)
{
    fake_store_t *st = self;
    if (start_rev > 0 && start_rev <= st->compacted)
        return skiff_error_set(err, SKIFF_E_COMPACTED, "required revision %lld has been compacted",
                               (long long)start_rev);
    fake_watch_t *w = &st->watches[st->nwatches++];
    memcpy(w->prefix, prefix, plen);
    w->plen = plen;
    w->cb = cb;
    w->ud = ud;
    w->active = 1;
    for (size_t i = 0; i < st->n; i++)
        if (st->log[i].ev.kv.mod_rev >= start_rev && matches(w, &st->log[i].ev))
            cb(ud, &st->log[i].ev, NULL);
    *out = (skiff_store_watch_t *)w;
    return 0;
}

static void fake_unwatch(void *self, skiff_store_watch_t *h)
{
    fake_store_t *st = self;
    if (h) {
        ((fake_watch_t *)h)->active = 0;
        st->unwatched++;
    }
}

static const skiff_store_ops_t fake_ops = {
    .size = sizeof(skiff_store_ops_t),
    .watch = fake_watch,
    .unwatch = fake_unwatch,
    .revision = fake_revision,
};

static fake_store_t *fake_new(void)
{
    fake_store_t *st = calloc(1, sizeof *st);
    pthread_mutex_init(&st->mu, NULL);
    st->cap = 8192;
    st->log = calloc(st->cap, sizeof *st->log);
    return st;
}

static void fake_del(fake_store_t *st)
{
    free(st->log);
    free(st);
}

static void fixup(fake_ev_t *e)
{
    e->ev.kv.key = e->key;
    e->ev.kv.value = e->ev.type == SKIFF_STORE_EV_DELETE ? NULL : e->val;
    e->ev.prev.key = e->key;
    e->ev.prev.value = e->pval;
}

/* Append one event at revision `rev` (several may share one) and notify. */
static void fake_emit(fake_store_t *st, int64_t rev, int del, const char *key, const char *val)
{
    assert_true(st->n < st->cap);
    fake_ev_t *e = &st->log[st->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->key, sizeof e->key, "%s", key);
    e->ev.type = del ? SKIFF_STORE_EV_DELETE : SKIFF_STORE_EV_PUT;
    e->ev.kv.key_len = strlen(e->key);
    if (!del) {
        snprintf(e->val, sizeof e->val, "%s", val);
        e->ev.kv.value_len = strlen(e->val);
    }
    e->ev.kv.mod_rev = rev;
    e->ev.kv.create_rev = rev;
    e->ev.kv.version = 1;
    /* Previous value, when the key was written before. */
    for (size_t i = st->n - 1; i-- > 0;) {
        if (strcmp(st->log[i].key, e->key) == 0) {
            if (st->log[i].ev.type == SKIFF_STORE_EV_PUT) {
                e->ev.has_prev = 1;
                snprintf(e->pval, sizeof e->pval, "%s", st->log[i].val);
                e->ev.prev = st->log[i].ev.kv;
                e->ev.prev.value_len = strlen(e->pval);
                e->ev.kv.create_rev = st->log[i].ev.kv.create_rev;
                e->ev.kv.version = st->log[i].ev.kv.version + 1;
            }
            break;
        }
    }
    fixup(e);
    st->rev = rev;
    for (int i = 0; i < st->nwatches; i++)
        if (st->watches[i].active && matches(&st->watches[i], &e->ev))
            st->watches[i].cb(st->watches[i].ud, &e->ev, NULL);
}

static void fake_put(fake_store_t *st, const char *key, int v)
{
    char val[32];
    snprintf(val, sizeof val, "v%d", v);
    fake_emit(st, st->rev + 1, 0, key, val);
}

static void fake_fail(fake_store_t *st, int code, const char *msg)
{
    skiff_error_t err;
    skiff_error_set(&err, code, "%s", msg);
    for (int i = 0; i < st->nwatches; i++)
        if (st->watches[i].active) {
            st->watches[i].cb(st->watches[i].ud, NULL, &err);
            st->watches[i].active = 0;
        }
}

/* ---- a recording subscriber ------------------------------------------- */

typedef struct got {
    int64_t rev;
    int type;
    char key[64];
    char val[64];
    int has_prev;
    char pval[64];
} got_t;

typedef struct rec {
    pthread_mutex_t mu;
    got_t *ev;
    long n, cap;
    atomic_long count;
    atomic_int final_code;
    char final_msg[SKIFF_ERROR_MSG_MAX];
    atomic_int after_final;
    atomic_int freed;
    atomic_int in_cb;
    int sleep_ms;
    /* unsubscribe itself after this many events (0 = never) */
    long unsub_at;
    skiff_fanout_sub_t *sub;
} rec_t;

static rec_t *rec_new(long cap)
{
    rec_t *r = calloc(1, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    r->cap = cap;
    r->ev = calloc((size_t)cap, sizeof *r->ev);
    return r;
}

static void rec_del(rec_t *r)
{
    free(r->ev);
    free(r);
}

static void rec_cb(void *ud, const skiff_store_event_t *ev, const skiff_error_t *err)
{
    rec_t *r = ud;
    atomic_fetch_add(&r->in_cb, 1);
    if (atomic_load(&r->freed) || atomic_load(&r->final_code))
        atomic_fetch_add(&r->after_final, 1);
    if (err) {
        if (ev)
            atomic_fetch_add(&violations, 1);
        pthread_mutex_lock(&r->mu);
        snprintf(r->final_msg, sizeof r->final_msg, "%s", err->msg);
        pthread_mutex_unlock(&r->mu);
        atomic_store(&r->final_code, err->code);
    } else {
        if (r->sleep_ms)
            sleep_ms(r->sleep_ms);
        pthread_mutex_lock(&r->mu);
        if (r->n < r->cap) {
            got_t *g = &r->ev[r->n++];
            g->rev = ev->kv.mod_rev;
            g->type = ev->type;
            snprintf(g->key, sizeof g->key, "%.*s", (int)ev->kv.key_len, ev->kv.key);
            snprintf(g->val, sizeof g->val, "%.*s", (int)ev->kv.value_len,
                     ev->kv.value ? (const char *)ev->kv.value : "");
            g->has_prev = ev->has_prev;
            if (ev->has_prev)
                snprintf(g->pval, sizeof g->pval, "%.*s", (int)ev->prev.value_len, (const char *)ev->prev.value);
        }
        pthread_mutex_unlock(&r->mu);
        long c = atomic_fetch_add(&r->count, 1) + 1;
        if (r->unsub_at && c == r->unsub_at)
            skiff_fanout_unsubscribe(r->sub);
    }
    atomic_fetch_sub(&r->in_cb, 1);
}

static void rec_free(void *ud)
{
    rec_t *r = ud;
    if (atomic_load(&r->in_cb))
        atomic_fetch_add(&violations, 1);
    atomic_fetch_add(&r->freed, 1);
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

static int wait_final(rec_t *r)
{
    for (int i = 0; i < 10000; i++) {
        if (atomic_load(&r->final_code))
            return 1;
        sleep_ms(1);
    }
    return 0;
}

/* Check r saw exactly the log events with rev in [from, to], in order. */
static void expect_stream(rec_t *r, fake_store_t *st, int64_t from, int64_t to)
{
    long k = 0;
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < st->n; i++) {
        const fake_ev_t *e = &st->log[i];
        if (e->ev.kv.mod_rev < from || e->ev.kv.mod_rev > to || strncmp(e->key, "/pods/", 6) != 0)
            continue;
        if (k >= r->n)
            fail_msg("stream ends at %ld events, want rev %lld next", r->n, (long long)e->ev.kv.mod_rev);
        const got_t *g = &r->ev[k++];
        if (g->rev != e->ev.kv.mod_rev || g->type != (int)e->ev.type || strcmp(g->key, e->key) != 0 ||
            strcmp(g->val, e->ev.type == SKIFF_STORE_EV_PUT ? e->val : "") != 0 ||
            g->has_prev != e->ev.has_prev || (g->has_prev && strcmp(g->pval, e->pval) != 0))
            fail_msg("event %ld: got rev %lld %s=%s, want rev %lld %s=%s", k - 1, (long long)g->rev, g->key,
                     g->val, (long long)e->ev.kv.mod_rev, e->key, e->val);
    }
    assert_int_equal(k, r->n);
    pthread_mutex_unlock(&r->mu);
}

/* Each test's bus and fake store: made by setup, freed by teardown (which
 * then checks what the bus threads saw). */
typedef struct fx {
    skiff_bus_t *bus;
    fake_store_t *st;
} fx_t;

/* A fan-out of the fixture's store's /pods/ from `start`. */
static skiff_fanout_t *fanout(fx_t *x, int64_t start, uint32_t hist, uint32_t qlen)
{
    skiff_fanout_opts_t o = { sizeof o, hist, qlen };
    skiff_fanout_t *f = NULL;
    skiff_error_t err = { 0 };
    int rc = skiff_fanout_new(x->bus, &fake_ops, x->st, "/pods/", 6, start, &o, &f, &err);
    if (rc != 0)
        fail_msg("skiff_fanout_new: %s", err.msg);
    return f;
}

static rec_t *sub_slow(skiff_fanout_t *f, int64_t start, long cap, int ms)
{
    rec_t *r = rec_new(cap);
    r->sleep_ms = ms; /* before subscribing: a replay may start at once */
    skiff_error_t err = { 0 };
    if (skiff_fanout_subscribe(f, start, rec_cb, r, rec_free, &r->sub, &err) != 0)
        fail_msg("subscribe at %lld: %s", (long long)start, err.msg);
    return r;
}

static rec_t *sub(skiff_fanout_t *f, int64_t start, long cap)
{
    return sub_slow(f, start, cap, 0);
}

/* ---------------------------------------------------------------------- */

static void test_identical_streams(void **state)
{
    enum { SUBS = 20, N = 600 };
    fx_t *x = *state;
    fake_store_t *st = x->st;
    fake_put(st, "/pods/before", 0); /* rev 1, before the fan-out: not seen */
    skiff_fanout_t *f = fanout(x, 0, 2048, 0);
    rec_t *r[SUBS];
    for (int i = 0; i < SUBS; i++)
        r[i] = sub(f, 0, N + 10);
    int64_t first = st->rev + 1;
    for (int v = 0; v < N; v++) {
        char key[32];
        snprintf(key, sizeof key, "/pods/p%d", v % 37);
        if (v % 11 == 10)
            fake_emit(st, st->rev + 1, 1, key, NULL); /* deletes, with prev */
        else
            fake_put(st, key, v);
        if (v % 7 == 0)
            fake_emit(st, st->rev + 1, 0, "/nodes/n1", "x"); /* other prefix: filtered by the store */
    }
    for (int i = 0; i < SUBS; i++)
        assert_true(wait_count(r[i], N));
    for (int i = 0; i < SUBS; i++) {
        expect_stream(r[i], st, first, st->rev);
        assert_int_equal(r[i]->n, N);
        assert_int_equal(atomic_load(&r[i]->final_code), 0);
    }
    skiff_fanout_stats_t s;
    skiff_fanout_stats(f, &s);
    assert_int_equal(s.events, N);
    assert_int_equal(s.subscribers, SUBS);
    assert_int_equal(s.start_rev, 2);
    assert_int_equal(s.cut_off, 0);
    skiff_fanout_free(f);
    assert_int_equal(st->unwatched, 1);
    for (int i = 0; i < SUBS; i++) {
        assert_int_equal(atomic_load(&r[i]->freed), 1);
        rec_del(r[i]);
    }
}

static void test_late_joiners(void **state)
{
    fx_t *x = *state;
    fake_store_t *st = x->st;
    skiff_error_t err = { 0 };
    skiff_fanout_t *f = fanout(x, 0, 32, 0); /* covers rev 1.. */
    for (int v = 1; v <= 40; v++)
        fake_put(st, "/pods/a", v); /* revs 1..40 */
    /* Two events in one revision (41), then more singles to 50. */
    fake_emit(st, 41, 0, "/pods/b", "b41");
    fake_emit(st, 41, 0, "/pods/c", "c41");
    for (int v = 42; v <= 50; v++)
        fake_put(st, "/pods/a", v);
    /* 51 events, window 32: the oldest 19 (revs 1..19) are gone. */
    skiff_fanout_stats_t s;
    skiff_fanout_stats(f, &s);
    assert_int_equal(s.window, 32);
    assert_int_equal(s.oldest_rev, 20);
    assert_int_equal(s.last_rev, 50);

    rec_t *in = sub(f, 30, 100);     /* inside the window */
    rec_t *edge = sub(f, 20, 100);   /* its oldest revision */
    rec_t *now = sub(f, 0, 100);     /* from now on */
    rec_t *future = sub(f, 55, 100); /* not there yet */
    rec_t *mid = sub(f, 41, 100);    /* a revision with two events */
    rec_t *no = rec_new(4);
    skiff_fanout_sub_t *h = NULL;
    assert_int_equal(skiff_fanout_subscribe(f, 19, rec_cb, no, rec_free, &h, &err), SKIFF_E_COMPACTED);
    assert_null(h);
    assert_non_null(strstr(err.msg, "revision 19 is older than the watch window (oldest revision 20)"));
    assert_int_equal(skiff_fanout_subscribe(f, 3, rec_cb, no, rec_free, &h, &err), SKIFF_E_COMPACTED);
    assert_int_equal(atomic_load(&no->freed), 0); /* not subscribed: ud untouched */

    assert_true(wait_count(in, 21));
    assert_true(wait_count(edge, 32));
    assert_true(wait_count(mid, 11));
    for (int v = 51; v <= 60; v++)
        fake_put(st, "/pods/a", v);
    assert_true(wait_count(in, 31));
    assert_true(wait_count(edge, 42));
    assert_true(wait_count(now, 10));
    assert_true(wait_count(future, 6));
    assert_true(wait_count(mid, 21));
    sleep_ms(20);
    expect_stream(in, st, 30, 60);
    expect_stream(edge, st, 20, 60);
    expect_stream(now, st, 51, 60);
    expect_stream(future, st, 55, 60);
    expect_stream(mid, st, 41, 60);
    assert_int_equal(mid->ev[0].rev, 41);
    assert_int_equal(mid->ev[1].rev, 41);

    /* A fan-out can't start before the store's compaction point. */
    st->compacted = 10;
    skiff_fanout_t *f2 = NULL;
    skiff_fanout_opts_t o = { sizeof o, 8, 8 };
    assert_int_equal(skiff_fanout_new(x->bus, &fake_ops, st, "/pods/", 6, 5, &o, &f2, &err), SKIFF_E_COMPACTED);
    assert_null(f2);
    assert_non_null(strstr(err.msg, "compacted"));
    /* ... but from 11 it replays the store's history itself. */
    assert_int_equal(skiff_fanout_new(x->bus, &fake_ops, st, "/pods/", 6, 11, &o, &f2, &err), 0);
    rec_t *r2 = sub(f2, 56, 16);
    assert_true(wait_count(r2, 5));
    expect_stream(r2, st, 56, 60);
    skiff_fanout_free(f2);
    assert_int_equal(atomic_load(&r2->freed), 1);
    rec_del(r2);

    skiff_fanout_free(f);
    rec_t *all[] = { in, edge, now, future, mid };
    for (int i = 0; i < 5; i++) {
        assert_int_equal(atomic_load(&all[i]->freed), 1);
        assert_int_equal(atomic_load(&all[i]->final_code), 0);
        rec_del(all[i]);
    }
    rec_del(no);
}

static void test_slow_subscriber_cut_off(void **state)
{
    enum { FAST = 6, HIST = 128, QLEN = 64, BATCH = 20, ROUNDS = 50 };
    fx_t *x = *state;
    fake_store_t *st = x->st;
    skiff_fanout_t *f = fanout(x, 0, HIST, QLEN);
    rec_t *fast[FAST];
    for (int i = 0; i < FAST; i++)
        fast[i] = sub(f, 0, BATCH * ROUNDS);
    rec_t *slow = sub_slow(f, 0, BATCH * ROUNDS, 5);
    uint64_t peak = 0;
    for (int round = 0; round < ROUNDS; round++) {
        for (int k = 0; k < BATCH; k++)
            fake_put(st, "/pods/x", round * BATCH + k);
        for (int i = 0; i < FAST; i++)
            assert_true(wait_count(fast[i], (long)(round + 1) * BATCH));
        skiff_fanout_stats_t s;
        skiff_fanout_stats(f, &s);
        if (s.live_events > peak)
            peak = s.live_events;
        assert_true(s.window <= HIST);
    }
    /* The slow one was cut off with COMPACTED and saw nothing after it. */
    assert_true(wait_final(slow));
    assert_int_equal(atomic_load(&slow->final_code), SKIFF_E_COMPACTED);
    assert_non_null(strstr(slow->final_msg, "re-list and watch again"));
    long seen = atomic_load(&slow->count);
    assert_true(seen < BATCH * ROUNDS);
    expect_stream(slow, st, 1, slow->n ? slow->ev[slow->n - 1].rev : 0); /* a clean prefix */
    /* The fast ones got everything, in order, unaffected. */
    for (int i = 0; i < FAST; i++) {
        expect_stream(fast[i], st, 1, st->rev);
        assert_int_equal(atomic_load(&fast[i]->final_code), 0);
    }
    /* Memory stayed bounded: the window + a delivery batch (16) per sub. */
    assert_true(peak <= HIST + (FAST + 1) * 16);
    skiff_fanout_stats_t s;
    skiff_fanout_stats(f, &s);
    assert_int_equal(s.cut_off, 1);
    assert_int_equal(s.subscribers, FAST + 1); /* the handle is still the caller's */
    sleep_ms(20);
    assert_int_equal(atomic_load(&slow->count), seen);
    assert_int_equal(atomic_load(&slow->after_final), 0);
    skiff_fanout_unsubscribe(slow->sub);
    assert_int_equal(atomic_load(&slow->freed), 1);
    skiff_fanout_free(f);
    for (int i = 0; i < FAST; i++) {
        assert_int_equal(atomic_load(&fast[i]->freed), 1);
        rec_del(fast[i]);
    }
    rec_del(slow);
}

static void test_unsubscribe_during_delivery(void **state)
{
    enum { N = 400 };
    fx_t *x = *state;
    fake_store_t *st = x->st;
    skiff_error_t err = { 0 };
    skiff_fanout_t *f = fanout(x, 0, 1024, 0);
    for (int v = 0; v < 50; v++)
        fake_put(st, "/pods/a", v);
    /* Joins in the past: unsubscribes itself while replaying the window. */
    rec_t *self = rec_new(N);
    self->unsub_at = 10;
    assert_int_equal(skiff_fanout_subscribe(f, 1, rec_cb, self, rec_free, &self->sub, &err), 0);
    rec_t *outside = sub_slow(f, 1, N, 1);
    rec_t *keep = sub(f, 1, N);
    assert_true(wait_count(outside, 5));
    skiff_fanout_unsubscribe(outside->sub); /* from another thread, mid-stream */
    assert_int_equal(atomic_load(&outside->freed), 1);
    assert_int_equal(atomic_load(&outside->in_cb), 0);
    long o = atomic_load(&outside->count);
    for (int v = 50; v < N; v++)
        fake_put(st, "/pods/a", v);
    assert_true(wait_count(keep, N));
    for (int i = 0; i < 1000 && !atomic_load(&self->freed); i++)
        sleep_ms(1);
    assert_int_equal(atomic_load(&self->freed), 1);
    assert_int_equal(atomic_load(&self->count), 10);
    assert_int_equal(atomic_load(&outside->count), o);
    expect_stream(keep, st, 1, N);
    skiff_fanout_stats_t s;
    skiff_fanout_stats(f, &s);
    assert_int_equal(s.subscribers, 1);
    skiff_fanout_free(f);
    assert_int_equal(atomic_load(&keep->freed), 1);
    rec_del(self);
    rec_del(outside);
    rec_del(keep);
}

static void test_store_error_ends_all(void **state)
{
    fx_t *x = *state;
    fake_store_t *st = x->st;
    skiff_error_t err = { 0 };
    skiff_fanout_t *f = fanout(x, 0, 64, 0);
    rec_t *a = sub(f, 0, 16), *b = sub(f, 0, 16);
    for (int v = 0; v < 5; v++)
        fake_put(st, "/pods/a", v);
    fake_fail(st, SKIFF_E_COMPACTED, "watcher fell behind the store");
    assert_true(wait_final(a));
    assert_true(wait_final(b));
    /* Every event before the error first, then the error, once. */
    assert_int_equal(atomic_load(&a->count), 5);
    assert_int_equal(atomic_load(&b->count), 5);
    assert_int_equal(atomic_load(&a->final_code), SKIFF_E_COMPACTED);
    assert_string_equal(a->final_msg, "watcher fell behind the store");
    rec_t *late = rec_new(4);
    skiff_fanout_sub_t *h;
    assert_int_equal(skiff_fanout_subscribe(f, 0, rec_cb, late, rec_free, &h, &err), SKIFF_E_COMPACTED);
    skiff_fanout_stats_t s;
    skiff_fanout_stats(f, &s);
    assert_int_equal(s.failed, SKIFF_E_COMPACTED);
    /* Bad input. */
    skiff_fanout_t *f2;
    assert_int_equal(skiff_fanout_new(x->bus, &fake_ops, st, "/x", 2, -1, NULL, &f2, &err), SKIFF_E_INVALID);
    skiff_store_ops_t nowatch = { .size = sizeof nowatch };
    assert_int_equal(skiff_fanout_new(x->bus, &nowatch, st, "/x", 2, 0, NULL, &f2, &err), SKIFF_E_UNSUPPORTED);
    skiff_fanout_free(f);
    skiff_fanout_free(NULL);
    assert_int_equal(atomic_load(&a->freed), 1);
    assert_int_equal(atomic_load(&a->after_final), 0);
    rec_del(a);
    rec_del(b);
    rec_del(late);
}

/* The store's final error reaches a subscriber whose queue was full when it
 * came (its kick dropped): the kicks still queued walk to the end of the
 * window and find it. */
static void test_final_error_survives_full_queue(void **state)
{
    fx_t *x = *state;
    fake_store_t *st = x->st;
    skiff_fanout_t *f = fanout(x, 0, 64, 2);
    rec_t *r = sub_slow(f, 0, 16, 50); /* 50 ms per event: the queue of 2 overflows */
    for (int v = 0; v < 5; v++)
        fake_put(st, "/pods/a", v);
    fake_fail(st, SKIFF_E_INTERNAL, "store went away");
    assert_true(wait_final(r));
    assert_int_equal(atomic_load(&r->final_code), SKIFF_E_INTERNAL);
    assert_int_equal(atomic_load(&r->count), 5); /* everything, then the error */
    expect_stream(r, st, 1, 5);
    skiff_fanout_free(f);
    assert_int_equal(atomic_load(&r->freed), 1);
    rec_del(r);
}

/* Subscribers come and go (at random revisions in the window, from inside
 * and outside callbacks) while the store streams: every stream must be
 * gap-free from exactly where it asked to start, or end in COMPACTED. */
typedef struct churn_sub {
    int64_t start;     /* requested start (0 = now) */
    int64_t last;      /* last revision seen */
    atomic_long count;
    atomic_int ended;
    atomic_int freed;
    long self_unsub_at;
    skiff_fanout_sub_t *h;
} churn_sub_t;

static void churn_cb(void *ud, const skiff_store_event_t *ev, const skiff_error_t *err)
{
    churn_sub_t *c = ud;
    if (atomic_load(&c->ended) || atomic_load(&c->freed))
        atomic_fetch_add(&violations, 1);
    if (err) {
        if (err->code != SKIFF_E_COMPACTED)
            atomic_fetch_add(&violations, 1);
        atomic_store(&c->ended, 1);
        return;
    }
    int64_t rev = ev->kv.mod_rev;
    if (c->last ? rev != c->last + 1 : (c->start && rev != c->start))
        atomic_fetch_add(&violations, 1);
    c->last = rev;
    if (atomic_fetch_add(&c->count, 1) + 1 == c->self_unsub_at)
        skiff_fanout_unsubscribe(c->h);
}

static void churn_free(void *ud)
{
    churn_sub_t *c = ud;
    if (atomic_fetch_add(&c->freed, 1) != 0)
        atomic_fetch_add(&violations, 1);
}

typedef struct emitter {
    fake_store_t *st;
    int n;
    atomic_int done;
} emitter_t;

static void *emit_main(void *arg)
{
    emitter_t *em = arg;
    for (int v = 0; v < em->n; v++) {
        fake_put(em->st, "/pods/churn", v);
        if (v % 64 == 63)
            sleep_ms(1);
    }
    atomic_store(&em->done, 1);
    return NULL;
}

static void test_churn(void **state)
{
    enum { N = 4000, MAXS = 400 };
    fx_t *x = *state;
    fake_store_t *st = x->st;
    skiff_error_t err = { 0 };
    skiff_fanout_t *f = fanout(x, 0, 256, 128);
    emitter_t em = { st, N, 0 };
    pthread_t th;
    pthread_create(&th, NULL, emit_main, &em);
    churn_sub_t *subs = calloc(MAXS, sizeof *subs);
    int n = 0, live_from = 0;
    unsigned seed = 7;
    while (!atomic_load(&em.done) && n < MAXS) {
        churn_sub_t *c = &subs[n];
        skiff_fanout_stats_t s;
        skiff_fanout_stats(f, &s);
        seed = seed * 1103515245u + 12345u;
        /* now, or somewhere in (or just before) the window */
        c->start = (seed >> 8) % 3 == 0 || s.last_rev < s.oldest_rev
                       ? 0 : s.oldest_rev + (int64_t)((seed >> 12) % (uint64_t)(s.last_rev - s.oldest_rev + 2));
        c->self_unsub_at = (seed >> 4) % 4 == 0 ? (long)((seed >> 16) % 50) + 1 : 0;
        int rc = skiff_fanout_subscribe(f, c->start, churn_cb, c, churn_free, &c->h, &err);
        if (rc == SKIFF_E_COMPACTED)
            continue; /* the window moved on between stats and subscribe */
        assert_int_equal(rc, 0);
        n++;
        /* Unsubscribe an older one from this thread now and then. */
        if (n - live_from > 8) {
            churn_sub_t *o = &subs[live_from++];
            if (!o->self_unsub_at) /* the others may have gone already: free ends them */
                skiff_fanout_unsubscribe(o->h);
        }
        sleep_ms(1);
    }
    pthread_join(th, NULL);
    skiff_fanout_free(f); /* ends everyone left, free_ud once each */
    long delivered = 0, ended = 0, replayed = 0;
    for (int i = 0; i < n; i++) {
        assert_int_equal(atomic_load(&subs[i].freed), 1);
        delivered += atomic_load(&subs[i].count);
        ended += atomic_load(&subs[i].ended);
        replayed += subs[i].start != 0;
    }
    print_message("# churn: %d subscribers (%ld from the window), %ld events delivered, %ld cut off\n", n,
                  replayed, delivered, ended);
    assert_true(n > 20);
    assert_true(delivered > 0);
    free(subs);
}

/* ---- pull subscriptions and the tap ------------------------------------ */

typedef struct puller {
    skiff_fanout_pull_t *p;
    rec_t *r;
    atomic_int stop;
    atomic_long calls;   /* pulls that returned events */
    atomic_long events;  /* events those pulls took */
    atomic_int end_code;
    int max_wait_ms;
} puller_t;

static void *puller_main(void *arg)
{
    puller_t *pl = arg;
    while (!atomic_load(&pl->stop)) {
        skiff_error_t err = { 0 };
        int n = skiff_fanout_pull(pl->p, rec_cb, pl->r, 0, pl->max_wait_ms ? pl->max_wait_ms : 1000, &err);
        if (n < 0) {
            atomic_store(&pl->end_code, n);
            break;
        }
        if (n > 0) {
            atomic_fetch_add(&pl->calls, 1);
            atomic_fetch_add(&pl->events, n);
        }
    }
    return NULL;
}

/* Everything available is taken per call, in order; a puller on its own
 * thread misses nothing while the store's thread keeps writing, and takes
 * more than one event per wake-up when it is busy. */
static void test_pull_batches_in_order(void **state)
{
    enum { N = 4000 };
    fx_t *x = *state;
    fake_store_t *st = x->st;
    skiff_error_t err = { 0 };
    skiff_fanout_t *f = fanout(x, 0, 8192, 0);
    skiff_fanout_pull_t *p;
    assert_int_equal(skiff_fanout_pull_open(f, 0, &p, &err), 0);
    /* nothing yet: a zero timeout returns at once */
    rec_t *r = rec_new(N + 100);
    assert_int_equal(skiff_fanout_pull(p, rec_cb, r, 0, 0, &err), 0);
    for (int v = 0; v < 100; v++)
        fake_put(st, v % 2 ? "/pods/a" : "/pods/b", v);
    /* one call takes all 100 (max 0 = no limit); with a max, a part */
    skiff_fanout_pull_t *q;
    assert_int_equal(skiff_fanout_pull_open(f, 1, &q, &err), 0);
    rec_t *rq = rec_new(200);
    assert_int_equal(skiff_fanout_pull(q, rec_cb, rq, 30, 0, &err), 30);
    assert_int_equal(skiff_fanout_pull(q, rec_cb, rq, 0, 0, &err), 70);
    expect_stream(rq, st, 1, st->rev);
    assert_int_equal(skiff_fanout_pull(p, rec_cb, r, 0, 1000, &err), 100);
    expect_stream(r, st, 1, st->rev);
    /* now a thread of its own, and a slow start: its first callbacks sleep */
    puller_t pl = { .p = p, .r = r };
    r->sleep_ms = 2;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, puller_main, &pl), 0);
    for (int v = 100; v < N; v++) {
        fake_put(st, v % 3 ? "/pods/a" : "/pods/c", v);
        if (v == 300)
            r->sleep_ms = 0;
        if (v % 500 == 0)
            sleep_ms(2); /* let it catch up and sleep now and then */
    }
    assert_true(wait_count(r, N));
    atomic_store(&pl.stop, 1);
    skiff_fanout_pull_wake(p);
    pthread_join(th, NULL);
    expect_stream(r, st, 1, st->rev);
    assert_int_equal(atomic_load(&pl.events), N - 100);
    /* batches: far fewer pulls than events (the 2 ms callbacks alone make
     * the writer run ahead) */
    print_message("# pull: %ld events in %ld wake-ups\n", atomic_load(&pl.events), atomic_load(&pl.calls));
    assert_true(atomic_load(&pl.calls) < N / 2);
    skiff_fanout_stats_t s;
    skiff_fanout_stats(f, &s);
    assert_int_equal(s.subscribers, 2);
    assert_int_equal(s.cut_off, 0);
    skiff_fanout_pull_close(p);
    skiff_fanout_pull_close(q);
    skiff_fanout_pull_close(NULL);
    skiff_fanout_stats(f, &s);
    assert_int_equal(s.subscribers, 0);
    skiff_fanout_free(f);
    rec_del(r);
    rec_del(rq);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct waker {
    skiff_fanout_pull_t *p;
    fake_store_t *st;
    int put; /* 1: write an event, 0: skiff_fanout_pull_wake */
} waker_t;

static void *waker_main(void *arg)
{
    waker_t *w = arg;
    sleep_ms(50);
    if (w->put)
        fake_put(w->st, "/pods/w", 1);
    else
        skiff_fanout_pull_wake(w->p);
    return NULL;
}

/* A sleeping puller wakes for an event or skiff_fanout_pull_wake, and a
 * timeout ends the wait with 0. */
static void test_pull_wait_wake_timeout(void **state)
{
    fx_t *x = *state;
    fake_store_t *st = x->st;
    skiff_error_t err = { 0 };
    skiff_fanout_t *f = fanout(x, 0, 64, 0);
    skiff_fanout_pull_t *p;
    assert_int_equal(skiff_fanout_pull_open(f, 0, &p, &err), 0);
    rec_t *r = rec_new(16);
    int64_t t0 = mono_ms();
    assert_int_equal(skiff_fanout_pull(p, rec_cb, r, 0, 60, &err), 0);
    int64_t dt = mono_ms() - t0;
    assert_true(dt >= 55 && dt < 5000);
    pthread_t th;
    waker_t w = { p, st, 1 };
    assert_int_equal(pthread_create(&th, NULL, waker_main, &w), 0);
    assert_int_equal(skiff_fanout_pull(p, rec_cb, r, 0, -1, &err), 1);
    pthread_join(th, NULL);
    assert_int_equal(atomic_load(&r->count), 1);
    w.put = 0;
    assert_int_equal(pthread_create(&th, NULL, waker_main, &w), 0);
    t0 = mono_ms();
    assert_int_equal(skiff_fanout_pull(p, rec_cb, r, 0, -1, &err), 0);
    assert_true(mono_ms() - t0 < 5000);
    pthread_join(th, NULL);
    /* a wake-up given while it was not waiting ends the next wait at once */
    skiff_fanout_pull_wake(p);
    assert_int_equal(skiff_fanout_pull(p, rec_cb, r, 0, -1, &err), 0);
    /* bad input */
    assert_int_equal(skiff_fanout_pull(p, NULL, r, 0, 0, &err), SKIFF_E_INVALID);
    skiff_fanout_pull_t *p2 = p;
    assert_int_equal(skiff_fanout_pull_open(f, -1, &p2, &err), SKIFF_E_INVALID);
    assert_null(p2);
    assert_int_equal(skiff_fanout_pull_open(NULL, 0, &p2, &err), SKIFF_E_INVALID);
    assert_int_equal(skiff_fanout_pull_open(f, 0, NULL, &err), SKIFF_E_INVALID);
    skiff_fanout_pull_close(p);
    skiff_fanout_free(f);
    rec_del(r);
}

/* A puller that falls out of the window is cut off with COMPACTED (what it
 * had taken before is kept, nothing after it); one that keeps up is not;
 * opening before the window fails; the store's error ends everyone after
 * the events before it. */
static void test_pull_cut_off_and_errors(void **state)
{
    enum { HIST = 64 };
    fx_t *x = *state;
    fake_store_t *st = x->st;
    skiff_error_t err = { 0 };
    skiff_fanout_t *f = fanout(x, 0, HIST, 0);
    skiff_fanout_pull_t *slow, *fast;
    assert_int_equal(skiff_fanout_pull_open(f, 0, &slow, &err), 0);
    assert_int_equal(skiff_fanout_pull_open(f, 0, &fast, &err), 0);
    rec_t *rs = rec_new(400), *rf = rec_new(400);
    for (int v = 0; v < 40; v++)
        fake_put(st, "/pods/a", v);
    assert_int_equal(skiff_fanout_pull(slow, rec_cb, rs, 10, 0, &err), 10);
    for (int v = 40; v < 200; v++) {
        fake_put(st, "/pods/a", v);
        if (v % 16 == 0)
            assert_true(skiff_fanout_pull(fast, rec_cb, rf, 0, 0, &err) > 0);
    }
    assert_true(skiff_fanout_pull(fast, rec_cb, rf, 0, 0, &err) > 0);
    expect_stream(rf, st, 1, st->rev);
    int rc = skiff_fanout_pull(slow, rec_cb, rs, 0, 0, &err);
    assert_int_equal(rc, SKIFF_E_COMPACTED);
    assert_non_null(strstr(err.msg, "re-list and watch again"));
    assert_int_equal(skiff_fanout_pull(slow, rec_cb, rs, 0, 1000, &err), SKIFF_E_COMPACTED); /* again, at once */
    assert_int_equal(rs->n, 10);
    expect_stream(rs, st, 1, 10);
    skiff_fanout_stats_t s;
    skiff_fanout_stats(f, &s);
    assert_int_equal(s.cut_off, 1);
    /* before the window: refused */
    skiff_fanout_pull_t *old;
    assert_int_equal(skiff_fanout_pull_open(f, 5, &old, &err), SKIFF_E_COMPACTED);
    assert_null(old);
    /* inside it: replayed from there */
    skiff_fanout_pull_t *mid;
    assert_int_equal(skiff_fanout_pull_open(f, st->rev - 9, &mid, &err), 0);
    rec_t *rm = rec_new(16);
    assert_int_equal(skiff_fanout_pull(mid, rec_cb, rm, 0, 0, &err), 10);
    expect_stream(rm, st, st->rev - 9, st->rev);
    /* the store's error: events before it first, then the error, every call */
    fake_put(st, "/pods/a", 1000);
    fake_put(st, "/pods/a", 1001);
    fake_fail(st, SKIFF_E_CLOSED, "the store went away");
    assert_int_equal(skiff_fanout_pull(mid, rec_cb, rm, 0, 0, &err), 2);
    assert_int_equal(skiff_fanout_pull(mid, rec_cb, rm, 0, 0, &err), SKIFF_E_CLOSED);
    assert_string_equal(err.msg, "the store went away");
    assert_int_equal(skiff_fanout_pull(mid, rec_cb, rm, 0, -1, &err), SKIFF_E_CLOSED);
    expect_stream(rm, st, st->rev - 11, st->rev);
    skiff_fanout_pull_t *late;
    assert_int_equal(skiff_fanout_pull_open(f, 0, &late, &err), SKIFF_E_CLOSED);
    skiff_fanout_pull_close(slow);
    skiff_fanout_pull_close(fast);
    skiff_fanout_pull_close(mid);
    skiff_fanout_free(f);
    rec_del(rs);
    rec_del(rf);
    rec_del(rm);
}

/* The tap gets every event from the fan-out's start in order, on the
 * store's thread (here: the writer's), then the store's error; untap stops
 * it. */
static void test_tap(void **state)
{
    fx_t *x = *state;
    fake_store_t *st = x->st;
    skiff_error_t err = { 0 };
    for (int v = 0; v < 5; v++)
        fake_put(st, "/pods/early", v);
    rec_t *t = rec_new(64);
    skiff_fanout_opts_t o = { .size = sizeof o, .history = 16, .tap = rec_cb, .tap_ud = t };
    skiff_fanout_t *f;
    /* from revision 3: the fake store replays 3..5 from inside watch() */
    assert_int_equal(skiff_fanout_new(x->bus, &fake_ops, st, "/pods/", 6, 3, &o, &f, &err), 0);
    assert_int_equal(atomic_load(&t->count), 3);
    for (int v = 0; v < 40; v++) /* more than the window: the tap has no window */
        fake_put(st, "/pods/b", v);
    assert_int_equal(atomic_load(&t->count), 43); /* synchronously, before fake_put returned */
    expect_stream(t, st, 3, st->rev);
    fake_fail(st, SKIFF_E_COMPACTED, "compacted under the watch");
    assert_int_equal(atomic_load(&t->final_code), SKIFF_E_COMPACTED);
    skiff_fanout_untap(f);
    skiff_fanout_untap(NULL);
    skiff_fanout_free(f);
    /* untap before the store's next event: no more calls */
    rec_t *t2 = rec_new(64);
    o.tap_ud = t2;
    assert_int_equal(skiff_fanout_new(x->bus, &fake_ops, st, "/pods/", 6, 0, &o, &f, &err), 0);
    fake_put(st, "/pods/c", 1);
    skiff_fanout_untap(f);
    fake_put(st, "/pods/c", 2);
    assert_int_equal(atomic_load(&t2->count), 1);
    skiff_fanout_free(f);
    rec_del(t);
    rec_del(t2);
}

static int setup(void **state)
{
    fx_t *x = calloc(1, sizeof *x);
    assert_non_null(x);
    skiff_error_t err = { 0 };
    assert_int_equal(skiff_bus_new(&x->bus, &err), 0);
    x->st = fake_new();
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    fx_t *x = *state;
    skiff_bus_free(x->bus);
    fake_del(x->st);
    free(x);
    int v = atomic_exchange(&violations, 0);
    if (v)
        fail_msg("%d violations seen on bus threads", v);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_identical_streams, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_joiners, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_subscriber_cut_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsubscribe_during_delivery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_error_ends_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_final_error_survives_full_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_churn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull_batches_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull_wait_wake_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull_cut_off_and_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tap, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
