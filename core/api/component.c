/* core/api/component — see component.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/admission.h"
#include "api/auth.h"
#include "api/tls.h"
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
    char *cert;                 /* serving certificate PEM (the kubeconfig's CA); NULL = http */
} apisrv_component_t;

void skiff_api_component_set_listen(const char *listen) { listen_override = listen; }
void skiff_api_component_set_data_dir(const char *dir) { data_dir_override = dir; }
skiff_api_server_t *skiff_api_component_server(void) { return current; }

/* a YAML double-quoted scalar of s (no control characters); 0 or -1 */
static int yq(char *out, size_t len, const char *s)
{
    size_t o = 0;
    for (; s && *s; s++) {
        if ((unsigned char)*s < 0x20 || o + 3 >= len) return -1;
        if (*s == '"' || *s == '\\') out[o++] = '\\';
        out[o++] = *s;
    }
    out[o] = '\0';
    return 0;
}

static char *b64(const char *in)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(in);
    char *o = malloc((n + 2) / 3 * 4 + 1), *w = o;
    if (!o) return NULL;
    const unsigned char *d = (const unsigned char *)in;
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)d[i] << 16 | (unsigned)d[i + 1] << 8 | d[i + 2];
        *w++ = t[v >> 18]; *w++ = t[(v >> 12) & 63]; *w++ = t[(v >> 6) & 63]; *w++ = t[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned)d[i] << 16 | (i + 1 < n ? (unsigned)d[i + 1] << 8 : 0);
        *w++ = t[v >> 18]; *w++ = t[(v >> 12) & 63];
        *w++ = i + 1 < n ? t[(v >> 6) & 63] : '=';
        *w++ = '=';
    }
    *w = '\0';
    return o;
}

char *skiff_api_kubeconfig_opts(const skiff_api_kubeconfig_opts_t *o)
{
    char server[600], user[300], token[4200], cafile[1100];
    if (yq(server, sizeof server, o->server) < 0 || yq(user, sizeof user, o->user && *o->user ? o->user : "skiff") < 0
        || yq(token, sizeof token, o->token) < 0 || yq(cafile, sizeof cafile, o->ca_file) < 0)
        return NULL;
    char *ca = o->ca_pem ? b64(o->ca_pem) : NULL;
    if (o->ca_pem && !ca) return NULL;
    char *cluster = NULL, *out = NULL;
    int n = asprintf(&cluster, "%s%s%s%s%s%s%s",
                     ca ? "    certificate-authority-data: " : "", ca ? ca : "", ca ? "\n" : "",
                     cafile[0] ? "    certificate-authority: \"" : "", cafile, cafile[0] ? "\"\n" : "",
                     o->insecure ? "    insecure-skip-tls-verify: true\n" : "");
    free(ca);
    if (n < 0) return NULL;
    char ub[4400];
    if (token[0]) snprintf(ub, sizeof ub, "  user:\n    token: \"%s\"\n", token);
    else snprintf(ub, sizeof ub, "  user: {}\n");
    if (asprintf(&out,
                 "apiVersion: v1\n"
                 "kind: Config\n"
                 "clusters:\n"
                 "- name: skiff\n"
                 "  cluster:\n"
                 "    server: %s\n"
                 "%s"
                 "users:\n"
                 "- name: \"%s\"\n"
                 "%s"
                 "contexts:\n"
                 "- name: skiff\n"
                 "  context:\n"
                 "    cluster: skiff\n"
                 "    user: \"%s\"\n"
                 "    namespace: default\n"
                 "current-context: skiff\n",
                 server, cluster, user, ub, user) < 0)
        out = NULL;
    free(cluster);
    return out;
}

char *skiff_api_kubeconfig(const char *server)
{
    skiff_api_kubeconfig_opts_t o = { .server = server };
    return skiff_api_kubeconfig_opts(&o);
}

