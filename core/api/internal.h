/* core/api/internal — what the API server's files share (not a public face). */
#ifndef SKIFF_CORE_API_INTERNAL_H
#define SKIFF_CORE_API_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "api/api.h"
#include "api/auth.h"
#include "api/buf.h"

struct microhttpd_daemon_opaque;

/* ---- resource table (resources.c) ---------------------------------------- */

enum {
    APISRV_SUB_STATUS = 1u << 0,
    APISRV_SUB_SCALE = 1u << 1,
    APISRV_SUB_BINDING = 1u << 2,
    APISRV_SUB_EVICTION = 1u << 3,
    APISRV_SUB_LOG = 1u << 4,
    APISRV_SUB_EXEC = 1u << 5,
    APISRV_SUB_FINALIZE = 1u << 6, /* namespaces/NAME/finalize: spec.finalizers only */
    APISRV_SUB_TOKEN = 1u << 7,    /* serviceaccounts/NAME/token: TokenRequest (satoken.c) */
};

typedef struct apisrv_column {
    const char *name;
    const char *type;   /* "string", "integer", "date" */
    const char *format; /* "name" for the first column, else "" */
    int priority;       /* 1 = only with -o wide */
} apisrv_column_t;

typedef struct apisrv_invalid apisrv_invalid_t;
typedef struct apisrv_call apisrv_call_t;

typedef struct apisrv_resource {
    const char *group;    /* "" for the core group */
    const char *version;
    const char *plural;
    const char *singular;
    const char *kind;
    int namespaced;
    const char *short_names[3];
    int in_all;           /* category "all" */
    unsigned subs;        /* APISRV_SUB_* */
    int reset_status;     /* create drops client-sent status (pods, workloads) */
    int dns_label_name;   /* names are DNS-1123 labels (namespaces, services) */
    const apisrv_column_t *columns; /* NULL: Name, Age */
    /* Fill the row cells for `columns` (NULL: name + age). */
    void (*cells)(const cJSON *obj, cJSON *cells, int64_t now);
    /* Defaults and kind-specific validation on create/update; old is NULL on
     * create. Adds causes to inv; may return <0 with call's error set. */
    int (*prepare)(apisrv_call_t *c, cJSON *obj, const cJSON *old, apisrv_invalid_t *inv);
    /* Release what the object held when it is finally deleted (ClusterIPs). */
    void (*on_delete)(apisrv_call_t *c, const cJSON *obj);
    /* Virtual resources (SelfSubjectAccessReview...): nothing is stored,
     * only `create` is served, by this handler. NULL = a stored kind. */
    int (*handle)(apisrv_call_t *c);
} apisrv_resource_t;

extern const apisrv_resource_t apisrv_resources[];
extern const size_t apisrv_nresources;
/* Lookup by group + plural (or singular/short name when loose). */
const apisrv_resource_t *apisrv_resource_find(const char *group, const char *version,
                                              const char *plural);
const apisrv_resource_t *apisrv_resource_by_kind(const char *group, const char *kind);
size_t apisrv_resource_index(const apisrv_resource_t *r);
/* "deployments.apps" / "pods": the name Kubernetes uses in messages. */
void apisrv_resource_qualified(const apisrv_resource_t *r, char *buf, size_t len);
/* "apps/v1" or "v1". */
void apisrv_resource_api_version(const apisrv_resource_t *r, char *buf, size_t len);

/* ---- one request in flight ----------------------------------------------- */

enum {
    APISRV_VERB_GET, APISRV_VERB_LIST, APISRV_VERB_WATCH, APISRV_VERB_CREATE,
    APISRV_VERB_UPDATE, APISRV_VERB_PATCH, APISRV_VERB_DELETE,
    APISRV_VERB_DELETECOLLECTION, APISRV_VERB_OTHER, APISRV_NVERBS
};
extern const char *const apisrv_verb_names[APISRV_NVERBS];

/* The identity a service-account token names (satoken.c), kept with the
 * call: groups point into ns_group. */
typedef struct apisrv_sa_user {
    skiff_api_user_t user;
    const char *groups[3];
    char name[600], uid[64], ns_group[300];
    /* kube's extra user info: the token's jti, a bound pod and its node */
    char jti[64], pod_name[256], pod_uid[64], node_name[256], node_uid[64];
} apisrv_sa_user_t;

