/* Tests for core/manifest: YAML/JSON decoding rules, errors with positions,
 * limits, encoding and round trips. The YAML 1.1 expectations were checked
 * against sigs.k8s.io/yaml.YAMLToJSON (what kubectl 1.32 uses). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "manifest/manifest.h"

static const skiff_manifest_opts_t Y11 = {.flags = SKIFF_MANIFEST_YAML11};

/* Decode a YAML stream and compare with the expected JSON array text. */
static void want_docs(const char *yaml, const skiff_manifest_opts_t *o, const char *want_json)
{
    cJSON *docs = NULL;
    skiff_error_t err = {0};
    int rc = skiff_manifest_decode_yaml(yaml, strlen(yaml), o, &docs, &err);
    if (rc) print_error("decode %s: %s\n", yaml, err.msg);
    assert_int_equal(rc, 0);
    cJSON *want = cJSON_Parse(want_json);
    assert_non_null(want);
    if (!cJSON_Compare(docs, want, 1)) {
        char *got = cJSON_PrintUnformatted(docs);
        print_error("yaml %s\n  got  %s\n  want %s\n", yaml, got, want_json);
        free(got);
    }
    assert_true(cJSON_Compare(docs, want, 1));
    cJSON_Delete(want);
    cJSON_Delete(docs);
}

/* One document: {"a": <value>} from "a: <text>". */
static void want_value(const char *text, const skiff_manifest_opts_t *o, const char *want_value_json)
{
    char yaml[256], want[256];
    snprintf(yaml, sizeof yaml, "a: %s\n", text);
    snprintf(want, sizeof want, "[{\"a\": %s}]", want_value_json);
    want_docs(yaml, o, want);
}

/* Decoding fails with SKIFF_E_INVALID, the message holds `what` and starts
 * with "line L, column C: " when line > 0. */
static void want_error_at(const char *yaml, size_t len, const skiff_manifest_opts_t *o, int line, int col,
                            const char *what)
{
    cJSON *docs = (cJSON *)1;
    skiff_error_t err = {0};
    int rc = skiff_manifest_decode_yaml(yaml, len, o, &docs, &err);
    if (rc != SKIFF_E_INVALID || !strstr(err.msg, what)) print_error("yaml %s: rc=%d msg=%s\n", yaml, rc, err.msg);
    assert_int_equal(rc, SKIFF_E_INVALID);
    assert_null(docs);
    assert_non_null(strstr(err.msg, what));
    if (line > 0) {
        char pos[64];
        snprintf(pos, sizeof pos, "line %d, column %d: ", line, col);
        if (strncmp(err.msg, pos, strlen(pos)) != 0) print_error("want %s got %s\n", pos, err.msg);
        assert_int_equal(strncmp(err.msg, pos, strlen(pos)), 0);
    }
}

static void want_error(const char *yaml, const skiff_manifest_opts_t *o, int line, int col, const char *what)
{
    want_error_at(yaml, strlen(yaml), o, line, col, what);
}

static void test_scalars_default(void **state)
{
    /* plain scalars that are JSON values */
    want_value("12", NULL, "12");
    want_value("-12", NULL, "-12");
    want_value("+12", NULL, "12");
    want_value("0", NULL, "0");
    want_value("-0", NULL, "0");
    want_value("1.5", NULL, "1.5");
    want_value(".5", NULL, "0.5");
    want_value("-.5", NULL, "-0.5");
    want_value("1.", NULL, "1");
    want_value("1e3", NULL, "1000");
    want_value("1E-3", NULL, "0.001");
    want_value("2.5e+2", NULL, "250");
    want_value("true", NULL, "true");
    want_value("True", NULL, "true");
    want_value("TRUE", NULL, "true");
    want_value("false", NULL, "false");
    want_value("FALSE", NULL, "false");
    want_value("null", NULL, "null");
    want_value("Null", NULL, "null");
    want_value("NULL", NULL, "null");
    want_value("~", NULL, "null");
    want_value("", NULL, "null");
    /* YAML 1.1-only forms stay strings */
    const char *strings[] = {"on", "On", "ON", "off", "Off", "OFF", "yes", "Yes", "YES", "no", "No", "NO",
                             "y", "Y", "n", "N", "0755", "00", "08", "0o17", "0x1F", "0X1f", "0b101", "-0x10",
                             "1_000", "1:30", "190:20:30", "2001-12-14", "2001-12-14T21:59:43.10-05:00", "nULL",
                             "tRUE", ".", "1e", "12e", "1.5.5", "0755.5", "100m", "1Gi", "abc", "1.2.3", "+", "v1"};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        char want[64];
        snprintf(want, sizeof want, "\"%s\"", strings[i]);
        want_value(strings[i], NULL, want);
    }
    /* a double overflow stays a string, as kubectl leaves it */
    want_value("1e400", NULL, "\"1e400\"");
    /* quoted and block scalars are always strings */
    want_value("\"123\"", NULL, "\"123\"");
    want_value("'true'", NULL, "\"true\"");
    want_value("\"null\"", NULL, "\"null\"");
    want_value("''", NULL, "\"\"");
    want_value("'0755'", NULL, "\"0755\"");
    want_docs("a: |\n  123\n", NULL, "[{\"a\": \"123\\n\"}]");
    want_docs("a: >-\n  true\n", NULL, "[{\"a\": \"true\"}]");
    /* explicit tags */
    want_value("!!str 123", NULL, "\"123\"");
    want_value("!!str true", NULL, "\"true\"");
    want_value("!!int \"12\"", NULL, "12");
    want_value("!!float \"1\"", NULL, "1");
    want_value("!!bool \"true\"", NULL, "true");
    want_value("!!null ''", NULL, "null");
    want_value("! 12", NULL, "\"12\"");
    want_value("!!binary aGVsbG8=", NULL, "\"aGVsbG8=\"");
    want_error("a: !!int abc\n", NULL, 1, 4, "cannot use \"abc\" as tag:yaml.org,2002:int");
    want_error("a: !!bool on\n", NULL, 1, 4, "as tag:yaml.org,2002:bool");
    want_value("!custom 12", NULL, "\"12\"");      /* unknown tags leave a string */
    want_value("!!timestamp 2001-12-14", NULL, "\"2001-12-14\"");
    want_value("!!set {x: 1}", NULL, "{\"x\": 1}"); /* ignored on collections */
    want_value("!foo [1]", NULL, "[1]");
    /* JSON has no infinities */
    want_error("a: .inf\n", NULL, 1, 4, ".inf cannot be represented in JSON");
    want_error("a: -.Inf\n", NULL, 1, 4, "cannot be represented in JSON");
    want_error("a: .NaN\n", NULL, 1, 4, "cannot be represented in JSON");
    want_value("'.inf'", NULL, "\".inf\"");
}

