/* core/manifest/strmap.c — string-keyed hash used for duplicate-key checks
 * and anchor lookup, so a 100k-key mapping or 100k anchors cost O(n), not
 * O(n^2) (a request body must not be a CPU bomb). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/manifest_int.h"

static uint32_t strmap_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

skiff_strmap_entry_t *skiff_strmap_get(const skiff_strmap_t *m, const char *key)
{
    if (!m->cap) return NULL;
    uint32_t h = strmap_hash(key);
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        skiff_strmap_entry_t *e = &m->slots[i];
        if (!e->key) return NULL;
        if (e->hash == h && strcmp(e->key, key) == 0) return e;
    }
}

static int strmap_grow(skiff_strmap_t *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 16;
    skiff_strmap_entry_t *ns = calloc(ncap, sizeof *ns);
    if (!ns) return -ENOMEM;
    for (size_t j = 0; j < m->cap; j++) {
        skiff_strmap_entry_t *e = &m->slots[j];
        if (!e->key) continue;
        size_t i = e->hash & (ncap - 1);
        while (ns[i].key) i = (i + 1) & (ncap - 1);
        ns[i] = *e;
    }
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return 0;
}

int skiff_strmap_put(skiff_strmap_t *m, const char *key, long a, long b, void *p)
{
    skiff_strmap_entry_t *e = skiff_strmap_get(m, key);
    if (e) {
        e->key = key;
        e->a = a;
        e->b = b;
        e->p = p;
        return 0;
    }
    if ((m->count + 1) * 2 > m->cap) {
        int rc = strmap_grow(m);
        if (rc) return rc;
    }
    uint32_t h = strmap_hash(key);
    size_t i = h & (m->cap - 1);
    while (m->slots[i].key) i = (i + 1) & (m->cap - 1);
    m->slots[i] = (skiff_strmap_entry_t){.key = key, .hash = h, .a = a, .b = b, .p = p};
    m->count++;
    return 0;
}

void skiff_strmap_free(skiff_strmap_t *m)
{
    free(m->slots);
    m->slots = NULL;
    m->cap = m->count = 0;
}
