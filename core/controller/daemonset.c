/* core/controller/daemonset — the DaemonSet controller: one pod per
 * eligible node (the node's labels match spec.template.spec.nodeSelector
 * and every NoSchedule/NoExecute taint is tolerated), placed by setting
 * spec.nodeName (kube binds through the scheduler with a node affinity; the
 * outcome on the node is the same). Pods get the tolerations kube adds to
 * daemon pods (not-ready, unreachable: NoExecute; unschedulable and the
 * pressure taints: NoSchedule) and the label controller-revision-hash of
 * their template. RollingUpdate replaces outdated pods at most
 * maxUnavailable (default 1) at a time; OnDelete only when they are
 * deleted. Status as kube's, so kubectl rollout status daemonset works.
 *
 * Each template is recorded as an apps/v1 ControllerRevision
 * "<ds>-<hash>" (data: a strategic merge patch replacing spec.template,
 * revision numbers increasing, the current one renumbered to the highest
 * when an old template comes back), whose hash is the pods'
 * controller-revision-hash: kubectl rollout history / undo daemonset read
 * and apply them. revisionHistoryLimit (default 10) old revisions are kept,
 * never one a live pod still runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/controller.h"
#include "log/log.h"

#define HASH_LABEL "controller-revision-hash"

static const char *const ds_watches[] = { "daemonsets", "nodes", "pods", "controllerrevisions", NULL };

static void enqueue_all(skiff_ctrl_t *c)
{
    cJSON *all = skiff_informer_list(skiff_ctrl_informer(c, "daemonsets"), NULL, NULL, NULL, NULL), *d;
    char key[512];
    cJSON_ArrayForEach(d, all) { skiff_obj_key(d, key, sizeof key); skiff_ctrl_enqueue(c, key); }
    cJSON_Delete(all);
}

static void ds_on_event(skiff_ctrl_t *c, const char *resource, skiff_ev_t ev, const cJSON *obj, const cJSON *old)
{
    (void)ev; (void)old;
    char key[512];
    if (!strcmp(resource, "daemonsets")) { skiff_obj_key(obj, key, sizeof key); skiff_ctrl_enqueue(c, key); return; }
    if (!strcmp(resource, "nodes")) {
        /* status heartbeats change nothing a daemon set cares about */
        if (ev == SKIFF_EV_UPDATE && old) {
            const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, "spec"), *b = cJSON_GetObjectItemCaseSensitive(old, "spec");
            const cJSON *la = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "labels");
            const cJSON *lb = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(old, "metadata"), "labels");
            if (((!a && !b) || (a && b && cJSON_Compare(a, b, 1))) && ((!la && !lb) || (la && lb && cJSON_Compare(la, lb, 1)))) return;
        }
        enqueue_all(c);
        return;
    }
    if (!strcmp(resource, "controllerrevisions") && ev != SKIFF_EV_DELETE) return; /* ours; only a deletion matters */
    const cJSON *ref = skiff_obj_controller_ref(obj);
    const char *ns = skiff_obj_str(obj, "metadata.namespace");
    if (ref && ns && skiff_obj_str(ref, "kind") && !strcmp(skiff_obj_str(ref, "kind"), "DaemonSet")) {
        snprintf(key, sizeof key, "%s/%s", ns, skiff_obj_str(ref, "name"));
        skiff_ctrl_enqueue(c, key);
    }
}

static cJSON *at(const cJSON *o, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *t = strtok_r(buf, ".", &save); o && t; t = strtok_r(NULL, ".", &save))
        o = cJSON_GetObjectItemCaseSensitive(o, t);
    return (cJSON *)o;
}

static const char *const daemon_tolerations =
    "[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExecute\"},"
    "{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":\"NoExecute\"},"
    "{\"key\":\"node.kubernetes.io/disk-pressure\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"},"
    "{\"key\":\"node.kubernetes.io/memory-pressure\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"},"
    "{\"key\":\"node.kubernetes.io/pid-pressure\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"},"
    "{\"key\":\"node.kubernetes.io/unschedulable\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]";

