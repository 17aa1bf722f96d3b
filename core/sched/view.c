/* Pod and node cJSON -> the plain views of skiff/scheduler.h, built once per
 * add/update so plugins never walk JSON on the hot path. Everything a view
 * points to lives in its arena. Field errors name the JSON path. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched/sched_int.h"
#include "util/quantity.h"

/* JSON numbers are doubles: casting one outside the target's range (1e300,
 * inf) is undefined behaviour, so bad input is clamped first. */
static int64_t num_clamp(double d, int64_t lo, int64_t hi)
{
    if (d != d) return 0;
    if (d <= (double)lo) return lo;
    if (d >= (double)hi) return hi;
    return (int64_t)d;
}

/* Sums of requests saturate instead of overflowing (signed overflow is UB). */
static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

#define GET(o, k) cJSON_GetObjectItemCaseSensitive((o), (k))

/* "2026-01-02T03:04:05Z" (fraction and offset ignored) -> Unix ns; 0 when absent or bad. */
static int64_t rfc3339_ns(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!s || !*s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) return 0;
    return (int64_t)timegm(&tm) * 1000000000;
}

static const char *str_or(const cJSON *o, const char *k, const char *def)
{
    const cJSON *v = GET(o, k);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : def;
}

/* A string map (labels, nodeSelector) -> kv array. */
static int view_kv(sched_arena_t *a, const cJSON *m, const char *path, const skiff_sched_kv_t **out,
                   size_t *n, skiff_error_t *err)
{
    *out = NULL;
    *n = 0;
    if (!m || cJSON_IsNull(m)) return 0;
    if (!cJSON_IsObject(m)) return skiff_error_set(err, SKIFF_E_INVALID, "%s: expected an object", path);
    size_t cnt = (size_t)cJSON_GetArraySize(m);
    if (!cnt) return 0;
    skiff_sched_kv_t *kv = sched_arena_alloc(a, cnt * sizeof *kv);
    if (!kv) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    size_t i = 0;
    for (const cJSON *e = m->child; e; e = e->next) {
        if (!cJSON_IsString(e))
            return skiff_error_set(err, SKIFF_E_INVALID, "%s.%s: expected a string", path, e->string);
        kv[i].key = sched_arena_str(a, e->string);
        kv[i].value = sched_arena_str(a, e->valuestring);
        i++;
    }
    *out = kv;
    *n = i;
    return 0;
}

static int view_strings(sched_arena_t *a, const cJSON *arr, const char *path,
                        const char *const **out, size_t *n, skiff_error_t *err)
{
    *out = NULL;
    *n = 0;
    if (!arr || cJSON_IsNull(arr)) return 0;
    if (!cJSON_IsArray(arr)) return skiff_error_set(err, SKIFF_E_INVALID, "%s: expected a list", path);
    size_t cnt = (size_t)cJSON_GetArraySize(arr);
    const char **v = sched_arena_alloc(a, (cnt + 1) * sizeof *v);
    if (!v) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    size_t i = 0;
    for (const cJSON *e = arr->child; e; e = e->next, i++) {
        if (!cJSON_IsString(e))
            return skiff_error_set(err, SKIFF_E_INVALID, "%s[%zu]: expected a string", path, i);
        v[i] = sched_arena_str(a, e->valuestring);
    }
    *out = v;
    *n = i;
    return 0;
}

