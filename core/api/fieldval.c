/* fieldValidation; see fieldval.h. */
#include "api/fieldval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/schema.h"

#define MAX_REPORTED 20

typedef struct {
    apisrv_call_t *c;
    int strict;
    char msg[2048];
    size_t len;
} fv_t;

static void add_warning(apisrv_call_t *c, const char *w)
{
    char *nw = NULL;
    if (asprintf(&nw, "%s%s%s", c->resp->warnings ? c->resp->warnings : "", c->resp->warnings ? "\n" : "", w) < 0) return;
    free(c->resp->warnings);
    c->resp->warnings = nw;
}

static int on_unknown(void *ud, const char *path)
{
    fv_t *f = ud;
    char one[1200];
    snprintf(one, sizeof one, "unknown field \"%s\"", path);
    if (!f->strict) {
        add_warning(f->c, one);
        return 0;
    }
    if (f->len < sizeof f->msg)
        f->len += (size_t)snprintf(f->msg + f->len, sizeof f->msg - f->len, "%s%s", f->len ? ", " : "", one);
    return 0;
}

int apisrv_field_validate(apisrv_call_t *c, const cJSON *obj, int what)
{
    const char *d = apisrv_param(c, "fieldValidation");
    int strict;
    /* absent = Warn, as kube; but an in-process caller (no User-Agent: the
     * local transport) never sees warnings, so there is nothing to do */
    if ((!d || !*d) && !c->req->user_agent) return 0;
    if (!d || !*d || !strcmp(d, "Warn")) strict = 0;
    else if (!strcmp(d, "Strict")) strict = 1;
    else if (!strcmp(d, "Ignore")) return 0;
    else return apisrv_fail(c, 400, "BadRequest", "invalid fieldValidation directive: %s, must be one of: Ignore, Warn, Strict", d), -1;
    const skiff_api_stype_t *t = skiff_api_schema_kind(c->res->group, c->res->kind);
    if (!t || !cJSON_IsObject(obj)) return 0;
    fv_t f = { .c = c, .strict = strict };
    int n = skiff_api_schema_unknown(t, obj, on_unknown, &f);
    if (!n || !strict) return 0;
    if (what == APISRV_FV_BODY)
        return apisrv_fail(c, 400, "BadRequest", "%s in version \"%s\" cannot be handled as a %s: strict decoding error: %s",
                           c->res->kind, c->res->version, c->res->kind, f.msg), -1;
    if (what == APISRV_FV_APPLY) {
        char gv[160];
        if (*c->res->group) snprintf(gv, sizeof gv, "%s/%s", c->res->group, c->res->version);
        else snprintf(gv, sizeof gv, "/%s", c->res->version);
        return apisrv_fail(c, 400, "BadRequest", "failed to create typed patch object (%s, Kind=%s): strict decoding error: %s",
                           gv, c->res->kind, f.msg), -1;
    }
    return apisrv_fail(c, 400, "BadRequest", "strict decoding error: %s", f.msg), -1;
}
