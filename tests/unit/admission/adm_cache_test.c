/* tests/unit/admission — the admission plugins' namespace cache
 * (plugins/admission/common/adm_cache.h): the hashed lookup, the in-place
 * views and the lock-free memo of the last hit must answer exactly what a
 * fresh read answers, and every invalidation, quiet window and TTL must
 * still force a read. A fake host serves GET/LIST from a table and counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../../plugins/admission/common/adm_cache.h"

static int64_t fake_now = 1000000000;
static int reads;                 /* api_get + api_list calls */
static char ns_json[400][160];    /* namespace i: "" = absent */
static char list_json[400][200];  /* its list answer */

static int64_t now_ns(void) { return fake_now; }

static int index_of(const char *path, const char **rest)
{
    const char *p = path + strlen("/api/v1/namespaces/n");
    char *end;
    long i = strtol(p, &end, 10);
    *rest = end;
    return (int)i;
}

static int fake_get(skiff_ctx_t *ctx, const char *path, char **out, skiff_error_t *err)
{
    (void)ctx;
    reads++;
    const char *rest;
    int i = index_of(path, &rest);
    if (!ns_json[i][0]) return skiff_error_set(err, SKIFF_E_NOTFOUND, "not found");
    *out = strdup(ns_json[i]);
    return 0;
}

static int fake_list(skiff_ctx_t *ctx, const char *path, const char *ls, const char *fs, char **out, skiff_error_t *err)
{
    (void)ctx, (void)ls, (void)fs, (void)err;
    reads++;
    const char *rest;
    int i = index_of(path, &rest);
    *out = strdup(list_json[i][0] ? list_json[i] : "{\"items\":[]}");
    return 0;
}

static void fake_free(char *j) { free(j); }

static skiff_host_t host;

static void setup_host(void)
{
    memset(&host, 0, sizeof host);
    host.size = sizeof host;
    host.clock_monotonic_ns = now_ns;
    host.api_get = fake_get;
    host.api_list = fake_list;
    host.api_free = fake_free;
    reads = 0;
    memset(ns_json, 0, sizeof ns_json);
    memset(list_json, 0, sizeof list_json);
}

/* A view that copies out the namespace's "phase" label (memoizable). */
typedef struct phase_view { char phase[32]; int present; } phase_view_t;
static int phase_of(const cJSON *ns, void *arg)
{
    phase_view_t *v = arg;
    memset(v, 0, sizeof *v);
    v->present = ns != NULL;
    const cJSON *p = ns ? cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
                              cJSON_GetObjectItemCaseSensitive(ns, "metadata"), "labels"), "phase") : NULL;
    if (cJSON_IsString(p)) snprintf(v->phase, sizeof v->phase, "%s", p->valuestring);
    return 1;
}

static phase_view_t view(adm_cache_t *c, int i)
{
    char ns[32];
    snprintf(ns, sizeof ns, "n%d", i);
    phase_view_t v;
    skiff_error_t err;
    assert_int_equal(adm_cache_view_ns(c, NULL, ns, "", 0, NULL, phase_of, &v, sizeof v, &err), 0);
    return v;
}

static void set_ns(int i, const char *phase)
{
    if (!phase) { ns_json[i][0] = '\0'; return; }
    snprintf(ns_json[i], sizeof ns_json[i], "{\"metadata\":{\"name\":\"n%d\",\"labels\":{\"phase\":\"%s\"}}}", i, phase);
}

/* 300 namespaces (more than the hash buckets' spread needs): each answered
 * right, read once, then from the cache; the memo of the last one never
 * answers for another. */
static void test_many_namespaces(void **st)
{
    (void)st;
    setup_host();
    adm_cache_t c;
    assert_int_equal(adm_cache_init(&c, &host, 30000, 500), 0);
    for (int i = 0; i < 300; i++) {
        char ph[16];
        snprintf(ph, sizeof ph, "p%d", i);
        set_ns(i, i % 7 == 0 ? NULL : ph);
    }
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 300; i++) {
            phase_view_t v = view(&c, i);
            char ph[16];
            snprintf(ph, sizeof ph, "p%d", i);
            assert_int_equal(v.present, i % 7 != 0);
            assert_string_equal(v.phase, i % 7 == 0 ? "" : ph);
            v = view(&c, i); /* again: from the memo */
            assert_int_equal(v.present, i % 7 != 0);
        }
    assert_int_equal(reads, 300);
    adm_cache_fini(&c);
}

/* An invalidated namespace is read again once the quiet window has passed
 * (within it, every ask reads: the write may not be stored yet) — also
 * when the memo held it; other namespaces stay cached. */
