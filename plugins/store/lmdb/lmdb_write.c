/* lmdb_write.c — the single writer thread and group commit.
 *
 * Callers queue a request and sleep. The writer takes every queued request
 * (up to group_commit_max), applies them in order inside ONE write
 * transaction — each txn request gets its own revision and its compares see
 * the requests before it — and commits once, so one fsync pair covers the
 * whole batch. Only after the commit returns (the data is on disk) are the
 * callers woken. A commit that fails (map or disk full) fails every request
 * of the batch; LMDB leaves the previous state intact, so nothing already
 * acknowledged is lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lmdb_store.h"

#define PURGE_CHUNK 4096
/* Deferred LMDB commits: the open transaction is committed after
 * commit_interval (setting), after commit_idle_us (COMMIT_IDLE_US) without a
 * new write, when a reader needs LMDB
 * current, or when its batches' cost (batch_cost) reaches half of
 * DEFER_COST_MAX; DEFER_HEADROOM of data file is allocated ahead for it. */
#define COMMIT_IDLE_US 500
#define OP_COST (8u << 10)
#define DEFER_COST_MAX (64u << 20)
#define DEFER_HEADROOM (128ull << 20)
#define GATHER_MAX_NS 200000
#define GATHER_STEP 8 /* wake the gathering writer per this many arrivals */

typedef struct batch_state {
    int64_t seq; /* batches that changed the store, as logged */
    int64_t rev;
    int64_t compacted;
    int64_t lease_next;
    int compacted_changed;
    unsigned char *buf; /* scratch for composite keys: key_max + 16 */
    lmdb_ov_t *ov;      /* record events here (deferred commit), or NULL */
} batch_state_t;

/* A long key whose hash matches another long key's: refused, never mixed. */
#define LMDB_COLLISION MDB_KEYEXIST

/* val/vl (may be NULL): the value, valid until the next write in t. */
static int kv_lookup(lmdb_store_t *s, MDB_txn *t, const char *key, size_t kl, lmdb_rec_t *rec,
                     const void **val, size_t *vl)
{
    unsigned char enc[LMDB_ENC_MAX];
    MDB_val k = { lmdb_enc(key, kl, enc), enc }, v;
    int rc = mdb_get(t, s->kv, &k, &v);
    if (rc) return rc;
    if (lmdb_rec_decode(&v, rec, val, vl) != 0) return MDB_CORRUPTED;
    if (rec->klen && (rec->klen != kl || memcmp((char *)v.mv_data + sizeof *rec, key, kl) != 0))
        return LMDB_COLLISION;
    return 0;
}

/* Write rec (+ the full key when it is long, + value) under the LMDB key
 * `lk` in `dbi` (kv: encoded key; hist: encoded key ++ rev). */
static int put_rec(MDB_txn *t, MDB_dbi dbi, const void *lk, size_t lkl, const lmdb_rec_t *rec0,
                   const char *key, size_t kl, const void *val, size_t vl)
{
    lmdb_rec_t rec = *rec0;
    rec.klen = kl > LMDB_SHORT_MAX ? (uint32_t)kl : 0;
    MDB_val k = { lkl, (void *)lk }, v = { sizeof rec + rec.klen + vl, NULL };
    int rc = mdb_put(t, dbi, &k, &v, MDB_RESERVE);
    if (rc) return rc;
    memcpy(v.mv_data, &rec, sizeof rec);
    if (rec.klen) memcpy((char *)v.mv_data + sizeof rec, key, kl);
    if (vl) memcpy((char *)v.mv_data + sizeof rec + rec.klen, val, vl);
    return 0;
}

