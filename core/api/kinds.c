/* core/api/kinds — Kubernetes defaults and kind-specific validation, applied
 * on create and update (old = previous object, NULL on create). Field names,
 * defaults and messages follow kube-apiserver's. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/manifest.h"
#include "api/json_util.h"
#include "api/kinds.h"
#include "util/quantity.h"

static cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

/* Wrongly typed values are reported (kube refuses to decode them), never
 * silently replaced by the default. */
static __thread apisrv_invalid_t *tls_inv;

static void type_error(const char *k, const char *want)
{
    if (tls_inv) apisrv_invalid_add(tls_inv, "FieldValueInvalid", k, "Invalid value: must be %s", want);
}

/* k is always a literal here: the member points at it (json_util.h), and
 * the value is one allocation. Set only when absent, null or empty. */
static void def_str(cJSON *o, const char *k, const char *v)
{
    cJSON *x = get(o, k);
    if (x && !cJSON_IsString(x) && !cJSON_IsNull(x)) { type_error(k, "a string"); return; }
    if (!cJSON_IsString(x) || !*x->valuestring) {
        if (x) cJSON_DeleteItemFromObjectCaseSensitive(o, k);
        skiff_api_json_add_lit(o, k, skiff_api_json_string(v));
    }
}

static void def_num(cJSON *o, const char *k, double v)
{
    cJSON *x = get(o, k);
    if (x && !cJSON_IsNumber(x) && !cJSON_IsNull(x)) { type_error(k, "an integer"); return; }
    if (!cJSON_IsNumber(x)) {
        if (x) cJSON_DeleteItemFromObjectCaseSensitive(o, k);
        skiff_api_json_add_lit(o, k, cJSON_CreateNumber(v));
    }
}

/* apisrv_obj_at for a literal k: the member object k of o, made (or made an
 * object) when it is not one. */
static cJSON *obj_at_lit(cJSON *o, const char *k)
{
    cJSON *x = get(o, k);
    if (cJSON_IsObject(x)) return x;
    if (x) cJSON_DeleteItemFromObjectCaseSensitive(o, k);
    x = cJSON_CreateObject();
    return skiff_api_json_add_lit(o, k, x) ? NULL : x;
}

static int image_is_latest(const char *image)
{
    if (strchr(image, '@')) return 0;
    const char *slash = strrchr(image, '/');
    const char *colon = strrchr(slash ? slash : image, ':');
    return !colon || strcmp(colon, ":latest") == 0;
}

/* Where a container is: "<spec>.<list>[<i>]", printed only for an error
 * (an snprintf per container and per quantity was a visible share of a
 * pod create). */
typedef struct { const char *spec, *list; int i; } ctr_path_t;

static void ctr_where(const ctr_path_t *p, const char *tail, char *buf, size_t len)
{
    snprintf(buf, len, "%s.%s[%d]%s", p->spec, p->list, p->i, tail);
}

/* resources.requests/limits: every quantity parsed and written back in
 * Kubernetes' canonical form ("0.5" -> "500m", "1024Mi" -> "1Gi"). */
static void normalise_resources(cJSON *res, const ctr_path_t *path, apisrv_invalid_t *inv)
{
    static const char *const groups[] = { "requests", "limits" };
    for (size_t g = 0; g < 2; g++) {
        cJSON *m = cJSON_GetObjectItemCaseSensitive(res, groups[g]);
        cJSON *q;
        cJSON_ArrayForEach(q, m) {
            char f[256], txt[64], out[64];
            const char *bad = NULL;
            if (cJSON_IsNumber(q)) skiff_manifest_format_number(q->valuedouble, txt, sizeof txt); /* 0.1, not 0.10000000000000001 (→ 101m) */
            else if (cJSON_IsString(q)) snprintf(txt, sizeof txt, "%s", q->valuestring);
            else bad = "must be a quantity";
            int64_t milli = 0;
            skiff_error_t err;
            if (!bad && skiff_quantity_parse(txt, &milli, &err) < 0) bad = err.msg;
            if (!bad && milli < 0) bad = "must be greater than or equal to 0";
            if (bad) {
                char cp[160];
                ctr_where(path, "", cp, sizeof cp);
                snprintf(f, sizeof f, "%s.resources.%s[%s]", cp, groups[g], q->string);
                if (bad == err.msg || milli < 0)
                    apisrv_invalid_add(inv, "FieldValueInvalid", f, "Invalid value: \"%.40s\": %s", txt, bad);
                else
                    apisrv_invalid_add(inv, "FieldValueInvalid", f, "Invalid value: %s", bad);
                continue;
            }
            skiff_quantity_format(milli, strchr(txt, 'i') != NULL, out, sizeof out);
            if (cJSON_IsString(q) && !strcmp(q->valuestring, out)) continue; /* canonical already */
            cJSON *nq = skiff_api_json_string(out);
            if (!nq) continue;
            /* the member name moves over (ReplaceItemViaPointer keeps none) */
            nq->string = q->string;
            nq->type |= q->type & cJSON_StringIsConst;
            q->string = NULL;
            cJSON_ReplaceItemViaPointer(m, q, nq);
            q = nq;
        }
    }
}

