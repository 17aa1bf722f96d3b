/* core/api/priority — scheduling.k8s.io/v1 PriorityClass and Kubernetes'
 * Priority admission plugin, built into the API server (kube-apiserver
 * enables Priority by default, so it is not a chain plugin here either):
 *  - a Pod create resolves spec.priorityClassName (or the globalDefault
 *    class, or 0) into spec.priority and spec.preemptionPolicy;
 *  - PriorityClasses: at most one globalDefault, the `system-` prefix is
 *    reserved for the two built-in classes, user values at most 1e9;
 *    value and preemptionPolicy are immutable.
 * Messages are kube-apiserver's (plugin/pkg/admission/priority). */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/json_util.h"
#include "api/kinds.h"
#include "api/priority.h"
#include <skiff/admission.h>

#define HIGHEST_USER_PRIORITY 1000000000

static const struct { const char *name; int32_t value; const char *desc; } builtin[] = {
    { "system-node-critical", 2000001000, "Used for system critical pods that must not be moved from their current node." },
    { "system-cluster-critical", 2000000000, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary." },
};

static cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

char *apisrv_priority_builtin_json(size_t i)
{
    if (i >= sizeof builtin / sizeof builtin[0]) return NULL;
    char *out = NULL;
    if (asprintf(&out, "{\"apiVersion\":\"scheduling.k8s.io/v1\",\"kind\":\"PriorityClass\","
                       "\"metadata\":{\"name\":\"%s\"},\"value\":%d,\"description\":\"%s\"}",
                 builtin[i].name, (int)builtin[i].value, builtin[i].desc) < 0)
        return NULL;
    return out;
}

/* One class as (value, preemptionPolicy); built-ins answer even before the
 * bootstrap created their objects. 1 found, 0 not found, <0 store error. */
typedef struct pclass { int32_t value; char policy[32]; char name[256]; } pclass_t;

/* No class: priority 0, PreemptLowerPriority. */
static void pclass_init(pclass_t *pc)
{
    pc->value = 0;
    memcpy(pc->policy, "PreemptLowerPriority", sizeof "PreemptLowerPriority");
    pc->name[0] = '\0';
}

/* A copy of what is set (strings to their end, not the whole arrays). */
static void pclass_copy(pclass_t *dst, const pclass_t *src)
{
    dst->value = src->value;
    memcpy(dst->policy, src->policy, strnlen(src->policy, sizeof dst->policy - 1) + 1);
    dst->policy[sizeof dst->policy - 1] = '\0';
    memcpy(dst->name, src->name, strnlen(src->name, sizeof dst->name - 1) + 1);
    dst->name[sizeof dst->name - 1] = '\0';
}

/* A JSON number as int32: 0 when it is not one (non-integral or out of range).
 * The range is checked before the cast, since casting an out-of-range double
 * is undefined behaviour and bodies may carry any number (1e308). */
static int int32_of(const cJSON *v, int32_t *out)
{
    if (!cJSON_IsNumber(v)) return 0;
    double d = v->valuedouble;
    if (!(d >= -2147483648.0 && d <= 2147483647.0)) return 0;
    int32_t i = (int32_t)d;
    if ((double)i != d) return 0;
    *out = i;
    return 1;
}

static void pclass_from(const cJSON *o, pclass_t *pc)
{
    const cJSON *v = get(o, "value"), *p = get(o, "preemptionPolicy"), *n = get(get(o, "metadata"), "name");
    if (!int32_of(v, &pc->value)) pc->value = 0;
    snprintf(pc->policy, sizeof pc->policy, "%s", cJSON_IsString(p) && *p->valuestring ? p->valuestring : "PreemptLowerPriority");
    snprintf(pc->name, sizeof pc->name, "%s", cJSON_IsString(n) ? n->valuestring : "");
}

static int class_get(apisrv_call_t *c, const char *name, pclass_t *pc)
{
    const apisrv_resource_t *r = apisrv_resource_find("scheduling.k8s.io", "v1", "priorityclasses");
    char key[400];
    if (r && apisrv_key(r, "", name, key, sizeof key) >= 0) {
        apisrv_kv_t kv;
        skiff_error_t err;
        int rc = apisrv_store_get(c->s, key, &kv, &err);
        if (rc == 0) {
            cJSON *o = cJSON_ParseWithLength(kv.value, kv.len);
            free(kv.value);
            if (o) { pclass_from(o, pc); cJSON_Delete(o); return 1; }
        } else if (rc != SKIFF_E_NOTFOUND) {
            return rc;
        }
    }
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
        if (strcmp(builtin[i].name, name) == 0) {
            pc->value = builtin[i].value;
            snprintf(pc->policy, sizeof pc->policy, "PreemptLowerPriority");
            snprintf(pc->name, sizeof pc->name, "%s", name);
            return 1;
        }
    return 0;
}

typedef struct default_scan { pclass_t *pc; int found; const char *skip; } default_scan_t;

static int default_cb(void *ud, const skiff_store_kv_t *kv)
{
    default_scan_t *d = ud;
    cJSON *o = cJSON_ParseWithLength((const char *)kv->value, kv->value_len);
    if (!o) return 0;
    const cJSON *g = get(o, "globalDefault");
    pclass_t pc;
    pclass_from(o, &pc);
    /* Kubernetes takes the lowest-valued default if several slipped in. */
    if (cJSON_IsTrue(g) && !(d->skip && strcmp(pc.name, d->skip) == 0) &&
        (!d->found || pc.value < d->pc->value)) {
        *d->pc = pc;
        d->found = 1;
    }
    cJSON_Delete(o);
    return 0;
}

/* The globalDefault class: 1 found, 0 none, <0 store error. */
static int class_default(apisrv_call_t *c, pclass_t *pc, const char *skip)
{
    static const char prefix[] = "/registry/priorityclasses/";
    skiff_store_range_req_t rq = { .key = prefix, .key_len = sizeof prefix - 1, .prefix = 1 };
    skiff_store_range_res_t rs;
    skiff_error_t err;
    default_scan_t d = { pc, 0, skip };
    int rc = c->s->ops->range(c->s->store, &rq, default_cb, &d, &rs, &err);
    return rc < 0 ? rc : d.found;
}

static int forbid(apisrv_call_t *c, const char *fmt, ...) SKIFF_PRINTF(2, 3);
static int forbid(apisrv_call_t *c, const char *fmt, ...)
{
    char q[160], why[512];
    apisrv_resource_qualified(c->res, q, sizeof q);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    apisrv_fail(c, 403, "Forbidden", "%s \"%s\" is forbidden: %s", q, c->name, why);
    return -1;
}

/* The globalDefault lookup is a scan of every class: remembered until a
 * class is written through this server, or for at most a second (classes
 * written by another server on a shared store) — kube-apiserver's plugin
 * reads an informer cache, just as eventually consistent. */
static pthread_mutex_t default_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    const skiff_api_server_t *s;
    int64_t rev, at_ns;
    int found;
    pclass_t pc;
} default_memo;

