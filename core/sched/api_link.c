/* The scheduler wired to the API server of this process (in-process client,
 * core/api/client.h): watches of nodes and pods feed the scheduler; binds
 * go through pods/binding; failures become FailedScheduling events and the
 * PodScheduled=False condition, successes a Scheduled event — the wording
 * kube-scheduler uses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>

#include <cjson/cJSON.h>

#include "api/client.h"
#include "manifest/manifest.h"
#include "sched/api_link.h"
#include "sched/event_agg.h"

struct sched_api_link {
    skiff_api_client_t *client;
    skiff_sched_t *sched;
    skiff_api_client_watch_t *nodes, *pods;
    sched_event_agg_t *agg;     /* identical events counted, not repeated */
    /* A watch whose stream ended (server restart of the stream, 410 Gone
     * after compaction) is started again from the current state by the
     * supervisor thread; re-listed objects replace what the scheduler has. */
    pthread_t super;
    int super_running;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int quit, nodes_ended, pods_ended;
};

static void rfc3339(char *buf, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A growing JSON text (events are built without a cJSON tree). */
typedef struct jbuf { char *s; size_t len, cap; int oom; } jbuf_t;

static void jput(jbuf_t *j, const char *p, size_t n)
{
    if (j->oom) return;
    if (j->len + n + 1 > j->cap) {
        size_t cap = j->cap ? j->cap * 2 : 512;
        while (cap < j->len + n + 1) cap *= 2;
        char *s = realloc(j->s, cap);
        if (!s) { j->oom = 1; return; }
        j->s = s;
        j->cap = cap;
    }
    memcpy(j->s + j->len, p, n);
    j->len += n;
    j->s[j->len] = '\0';
}

static void jraw(jbuf_t *j, const char *p) { jput(j, p, strlen(p)); }

static void jstr(jbuf_t *j, const char *p)
{
    jput(j, "\"", 1);
    const char *run = p;
    for (; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch >= 0x20 && ch != '"' && ch != '\\') continue;
        jput(j, run, (size_t)(p - run));
        char esc[8];
        if (ch == '"' || ch == '\\') snprintf(esc, sizeof esc, "\\%c", ch);
        else if (ch == '\n') snprintf(esc, sizeof esc, "\\n");
        else snprintf(esc, sizeof esc, "\\u%04x", ch);
        jraw(j, esc);
        run = p + 1;
    }
    jput(j, run, (size_t)(p - run));
    jput(j, "\"", 1);
}

/* {"apiVersion":"v1","kind":"Pod","name":...,"namespace":...,"uid":...} */
static void jref(jbuf_t *j, const skiff_sched_pod_t *pod)
{
    jraw(j, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"name\":");
    jstr(j, pod->name);
    jraw(j, ",\"namespace\":");
    jstr(j, pod->namespace_);
    if (pod->uid[0]) {
        jraw(j, ",\"uid\":");
        jstr(j, pod->uid);
    }
    jraw(j, "}");
}