/* lkeys: lease ++ encoded key -> full key */
static int lkey_op(lmdb_store_t *s, MDB_txn *t, int64_t lease, const char *key, size_t kl,
                   int add, unsigned char *buf)
{
    lmdb_be64(buf, (uint64_t)lease);
    MDB_val k = { 8 + lmdb_enc(key, kl, buf + 8), buf }, v = { kl, (void *)key };
    int rc = add ? mdb_put(t, s->lkeys, &k, &v, 0) : mdb_del(t, s->lkeys, &k, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Record one event: hist entry and revision-log entry (which holds the full key). */
static int log_event(lmdb_store_t *s, MDB_txn *t, const char *key, size_t kl,
                     const lmdb_rec_t *rec, const void *val, size_t vl, uint32_t sub,
                     unsigned char *buf)
{
    size_t el = lmdb_enc(key, kl, buf);
    lmdb_be64(buf + el, (uint64_t)rec->mod_rev);
    int rc = put_rec(t, s->hist, buf, el + 8, rec, key, kl, val, vl);
    if (rc) return rc;
    unsigned char rk[12];
    lmdb_be64(rk, (uint64_t)rec->mod_rev);
    rk[8] = (unsigned char)(sub >> 24); rk[9] = (unsigned char)(sub >> 16);
    rk[10] = (unsigned char)(sub >> 8); rk[11] = (unsigned char)sub;
    MDB_val k = { sizeof rk, rk }, v = { kl, (void *)key };
    return mdb_put(t, s->rev, &k, &v, MDB_APPEND);
}

/* Delete `key` (known to exist as `old`, value oval) at revision `rev`. */
static int delete_key(lmdb_store_t *s, MDB_txn *t, const char *key, size_t kl,
                      const lmdb_rec_t *old, const void *oval, size_t ovl, int drop_lkey,
                      int64_t rev, uint32_t sub, batch_state_t *b)
{
    unsigned char *buf = b->buf;
    lmdb_rec_t tomb = { .type = SKIFF_STORE_EV_DELETE, .mod_rev = rev };
    if (b->ov && lmdb_ov_add(s, b->ov, SKIFF_STORE_EV_DELETE, key, kl, &tomb, NULL, 0, old, oval, ovl))
        return ENOMEM;
    size_t el = lmdb_enc(key, kl, buf);
    MDB_val k = { el, buf };
    int rc = mdb_del(t, s->kv, &k, NULL);
    if (rc) return rc;
    if (drop_lkey && old->lease && (rc = lkey_op(s, t, old->lease, key, kl, 0, buf))) return rc;
    return log_event(s, t, key, kl, &tomb, NULL, 0, sub, buf);
}

static int lease_exists(lmdb_store_t *s, MDB_txn *t, int64_t id, int *exists)
{
    unsigned char b[8];
    lmdb_be64(b, (uint64_t)id);
    MDB_val k = { 8, b }, v;
    int rc = mdb_get(t, s->lease, &k, &v);
    *exists = rc == 0;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Returns an MDB error (abort the batch) or 0; request outcome in r->rc. */
static int apply_txn(lmdb_store_t *s, MDB_txn *t, lmdb_req_t *r, batch_state_t *b)
{
    skiff_store_txn_res_t *res = r->res;
    int rc;
    res->succeeded = 0;
    res->failed_cmp = -1;
    res->deleted = 0;
    res->rev = b->rev;
    for (size_t i = 0; i < r->ncmps; i++) {
        const skiff_store_cmp_t *c = &r->cmps[i];
        lmdb_rec_t rec;
        rc = kv_lookup(s, t, c->key, c->key_len, &rec, NULL, NULL);
        if (rc && rc != MDB_NOTFOUND) return rc;
        int exists = rc == 0, holds = 0;
        switch (c->kind) {
        case SKIFF_STORE_CMP_ABSENT: holds = !exists; break;
        case SKIFF_STORE_CMP_MOD_REV: holds = exists && rec.mod_rev == c->rev; break;
        case SKIFF_STORE_CMP_EXISTS: holds = exists; break;
        }
        if (!holds) {
            res->failed_cmp = (int)i;
            return 0;
        }
    }
    for (size_t i = 0; i < r->nops; i++) {
        const skiff_store_op_t *o = &r->ops[i];
        if (o->kind != SKIFF_STORE_OP_PUT || o->lease == 0) continue;
        int ok;
        if ((rc = lease_exists(s, t, o->lease, &ok))) return rc;
        if (!ok) {
            r->rc = skiff_error_set(r->err, SKIFF_E_NOLEASE, "lease %lld not found (op %zu)",
                                    (long long)o->lease, i);
            return 0;
        }
    }
    int64_t rev = b->rev + 1;
    uint32_t sub = 0;
    for (size_t i = 0; i < r->nops; i++) {
        const skiff_store_op_t *o = &r->ops[i];
        lmdb_rec_t old;
        const void *oval = NULL;
        size_t ovl = 0;
        rc = kv_lookup(s, t, o->key, o->key_len, &old, &oval, &ovl);
        if (rc && rc != MDB_NOTFOUND) return rc;
        int exists = rc == 0;
        if (o->kind == SKIFF_STORE_OP_DELETE) {
            if (!exists) continue;
            if ((rc = delete_key(s, t, o->key, o->key_len, &old, oval, ovl, 1, rev, sub++, b))) return rc;
            res->deleted++;
            continue;
        }
        lmdb_rec_t rec = {
            .type = SKIFF_STORE_EV_PUT,
            .create_rev = exists ? old.create_rev : rev,
            .mod_rev = rev,
            .version = exists ? old.version + 1 : 1,
            .lease = o->lease,
        };
        /* before the kv entry is overwritten: the old value may be updated in place */
        if (b->ov && lmdb_ov_add(s, b->ov, SKIFF_STORE_EV_PUT, o->key, o->key_len, &rec, o->value,
                                 o->value_len, exists ? &old : NULL, oval, ovl))
            return ENOMEM;
        size_t el = lmdb_enc(o->key, o->key_len, b->buf);
        if ((rc = put_rec(t, s->kv, b->buf, el, &rec, o->key, o->key_len, o->value, o->value_len)))
            return rc;
        if (exists && old.lease && old.lease != o->lease &&
            (rc = lkey_op(s, t, old.lease, o->key, o->key_len, 0, b->buf)))
            return rc;
        if (o->lease && (!exists || old.lease != o->lease) &&
            (rc = lkey_op(s, t, o->lease, o->key, o->key_len, 1, b->buf)))
            return rc;
        if ((rc = log_event(s, t, o->key, o->key_len, &rec, o->value, o->value_len, sub++, b->buf)))
            return rc;
    }
    res->succeeded = 1;
    if (sub > 0) {
        b->rev = rev;
        res->rev = rev;
        r->wrote = 1;
    }
    return 0;
}

static int apply_revoke(lmdb_store_t *s, MDB_txn *t, lmdb_req_t *r, batch_state_t *b)
{
    int ok, rc;
    if ((rc = lease_exists(s, t, r->lease, &ok))) return rc;
    if (!ok) {
        r->rc = skiff_error_set(r->err, SKIFF_E_NOLEASE, "lease %lld not found", (long long)r->lease);
        return 0;
    }
    MDB_cursor *c;
    if ((rc = mdb_cursor_open(t, s->lkeys, &c))) return rc;
    unsigned char pfx[8];
    lmdb_be64(pfx, (uint64_t)r->lease);
    MDB_val k = { 8, pfx }, v;
    int64_t rev = b->rev + 1;
    uint32_t sub = 0;
    unsigned char *key = lmdb_alloc(s, s->key_max + 16);
    if (!key) { mdb_cursor_close(c); return ENOMEM; }
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE)) {
        if (k.mv_size < 8 || memcmp(k.mv_data, pfx, 8) != 0) break;
        size_t kl = v.mv_size;
        if (kl > s->key_max) { rc = MDB_CORRUPTED; break; }
        memcpy(key, v.mv_data, kl);
        if ((rc = mdb_cursor_del(c, 0))) break;
        lmdb_rec_t old;
        const void *oval;
        size_t ovl;
        rc = kv_lookup(s, t, (char *)key, kl, &old, &oval, &ovl);
        if (rc == MDB_NOTFOUND) { rc = 0; goto next; }
        if (rc) break;
        if (old.lease == r->lease) {
            /* its lkeys entry is already gone */
            if ((rc = delete_key(s, t, (char *)key, kl, &old, oval, ovl, 0, rev, sub++, b))) break;
        }
    next:
        k.mv_size = 8;
        k.mv_data = pfx;
    }
    lmdb_free(s, key);
    mdb_cursor_close(c);
    if (rc && rc != MDB_NOTFOUND) return rc;
    MDB_val lk = { 8, pfx };
    if ((rc = mdb_del(t, s->lease, &lk, NULL))) return rc;
    if (sub > 0) {
        b->rev = rev;
        r->wrote = 1;
    }
    return 0;
}

static int apply_grant(lmdb_store_t *s, MDB_txn *t, lmdb_req_t *r, batch_state_t *b)
{
    int64_t id = b->lease_next + 1;
    int ok, rc;
    for (;; id++) {
        if ((rc = lease_exists(s, t, id, &ok))) return rc;
        if (!ok) break;
    }
    unsigned char kb[8];
    lmdb_be64(kb, (uint64_t)id);
    MDB_val k = { 8, kb }, v = { sizeof r->ttl_ms, &r->ttl_ms };
    if ((rc = mdb_put(t, s->lease, &k, &v, 0))) return rc;
    b->lease_next = id;
    r->lease = id;
    r->wrote = 1;
    return 0;
}

static void apply_compact(lmdb_store_t *s, lmdb_req_t *r, batch_state_t *b)
{
    if (r->rev > b->rev) {
        r->rc = skiff_error_set(r->err, SKIFF_E_FUTURE_REV,
                                "compact: revision %lld is a future revision (current %lld)",
                                (long long)r->rev, (long long)b->rev);
    } else if (r->rev <= b->compacted) {
        r->rc = skiff_error_set(r->err, SKIFF_E_COMPACTED,
                                "compact: revision %lld has already been compacted (at %lld)",
                                (long long)r->rev, (long long)b->compacted);
    } else {
        b->compacted = r->rev;
        b->compacted_changed = 1;
        r->wrote = 1;
    }
    (void)s;
}

static void wake_req(lmdb_req_t *r)
{
    atomic_store_explicit(&r->done, 1, memory_order_release);
    syscall(SYS_futex, (int *)&r->done, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void finish(lmdb_store_t *s, lmdb_req_t **reqs, size_t n, int mdb_rc, const char *what)
{
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < n; i++) {
        lmdb_req_t *r = reqs[i];
        if (mdb_rc) {
            r->rc = lmdb_mdb_error(s, mdb_rc, what, r->err);
        } else if (r->kind == LMDB_REQ_GRANT && r->rc == 0) {
            if (lmdb_lease_add_locked(s, r->lease, r->ttl_ms) != 0)
                r->rc = skiff_error_set(r->err, -ENOMEM, "lease grant: out of memory");
        } else if (r->kind == LMDB_REQ_REVOKE) {
            lmdb_lease_remove_locked(s, r->lease);
        }
    }
    lmdb_watch_wake_locked(s, mdb_rc ? NULL : reqs, n);
    pthread_mutex_unlock(&s->mu);
    /* Wake the callers outside the lock, so none wakes only to wait for it:
     * the writer wakes the first, each woken caller wakes two more (a tree,
     * so the writer goes back to work after one wake-up instead of one per
     * request, and the wake-ups run on both cores). A request whose flag is
     * set may be gone: it is touched no more, and its kids are set before. */
    for (size_t i = 0; i < n; i++) {
        reqs[i]->kids[0] = 2 * i + 1 < n ? reqs[2 * i + 1] : NULL;
        reqs[i]->kids[1] = 2 * i + 2 < n ? reqs[2 * i + 2] : NULL;
    }
    if (n) wake_req(reqs[0]);
}

/* Apply a batch inside t. *changed: the batch altered the store (it then
 * gets the next batch seq, which the write-ahead log records). */
static int apply_batch(lmdb_store_t *s, MDB_txn *t, lmdb_req_t **reqs, size_t n,
                       batch_state_t *b, int *changed)
{
    int rc;
    *changed = 0;
#ifdef SKIFF_PLUGIN_TEST
    if (s->test_fail_apply) {
        s->test_fail_apply = 0;
        /* as if it failed halfway: something of it is in t already */
        if ((rc = lmdb_meta_put(s, t, "rev", 1000000))) return rc;
        return MDB_MAP_FULL;
    }
#endif
    if ((rc = lmdb_meta_get(s, t, "rev", &b->rev)) ||
        (rc = lmdb_meta_get(s, t, "compacted", &b->compacted)) ||
        (rc = lmdb_meta_get(s, t, "lease_next", &b->lease_next)) ||
        (rc = lmdb_meta_get(s, t, "seq", &b->seq)))
        return rc;
    int64_t rev0 = b->rev, lease0 = b->lease_next;
    int wrote = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        lmdb_req_t *r = reqs[i];
        r->rc = 0;
        r->wrote = 0;
        switch (r->kind) {
        case LMDB_REQ_TXN: rc = apply_txn(s, t, r, b); break;
        case LMDB_REQ_REVOKE: rc = apply_revoke(s, t, r, b); break;
        case LMDB_REQ_GRANT: rc = apply_grant(s, t, r, b); break;
        case LMDB_REQ_COMPACT: apply_compact(s, r, b); break;
        }
        wrote |= r->wrote;
    }
    if (rc) return rc;
    /* a revoke of a lease without keys changes only the lease table */
    for (size_t i = 0; i < n; i++)
        if (reqs[i]->kind == LMDB_REQ_REVOKE && reqs[i]->rc == 0) wrote = 1;
    if (b->rev != rev0 && (rc = lmdb_meta_put(s, t, "rev", b->rev))) return rc;
    if (b->lease_next != lease0 && (rc = lmdb_meta_put(s, t, "lease_next", b->lease_next))) return rc;
    if (b->compacted_changed && (rc = lmdb_meta_put(s, t, "compacted", b->compacted))) return rc;
    if (wrote) {
        b->seq++;
        if ((rc = lmdb_meta_put(s, t, "seq", b->seq))) return rc;
        *changed = 1;
    }
    return 0;
}

/* Where the writer's time goes, logged at debug level every few seconds. */
static void batch_stats(lmdb_store_t *s, size_t n, int64_t t0, int64_t t1, int64_t t2, int64_t t3)
{
    s->st_batches++;
    s->st_reqs += n;
    s->st_apply_ns += t1 - t0;
    s->st_log_ns += t2 - t1;
    s->st_commit_ns += t3 - t2;
    if (t3 - s->st_since_ns < 5000000000LL) return;
    if (s->host->log_enabled(s->ctx, SKIFF_LOG_DEBUG) && s->st_batches)
        s->host->log(s->ctx, SKIFF_LOG_DEBUG,
                     "writer: %lld batches, %.1f requests each; per batch: apply %.0f us, "
                     "log+fdatasync %.0f us, commit %.0f us; %lld deferred LMDB commits of "
                     "%.0f us", (long long)s->st_batches,
                     (double)s->st_reqs / s->st_batches, s->st_apply_ns / 1e3 / s->st_batches,
                     s->st_log_ns / 1e3 / s->st_batches, s->st_commit_ns / 1e3 / s->st_batches,
                     (long long)s->st_dcommits,
                     s->st_dcommits ? s->st_dcommit_ns / 1e3 / s->st_dcommits : 0.0);
    s->st_batches = s->st_reqs = s->st_apply_ns = s->st_log_ns = s->st_commit_ns = 0;
    s->st_dcommits = s->st_dcommit_ns = 0;
    s->st_since_ns = t3;
}

/* What a batch may add to the open LMDB transaction, in bytes of data file:
 * a generous bound on the pages one op dirties, plus its bytes twice. */
static size_t batch_cost(lmdb_req_t **reqs, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        lmdb_req_t *r = reqs[i];
        if (r->kind != LMDB_REQ_TXN) { c += OP_COST; continue; }
        for (size_t j = 0; j < r->nops; j++)
            c += OP_COST + 2 * (r->ops[j].key_len + r->ops[j].value_len);
    }
    return c;
}

