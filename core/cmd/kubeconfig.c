/* skiff kubeconfig [--server URL]: print a kubeconfig that points kubectl at
 * a skiff API server (plain HTTP, no credentials). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/component.h"
#include "cmd/cmd.h"

int skiff_cmd_kubeconfig(int argc, char **argv)
{
    const char *server = "http://127.0.0.1:6443";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--server") == 0 && i + 1 < argc) server = argv[++i];
        else if (strncmp(argv[i], "--server=", 9) == 0) server = argv[i] + 9;
        else {
            fprintf(stderr, "usage: skiff kubeconfig [--server URL]\n");
            return SKIFF_EXIT_USAGE;
        }
    }
    if (strncmp(server, "http://", 7) != 0 && strncmp(server, "https://", 8) != 0) {
        fprintf(stderr, "skiff kubeconfig: --server %s: expected a URL like http://127.0.0.1:6443\n", server);
        return SKIFF_EXIT_USAGE;
    }
    char *kc = skiff_api_kubeconfig(server);
    if (!kc) { fprintf(stderr, "skiff kubeconfig: out of memory\n"); return SKIFF_EXIT_RUNTIME; }
    fputs(kc, stdout);
    free(kc);
    return SKIFF_EXIT_OK;
}
