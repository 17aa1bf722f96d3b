/* core/controller/disruption — the disruption controller, as
 * kube-controller-manager's (pkg/controller/disruption): keeps each
 * PodDisruptionBudget's status from the pods its selector selects in its
 * namespace:
 *   currentHealthy   pods Ready and not being deleted (nor just evicted:
 *                    listed in status.disruptedPods less than 2 minutes ago)
 *   desiredHealthy   minAvailable (an integer), or its percentage of the
 *                    expected pods rounded up, or expectedPods minus
 *                    maxUnavailable (percentage rounded up), never below 0
 *   expectedPods     the matching pods (integer minAvailable), else the sum
 *                    of their controllers' replicas (ReplicaSet, or the
 *                    Deployment owning it); pods without a controller are not
 *                    counted (UnmanagedPods event), a controller skiff does
 *                    not scale (DaemonSet...) is a sync failure
 *   disruptionsAllowed currentHealthy - desiredHealthy, 0 when negative or
 *                    when no pod is expected
 *   observedGeneration, and the DisruptionAllowed condition
 *                    (True/SufficientPods, False/InsufficientPods, or
 *                    False/SyncFailed with the error when the sync fails).
 * The eviction subresource (core/api/eviction.c) spends disruptionsAllowed
 * and records the pod in disruptedPods; entries leave once the pod is gone,
 * being deleted, or 2 minutes old. A null selector selects no pods, {} all
 * pods of the namespace (policy/v1). Status is written only when it
 * changes, with the resourceVersion read (a conflict is retried).
 *
 * Stale DisruptionTarget conditions, as kube's stalePodDisruptionQueue: the
 * eviction subresource and preemption set DisruptionTarget=True on a pod
 * just before deleting it; if the delete never comes (the caller failed in
 * between) the condition would claim a disruption forever. Every pod seen
 * (added or updated, any pod, selected by a budget or not) with
 * DisruptionTarget=True, no deletionTimestamp, a phase not terminal and a
 * reason other than the kubelet's TerminationByKubelet is queued once,
 * delayed until its lastTransitionTime + stale_pod_disruption_ms (2 minutes
 * by default); then, still so, the condition is replaced by
 * {DisruptionTarget, False, lastTransitionTime now} (reason and message go,
 * as kube's UpdatePodCondition) through pods/status with the resourceVersion
 * read, so a concurrent writer wins and the check is retried. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/selector.h"
#include "controller/controller.h"
#include "log/log.h"

#define DELETION_TIMEOUT_S 120
/* Pod keys of the stale check share the budgets' queue: no namespace name
 * holds ':', so "pod:ns/name" is never a budget's "ns/name". */
#define STALE_PREFIX "pod:"

static const char *const pdb_watches[] = { "poddisruptionbudgets", "pods", "replicasets", "deployments", NULL };

static const cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

/* The first condition of type in status.conditions (a pod's or a budget's), or NULL. */
static const cJSON *condition_of(const cJSON *obj, const char *type)
{
    const cJSON *cond;
    cJSON_ArrayForEach(cond, get(get(obj, "status"), "conditions")) {
        const char *t = skiff_obj_str(cond, "type");
        if (t && !strcmp(t, type)) return cond;
    }
    return NULL;
}

/* An RFC 3339 time ("2026-11-27T13:00:00Z", fractions ignored) in seconds; 0 if none. */
static time_t time_of(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    return s && strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) ? timegm(&tm) : 0;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* kube's nonTerminatingPodHasStaleDisruptionCondition: 1 when pod carries a
 * DisruptionTarget=True this controller turns False once it is old enough,
 * with *wait_ms until then (0: now); 0 when it is none of its business. A
 * condition without a lastTransitionTime counts as old (kube's zero time). */
static int stale_disruption(const cJSON *pod, int64_t timeout_ms, int64_t *wait_ms)
{
    if (skiff_obj_str(pod, "metadata.deletionTimestamp")) return 0;
    const cJSON *cond = condition_of(pod, "DisruptionTarget");
    const char *s = skiff_obj_str(cond, "status"), *r = skiff_obj_str(cond, "reason");
    const char *phase = skiff_obj_str(pod, "status.phase");
    /* the kubelet's own may take any time to end in a delete; a finished pod is left as it is */
    if (!s || strcmp(s, "True") || (r && !strcmp(r, "TerminationByKubelet")) ||
        (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))))
        return 0;
    int64_t age = wall_ms() - (int64_t)time_of(skiff_obj_str(cond, "lastTransitionTime")) * 1000;
    *wait_ms = timeout_ms > age ? timeout_ms - age : 0;
    return 1;
}

