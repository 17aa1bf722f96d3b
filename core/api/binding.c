/* core/api/binding — POST pods/NAME/binding, the way kube-apiserver's
 * BindingREST does it: the Binding is validated and admitted (a create of
 * pods/binding), then the pod is changed by a guaranteed update straight on
 * the store — spec.nodeName set (409 if it is set already, the pod is being
 * deleted or still gated), the Binding's annotations merged, PodScheduled
 * set True — with no field manager (kube's binding does not touch
 * managedFields), no generation bump and no strategy.
 *
 * Why text: the scheduler binds every pod, and decoding the stored pod,
 * copying it and encoding it again was most of a bind's cost. The stored
 * text (our own cJSON print) is scanned for the few members involved and
 * the new text is the old one with two spans replaced; anything the scanner
 * does not expect (escaped keys, odd shapes) and every Binding carrying
 * annotations go through the tree edit instead, which gives the same object. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <skiff/admission.h>

#include "api/binding.h"
#include "api/body.h"
#include "api/jscan.h"

#define BIND_RETRIES 64

static int is_null(const char *v, const char *ve) { return ve - v == 4 && memcmp(v, "null", 4) == 0; }

/* ---- the edit on text ------------------------------------------------------- */

typedef struct edit { const char *at, *end; skiff_api_buf_t with; } edit_t;

/* {"type":"PodScheduled",...}: kube's UpdatePodCondition replaces the whole
 * condition (reason and message go) and keeps the transition time only
 * when the status does not change. `ltt` is a JSON value. */
static void put_cond(skiff_api_buf_t *b, const char *ltt, size_t ltt_len)
{
    skiff_api_buf_puts(b, "{\"type\":\"PodScheduled\",\"status\":\"True\",\"lastProbeTime\":null,\"lastTransitionTime\":");
    skiff_api_buf_add(b, ltt, ltt_len);
    skiff_api_buf_putc(b, '}');
}

/* The status edit: PodScheduled=True in status.conditions. st: the top
 * object's status member (k NULL = none), top_close/top_empty: the top
 * object's end. 0, or -1 when the shape is not handled. */
static int edit_status(const skiff_jmem_t *st, const char *top_close, const char *e, const char *now_json, edit_t *ed)
{
    size_t nl = strlen(now_json);
    if (!st->k) { /* no status: add one before the object's '}' (metadata precedes it) */
        ed->at = ed->end = top_close;
        skiff_api_buf_puts(&ed->with, ",\"status\":{\"conditions\":[");
        put_cond(&ed->with, now_json, nl);
        skiff_api_buf_puts(&ed->with, "]}");
        return 0;
    }
    static const char *const skeys[] = { "conditions" };
    skiff_jmem_t cs;
    const char *sclose;
    int sempty;
    if (skiff_jscan_members(st->v, e, skeys, 1, &cs, &sclose, &sempty) < 0) return -1;
    if (!cs.k) { /* first member of status */
        ed->at = ed->end = st->v + 1;
        skiff_api_buf_puts(&ed->with, "\"conditions\":[");
        put_cond(&ed->with, now_json, nl);
        skiff_api_buf_puts(&ed->with, sempty ? "]" : "],");
        return 0;
    }
    if (is_null(cs.v, cs.ve)) {
        ed->at = cs.v;
        ed->end = cs.ve;
        skiff_api_buf_putc(&ed->with, '[');
        put_cond(&ed->with, now_json, nl);
        skiff_api_buf_putc(&ed->with, ']');
        return 0;
    }
    if (*cs.v != '[') return -1;
    const char *p = skiff_jscan_ws(cs.v + 1, e);
    int n = 0;
    while (p < e && *p != ']') {
        const char *ve = skiff_jscan_skip(p, e);
        if (!ve) return -1;
        if (*p == '{') {
            static const char *const ckeys[] = { "type", "status", "lastTransitionTime" };
            skiff_jmem_t cm[3];
            if (skiff_jscan_members(p, e, ckeys, 3, cm, NULL, NULL) < 0) return -1;
            if (cm[0].k && skiff_jscan_str_eq(cm[0].v, cm[0].ve, "PodScheduled")) {
                ed->at = p;
                ed->end = ve;
                if (cm[1].k && cm[2].k && skiff_jscan_str_eq(cm[1].v, cm[1].ve, "True"))
                    put_cond(&ed->with, cm[2].v, (size_t)(cm[2].ve - cm[2].v));
                else
                    put_cond(&ed->with, now_json, nl);
                return 0;
            }
        }
        n++;
        p = skiff_jscan_ws(ve, e);
        if (p < e && *p == ',') p = skiff_jscan_ws(p + 1, e);
        else if (p >= e || *p != ']') return -1;
    }
    if (p >= e) return -1;
    ed->at = ed->end = p; /* append before ']' */
    if (n) skiff_api_buf_putc(&ed->with, ',');
    put_cond(&ed->with, now_json, nl);
    return 0;
}

