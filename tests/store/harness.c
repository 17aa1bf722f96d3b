/* Fixtures and helpers shared by the store conformance cases. */
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

const char *g_plugin;
char **g_settings; /* templates, NULL-terminated */


/* ---- fixtures ------------------------------------------------------------ */

static char *subst_dir(const char *tmpl, const char *dir)
{
    size_t n = strlen(tmpl) + 1;
    for (const char *p = strstr(tmpl, "@DIR@"); p; p = strstr(p + 5, "@DIR@"))
        n += strlen(dir);
    char *out = malloc(n), *o = out;
    const char *p = tmpl;
    for (const char *q; (q = strstr(p, "@DIR@")); p = q + 5) {
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        o += sprintf(o, "%s", dir);
    }
    strcpy(o, p);
    return out;
}

int st_open_with(st_t *st, const char *const *extra)
{
    snprintf(st->dir, sizeof st->dir, "/tmp/skiff-store.XXXXXX");
    if (!mkdtemp(st->dir))
        return -1;
    size_t n = 0, m = 0;
    while (g_settings[n])
        n++;
    while (extra && extra[m])
        m++;
    char **set = calloc(n + m + 1, sizeof *set);
    for (size_t i = 0; i < n; i++)
        set[i] = subst_dir(g_settings[i], st->dir);
    for (size_t i = 0; i < m; i++)
        set[n + i] = subst_dir(extra[i], st->dir);
    skiff_error_t err = { 0 };
    int rc = store_open(g_plugin, (const char *const *)set, &st->h, &err);
    for (size_t i = 0; i < n + m; i++)
        free(set[i]);
    free(set);
    if (rc != 0) {
        fprintf(stderr, "# cannot open %s: %s\n", g_plugin, err.msg);
        return -1;
    }
    st->ops = store_ops(st->h);
    st->self = store_self(st->h);
    return 0;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(p);
}

void st_close(st_t *st)
{
    store_close(st->h);
    st->h = NULL;
    if (st->dir[0])
        nftw(st->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int setup(void **state)
{
    st_t *st = calloc(1, sizeof *st);
    if (st_open_with(st, NULL) != 0) {
        free(st);
        return -1;
    }
    *state = st;
    return 0;
}

int teardown(void **state)
{
    st_t *st = *state;
    st_close(st);
    free(st);
    return 0;
}

/* ---- helpers --------------------------------------------------------------- */

int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000l };
    nanosleep(&ts, NULL);
}


int kv_copy_cb(void *ud, const skiff_store_kv_t *kv)
{
    kvc_t *c = ud;
    c->found++;
    snprintf(c->key, sizeof c->key, "%.*s", (int)kv->key_len, kv->key);
    c->val_len = kv->value_len;
    snprintf(c->val, sizeof c->val, "%.*s", (int)(kv->value_len < 255 ? kv->value_len : 255),
             kv->value ? (const char *)kv->value : "");
    c->create_rev = kv->create_rev;
    c->mod_rev = kv->mod_rev;
    c->version = kv->version;
    c->lease = kv->lease;
    return 0;
}

int get(st_t *st, const char *key, int64_t rev, kvc_t *out)
{
    skiff_error_t err = { 0 };
    memset(out, 0, sizeof *out);
    int rc = st->ops->get(st->self, key, strlen(key), rev, kv_copy_cb, out, &err);
    if (rc == 0)
        assert_int_equal(out->found, 1);
    else
        assert_int_equal(out->found, 0);
    if (rc != 0)
        assert_true(err.msg[0] != '\0');
    return rc;
}

int64_t put_lease(st_t *st, const char *key, const char *val, int64_t lease)
{
    skiff_store_op_t op = { .kind = SKIFF_STORE_OP_PUT, .key = key, .key_len = strlen(key),
                            .value = val, .value_len = strlen(val), .lease = lease };
    skiff_store_txn_res_t res;
    skiff_error_t err = { 0 };
    int rc = st->ops->txn(st->self, NULL, 0, &op, 1, &res, &err);
    if (rc != 0)
        fprintf(stderr, "# put %s: %s\n", key, err.msg);
    assert_int_equal(rc, 0);
    assert_true(res.succeeded);
    return res.rev;
}

int64_t put(st_t *st, const char *key, const char *val) { return put_lease(st, key, val, 0); }

int64_t del(st_t *st, const char *key, int64_t *deleted)
{
    skiff_store_op_t op = { .kind = SKIFF_STORE_OP_DELETE, .key = key, .key_len = strlen(key) };
    skiff_store_txn_res_t res;
    skiff_error_t err = { 0 };
    assert_int_equal(st->ops->txn(st->self, NULL, 0, &op, 1, &res, &err), 0);
    assert_true(res.succeeded);
    if (deleted)
        *deleted = res.deleted;
    return res.rev;
}

int64_t cur_rev(st_t *st, int64_t *compacted)
{
    int64_t cur = -1, comp = -1;
    skiff_error_t err = { 0 };
    assert_int_equal(st->ops->revision(st->self, &cur, &comp, &err), 0);
    if (compacted)
        *compacted = comp;
    return cur;
}

/* Collects range results as "key=value" lines. */

