/* dlopen and descriptor checks: every way a file can fail to be a usable
 * plugin becomes one sentence that names the file (tests/abi asserts them). */
#include "plugin/internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int valid_name(const char *s)
{
    if (!s || !*s) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-')) return 0;
    return 1;
}

int skiff_plugin_check_desc(const char *what, const void *sym, size_t sym_size,
                            skiff_plugin_t *out, skiff_error_t *err)
{
    /* The fixed header is read field by field so that a symbol smaller than
     * a descriptor is refused before anything past it is touched. */
    if (sym_size && sym_size < SKIFF_DESC_HEADER_SIZE)
        return skiff_error_set(err, SKIFF_E_VERSION,
                               "%s: skiff_plugin is %zu bytes, too small to be a plugin descriptor",
                               what, sym_size);
    const skiff_plugin_t *d = sym;
    if (d->magic != SKIFF_PLUGIN_MAGIC)
        return skiff_error_set(err, SKIFF_E_VERSION,
                               "%s: bad magic 0x%08x in skiff_plugin (expected 0x%08x, \"SKFF\")",
                               what, (unsigned)d->magic, SKIFF_PLUGIN_MAGIC);
    if (d->abi_major != SKIFF_ABI_MAJOR)
        return skiff_error_set(err, SKIFF_E_VERSION,
                               "%s: plugin built for ABI %u.%u, but this skiff speaks ABI %d.%d "
                               "(major versions differ)",
                               what, d->abi_major, d->abi_minor, SKIFF_ABI_MAJOR, SKIFF_ABI_MINOR);
    if (d->abi_minor > SKIFF_ABI_MINOR)
        return skiff_error_set(err, SKIFF_E_VERSION,
                               "%s: plugin built for ABI %u.%u, newer than this skiff's ABI %d.%d "
                               "(upgrade skiff or rebuild the plugin)",
                               what, d->abi_major, d->abi_minor, SKIFF_ABI_MAJOR, SKIFF_ABI_MINOR);
    if (d->size < SKIFF_DESC_SIZE_1_0)
        return skiff_error_set(err, SKIFF_E_VERSION,
                               "%s: descriptor is %u bytes, smaller than ABI 1.0's %zu bytes",
                               what, (unsigned)d->size, (size_t)SKIFF_DESC_SIZE_1_0);
    if (sym_size && sym_size < d->size)
        return skiff_error_set(err, SKIFF_E_VERSION,
                               "%s: descriptor claims %u bytes but skiff_plugin is only %zu bytes",
                               what, (unsigned)d->size, sym_size);

    memset(out, 0, sizeof *out);
    memcpy(out, d, d->size < sizeof *out ? d->size : sizeof *out);

    if (!skiff_kind_name(out->kind))
        return skiff_error_set(err, SKIFF_E_INVALID, "%s: unknown plugin kind %u", what,
                               (unsigned)out->kind);
    if (!valid_name(out->name))
        return skiff_error_set(err, SKIFF_E_INVALID,
                               "%s: invalid plugin name \"%s\" (want [a-z0-9-]+)", what,
                               out->name ? out->name : "");
    if (!out->version) out->version = "";
    if (!out->description) out->description = "";
    skiff_error_t terr;
    if (skiff_settings_check_table(out->config, &terr) < 0 ||
        skiff_settings_check_fill(out->config, out->instance_size, &terr) < 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "%s: config key table: %.400s", what,
                               terr.msg);
    return 0;
}

/* Refuse what dlopen would give a cryptic message for. */
static int check_file(const char *path, skiff_error_t *err)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        if (errno == ENOENT)
            return skiff_error_set(err, SKIFF_E_NOTFOUND, "%s: no such file", path);
        return skiff_error_set(err, -errno, "%s: cannot read: %s", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode))
        return skiff_error_set(err, SKIFF_E_INVALID, "%s: not a regular file", path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return skiff_error_set(err, -errno, "%s: cannot read: %s", path, strerror(errno));
    unsigned char hdr[18] = { 0 };
    ssize_t n = read(fd, hdr, sizeof hdr);
    close(fd);
    if (n < (ssize_t)sizeof hdr || memcmp(hdr, "\177ELF", 4) != 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "%s: not an ELF shared object", path);
    /* e_type, in the file's own byte order (EI_DATA: 1 = little endian). */
    unsigned type = hdr[5] == 2 ? (unsigned)(hdr[16] << 8 | hdr[17])
                                : (unsigned)(hdr[17] << 8 | hdr[16]);
    if (type != 3 /* ET_DYN */)
        return skiff_error_set(err, SKIFF_E_INVALID,
                               "%s: an ELF file but not a shared object", path);
    return 0;
}

/* dlerror() text is "<path>: <reason>"; make it one sentence about path. */
static int dl_failure(const char *path, const char *dlerr, skiff_error_t *err)
{
    if (!dlerr) dlerr = "unknown dlopen error";
    const char *reason = dlerr;
    size_t plen = strlen(path);
    if (strncmp(reason, path, plen) == 0 && reason[plen] == ':') {
        reason += plen + 1;
        while (*reason == ' ') reason++;
    }
    const char *u = strstr(reason, "undefined symbol: ");
    if (u) {
        u += strlen("undefined symbol: ");
        size_t len = strcspn(u, " \t,(");
        return skiff_error_set(err, SKIFF_E_INVALID,
                               "%s: unresolved symbol \"%.*s\" (a plugin may use only the host "
                               "table and the libraries it links)",
                               path, (int)len, u);
    }
    return skiff_error_set(err, SKIFF_E_INVALID, "%s: cannot load: %s", path, reason);
}

int skiff_plugin_open(const char *path, void **handle, skiff_plugin_t *desc, skiff_error_t *err)
{
    *handle = NULL;
    int rc = check_file(path, err);
    if (rc < 0) return rc;

    /* A name without '/' would make dlopen search the library path. */
    char buf[4096];
    const char *open_path = path;
    if (!strchr(path, '/')) {
        snprintf(buf, sizeof buf, "./%s", path);
        open_path = buf;
    }
    dlerror();
    void *h = dlopen(open_path, RTLD_NOW | RTLD_LOCAL);
    if (!h) return dl_failure(open_path, dlerror(), err) == 0 ? 0 : SKIFF_E_INVALID;

    dlerror();
    void *sym = dlsym(h, SKIFF_PLUGIN_SYMBOL);
    if (!sym) {
        dlclose(h);
        return skiff_error_set(err, SKIFF_E_INVALID,
                               "%s: not a skiff plugin (no skiff_plugin symbol)", path);
    }
    Dl_info info;
    const ElfW(Sym) *es = NULL;
    size_t sym_size = 0;
    if (dladdr1(sym, &info, (void **)&es, RTLD_DL_SYMENT) && es) sym_size = es->st_size;

    rc = skiff_plugin_check_desc(path, sym, sym_size, desc, err);
    if (rc < 0) {
        dlclose(h);
        return rc;
    }
    *handle = h;
    return 0;
}
