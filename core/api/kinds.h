/* core/api/kinds — per-kind behaviour the resource table points at:
 * table columns/cells (table.c) and defaults/validation (kinds.c). */
#ifndef SKIFF_CORE_API_KINDS_H
#define SKIFF_CORE_API_KINDS_H

#include "api/internal.h"

#define APISRV_KIND_COLUMNS(k)                                    \
    extern const apisrv_column_t apisrv_cols_##k[];               \
    void apisrv_cells_##k(const cJSON *obj, cJSON *cells, int64_t now);

APISRV_KIND_COLUMNS(pod)
APISRV_KIND_COLUMNS(node)
APISRV_KIND_COLUMNS(namespace)
APISRV_KIND_COLUMNS(service)
APISRV_KIND_COLUMNS(endpoints)
APISRV_KIND_COLUMNS(configmap)
APISRV_KIND_COLUMNS(secret)
APISRV_KIND_COLUMNS(event)
APISRV_KIND_COLUMNS(serviceaccount)
APISRV_KIND_COLUMNS(deployment)
APISRV_KIND_COLUMNS(replicaset)
APISRV_KIND_COLUMNS(daemonset)
APISRV_KIND_COLUMNS(lease)
APISRV_KIND_COLUMNS(controllerrevision)
APISRV_KIND_COLUMNS(endpointslice)
APISRV_KIND_COLUMNS(created)
APISRV_KIND_COLUMNS(priorityclass)
APISRV_KIND_COLUMNS(rbac_binding)
APISRV_KIND_COLUMNS(pdb)

int apisrv_prepare_pod(apisrv_call_t *c, cJSON *obj, const cJSON *old, apisrv_invalid_t *inv);
int apisrv_prepare_service(apisrv_call_t *c, cJSON *obj, const cJSON *old, apisrv_invalid_t *inv);
int apisrv_prepare_workload(apisrv_call_t *c, cJSON *obj, const cJSON *old, apisrv_invalid_t *inv);
int apisrv_prepare_namespace(apisrv_call_t *c, cJSON *obj, const cJSON *old, apisrv_invalid_t *inv);
int apisrv_prepare_node(apisrv_call_t *c, cJSON *obj, const cJSON *old, apisrv_invalid_t *inv);
int apisrv_prepare_controllerrevision(apisrv_call_t *c, cJSON *obj, const cJSON *old, apisrv_invalid_t *inv);
int apisrv_prepare_configmap(apisrv_call_t *c, cJSON *obj, const cJSON *old, apisrv_invalid_t *inv);
int apisrv_prepare_secret(apisrv_call_t *c, cJSON *obj, const cJSON *old, apisrv_invalid_t *inv);
int apisrv_prepare_event(apisrv_call_t *c, cJSON *obj, const cJSON *old, apisrv_invalid_t *inv);
void apisrv_release_service(apisrv_call_t *c, const cJSON *obj);
/* kinds_rbac.c: Role/ClusterRole rules, RoleBinding/ClusterRoleBinding roleRef and subjects */
int apisrv_prepare_rbac_role(apisrv_call_t *c, cJSON *obj, const cJSON *old, apisrv_invalid_t *inv);
int apisrv_prepare_rbac_binding(apisrv_call_t *c, cJSON *obj, const cJSON *old, apisrv_invalid_t *inv);
/* kinds_policy.c: policy/v1 PodDisruptionBudget */
int apisrv_prepare_pdb(apisrv_call_t *c, cJSON *obj, const cJSON *old, apisrv_invalid_t *inv);
/* reviews.c: the create-only virtual kinds */
int apisrv_handle_ssar(apisrv_call_t *c); /* authorization.k8s.io SelfSubjectAccessReview */
int apisrv_handle_ssr(apisrv_call_t *c);  /* authentication.k8s.io SelfSubjectReview */
int apisrv_handle_ssrr(apisrv_call_t *c); /* authorization.k8s.io SelfSubjectRulesReview */
int apisrv_handle_sar(apisrv_call_t *c);  /* authorization.k8s.io SubjectAccessReview */
int apisrv_handle_lsar(apisrv_call_t *c); /* authorization.k8s.io LocalSubjectAccessReview */

#endif
