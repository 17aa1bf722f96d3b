/* Tests for what core/api authorizes beyond the rule matcher (rbac_test.c
 * has that): requests the server cannot route decided first, as kube's
 * WithAuthorization filter runs before its mux, and the review kinds that
 * ask the authorizer about someone else (SubjectAccessReview,
 * LocalSubjectAccessReview). */
#include "api/test_json.h"

#include <stdio.h>
#include <unistd.h>

#include "api/authz.h"
#include "api/client.h"
#include "api/test_server.h"

typedef test_server_t fx_t;

static int setup(void **state)
{
    static const char *const modes[] = { "RBAC", NULL };
    skiff_api_config_t cfg = { .authorization_modes = modes, .anonymous_auth = 1 };
    fx_t *f = test_server_up(&cfg);
    skiff_api_server_bootstrap_rbac(f->srv);
    test_server_namespace(f, "dev");
    test_server_namespace(f, "prod");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    test_server_down(*state);
    return 0;
}

static const char *const alice_groups[] = { "dev", "system:authenticated" };
static const skiff_api_user_t alice = { "alice", "1", alice_groups, 2 };
static const char *const masters[] = { "system:masters", "system:authenticated" };
static const skiff_api_user_t root = { "root", "", masters, 2 };

/* One request as `u`; returns the code, the body in *out (caller frees). */
static int as(fx_t *f, const skiff_api_user_t *u, const char *method, const char *path, const char *body, char **out)
{
    skiff_api_request_t rq = { .method = method, .path = path, .body = body, .body_len = body ? strlen(body) : 0,
                               .user = u,
                               .content_type = strcmp(method, "PATCH") == 0 ? "application/merge-patch+json" : "application/json" };
    skiff_api_response_t rs;
    assert_int_equal(skiff_api_server_handle(f->srv, &rq, &rs), 0);
    int code = rs.code;
    if (out) { *out = rs.body; rs.body = NULL; }
    skiff_api_response_free(&rs);
    return code;
}

/* The request's answer must be `code` with Status message `msg`. */
static void expect(fx_t *f, const skiff_api_user_t *u, const char *method, const char *path, int code, const char *msg)
{
    char *b = NULL;
    int got = as(f, u, method, path, NULL, &b);
    cJSON *o = cJSON_Parse(b);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "message");
    if (got != code || !cJSON_IsString(m) || strcmp(m->valuestring, msg) != 0)
        fail_msg("%s %s: got %d %s\n  want %d %s", method, path, got, b ? b : "", code, msg);
    cJSON_Delete(o);
    free(b);
}

#define NOTFOUND "the server could not find the requested resource"

