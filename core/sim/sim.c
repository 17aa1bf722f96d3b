/* core/sim/sim — the `sim` component: settings, node registration, the
 * ticker thread (lease and status heartbeats over a flat node table) and the
 * node watch that tells which nodes are annotated to stop. Pods: pods.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/component.h"
#include "log/log.h"
#include "sim/internal.h"
#include "util/quantity.h"

#define LEASE_NS_PATH "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"

int64_t sim_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sim_time(char *buf, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void sim_microtime(char *buf, size_t len)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char b[32];
    strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%06ldZ", b, ts.tv_nsec / 1000);
}

void sim_warn(sim_t *s, const char *fmt, ...)
{
    int64_t now = sim_now_ms();
    pthread_mutex_lock(&s->warn_mu);
    if (now - s->warn_window >= 10000) {
        if (s->warn_dropped)
            skiff_log(SKIFF_LOG_WARN, SIM_LOG, "%u more warnings in the last 10 s not shown", s->warn_dropped);
        s->warn_window = now;
        s->warn_count = s->warn_dropped = 0;
    }
    int show = s->warn_count < 20;
    if (show) s->warn_count++;
    else s->warn_dropped++;
    pthread_mutex_unlock(&s->warn_mu);
    if (!show) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    skiff_log(SKIFF_LOG_WARN, SIM_LOG, "%s", msg);
}

int sim_node_index(const sim_t *s, const char *name)
{
    size_t pl = strlen(s->prefix);
    if (!name || strncmp(name, s->prefix, pl) != 0) return -1;
    const char *d = name + pl;
    if (!*d || (*d == '0' && d[1])) return -1;
    long v = 0;
    for (; *d; d++) {
        if (*d < '0' || *d > '9' || v > 100000000) return -1;
        v = v * 10 + (*d - '0');
    }
    return v < s->n ? (int)v : -1;
}

/* ---- settings ---------------------------------------------------------- */

