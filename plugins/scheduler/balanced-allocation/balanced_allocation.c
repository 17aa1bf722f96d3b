/* scheduler/balanced-allocation: favours nodes whose resource usage stays
 * even across the listed resources after placing the pod: score =
 * (1 - standard deviation of the used fractions) * 100 (kube-scheduler's
 * NodeResourcesBalancedAllocation; plain requests, as it uses). */
#include <math.h>

#include <skiff/skiff.h>

#include "../common/resource_score.h"

static const skiff_config_key_t ba_keys[] = {
    { "resources", SKIFF_CFG_STRLIST, "cpu,memory", SKIFF_CFG_FILL, offsetof(rs_conf_t, resources),
      "resources balanced, each \"name\" or \"name:weight\" (weights are ignored)" },
    SKIFF_CONFIG_END,
};

static int ba_init(const skiff_host_t *host, skiff_ctx_t *ctx, void *self, skiff_error_t *err)
{
    (void)host; (void)ctx;
    return rs_init(self, err);
}

/* A pod that requests none of the resources changes no balance: skip. */
static void ba_pre_score(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                         skiff_sched_status_t *out)
{
    (void)st;
    const rs_conf_t *c = self;
    for (size_t i = 0; i < c->n; i++) {
        const char *n = c->list[i].name;
        int64_t v = strcmp(n, "cpu") == 0 ? pod->requests.milli_cpu
                  : strcmp(n, "memory") == 0 ? pod->requests.memory
                  : strcmp(n, "ephemeral-storage") == 0 ? pod->requests.ephemeral_storage
                  : rs_scalar(&pod->requests, n);
        if (v > 0) return;
    }
    out->code = SKIFF_SCHED_SKIP;
}

static int64_t ba_score(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                        const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)st; (void)out;
    const rs_conf_t *c = self;
    if (c->fixed && c->n == 2) {
        /* The default (cpu, memory): the same arithmetic as below for two
         * fractions, without the array and the loop. */
        const rs_offsets_t *o0 = &c->list[0].off, *o1 = &c->list[1].off;
        int64_t a0 = rs_at(node, o0->alloc), a1 = rs_at(node, o1->alloc);
        if (a0 != 0 && a1 != 0) {
            double x0 = (double)(rs_at(node, o0->used) + rs_at(pod, o0->pod)) / (double)a0;
            double x1 = (double)(rs_at(node, o1->used) + rs_at(pod, o1->pod)) / (double)a1;
            double f0 = x0 > 1 ? 1 : x0, f1 = x1 > 1 ? 1 : x1;
            return (int64_t)((1 - fabs((f0 - f1) / 2)) * SKIFF_SCHED_MAX_SCORE);
        }
    }
    double f[RS_MAX], mean = 0;
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++) {
        int64_t alloc, req;
        if (c->fixed) { /* the common case (cpu, memory): read by offset */
            const rs_offsets_t *o = &c->list[i].off;
            alloc = rs_at(node, o->alloc);
            req = rs_at(node, o->used) + rs_at(pod, o->pod);
        } else {
            rs_values(&c->list[i], pod, node, 0, &alloc, &req);
        }
        if (alloc == 0) continue;
        double x = (double)req / (double)alloc;
        f[n++] = x > 1 ? 1 : x;
        mean += f[n - 1];
    }
    if (n == 0) return 0;
    double std = 0;
    if (n == 2) {
        std = fabs((f[0] - f[1]) / 2);
    } else if (n > 2) {
        mean /= (double)n;
        for (size_t i = 0; i < n; i++) std += (f[i] - mean) * (f[i] - mean);
        std = sqrt(std / (double)n);
    }
    return (int64_t)((1 - std) * SKIFF_SCHED_MAX_SCORE);
}

static const skiff_scheduler_ops_t ba_ops = {
    .size = sizeof(skiff_scheduler_ops_t),
    .pre_score = ba_pre_score,
    .score = ba_score,
};

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_SCHEDULER,
    .name = "balanced-allocation",
    .version = "0.1.0",
    .description = "Score: favour nodes whose resource usage stays balanced",
    .config = ba_keys,
    .instance_size = sizeof(rs_conf_t),
    .init = ba_init,
    .ops = &ba_ops,
};
