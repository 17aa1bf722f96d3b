/* Event aggregation, as client-go's EventCorrelator (eventLogger) does for
 * kube-scheduler: an event identical to one already written (same source,
 * involved object, type, reason and message) is not created again; the
 * existing Event gets count+1 and a new lastTimestamp, so `kubectl describe`
 * prints "(x3 over 10s)". The memory is an LRU of 4096 keys by default, as
 * upstream's; thread-safe (scheduling and binding threads both report). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched/event_agg.h"
#include "sched/sched_int.h"

typedef struct agg_entry {
    char *key;
    char name[256];
    char first[40];
    int64_t count;
    struct agg_entry *prev, *next; /* LRU: head = most recent */
} agg_entry_t;

struct sched_event_agg {
    pthread_mutex_t mu;
    sched_map_t map;
    agg_entry_t *head, *tail;
    size_t n, cap;
};

int sched_event_agg_new(size_t cap, sched_event_agg_t **out)
{
    sched_event_agg_t *a = calloc(1, sizeof *a);
    if (!a) return SKIFF_E_NOSPACE;
    pthread_mutex_init(&a->mu, NULL);
    a->cap = cap ? cap : 4096;
    *out = a;
    return 0;
}

static void unlink_entry(sched_event_agg_t *a, agg_entry_t *e)
{
    if (e->prev) e->prev->next = e->next;
    else a->head = e->next;
    if (e->next) e->next->prev = e->prev;
    else a->tail = e->prev;
    e->prev = e->next = NULL;
}

static void push_front(sched_event_agg_t *a, agg_entry_t *e)
{
    e->next = a->head;
    if (a->head) a->head->prev = e;
    a->head = e;
    if (!a->tail) a->tail = e;
}

static void drop(sched_event_agg_t *a, agg_entry_t *e)
{
    unlink_entry(a, e);
    sched_map_del(&a->map, e->key);
    free(e->key);
    free(e);
    a->n--;
}

int sched_event_agg_record(sched_event_agg_t *a, const char *key, const char *name, const char *now,
                           sched_event_agg_hit_t *hit)
{
    int rc = 0;
    pthread_mutex_lock(&a->mu);
    agg_entry_t *e = sched_map_get(&a->map, key);
    if (e) {
        e->count++;
        unlink_entry(a, e);
        push_front(a, e);
        snprintf(hit->name, sizeof hit->name, "%s", e->name);
        snprintf(hit->first, sizeof hit->first, "%s", e->first);
        hit->count = e->count;
        rc = 1;
    } else {
        e = calloc(1, sizeof *e);
        if (e && (e->key = strdup(key)) && sched_map_put(&a->map, e->key, e) == 0) {
            snprintf(e->name, sizeof e->name, "%s", name);
            snprintf(e->first, sizeof e->first, "%s", now);
            e->count = 1;
            push_front(a, e);
            a->n++;
            while (a->n > a->cap && a->tail) drop(a, a->tail);
        } else if (e) {
            free(e->key);
            free(e);
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
    agg_entry_t *e = sched_map_get(&a->map, key);
    if (e) drop(a, e);
    pthread_mutex_unlock(&a->mu);
}

size_t sched_event_agg_len(sched_event_agg_t *a)
{
    pthread_mutex_lock(&a->mu);
    size_t n = a->n;
    pthread_mutex_unlock(&a->mu);
    return n;
}

void sched_event_agg_free(sched_event_agg_t *a)
{
    if (!a) return;
    while (a->head) drop(a, a->head);
    sched_map_free(&a->map);
    pthread_mutex_destroy(&a->mu);
    free(a);
}
