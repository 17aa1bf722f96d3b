/* Lean decoding of stored objects; see lean.h. */
#include "api/lean.h"

#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "api/jscan.h"

static const char META_PREFIX[] = "{\"metadata\":{";

int apisrv_managed_fields_span(const char *val, size_t len, size_t *start, size_t *end)
{
    size_t pl = sizeof META_PREFIX - 1;
    if (len <= pl || memcmp(val, META_PREFIX, pl) != 0) return -1;
    /* walk metadata's members with the shared scanner (api/jscan.h): keys
     * compared raw, values skipped, up to metadata's closing brace */
    const char *e = val + len, *p = skiff_jscan_ws(val + pl, e), *prev = NULL; /* prev: the last value's end */
    while (p < e && *p != '}') {
        const char *ks, *v, *ve;
        size_t kl;
        if (!(v = skiff_jscan_key(p, e, &ks, &kl)) || !(ve = skiff_jscan_skip(v, e))) return -1;
        const char *q = skiff_jscan_ws(ve, e);
        int comma = q < e && *q == ',';
        if (kl == 13 && memcmp(ks, "managedFields", 13) == 0) {
            const char *s = p, *x = ve;
            if (prev) s = prev;                         /* ,"managedFields":[...] */
            else if (comma) x = skiff_jscan_ws(q + 1, e); /* "managedFields":[...], */
            *start = (size_t)(s - val);                 /* (else the only member) */
            *end = (size_t)(x - val);
            return 0;
        }
        if (!comma && (q >= e || *q != '}')) return -1;
        prev = ve;
        p = comma ? skiff_jscan_ws(q + 1, e) : q;
    }
    return -1;
}

cJSON *apisrv_obj_decode_lean(const char *val, size_t len, int64_t rv)
{
    size_t s, e;
    if (apisrv_managed_fields_span(val, len, &s, &e) < 0) return apisrv_obj_decode(val, len, rv);
    char *cut = malloc(len - (e - s) + 1);
    if (!cut) return NULL;
    memcpy(cut, val, s);
    memcpy(cut + s, val + e, len - e);
    cJSON *o = apisrv_obj_decode(cut, len - (e - s), rv);
    free(cut);
    return o;
}
