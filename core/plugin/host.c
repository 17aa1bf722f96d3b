/* The skiff_host_t table handed to every plugin's init(); see host.h. */
#include "plugin/internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <time.h>

#include "log/log.h"
#include "plugin/host_api.h"

static int host_log_enabled(skiff_ctx_t *ctx, int level)
{
    (void)ctx;
    return skiff_log_enabled(level);
}

static void host_log(skiff_ctx_t *ctx, int level, const char *fmt, ...)
{
    if (!skiff_log_enabled(level)) return;
    va_list ap;
    va_start(ap, fmt);
    skiff_logv(level, ctx ? ctx->prefix : NULL, fmt, ap);
    va_end(ap);
}

static int host_config_string(skiff_ctx_t *ctx, const char *key, const char **out)
{
    return skiff_settings_string(ctx->settings, key, out);
}

static int host_config_int(skiff_ctx_t *ctx, const char *key, int64_t *out)
{
    return skiff_settings_int(ctx->settings, key, out);
}

static int host_config_bool(skiff_ctx_t *ctx, const char *key, int *out)
{
    return skiff_settings_bool(ctx->settings, key, out);
}

static int host_config_double(skiff_ctx_t *ctx, const char *key, double *out)
{
    return skiff_settings_double(ctx->settings, key, out);
}

static int no_bus(skiff_ctx_t *ctx, skiff_error_t *err)
{
    return skiff_error_set(err, SKIFF_E_UNSUPPORTED, "%s: no event bus in this process",
                           ctx ? ctx->prefix : "plugin");
}

static int host_bus_topic_open(skiff_ctx_t *ctx, const char *name, uint32_t payload_version,
                               skiff_bus_topic_t **out, skiff_error_t *err)
{
    if (!ctx || !ctx->bus) return no_bus(ctx, err);
    return skiff_bus_topic_open(ctx->bus, name, payload_version, out, err);
}

static int host_bus_publish(skiff_bus_topic_t *topic, const void *payload, size_t len,
                            skiff_error_t *err)
{
    return skiff_bus_publish(topic, payload, len, err);
}

static int host_bus_subscribe(skiff_ctx_t *ctx, const char *name, uint32_t built_version,
                              const skiff_bus_sub_opts_t *opts, skiff_bus_cb cb, void *ud,
                              skiff_bus_free_fn free_ud, skiff_bus_sub_t **out, skiff_error_t *err)
{
    if (!ctx || !ctx->bus) return no_bus(ctx, err);
    /* Owner = ctx, so the instance's subscriptions go when it is freed. */
    return skiff_bus_subscribe(ctx->bus, ctx, name, built_version, opts, cb, ud, free_ud, out,
                               err);
}

static void host_bus_unsubscribe(skiff_bus_sub_t *sub)
{
    if (sub) skiff_bus_unsubscribe(sub);
}

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t host_clock_realtime_ns(void) { return clock_ns(CLOCK_REALTIME); }
static int64_t host_clock_monotonic_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

/* Wrappers rather than the libc pointers themselves, so the table holds
 * addresses inside the host (and ASan's interceptors still apply). */
static void *host_alloc(size_t n) { return malloc(n); }
static void *host_calloc(size_t n, size_t size) { return calloc(n, size); }
static void *host_realloc(void *p, size_t n) { return realloc(p, n); }
static void host_free(void *p) { free(p); }

static const skiff_host_t host_table = {
    .size = sizeof(skiff_host_t),
    .abi_major = SKIFF_ABI_MAJOR,
    .abi_minor = SKIFF_ABI_MINOR,
    .log_enabled = host_log_enabled,
    .log = host_log,
    .config_string = host_config_string,
    .config_int = host_config_int,
    .config_bool = host_config_bool,
    .config_double = host_config_double,
    .bus_topic_open = host_bus_topic_open,
    .bus_publish = host_bus_publish,
    .bus_subscribe = host_bus_subscribe,
    .bus_unsubscribe = host_bus_unsubscribe,
    .clock_realtime_ns = host_clock_realtime_ns,
    .clock_monotonic_ns = host_clock_monotonic_ns,
    .alloc = host_alloc,
    .calloc = host_calloc,
    .realloc = host_realloc,
    .free = host_free,
    .api_get = skiff_host_api_get,
    .api_list = skiff_host_api_list,
    .api_create = skiff_host_api_create,
    .api_update = skiff_host_api_update,
    .api_patch = skiff_host_api_patch,
    .api_delete = skiff_host_api_delete,
    .api_free = skiff_host_api_free,
};

const skiff_host_t *skiff_host_table(void) { return &host_table; }
