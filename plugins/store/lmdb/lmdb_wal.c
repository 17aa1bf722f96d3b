/* lmdb_wal.c — the write-ahead log that makes a write durable with ONE
 * sequential fdatasync instead of LMDB's per-commit sync of scattered pages.
 *
 * Every batch that changes the store is appended to the current WAL segment
 * (the requests themselves: replaying them against the same starting state
 * gives the same result) and fdatasync'd BEFORE its LMDB transaction commits,
 * so readers and watchers never see a write that is not yet durable. LMDB
 * itself commits without syncing (MDB_NOSYNC).
 *
 * Checkpoints keep that safe against power loss, not just process death:
 *   1. the writer pins the committed snapshot S with a read transaction, so
 *      LMDB never reuses any of S's pages, and copies the two meta pages;
 *   2. it starts a new segment whose header holds those meta pages (synced);
 *   3. the checkpoint thread fdatasyncs data.mdb (S is now on disk, whole),
 *      deletes the older segment and drops the previous pin.
 * Recovery writes the OLDEST segment's meta pages back into data.mdb (so
 * LMDB opens at that checkpoint, whose pages are intact), then replays every
 * logged batch after it. A torn record at the tail was never acknowledged
 * and is dropped. Segments: <path>/wal-<16 hex digits of the snapshot's
 * batch seq>.log.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "lmdb_store.h"

#define WAL_MAGIC "SKWAL001"
#define WAL_HDR 32
#define REC_MAGIC 0x5357524bu /* "KRWS" */
#define REC_HDR 24
#define CKPT_BYTES (32ull << 20)
/* Segments are zero-filled ahead of use by the checkpoint thread: an
 * fdatasync after overwriting allocated blocks skips the journal commit an
 * appending write needs, which on ext4 under load is most of its cost. */
#define SPARE_MAX (32ull << 20) /* sized to twice what the last segment used */
#define SPARE_MIN (1ull << 20)
#define FIRST_ROOM (256ull << 10)
#define TRICKLE_MS 20
#define SPARE_NAME "wal-spare.tmp"

static uint64_t hash64(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}
#define HASH0 0xcbf29ce484222325ull

static void seg_name(const lmdb_store_t *s, uint64_t snap, char *out, size_t n)
{
    snprintf(out, n, "%s/wal-%016llx.log", s->path, (unsigned long long)snap);
}

static int write_all(int fd, const void *p, size_t n, off_t off)
{
    const char *c = p;
    while (n) {
        ssize_t w = pwrite(fd, c, n, off);
        if (w < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (w == 0) return ENOSPC;
        c += w;
        n -= (size_t)w;
        off += w;
    }
    return 0;
}

static int fsync_path(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno;
    int rc = fsync(fd) ? errno : 0;
    close(fd);
    return rc;
}

/* Sorted list of segment snapshot seqs. */
static int list_segments(lmdb_store_t *s, uint64_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(s->path);
    if (!d) return errno;
    struct dirent *e;
    size_t cap = 0;
    int rc = 0;
    while ((e = readdir(d))) {
        unsigned long long v;
        char tail[8];
        if (strlen(e->d_name) != 24 || sscanf(e->d_name, "wal-%16llx.%3s", &v, tail) != 2 ||
            strcmp(tail, "log") != 0)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            uint64_t *a = s->host->realloc(*out, cap * sizeof *a);
            if (!a) { rc = ENOMEM; break; }
            *out = a;
        }
        (*out)[(*n)++] = v;
    }
    closedir(d);
    for (size_t i = 1; i < *n; i++) /* insertion sort: a handful of entries */
        for (size_t j = i; j > 0 && (*out)[j - 1] > (*out)[j]; j--) {
            uint64_t t = (*out)[j];
            (*out)[j] = (*out)[j - 1];
            (*out)[j - 1] = t;
        }
    return rc;
}

/* Read and check a segment header; meta (2*psize bytes) may be NULL. */
static int read_header(lmdb_store_t *s, int fd, uint64_t *snap, uint32_t *psize, unsigned char **meta)
{
    unsigned char h[WAL_HDR];
    if (pread(fd, h, sizeof h, 0) != (ssize_t)sizeof h || memcmp(h, WAL_MAGIC, 8) != 0) return -1;
    memcpy(snap, h + 8, 8);
    memcpy(psize, h + 16, 4);
    if (*psize < 512 || *psize > 65536) return -1;
    unsigned char *m = lmdb_alloc(s, 2 * (size_t)*psize);
    if (!m) return ENOMEM;
    if (pread(fd, m, 2 * (size_t)*psize, WAL_HDR) != (ssize_t)(2 * *psize)) { lmdb_free(s, m); return -1; }
    uint64_t want, got = hash64(hash64(HASH0, h, 24), m, 2 * (size_t)*psize);
    memcpy(&want, h + 24, 8);
    if (want != got) { lmdb_free(s, m); return -1; }
    if (meta) *meta = m;
    else lmdb_free(s, m);
    return 0;
}

