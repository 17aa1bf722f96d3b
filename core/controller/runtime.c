/* core/controller/runtime — the manager: one shared informer per resource
 * any enabled controller watches, one work queue per controller, and the
 * glue from informer events to controller keys. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controller/controller.h"
#include "log/log.h"

struct skiff_ctrl {
    skiff_ctrl_mgr_t *m;
    const skiff_controller_t *desc;
    skiff_workqueue_t *q;
    void *state;
};

#define MAX_INFORMERS 16

struct skiff_ctrl_mgr {
    skiff_ctrl_mgr_config_t cfg;
    skiff_api_client_t *client;
    skiff_informer_t *inf[MAX_INFORMERS];
    const char *inf_name[MAX_INFORMERS];
    size_t ninf;
    skiff_ctrl_t *ctl;
    size_t nctl;
};

void skiff_ctrl_enqueue(skiff_ctrl_t *c, const char *key) { if (c->q) skiff_workqueue_add(c->q, key); }
void skiff_ctrl_enqueue_after(skiff_ctrl_t *c, const char *key, int64_t d) { if (c->q) skiff_workqueue_add_after(c->q, key, d); }
skiff_api_client_t *skiff_ctrl_client(skiff_ctrl_t *c) { return c->m->client; }
const skiff_ctrl_mgr_config_t *skiff_ctrl_config(skiff_ctrl_t *c) { return &c->m->cfg; }
void **skiff_ctrl_state(skiff_ctrl_t *c) { return &c->state; }

skiff_informer_t *skiff_ctrl_informer(skiff_ctrl_t *c, const char *resource)
{
    for (size_t i = 0; i < c->m->ninf; i++)
        if (!strcmp(c->m->inf_name[i], resource)) return c->m->inf[i];
    return NULL;
}

static void on_informer_event(void *ud, const char *resource, skiff_ev_t ev, const cJSON *obj, const cJSON *old)
{
    skiff_ctrl_t *c = ud;
    c->desc->on_event(c, resource, ev, obj, old);
}

/* A controller syncs only once every informer it reads has listed: a
 * ReplicaSet synced against an empty pod cache would create too many pods. */
static int run_sync(void *ud, const char *key, skiff_error_t *err)
{
    skiff_ctrl_t *c = ud;
    for (const char *const *w = c->desc->watches; *w; w++) {
        skiff_informer_t *inf = skiff_ctrl_informer(c, *w);
        if (inf && !skiff_informer_synced(inf))
            return skiff_error_set(err, SKIFF_E_CONFLICT, "waiting for the %s informer to sync", *w);
    }
    return c->desc->sync(c, key, err);
}

static int enabled(const skiff_ctrl_mgr_config_t *cfg, const char *name)
{
    if (!cfg->enable) return 1;
    for (const char *const *e = cfg->enable; *e; e++)
        if (!strcmp(*e, name)) return 1;
    return 0;
}

