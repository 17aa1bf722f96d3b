/* core/manifest/json_decode.c — JSON in through cJSON, plus the checks cJSON
 * does not make, and the JSON-or-YAML request body entry point.
 *
 * A pre-scan of the text (outside strings) finds what must be reported with
 * a position before cJSON sees it: nesting depth (cJSON recurses), integers
 * that a double cannot hold exactly, numbers that overflow, raw control
 * characters and \u0000 in strings (cJSON would truncate the string). */
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

/* Returns 0, or an error; *open_at_end tells whether brackets or a string
 * were left open (so a cJSON failure at the end reads "unexpected end"). */
static int json_prescan(const char *buf, size_t len, int max_depth, bool *open_at_end, skiff_error_t *err)
{
    int depth = 0;
    size_t i = 0;
    bool in_str = false;
    char what[160];
    while (i < len) {
        char c = buf[i];
        if (in_str) {
            if (c == '"') in_str = false;
            else if ((unsigned char)c < 0x20)
                return json_fail(err, buf, len, i, SKIFF_E_INVALID, "invalid control character in a JSON string");
            else if (c == '\\') {
                if (i + 5 < len && buf[i + 1] == 'u' && memcmp(buf + i + 2, "0000", 4) == 0)
                    return json_fail(err, buf, len, i, SKIFF_E_INVALID,
                                     "\\u0000 in a string is not supported");
                i++; /* skip the escaped character */
            }
            i++;
            continue;
        }
        if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth) {
                snprintf(what, sizeof what, "nesting deeper than %d levels", max_depth);
                return json_fail(err, buf, len, i, SKIFF_E_INVALID, what);
            }
        } else if (c == '}' || c == ']') {
            depth--;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t s = i;
            if (c == '-') i++;
            size_t ds = i;
            while (i < len && buf[i] >= '0' && buf[i] <= '9') i++;
            size_t nd = i - ds;
            bool is_float = false;
            while (i < len && (buf[i] == '.' || buf[i] == 'e' || buf[i] == 'E' || buf[i] == '+' || buf[i] == '-' ||
                               (buf[i] >= '0' && buf[i] <= '9'))) {
                is_float = true;
                i++;
            }
            /* Leading zeros are invalid JSON (cJSON says so), so nd digits
             * mean at least 10^(nd-1). */
            if (!is_float && nd > 0 && buf[ds] != '0' &&
                (nd > 16 || (nd == 16 && memcmp(buf + ds, "9007199254740992", 16) >= 0))) {
                snprintf(what, sizeof what, "integer %.*s is too large to keep exactly (|n| must be below 2^53); "
                         "send it as a string", (int)(i - s > 40 ? 40 : i - s), buf + s);
                return json_fail(err, buf, len, s, SKIFF_E_INVALID, what);
            }
            if (is_float && i - s < 64) {
                char tmp[64];
                memcpy(tmp, buf + s, i - s);
                tmp[i - s] = '\0';
                if (isinf(strtod(tmp, NULL))) {
                    snprintf(what, sizeof what, "number %s is out of range for a double", tmp);
                    return json_fail(err, buf, len, s, SKIFF_E_INVALID, what);
                }
            }
            continue;
        }
        i++;
    }
    *open_at_end = in_str || depth > 0;
    return 0;
}

/* Duplicate keys, with the path of the object holding them. */
static int json_check_dups(const cJSON *n, char *path, size_t plen, size_t cap, skiff_error_t *err)
{
    if (cJSON_IsObject(n) && n->child && n->child->next) {
        skiff_strmap_t seen = {0};
        for (const cJSON *c = n->child; c; c = c->next) {
            if (skiff_strmap_get(&seen, c->string)) {
                skiff_strmap_free(&seen);
                return skiff_error_set(err, SKIFF_E_INVALID, "duplicate field \"%s%s%.200s\"", path,
                                       plen ? "." : "", c->string);
            }
            if (skiff_strmap_put(&seen, c->string, 0, 0)) {
                skiff_strmap_free(&seen);
                return skiff_error_set(err, -ENOMEM, "out of memory while decoding JSON");
            }
        }
        skiff_strmap_free(&seen);
    }
    if (!cJSON_IsObject(n) && !cJSON_IsArray(n)) return 0;
    int idx = 0;
    for (const cJSON *c = n->child; c; c = c->next, idx++) {
        size_t nlen;
        if (cJSON_IsObject(n))
            nlen = (size_t)snprintf(path + plen, cap - plen, "%s%s", plen ? "." : "", c->string);
        else
            nlen = (size_t)snprintf(path + plen, cap - plen, "[%d]", idx);
        size_t np = plen + nlen < cap ? plen + nlen : cap - 1;
        int rc = json_check_dups(c, path, np, cap, err);
        path[plen] = '\0';
        if (rc) return rc;
    }
    return 0;
}