struct apisrv_call {
    skiff_api_server_t *s;
    const skiff_api_request_t *req;
    skiff_api_response_t *resp;
    const apisrv_resource_t *res; /* NULL for non-resource paths */
    int verb;
    int table;                    /* Accept asked for a Table */
    int64_t now_ns;
    /* extra compares/ops joined to the object's write transaction (range
     * allocations for ClusterIPs/NodePorts, their release on delete) */
#define APISRV_MAX_EXTRA 16
    int nx;                       /* keys used */
    int nxc, nxo;                 /* compares, ops */
    int alloc_auto;               /* an allocation was picked by us (retry on clash) */
    int patch_type;               /* APISRV_PATCH_* of a PATCH, else 0 */
    int precondition;             /* the client sent a resourceVersion: conflicts are 409, not retried */
    const struct skiff_api_user *user; /* who is calling (auth.h); never NULL once routed */
    /* an impersonated user (kubectl --as) lives here for the call (authz.c) */
    skiff_api_user_t imp;
    const char *imp_groups[12];
    /* Members from here on are not zeroed when a call starts (4.6 KiB, a
     * visible share of a small request): strings are written before they
     * are read (ns, name, sub start as ""), the extra arrays are read only
     * below nx/nxc/nxo. APISRV_CALL_ZEROED is what skiff_api_server_handle
     * clears. */
    char ns[256];                 /* "" = all namespaces / cluster-scoped */
    char name[256];
    char sub[32];
    char xkeys[APISRV_MAX_EXTRA][80];
    skiff_store_cmp_t xcmp[APISRV_MAX_EXTRA];
    skiff_store_op_t xop[APISRV_MAX_EXTRA];
    char imp_sa_group[300];
    apisrv_sa_user_t sa;          /* a service-account token's caller (satoken.c) */
};
#define APISRV_CALL_ZEROED offsetof(struct apisrv_call, ns)

const char *apisrv_param(const apisrv_call_t *c, const char *key); /* NULL if absent */
int apisrv_param_true(const apisrv_call_t *c, const char *key);

/* ---- status.c: Kubernetes Status errors ----------------------------------- */

#define APISRV_MAX_CAUSES 16
struct apisrv_invalid {
    int n;
    struct { char field[128]; char reason[40]; char message[384]; } causes[APISRV_MAX_CAUSES];
};
void apisrv_invalid_add(apisrv_invalid_t *inv, const char *reason, const char *field,
                        const char *fmt, ...) SKIFF_PRINTF(4, 5);

/* Fill c->resp with a Failure Status; returns 0. details name/kind from c. */
int apisrv_fail(apisrv_call_t *c, int code, const char *reason, const char *fmt, ...)
    SKIFF_PRINTF(4, 5);
int apisrv_fail_notfound(apisrv_call_t *c, const char *name);
/* A Failure Status with details.causes copied from `causes` (may be NULL). */
int apisrv_fail_causes(apisrv_call_t *c, int code, const char *reason, const char *msg,
                       const cJSON *causes);
int apisrv_fail_invalid(apisrv_call_t *c, const char *name, const apisrv_invalid_t *inv);
/* authentication.k8s.io UserInfo {username, uid, groups} of `u` (reviews.c;
 * SelfSubjectReview and TokenReview). */
cJSON *apisrv_user_info_json(const skiff_api_user_t *u);
/* The same for a kind other than the call's resource's (group "" = core). */
int apisrv_fail_invalid_kind(apisrv_call_t *c, const char *group, const char *kind, const char *name,
                             const apisrv_invalid_t *inv);
/* Map a skiff error code from the store to a Status. */
int apisrv_fail_store(apisrv_call_t *c, const skiff_error_t *err);
/* A Status as a JSON text (for watch ERROR events). */
char *apisrv_status_json(int code, const char *reason, const char *message);
int apisrv_reply_json(apisrv_call_t *c, int code, cJSON *obj); /* takes obj */
int apisrv_reply_buf(apisrv_call_t *c, int code, skiff_api_buf_t *b); /* takes b's data */
int apisrv_reply_text(apisrv_call_t *c, int code, const char *ctype, const char *text);

/* ---- objects.c: stored form, resourceVersion splicing, time, uid ----------- */

/* Store key: /registry/<plural>/<ns>/<name> or /registry/<plural>/<name>. */
int apisrv_key(const apisrv_resource_t *r, const char *ns, const char *name, char *buf,
               size_t len);
