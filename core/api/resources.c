/* core/api/resources — the resource table. A new kind is one entry here plus
 * (optionally) its defaults/validation in kinds.c and columns in table.c. */
#include <stdio.h>
#include <string.h>

#include "api/kinds.h"
#include "api/priority.h"
#include "api/satoken.h"

#define COLS(k) .columns = apisrv_cols_##k, .cells = apisrv_cells_##k

const apisrv_resource_t apisrv_resources[] = {
    { "", "v1", "namespaces", "namespace", "Namespace", 0, { "ns" }, 0,
      APISRV_SUB_STATUS | APISRV_SUB_FINALIZE, 0, 1, COLS(namespace), .prepare = apisrv_prepare_namespace },
    { "", "v1", "pods", "pod", "Pod", 1, { "po" }, 1,
      APISRV_SUB_STATUS | APISRV_SUB_BINDING | APISRV_SUB_EVICTION | APISRV_SUB_LOG | APISRV_SUB_EXEC,
      1, 0, COLS(pod), .prepare = apisrv_prepare_pod },
    { "", "v1", "nodes", "node", "Node", 0, { "no" }, 0, APISRV_SUB_STATUS, 0, 0, COLS(node),
      .prepare = apisrv_prepare_node },
    { "", "v1", "services", "service", "Service", 1, { "svc" }, 1, APISRV_SUB_STATUS, 0, 1,
      COLS(service), .prepare = apisrv_prepare_service, .on_delete = apisrv_release_service },
    { "", "v1", "endpoints", "endpoints", "Endpoints", 1, { "ep" }, 0, 0, 0, 0, COLS(endpoints) },
    { "", "v1", "configmaps", "configmap", "ConfigMap", 1, { "cm" }, 0, 0, 0, 0, COLS(configmap),
      .prepare = apisrv_prepare_configmap },
    { "", "v1", "secrets", "secret", "Secret", 1, { NULL }, 0, 0, 0, 0, COLS(secret),
      .prepare = apisrv_prepare_secret },
    { "", "v1", "events", "event", "Event", 1, { "ev" }, 0, 0, 0, 0, COLS(event),
      .prepare = apisrv_prepare_event },
    { "", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", 1, { "sa" }, 0, APISRV_SUB_TOKEN, 0, 0,
      COLS(serviceaccount) },
    { "", "v1", "limitranges", "limitrange", "LimitRange", 1, { "limits" }, 0, 0, 0, 0, COLS(created) },
    { "", "v1", "resourcequotas", "resourcequota", "ResourceQuota", 1, { "quota" }, 0,
      APISRV_SUB_STATUS, 0, 0, COLS(created) },
    { "apps", "v1", "deployments", "deployment", "Deployment", 1, { "deploy" }, 1,
      APISRV_SUB_STATUS | APISRV_SUB_SCALE, 1, 0, COLS(deployment), .prepare = apisrv_prepare_workload },
    { "apps", "v1", "replicasets", "replicaset", "ReplicaSet", 1, { "rs" }, 1,
      APISRV_SUB_STATUS | APISRV_SUB_SCALE, 1, 0, COLS(replicaset), .prepare = apisrv_prepare_workload },
    { "apps", "v1", "daemonsets", "daemonset", "DaemonSet", 1, { "ds" }, 1, APISRV_SUB_STATUS, 1, 0,
      COLS(daemonset), .prepare = apisrv_prepare_workload },
    { "apps", "v1", "controllerrevisions", "controllerrevision", "ControllerRevision", 1, { NULL }, 0, 0, 0, 0,
      COLS(controllerrevision), .prepare = apisrv_prepare_controllerrevision },
    { "coordination.k8s.io", "v1", "leases", "lease", "Lease", 1, { NULL }, 0, 0, 0, 0, COLS(lease) },
    { "discovery.k8s.io", "v1", "endpointslices", "endpointslice", "EndpointSlice", 1, { NULL }, 0,
      0, 0, 0, COLS(endpointslice) },
    { "scheduling.k8s.io", "v1", "priorityclasses", "priorityclass", "PriorityClass", 0, { "pc" }, 0,
      0, 0, 0, COLS(priorityclass), .prepare = apisrv_prepare_priorityclass },
    /* status: the disruption controller's and the eviction subresource's */
    { "policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", 1, { "pdb" }, 0,
      APISRV_SUB_STATUS, 1, 0, COLS(pdb), .prepare = apisrv_prepare_pdb },
    /* read by admission/webhook through the in-process client */
    { "admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations",
      "mutatingwebhookconfiguration", "MutatingWebhookConfiguration", 0, { NULL }, 0, 0, 0, 0, COLS(created) },
    { "admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations",
      "validatingwebhookconfiguration", "ValidatingWebhookConfiguration", 0, { NULL }, 0, 0, 0, 0, COLS(created) },
    /* RBAC (core/api/rbac.h): evaluated from an in-memory index */
    { "rbac.authorization.k8s.io", "v1", "roles", "role", "Role", 1, { NULL }, 0, 0, 0, 0, COLS(created),
      .prepare = apisrv_prepare_rbac_role },
    { "rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", 0, { NULL }, 0, 0, 0, 0,
      COLS(created), .prepare = apisrv_prepare_rbac_role },
    { "rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", 1, { NULL }, 0, 0, 0, 0,
      COLS(rbac_binding), .prepare = apisrv_prepare_rbac_binding },
    { "rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", 0,
      { NULL }, 0, 0, 0, 0, COLS(rbac_binding), .prepare = apisrv_prepare_rbac_binding },
    /* create-only reviews (kubectl auth can-i / whoami); nothing is stored */
    { "authorization.k8s.io", "v1", "selfsubjectaccessreviews", "", "SelfSubjectAccessReview", 0, { NULL }, 0,
      0, 0, 0, NULL, NULL, .handle = apisrv_handle_ssar },
    { "authorization.k8s.io", "v1", "selfsubjectrulesreviews", "", "SelfSubjectRulesReview", 0, { NULL }, 0,
      0, 0, 0, NULL, NULL, .handle = apisrv_handle_ssrr },
    { "authentication.k8s.io", "v1", "selfsubjectreviews", "", "SelfSubjectReview", 0, { NULL }, 0,
      0, 0, 0, NULL, NULL, .handle = apisrv_handle_ssr },
    { "authorization.k8s.io", "v1", "subjectaccessreviews", "", "SubjectAccessReview", 0, { NULL }, 0,
      0, 0, 0, NULL, NULL, .handle = apisrv_handle_sar },
    { "authorization.k8s.io", "v1", "localsubjectaccessreviews", "", "LocalSubjectAccessReview", 1, { NULL }, 0,
      0, 0, 0, NULL, NULL, .handle = apisrv_handle_lsar },
    { "authentication.k8s.io", "v1", "tokenreviews", "", "TokenReview", 0, { NULL }, 0,
      0, 0, 0, NULL, NULL, .handle = apisrv_handle_token_review },
};
const size_t apisrv_nresources = sizeof apisrv_resources / sizeof apisrv_resources[0];

