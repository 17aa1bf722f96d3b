/* The set of loaded plugin files; see plugin.h. */
#include "plugin/internal.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct entry {
    void *handle;
    char *path;
    char *real;          /* realpath, to skip a file reached twice */
    skiff_plugin_t desc; /* normalised copy; its pointers point into the file */
} entry_t;

struct skiff_registry {
    entry_t **e; /* entries are allocated one by one so descriptors never move */
    size_t n, cap;
};

static const char *const kind_names[] = {
    [SKIFF_KIND_SCHEDULER] = "scheduler", [SKIFF_KIND_RUNTIME] = "runtime",
    [SKIFF_KIND_NETWORK] = "network",     [SKIFF_KIND_ADMISSION] = "admission",
    [SKIFF_KIND_STORE] = "store",
};
#define KIND_MAX SKIFF_KIND_STORE

const char *skiff_kind_name(uint32_t kind)
{
    return kind >= 1 && kind <= KIND_MAX ? kind_names[kind] : NULL;
}

int skiff_kind_parse(const char *name, skiff_kind_t *out)
{
    for (uint32_t k = 1; name && k <= KIND_MAX; k++) {
        if (strcmp(kind_names[k], name) == 0) {
            *out = (skiff_kind_t)k;
            return 0;
        }
    }
    return SKIFF_E_NOTFOUND;
}

const char *const *skiff_kind_names(size_t *n)
{
    *n = KIND_MAX;
    return kind_names + 1;
}

int skiff_registry_new(skiff_registry_t **out, skiff_error_t *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out) return skiff_error_set(err, SKIFF_E_NOSPACE, "out of memory");
    return 0;
}

void skiff_registry_free(skiff_registry_t *reg)
{
    if (!reg) return;
    /* Unload in reverse load order. */
    for (size_t i = reg->n; i-- > 0;) {
        entry_t *e = reg->e[i];
        if (e->handle) dlclose(e->handle);
        free(e->path);
        free(e->real);
        free(e);
    }
    free(reg->e);
    free(reg);
}

static const entry_t *find_entry(const skiff_registry_t *reg, uint32_t kind, const char *name)
{
    for (size_t i = 0; reg && i < reg->n; i++) {
        const entry_t *e = reg->e[i];
        if (e->desc.kind == kind && strcmp(e->desc.name, name) == 0) return e;
    }
    return NULL;
}

int skiff_registry_load_file(skiff_registry_t *reg, const char *path, skiff_error_t *err)
{
    char real[PATH_MAX];
    if (realpath(path, real)) {
        for (size_t i = 0; i < reg->n; i++)
            if (strcmp(reg->e[i]->real, real) == 0) return 0; /* same file again */
    } else {
        snprintf(real, sizeof real, "%s", path);
    }

    void *h;
    skiff_plugin_t desc;
    int rc = skiff_plugin_open(path, &h, &desc, err);
    if (rc < 0) return rc;

    const entry_t *dup = find_entry(reg, desc.kind, desc.name);
    if (dup) {
        rc = skiff_error_set(err, SKIFF_E_EXISTS,
                             "%s: duplicate %s plugin \"%s\" (already loaded from %s)", path,
                             skiff_kind_name(desc.kind), desc.name, dup->path);
        dlclose(h);
        return rc;
    }
    if (reg->n == reg->cap) {
        size_t cap = reg->cap ? reg->cap * 2 : 16;
        entry_t **ne = realloc(reg->e, cap * sizeof *ne);
        if (!ne) goto oom;
        reg->e = ne;
        reg->cap = cap;
    }
    entry_t *e = calloc(1, sizeof *e);
    if (!e) goto oom;
    e->handle = h;
    e->desc = desc;
    e->path = strdup(path);
    e->real = strdup(real);
    if (!e->path || !e->real) {
        free(e->path);
        free(e->real);
        free(e);
        goto oom;
    }
    reg->e[reg->n++] = e;
    return 0;
oom:
    dlclose(h);
    return skiff_error_set(err, SKIFF_E_NOSPACE, "%s: out of memory", path);
}

