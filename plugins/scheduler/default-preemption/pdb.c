/* default-preemption: PodDisruptionBudgets (see pdb.h). */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pdb.h"

static const cJSON *jget(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

/* metav1.LabelSelectorAsSelector: -1 invalid, 0 nil or empty (kube's
 * preemption: "A PDB with a nil or empty selector matches nothing"), 1 usable. */
static int selector_usable(const cJSON *sel)
{
    if (!cJSON_IsObject(sel)) return 0;
    const cJSON *ml = jget(sel, "matchLabels"), *me = jget(sel, "matchExpressions"), *x;
    int n = 0;
    cJSON_ArrayForEach(x, ml) {
        if (!cJSON_IsString(x)) return -1;
        n++;
    }
    cJSON_ArrayForEach(x, me) {
        const char *op = cJSON_IsString(jget(x, "operator")) ? jget(x, "operator")->valuestring : "";
        if (!cJSON_IsString(jget(x, "key"))) return -1;
        if (strcmp(op, "In") && strcmp(op, "NotIn") && strcmp(op, "Exists") && strcmp(op, "DoesNotExist")) return -1;
        n++;
    }
    return n > 0;
}

static int selector_matches(const cJSON *sel, const skiff_sched_pod_t *pod)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, jget(sel, "matchLabels")) {
        const char *v = skiff_sched_label(pod->labels, pod->n_labels, x->string);
        if (!v || strcmp(v, x->valuestring)) return 0;
    }
    cJSON_ArrayForEach(x, jget(sel, "matchExpressions")) {
        const char *op = jget(x, "operator")->valuestring;
        const char *v = skiff_sched_label(pod->labels, pod->n_labels, jget(x, "key")->valuestring);
        if (!strcmp(op, "Exists")) { if (!v) return 0; continue; }
        if (!strcmp(op, "DoesNotExist")) { if (v) return 0; continue; }
        int in = 0;
        const cJSON *y;
        cJSON_ArrayForEach(y, jget(x, "values")) in |= v && cJSON_IsString(y) && !strcmp(y->valuestring, v);
        if (!strcmp(op, "In") ? !in : in) return 0;
    }
    return 1;
}

static int pdbs_from(cJSON *list, preempt_pdbs_t *out)
{
    memset(out, 0, sizeof *out);
    out->list = list;
    size_t cap = (size_t)cJSON_GetArraySize(jget(list, "items"));
    out->items = calloc(cap + 1, sizeof *out->items);
    out->allowed = calloc(cap + 1, sizeof *out->allowed);
    if (!out->items || !out->allowed) { preempt_pdbs_free(out); return -1; }
    const cJSON *it;
    cJSON_ArrayForEach(it, jget(list, "items")) {
        if (selector_usable(jget(jget(it, "spec"), "selector")) != 1) continue;
        const cJSON *a = jget(jget(it, "status"), "disruptionsAllowed");
        /* status is written as sent (no validation on /status): clamp before the cast */
        double d = cJSON_IsNumber(a) ? a->valuedouble : 0;
        out->allowed[out->n] = d > 1e9 ? 1000000000 : d < -1e9 ? -1000000000 : (int64_t)d;
        out->items[out->n++] = it;
    }
    return 0;
}

int preempt_pdbs_parse(const char *json, preempt_pdbs_t *out)
{
    memset(out, 0, sizeof *out);
    cJSON *list = cJSON_Parse(json);
    if (!list) return -1;
    return pdbs_from(list, out);
}

void preempt_pdbs_load(const skiff_host_t *host, skiff_ctx_t *ctx, preempt_pdbs_t *out)
{
    memset(out, 0, sizeof *out);
    if (!host || !SKIFF_HOST_HAS(host, api_list)) return;
    char *json = NULL;
    skiff_error_t err;
    if (host->api_list(ctx, "/apis/policy/v1/poddisruptionbudgets", NULL, NULL, &json, &err) < 0) {
        /* no API server in this process: nothing to honour */
        if (err.code != SKIFF_E_UNSUPPORTED)
            host->log(ctx, SKIFF_LOG_WARN, "listing PodDisruptionBudgets: %s (preempting as if there were none)", err.msg);
        if (SKIFF_HOST_HAS(host, api_free)) host->api_free(json);
        return;
    }
    cJSON *list = json ? cJSON_Parse(json) : NULL;
    if (SKIFF_HOST_HAS(host, api_free)) host->api_free(json);
    if (list && pdbs_from(list, out) < 0) {
        host->log(ctx, SKIFF_LOG_WARN, "out of memory reading PodDisruptionBudgets (preempting as if there were none)");
        memset(out, 0, sizeof *out);
    } else if (!list) {
        host->log(ctx, SKIFF_LOG_WARN, "unreadable PodDisruptionBudget list (preempting as if there were none)");
    }
}

void preempt_pdbs_free(preempt_pdbs_t *p)
{
    cJSON_Delete(p->list);
    free(p->items);
    free(p->allowed);
    memset(p, 0, sizeof *p);
}

int preempt_pdbs_split(const preempt_pdbs_t *p, const skiff_sched_pod_t *const *pods, size_t n,
                       const skiff_sched_pod_t **violating, size_t *n_violating,
                       const skiff_sched_pod_t **ok, size_t *n_ok)
{
    *n_violating = *n_ok = 0;
    int64_t *allowed = NULL;
    if (p->n) {
        allowed = malloc(p->n * sizeof *allowed);
        if (!allowed) return -1;
        memcpy(allowed, p->allowed, p->n * sizeof *allowed);
    }
    for (size_t i = 0; i < n; i++) {
        const skiff_sched_pod_t *pod = pods[i];
        int violated = 0;
        /* a pod with no labels matches no budget */
        for (size_t k = 0; k < p->n && pod->n_labels; k++) {
            const cJSON *pdb = p->items[k];
            const cJSON *ns = jget(jget(pdb, "metadata"), "namespace");
            if (!cJSON_IsString(ns) || strcmp(ns->valuestring, pod->namespace_)) continue;
            if (!selector_matches(jget(jget(pdb, "spec"), "selector"), pod)) continue;
            /* already processed by the eviction subresource: not a new disruption */
            if (jget(jget(jget(pdb, "status"), "disruptedPods"), pod->name)) continue;
            if (--allowed[k] < 0) violated = 1;
        }
        if (violated) violating[(*n_violating)++] = pod;
        else ok[(*n_ok)++] = pod;
    }
    free(allowed);
    return 0;
}
