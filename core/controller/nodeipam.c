/* core/controller/nodeipam — node IPAM as kube-controller-manager's range
 * allocator (--allocate-node-cidrs with --cluster-cidr and
 * --node-cidr-mask-size): each node without spec.podCIDR gets the next free
 * /mask of the cluster CIDR as spec.podCIDR and spec.podCIDRs; a deleted
 * node's range is freed. Ranges already on nodes are marked taken as the
 * node informer lists them, before any allocation, so a new leader (or a
 * restart) never hands out a range twice. An exhausted range is a
 * CIDRNotAvailable event on the node, and the node is retried with backoff.
 *
 * Off (nothing allocated) when controllers.cluster_cidr is empty, as kube's
 * --allocate-node-cidrs=false. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/cidralloc.h"
#include "controller/controller.h"
#include "log/log.h"

static const char *const ipam_watches[] = { "nodes", NULL };

typedef struct ipam {
    pthread_mutex_t mu;
    skiff_cidr_alloc_t *alloc; /* NULL: IPAM off */
} ipam_t;

static ipam_t *state_of(skiff_ctrl_t *c) { return *skiff_ctrl_state(c); }

static int ipam_init(skiff_ctrl_t *c, skiff_error_t *err)
{
    const skiff_ctrl_mgr_config_t *cfg = skiff_ctrl_config(c);
    ipam_t *st = calloc(1, sizeof *st);
    if (!st) return skiff_error_set(err, SKIFF_E_NOSPACE, "nodeipam: out of memory");
    pthread_mutex_init(&st->mu, NULL);
    *skiff_ctrl_state(c) = st;
    if (!cfg->cluster_cidr || !*cfg->cluster_cidr) {
        skiff_log(SKIFF_LOG_INFO, "controllers", "nodeipam: no controllers.cluster_cidr, node pod ranges are not allocated");
        return 0;
    }
    int mask = cfg->node_cidr_mask_size > 0 ? cfg->node_cidr_mask_size : 24;
    skiff_error_t e;
    skiff_error_clear(&e);
    if (skiff_cidr_alloc_new(cfg->cluster_cidr, mask, &st->alloc, &e) < 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "controllers.cluster_cidr / node_cidr_mask_size: %s", e.msg);
    skiff_log(SKIFF_LOG_INFO, "controllers", "nodeipam: node pod ranges are /%d of %s (%llu)", mask, cfg->cluster_cidr,
              (unsigned long long)skiff_cidr_alloc_total(st->alloc));
    return 0;
}

static void ipam_fini(void *state)
{
    ipam_t *st = state;
    if (!st) return;
    skiff_cidr_alloc_free(st->alloc);
    pthread_mutex_destroy(&st->mu);
    free(st);
}

/* Apply fn (occupy / release) to each of a node's ranges. */
static void each_cidr(ipam_t *st, const cJSON *node, int (*fn)(skiff_cidr_alloc_t *, const char *, skiff_error_t *))
{
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(node, "spec"), *x;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(spec, "podCIDRs");
    const char *one = skiff_obj_str(spec, "podCIDR");
    skiff_error_t e;
    pthread_mutex_lock(&st->mu);
    int any = 0;
    cJSON_ArrayForEach(x, list) {
        if (!cJSON_IsString(x) || strchr(x->valuestring, ':')) continue; /* IPv6: not ours */
        any = 1;
        skiff_error_clear(&e);
        if (fn(st->alloc, x->valuestring, &e) < 0)
            skiff_log(SKIFF_LOG_WARN, "controllers", "nodeipam: node %s: podCIDR %s", skiff_obj_str(node, "metadata.name"), e.msg);
    }
    if (!any && one && *one && !strchr(one, ':')) {
        skiff_error_clear(&e);
        if (fn(st->alloc, one, &e) < 0)
            skiff_log(SKIFF_LOG_WARN, "controllers", "nodeipam: node %s: podCIDR %s", skiff_obj_str(node, "metadata.name"), e.msg);
    }
    pthread_mutex_unlock(&st->mu);
}

static int has_cidr(const cJSON *node)
{
    const char *pc = skiff_obj_str(node, "spec.podCIDR");
    return (pc && *pc) || cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(node, "spec"), "podCIDRs")) > 0;
}

