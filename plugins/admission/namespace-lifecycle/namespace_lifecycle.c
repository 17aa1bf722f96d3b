/* admission/namespace-lifecycle: what kube-apiserver's NamespaceLifecycle
 * does. Nothing may be created in a namespace that does not exist or is
 * being deleted (it carries a deletionTimestamp), and the system namespaces
 * may not be deleted. The namespaces themselves are created at first start
 * by the API server's bootstrap (core/api/component.c), which passes through
 * this chain like any other create. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <skiff/skiff.h>

#include "../common/adm_cache.h"
#include "../common/adm_util.h"

typedef struct nslc {
    const char *const *immortal; /* filled: namespaces that may not be deleted */
    const skiff_host_t *host;
    skiff_ctx_t *ctx;
    adm_cache_t cache; /* namespace name -> the Namespace (or absent) */
} nslc_t;

static int nslc_init(const skiff_host_t *host, skiff_ctx_t *ctx, void *self, skiff_error_t *err)
{
    nslc_t *n = self;
    n->host = host;
    n->ctx = ctx;
    if (!SKIFF_HOST_HAS(host, api_get))
        return skiff_error_set(err, SKIFF_E_VERSION,
                               "needs a host with the cluster API (ABI 1.1 api_get); this host speaks ABI %u.%u",
                               host->abi_major, host->abi_minor);
    if (adm_cache_init(&n->cache, host, 30000, 500) < 0)
        return skiff_error_set(err, SKIFF_E_INTERNAL, "cannot create a mutex");
    return 0;
}

static void nslc_fini(void *self) { adm_cache_fini(&((nslc_t *)self)->cache); }

static int nslc_immortal(const nslc_t *n, const char *name)
{
    for (const char *const *p = n->immortal; p && *p; p++)
        if (strcmp(*p, name) == 0) return 1;
    return 0;
}

/* Kinds Kubernetes lets through into a terminating namespace: the objects
 * that report on or review the deletion itself. */
static int nslc_allowed_while_terminating(const skiff_adm_request_t *req)
{
    return req->resource && (strcmp(req->resource, "events") == 0);
}

/* What is kept of a Namespace: whether it is terminating. */
static cJSON *nslc_reduce(cJSON *ns)
{
    int terminating = adm_path(ns, "metadata.deletionTimestamp") != NULL
                      || (adm_str(ns, "status.phase") && strcmp(adm_str(ns, "status.phase"), "Terminating") == 0);
    cJSON_Delete(ns);
    return cJSON_CreateBool(terminating);
}

static int nslc_view(const cJSON *ns, void *arg)
{
    *(int *)arg = !ns ? 0 : cJSON_IsTrue(ns) ? 2 : 1;
    return 1;
}

static int nslc_admit(void *self, skiff_adm_request_t *req, skiff_adm_verdict_t *verdict,
                      skiff_error_t *err)
{
    nslc_t *n = self;
    *verdict = SKIFF_ADM_ALLOW;
    const char *res = req->resource ? req->resource : "";
    if (strcmp(res, "namespaces") == 0 && (!req->group || !*req->group) && req->name)
        adm_cache_invalidate(&n->cache, req->name); /* it is being written */
    if (req->op == SKIFF_ADM_DELETE && strcmp(res, "namespaces") == 0 && (!req->group || !*req->group)) {
        if (req->name && nslc_immortal(n, req->name)) {
            *verdict = SKIFF_ADM_DENY;
            skiff_error_set(err, SKIFF_E_INVALID, "this namespace may not be deleted");
        }
        return 0;
    }
    if (req->op != SKIFF_ADM_CREATE || !req->namespace_ || !*req->namespace_) return 0;

    int state = 0; /* nslc_view: 0 absent, 1 there, 2 terminating */
    int rc = adm_cache_view_ns(&n->cache, n->ctx, req->namespace_, "", 0, nslc_reduce, nslc_view, &state,
                               sizeof state, err);
    if (rc < 0) return rc;
    if (!state) {
        *verdict = SKIFF_ADM_DENY;
        skiff_error_set(err, SKIFF_E_NOTFOUND, "namespace \"%s\" does not exist", req->namespace_);
        return 0;
    }
    int terminating = state == 2;
    if (terminating && !nslc_allowed_while_terminating(req)) {
        *verdict = SKIFF_ADM_DENY;
        skiff_error_set(err, SKIFF_E_INVALID,
                        "unable to create new content in namespace %s because it is being terminated",
                        req->namespace_);
    }
    return 0;
}

static const skiff_config_key_t nslc_keys[] = {
    { "immortal", SKIFF_CFG_STRLIST, "default,kube-system,kube-public,kube-node-lease",
      SKIFF_CFG_FILL, offsetof(nslc_t, immortal), "namespaces that may never be deleted" },
    SKIFF_CONFIG_END,
};

static const skiff_admission_ops_t nslc_ops = {
    .size = sizeof(skiff_admission_ops_t),
    .mutating = 0,
    .admit = nslc_admit,
};

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_ADMISSION,
    .name = "namespace-lifecycle",
    .version = "0.1.0",
    .description = "Refuses creation in missing or terminating namespaces; keeps system namespaces.",
    .config = nslc_keys,
    .instance_size = sizeof(nslc_t),
    .init = nslc_init,
    .fini = nslc_fini,
    .ops = &nslc_ops,
};
