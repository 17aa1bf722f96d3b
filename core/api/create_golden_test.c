/* The create path's output, byte for byte: a set of representative creates
 * (pods with containers/env/ports/resources, a generateName pod, a
 * deployment, services with ClusterIP/NodePort allocation, a wide
 * ConfigMap, a Secret, a namespace, an Event, create-on-PUT, server-side
 * apply, dry-run, Table, YAML, errors) through skiff_api_server_handle over
 * the memory store. For each: the response code and body, and the stored
 * bytes. Values that differ run to run (uids, timestamps, generated name
 * suffixes) are replaced by placeholders; everything else must equal
 * core/api/testdata/create_golden.txt, which was written by the create path
 * before its allocation cuts (docs/performance.md, ## API server). The
 * create path may get faster; its output must not move.
 * SKIFF_GOLDEN_WRITE=1 rewrites the file (only for a deliberate change). */
#include <ctype.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api/buf.h"
#include "api/test_server.h"

typedef struct {
    const char *method, *path, *query, *ctype, *ua, *accept, *body;
    const char *stored; /* store key to dump after the request, or NULL */
} golden_req_t;

#define NS "/api/v1/namespaces/gold"

static const golden_req_t reqs[] = {
    { "POST", "/api/v1/namespaces", NULL, NULL, NULL, NULL, "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"gold\",\"labels\":{\"team\":\"a\"}}}",
      "/registry/namespaces/gold" },
    /* the bench pod */
    { "POST", NS "/pods", NULL, NULL, NULL, NULL,
      "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"b-0-0\",\"labels\":{\"app\":\"bench\"}},"
      "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1.36\"}]}}",
      "/registry/pods/gold/b-0-0" },
    /* the scheduler bench's pod */
    { "POST", NS "/pods", NULL, NULL, NULL, NULL,
      "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p1\",\"namespace\":\"gold\",\"labels\":{\"app\":\"a1\",\"grp\":\"g\"}},"
      "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\",\"resources\":{\"requests\":{\"cpu\":\"100m\",\"memory\":\"64Mi\"}}}],"
      "\"affinity\":{\"podAntiAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":[{\"labelSelector\":{\"matchLabels\":{\"app\":\"a1\"}},"
      "\"topologyKey\":\"kubernetes.io/hostname\"}]}},"
      "\"topologySpreadConstraints\":[{\"maxSkew\":1,\"topologyKey\":\"zone\",\"whenUnsatisfiable\":\"DoNotSchedule\",\"labelSelector\":{\"matchLabels\":{\"grp\":\"g\"}}}]}}",
      "/registry/pods/gold/p1" },
    /* a busy pod: env, ports, quantities to normalise, init containers,
     * volumes, tolerations, escapes and non-ASCII text, numbers */
    { "POST", NS "/pods", "fieldManager=golden", NULL, NULL, NULL,
      "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"busy\",\"labels\":{\"app\":\"web\",\"tier\":\"front\"},"
      "\"annotations\":{\"note\":\"quote \\\" back \\\\ nl \\n tab \\t ctl \\u0001 del \\u007f \\u00e9t\\u00e9 \\ud83d\\ude00 / <>&\","
      "\"empty\":\"\"},\"finalizers\":[\"example.com/f\"]},"
      "\"spec\":{\"terminationGracePeriodSeconds\":45,\"activeDeadlineSeconds\":3600,\"priority\":0,"
      "\"nodeSelector\":{\"disk\":\"ssd\"},\"hostname\":\"h\",\"subdomain\":\"s\","
      "\"initContainers\":[{\"name\":\"init\",\"image\":\"busybox\",\"command\":[\"sh\",\"-c\",\"true\"]}],"
      "\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.25\",\"args\":[\"-g\",\"daemon off;\"],"
      "\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"metadata.name\"}}}],"
      "\"ports\":[{\"containerPort\":80,\"name\":\"http\"},{\"containerPort\":53,\"protocol\":\"UDP\"}],"
      "\"resources\":{\"requests\":{\"cpu\":\"0.5\",\"memory\":\"1024Mi\"},\"limits\":{\"cpu\":1,\"memory\":\"2Gi\"}},"
      "\"volumeMounts\":[{\"name\":\"data\",\"mountPath\":\"/data\",\"readOnly\":true}],"
      "\"readinessProbe\":{\"httpGet\":{\"path\":\"/\",\"port\":80},\"periodSeconds\":5}},"
      "{\"name\":\"side\",\"image\":\"registry.local:5000/side\",\"stdin\":false,\"tty\":null}],"
      "\"volumes\":[{\"name\":\"data\",\"emptyDir\":{}}],"
      "\"tolerations\":[{\"key\":\"k\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\",\"tolerationSeconds\":300}]}}",
      "/registry/pods/gold/busy" },
    /* generateName, a User-Agent naming the manager */
    { "POST", NS "/pods", NULL, NULL, "kubectl/v1.32.0 (linux/amd64) kubernetes/abc", NULL,
      "{\"metadata\":{\"generateName\":\"gen-\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox:latest\"}]}}",
      NULL },
    /* YAML body */
    { "POST", NS "/pods", NULL, "application/yaml", NULL, NULL,
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: yml\nspec:\n  containers:\n  - name: c\n    image: busybox\n    ports:\n    - containerPort: 8080\n",
      "/registry/pods/gold/yml" },
    { "POST", "/apis/apps/v1/namespaces/gold/deployments", NULL, NULL, NULL, NULL,
      "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"labels\":{\"app\":\"web\"}},"
      "\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
      "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx\","
      "\"ports\":[{\"containerPort\":80}]}]}}}}",
      "/registry/deployments/gold/web" },
    { "POST", NS "/services", NULL, NULL, NULL, NULL,
      "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"web\"},"
      "\"spec\":{\"selector\":{\"app\":\"web\"},\"ports\":[{\"port\":80,\"targetPort\":8080,\"name\":\"http\"},{\"port\":443,\"name\":\"https\"}]}}",
      "/registry/services/gold/web" },
    { "POST", NS "/services", NULL, NULL, NULL, NULL,
      "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"np\"},"
      "\"spec\":{\"type\":\"NodePort\",\"selector\":{\"app\":\"web\"},\"ports\":[{\"port\":80}]}}",
      "/registry/services/gold/np" },
    { "POST", NS "/services", NULL, NULL, NULL, NULL,
      "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"headless\"},"
      "\"spec\":{\"clusterIP\":\"None\",\"selector\":{\"app\":\"web\"},\"ports\":[{\"port\":80}]}}",
      "/registry/services/gold/headless" },
    /* an IP someone holds */
    { "POST", NS "/services", NULL, NULL, NULL, NULL,
      "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"clash\"},"
      "\"spec\":{\"clusterIP\":\"10.0.0.1\",\"ports\":[{\"port\":80}]}}",
      NULL },
    { "POST", NS "/configmaps", NULL, NULL, NULL, NULL, NULL /* wide: built below */, "/registry/configmaps/gold/wide" },
    { "POST", NS "/secrets", NULL, NULL, NULL, NULL,
      "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\"},\"type\":\"Opaque\",\"data\":{\"k\":\"dmFsdWU=\"},\"stringData\":{\"p\":\"plain\"}}",
      "/registry/secrets/gold/s" },
    /* the scheduler's Scheduled event */
    { "POST", NS "/events", NULL, NULL, NULL, NULL,
      "{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"metadata\":{\"name\":\"p1.1\",\"namespace\":\"gold\"},"
      "\"involvedObject\":{\"kind\":\"Pod\",\"namespace\":\"gold\",\"name\":\"p1\",\"uid\":\"u\",\"apiVersion\":\"v1\"},"
      "\"reason\":\"Scheduled\",\"message\":\"Successfully assigned gold/p1 to n1\",\"source\":{\"component\":\"default-scheduler\"},"
      "\"firstTimestamp\":\"2026-01-01T00:00:00Z\",\"lastTimestamp\":\"2026-01-01T00:00:00Z\",\"count\":1,\"type\":\"Normal\"}",
      "/registry/events/gold/p1.1" },
    /* create on PUT */
    { "PUT", NS "/configmaps/put", NULL, NULL, NULL, NULL,
      "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"put\"},\"data\":{\"a\":\"1\"}}",
      "/registry/configmaps/gold/put" },
    /* server-side apply creating the object */
    { "PATCH", NS "/configmaps/applied", "fieldManager=applier", "application/apply-patch+yaml", NULL, NULL,
      "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"applied\",\"labels\":{\"x\":\"y\"}},\"data\":{\"b\":\"2\",\"a\":\"1\"}}",
      "/registry/configmaps/gold/applied" },
    { "POST", NS "/configmaps", "dryRun=All", NULL, NULL, NULL,
      "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"dry\"},\"data\":{\"a\":\"1\"}}",
      "/registry/configmaps/gold/dry" },
    { "POST", NS "/configmaps", NULL, NULL, NULL, "application/json;as=Table;v=v1;g=meta.k8s.io",
      "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"tbl\"},\"data\":{\"a\":\"1\"}}",
      "/registry/configmaps/gold/tbl" },
    { "POST", "/api/v1/nodes", NULL, NULL, NULL, NULL,
      "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\",\"labels\":{\"zone\":\"z1\"}},"
      "\"status\":{\"capacity\":{\"cpu\":\"4\",\"memory\":\"8Gi\",\"pods\":\"110\"},\"allocatable\":{\"cpu\":\"4\",\"memory\":\"8Gi\",\"pods\":\"110\"}}}",
      "/registry/nodes/n1" },
    /* errors */
    { "POST", NS "/pods", NULL, NULL, NULL, NULL,
      "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"b-0-0\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}",
      NULL },
    { "POST", NS "/pods", NULL, NULL, NULL, NULL, "{\"metadata\":{\"name\":\"bad\"},\"spec\":{\"containers\":[]}}", NULL },
    { "POST", NS "/pods", NULL, NULL, NULL, NULL, "{\"kind\":\"Service\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"k\"}}", NULL },
    { "POST", NS "/pods", NULL, NULL, NULL, NULL, "{\"metadata\":{\"name\":\"d\",\"name\":\"e\"}}", NULL },
    { "POST", NS "/pods", NULL, NULL, NULL, NULL, "{\"metadata\":{}}", NULL },
    { "POST", "/api/v1/namespaces/other/pods", NULL, NULL, NULL, NULL,
      "{\"metadata\":{\"name\":\"x\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}", NULL },
    { "POST", NS "/pods", NULL, NULL, NULL, NULL,
      "{\"metadata\":{\"name\":\"wrongns\",\"namespace\":\"elsewhere\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}", NULL },
    /* quantities: numbers, canonical and not, and every kind of bad one */
    { "POST", NS "/pods", NULL, NULL, NULL, NULL,
      "{\"metadata\":{\"name\":\"qty\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\","
      "\"resources\":{\"requests\":{\"cpu\":0.1,\"memory\":\"1048576Ki\",\"nvidia.com/gpu\":2},\"limits\":{\"cpu\":\"2000m\",\"memory\":1e9}}}]}}",
      "/registry/pods/gold/qty" },
    { "POST", NS "/pods", NULL, NULL, NULL, NULL,
      "{\"metadata\":{\"name\":\"badqty\"},\"spec\":{\"restartPolicy\":\"Sometimes\",\"containers\":[{\"name\":\"c\",\"image\":\"x\","
      "\"resources\":{\"requests\":{\"cpu\":\"abc\",\"memory\":\"-1\",\"x\":{},"
      "\"a-very-long-resource-name-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":\"1x\"}}},"
      "{\"image\":\"\"},7],\"initContainers\":[{\"name\":\"i\"}]}}",
      NULL },
    { "POST", "/apis/apps/v1/namespaces/gold/deployments", NULL, NULL, NULL, NULL,
      "{\"metadata\":{\"name\":\"badtpl\"},\"spec\":{\"selector\":{\"matchLabels\":{\"a\":\"b\"}},"
      "\"template\":{\"metadata\":{\"labels\":{\"a\":\"b\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\",\"resources\":{\"limits\":{\"cpu\":\"-2\"}}}]}}}}",
      NULL },
    { "POST", NS "/pods", NULL, NULL, NULL, NULL,
      "{\"metadata\":{\"name\":\"noctr\"},\"spec\":{}}", NULL },
    { "POST", NS "/pods", NULL, NULL, NULL, NULL,
      "{\"metadata\":{\"name\":\"wrongtype\"},\"spec\":{\"dnsPolicy\":5,\"terminationGracePeriodSeconds\":\"30\",\"containers\":[{\"name\":\"c\",\"image\":\"x\",\"resources\":7}]}}",
      NULL },
    /* decoded by the full path: \u escapes, a 16-digit integer, a duplicate, defaults over nulls and empties */
    { "POST", NS "/pods", NULL, NULL, NULL, NULL,
      "{\"metadata\":{\"name\":\"esc\",\"annotations\":{\"html\":\"\\u003cb\\u003e \\u0026 \\u00e9\",\"big\":\"x\"}},"
      "\"spec\":{\"activeDeadlineSeconds\":1234567890123456,\"restartPolicy\":\"\",\"dnsPolicy\":null,\"securityContext\":7,"
      "\"containers\":[{\"name\":\"c\",\"image\":\"x@sha256:abc\",\"resources\":null,\"ports\":[{\"containerPort\":1,\"protocol\":\"\"},5]}]}}",
      "/registry/pods/gold/esc" },
    { "POST", NS "/configmaps", NULL, "application/yaml", NULL, NULL,
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yaml-dup\ndata:\n  a: \"1\"\n  a: \"2\"\n", NULL },
};

/* Placeholders for what changes run to run. */
static void normalise(const char *in, size_t n, skiff_api_buf_t *out)
{
    for (size_t i = 0; i < n;) {
        const char *p = in + i;
        /* a uid: 8-4-4-4-12 lower-case hex */
        if (n - i >= 36) {
            int uid = 1;
            for (int k = 0; k < 36 && uid; k++) {
                char c = p[k];
                uid = (k == 8 || k == 13 || k == 18 || k == 23) ? c == '-' : (isdigit((unsigned char)c) || (c >= 'a' && c <= 'f'));
            }
            if (uid) { skiff_api_buf_puts(out, "<uid>"); i += 36; continue; }
        }
        /* a timestamp of this run: 20YY-MM-DDTHH:MM:SSZ, but not the fixed 2026-01-01 ones */
        if (n - i >= 20 && p[0] == '2' && p[1] == '0' && p[4] == '-' && p[7] == '-' && p[10] == 'T' && p[19] == 'Z'
            && memcmp(p, "2026-01-01T00:00:00Z", 20) != 0) {
            skiff_api_buf_puts(out, "<time>");
            i += 20;
            continue;
        }
        if (n - i >= 11 && memcmp(p, "\"gen-", 5) == 0 && isalnum((unsigned char)p[5]) && isalnum((unsigned char)p[9])
            && p[10] == '"') {
            skiff_api_buf_puts(out, "\"gen-<sfx>\"");
            i += 11;
            continue;
        }
        skiff_api_buf_putc(out, *p);
        i++;
    }
}

typedef struct { skiff_api_buf_t *b; } dump_t;

static int dump_kv(void *ud, const skiff_store_kv_t *kv)
{
    dump_t *d = ud;
    skiff_api_buf_printf(d->b, "stored %.*s (version %lld):\n", (int)kv->key_len, kv->key, (long long)kv->version);
    normalise(kv->value, kv->value_len, d->b);
    skiff_api_buf_putc(d->b, '\n');
    return 0;
}

static void run_all(test_server_t *f, skiff_api_buf_t *out)
{
    /* a ConfigMap over the sorted-index (32) and qsort (24) thresholds */
    skiff_api_buf_t wide;
    skiff_api_buf_init(&wide);
    skiff_api_buf_puts(&wide, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"wide\"},\"data\":{");
    for (int i = 40; i > 0; i--) skiff_api_buf_printf(&wide, "%s\"key%02d\":\"value %d\"", i == 40 ? "" : ",", i, i * 7);
    skiff_api_buf_puts(&wide, "},\"binaryData\":{\"bin\":\"AAEC\"}}");
    for (size_t r = 0; r < sizeof reqs / sizeof reqs[0]; r++) {
        const golden_req_t *g = &reqs[r];
        skiff_api_param_t params[4];
        size_t np = 0;
        char q[256];
        snprintf(q, sizeof q, "%s", g->query ? g->query : "");
        for (char *sv = NULL, *kv = strtok_r(q, "&", &sv); kv && np < 4; kv = strtok_r(NULL, "&", &sv)) {
            char *eq = strchr(kv, '=');
            if (eq) *eq++ = '\0';
            params[np].key = kv;
            params[np++].value = eq ? eq : "";
        }
        const char *body = g->body ? g->body : wide.data;
        skiff_api_request_t rq = { .method = g->method, .path = g->path, .params = params, .nparams = np,
                                   .content_type = g->ctype ? g->ctype : "application/json",
                                   .accept = g->accept ? g->accept : "application/json",
                                   .body = body, .body_len = strlen(body), .user_agent = g->ua };
        skiff_api_response_t rs;
        memset(&rs, 0, sizeof rs);
        skiff_api_server_handle(f->srv, &rq, &rs);
        skiff_api_buf_printf(out, "== %s %s%s%s -> %d\n", g->method, g->path, np ? "?" : "", g->query ? g->query : "", rs.code);
        normalise(rs.body ? rs.body : "", rs.body_len, out);
        skiff_api_buf_putc(out, '\n');
        skiff_api_response_free(&rs);
        if (g->stored) {
            const skiff_store_ops_t *ops = skiff_instance_ops(f->store);
            dump_t d = { out };
            skiff_error_t err;
            int rc = ops->get(skiff_instance_self(f->store), g->stored, strlen(g->stored), 0, dump_kv, &d, &err);
            if (rc < 0) skiff_api_buf_printf(out, "stored %s: %s\n", g->stored, err.msg);
        }
    }
    skiff_api_buf_free(&wide);
}

static void golden_creates(void **state)
{
    (void)state;
    skiff_api_config_t cfg = { .service_cidr = "10.0.0.0/29" };
    test_server_t *f = test_server_up(&cfg);
    skiff_api_buf_t out;
    skiff_api_buf_init(&out);
    run_all(f, &out);
    assert_false(out.oom);
    const char *root = getenv("SKIFF_ROOT");
    char path[1024];
    snprintf(path, sizeof path, "%s/core/api/testdata/create_golden.txt", root ? root : ".");
    if (getenv("SKIFF_GOLDEN_WRITE")) {
        FILE *w = fopen(path, "wb");
        assert_non_null(w);
        fwrite(out.data, 1, out.len, w);
        fclose(w);
    }
    FILE *fp = fopen(path, "rb");
    if (!fp) fail_msg("cannot open %s (run from the repo root or set SKIFF_ROOT)", path);
    static char want[1 << 20];
    size_t n = fread(want, 1, sizeof want - 1, fp);
    fclose(fp);
    want[n] = '\0';
    if (n != out.len || memcmp(want, out.data, n) != 0) {
        size_t i = 0;
        while (i < n && i < out.len && want[i] == out.data[i]) i++;
        size_t from = i > 300 ? i - 300 : 0;
        fail_msg("create output differs from %s at byte %zu:\nwant: ...%.600s\ngot:  ...%.600s", path, i, want + from,
                 out.data + from);
    }
    skiff_api_buf_free(&out);
    test_server_down(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(golden_creates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
