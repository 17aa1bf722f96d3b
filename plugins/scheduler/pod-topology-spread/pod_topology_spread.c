/* scheduler/pod-topology-spread: spec.topologySpreadConstraints (kube-
 * scheduler's PodTopologySpread). DoNotSchedule constraints filter: placing
 * the pod in a node's domain may not make (matching pods there + 1) exceed
 * the least-loaded domain by more than maxSkew; nodes lacking the topology
 * label are unresolvable. ScheduleAnyway constraints score: fewer matching
 * pods in the node's domain is better, weighted by log(domains + 2).
 * Counting follows Kubernetes' defaults: only nodes that satisfy the pod's
 * nodeSelector/required node affinity and carry every constraint's key are
 * counted (nodeAffinityPolicy Honor, nodeTaintsPolicy Ignore); pods are
 * matched in the pod's namespace. minDomains: fewer domains than that
 * count the global minimum as 0. System default constraints are not
 * applied (pods without constraints are skipped). */
#include <math.h>
#include <stdio.h>

#include <skiff/skiff.h>

#include "../common/sched_plugin.h"

#include <pthread.h>

/* The domains of a topology key (values present on some node), cached
 * across cycles while the host's nodes_generation stays the same: counting
 * then costs one lookup per candidate pod instead of a pass over every
 * node. Values are owned copies. */
typedef struct pts_domains {
    char *key;
    uint64_t gen;
    sp_counts_t present;        /* (key, value) -> nodes carrying it */
    char **owned;
    size_t n_owned, cap_owned;
} pts_domains_t;

#define PTS_CACHE 4

typedef struct pts_instance {
    pthread_mutex_t mu;         /* pre_filter/pre_score of several schedulers */
    pts_domains_t cache[PTS_CACHE];
    size_t next;
} pts_instance_t;

static void pts_domains_clear(pts_domains_t *d)
{
    for (size_t i = 0; i < d->n_owned; i++) free(d->owned[i]);
    free(d->owned);
    free(d->key);
    sp_counts_free(&d->present);
    memset(d, 0, sizeof *d);
}

static int pts_init(const skiff_host_t *host, skiff_ctx_t *ctx, void *self, skiff_error_t *err)
{
    (void)host; (void)ctx;
    pts_instance_t *in = self;
    if (pthread_mutex_init(&in->mu, NULL) != 0)
        return skiff_error_set(err, SKIFF_E_INTERNAL, "cannot create a mutex");
    return 0;
}

static void pts_fini(void *self)
{
    pts_instance_t *in = self;
    for (size_t i = 0; i < PTS_CACHE; i++) pts_domains_clear(&in->cache[i]);
    pthread_mutex_destroy(&in->mu);
}

static char *pts_own(pts_domains_t *d, const char *s)
{
    if (d->n_owned == d->cap_owned) {
        size_t cap = d->cap_owned ? d->cap_owned * 2 : 16;
        char **o = realloc(d->owned, cap * sizeof *o);
        if (!o) return NULL;
        d->owned = o;
        d->cap_owned = cap;
    }
    char *c = strdup(s);
    if (c) d->owned[d->n_owned++] = c;
    return c;
}

/* The (cached) domains of `key`; NULL on allocation failure. Caller holds mu. */
static const pts_domains_t *pts_domains(pts_instance_t *in, const skiff_sched_state_t *st, const char *key)
{
    for (size_t i = 0; i < PTS_CACHE; i++)
        if (in->cache[i].key && strcmp(in->cache[i].key, key) == 0 && in->cache[i].gen == st->nodes_generation)
            return &in->cache[i];
    size_t slot = PTS_CACHE;
    for (size_t i = 0; i < PTS_CACHE && slot == PTS_CACHE; i++)
        if (in->cache[i].key && strcmp(in->cache[i].key, key) == 0) slot = i;
    if (slot == PTS_CACHE) slot = in->next++ % PTS_CACHE;
    pts_domains_t *d = &in->cache[slot];
    pts_domains_clear(d);
    if (!(d->key = strdup(key)) || sp_counts_init(&d->present, 64) < 0) { pts_domains_clear(d); return NULL; }
    d->gen = st->nodes_generation;
    for (size_t k = 0; k < st->n_nodes; k++) {
        const char *v = skiff_sched_label(st->nodes[k]->labels, st->nodes[k]->n_labels, key);
        if (!v) continue;
        int found;
        if ((d->present.len + 1) * 2 > d->present.cap && sp_counts_grow(&d->present) < 0) { pts_domains_clear(d); return NULL; }
        sp_count_slot_t *e = sp_counts_find(&d->present, key, v, &found);
        if (!found) {
            char *ov = pts_own(d, v);
            if (!ov) { e->key = NULL; pts_domains_clear(d); return NULL; }
            e->key = d->key;
            e->value = ov;
            e->n = 0;
            d->present.len++;
        }
        e->n++;
    }
    return d;
}

