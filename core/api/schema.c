/* The schema table; see schema.h and core/api/schema.txt. */
#include "api/schema.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/json_limits.h"

extern const char skiff_api_schema_text[];

static skiff_api_stype_t *types;
static int ntypes;
static int load_rc = 1; /* 1 = not yet */
static char load_msg[SKIFF_ERROR_MSG_MAX];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static const struct { const char *short_name, *prefix; } packages[] = {
    { "core", "io.k8s.api.core.v1." },
    { "apps", "io.k8s.api.apps.v1." },
    { "meta", "io.k8s.apimachinery.pkg.apis.meta.v1." },
    { "coordination", "io.k8s.api.coordination.v1." },
    { "discovery", "io.k8s.api.discovery.v1." },
    { "admissionregistration", "io.k8s.api.admissionregistration.v1." },
    { "scheduling", "io.k8s.api.scheduling.v1." },
    { "policy", "io.k8s.api.policy.v1." },
    { "rbac", "io.k8s.api.rbac.v1." },
    { "authorization", "io.k8s.api.authorization.v1." },
    { "authentication", "io.k8s.api.authentication.v1." },
};

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = '\0';
    return s;
}

static int fail(int line, const char *why)
{
    snprintf(load_msg, sizeof load_msg, "core/api/schema.txt:%d: %s", line, why);
    return SKIFF_E_INVALID;
}

/* A grown array; on failure the table is unusable anyway (load fails). */
static void *grow(void *p, int n, size_t sz)
{
    if (n & (n - 1)) return p; /* only at powers of two */
    return realloc(p, (size_t)(n ? n * 2 : 8) * sz);
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const skiff_api_sfield_t *const *)a)->name, (*(const skiff_api_sfield_t *const *)b)->name);
}

