/* Kubernetes validation rules and messages; see validate.h. Wording follows
 * k8s.io/apimachinery/pkg/util/validation (RegexError joins examples with
 * ", or " — hence the double space). */
#include "api/validate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DNS1123_LABEL_MAX 63
#define DNS1123_SUBDOMAIN_MAX 253
#define QNAME_MAX 63
#define LABEL_VALUE_MAX 63

static const char MSG_SUBDOMAIN[] =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and "
    "end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
static const char MSG_PREFIX_SUBDOMAIN[] =
    "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
static const char MSG_LABEL[] =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an "
    "alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
static const char MSG_DNS1035[] =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and "
    "end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
    "'[a-z]([-a-z0-9]*[a-z0-9])?')";
static const char MSG_QNAME_PART[] =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
    "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
static const char MSG_QNAME[] =
    "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. "
    "'example.com/MyName')";
static const char MSG_LABEL_VALUE[] =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and "
    "end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

static int lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
static int alnum(char c) { return lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over s[0..n) */
static int is_label_run(const char *s, size_t n)
{
    if (n == 0 || !lower_alnum(s[0]) || !lower_alnum(s[n - 1])) return 0;
    for (size_t i = 1; i + 1 < n; i++) if (!lower_alnum(s[i]) && s[i] != '-') return 0;
    return 1;
}

static int is_subdomain(const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (!is_label_run(s + start, i - start)) return 0;
            start = i + 1;
        }
    }
    return 1;
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static int is_qname_part(const char *s, size_t n)
{
    if (n == 0 || !alnum(s[0]) || !alnum(s[n - 1])) return 0;
    for (size_t i = 1; i + 1 < n; i++) if (!alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.') return 0;
    return 1;
}

int skiff_api_check_dns1123_subdomain(const char *v, const char **msgs)
{
    int n = 0;
    size_t len = strlen(v);
    if (len > DNS1123_SUBDOMAIN_MAX) msgs[n++] = "must be no more than 253 characters";
    if (!is_subdomain(v, len)) msgs[n++] = MSG_SUBDOMAIN;
    return n;
}

int skiff_api_check_dns1123_label(const char *v, const char **msgs)
{
    int n = 0;
    size_t len = strlen(v);
    if (len > DNS1123_LABEL_MAX) msgs[n++] = "must be no more than 63 characters";
    if (!is_label_run(v, len)) msgs[n++] = MSG_LABEL;
    return n;
}

int skiff_api_check_dns1035_label(const char *v, const char **msgs)
{
    int n = 0;
    size_t len = strlen(v);
    if (len > DNS1123_LABEL_MAX) msgs[n++] = "must be no more than 63 characters";
    if (!is_label_run(v, len) || !(v[0] >= 'a' && v[0] <= 'z')) msgs[n++] = MSG_DNS1035;
    return n;
}

int skiff_api_check_qualified_name(const char *v, const char **msgs)
{
    int n = 0;
    const char *slash = strchr(v, '/');
    const char *name = v;
    if (slash) {
        if (strchr(slash + 1, '/')) { msgs[n++] = MSG_QNAME; return n; }
        size_t plen = (size_t)(slash - v);
        name = slash + 1;
        if (plen == 0) msgs[n++] = "prefix part must be non-empty";
        else {
            if (plen > DNS1123_SUBDOMAIN_MAX) msgs[n++] = "prefix part must be no more than 253 characters";
            if (!is_subdomain(v, plen)) msgs[n++] = MSG_PREFIX_SUBDOMAIN;
        }
    }
    size_t len = strlen(name);
    if (len == 0) { msgs[n++] = "name part must be non-empty"; return n; }
    if (len > QNAME_MAX) msgs[n++] = "name part must be no more than 63 characters";
    if (!is_qname_part(name, len)) msgs[n++] = MSG_QNAME_PART;
    return n;
}

int skiff_api_check_label_value(const char *v, const char **msgs)
{
    int n = 0;
    size_t len = strlen(v);
    if (len > LABEL_VALUE_MAX) msgs[n++] = "must be no more than 63 characters";
    if (len && !is_qname_part(v, len)) msgs[n++] = MSG_LABEL_VALUE;
    return n;
}

int skiff_api_check_path_segment_name(const char *v, const char **msgs)
{
    int n = 0;
    if (!strcmp(v, ".")) { msgs[n++] = "may not be '.'"; return n; }
    if (!strcmp(v, "..")) { msgs[n++] = "may not be '..'"; return n; }
    if (strchr(v, '/')) msgs[n++] = "may not contain '/'";
    if (strchr(v, '%')) msgs[n++] = "may not contain '%'";
    return n;
}

int skiff_api_causes_add(cJSON *causes, const char *reason, const char *field, const char *message)
{
    cJSON *c = cJSON_CreateObject();
    if (!c) return -ENOMEM;
    if (!cJSON_AddStringToObject(c, "reason", reason) || !cJSON_AddStringToObject(c, "message", message) ||
        !cJSON_AddStringToObject(c, "field", field) || !cJSON_AddItemToArray(causes, c)) {
        cJSON_Delete(c);
        return -ENOMEM;
    }
    return 0;
}

/* Go's %q for the ASCII cases that matter: quotes, backslashes, control bytes. */
static char *go_quote(const char *v)
{
    size_t n = strlen(v);
    char *q = malloc(n * 4 + 3), *o = q;
    if (!q) return NULL;
    *o++ = '"';
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p == '"' || *p == '\\') { *o++ = '\\'; *o++ = (char)*p; }
        else if (*p == '\n') { *o++ = '\\'; *o++ = 'n'; }
        else if (*p == '\t') { *o++ = '\\'; *o++ = 't'; }
        else if (*p < 0x20 || *p == 0x7f) o += sprintf(o, "\\x%02x", *p);
        else *o++ = (char)*p;
    }
    *o++ = '"';
    *o = '\0';
    return q;
}

