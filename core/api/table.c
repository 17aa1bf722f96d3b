/* core/api/table — meta.k8s.io/v1 Table responses with kubectl's columns.
 * kubectl prints cells as sent, so ages are formatted here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/kinds.h"

#define S(n) { n, "string", "", 0 }
#define SW(n) { n, "string", "", 1 }
#define I(n) { n, "integer", "", 0 }
#define NAME { "Name", "string", "name", 0 }
#define AGE { "Age", "string", "", 0 }
#define END { NULL, NULL, NULL, 0 }

static const apisrv_column_t default_cols[] = { NAME, AGE, END };

/* ---- cell helpers ---- */

static void add_str(cJSON *cells, const char *s) { cJSON_AddItemToArray(cells, cJSON_CreateString(s ? s : "")); }
static void add_or_none(cJSON *cells, const char *s) { add_str(cells, s && *s ? s : "<none>"); }
static void add_int(cJSON *cells, double v) { cJSON_AddItemToArray(cells, cJSON_CreateNumber(v)); }
static double num(const cJSON *obj, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(obj, a);
    if (b) x = cJSON_GetObjectItemCaseSensitive(x, b);
    return cJSON_IsNumber(x) ? x->valuedouble : 0;
}
static const cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }
static void add_age_of(cJSON *cells, const char *ts, int64_t now)
{
    int64_t t = apisrv_parse_time(ts);
    char buf[32];
    if (!t) { add_str(cells, "<unknown>"); return; }
    apisrv_human_age((now - t) / 1000000000, buf, sizeof buf);
    add_str(cells, buf);
}
static void add_age(cJSON *cells, const cJSON *obj, int64_t now)
{
    add_age_of(cells, apisrv_str(obj, "metadata.creationTimestamp"), now);
}
static void add_name(cJSON *cells, const cJSON *obj) { add_str(cells, apisrv_str(obj, "metadata.name")); }

/* "a=b,c=d" from a string map, "<none>" when empty */
static void map_text(const cJSON *m, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    const cJSON *x;
    cJSON_ArrayForEach(x, m) {
        if (!cJSON_IsString(x)) continue;
        int n = snprintf(buf + o, len - o, "%s%s=%s", o ? "," : "", x->string, x->valuestring);
        if (n < 0 || (size_t)n >= len - o) break;
        o += (size_t)n;
    }
    if (!o) snprintf(buf, len, "<none>");
}

/* containers' names and images, comma-joined */
static void containers_text(const cJSON *podspec, const char *field, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    const cJSON *c;
    cJSON_ArrayForEach(c, get(podspec, "containers")) {
        const char *v = apisrv_str(c, field);
        int n = snprintf(buf + o, len - o, "%s%s", o ? "," : "", v ? v : "");
        if (n < 0 || (size_t)n >= len - o) break;
        o += (size_t)n;
    }
}

static void selector_text(const cJSON *sel, char *buf, size_t len)
{
    const cJSON *ml = get(sel, "matchLabels");
    map_text(ml ? ml : sel, buf, len);
}

void apisrv_default_cells(const cJSON *obj, cJSON *cells, int64_t now)
{
    add_name(cells, obj);
    add_age(cells, obj, now);
}

/* ---- pods ---- */

const apisrv_column_t apisrv_cols_pod[] = {
    NAME, S("Ready"), S("Status"), S("Restarts"), AGE, SW("IP"), SW("Node"),
    SW("Nominated Node"), SW("Readiness Gates"), END
};

