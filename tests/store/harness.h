/* tests/store — fixtures and helpers of the store conformance suite.
 * Every case gets a fresh store (setup/teardown); the helpers assert with
 * cmocka so a case reads as the behaviour it checks. */
#ifndef SKIFF_TESTS_STORE_HARNESS_H
#define SKIFF_TESTS_STORE_HARNESS_H

#include <pthread.h>
#include <stdint.h>

#include <skiff/store.h>

#include "loader.h"

extern const char *g_plugin;
extern char **g_settings; /* "key=value" templates, @DIR@ = a fresh temp dir */

typedef struct st {
    store_handle_t *h;
    const skiff_store_ops_t *ops;
    void *self;
    char dir[256];
} st_t;

typedef struct kvc {
    int found;
    char key[256];
    char val[256];
    size_t val_len;
    int64_t create_rev, mod_rev, version, lease;
} kvc_t;

typedef struct coll {
    size_t n;
    char keys[64][64];
    int64_t mod[64];
} coll_t;

typedef struct wev {
    int type;
    char key[64];
    char val[64];
    int64_t mod_rev, create_rev, version;
    int has_prev;
    char prev[64];
    int64_t prev_mod;
    int64_t at_ns;
} wev_t;

typedef struct wcol {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    wev_t *ev;
    size_t n, cap;
    int ended;
    int err_code;
    char err_msg[SKIFF_ERROR_MSG_MAX];
    /* hooks */
    st_t *st;
    skiff_store_watch_t *w;
    int unwatch_at;        /* unwatch self on this event count (0 = never) */
    int block_first;       /* block the first callback until released */
    int entered, released;
    int after_unwatch;     /* set by the test once unwatch returned */
    int violations;        /* callbacks seen after unwatch returned */
    int slow_us;
} wcol_t;

/* Open a fresh store with the suite's settings plus `extra` (may be NULL). */
int st_open_with(st_t *st, const char *const *extra);
void st_close(st_t *st);
int setup(void **state);
int teardown(void **state);

int64_t now_ns(void);
void sleep_ms(int ms);

int kv_copy_cb(void *ud, const skiff_store_kv_t *kv);
/* get into *out; returns the op's code (asserts cb count matches it). */
int get(st_t *st, const char *key, int64_t rev, kvc_t *out);
/* put / delete one key, asserting success; return the store's revision after. */
int64_t put_lease(st_t *st, const char *key, const char *val, int64_t lease);
int64_t put(st_t *st, const char *key, const char *val);
int64_t del(st_t *st, const char *key, int64_t *deleted);
int64_t cur_rev(st_t *st, int64_t *compacted);
int coll_cb(void *ud, const skiff_store_kv_t *kv);
/* end "" means the etcd "\0" end (every key >= key). */
int range(st_t *st, const char *key, const char *end, int prefix, int64_t rev, int64_t limit,
          coll_t *c, skiff_store_range_res_t *res);

void wcol_init(wcol_t *c, st_t *st);
void wcol_fini(wcol_t *c);
void wcol_cb(void *ud, const skiff_store_event_t *ev, const skiff_error_t *err);
size_t wcol_wait(wcol_t *c, size_t n, int timeout_ms);
int wcol_wait_end(wcol_t *c, int timeout_ms);
/* Events so far / final errors so far, read under the collector's lock. */
size_t wcol_n(wcol_t *c);
int wcol_ended(wcol_t *c);
void watch(st_t *st, wcol_t *c, const char *prefix, int64_t start);

#endif