static int tolerated(const cJSON *taint, const cJSON *tols)
{
    const char *k = skiff_obj_str(taint, "key"), *v = skiff_obj_str(taint, "value"), *e = skiff_obj_str(taint, "effect");
    const cJSON *t;
    cJSON_ArrayForEach(t, tols) {
        const char *tk = skiff_obj_str(t, "key"), *op = skiff_obj_str(t, "operator"), *tv = skiff_obj_str(t, "value"), *te = skiff_obj_str(t, "effect");
        int exists = op && !strcmp(op, "Exists");
        if (te && *te && (!e || strcmp(te, e))) continue;
        if (!tk || !*tk) { if (exists) return 1; continue; }
        if (!k || strcmp(tk, k)) continue;
        if (exists || !strcmp(tv ? tv : "", v ? v : "")) return 1;
    }
    return 0;
}

static int eligible(const cJSON *node, const cJSON *pod_spec, const cJSON *tols)
{
    const cJSON *sel = cJSON_GetObjectItemCaseSensitive(pod_spec, "nodeSelector"), *kv;
    const cJSON *labels = at(node, "metadata.labels");
    cJSON_ArrayForEach(kv, sel) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(labels, kv->string);
        if (!cJSON_IsString(v) || !cJSON_IsString(kv) || strcmp(v->valuestring, kv->valuestring)) return 0;
    }
    const cJSON *t;
    cJSON_ArrayForEach(t, at(node, "spec.taints")) {
        const char *e = skiff_obj_str(t, "effect");
        if (e && (!strcmp(e, "NoSchedule") || !strcmp(e, "NoExecute")) && !tolerated(t, tols)) return 0;
    }
    return 1;
}

static void template_hash(const cJSON *tpl, char *out, size_t n)
{
    char *txt = cJSON_PrintUnformatted(tpl);
    uint32_t h = 2166136261u;
    for (const char *p = txt ? txt : ""; *p; p++) { h ^= (unsigned char)*p; h *= 16777619u; }
    free(txt);
    snprintf(out, n, "%x", h);
}


/* ---- ControllerRevisions ------------------------------------------------ */

/* The template a revision records (data.spec.template without "$patch"),
 * compared to tpl ignoring key order. */
static int revision_matches(const cJSON *rev, const cJSON *tpl)
{
    cJSON *t = cJSON_Duplicate(at(rev, "data.spec.template"), 1);
    if (!t) return 0;
    cJSON_DeleteItemFromObjectCaseSensitive(t, "$patch");
    int eq = cJSON_Compare(t, tpl, 1);
    cJSON_Delete(t);
    return eq;
}

static int rev_path(const cJSON *ds, const char *name, char *out, size_t n)
{
    return snprintf(out, n, "/apis/apps/v1/namespaces/%s/controllerrevisions%s%s", skiff_obj_str(ds, "metadata.namespace"),
                    name ? "/" : "", name ? name : "");
}

/* Make sure the current template has a revision, numbered highest; its hash
 * goes into hash. revs: the DaemonSet's revisions (from the cache). */
