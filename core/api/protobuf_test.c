/* Tests for core/api/protobuf and protobuf_wire, on bodies captured from kubectl 1.32 (testdata/README.md). */
#include "api/test_json.h"
#include "api/protobuf.h"
#include "api/protobuf_wire.h"

static unsigned char *load(const char *name, size_t *len)
{
    const char *root = getenv("SKIFF_ROOT");
    char path[1024];
    snprintf(path, sizeof path, "%s/core/api/testdata/%s", root ? root : ".", name);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s (run from the repo root or set SKIFF_ROOT)", path);
    unsigned char *buf = malloc(65536);
    *len = fread(buf, 1, 65536, f);
    fclose(f);
    return buf;
}

static cJSON *decode_file(const char *name)
{
    size_t len;
    unsigned char *b = load(name, &len);
    cJSON *o = NULL;
    skiff_error_t err = {0};
    int rc = skiff_api_protobuf_decode(b, len, &o, &err);
    if (rc) fail_msg("%s: %s", name, err.msg);
    free(b);
    return o;
}

static const char *str_at(const cJSON *o, const char *a, const char *b, const char *c)
{
    const cJSON *x = cJSON_GetObjectItem(o, a);
    if (b) x = cJSON_GetObjectItem(x, b);
    if (c) x = cJSON_GetObjectItem(x, c);
    return cJSON_IsString(x) ? x->valuestring : "(missing)";
}

static void test_namespace(void **state)
{
    cJSON *o = decode_file("create-namespace.pb");
    assert_string_equal(str_at(o, "apiVersion", NULL, NULL), "v1");
    assert_string_equal(str_at(o, "kind", NULL, NULL), "Namespace");
    assert_string_equal(str_at(o, "metadata", "name", NULL), "x");
    /* Empty strings, zero generation, empty status are left out as Go's omitempty does. */
    assert_json(o, "{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'x'}}");
    cJSON_Delete(o);
    o = decode_file("create-namespace-dry-run.pb");
    assert_json(o, "{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'dry'}}");
    cJSON_Delete(o);
}

static void test_configmap_secret_sa(void **state)
{
    cJSON *o = decode_file("create-configmap.pb");
    assert_string_equal(str_at(o, "kind", NULL, NULL), "ConfigMap");
    assert_string_equal(str_at(o, "metadata", "name", NULL), "c");
    assert_string_equal(str_at(o, "data", "a", NULL), "b");
    assert_json(o, "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c'},'data':{'a':'b'}}");
    cJSON_Delete(o);

    o = decode_file("create-configmap-binary.pb");
    assert_string_equal(str_at(o, "metadata", "namespace", NULL), "other");
    assert_string_equal(str_at(o, "data", "x", NULL), "y");
    assert_string_equal(str_at(o, "binaryData", "blob", NULL), "AAH/Ymlu"); /* base64 of 00 01 ff 'bin' */
    cJSON_Delete(o);

    o = decode_file("create-secret-generic.pb");
    assert_json(o, "{'apiVersion':'v1','kind':'Secret','metadata':{'name':'s'},'data':{'k':'dg=='}}");
    cJSON_Delete(o);

    o = decode_file("create-secret-docker-registry.pb");
    assert_string_equal(str_at(o, "type", NULL, NULL), "kubernetes.io/dockerconfigjson");
    assert_string_equal(str_at(o, "data", ".dockerconfigjson", NULL),
                        "eyJhdXRocyI6eyJyLmlvIjp7InVzZXJuYW1lIjoidSIsInBhc3N3b3JkIjoicCIsImF1dGgiOiJkVHB3In19fQ==");
    cJSON_Delete(o);

    o = decode_file("create-serviceaccount.pb");
    assert_json(o, "{'apiVersion':'v1','kind':'ServiceAccount','metadata':{'name':'sa'}}");
    cJSON_Delete(o);
}

