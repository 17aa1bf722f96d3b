/* The merge-key table; see patch_schema.h. Rows follow the patchStrategy /
 * patchMergeKey tags of k8s.io/api core/v1, apps/v1 and batch/v1 types. */
#include "api/patch_schema.h"

#include <pthread.h>
#include <string.h>

#define M SKIFF_API_FIELD_MERGE
#define R SKIFF_API_FIELD_RETAIN_KEYS
#define ROOT(kind) { kind, "metadata", "ObjectMeta", NULL, 0 }

static const skiff_api_field_t schema_rows[] = {
    ROOT("Object"),
    { "ObjectMeta", "finalizers", NULL, NULL, M },
    { "ObjectMeta", "ownerReferences", NULL, "uid", M },

    ROOT("Pod"),
    { "Pod", "spec", "PodSpec", NULL, 0 },
    { "Pod", "status", "PodStatus", NULL, 0 },
    { "PodStatus", "conditions", NULL, "type", M },
    { "PodStatus", "podIPs", NULL, "ip", M },
    { "PodStatus", "hostIPs", NULL, "ip", M },

    ROOT("PodTemplate"),
    { "PodTemplate", "template", "PodTemplateSpec", NULL, 0 },
    { "PodTemplateSpec", "metadata", "ObjectMeta", NULL, 0 },
    { "PodTemplateSpec", "spec", "PodSpec", NULL, 0 },

    { "PodSpec", "volumes", "Volume", "name", M | R },
    { "PodSpec", "initContainers", "Container", "name", M },
    { "PodSpec", "containers", "Container", "name", M },
    { "PodSpec", "ephemeralContainers", "Container", "name", M },
    { "PodSpec", "imagePullSecrets", NULL, "name", M },
    { "PodSpec", "hostAliases", NULL, "ip", M },
    { "PodSpec", "topologySpreadConstraints", NULL, "topologyKey", M },
    { "PodSpec", "resourceClaims", NULL, "name", M | R },
    { "PodSpec", "schedulingGates", NULL, "name", M },

    { "Container", "ports", NULL, "containerPort", M },
    { "Container", "env", NULL, "name", M },
    { "Container", "volumeMounts", NULL, "mountPath", M },
    { "Container", "volumeDevices", NULL, "devicePath", M },

    /* admissionregistration.k8s.io/v1: webhooks merge by name */
    ROOT("MutatingWebhookConfiguration"),
    { "MutatingWebhookConfiguration", "webhooks", NULL, "name", M },
    ROOT("ValidatingWebhookConfiguration"),
    { "ValidatingWebhookConfiguration", "webhooks", NULL, "name", M },

    ROOT("ReplicationController"),
    { "ReplicationController", "spec", "WorkloadSpec", NULL, 0 },
    ROOT("ReplicaSet"),
    { "ReplicaSet", "spec", "WorkloadSpec", NULL, 0 },
    { "ReplicaSet", "status", "WorkloadStatus", NULL, 0 },
    ROOT("DaemonSet"),
    { "DaemonSet", "spec", "WorkloadSpec", NULL, 0 },
    { "DaemonSet", "status", "WorkloadStatus", NULL, 0 },
    ROOT("StatefulSet"),
    { "StatefulSet", "spec", "WorkloadSpec", NULL, 0 },
    { "StatefulSet", "status", "WorkloadStatus", NULL, 0 },
    ROOT("Job"),
    { "Job", "spec", "WorkloadSpec", NULL, 0 },
    { "Job", "status", "WorkloadStatus", NULL, 0 },
    ROOT("Deployment"),
    { "Deployment", "spec", "DeploymentSpec", NULL, 0 },
    { "Deployment", "status", "WorkloadStatus", NULL, 0 },
    { "DeploymentSpec", "template", "PodTemplateSpec", NULL, 0 },
    { "DeploymentSpec", "strategy", NULL, NULL, R },
    /* ReplicaSetSpec, DaemonSetSpec, StatefulSetSpec, JobSpec and
     * ReplicationControllerSpec share what matters here: a pod template. */
    { "WorkloadSpec", "template", "PodTemplateSpec", NULL, 0 },
    { "WorkloadSpec", "updateStrategy", NULL, NULL, R },
    { "WorkloadStatus", "conditions", NULL, "type", M },
    ROOT("CronJob"),
    { "CronJob", "spec", "CronJobSpec", NULL, 0 },
    { "CronJobSpec", "jobTemplate", "JobTemplateSpec", NULL, 0 },
    { "JobTemplateSpec", "metadata", "ObjectMeta", NULL, 0 },
    { "JobTemplateSpec", "spec", "WorkloadSpec", NULL, 0 },

    ROOT("Service"),
    { "Service", "spec", "ServiceSpec", NULL, 0 },
    { "ServiceSpec", "ports", NULL, "port", M },

    ROOT("Node"),
    { "Node", "spec", "NodeSpec", NULL, 0 },
    { "Node", "status", "NodeStatus", NULL, 0 },
    { "NodeSpec", "podCIDRs", NULL, NULL, M },
    { "NodeStatus", "conditions", NULL, "type", M },
    { "NodeStatus", "addresses", NULL, "type", M },

    ROOT("ServiceAccount"),
    { "ServiceAccount", "secrets", NULL, "name", M },

    ROOT("Namespace"),
    { "Namespace", "status", "NamespaceStatus", NULL, 0 },
    { "NamespaceStatus", "conditions", NULL, "type", M },
};

