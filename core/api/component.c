/* core/api/component — see component.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/admission.h"
#include "api/component.h"
#include "api/priority.h"
#include "plugin/host_api.h"
#include "log/log.h"

static const char *listen_override, *data_dir_override;
static skiff_api_server_t *current;

/* What the component owns besides the server: the admission chain and the
 * in-process client plugins reach through the host table. */
typedef struct apisrv_component {
    skiff_api_server_t *s;
    skiff_adm_chain_t *chain;
    skiff_api_client_t *client;
} apisrv_component_t;

void skiff_api_component_set_listen(const char *listen) { listen_override = listen; }
void skiff_api_component_set_data_dir(const char *dir) { data_dir_override = dir; }
skiff_api_server_t *skiff_api_component_server(void) { return current; }

char *skiff_api_kubeconfig(const char *server)
{
    char *out = NULL;
    if (asprintf(&out,
                 "apiVersion: v1\n"
                 "kind: Config\n"
                 "clusters:\n"
                 "- name: skiff\n"
                 "  cluster:\n"
                 "    server: %s\n"
                 "users:\n"
                 "- name: skiff\n"
                 "  user: {}\n"
                 "contexts:\n"
                 "- name: skiff\n"
                 "  context:\n"
                 "    cluster: skiff\n"
                 "    user: skiff\n"
                 "    namespace: default\n"
                 "current-context: skiff\n",
                 server) < 0)
        return NULL;
    return out;
}

/* The namespaces and the `kubernetes` Service every cluster starts with,
 * created through the server itself (so defaults and allocation apply);
 * AlreadyExists after a restart is fine. */
static void bootstrap(skiff_api_server_t *s)
{
    static const char *const ns[] = { "default", "kube-system", "kube-public", "kube-node-lease" };
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        char body[256];
        snprintf(body, sizeof body, "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}", ns[i]);
        skiff_api_request_t rq = { .method = "POST", .path = "/api/v1/namespaces", .body = body, .body_len = strlen(body) };
        skiff_api_response_t rs;
        skiff_api_server_handle(s, &rq, &rs);
        if (rs.code != 201 && rs.code != 409)
            skiff_log(SKIFF_LOG_WARN, "apiserver", "could not create namespace %s: %.*s", ns[i], (int)rs.body_len, rs.body ? rs.body : "");
        skiff_api_response_free(&rs);
    }
    /* The built-in PriorityClasses kube-apiserver creates at start. */
    char *pc;
    for (size_t i = 0; (pc = apisrv_priority_builtin_json(i)); i++) {
        skiff_api_request_t rq = { .method = "POST", .path = "/apis/scheduling.k8s.io/v1/priorityclasses", .body = pc, .body_len = strlen(pc) };
        skiff_api_response_t rs;
        skiff_api_server_handle(s, &rq, &rs);
        if (rs.code != 201 && rs.code != 409)
            skiff_log(SKIFF_LOG_WARN, "apiserver", "could not create PriorityClass: %.*s", (int)rs.body_len, rs.body ? rs.body : "");
        skiff_api_response_free(&rs);
        free(pc);
    }
    static const char svc[] = "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"kubernetes\","
                              "\"labels\":{\"component\":\"apiserver\",\"provider\":\"kubernetes\"}},"
                              "\"spec\":{\"ports\":[{\"name\":\"https\",\"port\":443,\"targetPort\":6443}]}}";
    skiff_api_request_t rq = { .method = "POST", .path = "/api/v1/namespaces/default/services", .body = svc, .body_len = strlen(svc) };
    skiff_api_response_t rs;
    skiff_api_server_handle(s, &rq, &rs);
    skiff_api_response_free(&rs);
}