static void test_deployment(void **state)
{
    cJSON *o = decode_file("create-deployment.pb");
    assert_string_equal(str_at(o, "apiVersion", NULL, NULL), "apps/v1");
    assert_string_equal(str_at(o, "metadata", "labels", "app"), "web");
    const cJSON *spec = cJSON_GetObjectItem(o, "spec");
    assert_int_equal(cJSON_GetObjectItem(spec, "replicas")->valueint, 2);
    assert_string_equal(str_at(spec, "selector", "matchLabels", "app"), "web");
    const cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(spec, "template"), "spec"), "containers"), 0);
    assert_string_equal(str_at(c0, "name", NULL, NULL), "nginx");
    assert_string_equal(str_at(c0, "image", NULL, NULL), "nginx");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(c0, "ports"), 0), "containerPort")->valueint, 80);
    assert_json(o, "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','labels':{'app':'web'}},"
                   "'spec':{'replicas':2,'selector':{'matchLabels':{'app':'web'}},'template':{'metadata':{'labels':{'app':'web'}},"
                   "'spec':{'containers':[{'name':'nginx','image':'nginx','ports':[{'containerPort':80}]}]}}}}");
    cJSON_Delete(o);

    /* replicas is a pointer field: kubectl's default 1 is sent and kept. */
    o = decode_file("create-deployment-two-images.pb");
    assert_json(o, "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'two','labels':{'app':'two'}},"
                   "'spec':{'replicas':1,'selector':{'matchLabels':{'app':'two'}},'template':{'metadata':{'labels':{'app':'two'}},"
                   "'spec':{'containers':[{'name':'nginx','image':'nginx'},{'name':'busybox','image':'busybox'}]}}}}");
    cJSON_Delete(o);
}

static void test_service_quota(void **state)
{
    cJSON *o = decode_file("create-service-clusterip.pb");
    const cJSON *p0 = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "spec"), "ports"), 0);
    assert_string_equal(str_at(p0, "name", NULL, NULL), "80-8080");
    assert_string_equal(str_at(p0, "protocol", NULL, NULL), "TCP");
    assert_int_equal(cJSON_GetObjectItem(p0, "port")->valueint, 80);
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(p0, "targetPort")));   /* IntOrString type 0 */
    assert_int_equal(cJSON_GetObjectItem(p0, "targetPort")->valueint, 8080);
    assert_null(cJSON_GetObjectItem(p0, "nodePort"));
    assert_string_equal(str_at(o, "spec", "type", NULL), "ClusterIP");
    assert_string_equal(str_at(o, "spec", "selector", "app"), "svc");
    cJSON_Delete(o);

    o = decode_file("create-service-nodeport.pb");
    p0 = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "spec"), "ports"), 0);
    assert_int_equal(cJSON_GetObjectItem(p0, "nodePort")->valueint, 30080);
    assert_string_equal(str_at(o, "spec", "type", NULL), "NodePort");
    cJSON_Delete(o);

    o = decode_file("create-quota.pb");
    assert_json(o, "{'apiVersion':'v1','kind':'ResourceQuota','metadata':{'name':'q'},'spec':{'hard':{'cpu':'2','pods':'10'}}}");
    cJSON_Delete(o);
}

