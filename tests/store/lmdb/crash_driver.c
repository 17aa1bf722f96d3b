/* crash_driver.c — kill -9 a store mid-write, many times, and check that
 * every acknowledged write survived and no transaction is half applied.
 *
 *   store_crash crash <plugin.so> <dir> <rounds> <seed> [settings...]
 *       Each round forks a child that opens the store and writes from
 *       THREADS threads: single puts of fresh keys, and a txn that writes one
 *       sequence number to three keys at once. The child reports each write
 *       on a pipe only after txn() returned. The parent SIGKILLs the child at
 *       a random moment (2-100 ms after it starts writing), reopens the store
 *       itself and checks every acknowledged write and that the three keys of
 *       every thread hold the same number, at least the last acknowledged
 *       one. Prints TAP, one line per round.
 *   store_crash fill <plugin.so> <dir> [settings...]
 *       Writes 8 KiB values until the store reports no space, then checks
 *       the error and that every acknowledged write is still there after a
 *       reopen (run it on a tiny tmpfs). Prints TAP.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "coreload.h"
#include "log/log.h"

#define THREADS 4

static const skiff_plugin_t *plug;
static const skiff_store_ops_t *ops;
static int tap_n, tap_failed;

static void tap(int ok, const char *fmt, ...) SKIFF_PRINTF(2, 3);
static void tap(int ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s %d - ", ok ? "ok" : "not ok", ++tap_n);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    if (!ok) tap_failed++;
}

static void *open_store(const char *dir, char **extra, int *rc, skiff_error_t *err)
{
    const char *set[16];
    char pathset[512];
    snprintf(pathset, sizeof pathset, "path=%s", dir);
    int n = 0;
    set[n++] = pathset;
    for (int i = 0; extra && extra[i] && n < 15; i++) set[n++] = extra[i];
    set[n] = NULL;
    void *s = NULL;
    *rc = cl_instance_new(plug, set, &s, err);
    return s;
}

static int put_ops(void *s, skiff_store_op_t *o, size_t n, skiff_error_t *err)
{
    skiff_store_txn_res_t res;
    int rc = ops->txn(s, NULL, 0, o, n, &res, err);
    if (rc == 0 && !res.succeeded) rc = skiff_error_set(err, SKIFF_E_INTERNAL, "txn not applied");
    return rc;
}

/* ---- child ---- */

typedef struct child_arg {
    void *s;
    int tid;
    int round;
    int fd;
} child_arg_t;

static void *child_writer(void *arg)
{
    child_arg_t *a = arg;
    for (long i = 1;; i++) {
        char k[64], v[64], line[96];
        skiff_error_t err = { 0 };
        if (i % 3 == 0) {
            /* multi-key: the same number to three keys, atomically */
            char ka[32], kb[32], kc[32];
            snprintf(ka, sizeof ka, "m/%d/a", a->tid);
            snprintf(kb, sizeof kb, "m/%d/b", a->tid);
            snprintf(kc, sizeof kc, "m/%d/c", a->tid);
            int vl = snprintf(v, sizeof v, "%d.%ld", a->round, i);
            skiff_store_op_t o[3] = {
                { SKIFF_STORE_OP_PUT, ka, strlen(ka), v, (size_t)vl, 0 },
                { SKIFF_STORE_OP_PUT, kb, strlen(kb), v, (size_t)vl, 0 },
                { SKIFF_STORE_OP_PUT, kc, strlen(kc), v, (size_t)vl, 0 },
            };
            if (put_ops(a->s, o, 3, &err) != 0) { fprintf(stderr, "child: %s\n", err.msg); _exit(3); }
            int n = snprintf(line, sizeof line, "M %d %s\n", a->tid, v);
            if (write(a->fd, line, (size_t)n) != n) _exit(4);
        } else {
            int kl = snprintf(k, sizeof k, "s/%d/%d/%ld", a->round, a->tid, i);
            int vl = snprintf(v, sizeof v, "v%ld", i * 7);
            skiff_store_op_t o = { SKIFF_STORE_OP_PUT, k, (size_t)kl, v, (size_t)vl, 0 };
            if (put_ops(a->s, &o, 1, &err) != 0) { fprintf(stderr, "child: %s\n", err.msg); _exit(3); }
            int n = snprintf(line, sizeof line, "S %s %s\n", k, v);
            if (write(a->fd, line, (size_t)n) != n) _exit(4);
        }
    }
    return NULL;
}

static void child_main(const char *dir, char **extra, int round, int fd)
{
    int rc;
    skiff_error_t err = { 0 };
    void *s = open_store(dir, extra, &rc, &err);
    if (!s) { fprintf(stderr, "child: open: %s\n", err.msg); _exit(2); }
    if (write(fd, "O\n", 2) != 2) _exit(4);
    pthread_t th[THREADS];
    child_arg_t a[THREADS];
    for (int i = 0; i < THREADS; i++) {
        a[i] = (child_arg_t){ s, i, round, fd };
        pthread_create(&th[i], NULL, child_writer, &a[i]);
    }
    for (;;) pause();
}

