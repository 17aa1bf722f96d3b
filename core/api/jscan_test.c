/* core/api/jscan, the one JSON text scanner: values skipped past escapes
 * (\", \\, \uXXXX) and nested containers, members found by key and by path,
 * string values copied and compared, and malformed or truncated text giving
 * NULL / -1 without a read past the end (every text is copied into a buffer
 * of its exact size, so test-asan sees any over-read). Also its users'
 * text-only helpers: managedFields' span (lean.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/jscan.h"
#include "api/lean.h"

/* s in a heap buffer of exactly strlen(s) bytes (no NUL after it) */
static char *exact(const char *s, size_t *len)
{
    *len = strlen(s);
    char *b = malloc(*len ? *len : 1);
    assert_non_null(b);
    memcpy(b, s, *len);
    return b;
}

/* the length skip consumes from the start of s, -1 for NULL */
static long skip_len(const char *s)
{
    size_t n;
    char *b = exact(s, &n);
    const char *r = skiff_jscan_skip(b, b + n);
    long got = r ? (long)(r - b) : -1;
    free(b);
    return got;
}

static void test_ws(void **state)
{
    (void)state;
    const char *s = " \t\r\n x";
    assert_ptr_equal(skiff_jscan_ws(s, s + strlen(s)), s + 5);
    assert_ptr_equal(skiff_jscan_ws(s, s + 3), s + 3); /* never past e */
    assert_ptr_equal(skiff_jscan_ws(s + 5, s + 6), s + 5);
}

static void test_skip_strings(void **state)
{
    (void)state;
    assert_int_equal(skip_len("\"abc\",1"), 5);
    assert_int_equal(skip_len("\"\""), 2);
    assert_int_equal(skip_len("\"a\\\"b\"x"), 6);          /* "a\"b" */
    assert_int_equal(skip_len("\"a\\\\\"x"), 5);           /* "a\\" ends at the quote after \\ */
    assert_int_equal(skip_len("\"\\\\\\\"\"x"), 6);        /* "\\\"" : \\ then \" */
    assert_int_equal(skip_len("\"\\u0022\\u005c\"}"), 14); /* \u escapes are plain bytes to skip */
    assert_int_equal(skip_len("\"}]{[,:\"x"), 8);          /* brackets inside a string */
    /* unterminated */
    assert_int_equal(skip_len("\"abc"), -1);
    assert_int_equal(skip_len("\"a\\\""), -1); /* the only quote after a is escaped */
    assert_int_equal(skip_len("\"a\\"), -1);
    assert_int_equal(skip_len("\""), -1);
    assert_int_equal(skip_len(""), -1);
}

static void test_skip_containers(void **state)
{
    (void)state;
    assert_int_equal(skip_len("{}"), 2);
    assert_int_equal(skip_len("[]x"), 2);
    assert_int_equal(skip_len("{\"a\":{\"b\":[1,{\"c\":[]}]},\"d\":\"}\"},1"), 32);
    assert_int_equal(skip_len("[\"]\",\"\\\"]\",[[]]]"), 16);
    assert_int_equal(skip_len("{\"k\":\"\\\\\"}x"), 10); /* {"k":"\\"} */
    assert_int_equal(skip_len("[\"\\u007b\"]"), 10);
    /* truncated or unbalanced */
    assert_int_equal(skip_len("{\"a\":1"), -1);
    assert_int_equal(skip_len("{\"a\":\"}"), -1); /* the brace is inside an unterminated string */
    assert_int_equal(skip_len("[[1]"), -1);
    assert_int_equal(skip_len("{\"a\":\"x\\\"}"), -1);
}

static void test_skip_scalars(void **state)
{
    (void)state;
    assert_int_equal(skip_len("123,"), 3);
    assert_int_equal(skip_len("-1.5e3}"), 6);
    assert_int_equal(skip_len("true]"), 4);
    assert_int_equal(skip_len("null"), 4);
    assert_int_equal(skip_len("false \n"), 5);
    /* no value here */
    assert_int_equal(skip_len(",1"), -1);
    assert_int_equal(skip_len("}"), -1);
    assert_int_equal(skip_len("]"), -1);
    assert_int_equal(skip_len(" 1"), -1); /* the caller skips whitespace first */
}

