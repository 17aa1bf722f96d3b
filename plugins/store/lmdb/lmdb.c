/* lmdb.c — the lmdb store plugin: descriptor, settings, open and close.
 *
 * Opening a data directory: take <path>/LOCK with flock (a second skiff on
 * the same directory is refused, not allowed to corrupt it), create the LMDB
 * file atomically if it does not exist yet (built as data.mdb.new and renamed,
 * so a crash during creation never leaves a half-made store), open it, check
 * the format record and walk every table once so a damaged file is reported
 * at start with its path rather than on some later read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lmdb_store.h"

static const skiff_config_key_t lmdb_config[] = {
    { "path", SKIFF_CFG_STRING, NULL, SKIFF_CFG_REQUIRED | SKIFF_CFG_FILL,
      offsetof(lmdb_store_t, path), "data directory (created if missing; one skiff per directory)" },
    { "map_size", SKIFF_CFG_QUANTITY, "8Gi", SKIFF_CFG_FILL, offsetof(lmdb_store_t, map_size_milli),
      "largest size the store file may reach (0 = 8Gi); writes beyond it fail with a no-space error" },
    { "group_commit_max", SKIFF_CFG_INT, "512", SKIFF_CFG_FILL,
      offsetof(lmdb_store_t, group_commit_max),
      "most concurrent write transactions committed together under one fsync" },
    { "retention_revisions", SKIFF_CFG_INT, "0", SKIFF_CFG_FILL,
      offsetof(lmdb_store_t, retention_revisions),
      "keep this many revisions of history, compacting older ones (0 = no limit by count)" },
    { "retention", SKIFF_CFG_DURATION, "10m", SKIFF_CFG_FILL, offsetof(lmdb_store_t, retention_ms),
      "keep history this long, compacting older revisions (0 = no limit by age)" },
    { "compact_interval", SKIFF_CFG_DURATION, "1s", SKIFF_CFG_FILL,
      offsetof(lmdb_store_t, compact_interval_ms), "how often retention is checked" },
    { "checkpoint_interval", SKIFF_CFG_DURATION, "1s", SKIFF_CFG_FILL,
      offsetof(lmdb_store_t, checkpoint_ms),
      "how often the write-ahead log is folded into the data file (and older log segments dropped)" },
    { "commit_interval", SKIFF_CFG_DURATION, "200ms", SKIFF_CFG_FILL,
      offsetof(lmdb_store_t, commit_ms),
      "how long acknowledged writes may stay in the write-ahead log and memory before they are "
      "committed to the data file (reads see them either way)" },
    { "verify_on_start", SKIFF_CFG_BOOL, "true", SKIFF_CFG_FILL, offsetof(lmdb_store_t, verify),
      "walk every table at start so a damaged file is reported before it is used" },
    SKIFF_CONFIG_END,
};

static char *path_join(lmdb_store_t *s, const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = lmdb_alloc(s, n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -errno;
    int rc = fsync(fd) ? -errno : 0;
    close(fd);
    return rc;
}

/* mkdir -p: a newcomer's first `make run` points at a path whose parents
 * may not exist yet. */
static int mkdir_parents(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) { errno = ENAMETOOLONG; return -1; }
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(buf, 0700);
}

static int take_lock(lmdb_store_t *s, skiff_error_t *err)
{
    struct stat st;
    if (stat(s->path, &st) != 0) {
        if (errno != ENOENT || mkdir_parents(s->path) != 0)
            return skiff_error_set(err, -errno, "data directory %s: cannot create: %s", s->path,
                                   strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        return skiff_error_set(err, SKIFF_E_INVALID, "data directory %s is not a directory", s->path);
    }
    char *lock = path_join(s, s->path, "LOCK");
    if (!lock) return skiff_error_set(err, -ENOMEM, "out of memory");
    s->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lock_fd < 0) {
        int e = errno;
        lmdb_free(s, lock);
        return skiff_error_set(err, -e, "data directory %s: cannot open lock file: %s", s->path,
                               strerror(e));
    }
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        int rc = e == EWOULDBLOCK
                     ? skiff_error_set(err, SKIFF_E_LOCKED,
                                       "data directory %s is in use by another skiff process "
                                       "(lock file %s)", s->path, lock)
                     : skiff_error_set(err, -e, "data directory %s: cannot lock %s: %s", s->path,
                                       lock, strerror(e));
        lmdb_free(s, lock);
        return rc;
    }
    lmdb_free(s, lock);
    /* informative only: who holds it */
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(s->lock_fd, 0) == 0 && pwrite(s->lock_fd, pid, (size_t)n, 0) < 0) { /* ignore */ }
    return 0;
}

