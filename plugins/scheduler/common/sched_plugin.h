/* Helpers shared by the scheduler plugins (header-only: plugins link
 * nothing of each other or of the core). */
#ifndef SKIFF_PLUGINS_SCHED_COMMON_H
#define SKIFF_PLUGINS_SCHED_COMMON_H

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skiff/skiff.h>

/* A toleration tolerates a taint (k8s v1.Toleration.ToleratesTaint). */
static inline int sp_tolerates(const skiff_sched_toleration_t *t, const char *key,
                               const char *value, skiff_sched_taint_effect_t effect)
{
    if (t->effect != SKIFF_SCHED_EFFECT_ALL && t->effect != effect) return 0;
    if (t->key[0] && strcmp(t->key, key) != 0) return 0;
    if (t->op == SKIFF_SCHED_TOL_EXISTS) return 1;
    return strcmp(t->value, value) == 0;
}

static inline int sp_pod_tolerates(const skiff_sched_pod_t *pod, const char *key, const char *value,
                                   skiff_sched_taint_effect_t effect)
{
    for (size_t i = 0; i < pod->n_tolerations; i++)
        if (sp_tolerates(&pod->tolerations[i], key, value, effect)) return 1;
    return 0;
}

/* Kubernetes' DefaultNormalizeScore: scale to 0..100 by the maximum;
 * `reverse` flips (fewer is better). */
static inline void sp_normalize(int64_t *scores, size_t n, int reverse)
{
    int64_t max = 0;
    for (size_t i = 0; i < n; i++) if (scores[i] > max) max = scores[i];
    if (max == 0) {
        if (reverse) for (size_t i = 0; i < n; i++) scores[i] = SKIFF_SCHED_MAX_SCORE;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t s = SKIFF_SCHED_MAX_SCORE * scores[i] / max;
        scores[i] = reverse ? SKIFF_SCHED_MAX_SCORE - s : s;
    }
}

/* ---- counting pods per topology domain: (key, value) -> count ---------- */

typedef struct sp_count_slot { const char *key, *value; uint32_t hash; int64_t n; } sp_count_slot_t;
typedef struct sp_counts {
    sp_count_slot_t *slots;
    size_t cap, len;
} sp_counts_t;

/* FNV-1a over key, a separator, value. In two steps, so that a caller
 * looking up many values under one key (a filter, per node) hashes the key
 * once: sp_hash_more(sp_hash_key(a), b) == sp_hash2(a, b). */
static inline uint32_t sp_hash_key(const char *a)
{
    uint32_t h = 2166136261u;
    for (; *a; a++) { h ^= (unsigned char)*a; h *= 16777619u; }
    h ^= 0xff; h *= 16777619u;
    return h;
}

static inline uint32_t sp_hash_more(uint32_t h, const char *b)
{
    for (; *b; b++) { h ^= (unsigned char)*b; h *= 16777619u; }
    return h;
}

static inline uint32_t sp_hash2(const char *a, const char *b)
{
    return sp_hash_more(sp_hash_key(a), b);
}

static inline int sp_counts_init(sp_counts_t *c, size_t expect)
{
    size_t cap = 16;
    while (cap < expect * 2) cap *= 2;
    c->slots = calloc(cap, sizeof *c->slots);
    c->cap = cap;
    c->len = 0;
    return c->slots ? 0 : -1;
}

static inline sp_count_slot_t *sp_counts_find(const sp_counts_t *c, const char *key, const char *value, int *found)
{
    uint32_t h = sp_hash2(key, value);
    size_t mask = c->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        sp_count_slot_t *s = &c->slots[i];
        if (!s->key) { s->hash = h; *found = 0; return s; }
        if (s->hash == h && strcmp(s->key, key) == 0 && strcmp(s->value, value) == 0) { *found = 1; return s; }
    }
}

