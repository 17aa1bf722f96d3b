#!/usr/bin/env bash
# The sim component (simulated nodes) under `skiff server`, driven by the real
# kubectl 1.32: three nodes Ready with leases, a pod bound to one goes Running
# with an IP from that node's podCIDR, heartbeat=stop freezes one node's
# lease while the others advance, graceful pod deletion completes.
. "$SKIFF_ROOT/tests/lib.sh"
. "$SKIFF_ROOT/tests/e2e/api_common.sh"
cat >"$API_CFG" <<CFG
plugin_path = [ "$SKIFF_PLUGINS" ];
components = { apiserver = true; sim = true; };
apiserver = { listen = "127.0.0.1:6443"; };
sim = { nodes = 3; heartbeat = "500ms"; status_interval = "1s"; pod_start_delay = "300ms";
        zones = 3; labels = [ "pool=sim" ]; taints = [ "sim.skiff.dev/fake=true:NoSchedule" ]; };
plugins = { store = ( { plugin = "memory"; } ); };
CFG
api_start

# wait_for DESCRIPTION EXPECTED COMMAND...: poll up to ~10s until the output is EXPECTED
wait_for() {
  local d=$1 want=$2 got= i; shift 2
  for i in $(seq 1 100); do got=$("$@" 2>&1); [ "$got" = "$want" ] && break; sleep 0.1; done
  expect_eq "$d" "$want" "$got"
}

wait_for "three nodes registered" "3" bash -c "$KUBECTL get nodes --no-headers 2>/dev/null | wc -l"
out=$(k get nodes 2>&1)
expect_contains "nodes table columns" "NAME         STATUS   ROLES    AGE" "$out"
expect_contains "nodes table header ends with VERSION" "VERSION" "$(echo "$out" | head -1)"
expect_eq "three Ready nodes on v1.32.0-skiff" "3" "$(echo "$out" | grep -cE '^sim-node-[0-2] +Ready +<none> +[0-9]+s +v1\.32\.0-skiff$')"
expect_eq "node labels" "sim-node-1 linux amd64 sim sim zone-1" \
  "$(k get node sim-node-1 -o jsonpath='{.metadata.labels.kubernetes\.io/hostname} {.metadata.labels.kubernetes\.io/os} {.metadata.labels.kubernetes\.io/arch} {.metadata.labels.type} {.metadata.labels.pool} {.metadata.labels.topology\.kubernetes\.io/zone}')"
expect_eq "node capacity and allocatable" "32 256Gi 110 32" \
  "$(k get node sim-node-0 -o jsonpath='{.status.capacity.cpu} {.status.capacity.memory} {.status.capacity.pods} {.status.allocatable.cpu}')"
expect_eq "node conditions" "MemoryPressure=False DiskPressure=False PIDPressure=False Ready=True " \
  "$(k get node sim-node-0 -o jsonpath='{range .status.conditions[*]}{.type}={.status} {end}')"
expect_eq "node podCIDR, InternalIP, taint" "10.244.2.0/24 172.18.0.4 sim.skiff.dev/fake:NoSchedule" \
  "$(k get node sim-node-2 -o jsonpath='{.spec.podCIDR} {.status.addresses[?(@.type=="InternalIP")].address} {.spec.taints[0].key}:{.spec.taints[0].effect}')"
out=$(k get nodes -l topology.kubernetes.io/zone=zone-2 -o name 2>&1)
expect_eq "zone spread: one node per zone" "node/sim-node-2" "$out"

out=$(k get leases -n kube-node-lease -o custom-columns=N:.metadata.name,H:.spec.holderIdentity,D:.spec.leaseDurationSeconds --no-headers 2>&1)
expect_eq "a lease per node in kube-node-lease" "sim-node-0   sim-node-0   40
sim-node-1   sim-node-1   40
sim-node-2   sim-node-2   40" "$out"
rt=$(k get lease -n kube-node-lease sim-node-0 -o jsonpath='{.spec.renewTime}')
case "$rt" in
  [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z) ok "renewTime is a MicroTime ($rt)";;
  *) notok "renewTime is a MicroTime"; echo "#   got: $rt";;
esac

cat >"$T/pod.yaml" <<Y
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  nodeName: sim-node-1
  containers:
  - {name: main, image: "nginx:1.25"}
  - {name: side, image: busybox}
