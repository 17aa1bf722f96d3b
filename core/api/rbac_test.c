/* Tests for core/api authentication and authorization: the RBAC rule
 * matcher alone (rbac_rules.c), token files and Authorization headers
 * (authn.c), and the whole path through a server over the memory store:
 * Role + RoleBinding granting one namespace only, the 403 message, the
 * index following writes and deletes, SelfSubjectAccessReview, masters. */
#include "api/test_json.h"

#include <stdio.h>

#include "api/admission.h"
#include "api/authz.h"
#include "api/client.h"
#include "plugin/plugin.h"
#include "api/test_server.h"

/* ---- the matcher --------------------------------------------------------- */

static apisrv_rbac_rule_t *rules(const char *json, size_t *n)
{
    cJSON *j = tj(json);
    apisrv_rbac_rule_t *r = NULL;
    skiff_error_t err;
    if (apisrv_rbac_rules_parse(j, &r, n, &err) < 0) fail_msg("parse: %s", err.msg);
    cJSON_Delete(j);
    return r;
}

static int allows(const char *json, const char *verb, const char *group, const char *res, const char *sub,
                  const char *name)
{
    size_t n;
    apisrv_rbac_rule_t *r = rules(json, &n);
    apisrv_authz_attrs_t a = { .user = "u", .resource_request = 1, .verb = verb, .group = group, .resource = res,
                               .subresource = sub, .namespace_ = "ns", .name = name };
    int ok = apisrv_rbac_rules_allow(r, n, &a);
    apisrv_rbac_rules_free(r, n);
    return ok;
}

static int allows_path(const char *json, const char *verb, const char *path)
{
    size_t n;
    apisrv_rbac_rule_t *r = rules(json, &n);
    apisrv_authz_attrs_t a = { .user = "u", .verb = verb, .path = path };
    int ok = apisrv_rbac_rules_allow(r, n, &a);
    apisrv_rbac_rules_free(r, n);
    return ok;
}

static void test_rule_verbs_groups_resources(void **state)
{
    (void)state;
    const char *R = "[{'apiGroups':[''],'resources':['pods'],'verbs':['get','list']}]";
    assert_true(allows(R, "list", "", "pods", "", ""));
    assert_true(allows(R, "get", "", "pods", "", "x"));
    assert_false(allows(R, "watch", "", "pods", "", ""));
    assert_false(allows(R, "delete", "", "pods", "", "x"));
    assert_false(allows(R, "list", "apps", "pods", "", ""));
    assert_false(allows(R, "list", "", "services", "", ""));
    /* a resource rule does not cover its subresources */
    assert_false(allows(R, "get", "", "pods", "log", "x"));
    assert_true(allows("[{'apiGroups':['*'],'resources':['*'],'verbs':['*']}]", "deletecollection", "apps", "deployments", "", ""));
    assert_true(allows("[{'apiGroups':['*'],'resources':['*'],'verbs':['*']}]", "update", "apps", "deployments", "scale", "d"));
    /* several rules: any one that matches */
    assert_true(allows("[{'apiGroups':['apps'],'resources':['deployments'],'verbs':['get']},"
                       "{'apiGroups':[''],'resources':['pods'],'verbs':['*']}]", "create", "", "pods", "", ""));
    assert_false(allows("[]", "get", "", "pods", "", "x"));
}

static void test_rule_subresources_and_names(void **state)
{
    (void)state;
    assert_true(allows("[{'apiGroups':[''],'resources':['pods/log'],'verbs':['get']}]", "get", "", "pods", "log", "p"));
    assert_false(allows("[{'apiGroups':[''],'resources':['pods/log'],'verbs':['get']}]", "get", "", "pods", "", "p"));
    assert_false(allows("[{'apiGroups':[''],'resources':['pods/log'],'verbs':['get']}]", "get", "", "pods", "exec", "p"));
    const char *S = "[{'apiGroups':['apps'],'resources':['*/scale'],'verbs':['update','get']}]";
    assert_true(allows(S, "update", "apps", "deployments", "scale", "web"));
    assert_true(allows(S, "get", "apps", "replicasets", "scale", "web"));
    assert_false(allows(S, "update", "apps", "deployments", "", "web"));
    assert_false(allows(S, "update", "apps", "deployments", "status", "web"));
    assert_true(allows("[{'apiGroups':['apps'],'resources':['deployments/scale'],'verbs':['update']}]", "update", "apps",
                       "deployments", "scale", "web"));
    const char *N = "[{'apiGroups':[''],'resources':['configmaps'],'resourceNames':['a','b'],'verbs':['get','update']}]";
    assert_true(allows(N, "get", "", "configmaps", "", "a"));
    assert_true(allows(N, "update", "", "configmaps", "", "b"));
    assert_false(allows(N, "get", "", "configmaps", "", "c"));
    /* resourceNames cannot match a list or a create (no name) */
    assert_false(allows(N, "list", "", "configmaps", "", ""));
}

static void test_rule_non_resource_urls(void **state)
{
    (void)state;
    const char *D = "[{'nonResourceURLs':['/api','/api/*','/healthz','/version'],'verbs':['get']}]";
    assert_true(allows_path(D, "get", "/api"));
    assert_true(allows_path(D, "get", "/api/v1"));
    assert_true(allows_path(D, "get", "/healthz"));
    assert_false(allows_path(D, "get", "/apis"));
    assert_false(allows_path(D, "get", "/healthz/etcd"));
    assert_false(allows_path(D, "post", "/api"));
    assert_true(allows_path("[{'nonResourceURLs':['*'],'verbs':['*']}]", "delete", "/anything"));
    /* resource rules say nothing about paths and the other way round */
    assert_false(allows_path("[{'apiGroups':['*'],'resources':['*'],'verbs':['*']}]", "get", "/api"));
    assert_false(allows("[{'nonResourceURLs':['*'],'verbs':['*']}]", "get", "", "pods", "", "x"));
}

