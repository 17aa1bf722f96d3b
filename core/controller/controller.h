/* core/controller — the controller runtime (the face of core/controller/).
 *
 * Shared informers: one list+watch per resource through a
 * skiff_api_client_t (in-process or HTTP), an in-memory cache of every
 * object keyed "namespace/name" (cluster-scoped: "name"), shared by all
 * controllers of the process, re-listed on a 410/ERROR event or when the
 * stream ends, and resynced (every object re-delivered) periodically.
 *
 * Work queues: per controller, keys de-duplicated (a key queued twice is
 * synced once; a key re-added while being synced is synced again after),
 * failed syncs retried with per-key exponential backoff (5ms doubling, at
 * most 30s), N worker threads.
 *
 * A controller is a descriptor (skiff_controller_t): a name, the resources
 * it watches, a handler that maps an informer event to the keys it queues,
 * and sync(key). Nothing else ties it to the core, so a controller can later
 * be a plugin without changing its code.
 *
 * Ownership: objects handed to callbacks are borrowed for the call;
 * skiff_informer_get/list return copies (cJSON trees) the caller frees with
 * cJSON_Delete; skiff_informer_select/borrow return read-only references
 * (no copy) the caller releases.
 */
#ifndef SKIFF_CORE_CONTROLLER_H
#define SKIFF_CORE_CONTROLLER_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <skiff/error.h>

#include "api/client.h"

typedef struct skiff_ctrl skiff_ctrl_t;            /* one controller's runtime handle */
typedef struct skiff_ctrl_mgr skiff_ctrl_mgr_t;    /* informers + controllers of a process */
typedef struct skiff_informer skiff_informer_t;
typedef struct skiff_workqueue skiff_workqueue_t;
typedef struct skiff_ctrl_mgr_config skiff_ctrl_mgr_config_t;

typedef enum { SKIFF_EV_ADD, SKIFF_EV_UPDATE, SKIFF_EV_DELETE } skiff_ev_t;

typedef struct skiff_controller {
    const char *name;                    /* "replicaset", "deployment", ... */
    const char *const *watches;          /* resource names, NULL-terminated ("pods", "replicasets") */
    /* An informer event on one of `watches`: queue keys with
     * skiff_ctrl_enqueue(). obj (and old for updates, may be NULL) are
     * borrowed. Runs on the informer's thread: must not block. */
    void (*on_event)(skiff_ctrl_t *c, const char *resource, skiff_ev_t ev, const cJSON *obj,
                     const cJSON *old);
    /* Bring `key` to its desired state. A negative return is retried with
     * backoff; err says why (logged). */
    int (*sync)(skiff_ctrl_t *c, const char *key, skiff_error_t *err);
    /* Optional: make / free the controller's state (*skiff_ctrl_state()). */
    int (*init)(skiff_ctrl_t *c, skiff_error_t *err);
    void (*fini)(void *state);
} skiff_controller_t;

/* The built-in controllers, *n entries. */
const skiff_controller_t *const *skiff_controllers_builtin(size_t *n);

/* ---- resources ---- */
typedef struct skiff_ctrl_resource {
    const char *name;      /* "pods" */
    const char *prefix;    /* "/api/v1" or "/apis/apps/v1" */
    const char *kind;      /* "Pod" */
    int namespaced;
} skiff_ctrl_resource_t;
const skiff_ctrl_resource_t *skiff_ctrl_resource(const char *name);
const skiff_ctrl_resource_t *skiff_ctrl_resource_by_kind(const char *kind);
/* "/apis/apps/v1/namespaces/NS/replicasets/NAME" (name may be NULL: the collection). */
void skiff_ctrl_path(const skiff_ctrl_resource_t *r, const char *ns, const char *name, char *out, size_t n);

/* ---- informer ---- */
typedef void (*skiff_informer_handler)(void *ud, const char *resource, skiff_ev_t ev,
                                       const cJSON *obj, const cJSON *old);
/* Start list+watch of `resource` (a skiff_ctrl_resource name). resync_ms 0 = never. */
int skiff_informer_new(skiff_api_client_t *client, const char *resource, int64_t resync_ms,
                       skiff_informer_t **out, skiff_error_t *err);
