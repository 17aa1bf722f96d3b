# Store area: the conformance suite every store plugin must pass. It takes the
# plugin file and settings as arguments, so it lives in tests-bin/ and is run
# by tests/store/conformance.t.sh once per build/plugins/store/*.so.
STORE_CONFORMANCE := $(BUILD)/tests-bin/store_conformance
STORE_CONFORMANCE_SRCS := $(filter-out tests/store/crash_driver.c,$(wildcard tests/store/*.c))

$(STORE_CONFORMANCE): $(STORE_CONFORMANCE_SRCS) $(wildcard tests/store/*.h) $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $(STORE_CONFORMANCE_SRCS) $(LIBCORE) -lcmocka $(CORE_LIBS)

TEST_EXTRA += $(STORE_CONFORMANCE)

.PHONY: store-conformance
store-conformance: $(STORE_CONFORMANCE) $(filter $(BUILD)/plugins/store/%,$(PLUGINS))
	@BUILD=$(BUILD) SKIFF_ROOT=$(CURDIR) bash tests/store/conformance.t.sh
