/* Unit tests of the memory store's internals: the skiplist index against a
 * sorted-array model, and what compaction gives back (index nodes, log
 * entries), which the conformance suite cannot see from outside. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "memory.h"

extern const skiff_plugin_t skiff_plugin; /* memory.c, linked in */

static int64_t mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}
static int log_enabled(skiff_ctx_t *c, int l) { return 0; }
static void log_fn(skiff_ctx_t *c, int l, const char *f, ...) {}
static const skiff_host_t host = {
    .size = sizeof(skiff_host_t), .abi_major = SKIFF_ABI_MAJOR, .abi_minor = SKIFF_ABI_MINOR,
    .log_enabled = log_enabled, .log = log_fn, .clock_monotonic_ns = mono, .clock_realtime_ns = mono,
    .alloc = malloc, .calloc = calloc, .realloc = realloc, .free = free,
};

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void index_matches_model(void **state)
{
    memory_index_t ix;
    assert_int_equal(memory_index_init(&ix, &host), 0);
    enum { N = 3000 };
    char *model[N];
    size_t n = 0;
    unsigned seed = 11;
    for (int step = 0; step < 20000; step++) {
        char k[16];
        snprintf(k, sizeof k, "k%u", rand_r(&seed) % (N * 2));
        memory_key_t *found = memory_index_find(&ix, k, strlen(k));
        size_t pos = 0;
        while (pos < n && strcmp(model[pos], k) != 0)
            pos++;
        assert_int_equal(found != NULL, pos < n);
        if (!found && n < N && rand_r(&seed) % 3 != 0) {
            memory_key_t *node = memory_index_node_new(&ix, k, strlen(k));
            assert_non_null(node);
            memory_index_link(&ix, node);
            model[n++] = strdup(k);
        } else if (found) {
            memory_index_remove(&ix, found);
            free(model[pos]);
            model[pos] = model[--n];
        }
    }
    assert_int_equal(ix.count, n);
    qsort(model, n, sizeof *model, cmp_str);
    size_t i = 0;
    for (memory_key_t *k = memory_index_first(&ix); k; k = memory_index_next(k), i++)
        assert_string_equal(k->key, model[i]);
    assert_int_equal(i, n);
    /* lower bound of every model key and of a key just before it */
    for (i = 0; i < n; i++) {
        memory_key_t *k = memory_index_lower_bound(&ix, model[i], strlen(model[i]));
        assert_non_null(k);
        assert_string_equal(k->key, model[i]);
        k = memory_index_lower_bound(&ix, model[i], strlen(model[i]) - 1);
        assert_non_null(k);
        assert_true(strcmp(k->key, model[i]) <= 0);
    }
    assert_null(memory_index_lower_bound(&ix, "z", 1));
    for (i = 0; i < n; i++)
        free(model[i]);
    memory_index_fini(&ix);
}

static void key_order_is_bytewise(void **state)
{
    assert_true(memory_key_cmp("a", 1, "ab", 2) < 0);
    assert_true(memory_key_cmp("ab", 2, "a", 1) > 0);
    assert_true(memory_key_cmp("\xff", 1, "a", 1) > 0); /* unsigned bytes */
    assert_int_equal(memory_key_cmp("", 0, "", 0), 0);
}

static memory_store_t *store_new_with(int64_t keep_revs, int64_t keep_ms)
{
    memory_store_t *s = calloc(1, sizeof *s);
    s->watch_batch = 512;
    s->lease_check_interval_ms = 5;
    s->retention_revisions = keep_revs;
    s->retention_ms = keep_ms;
    s->compact_interval_ms = 10;
    skiff_error_t err = { 0 };
    assert_int_equal(skiff_plugin.init(&host, NULL, s, &err), 0);
    return s;
}

static memory_store_t *store_new(void) { return store_new_with(0, 0); }

static void store_free(memory_store_t *s)
{
    skiff_plugin.fini(s);
    skiff_plugin.fini(s); /* idempotent */
    free(s);
}