typedef struct pts_walk {
    const skiff_sched_pod_t *pod;
    const skiff_sched_spread_t *c;
    const pts_domains_t *d;
    sp_counts_t *counts;
} pts_walk_t;

static int pts_walk_one(void *ud, const skiff_sched_pod_t *o, const skiff_sched_node_t *node)
{
    pts_walk_t *w = ud;
    if (strcmp(o->namespace_, w->pod->namespace_) != 0 ||
        !skiff_sched_selector_matches(&w->c->selector, o->labels, o->n_labels))
        return 0;
    const char *v = skiff_sched_label(node->labels, node->n_labels, w->c->topology_key);
    if (!v || sp_counts_get(&w->d->present, w->c->topology_key, v) <= 0) return 0;
    return sp_counts_add(w->counts, w->c->topology_key, v, 1) < 0 ? -1 : 0;
}

#define MAX_CONSTRAINTS 8
#define ERR_SKEW "node(s) didn't match pod topology spread constraints"
#define ERR_LABEL "node(s) didn't match pod topology spread constraints (missing required label)"

typedef struct pts_constraint {
    const skiff_sched_spread_t *c;
    sp_counts_t counts;          /* (key, domain) -> matching pods */
    size_t domains;
    int64_t min;
    int self;                    /* the pod matches its own selector */
    uint32_t hkey;               /* sp_hash_key(topology key): per node only the value is hashed */
    double weight;               /* scoring */
} pts_constraint_t;

typedef struct pts_state {
    pts_constraint_t c[MAX_CONSTRAINTS];
    size_t n;
} pts_state_t;

static void pts_state_free(void *p)
{
    pts_state_t *s = p;
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) sp_counts_free(&s->c[i].counts);
    free(s);
}

/* Count matching pods per domain for the constraints of one kind. */
static void pts_finish(pts_constraint_t *c)
{
    c->min = INT64_MAX;
    for (size_t j = 0; j < c->counts.cap; j++)
        if (c->counts.slots[j].key && c->counts.slots[j].n < c->min) c->min = c->counts.slots[j].n;
    /* a domain without matching pods is the minimum: 0 */
    if (c->min == INT64_MAX || c->counts.len < c->domains) c->min = 0;
    if ((int64_t)c->domains < c->c->min_domains) c->min = 0;
    c->weight = log((double)c->domains + 2);
}

/* One constraint, no node affinity, an indexed selector: count from the
 * candidates and the cached domains. 1 done, 0 not applicable, -1 OOM. */
static int pts_count_fast(pts_instance_t *in, const skiff_sched_state_t *st,
                          const skiff_sched_pod_t *pod, pts_constraint_t *c)
{
    if (pod->n_node_selector || pod->has_required_node_affinity || !c->c->selector.n_match_labels ||
        !SKIFF_STATE_HAS(st, nodes_generation) || !st->pods_with_label)
        return 0;
    pthread_mutex_lock(&in->mu);
    const pts_domains_t *d = pts_domains(in, st, c->c->topology_key);
    int rc = d ? 1 : -1;
    if (d) {
        c->domains = d->present.len;
        pts_walk_t w = { pod, c->c, d, &c->counts };
        if (sp_each_candidate(st, &c->c->selector, pts_walk_one, &w) < 0) rc = -1;
    }
    pthread_mutex_unlock(&in->mu);
    if (rc == 1) pts_finish(c);
    return rc;
}

