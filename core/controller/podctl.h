/* core/controller/podctl — pods of one controller object (ReplicaSet,
 * DaemonSet): claim (adopt / release by selector), create from the
 * template, delete the least useful, status. */
#ifndef SKIFF_CORE_CONTROLLER_PODCTL_H
#define SKIFF_CORE_CONTROLLER_PODCTL_H

#include "controller/controller.h"

typedef struct skiff_podctl {
    skiff_ctrl_t *c;
    const cJSON *owner;          /* borrowed; has kind/apiVersion */
    const char *owner_kind, *owner_api;
    cJSON *active;               /* owned active pods matching the selector (copies) */
    void *sel;                   /* the owner's selector */
} skiff_podctl_t;

int skiff_podctl_claim(skiff_podctl_t *pc, skiff_error_t *err);
/* Create n pods in slow-start batches; returns how many were created (or <0). */
int skiff_podctl_create(skiff_podctl_t *pc, int n, skiff_error_t *err);
/* Delete n active pods, least useful first; returns how many. */
int skiff_podctl_delete(skiff_podctl_t *pc, int n, skiff_error_t *err);
/* Re-read the active pods from the cache. */
void skiff_podctl_refresh(skiff_podctl_t *pc);
/* Write ReplicaSet-style status when it changed. */
int skiff_podctl_status(skiff_podctl_t *pc, skiff_error_t *err);
void skiff_podctl_done(skiff_podctl_t *pc);

#endif
