/* core/controller/hashmap — the two hash tables the informer cache is built
 * from (internal to core/controller):
 *
 *  - skiff_smap_t: string key -> pointer, chained. The map does not own the
 *    key text: the caller passes a key that lives as long as the entry (the
 *    cached entry's own key, an index bucket's value).
 *  - skiff_pset_t: a set of pointers, open addressing with linear probing
 *    (an index bucket: the entries filed under one value).
 *
 * Neither locks: the informer's mutex guards them. Insertions return
 * -ENOMEM when memory runs out and leave the table as it was. */
#ifndef SKIFF_CORE_CONTROLLER_HASHMAP_H
#define SKIFF_CORE_CONTROLLER_HASHMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct skiff_smap_node {
    struct skiff_smap_node *next;
    uint64_t hash;
    const char *key;   /* borrowed: lives as long as the node */
    void *val;
} skiff_smap_node_t;

typedef struct skiff_smap {
    skiff_smap_node_t **b;
    size_t nb, n;
} skiff_smap_t;

uint64_t skiff_hash_str(const char *s);
void *skiff_smap_get(const skiff_smap_t *m, const char *key);
/* Insert or replace; *old gets the value replaced (NULL when new). */
int skiff_smap_put(skiff_smap_t *m, const char *key, void *val, void **old);
/* Remove key; returns its value or NULL. */
void *skiff_smap_del(skiff_smap_t *m, const char *key);
/* Calls fn for every value (do not modify the map meanwhile). */
void skiff_smap_each(const skiff_smap_t *m, void (*fn)(void *ud, const char *key, void *val), void *ud);
void skiff_smap_free(skiff_smap_t *m);   /* the nodes; not the values */

typedef struct skiff_pset {
    void **s;          /* NULL empty, SKIFF_PSET_TOMB removed */
    size_t cap, n, used;
} skiff_pset_t;

int skiff_pset_add(skiff_pset_t *p, void *v);   /* 1 added, 0 present, -ENOMEM */
int skiff_pset_del(skiff_pset_t *p, void *v);   /* 1 removed, 0 absent */
/* Iterate: for (size_t i = 0; i < p->cap; i++) if (skiff_pset_live(p->s[i])) ... */
int skiff_pset_live(const void *slot);
void skiff_pset_free(skiff_pset_t *p);

#endif
