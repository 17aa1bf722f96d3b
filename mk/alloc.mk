# Allocator area: which malloc the skiff binary, the benchmarks and the test
# programs link (everything linked with $(CORE_LIBS)). Many threads allocate
# and free cJSON trees and 1-2 KB JSON strings; glibc's malloc spent ~28% of
# bench-sched-api's CPU on that (arena locks, malloc_consolidate, heap
# grow/shrink). Debian's jemalloc: 1.45-1.9x pods per CPU-second there, and
# still 1.2x pods/s once the callers allocated less; measurements in
# docs/performance.md (## Allocator), tool: bench/alloc/compare.sh.
#
#   make SKIFF_MALLOC=jemalloc   (default; package libjemalloc-dev, scripts/deps.sh)
#   make SKIFF_MALLOC=libc       (glibc's malloc)
#
# Plugins link no allocator: malloc/free in a dlopen'd .so bind to the host
# process's allocator through the global symbol scope, so they follow
# whatever the binary linked. Sanitizer builds (SAN=..., `make test-asan`)
# always use libc: ASan must own malloc to see every allocation.
SKIFF_MALLOC ?= jemalloc
ifneq ($(strip $(SAN)),)
override SKIFF_MALLOC := libc
endif

# --no-as-needed: the program references malloc either way, but a toolchain
# defaulting to --as-needed must not drop the library whose only job is to
# take malloc over from libc.
ALLOC_LIBS_jemalloc := -Wl,--push-state,--no-as-needed -ljemalloc -Wl,--pop-state
ALLOC_LIBS_libc :=
ifeq ($(origin ALLOC_LIBS_$(SKIFF_MALLOC)),undefined)
$(error SKIFF_MALLOC=$(SKIFF_MALLOC): unknown allocator; use jemalloc or libc (mk/alloc.mk))
endif
CORE_LIBS += $(ALLOC_LIBS_$(SKIFF_MALLOC))

# tests/alloc/alloc.t.sh checks the binaries run on the allocator chosen here.
export SKIFF_MALLOC

# core/util/malloc.c reports the choice (util/malloc.h). Make does not track
# flags: after switching SKIFF_MALLOC in an existing build tree, `make clean`
# (core/util/malloc_test then fails with "libc" != "jemalloc" until one does).
# No stamp file forces that rebuild: tests run `make BUILD=build-asan <tool>`
# without SAN, and a stamp flipping between the two choices would rebuild
# objects of the sanitizer tree without the sanitizer.
$(BUILD)/obj/core/util/malloc.o: CFLAGS_ALL += -DSKIFF_MALLOC_NAME='"$(SKIFF_MALLOC)"'
