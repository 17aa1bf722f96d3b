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
#include <unistd.h>

#include "api/watch_int.h"

#define IOV_BATCH 256
#define BYTES_BATCH (512u * 1024u)
/* Writer threads. A second one showed no gain beyond the noise in an A/B on
 * the shared 2-core machine (SKIFF_WATCH_PUSHERS=1 vs 2, 6 runs each). */
#define PUSHERS 1

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
};

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
} unit_t;

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
        iov[n] = (struct iovec){ (void *)(w->part_ev->chunk + w->part), w->part_ev->chunk_len - w->part };
        u[n++] = (unit_t){ NULL, 0, iov[0].iov_len };
        bytes += iov[0].iov_len;
    }
    if (w->out_off < w->out.len && !w->out.oom) {
        iov[n] = (struct iovec){ w->out.data + w->out_off, w->out.len - w->out_off };
        u[n] = (unit_t){ NULL, 0, iov[n].iov_len };
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
            u[n++] = (unit_t){ e, seq, e->chunk_len };
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

    /* one run of whole ring chunks, back to back in the hub's file: let the
     * kernel take the file's pages instead of copying the bytes */
    int run = h->file_ok && u[0].ev && bytes >= 4096;
    for (int i = 1; run && i < n; i++) run = u[i].seq == u[i - 1].seq + 1;
    off_t foff = run ? (off_t)u[0].ev->off : 0;
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
        if (errno == EAGAIN || errno == EWOULDBLOCK) w->blocked = 1;
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
    if (sent > 0 && (size_t)sent < bytes) w->blocked = 1; /* the socket buffer is full: wait for EPOLLOUT */
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
            if (evs[k].events & EPOLLOUT) w->blocked = 0;
        }
        __atomic_store_n(&p->kicked, 0, __ATOMIC_RELEASE);
        pthread_mutex_lock(&p->mu);
        if (p->stop && !p->list) { pthread_mutex_unlock(&p->mu); break; }
        int64_t now = apisrv_mono_ns(), wake = INT64_MAX;
        int again = 0;
        for (skiff_api_stream_t **pp = &p->list; *pp;) {
            skiff_api_stream_t *w = *pp;
            if (!w->gone && !w->blocked && pump(p, w, now)) again = 1;
            if (finished(w)) {
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
            pp = &w->push_next;
        }
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

static apisrv_pusher_t *pusher_new(skiff_api_server_t *s)
{
    apisrv_pusher_t *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->s = s;
    p->ep = epoll_create1(EPOLL_CLOEXEC);
    p->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
    if (p->ep < 0 || p->kick_fd < 0 || epoll_ctl(p->ep, EPOLL_CTL_ADD, p->kick_fd, &ev) < 0) goto fail;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    if (pthread_create(&p->th, NULL, pusher_main, p) != 0) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->done_cv);
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
        int n = e && atoi(e) > 0 && atoi(e) <= 16 ? atoi(e) : PUSHERS;
        apisrv_pusher_t *tail = NULL;
        for (int i = 0; i < n; i++) {
            apisrv_pusher_t *p = pusher_new(s);
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
    w->blocked = w->gone = w->done = 0;
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
