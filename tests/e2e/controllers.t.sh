#!/usr/bin/env bash
# The controllers under `skiff server` with the scheduler and simulated nodes
# (pods really get bound and go Running/Ready), driven by the real kubectl
# 1.32: a Deployment rolls out, an image change rolls within maxSurge /
# maxUnavailable and scales the old ReplicaSet to 0, rollout undo restores the
# old template, scale up/down, pause/resume, Recreate, a bare ReplicaSet
# adopts and releases pods, delete cascades.
. "$SKIFF_ROOT/tests/lib.sh"
. "$SKIFF_ROOT/tests/e2e/api_common.sh"
cat >"$API_CFG" <<CFG
plugin_path = [ "$SKIFF_PLUGINS" ];
components = { apiserver = true; scheduler = true; sim = true; controllers = true; };
apiserver = { listen = "127.0.0.1:6443"; };
sim = { nodes = 3; heartbeat = "1s"; status_interval = "2s"; pod_start_delay = "200ms"; };
controllers = { workers = 2; node_monitor_grace_period = "3s"; };
plugins = {
  store = ( { plugin = "memory"; } );
  scheduler = (
    { plugin = "node-resources-fit"; instance = "fit"; },
    { plugin = "taint-toleration"; instance = "taints"; },
    { plugin = "least-allocated"; instance = "least"; },
    { plugin = "default-binder"; instance = "binder"; }
  );
};
CFG
api_start

# wait_for DESCRIPTION EXPECTED COMMAND...: poll up to ~20s until the output is EXPECTED
wait_for() {
  local d=$1 want=$2 got= i; shift 2
  for i in $(seq 1 100); do got=$("$@" 2>&1); [ "$got" = "$want" ] && break; sleep 0.2; done
  expect_eq "$d" "$want" "$got"
}
jp() { "$KUBECTL" get "$1" -o jsonpath="$2" 2>&1; }

cat >"$T/web.yaml" <<Y
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 4
  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 1}}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: nginx, image: "nginx:1.25"}]}
Y
out=$(k apply -f "$T/web.yaml" 2>&1); expect_eq "apply deployment" "deployment.apps/web created" "$out"
out=$(timeout 60 "$KUBECTL" rollout status deploy/web --timeout=50s 2>&1); rc=$?
expect_eq "rollout status exits 0" "0" "$rc"
expect_contains "rollout status says done" 'deployment "web" successfully rolled out' "$out"
expect_eq "status: replicas updated ready available" "4 4 4 4" \
  "$(jp deploy/web '{.status.replicas} {.status.updatedReplicas} {.status.readyReplicas} {.status.availableReplicas}')"
expect_eq "conditions" "Available=True/MinimumReplicasAvailable Progressing=True/NewReplicaSetAvailable " \
  "$(jp deploy/web '{range .status.conditions[*]}{.type}={.status}/{.reason} {end}')"
rs1=$(k get rs -l app=web -o jsonpath='{.items[0].metadata.name}')
hash=$(k get rs "$rs1" -o jsonpath='{.metadata.labels.pod-template-hash}')
expect_eq "RS named <deploy>-<pod-template-hash>" "web-$hash" "$rs1"
expect_eq "RS revision 1, owned by the deployment" "1 Deployment true true" \
  "$(jp rs/"$rs1" '{.metadata.annotations.deployment\.kubernetes\.io/revision} {.metadata.ownerReferences[0].kind} {.metadata.ownerReferences[0].controller} {.metadata.ownerReferences[0].blockOwnerDeletion}')"
expect_eq "deployment revision annotation" "1" "$(jp deploy/web '{.metadata.annotations.deployment\.kubernetes\.io/revision}')"
pods=$(k get pods -l app=web -o name 2>&1)
expect_eq "4 pods" "4" "$(echo "$pods" | grep -c "^pod/$rs1-[bcdfghjklmnpqrstvwxz2456789]\{5\}$")"
expect_eq "pods Running on simulated nodes" "4" "$(k get pods -l app=web -o wide --no-headers 2>&1 | grep -c 'Running .*sim-node-')"
out=$(k get events --field-selector reason=ScalingReplicaSet -o jsonpath='{.items[*].message}' 2>&1)
expect_contains "ScalingReplicaSet event" "Scaled up replica set $rs1 to" "$out"
out=$(k get events --field-selector reason=SuccessfulCreate,involvedObject.name="$rs1" --no-headers 2>&1 | wc -l)
check "SuccessfulCreate events on the RS ($out)" test "$out" -ge 4

