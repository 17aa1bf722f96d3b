/* The term index of the cache: placed pods' required anti-affinity and
 * preferred (anti-)affinity terms, keyed by their selector's first
 * matchLabel (a term can only select pods carrying that label) or by ""
 * when they have none. An incoming pod then meets only the terms that may
 * select it, not every term of every pod in the cluster. */
#include <stdlib.h>
#include <string.h>

#include "sched/sched_int.h"

static int term_key(const skiff_sched_pod_term_t *t, char *buf, size_t len)
{
    if (!t->selector.n_match_labels) { buf[0] = '\0'; return 0; }
    const skiff_sched_kv_t *m = &t->selector.match_labels[0];
    int n = snprintf(buf, len, "%s\x01%s", m->key, m->value);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

typedef struct { int kind; const skiff_sched_pod_term_t *t; size_t index; } term_at_t;

static size_t terms_of(const skiff_sched_pod_t *p, term_at_t *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < p->anti_affinity.n_required && n < max; i++)
        out[n++] = (term_at_t){ SKIFF_SCHED_TERM_REQUIRED_ANTI, &p->anti_affinity.required[i], i };
    for (size_t i = 0; i < p->affinity.n_preferred && n < max; i++)
        out[n++] = (term_at_t){ SKIFF_SCHED_TERM_PREFERRED_AFFINITY, &p->affinity.preferred[i].term, i };
    for (size_t i = 0; i < p->anti_affinity.n_preferred && n < max; i++)
        out[n++] = (term_at_t){ SKIFF_SCHED_TERM_PREFERRED_ANTI, &p->anti_affinity.preferred[i].term, i };
    return n;
}

#define MAX_TERMS 64

int sched_terms_add(sched_cache_t *c, sched_pod_rec_t *p)
{
    term_at_t at[MAX_TERMS];
    size_t n = terms_of(&p->view, at, MAX_TERMS);
    if (!n) return 0;
    p->term_pos = calloc(n, sizeof *p->term_pos);
    if (!p->term_pos) return -1;
    for (size_t i = 0; i < n; i++) {
        char k[512];
        if (term_key(at[i].t, k, sizeof k) < 0) k[0] = '\0'; /* too long to key: unkeyed */
        sched_term_list_t *l = sched_map_get(&c->terms, k);
        if (!l) {
            l = calloc(1, sizeof *l);
            if (!l || !(l->key = strdup(k)) || sched_map_put(&c->terms, l->key, l) < 0) {
                if (l) free(l->key);
                free(l);
                return -1;
            }
        }
        if (l->n == l->cap) {
            size_t cap = l->cap ? l->cap * 2 : 8;
            sched_term_ref_t *r = realloc(l->refs, cap * sizeof *r);
            if (!r) return -1;
            l->refs = r;
            l->cap = cap;
        }
        p->term_pos[i] = l->n;
        l->refs[l->n++] = (sched_term_ref_t){ p, at[i].kind, at[i].index, i };
        p->n_term_pos = i + 1;
    }
    return 0;
}

void sched_terms_remove(sched_cache_t *c, sched_pod_rec_t *p)
{
    if (!p->term_pos) return;
    term_at_t at[MAX_TERMS];
    size_t n = terms_of(&p->view, at, MAX_TERMS);
    if (n > p->n_term_pos) n = p->n_term_pos;
    for (size_t i = 0; i < n; i++) {
        char k[512];
        if (term_key(at[i].t, k, sizeof k) < 0) k[0] = '\0';
        sched_term_list_t *l = sched_map_get(&c->terms, k);
        size_t pos = p->term_pos[i];
        if (!l || pos >= l->n || l->refs[pos].rec != p || l->refs[pos].slot != i) continue;
        l->refs[pos] = l->refs[--l->n];
        if (pos < l->n) l->refs[pos].rec->term_pos[l->refs[pos].slot] = pos;
    }
    free(p->term_pos);
    p->term_pos = NULL;
    p->n_term_pos = 0;
}

static int each_in(const sched_cache_t *c, const char *k,
                   int (*fn)(void *, const skiff_sched_pod_t *, const skiff_sched_node_t *, int, size_t),
                   void *ud)
{
    const sched_term_list_t *l = sched_map_get(&c->terms, k);
    for (size_t i = 0; l && i < l->n; i++) {
        const sched_term_ref_t *r = &l->refs[i];
        int rc = fn(ud, &r->rec->view, &r->rec->node->view, r->kind, r->index);
        if (rc) return rc;
    }
    return 0;
}

int sched_terms_each(const sched_cache_t *c, const skiff_sched_pod_t *pod,
                     int (*fn)(void *, const skiff_sched_pod_t *, const skiff_sched_node_t *, int, size_t),
                     void *ud)
{
    if (!c->terms.len) return 0;
    for (size_t i = 0; i < pod->n_labels; i++) {
        char k[512];
        int n = snprintf(k, sizeof k, "%s\x01%s", pod->labels[i].key, pod->labels[i].value);
        if (n < 0 || (size_t)n >= sizeof k) continue;
        int rc = each_in(c, k, fn, ud);
        if (rc) return rc;
    }
    return each_in(c, "", fn, ud);
}

static void free_list(void *ud, void *val)
{
    (void)ud;
    sched_term_list_t *l = val;
    free(l->key);
    free(l->refs);
    free(l);
}

void sched_terms_free(sched_cache_t *c)
{
    sched_map_each(&c->terms, free_list, NULL);
    sched_map_free(&c->terms);
}
