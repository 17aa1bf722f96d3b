/* skiff version */
#include <stdio.h>

#include <skiff/plugin.h>

#include "cmd/cmd.h"

#ifndef SKIFF_VERSION
#define SKIFF_VERSION "0.1.0"
#endif

int skiff_cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("skiff %s (plugin ABI %d.%d, %s)\n", SKIFF_VERSION, SKIFF_ABI_MAJOR, SKIFF_ABI_MINOR,
           SKIFF_SDK_SIGNATURE);
    return SKIFF_EXIT_OK;
}
