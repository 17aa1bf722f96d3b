/* plugins/admission/common — test fixture for admission plugin tests (only
 * *_test.c include it; they link libskiffcore): an in-process API server
 * over the memory store plugin whose admission chain is the plugin under
 * test, reachable by the plugin through the host's api_* slots. Requests go
 * through the same client kubectl's requests end up in, so a test sees the
 * Status a user would. */
#ifndef SKIFF_ADM_TESTENV_H
#define SKIFF_ADM_TESTENV_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "admission/chain.h"
#include "api/admission.h"
#include "api/client.h"
#include "plugin/host_api.h"
#include "plugin/plugin.h"

typedef struct adm_env {
    skiff_registry_t *reg;
    skiff_instance_t *store, *plugin;
    skiff_api_server_t *srv;
    skiff_api_client_t *cl;
    skiff_adm_chain_t *chain;
} adm_env_t;

static inline void adm_env_up(adm_env_t *e, const skiff_plugin_t *desc, const char *const *settings)
{
    memset(e, 0, sizeof *e);
    skiff_error_t err;
    char path[1024];
    const char *dir = getenv("SKIFF_PLUGINS");
    snprintf(path, sizeof path, "%s/store/memory.so", dir && *dir ? dir : "build/plugins");
    assert_int_equal(skiff_registry_new(&e->reg, &err), 0);
    if (skiff_registry_load_file(e->reg, path, &err) < 0) fail_msg("%s", err.msg);
    const skiff_plugin_t *d = skiff_registry_find(e->reg, SKIFF_KIND_STORE, "memory");
    assert_int_equal(skiff_instance_new(d, "mem", NULL, NULL, &e->store, &err), 0);
    assert_int_equal(skiff_instance_start(e->store, &err), 0);
    skiff_api_config_t cfg = { .listen = NULL };
    if (skiff_api_server_new(&cfg, skiff_instance_ops(e->store), skiff_instance_self(e->store), &e->srv, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(skiff_api_client_local(e->srv, &e->cl, &err), 0);
    skiff_host_set_api_client(e->cl);
    if (skiff_instance_new(desc, "t", settings, NULL, &e->plugin, &err) < 0) fail_msg("%s", err.msg);
    assert_int_equal(skiff_adm_chain_new(&e->plugin, 1, &e->chain, &err), 0);
    skiff_api_server_set_admission(e->srv, e->chain);
    assert_int_equal(skiff_api_client_create(e->cl, "/api/v1/namespaces", "{\"metadata\":{\"name\":\"default\"}}", NULL, &err), 0);
}

static inline void adm_env_down(adm_env_t *e)
{
    skiff_host_set_api_client(NULL);
    skiff_api_server_free(e->srv);
    skiff_api_client_free(e->cl);
    skiff_adm_chain_free(e->chain);
    skiff_instance_free(e->plugin);
    skiff_instance_free(e->store);
    skiff_registry_free(e->reg);
}

/* One call: returns the HTTP code; the Status message (or "") goes to msg,
 * the body to *body when body is not NULL (caller frees). */
static inline int adm_env_call(adm_env_t *e, const char *method, const char *path, const char *query,
                               const char *json, char *msg, size_t msglen, char **body)
{
    skiff_api_result_t r = { 0 };
    skiff_error_t err;
    skiff_error_clear(&err);
    skiff_api_client_do(e->cl, method, path, query, json ? "application/json" : NULL, json,
                        json ? strlen(json) : 0, &r, &err);
    if (msg) {
        cJSON *st = r.body ? cJSON_Parse(r.body) : NULL;
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(st, "message");
        snprintf(msg, msglen, "%s", cJSON_IsString(m) && r.code >= 300 ? m->valuestring : "");
        cJSON_Delete(st);
    }
    if (body) { *body = r.body; r.body = NULL; }
    skiff_api_result_free(&r);
    return r.code;
}

#endif