static int env_new(lmdb_store_t *s, MDB_env **env)
{
    int rc = mdb_env_create(env);
    if (rc) return rc;
    size_t map = (size_t)(s->map_size_milli / 1000);
    if ((rc = mdb_env_set_mapsize(*env, map)) || (rc = mdb_env_set_maxdbs(*env, 8)) ||
        (rc = mdb_env_set_maxreaders(*env, 1024))) {
        mdb_env_close(*env);
        *env = NULL;
    }
    return rc;
}

static int open_dbis(lmdb_store_t *s, MDB_env *env, unsigned flags)
{
    MDB_txn *t;
    int rc = mdb_txn_begin(env, NULL, 0, &t);
    if (rc) return rc;
    if ((rc = mdb_dbi_open(t, "kv", flags, &s->kv)) ||
        (rc = mdb_dbi_open(t, "hist", flags, &s->hist)) ||
        (rc = mdb_set_compare(t, s->hist, lmdb_hist_cmp)) ||
        (rc = mdb_dbi_open(t, "rev", flags, &s->rev)) ||
        (rc = mdb_dbi_open(t, "meta", flags, &s->meta)) ||
        (rc = mdb_dbi_open(t, "lease", flags, &s->lease)) ||
        (rc = mdb_dbi_open(t, "lkeys", flags, &s->lkeys))) {
        mdb_txn_abort(t);
        return rc;
    }
    if (flags & MDB_CREATE) {
        if ((rc = lmdb_meta_put(s, t, "format", LMDB_FORMAT))) {
            mdb_txn_abort(t);
            return rc;
        }
    }
    return mdb_txn_commit(t);
}

/* A new store is built under a temporary name and renamed into place. */
static int create_store(lmdb_store_t *s, skiff_error_t *err)
{
    char *tmp = path_join(s, s->path, "data.mdb.new");
    char *tmplock = path_join(s, s->path, "data.mdb.new-lock");
    int rc = 0;
    MDB_env *env = NULL;
    if (!tmp || !tmplock) { rc = skiff_error_set(err, -ENOMEM, "out of memory"); goto out; }
    unlink(tmp);
    unlink(tmplock);
    if ((rc = env_new(s, &env)) || (rc = mdb_env_open(env, tmp, MDB_NOSUBDIR, 0600)) ||
        (rc = open_dbis(s, env, MDB_CREATE))) {
        rc = skiff_error_set(err, rc > 0 ? -rc : SKIFF_E_INTERNAL, "%s: cannot create the store: %s",
                             tmp, mdb_strerror(rc));
        goto out;
    }
    mdb_env_close(env);
    env = NULL;
    if (rename(tmp, s->data_file) != 0 || fsync_dir(s->path) != 0) {
        rc = skiff_error_set(err, -errno, "%s: cannot create the store: %s", s->data_file,
                             strerror(errno));
        goto out;
    }
    unlink(tmplock);
out:
    if (env) mdb_env_close(env);
    lmdb_free(s, tmp);
    lmdb_free(s, tmplock);
    return rc;
}

static int corrupt(lmdb_store_t *s, const char *why, skiff_error_t *err)
{
    return skiff_error_set(err, SKIFF_E_CORRUPT, "%s: damaged store file: %s", s->data_file, why);
}

/* Touch every page of every table once. */
static int verify(lmdb_store_t *s, skiff_error_t *err)
{
    MDB_txn *t;
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &t);
    if (rc) return lmdb_mdb_error(s, rc, "verify", err);
    MDB_dbi dbis[] = { s->kv, s->hist, s->rev, s->meta, s->lease, s->lkeys };
    for (size_t i = 0; i < sizeof dbis / sizeof dbis[0] && rc == 0; i++) {
        MDB_cursor *c;
        if ((rc = mdb_cursor_open(t, dbis[i], &c))) break;
        MDB_val k, v;
        for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            lmdb_rec_t rec;
            if ((dbis[i] == s->kv && lmdb_rec_decode(&v, &rec, NULL, NULL) != 0) ||
                (dbis[i] == s->hist && (k.mv_size < 8 || lmdb_rec_decode(&v, &rec, NULL, NULL) != 0)) ||
                (dbis[i] == s->rev && k.mv_size != 12)) {
                rc = MDB_CORRUPTED;
                break;
            }
        }
        mdb_cursor_close(c);
        if (rc == MDB_NOTFOUND) rc = 0;
    }
    mdb_txn_abort(t);
    if (rc) return lmdb_mdb_error(s, rc, "verify", err);
    return 0;
}

