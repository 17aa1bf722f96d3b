/* core/api/names — object name checks with Kubernetes' messages (the
 * minimum the server needs before every write; label/annotation rules live
 * with the validate library when it is built in). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "api/internal.h"
#include "api/names.h"

static int label_ok(const char *s, size_t n)
{
    if (n == 0 || n > 63) return 0;
    if (!isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1])) return 0;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-')) return 0;
    return 1;
}

void apisrv_check_name(const apisrv_resource_t *r, const char *name, apisrv_invalid_t *inv)
{
    size_t n = strlen(name);
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        apisrv_invalid_add(inv, "FieldValueInvalid", "metadata.name", "Invalid value: \"%s\": may not be '%s'", name, name);
        return;
    }
    if (strchr(name, '/') || strchr(name, '%')) {
        apisrv_invalid_add(inv, "FieldValueInvalid", "metadata.name", "Invalid value: \"%s\": may not contain '%c'",
                           name, strchr(name, '/') ? '/' : '%');
        return;
    }
    if (r->dns_label_name) {
        if (!label_ok(name, n))
            apisrv_invalid_add(inv, "FieldValueInvalid", "metadata.name",
                               "Invalid value: \"%.80s\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')", name);
        return;
    }
    int ok = n > 0 && n <= 253;
    for (const char *p = name; ok && *p;) {
        size_t l = strcspn(p, ".");
        ok = label_ok(p, l);
        p += l;
        if (*p == '.') { p++; ok = ok && *p; }
    }
    if (!ok)
        apisrv_invalid_add(inv, "FieldValueInvalid", "metadata.name",
                           "Invalid value: \"%.80s\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')", name);
}

void apisrv_check_labels(const cJSON *labels, apisrv_invalid_t *inv)
{
    const cJSON *l;
    cJSON_ArrayForEach(l, labels) {
        if (!cJSON_IsString(l)) {
            apisrv_invalid_add(inv, "FieldValueInvalid", "metadata.labels", "Invalid value: label %s must be a string", l->string);
            continue;
        }
        const char *v = l->valuestring;
        size_t n = strlen(v);
        int ok = n <= 63;
        for (size_t i = 0; ok && i < n; i++)
            ok = isalnum((unsigned char)v[i]) || ((v[i] == '-' || v[i] == '_' || v[i] == '.') && i > 0 && i < n - 1);
        if (!ok)
            apisrv_invalid_add(inv, "FieldValueInvalid", "metadata.labels",
                               "Invalid value: \"%.80s\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')", v);
        const char *k = l->string, *slash = strrchr(k, '/');
        const char *nm = slash ? slash + 1 : k;
        size_t kn = strlen(nm);
        ok = kn > 0 && kn <= 63 && isalnum((unsigned char)nm[0]) && isalnum((unsigned char)nm[kn - 1]);
        for (size_t i = 0; ok && i < kn; i++) ok = isalnum((unsigned char)nm[i]) || strchr("-_.", nm[i]);
        if (ok && slash) ok = slash > k && (size_t)(slash - k) <= 253;
        if (!ok)
            apisrv_invalid_add(inv, "FieldValueInvalid", "metadata.labels",
                               "Invalid value: \"%.80s\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", k);
    }
}
