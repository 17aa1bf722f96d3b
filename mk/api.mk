# API server area: the benchmark (make bench-api). The e2e tests
# (tests/e2e/*.t.sh) need only build/bin/skiff and the store plugins.
API_BENCH := $(BUILD)/bench/api_bench

$(API_BENCH): bench/api/bench_api.c $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(LIBCORE) $(CORE_LIBS)

.PHONY: bench-api
# Figures go to docs/performance.md (## API server). Smaller runs:
#   make bench-api API_BENCH_ARGS="--creates 5000 --list 20000 --watchers 100 --burst 1000"
API_BENCH_ARGS ?=
bench-api: all $(API_BENCH)
	$(API_BENCH) --plugins $(BUILD)/plugins $(API_BENCH_ARGS)

# core/api/schema_data.c embeds the schema table with .incbin (see schema.h).
$(BUILD)/obj/core/api/schema_data.o: core/api/schema.txt
