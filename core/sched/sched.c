/* The scheduler's threads: feeding calls queue events in an inbox; one
 * scheduling thread applies them to the cache and queue and runs cycles;
 * one binding thread waits at Permit, runs PreBind and Bind and hands the
 * outcome back through the inbox, so the cache has a single owner. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched/sched_int.h"

enum { EV_NODE_SET = 1, EV_NODE_DEL, EV_POD_SET, EV_POD_DEL, EV_BIND_DONE };

#define SCHED_BIND_WORKERS_MAX 16

typedef struct sched_event {
    int type;
    cJSON *obj;
    char *a, *b;               /* names for deletes */
    sched_cycle_t *cy;         /* EV_BIND_DONE */
    sched_pod_rec_t *rec;      /* EV_POD_SET: parsed by the feeding thread */
    int ok, error;
    char msg[400];
    struct sched_event *next;
} sched_event_t;

struct skiff_sched {
    sched_profile_t *profiles;
    size_t n_profiles;
    skiff_sched_sink_t sink;
    skiff_sched_handle_t handle;
    int parallelism;

    pthread_mutex_t mu;        /* inbox, idle accounting */
    pthread_cond_t cv;         /* wakes the scheduling thread */
    pthread_cond_t idle_cv;
    sched_event_t *in_head, *in_tail;
    size_t pub_active;         /* active queue size as last published */
    int sched_busy;
    size_t in_binding;         /* cycles handed to the binding thread, not yet back */
    int quit, started;
    pthread_t sched_thread;

    pthread_mutex_t bmu;       /* binding queue and permit waiters */
    pthread_cond_t bcv;
    sched_cycle_t *b_head, *b_tail;
    size_t b_len;              /* cycles in b_head..b_tail */
    int b_idle;                /* workers asleep on bcv, not yet signalled */
    int b_wakes;               /* signals sent and not yet taken (bind_wait) */
    sched_cycle_t *waiting;
    int bquit;
    pthread_t bind_thread[SCHED_BIND_WORKERS_MAX]; /* kube-scheduler binds in goroutines, in parallel */
    int n_bind_workers, bind_started;

    /* owned by the scheduling thread */
    sched_cache_t cache;
    sched_queue_t queue;
    sched_fw_t fw;
    int64_t next_tick_ns;

    _Atomic uint64_t attempts, scheduled, unschedulable, errors;

    /* Dead pod records (replaced by a watch update or deleted). Freeing a
     * record's JSON tree was a third of the scheduling thread's time with
     * the API in the loop (the bind echo replaces every pod once), and the
     * tree was allocated by the watch thread: the scheduling thread
     * collects them (gc_local), hands them over under `mu` at the top of
     * its loop (gc), and the thread feeding pods frees them there. */
    sched_pod_rec_t *gc_local;
    sched_pod_rec_t *gc;
};

static void bind_wake_one(skiff_sched_t *s);

int64_t sched_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The absolute CLOCK_MONOTONIC time `ns` from now, for the condition
 * variables here (all made with CLOCK_MONOTONIC: clock changes don't
 * stretch a wait). */
static struct timespec deadline_in(int64_t ns)
{
    int64_t t = sched_now_ns() + ns;
    return (struct timespec){ .tv_sec = t / 1000000000, .tv_nsec = t % 1000000000 };
}

/* ---- the handle ------------------------------------------------------ */

static int handle_bind(const skiff_sched_handle_t *h, const skiff_sched_pod_t *pod,
                       const char *node, skiff_error_t *err)
{
    skiff_sched_t *s = h->host_data;
    if (!s->sink.bind) return skiff_error_set(err, SKIFF_E_UNSUPPORTED, "no binder configured");
    return s->sink.bind(s->sink.ud, pod, node, err);
}

static sched_cycle_t *find_waiting(skiff_sched_t *s, const char *uid)
{
    for (sched_cycle_t *c = s->waiting; c; c = c->next)
        if (strcmp(c->pod->view.uid, uid) == 0) return c;
    return NULL;
}

static int handle_allow(const skiff_sched_handle_t *h, const char *uid, const void *self)
{
    skiff_sched_t *s = h->host_data;
    int rc = SKIFF_E_NOTFOUND;
    pthread_mutex_lock(&s->bmu);
    sched_cycle_t *c = find_waiting(s, uid);
    for (int i = 0; c && i < c->waiting; i++)
        if (c->wait_for[i] == self) {
            c->wait_for[i] = c->wait_for[--c->waiting];
            rc = 0;
            pthread_cond_broadcast(&s->bcv);
            break;
        }
    pthread_mutex_unlock(&s->bmu);
    return rc;
}

static int handle_reject(const skiff_sched_handle_t *h, const char *uid, const void *self,
                         const char *reason)
{
    skiff_sched_t *s = h->host_data;
    int rc = SKIFF_E_NOTFOUND;
    pthread_mutex_lock(&s->bmu);
    sched_cycle_t *c = find_waiting(s, uid);
    if (c && !c->rejected) {
        c->rejected = 1;
        snprintf(c->reject_reason, sizeof c->reject_reason, "%s", reason ? reason : "rejected");
        (void)self;
        rc = 0;
        pthread_cond_broadcast(&s->bcv);
    }
    pthread_mutex_unlock(&s->bmu);
    return rc;
}

