/* The write bodies real kubectl 1.32 sent (testdata/kubectl-patches, see
 * testdata/README.md), applied to the live objects kubectl saw, through the
 * same calls the API server makes: patch_type dispatch and apply. */
#include "api/test_json.h"
#include "api/apply.h"
#include "api/patch_type.h"

static cJSON *load_json(const char *rel)
{
    const char *root = getenv("SKIFF_ROOT");
    char path[1024];
    snprintf(path, sizeof path, "%s/core/api/testdata/%s", root ? root : ".", rel);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s (run from the repo root or set SKIFF_ROOT)", path);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    cJSON *j = cJSON_Parse(buf);
    if (!j) fail_msg("%s is not JSON", path);
    return j;
}

static cJSON *patched(const char *live, const char *body, const char *ctype, const char *kind)
{
    cJSON *l = load_json(live), *p = load_json(body), *out = NULL;
    skiff_error_t err = {0};
    int rc = skiff_api_patch(skiff_api_patch_type(ctype), l, p, kind, &out, &err);
    if (rc) fail_msg("%s: %s", body, err.msg);
    cJSON_Delete(l);
    cJSON_Delete(p);
    return out;
}

static const cJSON *at(const cJSON *o, const char *path)
{
    /* dotted path; a number selects an array index */
    char buf[256], *save = NULL;
    snprintf(buf, sizeof buf, "%s", path);
    for (char *t = strtok_r(buf, ".", &save); t && o; t = strtok_r(NULL, ".", &save))
        o = (*t >= '0' && *t <= '9') ? cJSON_GetArrayItem(o, atoi(t)) : cJSON_GetObjectItemCaseSensitive(o, t);
    if (!o) fail_msg("no %s", path);
    return o;
}

#define POD_SPEC "spec.template.spec."

static void test_client_side_apply(void **state)
{
    cJSON *o = patched("live/deployments-web.json", "kubectl-patches/apply-web-v2.smp.json",
                       "application/strategic-merge-patch+json", "Deployment");
    /* Containers: nginx updated in place, sidecar deleted, log added, in $setElementOrder order. */
    assert_int_equal(cJSON_GetArraySize(at(o, POD_SPEC "containers")), 2);
    assert_string_equal(at(o, POD_SPEC "containers.0.name")->valuestring, "nginx");
    assert_string_equal(at(o, POD_SPEC "containers.0.image")->valuestring, "nginx:1.26");
    assert_string_equal(at(o, POD_SPEC "containers.1.name")->valuestring, "log");
    /* Fields kubectl did not manage survive (imagePullPolicy set by someone else, ports unchanged). */
    assert_string_equal(at(o, POD_SPEC "containers.0.imagePullPolicy")->valuestring, "IfNotPresent");
    assert_int_equal(at(o, POD_SPEC "containers.0.ports.0.containerPort")->valueint, 80);
    /* env: A deleted by directive, B changed, C added; order B, C. */
    assert_json(at(o, POD_SPEC "containers.0.env"), "[{'name':'B','value':'3'},{'name':'C','value':'4'}]");
    /* Volume source switched: $retainKeys + emptyDir null leave only hostPath. */
    assert_json(at(o, POD_SPEC "volumes"), "[{'name':'v','hostPath':{'path':'/data'}}]");
    /* Untouched parts of the live object stay; the annotation is rewritten. */
    assert_int_equal(at(o, "spec.revisionHistoryLimit")->valueint, 10);
    assert_int_equal(at(o, "spec.replicas")->valueint, 2);
    assert_int_equal(at(o, "status.readyReplicas")->valueint, 2);
    assert_string_equal(cJSON_GetObjectItem(at(o, "metadata.annotations"), "deployment.kubernetes.io/revision")->valuestring, "1");
    cJSON_Delete(o);
}