/* ---- parent ---- */

typedef struct acks {
    char **single; /* "key value" */
    size_t n, cap;
    char multi[THREADS][64]; /* last acknowledged multi-key value per thread */
} acks_t;

static int acks_add(acks_t *a, const char *kv)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 1024;
        char **p = realloc(a->single, cap * sizeof *p);
        if (!p) return -1;
        a->single = p;
        a->cap = cap;
    }
    a->single[a->n] = strdup(kv);
    return a->single[a->n++] ? 0 : -1;
}

typedef struct getv { char v[64]; int found; } getv_t;
static int get_cb(void *ud, const skiff_store_kv_t *kv)
{
    getv_t *g = ud;
    snprintf(g->v, sizeof g->v, "%.*s", (int)kv->value_len, (const char *)kv->value);
    g->found = 1;
    return 0;
}

static int get_value(void *s, const char *k, getv_t *g)
{
    skiff_error_t err = { 0 };
    memset(g, 0, sizeof *g);
    int rc = ops->get(s, k, strlen(k), 0, get_cb, g, &err);
    return rc == SKIFF_E_NOTFOUND ? 0 : rc;
}

/* "round.seq" compare */
static int seq_cmp(const char *a, const char *b)
{
    long ar = 0, as = 0, br = 0, bs = 0;
    sscanf(a, "%ld.%ld", &ar, &as);
    sscanf(b, "%ld.%ld", &br, &bs);
    if (ar != br) return ar < br ? -1 : 1;
    return as < bs ? -1 : as > bs;
}

static int verify(void *s, acks_t *acks, size_t from, char *why, size_t whylen)
{
    for (size_t i = from; i < acks->n; i++) {
        char k[64], v[64];
        getv_t g;
        sscanf(acks->single[i], "%63s %63s", k, v);
        if (get_value(s, k, &g) != 0 || !g.found || strcmp(g.v, v) != 0) {
            snprintf(why, whylen, "acknowledged write %s=%s is %s", k, v, g.found ? g.v : "missing");
            return -1;
        }
    }
    for (int t = 0; t < THREADS; t++) {
        char k[3][32];
        getv_t g[3];
        for (int j = 0; j < 3; j++) {
            snprintf(k[j], sizeof k[j], "m/%d/%c", t, 'a' + j);
            if (get_value(s, k[j], &g[j]) != 0) { snprintf(why, whylen, "read %s failed", k[j]); return -1; }
        }
        if (g[0].found != g[1].found || g[1].found != g[2].found ||
            strcmp(g[0].v, g[1].v) || strcmp(g[1].v, g[2].v)) {
            snprintf(why, whylen, "multi-key txn of thread %d half applied: a=%s b=%s c=%s", t,
                     g[0].found ? g[0].v : "-", g[1].found ? g[1].v : "-", g[2].found ? g[2].v : "-");
            return -1;
        }
        if (acks->multi[t][0] && (!g[0].found || seq_cmp(g[0].v, acks->multi[t]) < 0)) {
            snprintf(why, whylen, "thread %d: multi-key value %s older than acknowledged %s", t,
                     g[0].found ? g[0].v : "-", acks->multi[t]);
            return -1;
        }
    }
    return 0;
}

