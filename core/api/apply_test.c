/* Tests for core/api/apply (server-side apply) and core/api/fieldset. */
#include "api/test_json.h"
#include "api/apply.h"
#include "api/fieldset.h"

static const skiff_api_apply_opts_t KUBECTL = { .manager = "kubectl", .api_version = "apps/v1", .kind = "Deployment" };

static cJSON *apply_ok(const cJSON *live, const char *cfg, const skiff_api_apply_opts_t *o)
{
    cJSON *a = tj(cfg), *out = NULL;
    skiff_error_t err = {0};
    int rc = skiff_api_apply(live, a, o, &out, NULL, &err);
    if (rc) fail_msg("apply failed: %s", err.msg);
    cJSON_Delete(a);
    return out;
}

static const cJSON *mf_of(const cJSON *obj, const char *manager, const char *op)
{
    const cJSON *mf = cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "metadata"), "managedFields");
    const cJSON *e;
    cJSON_ArrayForEach(e, mf)
        if (!strcmp(cJSON_GetObjectItem(e, "manager")->valuestring, manager) &&
            !strcmp(cJSON_GetObjectItem(e, "operation")->valuestring, op))
            return e;
    return NULL;
}

/* As stored and read back: a create's printed (Raw) set becomes a tree. */
static cJSON *roundtrip(cJSON *obj)
{
    char *t = cJSON_PrintUnformatted(obj);
    cJSON *r = cJSON_Parse(t);
    free(t);
    cJSON_Delete(obj);
    assert_non_null(r);
    return r;
}

static void strip_mf(cJSON *obj) { cJSON_DeleteItemFromObject(cJSON_GetObjectItem(obj, "metadata"), "managedFields"); }

#define CFG1 "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','labels':{'app':'web','tier':'fe'}}," \
             "'spec':{'replicas':2,'template':{'spec':{'containers':[{'name':'nginx','image':'nginx:1.25'}]}}}}"

static void test_create_records_fields(void **state)
{
    skiff_api_apply_opts_t o = KUBECTL;
    o.time = "2026-01-01T00:00:00Z";
    cJSON *obj = apply_ok(NULL, CFG1, &o);
    const cJSON *e = mf_of(obj, "kubectl", "Apply");
    assert_non_null(e);
    assert_string_equal(cJSON_GetObjectItem(e, "apiVersion")->valuestring, "apps/v1");
    assert_string_equal(cJSON_GetObjectItem(e, "fieldsType")->valuestring, "FieldsV1");
    assert_string_equal(cJSON_GetObjectItem(e, "time")->valuestring, "2026-01-01T00:00:00Z");
    assert_json(cJSON_GetObjectItem(e, "fieldsV1"),
                "{'f:metadata':{'f:labels':{'f:app':{},'f:tier':{}}},'f:spec':{'f:replicas':{},'f:template':{'f:spec':"
                "{'f:containers':{'k:{\\'name\\':\\'nginx\\'}':{'.':{},'f:name':{},'f:image':{}}}}}}}");
    strip_mf(obj);
    assert_json(obj, CFG1);
    cJSON_Delete(obj);
}