static void test_more_kinds(void **state)
{
    cJSON *o = decode_file("create-job.pb");
    assert_json(o, "{'apiVersion':'batch/v1','kind':'Job','metadata':{'name':'j'},'spec':{'template':{'spec':{"
                   "'containers':[{'name':'j','image':'busybox','command':['echo','hi']}],'restartPolicy':'Never'}}}}");
    cJSON_Delete(o);
    o = decode_file("create-cronjob.pb");
    assert_json(o, "{'apiVersion':'batch/v1','kind':'CronJob','metadata':{'name':'cj'},'spec':{'schedule':'*/5 * * * *',"
                   "'jobTemplate':{'metadata':{'name':'cj'},'spec':{'template':{'spec':{'containers':[{'name':'cj',"
                   "'image':'busybox','command':['date']}],'restartPolicy':'OnFailure'}}}}}}");
    cJSON_Delete(o);
    /* apiGroups [""] (the core group) keeps its empty string. */
    o = decode_file("create-role.pb");
    assert_json(o, "{'apiVersion':'rbac.authorization.k8s.io/v1','kind':'Role','metadata':{'name':'r'},"
                   "'rules':[{'verbs':['get','list'],'apiGroups':[''],'resources':['pods']}]}");
    cJSON_Delete(o);
    o = decode_file("create-rolebinding.pb");
    assert_json(o, "{'apiVersion':'rbac.authorization.k8s.io/v1','kind':'RoleBinding','metadata':{'name':'rb'},"
                   "'subjects':[{'kind':'User','apiGroup':'rbac.authorization.k8s.io','name':'alice'},"
                   "{'kind':'ServiceAccount','name':'sa','namespace':'default'}],"
                   "'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'Role','name':'r'}}");
    cJSON_Delete(o);
    o = decode_file("create-clusterrole.pb");
    assert_json(o, "{'apiVersion':'rbac.authorization.k8s.io/v1','kind':'ClusterRole','metadata':{'name':'cr'},"
                   "'rules':[{'verbs':['get'],'apiGroups':[''],'resources':['nodes']}]}");
    cJSON_Delete(o);
    o = decode_file("create-clusterrolebinding.pb");
    assert_string_equal(str_at(o, "roleRef", "kind", NULL), "ClusterRole");
    assert_string_equal(str_at(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "subjects"), 0), "kind", NULL, NULL), "Group");
    cJSON_Delete(o);
    o = decode_file("create-priorityclass.pb");
    assert_json(o, "{'apiVersion':'scheduling.k8s.io/v1','kind':'PriorityClass','metadata':{'name':'pc'},'value':1000,"
                   "'description':'high','preemptionPolicy':'PreemptLowerPriority'}");
    cJSON_Delete(o);
    o = decode_file("create-pdb.pb");
    assert_json(o, "{'apiVersion':'policy/v1','kind':'PodDisruptionBudget','metadata':{'name':'pdb'},"
                   "'spec':{'minAvailable':1,'selector':{'matchLabels':{'app':'web'}}}}");
    cJSON_Delete(o);
    o = decode_file("create-token.pb");
    assert_json(o, "{'apiVersion':'authentication.k8s.io/v1','kind':'TokenRequest','spec':{'audiences':['api'],'expirationSeconds':3600}}");
    cJSON_Delete(o);
    o = decode_file("create-service-externalname.pb");
    assert_string_equal(str_at(o, "spec", "type", NULL), "ExternalName");
    assert_string_equal(str_at(o, "spec", "externalName", NULL), "foo.com");
    cJSON_Delete(o);
    o = decode_file("create-ingress.pb");
    assert_json(o, "{'apiVersion':'networking.k8s.io/v1','kind':'Ingress','metadata':{'name':'ing'},'spec':{'rules':[{"
                   "'host':'foo.com','http':{'paths':[{'path':'/bar','backend':{'service':{'name':'svc','port':{'number':80}}},"
                   "'pathType':'Exact'}]}}]}}");
    cJSON_Delete(o);
}

/* Every truncation and every single-byte corruption of every fixture must
 * decode or fail cleanly (ASan in `make test-asan` checks the "cleanly"). */
static void test_truncated_and_corrupt(void **state)
{
    const char *files[] = { "create-deployment.pb", "create-service-nodeport.pb", "create-quota.pb",
                            "create-configmap-binary.pb", "create-secret-docker-registry.pb", "create-cronjob.pb",
                            "create-rolebinding.pb", "create-ingress.pb", "create-pdb.pb" };
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        size_t len;
        unsigned char *b = load(files[f], &len);
        int failures = 0;
        for (size_t cut = 0; cut < len; cut++) {
            unsigned char *t = malloc(cut ? cut : 1);
            memcpy(t, b, cut);
            cJSON *o = NULL;
            skiff_error_t err = {0};
            int rc = skiff_api_protobuf_decode(t, cut, &o, &err);
            if (rc) { failures++; assert_null(o); assert_true(err.msg[0] != 0); }
            cJSON_Delete(o);
            free(t);
        }
        assert_true(failures > 0);
        for (size_t i = 4; i < len; i++) {
            unsigned char save = b[i];
            b[i] ^= 0xff;
            cJSON *o = NULL;
            if (skiff_api_protobuf_decode(b, len, &o, NULL) == 0) cJSON_Delete(o);
            b[i] = save;
        }
        free(b);
    }
}

