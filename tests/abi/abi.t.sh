#!/usr/bin/env bash
# tests/abi: every loader error, produced by a deliberately broken plugin
# (built by mk/abi.mk into $BUILD/tests-abi/<case>/), asserted word for word
# through `skiff plugins`, `skiff check-config` and `skiff run --once`, each
# with exit status 2. Plus: plugins export nothing but skiff_plugin.
. "${SKIFF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

A=$SKIFF_ROOT/$BUILD/tests-abi
SK=$SKIFF_BIN

# run_cli NAME ARGS...: sets out, err, rc
run_cli() { "$SK" "$@" >"$T/out" 2>"$T/err"; rc=$?; out=$(cat "$T/out"); err=$(cat "$T/err"); }

# config NAME PLUGIN_PATH [plugins-group-body] -> writes $T/NAME.cfg (plugin_path on line 1)
config() {
  { echo "plugin_path = [ \"$2\" ];"
    echo "plugins = {"
    [ -n "${3:-}" ] && echo "  $3"
    echo "};"; } >"$T/$1.cfg"
}

# expect_loader_error CASE PLUGIN_PATH SENTENCE: all three commands refuse with it.
expect_loader_error() {
  local c=$1 pp=$2 sentence=$3
  run_cli plugins --plugin-path "$pp"
  expect_eq "$c: skiff plugins prints the sentence" "$sentence" "$err"
  expect_eq "$c: skiff plugins exits 2" 2 "$rc"
  config "$c" "$pp"
  run_cli check-config "$T/$c.cfg"
  expect_eq "$c: check-config prints FILE:LINE: sentence" "$T/$c.cfg:1: $sentence" "$err"
  expect_eq "$c: check-config exits 2" 2 "$rc"
  run_cli run --config "$T/$c.cfg" --once
  expect_eq "$c: run --once prints FILE:LINE: sentence" "$T/$c.cfg:1: $sentence" "$err"
  expect_eq "$c: run --once exits 2" 2 "$rc"
}

expect_loader_error missing "$A/missing/gone.so" \
  "$A/missing/gone.so: no such file"
expect_loader_error notelf "$A/notelf" \
  "$A/notelf/notelf.so: not an ELF shared object"
expect_loader_error nosym "$A/nosym" \
  "$A/nosym/nosym.so: not a skiff plugin (no skiff_plugin symbol)"
expect_loader_error badmagic "$A/badmagic" \
  "$A/badmagic/badmagic.so: bad magic 0x12345678 in skiff_plugin (expected 0x46464b53, \"SKFF\")"
expect_loader_error major "$A/major" \
  "$A/major/major.so: plugin built for ABI 99.0, but this skiff speaks ABI 1.2 (major versions differ)"
expect_loader_error minor "$A/minor" \
  "$A/minor/minor.so: plugin built for ABI 1.9, newer than this skiff's ABI 1.2 (upgrade skiff or rebuild the plugin)"
expect_loader_error small "$A/small" \
  "$A/small/small.so: descriptor is 24 bytes, smaller than ABI 1.0's 112 bytes"
expect_loader_error dup "$A/dup" \
  "$A/dup/dup-b.so: duplicate admission plugin \"dup\" (already loaded from $A/dup/dup-a.so)"
expect_loader_error unresolved "$A/unresolved" \
  "$A/unresolved/unresolved.so: unresolved symbol \"skiff_log_enabled\" (a plugin may use only the host table and the libraries it links)"
expect_loader_error nodir "$A/no-such-dir" \
  "$A/no-such-dir: no such plugin directory"

# Kind not the one the config asked for: loads fine, the config is refused.
run_cli plugins --plugin-path "$A/wrongkind"
expect_eq "wrongkind: skiff plugins lists it" 0 "$rc"
expect_contains "wrongkind: listed as a scheduler plugin" "scheduler/wrongkind 0.0.1 (ABI 1.2)" "$out"
config wrongkind "$A/wrongkind" 'store = ( { plugin = "wrongkind"; instance = "main"; } );'
sentence="plugin \"wrongkind\" in plugins.store is a scheduler plugin ($A/wrongkind/wrongkind.so), not a store plugin"
run_cli check-config "$T/wrongkind.cfg"
expect_eq "wrongkind: check-config sentence" "$T/wrongkind.cfg:3: $sentence" "$err"
expect_eq "wrongkind: check-config exits 2" 2 "$rc"
run_cli run --config "$T/wrongkind.cfg" --once
expect_eq "wrongkind: run sentence" "$T/wrongkind.cfg:3: $sentence" "$err"
expect_eq "wrongkind: run exits 2" 2 "$rc"

# Init failing: its own message is shown, fini still runs; check-config
# does not run init, so only `run` fails.
config initfail "$A/initfail" 'network = ( { plugin = "initfail"; } );'
run_cli check-config "$T/initfail.cfg"
expect_eq "initfail: check-config passes (no init)" 0 "$rc"
run_cli run --config "$T/initfail.cfg" --once
expect_eq "initfail: run prints the plugin's own message" \
  "$A/initfail/initfail.so: init of network/initfail instance \"initfail\" failed: the frobnicator at 10.0.0.1:9 is not reachable" \
  "$(tail -n 1 "$T/err")"
expect_contains "initfail: fini ran after the failed init, logged with [kind:name]" \
  "[network:initfail] fini after a failed init" "$err"
expect_eq "initfail: run exits 2" 2 "$rc"
expect_eq "initfail: nothing on stdout" "" "$out"

# Several bad files in one path: every one is reported, good ones still load.
mkdir -p "$T/mixed"
cp "$A/nosym/nosym.so" "$A/major/major.so" "$A/wrongkind/wrongkind.so" "$T/mixed/"
run_cli plugins --plugin-path "$T/mixed"
expect_eq "mixed: two sentences" \
  "$T/mixed/major.so: plugin built for ABI 99.0, but this skiff speaks ABI 1.2 (major versions differ)
$T/mixed/nosym.so: not a skiff plugin (no skiff_plugin symbol)" "$err"
expect_contains "mixed: the good one is listed" "scheduler/wrongkind" "$out"
expect_eq "mixed: exits 2" 2 "$rc"

# nm -D: every plugin that is supposed to be valid exports skiff_plugin only.
sos=()
while IFS= read -r f; do sos+=("$f"); done < <(find "$SKIFF_ROOT/$BUILD/plugins" -name '*.so' 2>/dev/null | sort)
sos+=("$A/wrongkind/wrongkind.so" "$A/initfail/initfail.so" "$A/dup/dup-a.so" "$A/dup/dup-b.so"
      "$A/badmagic/badmagic.so" "$A/major/major.so" "$A/minor/minor.so" "$A/small/small.so"
      "$A/unresolved/unresolved.so")
# Under ASan every exported global gets a compiler-made "__odr_asan.<name>"
# twin (ODR-violation detection); it is instrumentation, not the plugin's.
odr='^$'
[ -n "${SKIFF_SANITIZED:-}" ] && odr='^__odr_asan\.skiff_plugin$'
for so in "${sos[@]}"; do
  exports=$(nm -D --defined-only "$so" 2>&1 | awk '{print $NF}' | grep -v "$odr" | sort | tr '\n' ' ')
  expect_eq "nm -D: ${so#$SKIFF_ROOT/} exports only skiff_plugin" "skiff_plugin " "$exports"
done

done_testing