static void test_key(void **state)
{
    (void)state;
    size_t n, kl;
    const char *ks;
    char *b = exact("\"name\" : \"x\"", &n);
    const char *v = skiff_jscan_key(b, b + n, &ks, &kl);
    assert_ptr_equal(v, b + 9);
    assert_int_equal(kl, 4);
    assert_memory_equal(ks, "name", 4);
    free(b);
    b = exact("\"a\\\"b\":1", &n); /* escapes are left raw */
    v = skiff_jscan_key(b, b + n, &ks, &kl);
    assert_non_null(v);
    assert_int_equal(kl, 4);
    assert_memory_equal(ks, "a\\\"b", 4);
    free(b);
    const char *bad[] = { "\"a\" 1", "\"a\"", "\"a\":", "\"a\": ", "\"a", "a:1", "", "\"a\\\":1" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        b = exact(bad[i], &n);
        assert_null(skiff_jscan_key(b, b + n, &ks, &kl));
        free(b);
    }
}

static const char POD[] =
    "{\"metadata\":{\"name\":\"p\\u00e9\",\"namespace\":\"ns\",\"labels\":{\"a\":\"}\\\"{\"},"
    "\"managedFields\":[{\"m\":\"x]}\\\\\"}]},"
    "\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"c\",\"args\":[\"[\",\"\\\\\"]}]},"
    "\"status\":{}}";

static void test_members(void **state)
{
    (void)state;
    size_t n;
    char *b = exact(POD, &n);
    const char *e = b + n, *close;
    static const char *const keys[] = { "spec", "metadata", "missing", "status" };
    skiff_jmem_t m[4];
    int empty = -1;
    assert_int_equal(skiff_jscan_members(b, e, keys, 4, m, &close, &empty), 0);
    assert_ptr_equal(close, e - 1);
    assert_int_equal(empty, 0);
    assert_non_null(m[0].k);
    assert_int_equal(*m[0].v, '{');
    assert_int_equal(m[0].ve[-1], '}');
    assert_ptr_equal(m[1].k, b + 1);
    assert_null(m[2].k);
    assert_int_equal(m[3].ve - m[3].v, 2);
    /* nested: one pass over metadata */
    static const char *const mk[] = { "namespace", "name" };
    skiff_jmem_t mm[2];
    assert_int_equal(skiff_jscan_members(m[1].v, e, mk, 2, mm, NULL, NULL), 0);
    assert_true(skiff_jscan_str_eq(mm[0].v, mm[0].ve, "ns"));
    char buf[16];
    assert_int_equal(skiff_jscan_str(mm[1].v, mm[1].ve, buf, sizeof buf), -1); /* \u00e9: not plain */
    free(b);

    /* first key wins, as cJSON's lookup */
    b = exact("{ \"a\" : 1 , \"a\":2 }", &n);
    static const char *const ak[] = { "a" };
    assert_int_equal(skiff_jscan_members(b, b + n, ak, 1, m, &close, &empty), 0);
    assert_int_equal(*m[0].v, '1');
    free(b);
    /* empty */
    b = exact("{ }", &n);
    assert_int_equal(skiff_jscan_members(b, b + n, ak, 1, m, &close, &empty), 0);
    assert_int_equal(empty, 1);
    assert_ptr_equal(close, b + 2);
    assert_null(m[0].k);
    free(b);
    /* without close the pass stops once all are found: what follows is unread */
    b = exact("{\"a\":1,garbage", &n);
    assert_int_equal(skiff_jscan_members(b, b + n, ak, 1, m, NULL, NULL), 0);
    assert_int_equal(skiff_jscan_members(b, b + n, ak, 1, m, &close, NULL), -1);
    free(b);
    /* malformed: not an object, missing colon or comma, a key with escapes, trailing comma */
    const char *bad[] = { "[1]", "{\"a\" 1}", "{\"b\":1 \"a\":2}", "{\"\\u0061\":1}", "{\"b\":1,}", "{1:2}", "" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        b = exact(bad[i], &n);
        assert_int_equal(skiff_jscan_members(b, b + n, ak, 1, m, &close, NULL), -1);
        free(b);
    }
}

