/* lmdb_overlay.c — writes that are durable (in the fdatasync'd write-ahead
 * log, acknowledged) but not yet committed to LMDB.
 *
 * Why: committing LMDB once per group-commit batch copied ~75 B-tree pages
 * per batch into the page cache and made the disk write them back (~5 KiB of
 * data-file writes per 256-byte put), which was most of the writer's time.
 * The writer now keeps one LMDB write transaction open across many batches
 * (each batch a nested transaction, so a failing batch is dropped alone) and
 * commits it every few ms; a batch is acknowledged as soon as its log record
 * is on disk. Until the LMDB commit, readers find those writes here:
 *   - get of the latest value looks the key up in the overlay first;
 *   - watches deliver events from the overlay when LMDB is behind;
 *   - ranges (and reads at a past revision) ask the writer to commit first.
 *
 * An overlay holds the events of every revision after `base_rev` (LMDB's
 * committed revision when it was started), in revision order. Events are
 * appended by the writer while it applies a batch (invisible: past `npub`)
 * and published after the batch's fdatasync. After the LMDB commit the writer
 * starts a fresh overlay; readers hold a reference on the one they read, and
 * events never change once appended, so they are read without the lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lmdb_store.h"

static uint64_t key_hash(const char *k, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)k[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

lmdb_ov_t *lmdb_ov_new(lmdb_store_t *s, int64_t base_rev)
{
    lmdb_ov_t *ov = s->host->calloc(1, sizeof *ov);
    if (!ov) return NULL;
    atomic_store(&ov->refs, 1);
    ov->base_rev = base_rev;
    ov->pub_rev = base_rev;
    return ov;
}

static void ov_free(lmdb_store_t *s, lmdb_ov_t *ov)
{
    for (size_t i = 0; i < ov->n; i++) s->host->free(ov->ev[i]);
    s->host->free(ov->ev);
    s->host->free(ov->ht);
    s->host->free(ov);
}

void lmdb_ov_unref(lmdb_store_t *s, lmdb_ov_t *ov)
{
    if (ov && atomic_fetch_sub(&ov->refs, 1) == 1) ov_free(s, ov);
}

lmdb_ov_t *lmdb_ov_acquire(lmdb_store_t *s)
{
    pthread_mutex_lock(&s->ov_mu);
    lmdb_ov_t *ov = s->ov;
    atomic_fetch_add(&ov->refs, 1);
    pthread_mutex_unlock(&s->ov_mu);
    return ov;
}

/* Insert published event i into the key index (under ov_mu; room exists). */
static void ht_put(lmdb_ov_t *ov, size_t i)
{
    lmdb_ov_ev_t *e = ov->ev[i];
    size_t mask = ov->ht_cap - 1;
    for (size_t p = e->hash & mask;; p = (p + 1) & mask) {
        int32_t j = ov->ht[p];
        if (j < 0) {
            ov->ht[p] = (int32_t)i;
            return;
        }
        lmdb_ov_ev_t *o = ov->ev[j];
        if (o->hash == e->hash && o->ev.kv.key_len == e->ev.kv.key_len &&
            memcmp(o->ev.kv.key, e->ev.kv.key, e->ev.kv.key_len) == 0) {
            ov->ht[p] = (int32_t)i; /* newer event of the same key */
            return;
        }
    }
}

/* Room in the event array and the index for one more event (under ov_mu). */
static int ov_reserve(lmdb_store_t *s, lmdb_ov_t *ov)
{
    if (ov->n == ov->cap) {
        size_t cap = ov->cap ? ov->cap * 2 : 1024;
        if (cap > INT32_MAX / 4) return ENOMEM;
        lmdb_ov_ev_t **a = s->host->realloc(ov->ev, cap * sizeof *a);
        if (!a) return ENOMEM;
        ov->ev = a;
        ov->cap = cap;
    }
    if (2 * (ov->n + 1) > ov->ht_cap) {
        size_t cap = ov->ht_cap ? ov->ht_cap * 2 : 2048;
        int32_t *h = s->host->alloc(cap * sizeof *h);
        if (!h) return ENOMEM;
        memset(h, 0xff, cap * sizeof *h);
        s->host->free(ov->ht);
        ov->ht = h;
        ov->ht_cap = cap;
        for (size_t i = 0; i < ov->npub; i++) ht_put(ov, i);
    }
    return 0;
}

