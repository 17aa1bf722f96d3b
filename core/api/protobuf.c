/* Kubernetes protobuf objects -> cJSON; see protobuf.h. Field numbers are
 * those of k8s.io/api core/v1 and apps/v1 generated.proto and
 * k8s.io/apimachinery meta/v1 and util/intstr generated.proto. */
#include "api/protobuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/json_limits.h"
#include "api/protobuf_wire.h"

enum {
    PB_STR, PB_INT, PB_BOOL, PB_MSG, PB_INLINE, PB_MAP_SS, PB_MAP_SB, PB_MAP_SQ, PB_BYTES, PB_QTY, PB_IOS, PB_TIME,
    PB_FIELDSV1,
};
#define REP 1  /* repeated: a JSON array */
#define KEEP 2 /* a Go pointer field: kept even when zero/empty */

typedef struct pb_msg pb_msg_t;
typedef struct {
    uint32_t num;
    const char *name;
    uint8_t kind;
    uint8_t flags;
    const pb_msg_t *msg;
} pb_field_t;

struct pb_msg {
    const char *name;
    const pb_field_t *fields;
    size_t n;
};

#define MSG(var, nm, ...)                                                                      \
    static const pb_field_t var##_fields[] = { __VA_ARGS__ };                                  \
    static const pb_msg_t var = { nm, var##_fields, sizeof var##_fields / sizeof var##_fields[0] }

/* ---- meta/v1 ---- */
MSG(m_ownerref, "OwnerReference",
    { 1, "kind", PB_STR, 0, NULL }, { 3, "name", PB_STR, 0, NULL }, { 4, "uid", PB_STR, 0, NULL },
    { 5, "apiVersion", PB_STR, 0, NULL }, { 6, "controller", PB_BOOL, KEEP, NULL },
    { 7, "blockOwnerDeletion", PB_BOOL, KEEP, NULL });
MSG(m_mfentry, "ManagedFieldsEntry",
    { 1, "manager", PB_STR, 0, NULL }, { 2, "operation", PB_STR, 0, NULL }, { 3, "apiVersion", PB_STR, 0, NULL },
    { 4, "time", PB_TIME, 0, NULL }, { 6, "fieldsType", PB_STR, 0, NULL }, { 7, "fieldsV1", PB_FIELDSV1, 0, NULL },
    { 8, "subresource", PB_STR, 0, NULL });
MSG(m_objectmeta, "ObjectMeta",
    { 1, "name", PB_STR, 0, NULL }, { 2, "generateName", PB_STR, 0, NULL }, { 3, "namespace", PB_STR, 0, NULL },
    { 4, "selfLink", PB_STR, 0, NULL }, { 5, "uid", PB_STR, 0, NULL }, { 6, "resourceVersion", PB_STR, 0, NULL },
    { 7, "generation", PB_INT, 0, NULL }, { 8, "creationTimestamp", PB_TIME, 0, NULL },
    { 9, "deletionTimestamp", PB_TIME, 0, NULL }, { 10, "deletionGracePeriodSeconds", PB_INT, KEEP, NULL },
    { 11, "labels", PB_MAP_SS, 0, NULL }, { 12, "annotations", PB_MAP_SS, 0, NULL },
    { 13, "ownerReferences", PB_MSG, REP, &m_ownerref }, { 14, "finalizers", PB_STR, REP, NULL },
    { 17, "managedFields", PB_MSG, REP, &m_mfentry });
MSG(m_lsreq, "LabelSelectorRequirement",
    { 1, "key", PB_STR, 0, NULL }, { 2, "operator", PB_STR, 0, NULL }, { 3, "values", PB_STR, REP, NULL });
MSG(m_labelselector, "LabelSelector",
    { 1, "matchLabels", PB_MAP_SS, 0, NULL }, { 2, "matchExpressions", PB_MSG, REP, &m_lsreq });

/* ---- core/v1 building blocks ---- */
MSG(m_localref, "LocalObjectReference", { 1, "name", PB_STR, 0, NULL });
MSG(m_objref, "ObjectReference",
    { 1, "kind", PB_STR, 0, NULL }, { 2, "namespace", PB_STR, 0, NULL }, { 3, "name", PB_STR, 0, NULL },
    { 4, "uid", PB_STR, 0, NULL }, { 5, "apiVersion", PB_STR, 0, NULL }, { 6, "resourceVersion", PB_STR, 0, NULL },
    { 7, "fieldPath", PB_STR, 0, NULL });
MSG(m_fieldsel, "ObjectFieldSelector", { 1, "apiVersion", PB_STR, 0, NULL }, { 2, "fieldPath", PB_STR, 0, NULL });
MSG(m_resfieldsel, "ResourceFieldSelector",
    { 1, "containerName", PB_STR, 0, NULL }, { 2, "resource", PB_STR, 0, NULL }, { 3, "divisor", PB_QTY, 0, NULL });
MSG(m_keysel, "KeySelector",
    { 1, "localObjectReference", PB_INLINE, 0, &m_localref }, { 2, "key", PB_STR, 0, NULL },
    { 3, "optional", PB_BOOL, KEEP, NULL });
MSG(m_envsource, "EnvVarSource",
    { 1, "fieldRef", PB_MSG, KEEP, &m_fieldsel }, { 2, "resourceFieldRef", PB_MSG, KEEP, &m_resfieldsel },
    { 3, "configMapKeyRef", PB_MSG, KEEP, &m_keysel }, { 4, "secretKeyRef", PB_MSG, KEEP, &m_keysel });
MSG(m_envvar, "EnvVar",
    { 1, "name", PB_STR, 0, NULL }, { 2, "value", PB_STR, 0, NULL }, { 3, "valueFrom", PB_MSG, KEEP, &m_envsource });
MSG(m_envfromref, "EnvSource",
    { 1, "localObjectReference", PB_INLINE, 0, &m_localref }, { 2, "optional", PB_BOOL, KEEP, NULL });
MSG(m_envfrom, "EnvFromSource",
    { 1, "prefix", PB_STR, 0, NULL }, { 2, "configMapRef", PB_MSG, KEEP, &m_envfromref },
    { 3, "secretRef", PB_MSG, KEEP, &m_envfromref });
MSG(m_cport, "ContainerPort",
    { 1, "name", PB_STR, 0, NULL }, { 2, "hostPort", PB_INT, 0, NULL }, { 3, "containerPort", PB_INT, 0, NULL },
    { 4, "protocol", PB_STR, 0, NULL }, { 5, "hostIP", PB_STR, 0, NULL });
MSG(m_resources, "ResourceRequirements",
    { 1, "limits", PB_MAP_SQ, 0, NULL }, { 2, "requests", PB_MAP_SQ, 0, NULL });
MSG(m_vmount, "VolumeMount",
    { 1, "name", PB_STR, 0, NULL }, { 2, "readOnly", PB_BOOL, 0, NULL }, { 3, "mountPath", PB_STR, 0, NULL },
    { 4, "subPath", PB_STR, 0, NULL }, { 5, "mountPropagation", PB_STR, 0, NULL }, { 6, "subPathExpr", PB_STR, 0, NULL });
MSG(m_container, "Container",
    { 1, "name", PB_STR, 0, NULL }, { 2, "image", PB_STR, 0, NULL }, { 3, "command", PB_STR, REP, NULL },
    { 4, "args", PB_STR, REP, NULL }, { 5, "workingDir", PB_STR, 0, NULL }, { 6, "ports", PB_MSG, REP, &m_cport },
    { 7, "env", PB_MSG, REP, &m_envvar }, { 8, "resources", PB_MSG, 0, &m_resources },
    { 9, "volumeMounts", PB_MSG, REP, &m_vmount }, { 13, "terminationMessagePath", PB_STR, 0, NULL },
    { 14, "imagePullPolicy", PB_STR, 0, NULL }, { 16, "stdin", PB_BOOL, 0, NULL }, { 17, "stdinOnce", PB_BOOL, 0, NULL },
    { 18, "tty", PB_BOOL, 0, NULL }, { 19, "envFrom", PB_MSG, REP, &m_envfrom },
    { 20, "terminationMessagePolicy", PB_STR, 0, NULL }, { 24, "restartPolicy", PB_STR, 0, NULL });
MSG(m_keytopath, "KeyToPath",
    { 1, "key", PB_STR, 0, NULL }, { 2, "path", PB_STR, 0, NULL }, { 3, "mode", PB_INT, KEEP, NULL });
MSG(m_hostpath, "HostPathVolumeSource", { 1, "path", PB_STR, 0, NULL }, { 2, "type", PB_STR, 0, NULL });
MSG(m_emptydir, "EmptyDirVolumeSource", { 1, "medium", PB_STR, 0, NULL }, { 2, "sizeLimit", PB_QTY, KEEP, NULL });
MSG(m_secretvol, "SecretVolumeSource",
    { 1, "secretName", PB_STR, 0, NULL }, { 2, "items", PB_MSG, REP, &m_keytopath },
    { 3, "defaultMode", PB_INT, KEEP, NULL }, { 4, "optional", PB_BOOL, KEEP, NULL });
MSG(m_cmvol, "ConfigMapVolumeSource",
    { 1, "localObjectReference", PB_INLINE, 0, &m_localref }, { 2, "items", PB_MSG, REP, &m_keytopath },
    { 3, "defaultMode", PB_INT, KEEP, NULL }, { 4, "optional", PB_BOOL, KEEP, NULL });
MSG(m_pvcvol, "PersistentVolumeClaimVolumeSource",
    { 1, "claimName", PB_STR, 0, NULL }, { 2, "readOnly", PB_BOOL, 0, NULL });
MSG(m_volsource, "VolumeSource",
    { 1, "hostPath", PB_MSG, KEEP, &m_hostpath }, { 2, "emptyDir", PB_MSG, KEEP, &m_emptydir },
    { 6, "secret", PB_MSG, KEEP, &m_secretvol }, { 10, "persistentVolumeClaim", PB_MSG, KEEP, &m_pvcvol },
    { 19, "configMap", PB_MSG, KEEP, &m_cmvol });
MSG(m_volume, "Volume", { 1, "name", PB_STR, 0, NULL }, { 2, "volumeSource", PB_INLINE, 0, &m_volsource });
MSG(m_toleration, "Toleration",
    { 1, "key", PB_STR, 0, NULL }, { 2, "operator", PB_STR, 0, NULL }, { 3, "value", PB_STR, 0, NULL },
    { 4, "effect", PB_STR, 0, NULL }, { 5, "tolerationSeconds", PB_INT, KEEP, NULL });
MSG(m_podspec, "PodSpec",
    { 1, "volumes", PB_MSG, REP, &m_volume }, { 2, "containers", PB_MSG, REP, &m_container },
    { 3, "restartPolicy", PB_STR, 0, NULL }, { 4, "terminationGracePeriodSeconds", PB_INT, KEEP, NULL },
    { 5, "activeDeadlineSeconds", PB_INT, KEEP, NULL }, { 6, "dnsPolicy", PB_STR, 0, NULL },
    { 7, "nodeSelector", PB_MAP_SS, 0, NULL }, { 8, "serviceAccountName", PB_STR, 0, NULL },
    { 9, "serviceAccount", PB_STR, 0, NULL }, { 10, "nodeName", PB_STR, 0, NULL },
    { 11, "hostNetwork", PB_BOOL, 0, NULL }, { 12, "hostPID", PB_BOOL, 0, NULL }, { 13, "hostIPC", PB_BOOL, 0, NULL },
    { 15, "imagePullSecrets", PB_MSG, REP, &m_localref }, { 16, "hostname", PB_STR, 0, NULL },
    { 17, "subdomain", PB_STR, 0, NULL }, { 19, "schedulerName", PB_STR, 0, NULL },
    { 20, "initContainers", PB_MSG, REP, &m_container }, { 21, "automountServiceAccountToken", PB_BOOL, KEEP, NULL },
    { 22, "tolerations", PB_MSG, REP, &m_toleration }, { 24, "priorityClassName", PB_STR, 0, NULL },
    { 25, "priority", PB_INT, KEEP, NULL }, { 29, "runtimeClassName", PB_STR, 0, NULL },
    { 30, "enableServiceLinks", PB_BOOL, KEEP, NULL });
MSG(m_podtemplatespec, "PodTemplateSpec",
    { 1, "metadata", PB_MSG, 0, &m_objectmeta }, { 2, "spec", PB_MSG, 0, &m_podspec });

/* ---- kinds ---- */
MSG(m_nsspec, "NamespaceSpec", { 1, "finalizers", PB_STR, REP, NULL });
MSG(m_nsstatus, "NamespaceStatus", { 1, "phase", PB_STR, 0, NULL });
MSG(m_namespace, "Namespace",
    { 1, "metadata", PB_MSG, 0, &m_objectmeta }, { 2, "spec", PB_MSG, 0, &m_nsspec }, { 3, "status", PB_MSG, 0, &m_nsstatus });
MSG(m_configmap, "ConfigMap",
    { 1, "metadata", PB_MSG, 0, &m_objectmeta }, { 2, "data", PB_MAP_SS, 0, NULL }, { 3, "binaryData", PB_MAP_SB, 0, NULL },
    { 4, "immutable", PB_BOOL, KEEP, NULL });
MSG(m_secret, "Secret",
    { 1, "metadata", PB_MSG, 0, &m_objectmeta }, { 2, "data", PB_MAP_SB, 0, NULL }, { 3, "type", PB_STR, 0, NULL },
    { 4, "stringData", PB_MAP_SS, 0, NULL }, { 5, "immutable", PB_BOOL, KEEP, NULL });
MSG(m_serviceaccount, "ServiceAccount",
    { 1, "metadata", PB_MSG, 0, &m_objectmeta }, { 2, "secrets", PB_MSG, REP, &m_objref },
    { 3, "imagePullSecrets", PB_MSG, REP, &m_localref }, { 4, "automountServiceAccountToken", PB_BOOL, KEEP, NULL });
MSG(m_svcport, "ServicePort",
    { 1, "name", PB_STR, 0, NULL }, { 2, "protocol", PB_STR, 0, NULL }, { 3, "port", PB_INT, 0, NULL },
    { 4, "targetPort", PB_IOS, 0, NULL }, { 5, "nodePort", PB_INT, 0, NULL }, { 6, "appProtocol", PB_STR, 0, NULL });
MSG(m_svcspec, "ServiceSpec",
    { 1, "ports", PB_MSG, REP, &m_svcport }, { 2, "selector", PB_MAP_SS, 0, NULL }, { 3, "clusterIP", PB_STR, 0, NULL },
    { 4, "type", PB_STR, 0, NULL }, { 5, "externalIPs", PB_STR, REP, NULL }, { 7, "sessionAffinity", PB_STR, 0, NULL },
    { 8, "loadBalancerIP", PB_STR, 0, NULL }, { 9, "loadBalancerSourceRanges", PB_STR, REP, NULL },
    { 10, "externalName", PB_STR, 0, NULL }, { 11, "externalTrafficPolicy", PB_STR, 0, NULL },
    { 12, "healthCheckNodePort", PB_INT, 0, NULL }, { 13, "publishNotReadyAddresses", PB_BOOL, 0, NULL },
    { 17, "ipFamilyPolicy", PB_STR, 0, NULL }, { 18, "clusterIPs", PB_STR, REP, NULL },
    { 19, "ipFamilies", PB_STR, REP, NULL }, { 20, "allocateLoadBalancerNodePorts", PB_BOOL, KEEP, NULL },
    { 21, "loadBalancerClass", PB_STR, 0, NULL }, { 22, "internalTrafficPolicy", PB_STR, 0, NULL });
MSG(m_service, "Service", { 1, "metadata", PB_MSG, 0, &m_objectmeta }, { 2, "spec", PB_MSG, 0, &m_svcspec });
MSG(m_scopereq, "ScopedResourceSelectorRequirement",
    { 1, "scopeName", PB_STR, 0, NULL }, { 2, "operator", PB_STR, 0, NULL }, { 3, "values", PB_STR, REP, NULL });
MSG(m_scopesel, "ScopeSelector", { 1, "matchExpressions", PB_MSG, REP, &m_scopereq });
MSG(m_rqspec, "ResourceQuotaSpec",
    { 1, "hard", PB_MAP_SQ, 0, NULL }, { 2, "scopes", PB_STR, REP, NULL }, { 3, "scopeSelector", PB_MSG, KEEP, &m_scopesel });
MSG(m_rqstatus, "ResourceQuotaStatus", { 1, "hard", PB_MAP_SQ, 0, NULL }, { 2, "used", PB_MAP_SQ, 0, NULL });
MSG(m_resourcequota, "ResourceQuota",
    { 1, "metadata", PB_MSG, 0, &m_objectmeta }, { 2, "spec", PB_MSG, 0, &m_rqspec }, { 3, "status", PB_MSG, 0, &m_rqstatus });
MSG(m_pod, "Pod", { 1, "metadata", PB_MSG, 0, &m_objectmeta }, { 2, "spec", PB_MSG, 0, &m_podspec });

/* ---- apps/v1 ---- */
MSG(m_rollingupdate, "RollingUpdateDeployment",
    { 1, "maxUnavailable", PB_IOS, KEEP, NULL }, { 2, "maxSurge", PB_IOS, KEEP, NULL });
MSG(m_deploystrategy, "DeploymentStrategy",
    { 1, "type", PB_STR, 0, NULL }, { 2, "rollingUpdate", PB_MSG, KEEP, &m_rollingupdate });
MSG(m_deployspec, "DeploymentSpec",
    { 1, "replicas", PB_INT, KEEP, NULL }, { 2, "selector", PB_MSG, KEEP, &m_labelselector },
    { 3, "template", PB_MSG, 0, &m_podtemplatespec }, { 4, "strategy", PB_MSG, 0, &m_deploystrategy },
    { 5, "minReadySeconds", PB_INT, 0, NULL }, { 6, "revisionHistoryLimit", PB_INT, KEEP, NULL },
    { 7, "paused", PB_BOOL, 0, NULL }, { 9, "progressDeadlineSeconds", PB_INT, KEEP, NULL });
MSG(m_deploycond, "DeploymentCondition",
    { 1, "type", PB_STR, 0, NULL }, { 2, "status", PB_STR, 0, NULL }, { 4, "reason", PB_STR, 0, NULL },
    { 5, "message", PB_STR, 0, NULL }, { 6, "lastUpdateTime", PB_TIME, 0, NULL }, { 7, "lastTransitionTime", PB_TIME, 0, NULL });
MSG(m_deploystatus, "DeploymentStatus",
    { 1, "observedGeneration", PB_INT, 0, NULL }, { 2, "replicas", PB_INT, 0, NULL }, { 3, "updatedReplicas", PB_INT, 0, NULL },
    { 4, "availableReplicas", PB_INT, 0, NULL }, { 5, "unavailableReplicas", PB_INT, 0, NULL },
    { 6, "conditions", PB_MSG, REP, &m_deploycond }, { 7, "readyReplicas", PB_INT, 0, NULL },
    { 8, "collisionCount", PB_INT, KEEP, NULL });
MSG(m_deployment, "Deployment",
    { 1, "metadata", PB_MSG, 0, &m_objectmeta }, { 2, "spec", PB_MSG, 0, &m_deployspec },
    { 3, "status", PB_MSG, 0, &m_deploystatus });

/* ---- batch/v1 ---- */
MSG(m_jobspec, "JobSpec",
    { 1, "parallelism", PB_INT, KEEP, NULL }, { 2, "completions", PB_INT, KEEP, NULL },
    { 3, "activeDeadlineSeconds", PB_INT, KEEP, NULL }, { 4, "selector", PB_MSG, KEEP, &m_labelselector },
    { 5, "manualSelector", PB_BOOL, KEEP, NULL }, { 6, "template", PB_MSG, 0, &m_podtemplatespec },
    { 7, "backoffLimit", PB_INT, KEEP, NULL }, { 8, "ttlSecondsAfterFinished", PB_INT, KEEP, NULL },
    { 9, "completionMode", PB_STR, 0, NULL }, { 10, "suspend", PB_BOOL, KEEP, NULL });
MSG(m_job, "Job", { 1, "metadata", PB_MSG, 0, &m_objectmeta }, { 2, "spec", PB_MSG, 0, &m_jobspec });
MSG(m_jobtemplate, "JobTemplateSpec", { 1, "metadata", PB_MSG, 0, &m_objectmeta }, { 2, "spec", PB_MSG, 0, &m_jobspec });
MSG(m_cronjobspec, "CronJobSpec",
    { 1, "schedule", PB_STR, 0, NULL }, { 2, "startingDeadlineSeconds", PB_INT, KEEP, NULL },
    { 3, "concurrencyPolicy", PB_STR, 0, NULL }, { 4, "suspend", PB_BOOL, KEEP, NULL },
    { 5, "jobTemplate", PB_MSG, 0, &m_jobtemplate }, { 6, "successfulJobsHistoryLimit", PB_INT, KEEP, NULL },
    { 7, "failedJobsHistoryLimit", PB_INT, KEEP, NULL }, { 8, "timeZone", PB_STR, 0, NULL });
MSG(m_cronjob, "CronJob", { 1, "metadata", PB_MSG, 0, &m_objectmeta }, { 2, "spec", PB_MSG, 0, &m_cronjobspec });

/* ---- rbac.authorization.k8s.io/v1 ---- */
MSG(m_policyrule, "PolicyRule",
    { 1, "verbs", PB_STR, REP, NULL }, { 2, "apiGroups", PB_STR, REP, NULL }, { 3, "resources", PB_STR, REP, NULL },
    { 4, "resourceNames", PB_STR, REP, NULL }, { 5, "nonResourceURLs", PB_STR, REP, NULL });
MSG(m_aggrule, "AggregationRule", { 1, "clusterRoleSelectors", PB_MSG, REP, &m_labelselector });
MSG(m_subject, "Subject",
    { 1, "kind", PB_STR, 0, NULL }, { 2, "apiGroup", PB_STR, 0, NULL }, { 3, "name", PB_STR, 0, NULL },
    { 4, "namespace", PB_STR, 0, NULL });
MSG(m_roleref, "RoleRef", { 1, "apiGroup", PB_STR, 0, NULL }, { 2, "kind", PB_STR, 0, NULL }, { 3, "name", PB_STR, 0, NULL });
MSG(m_role, "Role", { 1, "metadata", PB_MSG, 0, &m_objectmeta }, { 2, "rules", PB_MSG, REP, &m_policyrule });
MSG(m_clusterrole, "ClusterRole",
    { 1, "metadata", PB_MSG, 0, &m_objectmeta }, { 2, "rules", PB_MSG, REP, &m_policyrule },
    { 3, "aggregationRule", PB_MSG, KEEP, &m_aggrule });
MSG(m_rolebinding, "RoleBinding",
    { 1, "metadata", PB_MSG, 0, &m_objectmeta }, { 2, "subjects", PB_MSG, REP, &m_subject },
    { 3, "roleRef", PB_MSG, 0, &m_roleref });

/* ---- scheduling.k8s.io/v1, policy/v1, networking.k8s.io/v1 ---- */
MSG(m_priorityclass, "PriorityClass",
    { 1, "metadata", PB_MSG, 0, &m_objectmeta }, { 2, "value", PB_INT, KEEP, NULL },
    { 3, "globalDefault", PB_BOOL, 0, NULL }, { 4, "description", PB_STR, 0, NULL },
    { 5, "preemptionPolicy", PB_STR, 0, NULL });
MSG(m_pdbspec, "PodDisruptionBudgetSpec",
    { 1, "minAvailable", PB_IOS, KEEP, NULL }, { 2, "selector", PB_MSG, KEEP, &m_labelselector },
    { 3, "maxUnavailable", PB_IOS, KEEP, NULL }, { 4, "unhealthyPodEvictionPolicy", PB_STR, 0, NULL });
MSG(m_pdb, "PodDisruptionBudget", { 1, "metadata", PB_MSG, 0, &m_objectmeta }, { 2, "spec", PB_MSG, 0, &m_pdbspec });
MSG(m_svcbackendport, "ServiceBackendPort", { 1, "name", PB_STR, 0, NULL }, { 2, "number", PB_INT, 0, NULL });
MSG(m_ingsvcbackend, "IngressServiceBackend",
    { 1, "name", PB_STR, 0, NULL }, { 2, "port", PB_MSG, 0, &m_svcbackendport });
MSG(m_typedlocalref, "TypedLocalObjectReference",
    { 1, "apiGroup", PB_STR, KEEP, NULL }, { 2, "kind", PB_STR, 0, NULL }, { 3, "name", PB_STR, 0, NULL });
MSG(m_ingbackend, "IngressBackend",
    { 3, "resource", PB_MSG, KEEP, &m_typedlocalref }, { 4, "service", PB_MSG, KEEP, &m_ingsvcbackend });
MSG(m_httppath, "HTTPIngressPath",
    { 1, "path", PB_STR, 0, NULL }, { 2, "backend", PB_MSG, 0, &m_ingbackend }, { 3, "pathType", PB_STR, 0, NULL });
MSG(m_httprule, "HTTPIngressRuleValue", { 1, "paths", PB_MSG, REP, &m_httppath });
MSG(m_ingrulevalue, "IngressRuleValue", { 1, "http", PB_MSG, KEEP, &m_httprule });
MSG(m_ingrule, "IngressRule", { 1, "host", PB_STR, 0, NULL }, { 2, "ingressRuleValue", PB_INLINE, 0, &m_ingrulevalue });
MSG(m_ingtls, "IngressTLS", { 1, "hosts", PB_STR, REP, NULL }, { 2, "secretName", PB_STR, 0, NULL });
MSG(m_ingspec, "IngressSpec",
    { 1, "defaultBackend", PB_MSG, KEEP, &m_ingbackend }, { 2, "tls", PB_MSG, REP, &m_ingtls },
    { 3, "rules", PB_MSG, REP, &m_ingrule }, { 4, "ingressClassName", PB_STR, 0, NULL });
MSG(m_ingress, "Ingress", { 1, "metadata", PB_MSG, 0, &m_objectmeta }, { 2, "spec", PB_MSG, 0, &m_ingspec });

/* ---- authentication.k8s.io/v1 (POST serviceaccounts/<sa>/token) ---- */
MSG(m_boundref, "BoundObjectReference",
    { 1, "kind", PB_STR, 0, NULL }, { 2, "apiVersion", PB_STR, 0, NULL }, { 3, "name", PB_STR, 0, NULL },
    { 4, "uid", PB_STR, 0, NULL });
MSG(m_tokenreqspec, "TokenRequestSpec",
    { 1, "audiences", PB_STR, REP, NULL }, { 3, "boundObjectRef", PB_MSG, KEEP, &m_boundref },
    { 4, "expirationSeconds", PB_INT, KEEP, NULL });
MSG(m_tokenrequest, "TokenRequest", { 1, "metadata", PB_MSG, 0, &m_objectmeta }, { 2, "spec", PB_MSG, 0, &m_tokenreqspec });

/* ---- authorization.k8s.io/v1, authentication.k8s.io/v1 reviews (kubectl auth can-i / whoami) ---- */
MSG(m_resattrs, "ResourceAttributes",
    { 1, "namespace", PB_STR, 0, NULL }, { 2, "verb", PB_STR, 0, NULL }, { 3, "group", PB_STR, 0, NULL },
    { 4, "version", PB_STR, 0, NULL }, { 5, "resource", PB_STR, 0, NULL }, { 6, "subresource", PB_STR, 0, NULL },
    { 7, "name", PB_STR, 0, NULL });
MSG(m_nonresattrs, "NonResourceAttributes", { 1, "path", PB_STR, 0, NULL }, { 2, "verb", PB_STR, 0, NULL });
MSG(m_ssarspec, "SelfSubjectAccessReviewSpec",
    { 1, "resourceAttributes", PB_MSG, KEEP, &m_resattrs }, { 2, "nonResourceAttributes", PB_MSG, KEEP, &m_nonresattrs });
MSG(m_ssar, "SelfSubjectAccessReview", { 1, "metadata", PB_MSG, 0, &m_objectmeta }, { 2, "spec", PB_MSG, 0, &m_ssarspec });
MSG(m_ssr, "SelfSubjectReview", { 1, "metadata", PB_MSG, 0, &m_objectmeta });
MSG(m_ssrrspec, "SelfSubjectRulesReviewSpec", { 1, "namespace", PB_STR, 0, NULL });
MSG(m_ssrr, "SelfSubjectRulesReview", { 1, "metadata", PB_MSG, 0, &m_objectmeta }, { 2, "spec", PB_MSG, 0, &m_ssrrspec });

static const struct { const char *api_version, *kind; const pb_msg_t *msg; } pb_kinds[] = {
    { "v1", "Namespace", &m_namespace },
    { "v1", "ConfigMap", &m_configmap },
    { "v1", "Secret", &m_secret },
    { "v1", "ServiceAccount", &m_serviceaccount },
    { "v1", "Service", &m_service },
    { "v1", "ResourceQuota", &m_resourcequota },
    { "v1", "Pod", &m_pod },
    { "apps/v1", "Deployment", &m_deployment },
    { "batch/v1", "Job", &m_job },
    { "batch/v1", "CronJob", &m_cronjob },
    { "rbac.authorization.k8s.io/v1", "Role", &m_role },
    { "rbac.authorization.k8s.io/v1", "ClusterRole", &m_clusterrole },
    { "rbac.authorization.k8s.io/v1", "RoleBinding", &m_rolebinding },
    { "rbac.authorization.k8s.io/v1", "ClusterRoleBinding", &m_rolebinding },
    { "scheduling.k8s.io/v1", "PriorityClass", &m_priorityclass },
    { "policy/v1", "PodDisruptionBudget", &m_pdb },
    { "networking.k8s.io/v1", "Ingress", &m_ingress },
    { "authentication.k8s.io/v1", "TokenRequest", &m_tokenrequest },
    { "authorization.k8s.io/v1", "SelfSubjectAccessReview", &m_ssar },
    { "authentication.k8s.io/v1", "SelfSubjectReview", &m_ssr },
    { "authorization.k8s.io/v1", "SelfSubjectRulesReview", &m_ssrr },
};

/* ---------- decoding ---------- */

static int pb_oom(skiff_error_t *err) { return skiff_error_set(err, -ENOMEM, "protobuf: out of memory"); }

static char *b64(const uint8_t *d, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *o = malloc((n + 2) / 3 * 4 + 1), *w = o;
    if (!o) return NULL;
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];
        *w++ = tbl[v >> 18]; *w++ = tbl[(v >> 12) & 63]; *w++ = tbl[(v >> 6) & 63]; *w++ = tbl[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < n ? (uint32_t)d[i + 1] << 8 : 0);
        *w++ = tbl[v >> 18]; *w++ = tbl[(v >> 12) & 63];
        *w++ = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        *w++ = '=';
    }
    *w = '\0';
    return o;
}

