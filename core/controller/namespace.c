/* core/controller/namespace — the namespace controller, as kube's
 * (pkg/controller/namespace): a namespace being deleted (deletionTimestamp,
 * phase Terminating, the "kubernetes" finalizer in spec.finalizers) is
 * emptied — every namespaced resource the API server's discovery lists is
 * deleted (deletecollection, Background propagation, so each object's
 * finalizers and graceful deletion apply) — its status conditions say what
 * is left, and once nothing is, the finalizer is removed through
 * namespaces/{name}/finalize; the API server then deletes the namespace.
 *
 * Discovery rather than a table compiled in: the controllers may run in
 * another process than the API server (leader election over HTTP), and a
 * resource kind added to the server must be emptied too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/controller.h"
#include "log/log.h"

#define NS_FINALIZER "kubernetes"
/* kube's finalizerEstimateSeconds: how long objects with finalizers are
 * given before the next look */
#define FINALIZER_ESTIMATE_S 15

static const char *const ns_watches[] = { "namespaces", "pods", NULL };

static int terminating(const cJSON *ns)
{
    return ns && skiff_obj_str(ns, "metadata.deletionTimestamp") != NULL;
}

static void ns_on_event(skiff_ctrl_t *c, const char *resource, skiff_ev_t ev, const cJSON *obj, const cJSON *old)
{
    (void)old;
    if (!strcmp(resource, "namespaces")) {
        if (ev != SKIFF_EV_DELETE && terminating(obj)) skiff_ctrl_enqueue(c, skiff_obj_str(obj, "metadata.name"));
        return;
    }
    /* a pod of a terminating namespace finished its graceful deletion: look
     * again now rather than after kube's estimate (grace/2 + 1 s) */
    if (ev != SKIFF_EV_DELETE) return;
    const char *ns = skiff_obj_str(obj, "metadata.namespace");
    if (!ns) return;
    cJSON *n = skiff_informer_get(skiff_ctrl_informer(c, "namespaces"), ns);
    if (terminating(n)) skiff_ctrl_enqueue(c, ns);
    cJSON_Delete(n);
}

/* ---- discovery ---------------------------------------------------------- */

typedef struct gvr {
    char prefix[160];   /* "/api/v1", "/apis/apps/v1" */
    char group[96];
    char name[96];      /* plural */
    int deletecollection;
} gvr_t;

typedef struct gvrs { gvr_t *v; size_t n, cap; } gvrs_t;

static int has_verb(const cJSON *verbs, const char *v)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, verbs) if (cJSON_IsString(x) && !strcmp(x->valuestring, v)) return 1;
    return 0;
}

static cJSON *get_json(skiff_ctrl_t *c, const char *path, skiff_error_t *err)
{
    skiff_api_result_t res = { 0 };
    int rc = skiff_api_client_get(skiff_ctrl_client(c), path, &res, err);
    cJSON *o = rc == 0 ? cJSON_ParseWithLength(res.body, res.len) : NULL;
    if (rc == 0 && !o) skiff_error_set(err, SKIFF_E_INVALID, "%s: the answer is not JSON", path);
    skiff_api_result_free(&res);
    return o;
}

/* The namespaced resources of one group version that can be listed and deleted. */
static int discover_gv(skiff_ctrl_t *c, const char *prefix, const char *group, gvrs_t *out, skiff_error_t *err)
{
    cJSON *l = get_json(c, prefix, err);
    if (!l) return err->code ? err->code : SKIFF_E_INTERNAL;
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(l, "resources")) {
        const char *name = skiff_obj_str(r, "name");
        const cJSON *verbs = cJSON_GetObjectItemCaseSensitive(r, "verbs");
        if (!name || strchr(name, '/') || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "namespaced"))) continue;
        if (!has_verb(verbs, "list") || !has_verb(verbs, "delete")) continue;
        if (out->n == out->cap) {
            size_t nc = out->cap ? out->cap * 2 : 32;
            gvr_t *p = realloc(out->v, nc * sizeof *p);
            if (!p) { cJSON_Delete(l); return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory"); }
            out->v = p;
            out->cap = nc;
        }
        gvr_t *g = &out->v[out->n++];
        snprintf(g->prefix, sizeof g->prefix, "%s", prefix);
        snprintf(g->group, sizeof g->group, "%s", group);
        snprintf(g->name, sizeof g->name, "%s", name);
        g->deletecollection = has_verb(verbs, "deletecollection");
    }
    cJSON_Delete(l);
    return 0;
}

