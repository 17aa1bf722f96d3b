/* The node cache: one record per node whose view carries the resources
 * requested by the pods on it, updated incrementally as pods are assumed,
 * bound, forgotten or deleted — so a scheduling cycle reads the snapshot
 * without summing anything. Owned by the scheduling thread. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sched/sched_int.h"

static int pod_has_affinity(const skiff_sched_pod_t *p)
{
    return p->affinity.n_required || p->affinity.n_preferred || p->anti_affinity.n_required ||
           p->anti_affinity.n_preferred;
}

static void aff_remove(sched_cache_t *c, sched_node_rec_t *n);

/* Node records come from slabs of NODE_SLAB, in the order nodes arrive
 * (the snapshot's order, which filtering walks): consecutive nodes sit
 * NODE_STRIDE bytes apart instead of being scattered between their JSON
 * and arenas, so a cycle's few hundred nodes span few pages. Each record
 * starts SKEW bytes into its 64-byte aligned slot, so that the view's hot
 * range (SCHED_NODE_HOT_OFF, 128 bytes) fills exactly two cache lines.
 * Freed records are reused; slabs go with the cache. */
#define NODE_SKEW ((64 - (SCHED_NODE_HOT_OFF + offsetof(sched_node_rec_t, view)) % 64) % 64)
#define NODE_STRIDE ((NODE_SKEW + sizeof(sched_node_rec_t) + 63) / 64 * 64)
#define NODE_SLAB 256
_Static_assert(offsetof(skiff_sched_node_t, non_zero_memory) + sizeof(int64_t) - SCHED_NODE_HOT_OFF <=
                   64 * SCHED_NODE_HOT_LINES,
               "the hot range of a node view outgrew its cache lines");

struct sched_node_slab {
    struct sched_node_slab *next;
    size_t used;
    char *mem;                  /* NODE_SLAB slots of NODE_STRIDE, 64-byte aligned */
};

static sched_node_rec_t *node_rec_alloc(sched_cache_t *c)
{
    sched_node_rec_t *n = c->free_recs;
    if (n) {
        c->free_recs = *(sched_node_rec_t **)n;
    } else {
        struct sched_node_slab *sl = c->slabs;
        if (!sl || sl->used == NODE_SLAB) {
            sl = calloc(1, sizeof *sl);
            if (!sl) return NULL;
            void *mem;
            if (posix_memalign(&mem, 64, NODE_SLAB * NODE_STRIDE) != 0) { free(sl); return NULL; }
            sl->mem = mem;
            sl->next = c->slabs;
            c->slabs = sl;
        }
        n = (sched_node_rec_t *)(sl->mem + sl->used++ * NODE_STRIDE + NODE_SKEW);
    }
    memset(n, 0, sizeof *n);
    return n;
}

static void node_rec_free(sched_cache_t *c, sched_node_rec_t *n)
{
    if (!n) return;
    sched_arena_free(&n->arena);
    sched_arena_free(&n->names);
    cJSON_Delete(n->obj);
    free(n->pods);
    free(n->recs);
    free(n->req_scalar);
    *(sched_node_rec_t **)n = c->free_recs;
    c->free_recs = n;
}

static void node_slabs_free(sched_cache_t *c)
{
    while (c->slabs) {
        struct sched_node_slab *sl = c->slabs;
        c->slabs = sl->next;
        free(sl->mem);
        free(sl);
    }
    c->free_recs = NULL;
}

static int list_add(sched_cache_t *c, sched_node_rec_t *n)
{
    if (c->n_list == c->cap_list) {
        size_t cap = c->cap_list ? c->cap_list * 2 : 256;
        sched_node_rec_t **l = realloc(c->list, cap * sizeof *l);
        if (!l) return -1;
        c->list = l;
        const skiff_sched_node_t **s = realloc(c->snap, cap * sizeof *s);
        if (!s) return -1;
        c->snap = s;
        c->cap_list = cap;
    }
    n->snap_idx = c->n_list;
    c->list[c->n_list] = n;
    c->snap[c->n_list] = &n->view;
    c->n_list++;
    return 0;
}

