/* FieldsV1 sets; see fieldset.h. */
#include "api/fieldset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/json_limits.h"
#include "api/json_util.h"
#include "api/patch_schema.h"

static int fs_oom(skiff_error_t *err) { return skiff_error_set(err, -ENOMEM, "field set: out of memory"); }

static int is_server_meta(const char *k)
{
    switch (k[0]) { /* by first letter: metadata members pass here on every write */
    case 'n': return !strcmp(k, "name") || !strcmp(k, "namespace");
    case 'u': return !strcmp(k, "uid");
    case 'r': return !strcmp(k, "resourceVersion");
    case 'g': return !strcmp(k, "generation");
    case 'c': return !strcmp(k, "creationTimestamp");
    case 'm': return !strcmp(k, "managedFields");
    case 's': return !strcmp(k, "selfLink");
    case 'd': return !strcmp(k, "deletionTimestamp") || !strcmp(k, "deletionGracePeriodSeconds");
    default: return 0;
    }
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
            /* only server-owned members (metadata: {name}): no field at all */
            if (!rc && !node->child) cJSON_Delete(cJSON_DetachItemViaPointer(set, node));
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

/* ---- diffs for "Update" entries ------------------------------------------ */

static int fs_cmp_seg(const void *a, const void *b)
{
    const char *x = (*(cJSON *const *)a)->string, *y = (*(cJSON *const *)b)->string;
    int dx = !strcmp(x, "."), dy = !strcmp(y, ".");
    if (dx != dy) return dy - dx;
    return strcmp(x, y);
}

void skiff_api_fieldset_sort(cJSON *node)
{
    if (!node || !node->child || !node->child->next) return;
    cJSON *stack[32], **v = stack;
    int n = 0;
    for (cJSON *c = node->child; c; c = c->next) n++;
    if (n > 32 && !(v = malloc((size_t)n * sizeof *v))) return; /* unsorted is still a valid set */
    int i = 0, sorted = 1;
    for (cJSON *c = node->child; c; c = c->next, i++) {
        v[i] = c;
        if (!c->string) { if (v != stack) free(v); return; }
        if (i && fs_cmp_seg(&v[i - 1], &v[i]) > 0) sorted = 0;
    }
    if (!sorted) {
        qsort(v, (size_t)n, sizeof *v, fs_cmp_seg);
        /* cJSON lists: next-linked, head->prev is the tail, tail->next NULL */
        for (i = 0; i < n; i++) {
            v[i]->next = i + 1 < n ? v[i + 1] : NULL;
            v[i]->prev = i ? v[i - 1] : v[n - 1];
        }
        node->child = v[0];
    }
    if (v != stack) free(v);
}

/* Append a new empty member (no lookup: the caller knows it is absent). */
static cJSON *fs_new(cJSON *set, const char *seg)
{
    cJSON *c = cJSON_CreateObject();
    if (c && !cJSON_AddItemToObject(set, seg, c)) { cJSON_Delete(c); c = NULL; }
    return c;
}

typedef struct {
    unsigned flags;
    int create;          /* old is NULL */
    skiff_error_t *err;
} fs_diff_t;

static int df_obj(fs_diff_t *d, const cJSON *n, const cJSON *o, const char *type, cJSON *ch, cJSON *rm,
                  int depth, int lvl);

/* The segment of list item `it` ("k:{...}" or "v:..."); 0, or an error set. */
static int df_item_seg(fs_diff_t *d, const cJSON *it, const skiff_api_field_t *f, char *seg, size_t len)
{
    char *js;
    if (f->merge_key) {
        const cJSON *kv = cJSON_IsObject(it) ? cJSON_GetObjectItemCaseSensitive(it, f->merge_key) : NULL;
        if (!kv)
            return skiff_error_set(d->err, SKIFF_E_INVALID, "%s: list item does not contain declared merge key: %s",
                                   f->field, f->merge_key);
        if (cJSON_IsString(kv) && !strpbrk(kv->valuestring, "\"\\") && strlen(kv->valuestring) < len / 2) {
            /* the common case (a name) without printing: nothing to escape */
            const char *v = kv->valuestring;
            int plain = 1;
            for (const char *q = v; *q && plain; q++) plain = (unsigned char)*q >= 0x20;
            size_t kl = strlen(f->merge_key), vl = strlen(v);
            if (plain && kl + vl + 9 < len) { /* k:{"key":"v"} */
                char *p = seg;
                memcpy(p, "k:{\"", 4); p += 4;
                memcpy(p, f->merge_key, kl); p += kl;
                memcpy(p, "\":\"", 3); p += 3;
                memcpy(p, v, vl); p += vl;
                memcpy(p, "\"}", 3);
                return 0;
            }
        }
        char *kj = cJSON_PrintUnformatted(kv);
        if (!kj) return fs_oom(d->err);
        size_t kl = strlen(f->merge_key);
        js = malloc(kl + strlen(kj) + 6);
        if (js) sprintf(js, "{\"%s\":%s}", f->merge_key, kj);
        free(kj);
        if (!js) return fs_oom(d->err);
        snprintf(seg, len, "k:%s", js);
    } else {
        if (!(js = cJSON_PrintUnformatted(it))) return fs_oom(d->err);
        snprintf(seg, len, "v:%s", js);
    }
    free(js);
    return 0;
}

static const cJSON *df_find_item(const cJSON *l, const cJSON *it, const skiff_api_field_t *f)
{
    if (!l) return NULL;
    const cJSON *k = f->merge_key && cJSON_IsObject(it) ? cJSON_GetObjectItemCaseSensitive(it, f->merge_key) : NULL;
    for (const cJSON *o = l->child; o; o = o->next) {
        if (f->merge_key) {
            const cJSON *ok = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, f->merge_key) : NULL;
            if (k && ok && cJSON_Compare(k, ok, 1)) return o;
        } else if (cJSON_Compare(it, o, 1)) {
            return o;
        }
    }
    return NULL;
}