static pts_state_t *pts_count(pts_instance_t *in, const skiff_sched_state_t *st,
                              const skiff_sched_pod_t *pod, skiff_sched_unsatisfiable_t kind)
{
    pts_state_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    for (size_t i = 0; i < pod->n_spread && s->n < MAX_CONSTRAINTS; i++) {
        if (pod->spread[i].when_unsatisfiable != kind) continue;
        pts_constraint_t *c = &s->c[s->n++];
        c->c = &pod->spread[i];
        c->self = skiff_sched_selector_matches(&c->c->selector, pod->labels, pod->n_labels);
        c->hkey = sp_hash_key(c->c->topology_key);
        if (sp_counts_init(&c->counts, 64) < 0) { pts_state_free(s); return NULL; }
    }
    if (!s->n) return s;
    if (s->n == 1) {
        int rc = pts_count_fast(in, st, pod, &s->c[0]);
        if (rc < 0) { pts_state_free(s); return NULL; }
        if (rc == 1) return s;
    }
    for (size_t k = 0; k < st->n_nodes; k++) {
        const skiff_sched_node_t *node = st->nodes[k];
        const char *vals[MAX_CONSTRAINTS];
        int all = 1;
        for (size_t i = 0; i < s->n && all; i++) {
            vals[i] = skiff_sched_label(node->labels, node->n_labels, s->c[i].c->topology_key);
            all = vals[i] != NULL;
        }
        if (!all || !sp_node_affinity_ok(pod, node)) continue;
        for (size_t i = 0; i < s->n; i++) {
            int64_t n = 0;
            for (size_t j = 0; j < node->n_pods; j++) {
                const skiff_sched_pod_t *o = node->pods[j];
                if (strcmp(o->namespace_, pod->namespace_) == 0 &&
                    skiff_sched_selector_matches(&s->c[i].c->selector, o->labels, o->n_labels))
                    n++;
            }
            if (sp_counts_add(&s->c[i].counts, s->c[i].c->topology_key, vals[i], n) < 0) {
                pts_state_free(s);
                return NULL;
            }
        }
    }
    for (size_t i = 0; i < s->n; i++) {
        s->c[i].domains = s->c[i].counts.len;
        pts_finish(&s->c[i]);
    }
    return s;
}

static void pts_pre_filter(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                           skiff_sched_status_t *out)
{
    int any = 0;
    for (size_t i = 0; i < pod->n_spread; i++) any |= pod->spread[i].when_unsatisfiable == SKIFF_SCHED_DO_NOT_SCHEDULE;
    if (!any) { out->code = SKIFF_SCHED_SKIP; return; }
    pts_state_t *s = pts_count(self, st, pod, SKIFF_SCHED_DO_NOT_SCHEDULE);
    if (!s || st->state_put(st, self, s, pts_state_free) < 0)
        skiff_sched_status_set(out, SKIFF_SCHED_ERROR, "out of memory counting topology domains");
}

static void pts_filter(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                       const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)pod;
    const pts_state_t *s = st->state_get(st, self);
    if (!s) { skiff_sched_status_set(out, SKIFF_SCHED_ERROR, "no PreFilter state"); return; }
    for (size_t i = 0; i < s->n; i++) {
        const pts_constraint_t *c = &s->c[i];
        const char *v = skiff_sched_label(node->labels, node->n_labels, c->c->topology_key);
        if (!v) { skiff_sched_status_set(out, SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE, ERR_LABEL); return; }
        int64_t skew = sp_counts_get_h(&c->counts, c->hkey, c->c->topology_key, v) + c->self - c->min;
        if (skew > c->c->max_skew) { skiff_sched_status_set(out, SKIFF_SCHED_UNSCHEDULABLE, ERR_SKEW); return; }
    }
}

/* PreFilter extensions (kube's updateWithPod): `other` added to (delta 1)
 * or removed from (delta -1) `node`, for preemption's what-if. Counted as
 * pre_filter counts: same namespace, a node carrying every constraint's
 * key and passing the pod's node affinity, a domain the pod can use. */
