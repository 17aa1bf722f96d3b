/* A cycle state for plugin tests (the same slots a real cycle has). */
#include <stdlib.h>
#include <string.h>

#include "sched/sched_int.h"

skiff_sched_state_t *skiff_sched_state_new(const skiff_sched_node_t *const *nodes, size_t n)
{
    sched_cycle_t *cy = malloc(sizeof *cy);
    if (!cy) return NULL;
    sched_cache_t c = { 0 };
    c.snap = (const skiff_sched_node_t **)nodes;
    c.n_list = n;
    for (size_t i = 0; i < n; i++) c.n_affinity += nodes[i]->n_pods_with_affinity;
    sched_cycle_init(cy, NULL, &c, NULL, NULL);
    cy->cache = NULL; /* c is gone after this call */
    /* Each test state is a different cluster as far as plugin caches go. */
    static _Atomic uint64_t gen = 1ull << 62;
    cy->st.nodes_generation = atomic_fetch_add(&gen, 1);
    /* The affinity node list: the state holds only the caller's array, so
     * point at the nodes and let plugins filter by n_pods_with_affinity. */
    cy->st.affinity_nodes = nodes;
    cy->st.n_affinity_nodes = n;
    return &cy->st;
}

void skiff_sched_state_free(skiff_sched_state_t *st)
{
    if (!st) return;
    sched_cycle_t *cy = (sched_cycle_t *)st;
    sched_cycle_clear(cy);
    free(cy);
}
