/* admission/resource-quota: enforces ResourceQuota spec.hard (object
 * counts, pods, requests.*, limits.*, cpu, memory, services.nodeports,
 * services.loadbalancers, requests.storage) on creates and on updates that
 * add usage, atomically; quotas with scopes / scopeSelector count only the
 * pods they select (Terminating, NotTerminating, BestEffort, NotBestEffort,
 * CrossNamespacePodAffinity, PriorityClass).
 *
 * Why a lock plus reservations: a burst of parallel creates must never
 * overshoot a quota. Each check runs under the plugin's lock and counts
 * (a) the objects the store already holds (listed through the API) and
 * (b) the creates this plugin admitted that are not yet visible in that
 * list (reservations). A reservation ends when its object shows up in a
 * list (then it is counted there) or after `reservation_ttl` (the create
 * failed later, e.g. AlreadyExists or another plugin denied it). So the
 * admitted total can never pass hard, and a failed create frees its share
 * at the latest after the TTL. After each admitted create or delete the
 * quota's status.hard / status.used are patched through the API. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <skiff/skiff.h>

#include "../common/adm_cache.h"
#include "../common/adm_util.h"

#define RQ_MAX_VALS 16
#define RQ_MAX_QUOTAS 32

typedef struct rq_val { char key[96]; int64_t milli; } rq_val_t;

/* What quota scopes look at in a pod (scopes only select pods). */
typedef struct rq_props {
    int is_pod, terminating, best_effort, cross_ns;
    char priority_class[256];
} rq_props_t;

typedef struct rq_resv {
    struct rq_resv *next;
    char ns[256], resource[96], name[256];
    char old_rv[64]; /* an update: visible once the list shows another resourceVersion */
    rq_props_t props;
    int64_t deadline_ns;
    int n;
    rq_val_t v[RQ_MAX_VALS];
} rq_resv_t;

typedef struct rq {
    int64_t ttl_ms; /* filled */
    const skiff_host_t *host;
    skiff_ctx_t *ctx;
    pthread_mutex_t mu;
    int mu_ok;
    rq_resv_t *resv;
    adm_cache_t cache; /* namespace -> its ResourceQuotas (items; spec only is used) */
} rq_t;

static int rq_init(const skiff_host_t *host, skiff_ctx_t *ctx, void *self, skiff_error_t *err)
{
    rq_t *q = self;
    q->host = host;
    q->ctx = ctx;
    if (!SKIFF_HOST_HAS(host, api_list) || !SKIFF_HOST_HAS(host, api_patch))
        return skiff_error_set(err, SKIFF_E_VERSION,
                               "needs a host with the cluster API (ABI 1.1 api_list/api_patch); this host speaks ABI %u.%u",
                               host->abi_major, host->abi_minor);
    if (q->ttl_ms <= 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "reservation_ttl must be positive");
    if (pthread_mutex_init(&q->mu, NULL) != 0)
        return skiff_error_set(err, SKIFF_E_INTERNAL, "cannot create a mutex");
    q->mu_ok = 1;
    if (adm_cache_init(&q->cache, host, 30000, 500) < 0)
        return skiff_error_set(err, SKIFF_E_INTERNAL, "cannot create a mutex");
    return 0;
}

static void rq_fini(void *self)
{
    rq_t *q = self;
    while (q->resv) {
        rq_resv_t *r = q->resv;
        q->resv = r->next;
        free(r);
    }
    if (q->mu_ok) pthread_mutex_destroy(&q->mu);
    adm_cache_fini(&q->cache);
    q->mu_ok = 0;
}

static void vals_add(rq_val_t *v, int *n, const char *key, int64_t milli)
{
    for (int i = 0; i < *n; i++)
        if (strcmp(v[i].key, key) == 0) { v[i].milli += milli; return; }
    if (*n >= RQ_MAX_VALS) return;
    snprintf(v[*n].key, sizeof v[*n].key, "%s", key);
    v[*n].milli = milli;
    (*n)++;
}

/* Sum of one compute resource over a pod's containers: requests (or the
 * limit when no request is given, as Kubernetes defaults it) or limits;
 * init containers run one at a time, so the max of them counts if larger. */
