/* skiff/admission.h — ops table of kind `admission`.
 *
 * The API server runs every create/update/delete/connect through the chain
 * in config order: all mutating plugins first, then all validating ones.
 * Objects are cJSON trees (the plugin links libcjson itself; the tree is the
 * host's). A mutating plugin may change `req->object` in place; everything
 * else in the request is borrowed and read-only for the call.
 * The full request/verdict contract is filled in by the admission issue; the
 * slots below are the 1.0 shape.
 */
#ifndef SKIFF_ADMISSION_H
#define SKIFF_ADMISSION_H

#include <stdint.h>

#include "error.h"

struct cJSON;

typedef enum skiff_adm_op {
    SKIFF_ADM_CREATE = 1,
    SKIFF_ADM_UPDATE = 2,
    SKIFF_ADM_DELETE = 3,
    SKIFF_ADM_CONNECT = 4,
} skiff_adm_op_t;

typedef struct skiff_adm_request {
    uint32_t size;            /* sizeof(skiff_adm_request_t) */
    skiff_adm_op_t op;
    const char *group;        /* "" for core */
    const char *version;
    const char *resource;     /* plural, e.g. "pods" */
    const char *subresource;  /* "" when none */
    const char *kind;
    const char *namespace_;   /* "" for cluster-scoped */
    const char *name;
    const char *user;
    int dry_run;
    struct cJSON *object;     /* new object (NULL on delete); mutable for mutators */
    const struct cJSON *old_object; /* NULL on create */
} skiff_adm_request_t;

typedef enum skiff_adm_verdict {
    SKIFF_ADM_ALLOW = 0,
    SKIFF_ADM_DENY = 1,  /* reason in err->msg → 403 Forbidden */
} skiff_adm_verdict_t;

typedef struct skiff_admission_ops {
    uint32_t size;
    int mutating; /* non-zero: runs in the mutating phase */
    /* Returns 0 and sets *verdict; a negative return is an error (the request
     * fails closed with 500). On deny, err->msg holds the reason. */
    int (*admit)(void *self, skiff_adm_request_t *req, skiff_adm_verdict_t *verdict,
                 skiff_error_t *err);
} skiff_admission_ops_t;

#endif
