#include "util/malloc.h"

#include <dlfcn.h>
#include <stddef.h>

/* mk/alloc.mk defines it for this file only (SKIFF_MALLOC). */
#ifndef SKIFF_MALLOC_NAME
#define SKIFF_MALLOC_NAME "libc"
#endif

const char *skiff_malloc_linked(void)
{
    return SKIFF_MALLOC_NAME;
}

typedef int (*mallctl_fn)(const char *, void *, size_t *, void *, size_t);

const char *skiff_malloc_active(void)
{
    /* Looked up, not linked: a libc build has no mallctl to link against,
     * and a preloaded jemalloc must be seen too. */
    mallctl_fn ctl = (mallctl_fn)dlsym(RTLD_DEFAULT, "mallctl");
    const char *version = NULL;
    size_t len = sizeof version;
    if (ctl && ctl("version", &version, &len, NULL, 0) == 0 && version) return "jemalloc";
    return "libc";
}
