/* core/controller/gc — the garbage collector: cascading deletion by owner
 * references, as kube-controller-manager's.
 *
 * Keys are "<resource>|<namespace>/<name>". An object is synced in both
 * roles it may have:
 *  - as a dependent: when every owner it names is gone (absent, or present
 *    with another uid — checked against the API, not only the cache), it is
 *    deleted in the background; owners that are gone while others remain
 *    are dropped from its ownerReferences. An owner being deleted in the
 *    foreground (finalizer foregroundDeletion) gets its dependents deleted.
 *  - as an owner being deleted: finalizer "orphan" — its references are
 *    removed from every dependent, then the finalizer; finalizer
 *    "foregroundDeletion" — once no dependent is left, the finalizer goes
 *    (the API server then removes the object).
 * The API server adds those finalizers for propagationPolicy Orphan and
 * Foreground. Only the resources below are tracked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/controller.h"
#include "log/log.h"

static const char *const gc_watches[] = { "pods", "replicasets", "deployments", "daemonsets", "services", "endpointslices", "controllerrevisions", NULL };

static void gc_key(const char *resource, const cJSON *obj, char *out, size_t n)
{
    char k[512];
    skiff_obj_key(obj, k, sizeof k);
    snprintf(out, n, "%s|%s", resource, k);
}

static int has_finalizer(const cJSON *o, const char *f)
{
    const cJSON *fs = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "metadata"), "finalizers"), *it;
    cJSON_ArrayForEach(it, fs)
        if (cJSON_IsString(it) && !strcmp(it->valuestring, f)) return 1;
    return 0;
}

/* Queue every cached dependent of owner uid. */
static void enqueue_dependents(skiff_ctrl_t *c, const char *uid)
{
    for (const char *const *w = gc_watches; *w; w++) {
        skiff_informer_t *inf = skiff_ctrl_informer(c, *w);
        cJSON *deps = inf ? skiff_informer_list(inf, NULL, uid, NULL, NULL) : NULL, *d;
        char key[600];
        cJSON_ArrayForEach(d, deps) { gc_key(*w, d, key, sizeof key); skiff_ctrl_enqueue(c, key); }
        cJSON_Delete(deps);
    }
}

static void gc_on_event(skiff_ctrl_t *c, const char *resource, skiff_ev_t ev, const cJSON *obj, const cJSON *old)
{
    (void)old;
    char key[600];
    const char *uid = skiff_obj_str(obj, "metadata.uid");
    const cJSON *refs = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "ownerReferences"), *r;
    if (ev == SKIFF_EV_DELETE || skiff_obj_str(obj, "metadata.deletionTimestamp")) {
        if (uid) enqueue_dependents(c, uid);
        /* an owner deleted in the foreground waits for this one: look at it again */
        const char *ns = skiff_obj_str(obj, "metadata.namespace");
        cJSON_ArrayForEach(r, refs) {
            const skiff_ctrl_resource_t *rr = skiff_ctrl_resource_by_kind(skiff_obj_str(r, "kind"));
            const char *name = skiff_obj_str(r, "name");
            if (!rr || !name || !skiff_ctrl_informer(c, rr->name)) continue;
            if (rr->namespaced && ns) snprintf(key, sizeof key, "%s|%s/%s", rr->name, ns, name);
            else snprintf(key, sizeof key, "%s|%s", rr->name, name);
            skiff_ctrl_enqueue(c, key);
        }
        if (ev == SKIFF_EV_DELETE) return;
    }
    if (cJSON_GetArraySize(refs) > 0 || has_finalizer(obj, "orphan") || has_finalizer(obj, "foregroundDeletion")) {
        gc_key(resource, obj, key, sizeof key);
        skiff_ctrl_enqueue(c, key);
    }
}

typedef enum { OWNER_GONE, OWNER_PRESENT, OWNER_FOREGROUND } owner_state_t;

/* The owner's state, asked of the API server (the cache may lag a create). */
static int owner_state(skiff_ctrl_t *c, const char *ns, const cJSON *ref, owner_state_t *st, skiff_error_t *err)
{
    const skiff_ctrl_resource_t *r = skiff_ctrl_resource_by_kind(skiff_obj_str(ref, "kind"));
    const char *name = skiff_obj_str(ref, "name"), *uid = skiff_obj_str(ref, "uid");
    *st = OWNER_PRESENT;
    if (!r || !name) return 0; /* a kind we do not know: leave the dependent alone */
    char path[600];
    skiff_ctrl_path(r, r->namespaced ? ns : NULL, name, path, sizeof path);
    skiff_api_result_t res = { 0 };
    int rc = skiff_api_client_get(skiff_ctrl_client(c), path, &res, err);
    if (rc == SKIFF_E_NOTFOUND) { *st = OWNER_GONE; rc = 0; }
    else if (rc == 0) {
        cJSON *o = cJSON_ParseWithLength(res.body, res.len);
        const char *ouid = o ? skiff_obj_str(o, "metadata.uid") : NULL;
        if (ouid && uid && strcmp(ouid, uid)) *st = OWNER_GONE;
        else if (o && skiff_obj_str(o, "metadata.deletionTimestamp") && has_finalizer(o, "foregroundDeletion")) *st = OWNER_FOREGROUND;
        cJSON_Delete(o);
    }
    skiff_api_result_free(&res);
    return rc;
}

