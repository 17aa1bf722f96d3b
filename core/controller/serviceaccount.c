/* core/controller/serviceaccount — kube-controller-manager's
 * serviceaccount controller: every active namespace has a ServiceAccount
 * named "default" (what pods run as when they name none, and what
 * `kubectl create token default` asks for). It is created when a namespace
 * appears and again when someone deletes it; a namespace being deleted gets
 * none. Key: the namespace's name. */
#include <stdio.h>
#include <string.h>

#include "controller/controller.h"

static const char *const sa_watches[] = { "namespaces", "serviceaccounts", NULL };

static void sa_on_event(skiff_ctrl_t *c, const char *resource, skiff_ev_t ev, const cJSON *obj, const cJSON *old)
{
    (void)old;
    if (strcmp(resource, "namespaces") == 0) {
        const char *name = skiff_obj_str(obj, "metadata.name");
        if (ev != SKIFF_EV_DELETE && name) skiff_ctrl_enqueue(c, name);
        return;
    }
    /* only the deletion of a "default" matters: it is made again */
    const char *name = skiff_obj_str(obj, "metadata.name");
    const char *ns = skiff_obj_str(obj, "metadata.namespace");
    if (ev == SKIFF_EV_DELETE && name && ns && strcmp(name, "default") == 0) skiff_ctrl_enqueue(c, ns);
}

static int sa_sync(skiff_ctrl_t *c, const char *key, skiff_error_t *err)
{
    void *hold = NULL;
    const cJSON *ns = skiff_informer_borrow(skiff_ctrl_informer(c, "namespaces"), key, &hold);
    /* gone, or being deleted: kube's controller makes none either */
    int active = ns && !cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ns, "metadata"),
                                                         "deletionTimestamp");
    const char *phase = ns ? skiff_obj_str(ns, "status.phase") : NULL;
    if (phase && strcmp(phase, "Terminating") == 0) active = 0;
    if (hold) skiff_informer_unhold(hold);
    if (!active) return 0;
    char sakey[320];
    snprintf(sakey, sizeof sakey, "%s/default", key);
    cJSON *sa = skiff_informer_get(skiff_ctrl_informer(c, "serviceaccounts"), sakey);
    if (sa) {
        cJSON_Delete(sa);
        return 0;
    }
    char path[320];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/serviceaccounts", key);
    int rc = skiff_api_client_create(skiff_ctrl_client(c), path,
                                     "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\","
                                     "\"metadata\":{\"name\":\"default\"}}",
                                     NULL, err);
    /* already there (the informer lags), or the namespace went meanwhile */
    if (rc == SKIFF_E_EXISTS || rc == SKIFF_E_NOTFOUND) return 0;
    return rc < 0 ? rc : 0;
}

const skiff_controller_t skiff_controller_serviceaccount = {
    .name = "serviceaccount",
    .watches = sa_watches,
    .on_event = sa_on_event,
    .sync = sa_sync,
};