static void test_next(void **state)
{
    (void)state;
    size_t n;
    char *b = exact("{ \"a\" : [1,\"]\"] , \"b\\\"c\":{\"d\":\"}\"},\"e\":null }", &n);
    const char *e = b + n, *p = skiff_jscan_ws(b + 1, e);
    skiff_jmem_t m;
    assert_int_equal(skiff_jscan_next(&p, e, &m), 1);
    assert_ptr_equal(m.k, b + 2);
    assert_true(skiff_jscan_key_is(&m, "a"));
    assert_false(skiff_jscan_key_is(&m, ""));
    assert_int_equal(m.ve - m.v, 7); /* [1,"]"] */
    assert_int_equal(*p, '"');
    assert_int_equal(skiff_jscan_next(&p, e, &m), 1); /* keys with escapes are read, raw */
    assert_false(skiff_jscan_key_is(&m, "b"));
    assert_false(skiff_jscan_key_is(&m, "b\"c"));
    assert_int_equal(*m.v, '{');
    assert_int_equal(skiff_jscan_next(&p, e, &m), 0);
    assert_true(skiff_jscan_key_is(&m, "e"));
    assert_ptr_equal(p, e - 1); /* at the closing brace */
    free(b);
    const char *bad[] = { "\"a\":1", "\"a\":1 \"b\":2}", "\"a\":}", "\"a\":\"x}", "\"a\"1}", "}" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        b = exact(bad[i], &n);
        p = b;
        assert_int_equal(skiff_jscan_next(&p, b + n, &m), -1);
        free(b);
    }
}

static void test_at(void **state)
{
    (void)state;
    size_t n;
    char *b = exact(POD, &n);
    const char *e = b + n, *v;
    static const char *const nn[] = { "spec", "nodeName" }, *const lab[] = { "metadata", "labels", "a" },
                             *const miss[] = { "spec", "schedulerName" },
                             *const through_str[] = { "spec", "nodeName", "x" },
                             *const through_arr[] = { "spec", "containers", "name" };
    assert_int_equal(skiff_jscan_at(b, e, nn, 2, &v), 0);
    assert_true(skiff_jscan_str_eq(v, skiff_jscan_skip(v, e), "n1"));
    assert_int_equal(skiff_jscan_at(b, e, lab, 3, &v), 0);
    assert_int_equal(skiff_jscan_skip(v, e) - v, 6); /* "}\"{" */
    assert_int_equal(skiff_jscan_at(b, e, miss, 2, &v), 1);
    assert_int_equal(skiff_jscan_at(b, e, through_str, 3, &v), 1); /* a step that is not an object */
    assert_int_equal(skiff_jscan_at(b, e, through_arr, 3, &v), 1);
    assert_int_equal(skiff_jscan_at(b, e, nn, 0, &v), 0);
    assert_ptr_equal(v, b);
    free(b);
    /* only what precedes the value is read */
    b = exact("{\"a\":{\"b\":7", &n);
    static const char *const ab[] = { "a", "b" }, *const ac[] = { "a", "c" };
    assert_int_equal(skiff_jscan_at(b, b + n, ab, 2, &v), 0);
    assert_int_equal(*v, '7');
    assert_int_equal(skiff_jscan_at(b, b + n, ac, 2, &v), -1); /* truncated before c could be found */
    free(b);
    /* malformed, escaped keys on the way, not an object at the top */
    const char *bad[] = { "{\"x\":1 \"a\":{}}", "{\"\\u0061\":{\"b\":1}}", "{\"x\":\"1,\"a\":{\"b\":1}}", "[]", "" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        b = exact(bad[i], &n);
        assert_int_equal(skiff_jscan_at(b, b + n, ab, 2, &v), -1);
        free(b);
    }
    b = exact("{\"a\":{}}", &n);
    assert_int_equal(skiff_jscan_at(b, b + n, ab, 2, &v), 1);
    free(b);
}

