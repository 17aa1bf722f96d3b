/* scheduler/node-affinity: spec.nodeSelector and required node affinity
 * filter nodes (In, NotIn, Exists, DoesNotExist, Gt, Lt; matchFields on
 * metadata.name); preferred terms score them by the sum of matching
 * weights, scaled to 0..100 (kube-scheduler's NodeAffinity). */
#include <string.h>

#include <skiff/skiff.h>

#include "../common/sched_plugin.h"

#define ERR_REASON "node(s) didn't match Pod's node affinity/selector"

static void na_pre_filter(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                          skiff_sched_status_t *out)
{
    (void)self; (void)st;
    if (!pod->n_node_selector && !pod->has_required_node_affinity) out->code = SKIFF_SCHED_SKIP;
}

static void na_filter(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                      const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)self; (void)st;
    if (!sp_node_affinity_ok(pod, node))
        skiff_sched_status_set(out, SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE, ERR_REASON);
}

static void na_pre_score(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                         skiff_sched_status_t *out)
{
    (void)self; (void)st;
    if (!pod->n_preferred_terms) out->code = SKIFF_SCHED_SKIP;
}

static int64_t na_score(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                        const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)self; (void)st; (void)out;
    int64_t sum = 0;
    for (size_t i = 0; i < pod->n_preferred_terms; i++)
        if (pod->preferred_terms[i].weight && sp_node_term_matches(&pod->preferred_terms[i].term, node))
            sum += pod->preferred_terms[i].weight;
    return sum;
}

static void na_normalize(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                         int64_t *scores, size_t n, skiff_sched_status_t *out)
{
    (void)self; (void)st; (void)pod; (void)out;
    sp_normalize(scores, n, 0);
}

static const skiff_scheduler_ops_t na_ops = {
    .size = sizeof(skiff_scheduler_ops_t),
    .pre_filter = na_pre_filter,
    .filter = na_filter,
    .pre_score = na_pre_score,
    .score = na_score,
    .normalize_score = na_normalize,
};

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_SCHEDULER,
    .name = "node-affinity",
    .version = "0.1.0",
    .description = "Filter: nodeSelector and required node affinity; Score: preferred node affinity",
    .ops = &na_ops,
};
