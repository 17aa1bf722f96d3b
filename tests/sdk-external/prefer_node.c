/* An out-of-tree scheduler score plugin, built with nothing but the SDK
 * headers (see Makefile): proof that a plugin needs no core source. It
 * scores the configured node high and every other node low. */
#include <string.h>

#include <skiff/skiff.h>

typedef struct prefer_node {
    const char *node;   /* filled */
    int64_t weight;     /* filled */
    int64_t timeout_ms; /* filled (duration) */
    int64_t cpu_milli;  /* filled (quantity) */
    int strict;         /* filled (bool) */
    const skiff_host_t *host;
    skiff_ctx_t *ctx;
} prefer_node_t;

static int prefer_node_init(const skiff_host_t *host, skiff_ctx_t *ctx, void *self,
                            skiff_error_t *err)
{
    prefer_node_t *p = self;
    p->host = host;
    p->ctx = ctx;
    if (p->weight < 0 || p->weight > 100)
        return skiff_error_set(err, SKIFF_E_INVALID, "weight %lld is outside 0..100",
                               (long long)p->weight);
    /* The same values through the getters, to show both ways agree. */
    const char *node = NULL;
    int64_t cpu = 0;
    if (host->config_string(ctx, "node", &node) < 0 || strcmp(node, p->node) != 0 ||
        host->config_int(ctx, "cpu", &cpu) < 0 || cpu != p->cpu_milli)
        return skiff_error_set(err, SKIFF_E_INTERNAL, "host config getters disagree with filled values");
    host->log(ctx, SKIFF_LOG_INFO, "prefer node %s weight %lld timeout %lldms cpu %lldm strict %d",
              p->node, (long long)p->weight, (long long)p->timeout_ms, (long long)p->cpu_milli,
              p->strict);
    return 0;
}

static int64_t prefer_node_score(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                                 const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)self; (void)st; (void)pod; (void)node;
    out->code = SKIFF_SCHED_SUCCESS;
    return 0; /* the node view arrives with the scheduler issue */
}

static const skiff_config_key_t prefer_node_keys[] = {
    { "node", SKIFF_CFG_STRING, NULL, SKIFF_CFG_REQUIRED | SKIFF_CFG_FILL,
      offsetof(prefer_node_t, node), "node to prefer" },
    { "weight", SKIFF_CFG_INT, "10", SKIFF_CFG_FILL, offsetof(prefer_node_t, weight),
      "score given to that node, 0..100" },
    { "timeout", SKIFF_CFG_DURATION, "30s", SKIFF_CFG_FILL, offsetof(prefer_node_t, timeout_ms),
      "how long a preference holds" },
    { "cpu", SKIFF_CFG_QUANTITY, "500m", SKIFF_CFG_FILL, offsetof(prefer_node_t, cpu_milli),
      "CPU a pod must request to be steered" },
    { "strict", SKIFF_CFG_BOOL, "false", SKIFF_CFG_FILL, offsetof(prefer_node_t, strict),
      "filter out other nodes instead of scoring them low" },
    SKIFF_CONFIG_END,
};

static const skiff_scheduler_ops_t prefer_node_ops = {
    .size = sizeof(skiff_scheduler_ops_t),
    .score = prefer_node_score,
};

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_SCHEDULER,
    .name = "prefer-node",
    .version = "1.0.0",
    .description = "Scores one configured node high (out-of-tree SDK example).",
    .config = prefer_node_keys,
    .instance_size = sizeof(prefer_node_t),
    .init = prefer_node_init,
    .ops = &prefer_node_ops,
};