static void test_unrouted_requests_are_authorized_first(void **state)
{
    fx_t *f = *state;
    expect(f, &alice, "GET", "/api/v1/namespaces/dev/foos", 403,
           "foos is forbidden: User \"alice\" cannot list resource \"foos\" in API group \"\" in the namespace \"dev\"");
    expect(f, &alice, "GET", "/apis/example.com/v1/widgets/w", 403,
           "widgets.example.com \"w\" is forbidden: User \"alice\" cannot get resource \"widgets\" in API group \"example.com\" at the cluster scope");
    expect(f, &alice, "GET", "/api/v1/namespaces/dev/pods/p/bogus", 403,
           "pods \"p\" is forbidden: User \"alice\" cannot get resource \"pods/bogus\" in API group \"\" in the namespace \"dev\"");
    expect(f, &alice, "PUT", "/api/v1/namespaces/dev/configmaps", 403,
           "configmaps is forbidden: User \"alice\" cannot update resource \"configmaps\" in API group \"\" in the namespace \"dev\"");
    expect(f, &alice, "DELETE", "/apis/example.com/v1/namespaces/dev/widgets", 403,
           "widgets.example.com is forbidden: User \"alice\" cannot deletecollection resource \"widgets\" in API group \"example.com\" in the namespace \"dev\"");
    expect(f, &alice, "GET", "/api/v1/watch/namespaces/dev/foos", 403,
           "foos is forbidden: User \"alice\" cannot watch resource \"foos\" in API group \"\" in the namespace \"dev\"");
    expect(f, &alice, "GET", "/api/v2/pods", 403,
           "pods is forbidden: User \"alice\" cannot list resource \"pods\" in API group \"\" at the cluster scope");
    expect(f, &alice, "GET", "/api/v1/namespaces/dev/nodes", 403,
           "nodes is forbidden: User \"alice\" cannot list resource \"nodes\" in API group \"\" in the namespace \"dev\"");
    /* the Status carries kube's details (group, kind = resource, name) */
    char *b = NULL;
    assert_int_equal(as(f, &alice, "GET", "/apis/example.com/v1/widgets/w", NULL, &b), 403);
    cJSON *o = cJSON_Parse(b);
    assert_json(cJSON_GetObjectItem(o, "details"), "{'name':'w','group':'example.com','kind':'widgets'}");
    assert_string_equal(cJSON_GetObjectItem(o, "reason")->valuestring, "Forbidden");
    cJSON_Delete(o);
    free(b);
    /* anyone allowed learns it is not there */
    expect(f, &root, "GET", "/api/v1/namespaces/dev/foos", 404, NOTFOUND);
    expect(f, &root, "GET", "/apis/example.com/v1/widgets/w", 404, NOTFOUND);
    expect(f, &root, "PUT", "/api/v1/namespaces/dev/configmaps", 405,
           "the server does not allow this method on the requested resource");
    /* ... and so does a user granted everything in dev only */
    skiff_error_t err;
    assert_int_equal(skiff_api_client_create(f->cl, "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/roles",
        "{\"metadata\":{\"name\":\"all\"},\"rules\":[{\"apiGroups\":[\"*\"],\"resources\":[\"*\"],\"verbs\":[\"*\"]}]}",
        NULL, &err), 0);
    assert_int_equal(skiff_api_client_create(f->cl, "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/rolebindings",
        "{\"metadata\":{\"name\":\"all\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"alice\"}],"
        "\"roleRef\":{\"kind\":\"Role\",\"name\":\"all\",\"apiGroup\":\"rbac.authorization.k8s.io\"}}", NULL, &err), 0);
    expect(f, &alice, "GET", "/api/v1/namespaces/dev/foos", 404, NOTFOUND);
    expect(f, &alice, "GET", "/api/v1/namespaces/dev/nodes", 404, NOTFOUND);
    expect(f, &alice, "GET", "/api/v1/namespaces/dev/pods/p/bogus", 404, NOTFOUND);
    expect(f, &alice, "GET", "/api/v1/namespaces/prod/foos", 403,
           "foos is forbidden: User \"alice\" cannot list resource \"foos\" in API group \"\" in the namespace \"prod\"");
}

/* POST body as `u`; returns the code and the parsed answer in *out. */
static int post(fx_t *f, const skiff_api_user_t *u, const char *path, const char *body, cJSON **out)
{
    char *b = NULL;
    int code = as(f, u, "POST", path, body, &b);
    *out = cJSON_Parse(b);
    free(b);
    return code;
}

static const char *status_str(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "status"), k);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

static int allowed(const cJSON *o)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "status"), "allowed"));
}

#define SAR "/apis/authorization.k8s.io/v1/subjectaccessreviews"
#define LSAR_DEV "/apis/authorization.k8s.io/v1/namespaces/dev/localsubjectaccessreviews"