static void put1(memory_store_t *s, const char *k, int del)
{
    skiff_store_op_t op = { .kind = del ? SKIFF_STORE_OP_DELETE : SKIFF_STORE_OP_PUT, .key = k,
                            .key_len = strlen(k), .value = "v", .value_len = 1 };
    skiff_store_txn_res_t res;
    skiff_error_t err = { 0 };
    assert_int_equal(memory_txn(s, NULL, 0, &op, 1, &res, &err), 0);
}

static void compaction_gives_memory_back(void **state)
{
    memory_store_t *s = store_new();
    char k[16];
    for (int round = 0; round < 5; round++)
        for (int i = 0; i < 100; i++) {
            snprintf(k, sizeof k, "k%03d", i);
            put1(s, k, 0);
        }
    for (int i = 0; i < 50; i++) { /* delete half */
        snprintf(k, sizeof k, "k%03d", i);
        put1(s, k, 1);
    }
    assert_int_equal(s->rev, 550);
    assert_int_equal(s->index.count, 100);
    assert_int_equal(s->log_len - s->log_head, 550);
    skiff_error_t err = { 0 };
    assert_int_equal(memory_compact(s, 550, &err), 0);
    /* deleted keys leave the index; live keys keep one version; the log keeps rev 550 only */
    assert_int_equal(s->index.count, 50);
    for (memory_key_t *x = memory_index_first(&s->index); x; x = memory_index_next(x))
        assert_int_equal(x->n, 1);
    assert_int_equal(s->log_len - s->log_head, 1);
    store_free(s);
}

static void wait_compacted(memory_store_t *s, int64_t want)
{
    for (int i = 0; i < 500; i++) {
        int64_t cur, comp;
        memory_revision(s, &cur, &comp, NULL);
        if (comp >= want)
            return;
        struct timespec ts = { 0, 2000000 };
        nanosleep(&ts, NULL);
    }
}

static void retention_by_revisions(void **state)
{
    memory_store_t *s = store_new_with(10, 0);
    skiff_error_t err = { 0 };
    assert_int_equal(skiff_plugin.start(s, &err), 0);
    for (int i = 0; i < 100; i++)
        put1(s, "k", 0);
    wait_compacted(s, 90);
    int64_t cur, comp;
    memory_revision(s, &cur, &comp, NULL);
    assert_int_equal(cur, 100);
    assert_int_equal(comp, 90); /* the last 10 revisions, 91..100, plus the point itself */
    assert_int_equal(s->log_len - s->log_head, 11);
    skiff_plugin.stop(s);
    store_free(s);
}

static void retention_by_time(void **state)
{
    memory_store_t *s = store_new_with(0, 60);
    skiff_error_t err = { 0 };
    assert_int_equal(skiff_plugin.start(s, &err), 0);
    for (int i = 0; i < 20; i++)
        put1(s, "k", 0);
    int64_t comp;
    memory_revision(s, NULL, &comp, NULL);
    assert_int_equal(comp, 0); /* young history stays */
    struct timespec ts = { 0, 150000000 };
    nanosleep(&ts, NULL); /* rev 20 is now older than 60 ms */
    put1(s, "k", 0);
    wait_compacted(s, 20);
    memory_revision(s, NULL, &comp, NULL);
    assert_int_equal(comp, 20);
    skiff_plugin.stop(s);
    store_free(s);
}

static void init_refuses_bad_settings(void **state)
{
    memory_store_t *s = calloc(1, sizeof *s);
    s->watch_batch = 0;
    s->lease_check_interval_ms = 50;
    s->compact_interval_ms = 1000;
    skiff_error_t err = { 0 };
    assert_int_equal(skiff_plugin.init(&host, NULL, s, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "watch_batch"));
    skiff_plugin.fini(s); /* copes with a half-done init */
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(index_matches_model),
        cmocka_unit_test(key_order_is_bytewise),
        cmocka_unit_test(compaction_gives_memory_back),
        cmocka_unit_test(retention_by_revisions),
        cmocka_unit_test(retention_by_time),
        cmocka_unit_test(init_refuses_bad_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
