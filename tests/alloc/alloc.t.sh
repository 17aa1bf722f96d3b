#!/usr/bin/env bash
# The allocator chosen in mk/alloc.mk (SKIFF_MALLOC, default jemalloc) really
# serves malloc: the binaries link it, jemalloc answers inside a running skiff,
# and malloc/free called from a dlopen'd plugin bind to the same allocator as
# the host's (a plugin's buffer freed by the host must come from the same
# heap). Sanitizer builds must not link it: ASan owns malloc there.
. "$SKIFF_ROOT/tests/lib.sh"

want=${SKIFF_MALLOC:-jemalloc}
[ -n "${SKIFF_SANITIZED:-}" ] && want=libc
needed() { readelf -d "$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' '; }

# 1. What the binaries link.
bins=("$SKIFF_BIN")
for b in "$SKIFF_ROOT/$BUILD/bench/bench_sched_api" "$SKIFF_ROOT/$BUILD/tests/core/util/quantity_test"; do
  [ -x "$b" ] && bins+=("$b")
done
for b in "${bins[@]}"; do
  n=$(needed "$b")
  case "$want" in
    jemalloc) expect_contains "$(basename "$b") links jemalloc" "libjemalloc.so" "$n" ;;
    *) case "$n" in *jemalloc*) notok "$(basename "$b") links no jemalloc ($want build)"; echo "#   NEEDED: $n" ;;
                    *) ok "$(basename "$b") links no jemalloc ($want build)" ;; esac ;;
  esac
done

# 2. Plugins link no allocator of their own.
bad=""
nplug=0
for so in "$SKIFF_PLUGINS"/*/*.so; do
  nplug=$((nplug + 1))
  case "$(needed "$so")" in *jemalloc*|*tcmalloc*|*mimalloc*) bad+=" $so" ;; esac
done
check "$nplug plugins found" test "$nplug" -gt 0
expect_eq "no plugin links an allocator" "" "$bad"

# 3. jemalloc answers inside a running skiff (its statistics at exit, asked for
#    through jemalloc's own MALLOC_CONF); glibc ignores the variable.
out=$(MALLOC_CONF=stats_print:true "$SKIFF_BIN" version 2>&1)
case "$want" in
  jemalloc) expect_contains "skiff version runs on jemalloc" "jemalloc statistics" "$out" ;;
  *) case "$out" in *"jemalloc statistics"*) notok "skiff version runs on libc's malloc" ;;
                    *) ok "skiff version runs on libc's malloc" ;; esac ;;
esac
check "skiff version still prints its version" grep -q "ABI" <<<"$out"

# 4. A plugin's malloc/free bind where the host's do: load every plugin and
#    ask the dynamic linker where each plugin's `malloc' and `free' went.
LD_BIND_NOW=1 LD_DEBUG=bindings LD_DEBUG_OUTPUT="$T/ld" "$SKIFF_BIN" plugins --plugin-path "$SKIFF_PLUGINS" >"$T/plugins.out" 2>&1
rc=$?
expect_eq "skiff plugins exits 0" 0 "$rc"
cat "$T"/ld.* >"$T/bindings" 2>/dev/null
grep -E "binding file $SKIFF_PLUGINS/[^ ]+\.so .*normal symbol \`(malloc|calloc|realloc|free)'" "$T/bindings" >"$T/plugin-malloc"
nb=$(wc -l <"$T/plugin-malloc")
check "plugins' malloc/calloc/realloc/free bindings seen ($nb)" test "$nb" -gt 0
case "$want" in
  jemalloc) other=$(grep -v "to [^ ]*libjemalloc\.so" "$T/plugin-malloc" | head -3)
            expect_eq "every plugin's malloc/free binds to jemalloc" "" "$other" ;;
  *) other=$(grep "libjemalloc" "$T/plugin-malloc" | head -3)
     expect_eq "no plugin's malloc/free binds to jemalloc ($want build)" "" "$other" ;;
esac
done_testing