static void test_subject_access_reviews(void **state)
{
    fx_t *f = *state;
    skiff_error_t err;
    cJSON *o = NULL;
    assert_int_equal(skiff_api_client_create(f->cl, "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/rolebindings",
        "{\"metadata\":{\"name\":\"devs-view\"},\"subjects\":[{\"kind\":\"Group\",\"name\":\"dev\"}],"
        "\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"view\"}}", NULL, &err), 0);
    assert_int_equal(skiff_api_client_create(f->cl, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        "{\"metadata\":{\"name\":\"bob-nodes\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"bob\"}],"
        "\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"view\"}}", NULL, &err), 0);
    /* a SubjectAccessReview asks about the user and groups it names, exactly */
    assert_int_equal(post(f, &root, SAR, "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\","
        "\"spec\":{\"user\":\"carol\",\"groups\":[\"dev\"],\"resourceAttributes\":{\"namespace\":\"dev\",\"verb\":\"list\",\"resource\":\"pods\"}}}", &o), 201);
    assert_true(allowed(o));
    assert_string_equal(status_str(o, "reason"), "RBAC: allowed by RoleBinding \"devs-view/dev\" of ClusterRole \"view\" to Group \"dev\"");
    assert_string_equal(cJSON_GetObjectItem(o, "kind")->valuestring, "SubjectAccessReview");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "spec"), "user")->valuestring, "carol");
    cJSON_Delete(o);
    assert_int_equal(post(f, &root, SAR, "{\"spec\":{\"user\":\"carol\",\"resourceAttributes\":{\"namespace\":\"dev\",\"verb\":\"list\",\"resource\":\"pods\"}}}", &o), 201);
    assert_false(allowed(o));
    assert_null(status_str(o, "reason"));
    cJSON_Delete(o);
    assert_int_equal(post(f, &root, SAR, "{\"spec\":{\"user\":\"bob\",\"resourceAttributes\":{\"namespace\":\"prod\",\"verb\":\"get\",\"resource\":\"configmaps\",\"name\":\"x\"}}}", &o), 201);
    assert_true(allowed(o));
    assert_string_equal(status_str(o, "reason"), "RBAC: allowed by ClusterRoleBinding \"bob-nodes\" of ClusterRole \"view\" to User \"bob\"");
    cJSON_Delete(o);
    /* groups as given: system:authenticated only when named (basic-user's rule) */
    assert_int_equal(post(f, &root, SAR, "{\"spec\":{\"user\":\"carol\",\"nonResourceAttributes\":{\"path\":\"/apis\",\"verb\":\"get\"}}}", &o), 201);
    assert_false(allowed(o));
    cJSON_Delete(o);
    assert_int_equal(post(f, &root, SAR, "{\"spec\":{\"user\":\"carol\",\"groups\":[\"system:authenticated\"],\"nonResourceAttributes\":{\"path\":\"/apis\",\"verb\":\"get\"}}}", &o), 201);
    assert_true(allowed(o));
    assert_string_equal(status_str(o, "reason"), "RBAC: allowed by ClusterRoleBinding \"system:discovery\" of ClusterRole \"system:discovery\" to Group \"system:authenticated\"");
    cJSON_Delete(o);
    /* a service account subject */
    assert_int_equal(skiff_api_client_create(f->cl, "/apis/rbac.authorization.k8s.io/v1/namespaces/prod/rolebindings",
        "{\"metadata\":{\"name\":\"bot\"},\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"bot\",\"namespace\":\"dev\"}],"
        "\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"edit\"}}", NULL, &err), 0);
    assert_int_equal(post(f, &root, SAR, "{\"spec\":{\"user\":\"system:serviceaccount:dev:bot\",\"resourceAttributes\":{\"namespace\":\"prod\",\"verb\":\"create\",\"resource\":\"secrets\"}}}", &o), 201);
    assert_string_equal(status_str(o, "reason"), "RBAC: allowed by RoleBinding \"bot/prod\" of ClusterRole \"edit\" to ServiceAccount \"bot/dev\"");
    cJSON_Delete(o);
    /* masters: allowed, no reason (kube's privileged-group authorizer) */
    assert_int_equal(post(f, &root, SAR, "{\"spec\":{\"user\":\"x\",\"groups\":[\"system:masters\"],\"resourceAttributes\":{\"verb\":\"delete\",\"resource\":\"nodes\"}}}", &o), 201);
    assert_true(allowed(o));
    assert_null(status_str(o, "reason"));
    cJSON_Delete(o);
    /* validation, kube's wording */
    assert_int_equal(post(f, &root, SAR, "{\"spec\":{\"resourceAttributes\":{\"verb\":\"get\",\"resource\":\"pods\"}}}", &o), 422);
    assert_string_equal(cJSON_GetObjectItem(o, "message")->valuestring,
                        "SubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.user: Invalid value: \"\": at least one of user or group must be specified");
    cJSON_Delete(o);
    assert_int_equal(post(f, &root, SAR, "{\"metadata\":{\"name\":\"n\"},\"spec\":{\"user\":\"u\",\"resourceAttributes\":{},\"nonResourceAttributes\":{\"path\":\"/x\",\"verb\":\"get\"}}}", &o), 422);
    assert_string_equal(cJSON_GetObjectItem(o, "message")->valuestring,
                        "SubjectAccessReview.authorization.k8s.io \"\" is invalid: [spec.nonResourceAttributes: Invalid value: authorization.NonResourceAttributes{Path:\"/x\", Verb:\"get\"}: "
                        "cannot be specified in combination with resourceAttributes, metadata: Invalid value: {\"name\":\"n\"}: must be empty]");
    cJSON_Delete(o);
    /* who may ask: create subjectaccessreviews (cluster-scoped) */
    char *b = NULL;
    assert_int_equal(as(f, &alice, "POST", SAR, "{\"spec\":{\"user\":\"u\",\"resourceAttributes\":{}}}", &b), 403);
    assert_non_null(strstr(b, "subjectaccessreviews.authorization.k8s.io is forbidden: User \\\"alice\\\" cannot create resource \\\"subjectaccessreviews\\\" in API group \\\"authorization.k8s.io\\\" at the cluster scope"));
    free(b);
    assert_int_equal(as(f, &root, "GET", SAR, NULL, NULL), 405);

    /* LocalSubjectAccessReview: the namespace comes from the path */
    assert_int_equal(post(f, &root, LSAR_DEV, "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"LocalSubjectAccessReview\","
        "\"spec\":{\"user\":\"carol\",\"groups\":[\"dev\"],\"resourceAttributes\":{\"namespace\":\"dev\",\"verb\":\"get\",\"resource\":\"pods\"}}}", &o), 201);
    assert_true(allowed(o));
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "metadata"), "namespace")->valuestring, "dev");
    cJSON_Delete(o);
    assert_int_equal(post(f, &root, LSAR_DEV, "{\"spec\":{\"user\":\"carol\",\"resourceAttributes\":{\"namespace\":\"prod\",\"verb\":\"get\",\"resource\":\"pods\"}}}", &o), 422);
    assert_string_equal(cJSON_GetObjectItem(o, "message")->valuestring,
                        "LocalSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.resourceAttributes.namespace: Invalid value: \"prod\": must match metadata.namespace");
    cJSON_Delete(o);
    assert_int_equal(post(f, &root, LSAR_DEV, "{\"spec\":{\"user\":\"carol\",\"nonResourceAttributes\":{\"path\":\"/x\",\"verb\":\"get\"}}}", &o), 422);
    assert_string_equal(cJSON_GetObjectItem(o, "message")->valuestring,
                        "LocalSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.nonResourceAttributes: Invalid value: authorization.NonResourceAttributes{Path:\"/x\", Verb:\"get\"}: disallowed on this kind of request");
    cJSON_Delete(o);
    assert_int_equal(post(f, &root, LSAR_DEV, "{\"metadata\":{\"namespace\":\"prod\"},\"spec\":{\"user\":\"c\",\"resourceAttributes\":{\"namespace\":\"dev\"}}}", &o), 400);
    assert_string_equal(cJSON_GetObjectItem(o, "message")->valuestring,
                        "the namespace of the provided object does not match the namespace sent on the request");
    cJSON_Delete(o);
    /* a namespace admin may ask in her namespace (admin's rule), not elsewhere */
    assert_int_equal(skiff_api_client_create(f->cl, "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/rolebindings",
        "{\"metadata\":{\"name\":\"alice-admin\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"alice\"}],"
        "\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"admin\"}}", NULL, &err), 0);
    assert_int_equal(post(f, &alice, LSAR_DEV, "{\"spec\":{\"user\":\"carol\",\"resourceAttributes\":{\"namespace\":\"dev\",\"verb\":\"get\",\"resource\":\"pods\"}}}", &o), 201);
    assert_false(allowed(o));
    cJSON_Delete(o);
    assert_int_equal(as(f, &alice, "POST", "/apis/authorization.k8s.io/v1/namespaces/prod/localsubjectaccessreviews",
                        "{\"spec\":{\"user\":\"carol\",\"resourceAttributes\":{\"namespace\":\"prod\"}}}", NULL), 403);
}

