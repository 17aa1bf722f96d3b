/* core/admission/chain — see chain.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "admission/chain.h"
#include "log/log.h"

typedef struct link {
    skiff_instance_t *inst;
    const skiff_admission_ops_t *ops;
    void *self;
    const char *name;
} link_t;

struct skiff_adm_chain {
    size_t n;
    size_t nmut; /* links[0..nmut) are the mutating ones */
    link_t *links; /* mutating ones first, then validating, each in config order */
};

int skiff_adm_chain_new(skiff_instance_t *const *insts, size_t n, skiff_adm_chain_t **out,
                        skiff_error_t *err)
{
    *out = NULL;
    skiff_adm_chain_t *c = calloc(1, sizeof *c);
    if (!c || (n && !(c->links = calloc(n, sizeof *c->links)))) {
        free(c);
        return skiff_error_set(err, -ENOMEM, "admission: out of memory");
    }
    /* Two passes keep the phases apart while preserving config order inside each. */
    for (int phase = 1; phase >= 0; phase--) {
        for (size_t i = 0; i < n; i++) {
            const skiff_plugin_t *d = skiff_instance_desc(insts[i]);
            if (!d || d->kind != SKIFF_KIND_ADMISSION) continue;
            const skiff_admission_ops_t *ops = skiff_instance_ops(insts[i]);
            if (!SKIFF_OPS_HAS(ops, skiff_admission_ops_t, admit)) continue;
            int mutating = SKIFF_OPS_HAS(ops, skiff_admission_ops_t, is_mutating)
                               ? ops->is_mutating(skiff_instance_self(insts[i])) : ops->mutating;
            if ((mutating != 0) != phase) continue;
            c->links[c->n++] = (link_t){ insts[i], ops, skiff_instance_self(insts[i]),
                                         skiff_instance_name(insts[i]) };
        }
        if (phase == 1) c->nmut = c->n;
    }
    *out = c;
    return 0;
}

void skiff_adm_chain_free(skiff_adm_chain_t *c)
{
    if (!c) return;
    free(c->links);
    free(c);
}

size_t skiff_adm_chain_len(const skiff_adm_chain_t *c) { return c ? c->n : 0; }

/* The long reason of the current plugin call; host_data is the outcome. */
typedef struct run_state { skiff_adm_outcome_t *out; char *reason; } run_state_t;

static void add_warning(skiff_adm_request_t *req, const char *msg)
{
    run_state_t *rs = req->host_data;
    skiff_adm_outcome_t *out = rs ? rs->out : NULL;
    if (!out || !msg || out->nwarnings >= SKIFF_ADM_MAX_WARNINGS) return;
    for (size_t i = 0; i < out->nwarnings; i++)
        if (strcmp(out->warnings[i], msg) == 0) return; /* once is enough */
    char *w = strdup(msg);
    if (w) out->warnings[out->nwarnings++] = w;
}


static void set_reason(skiff_adm_request_t *req, const char *msg)
{
    run_state_t *rs = req->host_data;
    if (!rs || !msg) return;
    free(rs->reason);
    rs->reason = strdup(msg);
}

static const char *op_word(skiff_adm_op_t op)
{
    return op == SKIFF_ADM_CREATE ? "create" : op == SKIFF_ADM_UPDATE ? "update"
         : op == SKIFF_ADM_DELETE ? "delete" : "connect";
}

/* One plugin call. 0: go on; 1: the request is refused (out filled). */
static int run_link(const link_t *l, skiff_adm_request_t *req, run_state_t *rs, skiff_adm_outcome_t *out)
{
    skiff_adm_verdict_t v = SKIFF_ADM_ALLOW;
    skiff_error_t err;
    skiff_error_clear(&err);
    if (rs->reason) { /* free(NULL) is not free with every allocator: 4 calls per request */
        free(rs->reason);
        rs->reason = NULL;
    }
    int rc = l->ops->admit(l->self, req, &v, &err);
    if (rs->reason) snprintf(err.msg, sizeof err.msg, "%s", rs->reason); /* for messages below */
    if (rc < 0 || (v != SKIFF_ADM_ALLOW && v != SKIFF_ADM_DENY && v != SKIFF_ADM_INVALID)) {
        out->code = SKIFF_ADM_OUT_ERROR;
        snprintf(out->plugin, sizeof out->plugin, "%s", l->name);
        if (rc >= 0)
            snprintf(out->reason, sizeof out->reason, "returned unknown verdict %d", (int)v);
        else
            snprintf(out->reason, sizeof out->reason, "%s",
                     rs->reason ? rs->reason : err.msg[0] ? err.msg : "failed without a message");
        skiff_log(SKIFF_LOG_ERROR, "admission",
                  "plugin %s failed on %s of %s%s%s %s/%s: %s; request refused", l->name, op_word(req->op),
                  req->resource ? req->resource : "", req->subresource && *req->subresource ? "/" : "",
                  req->subresource ? req->subresource : "", req->namespace_ ? req->namespace_ : "",
                  req->name ? req->name : "", out->reason);
        return 1;
    }
    if (v == SKIFF_ADM_DENY || v == SKIFF_ADM_INVALID) {
        out->code = v == SKIFF_ADM_DENY ? SKIFF_ADM_OUT_DENIED : SKIFF_ADM_OUT_INVALID;
        snprintf(out->plugin, sizeof out->plugin, "%s", l->name);
        snprintf(out->reason, sizeof out->reason, "%s",
                 rs->reason ? rs->reason : err.msg[0] ? err.msg : "denied");
        return 1;
    }
    return 0;
}

