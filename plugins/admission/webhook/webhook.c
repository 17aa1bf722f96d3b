/* admission/webhook: calls external admission webhooks the way
 * kube-apiserver's MutatingAdmissionWebhook / ValidatingAdmissionWebhook
 * do. The hooks come from MutatingWebhookConfiguration or
 * ValidatingWebhookConfiguration objects (admissionregistration.k8s.io/v1)
 * read through the API on each request, so `kubectl apply` of a
 * configuration takes effect at once. One instance serves one phase
 * (`phase = "mutating"` or `"validating"`); list both in the config.
 *
 * Per matching hook: POST an admission.k8s.io/v1 AdmissionReview (libcurl,
 * http or https with the hook's caBundle), wait at most timeoutSeconds
 * (default 10, max 30), then: allowed=false → deny with
 * `admission webhook "<name>" denied the request: <status.message>`; a
 * JSONPatch (mutating only) is applied to the object; warnings are passed
 * on. A call that fails (connection, timeout, bad answer) follows
 * failurePolicy: Fail (the default) is an error (500), Ignore skips the hook.
 * clientConfig.service is resolved through the API (service.h); hooks with
 * reinvocationPolicy IfNeeded ask the chain for its second pass. */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <skiff/skiff.h>

#include "../common/adm_cache.h"
#include "../common/adm_util.h"
#include "cel.h"
#include "jsonpatch.h"
#include "service.h"

#define WH_CEL_CACHE 64

typedef struct wh {
    const char *phase; /* filled: "mutating" or "validating" */
    int mutating;
    const skiff_host_t *host;
    skiff_ctx_t *ctx;
    int curl_ok;
    adm_cache_t cache; /* "hooks" -> the configurations' items */
    /* compiled matchConditions by expression text. Entries are never
     * replaced or freed before fini (a tree may be in use on another
     * thread), so the table only grows, up to WH_CEL_CACHE; past that an
     * expression is compiled for each evaluation. */
    pthread_mutex_t cel_mu;
    int cel_mu_ok;
    int ncel;
    struct { char *expr; webhook_cel_t *prog; } cel[WH_CEL_CACHE];
} wh_t;

static int wh_init(const skiff_host_t *host, skiff_ctx_t *ctx, void *self, skiff_error_t *err)
{
    wh_t *w = self;
    w->host = host;
    w->ctx = ctx;
    if (strcmp(w->phase, "mutating") == 0) w->mutating = 1;
    else if (strcmp(w->phase, "validating") != 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "phase = \"%s\": want \"mutating\" or \"validating\"", w->phase);
    if (!SKIFF_HOST_HAS(host, api_list))
        return skiff_error_set(err, SKIFF_E_VERSION,
                               "needs a host with the cluster API (ABI 1.1 api_list); this host speaks ABI %u.%u",
                               host->abi_major, host->abi_minor);
    /* curl_global_init is refcounted by libcurl; paired in fini */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return skiff_error_set(err, SKIFF_E_INTERNAL, "libcurl could not be initialised");
    w->curl_ok = 1;
    if (adm_cache_init(&w->cache, host, 30000, 500) < 0)
        return skiff_error_set(err, SKIFF_E_INTERNAL, "cannot create a mutex");
    if (pthread_mutex_init(&w->cel_mu, NULL) != 0)
        return skiff_error_set(err, SKIFF_E_INTERNAL, "cannot create a mutex");
    w->cel_mu_ok = 1;
    return 0;
}

static void wh_fini(void *self)
{
    wh_t *w = self;
    if (w->curl_ok) curl_global_cleanup();
    w->curl_ok = 0;
    adm_cache_fini(&w->cache);
    for (int i = 0; i < w->ncel; i++) {
        free(w->cel[i].expr);
        webhook_cel_free(w->cel[i].prog);
    }
    w->ncel = 0;
    if (w->cel_mu_ok) pthread_mutex_destroy(&w->cel_mu);
    w->cel_mu_ok = 0;
}

