/* core/api/rbac_bootstrap — the default ClusterRoles and
 * ClusterRoleBindings kube-apiserver creates at start
 * (plugin/pkg/auth/authorizer/rbac/bootstrappolicy), so the names users
 * bind to exist: cluster-admin, admin, edit, view, and what every
 * authenticated user may do (discovery, can-i, whoami). admin, edit and
 * view aggregate as Kubernetes' do (system:aggregate-to-{admin,edit,view},
 * view into edit into admin; rbac_aggregate.c keeps them current), for the
 * resources this server serves and the common ones it does not. Created
 * through the server itself, only when missing: a user's changes survive
 * restarts. */
#include <stdio.h>
#include <string.h>

#include "api/authz.h"
#include "log/log.h"

#define META(name) "\"metadata\":{\"name\":\"" name "\",\"labels\":{\"kubernetes.io/bootstrapping\":\"rbac-defaults\"}," \
                   "\"annotations\":{\"rbac.authorization.kubernetes.io/autoupdate\":\"true\"}}"
#define CR(name, rules) "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRole\"," META(name) ",\"rules\":[" rules "]}"
#define CRB(name, role, subjects) "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRoleBinding\"," META(name) \
    ",\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"" role "\"},\"subjects\":[" subjects "]}"
/* kube's aggregated roles: `labels` extra labels (JSON members, leading
 * comma), aggregating ClusterRoles labelled rbac.authorization.k8s.io/<to>:
 * "true"; their rules are written out too, as the aggregation would make
 * them, so the role grants from its first moment */
#define AGG_LABEL(to) "\"rbac.authorization.k8s.io/" to "\":\"true\""
#define CR_AGG(name, labels, to, rules) "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRole\"," \
    "\"metadata\":{\"name\":\"" name "\",\"labels\":{\"kubernetes.io/bootstrapping\":\"rbac-defaults\"" labels "}," \
    "\"annotations\":{\"rbac.authorization.kubernetes.io/autoupdate\":\"true\"}}," \
    "\"aggregationRule\":{\"clusterRoleSelectors\":[{\"matchLabels\":{" AGG_LABEL(to) "}}]},\"rules\":[" rules "]}"
#define CR_TO(name, to, rules) "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRole\"," \
    "\"metadata\":{\"name\":\"" name "\",\"labels\":{\"kubernetes.io/bootstrapping\":\"rbac-defaults\"," AGG_LABEL(to) "}," \
    "\"annotations\":{\"rbac.authorization.kubernetes.io/autoupdate\":\"true\"}},\"rules\":[" rules "]}"
#define GROUP(n) "{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Group\",\"name\":\"" n "\"}"

#define READ "\"verbs\":[\"get\",\"list\",\"watch\"]"
#define WRITE "\"verbs\":[\"create\",\"delete\",\"deletecollection\",\"patch\",\"update\"]"

/* what `view` reads (no secrets, no RBAC objects) */
#define VIEW_RULES \
    "{\"apiGroups\":[\"\"],\"resources\":[\"configmaps\",\"endpoints\",\"persistentvolumeclaims\",\"persistentvolumeclaims/status\"," \
    "\"pods\",\"replicationcontrollers\",\"replicationcontrollers/scale\",\"serviceaccounts\",\"services\",\"services/status\"]," READ "}," \
    "{\"apiGroups\":[\"\"],\"resources\":[\"bindings\",\"events\",\"limitranges\",\"namespaces/status\",\"pods/log\",\"pods/status\"," \
    "\"replicationcontrollers/status\",\"resourcequotas\",\"resourcequotas/status\"]," READ "}," \
    "{\"apiGroups\":[\"\"],\"resources\":[\"namespaces\"]," READ "}," \
    "{\"apiGroups\":[\"discovery.k8s.io\"],\"resources\":[\"endpointslices\"]," READ "}," \
    "{\"apiGroups\":[\"apps\"],\"resources\":[\"controllerrevisions\",\"daemonsets\",\"daemonsets/status\",\"deployments\"," \
    "\"deployments/scale\",\"deployments/status\",\"replicasets\",\"replicasets/scale\",\"replicasets/status\",\"statefulsets\"," \
    "\"statefulsets/scale\",\"statefulsets/status\"]," READ "}," \
    "{\"apiGroups\":[\"autoscaling\"],\"resources\":[\"horizontalpodautoscalers\",\"horizontalpodautoscalers/status\"]," READ "}," \
    "{\"apiGroups\":[\"batch\"],\"resources\":[\"cronjobs\",\"cronjobs/status\",\"jobs\",\"jobs/status\"]," READ "}," \
    "{\"apiGroups\":[\"policy\"],\"resources\":[\"poddisruptionbudgets\",\"poddisruptionbudgets/status\"]," READ "}," \
    "{\"apiGroups\":[\"networking.k8s.io\"],\"resources\":[\"ingresses\",\"ingresses/status\",\"networkpolicies\"]," READ "}"

