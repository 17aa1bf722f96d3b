/* core/api/watch_push — one epoll thread writes every hub watch to its socket.
 *
 * libmicrohttpd runs a thread per connection (handlers may block on the
 * store), so a watch used to cost its thread a wake-up, a copy into MHD's
 * buffer and a send() per event. For a hub stream the connection's thread
 * instead hands the socket here once MHD has written the response headers
 * (MHD 0.9.75 calls the content reader of a chunked response only after the
 * headers are out) and sleeps until the stream ends; then it returns to MHD,
 * which writes the last chunk, "0\r\n\r\n", and keeps the connection alive.
 *
 * The writer keeps the framing MHD would: one HTTP chunk per event, the
 * chunks taken straight from the hub's ring (serialised once for all
 * watchers) with sendmsg() of up to IOV_BATCH of them — no copy in user
 * space, and a watcher that fell behind catches up in few system calls.
 * Partial writes resume mid-chunk, so the byte stream is always well framed.
 * A client that goes away (RDHUP/HUP/error) ends the stream with an error:
 * MHD closes the connection. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "api/watch_int.h"

#define IOV_BATCH 256
#define BYTES_BATCH (512u * 1024u)
/* Writer threads. A second one showed no gain beyond the noise in an A/B on
 * the shared 2-core machine (SKIFF_WATCH_PUSHERS=1 vs 2, 6 runs each). */
#define PUSHERS 1

/* The write gate (apisrv_watch_gate). A write waits while a stream is more
 * than GATE_LAG events behind its log. A stream whose client has made no
 * room in its socket for GATE_STALL_MS (stopped reading), or that has been
 * behind for GATE_BEHIND_MS on end (reads slower than writes come even
 * slowed down), stops holding writes back and is left to fall out of the
 * window like any slow watcher; and no write waits more than GATE_MAX_MS.
 * SKIFF_WATCH_GATE_LAG (0 turns the gate off), SKIFF_WATCH_GATE_STALL_MS and
 * SKIFF_WATCH_GATE_MAX_MS override them (A/B runs, tests). */
#define GATE_LAG 64
/* TCP_NOTSENT_LOWAT of a pushed watch's socket (SKIFF_WATCH_NOTSENT; 0 leaves it unset) */
#define NOTSENT_LOWAT (32 * 1024)
#define GATE_STALL_MS 300
#define GATE_BEHIND_MS 2000
#define GATE_MAX_MS 500

struct apisrv_pusher {
    skiff_api_server_t *s;
    pthread_t th;
    int ep, kick_fd;
    int kicked;                 /* atomic: a kick is pending */
    int stop;                   /* under mu */
    pthread_mutex_t mu;         /* the list; a stream's done flag */
    pthread_cond_t done_cv;     /* HTTP threads waiting for their stream to end */
    skiff_api_stream_t *list;
    apisrv_pusher_t *next;      /* the server's other writer threads */
    unsigned rr, n;             /* first writer: round-robin cursor, how many */
    unsigned idx;               /* its slot in the hubs' push_min */
    /* the gate (first writer's): writes wait on gate_cv for a pass */
    uint64_t gate_lag;
    int64_t gate_stall_ns;
    int64_t gate_max_ns;
    pthread_mutex_t gate_mu;
    pthread_cond_t gate_cv;
    int gate_waiters;           /* under gate_mu */
    uint64_t gate_admitted;     /* under gate_mu: writes let through since the last pass */
    unsigned long long gate_pass; /* under gate_mu: passes over the streams */
    apisrv_gate_stats_t stats;  /* atomics */
};

/* One pass's slowest gate-holding cursor per hub. */
typedef struct gate_seen {
    apisrv_hub_t *h;
    uint64_t min;
} gate_seen_t;

