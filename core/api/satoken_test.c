/* Tests for service-account tokens (core/api/jwt.c, satoken.c): RS256
 * signing and verification alone, then through a server over the memory
 * store: TokenRequest (defaults, validation, bound objects), requests
 * authenticated by the token as the service account, expiry, revocation
 * by deleting (or re-creating) the service account, audiences,
 * TokenReview, and the signing key kept in a file. */
#include "api/test_json.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/authz.h"
#include "api/client.h"
#include "api/internal.h"
#include "api/jwt.h"
#include "api/satoken.h"
#include "api/test_server.h"
#include "api/tls.h"

static void test_jwt_sign_verify(void **state)
{
    (void)state;
    skiff_error_t err;
    apisrv_jwt_key_t *k = NULL, *other = NULL;
    char *pem = NULL;
    assert_int_equal(apisrv_jwt_key_generate(&k, &pem, &err), 0);
    assert_non_null(strstr(pem, "PRIVATE KEY"));
    assert_int_equal(strlen(apisrv_jwt_key_id(k)), 43); /* base64url of a SHA-256 */
    cJSON *cl = tj("{'sub':'x','n':1}");
    char *tok = apisrv_jwt_sign(k, cl, &err);
    assert_non_null(tok);
    cJSON *got = NULL;
    assert_int_equal(apisrv_jwt_verify(k, tok, strlen(tok), &got, &err), 0);
    assert_true(cJSON_Compare(got, cl, 1));
    cJSON_Delete(got);
    /* the same key loaded from its PEM has the same id and accepts the token */
    apisrv_jwt_key_t *again = NULL;
    assert_int_equal(apisrv_jwt_key_load(pem, "pem", &again, &err), 0);
    assert_string_equal(apisrv_jwt_key_id(again), apisrv_jwt_key_id(k));
    assert_int_equal(apisrv_jwt_verify(again, tok, strlen(tok), &got, &err), 0);
    cJSON_Delete(got);
    apisrv_jwt_key_free(again);
    /* another key refuses it */
    assert_int_equal(apisrv_jwt_key_generate(&other, NULL, &err), 0);
    assert_int_equal(apisrv_jwt_verify(other, tok, strlen(tok), &got, &err), -1);
    assert_null(got);
    /* a changed payload (same header and signature) fails the signature */
    char *d1 = strchr(tok, '.'), *d2 = strchr(d1 + 1, '.');
    cJSON *evil = tj("{'sub':'y','n':1}");
    char *forged = apisrv_jwt_sign(other, evil, &err);
    char *fd1 = strchr(forged, '.'), *fd2 = strchr(fd1 + 1, '.');
    char mixed[4096];
    snprintf(mixed, sizeof mixed, "%.*s%.*s%s", (int)(d1 - tok), tok, (int)(fd2 - fd1), fd1, d2);
    assert_int_equal(apisrv_jwt_verify(k, mixed, strlen(mixed), &got, &err), -1);
    assert_string_equal(err.msg, "invalid JWT signature");
    /* not JWTs */
    const char *bad[] = { "", "abc", "a.b", "a.b.c.d", "e30.e30.", "!!.e30.AAAA" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(apisrv_jwt_verify(k, bad[i], strlen(bad[i]), &got, &err), -1);
    /* another algorithm in the header */
    const char none[] = "eyJhbGciOiJub25lIn0.e30.";
    assert_int_equal(apisrv_jwt_verify(k, none, strlen(none), &got, &err), -1);
    assert_string_equal(err.msg, "unsupported JWT algorithm (RS256 only)");
    assert_int_equal(apisrv_jwt_key_load("junk", "sa.key", &again, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "sa.key: not a PEM private key"));
    free(forged);
    cJSON_Delete(evil);
    free(tok);
    free(pem);
    cJSON_Delete(cl);
    apisrv_jwt_key_free(k);
    apisrv_jwt_key_free(other);
}

/* ---- through a server ---------------------------------------------------- */

typedef test_server_t fx_t;

static int setup(void **state)
{
    static const char *const modes[] = { "RBAC", NULL };
    skiff_api_config_t cfg = { .authorization_modes = modes, .anonymous_auth = 1 };
    fx_t *f = test_server_up(&cfg);
    skiff_api_server_bootstrap_rbac(f->srv);
    test_server_namespace(f, "dev");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    test_server_down(*state);
    return 0;
}

/* An HTTP-like request with `Authorization: Bearer tok` (tok NULL: none). */
static int as_token(fx_t *f, const char *tok, const char *method, const char *path, const char *body, cJSON **out)
{
    char hdr[8192];
    if (tok) snprintf(hdr, sizeof hdr, "Bearer %s", tok);
    skiff_api_request_t rq = { .method = method, .path = path, .body = body, .body_len = body ? strlen(body) : 0,
                               .remote = 1, .authorization = tok ? hdr : NULL, .content_type = "application/json" };
    skiff_api_response_t rs;
    assert_int_equal(skiff_api_server_handle(f->srv, &rq, &rs), 0);
    if (out) *out = cJSON_ParseWithLength(rs.body, rs.body_len);
    int code = rs.code;
    skiff_api_response_free(&rs);
    return code;
}

/* A component's (system:masters) request. */
static int admin(fx_t *f, const char *method, const char *path, const char *body, cJSON **out)
{
    skiff_api_request_t rq = { .method = method, .path = path, .body = body, .body_len = body ? strlen(body) : 0,
                               .content_type = "application/json" };
    skiff_api_response_t rs;
    assert_int_equal(skiff_api_server_handle(f->srv, &rq, &rs), 0);
    if (out) *out = cJSON_ParseWithLength(rs.body, rs.body_len);
    int code = rs.code;
    skiff_api_response_free(&rs);
    return code;
}

static const char *str(const cJSON *o, const char *path) { const char *s = apisrv_str(o, path); return s ? s : ""; }

/* A token for dev/SA from TokenRequest `body` (malloc'd). */
static char *token_for(fx_t *f, const char *sa, const char *body)
{
    char path[256];
    snprintf(path, sizeof path, "/api/v1/namespaces/dev/serviceaccounts/%s/token", sa);
    cJSON *o = NULL;
    int code = admin(f, "POST", path, body, &o);
    if (code != 201) fail_msg("TokenRequest: %d %s", code, cJSON_PrintUnformatted(o));
    char *t = strdup(str(o, "status.token"));
    cJSON_Delete(o);
    return t;
}

static const char *message(const cJSON *o) { return str(o, "message"); }

#define WHOAMI "/apis/authentication.k8s.io/v1/selfsubjectreviews"
#define SSR "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\"}"

static void test_token_request_and_authentication(void **state)
{
    fx_t *f = *state;
    cJSON *o = NULL;
    assert_int_equal(admin(f, "POST", "/api/v1/namespaces/dev/serviceaccounts", "{\"metadata\":{\"name\":\"robot\"}}", &o), 201);
    char sa_uid[64];
    snprintf(sa_uid, sizeof sa_uid, "%s", str(o, "metadata.uid"));
    cJSON_Delete(o);
    /* no signing key yet: no token is accepted, none is looked at */
    assert_false(apisrv_sa_active(f->srv));
    assert_int_equal(admin(f, "POST", "/api/v1/namespaces/dev/serviceaccounts/robot/token", "{}", &o), 201);
    assert_true(apisrv_sa_active(f->srv));
    /* kube's defaults: the API audience, an hour */
    assert_string_equal(str(o, "kind"), "TokenRequest");
    assert_string_equal(str(o, "apiVersion"), "authentication.k8s.io/v1");
    assert_string_equal(str(o, "metadata.name"), "robot");
    assert_string_equal(str(o, "metadata.namespace"), "dev");
    assert_json(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "spec"), "audiences"), "['https://kubernetes.default.svc.cluster.local']");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "spec"), "expirationSeconds")->valueint, 3600);
    int64_t exp = apisrv_parse_time(str(o, "status.expirationTimestamp")), created = apisrv_parse_time(str(o, "metadata.creationTimestamp"));
    assert_true(exp - created == 3600LL * 1000000000);
    char *tok = strdup(str(o, "status.token"));
    cJSON_Delete(o);
    /* the claims are kube's */
    cJSON *cl = NULL;
    skiff_error_t err;
    assert_int_equal(apisrv_jwt_verify(f->srv->sa_key, tok, strlen(tok), &cl, &err), 0);
    assert_string_equal(str(cl, "iss"), "https://kubernetes.default.svc.cluster.local");
    assert_string_equal(str(cl, "sub"), "system:serviceaccount:dev:robot");
    assert_json(cJSON_GetObjectItem(cl, "aud"), "['https://kubernetes.default.svc.cluster.local']");
    cJSON *want = cJSON_CreateObject();
    cJSON_AddStringToObject(want, "namespace", "dev");
    cJSON *sar = cJSON_AddObjectToObject(want, "serviceaccount");
    cJSON_AddStringToObject(sar, "name", "robot");
    cJSON_AddStringToObject(sar, "uid", sa_uid);
    assert_true(cJSON_Compare(cJSON_GetObjectItem(cl, "kubernetes.io"), want, 1));
    cJSON_Delete(want);
    assert_int_equal(cJSON_GetObjectItem(cl, "exp")->valuedouble - cJSON_GetObjectItem(cl, "iat")->valuedouble, 3600);
    assert_int_equal(strlen(str(cl, "jti")), 36);
    assert_non_null(cJSON_GetObjectItem(cl, "nbf"));
    char jti[64];
    snprintf(jti, sizeof jti, "%s", str(cl, "jti"));
    cJSON_Delete(cl);
    /* the token authenticates as the service account (whoami shows kube's extra) */
    assert_int_equal(as_token(f, tok, "POST", WHOAMI, SSR, &o), 201);
    char want_ui[700];
    snprintf(want_ui, sizeof want_ui, "{'username':'system:serviceaccount:dev:robot','uid':'%s',"
             "'groups':['system:serviceaccounts','system:serviceaccounts:dev','system:authenticated'],"
             "'extra':{'authentication.kubernetes.io/credential-id':['JTI=%s']}}", sa_uid, jti);
    assert_json(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "status"), "userInfo"), want_ui);
    cJSON_Delete(o);
    /* and RBAC decides for it (a ServiceAccount subject) */
    assert_int_equal(as_token(f, tok, "GET", "/api/v1/namespaces/dev/configmaps", NULL, &o), 403);
    assert_string_equal(message(o), "configmaps is forbidden: User \"system:serviceaccount:dev:robot\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"dev\"");
    cJSON_Delete(o);
    assert_int_equal(admin(f, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/rolebindings",
        "{\"metadata\":{\"name\":\"robot\"},\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"robot\",\"namespace\":\"dev\"}],"
        "\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"view\"}}", NULL), 201);
    assert_int_equal(as_token(f, tok, "GET", "/api/v1/namespaces/dev/configmaps", NULL, NULL), 200);
    /* a bad token is 401, anonymous or not */
    tok[strlen(tok) - 3] ^= 1;
    assert_int_equal(as_token(f, tok, "GET", "/api/v1/namespaces/dev/configmaps", NULL, &o), 401);
    assert_string_equal(message(o), "Unauthorized");
    cJSON_Delete(o);
    tok[strlen(tok) - 3] ^= 1;
    assert_int_equal(as_token(f, "not-a-jwt", "GET", "/api/v1/namespaces/dev/configmaps", NULL, NULL), 401);
    assert_int_equal(as_token(f, NULL, "GET", "/api/v1/namespaces/dev/configmaps", NULL, &o), 403); /* anonymous */
    cJSON_Delete(o);

    /* expiry: tokens the server signed with exp in the past (kube allows a minute of skew) */
    int64_t now = time(NULL);
    for (int late = 0; late < 2; late++) {
        char claims[1024];
        snprintf(claims, sizeof claims,
                 "{\"aud\":[\"https://kubernetes.default.svc.cluster.local\"],\"exp\":%lld,\"iat\":%lld,"
                 "\"iss\":\"https://kubernetes.default.svc.cluster.local\",\"kubernetes.io\":{\"namespace\":\"dev\","
                 "\"serviceaccount\":{\"name\":\"robot\",\"uid\":\"%s\"}},\"nbf\":%lld,\"sub\":\"system:serviceaccount:dev:robot\"}",
                 (long long)(now - (late ? 61 : 30)), (long long)(now - 4000), sa_uid, (long long)(now - 4000));
        cJSON *c = cJSON_Parse(claims);
        char *t = apisrv_jwt_sign(f->srv->sa_key, c, &err);
        assert_int_equal(as_token(f, t, "GET", "/api/v1/namespaces/dev/configmaps", NULL, NULL), late ? 401 : 200);
        apisrv_sa_user_t u;
        char why[300];
        assert_int_equal(apisrv_sa_check(f->srv, t, strlen(t), NULL, 0, now, &u, NULL, why, sizeof why), late ? -1 : 0);
        if (late) assert_string_equal(why, "service account token has expired");
        free(t);
        cJSON_Delete(c);
    }
    /* another issuer's token, even well signed, is not ours */
    cJSON *c = tj("{'aud':['https://kubernetes.default.svc.cluster.local'],'exp':9999999999,'iss':'https://elsewhere',"
                  "'kubernetes.io':{'namespace':'dev','serviceaccount':{'name':'robot','uid':'x'}}}");
    char *t = apisrv_jwt_sign(f->srv->sa_key, c, &err);
    assert_int_equal(as_token(f, t, "GET", "/api/v1/namespaces/dev/configmaps", NULL, NULL), 401);
    free(t);
    cJSON_Delete(c);

    /* a token for another audience is no good for the API server... */
    char *vault = token_for(f, "robot", "{\"spec\":{\"audiences\":[\"vault\"],\"expirationSeconds\":600}}");
    assert_int_equal(as_token(f, vault, "GET", "/api/v1/namespaces/dev/configmaps", NULL, NULL), 401);
    /* ...but a TokenReview for that audience says who it is */
    char body[4096];
    snprintf(body, sizeof body, "{\"kind\":\"TokenReview\",\"apiVersion\":\"authentication.k8s.io/v1\",\"spec\":{\"token\":\"%s\",\"audiences\":[\"vault\",\"other\"]}}", vault);
    assert_int_equal(admin(f, "POST", "/apis/authentication.k8s.io/v1/tokenreviews", body, &o), 201);
    cJSON *st = cJSON_GetObjectItem(o, "status");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(st, "authenticated")));
    assert_json(cJSON_GetObjectItem(st, "audiences"), "['vault']");
    assert_string_equal(str(st, "user.username"), "system:serviceaccount:dev:robot");
    char *extra = cJSON_PrintUnformatted(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "user"), "extra"));
    assert_non_null(strstr(extra, "authentication.kubernetes.io/credential-id"));
    free(extra);
    cJSON_Delete(o);
    snprintf(body, sizeof body, "{\"spec\":{\"token\":\"%s\"}}", vault);
    assert_int_equal(admin(f, "POST", "/apis/authentication.k8s.io/v1/tokenreviews", body, &o), 201);
    st = cJSON_GetObjectItem(o, "status");
    assert_null(cJSON_GetObjectItem(st, "authenticated"));
    assert_string_equal(str(st, "error"), "token audiences are invalid for the target audiences");
    cJSON_Delete(o);
    free(vault);
    assert_int_equal(admin(f, "POST", "/apis/authentication.k8s.io/v1/tokenreviews", "{\"spec\":{}}", &o), 400);
    assert_string_equal(message(o), "token is required for TokenReview in authentication");
    cJSON_Delete(o);
    /* who may ask: system:auth-delegator's rule */
    assert_int_equal(as_token(f, tok, "POST", "/apis/authentication.k8s.io/v1/tokenreviews", body, &o), 403);
    cJSON_Delete(o);

    /* deleting the service account revokes its tokens; a new one of the same name does not revive them */
    assert_int_equal(admin(f, "DELETE", "/api/v1/namespaces/dev/serviceaccounts/robot", NULL, NULL), 200);
    assert_int_equal(as_token(f, tok, "GET", "/api/v1/namespaces/dev/configmaps", NULL, NULL), 401);
    assert_int_equal(admin(f, "POST", "/api/v1/namespaces/dev/serviceaccounts", "{\"metadata\":{\"name\":\"robot\"}}", NULL), 201);
    assert_int_equal(as_token(f, tok, "GET", "/api/v1/namespaces/dev/configmaps", NULL, NULL), 401);
    apisrv_sa_user_t u;
    char why[300];
    assert_int_equal(apisrv_sa_check(f->srv, tok, strlen(tok), NULL, 0, now, &u, NULL, why, sizeof why), -1);
    assert_non_null(strstr(why, "does not match claim"));
    free(tok);
}

