/* Strategic merge patch; see patch_strategic.h. The algorithm follows
 * k8s.io/apimachinery/pkg/util/strategicpatch mergeMap/mergeSlice. */
#include "api/patch_strategic.h"

#include <stdlib.h>
#include <string.h>

#include "api/json_limits.h"
#include "api/json_util.h"
#include "api/patch_schema.h"

#define PATH_MAX_LEN 256
#define P_DIRECTIVE "$patch"
#define P_RETAIN "$retainKeys"
#define P_ORDER "$setElementOrder/"
#define P_DELPRIM "$deleteFromPrimitiveList/"

/* Result of merging into a map: keep it, or the patch said delete it. */
enum { SMP_KEEP = 0, SMP_DELETE = 1 };

static int smp_oom(skiff_error_t *err)
{
    return skiff_error_set(err, -ENOMEM, "strategic merge patch: out of memory");
}

static void path_join(char *dst, const char *base, const char *field)
{
    snprintf(dst, PATH_MAX_LEN, "%s.%s", base, field);
}

/* Compact JSON of a value for messages (truncated). */
static void smp_show(const cJSON *v, char *buf, size_t len)
{
    char *s = cJSON_PrintUnformatted(v);
    snprintf(buf, len, "%s", s ? s : "?");
    if (s && strlen(s) >= len && len > 4) strcpy(buf + len - 4, "...");
    free(s);
}

static int merge_map(cJSON *orig, const cJSON *patch, const char *type, const char *path, int depth, skiff_error_t *err);
static int merge_list(cJSON *orig, const cJSON *patch, const skiff_api_field_t *f, const char *path, int depth, skiff_error_t *err);
static int merge_list_items(cJSON *orig, const cJSON *patch, const skiff_api_field_t *f, const char *key,
                            const char *path, int depth, skiff_error_t *err);

/* A new value built from patch value `p` as if merged into nothing: nested
 * directives are applied (and vanish) and nulls are dropped. *out is NULL
 * when the value deletes itself ($patch: delete). */
static int smp_fresh(const cJSON *p, const skiff_api_field_t *f, const char *type, const char *path, int depth,
                     cJSON **out, skiff_error_t *err)
{
    *out = NULL;
    if (cJSON_IsObject(p)) {
        cJSON *o = cJSON_CreateObject();
        if (!o) return smp_oom(err);
        int rc = merge_map(o, p, type, path, depth, err);
        if (rc < 0) { cJSON_Delete(o); return rc; }
        if (rc == SMP_DELETE) { cJSON_Delete(o); return 0; }
        *out = o;
        return 0;
    }
    if (cJSON_IsArray(p)) {
        cJSON *a = cJSON_CreateArray();
        if (!a) return smp_oom(err);
        int rc = merge_list(a, p, f, path, depth, err);
        if (rc < 0) { cJSON_Delete(a); return rc; }
        *out = a;
        return 0;
    }
    if (!(*out = cJSON_Duplicate(p, 1))) return smp_oom(err);
    return 0;
}

static const cJSON *item_key(const cJSON *item, const char *key)
{
    return cJSON_IsObject(item) ? cJSON_GetObjectItemCaseSensitive(item, key) : NULL;
}

static const char *directive_of(const cJSON *item)
{
    const cJSON *d = item_key(item, P_DIRECTIVE);
    return cJSON_IsString(d) ? d->valuestring : (d ? "" : NULL);
}

/* Position of `item` in `list` by merge key (or value for primitives), -1 if absent. */
static int order_index(const cJSON *list, const cJSON *item, const char *key)
{
    const cJSON *want = key ? item_key(item, key) : item;
    int i = 0;
    if (!want) return -1;
    for (const cJSON *o = list ? list->child : NULL; o; o = o->next, i++) {
        const cJSON *have = key ? item_key(o, key) : o;
        if (have && cJSON_Compare(have, want, 1)) return i;
    }
    return -1;
}

typedef struct { cJSON *it; int idx; int seq; } ord_t;