static int crash_main(const char *dir, int rounds, unsigned seed, char **extra)
{
    srand(seed);
    acks_t acks = { 0 };
    long total_multi = 0;
    for (int r = 1; r <= rounds; r++) {
        int p[2];
        if (pipe(p) != 0) { perror("pipe"); return 1; }
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) { perror("fork"); return 1; }
        if (pid == 0) {
            close(p[0]);
            child_main(dir, extra, r, p[1]);
            _exit(0);
        }
        close(p[1]);
        FILE *in = fdopen(p[0], "r");
        char line[256];
        size_t before = acks.n;
        long multi = 0;
        int opened = 0;
        /* Mostly: wait for the open, then let it write for a random while.
         * One round in eight kills it anywhere, including inside the open. */
        int early = rand() % 8 == 0;
        int delay_us = early ? rand() % 20000 : 2000 + rand() % 98000;
        if (!early && fgets(line, sizeof line, in) && line[0] == 'O') opened = 1;
        usleep((useconds_t)delay_us);
        kill(pid, SIGKILL);
        while (fgets(line, sizeof line, in)) {
            line[strcspn(line, "\n")] = 0;
            if (line[0] == 'O') opened = 1;
            else if (line[0] == 'S') acks_add(&acks, line + 2);
            else if (line[0] == 'M') {
                int t;
                char v[64];
                if (sscanf(line + 2, "%d %63s", &t, v) == 2 && t >= 0 && t < THREADS) {
                    snprintf(acks.multi[t], sizeof acks.multi[t], "%s", v);
                    multi++;
                }
            }
        }
        fclose(in);
        int st;
        waitpid(pid, &st, 0);
        if ((!opened && !early) || !(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)) {
            tap(0, "round %d: child did not run until killed (status %d)", r, st);
            continue;
        }
        total_multi += multi;
        int rc;
        skiff_error_t err = { 0 };
        void *s = open_store(dir, extra, &rc, &err);
        if (!s) {
            tap(0, "round %d: reopen after kill -9 failed: %s", r, err.msg);
            return 1;
        }
        char why[512] = "";
        int v = verify(s, &acks, before, why, sizeof why);
        tap(v == 0, "round %d: killed %s%d ms; %zu acknowledged puts and %ld multi-key txns intact%s%s",
            r, early ? "anywhere (even opening) at " : "writing after ", delay_us / 1000, acks.n - before, multi, v ? ": " : "", why);
        cl_instance_free(s);
    }
    /* once more, everything from every round */
    int rc;
    skiff_error_t err = { 0 };
    void *s = open_store(dir, extra, &rc, &err);
    char why[512] = "";
    int v = s ? verify(s, &acks, 0, why, sizeof why) : -1;
    tap(v == 0, "all rounds: %zu acknowledged puts and %ld multi-key txns present%s%s", acks.n,
        total_multi, v ? ": " : "", s ? why : err.msg);
    tap(acks.n > (size_t)rounds, "writes were acknowledged in the rounds (%zu)", acks.n);
    cl_instance_free(s);
    for (size_t i = 0; i < acks.n; i++) free(acks.single[i]);
    free(acks.single);
    return 0;
}

static int fill_main(const char *dir, char **extra)
{
    int rc;
    skiff_error_t err = { 0 };
    void *s = open_store(dir, extra, &rc, &err);
    tap(s != NULL, "open on the small filesystem%s%s", s ? "" : ": ", s ? "" : err.msg);
    if (!s) return 1;
    static char val[8192];
    memset(val, 'f', sizeof val);
    long acked = 0;
    for (long i = 0; i < 100000; i++) {
        char k[32];
        int kl = snprintf(k, sizeof k, "f/%06ld", i);
        skiff_store_op_t o = { SKIFF_STORE_OP_PUT, k, (size_t)kl, val, sizeof val, 0 };
        rc = put_ops(s, &o, 1, &err);
        if (rc) break;
        acked++;
    }
    tap(rc == SKIFF_E_NOSPACE, "a write on a full disk fails with no-space (%d: %s)", rc, err.msg);
    tap(acked > 0, "%ld writes acknowledged before the disk filled", acked);
    /* the store keeps serving reads and refusing writes without damage */
    skiff_store_range_req_t q = { .key = "f/", .key_len = 2, .prefix = 1, .count_only = 1 };
    skiff_store_range_res_t res;
    rc = ops->range(s, &q, NULL, NULL, &res, &err);
    tap(rc == 0 && res.count == acked, "all %ld acknowledged keys readable while full (%lld)", acked,
        (long long)res.count);
    cl_instance_free(s);
    s = open_store(dir, extra, &rc, &err);
    tap(s != NULL, "reopens after the disk filled%s%s", s ? "" : ": ", s ? "" : err.msg);
    if (!s) return 1;
    rc = ops->range(s, &q, NULL, NULL, &res, &err);
    tap(rc == 0 && res.count == acked, "all %ld acknowledged keys present after reopen (%lld)", acked,
        (long long)res.count);
    int64_t cur;
    ops->revision(s, &cur, NULL, &err);
    tap(cur == acked, "revision %lld matches the acknowledged writes", (long long)cur);
    cl_instance_free(s);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s crash <plugin.so> <dir> <rounds> <seed> [key=value...]\n"
                        "       %s fill <plugin.so> <dir> [key=value...]\n", argv[0], argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    skiff_log_set_level(SKIFF_LOG_WARN);
    skiff_log_init_env(); /* SKIFF_LOG=debug shows checkpoints and replays */
    skiff_error_t err = { 0 };
    plug = cl_load(argv[2], &err);
    if (!plug) { fprintf(stderr, "%s\n", err.msg); return 2; }
    ops = plug->ops;
    int rc;
    if (!strcmp(argv[1], "crash") && argc >= 6)
        rc = crash_main(argv[3], atoi(argv[4]), (unsigned)strtoul(argv[5], NULL, 10), argv + 6);
    else if (!strcmp(argv[1], "fill"))
        rc = fill_main(argv[3], argv + 4);
    else {
        fprintf(stderr, "%s: unknown mode %s\n", argv[0], argv[1]);
        return 2;
    }
    printf("1..%d\n", tap_n);
    return rc || tap_failed ? 1 : 0;
}
