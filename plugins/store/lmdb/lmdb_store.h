/* lmdb_store.h — internals of the lmdb store plugin (not a public header).
 *
 * On-disk layout (one LMDB environment in <path>/):
 *   kv    key -> record            latest state of every live key
 *   hist  key ++ rev(BE64) -> rec  every PUT/DELETE event, for reads at old
 *                                  revisions and watch replay (custom compare:
 *                                  key bytes first, then revision)
 *   rev   rev(BE64) ++ sub(BE32) -> key   the revision log, in order
 *   meta  "format" "rev" "compacted" "lease_next" -> int64
 *   lease id(BE64) -> ttl_ms(int64)
 *   lkeys id(BE64) ++ key -> ""   keys attached to a lease
 * A record is lmdb_rec_t followed by the value bytes.
 *
 * Threads: one writer thread owns every write transaction (group commit);
 * readers use their own MDB read transactions (MDB_NOTLS); each watch has a
 * thread that replays the revision log; a janitor thread expires leases and
 * compacts by retention.
 */
#ifndef SKIFF_PLUGIN_LMDB_STORE_H
#define SKIFF_PLUGIN_LMDB_STORE_H

#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <skiff/plugin.h>
#include <skiff/store.h>

#define LMDB_FORMAT 1

/* LMDB keys are at most 511 bytes. Keys up to LMDB_SHORT_MAX are stored as
 * they are; a longer key is stored as its first LMDB_SHORT_MAX bytes, 0xff and
 * a 64-bit hash of the whole key, with the whole key in the record. That
 * keeps every key in its place in the order except among long keys that
 * share their first LMDB_SHORT_MAX bytes: readers sort such a group in
 * memory by the full key. */
#define LMDB_SHORT_MAX 480
#define LMDB_ENC_MAX (LMDB_SHORT_MAX + 9)
#define LMDB_HIDDEN __attribute__((visibility("hidden")))

typedef struct lmdb_rec {
    uint32_t type; /* SKIFF_STORE_EV_PUT / _DELETE */
    uint32_t klen; /* long keys: the full key's length; it follows the header */
    int64_t create_rev;
    int64_t mod_rev;
    int64_t version;
    int64_t lease;
} lmdb_rec_t;

enum { LMDB_REQ_TXN = 1, LMDB_REQ_COMPACT, LMDB_REQ_GRANT, LMDB_REQ_REVOKE };

typedef struct lmdb_req {
    struct lmdb_req *next;
    int kind;
    const skiff_store_cmp_t *cmps;
    size_t ncmps;
    const skiff_store_op_t *ops;
    size_t nops;
    skiff_store_txn_res_t *res;
    int64_t rev;     /* COMPACT target */
    int64_t lease;   /* GRANT out / REVOKE in */
    int64_t ttl_ms;  /* GRANT */
    int wrote;       /* this request changed the store in the open batch */
    _Atomic int done; /* set last; the caller futex-waits on it */
    struct lmdb_req *kids[2]; /* the caller wakes these when woken (finish()) */
    int rc;
    skiff_error_t *err;
} lmdb_req_t;

/* One event of a write that is durable but not yet committed to LMDB
 * (lmdb_overlay.c). `ev` points into the same allocation. */
typedef struct lmdb_ov_ev {
    skiff_store_event_t ev;
    uint64_t hash;
} lmdb_ov_ev_t;

typedef struct lmdb_ov {
    _Atomic int refs;
    int64_t base_rev;  /* LMDB's committed revision when this overlay began */
    int64_t pub_rev;   /* newest published (durable) revision */
    lmdb_ov_ev_t **ev; /* revision order; [0, npub) published, [npub, n) being applied */
    size_t n, npub, cap, bytes;
    int32_t *ht;       /* key -> index of its newest published event; -1 empty */
    size_t ht_cap;
} lmdb_ov_t;

typedef struct lmdb_lease {
    int64_t id;
    int64_t ttl_ms;
    int64_t deadline_ns; /* monotonic */
    int expired;         /* revoke queued; keepalive refused */
} lmdb_lease_t;

