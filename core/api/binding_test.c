/* pods/binding: the text edit against the tree edit on the shapes a stored
 * pod takes, the verdicts, and the handler's semantics (kube's BindingREST:
 * 409 when bound, being deleted or gated, preconditions, annotations,
 * PodScheduled=True, managedFields untouched, admitted as a Binding create,
 * a MODIFIED watch event). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "admission/chain.h"
#include "api/admission.h"
#include "api/binding.h"
#include "api/client.h"
#include "api/json_util.h"
#include "api/test_server.h"

#define NOW "2026-11-27T10:00:00Z"

/* The stored form of `json` (metadata first, no resourceVersion). */
static char *stored(const char *json, size_t *len)
{
    cJSON *o = cJSON_Parse(json);
    assert_non_null(o);
    char *s = apisrv_obj_encode(o, len);
    cJSON_Delete(o);
    assert_non_null(s);
    return s;
}

/* Both edits of `pod` agree; returns the edited pod (caller frees). */
static cJSON *both(const char *pod, const char *node, int verdict, const char *facts_node)
{
    size_t len, olen;
    char *val = stored(pod, &len), *out = NULL;
    apisrv_bind_facts_t ft, ftr;
    assert_int_equal(apisrv_bind_text(val, len, node, NOW, NULL, &ft, &out, &olen), 0);
    assert_int_equal(ft.verdict, verdict);
    cJSON *tree = apisrv_obj_decode(val, len, 7);
    assert_non_null(tree);
    assert_int_equal(apisrv_bind_tree(tree, node, NULL, NOW, NULL, &ftr), 0);
    assert_int_equal(ftr.verdict, verdict);
    assert_string_equal(ft.node, ftr.node);
    assert_string_equal(ft.uid, ftr.uid);
    if (facts_node) assert_string_equal(ft.node, facts_node);
    free(val);
    if (verdict != APISRV_BIND_OK) {
        assert_null(out);
        cJSON_Delete(tree);
        return NULL;
    }
    assert_non_null(out);
    assert_int_equal(strlen(out), olen);
    assert_memory_equal(out, "{\"metadata\":{", 13); /* still the stored form */
    cJSON *text = apisrv_obj_decode(out, olen, 7);
    if (!text) fail_msg("the text edit is not JSON: %s", out);
    if (!skiff_api_json_equal(text, tree)) {
        char *a = cJSON_PrintUnformatted(text), *b = cJSON_PrintUnformatted(tree);
        fail_msg("text edit %s\n   tree edit %s", a, b);
    }
    free(out);
    cJSON_Delete(text);
    return tree;
}

static const cJSON *cond(const cJSON *pod, const char *type)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(cJSON_GetObjectItem(pod, "status"), "conditions")) {
        const cJSON *t = cJSON_GetObjectItem(c, "type");
        if (cJSON_IsString(t) && strcmp(t->valuestring, type) == 0) return c;
    }
    return NULL;
}

static const char *s_of(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItem(o, k);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

static void check_bound(const cJSON *pod, const char *node, const char *ltt)
{
    assert_string_equal(s_of(cJSON_GetObjectItem(pod, "spec"), "nodeName"), node);
    const cJSON *c = cond(pod, "PodScheduled");
    assert_non_null(c);
    assert_string_equal(s_of(c, "status"), "True");
    assert_string_equal(s_of(c, "lastTransitionTime"), ltt);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(c, "lastProbeTime")));
    assert_null(cJSON_GetObjectItem(c, "reason"));
    assert_null(cJSON_GetObjectItem(c, "message"));
}

#define META "\"metadata\":{\"name\":\"p\",\"namespace\":\"d\",\"uid\":\"u-1\",\"managedFields\":[{\"manager\":\"m\",\"fieldsV1\":{\"f:spec\":{}}}]}"

