/* core/api/watch_int — what the watch files share (watch.c, watch_hub.c,
 * watch_push.c); not a public face.
 *
 * Two ways a watch stream is fed:
 *  - its own subscription (watch.c): events are turned into lines for this
 *    stream alone — label/field selectors, Table output, no watch cache, or a
 *    resume point older than the shared log;
 *  - a hub (watch_hub.c): one fan-out subscription per resource whose events
 *    are serialised ONCE into a ring of refcounted chunks that every plain
 *    JSON watch of the resource reads through its own cursor. Over HTTP the
 *    push writer (watch_push.c) sends those chunks straight from the ring to
 *    the sockets from one epoll thread, many events per write.
 */
#ifndef SKIFF_CORE_API_WATCH_INT_H
#define SKIFF_CORE_API_WATCH_INT_H

#include "api/internal.h"
#include "store/fanout.h"

/* Events kept for late joiners even when every stream has passed them. A
 * hub keeps at most s->hub_cap events (the watch window): a stream further
 * behind is cut off with 410, as a watch cache's slow watcher is. */
#define APISRV_HUB_KEEP 512u
/* Push writer threads at most (SKIFF_WATCH_PUSHERS). */
#define APISRV_PUSHERS_MAX 16

/* One event serialised once: the HTTP chunk "<hex>\r\n<line>\r\n" where
 * line = {"type":...,"object":...}\n. Immutable once in the ring. */
typedef struct apisrv_hev {
    int refs;               /* atomic; the ring holds one, the push writer one per write in flight */
    int64_t rev;
    char *key;              /* store key, for a namespace's prefix */
    size_t key_len;
    char *mem;              /* allocation holding the chunk */
    const char *chunk;
    size_t chunk_len;
    size_t line_off, line_len; /* the line inside chunk */
    uint64_t off;           /* where the chunk is in the hub's file (push writer's sendfile) */
} apisrv_hev_t;

typedef struct apisrv_hub apisrv_hub_t;
typedef struct apisrv_pusher apisrv_pusher_t;

struct apisrv_hub {
    skiff_api_server_t *s;
    size_t idx;                 /* resource index (server slot) */
    pthread_mutex_t mu;         /* everything below, and the hub fields of its streams */
    pthread_cond_t cv;          /* pull streams waiting for events */
    int refs;                   /* server slot + streams */
    int failed;                 /* cut off by the fan-out / store error: serves no new stream */
    int pull_waiters;
    int npush;                  /* streams written by the push writer */
    skiff_fanout_sub_t *sub;
    const apisrv_resource_t *res;
    char kind[64], api_version[64];
    apisrv_hev_t **ring;        /* cap slots, by seq % cap */
    uint64_t cap;
    uint64_t head, tail;        /* oldest retained seq, next seq to append */
    int64_t min_rev;            /* every event with rev >= min_rev is in the ring or to come */
    /* The ring's chunks again, back to back in a memfd, so the push writer
     * can sendfile() a run of them: the kernel then references these pages
     * instead of copying each event into every socket. Append-only; what no
     * stream can still send is punched out (pages in flight stay alive, with
     * their bytes, until the socket is done with them). -1 = not used. */
    int memfd;
    int file_ok;                /* every ring event is in the file (cleared if a write fails) */
    uint64_t log_end;           /* fan-out callback only */
    uint64_t punched;           /* bytes below this are released */
    skiff_api_stream_t *streams;
    /* Write backpressure (watch_push.c): per writer thread, the cursor of
     * its slowest stream that holds writes back, as of its last pass over
     * its streams; UINT64_MAX none. Atomic; tail is stored atomically too. */
    uint64_t push_min[APISRV_PUSHERS_MAX];
};

struct skiff_api_stream {
    skiff_api_server_t *s;
    skiff_api_stream_t *next_live;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    skiff_api_buf_t q;  /* queued event lines; handed to the reader whole */
    int ended;      /* nothing more will be queued */
    int cut;        /* fell behind */
    skiff_store_watch_t *sw;
    skiff_fanout_sub_t *sub; /* from the watch cache instead of sw */
    char prefix[400];
    size_t prefix_len;
    const apisrv_resource_t *res;
    apisrv_filter_t *filter;
    int table, include, bookmarks;
    int64_t last_rev;
    int64_t deadline_ns;  /* monotonic; 0 = none */
    int64_t next_bookmark_ns;
    char kind[64], api_version[64];