static int parse_op(const char *s, int node_selector, skiff_sched_op_t *op)
{
    static const struct { const char *n; skiff_sched_op_t op; } ops[] = {
        { "In", SKIFF_SCHED_OP_IN }, { "NotIn", SKIFF_SCHED_OP_NOT_IN },
        { "Exists", SKIFF_SCHED_OP_EXISTS }, { "DoesNotExist", SKIFF_SCHED_OP_DOES_NOT_EXIST },
        { "Gt", SKIFF_SCHED_OP_GT }, { "Lt", SKIFF_SCHED_OP_LT },
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (s && strcmp(s, ops[i].n) == 0) {
            if (!node_selector && ops[i].op >= SKIFF_SCHED_OP_GT) return -1;
            *op = ops[i].op;
            return 0;
        }
    return -1;
}

static int view_reqs(sched_arena_t *a, const cJSON *arr, const char *path, int node_selector,
                     const skiff_sched_requirement_t **out, size_t *n, skiff_error_t *err)
{
    *out = NULL;
    *n = 0;
    if (!arr || cJSON_IsNull(arr)) return 0;
    if (!cJSON_IsArray(arr)) return skiff_error_set(err, SKIFF_E_INVALID, "%s: expected a list", path);
    size_t cnt = (size_t)cJSON_GetArraySize(arr);
    skiff_sched_requirement_t *r = sched_arena_alloc(a, (cnt + 1) * sizeof *r);
    if (!r) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    size_t i = 0;
    char sub[256];
    for (const cJSON *e = arr->child; e; e = e->next, i++) {
        const char *op = str_or(e, "operator", NULL);
        r[i].key = sched_arena_str(a, str_or(e, "key", ""));
        if (parse_op(op, node_selector, &r[i].op) < 0)
            return skiff_error_set(err, SKIFF_E_INVALID, "%s[%zu].operator: \"%s\" is not a valid %s operator",
                                   path, i, op ? op : "", node_selector ? "node selector" : "label selector");
        snprintf(sub, sizeof sub, "%s[%zu].values", path, i);
        int rc = view_strings(a, GET(e, "values"), sub, &r[i].values, &r[i].n_values, err);
        if (rc < 0) return rc;
    }
    *out = r;
    *n = i;
    return 0;
}

static int view_node_term(sched_arena_t *a, const cJSON *t, const char *path,
                          skiff_sched_node_term_t *term, skiff_error_t *err)
{
    char sub[256];
    snprintf(sub, sizeof sub, "%s.matchExpressions", path);
    int rc = view_reqs(a, GET(t, "matchExpressions"), sub, 1, &term->exprs, &term->n_exprs, err);
    if (rc < 0) return rc;
    snprintf(sub, sizeof sub, "%s.matchFields", path);
    return view_reqs(a, GET(t, "matchFields"), sub, 1, &term->fields, &term->n_fields, err);
}

static int view_selector(sched_arena_t *a, const cJSON *s, const char *path,
                         skiff_sched_label_selector_t *sel, skiff_error_t *err)
{
    memset(sel, 0, sizeof *sel);
    if (!s || cJSON_IsNull(s)) return 0;
    if (!cJSON_IsObject(s)) return skiff_error_set(err, SKIFF_E_INVALID, "%s: expected an object", path);
    sel->present = 1;
    char sub[256];
    snprintf(sub, sizeof sub, "%s.matchLabels", path);
    int rc = view_kv(a, GET(s, "matchLabels"), sub, &sel->match_labels, &sel->n_match_labels, err);
    if (rc < 0) return rc;
    snprintf(sub, sizeof sub, "%s.matchExpressions", path);
    return view_reqs(a, GET(s, "matchExpressions"), sub, 0, &sel->exprs, &sel->n_exprs, err);
}

static int view_pod_term(sched_arena_t *a, const cJSON *t, const char *path,
                         skiff_sched_pod_term_t *term, skiff_error_t *err)
{
    char sub[256];
    snprintf(sub, sizeof sub, "%s.labelSelector", path);
    int rc = view_selector(a, GET(t, "labelSelector"), sub, &term->selector, err);
    if (rc < 0) return rc;
    snprintf(sub, sizeof sub, "%s.namespaces", path);
    rc = view_strings(a, GET(t, "namespaces"), sub, &term->namespaces, &term->n_namespaces, err);
    if (rc < 0) return rc;
    const cJSON *nss = GET(t, "namespaceSelector");
    /* An empty namespaceSelector selects every namespace; label-based ones
     * need namespace labels the scheduler does not watch yet. */
    term->all_namespaces = cJSON_IsObject(nss) && !nss->child;
    term->topology_key = sched_arena_str(a, str_or(t, "topologyKey", ""));
    if (!term->topology_key[0])
        return skiff_error_set(err, SKIFF_E_INVALID, "%s.topologyKey: required", path);
    return 0;
}

static int view_pod_affinity(sched_arena_t *a, const cJSON *pa, const char *path,
                             skiff_sched_pod_affinity_t *aff, skiff_error_t *err)
{
    memset(aff, 0, sizeof *aff);
    if (!pa || cJSON_IsNull(pa)) return 0;
    char sub[300];
    const cJSON *req = GET(pa, "requiredDuringSchedulingIgnoredDuringExecution");
    if (cJSON_IsArray(req)) {
        size_t cnt = (size_t)cJSON_GetArraySize(req), i = 0;
        skiff_sched_pod_term_t *t = sched_arena_alloc(a, (cnt + 1) * sizeof *t);
        if (!t) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
        for (const cJSON *e = req->child; e; e = e->next, i++) {
            snprintf(sub, sizeof sub, "%s.requiredDuringSchedulingIgnoredDuringExecution[%zu]", path, i);
            int rc = view_pod_term(a, e, sub, &t[i], err);
            if (rc < 0) return rc;
        }
        aff->required = t;
        aff->n_required = i;
    }
    const cJSON *pref = GET(pa, "preferredDuringSchedulingIgnoredDuringExecution");
    if (cJSON_IsArray(pref)) {
        size_t cnt = (size_t)cJSON_GetArraySize(pref), i = 0;
        skiff_sched_weighted_pod_term_t *t = sched_arena_alloc(a, (cnt + 1) * sizeof *t);
        if (!t) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
        for (const cJSON *e = pref->child; e; e = e->next, i++) {
            snprintf(sub, sizeof sub, "%s.preferredDuringSchedulingIgnoredDuringExecution[%zu].podAffinityTerm", path, i);
            const cJSON *w = GET(e, "weight");
            t[i].weight = cJSON_IsNumber(w) ? (int32_t)num_clamp(w->valuedouble, INT32_MIN, INT32_MAX) : 0;
            int rc = view_pod_term(a, GET(e, "podAffinityTerm"), sub, &t[i].term, err);
            if (rc < 0) return rc;
        }
        aff->preferred = t;
        aff->n_preferred = i;
    }
    return 0;
}

static int parse_effect(const char *s, skiff_sched_taint_effect_t *e)
{
    if (!s || !*s) { *e = SKIFF_SCHED_EFFECT_ALL; return 0; }
    if (strcmp(s, "NoSchedule") == 0) *e = SKIFF_SCHED_EFFECT_NO_SCHEDULE;
    else if (strcmp(s, "PreferNoSchedule") == 0) *e = SKIFF_SCHED_EFFECT_PREFER_NO_SCHEDULE;
    else if (strcmp(s, "NoExecute") == 0) *e = SKIFF_SCHED_EFFECT_NO_EXECUTE;
    else return -1;
    return 0;
}

/* ---- resources ------------------------------------------------------ */

typedef struct res_acc {
    int64_t cpu, mem, eph;
    skiff_sched_scalar_t sc[16];
    size_t n_sc;
} res_acc_t;

static int64_t sc_find(res_acc_t *r, const char *name, int add)
{
    for (size_t i = 0; i < r->n_sc; i++)
        if (strcmp(r->sc[i].name, name) == 0) return (int64_t)i;
    if (!add || r->n_sc == 16) return -1;
    r->sc[r->n_sc].name = name;
    r->sc[r->n_sc].value = 0;
    return (int64_t)r->n_sc++;
}

/* Quantities to units: cpu stays milli; everything else whole units rounded up. */
static int read_resources(const cJSON *m, const char *path, res_acc_t *r, int *has_cpu,
                          int *has_mem, skiff_error_t *err)
{
    memset(r, 0, sizeof *r);
    if (has_cpu) *has_cpu = 0;
    if (has_mem) *has_mem = 0;
    if (!m || cJSON_IsNull(m)) return 0;
    if (!cJSON_IsObject(m)) return skiff_error_set(err, SKIFF_E_INVALID, "%s: expected an object", path);
    for (const cJSON *e = m->child; e; e = e->next) {
        int64_t milli;
        skiff_error_t qe;
        if (cJSON_IsString(e)) {
            if (skiff_quantity_parse(e->valuestring, &milli, &qe) < 0)
                return skiff_error_set(err, SKIFF_E_INVALID, "%s.%s: %s", path, e->string, qe.msg);
        } else if (cJSON_IsNumber(e)) {
            milli = num_clamp(e->valuedouble * 1000, INT64_MIN, INT64_MAX);
        } else {
            return skiff_error_set(err, SKIFF_E_INVALID, "%s.%s: expected a quantity", path, e->string);
        }
        int64_t units = milli / 1000 + (milli % 1000 > 0);
        if (strcmp(e->string, "cpu") == 0) { r->cpu = milli; if (has_cpu) *has_cpu = 1; }
        else if (strcmp(e->string, "memory") == 0) { r->mem = units; if (has_mem) *has_mem = 1; }
        else if (strcmp(e->string, "ephemeral-storage") == 0) r->eph = units;
        else { /* extended resources, and "pods" (split out by copy_scalars) */
            int64_t i = sc_find(r, e->string, 1);
            if (i >= 0) r->sc[i].value = units;
        }
    }
    return 0;
}

static int copy_scalars(sched_arena_t *a, const res_acc_t *r, skiff_sched_resources_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_sc; i++) {
        if (strcmp(r->sc[i].name, "pods") == 0) out->pods = r->sc[i].value;
        else n++;
    }
    if (!n) return 0;
    skiff_sched_scalar_t *s = sched_arena_alloc(a, n * sizeof *s);
    if (!s) return -1;
    size_t j = 0;
    for (size_t i = 0; i < r->n_sc; i++) {
        if (strcmp(r->sc[i].name, "pods") == 0) { out->pods = r->sc[i].value; continue; }
        s[j].name = sched_arena_str(a, r->sc[i].name);
        s[j].value = r->sc[i].value;
        j++;
    }
    out->scalar = s;
    out->n_scalar = j;
    return 0;
}