int skiff_api_component_start(skiff_cluster_t *cl, const skiff_component_conf_t *conf,
                              void **state, skiff_error_t *err)
{
    skiff_instance_t *store = NULL;
    if (skiff_cluster_of_kind(cl, SKIFF_KIND_STORE, &store, 1) == 0)
        return skiff_error_set(err, SKIFF_E_INVALID,
                               "the API server needs a store: add plugins = { store = ( { plugin = \"lmdb\"; settings = { path = \"...\"; }; } ); }");
    skiff_api_config_t cfg = { 0 };
    const char *data_dir = NULL;
    skiff_settings_string(conf->settings, "listen", &cfg.listen);
    skiff_settings_string(conf->settings, "service_cidr", &cfg.service_cidr);
    skiff_settings_string(conf->settings, "node_port_range", &cfg.node_port_range);
    skiff_settings_string(conf->settings, "data_dir", &data_dir);
    int64_t ttl = 0;
    if (skiff_settings_int(conf->settings, "event_ttl", &ttl) == 0) cfg.event_ttl_ms = ttl > 0 ? ttl : -1;
    cfg.bus = skiff_cluster_bus(cl);
    if (listen_override) cfg.listen = listen_override;
    if (data_dir_override) data_dir = data_dir_override;
    skiff_api_server_t *s;
    int rc = skiff_api_server_new(&cfg, skiff_instance_ops(store), skiff_instance_self(store), &s, err);
    if (rc < 0) return rc;
    apisrv_component_t *st = calloc(1, sizeof *st);
    if (!st) { skiff_api_server_free(s); return skiff_error_set(err, -ENOMEM, "apiserver: out of memory"); }
    st->s = s;
    /* the admission chain: the cluster's admission instances in config order */
    size_t nadm = skiff_cluster_of_kind(cl, SKIFF_KIND_ADMISSION, NULL, 0);
    skiff_instance_t **adm = nadm ? calloc(nadm, sizeof *adm) : NULL;
    if (nadm && !adm) rc = skiff_error_set(err, -ENOMEM, "apiserver: out of memory");
    if (rc == 0) skiff_cluster_of_kind(cl, SKIFF_KIND_ADMISSION, adm, nadm);
    if (rc == 0) rc = skiff_adm_chain_new(adm, nadm, &st->chain, err);
    free(adm);
    if (rc == 0) rc = skiff_api_client_local(s, &st->client, err);
    if (rc < 0) { skiff_api_component_stop(st); return rc; }
    skiff_api_server_set_admission(s, st->chain);
    skiff_host_set_api_client(st->client);
    if (nadm)
        skiff_log(SKIFF_LOG_INFO, "apiserver", "admission chain: %zu plugin(s)", skiff_adm_chain_len(st->chain));
    bootstrap(s);
    rc = skiff_api_server_start(s, err);
    if (rc < 0) { skiff_api_component_stop(st); return rc; }
    char url[160];
    const char *colon = cfg.listen ? strrchr(cfg.listen, ':') : NULL;
    snprintf(url, sizeof url, "http://%.*s:%d", colon ? (int)(colon - cfg.listen) : 9, colon ? cfg.listen : "127.0.0.1",
             skiff_api_server_port(s));
    skiff_log(SKIFF_LOG_INFO, "apiserver", "serving the Kubernetes API on %s", url);
    if (data_dir && *data_dir) {
        char path[1024];
        mkdir(data_dir, 0755);
        snprintf(path, sizeof path, "%s/kubeconfig", data_dir);
        char *kc = skiff_api_kubeconfig(url);
        FILE *f = kc ? fopen(path, "w") : NULL;
        if (f) {
            fputs(kc, f);
            fclose(f);
            skiff_log(SKIFF_LOG_INFO, "apiserver", "kubeconfig written; try: KUBECONFIG=%s kubectl get namespaces", path);
        }
        free(kc);
    } else {
        skiff_log(SKIFF_LOG_INFO, "apiserver", "try: skiff kubeconfig --server %s > kubeconfig && KUBECONFIG=kubeconfig kubectl get namespaces", url);
    }
    current = s;
    *state = st;
    return 0;
}

void skiff_api_component_stop(void *state)
{
    apisrv_component_t *st = state;
    if (!st) return;
    if (current == st->s) current = NULL;
    skiff_host_set_api_client(NULL);
    skiff_api_server_free(st->s);
    skiff_api_client_free(st->client);
    skiff_adm_chain_free(st->chain);
    free(st);
}
