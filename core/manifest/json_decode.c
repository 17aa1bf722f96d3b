/* core/manifest/json_decode.c — JSON in through cJSON, plus the checks cJSON
 * does not make, and the JSON-or-YAML request body entry point.
 *
 * A validating scan of the text (json_validate) runs before cJSON, so errors
 * carry exact positions and encoding/json's wording, and what cJSON would
 * get wrong is refused first: nesting past the limit (cJSON recurses),
 * integers a double cannot hold exactly, numbers that overflow, \u0000 and
 * unpaired surrogates (cJSON would truncate or fail without a position). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/manifest_int.h"

static bool json_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static int json_fail(skiff_error_t *err, const char *buf, size_t len, size_t off, int code, const char *what)
{
    size_t line, col;
    skiff_manifest_position(buf, len, off, &line, &col);
    return skiff_error_set(err, code, "line %zu, column %zu: %s", line, col, what);
}

static int json_bad_char(skiff_error_t *err, const char *buf, size_t len, size_t off, const char *where)
{
    char what[160];
    if (off >= len) return json_fail(err, buf, len, len, SKIFF_E_INVALID, "unexpected end of JSON input");
    unsigned char c = (unsigned char)buf[off];
    if (c >= 0x20 && c < 0x7f) snprintf(what, sizeof what, "invalid character '%c' %s", c, where);
    else snprintf(what, sizeof what, "invalid byte 0x%02X %s", c, where);
    return json_fail(err, buf, len, off, SKIFF_E_INVALID, what);
}

static int hex4(const char *p)
{
    int v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p[k];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

/* A string starting at buf[*i] == '"'; on success *i is past the closing quote. */
static int json_scan_string(const char *buf, size_t len, size_t *i, skiff_error_t *err)
{
    size_t p = *i + 1;
    for (;;) {
        if (p >= len) return json_fail(err, buf, len, len, SKIFF_E_INVALID, "unexpected end of JSON input");
        unsigned char c = (unsigned char)buf[p];
        if (c == '"') break;
        if (c < 0x20) return json_bad_char(err, buf, len, p, "in string literal");
        if (c != '\\') {
            p++;
            continue;
        }
        if (p + 1 >= len) return json_fail(err, buf, len, len, SKIFF_E_INVALID, "unexpected end of JSON input");
        char e = buf[p + 1];
        if (e != 'u') {
            if (!strchr("\"\\/bfnrt", e)) return json_bad_char(err, buf, len, p + 1, "in string escape code");
            p += 2;
            continue;
        }
        if (p + 6 > len) return json_fail(err, buf, len, len, SKIFF_E_INVALID, "unexpected end of JSON input");
        int u = hex4(buf + p + 2);
        if (u < 0) return json_fail(err, buf, len, p, SKIFF_E_INVALID, "invalid \\u escape (4 hex digits needed)");
        if (u == 0)
            return json_fail(err, buf, len, p, SKIFF_E_INVALID, "\\u0000 in a string is not supported");
        if (u >= 0xDC00 && u <= 0xDFFF)
            return json_fail(err, buf, len, p, SKIFF_E_INVALID, "invalid \\u escape (unpaired UTF-16 surrogate)");
        if (u >= 0xD800 && u <= 0xDBFF) {
            int lo = p + 12 <= len && buf[p + 6] == '\\' && buf[p + 7] == 'u' ? hex4(buf + p + 8) : -1;
            if (lo < 0xDC00 || lo > 0xDFFF)
                return json_fail(err, buf, len, p, SKIFF_E_INVALID, "invalid \\u escape (unpaired UTF-16 surrogate)");
            p += 6;
        }
        p += 6;
    }
    *i = p + 1;
    return 0;
}

/* A number starting at buf[*i]; checks the JSON grammar, then what a double
 * can hold. On success *i is past the number. */