/* May the transaction about to begin commit after its batches are
 * acknowledged? Only with room for it: data.mdb is allocated ahead
 * (FALLOC_FL_KEEP_SIZE) so that the deferred commit cannot fail for a full
 * disk after the writes were acknowledged, and the map has room too. On a
 * nearly full disk every batch is committed before it is acknowledged, so a
 * full disk fails the batch that does not fit and nothing else. */
static int can_defer(lmdb_store_t *s)
{
    if (!s->ov) return 0;
    MDB_envinfo ei;
    MDB_stat st;
    int fd;
    if (mdb_env_info(s->env, &ei) || mdb_env_stat(s->env, &st) || mdb_env_get_fd(s->env, &fd))
        return 0;
    uint64_t used = ((uint64_t)ei.me_last_pgno + 1) * st.ms_psize;
    uint64_t want = used + DEFER_HEADROOM;
    if (want > ei.me_mapsize) return 0;
    if (s->prealloc_end >= used + DEFER_HEADROOM / 2) return 1;
    uint64_t from = s->prealloc_end < used ? s->prealloc_end : used;
    if (fallocate(fd, FALLOC_FL_KEEP_SIZE, (off_t)from, (off_t)(want - from)) != 0) {
        s->prealloc_end = 0;
        return 0;
    }
    s->prealloc_end = want;
    return 1;
}

