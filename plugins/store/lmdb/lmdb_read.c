/* lmdb_read.c — get, range and revision: MDB read transactions, any thread. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lmdb_store.h"

typedef struct range_ctx {
    const skiff_store_range_req_t *req;
    int to_end; /* end == "\0": every key >= key */
} range_ctx_t;

static int in_range(const range_ctx_t *rc, const char *k, size_t kl)
{
    const skiff_store_range_req_t *q = rc->req;
    if (q->prefix) return kl >= q->key_len && memcmp(k, q->key, q->key_len) == 0;
    if (rc->to_end) return 1;
    if (q->end == NULL) return kl == q->key_len && memcmp(k, q->key, kl) == 0;
    size_t n = kl < q->end_len ? kl : q->end_len;
    int c = memcmp(k, q->end, n);
    return c < 0 || (c == 0 && kl < q->end_len);
}

/* Open a read txn and resolve the revision to read at. */
static int read_begin(lmdb_store_t *s, int64_t want, MDB_txn **t, int64_t *at, int64_t *cur,
                      skiff_error_t *err)
{
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, t);
    if (rc) return lmdb_mdb_error(s, rc, "begin read", err);
    int64_t compacted;
    if ((rc = lmdb_meta_get(s, *t, "rev", cur)) || (rc = lmdb_meta_get(s, *t, "compacted", &compacted))) {
        mdb_txn_abort(*t);
        return lmdb_mdb_error(s, rc, "read meta", err);
    }
    /* a compaction is acknowledged (logged) before LMDB commits it */
    int64_t c2 = atomic_load(&s->compacted);
    if (c2 > compacted) compacted = c2;
    if (want < 0) {
        mdb_txn_abort(*t);
        return skiff_error_set(err, SKIFF_E_INVALID, "revision %lld is negative", (long long)want);
    }
    if (want > *cur) {
        mdb_txn_abort(*t);
        return skiff_error_set(err, SKIFF_E_FUTURE_REV,
                               "required revision %lld is a future revision (current %lld)",
                               (long long)want, (long long)*cur);
    }
    if (want != 0 && want < compacted) {
        mdb_txn_abort(*t);
        return skiff_error_set(err, SKIFF_E_COMPACTED,
                               "required revision %lld has been compacted (compacted at %lld)",
                               (long long)want, (long long)compacted);
    }
    *at = want ? want : *cur;
    return 0;
}

static void kv_from(skiff_store_kv_t *kv, const char *key, size_t kl, const lmdb_rec_t *rec,
                    const void *val, size_t vl)
{
    kv->key = key;
    kv->key_len = kl;
    kv->value = vl ? val : NULL;
    kv->value_len = vl;
    kv->create_rev = rec->create_rev;
    kv->mod_rev = rec->mod_rev;
    kv->version = rec->version;
    kv->lease = rec->lease;
}

static int key_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : (al < bl ? -1 : al > bl);
}

typedef struct emitter {
    const range_ctx_t *rc;
    skiff_store_kv_cb cb;
    void *ud;
    skiff_store_range_res_t *res;
} emitter_t;

/* One key, in order. Returns 1 to end the walk (past the end, limit reached
 * or the callback asked to stop). */
static int emit(emitter_t *e, const char *key, size_t kl, const lmdb_rec_t *rec, const void *val,
                size_t vl)
{
    const skiff_store_range_req_t *q = e->rc->req;
    if (!q->prefix && key_cmp(key, kl, q->key, q->key_len) < 0) return 0; /* before start */
    if (!in_range(e->rc, key, kl)) return 1;
    if (q->limit > 0 && !q->count_only && e->res->count >= q->limit) {
        e->res->more = 1;
        return 1;
    }
    e->res->count++;
    if (q->count_only) return 0;
    skiff_store_kv_t kv;
    kv_from(&kv, key, kl, rec, q->keys_only ? NULL : val, q->keys_only ? 0 : vl);
    return e->cb && e->cb(e->ud, &kv) != 0;
}

/* A group of long keys sharing their first LMDB_SHORT_MAX bytes, gathered
 * and sorted by the full key (entries point into the read txn's map). */
