/* managedFields of every writer, fieldValidation and the OpenAPI schemas
 * (core/api/schema.c, fieldval.c, openapi.c, the recording in handlers.c),
 * through skiff_api_server_handle over the memory store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "api/api.h"
#include "api/internal.h"
#include "api/lean.h"
#include "api/patch_schema.h"
#include "api/schema.h"
#include "plugin/plugin.h"
#include "api/test_server.h"

typedef test_server_t fx_t;

static int setup(void **state)
{
    skiff_api_config_t cfg = { .service_cidr = "10.0.0.0/29" };
    fx_t *f = test_server_up(&cfg);
    skiff_api_request_t rq = { .method = "POST", .path = "/api/v1/namespaces", .body = "{\"metadata\":{\"name\":\"default\"}}",
                               .content_type = "application/json" };
    rq.body_len = strlen(rq.body);
    skiff_api_response_t rs;
    skiff_api_server_handle(f->srv, &rq, &rs);
    assert_int_equal(rs.code, 201);
    skiff_api_response_free(&rs);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    test_server_down(*state);
    return 0;
}

/* One request; query "k=v&k2=v2" (decoded values, no escapes). Returns the
 * code; *out (if given) the parsed body, *warn (if given) the warnings. */
static int call(fx_t *f, const char *method, const char *path, const char *query, const char *ctype,
                const char *ua, const char *body, cJSON **out, char **warn)
{
    skiff_api_param_t params[8];
    char q[512];
    size_t np = 0;
    snprintf(q, sizeof q, "%s", query ? query : "");
    for (char *sv = NULL, *kv = strtok_r(q, "&", &sv); kv && np < 8; kv = strtok_r(NULL, "&", &sv)) {
        char *eq = strchr(kv, '=');
        if (eq) *eq++ = '\0';
        params[np].key = kv;
        params[np++].value = eq ? eq : "";
    }
    skiff_api_request_t rq = { .method = method, .path = path, .params = params, .nparams = np,
                               .content_type = ctype ? ctype : "application/json", .accept = "application/json",
                               .body = body, .body_len = body ? strlen(body) : 0, .user_agent = ua };
    skiff_api_response_t rs;
    memset(&rs, 0, sizeof rs);
    skiff_api_server_handle(f->srv, &rq, &rs);
    if (out) *out = rs.body ? cJSON_ParseWithLength(rs.body, rs.body_len) : NULL;
    if (warn) *warn = rs.warnings ? strdup(rs.warnings) : NULL;
    int code = rs.code;
    skiff_api_response_free(&rs);
    return code;
}

static const char *msg_of(const cJSON *st)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(st, "message");
    return cJSON_IsString(m) ? m->valuestring : "";
}

static const cJSON *entry(const cJSON *obj, const char *manager, const char *sub)
{
    const cJSON *mf = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "managedFields");
    const cJSON *e;
    cJSON_ArrayForEach(e, mf) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "manager");
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(e, "subresource");
        if (cJSON_IsString(m) && !strcmp(m->valuestring, manager) &&
            !strcmp(cJSON_IsString(s) ? s->valuestring : "", sub ? sub : ""))
            return e;
    }
    return NULL;
}

static char *fields_of(const cJSON *e)
{
    return cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(e, "fieldsV1"));
}

#define NS "/api/v1/namespaces/default"
#define POD(name, extra) "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" name "\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"" extra "}]}}"

static void test_schema_table(void **state)
{
    (void)state;
    skiff_error_t err = {0};
    assert_int_equal(skiff_api_schema_load(&err), 0);
    /* every kind served has a schema (kubectl apply refuses kinds missing from the OpenAPI) */
    for (size_t i = 0; i < apisrv_nresources; i++)
        if (!skiff_api_schema_kind(apisrv_resources[i].group, apisrv_resources[i].kind))
            fail_msg("no schema for %s", apisrv_resources[i].kind);
    /* merge keys agree with the strategic-merge table for the types both know */
    int n = 0;
    const skiff_api_stype_t *ts = skiff_api_schema_types(&n);
    int compared = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < ts[i].nfields; j++) {
            const skiff_api_field_t *pf = skiff_api_schema_field(ts[i].name, ts[i].fields[j].name);
            if (!pf || !(pf->flags & SKIFF_API_FIELD_MERGE)) continue;
            compared++;
            const char *mk = ts[i].fields[j].merge_key;
            if (pf->merge_key ? !mk || strcmp(mk, pf->merge_key) : !(ts[i].fields[j].flags & SKIFF_API_SF_SET))
                fail_msg("%s.%s: merge key differs from patch_schema.c", ts[i].name, ts[i].fields[j].name);
        }
    assert_true(compared >= 8);
    const skiff_api_stype_t *c = skiff_api_schema_type("Container");
    assert_non_null(c);
    assert_string_equal(c->full, "io.k8s.api.core.v1.Container");
    assert_true(skiff_api_schema_member(c, "name")->flags & SKIFF_API_SF_REQUIRED);
    assert_string_equal(skiff_api_schema_member(c, "ports")->type, "[]ContainerPort");
}

