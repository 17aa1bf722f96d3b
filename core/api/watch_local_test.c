/* In-process watches of the local client: with the watch cache on they are
 * pull streams (the client's watch thread takes events straight from the
 * resource's fan-out window). Order kept, nothing lost, other namespaces
 * left out, the same answers as the shared-log path (SKIFF_WATCH_NO_PULL),
 * and a consumer that stalls is cut off with 410 without slowing writers. */
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "api/internal.h"
#include "api/test_server.h"
#include "bus/bus.h"

#define NOBJ 40   /* configmaps per writer thread */
#define NUPD 8    /* updates of each */

typedef struct seen {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int added, modified, deleted, bookmarks, errors, ended;
    int error_code;
    long long last_rv;
    int rv_backwards, foreign, out_of_order, bad;
    int gen[2][NOBJ];   /* last "g" seen per object (-1 = none yet, 1000 = deleted) */
    const char *ns;     /* the namespace watched */
    int block;          /* 1: the first event's callback waits for release */
    int released;
} seen_t;

static void seen_init(seen_t *s, const char *ns)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->ns = ns;
    for (int t = 0; t < 2; t++)
        for (int i = 0; i < NOBJ; i++) s->gen[t][i] = -1;
}

static const char *jstr(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b) x = cJSON_GetObjectItemCaseSensitive(x, b);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

static void on_event(void *ud, const char *type, const char *obj, size_t len)
{
    seen_t *s = ud;
    pthread_mutex_lock(&s->mu);
    if (s->block == 1) {
        s->block = 2; /* blocked: the writers go on without it */
        pthread_cond_broadcast(&s->cv);
        while (!s->released) pthread_cond_wait(&s->cv, &s->mu);
    }
    if (!type) {
        s->ended++;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        return;
    }
    cJSON *o = cJSON_ParseWithLength(obj, len);
    if (!o || obj[len] != '\0') s->bad++; /* the object's text, NUL-terminated */
    if (strcmp(type, "BOOKMARK") == 0) {
        s->bookmarks++;
    } else if (strcmp(type, "ERROR") == 0) {
        s->errors++;
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "code");
        s->error_code = cJSON_IsNumber(c) ? c->valueint : -1;
    } else {
        const char *ns = jstr(o, "metadata", "namespace"), *name = jstr(o, "metadata", "name");
        const char *rvs = jstr(o, "metadata", "resourceVersion"), *g = jstr(o, "data", "g");
        long long rv = rvs ? atoll(rvs) : 0;
        if (rv <= s->last_rv) s->rv_backwards++;
        s->last_rv = rv;
        int t = -1, i = -1;
        if (!ns || strcmp(ns, s->ns) != 0) s->foreign++;
        else if (!name || sscanf(name, "cm-%d-%d", &t, &i) != 2 || t < 0 || t > 1 || i < 0 || i >= NOBJ) s->bad++;
        else {
            int *last = &s->gen[t][i];
            int now = g ? atoi(g) : -2;
            if (strcmp(type, "ADDED") == 0) {
                s->added++;
                if (*last != -1 || now != 0) s->out_of_order++;
                *last = 0;
            } else if (strcmp(type, "MODIFIED") == 0) {
                s->modified++;
                if (now != *last + 1) s->out_of_order++;
                *last = now;
            } else if (strcmp(type, "DELETED") == 0) {
                s->deleted++;
                if (*last != NUPD) s->out_of_order++; /* the last state comes with it */
                *last = 1000;
            } else {
                s->bad++;
            }
        }
    }
    cJSON_Delete(o);
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

typedef struct writer {
    skiff_api_client_t *cl;
    const char *ns;
    int t;
    int failures;
} writer_t;

/* Create NOBJ configmaps, update each NUPD times, delete the even ones. */
static void *writer_main(void *arg)
{
    writer_t *w = arg;
    skiff_error_t err;
    char path[200], body[300];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/configmaps", w->ns);
    for (int i = 0; i < NOBJ; i++) {
        snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"cm-%d-%d\"},\"data\":{\"g\":\"0\"}}", w->t, i);
        if (skiff_api_client_create(w->cl, path, body, NULL, &err) < 0) w->failures++;
    }
    for (int g = 1; g <= NUPD; g++)
        for (int i = 0; i < NOBJ; i++) {
            char one[300];
            snprintf(one, sizeof one, "%s/cm-%d-%d", path, w->t, i);
            snprintf(body, sizeof body, "{\"data\":{\"g\":\"%d\"}}", g);
            if (skiff_api_client_patch(w->cl, one, "application/merge-patch+json", body, NULL, &err) < 0) w->failures++;
        }
    for (int i = 0; i < NOBJ; i += 2) {
        char one[300];
        snprintf(one, sizeof one, "%s/cm-%d-%d", path, w->t, i);
        if (skiff_api_client_delete(w->cl, one, NULL, &err) < 0) w->failures++;
    }
    return NULL;
}