/* Create segment `snap` holding the data file's current meta pages. */
static int create_segment(lmdb_store_t *s, uint64_t snap, int *fd_out, uint64_t *off_out,
                          uint64_t *room_out)
{
    MDB_stat st;
    int rc = mdb_env_stat(s->env, &st);
    if (rc) return rc;
    size_t ps = st.ms_psize;
    int dfd;
    if ((rc = mdb_env_get_fd(s->env, &dfd))) return rc;
    size_t len = WAL_HDR + 2 * ps;
    unsigned char *b = lmdb_alloc(s, len);
    if (!b) return ENOMEM;
    if (pread(dfd, b + WAL_HDR, 2 * ps, 0) != (ssize_t)(2 * ps)) {
        rc = errno ? errno : EIO;
        lmdb_free(s, b);
        return rc;
    }
    memcpy(b, WAL_MAGIC, 8);
    memcpy(b + 8, &snap, 8);
    uint32_t p32 = (uint32_t)ps, pad = 0;
    memcpy(b + 16, &p32, 4);
    memcpy(b + 20, &pad, 4);
    uint64_t h = hash64(hash64(HASH0, b, 24), b + WAL_HDR, 2 * ps);
    memcpy(b + 24, &h, 8);
    char name[4200], spare[4200];
    seg_name(s, snap, name, sizeof name);
    snprintf(spare, sizeof spare, "%s/" SPARE_NAME, s->path);
    int fd = -1;
    pthread_mutex_lock(&s->mu);
    int have_spare = s->spare_ready;
    s->spare_ready = 0;
    pthread_mutex_unlock(&s->mu);
    uint64_t room = len;
    if (have_spare && rename(spare, name) == 0) fd = open(name, O_RDWR | O_CLOEXEC);
    struct stat st2;
    if (fd >= 0 && fstat(fd, &st2) == 0 && (uint64_t)st2.st_size > room) room = (uint64_t)st2.st_size;
    if (fd < 0) fd = open(name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) { rc = errno; lmdb_free(s, b); return rc; }
    rc = write_all(fd, b, len, 0);
    lmdb_free(s, b);
    if (!rc && fdatasync(fd) != 0) rc = errno;
    if (!rc) rc = fsync_path(s->path);
    if (rc) {
        close(fd);
        unlink(name);
        return rc;
    }
    *fd_out = fd;
    *off_out = len;
    if (room_out) *room_out = room;
    return 0;
}

static void delete_segments_before(lmdb_store_t *s, uint64_t snap)
{
    uint64_t *segs;
    size_t n;
    if (list_segments(s, &segs, &n) != 0) return;
    for (size_t i = 0; i < n; i++) {
        if (segs[i] >= snap) continue;
        char name[4200];
        seg_name(s, segs[i], name, sizeof name);
        unlink(name);
    }
    s->host->free(segs);
    fsync_path(s->path);
}

