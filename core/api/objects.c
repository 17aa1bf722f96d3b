/* core/api/objects — how objects are stored and served.
 *
 * Stored form: compact JSON whose text starts with {"metadata":{ and carries
 * no resourceVersion. The resourceVersion IS the store's mod_rev, so it is
 * spliced into the text on the way out — lists and watches copy bytes and
 * never parse objects they do not need to look at. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/random.h>
#include <time.h>

#include "api/internal.h"
#include "api/json_print.h"
#include "api/json_util.h"
#include "manifest/manifest.h"

static const char META_PREFIX[] = "{\"metadata\":{";

/* parts joined into buf; -1 when they do not fit */
static int key_join(char *buf, size_t len, const char *const *parts, int n)
{
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        size_t k = strlen(parts[i]);
        if (o + k >= len) return -1;
        memcpy(buf + o, parts[i], k);
        o += k;
    }
    buf[o] = '\0';
    return (int)o;
}

/* on every request that names an object: joined, not printed */
int apisrv_key(const apisrv_resource_t *r, const char *ns, const char *name, char *buf,
               size_t len)
{
    if (r->namespaced) {
        const char *p[] = { "/registry/", r->plural, "/", ns, "/", name };
        return key_join(buf, len, p, 6);
    }
    const char *p[] = { "/registry/", r->plural, "/", name };
    return key_join(buf, len, p, 4);
}

int apisrv_key_prefix(const apisrv_resource_t *r, const char *ns, char *buf, size_t len)
{
    int n = r->namespaced && ns && *ns ? snprintf(buf, len, "/registry/%s/%s/", r->plural, ns)
                                       : snprintf(buf, len, "/registry/%s/", r->plural);
    return n < 0 || (size_t)n >= len ? -1 : n;
}

/* metadata first, without resourceVersion, so the text begins with
 * META_PREFIX. -1 when out of memory. */
static int encode_order(cJSON *obj)
{
    cJSON *meta = cJSON_DetachItemFromObjectCaseSensitive(obj, "metadata");
    if (!meta || !cJSON_IsObject(meta)) {
        cJSON_Delete(meta);
        meta = cJSON_CreateObject();
        if (!meta) return -1;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "resourceVersion");
    if (!meta->string) {
        meta->string = strdup("metadata");
        if (!meta->string) { cJSON_Delete(meta); return -1; }
        meta->type &= ~cJSON_StringIsConst;
    }
    meta->next = obj->child;
    meta->prev = obj->child ? obj->child->prev : meta;
    if (obj->child) obj->child->prev = meta;
    obj->child = meta;
    return 0;
}

char *apisrv_obj_encode(cJSON *obj, size_t *len)
{
    if (encode_order(obj) < 0) return NULL;
    /* most objects fit in 2 KiB: one allocation */
    return skiff_api_json_print(obj, 2000, len);
}

char *apisrv_obj_encode_room(cJSON *obj, size_t *len)
{
    if (encode_order(obj) < 0) return NULL;
    skiff_api_buf_t b;
    skiff_api_buf_init(&b);
    if (skiff_api_buf_reserve(&b, 2000) < 0) return NULL;
    b.len = APISRV_OBJ_ROOM;
    if (skiff_api_json_print_to(&b, obj) < 0) { skiff_api_buf_free(&b); return NULL; }
    if (len) *len = b.len - APISRV_OBJ_ROOM;
    return skiff_api_buf_take(&b, NULL);
}

size_t apisrv_obj_serve_in_place(char *buf, size_t len, int64_t rv)
{
    size_t pl = sizeof META_PREFIX - 1;
    char head[APISRV_OBJ_ROOM + sizeof META_PREFIX];
    memcpy(head, META_PREFIX, pl);
    size_t hl = pl;
    memcpy(head + hl, "\"resourceVersion\":\"", 19);
    hl += 19;
    char digits[24];
    int nd = 0;
    uint64_t x = rv < 0 ? 0 : (uint64_t)rv;
    do { digits[nd++] = (char)('0' + x % 10); x /= 10; } while (x);
    while (nd) head[hl++] = digits[--nd];
    head[hl++] = '"';
    const char *rest = buf + APISRV_OBJ_ROOM + pl;
    if (*rest != '}') head[hl++] = ',';
    /* hl <= 13 + 19 + 20 + 2 = 54 < ROOM + pl: the move goes left */
    memmove(buf + hl, rest, len - pl + 1);
    memcpy(buf, head, hl);
    return hl + len - pl;
}

void apisrv_obj_emit(skiff_api_buf_t *b, const char *val, size_t len, int64_t rv)
{
    size_t pl = sizeof META_PREFIX - 1;
    if (len > pl && memcmp(val, META_PREFIX, pl) == 0) {
        skiff_api_buf_reserve(b, len + 48);
        skiff_api_buf_add(b, META_PREFIX, pl);
        skiff_api_buf_printf(b, "\"resourceVersion\":\"%lld\"", (long long)rv);
        if (val[pl] != '}') skiff_api_buf_putc(b, ',');
        skiff_api_buf_add(b, val + pl, len - pl);
        return;
    }
    /* written by something else: parse and re-emit */
    cJSON *o = apisrv_obj_decode(val, len, rv);
    char *s = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (s) { skiff_api_buf_puts(b, s); free(s); }
    else skiff_api_buf_puts(b, "{}");
}

