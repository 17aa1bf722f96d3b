/* core/api/client's watch stream splitting (skiff_api_watch_feed): lines
 * cut anywhere across chunks; the usual {"type":"T","object":{...}} handed
 * over in place, byte for byte (whitespace kept, escapes untouched); other
 * shapes parsed (their object printed again); malformed or truncated lines
 * dropped without a callback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/client_int.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_place),
        cmocka_unit_test(test_parsed),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_object_not_scanned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
