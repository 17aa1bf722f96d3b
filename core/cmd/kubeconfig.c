/* skiff kubeconfig [--server URL] [--token TOKEN] [--user NAME]
 * [--certificate-authority FILE] [--insecure-skip-tls-verify]: print a
 * kubeconfig that points kubectl at a skiff API server. --token: a bearer
 * token from the server's token_auth_file, or the admin token the server
 * keeps in DATA_DIR/admin-token; the server's self-signed certificate is
 * DATA_DIR/apiserver.crt (kubectl sends tokens only over https). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/component.h"
#include "cmd/cmd.h"

int skiff_cmd_kubeconfig(int argc, char **argv)
{
    const char *server = "http://127.0.0.1:6443", *token = NULL, *user = NULL, *ca = NULL;
    int insecure = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--server") == 0 && i + 1 < argc) server = argv[++i];
        else if (strncmp(argv[i], "--server=", 9) == 0) server = argv[i] + 9;
        else if (strcmp(argv[i], "--token") == 0 && i + 1 < argc) token = argv[++i];
        else if (strncmp(argv[i], "--token=", 8) == 0) token = argv[i] + 8;
        else if (strcmp(argv[i], "--user") == 0 && i + 1 < argc) user = argv[++i];
        else if (strncmp(argv[i], "--user=", 7) == 0) user = argv[i] + 7;
        else if (strcmp(argv[i], "--certificate-authority") == 0 && i + 1 < argc) ca = argv[++i];
        else if (strncmp(argv[i], "--certificate-authority=", 24) == 0) ca = argv[i] + 24;
        else if (strcmp(argv[i], "--insecure-skip-tls-verify") == 0) insecure = 1;
        else {
            fprintf(stderr, "usage: skiff kubeconfig [--server URL] [--token TOKEN] [--user NAME] [--certificate-authority FILE] [--insecure-skip-tls-verify]\n");
            return SKIFF_EXIT_USAGE;
        }
    }
    if (strncmp(server, "http://", 7) != 0 && strncmp(server, "https://", 8) != 0) {
        fprintf(stderr, "skiff kubeconfig: --server %s: expected a URL like http://127.0.0.1:6443\n", server);
        return SKIFF_EXIT_USAGE;
    }
    if (token && (strlen(token) > 4096 || strpbrk(token, "\r\n\t"))) {
        fprintf(stderr, "skiff kubeconfig: --token: must be at most 4096 characters without control characters\n");
        return SKIFF_EXIT_USAGE;
    }
    if (user && (!*user || strlen(user) > 200 || strpbrk(user, "\"\\\r\n"))) {
        fprintf(stderr, "skiff kubeconfig: --user %s: expected a plain name\n", user);
        return SKIFF_EXIT_USAGE;
    }
    if (token && strncmp(server, "http://", 7) == 0)
        fprintf(stderr, "skiff kubeconfig: note: kubectl sends --token only to https:// servers\n");
    skiff_api_kubeconfig_opts_t o = { .server = server, .user = user, .token = token, .ca_file = ca, .insecure = insecure };
    char *kc = skiff_api_kubeconfig_opts(&o);
    if (!kc) { fprintf(stderr, "skiff kubeconfig: out of memory\n"); return SKIFF_EXIT_RUNTIME; }
    fputs(kc, stdout);
    free(kc);
    return SKIFF_EXIT_OK;
}
