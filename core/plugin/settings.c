/* Checking settings against a key table; see settings.h. */
#include "plugin/settings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/quantity.h"
#include "util/suggest.h"

typedef struct setting_value {
    const skiff_config_key_t *key;
    int set;      /* set in the input or by a default */
    char *str;    /* STRING */
    int64_t i;    /* INT, QUANTITY, DURATION */
    int b;        /* BOOL */
    double d;     /* DOUBLE */
    char **list;  /* STRLIST, NULL-terminated */
} setting_value_t;

struct skiff_settings {
    size_t n;
    setting_value_t *v;
};

const char *skiff_cfg_type_name(uint32_t type)
{
    switch (type) {
    case SKIFF_CFG_STRING: return "string";
    case SKIFF_CFG_INT: return "int";
    case SKIFF_CFG_BOOL: return "bool";
    case SKIFF_CFG_DOUBLE: return "double";
    case SKIFF_CFG_QUANTITY: return "quantity";
    case SKIFF_CFG_DURATION: return "duration";
    case SKIFF_CFG_STRLIST: return "strlist";
    }
    return NULL;
}

static const char *raw_kind_name(skiff_raw_kind_t k)
{
    switch (k) {
    case SKIFF_RAW_TEXT: return "text";
    case SKIFF_RAW_STRING: return "string";
    case SKIFF_RAW_INT: return "int";
    case SKIFF_RAW_FLOAT: return "float";
    case SKIFF_RAW_BOOL: return "bool";
    case SKIFF_RAW_LIST: return "list of strings";
    case SKIFF_RAW_OTHER: break;
    }
    return "a group or a list of non-strings";
}

static void free_list(char **list)
{
    if (!list) return;
    for (char **p = list; *p; p++) free(*p);
    free(list);
}

static void value_clear(setting_value_t *v)
{
    free(v->str);
    free_list(v->list);
    v->str = NULL;
    v->list = NULL;
    v->set = 0;
}

static int parse_bool_text(const char *s, int *out)
{
    static const char *yes[] = { "true", "yes", "on", "1" };
    static const char *no[] = { "false", "no", "off", "0" };
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) { *out = 1; return 0; }
        if (strcasecmp(s, no[i]) == 0) { *out = 0; return 0; }
    }
    return -1;
}

/* "a, b,c" -> {"a","b","c",NULL}; "" -> {NULL}. */
static char **split_list_text(const char *s)
{
    size_t cap = 1;
    for (const char *p = s; *p; p++) cap += *p == ',';
    char **list = calloc(cap + 1, sizeof *list);
    if (!list) return NULL;
    size_t n = 0;
    const char *p = s;
    while (*p) {
        const char *end = strchr(p, ',');
        if (!end) end = p + strlen(p);
        const char *a = p, *b = end;
        while (a < b && (*a == ' ' || *a == '\t')) a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
        if (b > a) {
            list[n] = strndup(a, (size_t)(b - a));
            if (!list[n]) { free_list(list); return NULL; }
            n++;
        }
        p = *end ? end + 1 : end;
    }
    return list;
}

static char **copy_list(const char *const *in, size_t n)
{
    char **list = calloc(n + 1, sizeof *list);
    if (!list) return NULL;
    for (size_t i = 0; i < n; i++) {
        list[i] = strdup(in[i] ? in[i] : "");
        if (!list[i]) { free_list(list); return NULL; }
    }
    return list;
}

/* Convert one value to the key's type. On a problem, msg is filled and -1
 * returned; -2 is allocation failure. */