static int64_t pod_sum(const cJSON *pod, const char *what, const char *res)
{
    int64_t sum = 0, init_max = 0, x;
    const cJSON *c;
    cJSON_ArrayForEach(c, adm_path(pod, "spec.containers")) {
        const cJSON *r = adm_get(c, "resources");
        if (adm_quantity_at(adm_get(r, what), res, &x) == 0) sum += x;
        else if (strcmp(what, "requests") == 0 && adm_quantity_at(adm_get(r, "limits"), res, &x) == 0) sum += x;
    }
    cJSON_ArrayForEach(c, adm_path(pod, "spec.initContainers")) {
        const cJSON *r = adm_get(c, "resources");
        x = 0;
        if (adm_quantity_at(adm_get(r, what), res, &x) != 0 && strcmp(what, "requests") == 0)
            adm_quantity_at(adm_get(r, "limits"), res, &x);
        if (x > init_max) init_max = x;
    }
    return sum > init_max ? sum : init_max;
}

static const char *const core_counted[] = { "pods", "services", "configmaps", "secrets",
                                            "persistentvolumeclaims", "replicationcontrollers",
                                            "resourcequotas", NULL };

/* What one object of `resource` uses, in quota keys. */
static void usage_of(const char *resource, const char *group, const cJSON *obj, rq_val_t *v, int *n)
{
    char key[96];
    if (group && *group) snprintf(key, sizeof key, "count/%s.%s", resource, group);
    else snprintf(key, sizeof key, "count/%s", resource);
    vals_add(v, n, key, 1000);
    if (!group || !*group)
        for (const char *const *p = core_counted; *p; p++)
            if (strcmp(*p, resource) == 0) vals_add(v, n, resource, 1000);
    if ((!group || !*group) && strcmp(resource, "services") == 0) {
        /* every port of a NodePort or LoadBalancer Service takes a node port
         * (unless a LoadBalancer opts out of them; then only those set) */
        const char *type = adm_str(obj, "spec.type");
        int lb = type && !strcmp(type, "LoadBalancer"), np = type && !strcmp(type, "NodePort");
        int64_t ports = 0;
        const cJSON *p;
        cJSON_ArrayForEach(p, adm_path(obj, "spec.ports"))
            if (np || (lb && (!cJSON_IsFalse(adm_path(obj, "spec.allocateLoadBalancerNodePorts")) ||
                              cJSON_IsNumber(adm_get(p, "nodePort")))))
                ports++;
        vals_add(v, n, "services.nodeports", ports * 1000);
        vals_add(v, n, "services.loadbalancers", lb ? 1000 : 0);
        return;
    }
    if ((!group || !*group) && strcmp(resource, "persistentvolumeclaims") == 0) {
        int64_t st = 0;
        adm_quantity_at(adm_path(obj, "spec.resources.requests"), "storage", &st);
        vals_add(v, n, "requests.storage", st);
        return;
    }
    if ((group && *group) || strcmp(resource, "pods") != 0) return;
    const char *phase = adm_str(obj, "status.phase");
    if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))) {
        /* terminal pods hold no quota */
        for (int i = 0; i < *n; i++) v[i].milli = 0;
        return;
    }
    static const char *const res[] = { "cpu", "memory", "ephemeral-storage" };
    for (size_t i = 0; i < 3; i++) {
        char k[64];
        int64_t r = pod_sum(obj, "requests", res[i]), l = pod_sum(obj, "limits", res[i]);
        snprintf(k, sizeof k, "requests.%s", res[i]);
        vals_add(v, n, k, r);
        vals_add(v, n, res[i], r);
        snprintf(k, sizeof k, "limits.%s", res[i]);
        vals_add(v, n, k, l);
    }
}

static int has_compute(const cJSON *c)
{
    static const char *const kinds[] = { "requests", "limits" };
    static const char *const res[] = { "cpu", "memory" };
    for (int k = 0; k < 2; k++)
        for (int r = 0; r < 2; r++)
            if (adm_get(adm_path(c, "resources"), kinds[k]) && adm_get(adm_get(adm_get(c, "resources"), kinds[k]), res[r]))
                return 1;
    return 0;
}

/* Pod affinity terms that reach into other namespaces (the
 * CrossNamespacePodAffinity scope). */
static int cross_namespace_affinity(const cJSON *pod)
{
    static const char *const kinds[] = { "podAffinity", "podAntiAffinity" };
    for (int k = 0; k < 2; k++) {
        const cJSON *aff = adm_get(adm_path(pod, "spec.affinity"), kinds[k]), *t;
        const cJSON *lists[2] = { adm_get(aff, "requiredDuringSchedulingIgnoredDuringExecution"),
                                  adm_get(aff, "preferredDuringSchedulingIgnoredDuringExecution") };
        for (int l = 0; l < 2; l++)
            cJSON_ArrayForEach(t, lists[l]) {
                const cJSON *term = l ? adm_get(t, "podAffinityTerm") : t;
                if (cJSON_IsObject(adm_get(term, "namespaceSelector")) || cJSON_GetArraySize(adm_get(term, "namespaces")) > 0)
                    return 1;
            }
    }
    return 0;
}

