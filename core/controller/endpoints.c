/* core/controller/endpoints — the Endpoints and EndpointSlice controllers
 * (one controller here, both objects per Service): for each Service with a
 * selector, the pods it selects that have an IP — Ready ones as addresses,
 * others as notReadyAddresses (slices: conditions.ready false) — with the
 * Service's ports resolved against each pod (a named targetPort is looked
 * up in the pod's container ports). Services without a selector are left
 * alone (their Endpoints are the user's). One IPv4 EndpointSlice per
 * Service, named <service>-<5 chars>, owned by it (the garbage collector
 * removes it with the Service); the Endpoints object is deleted here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/selector.h"
#include "controller/controller.h"
#include "log/log.h"

#define SLICE_MANAGER "endpointslice-controller.k8s.io"

static const char *const ep_watches[] = { "services", "pods", NULL };

static cJSON *at(const cJSON *o, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *t = strtok_r(buf, ".", &save); o && t; t = strtok_r(NULL, ".", &save))
        o = cJSON_GetObjectItemCaseSensitive(o, t);
    return (cJSON *)o;
}

static int selects(const cJSON *svc, const cJSON *pod)
{
    const cJSON *sel = at(svc, "spec.selector"), *kv;
    if (!cJSON_IsObject(sel) || !sel->child) return 0;
    const cJSON *labels = at(pod, "metadata.labels");
    cJSON_ArrayForEach(kv, sel) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(labels, kv->string);
        if (!cJSON_IsString(v) || !cJSON_IsString(kv) || strcmp(v->valuestring, kv->valuestring)) return 0;
    }
    return 1;
}

static void ep_on_event(skiff_ctrl_t *c, const char *resource, skiff_ev_t ev, const cJSON *obj, const cJSON *old)
{
    (void)ev;
    char key[512];
    if (!strcmp(resource, "services")) {
        skiff_obj_key(obj, key, sizeof key);
        skiff_ctrl_enqueue(c, key);
        return;
    }
    const char *ns = skiff_obj_str(obj, "metadata.namespace");
    cJSON *svcs = skiff_informer_list(skiff_ctrl_informer(c, "services"), ns, NULL, NULL, NULL), *s;
    cJSON_ArrayForEach(s, svcs)
        if (selects(s, obj) || (old && selects(s, old))) { skiff_obj_key(s, key, sizeof key); skiff_ctrl_enqueue(c, key); }
    cJSON_Delete(svcs);
}

/* The port a service port reaches on pod: targetPort as a number, or the
 * container port of that name; 0 when the pod has none. */
static int64_t target_port(const cJSON *sp, const cJSON *pod)
{
    const cJSON *tp = cJSON_GetObjectItemCaseSensitive(sp, "targetPort");
    if (cJSON_IsNumber(tp)) return (int64_t)tp->valuedouble;
    if (!cJSON_IsString(tp)) return skiff_obj_int(sp, "port", 0);
    const cJSON *ctr, *p;
    cJSON_ArrayForEach(ctr, at(pod, "spec.containers"))
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(ctr, "ports")) {
            const char *n = skiff_obj_str(p, "name");
            if (n && !strcmp(n, tp->valuestring)) return skiff_obj_int(p, "containerPort", 0);
        }
    return 0;
}

static cJSON *target_ref(const cJSON *pod)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "kind", "Pod");
    cJSON_AddStringToObject(r, "namespace", skiff_obj_str(pod, "metadata.namespace"));
    cJSON_AddStringToObject(r, "name", skiff_obj_str(pod, "metadata.name"));
    const char *uid = skiff_obj_str(pod, "metadata.uid");
    if (uid) cJSON_AddStringToObject(r, "uid", uid);
    return r;
}

static cJSON *ports_for(const cJSON *svc, const cJSON *pod, int slice)
{
    cJSON *ports = cJSON_CreateArray();
    const cJSON *sp;
    cJSON_ArrayForEach(sp, at(svc, "spec.ports")) {
        int64_t port = pod ? target_port(sp, pod) : 0;
        if (!port) continue;
        cJSON *p = cJSON_CreateObject();
        const char *name = skiff_obj_str(sp, "name"), *proto = skiff_obj_str(sp, "protocol");
        if (name || slice) cJSON_AddStringToObject(p, "name", name ? name : "");
        cJSON_AddNumberToObject(p, "port", (double)port);
        cJSON_AddStringToObject(p, "protocol", proto ? proto : "TCP");
        cJSON_AddItemToArray(ports, p);
    }
    return ports;
}

