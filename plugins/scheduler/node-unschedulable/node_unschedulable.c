/* scheduler/node-unschedulable: cordoned nodes (spec.unschedulable) take no
 * pods, except pods tolerating node.kubernetes.io/unschedulable:NoSchedule
 * (kube-scheduler's NodeUnschedulable plugin). */
#include <skiff/skiff.h>

#include "../common/sched_plugin.h"

#define TAINT_KEY "node.kubernetes.io/unschedulable"
#define ERR_REASON "node(s) were unschedulable"

typedef struct nu_instance {
    sp_node_fact_t cordoned;    /* is any node cordoned? */
} nu_instance_t;

static int nu_init(const skiff_host_t *host, skiff_ctx_t *ctx, void *self, skiff_error_t *err)
{
    (void)host; (void)ctx;
    nu_instance_t *in = self;
    if (sp_node_fact_init(&in->cordoned) < 0)
        return skiff_error_set(err, SKIFF_E_INTERNAL, "cannot create a mutex");
    return 0;
}

static void nu_fini(void *self)
{
    nu_instance_t *in = self;
    sp_node_fact_fini(&in->cordoned);
}

static int is_cordoned(const skiff_sched_node_t *node)
{
    return node->unschedulable;
}

/* The filter can fail only on a cordoned node, and only for a pod that does
 * not tolerate the taint: otherwise it is skipped for the whole cycle (the
 * same outcome on every node, without a call per node). */
static void node_unschedulable_pre_filter(void *self, skiff_sched_state_t *st,
                                          const skiff_sched_pod_t *pod, skiff_sched_status_t *out)
{
    nu_instance_t *in = self;
    if (sp_pod_tolerates(pod, TAINT_KEY, "", SKIFF_SCHED_EFFECT_NO_SCHEDULE) ||
        !sp_node_fact_any(&in->cordoned, st, is_cordoned))
        out->code = SKIFF_SCHED_SKIP;
}

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
    .pre_filter = node_unschedulable_pre_filter,
    .filter = node_unschedulable_filter,
};

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_SCHEDULER,
    .name = "node-unschedulable",
    .version = "0.1.0",
    .description = "Filter: cordoned nodes take only pods tolerating the unschedulable taint",
    .instance_size = sizeof(nu_instance_t),
    .init = nu_init,
    .fini = nu_fini,
    .ops = &node_unschedulable_ops,
};