typedef struct gent {
    const char *key;
    size_t kl;
    lmdb_rec_t rec;
    const void *val;
    size_t vl;
} gent_t;

typedef struct group {
    gent_t *e;
    size_t n, cap;
} group_t;

static int group_add(lmdb_store_t *s, group_t *g, const gent_t *e)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 16;
        gent_t *n = s->host->realloc(g->e, cap * sizeof *n);
        if (!n) return ENOMEM;
        g->e = n;
        g->cap = cap;
    }
    g->e[g->n++] = *e;
    return 0;
}

static int gent_cmp(const void *a, const void *b)
{
    const gent_t *x = a, *y = b;
    return key_cmp(x->key, x->kl, y->key, y->kl);
}

static int group_emit(emitter_t *e, group_t *g)
{
    qsort(g->e, g->n, sizeof *g->e, gent_cmp);
    for (size_t i = 0; i < g->n; i++)
        if (emit(e, g->e[i].key, g->e[i].kl, &g->e[i].rec, g->e[i].val, g->e[i].vl)) return 1;
    return 0;
}

/* Every key of a long-key group (shared first LMDB_SHORT_MAX bytes `gp`)
 * lies after the range. */
static int group_past_end(const range_ctx_t *rc, const unsigned char *gp)
{
    const skiff_store_range_req_t *q = rc->req;
    const char *p = (const char *)gp;
    if (q->prefix) {
        size_t m = q->key_len < LMDB_SHORT_MAX ? q->key_len : LMDB_SHORT_MAX;
        return memcmp(p, q->key, m) > 0;
    }
    if (rc->to_end) return 0;
    if (q->end == NULL)
        return q->key_len <= LMDB_SHORT_MAX || memcmp(p, q->key, LMDB_SHORT_MAX) != 0;
    return key_cmp(p, LMDB_SHORT_MAX, q->end, q->end_len) >= 0;
}

/* Where a walk starts: the encoded start key, or for a long start key the
 * beginning of its group (the group is then filtered by the full key). */
static size_t seek_key(const skiff_store_range_req_t *q, unsigned char *out)
{
    size_t n = lmdb_enc(q->key, q->key_len, out);
    return n > LMDB_SHORT_MAX ? LMDB_SHORT_MAX + 1 : n;
}

/* Latest revision: a cursor walk over kv. */
static int range_latest(lmdb_store_t *s, MDB_txn *t, const range_ctx_t *rc,
                        skiff_store_kv_cb cb, void *ud, skiff_store_range_res_t *res,
                        skiff_error_t *err)
{
    const skiff_store_range_req_t *q = rc->req;
    emitter_t e = { rc, cb, ud, res };
    group_t g = { 0 };
    MDB_cursor *c;
    int r = mdb_cursor_open(t, s->kv, &c);
    if (r) return lmdb_mdb_error(s, r, "open cursor", err);
    unsigned char sk[LMDB_ENC_MAX];
    MDB_val k = { seek_key(q, sk), sk }, v;
    r = mdb_cursor_get(c, &k, &v, k.mv_size ? MDB_SET_RANGE : MDB_FIRST);
    while (r == 0) {
        lmdb_rec_t rec;
        const void *val;
        size_t vl;
        if (lmdb_rec_decode(&v, &rec, &val, &vl) != 0) { r = MDB_CORRUPTED; break; }
        if (k.mv_size <= LMDB_SHORT_MAX) {
            if (emit(&e, k.mv_data, k.mv_size, &rec, val, vl)) break;
            r = mdb_cursor_get(c, &k, &v, MDB_NEXT);
            continue;
        }
        /* a group of long keys */
        unsigned char gp[LMDB_SHORT_MAX + 1];
        memcpy(gp, k.mv_data, sizeof gp);
        if (group_past_end(rc, gp)) break;
        g.n = 0;
        while (r == 0 && k.mv_size > LMDB_SHORT_MAX && memcmp(k.mv_data, gp, sizeof gp) == 0) {
            gent_t ge;
            if (lmdb_rec_decode(&v, &ge.rec, &ge.val, &ge.vl) != 0) { r = MDB_CORRUPTED; break; }
            lmdb_rec_key(&k, k.mv_size, &v, &ge.rec, &ge.key, &ge.kl);
            if ((r = group_add(s, &g, &ge))) break;
            r = mdb_cursor_get(c, &k, &v, MDB_NEXT);
        }
        if (r && r != MDB_NOTFOUND) break;
        if (group_emit(&e, &g)) { r = 0; break; }
    }
    s->host->free(g.e);
    mdb_cursor_close(c);
    if (r && r != MDB_NOTFOUND) return lmdb_mdb_error(s, r, "range", err);
    return 0;
}

