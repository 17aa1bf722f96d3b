/* core/api/reviews — the create-only review kinds: SubjectAccessReview and
 * LocalSubjectAccessReview (would someone else be allowed? webhooks and
 * `kubectl create -f` ask), and what kubectl's `auth` commands post:
 * SelfSubjectAccessReview (`kubectl auth can-i`: would the
 * caller be allowed?), SelfSubjectRulesReview (`kubectl auth can-i --list`:
 * what may the caller do in a namespace?) and SelfSubjectReview (`kubectl auth whoami`: who
 * does the server think the caller is?). Nothing is stored; the answer is
 * the posted object with a status, 201 Created, as kube-apiserver does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/authz.h"
#include "api/body.h"
#include "api/kinds.h"
#include "api/satoken.h"

static int only_create(apisrv_call_t *c)
{
    if (c->verb == APISRV_VERB_CREATE && !c->name[0] && !c->sub[0]) return 0;
    apisrv_fail(c, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    return -1;
}

static const char *str_at(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(x) ? x->valuestring : "";
}

cJSON *apisrv_user_info_json(const skiff_api_user_t *u)
{
    cJSON *ui = cJSON_CreateObject();
    cJSON_AddStringToObject(ui, "username", u->name);
    if (u->uid && *u->uid) cJSON_AddStringToObject(ui, "uid", u->uid);
    cJSON *g = cJSON_AddArrayToObject(ui, "groups");
    for (size_t i = 0; i < u->ngroups; i++) cJSON_AddItemToArray(g, cJSON_CreateString(u->groups[i]));
    return ui;
}

/* kube's field.Invalid prints a struct value with %#v */
static void nonres_value(const cJSON *na, char *buf, size_t len)
{
    snprintf(buf, len, "authorization.NonResourceAttributes{Path:\"%.200s\", Verb:\"%.50s\"}", str_at(na, "path"),
             str_at(na, "verb"));
}

/* The attributes a review asks about (spec.resourceAttributes or
 * spec.nonResourceAttributes; exactly one: kube's
 * ValidateSubjectAccessReviewSpec). Strings are borrowed from spec. */
static void review_attrs(const cJSON *spec, apisrv_authz_attrs_t *a, apisrv_invalid_t *inv)
{
    const cJSON *ra = cJSON_GetObjectItemCaseSensitive(spec, "resourceAttributes");
    const cJSON *na = cJSON_GetObjectItemCaseSensitive(spec, "nonResourceAttributes");
    char v[320];
    if (cJSON_IsObject(ra) && cJSON_IsObject(na)) {
        nonres_value(na, v, sizeof v);
        apisrv_invalid_add(inv, "FieldValueInvalid", "spec.nonResourceAttributes",
                           "Invalid value: %s: cannot be specified in combination with resourceAttributes", v);
    } else if (!cJSON_IsObject(ra) && !cJSON_IsObject(na)) {
        apisrv_invalid_add(inv, "FieldValueRequired", "spec.resourceAttributes",
                           "Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified");
    }
    if (cJSON_IsObject(ra)) {
        a->resource_request = 1;
        a->verb = str_at(ra, "verb");
        a->group = str_at(ra, "group");
        a->resource = str_at(ra, "resource");
        a->subresource = str_at(ra, "subresource");
        a->namespace_ = str_at(ra, "namespace");
        a->name = str_at(ra, "name");
    } else {
        a->verb = str_at(na, "verb");
        a->path = str_at(na, "path");
    }
}

/* The decision as kube's SubjectAccessReviewStatus, replacing any sent. */
static void review_answer(apisrv_call_t *c, cJSON *o, const apisrv_authz_attrs_t *a)
{
    char reason[600];
    int allowed = apisrv_authorize_explain(c->s, a, reason, sizeof reason);
    cJSON_DeleteItemFromObjectCaseSensitive(o, "status");
    cJSON *st = cJSON_AddObjectToObject(o, "status");
    cJSON_AddBoolToObject(st, "allowed", allowed);
    if (reason[0]) cJSON_AddStringToObject(st, "reason", reason);
    cJSON *m = apisrv_obj_at(o, "metadata");
    if (!cJSON_GetObjectItemCaseSensitive(m, "creationTimestamp")) cJSON_AddNullToObject(m, "creationTimestamp");
}