/* Every namespaced resource (preferred version of each group). Groups that
 * fail are named in failed (kube's ErrGroupDiscoveryFailed); the rest are
 * still returned. */
static void discover(skiff_ctrl_t *c, gvrs_t *out, char *failed, size_t nfailed, int *nfail)
{
    skiff_error_t err;
    skiff_error_clear(&err);
    *nfail = 0;
    failed[0] = 0;
    if (discover_gv(c, "/api/v1", "", out, &err) < 0) {
        (*nfail)++;
        snprintf(failed + strlen(failed), nfailed - strlen(failed), "%sv1: %s", *failed ? ", " : "", err.msg);
    }
    skiff_error_clear(&err);
    cJSON *groups = get_json(c, "/apis", &err);
    if (!groups) {
        (*nfail)++;
        snprintf(failed + strlen(failed), nfailed - strlen(failed), "%s/apis: %s", *failed ? ", " : "", err.msg);
        return;
    }
    const cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(groups, "groups")) {
        const char *name = skiff_obj_str(g, "name"), *gv = skiff_obj_str(g, "preferredVersion.groupVersion");
        if (!name || !gv) continue;
        char prefix[160];
        snprintf(prefix, sizeof prefix, "/apis/%s", gv);
        skiff_error_clear(&err);
        if (discover_gv(c, prefix, name, out, &err) < 0) {
            (*nfail)++;
            snprintf(failed + strlen(failed), nfailed - strlen(failed), "%s%s: %s", *failed ? ", " : "", gv, err.msg);
        }
    }
    cJSON_Delete(groups);
}

/* ---- deleting the content ----------------------------------------------- */

/* One line per finalizer: "example.com/x" -> count. */
typedef struct tally { char name[256]; int64_t n; } tally_t;
typedef struct tallies { tally_t v[64]; size_t n; } tallies_t;

static void tally_add(tallies_t *t, const char *name, int64_t by)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->v[i].name, name)) { t->v[i].n += by; return; }
    if (t->n == sizeof t->v / sizeof t->v[0]) return;
    snprintf(t->v[t->n].name, sizeof t->v[t->n].name, "%s", name);
    t->v[t->n++].n = by;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Joins the strings sorted, as kube sorts its condition messages. */
static void join_sorted(char **v, size_t n, char *out, size_t len)
{
    qsort(v, n, sizeof *v, cmp_str);
    out[0] = 0;
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? ", " : "", v[i]);
}

typedef struct content {
    tallies_t remaining;   /* "pods." -> instances left */
    tallies_t finalizers;  /* finalizer -> instances left */
    char *errs[64];        /* delete failures, one per resource */
    size_t nerrs;
    int64_t estimate;      /* seconds */
    int unexpected;        /* items left with neither finalizers nor grace */
} content_t;

static void add_err(content_t *ct, const char *where, const char *why)
{
    if (ct->nerrs == sizeof ct->errs / sizeof ct->errs[0]) return;
    char buf[1600];
    snprintf(buf, sizeof buf, "%s: %s", where, why);
    ct->errs[ct->nerrs] = strdup(buf);
    if (ct->errs[ct->nerrs]) ct->nerrs++;
}

