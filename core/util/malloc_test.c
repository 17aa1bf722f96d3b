#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/malloc.h"

/* The allocator mk/alloc.mk linked is the one answering malloc. */
static void test_linked_is_active(void **state)
{
    (void)state;
    const char *linked = skiff_malloc_linked(), *active = skiff_malloc_active();
    assert_true(strcmp(linked, "jemalloc") == 0 || strcmp(linked, "libc") == 0);
    assert_string_equal(linked, active);
}

/* Memory allocated inside libc and libcjson (their own PLT calls to malloc)
 * is freed here with free(): one heap for all, or this aborts. */
static void test_libraries_share_the_heap(void **state)
{
    (void)state;
    char *s = strdup("skiff");
    assert_non_null(s);
    free(s);
    cJSON *o = cJSON_CreateObject();
    assert_non_null(o);
    assert_non_null(cJSON_AddStringToObject(o, "kind", "Pod"));
    char *txt = cJSON_PrintUnformatted(o);
    assert_string_equal(txt, "{\"kind\":\"Pod\"}");
    free(txt);
    cJSON_Delete(o);
    char *line = NULL;
    assert_true(asprintf(&line, "%d pods", 42) > 0);
    assert_string_equal(line, "42 pods");
    free(line);
}

/* The pattern the API server lives on: one thread builds JSON-sized blocks,
 * another frees them. Each block is filled with its index and checked
 * before the free, so two live blocks sharing memory would show. */
enum { XFER = 2000 };
typedef struct { unsigned char *blk[XFER]; size_t len[XFER]; } xfer_t;

static void *xfer_make(void *arg)
{
    xfer_t *x = arg;
    for (int i = 0; i < XFER; i++) {
        x->len[i] = 16 + (size_t)(i * 37) % 4000;   /* 16 B .. 4 KB, many size classes */
        x->blk[i] = malloc(x->len[i]);
        if (x->blk[i]) memset(x->blk[i], i & 0xff, x->len[i]);
    }
    return NULL;
}

static void test_cross_thread_free(void **state)
{
    (void)state;
    for (int round = 0; round < 5; round++) {
        static xfer_t x;
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, xfer_make, &x), 0);
        assert_int_equal(pthread_join(t, NULL), 0);
        for (int i = 0; i < XFER; i++) {
            assert_non_null(x.blk[i]);
            for (size_t k = 0; k < x.len[i]; k++)
                if (x.blk[i][k] != (unsigned char)(i & 0xff)) fail_msg("block %d byte %zu overwritten", i, k);
        }
        for (int i = 0; i < XFER; i++) free(x.blk[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linked_is_active),
        cmocka_unit_test(test_libraries_share_the_heap),
        cmocka_unit_test(test_cross_thread_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
