/* core/api/client — the verbs over a transport, and the in-process
 * transport (see client.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api/client_int.h"
#include "api/jscan.h"

void skiff_api_result_free(skiff_api_result_t *r)
{
    if (!r) return;
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

int skiff_api_client_status(skiff_api_result_t *res, skiff_error_t *err)
{
    if (res->code >= 200 && res->code < 300) return 0;
    cJSON *st = res->body ? cJSON_ParseWithLength(res->body, res->len) : NULL;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(st, "message");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(st, "reason");
    const char *msg = cJSON_IsString(m) ? m->valuestring : "request failed";
    int code;
    switch (res->code) {
    case 404: code = SKIFF_E_NOTFOUND; break;
    case 409: code = cJSON_IsString(r) && strcmp(r->valuestring, "AlreadyExists") == 0 ? SKIFF_E_EXISTS : SKIFF_E_CONFLICT; break;
    case 410: code = SKIFF_E_COMPACTED; break;
    case 413: code = SKIFF_E_TOOLARGE; break;
    case 400: case 415: case 422: code = SKIFF_E_INVALID; break;
    default: code = SKIFF_E_INTERNAL;
    }
    skiff_error_set(err, code, "%d %s", res->code, msg);
    cJSON_Delete(st);
    return code;
}

int skiff_api_client_do(skiff_api_client_t *c, const char *method, const char *path,
                        const char *query, const char *content_type, const char *body,
                        size_t body_len, skiff_api_result_t *res, skiff_error_t *err)
{
    skiff_api_result_t local = { 0 };
    skiff_api_result_t *r = res ? res : &local;
    memset(r, 0, sizeof *r);
    r->discard = !res;
    int rc = c->t->call(c, method, path, query, content_type, body, body_len, r, err);
    if (rc == 0) rc = skiff_api_client_status(r, err);
    if (!res) skiff_api_result_free(&local);
    return rc;
}

int skiff_api_client_get(skiff_api_client_t *c, const char *path, skiff_api_result_t *res,
                         skiff_error_t *err)
{
    return skiff_api_client_do(c, "GET", path, NULL, NULL, NULL, 0, res, err);
}

static void url_encode(char *out, size_t len, const char *s)
{
    size_t o = 0;
    for (; *s && o + 4 < len; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || strchr("-_.~", ch)) out[o++] = (char)ch;
        else o += (size_t)snprintf(out + o, len - o, "%%%02X", ch);
    }
    out[o] = '\0';
}

int skiff_api_client_list(skiff_api_client_t *c, const char *path, const char *label_selector,
                          const char *field_selector, skiff_api_result_t *res, skiff_error_t *err)
{
    char q[2048] = "", enc[1000];
    if (label_selector && *label_selector) {
        url_encode(enc, sizeof enc, label_selector);
        snprintf(q, sizeof q, "labelSelector=%s", enc);
    }
    if (field_selector && *field_selector) {
        url_encode(enc, sizeof enc, field_selector);
        size_t n = strlen(q);
        snprintf(q + n, sizeof q - n, "%sfieldSelector=%s", n ? "&" : "", enc);
    }
    return skiff_api_client_do(c, "GET", path, q[0] ? q : NULL, NULL, NULL, 0, res, err);
}

int skiff_api_client_create(skiff_api_client_t *c, const char *path, const char *json,
                            skiff_api_result_t *res, skiff_error_t *err)
{
    return skiff_api_client_do(c, "POST", path, NULL, "application/json", json, strlen(json), res, err);
}

int skiff_api_client_update(skiff_api_client_t *c, const char *path, const char *json,
                            skiff_api_result_t *res, skiff_error_t *err)
{
    return skiff_api_client_do(c, "PUT", path, NULL, "application/json", json, strlen(json), res, err);
}

int skiff_api_client_patch(skiff_api_client_t *c, const char *path, const char *content_type,
                           const char *json, skiff_api_result_t *res, skiff_error_t *err)
{
    const char *q = strncmp(content_type, "application/apply-patch", 23) == 0 ? "fieldManager=skiff" : NULL;
    return skiff_api_client_do(c, "PATCH", path, q, content_type, json, strlen(json), res, err);
}

int skiff_api_client_delete(skiff_api_client_t *c, const char *path, skiff_api_result_t *res,
                            skiff_error_t *err)
{
    return skiff_api_client_do(c, "DELETE", path, NULL, NULL, NULL, 0, res, err);
}

/* The line as every API server writes it, {"type":"T","object":{...}}:
 * hand the object's text over in place (NUL-terminated over the closing
 * brace) instead of parsing the whole event and printing the object back —
 * consumers parse it anyway. The head is read with the shared scanner
 * (api/jscan.h); the object, the last member, is not scanned: it ends at the
 * event's closing brace, the line's last byte (whitespace before it
 * dropped), and its consumer's parse rejects what is not JSON. 0 when the line has another shape (then it is
 * parsed). */
