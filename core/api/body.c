/* core/api/body — request bodies to cJSON: JSON (any charset parameter),
 * YAML and kubectl's protobuf envelopes through the manifest/protobuf
 * libraries when they are built in. Errors say where the body is wrong. */
#include <stdio.h>
#include <string.h>

#include "api/body.h"
#include "api/protobuf.h"
#include "manifest/manifest.h"

static int ctype_is(const char *ct, const char *want)
{
    size_t n = strcspn(ct, ";");
    while (n && ct[n - 1] == ' ') n--;
    return n == strlen(want) && strncasecmp(ct, want, n) == 0;
}

cJSON *apisrv_body_parse(apisrv_call_t *c, int any_json)
{
    const skiff_api_request_t *r = c->req;
    const char *ct = r->content_type && *r->content_type ? r->content_type : "application/json";
    if (r->body_len == 0) {
        apisrv_fail(c, 400, "BadRequest", "the request body is empty; expected a JSON or YAML object");
        return NULL;
    }
    if (r->body_len > SKIFF_API_BODY_MAX) {
        apisrv_fail(c, 413, "RequestEntityTooLarge", "Request entity too large: limit is %u", SKIFF_API_BODY_MAX);
        return NULL;
    }
    skiff_error_t err;
    skiff_error_clear(&err);
    cJSON *o = NULL;
    if (ctype_is(ct, SKIFF_API_PROTOBUF_CONTENT_TYPE) && !any_json) {
        int rc = skiff_api_protobuf_decode(r->body, r->body_len, &o, &err);
        if (rc == SKIFF_E_UNSUPPORTED)
            apisrv_fail(c, 415, "UnsupportedMediaType", "%s", err.msg);
        else if (rc < 0)
            apisrv_fail(c, 400, "BadRequest", "the protobuf request body could not be decoded: %s", err.msg);
        return rc < 0 ? NULL : o;
    }
    if (ctype_is(ct, "application/json") || any_json || ctype_is(ct, "application/apply-patch+yaml")
        || ctype_is(ct, "application/yaml") || ctype_is(ct, "text/yaml")) {
        skiff_manifest_opts_t opts = { .max_bytes = SKIFF_API_BODY_MAX, .flags = SKIFF_MANIFEST_YAML11 };
        int rc = skiff_manifest_decode_body_opts(r->body, r->body_len, &opts, &o, &err);
        if (rc == SKIFF_E_TOOLARGE) apisrv_fail(c, 413, "RequestEntityTooLarge", "%s", err.msg);
        else if (rc < 0) apisrv_fail(c, 400, "BadRequest", "the request body could not be decoded: %s", err.msg);
        return rc < 0 ? NULL : o;
    }
    apisrv_fail(c, 415, "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf");
    return NULL;
}

int apisrv_body_check_kind(apisrv_call_t *c, cJSON *obj, const char *kind, const char *api_version)
{
    if (!cJSON_IsObject(obj)) {
        return apisrv_fail(c, 400, "BadRequest", "the request body must be a JSON object, not %s",
                           cJSON_IsArray(obj) ? "an array" : "a scalar"), -1;
    }
    const char *k = apisrv_str(obj, "kind"), *av = apisrv_str(obj, "apiVersion");
    const cJSON *kk = cJSON_GetObjectItemCaseSensitive(obj, "kind");
    const cJSON *aa = cJSON_GetObjectItemCaseSensitive(obj, "apiVersion");
    if ((kk && !k) || (aa && !av))
        return apisrv_fail(c, 400, "BadRequest", "kind and apiVersion must be strings"), -1;
    if ((k && *k && strcmp(k, kind) != 0) || (av && *av && strcmp(av, api_version) != 0))
        return apisrv_fail(c, 400, "BadRequest", "%s in version \"%s\" cannot be handled as a %s: no kind \"%s\" is registered for version \"%s\"",
                           k && *k ? k : kind, av && *av ? av : api_version, kind, k && *k ? k : kind,
                           av && *av ? av : api_version), -1;
    if (!k || !*k) { cJSON_DeleteItemFromObjectCaseSensitive(obj, "kind"); cJSON_AddStringToObject(obj, "kind", kind); }
    if (!av || !*av) { cJSON_DeleteItemFromObjectCaseSensitive(obj, "apiVersion"); cJSON_AddStringToObject(obj, "apiVersion", api_version); }
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    if (meta && !cJSON_IsObject(meta) && !cJSON_IsNull(meta))
        return apisrv_fail(c, 400, "BadRequest", "metadata must be an object"), -1;
    return 0;
}
