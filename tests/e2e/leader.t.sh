#!/usr/bin/env bash
# Controllers in their own processes over HTTP (controllers.server), with
# leader election: two controller-only `skiff run` processes contend for the
# Lease kube-system/kube-controller-manager; only the holder acts (a
# ReplicaSet gets exactly its replicas), and when it is killed the other
# takes the Lease over and carries on.
. "$SKIFF_ROOT/tests/lib.sh"
. "$SKIFF_ROOT/tests/e2e/api_common.sh"
api_start

wait_for() {
  local d=$1 want=$2 got= i; shift 2
  for i in $(seq 1 100); do got=$("$@" 2>&1); [ "$got" = "$want" ] && break; sleep 0.2; done
  expect_eq "$d" "$want" "$got"
}

ctrl_start() { # identity
  cat >"$T/ctrl-$1.cfg" <<CFG
plugin_path = [ "$SKIFF_PLUGINS" ];
components = { controllers = true; };
controllers = { server = "http://127.0.0.1:$API_PORT"; leader_elect = true; identity = "$1";
                lease_duration = "5s"; renew_deadline = "3s"; retry_period = "500ms";
                enable = [ "replicaset", "garbagecollector" ]; };
CFG
  "$SKIFF_BIN" run --config "$T/ctrl-$1.cfg" >>"$T/ctrl-$1.log" 2>&1 &
  eval "PID_$1=$!"
  on_exit "kill $! 2>/dev/null; wait $! 2>/dev/null"
}
ctrl_start alpha
sleep 0.5
ctrl_start beta
holder() { "$KUBECTL" get lease -n kube-system kube-controller-manager -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
wait_for "first process holds the Lease" "alpha" holder
expect_eq "lease fields" "5 0" "$(k get lease -n kube-system kube-controller-manager -o jsonpath='{.spec.leaseDurationSeconds} {.spec.leaseTransitions}')"
sleep 1.5
expect_eq "still alpha after renewals (beta waits)" "alpha" "$(holder)"

cat <<Y | k apply -f - >/dev/null 2>&1
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: fe}
spec:
  replicas: 3
  selector: {matchLabels: {app: fe}}
  template:
    metadata: {labels: {app: fe}}
    spec: {containers: [{name: c, image: nginx}]}
Y
wait_for "the leader creates the pods (over HTTP)" "3" bash -c "$KUBECTL get pods -l app=fe --no-headers 2>/dev/null | wc -l"
sleep 1
expect_eq "exactly 3: only the leader acts" "3" "$(k get pods -l app=fe --no-headers 2>&1 | wc -l)"
expect_contains "alpha logged leadership" "alpha acquired lease kube-system/kube-controller-manager" "$(cat "$T/ctrl-alpha.log")"
check "beta did not lead" bash -c "! grep -q 'beta acquired' '$T/ctrl-beta.log'"

kill -9 "$PID_alpha" 2>/dev/null; wait "$PID_alpha" 2>/dev/null
wait_for "after the leader dies, beta takes the Lease" "beta" holder
expect_eq "leaseTransitions counted" "1" "$(k get lease -n kube-system kube-controller-manager -o jsonpath='{.spec.leaseTransitions}')"
k scale rs fe --replicas=5 >/dev/null 2>&1
wait_for "the new leader acts" "5" bash -c "$KUBECTL get pods -l app=fe --no-headers 2>/dev/null | wc -l"

# a clean stop releases the Lease at once
ctrl_start gamma
sleep 1
kill "$PID_beta"; wait "$PID_beta" 2>/dev/null
# without the release gamma would wait out the 5s lease; with it, one retry (0.5s)
got=; for i in $(seq 1 12); do got=$(holder); [ "$got" = gamma ] && break; sleep 0.2; done
expect_eq "released on exit: gamma takes over within 2.4s" "gamma" "$got"
expect_contains "beta released the Lease on stop" "beta released lease kube-system/kube-controller-manager" "$(cat "$T/ctrl-beta.log")"

# settings errors
cat >"$T/bad.cfg" <<CFG
plugin_path = [ "$SKIFF_PLUGINS" ];
components = { controllers = true; };
controllers = { enable = [ "replicaset" ]; };
CFG
out=$("$SKIFF_BIN" run --config "$T/bad.cfg" --once 2>&1); rc=$?
expect_eq "no API server and no server URL: exit 2" "2" "$rc"
expect_contains "says what to do" "enable apiserver or set controllers.server" "$out"
sed -i 's/"replicaset"/"replicaset", "nosuch"/; s/enable =/server = "http:\/\/127.0.0.1:1"; enable =/' "$T/bad.cfg"
out=$("$SKIFF_BIN" run --config "$T/bad.cfg" --once 2>&1)
expect_contains "unknown controller named" 'unknown controller "nosuch"' "$out"

api_stop
check "server shut down cleanly (no sanitizer reports)" api_log_clean
check "controller processes clean (no sanitizer reports)" bash -c "! grep -qE 'Sanitizer|runtime error:' $T/ctrl-*.log"
done_testing