static void acc_add(res_acc_t *sum, const res_acc_t *c)
{
    sum->cpu = sat_add(sum->cpu, c->cpu);
    sum->mem = sat_add(sum->mem, c->mem);
    sum->eph = sat_add(sum->eph, c->eph);
    for (size_t i = 0; i < c->n_sc; i++) {
        int64_t j = sc_find(sum, c->sc[i].name, 1);
        if (j >= 0) sum->sc[j].value = sat_add(sum->sc[j].value, c->sc[i].value);
    }
}

static void acc_max(res_acc_t *sum, const res_acc_t *c)
{
    if (c->cpu > sum->cpu) sum->cpu = c->cpu;
    if (c->mem > sum->mem) sum->mem = c->mem;
    if (c->eph > sum->eph) sum->eph = c->eph;
    for (size_t i = 0; i < c->n_sc; i++) {
        int64_t j = sc_find(sum, c->sc[i].name, 1);
        if (j >= 0 && c->sc[i].value > sum->sc[j].value) sum->sc[j].value = c->sc[i].value;
    }
}

#define DEFAULT_MILLI_CPU 100                      /* Kubernetes' scoring defaults */
#define DEFAULT_MEMORY (200LL * 1024 * 1024)

/* Effective pod request as Kubernetes' resource.PodRequests computes it:
 * max(sum of containers, largest init container) + overhead. */