static void test_errors(void **state)
{
    cJSON *o = NULL;
    skiff_error_t err = {0};
    assert_int_equal(skiff_api_protobuf_decode("{}", 2, &o, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "magic"));
    /* Unknown kind: v1 Frob. */
    static const unsigned char frob[] = { 'k', '8', 's', 0, 0x0a, 0x0a, 0x0a, 0x02, 'v', '1', 0x12, 0x04, 'F', 'r', 'o', 'b' };
    assert_int_equal(skiff_api_protobuf_decode(frob, sizeof frob, &o, &err), SKIFF_E_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "v1 Frob is not supported"));
    /* contentEncoding gzip is refused. */
    static const unsigned char gz[] = { 'k', '8', 's', 0, 0x0a, 0x0d, 0x0a, 0x02, 'v', '1', 0x12, 0x07, 'S', 'e', 'c', 'r', 'e', 't', 's',
                                        0x1a, 0x04, 'g', 'z', 'i', 'p' };
    assert_int_equal(skiff_api_protobuf_decode(gz, sizeof gz, &o, &err), SKIFF_E_UNSUPPORTED);
    /* Wrong wire type: ConfigMap.data (2) as a varint. */
    static const unsigned char ww[] = { 0x10, 0x05 };
    assert_int_equal(skiff_api_protobuf_decode_object("v1", "ConfigMap", ww, sizeof ww, &o, &err), SKIFF_E_INVALID);
    assert_string_equal(err.msg, "protobuf: ConfigMap.data (field 2) has wire type 0, want 2");
    /* NUL inside a string. */
    static const unsigned char nul[] = { 0x0a, 0x05, 0x0a, 0x03, 'a', 0, 'b' };
    assert_int_equal(skiff_api_protobuf_decode_object("v1", "ConfigMap", nul, sizeof nul, &o, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "NUL"));
    /* Length past the end. */
    static const unsigned char past[] = { 0x0a, 0x7f, 0x0a };
    assert_int_equal(skiff_api_protobuf_decode_object("v1", "ConfigMap", past, sizeof past, &o, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "runs past the end"));
    /* Group wire type is refused. */
    static const unsigned char grp[] = { 0x0b };
    assert_int_equal(skiff_api_protobuf_decode_object("v1", "ConfigMap", grp, sizeof grp, &o, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "wire type 3"));
    assert_null(o);
}

