/* core/sched — the scheduler (the face of core/sched/).
 *
 * A skiff_sched_t watches unbound pods and binds each to a node through the
 * framework of sdk/include/skiff/scheduler.h, run by profiles of scheduler
 * plugin instances. Implementation, one concern per file:
 *   view.c      pod/node cJSON -> skiff_sched_pod_t / skiff_sched_node_t, once
 *   arena.c     the bump allocator views live in
 *   map.c       string-keyed hash (pods by uid, nodes by name)
 *   queue.c     active heap (priority, then age), backoff heap, unschedulable set
 *   cache.c     nodes with requested resources kept incrementally; assumed pods
 *   pool.c      the worker threads filter and score are spread over
 *   framework.c one scheduling cycle of a profile (filter, score, select)
 *   nominate.c  pods nominated to a node by preemption, counted in filters
 *   message.c   FailedScheduling wording ("0/5 nodes are available: ...")
 *   sched.c     the scheduling thread, the binding thread and the event inbox
 *   component.c the `scheduler` config component (profiles from the config)
 *
 * Sources and sinks are interfaces so anything can drive the scheduler: the
 * API server's watch (pods, nodes) feeds it with skiff_sched_*_add/update/
 * delete; it reports through a skiff_sched_sink_t (bind, FailedScheduling
 * event + PodScheduled=False condition, Scheduled event). The benchmark
 * drives it with a fake source and binder in-process.
 *
 * Threads: the feeding calls may come from any thread (they queue events in
 * an inbox and return). One scheduling thread owns the queue and the cache;
 * filter/score fan out over `parallelism` workers; one binding thread runs
 * permit waits, pre_bind and bind and hands results back through the inbox.
 * Sink callbacks run on the scheduling or binding thread.
 */
#ifndef SKIFF_CORE_SCHED_H
#define SKIFF_CORE_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include <skiff/scheduler.h>

struct cJSON;

typedef struct skiff_sched skiff_sched_t;

/* One plugin instance in a profile. `name` is stamped on its statuses. */
typedef struct skiff_sched_plugin_ref {
    const char *name;                  /* borrowed, must outlive the scheduler */
    void *self;
    const skiff_scheduler_ops_t *ops;
    int64_t weight;                    /* score weight, >= 1 (0 = 1) */
} skiff_sched_plugin_ref_t;

typedef struct skiff_sched_profile_conf {
    const char *name;                  /* spec.schedulerName it serves */
    const skiff_sched_plugin_ref_t *plugins; /* copied by skiff_sched_new */
    size_t n_plugins;
    int percentage_of_nodes_to_score;  /* 0: adaptive as Kubernetes (50 - nodes/125, min 5) */
} skiff_sched_profile_conf_t;

/* Where results go. Every slot optional except bind (the default binding,
 * handed to plugins as skiff_sched_handle_t.bind). Pods are borrowed views.
 * `failed`: a FailedScheduling event with `message` and condition
 *   PodScheduled=False reason Unschedulable (or SchedulerError when
 *   `error`) — Kubernetes' wording is built by the scheduler.
 * `bound`: the bind landed (the "Scheduled" event: "Successfully assigned
 *   ns/name to node"). */
typedef struct skiff_sched_sink {
    void *ud;
    int (*bind)(void *ud, const skiff_sched_pod_t *pod, const char *node, skiff_error_t *err);
    void (*failed)(void *ud, const skiff_sched_pod_t *pod, int error, const char *message);
    void (*bound)(void *ud, const skiff_sched_pod_t *pod, const char *node);
    /* Preemption: set pod's status.nominatedNodeName to `node` ("" clears
     * it), then evict each victim (graceful delete, Preempted event). */
    int (*preempt)(void *ud, const skiff_sched_pod_t *pod, const char *node,
                   const skiff_sched_pod_t *const *victims, size_t n_victims, skiff_error_t *err);
} skiff_sched_sink_t;

typedef struct skiff_sched_options {
    const skiff_sched_profile_conf_t *profiles;
    size_t n_profiles;
    int parallelism;                   /* worker threads for filter/score; 0: 2 */
    int bind_workers;                  /* binding threads (pre_bind, bind at once); 0: 1, at most 16 */
    int64_t backoff_initial_ms;        /* 0: 1000 */
    int64_t backoff_max_ms;            /* 0: 10000 */
    int64_t unschedulable_flush_ms;    /* 0: 300000 (pods retried at least this often) */
    uint64_t seed;                     /* tie-breaking among equal scores; 0: fixed */
} skiff_sched_options_t;

