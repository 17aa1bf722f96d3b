/* core/api/kinds_policy — policy/v1 PodDisruptionBudget: validation as
 * kube's ValidatePodDisruptionBudget(Spec) and the columns `kubectl get pdb`
 * shows (NAME MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE). The
 * status is the disruption controller's (core/controller/disruption.c) and
 * the eviction subresource's (eviction.c); a create starts with none. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/kinds.h"
#include "api/selector.h"

static const cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

/* appsvalidation.ValidatePositiveIntOrPercent + IsNotMoreThan100Percent. */
static void int_or_percent(const cJSON *v, const char *field, apisrv_invalid_t *inv)
{
    if (cJSON_IsNumber(v)) {
        /* an int32 (IntOrString): anything else is refused before any cast */
        if (!(v->valuedouble >= -2147483648.0 && v->valuedouble <= 2147483647.0) ||
            v->valuedouble != (double)(long long)v->valuedouble)
            apisrv_invalid_add(inv, "FieldValueInvalid", field, "Invalid value: %g: must be an integer or percentage (e.g '5%%')", v->valuedouble);
        else if (v->valuedouble < 0)
            apisrv_invalid_add(inv, "FieldValueInvalid", field, "Invalid value: %lld: must be greater than or equal to 0", (long long)v->valuedouble);
        return;
    }
    if (!cJSON_IsString(v)) {
        apisrv_invalid_add(inv, "FieldValueInvalid", field, "Invalid value: must be an integer or percentage (e.g '5%%')");
        return;
    }
    const char *s = v->valuestring;
    size_t n = strlen(s), i = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    if (i == 0 || i + 1 != n || s[i] != '%' || i > 9) {
        apisrv_invalid_add(inv, "FieldValueInvalid", field, "Invalid value: \"%.40s\": must be an integer or percentage (e.g '5%%')", s);
        return;
    }
    if (atoi(s) > 100)
        apisrv_invalid_add(inv, "FieldValueInvalid", field, "Invalid value: \"%.40s\": must not be greater than 100%%", s);
}

int apisrv_prepare_pdb(apisrv_call_t *c, cJSON *obj, const cJSON *old, apisrv_invalid_t *inv)
{
    (void)c; (void)old;
    const cJSON *spec = get(obj, "spec");
    if (spec && !cJSON_IsObject(spec)) {
        apisrv_invalid_add(inv, "FieldValueInvalid", "spec", "Invalid value: must be an object");
        return 0;
    }
    const cJSON *min = get(spec, "minAvailable"), *max = get(spec, "maxUnavailable");
    if (cJSON_IsNull(min)) min = NULL;
    if (cJSON_IsNull(max)) max = NULL;
    if (min && max)
        apisrv_invalid_add(inv, "FieldValueInvalid", "spec", "Invalid value: \"object\": minAvailable and maxUnavailable cannot be both set");
    if (min) int_or_percent(min, "spec.minAvailable", inv);
    if (max) int_or_percent(max, "spec.maxUnavailable", inv);
    const cJSON *sel = get(spec, "selector");
    if (sel && !cJSON_IsNull(sel)) {
        skiff_api_selector_t *s = NULL;
        skiff_error_t err;
        if (!cJSON_IsObject(sel))
            apisrv_invalid_add(inv, "FieldValueInvalid", "spec.selector", "Invalid value: must be an object");
        else if (skiff_api_label_selector_from_object(sel, &s, &err) < 0)
            apisrv_invalid_add(inv, "FieldValueInvalid", "spec.selector", "Invalid value: %s", err.msg);
        skiff_api_selector_free(s);
    }
    const cJSON *up = get(spec, "unhealthyPodEvictionPolicy");
    if (up && !cJSON_IsNull(up) &&
        (!cJSON_IsString(up) || (strcmp(up->valuestring, "AlwaysAllow") && strcmp(up->valuestring, "IfHealthyBudget"))))
        apisrv_invalid_add(inv, "FieldValueNotSupported", "spec.unhealthyPodEvictionPolicy",
                           "Unsupported value: \"%.40s\": supported values: \"AlwaysAllow\", \"IfHealthyBudget\"",
                           cJSON_IsString(up) ? up->valuestring : "non-string");
    return 0;
}

/* ---- kubectl get pdb ---- */

const apisrv_column_t apisrv_cols_pdb[] = {
    { "Name", "string", "name", 0 }, { "Min Available", "string", "", 0 }, { "Max Unavailable", "string", "", 0 },
    { "Allowed Disruptions", "integer", "", 0 }, { "Age", "string", "", 0 }, { NULL, NULL, NULL, 0 }
};

static void int_or_percent_cell(cJSON *cells, const cJSON *v)
{
    char buf[64];
    if (cJSON_IsNumber(v)) snprintf(buf, sizeof buf, "%lld", (long long)v->valuedouble);
    else if (cJSON_IsString(v)) snprintf(buf, sizeof buf, "%s", v->valuestring);
    else snprintf(buf, sizeof buf, "N/A");
    cJSON_AddItemToArray(cells, cJSON_CreateString(buf));
}

void apisrv_cells_pdb(const cJSON *obj, cJSON *cells, int64_t now)
{
    const char *name = apisrv_str(obj, "metadata.name");
    cJSON_AddItemToArray(cells, cJSON_CreateString(name ? name : ""));
    const cJSON *spec = get(obj, "spec");
    int_or_percent_cell(cells, get(spec, "minAvailable"));
    int_or_percent_cell(cells, get(spec, "maxUnavailable"));
    const cJSON *d = get(get(obj, "status"), "disruptionsAllowed");
    cJSON_AddItemToArray(cells, cJSON_CreateNumber(cJSON_IsNumber(d) ? d->valuedouble : 0));
    int64_t t = apisrv_parse_time(apisrv_str(obj, "metadata.creationTimestamp"));
    char age[32];
    if (t) apisrv_human_age((now - t) / 1000000000, age, sizeof age);
    else snprintf(age, sizeof age, "<unknown>");
    cJSON_AddItemToArray(cells, cJSON_CreateString(age));
}