static int convert(const skiff_config_key_t *key, const char *where, const skiff_raw_setting_t *r,
                   setting_value_t *v, char *msg, size_t msglen)
{
    skiff_error_t qerr;
    const char *tname = skiff_cfg_type_name(key->type);
    int text = r->kind == SKIFF_RAW_TEXT;
    char *end;

#define WRONG_TYPE()                                                                      \
    do {                                                                                  \
        snprintf(msg, msglen, "key \"%s\" in %s: expected %s, got %s", key->name, where,  \
                 tname, raw_kind_name(r->kind));                                          \
        return -1;                                                                        \
    } while (0)
#define BAD_TEXT(what)                                                                    \
    do {                                                                                  \
        snprintf(msg, msglen, "key \"%s\" in %s: \"%s\" is not %s", key->name, where,     \
                 r->str, what);                                                           \
        return -1;                                                                        \
    } while (0)

    switch (key->type) {
    case SKIFF_CFG_STRING:
        if (!text && r->kind != SKIFF_RAW_STRING) WRONG_TYPE();
        if (!(v->str = strdup(r->str))) return -2;
        break;
    case SKIFF_CFG_INT:
        if (text) {
            errno = 0;
            long long x = strtoll(r->str, &end, 0);
            if (errno || end == r->str || *end) BAD_TEXT("an integer");
            v->i = x;
        } else if (r->kind == SKIFF_RAW_INT) {
            v->i = r->i;
        } else {
            WRONG_TYPE();
        }
        break;
    case SKIFF_CFG_BOOL:
        if (text) {
            if (parse_bool_text(r->str, &v->b) < 0) BAD_TEXT("a boolean (true or false)");
        } else if (r->kind == SKIFF_RAW_BOOL) {
            v->b = r->b != 0;
        } else {
            WRONG_TYPE();
        }
        break;
    case SKIFF_CFG_DOUBLE:
        if (text) {
            errno = 0;
            double x = strtod(r->str, &end);
            if (errno || end == r->str || *end) BAD_TEXT("a number");
            v->d = x;
        } else if (r->kind == SKIFF_RAW_FLOAT) {
            v->d = r->d;
        } else if (r->kind == SKIFF_RAW_INT) {
            v->d = (double)r->i;
        } else {
            WRONG_TYPE();
        }
        break;
    case SKIFF_CFG_QUANTITY:
        if (text || r->kind == SKIFF_RAW_STRING) {
            if (skiff_quantity_parse(r->str, &v->i, &qerr) < 0) {
                snprintf(msg, msglen, "key \"%s\" in %s: %.300s", key->name, where, qerr.msg);
                return -1;
            }
        } else if (r->kind == SKIFF_RAW_INT) {
            /* A bare number in the file is whole units, as "2" would be. */
            if (r->i > INT64_MAX / 1000 || r->i < INT64_MIN / 1000) {
                snprintf(msg, msglen, "key \"%s\" in %s: quantity %lld is out of range",
                         key->name, where, (long long)r->i);
                return -1;
            }
            v->i = r->i * 1000;
        } else {
            WRONG_TYPE();
        }
        break;
    case SKIFF_CFG_DURATION:
        if (text || r->kind == SKIFF_RAW_STRING) {
            if (skiff_duration_parse(r->str, &v->i, &qerr) < 0) {
                snprintf(msg, msglen, "key \"%s\" in %s: %.300s", key->name, where, qerr.msg);
                return -1;
            }
        } else {
            WRONG_TYPE();
        }
        break;
    case SKIFF_CFG_STRLIST:
        if (text) {
            if (!(v->list = split_list_text(r->str))) return -2;
        } else if (r->kind == SKIFF_RAW_LIST) {
            if (!(v->list = copy_list(r->list, r->list_len))) return -2;
        } else {
            WRONG_TYPE();
        }
        break;
    default:
        snprintf(msg, msglen, "key \"%s\" in %s has unknown type %u", key->name, where,
                 (unsigned)key->type);
        return -1;
    }
#undef WRONG_TYPE
#undef BAD_TEXT
    v->set = 1;
    return 0;
}

static size_t table_len(const skiff_config_key_t *keys)
{
    size_t n = 0;
    while (keys && keys[n].name) n++;
    return n;
}

