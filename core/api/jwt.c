/* core/api/jwt — RS256 JSON Web Tokens over GnuTLS (see jwt.h). */
#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/jwt.h"

struct apisrv_jwt_key {
    gnutls_privkey_t priv;
    gnutls_pubkey_t pub;
    char kid[64];
};

#define MAX_TOKEN (64 * 1024)

/* base64url without padding (RFC 7515 §2) from GnuTLS' base64. */
static char *b64url(const void *data, size_t len)
{
    gnutls_datum_t in = { (unsigned char *)data, (unsigned)len }, out = { 0 };
    if (gnutls_base64_encode2(&in, &out) < 0) return NULL;
    char *s = malloc(out.size + 1);
    size_t n = 0;
    for (unsigned i = 0; s && i < out.size; i++) {
        char ch = (char)out.data[i];
        if (ch == '=' || ch == '\n' || ch == '\r') continue;
        s[n++] = ch == '+' ? '-' : ch == '/' ? '_' : ch;
    }
    if (s) s[n] = '\0';
    gnutls_free(out.data);
    return s;
}

/* The inverse; 0 with out (gnutls_free) or -1 for anything but base64url. */
static int unb64url(const char *s, size_t len, gnutls_datum_t *out)
{
    if (len > MAX_TOKEN || len % 4 == 1) return -1;
    char *t = malloc(len + 4);
    if (!t) return -1;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (ch == '-') ch = '+';
        else if (ch == '_') ch = '/';
        else if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))) { free(t); return -1; }
        t[n++] = ch;
    }
    while (n % 4) t[n++] = '=';
    gnutls_datum_t in = { (unsigned char *)t, (unsigned)n };
    int rc = n ? gnutls_base64_decode2(&in, out) : -1;
    free(t);
    return rc < 0 ? -1 : 0;
}

static int gerr(skiff_error_t *err, const char *what, int g)
{
    return skiff_error_set(err, SKIFF_E_INTERNAL, "signing key: %s: %s", what, gnutls_strerror(g));
}

/* Wrap an x509 private key (taken) as a signing key with its key id:
 * base64url(sha256(SubjectPublicKeyInfo DER)), kube's keyIDFromPublicKey. */
static int wrap(gnutls_x509_privkey_t xk, apisrv_jwt_key_t **out, skiff_error_t *err)
{
    apisrv_jwt_key_t *k = calloc(1, sizeof *k);
    if (!k) { gnutls_x509_privkey_deinit(xk); return skiff_error_set(err, -ENOMEM, "out of memory"); }
    int g;
    gnutls_datum_t der = { 0 };
    if ((g = gnutls_privkey_init(&k->priv)) < 0) { gnutls_x509_privkey_deinit(xk); goto fail; }
    if ((g = gnutls_privkey_import_x509(k->priv, xk, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE)) < 0) {
        gnutls_x509_privkey_deinit(xk);
        goto fail;
    }
    if ((g = gnutls_pubkey_init(&k->pub)) < 0) goto fail;
    if ((g = gnutls_pubkey_import_privkey(k->pub, k->priv, 0, 0)) < 0) goto fail;
    if ((g = gnutls_pubkey_export2(k->pub, GNUTLS_X509_FMT_DER, &der)) < 0) goto fail;
    unsigned char h[32];
    g = gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, h);
    gnutls_free(der.data);
    if (g < 0) goto fail;
    char *id = b64url(h, sizeof h);
    if (!id) { apisrv_jwt_key_free(k); return skiff_error_set(err, -ENOMEM, "out of memory"); }
    snprintf(k->kid, sizeof k->kid, "%s", id);
    free(id);
    *out = k;
    return 0;
fail:
    apisrv_jwt_key_free(k);
    return gerr(err, "import", g);
}

