/* lmdb_lease.c — leases: ids and TTLs are durable (the `lease` table), the
 * deadlines live in memory. As etcd does, a restart gives every surviving
 * lease a full TTL again rather than expiring it while nobody could renew. */
#include <errno.h>
#include <string.h>

#include "lmdb_store.h"

static lmdb_lease_t *find_locked(lmdb_store_t *s, int64_t id)
{
    for (size_t i = 0; i < s->nleases; i++)
        if (s->leases[i].id == id) return &s->leases[i];
    return NULL;
}

int lmdb_lease_add_locked(lmdb_store_t *s, int64_t id, int64_t ttl_ms)
{
    lmdb_lease_t *l = find_locked(s, id);
    if (!l) {
        if (s->nleases == s->cap_leases) {
            size_t cap = s->cap_leases ? s->cap_leases * 2 : 16;
            lmdb_lease_t *n = s->host->realloc(s->leases, cap * sizeof *n);
            if (!n) return -ENOMEM;
            s->leases = n;
            s->cap_leases = cap;
        }
        l = &s->leases[s->nleases++];
    }
    l->id = id;
    l->ttl_ms = ttl_ms;
    l->deadline_ns = s->host->clock_monotonic_ns() + ttl_ms * 1000000;
    l->expired = 0;
    return 0;
}

void lmdb_lease_remove_locked(lmdb_store_t *s, int64_t id)
{
    lmdb_lease_t *l = find_locked(s, id);
    if (l) *l = s->leases[--s->nleases];
}

int lmdb_lease_load(lmdb_store_t *s, skiff_error_t *err)
{
    MDB_txn *t;
    MDB_cursor *c;
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &t);
    if (rc) return lmdb_mdb_error(s, rc, "load leases", err);
    if ((rc = mdb_cursor_open(t, s->lease, &c))) {
        mdb_txn_abort(t);
        return lmdb_mdb_error(s, rc, "load leases", err);
    }
    MDB_val k, v;
    pthread_mutex_lock(&s->mu);
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        int64_t ttl;
        if (k.mv_size != 8 || v.mv_size != sizeof ttl) { rc = MDB_CORRUPTED; break; }
        memcpy(&ttl, v.mv_data, sizeof ttl);
        if (lmdb_lease_add_locked(s, (int64_t)lmdb_get_be64(k.mv_data), ttl) != 0) {
            rc = ENOMEM;
            break;
        }
    }
    pthread_mutex_unlock(&s->mu);
    mdb_cursor_close(c);
    mdb_txn_abort(t);
    if (rc && rc != MDB_NOTFOUND) return lmdb_mdb_error(s, rc, "load leases", err);
    return 0;
}

int lmdb_lease_grant(void *self, int64_t ttl_ms, int64_t *id, skiff_error_t *err)
{
    lmdb_store_t *s = self;
    if (!id) return skiff_error_set(err, SKIFF_E_INVALID, "lease grant: NULL id");
    if (ttl_ms <= 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "lease grant: ttl %lld ms is not positive",
                               (long long)ttl_ms);
    lmdb_req_t r = { .kind = LMDB_REQ_GRANT, .ttl_ms = ttl_ms, .err = err };
    int rc = lmdb_submit(s, &r);
    if (rc == 0) *id = r.lease;
    return rc;
}

int lmdb_lease_keepalive(void *self, int64_t id, skiff_error_t *err)
{
    lmdb_store_t *s = self;
    pthread_mutex_lock(&s->mu);
    lmdb_lease_t *l = find_locked(s, id);
    int64_t now = s->host->clock_monotonic_ns();
    if (!l || l->expired || l->deadline_ns <= now) {
        pthread_mutex_unlock(&s->mu);
        return skiff_error_set(err, SKIFF_E_NOLEASE, "lease %lld not found or expired", (long long)id);
    }
    l->deadline_ns = now + l->ttl_ms * 1000000;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

int lmdb_lease_revoke(void *self, int64_t id, skiff_error_t *err)
{
    lmdb_store_t *s = self;
    lmdb_req_t r = { .kind = LMDB_REQ_REVOKE, .lease = id, .err = err };
    return lmdb_submit(s, &r);
}
