/* skiff/store.h — ops table of kind `store`: a revisioned (MVCC) key-value
 * store with watch, etcd's role in the cluster.
 *
 * Model (as etcd v3): every successful write transaction gets the next global
 * revision (starting at 1 for the first write; an empty store is at 0). A key
 * records create_rev (revision of its creation), mod_rev (last change) and
 * version (number of changes since creation, 1 on create). Old revisions stay
 * readable until compacted. Keys are byte strings; values at most
 * SKIFF_STORE_VALUE_MAX bytes (SKIFF_E_TOOLARGE beyond).
 *
 * Errors: SKIFF_E_NOTFOUND (get of a missing key), SKIFF_E_COMPACTED (a read
 * or watch at a revision below the compaction point), SKIFF_E_FUTURE_REV,
 * SKIFF_E_TOOLARGE, SKIFF_E_NOSPACE (nothing was written), SKIFF_E_NOLEASE,
 * SKIFF_E_INVALID. A failed compare is not an error: txn returns 0 with
 * succeeded = 0.
 *
 * Ownership: every skiff_store_kv_t and event handed to a callback is borrowed
 * for the duration of that call only; copy what you keep. Request structs are
 * borrowed for the call. Callbacks must not call back into the same store
 * from inside a range/get callback; watch callbacks may.
 *
 * Threads: all ops are callable from any thread concurrently.
 */
#ifndef SKIFF_STORE_H
#define SKIFF_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define SKIFF_STORE_VALUE_MAX (1536u * 1024u) /* 1.5 MiB, as etcd */
#define SKIFF_STORE_KEY_MAX 4096u

typedef struct skiff_store_kv {
    const char *key;
    size_t key_len;
    const void *value; /* NULL with value_len 0 in DELETE events' kv */
    size_t value_len;
    int64_t create_rev;
    int64_t mod_rev;
    int64_t version;
    int64_t lease; /* 0 = none */
} skiff_store_kv_t;

/* Return 0 to continue, non-zero to stop the iteration early (not an error). */
typedef int (*skiff_store_kv_cb)(void *ud, const skiff_store_kv_t *kv);

typedef struct skiff_store_range_req {
    const char *key;     /* start key (inclusive) */
    size_t key_len;
    const char *end;     /* end key (exclusive); NULL with prefix = 0: just `key` */
    size_t end_len;
    int prefix;          /* non-zero: every key starting with `key` (end ignored) */
    int64_t rev;         /* 0 = latest; else read as of that revision */
    int64_t limit;       /* 0 = no limit */
    int keys_only;       /* value not needed (value may be NULL) */
    int count_only;      /* no callbacks, just count */
} skiff_store_range_req_t;

typedef struct skiff_store_range_res {
    int64_t rev;         /* the revision the range was read at (use it to continue) */
    int64_t count;       /* keys delivered (or counted) */
    int more;            /* non-zero: the limit cut the range short; continue from
                            the last key delivered + "\0" at `rev` */
} skiff_store_range_res_t;

typedef enum skiff_store_cmp_kind {
    SKIFF_STORE_CMP_ABSENT = 1,  /* key does not exist */
    SKIFF_STORE_CMP_MOD_REV = 2, /* key exists and its mod_rev == rev */
    SKIFF_STORE_CMP_EXISTS = 3,  /* key exists (any revision) */
} skiff_store_cmp_kind_t;

typedef struct skiff_store_cmp {
    skiff_store_cmp_kind_t kind;
    const char *key;
    size_t key_len;
    int64_t rev;
} skiff_store_cmp_t;

typedef enum skiff_store_op_kind {
    SKIFF_STORE_OP_PUT = 1,
    SKIFF_STORE_OP_DELETE = 2, /* deleting a missing key is a no-op */
} skiff_store_op_kind_t;

typedef struct skiff_store_op {
    skiff_store_op_kind_t kind;
    const char *key;
    size_t key_len;
    const void *value;
    size_t value_len;
    int64_t lease; /* PUT: attach to lease (0 = none) */
} skiff_store_op_t;

typedef struct skiff_store_txn_res {
    int succeeded;   /* all compares held and the ops were applied */
    int failed_cmp;  /* index of the first compare that failed, or -1 */
    int64_t rev;     /* new revision if a write happened, else current revision */
    int64_t deleted; /* number of keys the DELETE ops removed */
} skiff_store_txn_res_t;

typedef enum skiff_store_event_type {
    SKIFF_STORE_EV_PUT = 1,
    SKIFF_STORE_EV_DELETE = 2,
} skiff_store_event_type_t;

typedef struct skiff_store_event {
    skiff_store_event_type_t type;
    skiff_store_kv_t kv;      /* for DELETE: key, mod_rev = deletion revision */
    int has_prev;
    skiff_store_kv_t prev;    /* value before this event, when has_prev */
} skiff_store_event_t;

/* Watch callback. Events arrive in revision order, all events of one
 * revision together. `err` non-NULL means the watch ended (e.g.
 * SKIFF_E_COMPACTED when start_rev is already compacted, or the watcher fell
 * too far behind); `ev` is then NULL and no further calls follow. */
typedef void (*skiff_store_watch_cb)(void *ud, const skiff_store_event_t *ev,
                                     const skiff_error_t *err);

typedef struct skiff_store_watch skiff_store_watch_t; /* plugin-owned */

typedef struct skiff_store_ops {
    uint32_t size; /* sizeof(skiff_store_ops_t) */

    /* get: one key at `rev` (0 = latest); cb called once when found. */
    int (*get)(void *self, const char *key, size_t key_len, int64_t rev,
               skiff_store_kv_cb cb, void *ud, skiff_error_t *err);

    /* range: keys in order at one consistent revision. */
    int (*range)(void *self, const skiff_store_range_req_t *req, skiff_store_kv_cb cb,
                 void *ud, skiff_store_range_res_t *res, skiff_error_t *err);

    /* txn: if every compare holds, apply ops atomically as one revision. A
     * txn whose ops are all no-op deletes does not create a revision. Returns
     * only after the revision is durable (for durable stores). */
    int (*txn)(void *self, const skiff_store_cmp_t *cmps, size_t ncmps,
               const skiff_store_op_t *ops, size_t nops, skiff_store_txn_res_t *res,
               skiff_error_t *err);

    /* watch: events for keys with `prefix` (len 0 = all keys) with
     * mod_rev >= start_rev (0 = from now on). Past events are replayed first.
     * The callback runs on a plugin thread; it must not block for long. */
    int (*watch)(void *self, const char *prefix, size_t prefix_len, int64_t start_rev,
                 skiff_store_watch_cb cb, void *ud, skiff_store_watch_t **out,
                 skiff_error_t *err);
    /* unwatch: after it returns, no callback is running or will run.
     * Idempotent for NULL. */
    void (*unwatch)(void *self, skiff_store_watch_t *w);

    /* compact: drop history below `rev`; reads and watches at rev < `rev`
     * then fail with SKIFF_E_COMPACTED. */
    int (*compact)(void *self, int64_t rev, skiff_error_t *err);

    /* current revision and the compaction point (either out may be NULL). */
    int (*revision)(void *self, int64_t *current, int64_t *compacted, skiff_error_t *err);

    /* leases: keys put with a lease are deleted (as one revision per lease)
     * when it expires or is revoked. ttl in ms. */
    int (*lease_grant)(void *self, int64_t ttl_ms, int64_t *id, skiff_error_t *err);
    int (*lease_keepalive)(void *self, int64_t id, skiff_error_t *err);
    int (*lease_revoke)(void *self, int64_t id, skiff_error_t *err);
} skiff_store_ops_t;

#endif
