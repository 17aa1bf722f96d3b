/* core/api/auth — who is calling (authentication) and whether they may
 * (authorization), as kube-apiserver decides it.
 *
 * Authentication: HTTP requests carry `Authorization: Bearer <token>`,
 * looked up in a static token file (kube-apiserver's --token-auth-file CSV:
 * `token,user,uid,"group1,group2"`). A request without a token is
 * `system:anonymous` in `system:unauthenticated` when anonymous requests
 * are allowed, else 401; an unknown token is always 401. A token not in
 * the file may be a service-account token (TokenRequest, satoken.c): the
 * caller is then system:serviceaccount:NS:NAME. Authenticated
 * users also get `system:authenticated`. Requests of the in-process client
 * (components inside the server's process) are trusted as
 * `system:skiff:component` in `system:masters`.
 *
 * Authorization: the modes of skiff_api_config_t.authorization_modes in
 * order (AlwaysAllow, AlwaysDeny, RBAC; see rbac.h); `system:masters`
 * bypasses them all. A denial is 403 Forbidden with kube's message. */
#ifndef SKIFF_CORE_API_AUTH_H
#define SKIFF_CORE_API_AUTH_H

#include <stddef.h>

#include "api/api.h"

typedef struct skiff_api_user {
    const char *name;
    const char *uid;            /* "" when none */
    const char *const *groups;  /* ngroups entries */
    size_t ngroups;
} skiff_api_user_t;

/* The identity of in-process requests (system:skiff:component, groups
 * system:masters and system:authenticated). */
extern const skiff_api_user_t skiff_api_user_component;
extern const skiff_api_user_t skiff_api_user_anonymous;

/* Add a bearer token for `user` (uid may be NULL; groups: NULL-terminated,
 * may be NULL; system:authenticated is added). Everything is copied. Call
 * before the server takes requests. Errors: SKIFF_E_EXISTS for a token
 * already known, SKIFF_E_INVALID for an empty token or user, -ENOMEM. */
int skiff_api_server_add_token(skiff_api_server_t *s, const char *token, const char *user,
                               const char *uid, const char *const *groups, skiff_error_t *err);

/* True when HTTP requests need a token: a token file is configured or
 * anonymous requests are refused. (The component then writes an admin
 * token into the kubeconfig it generates.) */
int skiff_api_server_authn_enabled(const skiff_api_server_t *s);

/* Create the default ClusterRoles and ClusterRoleBindings kube-apiserver
 * bootstraps (cluster-admin, admin, edit, view, system:discovery,
 * system:basic-user, system:public-info-viewer; cluster-admin bound to
 * system:masters) when missing, through the server itself. Existing
 * objects are left as the user changed them. (rbac_bootstrap.c) */
void skiff_api_server_bootstrap_rbac(skiff_api_server_t *s);

/* Where the key that signs service-account tokens (`kubectl create token`,
 * TokenRequest) is kept, as kube-apiserver's
 * --service-account-signing-key-file: loaded now when the file exists,
 * else made (RSA 2048) on the first TokenRequest and written there, 0600.
 * Without a file the key lives in memory and its tokens end with the
 * process. Call before the server takes requests. Errors: SKIFF_E_INVALID
 * naming the file (unreadable, not a PEM RSA private key), -ENOMEM. */
int skiff_api_server_sa_key_file(skiff_api_server_t *s, const char *path, skiff_error_t *err);

/* Parse a token file's text (kube's CSV) into s (a later duplicate token
 * replaces the earlier one). `path` names the file in errors
 * (`path:line: why`). Like add_token: before the server takes requests.
 * Exposed for the unit tests. */
int skiff_api_server_load_tokens(skiff_api_server_t *s, const char *path, const char *text,
                                 skiff_error_t *err);

#endif
