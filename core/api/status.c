/* core/api/status — Kubernetes Status objects: every error the API server
 * answers has HTTP code == Status.code and the reason kubectl prints as
 * "Error from server (<reason>): <message>". */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "api/json_print.h"

void apisrv_invalid_add(apisrv_invalid_t *inv, const char *reason, const char *field,
                        const char *fmt, ...)
{
    if (inv->n >= APISRV_MAX_CAUSES) return;
    int i = inv->n++;
    snprintf(inv->causes[i].field, sizeof inv->causes[i].field, "%s", field);
    snprintf(inv->causes[i].reason, sizeof inv->causes[i].reason, "%s", reason);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(inv->causes[i].message, sizeof inv->causes[i].message, fmt, ap);
    va_end(ap);
}

static cJSON *status_new(int code, const char *reason, const char *message)
{
    cJSON *st = cJSON_CreateObject();
    if (!st) return NULL;
    cJSON_AddStringToObject(st, "kind", "Status");
    cJSON_AddStringToObject(st, "apiVersion", "v1");
    cJSON_AddObjectToObject(st, "metadata");
    cJSON_AddStringToObject(st, "status", code < 300 ? "Success" : "Failure");
    cJSON_AddStringToObject(st, "message", message);
    if (reason && *reason) cJSON_AddStringToObject(st, "reason", reason);
    cJSON_AddNumberToObject(st, "code", code);
    return st;
}

char *apisrv_status_json(int code, const char *reason, const char *message)
{
    cJSON *st = status_new(code, reason, message);
    if (!st) return NULL;
    char *s = cJSON_PrintUnformatted(st);
    cJSON_Delete(st);
    return s;
}

/* details.group/kind: the call's resource's, unless `gk` names another
 * (TokenRequest answered on serviceaccounts/token). */
typedef struct { const char *group, *kind; } group_kind_t;

static int fail_with_kind(apisrv_call_t *c, int code, const char *reason, const char *msg,
                          const char *name, const apisrv_invalid_t *inv, const group_kind_t *gk)
{
    cJSON *st = status_new(code, reason, msg);
    if (!st) return -ENOMEM;
    if (gk || c->res || (name && *name)) {
        cJSON *d = cJSON_CreateObject();
        if (name && *name) cJSON_AddStringToObject(d, "name", name);
        if (gk) {
            if (*gk->group) cJSON_AddStringToObject(d, "group", gk->group);
            cJSON_AddStringToObject(d, "kind", gk->kind);
        } else if (c->res) {
            if (*c->res->group) cJSON_AddStringToObject(d, "group", c->res->group);
            /* Invalid names the Kind ("The Pod \"x\" is invalid"), others the resource */
            cJSON_AddStringToObject(d, "kind", code == 422 ? c->res->kind : c->res->plural);
        }
        if (inv && inv->n) {
            cJSON *causes = cJSON_AddArrayToObject(d, "causes");
            for (int i = 0; i < inv->n; i++) {
                cJSON *x = cJSON_CreateObject();
                cJSON_AddStringToObject(x, "reason", inv->causes[i].reason);
                cJSON_AddStringToObject(x, "message", inv->causes[i].message);
                cJSON_AddStringToObject(x, "field", inv->causes[i].field);
                cJSON_AddItemToArray(causes, x);
            }
        }
        cJSON_AddItemToObject(st, "details", d);
    }
    return apisrv_reply_json(c, code, st);
}

static int fail_with(apisrv_call_t *c, int code, const char *reason, const char *msg,
                     const char *name, const apisrv_invalid_t *inv)
{
    return fail_with_kind(c, code, reason, msg, name, inv, NULL);
}

int apisrv_fail(apisrv_call_t *c, int code, const char *reason, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fail_with(c, code, reason, msg, c->name, NULL);
}

int apisrv_fail_causes(apisrv_call_t *c, int code, const char *reason, const char *msg,
                       const cJSON *causes)
{
    cJSON *st = status_new(code, reason, msg);
    if (!st) return -ENOMEM;
    cJSON *d = cJSON_AddObjectToObject(st, "details");
    if (c->name[0]) cJSON_AddStringToObject(d, "name", c->name);
    if (c->res) {
        if (*c->res->group) cJSON_AddStringToObject(d, "group", c->res->group);
        cJSON_AddStringToObject(d, "kind", c->res->plural);
    }
    if (causes) cJSON_AddItemToObject(d, "causes", cJSON_Duplicate(causes, 1));
    return apisrv_reply_json(c, code, st);
}

int apisrv_fail_notfound(apisrv_call_t *c, const char *name)
{
    char q[160], msg[512];
    if (c->res) apisrv_resource_qualified(c->res, q, sizeof q);
    else snprintf(q, sizeof q, "resource");
    snprintf(msg, sizeof msg, "%s \"%s\" not found", q, name);
    return fail_with(c, 404, "NotFound", msg, name, NULL);
}

/* kube's NewInvalid: "<what> \"name\" is invalid: field: message" (or
 * "[a, b]" for several causes). */
