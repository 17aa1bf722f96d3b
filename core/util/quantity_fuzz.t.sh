#!/usr/bin/env bash
# Fuzz core/util/quantity (parse/format/canonical properties, durations) for
# 5 s (FUZZ_SECONDS_QUANTITY) with libFuzzer + ASan/UBSan.
. "$SKIFF_ROOT/tests/lib.sh"
cd "$SKIFF_ROOT" || exit 1
. core/manifest/fuzz/run_fuzz.sh
run_fuzz fuzz-quantity "$BUILD/fuzz/quantity_fuzz" core/util/fuzz/corpus "${FUZZ_SECONDS_QUANTITY:-5}"
done_testing
