/* The MVCC operations: get, range, txn, compact, revision, and the history
 * log watchers replay from. Reads share the store's read lock and call the
 * caller's callback under it (the header forbids calling back into the store
 * from a get/range callback), so nothing is copied on the read path. */
#include <stdlib.h>
#include <string.h>

#include "memory.h"

#define KEY_SHOWN 128 /* bytes of a key quoted in an error message */

void memory_ver_unref(memory_store_t *s, memory_ver_t *v)
{
    if (v && __atomic_sub_fetch(&v->refs, 1, __ATOMIC_ACQ_REL) == 0)
        s->host->free(v);
}

static void kv_fill(skiff_store_kv_t *kv, const memory_ver_t *v, int keys_only)
{
    kv->key = memory_ver_key(v);
    kv->key_len = v->key_len;
    kv->value = keys_only ? NULL : memory_ver_value(v);
    kv->value_len = keys_only ? 0 : v->value_len;
    kv->create_rev = v->create_rev;
    kv->mod_rev = v->mod_rev;
    kv->version = v->version;
    kv->lease = v->lease;
}

static int kv_check_key(const char *what, const char *key, size_t len, int allow_empty,
                        skiff_error_t *err)
{
    if (len == 0 && !allow_empty)
        return skiff_error_set(err, SKIFF_E_INVALID, "%s: key is empty", what);
    if (len > 0 && !key)
        return skiff_error_set(err, SKIFF_E_INVALID, "%s: key is NULL with length %zu", what, len);
    if (len > SKIFF_STORE_KEY_MAX)
        return skiff_error_set(err, SKIFF_E_INVALID, "%s: key is %zu bytes; the limit is %u bytes",
                               what, len, SKIFF_STORE_KEY_MAX);
    return 0;
}

/* 1 when kv_check_key would refuse the key. */
static int kv_key_bad(const char *key, size_t len, int allow_empty)
{
    return (len == 0 && !allow_empty) || (len > 0 && !key) || len > SKIFF_STORE_KEY_MAX;
}

/* Resolve `*rev` (0 = latest) and refuse future or compacted revisions.
 * Caller holds the lock (either mode). */
static int kv_check_rev(const memory_store_t *s, int64_t *rev, skiff_error_t *err)
{
    if (*rev == 0) {
        *rev = s->rev;
        return 0;
    }
    if (*rev < 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "revision %lld is negative", (long long)*rev);
    if (*rev > s->rev)
        return skiff_error_set(err, SKIFF_E_FUTURE_REV,
                               "required revision %lld is a future revision (current revision is %lld)",
                               (long long)*rev, (long long)s->rev);
    if (*rev < s->compacted)
        return skiff_error_set(err, SKIFF_E_COMPACTED,
                               "required revision %lld has been compacted (compacted up to %lld)",
                               (long long)*rev, (long long)s->compacted);
    return 0;
}

int memory_get(void *self, const char *key, size_t key_len, int64_t rev, skiff_store_kv_cb cb,
               void *ud, skiff_error_t *err)
{
    memory_store_t *s = self;
    int rc = kv_check_key("get", key, key_len, 0, err);
    if (rc)
        return rc;
    memory_lock(s);
    rc = kv_check_rev(s, &rev, err);
    if (rc == 0) {
        memory_key_t *k = memory_index_find(&s->index, key, key_len);
        memory_ver_t *v = k ? memory_key_at(k, rev) : NULL;
        if (!v || v->tomb) {
            rc = skiff_error_set(err, SKIFF_E_NOTFOUND, "key \"%.*s\" not found at revision %lld",
                                 (int)(key_len < KEY_SHOWN ? key_len : KEY_SHOWN), key,
                                 (long long)rev);
        } else if (cb) {
            skiff_store_kv_t kv;
            kv_fill(&kv, v, 0);
            cb(ud, &kv);
        }
    }
    memory_unlock(s);
    return rc;
}

/* The smallest key greater than every key starting with `p`: strip trailing
 * 0xff bytes and increment the last one. Returns 0 when no such key exists
 * (empty or all-0xff prefix: the range is unbounded). */
static size_t kv_prefix_end(const char *p, size_t len, char *out)
{
    while (len > 0 && (unsigned char)p[len - 1] == 0xff)
        len--;
    if (len == 0)
        return 0;
    memcpy(out, p, len);
    out[len - 1] = (char)((unsigned char)out[len - 1] + 1);
    return len;
}