int apisrv_bind_text(const char *val, size_t len, const char *node, const char *now,
                     const char *want_uid, apisrv_bind_facts_t *f, char **out, size_t *out_len)
{
    memset(f, 0, sizeof *f);
    *out = NULL;
    *out_len = 0;
    const char *e = val + len, *top = skiff_jscan_ws(val, e), *close, *mclose, *sclose;
    int empty;
    /* one pass per object: the top, metadata, spec */
    static const char *const tkeys[] = { "metadata", "spec", "status" };
    static const char *const mkeys[] = { "deletionTimestamp", "uid" };
    static const char *const skeys[] = { "nodeName", "schedulingGates" };
    skiff_jmem_t t[3], m[2], sp[2];
    if (skiff_jscan_members(top, e, tkeys, 3, t, &close, &empty) < 0 || !t[0].k || !t[1].k) return 1;
    if (skiff_jscan_members(t[0].v, e, mkeys, 2, m, &mclose, &empty) < 0) return 1;
    if (m[0].k && !is_null(m[0].v, m[0].ve)) { f->verdict = APISRV_BIND_DELETING; return 0; }
    if (m[1].k && skiff_jscan_str(m[1].v, m[1].ve, f->uid, sizeof f->uid) < 0) return 1;
    if (want_uid && *want_uid && strcmp(want_uid, f->uid) != 0) { f->verdict = APISRV_BIND_UID; return 0; }
    int spec_empty;
    if (skiff_jscan_members(t[1].v, e, skeys, 2, sp, &sclose, &spec_empty) < 0) return 1;
    const skiff_jmem_t *nn = &sp[0], *gates = &sp[1];
    if (nn->k && !is_null(nn->v, nn->ve) && !skiff_jscan_str_eq(nn->v, nn->ve, "")) {
        if (skiff_jscan_str(nn->v, nn->ve, f->node, sizeof f->node) < 0) return 1;
        f->verdict = APISRV_BIND_ASSIGNED;
        return 0;
    }
    if (gates->k && !is_null(gates->v, gates->ve)) {
        if (*gates->v != '[') return 1;
        const char *q = skiff_jscan_ws(gates->v + 1, e);
        if (q < e && *q != ']') { f->verdict = APISRV_BIND_GATED; return 0; }
    }
    if (t[2].k && *t[2].v != '{') return 1;
    edit_t ed[2];
    memset(ed, 0, sizeof ed);
    skiff_api_buf_init(&ed[0].with);
    skiff_api_buf_init(&ed[1].with);
    /* spec.nodeName: replaced in place, or the first member of spec */
    if (nn->k) {
        ed[0].at = nn->k;
        ed[0].end = nn->ve;
    } else {
        ed[0].at = ed[0].end = t[1].v + 1;
    }
    skiff_api_buf_puts(&ed[0].with, "\"nodeName\":");
    skiff_api_buf_json_str(&ed[0].with, node);
    if (!nn->k && !spec_empty) skiff_api_buf_putc(&ed[0].with, ','); /* spec's members follow */
    char now_json[64];
    snprintf(now_json, sizeof now_json, "\"%s\"", now);
    int rc = 0;
    if (edit_status(&t[2], close, e, now_json, &ed[1]) < 0) {
        rc = 1;
    } else if (ed[0].with.oom || ed[1].with.oom) {
        rc = -ENOMEM;
    } else {
        /* the two spans never overlap (spec and status are siblings) */
        edit_t *a = &ed[0], *b = &ed[1];
        if (b->at < a->at) { a = &ed[1]; b = &ed[0]; }
        size_t n = len + a->with.len + b->with.len + 1;
        char *s = malloc(n), *o = s;
        if (!s) {
            rc = -ENOMEM;
        } else {
            memcpy(o, val, (size_t)(a->at - val)); o += a->at - val;
            memcpy(o, a->with.data, a->with.len); o += a->with.len;
            memcpy(o, a->end, (size_t)(b->at - a->end)); o += b->at - a->end;
            memcpy(o, b->with.data, b->with.len); o += b->with.len;
            memcpy(o, b->end, (size_t)(e - b->end)); o += e - b->end;
            *o = '\0';
            *out = s;
            *out_len = (size_t)(o - s);
        }
    }
    skiff_api_buf_free(&ed[0].with);
    skiff_api_buf_free(&ed[1].with);
    return rc;
}