static int read_settings(sim_t *s, const skiff_settings_t *st, const char **server, skiff_error_t *err)
{
    int64_t n = 0, cpu = 0, mem = 0, eph = 0;
    const char *prefix = "sim-node-", *pod_cidr = "10.244.0.0/16", *node_cidr = "172.18.0.0/16";
    skiff_settings_int(st, "nodes", &n);
    skiff_settings_string(st, "name_prefix", &prefix);
    skiff_settings_int(st, "cpu", &cpu);
    skiff_settings_int(st, "memory", &mem);
    skiff_settings_int(st, "ephemeral_storage", &eph);
    s->pods = 110; s->heartbeat_ms = 10000; s->status_ms = 60000; s->delay_ms = 1000; s->workers = 2;
    skiff_settings_int(st, "pods", &s->pods);
    skiff_settings_int(st, "zones", &s->zones);
    skiff_settings_int(st, "heartbeat", &s->heartbeat_ms);
    skiff_settings_int(st, "status_interval", &s->status_ms);
    skiff_settings_int(st, "pod_start_delay", &s->delay_ms);
    skiff_settings_int(st, "workers", &s->workers);
    skiff_settings_string(st, "pod_cidr", &pod_cidr);
    skiff_settings_string(st, "node_cidr", &node_cidr);
    skiff_settings_bool(st, "wait_pod_cidr", &s->wait_cidr);
    *server = NULL;
    skiff_settings_string(st, "server", server);

    if (n < 0 || n > 1000000) return skiff_error_set(err, SKIFF_E_INVALID, "sim.nodes = %lld: must be 0..1000000", (long long)n);
    if (s->pods < 0 || s->pods > 100000) return skiff_error_set(err, SKIFF_E_INVALID, "sim.pods = %lld: must be 0..100000", (long long)s->pods);
    if (s->zones < 0 || s->zones > 1000) return skiff_error_set(err, SKIFF_E_INVALID, "sim.zones = %lld: must be 0..1000", (long long)s->zones);
    if (s->workers < 1 || s->workers > SIM_MAX_WORKERS)
        return skiff_error_set(err, SKIFF_E_INVALID, "sim.workers = %lld: must be 1..%d", (long long)s->workers, SIM_MAX_WORKERS);
    if (s->heartbeat_ms < 100) return skiff_error_set(err, SKIFF_E_INVALID, "sim.heartbeat: must be at least 100ms");
    if (s->status_ms < 100) return skiff_error_set(err, SKIFF_E_INVALID, "sim.status_interval: must be at least 100ms");
    if (s->delay_ms < 0) return skiff_error_set(err, SKIFF_E_INVALID, "sim.pod_start_delay: must not be negative");
    if (cpu <= 0 || mem <= 0 || eph < 0) return skiff_error_set(err, SKIFF_E_INVALID, "sim.cpu and sim.memory must be positive");
    if (!*prefix || strlen(prefix) > 40) return skiff_error_set(err, SKIFF_E_INVALID, "sim.name_prefix \"%s\": must be 1..40 characters", prefix);
    for (const char *p = prefix; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
            return skiff_error_set(err, SKIFF_E_INVALID, "sim.name_prefix \"%s\": node names take lower-case letters, digits, '-' and '.'", prefix);
    s->n = (int)n;
    snprintf(s->prefix, sizeof s->prefix, "%s", prefix);
    skiff_quantity_format(cpu, 0, s->cpu, sizeof s->cpu);
    skiff_quantity_format(mem, 1, s->memory, sizeof s->memory);
    skiff_quantity_format(eph, 1, s->storage, sizeof s->storage);

    skiff_error_t e;
    skiff_error_clear(&e);
    if (skiff_sim_cidr_parse(pod_cidr, &s->pod_cidr, &e) < 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "sim.pod_cidr: %s", e.msg);
    if (skiff_sim_cidr_parse(node_cidr, &s->node_cidr, &e) < 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "sim.node_cidr: %s", e.msg);
    int node_prefix = s->pod_cidr.prefix > 24 ? s->pod_cidr.prefix : 24;
    if (!s->wait_cidr && skiff_sim_cidr_count(&s->pod_cidr, node_prefix) < (uint64_t)s->n)
        return skiff_error_set(err, SKIFF_E_INVALID, "sim.pod_cidr %s has room for %llu /%d node ranges but sim.nodes = %d; use a wider range (10.0.0.0/8 holds 65536)",
                               pod_cidr, (unsigned long long)skiff_sim_cidr_count(&s->pod_cidr, node_prefix), node_prefix, s->n);
    if (s->node_cidr.prefix > 30 || (1ull << (32 - s->node_cidr.prefix)) < (uint64_t)s->n + 3)
        return skiff_error_set(err, SKIFF_E_INVALID, "sim.node_cidr %s is too small for %d node addresses", node_cidr, s->n);

    s->labels = cJSON_CreateObject();
    s->taints = cJSON_CreateArray();
    if (!s->labels || !s->taints) return skiff_error_set(err, -ENOMEM, "out of memory");
    const char *const *list = NULL;
    if (skiff_settings_strlist(st, "labels", &list) == 0 && list) {
        for (size_t i = 0; list[i]; i++) {
            const char *eq = strchr(list[i], '=');
            size_t kl = eq ? (size_t)(eq - list[i]) : strlen(list[i]);
            if (kl == 0 || kl > 316)
                return skiff_error_set(err, SKIFF_E_INVALID, "sim.labels[%zu] \"%s\": expected KEY=VALUE", i, list[i]);
            char key[320];
            snprintf(key, sizeof key, "%.*s", (int)kl, list[i]);
            cJSON_DeleteItemFromObjectCaseSensitive(s->labels, key);
            cJSON_AddStringToObject(s->labels, key, eq ? eq + 1 : "");
        }
    }
    list = NULL;
    if (skiff_settings_strlist(st, "taints", &list) == 0 && list) {
        for (size_t i = 0; list[i]; i++) {
            const char *colon = strrchr(list[i], ':');
            const char *eff = colon ? colon + 1 : "";
            if (!colon || colon == list[i] ||
                (strcmp(eff, "NoSchedule") && strcmp(eff, "PreferNoSchedule") && strcmp(eff, "NoExecute")))
                return skiff_error_set(err, SKIFF_E_INVALID,
                                       "sim.taints[%zu] \"%s\": expected KEY[=VALUE]:EFFECT with EFFECT NoSchedule, PreferNoSchedule or NoExecute",
                                       i, list[i]);
            char kv[320];
            snprintf(kv, sizeof kv, "%.*s", (int)(colon - list[i]), list[i]);
            char *eq = strchr(kv, '=');
            if (eq) *eq = '\0';
            if (!kv[0]) return skiff_error_set(err, SKIFF_E_INVALID, "sim.taints[%zu] \"%s\": the key is empty", i, list[i]);
            cJSON *t = cJSON_CreateObject();
            if (!t) return skiff_error_set(err, -ENOMEM, "out of memory");
            cJSON_AddItemToArray(s->taints, t);
            cJSON_AddStringToObject(t, "key", kv);
            if (eq && eq[1]) cJSON_AddStringToObject(t, "value", eq + 1);
            cJSON_AddStringToObject(t, "effect", eff);
        }
    }
    return 0;
}

/* ---- node objects ------------------------------------------------------ */

/* The four kubelet conditions, all healthy, as a JSON array text. */
static void conditions_json(const sim_node_t *nd, char *buf, size_t len)
{
    char now[32];
    sim_time(now, sizeof now);
    static const char *const c[4][4] = {
        { "MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available" },
        { "DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure" },
        { "PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available" },
        { "Ready", "True", "KubeletReady", "kubelet is posting ready status" },
    };
    size_t o = 0;
    o += (size_t)snprintf(buf + o, len - o, "[");
    for (int i = 0; i < 4 && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o,
                              "%s{\"type\":\"%s\",\"status\":\"%s\",\"lastHeartbeatTime\":\"%s\",\"lastTransitionTime\":\"%s\",\"reason\":\"%s\",\"message\":\"%s\"}",
                              i ? "," : "", c[i][0], c[i][1], now, nd->since, c[i][2], c[i][3]);
    if (o < len) snprintf(buf + o, len - o, "]");
}

static char *node_json(sim_t *s, int i)
{
    sim_node_t *nd = &s->nodes[i];
    char cidr[24], conds[2048], pods[24];
    skiff_sim_cidr_format(&nd->pool.range, cidr, sizeof cidr);
    conditions_json(nd, conds, sizeof conds);
    snprintf(pods, sizeof pods, "%lld", (long long)s->pods);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "apiVersion", "v1");
    cJSON_AddStringToObject(o, "kind", "Node");
    cJSON *md = cJSON_AddObjectToObject(o, "metadata");
    cJSON_AddStringToObject(md, "name", nd->name);
    cJSON *l = cJSON_AddObjectToObject(md, "labels");
    cJSON_AddStringToObject(l, "beta.kubernetes.io/arch", "amd64");
    cJSON_AddStringToObject(l, "beta.kubernetes.io/os", "linux");
    cJSON_AddStringToObject(l, "kubernetes.io/arch", "amd64");
    cJSON_AddStringToObject(l, "kubernetes.io/hostname", nd->name);
    cJSON_AddStringToObject(l, "kubernetes.io/os", "linux");
    cJSON_AddStringToObject(l, "type", "sim");
    if (s->zones > 0) {
        char z[32];
        snprintf(z, sizeof z, "zone-%lld", (long long)(i % s->zones));
        cJSON_AddStringToObject(l, "topology.kubernetes.io/zone", z);
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, s->labels) {
        cJSON_DeleteItemFromObjectCaseSensitive(l, e->string);
        cJSON_AddStringToObject(l, e->string, e->valuestring);
    }
    cJSON *an = cJSON_AddObjectToObject(md, "annotations");
    cJSON_AddStringToObject(an, "node.alpha.kubernetes.io/ttl", "0");
    cJSON_AddStringToObject(an, "sim.skiff.dev/simulated", "true");
    cJSON *sp = cJSON_AddObjectToObject(o, "spec");
    pthread_mutex_lock(&s->mu);
    int has_cidr = nd->has_cidr;
    pthread_mutex_unlock(&s->mu);
    if (has_cidr) { /* else the node IPAM controller sets it (wait_pod_cidr) */
        cJSON_AddStringToObject(sp, "podCIDR", cidr);
        cJSON *pc = cJSON_AddArrayToObject(sp, "podCIDRs");
        cJSON_AddItemToArray(pc, cJSON_CreateString(cidr));
    }
    if (cJSON_GetArraySize(s->taints) > 0) cJSON_AddItemToObject(sp, "taints", cJSON_Duplicate(s->taints, 1));
    cJSON *st = cJSON_AddObjectToObject(o, "status");
    const char *res[2] = { "capacity", "allocatable" };
    for (int k = 0; k < 2; k++) {
        cJSON *r = cJSON_AddObjectToObject(st, res[k]);
        cJSON_AddStringToObject(r, "cpu", s->cpu);
        cJSON_AddStringToObject(r, "ephemeral-storage", s->storage);
        cJSON_AddStringToObject(r, "memory", s->memory);
        cJSON_AddStringToObject(r, "pods", pods);
    }
    cJSON_AddItemToObject(st, "conditions", cJSON_Parse(conds));
    cJSON *ad = cJSON_AddArrayToObject(st, "addresses");
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "type", "InternalIP");
    cJSON_AddStringToObject(a, "address", nd->ip);
    cJSON_AddItemToArray(ad, a);
    a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "type", "Hostname");
    cJSON_AddStringToObject(a, "address", nd->name);
    cJSON_AddItemToArray(ad, a);
    cJSON *de = cJSON_AddObjectToObject(cJSON_AddObjectToObject(st, "daemonEndpoints"), "kubeletEndpoint");
    cJSON_AddNumberToObject(de, "Port", 10250);
    cJSON *ni = cJSON_AddObjectToObject(st, "nodeInfo");
    char id[40];
    snprintf(id, sizeof id, "5k1ff000000000000000000%09d", i);
    cJSON_AddStringToObject(ni, "machineID", id);
    cJSON_AddStringToObject(ni, "systemUUID", id);
    cJSON_AddStringToObject(ni, "bootID", id);
    cJSON_AddStringToObject(ni, "kernelVersion", "6.1.0-skiff-sim");
    cJSON_AddStringToObject(ni, "osImage", "skiff simulated node");
    cJSON_AddStringToObject(ni, "containerRuntimeVersion", "sim://1.0.0");
    cJSON_AddStringToObject(ni, "kubeletVersion", "v1.32.0-skiff");
    cJSON_AddStringToObject(ni, "kubeProxyVersion", "v1.32.0-skiff");
    cJSON_AddStringToObject(ni, "operatingSystem", "linux");
    cJSON_AddStringToObject(ni, "architecture", "amd64");
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

