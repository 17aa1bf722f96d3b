/* FieldsV1 sets; see fieldset.h. */
#include "api/fieldset.h"

#include <stdlib.h>
#include <string.h>

#include "api/json_limits.h"
#include "api/patch_schema.h"

static int fs_oom(skiff_error_t *err) { return skiff_error_set(err, -ENOMEM, "field set: out of memory"); }

static int is_server_meta(const char *k)
{
    static const char *const skip[] = { "name", "namespace", "uid", "resourceVersion", "generation",
                                        "creationTimestamp", "managedFields", "selfLink", "deletionTimestamp",
                                        "deletionGracePeriodSeconds", NULL };
    for (int i = 0; skip[i]; i++) if (!strcmp(k, skip[i])) return 1;
    return 0;
}

static cJSON *fs_child(cJSON *set, const char *seg)
{
    cJSON *c = cJSON_GetObjectItemCaseSensitive(set, seg);
    if (!c) {
        c = cJSON_CreateObject();
        if (c && !cJSON_AddItemToObject(set, seg, c)) { cJSON_Delete(c); c = NULL; }
    }
    return c;
}

static int fs_build(const cJSON *v, const char *type, cJSON *set, const char *where, int depth, int root, skiff_error_t *err);

static int fs_build_list(const cJSON *l, const skiff_api_field_t *f, cJSON *set, const char *where, int depth,
                         skiff_error_t *err)
{
    char seg[512];
    for (const cJSON *it = l->child; it; it = it->next) {
        char *js = NULL;
        if (f->merge_key) {
            const cJSON *kv = cJSON_IsObject(it) ? cJSON_GetObjectItemCaseSensitive(it, f->merge_key) : NULL;
            if (!kv)
                return skiff_error_set(err, SKIFF_E_INVALID, "%s: list item does not contain declared merge key: %s",
                                       where, f->merge_key);
            cJSON *k = cJSON_CreateObject();
            cJSON *kd = cJSON_Duplicate(kv, 1);
            if (!k || !kd || !cJSON_AddItemToObject(k, f->merge_key, kd)) { cJSON_Delete(k); cJSON_Delete(kd); return fs_oom(err); }
            js = cJSON_PrintUnformatted(k);
            cJSON_Delete(k);
            if (!js) return fs_oom(err);
            snprintf(seg, sizeof seg, "k:%s", js);
            free(js);
            cJSON *c = fs_child(set, seg);
            if (!c || !fs_child(c, ".")) return fs_oom(err);
            int rc = fs_build(it, f->child, c, where, depth + 1, 0, err);
            if (rc) return rc;
        } else {
            if (!(js = cJSON_PrintUnformatted(it))) return fs_oom(err);
            snprintf(seg, sizeof seg, "v:%s", js);
            free(js);
            if (!fs_child(set, seg)) return fs_oom(err);
        }
    }
    return 0;
}

static int fs_build(const cJSON *v, const char *type, cJSON *set, const char *where, int depth, int root, skiff_error_t *err)
{
    if (depth > SKIFF_API_MAX_DEPTH)
        return skiff_error_set(err, SKIFF_E_INVALID, "%s: nested deeper than %d levels", where, SKIFF_API_MAX_DEPTH);
    char seg[512], sub[256];
    for (const cJSON *c = v->child; c; c = c->next) {
        if (!c->string) continue;
        if (root && (!strcmp(c->string, "apiVersion") || !strcmp(c->string, "kind"))) continue;
        if (root == 2 && is_server_meta(c->string)) continue;
        snprintf(seg, sizeof seg, "f:%s", c->string);
        snprintf(sub, sizeof sub, "%s.%s", where, c->string);
        cJSON *node = fs_child(set, seg);
        if (!node) return fs_oom(err);
        const skiff_api_field_t *f = skiff_api_schema_field(type, c->string);
        int rc = 0;
        if (cJSON_IsObject(c) && c->child) {
            rc = fs_build(c, f ? f->child : NULL, node, sub, depth + 1,
                          root == 1 && !strcmp(c->string, "metadata") ? 2 : 0, err);
        } else if (cJSON_IsArray(c) && f && (f->flags & SKIFF_API_FIELD_MERGE) && c->child) {
            rc = fs_build_list(c, f, node, sub, depth + 1, err);
        }
        if (rc) return rc;
    }
    return 0;
}

int skiff_api_fieldset_from_object(const cJSON *obj, const char *kind, cJSON **set, skiff_error_t *err)
{
    *set = NULL;
    if (!cJSON_IsObject(obj)) return skiff_error_set(err, SKIFF_E_INVALID, "field set: the object is not a JSON object");
    cJSON *s = cJSON_CreateObject();
    if (!s) return fs_oom(err);
    int rc = fs_build(obj, skiff_api_schema_root(kind), s, "", 0, 1, err);
    if (rc) { cJSON_Delete(s); return rc; }
    *set = s;
    return 0;
}