Y
out=$(k create -f "$T/pod.yaml" 2>&1); expect_eq "create a pod bound to sim-node-1" "pod/web created" "$out"
wait_for "pod goes Running" "Running" "$KUBECTL" get pod web -o jsonpath='{.status.phase}'
out=$(k get pod web -o wide 2>&1)
expect_contains "get -o wide: 2/2 Running on sim-node-1" "2/2     Running   0" "$out"
ip=$(k get pod web -o jsonpath='{.status.podIP}')
case "$ip" in 10.244.1.*) ok "pod IP $ip is in sim-node-1's podCIDR 10.244.1.0/24";; *) notok "pod IP in podCIDR"; echo "#   got: $ip";; esac
expect_contains "get -o wide shows the IP and node" "$ip   sim-node-1" "$out"
expect_eq "pod status details" "172.18.0.3 $ip True True sim://nginx:1.25 true 0" \
  "$(k get pod web -o jsonpath='{.status.hostIP} {.status.podIPs[0].ip} {.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="ContainersReady")].status} {.status.containerStatuses[0].imageID} {.status.containerStatuses[1].ready} {.status.containerStatuses[1].restartCount}')"
k create -f - >/dev/null 2>&1 <<Y
apiVersion: v1
kind: Pod
metadata: {name: web2}
spec: {nodeName: sim-node-1, containers: [{name: main, image: busybox}]}
Y
wait_for "second pod goes Running" "Running" "$KUBECTL" get pod web2 -o jsonpath='{.status.phase}'
ip2=$(k get pod web2 -o jsonpath='{.status.podIP}')
check "second pod on the same node gets another IP ($ip2)" test -n "$ip2" -a "$ip2" != "$ip"
k create -f - >/dev/null 2>&1 <<Y
apiVersion: v1
kind: Pod
metadata: {name: withinit}
spec: {nodeName: sim-node-0, initContainers: [{name: setup, image: busybox}], containers: [{name: main, image: busybox}]}
Y
wait_for "a pod with an init container goes Running" "Running" "$KUBECTL" get pod withinit -o jsonpath='{.status.phase}'
expect_eq "its init container is Completed" "setup Completed 0" \
  "$(k get pod withinit -o jsonpath='{.status.initContainerStatuses[0].name} {.status.initContainerStatuses[0].state.terminated.reason} {.status.initContainerStatuses[0].state.terminated.exitCode}')"
expect_contains "kubectl shows it 1/1 Running" "withinit   1/1     Running" "$(k get pod withinit 2>&1)"
k create -f - >/dev/null 2>&1 <<Y
apiVersion: v1
kind: Pod
metadata: {name: unbound}
spec: {containers: [{name: main, image: busybox}]}
Y
sleep 0.6
expect_eq "a pod bound to no node stays Pending" "Pending" "$(k get pod unbound -o jsonpath='{.status.phase}')"

out=$(k annotate node sim-node-2 sim.skiff.dev/heartbeat=stop 2>&1); expect_eq "annotate heartbeat=stop" "node/sim-node-2 annotated" "$out"
sleep 1
leases() { k get leases -n kube-node-lease -o jsonpath='{range .items[*]}{.spec.renewTime} {end}'; }
a=($(leases)); sleep 1.6; b=($(leases))
check "sim-node-0's lease advances (${a[0]} -> ${b[0]})" test "${a[0]}" != "${b[0]}"
check "sim-node-1's lease advances (${a[1]} -> ${b[1]})" test "${a[1]}" != "${b[1]}"
expect_eq "sim-node-2's lease stops advancing" "${a[2]}" "${b[2]}"
hb=$(k get node sim-node-2 -o jsonpath='{.status.conditions[?(@.type=="Ready")].lastHeartbeatTime}')
sleep 1.2
expect_eq "sim-node-2's status heartbeat stops too" "$hb" "$(k get node sim-node-2 -o jsonpath='{.status.conditions[?(@.type=="Ready")].lastHeartbeatTime}')"
k annotate node sim-node-2 sim.skiff.dev/heartbeat- >/dev/null 2>&1
for i in $(seq 1 50); do
  rt=$(k get lease -n kube-node-lease sim-node-2 -o jsonpath='{.spec.renewTime}')
  [ "$rt" != "${b[2]}" ] && break; sleep 0.1
done
check "removing the annotation resumes renewals" test "$rt" != "${b[2]}"

