/* core/sim — simulated nodes (the `sim` component, in the spirit of kwok):
 * registers Node objects with Leases in kube-node-lease, keeps leases and
 * node status fresh, and takes pods bound to those nodes to Running/Ready
 * (pod IPs from each node's podCIDR) without starting any process; pods
 * deleted gracefully on them are finished. See docs/sim.md.
 *
 * Threads: one ticker thread (registration, lease and status heartbeats,
 * scanning a flat node table — no thread per node), a few pod workers fed by
 * a FIFO, and two watch threads (nodes, pods) of the API client.
 *
 * The CIDR/IP helpers below are pure functions, exposed for tests.
 */
#ifndef SKIFF_CORE_SIM_H
#define SKIFF_CORE_SIM_H

#include <stddef.h>
#include <stdint.h>

#include <skiff/error.h>

#include "config/config.h"

/* The component: started by skiff_cluster_assemble() when
 * `components = { sim = true; }`. It talks to the API server of this process
 * (skiff_api_component_server(), in-process) or, with `sim.server` set, to
 * that URL over HTTP. Errors: SKIFF_E_INVALID naming the key at fault. */
int skiff_sim_component_start(skiff_cluster_t *cl, const skiff_component_conf_t *conf,
                              void **state, skiff_error_t *err);
void skiff_sim_component_stop(void *state);

/* Counters of a running component (`state` from start), for benchmarks and
 * logs: nodes registered, pods taken to Running, graceful deletions
 * finished, jobs waiting (pods to start or finish). */
typedef struct skiff_sim_stats {
    uint64_t nodes_registered, pods_started, deletes_finished;
    size_t jobs_pending;
} skiff_sim_stats_t;
void skiff_sim_stats(void *state, skiff_sim_stats_t *out);

/* ---- IPv4 ranges -------------------------------------------------------- */

typedef struct skiff_sim_cidr {
    uint32_t base;   /* host order, host bits cleared */
    int prefix;      /* 0..32 */
} skiff_sim_cidr_t;

/* Parse "10.244.0.0/16". Host bits set ("10.244.1.0/16") are SKIFF_E_INVALID
 * as in Kubernetes ("must be a network address"). */
int skiff_sim_cidr_parse(const char *text, skiff_sim_cidr_t *out, skiff_error_t *err);
/* How many /sub_prefix ranges fit in c (0 when sub_prefix < c->prefix). */
uint64_t skiff_sim_cidr_count(const skiff_sim_cidr_t *c, int sub_prefix);
/* The index-th /sub_prefix range of c; SKIFF_E_INVALID when it does not fit
 * (the message says how many do). */
int skiff_sim_cidr_subnet(const skiff_sim_cidr_t *c, int sub_prefix, uint64_t index,
                          skiff_sim_cidr_t *out, skiff_error_t *err);
int skiff_sim_cidr_contains(const skiff_sim_cidr_t *c, uint32_t ip);
/* "a.b.c.d" / "a.b.c.d/p" into buf (16 / 19 bytes are enough). */
void skiff_sim_ip_format(uint32_t ip, char *buf, size_t len);
void skiff_sim_cidr_format(const skiff_sim_cidr_t *c, char *buf, size_t len);
/* Parse "a.b.c.d"; 0 or SKIFF_E_INVALID. */
int skiff_sim_ip_parse(const char *text, uint32_t *out);

/* A node's pod IP pool: offsets 2.. of its range (the network address and
 * .1, the bridge gateway, are never given out; nor the broadcast address),
 * at most 1024 addresses. Allocation is round-robin after the last one given
 * (as host-local IPAM does), so a released IP is not reused at once. */
#define SKIFF_SIM_POOL_MAX 1024
typedef struct skiff_sim_ippool {
    skiff_sim_cidr_t range;
    uint32_t first, last;     /* offsets given out: first..last */
    uint32_t next;            /* where the next search starts */
    uint32_t used_count;
    uint64_t used[SKIFF_SIM_POOL_MAX / 64];
} skiff_sim_ippool_t;

/* A range with no usable address (/31, /32) is SKIFF_E_INVALID. */
int skiff_sim_ippool_init(skiff_sim_ippool_t *p, const skiff_sim_cidr_t *range, skiff_error_t *err);
/* A free address, marked used; SKIFF_E_NOSPACE when the pool is full. */
int skiff_sim_ippool_alloc(skiff_sim_ippool_t *p, uint32_t *ip, skiff_error_t *err);
/* Mark an address in use (a pod found running after a restart); 0, or
 * SKIFF_E_EXISTS when it already was, SKIFF_E_INVALID outside the pool. */
int skiff_sim_ippool_mark(skiff_sim_ippool_t *p, uint32_t ip);
/* Give an address back; releasing one not in use is a no-op. */
void skiff_sim_ippool_release(skiff_sim_ippool_t *p, uint32_t ip);

#endif