int skiff_settings_build(const skiff_config_key_t *keys, const char *where,
                         const skiff_raw_setting_t *raw, size_t n,
                         skiff_settings_report_fn report, void *ud, skiff_settings_t **out)
{
    char msg[SKIFF_ERROR_MSG_MAX];
    int problems = 0;
    size_t nk = table_len(keys);
    *out = NULL;

    skiff_settings_t *s = calloc(1, sizeof *s);
    if (!s) return SKIFF_E_NOSPACE;
    s->n = nk;
    s->v = calloc(nk ? nk : 1, sizeof *s->v);
    const char **names = calloc(nk ? nk : 1, sizeof *names);
    char *given = NULL;
    if (!s->v || !names) goto oom;
    for (size_t k = 0; k < nk; k++) {
        s->v[k].key = &keys[k];
        names[k] = keys[k].name;
    }

    /* Keys given but refused are not "missing" as well. */
    given = calloc(nk ? nk : 1, 1);
    if (!given) goto oom;
    for (size_t i = 0; i < n; i++) {
        const skiff_raw_setting_t *r = &raw[i];
        size_t k = 0;
        while (k < nk && strcmp(keys[k].name, r->key) != 0) k++;
        if (k == nk) {
            const char *near = skiff_str_nearest(r->key, names, nk);
            if (near)
                snprintf(msg, sizeof msg, "unknown key \"%s\" in %s; did you mean \"%s\"?",
                         r->key, where, near);
            else
                snprintf(msg, sizeof msg, "unknown key \"%s\" in %s (it takes no settings)",
                         r->key, where);
            report(ud, r->line, msg);
            problems++;
            continue;
        }
        given[k] = 1;
        if (s->v[k].set) {
            /* Later wins, as with repeated command-line flags; libconfig
             * files cannot repeat a key, so this only happens for strings. */
            value_clear(&s->v[k]);
        }
        int rc = convert(&keys[k], where, r, &s->v[k], msg, sizeof msg);
        if (rc == -2) goto oom;
        if (rc < 0) {
            report(ud, r->line, msg);
            problems++;
        }
    }

    for (size_t k = 0; k < nk; k++) {
        setting_value_t *v = &s->v[k];
        if (v->set || given[k]) continue;
        if (keys[k].default_value) {
            skiff_raw_setting_t d = { .key = keys[k].name, .kind = SKIFF_RAW_TEXT,
                                      .str = keys[k].default_value };
            int rc = convert(&keys[k], where, &d, v, msg, sizeof msg);
            if (rc == -2) goto oom;
            if (rc < 0) {
                report(ud, 0, msg);
                problems++;
            }
        } else if (keys[k].flags & SKIFF_CFG_REQUIRED) {
            snprintf(msg, sizeof msg, "missing required key \"%s\" in %s", keys[k].name, where);
            /* The line of the group is unknown here; callers that know it
             * pass raw settings with lines, and report line 0 as the group. */
            report(ud, 0, msg);
            problems++;
        }
    }
    free(names);
    free(given);
    if (problems) {
        skiff_settings_free(s);
        return problems;
    }
    *out = s;
    return 0;
oom:
    free(names);
    free(given);
    skiff_settings_free(s);
    return SKIFF_E_NOSPACE;
}

void skiff_settings_free(skiff_settings_t *s)
{
    if (!s) return;
    for (size_t k = 0; s->v && k < s->n; k++) value_clear(&s->v[k]);
    free(s->v);
    free(s);
}

static const setting_value_t *lookup(const skiff_settings_t *s, const char *key)
{
    for (size_t k = 0; s && key && k < s->n; k++)
        if (strcmp(s->v[k].key->name, key) == 0) return &s->v[k];
    return NULL;
}

int skiff_settings_string(const skiff_settings_t *s, const char *key, const char **out)
{
    const setting_value_t *v = lookup(s, key);
    if (!v || !v->set) return SKIFF_E_NOTFOUND;
    if (v->key->type != SKIFF_CFG_STRING) return SKIFF_E_INVALID;
    *out = v->str;
    return 0;
}

int skiff_settings_int(const skiff_settings_t *s, const char *key, int64_t *out)
{
    const setting_value_t *v = lookup(s, key);
    if (!v || !v->set) return SKIFF_E_NOTFOUND;
    if (v->key->type != SKIFF_CFG_INT && v->key->type != SKIFF_CFG_QUANTITY &&
        v->key->type != SKIFF_CFG_DURATION)
        return SKIFF_E_INVALID;
    *out = v->i;
    return 0;
}

int skiff_settings_bool(const skiff_settings_t *s, const char *key, int *out)
{
    const setting_value_t *v = lookup(s, key);
    if (!v || !v->set) return SKIFF_E_NOTFOUND;
    if (v->key->type != SKIFF_CFG_BOOL) return SKIFF_E_INVALID;
    *out = v->b;
    return 0;
}

int skiff_settings_double(const skiff_settings_t *s, const char *key, double *out)
{
    const setting_value_t *v = lookup(s, key);
    if (!v || !v->set) return SKIFF_E_NOTFOUND;
    if (v->key->type != SKIFF_CFG_DOUBLE) return SKIFF_E_INVALID;
    *out = v->d;
    return 0;
}

