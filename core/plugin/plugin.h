/* core/plugin — finding, loading and instantiating plugins (the face of
 * core/plugin/). Implementation: loader.c (dlopen + descriptor checks),
 * registry.c (the set of loaded files), instance.c (allocate, configure,
 * init/start/stop/fini), host.c (the skiff_host_t table).
 *
 * Loader errors are one sentence naming the file, e.g.
 *   "plugins/x.so: not a skiff plugin (no skiff_plugin symbol)"
 * and map to exit status 2 in the CLI. Exact wording is asserted by tests/abi.
 *
 * Ownership: the registry owns every loaded file and descriptor; instances
 * borrow their descriptor and must be freed before the registry. Instances own
 * their instance block, settings and subscriptions.
 */
#ifndef SKIFF_CORE_PLUGIN_H
#define SKIFF_CORE_PLUGIN_H

#include <skiff/plugin.h>

#include "bus/bus.h"

typedef struct skiff_registry skiff_registry_t;
typedef struct skiff_instance skiff_instance_t;

int skiff_registry_new(skiff_registry_t **out, skiff_error_t *err);
/* dlclose()s every file; all instances must be freed first. NULL is fine. */
void skiff_registry_free(skiff_registry_t *reg);

/* Load one file; checks magic, ABI major/minor, size, duplicate kind+name. */
int skiff_registry_load_file(skiff_registry_t *reg, const char *path, skiff_error_t *err);
/* Load every *.so in dir and in dir/<kind>/ (the build layout). */
int skiff_registry_scan(skiff_registry_t *reg, const char *dir, skiff_error_t *err);

/* Look up a loaded plugin; NULL when none. */
const skiff_plugin_t *skiff_registry_find(const skiff_registry_t *reg, skiff_kind_t kind,
                                          const char *name);
size_t skiff_registry_count(const skiff_registry_t *reg);
const skiff_plugin_t *skiff_registry_at(const skiff_registry_t *reg, size_t i);
const char *skiff_registry_path_at(const skiff_registry_t *reg, size_t i);

/* "store", "scheduler", ...; NULL for an unknown kind. */
const char *skiff_kind_name(uint32_t kind);
int skiff_kind_parse(const char *name, skiff_kind_t *out);

/* Create an instance from "key=value" settings (NULL-terminated; may be
 * NULL), checked against the plugin's key table exactly as a config file's
 * settings are (unknown key → nearest valid key), defaults applied, then
 * init() called. `bus` may be NULL (bus host calls then fail with
 * SKIFF_E_UNSUPPORTED). On failure *out is NULL and fini has run. This is
 * how tests instantiate a plugin without a config file. */
int skiff_instance_new(const skiff_plugin_t *desc, const char *instance_name,
                       const char *const *settings, skiff_bus_t *bus,
                       skiff_instance_t **out, skiff_error_t *err);
int skiff_instance_start(skiff_instance_t *inst, skiff_error_t *err);
/* stop (if started), fini, drop the instance's bus subscriptions, free. NULL is fine. */
void skiff_instance_free(skiff_instance_t *inst);

void *skiff_instance_self(const skiff_instance_t *inst);
const void *skiff_instance_ops(const skiff_instance_t *inst); /* the kind's ops table */
const skiff_plugin_t *skiff_instance_desc(const skiff_instance_t *inst);
const char *skiff_instance_name(const skiff_instance_t *inst);

/* ---- additions by the core area ---------------------------------------- */

/* Called once per file or directory that failed, with its one sentence. */
typedef void (*skiff_registry_report_fn)(void *ud, const skiff_error_t *err);
/* Like skiff_registry_scan but goes on past a bad file, reporting each
 * failure; returns 0 or the first failure's code. */
int skiff_registry_scan_all(skiff_registry_t *reg, const char *dir,
                            skiff_registry_report_fn report, void *ud);
/* One plugin-path entry: a directory is scanned, anything else is loaded
 * as a file ("x.so: no such file" when missing). */
int skiff_registry_add_path(skiff_registry_t *reg, const char *path,
                            skiff_registry_report_fn report, void *ud);
/* The file a registry descriptor came from; NULL when not from reg. */
const char *skiff_registry_path_of(const skiff_registry_t *reg, const skiff_plugin_t *desc);
/* All kind names in kind order ("scheduler" .. "store"); *n set. */
const char *const *skiff_kind_names(size_t *n);
/* The default plugin directory: $SKIFF_PLUGIN_PATH, else ../plugins next
 * to the running executable (build/bin/skiff -> build/plugins). */
int skiff_plugin_default_dir(char *buf, size_t len);

/* skiff_instance_new with settings already split into typed values, as the
 * config loader has them (plugin/settings.h); every problem is reported with
 * its line through report (may be NULL), the first also goes to err. */
struct skiff_raw_setting;
typedef void (*skiff_instance_report_fn)(void *ud, int line, const char *msg);
int skiff_instance_new_raw(const skiff_plugin_t *desc, const char *instance_name,
                           const struct skiff_raw_setting *raw, size_t n, skiff_bus_t *bus,
                           skiff_instance_report_fn report, void *ud,
                           skiff_instance_t **out, skiff_error_t *err);
/* stop() the instance if it was started; idempotent. skiff_instance_free()
 * does this too; a cluster stops all instances before freeing any. */
void skiff_instance_stop(skiff_instance_t *inst);
/* The file the instance's plugin was loaded from (via dladdr), or "". */
const char *skiff_instance_path(const skiff_instance_t *inst);

/* The host table every instance gets (one per process). */
const skiff_host_t *skiff_host_table(void);

#endif