static int parse(void)
{
    char *text = strdup(skiff_api_schema_text); /* split in place; kept for life */
    if (!text) return fail(0, "out of memory");
    skiff_api_stype_t *cur = NULL;
    skiff_api_sfield_t *fields = NULL;
    int nf = 0, line = 0;
    for (char *l = text, *next; l; l = next) {
        next = strchr(l, '\n');
        if (next) *next++ = '\0';
        line++;
        char *s = trim(l);
        if (!*s || *s == '#') continue;
        char *bar = strstr(s, " | ");
        char *desc = "";
        if (bar) { *bar = '\0'; desc = trim(bar + 3); }
        char *words[8];
        int nw = 0;
        for (char *sv = NULL, *w = strtok_r(s, " \t", &sv); w && nw < 8; w = strtok_r(NULL, " \t", &sv)) words[nw++] = w;
        if (!nw) continue;
        int is_pkg = 0; /* "type Name package": a field may be named type too ("type string") */
        for (size_t i = 0; nw >= 3 && i < sizeof packages / sizeof packages[0]; i++)
            is_pkg |= !strcmp(packages[i].short_name, words[2]);
        if (!strcmp(words[0], "type") && is_pkg) {
            if (cur) { cur->fields = fields; cur->nfields = nf; }
            if (!(types = grow(types, ntypes, sizeof *types))) return fail(line, "out of memory");
            cur = &types[ntypes++];
            memset(cur, 0, sizeof *cur);
            fields = NULL;
            nf = 0;
            cur->name = words[1];
            cur->desc = desc;
            cur->open = nw > 3 && !strcmp(words[3], "open");
            const char *prefix = NULL;
            for (size_t i = 0; i < sizeof packages / sizeof packages[0]; i++)
                if (!strcmp(packages[i].short_name, words[2])) prefix = packages[i].prefix;
            if (!prefix) return fail(line, "unknown package");
            char *full = malloc(strlen(prefix) + strlen(words[1]) + 1);
            if (!full) return fail(line, "out of memory");
            sprintf(full, "%s%s", prefix, words[1]);
            cur->full = full;
            continue;
        }
        if (!cur) return fail(line, "a field before any type");
        if (!strcmp(words[0], "gvk")) {
            if (nw != 4) return fail(line, "gvk needs group (- for core), version and kind");
            cur->group = strcmp(words[1], "-") ? words[1] : "";
            cur->version = words[2];
            cur->kind = words[3];
            continue;
        }
        if (nw < 2) return fail(line, "a field needs a name and a type");
        if (!(fields = grow(fields, nf, sizeof *fields))) return fail(line, "out of memory");
        skiff_api_sfield_t *f = &fields[nf++];
        memset(f, 0, sizeof *f);
        size_t ln = strlen(words[0]);
        if (ln && words[0][ln - 1] == '!') { words[0][ln - 1] = '\0'; f->flags |= SKIFF_API_SF_REQUIRED; }
        f->name = words[0];
        f->type = words[1];
        f->desc = desc;
        for (int i = 2; i < nw; i++) {
            if (!strncmp(words[i], "merge=", 6)) f->merge_key = words[i] + 6;
            else if (!strcmp(words[i], "set")) f->flags |= SKIFF_API_SF_SET;
            else if (!strcmp(words[i], "atomic")) f->flags |= SKIFF_API_SF_ATOMIC;
            else if (!strcmp(words[i], "retainKeys")) f->flags |= SKIFF_API_SF_RETAIN;
            else return fail(line, "unknown field tag");
        }
    }
    if (cur) { cur->fields = fields; cur->nfields = nf; }
    /* every referenced type must exist: a typo in the table is a build defect */
    for (int i = 0; i < ntypes; i++) {
        skiff_api_sfield_t *fs = (skiff_api_sfield_t *)types[i].fields;
        const skiff_api_sfield_t **sorted = calloc((size_t)types[i].nfields + 1, sizeof *sorted);
        if (!sorted) return fail(0, "out of memory");
        for (int j = 0; j < types[i].nfields; j++) sorted[j] = &fs[j];
        qsort(sorted, (size_t)types[i].nfields, sizeof *sorted, by_name);
        types[i].sorted = sorted;
        for (int j = 0; j < types[i].nfields; j++) {
            const char *t = types[i].fields[j].type;
            while (!strncmp(t, "[]", 2)) { t += 2; fs[j].list_depth++; }
            if (!strncmp(t, "map[string]", 11)) { t += 11; fs[j].is_map = 1; }
            for (int k = 0; k < ntypes; k++) if (!strcmp(types[k].name, t)) fs[j].elem = &types[k];
            static const char *const prim[] = { "string", "int32", "int64", "number", "bool", "Time", "Quantity",
                                                "IntOrString", "object", NULL };
            int ok = 0;
            for (int k = 0; prim[k] && !ok; k++) ok = !strcmp(prim[k], t);
            for (int k = 0; k < ntypes && !ok; k++) ok = !strcmp(types[k].name, t);
            if (!ok) {
                snprintf(load_msg, sizeof load_msg, "core/api/schema.txt: %s.%s: unknown type %s", types[i].name,
                         types[i].fields[j].name, t);
                return SKIFF_E_INVALID;
            }
        }
    }
    return 0;
}

static void load_once(void) { load_rc = parse(); }

int skiff_api_schema_load(skiff_error_t *err)
{
    pthread_once(&once, load_once);
    if (load_rc) return skiff_error_set(err, load_rc, "%s", load_msg);
    return 0;
}

const skiff_api_stype_t *skiff_api_schema_types(int *n)
{
    if (skiff_api_schema_load(NULL)) { *n = 0; return NULL; }
    *n = ntypes;
    return types;
}

const skiff_api_stype_t *skiff_api_schema_type(const char *name)
{
    if (skiff_api_schema_load(NULL) || !name) return NULL;
    for (int i = 0; i < ntypes; i++)
        if (!strcmp(types[i].name, name)) return &types[i];
    return NULL;
}

const skiff_api_stype_t *skiff_api_schema_kind(const char *group, const char *kind)
{
    if (skiff_api_schema_load(NULL) || !kind) return NULL;
    for (int i = 0; i < ntypes; i++)
        if (types[i].kind && !strcmp(types[i].kind, kind) && !strcmp(types[i].group, group ? group : ""))
            return &types[i];
    return NULL;
}

