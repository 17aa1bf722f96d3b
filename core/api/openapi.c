/* core/api/openapi — the OpenAPI v3 documents kubectl reads: a root index
 * of group versions and, per group version, one PATCH operation per kind
 * carrying its GVK and a `fieldValidation` parameter, which tells kubectl
 * to leave validation to the server (KUBECTL-WIRE §5a), plus the schemas of
 * components/schemas generated from core/api/schema.txt (api/schema.h) in
 * kube's shape, so `kubectl explain` prints fields, types and descriptions.
 * Each document is built once and kept (the table never changes; the hash
 * in the root's URLs names the table's version for kubectl's cache). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "api/schema.h"

#define HASH "skiff-3"
#define REF_PREFIX "#/components/schemas/"

/* Schema of a field type (no description). */
static cJSON *type_schema(const char *type, int as_item)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    if (!strncmp(type, "[]", 2)) {
        cJSON_AddStringToObject(o, "type", "array");
        cJSON_AddItemToObject(o, "items", type_schema(type + 2, 1));
    } else if (!strncmp(type, "map[string]", 11)) {
        cJSON_AddStringToObject(o, "type", "object");
        cJSON_AddItemToObject(o, "additionalProperties", type_schema(type + 11, 1));
    } else if (!strcmp(type, "string")) {
        cJSON_AddStringToObject(o, "type", "string");
        if (as_item) cJSON_AddStringToObject(o, "default", "");
    } else if (!strcmp(type, "int32") || !strcmp(type, "int64")) {
        cJSON_AddStringToObject(o, "type", "integer");
        cJSON_AddStringToObject(o, "format", type);
    } else if (!strcmp(type, "number")) {
        cJSON_AddStringToObject(o, "type", "number");
        cJSON_AddStringToObject(o, "format", "double");
    } else if (!strcmp(type, "bool")) {
        cJSON_AddStringToObject(o, "type", "boolean");
    } else if (!strcmp(type, "object")) {
        cJSON_AddStringToObject(o, "type", "object");
        cJSON_AddBoolToObject(o, "x-kubernetes-preserve-unknown-fields", 1);
    } else {
        const char *full = skiff_api_schema_ref(type);
        char ref[300];
        snprintf(ref, sizeof ref, REF_PREFIX "%s", full ? full : type);
        /* kube wraps references in allOf so siblings (description, default) apply */
        cJSON *all = cJSON_AddArrayToObject(o, "allOf"), *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "$ref", ref);
        cJSON_AddItemToArray(all, r);
        const skiff_api_stype_t *t = skiff_api_schema_type(type);
        if (t) cJSON_AddItemToObject(o, "default", cJSON_CreateObject());
    }
    return o;
}

static cJSON *field_schema(const skiff_api_sfield_t *f)
{
    cJSON *o = type_schema(f->type, 0);
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "description", f->desc);
    if (f->merge_key) {
        cJSON *keys = cJSON_AddArrayToObject(o, "x-kubernetes-list-map-keys");
        cJSON_AddItemToArray(keys, cJSON_CreateString(f->merge_key));
        cJSON_AddStringToObject(o, "x-kubernetes-list-type", "map");
        cJSON_AddStringToObject(o, "x-kubernetes-patch-merge-key", f->merge_key);
        cJSON_AddStringToObject(o, "x-kubernetes-patch-strategy", f->flags & SKIFF_API_SF_RETAIN ? "merge,retainKeys" : "merge");
    } else if (f->flags & SKIFF_API_SF_SET) {
        cJSON_AddStringToObject(o, "x-kubernetes-list-type", "set");
        cJSON_AddStringToObject(o, "x-kubernetes-patch-strategy", "merge");
    } else if (f->flags & SKIFF_API_SF_ATOMIC) {
        cJSON_AddStringToObject(o, "x-kubernetes-list-type", "atomic");
    } else if (f->flags & SKIFF_API_SF_RETAIN) {
        cJSON_AddStringToObject(o, "x-kubernetes-patch-strategy", "retainKeys");
    }
    return o;
}

