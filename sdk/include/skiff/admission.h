/* skiff/admission.h — ops table of kind `admission`.
 *
 * The API server runs every create/update/delete/connect through the chain
 * in config order: all mutating plugins first, then all validating ones.
 * Objects are cJSON trees (the plugin links libcjson itself; the tree is the
 * host's). A mutating plugin may change `req->object` in place; everything
 * else in the request is borrowed and read-only for the call.
 *
 * Verdicts: return 0 with SKIFF_ADM_ALLOW, or 0 with SKIFF_ADM_DENY and the
 * reason in err->msg (the host answers 403 Forbidden, message
 * `<resource> "<name>" is forbidden: <instance>: <reason>`). A negative
 * return is an *error* (the plugin could not decide: a lookup failed, a
 * webhook timed out under failurePolicy Fail...): the request fails closed
 * with 500 InternalError and the host logs err->msg. admit() runs on API
 * server threads, concurrently; it may call the host's api_* slots (1.1).
 * With req->dry_run set nothing will be stored: a plugin must not keep
 * side effects (quota reservations, status updates).
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

    /* --- 1.1 (read only when within req->size) */
    /* Attach a warning to the response (kubectl prints "Warning: <msg>");
     * the text is copied. Used e.g. by pod-security's warn mode. NULL when
     * the host collects no warnings. */
    void (*warn)(struct skiff_adm_request *req, const char *msg);
    void *host_data;          /* the host's, for warn() and set_reason() */
    /* Give a denial or error reason longer than err->msg can hold
     * (SKIFF_ERROR_MSG_MAX); it then replaces err->msg. Copied. NULL when
     * the host has no such channel (err->msg is used, truncated). */
    void (*set_reason)(struct skiff_adm_request *req, const char *msg);

    /* --- ABI 1.2 (read/write these only when req->size covers them) */
    /* Kubernetes' webhook reinvocation (reinvocationPolicy: IfNeeded). Set
     * by the host: non-zero while it runs the mutating plugins a second
     * time because the object changed after a plugin asked for it. */
    int reinvocation;
    /* Set by a mutating plugin during its call (the host clears it before):
     * SKIFF_ADM_REINVOKE_IF_CHANGED = call me again, once, if a plugin after
     * me changes the object; SKIFF_ADM_REINVOKE_ALWAYS = call me again (the
     * object changed after one of my own IfNeeded steps). */
    int reinvoke;

    /* --- ABI 1.2 (read only when within req->size): the rest of the
     * authenticated user (`user` is its name), as AdmissionReview's
     * userInfo. Borrowed for the call. */
    const char *uid;                 /* "" when none */
    const char *const *groups;       /* ngroups entries, e.g. "system:authenticated" */
    size_t ngroups;
} skiff_adm_request_t;

enum { SKIFF_ADM_REINVOKE_IF_CHANGED = 1, SKIFF_ADM_REINVOKE_ALWAYS = 2 };

typedef enum skiff_adm_verdict {
    SKIFF_ADM_ALLOW = 0,
    SKIFF_ADM_DENY = 1,  /* reason in err->msg → 403 Forbidden */
    /* The object itself is malformed in a way only this plugin can tell
     * (e.g. a webhook configuration whose matchConditions do not compile):
     * reason in err->msg → 422 Invalid. Return it only to a host whose
     * request has the `reinvoke` field (req->size covers it); an older host
     * would answer 500 for an unknown verdict. */
    SKIFF_ADM_INVALID = 2,
} skiff_adm_verdict_t;

typedef struct skiff_admission_ops {
    uint32_t size;
    int mutating; /* non-zero: runs in the mutating phase */
    /* Returns 0 and sets *verdict; a negative return is an error (the request
     * fails closed with 500). On deny, err->msg holds the reason. */
    int (*admit)(void *self, skiff_adm_request_t *req, skiff_adm_verdict_t *verdict,
                 skiff_error_t *err);

    /* --- 1.1. Per-instance phase: when set, decides the phase of each
     * instance instead of `mutating` (non-zero = mutating phase); asked
     * once, when the chain is built. Lets one plugin serve both phases
     * (e.g. webhook instances for Mutating- and ValidatingWebhookConfigurations). */
    int (*is_mutating)(void *self);
} skiff_admission_ops_t;

#endif
