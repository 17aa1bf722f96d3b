/* core/api/tls — a self-signed serving certificate with GnuTLS (the TLS
 * library libmicrohttpd already uses); see tls.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/tls.h"

static char *dup_datum(const gnutls_datum_t *d)
{
    char *s = malloc(d->size + 1);
    if (!s) return NULL;
    memcpy(s, d->data, d->size);
    s[d->size] = '\0';
    return s;
}

int skiff_api_tls_self_signed(const char *ip, char **cert_pem, char **key_pem, skiff_error_t *err)
{
    *cert_pem = *key_pem = NULL;
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t c = { 0 }, k = { 0 };
    int rc = 0, g;
    const char *step = "";
#define TRY(what, call) do { step = what; if ((g = (call)) < 0) goto fail; } while (0)
    TRY("privkey init", gnutls_x509_privkey_init(&key));
    TRY("key generation", gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0));
    TRY("crt init", gnutls_x509_crt_init(&crt));
    TRY("version", gnutls_x509_crt_set_version(crt, 3));
    unsigned char serial[16];
    TRY("serial", gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial));
    serial[0] &= 0x7f; /* a positive serial */
    TRY("serial", gnutls_x509_crt_set_serial(crt, serial, sizeof serial));
    time_t now = time(NULL);
    TRY("activation", gnutls_x509_crt_set_activation_time(crt, now - 3600));
    TRY("expiration", gnutls_x509_crt_set_expiration_time(crt, now + 365L * 24 * 3600));
    static const char cn[] = "skiff-apiserver";
    TRY("subject", gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn, sizeof cn - 1));
    TRY("issuer", gnutls_x509_crt_set_issuer_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn, sizeof cn - 1));
    static const char *const names[] = { "localhost", "kubernetes", "kubernetes.default", "skiff" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        TRY("SAN", gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, names[i], (unsigned)strlen(names[i]), GNUTLS_FSAN_APPEND));
    struct in_addr a;
    inet_pton(AF_INET, "127.0.0.1", &a);
    TRY("SAN", gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, &a, 4, GNUTLS_FSAN_APPEND));
    struct in_addr b;
    if (ip && *ip && strcmp(ip, "127.0.0.1") != 0 && strcmp(ip, "0.0.0.0") != 0 && inet_pton(AF_INET, ip, &b) == 1)
        TRY("SAN", gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, &b, 4, GNUTLS_FSAN_APPEND));
    /* its own CA: kubeconfigs trust it as certificate-authority-data */
    TRY("basic constraints", gnutls_x509_crt_set_basic_constraints(crt, 1, 0));
    TRY("key usage", gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_CERT_SIGN));
    TRY("ext key usage", gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0));
    TRY("key", gnutls_x509_crt_set_key(crt, key));
    unsigned char kid[64];
    size_t kidlen = sizeof kid;
    TRY("key id", gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA1, kid, &kidlen));
    TRY("subject key id", gnutls_x509_crt_set_subject_key_id(crt, kid, kidlen));
    TRY("signing", gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0));
    TRY("export", gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &c));
    TRY("export", gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &k));
#undef TRY
    *cert_pem = dup_datum(&c);
    *key_pem = dup_datum(&k);
    if (!*cert_pem || !*key_pem) {
        free(*cert_pem);
        free(*key_pem);
        *cert_pem = *key_pem = NULL;
        rc = skiff_error_set(err, -ENOMEM, "out of memory");
    }
    goto out;
fail:
    rc = skiff_error_set(err, SKIFF_E_INTERNAL, "self-signed certificate: %s: %s", step, gnutls_strerror(g));
out:
    gnutls_free(c.data);
    gnutls_free(k.data);
    if (crt) gnutls_x509_crt_deinit(crt);
    if (key) gnutls_x509_privkey_deinit(key);
    return rc;
}

int skiff_api_read_file(const char *path, char **out, skiff_error_t *err)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) return skiff_error_set(err, SKIFF_E_INVALID, "%s: %s", path, strerror(errno));
    size_t cap = 1u << 20;
    char *b = malloc(cap + 1);
    if (!b) { fclose(f); return skiff_error_set(err, -ENOMEM, "out of memory"); }
    size_t n = fread(b, 1, cap + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || n > cap) {
        free(b);
        return skiff_error_set(err, SKIFF_E_INVALID, "%s: %s", path, bad ? "read error" : "larger than 1 MiB");
    }
    b[n] = '\0';
    *out = b;
    return 0;
}