/* The state's preempt, from a PostFilter plugin on the scheduling thread:
 * the nomination is recorded at once (so the next pods' filters count it),
 * then the sink writes it and evicts the victims through the API. */
int sched_state_preempt(skiff_sched_state_t *st, const skiff_sched_pod_t *pod, const char *node_name,
                        const skiff_sched_pod_t *const *victims, size_t n_victims, skiff_error_t *err)
{
    sched_cycle_t *cy = (sched_cycle_t *)st;
    skiff_sched_t *s = st->handle ? st->handle->host_data : NULL;
    if (!s || !cy->pod || pod != &cy->pod->view)
        return skiff_error_set(err, SKIFF_E_INVALID, "preempt: only for the pod of the current cycle");
    if (sched_nominate_set(&s->cache, cy->pod, node_name ? node_name : "") < 0)
        return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    if (!s->sink.preempt) return skiff_error_set(err, SKIFF_E_UNSUPPORTED, "no API wired to evict preemption victims");
    return s->sink.preempt(s->sink.ud, pod, node_name ? node_name : "", victims, n_victims, err);
}

/* ---- inbox ---------------------------------------------------------------- */

/* Queue ev for the scheduling thread; *gc (when given) takes the dead
 * records handed over, for the caller to free outside the lock. */
static int post_gc(skiff_sched_t *s, sched_event_t *ev, sched_pod_rec_t **gc)
{
    sched_event_t *last = ev;
    while (last->next) last = last->next; /* a chain: the binding thread's batch */
    pthread_mutex_lock(&s->mu);
    if (s->in_tail) s->in_tail->next = ev;
    else s->in_head = ev;
    s->in_tail = last;
    if (gc) {
        *gc = s->gc;
        s->gc = NULL;
    }
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return 0;
}

static int post(skiff_sched_t *s, sched_event_t *ev, skiff_error_t *err)
{
    (void)err;
    return post_gc(s, ev, NULL);
}

static void gc_free(sched_pod_rec_t *p)
{
    while (p) {
        sched_pod_rec_t *n = p->gc_next;
        sched_pod_rec_unref(p);
        p = n;
    }
}

/* Scheduling thread: a dead record, to be freed by the feeding thread. */
static void gc_put(skiff_sched_t *s, sched_pod_rec_t *p)
{
    p->gc_next = s->gc_local;
    s->gc_local = p;
}