/* Create or update; unchanged content writes nothing. */
static int put(skiff_ctrl_t *c, const char *coll, const char *name, cJSON *want, const char *field, skiff_error_t *err)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", coll, name);
    skiff_api_result_t res = { 0 };
    int rc = skiff_api_client_get(skiff_ctrl_client(c), path, &res, err);
    cJSON *have = rc == 0 ? cJSON_ParseWithLength(res.body, res.len) : NULL;
    skiff_api_result_free(&res);
    if (rc < 0 && rc != SKIFF_E_NOTFOUND) return rc;
    const cJSON *want_f = cJSON_GetObjectItemCaseSensitive(want, field);
    const cJSON *have_f = have ? cJSON_GetObjectItemCaseSensitive(have, field) : NULL;
    int want_empty = !want_f || (cJSON_IsArray(want_f) && !want_f->child);
    int have_empty = !have_f || (cJSON_IsArray(have_f) && !have_f->child);
    const char *extra = field[0] == 's' ? NULL : "ports"; /* slices: ports too */
    int same = have && ((want_empty && have_empty) || (want_f && have_f && cJSON_Compare(want_f, have_f, 1)));
    if (same && extra) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(want, extra), *b = cJSON_GetObjectItemCaseSensitive(have, extra);
        same = (!a || !a->child) ? (!b || !b->child) : (b && cJSON_Compare(a, b, 1));
    }
    if (same) { cJSON_Delete(have); return 0; }
    char *body;
    if (have) {
        const char *rv = skiff_obj_str(have, "metadata.resourceVersion");
        cJSON *md = cJSON_GetObjectItemCaseSensitive(want, "metadata");
        if (rv && md) cJSON_AddStringToObject(md, "resourceVersion", rv);
        body = cJSON_PrintUnformatted(want);
        rc = body ? skiff_api_client_update(skiff_ctrl_client(c), path, body, NULL, err) : SKIFF_E_NOSPACE;
    } else {
        body = cJSON_PrintUnformatted(want);
        rc = body ? skiff_api_client_create(skiff_ctrl_client(c), coll, body, NULL, err) : SKIFF_E_NOSPACE;
    }
    free(body);
    cJSON_Delete(have);
    return rc;
}

/* The Service's slice name: an existing one of ours, else a new one. */
static int slice_name(skiff_ctrl_t *c, const char *ns, const char *svc, char *out, size_t n, skiff_error_t *err)
{
    char coll[400], sel[400];
    snprintf(coll, sizeof coll, "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices", ns);
    snprintf(sel, sizeof sel, "kubernetes.io/service-name=%s,endpointslice.kubernetes.io/managed-by=" SLICE_MANAGER, svc);
    skiff_api_result_t res = { 0 };
    int rc = skiff_api_client_list(skiff_ctrl_client(c), coll, sel, NULL, &res, err);
    cJSON *l = rc == 0 ? cJSON_ParseWithLength(res.body, res.len) : NULL;
    skiff_api_result_free(&res);
    if (rc < 0) return rc;
    const char *name = skiff_obj_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(l, "items"), 0), "metadata.name");
    if (name) snprintf(out, n, "%s", name);
    else {
        char sfx[8];
        skiff_rand_suffix(sfx, 5);
        snprintf(out, n, "%.*s-%s", 56, svc, sfx);
    }
    cJSON_Delete(l);
    return 0;
}