static void wake_flushers(lmdb_store_t *s)
{
    pthread_mutex_lock(&s->mu);
    atomic_store(&s->flush_req, 0);
    pthread_cond_broadcast(&s->flush_cond);
    pthread_mutex_unlock(&s->mu);
}

/* Commit the open LMDB transaction (every batch in it is acknowledged
 * already) and start a fresh overlay. */
static void round_sync(lmdb_store_t *s);

static int writer_commit(lmdb_store_t *s)
{
    round_sync(s); /* LMDB commits only what is durable */
    if (!s->w_txn) {
        if (atomic_load(&s->flush_req)) wake_flushers(s);
        return 0;
    }
    int64_t t0 = s->host->clock_monotonic_ns();
    lmdb_ov_t *nov = s->w_defer ? lmdb_ov_new(s, atomic_load(&s->cur_rev)) : NULL;
    int rc = mdb_txn_commit(s->w_txn);
    s->w_txn = NULL;
    if (rc) {
        lmdb_ov_unref(s, nov);
        if (s->w_defer) {
            /* Acknowledged batches are in the log but not in LMDB: reads go
             * on through the overlay, writes are refused until a restart
             * replays the log. */
            skiff_error_t e;
            lmdb_mdb_error(s, rc, "deferred commit", &e);
            s->host->log(s->ctx, SKIFF_LOG_ERROR, "%s; refusing writes until restarted", e.msg);
            pthread_mutex_lock(&s->mu);
            s->broken = rc;
            pthread_mutex_unlock(&s->mu);
        }
        wake_flushers(s);
        return rc;
    }
    if (nov) {
        pthread_mutex_lock(&s->ov_mu);
        lmdb_ov_t *old = s->ov;
        s->ov = nov;
        pthread_mutex_unlock(&s->ov_mu);
        lmdb_ov_unref(s, old);
    } /* out of memory: keep the old overlay, which stays correct, only longer */
    atomic_store(&s->committed_rev, atomic_load(&s->cur_rev));
    atomic_store(&s->committed_seq, s->wal_seq);
    s->st_dcommits++;
    s->st_dcommit_ns += s->host->clock_monotonic_ns() - t0;
    wake_flushers(s);
    return 0;
}

/* A batch failed midway (applying or logging it). LMDB cannot drop part of
 * a transaction: abort the open one and apply the batches before this one
 * again from the log, where each is durable already (they are acknowledged;
 * their overlay events stay). `upto`: where this batch's record would begin.
 * A rebuild that fails leaves the store refusing writes until restarted
 * (which replays the log). */
