#!/usr/bin/env bash
# Restart `skiff server` mid-way: everything written before is still there
# with the same resourceVersions, and a watch resumed from the last seen
# resourceVersion gets exactly the changes made across the restart.
. "$SKIFF_ROOT/tests/lib.sh"
. "$SKIFF_ROOT/tests/e2e/api_common.sh"
api_start

for i in 1 2 3; do k create configmap "cm-$i" --from-literal=k=v$i >/dev/null 2>&1 || k apply -f - >/dev/null 2>&1 <<Y
apiVersion: v1
kind: ConfigMap
metadata: {name: cm-$i}
data: {k: v$i}
Y
done
k apply -f - >/dev/null 2>&1 <<Y
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
Y
before=$(k get cm,deploy -o custom-columns=N:.metadata.name,RV:.metadata.resourceVersion,UID:.metadata.uid --no-headers 2>&1)
list_rv=$(curl -s "http://127.0.0.1:$API_PORT/api/v1/namespaces/default/configmaps" | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["resourceVersion"])')
svc_ip=$(k get svc kubernetes -o jsonpath='{.spec.clusterIP}')

api_stop
api_start
after=$(k get cm,deploy -o custom-columns=N:.metadata.name,RV:.metadata.resourceVersion,UID:.metadata.uid --no-headers 2>&1)
expect_eq "objects, resourceVersions and uids survive a restart" "$before" "$after"
expect_eq "bootstrap is idempotent (kubernetes service keeps its IP)" "$svc_ip" "$(k get svc kubernetes -o jsonpath='{.spec.clusterIP}')"
expect_eq "namespaces not duplicated" "4" "$(k get ns --no-headers | wc -l | tr -d ' ')"

# changes while "disconnected", then a watch resumed from the old list RV
k delete cm cm-1 >/dev/null 2>&1
k label cm cm-2 x=y >/dev/null 2>&1
k create -f - >/dev/null 2>&1 <<Y
apiVersion: v1
kind: ConfigMap
metadata: {name: cm-4}
Y
events=$(curl -s -N --max-time 3 "http://127.0.0.1:$API_PORT/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=$list_rv&timeoutSeconds=2" \
  | python3 -c 'import json,sys
for l in sys.stdin:
    e=json.loads(l); print(e["type"], e["object"]["metadata"].get("name",""))')
expect_eq "watch resumes across the restart with exactly the missed events" "DELETED cm-1
MODIFIED cm-2
ADDED cm-4" "$events"

# a second restart under a running kubectl watch: the watch ends, a new one resumes
(timeout 8 "$KUBECTL" get cm -w --output-watch-events >"$T/w.out" 2>&1 &)
sleep 1.5
api_stop
api_start
k create -f - >/dev/null 2>&1 <<Y
apiVersion: v1
kind: ConfigMap
metadata: {name: cm-5}
Y
out=$(k get cm -o name 2>&1)
expect_contains "writes after the second restart work" "configmap/cm-5" "$out"
check "data dir store reused" test -f "$T/data/store/data.mdb"
api_stop
check "server shut down cleanly (no sanitizer reports)" api_log_clean
done_testing