const char *skiff_api_schema_root(const char *kind)
{
    if (kind && strcmp(kind, "Object") != 0)
        for (size_t i = 0; i < sizeof schema_rows / sizeof schema_rows[0]; i++)
            if (!strcmp(schema_rows[i].field, "metadata") && !strcmp(schema_rows[i].type, kind))
                return schema_rows[i].type;
    return "Object";
}

/* (type, field) -> row, an open-addressing hash built once: this runs for
 * every member of every object a patch or a managedFields record walks. */
#define NROWS (sizeof schema_rows / sizeof schema_rows[0])
#define HBITS 9
static short row_hash[1u << HBITS]; /* row index + 1; 0 = empty */
static pthread_once_t hash_once = PTHREAD_ONCE_INIT;

/* cheap on purpose (lengths and a few characters): it runs per member */
static unsigned hash2(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned h = (unsigned)la * 31u + (unsigned)lb;
    h = h * 131u + (unsigned char)a[0];
    h = h * 131u + (unsigned char)a[la ? la - 1 : 0];
    h = h * 131u + (unsigned char)b[0];
    h = h * 131u + (unsigned char)b[lb > 1 ? 1 : 0];
    h = h * 131u + (unsigned char)b[lb ? lb - 1 : 0];
    return h ^ (h >> 9);
}

static void hash_build(void)
{
    _Static_assert(NROWS < (1u << (HBITS - 1)), "schema hash too small");
    for (size_t i = 0; i < NROWS; i++) {
        unsigned h = hash2(schema_rows[i].type, schema_rows[i].field) & ((1u << HBITS) - 1);
        while (row_hash[h]) h = (h + 1) & ((1u << HBITS) - 1);
        row_hash[h] = (short)(i + 1);
    }
}

const skiff_api_field_t *skiff_api_schema_field(const char *type, const char *field)
{
    if (!type || !field) return NULL;
    pthread_once(&hash_once, hash_build);
    for (unsigned h = hash2(type, field) & ((1u << HBITS) - 1); row_hash[h]; h = (h + 1) & ((1u << HBITS) - 1)) {
        const skiff_api_field_t *r = &schema_rows[row_hash[h] - 1];
        if (!strcmp(r->type, type) && !strcmp(r->field, field)) return r;
    }
    return NULL;
}
