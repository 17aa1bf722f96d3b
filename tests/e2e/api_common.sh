# Shared setup for the API server e2e tests (sourced after tests/lib.sh):
# start `skiff server` on a free loopback port with its own data dir, HOME and
# kubeconfig; `k` runs the real kubectl 1.32 against it.
KUBECTL=$(kubectl_bin)
API_CFG=$T/api.cfg
cat >"$API_CFG" <<CFG
plugin_path = [ "$SKIFF_PLUGINS" ];
components = { apiserver = true; };
apiserver = { listen = "127.0.0.1:6443"; };
plugins = { store = ( { plugin = "lmdb"; settings = { path = "$T/unused"; compact_interval = "100ms"; }; } ); };
CFG
export HOME=$T/home
mkdir -p "$HOME"
export KUBECONFIG=$T/kubeconfig
API_PID=

api_start() {
  API_PORT=${API_PORT:-$(free_port)}
  "$SKIFF_BIN" server --config "$API_CFG" --listen "127.0.0.1:$API_PORT" --data-dir "$T/data" \
    >>"$T/server.log" 2>&1 &
  API_PID=$!
  on_exit "kill $API_PID 2>/dev/null; wait $API_PID 2>/dev/null"
  local i
  for i in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$API_PORT/readyz" >/dev/null 2>&1 && break
    sleep 0.05
  done
  "$SKIFF_BIN" kubeconfig --server "http://127.0.0.1:$API_PORT" >"$KUBECONFIG"
}

api_stop() {
  [ -n "$API_PID" ] || return 0
  kill "$API_PID" 2>/dev/null
  wait "$API_PID" 2>/dev/null
  API_PID=
}

k() { "$KUBECTL" --request-timeout=20s "$@"; }

# After api_stop: the server's log has no sanitizer or runtime error report.
api_log_clean() {
  if grep -qE 'Sanitizer|runtime error:' "$T/server.log"; then
    grep -E -A20 'Sanitizer|runtime error:' "$T/server.log" | head -40 | sed 's/^/# /'
    return 1
  fi
  return 0
}
