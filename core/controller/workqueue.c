/* core/controller/workqueue — keyed work queue as client-go's: a key is in
 * the queue at most once; a key added while a worker syncs it is marked
 * dirty and queued again when that sync ends (so two workers never sync the
 * same key at once); a failed sync is retried after 5ms * 2^failures
 * (at most 30s); a success forgets the failures. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/controller.h"
#include "log/log.h"

typedef struct item {
    char *key;
    int queued, processing, dirty, failures;
    int64_t due;          /* > 0: waiting until this monotonic ms */
} item_t;

struct skiff_workqueue {
    char name[64];
    skiff_workqueue_fn fn;
    void *ud;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    item_t *it;
    size_t n, cap;
    char **fifo;          /* queued keys in order (pointers into it[].key are unstable: own copies) */
    size_t qh, qn, qcap;
    pthread_t *th;
    int nth, stop;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static item_t *item(skiff_workqueue_t *q, const char *key, int create)
{
    for (size_t i = 0; i < q->n; i++)
        if (!strcmp(q->it[i].key, key)) return &q->it[i];
    if (!create) return NULL;
    if (q->n == q->cap) {
        size_t nc = q->cap ? q->cap * 2 : 64;
        item_t *p = realloc(q->it, nc * sizeof *p);
        if (!p) return NULL;
        q->it = p;
        q->cap = nc;
    }
    char *k = strdup(key);
    if (!k) return NULL;
    q->it[q->n] = (item_t){ .key = k };
    return &q->it[q->n++];
}

/* Drop an item with nothing pending (keeps the table small). */
static void item_gc(skiff_workqueue_t *q, item_t *i)
{
    if (i->queued || i->processing || i->dirty || i->due || i->failures) return;
    free(i->key);
    *i = q->it[--q->n];
}

static int push(skiff_workqueue_t *q, const char *key)
{
    if (q->qn == q->qcap) {
        size_t nc = q->qcap ? q->qcap * 2 : 64;
        char **p = malloc(nc * sizeof *p);
        if (!p) return -ENOMEM;
        for (size_t i = 0; i < q->qn; i++) p[i] = q->fifo[(q->qh + i) % q->qcap];
        free(q->fifo);
        q->fifo = p;
        q->qh = 0;
        q->qcap = nc;
    }
    char *k = strdup(key);
    if (!k) return -ENOMEM;
    q->fifo[(q->qh + q->qn++) % q->qcap] = k;
    return 0;
}

/* Under mu: make key runnable now. */
static void add_locked(skiff_workqueue_t *q, const char *key)
{
    item_t *i = item(q, key, 1);
    if (!i) { skiff_log(SKIFF_LOG_WARN, "controllers", "%s: out of memory queueing %s", q->name, key); return; }
    i->due = 0;
    if (i->processing) { i->dirty = 1; return; }
    if (i->queued) return;
    if (push(q, key) < 0) return;
    i->queued = 1;
    pthread_cond_signal(&q->cv);
}

void skiff_workqueue_add(skiff_workqueue_t *q, const char *key)
{
    pthread_mutex_lock(&q->mu);
    if (!q->stop) add_locked(q, key);
    pthread_mutex_unlock(&q->mu);
}

void skiff_workqueue_add_after(skiff_workqueue_t *q, const char *key, int64_t delay_ms)
{
    if (delay_ms <= 0) { skiff_workqueue_add(q, key); return; }
    pthread_mutex_lock(&q->mu);
    item_t *i = q->stop ? NULL : item(q, key, 1);
    if (i && !i->queued) {
        int64_t due = now_ms() + delay_ms;
        if (!i->due || due < i->due) i->due = due;
        pthread_cond_broadcast(&q->cv);
    }
    pthread_mutex_unlock(&q->mu);
}

int skiff_workqueue_retries(skiff_workqueue_t *q, const char *key)
{
    pthread_mutex_lock(&q->mu);
    item_t *i = item(q, key, 0);
    int n = i ? i->failures : 0;
    pthread_mutex_unlock(&q->mu);
    return n;
}

size_t skiff_workqueue_len(skiff_workqueue_t *q)
{
    pthread_mutex_lock(&q->mu);
    size_t n = q->qn;
    for (size_t i = 0; i < q->n; i++) if (q->it[i].due) n++;
    pthread_mutex_unlock(&q->mu);
    return n;
}

static void *worker(void *arg)
{
    skiff_workqueue_t *q = arg;
    pthread_mutex_lock(&q->mu);
    while (!q->stop) {
        /* promote keys whose delay is over; find the next due time */
        int64_t now = now_ms(), next = INT64_MAX;
        for (size_t i = 0; i < q->n; i++) {
            if (!q->it[i].due) continue;
            if (q->it[i].due <= now) {
                char *k = strdup(q->it[i].key);
                if (k) { add_locked(q, k); free(k); }
            } else if (q->it[i].due < next) {
                next = q->it[i].due;
            }
        }
        if (q->qn == 0) {
            struct timespec ts;
            int64_t until = next == INT64_MAX ? now + 1000 : next;
            ts.tv_sec = until / 1000;
            ts.tv_nsec = (until % 1000) * 1000000;
            pthread_cond_timedwait(&q->cv, &q->mu, &ts);
            continue;
        }
        char *key = q->fifo[q->qh];
        q->qh = (q->qh + 1) % q->qcap;
        q->qn--;
        item_t *i = item(q, key, 0);
        if (!i) { free(key); continue; }
        i->queued = 0;
        i->processing = 1;
        pthread_mutex_unlock(&q->mu);
        skiff_error_t err;
        skiff_error_clear(&err);
        int rc = q->fn(q->ud, key, &err);
        pthread_mutex_lock(&q->mu);
        i = item(q, key, 1);
        if (i) {
            i->processing = 0;
            if (rc < 0) {
                int f = i->failures++;
                int64_t delay = f >= 13 ? 30000 : (int64_t)5 << f;
                if (delay > 30000) delay = 30000;
                if (rc != SKIFF_E_CONFLICT || f > 2)
                    skiff_log(SKIFF_LOG_INFO, "controllers", "%s: sync %s failed (retry %d in %lldms): %s", q->name, key,
                              f + 1, (long long)delay, err.msg);
                if (i->dirty) { i->dirty = 0; add_locked(q, key); }
                else if (!i->due) { i->due = now_ms() + delay; pthread_cond_broadcast(&q->cv); }
            } else {
                i->failures = 0;
                if (i->dirty) { i->dirty = 0; add_locked(q, key); }
                else item_gc(q, i);
            }
        }
        free(key);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

int skiff_workqueue_new(const char *name, int workers, skiff_workqueue_fn fn, void *ud,
                        skiff_workqueue_t **out, skiff_error_t *err)
{
    if (workers < 1 || workers > 64)
        return skiff_error_set(err, SKIFF_E_INVALID, "workqueue %s: workers must be 1..64, got %d", name, workers);
    skiff_workqueue_t *q = calloc(1, sizeof *q);
    if (!q || !(q->th = calloc((size_t)workers, sizeof *q->th))) {
        free(q);
        return skiff_error_set(err, -ENOMEM, "workqueue %s: out of memory", name);
    }
    snprintf(q->name, sizeof q->name, "%s", name);
    q->fn = fn;
    q->ud = ud;
    pthread_mutex_init(&q->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->cv, &ca);
    pthread_condattr_destroy(&ca);
    for (int i = 0; i < workers; i++) {
        if (pthread_create(&q->th[i], NULL, worker, q) != 0) {
            skiff_workqueue_free(q);
            return skiff_error_set(err, SKIFF_E_INTERNAL, "workqueue %s: cannot start a worker", name);
        }
        q->nth++;
    }
    *out = q;
    return 0;
}

void skiff_workqueue_free(skiff_workqueue_t *q)
{
    if (!q) return;
    pthread_mutex_lock(&q->mu);
    q->stop = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    for (int i = 0; i < q->nth; i++) pthread_join(q->th[i], NULL);
    for (size_t i = 0; i < q->qn; i++) free(q->fifo[(q->qh + i) % q->qcap]);
    free(q->fifo);
    for (size_t i = 0; i < q->n; i++) free(q->it[i].key);
    free(q->it);
    free(q->th);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
    free(q);
}
