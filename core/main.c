/* skiff: dispatch to a command from core/cmd/ (see cmd/cmd.h). Global
 * options come before the command: --log-level LEVEL (SKIFF_LOG works too). */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "log/log.h"

int main(int argc, char **argv)
{
    skiff_log_init_env();
    int i = 1;
    while (i < argc && argv[i][0] == '-') {
        const char *v = NULL;
        if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc) {
            v = argv[++i];
        } else if (strncmp(argv[i], "--log-level=", 12) == 0) {
            v = argv[i] + 12;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            skiff_cmd_usage(stdout);
            return SKIFF_EXIT_OK;
        } else if (strcmp(argv[i], "--version") == 0) {
            return skiff_cmd_version(1, argv);
        } else {
            fprintf(stderr, "skiff: unknown option \"%s\"\n", argv[i]);
            skiff_cmd_usage(stderr);
            return SKIFF_EXIT_USAGE;
        }
        skiff_error_t err;
        int level;
        if (skiff_log_parse_level(v, &level, &err) < 0) {
            fprintf(stderr, "skiff: %s\n", err.msg);
            return SKIFF_EXIT_USAGE;
        }
        skiff_log_set_level(level);
        i++;
    }
    if (i >= argc) {
        skiff_cmd_usage(stderr);
        return SKIFF_EXIT_USAGE;
    }
    for (const skiff_cmd_t *c = skiff_cmds; c->name; c++)
        if (strcmp(c->name, argv[i]) == 0) return c->fn(argc - i, argv + i);
    fprintf(stderr, "skiff: unknown command \"%s\"\n", argv[i]);
    skiff_cmd_usage(stderr);
    return SKIFF_EXIT_USAGE;
}