const apisrv_resource_t *apisrv_resource_find(const char *group, const char *version,
                                              const char *plural)
{
    for (size_t i = 0; i < apisrv_nresources; i++) {
        const apisrv_resource_t *r = &apisrv_resources[i];
        if (strcmp(r->group, group) == 0 && (!version || strcmp(r->version, version) == 0)
            && strcmp(r->plural, plural) == 0)
            return r;
    }
    return NULL;
}

const apisrv_resource_t *apisrv_resource_by_kind(const char *group, const char *kind)
{
    for (size_t i = 0; i < apisrv_nresources; i++)
        if (strcmp(apisrv_resources[i].group, group) == 0 && strcmp(apisrv_resources[i].kind, kind) == 0)
            return &apisrv_resources[i];
    return NULL;
}

size_t apisrv_resource_index(const apisrv_resource_t *r)
{
    return r ? (size_t)(r - apisrv_resources) : apisrv_nresources;
}

void apisrv_resource_qualified(const apisrv_resource_t *r, char *buf, size_t len)
{
    if (*r->group) snprintf(buf, len, "%s.%s", r->plural, r->group);
    else snprintf(buf, len, "%s", r->plural);
}

void apisrv_resource_api_version(const apisrv_resource_t *r, char *buf, size_t len)
{
    /* every create and update asks: copied, not printed */
    size_t g = strlen(r->group), v = strlen(r->version);
    if (g + 1 + v < len) {
        if (g) { memcpy(buf, r->group, g); buf[g++] = '/'; }
        memcpy(buf + g, r->version, v + 1);
        return;
    }
    if (*r->group) snprintf(buf, len, "%s/%s", r->group, r->version);
    else snprintf(buf, len, "%s", r->version);
}
