/* Key-table checking: conversions, defaults, every problem reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "plugin/settings.h"

typedef struct block {
    const char *name;
    int64_t count;
    int on;
    double ratio;
    int64_t cpu;
    int64_t timeout;
    const char *const *tags;
} block_t;

static const skiff_config_key_t keys[] = {
    { "name", SKIFF_CFG_STRING, NULL, SKIFF_CFG_REQUIRED | SKIFF_CFG_FILL, offsetof(block_t, name), "n" },
    { "count", SKIFF_CFG_INT, "3", SKIFF_CFG_FILL, offsetof(block_t, count), "c" },
    { "on", SKIFF_CFG_BOOL, "true", SKIFF_CFG_FILL, offsetof(block_t, on), "o" },
    { "ratio", SKIFF_CFG_DOUBLE, "0.5", SKIFF_CFG_FILL, offsetof(block_t, ratio), "r" },
    { "cpu", SKIFF_CFG_QUANTITY, "500m", SKIFF_CFG_FILL, offsetof(block_t, cpu), "q" },
    { "timeout", SKIFF_CFG_DURATION, "30s", SKIFF_CFG_FILL, offsetof(block_t, timeout), "d" },
    { "tags", SKIFF_CFG_STRLIST, NULL, SKIFF_CFG_FILL, offsetof(block_t, tags), "l" },
    SKIFF_CONFIG_END,
};

typedef struct collected {
    int n;
    int lines[16];
    char msgs[16][SKIFF_ERROR_MSG_MAX];
} collected_t;

static void collect(void *ud, int line, const char *msg)
{
    collected_t *c = ud;
    if (c->n < 16) {
        c->lines[c->n] = line;
        snprintf(c->msgs[c->n], sizeof c->msgs[0], "%s", msg);
    }
    c->n++;
}

static void test_defaults_and_fill(void **state)
{
    (void)state;
    skiff_raw_setting_t raw[] = { { .key = "name", .kind = SKIFF_RAW_STRING, .str = "x", .line = 3 } };
    collected_t c = { 0 };
    skiff_settings_t *s;
    assert_int_equal(skiff_settings_build(keys, "t/x", raw, 1, collect, &c, &s), 0);
    block_t b = { 0 };
    skiff_error_t err;
    assert_int_equal(skiff_settings_fill(s, &b, sizeof b, &err), 0);
    assert_string_equal(b.name, "x");
    assert_int_equal(b.count, 3);
    assert_int_equal(b.on, 1);
    assert_true(b.ratio == 0.5);
    assert_int_equal(b.cpu, 500);
    assert_int_equal(b.timeout, 30000);
    assert_null(b.tags); /* unset, no default */
    int64_t v;
    assert_int_equal(skiff_settings_int(s, "timeout", &v), 0);
    assert_int_equal(v, 30000);
    const char *str;
    assert_int_equal(skiff_settings_string(s, "count", &str), SKIFF_E_INVALID);
    assert_int_equal(skiff_settings_string(s, "nope", &str), SKIFF_E_NOTFOUND);
    const char *const *list;
    assert_int_equal(skiff_settings_strlist(s, "tags", &list), SKIFF_E_NOTFOUND);
    /* a block too small for an offset is refused, not overrun */
    assert_int_equal(skiff_settings_fill(s, &b, offsetof(block_t, tags), &err), SKIFF_E_INVALID);
    skiff_settings_free(s);
}

static void test_typed_values(void **state)
{
    (void)state;
    const char *tags[] = { "a", "b" };
    skiff_raw_setting_t raw[] = {
        { .key = "name", .kind = SKIFF_RAW_STRING, .str = "n" },
        { .key = "count", .kind = SKIFF_RAW_INT, .i = 42 },
        { .key = "on", .kind = SKIFF_RAW_BOOL, .b = 0 },
        { .key = "ratio", .kind = SKIFF_RAW_INT, .i = 2 },
        { .key = "cpu", .kind = SKIFF_RAW_INT, .i = 2 },
        { .key = "timeout", .kind = SKIFF_RAW_STRING, .str = "1m30s" },
        { .key = "tags", .kind = SKIFF_RAW_LIST, .list = tags, .list_len = 2 },
    };
    collected_t c = { 0 };
    skiff_settings_t *s;
    assert_int_equal(skiff_settings_build(keys, "t/x", raw, 7, collect, &c, &s), 0);
    block_t b = { 0 };
    assert_int_equal(skiff_settings_fill(s, &b, sizeof b, NULL), 0);
    assert_int_equal(b.count, 42);
    assert_int_equal(b.on, 0);
    assert_true(b.ratio == 2.0);
    assert_int_equal(b.cpu, 2000);
    assert_int_equal(b.timeout, 90000);
    assert_string_equal(b.tags[0], "a");
    assert_string_equal(b.tags[1], "b");
    assert_null(b.tags[2]);
    skiff_settings_free(s);
}

