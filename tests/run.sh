#!/usr/bin/env bash
# skiff's test runner. Runs every test program and prints, last, "N passed, M failed".
#  - cmocka binaries under $BUILD/tests (run with TAP output)
#  - shell tests: **/*.t.sh (they print TAP via tests/lib.sh)
# Each program's output goes to $BUILD/test-logs/; failures print the log's tail.
# A program counts its TAP "ok"/"not ok" lines; one that exits non-zero without a
# "not ok", or prints no result at all, counts as one failure.
# Filter with TESTS=regex; per-program timeout with TEST_TIMEOUT (seconds, default 600).
set -u
BUILD=${BUILD:-build}
export BUILD
export SKIFF_BIN=${SKIFF_BIN:-$PWD/$BUILD/bin/skiff}
export SKIFF_PLUGINS=${SKIFF_PLUGINS:-$PWD/$BUILD/plugins}
export SKIFF_ROOT=$PWD
export CMOCKA_MESSAGE_OUTPUT=TAP
logs=$BUILD/test-logs
mkdir -p "$logs"
pass=0; fail=0; failed_progs=()

progs=()
if [ -d "$BUILD/tests" ]; then
  while IFS= read -r f; do progs+=("$f"); done < <(find "$BUILD/tests" -type f -perm -u+x | sort)
fi
while IFS= read -r f; do progs+=("$f"); done < <(find core plugins tests sdk -name '*.t.sh' -type f 2>/dev/null | sort)

for p in "${progs[@]}"; do
  if [ -n "${TESTS:-}" ] && ! [[ "$p" =~ $TESTS ]]; then continue; fi
  name=$(echo "$p" | sed "s#^$BUILD/tests/##; s#/#_#g")
  log=$logs/$name.log
  start=$(date +%s)
  case "$p" in
    *.t.sh) timeout -k 10 "${TEST_TIMEOUT:-600}" bash "$p" >"$log" 2>&1 ;;
    *) timeout -k 10 "${TEST_TIMEOUT:-600}" "$p" >"$log" 2>&1 ;;
  esac
  rc=$?
  secs=$(( $(date +%s) - start ))
  ok=$(grep -cE '^ok [0-9]+' "$log")
  nok=$(grep -cE '^not ok [0-9]+' "$log")
  if [ "$rc" -ne 0 ] && [ "$nok" -eq 0 ]; then nok=1; echo "# $p exited with status $rc" >>"$log"; fi
  if [ "$ok" -eq 0 ] && [ "$nok" -eq 0 ]; then nok=1; echo "# $p reported no results" >>"$log"; fi
  pass=$((pass + ok)); fail=$((fail + nok))
  if [ "$nok" -gt 0 ]; then
    failed_progs+=("$p")
    printf 'FAIL %-60s %3d ok %3d failed (%ds)\n' "$p" "$ok" "$nok" "$secs"
    grep -E '^not ok' "$log" | head -20 | sed 's/^/     /'
    tail -n 25 "$log" | sed 's/^/     | /'
  else
    printf 'ok   %-60s %3d ok (%ds)\n' "$p" "$ok" "$secs"
  fi
done
echo "${pass} passed, ${fail} failed"
[ "$fail" -eq 0 ]
