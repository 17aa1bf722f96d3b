/* tests/store/minihost.h — a minimal host for driving a store plugin outside
 * the core (plugin unit tests, the crash driver, the store benchmark) until
 * they can use core/plugin's loader. Header-only; static functions.
 *
 * It fills the instance block from the plugin's key table (defaults, then
 * "key=value" overrides) for the types stores use: string, int, bool,
 * quantity (plain, k/M/G/T, Ki/Mi/Gi/Ti) and duration (ns/us/ms/s/m/h).
 */
#ifndef SKIFF_TESTS_MINIHOST_H
#define SKIFF_TESTS_MINIHOST_H

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <skiff/plugin.h>
#include <skiff/store.h>

static int mh_log_level = SKIFF_LOG_WARN;
static int mh_log_enabled(skiff_ctx_t *c, int l) { (void)c; return l <= mh_log_level; }
static void mh_log(skiff_ctx_t *c, int l, const char *fmt, ...)
{
    (void)c;
    if (l > mh_log_level) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "# [store] ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}
static int64_t mh_rt(void) { struct timespec t; clock_gettime(CLOCK_REALTIME, &t); return t.tv_sec * 1000000000LL + t.tv_nsec; }
static int64_t mh_mono(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000LL + t.tv_nsec; }
static int mh_cfg_none_s(skiff_ctx_t *c, const char *k, const char **o) { (void)c; (void)k; (void)o; return SKIFF_E_NOTFOUND; }
static int mh_cfg_none_i(skiff_ctx_t *c, const char *k, int64_t *o) { (void)c; (void)k; (void)o; return SKIFF_E_NOTFOUND; }
static int mh_cfg_none_b(skiff_ctx_t *c, const char *k, int *o) { (void)c; (void)k; (void)o; return SKIFF_E_NOTFOUND; }
static int mh_cfg_none_d(skiff_ctx_t *c, const char *k, double *o) { (void)c; (void)k; (void)o; return SKIFF_E_NOTFOUND; }

static const skiff_host_t mh_host = {
    .size = sizeof(skiff_host_t), .abi_major = SKIFF_ABI_MAJOR, .abi_minor = SKIFF_ABI_MINOR,
    .log_enabled = mh_log_enabled, .log = mh_log,
    .config_string = mh_cfg_none_s, .config_int = mh_cfg_none_i,
    .config_bool = mh_cfg_none_b, .config_double = mh_cfg_none_d,
    .clock_realtime_ns = mh_rt, .clock_monotonic_ns = mh_mono,
    .alloc = malloc, .calloc = calloc, .realloc = realloc, .free = free,
};

static int mh_parse_quantity(const char *s, int64_t *milli)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s) return -1;
    static const struct { const char *sfx; double mul; } t[] = {
        { "Ki", 1024.0 }, { "Mi", 1048576.0 }, { "Gi", 1073741824.0 }, { "Ti", 1099511627776.0 },
        { "k", 1e3 }, { "M", 1e6 }, { "G", 1e9 }, { "T", 1e12 }, { "m", 1e-3 }, { "", 1 } };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcmp(end, t[i].sfx) == 0) { *milli = (int64_t)(v * t[i].mul * 1000.0 + 0.5); return 0; }
    return -1;
}

static int mh_parse_duration(const char *s, int64_t *ms)
{
    double total = 0;
    if (strcmp(s, "0") == 0) { *ms = 0; return 0; }
    while (*s) {
        char *end;
        double v = strtod(s, &end);
        if (end == s) return -1;
        s = end;
        double mul;
        if (!strncmp(s, "ms", 2)) { mul = 1; s += 2; }
        else if (!strncmp(s, "us", 2)) { mul = 1e-3; s += 2; }
        else if (!strncmp(s, "ns", 2)) { mul = 1e-6; s += 2; }
        else if (*s == 's') { mul = 1e3; s++; }
        else if (*s == 'm') { mul = 60e3; s++; }
        else if (*s == 'h') { mul = 3600e3; s++; }
        else return -1;
        total += v * mul;
    }
    *ms = (int64_t)(total + 0.999);
    return 0;
}