void apisrv_cells_pod(const cJSON *obj, cJSON *cells, int64_t now)
{
    const cJSON *spec = get(obj, "spec"), *st = get(obj, "status");
    int total = cJSON_GetArraySize(get(spec, "containers")), ready = 0, restarts = 0;
    const char *reason = apisrv_str(st, "reason");
    const char *phase = apisrv_str(st, "phase");
    const char *status = reason && *reason ? reason : phase ? phase : "Pending";
    const cJSON *cs;
    cJSON_ArrayForEach(cs, get(st, "containerStatuses")) {
        restarts += (int)num(cs, "restartCount", NULL);
        if (cJSON_IsTrue(get(cs, "ready"))) ready++;
        const char *w = apisrv_str(cs, "state.waiting.reason");
        const char *t = apisrv_str(cs, "state.terminated.reason");
        if (w && *w) status = w;
        else if (t && *t) status = t;
    }
    if (apisrv_str(obj, "metadata.deletionTimestamp")) status = "Terminating";
    char buf[64];
    add_name(cells, obj);
    snprintf(buf, sizeof buf, "%d/%d", ready, total);
    add_str(cells, buf);
    add_str(cells, status);
    snprintf(buf, sizeof buf, "%d", restarts);
    add_str(cells, buf);
    add_age(cells, obj, now);
    add_or_none(cells, apisrv_str(st, "podIP"));
    add_or_none(cells, apisrv_str(spec, "nodeName"));
    add_or_none(cells, apisrv_str(st, "nominatedNodeName"));
    add_str(cells, "<none>");
}

/* ---- nodes ---- */

const apisrv_column_t apisrv_cols_node[] = {
    NAME, S("Status"), S("Roles"), AGE, S("Version"), SW("Internal-IP"), SW("External-IP"),
    SW("OS-Image"), SW("Kernel-Version"), SW("Container-Runtime"), END
};

void apisrv_cells_node(const cJSON *obj, cJSON *cells, int64_t now)
{
    const cJSON *st = get(obj, "status");
    const char *ready = "Unknown";
    const cJSON *c;
    cJSON_ArrayForEach(c, get(st, "conditions")) {
        const char *t = apisrv_str(c, "type");
        if (t && strcmp(t, "Ready") == 0) {
            const char *v = apisrv_str(c, "status");
            ready = v && strcmp(v, "True") == 0 ? "Ready" : "NotReady";
        }
    }
    char status[64], roles[256] = "";
    snprintf(status, sizeof status, "%s%s", ready,
             cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(get(obj, "spec"), "unschedulable"))
                 ? ",SchedulingDisabled" : "");
    const cJSON *l;
    size_t o = 0;
    cJSON_ArrayForEach(l, get(get(obj, "metadata"), "labels")) {
        const char *pfx = "node-role.kubernetes.io/";
        if (strncmp(l->string, pfx, strlen(pfx)) == 0 && o < sizeof roles) {
            int n = snprintf(roles + o, sizeof roles - o, "%s%s", o ? "," : "", l->string + strlen(pfx));
            if (n > 0) o += (size_t)n;
        }
    }
    const char *iip = NULL, *eip = NULL;
    cJSON_ArrayForEach(c, get(st, "addresses")) {
        const char *t = apisrv_str(c, "type");
        if (t && strcmp(t, "InternalIP") == 0 && !iip) iip = apisrv_str(c, "address");
        if (t && strcmp(t, "ExternalIP") == 0 && !eip) eip = apisrv_str(c, "address");
    }
    add_name(cells, obj);
    add_str(cells, status);
    add_or_none(cells, roles);
    add_age(cells, obj, now);
    add_str(cells, apisrv_str(st, "nodeInfo.kubeletVersion"));
    add_or_none(cells, iip);
    add_or_none(cells, eip);
    add_str(cells, apisrv_str(st, "nodeInfo.osImage"));
    add_str(cells, apisrv_str(st, "nodeInfo.kernelVersion"));
    add_str(cells, apisrv_str(st, "nodeInfo.containerRuntimeVersion"));
}

/* ---- namespaces ---- */

const apisrv_column_t apisrv_cols_namespace[] = { NAME, S("Status"), AGE, END };

void apisrv_cells_namespace(const cJSON *obj, cJSON *cells, int64_t now)
{
    const char *p = apisrv_str(obj, "status.phase");
    add_name(cells, obj);
    add_str(cells, p ? p : "Active");
    add_age(cells, obj, now);
}

/* ---- services ---- */

const apisrv_column_t apisrv_cols_service[] = {
    NAME, S("Type"), S("Cluster-IP"), S("External-IP"), S("Port(s)"), AGE, SW("Selector"), END
};

