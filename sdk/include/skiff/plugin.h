/* skiff/plugin.h — the plugin descriptor, config key tables and lifecycle.
 *
 * A plugin is a shared object that exports exactly one symbol:
 *
 *     SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = { SKIFF_PLUGIN_HEADER, ... };
 *
 * The leading fields (magic, ABI major/minor, descriptor size, build signature)
 * never move. The loader reads nothing past `size` bytes of the descriptor nor
 * past `ops_size` of the ops table; fields a newer minor adds are appended.
 * See docs/abi.md for the version rules.
 *
 * Ownership: the descriptor and everything it points to are the plugin's and
 * must stay valid until the object is unloaded. The host allocates each
 * instance's `instance_size` bytes zeroed, fills config fields that declare an
 * offset, hands the block to init() and frees it after fini().
 */
#ifndef SKIFF_PLUGIN_H
#define SKIFF_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "host.h"

#define SKIFF_PLUGIN_MAGIC 0x46464b53u /* "SKFF" read as little-endian bytes */
#define SKIFF_ABI_MAJOR 1
#define SKIFF_ABI_MINOR 2
#define SKIFF_SDK_SIGNATURE "skiff-sdk/1.2"

#define SKIFF_PLUGIN_SYMBOL "skiff_plugin"
#define SKIFF_PLUGIN_EXPORT __attribute__((visibility("default")))

typedef enum skiff_kind {
    SKIFF_KIND_SCHEDULER = 1,
    SKIFF_KIND_RUNTIME = 2,
    SKIFF_KIND_NETWORK = 3,
    SKIFF_KIND_ADMISSION = 4,
    SKIFF_KIND_STORE = 5,
} skiff_kind_t;

/* ---- config key tables (after Fluent Bit's config_map) ---------------- */

typedef enum skiff_cfg_type {
    SKIFF_CFG_STRING = 1,   /* fills const char* (host-owned, valid until fini) */
    SKIFF_CFG_INT = 2,      /* fills int64_t */
    SKIFF_CFG_BOOL = 3,     /* fills int (0/1) */
    SKIFF_CFG_DOUBLE = 4,   /* fills double */
    SKIFF_CFG_QUANTITY = 5, /* "500m", "2", "128Mi", "1G": fills int64_t in milli-units */
    SKIFF_CFG_DURATION = 6, /* "30s", "1m30s", "250ms": fills int64_t milliseconds */
    SKIFF_CFG_STRLIST = 7,  /* ["a","b"]: fills const char* const* (NULL-terminated, host-owned) */
} skiff_cfg_type_t;

enum {
    SKIFF_CFG_REQUIRED = 1u << 0, /* must be set; no default */
    SKIFF_CFG_FILL = 1u << 1,     /* host writes the value at `offset` in the instance */
};

typedef struct skiff_config_key {
    const char *name;          /* NULL name ends the table */
    skiff_cfg_type_t type;
    const char *default_value; /* as written in a config file; NULL = no default */
    uint32_t flags;
    size_t offset;             /* into the instance block, with SKIFF_CFG_FILL */
    const char *description;   /* one line, shown by `skiff plugins` */
} skiff_config_key_t;

#define SKIFF_CONFIG_END { NULL, 0, NULL, 0, 0, NULL }

/* ---- the descriptor ---------------------------------------------------- */

typedef struct skiff_plugin skiff_plugin_t;

struct skiff_plugin {
    /* Fixed header: never moves, never changes meaning. */
    uint32_t magic;          /* SKIFF_PLUGIN_MAGIC */
    uint16_t abi_major;      /* SKIFF_ABI_MAJOR the plugin was built with */
    uint16_t abi_minor;      /* SKIFF_ABI_MINOR the plugin was built with */
    uint32_t size;           /* sizeof(skiff_plugin_t) as built */
    uint32_t reserved0;
    const char *build_sig;   /* SKIFF_SDK_SIGNATURE plus compiler, informative */

    /* ABI 1.0 */
    uint32_t kind;           /* skiff_kind_t */
    uint32_t reserved1;
    const char *name;        /* [a-z0-9-]+, unique per kind */
    const char *version;     /* the plugin's own version, e.g. "0.1.0" */
    const char *description;
    const skiff_config_key_t *config; /* may be NULL */
    size_t instance_size;    /* bytes the host allocates per instance (may be 0) */

    /* Lifecycle, all optional. `self` is the instance block; `ctx` is the
     * host's handle for this instance, passed back in every host call.
     * init: check settings beyond the key table, allocate; on failure fill
     *       err (shown to the user as the plugin's own message) and return <0;
     *       fini is still called (it must cope with a half-done init).
     * start: begin background work (threads) once every plugin is loaded.
     * stop: end background work; must be idempotent.
     * fini: release everything init acquired; must be idempotent. */
    int (*init)(const skiff_host_t *host, skiff_ctx_t *ctx, void *self, skiff_error_t *err);
    int (*start)(void *self, skiff_error_t *err);
    void (*stop)(void *self);
    void (*fini)(void *self);

    /* The kind's ops table. It begins with a uint32_t `size` field; the host
     * uses only the slots that lie within that size. */
    const void *ops;
};

#define SKIFF_PLUGIN_HEADER                                     \
    .magic = SKIFF_PLUGIN_MAGIC, .abi_major = SKIFF_ABI_MAJOR,  \
    .abi_minor = SKIFF_ABI_MINOR, .size = sizeof(skiff_plugin_t), \
    .build_sig = SKIFF_SDK_SIGNATURE " " __VERSION__

/* True when an ops table of the given type has the slot `field` filled. */
#define SKIFF_OPS_HAS(ops, type, field)                                       \
    ((ops) != NULL && offsetof(type, field) + sizeof(((type *)0)->field) <= (ops)->size \
     && (ops)->field != NULL)

#endif
