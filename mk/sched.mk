# core/sched benchmark (`make bench-sched`), not part of `make test`.
BENCH_SCHED := $(BUILD)/bench/bench_sched

$(BENCH_SCHED): bench/sched/bench_sched.c $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(LIBCORE) $(CORE_LIBS)

.PHONY: bench-sched
bench-sched: $(BENCH_SCHED) plugins
	$(BENCH_SCHED) $(BUILD)/plugins $(SCHED_BENCH_SCALE)