static int rebuild_txn(lmdb_store_t *s, uint64_t upto)
{
    mdb_txn_abort(s->w_txn);
    s->w_txn = NULL;
    if (upto <= s->w_wal_off0) return 0; /* nothing before it */
    int rc = mdb_txn_begin(s->env, NULL, 0, &s->w_txn);
    if (rc == 0) rc = lmdb_wal_reapply(s, s->w_txn, s->w_wal_off0, upto);
    if (rc) {
        if (s->w_txn) mdb_txn_abort(s->w_txn);
        s->w_txn = NULL;
        s->host->log(s->ctx, SKIFF_LOG_ERROR, "%s: cannot re-apply the logged batches after a "
                     "failed one (%s); refusing writes until restarted", s->data_file,
                     mdb_strerror(rc));
        pthread_mutex_lock(&s->mu);
        s->broken = rc;
        pthread_mutex_unlock(&s->mu);
        wake_flushers(s);
    }
    return rc;
}

int lmdb_apply_logged(lmdb_store_t *s, MDB_txn *t, lmdb_req_t **reqs, size_t n, uint64_t seq)
{
    batch_state_t b = { .buf = s->w_buf };
    int changed = 0;
    int rc = apply_batch(s, t, reqs, n, &b, &changed);
    if (rc == 0 && (uint64_t)b.seq != seq) rc = MDB_CORRUPTED;
    return rc;
}

/* Make the open round durable: one fdatasync for every batch in it, then
 * publish and acknowledge them all; if it fails nothing of the round
 * survives (log cut back, LMDB rebuilt from the log before it). */
static void round_sync(lmdb_store_t *s)
{
    if (!s->r_open) return;
    s->r_open = 0;
    int64_t t1 = s->host->clock_monotonic_ns();
    int rc = s->r_changed && fdatasync(s->wal_fd) != 0 ? errno : 0;
#ifdef SKIFF_PLUGIN_TEST
    if (s->test_fail_sync) {
        s->test_fail_sync = 0;
        rc = EIO;
    }
#endif
    int64_t t2 = s->host->clock_monotonic_ns();
    size_t n = s->w_npend;
    s->w_npend = 0;
    s->last_round = n;
    if (rc) {
        lmdb_wal_cut(s, s->r_off0);
        s->wal_seq = s->r_seq0;
        lmdb_ov_truncate(s, s->ov, s->r_ov0);
        rebuild_txn(s, s->r_off0);
        finish(s, s->w_pend, n, rc, "write-ahead log");
        return;
    }
    if (s->r_changed) s->log_ewma_ns = s->log_ewma_ns ? (7 * s->log_ewma_ns + (t2 - t1)) / 8 : t2 - t1;
    batch_stats(s, n, s->r_t0, t1, t2, t2);
    lmdb_ov_publish(s, s->ov, s->r_rev);
    atomic_store(&s->cur_rev, s->r_rev);
    atomic_store(&s->durable_seq, s->wal_seq);
    if (s->r_cc) {
        atomic_store(&s->compacted, s->r_compacted);
        s->purge_pending = 1;
    }
    finish(s, s->w_pend, n, 0, NULL);
}

/* Apply one batch. Deferred mode: it is applied and its record written,
 * and it joins the open round (acknowledged by round_sync). Otherwise (a
 * nearly full disk) it is made durable, committed and acknowledged here. */
static void run_batch(lmdb_store_t *s, lmdb_req_t **reqs, size_t n, unsigned char *buf)
{
    if (s->broken) {
        round_sync(s);
        finish(s, reqs, n, s->broken, "an earlier commit failed; restart the store");
        return;
    }
    size_t cost = batch_cost(reqs, n);
    /* a round never spans an LMDB commit, nor outgrows the pending list */
    if (s->r_open && (s->w_cost + cost > DEFER_COST_MAX || s->w_npend + n > s->w_max || !s->w_txn))
        round_sync(s);
    if (s->w_txn && s->w_cost + cost > DEFER_COST_MAX && writer_commit(s) != 0) {
        finish(s, reqs, n, s->broken, "an earlier commit failed; restart the store");
        return;
    }
    int64_t t0 = s->host->clock_monotonic_ns();
    int rc;
    if (!s->w_txn) {
        if ((rc = mdb_txn_begin(s->env, NULL, 0, &s->w_txn))) {
            s->w_txn = NULL;
            finish(s, reqs, n, rc, "begin write");
            return;
        }
        s->w_defer = cost <= DEFER_COST_MAX && can_defer(s);
        s->w_t0 = t0;
        s->w_cost = 0;
        s->w_wal_off0 = s->wal_off;
    }
    /* Each batch goes straight into the open transaction (a nested one
     * per batch cost ~30% of applying: page copies and dirty-list merges).
     * A batch that fails midway is undone by rebuild_txn. */
    MDB_txn *t = s->w_txn;
    lmdb_ov_t *ov = s->w_defer ? s->ov : NULL;
    if (ov && !s->r_open) {
        s->r_open = 1;
        s->r_changed = s->r_cc = 0;
        s->r_off0 = s->wal_off;
        s->r_seq0 = s->wal_seq;
        s->r_ov0 = ov->n;
        s->r_rev = atomic_load(&s->cur_rev);
        s->r_t0 = t0;
    }
    size_t ov0 = ov ? ov->n : 0;
    uint64_t off0 = s->wal_off;
    batch_state_t b = { .buf = buf, .ov = ov };
    int changed = 0;
    if ((rc = apply_batch(s, t, reqs, n, &b, &changed))) {
        if (ov) lmdb_ov_truncate(s, ov, ov0);
        rebuild_txn(s, off0);
        finish(s, reqs, n, rc, "write");
        return;
    }
    int64_t t1 = s->host->clock_monotonic_ns();
    if (ov) {
        /* written now, made durable with the rest of the round */
        if (changed && (rc = lmdb_wal_write(s, reqs, n, (uint64_t)b.seq))) {
            lmdb_ov_truncate(s, ov, ov0);
            rebuild_txn(s, off0); /* the log is cut back to off0 */
            finish(s, reqs, n, rc, "write-ahead log");
            return;
        }
        if (changed) {
            s->wal_seq = (uint64_t)b.seq;
            s->r_changed = 1;
        }
        s->r_rev = b.rev;
        if (b.compacted_changed) {
            s->r_cc = 1;
            s->r_compacted = b.compacted;
        }
        s->w_cost += cost;
        memcpy(s->w_pend + s->w_npend, reqs, n * sizeof *reqs);
        s->w_npend += n;
        return;
    }
    /* Durable first (one sequential fdatasync), visible second. */
    if (changed && (rc = lmdb_wal_append(s, reqs, n, (uint64_t)b.seq))) {
        rebuild_txn(s, off0);
        finish(s, reqs, n, rc, "write-ahead log");
        return;
    }
    int64_t t2 = s->host->clock_monotonic_ns();
    if (changed) s->log_ewma_ns = s->log_ewma_ns ? (7 * s->log_ewma_ns + (t2 - t1)) / 8 : t2 - t1;
    rc = mdb_txn_commit(t);
    s->w_txn = NULL;
    if (rc) {
        if (changed) lmdb_wal_undo(s);
        finish(s, reqs, n, rc, "commit");
        return;
    }
    batch_stats(s, n, t0, t1, t2, s->host->clock_monotonic_ns());
    if (changed) s->wal_seq = (uint64_t)b.seq;
    atomic_store(&s->cur_rev, b.rev);
    atomic_store(&s->durable_seq, s->wal_seq);
    atomic_store(&s->committed_rev, b.rev);
    atomic_store(&s->committed_seq, s->wal_seq);
    if (b.compacted_changed) {
        atomic_store(&s->compacted, b.compacted);
        s->purge_pending = 1;
    }
    finish(s, reqs, n, 0, NULL);
}