static int current_revision(skiff_ctrl_t *c, const cJSON *ds, const cJSON *revs, char *hash, size_t nhash,
                            const cJSON **cur_out, skiff_error_t *err)
{
    const cJSON *tpl = at(ds, "spec.template"), *r, *cur = NULL;
    int64_t max = 0;
    cJSON_ArrayForEach(r, revs) {
        int64_t n = skiff_obj_int(r, "revision", 0);
        if (n > max) max = n;
        if (revision_matches(r, tpl) && (!cur || n > skiff_obj_int(cur, "revision", 0))) cur = r;
    }
    char path[700];
    *cur_out = cur;
    if (cur) {
        const char *h = skiff_obj_str(at(cur, "metadata.labels"), HASH_LABEL);
        snprintf(hash, nhash, "%s", h ? h : "");
        if (!h) template_hash(tpl, hash, nhash);
        if (skiff_obj_int(cur, "revision", 0) < max) {
            /* an old template came back (kubectl rollout undo): it is the newest revision now */
            char body[64];
            snprintf(body, sizeof body, "{\"revision\":%lld}", (long long)max + 1);
            rev_path(ds, skiff_obj_str(cur, "metadata.name"), path, sizeof path);
            int rc = skiff_api_client_patch(skiff_ctrl_client(c), path, "application/merge-patch+json", body, NULL, err);
            if (rc < 0) return rc;
        }
        return 0;
    }
    template_hash(tpl, hash, nhash);
    cJSON *cr = cJSON_CreateObject();
    if (!cr) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    cJSON_AddStringToObject(cr, "apiVersion", "apps/v1");
    cJSON_AddStringToObject(cr, "kind", "ControllerRevision");
    cJSON *md = cJSON_AddObjectToObject(cr, "metadata");
    char name[400];
    snprintf(name, sizeof name, "%.*s-%s", 240, skiff_obj_str(ds, "metadata.name"), hash);
    cJSON_AddStringToObject(md, "name", name);
    cJSON_AddStringToObject(md, "namespace", skiff_obj_str(ds, "metadata.namespace"));
    cJSON *labels = cJSON_Duplicate(at(tpl, "metadata.labels"), 1);
    if (!labels) labels = cJSON_CreateObject();
    cJSON_DeleteItemFromObjectCaseSensitive(labels, HASH_LABEL);
    cJSON_AddStringToObject(labels, HASH_LABEL, hash);
    cJSON_AddItemToObject(md, "labels", labels);
    /* kube copies the DaemonSet's annotations (kubernetes.io/change-cause
     * is what rollout history shows) */
    const cJSON *an = at(ds, "metadata.annotations");
    if (an) cJSON_AddItemToObject(md, "annotations", cJSON_Duplicate(an, 1));
    cJSON_AddItemToArray(cJSON_AddArrayToObject(md, "ownerReferences"), skiff_owner_ref(ds, "apps/v1", "DaemonSet"));
    cJSON *t = cJSON_Duplicate(tpl, 1);
    if (t) cJSON_AddStringToObject(t, "$patch", "replace");
    cJSON_AddItemToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(cr, "data"), "spec"), "template", t);
    cJSON_AddNumberToObject(cr, "revision", (double)(max + 1));
    char *body = cJSON_PrintUnformatted(cr);
    cJSON_Delete(cr);
    if (!body) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    rev_path(ds, NULL, path, sizeof path);
    int rc = skiff_api_client_create(skiff_ctrl_client(c), path, body, NULL, err);
    free(body);
    /* already there: the cache is behind (the next event syncs again) */
    return rc == SKIFF_E_EXISTS ? skiff_error_set(err, SKIFF_E_CONFLICT, "controllerrevision %s exists; waiting for the cache", name) : rc;
}

/* Old revisions beyond revisionHistoryLimit, oldest first, but never one a
 * live pod still runs (kube's cleanupHistory). */
