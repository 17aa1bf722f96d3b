/* core/manifest/input.c — limits, positions and UTF-8 checks shared by the
 * JSON and YAML decoders. */
#include <stdarg.h>
#include <stdio.h>

#include "manifest/manifest_int.h"

void skiff_manifest_limits(const skiff_manifest_opts_t *opts, skiff_manifest_limits_t *out)
{
    out->max_bytes = opts && opts->max_bytes ? opts->max_bytes : SKIFF_MANIFEST_MAX_BYTES;
    out->max_depth = opts && opts->max_depth > 0 ? opts->max_depth : SKIFF_MANIFEST_MAX_DEPTH;
    /* Trees are freed and copied recursively: keep the C stack bounded. */
    if (out->max_depth > SKIFF_MANIFEST_DEPTH_CAP) out->max_depth = SKIFF_MANIFEST_DEPTH_CAP;
    out->max_alias_nodes = opts && opts->max_alias_nodes ? opts->max_alias_nodes : SKIFF_MANIFEST_MAX_ALIAS_NODES;
    out->flags = opts ? opts->flags : 0;
    out->warn_buf = opts && opts->warn_len ? opts->warn_buf : NULL;
    out->warn_len = out->warn_buf ? opts->warn_len : 0;
    if (out->warn_buf) out->warn_buf[0] = '\0';
}

void skiff_manifest_warn(const skiff_manifest_limits_t *lim, const char *fmt, ...)
{
    if (!lim->warn_buf || lim->warn_buf[0]) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lim->warn_buf, lim->warn_len, fmt, ap);
    va_end(ap);
}

void skiff_manifest_position(const char *buf, size_t len, size_t off, size_t *line, size_t *col)
{
    size_t l = 1, c = 1;
    if (off > len) off = len;
    for (size_t i = 0; i < off; i++) {
        unsigned char ch = (unsigned char)buf[i];
        if (ch == '\n') {
            l++;
            c = 1;
        } else if ((ch & 0xC0) != 0x80) { /* count characters, not continuation bytes */
            c++;
        }
    }
    *line = l;
    *col = c;
}

size_t skiff_manifest_utf8_check(const char *buf, size_t len)
{
    const unsigned char *s = (const unsigned char *)buf;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) n = 1, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF) n = 2, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4) n = 3, cp = c & 0x07;
        else return i;
        if (len - i <= n) return i;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        /* overlong 3/4-byte forms, UTF-16 surrogates, past U+10FFFF */
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return i;
        i += n + 1;
    }
    return len;
}
