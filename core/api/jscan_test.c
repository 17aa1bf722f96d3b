/* core/api/jscan, the one JSON text scanner: values skipped past escapes
 * (\", \\, \uXXXX) and nested containers, members found by key and by path,
 * string values copied and compared, and malformed or truncated text giving
 * NULL / -1 without a read past the end (every text is copied into a buffer
 * of its exact size, so test-asan sees any over-read). Then its users, on
 * the cases their own scanners handled before: managedFields' span
 * (lean.c), the watch line (client.c) and the bind echo (api_link.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/client_int.h"
#include "api/jscan.h"
#include "api/lean.h"
#include "sched/api_link.h"

/* s in a heap buffer of exactly strlen(s) bytes (no NUL after it) */
static char *exact(const char *s, size_t *len)
{
    *len = strlen(s);
    char *b = malloc(*len ? *len : 1);
    assert_non_null(b);
    memcpy(b, s, *len);
    return b;
}

/* skip's answers: how many bytes the value at the start of `in` takes,
 * -1 for none (NULL); `in` sits in a buffer of its exact size */
typedef struct skip_case { const char *in; long want; } skip_case_t;

static void check_skips(const skip_case_t *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *b = exact(c[i].in, &len);
        const char *r = skiff_jscan_skip(b, b + len);
        long got = r ? (long)(r - b) : -1;
        free(b);
        if (got != c[i].want) fail_msg("skip %s: %ld, want %ld", c[i].in, got, c[i].want);
    }
}

static void test_ws(void **state)
{
    (void)state;
    const char *s = " \t\r\n x";
    assert_ptr_equal(skiff_jscan_ws(s, s + strlen(s)), s + 5);
    assert_ptr_equal(skiff_jscan_ws(s, s + 3), s + 3); /* never past e */
    assert_ptr_equal(skiff_jscan_ws(s + 5, s + 6), s + 5);
}