static void ipam_on_event(skiff_ctrl_t *c, const char *resource, skiff_ev_t ev, const cJSON *obj, const cJSON *old)
{
    (void)resource;
    ipam_t *st = state_of(c);
    if (!st || !st->alloc) return;
    if (ev == SKIFF_EV_DELETE) {
        if (!has_cidr(obj)) return;
        each_cidr(st, obj, skiff_cidr_alloc_release);
        /* a range came free: nodes still waiting for one try again now
         * rather than at their next backoff */
        cJSON *all = skiff_informer_list(skiff_ctrl_informer(c, "nodes"), NULL, NULL, NULL, NULL), *n;
        cJSON_ArrayForEach(n, all) if (!has_cidr(n)) skiff_ctrl_enqueue(c, skiff_obj_str(n, "metadata.name"));
        cJSON_Delete(all);
        return;
    }
    if (has_cidr(obj)) {
        /* heartbeats re-deliver the node: only a new range needs marking */
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "spec"), "podCIDRs");
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(old, "spec"), "podCIDRs");
        const char *pa = skiff_obj_str(obj, "spec.podCIDR"), *pb = skiff_obj_str(old, "spec.podCIDR");
        if (ev == SKIFF_EV_UPDATE && old && old != obj && a && b && cJSON_Compare(a, b, 1) && pa && pb && !strcmp(pa, pb)) return;
        each_cidr(st, obj, skiff_cidr_alloc_occupy);
        return;
    }
    skiff_ctrl_enqueue(c, skiff_obj_str(obj, "metadata.name"));
}

static int ipam_sync(skiff_ctrl_t *c, const char *key, skiff_error_t *err)
{
    ipam_t *st = state_of(c);
    if (!st || !st->alloc) return 0;
    /* read the node fresh: the cache may not show a range we gave a moment
     * ago, and giving a second one would leak the first */
    char path[400];
    snprintf(path, sizeof path, "/api/v1/nodes/%s", key);
    skiff_api_result_t res = { 0 };
    skiff_error_t gerr;
    skiff_error_clear(&gerr);
    int rc = skiff_api_client_get(skiff_ctrl_client(c), path, &res, &gerr);
    if (rc == SKIFF_E_NOTFOUND) { skiff_api_result_free(&res); return 0; }
    if (rc < 0) { skiff_api_result_free(&res); return skiff_error_set(err, rc, "nodeipam: reading node %s: %s", key, gerr.msg); }
    cJSON *node = cJSON_ParseWithLength(res.body, res.len);
    skiff_api_result_free(&res);
    if (!node) return skiff_error_set(err, SKIFF_E_INVALID, "nodeipam: node %s: the answer is not JSON", key);
    if (has_cidr(node)) {
        each_cidr(st, node, skiff_cidr_alloc_occupy);
        cJSON_Delete(node);
        return 0;
    }
    char cidr[32];
    skiff_error_t aerr;
    skiff_error_clear(&aerr);
    pthread_mutex_lock(&st->mu);
    rc = skiff_cidr_alloc_next(st->alloc, cidr, sizeof cidr, &aerr);
    pthread_mutex_unlock(&st->mu);
    if (rc < 0) {
        /* kube: RecordNodeStatusChange(node, "CIDRNotAvailable") */
        skiff_ctrl_event(c, node, "Normal", "CIDRNotAvailable", "Node %s status is now: CIDRNotAvailable", key);
        cJSON_Delete(node);
        return skiff_error_set(err, rc, "nodeipam: node %s: %s", key, aerr.msg);
    }
    /* resourceVersion as a precondition: a range someone set meanwhile wins */
    char body[256];
    snprintf(body, sizeof body, "{\"metadata\":{\"resourceVersion\":\"%s\"},\"spec\":{\"podCIDR\":\"%s\",\"podCIDRs\":[\"%s\"]}}",
             skiff_obj_str(node, "metadata.resourceVersion") ? skiff_obj_str(node, "metadata.resourceVersion") : "", cidr, cidr);
    rc = skiff_api_client_patch(skiff_ctrl_client(c), path, "application/merge-patch+json", body, NULL, err);
    if (rc < 0) {
        pthread_mutex_lock(&st->mu);
        skiff_cidr_alloc_release(st->alloc, cidr, &aerr);
        pthread_mutex_unlock(&st->mu);
        cJSON_Delete(node);
        return rc == SKIFF_E_NOTFOUND ? 0 : rc;
    }
    skiff_log(SKIFF_LOG_INFO, "controllers", "nodeipam: node %s gets podCIDR %s", key, cidr);
    cJSON_Delete(node);
    return 0;
}

const skiff_controller_t skiff_controller_nodeipam = {
    .name = "nodeipam",
    .watches = ipam_watches,
    .on_event = ipam_on_event,
    .sync = ipam_sync,
    .init = ipam_init,
    .fini = ipam_fini,
};
