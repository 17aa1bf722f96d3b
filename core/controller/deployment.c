/* core/controller/deployment — the Deployment controller, after
 * kube-controller-manager's: one ReplicaSet per pod template
 * (<deployment>-<pod-template-hash>), revisions in the
 * deployment.kubernetes.io/revision annotation, RollingUpdate within
 * maxSurge/maxUnavailable, Recreate, paused, revisionHistoryLimit, and
 * status with the Available and Progressing conditions kubectl rollout
 * status reads.
 *
 * Scaling a Deployment in the middle of a rollout is proportional, as
 * kube's (the change is spread over the active ReplicaSets by the
 * max-replicas they were sized for). Deliberate simplification (see
 * docs/controllers.md): a hash collision is retried instead of counted in
 * status.collisionCount. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/selector.h"
#include "controller/controller.h"
#include "log/log.h"

#define REV_ANN "deployment.kubernetes.io/revision"
#define DESIRED_ANN "deployment.kubernetes.io/desired-replicas"
#define MAX_ANN "deployment.kubernetes.io/max-replicas"
#define HASH_LABEL "pod-template-hash"

static const char *const dep_watches[] = { "deployments", "replicasets", NULL };

static void dep_on_event(skiff_ctrl_t *c, const char *resource, skiff_ev_t ev, const cJSON *obj, const cJSON *old)
{
    char key[512];
    (void)ev;
    if (!strcmp(resource, "deployments")) {
        skiff_obj_key(obj, key, sizeof key);
        skiff_ctrl_enqueue(c, key);
        return;
    }
    const char *ns = skiff_obj_str(obj, "metadata.namespace");
    const cJSON *refs[2] = { skiff_obj_controller_ref(obj), old ? skiff_obj_controller_ref(old) : NULL };
    for (int i = 0; i < 2; i++) {
        const char *kind = refs[i] ? skiff_obj_str(refs[i], "kind") : NULL, *name = refs[i] ? skiff_obj_str(refs[i], "name") : NULL;
        if (kind && name && ns && !strcmp(kind, "Deployment")) {
            snprintf(key, sizeof key, "%s/%s", ns, name);
            skiff_ctrl_enqueue(c, key);
        }
    }
    if (!refs[0] && ns && ev != SKIFF_EV_DELETE) {
        cJSON *all = skiff_informer_list(skiff_ctrl_informer(c, "deployments"), ns, NULL, NULL, NULL), *d;
        cJSON_ArrayForEach(d, all) { skiff_obj_key(d, key, sizeof key); skiff_ctrl_enqueue(c, key); }
        cJSON_Delete(all);
    }
}

static cJSON *child(const cJSON *o, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *t = strtok_r(buf, ".", &save); o && t; t = strtok_r(NULL, ".", &save))
        o = cJSON_GetObjectItemCaseSensitive(o, t);
    return (cJSON *)o;
}

static int64_t rs_replicas(const cJSON *rs) { return skiff_obj_int(rs, "spec.replicas", 1); }
/* Annotation keys hold dots: not for the dotted-path helpers. */
static const char *annotation(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(child(o, "metadata.annotations"), key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int64_t rs_revision(const cJSON *rs)
{
    const char *r = annotation(rs, REV_ANN);
    return r ? strtoll(r, NULL, 10) : 0;
}

/* The template without the pod-template-hash label: what decides whether
 * a ReplicaSet belongs to the current template (kube's EqualIgnoreHash). */
static cJSON *template_sans_hash(const cJSON *tpl)
{
    cJSON *t = cJSON_Duplicate(tpl, 1);
    cJSON *labels = child(t, "metadata.labels");
    if (labels) cJSON_DeleteItemFromObjectCaseSensitive(labels, HASH_LABEL);
    /* kubectl rollout undo sends "creationTimestamp": null, which kube's
     * semantic equality takes for the unset time */
    cJSON *md = child(t, "metadata");
    if (md) cJSON_DeleteItemFromObjectCaseSensitive(md, "creationTimestamp");
    return t;
}

/* FNV-32a of the template text, made safe as kube's SafeEncodeString. */
static void template_hash(const cJSON *tpl, char *out, size_t n)
{
    cJSON *t = template_sans_hash(tpl);
    char *txt = t ? cJSON_PrintUnformatted(t) : NULL;
    uint32_t h = 2166136261u;
    for (const char *p = txt ? txt : ""; *p; p++) { h ^= (unsigned char)*p; h *= 16777619u; }
    free(txt);
    cJSON_Delete(t);
    static const char alpha[] = "bcdfghjklmnpqrstvwxz2456789";
    char dec[16];
    snprintf(dec, sizeof dec, "%u", h);
    size_t i;
    for (i = 0; dec[i] && i + 1 < n; i++) out[i] = alpha[(unsigned char)dec[i] % (sizeof alpha - 1)];
    out[i] = 0;
}

/* An intstr: 3 or "25%" of total, rounded up or down. */
static int64_t intstr(const cJSON *v, int64_t total, int round_up, int64_t dflt_pct)
{
    /* bad input (1e308, "99999999999%") is clamped to int32 so that neither
     * the casts nor pct * total below are undefined */
    if (total < 0) total = 0;
    if (total > INT32_MAX) total = INT32_MAX;
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        return d != d ? 0 : d < INT32_MIN ? INT32_MIN : d > INT32_MAX ? INT32_MAX : (int64_t)d;
    }
    int64_t pct = dflt_pct;
    if (cJSON_IsString(v)) {
        char *end;
        long long p = strtoll(v->valuestring, &end, 10);
        if (p < INT32_MIN) p = INT32_MIN;
        if (p > INT32_MAX) p = INT32_MAX;
        if (*end == '%') pct = p;
        else if (!*end) return p;
    }
    return round_up ? (pct * total + 99) / 100 : pct * total / 100;
}

typedef struct dep {
    skiff_ctrl_t *c;
    cJSON *d;
    const char *ns, *name;
    int64_t replicas, surge, unavail;
    cJSON *rss;        /* owned ReplicaSets (copies) */
    cJSON *new_rs;     /* in rss, or NULL */
    int created;       /* the new RS was made this sync */
    int acted;
} dep_t;

static void rs_path(const dep_t *x, const char *name, char *out, size_t n)
{
    snprintf(out, n, "/apis/apps/v1/namespaces/%s/replicasets%s%s", x->ns, name ? "/" : "", name ? name : "");
}

/* Scale rs to `to`. The patch carries the cached resourceVersion: a
 * decision taken on a stale view of the ReplicaSet fails with a conflict
 * (and the sync is retried on a fresher cache) instead of being applied, as
 * kube's Update does. */
static int scale_rs(dep_t *x, cJSON *rs, int64_t to, skiff_error_t *err)
{
    int64_t from = rs_replicas(rs);
    char body[640], path[512], rv[80] = "";
    const char *crv = skiff_obj_str(rs, "metadata.resourceVersion");
    if (crv && strlen(crv) < 40) snprintf(rv, sizeof rv, ",\"resourceVersion\":\"%s\"", crv);
    snprintf(body, sizeof body, "{\"metadata\":{\"annotations\":{\"" DESIRED_ANN "\":\"%lld\",\"" MAX_ANN "\":\"%lld\"}%s},"
             "\"spec\":{\"replicas\":%lld}}", (long long)x->replicas, (long long)(x->replicas + x->surge), rv, (long long)to);
    rs_path(x, skiff_obj_str(rs, "metadata.name"), path, sizeof path);
    int rc = skiff_api_client_patch(skiff_ctrl_client(x->c), path, "application/merge-patch+json", body, NULL, err);
    if (rc < 0) return rc;
    if (from != to) {
        skiff_ctrl_event(x->c, x->d, "Normal", "ScalingReplicaSet", "Scaled %s replica set %s to %lld from %lld",
                         to > from ? "up" : "down", skiff_obj_str(rs, "metadata.name"), (long long)to, (long long)from);
        x->acted = 1;
    }
    cJSON *spec = child(rs, "spec");
    if (spec) {
        cJSON_DeleteItemFromObject(spec, "replicas");
        cJSON_AddNumberToObject(spec, "replicas", (double)to);
    }
    return 0;
}

/* Adopt orphan ReplicaSets matching the selector; collect the owned ones. */
static int collect(dep_t *x, skiff_error_t *err)
{
    skiff_api_selector_t *sel = NULL;
    if (skiff_api_label_selector_from_object(child(x->d, "spec.selector"), &sel, err) < 0) return 0;
    const char *uid = skiff_obj_str(x->d, "metadata.uid");
    cJSON *all = skiff_informer_list(skiff_ctrl_informer(x->c, "replicasets"), x->ns, NULL, NULL, NULL);
    x->rss = cJSON_CreateArray();
    int rc = 0;
    while (all && all->child) {
        cJSON *rs = cJSON_DetachItemViaPointer(all, all->child);
        const cJSON *ref = skiff_obj_controller_ref(rs);
        const char *ru = ref ? skiff_obj_str(ref, "uid") : NULL;
        if (ru && !strcmp(ru, uid)) { cJSON_AddItemToArray(x->rss, rs); continue; }
        if (!ref && !skiff_obj_str(rs, "metadata.deletionTimestamp") && skiff_api_selector_matches(sel, child(rs, "metadata.labels"))) {
            cJSON *patch = cJSON_CreateObject();
            cJSON *refs = cJSON_AddArrayToObject(cJSON_AddObjectToObject(patch, "metadata"), "ownerReferences");
            cJSON_AddItemToArray(refs, skiff_owner_ref(x->d, "apps/v1", "Deployment"));
            char *body = cJSON_PrintUnformatted(patch), path[512];
            cJSON_Delete(patch);
            rs_path(x, skiff_obj_str(rs, "metadata.name"), path, sizeof path);
            int r = body ? skiff_api_client_patch(skiff_ctrl_client(x->c), path, "application/merge-patch+json", body, NULL, err) : SKIFF_E_NOSPACE;
            free(body);
            if (r < 0 && r != SKIFF_E_NOTFOUND) rc = r;
        }
        cJSON_Delete(rs);
    }
    cJSON_Delete(all);
    skiff_api_selector_free(sel);
    return rc;
}

static int64_t max_old_revision(const dep_t *x)
{
    int64_t m = 0;
    const cJSON *rs;
    cJSON_ArrayForEach(rs, x->rss)
        if (rs != x->new_rs && rs_revision(rs) > m) m = rs_revision(rs);
    return m;
}

static int64_t total_spec(const dep_t *x)
{
    int64_t n = 0;
    const cJSON *rs;
    cJSON_ArrayForEach(rs, x->rss) n += rs_replicas(rs);
    return n;
}

static int64_t sum_status(const dep_t *x, const char *field, int only_old)
{
    int64_t n = 0;
    const cJSON *rs;
    char f[64];
    snprintf(f, sizeof f, "status.%s", field);
    cJSON_ArrayForEach(rs, x->rss)
        if (!only_old || rs != x->new_rs) n += skiff_obj_int(rs, f, 0);
    return n;
}

static int create_new_rs(dep_t *x, int64_t replicas, skiff_error_t *err)
{
    const cJSON *tpl = child(x->d, "spec.template");
    char hash[16], name[300], num[24];
    template_hash(tpl, hash, sizeof hash);
    snprintf(name, sizeof name, "%s-%s", x->name, hash);
    cJSON *rs = cJSON_CreateObject();
    cJSON_AddStringToObject(rs, "apiVersion", "apps/v1");
    cJSON_AddStringToObject(rs, "kind", "ReplicaSet");
    cJSON *md = cJSON_AddObjectToObject(rs, "metadata");
    cJSON_AddStringToObject(md, "name", name);
    cJSON_AddStringToObject(md, "namespace", x->ns);
    cJSON *t = template_sans_hash(tpl);
    cJSON *tlabels = child(t, "metadata.labels");
    if (!tlabels) {
        cJSON *tmd = child(t, "metadata");
        if (!tmd) tmd = cJSON_AddObjectToObject(t, "metadata");
        tlabels = cJSON_AddObjectToObject(tmd, "labels");
    }
    cJSON_AddStringToObject(tlabels, HASH_LABEL, hash);
    cJSON_AddItemToObject(md, "labels", cJSON_Duplicate(tlabels, 1));
    cJSON *ann = cJSON_AddObjectToObject(md, "annotations");
    snprintf(num, sizeof num, "%lld", (long long)(max_old_revision(x) + 1));
    cJSON_AddStringToObject(ann, REV_ANN, num);
    snprintf(num, sizeof num, "%lld", (long long)x->replicas);
    cJSON_AddStringToObject(ann, DESIRED_ANN, num);
    snprintf(num, sizeof num, "%lld", (long long)(x->replicas + x->surge));
    cJSON_AddStringToObject(ann, MAX_ANN, num);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(md, "ownerReferences"), skiff_owner_ref(x->d, "apps/v1", "Deployment"));
    cJSON *spec = cJSON_AddObjectToObject(rs, "spec");
    cJSON_AddNumberToObject(spec, "replicas", (double)replicas);
    cJSON_AddNumberToObject(spec, "minReadySeconds", (double)skiff_obj_int(x->d, "spec.minReadySeconds", 0));
    cJSON *sel = cJSON_Duplicate(child(x->d, "spec.selector"), 1);
    if (!sel) sel = cJSON_CreateObject();
    cJSON *ml = cJSON_GetObjectItemCaseSensitive(sel, "matchLabels");
    if (!ml) ml = cJSON_AddObjectToObject(sel, "matchLabels");
    cJSON_AddStringToObject(ml, HASH_LABEL, hash);
    cJSON_AddItemToObject(spec, "selector", sel);
    cJSON_AddItemToObject(spec, "template", t);
    char *body = cJSON_PrintUnformatted(rs), path[512];
    rs_path(x, NULL, path, sizeof path);
    skiff_api_result_t res = { 0 };
    int rc = body ? skiff_api_client_create(skiff_ctrl_client(x->c), path, body, &res, err) : SKIFF_E_NOSPACE;
    free(body);
    if (rc == 0) {
        cJSON *made = cJSON_ParseWithLength(res.body, res.len);
        if (made) {
            cJSON_AddItemToArray(x->rss, made);
            x->new_rs = made;
        }
        x->created = 1;
        x->acted = 1;
        if (replicas > 0)
            skiff_ctrl_event(x->c, x->d, "Normal", "ScalingReplicaSet", "Scaled up replica set %s to %lld", name, (long long)replicas);
    } else if (rc == SKIFF_E_EXISTS) {
        /* ours, not in the cache yet, or a hash collision: look again later */
        rc = skiff_error_set(err, SKIFF_E_CONFLICT, "replica set %s exists but is not the current template's yet", name);
    }
    skiff_api_result_free(&res);
    cJSON_Delete(rs);
    return rc;
}

