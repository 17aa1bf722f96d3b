/* skiff/scheduler.h — ops table of kind `scheduler`: one plugin fills any
 * subset of the framework's extension points (after kube-scheduler's
 * framework/interface.go), plus the plain C views of pods and nodes the
 * host hands to those points.
 *
 * Views. The host parses each pod and node ONCE (when it is added or
 * updated) into a skiff_sched_pod_t / skiff_sched_node_t, so plugins never
 * parse JSON on the hot path. Views, every array and string in them and the
 * borrowed cJSON `object` are host-owned and read-only for plugins; they are
 * valid for the duration of the call they are passed to (a plugin that keeps
 * something copies it). A node's `requested`, `pods` and `n_pods` include
 * pods the scheduler has assumed onto it but whose bind has not landed yet.
 * Every view struct starts with `size` (sizeof as the host was built): a
 * plugin reads a field appended in a later minor only if it lies within it.
 *
 * Extension points, in the order a scheduling cycle runs them (each plugin
 * of the profile in config order): pre_filter, filter (per node, run on
 * several worker threads at once: filter and score must be thread-safe and
 * must not write to shared state), post_filter (only when no node fits),
 * pre_score, score (0..100 per node, also parallel), normalize_score, then
 * reserve, permit; the binding cycle (another thread) runs pre_bind and
 * bind (several binding cycles at once, as kube-scheduler's binding
 * goroutines, when the scheduler's bind_workers > 1: pre_bind and bind must
 * be thread-safe); unreserve runs on every plugin that has it when anything after
 * reserve fails (it must be idempotent and cope with a reserve that never
 * ran).
 *
 * Statuses. `code` keeps "may fit after a cluster change" (UNSCHEDULABLE)
 * apart from "no cluster change on this node will help" (UNRESOLVABLE),
 * errors and skip. `reason` is what `kubectl describe` shows, in
 * Kubernetes' wording ("Insufficient cpu"); a plugin with several reasons
 * for one node separates them with '\n' ("Insufficient cpu\nInsufficient
 * memory") and the host counts each. SKIP from pre_filter skips that
 * plugin's filter for the pod; SKIP from pre_score skips its score.
 * The host stamps the plugin's instance name on a status for its logs.
 */
#ifndef SKIFF_SCHEDULER_H
#define SKIFF_SCHEDULER_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

#define SKIFF_SCHED_MAX_SCORE 100

/* ---- building blocks of the views ------------------------------------ */

typedef struct skiff_sched_kv {
    const char *key;
    const char *value;
} skiff_sched_kv_t;

/* An extended resource ("nvidia.com/gpu", "hugepages-2Mi"): value in the
 * resource's own units (whole units for integer resources; the host keeps
 * milli-units internally only for cpu). */
typedef struct skiff_sched_scalar {
    const char *name;
    int64_t value;
} skiff_sched_scalar_t;

typedef struct skiff_sched_resources {
    int64_t milli_cpu;          /* cpu in milli-cores */
    int64_t memory;             /* bytes */
    int64_t ephemeral_storage;  /* bytes */
    int64_t pods;               /* allocatable: max pods; pod requests: 1 */
    const skiff_sched_scalar_t *scalar; /* extended resources, n_scalar of them */
    size_t n_scalar;
} skiff_sched_resources_t;

typedef enum skiff_sched_taint_effect {
    SKIFF_SCHED_EFFECT_ALL = 0,               /* toleration with no effect: matches every effect */
    SKIFF_SCHED_EFFECT_NO_SCHEDULE = 1,
    SKIFF_SCHED_EFFECT_PREFER_NO_SCHEDULE = 2,
    SKIFF_SCHED_EFFECT_NO_EXECUTE = 3,
} skiff_sched_taint_effect_t;

typedef struct skiff_sched_taint {
    const char *key;
    const char *value;          /* "" when unset */
    skiff_sched_taint_effect_t effect;
} skiff_sched_taint_t;

typedef enum skiff_sched_toleration_op {
    SKIFF_SCHED_TOL_EQUAL = 0,  /* the default */
    SKIFF_SCHED_TOL_EXISTS = 1,
} skiff_sched_toleration_op_t;

