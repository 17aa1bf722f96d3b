/* core/manifest/json_fast against the full decoder (validating scan + cJSON
 * + duplicate check): for every document the fast path accepts, the same
 * tree (types, numbers bit for bit, texts, names, links); every document
 * the full decoder refuses, the fast path refuses too; and the trees work
 * with cJSON's own Duplicate/Compare/Delete/Print. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "manifest/manifest.h"
#include "manifest/manifest_int.h"

static void same_tree(const cJSON *a, const cJSON *b, const char *doc)
{
    if ((a->type & 0xFF) != (b->type & 0xFF)) fail_msg("type %d vs %d in %s", a->type, b->type, doc);
    if ((a->string == NULL) != (b->string == NULL) || (a->string && strcmp(a->string, b->string)))
        fail_msg("member name differs in %s", doc);
    if ((a->valuestring == NULL) != (b->valuestring == NULL) || (a->valuestring && strcmp(a->valuestring, b->valuestring)))
        fail_msg("text differs in %s", doc);
    if (a->valueint != b->valueint) fail_msg("valueint %d vs %d in %s", a->valueint, b->valueint, doc);
    if (memcmp(&a->valuedouble, &b->valuedouble, sizeof(double)) != 0)
        fail_msg("valuedouble %.17g vs %.17g in %s", a->valuedouble, b->valuedouble, doc);
    const cJSON *x = a->child, *y = b->child;
    if (x && x->prev == NULL) fail_msg("first child without prev in %s", doc);
    for (; x && y; x = x->next, y = y->next) {
        same_tree(x, y, doc);
        if (!x->next && a->child->prev != x) fail_msg("head->prev is not the tail in %s", doc);
        if (x->next && x->next->prev != x) fail_msg("broken prev link in %s", doc);
    }
    if (x || y) fail_msg("child count differs in %s", doc);
}

/* 1 accepted by the full path (tree in *out), 0 refused */
static int full(const char *doc, size_t len, cJSON **out)
{
    skiff_error_t err;
    skiff_manifest_opts_t o = { .max_depth = 16 };
    skiff_manifest_json_fast_off = 1;
    int rc = skiff_manifest_decode_json(doc, len, &o, out, &err);
    skiff_manifest_json_fast_off = 0;
    return rc == 0;
}

static int checked; /* documents the fast path decoded */

static void check_doc(const char *doc, size_t len)
{
    cJSON *want = NULL, *got = NULL;
    int ok = full(doc, len, &want);
    int rc = skiff_manifest_json_fast(doc, len, 16, &got);
    assert_true(rc == 0 || rc == 1);
    if (rc == 0) {
        if (!ok) fail_msg("fast path accepted what the full path refuses: %.*s", (int)len, doc);
        same_tree(got, want, doc);
        checked++;
        /* cJSON's own operations on a fast tree */
        cJSON *dup = cJSON_Duplicate(got, 1);
        assert_non_null(dup);
        assert_true(cJSON_Compare(dup, want, 1));
        char *p1 = cJSON_PrintUnformatted(got), *p2 = cJSON_PrintUnformatted(want);
        assert_string_equal(p1, p2);
        free(p1);
        free(p2);
        cJSON_Delete(got); /* the duplicate must not depend on it */
        char *p3 = cJSON_PrintUnformatted(dup);
        assert_non_null(p3);
        free(p3);
        cJSON_Delete(dup);
    }
    cJSON_Delete(want);
    /* the public face: cJSON_ParseWithLength's tree, or NULL where it fails */
    cJSON *p = skiff_manifest_parse_json(doc, len), *q = cJSON_ParseWithLength(doc, len);
    if (!q) assert_null(p);
    else {
        assert_non_null(p);
        same_tree(p, q, doc);
    }
    cJSON_Delete(p);
    cJSON_Delete(q);
}