static int collect(void *ud, const char *path)
{
    char *buf = ud;
    size_t n = strlen(buf);
    snprintf(buf + n, 1024 - n, "%s%s", n ? "," : "", path);
    return 0;
}

static void test_unknown_fields(void **state)
{
    (void)state;
    cJSON *o = cJSON_Parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"x\",\"labelz\":{},"
                           "\"labels\":{\"any-key\":\"v\"}},\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\"},"
                           "{\"name\":\"b\",\"imagee\":\"i\",\"resources\":{\"limits\":{\"cpu\":\"1\"}}}],"
                           "\"$setElementOrder/containers\":[{\"name\":\"a\"}],\"affinity\":{\"anything\":1},"
                           "\"volumes\":[{\"name\":\"v\",\"csi\":{\"free\":{\"form\":1}}}]}}},\"status\":{\"whatever\":1},\"extra\":1}");
    char buf[1024] = "";
    const skiff_api_stype_t *t = skiff_api_schema_kind("apps", "Deployment");
    assert_int_equal(skiff_api_schema_unknown(t, o, collect, buf), 3);
    /* open types (affinity), free-form objects (csi, status), map keys and $ directives pass */
    assert_string_equal(buf, "metadata.labelz,spec.template.spec.containers[1].imagee,extra");
    assert_null(skiff_api_schema_kind("", "Deployment")); /* group matters */
    cJSON_Delete(o);
}

static void test_field_validation(void **state)
{
    fx_t *f = *state;
    cJSON *st = NULL;
    char *warn = NULL;
    /* Strict: 400 worded as kube's strict decoder; nothing stored */
    assert_int_equal(call(f, "POST", NS "/pods", "fieldValidation=Strict", NULL, NULL,
                          POD("p1", ",\"imagee\":\"x\",\"tty\":true"), &st, NULL), 400);
    assert_string_equal(msg_of(st), "Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"spec.containers[0].imagee\"");
    cJSON_Delete(st);
    assert_int_equal(call(f, "GET", NS "/pods/p1", NULL, NULL, NULL, NULL, NULL, NULL), 404);
    /* two at once, comma-separated */
    assert_int_equal(call(f, "POST", NS "/pods", "fieldValidation=Strict", NULL, NULL,
                          "{\"metadata\":{\"name\":\"p1\",\"x\":1},\"spec\":{\"y\":2,\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}", &st, NULL), 400);
    assert_string_equal(msg_of(st), "Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"metadata.x\", unknown field \"spec.y\"");
    cJSON_Delete(st);
    /* Warn (also the default): created, one warning per field */
    assert_int_equal(call(f, "POST", NS "/pods", "fieldValidation=Warn", NULL, NULL, POD("p1", ",\"imagee\":\"x\""), NULL, &warn), 201);
    assert_non_null(warn);
    assert_string_equal(warn, "unknown field \"spec.containers[0].imagee\"");
    free(warn);
    assert_int_equal(call(f, "POST", NS "/pods", NULL, NULL, "curl/8.5.0", POD("p2", ",\"imagee\":\"x\""), NULL, &warn), 201);
    assert_non_null(warn);
    free(warn);
    /* an in-process caller (no User-Agent) cannot see warnings: none are made */
    assert_int_equal(call(f, "POST", NS "/pods", NULL, NULL, NULL, POD("p2b", ",\"imagee\":\"x\""), NULL, &warn), 201);
    assert_null(warn);
    /* Ignore: no warning; a valid body: no warning either */
    assert_int_equal(call(f, "POST", NS "/pods", "fieldValidation=Ignore", NULL, NULL, POD("p3", ",\"imagee\":\"x\""), NULL, &warn), 201);
    assert_null(warn);
    assert_int_equal(call(f, "POST", NS "/pods", "fieldValidation=Strict", NULL, NULL, POD("p4", ",\"ports\":[{\"containerPort\":80}]"), NULL, &warn), 201);
    assert_null(warn);
    /* a bad directive */
    assert_int_equal(call(f, "POST", NS "/pods", "fieldValidation=Loose", NULL, NULL, POD("p5", ""), &st, NULL), 400);
    assert_non_null(strstr(msg_of(st), "invalid fieldValidation directive: Loose"));
    cJSON_Delete(st);
    /* patches: the patch's own fields ($ directives skipped); merge and strategic */
    assert_int_equal(call(f, "PATCH", NS "/pods/p4", "fieldValidation=Strict", "application/merge-patch+json", NULL,
                          "{\"metadata\":{\"labelz\":{\"a\":\"b\"}}}", &st, NULL), 400);
    assert_string_equal(msg_of(st), "strict decoding error: unknown field \"metadata.labelz\"");
    cJSON_Delete(st);
    assert_int_equal(call(f, "PATCH", NS "/pods/p4", "fieldValidation=Strict", "application/strategic-merge-patch+json", NULL,
                          "{\"metadata\":{\"labels\":{\"a\":\"b\"}},\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"c\"}],"
                          "\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}", NULL, NULL), 200);
    /* the stored unknown field of p1 (kept under Warn) does not fail later strict patches */
    assert_int_equal(call(f, "PATCH", NS "/pods/p1", "fieldValidation=Strict", "application/merge-patch+json", NULL,
                          "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}", NULL, NULL), 200);
    /* server-side apply */
    assert_int_equal(call(f, "PATCH", NS "/pods/p9", "fieldValidation=Strict&fieldManager=m", "application/apply-patch+yaml", NULL,
                          POD("p9", ",\"imagee\":\"x\""), &st, NULL), 400);
    assert_string_equal(msg_of(st), "failed to create typed patch object (/v1, Kind=Pod): strict decoding error: unknown field \"spec.containers[0].imagee\"");
    cJSON_Delete(st);
}

