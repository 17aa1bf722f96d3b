/* core/api/names — metadata checks before every write, on the validate
 * library (core/api/validate.h): name by the kind's rule, namespace,
 * labels, annotations; its causes become the 422's causes. */
#include <stdio.h>
#include <string.h>

#include "api/internal.h"
#include "api/names.h"
#include "api/validate.h"

void apisrv_check_meta(const apisrv_resource_t *r, const cJSON *obj, apisrv_invalid_t *inv)
{
    cJSON *causes = cJSON_CreateArray();
    if (!causes) {
        apisrv_invalid_add(inv, "InternalError", "metadata", "out of memory validating metadata");
        return;
    }
    /* the kind's rule (RBAC kinds take any path segment: "system:discovery") */
    skiff_api_name_rule_t rule = skiff_api_name_rule_for_kind(r->kind);
    skiff_api_validate_object_meta(obj, rule, r->namespaced, causes);
    const cJSON *x;
    cJSON_ArrayForEach(x, causes) {
        const char *reason = apisrv_str(x, "reason"), *field = apisrv_str(x, "field"), *msg = apisrv_str(x, "message");
        apisrv_invalid_add(inv, reason ? reason : "FieldValueInvalid", field ? field : "", "%s", msg ? msg : "invalid");
    }
    cJSON_Delete(causes);
}
