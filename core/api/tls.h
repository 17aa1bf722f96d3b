/* core/api/tls — serving certificates for the API server.
 *
 * Why TLS at all: kubectl (client-go's clientcmd) attaches credentials from
 * a kubeconfig — tokens included — only when the server URL is https://, so
 * token authentication needs an HTTPS listener. As kube-apiserver does
 * without --tls-cert-file, the server makes itself a self-signed
 * certificate (ECDSA P-256, a year, SANs localhost, 127.0.0.1 and the
 * listen address) which kubeconfigs then carry as their CA. */
#ifndef SKIFF_CORE_API_TLS_H
#define SKIFF_CORE_API_TLS_H

#include <skiff/error.h>

/* A new self-signed certificate and key, PEM, both malloc'd (caller
 * frees). `ip` (dotted IPv4, may be NULL) is added as an IP SAN beside
 * 127.0.0.1. Errors: SKIFF_E_INTERNAL with gnutls' reason, -ENOMEM. */
int skiff_api_tls_self_signed(const char *ip, char **cert_pem, char **key_pem, skiff_error_t *err);

/* Read a whole (small, < 1 MiB) file; *out malloc'd and NUL-terminated.
 * Errors name the path: SKIFF_E_INVALID (missing, unreadable, too big). */
int skiff_api_read_file(const char *path, char **out, skiff_error_t *err);

#endif
