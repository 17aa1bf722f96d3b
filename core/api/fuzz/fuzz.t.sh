#!/usr/bin/env bash
# Builds the core/api libFuzzer targets (make fuzz-api) and runs each for a
# short while on the committed seed corpus. Passes when nothing crashes,
# leaks or trips a sanitizer. FUZZ_SECONDS sets the time per target.
. "${SKIFF_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
cd "$SKIFF_ROOT" || exit 1
secs=${FUZZ_SECONDS:-12}

if ! command -v "${FUZZ_CC:-clang}" >/dev/null 2>&1; then
  ok "# SKIP clang not installed"
  done_testing; exit
fi

# We may run under `make test`: keep its jobserver out of our make.
unset MAKEFLAGS MFLAGS MAKELEVEL
if make --no-print-directory BUILD="$BUILD" fuzz-api >"$T/build.log" 2>&1; then
  ok "fuzz targets build"
else
  notok "fuzz targets build"; sed 's/^/#   /' "$T/build.log" | tail -20
  done_testing; exit
fi

for t in patch protobuf; do
  bin=$BUILD/fuzz/${t}_fuzz
  mkdir -p "$T/$t"
  # New inputs go to $T/$t; the committed seeds are only read.
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
    -artifact_prefix="$T/$t-" "$T/$t" "core/api/fuzz/corpus/$t" >"$T/$t.log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$T/$t.log" | grep -o '[0-9]*$')
  if [ "$rc" -eq 0 ]; then
    ok "$t fuzzer ran ${secs}s without a crash (${runs:-?} executions)"
  else
    notok "$t fuzzer found a problem (exit $rc)"
    grep -E 'ERROR|SUMMARY|artifact|#0 |#1 |#2 |#3 ' "$T/$t.log" | head -20 | sed 's/^/#   /'
    for a in "$T/$t-"*; do [ -f "$a" ] && { echo "#   reproducer (base64):"; base64 -w0 "$a" | head -c 2000; echo; }; done
  fi
done
done_testing
