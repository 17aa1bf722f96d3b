/* admission/require-label: a validating admission plugin that denies
 * creates and updates of objects lacking a configured label (the job
 * Gatekeeper's K8sRequiredLabels does, in a few lines). */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <skiff/skiff.h>

typedef struct require_label {
    const char *label;                 /* filled by the host (SKIFF_CFG_FILL) */
    const char *const *resources;      /* filled; empty = every resource */
    const skiff_host_t *host;
    skiff_ctx_t *ctx;
} require_label_t;

/* A Kubernetes label key: optional DNS-subdomain prefix and '/', then a
 * name of at most 63 characters of [A-Za-z0-9._-] beginning and ending
 * with an alphanumeric. */
static int require_label_valid_name(const char *s, size_t n)
{
    if (n == 0 || n > 63) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && c != '-' && c != '_' && c != '.') return 0;
        if ((i == 0 || i == n - 1) && !alnum) return 0;
    }
    return 1;
}

static int require_label_valid_key(const char *key)
{
    const char *slash = strchr(key, '/');
    if (!slash) return require_label_valid_name(key, strlen(key));
    size_t plen = (size_t)(slash - key);
    if (plen == 0 || plen > 253) return 0;
    for (size_t i = 0; i < plen; i++) {
        char c = key[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return 0;
    }
    return require_label_valid_name(slash + 1, strlen(slash + 1));
}

static int require_label_init(const skiff_host_t *host, skiff_ctx_t *ctx, void *self,
                              skiff_error_t *err)
{
    require_label_t *rl = self;
    rl->host = host;
    rl->ctx = ctx;
    if (!require_label_valid_key(rl->label))
        return skiff_error_set(err, SKIFF_E_INVALID,
                               "label \"%s\" is not a valid label key (want [prefix/]name, name "
                               "up to 63 characters of [A-Za-z0-9._-])",
                               rl->label);
    if (host->log_enabled(ctx, SKIFF_LOG_DEBUG))
        host->log(ctx, SKIFF_LOG_DEBUG, "requiring label \"%s\"", rl->label);
    return 0;
}

static int require_label_applies(const require_label_t *rl, const skiff_adm_request_t *req)
{
    if (req->op != SKIFF_ADM_CREATE && req->op != SKIFF_ADM_UPDATE) return 0;
    if (req->subresource && req->subresource[0]) return 0; /* status, binding, ... */
    if (!rl->resources || !rl->resources[0]) return 1;
    for (const char *const *r = rl->resources; *r; r++)
        if (req->resource && strcmp(*r, req->resource) == 0) return 1;
    return 0;
}

static int require_label_admit(void *self, skiff_adm_request_t *req, skiff_adm_verdict_t *verdict,
                               skiff_error_t *err)
{
    require_label_t *rl = self;
    *verdict = SKIFF_ADM_ALLOW;
    if (!require_label_applies(rl, req) || !req->object) return 0;
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(req->object, "metadata");
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(meta, "labels");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(labels, rl->label);
    if (cJSON_IsString(v)) return 0;
    *verdict = SKIFF_ADM_DENY;
    skiff_error_set(err, SKIFF_E_INVALID, "missing required label \"%s\"", rl->label);
    return 0;
}

static const skiff_config_key_t require_label_keys[] = {
    { "label", SKIFF_CFG_STRING, NULL, SKIFF_CFG_REQUIRED | SKIFF_CFG_FILL,
      offsetof(require_label_t, label), "label key every object must carry" },
    { "resources", SKIFF_CFG_STRLIST, NULL, SKIFF_CFG_FILL,
      offsetof(require_label_t, resources),
      "resources (plural, e.g. pods) to check; unset = all" },
    SKIFF_CONFIG_END,
};

static const skiff_admission_ops_t require_label_ops = {
    .size = sizeof(skiff_admission_ops_t),
    .mutating = 0,
    .admit = require_label_admit,
};

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_ADMISSION,
    .name = "require-label",
    .version = "0.1.0",
    .description = "Denies creates and updates of objects that lack a configured label.",
    .config = require_label_keys,
    .instance_size = sizeof(require_label_t),
    .init = require_label_init,
    .ops = &require_label_ops,
};
