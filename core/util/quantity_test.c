/* Tests for core/util/quantity: parsing, canonical form, durations. Expected
 * values follow k8s.io/apimachinery resource.Quantity (quantity_test.go and
 * the API reference: "1.5 will be serialized as 1500m", "1.5Gi as 1536Mi",
 * "0.1m will be rounded up to 1m") and Go's time.ParseDuration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/quantity.h"

struct qcase {
    const char *in;
    int64_t milli;
};

static void test_parse_valid(void **state)
{
    static const struct qcase cases[] = {
        {"0", 0},
        {"1", 1000},
        {"+1", 1000},
        {"-1", -1000},
        {"0.5", 500},
        {".5", 500},
        {"1.", 1000},
        {"500m", 500},
        {"100m", 100},
        {"1m", 1},
        {"0.1m", 1},          /* rounded up to 1m, as documented */
        {"1.0001", 1001},     /* 1000.1m -> 1001m */
        {"1n", 1},            /* 0.000001m -> 1m */
        {"1u", 1},
        {"1000u", 1},
        {"1001u", 2},
        {"-0.1m", -1},        /* MilliValue rounds away from zero */
        {"-1.0001", -1001},
        {"1k", 1000000},
        {"1M", 1000000000},
        {"1500M", 1500000000000},
        {"1G", 1000000000000},
        {"1T", 1000000000000000},
        {"1P", 1000000000000000000},
        {"9P", 9000000000000000000},
        {"1Ki", 1024000},
        {"1Mi", 1048576000},
        {"128Mi", 134217728000},
        {"1.5Gi", 1610612736000},
        {"0.5Ki", 512000},
        {"0.0001Ki", 103},    /* 102.4m -> 103m */
        {"1Gi", 1073741824000},
        {"1Ti", 1099511627776000},
        {"1Pi", 1125899906842624000},
        {"8Pi", 9007199254740992000},
        {"1e3", 1000000},
        {"1E3", 1000000},
        {"1.5e3", 1500000},
        {"1e-3", 1},
        {"1e+3", 1000000},
        {"5e-4", 1},
        {"000123", 123000},
        {"0.000", 0},
        {"0Mi", 0},
        {"-0", 0},
        {"12345678901234567890e-16", 1234568}, /* 20-digit mantissa, exact then rounded */
        {"9223372036854775807m", INT64_MAX},
        {"-9223372036854775807m", -INT64_MAX},
        {"0.000000000000000000000000000001", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t v = 42;
        skiff_error_t err = {0};
        int rc = skiff_quantity_parse(cases[i].in, &v, &err);
        if (rc != 0 || v != cases[i].milli)
            print_error("input %s: rc=%d v=%lld want %lld (%s)\n", cases[i].in, rc, (long long)v,
                        (long long)cases[i].milli, err.msg);
        assert_int_equal(rc, 0);
        assert_int_equal(v, cases[i].milli);
    }
}

struct badcase {
    const char *in;
    const char *msg; /* substring expected in the error */
};