static void test_reapply_removes_dropped_fields(void **state)
{
    cJSON *v1 = apply_ok(NULL, CFG1, &KUBECTL);
    /* Someone else (a controller) added a field we do not manage: it stays. */
    cJSON_AddStringToObject(cJSON_GetObjectItem(v1, "spec"), "revisionHistoryLimit", "10");
    cJSON *v2 = apply_ok(v1, "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','labels':{'app':'web'}},"
                             "'spec':{'template':{'spec':{'containers':[{'name':'nginx','image':'nginx:1.26'},{'name':'side','image':'b'}]}}}}",
                         &KUBECTL);
    strip_mf(v2);
    assert_json(v2, "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','labels':{'app':'web'}},"
                    "'spec':{'revisionHistoryLimit':'10','template':{'spec':{'containers':[{'name':'nginx','image':'nginx:1.26'},{'name':'side','image':'b'}]}}}}");
    /* v2 lost its managedFields, so nothing is known to be ours: a dropped item stays. */
    cJSON *v3 = apply_ok(v2, "{'metadata':{'name':'web'},'spec':{'template':{'spec':{'containers':[{'name':'side','image':'b'}]}}}}", &KUBECTL);
    strip_mf(v3);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(
                         cJSON_GetObjectItem(v3, "spec"), "template"), "spec"), "containers")), 2);
    cJSON_Delete(v3);
    cJSON_Delete(v1); cJSON_Delete(v2);

    cJSON *a = apply_ok(NULL, CFG1, &KUBECTL);
    cJSON *b = apply_ok(a, "{'metadata':{'name':'web'},'spec':{'template':{'spec':{'containers':[{'name':'side','image':'b'}]}}}}", &KUBECTL);
    strip_mf(b);
    assert_json(b, "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},"
                   "'spec':{'template':{'spec':{'containers':[{'name':'side','image':'b'}]}}}}");
    cJSON_Delete(a); cJSON_Delete(b);
}

static void test_conflict_with_other_manager(void **state)
{
    cJSON *v1 = apply_ok(NULL, CFG1, &KUBECTL);
    /* kubectl scale (an Update by another manager) changes replicas. */
    cJSON *v2 = cJSON_Duplicate(v1, 1);
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(v2, "spec"), "replicas", cJSON_CreateNumber(5));
    skiff_api_apply_opts_t scale = { .manager = "kubectl-scale", .api_version = "apps/v1", .kind = "Deployment" };
    skiff_error_t err = {0};
    assert_int_equal(skiff_api_apply_record_update(v2, v1, &scale, &err), 0);
    const cJSON *e = mf_of(v2, "kubectl-scale", "Update");
    assert_non_null(e);
    assert_json(cJSON_GetObjectItem(e, "fieldsV1"), "{'f:spec':{'f:replicas':{}}}");
    /* replicas left kubectl's set. */
    assert_json(cJSON_GetObjectItem(mf_of(v2, "kubectl", "Apply"), "fieldsV1"),
                "{'f:metadata':{'f:labels':{'f:app':{},'f:tier':{}}},'f:spec':{'f:template':{'f:spec':"
                "{'f:containers':{'k:{\\'name\\':\\'nginx\\'}':{'.':{},'f:name':{},'f:image':{}}}}}}}");

    /* Re-applying replicas 2 now conflicts. */
    cJSON *a = tj(CFG1), *out = (cJSON *)1, *causes = NULL;
    assert_int_equal(skiff_api_apply(v2, a, &KUBECTL, &out, &causes, &err), SKIFF_E_CONFLICT);
    assert_null(out);
    assert_string_equal(err.msg, "Apply failed with 1 conflict: conflict with \"kubectl-scale\" using apps/v1: .spec.replicas");
    assert_json(causes, "[{'type':'FieldManagerConflict','message':'conflict with \\'kubectl-scale\\' using apps/v1','field':'.spec.replicas'}]");
    cJSON_Delete(causes);

    /* Applying the same value as live is no conflict (shared ownership). */
    cJSON *same = apply_ok(v2, "{'metadata':{'name':'web'},'spec':{'replicas':5}}", &KUBECTL);
    cJSON_Delete(same);

    /* force takes the field over. */
    skiff_api_apply_opts_t force = KUBECTL;
    force.force = 1;
    cJSON *v3 = apply_ok(v2, CFG1, &force);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(v3, "spec"), "replicas")->valueint, 2);
    assert_null(mf_of(v3, "kubectl-scale", "Update")); /* owned nothing more: dropped */
    cJSON_Delete(v3);
    cJSON_Delete(a); cJSON_Delete(v1); cJSON_Delete(v2);
}

