/* core/api/metrics — Prometheus text: request counts by verb, resource and
 * code, and latency histograms by verb and resource. Counters are atomics in
 * fixed arrays indexed by the resource table, so observing is lock-free. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"

static const double BUCKETS[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60 };
#define NBUCKETS (sizeof BUCKETS / sizeof BUCKETS[0])
/* the codes the server answers, then "other" */
static const int CODES[] = { 200, 201, 400, 403, 404, 405, 409, 410, 413, 415, 422, 500, 504 };
#define NCODES (sizeof CODES / sizeof CODES[0] + 1)
#define MAXRES 64

typedef struct cell {
    unsigned long long codes[NCODES];
    unsigned long long buckets[NBUCKETS];
    unsigned long long count;
    unsigned long long sum_us;
} cell_t;

struct apisrv_metrics {
    cell_t cells[MAXRES + 1][APISRV_NVERBS];
};

int apisrv_metrics_new(apisrv_metrics_t **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : -ENOMEM;
}

void apisrv_metrics_free(apisrv_metrics_t *m) { free(m); }

void apisrv_metrics_observe(apisrv_metrics_t *m, const apisrv_resource_t *r, int verb, int code,
                            int64_t ns)
{
    if (!m) return;
    size_t ri = apisrv_resource_index(r);
    if (ri > MAXRES) ri = MAXRES;
    if (!r) ri = MAXRES;
    if (verb < 0 || verb >= APISRV_NVERBS) verb = APISRV_VERB_OTHER;
    cell_t *c = &m->cells[ri][verb];
    size_t ci = NCODES - 1;
    for (size_t k = 0; k < NCODES - 1; k++) if (CODES[k] == code) { ci = k; break; }
    __atomic_add_fetch(&c->codes[ci], 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&c->count, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&c->sum_us, (unsigned long long)(ns / 1000), __ATOMIC_RELAXED);
    double s = (double)ns / 1e9;
    for (size_t b = 0; b < NBUCKETS; b++)
        if (s <= BUCKETS[b]) { __atomic_add_fetch(&c->buckets[b], 1, __ATOMIC_RELAXED); break; }
}

int apisrv_handle_metrics(apisrv_call_t *c)
{
    apisrv_metrics_t *m = c->s->metrics;
    skiff_api_buf_t b;
    skiff_api_buf_init(&b);
    skiff_api_buf_puts(&b, "# HELP apiserver_request_total Counter of apiserver requests broken out by verb, resource and HTTP response code.\n"
                           "# TYPE apiserver_request_total counter\n");
    for (size_t ri = 0; ri <= MAXRES; ri++) {
        const char *rn = ri < apisrv_nresources ? apisrv_resources[ri].plural : ri == MAXRES ? "" : NULL;
        if (!rn) continue;
        for (int v = 0; v < APISRV_NVERBS; v++)
            for (size_t k = 0; k < NCODES; k++) {
                unsigned long long n = __atomic_load_n(&m->cells[ri][v].codes[k], __ATOMIC_RELAXED);
                char cn[16];
                if (k < NCODES - 1) snprintf(cn, sizeof cn, "%d", CODES[k]);
                else snprintf(cn, sizeof cn, "other");
                if (n) skiff_api_buf_printf(&b, "apiserver_request_total{verb=\"%s\",resource=\"%s\",code=\"%s\"} %llu\n",
                                            apisrv_verb_names[v], rn, cn, n);
            }
    }
    skiff_api_buf_puts(&b, "# HELP apiserver_request_duration_seconds Response latency distribution in seconds for each verb and resource.\n"
                           "# TYPE apiserver_request_duration_seconds histogram\n");
    for (size_t ri = 0; ri <= MAXRES; ri++) {
        const char *rn = ri < apisrv_nresources ? apisrv_resources[ri].plural : ri == MAXRES ? "" : NULL;
        if (!rn) continue;
        for (int v = 0; v < APISRV_NVERBS; v++) {
            cell_t *cl = &m->cells[ri][v];
            unsigned long long count = __atomic_load_n(&cl->count, __ATOMIC_RELAXED);
            if (!count) continue;
            unsigned long long cum = 0;
            for (size_t k = 0; k < NBUCKETS; k++) {
                cum += __atomic_load_n(&cl->buckets[k], __ATOMIC_RELAXED);
                skiff_api_buf_printf(&b, "apiserver_request_duration_seconds_bucket{verb=\"%s\",resource=\"%s\",le=\"%g\"} %llu\n",
                                     apisrv_verb_names[v], rn, BUCKETS[k], cum);
            }
            skiff_api_buf_printf(&b, "apiserver_request_duration_seconds_bucket{verb=\"%s\",resource=\"%s\",le=\"+Inf\"} %llu\n",
                                 apisrv_verb_names[v], rn, count);
            skiff_api_buf_printf(&b, "apiserver_request_duration_seconds_sum{verb=\"%s\",resource=\"%s\"} %.6f\n",
                                 apisrv_verb_names[v], rn, (double)__atomic_load_n(&cl->sum_us, __ATOMIC_RELAXED) / 1e6);
            skiff_api_buf_printf(&b, "apiserver_request_duration_seconds_count{verb=\"%s\",resource=\"%s\"} %llu\n",
                                 apisrv_verb_names[v], rn, count);
        }
    }
    skiff_api_buf_printf(&b, "# HELP apiserver_watch_cache_list_total Lists answered from the watch cache (hit) or sent to the store (miss).\n"
                             "# TYPE apiserver_watch_cache_list_total counter\n"
                             "apiserver_watch_cache_list_total{result=\"hit\"} %llu\n"
                             "apiserver_watch_cache_list_total{result=\"miss\"} %llu\n",
                         __atomic_load_n(&c->s->cache_hits, __ATOMIC_RELAXED), __atomic_load_n(&c->s->cache_misses, __ATOMIC_RELAXED));
    int rc = apisrv_reply_buf(c, 200, &b);
    snprintf(c->resp->content_type, sizeof c->resp->content_type, "text/plain; version=0.0.4; charset=utf-8");
    return rc;
}
