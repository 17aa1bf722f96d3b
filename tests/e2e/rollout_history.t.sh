#!/usr/bin/env bash
# ControllerRevisions with the real kubectl 1.32 against `skiff server`
# (apiserver + scheduler + sim + controllers): a DaemonSet's templates are
# recorded as apps/v1 ControllerRevisions whose hash labels its pods, so
# `kubectl rollout history/undo/status daemonset` work; `rollout history`
# of a Deployment still does.
. "$SKIFF_ROOT/tests/lib.sh"
. "$SKIFF_ROOT/tests/e2e/api_common.sh"
cat >"$API_CFG" <<CFG
plugin_path = [ "$SKIFF_PLUGINS" ];
components = { apiserver = true; scheduler = true; sim = true; controllers = true; };
apiserver = { listen = "127.0.0.1:6443"; };
sim = { nodes = 3; heartbeat = "1s"; status_interval = "2s"; pod_start_delay = "200ms"; };
controllers = { workers = 2; };
plugins = {
  store = ( { plugin = "memory"; } );
  scheduler = ( { plugin = "node-resources-fit"; instance = "fit"; }, { plugin = "default-binder"; instance = "binder"; } );
};
CFG
api_start

wait_for() {
  local d=$1 want=$2 got= i; shift 2
  for i in $(seq 1 150); do got=$("$@" 2>&1); [ "$got" = "$want" ] && break; sleep 0.2; done
  expect_eq "$d" "$want" "$got"
}
jp() { "$KUBECTL" get "$1" -o jsonpath="$2" 2>&1; }
rstatus() { timeout 60 "$KUBECTL" rollout status "$1" --timeout=50s 2>&1; }

out=$(k api-resources --api-group=apps --no-headers 2>&1)
expect_contains "controllerrevisions served" "controllerrevisions" "$out"

cat >"$T/ds.yaml" <<Y
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: a, image: "agent:1"}]}
Y
out=$(k apply -f "$T/ds.yaml" 2>&1); expect_eq "apply daemonset" "daemonset.apps/agent created" "$out"
out=$(rstatus ds/agent); rc=$?
expect_eq "rollout status ds exits 0" "0" "$rc"
expect_contains "rollout status ds done" 'daemon set "agent" successfully rolled out' "$out"
wait_for "one revision" "1" sh -c "'$KUBECTL' get controllerrevisions -l app=agent --no-headers 2>/dev/null | wc -l"
rev1=$(k get controllerrevisions -l app=agent -o jsonpath='{.items[0].metadata.name}')
h1=$(k get controllerrevision "$rev1" -o jsonpath='{.metadata.labels.controller-revision-hash}')
expect_eq "revision named <ds>-<hash>" "agent-$h1" "$rev1"
expect_eq "revision 1 owned by the DaemonSet" "1 DaemonSet true" \
  "$(jp controllerrevision/"$rev1" '{.revision} {.metadata.ownerReferences[0].kind} {.metadata.ownerReferences[0].controller}')"
expect_contains "revision data replaces the template" '"$patch": "replace"' "$(k get controllerrevision "$rev1" -o json 2>&1)"
expect_eq "revision data holds the template" "agent:1" "$(jp controllerrevision/"$rev1" '{.data.spec.template.spec.containers[0].image}')"
expect_eq "pods carry the revision's hash" "$h1 $h1 $h1" \
  "$(jp pods '{.items[*].metadata.labels.controller-revision-hash}')"
out=$(k patch controllerrevision "$rev1" --type=merge -p '{"data":{"spec":null}}' 2>&1); rc=$?
expect_eq "revision data is immutable (exit 1)" "1" "$rc"
expect_contains "revision data immutable message" "data: Invalid value: field is immutable" "$out"
out=$(k get controllerrevisions 2>&1)
expect_contains "get controllerrevisions columns" "CONTROLLER" "$out"
expect_contains "get controllerrevisions controller" "daemonset.apps/agent" "$out"

k annotate ds agent kubernetes.io/change-cause="image agent:2" >/dev/null 2>&1
out=$(k set image ds/agent a=agent:2 2>&1); expect_eq "set image ds" "daemonset.apps/agent image updated" "$out"
out=$(rstatus ds/agent); rc=$?
expect_eq "rollout to agent:2 completes" "0" "$rc"
expect_eq "pods run agent:2" "agent:2 agent:2 agent:2" "$(jp pods '{.items[*].spec.containers[0].image}')"
out=$(k rollout history ds/agent 2>&1)
expect_contains "rollout history header" "daemonset.apps/agent" "$out"
expect_contains "rollout history revision 1" "1         <none>" "$out"
expect_contains "rollout history revision 2 with its change-cause" "2         image agent:2" "$out"
out=$(k rollout history ds/agent --revision=1 2>&1)
expect_contains "history --revision=1 shows its template" "agent:1" "$out"

out=$(k rollout undo ds/agent 2>&1); expect_eq "rollout undo ds" "daemonset.apps/agent rolled back" "$out"
out=$(rstatus ds/agent); rc=$?
expect_eq "undo rolls out" "0" "$rc"
expect_eq "template back to agent:1" "agent:1" "$(jp ds/agent '{.spec.template.spec.containers[0].image}')"
wait_for "pods back on agent:1 with the first hash" "agent:1/$h1 agent:1/$h1 agent:1/$h1" \
  sh -c "'$KUBECTL' get pods -o jsonpath='{range .items[*]}{.spec.containers[0].image}/{.metadata.labels.controller-revision-hash} {end}' | xargs"
wait_for "old revision reused as revision 3" "$rev1=3" \
  jp controllerrevision/"$rev1" '{.metadata.name}={.revision}'
out=$(k rollout history ds/agent 2>&1)
expect_eq "history now lists revisions 2 and 3" "2 3" "$(echo "$out" | awk '/^[0-9]/{print $1}' | xargs)"
out=$(k rollout undo ds/agent --to-revision=9 2>&1); rc=$?
expect_eq "undo to a missing revision exits 1" "1" "$rc"
expect_contains "undo to a missing revision says so" "unable to find specified revision 9 in history" "$out"

# revisionHistoryLimit: only the current revision and one old one stay
k patch ds agent --type=merge -p '{"spec":{"revisionHistoryLimit":1}}' >/dev/null 2>&1
for v in 3 4 5; do
  k set image ds/agent a=agent:$v >/dev/null 2>&1
  rstatus ds/agent >/dev/null
done
wait_for "revisionHistoryLimit 1 keeps two revisions" "2" sh -c "'$KUBECTL' get controllerrevisions -l app=agent --no-headers 2>/dev/null | wc -l"

out=$(k delete ds agent 2>&1); expect_eq "delete ds" 'daemonset.apps "agent" deleted' "$out"
wait_for "its revisions are garbage-collected" "0" sh -c "'$KUBECTL' get controllerrevisions --no-headers 2>/dev/null | wc -l"

# Deployments keep their history in ReplicaSets
k create deployment web --image=nginx:1 --replicas=2 >/dev/null 2>&1
rstatus deploy/web >/dev/null
k set image deploy/web nginx=nginx:2 >/dev/null 2>&1
rstatus deploy/web >/dev/null
out=$(k rollout history deploy/web 2>&1)
expect_contains "deployment history header" "deployment.apps/web" "$out"
expect_eq "deployment history revisions" "1 2" "$(echo "$out" | awk '/^[0-9]/{print $1}' | xargs)"
out=$(k rollout history deploy/web --revision=1 2>&1)
expect_contains "deployment history --revision=1" "nginx:1" "$out"

api_stop
check "server log has no sanitizer report" api_log_clean
done_testing
