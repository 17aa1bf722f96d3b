/* plugins/store/memory — internal face shared by the plugin's files.
 *
 * Layout of the data (all guarded by memory_store_t.lock, one adaptive
 * mutex for readers and writers; see memory_lock()):
 *  - versions (memory_ver_t): one immutable record per change of a key (a put
 *    or a delete tombstone), reference-counted so the history log, the key's
 *    chain and the watch hub can share it without copying values;
 *  - the key index (index.c): a skiplist ordered by key bytes; each node keeps
 *    the key's version chain sorted by mod_rev, so a read at revision R is a
 *    skiplist search plus a binary search in the chain;
 *  - the history log (kv.c): every event in revision order, (version, previous
 *    version) pairs; watchers replay from it and compaction trims its front;
 *  - leases (lease.c) and watchers (watch.c).
 * Lock order: lock before hub.mu; no other nesting.
 */
#ifndef SKIFF_STORE_MEMORY_H
#define SKIFF_STORE_MEMORY_H

#include <pthread.h>
#include <stdint.h>

#include <skiff/host.h>
#include <skiff/plugin.h>
#include <skiff/store.h>

/* One change of one key. Immutable once published; freed at refs == 0. */
typedef struct memory_ver {
    int refs;          /* atomic */
    int tomb;          /* a delete: no value, create_rev/version 0 */
    int64_t mod_rev;
    int64_t create_rev;
    int64_t version;
    int64_t lease;
    size_t key_len;
    size_t value_len;
    char data[];       /* key bytes, then value bytes */
} memory_ver_t;

static inline const char *memory_ver_key(const memory_ver_t *v) { return v->data; }
static inline const char *memory_ver_value(const memory_ver_t *v) { return v->data + v->key_len; }

/* ---- key index (index.c) ------------------------------------------------ */

#define MEMORY_INDEX_LEVELS 24

typedef struct memory_key {
    memory_ver_t **chain; /* sorted by mod_rev; each entry holds one ref */
    size_t n, cap;
    size_t key_len;
    char *key;            /* points into the node's own allocation */
    int levels;
    struct memory_key *next[]; /* `levels` forward pointers */
} memory_key_t;

typedef struct memory_index {
    const skiff_host_t *host;
    memory_key_t *head;   /* sentinel with MEMORY_INDEX_LEVELS levels */
    int levels;
    uint64_t rng;
    size_t count;
} memory_index_t;

int memory_index_init(memory_index_t *ix, const skiff_host_t *host);
/* Frees every node and drops the chains' refs. */
void memory_index_fini(memory_index_t *ix);
/* Exact lookup; NULL when absent. */
memory_key_t *memory_index_find(const memory_index_t *ix, const char *key, size_t len);
/* First node with key >= `key` (NULL = past the end). */
memory_key_t *memory_index_lower_bound(const memory_index_t *ix, const char *key, size_t len);
/* A new unlinked node for `key` (NULL on allocation failure); link it with
 * memory_index_link (which cannot fail) or free it with memory_index_node_free. */
memory_key_t *memory_index_node_new(memory_index_t *ix, const char *key, size_t len);
void memory_index_link(memory_index_t *ix, memory_key_t *node);
/* Unlink and free a node whose chain is empty. */
void memory_index_remove(memory_index_t *ix, memory_key_t *node);
void memory_index_node_free(memory_index_t *ix, memory_key_t *node);
static inline memory_key_t *memory_index_first(const memory_index_t *ix) { return ix->head->next[0]; }
static inline memory_key_t *memory_index_next(const memory_key_t *k) { return k->next[0]; }
/* Latest version of the key at `rev` (NULL when none); may be a tombstone. */
memory_ver_t *memory_key_at(const memory_key_t *k, int64_t rev);
static inline memory_ver_t *memory_key_latest(const memory_key_t *k)
{
    return k->n ? k->chain[k->n - 1] : NULL;
}
int memory_key_cmp(const char *a, size_t alen, const char *b, size_t blen);
/* qsort comparator of skiff_store_op_t by key. */
int memory_op_cmp(const void *a, const void *b);

/* ---- the store ---------------------------------------------------------- */

typedef struct memory_logent {
    memory_ver_t *cur;  /* the change (one ref) */
    memory_ver_t *prev; /* the live value it replaced, or NULL (one ref) */
} memory_logent_t;

typedef struct memory_lease {
    int64_t id;
    int64_t ttl_ms;
    int64_t expires_ns;     /* monotonic */
    char **keys;            /* keys put with this lease (may be stale; checked on use) */
    size_t *key_lens;
    size_t nkeys, cap;
} memory_lease_t;

typedef struct memory_watch memory_watch_t;

typedef struct memory_hub {
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* work for the hub: seq changed or stop */
    pthread_cond_t idle_cv; /* the hub finished a watcher's callbacks */
    uint64_t seq;           /* bumped on every write, new watcher or removal */
    int stop;
    int running;
    pthread_t thread;
    pthread_t self;         /* the hub thread as it sees itself (valid with self_set) */
    int self_set;
    memory_watch_t **watchers;
    size_t n, cap;
    memory_watch_t *current; /* watcher whose callbacks run now, or NULL */
    size_t rr;               /* round-robin position */
    memory_logent_t *batch;  /* hub-thread scratch */
    size_t batch_cap;
} memory_hub_t;

