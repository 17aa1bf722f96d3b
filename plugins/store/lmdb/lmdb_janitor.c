/* lmdb_janitor.c — background upkeep: expire leases, compact by retention.
 *
 * Retention by time needs to know which revision was current some time ago;
 * like etcd's periodic compactor we sample (time, revision) pairs and compact
 * to the newest sample that is at least `retention` old. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "lmdb_store.h"

#define LEASE_TICK_MS 20

static void expire_leases(lmdb_store_t *s)
{
    int64_t ids[64];
    size_t n = 0;
    int64_t now = s->host->clock_monotonic_ns();
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->nleases && n < 64; i++) {
        lmdb_lease_t *l = &s->leases[i];
        if (!l->expired && l->deadline_ns <= now) {
            l->expired = 1;
            ids[n++] = l->id;
        }
    }
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; i < n; i++) {
        skiff_error_t e = { 0 };
        int rc = lmdb_lease_revoke(s, ids[i], &e);
        if (rc && rc != SKIFF_E_NOLEASE && rc != SKIFF_E_CLOSED) {
            s->host->log(s->ctx, SKIFF_LOG_WARN, "expiring lease %lld: %s", (long long)ids[i], e.msg);
            /* try again next tick */
            pthread_mutex_lock(&s->mu);
            for (size_t j = 0; j < s->nleases; j++)
                if (s->leases[j].id == ids[i]) s->leases[j].expired = 0;
            pthread_mutex_unlock(&s->mu);
        }
    }
}

static int sample_add(lmdb_store_t *s, int64_t now, int64_t rev)
{
    if (s->nsamp == s->cap_samp) {
        size_t cap = s->cap_samp ? s->cap_samp * 2 : 64;
        int64_t *a = s->host->realloc(s->samp_ns, cap * sizeof *a);
        if (!a) return -ENOMEM;
        s->samp_ns = a;
        int64_t *b = s->host->realloc(s->samp_rev, cap * sizeof *b);
        if (!b) return -ENOMEM;
        s->samp_rev = b;
        s->cap_samp = cap;
    }
    s->samp_ns[s->nsamp] = now;
    s->samp_rev[s->nsamp] = rev;
    s->nsamp++;
    return 0;
}

static void compact_by_retention(lmdb_store_t *s)
{
    int64_t now = s->host->clock_monotonic_ns();
    int64_t cur = atomic_load(&s->cur_rev), target = 0;
    if (s->retention_revisions > 0 && cur - s->retention_revisions > 0)
        target = cur - s->retention_revisions;
    if (s->retention_ms > 0) {
        sample_add(s, now, cur);
        int64_t cutoff = now - s->retention_ms * 1000000;
        size_t keep = 0; /* index of the newest sample at or before cutoff */
        int found = 0;
        for (size_t i = 0; i < s->nsamp && s->samp_ns[i] <= cutoff; i++) { keep = i; found = 1; }
        if (found) {
            if (s->samp_rev[keep] > target) target = s->samp_rev[keep];
            memmove(s->samp_ns, s->samp_ns + keep, (s->nsamp - keep) * sizeof *s->samp_ns);
            memmove(s->samp_rev, s->samp_rev + keep, (s->nsamp - keep) * sizeof *s->samp_rev);
            s->nsamp -= keep;
        }
    }
    if (target > atomic_load(&s->compacted) && target <= cur) {
        skiff_error_t e = { 0 };
        int rc = lmdb_compact(s, target, &e);
        if (rc && rc != SKIFF_E_COMPACTED && rc != SKIFF_E_CLOSED)
            s->host->log(s->ctx, SKIFF_LOG_WARN, "automatic compaction to %lld: %s",
                         (long long)target, e.msg);
        else if (rc == 0 && s->host->log_enabled(s->ctx, SKIFF_LOG_DEBUG))
            s->host->log(s->ctx, SKIFF_LOG_DEBUG, "retention: compacted below revision %lld",
                         (long long)target);
    }
}

static void *janitor_main(void *arg)
{
    lmdb_store_t *s = arg;
    int64_t interval = s->compact_interval_ms > 0 ? s->compact_interval_ms : 1000;
    int64_t next_compact = s->host->clock_monotonic_ns() + interval * 1000000;
    pthread_mutex_lock(&s->mu);
    while (!s->jan_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += LEASE_TICK_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
        pthread_cond_timedwait(&s->jan_cond, &s->mu, &ts);
        if (s->jan_stop) break;
        pthread_mutex_unlock(&s->mu);
        expire_leases(s);
        int64_t now = s->host->clock_monotonic_ns();
        if (now >= next_compact) {
            next_compact = now + interval * 1000000;
            compact_by_retention(s);
        }
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int lmdb_janitor_start(lmdb_store_t *s, skiff_error_t *err)
{
    if (s->jan_running) return 0;
    s->jan_stop = 0;
    int rc = pthread_create(&s->janitor, NULL, janitor_main, s);
    if (rc) return skiff_error_set(err, -rc, "cannot start the store janitor thread: %s", strerror(rc));
    s->jan_running = 1;
    return 0;
}

void lmdb_janitor_stop(lmdb_store_t *s)
{
    if (!s->jan_running) return;
    pthread_mutex_lock(&s->mu);
    s->jan_stop = 1;
    pthread_cond_broadcast(&s->jan_cond);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->janitor, NULL);
    s->jan_running = 0;
}
