/* A string-keyed open-addressing hash with tombstones: the scheduler looks
 * pods up by "ns/name" and nodes by name on every event. Keys are borrowed
 * (they live in the records the values point to). */
#include <stdlib.h>
#include <string.h>

#include "sched/sched_int.h"

struct sched_map_slot {
    const char *key;            /* NULL: empty; TOMB: deleted */
    void *val;
    uint32_t hash;
};

static const char TOMB[1];

static uint32_t map_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++) { h ^= (unsigned char)*s; h *= 16777619u; }
    return h;
}

static struct sched_map_slot *map_find(const sched_map_t *m, const char *key, uint32_t h)
{
    if (!m->cap) return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct sched_map_slot *s = &m->slots[i];
        if (!s->key) return NULL;
        if (s->key != TOMB && s->hash == h && strcmp(s->key, key) == 0) return s;
    }
}

void *sched_map_get(const sched_map_t *m, const char *key)
{
    struct sched_map_slot *s = map_find(m, key, map_hash(key));
    return s ? s->val : NULL;
}

static int map_grow(sched_map_t *m)
{
    size_t cap = m->cap ? m->cap : 64;
    while ((m->len + 1) * 2 > cap) cap *= 2;
    struct sched_map_slot *slots = calloc(cap, sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i < m->cap; i++) {
        struct sched_map_slot *s = &m->slots[i];
        if (!s->key || s->key == TOMB) continue;
        size_t j = s->hash & (cap - 1);
        while (slots[j].key) j = (j + 1) & (cap - 1);
        slots[j] = *s;
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    m->used = m->len;
    return 0;
}

int sched_map_put(sched_map_t *m, const char *key, void *val)
{
    uint32_t h = map_hash(key);
    struct sched_map_slot *s = map_find(m, key, h);
    if (s) { s->key = key; s->val = val; return 0; }
    if ((m->used + 1) * 4 > m->cap * 3 && map_grow(m) < 0) return -1;
    size_t mask = m->cap - 1;
    size_t i = h & mask;
    while (m->slots[i].key && m->slots[i].key != TOMB) i = (i + 1) & mask;
    if (!m->slots[i].key) m->used++;
    m->slots[i] = (struct sched_map_slot){ key, val, h };
    m->len++;
    return 0;
}

void *sched_map_del(sched_map_t *m, const char *key)
{
    struct sched_map_slot *s = map_find(m, key, map_hash(key));
    if (!s) return NULL;
    void *v = s->val;
    s->key = TOMB;
    s->val = NULL;
    m->len--;
    return v;
}

void sched_map_free(sched_map_t *m)
{
    free(m->slots);
    memset(m, 0, sizeof *m);
}

/* fn must not change the map. */
void sched_map_each(const sched_map_t *m, void (*fn)(void *ud, void *val), void *ud)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key && m->slots[i].key != TOMB) fn(ud, m->slots[i].val);
}