static int cleanup_revisions(skiff_ctrl_t *c, const cJSON *ds, const cJSON *revs, const cJSON *cur, const cJSON *pods,
                             skiff_error_t *err)
{
    int64_t limit = skiff_obj_int(ds, "spec.revisionHistoryLimit", 10);
    int64_t old = cJSON_GetArraySize(revs) - (cur ? 1 : 0);
    int64_t kill = old - (limit < 0 ? 0 : limit);
    int rc = 0;
    while (kill > 0) {
        const cJSON *r, *oldest = NULL;
        cJSON_ArrayForEach(r, revs) {
            if (r == cur || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "$skip"))) continue;
            const char *h = skiff_obj_str(at(r, "metadata.labels"), HASH_LABEL);
            int live = 0;
            const cJSON *p;
            cJSON_ArrayForEach(p, pods) {
                const char *ph = skiff_obj_str(at(p, "metadata.labels"), HASH_LABEL);
                if (h && ph && !strcmp(h, ph) && skiff_pod_active(p)) live = 1;
            }
            if (live) continue;
            if (!oldest || skiff_obj_int(r, "revision", 0) < skiff_obj_int(oldest, "revision", 0)) oldest = r;
        }
        if (!oldest) break;
        char path[700];
        rev_path(ds, skiff_obj_str(oldest, "metadata.name"), path, sizeof path);
        int r2 = skiff_api_client_delete(skiff_ctrl_client(c), path, NULL, err);
        if (r2 < 0 && r2 != SKIFF_E_NOTFOUND) rc = r2;
        cJSON_AddBoolToObject((cJSON *)oldest, "$skip", 1); /* revs is our copy */
        kill--;
    }
    return rc;
}

static int create_pod(skiff_ctrl_t *c, const cJSON *ds, const char *node, const char *hash, const cJSON *tols, skiff_error_t *err)
{
    const cJSON *tpl = at(ds, "spec.template");
    cJSON *pod = cJSON_CreateObject();
    cJSON_AddStringToObject(pod, "apiVersion", "v1");
    cJSON_AddStringToObject(pod, "kind", "Pod");
    cJSON *md = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(tpl, "metadata"), 1);
    if (!md) md = cJSON_CreateObject();
    cJSON_AddItemToObject(pod, "metadata", md);
    cJSON_DeleteItemFromObject(md, "creationTimestamp");
    char name[300], sfx[8];
    skiff_rand_suffix(sfx, 5);
    snprintf(name, sizeof name, "%.*s-%s", 57, skiff_obj_str(ds, "metadata.name"), sfx);
    cJSON_AddStringToObject(md, "name", name);
    cJSON_AddStringToObject(md, "namespace", skiff_obj_str(ds, "metadata.namespace"));
    cJSON *labels = cJSON_GetObjectItemCaseSensitive(md, "labels");
    if (!labels) labels = cJSON_AddObjectToObject(md, "labels");
    cJSON_AddStringToObject(labels, HASH_LABEL, hash);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(md, "ownerReferences"), skiff_owner_ref(ds, "apps/v1", "DaemonSet"));
    cJSON *spec = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(tpl, "spec"), 1);
    if (!spec) spec = cJSON_CreateObject();
    cJSON_AddItemToObject(pod, "spec", spec);
    cJSON_DeleteItemFromObject(spec, "nodeName");
    cJSON_AddStringToObject(spec, "nodeName", node);
    cJSON_DeleteItemFromObject(spec, "tolerations");
    cJSON_AddItemToObject(spec, "tolerations", cJSON_Duplicate(tols, 1));
    char *body = cJSON_PrintUnformatted(pod), path[400];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods", skiff_obj_str(ds, "metadata.namespace"));
    int rc = body ? skiff_api_client_create(skiff_ctrl_client(c), path, body, NULL, err) : SKIFF_E_NOSPACE;
    free(body);
    if (rc == 0) skiff_ctrl_event(c, ds, "Normal", "SuccessfulCreate", "Created pod: %s", name);
    else skiff_ctrl_event(c, ds, "Warning", "FailedCreate", "Error creating: %s", err->msg);
    cJSON_Delete(pod);
    return rc;
}

static int delete_pod(skiff_ctrl_t *c, const cJSON *ds, const cJSON *pod, skiff_error_t *err)
{
    char path[600];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/%s", skiff_obj_str(pod, "metadata.namespace"), skiff_obj_str(pod, "metadata.name"));
    int rc = skiff_api_client_delete(skiff_ctrl_client(c), path, NULL, err);
    if (rc == 0) skiff_ctrl_event(c, ds, "Normal", "SuccessfulDelete", "Deleted pod: %s", skiff_obj_str(pod, "metadata.name"));
    return rc == SKIFF_E_NOTFOUND ? 0 : rc;
}

