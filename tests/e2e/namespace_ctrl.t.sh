#!/usr/bin/env bash
# The namespace controller with the real kubectl 1.32 against `skiff server`
# (apiserver + scheduler + sim + controllers): deleting a namespace turns it
# Terminating (creates refused), the controller empties it (a Deployment and
# its pods, configmaps, a secret), sets kube's conditions and finalizes it;
# `kubectl delete ns` waits and returns as against a cluster. An object
# whose finalizer stays keeps the namespace Terminating with
# NamespaceFinalizersRemaining until the finalizer goes.
. "$SKIFF_ROOT/tests/lib.sh"
. "$SKIFF_ROOT/tests/e2e/api_common.sh"
cat >"$API_CFG" <<CFG
plugin_path = [ "$SKIFF_PLUGINS" ];
components = { apiserver = true; scheduler = true; sim = true; controllers = true; };
apiserver = { listen = "127.0.0.1:6443"; };
sim = { nodes = 2; heartbeat = "1s"; status_interval = "2s"; pod_start_delay = "200ms"; };
controllers = { workers = 2; };
plugins = {
  store = ( { plugin = "memory"; } );
  scheduler = ( { plugin = "node-resources-fit"; instance = "fit"; }, { plugin = "default-binder"; instance = "binder"; } );
  admission = ( { plugin = "namespace-lifecycle"; } );
};
CFG
api_start

wait_for() {
  local d=$1 want=$2 got= i; shift 2
  for i in $(seq 1 150); do got=$("$@" 2>&1); [ "$got" = "$want" ] && break; sleep 0.2; done
  expect_eq "$d" "$want" "$got"
}

out=$(k create namespace team 2>&1); expect_eq "create namespace" "namespace/team created" "$out"
expect_eq "spec.finalizers defaulted" "kubernetes" "$(k get ns team -o jsonpath='{.spec.finalizers[*]}' 2>&1)"
expect_eq "phase Active" "Active" "$(k get ns team -o jsonpath='{.status.phase}' 2>&1)"
k -n team create deployment web --image=nginx --replicas=3 >/dev/null 2>&1
k -n team create configmap c1 --from-literal=a=b >/dev/null 2>&1
k -n team create configmap c2 --from-literal=a=b >/dev/null 2>&1
k -n team create secret generic s1 --from-literal=p=q >/dev/null 2>&1
out=$(timeout 60 "$KUBECTL" -n team rollout status deploy/web --timeout=50s 2>&1); rc=$?
expect_eq "deployment in the namespace rolls out" "0" "$rc"
expect_eq "3 pods running" "3" "$(k -n team get pods --no-headers 2>&1 | grep -c Running)"

# the pods have a long grace period on a node that takes a while: watch the
# namespace go Terminating while `kubectl delete ns` waits
(k get ns team -w --no-headers >"$T/nswatch" 2>&1) &
wpid=$!
start=$(date +%s)
out=$(timeout 90 "$KUBECTL" delete namespace team 2>&1); rc=$?
end=$(date +%s)
kill $wpid 2>/dev/null; wait $wpid 2>/dev/null
expect_eq "kubectl delete ns exits 0" "0" "$rc"
expect_eq "kubectl delete ns output" 'namespace "team" deleted' "$out"
expect_contains "kubectl get ns -w showed Terminating" "Terminating" "$(cat "$T/nswatch")"
out=$(k get ns team 2>&1); rc=$?
expect_eq "namespace gone after delete returned" "1" "$rc"
expect_contains "namespace NotFound" 'namespaces "team" not found' "$out"
check "delete ns took under 60s ($((end - start))s)" test $((end - start)) -lt 60
# nothing of the namespace is left in the store (a recreated namespace is empty)
k create namespace team >/dev/null 2>&1
expect_eq "recreated namespace is empty" "No resources found in team namespace." \
  "$(k -n team get deploy,rs,pods,cm,secrets 2>&1 | grep -v '^kube-root-ca' )"

# a finalizer on a configmap keeps the namespace Terminating
k create namespace held >/dev/null 2>&1
k -n held create -f - >/dev/null 2>&1 <<Y
apiVersion: v1
kind: ConfigMap
metadata: {name: pinned, finalizers: [example.com/hold]}
data: {a: b}
Y
k -n held create configmap loose --from-literal=x=y >/dev/null 2>&1
out=$(k delete namespace held --wait=false 2>&1); expect_eq "delete ns --wait=false" 'namespace "held" deleted' "$out"
expect_eq "kubectl get ns shows Terminating" "Terminating" "$(k get ns held --no-headers 2>&1 | awk '{print $2}')"
out=$(k delete namespace held --wait=false 2>&1); rc=$?
expect_eq "deleting a Terminating namespace again exits 1" "1" "$rc"
expect_eq "deleting a Terminating namespace again is a Conflict" \
  'Error from server (Conflict): Operation cannot be fulfilled on namespaces "held": The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.' "$out"
