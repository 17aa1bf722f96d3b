/* core/sim — shared between the component's files (not a public face). */
#ifndef SKIFF_CORE_SIM_INTERNAL_H
#define SKIFF_CORE_SIM_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "api/client.h"
#include "sim/sim.h"

#define SIM_LOG "sim"
#define SIM_MAX_WORKERS 16

typedef struct sim_node {
    char name[64];
    char ip[16];             /* InternalIP */
    char uid[64];            /* of the Node object, for the Lease's ownerReference */
    skiff_sim_ippool_t pool; /* pod IPs (guarded by sim->mu) */
    int has_cidr;            /* pool is set up from a podCIDR (guarded; 0 while waiting for node IPAM) */
    int stopped;             /* annotated sim.skiff.dev/heartbeat=stop (guarded) */
    int registered, gone;    /* gone: deleted by someone; heartbeats stop */
    int64_t next_lease, next_status; /* monotonic ms (ticker thread only) */
    char since[32];          /* lastTransitionTime of the conditions */
} sim_node_t;

enum { SIM_POD_QUEUED = 1, SIM_POD_RUNNING, SIM_POD_DELETING, SIM_POD_DONE };

typedef struct sim_pod {
    struct sim_pod *next;    /* hash chain */
    char *key;               /* "namespace/name" */
    char uid[64];
    int node;
    uint32_t ip;             /* 0: none given */
    int state;
    unsigned gen;            /* sim->pod_gen when last seen */
} sim_pod_t;

enum { SIM_JOB_START = 1, SIM_JOB_DELETE };

typedef struct sim_job {
    int kind;
    int64_t due;             /* monotonic ms */
    uint64_t seq;            /* FIFO among equal due times */
    char *key;               /* "namespace/name" */
    char uid[64];
    cJSON *containers;       /* START: spec.containers, owned */
    cJSON *init;             /* START: spec.initContainers (or NULL), owned */
} sim_job_t;

typedef struct sim {
    skiff_api_client_t *client;
    /* settings */
    int n;
    char prefix[48];
    char cpu[32], memory[32], storage[32];
    int64_t pods, zones, workers;
    int64_t heartbeat_ms, status_ms, delay_ms;
    skiff_sim_cidr_t pod_cidr, node_cidr;
    int wait_cidr;           /* wait_pod_cidr: nodes take spec.podCIDR from the node IPAM controller */
    cJSON *labels, *taints;  /* extra labels object, taints array */

    sim_node_t *nodes;
    pthread_mutex_t mu;
    pthread_cond_t cond;     /* jobs pushed, or stopping */
    int stopping;
    pthread_t ticker, worker[SIM_MAX_WORKERS];
    int nworkers, ticker_started;

    sim_pod_t **buckets;     /* guarded by mu */
    size_t nbuckets;
    sim_job_t **heap;        /* min-heap on (due, seq), guarded by mu */
    size_t nheap, capheap;
    uint64_t seq;

    skiff_api_client_watch_t *wnodes, *wpods; /* ticker thread */
    int wnodes_ended, wpods_ended; /* guarded by mu */
    /* Where each watch resumes (the last resourceVersion seen, guarded by
     * mu); "" after a 410 = list again. After a pod re-list, the first
     * BOOKMARK sweeps pods the re-list did not show (deleted meanwhile). */
    char nodes_rv[32], pods_rv[32];
    unsigned pod_gen;
    int pods_sweep;

    /* warnings: at most 20 per 10 s (an unreachable server would otherwise
     * log one line per node per heartbeat) */
    pthread_mutex_t warn_mu;
    int64_t warn_window;
    unsigned warn_count, warn_dropped;

    /* counters (guarded by mu): for logs and the benchmark */
    uint64_t started_pods, finished_deletes, registered_nodes;
} sim_t;

int64_t sim_now_ms(void);
/* RFC 3339 "2006-01-02T15:04:05Z" and MicroTime "2006-01-02T15:04:05.000000Z". */
void sim_time(char *buf, size_t len);
void sim_microtime(char *buf, size_t len);
/* The index of our node called `name`, or -1. */
int sim_node_index(const sim_t *s, const char *name);

/* Remember the resourceVersion of a watch event (mu held); ERROR (410
 * Expired) clears it so the next watch lists again. */
void sim_note_rv(char *rv, size_t len, const char *type, const cJSON *obj);

/* A rate-limited warning (any lock may be held). */
void sim_warn(sim_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* pods.c */
void sim_pods_watch_cb(void *ud, const char *type, const char *object, size_t len);
void *sim_worker_main(void *arg);
void sim_pods_free(sim_t *s);

#endif
