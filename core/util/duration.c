/* core/util/duration.c — Go time.ParseDuration, declared in util/quantity.h.
 *
 * Same grammar and limits as Go: [-+]? then one or more <number><unit>,
 * number = digits, digits.digits, digits. or .digits; "0" alone needs no
 * unit; the total must fit int64 nanoseconds (about 292 years). Messages are
 * Go's, since kubectl users have seen them before. Fractions are exact here
 * (Go goes through float64) and sub-nanosecond parts are dropped, as in Go.
 */
#include "util/quantity.h"

#include <stdbool.h>
#include <string.h>

static const struct {
    const char *name;
    uint64_t ns;
} duration_units[] = {
    {"ns", 1ULL},
    {"us", 1000ULL},
    {"\xc2\xb5s", 1000ULL}, /* U+00B5 micro sign */
    {"\xce\xbcs", 1000ULL}, /* U+03BC Greek mu */
    {"ms", 1000000ULL},
    {"s", 1000000000ULL},
    {"m", 60ULL * 1000000000ULL},
    {"h", 3600ULL * 1000000000ULL},
};

#define DURATION_LIMIT (1ULL << 63) /* |d| <= 2^63 ns; positive must be < 2^63 */

int skiff_duration_parse(const char *s, int64_t *ms, skiff_error_t *err)
{
    const char *orig = s ? s : "";
    const char *p = orig;
    bool neg = false;
    if (*p == '+' || *p == '-') neg = *p++ == '-';
    if (strcmp(p, "0") == 0) {
        *ms = 0;
        return 0;
    }
    if (*p == '\0') return skiff_error_set(err, SKIFF_E_INVALID, "time: invalid duration \"%s\"", orig);

    uint64_t total = 0;
    while (*p) {
        if (!(*p == '.' || (*p >= '0' && *p <= '9')))
            return skiff_error_set(err, SKIFF_E_INVALID, "time: invalid duration \"%s\"", orig);
        uint64_t v = 0;
        const char *start = p;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (v > (DURATION_LIMIT - (uint64_t)(*p - '0')) / 10)
                return skiff_error_set(err, SKIFF_E_INVALID, "time: invalid duration \"%s\"", orig);
            v = v * 10 + (uint64_t)(*p - '0');
        }
        bool pre = p != start;
        /* Fraction: 18 digits are kept; a further digit is worth at most
         * 1e-19 h = 0.00036ns, below the nanosecond Go keeps. */
        uint64_t f = 0, scale = 1;
        bool post = false;
        if (*p == '.') {
            p++;
            const char *fs = p;
            for (; *p >= '0' && *p <= '9'; p++)
                if (scale < 1000000000000000000ULL) {
                    f = f * 10 + (uint64_t)(*p - '0');
                    scale *= 10;
                }
            post = p != fs;
        }
        if (!pre && !post) return skiff_error_set(err, SKIFF_E_INVALID, "time: invalid duration \"%s\"", orig);

        const char *us = p;
        while (*p && *p != '.' && !(*p >= '0' && *p <= '9')) p++;
        size_t ulen = (size_t)(p - us);
        if (ulen == 0)
            return skiff_error_set(err, SKIFF_E_INVALID, "time: missing unit in duration \"%s\"", orig);
        uint64_t unit = 0;
        for (size_t i = 0; i < sizeof duration_units / sizeof duration_units[0]; i++)
            if (strlen(duration_units[i].name) == ulen && memcmp(duration_units[i].name, us, ulen) == 0)
                unit = duration_units[i].ns;
        if (!unit)
            return skiff_error_set(err, SKIFF_E_INVALID, "time: unknown unit \"%.*s\" in duration \"%s\"",
                                   (int)ulen, us, orig);
        if (v > DURATION_LIMIT / unit)
            return skiff_error_set(err, SKIFF_E_INVALID, "time: invalid duration \"%s\"", orig);
        v *= unit;
        if (f) {
            v += (uint64_t)((unsigned __int128)f * unit / scale);
            if (v > DURATION_LIMIT)
                return skiff_error_set(err, SKIFF_E_INVALID, "time: invalid duration \"%s\"", orig);
        }
        total += v;
        if (total > DURATION_LIMIT)
            return skiff_error_set(err, SKIFF_E_INVALID, "time: invalid duration \"%s\"", orig);
    }
    if (!neg && total > DURATION_LIMIT - 1)
        return skiff_error_set(err, SKIFF_E_INVALID, "time: invalid duration \"%s\"", orig);

    /* Sub-millisecond parts round up (away from zero): "1ns" is 1ms, not 0,
     * so a tiny timeout never turns into "no timeout". */
    uint64_t m = total / 1000000ULL + (total % 1000000ULL ? 1 : 0);
    *ms = neg ? -(int64_t)m : (int64_t)m;
    return 0;
}
