/* The worker threads filter and score fan out over (kube-scheduler's
 * parallelizer): the caller publishes a job, workers and the caller take
 * chunks of indices from one atomic counter, the caller returns when every
 * chunk is done. Small jobs run on the caller alone: waking a thread costs
 * more than filtering a few dozen nodes. */
#include <stdlib.h>

#include "sched/sched_int.h"

#define POOL_CHUNK 32
/* Below this many units of work (node x plugin calls) the caller does it
 * alone: a wake-up and hand-back cost about as much as a few hundred
 * filter calls on this class of machine. SKIFF_SCHED_MIN_PARALLEL overrides
 * (for measuring). */
#define POOL_MIN_PARALLEL 2048

struct sched_pool {
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    pthread_t *threads;
    int n_threads;
    int quit;
    uint64_t gen;
    /* the current job */
    size_t n;
    sched_pool_fn fn;
    void *ud;
    atomic_int *stop;
    atomic_size_t next;
    int busy;                   /* workers still inside the job */
    long min_parallel;
};

static void pool_work(sched_pool_t *p, size_t n, sched_pool_fn fn, void *ud, atomic_int *stop,
                      int worker)
{
    for (;;) {
        if (stop && atomic_load_explicit(stop, memory_order_relaxed)) return;
        size_t i = atomic_fetch_add(&p->next, POOL_CHUNK);
        if (i >= n) return;
        size_t end = i + POOL_CHUNK < n ? i + POOL_CHUNK : n;
        fn(ud, i, end, worker);
    }
}

typedef struct { sched_pool_t *p; int id; } worker_arg_t;

static void *pool_thread(void *arg)
{
    worker_arg_t *wa = arg;
    sched_pool_t *p = wa->p;
    int id = wa->id;
    free(wa);
    uint64_t seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->gen == seen) pthread_cond_wait(&p->wake, &p->mu);
        if (p->quit) break;
        seen = p->gen;
        size_t n = p->n;
        sched_pool_fn fn = p->fn;
        void *ud = p->ud;
        atomic_int *stop = p->stop;
        pthread_mutex_unlock(&p->mu);
        pool_work(p, n, fn, ud, stop, id);
        pthread_mutex_lock(&p->mu);
        if (--p->busy == 0) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int sched_pool_new(int threads, sched_pool_t **out)
{
    *out = NULL;
    sched_pool_t *p = calloc(1, sizeof *p);
    if (!p) return SKIFF_E_NOSPACE;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    const char *mp = getenv("SKIFF_SCHED_MIN_PARALLEL");
    p->min_parallel = mp ? atol(mp) : POOL_MIN_PARALLEL;
    int nw = threads > 1 ? threads - 1 : 0; /* the caller is a worker too */
    p->threads = calloc((size_t)nw + 1, sizeof *p->threads);
    if (!p->threads) { sched_pool_free(p); return SKIFF_E_NOSPACE; }
    for (int i = 0; i < nw; i++) {
        worker_arg_t *wa = malloc(sizeof *wa);
        if (!wa) { sched_pool_free(p); return SKIFF_E_NOSPACE; }
        wa->p = p;
        wa->id = i + 1;
        if (pthread_create(&p->threads[i], NULL, pool_thread, wa) != 0) {
            free(wa);
            sched_pool_free(p);
            return SKIFF_E_NOSPACE;
        }
        pthread_setname_np(p->threads[i], "skiff-schedwork"); /* for perf/top */
        p->n_threads++;
    }
    *out = p;
    return 0;
}

void sched_pool_free(sched_pool_t *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_threads; i++) pthread_join(p->threads[i], NULL);
    free(p->threads);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    free(p);
}

int sched_pool_size(const sched_pool_t *p)
{
    return p ? p->n_threads + 1 : 1;
}

int sched_pool_parallel(const sched_pool_t *p, size_t work)
{
    return p && p->n_threads > 0 && work >= (size_t)p->min_parallel;
}

void sched_pool_run(sched_pool_t *p, size_t n, size_t work, sched_pool_fn fn, void *ud,
                    atomic_int *stop)
{
    if (!sched_pool_parallel(p, work)) {
        for (size_t i = 0; i < n; i += POOL_CHUNK) {
            if (stop && atomic_load_explicit(stop, memory_order_relaxed)) return;
            fn(ud, i, i + POOL_CHUNK < n ? i + POOL_CHUNK : n, 0);
        }
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->n = n;
    p->fn = fn;
    p->ud = ud;
    p->stop = stop;
    atomic_store(&p->next, 0);
    p->busy = p->n_threads;
    p->gen++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    pool_work(p, n, fn, ud, stop, 0);
    pthread_mutex_lock(&p->mu);
    while (p->busy) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
