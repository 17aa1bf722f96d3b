#!/usr/bin/env bash
# Fuzz core/manifest (YAML and JSON decoders, encoder round trip) for
# FUZZ_SECONDS (default 20) with libFuzzer + ASan/UBSan, from the seeds in
# core/manifest/fuzz/corpus. New inputs go to a temp dir, never the tree; a
# crashing input is kept in $BUILD/fuzz/crashes/ and dumped here.
. "$SKIFF_ROOT/tests/lib.sh"
cd "$SKIFF_ROOT" || exit 1
secs=${FUZZ_SECONDS:-20}
fuzz=$BUILD/fuzz/yaml_fuzz
if ! command -v "${FUZZ_CC:-clang}" >/dev/null 2>&1; then
  ok "# SKIP clang is not installed, no fuzzing"
  done_testing
  exit
fi
check "fuzz target builds (make fuzz-yaml)" make -s --no-print-directory BUILD="$BUILD" fuzz-yaml
mkdir -p "$T/corpus" "$T/art"
seeds=$(find core/manifest/fuzz/corpus -type f | wc -l)
# The sanitizers of `make test-asan` need not apply to the fuzzer's own run.
ASAN_OPTIONS=detect_leaks=1 "$fuzz" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
  -artifact_prefix="$T/art/" -print_final_stats=1 "$T/corpus" core/manifest/fuzz/corpus >"$T/log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$T/log")
cov=$(grep -oE 'cov: [0-9]+' "$T/log" | tail -1)
if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
  ok "no crash, leak or failed round trip in ${secs}s ($runs runs, $cov)"
else
  notok "fuzzer stopped with status $rc"
  grep -vE '^#[0-9]+' "$T/log" | tail -40 | sed 's/^/# /'
  mkdir -p "$BUILD/fuzz/crashes"
  for f in "$T"/art/*; do
    [ -f "$f" ] || continue
    cp "$f" "$BUILD/fuzz/crashes/"
    echo "# input kept as $BUILD/fuzz/crashes/$(basename "$f"):"
    od -c "$f" | head -20 | sed 's/^/#   /'
  done
fi
# The seeds themselves must stay in the tree untouched.
expect_eq "seed corpus unchanged" "$seeds" "$(find core/manifest/fuzz/corpus -type f | wc -l)"
done_testing
