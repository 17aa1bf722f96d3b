/* core/sim/pods — pods bound to simulated nodes: the pod watch decides what
 * to do (start after pod_start_delay, finish a graceful deletion, adopt a
 * pod found running), a min-heap of jobs orders it, and a few workers do the
 * API calls. One mutex guards the pod table, the heap and the IP pools. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log/log.h"
#include "sim/internal.h"

/* ---- the pod table (chained hash on "namespace/name") ------------------ */

static size_t hash(const char *k)
{
    uint64_t h = 1469598103934665603ull;
    for (; *k; k++) h = (h ^ (unsigned char)*k) * 1099511628211ull;
    return (size_t)h;
}

static sim_pod_t *pod_find(sim_t *s, const char *key)
{
    for (sim_pod_t *p = s->buckets[hash(key) & (s->nbuckets - 1)]; p; p = p->next)
        if (strcmp(p->key, key) == 0) return p;
    return NULL;
}

static sim_pod_t *pod_add(sim_t *s, const char *key, const char *uid, int node)
{
    sim_pod_t *p = calloc(1, sizeof *p);
    if (!p || !(p->key = strdup(key))) { free(p); return NULL; }
    snprintf(p->uid, sizeof p->uid, "%s", uid);
    p->node = node;
    size_t b = hash(key) & (s->nbuckets - 1);
    p->next = s->buckets[b];
    s->buckets[b] = p;
    return p;
}

