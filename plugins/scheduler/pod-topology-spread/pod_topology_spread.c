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

/* No settings, but an instance block all the same: `self` keys this
 * instance's slots in the cycle state, so it must be unique. */
typedef struct pts_instance { int unused; } pts_instance_t;

#define MAX_CONSTRAINTS 8
#define ERR_SKEW "node(s) didn't match pod topology spread constraints"
#define ERR_LABEL "node(s) didn't match pod topology spread constraints (missing required label)"

typedef struct pts_constraint {
    const skiff_sched_spread_t *c;
    sp_counts_t counts;          /* (key, domain) -> matching pods */
    size_t domains;
    int64_t min;
    int self;                    /* the pod matches its own selector */
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
static pts_state_t *pts_count(const skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                              skiff_sched_unsatisfiable_t kind)
{
    pts_state_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    for (size_t i = 0; i < pod->n_spread && s->n < MAX_CONSTRAINTS; i++) {
        if (pod->spread[i].when_unsatisfiable != kind) continue;
        pts_constraint_t *c = &s->c[s->n++];
        c->c = &pod->spread[i];
        c->self = skiff_sched_selector_matches(&c->c->selector, pod->labels, pod->n_labels);
        if (sp_counts_init(&c->counts, 64) < 0) { pts_state_free(s); return NULL; }
    }
    if (!s->n) return s;
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
        pts_constraint_t *c = &s->c[i];
        c->domains = c->counts.len;
        c->min = INT64_MAX;
        for (size_t j = 0; j < c->counts.cap; j++)
            if (c->counts.slots[j].key && c->counts.slots[j].n < c->min) c->min = c->counts.slots[j].n;
        if (c->min == INT64_MAX || (int64_t)c->domains < c->c->min_domains) c->min = 0;
        c->weight = log((double)c->domains + 2);
    }
    return s;
}

static void pts_pre_filter(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                           skiff_sched_status_t *out)
{
    int any = 0;
    for (size_t i = 0; i < pod->n_spread; i++) any |= pod->spread[i].when_unsatisfiable == SKIFF_SCHED_DO_NOT_SCHEDULE;
    if (!any) { out->code = SKIFF_SCHED_SKIP; return; }
    pts_state_t *s = pts_count(st, pod, SKIFF_SCHED_DO_NOT_SCHEDULE);
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
        int64_t skew = sp_counts_get(&c->counts, c->c->topology_key, v) + c->self - c->min;
        if (skew > c->c->max_skew) { skiff_sched_status_set(out, SKIFF_SCHED_UNSCHEDULABLE, ERR_SKEW); return; }
    }
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
    pts_state_t *s = pts_count(st, pod, SKIFF_SCHED_SCHEDULE_ANYWAY);
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
        score += (double)sp_counts_get(&c->counts, c->c->topology_key, v) * c->weight + (c->c->max_skew - 1);
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
};

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_SCHEDULER,
    .name = "pod-topology-spread",
    .version = "0.1.0",
    .description = "Filter/Score: spec.topologySpreadConstraints (maxSkew, topologyKey, whenUnsatisfiable)",
    .instance_size = sizeof(pts_instance_t),
    .ops = &pts_ops,
};
