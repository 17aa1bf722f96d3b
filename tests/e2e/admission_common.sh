# Shared setup for the admission e2e tests (sourced after tests/lib.sh and
# tests/e2e/api_common.sh): `skiff server` with the whole admission chain,
# and webhook servers (tests/e2e/webhook_server.py) with self-signed
# certificates.

# Write $API_CFG for the API server with every admission plugin (webhooks
# mutating then validating, resource-quota last) and start it.
admission_server() {
  cat >"$API_CFG" <<CFG
plugin_path = [ "$SKIFF_PLUGINS" ];
components = { apiserver = true; };
plugins = {
  store = ( { plugin = "lmdb"; settings = { path = "$T/unused"; }; } );
  admission = (
    { plugin = "namespace-lifecycle"; },
    { plugin = "limit-ranger"; },
    { plugin = "pod-security"; settings = { enforce = "privileged"; }; },
    { plugin = "webhook"; instance = "mutating-webhooks"; settings = { phase = "mutating"; }; },
    { plugin = "webhook"; instance = "validating-webhooks"; settings = { phase = "validating"; }; },
    { plugin = "resource-quota"; }
  );
};
CFG
  api_start
}

# self_signed NAME CN SAN: a self-signed certificate $T/NAME.crt (subject CN,
# subjectAltName SAN, e.g. IP:127.0.0.1) and its key $T/NAME.key.
self_signed() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=$2" -addext "subjectAltName=$3" \
    -keyout "$T/$1.key" -out "$T/$1.crt" >/dev/null 2>&1
}

# webhook_start NAME [CERT KEY]: start a webhook server (HTTPS with CERT and
# KEY) on a free port, stopped on exit, logging to $T/NAME.log; once it is
# listening its port is in $T/NAME.port and WEBHOOK_PORT.
webhook_start() {
  local name=$1 pid i
  shift
  python3 "$SKIFF_ROOT/tests/e2e/webhook_server.py" "$T/$name.port" "$@" >"$T/$name.log" 2>&1 &
  pid=$!
  on_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
  for i in $(seq 1 100); do [ -s "$T/$name.port" ] && break; sleep 0.05; done
  WEBHOOK_PORT=$(cat "$T/$name.port")
}