static void props_of(const char *resource, const char *group, const cJSON *obj, rq_props_t *p)
{
    memset(p, 0, sizeof *p);
    if ((group && *group) || !resource || strcmp(resource, "pods") != 0 || !obj) return;
    p->is_pod = 1;
    const cJSON *ads = adm_path(obj, "spec.activeDeadlineSeconds");
    p->terminating = cJSON_IsNumber(ads) && ads->valuedouble >= 0;
    p->best_effort = 1; /* QoS BestEffort: no cpu/memory request or limit anywhere */
    static const char *const lists[] = { "spec.containers", "spec.initContainers" };
    for (int l = 0; l < 2; l++) {
        const cJSON *c;
        cJSON_ArrayForEach(c, adm_path(obj, lists[l])) if (has_compute(c)) p->best_effort = 0;
    }
    p->cross_ns = cross_namespace_affinity(obj);
    const char *pc = adm_str(obj, "spec.priorityClassName");
    snprintf(p->priority_class, sizeof p->priority_class, "%s", pc ? pc : "");
}

static int str_in(const cJSON *list, const char *s)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, list) if (cJSON_IsString(x) && strcmp(x->valuestring, s) == 0) return 1;
    return 0;
}

/* One scope (Terminating, NotTerminating, BestEffort, NotBestEffort,
 * CrossNamespacePodAffinity, PriorityClass) against a pod's properties.
 * `op`/`values` only for scopeSelector entries (PriorityClass takes
 * In/NotIn/Exists/DoesNotExist; the others only Exists). */
static int scope_matches(const char *scope, const char *op, const cJSON *values, const rq_props_t *p)
{
    if (!p->is_pod) return 0; /* scopes select pods only */
    if (!strcmp(scope, "PriorityClass")) {
        const char *pc = p->priority_class;
        if (!op || !strcmp(op, "Exists")) return *pc != '\0';
        if (!strcmp(op, "DoesNotExist")) return *pc == '\0';
        if (!strcmp(op, "In")) return str_in(values, pc);
        if (!strcmp(op, "NotIn")) return !str_in(values, pc);
        return 0;
    }
    int m;
    if (!strcmp(scope, "Terminating")) m = p->terminating;
    else if (!strcmp(scope, "NotTerminating")) m = !p->terminating;
    else if (!strcmp(scope, "BestEffort")) m = p->best_effort;
    else if (!strcmp(scope, "NotBestEffort")) m = !p->best_effort;
    else if (!strcmp(scope, "CrossNamespacePodAffinity")) m = p->cross_ns;
    else return 0; /* an unknown scope matches nothing */
    if (op && !strcmp(op, "DoesNotExist")) return !m;
    return m;
}

/* Does a quota's spec.scopes and spec.scopeSelector select this object? */
static int quota_selects(const cJSON *quota, const rq_props_t *p)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, adm_path(quota, "spec.scopes"))
        if (!cJSON_IsString(s) || !scope_matches(s->valuestring, NULL, NULL, p)) return 0;
    cJSON_ArrayForEach(s, adm_path(quota, "spec.scopeSelector.matchExpressions")) {
        const char *name = adm_str(s, "scopeName");
        if (!name || !scope_matches(name, adm_str(s, "operator"), adm_get(s, "values"), p)) return 0;
    }
    return 1;
}

static void list_path(const skiff_adm_request_t *req, const char *ns, const char *what, char *buf, size_t len)
{
    if (req->group && *req->group)
        snprintf(buf, len, "/apis/%s/%s/namespaces/%s/%s", req->group, req->version, ns, what);
    else
        snprintf(buf, len, "/api/v1/namespaces/%s/%s", ns, what);
}

static int api_list_json(rq_t *q, const char *path, cJSON **out, skiff_error_t *err)
{
    char *json = NULL;
    skiff_error_t e;
    skiff_error_clear(&e);
    int rc = q->host->api_list(q->ctx, path, NULL, NULL, &json, &e);
    if (rc < 0) {
        q->host->api_free(json);
        return skiff_error_set(err, rc, "listing %s: %s", path, e.msg);
    }
    *out = cJSON_Parse(json);
    q->host->api_free(json);
    if (!*out) return skiff_error_set(err, SKIFF_E_INTERNAL, "listing %s: unreadable answer", path);
    return 0;
}