static int df_list(fs_diff_t *d, const cJSON *n, const cJSON *o, const skiff_api_field_t *f, cJSON *ch, cJSON *rm,
                   int depth)
{
    char seg[512];
    int rc;
    for (const cJSON *it = n->child; it; it = it->next) {
        if ((rc = df_item_seg(d, it, f, seg, sizeof seg))) return rc;
        const cJSON *oit = df_find_item(o, it, f);
        if (cJSON_GetObjectItemCaseSensitive(ch, seg)) continue; /* a duplicate key: validation's business */
        if (!f->merge_key) {
            if (!oit && !fs_new(ch, seg)) return fs_oom(d->err);
            continue;
        }
        cJSON *node = cJSON_CreateObject(), *rnode = rm ? cJSON_CreateObject() : NULL;
        if (!node || (rm && !rnode)) { cJSON_Delete(node); cJSON_Delete(rnode); return fs_oom(d->err); }
        rc = df_obj(d, it, cJSON_IsObject(oit) ? oit : NULL, f->child, node, rnode, depth + 1, 0);
        if (!rc && !oit && !fs_new(node, ".")) rc = fs_oom(d->err);
        if (rc) { cJSON_Delete(node); cJSON_Delete(rnode); return rc; }
        skiff_api_fieldset_sort(node);
        if (node->child) cJSON_AddItemToObject(ch, seg, node); else cJSON_Delete(node);
        if (rnode && rnode->child) { skiff_api_fieldset_sort(rnode); cJSON_AddItemToObject(rm, seg, rnode); }
        else cJSON_Delete(rnode);
    }
    for (const cJSON *oit = o && rm ? o->child : NULL; oit; oit = oit->next) {
        if (df_find_item(n, oit, f)) continue;
        if (df_item_seg(d, oit, f, seg, sizeof seg)) { skiff_error_clear(d->err); continue; } /* old junk: nobody's */
        if (!cJSON_GetObjectItemCaseSensitive(rm, seg) && !fs_new(rm, seg)) return fs_oom(d->err);
    }
    return 0;
}

/* Does a node added whole get "."? kube compares a create with the empty
 * Go object, in which the root's members, the struct-valued fields
 * (template, its metadata and spec, strategy) and non-omitempty lists (a
 * pod spec's containers: null) exist already. */
static int df_dot(const fs_diff_t *d, const char *k, int lvl)
{
    (void)lvl;
    if (!d->create) return 1;
    switch (k[0]) {
    case 'c': return strcmp(k, "containers") != 0;
    case 't': return strcmp(k, "template") != 0;
    case 'm': return strcmp(k, "metadata") != 0;
    case 's': return strcmp(k, "spec") && strcmp(k, "status") && strcmp(k, "strategy");
    case 'u': return strcmp(k, "updateStrategy") != 0;
    default: return 1;
    }
}