/* A protobuf string as a C string; NUL bytes cannot live in a cJSON string. */
static int pb_cstr(const uint8_t *d, size_t n, char **out, const char *where, skiff_error_t *err)
{
    if (memchr(d, 0, n)) return skiff_error_set(err, SKIFF_E_INVALID, "protobuf: %s: string contains a NUL byte", where);
    if (!(*out = strndup((const char *)d, n))) return pb_oom(err);
    return 0;
}

static const pb_field_t *pb_find(const pb_msg_t *m, uint32_t num)
{
    for (size_t i = 0; i < m->n; i++) if (m->fields[i].num == num) return &m->fields[i];
    return NULL;
}

static int want_wt(const pb_msg_t *m, const pb_field_t *f, uint32_t wt, uint32_t want, skiff_error_t *err)
{
    if (wt == want) return 0;
    return skiff_error_set(err, SKIFF_E_INVALID, "protobuf: %s.%s (field %u) has wire type %u, want %u", m->name, f->name,
                           f->num, wt, want);
}

static int decode_msg(const pb_msg_t *m, skiff_pb_reader_t *r, cJSON *obj, int depth, skiff_error_t *err);

/* Set obj[name] = v (or append when repeated), consuming v. */
static int put(cJSON *obj, const pb_field_t *f, cJSON *v, skiff_error_t *err)
{
    if (!v) return pb_oom(err);
    if (f->flags & REP) {
        cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, f->name);
        if (!arr) {
            if (!(arr = cJSON_CreateArray()) || !cJSON_AddItemToObject(obj, f->name, arr)) {
                cJSON_Delete(arr); cJSON_Delete(v);
                return pb_oom(err);
            }
        }
        if (!cJSON_AddItemToArray(arr, v)) { cJSON_Delete(v); return pb_oom(err); }
        return 0;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(obj, f->name);
    if (!cJSON_AddItemToObject(obj, f->name, v)) { cJSON_Delete(v); return pb_oom(err); }
    return 0;
}