int memory_range(void *self, const skiff_store_range_req_t *req, skiff_store_kv_cb cb, void *ud,
                 skiff_store_range_res_t *res, skiff_error_t *err)
{
    memory_store_t *s = self;
    skiff_store_range_res_t tmp;
    if (!res)
        res = &tmp;
    memset(res, 0, sizeof *res);
    if (!req)
        return skiff_error_set(err, SKIFF_E_INVALID, "range: request is NULL");
    if (req->limit < 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "range: limit %lld is negative",
                               (long long)req->limit);
    int single = !req->prefix && req->end == NULL;
    int rc = kv_check_key("range", req->key, req->key_len, !single, err);
    if (rc)
        return rc;

    char endbuf[SKIFF_STORE_KEY_MAX];
    const char *end = NULL; /* NULL = unbounded (unless single) */
    size_t end_len = 0;
    if (req->prefix) {
        end_len = kv_prefix_end(req->key, req->key_len, endbuf);
        end = end_len ? endbuf : NULL;
    } else if (req->end) {
        /* etcd: an end of "\0" means every key >= key. */
        if (!(req->end_len == 1 && req->end[0] == '\0')) {
            end = req->end;
            end_len = req->end_len;
        }
    }

    memory_lock(s);
    int64_t rev = req->rev;
    rc = kv_check_rev(s, &rev, err);
    if (rc == 0) {
        res->rev = rev;
        memory_key_t *k = memory_index_lower_bound(&s->index, req->key, req->key_len);
        for (; k; k = memory_index_next(k)) {
            if (single) {
                if (memory_key_cmp(k->key, k->key_len, req->key, req->key_len) != 0)
                    break;
            } else if (end && memory_key_cmp(k->key, k->key_len, end, end_len) >= 0) {
                break;
            }
            memory_ver_t *v = memory_key_at(k, rev);
            if (!v || v->tomb)
                continue;
            if (req->count_only) {
                res->count++;
                continue;
            }
            if (req->limit && res->count == req->limit) {
                res->more = 1;
                break;
            }
            res->count++;
            if (cb) {
                skiff_store_kv_t kv;
                kv_fill(&kv, v, req->keys_only);
                if (cb(ud, &kv) != 0)
                    break;
            }
            if (single)
                break;
        }
    }
    memory_unlock(s);
    return rc;
}

size_t memory_log_lower_bound(const memory_store_t *s, int64_t rev)
{
    size_t lo = s->log_head, hi = s->log_len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->log[mid].cur->mod_rev < rev)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int kv_log_reserve(memory_store_t *s, size_t extra)
{
    if (s->log_len + extra <= s->log_cap)
        return 0;
    size_t live = s->log_len - s->log_head;
    if (s->log_head > 0 && live + extra <= s->log_cap && s->log_head >= s->log_cap / 2) {
        memmove(s->log, s->log + s->log_head, live * sizeof *s->log);
        s->log_head = 0;
        s->log_len = live;
        return 0;
    }
    size_t cap = s->log_cap ? s->log_cap * 2 : 1024;
    while (cap < s->log_len + extra)
        cap *= 2;
    memory_logent_t *n = s->host->realloc(s->log, cap * sizeof *n);
    if (!n)
        return -ENOMEM;
    s->log = n;
    s->log_cap = cap;
    return 0;
}

static int kv_chain_reserve(memory_store_t *s, memory_key_t *k)
{
    if (k->n < k->cap)
        return 0;
    size_t cap = k->cap ? k->cap * 2 : 2;
    memory_ver_t **n = s->host->realloc(k->chain, cap * sizeof *n);
    if (!n)
        return -ENOMEM;
    k->chain = n;
    k->cap = cap;
    return 0;
}

typedef struct kv_plan {
    memory_key_t *k;       /* existing node, or NULL */
    memory_key_t *node;    /* new node to link (PUT of a key never seen) */
    memory_ver_t *ver;     /* the new version; NULL for a no-op delete */
    memory_ver_t *prev;    /* live latest version before, or NULL */
} kv_plan_t;

