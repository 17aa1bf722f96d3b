/* core/util/quantity.c — Kubernetes resource.Quantity parsing and canonical
 * formatting, held as int64 milli-units.
 *
 * The lexer mirrors apimachinery's parseQuantityString: sign, digits, an
 * optional '.' and digits, then a suffix made of [eEinumkKMGTP]* [+-]? [0-9]*.
 * The value is computed exactly on a decimal digit array (so "0.1Ki" or a
 * 40-digit mantissa round correctly) and then rounded away from zero to the
 * next milli-unit, as Quantity.MilliValue() does. Anything whose magnitude
 * exceeds INT64_MAX milli-units is refused instead of capped: a silently
 * capped memory limit is worse than an error.
 */
#include "util/quantity.h"

#include <limits.h>
#include <stdbool.h>
#include <string.h>

/* The three formats a Kubernetes Quantity remembers from its input. */
typedef enum {
    QFMT_DECIMAL_SI,  /* "", m, k, M ... (and n, u) */
    QFMT_BINARY_SI,   /* Ki, Mi ... Ei */
    QFMT_DECIMAL_EXP, /* 1e3, 5E-3 */
} qfmt_t;

/* Longest input we look at; real quantities are a dozen characters. */
#define QUANTITY_MAX_LEN 1024

static const char K8S_FORMAT_RE[] =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Map a suffix to base-10 exponent (exp10) or power of two (exp2) and format.
 * Returns false for an unknown suffix. */
static bool quantity_suffix(const char *suf, int *exp10, int *exp2, qfmt_t *fmt)
{
    static const struct { const char *s; int e; } dec[] = {
        {"n", -9}, {"u", -6}, {"m", -3}, {"", 0}, {"k", 3}, {"M", 6},
        {"G", 9},  {"T", 12}, {"P", 15}, {"E", 18},
    };
    static const struct { const char *s; int e; } bin[] = {
        {"Ki", 10}, {"Mi", 20}, {"Gi", 30}, {"Ti", 40}, {"Pi", 50}, {"Ei", 60},
    };
    *exp10 = 0;
    *exp2 = 0;
    for (size_t i = 0; i < sizeof dec / sizeof dec[0]; i++)
        if (strcmp(suf, dec[i].s) == 0) {
            *exp10 = dec[i].e;
            *fmt = QFMT_DECIMAL_SI;
            return true;
        }
    for (size_t i = 0; i < sizeof bin / sizeof bin[0]; i++)
        if (strcmp(suf, bin[i].s) == 0) {
            *exp2 = bin[i].e;
            *fmt = QFMT_BINARY_SI;
            return true;
        }
    if ((suf[0] == 'e' || suf[0] == 'E') && suf[1] != '\0') {
        const char *p = suf + 1;
        bool neg = false;
        if (*p == '+' || *p == '-') neg = *p++ == '-';
        if (!is_digit(*p)) return false;
        long e = 0;
        for (; is_digit(*p); p++) {
            /* Exponents past ±100000 are all "overflow" or "rounds to 1m";
             * clamp instead of overflowing the accumulator. */
            if (e < 100000) e = e * 10 + (*p - '0');
        }
        if (*p != '\0') return false;
        *exp10 = (int)(neg ? -e : e);
        *fmt = QFMT_DECIMAL_EXP;
        return true;
    }
    return false;
}

/* Multiply the little-endian decimal digit array d[0..*n) by 2^k. */
static void digits_shl(unsigned char *d, size_t *n, int k)
{
    while (k > 0) {
        int step = k > 10 ? 10 : k;
        unsigned carry = 0;
        for (size_t i = 0; i < *n; i++) {
            unsigned v = ((unsigned)d[i] << step) + carry;
            d[i] = (unsigned char)(v % 10);
            carry = v / 10;
        }
        while (carry) {
            d[(*n)++] = (unsigned char)(carry % 10);
            carry /= 10;
        }
        k -= step;
    }
}