/* Queue pod's stale check for when its condition is due (the earliest
 * delay of a key waiting already holds, as client-go's AddAfter). */
static void enqueue_stale(skiff_ctrl_t *c, const cJSON *pod)
{
    int64_t wait_ms;
    if (!stale_disruption(pod, skiff_ctrl_config(c)->stale_pod_disruption_ms, &wait_ms)) return;
    char key[520] = STALE_PREFIX;
    skiff_obj_key(pod, key + strlen(STALE_PREFIX), sizeof key - strlen(STALE_PREFIX));
    skiff_ctrl_enqueue_after(c, key, wait_ms);
}

typedef struct sel_ud { const skiff_api_selector_t *sel; } sel_ud_t;

static int sel_filter(void *ud, const cJSON *obj)
{
    const sel_ud_t *s = ud;
    return skiff_api_selector_matches(s->sel, get(get(obj, "metadata"), "labels"));
}

/* Queue every PDB of ns whose selector selects pod (or old). */
static void enqueue_for_pod(skiff_ctrl_t *c, const char *ns, const cJSON *pod, const cJSON *old)
{
    skiff_objs_t all;
    if (skiff_informer_select(skiff_ctrl_informer(c, "poddisruptionbudgets"), SKIFF_INDEX_NAMESPACE, ns, NULL, NULL, &all) < 0)
        return;
    for (size_t i = 0; i < all.n; i++) {
        skiff_api_selector_t *sel = NULL;
        skiff_error_t err;
        if (skiff_api_label_selector_from_object(get(get(all.v[i], "spec"), "selector"), &sel, &err) < 0) continue;
        int hit = skiff_api_selector_matches(sel, get(get(pod, "metadata"), "labels")) ||
                  (old && skiff_api_selector_matches(sel, get(get(old, "metadata"), "labels")));
        skiff_api_selector_free(sel);
        if (hit) {
            char key[512];
            skiff_obj_key(all.v[i], key, sizeof key);
            skiff_ctrl_enqueue(c, key);
        }
    }
    skiff_objs_release(&all);
}

static void pdb_on_event(skiff_ctrl_t *c, const char *resource, skiff_ev_t ev, const cJSON *obj, const cJSON *old)
{
    char key[512];
    const char *ns = skiff_obj_str(obj, "metadata.namespace");
    if (!ns) return;
    if (!strcmp(resource, "poddisruptionbudgets")) {
        skiff_obj_key(obj, key, sizeof key);
        skiff_ctrl_enqueue(c, key);
    } else if (!strcmp(resource, "pods")) {
        enqueue_for_pod(c, ns, obj, old);
        if (ev != SKIFF_EV_DELETE) enqueue_stale(c, obj);
    } else {
        /* a controller's scale: the percentages of its namespace's budgets */
        if (old && skiff_obj_int(obj, "spec.replicas", 1) == skiff_obj_int(old, "spec.replicas", 1)) return;
        skiff_objs_t all;
        if (skiff_informer_select(skiff_ctrl_informer(c, "poddisruptionbudgets"), SKIFF_INDEX_NAMESPACE, ns, NULL, NULL, &all) < 0)
            return;
        for (size_t i = 0; i < all.n; i++) {
            skiff_obj_key(all.v[i], key, sizeof key);
            skiff_ctrl_enqueue(c, key);
        }
        skiff_objs_release(&all);
    }
}

static int pod_ready(const cJSON *pod)
{
    const char *s = skiff_obj_str(condition_of(pod, "Ready"), "status");
    return s && !strcmp(s, "True");
}

/* intstr.GetScaledValueFromIntOrPercent(v, total, roundUp=true). */
static int scaled(const cJSON *v, int64_t total, int64_t *out)
{
    if (cJSON_IsNumber(v)) { /* an int32 once validated; clamped anyway before the cast */
        *out = v->valuedouble > 2147483647.0 ? 2147483647 : v->valuedouble < 0 ? 0 : (int64_t)v->valuedouble;
        return 0;
    }
    if (!cJSON_IsString(v)) return -1;
    char *end;
    long p = strtol(v->valuestring, &end, 10);
    if (end == v->valuestring || strcmp(end, "%") != 0) return -1;
    *out = (int64_t)ceil((double)p * (double)total / 100.0);
    return 0;
}

