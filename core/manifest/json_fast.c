/* core/manifest/json_fast.c — one pass over well-formed JSON to the tree
 * cJSON would build, with fewer allocations.
 *
 * The usual decode is four passes (UTF-8 check, the validating scan, cJSON's
 * parse, the duplicate-key walk) and three allocations per string member
 * (item, name, text): on the API server's create path that was a sixth of a
 * pod create. This decoder does all of it in one pass and allocates once per
 * item: a string's text lives in its item's own block (cJSON_IsReference on
 * the value, so cJSON_Delete frees the block once; cJSON_Duplicate copies the
 * text as usual), and member names of Kubernetes' schema point at static
 * strings (cJSON_StringIsConst; json_keys.c). Everything else about the tree
 * is cJSON's: types, valueint/valuedouble as cJSON's parse_number sets them,
 * the child/prev/next links (first->prev = last).
 *
 * It handles only what it can do exactly: anything else — any error, a
 * \u escape, a member name over 255 bytes with escapes, a BOM, a duplicate member, an object wider than 32 members, an
 * integer of 16 digits or more, a number that overflows, nesting at the
 * limit — makes it give up (1) and the caller runs the full path, which
 * produces the same tree or the exact error. Invalid UTF-8 is checked only
 * when a byte >= 0x80 was seen (outside strings such a byte is an error). */
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/manifest_int.h"

int skiff_manifest_json_fast_off;

#define FAST_WIDE 32 /* members per object compared pairwise for duplicates */

/* ---- the static member names, hashed once -------------------------------- */

#define KEY_SLOTS 2048 /* power of two, > 4x the names */
static const char *key_slot[KEY_SLOTS];
static unsigned char key_len[KEY_SLOTS];
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static uint32_t key_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static void keys_init(void)
{
    for (size_t i = 0; i < skiff_manifest_json_nkeys; i++) {
        const char *k = skiff_manifest_json_keys[i];
        size_t n = strlen(k);
        if (n > 255) continue;
        uint32_t h = key_hash(k, n) & (KEY_SLOTS - 1);
        while (key_slot[h]) {
            if (key_len[h] == n && memcmp(key_slot[h], k, n) == 0) break;
            h = (h + 1) & (KEY_SLOTS - 1);
        }
        key_slot[h] = k;
        key_len[h] = (unsigned char)n;
    }
}

static const char *key_find(const char *s, size_t n, uint32_t full)
{
    if (n > 255) return NULL;
    uint32_t h = full & (KEY_SLOTS - 1);
    for (; key_slot[h]; h = (h + 1) & (KEY_SLOTS - 1))
        if (key_len[h] == n && memcmp(key_slot[h], s, n) == 0) return key_slot[h];
    return NULL;
}

/* ---- the parser ------------------------------------------------------------ */

enum { FAST_OK = 0, FAST_GIVE_UP = 1, FAST_OOM = -1 };

typedef struct {
    const char *p, *end;
    int depth, max_depth;
    unsigned char hi; /* OR of every string byte: >= 0x80 means check UTF-8 */
    int rc;           /* FAST_GIVE_UP / FAST_OOM once failed */
} fast_t;

/* 1: a byte that ends a plain run inside a string (controls, '"', '\\') */
static const unsigned char str_stop[256] = { [0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1 };

static inline void skip_ws(fast_t *f)
{
    while (f->p < f->end && (*f->p == ' ' || *f->p == '\n' || *f->p == '\r' || *f->p == '\t')) f->p++;
}

static cJSON *new_item(fast_t *f, size_t extra)
{
    cJSON *it = malloc(sizeof *it + extra);
    if (!it) { f->rc = FAST_OOM; return NULL; }
    memset(it, 0, sizeof *it);
    return it;
}

/* A string at f->p (just past its opening quote): its raw span and whether
 * it has escapes. Gives up on \u escapes and on anything invalid. */
static int scan_string(fast_t *f, const char **s, size_t *raw, size_t *decoded)
{
    const char *p = f->p, *end = f->end;
    size_t esc = 0;
    unsigned char hi = 0;
    *s = p;
    for (;;) {
        while (p < end && !str_stop[(unsigned char)*p]) hi |= (unsigned char)*p++;
        if (p >= end) return f->rc = FAST_GIVE_UP;
        if (*p == '"') break;
        if (*p != '\\' || p + 1 >= end) return f->rc = FAST_GIVE_UP; /* a control character */
        char e = p[1];
        if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't')
            return f->rc = FAST_GIVE_UP; /* \u (or invalid): the full path */
        esc++;
        p += 2;
    }
    f->hi |= hi;
    *raw = (size_t)(p - *s);
    *decoded = *raw - esc;
    f->p = p + 1;
    return 0;
}

