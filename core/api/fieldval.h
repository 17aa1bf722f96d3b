/* core/api/fieldval — fieldValidation (?fieldValidation=Strict|Warn|Ignore)
 * of request objects against the schemas of api/schema.h, as
 * kube-apiserver's strict decoding: unknown fields are a 400 BadRequest
 * under Strict, one `Warning: unknown field "..."` header each under Warn
 * (the default, as kube's — skipped for in-process callers, which send no
 * User-Agent and never see warnings), nothing under Ignore. Unknown fields are kept,
 * not dropped (kube's typed decoding drops them; a table that lists fewer
 * fields than kube's types must not lose data). */
#ifndef SKIFF_CORE_API_FIELDVAL_H
#define SKIFF_CORE_API_FIELDVAL_H

#include "api/internal.h"

enum {
    APISRV_FV_BODY,  /* a create or update body: "<Kind> in version ... cannot be handled as a <Kind>: ..." */
    APISRV_FV_PATCH, /* the result of a merge, JSON or strategic patch */
    APISRV_FV_APPLY, /* a server-side apply configuration */
};

/* Check obj (an object of c->res's kind) per the call's fieldValidation.
 * 0 = go on (warnings may have been added to c->resp), -1 = Status set
 * (400: Strict found unknown fields, or the directive itself is invalid). */
int apisrv_field_validate(apisrv_call_t *c, const cJSON *obj, int what);

#endif