static void test_other_commands(void **state)
{
    cJSON *o = patched("live/pods-p.json", "kubectl-patches/label-p.merge.json", "application/merge-patch+json", "Pod");
    assert_json(at(o, "metadata.labels"), "{'app':'web','k':'v'}");
    cJSON_Delete(o);
    o = patched("live/pods-p.json", "kubectl-patches/annotate-p.merge.json", "application/merge-patch+json", "Pod");
    assert_json(at(o, "metadata.annotations"), "{'note':'hi'}");
    cJSON_Delete(o);
    o = patched("live/deployments-web.json", "kubectl-patches/rollout-restart-web.smp.json",
                "application/strategic-merge-patch+json", "Deployment");
    assert_string_equal(cJSON_GetObjectItem(at(o, "spec.template.metadata.annotations"),
                                            "kubectl.kubernetes.io/restartedAt")->valuestring, "2026-11-27T04:31:24Z");
    assert_json(at(o, "spec.template.metadata.labels"), "{'app':'web'}");
    cJSON_Delete(o);
    o = patched("live/nodes-n1.json", "kubectl-patches/cordon-n1.smp.json", "application/strategic-merge-patch+json", "Node");
    assert_json(at(o, "spec"), "{'podCIDR':'10.244.0.0/24','unschedulable':true}");
    cJSON_Delete(o);
    o = patched("live/deployments-web.json", "kubectl-patches/patch-json-web.jsonpatch.json", "application/json-patch+json",
                "Deployment");
    assert_int_equal(at(o, "spec.replicas")->valueint, 5);
    cJSON_Delete(o);
    o = patched("live/deployments-web.json", "kubectl-patches/set-image-web.smp.json", "application/strategic-merge-patch+json",
                "Deployment");
    assert_string_equal(at(o, POD_SPEC "containers.0.image")->valuestring, "nginx:1.27");
    assert_string_equal(at(o, POD_SPEC "containers.1.image")->valuestring, "busybox");
    assert_json(at(o, POD_SPEC "containers.1.args"), "['sleep','1d']");
    cJSON_Delete(o);

    /* kubectl scale patches the Scale subresource. */
    cJSON *scale = tj("{'kind':'Scale','apiVersion':'autoscaling/v1','metadata':{'name':'web'},'spec':{'replicas':2}}");
    cJSON *p = load_json("kubectl-patches/scale-web.merge.json"), *out = NULL;
    assert_int_equal(skiff_api_patch(SKIFF_API_PATCH_MERGE, scale, p, "Scale", &out, NULL), 0);
    assert_int_equal(at(out, "spec.replicas")->valueint, 3);
    cJSON_Delete(out); cJSON_Delete(p); cJSON_Delete(scale);
}

static void test_server_side_apply(void **state)
{
    cJSON *live = load_json("live/deployments-web.json"), *cfg = load_json("kubectl-patches/apply-server-side-web-v2.apply.json");
    skiff_api_apply_opts_t o = { .manager = "kubectl", .api_version = "apps/v1", .kind = "Deployment" };
    cJSON *out = NULL, *causes = NULL;
    skiff_error_t err = {0};
    int rc = skiff_api_apply(live, cfg, &o, &out, &causes, &err);
    if (rc) fail_msg("%s", err.msg);
    /* Applied values land; list items merge by key (log added; side stays: nobody recorded owning it). */
    assert_string_equal(at(out, POD_SPEC "containers.0.image")->valuestring, "nginx:1.26");
    assert_string_equal(at(out, POD_SPEC "containers.0.imagePullPolicy")->valuestring, "IfNotPresent");
    assert_int_equal(cJSON_GetArraySize(at(out, POD_SPEC "containers")), 3);
    /* server-side apply order: live-only 'side' keeps its place, new 'log' follows the applied order */
    assert_string_equal(at(out, POD_SPEC "containers.1.name")->valuestring, "side");
    assert_string_equal(at(out, POD_SPEC "containers.2.name")->valuestring, "log");
    assert_string_equal(at(out, "metadata.managedFields.0.manager")->valuestring, "kubectl");
    assert_string_equal(at(out, "metadata.managedFields.0.operation")->valuestring, "Apply");

    /* Applying again without the log container removes it: kubectl owns it now. */
    cJSON *cfg2 = cJSON_Duplicate(cfg, 1);
    cJSON_DeleteItemFromArray((cJSON *)at(cfg2, POD_SPEC "containers"), 1);
    cJSON *out2 = NULL;
    assert_int_equal(skiff_api_apply(out, cfg2, &o, &out2, NULL, &err), 0);
    assert_int_equal(cJSON_GetArraySize(at(out2, POD_SPEC "containers")), 2);
    assert_string_equal(at(out2, POD_SPEC "containers.0.name")->valuestring, "nginx");
    assert_string_equal(at(out2, POD_SPEC "containers.1.name")->valuestring, "side");
    cJSON_Delete(out2); cJSON_Delete(cfg2);
    cJSON_Delete(out); cJSON_Delete(live); cJSON_Delete(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_side_apply),
        cmocka_unit_test(test_other_commands),
        cmocka_unit_test(test_server_side_apply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
