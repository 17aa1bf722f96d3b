# tests/abi: deliberately broken plugins, one directory per loader error,
# built into $(BUILD)/tests-abi/<case>/ (never into $(BUILD)/plugins/).
# tests/abi/abi.t.sh drives them through the skiff CLI.
ABI_DIR := $(BUILD)/tests-abi
ABI_CASES := nosym badmagic major minor small wrongkind initfail
ABI_SO := $(foreach c,$(ABI_CASES),$(ABI_DIR)/$(c)/$(c).so) \
          $(ABI_DIR)/notelf/notelf.so $(ABI_DIR)/dup/dup-a.so $(ABI_DIR)/dup/dup-b.so \
          $(ABI_DIR)/unresolved/unresolved.so

define ABI_RULE
$(ABI_DIR)/$(1)/$(1).so: tests/abi/$(1).c $(wildcard sdk/include/skiff/*.h)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(PLUGIN_CFLAGS) $$(PLUGIN_LDFLAGS) -o $$@ $$<
endef
$(foreach c,$(ABI_CASES),$(eval $(call ABI_RULE,$(c))))

$(ABI_DIR)/notelf/notelf.so: tests/abi/notelf.txt
	@mkdir -p $(dir $@)
	cp $< $@

$(ABI_DIR)/dup/dup-a.so $(ABI_DIR)/dup/dup-b.so: tests/abi/dup.c $(wildcard sdk/include/skiff/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) $(PLUGIN_LDFLAGS) -o $@ $<

# Linked without --no-undefined / -z defs on purpose: the loader must catch it.
$(ABI_DIR)/unresolved/unresolved.so: tests/abi/unresolved.c $(wildcard sdk/include/skiff/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) $(LDFLAGS_ALL) -shared -o $@ $<

.PHONY: abi-plugins
abi-plugins: $(ABI_SO)
TEST_EXTRA += $(ABI_SO)
