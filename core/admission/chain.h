/* core/admission — the admission chain (the face of core/admission/).
 *
 * Built from the cluster's admission plugin instances in config order; a
 * run calls every mutating plugin (in order) and then every validating one
 * (in order) and stops at the first denial or error. The API server calls
 * it on each create, update (incl. patch and subresources) and delete after
 * the request is decoded and before anything is stored (also for
 * dryRun=All, which stores nothing).
 *
 * Reinvocation (Kubernetes' reinvocationPolicy: IfNeeded): a mutating
 * plugin may ask (req->reinvoke) to be called again if a later mutating
 * plugin changes the object. Then, once the mutating phase is over, the
 * chain runs the mutating plugins a second time with req->reinvocation
 * set, as kube-apiserver does: every plugin that did not ask, and each
 * one that asked only if the object changed since its own call. Nothing
 * is copied unless some plugin asks.
 *
 * Ownership: the chain borrows the instances (the cluster outlives the API
 * server component, which owns the chain). Runs may happen concurrently.
 */
#ifndef SKIFF_CORE_ADMISSION_CHAIN_H
#define SKIFF_CORE_ADMISSION_CHAIN_H

#include <stddef.h>

#include <skiff/admission.h>
#include <skiff/error.h>

#include "plugin/plugin.h"

typedef struct skiff_adm_chain skiff_adm_chain_t;

enum {
    SKIFF_ADM_OUT_ALLOWED = 0,
    SKIFF_ADM_OUT_DENIED = 403,  /* a plugin said no: 403 Forbidden */
    SKIFF_ADM_OUT_INVALID = 422, /* a plugin found the object invalid: 422 Invalid */
    SKIFF_ADM_OUT_ERROR = 500,   /* a plugin failed: fail closed, 500 InternalError */
};

#define SKIFF_ADM_MAX_WARNINGS 16
#define SKIFF_ADM_REASON_MAX 4096

typedef struct skiff_adm_outcome {
    int code;                          /* SKIFF_ADM_OUT_* */
    char plugin[128];                  /* instance name that denied or failed */
    char reason[SKIFF_ADM_REASON_MAX]; /* its message */
    size_t nwarnings;                  /* warnings added by plugins (malloc'd) */
    char *warnings[SKIFF_ADM_MAX_WARNINGS];
} skiff_adm_outcome_t;

/* A chain over `n` admission instances (borrowed), in chain order. Instances
 * without an admit slot are skipped. n may be 0 (an empty chain allows all). */
int skiff_adm_chain_new(skiff_instance_t *const *insts, size_t n, skiff_adm_chain_t **out,
                        skiff_error_t *err);
void skiff_adm_chain_free(skiff_adm_chain_t *c); /* NULL is fine */
size_t skiff_adm_chain_len(const skiff_adm_chain_t *c);

/* Run the chain over req (req->object may be changed by mutators). Fills
 * *out (code, and on a denial/error the plugin and reason; an error is also
 * logged). Returns 0 when allowed, 1 when denied or failed. Release the
 * outcome's warnings with skiff_adm_outcome_free(). */
int skiff_adm_chain_run(const skiff_adm_chain_t *c, skiff_adm_request_t *req,
                        skiff_adm_outcome_t *out);
void skiff_adm_outcome_free(skiff_adm_outcome_t *out);

#endif