static void pts_update(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                       const skiff_sched_pod_t *other, const skiff_sched_node_t *node, int64_t delta,
                       skiff_sched_status_t *out)
{
    pts_state_t *s = st->state_get(st, self);
    if (!s || !s->n || strcmp(other->namespace_, pod->namespace_) != 0) return;
    const char *vals[MAX_CONSTRAINTS];
    for (size_t i = 0; i < s->n; i++)
        if (!(vals[i] = skiff_sched_label(node->labels, node->n_labels, s->c[i].c->topology_key))) return;
    if (!sp_node_affinity_ok(pod, node)) return;
    for (size_t i = 0; i < s->n; i++) {
        pts_constraint_t *c = &s->c[i];
        if (!skiff_sched_selector_matches(&c->c->selector, other->labels, other->n_labels)) continue;
        if (sp_counts_add(&c->counts, c->c->topology_key, vals[i], delta) < 0) {
            skiff_sched_status_set(out, SKIFF_SCHED_ERROR, "out of memory updating topology domains");
            return;
        }
        pts_finish(c); /* the least-loaded domain may have changed */
    }
}

static void pts_add_pod(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                        const skiff_sched_pod_t *other, const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    pts_update(self, st, pod, other, node, 1, out);
}

static void pts_remove_pod(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                           const skiff_sched_pod_t *other, const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    pts_update(self, st, pod, other, node, -1, out);
}

/* Scoring state lives under a second key (self + 1, unique per instance)
 * so it never clobbers the filter's. */
#define SCORE_KEY(self) ((const char *)(self) + 1)

static void pts_pre_score(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                          skiff_sched_status_t *out)
{
    int any = 0;
    for (size_t i = 0; i < pod->n_spread; i++) any |= pod->spread[i].when_unsatisfiable == SKIFF_SCHED_SCHEDULE_ANYWAY;
    if (!any) { out->code = SKIFF_SCHED_SKIP; return; }
    pts_state_t *s = pts_count(self, st, pod, SKIFF_SCHED_SCHEDULE_ANYWAY);
    if (!s || st->state_put(st, SCORE_KEY(self), s, pts_state_free) < 0)
        skiff_sched_status_set(out, SKIFF_SCHED_ERROR, "out of memory counting topology domains");
}

static int64_t pts_score(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                         const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)pod; (void)out;
    const pts_state_t *s = st->state_get(st, SCORE_KEY(self));
    if (!s) return 0;
    double score = 0;
    for (size_t i = 0; i < s->n; i++) {
        const pts_constraint_t *c = &s->c[i];
        const char *v = skiff_sched_label(node->labels, node->n_labels, c->c->topology_key);
        if (!v) return -1; /* marked: lowest after normalising */
        score += (double)sp_counts_get_h(&c->counts, c->hkey, c->c->topology_key, v) * c->weight + (c->c->max_skew - 1);
    }
    return (int64_t)(score + 0.5);
}

/* Fewer matching pods is better: 100 * (max + min - s) / max; nodes lacking
 * a key (marked -1) get 0. */
static void pts_normalize(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                          int64_t *scores, size_t n, skiff_sched_status_t *out)
{
    (void)self; (void)st; (void)pod; (void)out;
    int64_t mn = INT64_MAX, mx = 0;
    for (size_t i = 0; i < n; i++) {
        if (scores[i] < 0) continue;
        if (scores[i] < mn) mn = scores[i];
        if (scores[i] > mx) mx = scores[i];
    }
    for (size_t i = 0; i < n; i++) {
        if (scores[i] < 0) scores[i] = 0;
        else if (mx == 0) scores[i] = SKIFF_SCHED_MAX_SCORE;
        else scores[i] = SKIFF_SCHED_MAX_SCORE * (mx + mn - scores[i]) / mx;
    }
}

static const skiff_scheduler_ops_t pts_ops = {
    .size = sizeof(skiff_scheduler_ops_t),
    .pre_filter = pts_pre_filter,
    .filter = pts_filter,
    .pre_score = pts_pre_score,
    .score = pts_score,
    .normalize_score = pts_normalize,
    .pre_filter_add_pod = pts_add_pod,
    .pre_filter_remove_pod = pts_remove_pod,
};

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_SCHEDULER,
    .name = "pod-topology-spread",
    .version = "0.1.0",
    .description = "Filter/Score: spec.topologySpreadConstraints (maxSkew, topologyKey, whenUnsatisfiable)",
    .instance_size = sizeof(pts_instance_t),
    .init = pts_init,
    .fini = pts_fini,
    .ops = &pts_ops,
};