static void default_containers(cJSON *list, const char *spath, const char *lname, apisrv_invalid_t *inv, int required)
{
    char f[300];
    if (required && cJSON_GetArraySize(list) == 0) {
        snprintf(f, sizeof f, "%s.%s", spath, lname);
        apisrv_invalid_add(inv, "FieldValueRequired", f, "Required value");
        return;
    }
    ctr_path_t at = { spath, lname, 0 };
    cJSON *c;
    cJSON_ArrayForEach(c, list) {
        if (!cJSON_IsObject(c)) {
            ctr_where(&at, "", f, sizeof f);
            apisrv_invalid_add(inv, "FieldValueInvalid", f, "Invalid value: must be an object");
            at.i++;
            continue;
        }
        const cJSON *nm = get(c, "name"), *im = get(c, "image");
        const char *name = cJSON_IsString(nm) ? nm->valuestring : NULL, *image = cJSON_IsString(im) ? im->valuestring : NULL;
        if (!name || !*name) {
            ctr_where(&at, ".name", f, sizeof f);
            apisrv_invalid_add(inv, "FieldValueRequired", f, "Required value");
        }
        if (!image || !*image) {
            ctr_where(&at, ".image", f, sizeof f);
            apisrv_invalid_add(inv, "FieldValueRequired", f, "Required value");
        } else {
            def_str(c, "imagePullPolicy", image_is_latest(image) ? "Always" : "IfNotPresent");
        }
        def_str(c, "terminationMessagePath", "/dev/termination-log");
        def_str(c, "terminationMessagePolicy", "File");
        normalise_resources(obj_at_lit(c, "resources"), &at, inv);
        cJSON *p;
        cJSON_ArrayForEach(p, get(c, "ports")) if (cJSON_IsObject(p)) def_str(p, "protocol", "TCP");
        at.i++;
    }
}

/* Defaults of a PodSpec (pods and workload templates). */
static void default_podspec(cJSON *spec, const char *path, apisrv_invalid_t *inv)
{
    def_str(spec, "restartPolicy", "Always");
    def_num(spec, "terminationGracePeriodSeconds", 30);
    def_str(spec, "dnsPolicy", "ClusterFirst");
    def_str(spec, "schedulerName", "default-scheduler");
    if (!cJSON_IsObject(get(spec, "securityContext"))) obj_at_lit(spec, "securityContext");
    const char *rp = apisrv_str(spec, "restartPolicy");
    if (rp && strcmp(rp, "Always") && strcmp(rp, "OnFailure") && strcmp(rp, "Never")) {
        char f[160];
        snprintf(f, sizeof f, "%s.restartPolicy", path);
        apisrv_invalid_add(inv, "FieldValueNotSupported", f,
                           "Unsupported value: \"%s\": supported values: \"Always\", \"OnFailure\", \"Never\"", rp);
    }
    default_containers(get(spec, "containers"), path, "containers", inv, 1);
    default_containers(get(spec, "initContainers"), path, "initContainers", inv, 0);
}

