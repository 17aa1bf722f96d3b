/* core/manifest/yaml_scalar.c — what JSON type a YAML scalar is. The rule is
 * documented in manifest.h; the YAML 1.1 mode follows go-yaml v2's resolve()
 * (what kubectl uses) and was checked against sigs.k8s.io/yaml.YAMLToJSON. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/manifest_int.h"

#define TAG_PREFIX "tag:yaml.org,2002:"

static bool word_in(const char *s, size_t n, const char *const *list)
{
    for (; *list; list++)
        if (strlen(*list) == n && memcmp(*list, s, n) == 0) return true;
    return false;
}

static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
static const char *const trues[] = {"true", "True", "TRUE", NULL};
static const char *const falses[] = {"false", "False", "FALSE", NULL};
static const char *const trues11[] = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON", NULL};
static const char *const falses11[] = {"n", "N", "no", "No", "NO", "off", "Off", "OFF", NULL};
static const char *const nonfinite[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf",
                                        "-.INF", ".nan", ".NaN", ".NAN", NULL};

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static int digit_val(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return 99;
}

/* Digits s[0..n) in base into *mag; false on a bad digit, no digits, or
 * overflow of uint64 (*overflow set then). */
static bool parse_mag(const char *s, size_t n, int base, uint64_t *mag, bool *overflow)
{
    uint64_t v = 0;
    *overflow = false;
    if (n == 0) return false;
    for (size_t i = 0; i < n; i++) {
        int d = digit_val(s[i]);
        if (d >= base) return false;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) *overflow = true;
        else v = v * (uint64_t)base + (uint64_t)d;
    }
    *mag = v;
    return !*overflow;
}

/* Signed magnitude to an INT scalar; false when it fits neither int64 nor
 * (for a positive value) uint64. */
