/* core/controller/replicaset — the ReplicaSet controller, as
 * kube-controller-manager's: keeps spec.replicas active pods owned by each
 * ReplicaSet (controller ownerReference), adopts matching orphans and
 * releases owned pods that no longer match, creates in slow-start batches
 * (1, 2, 4, ... stopping at the first failure), deletes the least useful
 * pods first, and writes status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/selector.h"
#include "controller/controller.h"
#include "controller/expect.h"
#include "controller/podctl.h"
#include "log/log.h"

#define RS_BURST 500

static const char *const rs_watches[] = { "replicasets", "pods", NULL };

static void rs_on_event(skiff_ctrl_t *c, const char *resource, skiff_ev_t ev, const cJSON *obj, const cJSON *old)
{
    skiff_expect_t *x = *skiff_ctrl_state(c);
    char key[512];
    if (!strcmp(resource, "replicasets")) {
        skiff_obj_key(obj, key, sizeof key);
        if (ev == SKIFF_EV_DELETE) skiff_expect_forget(x, key);
        skiff_ctrl_enqueue(c, key);
        return;
    }
    const cJSON *ref = skiff_obj_controller_ref(obj);
    const char *ns = skiff_obj_str(obj, "metadata.namespace");
    if (ref) {
        const char *kind = skiff_obj_str(ref, "kind"), *name = skiff_obj_str(ref, "name");
        if (!kind || strcmp(kind, "ReplicaSet") || !name || !ns) return;
        snprintf(key, sizeof key, "%s/%s", ns, name);
        char pod[512];
        skiff_obj_key(obj, pod, sizeof pod);
        /* a graceful deletion shows twice (deletionTimestamp, then DELETED):
         * the expectations count each pod once */
        if (ev == SKIFF_EV_ADD) skiff_expect_observed(x, key, 1);
        if (ev == SKIFF_EV_DELETE || skiff_obj_str(obj, "metadata.deletionTimestamp")) skiff_expect_deleted(x, key, pod);
        skiff_ctrl_enqueue(c, key);
        /* a controller ref removed: the old owner must look again */
    }
    const cJSON *oref = old ? skiff_obj_controller_ref(old) : NULL;
    if (oref && ns && (!ref || strcmp(skiff_obj_str(oref, "uid") ? skiff_obj_str(oref, "uid") : "",
                                      skiff_obj_str(ref, "uid") ? skiff_obj_str(ref, "uid") : ""))) {
        const char *name = skiff_obj_str(oref, "name");
        if (name) { snprintf(key, sizeof key, "%s/%s", ns, name); skiff_ctrl_enqueue(c, key); }
    }
    if (!ref && ns && ev != SKIFF_EV_DELETE) {
        /* an orphan: every ReplicaSet of its namespace may adopt it */
            skiff_objs_t all;
        if (skiff_informer_select(skiff_ctrl_informer(c, "replicasets"), SKIFF_INDEX_NAMESPACE, ns, NULL, NULL, &all) == 0) {
            for (size_t i = 0; i < all.n; i++) {
                skiff_obj_key(all.v[i], key, sizeof key);
                skiff_ctrl_enqueue(c, key);
            }
            skiff_objs_release(&all);
        }
    }
}

static int rs_init(skiff_ctrl_t *c, skiff_error_t *err)
{
    skiff_expect_t *x = skiff_expect_new();
    if (!x) return skiff_error_set(err, SKIFF_E_NOSPACE, "replicaset: out of memory");
    *skiff_ctrl_state(c) = x;
    return 0;
}

static void rs_fini(void *state) { skiff_expect_free(state); }

/* Delete diff pods, least useful first, expecting each one's deletion by
 * its key (kube's UID-tracking expectations). */
