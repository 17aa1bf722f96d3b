/* scheduler/least-allocated: scores nodes by the share of each listed
 * resource that would be free after placing the pod, weighted
 * average over the resources (kube-scheduler's NodeResourcesFit
 * LeastAllocated strategy). */
#include <skiff/skiff.h>

#include "../common/resource_score.h"

static const skiff_config_key_t least_keys[] = {
    { "resources", SKIFF_CFG_STRLIST, "cpu,memory", SKIFF_CFG_FILL, offsetof(rs_conf_t, resources),
      "resources scored, each \"name\" or \"name:weight\" (weight 1..100)" },
    SKIFF_CONFIG_END,
};

static int least_init(const skiff_host_t *host, skiff_ctx_t *ctx, void *self, skiff_error_t *err)
{
    (void)host; (void)ctx;
    return rs_init(self, err);
}

/* Any resource list (extended resources looked up by name). */
__attribute__((noinline)) static int64_t least_general(const rs_conf_t *c, const skiff_sched_pod_t *pod,
                                                       const skiff_sched_node_t *node)
{
    int64_t sum = 0, wsum = 0;
    for (size_t i = 0; i < c->n; i++) {
        int64_t alloc, req;
        rs_values(&c->list[i], pod, node, 1, &alloc, &req);
        if (alloc == 0) continue; /* the node does not have it: not scored */
        int64_t s = req > alloc ? 0 : (alloc - req) * SKIFF_SCHED_MAX_SCORE / alloc;
        sum += s * c->list[i].weight;
        wsum += c->list[i].weight;
    }
    return wsum ? sum / wsum : 0;
}

static int64_t least_score(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                           const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)st; (void)out;
    const rs_conf_t *c = self;
    if (!c->fixed) return least_general(c, pod, node);
    /* The common case (cpu, memory, ephemeral-storage): the same sums,
     * fields read by offset, divisions as cheap as their operands allow. */
    int64_t sum = 0, wsum = 0;
    for (size_t i = 0; i < c->n; i++) {
        const rs_offsets_t *o = &c->list[i].off;
        int64_t alloc = rs_at(node, o->alloc);
        if (alloc == 0) continue;
        int64_t req = rs_at(node, o->used_nz) + rs_at(pod, o->pod_nz);
        int64_t s = req > alloc ? 0 : rs_div((alloc - req) * SKIFF_SCHED_MAX_SCORE, alloc);
        sum += s * c->list[i].weight;
        wsum += c->list[i].weight;
    }
    return wsum ? rs_div(sum, wsum) : 0;
}

static const skiff_scheduler_ops_t least_ops = {
    .size = sizeof(skiff_scheduler_ops_t),
    .score = least_score,
};

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_SCHEDULER,
    .name = "least-allocated",
    .version = "0.1.0",
    .description = "Score: favour nodes with the most free share of the listed resources",
    .config = least_keys,
    .instance_size = sizeof(rs_conf_t),
    .init = least_init,
    .ops = &least_ops,
};