static void test_invalidate_and_quiet(void **st)
{
    (void)st;
    setup_host();
    adm_cache_t c;
    assert_int_equal(adm_cache_init(&c, &host, 30000, 500), 0);
    set_ns(1, "old");
    set_ns(2, "two");
    assert_string_equal(view(&c, 2).phase, "two");
    assert_string_equal(view(&c, 1).phase, "old");
    assert_string_equal(view(&c, 1).phase, "old"); /* memo */
    assert_int_equal(reads, 2);
    set_ns(1, "new");
    adm_cache_invalidate(&c, "n1");
    assert_string_equal(view(&c, 1).phase, "new");
    assert_string_equal(view(&c, 1).phase, "new");
    assert_int_equal(reads, 4); /* both asks inside the quiet window read */
    fake_now += 600 * 1000000LL;
    assert_string_equal(view(&c, 1).phase, "new");
    assert_string_equal(view(&c, 1).phase, "new");
    assert_string_equal(view(&c, 1).phase, "new");
    assert_int_equal(reads, 5); /* read once more, then cached and memoized */
    assert_string_equal(view(&c, 2).phase, "two");
    assert_int_equal(reads, 5);
    /* a namespace deleted: absent after the invalidation */
    set_ns(1, NULL);
    adm_cache_invalidate(&c, "n1");
    assert_int_equal(view(&c, 1).present, 0);
    fake_now += 600 * 1000000LL;
    assert_int_equal(view(&c, 1).present, 0);
    assert_int_equal(view(&c, 1).present, 0);
    adm_cache_fini(&c);
}

/* The TTL bounds the memo as it bounds the cache. */
static void test_ttl(void **st)
{
    (void)st;
    setup_host();
    adm_cache_t c;
    assert_int_equal(adm_cache_init(&c, &host, 30000, 500), 0);
    set_ns(3, "a");
    assert_string_equal(view(&c, 3).phase, "a");
    assert_string_equal(view(&c, 3).phase, "a");
    assert_string_equal(view(&c, 3).phase, "a");
    assert_int_equal(reads, 1);
    set_ns(3, "b"); /* changed behind the cache's back (another API server) */
    fake_now += 29 * 1000000000LL;
    assert_string_equal(view(&c, 3).phase, "a");
    fake_now += 2 * 1000000000LL;
    assert_string_equal(view(&c, 3).phase, "b");
    assert_int_equal(reads, 2);
    adm_cache_fini(&c);
}

/* Lists: a copy only when there are items; "none" from the memo; an item
 * added (and invalidated) is seen. */
static void test_lists(void **st)
{
    (void)st;
    setup_host();
    adm_cache_t c;
    assert_int_equal(adm_cache_init(&c, &host, 30000, 500), 0);
    skiff_error_t err;
    cJSON *l = (cJSON *)1;
    for (int k = 0; k < 3; k++) {
        assert_int_equal(adm_cache_list_ns(&c, NULL, "n5", "/limitranges", &l, &err), 0);
        assert_null(l);
    }
    assert_int_equal(reads, 1);
    snprintf(list_json[5], sizeof list_json[5], "{\"items\":[{\"metadata\":{\"name\":\"lr\"}}]}");
    adm_cache_invalidate(&c, "n5");
    fake_now += 600 * 1000000LL;
    for (int k = 0; k < 3; k++) {
        assert_int_equal(adm_cache_list_ns(&c, NULL, "n5", "/limitranges", &l, &err), 0);
        assert_non_null(l);
        assert_int_equal(cJSON_GetArraySize(l), 1);
        cJSON_AddItemToArray(l, cJSON_CreateNull()); /* the caller's copy: the cache's stays as is */
        cJSON_Delete(l);
    }
    assert_int_equal(reads, 2);
    adm_cache_fini(&c);
}

/* Two views of one namespace on one cache keep their memos apart. */
static int present_only(const cJSON *ns, void *arg) { *(int *)arg = ns ? 7 : 0; return 1; }
static void test_views_apart(void **st)
{
    (void)st;
    setup_host();
    adm_cache_t c;
    assert_int_equal(adm_cache_init(&c, &host, 30000, 500), 0);
    set_ns(9, "x");
    skiff_error_t err;
    int p = -1;
    assert_string_equal(view(&c, 9).phase, "x");
    assert_int_equal(adm_cache_view_ns(&c, NULL, "n9", "", 0, NULL, present_only, &p, sizeof p, &err), 0);
    assert_int_equal(p, 7);
    assert_string_equal(view(&c, 9).phase, "x");
    assert_int_equal(adm_cache_view_ns(&c, NULL, "n9", "", 0, NULL, present_only, &p, sizeof p, &err), 0);
    assert_int_equal(p, 7);
    assert_int_equal(reads, 1);
    adm_cache_fini(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_namespaces),
        cmocka_unit_test(test_invalidate_and_quiet),
        cmocka_unit_test(test_ttl),
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_views_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