static void test_edit_shapes(void **state)
{
    (void)state;
    static const char *const pods[] = {
        "{" META ",\"spec\":{\"containers\":[{\"name\":\"c\"}]}}",                                     /* no status */
        "{" META ",\"spec\":{}}",                                                                     /* empty spec */
        "{" META ",\"spec\":{\"nodeName\":\"\"},\"status\":{}}",                                       /* nodeName "", empty status */
        "{" META ",\"spec\":{\"nodeName\":null,\"schedulingGates\":[]},\"status\":{\"phase\":\"Pending\"}}",
        "{" META ",\"status\":{\"phase\":\"Pending\",\"conditions\":[]},\"spec\":{\"a\":\"}]\\\"{\",\"b\":\"x\\\\\"}}", /* status first; brackets, escapes in strings */
        "{" META ",\"spec\":{},\"status\":{\"conditions\":null}}",
        "{" META ",\"spec\":{},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}]},\"x\":1}",
    };
    for (size_t i = 0; i < sizeof pods / sizeof pods[0]; i++) {
        cJSON *p = both(pods[i], "node-\"1\"", APISRV_BIND_OK, "");
        check_bound(p, "node-\"1\"", NOW);
        /* nothing else moved: managedFields as they were */
        char *mf = cJSON_PrintUnformatted(cJSON_GetObjectItem(cJSON_GetObjectItem(p, "metadata"), "managedFields"));
        assert_non_null(strstr(mf, "\"manager\":\"m\""));
        free(mf);
        cJSON_Delete(p);
    }
    /* PodScheduled=False (a FailedScheduling before): replaced whole, transition now */
    cJSON *p = both("{" META ",\"spec\":{},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"},"
                    "{\"type\":\"PodScheduled\",\"status\":\"False\",\"reason\":\"Unschedulable\",\"message\":\"0/3 nodes\","
                    "\"lastProbeTime\":null,\"lastTransitionTime\":\"2020-01-01T00:00:00Z\"},{\"type\":\"Z\"}]}}",
                    "n1", APISRV_BIND_OK, "");
    check_bound(p, "n1", NOW);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(p, "status"), "conditions")), 3);
    assert_non_null(cond(p, "Ready"));
    assert_non_null(cond(p, "Z"));
    cJSON_Delete(p);
    /* already True: the transition time stays (UpdatePodCondition) */
    p = both("{" META ",\"spec\":{},\"status\":{\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"True\","
             "\"lastTransitionTime\":\"2020-01-01T00:00:00Z\"}]}}", "n1", APISRV_BIND_OK, "");
    check_bound(p, "n1", "2020-01-01T00:00:00Z");
    cJSON_Delete(p);
}

static void test_edit_verdicts(void **state)
{
    (void)state;
    assert_null(both("{" META ",\"spec\":{\"nodeName\":\"n9\"}}", "n1", APISRV_BIND_ASSIGNED, "n9"));
    assert_null(both("{\"metadata\":{\"name\":\"p\",\"uid\":\"u\",\"deletionTimestamp\":\"2026-01-01T00:00:00Z\"},\"spec\":{}}",
                     "n1", APISRV_BIND_DELETING, ""));
    assert_null(both("{" META ",\"spec\":{\"schedulingGates\":[{\"name\":\"g\"}]}}", "n1", APISRV_BIND_GATED, ""));
    /* the uid precondition */
    size_t len, olen;
    char *val = stored("{" META ",\"spec\":{}}", &len), *out = NULL;
    apisrv_bind_facts_t f;
    assert_int_equal(apisrv_bind_text(val, len, "n1", NOW, "other", &f, &out, &olen), 0);
    assert_int_equal(f.verdict, APISRV_BIND_UID);
    assert_string_equal(f.uid, "u-1");
    assert_null(out);
    assert_int_equal(apisrv_bind_text(val, len, "n1", NOW, "u-1", &f, &out, &olen), 0);
    assert_int_equal(f.verdict, APISRV_BIND_OK);
    free(out);
    cJSON *t = apisrv_obj_decode(val, len, 1);
    assert_int_equal(apisrv_bind_tree(t, "n1", NULL, NOW, "other", &f), 0);
    assert_int_equal(f.verdict, APISRV_BIND_UID);
    cJSON_Delete(t);
    free(val);
    /* shapes the text editor leaves to the tree */
    static const char *const odd[] = {
        "{\"metadata\":{\"na\\u006de\":\"p\"},\"spec\":{}}",
        "{\"metadata\":{\"name\":\"p\"},\"spec\":{},\"status\":\"weird\"}",
        "{\"metadata\":{\"name\":\"p\"},\"spec\":{},\"status\":{\"conditions\":{}}}",
        "{\"metadata\":{\"name\":\"p\"}}",
        "{\"metadata\":{\"name\":\"p\"},\"spec\":{},\"status\":{\"conditions\":[{\"type\":\"PodScheduled\",\"st\\u0061tus\":\"True\"}]}}",
        "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"nodeName\":\"a\\\"b\"}}",
    };
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        out = NULL;
        assert_int_equal(apisrv_bind_text(odd[i], strlen(odd[i]), "n1", NOW, NULL, &f, &out, &olen), 1);
        assert_null(out);
    }
    /* truncated text is refused, not read past */
    const char *cut = "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"nodeName\":\"";
    assert_int_equal(apisrv_bind_text(cut, strlen(cut), "n1", NOW, NULL, &f, &out, &olen), 1);
    /* the tree merges annotations, the Binding's winning */
    t = cJSON_Parse("{\"metadata\":{\"name\":\"p\",\"annotations\":{\"keep\":\"1\",\"over\":\"old\"}},\"spec\":{}}");
    cJSON *an = cJSON_Parse("{\"over\":\"new\",\"add\":\"2\"}");
    assert_int_equal(apisrv_bind_tree(t, "n1", an, NOW, NULL, &f), 0);
    cJSON *want = cJSON_Parse("{\"keep\":\"1\",\"over\":\"new\",\"add\":\"2\"}");
    assert_true(skiff_api_json_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(t, "metadata"), "annotations"), want));
    cJSON_Delete(want);
    cJSON_Delete(an);
    cJSON_Delete(t);
}

