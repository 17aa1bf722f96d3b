/* core/api/handlers — the REST verbs over the store.
 *
 * Object semantics (as kube-apiserver): uid and creationTimestamp are set on
 * create and kept; resourceVersion is the store's mod_rev; generation starts
 * at 1 and is bumped only when spec changes; status changes only through the
 * status subresource for kinds that have one; a stale resourceVersion in an
 * update or patch is 409 Conflict; writes are compare-and-swap on mod_rev and
 * retried when the caller gave no precondition. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <skiff/admission.h>

#include "api/apply.h"
#include "api/binding.h"
#include "api/body.h"
#include "api/eviction.h"
#include "api/fieldset.h"
#include "api/fieldval.h"
#include "api/json_util.h"
#include "api/lean.h"
#include "api/names.h"
#include "api/patch.h"

#define MAX_RETRIES 64

/* Writers that keep losing the same compare-and-swap race (a hot object under
 * many concurrent patches, or a descheduled thread on a loaded machine) back
 * off with jitter so the convoy breaks up before MAX_RETRIES runs out. */
static void lost_race_backoff(int attempt)
{
    if (attempt < 4) return;
    unsigned cap = 100u * (unsigned)(attempt < 20 ? attempt : 20); /* up to 2 ms */
    usleep(1 + (unsigned)(random() % cap));
}

static cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

/* k is always a literal here: members point at it instead of a copy, and
 * strings are one allocation (json_util.h) */
static void set_str(cJSON *o, const char *k, const char *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, k);
    skiff_api_json_add_lit(o, k, skiff_api_json_string(v));
}

static void set_item(cJSON *o, const char *k, cJSON *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, k);
    if (v) skiff_api_json_add_lit(o, k, v);
}

static int dry_run(const apisrv_call_t *c)
{
    const char *d = apisrv_param(c, "dryRun");
    return d && *d;
}

static int fail_conflict(apisrv_call_t *c)
{
    char q[160];
    apisrv_resource_qualified(c->res, q, sizeof q);
    return apisrv_fail(c, 409, "Conflict",
                       "Operation cannot be fulfilled on %s \"%s\": the object has been modified; please apply your changes to the latest version and try again",
                       q, c->name);
}

static int object_key(apisrv_call_t *c, char *key, size_t len)
{
    if (c->res->namespaced && !c->ns[0]) {
        apisrv_fail(c, 404, "NotFound", "the server could not find the requested resource");
        return -1;
    }
    if (apisrv_key(c->res, c->ns, c->name, key, len) < 0) {
        apisrv_fail(c, 400, "BadRequest", "name too long");
        return -1;
    }
    return 0;
}

/* Load the current object: 0 found, -1 Status set (404 or store error). */
static int load(apisrv_call_t *c, const char *key, apisrv_kv_t *kv, cJSON **obj)
{
    skiff_error_t err;
    skiff_error_clear(&err);
    int rc = apisrv_store_get(c->s, key, kv, &err);
    if (rc == SKIFF_E_NOTFOUND) return apisrv_fail_notfound(c, c->name), -1;
    if (rc < 0) return apisrv_fail_store(c, &err), -1;
    if (obj) {
        *obj = apisrv_obj_decode(kv->value, kv->len, kv->mod_rev);
        if (!*obj) {
            free(kv->value);
            kv->value = NULL;
            return apisrv_fail(c, 500, "InternalError", "stored object %s is not valid JSON", key), -1;
        }
    }
    return 0;
}

static int reply_obj(apisrv_call_t *c, int code, cJSON *obj)
{
    if (c->table) {
        cJSON *t = apisrv_table_new(c, 1);
        if (!t) { cJSON_Delete(obj); return apisrv_fail(c, 500, "InternalError", "out of memory"); }
        set_str(get(t, "metadata"), "resourceVersion", apisrv_str(obj, "metadata.resourceVersion"));
        apisrv_table_add(c, t, obj);
        return apisrv_reply_json(c, code, t);
    }
    return apisrv_reply_json(c, code, obj);
}

static void set_rv(cJSON *obj, int64_t rv)
{
    char s[24];
    snprintf(s, sizeof s, "%lld", (long long)rv);
    set_str(apisrv_obj_at(obj, "metadata"), "resourceVersion", s);
}

/* ---- get ---------------------------------------------------------------- */

static cJSON *scale_of(apisrv_call_t *c, const cJSON *obj)
{
    cJSON *sc = cJSON_CreateObject();
    cJSON_AddStringToObject(sc, "kind", "Scale");
    cJSON_AddStringToObject(sc, "apiVersion", "autoscaling/v1");
    cJSON *m = cJSON_AddObjectToObject(sc, "metadata");
    const char *keys[] = { "name", "namespace", "uid", "resourceVersion", "creationTimestamp" };
    for (size_t i = 0; i < 5; i++) {
        char p[64];
        snprintf(p, sizeof p, "metadata.%s", keys[i]);
        const char *x = apisrv_str(obj, p);
        if (x) cJSON_AddStringToObject(m, keys[i], x);
    }
    const cJSON *rep = get(get(obj, "spec"), "replicas");
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(sc, "spec"), "replicas", cJSON_IsNumber(rep) ? rep->valuedouble : 1);
    cJSON *st = cJSON_AddObjectToObject(sc, "status");
    const cJSON *srep = get(get(obj, "status"), "replicas");
    cJSON_AddNumberToObject(st, "replicas", cJSON_IsNumber(srep) ? srep->valuedouble : 0);
    const cJSON *ml = get(get(get(obj, "spec"), "selector"), "matchLabels");
    char sel[512] = "";
    size_t o = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, ml) {
        if (!cJSON_IsString(x)) continue;
        int n = snprintf(sel + o, sizeof sel - o, "%s%s=%s", o ? "," : "", x->string, x->valuestring);
        if (n > 0 && (size_t)n < sizeof sel - o) o += (size_t)n;
    }
    cJSON_AddStringToObject(st, "selector", sel);
    (void)c;
    return sc;
}

static int do_get(apisrv_call_t *c)
{
    char key[600];
    apisrv_kv_t kv;
    if (object_key(c, key, sizeof key) < 0) return 0;
    if (load(c, key, &kv, NULL) < 0) return 0;
    if (!c->table && strcmp(c->sub, "scale") != 0) {
        skiff_api_buf_t b;
        skiff_api_buf_init(&b);
        apisrv_obj_emit(&b, kv.value, kv.len, kv.mod_rev);
        free(kv.value);
        return apisrv_reply_buf(c, 200, &b);
    }
    cJSON *obj = apisrv_obj_decode(kv.value, kv.len, kv.mod_rev);
    free(kv.value);
    if (!obj) return apisrv_fail(c, 500, "InternalError", "stored object %s is not valid JSON", key);
    if (strcmp(c->sub, "scale") == 0) {
        cJSON *sc = scale_of(c, obj);
        cJSON_Delete(obj);
        return apisrv_reply_json(c, 200, sc);
    }
    return reply_obj(c, 200, obj);
}

/* ---- list ----------------------------------------------------------------- */

typedef struct list_ctx {
    apisrv_call_t *c;
    skiff_api_buf_t *b;
    int table, include;          /* rows are rendered straight into b */
    char *scratch;               /* reused print buffer for rows */
    size_t scratch_len;
    apisrv_filter_t *f;
    int64_t limit, n;
    char *last_key;
    size_t last_len;
    int stopped, oom;
} list_ctx_t;

