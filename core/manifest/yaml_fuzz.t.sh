#!/usr/bin/env bash
# Fuzz core/manifest (YAML and JSON decoders, encoder round trip in both
# typing modes) for FUZZ_SECONDS (default 20) with libFuzzer + ASan/UBSan.
. "$SKIFF_ROOT/tests/lib.sh"
cd "$SKIFF_ROOT" || exit 1
. core/manifest/fuzz/run_fuzz.sh
run_fuzz fuzz-yaml "$BUILD/fuzz/yaml_fuzz" core/manifest/fuzz/corpus "${FUZZ_SECONDS:-20}"
done_testing