/* Add a handler (before skiff_informer_start). */
int skiff_informer_add_handler(skiff_informer_t *inf, skiff_informer_handler fn, void *ud);
int skiff_informer_start(skiff_informer_t *inf, skiff_error_t *err);
/* 1 once the first list has been applied. */
int skiff_informer_synced(skiff_informer_t *inf);
/* Stops the informer's thread and watch: no more events, the cache stays
 * readable. Idempotent; skiff_informer_free() calls it. */
void skiff_informer_stop(skiff_informer_t *inf);
void skiff_informer_free(skiff_informer_t *inf);
/* A copy of the cached object, or NULL. */
cJSON *skiff_informer_get(skiff_informer_t *inf, const char *key);
/* Copies of cached objects in namespace ns (NULL = all) that match: owner
 * uid (NULL = any) — the owner index — and a filter (NULL = all; called
 * under the informer's lock). Returns a cJSON array (never NULL unless out
 * of memory) in key order ("ns/name"). Found through the indexes; prefer
 * skiff_informer_select for large answers (no copies, no order). */
cJSON *skiff_informer_list(skiff_informer_t *inf, const char *ns, const char *owner_uid,
                           int (*filter)(void *ud, const cJSON *obj), void *ud);
size_t skiff_informer_len(skiff_informer_t *inf);

/* Indexes (as client-go's Indexers). Every informer has the four below; a
 * controller may add its own with skiff_informer_add_index (any time: the
 * cached objects are filed at once). An index function puts in vals (at
 * most max) the values obj is filed under — pointers to strings inside obj
 * — and returns how many. */
#define SKIFF_INDEX_NAMESPACE  "namespace"    /* metadata.namespace (cluster-scoped: none) */
#define SKIFF_INDEX_OWNER      "owner"        /* every ownerReferences[].uid */
#define SKIFF_INDEX_CONTROLLER "controller"   /* the controller ownerReference's uid */
#define SKIFF_INDEX_ORPHAN     "orphan"       /* namespace ("" cluster-scoped) of objects without a controller */
typedef size_t (*skiff_index_fn)(const cJSON *obj, const char **vals, size_t max);
int skiff_informer_add_index(skiff_informer_t *inf, const char *name, skiff_index_fn fn, skiff_error_t *err);

/* Borrowed views: no copies. The cache never edits a cached object (an
 * update replaces it), and each object of a view stays alive until the view
 * is released, so a view is read without any lock and shows the objects as
 * they were when taken. Never modify them (cJSON_Duplicate to edit). */
typedef struct skiff_objs {
    const cJSON **v;       /* n objects, in no particular order */
    size_t n;
    void **hold;           /* their references (for skiff_objs_release) */
} skiff_objs_t;
/* The objects filed under value in index (index NULL: every object, value
 * ignored) that pass filter (NULL = all; called under the informer's lock:
 * must be quick and must not call the informer). 0, or <0 (out of memory,
 * SKIFF_E_INVALID for an unknown index) with *out empty. */
int skiff_informer_select(skiff_informer_t *inf, const char *index, const char *value,
                          int (*filter)(void *ud, const cJSON *obj), void *ud, skiff_objs_t *out);
void skiff_objs_release(skiff_objs_t *l);
/* How many objects are filed under value (index NULL: all objects). */
size_t skiff_informer_count(skiff_informer_t *inf, const char *index, const char *value);
/* The cached object (borrowed, as above) or NULL; *hold is released with
 * skiff_informer_unhold (NULL is fine). */
const cJSON *skiff_informer_borrow(skiff_informer_t *inf, const char *key, void **hold);
void skiff_informer_unhold(void *hold);

/* ---- work queue ---- */
typedef int (*skiff_workqueue_fn)(void *ud, const char *key, skiff_error_t *err);
int skiff_workqueue_new(const char *name, int workers, skiff_workqueue_fn fn, void *ud,
                        skiff_workqueue_t **out, skiff_error_t *err);
