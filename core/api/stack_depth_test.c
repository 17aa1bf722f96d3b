/* The deepest inputs the core/api libraries accept (just under
 * SKIFF_API_MAX_DEPTH) must run inside a 512 KiB thread stack — the stack
 * the API server gives libmicrohttpd's connection threads (httpd.c) — also
 * under ASan, whose frames are larger. One level costs ~1.3 KiB (-O2). */
#include "api/test_json.h"
#include <pthread.h>
#include "api/apply.h"
#include "api/json_limits.h"
#include "api/patch_json.h"
#include "api/patch_merge.h"
#include "api/patch_strategic.h"

#define SERVER_STACK (512 * 1024)

static char *nest(int n, const char *leaf)
{
    char *s = malloc((size_t)n * 8 + strlen(leaf) + 1), *q = s;
    for (int i = 0; i < n; i++) q += sprintf(q, "{\"a\":");
    q += sprintf(q, "%s", leaf);
    for (int i = 0; i < n; i++) *q++ = '}';
    *q = 0;
    return s;
}

typedef struct { int depth; int rc[4]; } job_t;

static void *run(void *arg)
{
    job_t *j = arg;
    char *d = nest(j->depth, "[{\"name\":\"x\",\"v\":1}]"), *p = nest(j->depth, "[{\"name\":\"x\",\"v\":2}]");
    cJSON *doc = cJSON_Parse(d), *pat = cJSON_Parse(p), *out = NULL;
    skiff_error_t err = {0};
    j->rc[0] = skiff_api_strategic_patch(doc, pat, "Pod", &out, &err);
    cJSON_Delete(out);
    skiff_api_apply_opts_t o = { .manager = "m", .kind = "Pod" };
    j->rc[1] = skiff_api_apply(doc, pat, &o, &out, NULL, &err);
    if (j->rc[1] == 0) {
        /* re-apply on the result: walks the managedFields sets too */
        cJSON *again = NULL;
        j->rc[1] = skiff_api_apply(out, pat, &o, &again, NULL, &err);
        cJSON_Delete(again);
    }
    cJSON_Delete(out);
    j->rc[2] = skiff_api_merge_patch(doc, pat, &out, &err);
    cJSON_Delete(out);
    cJSON *jp = cJSON_CreateArray();
    cJSON *op = tj("{'op':'copy','from':'/a','path':'/b'}");
    cJSON_AddItemToArray(jp, op);
    j->rc[3] = skiff_api_json_patch(doc, jp, &out, &err);
    cJSON_Delete(out);
    cJSON_Delete(jp);
    cJSON_Delete(doc); cJSON_Delete(pat); free(d); free(p);
    return NULL;
}

static void in_server_stack(job_t *j)
{
    pthread_attr_t a;
    pthread_t t;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, SERVER_STACK);
    assert_int_equal(pthread_create(&t, &a, run, j), 0);
    pthread_join(t, NULL);
    pthread_attr_destroy(&a);
}

static void test_deepest_accepted(void **state)
{
    job_t j = { .depth = SKIFF_API_MAX_DEPTH - 3 };
    in_server_stack(&j);
    for (int i = 0; i < 4; i++) assert_int_equal(j.rc[i], 0);
}

static void test_too_deep_refused(void **state)
{
    job_t j = { .depth = SKIFF_API_MAX_DEPTH + 50 };
    in_server_stack(&j);
    for (int i = 0; i < 3; i++) assert_int_equal(j.rc[i], SKIFF_E_INVALID);
    assert_int_equal(j.rc[3], 0); /* JSON patch walks pointers, not the tree: copying is cJSON's own */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deepest_accepted),
        cmocka_unit_test(test_too_deep_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
