/* bench/bench_util.h — what the benchmarks share: clocks, a comparison for
 * qsort, and a raw HTTP/1.1 client over loopback (cheap on the client side,
 * so the server's cost shows). Benchmarks only; static inline, so each
 * benchmark takes what it uses without a build rule. The HTTP helpers exit
 * the process on a broken connection: a benchmark has nothing to recover. */
#ifndef SKIFF_BENCH_UTIL_H
#define SKIFF_BENCH_UTIL_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "plugin/plugin.h"

/* Monotonic time in seconds / nanoseconds. */
static inline double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* CPU time (user + system) of the whole process so far, in seconds. */
static inline double bench_cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* qsort comparison of int64_t, ascending. */
static inline int bench_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Load the lmdb store plugin from plugins_dir and start an instance "etcd"
 * of it in dir/store (retention 1m); 0, or -1 once it has printed why. */
static inline int bench_lmdb_store(const char *plugins_dir, const char *dir, skiff_registry_t **reg,
                                   skiff_instance_t **store)
{
    char path[1024], setting[1100];
    skiff_error_t err;
    snprintf(path, sizeof path, "%s/store/lmdb.so", plugins_dir);
    if (skiff_registry_new(reg, &err) < 0 || skiff_registry_load_file(*reg, path, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    snprintf(setting, sizeof setting, "path=%s/store", dir);
    const char *settings[] = { setting, "retention=1m", NULL };
    if (skiff_instance_new(skiff_registry_find(*reg, SKIFF_KIND_STORE, "lmdb"), "etcd", settings, NULL, store, &err) < 0
        || skiff_instance_start(*store, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    return 0;
}

/* Client i of `clients` sharing `total` items: how many it takes (*n) and
 * from which index (*base); the first total % clients take one more. */
static inline void bench_share(int total, int clients, int i, int *n, int *base)
{
    int per = total / clients, extra = total % clients;
    *n = per + (i < extra);
    *base = i * per + (i < extra ? i : extra);
}

/* A small pod (printf format: its name), labelled app=bench. */
#define BENCH_POD_FMT                                                                                             \
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\",\"labels\":{\"app\":\"bench\"}},"   \
    "\"spec\":{\"containers\":[{\"name\":\"main\",\"image\":\"busybox:1.36\",\"command\":[\"sleep\",\"3600\"]}]}}"

/* A TCP connection to 127.0.0.1:port, Nagle off. */
static inline int bench_dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) { perror("connect"); exit(1); }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static inline void bench_write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) { perror("write"); exit(1); }
        p += w;
        n -= (size_t)w;
    }
}

/* Read one response with Content-Length into buf (cap bytes, NUL-terminated);
 * returns its status code, its body's length in *body_len (may be NULL). */
static inline int bench_read_response(int fd, char *buf, size_t cap, size_t *body_len)
{
    size_t have = 0;
    for (;;) {
        ssize_t r = read(fd, buf + have, cap - have - 1);
        if (r <= 0) { fprintf(stderr, "read: connection closed\n"); exit(1); }
        have += (size_t)r;
        buf[have] = '\0';
        char *hend = strstr(buf, "\r\n\r\n");
        if (!hend) continue;
        char *cl = strcasestr(buf, "Content-Length:");
        size_t len = cl && cl < hend ? strtoul(cl + 15, NULL, 10) : 0;
        size_t hdr = (size_t)(hend + 4 - buf);
        if (have >= hdr + len) {
            if (body_len) *body_len = len;
            return atoi(buf + 9);
        }
        if (hdr + len + 1 > cap) { fprintf(stderr, "response too large for the buffer\n"); exit(1); }
    }
}

#endif
