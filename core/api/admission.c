/* core/api/admission — the API server's side of the admission chain: build
 * the request from the call, turn a refusal into the Status kube-apiserver
 * sends (403 Forbidden for a denial, 500 InternalError for a plugin error). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/admission.h"
#include "api/auth.h"
#include "api/internal.h"
#include "api/priority.h"
#include "log/log.h"

void skiff_api_server_set_admission(skiff_api_server_t *s, skiff_adm_chain_t *chain)
{
    if (s) s->admission = chain;
}

int apisrv_admit(apisrv_call_t *c, int op, cJSON *obj, const cJSON *old)
{
    return apisrv_admit_kind(c, op, c->res ? c->res->kind : "", obj, old);
}

int apisrv_admit_kind(apisrv_call_t *c, int op, const char *kind, cJSON *obj, const cJSON *old)
{
    if (apisrv_priority_admit(c, op, obj) < 0) return -1; /* built in, as kube-apiserver's Priority */
    if (!c->s->admission || !c->res || skiff_adm_chain_len(c->s->admission) == 0) return 0;
    const char *dry = apisrv_param(c, "dryRun");
    skiff_adm_request_t req = {
        .size = sizeof req,
        .op = (skiff_adm_op_t)op,
        .group = c->res->group,
        .version = c->res->version,
        .resource = c->res->plural,
        .subresource = c->sub,
        .kind = kind,
        .namespace_ = c->res->namespaced ? c->ns : "",
        .name = c->name,
        /* the authenticated caller (auth.h) */
        .user = c->user ? c->user->name : skiff_api_user_component.name,
        .uid = c->user ? c->user->uid : "",
        .groups = c->user ? c->user->groups : skiff_api_user_component.groups,
        .ngroups = c->user ? c->user->ngroups : skiff_api_user_component.ngroups,
        .dry_run = dry && *dry,
        .object = obj,
        .old_object = old,
    };
    skiff_adm_outcome_t out;
    int refused = skiff_adm_chain_run(c->s->admission, &req, &out);
    for (size_t i = 0; i < out.nwarnings; i++) {
        /* to the client as Warning headers (httpd.c); kept across retries once */
        const char *w = out.warnings[i];
        if (c->resp->warnings && strstr(c->resp->warnings, w)) continue;
        char *nw = NULL;
        if (asprintf(&nw, "%s%s%s", c->resp->warnings ? c->resp->warnings : "",
                     c->resp->warnings ? "\n" : "", w) >= 0) {
            free(c->resp->warnings);
            c->resp->warnings = nw;
        }
    }
    skiff_adm_outcome_free(&out);
    if (!refused) return 0;
    char q[160];
    apisrv_resource_qualified(c->res, q, sizeof q);
    /* formatted here, not by apisrv_fail (1 KiB): PodSecurity reasons run long */
    char *msg = NULL;
    int n;
    if (out.code == SKIFF_ADM_OUT_DENIED)
        n = asprintf(&msg, "%s \"%s\" is forbidden: %s: %s", q, c->name, out.plugin, out.reason);
    else
        n = asprintf(&msg, "Internal error occurred: admission plugin \"%s\" failed on %s \"%s\": %s",
                     out.plugin, q, c->name, out.reason);
    if (n < 0) {
        apisrv_fail(c, 500, "InternalError", "out of memory");
        return -1;
    }
    if (out.code == SKIFF_ADM_OUT_INVALID) {
        /* the plugin's reason is "<field>: <message>", as API validation words it */
        apisrv_invalid_t *inv = calloc(1, sizeof *inv);
        if (!inv) {
            free(msg);
            apisrv_fail(c, 500, "InternalError", "out of memory");
            return -1;
        }
        const char *sep = strstr(out.reason, ": ");
        apisrv_invalid_add(inv, "FieldValueInvalid", "", "%s", out.reason);
        if (sep && (size_t)(sep - out.reason) < sizeof inv->causes[0].field) {
            snprintf(inv->causes[0].field, sizeof inv->causes[0].field, "%.*s", (int)(sep - out.reason), out.reason);
            snprintf(inv->causes[0].message, sizeof inv->causes[0].message, "%s", sep + 2);
        }
        apisrv_fail_invalid(c, c->name, inv);
        free(inv);
        free(msg);
        return -1;
    }
    if (out.code == SKIFF_ADM_OUT_DENIED) apisrv_fail_causes(c, 403, "Forbidden", msg, NULL);
    else apisrv_fail_causes(c, 500, "InternalError", msg, NULL);
    free(msg);
    return -1;
}