#define CR "/apis/rbac.authorization.k8s.io/v1/clusterroles"

/* Wait (up to 3 s) until ClusterRole `name`'s rules equal `want`
 * (single-quote JSON); fail with what they are otherwise. */
static void wait_rules(fx_t *f, const char *name, const char *want)
{
    char path[256];
    snprintf(path, sizeof path, CR "/%s", name);
    cJSON *w = tj(want), *got = NULL;
    for (int i = 0; i < 300; i++) {
        char *b = NULL;
        assert_int_equal(as(f, &root, "GET", path, NULL, &b), 200);
        cJSON_Delete(got);
        got = cJSON_Parse(b);
        free(b);
        cJSON *r = cJSON_GetObjectItem(got, "rules");
        if ((r && cJSON_Compare(r, w, 1)) || (!r && !cJSON_GetArraySize(w))) break;
        usleep(10000);
    }
    cJSON *r = cJSON_GetObjectItem(got, "rules");
    if (!((r && cJSON_Compare(r, w, 1)) || (!r && !cJSON_GetArraySize(w))))
        fail_msg("%s rules: %s\n  want %s", name, r ? cJSON_PrintUnformatted(r) : "(none)", want);
    cJSON_Delete(got);
    cJSON_Delete(w);
}

#define EP_RULE "{'apiGroups':[''],'resources':['endpoints'],'verbs':['get','list','watch']}"
#define PODS_RULE "{'apiGroups':[''],'resources':['pods'],'verbs':['get','list']}"