static int watch_fast(skiff_api_client_watch_t *w)
{
    char *p = w->partial, *end = p + w->plen;
    while (end > p && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t')) end--;
    if (end == p || *--end != '}') return 0; /* end: the event's closing brace */
    const char *e = end, *ks, *v, *ve, *o;
    size_t kl;
    char type[16];
    if (*p != '{' || !(v = skiff_jscan_key(skiff_jscan_ws(p + 1, e), e, &ks, &kl)) || kl != 4 ||
        memcmp(ks, "type", 4) != 0 || !(ve = skiff_jscan_skip(v, e)) ||
        skiff_jscan_str(v, ve, type, sizeof type) < 0 || !type[0])
        return 0;
    ve = skiff_jscan_ws(ve, e);
    if (ve >= e || *ve != ',' || !(o = skiff_jscan_key(skiff_jscan_ws(ve + 1, e), e, &ks, &kl)) || kl != 6 ||
        memcmp(ks, "object", 6) != 0 || *o != '{')
        return 0;
    char *oe = end; /* the object's text without the whitespace before the event's brace */
    while (oe > o + 1 && (oe[-1] == ' ' || oe[-1] == '\t' || oe[-1] == '\r' || oe[-1] == '\n')) oe--;
    *oe = '\0';
    if (!STOPPED(w)) w->cb(w->ud, type, o, (size_t)(oe - o));
    return 1;
}

void skiff_api_watch_feed(skiff_api_client_watch_t *w, const char *data, size_t len)
{
    while (len) {
        const char *nl = memchr(data, '\n', len);
        size_t n = nl ? (size_t)(nl - data) : len;
        char *p = realloc(w->partial, w->plen + n + 1);
        if (!p) return;
        w->partial = p;
        memcpy(w->partial + w->plen, data, n);
        w->plen += n;
        w->partial[w->plen] = '\0';
        if (!nl) return;
        data += n + 1;
        len -= n + 1;
        if (watch_fast(w)) { w->plen = 0; continue; }
        cJSON *ev = cJSON_ParseWithLength(w->partial, w->plen);
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(ev, "type");
        const cJSON *obj = cJSON_GetObjectItemCaseSensitive(ev, "object");
        if (cJSON_IsString(type) && obj && !STOPPED(w)) {
            char *o = cJSON_PrintUnformatted(obj);
            if (o) w->cb(w->ud, type->valuestring, o, strlen(o));
            free(o);
        }
        cJSON_Delete(ev);
        w->plen = 0;
    }
}

static void *watch_main(void *arg)
{
    skiff_api_client_watch_t *w = arg;
    skiff_error_t err;
    skiff_error_clear(&err);
    w->c->t->stream(w->c, w->path, w->query, w, &err);
    if (!STOPPED(w)) w->cb(w->ud, NULL, NULL, 0);
    return NULL;
}

int skiff_api_client_watch(skiff_api_client_t *c, const char *path, const char *resource_version,
                           skiff_api_watch_cb cb, void *ud, skiff_api_client_watch_t **out,
                           skiff_error_t *err)
{
    *out = NULL;
    skiff_api_client_watch_t *w = calloc(1, sizeof *w);
    if (!w) return skiff_error_set(err, -ENOMEM, "out of memory");
    w->c = c;
    w->cb = cb;
    w->ud = ud;
    w->path = strdup(path);
    if (asprintf(&w->query, "watch=true&allowWatchBookmarks=true&resourceVersion=%s", resource_version ? resource_version : "") < 0) w->query = NULL;
    if (!w->path || !w->query || pthread_create(&w->th, NULL, watch_main, w) != 0) {
        free(w->path);
        free(w->query);
        free(w);
        return skiff_error_set(err, -ENOMEM, "cannot start the watch thread");
    }
    /* "watch:<resource>" (the path's last segment) shows who is busy in perf/top */
    const char *slash = strrchr(w->path, '/');
    char name[16];
    snprintf(name, sizeof name, "watch:%s", slash ? slash + 1 : w->path);
    pthread_setname_np(w->th, name);
    *out = w;
    return 0;
}

void skiff_api_client_watch_stop(skiff_api_client_watch_t *w)
{
    if (!w) return;
    __atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
    pthread_join(w->th, NULL);
    free(w->path);
    free(w->query);
    free(w->partial);
    free(w);
}

void skiff_api_client_free(skiff_api_client_t *c)
{
    if (!c) return;
    if (c->t->fini) c->t->fini(c);
    free(c);
}

/* ---- in-process transport ---- */

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

static void url_decode(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
            *o++ = (char)(hexval(p[1]) * 16 + hexval(p[2]));
            p += 2;
        } else if (*p == '+') *o++ = ' ';
        else *o++ = *p;
    }
    *o = '\0';
}