static void pod_remove(sim_t *s, sim_pod_t *p)
{
    for (sim_pod_t **pp = &s->buckets[hash(p->key) & (s->nbuckets - 1)]; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    if (p->ip) skiff_sim_ippool_release(&s->nodes[p->node].pool, p->ip);
    free(p->key);
    free(p);
}

/* ---- the job heap ------------------------------------------------------- */

static int job_before(const sim_job_t *a, const sim_job_t *b)
{
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void job_free(sim_job_t *j)
{
    if (!j) return;
    free(j->key);
    cJSON_Delete(j->containers);
    cJSON_Delete(j->init);
    free(j);
}

/* Push (mu held). On allocation failure the job is dropped and freed. */
static void job_push(sim_t *s, sim_job_t *j)
{
    if (s->nheap == s->capheap) {
        size_t cap = s->capheap ? s->capheap * 2 : 1024;
        sim_job_t **h = realloc(s->heap, cap * sizeof *h);
        if (!h) {
            sim_warn(s, "pod %s: out of memory, dropped", j->key);
            job_free(j);
            return;
        }
        s->heap = h;
        s->capheap = cap;
    }
    j->seq = s->seq++;
    size_t i = s->nheap++;
    while (i > 0 && job_before(j, s->heap[(i - 1) / 2])) {
        s->heap[i] = s->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->heap[i] = j;
    pthread_cond_signal(&s->cond);
}

static sim_job_t *job_pop(sim_t *s)
{
    sim_job_t *top = s->heap[0], *last = s->heap[--s->nheap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->nheap) break;
        if (c + 1 < s->nheap && job_before(s->heap[c + 1], s->heap[c])) c++;
        if (!job_before(s->heap[c], last)) break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (s->nheap) s->heap[i] = last;
    return top;
}

static sim_job_t *job_new(int kind, const char *key, const char *uid, int64_t due)
{
    sim_job_t *j = calloc(1, sizeof *j);
    if (!j || !(j->key = strdup(key))) { free(j); return NULL; }
    j->kind = kind;
    j->due = due;
    snprintf(j->uid, sizeof j->uid, "%s", uid);
    return j;
}

/* ---- the pod watch ------------------------------------------------------ */

/* After a re-list (mu held): forget pods it did not show, freeing their IPs. */
static void sweep(sim_t *s)
{
    size_t n = 0;
    for (size_t b = 0; b < s->nbuckets; b++)
        for (sim_pod_t *p = s->buckets[b], *nx; p; p = nx) {
            nx = p->next;
            if (p->gen != s->pod_gen) { pod_remove(s, p); n++; }
        }
    s->pods_sweep = 0;
    if (n) skiff_log(SKIFF_LOG_INFO, SIM_LOG, "%zu pods deleted while the pod watch was down are forgotten", n);
}

static const char *str_at(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, a), b);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

void sim_pods_watch_cb(void *ud, const char *type, const char *object, size_t len)
{
    sim_t *s = ud;
    if (!type) {
        pthread_mutex_lock(&s->mu);
        s->wpods_ended = 1;
        pthread_mutex_unlock(&s->mu);
        return;
    }
    int deleted = strcmp(type, "DELETED") == 0;
    cJSON *o = cJSON_ParseWithLength(object, len);
    pthread_mutex_lock(&s->mu);
    sim_note_rv(s->pods_rv, sizeof s->pods_rv, type, o);
    if (strcmp(type, "BOOKMARK") == 0 && s->pods_sweep) sweep(s);
    pthread_mutex_unlock(&s->mu);
    if (!deleted && strcmp(type, "ADDED") && strcmp(type, "MODIFIED")) { cJSON_Delete(o); return; }
    int node = sim_node_index(s, str_at(o, "spec", "nodeName"));
    const char *ns = str_at(o, "metadata", "namespace"), *name = str_at(o, "metadata", "name");
    const char *uid = str_at(o, "metadata", "uid");
    if (node < 0 || !ns || !name || !uid) { cJSON_Delete(o); return; }
    char key[512];
    snprintf(key, sizeof key, "%s/%s", ns, name);
    const char *phase = str_at(o, "status", "phase"), *ip = str_at(o, "status", "podIP");
    int terminating = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "metadata"), "deletionTimestamp") != NULL;

    pthread_mutex_lock(&s->mu);
    sim_pod_t *p = pod_find(s, key);
    if (p && (strcmp(p->uid, uid) != 0 || deleted)) {
        /* gone, or a new pod under an old name: the old one's IP is free */
        if (deleted && strcmp(p->uid, uid) != 0) { pthread_mutex_unlock(&s->mu); cJSON_Delete(o); return; }
        pod_remove(s, p);
        p = NULL;
    }
    if (deleted) goto out;
    if (!p && !(p = pod_add(s, key, uid, node))) {
        sim_warn(s, "pod %s: out of memory", key);
        goto out;
    }
    p->gen = s->pod_gen;
    if (!p->state && ip) {
        /* found with an IP (we restarted): keep it from being given twice */
        uint32_t a;
        if (s->nodes[node].has_cidr && skiff_sim_ip_parse(ip, &a) == 0 && skiff_sim_ippool_mark(&s->nodes[node].pool, a) == 0) p->ip = a;
    }
    if (terminating) {
        if (p->state != SIM_POD_DELETING) {
            p->state = SIM_POD_DELETING;
            sim_job_t *j = job_new(SIM_JOB_DELETE, key, uid, sim_now_ms());
            if (j) job_push(s, j);
        }
    } else if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))) {
        p->state = SIM_POD_DONE;
    } else if (phase && !strcmp(phase, "Running")) {
        if (!p->state) p->state = SIM_POD_RUNNING;
    } else if (!p->state) {
        p->state = SIM_POD_QUEUED;
        sim_job_t *j = job_new(SIM_JOB_START, key, uid, sim_now_ms() + s->delay_ms);
        const cJSON *cs = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "spec"), "containers");
        if (j && !(j->containers = cJSON_Duplicate(cs, 1))) j->containers = cJSON_CreateArray();
        const cJSON *ic = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "spec"), "initContainers");
        if (j && cJSON_GetArraySize(ic) > 0) j->init = cJSON_Duplicate(ic, 1);
        if (j) job_push(s, j);
    }
out:
    pthread_mutex_unlock(&s->mu);
    cJSON_Delete(o);
}

/* ---- the workers -------------------------------------------------------- */

/* One status per container: running, or (init containers) terminated
 * Completed, as the kubelet reports them once a pod is up. */