static int post_obj(skiff_sched_t *s, int type, cJSON *obj, skiff_error_t *err)
{
    if (!cJSON_IsObject(obj)) {
        cJSON_Delete(obj);
        return skiff_error_set(err, SKIFF_E_INVALID, "expected a JSON object");
    }
    sched_event_t *ev = calloc(1, sizeof *ev);
    if (!ev) { cJSON_Delete(obj); return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory"); }
    ev->type = type;
    ev->obj = obj;
    return post(s, ev, err);
}

int skiff_sched_node_add(skiff_sched_t *s, cJSON *obj, skiff_error_t *err)
{
    return post_obj(s, EV_NODE_SET, obj, err);
}

int skiff_sched_node_update(skiff_sched_t *s, cJSON *obj, skiff_error_t *err)
{
    return post_obj(s, EV_NODE_SET, obj, err);
}

/* The view is built here, on the feeding thread (the API watch), so the
 * scheduling thread spends its time scheduling; a pod that cannot be
 * viewed is refused with the field at fault. */
static int post_pod(skiff_sched_t *s, cJSON *obj, skiff_error_t *err)
{
    if (!cJSON_IsObject(obj)) {
        cJSON_Delete(obj);
        return skiff_error_set(err, SKIFF_E_INVALID, "expected a JSON object");
    }
    sched_pod_rec_t *p = calloc(1, sizeof *p);
    sched_event_t *ev = calloc(1, sizeof *ev);
    if (!p || !ev) {
        free(p);
        free(ev);
        cJSON_Delete(obj);
        return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    }
    p->obj = obj;
    int rc = sched_view_pod(&p->arena, obj, &p->view, err);
    if (rc == 0 && asprintf(&p->key, "%s/%s", p->view.namespace_, p->view.name) < 0) {
        p->key = NULL;
        rc = skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    }
    if (rc < 0) {
        sched_pod_rec_unref(p);
        free(ev);
        return rc;
    }
    p->view.created_ns = sched_now_ns();
    ev->type = EV_POD_SET;
    ev->rec = p;
    sched_pod_rec_t *gc = NULL;
    post_gc(s, ev, &gc);
    gc_free(gc); /* records the scheduling thread is done with */
    return 0;
}

int skiff_sched_pod_add(skiff_sched_t *s, cJSON *obj, skiff_error_t *err)
{
    return post_pod(s, obj, err);
}

int skiff_sched_pod_update(skiff_sched_t *s, cJSON *obj, skiff_error_t *err)
{
    return post_pod(s, obj, err);
}

int skiff_sched_node_delete(skiff_sched_t *s, const char *name, skiff_error_t *err)
{
    sched_event_t *ev = calloc(1, sizeof *ev);
    if (!ev || !(ev->a = strdup(name))) {
        free(ev);
        return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    }
    ev->type = EV_NODE_DEL;
    return post(s, ev, err);
}

int skiff_sched_pod_delete(skiff_sched_t *s, const char *ns, const char *name, skiff_error_t *err)
{
    sched_event_t *ev = calloc(1, sizeof *ev);
    if (!ev || asprintf(&ev->a, "%s/%s", ns && *ns ? ns : "default", name) < 0) {
        free(ev);
        return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    }
    ev->type = EV_POD_DEL;
    return post(s, ev, err);
}

/* ---- applying events (scheduling thread) ---------------------------------- */

static int profile_of(const skiff_sched_t *s, const char *name)
{
    for (size_t i = 0; i < s->n_profiles; i++)
        if (strcmp(s->profiles[i].name, name) == 0) return (int)i;
    return -1;
}

/* Drop a pod record from the queue, the cache and the map (or mark it, when
 * a cycle still holds it). */
static void pod_forget_but_slot(skiff_sched_t *s, sched_pod_rec_t *p);

static void pod_forget(skiff_sched_t *s, sched_pod_rec_t *p)
{
    sched_map_del(&s->cache.pods, p->key);
    pod_forget_but_slot(s, p);
}

/* pod_forget leaving the map slot, for a caller about to put the record
 * replacing it under the same key (one lookup instead of a delete and a
 * probe for a free slot). */
static void pod_forget_but_slot(skiff_sched_t *s, sched_pod_rec_t *p)
{
    sched_queue_remove(&s->queue, p);
    sched_cache_orphan_remove(&s->cache, p);
    sched_nominate_clear(&s->cache, p);
    if (p->in_flight) { p->deleted = 1; return; }
    sched_cache_pod_unplace(&s->cache, p);
    gc_put(s, p);
}

/* Equal but for status and the bookkeeping in metadata: kube-scheduler's
 * isPodUpdated — such an update (the scheduler's own condition or
 * nomination patch) does not make a pending pod worth another try. */
static int same_but_status(const cJSON *a, const cJSON *b)
{
    static const char *const skip_top[] = { "status", "metadata", NULL };
    static const char *const skip_meta[] = { "resourceVersion", "managedFields", "generation", NULL };
    for (int pass = 0; pass < 2; pass++) {
        const cJSON *x = pass ? cJSON_GetObjectItemCaseSensitive(a, "metadata") : a;
        const cJSON *y = pass ? cJSON_GetObjectItemCaseSensitive(b, "metadata") : b;
        const char *const *skip = pass ? skip_meta : skip_top;
        if (!cJSON_IsObject(x) || !cJSON_IsObject(y)) return 0;
        size_t nx = 0, ny = 0;
        for (const cJSON *e = x->child; e; e = e->next) {
            int skipped = 0;
            for (const char *const *k = skip; *k && !skipped; k++) skipped = strcmp(e->string, *k) == 0;
            if (skipped) continue;
            nx++;
            if (!cJSON_Compare(e, cJSON_GetObjectItemCaseSensitive(y, e->string), 1)) return 0;
        }
        for (const cJSON *e = y->child; e; e = e->next) {
            int skipped = 0;
            for (const char *const *k = skip; *k && !skipped; k++) skipped = strcmp(e->string, *k) == 0;
            if (!skipped) ny++;
        }
        if (nx != ny) return 0;
    }
    return 1;
}

static void apply_pod_set(skiff_sched_t *s, sched_pod_rec_t *p)
{
    p->profile = -1;
    sched_pod_rec_t *old = sched_map_get(&s->cache.pods, p->key);
    int bound = p->view.node_name[0] != '\0';
    int was_placed = old && old->node; /* read before pod_forget frees old */
    char *nominated = NULL;    /* a nomination the API has not echoed yet */
    int keep_where = SCHED_Q_NONE;
    if (old) {
        if (old->in_flight) { gc_put(s, p); return; } /* our cycle decides */
        /* spec.nodeName is never unset: an unbound copy of a pod we hold
         * placed (bound by our bind, or seen bound) is older than what we
         * know — e.g. the first state of a watch restarted after a 410,
         * listed before our bind landed. Taking it would unplace the pod and
         * schedule it again, and every pod placed meanwhile would miss it
         * (kube-scheduler skips assumed pods the same way). */
        if (!bound && old->node && old->view.uid && p->view.uid && strcmp(old->view.uid, p->view.uid) == 0) {
            gc_put(s, p);
            return;
        }
        p->attempts = old->attempts;
        p->backoff_until_ns = old->backoff_until_ns;
        p->view.created_ns = old->view.created_ns;
        if (old->nominated) nominated = strdup(old->nominated);
        if (!bound && !old->node && old->where != SCHED_Q_NONE && old->where != SCHED_Q_ACTIVE &&
            same_but_status(old->obj, p->obj)) {
            keep_where = old->where;
            p->unsched_since_ns = old->unsched_since_ns;
        }
        pod_forget_but_slot(s, old); /* old's key stays valid until the put below replaces it */
    }
    if (sched_map_put(&s->cache.pods, p->key, p) < 0) { sched_pod_rec_unref(p); return; }
    if (bound) {
        sched_node_rec_t *n = sched_map_get(&s->cache.nodes, p->view.node_name);
        if (n) sched_cache_pod_place(&s->cache, p, n, 0);
        else sched_cache_orphan_add(&s->cache, p);
        if (!was_placed) sched_queue_move_all(&s->queue, sched_now_ns());
        free(nominated);
        return;
    }
    sched_nominate_set(&s->cache, p, p->view.nominated_node_name[0] ? p->view.nominated_node_name : nominated);
    free(nominated);
    p->profile = profile_of(s, p->view.scheduler_name);
    if (p->profile < 0) return; /* another scheduler's pod: stays Pending */
    /* A pod being deleted is not scheduled (kube-scheduler's skipPodSchedule). */
    if (cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p->obj, "metadata"),
                                         "deletionTimestamp"))
        return;
    if (keep_where != SCHED_Q_NONE) sched_queue_restore(&s->queue, p, keep_where, sched_now_ns());
    else sched_queue_add(&s->queue, p, sched_now_ns());
}