static int ep_sync(skiff_ctrl_t *c, const char *key, skiff_error_t *err)
{
    char ns[256], name[256], coll[400], path[700];
    skiff_key_split(key, ns, sizeof ns, name, sizeof name);
    cJSON *svc = skiff_informer_get(skiff_ctrl_informer(c, "services"), key);
    snprintf(coll, sizeof coll, "/api/v1/namespaces/%s/endpoints", ns);
    if (!svc) {
        snprintf(path, sizeof path, "%s/%s", coll, name);
        int rc = skiff_api_client_delete(skiff_ctrl_client(c), path, NULL, err);
        return rc == SKIFF_E_NOTFOUND ? 0 : rc;
    }
    const cJSON *sel = at(svc, "spec.selector");
    if (!cJSON_IsObject(sel) || !sel->child) { cJSON_Delete(svc); return 0; }
    cJSON *pods = skiff_informer_list(skiff_ctrl_informer(c, "pods"), ns, NULL, NULL, NULL), *p;
    cJSON *ep = cJSON_CreateObject();
    cJSON_AddStringToObject(ep, "apiVersion", "v1");
    cJSON_AddStringToObject(ep, "kind", "Endpoints");
    cJSON *md = cJSON_AddObjectToObject(ep, "metadata");
    cJSON_AddStringToObject(md, "name", name);
    cJSON_AddStringToObject(md, "namespace", ns);
    cJSON *labels = at(svc, "metadata.labels");
    if (labels) cJSON_AddItemToObject(md, "labels", cJSON_Duplicate(labels, 1));
    cJSON *subsets = cJSON_AddArrayToObject(ep, "subsets");
    cJSON *subset = cJSON_CreateObject();
    cJSON *ready = cJSON_CreateArray(), *unready = cJSON_CreateArray(), *ports = NULL;
    cJSON *slice_eps = cJSON_CreateArray(), *slice_ports = NULL;
    cJSON_ArrayForEach(p, pods) {
        const char *ip = skiff_obj_str(p, "status.podIP");
        if (!ip || !*ip || !selects(svc, p) || skiff_obj_str(p, "metadata.deletionTimestamp")) continue;
        const char *phase = skiff_obj_str(p, "status.phase");
        if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))) continue;
        int is_ready = skiff_pod_ready(p);
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "ip", ip);
        const char *node = skiff_obj_str(p, "spec.nodeName");
        if (node) cJSON_AddStringToObject(a, "nodeName", node);
        cJSON_AddItemToObject(a, "targetRef", target_ref(p));
        cJSON_AddItemToArray(is_ready ? ready : unready, a);
        if (!ports) ports = ports_for(svc, p, 0);
        if (!slice_ports) slice_ports = ports_for(svc, p, 1);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddItemToArray(cJSON_AddArrayToObject(e, "addresses"), cJSON_CreateString(ip));
        cJSON *cond = cJSON_AddObjectToObject(e, "conditions");
        cJSON_AddBoolToObject(cond, "ready", is_ready);
        cJSON_AddBoolToObject(cond, "serving", is_ready);
        cJSON_AddBoolToObject(cond, "terminating", 0);
        if (node) cJSON_AddStringToObject(e, "nodeName", node);
        cJSON_AddItemToObject(e, "targetRef", target_ref(p));
        cJSON_AddItemToArray(slice_eps, e);
    }
    /* a stable order, so an unchanged set compares equal */
    if (cJSON_GetArraySize(ready) || cJSON_GetArraySize(unready)) {
        if (cJSON_GetArraySize(ready)) cJSON_AddItemToObject(subset, "addresses", ready); else cJSON_Delete(ready);
        if (cJSON_GetArraySize(unready)) cJSON_AddItemToObject(subset, "notReadyAddresses", unready); else cJSON_Delete(unready);
        cJSON_AddItemToObject(subset, "ports", ports ? ports : cJSON_CreateArray());
        ports = NULL;
        cJSON_AddItemToArray(subsets, subset);
    } else {
        cJSON_Delete(ready);
        cJSON_Delete(unready);
        cJSON_Delete(subset);
    }
    cJSON_Delete(ports);
    int rc = put(c, coll, name, ep, "subsets", err);
    cJSON_Delete(ep);
    /* the EndpointSlice */
    char sname[300];
    if (rc == 0) rc = slice_name(c, ns, name, sname, sizeof sname, err);
    if (rc == 0) {
        cJSON *sl = cJSON_CreateObject();
        cJSON_AddStringToObject(sl, "apiVersion", "discovery.k8s.io/v1");
        cJSON_AddStringToObject(sl, "kind", "EndpointSlice");
        cJSON *smd = cJSON_AddObjectToObject(sl, "metadata");
        cJSON_AddStringToObject(smd, "name", sname);
        cJSON_AddStringToObject(smd, "namespace", ns);
        cJSON *sl_labels = cJSON_AddObjectToObject(smd, "labels");
        cJSON_AddStringToObject(sl_labels, "kubernetes.io/service-name", name);
        cJSON_AddStringToObject(sl_labels, "endpointslice.kubernetes.io/managed-by", SLICE_MANAGER);
        cJSON_AddItemToArray(cJSON_AddArrayToObject(smd, "ownerReferences"), skiff_owner_ref(svc, "v1", "Service"));
        cJSON_AddStringToObject(sl, "addressType", "IPv4");
        cJSON_AddItemToObject(sl, "endpoints", slice_eps);
        slice_eps = NULL;
        cJSON_AddItemToObject(sl, "ports", slice_ports ? slice_ports : cJSON_CreateArray());
        slice_ports = NULL;
        snprintf(coll, sizeof coll, "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices", ns);
        rc = put(c, coll, sname, sl, "endpoints", err);
        cJSON_Delete(sl);
    }
    cJSON_Delete(slice_eps);
    cJSON_Delete(slice_ports);
    cJSON_Delete(pods);
    cJSON_Delete(svc);
    return rc;
}

const skiff_controller_t skiff_controller_endpoints = {
    .name = "endpoints",
    .watches = ep_watches,
    .on_event = ep_on_event,
    .sync = ep_sync,
};