/* The scale of the controller of pod: 0 with uid and scale set, 1 no controller
 * (unmanaged), -1 a controller no finder knows (err set). */
static int controller_scale(skiff_ctrl_t *c, const cJSON *pod, char *uid, size_t nuid, int64_t *scale, skiff_error_t *err)
{
    const cJSON *ref = skiff_obj_controller_ref(pod);
    if (!ref) return 1;
    const char *kind = skiff_obj_str(ref, "kind"), *name = skiff_obj_str(ref, "name"), *ruid = skiff_obj_str(ref, "uid");
    const char *ns = skiff_obj_str(pod, "metadata.namespace"), *av = skiff_obj_str(ref, "apiVersion");
    const char *pname = skiff_obj_str(pod, "metadata.name");
    if (kind && name && ns && av && !strncmp(av, "apps/", 5) && !strcmp(kind, "ReplicaSet")) {
        char key[512];
        snprintf(key, sizeof key, "%s/%s", ns, name);
        void *hold = NULL;
        const cJSON *rs = skiff_informer_borrow(skiff_ctrl_informer(c, "replicasets"), key, &hold);
        const char *rsuid = rs ? skiff_obj_str(rs, "metadata.uid") : NULL;
        if (rs && rsuid && ruid && !strcmp(rsuid, ruid)) {
            /* getPodDeployment first: a ReplicaSet of a Deployment scales with it */
            const cJSON *dref = skiff_obj_controller_ref(rs);
            const char *dk = dref ? skiff_obj_str(dref, "kind") : NULL, *dn = dref ? skiff_obj_str(dref, "name") : NULL;
            if (dk && dn && !strcmp(dk, "Deployment")) {
                snprintf(key, sizeof key, "%s/%s", ns, dn);
                void *dhold = NULL;
                const cJSON *d = skiff_informer_borrow(skiff_ctrl_informer(c, "deployments"), key, &dhold);
                const char *duid = d ? skiff_obj_str(d, "metadata.uid") : NULL, *druid = skiff_obj_str(dref, "uid");
                if (d && duid && druid && !strcmp(duid, druid)) {
                    snprintf(uid, nuid, "%s", duid);
                    *scale = skiff_obj_int(d, "spec.replicas", 1);
                    skiff_informer_unhold(dhold);
                    skiff_informer_unhold(hold);
                    return 0;
                }
                skiff_informer_unhold(dhold);
            } else {
                snprintf(uid, nuid, "%s", rsuid);
                *scale = skiff_obj_int(rs, "spec.replicas", 1);
                skiff_informer_unhold(hold);
                return 0;
            }
        }
        skiff_informer_unhold(hold);
    }
    return skiff_error_set(err, SKIFF_E_NOTFOUND, "found no controllers for pod \"%s\"", pname ? pname : "");
}

/* getExpectedScale: the sum of the distinct controllers' scales. */
static int expected_scale(skiff_ctrl_t *c, const skiff_objs_t *pods, int64_t *expected, size_t *unmanaged, skiff_error_t *err)
{
    char (*seen)[64] = calloc(pods->n + 1, sizeof *seen);
    if (!seen) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    size_t ns = 0;
    *expected = 0;
    *unmanaged = 0;
    for (size_t i = 0; i < pods->n; i++) {
        char uid[64];
        int64_t scale = 0;
        int rc = controller_scale(c, pods->v[i], uid, sizeof uid, &scale, err);
        if (rc < 0) { free(seen); return rc; }
        if (rc == 1) { (*unmanaged)++; continue; }
        size_t j = 0;
        while (j < ns && strcmp(seen[j], uid)) j++;
        if (j < ns) continue;
        snprintf(seen[ns++], sizeof seen[0], "%s", uid);
        *expected += scale;
    }
    free(seen);
    return 0;
}

