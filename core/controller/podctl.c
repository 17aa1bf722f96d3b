/* core/controller/podctl — see podctl.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/selector.h"
#include "controller/podctl.h"
#include "log/log.h"

static int matches(const skiff_podctl_t *pc, const cJSON *pod)
{
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pod, "metadata"), "labels");
    return pc->sel && skiff_api_selector_matches(pc->sel, labels);
}

static const char *owner_uid(const skiff_podctl_t *pc) { return skiff_obj_str(pc->owner, "metadata.uid"); }

static void pod_path(const cJSON *pod, char *out, size_t n, const char *sub)
{
    snprintf(out, n, "/api/v1/namespaces/%s/pods/%s%s", skiff_obj_str(pod, "metadata.namespace"),
             skiff_obj_str(pod, "metadata.name"), sub ? sub : "");
}

/* Adopt: add our controller reference (the uid precondition makes a pod
 * recreated meanwhile fail rather than be adopted by mistake). */
static int adopt(skiff_podctl_t *pc, const cJSON *pod, cJSON **adopted, skiff_error_t *err)
{
    cJSON *patch = cJSON_CreateObject();
    cJSON *md = cJSON_AddObjectToObject(patch, "metadata");
    cJSON *refs = cJSON_AddArrayToObject(md, "ownerReferences");
    const cJSON *old = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pod, "metadata"), "ownerReferences"), *r;
    cJSON_ArrayForEach(r, old) cJSON_AddItemToArray(refs, cJSON_Duplicate(r, 1));
    cJSON_AddItemToArray(refs, skiff_owner_ref(pc->owner, pc->owner_api, pc->owner_kind));
    cJSON_AddStringToObject(md, "uid", skiff_obj_str(pod, "metadata.uid"));
    char *body = cJSON_PrintUnformatted(patch), path[512];
    cJSON_Delete(patch);
    pod_path(pod, path, sizeof path, NULL);
    skiff_api_result_t res = { 0 };
    int rc = body ? skiff_api_client_patch(skiff_ctrl_client(pc->c), path, "application/merge-patch+json", body, &res, err) : SKIFF_E_NOSPACE;
    free(body);
    if (rc == 0) *adopted = cJSON_ParseWithLength(res.body, res.len);
    skiff_api_result_free(&res);
    return rc == SKIFF_E_NOTFOUND ? 0 : rc;
}

/* Release: drop our reference from a pod that no longer matches. */
static int release(skiff_podctl_t *pc, const cJSON *pod, skiff_error_t *err)
{
    const cJSON *old = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pod, "metadata"), "ownerReferences"), *r;
    int i = 0, idx = -1;
    cJSON_ArrayForEach(r, old) {
        const char *u = skiff_obj_str(r, "uid");
        if (u && !strcmp(u, owner_uid(pc))) idx = i;
        i++;
    }
    if (idx < 0) return 0;
    char body[256], path[512];
    snprintf(body, sizeof body, "[{\"op\":\"test\",\"path\":\"/metadata/uid\",\"value\":\"%s\"},"
             "{\"op\":\"remove\",\"path\":\"/metadata/ownerReferences/%d\"}]", skiff_obj_str(pod, "metadata.uid"), idx);
    pod_path(pod, path, sizeof path, NULL);
    int rc = skiff_api_client_patch(skiff_ctrl_client(pc->c), path, "application/json-patch+json", body, NULL, err);
    return rc == SKIFF_E_NOTFOUND || rc == SKIFF_E_INVALID ? 0 : rc;
}

typedef struct claim_ctx { const char *uid; } claim_ctx_t;

