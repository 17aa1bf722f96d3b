/* core/sched internals shared by the files of core/sched/ (not a public face). */
#ifndef SKIFF_CORE_SCHED_INT_H
#define SKIFF_CORE_SCHED_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <skiff/plugin.h>

#include "sched/sched.h"

/* ---- arena.c: a bump allocator; a view and everything in it live in one */
typedef struct sched_arena_chunk sched_arena_chunk_t;
typedef struct sched_arena {
    sched_arena_chunk_t *head;
    int failed;                 /* an allocation failed: the view is unusable */
} sched_arena_t;
void *sched_arena_alloc(sched_arena_t *a, size_t n);   /* zeroed; NULL on failure */
const char *sched_arena_str(sched_arena_t *a, const char *s); /* NULL s -> "" */
void sched_arena_free(sched_arena_t *a);

/* ---- view.c ----------------------------------------------------------- */
int sched_view_pod(sched_arena_t *a, const cJSON *obj, skiff_sched_pod_t *pod, skiff_error_t *err);
int sched_view_node(sched_arena_t *a, const cJSON *obj, skiff_sched_node_t *node,
                    skiff_error_t *err);
/* Scalar resource lookups/updates on a resources struct whose scalar array is
 * cache-owned (malloc'd, grown). */
int64_t sched_scalar_get(const skiff_sched_resources_t *r, const char *name);

/* ---- map.c: string -> pointer, open addressing ------------------------ */
typedef struct sched_map {
    struct sched_map_slot *slots;
    size_t cap, len, used;      /* used counts tombstones too */
} sched_map_t;
void *sched_map_get(const sched_map_t *m, const char *key);
int sched_map_put(sched_map_t *m, const char *key, void *val); /* key borrowed; -1 on OOM */
void *sched_map_del(sched_map_t *m, const char *key);          /* returns the value */
void sched_map_free(sched_map_t *m);
void sched_map_each(const sched_map_t *m, void (*fn)(void *ud, void *val), void *ud);

/* ---- pool.c: parallel-for over worker threads ------------------------- */
typedef struct sched_pool sched_pool_t;
typedef void (*sched_pool_fn)(void *ud, size_t begin, size_t end, int worker);
int sched_pool_new(int threads, sched_pool_t **out);
void sched_pool_free(sched_pool_t *p);
/* Call fn(ud, begin, end, worker) over chunks of [0, n) across the workers
 * and the caller; returns when all are done. `stop` (may be NULL) ends
 * early when set (checked between chunks). `work` estimates the plugin
 * calls involved: small jobs run on the caller alone. */
void sched_pool_run(sched_pool_t *p, size_t n, size_t work, sched_pool_fn fn, void *ud,
                    atomic_int *stop);
int sched_pool_size(const sched_pool_t *p); /* workers + caller */
/* Would sched_pool_run fan a job of `work` out to the workers? */
int sched_pool_parallel(const sched_pool_t *p, size_t work);

/* ---- records: what the cache and queue hold --------------------------- */
typedef struct sched_pod_rec {
    skiff_sched_pod_t view;
    sched_arena_t arena;
    cJSON *obj;
    char *key;                  /* "ns/name" */
    /* queue state */
    int where;                  /* SCHED_Q_* */
    int orphan;                 /* bound to a node the cache has not seen yet */
    size_t orphan_idx;
    size_t heap_idx;
    int attempts;
    int64_t queued_ns;          /* when it entered the active queue (order) */
    int64_t backoff_until_ns;
    int64_t unsched_since_ns;
    uint64_t seq;               /* tie-break for equal times */
    int profile;
    /* cache state */
    struct sched_node_rec *node; /* assumed or bound on */
    int assumed;                /* counted before its bind landed */
    int in_flight;              /* in a scheduling/binding cycle */
    int deleted;                /* deleted while in flight */
    size_t node_idx;            /* index in node->pods */
    size_t *label_pos;          /* per label: index in its label list (placed pods) */
    size_t *term_pos;           /* per indexed term: index in its term list */
    size_t n_term_pos;
    int refs;
    char *nominated;            /* node it is nominated to (nominate.c), NULL: none */
    struct sched_pod_rec *gc_next; /* on a list of dead records to free (sched.c) */
} sched_pod_rec_t;