int skiff_api_causes_invalid(cJSON *causes, const char *field, const char *value, const char *detail)
{
    char *q = go_quote(value);
    if (!q) return -ENOMEM;
    size_t len = strlen(q) + strlen(detail) + 32;
    char *m = malloc(len);
    if (!m) { free(q); return -ENOMEM; }
    snprintf(m, len, "Invalid value: %s: %s", q, detail);
    int rc = skiff_api_causes_add(causes, "FieldValueInvalid", field, m);
    free(q); free(m);
    return rc;
}

int skiff_api_causes_required(cJSON *causes, const char *field, const char *detail)
{
    size_t len = strlen(detail) + 32;
    char *m = malloc(len);
    if (!m) return -ENOMEM;
    snprintf(m, len, "Required value: %s", detail);
    int rc = skiff_api_causes_add(causes, "FieldValueRequired", field, m);
    free(m);
    return rc;
}

int skiff_api_causes_too_long(cJSON *causes, const char *field, long max)
{
    char m[96];
    snprintf(m, sizeof m, "Too long: must have at most %ld bytes", max);
    return skiff_api_causes_add(causes, "FieldValueTooLong", field, m);
}

/* Add one cause per message; returns count or -ENOMEM. */
static int add_all(cJSON *causes, const char *field, const char *value, const char **msgs, int n)
{
    for (int i = 0; i < n; i++)
        if (skiff_api_causes_invalid(causes, field, value, msgs[i])) return -ENOMEM;
    return n;
}

skiff_api_name_rule_t skiff_api_name_rule_for_kind(const char *kind)
{
    static const char *const rbac[] = { "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", NULL };
    if (!kind) return SKIFF_API_NAME_SUBDOMAIN;
    if (!strcmp(kind, "Namespace")) return SKIFF_API_NAME_LABEL;
    if (!strcmp(kind, "Service")) return SKIFF_API_NAME_DNS1035;
    for (int i = 0; rbac[i]; i++) if (!strcmp(kind, rbac[i])) return SKIFF_API_NAME_PATH_SEGMENT;
    return SKIFF_API_NAME_SUBDOMAIN;
}