static void test_two_conflicts_message(void **state)
{
    cJSON *live = tj("{'metadata':{'name':'x','managedFields':["
                     "{'manager':'b','operation':'Apply','apiVersion':'v1','fieldsType':'FieldsV1','fieldsV1':{'f:data':{'f:k1':{}}}},"
                     "{'manager':'a','operation':'Update','apiVersion':'v1','fieldsType':'FieldsV1','fieldsV1':{'f:data':{'f:k2':{}}}}]},"
                     "'data':{'k1':'1','k2':'2'}}");
    cJSON *a = tj("{'data':{'k1':'x','k2':'y'}}"), *out = NULL;
    skiff_api_apply_opts_t o = { .manager = "m", .api_version = "v1", .kind = "ConfigMap" };
    skiff_error_t err = {0};
    assert_int_equal(skiff_api_apply(live, a, &o, &out, NULL, &err), SKIFF_E_CONFLICT);
    assert_string_equal(err.msg, "Apply failed with 2 conflicts: conflicts with \"a\" using v1:\n- .data.k2\nconflicts with \"b\":\n- .data.k1");
    cJSON_Delete(live); cJSON_Delete(a);
}

static void test_errors_and_record_create(void **state)
{
    cJSON *a = tj("{'a':1}"), *out = NULL;
    skiff_api_apply_opts_t o = { .manager = "", .kind = "Pod" };
    skiff_error_t err = {0};
    assert_int_equal(skiff_api_apply(NULL, a, &o, &out, NULL, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "fieldManager is required"));
    o.manager = "m";
    cJSON *bad = tj("{'spec':{'containers':[{'image':'x'}]}}");
    assert_int_equal(skiff_api_apply(NULL, bad, &o, &out, NULL, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "merge key: name"));
    cJSON_Delete(bad);
    cJSON *arr = tj("[1]");
    assert_int_equal(skiff_api_apply(NULL, arr, &o, &out, NULL, &err), SKIFF_E_INVALID);
    cJSON_Delete(arr);

    /* kubectl create: every field goes to kubectl-create's Update entry; server metadata does not. */
    cJSON *obj = tj("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c','uid':'u','labels':{'x':'1'}},'data':{'a':'b'}}");
    skiff_api_apply_opts_t cr = { .manager = "kubectl-create", .api_version = "v1", .kind = "ConfigMap", .time = "T" };
    assert_int_equal(skiff_api_apply_record_update(obj, NULL, &cr, &err), 0);
    obj = roundtrip(obj);
    assert_json(cJSON_GetObjectItem(mf_of(obj, "kubectl-create", "Update"), "fieldsV1"),
                "{'f:metadata':{'f:labels':{'.':{},'f:x':{}}},'f:data':{'.':{},'f:a':{}}}");
    /* A later update removing data.a drops it from the set; the entry goes when empty. */
    cJSON *upd = tj("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c','uid':'u'},'data':{}}");
    skiff_api_apply_opts_t ed = { .manager = "kubectl-edit", .api_version = "v1", .kind = "ConfigMap" };
    assert_int_equal(skiff_api_apply_record_update(upd, obj, &ed, &err), 0);
    assert_null(mf_of(upd, "kubectl-create", "Update"));
    cJSON_Delete(upd); cJSON_Delete(obj); cJSON_Delete(a);
}