void apisrv_cells_service(const cJSON *obj, cJSON *cells, int64_t now)
{
    const cJSON *spec = get(obj, "spec");
    const char *type = apisrv_str(spec, "type");
    char ports[512] = "", sel[512];
    size_t o = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, get(spec, "ports")) {
        const char *proto = apisrv_str(p, "protocol");
        int port = (int)num(p, "port", NULL), np = (int)num(p, "nodePort", NULL);
        int n = np ? snprintf(ports + o, sizeof ports - o, "%s%d:%d/%s", o ? "," : "", port, np, proto ? proto : "TCP")
                   : snprintf(ports + o, sizeof ports - o, "%s%d/%s", o ? "," : "", port, proto ? proto : "TCP");
        if (n < 0 || (size_t)n >= sizeof ports - o) break;
        o += (size_t)n;
    }
    const char *ext = "<none>";
    if (type && strcmp(type, "LoadBalancer") == 0) ext = "<pending>";
    if (type && strcmp(type, "ExternalName") == 0) ext = apisrv_str(spec, "externalName");
    map_text(get(spec, "selector"), sel, sizeof sel);
    add_name(cells, obj);
    add_str(cells, type ? type : "ClusterIP");
    add_or_none(cells, apisrv_str(spec, "clusterIP"));
    add_or_none(cells, ext);
    add_or_none(cells, ports);
    add_age(cells, obj, now);
    add_str(cells, sel);
}

/* ---- endpoints ---- */

const apisrv_column_t apisrv_cols_endpoints[] = { NAME, S("Endpoints"), AGE, END };

void apisrv_cells_endpoints(const cJSON *obj, cJSON *cells, int64_t now)
{
    char buf[512] = "";
    size_t o = 0;
    const cJSON *ss, *a, *p;
    cJSON_ArrayForEach(ss, get(obj, "subsets")) cJSON_ArrayForEach(a, get(ss, "addresses")) {
        const char *ip = apisrv_str(a, "ip");
        int any = 0;
        cJSON_ArrayForEach(p, get(ss, "ports")) {
            any = 1;
            int n = snprintf(buf + o, sizeof buf - o, "%s%s:%d", o ? "," : "", ip ? ip : "", (int)num(p, "port", NULL));
            if (n > 0 && (size_t)n < sizeof buf - o) o += (size_t)n;
        }
        if (!any) {
            int n = snprintf(buf + o, sizeof buf - o, "%s%s", o ? "," : "", ip ? ip : "");
            if (n > 0 && (size_t)n < sizeof buf - o) o += (size_t)n;
        }
    }
    add_name(cells, obj);
    add_or_none(cells, buf);
    add_age(cells, obj, now);
}

/* ---- configmaps, secrets, serviceaccounts ---- */

const apisrv_column_t apisrv_cols_configmap[] = { NAME, I("Data"), AGE, END };

void apisrv_cells_configmap(const cJSON *obj, cJSON *cells, int64_t now)
{
    add_name(cells, obj);
    add_int(cells, cJSON_GetArraySize(get(obj, "data")) + cJSON_GetArraySize(get(obj, "binaryData")));
    add_age(cells, obj, now);
}

const apisrv_column_t apisrv_cols_secret[] = { NAME, S("Type"), I("Data"), AGE, END };

void apisrv_cells_secret(const cJSON *obj, cJSON *cells, int64_t now)
{
    add_name(cells, obj);
    add_str(cells, apisrv_str(obj, "type"));
    add_int(cells, cJSON_GetArraySize(get(obj, "data")));
    add_age(cells, obj, now);
}

const apisrv_column_t apisrv_cols_serviceaccount[] = { NAME, I("Secrets"), AGE, END };

void apisrv_cells_serviceaccount(const cJSON *obj, cJSON *cells, int64_t now)
{
    add_name(cells, obj);
    add_int(cells, cJSON_GetArraySize(get(obj, "secrets")));
    add_age(cells, obj, now);
}

/* ---- events ---- */

const apisrv_column_t apisrv_cols_event[] = {
    { "Last Seen", "string", "", 0 }, S("Type"), S("Reason"), S("Object"), SW("Subobject"),
    SW("Source"), S("Message"), SW("First Seen"), SW("Count"), { "Name", "string", "name", 1 }, END
};