/* ---- the handler -------------------------------------------------------------- */

typedef struct fx {
    test_server_t *ts;
} fx_t;

static int setup(void **state)
{
    skiff_api_config_t cfg = { .listen = "" };
    fx_t *f = calloc(1, sizeof *f);
    f->ts = test_server_up(&cfg);
    test_server_namespace(f->ts, "default");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    test_server_down(f->ts);
    free(f);
    return 0;
}

static int call(fx_t *f, const char *method, const char *path, const char *query, const char *body, cJSON **out)
{
    skiff_api_param_t prm[1];
    char k[64] = "", v[64] = "";
    if (query) sscanf(query, "%63[^=]=%63s", k, v);
    prm[0] = (skiff_api_param_t){ k, v };
    skiff_api_request_t rq = { .method = method, .path = path, .params = prm, .nparams = query ? 1 : 0,
                               .body = body, .body_len = body ? strlen(body) : 0, .content_type = "application/json",
                               .user_agent = "kube-scheduler/v1.32.0" };
    skiff_api_response_t rs;
    assert_int_equal(skiff_api_server_handle(f->ts->srv, &rq, &rs), 0);
    int code = rs.code;
    if (out) {
        *out = cJSON_ParseWithLength(rs.body, rs.body_len);
        assert_non_null(*out);
    }
    skiff_api_response_free(&rs);
    return code;
}

static const char *msg(cJSON *st)
{
    static char buf[600];
    snprintf(buf, sizeof buf, "%s", s_of(st, "message") ? s_of(st, "message") : "");
    cJSON_Delete(st);
    return buf;
}

#define PODS "/api/v1/namespaces/default/pods"

static cJSON *get_pod(fx_t *f, const char *name)
{
    char path[200];
    snprintf(path, sizeof path, PODS "/%s", name);
    cJSON *o;
    assert_int_equal(call(f, "GET", path, NULL, NULL, &o), 200);
    return o;
}

static void new_pod(fx_t *f, const char *name, const char *extra)
{
    char body[600];
    snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"%s\",\"annotations\":{\"keep\":\"1\"}},"
             "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]%s}}", name, extra);
    assert_int_equal(call(f, "POST", PODS, NULL, body, NULL), 201);
}

typedef struct seen { pthread_mutex_t mu; char last[4096]; int modified; } seen_t;

static void watch_cb(void *ud, const char *type, const char *object, size_t len)
{
    seen_t *s = ud;
    if (!type || strcmp(type, "MODIFIED") != 0) return;
    pthread_mutex_lock(&s->mu);
    s->modified++;
    snprintf(s->last, sizeof s->last, "%.*s", (int)len, object);
    pthread_mutex_unlock(&s->mu);
}