/* Create (threads not started). Profiles and plugin refs are copied (names
 * borrowed). SKIFF_E_INVALID for no profiles, duplicate profile names, a
 * profile without a filter or bind plugin... with a sentence saying which. */
int skiff_sched_new(const skiff_sched_options_t *opts, const skiff_sched_sink_t *sink,
                    skiff_sched_t **out, skiff_error_t *err);
int skiff_sched_start(skiff_sched_t *s, skiff_error_t *err);
/* Stops threads (idempotent); pods waiting at permit are rejected. */
void skiff_sched_stop(skiff_sched_t *s);
void skiff_sched_free(skiff_sched_t *s); /* stops first; NULL is fine */

/* Feeding. The scheduler takes ownership of `obj` (even on error). A pod
 * with spec.nodeName set is counted on its node; an unbound pod whose
 * schedulerName is one of the profiles is queued (others are ignored and
 * stay Pending, as with kube-scheduler). Updates replace the whole object.
 * Errors: SKIFF_E_INVALID (the sentence says which field), SKIFF_E_NOSPACE. */
int skiff_sched_node_add(skiff_sched_t *s, struct cJSON *obj, skiff_error_t *err);
int skiff_sched_node_update(skiff_sched_t *s, struct cJSON *obj, skiff_error_t *err);
int skiff_sched_node_delete(skiff_sched_t *s, const char *name, skiff_error_t *err);
int skiff_sched_pod_add(skiff_sched_t *s, struct cJSON *obj, skiff_error_t *err);
int skiff_sched_pod_update(skiff_sched_t *s, struct cJSON *obj, skiff_error_t *err);
int skiff_sched_pod_delete(skiff_sched_t *s, const char *ns, const char *name, skiff_error_t *err);

/* Counters (approximate while running). */
typedef struct skiff_sched_stats {
    uint64_t attempts;      /* scheduling cycles run */
    uint64_t scheduled;     /* binds that landed */
    uint64_t unschedulable; /* cycles that found no node */
    uint64_t errors;        /* cycles ending in an error (bind failure included) */
    size_t active, backoff, unschedulable_pods; /* queue sizes */
    size_t nodes, pods;     /* in the cache (pods: bound + assumed) */
} skiff_sched_stats_t;
void skiff_sched_stats(skiff_sched_t *s, skiff_sched_stats_t *out);

/* Block until the inbox, active queue and binding queue are empty (pods in
 * backoff or unschedulable do not count) or timeout_ms passes; 0 or
 * SKIFF_E_INTERNAL-free -ETIMEDOUT. */
int skiff_sched_wait_idle(skiff_sched_t *s, int64_t timeout_ms);

/* The handle plugins get (permit allow/reject, default bind). */
const skiff_sched_handle_t *skiff_sched_handle(skiff_sched_t *s);

/* ---- pieces with their own tests -------------------------------------- */

/* Kubernetes' numFeasibleNodesToFind: all nodes below 100; otherwise
 * percentage (adaptive 50 - n/125, floor 5, when 0) of n, at least 100. */
size_t skiff_sched_nodes_to_find(size_t n_nodes, int percentage);

/* FailedScheduling message for `n_nodes` nodes whose filter reasons
 * (status reasons, '\n'-separated within one) are given; `prefilter` a
 * PreFilter rejection (NULL: none) used instead of the per-node reasons,
 * `postfilter` (NULL: none) appended. Returns a malloc'd string or NULL. */
char *skiff_sched_fit_message(size_t n_nodes, const char *const *node_reasons, size_t n_reasons,
                              const char *prefilter, const char *postfilter);

/* Views outside a scheduler (tests, plugins' tests): parse `obj` (borrowed,
 * must outlive the view) into a malloc'd view; free with the matching
 * free. SKIFF_E_INVALID names the bad field. */
int skiff_sched_pod_view(const struct cJSON *obj, skiff_sched_pod_t **out, skiff_error_t *err);
void skiff_sched_pod_view_free(skiff_sched_pod_t *pod);
int skiff_sched_node_view(const struct cJSON *obj, skiff_sched_node_t **out, skiff_error_t *err);
void skiff_sched_node_view_free(skiff_sched_node_t *node);

/* A cycle state outside a scheduler, for plugin tests: state_get/put work
 * as in a cycle, `nodes` is the given array (borrowed). Free with
 * skiff_sched_state_free (runs the stored free functions). NULL on OOM. */
skiff_sched_state_t *skiff_sched_state_new(const skiff_sched_node_t *const *nodes, size_t n);
void skiff_sched_state_free(skiff_sched_state_t *st);

#endif
