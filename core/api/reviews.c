/* core/api/reviews — the create-only review kinds kubectl's `auth`
 * commands post: SelfSubjectAccessReview (`kubectl auth can-i`: would the
 * caller be allowed?), SelfSubjectRulesReview (`kubectl auth can-i --list`:
 * what may the caller do in a namespace?) and SelfSubjectReview (`kubectl auth whoami`: who
 * does the server think the caller is?). Nothing is stored; the answer is
 * the posted object with a status, 201 Created, as kube-apiserver does. */
#include <stdio.h>
#include <string.h>

#include "api/authz.h"
#include "api/body.h"
#include "api/kinds.h"

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

static cJSON *user_info(const skiff_api_user_t *u)
{
    cJSON *ui = cJSON_CreateObject();
    cJSON_AddStringToObject(ui, "username", u->name);
    if (u->uid && *u->uid) cJSON_AddStringToObject(ui, "uid", u->uid);
    cJSON *g = cJSON_AddArrayToObject(ui, "groups");
    for (size_t i = 0; i < u->ngroups; i++) cJSON_AddItemToArray(g, cJSON_CreateString(u->groups[i]));
    return ui;
}

int apisrv_handle_ssar(apisrv_call_t *c)
{
    if (only_create(c) < 0) return 0;
    cJSON *o = apisrv_body_parse(c, 0);
    if (!o) return 0;
    if (apisrv_body_check_kind(c, o, "SelfSubjectAccessReview", "authorization.k8s.io/v1") < 0) { cJSON_Delete(o); return 0; }
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(o, "spec");
    const cJSON *ra = cJSON_GetObjectItemCaseSensitive(spec, "resourceAttributes");
    const cJSON *na = cJSON_GetObjectItemCaseSensitive(spec, "nonResourceAttributes");
    apisrv_invalid_t inv = { 0 };
    if (cJSON_IsObject(ra) && cJSON_IsObject(na))
        apisrv_invalid_add(&inv, "FieldValueInvalid", "spec.nonResourceAttributes",
                           "Invalid value: cannot be specified in combination with resourceAttributes");
    else if (!cJSON_IsObject(ra) && !cJSON_IsObject(na))
        apisrv_invalid_add(&inv, "FieldValueRequired", "spec.resourceAttributes",
                           "Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified");
    if (inv.n) {
        cJSON_Delete(o);
        return apisrv_fail_invalid(c, "", &inv);
    }
    const skiff_api_user_t *u = c->user ? c->user : &skiff_api_user_component;
    apisrv_authz_attrs_t a = { .user = u->name, .groups = u->groups, .ngroups = u->ngroups };
    if (cJSON_IsObject(ra)) {
        a.resource_request = 1;
        a.verb = str_at(ra, "verb");
        a.group = str_at(ra, "group");
        a.resource = str_at(ra, "resource");
        a.subresource = str_at(ra, "subresource");
        a.namespace_ = str_at(ra, "namespace");
        a.name = str_at(ra, "name");
    } else {
        a.verb = str_at(na, "verb");
        a.path = str_at(na, "path");
    }
    int allowed = apisrv_authorize_attrs(c->s, &a);
    cJSON_DeleteItemFromObjectCaseSensitive(o, "status");
    cJSON *st = cJSON_AddObjectToObject(o, "status");
    cJSON_AddBoolToObject(st, "allowed", allowed);
    if (allowed && c->s->nmodes && c->s->modes[0] == APISRV_AUTHZ_RBAC)
        cJSON_AddStringToObject(st, "reason", "allowed by RBAC");
    cJSON *m = apisrv_obj_at(o, "metadata");
    if (!cJSON_GetObjectItemCaseSensitive(m, "creationTimestamp")) cJSON_AddNullToObject(m, "creationTimestamp");
    return apisrv_reply_json(c, 201, o);
}

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
    cJSON_AddItemToObject(st, "userInfo", user_info(c->user ? c->user : &skiff_api_user_component));
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
