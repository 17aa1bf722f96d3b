/* Tests for core/admission/chain: phase order (mutating before validating,
 * config order within each), denial vs error, per-instance phase, warnings
 * and long reasons, through real instances of in-test plugins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <skiff/skiff.h>

#include "admission/chain.h"

/* Each plugin appends its instance name to metadata.annotations.trace. */
static void trace(skiff_adm_request_t *req, const char *who)
{
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(req->object, "metadata");
    cJSON *t = cJSON_GetObjectItemCaseSensitive(meta, "trace");
    char buf[256];
    snprintf(buf, sizeof buf, "%s%s%s", cJSON_IsString(t) ? t->valuestring : "", cJSON_IsString(t) ? "," : "", who);
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "trace");
    cJSON_AddStringToObject(meta, "trace", buf);
}

typedef struct tp { const char *mode; const char *name; } tp_t;

static int tp_init(const skiff_host_t *host, skiff_ctx_t *ctx, void *self, skiff_error_t *err)
{
    (void)host; (void)ctx; (void)self; (void)err;
    return 0;
}

static int tp_admit(void *self, skiff_adm_request_t *req, skiff_adm_verdict_t *v, skiff_error_t *err)
{
    tp_t *t = self;
    *v = SKIFF_ADM_ALLOW;
    if (req->reinvocation) {
        char n[64];
        snprintf(n, sizeof n, "%s(again)", t->name);
        trace(req, n);
    } else {
        trace(req, t->name);
    }
    if (strcmp(t->mode, "ifneeded") == 0) {
        req->reinvoke = SKIFF_ADM_REINVOKE_IF_CHANGED;
    } else if (strcmp(t->mode, "deny") == 0) {
        *v = SKIFF_ADM_DENY;
        skiff_error_set(err, SKIFF_E_INVALID, "no %s", req->name);
    } else if (strcmp(t->mode, "error") == 0) {
        return skiff_error_set(err, SKIFF_E_INTERNAL, "backend down");
    } else if (strcmp(t->mode, "long") == 0) {
        char big[2000];
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        req->set_reason(req, big);
        *v = SKIFF_ADM_DENY;
        skiff_error_set(err, SKIFF_E_INVALID, "short");
    } else if (strcmp(t->mode, "warn") == 0) {
        req->warn(req, "careful");
        req->warn(req, "careful"); /* duplicates collapse */
    }
    return 0;
}

static int tp_is_mutating(void *self)
{
    return strcmp(((tp_t *)self)->mode, "mutate") == 0 || strcmp(((tp_t *)self)->mode, "ifneeded") == 0;
}

static const skiff_config_key_t tp_keys[] = {
    { "mode", SKIFF_CFG_STRING, "allow", SKIFF_CFG_FILL, offsetof(tp_t, mode), "allow|deny|error|long|warn|mutate" },
    { "name", SKIFF_CFG_STRING, "x", SKIFF_CFG_FILL, offsetof(tp_t, name), "trace name" },
    SKIFF_CONFIG_END,
};
static const skiff_admission_ops_t tp_ops = { .size = sizeof tp_ops, .admit = tp_admit, .is_mutating = tp_is_mutating };
static const skiff_plugin_t tp_desc = {
    SKIFF_PLUGIN_HEADER, .kind = SKIFF_KIND_ADMISSION, .name = "tp", .version = "0",
    .config = tp_keys, .instance_size = sizeof(tp_t), .init = tp_init, .ops = &tp_ops,
};

static skiff_instance_t *inst(const char *mode, const char *name)
{
    char m[64], n[64];
    snprintf(m, sizeof m, "mode=%s", mode);
    snprintf(n, sizeof n, "name=%s", name);
    const char *settings[] = { m, n, NULL };
    skiff_instance_t *i = NULL;
    skiff_error_t err;
    assert_int_equal(skiff_instance_new(&tp_desc, name, settings, NULL, &i, &err), 0);
    return i;
}

static int run(skiff_instance_t **v, size_t n, cJSON *obj, skiff_adm_outcome_t *out)
{
    skiff_adm_chain_t *c = NULL;
    skiff_error_t err;
    assert_int_equal(skiff_adm_chain_new(v, n, &c, &err), 0);
    skiff_adm_request_t req = { .size = sizeof req, .op = SKIFF_ADM_CREATE, .group = "", .version = "v1",
                                .resource = "pods", .subresource = "", .kind = "Pod", .namespace_ = "d",
                                .name = "p", .user = "u", .object = obj };
    int rc = skiff_adm_chain_run(c, &req, out);
    assert_null(req.warn); /* the chain restores what it borrowed */
    skiff_adm_chain_free(c);
    return rc;
}

static void free_all(skiff_instance_t **v, size_t n)
{
    for (size_t i = 0; i < n; i++) skiff_instance_free(v[i]);
}

