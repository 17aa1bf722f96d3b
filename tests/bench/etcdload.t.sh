#!/usr/bin/env bash
# The etcd load tool of `make bench-store` (bench/store/etcdload): it builds
# offline against Debian's etcd client sources, and against a throwaway etcd
# on loopback it prints every metric line with a plausible value. Short
# durations: this checks the tool, it does not benchmark.
. "$SKIFF_ROOT/tests/lib.sh"
cd "$SKIFF_ROOT" || exit 1

if ! command -v etcd >/dev/null || ! command -v go >/dev/null \
   || [ ! -d /usr/share/gocode/src/go.etcd.io/etcd/clientv3 ]; then
  echo "ok 1 - # SKIP etcd not installed (etcd-server, golang-go, golang-etcd-server-dev: bash scripts/deps.sh --bench)"
  exit 0
fi

tool=$SKIFF_ROOT/$BUILD/bench/etcdload
check "etcdload builds offline in GOPATH mode" make -s --no-print-directory BUILD="$BUILD" bench-etcd-tool

cport=$(free_port); pport=$(free_port)
while [ "$pport" = "$cport" ]; do pport=$(free_port); done
etcd --name t --data-dir "$T/etcd" \
  --listen-client-urls "http://127.0.0.1:$cport" --advertise-client-urls "http://127.0.0.1:$cport" \
  --listen-peer-urls "http://127.0.0.1:$pport" --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
  --initial-cluster "t=http://127.0.0.1:$pport" --logger zap --log-level warn >"$T/etcd.log" 2>&1 &
etcd_pid=$!
on_exit "kill $etcd_pid; wait $etcd_pid"
healthy=0
for _ in $(seq 1 100); do
  if curl -fsS --max-time 1 "http://127.0.0.1:$cport/health" 2>/dev/null | grep -q '"health":"true"'; then healthy=1; break; fi
  sleep 0.1
done
expect_eq "throwaway etcd is healthy" 1 "$healthy"
[ "$healthy" = 1 ] || tail -n 20 "$T/etcd.log" | sed 's/^/# /'

out=$("$tool" -endpoints "127.0.0.1:$cport" -duration 1s -clients 4 -range-keys 1000 -range-runs 3 \
  -watch-duration 1s -watch-max 200 2>&1)
rc=$?
expect_eq "etcdload exits 0" 0 "$rc"
echo "$out" | sed 's/^/# /'
for m in "put.c1 ops/s" "put.c4 ops/s" "range1k.ms ms" "watch.p50_us us" "watch.p99_us us"; do
  name=${m% *}; unit=${m#* }
  v=$(echo "$out" | awk -v n="etcd.$name" -v u="$unit" '$1=="metric" && $2==n && $4==u {print $3}')
  check "metric etcd.$name is printed with a positive value in $unit" \
    awk -v v="$v" 'BEGIN { exit !(v != "" && v + 0 > 0) }'
done
p50=$(echo "$out" | awk '$2=="etcd.watch.p50_us" {print $3}')
p99=$(echo "$out" | awk '$2=="etcd.watch.p99_us" {print $3}')
check "watch p50 <= p99" awk -v a="$p50" -v b="$p99" 'BEGIN { exit !(a + 0 <= b + 0) }'
expect_contains "the 4 clients share one gRPC connection by default" "4 clients over 1 gRPC connection(s)" "$out"

# etcd going away mid-run ends the run with an error, not a hang or a figure.
"$tool" -endpoints "127.0.0.1:$cport" -workloads putN -clients 4 -duration 60s -op-timeout 2s \
  >"$T/dead.out" 2>&1 &
tool_pid=$!
on_exit "kill $tool_pid"
sleep 1
kill "$etcd_pid"; wait "$etcd_pid" 2>/dev/null
start=$(date +%s)
wait "$tool_pid"; rc=$?
expect_eq "etcdload fails when etcd dies mid-run" 1 "$rc"
check "... within the request timeout (took $(( $(date +%s) - start )) s)" [ $(( $(date +%s) - start )) -le 10 ]
sed "s/^/# /" "$T/dead.out"
expect_contains "... naming the workload" "etcdload: put (c4):" "$(cat "$T/dead.out")"
check "... and prints no figure for it" [ -z "$(grep '^metric' "$T/dead.out")" ]

err=$("$tool" -workloads put1,nope 2>&1); rc=$?
expect_eq "an unknown workload is refused" 1 "$rc"
expect_contains "... naming it" 'unknown workload "nope"' "$err"
err=$("$tool" -endpoints "127.0.0.1:$(free_port)" -dial-timeout 500ms -workloads put1 2>&1); rc=$?
expect_eq "an unreachable endpoint fails" 1 "$rc"
expect_contains "... saying which" "connecting to 127.0.0.1:" "$err"
done_testing