static int df_skip(const fs_diff_t *d, const char *k, int lvl)
{
    if (lvl == 1 && (!strcmp(k, "apiVersion") || !strcmp(k, "kind"))) return 1;
    if (lvl == 1 && (d->flags & SKIFF_API_FIELDSET_SKIP_STATUS) && !strcmp(k, "status")) return 1;
    return lvl == 2 && is_server_meta(k);
}

/* lvl: 1 the object's root, 2 its metadata, 0 elsewhere. */
static int df_obj(fs_diff_t *d, const cJSON *n, const cJSON *o, const char *type, cJSON *ch, cJSON *rm,
                  int depth, int lvl)
{
    if (depth > SKIFF_API_MAX_DEPTH)
        return skiff_error_set(d->err, SKIFF_E_INVALID, "nested deeper than %d levels", SKIFF_API_MAX_DEPTH);
    char seg[512];
    int rc;
    /* indexed lookups: a wide map must not make the walk quadratic; duplicate
     * members cannot come from a body (the decoder refuses them) */
    skiff_api_json_index_t oix, nix = { 0 };
    if (skiff_api_json_index_build(o, &oix)) return fs_oom(d->err);
    if (o && rm && skiff_api_json_index_build(n, &nix)) { skiff_api_json_index_free(&oix); return fs_oom(d->err); }
    rc = 0;
    for (const cJSON *c = n->child; c && !rc; c = c->next) {
        if (!c->string || df_skip(d, c->string, lvl)) continue;
        snprintf(seg, sizeof seg, "f:%s", c->string);
        const cJSON *ov = o ? skiff_api_json_index_get(&oix, c->string) : NULL;
        const skiff_api_field_t *f = skiff_api_schema_field(type, c->string);
        int merging = cJSON_IsArray(c) && c->child && f && (f->flags & SKIFF_API_FIELD_MERGE);
        if ((cJSON_IsObject(c) && c->child) || merging) {
            int same_type = merging ? cJSON_IsArray(ov) : cJSON_IsObject(ov);
            cJSON *node = cJSON_CreateObject(), *rnode = rm ? cJSON_CreateObject() : NULL;
            if (!node || (rm && !rnode)) { cJSON_Delete(node); cJSON_Delete(rnode); return fs_oom(d->err); }
            if (merging) rc = df_list(d, c, same_type ? ov : NULL, f, node, same_type ? rnode : NULL, depth + 1);
            else rc = df_obj(d, c, same_type ? ov : NULL, f ? f->child : NULL, node, same_type ? rnode : NULL, depth + 1,
                             lvl == 1 && !strcmp(c->string, "metadata") ? 2 : 0);
            /* added as a whole: the node itself is a field too (not the root's
             * members on a create: kube's empty object has them) */
            if (!rc && !same_type && node->child && df_dot(d, c->string, lvl) && !fs_new(node, ".")) rc = fs_oom(d->err);
            if (rc) { cJSON_Delete(node); cJSON_Delete(rnode); break; }
            skiff_api_fieldset_sort(node);
            if (node->child) cJSON_AddItemToObject(ch, seg, node); else cJSON_Delete(node);
            if (rnode && rnode->child) { skiff_api_fieldset_sort(rnode); cJSON_AddItemToObject(rm, seg, rnode); }
            else cJSON_Delete(rnode);
        } else if (!ov || !skiff_api_json_equal(c, ov)) {
            if (!fs_new(ch, seg)) rc = fs_oom(d->err);
        }
    }
    for (const cJSON *oc = o && rm && !rc ? o->child : NULL; oc; oc = oc->next) {
        if (!oc->string || df_skip(d, oc->string, lvl) || skiff_api_json_index_get(&nix, oc->string)) continue;
        snprintf(seg, sizeof seg, "f:%s", oc->string);
        if (!fs_new(rm, seg)) { rc = fs_oom(d->err); break; }
    }
    skiff_api_json_index_free(&oix);
    skiff_api_json_index_free(&nix);
    return rc;
}

int skiff_api_fieldset_diff(const cJSON *obj, const cJSON *old, const char *kind, unsigned flags,
                            cJSON **changed, cJSON **removed, skiff_error_t *err)
{
    *changed = NULL;
    if (removed) *removed = NULL;
    if (!cJSON_IsObject(obj)) return skiff_error_set(err, SKIFF_E_INVALID, "field set: the object is not a JSON object");
    fs_diff_t d = { .flags = flags, .create = !old, .err = err };
    cJSON *ch = cJSON_CreateObject(), *rm = removed ? cJSON_CreateObject() : NULL;
    if (!ch || (removed && !rm)) { cJSON_Delete(ch); cJSON_Delete(rm); return fs_oom(err); }
    int rc = df_obj(&d, obj, cJSON_IsObject(old) ? old : NULL, skiff_api_schema_root(kind), ch, rm, 0, 1);
    if (rc) { cJSON_Delete(ch); cJSON_Delete(rm); return rc; }
    skiff_api_fieldset_sort(ch);
    skiff_api_fieldset_sort(rm);
    *changed = ch;
    if (removed) *removed = rm;
    return 0;
}