static int patch_obj(skiff_ctrl_t *c, const char *resource, const cJSON *obj, const char *ctype, const char *body, skiff_error_t *err)
{
    char path[600];
    skiff_ctrl_path(skiff_ctrl_resource(resource), skiff_obj_str(obj, "metadata.namespace"), skiff_obj_str(obj, "metadata.name"), path, sizeof path);
    int rc = skiff_api_client_patch(skiff_ctrl_client(c), path, ctype, body, NULL, err);
    return rc == SKIFF_E_NOTFOUND ? 0 : rc;
}

/* ownerReferences without the refs whose uid is in drop (NULL-terminated). */
static int drop_refs(skiff_ctrl_t *c, const char *resource, const cJSON *obj, const char *const *drop, skiff_error_t *err)
{
    const cJSON *refs = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "ownerReferences"), *r;
    cJSON *patch = cJSON_CreateObject();
    cJSON *md = cJSON_AddObjectToObject(patch, "metadata");
    cJSON *keep = cJSON_AddArrayToObject(md, "ownerReferences");
    cJSON_ArrayForEach(r, refs) {
        const char *u = skiff_obj_str(r, "uid");
        int gone = 0;
        for (const char *const *d = drop; *d && u; d++) if (!strcmp(*d, u)) gone = 1;
        if (!gone) cJSON_AddItemToArray(keep, cJSON_Duplicate(r, 1));
    }
    /* the resourceVersion makes this a compare-and-swap with the cache's view */
    const char *rv = skiff_obj_str(obj, "metadata.resourceVersion");
    if (rv) cJSON_AddStringToObject(md, "resourceVersion", rv);
    char *body = cJSON_PrintUnformatted(patch);
    cJSON_Delete(patch);
    int rc = body ? patch_obj(c, resource, obj, "application/merge-patch+json", body, err) : SKIFF_E_NOSPACE;
    free(body);
    return rc;
}

static int remove_finalizer(skiff_ctrl_t *c, const char *resource, const cJSON *obj, const char *fin, skiff_error_t *err)
{
    const cJSON *fs = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "finalizers"), *f;
    cJSON *patch = cJSON_CreateObject();
    cJSON *md = cJSON_AddObjectToObject(patch, "metadata");
    cJSON *keep = cJSON_AddArrayToObject(md, "finalizers");
    cJSON_ArrayForEach(f, fs) if (cJSON_IsString(f) && strcmp(f->valuestring, fin)) cJSON_AddItemToArray(keep, cJSON_Duplicate(f, 1));
    const char *rv = skiff_obj_str(obj, "metadata.resourceVersion");
    if (rv) cJSON_AddStringToObject(md, "resourceVersion", rv);
    char *body = cJSON_PrintUnformatted(patch);
    cJSON_Delete(patch);
    int rc = body ? patch_obj(c, resource, obj, "application/merge-patch+json", body, err) : SKIFF_E_NOSPACE;
    free(body);
    return rc;
}

static int delete_obj(skiff_ctrl_t *c, const char *resource, const cJSON *obj, const char *policy, skiff_error_t *err)
{
    char path[600], body[200];
    skiff_ctrl_path(skiff_ctrl_resource(resource), skiff_obj_str(obj, "metadata.namespace"), skiff_obj_str(obj, "metadata.name"), path, sizeof path);
    snprintf(body, sizeof body, "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"propagationPolicy\":\"%s\","
             "\"preconditions\":{\"uid\":\"%s\"}}", policy, skiff_obj_str(obj, "metadata.uid"));
    int rc = skiff_api_client_do(skiff_ctrl_client(c), "DELETE", path, NULL, "application/json", body, strlen(body), NULL, err);
    return rc == SKIFF_E_NOTFOUND || rc == SKIFF_E_CONFLICT ? 0 : rc;
}