static void test_skip(void **state)
{
    (void)state;
    static const skip_case_t c[] = {
        /* strings: escaped quotes and backslashes, \\u escapes, brackets inside */
        { "\"abc\",1", 5 },
        { "\"\"", 2 },
        { "\"a\\\"b\"x", 6 }, /* "a\"b" */
        { "\"a\\\\\"x", 5 }, /* "a\\" ends at the quote after \\ */
        { "\"\\\\\\\"\"x", 6 }, /* "\\\"" : \\ then \" */
        { "\"\\u0022\\u005c\"}", 14 }, /* \u escapes are plain bytes to skip */
        { "\"}]{[,:\"x", 8 }, /* brackets inside a string */
        /* unterminated */
        { "\"abc", -1 },
        { "\"a\\\"", -1 }, /* the only quote after a is escaped */
        { "\"a\\", -1 },
        { "\"", -1 },
        { "", -1 },
        /* containers: nesting, strings with brackets and escapes inside */
        { "{}", 2 },
        { "[]x", 2 },
        { "{\"a\":{\"b\":[1,{\"c\":[]}]},\"d\":\"}\"},1", 32 },
        { "[\"]\",\"\\\"]\",[[]]]", 16 },
        { "{\"k\":\"\\\\\"}x", 10 }, /* {"k":"\\"} */
        { "[\"\\u007b\"]", 10 },
        /* truncated or unbalanced */
        { "{\"a\":1", -1 },
        { "{\"a\":\"}", -1 }, /* the brace is inside an unterminated string */
        { "[[1]", -1 },
        { "{\"a\":\"x\\\"}", -1 },
        /* scalars, and no value at all */
        { "123,", 3 },
        { "-1.5e3}", 6 },
        { "true]", 4 },
        { "null", 4 },
        { "false \n", 5 },
        /* no value here */
        { ",1", -1 },
        { "}", -1 },
        { "]", -1 },
        { " 1", -1 }, /* the caller skips whitespace first */
    };
    check_skips(c, sizeof c / sizeof *c);
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

/* ---- managedFields' span (lean.c) ------------------------------------------ */

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

/* ---- the watch line (client.c: skiff_api_watch_feed) ------------------------
 * lines cut anywhere across chunks; the usual {"type":"T","object":{...}}
 * handed over in place, byte for byte (escapes untouched); other shapes
 * parsed (their object printed again); malformed or truncated lines dropped
 * without a callback. The same cases pass against the pre-jscan client.c. */

typedef struct seen {
    int n;
    char type[8][32];
    char obj[8][256];
} seen_t;

static void on_event(void *ud, const char *type, const char *object, size_t len)
{
    seen_t *s = ud;
    assert_true(s->n < 8);
    assert_non_null(type);
    assert_true(strlen(type) < sizeof s->type[0] && len < sizeof s->obj[0]);
    assert_int_equal(strlen(object), len); /* NUL-terminated at len */
    strcpy(s->type[s->n], type);
    memcpy(s->obj[s->n], object, len);
    s->obj[s->n][len] = '\0';
    s->n++;
}

static skiff_api_client_watch_t *watch(seen_t *s)
{
    memset(s, 0, sizeof *s);
    skiff_api_client_watch_t *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->cb = on_event;
    w->ud = s;
    return w;
}

static void done(skiff_api_client_watch_t *w)
{
    free(w->partial);
    free(w);
}

/* `text` fed in pieces of `step` bytes, each in a buffer of its own size */
static void feed(skiff_api_client_watch_t *w, const char *text, size_t step)
{
    size_t len = strlen(text);
    for (size_t at = 0; at < len; at += step) {
        size_t n = len - at < step ? len - at : step;
        char *piece = malloc(n);
        assert_non_null(piece);
        memcpy(piece, text + at, n);
        skiff_api_watch_feed(w, piece, n);
        free(piece);
    }
}

static void test_in_place(void **state)
{
    (void)state;
    static const char lines[] =
        "{\"type\":\"ADDED\",\"object\":{\"a\": \"x\\\"}\\\\\", \"u\":\"\\u00e9\"}}\n"
        "{\"type\":\"MODIFIED\",\"object\":{\"b\":[1,{}]}}\r\n"
        "{ \"type\" : \"DELETED\" , \"object\" : {\"c\":{}} }\n";
    for (size_t step = 1; step <= sizeof lines; step++) {
        seen_t s;
        skiff_api_client_watch_t *w = watch(&s);
        feed(w, lines, step);
        assert_int_equal(s.n, 3);
        assert_string_equal(s.type[0], "ADDED");
        assert_string_equal(s.obj[0], "{\"a\": \"x\\\"}\\\\\", \"u\":\"\\u00e9\"}"); /* as sent */
        assert_string_equal(s.type[1], "MODIFIED");
        assert_string_equal(s.obj[1], "{\"b\":[1,{}]}");
        assert_string_equal(s.type[2], "DELETED");
        assert_string_equal(s.obj[2], "{\"c\":{}}"); /* the whitespace before the event's '}' dropped */
        done(w);
    }
}

/* shapes the in-place path does not take: parsed, the object printed again */
static void test_parsed(void **state)
{
    (void)state;
    seen_t s;
    skiff_api_client_watch_t *w = watch(&s);
    feed(w,
         "{\"object\":{\"a\": 1},\"type\":\"ADDED\"}\n"              /* other order */
         "{\"type\":\"MOD\\u0049FIED\",\"object\":{\"a\": 2}}\n"     /* an escape in the type */
         "{\"type\":\"\",\"object\":{\"a\": 3}}\n"                   /* empty type */
         "{\"type\":\"ERROR\",\"object\":\"text\"}\n"                /* not an object */
         "{\"type\":\"AVERYLONGTYPENAME\",\"object\":{\"a\": 4}}\n", /* longer than any type */
         7);
    assert_int_equal(s.n, 5);
    assert_string_equal(s.type[0], "ADDED");
    assert_string_equal(s.obj[0], "{\"a\":1}");
    assert_string_equal(s.type[1], "MODIFIED");
    assert_string_equal(s.obj[1], "{\"a\":2}");
    assert_string_equal(s.type[2], "");
    assert_string_equal(s.type[3], "ERROR");
    assert_string_equal(s.obj[3], "\"text\"");
    assert_string_equal(s.type[4], "AVERYLONGTYPENAME");
    assert_string_equal(s.obj[4], "{\"a\":4}");
    done(w);
}

/* malformed and truncated lines: no callback, no crash, the next line fine */
static void test_malformed(void **state)
{
    (void)state;
    const char *bad[] = {
        "", "}", "{", "{}", "[1]", "{\"type\":\"ADDED\"}", "{\"type\":\"ADDED\",\"object\":}",
        "{\"type\":\"ADD", "{\"type\":\"ADDED\",", "{\"type\":ADDED,\"object\":{}}",
        "{\"type\":\"ADDED\" \"object\":{}}", "{\"type\":\"ADDED\",\"obj\":{}}", "\"type\"", "{\"type\":1,\"object\":{}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        seen_t s;
        skiff_api_client_watch_t *w = watch(&s);
        char line[256];
        snprintf(line, sizeof line, "%s\n{\"type\":\"BOOKMARK\",\"object\":{}}\n", bad[i]);
        feed(w, line, 5);
        assert_int_equal(s.n, 1);
        assert_string_equal(s.type[0], "BOOKMARK");
        assert_string_equal(s.obj[0], "{}");
        done(w);
    }
    /* a line without its newline is kept for the next chunk */
    seen_t s;
    skiff_api_client_watch_t *w = watch(&s);
    feed(w, "{\"type\":\"ADDED\",\"object\":{}}", 100);
    assert_int_equal(s.n, 0);
    feed(w, "\n", 1);
    assert_int_equal(s.n, 1);
    done(w);
}

/* The in-place path trusts the line's end for the object's end, as before:
 * an object cut short still reaches the consumer, whose parse refuses it. */
static void test_object_not_scanned(void **state)
{
    (void)state;
    seen_t s;
    skiff_api_client_watch_t *w = watch(&s);
    feed(w, "{\"type\":\"ADDED\",\"object\":{\"a\":[}\n", 100);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.obj[0], "{\"a\":[");
    done(w);
}