/* The name rule proper; path-segment checks are made for every rule. */
static int check_name(const char *v, skiff_api_name_rule_t rule, const char **msgs)
{
    switch (rule) {
    case SKIFF_API_NAME_PATH_SEGMENT: return 0;
    case SKIFF_API_NAME_LABEL: return skiff_api_check_dns1123_label(v, msgs);
    case SKIFF_API_NAME_DNS1035: return skiff_api_check_dns1035_label(v, msgs);
    default: return skiff_api_check_dns1123_subdomain(v, msgs);
    }
}

int skiff_api_validate_object_meta(const cJSON *obj, skiff_api_name_rule_t rule, int namespaced, cJSON *causes)
{
    const char *msgs[SKIFF_API_CHECK_MAX * 2];
    int total = 0, n, rc;
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(md, "name");
    const cJSON *gen = cJSON_GetObjectItemCaseSensitive(md, "generateName");
    if (cJSON_IsString(gen) && gen->valuestring[0]) {
        /* kube validates the prefix with a trailing '-' tolerated (maskTrailingDash). */
        char *g = strdup(gen->valuestring);
        if (!g) return -ENOMEM;
        size_t gl = strlen(g);
        if (gl > 1 && g[gl - 1] == '-') g[gl - 1] = 'a';
        n = check_name(g, rule, msgs);
        free(g);
        if ((rc = add_all(causes, "metadata.generateName", gen->valuestring, msgs, n)) < 0) return rc;
        total += rc;
    }
    if (!cJSON_IsString(name) || !name->valuestring[0]) {
        if (!(cJSON_IsString(gen) && gen->valuestring[0])) {
            if (skiff_api_causes_required(causes, "metadata.name", "name or generateName is required")) return -ENOMEM;
            total++;
        }
    } else {
        n = skiff_api_check_path_segment_name(name->valuestring, msgs);
        n += check_name(name->valuestring, rule, msgs + n);
        if ((rc = add_all(causes, "metadata.name", name->valuestring, msgs, n)) < 0) return rc;
        total += rc;
    }
    const cJSON *ns = cJSON_GetObjectItemCaseSensitive(md, "namespace");
    if (namespaced && cJSON_IsString(ns) && ns->valuestring[0]) {
        n = skiff_api_check_dns1123_label(ns->valuestring, msgs);
        if ((rc = add_all(causes, "metadata.namespace", ns->valuestring, msgs, n)) < 0) return rc;
        total += rc;
    } else if (!namespaced && cJSON_IsString(ns) && ns->valuestring[0]) {
        if (skiff_api_causes_add(causes, "FieldValueForbidden", "metadata.namespace",
                                 "Forbidden: not allowed on this type")) return -ENOMEM;
        total++;
    }
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(md, "labels"), *e;
    const cJSON *ann = cJSON_GetObjectItemCaseSensitive(md, "annotations");
    /* Kubernetes fails to decode such a body; say so instead of walking it. */
    if (labels && !cJSON_IsObject(labels) && !cJSON_IsNull(labels)) {
        if (skiff_api_causes_add(causes, "FieldValueInvalid", "metadata.labels", "Invalid value: must be a map of strings")) return -ENOMEM;
        total++;
        labels = NULL;
    }
    if (ann && !cJSON_IsObject(ann) && !cJSON_IsNull(ann)) {
        if (skiff_api_causes_add(causes, "FieldValueInvalid", "metadata.annotations", "Invalid value: must be a map of strings")) return -ENOMEM;
        total++;
        ann = NULL;
    }
    cJSON_ArrayForEach(e, labels) {
        n = skiff_api_check_qualified_name(e->string, msgs);
        if ((rc = add_all(causes, "metadata.labels", e->string, msgs, n)) < 0) return rc;
        total += rc;
        if (!cJSON_IsString(e)) {
            if (skiff_api_causes_add(causes, "FieldValueInvalid", "metadata.labels", "Invalid value: label values must be strings")) return -ENOMEM;
            total++;
            continue;
        }
        n = skiff_api_check_label_value(e->valuestring, msgs);
        if ((rc = add_all(causes, "metadata.labels", e->valuestring, msgs, n)) < 0) return rc;
        total += rc;
    }
    size_t bytes = 0;
    cJSON_ArrayForEach(e, ann) {
        char *lower = strdup(e->string);
        if (!lower) return -ENOMEM;
        for (char *p = lower; *p; p++) if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
        n = skiff_api_check_qualified_name(lower, msgs);
        free(lower);
        if ((rc = add_all(causes, "metadata.annotations", e->string, msgs, n)) < 0) return rc;
        total += rc;
        bytes += strlen(e->string) + (cJSON_IsString(e) ? strlen(e->valuestring) : 0);
    }
    if (bytes > SKIFF_API_ANNOTATIONS_MAX_BYTES) {
        if (skiff_api_causes_too_long(causes, "metadata.annotations", SKIFF_API_ANNOTATIONS_MAX_BYTES)) return -ENOMEM;
        total++;
    }
    return total;
}