void skiff_podctl_refresh(skiff_podctl_t *pc)
{
    cJSON_Delete(pc->active);
    pc->active = cJSON_CreateArray();
    const char *ns = skiff_obj_str(pc->owner, "metadata.namespace");
    cJSON *pods = skiff_informer_list(skiff_ctrl_informer(pc->c, "pods"), ns, owner_uid(pc), NULL, NULL);
    /* detach from the head: O(1) each (counting the list each time round was
     * quadratic in the pods of a 10,000-replica ReplicaSet) */
    while (pods && pods->child) {
        cJSON *p = cJSON_DetachItemViaPointer(pods, pods->child);
        const cJSON *ref = skiff_obj_controller_ref(p);
        const char *u = ref ? skiff_obj_str(ref, "uid") : NULL;
        if (u && !strcmp(u, owner_uid(pc)) && skiff_pod_active(p) && matches(pc, p) && pc->active)
            cJSON_AddItemToArray(pc->active, p);
        else
            cJSON_Delete(p);
    }
    cJSON_Delete(pods);
}

int skiff_podctl_claim(skiff_podctl_t *pc, skiff_error_t *err)
{
    skiff_api_selector_t *sel = NULL;
    const cJSON *ls = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pc->owner, "spec"), "selector");
    if (skiff_api_label_selector_from_object(ls, &sel, err) < 0) return 0; /* invalid selector: nothing matches */
    pc->sel = sel;
    const char *ns = skiff_obj_str(pc->owner, "metadata.namespace");
    int deleting = skiff_obj_str(pc->owner, "metadata.deletionTimestamp") != NULL;
    cJSON *pods = skiff_informer_list(skiff_ctrl_informer(pc->c, "pods"), ns, NULL, NULL, NULL), *p;
    cJSON *adopted = cJSON_CreateArray();
    int rc = 0;
    cJSON_ArrayForEach(p, pods) {
        const cJSON *ref = skiff_obj_controller_ref(p);
        const char *u = ref ? skiff_obj_str(ref, "uid") : NULL;
        if (u && !strcmp(u, owner_uid(pc))) {
            if (!matches(pc, p) && skiff_pod_active(p)) { int r = release(pc, p, err); if (r < 0) rc = r; }
        } else if (!ref && !deleting && matches(pc, p) && skiff_pod_active(p)) {
            cJSON *a = NULL;
            int r = adopt(pc, p, &a, err);
            if (r < 0) rc = r;
            if (a && adopted) cJSON_AddItemToArray(adopted, a);
            else cJSON_Delete(a);
        }
    }
    cJSON_Delete(pods);
    skiff_podctl_refresh(pc);
    /* the cache has not seen the adoption yet: count the adopted pods now,
     * or they would be created a second time */
    while (adopted && pc->active && adopted->child) {
        cJSON *a = cJSON_DetachItemViaPointer(adopted, adopted->child);
        char k[512], k2[512];
        skiff_obj_key(a, k, sizeof k);
        int dup = 0;
        cJSON_ArrayForEach(p, pc->active) { skiff_obj_key(p, k2, sizeof k2); if (!strcmp(k, k2)) dup = 1; }
        if (dup) cJSON_Delete(a);
        else cJSON_AddItemToArray(pc->active, a);
    }
    cJSON_Delete(adopted);
    return rc;
}

static cJSON *pod_from_template(skiff_podctl_t *pc)
{
    const cJSON *tpl = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pc->owner, "spec"), "template");
    cJSON *pod = cJSON_CreateObject();
    if (!pod) return NULL;
    cJSON_AddStringToObject(pod, "apiVersion", "v1");
    cJSON_AddStringToObject(pod, "kind", "Pod");
    const cJSON *tmd = cJSON_GetObjectItemCaseSensitive(tpl, "metadata");
    cJSON *md = tmd ? cJSON_Duplicate(tmd, 1) : cJSON_CreateObject();
    cJSON_AddItemToObject(pod, "metadata", md);
    cJSON_DeleteItemFromObject(md, "name");
    cJSON_DeleteItemFromObject(md, "namespace");
    char name[300], sfx[8];
    skiff_rand_suffix(sfx, 5);
    snprintf(name, sizeof name, "%.*s-%s", 57, skiff_obj_str(pc->owner, "metadata.name"), sfx);
    cJSON_AddStringToObject(md, "name", name);
    cJSON_AddStringToObject(md, "namespace", skiff_obj_str(pc->owner, "metadata.namespace"));
    cJSON *refs = cJSON_AddArrayToObject(md, "ownerReferences");
    cJSON_AddItemToArray(refs, skiff_owner_ref(pc->owner, pc->owner_api, pc->owner_kind));
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(tpl, "spec");
    cJSON_AddItemToObject(pod, "spec", spec ? cJSON_Duplicate(spec, 1) : cJSON_CreateObject());
    return pod;
}