# image change: watch the pod count stay within 4+1 total and 4-1 available
(for i in $(seq 1 150); do
   "$KUBECTL" get pods -l app=web --no-headers 2>/dev/null | grep -vc Terminating; sleep 0.1; done >"$T/counts") &
mon=$!
out=$(k set image deploy/web nginx=nginx:1.26 2>&1); expect_eq "set image" "deployment.apps/web image updated" "$out"
out=$(timeout 60 "$KUBECTL" rollout status deploy/web --timeout=50s 2>&1); rc=$?
expect_eq "rollout after set image completes" "0" "$rc"
kill $mon 2>/dev/null; wait $mon 2>/dev/null
max=$(sort -n "$T/counts" | tail -1)
check "never more than replicas+maxSurge pods ($max)" test "${max:-99}" -le 5
rs2=$(k get rs -l app=web -o jsonpath='{range .items[?(@.spec.template.spec.containers[0].image=="nginx:1.26")]}{.metadata.name}{end}')
expect_eq "new RS at 4, revision 2" "4 2" "$(jp rs/"$rs2" '{.spec.replicas} {.metadata.annotations.deployment\.kubernetes\.io/revision}')"
wait_for "old RS scaled to 0" "0 0" jp rs/"$rs1" '{.spec.replicas} {.status.replicas}'
expect_eq "deployment revision 2" "2" "$(jp deploy/web '{.metadata.annotations.deployment\.kubernetes\.io/revision}')"
out=$(k rollout history deploy/web 2>&1); expect_contains "rollout history lists revisions" "2 " "$out"
out=$(k get events --field-selector reason=ScalingReplicaSet -o jsonpath='{range .items[*]}{.message}{"\n"}{end}' 2>&1)
expect_contains "scale-down event" "Scaled down replica set $rs1 to" "$out"

out=$(k rollout undo deploy/web 2>&1); expect_eq "rollout undo" "deployment.apps/web rolled back" "$out"
out=$(timeout 60 "$KUBECTL" rollout status deploy/web --timeout=50s 2>&1); rc=$?
expect_eq "rollout after undo completes" "0" "$rc"
expect_eq "old template back" "nginx:1.25" "$(jp deploy/web '{.spec.template.spec.containers[0].image}')"
expect_eq "old RS reused at 4 with revision 3" "4 3" "$(jp rs/"$rs1" '{.spec.replicas} {.metadata.annotations.deployment\.kubernetes\.io/revision}')"
wait_for "1.26 RS scaled to 0" "0" jp rs/"$rs2" '{.spec.replicas}'
expect_eq "two ReplicaSets in all" "2" "$(k get rs -l app=web --no-headers 2>&1 | wc -l)"

out=$(k scale deploy/web --replicas=6 2>&1); expect_eq "scale up" "deployment.apps/web scaled" "$out"
wait_for "scaled up to 6 available" "6 6" jp deploy/web '{.status.replicas} {.status.availableReplicas}'
out=$(k scale deploy/web --replicas=2 2>&1); expect_eq "scale down" "deployment.apps/web scaled" "$out"
wait_for "scaled down to 2" "2 2" jp deploy/web '{.status.replicas} {.status.availableReplicas}'
wait_for "2 pods left" "2" bash -c "$KUBECTL get pods -l app=web --no-headers 2>/dev/null | grep -vc Terminating"

# Endpoints and EndpointSlices follow the Service's ready pods
cat <<Y | k apply -f - >/dev/null 2>&1
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}
Y
wait_for "Endpoints: two ready addresses, targetPort" "2 8080 http" bash -c "$KUBECTL get endpoints web -o jsonpath='{.subsets[0].addresses[*].ip}' | wc -w | tr -d ' ' | tr '\n' ' '; $KUBECTL get endpoints web -o jsonpath='{.subsets[0].ports[0].port} {.subsets[0].ports[0].name}'"
# (pods of the scale-down may still be Terminating, with their IPs: not ready, not listed)
ips=$(k get pods -l app=web -o go-template='{{range .items}}{{if not .metadata.deletionTimestamp}}{{.status.podIP}} {{end}}{{end}}' | tr ' ' '\n' | grep . | sort | tr '\n' ' ')
expect_eq "Endpoints addresses are the pods' IPs" "$ips" "$(k get endpoints web -o jsonpath='{.subsets[0].addresses[*].ip}' | tr ' ' '\n' | sort | tr '\n' ' ')"
expect_eq "EndpointSlice: labels, owner, 2 ready endpoints" "web endpointslice-controller.k8s.io Service/web IPv4 true true 8080" \
  "$(k get endpointslices -l kubernetes.io/service-name=web -o jsonpath='{.items[0].metadata.labels.kubernetes\.io/service-name} {.items[0].metadata.labels.endpointslice\.kubernetes\.io/managed-by} {.items[0].metadata.ownerReferences[0].kind}/{.items[0].metadata.ownerReferences[0].name} {.items[0].addressType} {.items[0].endpoints[*].conditions.ready} {.items[0].ports[0].port}')"
