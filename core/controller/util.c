/* core/controller/util — object helpers and the resources controllers watch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>

#include "controller/controller.h"

static const skiff_ctrl_resource_t resources[] = {
    { "pods", "/api/v1", "Pod", 1 },
    { "nodes", "/api/v1", "Node", 0 },
    { "namespaces", "/api/v1", "Namespace", 0 },
    { "services", "/api/v1", "Service", 1 },
    { "endpoints", "/api/v1", "Endpoints", 1 },
    { "configmaps", "/api/v1", "ConfigMap", 1 },
    { "secrets", "/api/v1", "Secret", 1 },
    { "serviceaccounts", "/api/v1", "ServiceAccount", 1 },
    { "replicasets", "/apis/apps/v1", "ReplicaSet", 1 },
    { "deployments", "/apis/apps/v1", "Deployment", 1 },
    { "daemonsets", "/apis/apps/v1", "DaemonSet", 1 },
    { "controllerrevisions", "/apis/apps/v1", "ControllerRevision", 1 },
    { "leases", "/apis/coordination.k8s.io/v1", "Lease", 1 },
    { "endpointslices", "/apis/discovery.k8s.io/v1", "EndpointSlice", 1 },
    { "poddisruptionbudgets", "/apis/policy/v1", "PodDisruptionBudget", 1 },
};

const skiff_ctrl_resource_t *skiff_ctrl_resource(const char *name)
{
    for (size_t i = 0; i < sizeof resources / sizeof resources[0]; i++)
        if (!strcmp(resources[i].name, name)) return &resources[i];
    return NULL;
}

const skiff_ctrl_resource_t *skiff_ctrl_resource_by_kind(const char *kind)
{
    for (size_t i = 0; kind && i < sizeof resources / sizeof resources[0]; i++)
        if (!strcmp(resources[i].kind, kind)) return &resources[i];
    return NULL;
}

void skiff_ctrl_path(const skiff_ctrl_resource_t *r, const char *ns, const char *name, char *out, size_t n)
{
    if (r->namespaced && ns && *ns)
        snprintf(out, n, "%s/namespaces/%s/%s%s%s", r->prefix, ns, r->name, name ? "/" : "", name ? name : "");
    else
        snprintf(out, n, "%s/%s%s%s", r->prefix, r->name, name ? "/" : "", name ? name : "");
}

static const cJSON *obj_at(const cJSON *o, const char *dotted);

const char *skiff_obj_str(const cJSON *o, const char *dotted)
{
    o = obj_at(o, dotted);
    return cJSON_IsString(o) ? o->valuestring : NULL;
}

/* Walks "a.b.c" without copying the path (a hot path: every pod of a
 * ReplicaSet is looked at on each of its syncs). */
static const cJSON *obj_at(const cJSON *o, const char *dotted)
{
    const char *p = dotted;
    while (o && *p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (!cJSON_IsObject(o)) return NULL;
        const cJSON *c = o->child;
        while (c && !(c->string && !strncmp(c->string, p, len) && c->string[len] == 0)) c = c->next;
        o = c;
        if (!dot) break;
        p = dot + 1;
    }
    return o;
}

int64_t skiff_obj_int(const cJSON *o, const char *dotted, int64_t dflt)
{
    const cJSON *v = obj_at(o, dotted);
    if (!cJSON_IsNumber(v)) return dflt;
    /* Clamped to the doubles that hold integers exactly: casting 1e308 to
     * int64 is undefined, and callers add and subtract what this returns. */
    const double lim = 9007199254740992.0; /* 2^53 */
    double d = v->valuedouble;
    return d != d ? dflt : d < -lim ? -(int64_t)lim : d > lim ? (int64_t)lim : (int64_t)d;
}

void skiff_obj_key(const cJSON *o, char *out, size_t n)
{
    const char *ns = skiff_obj_str(o, "metadata.namespace"), *name = skiff_obj_str(o, "metadata.name");
    if (ns && *ns) snprintf(out, n, "%s/%s", ns, name ? name : "");
    else snprintf(out, n, "%s", name ? name : "");
}

void skiff_key_split(const char *key, char *ns, size_t nns, char *name, size_t nname)
{
    const char *slash = strchr(key, '/');
    if (slash) {
        snprintf(ns, nns, "%.*s", (int)(slash - key), key);
        snprintf(name, nname, "%s", slash + 1);
    } else {
        snprintf(ns, nns, "%s", "");
        snprintf(name, nname, "%s", key);
    }
}

const cJSON *skiff_obj_controller_ref(const cJSON *o)
{
    const cJSON *refs = obj_at(o, "metadata.ownerReferences"), *r;
    cJSON_ArrayForEach(r, refs)
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "controller"))) return r;
    return NULL;
}

int skiff_pod_ready(const cJSON *pod)
{
    const cJSON *conds = obj_at(pod, "status.conditions"), *c;
    cJSON_ArrayForEach(c, conds) {
        const char *t = skiff_obj_str(c, "type"), *s = skiff_obj_str(c, "status");
        if (t && s && !strcmp(t, "Ready")) return !strcmp(s, "True");
    }
    return 0;
}

int skiff_pod_active(const cJSON *pod)
{
    const char *phase = skiff_obj_str(pod, "status.phase");
    if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))) return 0;
    return skiff_obj_str(pod, "metadata.deletionTimestamp") == NULL;
}

void skiff_rand_suffix(char *out, size_t count)
{
    static const char alpha[] = "bcdfghjklmnpqrstvwxz2456789";
    unsigned char b[64];
    if (count > sizeof b) count = sizeof b;
    if (getrandom(b, count, 0) != (ssize_t)count)
        for (size_t i = 0; i < count; i++) b[i] = (unsigned char)rand();
    for (size_t i = 0; i < count; i++) out[i] = alpha[b[i] % (sizeof alpha - 1)];
    out[count] = 0;
}

void skiff_now_rfc3339(char *out, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

cJSON *skiff_owner_ref(const cJSON *owner, const char *api_version, const char *kind)
{
    cJSON *r = cJSON_CreateObject();
    if (!r) return NULL;
    cJSON_AddStringToObject(r, "apiVersion", api_version);
    cJSON_AddStringToObject(r, "kind", kind);
    const char *name = skiff_obj_str(owner, "metadata.name"), *uid = skiff_obj_str(owner, "metadata.uid");
    cJSON_AddStringToObject(r, "name", name ? name : "");
    cJSON_AddStringToObject(r, "uid", uid ? uid : "");
    cJSON_AddBoolToObject(r, "controller", 1);
    cJSON_AddBoolToObject(r, "blockOwnerDeletion", 1);
    return r;
}
