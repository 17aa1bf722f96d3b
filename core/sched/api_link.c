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
#include "api/jscan.h"
#include "api/lean.h"
#include "manifest/manifest.h"
#include "sched/api_link.h"
#include "sched/event_agg.h"
#include "sched/recorder.h"
#include "sched/sched_int.h"

struct sched_api_link {
    skiff_api_client_t *client;
    skiff_sched_t *sched;
    skiff_api_client_watch_t *nodes, *pods;
    sched_event_agg_t *agg;     /* identical events counted, not repeated */
    sched_recorder_t *rec;      /* events are written by its thread (NULL: inline) */
    /* Our binds whose MODIFIED echo has not come yet ("ns/name" -> echo_t):
     * that echo is the pod as the scheduler has it plus nodeName and the
     * PodScheduled condition, so it is recognised from its text and not
     * parsed again (see echo_of_bind). */
    pthread_mutex_t emu;
    sched_map_t echoes;
    uint64_t echoes_skipped;    /* emu */
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

/* A growing JSON text (events and bindings are built without a cJSON
 * tree). It starts in the caller's buffer (on its stack) and moves to the
 * heap only when that is too small: growing by realloc was a visible cost
 * per event. jbuf_done frees what moved. */
typedef struct jbuf { char *s; size_t len, cap; int oom, heap; } jbuf_t;

static void jinit(jbuf_t *j, char *buf, size_t cap)
{
    *j = (jbuf_t){ .s = buf, .cap = cap };
    buf[0] = '\0';
}

static void jdone(jbuf_t *j)
{
    if (j->heap) free(j->s);
}

static void jput(jbuf_t *j, const char *p, size_t n)
{
    if (j->oom) return;
    if (j->len + n + 1 > j->cap) {
        size_t cap = j->cap * 2;
        while (cap < j->len + n + 1) cap *= 2;
        char *s = j->heap ? realloc(j->s, cap) : malloc(cap);
        if (!s) { j->oom = 1; return; }
        if (!j->heap) memcpy(s, j->s, j->len + 1);
        j->s = s;
        j->cap = cap;
        j->heap = 1;
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
static void jref(jbuf_t *j, const char *name, const char *ns, const char *uid)
{
    jraw(j, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"name\":");
    jstr(j, name);
    jraw(j, ",\"namespace\":");
    jstr(j, ns);
    if (uid && uid[0]) {
        jraw(j, ",\"uid\":");
        jstr(j, uid);
    }
    jraw(j, "}");
}

/* ---- the echo of our own binds ---------------------------------------------- */

enum { ECHO_PENDING, ECHO_BOUND, ECHO_SKIPPED };

typedef struct echo {
    char *key;   /* "ns/name": the map's key */
    char *node;
    int state;   /* PENDING: bind in flight; BOUND: it succeeded; SKIPPED: its echo came first */
} echo_t;

static void echo_free(echo_t *x)
{
    if (!x) return;
    free(x->key);
    free(x->node);
    free(x);
}

static void echo_free_cb(void *ud, void *val)
{
    (void)ud;
    echo_free(val);
}

/* Noted before the bind is sent: its MODIFIED may reach the watch thread
 * before the bind's answer reaches us. NULL (no memory): nothing skipped. */
static echo_t *echo_add(sched_api_link_t *l, const skiff_sched_pod_t *pod, const char *node)
{
    echo_t *x = calloc(1, sizeof *x);
    if (!x) return NULL;
    if (asprintf(&x->key, "%s/%s", pod->namespace_, pod->name) < 0) { free(x); return NULL; }
    if (!(x->node = strdup(node))) { free(x->key); free(x); return NULL; }
    pthread_mutex_lock(&l->emu);
    echo_free(sched_map_del(&l->echoes, x->key));
    if (sched_map_put(&l->echoes, x->key, x) < 0) {
        pthread_mutex_unlock(&l->emu);
        echo_free(x);
        return NULL;
    }
    pthread_mutex_unlock(&l->emu);
    return x;
}

static void refetch(sched_api_link_t *l, const skiff_sched_pod_t *pod);

/* The bind answered: bound, the echo is still to come (or came: done).
 * Failed after its "echo" was skipped — another binder put the pod on the
 * same node meanwhile — so the scheduler must see the pod as it is. */
static void echo_done(sched_api_link_t *l, echo_t *x, const skiff_sched_pod_t *pod, int ok)
{
    if (!x) return;
    pthread_mutex_lock(&l->emu);
    if (sched_map_get(&l->echoes, x->key) != x) { /* cleared by a watch restart */
        pthread_mutex_unlock(&l->emu);
        return;
    }
    int skipped = x->state == ECHO_SKIPPED;
    if (ok && !skipped) {
        x->state = ECHO_BOUND;
        pthread_mutex_unlock(&l->emu);
        return;
    }
    sched_map_del(&l->echoes, x->key);
    pthread_mutex_unlock(&l->emu);
    echo_free(x);
    if (!ok && skipped) refetch(l, pod);
}

static void echo_forget(sched_api_link_t *l, const char *key)
{
    pthread_mutex_lock(&l->emu);
    echo_free(sched_map_del(&l->echoes, key));
    pthread_mutex_unlock(&l->emu);
}

int sched_api_link_echo_facts(const char *object, size_t len, char *key, size_t keylen, const char **node,
                              const char **node_end)
{
    static const char *const nodename[] = { "spec", "nodeName" }, *const meta[] = { "metadata" },
                             *const mk[] = { "name", "namespace" };
    const char *e = object + len, *top = skiff_jscan_ws(object, e), *nv, *nve, *mv;
    skiff_jmem_t m[2];
    /* (nodeName leads spec after a bind; metadata leads the object) */
    if (skiff_jscan_at(top, e, nodename, 2, &nv) != 0 || *nv != '"' || !(nve = skiff_jscan_skip(nv, e)) ||
        skiff_jscan_at(top, e, meta, 1, &mv) != 0 || skiff_jscan_members(mv, e, mk, 2, m, NULL, NULL) < 0 ||
        !m[0].k)
        return -1;
    char name[256], ns[256] = "default";
    if (skiff_jscan_str(m[0].v, m[0].ve, name, sizeof name) < 0 ||
        (m[1].k && skiff_jscan_str(m[1].v, m[1].ve, ns, sizeof ns) < 0))
        return -1;
    if ((size_t)snprintf(key, keylen, "%s/%s", ns, name) >= keylen) return -1;
    *node = nv;
    *node_end = nve;
    return 0;
}

/* Is this MODIFIED the echo of our bind? It is when the pod is one we bound
 * (or are binding) and spec.nodeName is that node: nodeName is set once, by
 * a binding, so the revision that first carries it is that binding, which
 * changes nothing else the scheduler reads. Found from the text, no parse
 * (sched_api_link_echo_facts). */
static int echo_of_bind(sched_api_link_t *l, const char *object, size_t len)
{
    pthread_mutex_lock(&l->emu);
    size_t pending = l->echoes.len;
    pthread_mutex_unlock(&l->emu);
    if (!pending) return 0;
    char key[520];
    const char *nv, *nve;
    if (sched_api_link_echo_facts(object, len, key, sizeof key, &nv, &nve) < 0) return 0;
    pthread_mutex_lock(&l->emu);
    echo_t *x = sched_map_get(&l->echoes, key);
    int mine = x && skiff_jscan_str_eq(nv, nve, x->node);
    if (mine) l->echoes_skipped++;
    if (mine && x->state == ECHO_BOUND) {
        sched_map_del(&l->echoes, key);
        echo_free(x);
    } else if (mine) {
        x->state = ECHO_SKIPPED;
    }
    pthread_mutex_unlock(&l->emu);
    return mine;
}

static int link_bind(void *ud, const skiff_sched_pod_t *pod, const char *node, skiff_error_t *err)
{
    sched_api_link_t *l = ud;
    char buf[1024];
    jbuf_t j;
    jinit(&j, buf, sizeof buf);
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
    if (j.oom) { jdone(&j); return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory"); }
    char path[600];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/%s/binding", pod->namespace_, pod->name);
    echo_t *x = echo_add(l, pod, node);
    int rc = skiff_api_client_create(l->client, path, j.s, NULL, err);
    jdone(&j);
    echo_done(l, x, pod, rc == 0);
    return rc;
}

/* The recorder's writer (recorder.c, its own thread): aggregate, then
 * create or patch the Event. Best effort, as client-go's recorder. */
static void write_event(void *ud, const sched_rec_event_t *ev)
{
    sched_api_link_t *l = ud;
    char ts[32], name[400], path[400];
    time_t secs = (time_t)(ev->at_ns / 1000000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(name, sizeof name, "%s.%llx", ev->name, (unsigned long long)ev->at_ns);
    const char *message = ev->message;
    /* client-go's EventCorrelator (event_agg.c): similar events aggregated
     * by reason, identical ones counted on the Event already written (count,
     * lastTimestamp, message patched), a spam filter per source + object. */
    char *spam = NULL;
    sched_event_verdict_t v;
    if (l->agg && asprintf(&spam, "%s\x01v1\x01Pod\x01%s\x01%s\x01%s\x01%s", ev->by, ev->namespace_, ev->name,
                           ev->uid, ev->type) < 0)
        spam = NULL;
    int have = spam && sched_event_agg_correlate(l->agg, spam, ev->reason, ev->message, name, ts,
                                                 ev->at_ns, &v) == 0;
    free(spam);
    if (have && v.action == SCHED_EVENT_SKIP) { sched_event_verdict_free(&v); return; }
    if (have && v.action == SCHED_EVENT_PATCH) {
        char pbuf[1024];
        jbuf_t b;
        jinit(&b, pbuf, sizeof pbuf);
        char cnt[32];
        snprintf(cnt, sizeof cnt, "{\"count\":%lld,\"lastTimestamp\":", (long long)v.count);
        jraw(&b, cnt);
        jstr(&b, ts);
        jraw(&b, ",\"message\":");
        jstr(&b, v.message);
        jraw(&b, "}");
        snprintf(path, sizeof path, "/api/v1/namespaces/%s/events/%s", ev->namespace_, v.name);
        skiff_error_t err;
        int rc = b.oom ? 0 : skiff_api_client_patch(l->client, path, "application/merge-patch+json", b.s, NULL, &err);
        jdone(&b);
        if (rc != SKIFF_E_NOTFOUND) { sched_event_verdict_free(&v); return; } /* best effort, as client-go's recorder */
        /* expired or deleted: start a new one */
        sched_event_agg_forget(l->agg, v.key);
        sched_event_agg_hit_t hit;
        sched_event_agg_record(l->agg, v.key, name, ts, &hit);
    }
    if (have) message = v.message;
    /* Written as text: one event per bound pod, a cJSON tree and its print
     * were a visible share of binding in the profile. */
    char buf[2048];
    jbuf_t j;
    jinit(&j, buf, sizeof buf);
    jraw(&j, "{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"metadata\":{\"name\":");
    jstr(&j, name);
    jraw(&j, ",\"namespace\":");
    jstr(&j, ev->namespace_);
    jraw(&j, "},\"involvedObject\":");
    jref(&j, ev->name, ev->namespace_, ev->uid);
    jraw(&j, ",\"reason\":");
    jstr(&j, ev->reason);
    jraw(&j, ",\"message\":");
    jstr(&j, message);
    jraw(&j, ",\"type\":");
    jstr(&j, ev->type);
    jraw(&j, ",\"source\":{\"component\":");
    jstr(&j, ev->by);
    jraw(&j, "},\"reportingComponent\":");
    jstr(&j, ev->by);
    jraw(&j, ",\"action\":");
    jstr(&j, ev->action);
    if (ev->rname) {
        jraw(&j, ",\"related\":");
        jref(&j, ev->rname, ev->rnamespace, ev->ruid);
    }
    jraw(&j, ",\"firstTimestamp\":");
    jstr(&j, ts);
    jraw(&j, ",\"lastTimestamp\":");
    jstr(&j, ts);
    jraw(&j, ",\"count\":1}");
    if (!j.oom) {
        snprintf(path, sizeof path, "/api/v1/namespaces/%s/events", ev->namespace_);
        skiff_error_t err;
        skiff_api_client_create(l->client, path, j.s, NULL, &err);
    }
    jdone(&j);
    if (have) sched_event_verdict_free(&v);
}

/* An event about pod: queued for the recorder's thread (dropped and
 * counted when the queue is full), never written on the caller's path. */
static void link_event(sched_api_link_t *l, const skiff_sched_pod_t *pod, const char *type,
                       const char *reason, const char *action, const char *message,
                       const skiff_sched_pod_t *related)
{
    sched_rec_event_t ev = {
        .type = type, .reason = reason, .action = action, .message = message,
        .by = related ? related->scheduler_name : pod->scheduler_name,
        .name = pod->name, .namespace_ = pod->namespace_, .uid = pod->uid,
        .rname = related ? related->name : NULL, .rnamespace = related ? related->namespace_ : NULL,
        .ruid = related ? related->uid : NULL,
    };
    if (l->rec) sched_recorder_post(l->rec, &ev);
    else write_event(l, &ev);
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

/* The object of a watch event without metadata.managedFields: the
 * scheduler never reads them (kube-scheduler's informers strip them too,
 * TransformStripManagedFields), and they are a large share of a pod's text,
 * so of parsing it — twice per pod (ADDED, then the echo of the bind). */
static cJSON *parse_lean(const char *object, size_t len)
{
    size_t s, e;
    if (apisrv_managed_fields_span(object, len, &s, &e) < 0) return skiff_manifest_parse_json(object, len);
    char stackbuf[8192], *cut = len - (e - s) <= sizeof stackbuf ? stackbuf : malloc(len - (e - s));
    if (!cut) return skiff_manifest_parse_json(object, len);
    memcpy(cut, object, s);
    memcpy(cut + s, object + e, len - e);
    cJSON *o = skiff_manifest_parse_json(cut, len - (e - s)); /* cJSON's tree, one pass */
    if (cut != stackbuf) free(cut);
    return o;
}

static void node_cb(void *ud, const char *type, const char *object, size_t len)
{
    sched_api_link_t *l = ud;
    if (!type) { ended(l, &l->nodes_ended); return; }
    if (!object) return;
    skiff_error_t err;
    if (strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0) {
        cJSON *o = parse_lean(object, len);
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
    if (type[0] == 'M' && echo_of_bind(l, object, len)) return; /* what we have, bound as we bound it */
    cJSON *o = parse_lean(object, len);
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
    if (cJSON_IsString(n)) {
        char key[520];
        snprintf(key, sizeof key, "%s/%s", cJSON_IsString(ns) ? ns->valuestring : "default", n->valuestring);
        echo_forget(l, key);
        skiff_sched_pod_delete(l->sched, cJSON_IsString(ns) ? ns->valuestring : "default", n->valuestring, &err);
    }
    cJSON_Delete(o);
}

/* The pod as the API has it now, to the scheduler (an echo we skipped was
 * someone else's bind). */
static void refetch(sched_api_link_t *l, const skiff_sched_pod_t *pod)
{
    char path[600];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/%s", pod->namespace_, pod->name);
    skiff_api_result_t r = { 0 };
    skiff_error_t err;
    if (skiff_api_client_get(l->client, path, &r, &err) == 0) {
        cJSON *o = parse_lean(r.body, r.len);
        if (o) skiff_sched_pod_update(l->sched, o, &err);
    }
    skiff_api_result_free(&r);
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
            /* the new watch starts with every pod (ADDED): no echo to wait for */
            pthread_mutex_lock(&l->emu);
            sched_map_each(&l->echoes, echo_free_cb, NULL);
            sched_map_free(&l->echoes);
            memset(&l->echoes, 0, sizeof l->echoes);
            pthread_mutex_unlock(&l->emu);
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
    /* the queue bound: client-go's 1000; SKIFF_SCHED_EVENT_QUEUE overrides
     * (profiling under valgrind, where the writer thread starves) */
    const char *qcap = getenv("SKIFF_SCHED_EVENT_QUEUE");
    long cap = qcap ? strtol(qcap, NULL, 10) : 0;
    if (sched_recorder_new(cap > 0 && cap <= 10000000 ? (size_t)cap : 0, write_event, l, &l->rec) < 0)
        l->rec = NULL; /* then written inline */
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    pthread_mutex_init(&l->emu, NULL);
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

uint64_t sched_api_link_echoes_skipped(sched_api_link_t *l)
{
    pthread_mutex_lock(&l->emu);
    uint64_t n = l->echoes_skipped;
    pthread_mutex_unlock(&l->emu);
    return n;
}

void sched_api_link_events(sched_api_link_t *l, int flush, uint64_t *written, uint64_t *dropped)
{
    *written = *dropped = 0;
    if (!l->rec) return;
    if (flush) sched_recorder_flush(l->rec);
    *written = sched_recorder_written(l->rec);
    *dropped = sched_recorder_dropped(l->rec);
}

void sched_api_link_free(sched_api_link_t *l)
{
    if (!l) return;
    sched_api_link_stop(l);
    sched_recorder_free(l->rec); /* writes what is queued */
    skiff_api_client_free(l->client);
    sched_event_agg_free(l->agg);
    sched_map_each(&l->echoes, echo_free_cb, NULL);
    sched_map_free(&l->echoes);
    pthread_mutex_destroy(&l->emu);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    free(l);
}
