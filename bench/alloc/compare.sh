#!/usr/bin/env bash
# Compare malloc implementations on one benchmark command without relinking:
# each candidate is an environment (LD_PRELOAD of a Debian allocator, or
# GLIBC_TUNABLES for glibc's own knobs). Runs are interleaved (A B C A B C ...)
# so a load change on the shared machine hits every candidate alike. Each run
# prints the load average, peak RSS and the command's lines matching GREP.
#   bench/alloc/compare.sh [-n RUNS] [-g GREP] [-c NAME=ENV ...] -- CMD ARGS...
# ENV is `VAR=VALUE[ VAR=VALUE...]` passed to env(1); `-` means none. A
# `B=DIR` in it is not passed but replaces @B@ in CMD (default `build`), to
# compare build trees linked differently (make BUILD=build-libc SKIFF_MALLOC=libc).
set -euo pipefail
runs=3 grep_re='pods/s|creates/s|list:|watch:|writes/s|put\.c|CPU per put'
cands=()
while [ $# -gt 0 ]; do
  case "$1" in
    -n) runs=$2; shift 2 ;;
    -g) grep_re=$2; shift 2 ;;
    -c) cands+=("$2"); shift 2 ;;
    --) shift; break ;;
    *) echo "compare.sh: unknown option $1 (usage: -n RUNS -g GREP -c NAME=ENV ... -- CMD)" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "compare.sh: no command after --" >&2; exit 2; }
lib=/usr/lib/x86_64-linux-gnu
if [ ${#cands[@]} -eq 0 ]; then
  cands=("glibc=-")
  [ -e $lib/libjemalloc.so.2 ] && cands+=("jemalloc=LD_PRELOAD=$lib/libjemalloc.so.2")
  [ -e $lib/libtcmalloc_minimal.so.4 ] && cands+=("tcmalloc=LD_PRELOAD=$lib/libtcmalloc_minimal.so.4")
  [ -e $lib/libmimalloc.so.2 ] && cands+=("mimalloc=LD_PRELOAD=$lib/libmimalloc.so.2")
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for ((r = 1; r <= runs; r++)); do
  for c in "${cands[@]}"; do
    name=${c%%=*} envs=${c#*=}
    [ "$envs" = "-" ] && envs=""
    b=build rest=""
    for e in $envs; do case "$e" in B=*) b=${e#B=} ;; *) rest+=" $e" ;; esac; done
    envs=$rest
    cmd=("${@//@B@/$b}")
    load=$(cut -d' ' -f1 /proc/loadavg)
    # shellcheck disable=SC2086
    if ! env $envs /usr/bin/time -v -o "$out/time" "${cmd[@]}" >"$out/log" 2>&1; then
      echo "run $r $name: FAILED (load $load)"; tail -5 "$out/log"; continue
    fi
    rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$out/time")
    cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u+s}' "$out/time")
    echo "run $r $name: load $load, peak RSS $((rss / 1024)) MB, CPU ${cpu} s"
    grep -E "$grep_re" "$out/log" | grep -Ev '^sched(-api)?:' | sed 's/^/    /' || true
  done
done
