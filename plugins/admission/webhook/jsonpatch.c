/* admission/webhook — see jsonpatch.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpatch.h"

/* Resolve a JSON Pointer to the parent container and the last token
 * (unescaped: ~1 → /, ~0 → ~). */
static cJSON *ptr_parent(cJSON *doc, const char *ptr, char *last, size_t lastlen)
{
    if (ptr[0] != '/') return NULL;
    cJSON *cur = doc;
    const char *p = ptr + 1;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        char tok[256];
        size_t o = 0;
        for (size_t i = 0; i < n && o + 1 < sizeof tok; i++) {
            if (p[i] == '~' && i + 1 < n && (p[i + 1] == '0' || p[i + 1] == '1')) {
                tok[o++] = p[i + 1] == '0' ? '~' : '/';
                i++;
            } else {
                tok[o++] = p[i];
            }
        }
        tok[o] = '\0';
        if (!slash) {
            if (o + 1 > lastlen) return NULL;
            memcpy(last, tok, o + 1);
            return cur;
        }
        if (cJSON_IsArray(cur)) {
            char *end;
            long idx = strtol(tok, &end, 10);
            if (*end || idx < 0) return NULL;
            cur = cJSON_GetArrayItem(cur, (int)idx);
        } else if (cJSON_IsObject(cur)) {
            cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
        } else {
            return NULL;
        }
        if (!cur) return NULL;
        p = slash + 1;
    }
}

static int arr_index(const cJSON *arr, const char *tok, int allow_end, int *out)
{
    int n = cJSON_GetArraySize(arr);
    if (allow_end && strcmp(tok, "-") == 0) { *out = n; return 0; }
    char *end;
    long idx = strtol(tok, &end, 10);
    if (!*tok || *end || idx < 0 || idx > n - (allow_end ? 0 : 1)) return -1;
    *out = (int)idx;
    return 0;
}

static cJSON *ptr_get(cJSON *doc, const char *ptr)
{
    if (!*ptr) return doc;
    char last[256];
    cJSON *par = ptr_parent(doc, ptr, last, sizeof last);
    if (!par) return NULL;
    if (cJSON_IsArray(par)) {
        int i;
        return arr_index(par, last, 0, &i) == 0 ? cJSON_GetArrayItem(par, i) : NULL;
    }
    return cJSON_GetObjectItemCaseSensitive(par, last);
}

static cJSON *ptr_detach(cJSON *doc, const char *ptr)
{
    char last[256];
    cJSON *par = ptr_parent(doc, ptr, last, sizeof last);
    if (!par) return NULL;
    if (cJSON_IsArray(par)) {
        int i;
        return arr_index(par, last, 0, &i) == 0 ? cJSON_DetachItemFromArray(par, i) : NULL;
    }
    return cJSON_DetachItemFromObjectCaseSensitive(par, last);
}

/* add: takes v (freed on failure) */
static int ptr_add(cJSON *doc, const char *ptr, cJSON *v, int replace_only)
{
    char last[256];
    cJSON *par = ptr_parent(doc, ptr, last, sizeof last);
    if (!par) { cJSON_Delete(v); return -1; }
    if (cJSON_IsArray(par)) {
        int i;
        if (arr_index(par, last, !replace_only, &i) < 0) { cJSON_Delete(v); return -1; }
        if (replace_only) return cJSON_ReplaceItemInArray(par, i, v) ? 0 : (cJSON_Delete(v), -1);
        if (i == cJSON_GetArraySize(par)) return cJSON_AddItemToArray(par, v) ? 0 : (cJSON_Delete(v), -1);
        return cJSON_InsertItemInArray(par, i, v) ? 0 : (cJSON_Delete(v), -1);
    }
    if (!cJSON_IsObject(par)) { cJSON_Delete(v); return -1; }
    if (cJSON_GetObjectItemCaseSensitive(par, last))
        return cJSON_ReplaceItemInObjectCaseSensitive(par, last, v) ? 0 : (cJSON_Delete(v), -1);
    if (replace_only) { cJSON_Delete(v); return -1; }
    return cJSON_AddItemToObject(par, last, v) ? 0 : (cJSON_Delete(v), -1);
}

int webhook_jsonpatch_apply(cJSON *doc, const cJSON *patch, char *why, size_t whylen)
{
    if (!cJSON_IsArray(patch)) { snprintf(why, whylen, "the patch is not a JSON array"); return -1; }
    const cJSON *op;
    int n = 0;
    cJSON_ArrayForEach(op, patch) {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(op, "op");
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(op, "path");
        const cJSON *val = cJSON_GetObjectItemCaseSensitive(op, "value");
        const cJSON *from = cJSON_GetObjectItemCaseSensitive(op, "from");
        if (!cJSON_IsString(o) || !cJSON_IsString(p)) {
            snprintf(why, whylen, "operation %d lacks op or path", n);
            return -1;
        }
        const char *path = p->valuestring, *name = o->valuestring;
        int rc = -1;
        if (!strcmp(name, "add") || !strcmp(name, "replace")) {
            if (val) rc = ptr_add(doc, path, cJSON_Duplicate(val, 1), !strcmp(name, "replace"));
        } else if (!strcmp(name, "remove")) {
            cJSON *d = ptr_detach(doc, path);
            rc = d ? 0 : -1;
            cJSON_Delete(d);
        } else if (!strcmp(name, "test")) {
            const cJSON *cur = ptr_get(doc, path);
            rc = cur && val && cJSON_Compare(cur, val, 1) ? 0 : -1;
        } else if ((!strcmp(name, "move") || !strcmp(name, "copy")) && cJSON_IsString(from)) {
            cJSON *src = !strcmp(name, "move") ? ptr_detach(doc, from->valuestring)
                                              : cJSON_Duplicate(ptr_get(doc, from->valuestring), 1);
            if (src) rc = ptr_add(doc, path, src, 0);
        }
        if (rc < 0) {
            snprintf(why, whylen, "operation %d (%s %s) cannot be applied", n, name, path);
            return -1;
        }
        n++;
    }
    return 0;
}

char *webhook_b64_decode(const char *in, size_t *len)
{
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(in);
    char *out = malloc(n / 4 * 3 + 4);
    if (!out) return NULL;
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (const char *p = in; *p; p++) {
        if (*p == '=' || *p == '\n' || *p == '\r' || *p == ' ') continue;
        const char *x = strchr(A, *p);
        if (!x) { free(out); return NULL; }
        acc = (acc << 6) | (unsigned)(x - A);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[o] = '\0';
    if (len) *len = o;
    return out;
}
