/* skiff/runtime.h — ops table of kind `runtime` (the node agent's container
 * runtime, after CRI: a pod sandbox separate from its containers, one request
 * struct per call so fields can be added). Filled in by the node agent issue;
 * 1.0 declares the table's shape.
 */
#ifndef SKIFF_RUNTIME_H
#define SKIFF_RUNTIME_H

#include <stdint.h>

#include "error.h"

struct cJSON;

typedef struct skiff_rt_sandbox_req {
    uint32_t size;
    const char *pod_uid;
    const char *pod_namespace;
    const char *pod_name;
    const struct cJSON *pod; /* borrowed */
} skiff_rt_sandbox_req_t;

typedef struct skiff_rt_container_req {
    uint32_t size;
    const char *sandbox_id;
    const char *name;
    const struct cJSON *container; /* the pod spec's container, borrowed */
} skiff_rt_container_req_t;

typedef struct skiff_runtime_ops {
    uint32_t size;
    /* ids written into caller buffers of `id_len` bytes */
    int (*sandbox_run)(void *self, const skiff_rt_sandbox_req_t *req, char *id, size_t id_len,
                       skiff_error_t *err);
    int (*sandbox_stop)(void *self, const char *sandbox_id, skiff_error_t *err);   /* idempotent */
    int (*sandbox_remove)(void *self, const char *sandbox_id, skiff_error_t *err); /* idempotent */
    int (*container_create)(void *self, const skiff_rt_container_req_t *req, char *id,
                            size_t id_len, skiff_error_t *err);
    int (*container_start)(void *self, const char *container_id, skiff_error_t *err);
    int (*container_stop)(void *self, const char *container_id, int64_t timeout_ms,
                          skiff_error_t *err);
    int (*container_remove)(void *self, const char *container_id, skiff_error_t *err);
    /* status as a cJSON object the caller frees with cJSON_Delete */
    int (*container_status)(void *self, const char *container_id, struct cJSON **out,
                            skiff_error_t *err);
} skiff_runtime_ops_t;

#endif
