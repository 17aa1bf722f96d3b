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

/* inlined into the member walks: a call per member was measurable there
 * (callgrind, bench-sched-api's bind) */
#define HOT static inline __attribute__((always_inline))

HOT const char *key_at(const char *p, const char *e, const char **ks, size_t *kl)
{
    if (p >= e || *p != '"') return NULL;
    const char *ke = skip_str(p, e);
    if (!ke) return NULL;
    *ks = p + 1;
    *kl = (size_t)(ke - p) - 2;
    p = skiff_jscan_ws(ke, e);
    if (p >= e || *p != ':') return NULL;
    return skiff_jscan_ws(p + 1, e); /* may be e: skip (or the caller) sees that */
}

const char *skiff_jscan_key(const char *p, const char *e, const char **ks, size_t *kl)
{
    const char *v = key_at(p, e, ks, kl);
    return v && v < e ? v : NULL;
}

/* After a member's value (ve): the next member's key (*p, 1), the object's
 * closing brace (*p, 0), or -1. */
HOT int next_member(const char **p, const char *ve, const char *e)
{
    const char *q = skiff_jscan_ws(ve, e);
    if (q < e && *q == ',') { *p = skiff_jscan_ws(q + 1, e); return 1; }
    if (q < e && *q == '}') { *p = q; return 0; }
    return -1;
}

int skiff_jscan_next(const char **p, const char *e, skiff_jmem_t *m)
{
    const char *ks, *v, *ve;
    size_t kl;
    if (!(v = key_at(*p, e, &ks, &kl)) || !(ve = skiff_jscan_skip(v, e))) return -1;
    *m = (skiff_jmem_t){ *p, v, ve };
    return next_member(p, ve, e);
}

int skiff_jscan_key_is(const skiff_jmem_t *m, const char *key)
{
    size_t n = strlen(key);
    return (size_t)(m->v - m->k) >= n + 3 && m->k[n + 1] == '"' && memcmp(m->k + 1, key, n) == 0;
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
        const char *ks, *v, *ve;
        size_t kl;
        if (!(v = key_at(p, e, &ks, &kl)) || memchr(ks, '\\', kl) || !(ve = skiff_jscan_skip(v, e)))
            return -1;
        for (size_t i = 0; i < n; i++)
            if (!m[i].k && strlen(keys[i]) == kl && memcmp(ks, keys[i], kl) == 0) {
                m[i] = (skiff_jmem_t){ p, v, ve };
                found++;
            }
        if (!close && found == n) return 0; /* all there: the rest need not be read */
        int more = next_member(&p, ve, e);
        if (more < 0) return -1;
        if (!more) {
            if (close) *close = p;
            return 0;
        }
    }
}

int skiff_jscan_at(const char *o, const char *e, const char *const *path, size_t n, const char **v)
{
    for (size_t i = 0; i < n; i++) {
        if (o >= e || *o != '{') return i ? 1 : -1; /* a step that is not an object: absent */
        const char *p = skiff_jscan_ws(o + 1, e);
        if (p < e && *p == '}') return 1;
        size_t want = strlen(path[i]);
        for (;;) {
            const char *ks, *val, *ve;
            size_t kl;
            if (!(val = key_at(p, e, &ks, &kl)) || memchr(ks, '\\', kl)) return -1;
            if (kl == want && memcmp(ks, path[i], kl) == 0) { /* the first one wins */
                if (val >= e) return -1;
                o = val;
                break;
            }
            if (!(ve = skiff_jscan_skip(val, e))) return -1;
            int more = next_member(&p, ve, e);
            if (more < 0) return -1;
            if (!more) return 1;
        }
    }
    *v = o;
    return 0;
}

int skiff_jscan_str(const char *v, const char *ve, char *buf, size_t len)
{
    if (ve - v < 2 || *v != '"' || ve[-1] != '"' || memchr(v, '\\', (size_t)(ve - v))) return -1;
    size_t n = (size_t)(ve - v) - 2;
    if (n >= len) return -1;
    memcpy(buf, v + 1, n);
    buf[n] = '\0';
    return 0;
}

int skiff_jscan_str_eq(const char *v, const char *ve, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(ve - v) == n + 2 && *v == '"' && ve[-1] == '"' && memcmp(v + 1, s, n) == 0 &&
           !memchr(s, '"', n) && !memchr(s, '\\', n);
}