static void test_token_request_errors_and_binding(void **state)
{
    fx_t *f = *state;
    cJSON *o = NULL;
    assert_int_equal(admin(f, "POST", "/api/v1/namespaces/dev/serviceaccounts/nosuch/token", "{}", &o), 404);
    assert_string_equal(message(o), "serviceaccounts \"nosuch\" not found");
    cJSON_Delete(o);
    assert_int_equal(admin(f, "POST", "/api/v1/namespaces/dev/serviceaccounts", "{\"metadata\":{\"name\":\"robot\"}}", NULL), 201);
    assert_int_equal(admin(f, "POST", "/api/v1/namespaces/dev/serviceaccounts/robot/token", "{\"spec\":{\"expirationSeconds\":60}}", &o), 422);
    assert_string_equal(message(o), "TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes");
    assert_json(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "details"), "causes"),
                "[{'reason':'FieldValueInvalid','message':'Invalid value: 60: may not specify a duration less than 10 minutes','field':'spec.expirationSeconds'}]");
    cJSON_Delete(o);
    assert_int_equal(admin(f, "POST", "/api/v1/namespaces/dev/serviceaccounts/robot/token", "{\"metadata\":{\"name\":\"other\"}}", &o), 422);
    assert_string_equal(message(o), "TokenRequest.authentication.k8s.io \"robot\" is invalid: metadata.name: Invalid value: \"other\": must match the service account name if specified");
    cJSON_Delete(o);
    assert_int_equal(admin(f, "GET", "/api/v1/namespaces/dev/serviceaccounts/robot/token", NULL, NULL), 405);
    assert_int_equal(admin(f, "POST", "/api/v1/namespaces/dev/serviceaccounts/robot/token",
                           "{\"spec\":{\"boundObjectRef\":{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"name\":\"x\"}}}", &o), 400);
    assert_string_equal(message(o), "cannot bind token to object of type /v1, Kind=ConfigMap");
    cJSON_Delete(o);
    assert_int_equal(admin(f, "POST", "/api/v1/namespaces/dev/serviceaccounts/robot/token",
                           "{\"spec\":{\"boundObjectRef\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"name\":\"p\"}}}", &o), 404);
    assert_string_equal(message(o), "pods \"p\" not found");
    cJSON_Delete(o);
    /* a pod of another service account */
    assert_int_equal(admin(f, "POST", "/api/v1/namespaces/dev/pods",
                           "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}", NULL), 201);
    assert_int_equal(admin(f, "POST", "/api/v1/namespaces/dev/serviceaccounts/robot/token",
                           "{\"spec\":{\"boundObjectRef\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"name\":\"p\"}}}", &o), 400);
    assert_string_equal(message(o), "cannot bind token for serviceaccount \"robot\" to pod running with different serviceaccount name.");
    cJSON_Delete(o);
    assert_int_equal(admin(f, "POST", "/api/v1/namespaces/dev/pods",
                           "{\"metadata\":{\"name\":\"q\"},\"spec\":{\"serviceAccountName\":\"robot\",\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}", &o), 201);
    char puid[64];
    snprintf(puid, sizeof puid, "%s", str(o, "metadata.uid"));
    cJSON_Delete(o);
    assert_int_equal(admin(f, "POST", "/api/v1/namespaces/dev/serviceaccounts/robot/token",
                           "{\"spec\":{\"boundObjectRef\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"name\":\"q\",\"uid\":\"wrong\"}}}", &o), 409);
    assert_string_equal(message(o), "Operation cannot be fulfilled on Pod \"q\": the UID in the bound object reference (wrong) does not match the UID in record. The object might have been deleted and then recreated");
    cJSON_Delete(o);
    char body[300];
    snprintf(body, sizeof body, "{\"spec\":{\"boundObjectRef\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"name\":\"q\",\"uid\":\"%s\"}}}", puid);
    char *tok = token_for(f, "robot", body);
    skiff_error_t err;
    cJSON *cl = NULL;
    assert_int_equal(apisrv_jwt_verify(f->srv->sa_key, tok, strlen(tok), &cl, &err), 0);
    cJSON *pod = cJSON_GetObjectItem(cJSON_GetObjectItem(cl, "kubernetes.io"), "pod");
    assert_string_equal(str(pod, "name"), "q");
    assert_string_equal(str(pod, "uid"), puid);
    cJSON_Delete(cl);
    assert_int_equal(as_token(f, tok, "POST", WHOAMI, SSR, NULL), 201);
    /* the token ends with its pod */
    assert_int_equal(admin(f, "DELETE", "/api/v1/namespaces/dev/pods/q", NULL, NULL), 200);
    assert_int_equal(as_token(f, tok, "POST", WHOAMI, SSR, NULL), 401);
    free(tok);
    /* who may ask for a token: create serviceaccounts/token (edit has it) */
    char *robot = token_for(f, "robot", "{}");
    assert_int_equal(as_token(f, robot, "POST", "/api/v1/namespaces/dev/serviceaccounts/robot/token", "{}", &o), 403);
    assert_string_equal(message(o), "serviceaccounts \"robot\" is forbidden: User \"system:serviceaccount:dev:robot\" cannot create resource \"serviceaccounts/token\" in API group \"\" in the namespace \"dev\"");
    cJSON_Delete(o);
    free(robot);
}