static int list_cb(void *ud, const skiff_store_kv_t *kv)
{
    list_ctx_t *l = ud;
    if (l->limit && l->n >= l->limit) { l->stopped = 1; return 1; }
    cJSON *obj = NULL;
    if (l->table || !apisrv_filter_empty(l->f)) {
        /* rows and selectors never look at managedFields: not parsed (lean.h) */
        obj = l->include == APISRV_INCLUDE_OBJECT ? apisrv_obj_decode(kv->value, kv->value_len, kv->mod_rev)
                                                  : apisrv_obj_decode_lean(kv->value, kv->value_len, kv->mod_rev);
        if (!obj) return 0; /* not an object of ours: skip */
        if (!apisrv_filter_match(l->f, l->c->res, obj)) { cJSON_Delete(obj); goto seen; }
    }
    if (l->table) {
        cJSON *row = apisrv_table_row(l->c->res, obj, l->include, l->c->now_ns);
        if (!row) { l->oom = 1; return 1; }
        if (l->n) skiff_api_buf_putc(l->b, ',');
        if (!l->scratch) {
            l->scratch_len = 64 * 1024;
            l->scratch = malloc(l->scratch_len);
        }
        if (l->scratch && cJSON_PrintPreallocated(row, l->scratch, (int)l->scratch_len, 0)) {
            skiff_api_buf_puts(l->b, l->scratch);
        } else {
            char *txt = cJSON_PrintUnformatted(row);
            if (!txt) { cJSON_Delete(row); l->oom = 1; return 1; }
            skiff_api_buf_puts(l->b, txt);
            free(txt);
        }
        cJSON_Delete(row);
    } else {
        if (l->n) skiff_api_buf_putc(l->b, ',');
        apisrv_obj_emit(l->b, kv->value, kv->value_len, kv->mod_rev);
        cJSON_Delete(obj);
    }
    l->n++;
seen:
    if (l->last_len < kv->key_len + 1) {
        char *p = realloc(l->last_key, kv->key_len + 1);
        if (!p) { l->oom = 1; return 1; }
        l->last_key = p;
        l->last_len = kv->key_len + 1;
    }
    memcpy(l->last_key, kv->key, kv->key_len);
    l->last_key[kv->key_len] = '\0';
    return 0;
}

