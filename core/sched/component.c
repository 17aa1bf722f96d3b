/* The `scheduler` config component (see component.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/component.h"
#include "sched/api_link.h"
#include "sched/component.h"

typedef struct sched_component {
    sched_api_link_t *link;     /* NULL when no API server runs in this process */
    skiff_sched_t *sched;
    skiff_sched_profile_conf_t *profiles;
    size_t n_profiles;
} sched_component_t;

void skiff_sched_profiles_free(skiff_sched_profile_conf_t *p, size_t n)
{
    for (size_t i = 0; p && i < n; i++) free((void *)p[i].plugins);
    free(p);
}

static int where_err(skiff_error_t *err, const char *file, const config_setting_t *s, const char *fmt, ...)
    SKIFF_PRINTF(4, 5);
static int where_err(skiff_error_t *err, const char *file, const config_setting_t *s, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return skiff_error_set(err, SKIFF_E_INVALID, "%s:%d: %s", file, s ? config_setting_source_line(s) : 0, msg);
}

static int ref_of(const skiff_cluster_t *cl, const char *instance, skiff_sched_plugin_ref_t *ref)
{
    skiff_instance_t *inst = skiff_cluster_find(cl, SKIFF_KIND_SCHEDULER, instance);
    if (!inst) return -1;
    ref->name = skiff_instance_name(inst);
    ref->self = skiff_instance_self(inst);
    ref->ops = skiff_instance_ops(inst);
    ref->weight = 1;
    return 0;
}