static void kick_one(apisrv_pusher_t *p)
{
    if (__atomic_exchange_n(&p->kicked, 1, __ATOMIC_ACQ_REL)) return;
    uint64_t one = 1;
    ssize_t r = write(p->kick_fd, &one, sizeof one);
    (void)r;
}

void apisrv_pusher_kick(skiff_api_server_t *s)
{
    for (apisrv_pusher_t *p = __atomic_load_n(&s->pusher, __ATOMIC_ACQUIRE); p; p = p->next) kick_one(p);
}

typedef struct unit {
    apisrv_hev_t *ev;   /* ring event (ref held), or NULL for out/part */
    uint64_t seq;
    size_t len;
    int64_t off;        /* where the bytes are in the hub's file; -1 not there */
} unit_t;

/* The socket is full: wait for EPOLLOUT (and remember since when its
 * client has not made room, for the gate). */
static void block(skiff_api_stream_t *w, int64_t now)
{
    w->blocked = 1;
    if (!w->blocked_ns) w->blocked_ns = now;
}

/* Send what the stream has; returns 1 if more is ready to send now. */
static int pump(apisrv_pusher_t *p, skiff_api_stream_t *w, int64_t now)
{
    apisrv_hub_t *h = w->hub;
    struct iovec iov[IOV_BATCH];
    unit_t u[IOV_BATCH];
    int n = 0;
    size_t bytes = 0;
    pthread_mutex_lock(&h->mu);
    if (!w->ended && w->deadline_ns && now >= w->deadline_ns) w->ended = 1;
    /* other threads leave lines (an ERROR) in q: only this thread touches out,
     * whose bytes may be in flight between the two locked sections */
    if (w->q.len) {
        if (w->out_off == w->out.len) { skiff_api_buf_reset(&w->out); w->out_off = 0; }
        apisrv_chunk_add(&w->out, w->q.data, w->q.len);
        skiff_api_buf_reset(&w->q);
    }
    if (!w->ended && w->next_seq < h->head)
        apisrv_hub_end_locked(w, "the watch fell too far behind and was closed; list again");
    if (!w->ended && w->bookmarks && now >= w->next_bookmark_ns && w->last_rev > 0 && !w->part_ev
        && w->out_off == w->out.len && w->next_seq == h->tail) {
        skiff_api_buf_t b;
        skiff_api_buf_init(&b);
        apisrv_watch_bookmark_line(&b, w);
        if (!b.oom) apisrv_chunk_add(&w->out, b.data, b.len);
        skiff_api_buf_free(&b);
        w->next_bookmark_ns = now + (int64_t)p->s->bookmark_ms * 1000000;
    }
    if (w->out.oom) {
        /* a chunk may be lost: the stream can no longer be framed, drop the client */
        w->gone = 1;
        pthread_mutex_unlock(&h->mu);
        return 0;
    }
    /* a chunk begun must be finished first, then private chunks, then the ring */
    if (w->part_ev) {
        /* the rest of a chunk is in the file too, right before the next one */
        iov[n] = (struct iovec){ (void *)(w->part_ev->chunk + w->part), w->part_ev->chunk_len - w->part };
        u[n++] = (unit_t){ NULL, 0, iov[0].iov_len, (int64_t)(w->part_ev->off + w->part) };
        bytes += iov[0].iov_len;
    }
    if (w->out_off < w->out.len && !w->out.oom) {
        iov[n] = (struct iovec){ w->out.data + w->out_off, w->out.len - w->out_off };
        u[n] = (unit_t){ NULL, 0, iov[n].iov_len, -1 };
        bytes += iov[n++].iov_len;
    }
    uint64_t seq = w->next_seq, end = seq;
    int64_t end_rev = 0;
    if (!w->ended && w->out_off == w->out.len) {
        for (; seq < h->tail && n < IOV_BATCH && bytes < BYTES_BATCH; seq++) {
            apisrv_hev_t *e = h->ring[seq % h->cap];
            end_rev = e->rev;
            if (e->rev < w->from_rev || e->key_len < w->prefix_len || memcmp(e->key, w->prefix, w->prefix_len) != 0) continue;
            __atomic_add_fetch(&e->refs, 1, __ATOMIC_ACQ_REL);
            iov[n] = (struct iovec){ (void *)e->chunk, e->chunk_len };
            u[n++] = (unit_t){ e, seq, e->chunk_len, (int64_t)e->off };
            bytes += e->chunk_len;
        }
        end = seq;
    }
    int more = end < h->tail && !w->ended;
    if (n == 0) {
        /* only skipped events (other namespaces) */
        w->next_seq = end;
        if (end_rev > w->last_rev) w->last_rev = end_rev;
        pthread_mutex_unlock(&h->mu);
        return more;
    }

    /* one run of ring chunks (the first maybe begun), back to back in the
     * hub's file: let the kernel take the file's pages instead of copying
     * the bytes. A partial write leaves the rest of a chunk: resuming it
     * with sendmsg would copy the whole batch behind it. */
    int run = h->file_ok && u[0].off >= 0 && bytes >= 4096;
    for (int i = 1; run && i < n; i++) run = u[i].off == u[i - 1].off + (int64_t)u[i - 1].len;
    off_t foff = run ? (off_t)u[0].off : 0;
    int memfd = h->memfd;
    pthread_mutex_unlock(&h->mu);

    ssize_t sent;
    if (run) {
        sent = sendfile(w->fd, memfd, &foff, bytes);
    } else {
        struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)n };
        sent = sendmsg(w->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    if (sent < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) block(w, now);
        else if (errno != EINTR) w->gone = 1;
        sent = 0;
    }
    size_t left = (size_t)sent;
    pthread_mutex_lock(&h->mu);
    uint64_t next = end;        /* where the cursor goes if the whole batch went out */
    int64_t last_rev = end_rev;
    for (int i = 0; i < n; i++) {
        if (left >= u[i].len) {
            left -= u[i].len;
            if (!u[i].ev && w->part_ev && i == 0) { apisrv_hev_unref(w->part_ev); w->part_ev = NULL; w->part = 0; }
            else if (!u[i].ev) { skiff_api_buf_reset(&w->out); w->out_off = 0; }
            continue;
        }
        /* this unit stopped the write: nothing after it went out */
        if (!u[i].ev) {
            if (w->part_ev && i == 0) w->part += left;
            else w->out_off += left;
            next = w->next_seq;
            last_rev = 0;
        } else if (left > 0) {
            /* begun: finish it next time, whatever happens to the ring */
            w->part_ev = u[i].ev;
            w->part = left;
            u[i].ev = NULL;
            next = u[i].seq + 1;
            last_rev = w->part_ev->rev;
        } else {
            next = u[i].seq;
            last_rev = i > 0 && u[i - 1].ev ? u[i - 1].ev->rev : 0;
        }
        break;
    }
    if (next > w->next_seq) w->next_seq = next;
    if (last_rev > w->last_rev) w->last_rev = last_rev;
    if (sent > 0 && w->bookmarks) w->next_bookmark_ns = now + (int64_t)p->s->bookmark_ms * 1000000;
    more = !w->blocked && !w->gone && (w->next_seq < h->tail || w->part_ev || w->out_off < w->out.len);
    pthread_mutex_unlock(&h->mu);
    for (int j = 0; j < n; j++) apisrv_hev_unref(u[j].ev);
    if (sent > 0 && (size_t)sent < bytes) block(w, now); /* the socket buffer is full: wait for EPOLLOUT */
    return more;
}