/* ---- the edit on a tree ------------------------------------------------------ */

static cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static int set(cJSON *o, const char *k, cJSON *v)
{
    if (!v) return -ENOMEM;
    cJSON_DeleteItemFromObjectCaseSensitive(o, k);
    cJSON_AddItemToObject(o, k, v);
    return 0;
}

/* An object member, created (or replacing a non-object) when needed. */
static cJSON *obj_at(cJSON *o, const char *k)
{
    cJSON *x = get(o, k);
    if (cJSON_IsObject(x)) return x;
    x = cJSON_CreateObject();
    return x && set(o, k, x) == 0 ? x : NULL;
}

int apisrv_bind_tree(cJSON *pod, const char *node, const cJSON *annotations, const char *now,
                     const char *want_uid, apisrv_bind_facts_t *f)
{
    memset(f, 0, sizeof *f);
    cJSON *meta = get(pod, "metadata");
    const cJSON *dt = get(meta, "deletionTimestamp");
    if (dt && !cJSON_IsNull(dt)) { f->verdict = APISRV_BIND_DELETING; return 0; }
    const cJSON *uid = get(meta, "uid");
    if (cJSON_IsString(uid)) snprintf(f->uid, sizeof f->uid, "%s", uid->valuestring);
    if (want_uid && *want_uid && strcmp(want_uid, f->uid) != 0) { f->verdict = APISRV_BIND_UID; return 0; }
    const cJSON *nn = get(get(pod, "spec"), "nodeName");
    if (cJSON_IsString(nn) && *nn->valuestring) {
        snprintf(f->node, sizeof f->node, "%s", nn->valuestring);
        f->verdict = APISRV_BIND_ASSIGNED;
        return 0;
    }
    if (cJSON_GetArraySize(get(get(pod, "spec"), "schedulingGates")) > 0) { f->verdict = APISRV_BIND_GATED; return 0; }
    cJSON *spec = obj_at(pod, "spec");
    if (!spec || set(spec, "nodeName", cJSON_CreateString(node)) < 0) return -ENOMEM;
    if (cJSON_GetArraySize(annotations) > 0) {
        cJSON *an = meta ? obj_at(meta, "annotations") : NULL;
        if (!an) return -ENOMEM;
        const cJSON *a;
        cJSON_ArrayForEach(a, annotations)
            if (cJSON_IsString(a) && set(an, a->string, cJSON_CreateString(a->valuestring)) < 0) return -ENOMEM;
    }
    cJSON *status = obj_at(pod, "status");
    if (!status) return -ENOMEM;
    cJSON *conds = get(status, "conditions");
    if (!cJSON_IsArray(conds)) {
        conds = cJSON_CreateArray();
        if (set(status, "conditions", conds) < 0) return -ENOMEM;
    }
    cJSON *old = NULL, *x;
    cJSON_ArrayForEach(x, conds) {
        const cJSON *t = get(x, "type");
        if (cJSON_IsString(t) && strcmp(t->valuestring, "PodScheduled") == 0) { old = x; break; }
    }
    cJSON *c = cJSON_CreateObject();
    if (!c) return -ENOMEM;
    const cJSON *ost = get(old, "status"), *oltt = get(old, "lastTransitionTime");
    cJSON *ltt = cJSON_IsString(ost) && strcmp(ost->valuestring, "True") == 0 && oltt
                     ? cJSON_Duplicate(oltt, 1) : cJSON_CreateString(now);
    if (!cJSON_AddStringToObject(c, "type", "PodScheduled") || !cJSON_AddStringToObject(c, "status", "True") ||
        !cJSON_AddNullToObject(c, "lastProbeTime") || !ltt) {
        cJSON_Delete(ltt);
        cJSON_Delete(c);
        return -ENOMEM;
    }
    cJSON_AddItemToObject(c, "lastTransitionTime", ltt);
    if (old) cJSON_ReplaceItemViaPointer(conds, old, c);
    else cJSON_AddItemToArray(conds, c);
    return 0;
}

