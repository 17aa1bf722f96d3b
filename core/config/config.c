/* Loading and checking a cluster config file; see config.h. */
#include "config/config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/suggest.h"

typedef struct found {
    int line;
    int seq;
    char *text; /* "FILE:LINE: message" */
} found_t;

typedef struct loader {
    skiff_cluster_config_t *cfg;
    int problems;
    found_t *found; /* reported sorted by line once the whole file is checked */
    size_t n_found, cap_found;
    int oom;
} loader_t;

static void problem(loader_t *L, int line, const char *fmt, ...) SKIFF_PRINTF(3, 4);
static void problem(loader_t *L, int line, const char *fmt, ...)
{
    char msg[SKIFF_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    L->problems++;
    if (L->n_found == L->cap_found) {
        size_t cap = L->cap_found ? L->cap_found * 2 : 16;
        found_t *nf = realloc(L->found, cap * sizeof *nf);
        if (!nf) { L->oom = 1; return; }
        L->found = nf;
        L->cap_found = cap;
    }
    char *text = NULL;
    int rc = line > 0 ? asprintf(&text, "%s:%d: %s", L->cfg->file, line, msg)
                      : asprintf(&text, "%s: %s", L->cfg->file, msg);
    if (rc < 0) { L->oom = 1; return; }
    L->found[L->n_found] = (found_t){ line, (int)L->n_found, text };
    L->n_found++;
}

static int cmp_found(const void *a, const void *b)
{
    const found_t *x = a, *y = b;
    if (x->line != y->line) return x->line < y->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Hand every problem to report in line order (file-level ones first). */
static void flush_problems(loader_t *L, skiff_config_report_fn report, void *ud,
                           skiff_error_t *err)
{
    if (L->n_found) qsort(L->found, L->n_found, sizeof *L->found, cmp_found);
    for (size_t i = 0; i < L->n_found; i++) {
        if (report)
            report(ud, L->found[i].text);
        else
            fprintf(stderr, "%s\n", L->found[i].text);
    }
    if (L->n_found)
        skiff_error_set(err, SKIFF_E_INVALID, "%d problem%s, the first: %s", L->problems,
                        L->problems == 1 ? "" : "s", L->found[0].text);
    for (size_t i = 0; i < L->n_found; i++) free(L->found[i].text);
    free(L->found);
    L->found = NULL;
    L->n_found = 0;
}

/* Settings problems come with line 0 when they concern the group as a whole
 * (a missing key, a bad default); they get the group's line. */
typedef struct group_report {
    loader_t *L;
    int line;
} group_report_t;

static void settings_problem(void *ud, int line, const char *msg)
{
    group_report_t *g = ud;
    problem(g->L, line > 0 ? line : g->line, "%s", msg);
}

static const char *type_word(int type)
{
    switch (type) {
    case CONFIG_TYPE_GROUP: return "group";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: return "int";
    case CONFIG_TYPE_FLOAT: return "float";
    case CONFIG_TYPE_STRING: return "string";
    case CONFIG_TYPE_BOOL: return "bool";
    case CONFIG_TYPE_ARRAY: return "array";
    case CONFIG_TYPE_LIST: return "list";
    }
    return "value";
}

static int line_of(const config_setting_t *s)
{
    return s ? (int)config_setting_source_line(s) : 0;
}

static void free_raw(skiff_raw_setting_t *raw, size_t n)
{
    for (size_t i = 0; raw && i < n; i++) free((void *)raw[i].list);
    free(raw);
}

/* The members of a libconfig group as raw typed settings. Strings are
 * borrowed from the parsed file; list arrays are allocated (free_raw). */
/* A member a component reads itself (skiff_component_t.groups). */
static int is_own_group(const char *const *groups, const char *name)
{
    for (const char *const *p = groups; p && *p; p++)
        if (name && strcmp(*p, name) == 0) return 1;
    return 0;
}

static int raw_from_group_skip(const config_setting_t *g, const char *const *skip,
                               skiff_raw_setting_t **out, size_t *n_out)
{
    int n = g ? config_setting_length(g) : 0;
    *out = NULL;
    *n_out = 0;
    skiff_raw_setting_t *raw = calloc(n > 0 ? (size_t)n : 1, sizeof *raw);
    if (!raw) return -1;
    int i = 0;
    for (int k = 0; k < n; k++) {
        config_setting_t *s = config_setting_get_elem(g, (unsigned)k);
        if (is_own_group(skip, config_setting_name(s))) continue;
        skiff_raw_setting_t *r = &raw[i++];
        r->key = config_setting_name(s);
        r->line = line_of(s);
        switch (config_setting_type(s)) {
        case CONFIG_TYPE_INT:
        case CONFIG_TYPE_INT64:
            r->kind = SKIFF_RAW_INT;
            r->i = config_setting_get_int64(s);
            break;
        case CONFIG_TYPE_FLOAT:
            r->kind = SKIFF_RAW_FLOAT;
            r->d = config_setting_get_float(s);
            break;
        case CONFIG_TYPE_STRING:
            r->kind = SKIFF_RAW_STRING;
            r->str = config_setting_get_string(s);
            break;
        case CONFIG_TYPE_BOOL:
            r->kind = SKIFF_RAW_BOOL;
            r->b = config_setting_get_bool(s);
            break;
        case CONFIG_TYPE_ARRAY:
        case CONFIG_TYPE_LIST: {
            int m = config_setting_length(s);
            const char **list = calloc((size_t)m + 1, sizeof *list);
            if (!list) {
                *out = raw;
                *n_out = (size_t)i;
                return -1;
            }
            r->kind = SKIFF_RAW_LIST;
            for (int j = 0; j < m; j++) {
                const config_setting_t *e = config_setting_get_elem(s, (unsigned)j);
                if (config_setting_type(e) != CONFIG_TYPE_STRING) {
                    r->kind = SKIFF_RAW_OTHER;
                    break;
                }
                list[j] = config_setting_get_string(e);
            }
            r->list = list;
            r->list_len = (size_t)m;
            break;
        }
        default:
            r->kind = SKIFF_RAW_OTHER;
            break;
        }
    }
    *out = raw;
    *n_out = (size_t)i;
    return 0;
}

static int raw_from_group(const config_setting_t *g, skiff_raw_setting_t **out, size_t *n_out)
{
    return raw_from_group_skip(g, NULL, out, n_out);
}

/* "key=value" strings for the raw settings, NULL-terminated. */
static char **kv_from_raw(const skiff_raw_setting_t *raw, size_t n)
{
    char **kv = calloc(n + 1, sizeof *kv);
    if (!kv) return NULL;
    for (size_t i = 0; i < n; i++) {
        const skiff_raw_setting_t *r = &raw[i];
        char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);
        if (!f) goto fail;
        fprintf(f, "%s=", r->key);
        switch (r->kind) {
        case SKIFF_RAW_TEXT:
        case SKIFF_RAW_STRING: fputs(r->str, f); break;
        case SKIFF_RAW_INT: fprintf(f, "%lld", (long long)r->i); break;
        case SKIFF_RAW_FLOAT: fprintf(f, "%.17g", r->d); break;
        case SKIFF_RAW_BOOL: fputs(r->b ? "true" : "false", f); break;
        case SKIFF_RAW_LIST:
            for (size_t j = 0; j < r->list_len; j++) fprintf(f, "%s%s", j ? "," : "", r->list[j]);
            break;
        case SKIFF_RAW_OTHER: break;
        }
        if (fclose(f) != 0 || !s) {
            free(s);
            goto fail;
        }
        kv[i] = s;
    }
    return kv;
fail:
    for (size_t i = 0; i < n; i++) free(kv[i]);
    free(kv);
    return NULL;
}

static void registry_problem(void *ud, const skiff_error_t *e)
{
    group_report_t *g = ud;
    problem(g->L, g->line, "%s", e->msg);
}

static char *join_path(const char *dir, const char *p)
{
    char *out = NULL;
    if (p[0] == '/' || !dir || !*dir)
        out = strdup(p);
    else if (asprintf(&out, "%s/%s", dir, p) < 0)
        out = NULL;
    return out;
}

static void load_plugin_path(loader_t *L, const config_setting_t *pp)
{
    skiff_cluster_config_t *cfg = L->cfg;
    int line = line_of(pp);
    int n = 0;
    if (pp) {
        int t = config_setting_type(pp);
        if (t == CONFIG_TYPE_STRING) {
            n = 1;
        } else if (t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST) {
            n = config_setting_length(pp);
            for (int i = 0; i < n; i++) {
                if (config_setting_type(config_setting_get_elem(pp, (unsigned)i)) !=
                    CONFIG_TYPE_STRING) {
                    problem(L, line, "plugin_path must be a string or a list of strings");
                    return;
                }
            }
        } else {
            problem(L, line, "plugin_path must be a string or a list of strings (got %s)",
                    type_word(t));
            return;
        }
    }
    cfg->plugin_path = calloc((size_t)(n ? n : 1) + 1, sizeof *cfg->plugin_path);
    if (!cfg->plugin_path) { L->oom = 1; return; }
    if (!pp) {
        char def[PATH_MAX];
        if (skiff_plugin_default_dir(def, sizeof def) < 0 ||
            !(cfg->plugin_path[0] = strdup(def))) { L->oom = 1; return; }
        cfg->n_plugin_path = 1;
    } else {
        for (int i = 0; i < n; i++) {
            const char *p = config_setting_type(pp) == CONFIG_TYPE_STRING
                                ? config_setting_get_string(pp)
                                : config_setting_get_string_elem(pp, i);
            if (!(cfg->plugin_path[i] = join_path(cfg->dir, p))) { L->oom = 1; return; }
            cfg->n_plugin_path++;
        }
    }
    group_report_t g = { L, line };
    struct stat st;
    /* Only paths the file names must exist; a missing default is just empty. */
    if (!pp && stat(cfg->plugin_path[0], &st) < 0) return;
    for (size_t i = 0; i < cfg->n_plugin_path; i++)
        skiff_registry_add_path(cfg->registry, cfg->plugin_path[i], registry_problem, &g);
}

static void load_components(loader_t *L, const config_setting_t *root)
{
    skiff_cluster_config_t *cfg = L->cfg;
    size_t nc;
    const skiff_component_t *comps = skiff_components(&nc);
    const char **names = calloc(nc, sizeof *names);
    cfg->components = calloc(nc, sizeof *cfg->components);
    if (!names || !cfg->components) { free(names); L->oom = 1; return; }
    cfg->n_components = nc;
    for (size_t i = 0; i < nc; i++) {
        names[i] = comps[i].name;
        cfg->components[i].component = &comps[i];
    }

    const config_setting_t *en = config_setting_get_member(root, "components");
    if (en && config_setting_type(en) != CONFIG_TYPE_GROUP) {
        problem(L, line_of(en), "components must be a group, e.g. components = { apiserver = true; }");
        en = NULL;
    }
    for (int i = 0; en && i < config_setting_length(en); i++) {
        const config_setting_t *s = config_setting_get_elem(en, (unsigned)i);
        const char *name = config_setting_name(s);
        size_t c = 0;
        while (c < nc && strcmp(names[c], name) != 0) c++;
        if (c == nc) {
            problem(L, line_of(s), "unknown component \"%s\" in components; did you mean \"%s\"?",
                    name, skiff_str_nearest(name, names, nc));
            continue;
        }
        if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
            problem(L, line_of(s), "key \"%s\" in components: expected bool, got %s", name,
                    type_word(config_setting_type(s)));
            continue;
        }
        cfg->components[c].enabled = config_setting_get_bool(s);
    }

    for (size_t c = 0; c < nc; c++) {
        skiff_component_conf_t *cc = &cfg->components[c];
        const config_setting_t *g = config_setting_get_member(root, comps[c].name);
        if (g && config_setting_type(g) != CONFIG_TYPE_GROUP) {
            problem(L, line_of(g), "%s must be a group of settings, e.g. %s = { ... };",
                    comps[c].name, comps[c].name);
            g = NULL;
        }
        cc->setting = g;
        skiff_raw_setting_t *raw;
        size_t n;
        if (raw_from_group_skip(g, comps[c].groups, &raw, &n) < 0) { free_raw(raw, n); L->oom = 1; break; }
        group_report_t gr = { L, line_of(g) };
        int rc = skiff_settings_build(comps[c].keys, comps[c].name, raw, n, settings_problem, &gr,
                                      &cc->settings);
        free_raw(raw, n);
        if (rc == SKIFF_E_NOSPACE) { L->oom = 1; break; }
    }
    free(names);
}