/* Prefix for a list: /registry/<plural>/[<ns>/] */
int apisrv_key_prefix(const apisrv_resource_t *r, const char *ns, char *buf, size_t len);
/* Serialise for the store: metadata first, resourceVersion removed. */
char *apisrv_obj_encode(cJSON *obj, size_t *len);
/* The same text, APISRV_OBJ_ROOM bytes into the returned allocation: room
 * for apisrv_obj_serve_in_place to turn it into what a client is sent
 * without another allocation or copy (the create path). */
#define APISRV_OBJ_ROOM 48
char *apisrv_obj_encode_room(cJSON *obj, size_t *len);
/* buf from apisrv_obj_encode_room (text of len bytes at buf + ROOM): now
 * holds, from buf[0], the served text with resourceVersion rv, as
 * apisrv_obj_emit writes it; returns its length. */
size_t apisrv_obj_serve_in_place(char *buf, size_t len, int64_t rv);
/* Append the stored value with metadata.resourceVersion = rv. */
void apisrv_obj_emit(skiff_api_buf_t *b, const char *val, size_t len, int64_t rv);
/* Parse a stored value and set its resourceVersion. NULL on failure. */
cJSON *apisrv_obj_decode(const char *val, size_t len, int64_t rv);
void apisrv_format_time(int64_t ns, char *buf, size_t len); /* RFC 3339, seconds */
int64_t apisrv_parse_time(const char *s);                    /* ns; 0 on failure */
void apisrv_new_uid(char out[37]);
void apisrv_human_age(int64_t seconds, char *buf, size_t len); /* "5m", "3d4h" */
const char *apisrv_str(const cJSON *obj, const char *path); /* dotted path; NULL if absent */
cJSON *apisrv_obj_at(cJSON *obj, const char *key);          /* get-or-create child object */

/* ---- store.c: helpers over skiff_store_ops_t ------------------------------ */

typedef struct apisrv_kv {
    char *value; /* malloc'd */
    size_t len;
    int64_t mod_rev;
} apisrv_kv_t;
int apisrv_store_get(skiff_api_server_t *s, const char *key, apisrv_kv_t *out,
                     skiff_error_t *err); /* SKIFF_E_NOTFOUND when absent */

/* ---- the server -------------------------------------------------------------- */

typedef struct apisrv_metrics apisrv_metrics_t;

struct skiff_api_server {
    const skiff_store_ops_t *ops;
    void *store;
    char listen[128];
    uint32_t svc_base, svc_size;   /* service CIDR (host order) */
    int np_lo, np_hi;
    int bookmark_ms;
    void *httpd;                   /* struct MHD_Daemon */
    int port;
    apisrv_metrics_t *metrics;
    pthread_mutex_t alloc_mu;      /* ClusterIP / NodePort allocation cursor */
    uint32_t svc_next;
    int np_next;
    pthread_mutex_t watch_mu;      /* list of live watches (ended at free) */
    skiff_api_stream_t *watches;  /* live watch streams */
    struct skiff_fanout *fanouts[64]; /* watch cache, by resource index (NULL = direct) */
    struct apisrv_cache *caches[64];  /* list cache on the same fan-out (cache.c) */
    struct apisrv_hub *hubs[64];      /* shared watch logs on the same fan-outs (watch_hub.c; watch_mu) */
    struct apisrv_pusher *pusher;     /* epoll writer of hub watches over HTTP (watch_push.c) */
    unsigned hub_cap;                 /* events a hub keeps (the watch window, at least 1024) */
    int64_t last_write[64];           /* revision of the last write acknowledged, by resource */
    unsigned long long cache_hits, cache_misses; /* lists served from the cache / sent to the store */
    int64_t event_ttl_ms;             /* events expire this long after their last write (0 = never) */
    int64_t event_lease, event_lease_until; /* shared lease of events written now (alloc_mu) */
    int stopping;
    struct skiff_adm_chain *admission; /* borrowed; NULL = no admission (admission.c) */
    /* authentication and authorization (authn.c, authz.c, rbac.c) */
    struct apisrv_tokens *tokens;     /* bearer tokens; NULL = none */
    int anonymous;                    /* requests without a token are system:anonymous */
    int modes[4], nmodes;             /* APISRV_AUTHZ_* in order; none = AlwaysAllow */
    int rbac_idx[4];                  /* resource index of roles, clusterroles, rolebindings, clusterrolebindings */
    struct apisrv_rbac *rbac;         /* the RBAC index when RBAC is a mode */
    char *tls_cert, *tls_key;         /* PEM; NULL = plain HTTP (httpd.c) */
    struct apisrv_jwt_key *sa_key;    /* signs service-account tokens (satoken.c); NULL until made or loaded */
    char *sa_key_file;                /* where sa_key is kept; NULL = memory only */
    struct apisrv_rbac_agg *rbac_agg; /* the ClusterRole aggregation worker (rbac_aggregate.c) */
};