static int fs_walk(const cJSON *node, const char **segs, int n, skiff_api_fieldset_leaf_fn fn, void *arg)
{
    if (!node->child) return n ? fn(segs, n, arg) : 0;
    if (n >= SKIFF_API_FIELDSET_MAX_SEGS) return 0;
    for (const cJSON *c = node->child; c; c = c->next) {
        if (!c->string) continue;
        segs[n] = c->string;
        int rc = fs_walk(c, segs, n + 1, fn, arg);
        if (rc) return rc;
    }
    return 0;
}

int skiff_api_fieldset_walk(const cJSON *set, skiff_api_fieldset_leaf_fn fn, void *arg)
{
    const char *segs[SKIFF_API_FIELDSET_MAX_SEGS];
    if (!cJSON_IsObject(set)) return 0;
    return fs_walk(set, segs, 0, fn, arg);
}

int skiff_api_fieldset_has(const cJSON *set, const char *const *segs, int n)
{
    const cJSON *cur = set;
    for (int i = 0; i < n && cur; i++) cur = cJSON_GetObjectItemCaseSensitive(cur, segs[i]);
    return cur != NULL;
}

int skiff_api_fieldset_add(cJSON *set, const char *const *segs, int n)
{
    cJSON *cur = set;
    for (int i = 0; i < n && cur; i++) cur = fs_child(cur, segs[i]);
    return cur ? 0 : -ENOMEM;
}

void skiff_api_fieldset_remove(cJSON *set, const char *const *segs, int n)
{
    if (n <= 0 || !set) return;
    cJSON *c = cJSON_GetObjectItemCaseSensitive(set, segs[0]);
    if (!c) return;
    if (n == 1) { cJSON_Delete(cJSON_DetachItemViaPointer(set, c)); return; }
    skiff_api_fieldset_remove(c, segs + 1, n - 1);
    /* An inner node left with only "." (or nothing) owns nothing more. */
    if (!c->child || (!c->child->next && !strcmp(c->child->string, ".")))
        cJSON_Delete(cJSON_DetachItemViaPointer(set, c));
}

/* Does list item `it` match key object `k` (every member equal)? */
static int fs_key_match(const cJSON *it, const cJSON *k)
{
    if (!cJSON_IsObject(it)) return 0;
    for (const cJSON *m = k->child; m; m = m->next) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, m->string);
        if (!v || !cJSON_Compare(v, m, 1)) return 0;
    }
    return 1;
}

cJSON *skiff_api_fieldset_resolve(const cJSON *obj, const char *const *segs, int n, cJSON **parent)
{
    cJSON *cur = (cJSON *)obj, *par = NULL;
    for (int i = 0; i < n && cur; i++) {
        const char *s = segs[i];
        if (!strcmp(s, ".")) continue;
        par = cur;
        if (!strncmp(s, "f:", 2)) {
            cur = cJSON_IsObject(cur) ? cJSON_GetObjectItemCaseSensitive(cur, s + 2) : NULL;
        } else if (!strncmp(s, "k:", 2) || !strncmp(s, "v:", 2)) {
            if (!cJSON_IsArray(cur)) return NULL;
            cJSON *want = cJSON_Parse(s + 2), *hit = NULL;
            if (!want) return NULL;
            for (cJSON *it = cur->child; it && !hit; it = it->next)
                if (s[0] == 'k' ? fs_key_match(it, want) : cJSON_Compare(it, want, 1)) hit = it;
            cJSON_Delete(want);
            cur = hit;
        } else {
            return NULL;
        }
    }
    if (parent) *parent = par;
    return cur;
}

void skiff_api_fieldset_format(const char *const *segs, int n, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && o < len; i++) {
        const char *s = segs[i];
        if (!strcmp(s, ".")) continue;
        if (!strncmp(s, "f:", 2)) {
            o += snprintf(buf + o, len - o, ".%s", s + 2);
        } else if (!strncmp(s, "k:", 2)) {
            cJSON *k = cJSON_Parse(s + 2);
            o += snprintf(buf + o, len - o, "[");
            for (const cJSON *m = k ? k->child : NULL; m && o < len; m = m->next) {
                char *v = cJSON_PrintUnformatted(m);
                o += snprintf(buf + o, len - o, "%s%s=%s", m == k->child ? "" : ",", m->string, v ? v : "?");
                free(v);
            }
            if (o < len) o += snprintf(buf + o, len - o, "]");
            cJSON_Delete(k);
        } else if (!strncmp(s, "v:", 2)) {
            o += snprintf(buf + o, len - o, "[=%s]", s + 2);
        }
    }
}
