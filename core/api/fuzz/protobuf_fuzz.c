/* libFuzzer target for core/api/protobuf (make fuzz-api): any body must
 * decode or fail cleanly. The seed corpus holds bodies kubectl 1.32 sent. */
#include <stdint.h>
#include <stdlib.h>

#include "api/protobuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *out = NULL;
    skiff_error_t err = {0};
    if (skiff_api_protobuf_decode(data, size, &out, &err) == 0) {
        char *s = cJSON_PrintUnformatted(out);
        free(s);
        cJSON_Delete(out);
    }
    /* Also the bare object path for every kind, on the same bytes. */
    static const char *const kinds[][2] = { { "v1", "Namespace" }, { "v1", "ConfigMap" }, { "v1", "Secret" },
                                            { "v1", "ServiceAccount" }, { "v1", "Service" }, { "v1", "ResourceQuota" },
                                            { "v1", "Pod" }, { "apps/v1", "Deployment" }, { "batch/v1", "CronJob" },
                                            { "rbac.authorization.k8s.io/v1", "ClusterRole" },
                                            { "networking.k8s.io/v1", "Ingress" }, { "policy/v1", "PodDisruptionBudget" } };
    size_t k = size ? data[0] % (sizeof kinds / sizeof kinds[0]) : 0;
    if (skiff_api_protobuf_decode_object(kinds[k][0], kinds[k][1], data, size, &out, &err) == 0) cJSON_Delete(out);
    return 0;
}