static void documents(void **state)
{
    (void)state;
    const char *docs[] = {
        "{}", "[]", " { } ", "\t[\n]\r\n", "null", "true", "false", "0", "-0", "1", "-1", "12345", "\"s\"", "\"\"",
        "123456789012345", "-123456789012345", "1234567890123456", "9007199254740993", "2147483647", "2147483648",
        "-2147483648", "-2147483649", "0.5", "-0.0", "1e3", "1E-3", "1.5e+300", "1e400", "-1e400", "1e-400",
        "0.1", "3.141592653589793", "01", "1.", ".5", "-", "+1", "1e", "1e+",
        "{\"a\":1}", "{\"a\":1,\"a\":2}", "{\"a\":{\"b\":[1,2,{\"c\":null}]},\"d\":true,\"e\":false,\"f\":\"g\"}",
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"labels\":{\"app\":\"x\",\"zz-unknown\":\"y\"}},"
        "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\",\"ports\":[{\"containerPort\":80}]}]}}",
        "{\"s\":\"quote \\\" back \\\\ slash \\/ b \\b f \\f n \\n r \\r t \\t\"}",
        "{\"u\":\"\\u00e9\"}", "{\"u\":\"\\u0000\"}", "{\"u\":\"\\ud800\"}", "{\"k\\n\":1}", "{\"k\\u0041\":1}",
        "{\"x\":\"\xc3\xa9t\xc3\xa9\"}", "{\"x\":\"\xff\"}", "{\"x\":\"\xc3\"}", "{\"\xc3\xa9\":1}",
        "\xef\xbb\xbf{}", "{} x", "{},", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "[1 2]", "{\"a\":tru}",
        "[nul]", "\"unterminated", "{\"a\":\"ctl\x01\"}", "[\"tab\tinside\"]", "\x0c{}", "{}\x0b",
        "[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]", "[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]",
        "{\"a\":{},\"b\":[],\"c\":[{}],\"d\":[[]]}", "[\"\",\"\",{\"\":\"\"}]",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) check_doc(docs[i], strlen(docs[i]));
    /* embedded NUL */
    check_doc("{\"a\":1}\0", 8);
    check_doc("[\"a\0b\"]", 7);
    /* objects around the pairwise-duplicate width */
    char wide[4096];
    for (int n = 30; n <= 34; n++) {
        size_t o = 0;
        o += (size_t)snprintf(wide + o, sizeof wide - o, "{");
        for (int k = 0; k < n; k++) o += (size_t)snprintf(wide + o, sizeof wide - o, "%s\"k%d\":%d", k ? "," : "", k, k);
        snprintf(wide + o, sizeof wide - o, "}");
        check_doc(wide, strlen(wide));
    }
    assert_true(checked > 20);
}

/* Random documents, and random corruptions of them. */
static void emit_random(char *buf, size_t *o, size_t cap, int depth)
{
#define PUT(...) do { if (*o < cap) *o += (size_t)snprintf(buf + *o, cap - *o, __VA_ARGS__); } while (0)
    static const char *const ws[] = { "", " ", "\n", "\t ", "\r\n" };
    static const char *const strs[] = { "a", "", "name", "metadata", "x y", "\\\"q\\\"", "\\\\", "\\n\\t",
                                        "\xc3\xa9", "\\u00e9", "spec", "labels", "k\\/v" };
    static const char *const nums[] = { "0", "-0", "7", "-42", "100000", "2147483647", "-2147483648", "4294967296",
                                        "123456789012345", "0.25", "-1.5e3", "6.02e23", "1e-7", "3.0" };
    PUT("%s", ws[rand() % 5]);
    int k = rand() % (depth > 5 ? 5 : 7);
    switch (k) {
    case 0: PUT("%s", rand() % 2 ? "true" : rand() % 2 ? "false" : "null"); break;
    case 1: PUT("%s", nums[rand() % 14]); break;
    case 2:
    case 3: PUT("\"%s\"", strs[rand() % 13]); break;
    case 4: PUT("%d", rand() % 100000 - 50000); break;
    case 5: {
        PUT("[");
        int n = rand() % 4;
        for (int i = 0; i < n; i++) {
            if (i) PUT(",");
            emit_random(buf, o, cap, depth + 1);
        }
        PUT("%s]", ws[rand() % 5]);
        break;
    }
    default: {
        PUT("{");
        int n = rand() % 5;
        for (int i = 0; i < n; i++) {
            PUT("%s%s\"%s%d\"%s:", i ? "," : "", ws[rand() % 5], strs[rand() % 13], rand() % 6, ws[rand() % 5]);
            emit_random(buf, o, cap, depth + 1);
        }
        PUT("%s}", ws[rand() % 5]);
    }
    }
    PUT("%s", ws[rand() % 5]);
#undef PUT
}

static void random_docs(void **state)
{
    (void)state;
    srand(5);
    char buf[8192];
    checked = 0;
    for (int i = 0; i < 5000; i++) {
        size_t o = 0;
        emit_random(buf, &o, sizeof buf - 1, 0);
        if (o >= sizeof buf - 1) continue;
        check_doc(buf, o);
        /* corruptions: a byte changed, a byte dropped, cut short */
        char m[8192];
        memcpy(m, buf, o);
        size_t at = (size_t)rand() % o;
        m[at] = (char)(rand() % 256);
        check_doc(m, o);
        memcpy(m, buf, o);
        memmove(m + at, m + at + 1, o - at - 1);
        check_doc(m, o - 1);
        check_doc(buf, at);
    }
    assert_true(checked > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(documents),
        cmocka_unit_test(random_docs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
