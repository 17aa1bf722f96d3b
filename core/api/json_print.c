/* core/api/json_print — see json_print.h. */
#include "api/json_print.h"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1: a byte that ends a plain run inside a string (NUL, controls, '"', '\\') */
static const unsigned char special[256] = { [0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1 };

static inline int room(skiff_api_buf_t *b, size_t n)
{
    return b->len + n + 1 <= b->cap ? 0 : skiff_api_buf_reserve(b, n);
}

static inline void put_lit(skiff_api_buf_t *b, const char *s, size_t n)
{
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

/* s as a JSON string literal, escaped exactly as cJSON's print_string_ptr
 * does (short escapes for " \ \b \f \n \r \t, \u00XX for other controls,
 * everything else as is); NULL prints as "". */
static int pr_string(skiff_api_buf_t *b, const char *s)
{
    if (!s) {
        if (room(b, 2)) return -1;
        put_lit(b, "\"\"", 2);
        return 0;
    }
    const unsigned char *u = (const unsigned char *)s;
    size_t n = 0;
    while (!special[u[n]]) n++;
    if (!u[n]) { /* nothing to escape: the usual case */
        if (room(b, n + 2)) return -1;
        char *d = b->data + b->len;
        d[0] = '"';
        memcpy(d + 1, s, n);
        d[n + 1] = '"';
        b->len += n + 2;
        return 0;
    }
    size_t total = n;
    for (const unsigned char *p = u + n; *p; p++) {
        unsigned char ch = *p;
        if (!special[ch]) total++;
        else if (ch == '"' || ch == '\\' || ch == '\b' || ch == '\f' || ch == '\n' || ch == '\r' || ch == '\t') total += 2;
        else total += 6;
    }
    if (room(b, total + 2)) return -1;
    char *d = b->data + b->len;
    *d++ = '"';
    memcpy(d, s, n);
    d += n;
    static const char hex[] = "0123456789abcdef";
    for (const unsigned char *p = u + n; *p; p++) {
        unsigned char ch = *p;
        if (!special[ch]) { *d++ = (char)ch; continue; }
        *d++ = '\\';
        switch (ch) {
        case '"': *d++ = '"'; break;
        case '\\': *d++ = '\\'; break;
        case '\b': *d++ = 'b'; break;
        case '\f': *d++ = 'f'; break;
        case '\n': *d++ = 'n'; break;
        case '\r': *d++ = 'r'; break;
        case '\t': *d++ = 't'; break;
        default:
            *d++ = 'u'; *d++ = '0'; *d++ = '0';
            *d++ = hex[ch >> 4];
            *d++ = hex[ch & 15];
        }
    }
    *d++ = '"';
    b->len = (size_t)(d - b->data);
    return 0;
}

/* cJSON's compare_double */
static int same_double(double a, double b)
{
    double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return fabs(a - b) <= m * DBL_EPSILON;
}

/* As cJSON 1.7.15's print_number: null for NaN/infinity, else the shorter
 * of %1.15g / %1.17g that reads back. (That version has no "%d of
 * valueint" branch: -0.0 prints as -0.) */
static int pr_number(skiff_api_buf_t *b, const cJSON *item)
{
    double d = item->valuedouble;
    char tmp[32];
    int n;
    if (isnan(d) || isinf(d)) {
        memcpy(tmp, "null", 4);
        n = 4;
    } else if (d > -1e15 && d < 1e15 && d == (double)(int64_t)d) {
        /* integral below 10^15: %1.15g prints exactly its digits, no
         * exponent, and reads back; the hot case (ports, counts) */
        int64_t v = (int64_t)d;
        uint64_t x = v < 0 ? 0u - (uint64_t)v : (uint64_t)v;
        char rev[20];
        int k = 0;
        do { rev[k++] = (char)('0' + x % 10); x /= 10; } while (x);
        n = 0;
        if (signbit(d)) tmp[n++] = '-';
        while (k) tmp[n++] = rev[--k];
    } else {
        n = snprintf(tmp, sizeof tmp, "%1.15g", d);
        char *end = NULL;
        double back = strtod(tmp, &end);
        if (end == tmp || !same_double(back, d)) n = snprintf(tmp, sizeof tmp, "%1.17g", d);
        if (n < 0 || n > 25) return -1; /* cJSON's number buffer holds 25 */
        char dp = *localeconv()->decimal_point;
        if (dp != '.')
            for (int i = 0; i < n; i++) if (tmp[i] == dp) tmp[i] = '.';
    }
    if (room(b, (size_t)n)) return -1;
    put_lit(b, tmp, (size_t)n);
    return 0;
}

static int pr_value(skiff_api_buf_t *b, const cJSON *item)
{
    switch (item->type & 0xFF) {
    case cJSON_NULL:
        if (room(b, 4)) return -1;
        put_lit(b, "null", 4);
        return 0;
    case cJSON_False:
        if (room(b, 5)) return -1;
        put_lit(b, "false", 5);
        return 0;
    case cJSON_True:
        if (room(b, 4)) return -1;
        put_lit(b, "true", 4);
        return 0;
    case cJSON_Number:
        return pr_number(b, item);
    case cJSON_Raw: {
        if (!item->valuestring) return -1;
        size_t n = strlen(item->valuestring);
        if (room(b, n)) return -1;
        put_lit(b, item->valuestring, n);
        return 0;
    }
    case cJSON_String:
        return pr_string(b, item->valuestring);
    case cJSON_Array:
        if (room(b, 1)) return -1;
        b->data[b->len++] = '[';
        for (const cJSON *c = item->child; c; c = c->next) {
            if (pr_value(b, c)) return -1;
            if (c->next) {
                if (room(b, 1)) return -1;
                b->data[b->len++] = ',';
            }
        }
        if (room(b, 1)) return -1;
        b->data[b->len++] = ']';
        return 0;
    case cJSON_Object:
        if (room(b, 1)) return -1;
        b->data[b->len++] = '{';
        for (const cJSON *c = item->child; c; c = c->next) {
            if (pr_string(b, c->string) || room(b, 1)) return -1;
            b->data[b->len++] = ':';
            if (pr_value(b, c)) return -1;
            if (c->next) {
                if (room(b, 1)) return -1;
                b->data[b->len++] = ',';
            }
        }
        if (room(b, 1)) return -1;
        b->data[b->len++] = '}';
        return 0;
    default:
        return -1;
    }
}

int skiff_api_json_print_to(skiff_api_buf_t *b, const cJSON *item)
{
    if (!item || b->oom) return -1;
    size_t start = b->len;
    int rc = pr_value(b, item);
    if (b->data) b->data[rc ? start : b->len] = '\0';
    if (rc) b->len = start;
    return rc;
}

char *skiff_api_json_print(const cJSON *item, size_t hint, size_t *len)
{
    skiff_api_buf_t b;
    skiff_api_buf_init(&b);
    if (hint && skiff_api_buf_reserve(&b, hint) < 0) return NULL;
    if (skiff_api_json_print_to(&b, item) < 0) {
        skiff_api_buf_free(&b);
        return NULL;
    }
    return skiff_api_buf_take(&b, len);
}