int apisrv_prepare_pod(apisrv_call_t *c, cJSON *obj, const cJSON *old, apisrv_invalid_t *inv)
{
    tls_inv = inv;
    (void)c;
    cJSON *spec = get(obj, "spec");
    if (!cJSON_IsObject(spec)) {
        apisrv_invalid_add(inv, "FieldValueRequired", "spec.containers", "Required value");
        return 0;
    }
    default_podspec(spec, "spec", inv);
    if (!old) {
        cJSON *st = obj_at_lit(obj, "status");
        def_str(st, "phase", "Pending");
        def_str(st, "qosClass", "BestEffort");
    } else {
        /* most of a pod's spec is immutable once created */
        const cJSON *os = get(old, "spec");
        if (!cJSON_Compare(get(spec, "containers"), get(os, "containers"), 1)) {
            /* only images may change */
            int n = cJSON_GetArraySize(get(spec, "containers"));
            int same = n == cJSON_GetArraySize(get(os, "containers"));
            for (int i = 0; same && i < n; i++) {
                cJSON *a = cJSON_Duplicate(cJSON_GetArrayItem(get(spec, "containers"), i), 1);
                cJSON *b = cJSON_Duplicate(cJSON_GetArrayItem(get(os, "containers"), i), 1);
                cJSON_DeleteItemFromObjectCaseSensitive(a, "image");
                cJSON_DeleteItemFromObjectCaseSensitive(b, "image");
                same = cJSON_Compare(a, b, 1);
                cJSON_Delete(a);
                cJSON_Delete(b);
            }
            if (!same)
                apisrv_invalid_add(inv, "FieldValueForbidden", "spec",
                                   "Forbidden: pod updates may not change fields other than `spec.containers[*].image`, "
                                   "`spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, "
                                   "`spec.tolerations` (only additions to existing tolerations), "
                                   "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)");
        }
        const char *on = apisrv_str(os, "nodeName"), *nn = apisrv_str(spec, "nodeName");
        if (on && *on && (!nn || strcmp(on, nn) != 0))
            apisrv_invalid_add(inv, "FieldValueForbidden", "spec.nodeName", "Forbidden: field is immutable");
    }
    return 0;
}

static int labels_match_selector(const cJSON *ml, const cJSON *labels)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, ml) {
        const cJSON *l = get(labels, x->string);
        if (!cJSON_IsString(x) || !cJSON_IsString(l) || strcmp(x->valuestring, l->valuestring) != 0) return 0;
    }
    return 1;
}

int apisrv_prepare_workload(apisrv_call_t *c, cJSON *obj, const cJSON *old, apisrv_invalid_t *inv)
{
    tls_inv = inv;
    const char *kind = c->res->kind;
    cJSON *spec = get(obj, "spec");
    if (!cJSON_IsObject(spec)) {
        apisrv_invalid_add(inv, "FieldValueRequired", "spec.selector", "Required value");
        return 0;
    }
    if (strcmp(kind, "DaemonSet") != 0) def_num(spec, "replicas", 1);
    def_num(spec, "revisionHistoryLimit", 10);
    if (strcmp(kind, "Deployment") == 0) {
        def_num(spec, "progressDeadlineSeconds", 600);
        cJSON *st = apisrv_obj_at(spec, "strategy");
        def_str(st, "type", "RollingUpdate");
        const char *type = apisrv_str(st, "type"); /* NULL when not a string: def_str reported it */
        if (type && strcmp(type, "RollingUpdate") == 0) {
            cJSON *ru = apisrv_obj_at(st, "rollingUpdate");
            if (!get(ru, "maxUnavailable")) cJSON_AddStringToObject(ru, "maxUnavailable", "25%");
            if (!get(ru, "maxSurge")) cJSON_AddStringToObject(ru, "maxSurge", "25%");
        }
    } else if (strcmp(kind, "DaemonSet") == 0) {
        cJSON *st = apisrv_obj_at(spec, "updateStrategy");
        def_str(st, "type", "RollingUpdate");
        const char *type = apisrv_str(st, "type");
        if (type && strcmp(type, "RollingUpdate") == 0) {
            cJSON *ru = apisrv_obj_at(st, "rollingUpdate");
            if (!get(ru, "maxUnavailable")) cJSON_AddNumberToObject(ru, "maxUnavailable", 1);
            if (!get(ru, "maxSurge")) cJSON_AddNumberToObject(ru, "maxSurge", 0);
        }
    }
    const cJSON *rep = get(spec, "replicas");
    if (cJSON_IsNumber(rep) && rep->valuedouble < 0)
        apisrv_invalid_add(inv, "FieldValueInvalid", "spec.replicas",
                           "Invalid value: %d: must be greater than or equal to 0", rep->valueint);
    cJSON *sel = get(spec, "selector");
    cJSON *ml = get(sel, "matchLabels");
    if (!cJSON_IsObject(sel) || (cJSON_GetArraySize(ml) == 0 && cJSON_GetArraySize(get(sel, "matchExpressions")) == 0)) {
        apisrv_invalid_add(inv, "FieldValueRequired", "spec.selector", "Required value");
    }
    cJSON *tmpl = get(spec, "template");
    cJSON *labels = get(get(tmpl, "metadata"), "labels");
    if (cJSON_GetArraySize(ml) > 0 && !labels_match_selector(ml, labels))
        apisrv_invalid_add(inv, "FieldValueInvalid", "spec.template.metadata.labels",
                           "Invalid value: %s: `selector` does not match template `labels`", "map[string]string{...}");
    cJSON *ps = get(tmpl, "spec");
    if (!cJSON_IsObject(ps)) apisrv_invalid_add(inv, "FieldValueRequired", "spec.template.spec.containers", "Required value");
    else default_podspec(ps, "spec.template.spec", inv);
    if (old && !cJSON_Compare(sel, get(get(old, "spec"), "selector"), 1))
        apisrv_invalid_add(inv, "FieldValueInvalid", "spec.selector",
                           "Invalid value: the selector: field is immutable");
    return 0;
}

