/* skiff plugins [--plugin-path DIR]...: load every plugin in the path and
 * list kind, name, version, ABI, file and every config key. A file that
 * fails to load is reported (one sentence on stderr) and makes the exit
 * status 2; the others are still listed. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "plugin/plugin.h"
#include "plugin/settings.h"

static void print_failure(void *ud, const skiff_error_t *err)
{
    int *failures = ud;
    fprintf(stderr, "%s\n", err->msg);
    (*failures)++;
}

static void print_plugin(const skiff_plugin_t *d, const char *path)
{
    printf("%s/%s %s (ABI %u.%u) %s\n", skiff_kind_name(d->kind), d->name,
           d->version[0] ? d->version : "-", d->abi_major, d->abi_minor, path);
    if (d->description[0]) printf("    %s\n", d->description);
    if (!d->config || !d->config[0].name) {
        printf("    (no config keys)\n");
        return;
    }
    /* Columns as wide as this plugin's longest name and default. */
    int wname = 4, wdef = 8;
    char def[160];
    for (int pass = 0; pass < 2; pass++) {
        for (const skiff_config_key_t *k = d->config; k->name; k++) {
            if (k->flags & SKIFF_CFG_REQUIRED)
                snprintf(def, sizeof def, "required");
            else if (k->default_value)
                snprintf(def, sizeof def, "default \"%s\"", k->default_value);
            else
                snprintf(def, sizeof def, "optional");
            if (pass == 0) {
                if ((int)strlen(k->name) > wname) wname = (int)strlen(k->name);
                if ((int)strlen(def) > wdef) wdef = (int)strlen(def);
                continue;
            }
            printf("    %-*s  %-8s  %-*s  %s\n", wname, k->name, skiff_cfg_type_name(k->type), wdef,
                   def, k->description ? k->description : "");
        }
    }
}

int skiff_cmd_plugins(int argc, char **argv)
{
    const char *paths[64];
    int np = 0;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: skiff plugins [--plugin-path DIR|FILE.so]...\n");
            return SKIFF_EXIT_OK;
        }
        if (strcmp(argv[i], "--plugin-path") == 0 && i + 1 < argc)
            v = argv[++i];
        else if (strncmp(argv[i], "--plugin-path=", 14) == 0)
            v = argv[i] + 14;
        if (!v || np == 64) {
            fprintf(stderr, "skiff plugins: unexpected argument \"%s\"\n"
                            "usage: skiff plugins [--plugin-path DIR]...\n", argv[i]);
            return SKIFF_EXIT_USAGE;
        }
        paths[np++] = v;
    }
    char def[PATH_MAX];
    if (np == 0) {
        if (skiff_plugin_default_dir(def, sizeof def) < 0) {
            fprintf(stderr, "skiff plugins: cannot work out the default plugin directory\n");
            return SKIFF_EXIT_USAGE;
        }
        paths[np++] = def;
    }
    skiff_registry_t *reg;
    skiff_error_t err;
    if (skiff_registry_new(&reg, &err) < 0) {
        fprintf(stderr, "skiff plugins: %s\n", err.msg);
        return SKIFF_EXIT_RUNTIME;
    }
    int failures = 0;
    for (int i = 0; i < np; i++) skiff_registry_add_path(reg, paths[i], print_failure, &failures);
    for (size_t i = 0; i < skiff_registry_count(reg); i++)
        print_plugin(skiff_registry_at(reg, i), skiff_registry_path_at(reg, i));
    skiff_registry_free(reg);
    return failures ? SKIFF_EXIT_USAGE : SKIFF_EXIT_OK;
}