/* A compiled expression: from the table (borrowed; *owned = NULL) or just
 * compiled (*owned is the caller's to free). 0, or -1 with why. */
static int cel_get(wh_t *w, const char *expr, const webhook_cel_t **prog, webhook_cel_t **owned, char *why, size_t len)
{
    *owned = NULL;
    pthread_mutex_lock(&w->cel_mu);
    for (int i = 0; i < w->ncel; i++)
        if (strcmp(w->cel[i].expr, expr) == 0) {
            *prog = w->cel[i].prog;
            pthread_mutex_unlock(&w->cel_mu);
            return 0;
        }
    pthread_mutex_unlock(&w->cel_mu);
    webhook_cel_t *c = NULL;
    if (webhook_cel_compile(expr, &c, why, len) < 0) return -1;
    pthread_mutex_lock(&w->cel_mu);
    char *copy = w->ncel < WH_CEL_CACHE ? strdup(expr) : NULL;
    if (copy) {
        /* another thread may have added it meanwhile: a duplicate entry is harmless */
        w->cel[w->ncel].expr = copy;
        w->cel[w->ncel].prog = c;
        w->ncel++;
        *prog = c;
    } else {
        *prog = c;
        *owned = c;
    }
    pthread_mutex_unlock(&w->cel_mu);
    return 0;
}

static int wh_is_mutating(void *self) { return ((wh_t *)self)->mutating; }

static const char *op_name(skiff_adm_op_t op)
{
    switch (op) {
    case SKIFF_ADM_CREATE: return "CREATE";
    case SKIFF_ADM_UPDATE: return "UPDATE";
    case SKIFF_ADM_DELETE: return "DELETE";
    default: return "CONNECT";
    }
}

/* "*" or the value itself in a string list */
static int list_has(const cJSON *l, const char *v)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, l)
        if (cJSON_IsString(x) && (strcmp(x->valuestring, "*") == 0 || strcmp(x->valuestring, v) == 0)) return 1;
    return 0;
}

static int resource_matches(const cJSON *resources, const skiff_adm_request_t *req)
{
    char full[200];
    const char *sub = req->subresource ? req->subresource : "";
    snprintf(full, sizeof full, "%s%s%s", req->resource, *sub ? "/" : "", sub);
    const cJSON *x;
    cJSON_ArrayForEach(x, resources) {
        if (!cJSON_IsString(x)) continue;
        const char *r = x->valuestring;
        if (strcmp(r, full) == 0 || strcmp(r, "*/*") == 0) return 1;
        if (strcmp(r, "*") == 0 && !*sub) return 1;
        if (!strncmp(r, "*/", 2) && *sub && strcmp(r + 2, sub) == 0) return 1;
        size_t n = strlen(req->resource);
        if (!strncmp(r, req->resource, n) && !strcmp(r + n, "/*") && *sub) return 1;
    }
    return 0;
}

static int rules_match(const cJSON *hook, const skiff_adm_request_t *req)
{
    const cJSON *rule;
    cJSON_ArrayForEach(rule, adm_get(hook, "rules")) {
        if (!list_has(adm_get(rule, "operations"), op_name(req->op))) continue;
        if (!list_has(adm_get(rule, "apiGroups"), req->group ? req->group : "")) continue;
        if (!list_has(adm_get(rule, "apiVersions"), req->version ? req->version : "")) continue;
        if (!resource_matches(adm_get(rule, "resources"), req)) continue;
        const char *scope = adm_str(rule, "scope");
        int namespaced = req->namespace_ && *req->namespace_;
        if (scope && strcmp(scope, "Namespaced") == 0 && !namespaced) continue;
        if (scope && strcmp(scope, "Cluster") == 0 && namespaced) continue;
        return 1;
    }
    return 0;
}

/* matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist). */
static int selector_matches(const cJSON *sel, const cJSON *labels)
{
    if (!sel) return 1;
    const cJSON *m;
    cJSON_ArrayForEach(m, adm_get(sel, "matchLabels")) {
        const cJSON *v = adm_get(labels, m->string);
        if (!cJSON_IsString(v) || !cJSON_IsString(m) || strcmp(v->valuestring, m->valuestring) != 0) return 0;
    }
    cJSON_ArrayForEach(m, adm_get(sel, "matchExpressions")) {
        const char *key = adm_str(m, "key"), *op = adm_str(m, "operator");
        if (!key || !op) return 0;
        const cJSON *v = adm_get(labels, key);
        int has = cJSON_IsString(v);
        int in = has && list_has(adm_get(m, "values"), v->valuestring);
        if (!strcmp(op, "In") && !in) return 0;
        if (!strcmp(op, "NotIn") && in) return 0;
        if (!strcmp(op, "Exists") && !has) return 0;
        if (!strcmp(op, "DoesNotExist") && has) return 0;
    }
    return 1;
}

typedef struct body { char *p; size_t n; int oom; } body_t;

static size_t on_data(char *d, size_t sz, size_t nm, void *ud)
{
    body_t *b = ud;
    size_t n = sz * nm;
    if (b->n + n > 4u * 1024 * 1024) { b->oom = 1; return 0; } /* a review answer is small */
    char *p = realloc(b->p, b->n + n + 1);
    if (!p) { b->oom = 1; return 0; }
    memcpy(p + b->n, d, n);
    b->n += n;
    p[b->n] = '\0';
    b->p = p;
    return n;
}

/* POST the review; 0 with *answer (parsed) or -1 with why. */
static int call_hook(wh_t *w, const cJSON *hook, const char *json, cJSON **answer, char *why, size_t whylen)
{
    *answer = NULL;
    const char *url = adm_str(hook, "clientConfig.url");
    webhook_target_t *svc = NULL;
    struct curl_slist *connect_to = NULL;
    if (!url) {
        const cJSON *s = adm_path(hook, "clientConfig.service");
        if (!s) {
            snprintf(why, whylen, "webhook has neither clientConfig.url nor clientConfig.service");
            return -1;
        }
        if (!(svc = malloc(sizeof *svc))) {
            snprintf(why, whylen, "out of memory");
            return -1;
        }
        if (webhook_service_resolve(w->host, w->ctx, s, svc, why, whylen) < 0) {
            free(svc);
            return -1;
        }
        url = svc->url;
        if (!(connect_to = curl_slist_append(NULL, svc->connect))) {
            free(svc);
            snprintf(why, whylen, "out of memory");
            return -1;
        }
    }
    const cJSON *ts = adm_get(hook, "timeoutSeconds");
    long timeout = cJSON_IsNumber(ts) && ts->valueint > 0 ? ts->valueint : 10;
    if (timeout > 30) timeout = 30;
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(why, whylen, "libcurl: cannot create a handle");
        curl_slist_free_all(connect_to);
        free(svc);
        return -1;
    }
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, "Accept: application/json");
    body_t b = { 0 };
    char *ca = NULL;
    size_t calen = 0;
    const char *cab = adm_str(hook, "clientConfig.caBundle");
    if (cab && *cab && !(ca = webhook_b64_decode(cab, &calen))) {
        snprintf(why, whylen, "clientConfig.caBundle is not base64");
        curl_slist_free_all(hdr);
        curl_slist_free_all(connect_to);
        curl_easy_cleanup(c);
        free(svc);
        return -1;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (connect_to) curl_easy_setopt(c, CURLOPT_CONNECT_TO, connect_to);
    if (ca) {
        struct curl_blob blob = { ca, calen, CURL_BLOB_COPY };
        curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
    }
    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(hdr);
    curl_slist_free_all(connect_to);
    curl_easy_cleanup(c);
    free(ca);
    int ret = -1;
    if (rc != CURLE_OK)
        snprintf(why, whylen, "Post \"%s\": %s", url, rc == CURLE_OPERATION_TIMEDOUT ? "context deadline exceeded" : curl_easy_strerror(rc));
    else if (code < 200 || code >= 300)
        snprintf(why, whylen, "Post \"%s\": the server answered HTTP %ld", url, code);
    else if (!b.p || !(*answer = cJSON_Parse(b.p)))
        snprintf(why, whylen, "Post \"%s\": the answer is not JSON", url);
    else
        ret = 0;
    free(b.p);
    free(svc);
    return ret;
}