/* Available replicas of rs that will stay: a ReplicaSet above its spec
 * (scaled down, its pods not deleted yet, or its status older than the
 * scale-down) keeps at most spec of them. Counting the status alone let a
 * stale status scale old ReplicaSets down twice for the same new pods and
 * availability fell below replicas - maxUnavailable. */
static int64_t rs_available(const cJSON *rs)
{
    int64_t a = skiff_obj_int(rs, "status.availableReplicas", 0), spec = rs_replicas(rs);
    return a < spec ? a : spec;
}

/* Pods rs has or will have: its spec, or more while a scale-down is not done. */
static int64_t rs_pods(const cJSON *rs)
{
    int64_t n = skiff_obj_int(rs, "status.replicas", 0), spec = rs_replicas(rs);
    return n > spec ? n : spec;
}

static int rolling(dep_t *x, skiff_error_t *err)
{
    int64_t new_spec = x->new_rs ? rs_replicas(x->new_rs) : 0;
    int64_t all = total_spec(x), pods = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, x->rss) pods += rs_pods(it);
    /* scale the new ReplicaSet up within maxSurge (or down to replicas).
     * The surge counts pods not yet deleted by a scaled-down ReplicaSet as
     * well (kube counts specs only): with thousands of replicas the old
     * ReplicaSet deletes 500 per round and the pods really running would
     * exceed replicas + maxSurge by thousands meanwhile. */
    int64_t target = new_spec;
    if (new_spec > x->replicas) target = x->replicas;
    else if (new_spec < x->replicas) {
        int64_t room = x->replicas + x->surge - (pods > all ? pods : all);
        target = new_spec + (room > 0 ? room : 0);
        if (target > x->replicas) target = x->replicas;
    }
    if (!x->new_rs) return create_new_rs(x, target, err);
    if (target != new_spec) return scale_rs(x, x->new_rs, target, err);
    /* scale old ReplicaSets down while keeping replicas - maxUnavailable available */
    int64_t old = 0;
    cJSON *rs;
    cJSON_ArrayForEach(rs, x->rss) if (rs != x->new_rs) old += rs_replicas(rs);
    if (old == 0) return 0;
    int64_t min_avail = x->replicas - x->unavail;
    int64_t new_unavail = new_spec - rs_available(x->new_rs);
    int64_t max_down = all - min_avail - (new_unavail > 0 ? new_unavail : 0);
    if (max_down <= 0) return 0;
    /* unhealthy old replicas first: they count for nothing */
    int64_t done = 0;
    cJSON_ArrayForEach(rs, x->rss) {
        if (rs == x->new_rs || done >= max_down) continue;
        int64_t spec = rs_replicas(rs), unhealthy = spec - rs_available(rs);
        if (unhealthy <= 0) continue;
        int64_t by = unhealthy < max_down - done ? unhealthy : max_down - done;
        int rc = scale_rs(x, rs, spec - by, err);
        if (rc < 0) return rc;
        done += by;
    }
    if (done) return 0;
    int64_t avail = 0;
    cJSON_ArrayForEach(rs, x->rss) avail += rs_available(rs);
    if (avail <= min_avail) return 0;
    int64_t down = avail - min_avail;
    /* oldest revisions first */
    for (int pass = 0; pass < 2 && down > 0; pass++) {
        cJSON *oldest = NULL;
        cJSON_ArrayForEach(rs, x->rss)
            if (rs != x->new_rs && rs_replicas(rs) > 0 && (!oldest || rs_revision(rs) < rs_revision(oldest))) oldest = rs;
        if (!oldest) break;
        int64_t spec = rs_replicas(oldest), by = spec < down ? spec : down;
        int rc = scale_rs(x, oldest, spec - by, err);
        if (rc < 0) return rc;
        down -= by;
    }
    return 0;
}