static int64_t val_of(const rq_val_t *v, int n, const char *key, int *found)
{
    for (int i = 0; i < n; i++)
        if (strcmp(v[i].key, key) == 0) { if (found) *found = 1; return v[i].milli; }
    if (found) *found = 0;
    return 0;
}

/* Usage now, per quota in qs, in namespace ns of `resource` (objects
 * listed + live reservations, each counted for the quotas whose scopes
 * select it), skipping the object named `skip`. Prunes reservations that
 * are visible or expired. Called under q->mu. */
static int current_usage(rq_t *q, const skiff_adm_request_t *req, const char *skip, const cJSON *const *qs,
                         int nq, rq_val_t (*used)[RQ_MAX_VALS], int *nused, skiff_error_t *err)
{
    char path[600];
    list_path(req, req->namespace_, req->resource, path, sizeof path);
    cJSON *list = NULL;
    int rc = api_list_json(q, path, &list, err);
    if (rc < 0) return rc;
    const cJSON *it;
    cJSON_ArrayForEach(it, adm_get(list, "items")) {
        const char *name = adm_str(it, "metadata.name");
        if (skip && name && strcmp(name, skip) == 0) continue;
        rq_val_t v[RQ_MAX_VALS];
        int n = 0;
        usage_of(req->resource, req->group, it, v, &n);
        rq_props_t pr;
        props_of(req->resource, req->group, it, &pr);
        for (int k = 0; k < nq; k++)
            if (quota_selects(qs[k], &pr))
                for (int i = 0; i < n; i++) vals_add(used[k], &nused[k], v[i].key, v[i].milli);
    }
    int64_t now = q->host->clock_monotonic_ns();
    for (rq_resv_t **pp = &q->resv; *pp;) {
        rq_resv_t *r = *pp;
        int mine = strcmp(r->ns, req->namespace_) == 0 && strcmp(r->resource, req->resource) == 0;
        int visible = 0;
        if (mine) {
            cJSON_ArrayForEach(it, adm_get(list, "items")) {
                const char *name = adm_str(it, "metadata.name");
                if (!name || strcmp(name, r->name) != 0) continue;
                const char *rv = adm_str(it, "metadata.resourceVersion");
                /* a create shows up; an update shows up as another version */
                visible = !r->old_rv[0] || !rv || strcmp(rv, r->old_rv) != 0;
                break;
            }
        }
        /* a delete of the reserved name means the create went through */
        if (mine && skip && strcmp(r->name, skip) == 0) visible = 1;
        if (visible || r->deadline_ns <= now) {
            *pp = r->next;
            free(r);
            continue;
        }
        if (mine)
            for (int k = 0; k < nq; k++)
                if (quota_selects(qs[k], &r->props))
                    for (int i = 0; i < r->n; i++) vals_add(used[k], &nused[k], r->v[i].key, r->v[i].milli);
        pp = &r->next;
    }
    cJSON_Delete(list);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Kubernetes' pod Constraints: a quota on cpu/memory requests or limits
 * needs every container to state them ("must specify requests.cpu for: c").
 * Writes the message into msg and returns 1 when something is missing. */
static int pod_constraints(const cJSON *quota, const cJSON *pod, char *msg, size_t len)
{
    static const char *const keys[] = { "cpu", "limits.cpu", "limits.memory", "memory", "requests.cpu",
                                        "requests.memory" }; /* sorted, as Kubernetes lists them */
    size_t o = 0;
    int missing = 0;
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        if (!adm_get(adm_path(quota, "spec.hard"), keys[k])) continue;
        int is_limit = strncmp(keys[k], "limits.", 7) == 0;
        const char *res = strchr(keys[k], '.') ? strchr(keys[k], '.') + 1 : keys[k];
        const char *names[64];
        int nn = 0;
        for (int init = 0; init < 2; init++) {
            const cJSON *c;
            cJSON_ArrayForEach(c, adm_path(pod, init ? "spec.initContainers" : "spec.containers")) {
                const cJSON *r = adm_get(c, "resources");
                int has = adm_get(adm_get(r, is_limit ? "limits" : "requests"), res) != NULL;
                if (!is_limit && !has) has = adm_get(adm_get(r, "limits"), res) != NULL; /* defaulted from the limit */
                if (!has && nn < 64 && adm_str(c, "name")) names[nn++] = adm_str(c, "name");
            }
        }
        if (!nn) continue;
        qsort(names, (size_t)nn, sizeof names[0], cmp_str);
        o += (size_t)snprintf(msg + o, o < len ? len - o : 0, "%s%s for: ", missing ? "; " : "must specify ", keys[k]);
        for (int i = 0; i < nn; i++)
            o += (size_t)snprintf(msg + o, o < len ? len - o : 0, "%s%s", i ? "," : "", names[i]);
        missing = 1;
    }
    return missing;
}