/* Read the single string field 1 of a small message (Quantity). */
static int quantity_string(skiff_pb_reader_t *sub, char **out, skiff_error_t *err)
{
    char *s = NULL;
    int rc = 0;
    *out = NULL;
    while (!skiff_pb_eof(sub) && !rc) {
        uint32_t num, wt;
        if ((rc = skiff_pb_read_tag(sub, &num, &wt, err))) break;
        if (num == 1 && wt == SKIFF_PB_LEN) {
            const uint8_t *d; size_t n;
            if ((rc = skiff_pb_read_bytes(sub, &d, &n, err))) break;
            free(s);
            s = NULL;
            rc = pb_cstr(d, n, &s, "Quantity.string", err);
        } else {
            rc = skiff_pb_skip(sub, wt, err);
        }
    }
    if (!rc && !s && !(s = strdup(""))) rc = pb_oom(err);
    if (rc) { free(s); return rc; }
    *out = s;
    return 0;
}

static int decode_map(const pb_msg_t *m, const pb_field_t *f, skiff_pb_reader_t *sub, cJSON *obj, skiff_error_t *err)
{
    char *key = NULL;
    cJSON *val = NULL;
    int rc = 0;
    while (!skiff_pb_eof(sub) && !rc) {
        uint32_t num, wt;
        const uint8_t *d; size_t n;
        if ((rc = skiff_pb_read_tag(sub, &num, &wt, err))) break;
        if ((num != 1 && num != 2) || wt != SKIFF_PB_LEN) { rc = skiff_pb_skip(sub, wt, err); continue; }
        if ((rc = skiff_pb_read_bytes(sub, &d, &n, err))) break;
        if (num == 1) {
            free(key);
            key = NULL;
            rc = pb_cstr(d, n, &key, f->name, err);
            continue;
        }
        cJSON_Delete(val);
        val = NULL;
        if (f->kind == PB_MAP_SS) {
            char *s = NULL;
            if (!(rc = pb_cstr(d, n, &s, f->name, err))) { val = cJSON_CreateString(s); if (!val) rc = pb_oom(err); }
            free(s);
        } else if (f->kind == PB_MAP_SB) {
            char *s = b64(d, n);
            val = s ? cJSON_CreateString(s) : NULL;
            free(s);
            if (!val) rc = pb_oom(err);
        } else {
            skiff_pb_reader_t q;
            char *s = NULL;
            skiff_pb_reader_sub(&q, sub, d, n);
            if (!(rc = quantity_string(&q, &s, err))) { val = cJSON_CreateString(s); if (!val) rc = pb_oom(err); }
            free(s);
        }
    }
    if (!rc) {
        cJSON *map = cJSON_GetObjectItemCaseSensitive(obj, f->name);
        if (!map && (!(map = cJSON_CreateObject()) || !cJSON_AddItemToObject(obj, f->name, map))) {
            cJSON_Delete(map);
            rc = pb_oom(err);
        }
        if (!rc && !val && !(val = cJSON_CreateString(""))) rc = pb_oom(err);
        if (!rc) {
            cJSON_DeleteItemFromObjectCaseSensitive(map, key ? key : "");
            if (!cJSON_AddItemToObject(map, key ? key : "", val)) rc = pb_oom(err);
            else val = NULL;
        }
    }
    (void)m;
    free(key);
    cJSON_Delete(val);
    return rc;
}