/* a member marked for removal by an indexed subtract (a cJSON type bit no
 * cJSON type uses; cleared by the removal itself) */
#define FS_DOOMED (1 << 14)

static int fs_only_self(const cJSON *c) { return !c->child || (!c->child->next && !strcmp(c->child->string, ".")); }

int skiff_api_fieldset_subtract(cJSON *set, const cJSON *minus)
{
    int n = 0;
    if (!set || !minus) return 0;
    /* the index borrows set's members: removals are marked, detached after */
    skiff_api_json_index_t ix;
    int indexed = minus->child && minus->child->next && !skiff_api_json_index_build(set, &ix) && ix.v;
    if (indexed) {
        for (const cJSON *m = minus->child; m; m = m->next) {
            if (!m->string || !strcmp(m->string, ".")) continue;
            cJSON *c = skiff_api_json_index_get(&ix, m->string);
            if (!c) continue;
            if (!m->child) { c->type |= FS_DOOMED; n++; continue; }
            if (!c->child) continue;
            int k = skiff_api_fieldset_subtract(c, m);
            if (k && fs_only_self(c)) { c->type |= FS_DOOMED; k++; }
            n += k;
        }
        skiff_api_json_index_free(&ix);
        for (cJSON *c = set->child; c;) {
            cJSON *nx = c->next;
            if (c->type & FS_DOOMED) cJSON_Delete(cJSON_DetachItemViaPointer(set, c));
            c = nx;
        }
        return n;
    }
    for (const cJSON *m = minus->child; m; m = m->next) {
        if (!m->string || !strcmp(m->string, ".")) continue;
        cJSON *c = cJSON_GetObjectItemCaseSensitive(set, m->string);
        if (!c) continue;
        if (!m->child) {
            cJSON_Delete(cJSON_DetachItemViaPointer(set, c));
            n++;
            continue;
        }
        if (!c->child) continue; /* set owns the node itself, not what is below */
        int k = skiff_api_fieldset_subtract(c, m);
        if (k && fs_only_self(c)) { cJSON_Delete(cJSON_DetachItemViaPointer(set, c)); k++; }
        n += k;
    }
    return n;
}

int skiff_api_fieldset_union(cJSON *set, const cJSON *add)
{
    int n = 0, added = 0;
    if (!set || !add) return 0;
    skiff_api_json_index_t ix; /* of set's members before this call's additions */
    if (skiff_api_json_index_build(set, &ix)) return -ENOMEM;
    for (const cJSON *a = add->child; a; a = a->next) {
        if (!a->string) continue;
        cJSON *c = skiff_api_json_index_get(&ix, a->string);
        if (!c) {
            cJSON *dup = cJSON_Duplicate(a, 1);
            if (!dup || !cJSON_AddItemToObject(set, a->string, dup)) {
                cJSON_Delete(dup);
                skiff_api_json_index_free(&ix);
                return -ENOMEM;
            }
            added++;
            continue;
        }
        int k = skiff_api_fieldset_union(c, a);
        if (k < 0) { skiff_api_json_index_free(&ix); return k; }
        n += k;
    }
    skiff_api_json_index_free(&ix);
    if (added) skiff_api_fieldset_sort(set);
    return n + added;
}

/* ---- a create's set, printed without a tree ------------------------------ */

typedef struct {
    char *p;
    size_t len, cap;
    int oom;
    unsigned flags;
    skiff_error_t *err;
} fs_out_t;

static void po_grow(fs_out_t *o, const char *s, size_t n);
static inline void po_add(fs_out_t *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap) { po_grow(o, s, n); return; }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