static void list_remove(sched_cache_t *c, sched_node_rec_t *n)
{
    size_t i = n->snap_idx;
    c->n_list--;
    if (i != c->n_list) {
        c->list[i] = c->list[c->n_list];
        c->list[i]->snap_idx = i;
        c->snap[i] = &c->list[i]->view;
    }
}

static int same_resources(const skiff_sched_resources_t *a, const skiff_sched_resources_t *b)
{
    if (a->milli_cpu != b->milli_cpu || a->memory != b->memory ||
        a->ephemeral_storage != b->ephemeral_storage || a->pods != b->pods || a->n_scalar != b->n_scalar)
        return 0;
    for (size_t i = 0; i < a->n_scalar; i++)
        if (a->scalar[i].value != b->scalar[i].value || strcmp(a->scalar[i].name, b->scalar[i].name))
            return 0;
    return 1;
}

/* Does anything a plugin looks at differ? (Heartbeats and condition
 * timestamps do not: kube-scheduler ignores such node updates too.) */
static int node_relevant_change(const skiff_sched_node_t *a, const skiff_sched_node_t *b)
{
    if (a->unschedulable != b->unschedulable || a->n_labels != b->n_labels || a->n_taints != b->n_taints ||
        !same_resources(&a->allocatable, &b->allocatable))
        return 1;
    for (size_t i = 0; i < a->n_labels; i++)
        if (strcmp(a->labels[i].key, b->labels[i].key) || strcmp(a->labels[i].value, b->labels[i].value))
            return 1;
    for (size_t i = 0; i < a->n_taints; i++)
        if (a->taints[i].effect != b->taints[i].effect || strcmp(a->taints[i].key, b->taints[i].key) ||
            strcmp(a->taints[i].value, b->taints[i].value))
            return 1;
    return 0;
}