/* ---- the bind echo (core/sched/api_link.c: sched_api_link_echo_facts) -------
 * what the scheduler reads from a pod watch event's text, without a parse,
 * to tell the echo of its own bind, and the texts it leaves to the parse. */

/* the facts of `text` held in a buffer of its exact size: 0 and key/node, or -1 */
static int echo_facts(const char *text, char *key, size_t keylen, char *node, size_t nodelen)
{
    size_t n;
    char *b = exact(text, &n);
    const char *nv, *nve;
    int rc = sched_api_link_echo_facts(b, n, key, keylen, &nv, &nve);
    if (rc == 0) {
        assert_true(nv >= b && nve <= b + n && nve - nv >= 2);
        assert_int_equal(skiff_jscan_str(nv, nve, node, nodelen), 0);
    }
    free(b);
    return rc;
}

static const char BOUND[] =
    "{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"prod\",\"uid\":\"u1\",\"labels\":{\"a\":\"b\\\"}\"},"
    "\"managedFields\":[{\"manager\":\"m\",\"fieldsV1\":{\"f:spec\":{}}}]},"
    "\"spec\":{\"nodeName\":\"node-7\",\"containers\":[{\"name\":\"c\",\"args\":[\"\\\\\",\"}\"]}]},"
    "\"status\":{\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"True\"}]}}";