static int rs_delete(skiff_podctl_t *pc, skiff_expect_t *x, const char *key, int diff, skiff_error_t *err)
{
    const cJSON **v = NULL;
    int n = skiff_podctl_victims(pc, diff, &v, err);
    if (n <= 0) { free(v); return n; }
    char (*keys)[512] = malloc((size_t)n * sizeof *keys);
    const char **kp = malloc((size_t)n * sizeof *kp);
    int rc = keys && kp ? 0 : SKIFF_E_NOSPACE;
    for (int i = 0; rc == 0 && i < n; i++) { skiff_obj_key(v[i], keys[i], sizeof keys[i]); kp[i] = keys[i]; }
    if (rc == 0 && skiff_expect_deletes(x, key, kp, (size_t)n) < 0) rc = SKIFF_E_NOSPACE;
    if (rc < 0) {
        free(v); free(keys); free(kp);
        return skiff_error_set(err, rc, "out of memory");
    }
    int *missing = calloc((size_t)n, sizeof *missing);
    int gone = skiff_podctl_delete_pods(pc, v, n, missing, err);
    /* the ones not deleted, or gone already, will never be seen going */
    for (int i = 0; i < n; i++)
        if (i >= gone || (missing && missing[i])) skiff_expect_deleted(x, key, keys[i]);
    free(missing);
    if (gone < n) rc = err->code ? err->code : SKIFF_E_INTERNAL;
    free(v); free(keys); free(kp);
    return rc;
}

static int rs_sync(skiff_ctrl_t *c, const char *key, skiff_error_t *err)
{
    skiff_expect_t *x = *skiff_ctrl_state(c);
    void *hold = NULL;
    /* borrowed: the cache has kind/apiVersion on every object */
    const cJSON *rs = skiff_informer_borrow(skiff_ctrl_informer(c, "replicasets"), key, &hold);
    if (!rs) return 0;
    /* expectations before the pods, as kube: read the other way round, the
     * last events of the previous round could land in between — the pods
     * read as not yet deleted, the expectations as met — and those pods
     * would be chosen for deletion again (a second delete makes no event,
     * so the new expectations would never be met) */
    int satisfied = skiff_expect_satisfied(x, key);
    if (!satisfied) skiff_ctrl_enqueue_after(c, key, (SKIFF_EXPECT_TTL_S + 1) * 1000);   /* if the events never come */
    skiff_podctl_t pc = { .c = c, .owner = rs, .owner_kind = "ReplicaSet", .owner_api = "apps/v1" };
    int rc = skiff_podctl_claim(&pc, err);
    if (rc < 0) { skiff_podctl_done(&pc); skiff_informer_unhold(hold); return rc; }
    int64_t want = skiff_obj_int(rs, "spec.replicas", 1);
    if (want < 0) want = 0;
    if (want > INT32_MAX) want = INT32_MAX; /* replicas is an int32; keeps diff below from overflowing */
    int deleting = skiff_obj_str(rs, "metadata.deletionTimestamp") != NULL;
    int diff = (int)pc.nactive - (int)want;
    if (!deleting && satisfied && diff != 0) {
        if (diff < 0) {
            int n = -diff > RS_BURST ? RS_BURST : -diff;
            skiff_expect_set(x, key, n, 0);
            int made = skiff_podctl_create(&pc, n, err);
            if (made < n) skiff_expect_set(x, key, made, 0); /* the failed ones will never be seen */
            if (made < n) rc = made < 0 ? made : SKIFF_E_INTERNAL;
        } else {
            rc = rs_delete(&pc, x, key, diff > RS_BURST ? RS_BURST : diff, err);
        }
        skiff_podctl_refresh(&pc);
    }
    int src = skiff_podctl_status(&pc, err);
    if (rc == 0) rc = src;
    skiff_podctl_done(&pc);
    skiff_informer_unhold(hold);
    return rc;
}

const skiff_controller_t skiff_controller_replicaset = {
    .name = "replicaset",
    .watches = rs_watches,
    .on_event = rs_on_event,
    .sync = rs_sync,
    .init = rs_init,
    .fini = rs_fini,
};