static bool make_int(bool neg, uint64_t mag, skiff_scalar_t *out)
{
    out->kind = SKIFF_SCALAR_INT;
    out->u64 = false;
    if (neg) {
        if (mag > (uint64_t)INT64_MAX + 1) return false;
        out->i = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else if (mag > (uint64_t)INT64_MAX) {
        out->u64 = true;
        out->u = mag;
    } else {
        out->i = (int64_t)mag;
    }
    return true;
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? — go-yaml's float
 * shape; with strict, the integer part may not have a leading zero. */
static bool float_shape(const char *s, size_t n, bool strict, bool *has_frac_or_exp)
{
    size_t p = 0;
    if (p < n && (s[p] == '+' || s[p] == '-')) p++;
    size_t is = p;
    while (p < n && is_digit(s[p])) p++;
    size_t nint = p - is;
    if (strict && nint > 1 && s[is] == '0') return false;
    size_t nfrac = 0;
    bool dot = false, exp = false;
    if (p < n && s[p] == '.') {
        dot = true;
        p++;
        size_t fs = p;
        while (p < n && is_digit(s[p])) p++;
        nfrac = p - fs;
    }
    if (nint + nfrac == 0) return false;
    if (p < n && (s[p] == 'e' || s[p] == 'E')) {
        exp = true;
        p++;
        if (p < n && (s[p] == '+' || s[p] == '-')) p++;
        size_t es = p;
        while (p < n && is_digit(s[p])) p++;
        if (p == es) return false;
    }
    *has_frac_or_exp = dot || exp;
    return p == n;
}

/* strtod on a bounded copy; false when out of double range (stays a string,
 * as go-yaml leaves a ParseFloat range error). */
static bool to_double(const char *s, size_t n, double *d)
{
    char buf[128];
    char *tmp = n < sizeof buf ? buf : malloc(n + 1);
    if (!tmp) return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    errno = 0;
    *d = strtod(tmp, NULL);
    bool ok = !(errno == ERANGE && isinf(*d));
    if (tmp != buf) free(tmp);
    return ok;
}

/* Default (strict 1.2-core) typing of a plain scalar's numbers. */
static int resolve_number12(const char *s, size_t n, skiff_scalar_t *out, char *why, size_t whylen)
{
    bool frac;
    if (!float_shape(s, n, true, &frac)) return 1; /* not a number: a string */
    if (!frac) {
        size_t p = 0;
        bool neg = false;
        if (s[0] == '+' || s[0] == '-') neg = s[p++] == '-';
        uint64_t mag = 0;
        bool overflow;
        if (!parse_mag(s + p, n - p, 10, &mag, &overflow) || !make_int(neg, mag, out)) {
            snprintf(why, whylen, "integer %.*s is too large to keep exactly (|n| must be below 2^53); quote it "
                     "to keep it as a string", (int)(n > 40 ? 40 : n), s);
            return SKIFF_E_INVALID;
        }
        return 0;
    }
    double d;
    if (!to_double(s, n, &d)) return 1;
    out->kind = SKIFF_SCALAR_FLOAT;
    out->d = d;
    return 0;
}

/* go-yaml v2's resolve() for plain scalars starting with a digit, sign or '.'. */
static int resolve_number11(const char *s, size_t n, skiff_scalar_t *out)
{
    if (s[0] == '.') {
        bool frac;
        double d;
        if (float_shape(s, n, false, &frac) && to_double(s, n, &d)) {
            out->kind = SKIFF_SCALAR_FLOAT;
            out->d = d;
            return 0;
        }
        return 1;
    }
    if (!(is_digit(s[0]) || s[0] == '+' || s[0] == '-')) return 1;
    /* go-yaml drops every underscore before trying numbers. */
    char buf[128];
    char *plain = n < sizeof buf ? buf : malloc(n + 1);
    if (!plain) return 1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] != '_') plain[m++] = s[i];
    plain[m] = '\0';
    int rc = 1;

    /* strconv.ParseInt(plain, 0, 64), then ParseUint (no sign). */
    size_t p = 0;
    bool neg = false, signed_ = false;
    if (m && (plain[0] == '+' || plain[0] == '-')) {
        neg = plain[0] == '-';
        signed_ = true;
        p = 1;
    }
    int base = 10;
    if (m - p >= 2 && plain[p] == '0') {
        char c = plain[p + 1];
        if (c == 'x' || c == 'X') base = 16, p += 2;
        else if (c == 'b' || c == 'B') base = 2, p += 2;
        else if (c == 'o' || c == 'O') base = 8, p += 2;
        else base = 8, p += 1;
    }
    uint64_t mag;
    bool overflow;
    if (parse_mag(plain + p, m - p, base, &mag, &overflow)) {
        skiff_scalar_t v;
        if (make_int(neg, mag, &v) && !(signed_ && v.u64)) {
            *out = v;
            rc = 0;
            goto done;
        }
    }
    bool frac;
    double d;
    if (float_shape(plain, m, false, &frac) && to_double(plain, m, &d)) {
        out->kind = SKIFF_SCALAR_FLOAT;
        out->d = d;
        rc = 0;
    }
done:
    if (plain != buf) free(plain);
    return rc;
}

static int resolve_plain(const char *s, size_t n, unsigned flags, skiff_scalar_t *out, char *why, size_t whylen)
{
    memset(out, 0, sizeof *out);
    if (word_in(s, n, nulls)) {
        out->kind = SKIFF_SCALAR_NULL;
        return 0;
    }
    bool y11 = flags & SKIFF_MANIFEST_YAML11;
    if (word_in(s, n, trues) || (y11 && word_in(s, n, trues11))) {
        out->kind = SKIFF_SCALAR_BOOL;
        out->b = true;
        return 0;
    }
    if (word_in(s, n, falses) || (y11 && word_in(s, n, falses11))) {
        out->kind = SKIFF_SCALAR_BOOL;
        out->b = false;
        return 0;
    }
    if (word_in(s, n, nonfinite)) {
        snprintf(why, whylen, "%.*s cannot be represented in JSON; quote it to keep it as a string", (int)n, s);
        return SKIFF_E_INVALID;
    }
    int rc = y11 ? resolve_number11(s, n, out) : resolve_number12(s, n, out, why, whylen);
    if (rc < 0) return rc;
    if (rc > 0) out->kind = SKIFF_SCALAR_STR;
    return 0;
}