static void test_rule_parse_errors(void **state)
{
    (void)state;
    apisrv_rbac_rule_t *r = (void *)1;
    size_t n = 9;
    skiff_error_t err;
    cJSON *j = tj("[{'verbs':'get'}]");
    assert_int_equal(apisrv_rbac_rules_parse(j, &r, &n, &err), SKIFF_E_INVALID);
    assert_string_equal(err.msg, "rules[0].verbs: must be a list of strings");
    assert_null(r);
    cJSON_Delete(j);
    j = tj("[{'verbs':['get']},{'verbs':['get'],'resources':[1]}]");
    assert_int_equal(apisrv_rbac_rules_parse(j, &r, &n, &err), SKIFF_E_INVALID);
    assert_string_equal(err.msg, "rules[1].resources[0]: must be a string");
    cJSON_Delete(j);
    j = tj("{}");
    assert_int_equal(apisrv_rbac_rules_parse(j, &r, &n, &err), SKIFF_E_INVALID);
    cJSON_Delete(j);
}

static void test_subjects(void **state)
{
    (void)state;
    const char *groups[] = { "dev", "system:authenticated" };
    apisrv_authz_attrs_t a = { .user = "alice", .groups = groups, .ngroups = 2 };
    apisrv_rbac_subject_t u = { APISRV_SUBJ_USER, "alice", "" }, u2 = { APISRV_SUBJ_USER, "bob", "" };
    apisrv_rbac_subject_t g = { APISRV_SUBJ_GROUP, "dev", "" }, g2 = { APISRV_SUBJ_GROUP, "ops", "" };
    assert_true(apisrv_rbac_subject_matches(&u, &a));
    assert_false(apisrv_rbac_subject_matches(&u2, &a));
    assert_true(apisrv_rbac_subject_matches(&g, &a));
    assert_false(apisrv_rbac_subject_matches(&g2, &a));
    apisrv_rbac_subject_t sa = { APISRV_SUBJ_SA, "builder", "ci" };
    apisrv_authz_attrs_t s1 = { .user = "system:serviceaccount:ci:builder" };
    apisrv_authz_attrs_t s2 = { .user = "system:serviceaccount:ci:builder2" };
    apisrv_authz_attrs_t s3 = { .user = "system:serviceaccount:cix:builder" };
    assert_true(apisrv_rbac_subject_matches(&sa, &s1));
    assert_false(apisrv_rbac_subject_matches(&sa, &s2));
    assert_false(apisrv_rbac_subject_matches(&sa, &s3));
}

/* ---- escalation: coverage and the message (rbac_escalation.c) ------------ */

/* The missing permissions of `want` against `held` ("" when covered). */
static char *missing(const char *held, const char *want)
{
    size_t nh, nw;
    apisrv_rbac_rule_t *h = rules(held, &nh), *w = rules(want, &nw);
    apisrv_rbac_perms_t p = { 0 };
    for (size_t i = 0; i < nw; i++) assert_int_equal(apisrv_rbac_perms_add(&p, &w[i]), 0);
    for (size_t i = 0; i < nh; i++) apisrv_rbac_perms_cover(&p, &h[i]);
    char *out = NULL;
    assert_int_equal(apisrv_rbac_perms_missing(&p, &out), 0);
    apisrv_rbac_perms_free(&p);
    apisrv_rbac_rules_free(h, nh);
    apisrv_rbac_rules_free(w, nw);
    return out ? out : strdup("");
}

#define EXPECT_MISSING(held, want, text) do { \
        char *m_ = missing(held, want); \
        assert_string_equal(m_, text); \
        free(m_); \
    } while (0)