static int quantity_parse_fmt(const char *s, int64_t *milli, qfmt_t *fmt, skiff_error_t *err)
{
    if (!s || !*s) return skiff_error_set(err, SKIFF_E_INVALID, "quantity \"\": empty; %s", K8S_FORMAT_RE);
    size_t slen = strlen(s);
    if (slen > QUANTITY_MAX_LEN)
        return skiff_error_set(err, SKIFF_E_INVALID, "quantity \"%.32s...\": longer than %d characters",
                               s, QUANTITY_MAX_LEN);

    const char *p = s;
    bool neg = false;
    if (*p == '+' || *p == '-') neg = *p++ == '-';
    const char *ip = p;
    while (is_digit(*p)) p++;
    size_t nint = (size_t)(p - ip);
    const char *fp = p;
    size_t nfrac = 0;
    if (*p == '.') {
        fp = ++p;
        while (is_digit(*p)) p++;
        nfrac = (size_t)(p - fp);
    }
    /* apimachinery accepts "." and "-" as zero; we want at least one digit. */
    if (nint + nfrac == 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "quantity \"%s\": no digits; %s", s, K8S_FORMAT_RE);

    /* apimachinery only lexes [eEinumkKMGTP] as suffix letters; we lex any
     * letters so "12Qi" says "unknown suffix" rather than quoting a regex. */
    const char *suf = p;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) p++;
    if (*p == '+' || *p == '-') p++;
    while (is_digit(*p)) p++;
    if (*p != '\0')
        return skiff_error_set(err, SKIFF_E_INVALID, "quantity \"%s\": %s", s, K8S_FORMAT_RE);

    int exp10, exp2;
    qfmt_t f;
    if (!quantity_suffix(suf, &exp10, &exp2, &f))
        return skiff_error_set(err, SKIFF_E_INVALID, "quantity \"%s\": unknown suffix \"%s\"", s, suf);

    /* Significant digits, big-endian, then converted to little-endian with
     * room for the binary multiply (2^60 adds at most 19 digits). */
    unsigned char d[QUANTITY_MAX_LEN + 32];
    size_t n = 0;
    for (size_t i = 0; i < nint; i++)
        if (n || ip[i] != '0') d[n++] = (unsigned char)(ip[i] - '0');
    for (size_t i = 0; i < nfrac; i++)
        if (n || fp[i] != '0') d[n++] = (unsigned char)(fp[i] - '0');
    /* value = digits * 10^e milli-units */
    long e = (long)exp10 + 3 - (long)nfrac;
    while (n > 0 && d[n - 1] == 0) { n--; e++; }
    if (fmt) *fmt = f;
    if (n == 0) {
        *milli = 0;
        return 0;
    }
    for (size_t i = 0; i < n / 2; i++) {
        unsigned char t = d[i];
        d[i] = d[n - 1 - i];
        d[n - 1 - i] = t;
    }
    digits_shl(d, &n, exp2);

    /* Integer part: digits at positions >= -e; anything below rounds up. */
    bool frac_nonzero = false;
    size_t lo = 0;
    if (e < 0) {
        lo = (size_t)(-e) < n ? (size_t)(-e) : n;
        for (size_t i = 0; i < lo; i++)
            if (d[i]) { frac_nonzero = true; break; }
    }
    long intdigits = (long)n - (long)lo + (e > 0 ? e : 0);
    uint64_t mag = 0;
    bool over = intdigits > 19;
    if (!over) {
        for (size_t i = n; i > lo; i--) {
            if (mag > (UINT64_MAX - d[i - 1]) / 10) { over = true; break; }
            mag = mag * 10 + d[i - 1];
        }
        for (long i = 0; !over && i < e; i++) {
            if (mag > UINT64_MAX / 10) over = true;
            else mag *= 10;
        }
        if (!over && frac_nonzero) mag++;
        if (mag > (uint64_t)INT64_MAX) over = true;
    }
    if (over)
        return skiff_error_set(err, SKIFF_E_INVALID,
                               "quantity \"%s\": too large (the limit is %lld milli-units, about 9.2P or 8Pi)",
                               s, (long long)INT64_MAX);
    *milli = neg ? -(int64_t)mag : (int64_t)mag;
    return 0;
}

int skiff_quantity_parse(const char *s, int64_t *milli, skiff_error_t *err)
{
    int64_t v;
    int rc = quantity_parse_fmt(s, &v, NULL, err);
    if (rc == 0) *milli = v;
    return rc;
}

/* Kubernetes' CanonicalizeBytes for one of the three formats. Binary is used
 * only for whole values of at least 1024 in magnitude (1.5Ki is shown as
 * "1536", 0.5Ki as "512"); otherwise the decimal mantissa/exponent with the
 * exponent a multiple of three, and the largest exponent that stays exact. */
static int quantity_format_fmt(int64_t milli, qfmt_t fmt, char *buf, size_t len)
{
    if (milli == 0) return snprintf(buf, len, "0");
    if (fmt == QFMT_BINARY_SI && (milli >= 1024000 || milli <= -1024000) && milli % 1000 == 0) {
        static const char *const bsuf[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
        int64_t v = milli / 1000;
        int i = 0;
        while (i < 6 && v % 1024 == 0) {
            v /= 1024;
            i++;
        }
        return snprintf(buf, len, "%lld%s", (long long)v, bsuf[i]);
    }
    /* Stays in int64: the factors removed here are at least those put back. */
    int64_t m = milli;
    int exp = -3;
    while (m % 10 == 0) {
        m /= 10;
        exp++;
    }
    int r = ((exp % 3) + 3) % 3;
    for (int i = 0; i < r; i++) m *= 10;
    exp -= r;
    if (fmt == QFMT_DECIMAL_EXP) {
        if (exp == 0) return snprintf(buf, len, "%lld", (long long)m);
        return snprintf(buf, len, "%llde%d", (long long)m, exp);
    }
    static const char *const dsuf[] = {"m", "", "k", "M", "G", "T", "P", "E"};
    return snprintf(buf, len, "%lld%s", (long long)m, dsuf[(exp + 3) / 3]);
}

int skiff_quantity_format(int64_t milli, int binary, char *buf, size_t len)
{
    return quantity_format_fmt(milli, binary ? QFMT_BINARY_SI : QFMT_DECIMAL_SI, buf, len);
}

int skiff_quantity_canonical(const char *in, char *out, size_t len, skiff_error_t *err)
{
    int64_t v;
    qfmt_t f;
    int rc = quantity_parse_fmt(in, &v, &f, err);
    if (rc) return rc;
    char tmp[64];
    int n = quantity_format_fmt(v, f, tmp, sizeof tmp);
    if (n < 0 || (size_t)n >= len)
        return skiff_error_set(err, SKIFF_E_TOOLARGE, "quantity \"%s\": canonical form \"%s\" does not fit in %zu bytes",
                               in, tmp, len);
    memcpy(out, tmp, (size_t)n + 1);
    return 0;
}
