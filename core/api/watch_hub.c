/* core/api/watch_hub — the shared log of a resource's watch events.
 *
 * A thousand informers watching pods used to cost a thousand fan-out
 * deliveries, a thousand serialisations and a thousand queue appends per
 * event. A hub subscribes to the resource's fan-out once, serialises each
 * event once into a refcounted HTTP chunk and appends it to a ring; every
 * plain watch (JSON, no label/field selector) of the resource keeps only a
 * cursor (next_seq) into the ring and filters its namespace by key prefix.
 * Semantics are those of watch.c: unfiltered ADDED/MODIFIED/DELETED, the
 * DELETED object is the last state at the deleting revision, BOOKMARKs carry
 * the last revision the cursor passed, a stream more than the hub's
 * capacity (the watch window) behind is ended with 410 Expired (it lists
 * again).
 *
 * Memory: the ring keeps what some stream still has to read, plus the last
 * APISRV_HUB_KEEP events for late joiners, never more than its capacity. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "api/watch_int.h"

void apisrv_hev_unref(apisrv_hev_t *e)
{
    if (e && __atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        free(e->mem);
        free(e->key);
        free(e);
    }
}

static void hub_unref_locked(apisrv_hub_t *h, int *freeit)
{
    *freeit = --h->refs == 0;
}

static void hub_free(apisrv_hub_t *h)
{
    if (h->sub) skiff_fanout_unsubscribe(h->sub);
    for (uint64_t q = h->head; q < h->tail; q++) apisrv_hev_unref(h->ring[q % h->cap]);
    free(h->ring);
    if (h->memfd >= 0) close(h->memfd);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    free(h);
}

void apisrv_hub_end_locked(skiff_api_stream_t *w, const char *why)
{
    if (w->ended) return;
    w->ended = 1;
    if (!why) return;
    w->cut = 1;
    skiff_api_buf_t b;
    skiff_api_buf_init(&b);
    apisrv_watch_expired_line(&b, why);
    /* push streams too: their writer moves it to its own buffer */
    if (!b.oom) skiff_api_buf_add(&w->q, b.data, b.len);
    skiff_api_buf_free(&b);
}

/* Build the event's chunk; NULL on allocation failure (the hub then fails
 * rather than silently skip an event). */
static apisrv_hev_t *hev_new(apisrv_hub_t *h, const skiff_store_event_t *ev)
{
    int64_t rv = ev->kv.mod_rev;
    skiff_api_buf_t b;
    skiff_api_buf_init(&b);
    /* room for the chunk header, written right-aligned once the length is known */
    skiff_api_buf_add(&b, "          ", 10);
    const char *type;
    if (ev->type == SKIFF_STORE_EV_PUT) {
        type = (ev->has_prev && ev->prev.value) || ev->kv.version > 1 ? "MODIFIED" : "ADDED";
        skiff_api_buf_puts(&b, "{\"type\":\"");
        skiff_api_buf_puts(&b, type);
        skiff_api_buf_puts(&b, "\",\"object\":");
        apisrv_obj_emit(&b, ev->kv.value, ev->kv.value_len, rv);
    } else {
        skiff_api_buf_puts(&b, "{\"type\":\"DELETED\",\"object\":");
        if (ev->has_prev && ev->prev.value) {
            apisrv_obj_emit(&b, ev->prev.value, ev->prev.value_len, rv);
        } else {
            cJSON *o = apisrv_watch_tombstone(h->res, h->kind, h->api_version, ev->kv.key, ev->kv.key_len, rv);
            char *s = o ? cJSON_PrintUnformatted(o) : NULL;
            cJSON_Delete(o);
            if (!s) b.oom = 1;
            else { skiff_api_buf_puts(&b, s); free(s); }
        }
    }
    skiff_api_buf_puts(&b, "}\n\r\n");
    apisrv_hev_t *e = calloc(1, sizeof *e);
    if (b.oom || !e || !(e->key = malloc(ev->kv.key_len + 1))) {
        if (e) free(e->key);
        free(e);
        skiff_api_buf_free(&b);
        return NULL;
    }
    memcpy(e->key, ev->kv.key, ev->kv.key_len);
    e->key[ev->kv.key_len] = '\0';
    e->key_len = ev->kv.key_len;
    e->rev = rv;
    e->refs = 1;
    size_t line_len = b.len - 10 - 2;
    char hex[16];
    int hl = snprintf(hex, sizeof hex, "%zx\r\n", line_len);
    size_t off = 10 - (size_t)hl;
    memcpy(b.data + off, hex, (size_t)hl);
    e->mem = b.data;
    e->chunk = b.data + off;
    e->chunk_len = b.len - off;
    e->line_off = (size_t)hl;
    e->line_len = line_len;
    return e;
}

