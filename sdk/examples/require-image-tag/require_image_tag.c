/* sdk/examples/require-image-tag — a third-party validating admission
 * plugin, built out of tree against sdk/include only (see
 * docs/admission-tutorial.md). It denies pods whose containers name an
 * image without a tag or digest ("nginx"), and, unless allow_latest is
 * set, images tagged ":latest": both make a rollout depend on whatever the
 * registry serves that day. */
#include <string.h>

#include <cjson/cJSON.h>
#include <skiff/skiff.h>

typedef struct rit {
    int allow_latest;           /* filled by the host from the config */
    const skiff_host_t *host;
    skiff_ctx_t *ctx;
} rit_t;

static int rit_init(const skiff_host_t *host, skiff_ctx_t *ctx, void *self, skiff_error_t *err)
{
    rit_t *r = self;
    r->host = host;
    r->ctx = ctx;
    (void)err;
    return 0;
}

/* The tag of "registry:5000/team/app:1.2" is "1.2": the part after the
 * last ':' that comes after the last '/'. A digest (@sha256:...) pins too. */
static const char *rit_tag(const char *image)
{
    if (strchr(image, '@')) return "@digest";
    const char *slash = strrchr(image, '/');
    const char *colon = strrchr(slash ? slash : image, ':');
    return colon ? colon + 1 : NULL;
}

static int rit_check_list(const rit_t *r, const cJSON *list, skiff_error_t *err)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, list) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
        const cJSON *image = cJSON_GetObjectItemCaseSensitive(c, "image");
        if (!cJSON_IsString(image)) continue;
        const char *cn = cJSON_IsString(name) ? name->valuestring : "";
        const char *tag = rit_tag(image->valuestring);
        if (!tag || !*tag) {
            skiff_error_set(err, SKIFF_E_INVALID,
                            "container \"%s\" image \"%s\" has no tag (name a version, e.g. %s:1.0)",
                            cn, image->valuestring, image->valuestring);
            return 1;
        }
        if (!r->allow_latest && strcmp(tag, "latest") == 0) {
            skiff_error_set(err, SKIFF_E_INVALID,
                            "container \"%s\" image \"%s\" uses the tag \"latest\"", cn, image->valuestring);
            return 1;
        }
    }
    return 0;
}

static int rit_admit(void *self, skiff_adm_request_t *req, skiff_adm_verdict_t *verdict,
                     skiff_error_t *err)
{
    rit_t *r = self;
    *verdict = SKIFF_ADM_ALLOW;
    if (req->op != SKIFF_ADM_CREATE && req->op != SKIFF_ADM_UPDATE) return 0;
    if (!req->object || (req->subresource && *req->subresource)) return 0;
    if ((req->group && *req->group) || !req->resource || strcmp(req->resource, "pods") != 0) return 0;
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(req->object, "spec");
    if (rit_check_list(r, cJSON_GetObjectItemCaseSensitive(spec, "initContainers"), err)
        || rit_check_list(r, cJSON_GetObjectItemCaseSensitive(spec, "containers"), err)) {
        *verdict = SKIFF_ADM_DENY;
        if (r->host->log_enabled(r->ctx, SKIFF_LOG_DEBUG))
            r->host->log(r->ctx, SKIFF_LOG_DEBUG, "denied pod %s/%s: %s", req->namespace_, req->name, err->msg);
    }
    return 0;
}

static const skiff_config_key_t rit_keys[] = {
    { "allow_latest", SKIFF_CFG_BOOL, "false", SKIFF_CFG_FILL, offsetof(rit_t, allow_latest),
      "accept images tagged :latest" },
    SKIFF_CONFIG_END,
};

static const skiff_admission_ops_t rit_ops = {
    .size = sizeof(skiff_admission_ops_t),
    .mutating = 0,
    .admit = rit_admit,
};

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_ADMISSION,
    .name = "require-image-tag",
    .version = "1.0.0",
    .description = "Denies pods whose images have no tag (or use :latest).",
    .config = rit_keys,
    .instance_size = sizeof(rit_t),
    .init = rit_init,
    .ops = &rit_ops,
};