/* ---- scaling (kube's DeploymentController.scale) ---- */

static int rs_active(const cJSON *rs) { return rs_replicas(rs) > 0; }

static int64_t ann_int(const cJSON *rs, const char *key, int *ok)
{
    const char *v = annotation(rs, key);
    char *end = NULL;
    long long n = v ? strtoll(v, &end, 10) : 0;
    *ok = v && *v && end && !*end;
    return *ok ? n : 0;
}

/* A scaling event: an active ReplicaSet was sized for another replica
 * count (its desired-replicas annotation) than the Deployment's now. */
static int scaling_event(const dep_t *x)
{
    if (!x->new_rs) return 0;
    const cJSON *rs;
    cJSON_ArrayForEach(rs, x->rss) {
        int ok;
        if (!rs_active(rs)) continue;
        int64_t desired = ann_int(rs, DESIRED_ANN, &ok);
        if (ok && desired != x->replicas) return 1;
    }
    return 0;
}

/* Patch size and the replica annotations when either differs. */
static int scale_if_needed(dep_t *x, cJSON *rs, int64_t to, skiff_error_t *err)
{
    int ok1, ok2;
    int64_t desired = ann_int(rs, DESIRED_ANN, &ok1), max = ann_int(rs, MAX_ANN, &ok2);
    if (rs_replicas(rs) == to && ok1 && ok2 && desired == x->replicas && max == x->replicas + x->surge) return 0;
    return scale_rs(x, rs, to, err);
}

