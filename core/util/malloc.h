/* core/util/malloc — which malloc serves this process.
 *
 * mk/alloc.mk links one allocator into every program built with the core
 * (make SKIFF_MALLOC=jemalloc, the default, or SKIFF_MALLOC=libc; sanitizer
 * builds always libc). Plugins link none: their malloc/free bind to the
 * host's. These two answers let a test or a diagnostic check that the choice
 * made at build time is the one at work. Both return static strings.
 */
#ifndef SKIFF_CORE_MALLOC_H
#define SKIFF_CORE_MALLOC_H

/* The allocator this build linked: "jemalloc" or "libc". */
const char *skiff_malloc_linked(void);

/* The allocator answering malloc now: "jemalloc" when jemalloc's mallctl is
 * in the process and reports its version (also under
 * LD_PRELOAD=libjemalloc.so.2), else "libc" (glibc's, or a sanitizer's). */
const char *skiff_malloc_active(void);

#endif