int memory_apply(memory_store_t *s, const skiff_store_op_t *ops, size_t nops, int64_t *deleted,
                 int *wrote, skiff_error_t *err)
{
    *wrote = 0;
    if (deleted)
        *deleted = 0;
    if (nops == 0)
        return 0;
    kv_plan_t one, *plan = nops == 1 ? &one : s->host->calloc(nops, sizeof *plan);
    if (!plan)
        return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory planning a %zu-op txn; nothing was written", nops);
    memset(plan, 0, nops * sizeof *plan);
    int64_t rev = s->rev + 1;
    size_t writes = 0;
    int rc = 0;

    /* Phase 1: every allocation, nothing visible yet. */
    for (size_t i = 0; i < nops && rc == 0; i++) {
        const skiff_store_op_t *op = &ops[i];
        kv_plan_t *p = &plan[i];
        p->k = memory_index_find(&s->index, op->key, op->key_len);
        memory_ver_t *latest = p->k ? memory_key_latest(p->k) : NULL;
        p->prev = latest && !latest->tomb ? latest : NULL;
        if (op->kind == SKIFF_STORE_OP_DELETE && !p->prev)
            continue; /* deleting a missing key is a no-op */
        size_t vlen = op->kind == SKIFF_STORE_OP_PUT ? op->value_len : 0;
        p->ver = s->host->alloc(sizeof(memory_ver_t) + op->key_len + vlen);
        if (!p->ver) {
            rc = -ENOMEM;
            break;
        }
        memory_ver_t *v = p->ver;
        memset(v, 0, sizeof *v);
        v->key_len = op->key_len;
        memcpy(v->data, op->key, op->key_len);
        v->mod_rev = rev;
        if (op->kind == SKIFF_STORE_OP_PUT) {
            v->value_len = vlen;
            if (vlen)
                memcpy(v->data + op->key_len, op->value, vlen);
            v->create_rev = p->prev ? p->prev->create_rev : rev;
            v->version = p->prev ? p->prev->version + 1 : 1;
            v->lease = op->lease;
            if (op->lease && (!p->prev || p->prev->lease != op->lease)) {
                memory_lease_t *l = memory_lease_find(s, op->lease);
                if (l && memory_lease_attach(s, l, op->key, op->key_len) != 0) {
                    rc = -ENOMEM;
                    break;
                }
            }
        } else {
            v->tomb = 1;
        }
        if (!p->k) {
            p->node = memory_index_node_new(&s->index, op->key, op->key_len);
            if (!p->node) {
                rc = -ENOMEM;
                break;
            }
        }
        if (kv_chain_reserve(s, p->k ? p->k : p->node) != 0) {
            rc = -ENOMEM;
            break;
        }
        writes++;
    }
    if (rc == 0 && writes > 0 && kv_log_reserve(s, writes) != 0)
        rc = -ENOMEM;
    if (rc != 0) {
        for (size_t i = 0; i < nops; i++) {
            s->host->free(plan[i].ver);
            memory_index_node_free(&s->index, plan[i].node);
        }
        if (plan != &one)
            s->host->free(plan);
        return skiff_error_set(err, SKIFF_E_NOSPACE,
                               "out of memory writing revision %lld; nothing was written",
                               (long long)rev);
    }

    /* Phase 2: publish; nothing here can fail. */
    for (size_t i = 0; i < nops; i++) {
        kv_plan_t *p = &plan[i];
        if (!p->ver)
            continue;
        if (p->node) {
            memory_index_link(&s->index, p->node);
            p->k = p->node;
        }
        p->ver->refs = 2; /* the chain's and the log's */
        p->k->chain[p->k->n++] = p->ver;
        if (p->prev)
            memory_ver_ref(p->prev);
        s->log[s->log_len++] = (memory_logent_t){ .cur = p->ver, .prev = p->prev };
        if (p->ver->tomb && deleted)
            (*deleted)++;
    }
    if (plan != &one)
        s->host->free(plan);
    if (writes > 0) {
        __atomic_store_n(&s->rev, rev, __ATOMIC_RELEASE);
        *wrote = 1;
    }
    return 0;
}

static int kv_dup_error(const skiff_store_op_t *op, skiff_error_t *err)
{
    return skiff_error_set(err, SKIFF_E_INVALID,
                           "txn: key \"%.*s\" appears in more than one op; a txn may change a key only once",
                           (int)(op->key_len < KEY_SHOWN ? op->key_len : KEY_SHOWN), op->key);
}

/* As etcd: a txn may change each key once (the outcome would be ambiguous).
 * Pairwise for the usual small txn, sorted copies for big ones. */
