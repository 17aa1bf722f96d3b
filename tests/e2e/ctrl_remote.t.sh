#!/usr/bin/env bash
# The namespace and node IPAM controllers in controller-only processes over
# HTTP with leader election (controllers.server, leader_elect): `kubectl
# delete ns` returns once the remote controller has emptied and finalized
# the namespace; nodes get ranges; when the leader dies the next one marks
# the ranges on existing nodes taken before giving any (no range twice).
. "$SKIFF_ROOT/tests/lib.sh"
. "$SKIFF_ROOT/tests/e2e/api_common.sh"
api_start

wait_for() {
  local d=$1 want=$2 got= i; shift 2
  for i in $(seq 1 150); do got=$("$@" 2>&1); [ "$got" = "$want" ] && break; sleep 0.2; done
  expect_eq "$d" "$want" "$got"
}

ctrl_start() { # identity
  cat >"$T/ctrl-$1.cfg" <<CFG
plugin_path = [ "$SKIFF_PLUGINS" ];
components = { controllers = true; };
controllers = { server = "http://127.0.0.1:$API_PORT"; leader_elect = true; identity = "$1";
                lease_duration = "3s"; renew_deadline = "2s"; retry_period = "300ms";
                enable = [ "namespace", "nodeipam", "garbagecollector" ];
                cluster_cidr = "10.32.0.0/16"; node_cidr_mask_size = 26; };
CFG
  "$SKIFF_BIN" run --config "$T/ctrl-$1.cfg" >>"$T/ctrl-$1.log" 2>&1 &
  eval "PID_$1=$!"
  on_exit "kill $! 2>/dev/null; wait $! 2>/dev/null"
}
holder() { "$KUBECTL" get lease -n kube-system kube-controller-manager -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
mknode() { printf 'apiVersion: v1\nkind: Node\nmetadata: {name: %s}\n' "$1" | k create -f - >/dev/null 2>&1; }

ctrl_start alpha
wait_for "alpha leads" "alpha" holder

k create namespace far >/dev/null 2>&1
for i in 1 2 3; do k -n far create configmap "c$i" --from-literal=a=b >/dev/null 2>&1; done
k -n far run p --image=nginx >/dev/null 2>&1
out=$(timeout 60 "$KUBECTL" delete namespace far 2>&1); rc=$?
expect_eq "kubectl delete ns with a remote namespace controller" "0 namespace \"far\" deleted" "$rc $out"
expect_contains "the namespace is gone" 'namespaces "far" not found' "$(k get ns far 2>&1)"

for n in n1 n2 n3; do mknode "$n"; done
wait_for "three nodes get /26 ranges" "10.32.0.0/26 10.32.0.128/26 10.32.0.64/26" \
  sh -c "'$KUBECTL' get nodes -o jsonpath='{range .items[*]}{.spec.podCIDR}{\"\\n\"}{end}' | sort | xargs"

kill -9 "$PID_alpha" 2>/dev/null; wait "$PID_alpha" 2>/dev/null
ctrl_start beta
wait_for "beta takes over" "beta" holder
mknode n4
wait_for "the new leader gives n4 a range not on any node" "10.32.0.192/26" k get node n4 -o jsonpath='{.spec.podCIDR}'
dups=$(k get nodes -o jsonpath='{range .items[*]}{.spec.podCIDR}{"\n"}{end}' | sort | uniq -d)
expect_eq "no range given twice" "" "$dups"
k create namespace far2 >/dev/null 2>&1
k -n far2 create configmap x --from-literal=a=b >/dev/null 2>&1
out=$(timeout 60 "$KUBECTL" delete namespace far2 2>&1); rc=$?
expect_eq "the new leader empties namespaces too" "0 namespace \"far2\" deleted" "$rc $out"
kill "$PID_beta" 2>/dev/null; wait "$PID_beta" 2>/dev/null
api_stop
check "no sanitizer report from the controller process" bash -c "! grep -qE 'Sanitizer|runtime error:' '$T/ctrl-beta.log'"
check "no sanitizer report from the server" api_log_clean
done_testing
