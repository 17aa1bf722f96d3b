/* core/api/protobuf — decode kubectl's protobuf request bodies into cJSON.
 *
 * `kubectl create namespace|configmap|secret|serviceaccount|deployment|
 * service|quota` (and --dry-run=server) POST Content-Type
 * application/vnd.kubernetes.protobuf (KUBECTL-WIRE.md §12): the 4-byte
 * magic "k8s\0", then a runtime.Unknown {typeMeta{apiVersion=1,kind=2}=1,
 * raw=2, contentEncoding=3, contentType=4} whose raw holds the typed object.
 * This decodes the typed object with a field table taken from the
 * generated.proto of k8s.io/api (core, apps, batch, rbac, scheduling,
 * policy, networking v1) and apimachinery
 * (meta/v1), producing the JSON kubectl would have sent for the same
 * command: zero scalars and empty strings of plain (non-pointer) fields are
 * left out, as Go's omitempty does; pointer fields (replicas,
 * terminationGracePeriodSeconds, immutable, ...) are kept even when zero;
 * bytes (Secret.data, ConfigMap.binaryData) become base64; Quantity becomes
 * its string; IntOrString a number or a string; Time an RFC 3339 string.
 * Unknown fields are skipped; unknown kinds are refused.
 *
 * Kinds (every one `kubectl create <kind>` sends as protobuf, captured from
 * kubectl 1.32, plus Pod): v1 Namespace, ConfigMap, Secret, ServiceAccount,
 * Service, ResourceQuota, Pod; apps/v1 Deployment; batch/v1 Job, CronJob;
 * rbac.authorization.k8s.io/v1 Role, ClusterRole, RoleBinding,
 * ClusterRoleBinding; scheduling.k8s.io/v1 PriorityClass; policy/v1
 * PodDisruptionBudget; networking.k8s.io/v1 Ingress; authentication.k8s.io/v1
 * TokenRequest (`kubectl create token`, POST .../serviceaccounts/<sa>/token).
 */
#ifndef SKIFF_CORE_API_PROTOBUF_H
#define SKIFF_CORE_API_PROTOBUF_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <skiff/error.h>

#define SKIFF_API_PROTOBUF_CONTENT_TYPE "application/vnd.kubernetes.protobuf"

/* Decode a whole request body (magic + Unknown envelope). *out is a NEW
 * object {"apiVersion","kind",...} the caller frees with cJSON_Delete.
 * Errors:
 *   SKIFF_E_INVALID     bad magic, truncated/corrupt wire data, a wire type
 *                       that does not fit the field, too deep; the message
 *                       names the message/field and byte offset (answer 400
 *                       BadRequest).
 *   SKIFF_E_UNSUPPORTED a kind this table does not know, or a
 *                       contentEncoding (answer 415 UnsupportedMediaType:
 *                       `the body of the request was in an unknown format -
 *                       accepted media types include: application/json, ...`).
 *   -ENOMEM. On error *out is NULL. */
int skiff_api_protobuf_decode(const void *body, size_t len, cJSON **out, skiff_error_t *err);

/* Decode a bare typed object (no magic, no envelope) of the given
 * apiVersion/kind, e.g. the raw field of an Unknown. Same errors. */
int skiff_api_protobuf_decode_object(const char *api_version, const char *kind, const void *raw, size_t len,
                                     cJSON **out, skiff_error_t *err);

#endif