static int link_bind(void *ud, const skiff_sched_pod_t *pod, const char *node, skiff_error_t *err)
{
    sched_api_link_t *l = ud;
    jbuf_t j = { 0 };
    jraw(&j, "{\"apiVersion\":\"v1\",\"kind\":\"Binding\",\"metadata\":{\"name\":");
    jstr(&j, pod->name);
    jraw(&j, ",\"namespace\":");
    jstr(&j, pod->namespace_);
    if (pod->uid[0]) {
        jraw(&j, ",\"uid\":");
        jstr(&j, pod->uid);
    }
    jraw(&j, "},\"target\":{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"name\":");
    jstr(&j, node);
    jraw(&j, "}}");
    if (j.oom) { free(j.s); return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory"); }
    char *json = j.s;
    char path[600];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/%s/binding", pod->namespace_, pod->name);
    int rc = skiff_api_client_create(l->client, path, json, NULL, err);
    free(json);
    return rc;
}

static void link_event(sched_api_link_t *l, const skiff_sched_pod_t *pod, const char *type,
                       const char *reason, const char *action, const char *message,
                       const skiff_sched_pod_t *related)
{
    char ts[32], name[400], path[400];
    rfc3339(ts, sizeof ts);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    snprintf(name, sizeof name, "%s.%llx", pod->name,
             (unsigned long long)now.tv_sec * 1000000000ull + (unsigned long long)now.tv_nsec);
    const char *by = related ? related->scheduler_name : pod->scheduler_name;
    /* The correlator's key (getEventKey): source, involved object, type,
     * reason, message. Seen before: count+1 on that Event. */
    char *key = NULL;
    sched_event_agg_hit_t hit;
    if (l->agg && asprintf(&key, "%s\x01v1\x01Pod\x01%s\x01%s\x01%s\x01%s\x01%s\x01%s", by, pod->namespace_,
                           pod->name, pod->uid, type, reason, message) >= 0 &&
        sched_event_agg_record(l->agg, key, name, ts, &hit) == 1) {
        char body[128];
        snprintf(body, sizeof body, "{\"count\":%lld,\"lastTimestamp\":\"%s\"}", (long long)hit.count, ts);
        snprintf(path, sizeof path, "/api/v1/namespaces/%s/events/%s", pod->namespace_, hit.name);
        skiff_error_t err;
        int rc = skiff_api_client_patch(l->client, path, "application/merge-patch+json", body, NULL, &err);
        if (rc != SKIFF_E_NOTFOUND) { free(key); return; } /* best effort, as client-go's recorder */
        /* expired or deleted: start a new one */
        sched_event_agg_forget(l->agg, key);
        sched_event_agg_record(l->agg, key, name, ts, &hit);
    }
    free(key);
    /* Written as text: one event per bound pod, a cJSON tree and its print
     * were a visible share of binding in the profile. */
    jbuf_t j = { 0 };
    jraw(&j, "{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"metadata\":{\"name\":");
    jstr(&j, name);
    jraw(&j, ",\"namespace\":");
    jstr(&j, pod->namespace_);
    jraw(&j, "},\"involvedObject\":");
    jref(&j, pod);
    jraw(&j, ",\"reason\":");
    jstr(&j, reason);
    jraw(&j, ",\"message\":");
    jstr(&j, message);
    jraw(&j, ",\"type\":");
    jstr(&j, type);
    jraw(&j, ",\"source\":{\"component\":");
    jstr(&j, by);
    jraw(&j, "},\"reportingComponent\":");
    jstr(&j, by);
    jraw(&j, ",\"action\":");
    jstr(&j, action);
    if (related) {
        jraw(&j, ",\"related\":");
        jref(&j, related);
    }
    jraw(&j, ",\"firstTimestamp\":");
    jstr(&j, ts);
    jraw(&j, ",\"lastTimestamp\":");
    jstr(&j, ts);
    jraw(&j, ",\"count\":1}");
    char *json = j.oom ? NULL : j.s;
    if (!json) { free(j.s); return; }
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/events", pod->namespace_);
    skiff_error_t err;
    skiff_api_client_create(l->client, path, json, NULL, &err); /* best effort, as client-go's recorder */
    free(json);
}

/* Preemption's writes, in kube-scheduler's order (prepareCandidate): the
 * nomination on the preemptor's status, then per victim a DisruptionTarget
 * condition, a graceful delete and a Preempted event. */
static int link_preempt(void *ud, const skiff_sched_pod_t *pod, const char *node,
                        const skiff_sched_pod_t *const *victims, size_t n, skiff_error_t *err)
{
    sched_api_link_t *l = ud;
    char path[600], ts[32], body[800];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/%s/status", pod->namespace_, pod->name);
    if (*node) snprintf(body, sizeof body, "{\"status\":{\"nominatedNodeName\":\"%s\"}}", node);
    else snprintf(body, sizeof body, "{\"status\":{\"nominatedNodeName\":null}}");
    int rc = skiff_api_client_patch(l->client, path, "application/merge-patch+json", body, NULL, err);
    if (rc < 0) return rc;
    rfc3339(ts, sizeof ts);
    int first_rc = 0;
    for (size_t i = 0; i < n; i++) {
        const skiff_sched_pod_t *v = victims[i];
        snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/%s/status", v->namespace_, v->name);
        snprintf(body, sizeof body,
                 "{\"status\":{\"conditions\":[{\"type\":\"DisruptionTarget\",\"status\":\"True\","
                 "\"lastTransitionTime\":\"%s\",\"reason\":\"PreemptionByScheduler\","
                 "\"message\":\"%s: preempting to accommodate a higher priority pod\"}]}}",
                 ts, pod->scheduler_name);
        skiff_error_t e2;
        skiff_api_client_patch(l->client, path, "application/strategic-merge-patch+json", body, NULL, &e2);
        snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/%s", v->namespace_, v->name);
        rc = skiff_api_client_delete(l->client, path, NULL, &e2);
        if (rc < 0 && rc != SKIFF_E_NOTFOUND) { /* gone already is what we wanted */
            if (!first_rc) { first_rc = rc; *err = e2; }
            continue;
        }
        char msg[400];
        snprintf(msg, sizeof msg, "Preempted by pod %s on node %s", pod->uid, node);
        link_event(l, v, "Normal", "Preempted", "Preempting", msg, pod);
    }
    return first_rc;
}

static void link_failed(void *ud, const skiff_sched_pod_t *pod, int error, const char *message)
{
    sched_api_link_t *l = ud;
    link_event(l, pod, "Warning", "FailedScheduling", "Scheduling", message, NULL);
    /* PodScheduled=False, as kube-scheduler's updatePod: strategic merge
     * keyed by condition type. */
    char ts[32], path[600];
    rfc3339(ts, sizeof ts);
    cJSON *p = cJSON_CreateObject();
    cJSON *conds = cJSON_AddArrayToObject(cJSON_AddObjectToObject(p, "status"), "conditions");
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "type", "PodScheduled");
    cJSON_AddStringToObject(c, "status", "False");
    cJSON_AddNullToObject(c, "lastProbeTime");
    cJSON_AddStringToObject(c, "lastTransitionTime", ts);
    cJSON_AddStringToObject(c, "reason", error ? "SchedulerError" : "Unschedulable");
    cJSON_AddStringToObject(c, "message", message);
    cJSON_AddItemToArray(conds, c);
    char *json = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    if (!json) return;
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/%s/status", pod->namespace_, pod->name);
    skiff_error_t err;
    skiff_api_client_patch(l->client, path, "application/strategic-merge-patch+json", json, NULL, &err);
    free(json);
}