/* ---- the handler ------------------------------------------------------------- */

static int bind_fail(apisrv_call_t *c, const apisrv_bind_facts_t *f, const char *want_uid)
{
    switch (f->verdict) {
    case APISRV_BIND_ASSIGNED:
        return apisrv_fail(c, 409, "Conflict", "Operation cannot be fulfilled on pods/binding \"%s\": pod %s is already assigned to node \"%s\"",
                           c->name, c->name, f->node);
    case APISRV_BIND_DELETING:
        return apisrv_fail(c, 409, "Conflict", "Operation cannot be fulfilled on pods/binding \"%s\": pod %s is being deleted, cannot be assigned to a host",
                           c->name, c->name);
    case APISRV_BIND_GATED:
        return apisrv_fail(c, 409, "Conflict", "Operation cannot be fulfilled on pods/binding \"%s\": pod %s has non-empty .spec.schedulingGates",
                           c->name, c->name);
    default: /* a storage precondition: a conflict on pods (InterpretUpdateError) */
        return apisrv_fail(c, 409, "Conflict", "Operation cannot be fulfilled on pods \"%s\": Precondition failed: UID in precondition: %s, UID in object meta: %s",
                           c->name, want_uid, f->uid);
    }
}

static int annotations_valid(const cJSON *an)
{
    if (!an || cJSON_IsNull(an)) return 1;
    if (!cJSON_IsObject(an)) return 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, an) if (!cJSON_IsString(a)) return 0;
    return 1;
}

static int invalid(apisrv_call_t *c, const char *bad_kind, int no_name)
{
    apisrv_invalid_t *inv = calloc(1, sizeof *inv);
    if (!inv) return apisrv_fail(c, 500, "InternalError", "out of memory");
    if (bad_kind)
        apisrv_invalid_add(inv, "FieldValueNotSupported", "target.kind", "Unsupported value: \"%s\": supported values: \"Node\", \"<empty>\"", bad_kind);
    if (no_name) apisrv_invalid_add(inv, "FieldValueRequired", "target.name", "Required value");
    apisrv_fail_invalid(c, c->name, inv);
    free(inv);
    return 0;
}

