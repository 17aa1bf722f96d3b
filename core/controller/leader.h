/* core/controller/leader — leader election through a coordination.k8s.io/v1
 * Lease (see leader.c). on_start runs on the elector's thread when this
 * process becomes the leader, on_stop when it stops being it (lost lease
 * or skiff_leader_stop); they alternate, starting with on_start. */
#ifndef SKIFF_CORE_CONTROLLER_LEADER_H
#define SKIFF_CORE_CONTROLLER_LEADER_H

#include <stdint.h>

#include "controller/controller.h"

typedef struct skiff_leader skiff_leader_t;

typedef struct skiff_leader_config {
    skiff_api_client_t *client;   /* borrowed */
    const char *lease_namespace;  /* NULL = kube-system */
    const char *lease_name;       /* NULL = kube-controller-manager */
    const char *identity;         /* copied */
    int64_t lease_duration_ms, renew_deadline_ms, retry_period_ms;
    void (*on_start)(void *ud);
    void (*on_stop)(void *ud);
    void *ud;
} skiff_leader_config_t;

/* SKIFF_E_INVALID unless retry_period < renew_deadline < lease_duration. */
int skiff_leader_start(const skiff_leader_config_t *cfg, skiff_leader_t **out, skiff_error_t *err);
int skiff_leader_is_leader(skiff_leader_t *l);
/* Stop campaigning; a leader runs on_stop and releases the Lease. NULL is fine. */
void skiff_leader_stop(skiff_leader_t *l);

#endif
