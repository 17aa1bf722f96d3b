#!/usr/bin/env bash
# The scheduler's events through client-go's EventCorrelator, with the real
# kubectl 1.32 under `skiff server`: a pending pod's FailedScheduling events
# with ten different messages (nodes keep arriving, so "0/N nodes" keeps
# changing) within 10 minutes become one aggregate Event "(combined from
# similar events): ..."; and the spam filter keeps one object to 25 writes
# (burst) until its bucket refills (1 per 5 minutes), so a pod retried on
# every node update stops changing its Events.
. "$SKIFF_ROOT/tests/lib.sh"
. "$SKIFF_ROOT/tests/e2e/api_common.sh"
. "$SKIFF_ROOT/tests/e2e/sched_common.sh"
sched_server 0 "" "" "" node-unschedulable:unsched node-resources-fit:fit default-binder:binder
node() { # name: a node too small for the pod
  k create -f - >/dev/null 2>&1 <<J
{"apiVersion":"v1","kind":"Node","metadata":{"name":"$1"},"status":{"allocatable":{"cpu":"1","memory":"1Gi","pods":"10"},
 "capacity":{"cpu":"1","memory":"1Gi","pods":"10"},"conditions":[{"type":"Ready","status":"True"}]}}
J
}
k run big --image=nginx --restart=Never --overrides='{"spec":{"containers":[{"name":"big","image":"nginx","resources":{"requests":{"cpu":"8"}}}]}}' >/dev/null 2>&1
events() { k get events --field-selector involvedObject.name=big,reason=FailedScheduling -o jsonpath='{range .items[*]}{.count} {.message}{"\n"}{end}' 2>/dev/null; }
wait_for "first FailedScheduling" "1" bash -c "$KUBECTL get events --field-selector involvedObject.name=big,reason=FailedScheduling --no-headers 2>/dev/null | wc -l"
for i in $(seq 1 10); do
  node "n$i"
  want="0/$i nodes are available: $i Insufficient cpu."
  wait_for "message for $i node(s)" "1" bash -c "$KUBECTL get events --field-selector involvedObject.name=big,reason=FailedScheduling -o jsonpath='{range .items[*]}{.message}{\"\n\"}{end}' | grep -cF '$want' | tr -d ' '; true"
done
out=$(events)
echo "$out" | sed 's/^/# /'
expect_eq "nine messages of their own" "9" "$(echo "$out" | grep -vc 'combined from similar events')"
expect_eq "then one aggregate Event" "1" "$(echo "$out" | grep -c '(combined from similar events): ')"
expect_contains "the aggregate carries the latest message" "(combined from similar events): 0/10 nodes are available: 10 Insufficient cpu." "$out"
out=$(k describe pod big 2>&1)
expect_contains "describe shows it" "(combined from similar events): 0/10 nodes are available" "$out"

# Spam filter: one object gets at most 25 writes (creates or count patches)
# until its bucket refills at 1 per 5 minutes. Node updates make the
# scheduler retry the pod; its 11 events so far spent 11 tokens.
poke() { # n: n node updates, each a retry of the pod
  local i
  for i in $(seq 1 "$1"); do
    curl -s -o /dev/null -X PATCH -H 'Content-Type: application/merge-patch+json' \
      "http://127.0.0.1:$API_PORT/api/v1/nodes/n1" -d '{"metadata":{"labels":{"poke":"'"$RANDOM"'"}}}'
    sleep 0.1
  done
}
s0=$(events | awk '{s+=$1} END{print s}')
poke 5
sleep 0.5
s1=$(events | awk '{s+=$1} END{print s}')
check "retries still written while tokens last ($s0 -> $s1)" test "$s1" -gt "$s0"
poke 30
sleep 1
frozen=$(events)
poke 5
sleep 1
expect_eq "the bucket is empty: nothing more written for this pod" "$frozen" "$(events)"
echo "$frozen" | sed 's/^/# /'
api_stop
api_log_clean && ok "server log clean" || notok "server log clean"
done_testing