/* 1 when the stream is over (ended and flushed, or its client is gone). */
static int finished(skiff_api_stream_t *w)
{
    if (w->gone) return 1;
    apisrv_hub_t *h = w->hub;
    pthread_mutex_lock(&h->mu);
    int r = w->ended && !w->part_ev && w->out_off >= w->out.len && !w->q.len;
    pthread_mutex_unlock(&h->mu);
    return r;
}

/* The pass's view of w for the gate: is it a stream that holds writes
 * back, and how far along is it. Runs on the writer thread, the only one
 * that moves a push stream's cursor. */
static void gate_note(apisrv_pusher_t *p, skiff_api_stream_t *w, int64_t now, gate_seen_t *seen, size_t *nseen)
{
    apisrv_pusher_t *g = __atomic_load_n(&p->s->pusher, __ATOMIC_ACQUIRE);
    if (!g || !g->gate_lag) return;
    apisrv_hub_t *h = w->hub;
    uint64_t tail = __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE);
    uint64_t cur = w->next_seq;
    if (tail - cur <= g->gate_lag || cur > tail) w->behind_ns = 0;
    else if (!w->behind_ns) w->behind_ns = now;
    /* Its client stopped reading (no room made for a while), or it cannot
     * keep up even with the writes slowed down: stop waiting for it. A
     * writer thread that is merely slow (the machine is busy) holds on. */
    int holds = !w->gone && !w->ended && !(w->blocked && now - w->blocked_ns >= g->gate_stall_ns)
                && !(w->behind_ns && now - w->behind_ns >= GATE_BEHIND_MS * (int64_t)1000000);
    if (!holds && w->behind_ns && !w->left_behind) {
        w->left_behind = 1;
        __atomic_add_fetch(&g->stats.left, 1, __ATOMIC_RELAXED);
    }
    if (!w->behind_ns) w->left_behind = 0;
    size_t i = 0;
    while (i < *nseen && seen[i].h != h) i++;
    if (i == *nseen) {
        if (i == 64) return;
        seen[i] = (gate_seen_t){ h, UINT64_MAX };
        (*nseen)++;
    }
    if (holds && cur < seen[i].min) seen[i].min = cur;
}