static void test_managed_fields_writers(void **state)
{
    fx_t *f = *state;
    cJSON *o = NULL;
    const char *ua = "kubectl/v1.32.5 (linux/amd64) kubernetes/abc";
    /* no fieldManager: the User-Agent's first segment */
    assert_int_equal(call(f, "POST", "/apis/apps/v1/namespaces/default/deployments", NULL, NULL, ua,
                          "{\"metadata\":{\"name\":\"d\"},\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"a\":\"b\"}},"
                          "\"template\":{\"metadata\":{\"labels\":{\"a\":\"b\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}}}",
                          &o, NULL), 201);
    const cJSON *e = entry(o, "kubectl", NULL);
    assert_non_null(e);
    assert_string_equal(cJSON_GetObjectItem(e, "operation")->valuestring, "Update");
    assert_string_equal(cJSON_GetObjectItem(e, "apiVersion")->valuestring, "apps/v1");
    assert_string_equal(cJSON_GetObjectItem(e, "fieldsType")->valuestring, "FieldsV1");
    char *fs = fields_of(e);
    assert_non_null(strstr(fs, "\"f:replicas\":{}"));
    assert_non_null(strstr(fs, "\"f:revisionHistoryLimit\":{}")); /* defaults are the creator's */
    free(fs);
    cJSON_Delete(o);
    /* fieldManager wins; a merge patch changes replicas: it leaves the creator's set */
    assert_int_equal(call(f, "PATCH", "/apis/apps/v1/namespaces/default/deployments/d", "fieldManager=ed",
                          "application/merge-patch+json", ua, "{\"spec\":{\"replicas\":3}}", &o, NULL), 200);
    fs = fields_of(entry(o, "ed", NULL));
    assert_string_equal(fs, "{\"f:spec\":{\"f:replicas\":{}}}");
    free(fs);
    fs = fields_of(entry(o, "kubectl", NULL));
    assert_null(strstr(fs, "f:replicas"));
    free(fs);
    cJSON_Delete(o);
    /* the status subresource: its own entry, marked */
    assert_int_equal(call(f, "PATCH", "/apis/apps/v1/namespaces/default/deployments/d/status", NULL,
                          "application/merge-patch+json", "kube-controller-manager/v1.32.0", "{\"status\":{\"replicas\":3}}", &o, NULL), 200);
    e = entry(o, "kube-controller-manager", "status");
    assert_non_null(e);
    fs = fields_of(e);
    assert_string_equal(fs, "{\"f:status\":{\".\":{},\"f:replicas\":{}}}");
    free(fs);
    cJSON_Delete(o);
    /* an in-process caller without agent or manager is "skiff"; a pod's server-set status is nobody's */
    assert_int_equal(call(f, "POST", NS "/pods", NULL, NULL, NULL, POD("p", ""), &o, NULL), 201);
    fs = fields_of(entry(o, "skiff", NULL));
    assert_null(strstr(fs, "f:status"));
    assert_non_null(strstr(fs, "\"f:containers\":{\"k:{\\\"name\\\":\\\"c\\\"}\":{\".\":{}"));
    free(fs);
    cJSON_Delete(o);
    /* the binding records nothing (kube neither) */
    assert_int_equal(call(f, "POST", NS "/pods/p/binding", NULL, NULL, "kube-scheduler/v1.32.0",
                          "{\"metadata\":{\"name\":\"p\"},\"target\":{\"name\":\"n1\"}}", NULL, NULL), 201);
    assert_int_equal(call(f, "GET", NS "/pods/p", NULL, NULL, NULL, NULL, &o, NULL), 200);
    assert_null(entry(o, "kube-scheduler", NULL));
    cJSON_Delete(o);
}

