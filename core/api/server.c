/* core/api/server — the server object and the URL router. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/authz.h"
#include "api/internal.h"
#include "api/satoken.h"
#include "store/fanout.h"
#include "api/watch_int.h"

const char *const apisrv_verb_names[APISRV_NVERBS] = {
    "GET", "LIST", "WATCH", "CREATE", "UPDATE", "PATCH", "DELETE", "DELETECOLLECTION", "OTHER"
};

int apisrv_httpd_start(skiff_api_server_t *s, skiff_error_t *err);
void apisrv_httpd_stop(skiff_api_server_t *s);

int skiff_api_server_new(const skiff_api_config_t *cfg, const skiff_store_ops_t *store_ops,
                         void *store_self, skiff_api_server_t **out, skiff_error_t *err)
{
    *out = NULL;
    if (!store_ops || !store_ops->get || !store_ops->range || !store_ops->txn || !store_ops->watch)
        return skiff_error_set(err, SKIFF_E_INVALID, "apiserver: the store lacks get/range/txn/watch");
    skiff_api_server_t *s = calloc(1, sizeof *s);
    if (!s) return skiff_error_set(err, -ENOMEM, "apiserver: out of memory");
    s->ops = store_ops;
    s->store = store_self;
    snprintf(s->listen, sizeof s->listen, "%s", cfg && cfg->listen ? cfg->listen : "");
    s->bookmark_ms = cfg && cfg->watch_bookmark_ms > 0 ? cfg->watch_bookmark_ms : 10000;
    s->event_ttl_ms = cfg && cfg->event_ttl_ms ? cfg->event_ttl_ms : 3600 * 1000;
    if (s->event_ttl_ms < 0) s->event_ttl_ms = 0;
    pthread_mutex_init(&s->alloc_mu, NULL);
    pthread_mutex_init(&s->watch_mu, NULL);
    s->hub_cap = cfg && cfg->watch_window ? cfg->watch_window : 20000;
    if (s->hub_cap < 1024) s->hub_cap = 1024;
    int rc = apisrv_service_ranges(s, cfg && cfg->service_cidr ? cfg->service_cidr : "10.96.0.0/12",
                                   cfg && cfg->node_port_range ? cfg->node_port_range : "30000-32767", err);
    if (rc == 0 && apisrv_metrics_new(&s->metrics) < 0)
        rc = skiff_error_set(err, -ENOMEM, "apiserver: out of memory");
    if (rc == 0) rc = apisrv_auth_init(s, cfg, err);
    if (rc == 0 && cfg && (!cfg->tls_cert_pem) != (!cfg->tls_key_pem))
        rc = skiff_error_set(err, SKIFF_E_INVALID, "apiserver: TLS needs both a certificate and a private key");
    if (rc == 0 && cfg && cfg->tls_cert_pem
        && (!(s->tls_cert = strdup(cfg->tls_cert_pem)) || !(s->tls_key = strdup(cfg->tls_key_pem))))
        rc = skiff_error_set(err, -ENOMEM, "apiserver: out of memory");
    for (size_t i = 0; rc == 0 && cfg && cfg->bus && i < apisrv_nresources && i < 64; i++) {
        if (apisrv_resources[i].handle) continue; /* virtual: nothing stored */
        char prefix[128];
        apisrv_key_prefix(&apisrv_resources[i], NULL, prefix, sizeof prefix);
        rc = apisrv_cache_new(s, cfg->bus, prefix, cfg->watch_window ? cfg->watch_window : 20000,
                              &s->caches[i], &s->fanouts[i], err);
    }
    if (rc < 0) { skiff_api_server_free(s); return rc; }
    *out = s;
    return 0;
}

