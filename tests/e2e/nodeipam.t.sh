#!/usr/bin/env bash
# Node IPAM with the real kubectl 1.32 against `skiff server` (apiserver +
# scheduler + sim + controllers, LMDB store): simulated nodes register
# without a podCIDR (sim.wait_pod_cidr) and get distinct /24s of
# controllers.cluster_cidr; pod IPs fall inside their node's range; an
# exhausted range is a CIDRNotAvailable event; a deleted node's range is
# given to the next node; after a restart the ranges on existing nodes are
# not handed out again.
. "$SKIFF_ROOT/tests/lib.sh"
. "$SKIFF_ROOT/tests/e2e/api_common.sh"
cat >"$API_CFG" <<CFG
plugin_path = [ "$SKIFF_PLUGINS" ];
components = { apiserver = true; scheduler = true; sim = true; controllers = true; };
apiserver = { listen = "127.0.0.1:6443"; };
sim = { nodes = 3; heartbeat = "1s"; status_interval = "2s"; pod_start_delay = "200ms"; wait_pod_cidr = true; };
controllers = { workers = 2; cluster_cidr = "10.100.0.0/22"; node_cidr_mask_size = 24; };
plugins = {
  store = ( { plugin = "lmdb"; settings = { path = "$T/store"; }; } );
  scheduler = ( { plugin = "node-resources-fit"; instance = "fit"; }, { plugin = "default-binder"; instance = "binder"; } );
};
CFG
api_start

wait_for() {
  local d=$1 want=$2 got= i; shift 2
  for i in $(seq 1 150); do got=$("$@" 2>&1); [ "$got" = "$want" ] && break; sleep 0.2; done
  expect_eq "$d" "$want" "$got"
}
cidrs() { "$KUBECTL" get nodes -o jsonpath='{range .items[*]}{.metadata.name}={.spec.podCIDR}{"\n"}{end}' 2>&1; }
# in_cidr IP CIDR: exit 0 when the address lies in the range
in_cidr() { python3 -c 'import ipaddress,sys; sys.exit(0 if ipaddress.ip_address(sys.argv[1]) in ipaddress.ip_network(sys.argv[2]) else 1)' "$1" "$2"; }

wait_for "three nodes with a podCIDR" "3" sh -c "'$KUBECTL' get nodes -o jsonpath='{range .items[*]}{.spec.podCIDR}{\"\\n\"}{end}' | grep -c /24"
got=$(cidrs | cut -d= -f2 | sort)
expect_eq "distinct ranges from the cluster CIDR" "10.100.0.0/24 10.100.1.0/24 10.100.2.0/24" "$(echo $got)"
expect_eq "podCIDRs mirrors podCIDR" "$(k get nodes -o jsonpath='{.items[*].spec.podCIDR}')" \
  "$(k get nodes -o jsonpath='{.items[*].spec.podCIDRs[0]}')"

k create deployment web --image=nginx --replicas=6 >/dev/null 2>&1
out=$(timeout 60 "$KUBECTL" rollout status deploy/web --timeout=50s 2>&1); rc=$?
expect_eq "pods start on nodes with allocated ranges" "0" "$rc"
bad=0; n=0
while read -r pod ip node; do
  n=$((n + 1))
  range=$(k get node "$node" -o jsonpath='{.spec.podCIDR}')
  in_cidr "$ip" "$range" || { bad=$((bad + 1)); echo "# $pod $ip not in $node's $range"; }
done < <(k get pods -l app=web -o jsonpath='{range .items[*]}{.metadata.name} {.status.podIP} {.spec.nodeName}{"\n"}{end}')
expect_eq "6 pods, each IP inside its node's podCIDR" "6 0" "$n $bad"

# a fourth node takes the last range, a fifth finds none
for n in extra-a extra-b; do
  k create -f - >/dev/null 2>&1 <<Y
apiVersion: v1
kind: Node
metadata: {name: $n}
Y
  sleep 0.5
done
wait_for "extra-a gets the last range" "10.100.3.0/24" k get node extra-a -o jsonpath='{.spec.podCIDR}'
wait_for "CIDRNotAvailable event for extra-b" "CIDRNotAvailable" \
  sh -c "'$KUBECTL' get events -A --field-selector involvedObject.name=extra-b,reason=CIDRNotAvailable -o jsonpath='{.items[0].reason}'"
out=$(k get events -A --field-selector involvedObject.name=extra-b,reason=CIDRNotAvailable -o jsonpath='{.items[0].message}' 2>&1)
expect_eq "CIDRNotAvailable message" "Node extra-b status is now: CIDRNotAvailable" "$out"
expect_eq "extra-b has no range" "" "$(k get node extra-b -o jsonpath='{.spec.podCIDR}' 2>&1)"
out=$(k delete node extra-a 2>&1); expect_eq "delete node" 'node "extra-a" deleted' "$out"
wait_for "the freed range goes to extra-b" "10.100.3.0/24" k get node extra-b -o jsonpath='{.spec.podCIDR}'
out=$(k patch node extra-b --type=merge -p '{"spec":{"podCIDR":"10.100.9.0/24","podCIDRs":["10.100.9.0/24"]}}' 2>&1); rc=$?
expect_eq "a node's range cannot be changed (exit 1)" "1" "$rc"
expect_contains "podCIDR change is Forbidden" 'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid' "$out"
out=$(printf 'apiVersion: v1\nkind: Node\nmetadata: {name: bad}\nspec: {podCIDR: "10.1.2.3/99"}\n' | k create -f - 2>&1); rc=$?
expect_eq "a bad podCIDR is refused (exit 1)" "1" "$rc"
expect_contains "bad podCIDR message" 'spec.podCIDRs[0]: Invalid value: "10.1.2.3/99": must be a valid CIDR' "$out"

# restart: the ranges on the nodes are marked taken before anything is given
api_stop
api_start
k create -f - >/dev/null 2>&1 <<Y
apiVersion: v1
kind: Node
metadata: {name: extra-c}
Y
k delete node extra-b >/dev/null 2>&1
wait_for "after a restart, a new node gets only the range freed since" "10.100.3.0/24" k get node extra-c -o jsonpath='{.spec.podCIDR}'
got=$(cidrs | grep sim-node | cut -d= -f2 | sort)
expect_eq "simulated nodes kept their ranges across the restart" "10.100.0.0/24 10.100.1.0/24 10.100.2.0/24" "$(echo $got)"
dups=$(cidrs | cut -d= -f2 | grep . | sort | uniq -d)
expect_eq "no range given twice" "" "$dups"

api_stop
check "server log has no sanitizer report" api_log_clean
# bad settings fail the start with a clear message
sed -i 's|cluster_cidr = "10.100.0.0/22"|cluster_cidr = "10.100.0.1/22"|' "$API_CFG"
out=$(timeout 10 "$SKIFF_BIN" server --config "$API_CFG" --listen "127.0.0.1:$(free_port)" --data-dir "$T/data2" 2>&1); rc=$?
check "a bad cluster_cidr fails the start (rc $rc)" test "$rc" -ne 0
expect_contains "bad cluster_cidr says why" "must be a network address" "$out"
done_testing