static int kv_check_dups(memory_store_t *s, const skiff_store_op_t *ops, size_t nops,
                         skiff_error_t *err)
{
    if (nops <= 16) {
        for (size_t i = 1; i < nops; i++)
            for (size_t j = 0; j < i; j++)
                if (memory_op_cmp(&ops[i], &ops[j]) == 0)
                    return kv_dup_error(&ops[i], err);
        return 0;
    }
    skiff_store_op_t *sorted = s->host->alloc(nops * sizeof *sorted);
    if (!sorted)
        return skiff_error_set(err, SKIFF_E_NOSPACE, "txn: out of memory checking %zu ops", nops);
    memcpy(sorted, ops, nops * sizeof *sorted);
    qsort(sorted, nops, sizeof *sorted, memory_op_cmp);
    int rc = 0;
    for (size_t i = 1; i < nops && rc == 0; i++)
        if (memory_op_cmp(&sorted[i - 1], &sorted[i]) == 0)
            rc = kv_dup_error(&sorted[i], err);
    s->host->free(sorted);
    return rc;
}

static int kv_check_txn(memory_store_t *s, const skiff_store_cmp_t *cmps, size_t ncmps, const skiff_store_op_t *ops,
                        size_t nops, skiff_error_t *err)
{
    char what[48];
    if (ncmps && !cmps)
        return skiff_error_set(err, SKIFF_E_INVALID, "txn: %zu compares but cmps is NULL", ncmps);
    if (nops && !ops)
        return skiff_error_set(err, SKIFF_E_INVALID, "txn: %zu ops but ops is NULL", nops);
    /* `what` names the compare/op only when there is something to report
     * (an snprintf per op was a visible share of every API write) */
    for (size_t i = 0; i < ncmps; i++) {
        if (!kv_key_bad(cmps[i].key, cmps[i].key_len, 0) && cmps[i].kind >= SKIFF_STORE_CMP_ABSENT &&
            cmps[i].kind <= SKIFF_STORE_CMP_EXISTS)
            continue; /* the usual case: nothing to report */
        snprintf(what, sizeof what, "txn compare %zu", i);
        int rc = kv_check_key(what, cmps[i].key, cmps[i].key_len, 0, err);
        if (rc)
            return rc;
        if (cmps[i].kind < SKIFF_STORE_CMP_ABSENT || cmps[i].kind > SKIFF_STORE_CMP_EXISTS)
            return skiff_error_set(err, SKIFF_E_INVALID, "%s: unknown compare kind %d", what,
                                   (int)cmps[i].kind);
    }
    for (size_t i = 0; i < nops; i++) {
        const skiff_store_op_t *op = &ops[i];
        if (!kv_key_bad(op->key, op->key_len, 0) && (op->kind == SKIFF_STORE_OP_DELETE ||
            (op->kind == SKIFF_STORE_OP_PUT && op->value_len <= SKIFF_STORE_VALUE_MAX &&
             (!op->value_len || op->value) && op->lease >= 0)))
            continue; /* the usual case: nothing to report */
        snprintf(what, sizeof what, "txn op %zu", i);
        int rc = kv_check_key(what, op->key, op->key_len, 0, err);
        if (rc)
            return rc;
        if (op->kind != SKIFF_STORE_OP_PUT && op->kind != SKIFF_STORE_OP_DELETE)
            return skiff_error_set(err, SKIFF_E_INVALID, "%s: unknown op kind %d", what, (int)op->kind);
        if (op->kind == SKIFF_STORE_OP_PUT) {
            if (op->value_len > SKIFF_STORE_VALUE_MAX)
                return skiff_error_set(err, SKIFF_E_TOOLARGE,
                                       "%s: value of key \"%.*s\" is %zu bytes; the limit is %u bytes (1.5 MiB)",
                                       what, (int)(op->key_len < KEY_SHOWN ? op->key_len : KEY_SHOWN),
                                       op->key, op->value_len, SKIFF_STORE_VALUE_MAX);
            if (op->value_len && !op->value)
                return skiff_error_set(err, SKIFF_E_INVALID, "%s: value is NULL with length %zu",
                                       what, op->value_len);
            if (op->lease < 0)
                return skiff_error_set(err, SKIFF_E_INVALID, "%s: lease id %lld is negative", what,
                                       (long long)op->lease);
        }
    }
    return kv_check_dups(s, ops, nops, err);
}

/* Compares are evaluated against the latest revision under the write lock. */
static int kv_cmp_holds(memory_store_t *s, const skiff_store_cmp_t *c)
{
    memory_key_t *k = memory_index_find(&s->index, c->key, c->key_len);
    memory_ver_t *v = k ? memory_key_latest(k) : NULL;
    int live = v && !v->tomb;
    switch (c->kind) {
    case SKIFF_STORE_CMP_ABSENT: return !live;
    case SKIFF_STORE_CMP_EXISTS: return live;
    case SKIFF_STORE_CMP_MOD_REV: return live && v->mod_rev == c->rev;
    }
    return 0;
}