int lmdb_replay_batch(lmdb_store_t *s, lmdb_req_t **reqs, size_t n, uint64_t seq, skiff_error_t *err)
{
    MDB_txn *t;
    batch_state_t b = { .buf = s->w_buf };
    int changed = 0;
    int rc = mdb_txn_begin(s->env, NULL, 0, &t);
    if (rc) return lmdb_mdb_error(s, rc, "replay", err);
    if ((rc = apply_batch(s, t, reqs, n, &b, &changed))) {
        mdb_txn_abort(t);
        return lmdb_mdb_error(s, rc, "replay", err);
    }
    if ((uint64_t)b.seq != seq) {
        mdb_txn_abort(t);
        return skiff_error_set(err, SKIFF_E_CORRUPT,
                               "%s: write-ahead log batch %llu does not replay onto the store "
                               "(it is at batch %lld)", s->path, (unsigned long long)seq,
                               (long long)b.seq);
    }
    if ((rc = mdb_txn_commit(t))) return lmdb_mdb_error(s, rc, "replay commit", err);
    return 0;
}

/* Delete history below the compaction point, a chunk at a time, while no
 * request waits. For each logged event (rev r < compacted, key k) the entry
 * of k before r is superseded for every readable revision, and a tombstone
 * at r is itself no longer needed. The newest surviving PUT of a key stays
 * until a later event of that key is purged. Returns 1 when done. */
static int purge_step(lmdb_store_t *s, unsigned char *buf)
{
    MDB_txn *t;
    MDB_cursor *rc_cur = NULL, *hc = NULL;
    int64_t compacted = atomic_load(&s->compacted);
    int rc = mdb_txn_begin(s->env, NULL, 0, &t), done = 0, n = 0;
    if (rc) goto fail;
    if ((rc = mdb_cursor_open(t, s->rev, &rc_cur)) || (rc = mdb_cursor_open(t, s->hist, &hc)))
        goto fail;
    MDB_val k, v;
    for (;;) {
        rc = mdb_cursor_get(rc_cur, &k, &v, MDB_FIRST);
        if (rc == MDB_NOTFOUND) { done = 1; rc = 0; break; }
        if (rc) goto fail;
        int64_t r = (int64_t)lmdb_get_be64(k.mv_data);
        if (r >= compacted) { done = 1; break; }
        if (n++ >= PURGE_CHUNK) break;
        if (v.mv_size > s->key_max) { rc = MDB_CORRUPTED; goto fail; }
        unsigned char *key = buf + s->key_max + 16;
        size_t kl = lmdb_enc(v.mv_data, v.mv_size, key);
        if ((rc = mdb_cursor_del(rc_cur, 0))) goto fail;
        lmdb_rec_t rec;
        MDB_val hv;
        /* the previous entry of this key */
        rc = lmdb_hist_at(s, hc, (char *)key, kl, r - 1, &rec, &hv, buf);
        if (rc == 0) rc = mdb_cursor_del(hc, 0);
        if (rc && rc != MDB_NOTFOUND) goto fail;
        rc = lmdb_hist_at(s, hc, (char *)key, kl, r, &rec, &hv, buf);
        if (rc == 0 && rec.mod_rev == r && rec.type == SKIFF_STORE_EV_DELETE)
            rc = mdb_cursor_del(hc, 0);
        if (rc && rc != MDB_NOTFOUND) goto fail;
    }
    mdb_cursor_close(rc_cur);
    mdb_cursor_close(hc);
    rc_cur = hc = NULL;
    /* Not logged: a purge lost in a crash is simply redone. */
    rc = mdb_txn_commit(t);
    t = NULL;
    if (rc) goto fail;
    return done;
fail:
    if (rc_cur) mdb_cursor_close(rc_cur);
    if (hc) mdb_cursor_close(hc);
    if (t) mdb_txn_abort(t);
    if (s->host->log_enabled(s->ctx, SKIFF_LOG_WARN)) {
        skiff_error_t e;
        lmdb_mdb_error(s, rc, "purge compacted history", &e);
        s->host->log(s->ctx, SKIFF_LOG_WARN, "%s", e.msg);
    }
    return 1;
}

static int commit_due(lmdb_store_t *s)
{
    int64_t now = s->host->clock_monotonic_ns();
    if (atomic_load(&s->flush_req) || s->w_cost >= DEFER_COST_MAX / 2 ||
        now - s->w_t0 >= s->commit_ms * 1000000LL)
        return 1;
    /* a checkpoint is due (it needs LMDB committed) and can start: while
     * the last one still syncs, committing after every batch would not
     * bring it closer */
    if (now - s->ckpt_last_ns < s->checkpoint_ms * 1000000 && s->wal_off < (32ull << 20) &&
        s->wal_off <= s->wal_room)
        return 0;
    pthread_mutex_lock(&s->mu);
    int can = !s->ckpt_busy && (s->wal_off <= s->wal_room || s->spare_ready ||
                                now - s->ckpt_last_ns >= s->checkpoint_ms * 1000000 ||
                                s->wal_off >= (32ull << 20));
    pthread_mutex_unlock(&s->mu);
    return can;
}