enum { SCHED_Q_NONE = 0, SCHED_Q_ACTIVE, SCHED_Q_BACKOFF, SCHED_Q_UNSCHED };

typedef struct sched_node_rec {
    skiff_sched_node_t view;
    sched_arena_t arena;
    cJSON *obj;
    int present;                /* 0: removed from the cluster, kept while pods refer */
    const skiff_sched_pod_t **pods;
    sched_pod_rec_t **recs;
    size_t cap;
    skiff_sched_scalar_t *req_scalar; /* requested extended resources */
    sched_arena_t names;        /* their names (kept across node updates, unlike `arena`) */
    size_t n_req_scalar, cap_req_scalar;
    size_t snap_idx;
    size_t aff_idx;             /* in cache->aff_nodes while it has affinity pods */
} sched_node_rec_t;

/* What a cycle reads on every node it filters and scores (n_taints through
 * non_zero_memory of the view: resources, requested, scoring sums) spans
 * 128 bytes. Node records are placed so that this range starts on a cache
 * line: two lines per node instead of three (cache.c), and the framework
 * prefetches exactly those two. */
#define SCHED_NODE_HOT_OFF offsetof(skiff_sched_node_t, n_taints)
#define SCHED_NODE_HOT_LINES 2

/* ---- queue.c ----------------------------------------------------------- */
/* A heap entry: the pod and its ordering keys (a, b, seq ascending). */
typedef struct sched_qent {
    int64_t a, b;
    uint64_t seq;
    sched_pod_rec_t *p;
} sched_qent_t;

typedef struct sched_queue {
    sched_qent_t *active; size_t n_active, cap_active;
    sched_qent_t *backoff; size_t n_backoff, cap_backoff;
    sched_pod_rec_t **unsched; size_t n_unsched, cap_unsched;
    int64_t backoff_initial_ns, backoff_max_ns, flush_ns;
    uint64_t seq;
} sched_queue_t;
int sched_queue_add(sched_queue_t *q, sched_pod_rec_t *p, int64_t now);      /* -> active */
sched_pod_rec_t *sched_queue_pop(sched_queue_t *q);                          /* NULL: empty */
/* After a failed attempt: unschedulable set (or backoff when `retry_now`,
 * i.e. an event arrived during the cycle). */
int sched_queue_failed(sched_queue_t *q, sched_pod_rec_t *p, int64_t now, int retry_now);
void sched_queue_remove(sched_queue_t *q, sched_pod_rec_t *p);
/* Put an updated record back where its previous one was (SCHED_Q_*),
 * keeping its backoff and unschedulable times (copied by the caller). */
int sched_queue_restore(sched_queue_t *q, sched_pod_rec_t *p, int where, int64_t now);
/* A cluster event that may make unschedulable pods fit: all move to
 * active, or backoff while their backoff lasts. */
void sched_queue_move_all(sched_queue_t *q, int64_t now);
/* Backoff pods whose time has come -> active; unschedulable ones older than
 * flush -> active/backoff. Returns ns until the next such moment (or -1). */
int64_t sched_queue_tick(sched_queue_t *q, int64_t now);
void sched_queue_free(sched_queue_t *q);
int64_t sched_queue_backoff_ns(const sched_queue_t *q, int attempts);

/* ---- cache.c ----------------------------------------------------------- */
typedef struct sched_cache {
    sched_map_t nodes;          /* name -> sched_node_rec_t */
    sched_map_t pods;           /* "ns/name" -> sched_pod_rec_t (every known pod) */
    sched_node_rec_t **list;    /* present nodes, in add order (snapshot order) */
    size_t n_list, cap_list;
    const skiff_sched_node_t **snap; /* views of `list`, for the state */
    size_t n_bound;             /* pods counted on nodes */
    size_t n_affinity;          /* of which have (anti-)affinity terms */
    sched_map_t labels;         /* "key\x01value" -> sched_label_list_t (placed pods) */
    sched_node_rec_t **aff_nodes; /* nodes with pods that have (anti-)affinity */
    const skiff_sched_node_t **aff_snap;
    size_t n_aff_nodes, cap_aff_nodes;
    uint64_t node_gen;          /* bumped on node add/update/delete */
    sched_map_t terms;          /* first matchLabel "key\x01value" (or "") -> sched_term_list_t */
    struct sched_pod_rec **orphans; /* bound pods whose node has not arrived (watch order) */
    size_t n_orphans, cap_orphans;
    sched_map_t nominated;      /* node name -> pods nominated to it (nominate.c) */
    size_t n_nominated;
    struct sched_node_slab *slabs; /* node records' memory (cache.c) */
    struct sched_node_rec *free_recs;
} sched_cache_t;