static void test_escalation_covers(void **state)
{
    (void)state;
    const char *PODS = "[{'apiGroups':[''],'resources':['pods'],'verbs':['get','list','watch']}]";
    /* covered: a subset of verbs */
    EXPECT_MISSING(PODS, "[{'apiGroups':[''],'resources':['pods'],'verbs':['get','list']}]", "");
    /* not covered: the verbs held are left out, the rest compacted into one rule */
    EXPECT_MISSING(PODS, "[{'apiGroups':[''],'resources':['pods'],'verbs':['get','delete','patch']}]",
                   "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"delete\" \"patch\"]}");
    /* another resource, another group: one line each, sorted */
    EXPECT_MISSING(PODS, "[{'apiGroups':['','apps'],'resources':['pods','nodes'],'verbs':['get']}]",
                   "{APIGroups:[\"\"], Resources:[\"nodes\"], Verbs:[\"get\"]}\n"
                   "{APIGroups:[\"apps\"], Resources:[\"nodes\"], Verbs:[\"get\"]}\n"
                   "{APIGroups:[\"apps\"], Resources:[\"pods\"], Verbs:[\"get\"]}");
    /* `*` held covers everything of its field; `*` wanted needs `*` held */
    EXPECT_MISSING("[{'apiGroups':['*'],'resources':['*'],'verbs':['*']}]",
                   "[{'apiGroups':['apps'],'resources':['deployments','*'],'verbs':['escalate','*']}]", "");
    EXPECT_MISSING(PODS, "[{'apiGroups':[''],'resources':['pods'],'verbs':['*']}]",
                   "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"*\"]}");
    EXPECT_MISSING("[{'apiGroups':[''],'resources':['pods','services'],'verbs':['*']}]",
                   "[{'apiGroups':[''],'resources':['*'],'verbs':['get']}]",
                   "{APIGroups:[\"\"], Resources:[\"*\"], Verbs:[\"get\"]}");
    /* subresources: exact, or `*` + `/sub`; `pods` does not cover `pods/log` */
    EXPECT_MISSING("[{'apiGroups':['apps'],'resources':['*/scale'],'verbs':['get']}]",
                   "[{'apiGroups':['apps'],'resources':['deployments/scale'],'verbs':['get']}]", "");
    EXPECT_MISSING(PODS, "[{'apiGroups':[''],'resources':['pods/log'],'verbs':['get']}]",
                   "{APIGroups:[\"\"], Resources:[\"pods/log\"], Verbs:[\"get\"]}");
    /* resourceNames: a named grant covers those names only, never the
     * whole resource; an unnamed grant covers every name */
    const char *NAMED = "[{'apiGroups':[''],'resources':['configmaps'],'resourceNames':['a','b'],'verbs':['get']}]";
    EXPECT_MISSING(NAMED, "[{'apiGroups':[''],'resources':['configmaps'],'resourceNames':['a'],'verbs':['get']}]", "");
    EXPECT_MISSING(NAMED, "[{'apiGroups':[''],'resources':['configmaps'],'resourceNames':['a','c'],'verbs':['get']}]",
                   "{APIGroups:[\"\"], Resources:[\"configmaps\"], ResourceNames:[\"c\"], Verbs:[\"get\"]}");
    EXPECT_MISSING(NAMED, "[{'apiGroups':[''],'resources':['configmaps'],'verbs':['get']}]",
                   "{APIGroups:[\"\"], Resources:[\"configmaps\"], Verbs:[\"get\"]}");
    EXPECT_MISSING("[{'apiGroups':[''],'resources':['configmaps'],'verbs':['get']}]",
                   "[{'apiGroups':[''],'resources':['configmaps'],'resourceNames':['z'],'verbs':['get']}]", "");
    /* non-resource URLs: exact or a trailing-star prefix; a resource rule never covers one */
    const char *URLS = "[{'nonResourceURLs':['/healthz','/apis/*'],'verbs':['get']}]";
    EXPECT_MISSING(URLS, "[{'nonResourceURLs':['/healthz','/apis/apps'],'verbs':['get']}]", "");
    EXPECT_MISSING(URLS, "[{'nonResourceURLs':['/metrics','/healthz'],'verbs':['get','post']}]",
                   "{NonResourceURLs:[\"/healthz\"], Verbs:[\"post\"]}\n"
                   "{NonResourceURLs:[\"/metrics\"], Verbs:[\"get\"]}\n"
                   "{NonResourceURLs:[\"/metrics\"], Verbs:[\"post\"]}");
    EXPECT_MISSING("[{'apiGroups':['*'],'resources':['*'],'verbs':['*']}]", "[{'nonResourceURLs':['/x'],'verbs':['get']}]",
                   "{NonResourceURLs:[\"/x\"], Verbs:[\"get\"]}");
    /* two rules held together cover what neither does alone */
    EXPECT_MISSING("[{'apiGroups':[''],'resources':['pods'],'verbs':['get']},{'apiGroups':[''],'resources':['pods'],'verbs':['list']}]",
                   "[{'apiGroups':[''],'resources':['pods'],'verbs':['get','list']}]", "");
    /* nothing held, nothing wanted */
    EXPECT_MISSING("[]", "[]", "");
    /* a breakdown past the cap is refused, not allocated: 100 x 100 x 11 */
    {
        cJSON *r = cJSON_CreateObject(), *arr = cJSON_CreateArray();
        cJSON *g = cJSON_AddArrayToObject(r, "apiGroups"), *res = cJSON_AddArrayToObject(r, "resources");
        cJSON *v = cJSON_AddArrayToObject(r, "verbs");
        char buf[32];
        for (int i = 0; i < 100; i++) {
            snprintf(buf, sizeof buf, "g%d", i);
            cJSON_AddItemToArray(g, cJSON_CreateString(buf));
            snprintf(buf, sizeof buf, "r%d", i);
            cJSON_AddItemToArray(res, cJSON_CreateString(buf));
        }
        for (int i = 0; i < 11; i++) {
            snprintf(buf, sizeof buf, "v%d", i);
            cJSON_AddItemToArray(v, cJSON_CreateString(buf));
        }
        cJSON_AddItemToArray(arr, r);
        apisrv_rbac_rule_t *big = NULL;
        size_t nb = 0;
        skiff_error_t err;
        assert_int_equal(apisrv_rbac_rules_parse(arr, &big, &nb, &err), 0);
        apisrv_rbac_perms_t p = { 0 };
        assert_int_equal(apisrv_rbac_perms_add(&p, &big[0]), -E2BIG);
        assert_int_equal(p.n, APISRV_RBAC_MAX_PERMS);
        apisrv_rbac_perms_free(&p);
        apisrv_rbac_rules_free(big, nb);
        cJSON_Delete(arr);
    }
    /* names are quoted as Go's %q does */
    EXPECT_MISSING("[]", "[{'apiGroups':[''],'resources':['con\\\"fig'],'verbs':['get']}]",
                   "{APIGroups:[\"\"], Resources:[\"con\\\"fig\"], Verbs:[\"get\"]}");
}

/* ---- a server over the memory store --------------------------------------- */

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

/* One request as `u`; returns the code, body in *body (caller frees). */
static int as(fx_t *f, const skiff_api_user_t *u, const char *method, const char *path, const char *body, char **out)
{
    skiff_api_request_t rq = { .method = method, .path = path, .body = body, .body_len = body ? strlen(body) : 0,
                               .user = u, .content_type = strcmp(method, "PATCH") == 0 ? "application/merge-patch+json" : "application/json" };
    skiff_api_response_t rs;
    assert_int_equal(skiff_api_server_handle(f->srv, &rq, &rs), 0);
    int code = rs.code;
    if (out) { *out = rs.body; rs.body = NULL; }
    skiff_api_response_free(&rs);
    return code;
}

static const char *msg_of(const char *body, char *buf, size_t len)
{
    cJSON *o = cJSON_Parse(body);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "message");
    snprintf(buf, len, "%s", cJSON_IsString(m) ? m->valuestring : "");
    cJSON_Delete(o);
    return buf;
}