/* The admin credential of a server with authentication on (as kubeadm's
 * admin.conf): a random token for kubernetes-admin in system:masters, kept
 * in DATA_DIR/admin-token (0600) so kubeconfigs survive restarts. Returns
 * the token (static buffer) or NULL when none could be made. */
static const char *admin_token(skiff_api_server_t *s, const char *data_dir)
{
    static char tok[65];
    char path[1024];
    snprintf(path, sizeof path, "%s/admin-token", data_dir);
    tok[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(tok, sizeof tok, f)) tok[0] = '\0';
        fclose(f);
        tok[strcspn(tok, "\r\n")] = '\0';
        if (strlen(tok) < 32) tok[0] = '\0';
    }
    if (!tok[0]) {
        unsigned char rnd[24];
        FILE *r = fopen("/dev/urandom", "r");
        size_t got = r ? fread(rnd, 1, sizeof rnd, r) : 0;
        if (r) fclose(r);
        if (got != sizeof rnd) return NULL;
        for (size_t i = 0; i < sizeof rnd; i++) snprintf(tok + 2 * i, 3, "%02x", rnd[i]);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || write(fd, tok, strlen(tok)) != (ssize_t)strlen(tok) || write(fd, "\n", 1) != 1) {
            if (fd >= 0) close(fd);
            skiff_log(SKIFF_LOG_WARN, "apiserver", "cannot write %s: %s", path, strerror(errno));
            return NULL;
        }
        close(fd);
    }
    static const char *const groups[] = { "system:masters", NULL };
    skiff_error_t err;
    if (skiff_api_server_add_token(s, tok, "kubernetes-admin", "", groups, &err) < 0 && err.code != SKIFF_E_EXISTS) {
        skiff_log(SKIFF_LOG_WARN, "apiserver", "admin token: %s", err.msg);
        return NULL;
    }
    return tok;
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

static int write_private(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return -1;
    size_t n = strlen(text);
    int ok = write(fd, text, n) == (ssize_t)n;
    return close(fd) == 0 && ok ? 0 : -1;
}

/* The serving certificate: tls_cert_file + tls_private_key_file when set;
 * else, when authentication is on (kubectl sends tokens only over https),
 * DATA_DIR/apiserver.crt + apiserver.key, made self-signed on first start
 * (as kube-apiserver does in its --cert-dir). Both NULL = plain HTTP. */
