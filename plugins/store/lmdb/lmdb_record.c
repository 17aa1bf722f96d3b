/* lmdb_record.c — record encoding, the hist key order and error mapping. */
#include <errno.h>
#include <string.h>
#include <sys/statvfs.h>

#include "lmdb_store.h"

void *lmdb_alloc(lmdb_store_t *s, size_t n) { return s->host->alloc(n ? n : 1); }
void lmdb_free(lmdb_store_t *s, void *p) { if (p) s->host->free(p); }

void lmdb_be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) { p[i] = (unsigned char)v; v >>= 8; }
}

uint64_t lmdb_get_be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return v;
}

/* hist keys are user key ++ BE64 revision. Plain memcmp would interleave
 * "a"+rev with "a\0"+rev, so compare the key parts first (shorter first on a
 * common prefix, as user keys sort), then the revision. */
int lmdb_hist_cmp(const MDB_val *a, const MDB_val *b)
{
    size_t al = a->mv_size - 8, bl = b->mv_size - 8;
    int c = memcmp(a->mv_data, b->mv_data, al < bl ? al : bl);
    if (c) return c;
    if (al != bl) return al < bl ? -1 : 1;
    return memcmp((const char *)a->mv_data + al, (const char *)b->mv_data + bl, 8);
}

size_t lmdb_enc(const char *key, size_t kl, unsigned char *out)
{
    if (kl <= LMDB_SHORT_MAX) {
        memcpy(out, key, kl);
        return kl;
    }
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (size_t i = 0; i < kl; i++) h = (h ^ (unsigned char)key[i]) * 0x100000001b3ull;
    memcpy(out, key, LMDB_SHORT_MAX);
    out[LMDB_SHORT_MAX] = 0xff;
    lmdb_be64(out + LMDB_SHORT_MAX + 1, h);
    return LMDB_ENC_MAX;
}

int lmdb_rec_decode(const MDB_val *v, lmdb_rec_t *rec, const void **value, size_t *value_len)
{
    if (v->mv_size < sizeof *rec) return -1;
    memcpy(rec, v->mv_data, sizeof *rec);
    if (rec->type != SKIFF_STORE_EV_PUT && rec->type != SKIFF_STORE_EV_DELETE) return -1;
    if (rec->klen > SKIFF_STORE_KEY_MAX || v->mv_size < sizeof *rec + rec->klen) return -1;
    if (value) *value = (const char *)v->mv_data + sizeof *rec + rec->klen;
    if (value_len) *value_len = v->mv_size - sizeof *rec - rec->klen;
    return 0;
}

void lmdb_rec_key(const MDB_val *k, size_t klen_part, const MDB_val *v, const lmdb_rec_t *rec,
                  const char **key, size_t *kl)
{
    if (rec->klen) {
        *key = (const char *)v->mv_data + sizeof *rec;
        *kl = rec->klen;
    } else {
        *key = k->mv_data;
        *kl = klen_part;
    }
}

int lmdb_mdb_error(lmdb_store_t *s, int rc, const char *what, skiff_error_t *err)
{
    switch (rc) {
    case MDB_MAP_FULL:
        return skiff_error_set(err, SKIFF_E_NOSPACE,
                               "%s: %s: the store's map_size is full; nothing was written "
                               "(compact, or raise map_size)", s->data_file, what);
    case EIO: {
        /* LMDB reports a short write (what a full filesystem gives) as EIO. */
        struct statvfs vfs;
        if (statvfs(s->path, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < (4u << 20))
            return skiff_error_set(err, SKIFF_E_NOSPACE,
                                   "%s: %s: no space left on device; nothing was written",
                                   s->data_file, what);
        return skiff_error_set(err, SKIFF_E_INTERNAL, "%s: %s: input/output error", s->data_file, what);
    }
    case ENOSPC:
    case EDQUOT:
        return skiff_error_set(err, SKIFF_E_NOSPACE,
                               "%s: %s: no space left on device; nothing was written",
                               s->data_file, what);
    case MDB_KEYEXIST: /* see LMDB_COLLISION */
        return skiff_error_set(err, SKIFF_E_INTERNAL,
                               "%s: %s: two keys longer than %d bytes share a hash; refused",
                               s->data_file, what, LMDB_SHORT_MAX);
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
        return skiff_error_set(err, SKIFF_E_CORRUPT, "%s: damaged store file: %s: %s",
                               s->data_file, what, mdb_strerror(rc));
    default:
        return skiff_error_set(err, SKIFF_E_INTERNAL, "%s: %s: %s", s->data_file, what,
                               mdb_strerror(rc));
    }
}

int lmdb_meta_get(lmdb_store_t *s, MDB_txn *t, const char *name, int64_t *out)
{
    MDB_val k = { strlen(name), (void *)name }, v;
    int rc = mdb_get(t, s->meta, &k, &v);
    if (rc == MDB_NOTFOUND) { *out = 0; return 0; }
    if (rc) return rc;
    if (v.mv_size != sizeof *out) return MDB_CORRUPTED;
    memcpy(out, v.mv_data, sizeof *out);
    return 0;
}

int lmdb_meta_put(lmdb_store_t *s, MDB_txn *t, const char *name, int64_t v)
{
    MDB_val k = { strlen(name), (void *)name }, d = { sizeof v, &v };
    return mdb_put(t, s->meta, &k, &d, 0);
}

int lmdb_hist_at(lmdb_store_t *s, MDB_cursor *c, const char *key, size_t key_len, int64_t at,
                 lmdb_rec_t *rec, MDB_val *val, unsigned char *buf)
{
    /* Position after (key, at) and step back: the entry found is the newest
     * one at or below `at`, if it still belongs to `key`. */
    memcpy(buf, key, key_len);
    lmdb_be64(buf + key_len, (uint64_t)at + 1);
    MDB_val k = { key_len + 8, buf }, v;
    int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    if (rc == MDB_NOTFOUND) rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
    else if (rc == 0) rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
    if (rc) return rc;
    if (k.mv_size != key_len + 8 || memcmp(k.mv_data, key, key_len) != 0) return MDB_NOTFOUND;
    if (lmdb_rec_decode(&v, rec, NULL, NULL) != 0) return MDB_CORRUPTED;
    rec->mod_rev = (int64_t)lmdb_get_be64((const unsigned char *)k.mv_data + key_len);
    if (rec->mod_rev > at) return MDB_NOTFOUND;
    *val = v;
    (void)s;
    return 0;
}