int skiff_manifest_decode_json(const char *buf, size_t len, const skiff_manifest_opts_t *opts, cJSON **doc,
                               skiff_error_t *err)
{
    *doc = NULL;
    skiff_manifest_limits_t lim;
    skiff_manifest_limits(opts, &lim);
    if (len > lim.max_bytes)
        return skiff_error_set(err, SKIFF_E_TOOLARGE, "JSON input is %zu bytes, over the limit of %zu bytes", len,
                               lim.max_bytes);
    size_t bad = skiff_manifest_utf8_check(buf, len);
    if (bad < len) return json_fail(err, buf, len, bad, SKIFF_E_INVALID, "invalid UTF-8");
    bool open_at_end = false;
    int rc = json_prescan(buf, len, lim.max_depth, &open_at_end, err);
    if (rc) return rc;

    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
    if (!root) {
        size_t off = end && end >= buf && end <= buf + len ? (size_t)(end - buf) : len;
        size_t ws = 0;
        while (ws < len && json_ws(buf[ws])) ws++;
        if (ws == len) return skiff_error_set(err, SKIFF_E_INVALID, "line 1, column 1: empty JSON input");
        if (open_at_end && off + 1 >= len)
            return json_fail(err, buf, len, len, SKIFF_E_INVALID, "unexpected end of JSON input");
        char what[64];
        unsigned char c = off < len ? (unsigned char)buf[off] : 0;
        if (c >= 0x20 && c < 0x7f) snprintf(what, sizeof what, "invalid character '%c' in JSON", c);
        else snprintf(what, sizeof what, "invalid byte 0x%02X in JSON", c);
        return json_fail(err, buf, len, off, SKIFF_E_INVALID, what);
    }
    size_t off = (size_t)(end - buf);
    while (off < len && json_ws(buf[off])) off++;
    if (off < len) {
        cJSON_Delete(root);
        char what[80];
        unsigned char c = (unsigned char)buf[off];
        if (c >= 0x20 && c < 0x7f) snprintf(what, sizeof what, "invalid character '%c' after top-level value", c);
        else snprintf(what, sizeof what, "invalid byte 0x%02X after top-level value", c);
        return json_fail(err, buf, len, off, SKIFF_E_INVALID, what);
    }
    char path[512] = "";
    if ((rc = json_check_dups(root, path, 0, sizeof path, err))) {
        cJSON_Delete(root);
        return rc;
    }
    *doc = root;
    return 0;
}

int skiff_manifest_decode_body(const char *buf, size_t len, size_t max_bytes, int max_depth, cJSON **doc,
                               skiff_error_t *err)
{
    *doc = NULL;
    skiff_manifest_opts_t opts = {.max_bytes = max_bytes, .max_depth = max_depth};
    skiff_manifest_limits_t lim;
    skiff_manifest_limits(&opts, &lim);
    if (len > lim.max_bytes)
        return skiff_error_set(err, SKIFF_E_TOOLARGE, "request entity too large: limit is %zu bytes", lim.max_bytes);
    size_t i = 0;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) i = 3; /* a UTF-8 BOM */
    while (i < len && json_ws(buf[i])) i++;
    if (i == len) return skiff_error_set(err, SKIFF_E_INVALID, "empty request body");
    if (buf[i] == '{' || buf[i] == '[') return skiff_manifest_decode_json(buf, len, &opts, doc, err);
    return skiff_manifest_decode_yaml_one(buf, len, &opts, doc, err);
}