/* Names of every loaded plugin of `kind`, for "did you mean". */
static size_t plugin_names(const skiff_registry_t *reg, uint32_t kind, const char **names,
                           size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < skiff_registry_count(reg); i++) {
        const skiff_plugin_t *d = skiff_registry_at(reg, i);
        if (d->kind == kind && n < max) names[n++] = d->name;
    }
    return n;
}

static void path_list(const skiff_cluster_config_t *cfg, char *buf, size_t len)
{
    size_t used = 0;
    snprintf(buf, len, "%s", cfg->n_plugin_path ? "" : "empty");
    for (size_t i = 0; i < cfg->n_plugin_path && used < len; i++) {
        int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", cfg->plugin_path[i]);
        if (w < 0) break;
        used += (size_t)w;
    }
}

static void resolve_plugin(loader_t *L, skiff_plugin_conf_t *pc, const char *kind_name)
{
    const skiff_registry_t *reg = L->cfg->registry;
    pc->desc = skiff_registry_find(reg, pc->kind, pc->plugin);
    if (pc->desc) return;
    for (size_t i = 0; i < skiff_registry_count(reg); i++) {
        const skiff_plugin_t *d = skiff_registry_at(reg, i);
        if (strcmp(d->name, pc->plugin) == 0) {
            problem(L, pc->line, "plugin \"%s\" in plugins.%s is a %s plugin (%s), not a %s plugin",
                    pc->plugin, kind_name, skiff_kind_name(d->kind),
                    skiff_registry_path_at(reg, i), kind_name);
            return;
        }
    }
    const char *names[256];
    size_t n = plugin_names(reg, pc->kind, names, 256);
    char paths[1024];
    path_list(L->cfg, paths, sizeof paths);
    const char *near = skiff_str_nearest(pc->plugin, names, n);
    if (near)
        problem(L, pc->line, "no %s plugin \"%s\" in the plugin path (%s); did you mean \"%s\"?",
                kind_name, pc->plugin, paths, near);
    else
        problem(L, pc->line, "no %s plugin \"%s\" in the plugin path (%s)", kind_name, pc->plugin,
                paths);
}