typedef struct lmdb_store {
    /* settings, filled by the host from the key table */
    const char *path;
    int64_t map_size_milli;
    int64_t group_commit_max;
    int64_t retention_revisions;
    int64_t retention_ms;
    int64_t compact_interval_ms;
    int64_t checkpoint_ms;
    int64_t commit_ms;      /* deferred LMDB commit at least this often */
    int64_t commit_idle_us; /* ... and after this long without a write (tests raise it) */
    int verify;

    const skiff_host_t *host;
    skiff_ctx_t *ctx;
    char *data_file; /* <path>/data.mdb, for messages */
    int lock_fd;
    MDB_env *env;
    MDB_dbi kv, hist, rev, meta, lease, lkeys;
    size_t key_max;

    pthread_mutex_t mu; /* queue, stop flags, watch list, leases */
    pthread_cond_t q_cond;    /* writer: work queued */
    pthread_cond_t jan_cond;  /* janitor: wake up / stop */
    lmdb_req_t *q_head, *q_tail;
    size_t q_n;            /* requests queued */
    int writer_waiting;    /* the writer sleeps on q_cond ... */
    size_t gather_target;  /* ... until this many are queued (0: any) */
    int64_t log_ewma_ns;   /* writer: mean time of a log write + fdatasync */
    int writer_stop, writer_running;
    int jan_stop, jan_running;
    pthread_t writer, janitor;
    lmdb_req_t **w_reqs; /* writer's batch */
    unsigned char *w_buf;
    size_t w_max;
    _Atomic int64_t cur_rev;       /* newest durable (acknowledged) revision */
    _Atomic int64_t committed_rev; /* newest revision committed to LMDB */
    _Atomic uint64_t durable_seq, committed_seq; /* the same, in logged batches */
    _Atomic int flush_req;         /* a reader waits for LMDB to catch up */
    pthread_cond_t flush_cond;     /* under mu: committed_seq advanced */
    int broken;                    /* writer: LMDB lost acknowledged batches; restart */
#ifdef SKIFF_PLUGIN_TEST
    int test_fail_apply;           /* lmdb_test.c: the next batch fails to apply */
    int test_fail_sync;            /* lmdb_test.c: the next round's fdatasync fails */
#endif

    /* deferred LMDB commits (writer thread only) */
    MDB_txn *w_txn;   /* open across batches; each batch is a nested txn */
    int w_defer;      /* w_txn is committed after its batches are acknowledged */
    uint64_t w_wal_off0; /* log offset where w_txn's batches begin (same segment) */
    /* the gathering round (lmdb_write.c): batches applied and logged as
     * their requests arrive, one fdatasync for all of them */
    lmdb_req_t **w_pend;  /* the round's requests (group_commit_max slots) */
    size_t w_npend;
    int r_open, r_changed, r_cc;
    uint64_t r_off0, r_seq0;
    size_t r_ov0;
    int64_t r_rev, r_compacted, r_t0;
    size_t last_round; /* requests the last round had */
    int64_t w_t0;     /* when w_txn began */
    size_t w_cost;    /* batch_cost() of its batches */
    uint64_t prealloc_end; /* data.mdb is allocated up to here (FALLOC_FL_KEEP_SIZE) */

    pthread_mutex_t ov_mu; /* the overlay pointer, its event array and index */
    lmdb_ov_t *ov;
    _Atomic int64_t compacted;
    int purge_pending; /* history below `compacted` still to delete */

    /* write-ahead log (lmdb_wal.c); written by the writer thread only */
    int wal_fd;
    uint64_t wal_off, wal_undo;
    uint64_t wal_seq;      /* last logged batch */
    uint64_t wal_seq_base; /* batch seq the current segment starts after */
    unsigned char *wal_buf;
    size_t wal_len, wal_cap;
    int64_t ckpt_last_ns;
    MDB_txn *pin_cur;      /* read txn pinning the newest checkpoint */
    /* checkpoint thread hand-off, under mu */
    pthread_t ckpt_th;
    pthread_cond_t ckpt_cond;
    int ckpt_running, ckpt_busy, ckpt_stop, ckpt_old_fd;
    uint64_t last_seg_bytes;
    int spare_ready; /* a zero-filled segment file waits in <path>/wal-spare.tmp */
    uint64_t spare_want; /* the writer asks for a spare of (twice) this size now */
    uint64_t wal_room;   /* the current segment is zero-filled up to here */
    int64_t seg_t0;      /* when the current segment was started */
    MDB_txn *ckpt_old_pin;
    uint64_t ckpt_snap;

    /* writer statistics (writer thread only) */
    int64_t st_batches, st_reqs, st_apply_ns, st_log_ns, st_commit_ns, st_since_ns;
    int64_t st_dcommits, st_dcommit_ns; /* deferred LMDB commits */

    struct skiff_store_watch *watches;

    lmdb_lease_t *leases;
    size_t nleases, cap_leases;

    /* retention by time: (monotonic ns, revision) samples */
    int64_t *samp_ns, *samp_rev;
    size_t nsamp, cap_samp;
} lmdb_store_t;