static int json_scan_number(const char *buf, size_t len, size_t *i, skiff_error_t *err)
{
    size_t s = *i, p = s;
    char what[160];
    if (buf[p] == '-') p++;
    if (p >= len) return json_fail(err, buf, len, len, SKIFF_E_INVALID, "unexpected end of JSON input");
    if (buf[p] == '0') p++;
    else if (buf[p] >= '1' && buf[p] <= '9') while (p < len && buf[p] >= '0' && buf[p] <= '9') p++;
    else return json_bad_char(err, buf, len, p, "in numeric literal");
    size_t int_end = p;
    bool is_float = false;
    if (p < len && buf[p] == '.') {
        is_float = true;
        p++;
        if (p >= len || buf[p] < '0' || buf[p] > '9') return json_bad_char(err, buf, len, p, "after decimal point in numeric literal");
        while (p < len && buf[p] >= '0' && buf[p] <= '9') p++;
    }
    if (p < len && (buf[p] == 'e' || buf[p] == 'E')) {
        is_float = true;
        p++;
        if (p < len && (buf[p] == '+' || buf[p] == '-')) p++;
        if (p >= len || buf[p] < '0' || buf[p] > '9') return json_bad_char(err, buf, len, p, "in exponent of numeric literal");
        while (p < len && buf[p] >= '0' && buf[p] <= '9') p++;
    }
    size_t ds = buf[s] == '-' ? s + 1 : s, nd = int_end - ds;
    if (!is_float && (nd > 16 || (nd == 16 && memcmp(buf + ds, "9007199254740992", 16) >= 0))) {
        snprintf(what, sizeof what, "integer %.*s is too large to keep exactly (|n| must be below 2^53); "
                 "send it as a string", (int)(p - s > 40 ? 40 : p - s), buf + s);
        return json_fail(err, buf, len, s, SKIFF_E_INVALID, what);
    }
    if (is_float) {
        /* cJSON reads at most 63 characters of a number */
        if (p - s >= 64) return json_fail(err, buf, len, s, SKIFF_E_INVALID, "numeric literal longer than 63 characters");
        char tmp[64];
        memcpy(tmp, buf + s, p - s);
        tmp[p - s] = '\0';
        if (isinf(strtod(tmp, NULL))) {
            snprintf(what, sizeof what, "number %s is out of range for a double", tmp);
            return json_fail(err, buf, len, s, SKIFF_E_INVALID, what);
        }
    }
    *i = p;
    return 0;
}

/* Validate the whole text against the JSON grammar before cJSON sees it, so
 * every error has an exact position and Go-like wording, depth is bounded
 * before cJSON recurses, and what cJSON would silently mangle (\u0000,
 * integers past 2^53, overflowing numbers) is refused. */
static int json_validate(const char *buf, size_t len, int max_depth, skiff_error_t *err)
{
    enum { VALUE, FIRST_VALUE, KEY, FIRST_KEY, COLON, AFTER, DONE } st = VALUE;
    char *stack = malloc((size_t)max_depth + 1);
    if (!stack) return skiff_error_set(err, -ENOMEM, "out of memory while decoding JSON");
    int depth = 0, rc = 0;
    size_t i = 0;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) i = 3; /* cJSON skips a BOM too */
    for (;;) {
        while (i < len && json_ws(buf[i])) i++;
        if (i >= len) {
            if (st != DONE) rc = json_fail(err, buf, len, len, SKIFF_E_INVALID, "unexpected end of JSON input");
            break;
        }
        char c = buf[i];
        if (st == DONE) {
            rc = json_bad_char(err, buf, len, i, "after top-level value");
            break;
        }
        if (st == COLON) {
            if (c != ':') {
                rc = json_bad_char(err, buf, len, i, "after object key");
                break;
            }
            i++;
            st = VALUE;
            continue;
        }
        if (st == AFTER) {
            char top = stack[depth - 1];
            if (c == ',') {
                i++;
                st = top == '{' ? KEY : VALUE;
                continue;
            }
            if ((top == '{' && c == '}') || (top == '[' && c == ']')) {
                i++;
                depth--;
                st = depth ? AFTER : DONE;
                continue;
            }
            rc = json_bad_char(err, buf, len, i, top == '{' ? "after object key:value pair" : "after array element");
            break;
        }
        if (st == KEY || st == FIRST_KEY) {
            if (c == '}' && st == FIRST_KEY) {
                i++;
                depth--;
                st = depth ? AFTER : DONE;
                continue;
            }
            if (c != '"') {
                rc = json_bad_char(err, buf, len, i, "looking for beginning of object key string");
                break;
            }
            if ((rc = json_scan_string(buf, len, &i, err))) break;
            st = COLON;
            continue;
        }
        /* VALUE or FIRST_VALUE */
        if (c == ']' && st == FIRST_VALUE) {
            i++;
            depth--;
            st = depth ? AFTER : DONE;
            continue;
        }
        if (c == '{' || c == '[') {
            if (depth >= max_depth) {
                char what[64];
                snprintf(what, sizeof what, "nesting deeper than %d levels", max_depth);
                rc = json_fail(err, buf, len, i, SKIFF_E_INVALID, what);
                break;
            }
            stack[depth++] = c;
            i++;
            st = c == '{' ? FIRST_KEY : FIRST_VALUE;
            continue;
        }
        if (c == '"') rc = json_scan_string(buf, len, &i, err);
        else if (c == '-' || (c >= '0' && c <= '9')) rc = json_scan_number(buf, len, &i, err);
        else {
            const char *lit = c == 't' ? "true" : c == 'f' ? "false" : c == 'n' ? "null" : NULL;
            if (!lit) {
                rc = json_bad_char(err, buf, len, i, "looking for beginning of value");
                break;
            }
            for (size_t k = 1; lit[k]; k++)
                if (i + k >= len || buf[i + k] != lit[k]) {
                    char where[48];
                    snprintf(where, sizeof where, "in literal %s (expecting '%c')", lit, lit[k]);
                    rc = json_bad_char(err, buf, len, i + k, where);
                    break;
                }
            if (!rc) i += strlen(lit);
        }
        if (rc) break;
        st = depth ? AFTER : DONE;
    }
    free(stack);
    return rc;
}