/* The replicas rs gets of `add` (kube's GetProportion): its share by the
 * max-replicas it was sized for, never beyond what is left to add. */
static int64_t proportion(const dep_t *x, const cJSON *rs, int64_t add, int64_t added)
{
    int64_t spec = rs_replicas(rs);
    if (spec == 0 || add == 0 || add == added) return 0;
    int64_t fraction;
    if (x->replicas == 0) fraction = -spec;
    else {
        int ok;
        int64_t before = ann_int(rs, MAX_ANN, &ok);
        if (!ok || before == 0) before = skiff_obj_int(x->d, "status.replicas", 0);
        if (before == 0) fraction = spec;
        else {
            double size = (double)spec * (double)(x->replicas + x->surge) / (double)before;
            fraction = (int64_t)(size < 0 ? size - 0.5 : size + 0.5) - spec;
        }
    }
    int64_t allowed = add - added;
    if (add > 0) return fraction < allowed ? fraction : allowed;
    return fraction > allowed ? fraction : allowed;
}

static const char *created(const cJSON *rs)
{
    const char *t = skiff_obj_str(rs, "metadata.creationTimestamp");
    return t ? t : "";
}

/* Larger first; among equals newer first when scaling up, older first down. */
static int scale_order(const cJSON *a, const cJSON *b, int up)
{
    int64_t sa = rs_replicas(a), sb = rs_replicas(b);
    if (sa != sb) return sa > sb ? -1 : 1;
    int c = strcmp(created(a), created(b));
    if (c == 0) c = strcmp(skiff_obj_str(a, "metadata.name"), skiff_obj_str(b, "metadata.name"));
    return up ? -c : c;
}

