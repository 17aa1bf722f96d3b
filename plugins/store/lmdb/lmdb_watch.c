/* lmdb_watch.c — watches: one thread per watch replays the revision log.
 *
 * A watch keeps only a cursor (the next revision to deliver). Its thread
 * sleeps until the writer commits past that revision, then reads the new
 * events from the `rev` log in a read transaction and calls back, so a slow
 * watcher never holds events in memory and never delays the writer or the
 * other watchers. It ends with SKIFF_E_COMPACTED only when the history it
 * still needs has been compacted away.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lmdb_store.h"

#define REPLAY_REVS 1024 /* revisions per read transaction */

struct skiff_store_watch {
    struct skiff_store_watch *next;
    lmdb_store_t *s;
    char *prefix;
    size_t plen;
    int64_t next_rev;
    skiff_store_watch_cb cb;
    void *ud;
    pthread_t th;
    pthread_cond_t cv;  /* under s->mu: woken by lmdb_watch_wake_locked */
    int waiting;        /* under s->mu: blocked on cv, caught up to cur_rev,
                         * not yet signalled */
    _Atomic int stop;
    int self_free; /* unwatched from its own callback: the thread frees it */
};

static void watch_free(skiff_store_watch_t *w)
{
    lmdb_store_t *s = w->s;
    pthread_cond_destroy(&w->cv);
    lmdb_free(s, w->prefix);
    lmdb_free(s, w);
}

static void end_with(skiff_store_watch_t *w, int code, const char *msg)
{
    skiff_error_t e;
    skiff_error_set(&e, code, "%s", msg);
    w->cb(w->ud, NULL, &e);
}

/* Deliver what is committed after w->next_rev. Returns 1 when the watch ended. */
static int replay(skiff_store_watch_t *w)
{
    lmdb_store_t *s = w->s;
    MDB_txn *t;
    char msg[SKIFF_ERROR_MSG_MAX];
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &t);
    if (rc) {
        skiff_error_t e;
        lmdb_mdb_error(s, rc, "watch: begin read", &e);
        w->cb(w->ud, NULL, &e);
        return 1;
    }
    int64_t cur, compacted;
    if ((rc = lmdb_meta_get(s, t, "rev", &cur)) || (rc = lmdb_meta_get(s, t, "compacted", &compacted)))
        goto mdb_fail;
    /* a compaction is acknowledged (logged) before LMDB commits it */
    if (atomic_load(&s->compacted) > compacted) compacted = atomic_load(&s->compacted);
    if (w->next_rev < compacted) {
        mdb_txn_abort(t);
        snprintf(msg, sizeof msg, "watch: required revision %lld has been compacted (compacted at %lld)",
                 (long long)w->next_rev, (long long)compacted);
        end_with(w, SKIFF_E_COMPACTED, msg);
        return 1;
    }
    MDB_cursor *rc_cur = NULL, *hc = NULL;
    if ((rc = mdb_cursor_open(t, s->rev, &rc_cur)) || (rc = mdb_cursor_open(t, s->hist, &hc)))
        goto mdb_fail_cur;
    unsigned char start[12] = { 0 }, buf[LMDB_ENC_MAX + 16], enc[LMDB_ENC_MAX];
    lmdb_be64(start, (uint64_t)w->next_rev);
    MDB_val k = { sizeof start, start }, v;
    int64_t last = w->next_rev - 1, nrevs = 0, resume = 0;
    for (rc = mdb_cursor_get(rc_cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(rc_cur, &k, &v, MDB_NEXT)) {
        if (atomic_load(&w->stop)) break;
        int64_t r = (int64_t)lmdb_get_be64(k.mv_data);
        if (r > cur) break;
        if (r != last) {
            if (++nrevs > REPLAY_REVS) { resume = r; break; } /* on a revision boundary */
            last = r;
        }
        const char *key = v.mv_data;
        size_t kl = v.mv_size;
        if (kl < w->plen || memcmp(key, w->prefix, w->plen) != 0) continue;
        skiff_store_event_t ev;
        memset(&ev, 0, sizeof ev);
        lmdb_rec_t rec;
        MDB_val hv;
        size_t el = lmdb_enc(key, kl, enc); /* hist is keyed by the encoded key */
        if ((rc = lmdb_hist_at(s, hc, (const char *)enc, el, r, &rec, &hv, buf))) break;
        if (rec.mod_rev != r) { rc = MDB_CORRUPTED; break; }
        const void *val;
        size_t vl;
        lmdb_rec_decode(&hv, &rec, &val, &vl);
        ev.type = rec.type;
        ev.kv.key = key;
        ev.kv.key_len = kl;
        ev.kv.mod_rev = r;
        if (rec.type == SKIFF_STORE_EV_PUT) {
            ev.kv.value = vl ? val : NULL;
            ev.kv.value_len = vl;
            ev.kv.create_rev = rec.create_rev;
            ev.kv.version = rec.version;
            ev.kv.lease = rec.lease;
        }
        lmdb_rec_t prev;
        rc = lmdb_hist_at(s, hc, (const char *)enc, el, r - 1, &prev, &hv, buf);
        if (rc && rc != MDB_NOTFOUND) break;
        if (rc == 0 && prev.type == SKIFF_STORE_EV_PUT) {
            lmdb_rec_decode(&hv, &prev, &val, &vl);
            ev.has_prev = 1;
            ev.prev.key = key;
            ev.prev.key_len = kl;
            ev.prev.value = vl ? val : NULL;
            ev.prev.value_len = vl;
            ev.prev.create_rev = prev.create_rev;
            ev.prev.mod_rev = prev.mod_rev;
            ev.prev.version = prev.version;
            ev.prev.lease = prev.lease;
        }
        rc = 0;
        w->cb(w->ud, &ev, NULL);
    }
    if (rc == MDB_NOTFOUND) rc = 0;
    if (rc) goto mdb_fail_cur;
    w->next_rev = resume ? resume : cur + 1;
    mdb_cursor_close(rc_cur);
    mdb_cursor_close(hc);
    mdb_txn_abort(t);
    return 0;
mdb_fail_cur:
    if (rc_cur) mdb_cursor_close(rc_cur);
    if (hc) mdb_cursor_close(hc);
mdb_fail:
    mdb_txn_abort(t);
    {
        skiff_error_t e;
        lmdb_mdb_error(s, rc, "watch", &e);
        w->cb(w->ud, NULL, &e);
    }
    return 1;
}