static const char B64U[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void token_encode(int64_t rev, const char *key, char *out, size_t len)
{
    char raw[700];
    int n = snprintf(raw, sizeof raw, "%lld\n%s", (long long)rev, key);
    if (n < 0 || (size_t)n >= sizeof raw) n = (int)sizeof raw - 1;
    size_t o = 0;
    for (int i = 0; i < n && o + 5 < len; i += 3) {
        unsigned v = (unsigned char)raw[i] << 16;
        if (i + 1 < n) v |= (unsigned char)raw[i + 1] << 8;
        if (i + 2 < n) v |= (unsigned char)raw[i + 2];
        out[o++] = B64U[(v >> 18) & 63];
        out[o++] = B64U[(v >> 12) & 63];
        if (i + 1 < n) out[o++] = B64U[(v >> 6) & 63];
        if (i + 2 < n) out[o++] = B64U[v & 63];
    }
    out[o] = '\0';
}

static int token_decode(const char *tok, int64_t *rev, char *key, size_t len)
{
    char raw[700];
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (const char *p = tok; *p; p++) {
        const char *x = strchr(B64U, *p);
        if (!x || !*p) return -1;
        acc = (acc << 6) | (unsigned)(x - B64U);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o + 1 >= sizeof raw) return -1;
            raw[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    raw[o] = '\0';
    char *nl = strchr(raw, '\n');
    if (!nl) return -1;
    *nl = '\0';
    char *end;
    *rev = strtoll(raw, &end, 10);
    if (*end || *rev <= 0 || strlen(nl + 1) >= len) return -1;
    snprintf(key, len, "%s", nl + 1);
    return 0;
}

static int64_t parse_limit(const char *s)
{
    if (!s || !*s) return 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    return *end || v < 0 ? 0 : v;
}

static int do_list(apisrv_call_t *c)
{
    char prefix[600], start[700], end[600];
    int plen = apisrv_key_prefix(c->res, c->ns, prefix, sizeof prefix);
    snprintf(end, sizeof end, "%s", prefix);
    end[plen - 1] = (char)(end[plen - 1] + 1);
    int64_t rev = 0;
    const char *cont = apisrv_param(c, "continue");
    snprintf(start, sizeof start, "%s", prefix);
    if (cont && *cont) {
        char key[600];
        if (token_decode(cont, &rev, key, sizeof key) < 0 || strncmp(key, prefix, (size_t)plen) != 0)
            return apisrv_fail(c, 400, "BadRequest", "continue key is not valid: the token does not belong to this list");
        /* strictly after the last key delivered */
        size_t kl = strlen(key);
        memcpy(start, key, kl);
        start[kl] = '\0';
        start[kl + 1] = '\0';
        plen = (int)kl + 1;
    } else {
        const char *rvm = apisrv_param(c, "resourceVersionMatch");
        const char *rvs = apisrv_param(c, "resourceVersion");
        if (rvm && strcmp(rvm, "Exact") == 0 && rvs) rev = strtoll(rvs, NULL, 10);
        plen = (int)strlen(start);
    }
    apisrv_filter_t *f = NULL;
    if (apisrv_filter_new(c, &f) < 0) return 0;
    skiff_api_buf_t b;
    skiff_api_buf_init(&b);
    list_ctx_t l = { .c = c, .b = &b, .f = f, .limit = parse_limit(apisrv_param(c, "limit")) };
    if (c->table) {
        /* the Table's head (columns), then rows as they are read */
        cJSON *t = apisrv_table_new(c, 1);
        if (t) { cJSON_DeleteItemFromObjectCaseSensitive(t, "rows"); cJSON_DeleteItemFromObjectCaseSensitive(t, "metadata"); }
        char *head = t ? cJSON_PrintUnformatted(t) : NULL;
        cJSON_Delete(t);
        if (!head) { apisrv_filter_free(f); return apisrv_fail(c, 500, "InternalError", "out of memory"); }
        head[strlen(head) - 1] = '\0';
        skiff_api_buf_puts(&b, head);
        skiff_api_buf_puts(&b, ",\"rows\":[");
        free(head);
        l.table = 1;
        l.include = apisrv_include_mode(c);
    } else {
        char av[64];
        apisrv_resource_api_version(c->res, av, sizeof av);
        skiff_api_buf_printf(&b, "{\"kind\":\"%sList\",\"apiVersion\":\"%s\",\"items\":[", c->res->kind, av);
    }
    skiff_store_range_req_t rq = {
        .key = start, .key_len = (size_t)plen, .end = end, .end_len = strlen(end), .rev = rev,
        .limit = apisrv_filter_empty(f) && l.limit ? l.limit : 0,
    };
    skiff_store_range_res_t rs = { 0 };
    skiff_error_t err;
    skiff_error_clear(&err);
    int rc = 1;
    size_t ri = apisrv_resource_index(c->res);
    const char *rvq = apisrv_param(c, "resourceVersion"), *rvm = apisrv_param(c, "resourceVersionMatch");
    if (!(cont && *cont) && !(rvm && *rvm) && ri < 64 && c->s->caches[ri]) {
        /* from memory: "0" = any state; otherwise every acknowledged write */
        int64_t min_rev = rvq && strcmp(rvq, "0") == 0 ? 0 : __atomic_load_n(&c->s->last_write[ri], __ATOMIC_ACQUIRE);
        rc = apisrv_cache_list(c->s->caches[ri], prefix, min_rev, 2000, rq.limit, list_cb, &l, &rs);
        __atomic_add_fetch(rc == 0 ? &c->s->cache_hits : &c->s->cache_misses, 1, __ATOMIC_RELAXED);
    }
    if (rc == 1) rc = c->s->ops->range(c->s->store, &rq, list_cb, &l, &rs, &err);
    apisrv_filter_free(f);
    free(l.scratch);
    if (rc < 0 || l.oom) {
        skiff_api_buf_free(&b);
        free(l.last_key);
        if (rc == SKIFF_E_COMPACTED && cont)
            return apisrv_fail(c, 410, "Expired", "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.");
        if (rc < 0) return apisrv_fail_store(c, &err);
        return apisrv_fail(c, 500, "InternalError", "out of memory");
    }
    char token[1024] = "";
    if ((rs.more || l.stopped) && l.last_key) token_encode(rs.rev, l.last_key, token, sizeof token);
    free(l.last_key);
    char rvs[24];
    snprintf(rvs, sizeof rvs, "%lld", (long long)rs.rev);
    skiff_api_buf_printf(&b, "],\"metadata\":{\"resourceVersion\":\"%s\"", rvs);
    if (token[0]) skiff_api_buf_printf(&b, ",\"continue\":\"%s\"", token);
    skiff_api_buf_puts(&b, "}}");
    return apisrv_reply_buf(c, 200, &b);
}

/* ---- write paths ------------------------------------------------------------ */

static int txn(apisrv_call_t *c, const skiff_store_cmp_t *cmp0, const skiff_store_op_t *op0,
               skiff_store_txn_res_t *res, skiff_error_t *err)
{
    skiff_store_cmp_t cmps[APISRV_MAX_EXTRA + 1];
    skiff_store_op_t ops[APISRV_MAX_EXTRA + 1];
    cmps[0] = *cmp0;
    ops[0] = *op0;
    memcpy(cmps + 1, c->xcmp, sizeof(skiff_store_cmp_t) * (size_t)c->nxc);
    memcpy(ops + 1, c->xop, sizeof(skiff_store_op_t) * (size_t)c->nxo);
    int rc = c->s->ops->txn(c->s->store, cmps, 1 + (size_t)c->nxc, ops, 1 + (size_t)c->nxo, res, err);
    if (rc == 0 && res->succeeded) apisrv_note_write(c->s, c->res, res->rev);
    return rc;
}

static void reset_extra(apisrv_call_t *c) { c->nx = c->nxc = c->nxo = 0; c->alloc_auto = 0; }

static void random_suffix(char *out, size_t n)
{
    static const char alpha[] = "bcdfghjklmnpqrstvwxz2456789";
    char uid[37];
    apisrv_new_uid(uid);
    for (size_t i = 0; i < n; i++) out[i] = alpha[(unsigned char)uid[i * 2 + (i > 3)] % (sizeof alpha - 1)];
    out[n] = '\0';
}

/* Read in the store's callback: whether the namespace is terminating, with
 * no copy of its object (every create asks). */
typedef struct { int found, terminating; } ns_state_t;
static int ns_state_cb(void *ud, const skiff_store_kv_t *kv)
{
    ns_state_t *st = ud;
    static const char mark[] = "\"deletionTimestamp\"";
    st->found = 1;
    st->terminating = memmem(kv->value, kv->value_len, mark, sizeof mark - 1) != NULL;
    return 0;
}

static int namespace_usable(apisrv_call_t *c)
{
    if (!c->res->namespaced) return 0;
    char key[400];
    static const char pfx[] = "/registry/namespaces/";
    size_t nl = strlen(c->ns);
    if (sizeof pfx + nl > sizeof key) nl = sizeof key - sizeof pfx; /* c->ns is at most 255 */
    memcpy(key, pfx, sizeof pfx - 1);
    memcpy(key + sizeof pfx - 1, c->ns, nl);
    key[sizeof pfx - 1 + nl] = '\0';
    ns_state_t st = { 0, 0 };
    skiff_error_t err;
    skiff_error_clear(&err);
    int rc = c->s->ops->get(c->s->store, key, strlen(key), 0, ns_state_cb, &st, &err);
    if (rc == SKIFF_E_NOTFOUND || (rc >= 0 && !st.found))
        return apisrv_fail(c, 404, "NotFound", "namespaces \"%s\" not found", c->ns), -1;
    if (rc < 0) return apisrv_fail_store(c, &err), -1;
    int terminating = st.terminating;
    if (terminating) {
        char q[160];
        apisrv_resource_qualified(c->res, q, sizeof q);
        return apisrv_fail(c, 403, "Forbidden", "%s \"%s\" is forbidden: unable to create new content in namespace %s because it is being terminated",
                           q, c->name, c->ns), -1;
    }
    return 0;
}

/* Common checks of an incoming object's metadata against the URL. */
static int check_meta(apisrv_call_t *c, cJSON *obj, apisrv_invalid_t *inv)
{
    cJSON *meta = apisrv_obj_at(obj, "metadata");
    const char *ns = apisrv_str(meta, "namespace");
    if (c->res->namespaced) {
        if (ns && *ns && strcmp(ns, c->ns) != 0)
            return apisrv_fail(c, 400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request"), -1;
        set_str(meta, "namespace", c->ns);
    } else {
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "namespace");
    }
    apisrv_check_meta(c->res, obj, inv);
    return 0;
}

/* kube's managerOrUserAgent: ?fieldManager=, else the User-Agent up to its
 * first '/' (printable characters, at most 128): "kubectl" for kubectl's
 * own agent string. In-process callers send neither: "skiff". */
static void field_manager(const apisrv_call_t *c, char *buf, size_t len)
{
    const char *m = apisrv_param(c, "fieldManager");
    const char *ua = c->req->user_agent;
    size_t o = 0;
    if (m && *m) { snprintf(buf, len, "%s", m); return; }
    for (; ua && *ua && *ua != '/' && o < 128 && o + 1 < len; ua++)
        if ((unsigned char)*ua >= 0x20 && *ua != 0x7f) buf[o++] = *ua;
    buf[o] = '\0';
    if (!o) snprintf(buf, len, "skiff");
}

/* Record this write in obj's managedFields (an "Update" entry of the
 * caller's field manager, per subresource). As kube's UpdateNoErrors, a
 * write whose fields cannot be tracked (a merging list item without its
 * key) goes through with managedFields cleared. -1 = Status set (OOM). */
static int record_fields(apisrv_call_t *c, cJSON *obj, const cJSON *old, const char *sub, unsigned flags,
                         const char *now)
{
    char mgr[160], ts[40], av[64];
    field_manager(c, mgr, sizeof mgr);
    apisrv_resource_api_version(c->res, av, sizeof av);
    if (now) {
        size_t n = strlen(now);
        if (n >= sizeof ts) n = sizeof ts - 1;
        memcpy(ts, now, n);
        ts[n] = '\0';
    } else {
        apisrv_format_time(c->now_ns, ts, sizeof ts);
    }
    skiff_api_apply_opts_t o = { .manager = mgr, .api_version = av, .kind = c->res->kind, .time = ts,
                                 .subresource = sub, .fieldset_flags = flags };
    skiff_error_t err;
    skiff_error_clear(&err);
    int rc = skiff_api_apply_record_update(obj, old, &o, &err);
    if (rc == -ENOMEM) return apisrv_fail(c, 500, "InternalError", "out of memory"), -1;
    if (rc < 0) cJSON_DeleteItemFromObjectCaseSensitive(get(obj, "metadata"), "managedFields");
    return 0;
}

static int do_create_obj(apisrv_call_t *c, cJSON *obj)
{
    char av[64];
    apisrv_resource_api_version(c->res, av, sizeof av);
    if (apisrv_body_check_kind(c, obj, c->res->kind, av) < 0) return 0;
    apisrv_invalid_t inv;
    inv.n = 0; /* 8 KiB of causes, written only when one is added */
    cJSON *meta = apisrv_obj_at(obj, "metadata");
    const char *name = apisrv_str(meta, "name");
    const char *gen = apisrv_str(meta, "generateName");
    char namebuf[300];
    if ((!name || !*name) && gen && *gen) {
        char sfx[6];
        random_suffix(sfx, 5);
        snprintf(namebuf, sizeof namebuf, "%.247s%s", gen, sfx);
        set_str(meta, "name", namebuf);
    } else if (c->name[0] && (!name || !*name)) {
        set_str(meta, "name", c->name);
    }
    name = apisrv_str(meta, "name");
    if (!name || !*name) {
        apisrv_invalid_add(&inv, "FieldValueRequired", "metadata.name", "Required value: name or generateName is required");
        return apisrv_fail_invalid(c, "", &inv);
    }
    size_t namelen = strlen(name);
    if (namelen >= sizeof c->name) namelen = sizeof c->name - 1; /* as the snprintf it replaces */
    memcpy(c->name, name, namelen);
    c->name[namelen] = '\0';
    if (check_meta(c, obj, &inv) < 0) return 0;
    if (inv.n) return apisrv_fail_invalid(c, c->name, &inv);
    if (apisrv_admit(c, SKIFF_ADM_CREATE, obj, NULL) < 0) return 0; /* admission.c */
    meta = apisrv_obj_at(obj, "metadata"); /* a mutating plugin may have replaced it */
    if (namespace_usable(c) < 0) return 0;
    char uid[37], ts[40];
    apisrv_new_uid(uid);
    apisrv_format_time(c->now_ns, ts, sizeof ts);
    /* the server's members go (one walk, not a lookup each), then uid,
     * creationTimestamp and generation are appended in that order */
    for (cJSON *m = meta->child, *next; m; m = next) {
        next = m->next;
        static const char *const server[] = { "uid", "creationTimestamp", "resourceVersion", "deletionTimestamp",
                                              "deletionGracePeriodSeconds", "selfLink", "generation" };
        for (size_t i = 0; m->string && i < sizeof server / sizeof server[0]; i++)
            if (!strcmp(m->string, server[i])) { cJSON_Delete(cJSON_DetachItemViaPointer(meta, m)); break; }
    }
    skiff_api_json_add_lit(meta, "uid", skiff_api_json_string(uid));
    skiff_api_json_add_lit(meta, "creationTimestamp", skiff_api_json_string(ts));
    if (get(obj, "spec")) skiff_api_json_add_lit(meta, "generation", cJSON_CreateNumber(1));
    if (c->res->reset_status) cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
    char key[600];
    if (object_key(c, key, sizeof key) < 0) return 0;
    /* Kinds whose prepare allocates (ClusterIPs, NodePorts; they release
     * them in on_delete) may have to prepare a fresh copy again after a
     * clash. Every other create prepares, records and prints the request's
     * own tree in place (a cJSON_Duplicate and its delete were a tenth of
     * a create). The caller still owns and frees obj. */
    int again = c->res->on_delete != NULL;
    for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
        reset_extra(c);
        cJSON *work = again ? cJSON_Duplicate(obj, 1) : obj;
        if (!work) return apisrv_fail(c, 500, "InternalError", "out of memory");
#define DROP_WORK() do { if (work != obj) cJSON_Delete(work); } while (0)
        if (c->res->prepare && c->res->prepare(c, work, NULL, &inv) < 0) { DROP_WORK(); return 0; }
        if (inv.n) { DROP_WORK(); return apisrv_fail_invalid(c, c->name, &inv); }
        /* the creator owns what it sent and the defaults (kube records after
         * decoding, which defaults); status is reset, so nobody's */
        if (c->patch_type != APISRV_PATCH_APPLY &&
            record_fields(c, work, NULL, NULL, c->res->reset_status ? SKIFF_API_FIELDSET_SKIP_STATUS : 0, ts) < 0) {
            DROP_WORK();
            return 0;
        }
        size_t len;
        char *enc = apisrv_obj_encode_room(work, &len);
        if (!enc) { DROP_WORK(); return apisrv_fail(c, 500, "InternalError", "out of memory"); }
        if (len > SKIFF_STORE_VALUE_MAX) {
            free(enc);
            DROP_WORK();
            return apisrv_fail(c, 413, "RequestEntityTooLarge", "Request entity too large: the object is %zu bytes; the limit is %u", len, SKIFF_STORE_VALUE_MAX);
        }
        if (dry_run(c)) {
            free(enc);
            return reply_obj(c, 201, work != obj ? work : cJSON_Duplicate(work, 1));
        }
        skiff_store_cmp_t cmp = { SKIFF_STORE_CMP_ABSENT, key, strlen(key), 0 };
        skiff_store_op_t op = { SKIFF_STORE_OP_PUT, key, strlen(key), enc + APISRV_OBJ_ROOM, len, apisrv_write_lease(c) };
        skiff_store_txn_res_t res = { 0 };
        skiff_error_t err;
        skiff_error_clear(&err);
        int rc = txn(c, &cmp, &op, &res, &err);
        if (rc < 0) { free(enc); DROP_WORK(); return apisrv_fail_store(c, &err); }
        if (!res.succeeded) {
            free(enc);
            DROP_WORK();
            if (res.failed_cmp == 0) {
                char q[160];
                apisrv_resource_qualified(c->res, q, sizeof q);
                return apisrv_fail(c, 409, "AlreadyExists", "%s \"%s\" already exists", q, c->name);
            }
            if (c->alloc_auto && again) continue; /* picked an IP/port someone holds: next one */
            apisrv_invalid_add(&inv, "FieldValueInvalid", "spec", "Invalid value: %s: provided IP or port is already allocated",
                               c->xkeys[res.failed_cmp - 1]);
            return apisrv_fail_invalid(c, c->name, &inv);
        }
        if (c->table) {
            set_rv(work, res.rev);
            free(enc);
            return reply_obj(c, 201, work != obj ? work : cJSON_Duplicate(work, 1));
        }
        DROP_WORK();
#undef DROP_WORK
        if (c->req->discard_success_body) { /* an in-process caller that reads no body */
            free(enc);
            return apisrv_reply_text(c, 201, "application/json", "{}");
        }
        /* the stored text becomes the response where it lies */
        skiff_api_buf_t b = { .data = enc, .len = apisrv_obj_serve_in_place(enc, len, res.rev) };
        b.cap = b.len + 1;
        return apisrv_reply_buf(c, 201, &b);
    }
    return apisrv_fail(c, 500, "InternalError", "could not allocate a free ClusterIP/NodePort after %d attempts", MAX_RETRIES);
}

static int do_create(apisrv_call_t *c)
{
    cJSON *obj = apisrv_body_parse(c, 0);
    if (!obj) return 0;
    if (apisrv_field_validate(c, obj, APISRV_FV_BODY) < 0) { cJSON_Delete(obj); return 0; }
    c->name[0] = '\0';
    int rc = do_create_obj(c, obj);
    cJSON_Delete(obj);
    return rc;
}

/* Equal but for member order and resourceVersion (a PUT of what a client
 * read, its keys sorted by kubectl): no write, as kube-apiserver skips
 * no-op updates. */
static int same_object(cJSON *a, cJSON *b)
{
    cJSON *ma = get(a, "metadata"), *mb = get(b, "metadata");
    cJSON *ra = cJSON_DetachItemFromObjectCaseSensitive(ma, "resourceVersion");
    cJSON *rb = cJSON_DetachItemFromObjectCaseSensitive(mb, "resourceVersion");
    int same = skiff_api_json_equal(a, b); /* O(n log n): a wide ConfigMap must not stall a PUT */
    if (ra) cJSON_AddItemToObject(ma, "resourceVersion", ra);
    if (rb) cJSON_AddItemToObject(mb, "resourceVersion", rb);
    return same;
}

/* Commit `incoming` over `old` (mod_rev kv->mod_rev). status_only: the status
 * subresource (only status is taken). A namespace's finalize subresource
 * takes only spec.finalizers (as kube's namespaceFinalizeStrategy). Returns
 * 0 with *out = stored object, 1 = lost a race (retry), -1 = Status set. */
static int commit(apisrv_call_t *c, const char *key, const apisrv_kv_t *kv, cJSON *oldobj,
                  cJSON *incoming, int status_only, cJSON **out)
{
    int finalize = strcmp(c->sub, "finalize") == 0;
    *out = NULL;
    const char *rv = apisrv_str(incoming, "metadata.resourceVersion");
    char oldrv[24];
    snprintf(oldrv, sizeof oldrv, "%lld", (long long)kv->mod_rev);
    if (rv && *rv && strcmp(rv, oldrv) != 0) return fail_conflict(c), -1;
    char av[64];
    apisrv_resource_api_version(c->res, av, sizeof av);
    if (apisrv_body_check_kind(c, incoming, c->res->kind, av) < 0) return -1;
    const char *nm = apisrv_str(incoming, "metadata.name");
    if (nm && *nm && strcmp(nm, c->name) != 0)
        return apisrv_fail(c, 400, "BadRequest", "the name of the object (%s) does not match the name on the URL (%s)", nm, c->name), -1;
    apisrv_invalid_t inv = { 0 };
    cJSON *nobj;
    if (status_only) {
        nobj = cJSON_Duplicate(oldobj, 1);
        if (nobj) set_item(nobj, "status", cJSON_Duplicate(get(incoming, "status"), 1));
    } else if (finalize) {
        nobj = cJSON_Duplicate(oldobj, 1);
        if (nobj) {
            cJSON *f = cJSON_Duplicate(get(get(incoming, "spec"), "finalizers"), 1);
            cJSON *spec = apisrv_obj_at(nobj, "spec");
            if (f) set_item(spec, "finalizers", f);
            else cJSON_DeleteItemFromObjectCaseSensitive(spec, "finalizers");
        }
    } else {
        nobj = cJSON_Duplicate(incoming, 1);
        if (nobj && (c->res->subs & APISRV_SUB_STATUS))
            set_item(nobj, "status", cJSON_Duplicate(get(oldobj, "status"), 1));
    }
    if (!nobj) return apisrv_fail(c, 500, "InternalError", "out of memory"), -1;
    if (check_meta(c, nobj, &inv) < 0) { cJSON_Delete(nobj); return -1; }
    cJSON *meta = apisrv_obj_at(nobj, "metadata"), *ometa = get(oldobj, "metadata");
    set_str(meta, "name", c->name);
    static const char *const keep[] = { "uid", "creationTimestamp", "deletionTimestamp",
                                        "deletionGracePeriodSeconds", "generation" };
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        set_item(meta, keep[i], cJSON_Duplicate(get(ometa, keep[i]), 1));
    if (apisrv_admit(c, SKIFF_ADM_UPDATE, nobj, oldobj) < 0) { cJSON_Delete(nobj); return -1; } /* admission.c */
    meta = apisrv_obj_at(nobj, "metadata"); /* a mutating plugin may have replaced it */
    reset_extra(c);
    if (!status_only && c->res->prepare && c->res->prepare(c, nobj, oldobj, &inv) < 0) { cJSON_Delete(nobj); return -1; }
    if (inv.n) { cJSON_Delete(nobj); return apisrv_fail_invalid(c, c->name, &inv), -1; }
    /* compared after defaulting: a body without defaults is no spec change */
    /* (kinds without a spec — ConfigMaps — have no generation to bump:
     * cJSON_Compare(NULL, NULL) is false) */
    if (!status_only && (get(nobj, "spec") || get(oldobj, "spec")) &&
        !skiff_api_json_equal(get(nobj, "spec"), get(oldobj, "spec"))) {
        const cJSON *g = get(ometa, "generation");
        set_item(meta, "generation", cJSON_CreateNumber((cJSON_IsNumber(g) ? g->valuedouble : 0) + 1));
    }
    /* every writer's fields are recorded (server-side apply records its own
     * in apply.c), so a later apply sees who owns what; the binding is the
     * scheduler's assignment, which kube does not record either */
    if (c->patch_type != APISRV_PATCH_APPLY && strcmp(c->sub, "binding") != 0 &&
        record_fields(c, nobj, oldobj, c->sub[0] ? c->sub : NULL, 0, NULL) < 0) {
        cJSON_Delete(nobj);
        return -1;
    }
    meta = apisrv_obj_at(nobj, "metadata");
    /* deleting and the last finalizer is gone: the object goes now (a
     * namespace also waits for its spec.finalizers: the namespace controller) */
    int remove = get(meta, "deletionTimestamp") && cJSON_GetArraySize(get(meta, "finalizers")) == 0
                 && cJSON_GetArraySize(get(get(nobj, "spec"), "finalizers")) == 0;
    if (remove && c->res->on_delete) { reset_extra(c); c->res->on_delete(c, oldobj); }
    size_t len;
    char *enc = apisrv_obj_encode(nobj, &len);
    if (!enc) { cJSON_Delete(nobj); return apisrv_fail(c, 500, "InternalError", "out of memory"), -1; }
    if (len > SKIFF_STORE_VALUE_MAX) {
        free(enc);
        cJSON_Delete(nobj);
        return apisrv_fail(c, 413, "RequestEntityTooLarge", "Request entity too large: the object is %zu bytes; the limit is %u", len, SKIFF_STORE_VALUE_MAX), -1;
    }
    if (!remove && ((len == kv->len && memcmp(enc, kv->value, len) == 0) || same_object(nobj, oldobj))) {
        /* no change: no write, same resourceVersion (kubectl apply "unchanged") */
        free(enc);
        set_rv(nobj, kv->mod_rev);
        *out = nobj;
        return 0;
    }
    if (dry_run(c)) { free(enc); set_rv(nobj, kv->mod_rev); *out = nobj; return 0; }
    skiff_store_cmp_t cmp = { SKIFF_STORE_CMP_MOD_REV, key, strlen(key), kv->mod_rev };
    skiff_store_op_t op = { remove ? SKIFF_STORE_OP_DELETE : SKIFF_STORE_OP_PUT, key, strlen(key),
                            remove ? NULL : enc, remove ? 0 : len, remove ? 0 : apisrv_write_lease(c) };
    skiff_store_txn_res_t res = { 0 };
    skiff_error_t err;
    skiff_error_clear(&err);
    int rc = txn(c, &cmp, &op, &res, &err);
    free(enc);
    if (rc < 0) { cJSON_Delete(nobj); return apisrv_fail_store(c, &err), -1; }
    if (!res.succeeded) {
        cJSON_Delete(nobj);
        if (res.failed_cmp == 0 && !c->precondition) return 1;
        if (res.failed_cmp == 0) return fail_conflict(c), -1;
        if (c->alloc_auto) return 1;
        apisrv_invalid_add(&inv, "FieldValueInvalid", "spec", "Invalid value: %s: provided IP or port is already allocated",
                           c->xkeys[res.failed_cmp - 1]);
        return apisrv_fail_invalid(c, c->name, &inv), -1;
    }
    set_rv(nobj, res.rev);
    *out = nobj;
    return 0;
}

static void scale_into(cJSON *obj, const cJSON *scale)
{
    const cJSON *r = get(get(scale, "spec"), "replicas");
    cJSON *spec = apisrv_obj_at(obj, "spec");
    set_item(spec, "replicas", cJSON_CreateNumber(cJSON_IsNumber(r) ? r->valuedouble : 0));
    const char *rv = apisrv_str(scale, "metadata.resourceVersion");
    cJSON *meta = apisrv_obj_at(obj, "metadata");
    if (rv && *rv) set_str(meta, "resourceVersion", rv);
    else cJSON_DeleteItemFromObjectCaseSensitive(meta, "resourceVersion");
}

static int do_update_or_patch(apisrv_call_t *c, int patch)
{
    char key[600];
    if (object_key(c, key, sizeof key) < 0) return 0;
    int ptype = 0;
    if (patch) {
        ptype = apisrv_patch_type(c->req->content_type);
        if (ptype < 0)
            return apisrv_fail(c, 415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json");
    }
    c->patch_type = ptype;
    cJSON *body = apisrv_body_parse(c, patch);
    if (!body) return 0;
    int scale = strcmp(c->sub, "scale") == 0, status_only = strcmp(c->sub, "status") == 0;
    /* unknown fields: the body (an object, or a merge/strategic patch, whose
     * shape is the object's; "$" directives are skipped) — not a JSON patch,
     * and never the stored object's own fields */
    if (!scale && ptype != APISRV_PATCH_JSON &&
        apisrv_field_validate(c, body, !patch ? APISRV_FV_BODY : ptype == APISRV_PATCH_APPLY ? APISRV_FV_APPLY : APISRV_FV_PATCH) < 0) {
        cJSON_Delete(body);
        return 0;
    }
    /* a precondition only when the client sent a resourceVersion (in the
     * body, or in a merge/strategic patch); otherwise lost races are retried */
    const char *brv = cJSON_IsObject(body) ? apisrv_str(body, "metadata.resourceVersion") : NULL;
    c->precondition = brv && *brv;
    int rv_given = c->precondition;
    for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
        apisrv_kv_t kv;
        cJSON *old = NULL;
        skiff_error_t err;
        skiff_error_clear(&err);
        int rc = apisrv_store_get(c->s, key, &kv, &err);
        if (rc == SKIFF_E_NOTFOUND && patch && ptype == APISRV_PATCH_APPLY && !scale && !status_only) {
            /* server-side apply creates */
            cJSON *obj = NULL;
            int prc = apisrv_patch_apply(c, ptype, NULL, body, c->res->kind, &obj);
            cJSON_Delete(body);
            if (prc < 0) return 0;
            const char *nm = apisrv_str(obj, "metadata.name");
            if (nm && strcmp(nm, c->name) != 0) {
                cJSON_Delete(obj);
                return apisrv_fail(c, 400, "BadRequest", "the name of the object (%s) does not match the name on the URL (%s)", nm, c->name);
            }
            rc = do_create_obj(c, obj);
            cJSON_Delete(obj);
            return rc;
        }
        if (rc == SKIFF_E_NOTFOUND) { cJSON_Delete(body); return apisrv_fail_notfound(c, c->name); }
        if (rc < 0) { cJSON_Delete(body); return apisrv_fail_store(c, &err); }
        old = apisrv_obj_decode(kv.value, kv.len, kv.mod_rev);
        if (!old) { free(kv.value); cJSON_Delete(body); return apisrv_fail(c, 500, "InternalError", "stored object %s is not valid JSON", key); }
        cJSON *incoming = NULL;
        if (scale) {
            cJSON *sc = scale_of(c, old), *nsc = NULL;
            if (patch) {
                if (apisrv_patch_apply(c, ptype, sc, body, "Scale", &nsc) < 0) nsc = NULL;
            } else {
                nsc = cJSON_Duplicate(body, 1);
            }
            cJSON_Delete(sc);
            if (nsc) {
                incoming = cJSON_Duplicate(old, 1);
                scale_into(incoming, nsc);
                cJSON_Delete(nsc);
            } else if (!c->resp->code) {
                apisrv_fail(c, 500, "InternalError", "out of memory");
            }
        } else if (patch) {
            if (apisrv_patch_apply(c, ptype, old, body, c->res->kind, &incoming) < 0) incoming = NULL;
            /* a patch that does not mention resourceVersion keeps the one we read */
        } else {
            incoming = cJSON_Duplicate(body, 1);
        }
        if (!incoming) {
            free(kv.value);
            cJSON_Delete(old);
            cJSON_Delete(body);
            return c->resp->code ? 0 : apisrv_fail(c, 500, "InternalError", "out of memory");
        }
        if (!cJSON_IsObject(incoming)) {
            free(kv.value);
            cJSON_Delete(old);
            cJSON_Delete(body);
            cJSON_Delete(incoming);
            return apisrv_fail(c, 422, "Invalid", "the patched object is not a JSON object");
        }
        cJSON *out = NULL;
        rc = commit(c, key, &kv, old, incoming, status_only, &out);
        free(kv.value);
        cJSON_Delete(old);
        cJSON_Delete(incoming);
        if (rc == 1) {
            if (rv_given) { cJSON_Delete(body); return fail_conflict(c); }
            lost_race_backoff(attempt);
            continue;
        }
        cJSON_Delete(body);
        if (rc < 0) return 0;
        if (scale) {
            cJSON *sc = scale_of(c, out);
            cJSON_Delete(out);
            return apisrv_reply_json(c, 200, sc);
        }
        return reply_obj(c, 200, out);
    }
    cJSON_Delete(body);
    return fail_conflict(c);
}

/* ---- delete --------------------------------------------------------------- */

/* A grace period from a request, clamped: 1e300 cast to int64 is undefined,
 * and now_ns + grace * 1e9 must not overflow (the sanitized server died on
 * ?gracePeriodSeconds=99999999999999). Negative (or NaN) means "the default". */
#define GRACE_MAX_SECONDS (1LL << 32) /* ~136 years */
static int64_t grace_clamp(double d)
{
    return !(d >= 0) ? -1 : d > (double)GRACE_MAX_SECONDS ? GRACE_MAX_SECONDS : (int64_t)d;
}

typedef struct del_opts {
    int64_t grace;      /* -1 = default */
    char uid[64], rv[32]; /* preconditions */
    char policy[16];    /* propagationPolicy; "" = the kind's default (Background) */
} del_opts_t;

static int parse_delete_options(apisrv_call_t *c, del_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->grace = -1;
    const char *g = apisrv_param(c, "gracePeriodSeconds");
    if (g && *g) o->grace = grace_clamp((double)strtoll(g, NULL, 10));
    if (c->req->body_len == 0) return 0;
    cJSON *b = apisrv_body_parse(c, 1);
    if (!b) return -1;
    const cJSON *gp = get(b, "gracePeriodSeconds");
    if (cJSON_IsNumber(gp)) o->grace = grace_clamp(gp->valuedouble);
    const char *u = apisrv_str(b, "preconditions.uid"), *r = apisrv_str(b, "preconditions.resourceVersion");
    if (u) snprintf(o->uid, sizeof o->uid, "%s", u);
    if (r) snprintf(o->rv, sizeof o->rv, "%s", r);
    const char *pp = apisrv_str(b, "propagationPolicy");
    if (pp) snprintf(o->policy, sizeof o->policy, "%s", pp);
    if (pp && strcmp(pp, "Orphan") && strcmp(pp, "Background") && strcmp(pp, "Foreground")) {
        apisrv_invalid_t inv = { 0 };
        apisrv_invalid_add(&inv, "FieldValueNotSupported", "propagationPolicy",
                           "Unsupported value: \"%s\": supported values: \"Foreground\", \"Background\", \"Orphan\"", pp);
        cJSON_Delete(b); /* only now: pp points into b */
        return apisrv_fail_invalid(c, c->name, &inv), -1;
    }
    cJSON_Delete(b);
    return 0;
}

/* Delete c->name. Returns 0 with *out = the object as deleted (or marked), -1 Status set. */
static int delete_one(apisrv_call_t *c, const del_opts_t *o, cJSON **out)
{
    char key[600];
    *out = NULL;
    if (object_key(c, key, sizeof key) < 0) return -1;
    for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
        apisrv_kv_t kv;
        cJSON *old;
        if (load(c, key, &kv, &old) < 0) return -1;
        cJSON *meta = apisrv_obj_at(old, "metadata");
        char rvs[24];
        snprintf(rvs, sizeof rvs, "%lld", (long long)kv.mod_rev);
        if (o->uid[0] && strcmp(o->uid, apisrv_str(meta, "uid") ? apisrv_str(meta, "uid") : "") != 0) {
            free(kv.value);
            cJSON_Delete(old);
            char q[160];
            apisrv_resource_qualified(c->res, q, sizeof q);
            return apisrv_fail(c, 409, "Conflict", "Operation cannot be fulfilled on %s \"%s\": Precondition failed: UID in precondition: %s, UID in object meta: %s",
                               q, c->name, o->uid, apisrv_str(meta, "uid") ? apisrv_str(meta, "uid") : ""), -1;
        }
        if (o->rv[0] && strcmp(o->rv, rvs) != 0) {
            free(kv.value);
            cJSON_Delete(old);
            return fail_conflict(c), -1;
        }
        if (apisrv_admit(c, SKIFF_ADM_DELETE, NULL, old) < 0) { /* admission.c */
            free(kv.value);
            cJSON_Delete(old);
            return -1;
        }
        int64_t grace = o->grace;
        const char *node = apisrv_str(old, "spec.nodeName");
        const char *phase = apisrv_str(old, "status.phase");
        int is_pod = strcmp(c->res->kind, "Pod") == 0;
        if (grace < 0) {
            grace = 0;
            const cJSON *t = get(get(old, "spec"), "terminationGracePeriodSeconds");
            /* a pod on a node is stopped by its node agent, which then deletes it */
            if (is_pod && node && *node && cJSON_IsNumber(t) && !(phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))))
                grace = grace_clamp(t->valuedouble);
        }
        if (!(is_pod && node && *node)) grace = 0;
        /* Orphan and Foreground propagation are finalizers the garbage
         * collector (core/controller/gc.c) acts on, as in Kubernetes */
        if ((!strcmp(o->policy, "Orphan") || !strcmp(o->policy, "Foreground")) && !get(meta, "deletionTimestamp") &&
            strcmp(c->res->kind, "Namespace") != 0) {
            const char *fin = o->policy[0] == 'O' ? "orphan" : "foregroundDeletion";
            cJSON *fs = get(meta, "finalizers"), *f;
            int have = 0;
            cJSON_ArrayForEach(f, fs) if (cJSON_IsString(f) && !strcmp(f->valuestring, fin)) have = 1;
            if (!fs) { fs = cJSON_CreateArray(); if (fs) cJSON_AddItemToObject(meta, "finalizers", fs); }
            if (fs && !have) cJSON_AddItemToArray(fs, cJSON_CreateString(fin));
        }
        int is_ns = strcmp(c->res->kind, "Namespace") == 0;
        /* a namespace with spec.finalizers ("kubernetes") turns Terminating;
         * the namespace controller empties it and finalizes it */
        int finalizers = cJSON_GetArraySize(get(meta, "finalizers")) > 0
                         || (is_ns && cJSON_GetArraySize(get(get(old, "spec"), "finalizers")) > 0);
        if (grace > 0 || finalizers) {
            if (is_ns && get(meta, "deletionTimestamp") && cJSON_GetArraySize(get(get(old, "spec"), "finalizers")) > 0) {
                /* kube's namespace REST: deleting a Terminating namespace again */
                free(kv.value);
                cJSON_Delete(old);
                return apisrv_fail(c, 409, "Conflict",
                                   "Operation cannot be fulfilled on namespaces \"%s\": The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.",
                                   c->name), -1;
            }
            if (get(meta, "deletionTimestamp") && !(grace == 0 && !finalizers)) {
                free(kv.value);
                *out = old; /* already being deleted */
                return 0;
            }
            char ts[40];
            apisrv_format_time(c->now_ns + grace * 1000000000, ts, sizeof ts);
            set_str(meta, "deletionTimestamp", ts);
            set_item(meta, "deletionGracePeriodSeconds", cJSON_CreateNumber((double)grace));
            if (is_ns) set_str(apisrv_obj_at(old, "status"), "phase", "Terminating");
            size_t len;
            char *enc = apisrv_obj_encode(old, &len);
            if (!enc) { free(kv.value); cJSON_Delete(old); return apisrv_fail(c, 500, "InternalError", "out of memory"), -1; }
            int64_t rev = kv.mod_rev;
            if (!dry_run(c)) {
                reset_extra(c);
                skiff_store_cmp_t cmp = { SKIFF_STORE_CMP_MOD_REV, key, strlen(key), kv.mod_rev };
                skiff_store_op_t op = { SKIFF_STORE_OP_PUT, key, strlen(key), enc, len, apisrv_write_lease(c) };
                skiff_store_txn_res_t res = { 0 };
                skiff_error_t err;
                skiff_error_clear(&err);
                int rc = txn(c, &cmp, &op, &res, &err);
                free(enc);
                free(kv.value);
                if (rc < 0) { cJSON_Delete(old); return apisrv_fail_store(c, &err), -1; }
                if (!res.succeeded) { cJSON_Delete(old); continue; }
                rev = res.rev;
            } else {
                free(enc);
                free(kv.value);
            }
            set_rv(old, rev);
            *out = old;
            return 0;
        }
        free(kv.value);
        if (dry_run(c)) { *out = old; return 0; }
        reset_extra(c);
        if (c->res->on_delete) c->res->on_delete(c, old);
        skiff_store_cmp_t cmp = { SKIFF_STORE_CMP_MOD_REV, key, strlen(key), kv.mod_rev };
        skiff_store_op_t op = { SKIFF_STORE_OP_DELETE, key, strlen(key), NULL, 0, 0 };
        skiff_store_txn_res_t res = { 0 };
        skiff_error_t err;
        skiff_error_clear(&err);
        c->nxc = 0; /* releases are plain deletes */
        int rc = txn(c, &cmp, &op, &res, &err);
        if (rc < 0) { cJSON_Delete(old); return apisrv_fail_store(c, &err), -1; }
        if (!res.succeeded) { cJSON_Delete(old); continue; }
        set_rv(old, res.rev);
        *out = old;
        return 0;
    }
    return fail_conflict(c), -1;
}