static void po_grow(fs_out_t *o, const char *s, size_t n)
{
    if (o->oom) return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 1024;
        while (cap < o->len + n + 1) cap *= 2;
        char *p = realloc(o->p, cap);
        if (!p) { o->oom = 1; return; }
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

static void po_puts(fs_out_t *o, const char *s) { po_add(o, s, strlen(s)); }
#define PO_LIT(o, lit) po_add((o), (lit), sizeof(lit) - 1)

/* s as the inside of a JSON string, escaped as cJSON escapes. */
static void po_escaped(fs_out_t *o, const char *s)
{
    const char *run = s;
    static const unsigned char special[256] = { /* 1: ends a plain run (NUL, controls, '"', '\\') */
        [0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1,
    };
    size_t plain = 0;
    while (!special[(unsigned char)s[plain]]) plain++;
    if (!s[plain]) { po_add(o, s, plain); return; } /* nothing to escape: the usual case */
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch >= 0x20 && ch != '"' && ch != '\\') continue;
        po_add(o, run, (size_t)(s - run));
        char e[8];
        switch (ch) {
        case '"': po_puts(o, "\\\""); break;
        case '\\': po_puts(o, "\\\\"); break;
        case '\b': po_puts(o, "\\b"); break;
        case '\f': po_puts(o, "\\f"); break;
        case '\n': po_puts(o, "\\n"); break;
        case '\r': po_puts(o, "\\r"); break;
        case '\t': po_puts(o, "\\t"); break;
        default: snprintf(e, sizeof e, "\\u%04x", ch); po_puts(o, e);
        }
        run = s + 1;
    }
    po_add(o, run, (size_t)(s - run));
}