out=$(k delete pod web --timeout=15s 2>&1); rc=$?
expect_eq "kubectl delete pod completes" "0 pod \"web\" deleted" "$rc $out"
out=$(k get pod web 2>&1); expect_eq "the pod is gone" 'Error from server (NotFound): pods "web" not found' "$out"
# the freed IP is not handed out again at once, but the pod's slot is free
k create -f "$T/pod.yaml" >/dev/null 2>&1
wait_for "a recreated pod under the same name runs again" "Running" "$KUBECTL" get pod web -o jsonpath='{.status.phase}'
check "and gets a fresh IP" test "$(k get pod web -o jsonpath='{.status.podIP}')" != "$ip"

# a sim in another process, over HTTP (sim.server)
cat >"$T/remote.cfg" <<CFG
plugin_path = [ "$SKIFF_PLUGINS" ];
components = { sim = true; };
sim = { nodes = 2; name_prefix = "remote-"; heartbeat = "500ms"; pod_start_delay = "200ms";
        server = "http://127.0.0.1:$API_PORT"; };
CFG
"$SKIFF_BIN" run --config "$T/remote.cfg" >>"$T/remote.log" 2>&1 &
REMOTE_PID=$!
on_exit "kill $REMOTE_PID 2>/dev/null; wait $REMOTE_PID 2>/dev/null"
wait_for "a remote sim registers its nodes over HTTP" "node/remote-0 node/remote-1" bash -c "$KUBECTL get nodes -l type=sim -o name 2>/dev/null | grep remote | xargs"
k create -f - >/dev/null 2>&1 <<Y
apiVersion: v1
kind: Pod
metadata: {name: far}
spec: {nodeName: remote-1, containers: [{name: main, image: busybox}]}
Y
wait_for "a pod on a remote sim node goes Running" "Running 10.244.1.2" "$KUBECTL" get pod far -o jsonpath='{.status.phase} {.status.podIP}'
# a dead node finishes no deletion: the pod stays Terminating until it comes back
k annotate node remote-1 sim.skiff.dev/heartbeat=stop >/dev/null 2>&1
sleep 0.5
k delete pod far --wait=false >/dev/null 2>&1
sleep 1.2
check "a pod deleted on a stopped node stays Terminating" test -n "$(k get pod far -o jsonpath='{.metadata.deletionTimestamp}' 2>/dev/null)"
k annotate node remote-1 sim.skiff.dev/heartbeat- >/dev/null 2>&1
wait_for "and goes once the node's heartbeat resumes" "NotFound" bash -c "$KUBECTL get pod far 2>&1 | grep -o NotFound"
kill "$REMOTE_PID"; wait "$REMOTE_PID" 2>/dev/null
check "remote sim log has no sanitizer report" bash -c "! grep -qE 'Sanitizer|runtime error:' '$T/remote.log'"

api_stop
check "server log has no sanitizer report" api_log_clean

# bad settings are refused with the key at fault
cat >"$T/bad.cfg" <<CFG
plugin_path = [ "$SKIFF_PLUGINS" ];
components = { apiserver = true; sim = true; };
apiserver = { listen = "127.0.0.1:0"; };
sim = { nodes = 3; taints = [ "dedicated" ]; };
plugins = { store = ( { plugin = "memory"; } ); };
CFG
out=$("$SKIFF_BIN" run --config "$T/bad.cfg" --once 2>&1); rc=$?
check "a bad taint fails the start (rc $rc)" test "$rc" -ne 0
expect_contains "and says which and why" 'sim.taints[0] "dedicated": expected KEY[=VALUE]:EFFECT' "$out"
sed -i 's/nodes = 3; taints = \[ "dedicated" \];/nodes = 300;/' "$T/bad.cfg"
out=$("$SKIFF_BIN" run --config "$T/bad.cfg" --once 2>&1)
expect_contains "300 nodes do not fit a /16 pod range" "sim.pod_cidr 10.244.0.0/16 has room for 256 /24 node ranges but sim.nodes = 300" "$out"
printf 'plugin_path = [ "%s" ];\ncomponents = { sim = true; };\nsim = { nodes = 1; };\n' "$SKIFF_PLUGINS" >"$T/alone.cfg"
out=$("$SKIFF_BIN" run --config "$T/alone.cfg" --once 2>&1)
expect_contains "sim without an API server says what to do" "sim needs an API server: enable apiserver in this process" "$out"
printf 'plugin_path = [ "%s" ];\nsim = { nodez = 1; };\n' "$SKIFF_PLUGINS" >"$T/typo.cfg"
out=$("$SKIFF_BIN" check-config "$T/typo.cfg" 2>&1)
expect_contains "check-config knows the sim keys" 'unknown key "nodez" in sim; did you mean "nodes"?' "$out"
done_testing