typedef struct skiff_sched_toleration {
    const char *key;            /* "" with EXISTS: tolerates every taint */
    skiff_sched_toleration_op_t op;
    const char *value;          /* "" when unset */
    skiff_sched_taint_effect_t effect; /* ALL when unset */
    int64_t toleration_seconds; /* -1 when unset */
} skiff_sched_toleration_t;

/* Operators of node selector requirements and label selector expressions. */
typedef enum skiff_sched_op {
    SKIFF_SCHED_OP_IN = 1,
    SKIFF_SCHED_OP_NOT_IN = 2,
    SKIFF_SCHED_OP_EXISTS = 3,
    SKIFF_SCHED_OP_DOES_NOT_EXIST = 4,
    SKIFF_SCHED_OP_GT = 5,      /* node selectors only; one integer value */
    SKIFF_SCHED_OP_LT = 6,
} skiff_sched_op_t;

typedef struct skiff_sched_requirement {
    const char *key;
    skiff_sched_op_t op;
    const char *const *values;
    size_t n_values;
} skiff_sched_requirement_t;

/* One nodeSelectorTerm: every expression and field must match (AND). */
typedef struct skiff_sched_node_term {
    const skiff_sched_requirement_t *exprs;   /* against node labels */
    size_t n_exprs;
    const skiff_sched_requirement_t *fields;  /* against node fields: metadata.name */
    size_t n_fields;
} skiff_sched_node_term_t;

typedef struct skiff_sched_preferred_node_term {
    int32_t weight;             /* 1..100 */
    skiff_sched_node_term_t term;
} skiff_sched_preferred_node_term_t;

/* A metav1.LabelSelector: matchLabels AND matchExpressions. `empty` is a
 * selector written as {} (matches everything); `null` when absent
 * (matches nothing). */
typedef struct skiff_sched_label_selector {
    int present;                /* 0: the selector was absent (matches nothing) */
    const skiff_sched_kv_t *match_labels;
    size_t n_match_labels;
    const skiff_sched_requirement_t *exprs;
    size_t n_exprs;
} skiff_sched_label_selector_t;

typedef struct skiff_sched_pod_term {
    skiff_sched_label_selector_t selector;
    const char *const *namespaces; /* empty: the pod's own namespace */
    size_t n_namespaces;
    int all_namespaces;            /* namespaceSelector: {} */
    const char *topology_key;
} skiff_sched_pod_term_t;

typedef struct skiff_sched_weighted_pod_term {
    int32_t weight;
    skiff_sched_pod_term_t term;
} skiff_sched_weighted_pod_term_t;

typedef struct skiff_sched_pod_affinity {
    const skiff_sched_pod_term_t *required;
    size_t n_required;
    const skiff_sched_weighted_pod_term_t *preferred;
    size_t n_preferred;
} skiff_sched_pod_affinity_t;

typedef enum skiff_sched_unsatisfiable {
    SKIFF_SCHED_DO_NOT_SCHEDULE = 0,
    SKIFF_SCHED_SCHEDULE_ANYWAY = 1,
} skiff_sched_unsatisfiable_t;

typedef struct skiff_sched_spread {
    int32_t max_skew;
    const char *topology_key;
    skiff_sched_unsatisfiable_t when_unsatisfiable;
    skiff_sched_label_selector_t selector;
    int32_t min_domains;        /* 1 when unset */
} skiff_sched_spread_t;

/* ---- the views ---------------------------------------------------------- */