static void test_bind(void **state)
{
    fx_t *f = *state;
    skiff_error_t err;
    seen_t seen = { .mu = PTHREAD_MUTEX_INITIALIZER };
    skiff_api_client_watch_t *w = NULL;
    new_pod(f, "p", "");
    cJSON *before = get_pod(f, "p");
    /* from the pod's version on: the bind is the next event */
    assert_int_equal(skiff_api_client_watch(f->ts->cl, PODS, s_of(cJSON_GetObjectItem(before, "metadata"), "resourceVersion"),
                                            watch_cb, &seen, &w, &err), 0);
    cJSON *st;
    assert_int_equal(call(f, "POST", PODS "/p/binding", NULL,
                          "{\"kind\":\"Binding\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"p\"},\"target\":{\"kind\":\"Node\",\"name\":\"n1\"}}",
                          &st), 201);
    assert_string_equal(s_of(st, "kind"), "Status");
    assert_string_equal(s_of(st, "status"), "Success");
    cJSON_Delete(st);
    cJSON *after = get_pod(f, "p");
    char ts[40];
    snprintf(ts, sizeof ts, "%s", s_of(cond(after, "PodScheduled"), "lastTransitionTime"));
    check_bound(after, "n1", ts);
    assert_int_equal(strlen(ts), 20);
    /* no field manager, no generation bump; only nodeName, the condition and resourceVersion change */
    const cJSON *bm = cJSON_GetObjectItem(before, "metadata"), *am = cJSON_GetObjectItem(after, "metadata");
    assert_true(skiff_api_json_equal(cJSON_GetObjectItem(bm, "managedFields"), cJSON_GetObjectItem(am, "managedFields")));
    assert_true(skiff_api_json_equal(cJSON_GetObjectItem(bm, "generation"), cJSON_GetObjectItem(am, "generation")));
    assert_string_not_equal(s_of(bm, "resourceVersion"), s_of(am, "resourceVersion"));
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(after, "spec"), "nodeName");
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(after, "status"), "conditions");
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(before, "metadata"), "resourceVersion");
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(after, "metadata"), "resourceVersion");
    assert_true(skiff_api_json_equal(before, after));
    cJSON_Delete(before);
    cJSON_Delete(after);
    /* the watch saw the bind */
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&seen.mu);
        int n = seen.modified;
        pthread_mutex_unlock(&seen.mu);
        if (n) break;
        usleep(10000);
    }
    pthread_mutex_lock(&seen.mu);
    assert_int_equal(seen.modified, 1);
    assert_non_null(strstr(seen.last, "\"nodeName\":\"n1\""));
    assert_non_null(strstr(seen.last, "\"resourceVersion\":\""));
    pthread_mutex_unlock(&seen.mu);
    skiff_api_client_watch_stop(w);
    /* bound already: kube's wording */
    assert_int_equal(call(f, "POST", PODS "/p/binding", NULL, "{\"metadata\":{\"name\":\"p\"},\"target\":{\"name\":\"n2\"}}", &st), 409);
    assert_string_equal(msg(st), "Operation cannot be fulfilled on pods/binding \"p\": pod p is already assigned to node \"n1\"");
}