static void test_role_binding_one_namespace(void **state)
{
    fx_t *f = *state;
    skiff_error_t err;
    char *b = NULL, m[512];
    assert_int_equal(as(f, &alice, "GET", "/api/v1/namespaces/dev/pods", NULL, &b), 403);
    assert_string_equal(msg_of(b, m, sizeof m),
                        "pods is forbidden: User \"alice\" cannot list resource \"pods\" in API group \"\" in the namespace \"dev\"");
    free(b);
    assert_int_equal(skiff_api_client_create(f->cl, "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/roles",
        "{\"metadata\":{\"name\":\"pod-reader\"},\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"get\",\"list\"]}]}",
        NULL, &err), 0);
    assert_int_equal(skiff_api_client_create(f->cl, "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/rolebindings",
        "{\"metadata\":{\"name\":\"read-pods\"},\"subjects\":[{\"kind\":\"Group\",\"name\":\"dev\"}],"
        "\"roleRef\":{\"kind\":\"Role\",\"name\":\"pod-reader\",\"apiGroup\":\"rbac.authorization.k8s.io\"}}", NULL, &err), 0);
    /* read-your-writes: allowed at once, in that namespace only, that verb only */
    assert_int_equal(as(f, &alice, "GET", "/api/v1/namespaces/dev/pods", NULL, NULL), 200);
    assert_int_equal(as(f, &alice, "GET", "/api/v1/namespaces/prod/pods", NULL, &b), 403);
    assert_string_equal(msg_of(b, m, sizeof m),
                        "pods is forbidden: User \"alice\" cannot list resource \"pods\" in API group \"\" in the namespace \"prod\"");
    free(b);
    assert_int_equal(as(f, &alice, "GET", "/api/v1/pods", NULL, &b), 403);
    assert_string_equal(msg_of(b, m, sizeof m),
                        "pods is forbidden: User \"alice\" cannot list resource \"pods\" in API group \"\" at the cluster scope");
    free(b);
    assert_int_equal(as(f, &alice, "POST", "/api/v1/namespaces/dev/pods",
                        "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}", &b), 403);
    assert_string_equal(msg_of(b, m, sizeof m),
                        "pods is forbidden: User \"alice\" cannot create resource \"pods\" in API group \"\" in the namespace \"dev\"");
    free(b);
    assert_int_equal(as(f, &alice, "GET", "/apis/apps/v1/namespaces/dev/deployments/web/scale", NULL, &b), 403);
    assert_string_equal(msg_of(b, m, sizeof m),
                        "deployments.apps \"web\" is forbidden: User \"alice\" cannot get resource \"deployments/scale\" in API group \"apps\" in the namespace \"dev\"");
    free(b);
    /* deleting the binding takes the grant away (the index follows the watch) */
    assert_int_equal(skiff_api_client_delete(f->cl, "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/rolebindings/read-pods", NULL, &err), 0);
    assert_int_equal(as(f, &alice, "GET", "/api/v1/namespaces/dev/pods", NULL, NULL), 403);
    /* edit through a ClusterRole bound by a RoleBinding */
    assert_int_equal(skiff_api_client_create(f->cl, "/apis/rbac.authorization.k8s.io/v1/namespaces/prod/rolebindings",
        "{\"metadata\":{\"name\":\"alice-edit\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"alice\",\"apiGroup\":\"rbac.authorization.k8s.io\"}],"
        "\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"edit\"}}", NULL, &err), 0);
    assert_int_equal(as(f, &alice, "POST", "/api/v1/namespaces/prod/configmaps", "{\"metadata\":{\"name\":\"c\"}}", NULL), 201);
    assert_int_equal(as(f, &alice, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/prod/roles",
                        "{\"metadata\":{\"name\":\"r\"},\"rules\":[]}", NULL), 403);
    /* a ServiceAccount subject: the user system:serviceaccount:<ns>:<name> */
    static const char *const sag[] = { "system:serviceaccounts", "system:serviceaccounts:dev", "system:authenticated" };
    const skiff_api_user_t builder = { "system:serviceaccount:dev:builder", "", sag, 3 };
    assert_int_equal(as(f, &builder, "GET", "/api/v1/namespaces/dev/configmaps", NULL, NULL), 403);
    assert_int_equal(skiff_api_client_create(f->cl, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        "{\"metadata\":{\"name\":\"builder-view\"},\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"builder\",\"namespace\":\"dev\"}],"
        "\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"view\"}}", NULL, &err), 0);
    assert_int_equal(as(f, &builder, "GET", "/api/v1/namespaces/prod/configmaps", NULL, NULL), 200);
    assert_int_equal(as(f, &builder, "GET", "/api/v1/namespaces/prod/secrets", NULL, NULL), 403);
    /* a binding whose role appears later starts to count when it does */
    assert_int_equal(as(f, &alice, "GET", "/api/v1/namespaces/prod/secrets", NULL, NULL), 200); /* edit reads secrets */
    assert_int_equal(skiff_api_client_create(f->cl, "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/rolebindings",
        "{\"metadata\":{\"name\":\"later\"},\"subjects\":[{\"kind\":\"Group\",\"name\":\"qa\"}],"
        "\"roleRef\":{\"kind\":\"Role\",\"name\":\"lease-admin\"}}", NULL, &err), 0);
    static const char *const qag[] = { "qa", "system:authenticated" };
    const skiff_api_user_t carol = { "carol", "", qag, 2 };
    assert_int_equal(as(f, &carol, "GET", "/apis/coordination.k8s.io/v1/namespaces/dev/leases", NULL, NULL), 403);
    assert_int_equal(skiff_api_client_create(f->cl, "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/roles",
        "{\"metadata\":{\"name\":\"lease-admin\"},\"rules\":[{\"apiGroups\":[\"coordination.k8s.io\"],\"resources\":[\"*\"],\"verbs\":[\"*\"]}]}",
        NULL, &err), 0);
    assert_int_equal(as(f, &carol, "GET", "/apis/coordination.k8s.io/v1/namespaces/dev/leases", NULL, NULL), 200);
    assert_int_equal(as(f, &carol, "GET", "/apis/coordination.k8s.io/v1/namespaces/prod/leases", NULL, NULL), 403);
    /* discovery and whoami are every authenticated user's (bootstrap policy) */
    assert_int_equal(as(f, &alice, "GET", "/apis", NULL, NULL), 200);
    assert_int_equal(as(f, &alice, "GET", "/metrics", NULL, &b), 403);
    assert_string_equal(msg_of(b, m, sizeof m), "forbidden: User \"alice\" cannot get path \"/metrics\"");
    free(b);
}