static void load_plugin_entry(loader_t *L, skiff_kind_t kind, const char *kind_name,
                              const config_setting_t *e)
{
    static const char *const entry_keys[] = { "plugin", "instance", "settings" };
    skiff_cluster_config_t *cfg = L->cfg;
    skiff_plugin_conf_t *pc = &cfg->plugins[cfg->n_plugins];
    memset(pc, 0, sizeof *pc); /* a refused entry before may have left fields */
    pc->kind = kind;
    pc->line = line_of(e);
    if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
        problem(L, pc->line, "plugins.%s entries must be groups, e.g. { plugin = \"name\"; }",
                kind_name);
        return;
    }
    int bad = 0;
    for (int i = 0; i < config_setting_length(e); i++) {
        const config_setting_t *s = config_setting_get_elem(e, (unsigned)i);
        const char *name = config_setting_name(s);
        size_t k = 0;
        while (k < 3 && strcmp(entry_keys[k], name) != 0) k++;
        if (k == 3) {
            problem(L, line_of(s), "unknown key \"%s\" in a plugins.%s entry; did you mean \"%s\"?",
                    name, kind_name, skiff_str_nearest(name, entry_keys, 3));
            bad = 1;
            continue;
        }
        int want = k == 2 ? CONFIG_TYPE_GROUP : CONFIG_TYPE_STRING;
        if (config_setting_type(s) != want) {
            problem(L, line_of(s), "key \"%s\" in a plugins.%s entry: expected %s, got %s", name,
                    kind_name, type_word(want), type_word(config_setting_type(s)));
            bad = 1;
            continue;
        }
        if (k == 0) pc->plugin = config_setting_get_string(s);
        if (k == 1) pc->instance = config_setting_get_string(s);
        if (k == 2) pc->setting = s;
    }
    if (!pc->plugin) {
        if (!bad || !config_setting_get_member(e, "plugin"))
            problem(L, pc->line, "missing required key \"plugin\" in a plugins.%s entry", kind_name);
        return;
    }
    if (!pc->instance) pc->instance = pc->plugin;
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        const skiff_plugin_conf_t *o = &cfg->plugins[i];
        if (o->kind == kind && o->instance && strcmp(o->instance, pc->instance) == 0) {
            problem(L, pc->line, "duplicate %s instance \"%s\" (first at line %d); "
                    "give one an `instance` name", kind_name, pc->instance, o->line);
            return;
        }
    }
    if (raw_from_group(pc->setting, &pc->raw, &pc->n_raw) < 0 ||
        !(pc->kv = kv_from_raw(pc->raw, pc->n_raw))) {
        L->oom = 1;
        cfg->n_plugins++; /* so config_free releases raw */
        return;
    }
    cfg->n_plugins++;
    resolve_plugin(L, pc, kind_name);
    if (!pc->desc) return;
    char where[160];
    snprintf(where, sizeof where, "%s/%s", kind_name, pc->plugin);
    group_report_t gr = { L, pc->setting ? line_of(pc->setting) : pc->line };
    skiff_settings_t *s = NULL;
    int rc = skiff_settings_build(pc->desc->config, where, pc->raw, pc->n_raw, settings_problem,
                                  &gr, &s);
    if (rc == SKIFF_E_NOSPACE) L->oom = 1;
    skiff_settings_free(s);
}