static int pod_requests(sched_arena_t *a, const cJSON *spec, skiff_sched_pod_t *pod,
                        skiff_error_t *err)
{
    res_acc_t sum = { 0 }, init = { 0 }, c;
    int64_t nz_cpu = 0, nz_mem = 0, nz_icpu = 0, nz_imem = 0;
    char path[128];
    static const char *lists[] = { "containers", "initContainers" };
    for (int l = 0; l < 2; l++) {
        size_t i = 0;
        const cJSON *arr = GET(spec, lists[l]);
        for (const cJSON *ct = cJSON_IsArray(arr) ? arr->child : NULL; ct; ct = ct->next, i++) {
            snprintf(path, sizeof path, "spec.%s[%zu].resources.requests", lists[l], i);
            int has_cpu, has_mem;
            int rc = read_resources(GET(GET(ct, "resources"), "requests"), path, &c, &has_cpu,
                                    &has_mem, err);
            if (rc < 0) return rc;
            int64_t zc = has_cpu ? c.cpu : DEFAULT_MILLI_CPU;
            int64_t zm = has_mem ? c.mem : DEFAULT_MEMORY;
            if (l == 0) {
                acc_add(&sum, &c);
                nz_cpu = sat_add(nz_cpu, zc);
                nz_mem = sat_add(nz_mem, zm);
            } else {
                acc_max(&init, &c);
                if (zc > nz_icpu) nz_icpu = zc;
                if (zm > nz_imem) nz_imem = zm;
            }
        }
    }
    acc_max(&sum, &init);
    if (nz_icpu > nz_cpu) nz_cpu = nz_icpu;
    if (nz_imem > nz_mem) nz_mem = nz_imem;
    int rc = read_resources(GET(spec, "overhead"), "spec.overhead", &c, NULL, NULL, err);
    if (rc < 0) return rc;
    acc_add(&sum, &c);
    nz_cpu = sat_add(nz_cpu, c.cpu);
    nz_mem = sat_add(nz_mem, c.mem);
    pod->requests.milli_cpu = sum.cpu;
    pod->requests.memory = sum.mem;
    pod->requests.ephemeral_storage = sum.eph;
    if (copy_scalars(a, &sum, &pod->requests) < 0)
        return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    pod->requests.pods = 1;
    pod->non_zero_milli_cpu = nz_cpu;
    pod->non_zero_memory = nz_mem;
    return 0;
}

