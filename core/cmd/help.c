/* skiff help */
#include <stdio.h>

#include "cmd/cmd.h"

int skiff_cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    skiff_cmd_usage(stdout);
    return SKIFF_EXIT_OK;
}
