/* admission/limit-ranger: what kube-apiserver's LimitRanger does for pods.
 * Mutating: each container (and init container) without a request or limit
 * for a resource gets the LimitRange's defaultRequest / default (Type
 * Container), and the pod is annotated `kubernetes.io/limit-ranger` with
 * what was set. Then it enforces min, max and maxLimitRequestRatio per
 * Container and per Pod (sums), with Kubernetes' messages, aggregated as
 * Kubernetes does ("[e1, e2]" when more than one). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <skiff/skiff.h>

#include "../common/adm_cache.h"
#include "../common/adm_util.h"

typedef struct lr {
    const skiff_host_t *host;
    skiff_ctx_t *ctx;
    adm_cache_t cache; /* namespace -> its LimitRanges (items) */
} lr_t;

typedef struct lr_msgs {
    char buf[SKIFF_ERROR_MSG_MAX - 8];
    size_t len;
    int n;
} lr_msgs_t;

static void lr_add(lr_msgs_t *m, const char *fmt, ...) SKIFF_PRINTF(2, 3);
static void lr_add(lr_msgs_t *m, const char *fmt, ...)
{
    if (m->len >= sizeof m->buf - 1) { m->n++; return; }
    if (m->n) m->len += (size_t)snprintf(m->buf + m->len, sizeof m->buf - m->len, ", ");
    if (m->len < sizeof m->buf) {
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(m->buf + m->len, sizeof m->buf - m->len, fmt, ap);
        va_end(ap);
        if (w > 0) m->len += (size_t)w;
        if (m->len > sizeof m->buf - 1) m->len = sizeof m->buf - 1;
    }
    m->n++;
}

static int lr_init(const skiff_host_t *host, skiff_ctx_t *ctx, void *self, skiff_error_t *err)
{
    lr_t *l = self;
    l->host = host;
    l->ctx = ctx;
    if (!SKIFF_HOST_HAS(host, api_list))
        return skiff_error_set(err, SKIFF_E_VERSION,
                               "needs a host with the cluster API (ABI 1.1 api_list); this host speaks ABI %u.%u",
                               host->abi_major, host->abi_minor);
    if (adm_cache_init(&l->cache, host, 30000, 500) < 0)
        return skiff_error_set(err, SKIFF_E_INTERNAL, "cannot create a mutex");
    return 0;
}

static void lr_fini(void *self) { adm_cache_fini(&((lr_t *)self)->cache); }

static cJSON *obj_at(cJSON *o, const char *k)
{
    cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    if (cJSON_IsObject(x)) return x;
    cJSON_DeleteItemFromObjectCaseSensitive(o, k);
    return cJSON_AddObjectToObject(o, k);
}

/* Fill missing requests/limits of one container from a Container limit;
 * appends what was set to the annotation text. */
static void lr_default_container(cJSON *c, const cJSON *lim, char *note, size_t notelen)
{
    const char *cname = adm_str(c, "name") ? adm_str(c, "name") : "";
    cJSON *res = obj_at(c, "resources");
    const cJSON *defreq = adm_get(lim, "defaultRequest"), *deflim = adm_get(lim, "default");
    char set_req[128] = "", set_lim[128] = "";
    const cJSON *d;
    /* Kubernetes' pod defaulting (which runs before admission there): a
     * limit without a request is also the request */
    cJSON_ArrayForEach(d, adm_get(res, "limits")) {
        if (!cJSON_IsString(d) || adm_get(adm_get(res, "requests"), d->string)) continue;
        cJSON_AddStringToObject(obj_at(res, "requests"), d->string, d->valuestring);
    }
    /* requests: defaultRequest, else the default limit (Kubernetes defaults
     * a LimitRange's defaultRequest to its default) */
    for (int pass = 0; pass < 2; pass++) {
        cJSON_ArrayForEach(d, (pass == 0 ? defreq : deflim)) {
            if (pass == 1 && adm_get(defreq, d->string)) continue;
            const cJSON *reqs = adm_get(res, "requests");
            if (adm_get(reqs, d->string) || !cJSON_IsString(d)) continue;
            cJSON_AddStringToObject(obj_at(res, "requests"), d->string, d->valuestring);
            size_t o = strlen(set_req);
            snprintf(set_req + o, sizeof set_req - o, "%s%s", o ? ", " : "", d->string);
        }
    }
    cJSON_ArrayForEach(d, deflim) {
        const cJSON *lims = adm_get(res, "limits");
        if (adm_get(lims, d->string) || !cJSON_IsString(d)) continue;
        cJSON_AddStringToObject(obj_at(res, "limits"), d->string, d->valuestring);
        size_t o = strlen(set_lim);
        snprintf(set_lim + o, sizeof set_lim - o, "%s%s", o ? ", " : "", d->string);
    }
    size_t o = strlen(note);
    if (set_req[0])
        o += (size_t)snprintf(note + o, o < notelen ? notelen - o : 0, "%s%s request for container %s", o ? "; " : "", set_req, cname);
    if (set_lim[0] && o < notelen)
        snprintf(note + o, notelen - o, "%s%s limit for container %s", o ? "; " : "", set_lim, cname);
}

