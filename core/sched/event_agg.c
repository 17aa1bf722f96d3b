/* Event correlation, as client-go's EventCorrelator does for
 * kube-scheduler's core/v1 events, in its three steps:
 *
 *  1. aggregate (EventAggregator, keyed by EventAggregatorByReasonFunc):
 *     events of one source, involved object, type and reason with
 *     different messages are remembered per (that key) for 10 minutes; once
 *     10 different messages were seen the event becomes one aggregate Event
 *     "(combined from similar events): <message>" keyed by the reason, so a
 *     stream of ever-changing messages is one Event with a growing count;
 *  2. observe (eventLogger): an event identical to one already written
 *     (same key) is not created again; the existing Event gets count+1, a
 *     new lastTimestamp and its message, so `kubectl describe` prints
 *     "(x3 over 10s)";
 *  3. spam filter (EventSourceObjectSpamFilter): per source + involved
 *     object + type, a token bucket of 25 refilled at 1 per 5 minutes;
 *     an event without a token is dropped (its count was still observed).
 *
 * Each memory is an LRU of 4096 keys by default, as upstream's.
 * Thread-safe (scheduling and binding threads both report). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched/event_agg.h"
#include "sched/sched_int.h"

#define AGG_MAX_EVENTS 10               /* defaultAggregateMaxEvents */
#define AGG_INTERVAL_NS (600LL * 1000000000LL) /* defaultAggregateIntervalInSeconds */
#define SPAM_BURST 25.0                 /* defaultSpamBurst */
#define SPAM_QPS (1.0 / 300.0)          /* defaultSpamQPS: 1 every 5 minutes */
#define COMBINED "(combined from similar events): "

/* One LRU entry; the three memories use the fields they need. */
typedef struct agg_entry {
    char *key;
    struct agg_entry *prev, *next; /* head = most recent */
    /* observe */
    char name[256];
    char first[40];
    int64_t count;
    /* aggregate: the distinct messages seen (oldest first) */
    char *msgs[AGG_MAX_EVENTS];
    size_t n_msgs;
    /* aggregate and spam */
    int64_t last_ns;
    double tokens;
} agg_entry_t;

typedef struct lru {
    sched_map_t map;
    agg_entry_t *head, *tail;
    size_t n, cap;
} lru_t;

struct sched_event_agg {
    pthread_mutex_t mu;
    lru_t seen;  /* observe */
    lru_t aggr;  /* aggregate records */
    lru_t spam;  /* token buckets */
};

int sched_event_agg_new(size_t cap, sched_event_agg_t **out)
{
    sched_event_agg_t *a = calloc(1, sizeof *a);
    if (!a) return SKIFF_E_NOSPACE;
    pthread_mutex_init(&a->mu, NULL);
    a->seen.cap = a->aggr.cap = a->spam.cap = cap ? cap : 4096;
    *out = a;
    return 0;
}

static void unlink_entry(lru_t *l, agg_entry_t *e)
{
    if (e->prev) e->prev->next = e->next;
    else l->head = e->next;
    if (e->next) e->next->prev = e->prev;
    else l->tail = e->prev;
    e->prev = e->next = NULL;
}

static void push_front(lru_t *l, agg_entry_t *e)
{
    e->next = l->head;
    if (l->head) l->head->prev = e;
    l->head = e;
    if (!l->tail) l->tail = e;
}

static void drop(lru_t *l, agg_entry_t *e)
{
    unlink_entry(l, e);
    sched_map_del(&l->map, e->key);
    for (size_t i = 0; i < e->n_msgs; i++) free(e->msgs[i]);
    free(e->key);
    free(e);
    l->n--;
}

/* The entry of key, made most recent; created (zeroed) when absent and
 * *created set. NULL on OOM. */
static agg_entry_t *lru_get(lru_t *l, const char *key, int *created)
{
    agg_entry_t *e = sched_map_get(&l->map, key);
    *created = 0;
    if (e) {
        unlink_entry(l, e);
        push_front(l, e);
        return e;
    }
    e = calloc(1, sizeof *e);
    if (!e || !(e->key = strdup(key)) || sched_map_put(&l->map, e->key, e) < 0) {
        if (e) free(e->key);
        free(e);
        return NULL;
    }
    push_front(l, e);
    l->n++;
    *created = 1;
    while (l->n > l->cap && l->tail && l->tail != e) drop(l, l->tail);
    return e;
}

static void lru_free(lru_t *l)
{
    while (l->head) drop(l, l->head);
    sched_map_free(&l->map);
}

/* ---- the observe step alone (identical events) -------------------------- */

int sched_event_agg_record(sched_event_agg_t *a, const char *key, const char *name, const char *now,
                           sched_event_agg_hit_t *hit)
{
    int rc = 0, created;
    pthread_mutex_lock(&a->mu);
    agg_entry_t *e = lru_get(&a->seen, key, &created);
    if (e && !created) {
        e->count++;
        snprintf(hit->name, sizeof hit->name, "%s", e->name);
        snprintf(hit->first, sizeof hit->first, "%s", e->first);
        hit->count = e->count;
        rc = 1;
    } else {
        if (e) {
            snprintf(e->name, sizeof e->name, "%s", name);
            snprintf(e->first, sizeof e->first, "%s", now);
            e->count = 1;
        }
        snprintf(hit->name, sizeof hit->name, "%s", name);
        snprintf(hit->first, sizeof hit->first, "%s", now);
        hit->count = 1;
    }
    pthread_mutex_unlock(&a->mu);
    return rc;
}