/* YAML 1.1 as kubectl reads it (expected values from sigs.k8s.io/yaml). */
static void test_scalars_yaml11(void **state)
{
    want_value("on", &Y11, "true");
    want_value("On", &Y11, "true");
    want_value("YES", &Y11, "true");
    want_value("y", &Y11, "true");
    want_value("Y", &Y11, "true");
    want_value("off", &Y11, "false");
    want_value("no", &Y11, "false");
    want_value("n", &Y11, "false");
    want_value("0755", &Y11, "493");
    want_value("0644", &Y11, "420");
    want_value("0x1F", &Y11, "31");
    want_value("0o17", &Y11, "15");
    want_value("0b101", &Y11, "5");
    want_value("-0b101", &Y11, "-5");
    want_value("+0x10", &Y11, "16");
    want_value("08", &Y11, "8");       /* not octal: go-yaml falls back to a float */
    want_value("1_000", &Y11, "1000"); /* underscores are dropped */
    want_value("1:30", &Y11, "\"1:30\"");
    want_value("2001-12-14", &Y11, "\"2001-12-14\"");
    want_value("1e3", &Y11, "1000");
    want_value(".5", &Y11, "0.5");
    want_value("0.", &Y11, "0");
    want_value("~", &Y11, "null");
    want_value("\"on\"", &Y11, "\"on\"");
    want_value("'0755'", &Y11, "\"0755\"");
    want_value("0xZZ", &Y11, "\"0xZZ\"");
    want_value("1e400", &Y11, "\"1e400\"");
    want_docs("on: 1\n", &Y11, "[{\"true\": 1}]");
    want_docs("y: 1\n", &Y11, "[{\"true\": 1}]");
    want_docs("0x10: a\n", &Y11, "[{\"16\": \"a\"}]");
    /* past uint64 go-yaml makes a float; as a float32 key that is +Inf (found by the fuzzer) */
    want_docs("222222222222222222222222222222222222222222222222222222222222222222: x\n"
              "-222222222222222222222222222222222222222222222222222222222222222222: y\n",
              &Y11, "[{\".inf\": \"x\", \"-.inf\": true}]");
    /* the same keys are strings by default */
    want_docs("on: 1\ny: 2\n0x10: a\n", NULL, "[{\"on\": 1, \"y\": 2, \"0x10\": \"a\"}]");
    /* a realistic case: a secret volume's mode */
    want_docs("defaultMode: 0644\n", &Y11, "[{\"defaultMode\": 420}]");
    want_docs("defaultMode: 0644\n", NULL, "[{\"defaultMode\": \"0644\"}]");
    want_error("a: on\nb: .inf\n", &Y11, 2, 4, "cannot be represented in JSON");
}

static void test_keys_conversion(void **state)
{
    /* sigs.k8s.io/yaml formats float keys with FormatFloat(f, 'g', -1, 32) */
    want_docs("1.5: a\n1e6: b\n0.1: c\n0.00001: d\n1234567.0: e\n", NULL,
                "[{\"1.5\": \"a\", \"1e+06\": \"b\", \"0.1\": \"c\", \"1e-05\": \"d\", \"1.234567e+06\": \"e\"}]");
    want_docs("9223372036854775807: big\n", NULL, "[{\"9223372036854775807\": \"big\"}]"); /* exact as a key */
    want_docs("\"1\": a\n'true': b\n", NULL, "[{\"1\": \"a\", \"true\": \"b\"}]");
    want_error("~: a\n", NULL, 1, 1, "a mapping key cannot be null");
    want_error("a: 1\nnull: 2\n", NULL, 2, 1, "a mapping key cannot be null");
    want_error("? [1, 2]\n: a\n", NULL, 1, 3, "a mapping key must be a string, number or boolean, not a sequence");
    want_error("? {x: 1}\n: a\n", NULL, 1, 3, "not a mapping");
    want_error("{[1]: a}\n", NULL, 1, 2, "not a sequence");
    /* duplicates, after conversion */
    want_error("a: 1\nb: 2\na: 3\n", NULL, 3, 1, "duplicate key \"a\" (first at line 1, column 1)");
    want_error("1: x\n\"1\": y\n", NULL, 2, 1, "duplicate key \"1\"");
    want_error("1: x\n1.0: y\n", NULL, 2, 1, "duplicate key \"1\"");
    want_error("on: 1\ntrue: 2\n", &Y11, 2, 1, "duplicate key \"true\"");
    want_docs("on: 1\ntrue: 2\n", NULL, "[{\"on\": 1, \"true\": 2}]");
    want_error("spec:\n  containers:\n  - name: a\n    image: x\n    name: b\n", NULL, 5, 5, "duplicate key \"name\"");
    /* same key in different mappings is fine */
    want_docs("a: {x: 1}\nb: {x: 2}\n", NULL, "[{\"a\": {\"x\": 1}, \"b\": {\"x\": 2}}]");
}