static void load_plugins(loader_t *L, const config_setting_t *root)
{
    skiff_cluster_config_t *cfg = L->cfg;
    const config_setting_t *pl = config_setting_get_member(root, "plugins");
    if (!pl) return;
    if (config_setting_type(pl) != CONFIG_TYPE_GROUP) {
        problem(L, line_of(pl), "plugins must be a group, e.g. plugins = { store = ( ... ); }");
        return;
    }
    size_t total = 0, nk;
    const char *const *kinds = skiff_kind_names(&nk);
    for (int i = 0; i < config_setting_length(pl); i++) {
        const config_setting_t *l = config_setting_get_elem(pl, (unsigned)i);
        int t = config_setting_type(l);
        total += t == CONFIG_TYPE_LIST ? (size_t)config_setting_length(l) : 0;
    }
    cfg->plugins = calloc(total ? total : 1, sizeof *cfg->plugins);
    if (!cfg->plugins) { L->oom = 1; return; }
    for (int i = 0; i < config_setting_length(pl) && !L->oom; i++) {
        const config_setting_t *l = config_setting_get_elem(pl, (unsigned)i);
        const char *kname = config_setting_name(l);
        skiff_kind_t kind;
        if (skiff_kind_parse(kname, &kind) < 0) {
            problem(L, line_of(l), "unknown plugin kind \"%s\" in plugins; did you mean \"%s\"?",
                    kname, skiff_str_nearest(kname, kinds, nk));
            continue;
        }
        if (config_setting_type(l) != CONFIG_TYPE_LIST) {
            problem(L, line_of(l),
                    "plugins.%s must be a list of groups, e.g. %s = ( { plugin = \"name\"; } );",
                    kname, kname);
            continue;
        }
        for (int j = 0; j < config_setting_length(l) && !L->oom; j++)
            load_plugin_entry(L, kind, kname, config_setting_get_elem(l, (unsigned)j));
    }
}