static const char RB[] = "/apis/rbac.authorization.k8s.io/v1";

static void post_ok(fx_t *f, const char *path, const char *body)
{
    skiff_error_t err;
    char full[256];
    snprintf(full, sizeof full, "%s%s", RB, path);
    if (skiff_api_client_create(f->cl, full, body, NULL, &err) < 0) fail_msg("%s: %s", path, err.msg);
}

static int post_as(fx_t *f, const skiff_api_user_t *u, const char *path, const char *body, char *msg, size_t len)
{
    char full[256], *b = NULL;
    snprintf(full, sizeof full, "%s%s", RB, path);
    int code = as(f, u, "POST", full, body, &b);
    if (msg) msg_of(b, msg, len);
    free(b);
    return code;
}

#define ALICE_DENIED "is forbidden: user \"alice\" (groups=[\"dev\" \"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n"

static void test_escalation_server(void **state)
{
    fx_t *f = *state;
    char m[1024];
    /* alice administers dev (ClusterRole admin through a RoleBinding) */
    post_ok(f, "/namespaces/dev/rolebindings", "{\"metadata\":{\"name\":\"alice-admin\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"alice\"}],"
                                               "\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"admin\"}}");
    /* a Role within what she holds */
    assert_int_equal(post_as(f, &alice, "/namespaces/dev/roles", "{\"metadata\":{\"name\":\"pod-get\"},"
                             "\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"get\"]}]}", NULL, 0), 201);
    /* one granting more is refused with what is missing */
    assert_int_equal(post_as(f, &alice, "/namespaces/dev/roles", "{\"metadata\":{\"name\":\"nodes\"},"
                             "\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"nodes\",\"pods\"],\"verbs\":[\"get\",\"list\"]}]}", m, sizeof m), 403);
    assert_string_equal(m, "roles.rbac.authorization.k8s.io \"nodes\" " ALICE_DENIED
                           "{APIGroups:[\"\"], Resources:[\"nodes\"], Verbs:[\"get\" \"list\"]}");
    /* nor in a namespace she does not administer, nor cluster-wide */
    assert_int_equal(post_as(f, &alice, "/namespaces/prod/roles", "{\"metadata\":{\"name\":\"p\"},"
                             "\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"get\"]}]}", NULL, 0), 403);
    /* an update that adds a permission is checked too */
    char *b = NULL;
    assert_int_equal(as(f, &alice, "PATCH", "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/roles/pod-get",
                        "{\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"get\",\"deletecollection\",\"escalate\"]}]}", &b), 403);
    assert_string_equal(msg_of(b, m, sizeof m), "roles.rbac.authorization.k8s.io \"pod-get\" " ALICE_DENIED
                        "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"escalate\"]}");
    free(b);
    /* changing only finalizers / ownerReferences of a role beyond her is no
     * grant (kube's IsOnlyMutatingGCFields); a label is */
    post_ok(f, "/namespaces/dev/roles", "{\"metadata\":{\"name\":\"big\"},\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"nodes\"],\"verbs\":[\"get\"]}]}");
    assert_int_equal(as(f, &alice, "PATCH", "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/roles/big",
                        "{\"metadata\":{\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":\"o\",\"uid\":\"u1\"}]}}", NULL), 200);
    assert_int_equal(as(f, &alice, "PATCH", "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/roles/big",
                        "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}", &b), 403);
    assert_string_equal(msg_of(b, m, sizeof m), "roles.rbac.authorization.k8s.io \"big\" " ALICE_DENIED
                        "{APIGroups:[\"\"], Resources:[\"nodes\"], Verbs:[\"get\"]}");
    free(b);
    /* bindings: to a role she holds everything of (view is inside admin) */
    assert_int_equal(post_as(f, &alice, "/namespaces/dev/rolebindings", "{\"metadata\":{\"name\":\"bob-view\"},"
                             "\"subjects\":[{\"kind\":\"User\",\"name\":\"bob\"}],\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"view\"}}", NULL, 0), 201);
    /* not to cluster-admin */
    assert_int_equal(post_as(f, &alice, "/namespaces/dev/rolebindings", "{\"metadata\":{\"name\":\"bob-root\"},"
                             "\"subjects\":[{\"kind\":\"User\",\"name\":\"bob\"}],\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"cluster-admin\"}}", m, sizeof m), 403);
    assert_string_equal(m, "rolebindings.rbac.authorization.k8s.io \"bob-root\" " ALICE_DENIED
                           "{APIGroups:[\"*\"], Resources:[\"*\"], Verbs:[\"*\"]}\n{NonResourceURLs:[\"*\"], Verbs:[\"*\"]}");
    /* a missing role is NotFound */
    assert_int_equal(post_as(f, &alice, "/namespaces/dev/rolebindings", "{\"metadata\":{\"name\":\"x\"},"
                             "\"subjects\":[{\"kind\":\"User\",\"name\":\"bob\"}],\"roleRef\":{\"kind\":\"Role\",\"name\":\"nope\"}}", m, sizeof m), 404);
    assert_string_equal(m, "roles.rbac.authorization.k8s.io \"nope\" not found");
    /* `bind` on cluster-admin by name lets her bind it, and only it */
    post_ok(f, "/namespaces/dev/roles", "{\"metadata\":{\"name\":\"binder\"},\"rules\":[{\"apiGroups\":[\"rbac.authorization.k8s.io\"],"
                                        "\"resources\":[\"clusterroles\"],\"resourceNames\":[\"cluster-admin\"],\"verbs\":[\"bind\"]}]}");
    post_ok(f, "/namespaces/dev/rolebindings", "{\"metadata\":{\"name\":\"alice-binder\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"alice\"}],"
                                               "\"roleRef\":{\"kind\":\"Role\",\"name\":\"binder\"}}");
    assert_int_equal(post_as(f, &alice, "/namespaces/dev/rolebindings", "{\"metadata\":{\"name\":\"bob-root\"},"
                             "\"subjects\":[{\"kind\":\"User\",\"name\":\"bob\"}],\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"cluster-admin\"}}", NULL, 0), 201);
    post_ok(f, "/clusterroles", "{\"metadata\":{\"name\":\"nodes-reader\"},\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"nodes\"],\"verbs\":[\"get\"]}]}");
    assert_int_equal(post_as(f, &alice, "/namespaces/dev/rolebindings", "{\"metadata\":{\"name\":\"bob-nodes\"},"
                             "\"subjects\":[{\"kind\":\"User\",\"name\":\"bob\"}],\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"nodes-reader\"}}", NULL, 0), 403);
    /* a ClusterRole needs cluster-wide permissions: dev's do not count */
    assert_int_equal(post_as(f, &alice, "/clusterroles", "{\"metadata\":{\"name\":\"c\"},"
                             "\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"get\"]}]}", m, sizeof m), 403);
    /* (her 403 there is for lacking create on clusterroles; with it, the escalation check speaks) */
    post_ok(f, "/clusterroles", "{\"metadata\":{\"name\":\"cr-writer\"},\"rules\":[{\"apiGroups\":[\"rbac.authorization.k8s.io\"],"
                                "\"resources\":[\"clusterroles\"],\"verbs\":[\"create\"]}]}");
    post_ok(f, "/clusterrolebindings", "{\"metadata\":{\"name\":\"alice-cr-writer\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"alice\"}],"
                                       "\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"cr-writer\"}}");
    assert_int_equal(post_as(f, &alice, "/clusterroles", "{\"metadata\":{\"name\":\"c\"},"
                             "\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"get\"]}]}", m, sizeof m), 403);
    assert_string_equal(m, "clusterroles.rbac.authorization.k8s.io \"c\" " ALICE_DENIED
                           "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"get\"]}");
    /* but one granting only what she holds cluster-wide is fine */
    assert_int_equal(post_as(f, &alice, "/clusterroles", "{\"metadata\":{\"name\":\"c2\"},"
                             "\"rules\":[{\"apiGroups\":[\"rbac.authorization.k8s.io\"],\"resources\":[\"clusterroles\"],\"verbs\":[\"create\"]}]}", NULL, 0), 201);
    /* `escalate` on roles in dev lifts the check there */
    post_ok(f, "/namespaces/dev/roles", "{\"metadata\":{\"name\":\"escalator\"},\"rules\":[{\"apiGroups\":[\"rbac.authorization.k8s.io\"],"
                                        "\"resources\":[\"roles\"],\"verbs\":[\"escalate\"]}]}");
    post_ok(f, "/namespaces/dev/rolebindings", "{\"metadata\":{\"name\":\"alice-escalator\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"alice\"}],"
                                               "\"roleRef\":{\"kind\":\"Role\",\"name\":\"escalator\"}}");
    assert_int_equal(post_as(f, &alice, "/namespaces/dev/roles", "{\"metadata\":{\"name\":\"nodes\"},"
                             "\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"nodes\",\"pods\"],\"verbs\":[\"get\",\"list\"]}]}", NULL, 0), 201);
    /* system:masters bypass */
    static const char *const mg[] = { "system:masters", "system:authenticated" };
    const skiff_api_user_t root = { "root", "", mg, 2 };
    assert_int_equal(post_as(f, &root, "/namespaces/prod/roles", "{\"metadata\":{\"name\":\"all\"},"
                             "\"rules\":[{\"apiGroups\":[\"*\"],\"resources\":[\"*\"],\"verbs\":[\"*\"]}]}", NULL, 0), 201);
}