/* As kube's namespace strategy: a new namespace always carries the
 * "kubernetes" finalizer (the namespace controller's), and spec.finalizers
 * changes only through the finalize subresource. */
int apisrv_prepare_namespace(apisrv_call_t *c, cJSON *obj, const cJSON *old, apisrv_invalid_t *inv)
{
    tls_inv = inv;
    (void)inv;
    cJSON *spec = apisrv_obj_at(obj, "spec");
    if (!old) {
        cJSON *fs = get(spec, "finalizers"), *f;
        int have = 0;
        cJSON_ArrayForEach(f, fs) if (cJSON_IsString(f) && !strcmp(f->valuestring, "kubernetes")) have = 1;
        if (!cJSON_IsArray(fs)) {
            cJSON_DeleteItemFromObjectCaseSensitive(spec, "finalizers");
            fs = cJSON_AddArrayToObject(spec, "finalizers");
        }
        if (fs && !have) cJSON_AddItemToArray(fs, cJSON_CreateString("kubernetes"));
    } else if (strcmp(c->sub, "finalize") != 0) {
        cJSON *of = cJSON_Duplicate(get(get(old, "spec"), "finalizers"), 1);
        cJSON_DeleteItemFromObjectCaseSensitive(spec, "finalizers");
        if (of) cJSON_AddItemToObject(spec, "finalizers", of);
    }
    cJSON *st = apisrv_obj_at(obj, "status");
    def_str(st, "phase", "Active");
    cJSON *labels = apisrv_obj_at(apisrv_obj_at(obj, "metadata"), "labels");
    const char *name = apisrv_str(obj, "metadata.name");
    if (name) {
        cJSON_DeleteItemFromObjectCaseSensitive(labels, "kubernetes.io/metadata.name");
        cJSON_AddStringToObject(labels, "kubernetes.io/metadata.name", name);
    }
    return 0;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64(const char *s)
{
    size_t n = strlen(s), o = 0;
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (!out) return NULL;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)s[i] << 16;
        if (i + 1 < n) v |= (unsigned char)s[i + 1] << 8;
        if (i + 2 < n) v |= (unsigned char)s[i + 2];
        out[o++] = B64[(v >> 18) & 63];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = i + 1 < n ? B64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? B64[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

static int is_b64(const char *s)
{
    size_t n = strlen(s);
    if (n % 4) return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '=' && i >= n - 2) continue;
        if (!strchr(B64, s[i]) || s[i] == '\0') return 0;
    }
    return 1;
}

