#!/usr/bin/env bash
# sdk/examples/zone-pin: build the custom scheduler plugin out of tree, load it
# as a second scheduler profile beside the default one, and see a pod that
# names that profile (spec.schedulerName) land in its zone — or, when no node
# is in its zone, stay Pending with the plugin's reason in kubectl describe.
. "${SKIFF_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$SKIFF_ROOT/tests/e2e/api_common.sh"
EX=$SKIFF_ROOT/sdk/examples/zone-pin
mkdir -p "$T/p"
make -s -C "$EX" OUT="$T/p" >"$T/make.log" 2>&1
expect_eq "builds out of tree with its own Makefile" 0 "$?"
expect_eq "the only skiff include path is sdk/include" "-I ../../include" \
  "$(make -n -B -C "$EX" OUT="$T/p" | grep -o -- '-I [^ ]*')"
expect_eq "exports only skiff_plugin" "skiff_plugin" "$(nm -D --defined-only "$T/p/zone-pin.so" | awk '{print $NF}')"
out=$("$SKIFF_BIN" plugins --plugin-path "$T/p" 2>&1)
expect_contains "skiff plugins lists it with its keys" "scheduler/zone-pin 1.0.0" "$out"
cat >"$API_CFG" <<CFG
plugin_path = [ "$SKIFF_PLUGINS", "$T/p" ];
components = { apiserver = true; scheduler = true; sim = true; };
sim = { nodes = 3; zones = 3; pod_start_delay = "100ms"; heartbeat = "2s"; };
scheduler = {
  profiles = (
    { name = "default-scheduler";
      plugins = ( { instance = "fit"; }, { instance = "least"; }, { instance = "binder"; } ); },
    { name = "zone-pinned";
      plugins = ( { instance = "fit"; }, { instance = "zone-pin"; weight = 2; }, { instance = "binder"; } ); }
  );
};
plugins = {
  store = ( { plugin = "memory"; } );
  scheduler = (
    { plugin = "node-resources-fit"; instance = "fit"; },
    { plugin = "least-allocated"; instance = "least"; },
    { plugin = "zone-pin"; },
    { plugin = "default-binder"; instance = "binder"; }
  );
};
CFG
out=$("$SKIFF_BIN" check-config "$API_CFG" 2>&1); expect_contains "the config with the plugin checks" "ok (5 plugin instances)" "$out"
api_start
for i in $(seq 1 100); do [ "$(k get nodes --no-headers 2>/dev/null | grep -c ' Ready ')" = 3 ] && break; sleep 0.1; done
zone1=$(k get node sim-node-1 -o jsonpath='{.metadata.labels.topology\.kubernetes\.io/zone}')
expect_eq "sim-node-1 is in zone-1" "zone-1" "$zone1"
pod() { # name zone
  cat <<Y
apiVersion: v1
kind: Pod
metadata: {name: $1, labels: {zone: $2}}
spec: {schedulerName: zone-pinned, containers: [{name: c, image: busybox:1.36}]}
Y
}
for n in a b c; do pod "pinned-$n" zone-1 | k create -f - >/dev/null; done
for i in $(seq 1 100); do
  [ "$(k get pods -l zone=zone-1 -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | grep -c sim-node-1)" = 3 ] && break
  sleep 0.1
done
expect_eq "every pod naming the zone-pinned profile lands in zone-1" "sim-node-1 sim-node-1 sim-node-1" \
  "$(k get pods -l zone=zone-1 -o jsonpath='{range .items[*]}{.spec.nodeName}{" "}{end}' | sed 's/ $//')"
pod nowhere zone-9 | k create -f - >/dev/null
for i in $(seq 1 100); do k describe pod nowhere 2>/dev/null | grep -q FailedScheduling && break; sleep 0.1; done
out=$(k describe pod nowhere 2>&1)
expect_eq "a pod for a zone with no nodes stays Pending and unbound" "Pending/" "$(k get pod nowhere -o jsonpath='{.status.phase}/{.spec.nodeName}')"
expect_contains "describe shows the plugin's reason" "0/3 nodes are available: 3 node(s) not in topology.kubernetes.io/zone zone-9." "$out"
api_stop
check "the server log is clean" api_log_clean
done_testing