out=$(k -n held create configmap late --from-literal=a=b 2>&1); rc=$?
expect_eq "create in a terminating namespace exits 1" "1" "$rc"
expect_contains "create in a terminating namespace refused" \
  "unable to create new content in namespace held because it is being terminated" "$out"
jq_cond() { k get ns held -o jsonpath="{range .status.conditions[?(@.type==\"$1\")]}{.status}/{.reason}/{.message}{end}" 2>&1; }
wait_for "NamespaceFinalizersRemaining" \
  "True/SomeFinalizersRemain/Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances" \
  jq_cond NamespaceFinalizersRemaining
expect_eq "NamespaceContentRemaining" "True/SomeResourcesRemain/Some resources are remaining: configmaps. has 1 resource instances" \
  "$(jq_cond NamespaceContentRemaining)"
expect_eq "NamespaceDeletionDiscoveryFailure" "False/ResourcesDiscovered/All resources successfully discovered" \
  "$(jq_cond NamespaceDeletionDiscoveryFailure)"
expect_eq "NamespaceDeletionContentFailure" "False/ContentDeleted/All content successfully deleted, may be waiting on finalization" \
  "$(jq_cond NamespaceDeletionContentFailure)"
expect_eq "the other configmap is gone, the pinned one is being deleted" "pinned true" \
  "$(k -n held get cm -o jsonpath='{range .items[*]}{.metadata.name} {.metadata.deletionTimestamp}{end}' 2>&1 | sed 's/ 20[0-9T:Z-]*$/ true/')"
expect_eq "still Terminating" "Terminating" "$(k get ns held -o jsonpath='{.status.phase}' 2>&1)"
out=$(k describe ns held 2>&1)
expect_contains "describe ns: Terminating" "Terminating" "$out"
expect_contains "describe ns: the finalizer condition" "NamespaceFinalizersRemaining" "$out"
k -n held patch cm pinned --type=json -p '[{"op":"remove","path":"/metadata/finalizers"}]' >/dev/null 2>&1
wait_for "namespace gone once the finalizer is removed" "NotFound" \
  sh -c "'$KUBECTL' get ns held 2>&1 | grep -o NotFound"

# the finalize subresource takes spec.finalizers only
k create namespace fin >/dev/null 2>&1
code=$(curl -s -o "$T/fin.json" -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
  --data '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"fin","labels":{"x":"y"}},"spec":{"finalizers":["example.com/a","kubernetes"]}}' \
  "http://127.0.0.1:$API_PORT/api/v1/namespaces/fin/finalize")
expect_eq "PUT namespaces/fin/finalize 200" "200" "$code"
expect_eq "finalize set spec.finalizers, not labels" "example.com/a kubernetes|" \
  "$(k get ns fin -o jsonpath='{.spec.finalizers[*]}|{.metadata.labels.x}' 2>&1)"
k patch ns fin --type=merge -p '{"spec":{"finalizers":[]}}' >/dev/null 2>&1
expect_eq "a plain update does not change spec.finalizers" "example.com/a kubernetes" \
  "$(k get ns fin -o jsonpath='{.spec.finalizers[*]}' 2>&1)"
out=$(k get --raw /api/v1 2>&1)
expect_contains "discovery lists namespaces/finalize" '"name":"namespaces/finalize"' "$out"
# the controller removes only its own finalizer: example.com/a keeps it
k delete ns fin --wait=false >/dev/null 2>&1
wait_for "controller removed the kubernetes finalizer only" "example.com/a" \
  k get ns fin -o jsonpath='{.spec.finalizers[*]}'
expect_eq "namespace still there (Terminating)" "Terminating" "$(k get ns fin -o jsonpath='{.status.phase}' 2>&1)"
curl -s -o /dev/null -X PUT -H 'Content-Type: application/json' \
  --data '{"metadata":{"name":"fin"},"spec":{"finalizers":[]}}' "http://127.0.0.1:$API_PORT/api/v1/namespaces/fin/finalize"
wait_for "finalizing the last one deletes the namespace" "NotFound" \
  sh -c "'$KUBECTL' get ns fin 2>&1 | grep -o NotFound"

api_stop
check "server log has no sanitizer report" api_log_clean
done_testing
