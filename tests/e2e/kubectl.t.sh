#!/usr/bin/env bash
# The real kubectl 1.32 against `skiff server`: discovery, get in every output
# format, apply (client- and server-side), create, replace, delete, label,
# annotate, scale, cordon, describe, events, watch, errors and exit codes.
. "$SKIFF_ROOT/tests/lib.sh"
. "$SKIFF_ROOT/tests/e2e/api_common.sh"
api_start

out=$(k version 2>&1); expect_contains "version: server is v1.32" "Server Version: v1.32" "$out"

out=$(k api-resources 2>&1)
expect_contains "api-resources: pods with short name" "pods po v1 true Pod" "$(echo "$out" | sed 's/  */ /g')"
for r in "deployments deploy apps/v1" "replicasets rs apps/v1" "daemonsets ds apps/v1" "leases coordination.k8s.io/v1" "endpointslices discovery.k8s.io/v1" "namespaces ns v1" "configmaps cm v1" "serviceaccounts sa v1"; do
  expect_contains "api-resources lists ${r%% *}" "$r" "$(echo "$out" | sed 's/  */ /g')"
done

expect_eq "aggregated discovery: api-resources needs 2 requests" "2" "$(k api-resources -v=6 2>&1 | grep -c 'GET http')"
out=$(k get ns 2>&1)
expect_contains "default namespace exists" "default" "$out"
expect_contains "kube-system namespace exists" "kube-system" "$out"

cat >"$T/deploy.yaml" <<Y
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
Y
out=$(k apply -f "$T/deploy.yaml" 2>&1); expect_eq "apply creates" "deployment.apps/web created" "$out"
out=$(k apply -f "$T/deploy.yaml" 2>&1); expect_eq "apply again is unchanged" "deployment.apps/web unchanged" "$out"
gen1=$(k get deploy web -o jsonpath='{.metadata.generation}')
sed -i 's/nginx:1.25/nginx:1.26/' "$T/deploy.yaml"
out=$(k apply -f "$T/deploy.yaml" 2>&1); expect_eq "apply with a change configures" "deployment.apps/web configured" "$out"
out=$(k get deploy web -o jsonpath='{.spec.template.spec.containers[0].image} {.metadata.generation}')
expect_eq "strategic merge patch applied, generation bumped" "nginx:1.26 $((gen1+1))" "$out"
out=$(k get deploy -o wide 2>&1)
expect_contains "deployment wide columns" "CONTAINERS" "$out"
expect_contains "deployment row" "web    0/2" "$out"

out=$(k scale deploy web --replicas=3 2>&1); expect_eq "scale" "deployment.apps/web scaled" "$out"
expect_eq "scale set spec.replicas" "3" "$(k get deploy web -o jsonpath='{.spec.replicas}')"
expect_eq "scale bumped generation" "$((gen1+2))" "$(k get deploy web -o jsonpath='{.metadata.generation}')"
out=$(k replace -f "$T/deploy.yaml" 2>&1); expect_eq "replace deployment" "deployment.apps/web replaced" "$out"
expect_eq "replace with a spec change bumps generation" "$((gen1+3)) 2" "$(k get deploy web -o jsonpath='{.metadata.generation} {.spec.replicas}')"
k replace -f "$T/deploy.yaml" >/dev/null 2>&1
expect_eq "replace without a spec change (defaults omitted) keeps generation" "$((gen1+3))" "$(k get deploy web -o jsonpath='{.metadata.generation}')"

cat >"$T/pod.yaml" <<Y
apiVersion: v1
kind: Pod
metadata:
  name: pod-a
  labels: {app: a}
spec:
  containers:
  - name: main
    image: busybox
Y
out=$(k create -f "$T/pod.yaml" 2>&1); expect_eq "create pod" "pod/pod-a created" "$out"
out=$(k create -f "$T/pod.yaml" 2>&1); rc=$?
expect_eq "create duplicate exits 1" "1" "$rc"
expect_contains "duplicate is AlreadyExists" 'Error from server (AlreadyExists): error when creating' "$out"
expect_eq "pod defaults" "Always Always ClusterFirst default-scheduler 30 Pending" \
  "$(k get pod pod-a -o jsonpath='{.spec.restartPolicy} {.spec.containers[0].imagePullPolicy} {.spec.dnsPolicy} {.spec.schedulerName} {.spec.terminationGracePeriodSeconds} {.status.phase}')"

