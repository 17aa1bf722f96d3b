/* Assembling a cluster from a checked config: instances in config order,
 * then components; teardown in reverse. See config.h. */
#include "config/config.h"

#include <stdlib.h>
#include <string.h>

#include "log/log.h"

struct skiff_cluster {
    const skiff_cluster_config_t *cfg;
    skiff_bus_t *bus;
    skiff_instance_t **inst;
    size_t n;
    void **comp_state;      /* one per component, NULL when not started */
    int *comp_started;
};

int skiff_cluster_assemble(const skiff_cluster_config_t *cfg, skiff_bus_t *bus,
                           skiff_cluster_t **out, skiff_error_t *err)
{
    *out = NULL;
    skiff_cluster_t *cl = calloc(1, sizeof *cl);
    if (!cl) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    cl->cfg = cfg;
    cl->bus = bus;
    cl->inst = calloc(cfg->n_plugins ? cfg->n_plugins : 1, sizeof *cl->inst);
    cl->comp_state = calloc(cfg->n_components ? cfg->n_components : 1, sizeof *cl->comp_state);
    cl->comp_started = calloc(cfg->n_components ? cfg->n_components : 1,
                              sizeof *cl->comp_started);
    int rc;
    if (!cl->inst || !cl->comp_state || !cl->comp_started) {
        rc = skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        const skiff_plugin_conf_t *pc = &cfg->plugins[i];
        rc = skiff_instance_new_raw(pc->desc, pc->instance, pc->raw, pc->n_raw, bus, NULL, NULL,
                                    &cl->inst[cl->n], err);
        if (rc < 0) goto fail;
        cl->n++;
        skiff_log(SKIFF_LOG_DEBUG, NULL, "created %s/%s instance \"%s\"",
                  skiff_kind_name(pc->kind), pc->plugin, pc->instance);
    }
    for (size_t i = 0; i < cl->n; i++) {
        rc = skiff_instance_start(cl->inst[i], err);
        if (rc < 0) goto fail;
    }
    for (size_t c = 0; c < cfg->n_components; c++) {
        const skiff_component_conf_t *cc = &cfg->components[c];
        if (!cc->enabled) continue;
        if (!cc->component->start) {
            skiff_log(SKIFF_LOG_WARN, NULL,
                      "component %s is enabled but this build cannot run it yet",
                      cc->component->name);
            continue;
        }
        skiff_error_t cerr;
        skiff_error_clear(&cerr);
        rc = cc->component->start(cl, cc, &cl->comp_state[c], &cerr);
        if (rc < 0) {
            skiff_error_set(err, rc, "component %s failed to start: %s", cc->component->name,
                            cerr.msg[0] ? cerr.msg : "(no message given)");
            goto fail;
        }
        cl->comp_started[c] = 1;
    }
    *out = cl;
    return 0;
fail:
    skiff_cluster_free(cl);
    return rc;
}

void skiff_cluster_free(skiff_cluster_t *cl)
{
    if (!cl) return;
    for (size_t c = cl->cfg->n_components; cl->comp_started && c-- > 0;) {
        if (cl->comp_started[c] && cl->cfg->components[c].component->stop)
            cl->cfg->components[c].component->stop(cl->comp_state[c]);
    }
    /* Stop everything before finalising anything: a running instance may
     * still call into one that was created before it. */
    for (size_t i = cl->n; i-- > 0;) skiff_instance_stop(cl->inst[i]);
    for (size_t i = cl->n; i-- > 0;) skiff_instance_free(cl->inst[i]);
    free(cl->inst);
    free(cl->comp_state);
    free(cl->comp_started);
    free(cl);
}

const skiff_cluster_config_t *skiff_cluster_config(const skiff_cluster_t *cl) { return cl->cfg; }
skiff_bus_t *skiff_cluster_bus(const skiff_cluster_t *cl) { return cl->bus; }
size_t skiff_cluster_count(const skiff_cluster_t *cl) { return cl ? cl->n : 0; }

skiff_instance_t *skiff_cluster_at(const skiff_cluster_t *cl, size_t i)
{
    return cl && i < cl->n ? cl->inst[i] : NULL;
}

skiff_instance_t *skiff_cluster_find(const skiff_cluster_t *cl, skiff_kind_t kind,
                                     const char *instance)
{
    for (size_t i = 0; cl && i < cl->n; i++) {
        if (skiff_instance_desc(cl->inst[i])->kind == (uint32_t)kind &&
            strcmp(skiff_instance_name(cl->inst[i]), instance) == 0)
            return cl->inst[i];
    }
    return NULL;
}

size_t skiff_cluster_of_kind(const skiff_cluster_t *cl, skiff_kind_t kind,
                             skiff_instance_t **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; cl && i < cl->n; i++) {
        if (skiff_instance_desc(cl->inst[i])->kind != (uint32_t)kind) continue;
        if (n < max) out[n] = cl->inst[i];
        n++;
    }
    return n;
}
