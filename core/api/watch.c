/* core/api/watch — watch streams. A plain JSON watch (no selector, not a
 * Table) with the watch cache on reads the resource's shared log
 * (watch_hub.c; pushed over HTTP by watch_push.c). Every other watch has a
 * subscription of its own (the fan-out, or the store's history): its events
 * are turned into newline-delimited JSON (or one-row Tables) and queued for
 * the HTTP thread, which drains them as chunks. A plain JSON watch of the
 * in-process client is a pull stream: the client's watch thread takes the
 * events from the fan-out's window itself and hands each object's text to
 * its callback — no bus worker, no shared log, no queue in between, and the
 * thread is woken only when it sleeps (skiff_fanout_pull).
 *
 * Semantics (as kube-apiserver): resourceVersion "" or "0" first sends the
 * current objects as ADDED; otherwise only changes after that revision; a
 * compacted revision gives an ERROR event with a 410 Expired Status; label
 * and field selectors turn an object leaving the selection into DELETED and
 * one entering it into ADDED; BOOKMARKs (allowWatchBookmarks) carry the last
 * revision sent; timeoutSeconds ends the stream cleanly. A watcher whose
 * queue grows past QUEUE_MAX (shared log: the window) is cut off with 410
 * (it lists again). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/client_int.h"
#include "api/watch_int.h"

#define QUEUE_MAX (64u * 1024u * 1024u)

int64_t apisrv_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
#define mono_ns apisrv_mono_ns

void apisrv_chunk_add(skiff_api_buf_t *b, const char *data, size_t len)
{
    skiff_api_buf_printf(b, "%zx\r\n", len);
    skiff_api_buf_add(b, data, len);
    skiff_api_buf_add(b, "\r\n", 2);
}

void apisrv_watch_expired_line(skiff_api_buf_t *b, const char *why)
{
    char *st = apisrv_status_json(410, "Expired", why);
    if (!st) { b->oom = 1; return; }
    skiff_api_buf_printf(b, "{\"type\":\"ERROR\",\"object\":%s}\n", st);
    free(st);
}

void apisrv_watch_bookmark_line(skiff_api_buf_t *b, const skiff_api_stream_t *w)
{
    skiff_api_buf_printf(b, "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{\"resourceVersion\":\"%lld\"}}}\n",
                         w->kind, w->api_version, (long long)w->last_rev);
}

static int64_t real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* queue a line; caller holds mu */
static void push_locked(skiff_api_stream_t *w, skiff_api_buf_t *b)
{
    if (w->ended || b->oom) return;
    if (w->q.len + b->len > QUEUE_MAX || w->q.oom) {
        w->cut = 1;
        w->ended = 1;
        skiff_api_buf_free(&w->q);
        char *st = apisrv_status_json(410, "Expired", "the watch fell too far behind and was closed; list again");
        if (st) {
            skiff_api_buf_printf(&w->q, "{\"type\":\"ERROR\",\"object\":%s}\n", st);
            free(st);
        }
        pthread_cond_broadcast(&w->cv);
        return;
    }
    int was_empty = w->q.len == 0;
    skiff_api_buf_add(&w->q, b->data, b->len);
    if (was_empty) pthread_cond_broadcast(&w->cv);
}

/* Build one event line into b. `val` is a stored value (borrowed) or NULL
 * (then obj is used). */
