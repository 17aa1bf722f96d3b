/* core/api/httpd_auth — the identity headers of an HTTP request (auth.h):
 * Authorization, and Impersonate-User / Impersonate-Group as kubectl
 * --as / --as-group send them. Kept apart from httpd.c so the transport
 * stays about transport. */
#include <microhttpd.h>
#include <strings.h>

#include "api/internal.h"

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    skiff_api_request_t *req = cls;
    if (!key || !value) return MHD_YES;
    if (strcasecmp(key, "Impersonate-User") == 0) {
        req->impersonate_user = value;
    } else if (strcasecmp(key, "Impersonate-Group") == 0) {
        if (req->nimpersonate_groups < sizeof req->impersonate_groups / sizeof req->impersonate_groups[0])
            req->impersonate_groups[req->nimpersonate_groups++] = value;
        else
            req->impersonate_overflow = 1;
    }
    return MHD_YES;
}

void apisrv_httpd_identity(struct MHD_Connection *conn, skiff_api_request_t *req)
{
    req->remote = 1;
    req->authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect, req);
}