int apisrv_jwt_key_generate(apisrv_jwt_key_t **out, char **pem, skiff_error_t *err)
{
    *out = NULL;
    if (pem) *pem = NULL;
    gnutls_x509_privkey_t xk;
    int g = gnutls_x509_privkey_init(&xk);
    if (g < 0) return gerr(err, "init", g);
    if ((g = gnutls_x509_privkey_generate(xk, GNUTLS_PK_RSA, 2048, 0)) < 0) {
        gnutls_x509_privkey_deinit(xk);
        return gerr(err, "generation", g);
    }
    if (pem) {
        gnutls_datum_t d = { 0 };
        if ((g = gnutls_x509_privkey_export2(xk, GNUTLS_X509_FMT_PEM, &d)) < 0) {
            gnutls_x509_privkey_deinit(xk);
            return gerr(err, "export", g);
        }
        *pem = strndup((const char *)d.data, d.size);
        gnutls_free(d.data);
        if (!*pem) { gnutls_x509_privkey_deinit(xk); return skiff_error_set(err, -ENOMEM, "out of memory"); }
    }
    int rc = wrap(xk, out, err);
    if (rc < 0 && pem) { free(*pem); *pem = NULL; }
    return rc;
}

int apisrv_jwt_key_load(const char *pem, const char *what, apisrv_jwt_key_t **out, skiff_error_t *err)
{
    *out = NULL;
    gnutls_x509_privkey_t xk;
    int g = gnutls_x509_privkey_init(&xk);
    if (g < 0) return gerr(err, "init", g);
    gnutls_datum_t d = { (unsigned char *)pem, (unsigned)strlen(pem) };
    if ((g = gnutls_x509_privkey_import2(xk, &d, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
        gnutls_x509_privkey_deinit(xk);
        return skiff_error_set(err, SKIFF_E_INVALID, "%s: not a PEM private key (%s)", what, gnutls_strerror(g));
    }
    if (gnutls_x509_privkey_get_pk_algorithm(xk) != GNUTLS_PK_RSA) {
        gnutls_x509_privkey_deinit(xk);
        return skiff_error_set(err, SKIFF_E_INVALID, "%s: only RSA keys sign service-account tokens (RS256)", what);
    }
    return wrap(xk, out, err);
}

void apisrv_jwt_key_free(apisrv_jwt_key_t *k)
{
    if (!k) return;
    if (k->pub) gnutls_pubkey_deinit(k->pub);
    if (k->priv) gnutls_privkey_deinit(k->priv);
    free(k);
}

const char *apisrv_jwt_key_id(const apisrv_jwt_key_t *k) { return k->kid; }

/* an unsigned big-endian integer without its leading zero bytes, base64url */
static char *b64url_uint(const gnutls_datum_t *d)
{
    unsigned i = 0;
    while (i + 1 < d->size && d->data[i] == 0) i++;
    return b64url(d->data + i, d->size - i);
}

cJSON *apisrv_jwt_key_jwk(const apisrv_jwt_key_t *k)
{
    gnutls_datum_t m = { 0 }, e = { 0 };
    if (gnutls_pubkey_export_rsa_raw2(k->pub, &m, &e, 0) < 0) return NULL;
    char *n64 = b64url_uint(&m), *e64 = b64url_uint(&e);
    gnutls_free(m.data);
    gnutls_free(e.data);
    cJSON *j = n64 && e64 ? cJSON_CreateObject() : NULL;
    if (j) {
        cJSON_AddStringToObject(j, "use", "sig");
        cJSON_AddStringToObject(j, "kty", "RSA");
        cJSON_AddStringToObject(j, "kid", k->kid);
        cJSON_AddStringToObject(j, "alg", "RS256");
        cJSON_AddStringToObject(j, "n", n64);
        cJSON_AddStringToObject(j, "e", e64);
    }
    free(n64);
    free(e64);
    return j;
}

char *apisrv_jwt_sign(const apisrv_jwt_key_t *k, const cJSON *claims, skiff_error_t *err)
{
    char hdr[128];
    snprintf(hdr, sizeof hdr, "{\"alg\":\"RS256\",\"kid\":\"%s\"}", k->kid);
    char *payload = cJSON_PrintUnformatted(claims);
    char *h64 = b64url(hdr, strlen(hdr)), *p64 = payload ? b64url(payload, strlen(payload)) : NULL;
    free(payload);
    char *input = NULL, *s64 = NULL, *tok = NULL;
    if (!h64 || !p64 || asprintf(&input, "%s.%s", h64, p64) < 0) {
        input = NULL;
        skiff_error_set(err, -ENOMEM, "out of memory");
        goto out;
    }
    gnutls_datum_t data = { (unsigned char *)input, (unsigned)strlen(input) }, sig = { 0 };
    int g = gnutls_privkey_sign_data(k->priv, GNUTLS_DIG_SHA256, 0, &data, &sig);
    if (g < 0) { gerr(err, "sign", g); goto out; }
    s64 = b64url(sig.data, sig.size);
    gnutls_free(sig.data);
    if (!s64 || asprintf(&tok, "%s.%s", input, s64) < 0) {
        tok = NULL;
        skiff_error_set(err, -ENOMEM, "out of memory");
    }
out:
    free(h64);
    free(p64);
    free(input);
    free(s64);
    return tok;
}

static cJSON *json_part(const char *s, size_t len)
{
    gnutls_datum_t d = { 0 };
    if (unb64url(s, len, &d) < 0) return NULL;
    cJSON *o = cJSON_ParseWithLength((const char *)d.data, d.size);
    gnutls_free(d.data);
    if (o && !cJSON_IsObject(o)) { cJSON_Delete(o); o = NULL; }
    return o;
}

int apisrv_jwt_verify(const apisrv_jwt_key_t *k, const char *token, size_t len, cJSON **claims, skiff_error_t *err)
{
    *claims = NULL;
    if (len > MAX_TOKEN) return skiff_error_set(err, SKIFF_E_INVALID, "token too long"), -1;
    const char *d1 = memchr(token, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
    if (!d1 || !d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)))
        return skiff_error_set(err, SKIFF_E_INVALID, "not a JWT (three dot-separated parts)"), -1;
    cJSON *h = json_part(token, (size_t)(d1 - token));
    if (!h) return skiff_error_set(err, SKIFF_E_INVALID, "malformed JWT header"), -1;
    const cJSON *alg = cJSON_GetObjectItemCaseSensitive(h, "alg"), *kid = cJSON_GetObjectItemCaseSensitive(h, "kid");
    int ok = cJSON_IsString(alg) && strcmp(alg->valuestring, "RS256") == 0;
    int kid_ok = !kid || (cJSON_IsString(kid) && strcmp(kid->valuestring, k->kid) == 0);
    cJSON_Delete(h);
    if (!ok) return skiff_error_set(err, SKIFF_E_INVALID, "unsupported JWT algorithm (RS256 only)"), -1;
    if (!kid_ok) return skiff_error_set(err, SKIFF_E_INVALID, "JWT signed by another key (kid)"), -1;
    gnutls_datum_t sig = { 0 };
    if (unb64url(d2 + 1, len - (size_t)(d2 + 1 - token), &sig) < 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "malformed JWT signature"), -1;
    gnutls_datum_t data = { (unsigned char *)token, (unsigned)(d2 - token) };
    int g = gnutls_pubkey_verify_data2(k->pub, GNUTLS_SIGN_RSA_SHA256, 0, &data, &sig);
    gnutls_free(sig.data);
    if (g < 0) return skiff_error_set(err, SKIFF_E_INVALID, "invalid JWT signature"), -1;
    *claims = json_part(d1 + 1, (size_t)(d2 - d1 - 1));
    if (!*claims) return skiff_error_set(err, SKIFF_E_INVALID, "malformed JWT claims"), -1;
    return 0;
}