/* An older revision: for each key in hist, its newest entry <= at. */
static int range_at(lmdb_store_t *s, MDB_txn *t, const range_ctx_t *rc, int64_t at,
                    skiff_store_kv_cb cb, void *ud, skiff_store_range_res_t *res,
                    skiff_error_t *err)
{
    const skiff_store_range_req_t *q = rc->req;
    emitter_t e = { rc, cb, ud, res };
    group_t g = { 0 };
    MDB_cursor *c;
    int r = mdb_cursor_open(t, s->hist, &c);
    if (r) return lmdb_mdb_error(s, r, "open cursor", err);
    unsigned char buf[LMDB_ENC_MAX + 16], cur[LMDB_ENC_MAX + 16];
    size_t sl = seek_key(q, buf);
    lmdb_be64(buf + sl, 0);
    MDB_val k = { sl + 8, buf }, v;
    r = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    int in_group = 0;
    unsigned char gp[LMDB_SHORT_MAX + 1];
    while (r == 0) {
        size_t el = k.mv_size - 8;
        int is_long = el > LMDB_SHORT_MAX;
        if (in_group && (!is_long || memcmp(k.mv_data, gp, sizeof gp) != 0)) {
            in_group = 0;
            if (group_emit(&e, &g)) { r = 0; goto out; }
        }
        if (!is_long && el > 0 && !in_range(rc, k.mv_data, el) &&
            key_cmp(k.mv_data, el, q->key, q->key_len) >= 0)
            break;
        if (is_long && !in_group) {
            if (group_past_end(rc, k.mv_data)) break;
            memcpy(gp, k.mv_data, sizeof gp);
            in_group = 1;
            g.n = 0;
        }
        memcpy(cur, k.mv_data, el);
        lmdb_rec_t rec;
        MDB_val hv;
        r = lmdb_hist_at(s, c, (const char *)cur, el, at, &rec, &hv, buf);
        if (r == 0 && rec.type == SKIFF_STORE_EV_PUT) {
            gent_t ge;
            MDB_val ck = { el, cur };
            lmdb_rec_decode(&hv, &ge.rec, &ge.val, &ge.vl);
            ge.rec.mod_rev = rec.mod_rev;
            lmdb_rec_key(&ck, el, &hv, &ge.rec, &ge.key, &ge.kl);
            if (is_long) {
                if ((r = group_add(s, &g, &ge))) goto out;
            } else if (emit(&e, ge.key, ge.kl, &ge.rec, ge.val, ge.vl)) {
                r = 0;
                goto out;
            }
        } else if (r && r != MDB_NOTFOUND) {
            goto out;
        }
        /* Skip to the first entry of the next key. */
        memcpy(buf, cur, el);
        lmdb_be64(buf + el, UINT64_MAX);
        k.mv_size = el + 8;
        k.mv_data = buf;
        r = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    }
    if (in_group && (r == 0 || r == MDB_NOTFOUND)) {
        group_emit(&e, &g);
        r = 0;
    }
out:
    s->host->free(g.e);
    mdb_cursor_close(c);
    if (r && r != MDB_NOTFOUND) return lmdb_mdb_error(s, r, "range", err);
    return 0;
}

static int check_key(lmdb_store_t *s, const char *key, size_t kl, int allow_empty, skiff_error_t *err)
{
    if (kl > s->key_max)
        return skiff_error_set(err, SKIFF_E_TOOLARGE,
                               "key of %zu bytes is longer than the lmdb store's limit of %zu bytes",
                               kl, s->key_max);
    if (!allow_empty && kl == 0) return skiff_error_set(err, SKIFF_E_INVALID, "key is empty");
    if (kl && !key) return skiff_error_set(err, SKIFF_E_INVALID, "key is NULL with length %zu", kl);
    return 0;
}

