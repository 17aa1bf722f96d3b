# Admission area: the chain benchmark (make bench-admission). The plugins
# build by the usual plugins/<kind>/<name>/ rule; the e2e tests need only
# build/bin/skiff and build/plugins.
ADM_BENCH := $(BUILD)/bench/adm_bench

$(ADM_BENCH): bench/admission/bench_adm.c $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(LIBCORE) $(CORE_LIBS)

.PHONY: bench-admission
# Figures go to docs/performance.md (## Admission). Smaller runs:
#   make bench-admission ADM_BENCH_RUNS=3 ADM_BENCH_ARGS="--creates 5000 --threads 2"
bench-admission: all $(ADM_BENCH)
	ADM_BENCH_RUNS="$(ADM_BENCH_RUNS)" ADM_BENCH_ARGS="$(ADM_BENCH_ARGS)" bench/admission/run.sh $(BUILD)
ADM_BENCH_RUNS ?= 5
ADM_BENCH_ARGS ?= --creates 20000 --threads 4

# The matchConditions CEL subset's parser under libFuzzer (clang), run by
# plugins/admission/webhook/fuzz/fuzz.t.sh for a few seconds in `make test`.
$(BUILD)/fuzz/cel_fuzz: plugins/admission/webhook/fuzz/cel_fuzz.c plugins/admission/webhook/cel.c plugins/admission/webhook/cel.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ plugins/admission/webhook/fuzz/cel_fuzz.c plugins/admission/webhook/cel.c $(FUZZ_LIBS) -lm

.PHONY: fuzz-cel
fuzz-cel: $(BUILD)/fuzz/cel_fuzz

# The chain's share of a create in instructions (callgrind; steady on a
# loaded machine, unlike the wall clock): make bench-admission-instr
.PHONY: bench-admission-instr
bench-admission-instr: all $(ADM_BENCH)
	bench/admission/instr.sh $(BUILD)
