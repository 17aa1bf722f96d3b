# core/sched benchmark (`make bench-sched`), not part of `make test`.
BENCH_SCHED := $(BUILD)/bench/bench_sched

$(BENCH_SCHED): bench/sched/bench_sched.c $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(LIBCORE) $(CORE_LIBS)

.PHONY: bench-sched
bench-sched: $(BENCH_SCHED) plugins
	$(BENCH_SCHED) $(BUILD)/plugins $(SCHED_BENCH_SCALE)

# The same shapes with the API server in the loop, one process
# (`make bench-sched-api`; docs/performance.md, ## Scheduler). Smaller:
#   make bench-sched-api SCHED_API_BENCH_ARGS="--scale 0.2"
BENCH_SCHED_API := $(BUILD)/bench/bench_sched_api

$(BENCH_SCHED_API): bench/sched/bench_sched_api.c $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(LIBCORE) $(CORE_LIBS)

.PHONY: bench-sched-api
SCHED_API_BENCH_ARGS ?=
bench-sched-api: all $(BENCH_SCHED_API)
	$(BENCH_SCHED_API) --plugins $(BUILD)/plugins $(SCHED_API_BENCH_ARGS)

# core/sched/api_bench.t.sh drives it at a small size.
TEST_EXTRA += $(BENCH_SCHED_API)
