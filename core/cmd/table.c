/* The command table: one line per command (see cmd.h). */
#include "cmd/cmd.h"

#include <stdio.h>

const skiff_cmd_t skiff_cmds[] = {
    { "run", skiff_cmd_run, "run --config FILE [--once]: assemble the cluster from a config file and run it" },
    { "check-config", skiff_cmd_check_config, "check-config FILE: check a config file without starting anything" },
    { "plugins", skiff_cmd_plugins, "plugins [--plugin-path DIR]...: list plugins with their config keys" },
    { "version", skiff_cmd_version, "version: print skiff's version and plugin ABI" },
    { "server", skiff_cmd_server, "server --config FILE [--listen ADDR:PORT] [--data-dir DIR]: run the API server" },
    { "kubeconfig", skiff_cmd_kubeconfig, "kubeconfig [--server URL] [--token TOKEN] [--user NAME] [--certificate-authority FILE]: print a kubeconfig for kubectl" },
    { "help", skiff_cmd_help, "help: show this list" },
    { NULL, NULL, NULL },
};

void skiff_cmd_usage(void *fp)
{
    FILE *f = fp;
    fprintf(f, "usage: skiff [--log-level LEVEL] COMMAND [ARGS]\n\ncommands:\n");
    for (const skiff_cmd_t *c = skiff_cmds; c->name; c++) fprintf(f, "  %s\n", c->help);
}