static void test_reviews(void **state)
{
    fx_t *f = *state;
    char *b = NULL;
    assert_int_equal(as(f, &alice, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectAccessReview\",\"spec\":{\"resourceAttributes\":"
        "{\"namespace\":\"dev\",\"verb\":\"list\",\"resource\":\"pods\"}}}", &b), 201);
    cJSON *o = cJSON_Parse(b);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "status"), "allowed")));
    cJSON_Delete(o);
    free(b);
    static const char *const mg[] = { "system:masters", "system:authenticated" };
    const skiff_api_user_t root = { "root", "", mg, 2 };
    assert_int_equal(as(f, &root, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        "{\"spec\":{\"nonResourceAttributes\":{\"path\":\"/anything\",\"verb\":\"get\"}}}", &b), 201);
    o = cJSON_Parse(b);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "status"), "allowed")));
    cJSON_Delete(o);
    free(b);
    assert_int_equal(as(f, &alice, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", "{\"spec\":{}}", NULL), 422);
    /* only create is served (a GET is decided first: alice may not list them) */
    assert_int_equal(as(f, &alice, "GET", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", NULL, NULL), 403);
    assert_int_equal(as(f, &root, "GET", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", NULL, NULL), 405);
    /* SelfSubjectRulesReview: the bootstrap rules every authenticated user has */
    assert_int_equal(as(f, &alice, "POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
        "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectRulesReview\",\"spec\":{\"namespace\":\"dev\"}}", &b), 201);
    o = cJSON_Parse(b);
    cJSON *st = cJSON_GetObjectItem(o, "status");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(st, "incomplete")));
    assert_json(cJSON_GetArrayItem(cJSON_GetObjectItem(st, "resourceRules"), 0),
                "{'verbs':['create'],'apiGroups':['authorization.k8s.io'],'resources':['selfsubjectaccessreviews','selfsubjectrulesreviews']}");
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(st, "nonResourceRules")) >= 2);
    cJSON_Delete(o);
    free(b);
    assert_int_equal(as(f, &alice, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                        "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\"}", &b), 201);
    o = cJSON_Parse(b);
    cJSON *ui = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "status"), "userInfo");
    assert_json(ui, "{'username':'alice','uid':'1','groups':['dev','system:authenticated']}");
    cJSON_Delete(o);
    free(b);
}

