/* Logging: level parsing, the level gate, the line format with prefix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log/log.h"

/* Run fn with stderr sent to a temp file; return what it wrote. */
static char *capture(void (*fn)(void))
{
    static char buf[4096];
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    int saved = dup(STDERR_FILENO);
    dup2(fileno(tmp), STDERR_FILENO);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(tmp);
    size_t n = fread(buf, 1, sizeof buf - 1, tmp);
    buf[n] = '\0';
    fclose(tmp);
    return buf;
}

static void log_some(void)
{
    skiff_log(SKIFF_LOG_INFO, "store:memory", "opened %d keys", 3);
    skiff_log(SKIFF_LOG_DEBUG, "store:memory", "hidden");
    skiff_log(SKIFF_LOG_ERROR, NULL, "no prefix");
}

static void test_format_and_gate(void **state)
{
    (void)state;
    skiff_log_set_level(SKIFF_LOG_INFO);
    char *out = capture(log_some);
    char *second = strchr(out, '\n');
    assert_non_null(second);
    assert_int_equal(out[0], 'I');
    assert_non_null(strstr(out, " [store:memory] opened 3 keys\n"));
    assert_null(strstr(out, "hidden"));
    assert_int_equal(second[1], 'E');
    assert_non_null(strstr(second, " no prefix\n"));
    assert_null(strstr(second, "["));
}

static void test_levels(void **state)
{
    (void)state;
    int l;
    skiff_error_t err;
    assert_int_equal(skiff_log_parse_level("debug", &l, &err), 0);
    assert_int_equal(l, SKIFF_LOG_DEBUG);
    assert_int_equal(skiff_log_parse_level("WARNING", &l, &err), 0);
    assert_int_equal(l, SKIFF_LOG_WARN);
    assert_int_equal(skiff_log_parse_level("4", &l, &err), 0);
    assert_int_equal(l, SKIFF_LOG_TRACE);
    assert_int_equal(skiff_log_parse_level("loud", &l, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "invalid log level \"loud\""));
    skiff_log_set_level(SKIFF_LOG_WARN);
    assert_true(skiff_log_enabled(SKIFF_LOG_ERROR));
    assert_false(skiff_log_enabled(SKIFF_LOG_INFO));
    setenv("SKIFF_LOG", "trace", 1);
    skiff_log_init_env();
    assert_int_equal(skiff_log_get_level(), SKIFF_LOG_TRACE);
    unsetenv("SKIFF_LOG");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_and_gate),
        cmocka_unit_test(test_levels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