static cJSON *components(void)
{
    int n = 0;
    const skiff_api_stype_t *ts = skiff_api_schema_types(&n);
    cJSON *schemas = cJSON_CreateObject();
    if (!schemas) return NULL;
    for (int i = 0; i < n; i++) {
        const skiff_api_stype_t *t = &ts[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "description", t->desc);
        cJSON_AddStringToObject(o, "type", "object");
        cJSON *req = NULL, *props = cJSON_AddObjectToObject(o, "properties");
        for (int j = 0; j < t->nfields; j++) {
            cJSON_AddItemToObject(props, t->fields[j].name, field_schema(&t->fields[j]));
            if (t->fields[j].flags & SKIFF_API_SF_REQUIRED) {
                if (!req) req = cJSON_AddArrayToObject(o, "required");
                cJSON_AddItemToArray(req, cJSON_CreateString(t->fields[j].name));
            }
        }
        if (t->open) cJSON_AddBoolToObject(o, "x-kubernetes-preserve-unknown-fields", 1);
        if (t->kind) {
            cJSON *gvk = cJSON_CreateObject();
            cJSON_AddStringToObject(gvk, "group", t->group);
            cJSON_AddStringToObject(gvk, "kind", t->kind);
            cJSON_AddStringToObject(gvk, "version", t->version);
            cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "x-kubernetes-group-version-kind"), gvk);
        }
        cJSON_AddItemToObject(schemas, t->full, o);
    }
    cJSON *q = cJSON_AddObjectToObject(schemas, "io.k8s.apimachinery.pkg.api.resource.Quantity");
    cJSON_AddStringToObject(q, "description", "Quantity is a fixed-point representation of a number, such as 500m (0.5) CPU or 128Mi memory, in its serialized form.");
    cJSON *one = cJSON_AddArrayToObject(q, "oneOf"), *s1 = cJSON_CreateObject(), *s2 = cJSON_CreateObject();
    cJSON_AddStringToObject(s1, "type", "string");
    cJSON_AddStringToObject(s2, "type", "number");
    cJSON_AddItemToArray(one, s1);
    cJSON_AddItemToArray(one, s2);
    cJSON *is = cJSON_AddObjectToObject(schemas, "io.k8s.apimachinery.pkg.util.intstr.IntOrString");
    cJSON_AddStringToObject(is, "description", "IntOrString is a type that can hold an int32 or a string.");
    /* as kube's v3 (OpenAPIV3OneOfTypes): no "type", so kubectl explain names it */
    cJSON *one2 = cJSON_AddArrayToObject(is, "oneOf"), *i1 = cJSON_CreateObject(), *i2 = cJSON_CreateObject();
    cJSON_AddStringToObject(i1, "type", "integer");
    cJSON_AddStringToObject(i2, "type", "string");
    cJSON_AddItemToArray(one2, i1);
    cJSON_AddItemToArray(one2, i2);
    cJSON *tm = cJSON_AddObjectToObject(schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.Time");
    cJSON_AddStringToObject(tm, "description", "Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.");
    cJSON_AddStringToObject(tm, "format", "date-time");
    cJSON_AddStringToObject(tm, "type", "string");
    return schemas;
}

static void gv_path(const apisrv_resource_t *r, char *buf, size_t len)
{
    if (*r->group) snprintf(buf, len, "apis/%s/%s", r->group, r->version);
    else snprintf(buf, len, "api/%s", r->version);
}

static int root(apisrv_call_t *c)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON *paths = cJSON_AddObjectToObject(doc, "paths");
    for (size_t i = 0; i < apisrv_nresources; i++) {
        char gv[128], url[200];
        gv_path(&apisrv_resources[i], gv, sizeof gv);
        if (cJSON_GetObjectItemCaseSensitive(paths, gv)) continue;
        snprintf(url, sizeof url, "/openapi/v3/%s?hash=%s", gv, HASH);
        cJSON_AddStringToObject(cJSON_AddObjectToObject(paths, gv), "serverRelativeURL", url);
    }
    return apisrv_reply_json(c, 200, doc);
}