/* nominate.c: pods nominated to a node after preempting there. */
int sched_nominate_set(sched_cache_t *c, struct sched_pod_rec *p, const char *node); /* "" clears */
void sched_nominate_clear(sched_cache_t *c, struct sched_pod_rec *p);
void sched_nominate_free(sched_cache_t *c);
/* `node` as `pod` should see it: plus the pods nominated to it with at
 * least pod's priority (pod itself excepted). Returns node itself when none
 * (scratch NULL), else tmp filled; free(*scratch) after use. */
const skiff_sched_node_t *sched_nominated_view(const sched_cache_t *c, const skiff_sched_node_t *node,
                                               const struct sched_pod_rec *pod, skiff_sched_node_t *tmp,
                                               void **scratch);
int sched_cache_orphan_add(sched_cache_t *c, struct sched_pod_rec *p);
void sched_cache_orphan_remove(sched_cache_t *c, struct sched_pod_rec *p);
/* Place the orphans bound to node n (just added or back). */
void sched_cache_adopt(sched_cache_t *c, sched_node_rec_t *n);

typedef struct sched_term_ref {
    struct sched_pod_rec *rec;
    int kind;
    size_t index;
    size_t slot;                /* index in rec->term_pos */
} sched_term_ref_t;
typedef struct sched_term_list {
    char *key;
    sched_term_ref_t *refs;
    size_t n, cap;
} sched_term_list_t;
int sched_terms_add(sched_cache_t *c, struct sched_pod_rec *p);
void sched_terms_remove(sched_cache_t *c, struct sched_pod_rec *p);
int sched_terms_each(const sched_cache_t *c, const skiff_sched_pod_t *pod,
                     int (*fn)(void *, const skiff_sched_pod_t *, const skiff_sched_node_t *, int, size_t),
                     void *ud);
void sched_terms_free(sched_cache_t *c);

/* label.c: placed pods by label, so a selector with matchLabels finds its
 * candidates without walking every pod. */
typedef struct sched_label_list {
    char *key;                  /* "key\x01value", owned */
    sched_pod_rec_t **recs;
    const skiff_sched_pod_t **pods;
    const skiff_sched_node_t **nodes;
    size_t n, cap;
} sched_label_list_t;
int sched_label_add(sched_cache_t *c, sched_pod_rec_t *p);
void sched_label_remove(sched_cache_t *c, sched_pod_rec_t *p);
size_t sched_label_lookup(const sched_cache_t *c, const char *key, const char *value,
                          const skiff_sched_pod_t *const **pods, const skiff_sched_node_t *const **nodes);
void sched_label_free(sched_cache_t *c);
/* Add or update a node (takes obj). *changed: anything a plugin looks at
 * differs (or the node is new), so unschedulable pods are worth a retry. */
sched_node_rec_t *sched_cache_node_set(sched_cache_t *c, cJSON *obj, int *changed, skiff_error_t *err);
int sched_cache_node_del(sched_cache_t *c, const char *name);
int sched_cache_pod_place(sched_cache_t *c, sched_pod_rec_t *p, sched_node_rec_t *n, int assumed);
void sched_cache_pod_unplace(sched_cache_t *c, sched_pod_rec_t *p);
void sched_cache_free(sched_cache_t *c);
void sched_pod_rec_unref(sched_pod_rec_t *p);