/* what `edit` writes on top (secrets readable too) */
#define EDIT_RULES \
    "{\"apiGroups\":[\"\"],\"resources\":[\"pods/attach\",\"pods/exec\",\"pods/portforward\",\"pods/proxy\",\"secrets\",\"services/proxy\"]," READ "}," \
    "{\"apiGroups\":[\"\"],\"resources\":[\"serviceaccounts\"],\"verbs\":[\"impersonate\"]}," \
    "{\"apiGroups\":[\"\"],\"resources\":[\"pods\",\"pods/attach\",\"pods/exec\",\"pods/portforward\",\"pods/proxy\"]," WRITE "}," \
    "{\"apiGroups\":[\"\"],\"resources\":[\"pods/eviction\"],\"verbs\":[\"create\"]}," \
    "{\"apiGroups\":[\"\"],\"resources\":[\"configmaps\",\"events\",\"persistentvolumeclaims\",\"replicationcontrollers\"," \
    "\"replicationcontrollers/scale\",\"secrets\",\"serviceaccounts\",\"services\",\"services/proxy\"]," WRITE "}," \
    "{\"apiGroups\":[\"\"],\"resources\":[\"serviceaccounts/token\"],\"verbs\":[\"create\"]}," \
    "{\"apiGroups\":[\"apps\"],\"resources\":[\"daemonsets\",\"deployments\",\"deployments/rollback\",\"deployments/scale\"," \
    "\"replicasets\",\"replicasets/scale\",\"statefulsets\",\"statefulsets/scale\"]," WRITE "}," \
    "{\"apiGroups\":[\"autoscaling\"],\"resources\":[\"horizontalpodautoscalers\"]," WRITE "}," \
    "{\"apiGroups\":[\"batch\"],\"resources\":[\"cronjobs\",\"jobs\"]," WRITE "}," \
    "{\"apiGroups\":[\"policy\"],\"resources\":[\"poddisruptionbudgets\"]," WRITE "}," \
    "{\"apiGroups\":[\"networking.k8s.io\"],\"resources\":[\"ingresses\",\"networkpolicies\"]," WRITE "}," \
    "{\"apiGroups\":[\"coordination.k8s.io\"],\"resources\":[\"leases\"]," READ "}," \
    "{\"apiGroups\":[\"coordination.k8s.io\"],\"resources\":[\"leases\"]," WRITE "}"

/* what `admin` adds: the namespace's own RBAC */
#define ADMIN_RULES \
    "{\"apiGroups\":[\"rbac.authorization.k8s.io\"],\"resources\":[\"rolebindings\",\"roles\"]," READ "}," \
    "{\"apiGroups\":[\"rbac.authorization.k8s.io\"],\"resources\":[\"rolebindings\",\"roles\"]," WRITE "}," \
    "{\"apiGroups\":[\"authorization.k8s.io\"],\"resources\":[\"localsubjectaccessreviews\"],\"verbs\":[\"create\"]}"

