/* core/api/eviction — what the pods/eviction subresource checks before it
 * deletes, as kube-apiserver's EvictionREST: the PodDisruptionBudget that
 * selects the pod must allow a disruption, which the eviction spends
 * (status.disruptionsAllowed - 1, the pod in status.disruptedPods, written
 * with compare-and-swap so two evictions never spend the same one); else
 * 429 TooManyRequests "Cannot evict pod as it would violate the pod's
 * disruption budget.". The PDB is read and written through in-process
 * requests as the trusted component user, the way kube's eviction handler
 * uses its loopback client (the caller needed only pods/eviction create).
 * The evicted pod gets the DisruptionTarget condition (reason
 * EvictionByEvictionAPI) before the delete, as kube 1.31+. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/eviction.h"
#include "api/selector.h"

static cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

/* One in-process request as the component user; the parsed body in *out
 * (may be NULL). Returns the HTTP code (500 when even that failed). */
static int sub(apisrv_call_t *c, const char *method, const char *path, const char *ctype, const char *body,
               cJSON **out)
{
    skiff_api_request_t rq = { .method = method, .path = path, .content_type = ctype ? ctype : "application/json",
                               .accept = "application/json", .body = body, .body_len = body ? strlen(body) : 0,
                               .user_agent = "skiff-eviction" };
    skiff_api_response_t rs;
    memset(&rs, 0, sizeof rs);
    if (out) *out = NULL;
    if (skiff_api_server_handle(c->s, &rq, &rs) < 0) { skiff_api_response_free(&rs); return 500; }
    if (out && rs.body) *out = cJSON_ParseWithLength(rs.body, rs.body_len);
    int code = rs.code;
    skiff_api_response_free(&rs);
    return code;
}

static int pod_ready(const cJSON *pod)
{
    const cJSON *cond;
    cJSON_ArrayForEach(cond, get(get(pod, "status"), "conditions")) {
        const char *t = apisrv_str(cond, "type"), *s = apisrv_str(cond, "status");
        if (t && !strcmp(t, "Ready")) return s && !strcmp(s, "True");
    }
    return 0;
}

/* kube's canIgnorePDB: a pod not running (or already going) is no disruption. */
static int can_ignore_pdb(const cJSON *pod)
{
    const char *phase = apisrv_str(pod, "status.phase");
    if (apisrv_str(pod, "metadata.deletionTimestamp")) return 1;
    return phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed") || !strcmp(phase, "Pending"));
}

/* The PDBs of the pod's namespace whose selector selects it; a nil or
 * empty selector selects nothing here (kube: "If a PDB with a nil or empty
 * selector creeps in, it should match nothing, not everything"). */
static size_t pdbs_of(const cJSON *list, const cJSON *pod, const cJSON **out, size_t max)
{
    const cJSON *labels = get(get(pod, "metadata"), "labels");
    if (cJSON_GetArraySize(labels) == 0) return 0;
    size_t n = 0;
    const cJSON *pdb;
    cJSON_ArrayForEach(pdb, get(list, "items")) {
        skiff_api_selector_t *sel = NULL;
        skiff_error_t err;
        if (skiff_api_label_selector_from_object(get(get(pdb, "spec"), "selector"), &sel, &err) < 0) continue;
        int match = !sel->nothing && sel->n > 0 && skiff_api_selector_matches(sel, labels);
        skiff_api_selector_free(sel);
        if (match && n < max) out[n++] = pdb;
        else if (match) n++;
    }
    return n;
}

