/* scheduler/taint-toleration: a node's NoSchedule and NoExecute taints keep
 * out pods that do not tolerate them; PreferNoSchedule taints a pod does
 * not tolerate lower the node's score (kube-scheduler's TaintToleration). */
#include <stdio.h>

#include <skiff/skiff.h>

#include "../common/sched_plugin.h"

typedef struct tt_instance {
    sp_node_fact_t hard;        /* does any node have a NoSchedule/NoExecute taint? */
} tt_instance_t;

static int tt_init(const skiff_host_t *host, skiff_ctx_t *ctx, void *self, skiff_error_t *err)
{
    (void)host; (void)ctx;
    tt_instance_t *in = self;
    if (sp_node_fact_init(&in->hard) < 0) return skiff_error_set(err, SKIFF_E_INTERNAL, "cannot create a mutex");
    return 0;
}

static void tt_fini(void *self)
{
    tt_instance_t *in = self;
    sp_node_fact_fini(&in->hard);
}

static int has_hard_taint(const skiff_sched_node_t *node)
{
    for (size_t i = 0; i < node->n_taints; i++)
        if (node->taints[i].effect == SKIFF_SCHED_EFFECT_NO_SCHEDULE ||
            node->taints[i].effect == SKIFF_SCHED_EFFECT_NO_EXECUTE)
            return 1;
    return 0;
}

/* Without NoSchedule/NoExecute taints anywhere the filter passes on every
 * node: skip it for the cycle instead of a call per node. */
static void tt_pre_filter(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                          skiff_sched_status_t *out)
{
    (void)pod;
    tt_instance_t *in = self;
    if (!sp_node_fact_any(&in->hard, st, has_hard_taint)) out->code = SKIFF_SCHED_SKIP;
}

static void tt_filter(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                      const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)self; (void)st;
    for (size_t i = 0; i < node->n_taints; i++) {
        const skiff_sched_taint_t *t = &node->taints[i];
        if (t->effect != SKIFF_SCHED_EFFECT_NO_SCHEDULE && t->effect != SKIFF_SCHED_EFFECT_NO_EXECUTE)
            continue;
        if (sp_pod_tolerates(pod, t->key, t->value, t->effect)) continue;
        out->code = SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE;
        snprintf(out->reason, sizeof out->reason, "node(s) had untolerated taint {%s: %s}", t->key, t->value);
        return;
    }
}

static void tt_pre_score(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                         skiff_sched_status_t *out)
{
    (void)self; (void)st; (void)pod; (void)out;
}

/* Intolerable PreferNoSchedule taints, counted only against tolerations
 * whose effect is empty or PreferNoSchedule (as kube-scheduler does). */
static int64_t tt_score(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                        const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)self; (void)st; (void)out;
    int64_t n = 0;
    for (size_t i = 0; i < node->n_taints; i++) {
        const skiff_sched_taint_t *t = &node->taints[i];
        if (t->effect != SKIFF_SCHED_EFFECT_PREFER_NO_SCHEDULE) continue;
        int tol = 0;
        for (size_t j = 0; j < pod->n_tolerations && !tol; j++) {
            const skiff_sched_toleration_t *tl = &pod->tolerations[j];
            if (tl->effect != SKIFF_SCHED_EFFECT_ALL && tl->effect != SKIFF_SCHED_EFFECT_PREFER_NO_SCHEDULE)
                continue;
            tol = sp_tolerates(tl, t->key, t->value, t->effect);
        }
        n += !tol;
    }
    return n;
}

static void tt_normalize(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                         int64_t *scores, size_t n, skiff_sched_status_t *out)
{
    (void)self; (void)st; (void)pod; (void)out;
    sp_normalize(scores, n, 1);
}

static const skiff_scheduler_ops_t tt_ops = {
    .size = sizeof(skiff_scheduler_ops_t),
    .pre_filter = tt_pre_filter,
    .filter = tt_filter,
    .pre_score = tt_pre_score,
    .score = tt_score,
    .normalize_score = tt_normalize,
};

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_SCHEDULER,
    .name = "taint-toleration",
    .version = "0.1.0",
    .description = "Filter: untolerated NoSchedule/NoExecute taints; Score: fewer untolerated PreferNoSchedule taints",
    .instance_size = sizeof(tt_instance_t),
    .init = tt_init,
    .fini = tt_fini,
    .ops = &tt_ops,
};