static int po_cmp_member(const void *a, const void *b)
{
    return strcmp((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

typedef struct { char *seg; const cJSON *it; } po_item_t;
static int po_cmp_item(const void *a, const void *b)
{
    return strcmp(((const po_item_t *)a)->seg, ((const po_item_t *)b)->seg);
}

static int po_obj(fs_out_t *o, const cJSON *n, const char *type, int depth, int lvl, int dot);

/* skiff_api_schema_field for member c of a `type` object. Names that point
 * at static strings (cJSON_StringIsConst: the decoder's schema names, the
 * defaults' literals) are remembered per thread by address, which stands
 * for the text: a create looks up the same few dozen pairs every time. */
static const skiff_api_field_t *po_field(const char *type, const cJSON *c)
{
    if (!type) return NULL;
    if (!(c->type & cJSON_StringIsConst)) return skiff_api_schema_field(type, c->string);
    static __thread struct { const char *type, *name; const skiff_api_field_t *f; } memo[256];
    uintptr_t h = ((uintptr_t)type >> 3) * 31u + ((uintptr_t)c->string >> 3);
    h = (h ^ (h >> 8)) & 255;
    if (memo[h].type == type && memo[h].name == c->string) return memo[h].f;
    const skiff_api_field_t *f = skiff_api_schema_field(type, c->string);
    memo[h].type = type;
    memo[h].name = c->string;
    memo[h].f = f;
    return f;
}

/* A merging list's items, sorted by segment. 0 or an error (set). */
static int po_list(fs_out_t *o, const cJSON *l, const skiff_api_field_t *f, int depth, int dot)
{
    if (l->child && !l->child->next) {
        /* one item (one container, one port: the usual list): nothing to
         * sort or de-duplicate, no copies */
        fs_diff_t d1 = { .flags = o->flags, .create = 1, .err = o->err };
        char seg1[512];
        int rc1 = df_item_seg(&d1, l->child, f, seg1, sizeof seg1);
        if (rc1) return rc1;
        po_puts(o, dot ? "{\".\":{},\"" : "{\"");
        po_escaped(o, seg1);
        po_puts(o, "\":");
        if (f->merge_key) {
            if ((rc1 = po_obj(o, l->child, f->child, depth + 1, 0, 1))) return rc1;
        } else {
            po_puts(o, "{}");
        }
        po_puts(o, "}");
        return 0;
    }
    int n = cJSON_GetArraySize(l), k = 0, rc = 0;
    po_item_t *v = calloc((size_t)n, sizeof *v);
    if (!v) return fs_oom(o->err);
    fs_diff_t d = { .flags = o->flags, .create = 1, .err = o->err };
    char seg[512];
    for (const cJSON *it = l->child; it; it = it->next) {
        if ((rc = df_item_seg(&d, it, f, seg, sizeof seg))) goto out;
        int dup = 0;
        for (int i = 0; i < k && !dup; i++) dup = !strcmp(v[i].seg, seg);
        if (dup) continue;
        if (!(v[k].seg = strdup(seg))) { rc = fs_oom(o->err); goto out; }
        v[k++].it = it;
    }
    if (k > 1) qsort(v, (size_t)k, sizeof *v, po_cmp_item);
    po_puts(o, dot ? "{\".\":{}" : "{");
    for (int i = 0; i < k; i++) {
        po_puts(o, i || dot ? ",\"" : "\"");
        po_escaped(o, v[i].seg);
        po_puts(o, "\":");
        if (f->merge_key) {
            if ((rc = po_obj(o, v[i].it, f->child, depth + 1, 0, 1))) goto out;
        } else {
            po_puts(o, "{}");
        }
    }
    po_puts(o, "}");
out:
    for (int i = 0; i < k; i++) free(v[i].seg);
    free(v);
    return rc;
}

/* Print n's set as an object; with dot, "." first when it has members.
 * An empty set prints as {}. */
static int po_obj(fs_out_t *o, const cJSON *n, const char *type, int depth, int lvl, int dot)
{
    if (depth > SKIFF_API_MAX_DEPTH)
        return skiff_error_set(o->err, SKIFF_E_INVALID, "nested deeper than %d levels", SKIFF_API_MAX_DEPTH);
    fs_diff_t d = { .flags = o->flags, .create = 1, .err = o->err };
    cJSON *stack[48], **v = stack;
    int cnt = 0, k = 0, rc = 0;
    for (const cJSON *c = n->child; c; c = c->next) cnt++;
    if (cnt > 48 && !(v = malloc((size_t)cnt * sizeof *v))) return fs_oom(o->err);
    /* duplicate members cannot come from a request body (the decoder refuses
     * them), so they are not looked for here */
    for (cJSON *c = n->child; c; c = c->next)
        if (c->string && !df_skip(&d, c->string, lvl)) v[k++] = c;
    if (k > 24) {
        qsort(v, (size_t)k, sizeof *v, po_cmp_member); /* wide maps: n log n, never n^2 */
    } else {
        for (int i = 1; i < k; i++) { /* insertion sort: a few members, often nearly sorted */
            cJSON *x = v[i];
            int j = i;
            while (j > 0 && strcmp(v[j - 1]->string, x->string) > 0) { v[j] = v[j - 1]; j--; }
            v[j] = x;
        }
    }
    size_t start = o->len;
    int members = 0;
    if (dot) PO_LIT(o, "{\".\":{}"); else PO_LIT(o, "{");
    for (int i = 0; i < k && !rc; i++) {
        const cJSON *c = v[i];
        size_t mark = o->len;
        if (members || dot) PO_LIT(o, ",\"f:"); else PO_LIT(o, "\"f:");
        po_escaped(o, c->string);
        PO_LIT(o, "\":");
        const skiff_api_field_t *f = po_field(type, c);
        size_t body = o->len;
        int t = c->type & 0xFF;
        if (t == cJSON_Array && c->child && f && (f->flags & SKIFF_API_FIELD_MERGE)) {
            rc = po_list(o, c, f, depth + 1, df_dot(&d, c->string, lvl));
        } else if (t == cJSON_Object && c->child) {
            int sub = lvl == 1 && !strcmp(c->string, "metadata") ? 2 : 0;
            rc = po_obj(o, c, f ? f->child : NULL, depth + 1, sub, df_dot(&d, c->string, lvl));
            /* a map whose members are all server-owned sets nothing: drop it */
            if (!rc && !o->oom && o->len - body == 2) { o->len = mark; o->p[o->len] = '\0'; continue; }
        } else {
            PO_LIT(o, "{}");
        }
        members++;
    }
    if (v != stack) free(v);
    if (rc) return rc;
    if (!members) { o->len = start; if (o->p) o->p[o->len] = '\0'; po_puts(o, "{}"); return 0; }
    po_puts(o, "}");
    return 0;
}

int skiff_api_fieldset_print_created(const cJSON *obj, const char *kind, unsigned flags, const char *prefix,
                                     const char *suffix, char **out, skiff_error_t *err)
{
    *out = NULL;
    if (!cJSON_IsObject(obj)) return skiff_error_set(err, SKIFF_E_INVALID, "field set: the object is not a JSON object");
    fs_out_t o = { .flags = flags, .err = err };
    size_t pl = prefix ? strlen(prefix) : 0;
    if (pl) po_add(&o, prefix, pl);
    int rc = po_obj(&o, obj, skiff_api_schema_root(kind), 0, 1, 0);
    if (!rc && o.len - pl == 2) { free(o.p); return 0; } /* "{}": sets nothing */
    if (suffix) po_puts(&o, suffix);
    if (!rc && o.oom) rc = fs_oom(err);
    if (rc) { free(o.p); return rc; }
    *out = o.p;
    return 0;
}
