/* core/controller/expect — "expectations" as kube-controller-manager's:
 * after a controller creates or deletes N pods for key, its informer cache
 * lags; until the N events arrive (or 30s pass) the controller must not
 * count again, or it would create (or delete) twice. Deletions are tracked
 * by pod key, so that the two events of one graceful deletion count once. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/expect.h"
#include "controller/hashmap.h"

typedef struct exp_entry {
    char *key;
    int adds, dels;
    skiff_smap_t pods;    /* pod keys whose deletion is awaited (key text is the value) */
    time_t at;
} exp_entry_t;

struct skiff_expect { pthread_mutex_t mu; skiff_smap_t m; };

skiff_expect_t *skiff_expect_new(void)
{
    skiff_expect_t *x = calloc(1, sizeof *x);
    if (x) pthread_mutex_init(&x->mu, NULL);
    return x;
}

static void free_pod(void *ud, const char *key, void *val) { (void)ud; (void)key; free(val); }

static void clear_pods(exp_entry_t *e)
{
    skiff_smap_each(&e->pods, free_pod, NULL);
    skiff_smap_free(&e->pods);
}

static void free_entry(void *ud, const char *key, void *val)
{
    (void)ud; (void)key;
    exp_entry_t *e = val;
    clear_pods(e);
    free(e->key);
    free(e);
}

void skiff_expect_free(skiff_expect_t *x)
{
    if (!x) return;
    skiff_smap_each(&x->m, free_entry, NULL);
    skiff_smap_free(&x->m);
    pthread_mutex_destroy(&x->mu);
    free(x);
}

static exp_entry_t *find(skiff_expect_t *x, const char *key, int create)
{
    exp_entry_t *e = skiff_smap_get(&x->m, key);
    if (e || !create) return e;
    e = calloc(1, sizeof *e);
    if (!e || !(e->key = strdup(key))) { free(e); return NULL; }
    if (skiff_smap_put(&x->m, e->key, e, NULL) < 0) { free(e->key); free(e); return NULL; }
    return e;
}

void skiff_expect_set(skiff_expect_t *x, const char *key, int adds, int dels)
{
    pthread_mutex_lock(&x->mu);
    exp_entry_t *e = find(x, key, 1);
    if (e) { clear_pods(e); e->adds = adds; e->dels = dels; e->at = time(NULL); }
    pthread_mutex_unlock(&x->mu);
}

int skiff_expect_deletes(skiff_expect_t *x, const char *key, const char *const *pods, size_t n)
{
    int rc = 0;
    pthread_mutex_lock(&x->mu);
    exp_entry_t *e = find(x, key, 1);
    if (!e) rc = -ENOMEM;
    else {
        clear_pods(e);
        e->adds = e->dels = 0;
        e->at = time(NULL);
        for (size_t i = 0; i < n && rc == 0; i++) {
            char *p = strdup(pods[i]);
            void *old = NULL;
            if (!p || skiff_smap_put(&e->pods, p, p, &old) < 0) { free(p); rc = -ENOMEM; }
            free(old);   /* the same pod twice */
        }
        if (rc < 0) clear_pods(e);
    }
    pthread_mutex_unlock(&x->mu);
    return rc;
}

void skiff_expect_observed(skiff_expect_t *x, const char *key, int add)
{
    pthread_mutex_lock(&x->mu);
    exp_entry_t *e = find(x, key, 0);
    if (e) { if (add) e->adds--; else e->dels--; }
    pthread_mutex_unlock(&x->mu);
}

void skiff_expect_deleted(skiff_expect_t *x, const char *key, const char *pod)
{
    pthread_mutex_lock(&x->mu);
    exp_entry_t *e = find(x, key, 0);
    if (e) {
        if (e->pods.n) free(skiff_smap_del(&e->pods, pod));
        else if (e->dels > 0) e->dels--;
    }
    pthread_mutex_unlock(&x->mu);
}

int skiff_expect_satisfied(skiff_expect_t *x, const char *key)
{
    pthread_mutex_lock(&x->mu);
    exp_entry_t *e = find(x, key, 0);
    int ok = !e || (e->adds <= 0 && e->dels <= 0 && e->pods.n == 0) || time(NULL) - e->at > SKIFF_EXPECT_TTL_S;
    pthread_mutex_unlock(&x->mu);
    return ok;
}

void skiff_expect_forget(skiff_expect_t *x, const char *key)
{
    pthread_mutex_lock(&x->mu);
    exp_entry_t *e = skiff_smap_del(&x->m, key);
    pthread_mutex_unlock(&x->mu);
    if (e) free_entry(NULL, NULL, e);
}