void apisrv_note_write(skiff_api_server_t *s, const apisrv_resource_t *r, int64_t rev)
{
    size_t i = apisrv_resource_index(r);
    if (i >= 64) return;
    int64_t cur = __atomic_load_n(&s->last_write[i], __ATOMIC_RELAXED);
    while (cur < rev && !__atomic_compare_exchange_n(&s->last_write[i], &cur, rev, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
        ;
}

/* One lease per minute (a tenth of the TTL when that is short) for every
 * event written in it, living event_ttl past that window: events go an hour after their last write without a lease per
 * event (as kube-apiserver reuses etcd leases). */
int64_t apisrv_write_lease(apisrv_call_t *c)
{
    skiff_api_server_t *s = c->s;
    if (!s->event_ttl_ms || strcmp(c->res->kind, "Event") != 0 || !s->ops->lease_grant) return 0;
    int64_t now = c->now_ns / 1000000, id = 0;
    int64_t window = s->event_ttl_ms >= 600000 ? 60000 : s->event_ttl_ms / 10 + 1;
    pthread_mutex_lock(&s->alloc_mu);
    if (s->event_lease && now < s->event_lease_until) {
        id = s->event_lease;
    } else {
        skiff_error_t err;
        if (s->ops->lease_grant(s->store, s->event_ttl_ms + window, &id, &err) == 0) {
            s->event_lease = id;
            s->event_lease_until = now + window;
        } else {
            id = 0;
        }
    }
    pthread_mutex_unlock(&s->alloc_mu);
    return id;
}

int skiff_api_server_start(skiff_api_server_t *s, skiff_error_t *err)
{
    if (!s->listen[0]) return 0;
    return apisrv_httpd_start(s, err);
}

int skiff_api_server_port(const skiff_api_server_t *s) { return s ? s->port : 0; }
int skiff_api_server_tls(const skiff_api_server_t *s) { return s && s->tls_cert; }

void skiff_api_server_free(skiff_api_server_t *s)
{
    if (!s) return;
    apisrv_rbac_aggregate_stop(s); /* it writes through the server */
    s->stopping = 1;
    apisrv_watch_stop_all(s);
    apisrv_httpd_stop(s);
    apisrv_hubs_free(s);
    apisrv_pusher_free(s);
    for (size_t i = 0; i < 64; i++) apisrv_cache_free(s->caches[i]);
    for (size_t i = 0; i < 64; i++) skiff_fanout_free(s->fanouts[i]);
    apisrv_auth_fini(s);
    free(s->tls_cert);
    free(s->tls_key);
    apisrv_metrics_free(s->metrics);
    pthread_mutex_destroy(&s->alloc_mu);
    pthread_mutex_destroy(&s->watch_mu);
    free(s);
}

void skiff_api_response_free(skiff_api_response_t *resp)
{
    if (!resp) return;
    free(resp->body);
    resp->body = NULL;
    resp->body_len = 0;
    skiff_api_stream_close(resp->stream);
    resp->stream = NULL;
    free(resp->warnings);
    resp->warnings = NULL;
}

const char *apisrv_param(const apisrv_call_t *c, const char *key)
{
    for (size_t i = 0; i < c->req->nparams; i++)
        if (strcmp(c->req->params[i].key, key) == 0) return c->req->params[i].value;
    return NULL;
}

int apisrv_param_true(const apisrv_call_t *c, const char *key)
{
    const char *v = apisrv_param(c, key);
    return v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcmp(v, "True") == 0);
}

static int64_t now_ns(int clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int set_segment(apisrv_call_t *c, char *dst, size_t len, const char *v)
{
    if (strlen(v) >= len) return apisrv_fail(c, 400, "BadRequest", "path segment too long: %.64s...", v);
    snprintf(dst, len, "%s", v);
    return 0;
}

/* A resource request the server does not serve: kube authorizes before it
 * routes, so the caller learns 404 (or 405) only when allowed to ask. */
static int unrouted(apisrv_call_t *c, char **all, int nall, int code)
{
    if (apisrv_authorize_unrouted(c, all, nall) < 0) return 0;
    if (code == 405)
        return apisrv_fail(c, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    return apisrv_fail(c, 404, "NotFound", "the server could not find the requested resource");
}

/* /api/v1/... and /apis/G/V/...: segs point after the group version. */
static int route_resource(apisrv_call_t *c, const char *group, const char *version, char **segs,
                          int nseg, char **all, int nall)
{
    int i = 0;
    const char *method = c->req->method;
    /* /namespaces/NS/<resource>...; /namespaces/NAME[/status|/finalize] is the Namespace */
    if (nseg >= 3 && strcmp(segs[0], "namespaces") == 0
        && !(nseg == 3 && !*group && (strcmp(segs[2], "status") == 0 || strcmp(segs[2], "finalize") == 0))) {
        if (set_segment(c, c->ns, sizeof c->ns, segs[1])) return 0;
        i = 2;
    }
    c->res = apisrv_resource_find(group, version, segs[i]);
    if (!c->res || (c->ns[0] && !c->res->namespaced) || nseg - i > 3) {
        c->res = NULL;
        return unrouted(c, all, nall, 404);
    }
    if (nseg - i >= 2 && set_segment(c, c->name, sizeof c->name, segs[i + 1])) return 0;
    if (nseg - i == 3 && set_segment(c, c->sub, sizeof c->sub, segs[i + 2])) return 0;
    if (c->sub[0]) {
        unsigned bit = strcmp(c->sub, "status") == 0 ? APISRV_SUB_STATUS
                     : strcmp(c->sub, "scale") == 0 ? APISRV_SUB_SCALE
                     : strcmp(c->sub, "binding") == 0 ? APISRV_SUB_BINDING
                     : strcmp(c->sub, "eviction") == 0 ? APISRV_SUB_EVICTION
                     : strcmp(c->sub, "finalize") == 0 ? APISRV_SUB_FINALIZE
                     : strcmp(c->sub, "token") == 0 ? APISRV_SUB_TOKEN : 0;
        if (!(c->res->subs & bit)) return unrouted(c, all, nall, 404);
    }
    int named = c->name[0] != 0;
    if (strcmp(method, "GET") == 0)
        c->verb = named ? APISRV_VERB_GET : apisrv_param_true(c, "watch") ? APISRV_VERB_WATCH : APISRV_VERB_LIST;
    else if (strcmp(method, "POST") == 0) c->verb = named && !c->sub[0] ? APISRV_VERB_OTHER : APISRV_VERB_CREATE;
    else if (strcmp(method, "PUT") == 0) c->verb = named ? APISRV_VERB_UPDATE : APISRV_VERB_OTHER;
    else if (strcmp(method, "PATCH") == 0) c->verb = named ? APISRV_VERB_PATCH : APISRV_VERB_OTHER;
    else if (strcmp(method, "DELETE") == 0) c->verb = named ? APISRV_VERB_DELETE : APISRV_VERB_DELETECOLLECTION;
    else c->verb = APISRV_VERB_OTHER;
    if (c->verb == APISRV_VERB_OTHER) return unrouted(c, all, nall, 405);
    if (apisrv_authorize_resource(c) < 0) return 0;
    if (c->res->handle) return c->res->handle(c);
    if (c->sub[0] == 't' && strcmp(c->sub, "token") == 0) return apisrv_handle_token_request(c);
    return apisrv_handle_resource(c);
}

static int route(apisrv_call_t *c, char **segs, int nseg)
{
    const char *m = c->req->method;
    int resource_path = nseg >= 3 && strcmp(segs[0], "api") == 0 && strcmp(segs[1], "v1") == 0;
    resource_path |= nseg >= 4 && strcmp(segs[0], "apis") == 0;
    /* resource requests are decided once routed (route_resource) */
    if (!resource_path && apisrv_authorize_path(c) < 0) return 0;
    if (nseg == 0) return apisrv_handle_discovery(c, segs, nseg);
    for (int i = 0; i < nseg; i++)
        if (strcmp(segs[i], "..") == 0 || strcmp(segs[i], ".") == 0)
            return apisrv_fail(c, 400, "BadRequest", "invalid path segment \"%s\": may not be '.' or '..'", segs[i]);
    if (strcmp(segs[0], "healthz") == 0 || strcmp(segs[0], "readyz") == 0 || strcmp(segs[0], "livez") == 0)
        return apisrv_reply_text(c, 200, "text/plain; charset=utf-8", "ok");
    if (strcmp(segs[0], "metrics") == 0) return apisrv_handle_metrics(c);
    if (strcmp(segs[0], "openapi") == 0) return apisrv_handle_openapi(c, segs, nseg);
    if (nseg == 2 && strcmp(segs[0], ".well-known") == 0 && strcmp(segs[1], "openid-configuration") == 0)
        return apisrv_handle_oidc(c, 0);
    if (nseg == 3 && strcmp(segs[0], "openid") == 0 && strcmp(segs[1], "v1") == 0 && strcmp(segs[2], "jwks") == 0)
        return apisrv_handle_oidc(c, 1);
    if (strcmp(segs[0], "api") == 0 && nseg >= 3) {
        if (strcmp(segs[1], "v1") != 0) return unrouted(c, segs, nseg, 404);
        return route_resource(c, "", "v1", segs + 2, nseg - 2, segs, nseg);
    }
    if (strcmp(segs[0], "apis") == 0 && nseg >= 4) {
        if (!apisrv_resource_find(segs[1], segs[2], segs[3]) && !(strcmp(segs[3], "namespaces") == 0 && nseg >= 6))
            return unrouted(c, segs, nseg, 404);
        return route_resource(c, segs[1], segs[2], segs + 3, nseg - 3, segs, nseg);
    }
    if (strcmp(m, "GET") != 0)
        return apisrv_fail(c, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    return apisrv_handle_discovery(c, segs, nseg);
}

int skiff_api_server_handle(skiff_api_server_t *s, const skiff_api_request_t *req,
                            skiff_api_response_t *resp)
{
    memset(resp, 0, sizeof *resp);
    apisrv_call_t *c = malloc(sizeof *c);
    if (!c) return -ENOMEM;
    memset(c, 0, APISRV_CALL_ZEROED);
    c->ns[0] = c->name[0] = c->sub[0] = '\0';
    c->s = s;
    c->req = req;
    c->resp = resp;
    c->verb = APISRV_VERB_OTHER;
    c->now_ns = now_ns(CLOCK_REALTIME);
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    c->table = req->accept && strstr(req->accept, "as=Table") != NULL;
    if (!req->remote) {
        c->user = req->user ? req->user : &skiff_api_user_component;
    } else if (apisrv_authenticate_call(c) < 0) {
        c->user = &skiff_api_user_anonymous;
        int rc = apisrv_fail(c, 401, "Unauthorized", "Unauthorized");
        apisrv_metrics_observe(s->metrics, NULL, c->verb, resp->code, now_ns(CLOCK_MONOTONIC) - t0);
        free(c);
        return rc == -ENOMEM ? rc : 0;
    }
    if (req->remote && apisrv_impersonate(c) < 0) { /* kubectl --as */
        apisrv_metrics_observe(s->metrics, NULL, c->verb, resp->code, now_ns(CLOCK_MONOTONIC) - t0);
        free(c);
        return 0;
    }
    char *path = strdup(req->path ? req->path : "/");
    char *segs[16];
    int nseg = 0, rc = 0;
    if (!path) { free(c); return -ENOMEM; }
    char *save = NULL;
    for (char *t = strtok_r(path, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (nseg == 16) { nseg = -1; break; }
        segs[nseg++] = t;
    }
    if (nseg < 0) rc = apisrv_fail(c, 404, "NotFound", "the server could not find the requested resource");
    else rc = route(c, segs, nseg);
    if (!resp->code) rc = apisrv_fail(c, 500, "InternalError", "no response was produced");
    apisrv_metrics_observe(s->metrics, c->res, c->verb, resp->code, now_ns(CLOCK_MONOTONIC) - t0);
    free(path);
    free(c);
    return rc < 0 && rc == -ENOMEM ? rc : 0;
}
