#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "util/suggest.h"

static void test_distance(void **state)
{
    (void)state;
    assert_int_equal(skiff_str_distance("", ""), 0);
    assert_int_equal(skiff_str_distance("listen", "listen"), 0);
    assert_int_equal(skiff_str_distance("lisen", "listen"), 1);
    assert_int_equal(skiff_str_distance("kitten", "sitting"), 3);
    assert_int_equal(skiff_str_distance("", "abc"), 3);
    assert_int_equal(skiff_str_distance("flaw", "lawn"), 2);
}

static void test_nearest(void **state)
{
    (void)state;
    const char *keys[] = { "listen", "data_dir", NULL, "service_cidr" };
    assert_string_equal(skiff_str_nearest("lisen", keys, 4), "listen");
    assert_string_equal(skiff_str_nearest("datadir", keys, 4), "data_dir");
    assert_string_equal(skiff_str_nearest("service-cidr", keys, 4), "service_cidr");
    assert_null(skiff_str_nearest("x", keys, 0));
    /* ties go to the first candidate */
    const char *tie[] = { "ab", "ba" };
    assert_string_equal(skiff_str_nearest("aa", tie, 2), "ab");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distance),
        cmocka_unit_test(test_nearest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