/* End of a pass: publish each hub's slowest holding cursor and let the
 * writes waiting at the gate look again. Caller holds p->mu (so every hub
 * seen is alive: its streams' HTTP threads wait for that lock). */
static void gate_publish(apisrv_pusher_t *p, const gate_seen_t *seen, size_t nseen)
{
    apisrv_pusher_t *g = __atomic_load_n(&p->s->pusher, __ATOMIC_ACQUIRE);
    if (!g || !g->gate_lag) return;
    for (size_t i = 0; i < nseen; i++) __atomic_store_n(&seen[i].h->push_min[p->idx], seen[i].min, __ATOMIC_RELEASE);
    pthread_mutex_lock(&g->gate_mu);
    g->gate_pass++;
    g->gate_admitted = 0;
    if (g->gate_waiters) pthread_cond_broadcast(&g->gate_cv);
    pthread_mutex_unlock(&g->gate_mu);
}

/* How far the slowest holding stream of any hub is behind its log. */
static uint64_t gate_lag_now(skiff_api_server_t *s)
{
    uint64_t lag = 0;
    pthread_mutex_lock(&s->watch_mu);
    for (size_t i = 0; i < 64; i++) {
        apisrv_hub_t *h = s->hubs[i];
        if (!h) continue;
        uint64_t tail = __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE);
        for (size_t k = 0; k < APISRV_PUSHERS_MAX; k++) {
            uint64_t m = __atomic_load_n(&h->push_min[k], __ATOMIC_ACQUIRE);
            if (m < tail && tail - m > lag) lag = tail - m;
        }
    }
    pthread_mutex_unlock(&s->watch_mu);
    return lag;
}