static size_t count_dependents(skiff_ctrl_t *c, const char *uid)
{
    size_t n = 0;
    for (const char *const *w = gc_watches; *w; w++) {
        skiff_informer_t *inf = skiff_ctrl_informer(c, *w);
        cJSON *deps = inf ? skiff_informer_list(inf, NULL, uid, NULL, NULL) : NULL;
        n += (size_t)cJSON_GetArraySize(deps);
        cJSON_Delete(deps);
    }
    return n;
}

static int sync_owner(skiff_ctrl_t *c, const char *resource, const cJSON *obj, skiff_error_t *err)
{
    const char *uid = skiff_obj_str(obj, "metadata.uid");
    if (!uid) return 0;
    if (has_finalizer(obj, "orphan")) {
        for (const char *const *w = gc_watches; *w; w++) {
            skiff_informer_t *inf = skiff_ctrl_informer(c, *w);
            cJSON *deps = inf ? skiff_informer_list(inf, NULL, uid, NULL, NULL) : NULL, *d;
            const char *drop[] = { uid, NULL };
            cJSON_ArrayForEach(d, deps) {
                int rc = drop_refs(c, *w, d, drop, err);
                if (rc < 0) { cJSON_Delete(deps); return rc; }
            }
            cJSON_Delete(deps);
        }
        if (count_dependents(c, uid) > 0) return skiff_error_set(err, SKIFF_E_CONFLICT, "waiting for dependents to be orphaned");
        return remove_finalizer(c, resource, obj, "orphan", err);
    }
    if (has_finalizer(obj, "foregroundDeletion")) {
        for (const char *const *w = gc_watches; *w; w++) {
            skiff_informer_t *inf = skiff_ctrl_informer(c, *w);
            cJSON *deps = inf ? skiff_informer_list(inf, NULL, uid, NULL, NULL) : NULL, *d;
            cJSON_ArrayForEach(d, deps) {
                if (skiff_obj_str(d, "metadata.deletionTimestamp")) continue;
                int rc = delete_obj(c, *w, d, "Foreground", err);
                if (rc < 0) { cJSON_Delete(deps); return rc; }
            }
            cJSON_Delete(deps);
        }
        /* dependents still there: their deletion events queue us again */
        if (count_dependents(c, uid) > 0) return 0;
        return remove_finalizer(c, resource, obj, "foregroundDeletion", err);
    }
    return 0;
}

static int gc_sync(skiff_ctrl_t *c, const char *key, skiff_error_t *err)
{
    char resource[64], rest[512], ns[256], name[256];
    const char *bar = strchr(key, '|');
    if (!bar) return 0;
    snprintf(resource, sizeof resource, "%.*s", (int)(bar - key), key);
    snprintf(rest, sizeof rest, "%s", bar + 1);
    skiff_informer_t *inf = skiff_ctrl_informer(c, resource);
    cJSON *obj = inf ? skiff_informer_get(inf, rest) : NULL;
    if (!obj) return 0;
    skiff_key_split(rest, ns, sizeof ns, name, sizeof name);
    int rc = 0;
    if (skiff_obj_str(obj, "metadata.deletionTimestamp")) {
        rc = sync_owner(c, resource, obj, err);
        cJSON_Delete(obj);
        return rc;
    }
    const cJSON *refs = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "ownerReferences"), *r;
    int n = cJSON_GetArraySize(refs), gone = 0, foreground = 0;
    const char **drop = calloc((size_t)n + 1, sizeof *drop);
    if (!drop) { cJSON_Delete(obj); return skiff_error_set(err, SKIFF_E_NOSPACE, "gc: out of memory"); }
    cJSON_ArrayForEach(r, refs) {
        owner_state_t st;
        rc = owner_state(c, ns, r, &st, err);
        if (rc < 0) break;
        if (st == OWNER_GONE) drop[gone++] = skiff_obj_str(r, "uid");
        if (st == OWNER_FOREGROUND) foreground = 1;
    }
    if (rc == 0 && n > 0) {
        if (gone == n) {
            skiff_log(SKIFF_LOG_DEBUG, "controllers", "gc: deleting %s %s/%s: its owners are gone", resource, ns, name);
            rc = delete_obj(c, resource, obj, "Background", err);
        } else if (foreground) {
            rc = delete_obj(c, resource, obj, "Foreground", err);
        } else if (gone > 0) {
            rc = drop_refs(c, resource, obj, drop, err);
        }
    }
    free(drop);
    cJSON_Delete(obj);
    return rc;
}

const skiff_controller_t skiff_controller_gc = {
    .name = "garbagecollector",
    .watches = gc_watches,
    .on_event = gc_on_event,
    .sync = gc_sync,
};