/* The fan-out is done with this hub (cut off, store error): end every stream
 * with 410 so its client lists again, and give up the server's slot so the
 * next watch starts a fresh hub. Runs on the fan-out's delivery thread. */
static void hub_fail(apisrv_hub_t *h, const char *why)
{
    skiff_api_server_t *s = h->s;
    pthread_mutex_lock(&s->watch_mu);
    int own = s->hubs[h->idx] == h;
    if (own) s->hubs[h->idx] = NULL;
    pthread_mutex_unlock(&s->watch_mu);
    pthread_mutex_lock(&h->mu);
    h->failed = 1;
    for (skiff_api_stream_t *w = h->streams; w; w = w->hub_next) apisrv_hub_end_locked(w, why);
    pthread_cond_broadcast(&h->cv);
    int freeit = 0;
    if (own) {
        skiff_fanout_unsubscribe(h->sub); /* from its own callback: allowed */
        h->sub = NULL;
        hub_unref_locked(h, &freeit);
    }
    pthread_mutex_unlock(&h->mu);
    apisrv_pusher_kick(s);
    if (freeit) hub_free(h);
}

/* Drop ring events no stream needs any more (keeping APISRV_HUB_KEEP), and
 * release the file's pages below what any push stream may still send. */
static void trim_locked(apisrv_hub_t *h)
{
    /* every 64 events: it walks the streams */
    if (((h->tail & 63) != 0 || h->tail - h->head <= APISRV_HUB_KEEP + 256) && h->tail - h->head < h->cap) return;
    uint64_t min = h->tail - APISRV_HUB_KEEP;
    for (skiff_api_stream_t *w = h->streams; w; w = w->hub_next)
        if (!w->ended && w->next_seq < min) min = w->next_seq;
    while (h->head < min) {
        apisrv_hev_t *e = h->ring[h->head % h->cap];
        h->min_rev = e->rev + 1;
        apisrv_hev_unref(e);
        h->head++;
    }
    if (!h->file_ok) return;
    uint64_t keep = h->head < h->tail ? h->ring[h->head % h->cap]->off : h->log_end;
    for (skiff_api_stream_t *w = h->streams; w; w = w->hub_next) {
        if (!w->push) continue;
        /* behind the ring (being cut off, maybe in the middle of a send): keep all */
        uint64_t o = w->next_seq < h->head ? h->punched
                   : w->next_seq < h->tail ? h->ring[w->next_seq % h->cap]->off : h->log_end;
        /* the rest of a chunk begun is sent from the file as well */
        if (w->part_ev && w->part_ev->off + w->part < o) o = w->part_ev->off + w->part;
        if (o < keep) keep = o;
    }
    keep &= ~(uint64_t)4095;
    if (keep > h->punched + (1u << 20)) {
        if (fallocate(h->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)h->punched,
                      (off_t)(keep - h->punched)) == 0)
            h->punched = keep;
    }
}

static void hub_on_event(void *ud, const skiff_store_event_t *ev, const skiff_error_t *err)
{
    apisrv_hub_t *h = ud;
    if (err) {
        char why[600];
        snprintf(why, sizeof why, "the watch cache stopped (%s); list again", err->msg);
        hub_fail(h, why);
        return;
    }
    apisrv_hev_t *e = hev_new(h, ev);
    if (!e) { hub_fail(h, "out of memory serialising a watch event; list again"); return; }
    e->off = h->log_end;
    if (h->file_ok) {
        ssize_t wr = pwrite(h->memfd, e->chunk, e->chunk_len, (off_t)e->off);
        if (wr == (ssize_t)e->chunk_len) {
            h->log_end += e->chunk_len;
        } else {
            /* no room for the file: the writer sends from memory from now on
             * (the descriptor stays open: a sendfile may be using it) */
            pthread_mutex_lock(&h->mu);
            h->file_ok = 0;
            pthread_mutex_unlock(&h->mu);
        }
    }
    pthread_mutex_lock(&h->mu);
    if (h->failed) { pthread_mutex_unlock(&h->mu); apisrv_hev_unref(e); return; }
    trim_locked(h);
    if (h->tail - h->head == h->cap) {
        /* full: the oldest goes; a stream still at it finds itself cut off */
        apisrv_hev_t *old = h->ring[h->head % h->cap];
        h->min_rev = old->rev + 1;
        apisrv_hev_unref(old);
        h->head++;
    }
    h->ring[h->tail % h->cap] = e;
    __atomic_store_n(&h->tail, h->tail + 1, __ATOMIC_RELEASE); /* the write gate reads it unlocked */
    if (h->pull_waiters) pthread_cond_broadcast(&h->cv);
    int kick = h->npush > 0;
    pthread_mutex_unlock(&h->mu);
    if (kick) apisrv_pusher_kick(h->s);
}

