# apilib: libFuzzer targets for the core/api object libraries.
#   make fuzz-api            builds $(BUILD)/fuzz/{patch,protobuf}_fuzz with clang
#   core/api/fuzz/fuzz.t.sh  builds them and runs each ~12 s on the seed corpus
# The libraries are compiled again with clang's coverage instrumentation
# (not taken from libskiffcore.a), so the fuzzer is guided through them.
FUZZ_CC ?= clang
FUZZ_SAN ?= -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS := -std=gnu11 -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) -D_GNU_SOURCE -Isdk/include -Icore \
  $(shell pkg-config --cflags libcjson 2>/dev/null)
FUZZ_LIBS := $(shell pkg-config --libs libcjson 2>/dev/null || echo -lcjson)

API_LIB_SRCS := $(addprefix core/api/,json_util.c patch_merge.c patch_json.c patch_schema.c patch_strategic.c \
  fieldset.c apply.c patch_type.c selector.c validate.c protobuf_wire.c protobuf.c)

$(BUILD)/fuzz/patch_fuzz: core/api/fuzz/patch_fuzz.c $(API_LIB_SRCS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $^ $(FUZZ_LIBS)

$(BUILD)/fuzz/protobuf_fuzz: core/api/fuzz/protobuf_fuzz.c $(API_LIB_SRCS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $^ $(FUZZ_LIBS)

.PHONY: fuzz-api
fuzz-api: $(BUILD)/fuzz/patch_fuzz $(BUILD)/fuzz/protobuf_fuzz

# make bench-apilib: ops/s of the patchers, apply, protobuf decode, selectors (not part of make test).
$(BUILD)/bench/apilib_bench: tests/bench/apilib_bench.c $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(LIBCORE) $(CORE_LIBS)

.PHONY: bench-apilib
bench-apilib: $(BUILD)/bench/apilib_bench
	$(BUILD)/bench/apilib_bench core/api/testdata/create-deployment.pb
