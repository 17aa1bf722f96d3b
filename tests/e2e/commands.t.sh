#!/usr/bin/env bash
# `skiff server` and `skiff kubeconfig` on the command line: usage errors,
# overrides, a free port chosen by the kernel, the written kubeconfig.
. "$SKIFF_ROOT/tests/lib.sh"
KUBECTL=$(kubectl_bin)

out=$("$SKIFF_BIN" kubeconfig --server http://127.0.0.1:1234 2>&1); rc=$?
expect_eq "kubeconfig exits 0" "0" "$rc"
expect_contains "kubeconfig names the server" "server: http://127.0.0.1:1234" "$out"
expect_contains "kubeconfig has a current context" "current-context: skiff" "$out"
"$SKIFF_BIN" kubeconfig --server nope >/dev/null 2>&1; expect_eq "kubeconfig with a bad URL exits 2" "2" "$?"
out=$("$SKIFF_BIN" server 2>&1); rc=$?
expect_eq "server without --config exits 2" "2" "$rc"
expect_contains "server usage" "usage: skiff server --config FILE" "$out"

cat >"$T/nostore.cfg" <<CFG
plugin_path = [ "$SKIFF_PLUGINS" ];
components = { apiserver = true; };
CFG
out=$(timeout 20 "$SKIFF_BIN" server --config "$T/nostore.cfg" --listen 127.0.0.1:0 2>&1); rc=$?
expect_eq "server without a store exits 2" "2" "$rc"
expect_contains "server without a store says what to add" "the API server needs a store" "$out"

cat >"$T/ok.cfg" <<CFG
plugin_path = [ "$SKIFF_PLUGINS" ];
components = { apiserver = false; };
apiserver = { listen = "127.0.0.1:1"; };
plugins = { store = ( { plugin = "memory"; } ); };
CFG
out=$(timeout 20 "$SKIFF_BIN" server --config "$T/ok.cfg" --listen 999.1.1.1:80 2>&1); rc=$?
expect_contains "a bad --listen address is named" '"999.1.1.1" is not an IPv4 address' "$out"
check "a bad --listen address is a non-zero exit" test "$rc" -ne 0

"$SKIFF_BIN" server --config "$T/ok.cfg" --listen 127.0.0.1:0 --data-dir "$T/d" >"$T/out" 2>"$T/err" &
pid=$!
on_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
for i in $(seq 1 100); do grep -q "listening on port" "$T/out" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's/^skiff server: listening on port \([0-9]*\)$/\1/p' "$T/out")
check "port 0 picks a free port and prints it ($port)" test "${port:-0}" -gt 0
check "--data-dir gets the kubeconfig" test -f "$T/d/kubeconfig"
export HOME=$T/home
out=$(KUBECONFIG="$T/d/kubeconfig" "$KUBECTL" get ns default -o name 2>&1)
expect_eq "the written kubeconfig works with kubectl (server enabled whatever components say)" "namespace/default" "$out"
kill "$pid"; wait "$pid"; rc=$?
expect_eq "SIGTERM stops the server cleanly" "0" "$rc"
done_testing
