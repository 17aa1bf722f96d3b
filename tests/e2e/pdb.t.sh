#!/usr/bin/env bash
# PodDisruptionBudgets end to end under `skiff server` with the real kubectl
# 1.32: `kubectl create pdb` / `get pdb` (kube's columns) / `describe pdb`,
# the disruption controller's status, the eviction subresource refusing with
# 429 (curl, and `kubectl drain` retrying), and preemption sparing the pod a
# budget protects: on three full simulated nodes the high-priority pod
# evicts an unprotected pod, though without the budget the protected one
# (started last) would have been the victim. Then stale DisruptionTarget
# conditions: a pod marked by an eviction or a preemption whose delete never
# came gets the condition set False once it is older than
# controllers.stale_pod_disruption_timeout (3s here; kube's 2 minutes by
# default), while a pod evicted and deleted in time keeps it.
. "$SKIFF_ROOT/tests/lib.sh"
. "$SKIFF_ROOT/tests/e2e/api_common.sh"
. "$SKIFF_ROOT/tests/e2e/sched_common.sh"
sched_server 3 1 "controllers = true;" 'controllers = { enable = [ "disruption" ]; stale_pod_disruption_timeout = "3s"; };' "${SCHED_PREEMPT_PLUGINS[@]}"
pod() { # name app cpu [class]
  cat >"$T/pod-$1.json" <<J
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$1","labels":{"app":"$2"}},
 "spec":{${4:+\"priorityClassName\":\"$4\",}"containers":[{"name":"c","image":"nginx","resources":{"requests":{"cpu":"$3"}}}]}}
J
  k create -f "$T/pod-$1.json" 2>&1
}

wait_for "three simulated nodes" "3" bash -c "$KUBECTL get nodes --no-headers 2>/dev/null | wc -l"
low_high_classes "$T/pc.yaml"
k create -f "$T/pc.yaml" >/dev/null 2>&1

# Two unprotected pods, then (a second later: a later start) the protected one.
pod web-0 web 700m >/dev/null
pod web-1 web 700m >/dev/null
wait_for "web pods Running" "2" bash -c "$KUBECTL get pods -l app=web --no-headers 2>/dev/null | grep -c Running"
sleep 1.2
pod db-0 db 700m >/dev/null
wait_for "db pod Running" "1" bash -c "$KUBECTL get pods -l app=db --no-headers 2>/dev/null | grep -c Running"

expect_eq "kubectl create pdb" "poddisruptionbudget.policy/db-pdb created" \
  "$(k create pdb db-pdb --selector=app=db --min-available=1 2>&1)"
wait_for "controller: status from the matching pods" "0 1 1 1 1 False InsufficientPods" \
  k get pdb db-pdb -o jsonpath='{.status.disruptionsAllowed} {.status.currentHealthy} {.status.desiredHealthy} {.status.expectedPods} {.status.observedGeneration} {.status.conditions[0].status} {.status.conditions[0].reason}'
out=$(k get pdb 2>&1)
expect_eq "get pdb: kube's columns" "NAME MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE" \
  "$(echo "$out" | head -1 | tr -s ' ')"
expect_contains "get pdb: the row" "db-pdb 1 N/A 0" "$(echo "$out" | sed -n 2p | tr -s ' ')"
expect_eq "shortname pdb and the full name agree" "$(k get pdb -o name 2>&1)" "$(k get poddisruptionbudgets.policy -o name 2>&1)"
out=$(k describe pdb db-pdb 2>&1)
expect_contains "describe: min available" "Min available:  1" "$out"
expect_contains "describe: selector" "Selector:       app=db" "$out"
expect_contains "describe: allowed disruptions" "Allowed disruptions:  0" "$out"
expect_contains "describe: current" "Current:              1" "$out"
out=$(k create pdb bad --selector=app=x --min-available=1 --max-unavailable=1 2>&1)
expect_contains "min and max both refused (kubectl or the server)" "min-available" "$out"
out=$(curl -s -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$API_PORT/apis/policy/v1/namespaces/default/poddisruptionbudgets" \
  -d '{"metadata":{"name":"bad"},"spec":{"minAvailable":"120%"}}')
expect_contains "server validation" 'spec.minAvailable: Invalid value: \"120%\": must not be greater than 100%' "$out"

# The eviction subresource: 429 with kube's message, the pod stays.
out=$(curl -s -w ' HTTP%{http_code}' -X POST -H 'Content-Type: application/json' \
  "http://127.0.0.1:$API_PORT/api/v1/namespaces/default/pods/db-0/eviction" \
  -d '{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"db-0","namespace":"default"}}')
expect_contains "eviction: 429" "HTTP429" "$out"
expect_contains "eviction: kube's message" "Cannot evict pod as it would violate the pod's disruption budget." "$out"
expect_contains "eviction: the cause" "The disruption budget db-pdb needs 1 healthy pods and has 1 currently" "$out"
node=$(k get pod db-0 -o jsonpath='{.spec.nodeName}')
out=$(k drain "$node" --pod-selector=app=db --force --timeout=2s 2>&1)
expect_contains "drain: evicting retries on the budget" "Cannot evict pod as it would violate the pod's disruption budget." "$out"
k uncordon "$node" >/dev/null 2>&1
expect_eq "db-0 still Running" "Running" "$(k get pod db-0 -o jsonpath='{.status.phase}')"

# Preemption: the high pod needs one node's worth; the budget makes a web pod the victim.
pod high high 700m high >/dev/null
wait_for "high pod bound" "1" bash -c "$KUBECTL get pod high -o jsonpath='{.spec.nodeName}' | grep -c sim-node"
victim=$(k get events --field-selector reason=Preempted -o jsonpath='{.items[0].involvedObject.name}')
expect_contains "the victim is a web pod, not the protected db pod" "web-" "$victim"
expect_eq "db-0 untouched" "Running" "$(k get pod db-0 -o jsonpath='{.status.phase}')"
expect_eq "no Preempted event on db-0" "" "$(k get events --field-selector reason=Preempted,involvedObject.name=db-0 -o name)"

# An eviction the budget allows: 201, spent.
k patch pdb db-pdb --type=merge -p '{"spec":{"minAvailable":0}}' >/dev/null 2>&1
wait_for "spec change: observedGeneration 2, one allowed" "2 1 SufficientPods" \
  k get pdb db-pdb -o jsonpath='{.status.observedGeneration} {.status.disruptionsAllowed} {.status.conditions[0].reason}'
out=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  "http://127.0.0.1:$API_PORT/api/v1/namespaces/default/pods/db-0/eviction" \
  -d '{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"db-0","namespace":"default"}}')
expect_eq "eviction allowed: 201" "201" "$out"
wait_for "db-0 gone" "" bash -c "$KUBECTL get pod db-0 --no-headers 2>/dev/null"
expect_eq "kubectl create pdb --max-unavailable" "poddisruptionbudget.policy/web-pdb created" \
  "$(k create pdb web-pdb --selector=app=web --max-unavailable=50% 2>&1)"
expect_contains "get pdb: max unavailable row" "web-pdb N/A 50%" "$(k get pdb web-pdb --no-headers 2>&1 | tr -s ' ')"
# Stale DisruptionTarget conditions. A delete that never came after the
# condition is written as the API server and kube-scheduler write it (a
# strategic-merge patch of pods/status), as kube's issue #113578 reproduces it.
pod stale-evict stale 10m >/dev/null
pod stale-preempt stale 10m >/dev/null
pod kept kept 10m >/dev/null
wait_for "stale and kept pods Running" "3" bash -c "$KUBECTL get pods -l 'app in (stale,kept)' --no-headers 2>/dev/null | grep -c Running"
mark() { # pod reason message
  k patch pod "$1" --subresource=status --type=strategic -p "{\"status\":{\"conditions\":[{\"type\":\"DisruptionTarget\",\"status\":\"True\",
    \"reason\":\"$2\",\"message\":\"$3\",\"lastTransitionTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}]}}" 2>&1
}
target() { k get pod "$1" -o jsonpath='{.status.conditions[?(@.type=="DisruptionTarget")].status} {.status.conditions[?(@.type=="DisruptionTarget")].reason}' 2>&1; }
# kept: evicted for real (no budget selects it) and deleted in time; a finalizer keeps it visible
k patch pod kept --type=merge -p '{"metadata":{"finalizers":["example.com/keep"]}}' >/dev/null 2>&1
out=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  "http://127.0.0.1:$API_PORT/api/v1/namespaces/default/pods/kept/eviction" \
  -d '{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"kept","namespace":"default"}}')
expect_eq "kept: evicted (201)" "201" "$out"
evicted_at=$(date +%s)
expect_contains "stale-evict: marked as an eviction marks" "pod/stale-evict patched" "$(mark stale-evict EvictionByEvictionAPI 'Eviction API: evicting')"
expect_contains "stale-preempt: marked as a preemption marks" "pod/stale-preempt patched" \
  "$(mark stale-preempt PreemptionByScheduler 'default-scheduler: preempting to accommodate a higher priority pod')"
expect_eq "stale-evict: True before its time" "True EvictionByEvictionAPI" "$(target stale-evict)"
wait_for "stale-evict: False once 3s old, reason gone" "False " target stale-evict
wait_for "stale-preempt: False once 3s old" "False " target stale-preempt
expect_eq "stale-evict: kubectl wait --for=condition=DisruptionTarget=false" "pod/stale-evict condition met" \
  "$(k wait --for=condition=DisruptionTarget=false pod/stale-evict --timeout=5s 2>&1)"
while [ $(( $(date +%s) - evicted_at )) -lt 5 ]; do sleep 0.2; done
expect_eq "kept: being deleted" "true" "$(k get pod kept -o jsonpath='{.metadata.deletionTimestamp}' 2>&1 | grep -q . && echo true)"
expect_eq "kept: deleted in time, its condition left alone past the timeout" "True EvictionByEvictionAPI" "$(target kept)"
k patch pod kept --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1
wait_for "kept: gone once its finalizer is" "" bash -c "$KUBECTL get pod kept --no-headers 2>/dev/null"

api_stop
api_log_clean && ok "server log clean" || notok "server log clean"
# a timeout of 0 fails the start with a clear message
sed -i 's|stale_pod_disruption_timeout = "3s"|stale_pod_disruption_timeout = "0s"|' "$API_CFG"
out=$(timeout 10 "$SKIFF_BIN" server --config "$API_CFG" --listen "127.0.0.1:$(free_port)" --data-dir "$T/data2" 2>&1); rc=$?
check "stale_pod_disruption_timeout 0 fails the start (rc $rc)" test "$rc" -ne 0
expect_contains "and says why" "controllers: stale_pod_disruption_timeout must be more than 0, got 0ms" "$out"
done_testing