static void delete_resource(skiff_ctrl_t *c, const char *ns, const gvr_t *g, content_t *ct)
{
    char path[600];
    snprintf(path, sizeof path, "%s/namespaces/%s/%s", g->prefix, ns, g->name);
    static const char opts[] = "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"propagationPolicy\":\"Background\"}";
    skiff_api_client_t *cl = skiff_ctrl_client(c);
    skiff_error_t err;
    skiff_error_clear(&err);
    int rc = 0;
    if (g->deletecollection)
        rc = skiff_api_client_do(cl, "DELETE", path, NULL, "application/json", opts, sizeof opts - 1, NULL, &err);
    skiff_api_result_t res = { 0 };
    if (rc == 0 || rc == SKIFF_E_NOTFOUND) {
        skiff_error_clear(&err);
        rc = skiff_api_client_list(cl, path, NULL, NULL, &res, &err);
    }
    if (rc == SKIFF_E_NOTFOUND) { skiff_api_result_free(&res); return; } /* the resource went away */
    if (rc < 0) {
        add_err(ct, path, err.msg);
        skiff_api_result_free(&res);
        return;
    }
    cJSON *list = cJSON_ParseWithLength(res.body, res.len);
    skiff_api_result_free(&res);
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(list, "items"), *it;
    int64_t left = 0, with_fin = 0;
    int is_pods = !*g->group && !strcmp(g->name, "pods");
    cJSON_ArrayForEach(it, items) {
        const char *name = skiff_obj_str(it, "metadata.name");
        if (!g->deletecollection && name && !skiff_obj_str(it, "metadata.deletionTimestamp")) {
            char one[900];
            snprintf(one, sizeof one, "%s/%s", path, name);
            skiff_error_clear(&err);
            int r = skiff_api_client_do(cl, "DELETE", one, NULL, "application/json", opts, sizeof opts - 1, NULL, &err);
            if (r < 0 && r != SKIFF_E_NOTFOUND) add_err(ct, one, err.msg);
        }
        left++;
        const cJSON *f, *fins = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(it, "metadata"), "finalizers");
        if (cJSON_GetArraySize(fins) > 0) with_fin++;
        cJSON_ArrayForEach(f, fins) if (cJSON_IsString(f)) tally_add(&ct->finalizers, f->valuestring, 1);
        if (is_pods) {
            const char *phase = skiff_obj_str(it, "status.phase");
            if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))) continue;
            int64_t grace = skiff_obj_int(it, "spec.terminationGracePeriodSeconds", 30);
            if (grace > ct->estimate) ct->estimate = grace;
        }
    }
    cJSON_Delete(list);
    if (left == 0) return;
    char key[256];
    snprintf(key, sizeof key, "%s.%s", g->name, g->group);
    tally_add(&ct->remaining, key, left);
    if (with_fin > 0 && ct->estimate < FINALIZER_ESTIMATE_S) ct->estimate = FINALIZER_ESTIMATE_S;
    if (!is_pods && with_fin < left) ct->unexpected = 1;
}

/* ---- conditions --------------------------------------------------------- */

typedef struct cond { const char *type, *status, *reason; char msg[1024]; } cond_t;

static const struct { const char *type, *ok_reason, *ok_msg; } cond_types[] = {
    { "NamespaceDeletionDiscoveryFailure", "ResourcesDiscovered", "All resources successfully discovered" },
    { "NamespaceDeletionGroupVersionParsingFailure", "ParsedGroupVersions", "All legacy kube types successfully parsed" },
    { "NamespaceDeletionContentFailure", "ContentDeleted", "All content successfully deleted, may be waiting on finalization" },
    { "NamespaceContentRemaining", "ContentRemoved", "All content successfully removed" },
    { "NamespaceFinalizersRemaining", "ContentHasNoFinalizers", "All content-preserving finalizers finished" },
};
#define NCOND (sizeof cond_types / sizeof cond_types[0])

/* Write the conditions when one changed (status, reason or message; the
 * lastTransitionTime of an unchanged one is kept), as kube's updateConditions. */