/* Deliver acknowledged events LMDB does not hold yet, from the overlay.
 * Returns 1 when the watch ended, -1 when the overlay no longer covers
 * w->next_rev (LMDB committed it meanwhile: replay from there). */
static int replay_overlay(skiff_store_watch_t *w)
{
    lmdb_store_t *s = w->s;
    lmdb_ov_t *ov = lmdb_ov_acquire(s);
    if (w->next_rev <= ov->base_rev) {
        lmdb_ov_unref(s, ov);
        return -1;
    }
    int64_t compacted = atomic_load(&s->compacted);
    if (w->next_rev < compacted) {
        lmdb_ov_unref(s, ov);
        char msg[SKIFF_ERROR_MSG_MAX];
        snprintf(msg, sizeof msg, "watch: required revision %lld has been compacted (compacted at %lld)",
                 (long long)w->next_rev, (long long)compacted);
        end_with(w, SKIFF_E_COMPACTED, msg);
        return 1;
    }
    const lmdb_ov_ev_t *evs[64];
    size_t pos = 0, k;
    int64_t pub_rev = w->next_rev - 1;
    while ((k = lmdb_ov_slice(s, ov, w->next_rev, &pos, evs, 64, &pub_rev)) > 0) {
        for (size_t i = 0; i < k && !atomic_load(&w->stop); i++) {
            const skiff_store_event_t *ev = &evs[i]->ev;
            if (ev->kv.key_len < w->plen || memcmp(ev->kv.key, w->prefix, w->plen) != 0) continue;
            w->cb(w->ud, ev, NULL);
        }
        if (atomic_load(&w->stop)) break;
    }
    if (pub_rev >= w->next_rev) w->next_rev = pub_rev + 1;
    lmdb_ov_unref(s, ov);
    return 0;
}

static void *watch_main(void *arg)
{
    skiff_store_watch_t *w = arg;
    lmdb_store_t *s = w->s;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!atomic_load(&w->stop) && atomic_load(&s->cur_rev) < w->next_rev &&
               atomic_load(&s->compacted) <= w->next_rev) {
            w->waiting = 1;
            pthread_cond_wait(&w->cv, &s->mu);
        }
        w->waiting = 0;
        if (atomic_load(&w->stop)) break;
        pthread_mutex_unlock(&s->mu);
        int ended = w->next_rev <= atomic_load(&s->committed_rev) ? -1 : replay_overlay(w);
        if (ended < 0) ended = replay(w);
        pthread_mutex_lock(&s->mu);
        if (ended) break;
    }
    int self_free = w->self_free;
    pthread_mutex_unlock(&s->mu);
    if (self_free) watch_free(w);
    return NULL;
}

