/* core/controller/leader — leader election through a coordination.k8s.io/v1
 * Lease, as client-go's leaderelection: the holder renews
 * spec.renewTime every retry period; a candidate takes the Lease over once
 * renewTime + leaseDurationSeconds has passed (leaseTransitions + 1); a
 * leader that cannot renew within renew_deadline stops leading. Writes are
 * compare-and-swap on the resourceVersion, so two candidates never both
 * win. Stopping releases the Lease (empty holder, duration 1s) so another
 * process takes over at once. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>

#include "controller/leader.h"
#include "log/log.h"

struct skiff_leader {
    skiff_leader_config_t cfg;
    char ns[64], name[128], identity[128];
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, leading;
    int64_t last_renew;    /* monotonic ms of our last successful renewal */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void micro_now(char *out, size_t n)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, n, "%s.%06ldZ", base, (long)tv.tv_usec);
}

static int64_t wall_ms(const char *t)
{
    if (!t) return 0;
    struct tm tm = { 0 };
    const char *rest = strptime(t, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest) return 0;
    int64_t ms = (int64_t)timegm(&tm) * 1000;
    if (*rest == '.') ms += (int64_t)(strtod(rest, NULL) * 1000);
    return ms;
}

static int64_t wall_now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* One attempt: 1 = we hold the Lease now, 0 = someone else does, <0 = error. */
static int try_acquire(skiff_leader_t *l, skiff_error_t *err)
{
    char path[600], coll[300], now[48];
    snprintf(coll, sizeof coll, "/apis/coordination.k8s.io/v1/namespaces/%s/leases", l->ns);
    snprintf(path, sizeof path, "%s/%s", coll, l->name);
    micro_now(now, sizeof now);
    int dur = (int)(l->cfg.lease_duration_ms / 1000);
    if (dur < 1) dur = 1;
    skiff_api_result_t res = { 0 };
    int rc = skiff_api_client_get(l->cfg.client, path, &res, err);
    if (rc == SKIFF_E_NOTFOUND) {
        skiff_api_result_free(&res);
        char body[768];
        snprintf(body, sizeof body, "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\"},"
                 "\"spec\":{\"holderIdentity\":\"%s\",\"leaseDurationSeconds\":%d,\"acquireTime\":\"%s\",\"renewTime\":\"%s\",\"leaseTransitions\":0}}",
                 l->name, l->ns, l->identity, dur, now, now);
        rc = skiff_api_client_create(l->cfg.client, coll, body, NULL, err);
        if (rc == SKIFF_E_EXISTS) return 0;
        return rc < 0 ? rc : 1;
    }
    if (rc < 0) { skiff_api_result_free(&res); return rc; }
    cJSON *lease = cJSON_ParseWithLength(res.body, res.len);
    skiff_api_result_free(&res);
    if (!lease) return skiff_error_set(err, SKIFF_E_NOSPACE, "leader election: out of memory");
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(lease, "spec");
    if (!spec) spec = cJSON_AddObjectToObject(lease, "spec");
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(spec, "holderIdentity");
    const char *holder = cJSON_IsString(h) ? h->valuestring : "";
    const cJSON *rt = cJSON_GetObjectItemCaseSensitive(spec, "renewTime"), *ld = cJSON_GetObjectItemCaseSensitive(spec, "leaseDurationSeconds");
    int64_t renew = wall_ms(cJSON_IsString(rt) ? rt->valuestring : NULL);
    int64_t their = cJSON_IsNumber(ld) ? (int64_t)ld->valuedouble * 1000 : l->cfg.lease_duration_ms;
    int mine = !strcmp(holder, l->identity);
    if (!mine && *holder && renew + their > wall_now()) { cJSON_Delete(lease); return 0; }
    /* renew ours, or take an expired / released one */
    if (!mine) {
        const cJSON *trv = cJSON_GetObjectItemCaseSensitive(spec, "leaseTransitions");
        int64_t tr = cJSON_IsNumber(trv) && trv->valuedouble > 0 ? (int64_t)trv->valuedouble : 0;
        cJSON_DeleteItemFromObjectCaseSensitive(spec, "leaseTransitions");
        cJSON_AddNumberToObject(spec, "leaseTransitions", (double)(*holder || tr ? tr + 1 : tr));
        cJSON_DeleteItemFromObjectCaseSensitive(spec, "acquireTime");
        cJSON_AddStringToObject(spec, "acquireTime", now);
        cJSON_DeleteItemFromObjectCaseSensitive(spec, "holderIdentity");
        cJSON_AddStringToObject(spec, "holderIdentity", l->identity);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(spec, "renewTime");
    cJSON_AddStringToObject(spec, "renewTime", now);
    cJSON_DeleteItemFromObjectCaseSensitive(spec, "leaseDurationSeconds");
    cJSON_AddNumberToObject(spec, "leaseDurationSeconds", dur);
    char *body = cJSON_PrintUnformatted(lease);
    cJSON_Delete(lease);
    rc = body ? skiff_api_client_update(l->cfg.client, path, body, NULL, err) : SKIFF_E_NOSPACE;
    free(body);
    if (rc == SKIFF_E_CONFLICT) return 0; /* someone wrote first: not ours this round */
    return rc < 0 ? rc : 1;
}

static void release(skiff_leader_t *l)
{
    char path[400], body[256];
    snprintf(path, sizeof path, "/apis/coordination.k8s.io/v1/namespaces/%s/leases/%s", l->ns, l->name);
    skiff_error_t err;
    skiff_error_clear(&err);
    skiff_api_result_t res = { 0 };
    if (skiff_api_client_get(l->cfg.client, path, &res, &err) == 0) {
        cJSON *lease = cJSON_ParseWithLength(res.body, res.len);
        const char *h = skiff_obj_str(lease, "spec.holderIdentity");
        const char *rv = skiff_obj_str(lease, "metadata.resourceVersion");
        if (h && rv && !strcmp(h, l->identity)) {
            snprintf(body, sizeof body, "{\"metadata\":{\"resourceVersion\":\"%s\"},\"spec\":{\"holderIdentity\":\"\",\"leaseDurationSeconds\":1}}", rv);
            skiff_api_client_patch(l->cfg.client, path, "application/merge-patch+json", body, NULL, &err);
        }
        cJSON_Delete(lease);
    }
    skiff_api_result_free(&res);
}

static void wait_ms(skiff_leader_t *l, int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
    if (!l->stop) pthread_cond_timedwait(&l->cv, &l->mu, &ts);
}

static void *leader_main(void *arg)
{
    skiff_leader_t *l = arg;
    pthread_mutex_lock(&l->mu);
    while (!l->stop) {
        pthread_mutex_unlock(&l->mu);
        skiff_error_t err;
        skiff_error_clear(&err);
        int rc = try_acquire(l, &err);
        pthread_mutex_lock(&l->mu);
        if (l->stop) break;
        int64_t now = mono_ms();
        if (rc == 1) {
            l->last_renew = now;
            if (!l->leading) {
                l->leading = 1;
                skiff_log(SKIFF_LOG_INFO, "controllers", "leader election: %s acquired lease %s/%s", l->identity, l->ns, l->name);
                pthread_mutex_unlock(&l->mu);
                l->cfg.on_start(l->cfg.ud);
                pthread_mutex_lock(&l->mu);
            }
        } else if (l->leading && (now - l->last_renew > l->cfg.renew_deadline_ms || rc == 0)) {
            l->leading = 0;
            skiff_log(SKIFF_LOG_WARN, "controllers", "leader election: %s lost lease %s/%s%s%s", l->identity, l->ns, l->name,
                      rc < 0 ? ": " : "", rc < 0 ? err.msg : "");
            pthread_mutex_unlock(&l->mu);
            l->cfg.on_stop(l->cfg.ud);
            pthread_mutex_lock(&l->mu);
        }
        wait_ms(l, l->cfg.retry_period_ms);
    }
    int was = l->leading;
    l->leading = 0;
    pthread_mutex_unlock(&l->mu);
    if (was) {
        l->cfg.on_stop(l->cfg.ud);
        release(l);
        skiff_log(SKIFF_LOG_INFO, "controllers", "leader election: %s released lease %s/%s", l->identity, l->ns, l->name);
    }
    return NULL;
}

int skiff_leader_start(const skiff_leader_config_t *cfg, skiff_leader_t **out, skiff_error_t *err)
{
    if (cfg->renew_deadline_ms >= cfg->lease_duration_ms || cfg->retry_period_ms <= 0 || cfg->retry_period_ms >= cfg->renew_deadline_ms)
        return skiff_error_set(err, SKIFF_E_INVALID, "leader election: need retry_period < renew_deadline < lease_duration");
    skiff_leader_t *l = calloc(1, sizeof *l);
    if (!l) return skiff_error_set(err, -ENOMEM, "leader election: out of memory");
    l->cfg = *cfg;
    snprintf(l->ns, sizeof l->ns, "%s", cfg->lease_namespace ? cfg->lease_namespace : "kube-system");
    snprintf(l->name, sizeof l->name, "%s", cfg->lease_name ? cfg->lease_name : "kube-controller-manager");
    snprintf(l->identity, sizeof l->identity, "%s", cfg->identity);
    l->cfg.identity = l->identity;
    l->cfg.lease_name = l->name;
    l->cfg.lease_namespace = l->ns;
    pthread_mutex_init(&l->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&l->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&l->th, NULL, leader_main, l) != 0) {
        free(l);
        return skiff_error_set(err, SKIFF_E_INTERNAL, "leader election: cannot start a thread");
    }
    *out = l;
    return 0;
}

int skiff_leader_is_leader(skiff_leader_t *l)
{
    pthread_mutex_lock(&l->mu);
    int r = l->leading;
    pthread_mutex_unlock(&l->mu);
    return r;
}

void skiff_leader_stop(skiff_leader_t *l)
{
    if (!l) return;
    pthread_mutex_lock(&l->mu);
    l->stop = 1;
    pthread_cond_signal(&l->cv);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->th, NULL);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    free(l);
}
