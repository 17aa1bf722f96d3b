#!/usr/bin/env bash
# bench/admission/run.sh BUILD: pod create throughput without and with the
# default admission chain (namespace-lifecycle, limit-ranger, pod-security,
# resource-quota), alternating runs, medians. A fresh store per run
# (ADM_BENCH_STORE=memory, the default, or lmdb).
set -u
B=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${ADM_BENCH_RUNS:-5}
ARGS=${ADM_BENCH_ARGS:---creates 20000 --threads 4}
T=$(mktemp -d /tmp/skiff-admbench.XXXXXX)
trap 'rm -rf "$T"' EXIT
STORE=${ADM_BENCH_STORE:-memory}   # memory: the chain's share is largest; lmdb: fsync-bound
store_of() {
  if [ "$STORE" = lmdb ]; then echo "{ plugin = \"lmdb\"; settings = { path = \"$T/store-$1\"; }; }"
  else echo "{ plugin = \"memory\"; }"; fi
}
mk() {  # mk NAME ADMISSION-LIST
  cat >"$T/$1.cfg" <<CFG
plugin_path = [ "$ROOT/$B/plugins" ];
components = { apiserver = true; };
plugins = {
  store = ( $(store_of "$1") );
  $2
};
CFG
}
mk none ""
mk chain 'admission = ( { plugin = "namespace-lifecycle"; }, { plugin = "limit-ranger"; },
    { plugin = "pod-security"; settings = { enforce = "privileged"; }; }, { plugin = "resource-quota"; } );'
mk baseline 'admission = ( { plugin = "namespace-lifecycle"; }, { plugin = "limit-ranger"; },
    { plugin = "pod-security"; settings = { enforce = "baseline"; }; }, { plugin = "resource-quota"; } );'
declare -A R U
for i in $(seq 1 "$RUNS"); do
  for c in none chain baseline; do
    rm -rf "$T/store-$c"
    line=$("$ROOT/$B/bench/adm_bench" "$T/$c.cfg" $ARGS 2>/dev/null)
    r=$(echo "$line" | sed -n 's/.*creates\/s \([0-9]*\).*/\1/p')
    u=$(echo "$line" | sed -n 's/.*cpu-us\/create \([0-9.]*\).*/\1/p')
    R[$c]="${R[$c]:-} $r"
    U[$c]="${U[$c]:-} $u"
    echo "run $i $c: $r creates/s, $u CPU us/create"
  done
done
med() { echo "$@" | tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
un=$(med ${U[none]}); uc=$(med ${U[chain]}); ub=$(med ${U[baseline]})
echo "median CPU us/create: no chain $un, default chain $uc (+$(awk "BEGIN{printf \"%.1f\", $uc-$un}") us, $(awk "BEGIN{printf \"%.1f\", ($uc-$un)*100/$uc}")% of a create), chain with baseline enforced $ub (+$(awk "BEGIN{printf \"%.1f\", $ub-$un}") us)"
n=$(med ${R[none]}); c=$(med ${R[chain]}); b=$(med ${R[baseline]})
echo "median creates/s: no chain $n, default chain $c ($(awk "BEGIN{printf \"%.1f\", ($n-$c)*100/$n}")% less), chain with baseline enforced $b ($(awk "BEGIN{printf \"%.1f\", ($n-$b)*100/$n}")% less)"