static void test_duplicates_allowed(void **state)
{
    char warn[200] = "junk";
    skiff_manifest_opts_t o = {.flags = SKIFF_MANIFEST_DUPLICATES_LAST_WINS, .warn_buf = warn, .warn_len = sizeof warn};
    want_docs("a: 1\nb: 2\na: 3\n", &o, "[{\"b\": 2, \"a\": 3}]");
    assert_string_equal(warn, "line 3, column 1: duplicate key \"a\" (first at line 1, column 1); the later value is kept");
    /* only the first is reported; a third occurrence also replaces */
    want_docs("x: {k: 1, k: 2, k: {z: 3}}\ny: 0\ny: 1\n", &o, "[{\"x\": {\"k\": {\"z\": 3}}, \"y\": 1}]");
    assert_non_null(strstr(warn, "line 1, column 11: duplicate key \"k\""));
    /* an anchor on the replaced value still works */
    want_docs("a: &x [1]\na: 2\nb: *x\n", &o, "[{\"a\": 2, \"b\": [1]}]");
    want_docs("a: 1\n", &o, "[{\"a\": 1}]");
    assert_string_equal(warn, ""); /* cleared on entry */
    /* JSON: the last wins too */
    cJSON *doc = NULL;
    skiff_error_t err = {0};
    const char *j = "{\"m\": {\"k\": 1, \"q\": 0, \"k\": 2, \"k\": 3}}";
    assert_int_equal(skiff_manifest_decode_json(j, strlen(j), &o, &doc, &err), 0);
    cJSON *want = cJSON_Parse("{\"m\": {\"q\": 0, \"k\": 3}}");
    assert_true(cJSON_Compare(doc, want, 1));
    assert_string_equal(warn, "duplicate field \"m.k\"");
    cJSON_Delete(want);
    cJSON_Delete(doc);
    assert_int_equal(skiff_manifest_decode_body_opts(j, strlen(j), &o, &doc, &err), 0);
    cJSON_Delete(doc);
}

static void test_multidoc(void **state)
{
    want_docs("", NULL, "[]");
    cJSON *none = NULL;
    skiff_error_t e0 = {0};
    assert_int_equal(skiff_manifest_decode_yaml(NULL, 0, NULL, &none, &e0), 0); /* NULL input is empty */
    assert_int_equal(cJSON_GetArraySize(none), 0);
    cJSON_Delete(none);
    assert_int_equal(skiff_manifest_decode_json(NULL, 0, NULL, &none, &e0), SKIFF_E_INVALID);
    assert_int_equal(skiff_manifest_decode_body(NULL, 0, 0, 0, &none, &e0), SKIFF_E_INVALID);
    want_docs("# only a comment\n", NULL, "[]");
    want_docs("---\n---\n...\n", NULL, "[]");
    want_docs("a: 1\n---\n# empty\n---\nb: 2\n---\nnull\n---\n- x\n", NULL, "[{\"a\": 1}, {\"b\": 2}, [\"x\"]]");
    want_docs("--- hello\n", NULL, "[\"hello\"]");
    want_docs("apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n- kind: Service\n", NULL,
                "[{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [{\"kind\": \"Pod\"}, {\"kind\": \"Service\"}]}]");
    /* anchors do not cross documents */
    want_error("a: &x 1\n---\nb: *x\n", NULL, 3, 4, "alias *x names no anchor");
    /* one-document entry point */
    cJSON *doc = NULL;
    skiff_error_t err = {0};
    const char *two = "a: 1\n---\nb: 2\n";
    assert_int_equal(skiff_manifest_decode_yaml_one(two, strlen(two), NULL, &doc, &err), SKIFF_E_INVALID);
    assert_null(doc);
    assert_non_null(strstr(err.msg, "line 2, column 1: expected one YAML document"));
    assert_int_equal(skiff_manifest_decode_yaml_one("# x\n", 4, NULL, &doc, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "no YAML document"));
    const char *one = "---\n---\nkind: Pod\n---\n";
    assert_int_equal(skiff_manifest_decode_yaml_one(one, strlen(one), NULL, &doc, &err), 0);
    assert_string_equal(cJSON_GetObjectItem(doc, "kind")->valuestring, "Pod");
    cJSON_Delete(doc);
}

static void test_anchors(void **state)
{
    want_docs("a: &x {b: [1, 2]}\nc: *x\nd: &s hi\ne: *s\n", NULL,
                "[{\"a\": {\"b\": [1, 2]}, \"c\": {\"b\": [1, 2]}, \"d\": \"hi\", \"e\": \"hi\"}]");
    want_docs("- &a x\n- *a\n- *a\n", NULL, "[[\"x\", \"x\", \"x\"]]");
    /* an alias of a map member in a sequence */
    want_docs("m: {k: &v {z: 1}}\nl: [*v]\n", NULL, "[{\"m\": {\"k\": {\"z\": 1}}, \"l\": [{\"z\": 1}]}]");
    /* an anchored key reused as a key */
    want_docs("&k name: a\nb: *k\n", NULL, "[{\"name\": \"a\", \"b\": \"name\"}]");
    want_docs("x: &k 5\n*k : y\n", NULL, "[{\"x\": 5, \"5\": \"y\"}]");
    /* redefinition: the latest wins */
    want_docs("a: &x 1\nb: &x 2\nc: *x\n", NULL, "[{\"a\": 1, \"b\": 2, \"c\": 2}]");
    /* merge keys */
    want_docs("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n", NULL,
                "[{\"base\": {\"x\": 1, \"y\": 2}, \"m\": {\"y\": 3, \"x\": 1}}]");
    want_docs("a: &a {x: 1}\nb: &b {x: 2, y: 2}\nm:\n  <<: [*a, *b]\n", NULL,
                "[{\"a\": {\"x\": 1}, \"b\": {\"x\": 2, \"y\": 2}, \"m\": {\"x\": 1, \"y\": 2}}]");
    want_docs("m:\n  y: 0\n  <<: {x: 1, y: 9}\n", NULL, "[{\"m\": {\"y\": 0, \"x\": 1}}]");
    want_docs("<<: {a: 1}\na: 2\n", NULL, "[{\"a\": 2}]");
    want_docs("m:\n  '<<': 1\n", NULL, "[{\"m\": {\"<<\": 1}}]"); /* quoted: an ordinary key */
    want_docs("m:\n  <<: &i {x: 1}\nn: *i\n", NULL, "[{\"m\": {\"x\": 1}, \"n\": {\"x\": 1}}]");
    want_error("m:\n  <<: 5\n", NULL, 2, 7, "the value of a merge key (<<) must be a mapping");
    want_error("m:\n  <<: [{a: 1}, 2]\n", NULL, 2, 7, "must be a mapping or a list of mappings");
    /* unknown, forward and self references */
    want_error("a: *nope\n", NULL, 1, 4, "alias *nope names no anchor");
    want_error("a: *x\nb: &x 1\n", NULL, 1, 4, "alias *x names no anchor");
    want_error("a: &x [1, *x]\n", NULL, 1, 11, "alias *x names no anchor");
    want_error("? *k\n: &k v\n", NULL, 1, 3, "names no anchor");
    want_error("a: &n null\n*n : 1\n", NULL, 2, 1, "used as a mapping key names a null");
    want_error("a: &n [1]\n*n : 1\n", NULL, 2, 1, "used as a mapping key names a sequence");
}

