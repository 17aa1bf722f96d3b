/* core/api/binding — pods/NAME/binding as kube-apiserver's BindingREST
 * (pkg/registry/core/pod/storage): a guaranteed update straight on the
 * store that sets spec.nodeName, merges the Binding's annotations and sets
 * PodScheduled=True; no field manager, no generic update pipeline. The
 * edits below are exposed for the unit tests (binding_test.c). */
#ifndef SKIFF_CORE_API_BINDING_H
#define SKIFF_CORE_API_BINDING_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "api/internal.h"

enum {
    APISRV_BIND_OK = 0,
    APISRV_BIND_ASSIGNED,  /* spec.nodeName already set (facts.node) */
    APISRV_BIND_DELETING,  /* metadata.deletionTimestamp set */
    APISRV_BIND_GATED,     /* spec.schedulingGates not empty */
    APISRV_BIND_UID,       /* the uid precondition does not hold (facts.uid) */
};

typedef struct apisrv_bind_facts {
    int verdict;           /* APISRV_BIND_* */
    char node[256];        /* the node the pod is already on (ASSIGNED) */
    char uid[64];          /* the pod's uid (UID) */
} apisrv_bind_facts_t;

/* Bind the stored pod text val[0..len) to `node` by editing the text (only
 * spec.nodeName and status.conditions change; PodScheduled's transition
 * time is `now` unless it was True already). want_uid: precondition, NULL
 * or "" = none. Returns 0 with f->verdict; when APISRV_BIND_OK, *out is the
 * new text (malloc'd, NUL-terminated, *out_len bytes). 1 = this text is not
 * one the editor handles (escaped keys, odd shapes): use apisrv_bind_tree.
 * -ENOMEM. */
int apisrv_bind_text(const char *val, size_t len, const char *node, const char *now,
                     const char *want_uid, apisrv_bind_facts_t *f, char **out, size_t *out_len);

/* The same on a decoded pod, also merging `annotations` (an object of
 * strings, NULL = none) into metadata.annotations. 0 with f->verdict (pod
 * edited only when APISRV_BIND_OK), -ENOMEM. */
int apisrv_bind_tree(cJSON *pod, const char *node, const cJSON *annotations, const char *now,
                     const char *want_uid, apisrv_bind_facts_t *f);

/* POST pods/NAME/binding (handlers.c routes it here). */
int apisrv_handle_binding(apisrv_call_t *c);

#endif