cJSON *apisrv_obj_decode(const char *val, size_t len, int64_t rv)
{
    /* cJSON's tree, in one pass (every update, patch and binding loads one) */
    cJSON *o = skiff_manifest_parse_json(val, len);
    if (!o || !cJSON_IsObject(o)) { cJSON_Delete(o); return NULL; }
    cJSON *meta = apisrv_obj_at(o, "metadata");
    if (!meta) { cJSON_Delete(o); return NULL; }
    char rvs[24];
    snprintf(rvs, sizeof rvs, "%lld", (long long)rv);
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "resourceVersion");
    skiff_api_json_add_lit(meta, "resourceVersion", skiff_api_json_string(rvs));
    return o;
}

void apisrv_format_time(int64_t ns, char *buf, size_t len)
{
    /* every write stamps the current second: formatted once per second
     * per thread, copied otherwise */
    static __thread int64_t last_s = INT64_MIN;
    static __thread char last[64];
    int64_t sec = ns / 1000000000;
    if (sec != last_s) {
        time_t t = (time_t)sec;
        struct tm tm;
        gmtime_r(&t, &tm);
        if (!strftime(last, sizeof last, "%Y-%m-%dT%H:%M:%SZ", &tm)) last[0] = '\0';
        last_s = sec;
    }
    if (!len) return;
    size_t n = strlen(last);
    if (n >= len) {
        /* as strftime into a short buffer: nothing usable */
        time_t t = (time_t)sec;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return;
    }
    memcpy(buf, last, n + 1);
}

int64_t apisrv_parse_time(const char *s)
{
    if (!s) return 0;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end) return 0;
    return (int64_t)timegm(&tm) * 1000000000;
}

/* Random bytes come from getrandom in 4 KiB helpings per thread (a
 * syscall per uid showed in the profile of pod creates); a forked child
 * drops the helping it inherited, so parent and child never share uids. */
static __thread unsigned char uid_pool[4096];
static __thread size_t uid_left;
static pthread_once_t uid_once = PTHREAD_ONCE_INIT;
static void uid_child(void) { uid_left = 0; }
static void uid_init(void) { pthread_atfork(NULL, NULL, uid_child); }

void apisrv_new_uid(char out[37])
{
    unsigned char r[16];
    pthread_once(&uid_once, uid_init);
    if (uid_left < sizeof r)
        uid_left = getrandom(uid_pool, sizeof uid_pool, 0) == (ssize_t)sizeof uid_pool ? sizeof uid_pool : 0;
    if (uid_left >= sizeof r) {
        memcpy(r, uid_pool + sizeof uid_pool - uid_left, sizeof r);
        memset(uid_pool + sizeof uid_pool - uid_left, 0, sizeof r); /* used bytes do not linger */
        uid_left -= sizeof r;
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        for (size_t i = 0; i < sizeof r; i++) r[i] = (unsigned char)((ts.tv_nsec >> (i % 8)) ^ (i * 131) ^ rand());
    }
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < sizeof r; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
        out[o++] = hex[r[i] >> 4];
        out[o++] = hex[r[i] & 15];
    }
    out[o] = '\0';
}

/* k8s.io/apimachinery/pkg/util/duration.HumanDuration */
void apisrv_human_age(int64_t s, char *buf, size_t len)
{
    if (s < -1) { snprintf(buf, len, "<invalid>"); return; }
    if (s < 0) s = 0;
    int64_t m = s / 60, h = s / 3600, d = h / 24, y = d / 365;
    if (s < 120) snprintf(buf, len, "%llds", (long long)s);
    else if (m < 10) {
        if (s % 60 == 0) snprintf(buf, len, "%lldm", (long long)m);
        else snprintf(buf, len, "%lldm%llds", (long long)m, (long long)(s % 60));
    } else if (m < 180) snprintf(buf, len, "%lldm", (long long)m);
    else if (h < 8) {
        if (m % 60 == 0) snprintf(buf, len, "%lldh", (long long)h);
        else snprintf(buf, len, "%lldh%lldm", (long long)h, (long long)(m % 60));
    } else if (h < 48) snprintf(buf, len, "%lldh", (long long)h);
    else if (h < 192) {
        if (h % 24 == 0) snprintf(buf, len, "%lldd", (long long)d);
        else snprintf(buf, len, "%lldd%lldh", (long long)d, (long long)(h % 24));
    } else if (y < 2) snprintf(buf, len, "%lldd", (long long)d);
    else if (y < 8) {
        if (d % 365 == 0) snprintf(buf, len, "%lldy", (long long)y);
        else snprintf(buf, len, "%lldy%lldd", (long long)y, (long long)(d % 365));
    } else snprintf(buf, len, "%lldy", (long long)y);
}

const char *apisrv_str(const cJSON *obj, const char *path)
{
    char part[128];
    const cJSON *cur = obj;
    while (cur && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        if (n >= sizeof part) return NULL;
        memcpy(part, path, n);
        part[n] = '\0';
        cur = cJSON_GetObjectItemCaseSensitive(cur, part);
        path += n + (dot ? 1 : 0);
    }
    return cJSON_IsString(cur) ? cur->valuestring : NULL;
}

cJSON *apisrv_obj_at(cJSON *obj, const char *key)
{
    cJSON *x = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (cJSON_IsObject(x)) return x;
    if (x) cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    return cJSON_AddObjectToObject(obj, key);
}