static void event_line(skiff_api_stream_t *w, skiff_api_buf_t *b, const char *type,
                       const char *val, size_t len, int64_t rv, cJSON *obj)
{
    skiff_api_buf_puts(b, "{\"type\":\"");
    skiff_api_buf_puts(b, type);
    skiff_api_buf_puts(b, "\",\"object\":");
    if (w->table) {
        if (!obj) obj = apisrv_obj_decode(val, len, rv);
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "kind", "Table");
        cJSON_AddStringToObject(t, "apiVersion", "meta.k8s.io/v1");
        char rvs[24];
        snprintf(rvs, sizeof rvs, "%lld", (long long)rv);
        cJSON_AddStringToObject(cJSON_AddObjectToObject(t, "metadata"), "resourceVersion", rvs);
        cJSON *rows = cJSON_AddArrayToObject(t, "rows");
        if (obj) cJSON_AddItemToArray(rows, apisrv_table_row(w->res, obj, w->include, real_ns()));
        obj = NULL;
        char *s = cJSON_PrintUnformatted(t);
        cJSON_Delete(t);
        if (s) { skiff_api_buf_puts(b, s); free(s); }
        else skiff_api_buf_puts(b, "{}");
    } else if (obj) {
        char *s = cJSON_PrintUnformatted(obj);
        if (s) { skiff_api_buf_puts(b, s); free(s); }
        else skiff_api_buf_puts(b, "{}");
    } else {
        apisrv_obj_emit(b, val, len, rv);
    }
    cJSON_Delete(obj);
    skiff_api_buf_puts(b, "}\n");
}

cJSON *apisrv_watch_tombstone(const apisrv_resource_t *res, const char *kind,
                              const char *api_version, const char *key, size_t key_len,
                              int64_t rv)
{
    /* key = /registry/<plural>/[<ns>/]<name> */
    char k[600];
    snprintf(k, sizeof k, "%.*s", (int)(key_len < sizeof k ? key_len : sizeof k - 1), key);
    char *p = k + strlen("/registry/");
    p = strchr(p, '/');
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", kind);
    cJSON_AddStringToObject(o, "apiVersion", api_version);
    cJSON *m = cJSON_AddObjectToObject(o, "metadata");
    if (p) {
        p++;
        char *slash = res->namespaced ? strchr(p, '/') : NULL;
        if (slash) { *slash = '\0'; cJSON_AddStringToObject(m, "name", slash + 1); cJSON_AddStringToObject(m, "namespace", p); }
        else cJSON_AddStringToObject(m, "name", p);
    }
    char rvs[24];
    snprintf(rvs, sizeof rvs, "%lld", (long long)rv);
    cJSON_AddStringToObject(m, "resourceVersion", rvs);
    return o;
}

static cJSON *tombstone(skiff_api_stream_t *w, const char *key, size_t key_len, int64_t rv)
{
    return apisrv_watch_tombstone(w->res, w->kind, w->api_version, key, key_len, rv);
}

static void on_event(void *ud, const skiff_store_event_t *ev, const skiff_error_t *err)
{
    skiff_api_stream_t *w = ud;
    /* the watch cache covers the whole resource: keep this watch's namespace */
    if (ev && (ev->kv.key_len < w->prefix_len || memcmp(ev->kv.key, w->prefix, w->prefix_len) != 0))
        return;
    skiff_api_buf_t b;
    skiff_api_buf_init(&b);
    if (err) {
        if (err->code == SKIFF_E_COMPACTED) {
            char msg[600];
            snprintf(msg, sizeof msg, "too old resource version: %lld (%s)", (long long)w->last_rev, err->msg);
            char *st = apisrv_status_json(410, "Expired", msg);
            if (st) { skiff_api_buf_printf(&b, "{\"type\":\"ERROR\",\"object\":%s}\n", st); free(st); }
        }
        pthread_mutex_lock(&w->mu);
        push_locked(w, &b);
        w->ended = 1;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        skiff_api_buf_free(&b);
        return;
    }
    int64_t rv = ev->kv.mod_rev;
    const char *type = NULL;
    cJSON *obj = NULL;
    int filtered = !apisrv_filter_empty(w->filter);
    if (ev->type == SKIFF_STORE_EV_PUT) {
        int was = ev->has_prev && ev->prev.value;
        if (filtered) {
            obj = apisrv_obj_decode(ev->kv.value, ev->kv.value_len, rv);
            int now_in = obj && apisrv_filter_match(w->filter, w->res, obj);
            int before = 0;
            if (was) {
                cJSON *p = apisrv_obj_decode(ev->prev.value, ev->prev.value_len, ev->prev.mod_rev);
                before = p && apisrv_filter_match(w->filter, w->res, p);
                cJSON_Delete(p);
            }
            if (now_in) type = before ? "MODIFIED" : "ADDED";
            else if (before) type = "DELETED";
            if (!type) { cJSON_Delete(obj); obj = NULL; }
        } else {
            type = was || ev->kv.version > 1 ? "MODIFIED" : "ADDED";
        }
        if (type) event_line(w, &b, type, ev->kv.value, ev->kv.value_len, rv, obj);
    } else {
        if (ev->has_prev && ev->prev.value) {
            obj = apisrv_obj_decode(ev->prev.value, ev->prev.value_len, rv);
            if (filtered && obj && !apisrv_filter_match(w->filter, w->res, obj)) { cJSON_Delete(obj); obj = NULL; }
            else if (!obj) obj = tombstone(w, ev->kv.key, ev->kv.key_len, rv);
        } else if (!filtered) {
            obj = tombstone(w, ev->kv.key, ev->kv.key_len, rv);
        }
        if (obj) event_line(w, &b, "DELETED", NULL, 0, rv, obj);
    }
    pthread_mutex_lock(&w->mu);
    if (rv > w->last_rev) w->last_rev = rv;
    if (b.len) push_locked(w, &b);
    pthread_mutex_unlock(&w->mu);
    skiff_api_buf_free(&b);
}

