/* core/api/satoken — service-account tokens: TokenRequest, their
 * authentication, TokenReview (see satoken.c). Internal to core/api. */
#ifndef SKIFF_CORE_API_SATOKEN_H
#define SKIFF_CORE_API_SATOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "api/internal.h"

/* A signing key is loaded or has been made: bearer JWTs are checked. */
int apisrv_sa_active(const skiff_api_server_t *s);
void apisrv_sa_fini(skiff_api_server_t *s);

/* Check a service-account token: signature, issuer, an audience among
 * auds (NULL/0: the API audience), exp/nbf/iat at now_s (one minute of
 * leeway, as kube), and that the service account (and a bound pod, secret
 * or node) still exists with the token's uid. 0 with u filled (and
 * *claims, caller frees, when claims is not NULL); -1 with why. */
int apisrv_sa_check(skiff_api_server_t *s, const char *tok, size_t len, const char *const *auds, size_t nauds,
                    int64_t now_s, apisrv_sa_user_t *u, cJSON **claims, char *why, size_t wl);

/* kube's `extra` user info of a service-account caller
 * (authentication.kubernetes.io/credential-id JTI=..., pod-name/-uid,
 * node-name/-uid) added to a userInfo object. */
void apisrv_sa_extra(const apisrv_sa_user_t *u, cJSON *userinfo);

/* Authenticate c with a bearer token that is not in the token file: 0 and
 * c->user set to the service account, or -1 (answer 401). */
int apisrv_sa_authenticate(apisrv_call_t *c, const char *tok, size_t len);

/* POST .../serviceaccounts/NAME/token (TokenRequest), POST
 * /apis/authentication.k8s.io/v1/tokenreviews. */
int apisrv_handle_token_request(apisrv_call_t *c);
int apisrv_handle_token_review(apisrv_call_t *c);
/* GET /.well-known/openid-configuration (jwks 0) and /openid/v1/jwks
 * (jwks 1): the issuer's discovery document and its public key. */
int apisrv_handle_oidc(apisrv_call_t *c, int jwks);

#endif