static void link_bound(void *ud, const skiff_sched_pod_t *pod, const char *node)
{
    char msg[600];
    snprintf(msg, sizeof msg, "Successfully assigned %s/%s to %s", pod->namespace_, pod->name, node);
    link_event(ud, pod, "Normal", "Scheduled", "Binding", msg, NULL);
}

static void ended(sched_api_link_t *l, int *flag)
{
    pthread_mutex_lock(&l->mu);
    *flag = 1;
    pthread_cond_signal(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

static void node_cb(void *ud, const char *type, const char *object, size_t len)
{
    sched_api_link_t *l = ud;
    if (!type) { ended(l, &l->nodes_ended); return; }
    if (!object) return;
    skiff_error_t err;
    if (strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0) {
        cJSON *o = skiff_manifest_parse_json(object, len); /* cJSON's tree, one pass */
        if (o) skiff_sched_node_update(l->sched, o, &err);
    } else if (strcmp(type, "DELETED") == 0) {
        cJSON *o = skiff_manifest_parse_json(object, len); /* cJSON's tree, one pass */
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "metadata"), "name");
        if (cJSON_IsString(n)) skiff_sched_node_delete(l->sched, n->valuestring, &err);
        cJSON_Delete(o);
    }
}

static void pod_cb(void *ud, const char *type, const char *object, size_t len)
{
    sched_api_link_t *l = ud;
    if (!type) { ended(l, &l->pods_ended); return; }
    if (!object) return;
    skiff_error_t err;
    int added = strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0;
    if (!added && strcmp(type, "DELETED") != 0) return;
    cJSON *o = skiff_manifest_parse_json(object, len); /* cJSON's tree, one pass */
    if (!o) return;
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(o, "metadata");
    const cJSON *phase = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "status"), "phase");
    /* Finished pods hold no resources: for the scheduler they are gone. */
    int done = cJSON_IsString(phase) && (strcmp(phase->valuestring, "Succeeded") == 0 ||
                                         strcmp(phase->valuestring, "Failed") == 0);
    if (added && !done) {
        skiff_sched_pod_update(l->sched, o, &err);
        return;
    }
    const cJSON *ns = cJSON_GetObjectItemCaseSensitive(meta, "namespace");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(meta, "name");
    if (cJSON_IsString(n))
        skiff_sched_pod_delete(l->sched, cJSON_IsString(ns) ? ns->valuestring : "default", n->valuestring, &err);
    cJSON_Delete(o);
}

