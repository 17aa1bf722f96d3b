/* core/controller/nodelifecycle — the node lifecycle controller: a node
 * whose Lease (kube-node-lease/<node>) and Ready heartbeat are older than
 * node_monitor_grace_period gets its conditions set to Unknown
 * (NodeStatusUnknown, "Kubelet stopped posting node status."), its pods
 * marked not Ready, the taints node.kubernetes.io/unreachable NoSchedule
 * and NoExecute, and a NodeNotReady event; pods that do not tolerate the
 * NoExecute taint are then deleted (at once, or after their
 * tolerationSeconds), so their controllers recreate them elsewhere. Once
 * the node reports Ready again the taints are removed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>

#include "controller/controller.h"
#include "log/log.h"

#define UNREACHABLE "node.kubernetes.io/unreachable"

static const char *const nl_watches[] = { "nodes", "leases", "pods", NULL };

static void nl_on_event(skiff_ctrl_t *c, const char *resource, skiff_ev_t ev, const cJSON *obj, const cJSON *old)
{
    (void)old;
    if (!strcmp(resource, "nodes")) {
        const char *n = skiff_obj_str(obj, "metadata.name");
        if (n && ev != SKIFF_EV_DELETE) skiff_ctrl_enqueue(c, n);
    } else if (!strcmp(resource, "leases")) {
        const char *ns = skiff_obj_str(obj, "metadata.namespace"), *n = skiff_obj_str(obj, "metadata.name");
        if (ns && n && !strcmp(ns, "kube-node-lease")) skiff_ctrl_enqueue(c, n);
    } else {
        /* a pod arriving on a tainted node is evicted too */
        const char *node = skiff_obj_str(obj, "spec.nodeName");
        if (node && ev == SKIFF_EV_ADD) skiff_ctrl_enqueue(c, node);
    }
}

static int64_t parse_ms(const char *t)
{
    if (!t) return 0;
    struct tm tm = { 0 };
    const char *rest = strptime(t, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest) return 0;
    int64_t ms = (int64_t)timegm(&tm) * 1000;
    if (*rest == '.') ms += (int64_t)(strtod(rest, NULL) * 1000);
    return ms;
}

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static cJSON *cond_of(cJSON *node, const char *type)
{
    cJSON *conds = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(node, "status"), "conditions"), *it;
    cJSON_ArrayForEach(it, conds) {
        const char *t = skiff_obj_str(it, "type");
        if (t && !strcmp(t, type)) return it;
    }
    return NULL;
}

static int has_taint(const cJSON *node, const char *effect)
{
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(node, "spec"), "taints"), *t;
    cJSON_ArrayForEach(t, ts) {
        const char *k = skiff_obj_str(t, "key"), *e = skiff_obj_str(t, "effect");
        if (k && e && !strcmp(k, UNREACHABLE) && !strcmp(e, effect)) return 1;
    }
    return 0;
}

static int patch(skiff_ctrl_t *c, const char *path, cJSON *body_obj, skiff_error_t *err)
{
    char *body = cJSON_PrintUnformatted(body_obj);
    cJSON_Delete(body_obj);
    int rc = body ? skiff_api_client_patch(skiff_ctrl_client(c), path, "application/merge-patch+json", body, NULL, err) : SKIFF_E_NOSPACE;
    free(body);
    return rc == SKIFF_E_NOTFOUND ? 0 : rc;
}

/* spec.taints with (add) or without (!add) the two unreachable taints. */
static int set_taints(skiff_ctrl_t *c, const cJSON *node, int add, skiff_error_t *err)
{
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(node, "spec"), "taints"), *t;
    cJSON *p = cJSON_CreateObject();
    cJSON *md = cJSON_AddObjectToObject(p, "metadata");
    const char *rv = skiff_obj_str(node, "metadata.resourceVersion");
    if (rv) cJSON_AddStringToObject(md, "resourceVersion", rv);
    cJSON *out = cJSON_AddArrayToObject(cJSON_AddObjectToObject(p, "spec"), "taints");
    cJSON_ArrayForEach(t, ts) {
        const char *k = skiff_obj_str(t, "key");
        if (!k || strcmp(k, UNREACHABLE)) cJSON_AddItemToArray(out, cJSON_Duplicate(t, 1));
    }
    if (add) {
        char now[40];
        skiff_now_rfc3339(now, sizeof now);
        static const char *const effects[] = { "NoSchedule", "NoExecute" };
        for (int i = 0; i < 2; i++) {
            cJSON *n = cJSON_CreateObject();
            cJSON_AddStringToObject(n, "key", UNREACHABLE);
            cJSON_AddStringToObject(n, "effect", effects[i]);
            if (i == 1) cJSON_AddStringToObject(n, "timeAdded", now);
            cJSON_AddItemToArray(out, n);
        }
    }
    char path[400];
    snprintf(path, sizeof path, "/api/v1/nodes/%s", skiff_obj_str(node, "metadata.name"));
    return patch(c, path, p, err);
}