static inline int sp_counts_grow(sp_counts_t *c)
{
    sp_counts_t n;
    if (sp_counts_init(&n, c->cap) < 0) return -1;
    for (size_t i = 0; i < c->cap; i++) {
        if (!c->slots[i].key) continue;
        int f;
        sp_count_slot_t *s = sp_counts_find(&n, c->slots[i].key, c->slots[i].value, &f);
        *s = c->slots[i];
        n.len++;
    }
    free(c->slots);
    *c = n;
    return 0;
}

/* Add delta to (key, value); strings are borrowed for the cycle. */
static inline int sp_counts_add(sp_counts_t *c, const char *key, const char *value, int64_t delta)
{
    if ((c->len + 1) * 2 > c->cap && sp_counts_grow(c) < 0) return -1;
    int f;
    sp_count_slot_t *s = sp_counts_find(c, key, value, &f);
    if (!f) { s->key = key; s->value = value; s->n = 0; c->len++; }
    s->n += delta;
    return 0;
}

/* The count of (key, value), with key's hash (sp_hash_key) given. Keys
 * are usually the very pointer they were added with: compared first. */
static inline int64_t sp_counts_get_h(const sp_counts_t *c, uint32_t hkey, const char *key, const char *value)
{
    if (!c->cap) return 0;
    uint32_t h = sp_hash_more(hkey, value);
    size_t mask = c->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        const sp_count_slot_t *s = &c->slots[i];
        if (!s->key) return 0;
        if (s->hash == h && (s->key == key || strcmp(s->key, key) == 0) && strcmp(s->value, value) == 0)
            return s->n;
    }
}

static inline int64_t sp_counts_get(const sp_counts_t *c, const char *key, const char *value)
{
    return sp_counts_get_h(c, sp_hash_key(key), key, value);
}

static inline void sp_counts_free(sp_counts_t *c)
{
    free(c->slots);
    c->slots = NULL;
    c->cap = c->len = 0;
}

/* Does a pod term (selector + namespaces) select `other`, for a term owned
 * by a pod in namespace `owner_ns`? */
static inline int sp_term_selects(const skiff_sched_pod_term_t *t, const char *owner_ns,
                                  const skiff_sched_pod_t *other)
{
    if (!t->all_namespaces) {
        if (t->n_namespaces == 0) {
            if (strcmp(owner_ns, other->namespace_) != 0) return 0;
        } else {
            int in = 0;
            for (size_t i = 0; i < t->n_namespaces && !in; i++)
                in = strcmp(t->namespaces[i], other->namespace_) == 0;
            if (!in) return 0;
        }
    }
    return skiff_sched_selector_matches(&t->selector, other->labels, other->n_labels);
}

/* Call fn for every placed pod a label selector may select (with its node):
 * the pods carrying the selector's first matchLabel when the host indexes
 * labels, else every pod on every node. fn still checks the selector.
 * Stops when fn returns non-zero and returns that. */
typedef int (*sp_candidate_fn)(void *ud, const skiff_sched_pod_t *pod, const skiff_sched_node_t *node);

static inline int sp_each_candidate(const skiff_sched_state_t *st, const skiff_sched_label_selector_t *sel,
                                    sp_candidate_fn fn, void *ud)
{
    if (!sel->present) return 0;
    if (sel->n_match_labels && SKIFF_STATE_HAS(st, pods_with_label) && st->pods_with_label) {
        const skiff_sched_pod_t *const *pods;
        const skiff_sched_node_t *const *nodes;
        size_t n = st->pods_with_label(st, sel->match_labels[0].key, sel->match_labels[0].value,
                                       &pods, &nodes);
        for (size_t i = 0; i < n; i++) {
            int rc = fn(ud, pods[i], nodes[i]);
            if (rc) return rc;
        }
        return 0;
    }
    for (size_t k = 0; k < st->n_nodes; k++)
        for (size_t j = 0; j < st->nodes[k]->n_pods; j++) {
            int rc = fn(ud, st->nodes[k]->pods[j], st->nodes[k]);
            if (rc) return rc;
        }
    return 0;
}

