/* lmdb_read.c — get, range and revision: MDB read transactions, any thread. */
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

/* Latest revision: a cursor walk over kv. */
static int range_latest(lmdb_store_t *s, MDB_txn *t, const range_ctx_t *rc,
                        skiff_store_kv_cb cb, void *ud, skiff_store_range_res_t *res,
                        skiff_error_t *err)
{
    const skiff_store_range_req_t *q = rc->req;
    MDB_cursor *c;
    int r = mdb_cursor_open(t, s->kv, &c);
    if (r) return lmdb_mdb_error(s, r, "open cursor", err);
    MDB_val k = { q->key_len, (void *)q->key }, v;
    MDB_cursor_op op = MDB_SET_RANGE;
    if (q->key_len == 0) op = MDB_FIRST;
    for (r = mdb_cursor_get(c, &k, &v, op); r == 0; r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (!in_range(rc, k.mv_data, k.mv_size)) break;
        if (q->limit > 0 && !q->count_only && res->count >= q->limit) { res->more = 1; break; }
        res->count++;
        if (q->count_only) continue;
        lmdb_rec_t rec;
        const void *val;
        size_t vl;
        if (lmdb_rec_decode(&v, &rec, &val, &vl) != 0) { r = MDB_CORRUPTED; break; }
        skiff_store_kv_t kv;
        kv_from(&kv, k.mv_data, k.mv_size, &rec, q->keys_only ? NULL : val, q->keys_only ? 0 : vl);
        if (cb && cb(ud, &kv) != 0) { r = MDB_NOTFOUND; break; }
    }
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
    MDB_cursor *c;
    int r = mdb_cursor_open(t, s->hist, &c);
    if (r) return lmdb_mdb_error(s, r, "open cursor", err);
    unsigned char *buf = lmdb_alloc(s, s->key_max + 16);
    unsigned char *cur = lmdb_alloc(s, s->key_max + 16);
    if (!buf || !cur) {
        lmdb_free(s, buf);
        lmdb_free(s, cur);
        mdb_cursor_close(c);
        return skiff_error_set(err, -ENOMEM, "range: out of memory");
    }
    memcpy(buf, q->key, q->key_len);
    lmdb_be64(buf + q->key_len, 0);
    MDB_val k = { q->key_len + 8, buf }, v;
    r = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    while (r == 0) {
        size_t kl = k.mv_size - 8;
        if (!in_range(rc, k.mv_data, kl)) break;
        memcpy(cur, k.mv_data, kl);
        lmdb_rec_t rec;
        MDB_val hv;
        r = lmdb_hist_at(s, c, (const char *)cur, kl, at, &rec, &hv, buf);
        if (r == 0 && rec.type == SKIFF_STORE_EV_PUT) {
            if (q->limit > 0 && !q->count_only && res->count >= q->limit) { res->more = 1; break; }
            res->count++;
            if (!q->count_only) {
                const void *val;
                size_t vl;
                lmdb_rec_decode(&hv, &rec, &val, &vl);
                skiff_store_kv_t kv;
                kv_from(&kv, (const char *)cur, kl, &rec, q->keys_only ? NULL : val,
                        q->keys_only ? 0 : vl);
                if (cb && cb(ud, &kv) != 0) { r = MDB_NOTFOUND; break; }
            }
        } else if (r && r != MDB_NOTFOUND) {
            break;
        }
        /* Skip to the first entry of the next key. */
        memcpy(buf, cur, kl);
        lmdb_be64(buf + kl, UINT64_MAX);
        k.mv_size = kl + 8;
        k.mv_data = buf;
        r = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    }
    lmdb_free(s, buf);
    lmdb_free(s, cur);
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

int lmdb_range(void *self, const skiff_store_range_req_t *req, skiff_store_kv_cb cb, void *ud,
               skiff_store_range_res_t *res, skiff_error_t *err)
{
    lmdb_store_t *s = self;
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
    skiff_store_range_req_t q = { .key = key, .key_len = key_len, .rev = rev };
    skiff_store_range_res_t res;
    if ((rc = lmdb_range(s, &q, cb, ud, &res, err))) return rc;
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