void apisrv_watch_gate(skiff_api_server_t *s)
{
    apisrv_pusher_t *g = __atomic_load_n(&s->pusher, __ATOMIC_ACQUIRE);
    if (!g || !g->gate_lag) return;
    int64_t t0 = 0, now = 0;
    int waited = 0;
    for (;;) {
        uint64_t lag = gate_lag_now(s);
        pthread_mutex_lock(&g->gate_mu);
        unsigned long long pass = g->gate_pass;
        /* at most gate_lag writes per pass of the writer, as well, while it
         * has work (writes let through at once would all land in its next
         * pass); when every watch has had everything there may be no next
         * pass for a while (writes to resources no one watches): they go,
         * but count, so the pass that their events start stays small */
        int go = s->stopping || lag == 0 || (lag <= g->gate_lag && g->gate_admitted < g->gate_lag);
        g->gate_admitted += go;
        pthread_mutex_unlock(&g->gate_mu);
        if (go) break;
        now = apisrv_mono_ns();
        if (!waited) { t0 = now; waited = 1; }
        if (now - t0 >= g->gate_max_ns) {
            __atomic_add_fetch(&g->stats.timeouts, 1, __ATOMIC_RELAXED);
            break;
        }
        /* until the writer's next pass (a short bound: a pass may be long) */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t abs = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + 20 * 1000000;
        ts.tv_sec = abs / 1000000000;
        ts.tv_nsec = abs % 1000000000;
        pthread_mutex_lock(&g->gate_mu);
        g->gate_waiters++;
        while (g->gate_pass == pass && !s->stopping)
            if (pthread_cond_timedwait(&g->gate_cv, &g->gate_mu, &ts) != 0) break;
        g->gate_waiters--;
        pthread_mutex_unlock(&g->gate_mu);
    }
    if (waited) {
        __atomic_add_fetch(&g->stats.waits, 1, __ATOMIC_RELAXED);
        __atomic_add_fetch(&g->stats.wait_us, (unsigned long long)((apisrv_mono_ns() - t0) / 1000), __ATOMIC_RELAXED);
    }
}

void apisrv_watch_gate_stats(skiff_api_server_t *s, apisrv_gate_stats_t *out)
{
    memset(out, 0, sizeof *out);
    apisrv_pusher_t *g = __atomic_load_n(&s->pusher, __ATOMIC_ACQUIRE);
    if (!g) return;
    out->waits = __atomic_load_n(&g->stats.waits, __ATOMIC_RELAXED);
    out->timeouts = __atomic_load_n(&g->stats.timeouts, __ATOMIC_RELAXED);
    out->wait_us = __atomic_load_n(&g->stats.wait_us, __ATOMIC_RELAXED);
    out->left = __atomic_load_n(&g->stats.left, __ATOMIC_RELAXED);
}

static void *pusher_main(void *arg)
{
    apisrv_pusher_t *p = arg;
    /* sendfile() to a socket whose peer is gone raises SIGPIPE (it has no
     * MSG_NOSIGNAL): keep it pending on this thread instead of killing an
     * embedding process that did not ignore it; the error return is enough */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    int timeout = -1;
    for (;;) {
        struct epoll_event evs[256];
        int ne = epoll_wait(p->ep, evs, 256, timeout);
        for (int k = 0; k < ne; k++) {
            skiff_api_stream_t *w = evs[k].data.ptr;
            if (!w) {
                uint64_t v;
                ssize_t r = read(p->kick_fd, &v, sizeof v);
                (void)r;
                continue;
            }
            if (evs[k].events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) w->gone = 1;
            if (evs[k].events & EPOLLOUT) {
                w->blocked = 0;
                w->blocked_ns = 0;
            }
        }
        __atomic_store_n(&p->kicked, 0, __ATOMIC_RELEASE);
        pthread_mutex_lock(&p->mu);
        if (p->stop && !p->list) { pthread_mutex_unlock(&p->mu); break; }
        int64_t now = apisrv_mono_ns(), wake = INT64_MAX;
        int again = 0;
        gate_seen_t seen[64];
        size_t nseen = 0;
        for (skiff_api_stream_t **pp = &p->list; *pp;) {
            skiff_api_stream_t *w = *pp;
            if (!w->gone && !w->blocked && pump(p, w, now)) again = 1;
            if (finished(w)) {
                /* the hub stays alive while its stream's HTTP thread waits
                 * for p->mu; the end of this pass publishes the cursors of
                 * the hub's other streams, if any */
                __atomic_store_n(&w->hub->push_min[p->idx], UINT64_MAX, __ATOMIC_RELEASE);
                *pp = w->push_next;
                epoll_ctl(p->ep, EPOLL_CTL_DEL, w->fd, NULL);
                close(w->fd);
                w->fd = -1;
                w->done = 1;
                pthread_cond_broadcast(&p->done_cv);
                continue;
            }
            if (w->deadline_ns && w->deadline_ns < wake) wake = w->deadline_ns;
            if (w->bookmarks && w->next_bookmark_ns < wake) wake = w->next_bookmark_ns;
            gate_note(p, w, now, seen, &nseen);
            pp = &w->push_next;
        }
        gate_publish(p, seen, nseen);
        pthread_mutex_unlock(&p->mu);
        if (again) timeout = 0;
        else if (wake == INT64_MAX) timeout = -1;
        else {
            int64_t ms = (wake - apisrv_mono_ns()) / 1000000 + 1;
            timeout = ms < 0 ? 0 : ms > 1000 ? 1000 : (int)ms;
        }
    }
    return NULL;
}