static int class_default_cached(apisrv_call_t *c, pclass_t *pc)
{
    /* the table's row never moves: looked up once */
    static size_t ri_memo = (size_t)-1;
    size_t ri = __atomic_load_n(&ri_memo, __ATOMIC_RELAXED);
    if (ri == (size_t)-1) {
        ri = apisrv_resource_index(apisrv_resource_find("scheduling.k8s.io", "v1", "priorityclasses"));
        __atomic_store_n(&ri_memo, ri, __ATOMIC_RELAXED);
    }
    int64_t rev = ri < 64 ? __atomic_load_n(&c->s->last_write[ri], __ATOMIC_ACQUIRE) : -1;
    pthread_mutex_lock(&default_mu);
    if (rev >= 0 && default_memo.s == c->s && default_memo.rev == rev &&
        c->now_ns - default_memo.at_ns < 1000000000 && c->now_ns >= default_memo.at_ns) {
        int found = default_memo.found;
        pclass_copy(pc, &default_memo.pc);
        pthread_mutex_unlock(&default_mu);
        return found;
    }
    pthread_mutex_unlock(&default_mu);
    int rc = class_default(c, pc, NULL);
    if (rc >= 0 && rev >= 0) {
        pthread_mutex_lock(&default_mu);
        default_memo.s = c->s;
        default_memo.rev = rev;
        default_memo.at_ns = c->now_ns;
        default_memo.found = rc;
        default_memo.pc = *pc;
        pthread_mutex_unlock(&default_mu);
    }
    return rc;
}

static int admit_pod(apisrv_call_t *c, cJSON *obj)
{
    cJSON *spec = NULL; /* get(obj, "spec") without a strcmp per member */
    for (cJSON *m = obj->child; m && !spec; m = m->next)
        if (m->string && m->string[0] == 's' && strcmp(m->string, "spec") == 0) spec = m;
    if (!cJSON_IsObject(spec)) return 0; /* validation says what is missing */
    /* one walk over spec's members for the three this reads (a pod spec has
     * a dozen or more: three lookups were ~230 instructions per create);
     * the first of a duplicated name wins, as cJSON's lookup */
    const cJSON *pcn = NULL, *given = NULL, *gp = NULL;
    for (const cJSON *m = spec->child; m; m = m->next) {
        if (!m->string || m->string[0] != 'p') continue;
        if (!pcn && strcmp(m->string, "priorityClassName") == 0) pcn = m;
        else if (!given && strcmp(m->string, "priority") == 0) given = m;
        else if (!gp && strcmp(m->string, "preemptionPolicy") == 0) gp = m;
    }
    const char *name = cJSON_IsString(pcn) ? pcn->valuestring : "";
    pclass_t pc; /* not zeroed whole: 300 bytes on every create */
    pclass_init(&pc);
    int rc;
    if (*name) {
        rc = class_get(c, name, &pc);
        if (rc == 0) return forbid(c, "no PriorityClass with name %s was found", name);
    } else {
        rc = class_default_cached(c, &pc);
        if (rc == 0) pclass_init(&pc);
    }
    if (rc < 0) {
        apisrv_fail(c, 500, "InternalError", "failed to get PriorityClass: store error %d", rc);
        return -1;
    }
    int32_t gv;
    if (cJSON_IsNumber(given) && !(int32_of(given, &gv) && gv == pc.value))
        return forbid(c, "the integer value of priority (%.15g) must not be provided in pod spec; "
                         "priority admission controller computed %d from the given PriorityClass name",
                      given->valuedouble, (int)pc.value);
    if (cJSON_IsString(gp) && strcmp(gp->valuestring, pc.policy) != 0) {
        return forbid(c, "the string value of PreemptionPolicy (%s) must not be provided in pod spec; "
                         "priority admission controller computed %s from the given PriorityClass name",
                      gp->valuestring, pc.policy);
    }
    /* literal member names, one-allocation strings (json_util.h): every pod create passes here */
    if (given) cJSON_DeleteItemFromObjectCaseSensitive(spec, "priority");
    skiff_api_json_add_lit(spec, "priority", cJSON_CreateNumber(pc.value));
    if (gp) cJSON_DeleteItemFromObjectCaseSensitive(spec, "preemptionPolicy");
    skiff_api_json_add_lit(spec, "preemptionPolicy", skiff_api_json_string(pc.policy));
    if (!*name && pc.name[0]) skiff_api_json_add_lit(spec, "priorityClassName", skiff_api_json_string(pc.name));
    return 0;
}