static void *supervise(void *arg)
{
    sched_api_link_t *l = arg;
    pthread_mutex_lock(&l->mu);
    while (!l->quit) {
        if (!l->nodes_ended && !l->pods_ended) {
            pthread_cond_wait(&l->cv, &l->mu);
            continue;
        }
        int n = l->nodes_ended, p = l->pods_ended;
        l->nodes_ended = l->pods_ended = 0;
        pthread_mutex_unlock(&l->mu);
        struct timespec pause = { 0, 200000000 }; /* do not spin on a failing server */
        nanosleep(&pause, NULL);
        skiff_error_t err;
        if (n) {
            skiff_api_client_watch_stop(l->nodes);
            l->nodes = NULL;
            skiff_api_client_watch(l->client, "/api/v1/nodes", "", node_cb, l, &l->nodes, &err);
        }
        if (p) {
            skiff_api_client_watch_stop(l->pods);
            l->pods = NULL;
            skiff_api_client_watch(l->client, "/api/v1/pods", "", pod_cb, l, &l->pods, &err);
        }
        pthread_mutex_lock(&l->mu);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

int sched_api_link_new(skiff_api_server_t *srv, sched_api_link_t **out, skiff_sched_sink_t *sink,
                       skiff_error_t *err)
{
    *out = NULL;
    sched_api_link_t *l = calloc(1, sizeof *l);
    if (!l) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    int rc = skiff_api_client_local(srv, &l->client, err);
    if (rc < 0) { free(l); return rc; }
    if (sched_event_agg_new(0, &l->agg) < 0) l->agg = NULL; /* then every event is created anew */
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    *sink = (skiff_sched_sink_t){ l, link_bind, link_failed, link_bound, link_preempt };
    *out = l;
    return 0;
}

int sched_api_link_start(sched_api_link_t *l, skiff_sched_t *s, skiff_error_t *err)
{
    l->sched = s;
    int rc = skiff_api_client_watch(l->client, "/api/v1/nodes", "", node_cb, l, &l->nodes, err);
    if (rc == 0) rc = skiff_api_client_watch(l->client, "/api/v1/pods", "", pod_cb, l, &l->pods, err);
    if (rc == 0 && pthread_create(&l->super, NULL, supervise, l) == 0) l->super_running = 1;
    return rc;
}

void sched_api_link_stop(sched_api_link_t *l)
{
    if (!l) return;
    if (l->super_running) {
        pthread_mutex_lock(&l->mu);
        l->quit = 1;
        pthread_cond_signal(&l->cv);
        pthread_mutex_unlock(&l->mu);
        pthread_join(l->super, NULL);
        l->super_running = 0;
    }
    skiff_api_client_watch_stop(l->pods);
    skiff_api_client_watch_stop(l->nodes);
    l->pods = l->nodes = NULL;
}

void sched_api_link_free(sched_api_link_t *l)
{
    if (!l) return;
    sched_api_link_stop(l);
    skiff_api_client_free(l->client);
    sched_event_agg_free(l->agg);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    free(l);
}
