/* scheduler/node-unschedulable: cordoned nodes (spec.unschedulable) take no
 * pods, except pods tolerating node.kubernetes.io/unschedulable:NoSchedule
 * (kube-scheduler's NodeUnschedulable plugin). */
#include <skiff/skiff.h>

#include "../common/sched_plugin.h"

#define TAINT_KEY "node.kubernetes.io/unschedulable"
#define ERR_REASON "node(s) were unschedulable"

static void node_unschedulable_filter(void *self, skiff_sched_state_t *st,
                                      const skiff_sched_pod_t *pod, const skiff_sched_node_t *node,
                                      skiff_sched_status_t *out)
{
    (void)self; (void)st;
    if (!node->unschedulable) return;
    if (sp_pod_tolerates(pod, TAINT_KEY, "", SKIFF_SCHED_EFFECT_NO_SCHEDULE)) return;
    skiff_sched_status_set(out, SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE, ERR_REASON);
}

static const skiff_scheduler_ops_t node_unschedulable_ops = {
    .size = sizeof(skiff_scheduler_ops_t),
    .filter = node_unschedulable_filter,
};

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_SCHEDULER,
    .name = "node-unschedulable",
    .version = "0.1.0",
    .description = "Filter: cordoned nodes take only pods tolerating the unschedulable taint",
    .ops = &node_unschedulable_ops,
};
