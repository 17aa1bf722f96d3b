/* core/controller/cidralloc — see cidralloc.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/cidralloc.h"

#define MAX_SUBNET_BITS 16 /* kube's clusterSubnetMaxDiff */

struct skiff_cidr_alloc {
    uint32_t base;      /* host order */
    int prefix, mask;
    uint64_t count, used, next;
    uint8_t *bits;
};

static int parse(const char *text, uint32_t *base, int *prefix, skiff_error_t *err)
{
    char ip[64];
    const char *slash = text ? strchr(text, '/') : NULL;
    if (!slash || slash == text || (size_t)(slash - text) >= sizeof ip)
        return skiff_error_set(err, SKIFF_E_INVALID, "\"%s\": want an IPv4 CIDR such as 10.244.0.0/16", text ? text : "");
    memcpy(ip, text, (size_t)(slash - text));
    ip[slash - text] = 0;
    if (strchr(ip, ':'))
        return skiff_error_set(err, SKIFF_E_INVALID, "\"%s\": IPv6 ranges are not supported; use an IPv4 CIDR", text);
    struct in_addr a;
    if (inet_pton(AF_INET, ip, &a) != 1)
        return skiff_error_set(err, SKIFF_E_INVALID, "\"%s\": \"%s\" is not an IPv4 address", text, ip);
    char *end;
    errno = 0;
    long p = strtol(slash + 1, &end, 10);
    if (!slash[1] || *end || errno || p < 0 || p > 32)
        return skiff_error_set(err, SKIFF_E_INVALID, "\"%s\": the prefix length must be 0..32", text);
    uint32_t b = ntohl(a.s_addr);
    uint32_t m = p == 0 ? 0 : 0xffffffffu << (32 - p);
    if (b & ~m)
        return skiff_error_set(err, SKIFF_E_INVALID, "\"%s\": must be a network address (host bits set)", text);
    *base = b;
    *prefix = (int)p;
    return 0;
}

int skiff_cidr_alloc_new(const char *cluster_cidr, int mask, skiff_cidr_alloc_t **out, skiff_error_t *err)
{
    uint32_t base;
    int prefix;
    skiff_error_t e;
    skiff_error_clear(&e);
    if (parse(cluster_cidr, &base, &prefix, &e) < 0) return skiff_error_set(err, SKIFF_E_INVALID, "cluster CIDR %s", e.msg);
    if (mask < prefix || mask > 30)
        return skiff_error_set(err, SKIFF_E_INVALID, "node CIDR mask size %d: must be between the cluster CIDR's /%d and 30", mask, prefix);
    if (mask - prefix > MAX_SUBNET_BITS)
        return skiff_error_set(err, SKIFF_E_INVALID, "node CIDR mask size %d: %s holds 2^%d node ranges, more than 2^%d; use a larger mask size or a smaller cluster CIDR",
                               mask, cluster_cidr, mask - prefix, MAX_SUBNET_BITS);
    skiff_cidr_alloc_t *a = calloc(1, sizeof *a);
    uint64_t count = 1ull << (mask - prefix);
    if (!a || !(a->bits = calloc((size_t)((count + 7) / 8), 1))) {
        free(a);
        return skiff_error_set(err, -ENOMEM, "out of memory");
    }
    a->base = base;
    a->prefix = prefix;
    a->mask = mask;
    a->count = count;
    *out = a;
    return 0;
}

void skiff_cidr_alloc_free(skiff_cidr_alloc_t *a)
{
    if (!a) return;
    free(a->bits);
    free(a);
}

static int bit(const skiff_cidr_alloc_t *a, uint64_t i) { return a->bits[i / 8] >> (i % 8) & 1; }

static void set_bit(skiff_cidr_alloc_t *a, uint64_t i, int on)
{
    if (bit(a, i) == on) return;
    if (on) { a->bits[i / 8] |= (uint8_t)(1u << (i % 8)); a->used++; }
    else { a->bits[i / 8] &= (uint8_t)~(1u << (i % 8)); a->used--; }
}

static void format(const skiff_cidr_alloc_t *a, uint64_t i, char *out, size_t n)
{
    uint32_t ip = a->base + (uint32_t)(i << (32 - a->mask));
    snprintf(out, n, "%u.%u.%u.%u/%d", ip >> 24, ip >> 16 & 255, ip >> 8 & 255, ip & 255, a->mask);
}

int skiff_cidr_alloc_next(skiff_cidr_alloc_t *a, char *out, size_t n, skiff_error_t *err)
{
    if (a->used >= a->count) {
        char c[24];
        snprintf(c, sizeof c, "%u.%u.%u.%u/%d", a->base >> 24, a->base >> 16 & 255, a->base >> 8 & 255, a->base & 255, a->prefix);
        return skiff_error_set(err, SKIFF_E_FULL, "CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range %s", c);
    }
    for (uint64_t k = 0; k < a->count; k++) {
        uint64_t i = (a->next + k) % a->count;
        if (bit(a, i)) continue;
        set_bit(a, i, 1);
        a->next = (i + 1) % a->count;
        format(a, i, out, n);
        return 0;
    }
    return skiff_error_set(err, SKIFF_E_INTERNAL, "CIDR allocator: used count and bitmap disagree");
}

/* The range of subnet indexes cidr covers. */
static int span(const skiff_cidr_alloc_t *a, const char *cidr, uint64_t *first, uint64_t *last, skiff_error_t *err)
{
    uint32_t b;
    int p;
    if (parse(cidr, &b, &p, err) < 0) return SKIFF_E_INVALID;
    uint32_t cm = a->prefix == 0 ? 0 : 0xffffffffu << (32 - a->prefix);
    if (p < a->prefix || (b & cm) != a->base)
        return skiff_error_set(err, SKIFF_E_INVALID, "%s is not inside the cluster CIDR", cidr);
    uint64_t off = (uint64_t)(b - a->base);
    *first = off >> (32 - a->mask);
    /* a range narrower than a node range still takes the node range it lies in */
    *last = p >= a->mask ? *first : *first + (1ull << (a->mask - p)) - 1;
    return 0;
}

int skiff_cidr_alloc_occupy(skiff_cidr_alloc_t *a, const char *cidr, skiff_error_t *err)
{
    uint64_t f, l;
    int rc = span(a, cidr, &f, &l, err);
    if (rc < 0) return rc;
    for (uint64_t i = f; i <= l; i++) set_bit(a, i, 1);
    return 0;
}

int skiff_cidr_alloc_release(skiff_cidr_alloc_t *a, const char *cidr, skiff_error_t *err)
{
    uint64_t f, l;
    int rc = span(a, cidr, &f, &l, err);
    if (rc < 0) return rc;
    for (uint64_t i = f; i <= l; i++) set_bit(a, i, 0);
    return 0;
}

uint64_t skiff_cidr_alloc_total(const skiff_cidr_alloc_t *a) { return a->count; }
uint64_t skiff_cidr_alloc_free_count(const skiff_cidr_alloc_t *a) { return a->count - a->used; }