/* Kubernetes' scale(): the Deployment's replica count changed (or it is
 * paused). One active (or, with none, the newest) ReplicaSet gets it all; a
 * saturated new ReplicaSet means the old ones go to 0; otherwise, in a
 * rolling update, the difference to replicas + maxSurge is shared among the
 * active ReplicaSets in proportion to their size (the
 * deployment.kubernetes.io/max-replicas annotation says what each was sized
 * for), leftovers to the largest. */
static int scale_deployment(dep_t *x, int recreate_strategy, skiff_error_t *err)
{
    cJSON *rs, *only = NULL, *newest_old = NULL;
    int nactive = 0;
    cJSON_ArrayForEach(rs, x->rss) {
        if (skiff_obj_str(rs, "metadata.deletionTimestamp")) continue;
        if (rs_active(rs)) { nactive++; only = rs; }
        if (rs != x->new_rs && (!newest_old || strcmp(created(rs), created(newest_old)) > 0)) newest_old = rs;
    }
    if (nactive <= 1) {
        cJSON *target = nactive == 1 ? only : x->new_rs ? x->new_rs : newest_old;
        /* also when only its annotations are out of date: else every sync
         * would take it for a scaling event again */
        return target ? scale_if_needed(x, target, x->replicas, err) : 0;
    }
    int ok;
    if (x->new_rs && rs_replicas(x->new_rs) == x->replicas && ann_int(x->new_rs, DESIRED_ANN, &ok) == x->replicas && ok &&
        skiff_obj_int(x->new_rs, "status.availableReplicas", 0) == x->replicas) {
        cJSON_ArrayForEach(rs, x->rss) {
            if (rs == x->new_rs || !rs_active(rs)) continue;
            int rc = scale_if_needed(x, rs, 0, err);
            if (rc < 0) return rc;
        }
        return 0;
    }
    if (recreate_strategy) return 0;
    cJSON **v = malloc((size_t)nactive * sizeof *v);
    int64_t *to = malloc((size_t)nactive * sizeof *to);
    if (!v || !to) { free(v); free(to); return skiff_error_set(err, SKIFF_E_NOSPACE, "deployment: out of memory"); }
    int n = 0;
    int64_t total = 0;
    cJSON_ArrayForEach(rs, x->rss)
        if (rs_active(rs) && !skiff_obj_str(rs, "metadata.deletionTimestamp")) { v[n++] = rs; total += rs_replicas(rs); }
    int64_t allowed = x->replicas > 0 ? x->replicas + x->surge : 0, add = allowed - total, added = 0;
    /* insertion sort: a handful of ReplicaSets */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && scale_order(v[j], v[j - 1], add > 0) < 0; j--) { cJSON *t = v[j]; v[j] = v[j - 1]; v[j - 1] = t; }
    for (int i = 0; i < n; i++) {
        int64_t p = proportion(x, v[i], add, added);
        to[i] = rs_replicas(v[i]) + p;
        added += p;
    }
    if (n > 0 && add != 0) {
        to[0] += add - added;
        if (to[0] < 0) to[0] = 0;
    }
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) rc = scale_if_needed(x, v[i], to[i], err);
    free(v);
    free(to);
    return rc;
}

