# Simulated nodes (core/sim): the benchmark (make bench-sim). The e2e test
# (tests/e2e/sim.t.sh) needs only build/bin/skiff and the memory store plugin.
SIM_BENCH := $(BUILD)/bench/sim_bench

$(SIM_BENCH): bench/sim/bench_sim.c $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(LIBCORE) $(CORE_LIBS)

.PHONY: bench-sim
# Figures go to docs/performance.md (## Simulated nodes). Smaller runs:
#   make bench-sim SIM_BENCH_ARGS="--nodes 500 --pods 1000 --steady 5"
SIM_BENCH_ARGS ?=
bench-sim: all $(SIM_BENCH)
	$(SIM_BENCH) --plugins $(BUILD)/plugins $(SIM_BENCH_ARGS)

# tests/e2e/sim_scale.t.sh drives the benchmark at a small size.
TEST_EXTRA += $(SIM_BENCH)