/* Kubernetes' minConstraint / maxConstraint / limitRequestRatioConstraint. */
static void lr_check(const char *type, const cJSON *lim, const cJSON *reqs, const cJSON *lims, lr_msgs_t *m)
{
    const cJSON *e;
    char a[48], b[48];
    cJSON_ArrayForEach(e, adm_get(lim, "min")) {
        int64_t min, rq, lm;
        if (adm_quantity_at(adm_get(lim, "min"), e->string, &min) < 0) continue;
        adm_quantity_format(min, a, sizeof a);
        if (adm_quantity_at(reqs, e->string, &rq) < 0) {
            lr_add(m, "minimum %s usage per %s is %s.  No request is specified", e->string, type, a);
            continue;
        }
        if (rq < min) {
            adm_quantity_format(rq, b, sizeof b);
            lr_add(m, "minimum %s usage per %s is %s, but request is %s", e->string, type, a, b);
        } else if (adm_quantity_at(lims, e->string, &lm) == 0 && lm < min) {
            adm_quantity_format(lm, b, sizeof b);
            lr_add(m, "minimum %s usage per %s is %s, but limit is %s", e->string, type, a, b);
        }
    }
    cJSON_ArrayForEach(e, adm_get(lim, "max")) {
        int64_t max, rq, lm;
        if (adm_quantity_at(adm_get(lim, "max"), e->string, &max) < 0) continue;
        adm_quantity_format(max, a, sizeof a);
        if (adm_quantity_at(lims, e->string, &lm) < 0) {
            lr_add(m, "maximum %s usage per %s is %s.  No limit is specified", e->string, type, a);
            continue;
        }
        if (lm > max) {
            adm_quantity_format(lm, b, sizeof b);
            lr_add(m, "maximum %s usage per %s is %s, but limit is %s", e->string, type, a, b);
        } else if (adm_quantity_at(reqs, e->string, &rq) == 0 && rq > max) {
            adm_quantity_format(rq, b, sizeof b);
            lr_add(m, "maximum %s usage per %s is %s, but request is %s", e->string, type, a, b);
        }
    }
    cJSON_ArrayForEach(e, adm_get(lim, "maxLimitRequestRatio")) {
        int64_t ratio, rq = 0, lm = 0;
        if (adm_quantity_at(adm_get(lim, "maxLimitRequestRatio"), e->string, &ratio) < 0) continue;
        adm_quantity_format(ratio, a, sizeof a);
        int has_lim = adm_quantity_at(lims, e->string, &lm) == 0;
        int has_req = adm_quantity_at(reqs, e->string, &rq) == 0;
        /* Kubernetes' limitRequestRatioConstraint: the request first */
        if (!has_req || rq == 0) {
            lr_add(m, "%s max limit to request ratio per %s is %s, but no request is specified or request is 0", e->string, type, a);
        } else if (!has_lim || lm == 0) {
            lr_add(m, "%s max limit to request ratio per %s is %s, but no limit is specified or limit is 0", e->string, type, a);
        } else {
            double observed = (double)lm / (double)rq;
            if (observed * 1000.0 > (double)ratio)
                lr_add(m, "%s max limit to request ratio per %s is %s, but provided ratio is %f", e->string, type, a, observed);
        }
    }
}

/* Per-pod sums of requests and limits over the containers, as text quantities. */
static void lr_pod_sums(const cJSON *pod, cJSON *reqs, cJSON *lims)
{
    const cJSON *c;
    static const char *const kinds[] = { "requests", "limits" };
    for (int k = 0; k < 2; k++) {
        cJSON *into = k ? lims : reqs;
        /* collect the resource names first */
        cJSON_ArrayForEach(c, adm_path(pod, "spec.containers")) {
            const cJSON *r;
            cJSON_ArrayForEach(r, adm_path(c, k ? "resources.limits" : "resources.requests")) {
                if (adm_get(into, r->string)) continue;
                int64_t sum = 0, x;
                const cJSON *c2;
                cJSON_ArrayForEach(c2, adm_path(pod, "spec.containers"))
                    if (adm_quantity_at(adm_get(adm_get(c2, "resources"), kinds[k]), r->string, &x) == 0) sum += x;
                char t[48];
                adm_quantity_format(sum, t, sizeof t);
                cJSON_AddStringToObject(into, r->string, t);
            }
        }
    }
}

