/* core/api/client_http — the HTTP transport of skiff_api_client_t (libcurl;
 * one easy handle per call, so a client is safe to share between threads). */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/buf.h"
#include "api/client_int.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
    skiff_api_buf_add(ud, p, size * n);
    return ((skiff_api_buf_t *)ud)->oom ? 0 : size * n;
}

static CURL *easy(skiff_api_client_t *c, const char *path, const char *query)
{
    CURL *h = curl_easy_init();
    if (!h) return NULL;
    char url[4096];
    snprintf(url, sizeof url, "%s%s%s%s", c->base, path, query && *query ? "?" : "", query && *query ? query : "");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "skiff/0.1");
    if (c->ca_pem) {
        struct curl_blob blob = { c->ca_pem, strlen(c->ca_pem), CURL_BLOB_COPY };
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
    } else if (c->ca_file) {
        curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
    }
    if (c->insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    return h;
}

/* the common headers: JSON answers and the bearer token (auth.h) */
static struct curl_slist *base_headers(const skiff_api_client_t *c)
{
    struct curl_slist *hdr = curl_slist_append(NULL, "Accept: application/json");
    if (hdr && c->auth_header) hdr = curl_slist_append(hdr, c->auth_header);
    return hdr;
}

static int http_call(skiff_api_client_t *c, const char *method, const char *path,
                     const char *query, const char *content_type, const char *body,
                     size_t body_len, skiff_api_result_t *res, skiff_error_t *err)
{
    CURL *h = easy(c, path, query);
    if (!h) return skiff_error_set(err, -ENOMEM, "curl: cannot create a handle");
    skiff_api_buf_t b;
    skiff_api_buf_init(&b);
    struct curl_slist *hdr = base_headers(c);
    char ct[160];
    if (content_type) {
        snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
        hdr = curl_slist_append(hdr, ct);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    CURLcode cc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    if (cc != CURLE_OK) {
        skiff_api_buf_free(&b);
        return skiff_error_set(err, SKIFF_E_CLOSED, "%s %s%s: %s", method, c->base, path, curl_easy_strerror(cc));
    }
    res->code = (int)code;
    res->body = skiff_api_buf_take(&b, &res->len);
    if (!res->body) return skiff_error_set(err, -ENOMEM, "out of memory");
    return 0;
}

static size_t stream_write(char *p, size_t size, size_t n, void *ud)
{
    skiff_api_client_watch_t *w = ud;
    if (STOPPED(w)) return 0;
    skiff_api_watch_feed(w, p, size * n);
    return size * n;
}

static int stream_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c2, curl_off_t d)
{
    (void)a; (void)b; (void)c2; (void)d;
    return STOPPED((skiff_api_client_watch_t *)ud) ? 1 : 0;
}

static int http_stream(skiff_api_client_t *c, const char *path, const char *query,
                       skiff_api_client_watch_t *w, skiff_error_t *err)
{
    CURL *h = easy(c, path, query);
    if (!h) return skiff_error_set(err, -ENOMEM, "curl: cannot create a handle");
    struct curl_slist *hdr = base_headers(c);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, stream_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, w);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, stream_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, w);
    CURLcode cc = curl_easy_perform(h);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    if (cc != CURLE_OK && !STOPPED(w))
        return skiff_error_set(err, SKIFF_E_CLOSED, "watch %s%s: %s", c->base, path, curl_easy_strerror(cc));
    return 0;
}

static void http_fini(skiff_api_client_t *c)
{
    free(c->auth_header);
    free(c->ca_file);
    free(c->ca_pem);
}

const skiff_api_transport_t skiff_api_transport_http = { http_call, http_stream, http_fini };

int skiff_api_client_set_auth(skiff_api_client_t *c, const char *token, const char *ca_file,
                              int insecure, skiff_error_t *err)
{
    if (!c || c->t != &skiff_api_transport_http)
        return skiff_error_set(err, SKIFF_E_INVALID, "credentials apply to HTTP clients only");
    for (const char *p = token; p && *p; p++)
        if ((unsigned char)*p < 0x20) return skiff_error_set(err, SKIFF_E_INVALID, "token: control characters are not allowed");
    char *hdr = NULL, *ca = NULL;
    if (token && *token && asprintf(&hdr, "Authorization: Bearer %s", token) < 0)
        return skiff_error_set(err, -ENOMEM, "out of memory");
    if (ca_file && !(ca = strdup(ca_file))) {
        free(hdr);
        return skiff_error_set(err, -ENOMEM, "out of memory");
    }
    free(c->auth_header);
    free(c->ca_file);
    c->auth_header = hdr;
    c->ca_file = ca;
    c->insecure = insecure;
    return 0;
}

int skiff_api_client_http(const char *base_url, skiff_api_client_t **out, skiff_error_t *err)
{
    *out = NULL;
    if (!base_url || strncmp(base_url, "http", 4) != 0 || strlen(base_url) >= 256)
        return skiff_error_set(err, SKIFF_E_INVALID, "API server URL \"%s\": expected http://HOST:PORT or https://HOST:PORT", base_url ? base_url : "");
    pthread_once(&curl_once, curl_init_once);
    skiff_api_client_t *c = calloc(1, sizeof *c);
    if (!c) return skiff_error_set(err, -ENOMEM, "out of memory");
    c->t = &skiff_api_transport_http;
    snprintf(c->base, sizeof c->base, "%s", base_url);
    size_t n = strlen(c->base);
    if (n && c->base[n - 1] == '/') c->base[n - 1] = '\0';
    *out = c;
    return 0;
}