struct skiff_sched_pod {
    uint32_t size;
    const char *namespace_;
    const char *name;
    const char *uid;
    const char *scheduler_name;   /* "default-scheduler" when unset */
    int32_t priority;             /* spec.priority, 0 when unset */
    int64_t created_ns;           /* when the scheduler first saw the pod */
    skiff_sched_resources_t requests; /* effective request, as Kubernetes computes it:
                                         max(sum of containers, each init container)
                                         + overhead; pods = 1 */
    int64_t non_zero_milli_cpu;   /* requests with Kubernetes' defaults for scoring */
    int64_t non_zero_memory;      /* (100m cpu, 200Mi memory when a container asks none) */
    const char *node_name;        /* spec.nodeName, "" when unset */
    const skiff_sched_kv_t *labels;
    size_t n_labels;
    const skiff_sched_kv_t *node_selector;
    size_t n_node_selector;
    const skiff_sched_toleration_t *tolerations;
    size_t n_tolerations;
    /* spec.affinity.nodeAffinity */
    int has_required_node_affinity; /* requiredDuringScheduling... present */
    const skiff_sched_node_term_t *required_terms; /* OR of terms */
    size_t n_required_terms;
    const skiff_sched_preferred_node_term_t *preferred_terms;
    size_t n_preferred_terms;
    skiff_sched_pod_affinity_t affinity;      /* spec.affinity.podAffinity */
    skiff_sched_pod_affinity_t anti_affinity; /* spec.affinity.podAntiAffinity */
    const skiff_sched_spread_t *spread;       /* spec.topologySpreadConstraints */
    size_t n_spread;
    const struct cJSON *object;   /* the whole pod, borrowed */
    /* appended (preemption): check SKIFF_VIEW_HAS before reading */
    int preempt_never;            /* spec.preemptionPolicy is Never */
    const char *nominated_node_name; /* status.nominatedNodeName, "" when unset */
    int64_t start_time_ns;        /* status.startTime (Unix ns), 0 when unset */
    int terminating;              /* metadata.deletionTimestamp is set */
};

/* True when a view (pod or node) has `field` (an older host's may not). */
#define SKIFF_VIEW_HAS(v, type, field) \
    ((v) != NULL && offsetof(type, field) + sizeof((v)->field) <= (v)->size)

struct skiff_sched_node {
    uint32_t size;
    const char *name;
    const skiff_sched_kv_t *labels;
    size_t n_labels;
    const skiff_sched_taint_t *taints;
    size_t n_taints;
    int unschedulable;            /* spec.unschedulable */
    skiff_sched_resources_t allocatable;
    skiff_sched_resources_t requested;   /* sum over pods on the node, assumed included */
    int64_t non_zero_milli_cpu;   /* the same with Kubernetes' scoring defaults */
    int64_t non_zero_memory;
    const skiff_sched_pod_t *const *pods; /* pods on the node (bound and assumed) */
    size_t n_pods;
    size_t n_pods_with_affinity;  /* how many of them have (anti-)affinity terms */
    const struct cJSON *object;   /* the whole node, borrowed */
};

/* ---- per-cycle state and the host handle ------------------------------ */

/* What a plugin may ask of the framework outside its ops (valid as long as
 * the scheduler runs; a plugin may keep the pointer). */
typedef struct skiff_sched_handle {
    uint32_t size;
    void *host_data;
    /* The default binding: the pod's binding subresource through the API.
     * 0 or a negative code with err filled. */
    int (*bind)(const struct skiff_sched_handle *h, const skiff_sched_pod_t *pod,
                const char *node_name, skiff_error_t *err);
    /* Let a pod waiting at Permit go on (as far as plugin `self` is
     * concerned) or reject it. SKIFF_E_NOTFOUND when no such pod waits. */
    int (*permit_allow)(const struct skiff_sched_handle *h, const char *pod_uid, const void *self);
    int (*permit_reject)(const struct skiff_sched_handle *h, const char *pod_uid,
                         const void *self, const char *reason);
} skiff_sched_handle_t;

/* One scheduling cycle's scratch and snapshot. Plugins keep PreFilter
 * results here with state_put (keyed by the plugin's `self`); the host
 * frees them with `free_fn` when the cycle (including binding) ends.
 * state_get is safe from filter/score on any worker thread; state_put only
 * from the single-threaded points (pre_filter, pre_score, reserve...).
 * `nodes` is the snapshot of every node this cycle (not just the ones
 * filtered), for plugins that count pods per topology domain. A plugin
 * that uses slots declares a non-zero instance_size, so that its `self`
 * is a unique key (instances without a block may all get the same self).
 * `n_pods_with_affinity` sums the nodes' counts, so plugins can tell at
 * once that no pod in the cluster has (anti-)affinity terms. */