static apisrv_pusher_t *pusher_new(skiff_api_server_t *s, unsigned idx)
{
    apisrv_pusher_t *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->s = s;
    p->idx = idx;
    p->ep = epoll_create1(EPOLL_CLOEXEC);
    p->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
    if (p->ep < 0 || p->kick_fd < 0 || epoll_ctl(p->ep, EPOLL_CTL_ADD, p->kick_fd, &ev) < 0) goto fail;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    pthread_mutex_init(&p->gate_mu, NULL);
    pthread_cond_init(&p->gate_cv, NULL);
    const char *e = getenv("SKIFF_WATCH_GATE_LAG");
    p->gate_lag = e && *e ? strtoull(e, NULL, 10) : GATE_LAG;
    e = getenv("SKIFF_WATCH_GATE_STALL_MS");
    p->gate_stall_ns = (e && atoi(e) > 0 ? atoi(e) : GATE_STALL_MS) * (int64_t)1000000;
    e = getenv("SKIFF_WATCH_GATE_MAX_MS");
    p->gate_max_ns = (e && atoi(e) > 0 ? atoi(e) : GATE_MAX_MS) * (int64_t)1000000;
    if (pthread_create(&p->th, NULL, pusher_main, p) != 0) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->done_cv);
        pthread_mutex_destroy(&p->gate_mu);
        pthread_cond_destroy(&p->gate_cv);
        goto fail;
    }
    pthread_setname_np(p->th, "skiff-watchpush");
    return p;
fail:
    if (p->ep >= 0) close(p->ep);
    if (p->kick_fd > 0) close(p->kick_fd);
    free(p);
    return NULL;
}

static void pusher_stop(apisrv_pusher_t *p)
{
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_mutex_unlock(&p->mu);
    kick_one(p);
    pthread_join(p->th, NULL);
    close(p->ep);
    close(p->kick_fd);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->done_cv);
    pthread_mutex_destroy(&p->gate_mu);
    pthread_cond_destroy(&p->gate_cv);
    free(p);
}

/* The writer for a new stream: PUSHERS threads (SKIFF_WATCH_PUSHERS in
 * the environment overrides), streams dealt round-robin. */