static void check_top_level(loader_t *L, const config_setting_t *root)
{
    size_t nc;
    const skiff_component_t *comps = skiff_components(&nc);
    const char *names[64];
    size_t n = 0;
    names[n++] = "plugin_path";
    names[n++] = "components";
    names[n++] = "plugins";
    for (size_t i = 0; i < nc && n < 64; i++) names[n++] = comps[i].name;
    for (int i = 0; i < config_setting_length(root); i++) {
        const config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
        const char *name = config_setting_name(s);
        size_t k = 0;
        while (k < n && strcmp(names[k], name) != 0) k++;
        if (k == n)
            problem(L, line_of(s), "unknown top-level key \"%s\"; did you mean \"%s\"?", name,
                    skiff_str_nearest(name, names, n));
    }
}

int skiff_config_load(const char *file, skiff_config_report_fn report, void *ud,
                      skiff_cluster_config_t **out, skiff_error_t *err)
{
    *out = NULL;
    skiff_cluster_config_t *cfg = calloc(1, sizeof *cfg);
    if (!cfg) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    config_init(&cfg->cfg);
    loader_t L = { .cfg = cfg };
    cfg->file = strdup(file);
    const char *slash = strrchr(file, '/');
    cfg->dir = slash ? strndup(file, (size_t)(slash - file) + (slash == file)) : strdup(".");
    if (!cfg->file || !cfg->dir || skiff_registry_new(&cfg->registry, err) < 0) {
        skiff_config_free(cfg);
        return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    }
    config_set_include_dir(&cfg->cfg, cfg->dir);

    if (config_read_file(&cfg->cfg, file) != CONFIG_TRUE) {
        if (config_error_type(&cfg->cfg) == CONFIG_ERR_FILE_IO)
            problem(&L, 0, "cannot read the config file: %m");
        else
            problem(&L, config_error_line(&cfg->cfg), "%s (libconfig syntax, see docs/config.md)",
                    config_error_text(&cfg->cfg));
    } else {
        const config_setting_t *root = config_root_setting(&cfg->cfg);
        check_top_level(&L, root);
        load_plugin_path(&L, config_setting_get_member(root, "plugin_path"));
        if (!L.oom) load_components(&L, root);
        if (!L.oom) load_plugins(&L, root);
    }
    if (L.oom) {
        flush_problems(&L, NULL, NULL, NULL);
        skiff_config_free(cfg);
        return skiff_error_set(err, SKIFF_E_NOSPACE, "%s: out of memory", file);
    }
    if (L.problems) {
        flush_problems(&L, report, ud, err);
        skiff_config_free(cfg);
        return SKIFF_E_INVALID;
    }
    *out = cfg;
    return 0;
}