/* base64url -> bytes (test helper over GnuTLS' base64) */
static gnutls_datum_t unb64(const char *s)
{
    char t[2048];
    size_t n = 0;
    for (; *s && n + 4 < sizeof t; s++) t[n++] = *s == '-' ? '+' : *s == '_' ? '/' : *s;
    while (n % 4) t[n++] = '=';
    gnutls_datum_t in = { (unsigned char *)t, (unsigned)n }, out = { 0 };
    assert_true(gnutls_base64_decode2(&in, &out) >= 0);
    return out;
}

static void test_oidc_discovery(void **state)
{
    fx_t *f = *state;
    cJSON *o = NULL;
    assert_int_equal(admin(f, "GET", "/.well-known/openid-configuration", NULL, &o), 200);
    assert_json(o, "{'issuer':'https://kubernetes.default.svc.cluster.local','jwks_uri':'https://kubernetes.default.svc.cluster.local/openid/v1/jwks',"
                   "'response_types_supported':['id_token'],'subject_types_supported':['public'],'id_token_signing_alg_values_supported':['RS256']}");
    cJSON_Delete(o);
    assert_int_equal(admin(f, "POST", "/api/v1/namespaces/dev/serviceaccounts", "{\"metadata\":{\"name\":\"robot\"}}", NULL), 201);
    char *tok = token_for(f, "robot", "{}");
    /* a service account may read them (system:service-account-issuer-discovery), anonymous may not */
    assert_int_equal(as_token(f, tok, "GET", "/openid/v1/jwks", NULL, &o), 200);
    assert_int_equal(as_token(f, NULL, "GET", "/openid/v1/jwks", NULL, NULL), 403);
    const cJSON *k = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "keys"), 0);
    assert_string_equal(str(k, "kty"), "RSA");
    assert_string_equal(str(k, "alg"), "RS256");
    assert_string_equal(str(k, "use"), "sig");
    assert_string_equal(str(k, "kid"), apisrv_jwt_key_id(f->srv->sa_key));
    assert_string_equal(str(k, "e"), "AQAB");
    /* the published key verifies the token, as a relying party would */
    gnutls_datum_t n = unb64(str(k, "n")), e = unb64(str(k, "e"));
    assert_int_equal(n.size, 256); /* RSA 2048, no leading zero */
    gnutls_pubkey_t pub;
    assert_int_equal(gnutls_pubkey_init(&pub), 0);
    assert_int_equal(gnutls_pubkey_import_rsa_raw(pub, &n, &e), 0);
    char *dot = strrchr(tok, '.');
    gnutls_datum_t data = { (unsigned char *)tok, (unsigned)(dot - tok) }, sig = unb64(dot + 1);
    assert_true(gnutls_pubkey_verify_data2(pub, GNUTLS_SIGN_RSA_SHA256, 0, &data, &sig) >= 0);
    gnutls_pubkey_deinit(pub);
    gnutls_free(n.data);
    gnutls_free(e.data);
    gnutls_free(sig.data);
    cJSON_Delete(o);
    free(tok);
}