static int decode_ios(skiff_pb_reader_t *sub, cJSON **out, skiff_error_t *err)
{
    uint64_t type = 0, ival = 0;
    char *sval = NULL;
    int rc = 0;
    while (!skiff_pb_eof(sub) && !rc) {
        uint32_t num, wt;
        if ((rc = skiff_pb_read_tag(sub, &num, &wt, err))) break;
        if (num == 1 && wt == SKIFF_PB_VARINT) rc = skiff_pb_read_varint(sub, &type, err);
        else if (num == 2 && wt == SKIFF_PB_VARINT) rc = skiff_pb_read_varint(sub, &ival, err);
        else if (num == 3 && wt == SKIFF_PB_LEN) {
            const uint8_t *d; size_t n;
            if (!(rc = skiff_pb_read_bytes(sub, &d, &n, err))) { free(sval); sval = NULL; rc = pb_cstr(d, n, &sval, "IntOrString.strVal", err); }
        } else rc = skiff_pb_skip(sub, wt, err);
    }
    if (!rc) {
        *out = type == 1 ? cJSON_CreateString(sval ? sval : "") : cJSON_CreateNumber((double)(int32_t)ival);
        if (!*out) rc = pb_oom(err);
    }
    free(sval);
    return rc;
}

static int decode_time(skiff_pb_reader_t *sub, cJSON **out, skiff_error_t *err)
{
    uint64_t secs = 0, nanos = 0;
    int rc = 0;
    *out = NULL;
    while (!skiff_pb_eof(sub) && !rc) {
        uint32_t num, wt;
        if ((rc = skiff_pb_read_tag(sub, &num, &wt, err))) break;
        if (num == 1 && wt == SKIFF_PB_VARINT) rc = skiff_pb_read_varint(sub, &secs, err);
        else if (num == 2 && wt == SKIFF_PB_VARINT) rc = skiff_pb_read_varint(sub, &nanos, err);
        else rc = skiff_pb_skip(sub, wt, err);
    }
    if (rc || (secs == 0 && nanos == 0)) return rc; /* zero time: null in JSON, left out */
    time_t t = (time_t)(int64_t)secs;
    struct tm tm;
    char buf[64];
    if (!gmtime_r(&t, &tm) || !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
        return skiff_error_set(err, SKIFF_E_INVALID, "protobuf: time %lld out of range", (long long)(int64_t)secs);
    if (!(*out = cJSON_CreateString(buf))) return pb_oom(err);
    return 0;
}

static int decode_field(const pb_msg_t *m, const pb_field_t *f, uint32_t wt, skiff_pb_reader_t *r, cJSON *obj, int depth,
                        skiff_error_t *err)
{
    int rc;
    uint64_t v;
    const uint8_t *d;
    size_t n;
    skiff_pb_reader_t sub;
    switch (f->kind) {
    case PB_INT:
    case PB_BOOL:
        if ((rc = want_wt(m, f, wt, SKIFF_PB_VARINT, err)) || (rc = skiff_pb_read_varint(r, &v, err))) return rc;
        if (!v && !(f->flags & KEEP)) return 0;
        if (f->kind == PB_BOOL) return put(obj, f, cJSON_CreateBool(v != 0), err);
        return put(obj, f, cJSON_CreateNumber((double)(int64_t)v), err);
    default:
        break;
    }
    if ((rc = want_wt(m, f, wt, SKIFF_PB_LEN, err)) || (rc = skiff_pb_read_bytes(r, &d, &n, err))) return rc;
    skiff_pb_reader_sub(&sub, r, d, n);
    switch (f->kind) {
    case PB_STR: {
        char *s = NULL;
        char where[128];
        snprintf(where, sizeof where, "%s.%s", m->name, f->name);
        if ((rc = pb_cstr(d, n, &s, where, err))) return rc;
        if (!*s && !(f->flags & (KEEP | REP))) { free(s); return 0; }
        rc = put(obj, f, cJSON_CreateString(s), err);
        free(s);
        return rc;
    }
    case PB_BYTES: {
        char *s = b64(d, n);
        if (!s) return pb_oom(err);
        rc = put(obj, f, cJSON_CreateString(s), err);
        free(s);
        return rc;
    }
    case PB_MAP_SS: case PB_MAP_SB: case PB_MAP_SQ:
        return decode_map(m, f, &sub, obj, err);
    case PB_QTY: {
        char *s = NULL;
        if ((rc = quantity_string(&sub, &s, err))) return rc;
        rc = put(obj, f, cJSON_CreateString(s), err);
        free(s);
        return rc;
    }
    case PB_IOS: {
        cJSON *x = NULL;
        if ((rc = decode_ios(&sub, &x, err))) return rc;
        if (!(f->flags & KEEP) && cJSON_IsNumber(x) && x->valuedouble == 0) { cJSON_Delete(x); return 0; }
        return put(obj, f, x, err);
    }
    case PB_TIME: {
        cJSON *x = NULL;
        if ((rc = decode_time(&sub, &x, err)) || !x) return rc;
        return put(obj, f, x, err);
    }
    case PB_FIELDSV1: {
        /* FieldsV1{Raw=1}: the raw bytes are JSON. */
        cJSON *x = NULL;
        while (!skiff_pb_eof(&sub)) {
            uint32_t num, w;
            if ((rc = skiff_pb_read_tag(&sub, &num, &w, err))) { cJSON_Delete(x); return rc; }
            if (num == 1 && w == SKIFF_PB_LEN) {
                const uint8_t *rd; size_t rn;
                if ((rc = skiff_pb_read_bytes(&sub, &rd, &rn, err))) { cJSON_Delete(x); return rc; }
                cJSON_Delete(x);
                if (!(x = cJSON_ParseWithLength((const char *)rd, rn)))
                    return skiff_error_set(err, SKIFF_E_INVALID, "protobuf: %s.%s: raw field set is not JSON", m->name, f->name);
            } else if ((rc = skiff_pb_skip(&sub, w, err))) { cJSON_Delete(x); return rc; }
        }
        return x ? put(obj, f, x, err) : 0;
    }
    case PB_INLINE:
        return decode_msg(f->msg, &sub, obj, depth + 1, err);
    case PB_MSG: {
        cJSON *child = (f->flags & REP) ? NULL : cJSON_GetObjectItemCaseSensitive(obj, f->name);
        int fresh = !child;
        if (fresh && !(child = cJSON_CreateObject())) return pb_oom(err);
        if ((rc = decode_msg(f->msg, &sub, child, depth + 1, err))) { if (fresh) cJSON_Delete(child); return rc; }
        if (!fresh) return 0;
        if (!child->child && !(f->flags & (KEEP | REP))) { cJSON_Delete(child); return 0; }
        return put(obj, f, child, err);
    }
    default:
        return skiff_error_set(err, SKIFF_E_INTERNAL, "protobuf: bad field table entry %s.%s", m->name, f->name);
    }
}

static int decode_msg(const pb_msg_t *m, skiff_pb_reader_t *r, cJSON *obj, int depth, skiff_error_t *err)
{
    if (depth > SKIFF_API_MAX_DEPTH)
        return skiff_error_set(err, SKIFF_E_INVALID, "protobuf: %s nested deeper than %d levels", m->name, SKIFF_API_MAX_DEPTH);
    while (!skiff_pb_eof(r)) {
        uint32_t num, wt;
        int rc = skiff_pb_read_tag(r, &num, &wt, err);
        if (rc) return rc;
        const pb_field_t *f = pb_find(m, num);
        rc = f ? decode_field(m, f, wt, r, obj, depth, err) : skiff_pb_skip(r, wt, err);
        if (rc) return rc;
    }
    return 0;
}

int skiff_api_protobuf_decode_object(const char *api_version, const char *kind, const void *raw, size_t len,
                                     cJSON **out, skiff_error_t *err)
{
    *out = NULL;
    const pb_msg_t *m = NULL;
    for (size_t i = 0; i < sizeof pb_kinds / sizeof pb_kinds[0] && !m; i++)
        if (!strcmp(pb_kinds[i].api_version, api_version ? api_version : "") && !strcmp(pb_kinds[i].kind, kind ? kind : ""))
            m = pb_kinds[i].msg;
    if (!m)
        return skiff_error_set(err, SKIFF_E_UNSUPPORTED, "protobuf: %s %s is not supported in protobuf; send application/json",
                               api_version && *api_version ? api_version : "(no apiVersion)", kind && *kind ? kind : "(no kind)");
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "apiVersion", api_version) || !cJSON_AddStringToObject(o, "kind", kind)) {
        cJSON_Delete(o);
        return pb_oom(err);
    }
    skiff_pb_reader_t r;
    skiff_pb_reader_init(&r, raw, len);
    int rc = decode_msg(m, &r, o, 0, err);
    if (rc) { cJSON_Delete(o); return rc; }
    *out = o;
    return 0;
}