static int ord_cmp(const void *a, const void *b)
{
    const ord_t *x = a, *y = b;
    /* Unknown positions (-1) go last; ties keep their current order. */
    if (x->idx != y->idx) {
        if (x->idx < 0) return 1;
        if (y->idx < 0) return -1;
        return x->idx < y->idx ? -1 : 1;
    }
    return x->seq - y->seq;
}

/* $setElementOrder as kube's normalizeElementOrder: the items the order
 * names (P) follow the order; the others (S, server-only) keep the order
 * they had in the live list `before`; then S is interleaved into P by
 * position in `before` (mergeSortedSlice). Entries are maps holding the
 * merge key, or values for a primitive list. */
static int apply_order(cJSON *l, const cJSON *order, const char *key, const cJSON *before, const char *path,
                       skiff_error_t *err)
{
    if (!cJSON_IsArray(order))
        return skiff_error_set(err, SKIFF_E_INVALID, "%s: $setElementOrder must be a list", path);
    for (const cJSON *o = order->child; o; o = o->next)
        if (key && !item_key(o, key))
            return skiff_error_set(err, SKIFF_E_INVALID, "%s: $setElementOrder entry does not contain the merge key %s",
                                   path, key);
    if (!cJSON_IsArray(l) || !l->child) return 0;
    int n = cJSON_GetArraySize(l), np = 0, ns = 0, seq = 0;
    ord_t *pv = calloc((size_t)n, sizeof *pv), *sv = calloc((size_t)n, sizeof *sv);
    if (!pv || !sv) { free(pv); free(sv); return smp_oom(err); }
    while (l->child) {
        cJSON *it = cJSON_DetachItemViaPointer(l, l->child);
        int oi = order_index(order, it, key);
        if (oi >= 0) pv[np++] = (ord_t){ it, oi, seq++ };
        else sv[ns++] = (ord_t){ it, order_index(before, it, key), seq++ };
    }
    if (np > 1) qsort(pv, (size_t)np, sizeof *pv, ord_cmp);
    if (ns > 1) qsort(sv, (size_t)ns, sizeof *sv, ord_cmp);
    int i = 0, j = 0;
    while (i < ns || j < np) {
        cJSON *take;
        if (i >= ns) take = pv[j++].it;
        else if (j >= np) take = sv[i++].it;
        else {
            int li = sv[i].idx, ri = order_index(before, pv[j].it, key);
            take = (li >= 0 && ri >= 0 && li < ri) ? sv[i++].it : pv[j++].it;
        }
        cJSON_AddItemToArray(l, take);
    }
    free(pv);
    free(sv);
    return 0;
}

static int merge_list(cJSON *orig, const cJSON *patch, const skiff_api_field_t *f, const char *path, int depth,
                      skiff_error_t *err)
{
    if (depth > SKIFF_API_MAX_DEPTH)
        return skiff_error_set(err, SKIFF_E_INVALID, "%s: nested deeper than %d levels", path, SKIFF_API_MAX_DEPTH);
    int merge = f && (f->flags & SKIFF_API_FIELD_MERGE);
    const char *key = f ? f->merge_key : NULL;
    char ipath[PATH_MAX_LEN];

    /* {"$patch":"replace"} anywhere in a merging list: the rest replaces it. */
    int replace = !merge;
    if (merge)
        for (const cJSON *p = patch->child; p; p = p->next) {
            const char *d = directive_of(p);
            if (d && !strcmp(d, "replace")) replace = 1;
        }
    if (replace) {
        while (orig->child) cJSON_Delete(cJSON_DetachItemViaPointer(orig, orig->child));
        int i = 0;
        for (const cJSON *p = patch->child; p; p = p->next, i++) {
            const char *d = merge ? directive_of(p) : NULL;
            if (d && !strcmp(d, "replace")) continue;
            snprintf(ipath, sizeof ipath, "%s[%d]", path, i);
            cJSON *v;
            int rc = smp_fresh(p, NULL, f ? f->child : NULL, ipath, depth + 1, &v, err);
            if (rc) return rc;
            if (v && !cJSON_AddItemToArray(orig, v)) { cJSON_Delete(v); return smp_oom(err); }
        }
        return 0;
    }

    /* kube's mergeSlice ends with normalizeElementOrder(patch items,
     * server-only items, patch, original): the items the patch names follow
     * the patch's order, server-only items are interleaved by live position,
     * and new items come before later server-only ones. */
    cJSON *before = cJSON_Duplicate(orig, 1);
    if (!before) return smp_oom(err);
    int rc = merge_list_items(orig, patch, f, key, path, depth, err);
    if (rc == 0) rc = apply_order(orig, patch, key, before, path, err);
    cJSON_Delete(before);
    return rc;
}