static int tls_setup(const skiff_component_conf_t *conf, const skiff_api_config_t *cfg, const char *data_dir,
                     char **cert, char **key, skiff_error_t *err)
{
    *cert = *key = NULL;
    const char *cf = NULL, *kf = NULL;
    skiff_settings_string(conf->settings, "tls_cert_file", &cf);
    skiff_settings_string(conf->settings, "tls_private_key_file", &kf);
    if ((cf && *cf) != (kf && *kf))
        return skiff_error_set(err, SKIFF_E_INVALID, "apiserver: tls_cert_file and tls_private_key_file go together");
    if (cf && *cf) {
        int rc = skiff_api_read_file(cf, cert, err);
        if (rc == 0) rc = skiff_api_read_file(kf, key, err);
        if (rc < 0) { free(*cert); *cert = NULL; return skiff_error_set(err, rc, "apiserver: %s", err->msg); }
        return 0;
    }
    if (!(cfg->token_auth_file && *cfg->token_auth_file) && cfg->anonymous_auth >= 0) return 0;
    char cp[1024], kp[1024];
    if (data_dir && *data_dir) {
        snprintf(cp, sizeof cp, "%s/apiserver.crt", data_dir);
        snprintf(kp, sizeof kp, "%s/apiserver.key", data_dir);
        skiff_error_t e2;
        if (skiff_api_read_file(cp, cert, &e2) == 0 && skiff_api_read_file(kp, key, &e2) == 0) return 0;
        free(*cert);
        *cert = NULL;
    }
    char ip[64] = "";
    const char *colon = cfg->listen ? strrchr(cfg->listen, ':') : NULL;
    if (colon && (size_t)(colon - cfg->listen) < sizeof ip) snprintf(ip, sizeof ip, "%.*s", (int)(colon - cfg->listen), cfg->listen);
    int rc = skiff_api_tls_self_signed(ip, cert, key, err);
    if (rc < 0) return skiff_error_set(err, rc, "apiserver: %s", err->msg);
    if (data_dir && *data_dir) {
        mkdir(data_dir, 0755);
        if (write_private(kp, *key) < 0 || write_private(cp, *cert) < 0)
            skiff_log(SKIFF_LOG_WARN, "apiserver", "cannot keep the self-signed certificate in %s: %s", data_dir, strerror(errno));
        else
            skiff_log(SKIFF_LOG_INFO, "apiserver", "generated a self-signed serving certificate: %s", cp);
    }
    return 0;
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
    int anon = 1;
    if (skiff_settings_bool(conf->settings, "anonymous_auth", &anon) == 0) cfg.anonymous_auth = anon ? 1 : -1;
    skiff_settings_string(conf->settings, "token_auth_file", &cfg.token_auth_file);
    skiff_settings_strlist(conf->settings, "authorization_mode", &cfg.authorization_modes);
    cfg.bus = skiff_cluster_bus(cl);
    if (listen_override) cfg.listen = listen_override;
    if (data_dir_override) data_dir = data_dir_override;
    char *cert = NULL, *key = NULL;
    int rc = tls_setup(conf, &cfg, data_dir, &cert, &key, err);
    if (rc < 0) return rc;
    cfg.tls_cert_pem = cert;
    cfg.tls_key_pem = key;
    skiff_api_server_t *s;
    rc = skiff_api_server_new(&cfg, skiff_instance_ops(store), skiff_instance_self(store), &s, err);
    free(key);
    if (rc < 0) { free(cert); return rc; }
    if (data_dir && *data_dir) {
        /* kube-apiserver's --service-account-signing-key-file, kept beside the certificate */
        char kp[1024];
        mkdir(data_dir, 0755);
        snprintf(kp, sizeof kp, "%s/sa.key", data_dir);
        if (skiff_api_server_sa_key_file(s, kp, err) < 0) { free(cert); skiff_api_server_free(s); return err->code; }
    }
    apisrv_component_t *st = calloc(1, sizeof *st);
    if (!st) { free(cert); skiff_api_server_free(s); return skiff_error_set(err, -ENOMEM, "apiserver: out of memory"); }
    st->s = s;
    st->cert = cert;
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
    skiff_api_server_bootstrap_rbac(s);
    const char *token = NULL;
    if (data_dir && *data_dir && skiff_api_server_authn_enabled(s)) {
        mkdir(data_dir, 0755);
        token = admin_token(s, data_dir);
    }
    rc = skiff_api_server_start(s, err);
    if (rc < 0) { skiff_api_component_stop(st); return rc; }
    char url[160];
    const char *colon = cfg.listen ? strrchr(cfg.listen, ':') : NULL;
    snprintf(url, sizeof url, "%s://%.*s:%d", cert ? "https" : "http", colon ? (int)(colon - cfg.listen) : 9, colon ? cfg.listen : "127.0.0.1",
             skiff_api_server_port(s));
    skiff_log(SKIFF_LOG_INFO, "apiserver", "serving the Kubernetes API on %s", url);
    if (data_dir && *data_dir) {
        char path[1024];
        mkdir(data_dir, 0755);
        snprintf(path, sizeof path, "%s/kubeconfig", data_dir);
        skiff_api_kubeconfig_opts_t ko = { .server = url, .user = token ? "kubernetes-admin" : NULL, .token = token, .ca_pem = cert };
        char *kc = skiff_api_kubeconfig_opts(&ko);
        /* 0600: it may hold the admin token */
        if (kc && write_private(path, kc) == 0) {
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
    free(st->cert);
    free(st);
}