int sched_view_pod(sched_arena_t *a, const cJSON *obj, skiff_sched_pod_t *pod, skiff_error_t *err)
{
    memset(pod, 0, sizeof *pod);
    pod->size = sizeof *pod;
    pod->object = obj;
    const cJSON *meta = GET(obj, "metadata"), *spec = GET(obj, "spec");
    if (!cJSON_IsObject(meta)) return skiff_error_set(err, SKIFF_E_INVALID, "pod: metadata: expected an object");
    const char *name = str_or(meta, "name", NULL);
    if (!name || !*name) return skiff_error_set(err, SKIFF_E_INVALID, "pod: metadata.name: required");
    pod->name = sched_arena_str(a, name);
    pod->namespace_ = sched_arena_str(a, str_or(meta, "namespace", "default"));
    pod->uid = sched_arena_str(a, str_or(meta, "uid", ""));
    int rc = view_kv(a, GET(meta, "labels"), "metadata.labels", &pod->labels, &pod->n_labels, err);
    if (rc < 0) return rc;
    if (spec && !cJSON_IsObject(spec)) return skiff_error_set(err, SKIFF_E_INVALID, "pod: spec: expected an object");
    pod->scheduler_name = sched_arena_str(a, str_or(spec, "schedulerName", "default-scheduler"));
    pod->node_name = sched_arena_str(a, str_or(spec, "nodeName", ""));
    const cJSON *prio = GET(spec, "priority");
    pod->priority = cJSON_IsNumber(prio) ? (int32_t)num_clamp(prio->valuedouble, INT32_MIN, INT32_MAX) : 0;
    pod->preempt_never = strcmp(str_or(spec, "preemptionPolicy", ""), "Never") == 0;
    const cJSON *status = GET(obj, "status");
    pod->nominated_node_name = sched_arena_str(a, str_or(status, "nominatedNodeName", ""));
    pod->start_time_ns = rfc3339_ns(str_or(status, "startTime", ""));
    pod->terminating = GET(meta, "deletionTimestamp") != NULL && !cJSON_IsNull(GET(meta, "deletionTimestamp"));
    if ((rc = pod_requests(a, spec, pod, err)) < 0) return rc;
    if ((rc = view_kv(a, GET(spec, "nodeSelector"), "spec.nodeSelector", &pod->node_selector,
                      &pod->n_node_selector, err)) < 0)
        return rc;

    const cJSON *tols = GET(spec, "tolerations");
    if (cJSON_IsArray(tols)) {
        size_t cnt = (size_t)cJSON_GetArraySize(tols), i = 0;
        skiff_sched_toleration_t *t = sched_arena_alloc(a, (cnt + 1) * sizeof *t);
        if (!t) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
        for (const cJSON *e = tols->child; e; e = e->next, i++) {
            t[i].key = sched_arena_str(a, str_or(e, "key", ""));
            t[i].value = sched_arena_str(a, str_or(e, "value", ""));
            const char *op = str_or(e, "operator", "Equal");
            if (strcmp(op, "Exists") == 0) t[i].op = SKIFF_SCHED_TOL_EXISTS;
            else if (strcmp(op, "Equal") == 0 || !*op) t[i].op = SKIFF_SCHED_TOL_EQUAL;
            else return skiff_error_set(err, SKIFF_E_INVALID, "spec.tolerations[%zu].operator: \"%s\" is not Exists or Equal", i, op);
            const char *eff = str_or(e, "effect", "");
            if (parse_effect(eff, &t[i].effect) < 0)
                return skiff_error_set(err, SKIFF_E_INVALID, "spec.tolerations[%zu].effect: \"%s\" is not NoSchedule, PreferNoSchedule or NoExecute", i, eff);
            const cJSON *ts = GET(e, "tolerationSeconds");
            t[i].toleration_seconds = cJSON_IsNumber(ts) ? num_clamp(ts->valuedouble, INT64_MIN, INT64_MAX) : -1;
        }
        pod->tolerations = t;
        pod->n_tolerations = i;
    }

    const cJSON *aff = GET(spec, "affinity");
    const cJSON *na = GET(aff, "nodeAffinity");
    const cJSON *req = GET(GET(na, "requiredDuringSchedulingIgnoredDuringExecution"), "nodeSelectorTerms");
    if (cJSON_IsArray(req)) {
        size_t cnt = (size_t)cJSON_GetArraySize(req), i = 0;
        skiff_sched_node_term_t *t = sched_arena_alloc(a, (cnt + 1) * sizeof *t);
        if (!t) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
        char path[160];
        for (const cJSON *e = req->child; e; e = e->next, i++) {
            snprintf(path, sizeof path, "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[%zu]", i);
            if ((rc = view_node_term(a, e, path, &t[i], err)) < 0) return rc;
        }
        pod->has_required_node_affinity = 1;
        pod->required_terms = t;
        pod->n_required_terms = i;
    }
    const cJSON *pref = GET(na, "preferredDuringSchedulingIgnoredDuringExecution");
    if (cJSON_IsArray(pref)) {
        size_t cnt = (size_t)cJSON_GetArraySize(pref), i = 0;
        skiff_sched_preferred_node_term_t *t = sched_arena_alloc(a, (cnt + 1) * sizeof *t);
        if (!t) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
        char path[160];
        for (const cJSON *e = pref->child; e; e = e->next, i++) {
            snprintf(path, sizeof path, "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[%zu].preference", i);
            const cJSON *w = GET(e, "weight");
            t[i].weight = cJSON_IsNumber(w) ? (int32_t)num_clamp(w->valuedouble, INT32_MIN, INT32_MAX) : 0;
            if ((rc = view_node_term(a, GET(e, "preference"), path, &t[i].term, err)) < 0) return rc;
        }
        pod->preferred_terms = t;
        pod->n_preferred_terms = i;
    }
    if ((rc = view_pod_affinity(a, GET(aff, "podAffinity"), "spec.affinity.podAffinity",
                                &pod->affinity, err)) < 0)
        return rc;
    if ((rc = view_pod_affinity(a, GET(aff, "podAntiAffinity"), "spec.affinity.podAntiAffinity",
                                &pod->anti_affinity, err)) < 0)
        return rc;

    const cJSON *tsc = GET(spec, "topologySpreadConstraints");
    if (cJSON_IsArray(tsc)) {
        size_t cnt = (size_t)cJSON_GetArraySize(tsc), i = 0;
        skiff_sched_spread_t *t = sched_arena_alloc(a, (cnt + 1) * sizeof *t);
        if (!t) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
        char path[96];
        for (const cJSON *e = tsc->child; e; e = e->next, i++) {
            snprintf(path, sizeof path, "spec.topologySpreadConstraints[%zu]", i);
            const cJSON *ms = GET(e, "maxSkew"), *md = GET(e, "minDomains");
            t[i].max_skew = cJSON_IsNumber(ms) ? (int32_t)num_clamp(ms->valuedouble, INT32_MIN, INT32_MAX) : 0;
            if (t[i].max_skew < 1)
                return skiff_error_set(err, SKIFF_E_INVALID, "%s.maxSkew: must be greater than zero", path);
            t[i].min_domains = cJSON_IsNumber(md) ? (int32_t)num_clamp(md->valuedouble, INT32_MIN, INT32_MAX) : 1;
            t[i].topology_key = sched_arena_str(a, str_or(e, "topologyKey", ""));
            if (!t[i].topology_key[0])
                return skiff_error_set(err, SKIFF_E_INVALID, "%s.topologyKey: required", path);
            const char *wu = str_or(e, "whenUnsatisfiable", "DoNotSchedule");
            if (strcmp(wu, "DoNotSchedule") == 0) t[i].when_unsatisfiable = SKIFF_SCHED_DO_NOT_SCHEDULE;
            else if (strcmp(wu, "ScheduleAnyway") == 0) t[i].when_unsatisfiable = SKIFF_SCHED_SCHEDULE_ANYWAY;
            else return skiff_error_set(err, SKIFF_E_INVALID, "%s.whenUnsatisfiable: \"%s\" is not DoNotSchedule or ScheduleAnyway", path, wu);
            char sub[128];
            snprintf(sub, sizeof sub, "%s.labelSelector", path);
            if ((rc = view_selector(a, GET(e, "labelSelector"), sub, &t[i].selector, err)) < 0) return rc;
        }
        pod->spread = t;
        pod->n_spread = i;
    }
    if (a->failed) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    return 0;
}