int lmdb_watch(void *self, const char *prefix, size_t prefix_len, int64_t start_rev,
               skiff_store_watch_cb cb, void *ud, skiff_store_watch_t **out, skiff_error_t *err)
{
    lmdb_store_t *s = self;
    if (!cb || !out) return skiff_error_set(err, SKIFF_E_INVALID, "watch: NULL callback or out");
    *out = NULL;
    if (start_rev < 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "watch: start revision %lld is negative",
                               (long long)start_rev);
    if (prefix_len && !prefix) return skiff_error_set(err, SKIFF_E_INVALID, "watch: NULL prefix");
    if (prefix_len > s->key_max)
        return skiff_error_set(err, SKIFF_E_TOOLARGE, "watch: prefix of %zu bytes is longer than "
                               "the key limit of %zu bytes", prefix_len, s->key_max);
    skiff_store_watch_t *w = s->host->calloc(1, sizeof *w);
    if (!w) return skiff_error_set(err, -ENOMEM, "watch: out of memory");
    w->s = s;
    w->prefix = lmdb_alloc(s, prefix_len);
    if (!w->prefix) { lmdb_free(s, w); return skiff_error_set(err, -ENOMEM, "watch: out of memory"); }
    if (prefix_len) memcpy(w->prefix, prefix, prefix_len);
    w->plen = prefix_len;
    w->cb = cb;
    w->ud = ud;
    pthread_cond_init(&w->cv, NULL);
    pthread_mutex_lock(&s->mu);
    if (s->writer_stop) {
        pthread_mutex_unlock(&s->mu);
        watch_free(w);
        return skiff_error_set(err, SKIFF_E_CLOSED, "store %s is closed", s->path);
    }
    w->next_rev = start_rev ? start_rev : atomic_load(&s->cur_rev) + 1;
    int rc = pthread_create(&w->th, NULL, watch_main, w);
    if (rc) {
        pthread_mutex_unlock(&s->mu);
        watch_free(w);
        return skiff_error_set(err, -rc, "watch: cannot start a thread: %s", strerror(rc));
    }
    w->next = s->watches;
    s->watches = w;
    pthread_mutex_unlock(&s->mu);
    *out = w;
    return 0;
}

void lmdb_unwatch(void *self, skiff_store_watch_t *w)
{
    lmdb_store_t *s = self;
    if (!w) return;
    pthread_mutex_lock(&s->mu);
    for (skiff_store_watch_t **p = &s->watches; *p; p = &(*p)->next)
        if (*p == w) { *p = w->next; break; }
    atomic_store(&w->stop, 1);
    w->waiting = 0;
    pthread_cond_signal(&w->cv);
    if (pthread_equal(w->th, pthread_self())) {
        /* From its own callback: cannot join itself; the thread frees w. */
        w->self_free = 1;
        pthread_detach(w->th);
        pthread_mutex_unlock(&s->mu);
        return;
    }
    pthread_mutex_unlock(&s->mu);
    pthread_join(w->th, NULL);
    watch_free(w);
}

/* Does any key the request may have written start with w's prefix? */
static int req_may_touch(const skiff_store_watch_t *w, const lmdb_req_t *r)
{
    for (size_t i = 0; i < r->nops; i++)
        if (r->ops[i].key_len >= w->plen && memcmp(r->ops[i].key, w->prefix, w->plen) == 0)
            return 1;
    return 0;
}

/* After a round is acknowledged (cur_rev already stored): wake the watches
 * that have something to deliver. A waiting watch is caught up to the
 * revision before the round; if no key the round wrote is under its prefix,
 * its cursor moves past the round without waking it. Every commit used to
 * broadcast to all watch threads: with the API server's ~25 store watches
 * (RBAC, the watch cache per resource) that was 30 context switches per
 * created pod in bench-sched-api --store lmdb. Compactions and lease
 * revocations (which delete keys the requests do not name) wake everyone,
 * as does reqs == NULL. */
void lmdb_watch_wake_locked(lmdb_store_t *s, lmdb_req_t *const *reqs, size_t n)
{
    int all = reqs == NULL;
    for (size_t i = 0; i < n && !all; i++)
        if (reqs[i]->kind == LMDB_REQ_COMPACT || reqs[i]->kind == LMDB_REQ_REVOKE) all = 1;
    int64_t cur = atomic_load(&s->cur_rev);
    for (skiff_store_watch_t *w = s->watches; w; w = w->next) {
        if (!w->waiting || w->next_rev > cur) continue; /* busy, or nothing new */
        int touch = all;
        for (size_t i = 0; i < n && !touch; i++)
            if (reqs[i]->kind == LMDB_REQ_TXN) touch = req_may_touch(w, reqs[i]);
        if (touch) {
            /* no longer caught up: a later round must not move its cursor
             * before the thread has run */
            w->waiting = 0;
            pthread_cond_signal(&w->cv);
        } else
            w->next_rev = cur + 1;
    }
}

void lmdb_watch_close_all(lmdb_store_t *s)
{
    for (;;) {
        pthread_mutex_lock(&s->mu);
        skiff_store_watch_t *w = s->watches;
        pthread_mutex_unlock(&s->mu);
        if (!w) break;
        lmdb_unwatch(s, w);
    }
}
