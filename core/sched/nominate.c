/* Nominated pods: a pod that preempted victims on a node waits for them to
 * go with status.nominatedNodeName set. Until it is bound, filters for pods
 * of lower (or equal) priority count it on that node, so the room it made
 * is not taken by someone else (kube-scheduler's nominator and
 * addNominatedPods). Owned by the scheduling thread; filter workers only
 * read it. */
#include <stdlib.h>
#include <string.h>

#include "sched/sched_int.h"

typedef struct nom_list {
    char *node;                 /* map key, owned */
    sched_pod_rec_t **recs;
    size_t n, cap;
} nom_list_t;

void sched_nominate_clear(sched_cache_t *c, sched_pod_rec_t *p)
{
    if (!p->nominated) return;
    nom_list_t *l = sched_map_get(&c->nominated, p->nominated);
    for (size_t i = 0; l && i < l->n; i++)
        if (l->recs[i] == p) {
            l->recs[i] = l->recs[--l->n];
            c->n_nominated--;
            break;
        }
    if (l && l->n == 0) {
        sched_map_del(&c->nominated, l->node);
        free(l->node);
        free(l->recs);
        free(l);
    }
    free(p->nominated);
    p->nominated = NULL;
    p->view.nominated_node_name = "";
}

int sched_nominate_set(sched_cache_t *c, sched_pod_rec_t *p, const char *node)
{
    if (p->nominated && node && strcmp(p->nominated, node) == 0) return 0;
    sched_nominate_clear(c, p);
    if (!node || !*node) return 0;
    nom_list_t *l = sched_map_get(&c->nominated, node);
    if (!l) {
        l = calloc(1, sizeof *l);
        if (!l || !(l->node = strdup(node))) { free(l); return -1; }
        if (sched_map_put(&c->nominated, l->node, l) < 0) { free(l->node); free(l); return -1; }
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        sched_pod_rec_t **r = realloc(l->recs, cap * sizeof *r);
        if (!r) return -1;
        l->recs = r;
        l->cap = cap;
    }
    if (!(p->nominated = strdup(node))) return -1;
    /* Plugins see it at once, before the API echoes the status back. */
    p->view.nominated_node_name = p->nominated;
    l->recs[l->n++] = p;
    c->n_nominated++;
    return 0;
}

static void free_list_cb(void *ud, void *val)
{
    (void)ud;
    nom_list_t *l = val;
    for (size_t i = 0; i < l->n; i++) {
        free(l->recs[i]->nominated);
        l->recs[i]->nominated = NULL;
        l->recs[i]->view.nominated_node_name = "";
    }
    free(l->node);
    free(l->recs);
    free(l);
}

void sched_nominate_free(sched_cache_t *c)
{
    sched_map_each(&c->nominated, free_list_cb, NULL);
    sched_map_free(&c->nominated);
    c->n_nominated = 0;
}

static void res_add(skiff_sched_resources_t *r, const skiff_sched_resources_t *a, skiff_sched_scalar_t *sc,
                    size_t *n_sc, size_t cap_sc)
{
    r->milli_cpu += a->milli_cpu;
    r->memory += a->memory;
    r->ephemeral_storage += a->ephemeral_storage;
    r->pods += a->pods;
    for (size_t i = 0; i < a->n_scalar; i++) {
        size_t j = 0;
        for (; j < *n_sc; j++)
            if (strcmp(sc[j].name, a->scalar[i].name) == 0) break;
        if (j == *n_sc) {
            if (j == cap_sc) continue;
            sc[j] = (skiff_sched_scalar_t){ a->scalar[i].name, 0 };
            (*n_sc)++;
        }
        sc[j].value += a->scalar[i].value;
    }
}

const skiff_sched_node_t *sched_nominated_view(const sched_cache_t *c, const skiff_sched_node_t *node,
                                               const sched_pod_rec_t *pod, skiff_sched_node_t *tmp,
                                               void **scratch)
{
    *scratch = NULL;
    if (!c || !c->n_nominated) return node;
    const nom_list_t *l = sched_map_get(&c->nominated, node->name);
    if (!l) return node;
    size_t n = 0, n_scalar = node->requested.n_scalar;
    for (size_t i = 0; i < l->n; i++) {
        const sched_pod_rec_t *r = l->recs[i];
        if (r == pod || (pod && strcmp(r->key, pod->key) == 0) || r->node) continue;
        if (pod && r->view.priority < pod->view.priority) continue;
        n++;
        n_scalar += r->view.requests.n_scalar;
    }
    if (!n) return node;
    /* One block: the pods array then the scalar array. */
    size_t bytes = (node->n_pods + n) * sizeof(const skiff_sched_pod_t *) + (n_scalar + 1) * sizeof(skiff_sched_scalar_t);
    char *mem = malloc(bytes);
    if (!mem) return node; /* counted without them: the bind still goes through the API's checks */
    const skiff_sched_pod_t **pods = (const skiff_sched_pod_t **)mem;
    skiff_sched_scalar_t *sc = (skiff_sched_scalar_t *)(mem + (node->n_pods + n) * sizeof *pods);
    *tmp = *node;
    if (node->n_pods) memcpy(pods, node->pods, node->n_pods * sizeof *pods);
    if (node->requested.n_scalar) memcpy(sc, node->requested.scalar, node->requested.n_scalar * sizeof *sc);
    size_t n_sc = node->requested.n_scalar, k = node->n_pods;
    for (size_t i = 0; i < l->n; i++) {
        const sched_pod_rec_t *r = l->recs[i];
        if (r == pod || (pod && strcmp(r->key, pod->key) == 0) || r->node) continue;
        if (pod && r->view.priority < pod->view.priority) continue;
        pods[k++] = &r->view;
        res_add(&tmp->requested, &r->view.requests, sc, &n_sc, n_scalar);
        tmp->non_zero_milli_cpu += r->view.non_zero_milli_cpu;
        tmp->non_zero_memory += r->view.non_zero_memory;
        tmp->n_pods_with_affinity += r->view.affinity.n_required || r->view.affinity.n_preferred ||
                                     r->view.anti_affinity.n_required || r->view.anti_affinity.n_preferred;
    }
    tmp->pods = pods;
    tmp->n_pods = k;
    tmp->requested.scalar = sc;
    tmp->requested.n_scalar = n_sc;
    *scratch = mem;
    return tmp;
}