static void apply_pod_del(skiff_sched_t *s, const char *key)
{
    sched_pod_rec_t *p = sched_map_get(&s->cache.pods, key);
    if (!p) return;
    int freed = p->node != NULL;
    pod_forget(s, p);
    if (freed) sched_queue_move_all(&s->queue, sched_now_ns());
}

static void report_failed(skiff_sched_t *s, sched_pod_rec_t *p, int error, const char *msg)
{
    if (s->sink.failed) s->sink.failed(s->sink.ud, &p->view, error, msg ? msg : "");
}

static void cycle_free(sched_cycle_t *cy)
{
    sched_cycle_clear(cy);
    free(cy);
}

/* After a cycle ends without a bind: back to the queue (or gone). */
static void pod_retry(skiff_sched_t *s, sched_pod_rec_t *p, int error)
{
    p->in_flight = 0;
    if (p->deleted) { sched_cache_pod_unplace(&s->cache, p); sched_pod_rec_unref(p); return; }
    sched_queue_failed(&s->queue, p, sched_now_ns(), error);
}

static void apply_bind_done(skiff_sched_t *s, sched_event_t *ev)
{
    sched_cycle_t *cy = ev->cy;
    sched_pod_rec_t *p = cy->pod;
    pthread_mutex_lock(&s->mu);
    s->in_binding--;
    pthread_mutex_unlock(&s->mu);
    if (ev->ok) {
        p->assumed = 0;
        p->in_flight = 0;
        sched_nominate_clear(&s->cache, p);
        if (p->deleted) { sched_cache_pod_unplace(&s->cache, p); sched_pod_rec_unref(p); }
    } else {
        /* Forget the assumed pod and give everything reserved back. */
        sched_fw_unreserve(cy, cy->node ? cy->node->view.name : "");
        sched_cache_pod_unplace(&s->cache, p);
        atomic_fetch_add(&s->errors, 1);
        report_failed(s, p, ev->error, ev->msg);
        pod_retry(s, p, 1);
        sched_queue_move_all(&s->queue, sched_now_ns()); /* resources came back */
    }
    cycle_free(cy);
}

static void apply(skiff_sched_t *s, sched_event_t *ev)
{
    skiff_error_t err;
    switch (ev->type) {
    case EV_NODE_SET: {
        int changed = 1;
        sched_node_rec_t *n = sched_cache_node_set(&s->cache, ev->obj, &changed, &err);
        ev->obj = NULL; /* the cache took it */
        if (n) {
            if (s->cache.n_orphans) sched_cache_adopt(&s->cache, n);
            if (changed) sched_queue_move_all(&s->queue, sched_now_ns());
        }
        break;
    }
    case EV_NODE_DEL: sched_cache_node_del(&s->cache, ev->a); break;
    case EV_POD_SET: apply_pod_set(s, ev->rec); ev->rec = NULL; break;
    case EV_POD_DEL: apply_pod_del(s, ev->a); break;
    case EV_BIND_DONE: apply_bind_done(s, ev); break;
    }
    cJSON_Delete(ev->obj);
    free(ev->a);
    free(ev->b);
    free(ev);
}

/* ---- one scheduling cycle --------------------------------------------------- */

#define HAS(ops, f) SKIFF_OPS_HAS((ops), skiff_scheduler_ops_t, f)

static void unwind(skiff_sched_t *s, sched_cycle_t *cy, int error, const char *msg)
{
    sched_pod_rec_t *p = cy->pod;
    sched_fw_unreserve(cy, cy->node->view.name);
    sched_cache_pod_unplace(&s->cache, p);
    if (error) atomic_fetch_add(&s->errors, 1);
    else atomic_fetch_add(&s->unschedulable, 1);
    report_failed(s, p, error, msg);
    cycle_free(cy);
    pod_retry(s, p, error);
}

