/* core/plugin internals shared by loader.c, registry.c, instance.c, host.c. */
#ifndef SKIFF_CORE_PLUGIN_INTERNAL_H
#define SKIFF_CORE_PLUGIN_INTERNAL_H

#include <stddef.h>

#include "plugin/plugin.h"
#include "plugin/settings.h"

/* Bytes of the descriptor as ABI 1.0 defined it: everything up to and
 * including `ops`. Later minors append after it, so this stays right. */
#define SKIFF_DESC_SIZE_1_0 (offsetof(skiff_plugin_t, ops) + sizeof(const void *))
/* The fixed header every descriptor starts with (magic .. size). */
#define SKIFF_DESC_HEADER_SIZE (offsetof(skiff_plugin_t, size) + sizeof(uint32_t))

/* Check a descriptor found at `sym` (symbol size `sym_size`, 0 = unknown)
 * and copy the part this host knows into *out (zero-padded). `what` names
 * the file in messages. Reads nothing past desc->size. */
int skiff_plugin_check_desc(const char *what, const void *sym, size_t sym_size,
                            skiff_plugin_t *out, skiff_error_t *err);

/* dlopen + dlsym + skiff_plugin_check_desc. On success *handle is the
 * dlopen handle (caller dlclose()s) and *desc the normalised copy. */
int skiff_plugin_open(const char *path, void **handle, skiff_plugin_t *desc, skiff_error_t *err);

/* One per instance; the host table's functions receive it as ctx. */
struct skiff_ctx {
    skiff_plugin_t desc;       /* normalised copy of the descriptor */
    char *name;                /* instance name */
    char *path;                /* file the descriptor lives in, or "" */
    char prefix[192];          /* "kind:name" for logs */
    skiff_settings_t *settings;
    skiff_bus_t *bus;          /* may be NULL */
    void *self;                /* the instance block */
    int inited, started;
};

struct skiff_instance {
    struct skiff_ctx ctx;
};

#endif