/* Split "a=b&c=d" into params (in place in `q`). */
static size_t parse_query(char *q, skiff_api_param_t *params, size_t max)
{
    size_t n = 0;
    char *save = NULL;
    for (char *t = q ? strtok_r(q, "&", &save) : NULL; t && n < max; t = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(t, '=');
        if (eq) *eq = '\0';
        url_decode(t);
        if (eq) url_decode(eq + 1);
        params[n].key = t;
        params[n].value = eq ? eq + 1 : "";
        n++;
    }
    return n;
}

static int local_call(skiff_api_client_t *c, const char *method, const char *path,
                      const char *query, const char *content_type, const char *body,
                      size_t body_len, skiff_api_result_t *res, skiff_error_t *err)
{
    char *q = query ? strdup(query) : NULL;
    if (query && !q) return skiff_error_set(err, -ENOMEM, "out of memory");
    skiff_api_param_t params[32];
    skiff_api_request_t rq = { .method = method, .path = path, .params = params,
                               .nparams = parse_query(q, params, 32), .content_type = content_type,
                               .accept = "application/json", .body = body, .body_len = body_len,
                               .discard_success_body = res->discard };
    skiff_api_response_t rs;
    int rc = skiff_api_server_handle(c->server, &rq, &rs);
    free(q);
    if (rc < 0 && !rs.body) return skiff_error_set(err, rc, "out of memory");
    skiff_api_stream_close(rs.stream);
    free(rs.warnings); /* admission warnings: an HTTP-only header */
    res->code = rs.code;
    res->body = rs.body ? rs.body : strdup("");
    res->len = rs.body_len;
    return 0;
}

static void local_event(void *ud, const char *type, const char *object, size_t len)
{
    skiff_api_client_watch_t *w = ud;
    if (!STOPPED(w)) w->cb(w->ud, type, object, len);
}

static int local_stream(skiff_api_client_t *c, const char *path, const char *query,
                        skiff_api_client_watch_t *w, skiff_error_t *err)
{
    char *q = strdup(query);
    if (!q) return skiff_error_set(err, -ENOMEM, "out of memory");
    skiff_api_param_t params[32];
    skiff_api_request_t rq = { .method = "GET", .path = path, .params = params,
                               .nparams = parse_query(q, params, 32), .accept = "application/json" };
    skiff_api_response_t rs;
    skiff_api_server_handle(c->server, &rq, &rs);
    free(q);
    if (!rs.stream) {
        /* an error Status: deliver it as an ERROR event */
        if (rs.body) {
            char *line = NULL;
            if (asprintf(&line, "{\"type\":\"ERROR\",\"object\":%.*s}\n", (int)rs.body_len, rs.body) >= 0) {
                skiff_api_watch_feed(w, line, strlen(line));
                free(line);
            }
        }
        skiff_api_response_free(&rs);
        return 0;
    }
    while (!STOPPED(w)) {
        char *data;
        size_t len;
        /* events of a pull stream come to local_event on this thread */
        int r = skiff_api_stream_pull(rs.stream, local_event, w, &data, &len, 200);
        if (r < 0) break;
        if (r == 1) { skiff_api_watch_feed(w, data, len); free(data); }
    }
    skiff_api_response_free(&rs);
    return 0;
}

const skiff_api_transport_t skiff_api_transport_local = { local_call, local_stream, NULL };

int skiff_api_client_local(skiff_api_server_t *s, skiff_api_client_t **out, skiff_error_t *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out) return skiff_error_set(err, -ENOMEM, "out of memory");
    (*out)->t = &skiff_api_transport_local;
    (*out)->server = s;
    return 0;
}