static int64_t intstr(const cJSON *v, int64_t total, int64_t dflt)
{
    if (cJSON_IsNumber(v)) return (int64_t)v->valuedouble;
    if (cJSON_IsString(v)) {
        char *end;
        long long p = strtoll(v->valuestring, &end, 10);
        if (*end == '%') { int64_t r = p * total / 100; return r < 1 && p > 0 ? 1 : r; }
        if (!*end) return p;
    }
    return dflt;
}

static int ds_sync(skiff_ctrl_t *c, const char *key, skiff_error_t *err)
{
    cJSON *ds = skiff_informer_get(skiff_ctrl_informer(c, "daemonsets"), key);
    if (!ds) return 0;
    if (skiff_obj_str(ds, "metadata.deletionTimestamp")) { cJSON_Delete(ds); return 0; }
    const cJSON *tpl = at(ds, "spec.template");
    char hash[64];
    const char *uid0 = skiff_obj_str(ds, "metadata.uid");
    cJSON *revs = skiff_informer_list(skiff_ctrl_informer(c, "controllerrevisions"), skiff_obj_str(ds, "metadata.namespace"), uid0, NULL, NULL);
    const cJSON *cur = NULL;
    int rrc = current_revision(c, ds, revs, hash, sizeof hash, &cur, err);
    if (rrc < 0) { cJSON_Delete(revs); cJSON_Delete(ds); return rrc; }
    cJSON *tols = cJSON_Duplicate(at(tpl, "spec.tolerations"), 1);
    if (!tols) tols = cJSON_CreateArray();
    cJSON *extra = cJSON_Parse(daemon_tolerations), *t;
    while (extra && extra->child) {
        t = cJSON_DetachItemViaPointer(extra, extra->child);
        const cJSON *e;
        int have = 0;
        cJSON_ArrayForEach(e, tols) {
            const char *k1 = skiff_obj_str(e, "key"), *k2 = skiff_obj_str(t, "key"), *e1 = skiff_obj_str(e, "effect"), *e2 = skiff_obj_str(t, "effect");
            if (k1 && k2 && !strcmp(k1, k2) && e1 && e2 && !strcmp(e1, e2)) have = 1;
        }
        if (have) cJSON_Delete(t); else cJSON_AddItemToArray(tols, t);
    }
    cJSON_Delete(extra);
    const char *uid = skiff_obj_str(ds, "metadata.uid");
    cJSON *nodes = skiff_informer_list(skiff_ctrl_informer(c, "nodes"), NULL, NULL, NULL, NULL), *n;
    cJSON *pods = skiff_informer_list(skiff_ctrl_informer(c, "pods"), skiff_obj_str(ds, "metadata.namespace"), uid, NULL, NULL), *p;
    int64_t desired = 0, current = 0, mis = 0, ready = 0, updated = 0, unavailable_now = 0;
    int rc = 0;
    const char *strategy = skiff_obj_str(ds, "spec.updateStrategy.type");
    int rolling = !strategy || strcmp(strategy, "OnDelete");
    int64_t nnodes = cJSON_GetArraySize(nodes);
    int64_t max_unavail = intstr(at(ds, "spec.updateStrategy.rollingUpdate.maxUnavailable"), nnodes, 1);
    if (max_unavail < 1) max_unavail = 1;
    /* pass 1: what runs where */
    cJSON *outdated = cJSON_CreateArray();
    cJSON_ArrayForEach(n, nodes) {
        const char *nn = skiff_obj_str(n, "metadata.name");
        int want = eligible(n, at(tpl, "spec"), tols);
        int have = 0;
        cJSON_ArrayForEach(p, pods) {
            const char *pn = skiff_obj_str(p, "spec.nodeName");
            if (!pn || strcmp(pn, nn) || !skiff_pod_active(p)) continue;
            const cJSON *ref = skiff_obj_controller_ref(p);
            if (!ref || strcmp(skiff_obj_str(ref, "uid") ? skiff_obj_str(ref, "uid") : "", uid)) continue;
            have++;
            if (!want || have > 1) { int r = delete_pod(c, ds, p, err); if (r < 0) rc = r; continue; }
            const char *ph = skiff_obj_str(at(p, "metadata.labels"), HASH_LABEL);
            int up = ph && !strcmp(ph, hash);
            int rd = skiff_pod_ready(p);
            if (up) updated++;
            if (rd) ready++;
            else unavailable_now++;
            if (!up && rolling) cJSON_AddItemToArray(outdated, cJSON_Duplicate(p, 1));
        }
        if (want) {
            desired++;
            if (have) current++;
            else { unavailable_now++; int r = create_pod(c, ds, nn, hash, tols, err); if (r < 0) rc = r; }
        } else if (have) {
            mis++;
        }
    }
    /* pass 2: replace outdated pods, not-ready ones first, within maxUnavailable */
    for (int pass = 0; pass < 2; pass++)
        cJSON_ArrayForEach(p, outdated) {
            int rd = skiff_pod_ready(p);
            if ((pass == 0) == rd) continue;
            if (rd && unavailable_now >= max_unavail) break;
            int r = delete_pod(c, ds, p, err);
            if (r < 0) rc = r;
            if (rd) unavailable_now++;
        }
    cJSON_Delete(outdated);
    int64_t gen = skiff_obj_int(ds, "metadata.generation", 0);
    int64_t unavailable = desired - ready;
    if (unavailable < 0) unavailable = 0;
    const cJSON *st = at(ds, "status");
    if (skiff_obj_int(st, "desiredNumberScheduled", -1) != desired || skiff_obj_int(st, "currentNumberScheduled", -1) != current ||
        skiff_obj_int(st, "numberMisscheduled", -1) != mis || skiff_obj_int(st, "numberReady", -1) != ready ||
        skiff_obj_int(st, "numberAvailable", -1) != ready || skiff_obj_int(st, "updatedNumberScheduled", -1) != updated ||
        skiff_obj_int(st, "numberUnavailable", -1) != unavailable || skiff_obj_int(st, "observedGeneration", -1) != gen) {
        char body[512], path[600];
        snprintf(body, sizeof body, "{\"status\":{\"desiredNumberScheduled\":%lld,\"currentNumberScheduled\":%lld,\"numberMisscheduled\":%lld,"
                 "\"numberReady\":%lld,\"numberAvailable\":%lld,\"updatedNumberScheduled\":%lld,\"numberUnavailable\":%lld,\"observedGeneration\":%lld}}",
                 (long long)desired, (long long)current, (long long)mis, (long long)ready, (long long)ready, (long long)updated,
                 (long long)unavailable, (long long)gen);
        snprintf(path, sizeof path, "/apis/apps/v1/namespaces/%s/daemonsets/%s/status", skiff_obj_str(ds, "metadata.namespace"), skiff_obj_str(ds, "metadata.name"));
        int r = skiff_api_client_patch(skiff_ctrl_client(c), path, "application/merge-patch+json", body, NULL, err);
        if (r < 0 && r != SKIFF_E_NOTFOUND) rc = r;
    }
    if (rc == 0) rc = cleanup_revisions(c, ds, revs, cur, pods, err);
    cJSON_Delete(revs);
    cJSON_Delete(tols);
    cJSON_Delete(nodes);
    cJSON_Delete(pods);
    cJSON_Delete(ds);
    return rc;
}

const skiff_controller_t skiff_controller_daemonset = {
    .name = "daemonset",
    .watches = ds_watches,
    .on_event = ds_on_event,
    .sync = ds_sync,
};