/* lmdb_record.c */
LMDB_HIDDEN int lmdb_hist_cmp(const MDB_val *a, const MDB_val *b);
LMDB_HIDDEN void lmdb_be64(unsigned char *p, uint64_t v);
LMDB_HIDDEN uint64_t lmdb_get_be64(const unsigned char *p);
LMDB_HIDDEN size_t lmdb_enc(const char *key, size_t kl, unsigned char *out);
/* The user key of an entry: the LMDB key itself, or the one in the record. */
LMDB_HIDDEN void lmdb_rec_key(const MDB_val *k, size_t klen_part, const MDB_val *v,
                              const lmdb_rec_t *rec, const char **key, size_t *kl);
LMDB_HIDDEN int lmdb_rec_decode(const MDB_val *v, lmdb_rec_t *rec, const void **value,
                                size_t *value_len);
LMDB_HIDDEN int lmdb_mdb_error(lmdb_store_t *s, int rc, const char *what, skiff_error_t *err);
LMDB_HIDDEN int lmdb_meta_get(lmdb_store_t *s, MDB_txn *t, const char *name, int64_t *out);
LMDB_HIDDEN int lmdb_meta_put(lmdb_store_t *s, MDB_txn *t, const char *name, int64_t v);
/* Latest hist entry of key with rev <= at; 0 found, MDB_NOTFOUND, or error.
 * `key` is the ENCODED key (lmdb_enc). */
LMDB_HIDDEN int lmdb_hist_at(lmdb_store_t *s, MDB_cursor *c, const char *key, size_t key_len,
                             int64_t at, lmdb_rec_t *rec, MDB_val *val, unsigned char *buf);
LMDB_HIDDEN void *lmdb_alloc(lmdb_store_t *s, size_t n);
LMDB_HIDDEN void lmdb_free(lmdb_store_t *s, void *p);

/* lmdb_overlay.c */
LMDB_HIDDEN lmdb_ov_t *lmdb_ov_new(lmdb_store_t *s, int64_t base_rev);
LMDB_HIDDEN void lmdb_ov_unref(lmdb_store_t *s, lmdb_ov_t *ov);
/* The current overlay, with a reference the caller drops with lmdb_ov_unref. */
LMDB_HIDDEN lmdb_ov_t *lmdb_ov_acquire(lmdb_store_t *s);
/* Writer: append an unpublished event (old: the key's previous record or
 * NULL, oval its value). 0 or ENOMEM. */
LMDB_HIDDEN int lmdb_ov_add(lmdb_store_t *s, lmdb_ov_t *ov, uint32_t type, const char *key,
                            size_t kl, const lmdb_rec_t *rec, const void *val, size_t vl,
                            const lmdb_rec_t *old, const void *oval, size_t ovl);
/* Writer: drop unpublished events from index n on (a failed batch). */
LMDB_HIDDEN void lmdb_ov_truncate(lmdb_store_t *s, lmdb_ov_t *ov, size_t n);
/* Writer: every appended event is durable now; rev is the batch's revision. */
LMDB_HIDDEN void lmdb_ov_publish(lmdb_store_t *s, lmdb_ov_t *ov, int64_t rev);
/* Newest published event of key, or NULL (valid while ov is referenced). */
LMDB_HIDDEN const lmdb_ov_ev_t *lmdb_ov_find(lmdb_store_t *s, lmdb_ov_t *ov, const char *key,
                                             size_t kl);
/* Up to max published events from *pos (0: the first at or after from_rev);
 * advances *pos; *pub_rev: the newest published revision. */
LMDB_HIDDEN size_t lmdb_ov_slice(lmdb_store_t *s, lmdb_ov_t *ov, int64_t from_rev, size_t *pos,
                                 const lmdb_ov_ev_t **out, size_t max, int64_t *pub_rev);

/* lmdb_read.c */
LMDB_HIDDEN int lmdb_get(void *self, const char *key, size_t key_len, int64_t rev,
                         skiff_store_kv_cb cb, void *ud, skiff_error_t *err);
LMDB_HIDDEN int lmdb_range(void *self, const skiff_store_range_req_t *req,
                           skiff_store_kv_cb cb, void *ud, skiff_store_range_res_t *res,
                           skiff_error_t *err);
LMDB_HIDDEN int lmdb_revision(void *self, int64_t *current, int64_t *compacted,
                              skiff_error_t *err);