static int create_one(skiff_podctl_t *pc, skiff_error_t *err)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        cJSON *pod = pod_from_template(pc);
        char *body = pod ? cJSON_PrintUnformatted(pod) : NULL, path[512];
        snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods", skiff_obj_str(pc->owner, "metadata.namespace"));
        int rc = body ? skiff_api_client_create(skiff_ctrl_client(pc->c), path, body, NULL, err)
                      : skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
        free(body);
        if (rc == 0)
            skiff_ctrl_event(pc->c, pc->owner, "Normal", "SuccessfulCreate", "Created pod: %s", skiff_obj_str(pod, "metadata.name"));
        else if (rc != SKIFF_E_EXISTS)
            skiff_ctrl_event(pc->c, pc->owner, "Warning", "FailedCreate", "Error creating: %s", err->msg);
        cJSON_Delete(pod);
        if (rc != SKIFF_E_EXISTS) return rc; /* a name clash: another suffix */
    }
    return SKIFF_E_EXISTS;
}

int skiff_podctl_create(skiff_podctl_t *pc, int n, skiff_error_t *err)
{
    int made = 0;
    for (int batch = 1; made < n; batch *= 2) {
        int b = batch < n - made ? batch : n - made;
        for (int i = 0; i < b; i++) {
            int rc = create_one(pc, err);
            if (rc < 0) return made; /* slow start: stop at the first failure */
            made++;
        }
    }
    return made;
}

/* Kubernetes' ActivePods order, least useful first: unassigned, pending,
 * not ready, ready for less time / newer. */
static int pod_rank(const cJSON *p)
{
    int r = 0;
    if (skiff_obj_str(p, "spec.nodeName")) r += 4;
    const char *phase = skiff_obj_str(p, "status.phase");
    if (phase && !strcmp(phase, "Running")) r += 2;
    if (skiff_pod_ready(p)) r += 1;
    return r;
}

static int cmp_pods(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    int rx = pod_rank(x), ry = pod_rank(y);
    if (rx != ry) return rx - ry;
    const char *tx = skiff_obj_str(x, "metadata.creationTimestamp"), *ty = skiff_obj_str(y, "metadata.creationTimestamp");
    return -strcmp(tx ? tx : "", ty ? ty : ""); /* newer first */
}

int skiff_podctl_delete(skiff_podctl_t *pc, int n, skiff_error_t *err)
{
    int total = cJSON_GetArraySize(pc->active), gone = 0;
    const cJSON **v = calloc(total ? (size_t)total : 1, sizeof *v);
    if (!v) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    int i = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, pc->active) v[i++] = p;
    qsort(v, (size_t)total, sizeof *v, cmp_pods);
    for (i = 0; i < total && gone < n; i++) {
        char path[512];
        pod_path(v[i], path, sizeof path, NULL);
        int rc = skiff_api_client_delete(skiff_ctrl_client(pc->c), path, NULL, err);
        if (rc < 0 && rc != SKIFF_E_NOTFOUND) {
            skiff_ctrl_event(pc->c, pc->owner, "Warning", "FailedDelete", "Error deleting: %s", err->msg);
            break;
        }
        skiff_ctrl_event(pc->c, pc->owner, "Normal", "SuccessfulDelete", "Deleted pod: %s", skiff_obj_str(v[i], "metadata.name"));
        gone++;
    }
    free(v);
    return gone;
}

