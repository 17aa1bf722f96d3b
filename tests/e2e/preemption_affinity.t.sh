#!/usr/bin/env bash
# Preemption resolving inter-pod anti-affinity with its victims, end to end
# under `skiff server` with the real kubectl 1.32: victims are taken out of
# the inter-pod-affinity PreFilter state during the what-if (kube's
# RemovePod/AddPod PreFilter extensions), so a high-priority pod whose
# anti-affinity (or a low pod's anti-affinity against it) clashes only with
# lower-priority pods on the node evicts them and lands there. Before the
# extensions both stayed Pending with "node(s) didn't match pod
# anti-affinity rules".
. "$SKIFF_ROOT/tests/lib.sh"
. "$SKIFF_ROOT/tests/e2e/api_common.sh"
. "$SKIFF_ROOT/tests/e2e/sched_common.sh"
sched_server 1 4 "" "" node-unschedulable:unsched node-resources-fit:fit inter-pod-affinity:ipa least-allocated:least \
  default-preemption:preemption default-binder:binder
ANTI='{"podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[{"labelSelector":{"matchLabels":{"app":"%s"}},"topologyKey":"kubernetes.io/hostname"}]}}'
pod() { # name app class [anti-affinity-to-app]
  local aff=
  [ -n "${4:-}" ] && aff="\"affinity\":$(printf "$ANTI" "$4"),"
  cat >"$T/pod-$1.json" <<J
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$1","labels":{"app":"$2"}},
 "spec":{"priorityClassName":"$3",${aff}"containers":[{"name":"c","image":"nginx","resources":{"requests":{"cpu":"100m"}}}]}}
J
  k create -f "$T/pod-$1.json" 2>&1
}

wait_for "one simulated node" "1" bash -c "$KUBECTL get nodes --no-headers 2>/dev/null | wc -l"
k create priorityclass low --value=100 >/dev/null 2>&1
k create priorityclass high --value=1000 >/dev/null 2>&1
k create priorityclass top --value=2000 >/dev/null 2>&1

# 1. the preemptor's own anti-affinity against a lower-priority pod
pod lonely lonely low >/dev/null
pod keeper keeper top >/dev/null
wait_for "lonely and keeper Running" "2" bash -c "$KUBECTL get pods --no-headers 2>/dev/null | grep -c Running"
pod picky picky high lonely >/dev/null
wait_for "picky bound after preempting lonely" "sim-node-0" k get pod picky -o jsonpath='{.spec.nodeName}'
expect_eq "the victim is lonely" "lonely" "$(k get events --field-selector reason=Preempted -o jsonpath='{.items[*].involvedObject.name}')"
wait_for "lonely is gone" "" bash -c "$KUBECTL get pod lonely --no-headers 2>/dev/null"
expect_eq "keeper (higher priority, no clash) kept" "Running" "$(k get pod keeper -o jsonpath='{.status.phase}')"

# 2. a lower-priority pod's anti-affinity against the preemptor
pod hermit hermit low intruder >/dev/null
wait_for "hermit Running" "Running" k get pod hermit -o jsonpath='{.status.phase}'
pod intruder intruder high >/dev/null
wait_for "intruder bound after preempting hermit" "sim-node-0" k get pod intruder -o jsonpath='{.spec.nodeName}'
expect_contains "hermit was preempted" "hermit" "$(k get events --field-selector reason=Preempted -o jsonpath='{.items[*].involvedObject.name}')"

# 3. a clash with a pod of higher priority is not preemption's to solve
pod shy shy low keeper >/dev/null
want='0/1 nodes are available: 1 node(s) didn'"'"'t match pod anti-affinity rules. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.'
wait_for "no victim can help: kube's wording" "$want" \
  k get events --field-selector involvedObject.name=shy,reason=FailedScheduling -o jsonpath='{.items[0].message}'
expect_eq "keeper still Running" "Running" "$(k get pod keeper -o jsonpath='{.status.phase}')"
api_stop
api_log_clean && ok "server log clean" || notok "server log clean"
done_testing