k scale deploy/web --replicas=3 >/dev/null 2>&1
wait_for "Endpoints follow a scale-up" "3" bash -c "$KUBECTL get endpoints web -o jsonpath='{.subsets[0].addresses[*].ip}' | wc -w | tr -d ' '"
wait_for "EndpointSlice follows a scale-up" "3" bash -c "$KUBECTL get endpointslices -l kubernetes.io/service-name=web -o jsonpath='{.items[0].endpoints[*].addresses[0]}' | wc -w | tr -d ' '"
k scale deploy/web --replicas=2 >/dev/null 2>&1
k delete svc web >/dev/null 2>&1
wait_for "Service deleted: its Endpoints and EndpointSlice go" "0" bash -c "$KUBECTL get endpoints,endpointslices -l kubernetes.io/service-name=web -o name 2>/dev/null | wc -l; $KUBECTL get endpoints web -o name 2>/dev/null"

out=$(k rollout pause deploy/web 2>&1); expect_eq "rollout pause" "deployment.apps/web paused" "$out"
k set image deploy/web nginx=nginx:1.27 >/dev/null 2>&1
wait_for "paused: Progressing Unknown DeploymentPaused" "Unknown/DeploymentPaused" jp deploy/web '{.status.conditions[?(@.type=="Progressing")].status}/{.status.conditions[?(@.type=="Progressing")].reason}'
expect_eq "paused: no new RS" "2" "$(k get rs -l app=web --no-headers 2>&1 | wc -l)"
out=$(k rollout resume deploy/web 2>&1); expect_eq "rollout resume" "deployment.apps/web resumed" "$out"
out=$(timeout 60 "$KUBECTL" rollout status deploy/web --timeout=50s 2>&1); rc=$?
expect_eq "resumed rollout completes" "0" "$rc"
out=$(k rollout restart deploy/web 2>&1); expect_eq "rollout restart" "deployment.apps/web restarted" "$out"
out=$(timeout 60 "$KUBECTL" rollout status deploy/web --timeout=50s 2>&1); rc=$?
expect_eq "restarted rollout completes" "0" "$rc"
expect_eq "four ReplicaSets after restart" "4" "$(k get rs -l app=web --no-headers 2>&1 | wc -l)"

# revisionHistoryLimit: 1 keeps the current RS and one old one
k patch deploy web -p '{"spec":{"revisionHistoryLimit":1}}' >/dev/null 2>&1
wait_for "revisionHistoryLimit=1 leaves 2 ReplicaSets" "2" bash -c "$KUBECTL get rs -l app=web --no-headers 2>/dev/null | wc -l"

# Recreate: old pods go before new ones come
cat >"$T/rec.yaml" <<Y
apiVersion: apps/v1
kind: Deployment
metadata: {name: rec}
spec:
  replicas: 2
  strategy: {type: Recreate}
  selector: {matchLabels: {app: rec}}
  template:
    metadata: {labels: {app: rec}}
    spec: {containers: [{name: c, image: "busybox:1"}]}
Y
k apply -f "$T/rec.yaml" >/dev/null 2>&1
out=$(timeout 60 "$KUBECTL" rollout status deploy/rec --timeout=50s 2>&1); rc=$?
expect_eq "Recreate deployment rolls out" "0" "$rc"
k set image deploy/rec c=busybox:2 >/dev/null 2>&1
out=$(timeout 60 "$KUBECTL" rollout status deploy/rec --timeout=50s 2>&1); rc=$?
expect_eq "Recreate rollout completes" "0" "$rc"
expect_eq "Recreate: only new pods" "busybox:2 busybox:2" "$(k get pods -l app=rec -o jsonpath='{.items[*].spec.containers[0].image}')"

# a bare ReplicaSet adopts a matching orphan and releases a relabelled pod
k run orphan --image=busybox --labels=app=fe >/dev/null 2>&1
cat <<Y | k apply -f - >/dev/null 2>&1
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: fe}
spec:
  replicas: 2
  selector: {matchLabels: {app: fe}}
  template:
    metadata: {labels: {app: fe}}
    spec: {containers: [{name: c, image: nginx}]}
