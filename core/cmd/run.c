/* skiff run --config FILE [--once]: check the config, create the bus,
 * assemble the cluster (plugin instances, then enabled components), print
 * the instances, and run until SIGINT/SIGTERM (or stop at once). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "config/config.h"
#include "log/log.h"

static int usage(void)
{
    fprintf(stderr, "usage: skiff run --config FILE [--once]\n");
    return SKIFF_EXIT_USAGE;
}

int skiff_cmd_run(int argc, char **argv)
{
    const char *file = NULL;
    int once = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            file = argv[++i];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
        else if (strcmp(argv[i], "--once") == 0)
            once = 1;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: skiff run --config FILE [--once]\n");
            return SKIFF_EXIT_OK;
        } else
            return usage();
    }
    if (!file) return usage();

    /* Block the stop signals before any thread starts so that every thread
     * inherits the mask and sigwait() below is the one to receive them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    skiff_cluster_config_t *cfg;
    skiff_error_t err;
    int rc = skiff_config_load(file, NULL, NULL, &cfg, &err);
    if (rc == SKIFF_E_INVALID) return SKIFF_EXIT_USAGE;
    if (rc < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return SKIFF_EXIT_RUNTIME;
    }
    skiff_bus_t *bus = NULL;
    if (skiff_bus_new(&bus, &err) < 0) {
        fprintf(stderr, "skiff run: cannot create the event bus: %s\n", err.msg);
        skiff_config_free(cfg);
        return SKIFF_EXIT_RUNTIME;
    }
    skiff_cluster_t *cl;
    skiff_error_clear(&err);
    rc = skiff_cluster_assemble(cfg, bus, &cl, &err);
    if (rc < 0) {
        fprintf(stderr, "%s\n", err.msg);
        skiff_bus_free(bus);
        skiff_config_free(cfg);
        /* A plugin refusing its settings in init is a config problem. */
        return rc == SKIFF_E_NOSPACE ? SKIFF_EXIT_RUNTIME : SKIFF_EXIT_USAGE;
    }
    for (size_t i = 0; i < skiff_cluster_count(cl); i++) {
        const skiff_instance_t *in = skiff_cluster_at(cl, i);
        const skiff_plugin_t *d = skiff_instance_desc(in);
        printf("%s/%s %s (%s)\n", skiff_kind_name(d->kind), d->name, skiff_instance_name(in),
               d->version[0] ? d->version : "-");
    }
    fflush(stdout);
    if (!once) {
        skiff_log(SKIFF_LOG_INFO, NULL, "running; stop with SIGINT or SIGTERM");
        int sig = 0;
        sigwait(&stop, &sig);
        skiff_log(SKIFF_LOG_INFO, NULL, "%s received, shutting down", strsignal(sig));
    }
    skiff_cluster_free(cl);
    skiff_bus_free(bus);
    skiff_config_free(cfg);
    return SKIFF_EXIT_OK;
}