static void test_text_values(void **state)
{
    (void)state;
    skiff_raw_setting_t raw[] = {
        { .key = "name", .kind = SKIFF_RAW_TEXT, .str = "n" },
        { .key = "count", .kind = SKIFF_RAW_TEXT, .str = "0x10" },
        { .key = "on", .kind = SKIFF_RAW_TEXT, .str = "no" },
        { .key = "cpu", .kind = SKIFF_RAW_TEXT, .str = "128Mi" },
        { .key = "tags", .kind = SKIFF_RAW_TEXT, .str = " a, b ,,c" },
    };
    collected_t c = { 0 };
    skiff_settings_t *s;
    assert_int_equal(skiff_settings_build(keys, "t/x", raw, 5, collect, &c, &s), 0);
    block_t b = { 0 };
    assert_int_equal(skiff_settings_fill(s, &b, sizeof b, NULL), 0);
    assert_int_equal(b.count, 16);
    assert_int_equal(b.on, 0);
    assert_int_equal(b.cpu, 128LL * 1024 * 1024 * 1000);
    assert_string_equal(b.tags[0], "a");
    assert_string_equal(b.tags[1], "b");
    assert_string_equal(b.tags[2], "c");
    assert_null(b.tags[3]);
    skiff_settings_free(s);
}

static void test_every_problem(void **state)
{
    (void)state;
    skiff_raw_setting_t raw[] = {
        { .key = "nmae", .kind = SKIFF_RAW_STRING, .str = "x", .line = 2 },
        { .key = "count", .kind = SKIFF_RAW_STRING, .str = "3", .line = 3 },
        { .key = "cpu", .kind = SKIFF_RAW_STRING, .str = "12Qi", .line = 4 },
        { .key = "timeout", .kind = SKIFF_RAW_INT, .i = 30, .line = 5 },
        { .key = "on", .kind = SKIFF_RAW_TEXT, .str = "maybe", .line = 6 },
        { .key = "tags", .kind = SKIFF_RAW_OTHER, .line = 7 },
    };
    collected_t c = { 0 };
    skiff_settings_t *s = (void *)1;
    assert_int_equal(skiff_settings_build(keys, "t/x", raw, 6, collect, &c, &s), 7);
    assert_null(s);
    assert_string_equal(c.msgs[0], "unknown key \"nmae\" in t/x; did you mean \"name\"?");
    assert_int_equal(c.lines[0], 2);
    assert_string_equal(c.msgs[1], "key \"count\" in t/x: expected int, got string");
    assert_int_equal(c.lines[1], 3);
    assert_non_null(strstr(c.msgs[2], "key \"cpu\" in t/x: "));
    assert_non_null(strstr(c.msgs[2], "12Qi"));
    assert_string_equal(c.msgs[3], "key \"timeout\" in t/x: expected duration, got int");
    assert_string_equal(c.msgs[4], "key \"on\" in t/x: \"maybe\" is not a boolean (true or false)");
    assert_string_equal(c.msgs[5], "key \"tags\" in t/x: expected strlist, got a group or a list of non-strings");
    assert_string_equal(c.msgs[6], "missing required key \"name\" in t/x");
    assert_int_equal(c.lines[6], 0);
}

static void test_refused_key_is_not_also_missing(void **state)
{
    (void)state;
    skiff_raw_setting_t raw[] = { { .key = "name", .kind = SKIFF_RAW_INT, .i = 1, .line = 2 } };
    collected_t c = { 0 };
    skiff_settings_t *s;
    assert_int_equal(skiff_settings_build(keys, "t/x", raw, 1, collect, &c, &s), 1);
    assert_string_equal(c.msgs[0], "key \"name\" in t/x: expected string, got int");
}

static void test_no_keys(void **state)
{
    (void)state;
    skiff_raw_setting_t raw[] = { { .key = "x", .kind = SKIFF_RAW_INT, .i = 1, .line = 9 } };
    collected_t c = { 0 };
    skiff_settings_t *s;
    assert_int_equal(skiff_settings_build(NULL, "sim", raw, 1, collect, &c, &s), 1);
    assert_string_equal(c.msgs[0], "unknown key \"x\" in sim (it takes no settings)");
    assert_int_equal(skiff_settings_build(NULL, "sim", NULL, 0, collect, &c, &s), 0);
    skiff_settings_free(s);
}

static void test_check_table(void **state)
{
    (void)state;
    skiff_error_t err;
    assert_int_equal(skiff_settings_check_table(keys, &err), 0);
    const skiff_config_key_t bad_default[] = {
        { "t", SKIFF_CFG_DURATION, "30", 0, 0, "" }, SKIFF_CONFIG_END };
    assert_int_equal(skiff_settings_check_table(bad_default, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "bad default: key \"t\""));
    const skiff_config_key_t twice[] = {
        { "a", SKIFF_CFG_INT, NULL, 0, 0, "" }, { "a", SKIFF_CFG_INT, NULL, 0, 0, "" },
        SKIFF_CONFIG_END };
    assert_int_equal(skiff_settings_check_table(twice, &err), SKIFF_E_INVALID);
    assert_string_equal(err.msg, "key \"a\" is declared twice");
    const skiff_config_key_t badtype[] = { { "a", 99, NULL, 0, 0, "" }, SKIFF_CONFIG_END };
    assert_int_equal(skiff_settings_check_table(badtype, &err), SKIFF_E_INVALID);
    assert_string_equal(err.msg, "key \"a\" has unknown type 99");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_fill),
        cmocka_unit_test(test_typed_values),
        cmocka_unit_test(test_text_values),
        cmocka_unit_test(test_every_problem),
        cmocka_unit_test(test_refused_key_is_not_also_missing),
        cmocka_unit_test(test_no_keys),
        cmocka_unit_test(test_check_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