typedef struct initial {
    skiff_api_stream_t *w;
    skiff_api_buf_t b;
} initial_t;

static int initial_cb(void *ud, const skiff_store_kv_t *kv)
{
    initial_t *in = ud;
    skiff_api_stream_t *w = in->w;
    cJSON *obj = NULL;
    if (!apisrv_filter_empty(w->filter)) {
        obj = apisrv_obj_decode(kv->value, kv->value_len, kv->mod_rev);
        if (!obj || !apisrv_filter_match(w->filter, w->res, obj)) { cJSON_Delete(obj); return 0; }
    }
    event_line(w, &in->b, "ADDED", kv->value, kv->value_len, kv->mod_rev, obj);
    return in->b.oom;
}

void skiff_api_stream_close(skiff_api_stream_t *w)
{
    if (!w) return;
    skiff_api_server_t *s = w->s;
    apisrv_hub_detach(w);
    if (w->sub) skiff_fanout_unsubscribe(w->sub);
    if (w->sw) s->ops->unwatch(s->store, w->sw);
    pthread_mutex_lock(&s->watch_mu);
    for (skiff_api_stream_t **pp = &s->watches; *pp; pp = &(*pp)->next_live)
        if (*pp == w) { *pp = w->next_live; break; }
    pthread_mutex_unlock(&s->watch_mu);
    skiff_fanout_pull_close(w->pull); /* out of the list first: stop_all wakes it */
    skiff_api_buf_free(&w->q);
    skiff_api_buf_free(&w->ev);
    apisrv_filter_free(w->filter);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
}

void apisrv_watch_stop_all(skiff_api_server_t *s)
{
    pthread_mutex_lock(&s->watch_mu);
    for (skiff_api_stream_t *w = s->watches; w; w = w->next_live) {
        if (w->hub) continue; /* ended by apisrv_hubs_stop */
        pthread_mutex_lock(&w->mu);
        w->ended = 1;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        skiff_fanout_pull_wake(w->pull); /* a reader waiting in the window */
    }
    pthread_mutex_unlock(&s->watch_mu);
    apisrv_hubs_stop(s);
}