static int write_conditions(skiff_ctrl_t *c, const cJSON *ns, const cond_t *want, skiff_error_t *err)
{
    const cJSON *old = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ns, "status"), "conditions");
    cJSON *conds = cJSON_Duplicate(old, 1), *x;
    if (!conds) conds = cJSON_CreateArray();
    if (!conds) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    int changed = 0;
    char now[40];
    skiff_now_rfc3339(now, sizeof now);
    for (size_t i = 0; i < NCOND; i++) {
        cJSON *have = NULL;
        cJSON_ArrayForEach(x, conds) {
            const char *t = skiff_obj_str(x, "type");
            if (t && !strcmp(t, want[i].type)) have = x;
        }
        if (have) {
            const char *s = skiff_obj_str(have, "status"), *r = skiff_obj_str(have, "reason"), *m = skiff_obj_str(have, "message");
            if (s && r && m && !strcmp(s, want[i].status) && !strcmp(r, want[i].reason) && !strcmp(m, want[i].msg)) continue;
            cJSON_Delete(cJSON_DetachItemViaPointer(conds, have));
        }
        cJSON *n = cJSON_CreateObject();
        if (!n) continue;
        cJSON_AddStringToObject(n, "type", want[i].type);
        cJSON_AddStringToObject(n, "status", want[i].status);
        cJSON_AddStringToObject(n, "lastTransitionTime", now);
        cJSON_AddStringToObject(n, "reason", want[i].reason);
        cJSON_AddStringToObject(n, "message", want[i].msg);
        cJSON_AddItemToArray(conds, n);
        changed = 1;
    }
    if (!changed) { cJSON_Delete(conds); return 0; }
    cJSON *patch = cJSON_CreateObject();
    cJSON_AddItemToObject(cJSON_AddObjectToObject(patch, "status"), "conditions", conds);
    char *body = cJSON_PrintUnformatted(patch), path[400];
    cJSON_Delete(patch);
    if (!body) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/status", skiff_obj_str(ns, "metadata.name"));
    int rc = skiff_api_client_patch(skiff_ctrl_client(c), path, "application/merge-patch+json", body, NULL, err);
    free(body);
    return rc == SKIFF_E_NOTFOUND ? 0 : rc;
}

static void fill_conditions(cond_t *cs, int nfail, const char *failed, const content_t *ct)
{
    for (size_t i = 0; i < NCOND; i++) {
        cs[i].type = cond_types[i].type;
        cs[i].status = "False";
        cs[i].reason = cond_types[i].ok_reason;
        snprintf(cs[i].msg, sizeof cs[i].msg, "%s", cond_types[i].ok_msg);
    }
    if (nfail) {
        cs[0].status = "True";
        cs[0].reason = "DiscoveryFailed";
        snprintf(cs[0].msg, sizeof cs[0].msg, "Discovery failed for some groups, %d failing: %.900s", nfail, failed);
    }
    char *v[64];
    char joined[900];
    if (ct->nerrs) {
        for (size_t i = 0; i < ct->nerrs; i++) v[i] = ct->errs[i];
        join_sorted(v, ct->nerrs, joined, sizeof joined);
        cs[2].status = "True";
        cs[2].reason = "ContentDeletionFailed";
        snprintf(cs[2].msg, sizeof cs[2].msg, "Failed to delete all resource types, %zu remaining: %s", ct->nerrs, joined);
    }
    char lines[64][300];
    size_t n = 0;
    for (size_t i = 0; i < ct->remaining.n; i++, n++) {
        snprintf(lines[n], sizeof lines[n], "%s has %lld resource instances", ct->remaining.v[i].name, (long long)ct->remaining.v[i].n);
        v[n] = lines[n];
    }
    if (n) {
        join_sorted(v, n, joined, sizeof joined);
        cs[3].status = "True";
        cs[3].reason = "SomeResourcesRemain";
        snprintf(cs[3].msg, sizeof cs[3].msg, "Some resources are remaining: %s", joined);
    }
    n = 0;
    for (size_t i = 0; i < ct->finalizers.n; i++, n++) {
        snprintf(lines[n], sizeof lines[n], "%s in %lld resource instances", ct->finalizers.v[i].name, (long long)ct->finalizers.v[i].n);
        v[n] = lines[n];
    }
    if (n) {
        join_sorted(v, n, joined, sizeof joined);
        cs[4].status = "True";
        cs[4].reason = "SomeFinalizersRemain";
        snprintf(cs[4].msg, sizeof cs[4].msg, "Some content in the namespace has finalizers remaining: %s", joined);
    }
}