void sched_event_agg_forget(sched_event_agg_t *a, const char *key)
{
    pthread_mutex_lock(&a->mu);
    agg_entry_t *e = sched_map_get(&a->seen.map, key);
    if (e) drop(&a->seen, e);
    pthread_mutex_unlock(&a->mu);
}

size_t sched_event_agg_len(sched_event_agg_t *a)
{
    pthread_mutex_lock(&a->mu);
    size_t n = a->seen.n;
    pthread_mutex_unlock(&a->mu);
    return n;
}

/* ---- the whole correlator ------------------------------------------------ */

/* EventAggregate: 1 when the event becomes the aggregate one. Caller holds mu. */
static int aggregate(sched_event_agg_t *a, const char *agg_key, const char *message, int64_t now_ns)
{
    int created;
    agg_entry_t *r = lru_get(&a->aggr, agg_key, &created);
    if (!r) return 0; /* out of memory: the event goes as it is */
    if (!created && now_ns - r->last_ns > AGG_INTERVAL_NS) { /* too old: a fresh record */
        for (size_t i = 0; i < r->n_msgs; i++) free(r->msgs[i]);
        r->n_msgs = 0;
    }
    r->last_ns = now_ns;
    for (size_t i = 0; i < r->n_msgs; i++)
        if (strcmp(r->msgs[i], message) == 0) return r->n_msgs >= AGG_MAX_EVENTS;
    char *m = strdup(message);
    if (!m) return 0;
    if (r->n_msgs == AGG_MAX_EVENTS) { /* kept at most max (PopAny; here the oldest) */
        free(r->msgs[0]);
        memmove(r->msgs, r->msgs + 1, (AGG_MAX_EVENTS - 1) * sizeof *r->msgs);
        r->n_msgs--;
    }
    r->msgs[r->n_msgs++] = m;
    if (r->n_msgs < AGG_MAX_EVENTS) return 0;
    /* over the threshold: keep max - 1 so that a known message is not aggregated */
    free(r->msgs[0]);
    memmove(r->msgs, r->msgs + 1, (AGG_MAX_EVENTS - 1) * sizeof *r->msgs);
    r->n_msgs--;
    return 1;
}

/* EventSourceObjectSpamFilter: 1 = drop. Caller holds mu. */
static int spam_filtered(sched_event_agg_t *a, const char *spam_key, int64_t now_ns)
{
    int created;
    agg_entry_t *b = lru_get(&a->spam, spam_key, &created);
    if (!b) return 0;
    if (created) {
        b->tokens = SPAM_BURST;
    } else {
        double add = (double)(now_ns - b->last_ns) / 1e9 * SPAM_QPS;
        if (add > 0) b->tokens += add;
        if (b->tokens > SPAM_BURST) b->tokens = SPAM_BURST;
    }
    if (now_ns > b->last_ns || created) b->last_ns = now_ns;
    if (b->tokens < 1) return 1;
    b->tokens -= 1;
    return 0;
}

int sched_event_agg_correlate(sched_event_agg_t *a, const char *spam_key, const char *reason,
                              const char *message, const char *name, const char *now, int64_t now_ns,
                              sched_event_verdict_t *v)
{
    memset(v, 0, sizeof *v);
    char *agg_key = NULL, *full_key = NULL;
    if (asprintf(&agg_key, "%s\x01%s", spam_key, reason) < 0) agg_key = NULL;
    if (agg_key && asprintf(&full_key, "%s\x01%s", agg_key, message) < 0) full_key = NULL;
    if (!agg_key || !full_key) {
        free(agg_key);
        free(full_key);
        return SKIFF_E_NOSPACE;
    }
    pthread_mutex_lock(&a->mu);
    int combined = aggregate(a, agg_key, message, now_ns);
    if (combined) {
        v->key = agg_key;
        free(full_key);
        if (asprintf(&v->message, COMBINED "%s", message) < 0) v->message = NULL;
    } else {
        v->key = full_key;
        free(agg_key);
        v->message = strdup(message);
    }
    /* eventObserve */
    int created;
    agg_entry_t *e = v->message ? lru_get(&a->seen, v->key, &created) : NULL;
    int rc = 0;
    if (!v->message) {
        rc = SKIFF_E_NOSPACE;
    } else if (e && !created) {
        e->count++;
        v->action = SCHED_EVENT_PATCH;
        snprintf(v->name, sizeof v->name, "%s", e->name);
        snprintf(v->first, sizeof v->first, "%s", e->first);
        v->count = e->count;
    } else {
        if (e) {
            snprintf(e->name, sizeof e->name, "%s", name);
            snprintf(e->first, sizeof e->first, "%s", now);
            e->count = 1;
        }
        v->action = SCHED_EVENT_CREATE;
        snprintf(v->name, sizeof v->name, "%s", name);
        snprintf(v->first, sizeof v->first, "%s", now);
        v->count = 1;
    }
    if (rc == 0 && spam_filtered(a, spam_key, now_ns)) v->action = SCHED_EVENT_SKIP;
    pthread_mutex_unlock(&a->mu);
    if (rc < 0) sched_event_verdict_free(v);
    return rc;
}

void sched_event_verdict_free(sched_event_verdict_t *v)
{
    free(v->message);
    free(v->key);
    v->message = v->key = NULL;
}

void sched_event_agg_free(sched_event_agg_t *a)
{
    if (!a) return;
    lru_free(&a->seen);
    lru_free(&a->aggr);
    lru_free(&a->spam);
    pthread_mutex_destroy(&a->mu);
    free(a);
}
