/* core/api/component — the `apiserver` core component: started by
 * skiff_cluster_assemble() when `components = { apiserver = true; }`, over
 * the cluster's first store plugin instance. */
#ifndef SKIFF_CORE_API_COMPONENT_H
#define SKIFF_CORE_API_COMPONENT_H

#include "config/config.h"
#include "api/api.h"

int skiff_api_component_start(skiff_cluster_t *cl, const skiff_component_conf_t *conf,
                              void **state, skiff_error_t *err);
void skiff_api_component_stop(void *state);

/* Overrides from the command line (skiff server --listen); NULL = none.
 * Set before skiff_cluster_assemble(); the string is borrowed. */
void skiff_api_component_set_listen(const char *listen);
/* Overrides the apiserver's data_dir (where the kubeconfig is written). */
void skiff_api_component_set_data_dir(const char *dir);
/* The running server of this process (NULL when none). */
skiff_api_server_t *skiff_api_component_server(void);

/* A kubeconfig for `server` (e.g. "http://127.0.0.1:6443") as text; the
 * caller frees it. NULL on allocation failure. */
char *skiff_api_kubeconfig(const char *server);
typedef struct skiff_api_kubeconfig_opts {
    const char *server;  /* URL */
    const char *user;    /* the user entry's name; NULL = "skiff" */
    const char *token;   /* bearer token; NULL = none */
    const char *ca_pem;  /* embedded as certificate-authority-data; NULL = none */
    const char *ca_file; /* certificate-authority: PATH; NULL = none */
    int insecure;        /* insecure-skip-tls-verify: true */
} skiff_api_kubeconfig_opts_t;
/* The same with credentials and TLS trust. NULL also when a value has
 * control characters or is too long (~500 bytes). kubectl sends the token
 * only to an https:// server. */
char *skiff_api_kubeconfig_opts(const skiff_api_kubeconfig_opts_t *o);

#endif
