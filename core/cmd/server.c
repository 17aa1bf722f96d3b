/* skiff server --config FILE [--listen ADDR:PORT] [--data-dir DIR]: run the
 * API server (and the plugin instances it needs, e.g. the store) from a
 * cluster config, whatever its components = { apiserver = ... } says. The
 * overrides let tests run several servers side by side: --data-dir moves
 * the store (a store plugin's `path` becomes DIR/store) and the kubeconfig
 * (DIR/kubeconfig). Runs until SIGINT/SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "api/component.h"
#include "cmd/cmd.h"
#include "config/config.h"
#include "log/log.h"

static int usage(void)
{
    fprintf(stderr, "usage: skiff server --config FILE [--listen ADDR:PORT] [--data-dir DIR]\n");
    return SKIFF_EXIT_USAGE;
}

static const char *opt(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (strcmp(argv[*i], name) == 0 && *i + 1 < argc) return argv[++*i];
    if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=') return argv[*i] + n + 1;
    return NULL;
}

int skiff_cmd_server(int argc, char **argv)
{
    const char *file = NULL, *listen = NULL, *data_dir = NULL, *v;
    for (int i = 1; i < argc; i++) {
        if ((v = opt(argc, argv, &i, "--config"))) file = v;
        else if ((v = opt(argc, argv, &i, "--listen"))) listen = v;
        else if ((v = opt(argc, argv, &i, "--data-dir"))) data_dir = v;
        else return usage();
    }
    if (!file) return usage();
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    skiff_cluster_config_t *cfg;
    skiff_error_t err;
    skiff_error_clear(&err);
    int rc = skiff_config_load(file, NULL, NULL, &cfg, &err);
    if (rc == SKIFF_E_INVALID) return SKIFF_EXIT_USAGE;
    if (rc < 0) { fprintf(stderr, "%s\n", err.msg); return SKIFF_EXIT_RUNTIME; }
    for (size_t c = 0; c < cfg->n_components; c++)
        if (strcmp(cfg->components[c].component->name, "apiserver") == 0) cfg->components[c].enabled = 1;
    static char store_path[4096];
    if (data_dir) {
        if (mkdir(data_dir, 0755) < 0 && errno != EEXIST) {
            fprintf(stderr, "skiff server: cannot create --data-dir %s: %s\n", data_dir, strerror(errno));
            skiff_config_free(cfg);
            return SKIFF_EXIT_RUNTIME;
        }
        snprintf(store_path, sizeof store_path, "%s/store", data_dir);
        for (size_t i = 0; i < cfg->n_plugins; i++) {
            if (cfg->plugins[i].kind != SKIFF_KIND_STORE) continue;
            for (size_t j = 0; j < cfg->plugins[i].n_raw; j++)
                if (strcmp(cfg->plugins[i].raw[j].key, "path") == 0) {
                    cfg->plugins[i].raw[j].kind = SKIFF_RAW_STRING;
                    cfg->plugins[i].raw[j].str = store_path;
                }
        }
        skiff_api_component_set_data_dir(data_dir);
    }
    if (listen) skiff_api_component_set_listen(listen);

    skiff_bus_t *bus = NULL;
    if (skiff_bus_new(&bus, &err) < 0) {
        fprintf(stderr, "skiff server: cannot create the event bus: %s\n", err.msg);
        skiff_config_free(cfg);
        return SKIFF_EXIT_RUNTIME;
    }
    skiff_cluster_t *cl;
    skiff_error_clear(&err);
    rc = skiff_cluster_assemble(cfg, bus, &cl, &err);
    if (rc < 0) {
        fprintf(stderr, "skiff server: %s\n", err.msg);
        skiff_bus_free(bus);
        skiff_config_free(cfg);
        return rc == SKIFF_E_INVALID ? SKIFF_EXIT_USAGE : SKIFF_EXIT_RUNTIME;
    }
    skiff_api_server_t *s = skiff_api_component_server();
    printf("skiff server: listening on port %d\n", s ? skiff_api_server_port(s) : 0);
    fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
    skiff_log(SKIFF_LOG_INFO, NULL, "%s received, shutting down", strsignal(sig));
    skiff_cluster_free(cl);
    skiff_bus_free(bus);
    skiff_config_free(cfg);
    return SKIFF_EXIT_OK;
}
