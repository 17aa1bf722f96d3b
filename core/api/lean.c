/* Lean decoding of stored objects; see lean.h. */
#include "api/lean.h"

#include <stdlib.h>
#include <string.h>

#include "api/internal.h"

static const char META_PREFIX[] = "{\"metadata\":{";

/* Skip a JSON string starting at val[i] == '"'; index after its closing quote, or len. */
static size_t skip_string(const char *val, size_t len, size_t i)
{
    for (i++; i < len; i++) {
        if (val[i] == '\\') { i++; continue; }
        if (val[i] == '"') return i + 1;
    }
    return len;
}

/* Skip one JSON value starting at val[i] (after whitespace); index after it. */
static size_t skip_value(const char *val, size_t len, size_t i)
{
    int depth = 0;
    for (; i < len; i++) {
        char ch = val[i];
        if (ch == '"') {
            i = skip_string(val, len, i) - 1;
            if (!depth) return i + 1;
        } else if (ch == '{' || ch == '[') {
            depth++;
        } else if (ch == '}' || ch == ']') {
            if (!depth) return i; /* a scalar ends at its container's close */
            if (--depth == 0) return i + 1;
        } else if (!depth && ch == ',') {
            return i;
        }
    }
    return len;
}

int apisrv_managed_fields_span(const char *val, size_t len, size_t *start, size_t *end)
{
    static const char key[] = "\"managedFields\"";
    size_t pl = sizeof META_PREFIX - 1, kl = sizeof key - 1;
    if (len <= pl || memcmp(val, META_PREFIX, pl) != 0) return -1;
    /* walk metadata's members: "key":value,... up to its closing brace */
    for (size_t i = pl; i < len && val[i] != '}';) {
        size_t member = i;
        if (val[i] == ',') { i++; continue; }
        if (val[i] != '"') return -1; /* compact JSON only: anything else, give up */
        size_t kend = skip_string(val, len, i);
        if (kend >= len || val[kend] != ':') return -1;
        size_t vend = skip_value(val, len, kend + 1);
        if (kend - member == kl && memcmp(val + member, key, kl) == 0) {
            if (member > pl && val[member - 1] == ',') *start = member - 1, *end = vend; /* ,"managedFields":[...] */
            else if (vend < len && val[vend] == ',') *start = member, *end = vend + 1; /* "managedFields":[...], */
            else *start = member, *end = vend;                                         /* the only member */
            return 0;
        }
        i = vend;
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
