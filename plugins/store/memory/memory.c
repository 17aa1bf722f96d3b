/* store/memory — the revisioned key-value store kept in memory: the same
 * semantics as a durable store (revisions, history until compaction, watch
 * with replay, leases) for tests and simulations. Nothing survives fini.
 * The plugin's descriptor and lifecycle live here; the data structures are in
 * index.c (ordered key index), kv.c (MVCC ops, history log), watch.c (watch
 * hub), lease.c (leases and the timer thread) and retention.c (automatic
 * compaction). */
#include <string.h>

#include "memory.h"

enum {
    MEMORY_INIT_LOCK = 1u << 0,
    MEMORY_INIT_INDEX = 1u << 1,
    MEMORY_INIT_HUB = 1u << 2,
    MEMORY_INIT_TIMER = 1u << 3,
};

static const skiff_config_key_t memory_config[] = {
    { "watch_batch", SKIFF_CFG_INT, "512", SKIFF_CFG_FILL, offsetof(memory_store_t, watch_batch),
      "events the watch hub hands one watcher before turning to the next (fairness vs. throughput)" },
    { "lease_check_interval", SKIFF_CFG_DURATION, "50ms", SKIFF_CFG_FILL,
      offsetof(memory_store_t, lease_check_interval_ms),
      "how often expired leases are looked for; a lease's keys go at most this long after its TTL" },
    { "retention_revisions", SKIFF_CFG_INT, "0", SKIFF_CFG_FILL, offsetof(memory_store_t, retention_revisions),
      "keep this many revisions of history, compacting older ones (0 = no limit by count)" },
    { "retention", SKIFF_CFG_DURATION, "10m", SKIFF_CFG_FILL, offsetof(memory_store_t, retention_ms),
      "keep history this long, compacting older revisions (0 = no limit by age)" },
    { "compact_interval", SKIFF_CFG_DURATION, "1s", SKIFF_CFG_FILL, offsetof(memory_store_t, compact_interval_ms),
      "how often retention is checked" },
    SKIFF_CONFIG_END,
};

static int memory_init(const skiff_host_t *host, skiff_ctx_t *ctx, void *self, skiff_error_t *err)
{
    memory_store_t *s = self;
    s->host = host;
    s->ctx = ctx;
    if (s->watch_batch < 1 || s->watch_batch > 1000000)
        return skiff_error_set(err, SKIFF_E_INVALID,
                               "watch_batch: %lld is out of range (1 to 1000000 events)",
                               (long long)s->watch_batch);
    if (s->lease_check_interval_ms < 1 || s->lease_check_interval_ms > 3600 * 1000)
        return skiff_error_set(err, SKIFF_E_INVALID,
                               "lease_check_interval: %lld ms is out of range (1ms to 1h)",
                               (long long)s->lease_check_interval_ms);
    if (s->retention_revisions < 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "retention_revisions: %lld is negative",
                               (long long)s->retention_revisions);
    if (s->retention_ms < 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "retention: %lld ms is negative",
                               (long long)s->retention_ms);
    if (s->compact_interval_ms < 1 || s->compact_interval_ms > 24 * 3600 * 1000)
        return skiff_error_set(err, SKIFF_E_INVALID,
                               "compact_interval: %lld ms is out of range (1ms to 24h)",
                               (long long)s->compact_interval_ms);

    /* Adaptive: spin a little before sleeping (memory.h, memory_lock).
     * No code path takes the lock recursively. */
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
    int rc = pthread_mutex_init(&s->lock, &ma);
    pthread_mutexattr_destroy(&ma);
    if (rc != 0)
        return skiff_error_set(err, SKIFF_E_INTERNAL, "cannot initialise the store lock: %s", strerror(rc));
    s->inited |= MEMORY_INIT_LOCK;

    if (memory_index_init(&s->index, host) != 0)
        return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory creating the key index");
    s->inited |= MEMORY_INIT_INDEX;

    if ((rc = memory_hub_init(s, err)) != 0)
        return rc;
    s->inited |= MEMORY_INIT_HUB;

    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* the timer's waits ignore wall-clock jumps */
    if (pthread_mutex_init(&s->timer_mu, NULL) != 0 || pthread_cond_init(&s->timer_cv, &ca) != 0) {
        pthread_condattr_destroy(&ca);
        return skiff_error_set(err, SKIFF_E_INTERNAL, "cannot initialise the lease timer");
    }
    pthread_condattr_destroy(&ca);
    s->inited |= MEMORY_INIT_TIMER;
    return 0;
}

static void memory_stop(void *self)
{
    memory_store_t *s = self;
    if (s->inited & MEMORY_INIT_TIMER)
        memory_timer_stop(s);
    if (s->inited & MEMORY_INIT_HUB)
        memory_hub_stop(s);
}

static int memory_start(void *self, skiff_error_t *err)
{
    memory_store_t *s = self;
    int rc = memory_hub_start(s, err);
    if (rc == 0)
        rc = memory_timer_start(s, err);
    if (rc != 0)
        memory_stop(s);
    return rc;
}

static void memory_fini(void *self)
{
    memory_store_t *s = self;
    memory_stop(s);
    if (s->inited & MEMORY_INIT_HUB)
        memory_hub_fini(s);
    if (s->inited & MEMORY_INIT_TIMER) {
        pthread_mutex_destroy(&s->timer_mu);
        pthread_cond_destroy(&s->timer_cv);
    }
    memory_lease_fini(s);
    memory_retention_fini(s);
    if (s->inited & MEMORY_INIT_INDEX)
        memory_kv_fini(s);
    if (s->inited & MEMORY_INIT_LOCK)
        pthread_mutex_destroy(&s->lock);
    s->inited = 0;
}

static const skiff_store_ops_t memory_ops = {
    .size = sizeof(skiff_store_ops_t),
    .get = memory_get,
    .range = memory_range,
    .txn = memory_txn,
    .watch = memory_watch,
    .unwatch = memory_unwatch,
    .compact = memory_compact,
    .revision = memory_revision,
    .lease_grant = memory_lease_grant,
    .lease_keepalive = memory_lease_keepalive,
    .lease_revoke = memory_lease_revoke,
};

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_STORE,
    .name = "memory",
    .version = "0.1.0",
    .description = "revisioned key-value store in memory (MVCC, watch, leases); nothing durable",
    .config = memory_config,
    .instance_size = sizeof(memory_store_t),
    .init = memory_init,
    .start = memory_start,
    .stop = memory_stop,
    .fini = memory_fini,
    .ops = &memory_ops,
};