static int do_delete(apisrv_call_t *c)
{
    del_opts_t o;
    if (parse_delete_options(c, &o) < 0) return 0;
    cJSON *out;
    if (delete_one(c, &o, &out) < 0) return 0;
    return apisrv_reply_json(c, 200, out);
}

static int success_status(apisrv_call_t *c, int code)
{
    cJSON *st = cJSON_CreateObject();
    cJSON_AddStringToObject(st, "kind", "Status");
    cJSON_AddStringToObject(st, "apiVersion", "v1");
    cJSON_AddObjectToObject(st, "metadata");
    cJSON_AddStringToObject(st, "status", "Success");
    if (c->name[0]) {
        cJSON *d = cJSON_AddObjectToObject(st, "details");
        cJSON_AddStringToObject(d, "name", c->name);
        if (*c->res->group) cJSON_AddStringToObject(d, "group", c->res->group);
        cJSON_AddStringToObject(d, "kind", c->res->plural);
    }
    cJSON_AddNumberToObject(st, "code", code);
    return apisrv_reply_json(c, code, st);
}

typedef struct names { char **v; size_t n, cap; apisrv_filter_t *f; apisrv_call_t *c; int oom; } names_t;

static int collect_cb(void *ud, const skiff_store_kv_t *kv)
{
    names_t *nm = ud;
    cJSON *obj = apisrv_obj_decode(kv->value, kv->value_len, kv->mod_rev);
    if (!obj) return 0;
    if (apisrv_filter_match(nm->f, nm->c->res, obj)) {
        char nsname[600];
        snprintf(nsname, sizeof nsname, "%s/%s", apisrv_str(obj, "metadata.namespace") ? apisrv_str(obj, "metadata.namespace") : "",
                 apisrv_str(obj, "metadata.name") ? apisrv_str(obj, "metadata.name") : "");
        const char *n = apisrv_str(obj, "metadata.name") ? nsname : NULL;
        if (n && nm->n == nm->cap) {
            size_t nc = nm->cap ? nm->cap * 2 : 64;
            char **p = realloc(nm->v, nc * sizeof *p);
            if (!p) { nm->oom = 1; cJSON_Delete(obj); return 1; }
            nm->v = p;
            nm->cap = nc;
        }
        if (n && !(nm->v[nm->n] = strdup(n))) { nm->oom = 1; cJSON_Delete(obj); return 1; }
        if (n) nm->n++;
    }
    cJSON_Delete(obj);
    return 0;
}