int skiff_manifest_scalar_resolve(const char *s, size_t n, bool plain, const char *tag, unsigned flags,
                                  skiff_scalar_t *out, char *why, size_t whylen)
{
    memset(out, 0, sizeof *out);
    if (!tag) {
        if (!plain) {
            out->kind = SKIFF_SCALAR_STR;
            return 0;
        }
        return resolve_plain(s, n, flags, out, why, whylen);
    }
    size_t pl = sizeof TAG_PREFIX - 1;
    const char *t = strncmp(tag, TAG_PREFIX, pl) == 0 ? tag + pl : NULL;
    if (strcmp(tag, "!") == 0 || (t && (!strcmp(t, "str") || !strcmp(t, "binary") || !strcmp(t, "timestamp")))) {
        out->kind = SKIFF_SCALAR_STR;
        return 0;
    }
    skiff_scalar_kind_t want;
    if (t && !strcmp(t, "int")) want = SKIFF_SCALAR_INT;
    else if (t && !strcmp(t, "float")) want = SKIFF_SCALAR_FLOAT;
    else if (t && !strcmp(t, "bool")) want = SKIFF_SCALAR_BOOL;
    else if (t && !strcmp(t, "null")) want = SKIFF_SCALAR_NULL;
    else {
        /* Other tags (local "!foo", "!!set"...) are ignored and the text kept
         * as a string, as go-yaml does for a tag it cannot resolve. */
        out->kind = SKIFF_SCALAR_STR;
        return 0;
    }
    int rc = resolve_plain(s, n, flags, out, why, whylen);
    if (rc) return rc;
    if (want == SKIFF_SCALAR_FLOAT && out->kind == SKIFF_SCALAR_INT) {
        out->d = out->u64 ? (double)out->u : (double)out->i;
        out->kind = SKIFF_SCALAR_FLOAT;
    }
    if (out->kind != want) {
        snprintf(why, whylen, "cannot use \"%.*s\" as %s", (int)(n > 40 ? 40 : n), s, tag);
        return SKIFF_E_INVALID;
    }
    return 0;
}

bool skiff_manifest_scalar_needs_quotes(const char *s, size_t n)
{
    if (n == 0) return true;
    /* Anything number-like, date-like or sexagesimal: cheaper to quote than
     * to prove every YAML reader agrees it is a string. */
    if (is_digit(s[0])) return true;
    if ((s[0] == '+' || s[0] == '-' || s[0] == '.') && n > 1 && (is_digit(s[1]) || s[1] == '.')) return true;
    if ((n == 2 && s[0] == '<' && s[1] == '<') || (n == 1 && s[0] == '=')) return true;
    char why[8];
    skiff_scalar_t v;
    if (resolve_plain(s, n, 0, &v, why, sizeof why) != 0 || v.kind != SKIFF_SCALAR_STR) return true;
    if (resolve_plain(s, n, SKIFF_MANIFEST_YAML11, &v, why, sizeof why) != 0 || v.kind != SKIFF_SCALAR_STR)
        return true;
    return false;
}

void skiff_manifest_format_float32_key(double d, char *buf, size_t len)
{
    float f = (float)d;
    char tmp[64];
    /* Past FLT_MAX the float32 is infinite; sigs.k8s.io/yaml spells it so. */
    if (isinf(f) || isnan(f)) {
        snprintf(buf, len, "%s", isnan(f) ? ".nan" : f > 0 ? ".inf" : "-.inf");
        return;
    }
    int prec = 1;
    for (; prec < 9; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, (double)f);
        if ((float)strtod(tmp, NULL) == f) break;
    }
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, (double)f);
    int exp = atoi(strchr(tmp, 'e') + 1);
    /* Go's 'g' at shortest precision uses %e for exponents below -4 or from
     * 6 up (its eprec is fixed at 6 then), unlike C's %g. */
    if (exp < -4 || exp >= 6) {
        snprintf(buf, len, "%s", tmp);
        return;
    }
    int decimals = prec - 1 - exp;
    snprintf(buf, len, "%.*f", decimals > 0 ? decimals : 0, (double)f);
}

void skiff_manifest_format_number(double d, char *buf, size_t len) { skiff_manifest_format_double(d, buf, len); }

void skiff_manifest_format_double(double d, char *buf, size_t len)
{
    if (d == floor(d) && fabs(d) < SKIFF_MANIFEST_EXACT_INT_LIMIT) {
        snprintf(buf, len, "%.0f", d);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, d);
        if (strtod(buf, NULL) == d) break;
    }
    /* An integral value printed without '.' or 'e' would read back as an
     * integer (and past 2^53 be refused); keep it a float. */
    if (!strpbrk(buf, ".eE")) {
        size_t l = strlen(buf);
        if (l + 2 < len) memcpy(buf + l, ".0", 3);
    }
}