static apisrv_hub_t *hub_get(skiff_api_server_t *s, size_t idx, int64_t from)
{
    /* caller holds s->watch_mu */
    if (s->hubs[idx]) return s->hubs[idx];
    skiff_fanout_t *fo = s->fanouts[idx];
    if (!fo || s->stopping) return NULL;
    apisrv_hub_t *h = calloc(1, sizeof *h);
    if (!h || !(h->ring = calloc(s->hub_cap, sizeof *h->ring))) { free(h); return NULL; }
    h->cap = s->hub_cap;
    h->s = s;
    h->idx = idx;
    h->res = &apisrv_resources[idx];
    snprintf(h->kind, sizeof h->kind, "%s", h->res->kind);
    apisrv_resource_api_version(h->res, h->api_version, sizeof h->api_version);
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    h->refs = 1;
    for (int i = 0; i < APISRV_PUSHERS_MAX; i++) h->push_min[i] = UINT64_MAX;
    h->memfd = getenv("SKIFF_WATCH_NO_SENDFILE") ? -1 : memfd_create("skiff-watch", MFD_CLOEXEC);
    h->file_ok = h->memfd >= 0;
    /* from the first watch's resume point (what the fan-out still has of the
     * window after it is replayed into the ring); a later watch resuming from
     * before that uses a subscription of its own */
    skiff_error_t err;
    int rc = SKIFF_E_COMPACTED;
    for (int tries = 0; tries < 3 && rc == SKIFF_E_COMPACTED; tries++) {
        skiff_fanout_stats_t st;
        skiff_fanout_stats(fo, &st);
        int64_t start = st.oldest_rev > st.start_rev ? st.oldest_rev : st.start_rev;
        if (from > start) start = from;
        if (start < 1) start = 1;
        h->min_rev = start;
        skiff_error_clear(&err);
        /* the callback may run before subscribe returns: it takes h->mu (and
         * watch_mu on failure, which waits for us) */
        rc = skiff_fanout_subscribe(fo, start, hub_on_event, h, NULL, &h->sub, &err);
    }
    if (rc < 0) {
        h->sub = NULL;
        hub_free(h);
        return NULL;
    }
    s->hubs[idx] = h;
    return h;
}

int apisrv_hub_attach(skiff_api_server_t *s, size_t idx, skiff_api_stream_t *w, int64_t from)
{
    if (idx >= 64) return 1;
    pthread_mutex_lock(&s->watch_mu);
    apisrv_hub_t *h = hub_get(s, idx, from);
    if (!h) { pthread_mutex_unlock(&s->watch_mu); return 1; }
    pthread_mutex_lock(&h->mu);
    pthread_mutex_unlock(&s->watch_mu);
    if (h->failed || from < h->min_rev) { pthread_mutex_unlock(&h->mu); return 1; }
    uint64_t q = h->tail;
    while (q > h->head && h->ring[(q - 1) % h->cap]->rev >= from) q--;
    w->next_seq = q;
    /* the fan-out may still be delivering older events into the ring */
    w->from_rev = from;
    w->hub = h;
    w->hub_next = h->streams;
    h->streams = w;
    h->refs++;
    pthread_mutex_unlock(&h->mu);
    return 0;
}

void apisrv_hub_detach(skiff_api_stream_t *w)
{
    apisrv_hub_t *h = w->hub;
    if (!h) return;
    pthread_mutex_lock(&h->mu);
    for (skiff_api_stream_t **pp = &h->streams; *pp; pp = &(*pp)->hub_next)
        if (*pp == w) { *pp = w->hub_next; break; }
    if (w->push) h->npush--;
    int freeit = 0;
    hub_unref_locked(h, &freeit);
    pthread_mutex_unlock(&h->mu);
    apisrv_hev_unref(w->part_ev);
    w->part_ev = NULL;
    skiff_api_buf_free(&w->out);
    w->hub = NULL;
    if (freeit) hub_free(h);
}