void skiff_workqueue_add(skiff_workqueue_t *q, const char *key);
void skiff_workqueue_add_after(skiff_workqueue_t *q, const char *key, int64_t delay_ms);
/* Number of failures recorded for key (reset by a successful sync). */
int skiff_workqueue_retries(skiff_workqueue_t *q, const char *key);
/* Keys queued or waiting for their delay (not counting those being synced). */
size_t skiff_workqueue_len(skiff_workqueue_t *q);
/* Stop workers (waits for running syncs) and free. */
void skiff_workqueue_free(skiff_workqueue_t *q);

/* ---- manager ---- */
struct skiff_ctrl_mgr_config {
    skiff_api_client_t *client;          /* borrowed */
    const char *const *enable;           /* controller names; NULL = all built-in */
    int workers;                         /* per controller; 0 = 2 */
    int64_t resync_ms;                   /* 0 = 10 minutes; <0 never */
    const skiff_controller_t *const *controllers; /* NULL = built-in */
    size_t ncontrollers;
    int64_t node_grace_ms;               /* node lifecycle: lease age that makes a node Unknown; 0 = 50s */
    const char *cluster_cidr;            /* node IPAM: pod range of the cluster (borrowed); NULL/"" = off */
    int node_cidr_mask_size;             /* node IPAM: each node's range /N; 0 = 24 */
    int64_t stale_pod_disruption_ms;     /* disruption: a DisruptionTarget=True this old on a pod not
                                            being deleted is set False; 0 = 2 minutes (kube's) */
};
int skiff_ctrl_mgr_new(const skiff_ctrl_mgr_config_t *cfg, skiff_ctrl_mgr_t **out, skiff_error_t *err);
void skiff_ctrl_mgr_free(skiff_ctrl_mgr_t *m);

/* ---- for controllers ---- */
void skiff_ctrl_enqueue(skiff_ctrl_t *c, const char *key);
void skiff_ctrl_enqueue_after(skiff_ctrl_t *c, const char *key, int64_t delay_ms);
skiff_api_client_t *skiff_ctrl_client(skiff_ctrl_t *c);
/* The manager's configuration (settings such as node_grace_ms). */
const skiff_ctrl_mgr_config_t *skiff_ctrl_config(skiff_ctrl_t *c);
/* The shared informer of a resource (one the controller watches). */
skiff_informer_t *skiff_ctrl_informer(skiff_ctrl_t *c, const char *resource);
/* Per-controller state (set by init, freed by fini). */
void **skiff_ctrl_state(skiff_ctrl_t *c);
/* Record a core/v1 Event on obj (borrowed) as `component`. */
void skiff_ctrl_event(skiff_ctrl_t *c, const cJSON *obj, const char *type, const char *reason,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* ---- object helpers (util.c) ---- */
const char *skiff_obj_str(const cJSON *o, const char *dotted);   /* "metadata.name" */
int64_t skiff_obj_int(const cJSON *o, const char *dotted, int64_t dflt);
/* "ns/name" or "name" into out. */
void skiff_obj_key(const cJSON *o, char *out, size_t n);
/* Split "ns/name": ns gets "" for cluster-scoped keys. */
void skiff_key_split(const char *key, char *ns, size_t nns, char *name, size_t nname);
/* The controller ownerReference of o (borrowed), or NULL. */
const cJSON *skiff_obj_controller_ref(const cJSON *o);
/* 1 if pod is Ready / available (ready for minReadySeconds) at now. */
int skiff_pod_ready(const cJSON *pod);
int skiff_pod_active(const cJSON *pod);   /* not terminal, not being deleted */
/* count random chars from Kubernetes' alphabet "bcdfghjklmnpqrstvwxz2456789". */
void skiff_rand_suffix(char *out, size_t count);
/* ISO-8601 UTC now. */
void skiff_now_rfc3339(char *out, size_t n);
/* An owner reference JSON object for owner (controller=true, blockOwnerDeletion=true). */
cJSON *skiff_owner_ref(const cJSON *owner, const char *api_version, const char *kind);

#endif