Y
wait_for "RS adopts the orphan" "ReplicaSet/fe" jp pod/orphan '{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}'
wait_for "RS has 2 ready replicas" "2 2 2" jp rs/fe '{.status.replicas} {.status.readyReplicas} {.status.availableReplicas}'
expect_eq "only one pod created (the orphan counts)" "2" "$(k get pods -l app=fe --no-headers 2>&1 | wc -l)"
expect_eq "RS observedGeneration" "1" "$(jp rs/fe '{.status.observedGeneration}')"
k label pod orphan app=other --overwrite >/dev/null 2>&1
wait_for "relabelled pod released" "" jp pod/orphan "{.metadata.ownerReferences[*].name}"
wait_for "RS replaces the released pod" "2" bash -c "$KUBECTL get pods -l app=fe --no-headers 2>/dev/null | grep -vc Terminating"

out=$(k delete deploy web 2>&1); expect_eq "delete deployment" 'deployment.apps "web" deleted' "$out"
wait_for "its ReplicaSets are deleted (garbage collector)" "0" bash -c "$KUBECTL get rs -l app=web --no-headers 2>/dev/null | wc -l"
wait_for "its pods are deleted (Terminating at most)" "0" bash -c "$KUBECTL get pods -l app=web --no-headers 2>/dev/null | grep -vc Terminating"

# node lifecycle: a node stops renewing its lease → Unknown, tainted, pods evicted and recreated elsewhere
cat <<Y | k apply -f - >/dev/null 2>&1
apiVersion: apps/v1
kind: Deployment
metadata: {name: nl}
spec:
  replicas: 3
  selector: {matchLabels: {app: nl}}
  template:
    metadata: {labels: {app: nl}}
    spec: {containers: [{name: c, image: nginx}]}
Y
timeout 60 "$KUBECTL" rollout status deploy/nl --timeout=50s >/dev/null 2>&1
dead=$(k get pods -l app=nl -o jsonpath='{.items[0].spec.nodeName}')
on_dead=$(k get pods -l app=nl --field-selector spec.nodeName="$dead" -o name | wc -l)
k annotate node "$dead" sim.skiff.dev/heartbeat=stop >/dev/null 2>&1
wait_for "node without heartbeat becomes Unknown (NotReady)" "Unknown NodeStatusUnknown" jp node/"$dead" '{.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].reason}'
expect_contains "kubectl shows it NotReady" "NotReady" "$(k get node "$dead" --no-headers 2>&1)"
wait_for "unreachable taints" "node.kubernetes.io/unreachable:NoSchedule node.kubernetes.io/unreachable:NoExecute " \
  jp node/"$dead" '{range .spec.taints[*]}{.key}:{.effect} {end}'
wait_for "its $on_dead pod(s) evicted (Terminating)" "$on_dead" bash -c "$KUBECTL get pods -l app=nl --field-selector spec.nodeName=$dead -o jsonpath='{range .items[*]}{.metadata.deletionTimestamp}{\"\\n\"}{end}' | grep -c ."
wait_for "replacements Running on the other nodes" "3" bash -c "$KUBECTL get pods -l app=nl -o wide --no-headers | grep -v Terminating | grep Running | grep -vc ' $dead '"
out=$(k get events --field-selector reason=NodeNotReady -o jsonpath='{.items[*].message}' 2>&1)
expect_contains "NodeNotReady event" "Node $dead status is now: NodeNotReady" "$out"
k annotate node "$dead" sim.skiff.dev/heartbeat- >/dev/null 2>&1
wait_for "heartbeat back: Ready, taints removed" "True " jp node/"$dead" '{.status.conditions[?(@.type=="Ready")].status} {.spec.taints[*].key}'
k delete deploy nl >/dev/null 2>&1

# DaemonSet: one pod per node, rolling update
cat <<Y | k apply -f - >/dev/null 2>&1
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {terminationGracePeriodSeconds: 0, containers: [{name: c, image: "agent:1"}]}
Y
out=$(timeout 60 "$KUBECTL" rollout status ds/agent --timeout=50s 2>&1); rc=$?
expect_eq "daemonset rollout status completes" "0" "$rc"
expect_eq "one pod on each of the 3 nodes" "sim-node-0 sim-node-1 sim-node-2" \
  "$(k get pods -l app=agent -o jsonpath='{.items[*].spec.nodeName}' | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