/* The nodes that may hold pods with (anti-)affinity terms. */
static inline const skiff_sched_node_t *const *sp_affinity_nodes(const skiff_sched_state_t *st, size_t *n)
{
    if (SKIFF_STATE_HAS(st, n_affinity_nodes) && st->affinity_nodes) {
        *n = st->n_affinity_nodes;
        return st->affinity_nodes;
    }
    *n = st->n_nodes;
    return st->nodes;
}

/* A nodeSelectorTerm against a node (a term with nothing in it selects
 * nothing; matchFields supports metadata.name as Kubernetes does). */
static inline int sp_node_term_matches(const skiff_sched_node_term_t *t, const skiff_sched_node_t *node)
{
    if (!t->n_exprs && !t->n_fields) return 0;
    for (size_t i = 0; i < t->n_exprs; i++)
        if (!skiff_sched_requirement_matches(&t->exprs[i], node->labels, node->n_labels)) return 0;
    for (size_t i = 0; i < t->n_fields; i++) {
        const skiff_sched_requirement_t *r = &t->fields[i];
        if (strcmp(r->key, "metadata.name") != 0) return 0;
        skiff_sched_kv_t f = { "metadata.name", node->name };
        if (!skiff_sched_requirement_matches(r, &f, 1)) return 0;
    }
    return 1;
}

/* nodeSelector and required node affinity both hold on the node. */
static inline int sp_node_affinity_ok(const skiff_sched_pod_t *pod, const skiff_sched_node_t *node)
{
    for (size_t i = 0; i < pod->n_node_selector; i++) {
        const char *v = skiff_sched_label(node->labels, node->n_labels, pod->node_selector[i].key);
        if (!v || strcmp(v, pod->node_selector[i].value) != 0) return 0;
    }
    if (!pod->has_required_node_affinity) return 1;
    for (size_t i = 0; i < pod->n_required_terms; i++)
        if (sp_node_term_matches(&pod->required_terms[i], node)) return 1;
    return 0;
}

/* ---- a fact about the whole node set, kept across cycles ------------- */

/* "Does any node of the snapshot have P?" answered once per node set: the
 * answer is kept while the scheduler (st->handle) and its
 * nodes_generation (bumped on every node add, relevant update or delete)
 * stay the same. A filter whose pre_filter learns that no node can fail it
 * returns SKIP, and the cycle stops calling it per node. */
typedef struct sp_node_fact {
    pthread_mutex_t mu;         /* pre_filter of several schedulers at once */
    int valid, any;
    const void *handle;
    uint64_t gen;
    size_t n_nodes;
} sp_node_fact_t;

static inline int sp_node_fact_init(sp_node_fact_t *f)
{
    memset(f, 0, sizeof *f);
    return pthread_mutex_init(&f->mu, NULL) == 0 ? 0 : -1;
}

static inline void sp_node_fact_fini(sp_node_fact_t *f)
{
    pthread_mutex_destroy(&f->mu);
}

/* 1 when pred holds for some node of st->nodes (walks them only when the
 * node set changed; every time on a host without nodes_generation). */
static inline int sp_node_fact_any(sp_node_fact_t *f, const skiff_sched_state_t *st,
                                   int (*pred)(const skiff_sched_node_t *))
{
    int cacheable = SKIFF_STATE_HAS(st, nodes_generation);
    if (cacheable) {
        pthread_mutex_lock(&f->mu);
        if (f->valid && f->handle == (const void *)st->handle && f->gen == st->nodes_generation &&
            f->n_nodes == st->n_nodes) {
            int any = f->any;
            pthread_mutex_unlock(&f->mu);
            return any;
        }
    }
    int any = 0;
    for (size_t i = 0; i < st->n_nodes && !any; i++) any = pred(st->nodes[i]);
    if (cacheable) {
        f->valid = 1;
        f->any = any;
        f->handle = st->handle;
        f->gen = st->nodes_generation;
        f->n_nodes = st->n_nodes;
        pthread_mutex_unlock(&f->mu);
    }
    return any;
}

#endif