int skiff_api_stream_next(skiff_api_stream_t *w, char **out, size_t *len, int timeout_ms)
{
    if (w->hub) return apisrv_hub_stream_next(w, out, len, timeout_ms);
    if (w->pull) {
        /* any other reader of a pull stream gets lines, as from a queue */
        int r;
        while ((r = skiff_api_stream_pull(w, NULL, NULL, out, len, timeout_ms)) == 2) {}
        return r;
    }
    *out = NULL;
    *len = 0;
    pthread_mutex_lock(&w->mu);
    int64_t until = mono_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        if (w->q.len) break;
        if (w->ended) { pthread_mutex_unlock(&w->mu); return -1; }
        int64_t now = mono_ns();
        if (w->deadline_ns && now >= w->deadline_ns) { w->ended = 1; continue; }
        if (w->bookmarks && now >= w->next_bookmark_ns && w->last_rev > 0) {
            skiff_api_buf_t b;
            skiff_api_buf_init(&b);
            apisrv_watch_bookmark_line(&b, w);
            push_locked(w, &b);
            skiff_api_buf_free(&b);
            w->next_bookmark_ns = now + (int64_t)w->s->bookmark_ms * 1000000;
            continue;
        }
        if (now >= until) { pthread_mutex_unlock(&w->mu); return 0; }
        int64_t wake = until;
        if (w->deadline_ns && w->deadline_ns < wake) wake = w->deadline_ns;
        if (w->bookmarks && w->next_bookmark_ns < wake) wake = w->next_bookmark_ns;
        /* condvar uses CLOCK_REALTIME by default: wait relative */
        int64_t rel = wake - now;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t abs = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + rel;
        ts.tv_sec = abs / 1000000000;
        ts.tv_nsec = abs % 1000000000;
        pthread_cond_timedwait(&w->cv, &w->mu, &ts);
    }
    size_t o = 0;
    char *buf = skiff_api_buf_take(&w->q, &o);
    if (!buf) { pthread_mutex_unlock(&w->mu); return 0; }
    if (w->bookmarks) w->next_bookmark_ns = mono_ns() + (int64_t)w->s->bookmark_ms * 1000000;
    pthread_mutex_unlock(&w->mu);
    *out = buf;
    *len = o;
    return 1;
}

int apisrv_handle_watch(apisrv_call_t *c, const char *prefix, int64_t start_rev)
{
    skiff_api_server_t *s = c->s;
    skiff_api_stream_t *w = calloc(1, sizeof *w);
    if (!w) return apisrv_fail(c, 500, "InternalError", "out of memory");
    w->s = s;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->res = c->res;
    w->table = c->table;
    w->include = apisrv_include_mode(c);
    w->bookmarks = apisrv_param_true(c, "allowWatchBookmarks");
    snprintf(w->kind, sizeof w->kind, "%s", c->res->kind);
    apisrv_resource_api_version(c->res, w->api_version, sizeof w->api_version);
    w->next_bookmark_ns = mono_ns() + (int64_t)s->bookmark_ms * 1000000;
    const char *ts = apisrv_param(c, "timeoutSeconds");
    if (ts && *ts) {
        long long t = strtoll(ts, NULL, 10);
        if (t > 0) w->deadline_ns = mono_ns() + t * 1000000000LL;
    }
    if (apisrv_filter_new(c, &w->filter) < 0) { skiff_api_stream_close(w); return 0; }
    skiff_error_t err;
    skiff_error_clear(&err);
    int64_t from;
    if (start_rev <= 0) {
        initial_t in = { .w = w };
        skiff_api_buf_init(&in.b);
        skiff_store_range_req_t rq = { .key = prefix, .key_len = strlen(prefix), .prefix = 1 };
        skiff_store_range_res_t rs = { 0 };
        int rc = s->ops->range(s->store, &rq, initial_cb, &in, &rs, &err);
        if (rc < 0) { skiff_api_buf_free(&in.b); skiff_api_stream_close(w); return apisrv_fail_store(c, &err); }
        /* the initial state is queued whole, however large */
        if (in.b.oom) { skiff_api_buf_free(&in.b); skiff_api_stream_close(w); return apisrv_fail(c, 500, "InternalError", "out of memory"); }
        w->q = in.b;
        w->last_rev = rs.rev;
        from = rs.rev + 1;
    } else {
        w->last_rev = start_rev;
        from = start_rev + 1;
    }
    pthread_mutex_lock(&s->watch_mu);
    w->next_live = s->watches;
    s->watches = w;
    pthread_mutex_unlock(&s->watch_mu);
    snprintf(w->prefix, sizeof w->prefix, "%s", prefix);
    w->prefix_len = strlen(w->prefix);
    /* The in-process client's plain JSON watches read the fan-out's window
     * on their own thread (see skiff_api_stream_pull). */
    size_t ri = apisrv_resource_index(c->res);
    if (!c->req->remote && !w->table && apisrv_filter_empty(w->filter) && ri < 64 && s->fanouts[ri]
        && !getenv("SKIFF_WATCH_NO_PULL") && skiff_fanout_pull_open(s->fanouts[ri], from, &w->pull, &err) == 0) {
        c->resp->code = 200;
        snprintf(c->resp->content_type, sizeof c->resp->content_type, "application/json");
        c->resp->stream = w;
        return 0;
    }
    skiff_error_clear(&err);
    /* plain JSON watches (informers) share one serialised log per resource */
    if (!w->table && apisrv_filter_empty(w->filter) && !getenv("SKIFF_WATCH_NO_HUB")
        && apisrv_hub_attach(s, apisrv_resource_index(c->res), w, from) == 0) {
        c->resp->code = 200;
        snprintf(c->resp->content_type, sizeof c->resp->content_type, "application/json");
        c->resp->stream = w;
        return 0;
    }
    int rc = SKIFF_E_COMPACTED;
    skiff_fanout_t *fo = s->fanouts[apisrv_resource_index(c->res) < 64 ? apisrv_resource_index(c->res) : 0];
    if (fo && apisrv_resource_index(c->res) < 64) {
        rc = skiff_fanout_subscribe(fo, from, on_event, w, NULL, &w->sub, &err);
        if (rc < 0) w->sub = NULL;
    }
    /* not in the cache's window (or no cache): straight from the store's history */
    if (rc == SKIFF_E_COMPACTED) {
        skiff_error_clear(&err);
        rc = s->ops->watch(s->store, prefix, strlen(prefix), from, on_event, w, &w->sw, &err);
    }
    if (rc < 0) {
        w->sw = NULL;
        if (rc != SKIFF_E_COMPACTED) { skiff_api_stream_close(w); return apisrv_fail_store(c, &err); }
        on_event(w, NULL, &err);
    }
    c->resp->code = 200;
    snprintf(c->resp->content_type, sizeof c->resp->content_type, "application/json");
    c->resp->stream = w;
    return 0;
}