/* kinds.c: parse service_cidr / node_port_range into s */
int apisrv_service_ranges(skiff_api_server_t *s, const char *cidr, const char *ports,
                          skiff_error_t *err);
/* admission.c: run the admission chain for this call (op: SKIFF_ADM_*);
 * obj may be changed by mutating plugins. Returns 0 = go on, -1 = refused
 * (Status set: 403 Forbidden or 500 InternalError). */
int apisrv_admit(apisrv_call_t *c, int op, cJSON *obj, const cJSON *old);
/* The same for an object of another kind than the resource's (a pods/binding
 * create admits the Binding, as kube-apiserver). */
int apisrv_admit_kind(apisrv_call_t *c, int op, const char *kind, cJSON *obj, const cJSON *old);
/* cache.c: the list cache of one resource (see cache.c for consistency) */
typedef struct apisrv_cache apisrv_cache_t;
struct skiff_bus;
struct skiff_fanout;
int apisrv_cache_new(skiff_api_server_t *s, struct skiff_bus *bus, const char *prefix,
                     unsigned window, apisrv_cache_t **out, struct skiff_fanout **fanout,
                     skiff_error_t *err);
void apisrv_cache_free(apisrv_cache_t *c);
/* Entries under prefix in key order once the cache is at >= min_rev (waits
 * up to wait_ms). 0 = served (res filled), 1 = not usable: read the store. */
int apisrv_cache_list(apisrv_cache_t *c, const char *prefix, int64_t min_rev, int wait_ms,
                      int64_t limit, skiff_store_kv_cb cb, void *ud, skiff_store_range_res_t *res);
void apisrv_note_write(skiff_api_server_t *s, const apisrv_resource_t *r, int64_t rev);
/* The store lease a write of this resource attaches (events expire, as
 * kube-apiserver's --event-ttl); 0 = none. */
int64_t apisrv_write_lease(apisrv_call_t *c);
/* handlers.c */
int apisrv_handle_resource(apisrv_call_t *c);
/* discovery.c / openapi.c / metrics.c */
int apisrv_handle_discovery(apisrv_call_t *c, char **segs, int nseg);
int apisrv_handle_openapi(apisrv_call_t *c, char **segs, int nseg);
int apisrv_metrics_new(apisrv_metrics_t **out);
void apisrv_metrics_free(apisrv_metrics_t *m);
void apisrv_metrics_observe(apisrv_metrics_t *m, const apisrv_resource_t *r, int verb,
                            int code, int64_t ns);
int apisrv_handle_metrics(apisrv_call_t *c);
/* watch.c */
int apisrv_handle_watch(apisrv_call_t *c, const char *prefix, int64_t start_rev);
void apisrv_watch_stop_all(skiff_api_server_t *s);
/* table.c: Table for a list of objects (each borrowed); rv for metadata. */
cJSON *apisrv_table_new(const apisrv_call_t *c, int with_columns);
int apisrv_table_add(const apisrv_call_t *c, cJSON *table, cJSON *obj); /* takes obj */
enum { APISRV_INCLUDE_METADATA, APISRV_INCLUDE_OBJECT, APISRV_INCLUDE_NONE };
int apisrv_include_mode(const apisrv_call_t *c);
/* One Table row for obj (taken) with the resource's cells. */
cJSON *apisrv_table_row(const apisrv_resource_t *r, cJSON *obj, int include, int64_t now);
void apisrv_default_cells(const cJSON *obj, cJSON *cells, int64_t now);
/* selector glue (select.c) */
typedef struct apisrv_filter apisrv_filter_t;
int apisrv_filter_new(apisrv_call_t *c, apisrv_filter_t **out); /* fails the call on bad input */
int apisrv_filter_match(const apisrv_filter_t *f, const apisrv_resource_t *r, const cJSON *obj);
int apisrv_filter_empty(const apisrv_filter_t *f);
void apisrv_filter_free(apisrv_filter_t *f);

#endif