int sched_view_node(sched_arena_t *a, const cJSON *obj, skiff_sched_node_t *node,
                    skiff_error_t *err)
{
    memset(node, 0, sizeof *node);
    node->size = sizeof *node;
    node->object = obj;
    const cJSON *meta = GET(obj, "metadata"), *spec = GET(obj, "spec"), *status = GET(obj, "status");
    const char *name = str_or(meta, "name", NULL);
    if (!name || !*name) return skiff_error_set(err, SKIFF_E_INVALID, "node: metadata.name: required");
    node->name = sched_arena_str(a, name);
    int rc = view_kv(a, GET(meta, "labels"), "metadata.labels", &node->labels, &node->n_labels, err);
    if (rc < 0) return rc;
    const cJSON *u = GET(spec, "unschedulable");
    node->unschedulable = cJSON_IsTrue(u);
    const cJSON *taints = GET(spec, "taints");
    if (cJSON_IsArray(taints)) {
        size_t cnt = (size_t)cJSON_GetArraySize(taints), i = 0;
        skiff_sched_taint_t *t = sched_arena_alloc(a, (cnt + 1) * sizeof *t);
        if (!t) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
        for (const cJSON *e = taints->child; e; e = e->next, i++) {
            t[i].key = sched_arena_str(a, str_or(e, "key", ""));
            t[i].value = sched_arena_str(a, str_or(e, "value", ""));
            const char *eff = str_or(e, "effect", "");
            if (!*eff || parse_effect(eff, &t[i].effect) < 0)
                return skiff_error_set(err, SKIFF_E_INVALID, "node %s: spec.taints[%zu].effect: \"%s\" is not NoSchedule, PreferNoSchedule or NoExecute", name, i, eff);
        }
        node->taints = t;
        node->n_taints = i;
    }
    const cJSON *alloc = GET(status, "allocatable");
    const char *path = "status.allocatable";
    if (!alloc) { alloc = GET(status, "capacity"); path = "status.capacity"; }
    res_acc_t r;
    if ((rc = read_resources(alloc, path, &r, NULL, NULL, err)) < 0) return rc;
    node->allocatable.milli_cpu = r.cpu;
    node->allocatable.memory = r.mem;
    node->allocatable.ephemeral_storage = r.eph;
    if (copy_scalars(a, &r, &node->allocatable) < 0 || a->failed)
        return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    return 0;
}