int memory_txn(void *self, const skiff_store_cmp_t *cmps, size_t ncmps, const skiff_store_op_t *ops,
               size_t nops, skiff_store_txn_res_t *res, skiff_error_t *err)
{
    memory_store_t *s = self;
    skiff_store_txn_res_t tmp;
    if (!res)
        res = &tmp;
    memset(res, 0, sizeof *res);
    res->failed_cmp = -1;
    int rc = kv_check_txn(s, cmps, ncmps, ops, nops, err);
    if (rc)
        return rc;

    memory_lock(s);
    for (size_t i = 0; i < ncmps; i++) {
        if (!kv_cmp_holds(s, &cmps[i])) {
            res->failed_cmp = (int)i;
            res->rev = s->rev;
            memory_unlock(s);
            return 0;
        }
    }
    for (size_t i = 0; i < nops; i++) {
        if (ops[i].kind == SKIFF_STORE_OP_PUT && ops[i].lease &&
            !memory_lease_find(s, ops[i].lease)) {
            res->rev = s->rev;
            memory_unlock(s);
            return skiff_error_set(err, SKIFF_E_NOLEASE,
                                   "txn op %zu: lease %lld not found (expired or revoked)", i,
                                   (long long)ops[i].lease);
        }
    }
    int wrote = 0;
    rc = memory_apply(s, ops, nops, &res->deleted, &wrote, err);
    res->rev = s->rev;
    if (rc == 0)
        res->succeeded = 1;
    memory_unlock(s);
    if (wrote)
        memory_hub_notify(s);
    return rc;
}

int memory_compact(void *self, int64_t rev, skiff_error_t *err)
{
    memory_store_t *s = self;
    if (rev <= 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "compact: revision %lld is not positive",
                               (long long)rev);
    memory_lock(s);
    int rc = 0;
    if (rev > s->rev) {
        rc = skiff_error_set(err, SKIFF_E_FUTURE_REV,
                             "compact: revision %lld is a future revision (current revision is %lld)",
                             (long long)rev, (long long)s->rev);
    } else if (rev <= s->compacted) {
        rc = skiff_error_set(err, SKIFF_E_COMPACTED,
                             "compact: revision %lld has already been compacted (compacted up to %lld)",
                             (long long)rev, (long long)s->compacted);
    }
    if (rc) {
        memory_unlock(s);
        return rc;
    }
    /* The log: events below rev are gone for watchers. */
    while (s->log_head < s->log_len && s->log[s->log_head].cur->mod_rev < rev) {
        memory_ver_unref(s, s->log[s->log_head].cur);
        memory_ver_unref(s, s->log[s->log_head].prev);
        s->log_head++;
    }
    if (s->log_head == s->log_len)
        s->log_head = s->log_len = 0;
    /* Each key keeps the version visible at rev (unless a tombstone) and later ones. */
    memory_key_t *k = memory_index_first(&s->index);
    while (k) {
        memory_key_t *next = memory_index_next(k);
        size_t keep = 0;
        while (keep < k->n && k->chain[keep]->mod_rev <= rev)
            keep++;
        if (keep > 0 && !k->chain[keep - 1]->tomb)
            keep--; /* the version visible at rev stays */
        if (keep > 0) {
            for (size_t i = 0; i < keep; i++)
                memory_ver_unref(s, k->chain[i]);
            memmove(k->chain, k->chain + keep, (k->n - keep) * sizeof *k->chain);
            k->n -= keep;
        }
        if (k->n == 0)
            memory_index_remove(&s->index, k);
        k = next;
    }
    s->compacted = rev;
    memory_unlock(s);
    memory_hub_notify(s); /* lagging watchers learn they were cut off */
    return 0;
}

int memory_revision(void *self, int64_t *current, int64_t *compacted, skiff_error_t *err)
{
    memory_store_t *s = self;
    memory_lock(s);
    if (current)
        *current = s->rev;
    if (compacted)
        *compacted = s->compacted;
    memory_unlock(s);
    return 0;
}

void memory_kv_fini(memory_store_t *s)
{
    for (size_t i = s->log_head; i < s->log_len; i++) {
        memory_ver_unref(s, s->log[i].cur);
        memory_ver_unref(s, s->log[i].prev);
    }
    if (s->host)
        s->host->free(s->log);
    s->log = NULL;
    s->log_head = s->log_len = s->log_cap = 0;
    memory_index_fini(&s->index);
}