static void test_mutating_first_then_config_order(void **state)
{
    (void)state;
    skiff_instance_t *v[] = { inst("allow", "v1"), inst("mutate", "m1"), inst("allow", "v2"), inst("mutate", "m2") };
    cJSON *obj = cJSON_Parse("{\"metadata\":{}}");
    skiff_adm_outcome_t out;
    assert_int_equal(run(v, 4, obj, &out), 0);
    assert_int_equal(out.code, SKIFF_ADM_OUT_ALLOWED);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "metadata"), "trace")->valuestring, "m1,m2,v1,v2");
    cJSON_Delete(obj);
    free_all(v, 4);
}

static void test_deny_stops_the_chain(void **state)
{
    (void)state;
    skiff_instance_t *v[] = { inst("allow", "a"), inst("deny", "d"), inst("allow", "b") };
    cJSON *obj = cJSON_Parse("{\"metadata\":{}}");
    skiff_adm_outcome_t out;
    assert_int_equal(run(v, 3, obj, &out), 1);
    assert_int_equal(out.code, SKIFF_ADM_OUT_DENIED);
    assert_string_equal(out.plugin, "d");
    assert_string_equal(out.reason, "no p");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "metadata"), "trace")->valuestring, "a,d");
    cJSON_Delete(obj);
    free_all(v, 3);
}

static void test_error_fails_closed(void **state)
{
    (void)state;
    skiff_instance_t *v[] = { inst("error", "e"), inst("allow", "b") };
    cJSON *obj = cJSON_Parse("{\"metadata\":{}}");
    skiff_adm_outcome_t out;
    assert_int_equal(run(v, 2, obj, &out), 1);
    assert_int_equal(out.code, SKIFF_ADM_OUT_ERROR);
    assert_string_equal(out.plugin, "e");
    assert_string_equal(out.reason, "backend down");
    cJSON_Delete(obj);
    free_all(v, 2);
}

static void test_long_reason_and_warnings(void **state)
{
    (void)state;
    skiff_instance_t *v[] = { inst("warn", "w"), inst("long", "l") };
    cJSON *obj = cJSON_Parse("{\"metadata\":{}}");
    skiff_adm_outcome_t out;
    assert_int_equal(run(v, 2, obj, &out), 1);
    assert_int_equal(strlen(out.reason), 1999); /* not cut at err->msg's 512 */
    assert_int_equal(out.nwarnings, 1);
    assert_string_equal(out.warnings[0], "careful");
    skiff_adm_outcome_free(&out);
    cJSON_Delete(obj);
    free_all(v, 2);
}

static void test_empty_chain_allows(void **state)
{
    (void)state;
    skiff_adm_outcome_t out;
    cJSON *obj = cJSON_Parse("{}");
    assert_int_equal(run(NULL, 0, obj, &out), 0);
    assert_int_equal(skiff_adm_chain_run(NULL, &(skiff_adm_request_t){ .size = sizeof(skiff_adm_request_t) }, &out), 0);
    cJSON_Delete(obj);
}

static const char *trace_of(const cJSON *obj)
{
    return cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "metadata"), "trace")->valuestring;
}

/* Kubernetes' reinvocationPolicy IfNeeded at the chain: a plugin that asked
 * is called again once when a later mutating plugin changed the object; the
 * plugins that did not ask run again too (kube-apiserver re-runs in-tree
 * mutating plugins); no change after it, no second pass. */
static void test_reinvocation(void **state)
{
    (void)state;
    skiff_instance_t *v[] = { inst("ifneeded", "a"), inst("mutate", "b"), inst("allow", "v") };
    cJSON *obj = cJSON_Parse("{\"metadata\":{}}");
    skiff_adm_outcome_t out;
    assert_int_equal(run(v, 3, obj, &out), 0);
    assert_string_equal(trace_of(obj), "a,b,a(again),b(again),v");
    cJSON_Delete(obj);
    free_all(v, 3);

    skiff_instance_t *w[] = { inst("mutate", "b"), inst("ifneeded", "a"), inst("allow", "v") };
    obj = cJSON_Parse("{\"metadata\":{}}");
    assert_int_equal(run(w, 3, obj, &out), 0);
    assert_string_equal(trace_of(obj), "b,a,v");
    cJSON_Delete(obj);
    free_all(w, 3);

    /* a denial in the second pass still refuses */
    skiff_instance_t *x[] = { inst("ifneeded", "a"), inst("mutate", "b"), inst("deny", "d") };
    obj = cJSON_Parse("{\"metadata\":{}}");
    assert_int_equal(run(x, 3, obj, &out), 1);
    assert_int_equal(out.code, SKIFF_ADM_OUT_DENIED);
    assert_string_equal(trace_of(obj), "a,b,a(again),b(again),d");
    cJSON_Delete(obj);
    free_all(x, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mutating_first_then_config_order),
        cmocka_unit_test(test_deny_stops_the_chain),
        cmocka_unit_test(test_error_fails_closed),
        cmocka_unit_test(test_long_reason_and_warnings),
        cmocka_unit_test(test_empty_chain_allows),
        cmocka_unit_test(test_reinvocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