static void test_bind_refusals(void **state)
{
    fx_t *f = *state;
    cJSON *st, *p;
    new_pod(f, "q", "");
    assert_int_equal(call(f, "POST", PODS "/q/binding", NULL, "{\"metadata\":{\"name\":\"other\"},\"target\":{\"name\":\"n1\"}}", &st), 400);
    assert_string_equal(msg(st), "name in URL does not match name in Binding object");
    /* no name is no match either (BindingREST compares it with the URL's) */
    assert_int_equal(call(f, "POST", PODS "/q/binding", NULL, "{\"target\":{\"name\":\"n1\"}}", &st), 400);
    assert_string_equal(msg(st), "name in URL does not match name in Binding object");
    assert_int_equal(call(f, "POST", PODS "/q/binding", NULL, "{\"metadata\":{\"name\":\"q\"},\"target\":{}}", &st), 422);
    assert_non_null(strstr(msg(st), "target.name: Required value"));
    assert_int_equal(call(f, "POST", PODS "/q/binding", NULL, "{\"metadata\":{\"name\":\"q\"},\"target\":{\"kind\":\"Pod\",\"name\":\"n1\"}}", &st), 422);
    assert_non_null(strstr(msg(st), "target.kind: Unsupported value: \"Pod\""));
    assert_int_equal(call(f, "POST", PODS "/q/binding", NULL, "{\"kind\":\"Pod\",\"target\":{\"name\":\"n1\"}}", &st), 400);
    cJSON_Delete(st);
    assert_int_equal(call(f, "POST", PODS "/nope/binding", NULL, "{\"metadata\":{\"name\":\"nope\"},\"target\":{\"name\":\"n1\"}}", &st), 404);
    assert_string_equal(msg(st), "pods \"nope\" not found");
    /* preconditions, as storage.Preconditions words them */
    p = get_pod(f, "q");
    char uid[64], rv[32], body[400];
    snprintf(uid, sizeof uid, "%s", s_of(cJSON_GetObjectItem(p, "metadata"), "uid"));
    snprintf(rv, sizeof rv, "%s", s_of(cJSON_GetObjectItem(p, "metadata"), "resourceVersion"));
    cJSON_Delete(p);
    assert_int_equal(call(f, "POST", PODS "/q/binding", NULL, "{\"metadata\":{\"name\":\"q\",\"uid\":\"not-it\"},\"target\":{\"name\":\"n1\"}}", &st), 409);
    char want[300];
    snprintf(want, sizeof want, "Operation cannot be fulfilled on pods \"q\": Precondition failed: UID in precondition: not-it, UID in object meta: %s", uid);
    assert_string_equal(msg(st), want);
    assert_int_equal(call(f, "POST", PODS "/q/binding", NULL, "{\"metadata\":{\"name\":\"q\",\"resourceVersion\":\"1\"},\"target\":{\"name\":\"n1\"}}", &st), 409);
    snprintf(want, sizeof want, "Operation cannot be fulfilled on pods \"q\": Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: %s", rv);
    assert_string_equal(msg(st), want);
    /* dryRun: answered, nothing stored */
    assert_int_equal(call(f, "POST", PODS "/q/binding", "dryRun=All", "{\"metadata\":{\"name\":\"q\"},\"target\":{\"name\":\"n1\"}}", NULL), 201);
    p = get_pod(f, "q");
    assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(p, "spec"), "nodeName"));
    cJSON_Delete(p);
    /* both preconditions right: bound */
    snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"q\",\"uid\":\"%s\",\"resourceVersion\":\"%s\"},\"target\":{\"name\":\"n1\"}}", uid, rv);
    assert_int_equal(call(f, "POST", PODS "/q/binding", NULL, body, NULL), 201);
    /* gated pods are not bound */
    new_pod(f, "g", ",\"schedulingGates\":[{\"name\":\"wait\"}]");
    assert_int_equal(call(f, "POST", PODS "/g/binding", NULL, "{\"metadata\":{\"name\":\"g\"},\"target\":{\"name\":\"n1\"}}", &st), 409);
    assert_string_equal(msg(st), "Operation cannot be fulfilled on pods/binding \"g\": pod g has non-empty .spec.schedulingGates");
    /* nor those being deleted */
    new_pod(f, "d", "");
    skiff_error_t err;
    assert_int_equal(skiff_api_client_patch(f->ts->cl, PODS "/d", "application/merge-patch+json",
                                            "{\"metadata\":{\"finalizers\":[\"x/y\"]}}", NULL, &err), 0);
    assert_int_equal(skiff_api_client_do(f->ts->cl, "DELETE", PODS "/d", "gracePeriodSeconds=0", NULL, NULL, 0, NULL, &err), 0);
    assert_int_equal(call(f, "POST", PODS "/d/binding", NULL, "{\"metadata\":{\"name\":\"d\"},\"target\":{\"name\":\"n1\"}}", &st), 409);
    assert_string_equal(msg(st), "Operation cannot be fulfilled on pods/binding \"d\": pod d is being deleted, cannot be assigned to a host");
    assert_int_equal(skiff_api_client_patch(f->ts->cl, PODS "/d", "application/merge-patch+json",
                                            "{\"metadata\":{\"finalizers\":null}}", NULL, &err), 0);
}

static void test_bind_annotations(void **state)
{
    fx_t *f = *state;
    new_pod(f, "a", "");
    assert_int_equal(call(f, "POST", PODS "/a/binding", NULL,
                          "{\"metadata\":{\"name\":\"a\",\"annotations\":{\"keep\":\"2\",\"sched/why\":\"fit\"}},\"target\":{\"name\":\"n3\"}}", NULL), 201);
    cJSON *p = get_pod(f, "a");
    const cJSON *an = cJSON_GetObjectItem(cJSON_GetObjectItem(p, "metadata"), "annotations");
    assert_string_equal(s_of(an, "keep"), "2");
    assert_string_equal(s_of(an, "sched/why"), "fit");
    check_bound(p, "n3", s_of(cond(p, "PodScheduled"), "lastTransitionTime"));
    cJSON_Delete(p);
    cJSON *st;
    assert_int_equal(call(f, "POST", PODS "/a/binding", NULL, "{\"metadata\":{\"annotations\":{\"x\":1}},\"target\":{\"name\":\"n3\"}}", &st), 400);
    cJSON_Delete(st);
}

