/* Tests for what core/api authorizes beyond the rule matcher (rbac_test.c
 * has that): requests the server cannot route decided first, as kube's
 * WithAuthorization filter runs before its mux, and the review kinds that
 * ask the authorizer about someone else (SubjectAccessReview,
 * LocalSubjectAccessReview). */
#include "api/test_json.h"

#include <stdio.h>

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
                               .user = u, .content_type = "application/json" };
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_unrouted_requests_are_authorized_first, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