/* lmdb_write.c */
LMDB_HIDDEN int lmdb_writer_start(lmdb_store_t *s, skiff_error_t *err);
LMDB_HIDDEN void lmdb_writer_stop(lmdb_store_t *s);
LMDB_HIDDEN void lmdb_writer_free(lmdb_store_t *s);
LMDB_HIDDEN int lmdb_writer_alloc(lmdb_store_t *s, skiff_error_t *err);
/* Readers: wait until LMDB holds every acknowledged write. */
LMDB_HIDDEN int lmdb_flush_wait(lmdb_store_t *s, skiff_error_t *err);
/* Apply a logged batch into t (lmdb_wal_reapply); checks it ends at seq. */
LMDB_HIDDEN int lmdb_apply_logged(lmdb_store_t *s, MDB_txn *t, lmdb_req_t **reqs, size_t n,
                                  uint64_t seq);
LMDB_HIDDEN int lmdb_wal_reapply(lmdb_store_t *s, MDB_txn *t, uint64_t from, uint64_t to);
LMDB_HIDDEN int lmdb_replay_batch(lmdb_store_t *s, lmdb_req_t **reqs, size_t n, uint64_t seq,
                                  skiff_error_t *err);

/* lmdb_wal.c */
LMDB_HIDDEN int lmdb_wal_restore_meta(lmdb_store_t *s, skiff_error_t *err);
LMDB_HIDDEN int lmdb_wal_open(lmdb_store_t *s, uint64_t seq, skiff_error_t *err);
LMDB_HIDDEN int lmdb_wal_append(lmdb_store_t *s, lmdb_req_t **reqs, size_t n, uint64_t seq);
LMDB_HIDDEN void lmdb_wal_undo(lmdb_store_t *s);
LMDB_HIDDEN int lmdb_wal_write(lmdb_store_t *s, lmdb_req_t **reqs, size_t n, uint64_t seq);
LMDB_HIDDEN void lmdb_wal_cut(lmdb_store_t *s, uint64_t off);
LMDB_HIDDEN void lmdb_wal_maybe_checkpoint(lmdb_store_t *s, int force);
LMDB_HIDDEN int lmdb_ckpt_start(lmdb_store_t *s, skiff_error_t *err);
LMDB_HIDDEN void lmdb_wal_close(lmdb_store_t *s);
LMDB_HIDDEN int lmdb_submit(lmdb_store_t *s, lmdb_req_t *r);
LMDB_HIDDEN int lmdb_txn(void *self, const skiff_store_cmp_t *cmps, size_t ncmps,
                         const skiff_store_op_t *ops, size_t nops, skiff_store_txn_res_t *res,
                         skiff_error_t *err);
LMDB_HIDDEN int lmdb_compact(void *self, int64_t rev, skiff_error_t *err);

/* lmdb_watch.c */
LMDB_HIDDEN int lmdb_watch(void *self, const char *prefix, size_t prefix_len, int64_t start_rev,
                           skiff_store_watch_cb cb, void *ud, skiff_store_watch_t **out,
                           skiff_error_t *err);
LMDB_HIDDEN void lmdb_unwatch(void *self, skiff_store_watch_t *w);
LMDB_HIDDEN void lmdb_watch_close_all(lmdb_store_t *s);
/* Under s->mu, after a round is acknowledged: wake the watches it concerns
 * (all of them when reqs is NULL). */
LMDB_HIDDEN void lmdb_watch_wake_locked(lmdb_store_t *s, lmdb_req_t *const *reqs, size_t n);

/* lmdb_lease.c */
LMDB_HIDDEN int lmdb_lease_grant(void *self, int64_t ttl_ms, int64_t *id, skiff_error_t *err);
LMDB_HIDDEN int lmdb_lease_keepalive(void *self, int64_t id, skiff_error_t *err);
LMDB_HIDDEN int lmdb_lease_revoke(void *self, int64_t id, skiff_error_t *err);
LMDB_HIDDEN int lmdb_lease_load(lmdb_store_t *s, skiff_error_t *err);
/* under s->mu */
LMDB_HIDDEN int lmdb_lease_add_locked(lmdb_store_t *s, int64_t id, int64_t ttl_ms);
LMDB_HIDDEN void lmdb_lease_remove_locked(lmdb_store_t *s, int64_t id);

/* lmdb_janitor.c */
LMDB_HIDDEN int lmdb_janitor_start(lmdb_store_t *s, skiff_error_t *err);
LMDB_HIDDEN void lmdb_janitor_stop(lmdb_store_t *s);

#endif
