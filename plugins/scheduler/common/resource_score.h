/* The resource list the allocation scorers share (kube-scheduler's
 * resource_allocation.go): `resources` is a list of "name" or "name:weight"
 * (weight 1..100); cpu and memory use the non-zero requests (100m / 200Mi
 * for containers that ask nothing), other resources the plain ones. */
#ifndef SKIFF_PLUGINS_RESOURCE_SCORE_H
#define SKIFF_PLUGINS_RESOURCE_SCORE_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <skiff/skiff.h>

#define RS_MAX 16

enum { RS_CPU, RS_MEMORY, RS_EPHEMERAL, RS_SCALAR };
/* Where a resource's numbers live in the views (cpu, memory and
 * ephemeral-storage only): byte offsets, so scoring reads them without a
 * branch per resource kind. */
typedef struct rs_offsets {
    size_t alloc;               /* node allocatable */
    size_t used, used_nz;       /* node requested (plain / with the scoring defaults) */
    size_t pod, pod_nz;         /* pod requests (plain / with the scoring defaults) */
} rs_offsets_t;

typedef struct rs_resource { char name[128]; int64_t weight; int kind; rs_offsets_t off; } rs_resource_t;

typedef struct rs_conf {
    const char *const *resources;  /* filled by the host */
    rs_resource_t list[RS_MAX];
    size_t n;
    int fixed;                  /* every resource is cpu, memory or ephemeral-storage */
} rs_conf_t;

#define RS_NODE_OFF(f) offsetof(skiff_sched_node_t, f)
#define RS_POD_OFF(f) offsetof(skiff_sched_pod_t, f)

static inline void rs_set_offsets(rs_resource_t *r)
{
    switch (r->kind) {
    case RS_CPU:
        r->off = (rs_offsets_t){ RS_NODE_OFF(allocatable.milli_cpu), RS_NODE_OFF(requested.milli_cpu),
                                 RS_NODE_OFF(non_zero_milli_cpu), RS_POD_OFF(requests.milli_cpu),
                                 RS_POD_OFF(non_zero_milli_cpu) };
        break;
    case RS_MEMORY:
        r->off = (rs_offsets_t){ RS_NODE_OFF(allocatable.memory), RS_NODE_OFF(requested.memory),
                                 RS_NODE_OFF(non_zero_memory), RS_POD_OFF(requests.memory),
                                 RS_POD_OFF(non_zero_memory) };
        break;
    case RS_EPHEMERAL: /* no scoring default: plain requests either way */
        r->off = (rs_offsets_t){ RS_NODE_OFF(allocatable.ephemeral_storage), RS_NODE_OFF(requested.ephemeral_storage),
                                 RS_NODE_OFF(requested.ephemeral_storage), RS_POD_OFF(requests.ephemeral_storage),
                                 RS_POD_OFF(requests.ephemeral_storage) };
        break;
    default: break;
    }
}

/* n / d as C divides, cheaper where it can be: operands that fit 32 bits
 * (cpu in millicores) take a 32-bit division, a power-of-two divisor of a
 * non-negative n a shift. Scoring divides two or three times per node and
 * a 64-bit division was most of least-allocated's time. */
static inline int64_t rs_div(int64_t n, int64_t d)
{
    if (n >= 0 && d > 0) {
        if ((d & (d - 1)) == 0) return n >> __builtin_ctzll((unsigned long long)d);
        if ((((uint64_t)n | (uint64_t)d) >> 32) == 0) return (int64_t)((uint32_t)n / (uint32_t)d);
        return (int64_t)((uint64_t)n / (uint64_t)d);
    }
    return n / d;
}

static inline int64_t rs_at(const void *view, size_t off)
{
    int64_t v;
    memcpy(&v, (const char *)view + off, sizeof v);
    return v;
}

static inline int rs_init(rs_conf_t *c, skiff_error_t *err)
{
    c->n = 0;
    for (const char *const *p = c->resources; p && *p; p++) {
        if (c->n == RS_MAX)
            return skiff_error_set(err, SKIFF_E_INVALID, "resources: at most %d entries", RS_MAX);
        rs_resource_t *r = &c->list[c->n];
        const char *colon = strchr(*p, ':');
        size_t len = colon ? (size_t)(colon - *p) : strlen(*p);
        if (len == 0 || len >= sizeof r->name)
            return skiff_error_set(err, SKIFF_E_INVALID, "resources: \"%s\" is not a resource name", *p);
        memcpy(r->name, *p, len);
        r->name[len] = '\0';
        r->weight = 1;
        if (colon) {
            char *end;
            long long w = strtoll(colon + 1, &end, 10);
            if (*end || end == colon + 1 || w < 1 || w > 100)
                return skiff_error_set(err, SKIFF_E_INVALID,
                                       "resources: weight in \"%s\" must be an integer 1..100", *p);
            r->weight = w;
        }
        r->kind = strcmp(r->name, "cpu") == 0 ? RS_CPU
                : strcmp(r->name, "memory") == 0 ? RS_MEMORY
                : strcmp(r->name, "ephemeral-storage") == 0 ? RS_EPHEMERAL : RS_SCALAR;
        for (size_t i = 0; i < c->n; i++)
            if (strcmp(c->list[i].name, r->name) == 0)
                return skiff_error_set(err, SKIFF_E_INVALID, "resources: \"%s\" listed twice", r->name);
        c->n++;
    }
    if (!c->n) return skiff_error_set(err, SKIFF_E_INVALID, "resources: the list is empty");
    c->fixed = 1;
    for (size_t i = 0; i < c->n; i++) {
        rs_set_offsets(&c->list[i]);
        if (c->list[i].kind == RS_SCALAR) c->fixed = 0;
    }
    return 0;
}

static inline int64_t rs_scalar(const skiff_sched_resources_t *r, const char *name)
{
    for (size_t i = 0; i < r->n_scalar; i++)
        if (strcmp(r->scalar[i].name, name) == 0) return r->scalar[i].value;
    return 0;
}

/* Allocatable and requested-after-placing-the-pod of one resource.
 * `non_zero`: cpu/memory with the scoring defaults. */
static inline void rs_values(const rs_resource_t *r, const skiff_sched_pod_t *pod,
                             const skiff_sched_node_t *node, int non_zero, int64_t *alloc,
                             int64_t *req)
{
    const char *name = r->name;
    if (r->kind == RS_CPU) {
        *alloc = node->allocatable.milli_cpu;
        *req = non_zero ? node->non_zero_milli_cpu + pod->non_zero_milli_cpu
                        : node->requested.milli_cpu + pod->requests.milli_cpu;
    } else if (r->kind == RS_MEMORY) {
        *alloc = node->allocatable.memory;
        *req = non_zero ? node->non_zero_memory + pod->non_zero_memory
                        : node->requested.memory + pod->requests.memory;
    } else if (r->kind == RS_EPHEMERAL) {
        *alloc = node->allocatable.ephemeral_storage;
        *req = node->requested.ephemeral_storage + pod->requests.ephemeral_storage;
    } else {
        *alloc = rs_scalar(&node->allocatable, name);
        *req = rs_scalar(&node->requested, name) + rs_scalar(&pod->requests, name);
    }
}

#endif