out=$(k get pods 2>&1)
expect_contains "pods table header" "NAME    READY   STATUS    RESTARTS   AGE" "$out"
expect_contains "pods table row" "pod-a   0/1     Pending   0" "$out"
out=$(k get pods -o wide 2>&1); expect_contains "pods wide has IP and NODE" "IP       NODE" "$out"
out=$(k get pods -A 2>&1); expect_contains "get -A shows namespace" "default     pod-a" "$out"
out=$(k get pods -o name 2>&1); expect_eq "-o name" "pod/pod-a" "$out"
out=$(k get pod pod-a -o json 2>&1); expect_contains "-o json" '"kind": "Pod"' "$out"
out=$(k get pod pod-a -o yaml 2>&1); expect_contains "-o yaml has uid" "uid: " "$out"
k create -f - >/dev/null 2>&1 <<Y
apiVersion: v1
kind: Pod
metadata: {name: pod-b, labels: {app: b}}
spec: {containers: [{name: main, image: busybox}]}
Y
out=$(k get pods -l app=b -o name 2>&1); expect_eq "label selector" "pod/pod-b" "$out"
out=$(k get pods -l 'app in (a,b)' -o name 2>&1); expect_eq "set selector" "pod/pod-a
pod/pod-b" "$out"
out=$(k get pods --field-selector metadata.name=pod-a -o name 2>&1); expect_eq "field selector" "pod/pod-a" "$out"
out=$(k get pods --sort-by=.metadata.name -o custom-columns=N:.metadata.name --no-headers 2>&1)
expect_eq "--sort-by (includeObject=Object)" "pod-a
pod-b" "$out"
out=$(k get pods --sort-by=.metadata.name 2>&1); expect_contains "--sort-by table" "pod-b" "$out"
out=$(k get pods --chunk-size=1 -o name 2>&1); expect_eq "paging with --chunk-size (limit/continue)" "pod/pod-a
pod/pod-b" "$out"
out=$(k get all 2>&1)
expect_contains "get all: pods" "pod/pod-a" "$out"
expect_contains "get all: services" "service/kubernetes" "$out"
expect_contains "get all: deployments" "deployment.apps/web" "$out"
out=$(k get pod nosuch 2>&1); rc=$?
expect_eq "get missing exits 1" "1" "$rc"
expect_eq "get missing message" 'Error from server (NotFound): pods "nosuch" not found' "$out"

out=$(k label pod pod-a tier=fe 2>&1); expect_eq "label" "pod/pod-a labeled" "$out"
out=$(k get pods --show-labels 2>&1); expect_contains "--show-labels" "app=a,tier=fe" "$out"
rv=$(k get pod pod-a -o jsonpath='{.metadata.resourceVersion}')
out=$(k label pod pod-a tier=be --overwrite --resource-version=1 2>&1); rc=$?
expect_eq "stale resourceVersion exits 1" "1" "$rc"
expect_contains "stale resourceVersion is Conflict" "Error from server (Conflict): Operation cannot be fulfilled on pods \"pod-a\": the object has been modified" "$out"
out=$(k label pod pod-a tier- 2>&1); expect_eq "unlabel" "pod/pod-a unlabeled" "$out"
out=$(k annotate pod pod-a note=hello 2>&1); expect_eq "annotate" "pod/pod-a annotated" "$out"
expect_eq "annotation stored" "hello" "$(k get pod pod-a -o jsonpath='{.metadata.annotations.note}')"

out=$(k apply --server-side -f "$T/pod.yaml" 2>&1); expect_eq "apply --server-side update" "pod/pod-a serverside-applied" "$out"
cat >"$T/cm.yaml" <<Y
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {a: "1"}
Y
out=$(k apply --server-side -f "$T/cm.yaml" 2>&1); expect_eq "apply --server-side creates" "configmap/cfg serverside-applied" "$out"
expect_eq "ssa managedFields manager" "kubectl" "$(k get cm cfg -o jsonpath='{.metadata.managedFields[0].manager}' --show-managed-fields)"
cat >"$T/ssa.yaml" <<Y
apiVersion: apps/v1
kind: Deployment
metadata: {name: ssa}
spec:
  replicas: 2
  selector: {matchLabels: {app: ssa}}
  template:
    metadata: {labels: {app: ssa}}
    spec: {containers: [{name: c, image: nginx}]}
