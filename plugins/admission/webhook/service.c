/* admission/webhook — clientConfig.service resolution; see service.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/adm_util.h"
#include "service.h"

/* The Service port entry `port` (by number) targets: its port name and the
 * target port number (0 when the targetPort is a name, looked up later). */
static const cJSON *svc_port(const cJSON *svc, int port)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, adm_path(svc, "spec.ports")) {
        const cJSON *n = adm_get(p, "port");
        if (cJSON_IsNumber(n) && n->valueint == port) return p;
    }
    return NULL;
}

/* Does an endpoint port entry serve the Service port sp? By name (Kubernetes
 * matches Endpoints ports to Service ports by name; an unnamed single port
 * matches the unnamed one). */
static int ep_port_matches(const cJSON *ep, const cJSON *sp)
{
    const char *want = adm_str(sp, "name") ? adm_str(sp, "name") : "";
    const char *have = adm_str(ep, "name") ? adm_str(ep, "name") : "";
    return strcmp(want, have) == 0;
}

static void set_connect(webhook_target_t *t, const char *host, int port, const char *ip, int tport)
{
    int v6 = strchr(ip, ':') != NULL;
    snprintf(t->connect, sizeof t->connect, "%s:%d:%s%s%s:%d", host, port, v6 ? "[" : "", ip, v6 ? "]" : "", tport);
}

/* First ready address of the Service's EndpointSlices (conditions.ready
 * unset counts as ready, as in Kubernetes) on the port for sp. */
static int from_slices(const skiff_host_t *host, skiff_ctx_t *ctx, const char *ns, const char *name,
                       const cJSON *sp, char *ip, size_t iplen, int *tport)
{
    char path[400], sel[300];
    snprintf(path, sizeof path, "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices", ns);
    snprintf(sel, sizeof sel, "kubernetes.io/service-name=%s", name);
    char *json = NULL;
    skiff_error_t e;
    skiff_error_clear(&e);
    int rc = host->api_list(ctx, path, sel, NULL, &json, &e);
    cJSON *doc = rc == 0 && json ? cJSON_Parse(json) : NULL;
    host->api_free(json);
    int found = 0;
    const cJSON *slice, *p, *ep, *a;
    cJSON_ArrayForEach(slice, adm_get(doc, "items")) {
        if (found) break;
        int port = 0;
        cJSON_ArrayForEach(p, adm_get(slice, "ports"))
            if (ep_port_matches(p, sp) && cJSON_IsNumber(adm_get(p, "port"))) port = adm_get(p, "port")->valueint;
        if (!port) continue;
        cJSON_ArrayForEach(ep, adm_get(slice, "endpoints")) {
            if (cJSON_IsFalse(adm_path(ep, "conditions.ready"))) continue;
            a = cJSON_GetArrayItem(adm_get(ep, "addresses"), 0);
            if (!cJSON_IsString(a)) continue;
            snprintf(ip, iplen, "%s", a->valuestring);
            *tport = port;
            found = 1;
            break;
        }
    }
    cJSON_Delete(doc);
    return found;
}

/* The same from the Endpoints object (subsets[].addresses are the ready ones). */
static int from_endpoints(const skiff_host_t *host, skiff_ctx_t *ctx, const char *ns, const char *name,
                          const cJSON *sp, char *ip, size_t iplen, int *tport)
{
    char path[400];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/endpoints/%s", ns, name);
    char *json = NULL;
    skiff_error_t e;
    skiff_error_clear(&e);
    int rc = host->api_get(ctx, path, &json, &e);
    cJSON *doc = rc == 0 && json ? cJSON_Parse(json) : NULL;
    host->api_free(json);
    int found = 0;
    const cJSON *sub, *p, *a;
    cJSON_ArrayForEach(sub, adm_get(doc, "subsets")) {
        if (found) break;
        int port = 0;
        cJSON_ArrayForEach(p, adm_get(sub, "ports"))
            if (ep_port_matches(p, sp) && cJSON_IsNumber(adm_get(p, "port"))) port = adm_get(p, "port")->valueint;
        cJSON_ArrayForEach(a, adm_get(sub, "addresses")) {
            const char *aip = adm_str(a, "ip");
            if (!port || !aip) continue;
            snprintf(ip, iplen, "%s", aip);
            *tport = port;
            found = 1;
            break;
        }
    }
    cJSON_Delete(doc);
    return found;
}

int webhook_service_resolve(const skiff_host_t *host, skiff_ctx_t *ctx, const cJSON *svc,
                            webhook_target_t *t, char *why, size_t whylen)
{
    memset(t, 0, sizeof *t);
    const char *ns = adm_str(svc, "namespace"), *name = adm_str(svc, "name");
    const char *path = adm_str(svc, "path");
    const cJSON *pn = adm_get(svc, "port");
    int port = cJSON_IsNumber(pn) ? pn->valueint : 443;
    if (!ns || !*ns || !name || !*name) {
        snprintf(why, whylen, "clientConfig.service needs namespace and name");
        return -1;
    }
    char hostname[300];
    snprintf(hostname, sizeof hostname, "%s.%s.svc", name, ns);
    snprintf(t->url, sizeof t->url, "https://%s:%d%s", hostname, port, path && *path ? path : "");
    char p[400];
    snprintf(p, sizeof p, "/api/v1/namespaces/%s/services/%s", ns, name);
    char *json = NULL;
    skiff_error_t e;
    skiff_error_clear(&e);
    int rc = host->api_get(ctx, p, &json, &e);
    cJSON *s = rc == 0 && json ? cJSON_Parse(json) : NULL;
    host->api_free(json);
    if (!s) {
        if (rc == SKIFF_E_NOTFOUND) snprintf(why, whylen, "Post \"%s\": service \"%s\" not found", t->url, name);
        else snprintf(why, whylen, "Post \"%s\": reading service %s/%s: %s", t->url, ns, name, rc < 0 ? e.msg : "unreadable");
        return -1;
    }
    const cJSON *sp = svc_port(s, port);
    if (!sp) {
        snprintf(why, whylen, "Post \"%s\": service \"%s\" has no port %d", t->url, name, port);
        cJSON_Delete(s);
        return -1;
    }
    char ip[100];
    int tport = 0;
    if (from_slices(host, ctx, ns, name, sp, ip, sizeof ip, &tport) ||
        from_endpoints(host, ctx, ns, name, sp, ip, sizeof ip, &tport)) {
        set_connect(t, hostname, port, ip, tport);
        cJSON_Delete(s);
        return 0;
    }
    const char *cip = adm_str(s, "spec.clusterIP");
    if (cip && *cip && strcmp(cip, "None") != 0) {
        set_connect(t, hostname, port, cip, port);
        cJSON_Delete(s);
        return 0;
    }
    snprintf(why, whylen, "Post \"%s\": service \"%s\" has no ready endpoints and no clusterIP", t->url, name);
    cJSON_Delete(s);
    return -1;
}