static void schedule_one(skiff_sched_t *s, sched_pod_rec_t *p)
{
    const sched_profile_t *prof = &s->profiles[p->profile];
    sched_cycle_t *cy = malloc(sizeof *cy);
    if (!cy) { sched_queue_failed(&s->queue, p, sched_now_ns(), 1); return; }
    sched_cycle_init(cy, &s->handle, &s->cache, prof, p);
    p->in_flight = 1;
    atomic_fetch_add(&s->attempts, 1);
    sched_fw_result_t res;
    sched_fw_schedule(&s->fw, &s->cache, cy, &res);
    if (res.code != SKIFF_SCHED_SUCCESS) {
        int error = res.code == SKIFF_SCHED_ERROR;
        if (error) atomic_fetch_add(&s->errors, 1);
        else atomic_fetch_add(&s->unschedulable, 1);
        report_failed(s, p, error, res.message);
        free(res.message);
        cycle_free(cy);
        pod_retry(s, p, error);
        return;
    }
    cy->node = res.node;
    const char *node = res.node->view.name;
    if (sched_cache_pod_place(&s->cache, p, res.node, 1) < 0) {
        report_failed(s, p, 1, "out of memory");
        cycle_free(cy);
        pod_retry(s, p, 1);
        return;
    }
    char msg[400];
    for (size_t k = 0; k < prof->n_plugins; k++) {
        const skiff_scheduler_ops_t *ops = prof->plugins[k].ops;
        if (!HAS(ops, reserve)) continue;
        skiff_sched_status_t st = { SKIFF_SCHED_SUCCESS, "" };
        ops->reserve(prof->plugins[k].self, &cy->st, &p->view, node, &st);
        if (st.code == SKIFF_SCHED_SUCCESS || st.code == SKIFF_SCHED_SKIP) continue;
        int error = st.code == SKIFF_SCHED_ERROR;
        snprintf(msg, sizeof msg, error ? "running Reserve plugin \"%s\": %s" : "%.0s%s",
                 prof->plugins[k].name, st.reason);
        unwind(s, cy, error, msg);
        return;
    }
    int64_t now = sched_now_ns();
    for (size_t k = 0; k < prof->n_plugins; k++) {
        const skiff_scheduler_ops_t *ops = prof->plugins[k].ops;
        if (!HAS(ops, permit)) continue;
        skiff_sched_status_t st = { SKIFF_SCHED_SUCCESS, "" };
        int64_t wait_ms = 0;
        ops->permit(prof->plugins[k].self, &cy->st, &p->view, node, &wait_ms, &st);
        if (st.code == SKIFF_SCHED_SUCCESS || st.code == SKIFF_SCHED_SKIP) continue;
        if (st.code == SKIFF_SCHED_WAIT && cy->waiting < 32) {
            int64_t deadline = now + (wait_ms > 0 ? wait_ms : 0) * 1000000;
            if (!cy->waiting || deadline < cy->wait_deadline_ns) {
                cy->wait_deadline_ns = deadline;
                cy->reject_plugin = prof->plugins[k].name;
                snprintf(cy->reject_reason, sizeof cy->reject_reason,
                         "rejected due to timeout after waiting %lldms at plugin %s",
                         (long long)wait_ms, prof->plugins[k].name);
            }
            cy->wait_for[cy->waiting++] = prof->plugins[k].self;
            continue;
        }
        int error = st.code == SKIFF_SCHED_ERROR;
        snprintf(msg, sizeof msg, error ? "running Permit plugin \"%s\": %s" : "%.0s%s",
                 prof->plugins[k].name, st.reason);
        unwind(s, cy, error, msg);
        return;
    }
    /* To the binding thread. */
    pthread_mutex_lock(&s->mu);
    s->in_binding++;
    pthread_mutex_unlock(&s->mu);
    pthread_mutex_lock(&s->bmu);
    cy->next = NULL;
    if (cy->waiting) {
        cy->next = s->waiting;
        s->waiting = cy;
    } else {
        if (s->b_tail) s->b_tail->next = cy;
        else s->b_head = cy;
        s->b_tail = cy;
        s->b_len++;
    }
    if (cy->waiting && s->b_idle > 0) { /* someone must time its Permit wait */
        s->b_idle--;
        s->b_wakes++;
        pthread_cond_signal(&s->bcv);
    } else {
        bind_wake_one(s);
    }
    pthread_mutex_unlock(&s->bmu);
}

/* ---- the binding thread ----------------------------------------------------- */

/* Binding workers wake on demand. Kube binds every pod in its own
 * goroutine; here up to bind_workers threads bind at once, but a worker is
 * woken only when the queue outgrows the workers already running: with a
 * fast store one or two keep up (waking more only made them contend), and
 * with a durable store, where a bind waits for an fdatasync, the queue
 * grows and more join in, so more binds share each sync (bench-sched-api
 * --store lmdb, docs/performance.md ### Binding workers on demand). */
#define BIND_QUEUE_PER_WORKER 32

static void bind_wake_one(skiff_sched_t *s) /* under bmu */
{
    int running = s->bind_started - s->b_idle;
    if (s->b_idle > 0 && (running <= 0 || s->b_len > (size_t)running * BIND_QUEUE_PER_WORKER)) {
        s->b_idle--;
        s->b_wakes++;
        pthread_cond_signal(&s->bcv);
    }
}

/* Sleep on bcv (timed when deadline_ns >= 0), keeping b_idle true. */
static void bind_wait(skiff_sched_t *s, int64_t wait_ns)
{
    s->b_idle++;
    if (wait_ns < 0) {
        pthread_cond_wait(&s->bcv, &s->bmu);
    } else {
        struct timespec ts = deadline_in(wait_ns);
        pthread_cond_timedwait(&s->bcv, &s->bmu, &ts);
    }
    /* A signal already took this worker off b_idle; a broadcast, a timeout
     * or a spurious wake-up did not. */
    if (s->b_wakes > 0) s->b_wakes--;
    else s->b_idle--;
}