/* ---- admission sees a Binding create ------------------------------------------- */

static char adm_seen[400];

static int rec_init(const skiff_host_t *host, skiff_ctx_t *ctx, void *self, skiff_error_t *err)
{
    (void)host; (void)ctx; (void)self; (void)err;
    return 0;
}

static int rec_admit(void *self, skiff_adm_request_t *req, skiff_adm_verdict_t *v, skiff_error_t *err)
{
    (void)self;
    const cJSON *t = cJSON_GetObjectItem(cJSON_GetObjectItem(req->object, "target"), "name");
    snprintf(adm_seen, sizeof adm_seen, "%d %s/%s %s %s %s", (int)req->op, req->resource, req->subresource, req->kind,
             req->name, cJSON_IsString(t) ? t->valuestring : "-");
    *v = SKIFF_ADM_ALLOW;
    if (cJSON_IsString(t) && strcmp(t->valuestring, "forbidden") == 0) {
        *v = SKIFF_ADM_DENY;
        skiff_error_set(err, SKIFF_E_INVALID, "not that node");
    }
    return 0;
}

static const skiff_config_key_t rec_keys[] = { SKIFF_CONFIG_END };
static const skiff_admission_ops_t rec_ops = { .size = sizeof rec_ops, .admit = rec_admit };
static const skiff_plugin_t rec_desc = {
    SKIFF_PLUGIN_HEADER, .kind = SKIFF_KIND_ADMISSION, .name = "rec", .version = "0",
    .config = rec_keys, .instance_size = 8, .init = rec_init, .ops = &rec_ops,
};

static void test_bind_admission(void **state)
{
    fx_t *f = *state;
    skiff_error_t err;
    skiff_instance_t *i = NULL;
    assert_int_equal(skiff_instance_new(&rec_desc, "rec", NULL, NULL, &i, &err), 0);
    skiff_adm_chain_t *chain = NULL;
    assert_int_equal(skiff_adm_chain_new(&i, 1, &chain, &err), 0);
    new_pod(f, "adm", "");
    skiff_api_server_set_admission(f->ts->srv, chain);
    cJSON *st;
    assert_int_equal(call(f, "POST", PODS "/adm/binding", NULL, "{\"metadata\":{\"name\":\"adm\"},\"target\":{\"name\":\"forbidden\"}}", &st), 403);
    assert_string_equal(msg(st), "pods \"adm\" is forbidden: rec: not that node");
    char want[100];
    snprintf(want, sizeof want, "%d pods/binding Binding adm forbidden", (int)SKIFF_ADM_CREATE);
    assert_string_equal(adm_seen, want);
    cJSON *p = get_pod(f, "adm");
    assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(p, "spec"), "nodeName"));
    cJSON_Delete(p);
    assert_int_equal(call(f, "POST", PODS "/adm/binding", NULL, "{\"metadata\":{\"name\":\"adm\"},\"target\":{\"name\":\"n1\"}}", NULL), 201);
    skiff_api_server_set_admission(f->ts->srv, NULL);
    skiff_adm_chain_free(chain);
    skiff_instance_free(i);
}

/* Two binders race for one pod: exactly one wins, the other gets 409. */
typedef struct racer { fx_t *f; const char *node; int code; } racer_t;

static void *race(void *arg)
{
    racer_t *r = arg;
    char body[100];
    snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"race\"},\"target\":{\"name\":\"%s\"}}", r->node);
    r->code = call(r->f, "POST", PODS "/race/binding", NULL, body, NULL);
    return NULL;
}

static void test_bind_race(void **state)
{
    fx_t *f = *state;
    for (int round = 0; round < 20; round++) {
        new_pod(f, "race", "");
        racer_t r[4] = { { f, "a", 0 }, { f, "b", 0 }, { f, "c", 0 }, { f, "d", 0 } };
        pthread_t t[4];
        for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, race, &r[i]);
        int won = 0;
        for (int i = 0; i < 4; i++) {
            pthread_join(t[i], NULL);
            if (r[i].code == 201) won++;
            else assert_int_equal(r[i].code, 409);
        }
        assert_int_equal(won, 1);
        assert_int_equal(call(f, "DELETE", PODS "/race", "gracePeriodSeconds=0", NULL, NULL), 200);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edit_shapes),
        cmocka_unit_test(test_edit_verdicts),
        cmocka_unit_test_setup_teardown(test_bind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bind_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bind_annotations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bind_admission, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bind_race, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
