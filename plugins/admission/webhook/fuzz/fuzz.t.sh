#!/usr/bin/env bash
# Builds the CEL-subset libFuzzer target (make fuzz-cel) and runs it for a
# short while on the committed seeds. Passes when nothing crashes, leaks or
# trips a sanitizer. FUZZ_SECONDS sets the time.
. "${SKIFF_ROOT:-$(cd "$(dirname "$0")/../../../.." && pwd)}/tests/lib.sh"
cd "$SKIFF_ROOT" || exit 1
secs=${FUZZ_SECONDS:-8}

if ! command -v "${FUZZ_CC:-clang}" >/dev/null 2>&1; then
  ok "# SKIP clang not installed"
  done_testing; exit
fi
unset MAKEFLAGS MFLAGS MAKELEVEL
if make --no-print-directory BUILD="$BUILD" fuzz-cel >"$T/build.log" 2>&1; then
  ok "cel fuzz target builds"
else
  notok "cel fuzz target builds"; sed 's/^/#   /' "$T/build.log" | tail -20
  done_testing; exit
fi
mkdir -p "$T/cel"
"$BUILD/fuzz/cel_fuzz" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 -max_len=600 -print_final_stats=1 \
  -artifact_prefix="$T/cel-" "$T/cel" plugins/admission/webhook/fuzz/corpus >"$T/cel.log" 2>&1
rc=$?
runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$T/cel.log" | grep -o '[0-9]*$')
if [ "$rc" -eq 0 ]; then
  ok "cel fuzzer ran ${secs}s without a crash (${runs:-?} executions)"
else
  notok "cel fuzzer found a problem (exit $rc)"
  grep -E 'ERROR|SUMMARY|artifact|#0 |#1 |#2 |#3 ' "$T/cel.log" | head -20 | sed 's/^/#   /'
  for a in "$T/cel-"*; do [ -f "$a" ] && { echo "#   reproducer (base64):"; base64 -w0 "$a" | head -c 2000; echo; }; done
fi
done_testing