static void test_hand_built_fields(void **state)
{
    /* Built with a 10-line Python encoder: metadata{name n, creationTimestamp{seconds 1700000000},
     * annotations{k: val}, finalizers [f], managedFields[{m, Apply, FieldsV1, fieldsV1 raw {"f:data":{}}}]},
     * unknown fields 15 (varint), 16 (fixed64), 17 (fixed32), immutable(4)=false. */
    static const unsigned char cm[] = {
        0x0a, 0x40, 0x0a, 0x01, 0x6e, 0x42, 0x06, 0x08, 0x80, 0xe2, 0xcf, 0xaa, 0x06, 0x62, 0x08, 0x0a,
        0x01, 0x6b, 0x12, 0x03, 0x76, 0x61, 0x6c, 0x72, 0x01, 0x66, 0x8a, 0x01, 0x25, 0x0a, 0x01, 0x6d,
        0x12, 0x05, 0x41, 0x70, 0x70, 0x6c, 0x79, 0x32, 0x08, 0x46, 0x69, 0x65, 0x6c, 0x64, 0x73, 0x56,
        0x31, 0x3a, 0x0f, 0x0a, 0x0d, 0x7b, 0x22, 0x66, 0x3a, 0x64, 0x61, 0x74, 0x61, 0x22, 0x3a, 0x7b,
        0x7d, 0x7d, 0x78, 0x07, 0x81, 0x01, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x8d, 0x01,
        0x01, 0x02, 0x03, 0x04, 0x20, 0x00
    };
    cJSON *o = NULL;
    skiff_error_t err = {0};
    int rc = skiff_api_protobuf_decode_object("v1", "ConfigMap", cm, sizeof cm, &o, &err);
    if (rc) fail_msg("%s", err.msg);
    assert_json(o, "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'n','creationTimestamp':'2023-11-14T22:13:20Z',"
                   "'annotations':{'k':'val'},'finalizers':['f'],'managedFields':[{'manager':'m','operation':'Apply',"
                   "'fieldsType':'FieldsV1','fieldsV1':{'f:data':{}}}]},'immutable':false}");
    cJSON_Delete(o);

    /* Service port with a string targetPort (IntOrString type=1). */
    static const unsigned char svc[] = { 0x12, 0x0c, 0x0a, 0x0a, 0x18, 0x50, 0x22, 0x06, 0x08, 0x01, 0x1a, 0x02, 'h', 'p' };
    assert_int_equal(skiff_api_protobuf_decode_object("v1", "Service", svc, sizeof svc, &o, &err), 0);
    assert_json(o, "{'apiVersion':'v1','kind':'Service','spec':{'ports':[{'port':80,'targetPort':'hp'}]}}");
    cJSON_Delete(o);

    /* Pod with an emptyDir volume (a pointer message: kept even when empty) and resources. */
    /* spec{volumes[{name v, volumeSource(inline){emptyDir{}}}], containers[{name c, resources{requests{memory: 64Mi}}}]} */
    static const unsigned char pod2[] = {
        0x12, 0x22, 0x0a, 0x07, 0x0a, 0x01, 0x76, 0x12, 0x02, 0x12, 0x00, 0x12, 0x17, 0x0a, 0x01, 0x63,
        0x42, 0x12, 0x12, 0x10, 0x0a, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x12, 0x06, 0x0a, 0x04,
        0x36, 0x34, 0x4d, 0x69
    };
    rc = skiff_api_protobuf_decode_object("v1", "Pod", pod2, sizeof pod2, &o, &err);
    if (rc) fail_msg("%s", err.msg);
    assert_json(o, "{'apiVersion':'v1','kind':'Pod','spec':{'volumes':[{'name':'v','emptyDir':{}}],"
                   "'containers':[{'name':'c','resources':{'requests':{'memory':'64Mi'}}}]}}");
    cJSON_Delete(o);
}

static void test_wire_reader(void **state)
{
    skiff_pb_reader_t r;
    skiff_error_t err = {0};
    uint64_t v;
    static const unsigned char max[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
    skiff_pb_reader_init(&r, max, sizeof max);
    assert_int_equal(skiff_pb_read_varint(&r, &v, &err), 0);
    assert_true(v == UINT64_MAX);
    static const unsigned char over[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02 };
    skiff_pb_reader_init(&r, over, sizeof over);
    assert_int_equal(skiff_pb_read_varint(&r, &v, &err), SKIFF_E_INVALID);
    static const unsigned char eleven[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 };
    skiff_pb_reader_init(&r, eleven, sizeof eleven);
    assert_int_equal(skiff_pb_read_varint(&r, &v, &err), SKIFF_E_INVALID);
    static const unsigned char f32[] = { 0x78, 0x56, 0x34, 0x12, 1, 2, 3, 4, 5, 6, 7, 8 };
    uint32_t x;
    skiff_pb_reader_init(&r, f32, sizeof f32);
    assert_int_equal(skiff_pb_read_fixed32(&r, &x, &err), 0);
    assert_int_equal(x, 0x12345678);
    assert_int_equal(skiff_pb_read_fixed64(&r, &v, &err), 0);
    assert_true(v == 0x0807060504030201ULL);
    assert_true(skiff_pb_eof(&r));
    assert_int_equal(skiff_pb_read_fixed32(&r, &x, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "truncated fixed32 at offset 12"));
    static const unsigned char zero_field[] = { 0x00 };
    uint32_t fnum, wt;
    skiff_pb_reader_init(&r, zero_field, 1);
    assert_int_equal(skiff_pb_read_tag(&r, &fnum, &wt, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "invalid field number 0"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_namespace),
        cmocka_unit_test(test_configmap_secret_sa),
        cmocka_unit_test(test_deployment),
        cmocka_unit_test(test_service_quota),
        cmocka_unit_test(test_more_kinds),
        cmocka_unit_test(test_truncated_and_corrupt),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_hand_built_fields),
        cmocka_unit_test(test_wire_reader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