static void test_parse_invalid(void **state)
{
    static const struct badcase cases[] = {
        {"", "empty"},
        {"12Qi", "quantity \"12Qi\": unknown suffix \"Qi\""},
        {"1K", "unknown suffix \"K\""},        /* k is lower case; K alone is not a suffix */
        {"1mi", "unknown suffix \"mi\""},
        {"1KiB", "unknown suffix \"KiB\""},
        {"1i", "unknown suffix \"i\""},
        {".5i", "unknown suffix"},
        {"1e", "unknown suffix \"e\""},
        {"1Ee3", "unknown suffix"},
        {"-3.01e-", "unknown suffix"},
        {"1.1.M", "regular expression"},
        {"1+1.0M", "regular expression"},
        {"aoeu", "quantity \"aoeu\": no digits"},
        {" 1", "regular expression"},
        {"1 ", "regular expression"},
        {"1 Gi", "regular expression"},
        {"-", "no digits"},
        {".", "no digits"},
        {"0x10", "unknown suffix \"x10\""},
        {"1Gi!", "regular expression"},
        {"1E", "too large"},                   /* exa: 1e18 units = 1e21 milli */
        {"10P", "too large"},
        {"9Pi", "too large"},
        {"8Ei", "too large"},
        {"1e16", "too large"},
        {"9223372036854775808m", "too large"},
        {"-9223372036854775808m", "too large"},
        {"99999999999999999999999999999999", "too large"},
        {"1e99999999999999999999", "too large"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t v = 42;
        skiff_error_t err = {0};
        int rc = skiff_quantity_parse(cases[i].in, &v, &err);
        if (rc != SKIFF_E_INVALID || !strstr(err.msg, cases[i].msg))
            print_error("input \"%s\": rc=%d msg=%s (want %s)\n", cases[i].in, rc, err.msg, cases[i].msg);
        assert_int_equal(rc, SKIFF_E_INVALID);
        assert_int_equal(err.code, SKIFF_E_INVALID);
        assert_non_null(strstr(err.msg, cases[i].msg));
        assert_int_equal(v, 42); /* untouched on failure */
        /* the message names the input */
        char quoted[64];
        snprintf(quoted, sizeof quoted, "\"%s\"", cases[i].in);
        assert_non_null(strstr(err.msg, quoted));
    }
    /* NULL error object is allowed */
    int64_t v;
    assert_int_equal(skiff_quantity_parse("1x", &v, NULL), SKIFF_E_INVALID);
}

static void test_parse_too_long(void **state)
{
    char big[2000];
    memset(big, '1', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    int64_t v;
    skiff_error_t err = {0};
    assert_int_equal(skiff_quantity_parse(big, &v, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "longer than"));
    /* Many significant digits below the milli-unit still round exactly. */
    char frac[600] = "0.";
    memset(frac + 2, '0', 500);
    frac[502] = '1';
    frac[503] = '\0';
    assert_int_equal(skiff_quantity_parse(frac, &v, &err), 0);
    assert_int_equal(v, 1);
}

struct fcase {
    int64_t milli;
    int binary;
    const char *out;
};

static void test_format(void **state)
{
    static const struct fcase cases[] = {
        {0, 0, "0"},
        {0, 1, "0"},
        {500, 0, "500m"},
        {1500, 0, "1500m"},       /* "1.5 will be serialized as 1500m" */
        {1000, 0, "1"},
        {2000, 0, "2"},
        {100, 0, "100m"},
        {1, 0, "1m"},
        {10, 0, "10m"},
        {1000000, 0, "1k"},       /* "1e3" parsed then formatted as SI */
        {1500000000000, 0, "1500M"},
        {1234567000, 0, "1234567"},
        {10000000, 0, "10k"},
        {100000000, 0, "100k"},
        {-500, 0, "-500m"},
        {-1000000, 0, "-1k"},
        {1000000000000000000, 0, "1P"},
        {INT64_MAX, 0, "9223372036854775807m"},
        {INT64_MIN, 0, "-9223372036854775808m"},
        {1073741824000, 1, "1Gi"},       /* 1024Mi */
        {1610612736000, 1, "1536Mi"},    /* "1.5Gi will be serialized as 1536Mi" */
        {134217728000, 1, "128Mi"},
        {1024000, 1, "1Ki"},
        {-1024000, 1, "-1Ki"},
        {512000, 1, "512"},              /* below 1024: shown as decimal */
        {1536000, 1, "1536"},            /* 1.5Ki is not a whole Ki count */
        {1126400, 1, "1126400m"},        /* 1.1Ki: fraction, so decimal SI */
        {1000000000000, 1, "1000000000"}, /* whole but not a 1024 multiple: plain digits */
        {1000, 1, "1"},
        {500, 1, "500m"},
        {1152921504606846976LL / 1000 * 1000, 1, "1152921504606846"}, /* not a 1024 multiple */
        {9007199254740992000, 1, "8Pi"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64];
        int n = skiff_quantity_format(cases[i].milli, cases[i].binary, buf, sizeof buf);
        if (strcmp(buf, cases[i].out) != 0)
            print_error("milli %lld binary %d: got %s want %s\n", (long long)cases[i].milli,
                        cases[i].binary, buf, cases[i].out);
        assert_string_equal(buf, cases[i].out);
        assert_int_equal(n, (int)strlen(cases[i].out));
    }
    /* snprintf rules: truncated output, full length returned */
    char small[3];
    assert_int_equal(skiff_quantity_format(1500000000000, 0, small, sizeof small), 5);
    assert_string_equal(small, "15");
}

struct ccase {
    const char *in;
    const char *out;
};

static void test_canonical(void **state)
{
    static const struct ccase cases[] = {
        {"0.5", "500m"},
        {"1.5", "1500m"},
        {"1024Mi", "1Gi"},
        {"1.5Gi", "1536Mi"},
        {"0.5Gi", "512Mi"},
        {"1.5Ki", "1536"},
        {"0.5Ki", "512"},
        {"1Ki", "1Ki"},
        {"2048Ki", "2Mi"},
        {"1500M", "1500M"},
        {"1000M", "1G"},
        {"1000", "1k"},
        {"1500", "1500"},
        {"0.001k", "1"},
        {"100m", "100m"},
        {"0.1m", "1m"},
        {"1e3", "1e3"},        /* exponent form is kept, as Kubernetes keeps it */
        {"1.5e3", "1500"},
        {"1e-3", "1e-3"},
        {"0.5e0", "500e-3"},
        {"1E6", "1e6"},
        {"0Gi", "0"},
        {"-0.5", "-500m"},
        {"+2", "2"},
        {"007", "7"},
        {"1.0Gi", "1Gi"},
        {"1073741824", "1073741824"}, /* written as decimal: stays decimal */
        {"76062.5Ki", "77888000"},   /* binary but not a Ki multiple: plain digits, as Kubernetes */
        {"77888000", "77888k"},      /* ...which read back as decimal print like this */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64] = "";
        skiff_error_t err = {0};
        int rc = skiff_quantity_canonical(cases[i].in, buf, sizeof buf, &err);
        if (rc != 0 || strcmp(buf, cases[i].out) != 0)
            print_error("canonical(%s): rc=%d got %s want %s (%s)\n", cases[i].in, rc, buf, cases[i].out, err.msg);
        assert_int_equal(rc, 0);
        assert_string_equal(buf, cases[i].out);
    }
    char buf[4];
    skiff_error_t err = {0};
    assert_int_equal(skiff_quantity_canonical("1536Mi", buf, sizeof buf, &err), SKIFF_E_TOOLARGE);
    assert_non_null(strstr(err.msg, "1536Mi"));
    assert_int_equal(skiff_quantity_canonical("1Gi", buf, sizeof buf, &err), 0);
    assert_string_equal(buf, "1Gi");
    assert_int_equal(skiff_quantity_canonical("12Qi", buf, sizeof buf, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "unknown suffix \"Qi\""));
}

/* Parse → format → parse is the identity for every value we can hold. */
static void test_roundtrip(void **state)
{
    static const int64_t vals[] = {1, 7, 999, 1000, 1001, 1024000, 1048576000, 123456789, -42000,
                                   INT64_MAX, -INT64_MAX, 5368709120000, 1099511627776000};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        for (int b = 0; b < 2; b++) {
            char buf[64];
            skiff_quantity_format(vals[i], b, buf, sizeof buf);
            int64_t back = 0;
            skiff_error_t err = {0};
            assert_int_equal(skiff_quantity_parse(buf, &back, &err), 0);
            assert_int_equal(back, vals[i]);
        }
}

struct dcase {
    const char *in;
    int64_t ms;
};

static void test_duration_valid(void **state)
{
    static const struct dcase cases[] = {
        {"0", 0},
        {"+0", 0},
        {"-0", 0},
        {"0s", 0},
        {"300ms", 300},
        {"1s", 1000},
        {"30s", 30000},
        {"1m", 60000},
        {"1h", 3600000},
        {"1h30m", 5400000},
        {"2h45m", 9900000},
        {"1.5h", 5400000},
        {".5s", 500},
        {"1.s", 1000},
        {"1h1m1s1ms", 3661001},
        {"-1.5h", -5400000},
        {"1ns", 1},            /* sub-millisecond rounds up */
        {"1500us", 2},
        {"1000us", 1},
        {"1000\xc2\xb5s", 1},  /* micro sign */
        {"1000\xce\xbcs", 1},  /* Greek mu */
        {"1000000ns", 1},
        {"0.001s", 1},
        {"0.0001s", 1},
        {"1.000000001s", 1001},
        {"2562047h", 9223369200000},  /* within Go's int64 ns range */
        {"9223372036854775807ns", 9223372036855},
        {"-9223372036854775808ns", -9223372036855},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t v = 42;
        skiff_error_t err = {0};
        int rc = skiff_duration_parse(cases[i].in, &v, &err);
        if (rc != 0 || v != cases[i].ms)
            print_error("duration %s: rc=%d v=%lld want %lld (%s)\n", cases[i].in, rc, (long long)v,
                        (long long)cases[i].ms, err.msg);
        assert_int_equal(rc, 0);
        assert_int_equal(v, cases[i].ms);
    }
}

static void test_duration_invalid(void **state)
{
    static const struct badcase cases[] = {
        {"", "time: invalid duration \"\""},
        {"1", "time: missing unit in duration \"1\""},
        {"00", "missing unit"},
        {"1x", "time: unknown unit \"x\" in duration \"1x\""},
        {"1d", "unknown unit \"d\""},
        {"1hh", "unknown unit \"hh\""},
        {".s", "invalid duration"},
        {"s", "invalid duration"},
        {"-", "invalid duration"},
        {"1h 30m", "unknown unit \"h \""},
        {"3000000h", "invalid duration"},     /* > 2^63 ns */
        {"9223372036854775808ns", "invalid duration"},
        {"2562047h47m16.854775808s", "invalid duration"},
        {"99999999999999999999s", "invalid duration"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t v = 42;
        skiff_error_t err = {0};
        int rc = skiff_duration_parse(cases[i].in, &v, &err);
        if (rc != SKIFF_E_INVALID || !strstr(err.msg, cases[i].msg))
            print_error("duration \"%s\": rc=%d msg=%s (want %s)\n", cases[i].in, rc, err.msg, cases[i].msg);
        assert_int_equal(rc, SKIFF_E_INVALID);
        assert_non_null(strstr(err.msg, cases[i].msg));
        assert_int_equal(v, 42);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),     cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_parse_too_long),  cmocka_unit_test(test_format),
        cmocka_unit_test(test_canonical),       cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_duration_valid),  cmocka_unit_test(test_duration_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