/* A snapshot slot meaning "call again whatever the object looks like". */
static cJSON reinvoke_always;

/* The mutating phase, with Kubernetes' single reinvocation pass. */
static int run_mutating(const skiff_adm_chain_t *c, skiff_adm_request_t *req, run_state_t *rs,
                        skiff_adm_outcome_t *out)
{
    cJSON **snap = NULL; /* per mutating link: the object after its call, when it asked */
    int refused = 0, asked = 0;
    for (size_t i = 0; i < c->nmut && !refused; i++) {
        req->reinvoke = 0;
        refused = run_link(&c->links[i], req, rs, out);
        if (refused || !req->reinvoke || !req->object) continue;
        if (!snap && !(snap = calloc(c->nmut, sizeof *snap))) {
            /* cannot remember who asked: skip the reinvocation rather than fail the write */
            skiff_log(SKIFF_LOG_WARN, "admission", "out of memory: webhook reinvocation skipped");
            continue;
        }
        asked = 1;
        snap[i] = req->reinvoke == SKIFF_ADM_REINVOKE_ALWAYS ? NULL : cJSON_Duplicate(req->object, 1);
        if (!snap[i]) snap[i] = &reinvoke_always;
    }
    /* as kube-apiserver: a second pass only when one that asked is now stale */
    int needed = 0;
    for (size_t i = 0; asked && !refused && i < c->nmut && !needed; i++)
        needed = snap[i] && (snap[i] == &reinvoke_always || !cJSON_Compare(snap[i], req->object, 1));
    if (needed) {
        req->reinvocation = 1;
        for (size_t i = 0; i < c->nmut && !refused; i++) {
            /* one that asked runs again only if the object changed since its call */
            if (snap[i] && snap[i] != &reinvoke_always && cJSON_Compare(snap[i], req->object, 1)) continue;
            req->reinvoke = 0;
            refused = run_link(&c->links[i], req, rs, out);
        }
        req->reinvocation = 0;
    }
    req->reinvoke = 0;
    if (snap) {
        for (size_t i = 0; i < c->nmut; i++)
            if (snap[i] != &reinvoke_always) cJSON_Delete(snap[i]);
        free(snap);
    }
    return refused;
}

int skiff_adm_chain_run(const skiff_adm_chain_t *c, skiff_adm_request_t *req,
                        skiff_adm_outcome_t *out)
{
    /* not a memset: the outcome is 4.4 KiB and every write passes here; the
     * strings are read only when the code says so, warnings up to nwarnings */
    out->code = SKIFF_ADM_OUT_ALLOWED;
    out->plugin[0] = '\0';
    out->reason[0] = '\0';
    out->nwarnings = 0;
    if (!c) return 0;
    void (*prev_warn)(skiff_adm_request_t *, const char *) = req->warn;
    void *prev_data = req->host_data;
    void (*prev_reason)(skiff_adm_request_t *, const char *) = req->set_reason;
    run_state_t rs = { out, NULL };
    req->size = sizeof *req;
    req->warn = add_warning;
    req->set_reason = set_reason;
    req->host_data = &rs;
    req->reinvocation = 0;
    req->reinvoke = 0;
    int ret = run_mutating(c, req, &rs, out);
    for (size_t i = c->nmut; i < c->n && !ret; i++) ret = run_link(&c->links[i], req, &rs, out);
    if (rs.reason) free(rs.reason);
    req->warn = prev_warn;
    req->set_reason = prev_reason;
    req->host_data = prev_data;
    return ret;
}

void skiff_adm_outcome_free(skiff_adm_outcome_t *out)
{
    if (!out) return;
    for (size_t i = 0; i < out->nwarnings; i++) free(out->warnings[i]);
    out->nwarnings = 0;
}