static int mh_fill(const skiff_config_key_t *k, void *self, const char *val, skiff_error_t *err)
{
    char *p = (char *)self + k->offset;
    int64_t i;
    switch (k->type) {
    case SKIFF_CFG_STRING: *(const char **)p = val; return 0;
    case SKIFF_CFG_INT:
        { char *e; i = strtoll(val, &e, 10); if (*e) break; memcpy(p, &i, sizeof i); return 0; }
    case SKIFF_CFG_BOOL:
        if (!strcasecmp(val, "true") || !strcmp(val, "1")) { *(int *)p = 1; return 0; }
        if (!strcasecmp(val, "false") || !strcmp(val, "0")) { *(int *)p = 0; return 0; }
        break;
    case SKIFF_CFG_QUANTITY:
        if (mh_parse_quantity(val, &i) == 0) { memcpy(p, &i, sizeof i); return 0; }
        break;
    case SKIFF_CFG_DURATION:
        if (mh_parse_duration(val, &i) == 0) { memcpy(p, &i, sizeof i); return 0; }
        break;
    default:
        return skiff_error_set(err, SKIFF_E_UNSUPPORTED, "%s: type not supported by minihost", k->name);
    }
    return skiff_error_set(err, SKIFF_E_INVALID, "%s: bad value \"%s\"", k->name, val);
}

/* Allocate, configure and init an instance; on failure fini has run and
 * *self is NULL. settings: NULL-terminated "key=value" strings (kept). */
static int mh_instance_new(const skiff_plugin_t *d, const char *const *settings, void **self,
                           skiff_error_t *err)
{
    *self = NULL;
    /* String settings must outlive the caller's array (host-owned until
     * fini): copies go in the tail of the instance block. */
    size_t tail = 0;
    for (const char *const *s = settings; s && *s; s++) tail += strlen(*s) + 1;
    for (const skiff_config_key_t *k = d->config; k && k->name; k++)
        if (k->default_value) tail += strlen(k->default_value) + 1;
    size_t isz = (d->instance_size + 15) & ~(size_t)15;
    void *blk = calloc(1, isz + tail + 1);
    if (!blk) return skiff_error_set(err, -ENOMEM, "out of memory");
    char *strs = (char *)blk + isz;
    for (const skiff_config_key_t *k = d->config; k && k->name; k++) {
        const char *val = k->default_value;
        for (const char *const *s = settings; s && *s; s++) {
            size_t n = strlen(k->name);
            if (!strncmp(*s, k->name, n) && (*s)[n] == '=') val = *s + n + 1;
        }
        if (val) {
            size_t n = strlen(val) + 1;
            memcpy(strs, val, n);
            val = strs;
            strs += n;
        }
        if (!val) {
            if (k->flags & SKIFF_CFG_REQUIRED) {
                free(blk);
                return skiff_error_set(err, SKIFF_E_INVALID, "%s: required", k->name);
            }
            continue;
        }
        if ((k->flags & SKIFF_CFG_FILL)) {
            int rc = mh_fill(k, blk, val, err);
            if (rc) { free(blk); return rc; }
        }
    }
    int rc = d->init ? d->init(&mh_host, NULL, blk, err) : 0;
    if (rc) {
        if (d->fini) d->fini(blk);
        free(blk);
        return rc;
    }
    if (d->start && (rc = d->start(blk, err))) {
        if (d->stop) d->stop(blk);
        if (d->fini) d->fini(blk);
        free(blk);
        return rc;
    }
    *self = blk;
    return 0;
}

static void mh_instance_free(const skiff_plugin_t *d, void *self)
{
    if (!self) return;
    if (d->stop) d->stop(self);
    if (d->fini) d->fini(self);
    free(self);
}

/* dlopen a plugin file and return its descriptor (the handle stays open). */
__attribute__((unused)) static const skiff_plugin_t *mh_load(const char *path, skiff_error_t *err)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) { skiff_error_set(err, SKIFF_E_INVALID, "%s", dlerror()); return NULL; }
    const skiff_plugin_t *d = dlsym(h, SKIFF_PLUGIN_SYMBOL);
    if (!d || d->magic != SKIFF_PLUGIN_MAGIC || d->kind != SKIFF_KIND_STORE) {
        skiff_error_set(err, SKIFF_E_INVALID, "%s: not a skiff store plugin", path);
        return NULL;
    }
    return d;
}

#endif
