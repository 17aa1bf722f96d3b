/* The resource list the allocation scorers share (kube-scheduler's
 * resource_allocation.go): `resources` is a list of "name" or "name:weight"
 * (weight 1..100); cpu and memory use the non-zero requests (100m / 200Mi
 * for containers that ask nothing), other resources the plain ones. */
#ifndef SKIFF_PLUGINS_RESOURCE_SCORE_H
#define SKIFF_PLUGINS_RESOURCE_SCORE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <skiff/skiff.h>

#define RS_MAX 16

enum { RS_CPU, RS_MEMORY, RS_EPHEMERAL, RS_SCALAR };
typedef struct rs_resource { char name[128]; int64_t weight; int kind; } rs_resource_t;

typedef struct rs_conf {
    const char *const *resources;  /* filled by the host */
    rs_resource_t list[RS_MAX];
    size_t n;
} rs_conf_t;

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
