/* core/api/buf — see buf.h. */
#include "api/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void skiff_api_buf_init(skiff_api_buf_t *b) { memset(b, 0, sizeof *b); }

void skiff_api_buf_free(skiff_api_buf_t *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

void skiff_api_buf_reset(skiff_api_buf_t *b)
{
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

int skiff_api_buf_reserve(skiff_api_buf_t *b, size_t extra)
{
    if (b->oom) return -1;
    if (b->len + extra + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) { b->oom = 1; return -1; }
    b->data = p;
    b->cap = cap;
    return 0;
}

void skiff_api_buf_add(skiff_api_buf_t *b, const void *p, size_t n)
{
    if (skiff_api_buf_reserve(b, n) < 0) return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void skiff_api_buf_puts(skiff_api_buf_t *b, const char *s) { skiff_api_buf_add(b, s, strlen(s)); }

void skiff_api_buf_putc(skiff_api_buf_t *b, char c) { skiff_api_buf_add(b, &c, 1); }

void skiff_api_buf_printf(skiff_api_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) { skiff_api_buf_add(b, tmp, (size_t)n); return; }
    if (skiff_api_buf_reserve(b, (size_t)n) < 0) return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void skiff_api_buf_json_str(skiff_api_buf_t *b, const char *s)
{
    skiff_api_buf_putc(b, '"');
    const char *run = s;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        const char *esc = NULL;
        char u[8];
        switch (*p) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            if (*p < 0x20) { snprintf(u, sizeof u, "\\u%04x", *p); esc = u; }
        }
        if (esc) {
            skiff_api_buf_add(b, run, (size_t)((const char *)p - run));
            skiff_api_buf_puts(b, esc);
            run = (const char *)p + 1;
        }
    }
    skiff_api_buf_puts(b, run);
    skiff_api_buf_putc(b, '"');
}

char *skiff_api_buf_take(skiff_api_buf_t *b, size_t *len)
{
    if (b->oom) { skiff_api_buf_free(b); return NULL; }
    if (!b->data) skiff_api_buf_reserve(b, 0);
    char *d = b->data;
    if (len) *len = b->len;
    memset(b, 0, sizeof *b);
    return d;
}
