# core/bus and core/store/fanout benchmarks (`make bench-bus`), not part of `make test`.
BENCH_BUS := $(BUILD)/bench/bench_bus
BENCH_FANOUT := $(BUILD)/bench/bench_fanout

$(BENCH_BUS): bench/bus/bench_bus.c $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(LIBCORE) $(CORE_LIBS)

$(BENCH_FANOUT): bench/bus/bench_fanout.c $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(LIBCORE) $(CORE_LIBS)

.PHONY: bench-bus
bench-bus: $(BENCH_BUS) $(BENCH_FANOUT)
	$(BENCH_BUS)
	$(BENCH_FANOUT)
