/* core/api/validate — Kubernetes name/label/annotation rules with kube's
 * exact messages, and the `causes` list of a 422 Invalid Status body.
 *
 * The skiff_api_check_* functions return how many problems `v` has (0 =
 * valid) and store up to SKIFF_API_CHECK_MAX messages in msgs[]; the
 * messages are static strings (never freed), worded exactly as
 * k8s.io/apimachinery/pkg/util/validation, e.g.
 *   a lowercase RFC 1123 subdomain must consist of lower case alphanumeric
 *   characters, '-' or '.', and must start and end with an alphanumeric
 *   character (e.g. 'example.com', regex used for validation is
 *   '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')
 */
#ifndef SKIFF_CORE_API_VALIDATE_H
#define SKIFF_CORE_API_VALIDATE_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <skiff/error.h>

#define SKIFF_API_CHECK_MAX 4
#define SKIFF_API_ANNOTATIONS_MAX_BYTES 262144

int skiff_api_check_dns1123_subdomain(const char *v, const char **msgs); /* most object names */
int skiff_api_check_dns1123_label(const char *v, const char **msgs);     /* namespaces, ports */
int skiff_api_check_dns1035_label(const char *v, const char **msgs);     /* service names */
int skiff_api_check_qualified_name(const char *v, const char **msgs);    /* label/annotation keys */
int skiff_api_check_label_value(const char *v, const char **msgs);
/* Names used as a URL path segment: "may not be '.'", "may not be '..'",
 * "may not contain '/'", "may not contain '%'". kube-apiserver refuses such
 * names before anything else (400 BadRequest on a URL, 422 in a body). */
int skiff_api_check_path_segment_name(const char *v, const char **msgs);

/* ---- causes (details.causes of a Status) ----
 * `causes` is a cJSON array owned by the caller; each add appends
 * {"reason":TYPE,"message":MSG,"field":FIELD}. Returns 0 or -ENOMEM. */
int skiff_api_causes_add(cJSON *causes, const char *reason, const char *field, const char *message);
/* reason FieldValueInvalid, message `Invalid value: "<value>": <detail>` (value
 * quoted as Go's %q). */
int skiff_api_causes_invalid(cJSON *causes, const char *field, const char *value, const char *detail);
/* reason FieldValueRequired, message `Required value: <detail>`. */
int skiff_api_causes_required(cJSON *causes, const char *field, const char *detail);
/* reason FieldValueTooLong, message `Too long: must have at most <max> bytes`. */
int skiff_api_causes_too_long(cJSON *causes, const char *field, long max);

/* Which rule object names follow (kube's nameFn per resource). */
typedef enum {
    SKIFF_API_NAME_SUBDOMAIN, /* default: ConfigMap, Secret, Pod, Deployment... */
    SKIFF_API_NAME_LABEL,     /* Namespace */
    SKIFF_API_NAME_DNS1035,   /* Service */
    SKIFF_API_NAME_PATH_SEGMENT, /* RBAC kinds: any path segment ("system:controller:x") */
} skiff_api_name_rule_t;

/* kube's name rule for a kind: Namespace -> LABEL, Service -> DNS1035,
 * Role/ClusterRole/RoleBinding/ClusterRoleBinding -> PATH_SEGMENT, anything
 * else -> SUBDOMAIN. */
skiff_api_name_rule_t skiff_api_name_rule_for_kind(const char *kind);

/* ValidateObjectMeta: metadata.name (or generateName) by `rule` (and as a
 * path segment), metadata.namespace as a label when `namespaced`, labels,
 * annotation keys and total size. Appends to `causes`; returns how many
 * were added (0 = valid) or -ENOMEM. `obj` is borrowed. */
int skiff_api_validate_object_meta(const cJSON *obj, skiff_api_name_rule_t rule, int namespaced, cJSON *causes);

/* A 422 Status body: {"kind":"Status","apiVersion":"v1","metadata":{},
 * "status":"Failure","message":"Deployment.apps \"web\" is invalid: <f>: <m>",
 * "reason":"Invalid","details":{"name","group","kind","causes"},"code":422}.
 * `kind` is the Kind ("Deployment"), `group` "" for core; the message joins
 * several causes as kube does: `[a, b]`. Takes ownership of `causes` (also
 * on failure); returns a NEW tree the caller frees, or NULL on ENOMEM. */
cJSON *skiff_api_status_invalid(const char *kind, const char *group, const char *name, cJSON *causes);

#endif