static sched_event_t *bind_cycle(skiff_sched_t *s, sched_cycle_t *cy, int rejected, const char *why)
{
    sched_event_t *ev = calloc(1, sizeof *ev);
    const sched_profile_t *prof = cy->prof;
    const char *node = cy->node->view.name;
    const skiff_sched_pod_t *pod = &cy->pod->view;
    int ok = 0, error = 0;
    char msg[400] = "";
    if (rejected) {
        snprintf(msg, sizeof msg, "%s", why);
    } else {
        int done = 0;
        for (size_t k = 0; k < prof->n_plugins && !msg[0]; k++) {
            const skiff_scheduler_ops_t *ops = prof->plugins[k].ops;
            if (!HAS(ops, pre_bind)) continue;
            skiff_sched_status_t st = { SKIFF_SCHED_SUCCESS, "" };
            ops->pre_bind(prof->plugins[k].self, &cy->st, pod, node, &st);
            if (st.code != SKIFF_SCHED_SUCCESS && st.code != SKIFF_SCHED_SKIP) {
                error = st.code == SKIFF_SCHED_ERROR;
                snprintf(msg, sizeof msg, "running PreBind plugin \"%s\": %s", prof->plugins[k].name, st.reason);
            }
        }
        for (size_t k = 0; k < prof->n_plugins && !msg[0] && !done; k++) {
            const skiff_scheduler_ops_t *ops = prof->plugins[k].ops;
            if (!HAS(ops, bind)) continue;
            skiff_sched_status_t st = { SKIFF_SCHED_SUCCESS, "" };
            ops->bind(prof->plugins[k].self, &cy->st, pod, node, &st);
            if (st.code == SKIFF_SCHED_SKIP) continue;
            if (st.code == SKIFF_SCHED_SUCCESS) { done = 1; break; }
            error = 1;
            snprintf(msg, sizeof msg, "running Bind plugin \"%s\": %s", prof->plugins[k].name, st.reason);
        }
        if (!done && !msg[0]) {
            error = 1;
            snprintf(msg, sizeof msg, "no bind plugin of profile \"%s\" bound the pod", prof->name);
        }
        ok = done && !msg[0];
    }
    if (ok) {
        atomic_fetch_add(&s->scheduled, 1);
        if (s->sink.bound) s->sink.bound(s->sink.ud, pod, node);
    }
    if (!ev) return NULL; /* leaks the cycle's slot in accounting; cannot report */
    ev->type = EV_BIND_DONE;
    ev->cy = cy;
    ev->ok = ok;
    ev->error = error;
    snprintf(ev->msg, sizeof ev->msg, "%s", msg);
    return ev;
}

/* Outcomes go to the scheduling thread in batches, while more binds are
 * queued: one post per bind woke the scheduling thread (and preempted this
 * one) for each pod, 33,000 wake-ups in basic-50k, for nothing the
 * scheduler needed then (the pod is assumed already). A failure goes at
 * once (its pod is requeued); so does the last outcome before the queue
 * runs dry. docs/performance.md, ## Scheduler. */
#define BIND_DONE_BATCH 64

typedef struct bind_batch { sched_event_t *head, *tail; int n; } bind_batch_t;

static void batch_flush(skiff_sched_t *s, bind_batch_t *b)
{
    if (b->head) post(s, b->head, NULL);
    *b = (bind_batch_t){ 0 };
}

static void *bind_main(void *arg)
{
    skiff_sched_t *s = arg;
    bind_batch_t done = { 0 };
    pthread_mutex_lock(&s->bmu);
    for (;;) {
        /* Waiters that are allowed, rejected or timed out go on. */
        int64_t now = sched_now_ns(), next = -1;
        sched_cycle_t **pp = &s->waiting;
        while (*pp) {
            sched_cycle_t *c = *pp;
            if (c->waiting == 0 || c->rejected || c->wait_deadline_ns <= now || s->bquit) {
                *pp = c->next;
                /* A timeout rejects with the reason Permit recorded; a reject
                 * brought its own; all allowed goes on to bind. */
                if (c->waiting && !c->rejected) c->rejected = 1;
                c->next = NULL;
                if (s->b_tail) s->b_tail->next = c;
                else s->b_head = c;
                s->b_tail = c;
                s->b_len++;
                continue;
            }
            if (next < 0 || c->wait_deadline_ns - now < next) next = c->wait_deadline_ns - now;
            pp = &c->next;
        }
        if (s->b_head) {
            sched_cycle_t *c = s->b_head;
            s->b_head = c->next;
            if (!s->b_head) s->b_tail = NULL;
            s->b_len--;
            bind_wake_one(s); /* a long queue: one more worker */
            int rejected = c->rejected;
            pthread_mutex_unlock(&s->bmu);
            sched_event_t *ev = bind_cycle(s, c, rejected, c->reject_reason);
            if (ev) {
                if (done.tail) done.tail->next = ev;
                else done.head = ev;
                done.tail = ev;
                done.n++;
            }
            pthread_mutex_lock(&s->bmu);
            if (!s->b_head || done.n >= BIND_DONE_BATCH || (ev && !ev->ok)) {
                pthread_mutex_unlock(&s->bmu);
                batch_flush(s, &done);
                pthread_mutex_lock(&s->bmu);
            }
            continue;
        }
        if (done.head) { /* never waits with outcomes held back */
            pthread_mutex_unlock(&s->bmu);
            batch_flush(s, &done);
            pthread_mutex_lock(&s->bmu);
            continue;
        }
        if (s->bquit) break;
        bind_wait(s, next);
    }
    pthread_mutex_unlock(&s->bmu);
    return NULL;
}

/* ---- the scheduling thread -------------------------------------------------- */