static int do_deletecollection(apisrv_call_t *c)
{
    del_opts_t o;
    if (parse_delete_options(c, &o) < 0) return 0;
    names_t nm = { .c = c };
    if (apisrv_filter_new(c, &nm.f) < 0) return 0;
    char prefix[400];
    apisrv_key_prefix(c->res, c->ns, prefix, sizeof prefix);
    skiff_store_range_req_t rq = { .key = prefix, .key_len = strlen(prefix), .prefix = 1 };
    skiff_store_range_res_t rs;
    skiff_error_t err;
    skiff_error_clear(&err);
    int rc = c->s->ops->range(c->s->store, &rq, collect_cb, &nm, &rs, &err);
    apisrv_filter_free(nm.f);
    char ns0[256];
    snprintf(ns0, sizeof ns0, "%s", c->ns);
    for (size_t i = 0; rc == 0 && !nm.oom && i < nm.n; i++) {
        char *slash = strchr(nm.v[i], '/');
        *slash = '\0';
        snprintf(c->name, sizeof c->name, "%s", slash + 1);
        if (c->res->namespaced) snprintf(c->ns, sizeof c->ns, "%s", nm.v[i]);
        cJSON *out = NULL;
        if (delete_one(c, &o, &out) < 0 && c->resp->code != 404) { rc = -1; break; }
        cJSON_Delete(out);
        skiff_api_response_free(c->resp);
        c->resp->code = 0;
    }
    for (size_t i = 0; i < nm.n; i++) free(nm.v[i]);
    free(nm.v);
    c->name[0] = '\0';
    snprintf(c->ns, sizeof c->ns, "%s", ns0);
    if (rc < 0 && c->resp->code) return 0;
    if (rc < 0) return apisrv_fail_store(c, &err);
    if (nm.oom) return apisrv_fail(c, 500, "InternalError", "out of memory");
    return success_status(c, 200);
}

