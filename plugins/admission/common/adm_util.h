/* plugins/admission/common — small helpers shared by the admission plugins,
 * header-only (static inline) so each plugin stays one self-contained .so
 * that links nothing of the core: Kubernetes quantities in milli-units and
 * cJSON lookups. Not part of the SDK. */
#ifndef SKIFF_ADM_UTIL_H
#define SKIFF_ADM_UTIL_H

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

static inline const cJSON *adm_get(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* Dotted path ("metadata.labels"); NULL when any step is missing. */
static inline const cJSON *adm_path(const cJSON *o, const char *path)
{
    char key[128];
    while (o && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        if (n >= sizeof key) return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        o = cJSON_GetObjectItemCaseSensitive(o, key);
        path = dot ? dot + 1 : path + n;
    }
    return o;
}

static inline const char *adm_str(const cJSON *o, const char *path)
{
    const cJSON *v = adm_path(o, path);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A Kubernetes quantity ("500m", "2", "1.5Gi", "1e3", "128M") in milli-units.
 * Returns 0, or -1 when it is not a quantity or does not fit. */
static inline int adm_quantity(const char *s, int64_t *milli)
{
    if (!s) return -1;
    while (isspace((unsigned char)*s)) s++;
    int neg = 0;
    if (*s == '+' || *s == '-') neg = *s++ == '-';
    long double v = 0;
    int digits = 0;
    while (isdigit((unsigned char)*s)) { v = v * 10 + (*s++ - '0'); digits++; }
    if (*s == '.') {
        s++;
        long double f = 0.1L;
        while (isdigit((unsigned char)*s)) { v += f * (*s++ - '0'); f /= 10; digits++; }
    }
    if (!digits) return -1;
    long double mul = 1;
    if (!strcmp(s, "")) mul = 1;
    else if (!strcmp(s, "m")) mul = 1e-3L;
    else if (!strcmp(s, "k")) mul = 1e3L;
    else if (!strcmp(s, "M")) mul = 1e6L;
    else if (!strcmp(s, "G")) mul = 1e9L;
    else if (!strcmp(s, "T")) mul = 1e12L;
    else if (!strcmp(s, "P")) mul = 1e15L;
    else if (!strcmp(s, "E")) mul = 1e18L;
    else if (!strcmp(s, "Ki")) mul = 1024.0L;
    else if (!strcmp(s, "Mi")) mul = 1024.0L * 1024;
    else if (!strcmp(s, "Gi")) mul = 1024.0L * 1024 * 1024;
    else if (!strcmp(s, "Ti")) mul = 1024.0L * 1024 * 1024 * 1024;
    else if (!strcmp(s, "Pi")) mul = 1024.0L * 1024 * 1024 * 1024 * 1024;
    else if (!strcmp(s, "Ei")) mul = 1024.0L * 1024 * 1024 * 1024 * 1024 * 1024;
    else if (*s == 'e' || *s == 'E') {
        char *end;
        long e = strtol(s + 1, &end, 10);
        if (*end || e > 18 || e < -3) return -1;
        for (long i = 0; i < e; i++) mul *= 10;
        for (long i = 0; i > e; i--) mul /= 10;
    } else return -1;
    long double r = v * mul * 1000.0L;
    if (r > 9.2e18L) return -1;
    int64_t m = (int64_t)(r + 0.999999L); /* Kubernetes rounds up to the milli */
    if (r == (long double)(int64_t)r) m = (int64_t)r;
    *milli = neg ? -m : m;
    return 0;
}

/* A quantity value (string or number) at o[k] in milli-units; -1 if absent/bad. */
static inline int adm_quantity_at(const cJSON *o, const char *k, int64_t *milli)
{
    const cJSON *v = adm_get(o, k);
    if (cJSON_IsString(v)) return adm_quantity(v->valuestring, milli);
    if (cJSON_IsNumber(v)) { *milli = (int64_t)(v->valuedouble * 1000); return 0; }
    return -1;
}

/* Canonical text of a milli-unit value, as Kubernetes prints it: "500m",
 * "2", "1Gi" (binary suffix when the whole value is an exact multiple). */
static inline void adm_quantity_format(int64_t milli, char *buf, size_t len)
{
    if (milli % 1000 != 0) { snprintf(buf, len, "%lldm", (long long)milli); return; }
    int64_t v = milli / 1000;
    static const char *const bin[] = { "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
    int i = -1;
    while (v != 0 && v % 1024 == 0 && i < 5) { v /= 1024; i++; }
    if (i >= 0) snprintf(buf, len, "%lld%s", (long long)v, bin[i]);
    else snprintf(buf, len, "%lld", (long long)(milli / 1000));
}

#endif