void apisrv_cells_event(const cJSON *obj, cJSON *cells, int64_t now)
{
    const cJSON *io = get(obj, "involvedObject");
    const char *last = apisrv_str(obj, "lastTimestamp");
    if (!last) last = apisrv_str(obj, "eventTime");
    if (!last) last = apisrv_str(obj, "metadata.creationTimestamp");
    const char *first = apisrv_str(obj, "firstTimestamp");
    if (!first) first = last;
    char objtxt[512], src[256], count[24];
    const char *kind = apisrv_str(io, "kind"), *name = apisrv_str(io, "name");
    char lk[64] = "";
    for (size_t i = 0; kind && kind[i] && i < sizeof lk - 1; i++) lk[i] = (char)(kind[i] >= 'A' && kind[i] <= 'Z' ? kind[i] + 32 : kind[i]);
    snprintf(objtxt, sizeof objtxt, "%s/%s", lk, name ? name : "");
    const char *comp = apisrv_str(obj, "source.component"), *host = apisrv_str(obj, "source.host");
    if (host && *host) snprintf(src, sizeof src, "%s, %s", comp ? comp : "", host);
    else snprintf(src, sizeof src, "%s", comp ? comp : "");
    snprintf(count, sizeof count, "%d", (int)num(obj, "count", NULL));
    add_age_of(cells, last, now);
    add_str(cells, apisrv_str(obj, "type"));
    add_str(cells, apisrv_str(obj, "reason"));
    add_str(cells, objtxt);
    add_str(cells, apisrv_str(io, "fieldPath"));
    add_str(cells, src);
    add_str(cells, apisrv_str(obj, "message"));
    add_age_of(cells, first, now);
    add_str(cells, count);
    add_name(cells, obj);
}

/* ---- apps ---- */

const apisrv_column_t apisrv_cols_deployment[] = {
    NAME, S("Ready"), I("Up-to-date"), I("Available"), AGE, SW("Containers"), SW("Images"),
    SW("Selector"), END
};

void apisrv_cells_deployment(const cJSON *obj, cJSON *cells, int64_t now)
{
    char buf[64], c[512], im[512], sel[512];
    const cJSON *spec = get(obj, "spec"), *st = get(obj, "status");
    const cJSON *rep = get(spec, "replicas");
    snprintf(buf, sizeof buf, "%d/%d", (int)num(st, "readyReplicas", NULL), cJSON_IsNumber(rep) ? rep->valueint : 1);
    const cJSON *ps = get(get(spec, "template"), "spec");
    containers_text(ps, "name", c, sizeof c);
    containers_text(ps, "image", im, sizeof im);
    selector_text(get(spec, "selector"), sel, sizeof sel);
    add_name(cells, obj);
    add_str(cells, buf);
    add_int(cells, num(st, "updatedReplicas", NULL));
    add_int(cells, num(st, "availableReplicas", NULL));
    add_age(cells, obj, now);
    add_str(cells, c);
    add_str(cells, im);
    add_str(cells, sel);
}

const apisrv_column_t apisrv_cols_replicaset[] = {
    NAME, I("Desired"), I("Current"), I("Ready"), AGE, SW("Containers"), SW("Images"),
    SW("Selector"), END
};

void apisrv_cells_replicaset(const cJSON *obj, cJSON *cells, int64_t now)
{
    char c[512], im[512], sel[512];
    const cJSON *spec = get(obj, "spec"), *st = get(obj, "status");
    const cJSON *rep = get(spec, "replicas");
    const cJSON *ps = get(get(spec, "template"), "spec");
    containers_text(ps, "name", c, sizeof c);
    containers_text(ps, "image", im, sizeof im);
    selector_text(get(spec, "selector"), sel, sizeof sel);
    add_name(cells, obj);
    add_int(cells, cJSON_IsNumber(rep) ? rep->valuedouble : 1);
    add_int(cells, num(st, "replicas", NULL));
    add_int(cells, num(st, "readyReplicas", NULL));
    add_age(cells, obj, now);
    add_str(cells, c);
    add_str(cells, im);
    add_str(cells, sel);
}

const apisrv_column_t apisrv_cols_daemonset[] = {
    NAME, I("Desired"), I("Current"), I("Ready"), I("Up-to-date"), I("Available"),
    S("Node Selector"), AGE, SW("Containers"), SW("Images"), SW("Selector"), END
};

