/* Figures, printed as "# " lines (asserting only correctness: the machine is
 * shared, timings are reported, not enforced): range over 10,000 keys and
 * watch latency from txn call to callback. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "harness.h"

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int count_cb(void *ud, const skiff_store_kv_t *kv)
{
    (*(int64_t *)ud)++;
    return 0;
}

static void perf_range_10k(void **state)
{
    st_t *st = *state;
    skiff_error_t err = { 0 };
    char keys[100][40];
    skiff_store_op_t ops[100];
    char val[256];
    memset(val, 'v', sizeof val);
    for (int b = 0; b < 100; b++) { /* 100 txns of 100 puts */
        for (int i = 0; i < 100; i++) {
            snprintf(keys[i], sizeof keys[i], "/registry/pods/default/pod-%05d", b * 100 + i);
            ops[i] = (skiff_store_op_t){ .kind = SKIFF_STORE_OP_PUT, .key = keys[i], .key_len = strlen(keys[i]),
                                         .value = val, .value_len = sizeof val };
        }
        skiff_store_txn_res_t res;
        assert_int_equal(st->ops->txn(st->self, NULL, 0, ops, 100, &res, &err), 0);
    }
    put(st, "/registry/services/x", "other");
    int64_t t[9];
    for (int r = 0; r < 9; r++) {
        int64_t n = 0;
        skiff_store_range_req_t req = { .key = "/registry/pods/", .key_len = 15, .prefix = 1 };
        skiff_store_range_res_t res;
        int64_t t0 = now_ns();
        assert_int_equal(st->ops->range(st->self, &req, count_cb, &n, &res, &err), 0);
        t[r] = now_ns() - t0;
        assert_int_equal(n, 10000);
        assert_int_equal(res.count, 10000);
    }
    qsort(t, 9, sizeof t[0], cmp_i64);
    fprintf(stderr, "# range of 10000 keys (256 B values): median %.3f ms, min %.3f ms (9 runs)\n",
            t[4] / 1e6, t[0] / 1e6);
}

#define LAT_N 2000

static void perf_watch_latency(void **state)
{
    st_t *st = *state;
    wcol_t c;
    wcol_init(&c, st);
    watch(st, &c, "/lat/", 0);
    int64_t *sent = calloc(LAT_N, sizeof *sent);
    for (int i = 0; i < LAT_N; i++) {
        char k[32];
        snprintf(k, sizeof k, "/lat/%d", i % 50);
        sent[i] = now_ns();
        put(st, k, "v");
        if (i % 4 == 3)
            sleep_ms(1); /* paced, so this measures latency rather than backlog */
    }
    assert_int_equal(wcol_wait(&c, LAT_N, 10000), LAT_N);
    st->ops->unwatch(st->self, c.w);
    int64_t *lat = calloc(LAT_N, sizeof *lat);
    for (int i = 0; i < LAT_N; i++) {
        assert_int_equal(c.ev[i].mod_rev, i + 1);
        lat[i] = c.ev[i].at_ns - sent[i];
    }
    qsort(lat, LAT_N, sizeof lat[0], cmp_i64);
    fprintf(stderr, "# watch latency txn->callback (%d events): p50 %.1f us, p99 %.1f us, max %.1f us\n",
            LAT_N, lat[LAT_N / 2] / 1e3, lat[LAT_N * 99 / 100] / 1e3, lat[LAT_N - 1] / 1e3);
    free(sent);
    free(lat);
    wcol_fini(&c);
}

const struct CMUnitTest store_perf_cases[] = {
    CASE(perf_range_10k),
    CASE(perf_watch_latency),
};
const size_t store_perf_ncases = sizeof store_perf_cases / sizeof store_perf_cases[0];
