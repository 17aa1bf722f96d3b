#!/usr/bin/env bash
# The sim component at a (small) scale, in-process: 300 nodes, 3,000 pods
# bound before the nodes exist. Every pod goes Running with an IP inside its
# node's podCIDR and no IP twice; graceful deletion of all of them completes.
# The full-size run is `make bench-sim` (docs/performance.md).
. "$SKIFF_ROOT/tests/lib.sh"
BENCH=$SKIFF_ROOT/$BUILD/bench/sim_bench
if [ ! -x "$BENCH" ]; then notok "sim_bench is built (make tests)"; done_testing; exit 1; fi
out=$("$BENCH" --plugins "$SKIFF_PLUGINS" --nodes 300 --pods 3000 --steady 1 2>"$T/err"); rc=$?
echo "$out" | sed 's/^/# /'
expect_eq "sim_bench exits 0" "0" "$rc"
expect_contains "all pods Running, IPs in range, none twice" "check: 3000/3000 Running, 0 IPs outside their node's podCIDR, 0 duplicate IPs" "$out"
expect_contains "graceful deletion of every pod completes" "0 pods left" "$out"
check "no sanitizer report" bash -c "! grep -qE 'Sanitizer|runtime error:' '$T/err'"
done_testing