/* ---- framework.c -------------------------------------------------------- */
typedef struct sched_profile {
    char *name;
    skiff_sched_plugin_ref_t *plugins;
    size_t n_plugins;
    int percentage;
} sched_profile_t;

typedef struct sched_slot { const void *key; void *data; void (*free_fn)(void *); } sched_slot_t;
typedef struct sched_cycle {
    skiff_sched_state_t st;     /* first: plugins get &cycle->st */
    sched_slot_t slots[32];
    size_t n_slots;
    const sched_profile_t *prof;
    sched_pod_rec_t *pod;
    sched_node_rec_t *node;     /* chosen */
    unsigned char skip_filter[32], skip_score[32]; /* per plugin */
    unsigned char filt[32], scor[32]; /* plugins whose filter / score runs this cycle, in order */
    size_t n_filt, n_scor;
    int nom_ext;                /* nominated pods exist and a PreFilter
                                 * extension (AddPod) runs this cycle: their
                                 * nodes are filtered one by one, serially */
    /* permit */
    int waiting;                /* plugins still to allow */
    const void *wait_for[32];
    int64_t wait_deadline_ns;
    int rejected;
    char reject_reason[256];
    const char *reject_plugin;
    struct sched_cycle *next;   /* binding queue / waiting list */
    const sched_cache_t *cache; /* for pods_with_label (NULL in test states) */
    /* test states: lookups answered by walking the nodes */
    const skiff_sched_pod_t **t_pods;
    const skiff_sched_node_t **t_nodes;
    size_t t_cap;
} sched_cycle_t;

typedef struct sched_fw_result {
    int code;                   /* SKIFF_SCHED_* */
    char *message;              /* malloc'd FailedScheduling text when not success */
    sched_node_rec_t *node;
} sched_fw_result_t;

typedef void (*sched_filter_fn)(void *, skiff_sched_state_t *, const skiff_sched_pod_t *,
                                const skiff_sched_node_t *, skiff_sched_status_t *);
typedef int64_t (*sched_score_fn)(void *, skiff_sched_state_t *, const skiff_sched_pod_t *,
                                  const skiff_sched_node_t *, skiff_sched_status_t *);

enum { SCHED_NODE_UNSEEN = 0, SCHED_NODE_PASSED = 1, SCHED_NODE_FAILED = 2 };

typedef struct sched_fw {
    sched_pool_t *pool;
    size_t next_start;
    size_t last_processed;      /* nodes the previous cycle filtered (parallel or not) */
    uint64_t rng;
    /* this cycle's filter / score plugins, as (function, self) pairs in
     * profile order (the per-node loops call through these alone) */
    sched_filter_fn ffn[32];
    sched_score_fn sfn[32];
    void *fself[32], *sself[32];
    /* scratch reused across cycles */
    size_t cap;
    char (*reason)[256];        /* per snapshot node: failing reason (when FAILED) */
    unsigned char *visited;     /* per snapshot node: SCHED_NODE_* this cycle */
    size_t *feasible;           /* indices into the snapshot */
    const skiff_sched_node_t **fnodes; /* the feasible nodes' views (scoring) */
    int64_t *scores;            /* per plugin x feasible node */
    int64_t *total;
    size_t cap_scores;
    atomic_size_t n_feasible, n_processed;
    atomic_int stop, error;
    char error_msg[300];
} sched_fw_t;

void sched_cycle_init(sched_cycle_t *cy, const skiff_sched_handle_t *h, sched_cache_t *c,
                      const sched_profile_t *prof, sched_pod_rec_t *pod);
void sched_cycle_clear(sched_cycle_t *cy);
int sched_fw_schedule(sched_fw_t *fw, sched_cache_t *c, sched_cycle_t *cy, sched_fw_result_t *res);
void sched_fw_unreserve(sched_cycle_t *cy, const char *node);
void sched_fw_free(sched_fw_t *fw);

int64_t sched_now_ns(void);
/* sched.c: the state's preempt (nominate + evict through the sink). */
int sched_state_preempt(skiff_sched_state_t *st, const skiff_sched_pod_t *pod, const char *node_name,
                        const skiff_sched_pod_t *const *victims, size_t n_victims, skiff_error_t *err);

#endif