Y
k apply --server-side -f "$T/ssa.yaml" >/dev/null 2>&1
k scale deploy ssa --replicas=3 >/dev/null 2>&1
k label deploy ssa x=y >/dev/null 2>&1
out=$(k apply --server-side -f "$T/ssa.yaml" 2>&1); rc=$?
expect_eq "apply --server-side after scale exits 1" "1" "$rc"
expect_contains "ssa conflict names the other manager's field" 'Apply failed with 1 conflict: conflict with "kubectl' "$out"
expect_contains "ssa conflict is on .spec.replicas only" 'using apps/v1: .spec.replicas' "$out"
out=$(k apply --server-side --force-conflicts -f "$T/ssa.yaml" 2>&1); expect_eq "--force-conflicts takes the field" "deployment.apps/ssa serverside-applied" "$out"
expect_eq "forced apply set replicas, kept the label" '2 {"x":"y"}' "$(k get deploy ssa -o jsonpath='{.spec.replicas} {.metadata.labels}')"
k delete deploy ssa >/dev/null 2>&1
sed -i 's/"1"/"2"/' "$T/cm.yaml"
out=$(k replace -f "$T/cm.yaml" 2>&1); expect_eq "replace" "configmap/cfg replaced" "$out"
expect_eq "replace took effect" "2" "$(k get cm cfg -o jsonpath='{.data.a}')"
out=$(k get cm 2>&1); expect_contains "configmap table" "cfg    1      " "$out"

cat >"$T/node.yaml" <<Y
apiVersion: v1
kind: Node
metadata: {name: node-1}
status:
  conditions: [{type: Ready, status: "True"}]
  nodeInfo: {kubeletVersion: v1.32.0}
Y
k apply -f "$T/node.yaml" >/dev/null 2>&1
out=$(k cordon node-1 2>&1); expect_eq "cordon" "node/node-1 cordoned" "$out"
out=$(k get nodes 2>&1); expect_contains "cordoned node status" "Ready,SchedulingDisabled" "$out"
out=$(k uncordon node-1 2>&1); expect_eq "uncordon" "node/node-1 uncordoned" "$out"
k create -f - >/dev/null 2>&1 <<Y
apiVersion: v1
kind: Pod
metadata: {name: on-node}
spec: {nodeName: node-1, terminationGracePeriodSeconds: 0, containers: [{name: c, image: busybox}]}
Y
out=$(timeout 30 "$KUBECTL" drain node-1 --force --ignore-daemonsets 2>&1); rc=$?
expect_eq "drain exits 0" "0" "$rc"
expect_contains "drain evicts through pods/eviction" "pod/on-node evicted" "$out"
out=$(k get pod on-node 2>&1); expect_contains "evicted pod is gone" "NotFound" "$out"
k uncordon node-1 >/dev/null 2>&1
out=$(k get nodes 2>&1); expect_contains "node table" "node-1   Ready    <none>   " "$out"

uid=$(k get pod pod-a -o jsonpath='{.metadata.uid}')
cat >"$T/ev.yaml" <<Y
apiVersion: v1
kind: Event
metadata: {name: pod-a.1}
involvedObject: {kind: Pod, name: pod-a, namespace: default, uid: "$uid"}
reason: Scheduled
message: assigned default/pod-a to node-1
type: Normal
source: {component: default-scheduler}
count: 1
Y
k create -f "$T/ev.yaml" >/dev/null 2>&1
out=$(k get events 2>&1)
expect_contains "get events columns" "LAST SEEN   TYPE     REASON      OBJECT      MESSAGE" "$out"
expect_contains "get events row" "Normal   Scheduled   pod/pod-a   assigned default/pod-a to node-1" "$out"
out=$(k describe pod pod-a 2>&1)
expect_contains "describe pod name" "Name: pod-a" "$(echo "$out" | sed 's/  */ /g')"
expect_contains "describe shows events (involvedObject field selector)" "assigned default/pod-a to node-1" "$out"
out=$(k describe node node-1 2>&1); expect_contains "describe node" "Name: node-1" "$(echo "$out" | sed 's/  */ /g')"

