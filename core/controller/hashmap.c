/* core/controller/hashmap — see hashmap.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "controller/hashmap.h"

static char tomb_;
#define TOMB ((void *)&tomb_)

uint64_t skiff_hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;   /* FNV-1a 64 */
    for (; *s; s++) { h ^= (unsigned char)*s; h *= 1099511628211ull; }
    return h;
}

static int smap_grow(skiff_smap_t *m)
{
    size_t nb = m->nb ? m->nb * 2 : 64;
    skiff_smap_node_t **b = calloc(nb, sizeof *b);
    if (!b) return -ENOMEM;
    for (size_t i = 0; i < m->nb; i++) {
        skiff_smap_node_t *n = m->b[i], *next;
        for (; n; n = next) {
            next = n->next;
            size_t j = n->hash & (nb - 1);
            n->next = b[j];
            b[j] = n;
        }
    }
    free(m->b);
    m->b = b;
    m->nb = nb;
    return 0;
}

void *skiff_smap_get(const skiff_smap_t *m, const char *key)
{
    if (!m->nb) return NULL;
    uint64_t h = skiff_hash_str(key);
    for (skiff_smap_node_t *n = m->b[h & (m->nb - 1)]; n; n = n->next)
        if (n->hash == h && !strcmp(n->key, key)) return n->val;
    return NULL;
}

int skiff_smap_put(skiff_smap_t *m, const char *key, void *val, void **old)
{
    if (old) *old = NULL;
    uint64_t h = skiff_hash_str(key);
    if (m->nb)
        for (skiff_smap_node_t *n = m->b[h & (m->nb - 1)]; n; n = n->next)
            if (n->hash == h && !strcmp(n->key, key)) {
                if (old) *old = n->val;
                n->val = val;
                n->key = key;
                return 0;
            }
    /* a full table still works (chains get longer), so a failed grow is not fatal */
    if (m->n >= m->nb && smap_grow(m) < 0 && !m->nb) return -ENOMEM;
    skiff_smap_node_t *n = malloc(sizeof *n);
    if (!n) return -ENOMEM;
    size_t j = h & (m->nb - 1);
    *n = (skiff_smap_node_t){ m->b[j], h, key, val };
    m->b[j] = n;
    m->n++;
    return 0;
}

void *skiff_smap_del(skiff_smap_t *m, const char *key)
{
    if (!m->nb) return NULL;
    uint64_t h = skiff_hash_str(key);
    for (skiff_smap_node_t **pp = &m->b[h & (m->nb - 1)]; *pp; pp = &(*pp)->next) {
        skiff_smap_node_t *n = *pp;
        if (n->hash == h && !strcmp(n->key, key)) {
            void *v = n->val;
            *pp = n->next;
            free(n);
            m->n--;
            return v;
        }
    }
    return NULL;
}

void skiff_smap_each(const skiff_smap_t *m, void (*fn)(void *ud, const char *key, void *val), void *ud)
{
    for (size_t i = 0; i < m->nb; i++)
        for (skiff_smap_node_t *n = m->b[i]; n; n = n->next) fn(ud, n->key, n->val);
}

void skiff_smap_free(skiff_smap_t *m)
{
    for (size_t i = 0; i < m->nb; i++) {
        skiff_smap_node_t *n = m->b[i], *next;
        for (; n; n = next) { next = n->next; free(n); }
    }
    free(m->b);
    *m = (skiff_smap_t){ 0 };
}

static size_t ptr_hash(const void *v)
{
    uint64_t x = (uint64_t)(uintptr_t)v;
    x ^= x >> 33; x *= 0xff51afd7ed558ccdull; x ^= x >> 33;
    return (size_t)x;
}

int skiff_pset_live(const void *slot) { return slot && slot != TOMB; }

static int pset_rehash(skiff_pset_t *p, size_t cap)
{
    void **s = calloc(cap, sizeof *s);
    if (!s) return -ENOMEM;
    for (size_t i = 0; i < p->cap; i++) {
        if (!skiff_pset_live(p->s[i])) continue;
        size_t j = ptr_hash(p->s[i]) & (cap - 1);
        while (s[j]) j = (j + 1) & (cap - 1);
        s[j] = p->s[i];
    }
    free(p->s);
    p->s = s;
    p->cap = cap;
    p->used = p->n;
    return 0;
}

int skiff_pset_add(skiff_pset_t *p, void *v)
{
    if ((p->used + 1) * 4 > p->cap * 3) {
        size_t cap = p->cap ? p->cap : 8;
        while ((p->n + 1) * 2 > cap) cap *= 2;   /* live entries at most half full after */
        if (pset_rehash(p, cap) < 0) return -ENOMEM;
    }
    size_t j = ptr_hash(v) & (p->cap - 1), tomb = (size_t)-1;
    while (p->s[j]) {
        if (p->s[j] == v) return 0;
        if (p->s[j] == TOMB && tomb == (size_t)-1) tomb = j;
        j = (j + 1) & (p->cap - 1);
    }
    if (tomb != (size_t)-1) j = tomb;
    else p->used++;
    p->s[j] = v;
    p->n++;
    return 1;
}

int skiff_pset_del(skiff_pset_t *p, void *v)
{
    if (!p->cap) return 0;
    size_t j = ptr_hash(v) & (p->cap - 1);
    while (p->s[j]) {
        if (p->s[j] == v) { p->s[j] = TOMB; p->n--; return 1; }
        j = (j + 1) & (p->cap - 1);
    }
    return 0;
}

void skiff_pset_free(skiff_pset_t *p)
{
    free(p->s);
    *p = (skiff_pset_t){ 0 };
}
