#!/usr/bin/env bash
# Preemption end to end under `skiff server` with the real kubectl 1.32:
# PriorityClasses (built-in system classes, globalDefault, the Priority
# admission filling spec.priority), three full simulated nodes, a
# high-priority pod that evicts one low-priority pod (Preempted event,
# status.nominatedNodeName, then bound there), a pod with
# preemptionPolicy: Never that stays Pending, and Kubernetes'
# "preemption: 0/3 nodes are available: ..." wording.
. "$SKIFF_ROOT/tests/lib.sh"
. "$SKIFF_ROOT/tests/e2e/api_common.sh"
. "$SKIFF_ROOT/tests/e2e/sched_common.sh"
sched_server 3 1 "" "" "${SCHED_PREEMPT_PLUGINS[@]}"
pod() { # name cpu class [extra-spec-json]
  local extra=${4:-}
  cat >"$T/pod-$1.json" <<J
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$1","labels":{"app":"$1"}},
 "spec":{${3:+\"priorityClassName\":\"$3\",}${extra}"containers":[{"name":"c","image":"nginx","resources":{"requests":{"cpu":"$2"}}}]}}
J
  k create -f "$T/pod-$1.json" 2>&1
}

wait_for "three simulated nodes" "3" bash -c "$KUBECTL get nodes --no-headers 2>/dev/null | wc -l"
out=$(k get priorityclasses --no-headers 2>&1)
expect_contains "built-in system-cluster-critical" "system-cluster-critical   2000000000   false" "$out"
expect_contains "built-in system-node-critical" "system-node-critical      2000001000   false" "$out"

low_high_classes "$T/pc.yaml"
cat >>"$T/pc.yaml" <<Y
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high-never}
value: 1000
preemptionPolicy: Never
Y
expect_eq "create PriorityClasses" "priorityclass.scheduling.k8s.io/low created
priorityclass.scheduling.k8s.io/high created
priorityclass.scheduling.k8s.io/high-never created" "$(k create -f "$T/pc.yaml" 2>&1)"
out=$(k create priorityclass other --value=5 --global-default 2>&1)
expect_contains "only one globalDefault" "PriorityClass low is already marked as default. Only one default can exist" "$out"
out=$(pod nosuch 100m no-such-class)
expect_contains "unknown class refused by the Priority admission" 'pods "nosuch" is forbidden: no PriorityClass with name no-such-class was found' "$out"
out=$(pod given 100m high '"priority":5,')
expect_contains "spec.priority given by hand is refused" "the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000" "$out"

# Fill the three 1-cpu nodes with low-priority pods (the globalDefault class).
for i in 0 1 2; do pod low-$i 700m >/dev/null; done
wait_for "low pods resolved to the globalDefault class" "low 100 PreemptLowerPriority" \
  k get pod low-0 -o jsonpath='{.spec.priorityClassName} {.spec.priority} {.spec.preemptionPolicy}'
wait_for "three low pods Running" "3" bash -c "$KUBECTL get pods --no-headers 2>/dev/null | grep -c Running"

# A low-priority pod that fits nowhere finds no victims.
pod low-extra 700m >/dev/null
want='0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.'
wait_for "no victims of lower priority: Kubernetes' wording" "$want" \
  k get events --field-selector involvedObject.name=low-extra,reason=FailedScheduling -o jsonpath='{.items[0].message}'
k delete pod low-extra --wait=false >/dev/null 2>&1

# preemptionPolicy: Never waits instead of evicting.
pod never 700m high-never >/dev/null
want='0/3 nodes are available: 3 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.'
wait_for "preemptionPolicy Never: not eligible" "$want" \
  k get events --field-selector involvedObject.name=never,reason=FailedScheduling -o jsonpath='{.items[0].message}'
expect_eq "the Never pod evicted nobody" "3" "$(k get pods -l 'app in (low-0,low-1,low-2)' --no-headers 2>/dev/null | grep -c Running)"
k delete pod never --wait=false >/dev/null 2>&1

# The high-priority pod preempts exactly one low pod and lands on its node.
pod high 700m high >/dev/null
wait_for "high pod nominated to a node" "sim-node" \
  bash -c "$KUBECTL get pod high -o jsonpath='{.status.nominatedNodeName}' | cut -c1-8"
nominated=$(k get pod high -o jsonpath='{.status.nominatedNodeName}')
wait_for "high pod bound to its nominated node" "$nominated" k get pod high -o jsonpath='{.spec.nodeName}'
out=$(k get events --field-selector reason=Preempted -o jsonpath='{range .items[*]}{.involvedObject.name} {.message}{"\n"}{end}')
uid=$(k get pod high -o jsonpath='{.metadata.uid}')
expect_eq "one Preempted event, Kubernetes' wording" "1" "$(echo "$out" | grep -c "Preempted by pod $uid on node $nominated")"
echo "$out" | sed "s/^/# /"
victim=$(echo "$out" | awk "NR==1{print \$1}")
wait_for "the victim is gone" "" bash -c "$KUBECTL get pod $victim --no-headers 2>/dev/null"
expect_eq "the other low pods still run" "2" "$(k get pods -l 'app in (low-0,low-1,low-2)' --no-headers 2>/dev/null | grep -c Running)"
out=$(k describe pod high 2>&1)
expect_contains "describe: priority" "Priority:             1000" "$out"
expect_contains "describe: priority class" "Priority Class Name:  high" "$out"
expect_contains "describe: nominated node" "$nominated" "$(echo "$out" | grep -i 'nominated')"
expect_contains "describe: Scheduled on the nominated node" "Successfully assigned default/high to $nominated" "$out"
out=$(k get events --field-selector "involvedObject.name=$victim" 2>&1)
expect_contains "kubectl shows Preempted on the victim" "Preempted" "$out"

# numbers no int32 holds are refused, not cast (a cast of 1e308 is undefined
# behaviour: the sanitized build caught it from the hostile test)
for v in 1e308 -1e308 2.5; do
  out=$(curl -s -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$API_PORT/api/v1/namespaces/default/pods" \
    -d '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"huge"},"spec":{"priority":'"$v"',"containers":[{"name":"c","image":"nginx"}]}}')
  expect_contains "spec.priority $v refused" 'must not be provided in pod spec' "$out"
done
out=$(curl -s -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$API_PORT/apis/scheduling.k8s.io/v1/priorityclasses" \
  -d '{"metadata":{"name":"huge"},"value":1e308}')
expect_contains "PriorityClass value 1e308 refused" 'maximum allowed value of a user defined priority is 1000000000' "$out"
api_stop
api_log_clean && ok "server log clean" || notok "server log clean"
done_testing
