/* core/api/client_kubeconfig — an HTTP client from a kubeconfig (see
 * client.h), so out-of-process components authenticate the way
 * kube-controller-manager does with --kubeconfig. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/client_int.h"
#include "api/tls.h"
#include "manifest/manifest.h"

static const cJSON *named(const cJSON *list, const char *name, const char *inner)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, list) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(it, "name");
        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0) return cJSON_GetObjectItemCaseSensitive(it, inner);
    }
    return NULL;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

/* base64 → PEM text (certificate-authority-data); NULL on bad input */
static char *unb64(const char *in)
{
    size_t n = strlen(in);
    char *o = malloc(n / 4 * 3 + 4), *w = o;
    if (!o) return NULL;
    unsigned v = 0;
    int bits = 0;
    for (const char *p = in; *p; p++) {
        int d;
        if (*p >= 'A' && *p <= 'Z') d = *p - 'A';
        else if (*p >= 'a' && *p <= 'z') d = *p - 'a' + 26;
        else if (*p >= '0' && *p <= '9') d = *p - '0' + 52;
        else if (*p == '+') d = 62;
        else if (*p == '/') d = 63;
        else if (*p == '=' || *p == '\n' || *p == '\r' || *p == ' ') continue;
        else { free(o); return NULL; }
        v = v << 6 | (unsigned)d;
        bits += 6;
        if (bits >= 8) { bits -= 8; *w++ = (char)((v >> bits) & 0xff); }
    }
    *w = '\0';
    return o;
}

int skiff_api_client_from_kubeconfig(const char *path, skiff_api_client_t **out, skiff_error_t *err)
{
    *out = NULL;
    char *text = NULL;
    int rc = skiff_api_read_file(path, &text, err);
    if (rc < 0) return skiff_error_set(err, rc, "kubeconfig %s", err->msg);
    cJSON *doc = NULL;
    rc = skiff_manifest_decode_yaml_one(text, strlen(text), NULL, &doc, err);
    free(text);
    if (rc < 0) return skiff_error_set(err, rc, "kubeconfig %s: %s", path, err->msg);
    const char *ctxname = str(doc, "current-context");
    const cJSON *ctx = ctxname ? named(cJSON_GetObjectItemCaseSensitive(doc, "contexts"), ctxname, "context") : NULL;
    const char *cname = str(ctx, "cluster"), *uname = str(ctx, "user");
    const cJSON *cluster = cname ? named(cJSON_GetObjectItemCaseSensitive(doc, "clusters"), cname, "cluster") : NULL;
    const cJSON *user = uname ? named(cJSON_GetObjectItemCaseSensitive(doc, "users"), uname, "user") : NULL;
    const char *server = str(cluster, "server");
    if (!server) {
        cJSON_Delete(doc);
        return skiff_error_set(err, SKIFF_E_INVALID, "kubeconfig %s: no server for current-context \"%s\"", path, ctxname ? ctxname : "");
    }
    skiff_api_client_t *c = NULL;
    rc = skiff_api_client_http(server, &c, err);
    char *tok = NULL;
    const char *token = str(user, "token"), *token_file = str(user, "tokenFile");
    if (rc == 0 && !token && token_file) {
        rc = skiff_api_read_file(token_file, &tok, err);
        if (rc == 0) { tok[strcspn(tok, "\r\n")] = '\0'; token = tok; }
        else rc = skiff_error_set(err, rc, "kubeconfig %s: tokenFile %s", path, err->msg);
    }
    const cJSON *ins = cJSON_GetObjectItemCaseSensitive(cluster, "insecure-skip-tls-verify");
    if (rc == 0) rc = skiff_api_client_set_auth(c, token, str(cluster, "certificate-authority"), cJSON_IsTrue(ins), err);
    const char *cad = str(cluster, "certificate-authority-data");
    if (rc == 0 && cad && !(c->ca_pem = unb64(cad)))
        rc = skiff_error_set(err, SKIFF_E_INVALID, "kubeconfig %s: certificate-authority-data is not base64", path);
    free(tok);
    cJSON_Delete(doc);
    if (rc < 0) { skiff_api_client_free(c); return rc; }
    *out = c;
    return 0;
}
