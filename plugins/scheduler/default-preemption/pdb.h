/* default-preemption: PodDisruptionBudgets as preemption reads them
 * (kube's DefaultPreemption getPodDisruptionBudgets and
 * filterPodsWithPDBViolation). Internal to the plugin. */
#ifndef SKIFF_PREEMPT_PDB_H
#define SKIFF_PREEMPT_PDB_H

#include <stddef.h>
#include <stdint.h>

#include <skiff/skiff.h>

struct cJSON;

/* The cluster's budgets, read once per preemption attempt. */
typedef struct preempt_pdbs {
    struct cJSON *list;         /* the PodDisruptionBudgetList as read (owned) */
    const struct cJSON **items; /* its items with a usable, non-empty selector */
    int64_t *allowed;           /* status.disruptionsAllowed of each */
    size_t n;
} preempt_pdbs_t;

/* List every PodDisruptionBudget through the host API. Without an API (a
 * host of ABI 1.0, no API server in the process) or when the list fails,
 * *out is empty and the failure is logged: preemption then treats every
 * victim as violating none, as before PDBs existed. */
void preempt_pdbs_load(const skiff_host_t *host, skiff_ctx_t *ctx, preempt_pdbs_t *out);
/* A budget set built from a PodDisruptionBudgetList JSON text (tests). */
int preempt_pdbs_parse(const char *json, preempt_pdbs_t *out);
void preempt_pdbs_free(preempt_pdbs_t *p);

/* filterPodsWithPDBViolation: split pods (most important first) into the
 * ones whose eviction would take some matching budget below zero allowed
 * disruptions (counted in this order) and the others. Both outputs have
 * room for n; order is kept. 0, or -1 out of memory. */
int preempt_pdbs_split(const preempt_pdbs_t *p, const skiff_sched_pod_t *const *pods, size_t n,
                       const skiff_sched_pod_t **violating, size_t *n_violating,
                       const skiff_sched_pod_t **ok, size_t *n_ok);

#endif