/* A read of LMDB as it is committed: callers first make sure it holds what
 * they must see (lmdb_flush_wait, or the overlay for a get). */
static int range_committed(lmdb_store_t *s, const skiff_store_range_req_t *req,
                           skiff_store_kv_cb cb, void *ud, skiff_store_range_res_t *res,
                           skiff_error_t *err)
{
    skiff_store_range_res_t local;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    if (!req) return skiff_error_set(err, SKIFF_E_INVALID, "range: request is NULL");
    int rc = check_key(s, req->key, req->key_len, req->prefix || req->end != NULL, err);
    if (rc) return rc;
    if (req->limit < 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "range: limit %lld is negative",
                               (long long)req->limit);
    range_ctx_t ctx = { req, !req->prefix && req->end && req->end_len == 1 && req->end[0] == 0 };
    MDB_txn *t;
    int64_t at = 0, cur = 0;
    if ((rc = read_begin(s, req->rev, &t, &at, &cur, err))) return rc;
    res->rev = at;
    if (at == cur) rc = range_latest(s, t, &ctx, cb, ud, res, err);
    else rc = range_at(s, t, &ctx, at, cb, ud, res, err);
    mdb_txn_abort(t);
    return rc;
}

int lmdb_range(void *self, const skiff_store_range_req_t *req, skiff_store_kv_cb cb, void *ud,
               skiff_store_range_res_t *res, skiff_error_t *err)
{
    lmdb_store_t *s = self;
    /* Acknowledged writes not yet committed to LMDB live in the overlay,
     * which has no order to range over: have the writer commit them. */
    int rc = lmdb_flush_wait(s, err);
    if (rc) {
        if (res) memset(res, 0, sizeof *res);
        return rc;
    }
    return range_committed(s, req, cb, ud, res, err);
}

typedef struct get_ctx {
    skiff_store_kv_cb cb;
    void *ud;
} get_ctx_t;

int lmdb_get(void *self, const char *key, size_t key_len, int64_t rev, skiff_store_kv_cb cb,
             void *ud, skiff_error_t *err)
{
    lmdb_store_t *s = self;
    int rc = check_key(s, key, key_len, 0, err);
    if (rc) return rc;
    if (rev == 0) {
        /* the latest value: an acknowledged write not yet in LMDB is in the
         * overlay; a key without one there is as LMDB has it committed now
         * (the overlay was current when looked at, and LMDB only moves on) */
        lmdb_ov_t *ov = lmdb_ov_acquire(s);
        const lmdb_ov_ev_t *e = lmdb_ov_find(s, ov, key, key_len);
        if (e) {
            if (e->ev.type == SKIFF_STORE_EV_PUT) {
                if (cb) cb(ud, &e->ev.kv);
                rc = 0;
            } else {
                rc = skiff_error_set(err, SKIFF_E_NOTFOUND, "key \"%.*s\" not found",
                                     (int)(key_len > 200 ? 200 : key_len), key);
            }
            lmdb_ov_unref(s, ov);
            return rc;
        }
        lmdb_ov_unref(s, ov);
    } else if ((rc = lmdb_flush_wait(s, err))) {
        return rc;
    }
    skiff_store_range_req_t q = { .key = key, .key_len = key_len, .rev = rev };
    skiff_store_range_res_t res;
    if ((rc = range_committed(s, &q, cb, ud, &res, err))) return rc;
    if (res.count == 0)
        return skiff_error_set(err, SKIFF_E_NOTFOUND, "key \"%.*s\" not found",
                               (int)(key_len > 200 ? 200 : key_len), key);
    return 0;
}

int lmdb_revision(void *self, int64_t *current, int64_t *compacted, skiff_error_t *err)
{
    lmdb_store_t *s = self;
    if (current) *current = atomic_load(&s->cur_rev);
    if (compacted) *compacted = atomic_load(&s->compacted);
    (void)err;
    return 0;
}