static int create_lease(sim_t *s, sim_node_t *nd, const char *now, skiff_error_t *err)
{
    char own[256] = "";
    if (nd->uid[0])
        snprintf(own, sizeof own, ",\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"name\":\"%s\",\"uid\":\"%s\"}]", nd->name, nd->uid);
    char lease[1024];
    snprintf(lease, sizeof lease,
             "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"kube-node-lease\"%s},"
             "\"spec\":{\"holderIdentity\":\"%s\",\"leaseDurationSeconds\":40,\"renewTime\":\"%s\"}}",
             nd->name, own, nd->name, now);
    return skiff_api_client_create(s->client, LEASE_NS_PATH, lease, NULL, err);
}

/* Renew (merge patch); a missing lease is created. At registration the
 * create comes first (one call instead of a failed patch and a create). */
static void renew_lease(sim_t *s, sim_node_t *nd, int create_first)
{
    char now[40], path[160], body[512];
    sim_microtime(now, sizeof now);
    skiff_error_t err;
    skiff_error_clear(&err);
    int rc;
    if (create_first && (rc = create_lease(s, nd, now, &err)) != SKIFF_E_EXISTS) {
        if (rc < 0) sim_warn(s, "creating the lease of %s: %s", nd->name, err.msg);
        return;
    }
    snprintf(path, sizeof path, LEASE_NS_PATH "/%s", nd->name);
    snprintf(body, sizeof body, "{\"spec\":{\"holderIdentity\":\"%s\",\"leaseDurationSeconds\":40,\"renewTime\":\"%s\"}}", nd->name, now);
    rc = skiff_api_client_patch(s->client, path, "application/merge-patch+json", body, NULL, &err);
    if (rc == SKIFF_E_NOTFOUND) rc = create_lease(s, nd, now, &err); /* someone deleted it */
    if (rc < 0 && rc != SKIFF_E_EXISTS) sim_warn(s, "renewing the lease of %s: %s", nd->name, err.msg);
}

