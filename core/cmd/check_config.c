/* skiff check-config FILE: load and check a config file (plugins are
 * loaded to read their key tables, but nothing is initialised or started).
 * Every problem is printed as FILE:LINE: message; exit 2 if any. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "config/config.h"

int skiff_cmd_check_config(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: skiff check-config FILE\n");
        return SKIFF_EXIT_OK;
    }
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: skiff check-config FILE\n");
        return SKIFF_EXIT_USAGE;
    }
    skiff_cluster_config_t *cfg;
    skiff_error_t err;
    int rc = skiff_config_load(argv[1], NULL, NULL, &cfg, &err);
    if (rc == SKIFF_E_INVALID) return SKIFF_EXIT_USAGE;
    if (rc < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return SKIFF_EXIT_RUNTIME;
    }
    printf("%s: ok (%zu plugin instance%s)\n", argv[1], cfg->n_plugins,
           cfg->n_plugins == 1 ? "" : "s");
    skiff_config_free(cfg);
    return SKIFF_EXIT_OK;
}
