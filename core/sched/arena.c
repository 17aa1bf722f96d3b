/* A bump allocator: a view and its arrays/strings are freed in one go, and
 * building one costs a few mallocs instead of dozens. */
#include <stdlib.h>
#include <string.h>

#include "sched/sched_int.h"

struct sched_arena_chunk {
    sched_arena_chunk_t *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

void *sched_arena_alloc(sched_arena_t *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0) n = 16;
    sched_arena_chunk_t *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > 2048 ? n : 2048;
        c = malloc(sizeof *c + cap);
        if (!c) { a->failed = 1; return NULL; }
        c->cap = cap;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

const char *sched_arena_str(sched_arena_t *a, const char *s)
{
    if (!s) return "";
    size_t n = strlen(s) + 1;
    char *p = sched_arena_alloc(a, n);
    if (!p) return "";
    memcpy(p, s, n);
    return p;
}

void sched_arena_free(sched_arena_t *a)
{
    sched_arena_chunk_t *c = a->head;
    while (c) {
        sched_arena_chunk_t *n = c->next;
        free(c);
        c = n;
    }
    a->head = NULL;
    a->failed = 0;
}
