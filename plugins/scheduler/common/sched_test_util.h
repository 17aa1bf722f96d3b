/* Test helpers for scheduler plugins (tests link the core; plugins don't):
 * instantiate the plugin under test through the real host, build views
 * from JSON, run one extension point. */
#ifndef SKIFF_PLUGINS_SCHED_TEST_UTIL_H
#define SKIFF_PLUGINS_SCHED_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <skiff/skiff.h>

#include "plugin/plugin.h"
#include "sched/sched.h"

extern const skiff_plugin_t skiff_plugin;

typedef struct tu_obj { cJSON *json; void *view; int node; } tu_obj_t;
static tu_obj_t tu_objs[256];
static size_t tu_n;

static inline skiff_instance_t *tu_instance(const char *const *settings)
{
    skiff_instance_t *inst = NULL;
    skiff_error_t err;
    int rc = skiff_instance_new(&skiff_plugin, "t", settings, NULL, &inst, &err);
    if (rc < 0) fail_msg("instance: %s", err.msg);
    return inst;
}

static inline const skiff_scheduler_ops_t *tu_ops(skiff_instance_t *inst)
{
    return skiff_instance_ops(inst);
}

static inline skiff_sched_pod_t *tu_pod(const char *json)
{
    cJSON *o = cJSON_Parse(json);
    if (!o) fail_msg("bad test JSON: %s", json);
    skiff_sched_pod_t *p;
    skiff_error_t err;
    if (skiff_sched_pod_view(o, &p, &err) < 0) fail_msg("pod view: %s", err.msg);
    tu_objs[tu_n++] = (tu_obj_t){ o, p, 0 };
    return p;
}

static inline skiff_sched_node_t *tu_node(const char *json)
{
    cJSON *o = cJSON_Parse(json);
    if (!o) fail_msg("bad test JSON: %s", json);
    skiff_sched_node_t *n;
    skiff_error_t err;
    if (skiff_sched_node_view(o, &n, &err) < 0) fail_msg("node view: %s", err.msg);
    tu_objs[tu_n++] = (tu_obj_t){ o, n, 1 };
    return n;
}

/* Put pods on a node as the cache would (pods array; requested is set by
 * the caller when a test needs it). */
static inline void tu_place(skiff_sched_node_t *n, const skiff_sched_pod_t **pods, size_t k)
{
    n->pods = pods;
    n->n_pods = k;
    n->n_pods_with_affinity = 0;
    for (size_t i = 0; i < k; i++)
        n->n_pods_with_affinity += pods[i]->affinity.n_required || pods[i]->affinity.n_preferred ||
                                   pods[i]->anti_affinity.n_required || pods[i]->anti_affinity.n_preferred;
}

static inline void tu_free_all(void)
{
    for (size_t i = 0; i < tu_n; i++) {
        if (tu_objs[i].node) skiff_sched_node_view_free(tu_objs[i].view);
        else skiff_sched_pod_view_free(tu_objs[i].view);
        cJSON_Delete(tu_objs[i].json);
    }
    tu_n = 0;
}

/* Run pre_filter (if any) then filter on one node; returns the code, reason in *reason. */
static inline skiff_sched_code_t tu_filter(skiff_instance_t *inst, skiff_sched_state_t *st,
                                    const skiff_sched_pod_t *pod, const skiff_sched_node_t *node,
                                    char *reason)
{
    const skiff_scheduler_ops_t *ops = tu_ops(inst);
    skiff_sched_status_t s = { SKIFF_SCHED_SUCCESS, "" };
    ops->filter(skiff_instance_self(inst), st, pod, node, &s);
    if (reason) strcpy(reason, s.reason);
    return s.code;
}

static inline skiff_sched_code_t tu_pre_filter(skiff_instance_t *inst, skiff_sched_state_t *st,
                                        const skiff_sched_pod_t *pod)
{
    const skiff_scheduler_ops_t *ops = tu_ops(inst);
    skiff_sched_status_t s = { SKIFF_SCHED_SUCCESS, "" };
    if (ops->pre_filter) ops->pre_filter(skiff_instance_self(inst), st, pod, &s);
    return s.code;
}

/* A PreFilter extension: other added to (add) or removed from node. */
static inline skiff_sched_code_t tu_pod_ext(skiff_instance_t *inst, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                                            const skiff_sched_pod_t *other, const skiff_sched_node_t *node, int add)
{
    const skiff_scheduler_ops_t *ops = tu_ops(inst);
    skiff_sched_status_t s = { SKIFF_SCHED_SUCCESS, "" };
    if (add) ops->pre_filter_add_pod(skiff_instance_self(inst), st, pod, other, node, &s);
    else ops->pre_filter_remove_pod(skiff_instance_self(inst), st, pod, other, node, &s);
    return s.code;
}

/* pre_score (if any), score each node, normalize (if any) into out. */
static inline skiff_sched_code_t tu_scores(skiff_instance_t *inst, skiff_sched_state_t *st,
                                    const skiff_sched_pod_t *pod, skiff_sched_node_t **nodes,
                                    size_t n, int64_t *out)
{
    const skiff_scheduler_ops_t *ops = tu_ops(inst);
    void *self = skiff_instance_self(inst);
    skiff_sched_status_t s = { SKIFF_SCHED_SUCCESS, "" };
    if (ops->pre_score) ops->pre_score(self, st, pod, &s);
    if (s.code != SKIFF_SCHED_SUCCESS) return s.code;
    for (size_t i = 0; i < n; i++) out[i] = ops->score(self, st, pod, nodes[i], &s);
    if (ops->normalize_score) ops->normalize_score(self, st, pod, out, n, &s);
    return s.code;
}

#endif
