/* core/sched/api_link's echo facts: what the scheduler reads from a pod
 * watch event's text, without a parse, to tell the echo of its own bind —
 * the pod's "namespace/name" and spec.nodeName's string — and the texts it
 * leaves to the parse (no nodeName string, escapes, odd shapes, malformed or
 * truncated text). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/jscan.h"
#include "sched/api_link.h"

/* the facts of `text` held in a buffer of its exact size: 0 and key/node, or -1 */
static int facts(const char *text, char *key, size_t keylen, char *node, size_t nodelen)
{
    size_t n = strlen(text);
    char *b = malloc(n ? n : 1);
    assert_non_null(b);
    memcpy(b, text, n);
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
    assert_int_equal(facts(BOUND, key, sizeof key, node, sizeof node), 0);
    assert_string_equal(key, "prod/web-1");
    assert_string_equal(node, "node-7");
    /* namespace absent: default; nodeName not first in spec; whitespace */
    assert_int_equal(facts(" { \"metadata\" : { \"name\" : \"a\" } , \"spec\" : { \"x\" : [ \"{\" ] , "
                           "\"nodeName\" : \"n\" } }",
                           key, sizeof key, node, sizeof node),
                     0);
    assert_string_equal(key, "default/a");
    assert_string_equal(node, "n");
    /* spec before metadata (not our print, still read) */
    assert_int_equal(facts("{\"spec\":{\"nodeName\":\"n2\"},\"metadata\":{\"namespace\":\"x\",\"name\":\"b\"}}", key,
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
        if (facts(texts[i], key, sizeof key, node, sizeof node) != -1) fail_msg("read: %s", texts[i]);
    /* a key that does not fit */
    assert_int_equal(facts(BOUND, key, 8, node, sizeof node), -1);
}

/* every prefix: no crash, no read past the end; the facts only once the
 * nodeName string and the name are inside */
static void test_truncated(void **state)
{
    (void)state;
    size_t full = strlen(BOUND), need = (size_t)(strstr(BOUND, "\"node-7\"") - BOUND) + 8;
    char key[520], node[256];
    for (size_t i = 0; i <= full; i++) {
        char *t = malloc(i + 1);
        assert_non_null(t);
        memcpy(t, BOUND, i);
        t[i] = '\0';
        assert_int_equal(facts(t, key, sizeof key, node, sizeof node), i >= need ? 0 : -1);
        free(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bound_pod),
        cmocka_unit_test(test_left_to_the_parse),
        cmocka_unit_test(test_truncated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