/* Take up to what the pending list has room for off the queue (under mu). */
static size_t take(lmdb_store_t *s)
{
    size_t room = s->w_max - s->w_npend, n = 0;
    if (room == 0) room = s->w_max; /* the round is synced first (run_batch) */
    while (s->q_head && n < room) {
        s->w_reqs[n++] = s->q_head;
        s->q_head = s->q_head->next;
    }
    if (!s->q_head) s->q_tail = NULL;
    s->q_n -= n;
    return n;
}

/* Under mu, with a round open: the callers of the last round were just
 * woken and most will be back with their next write within a few dozen
 * us. Apply each arrival as it comes (its own batch and log record) and
 * make them all durable with one fdatasync once about as many as the last
 * round had are in, or after at most a quarter of an fdatasync — so the
 * apply work hides in the wait instead of following it. */
static void gather_round(lmdb_store_t *s)
{
    int64_t cap = s->log_ewma_ns / 4;
    if (cap > GATHER_MAX_NS) cap = GATHER_MAX_NS;
    int64_t deadline = s->r_t0 + cap;
    while (s->r_open && !s->writer_stop && !atomic_load(&s->flush_req)) {
        size_t want = s->last_round;
        if (s->w_npend >= want || s->w_npend >= s->w_max) break;
        if (!s->q_head) {
            int64_t now = s->host->clock_monotonic_ns();
            if (now >= deadline) break;
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            int64_t ns = ts.tv_nsec + (deadline - now);
            ts.tv_sec += ns / 1000000000LL;
            ts.tv_nsec = ns % 1000000000LL;
            size_t step = want - s->w_npend;
            s->gather_target = step < GATHER_STEP ? step : GATHER_STEP;
            s->writer_waiting = 1;
            pthread_cond_timedwait(&s->q_cond, &s->mu, &ts);
            s->writer_waiting = 0;
            s->gather_target = 0;
            continue;
        }
        size_t n = take(s);
        pthread_mutex_unlock(&s->mu);
        run_batch(s, s->w_reqs, n, s->w_buf);
        pthread_mutex_lock(&s->mu);
    }
}

static void *writer_main(void *arg)
{
    lmdb_store_t *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        int idle = 0;
        while (!s->q_head && !s->writer_stop && !s->purge_pending && !idle &&
               !atomic_load(&s->flush_req)) {
            if (!s->w_txn) {
                s->writer_waiting = 1;
                pthread_cond_wait(&s->q_cond, &s->mu);
                s->writer_waiting = 0;
                continue;
            }
            /* commit the open transaction once no write follows for a moment */
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            int64_t ns = ts.tv_nsec + s->commit_idle_us * 1000LL;
            ts.tv_sec += ns / 1000000000LL;
            ts.tv_nsec = ns % 1000000000LL;
            s->writer_waiting = 1;
            if (pthread_cond_timedwait(&s->q_cond, &s->mu, &ts) == ETIMEDOUT) idle = 1;
            s->writer_waiting = 0;
        }
        if (!s->q_head) {
            int stop = s->writer_stop;
            pthread_mutex_unlock(&s->mu);
            writer_commit(s);
            if (stop) {
                pthread_mutex_lock(&s->mu);
                break;
            }
            int done = s->purge_pending ? purge_step(s, s->w_buf) : 0;
            lmdb_wal_maybe_checkpoint(s, 0);
            pthread_mutex_lock(&s->mu);
            if (done) s->purge_pending = 0;
            continue;
        }
        size_t n = take(s);
        pthread_mutex_unlock(&s->mu);
        run_batch(s, s->w_reqs, n, s->w_buf);
        pthread_mutex_lock(&s->mu);
        gather_round(s);
        pthread_mutex_unlock(&s->mu);
        round_sync(s);
        if (s->w_txn && commit_due(s)) writer_commit(s);
        if (!s->w_txn) lmdb_wal_maybe_checkpoint(s, 0);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int lmdb_flush_wait(lmdb_store_t *s, skiff_error_t *err)
{
    uint64_t want = atomic_load(&s->durable_seq);
    if (atomic_load(&s->committed_seq) >= want) return 0;
    pthread_mutex_lock(&s->mu);
    while (atomic_load(&s->committed_seq) < want && !s->broken && s->writer_running) {
        atomic_store(&s->flush_req, 1);
        pthread_cond_signal(&s->q_cond);
        pthread_cond_wait(&s->flush_cond, &s->mu);
    }
    int broken = s->broken;
    pthread_mutex_unlock(&s->mu);
    if (atomic_load(&s->committed_seq) >= want) return 0;
    if (broken) return lmdb_mdb_error(s, broken, "an earlier commit failed; restart the store", err);
    return skiff_error_set(err, SKIFF_E_CLOSED, "store %s is closed", s->path);
}

int lmdb_writer_alloc(lmdb_store_t *s, skiff_error_t *err)
{
    s->w_max = s->group_commit_max > 0 ? (size_t)s->group_commit_max : 1;
    if (!s->w_reqs) s->w_reqs = lmdb_alloc(s, s->w_max * sizeof *s->w_reqs);
    if (!s->w_pend) s->w_pend = lmdb_alloc(s, s->w_max * sizeof *s->w_pend);
    /* two key-sized scratch areas: composite keys and a saved key */
    if (!s->w_buf) s->w_buf = lmdb_alloc(s, 2 * (s->key_max + 16));
    if (!s->w_reqs || !s->w_pend || !s->w_buf)
        return skiff_error_set(err, -ENOMEM, "store writer: out of memory");
    return 0;
}

int lmdb_writer_start(lmdb_store_t *s, skiff_error_t *err)
{
    int rc = lmdb_writer_alloc(s, err);
    if (rc) return rc;
    rc = pthread_create(&s->writer, NULL, writer_main, s);
    if (rc) return skiff_error_set(err, -rc, "cannot start the store writer thread: %s", strerror(rc));
    s->writer_running = 1;
    return 0;
}

void lmdb_writer_stop(lmdb_store_t *s)
{
    if (!s->writer_running) return;
    pthread_mutex_lock(&s->mu);
    s->writer_stop = 1;
    pthread_cond_signal(&s->q_cond);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->writer, NULL);
    s->writer_running = 0;
}

