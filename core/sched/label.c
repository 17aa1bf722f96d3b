/* The label index of the cache: for every label key=value, the placed pods
 * carrying it and their nodes. Selectors with matchLabels (affinity terms,
 * spread constraints) look up their first label here instead of walking
 * every pod in the cluster. Owned by the scheduling thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched/sched_int.h"

static char *label_key(const char *k, const char *v, char *buf, size_t len)
{
    size_t a = strlen(k), b = strlen(v);
    char *out = a + b + 2 <= len ? buf : malloc(a + b + 2);
    if (!out) return NULL;
    memcpy(out, k, a);
    out[a] = '\x01';
    memcpy(out + a + 1, v, b + 1);
    return out;
}

int sched_label_add(sched_cache_t *c, sched_pod_rec_t *p)
{
    const skiff_sched_pod_t *v = &p->view;
    if (!v->n_labels) return 0;
    p->label_pos = calloc(v->n_labels, sizeof *p->label_pos);
    if (!p->label_pos) return -1;
    for (size_t i = 0; i < v->n_labels; i++) {
        char buf[256];
        char *k = label_key(v->labels[i].key, v->labels[i].value, buf, sizeof buf);
        if (!k) return -1;
        sched_label_list_t *l = sched_map_get(&c->labels, k);
        if (!l) {
            l = calloc(1, sizeof *l);
            if (!l || !(l->key = strdup(k)) || sched_map_put(&c->labels, l->key, l) < 0) {
                if (l) free(l->key);
                free(l);
                if (k != buf) free(k);
                return -1;
            }
        }
        if (k != buf) free(k);
        if (l->n == l->cap) {
            size_t cap = l->cap ? l->cap * 2 : 8;
            sched_pod_rec_t **r = realloc(l->recs, cap * sizeof *r);
            if (!r) return -1;
            l->recs = r;
            const skiff_sched_pod_t **ps = realloc(l->pods, cap * sizeof *ps);
            if (!ps) return -1;
            l->pods = ps;
            const skiff_sched_node_t **ns = realloc(l->nodes, cap * sizeof *ns);
            if (!ns) return -1;
            l->nodes = ns;
            l->cap = cap;
        }
        p->label_pos[i] = l->n;
        l->recs[l->n] = p;
        l->pods[l->n] = v;
        l->nodes[l->n] = &p->node->view;
        l->n++;
    }
    return 0;
}

void sched_label_remove(sched_cache_t *c, sched_pod_rec_t *p)
{
    const skiff_sched_pod_t *v = &p->view;
    if (!p->label_pos) return;
    for (size_t i = 0; i < v->n_labels; i++) {
        char buf[256];
        char *k = label_key(v->labels[i].key, v->labels[i].value, buf, sizeof buf);
        if (!k) continue; /* cannot happen short of memory; the entry stays stale */
        sched_label_list_t *l = sched_map_get(&c->labels, k);
        if (k != buf) free(k);
        if (!l) continue;
        size_t at = p->label_pos[i], last = l->n - 1;
        if (at >= l->n || l->recs[at] != p) continue;
        if (at != last) {
            sched_pod_rec_t *m = l->recs[last];
            l->recs[at] = m;
            l->pods[at] = l->pods[last];
            l->nodes[at] = l->nodes[last];
            for (size_t j = 0; j < m->view.n_labels; j++)
                if (strcmp(m->view.labels[j].key, v->labels[i].key) == 0) { m->label_pos[j] = at; break; }
        }
        l->n--;
    }
    free(p->label_pos);
    p->label_pos = NULL;
}

size_t sched_label_lookup(const sched_cache_t *c, const char *key, const char *value,
                          const skiff_sched_pod_t *const **pods, const skiff_sched_node_t *const **nodes)
{
    char buf[256];
    char *k = label_key(key, value, buf, sizeof buf);
    *pods = NULL;
    *nodes = NULL;
    if (!k) return 0;
    const sched_label_list_t *l = sched_map_get(&c->labels, k);
    if (k != buf) free(k);
    if (!l) return 0;
    *pods = l->pods;
    *nodes = l->nodes;
    return l->n;
}

static void free_list(void *ud, void *val)
{
    (void)ud;
    sched_label_list_t *l = val;
    free(l->key);
    free(l->recs);
    free(l->pods);
    free(l->nodes);
    free(l);
}

void sched_label_free(sched_cache_t *c)
{
    sched_map_each(&c->labels, free_list, NULL);
    sched_map_free(&c->labels);
}