static int recreate(dep_t *x, skiff_error_t *err)
{
    cJSON *rs;
    int scaled = 0;
    cJSON_ArrayForEach(rs, x->rss) {
        if (rs == x->new_rs || rs_replicas(rs) == 0) continue;
        int rc = scale_rs(x, rs, 0, err);
        if (rc < 0) return rc;
        scaled = 1;
    }
    if (scaled) return 0;
    /* wait until every old pod is gone */
    if (sum_status(x, "replicas", 1) > 0) return 0;
    if (!x->new_rs) return create_new_rs(x, x->replicas, err);
    if (rs_replicas(x->new_rs) != x->replicas) return scale_rs(x, x->new_rs, x->replicas, err);
    return 0;
}

/* revisionHistoryLimit: delete the oldest fully scaled-down old ReplicaSets. */
static void cleanup(dep_t *x)
{
    int64_t limit = skiff_obj_int(x->d, "spec.revisionHistoryLimit", 10), n = 0;
    cJSON *rs;
    cJSON_ArrayForEach(rs, x->rss)
        if (rs != x->new_rs && rs_replicas(rs) == 0 && skiff_obj_int(rs, "status.replicas", 0) == 0 &&
            !skiff_obj_str(rs, "metadata.deletionTimestamp")) n++;
    while (n > limit) {
        cJSON *oldest = NULL;
        cJSON_ArrayForEach(rs, x->rss)
            if (rs != x->new_rs && rs_replicas(rs) == 0 && skiff_obj_int(rs, "status.replicas", 0) == 0 &&
                !skiff_obj_str(rs, "metadata.deletionTimestamp") && (!oldest || rs_revision(rs) < rs_revision(oldest)))
                oldest = rs;
        if (!oldest) break;
        char path[512];
        rs_path(x, skiff_obj_str(oldest, "metadata.name"), path, sizeof path);
        skiff_error_t err;
        skiff_error_clear(&err);
        skiff_api_client_delete(skiff_ctrl_client(x->c), path, NULL, &err);
        cJSON_AddStringToObject(child(oldest, "metadata"), "deletionTimestamp", "now");
        n--;
    }
}

/* One condition, keeping its times when nothing about it changed. */
static void set_cond(cJSON *conds, const cJSON *old, const char *type, const char *status, const char *reason,
                     const char *msg, int progressed)
{
    char now[40];
    skiff_now_rfc3339(now, sizeof now);
    const cJSON *o = NULL, *it;
    cJSON_ArrayForEach(it, old) {
        const char *t = skiff_obj_str(it, "type");
        if (t && !strcmp(t, type)) o = it;
    }
    const char *ost = o ? skiff_obj_str(o, "status") : NULL, *ore = o ? skiff_obj_str(o, "reason") : NULL;
    const char *omsg = o ? skiff_obj_str(o, "message") : NULL;
    int same_status = ost && !strcmp(ost, status);
    int same = same_status && ore && !strcmp(ore, reason) && omsg && !strcmp(omsg, msg);
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "type", type);
    cJSON_AddStringToObject(c, "status", status);
    const char *lu = same && !progressed ? skiff_obj_str(o, "lastUpdateTime") : NULL;
    const char *lt = same_status ? skiff_obj_str(o, "lastTransitionTime") : NULL;
    cJSON_AddStringToObject(c, "lastUpdateTime", lu ? lu : now);
    cJSON_AddStringToObject(c, "lastTransitionTime", lt ? lt : now);
    cJSON_AddStringToObject(c, "reason", reason);
    cJSON_AddStringToObject(c, "message", msg);
    cJSON_AddItemToArray(conds, c);
}