static void *sched_main(void *arg)
{
    skiff_sched_t *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        s->pub_active = s->queue.n_active;
        for (;;) {
            if (s->quit || s->in_head || s->queue.n_active) break;
            s->sched_busy = 0;
            pthread_cond_broadcast(&s->idle_cv);
            int64_t wait = s->next_tick_ns - sched_now_ns();
            if (wait <= 0) break;
            struct timespec ts = deadline_in(wait);
            pthread_cond_timedwait(&s->cv, &s->mu, &ts);
            if (s->next_tick_ns <= sched_now_ns()) break;
        }
        s->sched_busy = 1;
        if (s->gc_local) { /* hand dead records to the feeding thread */
            sched_pod_rec_t **t = &s->gc_local;
            while (*t) t = &(*t)->gc_next;
            *t = s->gc;
            s->gc = s->gc_local;
            s->gc_local = NULL;
        }
        if (s->quit) { pthread_mutex_unlock(&s->mu); break; }
        sched_event_t *ev = s->in_head;
        s->in_head = s->in_tail = NULL;
        pthread_mutex_unlock(&s->mu);
        while (ev) {
            sched_event_t *n = ev->next;
            apply(s, ev);
            ev = n;
        }
        int64_t now = sched_now_ns();
        if (now >= s->next_tick_ns) {
            int64_t d = sched_queue_tick(&s->queue, now);
            if (d < 0 || d > 100000000) d = 100000000; /* look again within 100 ms */
            s->next_tick_ns = now + d;
        }
        sched_pod_rec_t *p = sched_queue_pop(&s->queue);
        if (p) schedule_one(s, p);
    }
    return NULL;
}

/* ---- lifecycle --------------------------------------------------------------- */