static int merge_list_items(cJSON *orig, const cJSON *patch, const skiff_api_field_t *f, const char *key,
                            const char *path, int depth, skiff_error_t *err)
{
    char ipath[PATH_MAX_LEN];
    if (!key) {
        /* A primitive set (finalizers): add the values not yet present. */
        for (const cJSON *p = patch->child; p; p = p->next) {
            if (cJSON_IsObject(p) || cJSON_IsArray(p))
                return skiff_error_set(err, SKIFF_E_INVALID, "%s: list of primitives holds a %s",
                                       path, cJSON_IsObject(p) ? "map" : "list");
            int found = 0;
            for (const cJSON *o = orig->child; o && !found; o = o->next) found = cJSON_Compare(o, p, 1);
            if (found) continue;
            cJSON *v = cJSON_Duplicate(p, 1);
            if (!v || !cJSON_AddItemToArray(orig, v)) { cJSON_Delete(v); return smp_oom(err); }
        }
        return 0;
    }

    int i = 0;
    for (const cJSON *p = patch->child; p; p = p->next, i++) {
        char shown[160];
        if (!cJSON_IsObject(p)) {
            smp_show(p, shown, sizeof shown);
            return skiff_error_set(err, SKIFF_E_INVALID, "%s[%d]: list item %s must be a map with merge key %s",
                                   path, i, shown, key);
        }
        const cJSON *kv = item_key(p, key);
        const char *d = directive_of(p);
        if (d && strcmp(d, "delete") && strcmp(d, "merge"))
            return skiff_error_set(err, SKIFF_E_INVALID, "%s[%d]: unknown patch type: %s in list item", path, i,
                                   *d ? d : "(not a string)");
        if (!kv) {
            smp_show(p, shown, sizeof shown);
            return skiff_error_set(err, SKIFF_E_INVALID, "%s[%d]: map: %s does not contain declared merge key: %s",
                                   path, i, shown, key);
        }
        char kshown[64];
        smp_show(kv, kshown, sizeof kshown);
        snprintf(ipath, sizeof ipath, "%s[%s=%s]", path, key, kshown);
        cJSON *match = NULL;
        for (cJSON *o = orig->child; o && !match; o = o->next) {
            const cJSON *ok = item_key(o, key);
            if (ok && cJSON_Compare(ok, kv, 1)) match = o;
        }
        if (d && !strcmp(d, "delete")) {
            /* Every item with that key goes, as kube deletes all matches. */
            for (cJSON *o = orig->child; o;) {
                cJSON *nx = o->next;
                const cJSON *ok = item_key(o, key);
                if (ok && cJSON_Compare(ok, kv, 1)) cJSON_Delete(cJSON_DetachItemViaPointer(orig, o));
                o = nx;
            }
            continue;
        }
        if (match) {
            if (!cJSON_IsObject(match)) {
                cJSON *o = cJSON_CreateObject();
                if (!o || skiff_api_json_replace(orig, match, o)) { cJSON_Delete(o); return smp_oom(err); }
                match = o;
            }
            int rc = merge_map(match, p, f->child, ipath, depth + 1, err);
            if (rc < 0) return rc;
            if (rc == SMP_DELETE) cJSON_Delete(cJSON_DetachItemViaPointer(orig, match));
            continue;
        }
        cJSON *v;
        int rc = smp_fresh(p, NULL, f->child, ipath, depth + 1, &v, err);
        if (rc) return rc;
        if (v && !cJSON_AddItemToArray(orig, v)) { cJSON_Delete(v); return smp_oom(err); }
    }
    return 0;
}

