/* zone-pin: a custom scheduler plugin built outside the skiff tree (only
 * sdk/include on the include path). A pod labelled `<pod_label>=Z` fits only
 * nodes whose `<node_label>` is Z; among those, nodes running fewer pods
 * score higher. Load it into its own scheduler profile and pick that profile
 * with spec.schedulerName (docs/scheduler-tutorial.md). */
#include <stdio.h>
#include <string.h>

#include <skiff/skiff.h>

typedef struct zone_pin {
    const char *pod_label;  /* filled from the config */
    const char *node_label; /* filled from the config */
} zone_pin_t;

static void zone_pin_filter(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                            const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)st;
    const zone_pin_t *z = self;
    const char *want = skiff_sched_label(pod->labels, pod->n_labels, z->pod_label);
    if (!want) return; /* an unpinned pod fits anywhere */
    const char *have = skiff_sched_label(node->labels, node->n_labels, z->node_label);
    if (!have || strcmp(have, want) != 0) {
        char reason[200];
        snprintf(reason, sizeof reason, "node(s) not in %s %s", z->node_label, want);
        /* no cluster event short of relabelling a node changes this */
        skiff_sched_status_set(out, SKIFF_SCHED_UNSCHEDULABLE, reason);
    }
}

static int64_t zone_pin_score(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                              const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)self; (void)st; (void)pod;
    out->code = SKIFF_SCHED_SUCCESS;
    /* spread pinned pods over the zone's nodes: fewer pods, higher score */
    int64_t n = (int64_t)node->n_pods;
    return n >= SKIFF_SCHED_MAX_SCORE ? 0 : SKIFF_SCHED_MAX_SCORE - n;
}

static const skiff_config_key_t zone_pin_keys[] = {
    { "pod_label", SKIFF_CFG_STRING, "zone", SKIFF_CFG_FILL, offsetof(zone_pin_t, pod_label),
      "pod label naming the zone a pod must run in" },
    { "node_label", SKIFF_CFG_STRING, "topology.kubernetes.io/zone", SKIFF_CFG_FILL,
      offsetof(zone_pin_t, node_label), "node label holding a node's zone" },
    SKIFF_CONFIG_END,
};

static const skiff_scheduler_ops_t zone_pin_ops = {
    .size = sizeof(skiff_scheduler_ops_t),
    .filter = zone_pin_filter,
    .score = zone_pin_score,
};

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_SCHEDULER,
    .name = "zone-pin",
    .version = "1.0.0",
    .description = "Filter+Score: pods labelled zone=Z run only on nodes of zone Z (SDK example)",
    .config = zone_pin_keys,
    .instance_size = sizeof(zone_pin_t),
    .ops = &zone_pin_ops,
};
