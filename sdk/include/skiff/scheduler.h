/* skiff/scheduler.h — ops table of kind `scheduler`: one plugin fills any
 * subset of the framework's extension points (after kube-scheduler's
 * framework/interface.go). The scheduler issue fills in the pod/node views;
 * this is the 1.0 shape of the table. Objects are borrowed cJSON trees.
 */
#ifndef SKIFF_SCHEDULER_H
#define SKIFF_SCHEDULER_H

#include <stdint.h>

#include "error.h"

struct cJSON;

typedef enum skiff_sched_code {
    SKIFF_SCHED_SUCCESS = 0,
    SKIFF_SCHED_UNSCHEDULABLE = 1,              /* may fit after a cluster change */
    SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE = 2, /* preemption won't help */
    SKIFF_SCHED_ERROR = 3,                      /* internal error */
    SKIFF_SCHED_SKIP = 4,                       /* plugin not relevant for this pod */
    SKIFF_SCHED_WAIT = 5,                       /* permit: wait */
} skiff_sched_code_t;

typedef struct skiff_sched_status {
    skiff_sched_code_t code;
    char reason[256];
} skiff_sched_status_t;

typedef struct skiff_sched_pod skiff_sched_pod_t;   /* host-owned view of a pod */
typedef struct skiff_sched_node skiff_sched_node_t; /* host-owned view of a node */
typedef struct skiff_sched_state skiff_sched_state_t; /* per-cycle scratch */

typedef struct skiff_scheduler_ops {
    uint32_t size;
    void (*pre_filter)(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                       skiff_sched_status_t *out);
    void (*filter)(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                   const skiff_sched_node_t *node, skiff_sched_status_t *out);
    void (*post_filter)(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                        skiff_sched_status_t *out);
    void (*pre_score)(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                      skiff_sched_status_t *out);
    int64_t (*score)(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                     const skiff_sched_node_t *node, skiff_sched_status_t *out);
    void (*normalize_score)(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                            int64_t *scores, size_t n, skiff_sched_status_t *out);
    void (*reserve)(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                    const char *node_name, skiff_sched_status_t *out);
    void (*unreserve)(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                      const char *node_name); /* idempotent */
    void (*permit)(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                   const char *node_name, int64_t *wait_ms, skiff_sched_status_t *out);
    void (*pre_bind)(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                     const char *node_name, skiff_sched_status_t *out);
    void (*bind)(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                 const char *node_name, skiff_sched_status_t *out);
} skiff_scheduler_ops_t;

#endif