int apisrv_handle_ssar(apisrv_call_t *c)
{
    if (only_create(c) < 0) return 0;
    cJSON *o = apisrv_body_parse(c, 0);
    if (!o) return 0;
    if (apisrv_body_check_kind(c, o, "SelfSubjectAccessReview", "authorization.k8s.io/v1") < 0) { cJSON_Delete(o); return 0; }
    const skiff_api_user_t *u = c->user ? c->user : &skiff_api_user_component;
    apisrv_authz_attrs_t a = { .user = u->name, .groups = u->groups, .ngroups = u->ngroups };
    apisrv_invalid_t inv = { 0 };
    review_attrs(cJSON_GetObjectItemCaseSensitive(o, "spec"), &a, &inv);
    if (inv.n) {
        cJSON_Delete(o);
        return apisrv_fail_invalid(c, "", &inv);
    }
    review_answer(c, o, &a);
    return apisrv_reply_json(c, 201, o);
}

/* metadata of a review must be empty (kube ignores managedFields, and a
 * LocalSubjectAccessReview's namespace); creationTimestamp: null is. */
static int meta_empty(const cJSON *m, int local)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, (cJSON_IsObject(m) ? m : NULL)) {
        if (strcmp(x->string, "managedFields") == 0 || (local && strcmp(x->string, "namespace") == 0)) continue;
        if (cJSON_IsNull(x) || (cJSON_IsString(x) && !*x->valuestring)) continue;
        if ((cJSON_IsObject(x) || cJSON_IsArray(x)) && !x->child) continue;
        return 0;
    }
    return 1;
}

/* SubjectAccessReview (cluster) and LocalSubjectAccessReview (namespaced):
 * would spec.user with spec.groups be allowed? Asked of the same
 * authorizer as every request, with exactly the user and groups given
 * (system:authenticated is not added), as kube's subjectaccessreview and
 * localsubjectaccessreview REST storage do. */
static int subject_review(apisrv_call_t *c, int local)
{
    if (only_create(c) < 0) return 0;
    const char *kind = local ? "LocalSubjectAccessReview" : "SubjectAccessReview";
    cJSON *o = apisrv_body_parse(c, 0);
    if (!o) return 0;
    if (apisrv_body_check_kind(c, o, kind, "authorization.k8s.io/v1") < 0) { cJSON_Delete(o); return 0; }
    cJSON *m = apisrv_obj_at(o, "metadata");
    if (local) {
        /* rest.EnsureObjectNamespaceMatchesRequestNamespace */
        const cJSON *ns = cJSON_GetObjectItemCaseSensitive(m, "namespace");
        if (cJSON_IsString(ns) && *ns->valuestring && strcmp(ns->valuestring, c->ns) != 0) {
            cJSON_Delete(o);
            return apisrv_fail(c, 400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request");
        }
        cJSON_DeleteItemFromObjectCaseSensitive(m, "namespace");
        cJSON_AddStringToObject(m, "namespace", c->ns);
    }
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(o, "spec");
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(spec, "groups"), *g;
    size_t ng = cJSON_IsArray(groups) ? (size_t)cJSON_GetArraySize(groups) : 0;
    const char **gv = calloc(ng ? ng : 1, sizeof *gv);
    if (!gv) { cJSON_Delete(o); return apisrv_fail(c, 500, "InternalError", "out of memory"); }
    size_t n = 0;
    cJSON_ArrayForEach(g, (ng ? groups : NULL)) if (cJSON_IsString(g)) gv[n++] = g->valuestring;
    apisrv_authz_attrs_t a = { .user = str_at(spec, "user"), .groups = gv, .ngroups = n };
    apisrv_invalid_t inv = { 0 };
    review_attrs(spec, &a, &inv);
    if (!*a.user && !n)
        apisrv_invalid_add(&inv, "FieldValueInvalid", "spec.user",
                           "Invalid value: \"\": at least one of user or group must be specified");
    if (!meta_empty(m, local)) {
        char *mj = cJSON_PrintUnformatted(m);
        apisrv_invalid_add(&inv, "FieldValueInvalid", "metadata", "Invalid value: %.250s: %s", mj ? mj : "{}",
                           local ? "must be empty except for namespace" : "must be empty");
        free(mj);
    }
    const cJSON *na = cJSON_GetObjectItemCaseSensitive(spec, "nonResourceAttributes");
    if (local && cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(spec, "resourceAttributes"))
        && strcmp(a.namespace_, c->ns) != 0)
        apisrv_invalid_add(&inv, "FieldValueInvalid", "spec.resourceAttributes.namespace",
                           "Invalid value: \"%.200s\": must match metadata.namespace", a.namespace_);
    if (local && cJSON_IsObject(na)) {
        char v[320];
        nonres_value(na, v, sizeof v);
        apisrv_invalid_add(&inv, "FieldValueInvalid", "spec.nonResourceAttributes",
                           "Invalid value: %s: disallowed on this kind of request", v);
    }
    if (inv.n) {
        free(gv);
        cJSON_Delete(o);
        return apisrv_fail_invalid(c, "", &inv);
    }
    review_answer(c, o, &a);
    free(gv);
    return apisrv_reply_json(c, 201, o);
}