static void post_cr(fx_t *f, const char *json)
{
    cJSON *o = tj(json);
    char *b = cJSON_PrintUnformatted(o), *out = NULL;
    int code = as(f, &root, "POST", CR, b, &out);
    if (code != 201) fail_msg("POST %s: %d %s", b, code, out);
    free(out);
    free(b);
    cJSON_Delete(o);
}

static void test_clusterrole_aggregation(void **state)
{
    fx_t *f = *state;
    post_cr(f, "{'metadata':{'name':'monitoring'},'aggregationRule':{'clusterRoleSelectors':[{'matchLabels':{'rbac.example.com/aggregate-to-monitoring':'true'}}]}}");
    wait_rules(f, "monitoring", "[]");
    post_cr(f, "{'metadata':{'name':'mon-pods','labels':{'rbac.example.com/aggregate-to-monitoring':'true'}},'rules':[" PODS_RULE "]}");
    post_cr(f, "{'metadata':{'name':'mon-endpoints','labels':{'rbac.example.com/aggregate-to-monitoring':'true'}},'rules':[" EP_RULE "]}");
    /* roles by name, their rules in order, an equal rule once */
    post_cr(f, "{'metadata':{'name':'mon-zz','labels':{'rbac.example.com/aggregate-to-monitoring':'true'}},'rules':[" PODS_RULE "]}");
    wait_rules(f, "monitoring", "[" EP_RULE "," PODS_RULE "]");
    /* the aggregate grants like any role */
    char *b = NULL;
    assert_int_equal(as(f, &alice, "GET", "/api/v1/namespaces/dev/endpoints", NULL, NULL), 403);
    assert_int_equal(as(f, &root, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/rolebindings",
        "{\"metadata\":{\"name\":\"alice-mon\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"alice\"}],"
        "\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"monitoring\"}}", NULL), 201);
    assert_int_equal(as(f, &alice, "GET", "/api/v1/namespaces/dev/endpoints", NULL, NULL), 200);
    /* a role that loses its label drops out; hand edits of the rules are undone */
    assert_int_equal(as(f, &root, "PATCH", CR "/mon-endpoints",
                        "{\"metadata\":{\"labels\":{\"rbac.example.com/aggregate-to-monitoring\":null}}}", NULL), 200);
    wait_rules(f, "monitoring", "[" PODS_RULE "]");
    assert_int_equal(as(f, &root, "PATCH", CR "/monitoring", "{\"rules\":[]}", NULL), 200);
    wait_rules(f, "monitoring", "[" PODS_RULE "]");
    assert_int_equal(as(f, &root, "DELETE", CR "/mon-pods", NULL, NULL), 200);
    assert_int_equal(as(f, &root, "DELETE", CR "/mon-zz", NULL, NULL), 200);
    wait_rules(f, "monitoring", "[]");
    /* kube's chain: aggregate-to-view reaches view, then edit, then admin */
    post_cr(f, "{'metadata':{'name':'widgets-view','labels':{'rbac.authorization.k8s.io/aggregate-to-view':'true'}},"
               "'rules':[{'apiGroups':['example.com'],'resources':['widgets'],'verbs':['get']}]}");
    static const char *const chain[] = { "view", "edit", "admin" };
    for (int i = 0; i < 3; i++) {
        char path[128];
        snprintf(path, sizeof path, CR "/%s", chain[i]);
        int found = 0;
        for (int k = 0; k < 300 && !found; k++) {
            assert_int_equal(as(f, &root, "GET", path, NULL, &b), 200);
            found = strstr(b, "\"widgets\"") != NULL;
            free(b);
            if (!found) usleep(10000);
        }
        if (!found) fail_msg("%s did not aggregate widgets-view", chain[i]);
    }
    /* bootstrap view is exactly its source's rules (nothing rewritten at start beyond that) */
    assert_int_equal(as(f, &root, "GET", CR "/system:aggregate-to-view", NULL, &b), 200);
    cJSON *src = cJSON_Parse(b);
    free(b);
    assert_int_equal(as(f, &root, "GET", CR "/view", NULL, &b), 200);
    cJSON *view = cJSON_Parse(b);
    free(b);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(view, "rules")),
                     cJSON_GetArraySize(cJSON_GetObjectItem(src, "rules")) + 1);
    cJSON_Delete(src);
    cJSON_Delete(view);
}