static void unescape(char *out, const char *s, size_t raw)
{
    for (size_t i = 0; i < raw; i++) {
        if (s[i] != '\\') { *out++ = s[i]; continue; }
        char e = s[++i];
        *out++ = e == 'b' ? '\b' : e == 'f' ? '\f' : e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e;
    }
    *out = '\0';
}

/* cJSON's parse_number, for the forms kept here: strtod of the token (the
 * locale's decimal point, as cJSON does), valueint saturated. Integers
 * below 10^15 are exact doubles and are accumulated directly. */
static cJSON *parse_number(fast_t *f)
{
    const char *s = f->p, *p = s, *end = f->end;
    if (p < end && *p == '-') p++;
    if (p >= end) { f->rc = FAST_GIVE_UP; return NULL; }
    const char *ds = p;
    if (*p == '0') p++;
    else if (*p >= '1' && *p <= '9') while (p < end && *p >= '0' && *p <= '9') p++;
    else { f->rc = FAST_GIVE_UP; return NULL; }
    size_t nd = (size_t)(p - ds);
    int is_float = 0;
    if (p < end && *p == '.') {
        is_float = 1;
        p++;
        if (p >= end || *p < '0' || *p > '9') { f->rc = FAST_GIVE_UP; return NULL; }
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        is_float = 1;
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end || *p < '0' || *p > '9') { f->rc = FAST_GIVE_UP; return NULL; }
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    double d;
    if (!is_float) {
        if (nd > 15) { f->rc = FAST_GIVE_UP; return NULL; } /* the 2^53 check is the full path's */
        int64_t v = 0;
        for (const char *q = ds; q < p; q++) v = v * 10 + (*q - '0');
        d = (double)v;
        if (*s == '-') d = -d;
    } else {
        size_t n = (size_t)(p - s);
        if (n >= 64) { f->rc = FAST_GIVE_UP; return NULL; } /* cJSON reads 63 characters */
        char tmp[64];
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        char dp = *localeconv()->decimal_point;
        if (dp != '.')
            for (size_t i = 0; i < n; i++) if (tmp[i] == '.') tmp[i] = dp;
        char *after = NULL;
        d = strtod(tmp, &after);
        if (after != tmp + n || isinf(d)) { f->rc = FAST_GIVE_UP; return NULL; }
    }
    cJSON *it = new_item(f, 0);
    if (!it) return NULL;
    it->type = cJSON_Number;
    it->valuedouble = d;
    if (d >= INT_MAX) it->valueint = INT_MAX;
    else if (d <= (double)INT_MIN) it->valueint = INT_MIN;
    else it->valueint = (int)d;
    f->p = p;
    return it;
}

static cJSON *parse_value(fast_t *f);

static void link_child(cJSON *parent, cJSON **last, cJSON *it)
{
    if (!*last) {
        parent->child = it;
    } else {
        (*last)->next = it;
        it->prev = *last;
    }
    *last = it;
    parent->child->prev = it; /* cJSON keeps the tail in the head's prev */
}

static cJSON *parse_object(fast_t *f)
{
    if (++f->depth >= f->max_depth) { f->rc = FAST_GIVE_UP; return NULL; }
    cJSON *o = new_item(f, 0);
    if (!o) return NULL;
    o->type = cJSON_Object;
    f->p++; /* '{' */
    skip_ws(f);
    if (f->p < f->end && *f->p == '}') {
        f->p++;
        f->depth--;
        return o;
    }
    cJSON *last = NULL;
    int n = 0;
    uint32_t seen[FAST_WIDE]; /* the members' name hashes: duplicates compared by hash first */
    for (;;) {
        skip_ws(f);
        if (f->p >= f->end || *f->p != '"') { f->rc = FAST_GIVE_UP; break; }
        f->p++;
        const char *ks;
        size_t kraw, klen;
        if (scan_string(f, &ks, &kraw, &klen)) break;
        char kbuf[256];
        if (kraw != klen) {
            /* an escaped name (managedFields' "k:{\"name\":\"c\"}"): decoded here */
            if (klen >= sizeof kbuf) { f->rc = FAST_GIVE_UP; break; }
            unescape(kbuf, ks, kraw);
            ks = kbuf;
        }
        /* a duplicate is the full path's to report (or drop, last wins) */
        if (n >= FAST_WIDE) { f->rc = FAST_GIVE_UP; break; }
        uint32_t kh = key_hash(ks, klen);
        int dup = 0;
        cJSON *c = o->child;
        for (int i = 0; i < n && !dup; i++, c = c->next)
            dup = seen[i] == kh && strncmp(c->string, ks, klen) == 0 && c->string[klen] == '\0';
        if (dup) { f->rc = FAST_GIVE_UP; break; }
        seen[n++] = kh;
        skip_ws(f);
        if (f->p >= f->end || *f->p != ':') { f->rc = FAST_GIVE_UP; break; }
        f->p++;
        skip_ws(f);
        cJSON *v = parse_value(f);
        if (!v) break;
        const char *shared = key_find(ks, klen, kh);
        if (shared) {
            v->string = (char *)shared;
            v->type |= cJSON_StringIsConst;
        } else {
            v->string = malloc(klen + 1);
            if (!v->string) { cJSON_Delete(v); f->rc = FAST_OOM; break; }
            memcpy(v->string, ks, klen);
            v->string[klen] = '\0';
        }
        link_child(o, &last, v);
        skip_ws(f);
        if (f->p < f->end && *f->p == ',') { f->p++; continue; }
        if (f->p < f->end && *f->p == '}') {
            f->p++;
            f->depth--;
            return o;
        }
        f->rc = FAST_GIVE_UP;
        break;
    }
    cJSON_Delete(o);
    return NULL;
}