static void test_billion_laughs(void **state)
{
    const char *lol =
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
        "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
        "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
    clock_t t0 = clock();
    want_error(lol, NULL, 0, 0, "past 100000 nodes made by aliases (a \"billion laughs\" document?)");
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    assert_true(secs < 2.0);
    /* a custom budget: 3 copies of a 10-node list fit in 30, not in 29 */
    const char *small = "a: &a [1,2,3,4,5,6,7,8,9]\nb: [*a, *a, *a]\n";
    skiff_manifest_opts_t o = {.max_alias_nodes = 30};
    want_docs(small, &o, "[{\"a\": [1,2,3,4,5,6,7,8,9], \"b\": [[1,2,3,4,5,6,7,8,9],[1,2,3,4,5,6,7,8,9],"
                           "[1,2,3,4,5,6,7,8,9]]}]");
    o.max_alias_nodes = 29;
    want_error(small, &o, 2, 13, "alias *a would expand the input past 29 nodes");
    /* merge keys count too */
    o.max_alias_nodes = 2;
    want_error("a: &a {x: 1, y: 2, z: 3}\nb:\n  <<: *a\n", &o, 0, 0, "past 2 nodes");
}

static char *nested(int depth, const char *open, const char *close, const char *inner)
{
    size_t lo = strlen(open), lc = strlen(close), li = strlen(inner);
    char *s = malloc(lo * (size_t)depth + lc * (size_t)depth + li + 1);
    assert_non_null(s);
    char *p = s;
    for (int i = 0; i < depth; i++, p += lo) memcpy(p, open, lo);
    memcpy(p, inner, li);
    p += li;
    for (int i = 0; i < depth; i++, p += lc) memcpy(p, close, lc);
    *p = '\0';
    return s;
}

static void test_depth(void **state)
{
    char *ok = nested(100, "[", "]", "1");
    cJSON *docs = NULL;
    skiff_error_t err = {0};
    assert_int_equal(skiff_manifest_decode_yaml(ok, strlen(ok), NULL, &docs, &err), 0);
    cJSON_Delete(docs);
    free(ok);
    char *deep = nested(101, "[", "]", "1");
    want_error(deep, NULL, 1, 101, "nesting deeper than 100 levels");
    free(deep);
    /* block mappings */
    char block[16384] = "";
    for (int i = 0; i < 101; i++) {
        char line[300];
        snprintf(line, sizeof line, "%*sk:\n", 2 * i, "");
        strcat(block, line);
    }
    want_error(block, NULL, 101, 201, "nesting deeper than 100 levels");
    /* a huge flow nesting stops at the limit, quickly */
    char *huge = nested(200000, "[", "]", "");
    clock_t t0 = clock();
    want_error(huge, NULL, 1, 101, "nesting deeper than 100 levels");
    assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
    free(huge);
    /* custom limit, and aliases count the depth of what they copy */
    skiff_manifest_opts_t o = {.max_depth = 3};
    want_docs("a: {b: {c: 1}}\n", &o, "[{\"a\": {\"b\": {\"c\": 1}}}]");
    want_error("a: {b: {c: {d: 1}}}\n", &o, 1, 12, "nesting deeper than 3 levels");
    want_error("x: &x {b: {c: 1}}\na: *x\nb: [*x]\n", &o, 3, 5, "alias *x nests deeper than 3 levels");
}

static void test_bad_input(void **state)
{
    want_error("a:\n\tb: 1\n", NULL, 2, 1, "a tab; YAML indentation must use spaces");
    want_error("a: \"abc\n", NULL, 2, 1, "found unexpected end of stream (while scanning a quoted scalar at line 1, "
                                          "column 4)");
    want_error("a: 'abc\nb: 1\n", NULL, 3, 1, "while scanning a quoted scalar at line 1, column 4");
    want_error("a: [1, 2\n", NULL, 2, 1, "while parsing a flow sequence at line 1, column 4");
    want_error("a: {x: 1\n", NULL, 2, 1, "flow mapping");
    want_error("a: b: c\n", NULL, 1, 5, "mapping values are not allowed in this context");
    want_error("a: 1\n b: 2\n", NULL, 2, 3, "mapping values are not allowed");
    want_error("- a\nb: 1\n", NULL, 2, 1, "did not find expected '-' indicator");
    want_error("a: @x\n", NULL, 1, 4, "found character that cannot start any token");
    want_error("a: 1\n!!: x\n", NULL, 0, 0, "");
    /* invalid UTF-8: the reader reports the byte offset */
    want_error("a: ok\nb: \xff\xfe\n", NULL, 2, 4, "invalid leading UTF-8 octet");
    /* NUL characters cannot live in C strings */
    want_error_at("a: \"x\\0y\"\n", 10, NULL, 1, 4, "a NUL character");
    /* big integers: refused, not rounded */
    want_value("9007199254740991", NULL, "9007199254740991");
    want_value("-9007199254740991", NULL, "-9007199254740991");
    want_error("a: 9007199254740992\n", NULL, 1, 4, "integer 9007199254740992 is too large to keep exactly");
    want_error("x: 1\nrv: 12345678901234567890\n", NULL, 2, 5, "quote it to keep it as a string");
    want_error("a: -99999999999999999999999\n", NULL, 1, 4, "too large");
    want_value("\"12345678901234567890\"", NULL, "\"12345678901234567890\"");
    want_value("1e300", NULL, "1e300"); /* floats are doubles */
    /* size limit */
    skiff_manifest_opts_t o = {.max_bytes = 8};
    cJSON *docs = (cJSON *)1;
    skiff_error_t err = {0};
    assert_int_equal(skiff_manifest_decode_yaml("a: 123456\n", 10, &o, &docs, &err), SKIFF_E_TOOLARGE);
    assert_null(docs);
    assert_non_null(strstr(err.msg, "10 bytes, over the limit of 8 bytes"));
}

