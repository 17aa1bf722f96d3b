#!/usr/bin/env bash
# bench/store/run.sh — skiff's LMDB store against etcd 3.4 on the same work,
# in the same run: durable puts of 256-byte values from 1 and from 64 clients,
# a range read of 10,000 keys, put-to-watch-event latency (p50/p99).
#
# etcd is Debian's etcd-server on loopback ports of its own with its data in a
# temp dir, default (durable) fsync behaviour, measured through its native gRPC
# client by build/bench/etcdload (bench/store/etcdload, Go). skiff is measured
# by build/bench/bench_store (the lmdb area's tool) with its data dir next to
# etcd's, so both write to the same filesystem. Runs alternate etcd, skiff,
# etcd, skiff... so load from others on a shared machine hits both alike;
# medians are reported. The LAST line is:
#   store: lmdb W writes/s, etcd E writes/s (64 clients), ratio R
#
# Environment:
#   BENCH_RUNS=3           runs of each side (medians are reported)
#   BENCH_DURATION=10s     length of each put workload
#   BENCH_CLIENTS=64       concurrent clients of the many-client put workload
#   BENCH_ETCD_CONNS=1     gRPC connections those clients share (0 = one each);
#                          one is etcd's best case on this machine, see docs/performance.md
#   BENCH_STORE=build/bench/bench_store   skiff's tool (bench/store/bench_store.c,
#                          built here unless this is set), called as bench_store --dir DIR
#                          --duration DUR --clients N --plugin lmdb.so [BENCH_STORE_ARGS]
#   BENCH_STORE_ARGS=      extra arguments for bench_store
#   BENCH_TMPDIR=$TMPDIR   where the data dirs go (one temp dir, removed after)
#   BENCH_SKIP_DEPS=1      do not run scripts/deps.sh --bench
# Exit status: 0 with both sides measured; 2 when skiff's bench_store is not
# built (etcd's figures are still printed); 1 on any other failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BUILD=${BUILD:-build}
RUNS=${BENCH_RUNS:-3}
DUR=${BENCH_DURATION:-10s}
CLIENTS=${BENCH_CLIENTS:-64}
CONNS=${BENCH_ETCD_CONNS:-1}
BENCH_STORE_SET=${BENCH_STORE:-}
BENCH_STORE=${BENCH_STORE:-$BUILD/bench/bench_store}
ETCDLOAD=$BUILD/bench/etcdload

case $RUNS in ''|*[!0-9]*|0) echo "run.sh: BENCH_RUNS must be a positive integer, got '$RUNS'" >&2; exit 1;; esac

if [ "${BENCH_SKIP_DEPS:-}" != 1 ]; then
  bash scripts/deps.sh --bench
fi
make --no-print-directory BUILD="$BUILD" bench-etcd-tool >/dev/null
command -v etcd >/dev/null || { echo "run.sh: etcd not found (bash scripts/deps.sh --bench installs etcd-server)" >&2; exit 1; }