static int is_directive_key(const char *k)
{
    return !strcmp(k, P_DIRECTIVE) || !strcmp(k, P_RETAIN) || !strncmp(k, P_ORDER, strlen(P_ORDER)) ||
           !strncmp(k, P_DELPRIM, strlen(P_DELPRIM));
}

static int merge_map_body(cJSON *orig, const cJSON *patch, const char *type, const char *path, int depth,
                          skiff_error_t *err)
{
    char cpath[PATH_MAX_LEN];

    const char *d = directive_of(patch);
    if (d) {
        if (!strcmp(d, "delete")) return SMP_DELETE;
        if (!strcmp(d, "replace")) {
            /* The patch (minus directives) replaces the map. */
            while (orig->child) cJSON_Delete(cJSON_DetachItemViaPointer(orig, orig->child));
        } else if (strcmp(d, "merge") != 0) {
            return skiff_error_set(err, SKIFF_E_INVALID, "%s: unknown patch type: %s in map", path[0] ? path : ".",
                                   *d ? d : "(not a string)");
        }
    }

    const cJSON *retain = cJSON_GetObjectItemCaseSensitive(patch, P_RETAIN);
    if (retain) {
        if (!cJSON_IsArray(retain))
            return skiff_error_set(err, SKIFF_E_INVALID, "%s: $retainKeys must be a list of strings", path[0] ? path : ".");
        for (const cJSON *r = retain->child; r; r = r->next)
            if (!cJSON_IsString(r))
                return skiff_error_set(err, SKIFF_E_INVALID, "%s: $retainKeys must be a list of strings", path[0] ? path : ".");
        /* Every key the patch sets must be retained (kube's
         * ErrPatchContentNotMatchRetainKeys). */
        for (const cJSON *p = patch->child; p; p = p->next) {
            if (is_directive_key(p->string) || cJSON_IsNull(p)) continue;
            int listed = 0;
            for (const cJSON *r = retain->child; r && !listed; r = r->next) listed = !strcmp(r->valuestring, p->string);
            if (!listed)
                return skiff_error_set(err, SKIFF_E_INVALID, "%s: patch content doesn't match retainKeys list: %s is not retained",
                                       path[0] ? path : ".", p->string);
        }
        for (cJSON *o = orig->child; o;) {
            cJSON *nx = o->next;
            int listed = 0;
            for (const cJSON *r = retain->child; r && !listed; r = r->next) listed = !strcmp(r->valuestring, o->string);
            if (!listed) cJSON_Delete(cJSON_DetachItemViaPointer(orig, o));
            o = nx;
        }
    }

    for (const cJSON *p = patch->child; p; p = p->next) {
        const char *k = p->string;
        if (!k) continue;
        if (!strncmp(k, P_DELPRIM, strlen(P_DELPRIM))) {
            const char *field = k + strlen(P_DELPRIM);
            path_join(cpath, path, field);
            if (!cJSON_IsArray(p))
                return skiff_error_set(err, SKIFF_E_INVALID, "%s: %s must be a list", cpath, k);
            cJSON *l = cJSON_GetObjectItemCaseSensitive(orig, field);
            if (!cJSON_IsArray(l)) continue;
            for (cJSON *o = l->child; o;) {
                cJSON *nx = o->next;
                int hit = 0;
                for (const cJSON *x = p->child; x && !hit; x = x->next) hit = cJSON_Compare(o, x, 1);
                if (hit) cJSON_Delete(cJSON_DetachItemViaPointer(l, o));
                o = nx;
            }
            continue;
        }
        if (is_directive_key(k)) continue;
        path_join(cpath, path, k);
        const skiff_api_field_t *f = skiff_api_schema_field(type, k);
        const char *ctype = f ? f->child : NULL;
        cJSON *cur = cJSON_GetObjectItemCaseSensitive(orig, k);
        if (cJSON_IsNull(p)) {
            if (cur) cJSON_Delete(cJSON_DetachItemViaPointer(orig, cur));
            continue;
        }
        if (cur && cJSON_IsObject(cur) && cJSON_IsObject(p)) {
            int rc = merge_map(cur, p, ctype, cpath, depth + 1, err);
            if (rc < 0) return rc;
            if (rc == SMP_DELETE) cJSON_Delete(cJSON_DetachItemViaPointer(orig, cur));
            continue;
        }
        if (cur && cJSON_IsArray(cur) && cJSON_IsArray(p)) {
            int rc = merge_list(cur, p, f, cpath, depth + 1, err);
            if (rc < 0) return rc;
            continue;
        }
        cJSON *v;
        int rc = smp_fresh(p, f, ctype, cpath, depth + 1, &v, err);
        if (rc) return rc;
        if (!v) {
            if (cur) cJSON_Delete(cJSON_DetachItemViaPointer(orig, cur));
            continue;
        }
        if (skiff_api_json_set(orig, k, v)) { cJSON_Delete(v); return smp_oom(err); }
    }

    return SMP_KEEP;
}