int apisrv_prepare_secret(apisrv_call_t *c, cJSON *obj, const cJSON *old, apisrv_invalid_t *inv)
{
    tls_inv = inv;
    (void)c; (void)old;
    def_str(obj, "type", "Opaque");
    cJSON *sd = cJSON_DetachItemFromObjectCaseSensitive(obj, "stringData");
    if (cJSON_IsObject(sd)) {
        cJSON *data = apisrv_obj_at(obj, "data");
        cJSON *x;
        cJSON_ArrayForEach(x, sd) {
            if (!cJSON_IsString(x)) continue;
            char *e = b64(x->valuestring);
            if (!e) continue;
            cJSON_DeleteItemFromObjectCaseSensitive(data, x->string);
            cJSON_AddStringToObject(data, x->string, e);
            free(e);
        }
    }
    cJSON_Delete(sd);
    cJSON *x;
    cJSON_ArrayForEach(x, get(obj, "data")) {
        if (!cJSON_IsString(x) || !is_b64(x->valuestring)) {
            char f[300];
            snprintf(f, sizeof f, "data[%s]", x->string);
            apisrv_invalid_add(inv, "FieldValueInvalid", f, "Invalid value: illegal base64 data");
        }
    }
    return 0;
}

int apisrv_prepare_event(apisrv_call_t *c, cJSON *obj, const cJSON *old, apisrv_invalid_t *inv)
{
    tls_inv = inv;
    (void)old;
    cJSON *io = get(obj, "involvedObject");
    if (!cJSON_IsObject(io)) {
        apisrv_invalid_add(inv, "FieldValueRequired", "involvedObject", "Required value");
        return 0;
    }
    if (!apisrv_str(io, "namespace") && *c->ns) cJSON_AddStringToObject(io, "namespace", c->ns);
    def_str(obj, "type", "Normal");
    return 0;
}

/* ---- services: ClusterIP and NodePort allocation ----
 * Uniqueness comes from the store: every allocated IP/port has a key under
 * /registry/ranges/... created with an ABSENT compare in the same
 * transaction as the Service, so two creates can never get the same one. */

static int parse_cidr(const char *cidr, uint32_t *base, uint32_t *size)
{
    char ip[64];
    const char *slash = strchr(cidr, '/');
    if (!slash || (size_t)(slash - cidr) >= sizeof ip) return -1;
    memcpy(ip, cidr, (size_t)(slash - cidr));
    ip[slash - cidr] = '\0';
    int bits = atoi(slash + 1);
    struct in_addr a;
    if (inet_pton(AF_INET, ip, &a) != 1 || bits < 8 || bits > 30) return -1;
    uint32_t mask = bits == 0 ? 0 : 0xffffffffu << (32 - bits);
    *base = ntohl(a.s_addr) & mask;
    *size = 1u << (32 - bits);
    return 0;
}

int apisrv_service_ranges(skiff_api_server_t *s, const char *cidr, const char *ports,
                          skiff_error_t *err)
{
    if (parse_cidr(cidr, &s->svc_base, &s->svc_size) < 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "service_cidr \"%s\": expected an IPv4 CIDR like 10.96.0.0/12 (prefix 8-30)", cidr);
    if (sscanf(ports, "%d-%d", &s->np_lo, &s->np_hi) != 2 || s->np_lo < 1 || s->np_hi > 65535 || s->np_lo > s->np_hi)
        return skiff_error_set(err, SKIFF_E_INVALID, "node_port_range \"%s\": expected LOW-HIGH like 30000-32767", ports);
    s->svc_next = 1;
    s->np_next = s->np_lo;
    return 0;
}

static void add_claim(apisrv_call_t *c, const char *kind, const char *val)
{
    if (c->nx >= APISRV_MAX_EXTRA) return;
    int i = c->nx++;
    snprintf(c->xkeys[i], sizeof c->xkeys[i], "/registry/ranges/%s/%s", kind, val);
    c->xcmp[c->nxc++] = (skiff_store_cmp_t){ SKIFF_STORE_CMP_ABSENT, c->xkeys[i], strlen(c->xkeys[i]), 0 };
    c->xop[c->nxo++] = (skiff_store_op_t){ SKIFF_STORE_OP_PUT, c->xkeys[i], strlen(c->xkeys[i]), "1", 1, 0 };
}

static void add_release(apisrv_call_t *c, const char *kind, const char *val)
{
    if (c->nx >= APISRV_MAX_EXTRA) return;
    int i = c->nx++;
    snprintf(c->xkeys[i], sizeof c->xkeys[i], "/registry/ranges/%s/%s", kind, val);
    c->xop[c->nxo++] = (skiff_store_op_t){ SKIFF_STORE_OP_DELETE, c->xkeys[i], strlen(c->xkeys[i]), NULL, 0, 0 };
}

