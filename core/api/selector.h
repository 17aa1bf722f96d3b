/* core/api/selector — label selectors and field selectors, as
 * k8s.io/apimachinery's labels.Parse / metav1.LabelSelectorAsSelector /
 * fields.ParseSelector understand them (?labelSelector=, ?fieldSelector=,
 * spec.selector of workloads and services).
 *
 * Label selector grammar: comma-separated requirements
 *   key  !key  key=v  key==v  key!=v  key in (a,b)  key notin (a,b)  key>3  key<3
 * keys are qualified names (prefix/name), values label values; messages are
 * kube's, e.g. `unable to parse requirement: found ')', expected: in, notin,
 * =, ==, !=, gt, lt`, and the byte offset of the offending token is given
 * separately. Both parsers produce the same matcher.
 */
#ifndef SKIFF_CORE_API_SELECTOR_H
#define SKIFF_CORE_API_SELECTOR_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <skiff/error.h>

typedef enum {
    SKIFF_SEL_EQ,         /* = or == */
    SKIFF_SEL_NEQ,        /* != (also true when the key is absent) */
    SKIFF_SEL_IN,
    SKIFF_SEL_NOTIN,      /* also true when the key is absent */
    SKIFF_SEL_EXISTS,
    SKIFF_SEL_NOT_EXISTS, /* !key */
    SKIFF_SEL_GT,
    SKIFF_SEL_LT,
} skiff_api_selop_t;

typedef struct skiff_api_requirement {
    char *key;
    skiff_api_selop_t op;
    char **values;   /* sorted and unique for in/notin */
    int nvalues;
} skiff_api_requirement_t;

/* A parsed selector. Requirements are ANDed. `nothing` marks the selector
 * that matches no object (a null LabelSelector, as kube's Nothing()). */
typedef struct skiff_api_selector {
    skiff_api_requirement_t *reqs;
    int n;
    int nothing;
} skiff_api_selector_t;

/* Parse a label selector string ("" matches everything). *out is new; free
 * with skiff_api_selector_free. On SKIFF_E_INVALID, *err_pos (optional) is
 * the byte offset where parsing failed and err->msg kube's text. */
int skiff_api_label_selector_parse(const char *text, skiff_api_selector_t **out, size_t *err_pos, skiff_error_t *err);

/* A metav1.LabelSelector object {matchLabels:{}, matchExpressions:[{key,
 * operator: In|NotIn|Exists|DoesNotExist, values}]} (borrowed). NULL or JSON
 * null matches nothing; {} matches everything, as kube. *out is new.
 * SKIFF_E_INVALID names the field: `matchExpressions[0].operator: "Foo" is
 * not a valid label selector operator`. */
int skiff_api_label_selector_from_object(const cJSON *ls, skiff_api_selector_t **out, skiff_error_t *err);

/* 1 if the labels object (a map of strings; NULL = no labels) matches. */
int skiff_api_selector_matches(const skiff_api_selector_t *sel, const cJSON *labels);

/* kube's String(): requirements sorted by key, e.g. "app=web,tier in (a,b)".
 * Returns a malloc'd string the caller frees, or NULL on ENOMEM. */
char *skiff_api_selector_format(const skiff_api_selector_t *sel);

void skiff_api_selector_free(skiff_api_selector_t *sel);

/* ---- field selectors ---- */

typedef struct skiff_api_field_req {
    char *field;
    char *value;   /* unescaped */
    int negate;    /* != */
} skiff_api_field_req_t;

typedef struct skiff_api_field_selector {
    skiff_api_field_req_t *reqs;
    int n;
} skiff_api_field_selector_t;

/* Parse "a=b,c==d,e!=f" ("" matches everything; `\,` `\=` `\\` escape).
 * Error as kube: `invalid selector: 'x'; can't understand 'x'`. *out is new. */
int skiff_api_field_selector_parse(const char *text, skiff_api_field_selector_t **out, skiff_error_t *err);

/* Refuse fields not in the NULL-terminated `allowed` list:
 * `field label not supported: spec.foo` (kube answers 400 BadRequest). */
int skiff_api_field_selector_check(const skiff_api_field_selector_t *sel, const char *const *allowed, skiff_error_t *err);

/* The fields kube-apiserver supports in field selectors for a resource
 * (plural name: "pods", "events", "nodes", "namespaces", "secrets",
 * "replicasets", "jobs", "services"...); always metadata.name and
 * metadata.namespace. A static NULL-terminated list, never freed. */
const char *const *skiff_api_field_selector_allowed(const char *resource);

/* How the server exposes an object's fields: write the value of `field` for
 * `obj` into buf (NUL-terminated) and return 0, or return non-zero if the
 * field is unknown for this resource (the object then does not match). */
typedef int (*skiff_api_field_fn)(const cJSON *obj, const char *field, char *buf, size_t len, void *arg);

/* The default extractor: follows the dotted path in obj ("metadata.name",
 * "spec.nodeName", "status.phase", "involvedObject.kind"...); strings as
 * they are, numbers and booleans printed; a missing field is "" (so
 * `involvedObject.namespace=` matches cluster-scoped objects, as in kube). */
int skiff_api_field_get_default(const cJSON *obj, const char *field, char *buf, size_t len, void *arg);

/* 1 if obj matches every requirement; `get` NULL = the default extractor. */
int skiff_api_field_selector_matches(const skiff_api_field_selector_t *sel, const cJSON *obj,
                                     skiff_api_field_fn get, void *arg);

void skiff_api_field_selector_free(skiff_api_field_selector_t *sel);

#endif