/* ---- in-process pull streams -------------------------------------------- */

typedef struct pull_ctx {
    skiff_api_stream_t *w;
    skiff_api_watch_cb cb; /* NULL: queue lines in w->q */
    void *ud;
    int oom;
} pull_ctx_t;

/* One event from the window, on the reader's thread: the same ADDED /
 * MODIFIED / DELETED the shared log writes, for this stream's namespace. */
static void pull_event(void *ud, const skiff_store_event_t *ev, const skiff_error_t *err)
{
    pull_ctx_t *x = ud;
    skiff_api_stream_t *w = x->w;
    (void)err; /* skiff_fanout_pull returns errors instead */
    int64_t rv = ev->kv.mod_rev;
    if (rv > w->last_rev) w->last_rev = rv; /* BOOKMARKs may name other namespaces' revisions */
    if (ev->kv.key_len < w->prefix_len || memcmp(ev->kv.key, w->prefix, w->prefix_len) != 0) return;
    skiff_api_buf_t *b = &w->ev;
    skiff_api_buf_reset(b);
    const char *type;
    if (!x->cb) skiff_api_buf_puts(b, "{\"type\":\"");
    size_t type_at = b->len;
    if (ev->type == SKIFF_STORE_EV_PUT) {
        type = (ev->has_prev && ev->prev.value) || ev->kv.version > 1 ? "MODIFIED" : "ADDED";
        if (!x->cb) { skiff_api_buf_puts(b, type); skiff_api_buf_puts(b, "\",\"object\":"); }
        type_at = b->len;
        apisrv_obj_emit(b, ev->kv.value, ev->kv.value_len, rv);
    } else {
        type = "DELETED";
        if (!x->cb) skiff_api_buf_puts(b, "DELETED\",\"object\":");
        type_at = b->len;
        if (ev->has_prev && ev->prev.value) {
            apisrv_obj_emit(b, ev->prev.value, ev->prev.value_len, rv);
        } else {
            cJSON *o = tombstone(w, ev->kv.key, ev->kv.key_len, rv);
            char *t = o ? cJSON_PrintUnformatted(o) : NULL;
            cJSON_Delete(o);
            if (!t) b->oom = 1;
            else { skiff_api_buf_puts(b, t); free(t); }
        }
    }
    if (b->oom) { x->oom = 1; return; }
    if (x->cb) {
        size_t n = b->len - type_at;
        skiff_api_buf_putc(b, '\0'); /* readers may parse in place */
        if (b->oom) { x->oom = 1; return; }
        x->cb(x->ud, type, b->data + type_at, n);
        return;
    }
    skiff_api_buf_puts(b, "}\n");
    pthread_mutex_lock(&w->mu);
    push_locked(w, b);
    pthread_mutex_unlock(&w->mu);
}