int lmdb_ov_add(lmdb_store_t *s, lmdb_ov_t *ov, uint32_t type, const char *key, size_t kl,
                const lmdb_rec_t *rec, const void *val, size_t vl, const lmdb_rec_t *old,
                const void *oval, size_t ovl)
{
    if (type != SKIFF_STORE_EV_PUT) vl = 0;
    if (!old || old->type != SKIFF_STORE_EV_PUT) ovl = 0;
    lmdb_ov_ev_t *e = s->host->alloc(sizeof *e + kl + vl + ovl);
    if (!e) return ENOMEM;
    memset(e, 0, sizeof *e);
    char *p = (char *)(e + 1);
    memcpy(p, key, kl);
    if (vl) memcpy(p + kl, val, vl);
    if (ovl) memcpy(p + kl + vl, oval, ovl);
    skiff_store_event_t *ev = &e->ev;
    ev->type = (skiff_store_event_type_t)type;
    ev->kv.key = p;
    ev->kv.key_len = kl;
    ev->kv.mod_rev = rec->mod_rev;
    if (type == SKIFF_STORE_EV_PUT) {
        ev->kv.value = vl ? p + kl : NULL;
        ev->kv.value_len = vl;
        ev->kv.create_rev = rec->create_rev;
        ev->kv.version = rec->version;
        ev->kv.lease = rec->lease;
    }
    if (old && old->type == SKIFF_STORE_EV_PUT) {
        ev->has_prev = 1;
        ev->prev.key = p;
        ev->prev.key_len = kl;
        ev->prev.value = ovl ? p + kl + vl : NULL;
        ev->prev.value_len = ovl;
        ev->prev.create_rev = old->create_rev;
        ev->prev.mod_rev = old->mod_rev;
        ev->prev.version = old->version;
        ev->prev.lease = old->lease;
    }
    e->hash = key_hash(key, kl);
    pthread_mutex_lock(&s->ov_mu);
    int rc = ov_reserve(s, ov);
    if (rc == 0) {
        ov->ev[ov->n++] = e;
        ov->bytes += sizeof *e + kl + vl + ovl;
    }
    pthread_mutex_unlock(&s->ov_mu);
    if (rc) s->host->free(e);
    return rc;
}

void lmdb_ov_truncate(lmdb_store_t *s, lmdb_ov_t *ov, size_t n)
{
    pthread_mutex_lock(&s->ov_mu);
    while (ov->n > n && ov->n > ov->npub) s->host->free(ov->ev[--ov->n]);
    pthread_mutex_unlock(&s->ov_mu);
}

void lmdb_ov_publish(lmdb_store_t *s, lmdb_ov_t *ov, int64_t rev)
{
    pthread_mutex_lock(&s->ov_mu);
    for (size_t i = ov->npub; i < ov->n; i++) ht_put(ov, i);
    ov->npub = ov->n;
    if (rev > ov->pub_rev) ov->pub_rev = rev;
    pthread_mutex_unlock(&s->ov_mu);
}

const lmdb_ov_ev_t *lmdb_ov_find(lmdb_store_t *s, lmdb_ov_t *ov, const char *key, size_t kl)
{
    uint64_t h = key_hash(key, kl);
    const lmdb_ov_ev_t *found = NULL;
    pthread_mutex_lock(&s->ov_mu);
    if (ov->ht_cap) {
        size_t mask = ov->ht_cap - 1;
        for (size_t p = h & mask;; p = (p + 1) & mask) {
            int32_t j = ov->ht[p];
            if (j < 0) break;
            const lmdb_ov_ev_t *o = ov->ev[j];
            if (o->hash == h && o->ev.kv.key_len == kl && memcmp(o->ev.kv.key, key, kl) == 0) {
                found = o;
                break;
            }
        }
    }
    pthread_mutex_unlock(&s->ov_mu);
    return found;
}

size_t lmdb_ov_slice(lmdb_store_t *s, lmdb_ov_t *ov, int64_t from_rev, size_t *pos,
                     const lmdb_ov_ev_t **out, size_t max, int64_t *pub_rev)
{
    pthread_mutex_lock(&s->ov_mu);
    size_t i = *pos;
    if (i == 0 && ov->npub) {
        /* first call: binary search for the first event at or after from_rev */
        size_t lo = 0, hi = ov->npub;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (ov->ev[mid]->ev.kv.mod_rev < from_rev) lo = mid + 1;
            else hi = mid;
        }
        i = lo;
    }
    size_t k = 0;
    while (i < ov->npub && k < max) out[k++] = ov->ev[i++];
    *pos = i;
    *pub_rev = ov->pub_rev;
    pthread_mutex_unlock(&s->ov_mu);
    return k;
}