static void test_list_order(void **state)
{
    /* Live-only items keep their place, applied items follow the applied order
     * (structured-merge-diff's visitListItems), unlike a strategic patch. */
    skiff_api_apply_opts_t o = { .manager = "m", .api_version = "v1", .kind = "Pod" };
    cJSON *live = tj("{'spec':{'containers':[{'name':'a','image':'1'},{'name':'side','image':'s'}]}}");
    cJSON *out = apply_ok(live, "{'spec':{'containers':[{'name':'a','image':'2'},{'name':'log','image':'l'}]}}", &o);
    strip_mf(out);
    assert_json(out, "{'metadata':{},'spec':{'containers':[{'name':'a','image':'2'},{'name':'side','image':'s'},{'name':'log','image':'l'}]}}");
    cJSON_Delete(out);
    out = apply_ok(live, "{'spec':{'containers':[{'name':'x','image':'x'},{'name':'a','image':'1'}]}}", &o);
    strip_mf(out);
    assert_json(out, "{'metadata':{},'spec':{'containers':[{'name':'x','image':'x'},{'name':'a','image':'1'},{'name':'side','image':'s'}]}}");
    cJSON_Delete(out);
    out = apply_ok(live, "{'spec':{'containers':[{'name':'side','image':'s'},{'name':'a','image':'1'}]}}", &o);
    strip_mf(out);
    assert_json(out, "{'metadata':{},'spec':{'containers':[{'name':'side','image':'s'},{'name':'a','image':'1'}]}}");
    cJSON_Delete(out);
    /* Nested lists (env in a container) and primitive sets (finalizers) too. */
    cJSON *live2 = tj("{'metadata':{'finalizers':['f1','f2']},'spec':{'containers':[{'name':'a','env':[{'name':'A','value':'1'},{'name':'B','value':'2'}]}]}}");
    out = apply_ok(live2, "{'metadata':{'finalizers':['f3','f1']},'spec':{'containers':[{'name':'a','env':[{'name':'C','value':'3'},{'name':'B','value':'2'}]}]}}", &o);
    strip_mf(out);
    assert_json(out, "{'metadata':{'finalizers':['f3','f1','f2']},'spec':{'containers':[{'name':'a','env':"
                     "[{'name':'A','value':'1'},{'name':'C','value':'3'},{'name':'B','value':'2'}]}]}}");
    cJSON_Delete(out);
    cJSON_Delete(live); cJSON_Delete(live2);
}

static void test_fieldset_format(void **state)
{
    const char *segs[] = { "f:spec", "f:containers", "k:{\"name\":\"nginx\"}", "f:image" };
    char buf[128];
    skiff_api_fieldset_format(segs, 4, buf, sizeof buf);
    assert_string_equal(buf, ".spec.containers[name=\"nginx\"].image");
    cJSON *set = NULL;
    cJSON *o = tj("{'metadata':{'finalizers':['a']}}");
    assert_int_equal(skiff_api_fieldset_from_object(o, "ConfigMap", &set, NULL), 0);
    assert_json(set, "{'f:metadata':{'f:finalizers':{'v:\\'a\\'':{}}}}");
    const char *fs[] = { "f:metadata", "f:finalizers", "v:\"a\"" };
    assert_string_equal(skiff_api_fieldset_resolve(o, fs, 3, NULL)->valuestring, "a");
    cJSON_Delete(set); cJSON_Delete(o);
}

