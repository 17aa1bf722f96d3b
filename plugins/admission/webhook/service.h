/* admission/webhook — clientConfig.service: where to send a review for a
 * webhook named by Service. skiff has no service proxy or cluster DNS yet,
 * so the Service is resolved through the API to one reachable address: a
 * ready address of its EndpointSlices (else of its Endpoints) on the port
 * the Service port targets, falling back to the clusterIP on the Service
 * port. The request still goes to the URL Kubernetes uses,
 * https://<name>.<namespace>.svc:<port><path>, with libcurl told to connect
 * to that address, so TLS verifies the certificate against the service's
 * DNS name as kube-apiserver does. */
#ifndef SKIFF_WEBHOOK_SERVICE_H
#define SKIFF_WEBHOOK_SERVICE_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <skiff/skiff.h>

typedef struct webhook_target {
    char url[1100];     /* https://name.ns.svc:port/path */
    char connect[512];  /* libcurl CONNECT_TO entry "name.ns.svc:port:ip:port" */
} webhook_target_t;

/* Resolve `svc` (a clientConfig.service object). 0 with *t filled, or -1
 * with the reason in why (t->url is filled as far as known, for messages). */
int webhook_service_resolve(const skiff_host_t *host, skiff_ctx_t *ctx, const cJSON *svc,
                            webhook_target_t *t, char *why, size_t whylen);

#endif
