#!/usr/bin/env bash
# The sim component across a restart (LMDB store): nodes and leases are
# adopted (same uid), a running pod keeps its IP and a new pod on the same
# node gets another one (IPs in use are re-learnt from the pods).
. "$SKIFF_ROOT/tests/lib.sh"
. "$SKIFF_ROOT/tests/e2e/api_common.sh"
cat >"$API_CFG" <<CFG
plugin_path = [ "$SKIFF_PLUGINS" ];
components = { apiserver = true; sim = true; };
sim = { nodes = 2; heartbeat = "500ms"; pod_start_delay = "100ms"; };
plugins = { store = ( { plugin = "lmdb"; settings = { path = "$T/unused"; }; } ); };
CFG
wait_for() {
  local d=$1 want=$2 got= i; shift 2
  for i in $(seq 1 100); do got=$("$@" 2>&1); [ "$got" = "$want" ] && break; sleep 0.1; done
  expect_eq "$d" "$want" "$got"
}
run_pod() {
  k create -f - >/dev/null 2>&1 <<Y
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec: {nodeName: sim-node-0, containers: [{name: main, image: busybox}]}
Y
}
api_start
wait_for "nodes registered" "2" bash -c "$KUBECTL get nodes --no-headers 2>/dev/null | wc -l"
run_pod a
wait_for "pod a Running" "Running" "$KUBECTL" get pod a -o jsonpath='{.status.phase}'
ipa=$(k get pod a -o jsonpath='{.status.podIP}')
uid=$(k get node sim-node-0 -o jsonpath='{.metadata.uid}')
# a node registered by someone else, without a podCIDR: sim adopts it once
# its config covers the name
k create -f - >/dev/null 2>&1 <<Y
apiVersion: v1
kind: Node
metadata: {name: sim-node-2, labels: {mine: "yes"}}
Y
uid2=$(k get node sim-node-2 -o jsonpath='{.metadata.uid}')
api_stop
sed -i 's/nodes = 2;/nodes = 3;/' "$API_CFG"
API_PORT=
api_start
wait_for "an existing node without podCIDR is adopted and given one" "$uid2 10.244.2.0/24 yes" \
  "$KUBECTL" get node sim-node-2 -o jsonpath='{.metadata.uid} {.spec.podCIDR} {.metadata.labels.mine}'
wait_for "after a restart the nodes are Ready again" "Ready Ready Ready" bash -c "$KUBECTL get nodes --no-headers 2>/dev/null | awk '{print \$2}' | xargs"
expect_eq "the node was adopted, not re-created" "$uid" "$(k get node sim-node-0 -o jsonpath='{.metadata.uid}')"
expect_eq "its lease still points at it" "$uid" "$(k get lease -n kube-node-lease sim-node-0 -o jsonpath='{.metadata.ownerReferences[0].uid}')"
r1=$(k get lease -n kube-node-lease sim-node-0 -o jsonpath='{.spec.renewTime}')
wait_for "and is renewed" "yes" bash -c "[ \"\$($KUBECTL get lease -n kube-node-lease sim-node-0 -o jsonpath='{.spec.renewTime}')\" != '$r1' ] && echo yes"
expect_eq "pod a kept its IP" "Running $ipa" "$(k get pod a -o jsonpath='{.status.phase} {.status.podIP}')"
run_pod b
wait_for "pod b Running" "Running" "$KUBECTL" get pod b -o jsonpath='{.status.phase}'
ipb=$(k get pod b -o jsonpath='{.status.podIP}')
check "pod b got another IP ($ipa vs $ipb)" test -n "$ipb" -a "$ipb" != "$ipa"
api_stop
check "server log has no sanitizer report" api_log_clean
done_testing
