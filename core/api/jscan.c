/* core/api/jscan — members of JSON text without a parse (jscan.h). */
#include <string.h>

#include "api/jscan.h"

const char *skiff_jscan_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

/* p at '"': just past the closing quote, NULL if unterminated. */
static const char *skip_str(const char *p, const char *e)
{
    for (p++; p < e; p++) {
        const char *q = memchr(p, '"', (size_t)(e - p));
        if (!q) return NULL;
        /* an escaped quote has an odd run of backslashes before it */
        const char *b = q;
        while (b > p && b[-1] == '\\') b--;
        if (((q - b) & 1) == 0) return q + 1;
        p = q;
    }
    return NULL;
}

/* bytes that matter inside a container: strings and brackets */
static const unsigned char special[256] = { ['"'] = 1, ['{'] = 1, ['}'] = 1, ['['] = 1, [']'] = 1 };

/* Just past the value at p, NULL if there is none. Containers are matched
 * by bracket depth (strings skipped); the text is ours, valid JSON. */
const char *skiff_jscan_skip(const char *p, const char *e)
{
    if (p >= e) return NULL;
    if (*p == '"') return skip_str(p, e);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (p < e) {
            while (p < e && !special[(unsigned char)*p]) p++;
            if (p >= e) return NULL;
            char ch = *p;
            if (ch == '"') {
                if (!(p = skip_str(p, e))) return NULL;
                continue;
            }
            if (ch == '{' || ch == '[') depth++;
            else if (--depth == 0) return p + 1;
            p++;
        }
        return NULL;
    }
    const char *s = p;
    while (p < e && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' && *p != '\t' && *p != '\r') p++;
    return p > s ? p : NULL;
}

int skiff_jscan_members(const char *o, const char *e, const char *const *keys, size_t n, skiff_jmem_t *m,
                        const char **close, int *empty)
{
    if (o >= e || *o != '{') return -1;
    for (size_t i = 0; i < n; i++) m[i].k = NULL;
    size_t found = 0;
    const char *p = skiff_jscan_ws(o + 1, e);
    int none = p < e && *p == '}';
    if (empty) *empty = none;
    if (none) {
        if (close) *close = p;
        return 0;
    }
    for (;;) {
        if (p >= e || *p != '"') return -1;
        const char *ks = p, *ke = skip_str(p, e);
        if (!ke || memchr(ks, '\\', (size_t)(ke - ks))) return -1;
        p = skiff_jscan_ws(ke, e);
        if (p >= e || *p != ':') return -1;
        const char *v = skiff_jscan_ws(p + 1, e), *ve = skiff_jscan_skip(v, e);
        if (!ve) return -1;
        size_t kl = (size_t)(ke - ks) - 2;
        for (size_t i = 0; i < n; i++)
            if (!m[i].k && strlen(keys[i]) == kl && memcmp(ks + 1, keys[i], kl) == 0) {
                m[i] = (skiff_jmem_t){ ks, v, ve };
                found++;
            }
        if (!close && found == n) return 0; /* all there: the rest need not be read */
        p = skiff_jscan_ws(ve, e);
        if (p < e && *p == ',') { p = skiff_jscan_ws(p + 1, e); continue; }
        if (p < e && *p == '}') {
            if (close) *close = p;
            return 0;
        }
        return -1;
    }
}

int skiff_jscan_str(const char *v, const char *ve, char *buf, size_t len)
{
    if (ve - v < 2 || *v != '"' || memchr(v, '\\', (size_t)(ve - v))) return -1;
    size_t n = (size_t)(ve - v) - 2;
    if (n >= len) return -1;
    memcpy(buf, v + 1, n);
    buf[n] = '\0';
    return 0;
}
