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
    /* metadata's members with the shared scanner (api/jscan.h), keys
     * compared as written, up to metadata's closing brace */
    const char *e = val + len, *p = skiff_jscan_ws(val + pl, e), *prev = NULL; /* prev: the last value's end */
    if (p < e && *p == '}') return -1;
    for (;;) {
        skiff_jmem_t m;
        int more = skiff_jscan_next(&p, e, &m);
        if (more < 0) return -1;
        if (skiff_jscan_key_is(&m, "managedFields")) {
            *start = (size_t)((prev ? prev : m.k) - val);  /* ,"managedFields":[...] */
            *end = (size_t)((prev || !more ? m.ve : p) - val); /* "managedFields":[...], (or the only member) */
            return 0;
        }
        if (!more) return -1;
        prev = m.ve;
    }
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