out=$(k create -f - 2>&1 <<Y
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}], type: NodePort}
Y
); expect_eq "create service" "service/web created" "$out"
out=$(k get svc web -o jsonpath='{.spec.clusterIP} {.spec.ports[0].nodePort} {.spec.ports[0].targetPort}')
case "$out" in 10.9[6-9].*\ 3[0-2][0-9][0-9][0-9]\ 80) ok "service clusterIP and nodePort allocated ($out)";; *) notok "service allocation: $out";; esac
out=$(k get svc 2>&1); expect_contains "service table" "NodePort" "$out"

# watch: a create, a label and a delete arrive while get -w runs
(timeout 6 "$KUBECTL" get pods -w --output-watch-events >"$T/watch.out" 2>&1 &)
sleep 1.5
k run pod-w --image=busybox >/dev/null 2>&1
k label pod pod-w w=1 >/dev/null 2>&1
k delete pod pod-w >/dev/null 2>&1
sleep 5
w=$(cat "$T/watch.out")
expect_contains "watch: ADDED" "ADDED      pod-w" "$(echo "$w" | sed 's/  */ /g; s/ADDED pod-w/ADDED      pod-w/')"
expect_contains "watch: MODIFIED" "MODIFIED" "$w"
expect_contains "watch: DELETED" "DELETED" "$w"
out=$(timeout 10 "$KUBECTL" get pods -w --request-timeout=2s >/dev/null 2>&1; echo $?)
expect_eq "watch ends cleanly at the request timeout" "0" "$out"

out=$(k delete -f "$T/pod.yaml" 2>&1); expect_eq "delete -f" 'pod "pod-a" deleted' "$out"
out=$(k delete -f "$T/pod.yaml" 2>&1); rc=$?
expect_eq "delete -f missing exits 1" "1" "$rc"
expect_contains "delete -f missing message" 'Error from server (NotFound): error when deleting' "$out"
out=$(k delete deploy web 2>&1); expect_eq "delete deployment" 'deployment.apps "web" deleted' "$out"

# kubectl create <kind> sends protobuf bodies
out=$(k create namespace team-a 2>&1); expect_eq "create namespace (protobuf)" "namespace/team-a created" "$out"
out=$(k create configmap c1 --from-literal=a=b -n team-a 2>&1); expect_eq "create configmap (protobuf)" "configmap/c1 created" "$out"
expect_eq "protobuf configmap data" "b" "$(k get cm c1 -n team-a -o jsonpath='{.data.a}')"
out=$(k create secret generic s1 --from-literal=p=q -n team-a 2>&1); expect_eq "create secret (protobuf)" "secret/s1 created" "$out"
out=$(k create deployment d1 --image=nginx -n team-a 2>&1); expect_eq "create deployment (protobuf)" "deployment.apps/d1 created" "$out"
out=$(k create service clusterip svc1 --tcp=80:8080 -n team-a 2>&1); expect_eq "create service (protobuf)" "service/svc1 created" "$out"
out=$(k get deploy,svc,cm -n team-a -o name 2>&1)
expect_contains "objects in the new namespace" "deployment.apps/d1" "$out"
# no namespace controller runs here: the namespace stays Terminating, as on a
# cluster without kube-controller-manager (tests/e2e/namespace_ctrl.t.sh)
out=$(k delete namespace team-a --wait=false 2>&1); expect_eq "delete namespace" 'namespace "team-a" deleted' "$out"
expect_eq "namespace Terminating" "Terminating" "$(k get ns team-a -o jsonpath='{.status.phase}' 2>&1)"
code=$(curl -s -o "$T/y.json" -w '%{http_code}' -X POST -H 'Content-Type: application/yaml' --data-binary $'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  k: "v"\n' "http://127.0.0.1:$API_PORT/api/v1/namespaces/default/configmaps")
expect_eq "YAML request body accepted" "201" "$code"
code=$(curl -s -o "$T/y.json" -w '%{http_code}' -X POST -H 'Content-Type: application/yaml' --data-binary $'metadata:\n  name: [x\n' "http://127.0.0.1:$API_PORT/api/v1/namespaces/default/configmaps")
expect_eq "malformed YAML is 400" "400" "$code"
expect_contains "malformed YAML says where" "line" "$(cat "$T/y.json")"