static const char *const cluster_roles[] = {
    CR("cluster-admin", "{\"apiGroups\":[\"*\"],\"resources\":[\"*\"],\"verbs\":[\"*\"]},"
                        "{\"nonResourceURLs\":[\"*\"],\"verbs\":[\"*\"]}"),
    /* the aggregation sources first, so the aggregated roles match them at once */
    CR_TO("system:aggregate-to-admin", "aggregate-to-admin", ADMIN_RULES),
    CR_TO("system:aggregate-to-edit", "aggregate-to-edit", EDIT_RULES),
    CR_TO("system:aggregate-to-view", "aggregate-to-view", VIEW_RULES),
    CR_AGG("admin", "", "aggregate-to-admin", EDIT_RULES "," VIEW_RULES "," ADMIN_RULES),
    CR_AGG("edit", "," AGG_LABEL("aggregate-to-admin"), "aggregate-to-edit", EDIT_RULES "," VIEW_RULES),
    CR_AGG("view", "," AGG_LABEL("aggregate-to-edit"), "aggregate-to-view", VIEW_RULES),
    CR("system:discovery", "{\"nonResourceURLs\":[\"/api\",\"/api/*\",\"/apis\",\"/apis/*\",\"/healthz\",\"/livez\",\"/openapi\","
                           "\"/openapi/*\",\"/readyz\",\"/version\",\"/version/\"],\"verbs\":[\"get\"]}"),
    CR("system:basic-user", "{\"apiGroups\":[\"authorization.k8s.io\"],\"resources\":[\"selfsubjectaccessreviews\","
                            "\"selfsubjectrulesreviews\"],\"verbs\":[\"create\"]},"
                            "{\"apiGroups\":[\"authentication.k8s.io\"],\"resources\":[\"selfsubjectreviews\"],\"verbs\":[\"create\"]}"),
    CR("system:auth-delegator", "{\"apiGroups\":[\"authentication.k8s.io\"],\"resources\":[\"tokenreviews\"],\"verbs\":[\"create\"]},"
                                "{\"apiGroups\":[\"authorization.k8s.io\"],\"resources\":[\"subjectaccessreviews\"],\"verbs\":[\"create\"]}"),
    CR("system:service-account-issuer-discovery",
       "{\"nonResourceURLs\":[\"/.well-known/openid-configuration\",\"/.well-known/openid-configuration/\","
       "\"/openid/v1/jwks\",\"/openid/v1/jwks/\"],\"verbs\":[\"get\"]}"),
    CR("system:public-info-viewer", "{\"nonResourceURLs\":[\"/healthz\",\"/livez\",\"/readyz\",\"/version\",\"/version/\"],"
                                    "\"verbs\":[\"get\"]}"),
};

static const char *const cluster_role_bindings[] = {
    CRB("cluster-admin", "cluster-admin", GROUP("system:masters")),
    CRB("system:discovery", "system:discovery", GROUP("system:authenticated")),
    CRB("system:basic-user", "system:basic-user", GROUP("system:authenticated")),
    CRB("system:service-account-issuer-discovery", "system:service-account-issuer-discovery", GROUP("system:serviceaccounts")),
    CRB("system:public-info-viewer", "system:public-info-viewer", GROUP("system:authenticated") "," GROUP("system:unauthenticated")),
};

static void create(skiff_api_server_t *s, const char *path, const char *body)
{
    skiff_api_request_t rq = { .method = "POST", .path = path, .body = body, .body_len = strlen(body) };
    skiff_api_response_t rs;
    skiff_api_server_handle(s, &rq, &rs);
    if (rs.code != 201 && rs.code != 409)
        skiff_log(SKIFF_LOG_WARN, "apiserver", "rbac bootstrap: %s: %d %.*s", path, rs.code, (int)rs.body_len, rs.body ? rs.body : "");
    skiff_api_response_free(&rs);
}

void skiff_api_server_bootstrap_rbac(skiff_api_server_t *s)
{
    for (size_t i = 0; i < sizeof cluster_roles / sizeof cluster_roles[0]; i++)
        create(s, "/apis/rbac.authorization.k8s.io/v1/clusterroles", cluster_roles[i]);
    for (size_t i = 0; i < sizeof cluster_role_bindings / sizeof cluster_role_bindings[0]; i++)
        create(s, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", cluster_role_bindings[i]);
    if (apisrv_rbac_aggregate_start(s) < 0)
        skiff_log(SKIFF_LOG_ERROR, "apiserver", "cannot start ClusterRole aggregation; aggregationRules are not applied");
}
