/* TEMPORARY: a minimal dlopen loader and host table until the core's loader
 * (core/plugin/plugin.h) lands on main; then this file calls it instead. */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <skiff/plugin.h>

#include "loader.h"

struct store_handle {
    const skiff_plugin_t *desc;
    void *self;
    int started;
};

static int h_log_enabled(skiff_ctx_t *ctx, int level) { return level <= SKIFF_LOG_WARN; }
static void h_log(skiff_ctx_t *ctx, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "# [store] ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}
static int64_t h_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}
static int64_t h_real(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}
static const skiff_host_t host = {
    .size = sizeof(skiff_host_t), .abi_major = SKIFF_ABI_MAJOR, .abi_minor = SKIFF_ABI_MINOR,
    .log_enabled = h_log_enabled, .log = h_log,
    .clock_realtime_ns = h_real, .clock_monotonic_ns = h_mono,
    .alloc = malloc, .calloc = calloc, .realloc = realloc, .free = free,
};

static int parse_duration(const char *v, int64_t *ms)
{
    double total = 0;
    const char *p = v;
    while (*p) {
        char *e;
        double n = strtod(p, &e);
        if (e == p)
            return -1;
        double mul;
        if (!strncmp(e, "ms", 2)) { mul = 1; e += 2; }
        else if (*e == 's') { mul = 1000; e++; }
        else if (*e == 'm') { mul = 60000; e++; }
        else if (*e == 'h') { mul = 3600000; e++; }
        else return -1;
        total += n * mul;
        p = e;
    }
    *ms = (int64_t)total;
    return 0;
}

int store_open(const char *so_path, const char *const *settings, store_handle_t **out,
               skiff_error_t *err)
{
    *out = NULL;
    void *dl = dlopen(so_path, RTLD_NOW | RTLD_LOCAL); /* kept open for the process */
    if (!dl)
        return skiff_error_set(err, SKIFF_E_INVALID, "%s", dlerror());
    const skiff_plugin_t *d = dlsym(dl, SKIFF_PLUGIN_SYMBOL);
    if (!d || d->magic != SKIFF_PLUGIN_MAGIC || d->kind != SKIFF_KIND_STORE)
        return skiff_error_set(err, SKIFF_E_INVALID, "%s: not a skiff store plugin", so_path);
    store_handle_t *h = calloc(1, sizeof *h);
    h->desc = d;
    h->self = calloc(1, d->instance_size ? d->instance_size : 1);
    for (const skiff_config_key_t *k = d->config; k && k->name; k++) {
        const char *v = k->default_value;
        size_t nl = strlen(k->name);
        for (const char *const *s = settings; s && *s; s++)
            if (!strncmp(*s, k->name, nl) && (*s)[nl] == '=')
                v = *s + nl + 1;
        if (!v || !(k->flags & SKIFF_CFG_FILL))
            continue;
        char *base = (char *)h->self + k->offset;
        if (k->type == SKIFF_CFG_INT)
            *(int64_t *)base = strtoll(v, NULL, 10);
        else if (k->type == SKIFF_CFG_DURATION && parse_duration(v, (int64_t *)base) != 0)
            return skiff_error_set(err, SKIFF_E_INVALID, "%s: bad duration \"%s\"", k->name, v);
        else if (k->type == SKIFF_CFG_STRING)
            *(const char **)base = v;
        else if (k->type == SKIFF_CFG_BOOL)
            *(int *)base = !strcmp(v, "true") || !strcmp(v, "1");
    }
    int rc = d->init ? d->init(&host, NULL, h->self, err) : 0;
    if (rc == 0 && d->start) {
        rc = d->start(h->self, err);
        h->started = rc == 0;
    }
    if (rc != 0) {
        store_close(h);
        return rc;
    }
    *out = h;
    return 0;
}

void store_close(store_handle_t *h)
{
    if (!h)
        return;
    if (h->started && h->desc->stop)
        h->desc->stop(h->self);
    if (h->desc->fini)
        h->desc->fini(h->self);
    free(h->self);
    free(h);
}

const skiff_store_ops_t *store_ops(const store_handle_t *h) { return h->desc->ops; }
void *store_self(const store_handle_t *h) { return h->self; }
