/* core/api/authz — the API server's side of auth.h: the request-entry hook
 * (authenticate, then authorize each routed request) and the bootstrap
 * RBAC policy. Internal to core/api. */
#ifndef SKIFF_CORE_API_AUTHZ_H
#define SKIFF_CORE_API_AUTHZ_H

#include "api/auth.h"
#include "api/internal.h"
#include "api/rbac.h"

typedef struct apisrv_tokens apisrv_tokens_t;
void apisrv_tokens_free(apisrv_tokens_t *ts);
size_t apisrv_tokens_count(const apisrv_tokens_t *ts);

enum { APISRV_AUTHZ_ALWAYS_ALLOW = 1, APISRV_AUTHZ_ALWAYS_DENY, APISRV_AUTHZ_RBAC };

/* Read the auth settings of cfg into s (token file, anonymous, modes) and
 * start the RBAC index when RBAC is on. Errors name the setting. */
int apisrv_auth_init(skiff_api_server_t *s, const skiff_api_config_t *cfg, skiff_error_t *err);
void apisrv_auth_fini(skiff_api_server_t *s);

/* The user of an HTTP request from its Authorization header; 0 with *out
 * set, or -1: answer 401 Unauthorized. */
int apisrv_authenticate(skiff_api_server_t *s, const char *header, const skiff_api_user_t **out);
/* The whole chain for an HTTP request, as kube's union authenticator: the
 * token file, then service-account tokens (satoken.c), then anonymous.
 * 0 with c->user set, or -1: answer 401. */
int apisrv_authenticate_call(apisrv_call_t *c);

/* kubectl --as / --as-group: when the request names someone to act as,
 * check that c->user may `impersonate` them (users, groups, or
 * serviceaccounts in their namespace) and make c->user that identity.
 * 0 = go on, -1 = refused (Status set: 403, or 400 for malformed headers). */
int apisrv_impersonate(apisrv_call_t *c);

/* Decide c (routed: res/ns/name/sub/verb set for resource requests; path
 * for the rest). 0 = go on; -1 = refused, 403 Status set. */
int apisrv_authorize_resource(apisrv_call_t *c);
int apisrv_authorize_path(apisrv_call_t *c);
/* Decide a request the server cannot route (an unknown group, version,
 * resource or subresource, a method the resource does not serve) on what
 * its path says, as kube does: it authorizes before it routes, so only a
 * caller allowed to ask learns 404/405. segs: the whole path. 0 = go on to
 * the 404/405; -1 = refused, 403 Status set. */
int apisrv_authorize_unrouted(apisrv_call_t *c, char **segs, int nseg);
/* The rules a user has in a namespace, as SelfSubjectRulesReview's status
 * (resourceRules, nonResourceRules, incomplete, evaluationError) added
 * to st. */
void apisrv_rules_review(skiff_api_server_t *s, const apisrv_authz_attrs_t *a, cJSON *st);

/* The decision for arbitrary attributes (SelfSubjectAccessReview): 1
 * allowed, 0 not. */
int apisrv_authorize_attrs(skiff_api_server_t *s, const apisrv_authz_attrs_t *a);
/* The same with kube's reason for an allow by RBAC (`RBAC: allowed by
 * ClusterRoleBinding ...`) written to reason ("" otherwise): the answer of
 * the access reviews. */
int apisrv_authorize_explain(skiff_api_server_t *s, const apisrv_authz_attrs_t *a, char *reason, size_t len);

/* Escalation prevention on RBAC writes (rbac_escalate.c), called from the
 * kinds' prepare hooks with the object about to be stored (and the stored
 * one on an update: changing only ownerReferences/finalizers is never
 * checked, as kube's IsOnlyMutatingGCFields): 0 = allowed;
 * -1 = refused with c's Status set (403 with kube's "attempting to grant
 * RBAC permissions not currently held" message; 404 when a binding's role
 * does not exist and the user may not `bind` it). */
/* ClusterRole aggregation (rbac_aggregate.c), kube's
 * clusterrole-aggregation controller inside the server: started by
 * skiff_api_server_bootstrap_rbac, stopped first thing when the server is
 * freed (it writes through the server). */
typedef struct apisrv_rbac_agg apisrv_rbac_agg_t;
int apisrv_rbac_aggregate_start(skiff_api_server_t *s);
void apisrv_rbac_aggregate_stop(skiff_api_server_t *s);

int apisrv_rbac_check_role_write(apisrv_call_t *c, const cJSON *obj, const cJSON *old);
int apisrv_rbac_check_binding_write(apisrv_call_t *c, const cJSON *obj, const cJSON *old);

#endif