/* apimeta.SetStatusCondition on status.conditions for DisruptionAllowed. */
static void set_condition(cJSON *st, const char *status, const char *reason, const char *message, int64_t gen)
{
    cJSON *conds = (cJSON *)get(st, "conditions"), *cond, *found = NULL;
    if (!cJSON_IsArray(conds)) {
        cJSON_DeleteItemFromObjectCaseSensitive(st, "conditions");
        conds = cJSON_AddArrayToObject(st, "conditions");
    }
    cJSON_ArrayForEach(cond, conds) {
        const char *t = skiff_obj_str(cond, "type");
        if (t && !strcmp(t, "DisruptionAllowed")) found = cond;
    }
    if (!found) {
        found = cJSON_CreateObject();
        cJSON_AddStringToObject(found, "type", "DisruptionAllowed");
        cJSON_AddItemToArray(conds, found);
    }
    const char *old = skiff_obj_str(found, "status");
    if (!old || strcmp(old, status) || !get(found, "lastTransitionTime")) {
        char now[40];
        skiff_now_rfc3339(now, sizeof now);
        cJSON_DeleteItemFromObjectCaseSensitive(found, "lastTransitionTime");
        cJSON_AddStringToObject(found, "lastTransitionTime", now);
    }
    static const char *const ks[] = { "status", "reason", "message", "observedGeneration" };
    for (size_t i = 0; i < 4; i++) cJSON_DeleteItemFromObjectCaseSensitive(found, ks[i]);
    cJSON_AddStringToObject(found, "status", status);
    cJSON_AddStringToObject(found, "reason", reason);
    cJSON_AddStringToObject(found, "message", message);
    cJSON_AddNumberToObject(found, "observedGeneration", (double)gen);
}

static void set_num(cJSON *o, const char *k, double v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, k);
    cJSON_AddNumberToObject(o, k, v);
}

/* PUT resource's status subresource with obj, its resourceVersion the precondition. */
static int write_status(skiff_ctrl_t *c, const char *resource, const cJSON *obj, skiff_error_t *err)
{
    char path[700];
    skiff_ctrl_path(skiff_ctrl_resource(resource), skiff_obj_str(obj, "metadata.namespace"),
                    skiff_obj_str(obj, "metadata.name"), path, sizeof path - 8);
    strncat(path, "/status", sizeof path - strlen(path) - 1);
    char *body = cJSON_PrintUnformatted(obj);
    if (!body) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    int rc = skiff_api_client_update(skiff_ctrl_client(c), path, body, NULL, err);
    free(body);
    return rc;
}

/* failSafe: no disruption allowed, the sync error in the condition. */
static int fail_safe(skiff_ctrl_t *c, const cJSON *pdb, const skiff_error_t *why, skiff_error_t *err)
{
    cJSON *n = cJSON_Duplicate(pdb, 1);
    if (!n) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    cJSON *st = cJSON_GetObjectItemCaseSensitive(n, "status");
    if (!cJSON_IsObject(st)) {
        cJSON_DeleteItemFromObjectCaseSensitive(n, "status");
        st = cJSON_AddObjectToObject(n, "status");
    }
    set_num(st, "disruptionsAllowed", 0);
    set_condition(st, "False", "SyncFailed", why->msg, skiff_obj_int(st, "observedGeneration", 0));
    int rc = write_status(c, "poddisruptionbudgets", n, err);
    cJSON_Delete(n);
    return rc;
}

static int up_to_date(const cJSON *pdb, int64_t cur, int64_t des, int64_t exp, int64_t allowed, const cJSON *disrupted, int64_t gen)
{
    const cJSON *st = get(pdb, "status");
    if (skiff_obj_int(st, "currentHealthy", -1) != cur || skiff_obj_int(st, "desiredHealthy", -1) != des ||
        skiff_obj_int(st, "expectedPods", -1) != exp || skiff_obj_int(st, "disruptionsAllowed", -1) != allowed ||
        skiff_obj_int(st, "observedGeneration", -1) != gen)
        return 0;
    const cJSON *old = get(st, "disruptedPods");
    if (cJSON_GetArraySize(old) != cJSON_GetArraySize(disrupted)) return 0;
    if (cJSON_GetArraySize(old) && !cJSON_Compare(old, disrupted, 1)) return 0;
    /* pdbhelper.ConditionsAreUpToDate */
    const cJSON *found = condition_of(pdb, "DisruptionAllowed");
    if (!found) return 0;
    const char *s = skiff_obj_str(found, "status"), *r = skiff_obj_str(found, "reason");
    if (!s || !r) return 0;
    return allowed > 0 ? !strcmp(s, "True") && !strcmp(r, "SufficientPods")
                       : !strcmp(s, "False") && !strcmp(r, "InsufficientPods");
}