expect_eq "daemonset status" "3 3 3 3" "$(jp ds/agent '{.status.desiredNumberScheduled} {.status.currentNumberScheduled} {.status.numberReady} {.status.updatedNumberScheduled}')"
k set image ds/agent c=agent:2 >/dev/null 2>&1
out=$(timeout 60 "$KUBECTL" rollout status ds/agent --timeout=50s 2>&1); rc=$?
expect_eq "daemonset rolling update completes" "0" "$rc"
wait_for "all daemon pods run the new image" "agent:2 agent:2 agent:2" bash -c "$KUBECTL get pods -l app=agent -o jsonpath='{.items[*].spec.containers[0].image}'"
k delete ds agent >/dev/null 2>&1
wait_for "daemonset deleted: its pods are collected" "0" bash -c "$KUBECTL get pods -l app=agent --no-headers 2>/dev/null | grep -vc Terminating"

# propagation policies
mk_deploy() { # name replicas [grace]
  cat <<Y | k apply -f - >/dev/null 2>&1
apiVersion: apps/v1
kind: Deployment
metadata: {name: $1}
spec:
  replicas: $2
  selector: {matchLabels: {app: $1}}
  template:
    metadata: {labels: {app: $1}}
    spec: {terminationGracePeriodSeconds: ${3:-1}, containers: [{name: c, image: nginx}]}
Y
}
mk_deploy orph 2
timeout 60 "$KUBECTL" rollout status deploy/orph --timeout=50s >/dev/null 2>&1
rs=$(k get rs -l app=orph -o jsonpath='{.items[0].metadata.name}')
out=$(k delete deploy orph --cascade=orphan 2>&1); expect_eq "delete --cascade=orphan" 'deployment.apps "orph" deleted' "$out"
wait_for "orphan: the deployment goes (finalizer removed)" "" bash -c "$KUBECTL get deploy orph -o name 2>/dev/null"
wait_for "orphan: its ReplicaSet stays, without owner" "$rs " jp rs/"$rs" '{.metadata.name} {.metadata.ownerReferences[*].name}'
expect_eq "orphan: its pods stay" "2" "$(k get pods -l app=orph --no-headers 2>&1 | grep -vc Terminating)"
out=$(k delete rs "$rs" --cascade=orphan 2>&1); expect_eq "delete rs --cascade=orphan" "replicaset.apps \"$rs\" deleted" "$out"
wait_for "orphan: pods lose their owner reference" "" bash -c "$KUBECTL get pods -l app=orph -o jsonpath='{.items[*].metadata.ownerReferences[*].name}'"
k delete pods -l app=orph --wait=false >/dev/null 2>&1

mk_deploy fg 2 4
timeout 60 "$KUBECTL" rollout status deploy/fg --timeout=50s >/dev/null 2>&1
(timeout 8 "$KUBECTL" get deploy fg -w -o json >"$T/fg.watch" 2>&1 &)
sleep 1
k delete deploy fg --cascade=foreground --wait=false >/dev/null 2>&1
wait_for "foreground: pods go first" "0" bash -c "$KUBECTL get pods -l app=fg --no-headers 2>/dev/null | wc -l"
wait_for "foreground: then the ReplicaSet and the deployment" "" bash -c "$KUBECTL get deploy,rs -l app=fg -o name 2>/dev/null; $KUBECTL get deploy fg -o name 2>/dev/null"
sleep 1
expect_contains "foreground: the deployment waited with the foregroundDeletion finalizer" '"foregroundDeletion"' "$(cat "$T/fg.watch")"

mk_deploy bg 2
timeout 60 "$KUBECTL" rollout status deploy/bg --timeout=50s >/dev/null 2>&1
out=$(k delete deploy bg --cascade=background 2>&1); expect_eq "delete --cascade=background" 'deployment.apps "bg" deleted' "$out"
wait_for "background: ReplicaSet and pods are collected" "0" bash -c "$KUBECTL get rs,pods -l app=bg --no-headers 2>/dev/null | wc -l"

# a namespace with a deployment in it
k create namespace team >/dev/null 2>&1
k create deployment api --image=nginx --replicas=2 -n team >/dev/null 2>&1
timeout 60 "$KUBECTL" rollout status deploy/api -n team --timeout=50s >/dev/null 2>&1; rc=$?
expect_eq "deployment in a new namespace rolls out" "0" "$rc"
out=$(k delete namespace team 2>&1); expect_eq "delete namespace" 'namespace "team" deleted' "$out"
sleep 1
expect_eq "nothing of it is left or recreated" "" "$(k get deploy,rs,pods -n team -o name 2>/dev/null)"

api_stop
check "server shut down cleanly (no sanitizer reports)" api_log_clean
done_testing
