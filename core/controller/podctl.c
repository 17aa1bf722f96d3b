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

static int orphan_match(void *ud, const cJSON *pod)
{
    return skiff_pod_active(pod) && matches(ud, pod);
}

/* The active pods: the owned ones of the cache that match (read from
 * pc->owned, filtered outside the informer's lock), plus those adopted this
 * sync that the cache has not seen as ours yet. */
static void fill_active(skiff_podctl_t *pc)
{
    free(pc->active);
    pc->active = NULL;
    pc->nactive = 0;
    size_t nad = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, pc->adopted) nad++;
    pc->active = malloc((pc->owned.n + nad + 1) * sizeof *pc->active);
    if (!pc->active) return;
    for (size_t i = 0; i < pc->owned.n; i++)
        if (skiff_pod_active(pc->owned.v[i]) && matches(pc, pc->owned.v[i])) pc->active[pc->nactive++] = pc->owned.v[i];
    cJSON_ArrayForEach(a, pc->adopted) {
        const char *n = skiff_obj_str(a, "metadata.name");
        int dup = 0;
        for (size_t i = 0; i < pc->owned.n && !dup; i++) {
            const char *m = skiff_obj_str(pc->owned.v[i], "metadata.name");
            dup = n && m && !strcmp(n, m);
        }
        if (!dup) pc->active[pc->nactive++] = a;
    }
}

void skiff_podctl_refresh(skiff_podctl_t *pc)
{
    skiff_objs_release(&pc->owned);
    const char *uid = owner_uid(pc);
    if (uid) skiff_informer_select(skiff_ctrl_informer(pc->c, "pods"), SKIFF_INDEX_CONTROLLER, uid, NULL, NULL, &pc->owned);
    fill_active(pc);
}

int skiff_podctl_claim(skiff_podctl_t *pc, skiff_error_t *err)
{
    skiff_api_selector_t *sel = NULL;
    const cJSON *ls = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pc->owner, "spec"), "selector");
    if (skiff_api_label_selector_from_object(ls, &sel, err) < 0) return 0; /* invalid selector: nothing matches */
    pc->sel = sel;
    const char *ns = skiff_obj_str(pc->owner, "metadata.namespace"), *uid = owner_uid(pc);
    if (!ns || !uid) return 0;
    skiff_informer_t *pods = skiff_ctrl_informer(pc->c, "pods");
    int deleting = skiff_obj_str(pc->owner, "metadata.deletionTimestamp") != NULL;
    int rc = 0;
    /* release: owned pods that no longer match */
    if (skiff_informer_select(pods, SKIFF_INDEX_CONTROLLER, uid, NULL, NULL, &pc->owned) < 0)
        return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    fill_active(pc);
    int released = 0;
    if (pc->nactive < pc->owned.n)   /* only then can an active owned pod not match */
        for (size_t i = 0; i < pc->owned.n; i++)
            if (skiff_pod_active(pc->owned.v[i]) && !matches(pc, pc->owned.v[i])) {
                int r = release(pc, pc->owned.v[i], err);
                if (r < 0) rc = r;
                released = 1;
            }
    /* adopt: active orphans of the namespace that match (few: a filter
     * under the lock is fine) */
    pc->adopted = cJSON_CreateArray();
    skiff_objs_t l;
    if (!deleting && skiff_informer_select(pods, SKIFF_INDEX_ORPHAN, ns, orphan_match, pc, &l) == 0) {
        for (size_t i = 0; i < l.n; i++) {
            cJSON *a = NULL;
            int r = adopt(pc, l.v[i], &a, err);
            if (r < 0) rc = r;
            /* the cache has not seen the adoption yet: count the adopted
             * pods now, or they would be created a second time */
            if (a && pc->adopted) cJSON_AddItemToArray(pc->adopted, a);
            else cJSON_Delete(a);
        }
        skiff_objs_release(&l);
    }
    if (released) skiff_podctl_refresh(pc);
    else if (pc->adopted && pc->adopted->child) fill_active(pc);
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
 * not ready, ready for less time / newer. Ranked once per pod, then sorted
 * (ranking inside the comparison cost 20% of a 10,000-pod rollout). */
typedef struct ranked { const cJSON *pod; const char *created; int rank; } ranked_t;

static int pod_rank(const cJSON *p)
{
    int r = 0;
    if (skiff_obj_str(p, "spec.nodeName")) r += 4;
    const char *phase = skiff_obj_str(p, "status.phase");
    if (phase && !strcmp(phase, "Running")) r += 2;
    if (skiff_pod_ready(p)) r += 1;
    return r;
}

static int cmp_ranked(const void *a, const void *b)
{
    const ranked_t *x = a, *y = b;
    if (x->rank != y->rank) return x->rank - y->rank;
    return -strcmp(x->created, y->created); /* newer first */
}

int skiff_podctl_victims(skiff_podctl_t *pc, int n, const cJSON ***out, skiff_error_t *err)
{
    size_t total = pc->nactive;
    const cJSON **v = malloc((total ? total : 1) * sizeof *v);
    ranked_t *r = malloc((total ? total : 1) * sizeof *r);
    if (!v || !r) { free(v); free(r); return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory"); }
    for (size_t i = 0; i < total; i++) {
        const char *t = skiff_obj_str(pc->active[i], "metadata.creationTimestamp");
        r[i] = (ranked_t){ pc->active[i], t ? t : "", pod_rank(pc->active[i]) };
    }
    qsort(r, total, sizeof *r, cmp_ranked);
    for (size_t i = 0; i < total; i++) v[i] = r[i].pod;
    free(r);
    *out = v;
    return n < 0 ? 0 : (size_t)n < total ? n : (int)total;
}

int skiff_podctl_delete_pods(skiff_podctl_t *pc, const cJSON *const *pods, int n, int *missing, skiff_error_t *err)
{
    int gone = 0;
    for (int i = 0; i < n; i++) {
        char path[512];
        pod_path(pods[i], path, sizeof path, NULL);
        int rc = skiff_api_client_delete(skiff_ctrl_client(pc->c), path, NULL, err);
        if (rc == SKIFF_E_NOTFOUND && missing) missing[i] = 1;
        if (rc < 0 && rc != SKIFF_E_NOTFOUND) {
            skiff_ctrl_event(pc->c, pc->owner, "Warning", "FailedDelete", "Error deleting: %s", err->msg);
            break;
        }
        skiff_ctrl_event(pc->c, pc->owner, "Normal", "SuccessfulDelete", "Deleted pod: %s", skiff_obj_str(pods[i], "metadata.name"));
        gone++;
    }
    return gone;
}

int skiff_podctl_delete(skiff_podctl_t *pc, int n, skiff_error_t *err)
{
    const cJSON **v = NULL;
    int k = skiff_podctl_victims(pc, n, &v, err);
    int gone = k > 0 ? skiff_podctl_delete_pods(pc, v, k, NULL, err) : k;
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
    for (size_t i = 0; i < pc->nactive; i++) {
        const cJSON *p = pc->active[i];
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
    free(pc->active);
    pc->active = NULL;
    pc->nactive = 0;
    skiff_objs_release(&pc->owned);
    cJSON_Delete(pc->adopted);
    pc->adopted = NULL;
    skiff_api_selector_free(pc->sel);
    pc->sel = NULL;
}