/* The create fast path prints exactly the set the diff builds. */
static void test_print_created_matches_diff(void **state)
{
    static const struct { const char *kind, *obj; unsigned flags; } cases[] = {
        { "Deployment", "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'w','uid':'u','labels':{'app':'w','a\\\\b\\'q':'1'},"
                        "'finalizers':['x','y'],'annotations':{}},'spec':{'replicas':2,'selector':{'matchLabels':{'app':'w'}},"
                        "'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxSurge':'25%'}},'template':{'metadata':{'labels':{'app':'w'}},"
                        "'spec':{'containers':[{'name':'b','image':'i','ports':[{'containerPort':80},{'containerPort':81,'name':'x'}],"
                        "'env':[{'name':'E','valueFrom':{'fieldRef':{'fieldPath':'p'}}}],'resources':{}},{'name':'a','args':['1','2']}],"
                        "'volumes':[{'name':'v','emptyDir':{}}]}}},'status':{'replicas':1}}", 0 },
        { "Pod", "{'metadata':{'name':'p','uid':'u','resourceVersion':'3'},'spec':{'containers':[{'name':'c'}]},'status':{'phase':'Pending'}}",
          SKIFF_API_FIELDSET_SKIP_STATUS },
        { "ServiceAccount", "{'metadata':{'name':'s'},'secrets':[{'name':'t'}],'automountServiceAccountToken':false}", 0 },
        { "Frob", "{'metadata':{'name':'m'},'spec':{'deep':{'deeper':{'x':[1,2]}},'empty':{}}}", 0 },
        { "ConfigMap", "{'metadata':{'name':'only','uid':'u'}}", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *obj = tj(cases[i].obj), *tree = NULL;
        char *text = NULL;
        skiff_error_t err = {0};
        assert_int_equal(skiff_api_fieldset_diff(obj, NULL, cases[i].kind, cases[i].flags, &tree, NULL, &err), 0);
        assert_int_equal(skiff_api_fieldset_print_created(obj, cases[i].kind, cases[i].flags, "<", ">", &text, &err), 0);
        char *want = cJSON_PrintUnformatted(tree), wrapped[4096];
        snprintf(wrapped, sizeof wrapped, "<%s>", want);
        if (!strcmp(want, "{}")) assert_null(text); /* sets nothing */
        else assert_string_equal(text, wrapped); /* byte for byte: same members, same order */
        free(want); free(text);
        cJSON_Delete(tree); cJSON_Delete(obj);
    }
    /* kube's shape: "." on added maps and list items, none on the root's members or on containers */
    cJSON *obj = tj(cases[0].obj);
    char *text = NULL;
    assert_int_equal(skiff_api_fieldset_print_created(obj, "Deployment", 0, NULL, NULL, &text, NULL), 0);
    cJSON *set = cJSON_Parse(text);
    assert_json(cJSON_GetObjectItem(cJSON_GetObjectItem(set, "f:metadata"), "f:labels"), "{'.':{},'f:a\\\\b\\'q':{},'f:app':{}}");
    cJSON *tspec = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(set, "f:spec"), "f:template"), "f:spec");
    assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(tspec, "f:containers"), "."));
    assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(tspec, "f:containers"), "k:{\"name\":\"a\"}"), "."));
    assert_json(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(tspec, "f:containers"), "k:{\"name\":\"b\"}"), "f:ports"),
                "{'.':{},'k:{\\'containerPort\\':80}':{'.':{},'f:containerPort':{}},'k:{\\'containerPort\\':81}':{'.':{},'f:containerPort':{},'f:name':{}}}");
    assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(set, "f:spec"), "."));
    assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(set, "f:status"), "f:replicas"));
    cJSON_Delete(set); free(text); cJSON_Delete(obj);
    /* a merging list item without its key is an error, as for the diff */
    cJSON *bad = tj("{'spec':{'containers':[{'image':'x'}]}}");
    skiff_error_t err = {0};
    assert_int_equal(skiff_api_fieldset_print_created(bad, "Pod", 0, NULL, NULL, &text, &err), SKIFF_E_INVALID);
    assert_null(text);
    cJSON_Delete(bad);
}

/* kubectl create, then the status subresource, then kubectl scale, then a
 * server-side apply: who owns what, as kube records it. */
