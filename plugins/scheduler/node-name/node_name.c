/* scheduler/node-name: a pod that names a node (spec.nodeName) fits only
 * that node (kube-scheduler's NodeName plugin). */
#include <string.h>

#include <skiff/skiff.h>

#define ERR_REASON "node(s) didn't match the requested node name"

static void node_name_filter(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                             const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)self; (void)st;
    if (pod->node_name[0] && strcmp(pod->node_name, node->name) != 0)
        skiff_sched_status_set(out, SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE, ERR_REASON);
}

/* A pod that names no node passes on every node: no call per node. */
static void node_name_pre_filter(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                                 skiff_sched_status_t *out)
{
    (void)self; (void)st;
    if (!pod->node_name[0]) out->code = SKIFF_SCHED_SKIP;
}

static const skiff_scheduler_ops_t node_name_ops = {
    .size = sizeof(skiff_scheduler_ops_t),
    .pre_filter = node_name_pre_filter,
    .filter = node_name_filter,
};

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_SCHEDULER,
    .name = "node-name",
    .version = "0.1.0",
    .description = "Filter: a pod with spec.nodeName fits only that node",
    .ops = &node_name_ops,
};