static int pdb_try_sync(skiff_ctrl_t *c, const cJSON *pdb, skiff_error_t *err)
{
    const char *ns = skiff_obj_str(pdb, "metadata.namespace");
    const cJSON *spec = get(pdb, "spec");
    skiff_api_selector_t *sel = NULL;
    if (skiff_api_label_selector_from_object(get(spec, "selector"), &sel, err) < 0) return err->code;
    skiff_objs_t pods = { 0 };
    sel_ud_t ud = { sel };
    int rc = sel->nothing ? 0
             : skiff_informer_select(skiff_ctrl_informer(c, "pods"), SKIFF_INDEX_NAMESPACE, ns, sel_filter, &ud, &pods);
    skiff_api_selector_free(sel);
    if (rc < 0) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory listing pods");
    int64_t expected = 0, desired = 0;
    size_t unmanaged = 0;
    const cJSON *max = get(spec, "maxUnavailable"), *min = get(spec, "minAvailable");
    if (max && !cJSON_IsNull(max)) {
        if ((rc = expected_scale(c, &pods, &expected, &unmanaged, err)) == 0) {
            int64_t mu = 0;
            if (scaled(max, expected, &mu) < 0) rc = skiff_error_set(err, SKIFF_E_INVALID, "invalid maxUnavailable");
            desired = expected - mu;
            if (desired < 0) desired = 0;
        }
    } else if (cJSON_IsNumber(min)) {
        desired = skiff_obj_int(spec, "minAvailable", 0);
        expected = (int64_t)pods.n;
    } else if (cJSON_IsString(min)) {
        if ((rc = expected_scale(c, &pods, &expected, &unmanaged, err)) == 0 && scaled(min, expected, &desired) < 0)
            rc = skiff_error_set(err, SKIFF_E_INVALID, "invalid minAvailable");
    }
    if (rc < 0) { skiff_objs_release(&pods); return rc; }
    size_t n_pods = pods.n;
    /* buildDisruptedPodMap + countHealthyPods */
    time_t now = time(NULL);
    const cJSON *old_dp = get(get(pdb, "status"), "disruptedPods");
    cJSON *dp = cJSON_CreateObject();
    int64_t current = 0, recheck = 0;
    for (size_t i = 0; dp && i < pods.n; i++) {
        const cJSON *p = pods.v[i];
        if (skiff_obj_str(p, "metadata.deletionTimestamp")) continue;
        const char *name = skiff_obj_str(p, "metadata.name");
        const cJSON *t = name ? get(old_dp, name) : NULL;
        if (cJSON_IsString(t)) {
            time_t when = time_of(t->valuestring);
            if (when + DELETION_TIMEOUT_S >= now) {
                cJSON_AddStringToObject(dp, name, t->valuestring);
                int64_t left = (int64_t)(when + DELETION_TIMEOUT_S - now) + 1;
                if (!recheck || left < recheck) recheck = left;
                continue; /* expected to go soon: not healthy */
            }
            skiff_ctrl_event(c, p, "Warning", "NotDeleted", "Pod was expected by PDB %s/%s to be deleted but it wasn't",
                             ns, skiff_obj_str(pdb, "metadata.name"));
        }
        if (pod_ready(p)) current++;
    }
    skiff_objs_release(&pods);
    if (!dp) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    if (recheck) {
        char key[512];
        skiff_obj_key(pdb, key, sizeof key);
        skiff_ctrl_enqueue_after(c, key, recheck * 1000);
    }
    int64_t allowed = current - desired;
    if (expected <= 0 || allowed <= 0) allowed = 0;
    int64_t gen = skiff_obj_int(pdb, "metadata.generation", 0);
    if (up_to_date(pdb, current, desired, expected, allowed, dp, gen)) { cJSON_Delete(dp); return 0; }
    /* kube records these on every sync and its recorder folds the repeats
     * into one Event; here they go with the status writes only, so a
     * budget that does not change makes no new Events */
    if (n_pods == 0) skiff_ctrl_event(c, pdb, "Normal", "NoPods", "No matching pods found");
    if (unmanaged)
        skiff_ctrl_event(c, pdb, "Warning", "UnmanagedPods",
                         "Pods selected by this PodDisruptionBudget were found to be unmanaged. As a result, the status of the PDB "
                         "cannot be calculated correctly, which may result in undefined behavior. To account for these pods please "
                         "set \".spec.minAvailable\" field of the PDB to an integer value.");
    cJSON *n = cJSON_Duplicate(pdb, 1);
    if (!n) { cJSON_Delete(dp); return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory"); }
    cJSON *st = cJSON_GetObjectItemCaseSensitive(n, "status");
    if (!cJSON_IsObject(st)) {
        cJSON_DeleteItemFromObjectCaseSensitive(n, "status");
        st = cJSON_AddObjectToObject(n, "status");
    }
    set_num(st, "currentHealthy", (double)current);
    set_num(st, "desiredHealthy", (double)desired);
    set_num(st, "expectedPods", (double)expected);
    set_num(st, "disruptionsAllowed", (double)allowed);
    set_num(st, "observedGeneration", (double)gen);
    cJSON_DeleteItemFromObjectCaseSensitive(st, "disruptedPods");
    if (cJSON_GetArraySize(dp)) cJSON_AddItemToObject(st, "disruptedPods", dp);
    else cJSON_Delete(dp);
    if (allowed > 0) set_condition(st, "True", "SufficientPods", "", gen);
    else set_condition(st, "False", "InsufficientPods", "", gen);
    rc = write_status(c, "poddisruptionbudgets", n, err);
    cJSON_Delete(n);
    return rc;
}

/* kube's syncStalePodDisruption for pod key ("ns/name"). */
static int stale_sync(skiff_ctrl_t *c, const char *key, skiff_error_t *err)
{
    void *hold = NULL;
    const cJSON *pod = skiff_informer_borrow(skiff_ctrl_informer(c, "pods"), key, &hold);
    int64_t wait_ms = 0;
    if (!pod || !stale_disruption(pod, skiff_ctrl_config(c)->stale_pod_disruption_ms, &wait_ms) || wait_ms > 0) {
        if (pod && wait_ms > 0) enqueue_stale(c, pod); /* its condition changed since: a later time */
        skiff_informer_unhold(hold);
        return 0;
    }
    cJSON *n = cJSON_Duplicate(pod, 1);
    skiff_informer_unhold(hold);
    cJSON *cond = n ? (cJSON *)condition_of(n, "DisruptionTarget") : NULL;
    cJSON *fresh = cJSON_CreateObject();
    char now[40];
    skiff_now_rfc3339(now, sizeof now);
    if (!cond || !fresh || !cJSON_AddStringToObject(fresh, "type", "DisruptionTarget") ||
        !cJSON_AddStringToObject(fresh, "status", "False") || !cJSON_AddStringToObject(fresh, "lastTransitionTime", now)) {
        cJSON_Delete(fresh);
        cJSON_Delete(n);
        return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    }
    cJSON_ReplaceItemViaPointer((cJSON *)get(get(n, "status"), "conditions"), cond, fresh);
    int rc = write_status(c, "pods", n, err);
    cJSON_Delete(n);
    if (rc == 0) skiff_log(SKIFF_LOG_INFO, "controllers", "disruption: pod %s: reset stale DisruptionTarget condition to False", key);
    return rc;
}

static int pdb_sync(skiff_ctrl_t *c, const char *key, skiff_error_t *err)
{
    if (!strncmp(key, STALE_PREFIX, strlen(STALE_PREFIX))) return stale_sync(c, key + strlen(STALE_PREFIX), err);
    void *hold = NULL;
    const cJSON *pdb = skiff_informer_borrow(skiff_ctrl_informer(c, "poddisruptionbudgets"), key, &hold);
    if (!pdb) return 0;
    int rc = pdb_try_sync(c, pdb, err);
    if (rc < 0 && rc != SKIFF_E_CONFLICT) {
        /* anything but a lost race: no disruption until a sync succeeds */
        skiff_error_t why = *err, ferr;
        skiff_log(SKIFF_LOG_INFO, "controllers", "disruption: %s: %s", key, why.msg);
        if (fail_safe(c, pdb, &why, &ferr) < 0) *err = ferr;
    }
    skiff_informer_unhold(hold);
    return rc;
}

const skiff_controller_t skiff_controller_disruption = {
    .name = "disruption",
    .watches = pdb_watches,
    .on_event = pdb_on_event,
    .sync = pdb_sync,
};