static void test_update_entries_and_ssa_conflict(void **state)
{
    skiff_error_t err = {0};
    cJSON *v1 = tj(CFG1);
    skiff_api_apply_opts_t csa = { .manager = "kubectl-client-side-apply", .api_version = "apps/v1", .kind = "Deployment", .time = "2026-01-01T00:00:00Z" };
    assert_int_equal(skiff_api_apply_record_update(v1, NULL, &csa, &err), 0);
    v1 = roundtrip(v1);
    /* status written by a controller: its own entry with subresource status */
    cJSON *v2 = cJSON_Duplicate(v1, 1);
    cJSON_AddItemToObject(v2, "status", tj("{'replicas':2,'conditions':[{'type':'Available','status':'True'}]}"));
    skiff_api_apply_opts_t kcm = { .manager = "kube-controller-manager", .api_version = "apps/v1", .kind = "Deployment",
                                   .time = "2026-01-01T00:00:01Z", .subresource = "status" };
    assert_int_equal(skiff_api_apply_record_update(v2, v1, &kcm, &err), 0);
    const cJSON *st = mf_of(v2, "kube-controller-manager", "Update");
    assert_non_null(st);
    assert_string_equal(cJSON_GetObjectItem(st, "subresource")->valuestring, "status");
    assert_json(cJSON_GetObjectItem(st, "fieldsV1"),
                "{'f:status':{'.':{},'f:conditions':{'.':{},'k:{\\'type\\':\\'Available\\'}':{'.':{},'f:status':{},'f:type':{}}},'f:replicas':{}}}");
    /* the creator's entry is untouched (same time) and first (older) */
    const cJSON *cr = mf_of(v2, "kubectl-client-side-apply", "Update");
    assert_string_equal(cJSON_GetObjectItem(cr, "time")->valuestring, "2026-01-01T00:00:00Z");
    assert_ptr_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(v2, "metadata"), "managedFields"), 0), cr);
    /* a write that changes nothing changes no entry */
    cJSON *v3 = cJSON_Duplicate(v2, 1);
    skiff_api_apply_opts_t edit = { .manager = "kubectl-edit", .api_version = "apps/v1", .kind = "Deployment", .time = "2026-01-01T00:00:09Z" };
    assert_int_equal(skiff_api_apply_record_update(v3, v2, &edit, &err), 0);
    assert_true(cJSON_Compare(v3, v2, 1));
    assert_null(mf_of(v3, "kubectl-edit", "Update"));
    cJSON_Delete(v3);
    /* kubectl scale through the scale subresource takes .spec.replicas */
    cJSON *v4 = cJSON_Duplicate(v2, 1);
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(v4, "spec"), "replicas", cJSON_CreateNumber(5));
    skiff_api_apply_opts_t scale = { .manager = "kubectl-scale", .api_version = "apps/v1", .kind = "Deployment",
                                     .time = "2026-01-01T00:00:02Z", .subresource = "scale" };
    assert_int_equal(skiff_api_apply_record_update(v4, v2, &scale, &err), 0);
    assert_json(cJSON_GetObjectItem(mf_of(v4, "kubectl-scale", "Update"), "fieldsV1"), "{'f:spec':{'f:replicas':{}}}");
    assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(mf_of(v4, "kubectl-client-side-apply", "Update"), "fieldsV1"), "f:spec"), "f:replicas"));
    /* kubectl apply --server-side of the original replicas: 409, naming the subresource */
    cJSON *cfg = tj(CFG1), *out = NULL, *causes = NULL;
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(cfg, "spec"), "replicas", cJSON_CreateNumber(3));
    assert_int_equal(skiff_api_apply(v4, cfg, &KUBECTL, &out, &causes, &err), SKIFF_E_CONFLICT);
    assert_string_equal(err.msg, "Apply failed with 1 conflict: conflict with \"kubectl-scale\" with subresource \"scale\" using apps/v1: .spec.replicas");
    cJSON_Delete(causes);
    /* and against the creator's field (the image), as a real cluster answers */
    cJSON *img = tj("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},'spec':{'template':{'spec':{'containers':[{'name':'nginx','image':'nginx:1.27'}]}}}}");
    assert_int_equal(skiff_api_apply(v4, img, &KUBECTL, &out, NULL, &err), SKIFF_E_CONFLICT);
    assert_string_equal(err.msg, "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.template.spec.containers[name=\"nginx\"].image");
    skiff_api_apply_opts_t force = KUBECTL;
    force.force = 1;
    assert_int_equal(skiff_api_apply(v4, img, &force, &out, NULL, &err), 0);
    /* forced: the image changed hands; the status entry stays */
    assert_non_null(mf_of(out, "kubectl", "Apply"));
    assert_non_null(mf_of(out, "kube-controller-manager", "Update"));
    const cJSON *mfa = cJSON_GetObjectItem(cJSON_GetObjectItem(out, "metadata"), "managedFields");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(mfa, 0), "operation")->valuestring, "Apply"); /* Apply sorts first */
    cJSON_Delete(out); cJSON_Delete(img); cJSON_Delete(cfg);
    cJSON_Delete(v4); cJSON_Delete(v2); cJSON_Delete(v1);
}

/* kube's capManagersManager: an 11th Update manager merges the two oldest
 * into "ancient-changes" (time of the later), a 12th joins the bucket;
 * Apply managers never count; each apiVersion has its own bucket. */