/* ---- finalize ----------------------------------------------------------- */

static int finalize(skiff_ctrl_t *c, cJSON *ns, skiff_error_t *err)
{
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(ns, "spec");
    cJSON *fins = cJSON_GetObjectItemCaseSensitive(spec, "finalizers"), *keep = cJSON_CreateArray(), *f;
    if (!keep) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    cJSON_ArrayForEach(f, fins)
        if (cJSON_IsString(f) && strcmp(f->valuestring, NS_FINALIZER)) cJSON_AddItemToArray(keep, cJSON_CreateString(f->valuestring));
    cJSON_ReplaceItemInObjectCaseSensitive(spec, "finalizers", keep);
    /* our own status write moved the resourceVersion on; the list was read
     * fresh, so no precondition */
    cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(ns, "metadata"), "resourceVersion");
    char *body = cJSON_PrintUnformatted(ns), path[400];
    if (!body) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/finalize", skiff_obj_str(ns, "metadata.name"));
    int rc = skiff_api_client_update(skiff_ctrl_client(c), path, body, NULL, err);
    free(body);
    return rc == SKIFF_E_NOTFOUND ? 0 : rc;
}

static int ns_sync(skiff_ctrl_t *c, const char *key, skiff_error_t *err)
{
    char path[400];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s", key);
    /* read fresh: the cache may be behind, and finalizing a namespace from a
     * stale copy would carry its stale resourceVersion */
    skiff_error_t gerr;
    skiff_error_clear(&gerr);
    cJSON *ns = get_json(c, path, &gerr);
    if (!ns) return gerr.code == SKIFF_E_NOTFOUND ? 0 : skiff_error_set(err, gerr.code ? gerr.code : SKIFF_E_INTERNAL, "%s", gerr.msg);
    int mine = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ns, "spec"), "finalizers"))
        if (cJSON_IsString(f) && !strcmp(f->valuestring, NS_FINALIZER)) mine = 1;
    if (!terminating(ns) || !mine) { cJSON_Delete(ns); return 0; }

    gvrs_t gs = { 0 };
    char failed[1024];
    int nfail = 0;
    discover(c, &gs, failed, sizeof failed, &nfail);
    content_t *ct = calloc(1, sizeof *ct);
    if (!ct) { free(gs.v); cJSON_Delete(ns); return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory"); }
    for (size_t i = 0; i < gs.n; i++) delete_resource(c, key, &gs.v[i], ct);
    free(gs.v);
    cond_t *cs = calloc(NCOND, sizeof *cs);
    int rc = 0;
    if (cs) {
        fill_conditions(cs, nfail, failed, ct);
        skiff_error_t werr;
        skiff_error_clear(&werr);
        if (write_conditions(c, ns, cs, &werr) < 0)
            skiff_log(SKIFF_LOG_WARN, "controllers", "namespace %s: updating its conditions: %s", key, werr.msg);
        free(cs);
    }
    int left = ct->remaining.n > 0;
    if (nfail || ct->nerrs) {
        rc = skiff_error_set(err, SKIFF_E_CONFLICT, "namespace %s: %s%s", key, nfail ? "discovery failed: " : "",
                             nfail ? failed : ct->errs[0]);
    } else if (left && ct->unexpected && ct->estimate == 0) {
        rc = skiff_error_set(err, SKIFF_E_CONFLICT, "unexpected items still remain in namespace: %s", key);
    } else if (left) {
        /* kube waits estimate/2 + 1 seconds (a pod's deletion also wakes us) */
        skiff_ctrl_enqueue_after(c, key, (ct->estimate / 2 + 1) * 1000);
    } else {
        rc = finalize(c, ns, err);
    }
    for (size_t i = 0; i < ct->nerrs; i++) free(ct->errs[i]);
    free(ct);
    cJSON_Delete(ns);
    return rc;
}

const skiff_controller_t skiff_controller_namespace = {
    .name = "namespace",
    .watches = ns_watches,
    .on_event = ns_on_event,
    .sync = ns_sync,
};
