/* skiff/host.h — the table of host functions handed to every plugin.
 *
 * Plugins never link against the core: everything they need from the host
 * comes through this table, passed to init(). The table is append-only: a
 * newer minor ABI adds slots at the end and bumps SKIFF_ABI_MINOR; nothing is
 * removed or reordered within a major. A plugin that wants a slot added after
 * 1.0 checks for it with SKIFF_HOST_HAS(host, slot) before calling it (the
 * host may be older than the SDK the plugin was built with). See docs/abi.md.
 *
 * Every call takes the instance's ctx so the host can prefix logs with
 * [kind:name], find the instance's settings and clean up its subscriptions
 * at unload. All functions are thread-safe unless noted.
 */
#ifndef SKIFF_HOST_H
#define SKIFF_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "error.h"

typedef struct skiff_ctx skiff_ctx_t; /* opaque, host-owned, one per instance */

enum {
    SKIFF_LOG_ERROR = 0,
    SKIFF_LOG_WARN = 1,
    SKIFF_LOG_INFO = 2,
    SKIFF_LOG_DEBUG = 3,
    SKIFF_LOG_TRACE = 4,
};

typedef struct skiff_host {
    uint32_t size;       /* sizeof(skiff_host_t) as the host was built */
    uint16_t abi_major;  /* host's SKIFF_ABI_MAJOR */
    uint16_t abi_minor;  /* host's SKIFF_ABI_MINOR */

    /* --- log (1.0). The host adds the "[kind:name] " prefix. Check
     * log_enabled() before formatting anything expensive. */
    int (*log_enabled)(skiff_ctx_t *ctx, int level);
    void (*log)(skiff_ctx_t *ctx, int level, const char *fmt, ...) SKIFF_PRINTF(3, 4);

    /* --- config (1.0). Values of this instance's settings, after defaults
     * and conversion (quantities in milli-units, durations in ms). Returns 0,
     * or SKIFF_E_NOTFOUND when the key is unset and has no default, or
     * SKIFF_E_INVALID when the key has another type. Strings are host-owned
     * and valid until fini. */
    int (*config_string)(skiff_ctx_t *ctx, const char *key, const char **out);
    int (*config_int)(skiff_ctx_t *ctx, const char *key, int64_t *out);
    int (*config_bool)(skiff_ctx_t *ctx, const char *key, int *out);
    int (*config_double)(skiff_ctx_t *ctx, const char *key, double *out);

    /* --- event bus (1.0); see bus.h for delivery and ownership rules.
     * topic_open: declare (first caller, fixes the payload version) or look
     *   up a topic; a different version from an existing declaration is
     *   SKIFF_E_VERSION. The handle lives as long as the bus.
     * subscribe: `built_version` is the payload version the subscriber was
     *   compiled for; newer than the topic's → SKIFF_E_VERSION; unknown
     *   topic → SKIFF_E_NOTFOUND. opts may be NULL (sync delivery).
     * unsubscribe: returns after any running callback has finished; free_ud
     *   runs before it returns. Idempotent on a NULL sub. */
    int (*bus_topic_open)(skiff_ctx_t *ctx, const char *name, uint32_t payload_version,
                          skiff_bus_topic_t **out, skiff_error_t *err);
    int (*bus_publish)(skiff_bus_topic_t *topic, const void *payload, size_t len,
                       skiff_error_t *err);
    int (*bus_subscribe)(skiff_ctx_t *ctx, const char *name, uint32_t built_version,
                         const skiff_bus_sub_opts_t *opts, skiff_bus_cb cb, void *ud,
                         skiff_bus_free_fn free_ud, skiff_bus_sub_t **out, skiff_error_t *err);
    void (*bus_unsubscribe)(skiff_bus_sub_t *sub);

    /* --- clock (1.0) */
    int64_t (*clock_realtime_ns)(void);  /* wall clock, ns since the epoch */
    int64_t (*clock_monotonic_ns)(void); /* for timeouts and durations */

    /* --- memory (1.0). malloc semantics; memory from these may cross the
     * ABI (the host frees what a plugin allocated with them and vice versa). */
    void *(*alloc)(size_t n);
    void *(*calloc)(size_t n, size_t size);
    void *(*realloc)(void *p, size_t n);
    void (*free)(void *p);

    /* Slots added in later minors go below, never above. */

    /* --- cluster API (1.1). The API server running in this process, called
     * in-process (no HTTP). Check with SKIFF_HOST_HAS(host, api_get): a 1.0
     * host lacks them; without an API server in the process every call fails
     * with SKIFF_E_UNSUPPORTED.
     * Paths are API paths ("/api/v1/namespaces/default/pods/x",
     * "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations");
     * bodies and results are JSON text. Returns 0 for a 2xx answer, else a
     * negative code mapped from the Status (404 SKIFF_E_NOTFOUND, 409
     * AlreadyExists SKIFF_E_EXISTS, other 409 SKIFF_E_CONFLICT, 400/422
     * SKIFF_E_INVALID, else SKIFF_E_INTERNAL) with the Status message in err.
     * json_out may be NULL; when not, it receives the response body
     * (object, list or Status) on success *and* on a Status failure, to be
     * released with api_free(); it is NULL when no answer came.
     * Selectors are raw (not URL-encoded) and may be NULL. A write made from
     * inside an admission call passes through the admission chain itself:
     * a plugin must not hold a lock its own admit() takes while it writes. */
    int (*api_get)(skiff_ctx_t *ctx, const char *path, char **json_out, skiff_error_t *err);
    int (*api_list)(skiff_ctx_t *ctx, const char *path, const char *label_selector,
                    const char *field_selector, char **json_out, skiff_error_t *err);
    int (*api_create)(skiff_ctx_t *ctx, const char *path, const char *json, char **json_out,
                      skiff_error_t *err);
    int (*api_update)(skiff_ctx_t *ctx, const char *path, const char *json, char **json_out,
                      skiff_error_t *err);
    /* content_type: application/merge-patch+json, application/json-patch+json
     * or application/strategic-merge-patch+json */
    int (*api_patch)(skiff_ctx_t *ctx, const char *path, const char *content_type,
                     const char *json, char **json_out, skiff_error_t *err);
    int (*api_delete)(skiff_ctx_t *ctx, const char *path, char **json_out, skiff_error_t *err);
    void (*api_free)(char *json); /* NULL is fine */
} skiff_host_t;

/* True when the host provides `slot` (it is within the host's table and set). */
#define SKIFF_HOST_HAS(host, slot)                                            \
    ((host) != NULL && offsetof(skiff_host_t, slot) + sizeof((host)->slot) <= (host)->size \
     && (host)->slot != NULL)

#endif