sched_node_rec_t *sched_cache_node_set(sched_cache_t *c, cJSON *obj, int *changed, skiff_error_t *err)
{
    *changed = 1;
    sched_node_rec_t *fresh = node_rec_alloc(c);
    if (!fresh) { cJSON_Delete(obj); skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory"); return NULL; }
    if (sched_view_node(&fresh->arena, obj, &fresh->view, err) < 0) {
        fresh->obj = obj;
        node_rec_free(c, fresh);
        return NULL;
    }
    fresh->obj = obj;
    sched_node_rec_t *old = sched_map_get(&c->nodes, fresh->view.name);
    if (!old) {
        c->node_gen++;
        fresh->present = 1;
        if (sched_map_put(&c->nodes, fresh->view.name, fresh) < 0 || list_add(c, fresh) < 0) {
            sched_map_del(&c->nodes, fresh->view.name);
            node_rec_free(c, fresh);
            skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
            return NULL;
        }
        return fresh;
    }
    /* Update in place so pods keep pointing at the same record: swap in the
     * new object and view, keep what the cache accounts. */
    *changed = !old->present || node_relevant_change(&old->view, &fresh->view);
    if (*changed) c->node_gen++;
    skiff_sched_node_t v = fresh->view;
    v.requested = old->view.requested;
    v.non_zero_milli_cpu = old->view.non_zero_milli_cpu;
    v.non_zero_memory = old->view.non_zero_memory;
    v.pods = old->view.pods;
    v.n_pods = old->view.n_pods;
    v.n_pods_with_affinity = old->view.n_pods_with_affinity;
    sched_arena_t a = old->arena;
    cJSON *o = old->obj;
    old->arena = fresh->arena;
    old->obj = fresh->obj;
    old->view = v;
    fresh->arena = a;
    fresh->obj = o;
    if (!old->present) {
        old->present = 1;
        if (list_add(c, old) < 0) old->present = 0;
    }
    sched_map_del(&c->nodes, old->view.name); /* the key string moved arenas */
    sched_map_put(&c->nodes, old->view.name, old); /* cannot grow: a slot was just freed */
    node_rec_free(c, fresh);
    return old;
}

int sched_cache_node_del(sched_cache_t *c, const char *name)
{
    sched_node_rec_t *n = sched_map_get(&c->nodes, name);
    if (!n || !n->present) return SKIFF_E_NOTFOUND;
    list_remove(c, n);
    n->present = 0;
    c->node_gen++;
    if (n->view.n_pods == 0) {
        aff_remove(c, n);
        sched_map_del(&c->nodes, n->view.name);
        node_rec_free(c, n);
    }
    return 0;
}

static int scalar_add(sched_node_rec_t *n, const char *name, int64_t delta)
{
    for (size_t i = 0; i < n->n_req_scalar; i++)
        if (strcmp(n->req_scalar[i].name, name) == 0) { n->req_scalar[i].value += delta; return 0; }
    if (delta == 0) return 0;
    if (n->n_req_scalar == n->cap_req_scalar) {
        size_t cap = n->cap_req_scalar ? n->cap_req_scalar * 2 : 4;
        skiff_sched_scalar_t *s = realloc(n->req_scalar, cap * sizeof *s);
        if (!s) return -1;
        n->req_scalar = s;
        n->cap_req_scalar = cap;
    }
    /* The name is borrowed from a pod view: copy it into the node's arena so
     * it outlives that pod. */
    n->req_scalar[n->n_req_scalar].name = sched_arena_str(&n->names, name);
    n->req_scalar[n->n_req_scalar].value = delta;
    n->n_req_scalar++;
    return 0;
}

/* Nodes with affinity pods, so plugins need not look at every node. */
static void aff_add(sched_cache_t *c, sched_node_rec_t *n)
{
    if (c->n_aff_nodes == c->cap_aff_nodes) {
        size_t cap = c->cap_aff_nodes ? c->cap_aff_nodes * 2 : 64;
        sched_node_rec_t **l = realloc(c->aff_nodes, cap * sizeof *l);
        if (!l) return;
        c->aff_nodes = l;
        const skiff_sched_node_t **s = realloc(c->aff_snap, cap * sizeof *s);
        if (!s) return;
        c->aff_snap = s;
        c->cap_aff_nodes = cap;
    }
    n->aff_idx = c->n_aff_nodes;
    c->aff_nodes[c->n_aff_nodes] = n;
    c->aff_snap[c->n_aff_nodes] = &n->view;
    c->n_aff_nodes++;
}

static void aff_remove(sched_cache_t *c, sched_node_rec_t *n)
{
    size_t i = n->aff_idx;
    if (i >= c->n_aff_nodes || c->aff_nodes[i] != n) return;
    c->n_aff_nodes--;
    if (i != c->n_aff_nodes) {
        c->aff_nodes[i] = c->aff_nodes[c->n_aff_nodes];
        c->aff_nodes[i]->aff_idx = i;
        c->aff_snap[i] = &c->aff_nodes[i]->view;
    }
}

static void account(sched_cache_t *c, sched_node_rec_t *n, const skiff_sched_pod_t *p, int sign)
{
    skiff_sched_node_t *v = &n->view;
    v->requested.milli_cpu += sign * p->requests.milli_cpu;
    v->requested.memory += sign * p->requests.memory;
    v->requested.ephemeral_storage += sign * p->requests.ephemeral_storage;
    v->requested.pods += sign;
    v->non_zero_milli_cpu += sign * p->non_zero_milli_cpu;
    v->non_zero_memory += sign * p->non_zero_memory;
    for (size_t i = 0; i < p->requests.n_scalar; i++)
        scalar_add(n, p->requests.scalar[i].name, sign * p->requests.scalar[i].value);
    v->requested.scalar = n->req_scalar;
    v->requested.n_scalar = n->n_req_scalar;
    if (pod_has_affinity(p)) {
        v->n_pods_with_affinity += sign > 0 ? 1 : (size_t)-1;
        c->n_affinity += sign > 0 ? 1 : (size_t)-1;
        if (sign > 0 && v->n_pods_with_affinity == 1) aff_add(c, n);
        else if (sign < 0 && v->n_pods_with_affinity == 0) aff_remove(c, n);
    }
}

int sched_cache_pod_place(sched_cache_t *c, sched_pod_rec_t *p, sched_node_rec_t *n, int assumed)
{
    if (p->node) sched_cache_pod_unplace(c, p);
    if (n->view.n_pods == n->cap) {
        size_t cap = n->cap ? n->cap * 2 : 16;
        const skiff_sched_pod_t **pods = realloc(n->pods, cap * sizeof *pods);
        if (!pods) return -1;
        n->pods = pods;
        sched_pod_rec_t **recs = realloc(n->recs, cap * sizeof *recs);
        if (!recs) return -1;
        n->recs = recs;
        n->cap = cap;
    }
    p->node_idx = n->view.n_pods;
    n->pods[n->view.n_pods] = &p->view;
    n->recs[n->view.n_pods] = p;
    n->view.n_pods++;
    n->view.pods = n->pods;
    account(c, n, &p->view, +1);
    p->node = n;
    p->assumed = assumed;
    c->n_bound++;
    if (sched_label_add(c, p) < 0 || (pod_has_affinity(&p->view) && sched_terms_add(c, p) < 0)) {
        sched_cache_pod_unplace(c, p);
        return -1;
    }
    return 0;
}

void sched_cache_pod_unplace(sched_cache_t *c, sched_pod_rec_t *p)
{
    sched_node_rec_t *n = p->node;
    if (!n) return;
    sched_label_remove(c, p);
    sched_terms_remove(c, p);
    size_t i = p->node_idx, last = n->view.n_pods - 1;
    if (i != last) {
        n->pods[i] = n->pods[last];
        n->recs[i] = n->recs[last];
        n->recs[i]->node_idx = i;
    }
    n->view.n_pods--;
    account(c, n, &p->view, -1);
    p->node = NULL;
    p->assumed = 0;
    c->n_bound--;
    if (!n->present && n->view.n_pods == 0) {
        aff_remove(c, n);
        sched_map_del(&c->nodes, n->view.name);
        node_rec_free(c, n);
    }
}

void sched_pod_rec_unref(sched_pod_rec_t *p)
{
    if (!p) return;
    free(p->label_pos);
    free(p->term_pos);
    free(p->nominated);
    sched_arena_free(&p->arena);
    cJSON_Delete(p->obj);
    free(p->key);
    free(p);
}

static void free_pod_cb(void *ud, void *val)
{
    (void)ud;
    sched_pod_rec_unref(val);
}

static void free_node_cb(void *ud, void *val)
{
    node_rec_free(ud, val);
}

/* Every record goes; the queue must have dropped its pointers already. */
void sched_cache_free(sched_cache_t *c)
{
    sched_nominate_free(c);
    sched_label_free(c);
    sched_terms_free(c);
    free(c->orphans);
    free(c->aff_nodes);
    free(c->aff_snap);
    sched_map_each(&c->pods, free_pod_cb, NULL);
    sched_map_each(&c->nodes, free_node_cb, c);
    sched_map_free(&c->pods);
    sched_map_free(&c->nodes);
    free(c->list);
    free(c->snap);
    node_slabs_free(c);
    memset(c, 0, sizeof *c);
}

/* Pods bound to a node not in the cache yet: pods and nodes come from two
 * watches, so a bound pod may arrive before its node. They are counted on
 * the node when it arrives. */
int sched_cache_orphan_add(sched_cache_t *c, sched_pod_rec_t *p)
{
    if (p->orphan) return 0;
    if (c->n_orphans == c->cap_orphans) {
        size_t cap = c->cap_orphans ? c->cap_orphans * 2 : 16;
        sched_pod_rec_t **o = realloc(c->orphans, cap * sizeof *o);
        if (!o) return -1;
        c->orphans = o;
        c->cap_orphans = cap;
    }
    p->orphan = 1;
    p->orphan_idx = c->n_orphans;
    c->orphans[c->n_orphans++] = p;
    return 0;
}

void sched_cache_orphan_remove(sched_cache_t *c, sched_pod_rec_t *p)
{
    if (!p->orphan) return;
    size_t i = p->orphan_idx;
    c->n_orphans--;
    if (i != c->n_orphans) {
        c->orphans[i] = c->orphans[c->n_orphans];
        c->orphans[i]->orphan_idx = i;
    }
    p->orphan = 0;
}

void sched_cache_adopt(sched_cache_t *c, sched_node_rec_t *n)
{
    for (size_t i = 0; i < c->n_orphans;) {
        sched_pod_rec_t *p = c->orphans[i];
        if (strcmp(p->view.node_name, n->view.name) != 0) { i++; continue; }
        sched_cache_orphan_remove(c, p);
        sched_cache_pod_place(c, p, n, 0);
    }
}