static int too_many(apisrv_call_t *c, const char *cause)
{
    cJSON *causes = cJSON_CreateArray(), *one = cJSON_CreateObject();
    cJSON_AddStringToObject(one, "reason", "DisruptionBudget");
    cJSON_AddStringToObject(one, "message", cause);
    cJSON_AddItemToArray(causes, one);
    apisrv_fail_causes(c, 429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.", causes);
    cJSON_Delete(causes);
    return -1;
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *x = get(o, k);
    return cJSON_IsNumber(x) ? x->valuedouble : 0;
}

/* checkAndDecrement: 0 written (or dry run), 1 conflict (retry), -1 refused (Status set). */
static int check_and_decrement(apisrv_call_t *c, cJSON *pdb, int dry)
{
    const char *name = apisrv_str(pdb, "metadata.name");
    cJSON *st = apisrv_obj_at(pdb, "status");
    char msg[400];
    if (num(st, "observedGeneration") < num(get(pdb, "metadata"), "generation")) {
        snprintf(msg, sizeof msg, "The disruption budget %s is still being processed by the server.", name);
        return too_many(c, msg);
    }
    double allowed = num(st, "disruptionsAllowed");
    if (allowed < 0)
        return apisrv_fail(c, 403, "Forbidden", "poddisruptionbudgets.policy \"%s\" is forbidden: pdb disruptions allowed is negative", name), -1;
    if (cJSON_GetArraySize(get(st, "disruptedPods")) > 2000)
        return apisrv_fail(c, 403, "Forbidden", "poddisruptionbudgets.policy \"%s\" is forbidden: DisruptedPods map too big - too many evictions not confirmed by PDB controller", name), -1;
    if (allowed == 0) {
        snprintf(msg, sizeof msg, "The disruption budget %s needs %.0f healthy pods and has %.0f currently", name,
                 num(st, "desiredHealthy"), num(st, "currentHealthy"));
        return too_many(c, msg);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(st, "disruptionsAllowed");
    cJSON_AddNumberToObject(st, "disruptionsAllowed", allowed - 1);
    if (allowed - 1 == 0) {
        /* pdbhelper.UpdateDisruptionAllowedCondition: False / InsufficientPods */
        cJSON *conds = get(st, "conditions"), *cond;
        if (!cJSON_IsArray(conds)) {
            cJSON_DeleteItemFromObjectCaseSensitive(st, "conditions");
            conds = cJSON_AddArrayToObject(st, "conditions");
        }
        cJSON *found = NULL;
        cJSON_ArrayForEach(cond, conds) {
            const char *t = apisrv_str(cond, "type");
            if (t && !strcmp(t, "DisruptionAllowed")) found = cond;
        }
        char now[40];
        apisrv_format_time((int64_t)time(NULL) * 1000000000LL, now, sizeof now);
        if (!found) {
            found = cJSON_CreateObject();
            cJSON_AddStringToObject(found, "type", "DisruptionAllowed");
            cJSON_AddItemToArray(conds, found);
        }
        const char *old = apisrv_str(found, "status");
        if (!old || strcmp(old, "False")) {
            cJSON_DeleteItemFromObjectCaseSensitive(found, "lastTransitionTime");
            cJSON_AddStringToObject(found, "lastTransitionTime", now);
        }
        static const char *const ks[] = { "status", "reason", "message", "observedGeneration" };
        for (size_t i = 0; i < 4; i++) cJSON_DeleteItemFromObjectCaseSensitive(found, ks[i]);
        cJSON_AddStringToObject(found, "status", "False");
        cJSON_AddStringToObject(found, "reason", "InsufficientPods");
        cJSON_AddStringToObject(found, "message", "");
        cJSON_AddNumberToObject(found, "observedGeneration", num(st, "observedGeneration"));
    }
    if (dry) return 0;
    cJSON *dp = get(st, "disruptedPods");
    if (!cJSON_IsObject(dp)) {
        cJSON_DeleteItemFromObjectCaseSensitive(st, "disruptedPods");
        dp = cJSON_AddObjectToObject(st, "disruptedPods");
    }
    char now[40];
    apisrv_format_time((int64_t)time(NULL) * 1000000000LL, now, sizeof now);
    cJSON_DeleteItemFromObjectCaseSensitive(dp, c->name);
    cJSON_AddStringToObject(dp, c->name, now);
    char path[700];
    snprintf(path, sizeof path, "/apis/policy/v1/namespaces/%s/poddisruptionbudgets/%s/status", c->ns, name);
    char *body = cJSON_PrintUnformatted(pdb);
    if (!body) return apisrv_fail(c, 500, "InternalError", "out of memory"), -1;
    cJSON *res = NULL;
    int code = sub(c, "PUT", path, NULL, body, &res);
    free(body);
    if (code == 409) { cJSON_Delete(res); return 1; }
    if (code / 100 != 2) {
        const char *m = apisrv_str(res, "message");
        apisrv_fail(c, code, "InternalError", "updating the disruption budget %s: %s", name, m ? m : "failed");
        cJSON_Delete(res);
        return -1;
    }
    cJSON_Delete(res);
    return 0;
}

int apisrv_eviction_check(apisrv_call_t *c, int dry)
{
    char path[700];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/%s", c->ns, c->name);
    for (int attempt = 0; attempt < 8; attempt++) {
        cJSON *pod = NULL, *list = NULL;
        if (sub(c, "GET", path, NULL, NULL, &pod) != 200 || can_ignore_pdb(pod)) {
            cJSON_Delete(pod); /* a missing pod: the delete answers 404 */
            return 0;
        }
        char lpath[400];
        snprintf(lpath, sizeof lpath, "/apis/policy/v1/namespaces/%s/poddisruptionbudgets", c->ns);
        if (sub(c, "GET", lpath, NULL, NULL, &list) != 200) {
            cJSON_Delete(pod);
            cJSON_Delete(list);
            return apisrv_fail(c, 500, "InternalError", "listing the disruption budgets of namespace %s failed", c->ns), -1;
        }
        const cJSON *pdbs[2];
        size_t n = pdbs_of(list, pod, pdbs, 2);
        int rc = 0;
        if (n > 1) {
            apisrv_fail(c, 500, "InternalError", "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.");
            rc = -1;
        } else if (n == 1) {
            cJSON *pdb = cJSON_Duplicate(pdbs[0], 1);
            const char *up = apisrv_str(pdb, "spec.unhealthyPodEvictionPolicy");
            const cJSON *st = get(pdb, "status");
            int skip = 0;
            if (!pod_ready(pod)) { /* an unhealthy pod: the budget may not need it */
                if (up && !strcmp(up, "AlwaysAllow")) skip = 1;
                else if (num(st, "currentHealthy") >= num(st, "desiredHealthy") && num(st, "desiredHealthy") > 0) skip = 1;
            }
            rc = skip ? 0 : pdb ? check_and_decrement(c, pdb, dry) : (apisrv_fail(c, 500, "InternalError", "out of memory"), -1);
            cJSON_Delete(pdb);
        }
        cJSON_Delete(pod);
        cJSON_Delete(list);
        if (rc == 1) continue; /* another eviction spent it first: look again */
        return rc;
    }
    return apisrv_fail(c, 429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget."), -1;
}

void apisrv_eviction_mark(apisrv_call_t *c)
{
    char path[700];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/%s/status", c->ns, c->name);
    char now[40], body[400];
    apisrv_format_time((int64_t)time(NULL) * 1000000000LL, now, sizeof now);
    snprintf(body, sizeof body,
             "{\"status\":{\"conditions\":[{\"type\":\"DisruptionTarget\",\"status\":\"True\","
             "\"lastTransitionTime\":\"%s\",\"reason\":\"EvictionByEvictionAPI\",\"message\":\"Eviction API: evicting\"}]}}",
             now);
    sub(c, "PATCH", path, "application/strategic-merge-patch+json", body, NULL);
}