/* ---- pod subresources ------------------------------------------------------- */

static int do_eviction(apisrv_call_t *c)
{
    cJSON *b = apisrv_body_parse(c, 0);
    if (!b) return 0;
    del_opts_t o;
    memset(&o, 0, sizeof o);
    o.grace = -1;
    const cJSON *gp = get(get(b, "deleteOptions"), "gracePeriodSeconds");
    if (cJSON_IsNumber(gp)) o.grace = grace_clamp(gp->valuedouble);
    int dry = dry_run(c) || cJSON_GetArraySize(get(get(b, "deleteOptions"), "dryRun")) > 0;
    cJSON_Delete(b);
    /* PodDisruptionBudgets first (eviction.c), then the DisruptionTarget condition */
    if (apisrv_eviction_check(c, dry) < 0) return 0;
    if (!dry) apisrv_eviction_mark(c);
    if (dry && !dry_run(c)) { /* deleteOptions.dryRun (kubectl drain --dry-run=server): nothing is deleted */
        char key[600];
        apisrv_kv_t kv;
        if (object_key(c, key, sizeof key) < 0 || load(c, key, &kv, NULL) < 0) return 0;
        free(kv.value);
        return success_status(c, 201);
    }
    cJSON *out;
    if (delete_one(c, &o, &out) < 0) return 0;
    cJSON_Delete(out);
    return success_status(c, 201);
}