int64_t sched_scalar_get(const skiff_sched_resources_t *r, const char *name)
{
    for (size_t i = 0; i < r->n_scalar; i++)
        if (strcmp(r->scalar[i].name, name) == 0) return r->scalar[i].value;
    return 0;
}

/* ---- standalone views ----------------------------------------------- */

typedef struct pod_box { sched_arena_t arena; skiff_sched_pod_t view; } pod_box_t;
typedef struct node_box { sched_arena_t arena; skiff_sched_node_t view; } node_box_t;

int skiff_sched_pod_view(const cJSON *obj, skiff_sched_pod_t **out, skiff_error_t *err)
{
    *out = NULL;
    pod_box_t *b = calloc(1, sizeof *b);
    if (!b) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    int rc = sched_view_pod(&b->arena, obj, &b->view, err);
    if (rc < 0) { sched_arena_free(&b->arena); free(b); return rc; }
    *out = &b->view;
    return 0;
}

void skiff_sched_pod_view_free(skiff_sched_pod_t *pod)
{
    if (!pod) return;
    pod_box_t *b = (pod_box_t *)((char *)pod - offsetof(pod_box_t, view));
    sched_arena_free(&b->arena);
    free(b);
}

int skiff_sched_node_view(const cJSON *obj, skiff_sched_node_t **out, skiff_error_t *err)
{
    *out = NULL;
    node_box_t *b = calloc(1, sizeof *b);
    if (!b) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    int rc = sched_view_node(&b->arena, obj, &b->view, err);
    if (rc < 0) { sched_arena_free(&b->arena); free(b); return rc; }
    *out = &b->view;
    return 0;
}

void skiff_sched_node_view_free(skiff_sched_node_t *node)
{
    if (!node) return;
    node_box_t *b = (node_box_t *)((char *)node - offsetof(node_box_t, view));
    sched_arena_free(&b->arena);
    free(b);
}