static int write_status(dep_t *x, int paused, skiff_error_t *err)
{
    const cJSON *ost = child(x->d, "status");
    const cJSON *oconds = child(x->d, "status.conditions");
    int64_t gen = skiff_obj_int(x->d, "metadata.generation", 0);
    int64_t replicas = sum_status(x, "replicas", 0), ready = sum_status(x, "readyReplicas", 0);
    int64_t avail = sum_status(x, "availableReplicas", 0);
    int64_t updated = x->new_rs ? skiff_obj_int(x->new_rs, "status.replicas", 0) : 0;
    int64_t unavailable = total_spec(x) - avail;
    if (unavailable < 0) unavailable = 0;
    cJSON *st = cJSON_CreateObject();
    cJSON_AddNumberToObject(st, "observedGeneration", (double)gen);
    cJSON_AddNumberToObject(st, "replicas", (double)replicas);
    cJSON_AddNumberToObject(st, "updatedReplicas", (double)updated);
    cJSON_AddNumberToObject(st, "readyReplicas", (double)ready);
    cJSON_AddNumberToObject(st, "availableReplicas", (double)avail);
    cJSON_AddNumberToObject(st, "unavailableReplicas", (double)unavailable);
    cJSON *conds = cJSON_AddArrayToObject(st, "conditions");
    if (avail >= x->replicas - x->unavail)
        set_cond(conds, oconds, "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", 0);
    else
        set_cond(conds, oconds, "Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.", 0);
    char msg[400];
    const char *rsname = x->new_rs ? skiff_obj_str(x->new_rs, "metadata.name") : "";
    int complete = updated == x->replicas && replicas == x->replicas && avail == x->replicas;
    int progressed = updated > skiff_obj_int(ost, "updatedReplicas", 0) || ready > skiff_obj_int(ost, "readyReplicas", 0) ||
                     avail > skiff_obj_int(ost, "availableReplicas", 0) || replicas < skiff_obj_int(ost, "replicas", 0) ||
                     x->acted;
    int64_t deadline = skiff_obj_int(x->d, "spec.progressDeadlineSeconds", 600);
    const char *old_reason = NULL, *old_update = NULL;
    const cJSON *it;
    cJSON_ArrayForEach(it, oconds) {
        const char *t = skiff_obj_str(it, "type");
        if (t && !strcmp(t, "Progressing")) { old_reason = skiff_obj_str(it, "reason"); old_update = skiff_obj_str(it, "lastUpdateTime"); }
    }
    if (paused) {
        set_cond(conds, oconds, "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused", 0);
    } else if (old_reason && !strcmp(old_reason, "DeploymentPaused")) {
        set_cond(conds, oconds, "Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed", 0);
    } else if (complete) {
        snprintf(msg, sizeof msg, "ReplicaSet \"%s\" has successfully progressed.", rsname);
        set_cond(conds, oconds, "Progressing", "True", "NewReplicaSetAvailable", msg, 0);
    } else if (x->created) {
        snprintf(msg, sizeof msg, "Created new replica set \"%s\"", rsname);
        set_cond(conds, oconds, "Progressing", "True", "NewReplicaSetCreated", msg, 0);
    } else {
        struct tm tm = { 0 };
        time_t last = old_update && strptime(old_update, "%Y-%m-%dT%H:%M:%SZ", &tm) ? timegm(&tm) : time(NULL);
        if (!progressed && old_reason && strcmp(old_reason, "ProgressDeadlineExceeded") && time(NULL) - last > deadline) {
            snprintf(msg, sizeof msg, "ReplicaSet \"%s\" has timed out progressing.", rsname);
            set_cond(conds, oconds, "Progressing", "False", "ProgressDeadlineExceeded", msg, 0);
            skiff_ctrl_event(x->c, x->d, "Warning", "ProgressDeadlineExceeded", "%s", msg);
        } else if (old_reason && !strcmp(old_reason, "ProgressDeadlineExceeded") && !progressed) {
            set_cond(conds, oconds, "Progressing", "False", "ProgressDeadlineExceeded", "", 0);
            cJSON *last_c = cJSON_GetArrayItem(conds, cJSON_GetArraySize(conds) - 1);
            cJSON_ArrayForEach(it, oconds) {
                const char *t = skiff_obj_str(it, "type");
                if (t && !strcmp(t, "Progressing")) cJSON_ReplaceItemInArray(conds, cJSON_GetArraySize(conds) - 1, cJSON_Duplicate(it, 1));
            }
            (void)last_c;
        } else {
            snprintf(msg, sizeof msg, "ReplicaSet \"%s\" is progressing.", rsname);
            set_cond(conds, oconds, "Progressing", "True", "ReplicaSetUpdated", msg, progressed);
            char key[512];
            snprintf(key, sizeof key, "%s/%s", x->ns, x->name);
            skiff_ctrl_enqueue_after(x->c, key, (deadline + 1) * 1000);
        }
    }
    int rc = 0;
    if (!ost || !cJSON_Compare(st, ost, 1)) {
        cJSON *patch = cJSON_CreateObject();
        cJSON_AddItemToObject(patch, "status", st);
        st = NULL;
        char *body = cJSON_PrintUnformatted(patch), path[512];
        cJSON_Delete(patch);
        snprintf(path, sizeof path, "/apis/apps/v1/namespaces/%s/deployments/%s/status", x->ns, x->name);
        rc = body ? skiff_api_client_patch(skiff_ctrl_client(x->c), path, "application/merge-patch+json", body, NULL, err) : SKIFF_E_NOSPACE;
        free(body);
        if (rc == SKIFF_E_NOTFOUND) rc = 0;
    }
    cJSON_Delete(st);
    return rc;
}