int lmdb_wal_restore_meta(lmdb_store_t *s, skiff_error_t *err)
{
    uint64_t *segs;
    size_t n;
    int rc = list_segments(s, &segs, &n);
    if (rc) return skiff_error_set(err, -rc, "%s: cannot list WAL segments: %s", s->path, strerror(rc));
    if (n == 0) return 0;
    char name[4200];
    seg_name(s, segs[0], name, sizeof name);
    s->host->free(segs);
    int fd = open(name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return skiff_error_set(err, -errno, "%s: %s", name, strerror(errno));
    uint64_t snap;
    uint32_t ps;
    unsigned char *meta = NULL;
    rc = read_header(s, fd, &snap, &ps, &meta);
    close(fd);
    if (rc == ENOMEM) return skiff_error_set(err, -ENOMEM, "out of memory");
    if (rc) return skiff_error_set(err, SKIFF_E_CORRUPT, "%s: damaged write-ahead log header", name);
    int dfd = open(s->data_file, O_WRONLY | O_CLOEXEC);
    if (dfd < 0) {
        lmdb_free(s, meta);
        return skiff_error_set(err, -errno, "%s: %s", s->data_file, strerror(errno));
    }
    rc = write_all(dfd, meta, 2 * (size_t)ps, 0);
    if (!rc && fdatasync(dfd) != 0) rc = errno;
    close(dfd);
    lmdb_free(s, meta);
    if (rc) return skiff_error_set(err, -rc, "%s: cannot restore the checkpoint: %s", s->data_file, strerror(rc));
    return 0;
}

/* ---- records ---- */

static int buf_put(lmdb_store_t *s, const void *p, size_t n)
{
    if (s->wal_len + n > s->wal_cap) {
        size_t cap = s->wal_cap ? s->wal_cap : 65536;
        while (cap < s->wal_len + n) cap *= 2;
        unsigned char *b = s->host->realloc(s->wal_buf, cap);
        if (!b) return ENOMEM;
        s->wal_buf = b;
        s->wal_cap = cap;
    }
    memcpy(s->wal_buf + s->wal_len, p, n);
    s->wal_len += n;
    return 0;
}
#define PUT(v) do { if ((rc = buf_put(s, &(v), sizeof(v)))) return rc; } while (0)
#define PUTB(p, n) do { if ((n) && (rc = buf_put(s, (p), (n)))) return rc; } while (0)

static int encode(lmdb_store_t *s, lmdb_req_t **reqs, size_t n, uint64_t seq)
{
    int rc;
    s->wal_len = 0;
    unsigned char hdr[REC_HDR] = { 0 };
    PUTB(hdr, sizeof hdr);
    uint32_t nr = (uint32_t)n;
    PUT(nr);
    for (size_t i = 0; i < n; i++) {
        lmdb_req_t *r = reqs[i];
        uint32_t kind = (uint32_t)r->kind;
        PUT(kind);
        switch (r->kind) {
        case LMDB_REQ_TXN: {
            uint32_t nc = (uint32_t)r->ncmps, no = (uint32_t)r->nops;
            PUT(nc);
            PUT(no);
            for (size_t j = 0; j < r->ncmps; j++) {
                const skiff_store_cmp_t *c = &r->cmps[j];
                uint32_t k = (uint32_t)c->kind, kl = (uint32_t)c->key_len;
                PUT(k);
                PUT(kl);
                PUT(c->rev);
                PUTB(c->key, c->key_len);
            }
            for (size_t j = 0; j < r->nops; j++) {
                const skiff_store_op_t *o = &r->ops[j];
                uint32_t k = (uint32_t)o->kind, kl = (uint32_t)o->key_len;
                uint32_t vl = o->kind == SKIFF_STORE_OP_PUT ? (uint32_t)o->value_len : 0;
                PUT(k);
                PUT(kl);
                PUT(vl);
                PUT(o->lease);
                PUTB(o->key, o->key_len);
                PUTB(o->value, vl);
            }
            break;
        }
        case LMDB_REQ_GRANT: PUT(r->ttl_ms); break;
        case LMDB_REQ_REVOKE: PUT(r->lease); break;
        case LMDB_REQ_COMPACT: PUT(r->rev); break;
        }
    }
    uint32_t magic = REC_MAGIC, len = (uint32_t)(s->wal_len - REC_HDR);
    uint64_t h = hash64(hash64(HASH0, &seq, 8), s->wal_buf + REC_HDR, len);
    memcpy(s->wal_buf, &magic, 4);
    memcpy(s->wal_buf + 4, &len, 4);
    memcpy(s->wal_buf + 8, &seq, 8);
    memcpy(s->wal_buf + 16, &h, 8);
    return 0;
}

/* The record written, not synced (a gathering round: lmdb_write.c); on a
 * failure it is cut off again. */
int lmdb_wal_write(lmdb_store_t *s, lmdb_req_t **reqs, size_t n, uint64_t seq)
{
    int rc = encode(s, reqs, n, seq);
    if (rc) return rc;
    s->wal_undo = s->wal_off;
    rc = write_all(s->wal_fd, s->wal_buf, s->wal_len, (off_t)s->wal_off);
    if (rc) {
        if (ftruncate(s->wal_fd, (off_t)s->wal_undo) == 0) fdatasync(s->wal_fd);
        if (s->wal_room > s->wal_undo) s->wal_room = s->wal_undo;
        return rc;
    }
    s->wal_off += s->wal_len;
    return 0;
}

/* Cut the log back to off (records after it were never acknowledged). */
void lmdb_wal_cut(lmdb_store_t *s, uint64_t off)
{
    if (ftruncate(s->wal_fd, (off_t)off) != 0 || fdatasync(s->wal_fd) != 0)
        s->host->log(s->ctx, SKIFF_LOG_ERROR,
                     "write-ahead log: cannot withdraw failed batches: %s", strerror(errno));
    s->wal_off = off;
    if (s->wal_room > off) s->wal_room = off;
}

int lmdb_wal_append(lmdb_store_t *s, lmdb_req_t **reqs, size_t n, uint64_t seq)
{
    int rc = encode(s, reqs, n, seq);
    if (rc) return rc;
    s->wal_undo = s->wal_off;
    rc = write_all(s->wal_fd, s->wal_buf, s->wal_len, (off_t)s->wal_off);
    if (!rc && fdatasync(s->wal_fd) != 0) rc = errno;
    if (rc) {
        /* nothing of this batch may survive: cut the partial record off */
        if (ftruncate(s->wal_fd, (off_t)s->wal_undo) == 0) fdatasync(s->wal_fd);
        return rc;
    }
    s->wal_off += s->wal_len;
    return 0;
}

void lmdb_wal_undo(lmdb_store_t *s)
{
    if (ftruncate(s->wal_fd, (off_t)s->wal_undo) != 0 || fdatasync(s->wal_fd) != 0)
        s->host->log(s->ctx, SKIFF_LOG_ERROR,
                     "write-ahead log: cannot withdraw a failed batch: %s", strerror(errno));
    s->wal_off = s->wal_undo;
}

/* Decode one record into requests (pointing into rec). */
typedef struct decoded {
    lmdb_req_t *reqs;
    lmdb_req_t **ptrs;
    skiff_store_cmp_t *cmps;
    skiff_store_op_t *ops;
    skiff_store_txn_res_t *res;
    skiff_error_t *errs;
    size_t n;
} decoded_t;

static void decoded_free(lmdb_store_t *s, decoded_t *d)
{
    lmdb_free(s, d->reqs);
    lmdb_free(s, d->ptrs);
    lmdb_free(s, d->cmps);
    lmdb_free(s, d->ops);
    lmdb_free(s, d->res);
    lmdb_free(s, d->errs);
    memset(d, 0, sizeof *d);
}

#define GET(v) do { if (p + sizeof(v) > end) return -1; memcpy(&(v), p, sizeof(v)); p += sizeof(v); } while (0)

static int decode(lmdb_store_t *s, const unsigned char *p, size_t len, decoded_t *d)
{
    const unsigned char *end = p + len, *start = p;
    uint32_t n;
    GET(n);
    if (n == 0 || n > 1000000) return -1;
    /* first pass: count compares and ops */
    size_t nc = 0, no = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t kind;
        GET(kind);
        if (kind == LMDB_REQ_TXN) {
            uint32_t c, o;
            GET(c);
            GET(o);
            nc += c;
            no += o;
            for (uint32_t j = 0; j < c; j++) {
                uint32_t k, kl;
                int64_t rev;
                GET(k); GET(kl); GET(rev);
                if ((size_t)(end - p) < kl) return -1;
                p += kl;
            }
            for (uint32_t j = 0; j < o; j++) {
                uint32_t k, kl, vl;
                int64_t lease;
                GET(k); GET(kl); GET(vl); GET(lease);
                if ((size_t)(end - p) < (size_t)kl + vl) return -1;
                p += (size_t)kl + vl;
            }
        } else if (kind >= LMDB_REQ_COMPACT && kind <= LMDB_REQ_REVOKE) {
            int64_t v;
            GET(v);
        } else {
            return -1;
        }
    }
    d->n = n;
    d->reqs = s->host->calloc(n, sizeof *d->reqs);
    d->ptrs = s->host->calloc(n, sizeof *d->ptrs);
    d->res = s->host->calloc(n, sizeof *d->res);
    d->errs = s->host->calloc(n, sizeof *d->errs);
    d->cmps = s->host->calloc(nc ? nc : 1, sizeof *d->cmps);
    d->ops = s->host->calloc(no ? no : 1, sizeof *d->ops);
    if (!d->reqs || !d->ptrs || !d->res || !d->errs || !d->cmps || !d->ops) return ENOMEM;
    p = start + 4;
    size_t ci = 0, oi = 0;
    for (uint32_t i = 0; i < n; i++) {
        lmdb_req_t *r = &d->reqs[i];
        d->ptrs[i] = r;
        r->res = &d->res[i];
        r->err = &d->errs[i];
        uint32_t kind;
        GET(kind);
        r->kind = (int)kind;
        if (kind == LMDB_REQ_TXN) {
            uint32_t c, o;
            GET(c);
            GET(o);
            r->cmps = &d->cmps[ci];
            r->ncmps = c;
            r->ops = &d->ops[oi];
            r->nops = o;
            for (uint32_t j = 0; j < c; j++) {
                skiff_store_cmp_t *cm = &d->cmps[ci++];
                uint32_t k, kl;
                GET(k); GET(kl); GET(cm->rev);
                cm->kind = (skiff_store_cmp_kind_t)k;
                cm->key = (const char *)p;
                cm->key_len = kl;
                p += kl;
            }
            for (uint32_t j = 0; j < o; j++) {
                skiff_store_op_t *op = &d->ops[oi++];
                uint32_t k, kl, vl;
                GET(k); GET(kl); GET(vl); GET(op->lease);
                op->kind = (skiff_store_op_kind_t)k;
                op->key = (const char *)p;
                op->key_len = kl;
                p += kl;
                op->value = p;
                op->value_len = vl;
                p += vl;
            }
        } else if (kind == LMDB_REQ_GRANT) {
            GET(r->ttl_ms);
        } else if (kind == LMDB_REQ_REVOKE) {
            GET(r->lease);
        } else {
            GET(r->rev);
        }
    }
    return p == end ? 0 : -1;
}

