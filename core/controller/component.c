/* core/controller/component — see component.h. */
#include <errno.h>
#include <stdlib.h>

#include "api/component.h"
#include "controller/cidralloc.h"
#include "controller/component.h"
#include "controller/controller.h"
#include "controller/leader.h"
#include "log/log.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct ctrl_component {
    skiff_api_client_t *client;
    skiff_ctrl_mgr_t *mgr;
    skiff_ctrl_mgr_config_t mc;
    const char *const *enable;
    skiff_leader_t *leader;
} ctrl_component_t;

/* Leading: run the controllers; no longer leading: stop them. */
static void lead_start(void *ud)
{
    ctrl_component_t *st = ud;
    skiff_error_t err;
    skiff_error_clear(&err);
    st->mc.enable = st->enable;
    if (skiff_ctrl_mgr_new(&st->mc, &st->mgr, &err) < 0)
        skiff_log(SKIFF_LOG_ERROR, "controllers", "cannot start the controllers: %s", err.msg);
}

static void lead_stop(void *ud)
{
    ctrl_component_t *st = ud;
    skiff_ctrl_mgr_free(st->mgr);
    st->mgr = NULL;
}

int skiff_ctrl_component_start(skiff_cluster_t *cl, const skiff_component_conf_t *conf,
                               void **state, skiff_error_t *err)
{
    (void)cl;
    const char *server = NULL, *kubeconfig = NULL;
    const char *const *enable = NULL;
    int64_t workers = 2, resync = 600000, grace = 50000, mask = 24, stale = 120000;
    const char *cluster_cidr = NULL;
    skiff_settings_int(conf->settings, "node_monitor_grace_period", &grace);
    skiff_settings_int(conf->settings, "stale_pod_disruption_timeout", &stale);
    skiff_settings_string(conf->settings, "cluster_cidr", &cluster_cidr);
    skiff_settings_int(conf->settings, "node_cidr_mask_size", &mask);
    if (stale <= 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "controllers: stale_pod_disruption_timeout must be more than 0, got %lldms", (long long)stale);
    if (mask < 1 || mask > 30)
        return skiff_error_set(err, SKIFF_E_INVALID, "controllers: node_cidr_mask_size must be 1..30, got %lld", (long long)mask);
    if (cluster_cidr && *cluster_cidr) {
        /* refuse a bad range at start, not at the first election */
        skiff_cidr_alloc_t *probe = NULL;
        skiff_error_t e;
        skiff_error_clear(&e);
        if (skiff_cidr_alloc_new(cluster_cidr, (int)mask, &probe, &e) < 0)
            return skiff_error_set(err, SKIFF_E_INVALID, "controllers.cluster_cidr / node_cidr_mask_size: %s", e.msg);
        skiff_cidr_alloc_free(probe);
    }
    skiff_settings_string(conf->settings, "server", &server);
    skiff_settings_string(conf->settings, "kubeconfig", &kubeconfig);
    skiff_settings_strlist(conf->settings, "enable", &enable);
    skiff_settings_int(conf->settings, "workers", &workers);
    skiff_settings_int(conf->settings, "resync", &resync);
    if (workers < 1 || workers > 64)
        return skiff_error_set(err, SKIFF_E_INVALID, "controllers: workers must be 1..64, got %lld", (long long)workers);
    ctrl_component_t *st = calloc(1, sizeof *st);
    if (!st) return skiff_error_set(err, -ENOMEM, "controllers: out of memory");
    int rc;
    if (kubeconfig && *kubeconfig) {
        /* server, CA and token as kube-controller-manager --kubeconfig */
        rc = skiff_api_client_from_kubeconfig(kubeconfig, &st->client, err);
    } else if (server && *server) {
        rc = skiff_api_client_http(server, &st->client, err);
    } else {
        skiff_api_server_t *s = skiff_api_component_server();
        rc = s ? skiff_api_client_local(s, &st->client, err)
               : skiff_error_set(err, SKIFF_E_INVALID,
                                 "controllers: no API server in this process; enable apiserver or set controllers.server = \"http://HOST:PORT\"");
    }
    skiff_ctrl_mgr_config_t mc = {
        .client = st->client,
        .enable = enable && *enable ? enable : NULL,
        .workers = (int)workers,
        .resync_ms = resync > 0 ? resync : -1,
        .node_grace_ms = grace,
        .cluster_cidr = cluster_cidr,
        .node_cidr_mask_size = (int)mask,
        .stale_pod_disruption_ms = stale,
    };
    int elect = 0;
    skiff_settings_bool(conf->settings, "leader_elect", &elect);
    if (rc == 0 && !elect) rc = skiff_ctrl_mgr_new(&mc, &st->mgr, err);
    if (rc == 0 && elect) {
        /* check the names now: a typo must fail start, not the first election */
        skiff_ctrl_mgr_config_t probe = mc;
        probe.client = NULL;
        size_t n;
        const skiff_controller_t *const *all = skiff_controllers_builtin(&n);
        for (const char *const *e = probe.enable; e && *e && rc == 0; e++) {
            size_t i;
            for (i = 0; i < n && strcmp(all[i]->name, *e); i++) {}
            if (i == n) rc = skiff_error_set(err, SKIFF_E_INVALID, "controllers: unknown controller \"%s\" in enable", *e);
        }
        int64_t dur = 15000, renew = 10000, retry = 2000;
        const char *identity = NULL;
        skiff_settings_int(conf->settings, "lease_duration", &dur);
        skiff_settings_int(conf->settings, "renew_deadline", &renew);
        skiff_settings_int(conf->settings, "retry_period", &retry);
        skiff_settings_string(conf->settings, "identity", &identity);
        char id[160], host[100] = "skiff";
        gethostname(host, sizeof host - 1);
        if (identity && *identity) snprintf(id, sizeof id, "%s", identity);
        else snprintf(id, sizeof id, "%s_%d", host, (int)getpid());
        st->mc = mc;
        st->enable = mc.enable;
        skiff_leader_config_t lc = { .client = st->client, .identity = id, .lease_duration_ms = dur, .renew_deadline_ms = renew,
                                     .retry_period_ms = retry, .on_start = lead_start, .on_stop = lead_stop, .ud = st };
        if (rc == 0) rc = skiff_leader_start(&lc, &st->leader, err);
    }
    if (rc < 0) { skiff_ctrl_component_stop(st); return rc; }
    *state = st;
    return 0;
}

void skiff_ctrl_component_stop(void *state)
{
    ctrl_component_t *st = state;
    if (!st) return;
    skiff_leader_stop(st->leader);  /* runs lead_stop when leading */
    skiff_ctrl_mgr_free(st->mgr);
    skiff_api_client_free(st->client);
    free(st);
}