void skiff_config_free(skiff_cluster_config_t *cfg)
{
    if (!cfg) return;
    for (size_t i = 0; cfg->plugins && i < cfg->n_plugins; i++) {
        skiff_plugin_conf_t *pc = &cfg->plugins[i];
        free_raw(pc->raw, pc->n_raw);
        for (char **k = pc->kv; k && *k; k++) free(*k);
        free(pc->kv);
    }
    free(cfg->plugins);
    for (size_t i = 0; cfg->components && i < cfg->n_components; i++)
        skiff_settings_free(cfg->components[i].settings);
    free(cfg->components);
    for (size_t i = 0; cfg->plugin_path && i < cfg->n_plugin_path; i++)
        free(cfg->plugin_path[i]);
    free(cfg->plugin_path);
    skiff_registry_free(cfg->registry);
    config_destroy(&cfg->cfg);
    free(cfg->file);
    free(cfg->dir);
    free(cfg);
}

const skiff_component_conf_t *skiff_config_component(const skiff_cluster_config_t *cfg,
                                                     const char *name)
{
    for (size_t i = 0; cfg && i < cfg->n_components; i++)
        if (strcmp(cfg->components[i].component->name, name) == 0) return &cfg->components[i];
    return NULL;
}

int skiff_config_enabled(const skiff_cluster_config_t *cfg, const char *name)
{
    const skiff_component_conf_t *c = skiff_config_component(cfg, name);
    return c && c->enabled;
}