/* Apply the records in [from, to) of the current segment (each already
 * logged and synced) into t again: the writer's open transaction lost a
 * later batch and had to be aborted (lmdb_write.c). */
int lmdb_wal_reapply(lmdb_store_t *s, MDB_txn *t, uint64_t from, uint64_t to)
{
    if (to <= from) return 0;
    size_t len = (size_t)(to - from);
    unsigned char *buf = lmdb_alloc(s, len);
    if (!buf) return ENOMEM;
    int rc = 0;
    if (pread(s->wal_fd, buf, len, (off_t)from) != (ssize_t)len) rc = errno ? errno : EIO;
    size_t off = 0;
    while (!rc && off < len) {
        uint32_t magic, rlen;
        uint64_t rseq, want;
        if (len - off < REC_HDR) { rc = MDB_CORRUPTED; break; }
        memcpy(&magic, buf + off, 4);
        memcpy(&rlen, buf + off + 4, 4);
        memcpy(&rseq, buf + off + 8, 8);
        memcpy(&want, buf + off + 16, 8);
        if (magic != REC_MAGIC || rlen > len - off - REC_HDR ||
            hash64(hash64(HASH0, &rseq, 8), buf + off + REC_HDR, rlen) != want) {
            rc = MDB_CORRUPTED;
            break;
        }
        decoded_t d = { 0 };
        int drc = decode(s, buf + off + REC_HDR, rlen, &d);
        if (drc) rc = drc == ENOMEM ? ENOMEM : MDB_CORRUPTED;
        else rc = lmdb_apply_logged(s, t, d.ptrs, d.n, rseq);
        decoded_free(s, &d);
        off += REC_HDR + rlen;
    }
    lmdb_free(s, buf);
    return rc;
}

