# core/sched benchmarks, not part of `make test`.
#   make bench-sched       the issue's benchmark: kube scheduler_perf's shapes
#                          with the API server and the store in the loop, one
#                          process (bench/sched/bench_sched_api.c); last line
#                          "sched: basic-10k A pods/s, basic-50k B pods/s,
#                          constrained C pods/s". Options, e.g.:
#                          make bench-sched SCHED_API_BENCH_ARGS="--store lmdb --threads 16"
#   make bench-sched-api   the same (its name in earlier sessions)
#   make bench-sched-core  the scheduler alone: a fake pod source and binder,
#                          no API server, no store (bench/sched/bench_sched.c)
BENCH_SCHED := $(BUILD)/bench/bench_sched

$(BENCH_SCHED): bench/sched/bench_sched.c $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(LIBCORE) $(CORE_LIBS)

.PHONY: bench-sched-core
bench-sched-core: $(BENCH_SCHED) plugins
	$(BENCH_SCHED) $(BUILD)/plugins $(SCHED_BENCH_SCALE)

# Smaller: make bench-sched SCHED_API_BENCH_ARGS="--scale 0.2"
BENCH_SCHED_API := $(BUILD)/bench/bench_sched_api

$(BENCH_SCHED_API): bench/sched/bench_sched_api.c $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(LIBCORE) $(CORE_LIBS)

.PHONY: bench-sched bench-sched-api
SCHED_API_BENCH_ARGS ?=
bench-sched bench-sched-api: all $(BENCH_SCHED_API)
	$(BENCH_SCHED_API) --plugins $(BUILD)/plugins $(SCHED_API_BENCH_ARGS)

# core/sched/api_bench.t.sh drives it at a small size.
TEST_EXTRA += $(BENCH_SCHED_API)
