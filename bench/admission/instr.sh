#!/usr/bin/env bash
# bench/admission/instr.sh BUILD: the admission chain's share of a pod create
# in instructions (valgrind callgrind), immune to a shared machine's load:
# inclusive instructions of apisrv_admit vs skiff_api_server_handle per
# create, one thread, memory store, for the default chain and the same chain
# enforcing baseline. ADM_INSTR_CREATES sets the creates per run (6000).
set -u
B=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=${ADM_INSTR_CREATES:-6000}
command -v valgrind >/dev/null || { echo "valgrind is not installed"; exit 1; }
T=$(mktemp -d /tmp/skiff-adminstr.XXXXXX)
trap 'rm -rf "$T"' EXIT
for c in chain baseline; do
  lvl=privileged; [ "$c" = baseline ] && lvl=baseline
  cat >"$T/$c.cfg" <<CFG
plugin_path = [ "$ROOT/$B/plugins" ];
components = { apiserver = true; };
plugins = {
  store = ( { plugin = "memory"; } );
  admission = ( { plugin = "namespace-lifecycle"; }, { plugin = "limit-ranger"; },
    { plugin = "pod-security"; settings = { enforce = "$lvl"; }; }, { plugin = "resource-quota"; } );
};
CFG
  valgrind --tool=callgrind --callgrind-out-file="$T/$c.out" "$ROOT/$B/bench/adm_bench" "$T/$c.cfg" \
    --creates "$N" --threads 1 >/dev/null 2>&1
  incl() { callgrind_annotate --inclusive=yes "$T/$c.out" 2>/dev/null | grep "$1" | head -1 | awk '{gsub(",","",$1); print $1}'; }
  adm=$(incl 'admission.c:apisrv_admit ')
  req=$(incl 'server.c:skiff_api_server_handle ')
  echo "$c (pod-security $lvl): chain $((adm / N)) of $((req / N)) instructions per create = $(awk "BEGIN{printf \"%.1f\", $adm*100/$req}")%"
done