void apisrv_cells_daemonset(const cJSON *obj, cJSON *cells, int64_t now)
{
    char c[512], im[512], sel[512], ns[512];
    const cJSON *spec = get(obj, "spec"), *st = get(obj, "status");
    const cJSON *ps = get(get(spec, "template"), "spec");
    containers_text(ps, "name", c, sizeof c);
    containers_text(ps, "image", im, sizeof im);
    selector_text(get(spec, "selector"), sel, sizeof sel);
    map_text(get(ps, "nodeSelector"), ns, sizeof ns);
    add_name(cells, obj);
    add_int(cells, num(st, "desiredNumberScheduled", NULL));
    add_int(cells, num(st, "currentNumberScheduled", NULL));
    add_int(cells, num(st, "numberReady", NULL));
    add_int(cells, num(st, "updatedNumberScheduled", NULL));
    add_int(cells, num(st, "numberAvailable", NULL));
    add_str(cells, ns);
    add_age(cells, obj, now);
    add_str(cells, c);
    add_str(cells, im);
    add_str(cells, sel);
}

/* ---- coordination, discovery, created-at kinds ---- */

/* kubectl get controllerrevisions: the controller as "daemonset.apps/web" */
const apisrv_column_t apisrv_cols_controllerrevision[] = { NAME, S("Controller"), I("Revision"), AGE, END };

void apisrv_cells_controllerrevision(const cJSON *obj, cJSON *cells, int64_t now)
{
    add_name(cells, obj);
    char ctl[400] = "";
    const cJSON *r;
    cJSON_ArrayForEach(r, get(get(obj, "metadata"), "ownerReferences")) {
        if (!cJSON_IsTrue(get(r, "controller"))) continue;
        const char *kind = apisrv_str(r, "kind"), *av = apisrv_str(r, "apiVersion"), *name = apisrv_str(r, "name");
        char lk[96] = "", grp[96] = "";
        for (size_t i = 0; kind && kind[i] && i < sizeof lk - 1; i++) lk[i] = (char)(kind[i] >= 'A' && kind[i] <= 'Z' ? kind[i] + 32 : kind[i]);
        const char *slash = av ? strchr(av, '/') : NULL;
        if (slash) snprintf(grp, sizeof grp, ".%.*s", (int)(slash - av), av);
        snprintf(ctl, sizeof ctl, "%s%s/%s", lk, grp, name ? name : "");
    }
    add_or_none(cells, ctl);
    add_int(cells, num(obj, "revision", NULL));
    add_age(cells, obj, now);
}

const apisrv_column_t apisrv_cols_priorityclass[] = {
    NAME, I("Value"), { "Global-Default", "boolean", "", 0 }, AGE, S("PreemptionPolicy"), END
};

void apisrv_cells_priorityclass(const cJSON *obj, cJSON *cells, int64_t now)
{
    add_name(cells, obj);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "value");
    add_int(cells, cJSON_IsNumber(v) ? v->valuedouble : 0);
    cJSON_AddItemToArray(cells, cJSON_CreateBool(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "globalDefault"))));
    add_age(cells, obj, now);
    add_str(cells, apisrv_str(obj, "preemptionPolicy"));
}

const apisrv_column_t apisrv_cols_lease[] = { NAME, S("Holder"), AGE, END };

void apisrv_cells_lease(const cJSON *obj, cJSON *cells, int64_t now)
{
    add_name(cells, obj);
    add_str(cells, apisrv_str(obj, "spec.holderIdentity"));
    add_age(cells, obj, now);
}

const apisrv_column_t apisrv_cols_endpointslice[] = {
    NAME, S("AddressType"), S("Ports"), S("Endpoints"), AGE, END
};