/* Every condition Unknown, as kube's node lifecycle controller writes them. */
static int mark_unknown(skiff_ctrl_t *c, cJSON *node, skiff_error_t *err)
{
    char now[40];
    skiff_now_rfc3339(now, sizeof now);
    cJSON *conds = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(node, "status"), "conditions"), 1), *it;
    if (!conds) conds = cJSON_CreateArray();
    if (!cJSON_GetArraySize(conds)) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "type", "Ready");
        cJSON_AddItemToArray(conds, r);
    }
    cJSON_ArrayForEach(it, conds) {
        static const char *const drop[] = { "status", "reason", "message", "lastTransitionTime" };
        for (int i = 0; i < 4; i++) cJSON_DeleteItemFromObjectCaseSensitive(it, drop[i]);
        cJSON_AddStringToObject(it, "status", "Unknown");
        cJSON_AddStringToObject(it, "reason", "NodeStatusUnknown");
        cJSON_AddStringToObject(it, "message", "Kubelet stopped posting node status.");
        cJSON_AddStringToObject(it, "lastTransitionTime", now);
    }
    cJSON *p = cJSON_CreateObject();
    cJSON_AddItemToObject(cJSON_AddObjectToObject(p, "status"), "conditions", conds);
    char path[400];
    snprintf(path, sizeof path, "/api/v1/nodes/%s/status", skiff_obj_str(node, "metadata.name"));
    return patch(c, path, p, err);
}

/* A pod's Ready condition to False (endpoints drop it). */
static void pod_not_ready(skiff_ctrl_t *c, const cJSON *pod)
{
    cJSON *conds = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pod, "status"), "conditions"), 1), *it;
    int changed = 0;
    char now[40];
    skiff_now_rfc3339(now, sizeof now);
    cJSON_ArrayForEach(it, conds) {
        const char *t = skiff_obj_str(it, "type"), *s = skiff_obj_str(it, "status");
        if (t && !strcmp(t, "Ready") && s && !strcmp(s, "True")) {
            cJSON_ReplaceItemInObjectCaseSensitive(it, "status", cJSON_CreateString("False"));
            cJSON_DeleteItemFromObjectCaseSensitive(it, "lastTransitionTime");
            cJSON_AddStringToObject(it, "lastTransitionTime", now);
            changed = 1;
        }
    }
    if (!changed) { cJSON_Delete(conds); return; }
    cJSON *p = cJSON_CreateObject();
    cJSON_AddItemToObject(cJSON_AddObjectToObject(p, "status"), "conditions", conds);
    char path[600];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/%s/status", skiff_obj_str(pod, "metadata.namespace"), skiff_obj_str(pod, "metadata.name"));
    skiff_error_t err;
    skiff_error_clear(&err);
    patch(c, path, p, &err);
}

/* -1: tolerates forever; else seconds it tolerates the unreachable NoExecute taint (0 = not at all). */
static int64_t toleration(const cJSON *pod)
{
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pod, "spec"), "tolerations"), *t;
    int64_t best = 0;
    cJSON_ArrayForEach(t, ts) {
        const char *k = skiff_obj_str(t, "key"), *op = skiff_obj_str(t, "operator"), *e = skiff_obj_str(t, "effect");
        int key_ok = (k && !strcmp(k, UNREACHABLE)) || ((!k || !*k) && op && !strcmp(op, "Exists"));
        int eff_ok = !e || !*e || !strcmp(e, "NoExecute");
        if (!key_ok || !eff_ok) continue;
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(t, "tolerationSeconds");
        if (!cJSON_IsNumber(s)) return -1;
        if ((int64_t)s->valuedouble > best) best = (int64_t)s->valuedouble;
    }
    return best;
}

static int node_filter(void *ud, const cJSON *pod)
{
    const char *n = skiff_obj_str(pod, "spec.nodeName");
    return n && !strcmp(n, (const char *)ud);
}