int skiff_ctrl_mgr_new(const skiff_ctrl_mgr_config_t *cfg, skiff_ctrl_mgr_t **out, skiff_error_t *err)
{
    size_t nall = cfg->ncontrollers;
    const skiff_controller_t *const *all = cfg->controllers;
    if (!all) all = skiff_controllers_builtin(&nall);
    if (cfg->enable)
        for (const char *const *e = cfg->enable; *e; e++) {
            size_t i;
            for (i = 0; i < nall && strcmp(all[i]->name, *e); i++) {}
            if (i == nall) return skiff_error_set(err, SKIFF_E_INVALID, "controllers: unknown controller \"%s\" in enable", *e);
        }
    skiff_ctrl_mgr_t *m = calloc(1, sizeof *m);
    if (!m || !(m->ctl = calloc(nall ? nall : 1, sizeof *m->ctl))) {
        free(m);
        return skiff_error_set(err, -ENOMEM, "controllers: out of memory");
    }
    m->cfg = *cfg;
    m->cfg.enable = NULL; /* borrowed only during the call */
    if (m->cfg.node_grace_ms <= 0) m->cfg.node_grace_ms = 50000;
    if (m->cfg.stale_pod_disruption_ms <= 0) m->cfg.stale_pod_disruption_ms = 120000;
    m->client = cfg->client;
    int64_t resync = cfg->resync_ms == 0 ? 600000 : cfg->resync_ms < 0 ? 0 : cfg->resync_ms;
    int rc = 0;
    for (size_t i = 0; i < nall && rc == 0; i++) {
        if (!enabled(cfg, all[i]->name)) continue;
        skiff_ctrl_t *c = &m->ctl[m->nctl++];
        c->m = m;
        c->desc = all[i];
        if (all[i]->init) rc = all[i]->init(c, err);
        for (const char *const *w = all[i]->watches; *w && rc == 0; w++) {
            skiff_informer_t *inf = skiff_ctrl_informer(c, *w);
            if (!inf) {
                if (m->ninf == MAX_INFORMERS) { rc = skiff_error_set(err, SKIFF_E_NOSPACE, "controllers: too many resources"); break; }
                rc = skiff_informer_new(m->client, *w, resync, &inf, err);
                if (rc < 0) break;
                m->inf_name[m->ninf] = *w;
                m->inf[m->ninf++] = inf;
            }
            rc = skiff_informer_add_handler(inf, on_informer_event, c);
            if (rc < 0) skiff_error_set(err, rc, "controllers: too many handlers on %s", *w);
        }
    }
    int workers = cfg->workers > 0 ? cfg->workers : 2;
    for (size_t i = 0; i < m->nctl && rc == 0; i++)
        rc = skiff_workqueue_new(m->ctl[i].desc->name, workers, run_sync, &m->ctl[i], &m->ctl[i].q, err);
    for (size_t i = 0; i < m->ninf && rc == 0; i++) rc = skiff_informer_start(m->inf[i], err);
    if (rc < 0) { skiff_ctrl_mgr_free(m); return rc; }
    char names[256] = "";
    for (size_t i = 0; i < m->nctl; i++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", m->ctl[i].desc->name);
    skiff_log(SKIFF_LOG_INFO, "controllers", "running %zu controller(s): %s (%d workers each)", m->nctl, names, workers);
    *out = m;
    return 0;
}

void skiff_ctrl_mgr_free(skiff_ctrl_mgr_t *m)
{
    if (!m) return;
    /* Stop every informer (no more events), then the queues (no more syncs),
     * and only then free the caches: an event handler or a sync reads other
     * informers' caches (gc lists dependents), so freeing one informer while
     * another's watch thread still ran was a use-after-free at shutdown. */
    for (size_t i = 0; i < m->ninf; i++) skiff_informer_stop(m->inf[i]);
    for (size_t i = 0; i < m->nctl; i++) skiff_workqueue_free(m->ctl[i].q);
    for (size_t i = 0; i < m->ninf; i++) skiff_informer_free(m->inf[i]);
    for (size_t i = 0; i < m->nctl; i++)
        if (m->ctl[i].desc->fini) m->ctl[i].desc->fini(m->ctl[i].state);
    free(m->ctl);
    free(m);
}

void skiff_ctrl_event(skiff_ctrl_t *c, const cJSON *obj, const char *type, const char *reason, const char *fmt, ...)
{
    char msg[512], ts[40], suffix[17], path[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    skiff_now_rfc3339(ts, sizeof ts);
    skiff_rand_suffix(suffix, 10);
    const char *ns = skiff_obj_str(obj, "metadata.namespace");
    const char *name = skiff_obj_str(obj, "metadata.name");
    const char *kind = skiff_obj_str(obj, "kind");
    if (!ns || !*ns) ns = "default";
    cJSON *ev = cJSON_CreateObject();
    if (!ev) return;
    cJSON *md = cJSON_AddObjectToObject(ev, "metadata");
    char evname[300];
    snprintf(evname, sizeof evname, "%s.%s", name ? name : "x", suffix);
    cJSON_AddStringToObject(md, "name", evname);
    cJSON_AddStringToObject(md, "namespace", ns);
    cJSON *io = cJSON_AddObjectToObject(ev, "involvedObject");
    if (kind) cJSON_AddStringToObject(io, "kind", kind);
    const char *av = skiff_obj_str(obj, "apiVersion");
    if (av) cJSON_AddStringToObject(io, "apiVersion", av);
    cJSON_AddStringToObject(io, "namespace", ns);
    if (name) cJSON_AddStringToObject(io, "name", name);
    const char *uid = skiff_obj_str(obj, "metadata.uid");
    if (uid) cJSON_AddStringToObject(io, "uid", uid);
    cJSON_AddStringToObject(ev, "reason", reason);
    cJSON_AddStringToObject(ev, "message", msg);
    cJSON_AddStringToObject(ev, "type", type);
    char comp[96];
    snprintf(comp, sizeof comp, "%s-controller", c->desc->name);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(ev, "source"), "component", comp);
    cJSON_AddStringToObject(ev, "firstTimestamp", ts);
    cJSON_AddStringToObject(ev, "lastTimestamp", ts);
    cJSON_AddNumberToObject(ev, "count", 1);
    char *body = cJSON_PrintUnformatted(ev);
    cJSON_Delete(ev);
    if (!body) return;
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/events", ns);
    skiff_error_t err;
    skiff_error_clear(&err);
    if (skiff_api_client_create(c->m->client, path, body, NULL, &err) < 0)
        skiff_log(SKIFF_LOG_DEBUG, "controllers", "event %s on %s: %s", reason, name ? name : "?", err.msg);
    free(body);
}
