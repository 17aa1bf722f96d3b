/* bench_manifest — throughput of core/manifest on a realistic input: a
 * `kind: List` of N Deployment-like objects (one YAML document, so
 * sigs.k8s.io/yaml can be timed on the very same bytes), the same as JSON,
 * and encoding back to YAML. Prints the median of `runs` timings.
 * Usage: bench_manifest [items=2000] [runs=5] [out.yaml]  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "manifest/manifest.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

static const char ITEM[] =
    "- apiVersion: apps/v1\n"
    "  kind: Deployment\n"
    "  metadata:\n"
    "    name: web-%d\n"
    "    namespace: default\n"
    "    labels: {app: web, tier: frontend, release: \"%d\"}\n"
    "    annotations:\n"
    "      description: |\n"
    "        A web server, replica set %d.\n"
    "        Serves static content.\n"
    "  spec:\n"
    "    replicas: 3\n"
    "    selector:\n"
    "      matchLabels: {app: web}\n"
    "    template:\n"
    "      metadata:\n"
    "        labels: {app: web}\n"
    "      spec:\n"
    "        containers:\n"
    "        - name: nginx\n"
    "          image: nginx:1.25.%d\n"
    "          args: [\"-g\", \"daemon off;\"]\n"
    "          ports:\n"
    "          - {containerPort: 80, protocol: TCP}\n"
    "          env:\n"
    "          - {name: MODE, value: \"on\"}\n"
    "          - {name: UMASK, value: \"0022\"}\n"
    "          resources:\n"
    "            limits: {cpu: 500m, memory: 128Mi}\n"
    "            requests: {cpu: 0.25, memory: 64Mi}\n"
    "          readinessProbe:\n"
    "            httpGet: {path: /healthz, port: 80}\n"
    "            periodSeconds: 10\n";

int main(int argc, char **argv)
{
    int items = argc > 1 ? atoi(argv[1]) : 2000;
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    if (items < 1 || runs < 1 || runs > 100) return 2;
    size_t cap = (size_t)items * (sizeof ITEM + 64) + 64, len = 0;
    char *yaml = malloc(cap);
    if (!yaml) return 1;
    len += (size_t)snprintf(yaml + len, cap - len, "apiVersion: v1\nkind: List\nitems:\n");
    for (int i = 0; i < items; i++) len += (size_t)snprintf(yaml + len, cap - len, ITEM, i, i, i, i % 10);
    if (argc > 3) {
        FILE *f = fopen(argv[3], "w");
        if (!f || fwrite(yaml, 1, len, f) != len) return 1;
        fclose(f);
    }

    skiff_error_t err = {0};
    skiff_manifest_opts_t opts = {.max_bytes = len + 1};
    cJSON *doc = NULL;
    if (skiff_manifest_decode_yaml_one(yaml, len, &opts, &doc, &err)) {
        fprintf(stderr, "decode: %s\n", err.msg);
        return 1;
    }
    char *json = cJSON_PrintUnformatted(doc);
    size_t jlen = strlen(json);
    char *out = NULL;
    size_t olen = 0;
    if (skiff_manifest_encode_yaml(doc, &out, &olen, &err)) {
        fprintf(stderr, "encode: %s\n", err.msg);
        return 1;
    }
    free(out);

    double t_yaml[100], t_json[100], t_enc[100], t_cjson[100];
    for (int r = 0; r < runs; r++) {
        cJSON *d;
        double t0 = now();
        if (skiff_manifest_decode_yaml_one(yaml, len, &opts, &d, &err)) return 1;
        t_yaml[r] = now() - t0;
        cJSON_Delete(d);
        t0 = now();
        if (skiff_manifest_decode_json(json, jlen, &opts, &d, &err)) {
            fprintf(stderr, "json: %s\n", err.msg);
            return 1;
        }
        t_json[r] = now() - t0;
        cJSON_Delete(d);
        t0 = now();
        d = cJSON_ParseWithLength(json, jlen);
        t_cjson[r] = now() - t0;
        cJSON_Delete(d);
        t0 = now();
        if (skiff_manifest_encode_yaml(doc, &out, &olen, &err)) return 1;
        t_enc[r] = now() - t0;
        free(out);
    }
    double my = median(t_yaml, runs), mj = median(t_json, runs), mc = median(t_cjson, runs), me = median(t_enc, runs);
    printf("input: %d items, YAML %.2f MB, JSON %.2f MB; median of %d runs\n", items, len / 1e6, jlen / 1e6, runs);
    printf("decode YAML   %8.1f ms  %7.1f MB/s  %8.0f objects/s\n", my * 1e3, len / my / 1e6, items / my);
    printf("decode JSON   %8.1f ms  %7.1f MB/s  %8.0f objects/s  (bare cJSON_Parse: %.1f ms, checks +%.0f%%)\n",
           mj * 1e3, jlen / mj / 1e6, items / mj, mc * 1e3, (mj / mc - 1) * 100);
    printf("encode YAML   %8.1f ms  %7.1f MB/s  %8.0f objects/s\n", me * 1e3, olen / me / 1e6, items / me);
    free(json);
    free(yaml);
    cJSON_Delete(doc);
    return 0;
}
