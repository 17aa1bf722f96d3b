/* make bench-apilib: throughput of the core/api object libraries on the
 * bodies kubectl sends. Prints the median of 5 runs per case (ops/s). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/apply.h"
#include "api/patch_json.h"
#include "api/patch_merge.h"
#include "api/patch_strategic.h"
#include "api/protobuf.h"
#include "api/selector.h"

static const char *DEPLOY =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\","
    "\"labels\":{\"app\":\"web\"},\"annotations\":{\"deployment.kubernetes.io/revision\":\"2\"}},\"spec\":{\"replicas\":2,"
    "\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{"
    "\"containers\":[{\"name\":\"nginx\",\"image\":\"nginx:1.25\",\"ports\":[{\"containerPort\":80}],\"env\":[{\"name\":\"A\","
    "\"value\":\"1\"},{\"name\":\"B\",\"value\":\"2\"}],\"resources\":{\"requests\":{\"cpu\":\"100m\"}}},{\"name\":\"side\","
    "\"image\":\"busybox\",\"args\":[\"sleep\",\"1d\"]}],\"volumes\":[{\"name\":\"v\",\"emptyDir\":{}}]}}}}";

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef int (*op_fn)(void *);

static void bench(const char *name, op_fn fn, void *arg, int iters)
{
    double r[5];
    for (int k = 0; k < 5; k++) {
        double t0 = now();
        for (int i = 0; i < iters; i++)
            if (fn(arg)) { fprintf(stderr, "%s failed\n", name); exit(1); }
        r[k] = iters / (now() - t0);
    }
    qsort(r, 5, sizeof r[0], cmpd);
    printf("%-44s %10.0f ops/s\n", name, r[2]);
}

static cJSON *deploy, *p_label, *p_smp, *p_json, *applied;
static unsigned char pb[4096];
static size_t pb_len;
static skiff_api_selector_t *sel;
static cJSON *labels;

static int op_merge(void *a) { cJSON *o; int rc = skiff_api_merge_patch(deploy, p_label, &o, NULL); cJSON_Delete(o); return rc; }
static int op_smp(void *a) { cJSON *o; int rc = skiff_api_strategic_patch(deploy, p_smp, "Deployment", &o, NULL); cJSON_Delete(o); return rc; }
static int op_json(void *a) { cJSON *o; int rc = skiff_api_json_patch(deploy, p_json, &o, NULL); cJSON_Delete(o); return rc; }
static int op_apply(void *a)
{
    skiff_api_apply_opts_t o = { .manager = "kubectl", .api_version = "apps/v1", .kind = "Deployment" };
    cJSON *out;
    int rc = skiff_api_apply((cJSON *)a, applied, &o, &out, NULL, NULL);
    cJSON_Delete(out);
    return rc;
}
static int op_pb(void *a) { cJSON *o; int rc = skiff_api_protobuf_decode(pb, pb_len, &o, NULL); cJSON_Delete(o); return rc; }
static int op_selparse(void *a)
{
    skiff_api_selector_t *s;
    int rc = skiff_api_label_selector_parse("app=web,tier in (fe,be),!canary", &s, NULL, NULL);
    skiff_api_selector_free(s);
    return rc;
}
static int op_selmatch(void *a) { return !skiff_api_selector_matches(sel, labels); }

int main(int argc, char **argv)
{
    deploy = cJSON_Parse(DEPLOY);
    p_label = cJSON_Parse("{\"metadata\":{\"labels\":{\"k\":\"v\"}}}");
    p_smp = cJSON_Parse("{\"metadata\":{\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":\"{}\\n\"}},"
                        "\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"nginx\"},{\"name\":\"side\"}],"
                        "\"containers\":[{\"image\":\"nginx:1.26\",\"name\":\"nginx\"}]}}}}");
    p_json = cJSON_Parse("[{\"op\":\"replace\",\"path\":\"/spec/template/spec/containers/0/image\",\"value\":\"nginx:1\"},"
                         "{\"op\":\"replace\",\"path\":\"/metadata/annotations\",\"value\":{\"deployment.kubernetes.io/revision\":\"3\"}}]");
    applied = cJSON_Duplicate(deploy, 1);
    skiff_api_apply_opts_t o = { .manager = "kubectl", .api_version = "apps/v1", .kind = "Deployment" };
    cJSON *live = NULL;
    skiff_api_apply(NULL, applied, &o, &live, NULL, NULL);
    const char *fixture = argc > 1 ? argv[1] : "core/api/testdata/create-deployment.pb";
    FILE *f = fopen(fixture, "rb");
    if (!f) { perror(fixture); return 1; }
    pb_len = fread(pb, 1, sizeof pb, f);
    fclose(f);
    skiff_api_label_selector_parse("app=web,tier in (fe,be),!canary", &sel, NULL, NULL);
    labels = cJSON_Parse("{\"app\":\"web\",\"tier\":\"be\",\"pod-template-hash\":\"abc\"}");

    bench("merge patch (kubectl label) on a Deployment", op_merge, NULL, 20000);
    bench("strategic merge patch (kubectl apply body)", op_smp, NULL, 20000);
    bench("json patch (kubectl rollout undo)", op_json, NULL, 20000);
    bench("server-side apply, re-apply unchanged", op_apply, live, 5000);
    bench("protobuf decode (kubectl create deployment)", op_pb, NULL, 50000);
    bench("label selector parse (3 requirements)", op_selparse, NULL, 100000);
    bench("label selector match", op_selmatch, NULL, 1000000);
    return 0;
}