/* ---- encoding ---- */

static char *encode(const char *json)
{
    cJSON *doc = cJSON_Parse(json);
    assert_non_null(doc);
    char *out = NULL;
    size_t len = 0;
    skiff_error_t err = {0};
    int rc = skiff_manifest_encode_yaml(doc, &out, &len, &err);
    if (rc) print_error("encode %s: %s\n", json, err.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(len, strlen(out));
    cJSON_Delete(doc);
    return out;
}

static void want_encoding(const char *json, const char *want)
{
    char *got = encode(json);
    if (strcmp(got, want) != 0) print_error("json %s\n--- got\n%s--- want\n%s", json, got, want);
    assert_string_equal(got, want);
    free(got);
}

static void test_encode(void **state)
{
    want_encoding("{\"a\": \"on\", \"b\": \"0755\", \"c\": \"123\", \"d\": \"true\", \"e\": \"\", \"f\": \"null\", "
                    "\"g\": \"a: b\", \"h\": \"yes\", \"i\": \"~\", \"j\": \"1.5\", \"k\": \"y\", \"l\": \"0x1F\"}",
                    "a: 'on'\nb: '0755'\nc: '123'\nd: 'true'\ne: ''\nf: 'null'\ng: 'a: b'\nh: 'yes'\ni: '~'\n"
                    "j: '1.5'\nk: 'y'\nl: '0x1F'\n");
    want_encoding("{\"n\": 12, \"f\": 1.5, \"t\": true, \"z\": null, \"neg\": -3, \"big\": 1e20, \"small\": 1e-7}",
                    "'n': 12\nf: 1.5\nt: true\nz: null\nneg: -3\nbig: 1e+20\nsmall: 1e-07\n");
    /* plain where safe, keys quoted by the same rule, order kept */
    want_encoding("{\"zeta\": \"hello world\", \"on\": 1, \"1\": \"x\", \"alpha\": \"nginx:1.25\"}",
                    "zeta: hello world\n'on': 1\n'1': x\nalpha: nginx:1.25\n");
    /* block style, sequences under keys not indented (as kubectl prints) */
    want_encoding("{\"spec\": {\"containers\": [{\"name\": \"a\", \"args\": [\"-c\", \"echo hi\"]}]}}",
                    "spec:\n  containers:\n  - name: a\n    args:\n    - -c\n    - echo hi\n");
    want_encoding("{\"a\": {}, \"b\": [], \"c\": [[1, 2], {}]}", "a: {}\nb: []\nc:\n- - 1\n  - 2\n- {}\n");
    /* multi-line strings as literal blocks */
    want_encoding("{\"script\": \"set -e\\necho hi\\n\"}", "script: |\n  set -e\n  echo hi\n");
    want_encoding("{\"s\": \"no newline\\nat end\"}", "s: |-\n  no newline\n  at end\n");
    /* characters a plain scalar cannot hold */
    want_encoding("{\"a\": \"- x\", \"b\": \"#c\", \"c\": \" lead\", \"d\": \"x #y\", \"e\": \"it's\"}",
                    "a: '- x'\nb: '#c'\nc: ' lead'\nd: 'x #y'\ne: it's\n");
    want_encoding("{\"a\": \"tab\\there\", \"b\": \"cr\\r\\nlf\"}", "a: \"tab\\there\"\nb: \"cr\\r\\nlf\"\n");
    want_encoding("{\"a\": \"caf\xc3\xa9\"}", "a: caf\xc3\xa9\n");
    /* a scalar document */
    char *s = encode("\"on\"");
    assert_non_null(strstr(s, "'on'"));
    free(s);
    /* what cannot be encoded */
    cJSON *raw = cJSON_CreateObject();
    cJSON_AddRawToObject(raw, "r", "{}");
    char *out = (char *)1;
    skiff_error_t err = {0};
    assert_int_equal(skiff_manifest_encode_yaml(raw, &out, NULL, &err), SKIFF_E_INVALID);
    assert_null(out);
    cJSON_Delete(raw);
    cJSON *inf = cJSON_CreateObject();
    cJSON_AddNumberToObject(inf, "x", 1.0 / 0.0);
    assert_int_equal(skiff_manifest_encode_yaml(inf, &out, NULL, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "cannot be written"));
    cJSON_Delete(inf);
    cJSON *bad = cJSON_CreateObject();
    cJSON_AddStringToObject(bad, "x", "\xff\xfe");
    assert_int_equal(skiff_manifest_encode_yaml(bad, &out, NULL, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "not valid UTF-8"));
    cJSON_Delete(bad);
}

static void test_format_number(void **state)
{
    static const struct { double d; const char *s; } cases[] = {
        {0.1, "0.1"}, {1.5, "1.5"}, {0.25, "0.25"}, {100, "100"}, {-3, "-3"}, {0, "0"}, {1e20, "1e+20"},
        {9007199254740991.0, "9007199254740991"}, {9007199254740992.0, "9007199254740992.0"},
        {1.0 / 3, "0.3333333333333333"}, {123456.789, "123456.789"}, {5e-324, "5e-324"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        skiff_manifest_format_number(cases[i].d, buf, sizeof buf);
        assert_string_equal(buf, cases[i].s);
        assert_true(strtod(buf, NULL) == cases[i].d);
    }
}

static void test_encode_stream(void **state)
{
    cJSON *docs = cJSON_Parse("[{\"kind\": \"Pod\"}, {\"kind\": \"Service\"}, [1]]");
    char *out = NULL;
    skiff_error_t err = {0};
    assert_int_equal(skiff_manifest_encode_yaml_stream(docs, &out, NULL, &err), 0);
    assert_string_equal(out, "kind: Pod\n---\nkind: Service\n---\n- 1\n");
    cJSON *back = NULL;
    assert_int_equal(skiff_manifest_decode_yaml(out, strlen(out), NULL, &back, &err), 0);
    assert_true(cJSON_Compare(docs, back, 1));
    free(out);
    cJSON_Delete(back);
    cJSON_Delete(docs);
    cJSON *empty = cJSON_CreateArray();
    size_t len = 99;
    assert_int_equal(skiff_manifest_encode_yaml_stream(empty, &out, &len, &err), 0);
    assert_string_equal(out, "");
    assert_int_equal(len, 0);
    free(out);
    cJSON_Delete(empty);
    cJSON *obj = cJSON_CreateObject();
    assert_int_equal(skiff_manifest_encode_yaml_stream(obj, &out, NULL, &err), SKIFF_E_INVALID);
    cJSON_Delete(obj);
}

/* YAML -> JSON -> YAML -> JSON gives the same tree, in both modes. */
static void roundtrip_docs(const cJSON *docs, const skiff_manifest_opts_t *o)
{
    char *y = NULL;
    size_t yl = 0;
    skiff_error_t err = {0};
    int rc = skiff_manifest_encode_yaml_stream(docs, &y, &yl, &err);
    if (rc) print_error("encode: %s\n", err.msg);
    assert_int_equal(rc, 0);
    cJSON *back = NULL;
    rc = skiff_manifest_decode_yaml(y, yl, o, &back, &err);
    if (rc) print_error("re-decode of\n%s: %s\n", y, err.msg);
    assert_int_equal(rc, 0);
    if (!cJSON_Compare(docs, back, 1)) {
        char *a = cJSON_PrintUnformatted(docs), *b = cJSON_PrintUnformatted(back);
        print_error("round trip differs\n yaml:\n%s\n before %s\n after  %s\n", y, a, b);
        free(a);
        free(b);
    }
    assert_true(cJSON_Compare(docs, back, 1));
    free(y);
    cJSON_Delete(back);
}

static void roundtrip_yaml(const char *yaml, const skiff_manifest_opts_t *o)
{
    cJSON *docs = NULL;
    skiff_error_t err = {0};
    int rc = skiff_manifest_decode_yaml(yaml, strlen(yaml), o, &docs, &err);
    if (rc) print_error("decode %s: %s\n", yaml, err.msg);
    assert_int_equal(rc, 0);
    roundtrip_docs(docs, o);
    roundtrip_docs(docs, o == &Y11 ? NULL : &Y11); /* what we write reads the same in the other mode */
    cJSON_Delete(docs);
}

static const char POD[] =
    "apiVersion: v1\n"
    "kind: Pod\n"
    "metadata:\n"
    "  name: web\n"
    "  labels: {app: web, tier: \"1\", enabled: 'true'}\n"
    "  annotations:\n"
    "    note: |\n"
    "      multi\n"
    "      line\n"
    "    folded: >\n"
    "      a\n"
    "      b\n"
    "spec:\n"
    "  restartPolicy: Always\n"
    "  containers:\n"
    "  - name: nginx\n"
    "    image: nginx:1.25\n"
    "    command: [\"/bin/sh\", \"-c\", \"echo 'hi: there' # not a comment\"]\n"
    "    ports:\n"
    "    - containerPort: 80\n"
    "      protocol: TCP\n"
    "    env:\n"
    "    - {name: A, value: \"on\"}\n"
    "    - {name: B, value: '0755'}\n"
    "    - {name: C, value: \"123\"}\n"
    "    - {name: D, value: ''}\n"
    "    - {name: E, value: \"null\"}\n"
    "    - {name: F, value: \"  spaced  \"}\n"
    "    - {name: G, value: \"tab\\tcr\\r\"}\n"
    "    resources:\n"
    "      limits: {cpu: 500m, memory: 128Mi}\n"
    "      requests: {cpu: 0.25, memory: 64e6}\n"
    "  volumes:\n"
    "  - name: v\n"
    "    secret: {secretName: s, defaultMode: 420}\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: Service\n"
    "spec: {ports: [{port: 80, targetPort: 8080}], selector: {app: web}}\n";

static void test_roundtrip(void **state)
{
    roundtrip_yaml(POD, NULL);
    roundtrip_yaml(POD, &Y11);
    roundtrip_yaml("a: [on, off, yes, no, y, n, 0755, 0x1F, 1_000, 1:30, 2001-12-14, '1', 1, 1.5, true, ~]\n", NULL);
    roundtrip_yaml("a: [on, off, yes, no, y, n, 0755, 0x1F, 1_000, 1:30, 2001-12-14, '1', 1, 1.5, true, ~]\n", &Y11);
    roundtrip_yaml("f: [0.1, 1e-7, 1e300, -2.5e-300, 123456789.123, 9007199254740991, 1.7976931348623157e308]\n", NULL);
    roundtrip_yaml("x: &a {k: [1, {m: n}]}\ny: *a\nz: {<<: *a, q: 1}\n", NULL);
    roundtrip_yaml("\"\": empty key\n\"on\": q\n? |\n  block key\n: v\n", NULL);
    /* tricky strings as values and as keys */
    static const char *tricky[] = {
        "", " ", " lead", "trail ", "a\r\nb", "\t", "x\ty", "\xc3\xa9t\xc3\xa9", "\x01", "\x7f", "- a", "-", "--", "---",
        "...", "? x", "?", ":", "a:", "a: b", "a :b", "!x", "&a", "*a", "%x", "@x", "`x", "'", "\"", "#", "a #b", "a#b",
        "<<", "=", "1:30", "2001-12-14", "0x10", "0o7", ".5", "5.", "-.5", "+1", "1e3", "1_0", ".inf", "-.inf",
        ".nan", "NaN", "inf", "on", "Off", "Y", "n", "NULL", "~", "[", "]", "{", "}", ",", "a,b", "|", ">", "\n",
        "\n\n", "multi\n\nline\n\n", " \n x", "x\n ", "line\n", "\xe2\x80\xa8", "a\xc2\x85" "b", "\xef\xbb\xbf" "bom",
        "very long string that goes past eighty columns: lorem ipsum dolor sit amet, consectetur adipiscing elit",
    };
    cJSON *docs = cJSON_CreateArray();
    cJSON *vals = cJSON_CreateArray();
    cJSON *keys = cJSON_CreateObject();
    for (size_t i = 0; i < sizeof tricky / sizeof tricky[0]; i++) {
        cJSON_AddItemToArray(vals, cJSON_CreateString(tricky[i]));
        cJSON_AddItemToObject(keys, tricky[i], cJSON_CreateString(tricky[i]));
    }
    cJSON_AddItemToArray(docs, vals);
    cJSON_AddItemToArray(docs, keys);
    roundtrip_docs(docs, NULL);
    roundtrip_docs(docs, &Y11);
    cJSON_Delete(docs);
}

/* ---- JSON ---- */

static void want_json_error(const char *json, int line, int col, const char *what)
{
    cJSON *doc = (cJSON *)1;
    skiff_error_t err = {0};
    int rc = skiff_manifest_decode_json(json, strlen(json), NULL, &doc, &err);
    if (rc != SKIFF_E_INVALID || !strstr(err.msg, what)) print_error("json %s: rc=%d %s\n", json, rc, err.msg);
    assert_int_equal(rc, SKIFF_E_INVALID);
    assert_null(doc);
    assert_non_null(strstr(err.msg, what));
    if (line > 0) {
        char pos[64];
        snprintf(pos, sizeof pos, "line %d, column %d: ", line, col);
        if (strncmp(err.msg, pos, strlen(pos)) != 0) print_error("want %s got %s\n", pos, err.msg);
        assert_int_equal(strncmp(err.msg, pos, strlen(pos)), 0);
    }
}

static void test_json(void **state)
{
    const char *good = " {\"kind\": \"Pod\", \"spec\": {\"replicas\": 3, \"x\": [true, null, 1.5, \"on\"]}}\n";
    cJSON *doc = NULL;
    skiff_error_t err = {0};
    assert_int_equal(skiff_manifest_decode_json(good, strlen(good), NULL, &doc, &err), 0);
    assert_string_equal(cJSON_GetObjectItem(doc, "kind")->valuestring, "Pod");
    cJSON_Delete(doc);
    /* not NUL-terminated: only len bytes are read */
    const char buf[] = {'[', '1', ']', 'x'};
    assert_int_equal(skiff_manifest_decode_json(buf, 3, NULL, &doc, &err), 0);
    cJSON_Delete(doc);

    want_json_error("{\"a\": 1,\n \"b\": x}", 2, 7, "invalid character 'x' looking for beginning of value");
    want_json_error("{\"a\": 1,\n\n   \"b\": [1, 2}", 3, 14, "invalid character '}' after array element");
    want_json_error("{\"a\": [1, 2", 1, 12, "unexpected end of JSON input");
    want_json_error("{\"a\": \"abc", 1, 11, "unexpected end of JSON input");
    want_json_error("{\"a\": 1} {\"b\": 2}", 1, 10, "invalid character '{' after top-level value");
    want_json_error("   ", 1, 4, "unexpected end of JSON input");
    want_json_error("", 1, 1, "unexpected end of JSON input");
    want_json_error("{\"a\": 01}", 1, 8, "invalid character '1' after object key:value pair");
    want_json_error("{a: 1}", 1, 2, "invalid character 'a' looking for beginning of object key string");
    want_json_error("{\"a\" 1}", 1, 6, "invalid character '1' after object key");
    want_json_error("[1,]", 1, 4, "invalid character ']' looking for beginning of value");
    want_json_error("{\"a\":1,}", 1, 8, "invalid character '}' looking for beginning of object key string");
    want_json_error("[tru]", 1, 5, "invalid character ']' in literal true (expecting 'e')");
    want_json_error("[nul", 1, 5, "unexpected end of JSON input");
    want_json_error("[1.]", 1, 4, "invalid character ']' after decimal point in numeric literal");
    want_json_error("[1e]", 1, 4, "in exponent of numeric literal");
    want_json_error("[-]", 1, 3, "invalid character ']' in numeric literal");
    want_json_error("[\"\\x\"]", 1, 4, "invalid character 'x' in string escape code");
    want_json_error("[\"\\u12\"]", 1, 3, "invalid \\u escape");
    want_json_error("[\"\\ud800x\"]", 1, 3, "unpaired UTF-16 surrogate");
    want_json_error("[\"\\udc00\"]", 1, 3, "unpaired UTF-16 surrogate");
    want_json_error("[1] \x01", 1, 5, "invalid byte 0x01 after top-level value");
    want_json_error("{\"\xc3\xa9\": \"\xff\"}", 1, 8, "invalid UTF-8");
    want_json_error("{\"a\": \"x\ty\"}", 1, 9, "invalid byte 0x09 in string literal");
    want_json_error("{\"a\": \"x\\u0000y\"}", 1, 9, "\\u0000 in a string is not supported");
    want_json_error("{\"a\": {\"b\": 1, \"b\": 2}}", 0, 0, "duplicate field \"a.b\"");
    want_json_error("[{\"k\": [{\"x\": 1, \"x\": 1}]}]", 0, 0, "duplicate field \"[0].k[0].x\"");
    want_json_error("{\"rv\": 12345678901234567890}", 1, 8,
                      "integer 12345678901234567890 is too large to keep exactly");
    want_json_error("[-9007199254740992]", 1, 2, "too large");
    want_json_error("[1e999]", 1, 2, "number 1e999 is out of range for a double");
    /* just inside the limits */
    assert_int_equal(skiff_manifest_decode_json("[9007199254740991, -9007199254740991, 1e308]", 44, NULL, &doc, &err), 0);
    assert_true(cJSON_GetArrayItem(doc, 0)->valuedouble == 9007199254740991.0);
    cJSON_Delete(doc);
    /* escaped quotes and backslashes do not confuse the pre-scan */
    const char *esc = "{\"a\": \"q\\\"[[[\\\\\", \"b\": \"\\\\u0000\"}";
    assert_int_equal(skiff_manifest_decode_json(esc, strlen(esc), NULL, &doc, &err), 0);
    assert_string_equal(cJSON_GetObjectItem(doc, "b")->valuestring, "\\u0000");
    cJSON_Delete(doc);
    const char *pair = "[\"\\ud83d\\ude00 \\u00e9\"]";
    assert_int_equal(skiff_manifest_decode_json(pair, strlen(pair), NULL, &doc, &err), 0);
    assert_string_equal(cJSON_GetArrayItem(doc, 0)->valuestring, "\xf0\x9f\x98\x80 \xc3\xa9");
    cJSON_Delete(doc);
    /* depth: checked before cJSON recurses */
    char *ok = nested(100, "[", "]", "");
    assert_int_equal(skiff_manifest_decode_json(ok, strlen(ok), NULL, &doc, &err), 0);
    cJSON_Delete(doc);
    free(ok);
    char *deep = nested(100000, "{\"a\":", "}", "1");
    want_json_error(deep, 1, 501, "nesting deeper than 100 levels");
    free(deep);
}

static void test_body(void **state)
{
    cJSON *doc = NULL;
    skiff_error_t err = {0};
    const char *json = "\n  {\"kind\": \"Pod\", \"v\": \"on\"}";
    assert_int_equal(skiff_manifest_decode_body(json, strlen(json), 0, 0, &doc, &err), 0);
    assert_string_equal(cJSON_GetObjectItem(doc, "v")->valuestring, "on");
    cJSON_Delete(doc);
    const char *yaml = "kind: Pod\nv: on\nn: 3\n";
    assert_int_equal(skiff_manifest_decode_body(yaml, strlen(yaml), 0, 0, &doc, &err), 0);
    assert_string_equal(cJSON_GetObjectItem(doc, "v")->valuestring, "on");
    assert_true(cJSON_GetObjectItem(doc, "n")->valuedouble == 3);
    cJSON_Delete(doc);
    assert_int_equal(skiff_manifest_decode_body_opts(yaml, strlen(yaml), &Y11, &doc, &err), 0);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(doc, "v")));
    cJSON_Delete(doc);
    const char *bom = "\xef\xbb\xbf{\"a\": 1}";
    assert_int_equal(skiff_manifest_decode_body(bom, strlen(bom), 0, 0, &doc, &err), 0);
    cJSON_Delete(doc);
    /* '{' means JSON, strictly: YAML flow syntax is not accepted there */
    const char *flow = "{a: 1}";
    assert_int_equal(skiff_manifest_decode_body(flow, strlen(flow), 0, 0, &doc, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "line 1, column 2: invalid character 'a' looking for beginning of object key"));
    const char *two = "a: 1\n---\nb: 2\n";
    assert_int_equal(skiff_manifest_decode_body(two, strlen(two), 0, 0, &doc, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "expected one YAML document"));
    assert_int_equal(skiff_manifest_decode_body(" \n\t", 3, 0, 0, &doc, &err), SKIFF_E_INVALID);
    assert_string_equal(err.msg, "empty request body");
    assert_int_equal(skiff_manifest_decode_body("", 0, 0, 0, &doc, &err), SKIFF_E_INVALID);
    const char *bad = "kind: Pod\nspec:\n  x: [1\n";
    assert_int_equal(skiff_manifest_decode_body(bad, strlen(bad), 0, 0, &doc, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "line 4, column 1: "));
    /* limits */
    assert_int_equal(skiff_manifest_decode_body("{\"a\": 1}", 8, 7, 0, &doc, &err), SKIFF_E_TOOLARGE);
    assert_string_equal(err.msg, "request entity too large: limit is 7 bytes");
    assert_null(doc);
    assert_int_equal(skiff_manifest_decode_body("{\"a\": {\"b\": 1}}", 15, 0, 1, &doc, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "line 1, column 7: nesting deeper than 1 levels"));
    assert_int_equal(skiff_manifest_decode_body("a: {b: 1}", 9, 0, 1, &doc, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "line 1, column 4: nesting deeper than 1 levels"));
    /* the default size limit is Kubernetes' 3 MiB */
    size_t big = SKIFF_MANIFEST_MAX_BYTES + 1;
    char *huge = malloc(big);
    assert_non_null(huge);
    memset(huge, ' ', big);
    huge[0] = '{';
    assert_int_equal(skiff_manifest_decode_body(huge, big, 0, 0, &doc, &err), SKIFF_E_TOOLARGE);
    assert_string_equal(err.msg, "request entity too large: limit is 3145728 bytes");
    free(huge);
}

