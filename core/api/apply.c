/* Simplified server-side apply; see apply.h. */
#include "api/apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/fieldset.h"
#include "api/json_limits.h"
#include "api/json_util.h"
#include "api/patch_schema.h"
#include "api/patch_strategic.h"

#define MAX_CONFLICTS 64

static int ap_oom(skiff_error_t *err) { return skiff_error_set(err, -ENOMEM, "apply: out of memory"); }

static const char *entry_str(const cJSON *e, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static int entry_is(const cJSON *e, const char *manager, const char *op)
{
    return !strcmp(entry_str(e, "manager"), manager) && !strcmp(entry_str(e, "operation"), op);
}

/* kube tells managers apart by (manager, operation, subresource) — and the
 * apiVersion of Update entries, which is one per kind here. */
static int entry_is_sub(const cJSON *e, const char *manager, const char *op, const char *sub)
{
    return entry_is(e, manager, op) && !strcmp(entry_str(e, "subresource"), sub ? sub : "");
}

/* kube's sortEncodedManagedFields: operation, time, manager, apiVersion, subresource. */
static int entry_cmp(const cJSON *a, const cJSON *b)
{
    static const char *const keys[] = { "operation", "time", "manager", "apiVersion", "subresource" };
    for (int i = 0; i < 5; i++) {
        int d = strcmp(entry_str(a, keys[i]), entry_str(b, keys[i]));
        if (d) return d;
    }
    return 0;
}

static void sort_entries(cJSON *mf)
{
    /* insertion sort: a handful of entries, usually already in order */
    cJSON *sorted = NULL;
    for (cJSON *e = mf->child; e;) {
        cJSON *nx = e->next;
        e->next = e->prev = NULL;
        if (!sorted || entry_cmp(e, sorted) < 0) {
            e->next = sorted;
            sorted = e;
        } else {
            cJSON *p = sorted;
            while (p->next && entry_cmp(p->next, e) <= 0) p = p->next;
            e->next = p->next;
            p->next = e;
        }
        e = nx;
    }
    cJSON *last = NULL;
    for (cJSON *e = sorted; e; e = e->next) { e->prev = last; last = e; }
    if (sorted) sorted->prev = last; /* cJSON: head->prev is the tail */
    mf->child = sorted;
}

static cJSON *entry_set(const cJSON *e)
{
    cJSON *s = cJSON_GetObjectItemCaseSensitive(e, "fieldsV1");
    return cJSON_IsObject(s) ? s : NULL;
}

/* Detach metadata.managedFields from obj (a new empty array if absent or bad). */
static cJSON *take_managed(cJSON *obj)
{
    cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    cJSON *mf = cJSON_IsObject(md) ? cJSON_DetachItemFromObjectCaseSensitive(md, "managedFields") : NULL;
    if (mf && !cJSON_IsArray(mf)) { cJSON_Delete(mf); mf = NULL; }
    return mf ? mf : cJSON_CreateArray();
}

/* ---- kube's capManagersManager: at most 10 Update managers ---------------- */

#define MAX_UPDATE_MANAGERS 10
#define ANCIENT "ancient-changes"

static long long entry_secs(const cJSON *e)
{
    struct tm tm = { 0 };
    const char *t = entry_str(e, "time");
    const char *end = *t ? strptime(t, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    return end ? (long long)timegm(&tm) : 0;
}

/* kube's manager identifier (the entry without time and fields, as JSON;
 * the tie-break between equal times) */
static void entry_id(const cJSON *e, char *buf, size_t len)
{
    const char *sub = entry_str(e, "subresource");
    snprintf(buf, len, "{\"manager\":\"%s\",\"operation\":\"%s\",\"apiVersion\":\"%s\"%s%s%s}", entry_str(e, "manager"),
             entry_str(e, "operation"), entry_str(e, "apiVersion"), *sub ? ",\"subresource\":\"" : "", sub, *sub ? "\"" : "");
}

static int updater_cmp(const void *x, const void *y)
{
    const cJSON *a = *(const cJSON *const *)x, *b = *(const cJSON *const *)y;
    long long ta = entry_secs(a), tb = entry_secs(b);
    if (ta != tb) return ta < tb ? -1 : 1;
    char ia[600], ib[600];
    entry_id(a, ia, sizeof ia);
    entry_id(b, ib, sizeof ib);
    return strcmp(ia, ib);
}

static cJSON *find_bucket(cJSON *mf, const char *version)
{
    for (cJSON *e = mf->child; e; e = e->next)
        if (entry_is(e, ANCIENT, "Update") && !*entry_str(e, "subresource") && !strcmp(entry_str(e, "apiVersion"), version))
            return e;
    return NULL;
}

static int set_str(cJSON *e, const char *k, const char *v)
{
    cJSON *x = cJSON_CreateString(v);
    if (!x || skiff_api_json_set(e, k, x)) { cJSON_Delete(x); return -1; }
    return 0;
}

/* More than 10 Update managers: the oldest are merged, per apiVersion,
 * into an "ancient-changes" Update entry until 10 remain — kube's
 * capUpdateManagers step for step (the first oldest entry of a version
 * waits for a second one before both become the bucket; the bucket takes
 * the time of the last entry merged into it). Apply entries never count. */
static int cap_updates(cJSON *mf)
{
    size_t n = 0;
    for (cJSON *e = mf->child; e; e = e->next)
        if (strcmp(entry_str(e, "operation"), "Apply") && entry_set(e)) n++;
    if (n <= MAX_UPDATE_MANAGERS) return 0;
    cJSON **u = malloc(n * sizeof *u);
    if (!u) return -1;
    size_t k = 0;
    for (cJSON *e = mf->child; e; e = e->next)
        if (strcmp(entry_str(e, "operation"), "Apply") && entry_set(e)) u[k++] = e;
    qsort(u, n, sizeof *u, updater_cmp);
    const char *first_ver[MAX_UPDATE_MANAGERS * 4];
    cJSON *first[MAX_UPDATE_MANAGERS * 4];
    size_t nfirst = 0, length = n;
    int rc = 0;
    for (size_t i = 0; i < n && length > MAX_UPDATE_MANAGERS && rc == 0; i++) {
        cJSON *e = u[i];
        const char *ver = entry_str(e, "apiVersion");
        size_t f = 0;
        while (f < nfirst && strcmp(first_ver[f], ver)) f++;
        if (f == nfirst) {
            if (nfirst < sizeof first / sizeof first[0]) { first_ver[nfirst] = ver; first[nfirst++] = e; }
            continue;
        }
        cJSON *bucket = find_bucket(mf, ver);
        if (bucket == e) {
            /* the bucket itself comes up after an older entry of its version:
             * kube would drop the bucket here (it deletes the merged entry's
             * key, the bucket's own); fold that older entry into it instead */
            if (skiff_api_fieldset_union(entry_set(e), entry_set(first[f])) < 0) { rc = -1; break; }
            cJSON_Delete(cJSON_DetachItemViaPointer(mf, first[f]));
            first[f] = e;
            first_ver[f] = entry_str(e, "apiVersion");
            length--;
            continue;
        }
        if (!bucket) {
            /* the first entry of this version becomes the bucket */
            bucket = first[f];
            if (set_str(bucket, "manager", ANCIENT) < 0 || set_str(bucket, "operation", "Update") < 0) { rc = -1; break; }
            cJSON_DeleteItemFromObjectCaseSensitive(bucket, "subresource");
        }
        if (skiff_api_fieldset_union(entry_set(bucket), entry_set(e)) < 0) { rc = -1; break; }
        const char *t = entry_str(e, "time");
        if (*t && set_str(bucket, "time", t) < 0) { rc = -1; break; }
        first_ver[f] = entry_str(bucket, "apiVersion"); /* e's strings go with it */
        cJSON_Delete(cJSON_DetachItemViaPointer(mf, e));
        length--;
    }
    free(u);
    return rc;
}

/* Put managedFields back (dropping entries that own nothing), creating metadata. */
static int put_managed(cJSON *obj, cJSON *mf)
{
    for (cJSON *e = mf->child; e;) {
        cJSON *nx = e->next;
        cJSON *s = entry_set(e);
        /* a Raw fieldsV1 is a create's printed, non-empty set */
        if ((!s || !s->child) && !cJSON_IsRaw(cJSON_GetObjectItemCaseSensitive(e, "fieldsV1")))
            cJSON_Delete(cJSON_DetachItemViaPointer(mf, e));
        e = nx;
    }
    cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    if (!cJSON_IsObject(md)) {
        md = cJSON_CreateObject();
        if (!md || skiff_api_json_set(obj, "metadata", md)) { cJSON_Delete(md); cJSON_Delete(mf); return -ENOMEM; }
    }
    if (!mf->child) { cJSON_Delete(mf); return 0; }
    if (cap_updates(mf) < 0) { cJSON_Delete(mf); return -ENOMEM; }
    sort_entries(mf);
    if (skiff_api_json_set(md, "managedFields", mf)) { cJSON_Delete(mf); return -ENOMEM; }
    return 0;
}

static cJSON *new_entry(const skiff_api_apply_opts_t *o, const char *op, cJSON *set)
{
    cJSON *e = cJSON_CreateObject();
    if (!e) return NULL;
    int sub = o->subresource && *o->subresource && strcmp(op, "Update") == 0;
    cJSON_AddStringToObject(e, "manager", o->manager);
    cJSON_AddStringToObject(e, "operation", op);
    cJSON_AddStringToObject(e, "apiVersion", o->api_version ? o->api_version : "");
    if (o->time) cJSON_AddStringToObject(e, "time", o->time);
    cJSON_AddStringToObject(e, "fieldsType", "FieldsV1");
    if (sub) cJSON_AddStringToObject(e, "subresource", o->subresource);
    /* cJSON_Add*ToObject fail only on allocation: check once, before `set` is taken. */
    if (cJSON_GetArraySize(e) < 4 + !!o->time + sub || !cJSON_AddItemToObject(e, "fieldsV1", set)) {
        cJSON_Delete(e);
        return NULL;
    }
    return e;
}

/* kube's printManager: a subresource is named, Update managers are shown
 * with their apiVersion (the identifier it prints has no time). */
static void manager_name(const cJSON *e, char *buf, size_t len)
{
    char sub[96] = "";
    if (*entry_str(e, "subresource")) snprintf(sub, sizeof sub, " with subresource \"%.60s\"", entry_str(e, "subresource"));
    if (!strcmp(entry_str(e, "operation"), "Update"))
        snprintf(buf, len, "\"%s\"%s using %s", entry_str(e, "manager"), sub, entry_str(e, "apiVersion"));
    else
        snprintf(buf, len, "\"%s\"%s", entry_str(e, "manager"), sub);
}

typedef struct {
    const cJSON *live, *applied;
    cJSON *mf;
    const char *manager;
    int n;
    cJSON *hits[MAX_CONFLICTS];   /* entry that conflicts */
    char *paths[MAX_CONFLICTS];   /* JSON array of the path's segments */
    char text[MAX_CONFLICTS][256];
} conflicts_t;

static char *segs_json(const char *const *segs, int n)
{
    cJSON *a = cJSON_CreateStringArray(segs, n);
    char *s = a ? cJSON_PrintUnformatted(a) : NULL;
    cJSON_Delete(a);
    return s;
}

static int find_conflicts(const char *const *segs, int n, void *arg)
{
    conflicts_t *c = arg;
    if (!strcmp(segs[n - 1], ".")) return 0;
    const cJSON *lv = skiff_api_fieldset_resolve(c->live, segs, n, NULL);
    const cJSON *av = skiff_api_fieldset_resolve(c->applied, segs, n, NULL);
    if (!lv || !av || cJSON_Compare(lv, av, 1)) return 0;
    for (cJSON *e = c->mf->child; e; e = e->next) {
        if (entry_is(e, c->manager, "Apply")) continue;
        if (!skiff_api_fieldset_has(entry_set(e), segs, n)) continue;
        if (c->n == MAX_CONFLICTS) return 0;
        c->hits[c->n] = e;
        if (!(c->paths[c->n] = segs_json(segs, n))) return -ENOMEM;
        skiff_api_fieldset_format(segs, n, c->text[c->n], sizeof c->text[0]);
        c->n++;
    }
    return 0;
}

/* Segments back from their JSON form; returns count, fills segs (borrowed from arr). */
static int segs_from(cJSON *arr, const char **segs)
{
    int n = 0;
    for (cJSON *s = arr ? arr->child : NULL; s && n < SKIFF_API_FIELDSET_MAX_SEGS; s = s->next) segs[n++] = s->valuestring;
    return n;
}

static int report_conflicts(conflicts_t *c, cJSON **causes, skiff_error_t *err)
{
    char msg[SKIFF_ERROR_MSG_MAX], who[200];
    size_t o;
    if (causes) {
        cJSON *arr = cJSON_CreateArray();
        for (int i = 0; arr && i < c->n; i++) {
            cJSON *ca = cJSON_CreateObject();
            char m[256];
            manager_name(c->hits[i], who, sizeof who);
            snprintf(m, sizeof m, "conflict with %s", who);
            if (!ca) break;
            cJSON_AddStringToObject(ca, "type", "FieldManagerConflict");
            cJSON_AddStringToObject(ca, "message", m);
            cJSON_AddStringToObject(ca, "field", c->text[i]);
            cJSON_AddItemToArray(arr, ca);
        }
        *causes = arr;
    }
    if (c->n == 1) {
        manager_name(c->hits[0], who, sizeof who);
        return skiff_error_set(err, SKIFF_E_CONFLICT, "Apply failed with 1 conflict: conflict with %s: %s", who, c->text[0]);
    }
    /* Grouped by manager, managers in name order, as kube prints them. */
    o = (size_t)snprintf(msg, sizeof msg, "Apply failed with %d conflicts: ", c->n);
    int done[MAX_CONFLICTS] = {0}, first = 1;
    for (;;) {
        int pick = -1;
        for (int i = 0; i < c->n; i++) {
            if (done[i]) continue;
            char a[200];
            manager_name(c->hits[i], a, sizeof a);
            if (pick < 0) { pick = i; strcpy(who, a); }
            else if (strcmp(a, who) < 0) { pick = i; strcpy(who, a); }
        }
        if (pick < 0) break;
        if (o < sizeof msg) o += (size_t)snprintf(msg + o, sizeof msg - o, "%sconflicts with %s:", first ? "" : "\n", who);
        first = 0;
        for (int i = 0; i < c->n; i++) {
            char a[200];
            manager_name(c->hits[i], a, sizeof a);
            if (done[i] || strcmp(a, who)) continue;
            done[i] = 1;
            if (o < sizeof msg) o += (size_t)snprintf(msg + o, sizeof msg - o, "\n- %s", c->text[i]);
        }
    }
    return skiff_error_set(err, SKIFF_E_CONFLICT, "%s", msg);
}

typedef struct {
    cJSON *obj;          /* being edited */
    const cJSON *cur;    /* the manager's new set */
    cJSON *mf;
    const char *manager;
} prune_t;

/* A field the manager applied before but not now: remove it unless someone else owns it. */
static int prune_dropped(const char *const *segs, int n, void *arg)
{
    prune_t *p = arg;
    int item = !strcmp(segs[n - 1], ".");
    int m = item ? n - 1 : n;
    if (skiff_api_fieldset_has(p->cur, segs, m)) return 0;
    for (cJSON *e = p->mf->child; e; e = e->next)
        if (!entry_is(e, p->manager, "Apply") && skiff_api_fieldset_has(entry_set(e), segs, m)) return 0;
    cJSON *parent = NULL;
    cJSON *v = skiff_api_fieldset_resolve(p->obj, segs, m, &parent);
    if (!v || !parent) return 0;
    cJSON_Delete(cJSON_DetachItemViaPointer(parent, v));
    /* Maps emptied by the removal go too, unless the new config still sets them. */
    for (int k = m - 1; k > 0; k--) {
        cJSON *gp = NULL;
        cJSON *node = skiff_api_fieldset_resolve(p->obj, segs, k, &gp);
        if (!node || !gp || !cJSON_IsObject(node) || node->child || skiff_api_fieldset_has(p->cur, segs, k)) break;
        cJSON_Delete(cJSON_DetachItemViaPointer(gp, node));
    }
    return 0;
}

/* ---- list order after apply, as structured-merge-diff's visitListItems ---- */

static int ord_same(const cJSON *a, const cJSON *b, const char *key)
{
    if (!key) return cJSON_Compare(a, b, 1);
    const cJSON *ka = cJSON_IsObject(a) ? cJSON_GetObjectItemCaseSensitive(a, key) : NULL;
    const cJSON *kb = cJSON_IsObject(b) ? cJSON_GetObjectItemCaseSensitive(b, key) : NULL;
    return ka && kb && cJSON_Compare(ka, kb, 1);
}

static int ord_find(cJSON *const *v, int n, const cJSON *x, const char *key)
{
    for (int i = 0; i < n; i++) if (ord_same(v[i], x, key)) return i;
    return -1;
}

static cJSON **ord_items(const cJSON *arr, int *n)
{
    *n = cJSON_GetArraySize(arr);
    cJSON **v = calloc((size_t)(*n ? *n : 1), sizeof *v);
    int i = 0;
    if (v) for (cJSON *c = arr ? arr->child : NULL; c; c = c->next) v[i++] = c;
    return v;
}

/* Reorder `res` (the merged list): live items (L) keep their order, applied
 * items (R) theirs; shared items are placed in R's order, L-only items stay
 * where they were and R-only items come where R has them. */
static int ssa_order_list(cJSON *res, const cJSON *live, const cJSON *cfg, const char *key)
{
    int nl, nr, nres, no = 0;
    cJSON **L = ord_items(live, &nl), **R = ord_items(cfg, &nr), **X = ord_items(res, &nres);
    cJSON **out = calloc((size_t)(nl + nr + 1), sizeof *out), **shared = calloc((size_t)(nr + 1), sizeof *shared);
    int rc = -ENOMEM;
    if (!L || !R || !X || !out || !shared) goto done;
    int ns = 0, si = 0;
    for (int j = 0; j < nr; j++) if (ord_find(L, nl, R[j], key) >= 0) shared[ns++] = R[j];
    cJSON *next = ns ? shared[si++] : NULL;
    for (int li = 0, ri = 0; li < nl || ri < nr;) {
        int before_l = li, before_r = ri;
        if (li < nl && ri < nr) {
            if (ord_same(L[li], R[ri], key)) {
                out[no++] = R[ri];
                li++, ri++;
                next = si < ns ? shared[si++] : NULL;
                continue;
            }
            if (ord_find(R, nr, L[li], key) >= 0 && next && !ord_same(next, L[li], key)) { li++; continue; }
        }
        if (li < nl && ord_find(R, nr, L[li], key) < 0) { out[no++] = L[li++]; continue; }
        if (ri < nr) {
            out[no++] = R[ri];
            if (next && ord_same(next, R[ri], key)) next = si < ns ? shared[si++] : NULL;
            ri++;
            continue;
        }
        if (li == before_l && ri == before_r) li++; /* cannot happen; never loop forever */
    }
    /* Move the merged items into that order; anything unmatched keeps its place at the end. */
    for (int k = 0; k < no; k++) {
        for (int i = 0; i < nres; i++) {
            if (!X[i] || !ord_same(X[i], out[k], key)) continue;
            cJSON_AddItemToArray(res, cJSON_DetachItemViaPointer(res, X[i]));
            X[i] = NULL;
            break;
        }
    }
    for (int i = 0; i < nres; i++)
        if (X[i]) cJSON_AddItemToArray(res, cJSON_DetachItemViaPointer(res, X[i]));
    rc = 0;
done:
    free(L); free(R); free(X); free(out); free(shared);
    return rc;
}

static int ssa_reorder(cJSON *res, const cJSON *live, const cJSON *cfg, const char *type, int depth)
{
    if (!cJSON_IsObject(res) || !cJSON_IsObject(cfg) || depth > SKIFF_API_MAX_DEPTH) return 0;
    for (const cJSON *c = cfg->child; c; c = c->next) {
        const skiff_api_field_t *f = skiff_api_schema_field(type, c->string);
        cJSON *r = cJSON_GetObjectItemCaseSensitive(res, c->string);
        const cJSON *l = cJSON_IsObject(live) ? cJSON_GetObjectItemCaseSensitive(live, c->string) : NULL;
        int rc = 0;
        if (cJSON_IsObject(c)) {
            rc = ssa_reorder(r, l, c, f ? f->child : NULL, depth + 1);
        } else if (cJSON_IsArray(c) && cJSON_IsArray(r) && f && (f->flags & SKIFF_API_FIELD_MERGE)) {
            rc = ssa_order_list(r, cJSON_IsArray(l) ? l : NULL, c, f->merge_key);
            for (const cJSON *ci = c->child; !rc && f->merge_key && ci; ci = ci->next) {
                cJSON *ri = NULL;
                const cJSON *li = NULL;
                for (cJSON *x = r->child; x && !ri; x = x->next) if (ord_same(x, ci, f->merge_key)) ri = x;
                for (const cJSON *x = cJSON_IsArray(l) ? l->child : NULL; x && !li; x = x->next)
                    if (ord_same(x, ci, f->merge_key)) li = x;
                rc = ssa_reorder(ri, li, ci, f->child, depth + 1);
            }
        }
        if (rc) return rc;
    }
    return 0;
}

int skiff_api_apply(const cJSON *live, const cJSON *applied, const skiff_api_apply_opts_t *o,
                    cJSON **out, cJSON **causes, skiff_error_t *err)
{
    if (out) *out = NULL;
    if (causes) *causes = NULL;
    if (!out || !o) return skiff_error_set(err, SKIFF_E_INVALID, "apply: no output or options");
    if (!o->manager || !*o->manager)
        return skiff_error_set(err, SKIFF_E_INVALID, "PATCH requests with apply content type: fieldManager is required for apply requests");
    if (!cJSON_IsObject(applied)) return skiff_error_set(err, SKIFF_E_INVALID, "apply: the applied configuration must be a JSON object");
    if (live && !cJSON_IsObject(live)) return skiff_error_set(err, SKIFF_E_INVALID, "apply: the live object is not a JSON object");

    int rc;
    cJSON *cur = NULL, *cfg = NULL, *mf = NULL;
    cJSON *res = live ? cJSON_Duplicate(live, 1) : cJSON_CreateObject();
    if (!res) return ap_oom(err);
    if ((rc = skiff_api_fieldset_from_object(applied, o->kind, &cur, err))) goto fail;
    mf = take_managed(res);
    if (!mf) { rc = ap_oom(err); goto fail; }

    conflicts_t c = { .live = res, .applied = applied, .mf = mf, .manager = o->manager };
    if ((rc = skiff_api_fieldset_walk(cur, find_conflicts, &c))) { rc = ap_oom(err); goto fail_c; }
    if (c.n && !o->force) { rc = report_conflicts(&c, causes, err); goto fail_c; }
    for (int i = 0; i < c.n; i++) {
        /* Forced: the field changes hands. */
        cJSON *arr = cJSON_Parse(c.paths[i]);
        const char *segs[SKIFF_API_FIELDSET_MAX_SEGS];
        int n = segs_from(arr, segs);
        skiff_api_fieldset_remove(entry_set(c.hits[i]), segs, n);
        cJSON_Delete(arr);
    }

    cJSON *prev_entry = NULL;
    for (cJSON *e = mf->child; e; e = e->next)
        if (entry_is(e, o->manager, "Apply")) prev_entry = e;
    if (prev_entry) {
        prune_t p = { .obj = res, .cur = cur, .mf = mf, .manager = o->manager };
        skiff_api_fieldset_walk(entry_set(prev_entry), prune_dropped, &p);
        cJSON_Delete(cJSON_DetachItemViaPointer(mf, prev_entry));
    }

    /* Merge the applied configuration (its managedFields never count). */
    if (!(cfg = cJSON_Duplicate(applied, 1))) { rc = ap_oom(err); goto fail_c; }
    cJSON *cmd = cJSON_GetObjectItemCaseSensitive(cfg, "metadata");
    if (cJSON_IsObject(cmd)) cJSON_DeleteItemFromObjectCaseSensitive(cmd, "managedFields");
    if ((rc = skiff_api_strategic_patch_inplace(res, cfg, o->kind, err))) goto fail_c;
    /* Lists ordered as server-side apply orders them, not as a strategic patch. */
    if (ssa_reorder(res, live, cfg, skiff_api_schema_root(o->kind), 0)) { rc = ap_oom(err); goto fail_c; }

    cJSON *entry = new_entry(o, "Apply", cur);
    if (!entry) { rc = ap_oom(err); goto fail_c; }
    cur = NULL;
    cJSON_AddItemToArray(mf, entry);
    rc = put_managed(res, mf);
    mf = NULL;
    if (rc) { rc = ap_oom(err); goto fail_c; }
    for (int i = 0; i < c.n; i++) free(c.paths[i]);
    cJSON_Delete(cfg);
    *out = res;
    return 0;
fail_c:
    for (int i = 0; i < c.n; i++) free(c.paths[i]);
fail:
    cJSON_Delete(cfg);
    cJSON_Delete(cur);
    cJSON_Delete(mf);
    cJSON_Delete(res);
    return rc;
}

/* s as a quoted JSON string (escaped as cJSON escapes) into buf; -1 if it does not fit. */
static int json_quote(const char *s, char *buf, size_t len)
{
    size_t o = 0;
    if (len < 3) return -1;
    buf[o++] = '"';
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (o + 8 >= len) return -1;
        if (ch == '"' || ch == '\\') { buf[o++] = '\\'; buf[o++] = (char)ch; }
        else if (ch < 0x20) o += (size_t)snprintf(buf + o, len - o, "\\u%04x", ch);
        else buf[o++] = (char)ch;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return 0;
}

int skiff_api_apply_record_update(cJSON *obj, const cJSON *old, const skiff_api_apply_opts_t *o, skiff_error_t *err)
{
    if (!cJSON_IsObject(obj) || !o || !o->manager)
        return skiff_error_set(err, SKIFF_E_INVALID, "record update: no object or manager");
    cJSON *changed = NULL, *removed = NULL;
    int rc;
    const cJSON *cur = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "managedFields");
    if (!old && !(cJSON_IsArray(cur) && cur->child)) {
        /* a plain create, the hot path: the whole managedFields array is
         * printed as one Raw text, no tree (it is parsed as any other once
         * stored and read back) */
        cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
        if (!cJSON_IsObject(md)) return 0; /* no metadata: nothing of ours to set */
        const char *vals[] = { o->manager, o->api_version ? o->api_version : "", o->time ? o->time : "",
                               o->subresource ? o->subresource : "" };
        char q[4][800], head[3400];
        for (int i = 0; i < 4; i++)
            if (json_quote(vals[i], q[i], sizeof q[i]) < 0) goto tree; /* huge: the slow path copes */
        int sub = o->subresource && *o->subresource;
        /* [{"manager":M,"operation":"Update","apiVersion":V,"time":T,"fieldsType":"FieldsV1","subresource":S,"fieldsV1": */
        const char *parts[] = { "[{\"manager\":", q[0], ",\"operation\":\"Update\",\"apiVersion\":", q[1], ",",
                                o->time ? "\"time\":" : "", o->time ? q[2] : "", o->time ? "," : "",
                                "\"fieldsType\":\"FieldsV1\",", sub ? "\"subresource\":" : "", sub ? q[3] : "",
                                sub ? "," : "", "\"fieldsV1\":" };
        size_t hl = 0;
        for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) { /* fits: 4 x 800 + constants */
            size_t pl = strlen(parts[i]);
            memcpy(head + hl, parts[i], pl);
            hl += pl;
        }
        head[hl] = '\0';
        char *all = NULL;
        if ((rc = skiff_api_fieldset_print_created(obj, o->kind, o->fieldset_flags, head, "}]", &all, err))) return rc;
        if (!all) { cJSON_DeleteItemFromObjectCaseSensitive(md, "managedFields"); return 0; } /* sets nothing */
        cJSON *raw = cJSON_CreateRaw("");
        if (!raw) { free(all); return ap_oom(err); }
        free(raw->valuestring); /* hand the printed text over instead of a copy */
        raw->valuestring = all;
        if (skiff_api_json_set(md, "managedFields", raw)) { cJSON_Delete(raw); return ap_oom(err); }
        return 0;
    }
tree:
    rc = skiff_api_fieldset_diff(obj, old, o->kind, o->fieldset_flags, &changed, &removed, err);
    if (rc) return rc;
    cJSON *mf = take_managed(obj);
    if (!mf) { rc = ap_oom(err); goto out; }
    if (!mf->child && old) {
        const cJSON *omd = cJSON_GetObjectItemCaseSensitive(old, "metadata");
        const cJSON *omf = cJSON_GetObjectItemCaseSensitive(omd, "managedFields");
        if (cJSON_IsArray(omf) && omf->child) {
            cJSON *dup = cJSON_Duplicate(omf, 1);
            if (!dup) { rc = ap_oom(err); goto out; }
            cJSON_Delete(mf);
            mf = dup;
        }
    }
    cJSON *mine = NULL;
    for (cJSON *e = mf->child; e; e = e->next) {
        cJSON *s = entry_set(e);
        if (!s) continue;
        if (!mine && entry_is_sub(e, o->manager, "Update", o->subresource)) { mine = e; continue; }
        skiff_api_fieldset_subtract(s, changed);
        skiff_api_fieldset_subtract(s, removed);
    }
    if (mine) {
        /* kube keeps the old time when the set is the same (IgnoreManagedFieldsTimestamps) */
        int n = skiff_api_fieldset_union(entry_set(mine), changed);
        if (n < 0) { rc = ap_oom(err); goto out; }
        n += skiff_api_fieldset_subtract(entry_set(mine), removed);
        if (n) {
            cJSON *nv = cJSON_CreateString(o->api_version ? o->api_version : "");
            if (!nv || skiff_api_json_set(mine, "apiVersion", nv)) { cJSON_Delete(nv); rc = ap_oom(err); goto out; }
            if (o->time) {
                cJSON *t = cJSON_CreateString(o->time);
                if (!t || skiff_api_json_set(mine, "time", t)) { cJSON_Delete(t); rc = ap_oom(err); goto out; }
            }
        }
    } else if (changed->child) {
        cJSON *e = new_entry(o, "Update", changed);
        if (!e) { rc = ap_oom(err); goto out; }
        changed = NULL;
        cJSON_AddItemToArray(mf, e);
    }
    rc = put_managed(obj, mf);
    mf = NULL;
    if (rc) rc = ap_oom(err);
out:
    cJSON_Delete(changed);
    cJSON_Delete(removed);
    if (mf) put_managed(obj, mf);
    return rc;
}