static void update_status(sim_t *s, sim_node_t *nd)
{
    char path[160], body[2300], conds[2048];
    conditions_json(nd, conds, sizeof conds);
    snprintf(path, sizeof path, "/api/v1/nodes/%s/status", nd->name);
    snprintf(body, sizeof body, "{\"status\":{\"conditions\":%s}}", conds);
    skiff_error_t err;
    skiff_error_clear(&err);
    int rc = skiff_api_client_patch(s->client, path, "application/merge-patch+json", body, NULL, &err);
    if (rc == SKIFF_E_NOTFOUND) {
        /* as the kubelet, which registers only at start: a deleted node stays gone */
        skiff_log(SKIFF_LOG_INFO, SIM_LOG, "node %s was deleted; no more heartbeats for it", nd->name);
        nd->gone = 1;
    } else if (rc < 0) {
        sim_warn(s, "updating the status of %s: %s", nd->name, err.msg);
    }
}

/* Create the Node (or adopt an existing one: its podCIDR and uid are kept)
 * and its Lease. */
static void register_node(sim_t *s, int i)
{
    sim_node_t *nd = &s->nodes[i];
    char *body = node_json(s, i);
    if (!body) { sim_warn(s, "node %s: out of memory", nd->name); return; }
    skiff_api_result_t res = { 0 };
    skiff_error_t err;
    skiff_error_clear(&err);
    int rc = skiff_api_client_create(s->client, "/api/v1/nodes", body, &res, &err), adopted = 0;
    free(body);
    char path[160];
    snprintf(path, sizeof path, "/api/v1/nodes/%s", nd->name);
    if (rc == SKIFF_E_EXISTS) {
        /* registered before (we restarted): adopt it */
        skiff_api_result_free(&res);
        rc = skiff_api_client_get(s->client, path, &res, &err);
        adopted = 1;
    }
    if (rc < 0) {
        sim_warn(s, "registering node %s: %s", nd->name, err.msg);
        skiff_api_result_free(&res);
        return;
    }
    cJSON *o = cJSON_ParseWithLength(res.body, res.len);
    skiff_api_result_free(&res);
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(o, "metadata");
    const cJSON *uid = cJSON_GetObjectItemCaseSensitive(md, "uid");
    if (cJSON_IsString(uid)) snprintf(nd->uid, sizeof nd->uid, "%s", uid->valuestring);
    const cJSON *pc = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "spec"), "podCIDR");
    if (adopted) {
        /* keep the conditions' lastTransitionTime: nothing transitioned */
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "status"), "conditions")) {
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "type"), *lt = cJSON_GetObjectItemCaseSensitive(c, "lastTransitionTime");
            const cJSON *st = cJSON_GetObjectItemCaseSensitive(c, "status");
            if (cJSON_IsString(t) && !strcmp(t->valuestring, "Ready") && cJSON_IsString(st) && !strcmp(st->valuestring, "True") &&
                cJSON_IsString(lt) && strlen(lt->valuestring) < sizeof nd->since)
                strcpy(nd->since, lt->valuestring);
        }
        if ((!cJSON_IsString(pc) || !*pc->valuestring) && !s->wait_cidr) {
            char cidr[24], patch[160];
            skiff_sim_cidr_format(&nd->pool.range, cidr, sizeof cidr);
            snprintf(patch, sizeof patch, "{\"spec\":{\"podCIDR\":\"%s\",\"podCIDRs\":[\"%s\"]}}", cidr, cidr);
            if (skiff_api_client_patch(s->client, path, "application/merge-patch+json", patch, NULL, &err) < 0)
                sim_warn(s, "node %s: setting spec.podCIDR: %s", nd->name, err.msg);
        }
        update_status(s, nd);
    }
    skiff_sim_cidr_t c;
    skiff_sim_ippool_t pool;
    skiff_error_t e;
    pthread_mutex_lock(&s->mu);
    if (cJSON_IsString(pc) && *pc->valuestring && skiff_sim_cidr_parse(pc->valuestring, &c, &e) == 0 &&
        (!nd->has_cidr || c.base != nd->pool.range.base || c.prefix != nd->pool.range.prefix)) {
        /* the node's own podCIDR wins over ours */
        if (skiff_sim_ippool_init(&pool, &c, &e) == 0) { nd->pool = pool; nd->has_cidr = 1; }
        else sim_warn(s, "node %s: spec.podCIDR: %s; using %s", nd->name, e.msg,
                      s->wait_cidr ? "none (pods wait)" : "the range from sim.pod_cidr");
    }
    nd->registered = 1;
    s->registered_nodes++;
    pthread_mutex_unlock(&s->mu);
    cJSON_Delete(o);
    renew_lease(s, nd, 1);
}

