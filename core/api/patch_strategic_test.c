/* Tests for core/api/patch_strategic with the bodies kubectl sends (KUBECTL-WIRE.md §5, §7, §9). */
#include "api/test_json.h"
#include "api/patch_strategic.h"
#include "api/patch_schema.h"

static void ok_case(const char *kind, const char *doc, const char *patch, const char *want)
{
    cJSON *d = tj(doc), *p = tj(patch), *out = NULL;
    skiff_error_t err = {0};
    int rc = skiff_api_strategic_patch(d, p, kind, &out, &err);
    if (rc) fail_msg("patch %s failed: %s", patch, err.msg);
    assert_json(out, want);
    assert_json(d, doc);
    assert_json(p, patch);
    cJSON_Delete(d); cJSON_Delete(p); cJSON_Delete(out);
}

static void bad_case(const char *kind, const char *doc, const char *patch, const char *msg_part)
{
    cJSON *d = tj(doc), *p = tj(patch), *out = (cJSON *)1;
    skiff_error_t err = {0};
    assert_int_equal(skiff_api_strategic_patch(d, p, kind, &out, &err), SKIFF_E_INVALID);
    assert_null(out);
    if (!strstr(err.msg, msg_part)) fail_msg("message '%s' lacks '%s'", err.msg, msg_part);
    cJSON_Delete(d); cJSON_Delete(p);
}

#define DEPLOY(containers) "{'metadata':{'name':'web','labels':{'app':'web'}},'spec':{'replicas':2,'template':{'metadata':{'labels':{'app':'web'}},'spec':{'containers':" containers "}}}}"

static void test_kubectl_apply_body(void **state)
{
    /* §5: client-side apply changes an image; the sidecar the server has stays. */
    ok_case("Deployment",
            DEPLOY("[{'name':'nginx','image':'nginx:1.25','ports':[{'containerPort':80}]},{'name':'side','image':'busybox'}]"),
            "{'metadata':{'annotations':{'kubectl.kubernetes.io/last-applied-configuration':'{}\\n'}},"
            "'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'nginx'}],"
            "'containers':[{'image':'nginx:1.26','name':'nginx'}]}}}}",
            "{'metadata':{'name':'web','labels':{'app':'web'},'annotations':{'kubectl.kubernetes.io/last-applied-configuration':'{}\\n'}},"
            "'spec':{'replicas':2,'template':{'metadata':{'labels':{'app':'web'}},'spec':{'containers':"
            "[{'name':'nginx','image':'nginx:1.26','ports':[{'containerPort':80}]},{'name':'side','image':'busybox'}]}}}}");
}

static void test_rollout_restart_and_cordon(void **state)
{
    ok_case("Deployment", DEPLOY("[{'name':'n','image':'i'}]"),
            "{'spec':{'template':{'metadata':{'annotations':{'kubectl.kubernetes.io/restartedAt':'2026-01-01T00:00:00Z'}}}}}",
            "{'metadata':{'name':'web','labels':{'app':'web'}},'spec':{'replicas':2,'template':{'metadata':{'labels':{'app':'web'},"
            "'annotations':{'kubectl.kubernetes.io/restartedAt':'2026-01-01T00:00:00Z'}},'spec':{'containers':[{'name':'n','image':'i'}]}}}}");
    ok_case("Node", "{'metadata':{'name':'n1'},'spec':{'podCIDR':'10.0.0.0/24'}}", "{'spec':{'unschedulable':true}}",
            "{'metadata':{'name':'n1'},'spec':{'podCIDR':'10.0.0.0/24','unschedulable':true}}");
    ok_case("Node", "{'metadata':{'name':'n1'},'spec':{'unschedulable':true}}", "{'spec':{'unschedulable':null}}",
            "{'metadata':{'name':'n1'},'spec':{}}");
}