/* The list's resourceVersion: a watch from it sees every later write live
 * (the watch starts on its own thread, maybe after the first writes). */
static void list_rv(test_server_t *f, const char *path, char *rv, size_t n)
{
    skiff_api_result_t r;
    skiff_error_t err;
    /* a configmap elsewhere first: a list answers at the cache's revision,
     * which is 0 ("any") while the resource has had no write */
    test_server_namespace(f, "seed");
    assert_int_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces/seed/configmaps", "{\"metadata\":{\"name\":\"seed\"}}", NULL, &err), 0);
    assert_int_equal(skiff_api_client_list(f->cl, path, NULL, NULL, &r, &err), 0);
    cJSON *o = cJSON_ParseWithLength(r.body, r.len);
    const char *v = jstr(o, "metadata", "resourceVersion");
    assert_non_null(v);
    snprintf(rv, n, "%s", v);
    cJSON_Delete(o);
    skiff_api_result_free(&r);
}

static int wait_until(seen_t *s, int (*done)(const seen_t *), int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) { until.tv_sec++; until.tv_nsec -= 1000000000L; }
    pthread_mutex_lock(&s->mu);
    int ok;
    while (!(ok = done(s)) && pthread_cond_timedwait(&s->cv, &s->mu, &until) == 0) {}
    pthread_mutex_unlock(&s->mu);
    return ok;
}

static int all_seen(const seen_t *s)
{
    return s->added == 2 * NOBJ && s->modified == 2 * NOBJ * NUPD && s->deleted == NOBJ;
}

static void order_round(int pull)
{
    if (!pull) setenv("SKIFF_WATCH_NO_PULL", "1", 1);
    skiff_bus_t *bus;
    skiff_error_t err;
    assert_int_equal(skiff_bus_new(&bus, &err), 0);
    skiff_api_config_t cfg = { .bus = bus, .watch_bookmark_ms = 100000 };
    test_server_t *f = test_server_up(&cfg);
    test_server_namespace(f, "a");
    test_server_namespace(f, "b");
    seen_t s;
    seen_init(&s, "a");
    char rv[32];
    list_rv(f, "/api/v1/namespaces/a/configmaps", rv, sizeof rv);
    skiff_api_client_watch_t *w;
    assert_int_equal(skiff_api_client_watch(f->cl, "/api/v1/namespaces/a/configmaps", rv, on_event, &s, &w, &err), 0);
    pthread_t th[4];
    writer_t wr[4] = { { f->cl, "a", 0, 0 }, { f->cl, "a", 1, 0 }, { f->cl, "b", 0, 0 }, { f->cl, "b", 1, 0 } };
    for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&th[i], NULL, writer_main, &wr[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(wr[i].failures, 0);
    }
    if (!wait_until(&s, all_seen, 20000))
        fail_msg("saw %d ADDED, %d MODIFIED, %d DELETED; want %d, %d, %d", s.added, s.modified, s.deleted, 2 * NOBJ,
                 2 * NOBJ * NUPD, NOBJ);
    usleep(50000); /* nothing more comes */
    pthread_mutex_lock(&s.mu);
    assert_true(all_seen(&s));
    assert_int_equal(s.foreign, 0);
    assert_int_equal(s.out_of_order, 0);
    assert_int_equal(s.rv_backwards, 0);
    assert_int_equal(s.bad, 0);
    assert_int_equal(s.errors, 0);
    assert_int_equal(s.ended, 0);
    pthread_mutex_unlock(&s.mu);
    /* the pull path never builds the resource's shared log */
    int hubs = 0;
    for (int i = 0; i < 64; i++) hubs += f->srv->hubs[i] != NULL;
    assert_int_equal(hubs, pull ? 0 : 1);
    /* stop is prompt, and no callback comes after it */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    skiff_api_client_watch_stop(w);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 2000);
    assert_int_equal(s.ended, 0);
    test_server_down(f);
    skiff_bus_free(bus);
    unsetenv("SKIFF_WATCH_NO_PULL");
}

static void test_order_pull(void **state) { (void)state; order_round(1); }
static void test_order_shared_log(void **state) { (void)state; order_round(0); }

static int listed(const seen_t *s) { return s->added == NOBJ / 2; }

/* The initial state (resourceVersion "") comes first as ADDED, then what
 * follows; a resume point replays from the cache's window. */