static int merge_map(cJSON *orig, const cJSON *patch, const char *type, const char *path, int depth, skiff_error_t *err)
{
    if (depth > SKIFF_API_MAX_DEPTH)
        return skiff_error_set(err, SKIFF_E_INVALID, "%s: nested deeper than %d levels", path, SKIFF_API_MAX_DEPTH);
    /* Lists named by $setElementOrder are ordered against their live order,
     * so keep a copy of them from before the merge. */
    cJSON *before = NULL;
    for (const cJSON *p = patch->child; p; p = p->next) {
        if (!p->string || strncmp(p->string, P_ORDER, strlen(P_ORDER))) continue;
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(orig, p->string + strlen(P_ORDER));
        if (!cJSON_IsArray(l)) continue;
        cJSON *dup = cJSON_Duplicate(l, 1);
        if (!before) before = cJSON_CreateObject();
        if (!before || !dup || !cJSON_AddItemToObject(before, p->string + strlen(P_ORDER), dup)) {
            cJSON_Delete(dup);
            cJSON_Delete(before);
            return smp_oom(err);
        }
    }
    int rc = merge_map_body(orig, patch, type, path, depth, err);
    /* Orders last: they apply to the merged lists. */
    for (const cJSON *p = patch->child; p && rc == SMP_KEEP; p = p->next) {
        if (!p->string || strncmp(p->string, P_ORDER, strlen(P_ORDER))) continue;
        const char *field = p->string + strlen(P_ORDER);
        char cpath[PATH_MAX_LEN];
        path_join(cpath, path, field);
        const skiff_api_field_t *f = skiff_api_schema_field(type, field);
        rc = apply_order(cJSON_GetObjectItemCaseSensitive(orig, field), p, f ? f->merge_key : NULL,
                         cJSON_GetObjectItemCaseSensitive(before, field), cpath, err);
    }
    cJSON_Delete(before);
    return rc;
}

int skiff_api_strategic_patch_inplace(cJSON *doc, const cJSON *patch, const char *kind, skiff_error_t *err)
{
    if (!cJSON_IsObject(doc)) return skiff_error_set(err, SKIFF_E_INVALID, "strategic merge patch: the target is not an object");
    if (!cJSON_IsObject(patch)) return skiff_error_set(err, SKIFF_E_INVALID, "strategic merge patch: the patch must be a JSON object");
    int rc = merge_map(doc, patch, skiff_api_schema_root(kind), "", 0, err);
    if (rc == SMP_DELETE) {
        /* kube: {"$patch":"delete"} at the top leaves an empty object. */
        while (doc->child) cJSON_Delete(cJSON_DetachItemViaPointer(doc, doc->child));
        rc = 0;
    }
    return rc;
}

int skiff_api_strategic_patch(const cJSON *doc, const cJSON *patch, const char *kind, cJSON **out, skiff_error_t *err)
{
    if (!out) return skiff_error_set(err, SKIFF_E_INVALID, "strategic merge patch: no output");
    *out = NULL;
    cJSON *d = cJSON_IsObject(doc) ? cJSON_Duplicate(doc, 1) : cJSON_CreateObject();
    if (!d) return smp_oom(err);
    int rc = skiff_api_strategic_patch_inplace(d, patch, kind, err);
    if (rc) { cJSON_Delete(d); return rc; }
    *out = d;
    return 0;
}
