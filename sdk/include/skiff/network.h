/* skiff/network.h — ops table of kind `network` (pod networking, after the
 * CNI verbs: ADD/DEL/CHECK; DEL is idempotent and called even after a failed
 * ADD). Filled in by the networking issue; 1.0 declares the table's shape.
 */
#ifndef SKIFF_NETWORK_H
#define SKIFF_NETWORK_H

#include <stdint.h>

#include "error.h"

typedef struct skiff_net_attach_req {
    uint32_t size;
    const char *pod_uid;
    const char *pod_namespace;
    const char *pod_name;
    const char *netns_path; /* e.g. /proc/PID/ns/net */
    const char *ifname;     /* e.g. "eth0" */
} skiff_net_attach_req_t;

typedef struct skiff_net_attach_res {
    uint32_t size;
    char ip[64];      /* pod IP, e.g. "10.244.1.5" */
    char gateway[64];
} skiff_net_attach_res_t;

typedef struct skiff_network_ops {
    uint32_t size;
    int (*add)(void *self, const skiff_net_attach_req_t *req, skiff_net_attach_res_t *res,
               skiff_error_t *err);
    int (*del)(void *self, const skiff_net_attach_req_t *req, skiff_error_t *err);
    int (*check)(void *self, const skiff_net_attach_req_t *req, skiff_error_t *err);
} skiff_network_ops_t;

#endif
