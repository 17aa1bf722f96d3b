/* Instantiating a store plugin through the core's real loader: the same
 * checks (magic, ABI, key table, defaults, conversion) as `skiff run`. The
 * registry is kept for the process, so each plugin file is loaded once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/plugin.h"

#include "loader.h"

struct store_handle {
    skiff_instance_t *inst;
};

static skiff_registry_t *g_reg;
static char *g_loaded; /* path of the file g_reg holds */

static const skiff_plugin_t *loader_desc(const char *so_path, skiff_error_t *err)
{
    if (!g_reg) {
        if (skiff_registry_new(&g_reg, err) != 0)
            return NULL;
    }
    if (!g_loaded) {
        size_t before = skiff_registry_count(g_reg);
        if (skiff_registry_load_file(g_reg, so_path, err) != 0)
            return NULL;
        if (skiff_registry_count(g_reg) != before + 1) {
            skiff_error_set(err, SKIFF_E_INTERNAL, "%s: loaded, but the registry did not grow", so_path);
            return NULL;
        }
        g_loaded = strdup(so_path);
    } else if (strcmp(g_loaded, so_path) != 0) {
        skiff_error_set(err, SKIFF_E_INVALID, "one plugin per run (%s already loaded)", g_loaded);
        return NULL;
    }
    const skiff_plugin_t *d = skiff_registry_at(g_reg, skiff_registry_count(g_reg) - 1);
    if (d->kind != SKIFF_KIND_STORE) {
        skiff_error_set(err, SKIFF_E_INVALID, "%s: a %s plugin, not a store", so_path,
                        skiff_kind_name(d->kind) ? skiff_kind_name(d->kind) : "unknown");
        return NULL;
    }
    return d;
}

int store_open(const char *so_path, const char *const *settings, store_handle_t **out,
               skiff_error_t *err)
{
    *out = NULL;
    const skiff_plugin_t *d = loader_desc(so_path, err);
    if (!d)
        return err && err->code ? err->code : SKIFF_E_INVALID;
    store_handle_t *h = calloc(1, sizeof *h);
    if (!h)
        return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    int rc = skiff_instance_new(d, "conformance", settings, NULL, &h->inst, err);
    if (rc == 0)
        rc = skiff_instance_start(h->inst, err);
    if (rc != 0) {
        store_close(h);
        return rc;
    }
    const skiff_store_ops_t *ops = skiff_instance_ops(h->inst);
    if (!ops || ops->size < sizeof(skiff_store_ops_t)) {
        store_close(h);
        return skiff_error_set(err, SKIFF_E_VERSION, "%s: store ops table is %u bytes, expected %zu",
                               so_path, ops ? ops->size : 0, sizeof(skiff_store_ops_t));
    }
    *out = h;
    return 0;
}

void store_close(store_handle_t *h)
{
    if (!h)
        return;
    skiff_instance_free(h->inst);
    free(h);
}

const skiff_store_ops_t *store_ops(const store_handle_t *h) { return skiff_instance_ops(h->inst); }
void *store_self(const store_handle_t *h) { return skiff_instance_self(h->inst); }

void store_unload(void)
{
    skiff_registry_free(g_reg);
    g_reg = NULL;
    free(g_loaded);
    g_loaded = NULL;
}