static apisrv_pusher_t *pusher_get(skiff_api_server_t *s)
{
    pthread_mutex_lock(&s->watch_mu);
    apisrv_pusher_t *first = s->pusher;
    if (!first && !s->stopping) {
        const char *e = getenv("SKIFF_WATCH_PUSHERS");
        int n = e && atoi(e) > 0 && atoi(e) <= APISRV_PUSHERS_MAX ? atoi(e) : PUSHERS;
        apisrv_pusher_t *tail = NULL;
        for (int i = 0; i < n; i++) {
            apisrv_pusher_t *p = pusher_new(s, (unsigned)i);
            if (!p) break;
            if (tail) tail->next = p;
            else first = p;
            tail = p;
            first->n++;
        }
        if (first) __atomic_store_n(&s->pusher, first, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&s->watch_mu);
    if (!first) return NULL;
    unsigned k = __atomic_fetch_add(&first->rr, 1, __ATOMIC_RELAXED) % first->n;
    apisrv_pusher_t *p = first;
    while (k-- && p->next) p = p->next;
    return p;
}

int apisrv_stream_push(skiff_api_stream_t *w, int fd)
{
    if (!w->hub || fd < 0) return 0;
    apisrv_pusher_t *p = pusher_get(w->s);
    if (!p) return 0;
    int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dfd < 0) return 0;
    /* sendfile() has no MSG_DONTWAIT: one full socket must never stall the
     * writer's other streams */
    int fl = fcntl(dfd, F_GETFL);
    if (fl < 0 || (!(fl & O_NONBLOCK) && fcntl(dfd, F_SETFL, fl | O_NONBLOCK) < 0)) {
        close(dfd);
        return 0;
    }
    /* the headers went out with MSG_MORE: push them now, and every chunk after */
    int one = 1;
    setsockopt(dfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* Keep what the kernel holds unsent small: the send buffer grows to
     * megabytes, a backlog there is invisible to the gate and every event
     * behind it waits. Past this the socket reads as full, and the backlog
     * stays in the log where the gate sees it. */
    const char *lw = getenv("SKIFF_WATCH_NOTSENT");
    int lowat = lw && *lw ? atoi(lw) : NOTSENT_LOWAT;
    if (lowat > 0) setsockopt(dfd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof lowat);
    apisrv_hub_t *h = w->hub;
    pthread_mutex_lock(&h->mu);
    w->push = 1;
    h->npush++;
    /* lines queued so far (the initial state) become chunks of one event each */
    skiff_api_buf_init(&w->out);
    for (size_t o = 0; o < w->q.len;) {
        const char *nl = memchr(w->q.data + o, '\n', w->q.len - o);
        size_t l = nl ? (size_t)(nl - (w->q.data + o)) + 1 : w->q.len - o;
        apisrv_chunk_add(&w->out, w->q.data + o, l);
        o += l;
    }
    skiff_api_buf_free(&w->q);
    if (w->out.oom) apisrv_hub_end_locked(w, NULL);
    pthread_mutex_unlock(&h->mu);
    w->fd = dfd;
    w->blocked = w->gone = w->done = w->left_behind = 0;
    w->blocked_ns = w->behind_ns = 0;
    pthread_mutex_lock(&p->mu);
    struct epoll_event ev = { .events = EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = w };
    if (p->stop || epoll_ctl(p->ep, EPOLL_CTL_ADD, dfd, &ev) < 0) {
        pthread_mutex_unlock(&p->mu);
        close(dfd);
        w->fd = -1;
        return -1;
    }
    w->push_next = p->list;
    p->list = w;
    pthread_mutex_unlock(&p->mu);
    apisrv_pusher_kick(w->s);
    pthread_mutex_lock(&p->mu);
    while (!w->done) pthread_cond_wait(&p->done_cv, &p->mu);
    int gone = w->gone;
    pthread_mutex_unlock(&p->mu);
    return gone ? -1 : 1;
}

void apisrv_pusher_free(skiff_api_server_t *s)
{
    apisrv_pusher_t *p = s->pusher;
    s->pusher = NULL;
    while (p) {
        apisrv_pusher_t *nx = p->next;
        pusher_stop(p);
        p = nx;
    }
}