static void test_rbac_validation(void **state)
{
    fx_t *f = *state;
    char *b = NULL, m[512];
    assert_int_equal(as(f, NULL, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/roles",
                        "{\"metadata\":{\"name\":\"r\"},\"rules\":[{\"nonResourceURLs\":[\"/x\"],\"verbs\":[\"get\"]}]}", &b), 422);
    assert_string_equal(msg_of(b, m, sizeof m),
                        "Role.rbac.authorization.k8s.io \"r\" is invalid: rules[0].nonResourceURLs: Invalid value: namespaced rules cannot apply to non-resource URLs");
    free(b);
    assert_int_equal(as(f, NULL, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
                        "{\"metadata\":{\"name\":\"b\"},\"subjects\":[{\"kind\":\"Robot\",\"name\":\"x\"}],\"roleRef\":{\"kind\":\"Role\",\"name\":\"r\"}}", &b), 422);
    assert_non_null(strstr(msg_of(b, m, sizeof m), "roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\""));
    assert_non_null(strstr(m, "subjects[0].kind: Unsupported value: \"Robot\""));
    free(b);
    /* names are path segments: "system:..." is fine */
    assert_int_equal(as(f, NULL, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles",
                        "{\"metadata\":{\"name\":\"system:thing\"},\"rules\":[]}", NULL), 201);
    /* roleRef is immutable */
    assert_int_equal(as(f, NULL, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/rolebindings",
                        "{\"metadata\":{\"name\":\"rb\"},\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"view\"}}", NULL), 201);
    assert_int_equal(as(f, NULL, "PATCH", "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/rolebindings/rb",
                        "{\"roleRef\":{\"name\":\"edit\"}}", &b), 422);
    assert_non_null(strstr(msg_of(b, m, sizeof m), "cannot change roleRef"));
    free(b);
}

/* ---- tokens and headers ----------------------------------------------------- */

static void test_token_file(void **state)
{
    fx_t *f = *state;
    skiff_error_t err;
    assert_int_equal(skiff_api_server_load_tokens(f->srv, "t.csv",
        "tok1,alice,100,\"dev,qa\"\n\n"
        "tok2,bob,101\r\n"
        "\"tok,3\",carol,,\"a \"\"b\"\"\"\n", &err), 0);
    const skiff_api_user_t *u = NULL;
    assert_int_equal(apisrv_authenticate(f->srv, "Bearer tok1", &u), 0);
    assert_string_equal(u->name, "alice");
    assert_string_equal(u->uid, "100");
    assert_int_equal(u->ngroups, 3);
    assert_string_equal(u->groups[0], "dev");
    assert_string_equal(u->groups[1], "qa");
    assert_string_equal(u->groups[2], "system:authenticated");
    assert_int_equal(apisrv_authenticate(f->srv, "bearer tok2", &u), 0);
    assert_string_equal(u->name, "bob");
    assert_int_equal(u->ngroups, 1);
    assert_int_equal(apisrv_authenticate(f->srv, "Bearer tok,3", &u), 0);
    assert_string_equal(u->name, "carol");
    assert_string_equal(u->groups[0], "a \"b\"");
    /* unknown or empty tokens fail even with anonymous allowed */
    assert_int_equal(apisrv_authenticate(f->srv, "Bearer nope", &u), -1);
    assert_int_equal(apisrv_authenticate(f->srv, "Bearer ", &u), -1);
    /* no header, or another scheme: anonymous */
    assert_int_equal(apisrv_authenticate(f->srv, NULL, &u), 0);
    assert_string_equal(u->name, "system:anonymous");
    assert_string_equal(u->groups[0], "system:unauthenticated");
    assert_int_equal(apisrv_authenticate(f->srv, "Basic YTpi", &u), 0);
    assert_string_equal(u->name, "system:anonymous");
    /* errors name the file and line */
    assert_int_equal(skiff_api_server_load_tokens(f->srv, "t.csv", "ok,a,1\nbad,b\n", &err), SKIFF_E_INVALID);
    assert_string_equal(err.msg, "t.csv:2: token file must have at least 3 columns (token, user name, user uid), found 2");
    assert_int_equal(skiff_api_server_load_tokens(f->srv, "t.csv", "\"open,a,1\n", &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "t.csv:1: bad quoting"));
    assert_int_equal(skiff_api_server_add_token(f->srv, "tok1", "x", NULL, NULL, &err), SKIFF_E_EXISTS);
    /* an HTTP request without a token, anonymous refused: 401 */
    f->srv->anonymous = 0;
    skiff_api_request_t rq = { .method = "GET", .path = "/api", .remote = 1 };
    skiff_api_response_t rs;
    assert_int_equal(skiff_api_server_handle(f->srv, &rq, &rs), 0);
    assert_int_equal(rs.code, 401);
    char m[128];
    assert_string_equal(msg_of(rs.body, m, sizeof m), "Unauthorized");
    skiff_api_response_free(&rs);
    rq.authorization = "Bearer tok1";
    assert_int_equal(skiff_api_server_handle(f->srv, &rq, &rs), 0);
    assert_int_equal(rs.code, 200);
    skiff_api_response_free(&rs);
}

