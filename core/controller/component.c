/* core/controller/component — see component.h. */
#include <errno.h>
#include <stdlib.h>

#include "api/component.h"
#include "controller/component.h"
#include "controller/controller.h"

typedef struct ctrl_component {
    skiff_api_client_t *client;
    skiff_ctrl_mgr_t *mgr;
} ctrl_component_t;

int skiff_ctrl_component_start(skiff_cluster_t *cl, const skiff_component_conf_t *conf,
                               void **state, skiff_error_t *err)
{
    (void)cl;
    const char *server = NULL;
    const char *const *enable = NULL;
    int64_t workers = 2, resync = 600000, grace = 50000;
    skiff_settings_int(conf->settings, "node_monitor_grace_period", &grace);
    skiff_settings_string(conf->settings, "server", &server);
    skiff_settings_strlist(conf->settings, "enable", &enable);
    skiff_settings_int(conf->settings, "workers", &workers);
    skiff_settings_int(conf->settings, "resync", &resync);
    if (workers < 1 || workers > 64)
        return skiff_error_set(err, SKIFF_E_INVALID, "controllers: workers must be 1..64, got %lld", (long long)workers);
    ctrl_component_t *st = calloc(1, sizeof *st);
    if (!st) return skiff_error_set(err, -ENOMEM, "controllers: out of memory");
    int rc;
    if (server && *server) {
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
    };
    if (rc == 0) rc = skiff_ctrl_mgr_new(&mc, &st->mgr, err);
    if (rc < 0) { skiff_ctrl_component_stop(st); return rc; }
    *state = st;
    return 0;
}

void skiff_ctrl_component_stop(void *state)
{
    ctrl_component_t *st = state;
    if (!st) return;
    skiff_ctrl_mgr_free(st->mgr);
    skiff_api_client_free(st->client);
    free(st);
}