static int lr_admit(void *self, skiff_adm_request_t *req, skiff_adm_verdict_t *verdict,
                    skiff_error_t *err)
{
    lr_t *l = self;
    *verdict = SKIFF_ADM_ALLOW;
    if (!req->group || !*req->group) {
        /* a LimitRange written, or a namespace (re)created or deleted */
        if (req->resource && strcmp(req->resource, "limitranges") == 0 && req->namespace_)
            adm_cache_invalidate(&l->cache, req->namespace_);
        if (req->resource && strcmp(req->resource, "namespaces") == 0 && req->name)
            adm_cache_invalidate(&l->cache, req->name);
    }
    if (req->op != SKIFF_ADM_CREATE || !req->object) return 0;
    if ((req->group && *req->group) || !req->resource || strcmp(req->resource, "pods") != 0) return 0;
    if ((req->subresource && *req->subresource) || !req->namespace_ || !*req->namespace_) return 0;

    /* a copy of the namespace's LimitRanges only when there are some (the common case has none) */
    cJSON *list = NULL;
    int rc = adm_cache_list_ns(&l->cache, l->ctx, req->namespace_, "/limitranges", &list, err);
    if (rc < 0) return rc;
    const cJSON *items = list;
    if (cJSON_GetArraySize(items) == 0) { cJSON_Delete(list); return 0; }
    cJSON *pod = req->object;
    char note[400] = "";
    const cJSON *lr, *lim, *c;
    /* defaults first (from every LimitRange, in list order), then checks */
    cJSON_ArrayForEach(lr, items) {
        cJSON_ArrayForEach(lim, adm_path(lr, "spec.limits")) {
            const char *type = adm_str(lim, "type");
            if (!type || strcmp(type, "Container") != 0) continue;
            cJSON_ArrayForEach(c, adm_path(pod, "spec.containers")) lr_default_container((cJSON *)c, lim, note, sizeof note);
            cJSON_ArrayForEach(c, adm_path(pod, "spec.initContainers")) lr_default_container((cJSON *)c, lim, note, sizeof note);
        }
    }
    if (note[0]) {
        char text[480];
        snprintf(text, sizeof text, "LimitRanger plugin set: %s", note);
        cJSON *ann = obj_at(obj_at(pod, "metadata"), "annotations");
        cJSON_DeleteItemFromObjectCaseSensitive(ann, "kubernetes.io/limit-ranger");
        cJSON_AddStringToObject(ann, "kubernetes.io/limit-ranger", text);
    }
    lr_msgs_t m = { .len = 0, .n = 0 };
    m.buf[0] = '\0';
    cJSON_ArrayForEach(lr, items) {
        cJSON_ArrayForEach(lim, adm_path(lr, "spec.limits")) {
            const char *type = adm_str(lim, "type");
            if (!type) continue;
            if (strcmp(type, "Container") == 0) {
                for (int init = 0; init < 2; init++)
                    cJSON_ArrayForEach(c, adm_path(pod, init ? "spec.initContainers" : "spec.containers"))
                        lr_check("Container", lim, adm_path(c, "resources.requests"), adm_path(c, "resources.limits"), &m);
            } else if (strcmp(type, "Pod") == 0) {
                cJSON *reqs = cJSON_CreateObject(), *lims = cJSON_CreateObject();
                if (reqs && lims) {
                    lr_pod_sums(pod, reqs, lims);
                    lr_check("Pod", lim, reqs, lims, &m);
                }
                cJSON_Delete(reqs);
                cJSON_Delete(lims);
            }
        }
    }
    cJSON_Delete(list);
    if (m.n) {
        *verdict = SKIFF_ADM_DENY;
        if (m.n == 1) skiff_error_set(err, SKIFF_E_INVALID, "%s", m.buf);
        else skiff_error_set(err, SKIFF_E_INVALID, "[%s]", m.buf);
    }
    return 0;
}

static const skiff_admission_ops_t lr_ops = {
    .size = sizeof(skiff_admission_ops_t),
    .mutating = 1,
    .admit = lr_admit,
};

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_ADMISSION,
    .name = "limit-ranger",
    .version = "0.1.0",
    .description = "Applies LimitRange defaults to pods and enforces min/max/ratio per container and pod.",
    .config = NULL,
    .instance_size = sizeof(lr_t),
    .init = lr_init,
    .fini = lr_fini,
    .ops = &lr_ops,
};
