#!/usr/bin/env bash
# tests/sdk-external: build an out-of-tree plugin with only -I sdk/include
# (its own Makefile), then load it with `skiff plugins` and `skiff run --once`.
. "${SKIFF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

SK=$SKIFF_BIN
run_cli() { "$SK" "$@" >"$T/out" 2>"$T/err"; rc=$?; out=$(cat "$T/out"); err=$(cat "$T/err"); }

mkdir -p "$T/p"
make -s -C "$SKIFF_ROOT/tests/sdk-external" OUT="$T/p" >"$T/make.log" 2>&1
expect_eq "builds with nothing but -I sdk/include" 0 "$?"
grep -q -- '-I ../../sdk/include' <(make -n -C "$SKIFF_ROOT/tests/sdk-external" OUT="$T/p" -B)
expect_eq "the compile line's only include path is the SDK" 0 "$?"
expect_eq "no other -I" 1 "$(make -n -C "$SKIFF_ROOT/tests/sdk-external" OUT="$T/p" -B | grep -o -- '-I' | wc -l)"
expect_eq "nm -D: exports only skiff_plugin" "skiff_plugin" \
  "$(nm -D --defined-only "$T/p/prefer-node.so" | awk '{print $NF}')"

run_cli plugins --plugin-path "$T/p"
expect_eq "skiff plugins exits 0" 0 "$rc"
expect_contains "listed with version and ABI" "scheduler/prefer-node 1.0.0 (ABI 1.2) $T/p/prefer-node.so" "$out"
expect_contains "keys listed with type, default, description" \
  "    timeout  duration  default \"30s\"    how long a preference holds" "$out"
expect_contains "required key shown" "    node     string    required         node to prefer" "$out"

cat >"$T/ok.cfg" <<CFG
plugin_path = "$T/p";
plugins = {
  scheduler = ( { plugin = "prefer-node"; instance = "main";
                  settings = { node = "n1"; weight = 5; timeout = "1m30s"; cpu = "250m"; strict = true; }; } );
};
CFG
run_cli run --config "$T/ok.cfg" --once
expect_eq "run --once exits 0" 0 "$rc"
expect_eq "run --once prints the instance" "scheduler/prefer-node main (1.0.0)" "$out"
expect_contains "settings reached the plugin converted, log prefixed [kind:name]" \
  "[scheduler:prefer-node] prefer node n1 weight 5 timeout 90000ms cpu 250m strict 1" "$err"

cat >"$T/defaults.cfg" <<CFG
plugin_path = "$T/p";
plugins = { scheduler = ( { plugin = "prefer-node"; settings = { node = "n2"; }; } ); };
CFG
run_cli run --config "$T/defaults.cfg" --once
expect_contains "defaults applied" "prefer node n2 weight 10 timeout 30000ms cpu 500m strict 0" "$err"
expect_eq "instance name defaults to the plugin name" "scheduler/prefer-node prefer-node (1.0.0)" "$out"

cat >"$T/bad.cfg" <<CFG
plugin_path = "$T/p";
plugins = {
  scheduler = ( { plugin = "prefer-node";
                  settings = { nod = "n1";
                               weight = "high";
                               timeout = "30";
                               cpu = "12Qi"; }; } );
};
CFG
run_cli check-config "$T/bad.cfg"
expect_eq "bad settings: exit 2" 2 "$rc"
lines=()
while IFS= read -r l; do lines+=("$l"); done <<<"$err"
# Sorted by line; on one line, in the order found (key problems, then missing keys).
expect_eq "bad settings: unknown key with nearest, FILE:LINE" \
  "$T/bad.cfg:4: unknown key \"nod\" in scheduler/prefer-node; did you mean \"node\"?" "${lines[0]:-}"
expect_eq "bad settings: wrong type" \
  "$T/bad.cfg:5: key \"weight\" in scheduler/prefer-node: expected int, got string" "${lines[2]:-}"
expect_contains "bad settings: bad duration" "$T/bad.cfg:6: key \"timeout\" in scheduler/prefer-node: " "${lines[3]:-}"
expect_contains "bad settings: bad duration names the input" '"30"' "${lines[3]:-}"
expect_contains "bad settings: bad quantity" "$T/bad.cfg:7: key \"cpu\" in scheduler/prefer-node: " "${lines[4]:-}"
expect_contains "bad settings: bad quantity names the input" '"12Qi"' "${lines[4]:-}"
expect_eq "bad settings: missing required key, at the settings group's line" \
  "$T/bad.cfg:4: missing required key \"node\" in scheduler/prefer-node" "${lines[1]:-}"
expect_eq "bad settings: five problems" 5 "${#lines[@]}"

# init refusing a value the key table cannot express.
cat >"$T/weight.cfg" <<CFG
plugin_path = "$T/p";
plugins = { scheduler = ( { plugin = "prefer-node"; settings = { node = "n"; weight = 500; }; } ); };
CFG
run_cli run --config "$T/weight.cfg" --once
expect_eq "init failure: exit 2" 2 "$rc"
expect_eq "init failure: own message" \
  "$T/p/prefer-node.so: init of scheduler/prefer-node instance \"prefer-node\" failed: weight 500 is outside 0..100" "$err"

done_testing