cJSON *skiff_api_status_invalid(const char *kind, const char *group, const char *name, cJSON *causes)
{
    if (!kind) kind = "";
    if (!group) group = "";
    if (!name) name = "";
    if (!causes && !(causes = cJSON_CreateArray())) return NULL;
    cJSON *st = cJSON_CreateObject(), *det = cJSON_CreateObject();
    int n = cJSON_GetArraySize(causes);
    size_t len = 256;
    const cJSON *c;
    cJSON_ArrayForEach(c, causes) {
        len += strlen(cJSON_GetStringValue(cJSON_GetObjectItem(c, "field")) ?: "") +
               strlen(cJSON_GetStringValue(cJSON_GetObjectItem(c, "message")) ?: "") + 4;
    }
    len += strlen(kind) + strlen(group) + strlen(name);
    char *msg = malloc(len);
    if (!st || !det || !msg) goto oom;
    size_t o = (size_t)snprintf(msg, len, "%s%s%s \"%s\" is invalid: %s", kind, group[0] ? "." : "", group, name, n > 1 ? "[" : "");
    int i = 0;
    cJSON_ArrayForEach(c, causes) {
        o += (size_t)snprintf(msg + o, len - o, "%s%s: %s", i++ ? ", " : "",
                              cJSON_GetStringValue(cJSON_GetObjectItem(c, "field")) ?: "",
                              cJSON_GetStringValue(cJSON_GetObjectItem(c, "message")) ?: "");
    }
    if (n > 1) snprintf(msg + o, len - o, "]");
    cJSON_AddStringToObject(st, "kind", "Status");
    cJSON_AddStringToObject(st, "apiVersion", "v1");
    cJSON_AddItemToObject(st, "metadata", cJSON_CreateObject());
    cJSON_AddStringToObject(st, "status", "Failure");
    cJSON_AddStringToObject(st, "message", msg);
    cJSON_AddStringToObject(st, "reason", "Invalid");
    cJSON_AddStringToObject(det, "name", name);
    if (group[0]) cJSON_AddStringToObject(det, "group", group);
    cJSON_AddStringToObject(det, "kind", kind);
    cJSON_AddItemToObject(det, "causes", causes);
    causes = NULL;
    cJSON_AddItemToObject(st, "details", det);
    det = NULL;
    cJSON_AddNumberToObject(st, "code", 422);
    free(msg);
    if (cJSON_GetArraySize(st) != 8) { cJSON_Delete(st); return NULL; }
    return st;
oom:
    free(msg);
    cJSON_Delete(st);
    cJSON_Delete(det);
    cJSON_Delete(causes);
    return NULL;
}