    /* ---- hub streams: fields under hub->mu ---- */
    apisrv_hub_t *hub;
    skiff_api_stream_t *hub_next;
    uint64_t next_seq;        /* next ring event to look at */
    int64_t from_rev;         /* ring events below this were before the stream's start */
    int push;                 /* written by the push writer (q is then unused) */
    skiff_api_buf_t out;      /* push: framed private chunks (initial state, bookmarks, ERROR) */
    size_t out_off;
    apisrv_hev_t *part_ev;    /* push: ring event written in part (ref held) */
    size_t part;              /* bytes of part_ev's chunk already written */
    /* ---- push writer only (its thread), then done under mu ---- */
    int fd;                   /* dup of the connection's socket */
    int blocked, gone, done;
    int64_t behind_ns;        /* since when it is further behind than the gate allows; 0 not */
    int64_t blocked_ns;       /* since when its socket has been full; 0 not */
    int left_behind;          /* ... for so long that it no longer holds writes back */
    skiff_api_stream_t *push_next;

    /* ---- in-process pull streams (watch.c): the reader's own thread takes
     * events from the fan-out's window (no bus worker, no hub, no queue) ---- */
    skiff_fanout_pull_t *pull;
    skiff_api_buf_t ev;       /* the object text being handed to the reader */
};

int64_t apisrv_mono_ns(void);
/* The DELETED object when the store event carries no previous value. */
cJSON *apisrv_watch_tombstone(const apisrv_resource_t *res, const char *kind,
                              const char *api_version, const char *key, size_t key_len,
                              int64_t rv);
/* Append the framed chunk "<hex>\r\n<data>\r\n" to b. */
void apisrv_chunk_add(skiff_api_buf_t *b, const char *data, size_t len);
/* The ERROR event a stream that fell behind gets (a line, "\n"-terminated). */
void apisrv_watch_expired_line(skiff_api_buf_t *b, const char *why);
void apisrv_watch_bookmark_line(skiff_api_buf_t *b, const skiff_api_stream_t *w);

/* watch_hub.c */
/* Serve w (JSON, no selector, fan-out for its resource) from the resource's
 * hub from revision `from`: 0 attached, 1 the hub cannot (resume point older
 * than its log, no fan-out): use a subscription of the stream's own. */
int apisrv_hub_attach(skiff_api_server_t *s, size_t idx, skiff_api_stream_t *w, int64_t from);
void apisrv_hub_detach(skiff_api_stream_t *w);
int apisrv_hub_stream_next(skiff_api_stream_t *w, char **out, size_t *len, int timeout_ms);
/* End every stream of every hub (server stop) and drop the server's hubs. */
void apisrv_hubs_stop(skiff_api_server_t *s);
void apisrv_hubs_free(skiff_api_server_t *s);
void apisrv_hev_unref(apisrv_hev_t *e);
/* Caller holds hub->mu: mark the stream ended, with an ERROR event when why != NULL. */
void apisrv_hub_end_locked(skiff_api_stream_t *w, const char *why);

/* watch_push.c */
/* Called from the connection's HTTP thread for a hub stream: the push writer
 * sends the stream on `fd` (the connection's socket, whose response headers
 * have been written) and this returns when it has ended: 1 cleanly (the
 * caller ends the chunked body), -1 the client is gone or a write failed
 * (close the connection), 0 not a hub stream (the caller pulls). */
int apisrv_stream_push(skiff_api_stream_t *w, int fd);
void apisrv_pusher_kick(skiff_api_server_t *s);
/* Write backpressure, called on an HTTP thread before a write request is
 * handled: while a pushed watch that keeps up is more than the gate's lag
 * behind its log, wait (bounded) for the writer to catch up. Watch delivery
 * goes before accepting more writes, so a burst of creates cannot bury
 * 1,000 watchers under a backlog; writes are slowed, never refused. */
void apisrv_watch_gate(skiff_api_server_t *s);
typedef struct apisrv_gate_stats {
    unsigned long long waits;     /* writes that waited */
    unsigned long long timeouts;  /* ... and gave up waiting (the bound) */
    unsigned long long wait_us;   /* total time waited */
    unsigned long long left;      /* times a stream behind for too long stopped holding writes */
} apisrv_gate_stats_t;
void apisrv_watch_gate_stats(skiff_api_server_t *s, apisrv_gate_stats_t *out);
void apisrv_pusher_free(skiff_api_server_t *s);

#endif
