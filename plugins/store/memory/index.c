/* The ordered key index: a skiplist keyed by key bytes (memcmp order, shorter
 * first on a tie, as etcd orders keys). Searches and inserts are O(log n) and
 * a range walks level 0 from its lower bound, so a range costs O(log n + k)
 * whatever the size of the history. Mutations happen under the store's write
 * lock; searches under its read lock. */
#include <string.h>

#include "memory.h"

int memory_key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c != 0)
        return c;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

int memory_op_cmp(const void *a, const void *b)
{
    const skiff_store_op_t *x = a, *y = b;
    return memory_key_cmp(x->key, x->key_len, y->key, y->key_len);
}

static memory_key_t *index_alloc(memory_index_t *ix, const char *key, size_t len, int levels)
{
    size_t sz = sizeof(memory_key_t) + (size_t)levels * sizeof(memory_key_t *);
    memory_key_t *k = ix->host->calloc(1, sz + len + 1);
    if (!k)
        return NULL;
    k->levels = levels;
    k->key = (char *)k + sz;
    if (len)
        memcpy(k->key, key, len);
    k->key[len] = '\0';
    k->key_len = len;
    return k;
}

int memory_index_init(memory_index_t *ix, const skiff_host_t *host)
{
    memset(ix, 0, sizeof *ix);
    ix->host = host;
    ix->rng = 0x9e3779b97f4a7c15ull;
    ix->levels = 1;
    ix->head = index_alloc(ix, "", 0, MEMORY_INDEX_LEVELS);
    return ix->head ? 0 : -ENOMEM;
}

static void index_free_chain(memory_index_t *ix, memory_key_t *k)
{
    for (size_t i = 0; i < k->n; i++) {
        memory_ver_t *v = k->chain[i];
        if (__atomic_sub_fetch(&v->refs, 1, __ATOMIC_ACQ_REL) == 0)
            ix->host->free(v);
    }
    ix->host->free(k->chain);
    k->chain = NULL;
    k->n = k->cap = 0;
}

void memory_index_node_free(memory_index_t *ix, memory_key_t *node)
{
    if (!node)
        return;
    index_free_chain(ix, node);
    ix->host->free(node);
}

void memory_index_fini(memory_index_t *ix)
{
    if (!ix->head)
        return;
    memory_key_t *k = ix->head->next[0];
    while (k) {
        memory_key_t *next = k->next[0];
        memory_index_node_free(ix, k);
        k = next;
    }
    ix->host->free(ix->head);
    ix->head = NULL;
    ix->count = 0;
}

/* Fill `update` with the last node before `key` on every level; returns the
 * first node >= key. */
static memory_key_t *index_search(const memory_index_t *ix, const char *key, size_t len,
                                  memory_key_t **update)
{
    memory_key_t *x = ix->head;
    for (int l = ix->levels - 1; l >= 0; l--) {
        while (x->next[l] && memory_key_cmp(x->next[l]->key, x->next[l]->key_len, key, len) < 0)
            x = x->next[l];
        if (update)
            update[l] = x;
    }
    return x->next[0];
}

memory_key_t *memory_index_lower_bound(const memory_index_t *ix, const char *key, size_t len)
{
    return index_search(ix, key, len, NULL);
}

memory_key_t *memory_index_find(const memory_index_t *ix, const char *key, size_t len)
{
    memory_key_t *k = index_search(ix, key, len, NULL);
    if (k && memory_key_cmp(k->key, k->key_len, key, len) == 0)
        return k;
    return NULL;
}

/* Geometric level with p = 1/4 (xorshift64; only ever called under the write lock). */
static int index_random_level(memory_index_t *ix)
{
    uint64_t x = ix->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    ix->rng = x;
    int l = 1;
    while (l < MEMORY_INDEX_LEVELS && (x & 3) == 0) {
        l++;
        x >>= 2;
    }
    return l;
}

memory_key_t *memory_index_node_new(memory_index_t *ix, const char *key, size_t len)
{
    return index_alloc(ix, key, len, index_random_level(ix));
}

void memory_index_link(memory_index_t *ix, memory_key_t *node)
{
    memory_key_t *update[MEMORY_INDEX_LEVELS];
    index_search(ix, node->key, node->key_len, update);
    if (node->levels > ix->levels) {
        for (int l = ix->levels; l < node->levels; l++)
            update[l] = ix->head;
        ix->levels = node->levels;
    }
    for (int l = 0; l < node->levels; l++) {
        node->next[l] = update[l]->next[l];
        update[l]->next[l] = node;
    }
    ix->count++;
}

void memory_index_remove(memory_index_t *ix, memory_key_t *node)
{
    memory_key_t *update[MEMORY_INDEX_LEVELS];
    memory_key_t *x = index_search(ix, node->key, node->key_len, update);
    if (x != node)
        return;
    for (int l = 0; l < ix->levels; l++) {
        if (update[l]->next[l] != node)
            break;
        update[l]->next[l] = node->next[l];
    }
    while (ix->levels > 1 && ix->head->next[ix->levels - 1] == NULL)
        ix->levels--;
    ix->count--;
    memory_index_node_free(ix, node);
}

memory_ver_t *memory_key_at(const memory_key_t *k, int64_t rev)
{
    /* Last version with mod_rev <= rev. */
    size_t lo = 0, hi = k->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (k->chain[mid]->mod_rev <= rev)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? k->chain[lo - 1] : NULL;
}