/* ---- node watch -------------------------------------------------------- */

void sim_note_rv(char *rv, size_t len, const char *type, const cJSON *obj)
{
    if (strcmp(type, "ERROR") == 0) {
        rv[0] = '\0';
        return;
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "resourceVersion");
    if (cJSON_IsString(v) && strlen(v->valuestring) < len) strcpy(rv, v->valuestring);
}

static void nodes_watch_cb(void *ud, const char *type, const char *object, size_t len)
{
    sim_t *s = ud;
    if (!type) {
        pthread_mutex_lock(&s->mu);
        s->wnodes_ended = 1;
        pthread_mutex_unlock(&s->mu);
        return;
    }
    cJSON *o = cJSON_ParseWithLength(object, len);
    pthread_mutex_lock(&s->mu);
    sim_note_rv(s->nodes_rv, sizeof s->nodes_rv, type, o);
    pthread_mutex_unlock(&s->mu);
    if (strcmp(type, "ADDED") && strcmp(type, "MODIFIED") && strcmp(type, "DELETED")) { cJSON_Delete(o); return; }
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(o, "metadata");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(md, "name");
    int i = cJSON_IsString(name) ? sim_node_index(s, name->valuestring) : -1;
    if (i >= 0) {
        const cJSON *hb = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(md, "annotations"), "sim.skiff.dev/heartbeat");
        int stop = cJSON_IsString(hb) && strcmp(hb->valuestring, "stop") == 0;
        pthread_mutex_lock(&s->mu);
        sim_node_t *nd = &s->nodes[i];
        if (strcmp(type, "DELETED") == 0) {
            nd->gone = 1;
        } else {
            const char *pc = NULL;
            const cJSON *pcj = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "spec"), "podCIDR");
            if (cJSON_IsString(pcj)) pc = pcj->valuestring;
            if (!nd->has_cidr && pc && *pc) {
                /* the node IPAM controller gave this node its range: pods may start */
                skiff_sim_cidr_t c;
                skiff_sim_ippool_t pool;
                skiff_error_t e;
                skiff_error_clear(&e);
                if (skiff_sim_cidr_parse(pc, &c, &e) == 0 && skiff_sim_ippool_init(&pool, &c, &e) == 0) {
                    nd->pool = pool;
                    nd->has_cidr = 1;
                    skiff_log(SKIFF_LOG_INFO, SIM_LOG, "node %s: pod IPs from spec.podCIDR %s", nd->name, pc);
                } else {
                    sim_warn(s, "node %s: spec.podCIDR %s: %s", nd->name, pc, e.msg);
                }
            }
            if (stop != nd->stopped)
                skiff_log(SKIFF_LOG_INFO, SIM_LOG, "node %s: heartbeats %s", nd->name, stop ? "stopped (sim.skiff.dev/heartbeat=stop)" : "resumed");
            nd->stopped = stop;
        }
        pthread_mutex_unlock(&s->mu);
        if (!stop) pthread_cond_broadcast(&s->cond); /* jobs parked on this node may go */
    }
    cJSON_Delete(o);
}

