/* scheduler/default-binder: binds through the host's default binding (the
 * pod's binding subresource through the API), as kube-scheduler's
 * DefaultBinder. */
#include <stdio.h>

#include <skiff/skiff.h>

static void binder_bind(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                        const char *node, skiff_sched_status_t *out)
{
    (void)self;
    const skiff_sched_handle_t *h = st->handle;
    if (!h || h->size < offsetof(skiff_sched_handle_t, bind) + sizeof h->bind || !h->bind) {
        skiff_sched_status_set(out, SKIFF_SCHED_ERROR, "the host offers no default binding");
        return;
    }
    skiff_error_t err = { 0, "" };
    if (h->bind(h, pod, node, &err) < 0) {
        out->code = SKIFF_SCHED_ERROR;
        snprintf(out->reason, sizeof out->reason, "binding rejected: %.200s", err.msg);
    }
}

static const skiff_scheduler_ops_t binder_ops = {
    .size = sizeof(skiff_scheduler_ops_t),
    .bind = binder_bind,
};

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_SCHEDULER,
    .name = "default-binder",
    .version = "0.1.0",
    .description = "Bind: the pod's binding subresource through the API",
    .ops = &binder_ops,
};
