# core/manifest: the libFuzzer target for the YAML/JSON decoders and encoder.
#   make fuzz-yaml                 build $(BUILD)/fuzz/yaml_fuzz (needs clang)
#   make fuzz-yaml-run [FUZZ_SECONDS=300]   fuzz for longer than the test does
# core/manifest/yaml_fuzz.t.sh runs it for 20 s as part of `make test`.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 300
FUZZ_YAML := $(BUILD)/fuzz/yaml_fuzz
MANIFEST_SRCS := $(filter core/manifest/%,$(CORE_SRCS))

.PHONY: fuzz-yaml fuzz-yaml-run
fuzz-yaml: $(FUZZ_YAML)

$(FUZZ_YAML): core/manifest/fuzz/yaml_fuzz.c $(MANIFEST_SRCS) $(wildcard core/manifest/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu11 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	  -D_GNU_SOURCE -Isdk/include -Icore $(PKG_CFLAGS) -o $@ $< $(MANIFEST_SRCS) \
	  $(shell pkg-config --libs yaml-0.1 libcjson 2>/dev/null) -lm

fuzz-yaml-run: $(FUZZ_YAML)
	@mkdir -p $(BUILD)/fuzz/corpus $(BUILD)/fuzz/crashes
	$(FUZZ_YAML) -max_total_time=$(FUZZ_SECONDS) -timeout=10 -max_len=8192 \
	  -artifact_prefix=$(BUILD)/fuzz/crashes/ $(BUILD)/fuzz/corpus core/manifest/fuzz/corpus

# Built with the tests when clang is there; the shell test skips otherwise.
ifneq ($(shell command -v $(FUZZ_CC) 2>/dev/null),)
TEST_EXTRA += $(FUZZ_YAML)
endif

# `make bench-manifest`: decode/encode throughput, and (when Go and Debian's
# sigs.k8s.io/yaml are there) kubectl's YAMLToJSON on the same input.
BENCH_MANIFEST := $(BUILD)/bench/bench_manifest
Y2J_BENCH := $(BUILD)/bench/y2j
Y2J_GO := GO111MODULE=off GOPROXY=off GOFLAGS= GOTOOLCHAIN=local GOPATH=/usr/share/gocode \
	GOCACHE=$(abspath $(BUILD))/bench/gocache

$(BENCH_MANIFEST): bench/manifest/bench_manifest.c $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(LIBCORE) $(CORE_LIBS)

$(Y2J_BENCH): bench/manifest/y2j/main.go
	@mkdir -p $(dir $@)
	cd bench/manifest/y2j && $(Y2J_GO) go build -o $(abspath $@) .

.PHONY: bench-manifest
bench-manifest: $(BENCH_MANIFEST)
	$(BENCH_MANIFEST) 2000 7 $(BUILD)/bench/manifest-list.yaml
	@if command -v go >/dev/null && [ -d /usr/share/gocode/src/sigs.k8s.io/yaml ]; then \
	  $(MAKE) --no-print-directory -s $(Y2J_BENCH) && $(Y2J_BENCH) $(BUILD)/bench/manifest-list.yaml 7; \
	else echo "(go or sigs.k8s.io/yaml missing: no comparison)"; fi

# core/util/quantity's fuzz target (same shape): make fuzz-quantity
FUZZ_QUANTITY := $(BUILD)/fuzz/quantity_fuzz
QUANTITY_SRCS := core/util/quantity.c core/util/duration.c

.PHONY: fuzz-quantity
fuzz-quantity: $(FUZZ_QUANTITY)

$(FUZZ_QUANTITY): core/util/fuzz/quantity_fuzz.c $(QUANTITY_SRCS) core/util/quantity.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu11 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	  -D_GNU_SOURCE -Isdk/include -Icore -o $@ $< $(QUANTITY_SRCS)

ifneq ($(shell command -v $(FUZZ_CC) 2>/dev/null),)
TEST_EXTRA += $(FUZZ_QUANTITY)
endif

# tests/manifest/yaml11_oracle.t.sh: skiff's YAML 1.1 mode against kubectl's
# sigs.k8s.io/yaml (the Go side is built only when the test runs and Go is there).
MANIFEST_Y2J_DRIVER := $(BUILD)/tests-bin/manifest_y2j_driver
$(MANIFEST_Y2J_DRIVER): tests/manifest/y2j_driver.c $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(LIBCORE) $(CORE_LIBS)
TEST_EXTRA += $(MANIFEST_Y2J_DRIVER)

.PHONY: manifest-oracle
manifest-oracle: $(MANIFEST_Y2J_DRIVER) $(Y2J_BENCH)