static int labels_superset(const cJSON *have, const cJSON *want)
{
    const cJSON *l;
    cJSON_ArrayForEach(l, want) {
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(have, l->string);
        if (!cJSON_IsString(h) || !cJSON_IsString(l) || strcmp(h->valuestring, l->valuestring)) return 0;
    }
    return 1;
}

/* Ready for at least minReadySeconds (the Ready condition's transition time). */
static int pod_available(const cJSON *pod, int64_t min_ready)
{
    if (!skiff_pod_ready(pod)) return 0;
    if (min_ready <= 0) return 1;
    const cJSON *conds = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pod, "status"), "conditions"), *c;
    cJSON_ArrayForEach(c, conds) {
        const char *t = skiff_obj_str(c, "type"), *lt = skiff_obj_str(c, "lastTransitionTime");
        if (!t || strcmp(t, "Ready") || !lt) continue;
        struct tm tm = { 0 };
        if (!strptime(lt, "%Y-%m-%dT%H:%M:%SZ", &tm)) return 1;
        return timegm(&tm) + min_ready <= time(NULL);
    }
    return 1;
}

int skiff_podctl_status(skiff_podctl_t *pc, skiff_error_t *err)
{
    const cJSON *tlabels = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pc->owner, "spec"), "template"), "metadata"), "labels");
    int64_t min_ready = skiff_obj_int(pc->owner, "spec.minReadySeconds", 0);
    int64_t replicas = 0, labeled = 0, ready = 0, avail = 0, unready_min = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, pc->active) {
        replicas++;
        const cJSON *labels = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p, "metadata"), "labels");
        if (labels_superset(labels, tlabels)) labeled++;
        if (skiff_pod_ready(p)) {
            ready++;
            if (pod_available(p, min_ready)) avail++;
            else unready_min = 1;
        }
    }
    int64_t gen = skiff_obj_int(pc->owner, "metadata.generation", 0);
    if (unready_min) {
        /* look again when the newest ready pod becomes available */
        char key[512];
        skiff_obj_key(pc->owner, key, sizeof key);
        skiff_ctrl_enqueue_after(pc->c, key, min_ready * 1000);
    }
    if (skiff_obj_int(pc->owner, "status.replicas", 0) == replicas &&
        skiff_obj_int(pc->owner, "status.fullyLabeledReplicas", 0) == labeled &&
        skiff_obj_int(pc->owner, "status.readyReplicas", 0) == ready &&
        skiff_obj_int(pc->owner, "status.availableReplicas", 0) == avail &&
        skiff_obj_int(pc->owner, "status.observedGeneration", -1) == gen)
        return 0;
    char body[512], path[512];
    snprintf(body, sizeof body, "{\"status\":{\"replicas\":%lld,\"fullyLabeledReplicas\":%lld,\"readyReplicas\":%lld,"
             "\"availableReplicas\":%lld,\"observedGeneration\":%lld}}",
             (long long)replicas, (long long)labeled, (long long)ready, (long long)avail, (long long)gen);
    const skiff_ctrl_resource_t *r = skiff_ctrl_resource_by_kind(pc->owner_kind);
    if (!r) return 0;
    skiff_ctrl_path(r, skiff_obj_str(pc->owner, "metadata.namespace"), skiff_obj_str(pc->owner, "metadata.name"), path, sizeof path);
    strncat(path, "/status", sizeof path - strlen(path) - 1);
    int rc = skiff_api_client_patch(skiff_ctrl_client(pc->c), path, "application/merge-patch+json", body, NULL, err);
    return rc == SKIFF_E_NOTFOUND ? 0 : rc;
}

void skiff_podctl_done(skiff_podctl_t *pc)
{
    cJSON_Delete(pc->active);
    pc->active = NULL;
    skiff_api_selector_free(pc->sel);
    pc->sel = NULL;
}
