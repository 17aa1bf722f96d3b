/* scheduler/node-resources-fit: the pod's requests must fit in what the
 * node has left (allocatable minus requested, assumed pods included):
 * cpu, memory, ephemeral-storage, pod count and extended resources, with
 * kube-scheduler's NodeResourcesFit reasons ("Insufficient cpu", "Too many
 * pods"). Scoring strategies are the least-/most-allocated and
 * balanced-allocation plugins. */
#include <stdio.h>
#include <string.h>

#include <skiff/skiff.h>

typedef struct fit {
    const char *const *ignored;       /* ignored_resources (filled) */
    const char *const *ignored_groups; /* ignored_resource_groups (filled) */
} fit_t;

static const skiff_config_key_t fit_keys[] = {
    { "ignored_resources", SKIFF_CFG_STRLIST, "", SKIFF_CFG_FILL, offsetof(fit_t, ignored),
      "extended resources not checked (e.g. example.com/foo)" },
    { "ignored_resource_groups", SKIFF_CFG_STRLIST, "", SKIFF_CFG_FILL,
      offsetof(fit_t, ignored_groups), "prefixes before '/' whose resources are not checked" },
    SKIFF_CONFIG_END,
};

static int fit_ignored(const fit_t *f, const char *name)
{
    for (const char *const *p = f->ignored; p && *p; p++)
        if (strcmp(*p, name) == 0) return 1;
    const char *slash = strchr(name, '/');
    for (const char *const *p = f->ignored_groups; slash && p && *p; p++)
        if (strlen(*p) == (size_t)(slash - name) && strncmp(*p, name, (size_t)(slash - name)) == 0) return 1;
    return 0;
}

static int64_t scalar_of(const skiff_sched_resources_t *r, const char *name)
{
    for (size_t i = 0; i < r->n_scalar; i++)
        if (strcmp(r->scalar[i].name, name) == 0) return r->scalar[i].value;
    return 0;
}

static void add_reason(skiff_sched_status_t *out, const char *reason)
{
    size_t len = strlen(out->reason);
    snprintf(out->reason + len, sizeof out->reason - len, "%s%s", len ? "\n" : "", reason);
    out->code = SKIFF_SCHED_UNSCHEDULABLE;
}

/* Every reason the pod does not fit (the filter's slow path). */
__attribute__((noinline)) static void fit_reasons(const fit_t *f, const skiff_sched_pod_t *pod,
                                                  const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    const skiff_sched_resources_t *req = &pod->requests, *alloc = &node->allocatable,
                                  *used = &node->requested;
    out->reason[0] = '\0';
    if (used->pods + 1 > alloc->pods) add_reason(out, "Too many pods");
    if (req->milli_cpu > 0 && req->milli_cpu > alloc->milli_cpu - used->milli_cpu)
        add_reason(out, "Insufficient cpu");
    if (req->memory > 0 && req->memory > alloc->memory - used->memory)
        add_reason(out, "Insufficient memory");
    if (req->ephemeral_storage > 0 &&
        req->ephemeral_storage > alloc->ephemeral_storage - used->ephemeral_storage)
        add_reason(out, "Insufficient ephemeral-storage");
    for (size_t i = 0; i < req->n_scalar; i++) {
        const skiff_sched_scalar_t *s = &req->scalar[i];
        if (s->value <= 0 || fit_ignored(f, s->name)) continue;
        if (s->value > scalar_of(alloc, s->name) - scalar_of(used, s->name)) {
            char r[200];
            snprintf(r, sizeof r, "Insufficient %s", s->name);
            add_reason(out, r);
        }
    }
}

static void fit_filter(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                       const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)st;
    const skiff_sched_resources_t *req = &pod->requests, *alloc = &node->allocatable,
                                  *used = &node->requested;
    /* Most nodes fit: decide that with a few comparisons, build reasons
     * only for the rest (the same conditions, in fit_reasons). */
    if (!req->n_scalar && used->pods + 1 <= alloc->pods &&
        (req->milli_cpu <= 0 || req->milli_cpu <= alloc->milli_cpu - used->milli_cpu) &&
        (req->memory <= 0 || req->memory <= alloc->memory - used->memory) &&
        (req->ephemeral_storage <= 0 || req->ephemeral_storage <= alloc->ephemeral_storage - used->ephemeral_storage))
        return;
    fit_reasons(self, pod, node, out);
}

static const skiff_scheduler_ops_t fit_ops = {
    .size = sizeof(skiff_scheduler_ops_t),
    .filter = fit_filter,
};

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_SCHEDULER,
    .name = "node-resources-fit",
    .version = "0.1.0",
    .description = "Filter: the pod's requests fit in the node's free cpu, memory, storage, pods, extended resources",
    .config = fit_keys,
    .instance_size = sizeof(fit_t),
    .ops = &fit_ops,
};