static int fail_invalid_as(apisrv_call_t *c, const char *what, const group_kind_t *gk, const char *name,
                           const apisrv_invalid_t *inv)
{
    skiff_api_buf_t b;
    skiff_api_buf_init(&b);
    skiff_api_buf_printf(&b, "%s \"%s\" is invalid: ", what, name);
    if (inv->n > 1) skiff_api_buf_putc(&b, '[');
    for (int i = 0; i < inv->n; i++) {
        if (i) skiff_api_buf_puts(&b, ", ");
        if (inv->causes[i].field[0]) skiff_api_buf_printf(&b, "%s: ", inv->causes[i].field);
        skiff_api_buf_puts(&b, inv->causes[i].message);
    }
    if (inv->n > 1) skiff_api_buf_putc(&b, ']');
    int rc = fail_with_kind(c, 422, "Invalid", b.data ? b.data : "invalid", name, inv, gk);
    skiff_api_buf_free(&b);
    return rc;
}

int apisrv_fail_invalid_kind(apisrv_call_t *c, const char *group, const char *kind, const char *name,
                             const apisrv_invalid_t *inv)
{
    char what[256];
    snprintf(what, sizeof what, "%s%s%s", kind, *group ? "." : "", group); /* GroupKind.String() */
    group_kind_t gk = { group, kind };
    return fail_invalid_as(c, what, &gk, name, inv);
}

/* The message names the kind qualified by its group, as kube's
 * ("Deployment.apps \"x\" is invalid"; kubectl prints details.kind). */
int apisrv_fail_invalid(apisrv_call_t *c, const char *name, const apisrv_invalid_t *inv)
{
    if (!c->res) return fail_invalid_as(c, "object", NULL, name, inv);
    char what[256];
    snprintf(what, sizeof what, "%s%s%s", c->res->kind, *c->res->group ? "." : "", c->res->group);
    return fail_invalid_as(c, what, NULL, name, inv);
}

int apisrv_fail_store(apisrv_call_t *c, const skiff_error_t *err)
{
    switch (err->code) {
    case SKIFF_E_NOTFOUND: return apisrv_fail_notfound(c, c->name);
    case SKIFF_E_COMPACTED:
        return apisrv_fail(c, 410, "Expired", "The provided resourceVersion is too old: %s", err->msg);
    case SKIFF_E_TOOLARGE:
        return apisrv_fail(c, 413, "RequestEntityTooLarge", "Request entity too large: %s", err->msg);
    case SKIFF_E_FUTURE_REV:
        return apisrv_fail(c, 504, "Timeout", "Too large resource version: %s", err->msg);
    case SKIFF_E_INVALID:
        return apisrv_fail(c, 400, "BadRequest", "%s", err->msg);
    default:
        return apisrv_fail(c, 500, "InternalError", "Internal error occurred: store: %s",
                           err->msg[0] ? err->msg : "unknown error");
    }
}

static void set_ctype(apisrv_call_t *c, const char *ct)
{
    /* every response: copied, not printed */
    size_t n = strlen(ct);
    if (n >= sizeof c->resp->content_type) n = sizeof c->resp->content_type - 1;
    memcpy(c->resp->content_type, ct, n);
    c->resp->content_type[n] = '\0';
}

int apisrv_reply_json(apisrv_call_t *c, int code, cJSON *obj)
{
    free(c->resp->body);
    c->resp->body = NULL;
    c->resp->body_len = 0;
    /* An in-process caller that reads no body: skip serialising the object. */
    size_t len = 0;
    char *s = obj && c->req && c->req->discard_success_body && code / 100 == 2 ? strdup("{}")
              : obj ? skiff_api_json_print(obj, 0, &len) : NULL;
    cJSON_Delete(obj);
    if (!s) {
        c->resp->code = 500;
        set_ctype(c, "application/json");
        static const char oom[] = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
                                  "\"status\":\"Failure\",\"message\":\"out of memory\","
                                  "\"reason\":\"InternalError\",\"code\":500}";
        c->resp->body = strdup(oom);
        c->resp->body_len = c->resp->body ? strlen(oom) : 0;
        return -ENOMEM;
    }
    c->resp->code = code;
    set_ctype(c, "application/json");
    c->resp->body = s;
    c->resp->body_len = len ? len : strlen(s);
    return 0;
}

int apisrv_reply_buf(apisrv_call_t *c, int code, skiff_api_buf_t *b)
{
    if (b->oom) {
        skiff_api_buf_free(b);
        return apisrv_fail(c, 500, "InternalError", "out of memory building the response");
    }
    free(c->resp->body);
    c->resp->code = code;
    set_ctype(c, "application/json");
    c->resp->body = skiff_api_buf_take(b, &c->resp->body_len);
    return 0;
}

int apisrv_reply_text(apisrv_call_t *c, int code, const char *ctype, const char *text)
{
    free(c->resp->body);
    c->resp->body = strdup(text);
    c->resp->body_len = c->resp->body ? strlen(text) : 0;
    c->resp->code = c->resp->body ? code : 500;
    set_ctype(c, ctype);
    return 0;
}