int skiff_api_stream_pull(skiff_api_stream_t *w, skiff_api_watch_cb cb, void *ud, char **out, size_t *len,
                          int timeout_ms)
{
    if (!w->pull) return skiff_api_stream_next(w, out, len, timeout_ms);
    *out = NULL;
    *len = 0;
    int64_t until = mono_ns() + (int64_t)timeout_ms * 1000000;
    for (int looked = 0;; looked = 1) {
        pthread_mutex_lock(&w->mu);
        if (w->q.len) {
            size_t o = 0;
            char *buf = skiff_api_buf_take(&w->q, &o);
            pthread_mutex_unlock(&w->mu);
            if (!buf) return 0;
            *out = buf;
            *len = o;
            return 1;
        }
        if (w->ended) { pthread_mutex_unlock(&w->mu); return -1; }
        int64_t now = mono_ns();
        if (w->deadline_ns && now >= w->deadline_ns) { w->ended = 1; pthread_mutex_unlock(&w->mu); continue; }
        if (w->bookmarks && now >= w->next_bookmark_ns && w->last_rev > 0) {
            skiff_api_buf_t b;
            skiff_api_buf_init(&b);
            apisrv_watch_bookmark_line(&b, w);
            push_locked(w, &b);
            skiff_api_buf_free(&b);
            w->next_bookmark_ns = now + (int64_t)w->s->bookmark_ms * 1000000;
            pthread_mutex_unlock(&w->mu);
            continue;
        }
        pthread_mutex_unlock(&w->mu);
        if (looked && now >= until) return 0;
        int64_t wake = until;
        if (w->deadline_ns && w->deadline_ns < wake) wake = w->deadline_ns;
        if (w->bookmarks && w->next_bookmark_ns < wake) wake = w->next_bookmark_ns;
        int wait_ms = wake > now ? (int)((wake - now + 999999) / 1000000) : 0;
        pull_ctx_t x = { w, cb, ud, 0 };
        skiff_error_t err;
        skiff_error_clear(&err);
        /* a bounded batch: the caller looks at its stop flag in between */
        int n = skiff_fanout_pull(w->pull, pull_event, &x, 4096, wait_ms, &err);
        if (n < 0 || x.oom) {
            skiff_api_buf_t b;
            skiff_api_buf_init(&b);
            if (x.oom) {
                apisrv_watch_expired_line(&b, "out of memory delivering a watch event; list again");
            } else if (n == SKIFF_E_COMPACTED) {
                char msg[600];
                snprintf(msg, sizeof msg, "too old resource version: %lld (%s)", (long long)w->last_rev, err.msg);
                apisrv_watch_expired_line(&b, msg);
            }
            pthread_mutex_lock(&w->mu);
            push_locked(w, &b);
            w->ended = 1;
            pthread_mutex_unlock(&w->mu);
            skiff_api_buf_free(&b);
            continue;
        }
        if (n > 0 && cb) {
            /* BOOKMARKs are for quiet streams */
            if (w->bookmarks) w->next_bookmark_ns = mono_ns() + (int64_t)w->s->bookmark_ms * 1000000;
            return 2;
        }
    }
}