/* Pull side (in-process clients): lines of the ring for this stream. */
int apisrv_hub_stream_next(skiff_api_stream_t *w, char **out, size_t *len, int timeout_ms)
{
    apisrv_hub_t *h = w->hub;
    *out = NULL;
    *len = 0;
    pthread_mutex_lock(&h->mu);
    int64_t until = apisrv_mono_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        if (!w->ended && w->next_seq < h->head)
            apisrv_hub_end_locked(w, "the watch fell too far behind and was closed; list again");
        if (w->q.len) break;
        if (!w->ended && w->next_seq < h->tail) {
            for (; w->next_seq < h->tail && w->q.len < (1u << 20); w->next_seq++) {
                apisrv_hev_t *e = h->ring[w->next_seq % h->cap];
                if (e->rev >= w->from_rev && e->key_len >= w->prefix_len && memcmp(e->key, w->prefix, w->prefix_len) == 0)
                    skiff_api_buf_add(&w->q, e->chunk + e->line_off, e->line_len);
                if (e->rev > w->last_rev) w->last_rev = e->rev;
            }
            if (w->q.oom) {
                skiff_api_buf_free(&w->q);
                w->ended = 0;
                apisrv_hub_end_locked(w, "out of memory; list again");
            }
            continue;
        }
        if (w->ended) { pthread_mutex_unlock(&h->mu); return -1; }
        int64_t now = apisrv_mono_ns();
        if (w->deadline_ns && now >= w->deadline_ns) { w->ended = 1; continue; }
        if (w->bookmarks && now >= w->next_bookmark_ns && w->last_rev > 0) {
            apisrv_watch_bookmark_line(&w->q, w);
            w->next_bookmark_ns = now + (int64_t)w->s->bookmark_ms * 1000000;
            continue;
        }
        if (now >= until) { pthread_mutex_unlock(&h->mu); return 0; }
        int64_t wake = until;
        if (w->deadline_ns && w->deadline_ns < wake) wake = w->deadline_ns;
        if (w->bookmarks && w->next_bookmark_ns < wake) wake = w->next_bookmark_ns;
        int64_t rel = wake - now;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t abs = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + rel;
        ts.tv_sec = abs / 1000000000;
        ts.tv_nsec = abs % 1000000000;
        h->pull_waiters++;
        pthread_cond_timedwait(&h->cv, &h->mu, &ts);
        h->pull_waiters--;
    }
    size_t o = 0;
    char *buf = skiff_api_buf_take(&w->q, &o);
    if (w->bookmarks) w->next_bookmark_ns = apisrv_mono_ns() + (int64_t)w->s->bookmark_ms * 1000000;
    pthread_mutex_unlock(&h->mu);
    if (!buf) return 0;
    *out = buf;
    *len = o;
    return 1;
}

void apisrv_hubs_stop(skiff_api_server_t *s)
{
    pthread_mutex_lock(&s->watch_mu);
    for (size_t i = 0; i < 64; i++) {
        apisrv_hub_t *h = s->hubs[i];
        if (!h) continue;
        pthread_mutex_lock(&h->mu);
        for (skiff_api_stream_t *w = h->streams; w; w = w->hub_next) w->ended = 1;
        pthread_cond_broadcast(&h->cv);
        pthread_mutex_unlock(&h->mu);
    }
    pthread_mutex_unlock(&s->watch_mu);
    apisrv_pusher_kick(s);
}

void apisrv_hubs_free(skiff_api_server_t *s)
{
    for (size_t i = 0; i < 64; i++) {
        pthread_mutex_lock(&s->watch_mu);
        apisrv_hub_t *h = s->hubs[i];
        s->hubs[i] = NULL;
        pthread_mutex_unlock(&s->watch_mu);
        if (!h) continue;
        /* outside every lock: a callback in flight may be failing the hub */
        skiff_fanout_unsubscribe(h->sub);
        pthread_mutex_lock(&h->mu);
        h->sub = NULL;
        h->failed = 1;
        for (skiff_api_stream_t *w = h->streams; w; w = w->hub_next) w->ended = 1;
        pthread_cond_broadcast(&h->cv);
        int freeit = 0;
        hub_unref_locked(h, &freeit);
        pthread_mutex_unlock(&h->mu);
        if (freeit) hub_free(h);
    }
}
