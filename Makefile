# skiff — build, test and run. Sources are discovered, not listed:
#   core/**/*.c (but *_test.c, core/**/fuzz/*)  -> build/lib/libskiffcore.a, build/bin/skiff
#   plugins/<kind>/<name>/*.c (but *_test.c)    -> build/plugins/<kind>/<name>.so
#       extra link flags for a plugin go in plugins/<kind>/<name>/LIBS
#   core/**/*_test.c, tests/unit/**/*_test.c    -> build/tests/<path>  (cmocka, linked with libskiffcore)
#   plugins/<kind>/<name>/*_test.c              -> build/tests/plugins/<kind>/<name>/<test> (linked with the plugin's sources)
#   **/*.t.sh                                   -> shell tests (TAP), run by tests/run.sh
# Special rules for an area live in mk/<area>.mk (included at the end).

BUILD ?= build
CC ?= cc
PKGS := libconfig yaml-0.1 libcjson lmdb libmicrohttpd libcurl libseccomp
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

OPT ?= -O2 -g
SAN ?=
WARN := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wshadow -Wformat=2
CFLAGS_ALL := -std=gnu11 $(OPT) $(SAN) $(WARN) -D_GNU_SOURCE -pthread -Isdk/include -Icore $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS_ALL := $(SAN) -pthread $(LDFLAGS)
CORE_LIBS := $(PKG_LIBS) -ldl -lm

# Plugins: hidden by default, nothing undefined (they may not link the core).
PLUGIN_CFLAGS := $(CFLAGS_ALL) -fPIC -fvisibility=hidden
PLUGIN_LDFLAGS := $(LDFLAGS_ALL) -shared -Wl,--no-undefined -Wl,-z,defs

find_c = $(shell find $(1) -name '*.c' $(2) 2>/dev/null | sort)

CORE_ALL := $(call find_c,core,-not -path '*/fuzz/*')
CORE_TESTS := $(filter %_test.c,$(CORE_ALL))
CORE_SRCS := $(filter-out %_test.c core/main.c,$(CORE_ALL))
CORE_OBJS := $(CORE_SRCS:%.c=$(BUILD)/obj/%.o)
LIBCORE := $(BUILD)/lib/libskiffcore.a
SKIFF := $(BUILD)/bin/skiff

UNIT_TESTS := $(call find_c,tests/unit,-name '*_test.c')

PLUGIN_DIRS := $(patsubst %/,%,$(sort $(dir $(wildcard plugins/*/*/*.c))))
plugin_so = $(BUILD)/plugins/$(word 2,$(subst /, ,$(1)))/$(word 3,$(subst /, ,$(1))).so
PLUGINS := $(foreach d,$(PLUGIN_DIRS),$(call plugin_so,$(d)))

TEST_BINS := $(CORE_TESTS:%.c=$(BUILD)/tests/%) $(UNIT_TESTS:tests/unit/%.c=$(BUILD)/tests/unit/%)

.PHONY: all deps run test test-asan check clean bench plugins tests
all: $(SKIFF) $(PLUGINS)

plugins: $(PLUGINS)

deps:
	@bash scripts/deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) -MMD -MP -c $< -o $@

$(LIBCORE): $(CORE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(SKIFF): $(BUILD)/obj/core/main.o $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(LIBCORE) $(CORE_LIBS)

# One rule per plugin directory.
define PLUGIN_RULE
$(call plugin_so,$(1)): $(patsubst %.c,$(BUILD)/pic/%.o,$(filter-out %_test.c,$(wildcard $(1)/*.c)))
	@mkdir -p $$(dir $$@)
	$$(CC) $$(PLUGIN_LDFLAGS) -o $$@ $$^ $(shell cat $(1)/LIBS 2>/dev/null)

PLUGIN_TEST_BINS += $(patsubst %.c,$(BUILD)/tests/%,$(filter %_test.c,$(wildcard $(1)/*.c)))
$(patsubst %.c,$(BUILD)/tests/%,$(filter %_test.c,$(wildcard $(1)/*.c))): $(BUILD)/tests/%: %.c $(filter-out %_test.c,$(wildcard $(1)/*.c)) $(LIBCORE)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS_ALL) $$(LDFLAGS_ALL) -DSKIFF_PLUGIN_TEST -o $$@ $$(filter %.c,$$^) $(LIBCORE) $(shell cat $(1)/LIBS 2>/dev/null) -lcmocka $$(CORE_LIBS)
endef
$(foreach d,$(PLUGIN_DIRS),$(eval $(call PLUGIN_RULE,$(d))))

$(BUILD)/tests/core/%: core/%.c $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(LIBCORE) -lcmocka $(CORE_LIBS)

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(LIBCORE) -lcmocka $(CORE_LIBS)

# Areas add their own test prerequisites to TEST_EXTRA in mk/*.mk.
TEST_EXTRA ?=
-include $(sort $(wildcard mk/*.mk))

tests: all $(TEST_BINS) $(PLUGIN_TEST_BINS) $(TEST_EXTRA)

# `make test` alone installs what it needs, builds and runs everything.
# Its last line is "N passed, M failed".
test: deps
	@$(MAKE) --no-print-directory tests
	@BUILD=$(BUILD) bash tests/run.sh

# The same tests under ASan+UBSan, in a build tree of their own.
test-asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -g" \
	  SAN="-fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer -fno-sanitize-recover=undefined,float-cast-overflow" tests
	@BUILD=build-asan SKIFF_SANITIZED=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 bash tests/run.sh

run: deps
	@$(MAKE) --no-print-directory all
	$(SKIFF) run --config examples/sim.cfg

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