/* The Deployment carries its current revision (kubectl rollout history/undo read it). */
static int set_revision(dep_t *x, skiff_error_t *err)
{
    char num[24], path[512], body[256];
    snprintf(num, sizeof num, "%lld", (long long)rs_revision(x->new_rs));
    const char *cur = annotation(x->d, REV_ANN);
    if (cur && !strcmp(cur, num)) return 0;
    snprintf(body, sizeof body, "{\"metadata\":{\"annotations\":{\"" REV_ANN "\":\"%s\"}}}", num);
    snprintf(path, sizeof path, "/apis/apps/v1/namespaces/%s/deployments/%s", x->ns, x->name);
    int rc = skiff_api_client_patch(skiff_ctrl_client(x->c), path, "application/merge-patch+json", body, NULL, err);
    return rc == SKIFF_E_NOTFOUND ? 0 : rc;
}

static int dep_sync(skiff_ctrl_t *c, const char *key, skiff_error_t *err)
{
    dep_t x = { .c = c };
    x.d = skiff_informer_get(skiff_ctrl_informer(c, "deployments"), key);
    if (!x.d) return 0;
    if (skiff_obj_str(x.d, "metadata.deletionTimestamp")) { cJSON_Delete(x.d); return 0; }
    x.ns = skiff_obj_str(x.d, "metadata.namespace");
    x.name = skiff_obj_str(x.d, "metadata.name");
    x.replicas = skiff_obj_int(x.d, "spec.replicas", 1);
    if (x.replicas > INT32_MAX) x.replicas = INT32_MAX; /* an int32 in Kubernetes */
    const char *strategy = skiff_obj_str(x.d, "spec.strategy.type");
    int recreate_strategy = strategy && !strcmp(strategy, "Recreate");
    if (!recreate_strategy) {
        x.surge = intstr(child(x.d, "spec.strategy.rollingUpdate.maxSurge"), x.replicas, 1, 25);
        x.unavail = intstr(child(x.d, "spec.strategy.rollingUpdate.maxUnavailable"), x.replicas, 0, 25);
        if (x.surge == 0 && x.unavail == 0) x.unavail = 1;
        if (x.unavail > x.replicas) x.unavail = x.replicas;
    }
    int rc = collect(&x, err);
    if (rc == 0) {
        cJSON *want = template_sans_hash(child(x.d, "spec.template")), *rs;
        cJSON_ArrayForEach(rs, x.rss) {
            cJSON *have = template_sans_hash(child(rs, "spec.template"));
            int eq = have && want && cJSON_Compare(have, want, 1);
            cJSON_Delete(have);
            if (eq && !skiff_obj_str(rs, "metadata.deletionTimestamp") && (!x.new_rs || rs_revision(rs) > rs_revision(x.new_rs))) x.new_rs = rs;
        }
        cJSON_Delete(want);
        /* an old template again (rollout undo): it becomes the newest revision */
        int64_t maxold = max_old_revision(&x);
        if (x.new_rs && rs_revision(x.new_rs) <= maxold) {
            char body[256], path[512];
            snprintf(body, sizeof body, "{\"metadata\":{\"annotations\":{\"" REV_ANN "\":\"%lld\"}}}", (long long)(maxold + 1));
            rs_path(&x, skiff_obj_str(x.new_rs, "metadata.name"), path, sizeof path);
            rc = skiff_api_client_patch(skiff_ctrl_client(c), path, "application/merge-patch+json", body, NULL, err);
            if (rc == 0) {
                cJSON *ann = child(x.new_rs, "metadata.annotations");
                char num[24];
                snprintf(num, sizeof num, "%lld", (long long)(maxold + 1));
                if (ann) { cJSON_DeleteItemFromObject(ann, REV_ANN); cJSON_AddStringToObject(ann, REV_ANN, num); }
            }
        }
    }
    int paused = cJSON_IsTrue(child(x.d, "spec.paused"));
    if (rc == 0 && (paused || scaling_event(&x))) {
        /* paused: scale only, no new revision; a new replica count in the
         * middle of a rollout: spread over the ReplicaSets first */
        rc = scale_deployment(&x, recreate_strategy, err);
    } else if (rc == 0) {
        rc = recreate_strategy ? recreate(&x, err) : rolling(&x, err);
    }
    if (rc == 0 && x.new_rs) rc = set_revision(&x, err);
    if (rc == 0 && !paused && !x.acted && x.new_rs && rs_replicas(x.new_rs) == x.replicas &&
        skiff_obj_int(x.new_rs, "status.availableReplicas", 0) == x.replicas && total_spec(&x) == x.replicas)
        cleanup(&x);
    if (rc == 0) rc = write_status(&x, paused, err);
    cJSON_Delete(x.rss);
    cJSON_Delete(x.d);
    return rc;
}

const skiff_controller_t skiff_controller_deployment = {
    .name = "deployment",
    .watches = dep_watches,
    .on_event = dep_on_event,
    .sync = dep_sync,
};
