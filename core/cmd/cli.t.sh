#!/usr/bin/env bash
# The skiff CLI: command table, exit statuses, check-config, plugins, run.
. "${SKIFF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

SK=$SKIFF_BIN
run_cli() { "$SK" "$@" >"$T/out" 2>"$T/err"; rc=$?; out=$(cat "$T/out"); err=$(cat "$T/err"); }

run_cli help
expect_eq "help exits 0" 0 "$rc"
expect_contains "help lists check-config" "check-config FILE" "$out"
run_cli version
expect_contains "version names the ABI" "plugin ABI 1.2" "$out"
run_cli frobnicate
expect_eq "unknown command exits 2" 2 "$rc"
expect_contains "unknown command: usage on stderr" 'skiff: unknown command "frobnicate"' "$err"
expect_contains "unknown command: command list on stderr" "commands:" "$err"
expect_eq "unknown command: nothing on stdout" "" "$out"
run_cli
expect_eq "no command exits 2" 2 "$rc"
run_cli --log-level loud version
expect_eq "bad --log-level exits 2" 2 "$rc"
expect_contains "bad --log-level says why" 'invalid log level "loud"' "$err"
run_cli check-config
expect_eq "check-config without FILE exits 2" 2 "$rc"
run_cli run --once
expect_eq "run without --config exits 2" 2 "$rc"
for c in run check-config plugins; do
  run_cli "$c" --help
  expect_eq "$c --help exits 0" 0 "$rc"
  expect_contains "$c --help prints its usage" "usage: skiff $c" "$out"
done

# Default plugin path: ../plugins next to the binary (build/plugins).
run_cli plugins
expect_eq "plugins (default path) exits 0" 0 "$rc"
expect_contains "require-label listed from build/plugins" \
  "admission/require-label 0.1.0 (ABI 1.2) $SKIFF_ROOT/$BUILD/plugins/admission/require-label.so" "$out"
expect_contains "its keys listed with type, default, description" \
  "    label      string    required  label key every object must carry" "$out"

# The shipped example checks and runs.
cp "$SKIFF_ROOT/examples/minimal.cfg" "$T/"
sed -i "s#\"../build/plugins\"#\"$SKIFF_ROOT/$BUILD/plugins\"#" "$T/minimal.cfg"
run_cli check-config "$T/minimal.cfg"
expect_eq "examples/minimal.cfg checks" 0 "$rc"
expect_eq "check-config says ok" "$T/minimal.cfg: ok (2 plugin instances)" "$out"
run_cli run --config "$T/minimal.cfg" --once
expect_eq "run --once exits 0" 0 "$rc"
expect_eq "run --once lists kind/name instance (version), in config order" \
  "store/memory main (0.1.0)
admission/require-label team (0.1.0)" "$out"

# Relative plugin_path is relative to the config file's directory.
mkdir -p "$T/a/b"
ln -s "$SKIFF_ROOT/$BUILD/plugins" "$T/a/plugins"
cat >"$T/a/b/rel.cfg" <<'CFG'
plugin_path = [ "../plugins" ];
plugins = { admission = ( { plugin = "require-label"; settings = { label = "team"; }; } ); };
CFG
(cd / && "$SK" check-config "$T/a/b/rel.cfg" >/dev/null 2>&1)
expect_eq "relative plugin_path resolved from the config's directory" 0 "$?"

# Done-when: an unknown key prints FILE:LINE: and the nearest valid key.
cat >"$T/typo.cfg" <<CFG
plugin_path = "$SKIFF_ROOT/$BUILD/plugins";
components = { apiserver = true; };
apiserver = {
  lisen = "127.0.0.1:7000";
};
CFG
run_cli check-config "$T/typo.cfg"
expect_eq "unknown key: exit 2" 2 "$rc"
expect_eq "unknown key: FILE:LINE: and the nearest valid key" \
  "$T/typo.cfg:4: unknown key \"lisen\" in apiserver; did you mean \"listen\"?" "$err"

# Every problem in a file, in line order.
cat >"$T/many.cfg" <<CFG
plugin_path = "$SKIFF_ROOT/$BUILD/plugins";
components = { apiserver = 1; shceduler = true; };
apiserver = { data_dir = 5; };
plugns = 1;
plugins = {
  stor = ();
  admission = (
    { plugin = "require-labl"; },
    { plugin = "require-label"; instance = "c"; settings = { label = "team"; }; },
    { plugin = "require-label"; instance = "c"; settings = { label = "team"; }; },
    { plugin = "require-label"; instance = "d"; settings = { label = "team"; resources = "pods"; }; },
    { instance = "e"; }
  );
};
CFG
run_cli check-config "$T/many.cfg"
expect_eq "many problems: exit 2" 2 "$rc"
expect_eq "many problems: all reported, in line order" \
"$T/many.cfg:2: key \"apiserver\" in components: expected bool, got int
$T/many.cfg:2: unknown component \"shceduler\" in components; did you mean \"scheduler\"?
$T/many.cfg:3: key \"data_dir\" in apiserver: expected string, got int
$T/many.cfg:4: unknown top-level key \"plugns\"; did you mean \"plugins\"?
$T/many.cfg:6: unknown plugin kind \"stor\" in plugins; did you mean \"store\"?
$T/many.cfg:8: no admission plugin \"require-labl\" in the plugin path ($SKIFF_ROOT/$BUILD/plugins); did you mean \"require-label\"?
$T/many.cfg:10: duplicate admission instance \"c\" (first at line 9); give one an \`instance\` name
$T/many.cfg:11: key \"resources\" in admission/require-label: expected strlist, got string
$T/many.cfg:12: missing required key \"plugin\" in a plugins.admission entry" "$err"

printf '# comment\ncomponents = { apiserver = ; };\n' >"$T/syntax.cfg"
run_cli check-config "$T/syntax.cfg"
expect_eq "syntax error: exit 2" 2 "$rc"
expect_eq "syntax error: FILE:LINE:" "$T/syntax.cfg:2: syntax error (libconfig syntax, see docs/config.md)" "$err"
run_cli check-config "$T/nope.cfg"
expect_eq "missing file: exit 2" 2 "$rc"
expect_eq "missing file: says so" "$T/nope.cfg: cannot read the config file: No such file or directory" "$err"

# Without --once, run until SIGTERM, then tear down and exit 0.
"$SK" run --config "$T/minimal.cfg" >"$T/run.out" 2>"$T/run.err" &
pid=$!
on_exit "kill $pid"
for _ in $(seq 50); do grep -q admission "$T/run.out" 2>/dev/null && break; sleep 0.1; done
expect_contains "run: instances listed while running" "admission/require-label team (0.1.0)" "$(cat "$T/run.out")"
kill -TERM "$pid"
wait "$pid"
expect_eq "run: SIGTERM -> exit 0" 0 "$?"
expect_contains "run: logs the shutdown" "shutting down" "$(cat "$T/run.err")"

# SKIFF_LOG=error silences the info lines.
"$SK" run --config "$T/minimal.cfg" >/dev/null 2>"$T/quiet.err" &
pid=$!
sleep 0.3; kill -INT "$pid"; wait "$pid"
rc=$?
expect_eq "run: SIGINT -> exit 0" 0 "$rc"
SKIFF_LOG=error "$SK" run --config "$T/minimal.cfg" >"$T/q.out" 2>"$T/q2.err" &
pid=$!
for _ in $(seq 50); do grep -q admission "$T/q.out" 2>/dev/null && break; sleep 0.1; done
kill -TERM "$pid"; wait "$pid"
expect_eq "SKIFF_LOG=error: no info lines" "" "$(cat "$T/q2.err")"

done_testing