static void add_statuses(cJSON *css, const char *uid, const char *now, const cJSON *containers, int init)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, containers) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(c, "name"), *im = cJSON_GetObjectItemCaseSensitive(c, "image");
        const char *cn = cJSON_IsString(n) ? n->valuestring : "", *ci = cJSON_IsString(im) ? im->valuestring : "";
        char id[512], cid[512];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", cn);
        cJSON_AddStringToObject(x, "image", ci);
        snprintf(id, sizeof id, "sim://%s", ci);
        cJSON_AddStringToObject(x, "imageID", id);
        snprintf(cid, sizeof cid, "sim://%s-%s", uid, cn);
        cJSON_AddStringToObject(x, "containerID", cid);
        cJSON_AddBoolToObject(x, "ready", 1);
        cJSON_AddBoolToObject(x, "started", !init);
        cJSON_AddNumberToObject(x, "restartCount", 0);
        cJSON *state = cJSON_AddObjectToObject(x, "state");
        if (init) {
            cJSON *t = cJSON_AddObjectToObject(state, "terminated");
            cJSON_AddNumberToObject(t, "exitCode", 0);
            cJSON_AddStringToObject(t, "reason", "Completed");
            cJSON_AddStringToObject(t, "startedAt", now);
            cJSON_AddStringToObject(t, "finishedAt", now);
            cJSON_AddStringToObject(t, "containerID", cid);
        } else {
            cJSON_AddStringToObject(cJSON_AddObjectToObject(state, "running"), "startedAt", now);
        }
        cJSON_AddItemToArray(css, x);
    }
}

static char *start_patch(const sim_node_t *nd, const char *uid, uint32_t ip, const cJSON *containers,
                         const cJSON *init)
{
    char now[32], ips[16];
    sim_time(now, sizeof now);
    skiff_sim_ip_format(ip, ips, sizeof ips);
    cJSON *o = cJSON_CreateObject();
    cJSON *st = cJSON_AddObjectToObject(o, "status");
    cJSON_AddStringToObject(st, "phase", "Running");
    static const char *const ct[] = { "PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled" };
    cJSON *conds = cJSON_AddArrayToObject(st, "conditions");
    for (size_t i = 0; i < sizeof ct / sizeof ct[0]; i++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "type", ct[i]);
        cJSON_AddStringToObject(c, "status", "True");
        cJSON_AddNullToObject(c, "lastProbeTime");
        cJSON_AddStringToObject(c, "lastTransitionTime", now);
        cJSON_AddItemToArray(conds, c);
    }
    cJSON_AddStringToObject(st, "hostIP", nd->ip);
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "ip", nd->ip);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(st, "hostIPs"), a);
    cJSON_AddStringToObject(st, "podIP", ips);
    a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "ip", ips);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(st, "podIPs"), a);
    cJSON_AddStringToObject(st, "startTime", now);
    if (init) add_statuses(cJSON_AddArrayToObject(st, "initContainerStatuses"), uid, now, init, 1);
    add_statuses(cJSON_AddArrayToObject(st, "containerStatuses"), uid, now, containers, 0);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

static void pod_path(const char *key, const char *sub, char *buf, size_t len)
{
    const char *slash = strchr(key, '/');
    snprintf(buf, len, "/api/v1/namespaces/%.*s/pods/%s%s", (int)(slash - key), key, slash + 1, sub);
}