struct skiff_sched_state {
    uint32_t size;
    const skiff_sched_handle_t *handle;
    const skiff_sched_node_t *const *nodes;
    size_t n_nodes;
    void *(*state_get)(const skiff_sched_state_t *st, const void *self);
    /* Takes ownership of data (free_fn called at once on failure). */
    int (*state_put)(skiff_sched_state_t *st, const void *self, void *data,
                     void (*free_fn)(void *));
    size_t n_pods_with_affinity;
    /* Placed pods (bound or assumed) carrying label key=value, and the node
     * each is on (same index); borrowed for the call. Returns how many.
     * Lets a selector with matchLabels start from its candidates instead
     * of every pod. May be NULL (walk st->nodes then). */
    size_t (*pods_with_label)(const skiff_sched_state_t *st, const char *key, const char *value,
                              const skiff_sched_pod_t *const **pods,
                              const skiff_sched_node_t *const **nodes);
    /* Changes whenever a node is added, updated or removed (not when pods
     * come and go): plugins may cache per-node facts across cycles. */
    uint64_t nodes_generation;
    /* The nodes with n_pods_with_affinity > 0. */
    const skiff_sched_node_t *const *affinity_nodes;
    size_t n_affinity_nodes;
    /* Terms of placed pods that may select `pod`: each required
     * anti-affinity and preferred (anti-)affinity term whose first
     * matchLabel `pod` carries, and every such term without matchLabels.
     * fn gets the owning pod, its node, the kind (SKIFF_SCHED_TERM_*) and
     * the term's index in that list; the caller still checks the term.
     * Stops at fn's first non-zero return and returns it. May be NULL. */
    int (*each_term_for)(const skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                         int (*fn)(void *ud, const skiff_sched_pod_t *owner,
                                   const skiff_sched_node_t *node, int kind, size_t index),
                         void *ud);
    /* Appended (preemption; check SKIFF_STATE_HAS). Both only from
     * post_filter, on the scheduling thread; NULL in states without a
     * profile.
     * run_filters: the profile's Filter plugins for `pod` on `node`, which
     * may be a view the caller built (the node with victims taken out); pods
     * nominated to that node with at least the pod's priority are counted
     * as in a cycle. Returns the first failing code (SUCCESS when all pass)
     * with its reason in *out. */
    skiff_sched_code_t (*run_filters)(skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                                      const skiff_sched_node_t *node, skiff_sched_status_t *out);
    /* Nominate `pod` to `node_name` (status.nominatedNodeName; "" clears
     * it) and evict `victims` through the API (graceful delete, a
     * DisruptionTarget condition and a Preempted event on each). Views are
     * borrowed. 0 or a negative code with err filled (the nomination stands
     * even when a victim could not be deleted). */
    int (*preempt)(skiff_sched_state_t *st, const skiff_sched_pod_t *pod, const char *node_name,
                   const skiff_sched_pod_t *const *victims, size_t n_victims, skiff_error_t *err);
    /* Appended (PreFilter extensions; check SKIFF_STATE_HAS, may be NULL).
     * From post_filter only, on the scheduling thread (kube's
     * RunPreFilterExtensionAddPod / RemovePod): every plugin of the profile
     * whose pre_filter did not SKIP and that has the matching ops slot
     * updates its PreFilter state in `st` as if `other` (a placed pod) were
     * added to / removed from `node`, so a what-if run_filters on a view
     * without (or with) `other` also sees its (anti-)affinity terms and
     * topology counts gone (or back). The state stays changed: a caller
     * that removes pods adds them back before it moves on. Views are
     * borrowed. Returns the first failing code (SUCCESS when all pass). */
    skiff_sched_code_t (*run_add_pod)(skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                                      const skiff_sched_pod_t *other, const skiff_sched_node_t *node,
                                      skiff_sched_status_t *out);
    skiff_sched_code_t (*run_remove_pod)(skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                                         const skiff_sched_pod_t *other, const skiff_sched_node_t *node,
                                         skiff_sched_status_t *out);
};

enum {
    SKIFF_SCHED_TERM_REQUIRED_ANTI = 1,     /* owner->anti_affinity.required[index] */
    SKIFF_SCHED_TERM_PREFERRED_AFFINITY = 2, /* owner->affinity.preferred[index] */
    SKIFF_SCHED_TERM_PREFERRED_ANTI = 3,    /* owner->anti_affinity.preferred[index] */
};