/* The document of one group version (NULL if no kind is served there). */
static char *build_group_version(const char *gvwant)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "openapi", "3.0.0");
    cJSON *info = cJSON_AddObjectToObject(doc, "info");
    cJSON_AddStringToObject(info, "title", "Kubernetes");
    cJSON_AddStringToObject(info, "version", "v1.32.0");
    cJSON *paths = cJSON_AddObjectToObject(doc, "paths");
    int any = 0;
    for (size_t i = 0; i < apisrv_nresources; i++) {
        const apisrv_resource_t *r = &apisrv_resources[i];
        char gv[128], p[300];
        gv_path(r, gv, sizeof gv);
        if (strcmp(gv, gvwant) != 0) continue;
        any = 1;
        if (r->namespaced) snprintf(p, sizeof p, "/%s/namespaces/{namespace}/%s/{name}", gv, r->plural);
        else snprintf(p, sizeof p, "/%s/%s/{name}", gv, r->plural);
        cJSON *op = cJSON_AddObjectToObject(cJSON_AddObjectToObject(paths, p), "patch");
        cJSON *gvk = cJSON_AddObjectToObject(op, "x-kubernetes-group-version-kind");
        cJSON_AddStringToObject(gvk, "group", r->group);
        cJSON_AddStringToObject(gvk, "version", r->version);
        cJSON_AddStringToObject(gvk, "kind", r->kind);
        cJSON *params = cJSON_AddArrayToObject(op, "parameters");
        cJSON *fv = cJSON_CreateObject();
        cJSON_AddStringToObject(fv, "name", "fieldValidation");
        cJSON_AddStringToObject(fv, "in", "query");
        cJSON_AddItemToArray(params, fv);
        cJSON_AddObjectToObject(op, "responses");
    }
    /* every schema in every document: references resolve within it (a pod
     * template in apps/v1 refers to core/v1 types), as kube's documents do */
    cJSON *comp = cJSON_AddObjectToObject(doc, "components");
    cJSON *schemas = any ? components() : NULL;
    if (schemas) cJSON_AddItemToObject(comp, "schemas", schemas);
    char *text = any && schemas ? cJSON_PrintUnformatted(doc) : NULL;
    cJSON_Delete(doc);
    return text;
}

static pthread_mutex_t docs_mu = PTHREAD_MUTEX_INITIALIZER;
static struct { char gv[200]; char *text; } docs[16];

static int group_version(apisrv_call_t *c, const char *gvwant)
{
    const char *text = NULL;
    pthread_mutex_lock(&docs_mu);
    int i = 0;
    for (; i < 16 && docs[i].text; i++)
        if (!strcmp(docs[i].gv, gvwant)) { text = docs[i].text; break; }
    if (!text) {
        char *t = build_group_version(gvwant);
        if (t && i < 16) {
            snprintf(docs[i].gv, sizeof docs[i].gv, "%s", gvwant);
            docs[i].text = t; /* kept for the program's life */
            text = t;
        } else if (t) {
            int rc = apisrv_reply_text(c, 200, "application/json", t); /* table full: not cached */
            free(t);
            pthread_mutex_unlock(&docs_mu);
            return rc;
        }
    }
    pthread_mutex_unlock(&docs_mu);
    if (!text) return apisrv_fail(c, 404, "NotFound", "the server could not find the requested resource");
    return apisrv_reply_text(c, 200, "application/json", text);
}

int apisrv_handle_openapi(apisrv_call_t *c, char **segs, int nseg)
{
    if (nseg == 2 && strcmp(segs[1], "v3") == 0) return root(c);
    if (nseg >= 4 && strcmp(segs[1], "v3") == 0) {
        char gv[200];
        if (nseg == 4) snprintf(gv, sizeof gv, "%s/%s", segs[2], segs[3]);
        else if (nseg == 5) snprintf(gv, sizeof gv, "%s/%s/%s", segs[2], segs[3], segs[4]);
        else return apisrv_fail(c, 404, "NotFound", "the server could not find the requested resource");
        return group_version(c, gv);
    }
    return apisrv_fail(c, 404, "NotFound", "the server could not find the requested resource");
}