static int load_meta(lmdb_store_t *s, int64_t *format, int64_t *cur, int64_t *compacted,
                     int64_t *seq, skiff_error_t *err)
{
    MDB_txn *t;
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &t);
    if (rc) return lmdb_mdb_error(s, rc, "open", err);
    if ((rc = lmdb_meta_get(s, t, "format", format)) || (rc = lmdb_meta_get(s, t, "rev", cur)) ||
        (rc = lmdb_meta_get(s, t, "compacted", compacted)) || (rc = lmdb_meta_get(s, t, "seq", seq))) {
        mdb_txn_abort(t);
        return lmdb_mdb_error(s, rc, "read meta", err);
    }
    mdb_txn_abort(t);
    return 0;
}

static int open_store(lmdb_store_t *s, skiff_error_t *err)
{
    struct stat st;
    int rc;
    if (stat(s->data_file, &st) != 0) {
        if (errno != ENOENT)
            return skiff_error_set(err, -errno, "%s: %s", s->data_file, strerror(errno));
        if ((rc = create_store(s, err))) return rc;
    } else if (st.st_size < 2 * 4096) {
        return corrupt(s, "file is truncated", err);
    } else if ((rc = lmdb_wal_restore_meta(s, err))) {
        return rc;
    }
    if ((rc = env_new(s, &s->env)))
        return skiff_error_set(err, SKIFF_E_INTERNAL, "%s: %s", s->data_file, mdb_strerror(rc));
    /* No LMDB sync: durability comes from the write-ahead log (lmdb_wal.c). */
    rc = mdb_env_open(s->env, s->data_file, MDB_NOSUBDIR | MDB_NOTLS | MDB_NOSYNC, 0600);
    if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH || rc == MDB_CORRUPTED ||
        rc == MDB_PAGE_NOTFOUND)
        return corrupt(s, mdb_strerror(rc), err);
    if (rc) return skiff_error_set(err, rc > 0 ? -rc : SKIFF_E_INTERNAL, "%s: cannot open: %s",
                                   s->data_file, mdb_strerror(rc));
    /* hist and lkeys add 8 bytes to an encoded key */
    if ((size_t)mdb_env_get_maxkeysize(s->env) < LMDB_ENC_MAX + 8)
        return skiff_error_set(err, SKIFF_E_INTERNAL, "liblmdb allows keys of only %d bytes",
                               mdb_env_get_maxkeysize(s->env));
    s->key_max = SKIFF_STORE_KEY_MAX;
    rc = open_dbis(s, s->env, 0);
    if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE)
        return corrupt(s, "not a skiff store (its tables are missing)", err);
    if (rc) return lmdb_mdb_error(s, rc, "open tables", err);
    int64_t format, cur, compacted, seq;
    if ((rc = load_meta(s, &format, &cur, &compacted, &seq, err))) return rc;
    if (format == 0) return corrupt(s, "no format record", err);
    if (format != LMDB_FORMAT)
        return skiff_error_set(err, SKIFF_E_VERSION, "%s: store format %lld, this plugin reads %d",
                               s->data_file, (long long)format, LMDB_FORMAT);
    if (cur < 0 || compacted < 0 || compacted > cur)
        return corrupt(s, "revision records are inconsistent", err);
    atomic_store(&s->cur_rev, cur);
    atomic_store(&s->compacted, compacted);
    if (s->verify && (rc = verify(s, err))) return rc;
    /* replay what the log holds beyond the checkpoint */
    if ((rc = lmdb_writer_alloc(s, err)) || (rc = lmdb_wal_open(s, (uint64_t)seq, err))) return rc;
    if ((rc = load_meta(s, &format, &cur, &compacted, &seq, err))) return rc;
    s->wal_seq = (uint64_t)seq;
    atomic_store(&s->durable_seq, (uint64_t)seq);
    atomic_store(&s->committed_seq, (uint64_t)seq);
    atomic_store(&s->committed_rev, cur);
    if (!(s->ov = lmdb_ov_new(s, cur))) return skiff_error_set(err, -ENOMEM, "out of memory");
    atomic_store(&s->cur_rev, cur);
    atomic_store(&s->compacted, compacted);
    s->purge_pending = compacted > 0;
    return 0;
}