int apisrv_prepare_service(apisrv_call_t *c, cJSON *obj, const cJSON *old, apisrv_invalid_t *inv)
{
    tls_inv = inv;
    skiff_api_server_t *s = c->s;
    cJSON *spec = apisrv_obj_at(obj, "spec");
    def_str(spec, "type", "ClusterIP");
    def_str(spec, "sessionAffinity", "None");
    const char *type = apisrv_str(spec, "type");
    int external = strcmp(type, "ExternalName") == 0;
    int nodeport = strcmp(type, "NodePort") == 0 || strcmp(type, "LoadBalancer") == 0;
    if (strcmp(type, "ClusterIP") && !nodeport && !external)
        apisrv_invalid_add(inv, "FieldValueNotSupported", "spec.type",
                           "Unsupported value: \"%s\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"", type);
    const cJSON *ospec = old ? get(old, "spec") : NULL;
    int i = 0;
    cJSON *p;
    cJSON *ports = get(spec, "ports");
    if (!external && cJSON_GetArraySize(ports) == 0 && !(apisrv_str(spec, "clusterIP") && strcmp(apisrv_str(spec, "clusterIP"), "None") == 0))
        apisrv_invalid_add(inv, "FieldValueRequired", "spec.ports", "Required value");
    cJSON_ArrayForEach(p, ports) {
        char f[64];
        def_str(p, "protocol", "TCP");
        cJSON *port = get(p, "port");
        if (!cJSON_IsNumber(port) || port->valueint < 1 || port->valueint > 65535) {
            snprintf(f, sizeof f, "spec.ports[%d].port", i);
            apisrv_invalid_add(inv, "FieldValueInvalid", f, "Invalid value: %d: must be between 1 and 65535, inclusive",
                               cJSON_IsNumber(port) ? port->valueint : 0);
        } else if (!get(p, "targetPort")) {
            cJSON_AddNumberToObject(p, "targetPort", port->valueint);
        }
        if (nodeport) {
            cJSON *np = get(p, "nodePort");
            const cJSON *onp = NULL;
            if (ospec) onp = get(cJSON_GetArrayItem(get(ospec, "ports"), i), "nodePort");
            if (cJSON_IsNumber(np) && cJSON_IsNumber(onp) && np->valueint == onp->valueint) {
                /* kept */
            } else if (cJSON_IsNumber(np)) {
                if (np->valueint < s->np_lo || np->valueint > s->np_hi) {
                    snprintf(f, sizeof f, "spec.ports[%d].nodePort", i);
                    apisrv_invalid_add(inv, "FieldValueInvalid", f,
                                       "Invalid value: %d: provided port is not in the valid range. The range of valid ports is %d-%d",
                                       np->valueint, s->np_lo, s->np_hi);
                } else {
                    char v[16];
                    snprintf(v, sizeof v, "%d", np->valueint);
                    add_claim(c, "servicenodeports", v);
                }
            } else if (cJSON_IsNumber(onp)) {
                cJSON_AddNumberToObject(p, "nodePort", onp->valueint);
            } else {
                pthread_mutex_lock(&s->alloc_mu);
                int v = s->np_next;
                s->np_next = s->np_next >= s->np_hi ? s->np_lo : s->np_next + 1;
                pthread_mutex_unlock(&s->alloc_mu);
                char vs[16];
                snprintf(vs, sizeof vs, "%d", v);
                cJSON_DeleteItemFromObjectCaseSensitive(p, "nodePort");
                cJSON_AddNumberToObject(p, "nodePort", v);
                add_claim(c, "servicenodeports", vs);
                c->alloc_auto = 1;
            }
        }
        i++;
    }
    if (nodeport) def_str(spec, "externalTrafficPolicy", "Cluster");
    if (external) return 0;
    def_str(spec, "internalTrafficPolicy", "Cluster");
    const char *oip = ospec ? apisrv_str(ospec, "clusterIP") : NULL;
    const char *ip = apisrv_str(spec, "clusterIP");
    char ipbuf[INET_ADDRSTRLEN];
    if (oip) {
        if (ip && *ip && strcmp(ip, oip) != 0)
            apisrv_invalid_add(inv, "FieldValueInvalid", "spec.clusterIPs[0]", "Invalid value: []string{\"%s\"}: may not change once set", ip);
        def_str(spec, "clusterIP", oip);
    } else if (ip && *ip && strcmp(ip, "None") != 0) {
        struct in_addr a;
        uint32_t h;
        if (inet_pton(AF_INET, ip, &a) != 1 || (h = ntohl(a.s_addr)) < s->svc_base || h >= s->svc_base + s->svc_size) {
            apisrv_invalid_add(inv, "FieldValueInvalid", "spec.clusterIPs", "Invalid value: []string{\"%s\"}: failed to allocate IP %s: the provided IP (%s) is not in the valid range", ip, ip, ip);
        } else {
            add_claim(c, "serviceips", ip);
        }
    } else if (!ip || !*ip) {
        pthread_mutex_lock(&s->alloc_mu);
        uint32_t off = s->svc_next;
        s->svc_next = s->svc_next + 1 >= s->svc_size - 1 ? 1 : s->svc_next + 1;
        pthread_mutex_unlock(&s->alloc_mu);
        struct in_addr a = { htonl(s->svc_base + off) };
        inet_ntop(AF_INET, &a, ipbuf, sizeof ipbuf);
        cJSON_DeleteItemFromObjectCaseSensitive(spec, "clusterIP");
        cJSON_AddStringToObject(spec, "clusterIP", ipbuf);
        add_claim(c, "serviceips", ipbuf);
        c->alloc_auto = 1;
    }
    ip = apisrv_str(spec, "clusterIP");
    cJSON_DeleteItemFromObjectCaseSensitive(spec, "clusterIPs");
    cJSON *ips = cJSON_AddArrayToObject(spec, "clusterIPs");
    cJSON_AddItemToArray(ips, cJSON_CreateString(ip));
    if (strcmp(ip, "None") != 0) {
        if (!get(spec, "ipFamilies")) {
            cJSON *fam = cJSON_AddArrayToObject(spec, "ipFamilies");
            cJSON_AddItemToArray(fam, cJSON_CreateString("IPv4"));
        }
        def_str(spec, "ipFamilyPolicy", "SingleStack");
    }
    return 0;
}

void apisrv_release_service(apisrv_call_t *c, const cJSON *obj)
{
    const cJSON *spec = get(obj, "spec");
    const char *ip = apisrv_str(spec, "clusterIP");
    if (ip && *ip && strcmp(ip, "None") != 0) add_release(c, "serviceips", ip);
    const cJSON *p;
    cJSON_ArrayForEach(p, get(spec, "ports")) {
        const cJSON *np = get(p, "nodePort");
        if (cJSON_IsNumber(np)) {
            char v[16];
            snprintf(v, sizeof v, "%d", np->valueint);
            add_release(c, "servicenodeports", v);
        }
    }
}

/* ConfigMap data is a map of strings; binaryData of base64 (kube decodes
 * into map[string]string / map[string][]byte and refuses anything else). */
/* Node spec.podCIDR / podCIDRs, as kube: the two agree (podCIDR is
 * podCIDRs[0]), each a valid CIDR, and once set they never change (kube's
 * ValidateNodeUpdate: only "" -> valid, which the node IPAM controller does). */
static int cidr_ok(const char *s)
{
    char ip[64];
    const char *slash = strchr(s, '/');
    if (!slash || slash == s || (size_t)(slash - s) >= sizeof ip) return 0;
    memcpy(ip, s, (size_t)(slash - s));
    ip[slash - s] = 0;
    unsigned char buf[16];
    int v6 = strchr(ip, ':') != NULL;
    if (inet_pton(v6 ? AF_INET6 : AF_INET, ip, buf) != 1) return 0;
    char *end;
    long p = strtol(slash + 1, &end, 10);
    return slash[1] && !*end && p >= 0 && p <= (v6 ? 128 : 32);
}

int apisrv_prepare_node(apisrv_call_t *c, cJSON *obj, const cJSON *old, apisrv_invalid_t *inv)
{
    tls_inv = inv;
    (void)c;
    cJSON *spec = get(obj, "spec");
    cJSON *one = get(spec, "podCIDR"), *many = get(spec, "podCIDRs"), *x;
    if (cJSON_IsString(one) && *one->valuestring && !cJSON_IsArray(many)) {
        many = cJSON_CreateArray();
        cJSON_AddItemToArray(many, cJSON_CreateString(one->valuestring));
        cJSON_AddItemToObject(spec, "podCIDRs", many);
    } else if ((!one || (cJSON_IsString(one) && !*one->valuestring)) && cJSON_IsString(cJSON_GetArrayItem(many, 0))) {
        cJSON_DeleteItemFromObjectCaseSensitive(spec, "podCIDR");
        cJSON_AddStringToObject(spec, "podCIDR", cJSON_GetArrayItem(many, 0)->valuestring);
    }
    one = get(spec, "podCIDR");
    int i = 0;
    cJSON_ArrayForEach(x, many) {
        char f[64];
        snprintf(f, sizeof f, "spec.podCIDRs[%d]", i++);
        if (!cJSON_IsString(x) || !cidr_ok(x->valuestring))
            apisrv_invalid_add(inv, "FieldValueInvalid", f, "Invalid value: %s%s%s: must be a valid CIDR", cJSON_IsString(x) ? "\"" : "",
                               cJSON_IsString(x) ? x->valuestring : "non-string", cJSON_IsString(x) ? "\"" : "");
    }
    if (cJSON_GetArraySize(many) > 2)
        apisrv_invalid_add(inv, "FieldValueInvalid", "spec.podCIDRs", "Invalid value: may specify no more than one CIDR for each IP family");
    if (cJSON_IsString(one) && *one->valuestring && cJSON_IsString(cJSON_GetArrayItem(many, 0))
        && strcmp(one->valuestring, cJSON_GetArrayItem(many, 0)->valuestring))
        apisrv_invalid_add(inv, "FieldValueInvalid", "spec.podCIDR", "Invalid value: \"%s\": must be the first of spec.podCIDRs", one->valuestring);
    const cJSON *omany = get(get(old, "spec"), "podCIDRs");
    if (old && cJSON_GetArraySize(omany) > 0 && !cJSON_Compare(omany, many, 1))
        apisrv_invalid_add(inv, "FieldValueForbidden", "spec.podCIDRs", "Forbidden: node updates may not change podCIDR except from \"\" to valid");
    return 0;
}

/* As kube's ValidateControllerRevision: revision a non-negative integer,
 * data immutable. */
int apisrv_prepare_controllerrevision(apisrv_call_t *c, cJSON *obj, const cJSON *old, apisrv_invalid_t *inv)
{
    tls_inv = inv;
    (void)c;
    const cJSON *r = get(obj, "revision");
    if (r && !cJSON_IsNumber(r))
        apisrv_invalid_add(inv, "FieldValueInvalid", "revision", "Invalid value: must be an integer");
    else if (r && r->valuedouble < 0)
        apisrv_invalid_add(inv, "FieldValueInvalid", "revision", "Invalid value: %.15g: must be greater than or equal to 0",
                           r->valuedouble);
    if (old && !cJSON_Compare(get(obj, "data"), get(old, "data"), 1))
        apisrv_invalid_add(inv, "FieldValueInvalid", "data", "Invalid value: field is immutable");
    return 0;
}

int apisrv_prepare_configmap(apisrv_call_t *c, cJSON *obj, const cJSON *old, apisrv_invalid_t *inv)
{
    tls_inv = inv;
    (void)c; (void)old;
    const cJSON *x;
    cJSON_ArrayForEach(x, get(obj, "data")) {
        if (!cJSON_IsString(x)) {
            char f[300];
            snprintf(f, sizeof f, "data[%s]", x->string);
            apisrv_invalid_add(inv, "FieldValueInvalid", f, "Invalid value: must be a string");
        }
    }
    cJSON_ArrayForEach(x, get(obj, "binaryData")) {
        if (!cJSON_IsString(x) || !is_b64(x->valuestring)) {
            char f[300];
            snprintf(f, sizeof f, "binaryData[%s]", x->string);
            apisrv_invalid_add(inv, "FieldValueInvalid", f, "Invalid value: illegal base64 data");
        }
    }
    return 0;
}