static int default_profile(const skiff_cluster_t *cl, int64_t pct, skiff_sched_profile_conf_t **out,
                           size_t *n_out, skiff_error_t *err)
{
    skiff_instance_t *insts[64];
    size_t n = skiff_cluster_of_kind(cl, SKIFF_KIND_SCHEDULER, insts, 64);
    if (n > 32) return skiff_error_set(err, SKIFF_E_INVALID, "scheduler: %zu scheduler instances, at most 32 in a profile", n);
    skiff_sched_profile_conf_t *p = calloc(1, sizeof *p);
    skiff_sched_plugin_ref_t *refs = calloc(n + 1, sizeof *refs);
    if (!p || !refs) { free(p); free(refs); return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory"); }
    for (size_t i = 0; i < n; i++) ref_of(cl, skiff_instance_name(insts[i]), &refs[i]);
    *p = (skiff_sched_profile_conf_t){ "default-scheduler", refs, n, (int)pct };
    *out = p;
    *n_out = 1;
    return 0;
}

int skiff_sched_profiles_parse(const skiff_cluster_t *cl, const config_setting_t *group,
                               const char *file, int64_t pct, skiff_sched_profile_conf_t **out,
                               size_t *n_out, skiff_error_t *err)
{
    *out = NULL;
    *n_out = 0;
    const config_setting_t *profs = group ? config_setting_get_member(group, "profiles") : NULL;
    if (!profs) return default_profile(cl, pct, out, n_out, err);
    if (!config_setting_is_list(profs) && !config_setting_is_array(profs))
        return where_err(err, file, profs, "scheduler.profiles must be a list: profiles = ( { name = \"default-scheduler\"; plugins = ( ... ); } );");
    int n = config_setting_length(profs);
    if (n == 0) return where_err(err, file, profs, "scheduler.profiles is empty");
    skiff_sched_profile_conf_t *p = calloc((size_t)n, sizeof *p);
    if (!p) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        const config_setting_t *e = config_setting_get_elem(profs, (unsigned)i);
        if (!config_setting_is_group(e)) { rc = where_err(err, file, e, "each profile is a group { name = ...; plugins = ( ... ); }"); break; }
        const char *name = "default-scheduler";
        const config_setting_t *ns = config_setting_get_member(e, "name");
        if (ns && !(name = config_setting_get_string(ns))) { rc = where_err(err, file, ns, "profile name must be a string"); break; }
        p[i].name = name;
        p[i].percentage_of_nodes_to_score = (int)pct;
        for (int k = 0; k < config_setting_length(e); k++) {
            const config_setting_t *m = config_setting_get_elem(e, (unsigned)k);
            const char *mn = config_setting_name(m);
            if (strcmp(mn, "name") && strcmp(mn, "plugins") && strcmp(mn, "percentage_of_nodes_to_score")) {
                rc = where_err(err, file, m, "unknown key \"%s\" in scheduler profile \"%s\" (name, plugins, percentage_of_nodes_to_score)", mn, name);
                break;
            }
        }
        if (rc) break;
        const config_setting_t *pc = config_setting_get_member(e, "percentage_of_nodes_to_score");
        if (pc) {
            if (config_setting_type(pc) != CONFIG_TYPE_INT && config_setting_type(pc) != CONFIG_TYPE_INT64) {
                rc = where_err(err, file, pc, "percentage_of_nodes_to_score in profile \"%s\" must be an integer 0..100", name);
                break;
            }
            p[i].percentage_of_nodes_to_score = config_setting_get_int(pc);
        }
        if (p[i].percentage_of_nodes_to_score < 0 || p[i].percentage_of_nodes_to_score > 100) {
            rc = where_err(err, file, pc ? pc : e, "percentage_of_nodes_to_score in profile \"%s\" must be within 0..100", name);
            break;
        }
        for (int j = 0; j < i; j++)
            if (strcmp(p[j].name, name) == 0) { rc = where_err(err, file, e, "duplicate scheduler profile \"%s\"", name); break; }
        if (rc) break;
        const config_setting_t *pl = config_setting_get_member(e, "plugins");
        if (!pl || !config_setting_is_list(pl) || config_setting_length(pl) == 0) {
            rc = where_err(err, file, pl ? pl : e, "profile \"%s\" needs plugins = ( { instance = \"...\"; weight = 1; }, ... );", name);
            break;
        }
        int np = config_setting_length(pl);
        skiff_sched_plugin_ref_t *refs = calloc((size_t)np + 1, sizeof *refs);
        if (!refs) { rc = skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory"); break; }
        p[i].plugins = refs;
        p[i].n_plugins = (size_t)np;
        for (int k = 0; k < np && rc == 0; k++) {
            const config_setting_t *pe = config_setting_get_elem(pl, (unsigned)k);
            const char *iname = NULL;
            const config_setting_t *is = config_setting_is_group(pe) ? config_setting_get_member(pe, "instance") : NULL;
            if (!is || !(iname = config_setting_get_string(is))) {
                rc = where_err(err, file, pe, "each plugin of profile \"%s\" is { instance = \"NAME\"; weight = N; } naming a plugins.scheduler instance", name);
                break;
            }
            if (ref_of(cl, iname, &refs[k]) < 0) {
                rc = where_err(err, file, is, "no scheduler instance \"%s\" in plugins.scheduler (profile \"%s\")", iname, name);
                break;
            }
            const config_setting_t *w = config_setting_get_member(pe, "weight");
            if (w) {
                long long wv = config_setting_get_int64(w);
                if ((config_setting_type(w) != CONFIG_TYPE_INT && config_setting_type(w) != CONFIG_TYPE_INT64) || wv < 1 || wv > 100) {
                    rc = where_err(err, file, w, "weight of \"%s\" in profile \"%s\" must be an integer 1..100", iname, name);
                    break;
                }
                refs[k].weight = wv;
            }
        }
    }
    if (rc) { skiff_sched_profiles_free(p, (size_t)n); return rc; }
    *out = p;
    *n_out = (size_t)n;
    return 0;
}

/* Until the API server's in-process client is wired, binding has nowhere
 * to go: say so instead of pretending. */
static int unwired_bind(void *ud, const skiff_sched_pod_t *pod, const char *node, skiff_error_t *err)
{
    (void)ud; (void)node;
    return skiff_error_set(err, SKIFF_E_UNSUPPORTED, "cannot bind %s/%s: no API client wired to the scheduler yet",
                           pod->namespace_, pod->name);
}

int skiff_sched_component_start(skiff_cluster_t *cl, const skiff_component_conf_t *conf,
                                void **state, skiff_error_t *err)
{
    *state = NULL;
    const skiff_cluster_config_t *cfg = skiff_cluster_config(cl);
    int64_t pct = 0, par = 2, ib = 1000, mb = 10000, bw = 16;
    skiff_settings_int(conf->settings, "percentage_of_nodes_to_score", &pct);
    skiff_settings_int(conf->settings, "parallelism", &par);
    skiff_settings_int(conf->settings, "pod_initial_backoff", &ib);
    skiff_settings_int(conf->settings, "pod_max_backoff", &mb);
    skiff_settings_int(conf->settings, "bind_workers", &bw);
    if (pct < 0 || pct > 100)
        return skiff_error_set(err, SKIFF_E_INVALID, "scheduler: percentage_of_nodes_to_score %lld is not within 0..100", (long long)pct);
    if (par < 1 || par > 64)
        return skiff_error_set(err, SKIFF_E_INVALID, "scheduler: parallelism %lld is not within 1..64", (long long)par);
    if (bw < 1 || bw > 16)
        return skiff_error_set(err, SKIFF_E_INVALID, "scheduler: bind_workers %lld is not within 1..16", (long long)bw);
    sched_component_t *c = calloc(1, sizeof *c);
    if (!c) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    int rc = skiff_sched_profiles_parse(cl, conf->setting, cfg ? cfg->file : "config", pct, &c->profiles,
                                        &c->n_profiles, err);
    if (rc < 0) { free(c); return rc; }
    skiff_sched_options_t o = { .profiles = c->profiles, .n_profiles = c->n_profiles,
                                .parallelism = (int)par, .bind_workers = (int)bw,
                                .backoff_initial_ms = ib, .backoff_max_ms = mb };
    skiff_sched_sink_t sink = { NULL, unwired_bind, NULL, NULL };
    skiff_api_server_t *srv = skiff_api_component_server();
    if (srv && (rc = sched_api_link_new(srv, &c->link, &sink, err)) < 0) {
        skiff_sched_component_stop(c);
        return rc;
    }
    if ((rc = skiff_sched_new(&o, &sink, &c->sched, err)) < 0 ||
        (rc = skiff_sched_start(c->sched, err)) < 0 ||
        (c->link && (rc = sched_api_link_start(c->link, c->sched, err)) < 0)) {
        skiff_sched_component_stop(c);
        return rc;
    }
    *state = c;
    return 0;
}

void skiff_sched_component_stop(void *state)
{
    sched_component_t *c = state;
    if (!c) return;
    sched_api_link_stop(c->link);   /* no more feeding */
    skiff_sched_free(c->sched);     /* no more binding */
    sched_api_link_free(c->link);
    skiff_sched_profiles_free(c->profiles, c->n_profiles);
    free(c);
}

void skiff_sched_component_events(void *state, int flush, uint64_t *written, uint64_t *dropped)
{
    sched_component_t *c = state;
    *written = *dropped = 0;
    if (c && c->link) sched_api_link_events(c->link, flush, written, dropped);
}

uint64_t skiff_sched_component_echoes_skipped(void *state)
{
    sched_component_t *c = state;
    return c && c->link ? sched_api_link_echoes_skipped(c->link) : 0;
}

skiff_sched_t *skiff_sched_component_scheduler(void *state)
{
    return state ? ((sched_component_t *)state)->sched : NULL;
}
