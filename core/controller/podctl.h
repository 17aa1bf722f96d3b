/* core/controller/podctl — pods of one controller object (a ReplicaSet):
 * claim (adopt / release by selector), create from the template, delete the
 * least useful, status. Pods are read from the informer cache through its
 * controller and orphan indexes, as borrowed views (no copies). */
#ifndef SKIFF_CORE_CONTROLLER_PODCTL_H
#define SKIFF_CORE_CONTROLLER_PODCTL_H

#include "controller/controller.h"

typedef struct skiff_podctl {
    skiff_ctrl_t *c;
    const cJSON *owner;          /* borrowed; has kind/apiVersion */
    const char *owner_kind, *owner_api;
    const cJSON **active;        /* nactive owned active pods matching the selector: */
    size_t nactive;              /*   borrowed from `owned` or `adopted` */
    skiff_objs_t owned;          /* the cache's view of the owned pods */
    cJSON *adopted;              /* pods adopted this sync (the API's answers) */
    void *sel;                   /* the owner's selector */
} skiff_podctl_t;

int skiff_podctl_claim(skiff_podctl_t *pc, skiff_error_t *err);
/* Create n pods in slow-start batches; returns how many were created (or <0). */
int skiff_podctl_create(skiff_podctl_t *pc, int n, skiff_error_t *err);
/* The n least useful active pods, in the order to delete them (Kubernetes'
 * ActivePods order): *out (free() it) gets pointers into pc->active.
 * Returns how many (<= n), or <0. */
int skiff_podctl_victims(skiff_podctl_t *pc, int n, const cJSON ***out, skiff_error_t *err);
/* Delete these pods (from skiff_podctl_victims) in order, stopping at the
 * first failure; returns how many went (a pod already gone counts, and gets
 * missing[i] = 1 when missing is not NULL). */
int skiff_podctl_delete_pods(skiff_podctl_t *pc, const cJSON *const *pods, int n, int *missing, skiff_error_t *err);
/* Delete n active pods, least useful first; returns how many. */
int skiff_podctl_delete(skiff_podctl_t *pc, int n, skiff_error_t *err);
/* Re-read the active pods from the cache. */
void skiff_podctl_refresh(skiff_podctl_t *pc);
/* Write ReplicaSet-style status when it changed. */
int skiff_podctl_status(skiff_podctl_t *pc, skiff_error_t *err);
void skiff_podctl_done(skiff_podctl_t *pc);

#endif