/* Replay one segment's records after the store's current batch seq. */
static int replay_segment(lmdb_store_t *s, const char *name, uint64_t *seq, int *torn,
                          uint64_t *end_off, skiff_error_t *err)
{
    *end_off = 0;
    int fd = open(name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return skiff_error_set(err, -errno, "%s: %s", name, strerror(errno));
    uint64_t snap;
    uint32_t ps;
    if (read_header(s, fd, &snap, &ps, NULL) != 0) {
        close(fd); /* a segment whose creation never finished: holds nothing */
        return 0;
    }
    off_t off = WAL_HDR + 2 * (off_t)ps;
    *end_off = (uint64_t)off;
    unsigned char *rec = NULL;
    size_t cap = 0;
    int rc = 0;
    for (;;) {
        unsigned char h[REC_HDR];
        if (pread(fd, h, sizeof h, off) != (ssize_t)sizeof h) break;
        uint32_t magic, len;
        uint64_t rseq, want;
        memcpy(&magic, h, 4);
        memcpy(&len, h + 4, 4);
        memcpy(&rseq, h + 8, 8);
        memcpy(&want, h + 16, 8);
        if (magic == 0 && len == 0) break; /* the unused, zero-filled rest */
        if (magic != REC_MAGIC || len > (1u << 30)) { *torn = 1; break; }
        if (len > cap) {
            unsigned char *n = s->host->realloc(rec, len);
            if (!n) { rc = skiff_error_set(err, -ENOMEM, "replay: out of memory"); break; }
            rec = n;
            cap = len;
        }
        if (pread(fd, rec, len, off + REC_HDR) != (ssize_t)len ||
            hash64(hash64(HASH0, &rseq, 8), rec, len) != want) {
            *torn = 1; /* never acknowledged: its fdatasync did not finish */
            break;
        }
        off += REC_HDR + len;
        *end_off = (uint64_t)off;
        if (rseq <= *seq) continue;
        if (rseq != *seq + 1) {
            rc = skiff_error_set(err, SKIFF_E_CORRUPT, "%s: write-ahead log skips from batch %llu to %llu",
                                 name, (unsigned long long)*seq, (unsigned long long)rseq);
            break;
        }
        decoded_t d = { 0 };
        int drc = decode(s, rec, len, &d);
        if (drc) {
            decoded_free(s, &d);
            rc = drc == ENOMEM ? skiff_error_set(err, -ENOMEM, "replay: out of memory")
                               : skiff_error_set(err, SKIFF_E_CORRUPT, "%s: undecodable record %llu",
                                                 name, (unsigned long long)rseq);
            break;
        }
        rc = lmdb_replay_batch(s, d.ptrs, d.n, rseq, err);
        decoded_free(s, &d);
        if (rc) break;
        *seq = rseq;
    }
    lmdb_free(s, rec);
    close(fd);
    return rc;
}

int lmdb_wal_open(lmdb_store_t *s, uint64_t seq, skiff_error_t *err)
{
    s->wal_fd = -1;
    char spare[4200];
    snprintf(spare, sizeof spare, "%s/" SPARE_NAME, s->path);
    unlink(spare); /* maybe half-written: the checkpoint thread makes another */
    uint64_t *segs;
    size_t n;
    int rc = list_segments(s, &segs, &n);
    if (rc) return skiff_error_set(err, -rc, "%s: cannot list WAL segments: %s", s->path, strerror(rc));
    /* Pin the checkpoint being replayed onto, so replay never overwrites its
     * pages: it stays the recovery point until a new checkpoint is synced. */
    MDB_txn *pin0 = NULL;
    if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &pin0))) {
        s->host->free(segs);
        return lmdb_mdb_error(s, rc, "pin checkpoint", err);
    }
    uint64_t before = seq, end_off = 0;
    int torn = 0;
    size_t last = 0;
    char name[4200];
    for (size_t i = 0; i < n; i++) {
        seg_name(s, segs[i], name, sizeof name);
        if ((rc = replay_segment(s, name, &seq, &torn, &end_off, err))) {
            s->host->free(segs);
            mdb_txn_abort(pin0);
            return rc;
        }
        if (end_off) last = i;
    }
    if (seq != before && s->host->log_enabled(s->ctx, SKIFF_LOG_INFO))
        s->host->log(s->ctx, SKIFF_LOG_INFO, "replayed %llu write batch(es) from the write-ahead log",
                     (unsigned long long)(seq - before));
    s->ckpt_last_ns = s->host->clock_monotonic_ns();
    /* Make the replayed state the new checkpoint: sync, then a fresh segment
     * (unless the only segment is empty and already matches). */
    int fresh = !(seq == before && n == 1 && segs[0] == seq && end_off > 0 && !torn);
    if (fresh) {
        seg_name(s, seq, name, sizeof name);
        rc = mdb_env_sync(s->env, 1);
        if (rc == 0) {
            if (n && segs[n - 1] == seq) unlink(name); /* leftover: holds only replayed batches */
            rc = create_segment(s, seq, &s->wal_fd, &s->wal_off, NULL);
        }
        if (rc == 0) {
            /* a little zero-filled room, so the first writes overwrite
             * rather than append (the checkpoint thread sizes later ones) */
            static const char zero[1 << 16];
            int zrc = 0;
            for (uint64_t off = s->wal_off; off < FIRST_ROOM && !zrc; off += sizeof zero)
                zrc = write_all(s->wal_fd, zero, sizeof zero, (off_t)off);
            if (!zrc) fdatasync(s->wal_fd);
            s->wal_room = zrc ? s->wal_off : FIRST_ROOM;
            s->seg_t0 = s->host->clock_monotonic_ns();
            delete_segments_before(s, seq);
            s->wal_seq_base = seq;
            s->host->free(segs);
            mdb_txn_abort(pin0);
            if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &s->pin_cur)))
                return lmdb_mdb_error(s, rc, "pin checkpoint", err);
            return 0;
        }
        if (n == 0 || end_off == 0) {
            s->host->free(segs);
            mdb_txn_abort(pin0);
            return skiff_error_set(err, rc == ENOSPC ? SKIFF_E_NOSPACE : -rc,
                                   "%s: cannot start a write-ahead log segment: %s", s->path,
                                   mdb_strerror(rc));
        }
        /* e.g. a full disk: go on appending to the last segment */
        s->host->log(s->ctx, SKIFF_LOG_WARN, "%s: cannot start a write-ahead log segment (%s); "
                     "appending to the last one", s->path, mdb_strerror(rc));
    }
    seg_name(s, segs[last], name, sizeof name);
    s->wal_seq_base = fresh ? 0 : seq;
    s->host->free(segs);
    int fd = open(name, O_RDWR | O_CLOEXEC);
    if (fd < 0 || ftruncate(fd, (off_t)end_off) != 0) {
        rc = errno;
        if (fd >= 0) close(fd);
        mdb_txn_abort(pin0);
        return skiff_error_set(err, -rc, "%s: %s", name, strerror(rc));
    }
    s->wal_fd = fd;
    s->wal_off = end_off;
    s->wal_room = end_off;
    s->seg_t0 = s->host->clock_monotonic_ns();
    s->pin_cur = pin0;
    return 0;
}