/* Every $ref of a document resolves inside it. */
static void check_refs(const cJSON *node, const cJSON *schemas)
{
    for (const cJSON *c = node ? node->child : NULL; c; c = c->next) {
        if (c->string && !strcmp(c->string, "$ref")) {
            const char *r = c->valuestring + strlen("#/components/schemas/");
            if (!cJSON_GetObjectItemCaseSensitive(schemas, r)) fail_msg("unresolved $ref %s", c->valuestring);
        }
        check_refs(c, schemas);
    }
}

static void test_openapi_documents(void **state)
{
    fx_t *f = *state;
    cJSON *doc = NULL;
    assert_int_equal(call(f, "GET", "/openapi/v3/apis/apps/v1", NULL, NULL, NULL, NULL, &doc, NULL), 200);
    const cJSON *schemas = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "components"), "schemas");
    const cJSON *d = cJSON_GetObjectItem(schemas, "io.k8s.api.apps.v1.Deployment");
    assert_non_null(d);
    char *gvk = cJSON_PrintUnformatted(cJSON_GetObjectItem(d, "x-kubernetes-group-version-kind"));
    assert_string_equal(gvk, "[{\"group\":\"apps\",\"kind\":\"Deployment\",\"version\":\"v1\"}]");
    free(gvk);
    const cJSON *ports = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(schemas, "io.k8s.api.core.v1.Container"), "properties"), "ports");
    assert_string_equal(cJSON_GetObjectItem(ports, "x-kubernetes-patch-merge-key")->valuestring, "containerPort");
    assert_string_equal(cJSON_GetObjectItem(ports, "type")->valuestring, "array");
    check_refs(doc, schemas);
    /* the PATCH operation that makes kubectl trust server-side validation is still there */
    assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "paths"), "/apis/apps/v1/namespaces/{namespace}/deployments/{name}"));
    cJSON_Delete(doc);
    /* a second fetch is the same (cached) text */
    char *a = NULL, *b = NULL;
    assert_int_equal(call(f, "GET", "/openapi/v3/api/v1", NULL, NULL, NULL, NULL, &doc, NULL), 200);
    a = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    assert_int_equal(call(f, "GET", "/openapi/v3/api/v1", NULL, NULL, NULL, NULL, &doc, NULL), 200);
    b = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    assert_string_equal(a, b);
    free(a); free(b);
    assert_int_equal(call(f, "GET", "/openapi/v3/apis/nope/v1", NULL, NULL, NULL, NULL, NULL, NULL), 404);
}