/* A large ordinary document decodes in linear time (hashing, not scanning). */
static void test_many_keys(void **state)
{
    const int n = 100000;
    size_t cap = (size_t)n * 24;
    char *y = malloc(cap);
    assert_non_null(y);
    size_t len = 0;
    for (int i = 0; i < n; i++) len += (size_t)snprintf(y + len, cap - len, "key%d: %d\n", i, i);
    cJSON *docs = NULL;
    skiff_error_t err = {0};
    clock_t t0 = clock();
    assert_int_equal(skiff_manifest_decode_yaml(y, len, NULL, &docs, &err), 0);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    assert_int_equal(cJSON_GetArraySize(cJSON_GetArrayItem(docs, 0)), n);
    assert_true(secs < 5.0);
    /* and a duplicate at the very end is still found */
    len += (size_t)snprintf(y + len, cap - len, "key7: dup\n");
    cJSON_Delete(docs);
    assert_int_equal(skiff_manifest_decode_yaml(y, len, NULL, &docs, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "duplicate key \"key7\" (first at line 8, column 1)"));
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars_default), cmocka_unit_test(test_scalars_yaml11),
        cmocka_unit_test(test_keys_conversion), cmocka_unit_test(test_duplicates_allowed),
        cmocka_unit_test(test_multidoc),
        cmocka_unit_test(test_anchors),         cmocka_unit_test(test_billion_laughs),
        cmocka_unit_test(test_depth),           cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_encode),          cmocka_unit_test(test_encode_stream),
        cmocka_unit_test(test_format_number),
        cmocka_unit_test(test_roundtrip),       cmocka_unit_test(test_json),
        cmocka_unit_test(test_body),            cmocka_unit_test(test_many_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
