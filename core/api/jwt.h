/* core/api/jwt — signed JSON Web Tokens (RFC 7519, JWS compact form) with
 * RS256, the way kube-apiserver signs service-account tokens: header
 * {"alg":"RS256","kid":<base64url(sha256(SPKI DER))>}, the claims as given.
 * The RSA work and base64 are GnuTLS'; this file only frames them.
 * Internal to core/api. */
#ifndef SKIFF_CORE_API_JWT_H
#define SKIFF_CORE_API_JWT_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <skiff/error.h>

typedef struct apisrv_jwt_key apisrv_jwt_key_t;

/* A new RSA-2048 signing key. *pem (may be NULL) gets its PKCS#1 PEM,
 * malloc'd, to keep it. Errors: SKIFF_E_INTERNAL with GnuTLS' reason. */
int apisrv_jwt_key_generate(apisrv_jwt_key_t **out, char **pem, skiff_error_t *err);
/* Load a PEM private key (RSA, as kube's --service-account-signing-key-file).
 * Errors: SKIFF_E_INVALID naming `what` (the file) and why. */
int apisrv_jwt_key_load(const char *pem, const char *what, apisrv_jwt_key_t **out, skiff_error_t *err);
void apisrv_jwt_key_free(apisrv_jwt_key_t *k);
/* The key id tokens carry in their header ("kid"). Owned by k. */
const char *apisrv_jwt_key_id(const apisrv_jwt_key_t *k);

/* The public key as a JWK (RFC 7517) for a JWKS document, as kube's
 * /openid/v1/jwks lists it: {"use":"sig","kty":"RSA","kid","alg":"RS256",
 * "n","e"} (base64url, no leading zero bytes). NULL on allocation failure. */
cJSON *apisrv_jwt_key_jwk(const apisrv_jwt_key_t *k);

/* header.payload.signature for `claims` (borrowed), malloc'd; NULL on
 * failure with err set. */
char *apisrv_jwt_sign(const apisrv_jwt_key_t *k, const cJSON *claims, skiff_error_t *err);
/* Check a token's form and signature against k (alg must be RS256, a kid,
 * when present, k's). 0 with *claims (caller frees) or -1 with the reason
 * in err (not a JWT, bad signature...). Time claims are the caller's. */
int apisrv_jwt_verify(const apisrv_jwt_key_t *k, const char *token, size_t len, cJSON **claims, skiff_error_t *err);

#endif