static cJSON *parse_array(fast_t *f)
{
    if (++f->depth >= f->max_depth) { f->rc = FAST_GIVE_UP; return NULL; }
    cJSON *a = new_item(f, 0);
    if (!a) return NULL;
    a->type = cJSON_Array;
    f->p++; /* '[' */
    skip_ws(f);
    if (f->p < f->end && *f->p == ']') {
        f->p++;
        f->depth--;
        return a;
    }
    cJSON *last = NULL;
    for (;;) {
        skip_ws(f);
        cJSON *v = parse_value(f);
        if (!v) break;
        link_child(a, &last, v);
        skip_ws(f);
        if (f->p < f->end && *f->p == ',') { f->p++; continue; }
        if (f->p < f->end && *f->p == ']') {
            f->p++;
            f->depth--;
            return a;
        }
        f->rc = FAST_GIVE_UP;
        break;
    }
    cJSON_Delete(a);
    return NULL;
}

static cJSON *literal(fast_t *f, const char *lit, size_t n, int type)
{
    if ((size_t)(f->end - f->p) < n || memcmp(f->p, lit, n) != 0) { f->rc = FAST_GIVE_UP; return NULL; }
    cJSON *it = new_item(f, 0);
    if (!it) return NULL;
    it->type = type;
    if (type == cJSON_True) it->valueint = 1; /* cJSON's parse sets valueint for true */
    f->p += n;
    return it;
}

static cJSON *parse_value(fast_t *f)
{
    if (f->p >= f->end) { f->rc = FAST_GIVE_UP; return NULL; }
    switch (*f->p) {
    case '{': return parse_object(f);
    case '[': return parse_array(f);
    case '"': {
        f->p++;
        const char *s;
        size_t raw, n;
        if (scan_string(f, &s, &raw, &n)) return NULL;
        /* the text in the item's own block: one allocation, one free */
        cJSON *it = new_item(f, n + 1);
        if (!it) return NULL;
        it->type = cJSON_String | cJSON_IsReference;
        it->valuestring = (char *)(it + 1);
        if (raw == n) {
            memcpy(it->valuestring, s, n);
            it->valuestring[n] = '\0';
        } else {
            unescape(it->valuestring, s, raw);
        }
        return it;
    }
    case 't': return literal(f, "true", 4, cJSON_True);
    case 'f': return literal(f, "false", 5, cJSON_False);
    case 'n': return literal(f, "null", 4, cJSON_NULL);
    default:
        if (*f->p == '-' || (*f->p >= '0' && *f->p <= '9')) return parse_number(f);
        f->rc = FAST_GIVE_UP;
        return NULL;
    }
}

int skiff_manifest_json_fast(const char *buf, size_t len, int max_depth, cJSON **doc)
{
    *doc = NULL;
    pthread_once(&key_once, keys_init);
    fast_t f = { .p = buf, .end = buf + len, .max_depth = max_depth };
    skip_ws(&f);
    cJSON *root = parse_value(&f);
    if (!root) return f.rc == FAST_OOM ? -ENOMEM : FAST_GIVE_UP;
    skip_ws(&f);
    if (f.p != f.end || ((f.hi & 0x80) && skiff_manifest_utf8_check(buf, len) < len)) {
        cJSON_Delete(root);
        return FAST_GIVE_UP;
    }
    *doc = root;
    return 0;
}