static void test_update_managers_capped(void **state)
{
    skiff_error_t err = {0};
    cJSON *obj = tj("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c'},'data':{'k0':'v'}}");
    char mgr[16], tm[32], key[8];
    skiff_api_apply_opts_t o = { .manager = "m0", .api_version = "v1", .kind = "ConfigMap", .time = "2026-01-01T00:00:00Z" };
    assert_int_equal(skiff_api_apply_record_update(obj, NULL, &o, &err), 0);
    obj = roundtrip(obj);
    for (int i = 1; i <= 12; i++) {
        cJSON *next = cJSON_Duplicate(obj, 1);
        snprintf(key, sizeof key, "k%d", i);
        cJSON_AddStringToObject(cJSON_GetObjectItem(next, "data"), key, "v");
        snprintf(mgr, sizeof mgr, "m%d", i);
        snprintf(tm, sizeof tm, "2026-01-01T00:00:%02dZ", i);
        skiff_api_apply_opts_t u = { .manager = mgr, .api_version = i == 12 ? "v2" : "v1", .kind = "ConfigMap", .time = tm };
        assert_int_equal(skiff_api_apply_record_update(next, obj, &u, &err), 0);
        cJSON_Delete(obj);
        obj = roundtrip(next);
        const cJSON *mf = cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "metadata"), "managedFields");
        if (i < 10) {
            assert_int_equal(cJSON_GetArraySize(mf), i + 1);
            assert_null(mf_of(obj, "ancient-changes", "Update"));
        } else {
            assert_int_equal(cJSON_GetArraySize(mf), 10);
        }
        if (i == 10) {
            /* m0 and m1 (oldest, both v1) became the bucket, with m1's time */
            const cJSON *a = mf_of(obj, "ancient-changes", "Update");
            assert_non_null(a);
            assert_null(mf_of(obj, "m0", "Update"));
            assert_null(mf_of(obj, "m1", "Update"));
            assert_string_equal(cJSON_GetObjectItem(a, "time")->valuestring, "2026-01-01T00:00:01Z");
            assert_string_equal(cJSON_GetObjectItem(a, "apiVersion")->valuestring, "v1");
            assert_json(cJSON_GetObjectItem(a, "fieldsV1"), "{'f:data':{'.':{},'f:k0':{},'f:k1':{}}}");
            /* sorted as kube encodes them: by time, so the bucket comes first */
            assert_ptr_equal(cJSON_GetArrayItem(mf, 0), a);
        }
    }
    /* m11 pushed m2 into the bucket; m12 (v2) pushed m3 in as well */
    const cJSON *a = mf_of(obj, "ancient-changes", "Update");
    assert_json(cJSON_GetObjectItem(a, "fieldsV1"), "{'f:data':{'.':{},'f:k0':{},'f:k1':{},'f:k2':{},'f:k3':{}}}");
    assert_string_equal(cJSON_GetObjectItem(a, "time")->valuestring, "2026-01-01T00:00:03Z");
    assert_null(mf_of(obj, "m3", "Update"));
    assert_non_null(mf_of(obj, "m4", "Update"));
    assert_non_null(mf_of(obj, "m12", "Update"));
    /* an Apply manager never counts toward the cap */
    cJSON *cfg = tj("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c'},'data':{'z':'v'}}"), *out = NULL;
    skiff_api_apply_opts_t ap = { .manager = "applier", .api_version = "v1", .kind = "ConfigMap" };
    assert_int_equal(skiff_api_apply(obj, cfg, &ap, &out, NULL, &err), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "metadata"), "managedFields")), 11);
    assert_non_null(mf_of(out, "m4", "Update"));
    cJSON_Delete(out);
    cJSON_Delete(cfg);
    cJSON_Delete(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_records_fields),
        cmocka_unit_test(test_reapply_removes_dropped_fields),
        cmocka_unit_test(test_conflict_with_other_manager),
        cmocka_unit_test(test_two_conflicts_message),
        cmocka_unit_test(test_errors_and_record_create),
        cmocka_unit_test(test_list_order),
        cmocka_unit_test(test_fieldset_format),
        cmocka_unit_test(test_print_created_matches_diff),
        cmocka_unit_test(test_update_entries_and_ssa_conflict),
        cmocka_unit_test(test_update_managers_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
