/* Plugin instances: allocate, configure, init/start/stop/fini; see plugin.h. */
#include "plugin/internal.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


typedef struct report_ctx {
    skiff_instance_report_fn fwd;
    void *ud;
    skiff_error_t *err;
    int seen;
} report_ctx_t;

static void report_problem(void *ud, int line, const char *msg)
{
    report_ctx_t *rc = ud;
    if (!rc->seen++) skiff_error_set(rc->err, SKIFF_E_INVALID, "%s", msg);
    if (rc->fwd) rc->fwd(rc->ud, line, msg);
}

/* The file an address lies in ("" when none): the descriptor itself, or for
 * the registry's copy (on the heap) its name string, which the file holds. */
static char *addr_path(const void *addr)
{
    Dl_info info;
    if (addr && dladdr(addr, &info) && info.dli_fname) return strdup(info.dli_fname);
    return strdup("");
}

static void instance_destroy(skiff_instance_t *inst)
{
    struct skiff_ctx *ctx = &inst->ctx;
    if (ctx->started && ctx->desc.stop) ctx->desc.stop(ctx->self);
    ctx->started = 0;
    if (ctx->inited && ctx->desc.fini) ctx->desc.fini(ctx->self);
    ctx->inited = 0;
    /* After fini, so a plugin may still unsubscribe itself in fini. */
    if (ctx->bus) skiff_bus_unsubscribe_owner(ctx->bus, ctx);
    skiff_settings_free(ctx->settings);
    free(ctx->self);
    free(ctx->name);
    free(ctx->path);
    free(inst);
}

int skiff_instance_new_raw(const skiff_plugin_t *desc, const char *instance_name,
                           const struct skiff_raw_setting *raw, size_t n, skiff_bus_t *bus,
                           skiff_instance_report_fn report, void *ud,
                           skiff_instance_t **out, skiff_error_t *err)
{
    *out = NULL;
    skiff_error_clear(err);
    if (!desc) return skiff_error_set(err, SKIFF_E_INVALID, "no plugin descriptor");
    skiff_instance_t *inst = calloc(1, sizeof *inst);
    if (!inst) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    struct skiff_ctx *ctx = &inst->ctx;
    ctx->bus = bus;
    ctx->path = addr_path(desc);
    int rc;
    if (!ctx->path) goto oom;
    /* A descriptor from the registry is already checked; one linked into a
     * test is checked here the same way. */
    rc = skiff_plugin_check_desc(*ctx->path ? ctx->path : "plugin", desc, 0, &ctx->desc, err);
    if (rc < 0) goto fail;
    if (!*ctx->path) {
        free(ctx->path);
        if (!(ctx->path = addr_path(ctx->desc.name))) goto oom;
    }
    if (!instance_name || !*instance_name) instance_name = ctx->desc.name;
    if (!(ctx->name = strdup(instance_name))) goto oom;
    const char *kind = skiff_kind_name(ctx->desc.kind);
    snprintf(ctx->prefix, sizeof ctx->prefix, "%s:%s", kind, ctx->desc.name);

    char where[160];
    snprintf(where, sizeof where, "%s/%s", kind, ctx->desc.name);
    report_ctx_t rctx = { report, ud, err, 0 };
    rc = skiff_settings_build(ctx->desc.config, where, raw, n, report_problem, &rctx,
                              &ctx->settings);
    if (rc == SKIFF_E_NOSPACE) goto oom;
    if (rc != 0) {
        rc = SKIFF_E_INVALID;
        goto fail;
    }
    if (ctx->desc.instance_size) {
        if (!(ctx->self = calloc(1, ctx->desc.instance_size))) goto oom;
    }
    rc = skiff_settings_fill(ctx->settings, ctx->self, ctx->desc.instance_size, err);
    if (rc < 0) {
        char m[SKIFF_ERROR_MSG_MAX];
        snprintf(m, sizeof m, "%s", err->msg);
        skiff_error_set(err, rc, "%s: %s: %s", ctx->path, where, m);
        goto fail;
    }
    if (ctx->desc.init) {
        skiff_error_t ierr;
        skiff_error_clear(&ierr);
        ctx->inited = 1; /* fini runs even after a failed init */
        rc = ctx->desc.init(skiff_host_table(), ctx, ctx->self, &ierr);
        if (rc < 0) {
            skiff_error_set(err, rc, "%s: init of %s instance \"%s\" failed: %s", ctx->path,
                            where, ctx->name, ierr.msg[0] ? ierr.msg : "(no message given)");
            goto fail;
        }
    } else {
        ctx->inited = 1;
    }
    *out = inst;
    return 0;
oom:
    rc = skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory creating a plugin instance");
fail:
    instance_destroy(inst);
    return rc;
}

int skiff_instance_new(const skiff_plugin_t *desc, const char *instance_name,
                       const char *const *settings, skiff_bus_t *bus,
                       skiff_instance_t **out, skiff_error_t *err)
{
    size_t n = 0;
    while (settings && settings[n]) n++;
    skiff_raw_setting_t *raw = calloc(n ? n : 1, sizeof *raw);
    char **keys = calloc(n ? n : 1, sizeof *keys);
    int rc = 0;
    *out = NULL;
    if (!raw || !keys) {
        rc = skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(settings[i], '=');
        if (!eq || eq == settings[i]) {
            rc = skiff_error_set(err, SKIFF_E_INVALID,
                                 "setting \"%s\" is not of the form key=value", settings[i]);
            goto done;
        }
        if (!(keys[i] = strndup(settings[i], (size_t)(eq - settings[i])))) {
            rc = skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
            goto done;
        }
        raw[i].key = keys[i];
        raw[i].kind = SKIFF_RAW_TEXT;
        raw[i].str = eq + 1;
    }
    rc = skiff_instance_new_raw(desc, instance_name, raw, n, bus, NULL, NULL, out, err);
done:
    for (size_t i = 0; keys && i < n; i++) free(keys[i]);
    free(keys);
    free(raw);
    return rc;
}

int skiff_instance_start(skiff_instance_t *inst, skiff_error_t *err)
{
    struct skiff_ctx *ctx = &inst->ctx;
    if (ctx->started) return 0;
    if (ctx->desc.start) {
        skiff_error_t serr;
        skiff_error_clear(&serr);
        int rc = ctx->desc.start(ctx->self, &serr);
        if (rc < 0)
            return skiff_error_set(err, rc, "%s instance \"%s\": start failed: %s", ctx->prefix,
                                   ctx->name, serr.msg[0] ? serr.msg : "(no message given)");
    }
    ctx->started = 1;
    return 0;
}

void skiff_instance_stop(skiff_instance_t *inst)
{
    if (!inst || !inst->ctx.started) return;
    if (inst->ctx.desc.stop) inst->ctx.desc.stop(inst->ctx.self);
    inst->ctx.started = 0;
}

void skiff_instance_free(skiff_instance_t *inst)
{
    if (inst) instance_destroy(inst);
}

void *skiff_instance_self(const skiff_instance_t *inst) { return inst->ctx.self; }
const void *skiff_instance_ops(const skiff_instance_t *inst) { return inst->ctx.desc.ops; }
const skiff_plugin_t *skiff_instance_desc(const skiff_instance_t *inst) { return &inst->ctx.desc; }
const char *skiff_instance_name(const skiff_instance_t *inst) { return inst->ctx.name; }
const char *skiff_instance_path(const skiff_instance_t *inst) { return inst->ctx.path; }
