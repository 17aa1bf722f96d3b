/* tests/store/lmdb/coreload.h — load a store plugin through the core's
 * loader (core/plugin) for the lmdb unit test, the crash driver and the store
 * benchmark: the same checks, settings conversion and host table as `skiff
 * run`. Header-only; static functions; one process-wide registry. */
#ifndef SKIFF_TESTS_LMDB_CORELOAD_H
#define SKIFF_TESTS_LMDB_CORELOAD_H

#include <stdlib.h>
#include <time.h>

#include <skiff/plugin.h>
#include <skiff/store.h>

#include "plugin/plugin.h"

static skiff_registry_t *cl_reg;
static struct { void *self; skiff_instance_t *inst; } cl_open[16];

static inline int64_t cl_mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Load a plugin file; returns its descriptor (owned by the registry). */
__attribute__((unused)) static const skiff_plugin_t *cl_load(const char *so, skiff_error_t *err)
{
    if (!cl_reg && skiff_registry_new(&cl_reg, err) != 0) return NULL;
    if (skiff_registry_load_file(cl_reg, so, err) != 0) return NULL;
    const skiff_plugin_t *d = skiff_registry_at(cl_reg, skiff_registry_count(cl_reg) - 1);
    if (!d || d->kind != SKIFF_KIND_STORE) {
        skiff_error_set(err, SKIFF_E_INVALID, "%s: not a store plugin", so);
        return NULL;
    }
    return d;
}

/* Create and start an instance from "key=value" settings; *self is its
 * instance block (what the ops take). */
static int cl_instance_new(const skiff_plugin_t *d, const char *const *settings, void **self,
                           skiff_error_t *err)
{
    *self = NULL;
    size_t slot = 0;
    while (slot < 16 && cl_open[slot].inst) slot++;
    if (slot == 16) return skiff_error_set(err, SKIFF_E_FULL, "too many open instances");
    skiff_instance_t *inst;
    int rc = skiff_instance_new(d, d->name, settings, NULL, &inst, err);
    if (rc) return rc;
    if ((rc = skiff_instance_start(inst, err))) {
        skiff_instance_free(inst);
        return rc;
    }
    cl_open[slot].inst = inst;
    cl_open[slot].self = skiff_instance_self(inst);
    *self = cl_open[slot].self;
    return 0;
}

static void cl_instance_free(void *self)
{
    for (size_t i = 0; self && i < 16; i++)
        if (cl_open[i].self == self) {
            skiff_instance_free(cl_open[i].inst);
            cl_open[i].inst = NULL;
            cl_open[i].self = NULL;
        }
}

#endif