int coll_cb(void *ud, const skiff_store_kv_t *kv)
{
    coll_t *c = ud;
    if (c->n < 64) {
        snprintf(c->keys[c->n], 64, "%.*s", (int)kv->key_len, kv->key);
        c->mod[c->n] = kv->mod_rev;
    }
    c->n++;
    return 0;
}

int range(st_t *st, const char *key, const char *end, int prefix, int64_t rev, int64_t limit,
                 coll_t *c, skiff_store_range_res_t *res)
{
    skiff_store_range_req_t req = { .key = key, .key_len = strlen(key), .end = end,
                                    .end_len = end ? (end[0] ? strlen(end) : 1) : 0,
                                    .prefix = prefix, .rev = rev, .limit = limit };
    skiff_error_t err = { 0 };
    memset(c, 0, sizeof *c);
    return st->ops->range(st->self, &req, coll_cb, c, res, &err);
}

/* ---- watch collector --------------------------------------------------------- */



void wcol_init(wcol_t *c, st_t *st)
{
    memset(c, 0, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->st = st;
}

void wcol_fini(wcol_t *c)
{
    free(c->ev);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
}

void wcol_cb(void *ud, const skiff_store_event_t *ev, const skiff_error_t *err)
{
    wcol_t *c = ud;
    if (__atomic_load_n(&c->after_unwatch, __ATOMIC_ACQUIRE))
        __atomic_add_fetch(&c->violations, 1, __ATOMIC_RELAXED);
    pthread_mutex_lock(&c->mu);
    if (c->block_first && !c->entered) {
        c->entered = 1;
        pthread_cond_broadcast(&c->cv);
        while (!c->released)
            pthread_cond_wait(&c->cv, &c->mu);
    }
    if (err) {
        c->ended++;
        c->err_code = err->code;
        snprintf(c->err_msg, sizeof c->err_msg, "%s", err->msg);
    } else {
        if (c->n == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 256;
            c->ev = realloc(c->ev, c->cap * sizeof *c->ev);
        }
        wev_t *e = &c->ev[c->n++];
        memset(e, 0, sizeof *e);
        e->type = ev->type;
        snprintf(e->key, sizeof e->key, "%.*s", (int)ev->kv.key_len, ev->kv.key);
        snprintf(e->val, sizeof e->val, "%.*s", (int)(ev->kv.value_len < 63 ? ev->kv.value_len : 63),
                 ev->kv.value ? (const char *)ev->kv.value : "");
        e->mod_rev = ev->kv.mod_rev;
        e->create_rev = ev->kv.create_rev;
        e->version = ev->kv.version;
        e->has_prev = ev->has_prev;
        if (ev->has_prev) {
            snprintf(e->prev, sizeof e->prev, "%.*s",
                     (int)(ev->prev.value_len < 63 ? ev->prev.value_len : 63),
                     ev->prev.value ? (const char *)ev->prev.value : "");
            e->prev_mod = ev->prev.mod_rev;
        }
        e->at_ns = now_ns();
    }
    pthread_cond_broadcast(&c->cv);
    size_t n = c->n;
    pthread_mutex_unlock(&c->mu);
    if (c->unwatch_at && (int)n == c->unwatch_at)
        c->st->ops->unwatch(c->st->self, c->w);
    if (c->slow_us)
        usleep((useconds_t)c->slow_us);
}

/* Wait until `n` events (or the end) arrived; returns the count. */
size_t wcol_wait(wcol_t *c, size_t n, int timeout_ms)
{
    int64_t deadline = now_ns() + (int64_t)timeout_ms * 1000000;
    pthread_mutex_lock(&c->mu);
    while (c->n < n && !c->ended && now_ns() < deadline) {
        pthread_mutex_unlock(&c->mu);
        sleep_ms(1);
        pthread_mutex_lock(&c->mu);
    }
    size_t got = c->n;
    pthread_mutex_unlock(&c->mu);
    return got;
}

size_t wcol_n(wcol_t *c)
{
    pthread_mutex_lock(&c->mu);
    size_t n = c->n;
    pthread_mutex_unlock(&c->mu);
    return n;
}

int wcol_ended(wcol_t *c)
{
    pthread_mutex_lock(&c->mu);
    int e = c->ended;
    pthread_mutex_unlock(&c->mu);
    return e;
}

int wcol_wait_end(wcol_t *c, int timeout_ms)
{
    int64_t deadline = now_ns() + (int64_t)timeout_ms * 1000000;
    pthread_mutex_lock(&c->mu);
    while (!c->ended && now_ns() < deadline) {
        pthread_mutex_unlock(&c->mu);
        sleep_ms(1);
        pthread_mutex_lock(&c->mu);
    }
    int e = c->ended;
    pthread_mutex_unlock(&c->mu);
    return e;
}

void watch(st_t *st, wcol_t *c, const char *prefix, int64_t start)
{
    skiff_error_t err = { 0 };
    int rc = st->ops->watch(st->self, prefix, strlen(prefix), start, wcol_cb, c, &c->w, &err);
    if (rc != 0)
        fprintf(stderr, "# watch: %s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_non_null(c->w);
}

