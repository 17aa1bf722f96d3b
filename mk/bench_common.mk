# bench/bench_util.h: the clocks and raw HTTP client the benchmarks share
# (static inline); rebuild its users when it changes. Literal paths, so the
# order in which mk/*.mk are read does not matter.
$(BUILD)/bench/api_bench $(BUILD)/bench/auth_bench: bench/bench_util.h
$(BUILD)/bench/bench_sched $(BUILD)/bench/bench_sched_api: bench/bench_util.h bench/sched/sched_shapes.h
