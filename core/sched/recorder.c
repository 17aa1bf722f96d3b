/* core/sched/recorder — a bounded event queue drained by one thread (see
 * recorder.h). The writer takes the whole queue at once and is woken only
 * when it sleeps, so a burst of binds costs one wake-up, not one per event. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log/log.h"
#include "sched/recorder.h"

typedef struct item {
    struct item *next;
    sched_rec_event_t ev;    /* strings point into text[] */
    char text[];
} item_t;

struct sched_recorder {
    pthread_mutex_t mu;
    pthread_cond_t cv;       /* writer: work or quit */
    pthread_cond_t idle;     /* flush: the writer caught up */
    pthread_t thread;
    item_t *head, *tail;
    size_t n, cap;
    int sleeping, quit;
    uint64_t posted, written, dropped;
    int64_t last_log_ns;
    sched_recorder_write_fn write;
    void *ud;
};

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void *writer(void *arg)
{
    sched_recorder_t *r = arg;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        if (!r->head) {
            pthread_cond_broadcast(&r->idle);
            if (r->quit) break;
            r->sleeping = 1;
            pthread_cond_wait(&r->cv, &r->mu);
            r->sleeping = 0;
            continue;
        }
        item_t *batch = r->head;
        r->head = r->tail = NULL;
        r->n = 0;
        pthread_mutex_unlock(&r->mu);
        uint64_t done = 0;
        while (batch) {
            item_t *it = batch;
            batch = it->next;
            r->write(r->ud, &it->ev);
            free(it);
            done++;
        }
        pthread_mutex_lock(&r->mu);
        r->written += done;
        pthread_cond_broadcast(&r->idle);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

int sched_recorder_new(size_t cap, sched_recorder_write_fn write, void *ud, sched_recorder_t **out)
{
    *out = NULL;
    sched_recorder_t *r = calloc(1, sizeof *r);
    if (!r) return -ENOMEM;
    r->cap = cap ? cap : SCHED_RECORDER_CAP;
    r->write = write;
    r->ud = ud;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    pthread_cond_init(&r->idle, NULL);
    int rc = pthread_create(&r->thread, NULL, writer, r);
    if (rc == 0) pthread_setname_np(r->thread, "skiff-events"); /* for perf/top */
    if (rc != 0) {
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->cv);
        pthread_cond_destroy(&r->idle);
        free(r);
        return -rc;
    }
    *out = r;
    return 0;
}

static size_t slen(const char *s) { return s ? strlen(s) + 1 : 0; }

/* Copy s into *p (NULL stays NULL). */
static const char *put(char **p, const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    memcpy(*p, s, n);
    const char *at = *p;
    *p += n;
    return at;
}

static void dropped(sched_recorder_t *r, const sched_rec_event_t *ev)
{
    /* r->mu held */
    r->dropped++;
    int64_t now = now_ns();
    if (r->dropped == 1 || now - r->last_log_ns >= 1000000000) {
        r->last_log_ns = now;
        skiff_log(SKIFF_LOG_ERROR, "scheduler",
                  "unable to record event: too many queued events (%zu), dropped %llu so far (latest: %s %s/%s)",
                  r->cap, (unsigned long long)r->dropped, ev->reason ? ev->reason : "",
                  ev->namespace_ ? ev->namespace_ : "", ev->name ? ev->name : "");
    }
}

int sched_recorder_post(sched_recorder_t *r, const sched_rec_event_t *ev)
{
    pthread_mutex_lock(&r->mu);
    int full = r->n >= r->cap || r->quit;
    if (full) dropped(r, ev);
    pthread_mutex_unlock(&r->mu);
    if (full) return 1;
    size_t n = slen(ev->type) + slen(ev->reason) + slen(ev->action) + slen(ev->message) + slen(ev->by) +
               slen(ev->name) + slen(ev->namespace_) + slen(ev->uid) + slen(ev->rname) + slen(ev->rnamespace) +
               slen(ev->ruid);
    item_t *it = malloc(sizeof *it + n);
    if (!it) {
        pthread_mutex_lock(&r->mu);
        dropped(r, ev);
        pthread_mutex_unlock(&r->mu);
        return 1;
    }
    char *p = it->text;
    it->next = NULL;
    it->ev = (sched_rec_event_t){
        .type = put(&p, ev->type), .reason = put(&p, ev->reason), .action = put(&p, ev->action),
        .message = put(&p, ev->message), .by = put(&p, ev->by), .name = put(&p, ev->name),
        .namespace_ = put(&p, ev->namespace_), .uid = put(&p, ev->uid), .rname = put(&p, ev->rname),
        .rnamespace = put(&p, ev->rnamespace), .ruid = put(&p, ev->ruid),
        .at_ns = ev->at_ns ? ev->at_ns : now_ns(),
    };
    pthread_mutex_lock(&r->mu);
    if (r->n >= r->cap || r->quit) { /* filled up meanwhile */
        dropped(r, ev);
        pthread_mutex_unlock(&r->mu);
        free(it);
        return 1;
    }
    if (r->tail) r->tail->next = it;
    else r->head = it;
    r->tail = it;
    r->n++;
    r->posted++;
    if (r->sleeping) pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return 0;
}

void sched_recorder_flush(sched_recorder_t *r)
{
    if (!r) return;
    pthread_mutex_lock(&r->mu);
    uint64_t want = r->posted;
    while (r->written < want) pthread_cond_wait(&r->idle, &r->mu);
    pthread_mutex_unlock(&r->mu);
}

uint64_t sched_recorder_dropped(sched_recorder_t *r)
{
    pthread_mutex_lock(&r->mu);
    uint64_t d = r->dropped;
    pthread_mutex_unlock(&r->mu);
    return d;
}

uint64_t sched_recorder_written(sched_recorder_t *r)
{
    pthread_mutex_lock(&r->mu);
    uint64_t w = r->written;
    pthread_mutex_unlock(&r->mu);
    return w;
}

void sched_recorder_free(sched_recorder_t *r)
{
    if (!r) return;
    pthread_mutex_lock(&r->mu);
    r->quit = 1; /* the writer empties the queue, then ends */
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    pthread_cond_destroy(&r->idle);
    free(r);
}
