#!/usr/bin/env bash
# The scheduler benchmark with the API server in the loop (bench_sched_api),
# at a small size so the path stays working: 50 nodes, 500 pods created
# through the in-process client, bound by the scheduler component via
# pods/binding, seen bound on a pod watch; placement validated from the final
# pod list. Then the same with anti-affinity / spread on a third of the pods.
# The full-size run is `make bench-sched` (docs/performance.md).
. "$SKIFF_ROOT/tests/lib.sh"
BENCH=$SKIFF_ROOT/$BUILD/bench/bench_sched_api
if [ ! -x "$BENCH" ]; then notok "bench_sched_api is built (make tests)"; done_testing; exit 1; fi
out=$(timeout 60 "$BENCH" --plugins "$SKIFF_PLUGINS" --nodes 50 --pods 500 --warm 50 2>"$T/err"); rc=$?
echo "$out" | sed 's/^/# /'
expect_eq "bench_sched_api (basic) exits 0" "0" "$rc"
expect_contains "500 pods bound, placement valid" "500 pods measured (50 placed first), 4 creator threads:" "$out"
expect_contains "placement valid (basic)" "placement valid" "$out"
# 550 Scheduled events; a FailedScheduling may come on top when a warm pod is
# seen before the scheduler's node cache has every node (kube does the same).
written=$(echo "$out" | sed -n 's/.*events \([0-9]*\) written, 0 dropped.*/\1/p' | head -1)
check "a Scheduled event per pod, written off the binding path, none dropped ($written)" test "${written:-0}" -ge 550
check "the MODIFIED echo of each bind is recognised, not parsed" bash -c "echo '$out' | grep -qE 'bind echoes unparsed (5[0-9][0-9]),'"
out=$(timeout 60 "$BENCH" --plugins "$SKIFF_PLUGINS" --nodes 50 --pods 500 --constrained 2>"$T/err2"); rc=$?
echo "$out" | sed 's/^/# /'
expect_eq "bench_sched_api (constrained) exits 0" "0" "$rc"
expect_contains "placement valid (anti-affinity, spread)" "placement valid" "$out"
check "no sanitizer report" bash -c "! grep -qE 'Sanitizer|runtime error:' '$T/err' '$T/err2'"
done_testing