typedef struct memory_store {
    /* Filled by the host from the key table (SKIFF_CFG_FILL). */
    int64_t watch_batch;
    int64_t lease_check_interval_ms;
    int64_t retention_revisions;
    int64_t retention_ms;
    int64_t compact_interval_ms;

    const skiff_host_t *host;
    skiff_ctx_t *ctx;
    int inited;

    /* One lock for readers and writers alike: see memory_lock() below. */
    pthread_mutex_t lock;
    memory_index_t index;
    int64_t rev;            /* current revision; atomic reads outside the lock */
    int64_t compacted;      /* compaction point: reads below it fail */
    memory_logent_t *log;   /* live entries are [log_head, log_len) */
    size_t log_head, log_len, log_cap;

    memory_lease_t **leases; /* sorted by id (ids only grow) */
    size_t nleases, leases_cap;
    int64_t next_lease;

    memory_hub_t hub;

    /* Retention (retention.c, timer thread only): (time, revision) samples. */
    int64_t *samp_ns, *samp_rev;
    size_t nsamp, samp_cap;
    int64_t next_compact_ns;

    pthread_mutex_t timer_mu;
    pthread_cond_t timer_cv;
    int timer_stop;
    int timer_running;
    pthread_t timer;
} memory_store_t;

/* The store lock is an adaptive mutex, not a rwlock. Every critical section
 * under it is short (an index lookup and a copy, one txn's apply, one batch
 * of the watch log), and many threads take it: API writers, binders, the
 * event writer, the watch hub. With glibc's rwlock, a contended unlock wakes
 * a waiter and hands it the lock, so on two cores the threads formed lock
 * convoys: bench-sched-api measured ~6.6 context switches per pod, 80% of
 * them sleeping in this lock, and 13-15k pods/s. The mutex spins briefly and
 * lets a running thread take the lock (no hand-off): 0.5-1.2 context
 * switches per pod and 2.3-2.6x the pods/s (docs/performance.md, ### The
 * store lock). Readers no longer overlap each other; a long range read
 * blocked writers under the rwlock too. */
static inline void memory_lock(memory_store_t *s)
{
    pthread_mutex_lock(&s->lock);
}

static inline void memory_unlock(memory_store_t *s)
{
    pthread_mutex_unlock(&s->lock);
}

void memory_ver_unref(memory_store_t *s, memory_ver_t *v);
static inline void memory_ver_ref(memory_ver_t *v) { __atomic_add_fetch(&v->refs, 1, __ATOMIC_RELAXED); }
static inline int64_t memory_rev_load(const memory_store_t *s) { return __atomic_load_n(&s->rev, __ATOMIC_ACQUIRE); }

/* kv.c: the MVCC operations (the ops table's get/range/txn/compact/revision). */
int memory_get(void *self, const char *key, size_t key_len, int64_t rev, skiff_store_kv_cb cb,
               void *ud, skiff_error_t *err);
int memory_range(void *self, const skiff_store_range_req_t *req, skiff_store_kv_cb cb, void *ud,
                 skiff_store_range_res_t *res, skiff_error_t *err);
int memory_txn(void *self, const skiff_store_cmp_t *cmps, size_t ncmps, const skiff_store_op_t *ops,
               size_t nops, skiff_store_txn_res_t *res, skiff_error_t *err);
int memory_compact(void *self, int64_t rev, skiff_error_t *err);
int memory_revision(void *self, int64_t *current, int64_t *compacted, skiff_error_t *err);
/* Apply already-validated ops as one revision; caller holds the write lock
 * and has checked compares and leases. *wrote is set when a revision was made. */
int memory_apply(memory_store_t *s, const skiff_store_op_t *ops, size_t nops, int64_t *deleted,
                 int *wrote, skiff_error_t *err);
/* First live log index whose revision is >= rev. */
size_t memory_log_lower_bound(const memory_store_t *s, int64_t rev);
void memory_kv_fini(memory_store_t *s);

/* lease.c */
int memory_lease_grant(void *self, int64_t ttl_ms, int64_t *id, skiff_error_t *err);
int memory_lease_keepalive(void *self, int64_t id, skiff_error_t *err);
int memory_lease_revoke(void *self, int64_t id, skiff_error_t *err);
/* Under the write lock: the live lease `id` or NULL (expired counts as gone). */
memory_lease_t *memory_lease_find(memory_store_t *s, int64_t id);
/* Under the write lock: remember that `key` was put with lease `l`. */
int memory_lease_attach(memory_store_t *s, memory_lease_t *l, const char *key, size_t len);
int memory_timer_start(memory_store_t *s, skiff_error_t *err);
void memory_timer_stop(memory_store_t *s);
void memory_lease_fini(memory_store_t *s);

/* retention.c: compact history older than the retention settings; called
 * by the timer thread every compact_interval. */
void memory_retention_tick(memory_store_t *s, int64_t now_ns);
void memory_retention_fini(memory_store_t *s);

/* watch.c */
int memory_watch(void *self, const char *prefix, size_t prefix_len, int64_t start_rev,
                 skiff_store_watch_cb cb, void *ud, skiff_store_watch_t **out, skiff_error_t *err);
void memory_unwatch(void *self, skiff_store_watch_t *w);
int memory_hub_init(memory_store_t *s, skiff_error_t *err);
int memory_hub_start(memory_store_t *s, skiff_error_t *err);
void memory_hub_stop(memory_store_t *s);
/* Wake the hub: a revision was written. Call without holding hub.mu. */
void memory_hub_notify(memory_store_t *s);
void memory_hub_fini(memory_store_t *s);

#endif