int skiff_sched_new(const skiff_sched_options_t *opts, const skiff_sched_sink_t *sink,
                    skiff_sched_t **out, skiff_error_t *err)
{
    *out = NULL;
    if (!opts || !opts->n_profiles)
        return skiff_error_set(err, SKIFF_E_INVALID, "scheduler: no profiles configured");
    for (size_t i = 0; i < opts->n_profiles; i++) {
        const skiff_sched_profile_conf_t *pc = &opts->profiles[i];
        if (!pc->name || !*pc->name)
            return skiff_error_set(err, SKIFF_E_INVALID, "scheduler: profile %zu has no name", i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(opts->profiles[j].name, pc->name) == 0)
                return skiff_error_set(err, SKIFF_E_INVALID, "scheduler: duplicate profile \"%s\"", pc->name);
        if (pc->n_plugins > 32)
            return skiff_error_set(err, SKIFF_E_INVALID, "scheduler: profile \"%s\" has %zu plugins (at most 32)", pc->name, pc->n_plugins);
        if (pc->percentage_of_nodes_to_score < 0 || pc->percentage_of_nodes_to_score > 100)
            return skiff_error_set(err, SKIFF_E_INVALID, "scheduler: profile \"%s\": percentage_of_nodes_to_score %d is not within 0..100",
                                   pc->name, pc->percentage_of_nodes_to_score);
        int binds = 0;
        for (size_t k = 0; k < pc->n_plugins; k++) {
            const skiff_sched_plugin_ref_t *r = &pc->plugins[k];
            if (!r->ops || r->ops->size < sizeof(uint32_t))
                return skiff_error_set(err, SKIFF_E_INVALID, "scheduler: profile \"%s\": plugin \"%s\" has no scheduler ops", pc->name, r->name);
            if (r->weight < 0)
                return skiff_error_set(err, SKIFF_E_INVALID, "scheduler: profile \"%s\": plugin \"%s\": weight %lld is negative", pc->name, r->name, (long long)r->weight);
            binds += HAS(r->ops, bind);
        }
        if (!binds)
            return skiff_error_set(err, SKIFF_E_INVALID, "scheduler: profile \"%s\" has no bind plugin (add default-binder)", pc->name);
    }
    skiff_sched_t *s = calloc(1, sizeof *s);
    if (!s) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->bmu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_cond_init(&s->idle_cv, &ca);
    pthread_cond_init(&s->bcv, &ca);
    pthread_condattr_destroy(&ca);
    if (sink) s->sink = *sink;
    s->handle = (skiff_sched_handle_t){ sizeof s->handle, s, handle_bind, handle_allow, handle_reject };
    s->queue.backoff_initial_ns = (opts->backoff_initial_ms > 0 ? opts->backoff_initial_ms : 1000) * 1000000;
    s->queue.backoff_max_ns = (opts->backoff_max_ms > 0 ? opts->backoff_max_ms : 10000) * 1000000;
    s->queue.flush_ns = (opts->unschedulable_flush_ms > 0 ? opts->unschedulable_flush_ms : 300000) * 1000000;
    s->fw.rng = opts->seed;
    s->parallelism = opts->parallelism > 0 ? opts->parallelism : 2;
    if (opts->bind_workers < 0 || opts->bind_workers > SCHED_BIND_WORKERS_MAX) {
        skiff_sched_free(s);
        return skiff_error_set(err, SKIFF_E_INVALID, "scheduler: bind_workers %d is not within 1..%d",
                               opts->bind_workers, SCHED_BIND_WORKERS_MAX);
    }
    s->n_bind_workers = opts->bind_workers > 0 ? opts->bind_workers : 1;
    s->profiles = calloc(opts->n_profiles, sizeof *s->profiles);
    if (!s->profiles) { skiff_sched_free(s); return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory"); }
    s->n_profiles = opts->n_profiles;
    for (size_t i = 0; i < opts->n_profiles; i++) {
        const skiff_sched_profile_conf_t *pc = &opts->profiles[i];
        sched_profile_t *pr = &s->profiles[i];
        pr->name = strdup(pc->name);
        pr->plugins = calloc(pc->n_plugins + 1, sizeof *pr->plugins);
        if (!pr->name || !pr->plugins) { skiff_sched_free(s); return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory"); }
        memcpy(pr->plugins, pc->plugins, pc->n_plugins * sizeof *pr->plugins);
        pr->n_plugins = pc->n_plugins;
        pr->percentage = pc->percentage_of_nodes_to_score;
    }
    if (sched_pool_new(s->parallelism, &s->fw.pool) < 0) {
        skiff_sched_free(s);
        return skiff_error_set(err, SKIFF_E_NOSPACE, "scheduler: cannot start worker threads");
    }
    *out = s;
    return 0;
}

int skiff_sched_start(skiff_sched_t *s, skiff_error_t *err)
{
    if (s->started) return 0;
    s->bquit = 0;
    s->bind_started = 0;
    while (s->bind_started < s->n_bind_workers &&
           pthread_create(&s->bind_thread[s->bind_started], NULL, bind_main, s) == 0)
        pthread_setname_np(s->bind_thread[s->bind_started++], "skiff-bind"); /* for perf/top */
    int started = s->bind_started == s->n_bind_workers &&
                  pthread_create(&s->sched_thread, NULL, sched_main, s) == 0;
    if (started) pthread_setname_np(s->sched_thread, "skiff-sched");
    if (!started) {
        pthread_mutex_lock(&s->bmu);
        s->bquit = 1;
        pthread_cond_broadcast(&s->bcv);
        pthread_mutex_unlock(&s->bmu);
        for (int i = 0; i < s->bind_started; i++) pthread_join(s->bind_thread[i], NULL);
        return skiff_error_set(err, SKIFF_E_INTERNAL, "scheduler: cannot start the %s thread",
                               s->bind_started < s->n_bind_workers ? "binding" : "scheduling");
    }
    s->sched_busy = 1;
    s->started = 1;
    return 0;
}

void skiff_sched_stop(skiff_sched_t *s)
{
    if (!s || !s->started) return;
    /* The binding thread first: it finishes queued binds, rejects waiters. */
    pthread_mutex_lock(&s->bmu);
    s->bquit = 1;
    pthread_cond_broadcast(&s->bcv);
    pthread_mutex_unlock(&s->bmu);
    for (int i = 0; i < s->bind_started; i++) pthread_join(s->bind_thread[i], NULL);
    pthread_mutex_lock(&s->mu);
    s->quit = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->sched_thread, NULL);
    s->started = 0;
    /* Outcomes the scheduling thread never applied. */
    sched_event_t *ev = s->in_head;
    s->in_head = s->in_tail = NULL;
    while (ev) {
        sched_event_t *n = ev->next;
        apply(s, ev);
        ev = n;
    }
}

void skiff_sched_free(skiff_sched_t *s)
{
    if (!s) return;
    skiff_sched_stop(s);
    sched_event_t *ev = s->in_head;
    while (ev) {
        sched_event_t *n = ev->next;
        cJSON_Delete(ev->obj);
        free(ev->a);
        free(ev->b);
        if (ev->cy) cycle_free(ev->cy);
        sched_pod_rec_unref(ev->rec);
        free(ev);
        ev = n;
    }
    gc_free(s->gc_local);
    gc_free(s->gc);
    s->gc_local = s->gc = NULL;
    sched_queue_free(&s->queue);
    sched_cache_free(&s->cache);
    sched_fw_free(&s->fw);
    for (size_t i = 0; s->profiles && i < s->n_profiles; i++) {
        free(s->profiles[i].name);
        free(s->profiles[i].plugins);
    }
    free(s->profiles);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->bmu);
    pthread_cond_destroy(&s->cv);
    pthread_cond_destroy(&s->idle_cv);
    pthread_cond_destroy(&s->bcv);
    free(s);
}

void skiff_sched_stats(skiff_sched_t *s, skiff_sched_stats_t *out)
{
    memset(out, 0, sizeof *out);
    out->attempts = atomic_load(&s->attempts);
    out->scheduled = atomic_load(&s->scheduled);
    out->unschedulable = atomic_load(&s->unschedulable);
    out->errors = atomic_load(&s->errors);
    /* Queue and cache sizes belong to the scheduling thread: read when idle. */
    pthread_mutex_lock(&s->mu);
    if (!s->sched_busy || !s->started) {
        out->active = s->queue.n_active;
        out->backoff = s->queue.n_backoff;
        out->unschedulable_pods = s->queue.n_unsched;
        out->nodes = s->cache.n_list;
        out->pods = s->cache.n_bound;
    }
    pthread_mutex_unlock(&s->mu);
}

int skiff_sched_wait_idle(skiff_sched_t *s, int64_t timeout_ms)
{
    struct timespec ts = deadline_in(timeout_ms * 1000000);
    int rc = 0;
    pthread_mutex_lock(&s->mu);
    while (s->sched_busy || s->in_head || s->in_binding) {
        if (pthread_cond_timedwait(&s->idle_cv, &s->mu, &ts) == ETIMEDOUT) { rc = -ETIMEDOUT; break; }
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

const skiff_sched_handle_t *skiff_sched_handle(skiff_sched_t *s)
{
    return &s->handle;
}