/* Cutting managedFields out of stored text leaves the rest intact. */
static void test_lean_decode(void **state)
{
    (void)state;
    static const struct { const char *in, *want; } cases[] = {
        { "{\"metadata\":{\"name\":\"a\",\"managedFields\":[{\"m\":\"x]}\\\"\"}]},\"spec\":{\"managedFields\":1}}",
          "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"managedFields\":1}}" },
        { "{\"metadata\":{\"managedFields\":[],\"name\":\"a\",\"generation\":1}}", "{\"metadata\":{\"name\":\"a\",\"generation\":1}}" },
        { "{\"metadata\":{\"managedFields\":[{}]},\"x\":2}", "{\"metadata\":{},\"x\":2}" },
        /* an annotation named managedFields is not the member */
        { "{\"metadata\":{\"generation\":2,\"annotations\":{\"managedFields\":\"[\"}},\"k\":[1]}",
          "{\"metadata\":{\"generation\":2,\"annotations\":{\"managedFields\":\"[\"}},\"k\":[1]}" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *got = apisrv_obj_decode_lean(cases[i].in, strlen(cases[i].in), 7);
        cJSON *want = apisrv_obj_decode(cases[i].want, strlen(cases[i].want), 7);
        assert_non_null(got);
        assert_non_null(want);
        if (!cJSON_Compare(got, want, 1)) fail_msg("case %zu: %s", i, cJSON_PrintUnformatted(got));
        cJSON_Delete(got);
        cJSON_Delete(want);
    }
    assert_null(apisrv_obj_decode_lean("[1]", 3, 1));
}

static void test_table_rows_lean(void **state)
{
    fx_t *f = *state;
    cJSON *o = NULL;
    assert_int_equal(call(f, "POST", NS "/pods", NULL, NULL, NULL, POD("t1", ""), NULL, NULL), 201);
    skiff_api_request_t rq = { .method = "GET", .path = NS "/pods", .accept = "application/json;as=Table;v=v1;g=meta.k8s.io" };
    skiff_api_response_t rs;
    skiff_api_server_handle(f->srv, &rq, &rs);
    assert_int_equal(rs.code, 200);
    o = cJSON_ParseWithLength(rs.body, rs.body_len);
    skiff_api_response_free(&rs);
    const cJSON *meta = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "rows"), 0), "object"), "metadata");
    assert_string_equal(cJSON_GetObjectItem(meta, "name")->valuestring, "t1");
    assert_non_null(cJSON_GetObjectItem(meta, "resourceVersion"));
    assert_null(cJSON_GetObjectItem(meta, "managedFields")); /* rows carry no managedFields */
    cJSON_Delete(o);
    /* the object itself still has them */
    assert_int_equal(call(f, "GET", NS "/pods/t1", NULL, NULL, NULL, NULL, &o, NULL), 200);
    assert_non_null(entry(o, "skiff", NULL));
    cJSON_Delete(o);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A wide map (30,000 keys) through create, update and a no-op PUT: the
 * field-set walks are indexed, never quadratic (the first version took
 * ~25 s for a 40,000-key update). */
static void test_wide_object(void **state)
{
    fx_t *f = *state;
    enum { N = 30000 };
    char *a = malloc(N * 24 + 200), *b = malloc(N * 24 + 200);
    size_t oa = (size_t)sprintf(a, "{\"metadata\":{\"name\":\"wide\"},\"data\":{");
    size_t ob = (size_t)sprintf(b, "{\"metadata\":{\"name\":\"wide\"},\"data\":{");
    for (int i = 0; i < N; i++) {
        oa += (size_t)sprintf(a + oa, "%s\"k%d\":\"v\"", i ? "," : "", i);
        ob += (size_t)sprintf(b + ob, "%s\"k%d\":\"w\"", i ? "," : "", N - 1 - i); /* other order too */
    }
    strcpy(a + oa, "}}");
    strcpy(b + ob, "}}");
    double t0 = now_s();
    assert_int_equal(call(f, "POST", NS "/configmaps", "fieldManager=mk", NULL, NULL, a, NULL, NULL), 201);
    cJSON *o = NULL;
    assert_int_equal(call(f, "PUT", NS "/configmaps/wide", "fieldManager=ed", NULL, NULL, b, &o, NULL), 200);
    /* every value changed hands: the creator's entry is empty and gone */
    assert_null(entry(o, "mk", NULL));
    const cJSON *d = cJSON_GetObjectItem(cJSON_GetObjectItem(entry(o, "ed", NULL), "fieldsV1"), "f:data");
    assert_int_equal(cJSON_GetArraySize(d), N);
    const char *rv = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "metadata"), "resourceVersion")->valuestring;
    char rv1[32];
    snprintf(rv1, sizeof rv1, "%s", rv);
    cJSON_Delete(o);
    assert_int_equal(call(f, "PUT", NS "/configmaps/wide", "fieldManager=ed", NULL, NULL, b, &o, NULL), 200);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "metadata"), "resourceVersion")->valuestring, rv1);
    cJSON_Delete(o);
    double dt = now_s() - t0;
    if (dt > 10) fail_msg("a %d-key map took %.1f s: quadratic again?", N, dt);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_table),
        cmocka_unit_test(test_unknown_fields),
        cmocka_unit_test_setup_teardown(test_field_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_managed_fields_writers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_openapi_documents, setup, teardown),
        cmocka_unit_test(test_lean_decode),
        cmocka_unit_test_setup_teardown(test_table_rows_lean, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wide_object, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