static cJSON *make_review(const skiff_adm_request_t *req, const char *uid)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "apiVersion", "admission.k8s.io/v1");
    cJSON_AddStringToObject(r, "kind", "AdmissionReview");
    cJSON *q = cJSON_AddObjectToObject(r, "request");
    cJSON_AddStringToObject(q, "uid", uid);
    for (int i = 0; i < 2; i++) {
        cJSON *k = cJSON_AddObjectToObject(q, i ? "requestKind" : "kind");
        cJSON_AddStringToObject(k, "group", req->group ? req->group : "");
        cJSON_AddStringToObject(k, "version", req->version ? req->version : "");
        cJSON_AddStringToObject(k, "kind", req->kind ? req->kind : "");
        cJSON *rs = cJSON_AddObjectToObject(q, i ? "requestResource" : "resource");
        cJSON_AddStringToObject(rs, "group", req->group ? req->group : "");
        cJSON_AddStringToObject(rs, "version", req->version ? req->version : "");
        cJSON_AddStringToObject(rs, "resource", req->resource ? req->resource : "");
    }
    if (req->subresource && *req->subresource) cJSON_AddStringToObject(q, "subResource", req->subresource);
    if (req->name && *req->name) cJSON_AddStringToObject(q, "name", req->name);
    if (req->namespace_ && *req->namespace_) cJSON_AddStringToObject(q, "namespace", req->namespace_);
    cJSON_AddStringToObject(q, "operation", op_name(req->op));
    cJSON *ui = cJSON_AddObjectToObject(q, "userInfo");
    cJSON_AddStringToObject(ui, "username", req->user ? req->user : "");
    /* hosts that fill them pass the uid and groups too (within req->size) */
    if (req->size >= offsetof(skiff_adm_request_t, ngroups) + sizeof req->ngroups) {
        if (req->uid && *req->uid) cJSON_AddStringToObject(ui, "uid", req->uid);
        cJSON *g = cJSON_AddArrayToObject(ui, "groups");
        for (size_t i = 0; req->groups && i < req->ngroups; i++) cJSON_AddItemToArray(g, cJSON_CreateString(req->groups[i]));
    }
    cJSON_AddItemToObject(q, "object", req->object ? cJSON_Duplicate(req->object, 1) : cJSON_CreateNull());
    cJSON_AddItemToObject(q, "oldObject", req->old_object ? cJSON_Duplicate(req->old_object, 1) : cJSON_CreateNull());
    cJSON_AddBoolToObject(q, "dryRun", req->dry_run != 0);
    return r;
}