# bad input
out=$(k create -f - 2>&1 <<Y
apiVersion: v1
kind: Pod
metadata: {name: Bad_Name}
spec: {containers: [{name: main, image: busybox}]}
Y
); rc=$?
expect_eq "invalid name exits 1" "1" "$rc"
expect_contains "invalid name is 422 Invalid" 'The Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"' "$out"
out=$(k create -f - 2>&1 <<Y
apiVersion: v1
kind: Pod
metadata: {name: nocontainers}
spec: {containers: []}
Y
); expect_contains "missing containers is Invalid" "spec.containers: Required value" "$out"
out=$(k get pods --field-selector spec.bogus=1 2>&1); expect_contains "unknown field selector is BadRequest" "field label not supported: spec.bogus" "$out"
code=$(curl -s -o "$T/bad.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data '{"kind":"Pod",' "http://127.0.0.1:$API_PORT/api/v1/namespaces/default/pods")
expect_eq "malformed JSON is 400" "400" "$code"
expect_contains "malformed JSON says where" "line 1, column" "$(cat "$T/bad.json")"
head -c 3200000 /dev/zero | tr '\0' 'a' >"$T/big"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary @"$T/big" "http://127.0.0.1:$API_PORT/api/v1/namespaces/default/configmaps")
expect_eq "body over 3 MiB is 413" "413" "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: text/plain' --data 'x' "http://127.0.0.1:$API_PORT/api/v1/namespaces/default/configmaps")
expect_eq "unknown content type is 415" "415" "$code"
python3 -c 'print("["*5000 + "]"*5000)' >"$T/deep"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary @"$T/deep" "http://127.0.0.1:$API_PORT/api/v1/namespaces/default/configmaps")
expect_eq "deep nesting is 400" "400" "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x"}}' "http://127.0.0.1:$API_PORT/api/v1/namespaces/default/configmaps")
expect_eq "wrong kind is 400" "400" "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API_PORT/api/v1/namespaces/default/frobs")
expect_eq "unknown resource is 404" "404" "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data '{"metadata":{"name":"n"},"data":{"a":1e999}}' "http://127.0.0.1:$API_PORT/api/v1/namespaces/default/configmaps")
case "$code" in 201|400|422) ok "huge number handled ($code)";; *) notok "huge number: $code";; esac
check "server still serving after bad input" curl -sf -o /dev/null "http://127.0.0.1:$API_PORT/healthz"
out=$(curl -s "http://127.0.0.1:$API_PORT/version/")
for f in major minor gitVersion gitCommit gitTreeState buildDate goVersion compiler platform; do
  expect_contains "/version/ has $f" "\"$f\":\"" "$out"
done
out=$(curl -s "http://127.0.0.1:$API_PORT/metrics")
expect_contains "metrics: request counter" 'apiserver_request_total{verb="CREATE",resource="pods",code="201"}' "$out"
expect_contains "metrics: errors counted by code" 'apiserver_request_total{verb="GET",resource="pods",code="404"}' "$out"
hits=$(echo "$out" | sed -n 's/^apiserver_watch_cache_list_total{result="hit"} //p')
misses=$(echo "$out" | sed -n 's/^apiserver_watch_cache_list_total{result="miss"} //p')
check "lists are served from the watch cache ($hits hits, $misses misses)" test "${hits:-0}" -gt 20 -a "${misses:-1}" -eq 0
expect_contains "metrics: latency histogram" 'apiserver_request_duration_seconds_bucket{verb="LIST",resource="pods",le="+Inf"}' "$out"
api_stop
check "server shut down cleanly (no sanitizer reports)" api_log_clean
done_testing