/* Returns 1 when the job is to be retried later. */
static int run_start(sim_t *s, sim_job_t *j)
{
    pthread_mutex_lock(&s->mu);
    sim_pod_t *p = pod_find(s, j->key);
    if (!p || strcmp(p->uid, j->uid) != 0 || p->state != SIM_POD_QUEUED) { pthread_mutex_unlock(&s->mu); return 0; }
    sim_node_t *nd = &s->nodes[p->node];
    if (nd->stopped || !nd->registered || !nd->has_cidr) { pthread_mutex_unlock(&s->mu); return 1; }
    skiff_error_t err;
    skiff_error_clear(&err);
    if (!p->ip && skiff_sim_ippool_alloc(&nd->pool, &p->ip, &err) < 0) {
        pthread_mutex_unlock(&s->mu);
        sim_warn(s, "pod %s on %s: %s", j->key, nd->name, err.msg);
        return 1;
    }
    uint32_t ip = p->ip;
    pthread_mutex_unlock(&s->mu);
    char *body = start_patch(nd, j->uid, ip, j->containers, j->init);
    if (!body) return 1;
    char path[600];
    pod_path(j->key, "/status", path, sizeof path);
    int rc = skiff_api_client_patch(s->client, path, "application/merge-patch+json", body, NULL, &err);
    free(body);
    pthread_mutex_lock(&s->mu);
    p = pod_find(s, j->key);
    int retry = 0;
    if (rc == 0) {
        s->started_pods++;
        if (p && strcmp(p->uid, j->uid) == 0 && p->state == SIM_POD_QUEUED) p->state = SIM_POD_RUNNING;
    } else if (rc != SKIFF_E_NOTFOUND) {
        sim_warn(s, "starting pod %s: %s", j->key, err.msg);
        retry = 1;
    }
    pthread_mutex_unlock(&s->mu);
    return retry;
}

static int run_delete(sim_t *s, sim_job_t *j)
{
    pthread_mutex_lock(&s->mu);
    sim_pod_t *p = pod_find(s, j->key);
    int parked = p && strcmp(p->uid, j->uid) == 0 && s->nodes[p->node].stopped;
    pthread_mutex_unlock(&s->mu);
    if (!p || strcmp(p->uid, j->uid) != 0) return 0;
    if (parked) return 1; /* a dead node finishes nothing: the pod stays Terminating */
    char path[600], body[160];
    pod_path(j->key, "", path, sizeof path);
    snprintf(body, sizeof body, "{\"apiVersion\":\"v1\",\"kind\":\"DeleteOptions\",\"gracePeriodSeconds\":0,\"preconditions\":{\"uid\":\"%s\"}}", j->uid);
    skiff_error_t err;
    skiff_error_clear(&err);
    int rc = skiff_api_client_do(s->client, "DELETE", path, "gracePeriodSeconds=0", "application/json", body, strlen(body), NULL, &err);
    if (rc == 0 || rc == SKIFF_E_NOTFOUND || rc == SKIFF_E_CONFLICT) {
        pthread_mutex_lock(&s->mu);
        if (rc == 0) s->finished_deletes++;
        pthread_mutex_unlock(&s->mu);
        return 0;
    }
    sim_warn(s, "finishing the deletion of pod %s: %s", j->key, err.msg);
    return 1;
}

void *sim_worker_main(void *arg)
{
    sim_t *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->stopping) {
        int64_t now = sim_now_ms();
        if (s->nheap && s->heap[0]->due <= now) {
            sim_job_t *j = job_pop(s);
            pthread_mutex_unlock(&s->mu);
            int retry = j->kind == SIM_JOB_START ? run_start(s, j) : run_delete(s, j);
            pthread_mutex_lock(&s->mu);
            if (retry && !s->stopping) {
                /* parked on a stopped node or a failed call: look again later */
                j->due = sim_now_ms() + (s->delay_ms > 1000 ? s->delay_ms : 1000);
                job_push(s, j);
            } else {
                job_free(j);
            }
            continue;
        }
        int64_t wait = s->nheap ? s->heap[0]->due - now : 1000;
        if (wait > 1000) wait = 1000;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += (wait % 1000) * 1000000;
        ts.tv_sec += wait / 1000 + ts.tv_nsec / 1000000000;
        ts.tv_nsec %= 1000000000;
        pthread_cond_timedwait(&s->cond, &s->mu, &ts);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

void sim_pods_free(sim_t *s)
{
    for (size_t i = 0; i < s->nheap; i++) job_free(s->heap[i]);
    free(s->heap);
    s->heap = NULL;
    s->nheap = 0;
    if (!s->buckets) return;
    for (size_t b = 0; b < s->nbuckets; b++)
        for (sim_pod_t *p = s->buckets[b], *n; p; p = n) {
            n = p->next;
            free(p->key);
            free(p);
        }
    free(s->buckets);
    s->buckets = NULL;
}