static void test_merge_keys_by_kind(void **state)
{
    /* Pod: pod spec at spec; env by name, ports by containerPort, volumeMounts by mountPath.
     * Without $setElementOrder kube orders like mergeSlice's normalizeElementOrder: a new item
     * (443) goes before server-only items that follow it (80); Z comes after X because Y, which
     * the patch names first, is after X in the live list. */
    ok_case("Pod",
            "{'spec':{'containers':[{'name':'a','env':[{'name':'X','value':'1'},{'name':'Y','value':'2'}],"
            "'ports':[{'containerPort':80,'name':'http'}],'volumeMounts':[{'mountPath':'/d','name':'v'}]}]}}",
            "{'spec':{'containers':[{'name':'a','env':[{'name':'Y','value':'3'},{'name':'Z','value':'4'}],"
            "'ports':[{'containerPort':443}],'volumeMounts':[{'mountPath':'/d','readOnly':true}]}]}}",
            "{'spec':{'containers':[{'name':'a','env':[{'name':'X','value':'1'},{'name':'Y','value':'3'},{'name':'Z','value':'4'}],"
            "'ports':[{'containerPort':443},{'containerPort':80,'name':'http'}],'volumeMounts':[{'mountPath':'/d','name':'v','readOnly':true}]}]}}");
    /* The same body against an unknown kind replaces the lists. */
    ok_case("Widget", "{'spec':{'containers':[{'name':'a','image':'x'}]}}", "{'spec':{'containers':[{'name':'b'}]}}",
            "{'spec':{'containers':[{'name':'b'}]}}");
    /* Deployment: the Pod path (spec.containers) is not a pod spec there. */
    ok_case("Deployment", "{'spec':{'containers':[{'name':'a'}]}}", "{'spec':{'containers':[{'name':'b'}]}}",
            "{'spec':{'containers':[{'name':'b'}]}}");
    /* CronJob: spec.jobTemplate.spec.template.spec. */
    ok_case("CronJob", "{'spec':{'jobTemplate':{'spec':{'template':{'spec':{'containers':[{'name':'a','image':'1'}]}}}}}}",
            "{'spec':{'jobTemplate':{'spec':{'template':{'spec':{'containers':[{'name':'b','image':'2'}]}}}}}}",
            "{'spec':{'jobTemplate':{'spec':{'template':{'spec':{'containers':[{'name':'b','image':'2'},{'name':'a','image':'1'}]}}}}}}");
    /* Service ports by port; tolerations (no strategy) replaced. */
    ok_case("Service", "{'spec':{'ports':[{'port':80,'targetPort':8080},{'port':443}]}}",
            "{'spec':{'ports':[{'port':80,'targetPort':9090}]}}",
            "{'spec':{'ports':[{'port':80,'targetPort':9090},{'port':443}]}}");
    ok_case("Pod", "{'spec':{'tolerations':[{'key':'a'}]}}", "{'spec':{'tolerations':[{'key':'b'}]}}",
            "{'spec':{'tolerations':[{'key':'b'}]}}");
    /* Finalizers are a set. */
    ok_case("ConfigMap", "{'metadata':{'finalizers':['a','b']}}", "{'metadata':{'finalizers':['b','c']}}",
            "{'metadata':{'finalizers':['a','b','c']}}");
}

static void test_directives(void **state)
{
    const char *pod = "{'spec':{'containers':[{'name':'a','image':'1'},{'name':'b','image':'2'},{'name':'c','image':'3'}]}}";
    ok_case("Pod", pod, "{'spec':{'containers':[{'name':'b','$patch':'delete'}]}}",
            "{'spec':{'containers':[{'name':'a','image':'1'},{'name':'c','image':'3'}]}}");
    ok_case("Pod", pod, "{'spec':{'containers':[{'name':'z','image':'9'},{'$patch':'replace'}]}}",
            "{'spec':{'containers':[{'name':'z','image':'9'}]}}");
    /* live [a,b,c], order [c,a]: b (server-only, live index 1) goes before c (index 2), as kube's mergeSortedSlice. */
    ok_case("Pod", pod, "{'spec':{'$setElementOrder/containers':[{'name':'c'},{'name':'a'}],'containers':[{'name':'a','image':'7'}]}}",
            "{'spec':{'containers':[{'name':'b','image':'2'},{'name':'c','image':'3'},{'name':'a','image':'7'}]}}");
    /* live [a,b,c], order [a,c,d] with d new: b stays between a and c. */
    ok_case("Pod", pod, "{'spec':{'$setElementOrder/containers':[{'name':'a'},{'name':'c'},{'name':'d'}],'containers':[{'name':'d','image':'4'}]}}",
            "{'spec':{'containers':[{'name':'a','image':'1'},{'name':'b','image':'2'},{'name':'c','image':'3'},{'name':'d','image':'4'}]}}");
    ok_case("Pod", "{'metadata':{'labels':{'a':'1','b':'2'}}}", "{'metadata':{'labels':{'$patch':'replace','c':'3'}}}",
            "{'metadata':{'labels':{'c':'3'}}}");
    ok_case("Pod", "{'metadata':{'labels':{'a':'1'}},'spec':{'x':1}}", "{'metadata':{'labels':{'$patch':'delete'}}}",
            "{'metadata':{},'spec':{'x':1}}");
    ok_case("Pod", "{'spec':{'a':1}}", "{'spec':{'$patch':'merge','b':2}}", "{'spec':{'a':1,'b':2}}");
    ok_case("ConfigMap", "{'metadata':{'finalizers':['a','b','c']}}", "{'metadata':{'$deleteFromPrimitiveList/finalizers':['b','x']}}",
            "{'metadata':{'finalizers':['a','c']}}");
    ok_case("ConfigMap", "{'metadata':{'finalizers':['a','b','c']}}", "{'metadata':{'$setElementOrder/finalizers':['c','a']}}",
            "{'metadata':{'finalizers':['b','c','a']}}");
    ok_case("ConfigMap", "{'metadata':{'finalizers':['a','b']}}", "{'metadata':{'$setElementOrder/finalizers':['x','b','a'],'finalizers':['x']}}",
            "{'metadata':{'finalizers':['x','b','a']}}");
    /* $retainKeys: volume source switched from emptyDir to hostPath. */
    ok_case("Pod", "{'spec':{'volumes':[{'name':'v','emptyDir':{}}]}}",
            "{'spec':{'volumes':[{'name':'v','$retainKeys':['hostPath','name'],'hostPath':{'path':'/x'}}]}}",
            "{'spec':{'volumes':[{'name':'v','hostPath':{'path':'/x'}}]}}");
    ok_case("Deployment", "{'spec':{'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxSurge':1}}}}",
            "{'spec':{'strategy':{'$retainKeys':['type'],'type':'Recreate'}}}",
            "{'spec':{'strategy':{'type':'Recreate'}}}");
    /* Directives never leak into new values. */
    ok_case("Pod", "{}", "{'spec':{'containers':[{'name':'a','env':[{'name':'X','$patch':'delete'}]}],'x':{'y':null,'z':1}}}",
            "{'spec':{'containers':[{'name':'a','env':[]}],'x':{'z':1}}}");
    ok_case("Pod", "{'a':1}", "{'$patch':'delete'}", "{}");
}