/* Patch the quota's status: hard = spec.hard, used = our figures for the
 * keys we track in this call. Best effort: a failure is logged only (the
 * decision has been made; status is a report). */
static void patch_status(rq_t *q, const char *ns, const cJSON *quota, const rq_val_t *used, int nused)
{
    const char *name = adm_str(quota, "metadata.name");
    if (!name) return;
    cJSON *p = cJSON_CreateObject();
    cJSON *st = cJSON_AddObjectToObject(p, "status");
    cJSON_AddItemToObject(st, "hard", cJSON_Duplicate(adm_path(quota, "spec.hard"), 1));
    cJSON *u = cJSON_AddObjectToObject(st, "used");
    const cJSON *h;
    cJSON_ArrayForEach(h, adm_path(quota, "spec.hard")) {
        int found;
        int64_t v = val_of(used, nused, h->string, &found);
        if (!found) continue;
        char txt[48];
        adm_quantity_format(v, txt, sizeof txt);
        cJSON_AddStringToObject(u, h->string, txt);
    }
    char *json = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    if (!json) return;
    char path[600];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/resourcequotas/%s/status", ns, name);
    skiff_error_t e;
    skiff_error_clear(&e);
    if (q->host->api_patch(q->ctx, path, "application/merge-patch+json", json, NULL, &e) < 0)
        q->host->log(q->ctx, SKIFF_LOG_WARN, "could not update status of quota %s/%s: %s", ns, name, e.msg);
    free(json);
}

/* ---- API validation of a ResourceQuota's scopes (ValidateResourceQuotaSpec) */

static const char *const std_scopes[] = { "Terminating", "NotTerminating", "BestEffort", "NotBestEffort",
                                          "PriorityClass", "CrossNamespacePodAffinity", NULL };
/* Kubernetes' standard quota resource names: only these are checked against scopes */
static const char *const std_resources[] = { "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory",
                                             "requests.ephemeral-storage", "requests.storage", "limits.cpu",
                                             "limits.memory", "limits.ephemeral-storage", "pods", "resourcequotas",
                                             "services", "replicationcontrollers", "secrets", "persistentvolumeclaims",
                                             "configmaps", "services.nodeports", "services.loadbalancers", NULL };
static const char *const pod_compute[] = { "cpu", "memory", "limits.cpu", "limits.memory", "requests.cpu",
                                           "requests.memory", NULL };

static int in_strs(const char *const *l, const char *s)
{
    for (; s && *l; l++) if (!strcmp(*l, s)) return 1;
    return 0;
}

static int scope_valid_for(const char *scope, const char *res)
{
    if (!in_strs(std_scopes, scope)) return 1;
    if (!strcmp(scope, "BestEffort")) return !strcmp(res, "pods");
    return !strcmp(res, "pods") || in_strs(pod_compute, res);
}