int apisrv_handle_sar(apisrv_call_t *c) { return subject_review(c, 0); }
int apisrv_handle_lsar(apisrv_call_t *c) { return subject_review(c, 1); }

int apisrv_handle_ssr(apisrv_call_t *c)
{
    if (only_create(c) < 0) return 0;
    cJSON *o = NULL;
    if (c->req->body_len) {
        o = apisrv_body_parse(c, 0);
        if (!o) return 0;
        if (apisrv_body_check_kind(c, o, "SelfSubjectReview", "authentication.k8s.io/v1") < 0) { cJSON_Delete(o); return 0; }
    } else {
        o = cJSON_CreateObject();
        if (!o) return apisrv_fail(c, 500, "InternalError", "out of memory");
        cJSON_AddStringToObject(o, "kind", "SelfSubjectReview");
        cJSON_AddStringToObject(o, "apiVersion", "authentication.k8s.io/v1");
    }
    cJSON *m = apisrv_obj_at(o, "metadata");
    if (!cJSON_GetObjectItemCaseSensitive(m, "creationTimestamp")) cJSON_AddNullToObject(m, "creationTimestamp");
    cJSON_DeleteItemFromObjectCaseSensitive(o, "status");
    cJSON *st = cJSON_AddObjectToObject(o, "status");
    cJSON *ui = apisrv_user_info_json(c->user ? c->user : &skiff_api_user_component);
    if (c->user == &c->sa.user) apisrv_sa_extra(&c->sa, ui); /* a service-account token's extra */
    cJSON_AddItemToObject(st, "userInfo", ui);
    return apisrv_reply_json(c, 201, o);
}

int apisrv_handle_ssrr(apisrv_call_t *c)
{
    if (only_create(c) < 0) return 0;
    cJSON *o = apisrv_body_parse(c, 0);
    if (!o) return 0;
    if (apisrv_body_check_kind(c, o, "SelfSubjectRulesReview", "authorization.k8s.io/v1") < 0) { cJSON_Delete(o); return 0; }
    const skiff_api_user_t *u = c->user ? c->user : &skiff_api_user_component;
    apisrv_authz_attrs_t a = { .user = u->name, .groups = u->groups, .ngroups = u->ngroups,
                               .namespace_ = apisrv_str(o, "spec.namespace") };
    if (!a.namespace_) a.namespace_ = "";
    cJSON_DeleteItemFromObjectCaseSensitive(o, "status");
    cJSON *st = cJSON_AddObjectToObject(o, "status");
    /* masters bypass authorization: say so the way kube's RBAC would list cluster-admin */
    int masters = 0;
    for (size_t i = 0; i < u->ngroups; i++) if (strcmp(u->groups[i], "system:masters") == 0) masters = 1;
    apisrv_rules_review(c->s, &a, st);
    if (masters && c->s->nmodes && !cJSON_GetArraySize(cJSON_GetObjectItem(st, "resourceRules"))) {
        cJSON *r = cJSON_CreateObject();
        const char *star[] = { "*" };
        cJSON_AddItemToObject(r, "verbs", cJSON_CreateStringArray(star, 1));
        cJSON_AddItemToObject(r, "apiGroups", cJSON_CreateStringArray(star, 1));
        cJSON_AddItemToObject(r, "resources", cJSON_CreateStringArray(star, 1));
        cJSON_AddItemToArray(cJSON_GetObjectItem(st, "resourceRules"), r);
    }
    cJSON *m = apisrv_obj_at(o, "metadata");
    if (!cJSON_GetObjectItemCaseSensitive(m, "creationTimestamp")) cJSON_AddNullToObject(m, "creationTimestamp");
    return apisrv_reply_json(c, 201, o);
}