static int lmdb_init(const skiff_host_t *host, skiff_ctx_t *ctx, void *self, skiff_error_t *err)
{
    lmdb_store_t *s = self;
    s->host = host;
    s->ctx = ctx;
    s->lock_fd = -1;
    s->wal_fd = -1;
    s->ckpt_old_fd = -1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->ov_mu, NULL);
    pthread_cond_init(&s->flush_cond, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->q_cond, &ca); /* the writer's idle commit waits with a timeout */
    pthread_cond_init(&s->jan_cond, &ca);
    pthread_cond_init(&s->ckpt_cond, &ca);
    pthread_condattr_destroy(&ca);
    if (!s->path || !*s->path)
        return skiff_error_set(err, SKIFF_E_INVALID, "path: the data directory must be set");
    if (s->map_size_milli == 0) s->map_size_milli = 8LL * 1024 * 1024 * 1024 * 1000; /* 0: default */
    if (s->map_size_milli < 1000LL * 1024 * 1024)
        return skiff_error_set(err, SKIFF_E_INVALID, "map_size: %lld bytes is below the minimum of 1Mi",
                               (long long)(s->map_size_milli / 1000));
    if (s->group_commit_max < 1 || s->group_commit_max > 100000)
        return skiff_error_set(err, SKIFF_E_INVALID, "group_commit_max: %lld is not in 1..100000",
                               (long long)s->group_commit_max);
    if (s->retention_revisions < 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "retention_revisions: %lld is negative",
                               (long long)s->retention_revisions);
    if (s->checkpoint_ms <= 0) s->checkpoint_ms = 1000;
    if (s->commit_ms <= 0) s->commit_ms = 200;
    s->commit_idle_us = 500;
    if (s->retention_ms < 0 || s->compact_interval_ms < 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "retention and compact_interval must not be negative");
    s->data_file = path_join(s, s->path, "data.mdb");
    if (!s->data_file) return skiff_error_set(err, -ENOMEM, "out of memory");
    int rc;
    if ((rc = take_lock(s, err)) || (rc = open_store(s, err)) || (rc = lmdb_lease_load(s, err)) ||
        (rc = lmdb_writer_start(s, err)) || (rc = lmdb_ckpt_start(s, err)) ||
        (rc = lmdb_janitor_start(s, err)))
        return rc;
    if (host->log_enabled(ctx, SKIFF_LOG_INFO))
        host->log(ctx, SKIFF_LOG_INFO, "opened %s at revision %lld (compacted %lld)", s->data_file,
                  (long long)atomic_load(&s->cur_rev), (long long)atomic_load(&s->compacted));
    return 0;
}

static int lmdb_start(void *self, skiff_error_t *err) { return lmdb_janitor_start(self, err); }

static void lmdb_stop(void *self) { lmdb_janitor_stop(self); }

static void lmdb_fini(void *self)
{
    lmdb_store_t *s = self;
    if (!s->host) return;
    lmdb_janitor_stop(s);
    lmdb_watch_close_all(s);
    lmdb_writer_stop(s);
    lmdb_wal_close(s);
    lmdb_writer_free(s);
    lmdb_ov_unref(s, s->ov);
    s->ov = NULL;
    if (s->env) {
        mdb_env_close(s->env);
        s->env = NULL;
    }
    if (s->lock_fd >= 0) {
        close(s->lock_fd); /* releases the flock */
        s->lock_fd = -1;
    }
    lmdb_free(s, s->data_file);
    s->data_file = NULL;
    s->host->free(s->leases);
    s->host->free(s->samp_ns);
    s->host->free(s->samp_rev);
    s->leases = NULL;
    s->samp_ns = s->samp_rev = NULL;
    s->nleases = s->cap_leases = s->nsamp = s->cap_samp = 0;
    pthread_cond_destroy(&s->q_cond);
    pthread_cond_destroy(&s->jan_cond);
    pthread_cond_destroy(&s->ckpt_cond);
    pthread_cond_destroy(&s->flush_cond);
    pthread_mutex_destroy(&s->ov_mu);
    pthread_mutex_destroy(&s->mu);
    s->host = NULL;
}

static const skiff_store_ops_t lmdb_ops = {
    .size = sizeof(skiff_store_ops_t),
    .get = lmdb_get,
    .range = lmdb_range,
    .txn = lmdb_txn,
    .watch = lmdb_watch,
    .unwatch = lmdb_unwatch,
    .compact = lmdb_compact,
    .revision = lmdb_revision,
    .lease_grant = lmdb_lease_grant,
    .lease_keepalive = lmdb_lease_keepalive,
    .lease_revoke = lmdb_lease_revoke,
};

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_STORE,
    .name = "lmdb",
    .version = "0.1.0",
    .description = "durable embedded store on LMDB: MVCC history, watch, leases, group commit",
    .config = lmdb_config,
    .instance_size = sizeof(lmdb_store_t),
    .init = lmdb_init,
    .start = lmdb_start,
    .stop = lmdb_stop,
    .fini = lmdb_fini,
    .ops = &lmdb_ops,
};