/* The first problem as "<field>: <message>", or 0 when the spec is valid. */
static int validate_scopes(const cJSON *quota, char *why, size_t len)
{
    const cJSON *hard = adm_path(quota, "spec.hard"), *h, *x;
    const cJSON *scopes = adm_path(quota, "spec.scopes");
    /* the value as Kubernetes prints it: []core.ResourceQuotaScope{"A", "B"} */
    char txt[400];
    size_t o = (size_t)snprintf(txt, sizeof txt, "[]core.ResourceQuotaScope{");
    cJSON_ArrayForEach(x, scopes)
        if (o < sizeof txt)
            o += (size_t)snprintf(txt + o, sizeof txt - o, "%s\"%s\"", x == scopes->child ? "" : ", ",
                                  cJSON_IsString(x) ? x->valuestring : "");
    if (o < sizeof txt) snprintf(txt + o, sizeof txt - o, "}");
    int bad = 0, be = 0, nbe = 0, t = 0, nt = 0;
    cJSON_ArrayForEach(x, scopes) {
        const char *sc = cJSON_IsString(x) ? x->valuestring : "";
        if (!in_strs(std_scopes, sc)) {
            snprintf(why, len, "spec.scopes: Invalid value: %s: unsupported scope", txt);
            bad = 1;
            break;
        }
        cJSON_ArrayForEach(h, hard)
            if (in_strs(std_resources, h->string) && !scope_valid_for(sc, h->string)) {
                snprintf(why, len, "spec.scopes: Invalid value: %s: unsupported scope applied to resource", txt);
                bad = 1;
            }
        if (bad) break;
        be |= !strcmp(sc, "BestEffort"); nbe |= !strcmp(sc, "NotBestEffort");
        t |= !strcmp(sc, "Terminating"); nt |= !strcmp(sc, "NotTerminating");
    }
    if (!bad && ((be && nbe) || (t && nt))) {
        snprintf(why, len, "spec.scopes: Invalid value: %s: conflicting scopes", txt);
        bad = 1;
    }
    if (bad) return 1;
    be = nbe = t = nt = 0;
    const cJSON *sel = adm_path(quota, "spec.scopeSelector");
    const char *f = "spec.scopeSelector.matchExpressions";
    cJSON_ArrayForEach(x, adm_get(sel, "matchExpressions")) {
        const char *sc = adm_str(x, "scopeName") ? adm_str(x, "scopeName") : "";
        const char *op = adm_str(x, "operator") ? adm_str(x, "operator") : "";
        int nv = cJSON_GetArraySize(adm_get(x, "values"));
        if (!in_strs(std_scopes, sc)) { snprintf(why, len, "%s.scopeName: Invalid value: \"%s\": unsupported scope", f, sc); return 1; }
        cJSON_ArrayForEach(h, hard)
            if (in_strs(std_resources, h->string) && !scope_valid_for(sc, h->string)) {
                snprintf(why, len, "%s: Invalid value: scopeName %s with spec.hard %s: unsupported scope applied to resource",
                         f, sc, h->string);
                return 1;
            }
        if (strcmp(sc, "PriorityClass") != 0 && strcmp(op, "Exists") != 0) {
            snprintf(why, len, "%s.operator: Invalid value: \"%s\": must be 'Exist' when scope is any of "
                     "ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, "
                     "ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity", f, op);
            return 1;
        }
        if (!strcmp(op, "In") || !strcmp(op, "NotIn")) {
            if (!nv) {
                snprintf(why, len, "%s.values: Required value: must be at least one value when `operator` is 'In' or "
                         "'NotIn' for scope selector", f);
                return 1;
            }
        } else if (!strcmp(op, "Exists") || !strcmp(op, "DoesNotExist")) {
            if (nv) {
                snprintf(why, len, "%s.values: Invalid value: %d values: must be no value when `operator` is 'Exist' "
                         "or 'DoesNotExist' for scope selector", f, nv);
                return 1;
            }
        } else {
            snprintf(why, len, "%s.operator: Invalid value: \"%s\": not a valid selector operator", f, op);
            return 1;
        }
        be |= !strcmp(sc, "BestEffort"); nbe |= !strcmp(sc, "NotBestEffort");
        t |= !strcmp(sc, "Terminating"); nt |= !strcmp(sc, "NotTerminating");
    }
    if ((be && nbe) || (t && nt)) {
        snprintf(why, len, "%s: Invalid value: scopeSelector: conflicting scopes", f);
        return 1;
    }
    return 0;
}

/* Kubernetes' denial: exceeded quota: q, requested: k=v,..., used: ..., limited: ... */
static int exceeded(const cJSON *quota, const rq_val_t *delta, int nd, const rq_val_t *used, int nu,
                    skiff_error_t *err)
{
    const cJSON *h;
    const char *keys[32];
    int nk = 0;
    cJSON_ArrayForEach(h, adm_path(quota, "spec.hard")) {
        int found;
        int64_t d = val_of(delta, nd, h->string, &found), hard;
        if (!found || d <= 0 || adm_quantity_at(adm_path(quota, "spec.hard"), h->string, &hard) < 0) continue;
        if (val_of(used, nu, h->string, NULL) + d > hard && nk < 32) keys[nk++] = h->string;
    }
    if (!nk) return 0;
    qsort(keys, (size_t)nk, sizeof keys[0], cmp_str);
    char req_s[512] = "", used_s[512] = "", lim_s[512] = "";
    size_t o1 = 0, o2 = 0, o3 = 0;
    for (int k = 0; k < nk; k++) {
        char a[48], b[48], c[48];
        int64_t hard = 0;
        adm_quantity_at(adm_path(quota, "spec.hard"), keys[k], &hard);
        adm_quantity_format(val_of(delta, nd, keys[k], NULL), a, sizeof a);
        adm_quantity_format(val_of(used, nu, keys[k], NULL), b, sizeof b);
        adm_quantity_format(hard, c, sizeof c);
        o1 += (size_t)snprintf(req_s + o1, o1 < sizeof req_s ? sizeof req_s - o1 : 0, "%s%s=%s", k ? "," : "", keys[k], a);
        o2 += (size_t)snprintf(used_s + o2, o2 < sizeof used_s ? sizeof used_s - o2 : 0, "%s%s=%s", k ? "," : "", keys[k], b);
        o3 += (size_t)snprintf(lim_s + o3, o3 < sizeof lim_s ? sizeof lim_s - o3 : 0, "%s%s=%s", k ? "," : "", keys[k], c);
    }
    skiff_error_set(err, SKIFF_E_FULL, "exceeded quota: %s, requested: %s, used: %s, limited: %s",
                    adm_str(quota, "metadata.name") ? adm_str(quota, "metadata.name") : "", req_s, used_s, lim_s);
    return 1;
}