int skiff_settings_strlist(const skiff_settings_t *s, const char *key, const char *const **out)
{
    const setting_value_t *v = lookup(s, key);
    if (!v || !v->set) return SKIFF_E_NOTFOUND;
    if (v->key->type != SKIFF_CFG_STRLIST) return SKIFF_E_INVALID;
    *out = (const char *const *)v->list;
    return 0;
}

static size_t fill_size(uint32_t type)
{
    switch (type) {
    case SKIFF_CFG_STRING: return sizeof(const char *);
    case SKIFF_CFG_INT:
    case SKIFF_CFG_QUANTITY:
    case SKIFF_CFG_DURATION: return sizeof(int64_t);
    case SKIFF_CFG_BOOL: return sizeof(int);
    case SKIFF_CFG_DOUBLE: return sizeof(double);
    case SKIFF_CFG_STRLIST: return sizeof(const char *const *);
    }
    return 0;
}

int skiff_settings_fill(const skiff_settings_t *s, void *block, size_t block_size,
                        skiff_error_t *err)
{
    for (size_t k = 0; s && k < s->n; k++) {
        const setting_value_t *v = &s->v[k];
        const skiff_config_key_t *key = v->key;
        if (!(key->flags & SKIFF_CFG_FILL)) continue;
        size_t sz = fill_size(key->type);
        if (!block || key->offset > block_size || sz > block_size - key->offset)
            return skiff_error_set(err, SKIFF_E_INVALID,
                                   "key \"%s\": offset %zu does not fit the %zu-byte instance",
                                   key->name, key->offset, block_size);
        if (!v->set) continue; /* unset, no default: left zero */
        char *at = (char *)block + key->offset;
        switch (key->type) {
        case SKIFF_CFG_STRING: memcpy(at, &v->str, sz); break;
        case SKIFF_CFG_INT:
        case SKIFF_CFG_QUANTITY:
        case SKIFF_CFG_DURATION: memcpy(at, &v->i, sz); break;
        case SKIFF_CFG_BOOL: memcpy(at, &v->b, sz); break;
        case SKIFF_CFG_DOUBLE: memcpy(at, &v->d, sz); break;
        case SKIFF_CFG_STRLIST: memcpy(at, &v->list, sz); break;
        }
    }
    return 0;
}

int skiff_settings_check_table(const skiff_config_key_t *keys, skiff_error_t *err)
{
    size_t nk = table_len(keys);
    for (size_t k = 0; k < nk; k++) {
        const skiff_config_key_t *key = &keys[k];
        if (!skiff_cfg_type_name(key->type))
            return skiff_error_set(err, SKIFF_E_INVALID, "key \"%s\" has unknown type %u",
                                   key->name, (unsigned)key->type);
        for (size_t j = 0; j < k; j++)
            if (strcmp(keys[j].name, key->name) == 0)
                return skiff_error_set(err, SKIFF_E_INVALID, "key \"%s\" is declared twice",
                                       key->name);
        if (key->default_value) {
            skiff_raw_setting_t d = { .key = key->name, .kind = SKIFF_RAW_TEXT,
                                      .str = key->default_value };
            setting_value_t v = { .key = key };
            char msg[SKIFF_ERROR_MSG_MAX];
            int rc = convert(key, "its key table", &d, &v, msg, sizeof msg);
            value_clear(&v);
            if (rc == -2) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
            if (rc < 0)
                return skiff_error_set(err, SKIFF_E_INVALID, "bad default: %s", msg);
        }
    }
    return 0;
}

int skiff_settings_check_fill(const skiff_config_key_t *keys, size_t instance_size,
                              skiff_error_t *err)
{
    for (size_t k = 0; keys && keys[k].name; k++) {
        if (!(keys[k].flags & SKIFF_CFG_FILL)) continue;
        size_t sz = fill_size(keys[k].type);
        if (keys[k].offset > instance_size || sz > instance_size - keys[k].offset)
            return skiff_error_set(err, SKIFF_E_INVALID,
                                   "key \"%s\" is filled at offset %zu, outside the %zu-byte instance",
                                   keys[k].name, keys[k].offset, instance_size);
    }
    return 0;
}