static void restart_watches(sim_t *s)
{
    skiff_error_t err;
    skiff_error_clear(&err);
    char rv[32];
    pthread_mutex_lock(&s->mu);
    int nodes_ended = s->wnodes_ended, pods_ended = s->wpods_ended;
    pthread_mutex_unlock(&s->mu);
    if (!s->wnodes || nodes_ended) {
        skiff_api_client_watch_stop(s->wnodes);
        s->wnodes = NULL;
        pthread_mutex_lock(&s->mu);
        s->wnodes_ended = 0;
        snprintf(rv, sizeof rv, "%s", s->nodes_rv);
        pthread_mutex_unlock(&s->mu);
        if (skiff_api_client_watch(s->client, "/api/v1/nodes", rv, nodes_watch_cb, s, &s->wnodes, &err) < 0)
            sim_warn(s, "watching nodes: %s", err.msg);
    }
    if (!s->wpods || pods_ended) {
        skiff_api_client_watch_stop(s->wpods);
        s->wpods = NULL;
        pthread_mutex_lock(&s->mu);
        s->wpods_ended = 0;
        snprintf(rv, sizeof rv, "%s", s->pods_rv);
        if (!rv[0]) {
            /* a (re-)list: pods it does not show were deleted while we were away */
            s->pod_gen++;
            s->pods_sweep = 1;
        }
        pthread_mutex_unlock(&s->mu);
        if (skiff_api_client_watch(s->client, "/api/v1/pods", rv, sim_pods_watch_cb, s, &s->wpods, &err) < 0)
            sim_warn(s, "watching pods: %s", err.msg);
    }
}