tmp=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/skiff-bench-store.XXXXXX")
etcd_pid=
cleanup() {
  if [ -n "$etcd_pid" ]; then
    kill "$etcd_pid" 2>/dev/null || true
    wait "$etcd_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# start_etcd DIR: a one-member cluster on fresh loopback ports; sets
# etcd_pid and etcd_ep. Fsync behaviour is etcd's default (WAL fsync per
# commit batch), i.e. durable.
start_etcd() {
  local dir=$1 cport pport
  cport=$(free_port); pport=$(free_port)
  while [ "$pport" = "$cport" ]; do pport=$(free_port); done
  etcd --name bench --data-dir "$dir/data" \
    --listen-client-urls "http://127.0.0.1:$cport" --advertise-client-urls "http://127.0.0.1:$cport" \
    --listen-peer-urls "http://127.0.0.1:$pport" --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
    --initial-cluster "bench=http://127.0.0.1:$pport" --initial-cluster-state new \
    --initial-cluster-token "skiff-bench-$$" \
    --quota-backend-bytes $((8 * 1024 * 1024 * 1024)) \
    --logger zap --log-level warn >"$dir/etcd.log" 2>&1 &
  etcd_pid=$!
  etcd_ep=127.0.0.1:$cport
  for _ in $(seq 1 150); do
    if curl -fsS --max-time 1 "http://$etcd_ep/health" 2>/dev/null | grep -q '"health":"true"'; then
      return 0
    fi
    if ! kill -0 "$etcd_pid" 2>/dev/null; then
      echo "run.sh: etcd exited during startup; its log:" >&2; tail -n 20 "$dir/etcd.log" >&2; etcd_pid=; return 1
    fi
    sleep 0.1
  done
  echo "run.sh: etcd not healthy after 15 s on $etcd_ep; its log:" >&2; tail -n 20 "$dir/etcd.log" >&2
  return 1
}

stop_etcd() {
  kill "$etcd_pid" 2>/dev/null || true
  wait "$etcd_pid" 2>/dev/null || true
  etcd_pid=
}

# skiff's side: build it when this tree has its rules (mk/lmdb.mk), so the
# script measures the current sources also when run without make.
LMDB_SO=$BUILD/plugins/store/lmdb.so
if [ -z "${BENCH_STORE_SET:-}" ] && [ -f mk/lmdb.mk ]; then
  make --no-print-directory BUILD="$BUILD" "$BENCH_STORE" "$LMDB_SO" >/dev/null \
    || echo "run.sh: building $BENCH_STORE and $LMDB_SO failed (see above)" >&2
fi
have_skiff=0
[ -x "$BENCH_STORE" ] && have_skiff=1

fs=$(df -PT "$tmp" | awk 'NR==2 {print $1" ("$2")"}')
echo "# store bench: $RUNS run(s) per side, puts for $DUR, $CLIENTS clients, data on $fs under $tmp"
echo "# machine: $(nproc) cores, $(uname -sr), etcd $(etcd --version 2>/dev/null | awk '/etcd Version/ {print $3}')"

for r in $(seq 1 "$RUNS"); do
  d=$tmp/etcd-$r; mkdir -p "$d"
  start_etcd "$d"
  echo "# run $r/$RUNS: etcd on $etcd_ep (pid $etcd_pid)"
  if ! "$ETCDLOAD" -endpoints "$etcd_ep" -duration "$DUR" -clients "$CLIENTS" -conns "$CONNS" \
      | tee "$tmp/etcd-$r.out"; then
    echo "run.sh: etcdload failed in run $r (see above); etcd's log:" >&2; tail -n 20 "$d/etcd.log" >&2; exit 1
  fi
  stop_etcd
  rm -rf "$d/data"
  if [ "$have_skiff" = 1 ]; then
    d=$tmp/lmdb-$r; mkdir -p "$d"
    echo "# run $r/$RUNS: skiff lmdb in $d"
    # shellcheck disable=SC2086 # BENCH_STORE_ARGS is a word list by design
    if ! "$BENCH_STORE" --dir "$d" --duration "$DUR" --clients "$CLIENTS" --plugin "$LMDB_SO" ${BENCH_STORE_ARGS:-} \
        | tee "$tmp/lmdb-$r.out"; then
      echo "run.sh: $BENCH_STORE failed in run $r (see above)" >&2; exit 1
    fi
    rm -rf "$d"
  fi
done

# Medians of every metric over the runs, then the comparison.
python3 - "$tmp" "$RUNS" "$CLIENTS" "$have_skiff" <<'EOF'
import glob, statistics, sys
tmp, runs, clients, have_skiff = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
vals, units, per_run = {}, {}, {}
for f in sorted(glob.glob(tmp + "/*.out")):
    run = f.rsplit("-", 1)[1][:-4]
    for line in open(f):
        p = line.split()
        if len(p) == 4 and p[0] == "metric":
            vals.setdefault(p[1], []).append(float(p[2]))
            units[p[1]] = p[3]
            per_run.setdefault(run, {})[p[1]] = float(p[2])
def run_ratios(num, den):
    """num/den within each run: the disk and the machine move between runs."""
    return [r[num] / r[den] for _, r in sorted(per_run.items(), key=lambda kv: int(kv[0]))
            if r.get(num) and r.get(den)]
def med(name):
    v = vals.get(name)
    return statistics.median(v) if v else None
for name in sorted(vals):
    m = med(name)
    print("median %s %s %s (runs: %s)" % (name, ("%.2f" % m).rstrip("0").rstrip("."), units[name],
          " ".join(("%.2f" % x).rstrip("0").rstrip(".") for x in vals[name])))
rows = [("put.c1", "puts/s, 1 client", True), ("put.c" + clients, "puts/s, %s clients" % clients, True),
        ("range10k.ms", "ms, range of 10k keys", False), ("watch.p50_us", "us, put->watch p50", False),
        ("watch.p99_us", "us, put->watch p99", False)]
def fmt(x):
    return "-" if x is None else ("%.2f" % x if x < 100 else "%.0f" % x)
print()
print("%-26s %12s %12s %14s" % ("workload", "skiff lmdb", "etcd 3.4", "skiff better by"))
for key, label, higher_better in rows:
    l, e = med("lmdb." + key), med("etcd." + key)
    better = "-"
    if l and e:
        better = "%.2fx" % (l / e if higher_better else e / l)
    print("%-26s %12s %12s %14s" % (label, fmt(l), fmt(e), better))
floor = med("fsync.floor")
if floor is not None:
    print("%-26s %12s" % ("fsyncs/s, disk floor", fmt(floor)))
for key, label in (("fsync.p50_us", "us, fsync p50 (append)"), ("fsync.p99_us", "us, fsync p99 (append)"),
                   ("fsync.overwrite", "fsyncs/s, overwrite"),
                   ("fsync.overwrite.p50_us", "us, fsync p50 (overwrite)"),
                   ("fsync.overwrite.p99_us", "us, fsync p99 (overwrite)")):
    if med(key) is not None:
        print("%-26s %12s" % (label, fmt(med(key))))
e64 = med("etcd.put.c" + clients)
if not have_skiff:
    print()
    print("store: skiff's side is MISSING: build/bench/bench_store (bench/store/bench_store.c, the lmdb"
          " area's tool, built by mk/lmdb.mk) is not built. etcd's figures above are real;"
          " no comparison was made.")
    sys.exit(2)
l64, l1 = med("lmdb.put.c" + clients), med("lmdb.put.c1")
if l64 is None or e64 is None:
    print("store: a put.c%s figure is missing (lmdb %s, etcd %s); see the output above" % (clients, l64, e64))
    sys.exit(1)
ratio = l64 / e64
print()
rr = run_ratios("lmdb.put.c" + clients, "etcd.put.c" + clients)
print("target: %s-client durable puts skiff/etcd = %.2f (target >= 5): %s; per run: %s"
      % (clients, ratio, "met" if ratio >= 5 else "NOT met", " ".join("%.2f" % x for x in rr)))
fr = run_ratios("fsync.floor", "lmdb.put.c1")
if fr:
    m = statistics.median(fr)
    print("target: fsync floor / 1-client durable puts, each run against its own floor = %.2f"
          " (target <= 1.5): %s; per run: %s" % (m, "met" if m <= 1.5 else "NOT met",
                                                  " ".join("%.2f" % x for x in fr)))
print("store: lmdb %.0f writes/s, etcd %.0f writes/s (%s clients), ratio %.2f" % (l64, e64, clients, ratio))
EOF