static int admit_class(apisrv_call_t *c, cJSON *obj)
{
    const cJSON *n = get(get(obj, "metadata"), "name"), *v = get(obj, "value");
    const char *name = cJSON_IsString(n) ? n->valuestring : c->name;
    int32_t iv;
    if (strncmp(name, "system-", 7) == 0) {
        size_t i = 0;
        for (; i < sizeof builtin / sizeof builtin[0]; i++)
            if (strcmp(builtin[i].name, name) == 0) break;
        if (i == sizeof builtin / sizeof builtin[0] ||
            !(int32_of(v, &iv) && iv == builtin[i].value))
            return forbid(c, "priority class names with 'system-' prefix are reserved for system use only. "
                             "error: %s is not a known system priority class", name);
    } else if (cJSON_IsNumber(v) && v->valuedouble > HIGHEST_USER_PRIORITY) {
        return forbid(c, "maximum allowed value of a user defined priority is %d", HIGHEST_USER_PRIORITY);
    }
    if (cJSON_IsTrue(get(obj, "globalDefault"))) {
        pclass_t other;
        int rc = class_default(c, &other, name);
        if (rc > 0) return forbid(c, "PriorityClass %s is already marked as default. Only one default can exist", other.name);
    }
    return 0;
}

int apisrv_priority_admit(apisrv_call_t *c, int op, cJSON *obj)
{
    if (!c->res || c->sub[0] || !obj) return 0;
    if (op == SKIFF_ADM_CREATE && strcmp(c->res->plural, "pods") == 0 && !*c->res->group) return admit_pod(c, obj);
    if ((op == SKIFF_ADM_CREATE || op == SKIFF_ADM_UPDATE) && strcmp(c->res->plural, "priorityclasses") == 0)
        return admit_class(c, obj);
    return 0;
}

int apisrv_prepare_priorityclass(apisrv_call_t *c, cJSON *obj, const cJSON *old, apisrv_invalid_t *inv)
{
    (void)c;
    const cJSON *v = get(obj, "value");
    int32_t iv;
    if (!v) apisrv_invalid_add(inv, "FieldValueRequired", "value", "Required value");
    else if (!int32_of(v, &iv))
        apisrv_invalid_add(inv, "FieldValueInvalid", "value", "Invalid value: must be a 32-bit integer");
    const cJSON *p = get(obj, "preemptionPolicy");
    if (!p || cJSON_IsNull(p)) {
        cJSON_DeleteItemFromObjectCaseSensitive(obj, "preemptionPolicy");
        cJSON_AddStringToObject(obj, "preemptionPolicy", "PreemptLowerPriority");
    } else if (!cJSON_IsString(p) || (strcmp(p->valuestring, "PreemptLowerPriority") && strcmp(p->valuestring, "Never"))) {
        apisrv_invalid_add(inv, "FieldValueNotSupported", "preemptionPolicy",
                           "Unsupported value: \"%s\": supported values: \"Never\", \"PreemptLowerPriority\"",
                           cJSON_IsString(p) ? p->valuestring : "");
    }
    const cJSON *g = get(obj, "globalDefault");
    if (g && !cJSON_IsBool(g)) apisrv_invalid_add(inv, "FieldValueInvalid", "globalDefault", "Invalid value: must be a boolean");
    if (old) {
        if (!cJSON_Compare(get(old, "value"), v, 1))
            apisrv_invalid_add(inv, "FieldValueForbidden", "value", "Forbidden: may not be changed in an update.");
        if (!cJSON_Compare(get(old, "preemptionPolicy"), get(obj, "preemptionPolicy"), 1))
            apisrv_invalid_add(inv, "FieldValueInvalid", "preemptionPolicy", "Invalid value: \"%s\": field is immutable",
                               apisrv_str(obj, "preemptionPolicy") ? apisrv_str(obj, "preemptionPolicy") : "");
    }
    return 0;
}
