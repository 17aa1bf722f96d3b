# Controllers at scale (`make bench-ctrl`), not part of `make test`:
# a Deployment of 10,000 replicas on 1,000 simulated nodes to all-Available,
# then a full rolling update (docs/performance.md, ## Controllers). Smaller:
#   make bench-ctrl CTRL_BENCH_ARGS="--replicas 1000 --nodes 100"
BENCH_CTRL := $(BUILD)/bench/bench_ctrl

$(BENCH_CTRL): bench/controllers/bench_ctrl.c $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(LIBCORE) $(CORE_LIBS)

.PHONY: bench-ctrl
CTRL_BENCH_ARGS ?=
bench-ctrl: all $(BENCH_CTRL)
	$(BENCH_CTRL) --plugins $(BUILD)/plugins $(CTRL_BENCH_ARGS)