static int rq_admit(void *self, skiff_adm_request_t *req, skiff_adm_verdict_t *verdict,
                    skiff_error_t *err)
{
    rq_t *q = self;
    *verdict = SKIFF_ADM_ALLOW;
    if (!req->group || !*req->group) {
        /* a quota's spec written (not its status), or a namespace (re)created or deleted */
        if (req->resource && strcmp(req->resource, "resourcequotas") == 0 && req->namespace_
            && !(req->subresource && *req->subresource))
            adm_cache_invalidate(&q->cache, req->namespace_);
        if (req->resource && strcmp(req->resource, "namespaces") == 0 && req->name)
            adm_cache_invalidate(&q->cache, req->name);
    }
    if ((!req->group || !*req->group) && req->resource && !strcmp(req->resource, "resourcequotas") && req->object &&
        (req->op == SKIFF_ADM_CREATE || req->op == SKIFF_ADM_UPDATE) && !(req->subresource && *req->subresource)) {
        char why[900];
        if (validate_scopes(req->object, why, sizeof why)) {
            /* API validation kube-apiserver does; 422 from a host that has the verdict */
            int v12 = req->size >= offsetof(skiff_adm_request_t, reinvoke) + sizeof(int);
            *verdict = v12 ? SKIFF_ADM_INVALID : SKIFF_ADM_DENY;
            skiff_error_set(err, SKIFF_E_INVALID, "%s", why);
            if (req->size >= offsetof(skiff_adm_request_t, set_reason) + sizeof(void *) && req->set_reason)
                req->set_reason(req, why);
            return 0;
        }
    }
    int op = req->op;
    if (op != SKIFF_ADM_CREATE && op != SKIFF_ADM_UPDATE && op != SKIFF_ADM_DELETE) return 0;
    if ((req->subresource && *req->subresource) || !req->namespace_ || !*req->namespace_) return 0;
    if (!req->resource || !req->name) return 0;
    const cJSON *obj = op == SKIFF_ADM_DELETE ? req->old_object : req->object;
    if (!obj || (op == SKIFF_ADM_UPDATE && !req->old_object)) return 0;

    /* a copy of the namespace's quotas only when there are some (the common case has none) */
    cJSON *quotas = NULL;
    int rc = adm_cache_list_ns(&q->cache, q->ctx, req->namespace_, "/resourcequotas", &quotas, err);
    if (rc < 0) return rc;
    if (cJSON_GetArraySize(quotas) == 0) { cJSON_Delete(quotas); return 0; } /* the common case */

    rq_val_t delta[RQ_MAX_VALS];
    int nd = 0;
    usage_of(req->resource, req->group, obj, delta, &nd);
    const char *old_rv = NULL;
    if (op == SKIFF_ADM_UPDATE) {
        /* an update is charged what it adds (Kubernetes: new - old, never
         * below zero per key); count/<resource> and object counts do not change */
        rq_val_t old[RQ_MAX_VALS];
        int no = 0;
        usage_of(req->resource, req->group, req->old_object, old, &no);
        old_rv = adm_str(req->old_object, "metadata.resourceVersion");
        for (int i = 0; i < nd; i++) {
            int64_t d = delta[i].milli - val_of(old, no, delta[i].key, NULL);
            delta[i].milli = d > 0 ? d : 0;
        }
    }
    rq_props_t props;
    props_of(req->resource, req->group, obj, &props);
    /* quotas that select this object and track something it uses (adds) */
    const cJSON *qs[RQ_MAX_QUOTAS];
    int nq = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, quotas) {
        if (!quota_selects(it, &props)) continue;
        const cJSON *h;
        int hit = 0;
        cJSON_ArrayForEach(h, adm_path(it, "spec.hard")) {
            int found;
            int64_t d = val_of(delta, nd, h->string, &found);
            if (found && (d > 0 || op == SKIFF_ADM_DELETE)) hit = 1;
        }
        if (hit && nq < RQ_MAX_QUOTAS) qs[nq++] = it;
    }
    if (nq == 0) { cJSON_Delete(quotas); return 0; }

    rq_val_t (*used)[RQ_MAX_VALS] = calloc((size_t)nq, sizeof *used);
    int nu[RQ_MAX_QUOTAS] = { 0 };
    if (!used) { cJSON_Delete(quotas); return skiff_error_set(err, -ENOMEM, "out of memory"); }
    pthread_mutex_lock(&q->mu);
    for (int k = 0; k < nq; k++)
        for (int i = 0; i < nd; i++) vals_add(used[k], &nu[k], delta[i].key, 0); /* report zeros too */
    rc = current_usage(q, req, op == SKIFF_ADM_DELETE ? req->name : NULL, qs, nq, used, nu, err);
    if (rc < 0) { pthread_mutex_unlock(&q->mu); free(used); cJSON_Delete(quotas); return rc; }

    int denied = 0;
    if (op == SKIFF_ADM_CREATE && (!req->group || !*req->group) && strcmp(req->resource, "pods") == 0) {
        char must[400];
        for (int i = 0; i < nq && !denied; i++) {
            if (!pod_constraints(qs[i], obj, must, sizeof must)) continue;
            skiff_error_set(err, SKIFF_E_INVALID, "failed quota: %s: %s",
                            adm_str(qs[i], "metadata.name") ? adm_str(qs[i], "metadata.name") : "", must);
            denied = 1;
        }
    }
    if (op != SKIFF_ADM_DELETE) {
        for (int i = 0; i < nq && !denied; i++) denied = exceeded(qs[i], delta, nd, used[i], nu[i], err);
        if (!denied && !req->dry_run) {
            rq_resv_t *r = calloc(1, sizeof *r);
            if (!r) {
                pthread_mutex_unlock(&q->mu);
                free(used);
                cJSON_Delete(quotas);
                return skiff_error_set(err, -ENOMEM, "out of memory reserving quota");
            }
            snprintf(r->ns, sizeof r->ns, "%s", req->namespace_);
            snprintf(r->resource, sizeof r->resource, "%s", req->resource);
            snprintf(r->name, sizeof r->name, "%s", req->name);
            snprintf(r->old_rv, sizeof r->old_rv, "%s", old_rv ? old_rv : "");
            r->props = props;
            r->deadline_ns = q->host->clock_monotonic_ns() + q->ttl_ms * 1000000;
            r->n = nd;
            memcpy(r->v, delta, sizeof delta);
            r->next = q->resv;
            q->resv = r;
            for (int k = 0; k < nq; k++)
                for (int i = 0; i < nd; i++) vals_add(used[k], &nu[k], delta[i].key, delta[i].milli);
        }
    }
    if (denied) *verdict = SKIFF_ADM_DENY;
    else if (!req->dry_run)
        for (int i = 0; i < nq; i++) patch_status(q, req->namespace_, qs[i], used[i], nu[i]);
    pthread_mutex_unlock(&q->mu);
    free(used);
    cJSON_Delete(quotas);
    return 0;
}

static const skiff_config_key_t rq_keys[] = {
    { "reservation_ttl", SKIFF_CFG_DURATION, "10s", SKIFF_CFG_FILL, offsetof(rq_t, ttl_ms),
      "how long an admitted create holds quota before it must be visible in the store" },
    SKIFF_CONFIG_END,
};

static const skiff_admission_ops_t rq_ops = {
    .size = sizeof(skiff_admission_ops_t),
    .mutating = 0,
    .admit = rq_admit,
};

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_ADMISSION,
    .name = "resource-quota",
    .version = "0.1.0",
    .description = "Enforces ResourceQuota hard limits atomically and keeps status.used current.",
    .config = rq_keys,
    .instance_size = sizeof(rq_t),
    .init = rq_init,
    .fini = rq_fini,
    .ops = &rq_ops,
};
