/* core/api/select — ?labelSelector= / ?fieldSelector= filtering of objects,
 * on the selector library (core/api/selector.h). Which fields a kind
 * exposes is the API server's business: the table below (kube's
 * GetAttrs/field label conversion funcs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "api/selector.h"

struct apisrv_filter {
    skiff_api_selector_t *labels;
    skiff_api_field_selector_t *fields;
};

static const char *const common_fields[] = { "metadata.name", "metadata.namespace", NULL };
static const char *const pod_fields[] = {
    "metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
    "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName", NULL
};
static const char *const node_fields[] = { "metadata.name", "spec.unschedulable", NULL };
static const char *const event_fields[] = {
    "metadata.name", "metadata.namespace", "involvedObject.kind", "involvedObject.namespace",
    "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion",
    "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "reportingComponent",
    "source", "type", NULL
};
static const char *const secret_fields[] = { "metadata.name", "metadata.namespace", "type", NULL };
static const char *const ns_fields[] = { "metadata.name", "status.phase", NULL };
static const char *const rs_fields[] = { "metadata.name", "metadata.namespace", "status.replicas", NULL };

static const char *const *fields_of(const apisrv_resource_t *r)
{
    if (!strcmp(r->kind, "Pod")) return pod_fields;
    if (!strcmp(r->kind, "Node")) return node_fields;
    if (!strcmp(r->kind, "Event")) return event_fields;
    if (!strcmp(r->kind, "Secret")) return secret_fields;
    if (!strcmp(r->kind, "Namespace")) return ns_fields;
    if (!strcmp(r->kind, "ReplicaSet")) return rs_fields;
    return common_fields;
}

/* kube's quirks: `source` is source.component; a bool prints "true"/"false";
 * spec.unschedulable is "false" when absent. */
static int field_get(const cJSON *obj, const char *field, char *buf, size_t len, void *arg)
{
    (void)arg;
    if (!strcmp(field, "source")) return skiff_api_field_get_default(obj, "source.component", buf, len, NULL);
    if (!strcmp(field, "spec.unschedulable") || !strcmp(field, "spec.hostNetwork")) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "spec"), field + 5);
        snprintf(buf, len, "%s", cJSON_IsTrue(v) ? "true" : "false");
        return 0;
    }
    return skiff_api_field_get_default(obj, field, buf, len, NULL);
}

int apisrv_filter_new(apisrv_call_t *c, apisrv_filter_t **out)
{
    *out = NULL;
    apisrv_filter_t *f = calloc(1, sizeof *f);
    if (!f) return apisrv_fail(c, 500, "InternalError", "out of memory"), -1;
    const char *ls = apisrv_param(c, "labelSelector"), *fs = apisrv_param(c, "fieldSelector");
    skiff_error_t err;
    skiff_error_clear(&err);
    if (ls && *ls && skiff_api_label_selector_parse(ls, &f->labels, NULL, &err) < 0) {
        apisrv_filter_free(f);
        return apisrv_fail(c, 400, "BadRequest", "%s", err.msg), -1;
    }
    if (fs && *fs && (skiff_api_field_selector_parse(fs, &f->fields, &err) < 0
                      || skiff_api_field_selector_check(f->fields, fields_of(c->res), &err) < 0)) {
        apisrv_filter_free(f);
        return apisrv_fail(c, 400, "BadRequest", "%s", err.msg), -1;
    }
    *out = f;
    return 0;
}

int apisrv_filter_empty(const apisrv_filter_t *f)
{
    return !f || ((!f->labels || f->labels->n == 0) && (!f->fields || f->fields->n == 0));
}

void apisrv_filter_free(apisrv_filter_t *f)
{
    if (!f) return;
    skiff_api_selector_free(f->labels);
    skiff_api_field_selector_free(f->fields);
    free(f);
}

int apisrv_filter_match(const apisrv_filter_t *f, const apisrv_resource_t *r, const cJSON *obj)
{
    (void)r;
    if (apisrv_filter_empty(f)) return 1;
    if (f->labels) {
        const cJSON *labels = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "labels");
        if (!skiff_api_selector_matches(f->labels, labels)) return 0;
    }
    if (f->fields && !skiff_api_field_selector_matches(f->fields, obj, field_get, NULL)) return 0;
    return 1;
}