void apisrv_cells_endpointslice(const cJSON *obj, cJSON *cells, int64_t now)
{
    char ports[256] = "", eps[512] = "";
    size_t o = 0;
    const cJSON *p, *e, *a;
    cJSON_ArrayForEach(p, get(obj, "ports")) {
        int n = snprintf(ports + o, sizeof ports - o, "%s%d", o ? "," : "", (int)num(p, "port", NULL));
        if (n > 0 && (size_t)n < sizeof ports - o) o += (size_t)n;
    }
    o = 0;
    cJSON_ArrayForEach(e, get(obj, "endpoints")) cJSON_ArrayForEach(a, get(e, "addresses")) {
        if (!cJSON_IsString(a)) continue;
        int n = snprintf(eps + o, sizeof eps - o, "%s%s", o ? "," : "", a->valuestring);
        if (n > 0 && (size_t)n < sizeof eps - o) o += (size_t)n;
    }
    add_name(cells, obj);
    add_str(cells, apisrv_str(obj, "addressType"));
    add_or_none(cells, ports);
    add_or_none(cells, eps);
    add_age(cells, obj, now);
}

const apisrv_column_t apisrv_cols_created[] = { NAME, { "Created At", "date", "", 0 }, END };

void apisrv_cells_created(const cJSON *obj, cJSON *cells, int64_t now)
{
    (void)now;
    add_name(cells, obj);
    add_str(cells, apisrv_str(obj, "metadata.creationTimestamp"));
}

/* ---- the Table ---- */

cJSON *apisrv_table_new(const apisrv_call_t *c, int with_columns)
{
    cJSON *t = cJSON_CreateObject();
    if (!t) return NULL;
    cJSON_AddStringToObject(t, "kind", "Table");
    cJSON_AddStringToObject(t, "apiVersion", "meta.k8s.io/v1");
    cJSON_AddObjectToObject(t, "metadata");
    if (with_columns) {
        cJSON *defs = cJSON_AddArrayToObject(t, "columnDefinitions");
        const apisrv_column_t *cols = c->res && c->res->columns ? c->res->columns : default_cols;
        for (const apisrv_column_t *col = cols; col->name; col++) {
            cJSON *d = cJSON_CreateObject();
            cJSON_AddStringToObject(d, "name", col->name);
            cJSON_AddStringToObject(d, "type", col->type);
            cJSON_AddStringToObject(d, "format", col->format);
            cJSON_AddStringToObject(d, "description", "");
            cJSON_AddNumberToObject(d, "priority", col->priority);
            cJSON_AddItemToArray(defs, d);
        }
    }
    cJSON_AddArrayToObject(t, "rows");
    return t;
}

int apisrv_include_mode(const apisrv_call_t *c)
{
    const char *inc = apisrv_param(c, "includeObject");
    if (inc && strcmp(inc, "Object") == 0) return APISRV_INCLUDE_OBJECT;
    if (inc && strcmp(inc, "None") == 0) return APISRV_INCLUDE_NONE;
    return APISRV_INCLUDE_METADATA;
}

/* includeObject=Object → the full object; default (Metadata) →
 * PartialObjectMetadata (kubectl needs it for -A, -L, --show-labels). */
cJSON *apisrv_table_row(const apisrv_resource_t *r, cJSON *obj, int include, int64_t now)
{
    cJSON *row = cJSON_CreateObject();
    if (!row) { cJSON_Delete(obj); return NULL; }
    cJSON *cells = cJSON_AddArrayToObject(row, "cells");
    if (r && r->cells) r->cells(obj, cells, now);
    else apisrv_default_cells(obj, cells, now);
    if (include == APISRV_INCLUDE_OBJECT) {
        cJSON_AddItemToObject(row, "object", obj);
    } else if (include == APISRV_INCLUDE_NONE) {
        cJSON_Delete(obj);
    } else {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "kind", "PartialObjectMetadata");
        cJSON_AddStringToObject(p, "apiVersion", "meta.k8s.io/v1");
        cJSON *meta = cJSON_DetachItemFromObjectCaseSensitive(obj, "metadata");
        cJSON_AddItemToObject(p, "metadata", meta ? meta : cJSON_CreateObject());
        cJSON_AddItemToObject(row, "object", p);
        cJSON_Delete(obj);
    }
    return row;
}

int apisrv_table_add(const apisrv_call_t *c, cJSON *table, cJSON *obj)
{
    cJSON *row = apisrv_table_row(c->res, obj, apisrv_include_mode(c), c->now_ns);
    if (!row) return -1;
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(table, "rows"), row);
    return 0;
}