static void test_aggregation_rule_checks(void **state)
{
    fx_t *f = *state;
    char *b = NULL;
    assert_int_equal(as(f, &root, "POST", CR, "{\"metadata\":{\"name\":\"a\"},\"aggregationRule\":{}}", &b), 422);
    assert_non_null(strstr(b, "aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil"));
    free(b);
    assert_int_equal(as(f, &root, "POST", CR, "{\"metadata\":{\"name\":\"a\"},\"aggregationRule\":{\"clusterRoleSelectors\":"
                        "[{\"matchExpressions\":[{\"key\":\"k\",\"operator\":\"Foo\"}]}]}}", &b), 422);
    assert_non_null(strstr(b, "aggregationRule.clusterRoleSelectors[0]: Invalid value"));
    free(b);
    /* bob may create ClusterRoles (and holds what he grants) but is not cluster-admin */
    static const char *const bg[] = { "system:authenticated" };
    const skiff_api_user_t bob = { "bob", "", bg, 1 };
    post_cr(f, "{'metadata':{'name':'cr-writer'},'rules':[{'apiGroups':['rbac.authorization.k8s.io'],'resources':['clusterroles'],'verbs':['create','update','patch']}]}");
    assert_int_equal(as(f, &root, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        "{\"metadata\":{\"name\":\"bob\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"bob\"}],"
        "\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"cr-writer\"}}", NULL), 201);
    assert_int_equal(as(f, &bob, "POST", CR, "{\"metadata\":{\"name\":\"plain\"},\"rules\":[]}", NULL), 201);
    assert_int_equal(as(f, &bob, "POST", CR, "{\"metadata\":{\"name\":\"agg\"},\"aggregationRule\":{\"clusterRoleSelectors\":[{\"matchLabels\":{\"x\":\"y\"}}]}}", &b), 403);
    cJSON *o = cJSON_Parse(b);
    assert_string_equal(cJSON_GetObjectItem(o, "message")->valuestring,
                        "clusterroles.rbac.authorization.k8s.io \"agg\" is forbidden: must have cluster-admin privileges to use the aggregationRule");
    cJSON_Delete(o);
    free(b);
    assert_int_equal(as(f, &bob, "PATCH", CR "/plain", "{\"aggregationRule\":{\"clusterRoleSelectors\":[{\"matchLabels\":{\"x\":\"y\"}}]}}", NULL), 403);
    assert_int_equal(as(f, &bob, "PATCH", CR "/plain", "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}", NULL), 200);
    /* escalate lifts it, as kube */
    post_cr(f, "{'metadata':{'name':'cr-escalate'},'rules':[{'apiGroups':['rbac.authorization.k8s.io'],'resources':['clusterroles'],'verbs':['escalate']}]}");
    assert_int_equal(as(f, &root, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        "{\"metadata\":{\"name\":\"bob-esc\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"bob\"}],"
        "\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"cr-escalate\"}}", NULL), 201);
    assert_int_equal(as(f, &bob, "POST", CR, "{\"metadata\":{\"name\":\"agg\"},\"aggregationRule\":{\"clusterRoleSelectors\":[{\"matchLabels\":{\"x\":\"y\"}}]}}", NULL), 201);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_unrouted_requests_are_authorized_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subject_access_reviews, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clusterrole_aggregation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aggregation_rule_checks, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