/* The path of `target` under `n` ("a.b", "[0].k[0]"), built only when a
 * duplicate has to be reported. 1 when found. */
static int json_path_of(const cJSON *n, const cJSON *target, char *path, size_t plen, size_t cap)
{
    if (n == target) return 1;
    if (!cJSON_IsObject(n) && !cJSON_IsArray(n)) return 0;
    int idx = 0;
    for (const cJSON *c = n->child; c; c = c->next, idx++) {
        size_t nlen;
        if (cJSON_IsObject(n))
            nlen = (size_t)snprintf(path + plen, cap - plen, "%s%s", plen ? "." : "", c->string);
        else
            nlen = (size_t)snprintf(path + plen, cap - plen, "[%d]", idx);
        size_t np = plen + nlen < cap ? plen + nlen : cap - 1;
        if (json_path_of(c, target, path, np, cap)) return 1;
        path[plen] = '\0';
    }
    return 0;
}

/* The earlier item with c's key among the siblings before it, or NULL.
 * Small objects (nearly all of them) are compared pairwise; big ones use a
 * map, so a hostile object with many keys stays linear. */
#define DUP_PAIRWISE 16

/* Duplicate keys: an error naming the path of the object holding them, or
 * with DUPLICATES_LAST_WINS the earlier item is dropped (encoding/json keeps
 * the last) and the first one noted as a warning. The path is built only
 * when one is found (it was a snprintf per node before, a visible share of
 * every API write). */
static int json_check_dups(cJSON *root, cJSON *n, const skiff_manifest_limits_t *lim, skiff_error_t *err)
{
    if (cJSON_IsObject(n) && n->child && n->child->next) {
        size_t count = 0;
        for (cJSON *c = n->child; c && count <= DUP_PAIRWISE; c = c->next) count++;
        skiff_strmap_t seen = {0};
        for (cJSON *c = n->child, *next; c; c = next) {
            next = c->next;
            cJSON *earlier = NULL;
            if (count <= DUP_PAIRWISE) {
                for (cJSON *p = n->child; p != c; p = p->next)
                    if (strcmp(p->string, c->string) == 0) { earlier = p; break; }
            } else {
                skiff_strmap_entry_t *e = skiff_strmap_get(&seen, c->string);
                if (e) {
                    earlier = e->p;
                    e->key = c->string; /* repoint before the earlier key is freed */
                    e->p = c;
                } else if (skiff_strmap_put(&seen, c->string, 0, 0, c)) {
                    skiff_strmap_free(&seen);
                    return skiff_error_set(err, -ENOMEM, "out of memory while decoding JSON");
                }
            }
            if (!earlier) continue;
            char path[512] = "";
            json_path_of(root, n, path, 0, sizeof path);
            size_t plen = strlen(path);
            if (lim->flags & SKIFF_MANIFEST_DUPLICATES_LAST_WINS) {
                skiff_manifest_warn(lim, "duplicate field \"%s%s%.200s\"", path, plen ? "." : "", c->string);
                cJSON_Delete(cJSON_DetachItemViaPointer(n, earlier));
                continue;
            }
            skiff_strmap_free(&seen);
            return skiff_error_set(err, SKIFF_E_INVALID, "duplicate field \"%s%s%.200s\"", path,
                                   plen ? "." : "", c->string);
        }
        skiff_strmap_free(&seen);
    }
    if (!cJSON_IsObject(n) && !cJSON_IsArray(n)) return 0;
    for (cJSON *c = n->child; c; c = c->next) {
        int rc = json_check_dups(root, c, lim, err);
        if (rc) return rc;
    }
    return 0;
}

