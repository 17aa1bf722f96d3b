# lmdb store: the crash-test driver (tests/store/crash.t.sh) and the store
# benchmark (`make bench-store`). Both load the plugin .so in-process through
# the core's loader (core/plugin).
LMDB_CRASH := $(BUILD)/tests-bin/store_crash
LMDB_BENCH := $(BUILD)/bench/bench_store

$(LMDB_CRASH): tests/store/lmdb/crash_driver.c tests/store/lmdb/coreload.h $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/store/lmdb $(LDFLAGS_ALL) -o $@ $< $(LIBCORE) $(CORE_LIBS)

$(LMDB_BENCH): bench/store/bench_store.c tests/store/lmdb/coreload.h $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/store/lmdb $(LDFLAGS_ALL) -o $@ $< $(LIBCORE) $(CORE_LIBS)

TEST_EXTRA += $(LMDB_CRASH) $(BUILD)/plugins/store/lmdb.so

.PHONY: bench-store
# The etcd comparison (bench/store/run.sh, from the etcdbench work) wraps this
# tool when present; otherwise the skiff figures alone.
bench-store: $(LMDB_BENCH) $(BUILD)/plugins/store/lmdb.so
	@if [ -f bench/store/run.sh ]; then BUILD=$(BUILD) bash bench/store/run.sh; \
	else $(LMDB_BENCH) --plugin $(BUILD)/plugins/store/lmdb.so; fi