static void test_str(void **state)
{
    (void)state;
    char buf[4];
    const char *s = "\"abc\"";
    assert_int_equal(skiff_jscan_str(s, s + 5, buf, sizeof buf), 0);
    assert_string_equal(buf, "abc");
    assert_int_equal(skiff_jscan_str(s, s + 5, buf, 3), -1); /* does not fit */
    s = "\"\"";
    assert_int_equal(skiff_jscan_str(s, s + 2, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    s = "\"a\\\"\"";
    assert_int_equal(skiff_jscan_str(s, s + 5, buf, sizeof buf), -1); /* escapes */
    s = "\"\\u0041\"";
    assert_int_equal(skiff_jscan_str(s, s + 8, buf, sizeof buf), -1);
    s = "123";
    assert_int_equal(skiff_jscan_str(s, s + 3, buf, sizeof buf), -1);
    s = "\"";
    assert_int_equal(skiff_jscan_str(s, s + 1, buf, sizeof buf), -1);
}

static void test_str_eq(void **state)
{
    (void)state;
    const char *s = "\"True\"";
    assert_true(skiff_jscan_str_eq(s, s + 6, "True"));
    assert_false(skiff_jscan_str_eq(s, s + 6, "Tru"));
    assert_false(skiff_jscan_str_eq(s, s + 6, "TrueX"));
    assert_false(skiff_jscan_str_eq(s + 1, s + 5, "True")); /* not a string */
    s = "\"\"";
    assert_true(skiff_jscan_str_eq(s, s + 2, ""));
    s = "\"a\\\\b\""; /* the JSON string a\b (one backslash) */
    assert_false(skiff_jscan_str_eq(s, s + 6, "a\\\\b"));
    assert_false(skiff_jscan_str_eq(s, s + 6, "a\\b"));
    s = "null";
    assert_false(skiff_jscan_str_eq(s, s + 4, "null"));
}

/* Every prefix of a text, in a buffer of its exact size: no crash, no read
 * past the end, and an answer only when what it needs is inside. */
static void test_truncated(void **state)
{
    (void)state;
    size_t full = strlen(POD);
    static const char *const keys[] = { "metadata", "spec", "status" }, *const nn[] = { "spec", "nodeName" };
    for (size_t i = 0; i < full; i++) {
        char *b = malloc(i ? i : 1);
        assert_non_null(b);
        memcpy(b, POD, i);
        const char *e = b + i, *close, *v;
        skiff_jmem_t m[3];
        assert_null(skiff_jscan_skip(b, e));
        assert_int_equal(skiff_jscan_members(b, e, keys, 3, m, &close, NULL), -1);
        int r = skiff_jscan_members(b, e, keys, 2, m, NULL, NULL);
        const char *spec = strstr(POD, "\"spec\":");
        assert_int_equal(r, (size_t)(strstr(POD, ",\"status\"") - POD) <= i ? 0 : -1);
        r = skiff_jscan_at(b, e, nn, 2, &v);
        assert_int_equal(r, (size_t)(spec - POD) + 19 < i ? 0 : -1); /* "spec":{"nodeName": then the value's first byte */
        size_t s, en;
        r = apisrv_managed_fields_span(b, i, &s, &en);
        assert_true(r == -1 || (r == 0 && en <= i));
        free(b);
    }
}

/* managedFields' span on text that is not compact, and text it refuses */
static void test_managed_fields_span(void **state)
{
    (void)state;
    struct { const char *in, *cut; } ok[] = {
        { "{\"metadata\":{\"name\":\"a\", \"managedFields\" : [ {\"m\":\"]\"} ] ,\"uid\":\"u\"}}",
          "{\"metadata\":{\"name\":\"a\" ,\"uid\":\"u\"}}" },
        { "{\"metadata\":{ \"managedFields\":[], \"name\":\"a\"}}", "{\"metadata\":{ \"name\":\"a\"}}" },
        { "{\"metadata\":{\"managedFields\":null}}", "{\"metadata\":{}}" },
        /* a key written with escapes is compared as written: not the member */
        { "{\"metadata\":{\"x\\\"y\":1,\"managedFields\":[]}}", "{\"metadata\":{\"x\\\"y\":1}}" },
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        size_t n, s, e;
        char *b = exact(ok[i].in, &n);
        assert_int_equal(apisrv_managed_fields_span(b, n, &s, &e), 0);
        char out[256];
        memcpy(out, b, s);
        memcpy(out + s, b + e, n - e);
        out[n - (e - s)] = '\0';
        assert_string_equal(out, ok[i].cut);
        free(b);
    }
    const char *none[] = {
        "{\"metadata\":{\"name\":\"a\"},\"managedFields\":[]}", /* not in metadata */
        "{\"metadata\":{\"managed\\u0046ields\":[]}}",
        "{\"metadata\":{\"name\" \"a\",\"managedFields\":[]}}", /* malformed before it */
        "{\"metadata\":{\"name\":\"a\" \"managedFields\":[]}}",
        "{\"metadata\":{\"managedFields\":[{}", /* truncated */
        "{ \"metadata\":{\"managedFields\":[]}}", /* stored text starts {"metadata":{ */
        "",
    };
    for (size_t i = 0; i < sizeof none / sizeof *none; i++) {
        size_t n, s, e;
        char *b = exact(none[i], &n);
        assert_int_equal(apisrv_managed_fields_span(b, n, &s, &e), -1);
        free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ws),
        cmocka_unit_test(test_skip_strings),
        cmocka_unit_test(test_skip_containers),
        cmocka_unit_test(test_skip_scalars),
        cmocka_unit_test(test_key),
        cmocka_unit_test(test_members),
        cmocka_unit_test(test_next),
        cmocka_unit_test(test_at),
        cmocka_unit_test(test_str),
        cmocka_unit_test(test_str_eq),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_managed_fields_span),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