static int has_so_suffix(const char *name)
{
    size_t n = strlen(name);
    return n > 3 && strcmp(name + n - 3, ".so") == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Load every *.so directly in dir, in name order (so which of two
 * duplicates is refused does not depend on the file system). */
static int scan_one_dir(skiff_registry_t *reg, const char *dir, int must_exist,
                        skiff_registry_report_fn report, void *ud, int *first_rc)
{
    DIR *d = opendir(dir);
    skiff_error_t err;
    if (!d) {
        if (errno == ENOENT && !must_exist) return 0;
        int code = errno == ENOENT ? SKIFF_E_NOTFOUND : -errno;
        if (errno == ENOENT)
            skiff_error_set(&err, code, "%s: no such plugin directory", dir);
        else
            skiff_error_set(&err, code, "%s: cannot read plugin directory: %s", dir,
                            strerror(errno));
        report(ud, &err);
        if (!*first_rc) *first_rc = code;
        return 1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int failures = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!has_so_suffix(de->d_name)) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) break;
            names = nn;
        }
        if (!(names[n] = strdup(de->d_name))) break;
        n++;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        free(names[i]);
        skiff_error_clear(&err);
        int rc = skiff_registry_load_file(reg, path, &err);
        if (rc < 0) {
            report(ud, &err);
            if (!*first_rc) *first_rc = rc;
            failures++;
        }
    }
    free(names);
    return failures;
}

int skiff_registry_scan_all(skiff_registry_t *reg, const char *dir,
                            skiff_registry_report_fn report, void *ud)
{
    int first_rc = 0;
    if (scan_one_dir(reg, dir, 1, report, ud, &first_rc) && first_rc == SKIFF_E_NOTFOUND)
        return first_rc; /* the directory itself is missing */
    for (uint32_t k = 1; k <= KIND_MAX; k++) {
        char sub[PATH_MAX];
        snprintf(sub, sizeof sub, "%s/%s", dir, kind_names[k]);
        scan_one_dir(reg, sub, 0, report, ud, &first_rc);
    }
    return first_rc;
}

int skiff_registry_add_path(skiff_registry_t *reg, const char *path,
                            skiff_registry_report_fn report, void *ud)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return skiff_registry_scan_all(reg, path, report, ud);
    if (stat(path, &st) < 0 && !has_so_suffix(path))
        return skiff_registry_scan_all(reg, path, report, ud); /* "no such plugin directory" */
    skiff_error_t err;
    skiff_error_clear(&err);
    int rc = skiff_registry_load_file(reg, path, &err);
    if (rc < 0) report(ud, &err);
    return rc;
}

static void keep_first(void *ud, const skiff_error_t *e)
{
    skiff_error_t *err = ud;
    if (err && err->code == 0) skiff_error_set(err, e->code, "%s", e->msg);
}

int skiff_registry_scan(skiff_registry_t *reg, const char *dir, skiff_error_t *err)
{
    skiff_error_clear(err);
    return skiff_registry_scan_all(reg, dir, keep_first, err);
}

const skiff_plugin_t *skiff_registry_find(const skiff_registry_t *reg, skiff_kind_t kind,
                                          const char *name)
{
    const entry_t *e = find_entry(reg, kind, name);
    return e ? &e->desc : NULL;
}

size_t skiff_registry_count(const skiff_registry_t *reg) { return reg ? reg->n : 0; }

const skiff_plugin_t *skiff_registry_at(const skiff_registry_t *reg, size_t i)
{
    return reg && i < reg->n ? &reg->e[i]->desc : NULL;
}

const char *skiff_registry_path_at(const skiff_registry_t *reg, size_t i)
{
    return reg && i < reg->n ? reg->e[i]->path : NULL;
}

const char *skiff_registry_path_of(const skiff_registry_t *reg, const skiff_plugin_t *desc)
{
    for (size_t i = 0; reg && i < reg->n; i++)
        if (&reg->e[i]->desc == desc) return reg->e[i]->path;
    return NULL;
}

int skiff_plugin_default_dir(char *buf, size_t len)
{
    const char *env = getenv("SKIFF_PLUGIN_PATH");
    if (env && *env) return snprintf(buf, len, "%s", env) < (int)len ? 0 : SKIFF_E_TOOLARGE;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return snprintf(buf, len, "plugins") < (int)len ? 0 : SKIFF_E_TOOLARGE;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    char dir[PATH_MAX + 16], real[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/../plugins", exe);
    /* Canonical when it exists, so listings show build/plugins/... */
    const char *d = realpath(dir, real) ? real : dir;
    return snprintf(buf, len, "%s", d) < (int)len ? 0 : SKIFF_E_TOOLARGE;
}