static void new_uid(const skiff_host_t *h, char out[37])
{
    uint64_t a = (uint64_t)h->clock_realtime_ns() * 6364136223846793005ULL + (uint64_t)(uintptr_t)out;
    uint64_t b = a * 1442695040888963407ULL ^ (uint64_t)h->clock_monotonic_ns();
    snprintf(out, 37, "%08x-%04x-4%03x-a%03x-%012llx", (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff,
             (unsigned)a & 0xfff, (unsigned)(b >> 52) & 0xfff, (unsigned long long)(b & 0xffffffffffffULL));
}

/* One hook. Returns 0 (allowed; *patched when its patch changed the object),
 * 1 denied (err set), <0 error (err set). */
static int run_hook(wh_t *w, const cJSON *hook, skiff_adm_request_t *req, int *patched, skiff_error_t *err)
{
    *patched = 0;
    const char *name = adm_str(hook, "name") ? adm_str(hook, "name") : "";
    const char *fp = adm_str(hook, "failurePolicy");
    int ignore = fp && strcmp(fp, "Ignore") == 0;
    const char *se = adm_str(hook, "sideEffects");
    if (req->dry_run && !(se && (!strcmp(se, "None") || !strcmp(se, "NoneOnDryRun")))) {
        if (ignore) return 0;
        return skiff_error_set(err, SKIFF_E_UNSUPPORTED,
                               "failed calling webhook \"%s\": webhook does not accept dry run requests (sideEffects=%s)",
                               name, se ? se : "Unknown");
    }
    char uid[37];
    new_uid(w->host, uid);
    cJSON *review = make_review(req, uid);
    char *json = review ? cJSON_PrintUnformatted(review) : NULL;
    cJSON_Delete(review);
    if (!json) return skiff_error_set(err, -ENOMEM, "out of memory building the AdmissionReview");
    cJSON *ans = NULL;
    char why[1600];
    int rc = call_hook(w, hook, json, &ans, why, sizeof why);
    free(json);
    if (rc < 0) {
        if (ignore) {
            w->host->log(w->ctx, SKIFF_LOG_WARN, "failed calling webhook \"%s\" (failurePolicy Ignore): %s", name, why);
            return 0;
        }
        return skiff_error_set(err, SKIFF_E_INTERNAL, "failed calling webhook \"%s\": %s", name, why);
    }
    const cJSON *resp = adm_get(ans, "response");
    const char *ruid = adm_str(resp, "uid");
    if (!resp || (ruid && strcmp(ruid, uid) != 0)) {
        cJSON_Delete(ans);
        if (ignore) return 0;
        return skiff_error_set(err, SKIFF_E_INTERNAL, "received invalid webhook response from \"%s\": %s", name,
                               !resp ? "no response" : "response.uid does not match request.uid");
    }
    const cJSON *warns;
    if (req->size >= offsetof(skiff_adm_request_t, host_data) + sizeof(void *) && req->warn) {
        const cJSON *x;
        warns = adm_get(resp, "warnings");
        cJSON_ArrayForEach(x, warns) if (cJSON_IsString(x)) req->warn(req, x->valuestring);
    }
    if (!cJSON_IsTrue(adm_get(resp, "allowed"))) {
        const char *msg = adm_str(resp, "status.message");
        if (msg && *msg)
            skiff_error_set(err, SKIFF_E_INVALID, "admission webhook \"%s\" denied the request: %s", name, msg);
        else
            skiff_error_set(err, SKIFF_E_INVALID, "admission webhook \"%s\" denied the request without explanation", name);
        cJSON_Delete(ans);
        return 1;
    }
    const char *patch = adm_str(resp, "patch");
    if (patch && *patch) {
        const char *pt = adm_str(resp, "patchType");
        if (!w->mutating || !req->object || (pt && strcmp(pt, "JSONPatch") != 0)) {
            cJSON_Delete(ans);
            return skiff_error_set(err, SKIFF_E_INTERNAL, "webhook \"%s\" returned a patch it may not apply here", name);
        }
        char *raw = webhook_b64_decode(patch, NULL);
        cJSON *ops = raw ? cJSON_Parse(raw) : NULL;
        free(raw);
        /* patch a copy so a failing patch leaves the object as it was */
        cJSON *copy = ops ? cJSON_Duplicate(req->object, 1) : NULL;
        char pwhy[200] = "the patch is not base64 JSON";
        if (!copy || webhook_jsonpatch_apply(copy, ops, pwhy, sizeof pwhy) < 0) {
            cJSON_Delete(copy);
            cJSON_Delete(ops);
            cJSON_Delete(ans);
            return skiff_error_set(err, SKIFF_E_INTERNAL, "webhook \"%s\": %s", name, pwhy);
        }
        /* it applies: now to the object itself, in place (nodes the patch
         * does not touch stay the same) */
        *patched = !cJSON_Compare(copy, req->object, 1);
        webhook_jsonpatch_apply(req->object, ops, pwhy, sizeof pwhy);
        cJSON_Delete(ops);
        cJSON_Delete(copy);
    }
    cJSON_Delete(ans);
    return 0;
}

#define MAX_MATCH_CONDITIONS 64

/* API validation of a webhook configuration that the API server does not
 * do: clientConfig (exactly one of url and service) and matchConditions,
 * which only this plugin can check (it holds the CEL subset): names
 * present and unique, at most 64, and every expression compiles. 0, or -1 with the reason as
 * "<field>: <message>" (what kube-apiserver answers with 422 Invalid). */
static int validate_match_conditions(const cJSON *cfg, char *reason, size_t len)
{
    const cJSON *hook;
    int h = 0;
    cJSON_ArrayForEach(hook, adm_get(cfg, "webhooks")) {
        /* kube-apiserver's ValidateWebhookClientConfig: url or service, not both */
        const cJSON *cc = adm_get(hook, "clientConfig");
        if ((adm_get(cc, "url") != NULL) == (adm_get(cc, "service") != NULL)) {
            snprintf(reason, len, "webhooks[%d].clientConfig: Required value: exactly one of url or service is required", h);
            return -1;
        }
        const cJSON *svc = adm_get(cc, "service");
        if (svc && (!adm_str(svc, "namespace") || !*adm_str(svc, "namespace"))) {
            snprintf(reason, len, "webhooks[%d].clientConfig.service.namespace: Required value: service namespace is required", h);
            return -1;
        }
        if (svc && (!adm_str(svc, "name") || !*adm_str(svc, "name"))) {
            snprintf(reason, len, "webhooks[%d].clientConfig.service.name: Required value: service name is required", h);
            return -1;
        }
        const cJSON *mcs = adm_get(hook, "matchConditions"), *mc;
        int n = cJSON_GetArraySize(mcs);
        if (n > MAX_MATCH_CONDITIONS) {
            snprintf(reason, len, "webhooks[%d].matchConditions: Too many: %d: must have at most %d items", h, n,
                     MAX_MATCH_CONDITIONS);
            return -1;
        }
        int j = 0;
        cJSON_ArrayForEach(mc, mcs) {
            const char *name = adm_str(mc, "name"), *expr = adm_str(mc, "expression");
            if (!name || !*name) {
                snprintf(reason, len, "webhooks[%d].matchConditions[%d].name: Required value", h, j);
                return -1;
            }
            for (const cJSON *o = mcs->child; o != mc; o = o->next)
                if (adm_str(o, "name") && strcmp(adm_str(o, "name"), name) == 0) {
                    snprintf(reason, len, "webhooks[%d].matchConditions[%d].name: Duplicate value: \"%s\"", h, j, name);
                    return -1;
                }
            if (!expr || !*expr) {
                snprintf(reason, len, "webhooks[%d].matchConditions[%d].expression: Required value", h, j);
                return -1;
            }
            webhook_cel_t *e = NULL;
            char why[400];
            if (webhook_cel_compile(expr, &e, why, sizeof why) < 0) {
                snprintf(reason, len, "webhooks[%d].matchConditions[%d].expression: Invalid value: \"%.300s\": compilation failed: %s",
                         h, j, expr, why);
                return -1;
            }
            webhook_cel_free(e);
            j++;
        }
        h++;
    }
    return 0;
}

/* The `request` variable of matchConditions: the AdmissionRequest without
 * the objects (they are `object` and `oldObject`). NULL on allocation failure. */
static cJSON *cel_request(const skiff_adm_request_t *req)
{
    cJSON *review = make_review(req, "");
    cJSON *r = review ? cJSON_DetachItemFromObjectCaseSensitive(review, "request") : NULL;
    cJSON_Delete(review);
    cJSON_DeleteItemFromObjectCaseSensitive(r, "object");
    cJSON_DeleteItemFromObjectCaseSensitive(r, "oldObject");
    cJSON_DeleteItemFromObjectCaseSensitive(r, "uid");
    return r;
}

/* Kubernetes' matchConditions: any false skips the hook; otherwise an error
 * in any is an error (failurePolicy decides); all true calls it.
 * 1 call, 0 skip, -1 error (why). *request is built on first use. */
static int match_conditions(wh_t *w, const cJSON *hook, const skiff_adm_request_t *req, cJSON **request,
                            char *why, size_t whylen)
{
    const cJSON *mcs = adm_get(hook, "matchConditions"), *mc;
    if (!cJSON_GetArraySize(mcs)) return 1;
    if (!*request && !(*request = cel_request(req))) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    int failed = 0;
    cJSON_ArrayForEach(mc, mcs) {
        const webhook_cel_t *prog = NULL;
        webhook_cel_t *owned = NULL;
        char wy[400];
        const char *name = adm_str(mc, "name") ? adm_str(mc, "name") : "";
        const char *expr = adm_str(mc, "expression") ? adm_str(mc, "expression") : "";
        int r;
        if (cel_get(w, expr, &prog, &owned, wy, sizeof wy) < 0) r = -1; /* stored before validation */
        else r = webhook_cel_eval_bool(prog, req->object, req->old_object, *request, wy, sizeof wy);
        webhook_cel_free(owned);
        if (r == 0) return 0;
        if (r < 0 && !failed) {
            failed = 1;
            snprintf(why, whylen, "failed to evaluate matchCondition \"%s\": %s", name, wy);
        }
    }
    return failed ? -1 : 1;
}

static int wh_admit(void *self, skiff_adm_request_t *req, skiff_adm_verdict_t *verdict,
                    skiff_error_t *err)
{
    wh_t *w = self;
    *verdict = SKIFF_ADM_ALLOW;
    /* as Kubernetes: webhooks never see webhook configurations (no lock-out);
     * a write of one is what makes the cached configurations stale */
    if (req->group && strcmp(req->group, "admissionregistration.k8s.io") == 0) {
        adm_cache_invalidate(&w->cache, "hooks");
        char reason[1200];
        if ((req->op == SKIFF_ADM_CREATE || req->op == SKIFF_ADM_UPDATE) && req->object &&
            (!req->subresource || !*req->subresource) && req->resource && strstr(req->resource, "webhookconfigurations") &&
            validate_match_conditions(req->object, reason, sizeof reason) < 0) {
            /* a 1.1 host has no 422 verdict: deny (403) instead */
            int v12 = req->size >= offsetof(skiff_adm_request_t, reinvoke) + sizeof(int);
            *verdict = v12 ? SKIFF_ADM_INVALID : SKIFF_ADM_DENY;
            skiff_error_set(err, SKIFF_E_INVALID, "%s", reason);
            if (req->size >= offsetof(skiff_adm_request_t, set_reason) + sizeof(void *) && req->set_reason)
                req->set_reason(req, reason);
        }
        return 0;
    }
    const char *path = w->mutating ? "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations"
                                   : "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations";
    cJSON *items = NULL;
    int rc = adm_cache_fetch(&w->cache, w->ctx, "hooks", path, 1, &items, err);
    if (rc < 0) return rc;
    if (cJSON_GetArraySize(items) == 0) { cJSON_Delete(items); return 0; }
    skiff_error_t e;
    skiff_error_clear(&e);
    const cJSON *cfg, *hook;
    cJSON *ns_labels = NULL;
    int ns_loaded = 0;
    /* reinvocation (mutating only; the 1.2 fields exist only in a 1.2 host's request) */
    int has_reinvoke = w->mutating && req->size >= offsetof(skiff_adm_request_t, reinvoke) + sizeof(int);
    int again = has_reinvoke && req->reinvocation;
    int ifneeded_called = 0, changed_after = 0;
    cJSON *cel_req = NULL;
    rc = 0;
    cJSON_ArrayForEach(cfg, items) {
        cJSON_ArrayForEach(hook, adm_get(cfg, "webhooks")) {
            if (rc) break;
            const char *rp = adm_str(hook, "reinvocationPolicy");
            int ifneeded = rp && strcmp(rp, "IfNeeded") == 0;
            /* the second pass calls only the IfNeeded hooks (Kubernetes: those invoked before) */
            if (again && !ifneeded) continue;
            if (!rules_match(hook, req)) continue;
            /* objectSelector: the new or the old object may match (Kubernetes) */
            const cJSON *osel = adm_get(hook, "objectSelector");
            if (!selector_matches(osel, adm_path(req->object, "metadata.labels")) &&
                !(req->old_object && selector_matches(osel, adm_path(req->old_object, "metadata.labels"))))
                continue;
            const cJSON *nss = adm_get(hook, "namespaceSelector");
            if (nss && (cJSON_GetArraySize(adm_get(nss, "matchLabels")) || cJSON_GetArraySize(adm_get(nss, "matchExpressions")))) {
                /* Kubernetes: a Namespace is matched on its own labels; other
                 * cluster-scoped objects are never skipped by it */
                if ((!req->group || !*req->group) && req->resource && !strcmp(req->resource, "namespaces") &&
                    (!req->subresource || !*req->subresource)) {
                    const cJSON *nobj = req->object ? req->object : req->old_object;
                    if (!selector_matches(nss, adm_path(nobj, "metadata.labels"))) continue;
                    goto matched;
                }
                if (!req->namespace_ || !*req->namespace_) goto matched;
                if (!ns_loaded) {
                    char p[400];
                    snprintf(p, sizeof p, "/api/v1/namespaces/%s", req->namespace_);
                    char *nj = NULL;
                    if (w->host->api_get(w->ctx, p, &nj, &e) == 0) ns_labels = cJSON_Parse(nj);
                    w->host->api_free(nj);
                    ns_loaded = 1;
                }
                if (!selector_matches(nss, adm_path(ns_labels, "metadata.labels"))) continue;
            }
        matched:;
            char mwhy[600];
            int mc = match_conditions(w, hook, req, &cel_req, mwhy, sizeof mwhy);
            if (mc == 0) continue;
            if (mc < 0) {
                const char *fp = adm_str(hook, "failurePolicy");
                const char *hname = adm_str(hook, "name") ? adm_str(hook, "name") : "";
                if (fp && strcmp(fp, "Ignore") == 0) {
                    w->host->log(w->ctx, SKIFF_LOG_WARN, "webhook \"%s\" skipped (failurePolicy Ignore): %s", hname, mwhy);
                    continue;
                }
                rc = skiff_error_set(err, SKIFF_E_INTERNAL, "failed calling webhook \"%s\": %s", hname, mwhy);
                break;
            }
            int patched = 0;
            rc = run_hook(w, hook, req, &patched, err);
            if (rc == 0 && patched && ifneeded_called) changed_after = 1;
            if (rc == 0 && ifneeded) ifneeded_called = 1;
        }
    }
    if (has_reinvoke && !again && rc == 0)
        req->reinvoke = changed_after ? SKIFF_ADM_REINVOKE_ALWAYS : ifneeded_called ? SKIFF_ADM_REINVOKE_IF_CHANGED : 0;
    cJSON_Delete(cel_req);
    cJSON_Delete(ns_labels);
    cJSON_Delete(items);
    if (rc == 1) { *verdict = SKIFF_ADM_DENY; return 0; }
    return rc < 0 ? rc : 0;
}

static const skiff_config_key_t wh_keys[] = {
    { "phase", SKIFF_CFG_STRING, "validating", SKIFF_CFG_FILL, offsetof(wh_t, phase),
      "\"mutating\" (MutatingWebhookConfigurations) or \"validating\" (ValidatingWebhookConfigurations)" },
    SKIFF_CONFIG_END,
};

static const skiff_admission_ops_t wh_ops = {
    .size = sizeof(skiff_admission_ops_t),
    .mutating = 0,
    .admit = wh_admit,
    .is_mutating = wh_is_mutating,
};

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_ADMISSION,
    .name = "webhook",
    .version = "0.1.0",
    .description = "Calls admission webhooks from Mutating/ValidatingWebhookConfigurations (AdmissionReview v1).",
    .config = wh_keys,
    .instance_size = sizeof(wh_t),
    .init = wh_init,
    .fini = wh_fini,
    .ops = &wh_ops,
};