static int bind(apisrv_call_t *c, cJSON *b)
{
    if (apisrv_body_check_kind(c, b, "Binding", "v1") < 0) return 0;
    cJSON *meta = get(b, "metadata");
    const char *name = apisrv_str(b, "metadata.name"), *ns = apisrv_str(b, "metadata.namespace");
    /* kube's BindingREST: the name must be the URL's (an empty one too) */
    if (!name || strcmp(name, c->name) != 0)
        return apisrv_fail(c, 400, "BadRequest", "name in URL does not match name in Binding object");
    if (ns && *ns && strcmp(ns, c->ns) != 0)
        return apisrv_fail(c, 400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request");
    if (!annotations_valid(get(meta, "annotations")))
        return apisrv_fail(c, 400, "BadRequest", "metadata.annotations must be an object of strings");
    /* ValidatePodBinding (the causes are built only when there are some:
     * an apisrv_invalid_t is kilobytes to clear) */
    const char *tk = apisrv_str(b, "target.kind"), *node = apisrv_str(b, "target.name");
    int bad_kind = tk && *tk && strcmp(tk, "Node") != 0;
    if (bad_kind || !node || !*node) return invalid(c, bad_kind ? tk : NULL, !node || !*node);
    /* the create of pods/binding is admitted, with the Binding as object */
    if (apisrv_admit_kind(c, SKIFF_ADM_CREATE, "Binding", b, NULL) < 0) return 0;
    meta = get(b, "metadata"); /* a mutating plugin may have changed the Binding */
    node = apisrv_str(b, "target.name");
    if (!node || !*node) return invalid(c, NULL, 1);
    const cJSON *annotations = get(meta, "annotations");
    if (!annotations_valid(annotations))
        return apisrv_fail(c, 400, "BadRequest", "metadata.annotations must be an object of strings");
    const char *want_uid = apisrv_str(meta, "uid"), *want_rv = apisrv_str(meta, "resourceVersion");
    char key[600], now[40];
    if (c->res->namespaced && !c->ns[0]) return apisrv_fail(c, 404, "NotFound", "the server could not find the requested resource");
    if (apisrv_key(c->res, c->ns, c->name, key, sizeof key) < 0) return apisrv_fail(c, 400, "BadRequest", "name too long");
    apisrv_format_time(c->now_ns, now, sizeof now);
    const char *dry = apisrv_param(c, "dryRun");
    for (int attempt = 0; attempt < BIND_RETRIES; attempt++) {
        if (attempt >= 4) usleep(1 + (unsigned)(random() % (100u * (unsigned)(attempt < 20 ? attempt : 20))));
        apisrv_kv_t kv;
        skiff_error_t err;
        skiff_error_clear(&err);
        int rc = apisrv_store_get(c->s, key, &kv, &err);
        if (rc == SKIFF_E_NOTFOUND) return apisrv_fail_notfound(c, c->name);
        if (rc < 0) return apisrv_fail_store(c, &err);
        if (want_rv && *want_rv && strtoll(want_rv, NULL, 10) != kv.mod_rev) {
            free(kv.value);
            return apisrv_fail(c, 409, "Conflict", "Operation cannot be fulfilled on pods \"%s\": Precondition failed: ResourceVersion in precondition: %s, ResourceVersion in object meta: %lld",
                               c->name, want_rv, (long long)kv.mod_rev);
        }
        apisrv_bind_facts_t f;
        char *enc = NULL;
        size_t len = 0;
        rc = cJSON_GetArraySize(annotations) > 0 ? 1 : apisrv_bind_text(kv.value, kv.len, node, now, want_uid, &f, &enc, &len);
        if (rc == 1) { /* the tree edit */
            cJSON *pod = apisrv_obj_decode(kv.value, kv.len, kv.mod_rev);
            if (!pod) {
                free(kv.value);
                return apisrv_fail(c, 500, "InternalError", "stored object %s is not valid JSON", key);
            }
            rc = apisrv_bind_tree(pod, node, annotations, now, want_uid, &f);
            if (rc == 0 && f.verdict == APISRV_BIND_OK && !(enc = apisrv_obj_encode(pod, &len))) rc = -ENOMEM;
            cJSON_Delete(pod);
        }
        free(kv.value);
        if (rc < 0) return apisrv_fail(c, 500, "InternalError", "out of memory");
        if (f.verdict != APISRV_BIND_OK) return bind_fail(c, &f, want_uid ? want_uid : "");
        if (len > SKIFF_STORE_VALUE_MAX) {
            free(enc);
            return apisrv_fail(c, 413, "RequestEntityTooLarge", "Request entity too large: the object is %zu bytes; the limit is %u", len, SKIFF_STORE_VALUE_MAX);
        }
        if (!(dry && *dry)) {
            skiff_store_cmp_t cmp = { SKIFF_STORE_CMP_MOD_REV, key, strlen(key), kv.mod_rev };
            skiff_store_op_t op = { SKIFF_STORE_OP_PUT, key, strlen(key), enc, len, apisrv_write_lease(c) };
            skiff_store_txn_res_t res = { 0 };
            rc = c->s->ops->txn(c->s->store, &cmp, 1, &op, 1, &res, &err);
            free(enc);
            if (rc < 0) return apisrv_fail_store(c, &err);
            if (!res.succeeded) continue; /* someone wrote the pod meanwhile: again, on the new one */
            apisrv_note_write(c->s, c->res, res.rev);
        } else {
            free(enc);
        }
        /* kube answers a Status (201: a create), not the pod */
        return apisrv_reply_text(c, 201, "application/json",
                                 "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Success\",\"code\":201}");
    }
    return apisrv_fail(c, 409, "Conflict", "Operation cannot be fulfilled on pods/binding \"%s\": the object has been modified; please apply your changes to the latest version and try again",
                       c->name);
}

int apisrv_handle_binding(apisrv_call_t *c)
{
    cJSON *b = apisrv_body_parse(c, 0);
    if (!b) return 0;
    int rc = bind(c, b);
    cJSON_Delete(b);
    return rc;
}
