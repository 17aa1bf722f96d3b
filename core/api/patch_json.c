/* RFC 6902 JSON patch over cJSON; see patch_json.h. */
#include "api/patch_json.h"

#include "api/json_util.h"

#include <stdlib.h>
#include <string.h>

/* One decoded pointer token ("~1" -> "/", "~0" -> "~"). Pointer tokens are
 * short; a token longer than this is refused rather than truncated. */
#define PTR_TOKEN_MAX 1024

typedef struct {
    int idx;            /* op index, for messages */
    const char *op;
    const char *path;
    skiff_error_t *err;
} jp_ctx_t;

#define JP_FAIL(c, code, ...) jp_fail((c), (code), __VA_ARGS__)

static int jp_fail(const jp_ctx_t *c, int code, const char *fmt, ...) SKIFF_PRINTF(3, 4);
static int jp_fail(const jp_ctx_t *c, int code, const char *fmt, ...)
{
    char why[SKIFF_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (c->op)
        return skiff_error_set(c->err, code, "json patch op %d (%s \"%s\"): %s", c->idx, c->op,
                               c->path ? c->path : "", why);
    return skiff_error_set(c->err, code, "json patch op %d: %s", c->idx, why);
}

/* Decode the token starting at *p (just after a '/'), advance *p to the next
 * '/' or the end. Returns 0 or SKIFF_E_INVALID. */
static int ptr_next(const char **p, char *tok, skiff_error_t *err, const char *whole)
{
    size_t n = 0;
    const char *s = *p;
    while (*s && *s != '/') {
        char ch = *s++;
        if (ch == '~') {
            if (*s == '0') ch = '~';
            else if (*s == '1') ch = '/';
            else return skiff_error_set(err, SKIFF_E_INVALID, "pointer \"%s\": '~' must be followed by '0' or '1'", whole);
            s++;
        }
        if (n + 1 >= PTR_TOKEN_MAX) return skiff_error_set(err, SKIFF_E_INVALID, "pointer \"%s\": token too long", whole);
        tok[n++] = ch;
    }
    tok[n] = '\0';
    *p = s;
    return 0;
}

/* Array index per RFC 6901: "0" or [1-9][0-9]*; "-" gives len when allowed. */
static int ptr_index(const char *tok, int len, int allow_end, int *out)
{
    if (allow_end && strcmp(tok, "-") == 0) { *out = len; return 0; }
    if (!*tok || (tok[0] == '0' && tok[1]) ) return -1;
    long v = 0;
    for (const char *q = tok; *q; q++) {
        if (*q < '0' || *q > '9') return -1;
        v = v * 10 + (*q - '0');
        if (v > 1L << 30) return -1;
    }
    *out = (int)v;
    return 0;
}

/* Find the parent container of `path` and the decoded last token. For the
 * root pointer "" *parent is NULL. */
static int ptr_parent(cJSON *doc, const char *path, cJSON **parent, char *last, const jp_ctx_t *c)
{
    skiff_error_t e = {0};
    *parent = NULL;
    if (!*path) return 0;
    if (path[0] != '/') return JP_FAIL(c, SKIFF_E_INVALID, "pointer \"%s\" must be empty or start with '/'", path);
    const char *p = path + 1;
    cJSON *cur = doc;
    char tok[PTR_TOKEN_MAX];
    for (;;) {
        if (ptr_next(&p, tok, &e, path)) return JP_FAIL(c, SKIFF_E_INVALID, "%s", e.msg);
        if (!*p) break;
        p++; /* skip '/' */
        cJSON *nx = NULL;
        if (cJSON_IsObject(cur)) nx = cJSON_GetObjectItemCaseSensitive(cur, tok);
        else if (cJSON_IsArray(cur)) {
            int i;
            if (ptr_index(tok, cJSON_GetArraySize(cur), 0, &i) == 0) nx = cJSON_GetArrayItem(cur, i);
        }
        if (!nx) return JP_FAIL(c, SKIFF_E_NOTFOUND, "doc is missing path \"%s\"", path);
        cur = nx;
    }
    if (!cJSON_IsObject(cur) && !cJSON_IsArray(cur))
        return JP_FAIL(c, SKIFF_E_NOTFOUND, "doc is missing path \"%s\": parent is not an object or array", path);
    *parent = cur;
    strcpy(last, tok);
    return 0;
}

static cJSON *child_of(cJSON *parent, const char *tok, int *index)
{
    *index = -1;
    if (cJSON_IsObject(parent)) return cJSON_GetObjectItemCaseSensitive(parent, tok);
    int i;
    if (ptr_index(tok, cJSON_GetArraySize(parent), 0, &i) != 0) return NULL;
    *index = i;
    return cJSON_GetArrayItem(parent, i);
}

cJSON *skiff_api_json_pointer_get(const cJSON *doc, const char *pointer, skiff_error_t *err)
{
    jp_ctx_t c = { .idx = 0, .op = "get", .path = pointer, .err = err };
    if (!doc || !pointer) { skiff_error_set(err, SKIFF_E_INVALID, "pointer: no document"); return NULL; }
    cJSON *parent; char last[PTR_TOKEN_MAX];
    if (ptr_parent((cJSON *)doc, pointer, &parent, last, &c)) return NULL;
    if (!parent) return (cJSON *)doc;
    int i;
    cJSON *it = child_of(parent, last, &i);
    if (!it) skiff_error_set(err, SKIFF_E_NOTFOUND, "doc is missing path \"%s\"", pointer);
    return it;
}

/* Insert `v` (owned; freed on failure) at path. */
static int jp_add(cJSON **doc, const char *path, cJSON *v, const jp_ctx_t *c)
{
    cJSON *parent; char last[PTR_TOKEN_MAX];
    int rc = ptr_parent(*doc, path, &parent, last, c);
    if (rc) { cJSON_Delete(v); return rc; }
    if (!parent) { cJSON_Delete(*doc); *doc = v; return 0; }
    if (cJSON_IsObject(parent)) {
        if (skiff_api_json_set(parent, last, v) == 0) return 0;
        cJSON_Delete(v);
        return JP_FAIL(c, -ENOMEM, "out of memory");
    }
    int n = cJSON_GetArraySize(parent), i;
    if (ptr_index(last, n, 1, &i) != 0 || i > n) {
        cJSON_Delete(v);
        return JP_FAIL(c, SKIFF_E_NOTFOUND, "index \"%s\" out of range for an array of %d", last, n);
    }
    if (skiff_api_json_insert(parent, i, v) == 0) return 0;
    cJSON_Delete(v);
    return JP_FAIL(c, -ENOMEM, "out of memory");
}

/* Detach the item at path; returns it (caller owns) or NULL with err set. */
static cJSON *jp_detach(cJSON *doc, const char *path, const jp_ctx_t *c, int *rc)
{
    cJSON *parent; char last[PTR_TOKEN_MAX];
    if ((*rc = ptr_parent(doc, path, &parent, last, c))) return NULL;
    if (!parent) { *rc = JP_FAIL(c, SKIFF_E_NOTFOUND, "cannot remove the whole document"); return NULL; }
    int i;
    cJSON *it = child_of(parent, last, &i);
    if (!it) { *rc = JP_FAIL(c, SKIFF_E_NOTFOUND, "doc is missing path \"%s\"", path); return NULL; }
    return cJSON_DetachItemViaPointer(parent, it);
}

static const char *jp_str(const cJSON *op, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(op, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int jp_apply_one(cJSON **doc, const cJSON *o, jp_ctx_t *c)
{
    if (!cJSON_IsObject(o)) return JP_FAIL(c, SKIFF_E_INVALID, "an operation must be an object");
    const char *op = jp_str(o, "op");
    if (!op) return JP_FAIL(c, SKIFF_E_INVALID, "missing or non-string \"op\"");
    c->op = op;
    const char *path = jp_str(o, "path");
    if (!path) { c->op = NULL; return JP_FAIL(c, SKIFF_E_INVALID, "%s: missing or non-string \"path\"", op); }
    c->path = path;
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(o, "value");
    const char *from = jp_str(o, "from");
    int rc = 0;

    if (!strcmp(op, "add") || !strcmp(op, "replace") || !strcmp(op, "test")) {
        if (!value) return JP_FAIL(c, SKIFF_E_INVALID, "missing \"value\"");
    } else if (!strcmp(op, "move") || !strcmp(op, "copy")) {
        if (!from) return JP_FAIL(c, SKIFF_E_INVALID, "missing or non-string \"from\"");
    } else if (strcmp(op, "remove") != 0) {
        return JP_FAIL(c, SKIFF_E_INVALID, "unknown op \"%s\" (want add, remove, replace, move, copy or test)", op);
    }

    if (!strcmp(op, "add")) {
        cJSON *v = cJSON_Duplicate(value, 1);
        if (!v) return JP_FAIL(c, -ENOMEM, "out of memory");
        return jp_add(doc, path, v, c);
    }
    if (!strcmp(op, "remove")) {
        cJSON *it = jp_detach(*doc, path, c, &rc);
        cJSON_Delete(it);
        return rc;
    }
    if (!strcmp(op, "replace")) {
        cJSON *v = cJSON_Duplicate(value, 1);
        if (!v) return JP_FAIL(c, -ENOMEM, "out of memory");
        cJSON *parent; char last[PTR_TOKEN_MAX];
        if ((rc = ptr_parent(*doc, path, &parent, last, c))) { cJSON_Delete(v); return rc; }
        if (!parent) { cJSON_Delete(*doc); *doc = v; return 0; }
        int i;
        cJSON *old = child_of(parent, last, &i);
        if (!old) { cJSON_Delete(v); return JP_FAIL(c, SKIFF_E_NOTFOUND, "doc is missing path \"%s\"", path); }
        if (skiff_api_json_replace(parent, old, v)) { cJSON_Delete(v); return JP_FAIL(c, -ENOMEM, "out of memory"); }
        return 0;
    }
    if (!strcmp(op, "test")) {
        skiff_error_t e = {0};
        cJSON *cur = skiff_api_json_pointer_get(*doc, path, &e);
        if (!cur && e.code == SKIFF_E_INVALID) return JP_FAIL(c, SKIFF_E_INVALID, "%s", e.msg);
        /* A missing member equals null, as evanphx/json-patch (kube-apiserver) treats it. */
        if (!cur ? cJSON_IsNull(value) : cJSON_Compare(cur, value, 1)) return 0;
        return JP_FAIL(c, SKIFF_API_E_TEST_FAILED, "testing value \"%s\" failed: test failed", path);
    }
    /* move / copy */
    size_t fl = strlen(from);
    if (!strcmp(op, "move")) {
        if (!strcmp(from, path)) {
            /* Still must exist. */
            skiff_error_t e = {0};
            if (!skiff_api_json_pointer_get(*doc, from, &e)) return JP_FAIL(c, e.code, "from: %s", e.msg);
            return 0;
        }
        if (!strncmp(path, from, fl) && path[fl] == '/')
            return JP_FAIL(c, SKIFF_E_NOTFOUND, "cannot move \"%s\" into its own child", from);
        cJSON *it = jp_detach(*doc, from, c, &rc);
        if (!it) return rc;
        return jp_add(doc, path, it, c);
    }
    skiff_error_t e = {0};
    cJSON *src = skiff_api_json_pointer_get(*doc, from, &e);
    if (!src) return JP_FAIL(c, e.code, "from: %s", e.msg);
    cJSON *v = cJSON_Duplicate(src, 1);
    if (!v) return JP_FAIL(c, -ENOMEM, "out of memory");
    return jp_add(doc, path, v, c);
}

int skiff_api_json_patch(const cJSON *doc, const cJSON *patch, cJSON **out, skiff_error_t *err)
{
    if (!out) return skiff_error_set(err, SKIFF_E_INVALID, "json patch: no output");
    *out = NULL;
    if (!cJSON_IsArray(patch)) return skiff_error_set(err, SKIFF_E_INVALID, "json patch: the patch must be a JSON array of operations");
    int nops = cJSON_GetArraySize(patch);
    if (nops > SKIFF_API_JSON_PATCH_MAX_OPS)
        return skiff_error_set(err, SKIFF_E_TOOLARGE, "The allowed maximum operations in a JSON patch is %d, got %d",
                               SKIFF_API_JSON_PATCH_MAX_OPS, nops);
    cJSON *d = doc ? cJSON_Duplicate(doc, 1) : cJSON_CreateNull();
    if (!d) return skiff_error_set(err, -ENOMEM, "json patch: out of memory");
    int i = 0;
    for (const cJSON *o = patch->child; o; o = o->next, i++) {
        jp_ctx_t c = { .idx = i, .op = NULL, .path = NULL, .err = err };
        int rc = jp_apply_one(&d, o, &c);
        if (rc) { cJSON_Delete(d); return rc; }
    }
    *out = d;
    return 0;
}

int skiff_api_json_patch_http_status(int code)
{
    switch (code) {
    case 0: return 200;
    case SKIFF_E_INVALID: return 400;
    case SKIFF_E_NOTFOUND: return 422;
    case SKIFF_API_E_TEST_FAILED: return 422;
    case SKIFF_E_TOOLARGE: return 422;
    default: return 500;
    }
}