int skiff_api_protobuf_decode(const void *body, size_t len, cJSON **out, skiff_error_t *err)
{
    *out = NULL;
    if (!body || len < 4 || memcmp(body, "k8s\0", 4) != 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "protobuf: the body does not start with the 4-byte magic \"k8s\\0\"");
    skiff_pb_reader_t r;
    skiff_pb_reader_init(&r, (const uint8_t *)body + 4, len - 4);
    char *api_version = NULL, *kind = NULL, *encoding = NULL;
    const uint8_t *raw = NULL;
    size_t raw_len = 0;
    int rc = 0;
    while (!skiff_pb_eof(&r) && !rc) {
        uint32_t num, wt;
        const uint8_t *d; size_t n;
        if ((rc = skiff_pb_read_tag(&r, &num, &wt, err))) break;
        if (wt != SKIFF_PB_LEN || num < 1 || num > 4) { rc = skiff_pb_skip(&r, wt, err); continue; }
        if ((rc = skiff_pb_read_bytes(&r, &d, &n, err))) break;
        if (num == 1) {
            skiff_pb_reader_t tm;
            skiff_pb_reader_sub(&tm, &r, d, n);
            while (!skiff_pb_eof(&tm) && !rc) {
                uint32_t tn, tw;
                const uint8_t *td; size_t tl;
                if ((rc = skiff_pb_read_tag(&tm, &tn, &tw, err))) break;
                if ((tn != 1 && tn != 2) || tw != SKIFF_PB_LEN) { rc = skiff_pb_skip(&tm, tw, err); continue; }
                if ((rc = skiff_pb_read_bytes(&tm, &td, &tl, err))) break;
                char **dst = tn == 1 ? &api_version : &kind;
                free(*dst);
                *dst = NULL;
                rc = pb_cstr(td, tl, dst, tn == 1 ? "TypeMeta.apiVersion" : "TypeMeta.kind", err);
            }
        } else if (num == 2) {
            raw = d;
            raw_len = n;
        } else if (num == 3) {
            free(encoding);
            encoding = NULL;
            rc = pb_cstr(d, n, &encoding, "Unknown.contentEncoding", err);
        } /* 4, contentType: informational */
    }
    if (!rc && encoding && *encoding)
        rc = skiff_error_set(err, SKIFF_E_UNSUPPORTED, "protobuf: content encoding \"%s\" is not supported", encoding);
    if (!rc && !raw) raw = (const uint8_t *)"";
    if (!rc) rc = skiff_api_protobuf_decode_object(api_version, kind, raw, raw_len, out, err);
    free(api_version);
    free(kind);
    free(encoding);
    return rc;
}