static void test_modes_config(void **state)
{
    fx_t *f = *state;
    skiff_api_server_t *s = NULL;
    skiff_error_t err;
    static const char *const bad[] = { "RBAC,Webhook", NULL };
    skiff_api_config_t cfg = { .authorization_modes = bad };
    assert_int_equal(skiff_api_server_new(&cfg, skiff_instance_ops(f->store), skiff_instance_self(f->store), &s, &err),
                     SKIFF_E_INVALID);
    assert_string_equal(err.msg, "apiserver: authorization_mode \"Webhook\": unknown mode (valid: AlwaysAllow, AlwaysDeny, RBAC)");
    static const char *const deny[] = { "AlwaysDeny", NULL };
    cfg.authorization_modes = deny;
    assert_int_equal(skiff_api_server_new(&cfg, skiff_instance_ops(f->store), skiff_instance_self(f->store), &s, &err), 0);
    assert_int_equal(as((fx_t *)&(fx_t){ .srv = s }, &alice, "GET", "/api/v1/namespaces", NULL, NULL), 403);
    /* without a token file a bearer header is not looked at: anonymous, as kube */
    const skiff_api_user_t *u = NULL;
    assert_int_equal(apisrv_authenticate(s, "Bearer whatever", &u), 0);
    assert_string_equal(u->name, "system:anonymous");
    /* in-process components are in system:masters */
    assert_int_equal(as((fx_t *)&(fx_t){ .srv = s }, NULL, "GET", "/api/v1/namespaces", NULL, NULL), 200);
    skiff_api_server_free(s);
    cfg.token_auth_file = "/nonexistent/tokens.csv";
    cfg.authorization_modes = NULL;
    assert_int_equal(skiff_api_server_new(&cfg, skiff_instance_ops(f->store), skiff_instance_self(f->store), &s, &err),
                     SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "token_auth_file \"/nonexistent/tokens.csv\""));
}

/* ---- the admission chain sees the authenticated user --------------------------- */

static char seen[512];

static int who_init(const skiff_host_t *host, skiff_ctx_t *ctx, void *self, skiff_error_t *err)
{
    (void)host; (void)ctx; (void)self; (void)err;
    return 0;
}

/* records "user uid [groups]"; denies users outside group "dev" */
static int who_admit(void *self, skiff_adm_request_t *req, skiff_adm_verdict_t *v, skiff_error_t *err)
{
    (void)self;
    int n = snprintf(seen, sizeof seen, "%s %s [", req->user, req->uid ? req->uid : "-");
    int dev = 0;
    for (size_t i = 0; i < req->ngroups && n > 0 && (size_t)n < sizeof seen; i++) {
        n += snprintf(seen + n, sizeof seen - (size_t)n, "%s%s", i ? " " : "", req->groups[i]);
        if (strcmp(req->groups[i], "dev") == 0 || strcmp(req->groups[i], "system:masters") == 0) dev = 1;
    }
    if (n > 0 && (size_t)n < sizeof seen) snprintf(seen + n, sizeof seen - (size_t)n, "]");
    *v = dev ? SKIFF_ADM_ALLOW : SKIFF_ADM_DENY;
    if (!dev) skiff_error_set(err, SKIFF_E_INVALID, "only group dev");
    return 0;
}

static const skiff_config_key_t who_keys[] = { SKIFF_CONFIG_END };
static const skiff_admission_ops_t who_ops = { .size = sizeof who_ops, .admit = who_admit };
static const skiff_plugin_t who_desc = {
    SKIFF_PLUGIN_HEADER, .kind = SKIFF_KIND_ADMISSION, .name = "who", .version = "0",
    .config = who_keys, .instance_size = 8, .init = who_init, .ops = &who_ops,
};

static void test_admission_user(void **state)
{
    fx_t *f = *state;
    skiff_error_t err;
    skiff_instance_t *i = NULL;
    assert_int_equal(skiff_instance_new(&who_desc, "who", NULL, NULL, &i, &err), 0);
    skiff_adm_chain_t *chain = NULL;
    assert_int_equal(skiff_adm_chain_new(&i, 1, &chain, &err), 0);
    skiff_api_server_set_admission(f->srv, chain);
    assert_int_equal(skiff_api_client_create(f->cl, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        "{\"metadata\":{\"name\":\"all-edit\"},\"subjects\":[{\"kind\":\"Group\",\"name\":\"system:authenticated\"}],"
        "\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"edit\"}}", NULL, &err), 0);
    assert_string_equal(seen, "system:skiff:component  [system:masters system:authenticated]");
    assert_int_equal(as(f, &alice, "POST", "/api/v1/namespaces/dev/configmaps", "{\"metadata\":{\"name\":\"a\"}}", NULL), 201);
    assert_string_equal(seen, "alice 1 [dev system:authenticated]");
    static const char *const bg[] = { "system:authenticated" };
    const skiff_api_user_t bob = { "bob", "", bg, 1 };
    char *b = NULL, m[512];
    assert_int_equal(as(f, &bob, "POST", "/api/v1/namespaces/dev/configmaps", "{\"metadata\":{\"name\":\"b\"}}", &b), 403);
    assert_string_equal(msg_of(b, m, sizeof m), "configmaps \"b\" is forbidden: who: only group dev");
    free(b);
    assert_string_equal(seen, "bob  [system:authenticated]");
    skiff_api_server_set_admission(f->srv, NULL);
    skiff_adm_chain_free(chain);
    skiff_instance_free(i);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_verbs_groups_resources),
        cmocka_unit_test(test_rule_subresources_and_names),
        cmocka_unit_test(test_rule_non_resource_urls),
        cmocka_unit_test(test_rule_parse_errors),
        cmocka_unit_test(test_subjects),
        cmocka_unit_test(test_escalation_covers),
        cmocka_unit_test_setup_teardown(test_role_binding_one_namespace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_escalation_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reviews, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rbac_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_modes_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_admission_user, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