const skiff_api_sfield_t *skiff_api_schema_member(const skiff_api_stype_t *t, const char *name)
{
    int lo = 0, hi = t && t->sorted ? t->nfields - 1 : -1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2, d = strcmp(t->sorted[mid]->name, name);
        if (!d) return t->sorted[mid];
        if (d < 0) lo = mid + 1; else hi = mid - 1;
    }
    return NULL;
}

const char *skiff_api_schema_ref(const char *type)
{
    if (!strcmp(type, "Time")) return "io.k8s.apimachinery.pkg.apis.meta.v1.Time";
    if (!strcmp(type, "Quantity")) return "io.k8s.apimachinery.pkg.api.resource.Quantity";
    if (!strcmp(type, "IntOrString")) return "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
    const skiff_api_stype_t *t = skiff_api_schema_type(type);
    return t ? t->full : NULL;
}

/* ---- unknown fields --------------------------------------------------------- */

/* The path is kept as a stack of segments and printed only for an unknown
 * field: the walk runs on every create. */
#define MAX_SEGS 64
typedef struct {
    skiff_api_unknown_cb cb;
    void *ud;
    int n, stop, depth;
    struct { const char *name; int index; } seg[MAX_SEGS]; /* name NULL = [index] */
} unk_t;

static void unk_report(unk_t *u, const char *last)
{
    char path[1024];
    size_t o = 0;
    path[0] = '\0';
    for (int i = 0; i <= u->depth && o < sizeof path; i++) {
        const char *nm = i < u->depth ? u->seg[i].name : last;
        if (i < u->depth && !nm) o += (size_t)snprintf(path + o, sizeof path - o, "[%d]", u->seg[i].index);
        else o += (size_t)snprintf(path + o, sizeof path - o, "%s%s", o ? "." : "", nm);
    }
    u->n++;
    if (u->cb && u->cb(u->ud, path)) u->stop = 1;
}

static void unk_obj(unk_t *u, const skiff_api_stype_t *t, const cJSON *obj);

/* A value of field f, with `lists` list levels still to open. */
static void unk_value(unk_t *u, const skiff_api_sfield_t *f, int lists, const cJSON *v)
{
    if (u->stop || u->depth >= MAX_SEGS - 1) return;
    if (lists) {
        if (!cJSON_IsArray(v)) return;
        int i = 0;
        for (const cJSON *it = v->child; it && !u->stop; it = it->next, i++) {
            u->seg[u->depth].name = NULL;
            u->seg[u->depth].index = i;
            u->depth++;
            unk_value(u, f, lists - 1, it);
            u->depth--;
        }
        return;
    }
    if (f->is_map) {
        if (!cJSON_IsObject(v)) return;
        for (const cJSON *m = v->child; m && !u->stop; m = m->next) {
            u->seg[u->depth].name = m->string;
            u->depth++;
            if (cJSON_IsObject(m)) unk_obj(u, f->elem, m);
            u->depth--;
        }
        return;
    }
    if (cJSON_IsObject(v)) unk_obj(u, f->elem, v);
}

static void unk_obj(unk_t *u, const skiff_api_stype_t *t, const cJSON *obj)
{
    if (!t || u->depth >= MAX_SEGS - 1 || u->depth > SKIFF_API_MAX_DEPTH) return;
    for (const cJSON *m = obj->child; m && !u->stop; m = m->next) {
        if (!m->string || m->string[0] == '$') continue; /* patch directives ($patch, $setElementOrder/...) */
        const skiff_api_sfield_t *f = skiff_api_schema_member(t, m->string);
        if (!f) {
            if (!t->open) unk_report(u, m->string);
            continue;
        }
        if (!f->elem || (!cJSON_IsObject(m) && !cJSON_IsArray(m))) continue; /* primitives: nothing below */
        u->seg[u->depth].name = m->string;
        u->depth++;
        unk_value(u, f, f->list_depth, m);
        u->depth--;
    }
}

int skiff_api_schema_unknown(const skiff_api_stype_t *t, const cJSON *obj, skiff_api_unknown_cb cb, void *ud)
{
    if (!t || !cJSON_IsObject(obj)) return 0;
    unk_t u = { .cb = cb, .ud = ud };
    unk_obj(&u, t, obj);
    return u.n;
}