int apisrv_handle_resource(apisrv_call_t *c)
{
    switch (c->verb) {
    case APISRV_VERB_GET: return do_get(c);
    case APISRV_VERB_LIST: return do_list(c);
    case APISRV_VERB_WATCH: {
        char prefix[400];
        apisrv_key_prefix(c->res, c->ns, prefix, sizeof prefix);
        const char *rv = apisrv_param(c, "resourceVersion");
        int64_t start = rv && *rv ? strtoll(rv, NULL, 10) : 0;
        return apisrv_handle_watch(c, prefix, start);
    }
    case APISRV_VERB_CREATE:
        if (strcmp(c->sub, "binding") == 0) return apisrv_handle_binding(c); /* binding.c */
        if (strcmp(c->sub, "eviction") == 0) return do_eviction(c);
        if (c->sub[0]) return apisrv_fail(c, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
        if (c->res->namespaced && !c->ns[0])
            return apisrv_fail(c, 404, "NotFound", "the server could not find the requested resource");
        return do_create(c);
    case APISRV_VERB_UPDATE: return do_update_or_patch(c, 0);
    case APISRV_VERB_PATCH: return do_update_or_patch(c, 1);
    case APISRV_VERB_DELETE:
        if (c->sub[0]) return apisrv_fail(c, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
        return do_delete(c);
    case APISRV_VERB_DELETECOLLECTION: return do_deletecollection(c);
    default: return apisrv_fail(c, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    }
}
