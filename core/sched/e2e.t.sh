#!/usr/bin/env bash
# The scheduler component wired to the API server in one `skiff server`
# process, driven by the real kubectl 1.32: nodes and pods come from the
# API's watches, pods are bound through pods/binding, a pod that fits nowhere
# gets Kubernetes' FailedScheduling event and PodScheduled=False, and fits
# once a node that can hold it is added.
. "${SKIFF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$SKIFF_ROOT/tests/e2e/api_common.sh"
cat >"$API_CFG" <<CFG
plugin_path = [ "$SKIFF_PLUGINS" ];
components = { apiserver = true; scheduler = true; };
apiserver = { listen = "127.0.0.1:6443"; };
scheduler = { pod_initial_backoff = "100ms"; pod_max_backoff = "200ms";
  profiles = ( { name = "default-scheduler";
                 plugins = ( { instance = "unsched"; }, { instance = "taints"; }, { instance = "fit"; },
                             { instance = "affinity"; }, { instance = "least"; }, { instance = "binder"; } ); } ); };
plugins = {
  store = ( { plugin = "memory"; } );
  scheduler = (
    { plugin = "node-unschedulable"; instance = "unsched"; },
    { plugin = "node-resources-fit"; instance = "fit"; },
    { plugin = "taint-toleration"; instance = "taints"; },
    { plugin = "node-affinity"; instance = "affinity"; },
    { plugin = "least-allocated"; instance = "least"; },
    { plugin = "default-binder"; instance = "binder"; }
  );
};
CFG
api_start

node() { # name cpu [taint]
  local spec='{}'
  [ -n "${3:-}" ] && spec="{taints: [{key: dedicated, value: \"$3\", effect: NoSchedule}]}"
  cat >"$T/node-$1.yaml" <<Y
apiVersion: v1
kind: Node
metadata: {name: $1, labels: {kubernetes.io/hostname: $1}}
spec: $spec
status: {allocatable: {cpu: "$2", memory: 8Gi, pods: "110"}, capacity: {cpu: "$2", memory: 8Gi, pods: "110"}}
Y
  k create -f "$T/node-$1.yaml" >/dev/null 2>&1
}
pod() { # name cpu
  k run "$1" --image=nginx --restart=Never --overrides="{\"spec\":{\"containers\":[{\"name\":\"$1\",\"image\":\"nginx\",\"resources\":{\"requests\":{\"cpu\":\"$2\"}}}]}}" >/dev/null 2>&1
}
wait_for() { # jsonpath-cmd expected
  local i out
  for i in $(seq 1 100); do
    out=$(eval "$1" 2>/dev/null)
    [ "$out" = "$2" ] && break
    sleep 0.1
  done
  echo "$out"
}

node n1 2
node n2 2 gpu
pod small 500m
expect_eq "pod bound to the untainted node" "n1" "$(wait_for "k get pod small -o jsonpath='{.spec.nodeName}'" n1)"
out=$(wait_for "k get events --field-selector involvedObject.name=small,reason=Scheduled -o jsonpath='{.items[0].message}'" "Successfully assigned default/small to n1")
expect_eq "Scheduled event" "Successfully assigned default/small to n1" "$out"

pod big 4
msg='0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: gpu}.'
out=$(wait_for "k get events --field-selector involvedObject.name=big,reason=FailedScheduling -o jsonpath='{.items[0].message}'" "$msg")
expect_eq "FailedScheduling event in Kubernetes' wording" "$msg" "$out"
out=$(wait_for "k get pod big -o jsonpath='{.status.conditions[?(@.type==\"PodScheduled\")].status} {.status.conditions[?(@.type==\"PodScheduled\")].reason}'" "False Unschedulable")
expect_eq "PodScheduled=False reason Unschedulable" "False Unschedulable" "$out"
expect_eq "big stays Pending" "" "$(k get pod big -o jsonpath='{.spec.nodeName}')"

# Node changes make big worth another try; the identical FailedScheduling
# events land on one Event with count 3, as client-go's correlator does.
k label node n1 retry=1 >/dev/null 2>&1
sleep 0.5
k label node n1 retry=2 --overwrite >/dev/null 2>&1
out=$(wait_for "k get events --field-selector involvedObject.name=big,reason=FailedScheduling -o jsonpath='{.items[*].count}'" "3")
expect_eq "one FailedScheduling Event, count 3" "3" "$out"
out=$(k describe pod big 2>&1 | grep FailedScheduling)
expect_contains "describe: Warning FailedScheduling (x3 over ...)" "(x3 over " "$out"
echo "$out" | sed 's/^/# /'

node n3 8
expect_eq "a node that fits arrives: big is retried and bound" "n3" "$(wait_for "k get pod big -o jsonpath='{.spec.nodeName}'" n3)"

k run other --image=nginx --restart=Never --overrides='{"spec":{"schedulerName":"no-such-scheduler"}}' >/dev/null 2>&1
sleep 0.5
expect_eq "a pod naming another scheduler stays Pending" "" "$(k get pod other -o jsonpath='{.spec.nodeName}')"

api_stop
api_log_clean && ok "server log clean" || notok "server log clean"
done_testing