static void test_initial_then_live(void **state)
{
    (void)state;
    skiff_bus_t *bus;
    skiff_error_t err;
    assert_int_equal(skiff_bus_new(&bus, &err), 0);
    skiff_api_config_t cfg = { .bus = bus, .watch_bookmark_ms = 100000 };
    test_server_t *f = test_server_up(&cfg);
    test_server_namespace(f, "a");
    writer_t w0 = { f->cl, "a", 0, 0 };
    writer_main(&w0); /* 40 objects, 8 updates each, the even ones deleted */
    assert_int_equal(w0.failures, 0);
    seen_t s;
    seen_init(&s, "a");
    skiff_api_client_watch_t *w;
    assert_int_equal(skiff_api_client_watch(f->cl, "/api/v1/namespaces/a/configmaps", "", on_event, &s, &w, &err), 0);
    assert_true(wait_until(&s, listed, 10000)); /* the watch is open: what comes now is live */
    writer_t w1 = { f->cl, "a", 1, 0 };
    writer_main(&w1);
    assert_int_equal(w1.failures, 0);
    /* thread 0's 20 survivors arrive as ADDED at g=8 (the checker, which
     * wants g=0 on ADDED, counts exactly those out of order), then thread
     * 1's whole history in order */
    for (int i = 0; i < 2000; i++) {
        pthread_mutex_lock(&s.mu);
        int done = s.deleted == NOBJ / 2 && s.added == NOBJ + NOBJ / 2 && s.modified == NOBJ * NUPD;
        pthread_mutex_unlock(&s.mu);
        if (done) break;
        usleep(5000);
    }
    pthread_mutex_lock(&s.mu);
    assert_int_equal(s.added, NOBJ + NOBJ / 2);
    assert_int_equal(s.modified, NOBJ * NUPD);
    assert_int_equal(s.deleted, NOBJ / 2);
    assert_int_equal(s.out_of_order, NOBJ / 2);
    for (int i = 0; i < NOBJ; i++) assert_int_equal(s.gen[0][i], i % 2 ? 0 : -1); /* listed once, nothing after */
    for (int i = 0; i < NOBJ; i++) assert_int_equal(s.gen[1][i], i % 2 ? NUPD : 1000);
    /* (the listed objects come in key order, so their revisions may go
     * back; the live events after them never do) */
    assert_true(s.rv_backwards <= NOBJ / 2);
    assert_int_equal(s.foreign + s.bad + s.errors + s.ended, 0);
    pthread_mutex_unlock(&s.mu);
    skiff_api_client_watch_stop(w);
    test_server_down(f);
    skiff_bus_free(bus);
}

static int cut_off(const seen_t *s) { return s->ended > 0; }
static int blocked(const seen_t *s) { return s->block == 2; }

/* A consumer stuck in its callback: the writers go on (the store's thread
 * does not wait for it), and when it comes back it has fallen out of the
 * window: ERROR 410, then the end of the stream. */
static void test_slow_consumer_cut_off(void **state)
{
    (void)state;
    skiff_bus_t *bus;
    skiff_error_t err;
    assert_int_equal(skiff_bus_new(&bus, &err), 0);
    skiff_api_config_t cfg = { .bus = bus, .watch_window = 64, .watch_bookmark_ms = 100000 };
    test_server_t *f = test_server_up(&cfg);
    test_server_namespace(f, "a");
    seen_t s;
    seen_init(&s, "a");
    s.block = 1;
    char rv[32];
    list_rv(f, "/api/v1/namespaces/a/configmaps", rv, sizeof rv);
    skiff_api_client_watch_t *w;
    assert_int_equal(skiff_api_client_watch(f->cl, "/api/v1/namespaces/a/configmaps", rv, on_event, &s, &w, &err), 0);
    /* The watch is opened on the client's thread: wait until it delivers
     * (and blocks on) a first event before writing past the window, or it
     * may open after the window moved on and be served from the store's
     * longer history instead (a correct answer, but not this test's path). */
    assert_int_equal(skiff_api_client_create(f->cl, "/api/v1/namespaces/a/configmaps",
                                             "{\"metadata\":{\"name\":\"first\"}}", NULL, &err), 0);
    assert_true(wait_until(&s, blocked, 5000));
    writer_t w0 = { f->cl, "a", 0, 0 };
    writer_main(&w0); /* 380 writes: far more than the window */
    assert_int_equal(w0.failures, 0);
    pthread_mutex_lock(&s.mu);
    s.released = 1;
    pthread_cond_broadcast(&s.cv);
    pthread_mutex_unlock(&s.mu);
    assert_true(wait_until(&s, cut_off, 10000));
    pthread_mutex_lock(&s.mu);
    assert_int_equal(s.errors, 1);
    assert_int_equal(s.error_code, 410);
    assert_int_equal(s.ended, 1);
    assert_true(s.added + s.modified + s.deleted < NOBJ + NOBJ * NUPD); /* it missed some: cut off */
    assert_int_equal(s.out_of_order, 0); /* what it got was a clean prefix */
    pthread_mutex_unlock(&s.mu);
    skiff_api_client_watch_stop(w);
    test_server_down(f);
    skiff_bus_free(bus);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_pull),
        cmocka_unit_test(test_order_shared_log),
        cmocka_unit_test(test_initial_then_live),
        cmocka_unit_test(test_slow_consumer_cut_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