static void test_bound_pod(void **state)
{
    (void)state;
    char key[520], node[256];
    assert_int_equal(echo_facts(BOUND, key, sizeof key, node, sizeof node), 0);
    assert_string_equal(key, "prod/web-1");
    assert_string_equal(node, "node-7");
    /* namespace absent: default; nodeName not first in spec; whitespace */
    assert_int_equal(echo_facts(" { \"metadata\" : { \"name\" : \"a\" } , \"spec\" : { \"x\" : [ \"{\" ] , "
                           "\"nodeName\" : \"n\" } }",
                           key, sizeof key, node, sizeof node),
                     0);
    assert_string_equal(key, "default/a");
    assert_string_equal(node, "n");
    /* spec before metadata (not our print, still read) */
    assert_int_equal(echo_facts("{\"spec\":{\"nodeName\":\"n2\"},\"metadata\":{\"namespace\":\"x\",\"name\":\"b\"}}", key,
                           sizeof key, node, sizeof node),
                     0);
    assert_string_equal(key, "x/b");
    assert_string_equal(node, "n2");
}

static void test_left_to_the_parse(void **state)
{
    (void)state;
    char key[520], node[256];
    const char *texts[] = {
        "{\"metadata\":{\"name\":\"a\"},\"spec\":{}}",                       /* not bound */
        "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"nodeName\":null}}",
        "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"nodeName\":1}}",
        "{\"metadata\":{\"namespace\":\"x\"},\"spec\":{\"nodeName\":\"n\"}}", /* no name */
        "{\"metadata\":{\"name\":\"a\\u0062\"},\"spec\":{\"nodeName\":\"n\"}}", /* escapes in the name */
        "{\"metadata\":{\"name\":\"a\",\"namespace\":\"\\\"\"},\"spec\":{\"nodeName\":\"n\"}}",
        "{\"metadata\":{\"name\":1},\"spec\":{\"nodeName\":\"n\"}}",
        "{\"metadata\":[],\"spec\":{\"nodeName\":\"n\"}}",
        "{\"metadata\":{\"name\":\"a\"},\"spec\":[{\"nodeName\":\"n\"}]}",
        "{\"metadata\":{\"name\":\"a\"},\"sp\\u0065c\":{\"nodeName\":\"n\"}}", /* an escaped key on the way */
        "{\"metadata\":{\"name\":\"a\"} \"spec\":{\"nodeName\":\"n\"}}",     /* a comma missing */
        "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"nodeName\":\"n}}",       /* unterminated */
        "[]", "", "{", "null",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        if (echo_facts(texts[i], key, sizeof key, node, sizeof node) != -1) fail_msg("read: %s", texts[i]);
    /* a key that does not fit */
    assert_int_equal(echo_facts(BOUND, key, 8, node, sizeof node), -1);
}

/* every prefix: no crash, no read past the end; the facts only once the
 * nodeName string and the name are inside */
static void test_echo_truncated(void **state)
{
    (void)state;
    size_t full = strlen(BOUND), need = (size_t)(strstr(BOUND, "\"node-7\"") - BOUND) + 8;
    char key[520], node[256] = "";
    size_t read = 0;
    for (size_t i = 0; i <= full; i++) {
        char *t = malloc(i + 1);
        assert_non_null(t);
        memcpy(t, BOUND, i);
        t[i] = '\0';
        read += echo_facts(t, key, sizeof key, node, sizeof node) == 0;
        free(t);
        if (read != (i >= need ? i + 1 - need : 0)) fail_msg("prefix of %zu bytes: %s", i, read ? "read" : "not read");
    }
    assert_string_equal(node, "node-7");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ws),
        cmocka_unit_test(test_skip),
        cmocka_unit_test(test_key),
        cmocka_unit_test(test_members),
        cmocka_unit_test(test_next),
        cmocka_unit_test(test_at),
        cmocka_unit_test(test_str),
        cmocka_unit_test(test_str_eq),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_managed_fields_span),
        cmocka_unit_test(test_in_place),
        cmocka_unit_test(test_parsed),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_object_not_scanned),
        cmocka_unit_test(test_bound_pod),
        cmocka_unit_test(test_left_to_the_parse),
        cmocka_unit_test(test_echo_truncated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