/* ---- the ticker -------------------------------------------------------- */

static int stopping(sim_t *s)
{
    pthread_mutex_lock(&s->mu);
    int v = s->stopping;
    pthread_mutex_unlock(&s->mu);
    return v;
}

static void *ticker_main(void *arg)
{
    sim_t *s = arg;
    int64_t t0 = sim_now_ms();
    for (int i = 0; i < s->n && !stopping(s); i++) {
        register_node(s, i);
        /* spread the heartbeats over the interval instead of all at once */
        int64_t now = sim_now_ms();
        s->nodes[i].next_lease = now + s->heartbeat_ms * (i + 1) / (s->n ? s->n : 1);
        s->nodes[i].next_status = now + s->status_ms * (i + 1) / (s->n ? s->n : 1);
    }
    skiff_log(SKIFF_LOG_INFO, SIM_LOG, "registered %llu simulated nodes in %lld ms",
              (unsigned long long)s->registered_nodes, (long long)(sim_now_ms() - t0));
    while (!stopping(s)) {
        restart_watches(s);
        int64_t now = sim_now_ms(), next = now + 500;
        for (int i = 0; i < s->n; i++) {
            sim_node_t *nd = &s->nodes[i];
            pthread_mutex_lock(&s->mu);
            int skip = nd->gone || nd->stopped || s->stopping, registered = nd->registered;
            pthread_mutex_unlock(&s->mu);
            if (skip) continue;
            if (!registered) {
                /* the server was unreachable or refused: try again each heartbeat */
                if (nd->next_lease <= now) {
                    register_node(s, i);
                    nd->next_lease = now + s->heartbeat_ms;
                    nd->next_status = now + s->status_ms;
                }
                if (nd->next_lease < next) next = nd->next_lease;
                continue;
            }
            if (nd->next_lease <= now) {
                renew_lease(s, nd, 0);
                nd->next_lease = now + s->heartbeat_ms;
            }
            if (nd->next_status <= now) {
                update_status(s, nd);
                nd->next_status = now + s->status_ms;
            }
            if (nd->next_lease < next) next = nd->next_lease;
            if (nd->next_status < next) next = nd->next_status;
        }
        int64_t wait = next - sim_now_ms();
        if (wait <= 0) continue;
        if (wait > 500) wait = 500;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += (wait % 1000) * 1000000;
        ts.tv_sec += wait / 1000 + ts.tv_nsec / 1000000000;
        ts.tv_nsec %= 1000000000;
        pthread_mutex_lock(&s->mu);
        if (!s->stopping) pthread_cond_timedwait(&s->cond, &s->mu, &ts);
        pthread_mutex_unlock(&s->mu);
    }
    return NULL;
}

/* ---- start/stop -------------------------------------------------------- */

