/* core/config — the cluster config file and assembling a cluster from it
 * (the face of core/config/). Format: docs/config.md, example:
 * examples/minimal.cfg.
 *
 * A file says which components run in this process (components = {...}),
 * where plugins are (plugin_path), each component's settings (a top-level
 * group named after it, checked against its key table in components.c) and
 * for each plugin kind the named instances to create, in order.
 *
 * Loading checks everything it can without starting anything: syntax, key
 * names (nearest valid key suggested), types, required keys, quantities and
 * durations, plugin kinds, that every named plugin is in the path and of the
 * kind asked for, and every plugin's settings against its key table. Every
 * problem is reported as "FILE:LINE: message" (FILE as given).
 *
 * Ownership: skiff_config_load() returns a config that owns the parsed file,
 * the plugin registry and every string in it; skiff_config_free() releases
 * all. A skiff_cluster_t borrows its config and bus: free the cluster first.
 */
#ifndef SKIFF_CORE_CONFIG_H
#define SKIFF_CORE_CONFIG_H

#include <stddef.h>

#include <libconfig.h>
#include <skiff/plugin.h>

#include "bus/bus.h"
#include "plugin/plugin.h"
#include "plugin/settings.h"

typedef struct skiff_cluster skiff_cluster_t;
typedef struct skiff_component_conf skiff_component_conf_t;

/* A core component (api server, scheduler, ...). Its table of keys lives in
 * core/config/components.c; add a component by adding a line there. start
 * and stop are optional: skiff_cluster_assemble() calls start for every
 * enabled component after all plugin instances have started (table order),
 * stop in reverse at teardown. */
typedef struct skiff_component {
    const char *name;
    const skiff_config_key_t *keys;
    int (*start)(skiff_cluster_t *cl, const skiff_component_conf_t *conf, void **state,
                 skiff_error_t *err);
    void (*stop)(void *state);
    /* Members of the component's group that it reads itself from
     * conf->setting (lists of groups a key table cannot type, e.g. the
     * scheduler's profiles); NULL-terminated, may be NULL. The key
     * checker skips them. */
    const char *const *groups;
} skiff_component_t;

/* The component table, *n entries. */
const skiff_component_t *skiff_components(size_t *n);

struct skiff_component_conf {
    const skiff_component_t *component;
    int enabled;                       /* components = { name = true; } */
    const config_setting_t *setting;   /* the `name = { ... }` group, or NULL */
    skiff_settings_t *settings;        /* validated, defaults applied (plugin/settings.h) */
};

/* One plugin instance to create, in config order. */
typedef struct skiff_plugin_conf {
    skiff_kind_t kind;
    const char *plugin;                /* plugin name (owned by the config) */
    const char *instance;              /* instance name; the plugin name when not given */
    int line;                          /* line of the entry in the file */
    const config_setting_t *setting;   /* the `settings = { ... }` group, or NULL */
    skiff_raw_setting_t *raw;          /* the settings as typed values */
    size_t n_raw;
    char **kv;                         /* the same as "key=value" strings, NULL-terminated
                                          (lists joined with ","), for display and tests */
    const skiff_plugin_t *desc;        /* the loaded plugin (registry-owned) */
} skiff_plugin_conf_t;

typedef struct skiff_cluster_config {
    char *file;                        /* as given */
    char *dir;                         /* directory of the file */
    char **plugin_path;                /* resolved entries; n_plugin_path of them */
    size_t n_plugin_path;
    skiff_component_conf_t *components; /* one per skiff_components() entry, same order */
    size_t n_components;
    skiff_plugin_conf_t *plugins;      /* file order */
    size_t n_plugins;
    skiff_registry_t *registry;        /* every plugin found in the path */
    config_t cfg;                      /* the parsed file (libconfig) */
} skiff_cluster_config_t;

/* Receives each "FILE:LINE: message" line (no newline). */
typedef void (*skiff_config_report_fn)(void *ud, const char *line);

/* Load and check `file`. Every problem goes to report (NULL: printed on
 * stderr). Returns 0 with *out set, or SKIFF_E_INVALID (err: "FILE: N
 * problems" plus the first) / SKIFF_E_NOSPACE with *out NULL. */
int skiff_config_load(const char *file, skiff_config_report_fn report, void *ud,
                      skiff_cluster_config_t **out, skiff_error_t *err);
void skiff_config_free(skiff_cluster_config_t *cfg);

/* The named component's config; NULL for a name not in the table. */
const skiff_component_conf_t *skiff_config_component(const skiff_cluster_config_t *cfg,
                                                     const char *name);
int skiff_config_enabled(const skiff_cluster_config_t *cfg, const char *name);

/* ---- assembling the cluster ------------------------------------------- */

/* Create every plugin instance (config order), start them all (same order),
 * then start enabled components. On failure everything done so far is
 * undone in reverse and *out is NULL; a plugin's init failure is
 * SKIFF_E_INVALID-class (its message names the file and includes the
 * plugin's own), a start failure keeps the plugin's code. `bus` may be
 * NULL (plugins then get SKIFF_E_UNSUPPORTED from bus calls). */
int skiff_cluster_assemble(const skiff_cluster_config_t *cfg, skiff_bus_t *bus,
                           skiff_cluster_t **out, skiff_error_t *err);
/* Stop components (reverse), stop every instance (reverse), then fini and
 * free them (reverse). NULL is fine. */
void skiff_cluster_free(skiff_cluster_t *cl);

const skiff_cluster_config_t *skiff_cluster_config(const skiff_cluster_t *cl);
skiff_bus_t *skiff_cluster_bus(const skiff_cluster_t *cl);
size_t skiff_cluster_count(const skiff_cluster_t *cl);
skiff_instance_t *skiff_cluster_at(const skiff_cluster_t *cl, size_t i);
/* First instance of that kind with that instance name; NULL when none. */
skiff_instance_t *skiff_cluster_find(const skiff_cluster_t *cl, skiff_kind_t kind,
                                     const char *instance);
/* Instances of one kind in config order (the admission chain): fills up to
 * max entries of out and returns how many there are in all. */
size_t skiff_cluster_of_kind(const skiff_cluster_t *cl, skiff_kind_t kind,
                             skiff_instance_t **out, size_t max);

#endif
