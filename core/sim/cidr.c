/* core/sim/cidr — IPv4 ranges and per-node pod IP pools (see sim.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

int skiff_sim_ip_parse(const char *text, uint32_t *out)
{
    unsigned a[4];
    char tail;
    if (!text || sscanf(text, "%3u.%3u.%3u.%3u%c", &a[0], &a[1], &a[2], &a[3], &tail) != 4)
        return SKIFF_E_INVALID;
    for (int i = 0; i < 4; i++)
        if (a[i] > 255) return SKIFF_E_INVALID;
    /* sscanf accepts " 1" and "+1"; an address is digits and dots only */
    for (const char *p = text; *p; p++)
        if (!((*p >= '0' && *p <= '9') || *p == '.')) return SKIFF_E_INVALID;
    *out = (a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3];
    return 0;
}

static uint32_t mask_of(int prefix) { return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix); }

int skiff_sim_cidr_parse(const char *text, skiff_sim_cidr_t *out, skiff_error_t *err)
{
    const char *slash = text ? strchr(text, '/') : NULL;
    char addr[32];
    if (!slash || (size_t)(slash - text) >= sizeof addr)
        return skiff_error_set(err, SKIFF_E_INVALID, "CIDR \"%s\": expected ADDRESS/PREFIX like 10.244.0.0/16", text ? text : "");
    memcpy(addr, text, (size_t)(slash - text));
    addr[slash - text] = '\0';
    uint32_t ip;
    if (skiff_sim_ip_parse(addr, &ip) < 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "CIDR \"%s\": \"%s\" is not an IPv4 address", text, addr);
    char *end;
    const char *ps = slash + 1;
    long p = strtol(ps, &end, 10);
    if (!*ps || *end || *ps < '0' || *ps > '9' || p < 0 || p > 32)
        return skiff_error_set(err, SKIFF_E_INVALID, "CIDR \"%s\": prefix length must be 0..32", text);
    if (ip & ~mask_of((int)p))
        return skiff_error_set(err, SKIFF_E_INVALID, "CIDR \"%s\": must be a network address (host bits set)", text);
    out->base = ip;
    out->prefix = (int)p;
    return 0;
}

uint64_t skiff_sim_cidr_count(const skiff_sim_cidr_t *c, int sub_prefix)
{
    if (sub_prefix < c->prefix || sub_prefix > 32) return 0;
    return 1ull << (sub_prefix - c->prefix);
}

int skiff_sim_cidr_subnet(const skiff_sim_cidr_t *c, int sub_prefix, uint64_t index,
                          skiff_sim_cidr_t *out, skiff_error_t *err)
{
    uint64_t n = skiff_sim_cidr_count(c, sub_prefix);
    if (index >= n) {
        char b[24];
        skiff_sim_cidr_format(c, b, sizeof b);
        return skiff_error_set(err, SKIFF_E_INVALID, "%s has room for %llu /%d ranges, range %llu asked for",
                               b, (unsigned long long)n, sub_prefix, (unsigned long long)index);
    }
    out->prefix = sub_prefix;
    out->base = c->base + (uint32_t)(index << (32 - sub_prefix));
    return 0;
}

int skiff_sim_cidr_contains(const skiff_sim_cidr_t *c, uint32_t ip)
{
    return (ip & mask_of(c->prefix)) == c->base;
}

void skiff_sim_ip_format(uint32_t ip, char *buf, size_t len)
{
    snprintf(buf, len, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

void skiff_sim_cidr_format(const skiff_sim_cidr_t *c, char *buf, size_t len)
{
    char ip[16];
    skiff_sim_ip_format(c->base, ip, sizeof ip);
    snprintf(buf, len, "%s/%d", ip, c->prefix);
}

int skiff_sim_ippool_init(skiff_sim_ippool_t *p, const skiff_sim_cidr_t *range, skiff_error_t *err)
{
    memset(p, 0, sizeof *p);
    uint64_t size = 1ull << (32 - range->prefix);
    if (size < 4) {
        char b[24];
        skiff_sim_cidr_format(range, b, sizeof b);
        return skiff_error_set(err, SKIFF_E_INVALID, "pod range %s is too small: no address left after the network address and the gateway", b);
    }
    p->range = *range;
    p->first = 2;
    p->last = (uint32_t)(size - 2 < SKIFF_SIM_POOL_MAX - 1 ? size - 2 : SKIFF_SIM_POOL_MAX - 1);
    p->next = p->first;
    return 0;
}

static int bit(const skiff_sim_ippool_t *p, uint32_t off) { return (int)((p->used[off / 64] >> (off % 64)) & 1); }

int skiff_sim_ippool_alloc(skiff_sim_ippool_t *p, uint32_t *ip, skiff_error_t *err)
{
    uint32_t span = p->last - p->first + 1;
    for (uint32_t i = 0; i < span; i++) {
        uint32_t off = p->first + (p->next - p->first + i) % span;
        if (!bit(p, off)) {
            p->used[off / 64] |= 1ull << (off % 64);
            p->used_count++;
            p->next = off + 1 > p->last ? p->first : off + 1;
            *ip = p->range.base + off;
            return 0;
        }
    }
    char b[24];
    skiff_sim_cidr_format(&p->range, b, sizeof b);
    return skiff_error_set(err, SKIFF_E_NOSPACE, "no free pod IP left in %s (%u in use)", b, p->used_count);
}

int skiff_sim_ippool_mark(skiff_sim_ippool_t *p, uint32_t ip)
{
    if (!skiff_sim_cidr_contains(&p->range, ip)) return SKIFF_E_INVALID;
    uint32_t off = ip - p->range.base;
    if (off < p->first || off > p->last) return SKIFF_E_INVALID;
    if (bit(p, off)) return SKIFF_E_EXISTS;
    p->used[off / 64] |= 1ull << (off % 64);
    p->used_count++;
    return 0;
}

void skiff_sim_ippool_release(skiff_sim_ippool_t *p, uint32_t ip)
{
    if (!skiff_sim_cidr_contains(&p->range, ip)) return;
    uint32_t off = ip - p->range.base;
    if (off < p->first || off > p->last || !bit(p, off)) return;
    p->used[off / 64] &= ~(1ull << (off % 64));
    p->used_count--;
}