static void sim_free(sim_t *s)
{
    if (!s) return;
    skiff_api_client_watch_stop(s->wnodes);
    skiff_api_client_watch_stop(s->wpods);
    sim_pods_free(s);
    skiff_api_client_free(s->client);
    cJSON_Delete(s->labels);
    cJSON_Delete(s->taints);
    free(s->nodes);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->warn_mu);
    free(s);
}

int skiff_sim_component_start(skiff_cluster_t *cl, const skiff_component_conf_t *conf,
                              void **state, skiff_error_t *err)
{
    (void)cl;
    sim_t *s = calloc(1, sizeof *s);
    if (!s) return skiff_error_set(err, -ENOMEM, "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->warn_mu, NULL);
    s->warn_window = sim_now_ms();
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &ca);
    pthread_condattr_destroy(&ca);
    const char *server = NULL;
    int rc = read_settings(s, conf->settings, &server, err);
    if (rc < 0) { sim_free(s); return rc; }
    if (server && *server) {
        rc = skiff_api_client_http(server, &s->client, err);
    } else {
        skiff_api_server_t *srv = skiff_api_component_server();
        if (!srv) {
            sim_free(s);
            return skiff_error_set(err, SKIFF_E_INVALID,
                                   "sim needs an API server: enable apiserver in this process (components = { apiserver = true; }) or set sim.server = \"http://HOST:PORT\"");
        }
        rc = skiff_api_client_local(srv, &s->client, err);
    }
    if (rc < 0) { sim_free(s); return rc; }
    s->nbuckets = 1u << 16;
    s->buckets = calloc(s->nbuckets, sizeof *s->buckets);
    s->nodes = calloc(s->n ? (size_t)s->n : 1, sizeof *s->nodes);
    if (!s->buckets || !s->nodes) { sim_free(s); return skiff_error_set(err, -ENOMEM, "out of memory"); }
    int node_prefix = s->pod_cidr.prefix > 24 ? s->pod_cidr.prefix : 24;
    char since[32];
    sim_time(since, sizeof since);
    for (int i = 0; i < s->n; i++) {
        sim_node_t *nd = &s->nodes[i];
        snprintf(nd->name, sizeof nd->name, "%s%d", s->prefix, i);
        skiff_sim_ip_format(s->node_cidr.base + 2 + (uint32_t)i, nd->ip, sizeof nd->ip);
        snprintf(nd->since, sizeof nd->since, "%s", since);
        if (s->wait_cidr) continue; /* spec.podCIDR comes from node IPAM */
        skiff_sim_cidr_t c;
        rc = skiff_sim_cidr_subnet(&s->pod_cidr, node_prefix, (uint64_t)i, &c, err);
        if (rc == 0) rc = skiff_sim_ippool_init(&nd->pool, &c, err);
        if (rc < 0) { sim_free(s); return rc; }
        nd->has_cidr = 1;
    }
    for (int w = 0; w < s->workers; w++) {
        if (pthread_create(&s->worker[w], NULL, sim_worker_main, s) != 0) break;
        s->nworkers++;
    }
    if (s->nworkers == 0 || pthread_create(&s->ticker, NULL, ticker_main, s) != 0) {
        skiff_sim_component_stop(s);
        return skiff_error_set(err, -ENOMEM, "sim: cannot start its threads");
    }
    s->ticker_started = 1;
    skiff_log(SKIFF_LOG_INFO, SIM_LOG, "simulating %d nodes (%s*, %s cpu, %s memory, %lld pods each) via %s",
              s->n, s->prefix, s->cpu, s->memory, (long long)s->pods, server && *server ? server : "the in-process API server");
    *state = s;
    return 0;
}

void skiff_sim_component_stop(void *state)
{
    sim_t *s = state;
    if (!s) return;
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
    if (s->ticker_started) pthread_join(s->ticker, NULL);
    for (int w = 0; w < s->nworkers; w++) pthread_join(s->worker[w], NULL);
    sim_free(s);
}

void skiff_sim_stats(void *state, skiff_sim_stats_t *out)
{
    sim_t *s = state;
    pthread_mutex_lock(&s->mu);
    out->nodes_registered = s->registered_nodes;
    out->pods_started = s->started_pods;
    out->deletes_finished = s->finished_deletes;
    out->jobs_pending = s->nheap;
    pthread_mutex_unlock(&s->mu);
}