static void test_key_file(void **state)
{
    fx_t *f = *state;
    char dir[] = "/tmp/skiff-satoken.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/sa.key", dir);
    skiff_error_t err;
    assert_int_equal(skiff_api_server_sa_key_file(f->srv, path, &err), 0);
    assert_false(apisrv_sa_active(f->srv)); /* made on the first TokenRequest */
    assert_int_equal(admin(f, "POST", "/api/v1/namespaces/dev/serviceaccounts", "{\"metadata\":{\"name\":\"robot\"}}", NULL), 201);
    char *tok = token_for(f, "robot", "{}");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* a server given the same file (a restart) accepts the token */
    char *pem = NULL;
    apisrv_jwt_key_t *k = NULL;
    cJSON *cl = NULL;
    assert_int_equal(skiff_api_read_file(path, &pem, &err), 0);
    assert_int_equal(apisrv_jwt_key_load(pem, path, &k, &err), 0);
    assert_int_equal(apisrv_jwt_verify(k, tok, strlen(tok), &cl, &err), 0);
    cJSON_Delete(cl);
    apisrv_jwt_key_free(k);
    free(pem);
    assert_int_equal(skiff_api_server_sa_key_file(f->srv, path, &err), 0);
    assert_int_equal(as_token(f, tok, "POST", WHOAMI, SSR, NULL), 201);
    /* a file that is not a key stops the server with its name */
    FILE *fp = fopen(path, "w");
    fputs("not a key\n", fp);
    fclose(fp);
    assert_true(skiff_api_server_sa_key_file(f->srv, path, &err) < 0);
    assert_non_null(strstr(err.msg, "sa.key: not a PEM private key"));
    unlink(path);
    rmdir(dir);
    free(tok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jwt_sign_verify),
        cmocka_unit_test_setup_teardown(test_token_request_and_authentication, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_request_errors_and_binding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oidc_discovery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