void lmdb_writer_free(lmdb_store_t *s)
{
    lmdb_free(s, s->w_reqs);
    lmdb_free(s, s->w_pend);
    s->w_pend = NULL;
    lmdb_free(s, s->w_buf);
    s->w_reqs = NULL;
    s->w_buf = NULL;
}

int lmdb_submit(lmdb_store_t *s, lmdb_req_t *r)
{
    r->next = NULL;
    atomic_store(&r->done, 0);
    r->rc = 0;
    r->wrote = 0;
    pthread_mutex_lock(&s->mu);
    if (s->writer_stop || !s->writer_running) {
        pthread_mutex_unlock(&s->mu);
        return skiff_error_set(r->err, SKIFF_E_CLOSED, "store %s is closed", s->path);
    }
    if (s->q_tail) s->q_tail->next = r;
    else s->q_head = r;
    s->q_tail = r;
    s->q_n++;
    /* wake the writer only when it waits for this (a gathering writer wants
     * a number of requests, not each of them) */
    if (s->writer_waiting && s->q_n >= s->gather_target) pthread_cond_signal(&s->q_cond);
    pthread_mutex_unlock(&s->mu);
    while (!atomic_load_explicit(&r->done, memory_order_acquire))
        syscall(SYS_futex, (int *)&r->done, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    /* pass the wake-up on (finish()) */
    lmdb_req_t *k0 = r->kids[0], *k1 = r->kids[1];
    if (k0) wake_req(k0);
    if (k1) wake_req(k1);
    return r->rc;
}

static int check_key(lmdb_store_t *s, const char *what, size_t i, const char *key, size_t kl,
                     skiff_error_t *err)
{
    if (kl == 0) return skiff_error_set(err, SKIFF_E_INVALID, "txn: %s %zu: key is empty", what, i);
    if (!key) return skiff_error_set(err, SKIFF_E_INVALID, "txn: %s %zu: key is NULL", what, i);
    if (kl > s->key_max)
        return skiff_error_set(err, SKIFF_E_TOOLARGE,
                               "txn: %s %zu: key of %zu bytes is longer than the lmdb store's "
                               "limit of %zu bytes", what, i, kl, s->key_max);
    return 0;
}

int lmdb_txn(void *self, const skiff_store_cmp_t *cmps, size_t ncmps, const skiff_store_op_t *ops,
             size_t nops, skiff_store_txn_res_t *res, skiff_error_t *err)
{
    lmdb_store_t *s = self;
    skiff_store_txn_res_t local;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    res->failed_cmp = -1;
    if ((ncmps && !cmps) || (nops && !ops))
        return skiff_error_set(err, SKIFF_E_INVALID, "txn: NULL compares or ops with a count");
    int rc;
    for (size_t i = 0; i < ncmps; i++) {
        const skiff_store_cmp_t *c = &cmps[i];
        if (c->kind < SKIFF_STORE_CMP_ABSENT || c->kind > SKIFF_STORE_CMP_EXISTS)
            return skiff_error_set(err, SKIFF_E_INVALID, "txn: compare %zu: unknown kind %d", i,
                                   (int)c->kind);
        if ((rc = check_key(s, "compare", i, c->key, c->key_len, err))) return rc;
    }
    for (size_t i = 0; i < nops; i++) {
        const skiff_store_op_t *o = &ops[i];
        if (o->kind != SKIFF_STORE_OP_PUT && o->kind != SKIFF_STORE_OP_DELETE)
            return skiff_error_set(err, SKIFF_E_INVALID, "txn: op %zu: unknown kind %d", i,
                                   (int)o->kind);
        if ((rc = check_key(s, "op", i, o->key, o->key_len, err))) return rc;
        if (o->kind == SKIFF_STORE_OP_PUT) {
            if (o->value_len > SKIFF_STORE_VALUE_MAX)
                return skiff_error_set(err, SKIFF_E_TOOLARGE,
                                       "txn: op %zu: value of %zu bytes is larger than the limit "
                                       "of %u bytes", i, o->value_len, SKIFF_STORE_VALUE_MAX);
            if (o->value_len && !o->value)
                return skiff_error_set(err, SKIFF_E_INVALID, "txn: op %zu: value is NULL", i);
            if (o->lease < 0)
                return skiff_error_set(err, SKIFF_E_INVALID, "txn: op %zu: lease %lld is negative",
                                       i, (long long)o->lease);
        }
        for (size_t j = 0; j < i; j++)
            if (ops[j].key_len == o->key_len && memcmp(ops[j].key, o->key, o->key_len) == 0)
                return skiff_error_set(err, SKIFF_E_INVALID,
                                       "txn: op %zu: duplicate key given in txn request", i);
    }
    lmdb_req_t r = { .kind = LMDB_REQ_TXN, .cmps = cmps, .ncmps = ncmps, .ops = ops,
                     .nops = nops, .res = res, .err = err };
    return lmdb_submit(s, &r);
}

int lmdb_compact(void *self, int64_t rev, skiff_error_t *err)
{
    lmdb_store_t *s = self;
    if (rev <= 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "compact: revision %lld is not positive",
                               (long long)rev);
    lmdb_req_t r = { .kind = LMDB_REQ_COMPACT, .rev = rev, .err = err };
    int rc = lmdb_submit(s, &r);
    if (rc == 0 && s->host->log_enabled(s->ctx, SKIFF_LOG_DEBUG))
        s->host->log(s->ctx, SKIFF_LOG_DEBUG, "compacted history below revision %lld", (long long)rev);
    return rc;
}