static int nl_sync(skiff_ctrl_t *c, const char *key, skiff_error_t *err)
{
    cJSON *node = skiff_informer_get(skiff_ctrl_informer(c, "nodes"), key);
    if (!node) return 0;
    int64_t grace = skiff_ctrl_config(c)->node_grace_ms, now = now_ms();
    char lkey[300];
    snprintf(lkey, sizeof lkey, "kube-node-lease/%s", key);
    cJSON *lease = skiff_informer_get(skiff_ctrl_informer(c, "leases"), lkey);
    int64_t seen = parse_ms(skiff_obj_str(lease, "spec.renewTime"));
    cJSON *ready = cond_of(node, "Ready");
    int64_t hb = parse_ms(skiff_obj_str(ready, "lastHeartbeatTime"));
    if (hb > seen) seen = hb;
    int64_t created = parse_ms(skiff_obj_str(node, "metadata.creationTimestamp"));
    if (created > seen) seen = created;
    cJSON_Delete(lease);
    const char *rs = skiff_obj_str(ready, "status");
    int rc = 0;
    if (now - seen > grace) {
        if (!rs || strcmp(rs, "Unknown")) {
            skiff_log(SKIFF_LOG_INFO, "controllers", "node %s: no heartbeat for %llds, marking it Unknown", key, (long long)((now - seen) / 1000));
            rc = mark_unknown(c, node, err);
            if (rc == 0) {
                cJSON *pods = skiff_informer_list(skiff_ctrl_informer(c, "pods"), NULL, NULL, node_filter, (void *)key), *p;
                cJSON_ArrayForEach(p, pods) pod_not_ready(c, p);
                cJSON_Delete(pods);
                skiff_ctrl_event(c, node, "Normal", "NodeNotReady", "Node %s status is now: NodeNotReady", key);
            }
        }
        if (rc == 0 && (!has_taint(node, "NoExecute") || !has_taint(node, "NoSchedule"))) rc = set_taints(c, node, 1, err);
        if (rc == 0 && has_taint(node, "NoExecute")) {
            /* evict what does not tolerate the taint (for long enough) */
            int64_t added = 0;
            const cJSON *ts = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(node, "spec"), "taints"), *t;
            cJSON_ArrayForEach(t, ts) {
                const char *k = skiff_obj_str(t, "key"), *e = skiff_obj_str(t, "effect");
                if (k && e && !strcmp(k, UNREACHABLE) && !strcmp(e, "NoExecute")) added = parse_ms(skiff_obj_str(t, "timeAdded"));
            }
            if (!added) added = now;
            cJSON *pods = skiff_informer_list(skiff_ctrl_informer(c, "pods"), NULL, NULL, node_filter, (void *)key), *p;
            int64_t next = 0;
            cJSON_ArrayForEach(p, pods) {
                if (skiff_obj_str(p, "metadata.deletionTimestamp")) continue;
                int64_t tol = toleration(p);
                if (tol < 0) continue;
                int64_t at = added + tol * 1000;
                if (at > now) { if (!next || at < next) next = at; continue; }
                char path[600];
                snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/%s", skiff_obj_str(p, "metadata.namespace"), skiff_obj_str(p, "metadata.name"));
                skiff_ctrl_event(c, p, "Normal", "TaintManagerEviction", "Marking for deletion Pod %s/%s",
                                 skiff_obj_str(p, "metadata.namespace"), skiff_obj_str(p, "metadata.name"));
                int r = skiff_api_client_delete(skiff_ctrl_client(c), path, NULL, err);
                if (r < 0 && r != SKIFF_E_NOTFOUND) rc = r;
            }
            cJSON_Delete(pods);
            if (next) skiff_ctrl_enqueue_after(c, key, next - now + 50);
        }
    } else {
        if (rs && !strcmp(rs, "True") && (has_taint(node, "NoExecute") || has_taint(node, "NoSchedule"))) {
            skiff_log(SKIFF_LOG_INFO, "controllers", "node %s: Ready again, removing the unreachable taints", key);
            rc = set_taints(c, node, 0, err);
        }
        /* look again when the heartbeat would be late */
        skiff_ctrl_enqueue_after(c, key, seen + grace - now + 100);
    }
    cJSON_Delete(node);
    return rc;
}

const skiff_controller_t skiff_controller_nodelifecycle = {
    .name = "nodelifecycle",
    .watches = nl_watches,
    .on_event = nl_on_event,
    .sync = nl_sync,
};