/* ---- checkpoints ---- */

/* Zero-fill the next segment's file while nobody waits for it. */
static void make_spare(lmdb_store_t *s)
{
    char spare[4200];
    snprintf(spare, sizeof spare, "%s/" SPARE_NAME, s->path);
    pthread_mutex_lock(&s->mu);
    uint64_t want = s->spare_want;
    s->spare_want = 0;
    pthread_mutex_unlock(&s->mu);
    if (want < s->last_seg_bytes) want = s->last_seg_bytes;
    uint64_t size = (2 * want + SPARE_MIN - 1) / SPARE_MIN * SPARE_MIN;
    if (size < SPARE_MIN) size = SPARE_MIN;
    if (size > SPARE_MAX) size = SPARE_MAX;
    struct statvfs vfs;
    if (statvfs(s->path, &vfs) != 0 || (uint64_t)vfs.f_bavail * vfs.f_frsize < 8 * size)
        return; /* short of space: segments just grow as they are written */
    int fd = open(spare, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return;
    static const char zero[1 << 16];
    int rc = 0;
    for (uint64_t off = 0; off < size && !rc; off += sizeof zero)
        rc = write_all(fd, zero, sizeof zero, (off_t)off);
    if (!rc && fdatasync(fd) != 0) rc = errno;
    close(fd);
    if (rc) {
        unlink(spare);
        return;
    }
    pthread_mutex_lock(&s->mu);
    s->spare_ready = 1;
    pthread_mutex_unlock(&s->mu);
}

static void *ckpt_main(void *arg)
{
    lmdb_store_t *s = arg;
    pthread_mutex_lock(&s->mu);
    int dfd = -1;
    mdb_env_get_fd(s->env, &dfd);
    for (;;) {
        while (!s->ckpt_stop && !s->ckpt_busy) {
            /* Between checkpoints, start writing dirty data pages back every
             * few ms (without waiting), so a checkpoint's sync finds little
             * left and the disk sees a trickle, not a burst that stalls the
             * log's fdatasync behind it. */
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_nsec += TRICKLE_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
            if (pthread_cond_timedwait(&s->ckpt_cond, &s->mu, &ts) == ETIMEDOUT && dfd >= 0 &&
                !s->ckpt_busy && !s->ckpt_stop) {
                pthread_mutex_unlock(&s->mu);
                sync_file_range(dfd, 0, 0, SYNC_FILE_RANGE_WRITE);
                pthread_mutex_lock(&s->mu);
            }
            /* the log outgrew its zero-filled room: the writer wants the
             * next segment ready before the next checkpoint */
            if (s->spare_want && !s->spare_ready && !s->ckpt_busy && !s->ckpt_stop) {
                pthread_mutex_unlock(&s->mu);
                make_spare(s);
                pthread_mutex_lock(&s->mu);
            }
        }
        if (!s->ckpt_busy && s->ckpt_stop) break;
        MDB_txn *old_pin = s->ckpt_old_pin;
        int old_fd = s->ckpt_old_fd;
        uint64_t snap = s->ckpt_snap;
        pthread_mutex_unlock(&s->mu);
        int64_t t0 = s->host->clock_monotonic_ns();
        int rc = mdb_env_sync(s->env, 1);
        if (rc == 0) {
            delete_segments_before(s, snap);
            if (s->host->log_enabled(s->ctx, SKIFF_LOG_DEBUG))
                s->host->log(s->ctx, SKIFF_LOG_DEBUG, "checkpoint at batch %llu: data file synced in %.1f ms",
                             (unsigned long long)snap, (s->host->clock_monotonic_ns() - t0) / 1e6);
            if (old_pin) mdb_txn_abort(old_pin);
            old_pin = NULL;
        } else {
            s->host->log(s->ctx, SKIFF_LOG_ERROR, "%s: checkpoint sync failed: %s (the write-ahead "
                         "log is kept)", s->data_file, mdb_strerror(rc));
        }
        if (old_fd >= 0) close(old_fd);
        /* A store that lived to its first checkpoint gets its next segment
         * ready (short-lived ones never pay for it). */
        pthread_mutex_lock(&s->mu);
        int need = !s->spare_ready && !s->ckpt_stop;
        pthread_mutex_unlock(&s->mu);
        if (need) make_spare(s);
        pthread_mutex_lock(&s->mu);
        if (old_pin) {
            /* keep protecting the older checkpoint until a sync succeeds */
            if (s->pin_cur) mdb_txn_abort(s->pin_cur);
            s->pin_cur = old_pin;
        }
        s->ckpt_busy = 0;
        pthread_cond_broadcast(&s->ckpt_cond);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int lmdb_ckpt_start(lmdb_store_t *s, skiff_error_t *err)
{
    int rc = pthread_create(&s->ckpt_th, NULL, ckpt_main, s);
    if (rc) return skiff_error_set(err, -rc, "cannot start the checkpoint thread: %s", strerror(rc));
    s->ckpt_running = 1;
    return 0;
}

/* Writer thread, between batches. */
void lmdb_wal_maybe_checkpoint(lmdb_store_t *s, int force)
{
    int64_t now = s->host->clock_monotonic_ns();
    uint64_t seq = s->wal_seq;
    if (s->wal_off > s->wal_room && seq != s->wal_seq_base) {
        /* Appending: an fdatasync then also commits the file's new size
         * (ext4 journal), about twice the cost of one into zero-filled
         * room. Move to a zero-filled segment as soon as one is ready; ask
         * for one sized for twice the current rate over a checkpoint
         * interval. */
        pthread_mutex_lock(&s->mu);
        if (s->spare_ready) {
            force = 1;
        } else if (!s->spare_want) {
            int64_t el = now - s->seg_t0;
            double rate = el > 0 ? (double)s->wal_off / (el / 1e9) : 0;
            uint64_t want = (uint64_t)(rate * (double)s->checkpoint_ms / 1000.0);
            s->spare_want = want > s->wal_off ? want : s->wal_off;
        }
        pthread_mutex_unlock(&s->mu);
    }
    if (!force && (seq == s->wal_seq_base ||
                   (s->wal_off < CKPT_BYTES && now - s->ckpt_last_ns < s->checkpoint_ms * 1000000)))
        return;
    pthread_mutex_lock(&s->mu);
    int busy = s->ckpt_busy;
    pthread_mutex_unlock(&s->mu);
    if (busy) return;
    MDB_txn *pin;
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &pin);
    if (rc) return;
    int fd;
    uint64_t off, room;
    if ((rc = create_segment(s, seq, &fd, &off, &room))) {
        mdb_txn_abort(pin);
        s->host->log(s->ctx, SKIFF_LOG_WARN, "%s: cannot start a write-ahead log segment: %s",
                     s->path, mdb_strerror(rc));
        s->ckpt_last_ns = now;
        return;
    }
    pthread_mutex_lock(&s->mu);
    s->ckpt_old_pin = s->pin_cur;
    s->pin_cur = pin;
    s->ckpt_old_fd = s->wal_fd;
    s->last_seg_bytes = s->wal_off;
    s->ckpt_snap = seq;
    s->ckpt_busy = 1;
    pthread_cond_broadcast(&s->ckpt_cond);
    pthread_mutex_unlock(&s->mu);
    s->wal_fd = fd;
    s->wal_off = off;
    s->wal_room = room;
    s->seg_t0 = now;
    s->wal_seq_base = seq;
    s->ckpt_last_ns = now;
}

/* At close: the last checkpoint, synchronously. */
void lmdb_wal_close(lmdb_store_t *s)
{
    if (s->ckpt_running) {
        pthread_mutex_lock(&s->mu);
        while (s->ckpt_busy) pthread_cond_wait(&s->ckpt_cond, &s->mu);
        s->ckpt_stop = 1;
        pthread_cond_broadcast(&s->ckpt_cond);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->ckpt_th, NULL);
        s->ckpt_running = 0;
    }
    if (s->env && s->wal_fd >= 0 && s->wal_seq != s->wal_seq_base && mdb_env_sync(s->env, 1) == 0) {
        int fd;
        uint64_t off;
        if (create_segment(s, s->wal_seq, &fd, &off, NULL) == 0) {
            delete_segments_before(s, s->wal_seq);
            close(fd);
        }
    }
    if (s->pin_cur) mdb_txn_abort(s->pin_cur);
    s->pin_cur = NULL;
    if (s->path && s->wal_fd >= 0) {
        char spare[4200];
        snprintf(spare, sizeof spare, "%s/" SPARE_NAME, s->path);
        unlink(spare);
    }
    if (s->wal_fd >= 0) close(s->wal_fd);
    s->wal_fd = -1;
    lmdb_free(s, s->wal_buf);
    s->wal_buf = NULL;
    s->wal_cap = s->wal_len = 0;
}
