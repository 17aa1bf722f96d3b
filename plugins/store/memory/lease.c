/* Leases: a TTL that deletes its keys when it runs out. A timer thread wakes
 * every lease_check_interval and expires every lease past its deadline, each
 * as one revision of DELETEs (as etcd's lessor revokes); every
 * compact_interval it also applies retention (retention.c). Lease state is
 * guarded by the store's write lock because expiry writes keys. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memory.h"

static int64_t lease_now(const memory_store_t *s)
{
    return s->host->clock_monotonic_ns();
}

/* Index of lease `id` in the sorted table, or of where it would go. */
static size_t lease_pos(const memory_store_t *s, int64_t id)
{
    size_t lo = 0, hi = s->nleases;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->leases[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static memory_lease_t *lease_lookup(memory_store_t *s, int64_t id)
{
    size_t i = lease_pos(s, id);
    return i < s->nleases && s->leases[i]->id == id ? s->leases[i] : NULL;
}

memory_lease_t *memory_lease_find(memory_store_t *s, int64_t id)
{
    memory_lease_t *l = lease_lookup(s, id);
    if (l && l->expires_ns <= lease_now(s))
        return NULL; /* expired; the timer has not reaped it yet */
    return l;
}

int memory_lease_attach(memory_store_t *s, memory_lease_t *l, const char *key, size_t len)
{
    if (l->nkeys == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        char **keys = s->host->realloc(l->keys, cap * sizeof *keys);
        if (!keys)
            return -ENOMEM;
        l->keys = keys;
        size_t *lens = s->host->realloc(l->key_lens, cap * sizeof *lens);
        if (!lens)
            return -ENOMEM;
        l->key_lens = lens;
        l->cap = cap;
    }
    char *copy = s->host->alloc(len ? len : 1);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, key, len);
    l->keys[l->nkeys] = copy;
    l->key_lens[l->nkeys] = len;
    l->nkeys++;
    return 0;
}

static void lease_free(memory_store_t *s, memory_lease_t *l)
{
    for (size_t i = 0; i < l->nkeys; i++)
        s->host->free(l->keys[i]);
    s->host->free(l->keys);
    s->host->free(l->key_lens);
    s->host->free(l);
}

int memory_lease_grant(void *self, int64_t ttl_ms, int64_t *id, skiff_error_t *err)
{
    memory_store_t *s = self;
    if (ttl_ms <= 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "lease grant: TTL %lld ms is not positive",
                               (long long)ttl_ms);
    if (ttl_ms > INT64_MAX / 1000000 / 2)
        return skiff_error_set(err, SKIFF_E_INVALID, "lease grant: TTL %lld ms is too large",
                               (long long)ttl_ms);
    memory_lease_t *l = s->host->calloc(1, sizeof *l);
    if (!l)
        return skiff_error_set(err, SKIFF_E_NOSPACE, "lease grant: out of memory");
    memory_lock(s);
    if (s->nleases == s->leases_cap) {
        size_t cap = s->leases_cap ? s->leases_cap * 2 : 16;
        memory_lease_t **n = s->host->realloc(s->leases, cap * sizeof *n);
        if (!n) {
            memory_unlock(s);
            s->host->free(l);
            return skiff_error_set(err, SKIFF_E_NOSPACE, "lease grant: out of memory");
        }
        s->leases = n;
        s->leases_cap = cap;
    }
    l->id = ++s->next_lease;
    l->ttl_ms = ttl_ms;
    l->expires_ns = lease_now(s) + ttl_ms * 1000000;
    s->leases[s->nleases++] = l; /* ids only grow: appending keeps the table sorted */
    memory_unlock(s);
    if (id)
        *id = l->id;
    return 0;
}

int memory_lease_keepalive(void *self, int64_t id, skiff_error_t *err)
{
    memory_store_t *s = self;
    memory_lock(s);
    memory_lease_t *l = memory_lease_find(s, id);
    if (l)
        l->expires_ns = lease_now(s) + l->ttl_ms * 1000000;
    memory_unlock(s);
    if (!l)
        return skiff_error_set(err, SKIFF_E_NOLEASE, "lease keepalive: lease %lld not found (expired or revoked)",
                               (long long)id);
    return 0;
}

/* Delete the lease's keys (those still attached to it) as one revision and
 * drop the lease. Under the write lock. *wrote tells the caller to notify. */
static int lease_expire(memory_store_t *s, memory_lease_t *l, int *wrote, skiff_error_t *err)
{
    *wrote = 0;
    skiff_store_op_t *ops = NULL;
    size_t nops = 0;
    if (l->nkeys) {
        ops = s->host->calloc(l->nkeys, sizeof *ops);
        if (!ops)
            return skiff_error_set(err, SKIFF_E_NOSPACE, "lease %lld: out of memory deleting its keys",
                                   (long long)l->id);
    }
    for (size_t i = 0; i < l->nkeys; i++) {
        memory_key_t *k = memory_index_find(&s->index, l->keys[i], l->key_lens[i]);
        memory_ver_t *v = k ? memory_key_latest(k) : NULL;
        if (!v || v->tomb || v->lease != l->id)
            continue; /* deleted, or put again without this lease */
        ops[nops++] = (skiff_store_op_t){ .kind = SKIFF_STORE_OP_DELETE, .key = memory_ver_key(v),
                                          .key_len = v->key_len };
    }
    /* A key that left and rejoined the lease is listed twice: delete it once. */
    if (nops > 1) {
        qsort(ops, nops, sizeof *ops, memory_op_cmp);
        size_t w = 1;
        for (size_t i = 1; i < nops; i++)
            if (memory_op_cmp(&ops[w - 1], &ops[i]) != 0)
                ops[w++] = ops[i];
        nops = w;
    }
    int rc = memory_apply(s, ops, nops, NULL, wrote, err);
    s->host->free(ops);
    if (rc)
        return rc;
    size_t i = lease_pos(s, l->id);
    memmove(s->leases + i, s->leases + i + 1, (s->nleases - i - 1) * sizeof *s->leases);
    s->nleases--;
    lease_free(s, l);
    return 0;
}

int memory_lease_revoke(void *self, int64_t id, skiff_error_t *err)
{
    memory_store_t *s = self;
    int wrote = 0, rc;
    memory_lock(s);
    memory_lease_t *l = memory_lease_find(s, id);
    if (!l)
        rc = skiff_error_set(err, SKIFF_E_NOLEASE, "lease revoke: lease %lld not found (expired or revoked)",
                             (long long)id);
    else
        rc = lease_expire(s, l, &wrote, err);
    memory_unlock(s);
    if (wrote)
        memory_hub_notify(s);
    return rc;
}

static void lease_tick(memory_store_t *s)
{
    int notify = 0;
    memory_lock(s);
    int64_t now = lease_now(s);
    for (size_t i = 0; i < s->nleases;) {
        memory_lease_t *l = s->leases[i];
        if (l->expires_ns > now) {
            i++;
            continue;
        }
        skiff_error_t err = { 0 };
        int wrote = 0;
        if (lease_expire(s, l, &wrote, &err) != 0) {
            s->host->log(s->ctx, SKIFF_LOG_WARN, "lease %lld expired but its keys stay for now: %s",
                         (long long)l->id, err.msg);
            i++; /* retried next tick */
            continue;
        }
        notify |= wrote;
    }
    memory_unlock(s);
    if (notify)
        memory_hub_notify(s);
}

static void *lease_timer(void *arg)
{
    memory_store_t *s = arg;
    pthread_mutex_lock(&s->timer_mu);
    while (!s->timer_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t ns = ts.tv_nsec + (s->lease_check_interval_ms % 1000) * 1000000;
        ts.tv_sec += s->lease_check_interval_ms / 1000 + ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        pthread_cond_timedwait(&s->timer_cv, &s->timer_mu, &ts);
        if (s->timer_stop)
            break;
        pthread_mutex_unlock(&s->timer_mu);
        lease_tick(s);
        int64_t now = lease_now(s);
        if (now >= s->next_compact_ns) {
            s->next_compact_ns = now + s->compact_interval_ms * 1000000;
            memory_retention_tick(s, now);
        }
        pthread_mutex_lock(&s->timer_mu);
    }
    pthread_mutex_unlock(&s->timer_mu);
    return NULL;
}

int memory_timer_start(memory_store_t *s, skiff_error_t *err)
{
    pthread_mutex_lock(&s->timer_mu);
    s->timer_stop = 0;
    pthread_mutex_unlock(&s->timer_mu);
    s->next_compact_ns = lease_now(s) + s->compact_interval_ms * 1000000;
    int rc = pthread_create(&s->timer, NULL, lease_timer, s);
    if (rc)
        return skiff_error_set(err, -rc, "cannot start the lease timer thread: %s", strerror(rc));
    s->timer_running = 1;
    return 0;
}

void memory_timer_stop(memory_store_t *s)
{
    if (!s->timer_running)
        return;
    pthread_mutex_lock(&s->timer_mu);
    s->timer_stop = 1;
    pthread_cond_signal(&s->timer_cv);
    pthread_mutex_unlock(&s->timer_mu);
    pthread_join(s->timer, NULL);
    s->timer_running = 0;
}

void memory_lease_fini(memory_store_t *s)
{
    for (size_t i = 0; i < s->nleases; i++)
        lease_free(s, s->leases[i]);
    if (s->host)
        s->host->free(s->leases);
    s->leases = NULL;
    s->nleases = s->leases_cap = 0;
}