/* True when the state has `field` (a host of an older minor may not). */
#define SKIFF_STATE_HAS(st, field)                                                   \
    ((st) != NULL && offsetof(skiff_sched_state_t, field) + sizeof((st)->field) <= (st)->size)

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
    /* WAIT with *wait_ms: the pod waits until every waiting plugin allows
     * it through the handle, or is rejected when the first timeout ends. */
    void (*permit)(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                   const char *node_name, int64_t *wait_ms, skiff_sched_status_t *out);
    void (*pre_bind)(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                     const char *node_name, skiff_sched_status_t *out);
    /* SKIP: not this plugin's pod, the next bind plugin is asked. */
    void (*bind)(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                 const char *node_name, skiff_sched_status_t *out);
    /* Appended: PreFilter extensions (kube's PreFilterExtensions AddPod /
     * RemovePod), called through st->run_add_pod / run_remove_pod during
     * preemption's what-if, on the scheduling thread, only after this
     * plugin's pre_filter ran for `pod` without SKIP: update the PreFilter
     * state kept in `st` as if `other` were added to / removed from `node`.
     * Counts must be exact inverses (a removal followed by an addition
     * restores the state). A plugin whose PreFilter state does not depend
     * on other pods leaves both NULL. */
    void (*pre_filter_add_pod)(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                               const skiff_sched_pod_t *other, const skiff_sched_node_t *node,
                               skiff_sched_status_t *out);
    void (*pre_filter_remove_pod)(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                                  const skiff_sched_pod_t *other, const skiff_sched_node_t *node,
                                  skiff_sched_status_t *out);
} skiff_scheduler_ops_t;

/* ---- small inline helpers (no core symbols) --------------------------- */

static inline void skiff_sched_status_set(skiff_sched_status_t *s, skiff_sched_code_t code,
                                          const char *reason)
{
    s->code = code;
    size_t n = strlen(reason);
    if (n >= sizeof s->reason) n = sizeof s->reason - 1;
    memcpy(s->reason, reason, n);
    s->reason[n] = '\0';
}

/* The value of label `key`, or NULL. */
static inline const char *skiff_sched_label(const skiff_sched_kv_t *kv, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(kv[i].key, key) == 0) return kv[i].value;
    return NULL;
}

/* Label selector requirement against a label set (In, NotIn, Exists,
 * DoesNotExist; Gt/Lt compare integers as node affinity does). */
static inline int skiff_sched_requirement_matches(const skiff_sched_requirement_t *r,
                                                  const skiff_sched_kv_t *kv, size_t n)
{
    const char *v = skiff_sched_label(kv, n, r->key);
    switch (r->op) {
    case SKIFF_SCHED_OP_EXISTS: return v != NULL;
    case SKIFF_SCHED_OP_DOES_NOT_EXIST: return v == NULL;
    case SKIFF_SCHED_OP_IN:
    case SKIFF_SCHED_OP_NOT_IN: {
        int in = 0;
        for (size_t i = 0; v && i < r->n_values && !in; i++) in = strcmp(v, r->values[i]) == 0;
        return r->op == SKIFF_SCHED_OP_IN ? in : !in;
    }
    case SKIFF_SCHED_OP_GT:
    case SKIFF_SCHED_OP_LT: {
        if (!v || r->n_values != 1) return 0;
        char *e1, *e2;
        long long a = strtoll(v, &e1, 10), b = strtoll(r->values[0], &e2, 10);
        if (*v == '\0' || *e1 || *e2) return 0;
        return r->op == SKIFF_SCHED_OP_GT ? a > b : a < b;
    }
    }
    return 0;
}

static inline int skiff_sched_selector_matches(const skiff_sched_label_selector_t *s,
                                               const skiff_sched_kv_t *kv, size_t n)
{
    if (!s->present) return 0;
    for (size_t i = 0; i < s->n_match_labels; i++) {
        const char *v = skiff_sched_label(kv, n, s->match_labels[i].key);
        if (!v || strcmp(v, s->match_labels[i].value) != 0) return 0;
    }
    for (size_t i = 0; i < s->n_exprs; i++)
        if (!skiff_sched_requirement_matches(&s->exprs[i], kv, n)) return 0;
    return 1;
}

#endif
