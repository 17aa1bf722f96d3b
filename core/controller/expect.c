/* core/controller/expect — "expectations" as kube-controller-manager's:
 * after a controller creates or deletes N pods for key, its informer cache
 * lags; until the N events arrive (or 30s pass) the controller must not
 * count again, or it would create twice. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/expect.h"

typedef struct exp_entry { char *key; int adds, dels; time_t at; } exp_entry_t;
struct skiff_expect { pthread_mutex_t mu; exp_entry_t *e; size_t n, cap; };

skiff_expect_t *skiff_expect_new(void)
{
    skiff_expect_t *x = calloc(1, sizeof *x);
    if (x) pthread_mutex_init(&x->mu, NULL);
    return x;
}

void skiff_expect_free(skiff_expect_t *x)
{
    if (!x) return;
    for (size_t i = 0; i < x->n; i++) free(x->e[i].key);
    free(x->e);
    pthread_mutex_destroy(&x->mu);
    free(x);
}

static exp_entry_t *find(skiff_expect_t *x, const char *key, int create)
{
    for (size_t i = 0; i < x->n; i++)
        if (!strcmp(x->e[i].key, key)) return &x->e[i];
    if (!create) return NULL;
    if (x->n == x->cap) {
        size_t nc = x->cap ? x->cap * 2 : 16;
        exp_entry_t *p = realloc(x->e, nc * sizeof *p);
        if (!p) return NULL;
        x->e = p;
        x->cap = nc;
    }
    char *k = strdup(key);
    if (!k) return NULL;
    x->e[x->n] = (exp_entry_t){ .key = k };
    return &x->e[x->n++];
}

void skiff_expect_set(skiff_expect_t *x, const char *key, int adds, int dels)
{
    pthread_mutex_lock(&x->mu);
    exp_entry_t *e = find(x, key, 1);
    if (e) { e->adds = adds; e->dels = dels; e->at = time(NULL); }
    pthread_mutex_unlock(&x->mu);
}

void skiff_expect_observed(skiff_expect_t *x, const char *key, int add)
{
    pthread_mutex_lock(&x->mu);
    exp_entry_t *e = find(x, key, 0);
    if (e) { if (add) e->adds--; else e->dels--; }
    pthread_mutex_unlock(&x->mu);
}

int skiff_expect_satisfied(skiff_expect_t *x, const char *key)
{
    pthread_mutex_lock(&x->mu);
    exp_entry_t *e = find(x, key, 0);
    int ok = !e || (e->adds <= 0 && e->dels <= 0) || time(NULL) - e->at > 30;
    pthread_mutex_unlock(&x->mu);
    return ok;
}

void skiff_expect_forget(skiff_expect_t *x, const char *key)
{
    pthread_mutex_lock(&x->mu);
    exp_entry_t *e = find(x, key, 0);
    if (e) { free(e->key); *e = x->e[--x->n]; }
    pthread_mutex_unlock(&x->mu);
}