int skiff_manifest_decode_json(const char *buf, size_t len, const skiff_manifest_opts_t *opts, cJSON **doc,
                               skiff_error_t *err)
{
    *doc = NULL;
    if (!buf) len = 0, buf = "";
    skiff_manifest_limits_t lim;
    skiff_manifest_limits(opts, &lim);
    if (len > lim.max_bytes)
        return skiff_error_set(err, SKIFF_E_TOOLARGE, "JSON input is %zu bytes, over the limit of %zu bytes", len,
                               lim.max_bytes);
    /* well-formed input in one pass (json_fast.c); anything else, and every
     * error, through the checks below */
    int rc = skiff_manifest_json_fast_off ? 1 : skiff_manifest_json_fast(buf, len, lim.max_depth, doc);
    if (rc == 0) return 0;
    if (rc < 0) return skiff_error_set(err, -ENOMEM, "out of memory while decoding JSON");
    size_t bad = skiff_manifest_utf8_check(buf, len);
    if (bad < len) return json_fail(err, buf, len, bad, SKIFF_E_INVALID, "invalid UTF-8");
    rc = json_validate(buf, len, lim.max_depth, err);
    if (rc) return rc;

    cJSON *root = cJSON_ParseWithLengthOpts(buf, len, NULL, 0);
    if (!root) {
        /* The text is valid JSON, so this is cJSON running out of memory. */
        return skiff_error_set(err, -ENOMEM, "out of memory while decoding JSON");
    }
    if ((rc = json_check_dups(root, root, &lim, err))) {
        cJSON_Delete(root);
        return rc;
    }
    *doc = root;
    return 0;
}

cJSON *skiff_manifest_parse_json(const char *buf, size_t len)
{
    if (!buf) return NULL;
    cJSON *doc = NULL;
    /* deeper than 100 (never, for an object the API server stored) is
     * cJSON's to parse */
    int rc = skiff_manifest_json_fast_off ? 1 : skiff_manifest_json_fast(buf, len, 100, &doc);
    if (rc == 0) return doc;
    if (rc < 0) return NULL;
    return cJSON_ParseWithLength(buf, len);
}

int skiff_manifest_decode_body_opts(const char *buf, size_t len, const skiff_manifest_opts_t *opts, cJSON **doc,
                                    skiff_error_t *err)
{
    *doc = NULL;
    if (!buf) len = 0, buf = "";
    skiff_manifest_limits_t lim;
    skiff_manifest_limits(opts, &lim);
    if (len > lim.max_bytes)
        return skiff_error_set(err, SKIFF_E_TOOLARGE, "request entity too large: limit is %zu bytes", lim.max_bytes);
    size_t i = 0;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) i = 3; /* a UTF-8 BOM */
    while (i < len && json_ws(buf[i])) i++;
    if (i == len) return skiff_error_set(err, SKIFF_E_INVALID, "empty request body");
    if (buf[i] == '{' || buf[i] == '[') return skiff_manifest_decode_json(buf, len, opts, doc, err);
    return skiff_manifest_decode_yaml_one(buf, len, opts, doc, err);
}

int skiff_manifest_decode_body(const char *buf, size_t len, size_t max_bytes, int max_depth, cJSON **doc,
                               skiff_error_t *err)
{
    skiff_manifest_opts_t opts = {.max_bytes = max_bytes, .max_depth = max_depth};
    return skiff_manifest_decode_body_opts(buf, len, &opts, doc, err);
}
