/* core/api/json_print against cJSON_PrintUnformatted itself: the same bytes
 * for every kind of value (numbers of every shape, every byte in strings,
 * Raw items, empty and nested containers) and the same failures. */
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

#include "api/json_print.h"

static void same_as_cjson(const cJSON *item)
{
    char *want = cJSON_PrintUnformatted(item);
    size_t len = 0;
    char *got = skiff_api_json_print(item, 0, &len);
    if (!want) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_int_equal(len, strlen(want));
    if (strcmp(want, got) != 0) fail_msg("want %s\ngot  %s", want, got);
    /* appended after existing text too */
    skiff_api_buf_t b;
    skiff_api_buf_init(&b);
    skiff_api_buf_puts(&b, "x");
    assert_int_equal(skiff_api_json_print_to(&b, item), 0);
    assert_string_equal(b.data + 1, want);
    skiff_api_buf_free(&b);
    free(want);
    free(got);
}

static void numbers(void **state)
{
    (void)state;
    const double v[] = { 0, -0.0, 1, -1, 7, 42, 100, 2147483647.0, -2147483648.0, 2147483648.0, -2147483649.0,
                         4294967296.0, 9007199254740991.0, -9007199254740991.0, 1e15, 1e16, 1e17, 1e21, 1e300, -1e300,
                         0.1, 0.5, 1.5, -2.25, 3.14159265358979, 0.30000000000000004, 1.0 / 3, 2.0 / 3, 1e-7, 5e-324,
                         2.2250738585072014e-308, 1.7976931348623157e308, 123456.789, 0.000123, NAN, INFINITY, -INFINITY };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        cJSON *n = cJSON_CreateNumber(v[i]);
        same_as_cjson(n);
        cJSON *a = cJSON_CreateArray();
        cJSON_AddItemToArray(a, n);
        same_as_cjson(a);
        cJSON_Delete(a);
    }
    /* valuedouble written directly (valueint out of step): the double is
     * what is printed */
    cJSON *n = cJSON_CreateNumber(5);
    n->valuedouble = 5.5;
    same_as_cjson(n);
    n->valuedouble = 1e14 + 1;
    same_as_cjson(n);
    n->valuedouble = -999999999999999.0;
    same_as_cjson(n);
    cJSON_Delete(n);
    srand(7);
    for (int i = 0; i < 20000; i++) {
        double d;
        switch (i % 4) {
        case 0: d = (double)(rand() - RAND_MAX / 2) * (rand() % 3 ? 1 : 1e6 + rand()); break;
        case 1: d = (double)rand() / (double)(rand() + 1); break;
        case 2: d = ldexp((double)rand(), rand() % 200 - 100); break;
        default: {
            uint64_t bits = ((uint64_t)rand() << 42) ^ ((uint64_t)rand() << 21) ^ (uint64_t)rand();
            memcpy(&d, &bits, sizeof d);
        }
        }
        cJSON *x = cJSON_CreateNumber(d);
        same_as_cjson(x);
        cJSON_Delete(x);
    }
}

static void strings(void **state)
{
    (void)state;
    char s[300];
    /* every byte but NUL, in runs and alone */
    for (int c = 1; c < 256; c++) {
        snprintf(s, sizeof s, "a%cb", c);
        cJSON *x = cJSON_CreateString(s);
        same_as_cjson(x);
        cJSON_Delete(x);
    }
    for (int c = 1; c < 256; c++) s[c - 1] = (char)c;
    s[255] = '\0';
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, s, s);
    cJSON_AddStringToObject(o, "", "");
    cJSON_AddStringToObject(o, "plain", "text with spaces / and unicode \xc3\xa9");
    cJSON_AddStringToObject(o, "q", "\"");
    cJSON_AddStringToObject(o, "bs", "\\");
    same_as_cjson(o);
    /* a string item without text prints as "" (cJSON does the same) */
    cJSON *ns = cJSON_CreateString("x");
    free(ns->valuestring);
    ns->valuestring = NULL;
    cJSON_AddItemToObject(o, "nulls", ns);
    same_as_cjson(o);
    cJSON_Delete(o);
}

static void shapes(void **state)
{
    (void)state;
    const char *docs[] = {
        "{}", "[]", "null", "true", "false", "\"s\"", "0", "[[],{},[[]],{\"a\":{}}]",
        "{\"a\":1,\"b\":[1,2,{\"c\":null,\"d\":true,\"e\":false}],\"f\":\"g\",\"h\":-0.5}",
        "{\"metadata\":{\"name\":\"p\",\"labels\":{\"a\":\"b\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\","
        "\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}],\"resources\":{}}],\"terminationGracePeriodSeconds\":30}}",
        "{\"dup\":1,\"dup\":2}",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        cJSON *j = cJSON_Parse(docs[i]);
        assert_non_null(j);
        same_as_cjson(j);
        cJSON_Delete(j);
    }
    /* Raw items, with and without text */
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "raw", cJSON_CreateRaw("[{\"x\":1}]"));
    same_as_cjson(o);
    cJSON *r = cJSON_CreateRaw("");
    free(r->valuestring);
    r->valuestring = NULL;
    cJSON_AddItemToObject(o, "bad", r);
    same_as_cjson(o); /* both fail */
    cJSON_Delete(o);
    /* an item of no known type fails in both */
    cJSON *a = cJSON_CreateArray();
    cJSON *inv = cJSON_CreateNull();
    inv->type = cJSON_Invalid;
    cJSON_AddItemToArray(a, inv);
    same_as_cjson(a);
    inv->type = cJSON_String | cJSON_Number;
    same_as_cjson(a);
    /* flags above the type byte are ignored by both */
    inv->type = cJSON_NULL | cJSON_IsReference;
    same_as_cjson(a);
    cJSON_Delete(a);
    /* a member without a name prints as "" */
    cJSON *k = cJSON_CreateObject();
    cJSON_AddNumberToObject(k, "n", 1);
    free(k->child->string);
    k->child->string = NULL;
    same_as_cjson(k);
    cJSON_Delete(k);
    assert_null(skiff_api_json_print(NULL, 0, NULL));
}

/* Random trees of every kind of value, compared whole. */
static cJSON *random_tree(int depth)
{
    int k = rand() % (depth > 4 ? 6 : 8);
    char s[24];
    switch (k) {
    case 0: return cJSON_CreateNull();
    case 1: return cJSON_CreateBool(rand() & 1);
    case 2: return cJSON_CreateNumber(rand() % 3 ? (double)(rand() % 100000) : (double)rand() / 977.0);
    case 3:
    case 4:
    case 5: {
        int n = rand() % 12;
        for (int i = 0; i < n; i++) s[i] = (char)(1 + rand() % 255);
        s[n] = '\0';
        return cJSON_CreateString(s);
    }
    case 6: {
        cJSON *a = cJSON_CreateArray();
        for (int i = rand() % 5; i > 0; i--) cJSON_AddItemToArray(a, random_tree(depth + 1));
        return a;
    }
    default: {
        cJSON *o = cJSON_CreateObject();
        for (int i = rand() % 6; i > 0; i--) {
            snprintf(s, sizeof s, "k%d\"\\\x01", rand() % 50);
            cJSON_AddItemToObject(o, s, random_tree(depth + 1));
        }
        return o;
    }
    }
}

static void random_trees(void **state)
{
    (void)state;
    srand(11);
    for (int i = 0; i < 2000; i++) {
        cJSON *t = random_tree(0);
        same_as_cjson(t);
        cJSON_Delete(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(numbers),
        cmocka_unit_test(strings),
        cmocka_unit_test(shapes),
        cmocka_unit_test(random_trees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
