/* Automatic compaction by retention, with the lmdb store's keys and meaning
 * so the two are interchangeable: keep `retention_revisions` revisions and/or
 * `retention` worth of history. As etcd's periodic compactor, retention by
 * time samples (time, revision) each compact_interval and compacts to the
 * newest sample at least `retention` old. This is what bounds the memory of a
 * long simulation; watchers left behind end with SKIFF_E_COMPACTED. */
#include <string.h>

#include "memory.h"

static int retention_sample(memory_store_t *s, int64_t now, int64_t rev)
{
    if (s->nsamp == s->samp_cap) {
        size_t cap = s->samp_cap ? s->samp_cap * 2 : 64;
        int64_t *a = s->host->realloc(s->samp_ns, cap * sizeof *a);
        if (!a)
            return -ENOMEM;
        s->samp_ns = a;
        int64_t *b = s->host->realloc(s->samp_rev, cap * sizeof *b);
        if (!b)
            return -ENOMEM;
        s->samp_rev = b;
        s->samp_cap = cap;
    }
    s->samp_ns[s->nsamp] = now;
    s->samp_rev[s->nsamp] = rev;
    s->nsamp++;
    return 0;
}

void memory_retention_tick(memory_store_t *s, int64_t now)
{
    int64_t cur, compacted, target = 0;
    memory_revision(s, &cur, &compacted, NULL);
    if (s->retention_revisions > 0 && cur - s->retention_revisions > 0)
        target = cur - s->retention_revisions;
    if (s->retention_ms > 0) {
        retention_sample(s, now, cur); /* a missed sample only delays compaction */
        int64_t cutoff = now - s->retention_ms * 1000000;
        size_t keep = 0;
        int found = 0;
        for (size_t i = 0; i < s->nsamp && s->samp_ns[i] <= cutoff; i++) {
            keep = i;
            found = 1;
        }
        if (found) {
            if (s->samp_rev[keep] > target)
                target = s->samp_rev[keep];
            memmove(s->samp_ns, s->samp_ns + keep, (s->nsamp - keep) * sizeof *s->samp_ns);
            memmove(s->samp_rev, s->samp_rev + keep, (s->nsamp - keep) * sizeof *s->samp_rev);
            s->nsamp -= keep;
        }
    }
    if (target <= compacted || target > cur)
        return;
    skiff_error_t err = { 0 };
    int rc = memory_compact(s, target, &err);
    if (rc != 0 && rc != SKIFF_E_COMPACTED)
        s->host->log(s->ctx, SKIFF_LOG_WARN, "automatic compaction to revision %lld: %s",
                     (long long)target, err.msg);
    else if (rc == 0 && s->host->log_enabled(s->ctx, SKIFF_LOG_DEBUG))
        s->host->log(s->ctx, SKIFF_LOG_DEBUG, "retention: compacted below revision %lld",
                     (long long)target);
}

void memory_retention_fini(memory_store_t *s)
{
    if (s->host) {
        s->host->free(s->samp_ns);
        s->host->free(s->samp_rev);
    }
    s->samp_ns = s->samp_rev = NULL;
    s->nsamp = s->samp_cap = 0;
}
