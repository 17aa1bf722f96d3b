# Shared body of the *_fuzz.t.sh tests (sourced after tests/lib.sh):
#   run_fuzz MAKE_TARGET BINARY SEED_DIR SECONDS
# Builds the target, fuzzes from the seeds with new inputs going to a temp
# dir (never the tree), and reports one TAP line; a crashing input is kept in
# $BUILD/fuzz/crashes/ and dumped into the log.
run_fuzz() {
  local target=$1 fuzz=$2 seeds=$3 secs=$4
  if ! command -v "${FUZZ_CC:-clang}" >/dev/null 2>&1; then
    ok "# SKIP clang is not installed, no fuzzing"
    return
  fi
  check "fuzz target builds (make $target)" make -s --no-print-directory BUILD="$BUILD" "$target"
  local work=$T/$target
  mkdir -p "$work/corpus" "$work/art"
  local nseeds
  nseeds=$(find "$seeds" -type f | wc -l)
  ASAN_OPTIONS=detect_leaks=1 "$fuzz" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
    -artifact_prefix="$work/art/" -print_final_stats=1 "$work/corpus" "$seeds" >"$work/log" 2>&1
  local rc=$? runs cov f
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
  cov=$(grep -oE 'cov: [0-9]+' "$work/log" | tail -1)
  if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
    ok "$target: no crash, leak or broken property in ${secs}s ($runs runs, $cov)"
  else
    notok "$target: fuzzer stopped with status $rc"
    grep -vE '^#[0-9]+' "$work/log" | tail -40 | sed 's/^/# /'
    mkdir -p "$BUILD/fuzz/crashes"
    for f in "$work"/art/*; do
      [ -f "$f" ] || continue
      cp "$f" "$BUILD/fuzz/crashes/"
      echo "# input kept as $BUILD/fuzz/crashes/$(basename "$f"):"
      od -c "$f" | head -20 | sed 's/^/#   /'
    done
  fi
  expect_eq "$target: seed corpus unchanged" "$nseeds" "$(find "$seeds" -type f | wc -l)"
}