static void test_errors(void **state)
{
    bad_case("Pod", "{}", "[1]", "must be a JSON object");
    bad_case("Pod", "{'spec':{'containers':[{'name':'a'}]}}", "{'spec':{'containers':[{'image':'nginx'}]}}",
             ".spec.containers[0]: map: {\"image\":\"nginx\"} does not contain declared merge key: name");
    bad_case("Pod", "{'spec':{'containers':[]}}", "{'spec':{'containers':['x']}}", "must be a map with merge key name");
    bad_case("Pod", "{'spec':{}}", "{'spec':{'$patch':'frob'}}", ".spec: unknown patch type: frob in map");
    bad_case("Pod", "{'spec':{'containers':[]}}", "{'spec':{'containers':[{'name':'a','$patch':'zap'}]}}", "unknown patch type: zap");
    bad_case("Pod", "{'spec':{}}", "{'spec':{'$retainKeys':'x'}}", "$retainKeys must be a list");
    bad_case("Pod", "{'spec':{}}", "{'spec':{'$retainKeys':['a'],'b':1}}", "doesn't match retainKeys");
    bad_case("ConfigMap", "{'metadata':{'finalizers':[]}}", "{'metadata':{'finalizers':[{'a':1}]}}", "list of primitives");
    /* Depth is bounded. */
    char *s = malloc(4000), *q = s;
    for (int i = 0; i < 300; i++) q += sprintf(q, "{\"a\":");
    q += sprintf(q, "1");
    for (int i = 0; i < 300; i++) *q++ = '}';
    *q = 0;
    cJSON *p = cJSON_Parse(s), *out = NULL;
    skiff_error_t err = {0};
    assert_int_equal(skiff_api_strategic_patch(NULL, p, "Pod", &out, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "deeper"));
    cJSON_Delete(p); free(s);
}

static void test_schema_lookup(void **state)
{
    assert_string_equal(skiff_api_schema_root("Deployment"), "Deployment");
    assert_string_equal(skiff_api_schema_root("Frob"), "Object");
    assert_string_equal(skiff_api_schema_root(NULL), "Object");
    const skiff_api_field_t *f = skiff_api_schema_field("Container", "ports");
    assert_non_null(f);
    assert_string_equal(f->merge_key, "containerPort");
    assert_null(skiff_api_schema_field("PodSpec", "tolerations"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kubectl_apply_body),
        cmocka_unit_test(test_rollout_restart_and_cordon),
        cmocka_unit_test(test_merge_keys_by_kind),
        cmocka_unit_test(test_directives),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_schema_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
