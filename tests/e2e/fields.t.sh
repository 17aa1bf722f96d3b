#!/usr/bin/env bash
# The real kubectl 1.32 against `skiff server`: managedFields of every writer
# (create, client-side apply, label, edit, scale, the status subresource),
# server-side apply conflicts with them and --force-conflicts,
# --show-managed-fields, kubectl explain from the OpenAPI v3 schemas, and
# field validation (--validate=strict|warn|ignore, fieldValidation=).
. "$SKIFF_ROOT/tests/lib.sh"
. "$SKIFF_ROOT/tests/e2e/api_common.sh"
api_start
URL=http://127.0.0.1:$API_PORT

# managers of deploy/web as "manager operation subresource|..."
managers() { k get "$1" -o jsonpath='{range .metadata.managedFields[*]}{.manager} {.operation} {.subresource}|{end}' --show-managed-fields; }

cat >"$T/web.yaml" <<Y
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
        ports: [{containerPort: 80}]
Y
out=$(k apply -f "$T/web.yaml" 2>&1); expect_eq "client-side apply creates" "deployment.apps/web created" "$out"
expect_eq "create records the client-side-apply manager" "kubectl-client-side-apply Update |" "$(managers deploy/web)"
y=$(k get deploy web -o yaml --show-managed-fields)
expect_contains "--show-managed-fields shows the entry" "    manager: kubectl-client-side-apply
    operation: Update" "$y"
expect_contains "fieldsV1 holds spec.replicas" "      f:spec:
        f:progressDeadlineSeconds: {}
        f:replicas: {}" "$y"
expect_contains "fieldsV1 keys list items, '.' first" '            f:containers:
              k:{"name":"nginx"}:
                .: {}
                f:image: {}' "$y"
expect_contains "defaults belong to the creator" "            f:restartPolicy: {}" "$y"
expect_contains "entry has FieldsV1 type" "fieldsType: FieldsV1" "$y"
case "$(k get deploy web -o yaml)" in *managedFields*) notok "-o yaml hides managedFields by default";; *) ok "-o yaml hides managedFields by default";; esac
t1=$(k get deploy web -o jsonpath='{.metadata.managedFields[0].time}' --show-managed-fields)
check "entry time is RFC 3339" test -n "$(echo "$t1" | grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$')"

out=$(k apply -f "$T/web.yaml" 2>&1); expect_eq "apply again is still unchanged" "deployment.apps/web unchanged" "$out"
rv=$(k get deploy web -o jsonpath='{.metadata.resourceVersion}')
k get deploy web -o json --show-managed-fields >"$T/web.json"
code=$(curl -s -o "$T/put.out" -w '%{http_code}' -X PUT -H 'Content-Type: application/json' --data-binary @"$T/web.json" "$URL/apis/apps/v1/namespaces/default/deployments/web?fieldManager=noop")
expect_eq "a PUT of the object as it is succeeds" "200" "$code"
expect_eq "a no-op PUT writes nothing (managedFields unchanged)" "$rv" "$(k get deploy web -o jsonpath='{.metadata.resourceVersion}')"
expect_eq "a no-op PUT adds no manager" "kubectl-client-side-apply Update |" "$(managers deploy/web)"

out=$(k label deploy web tier=fe 2>&1); expect_eq "label" "deployment.apps/web labeled" "$out"
expect_eq "label adds kubectl-label's entry" "kubectl-client-side-apply Update |kubectl-label Update |" "$(managers deploy/web)"
expect_eq "kubectl-label owns just its label" '{"f:metadata":{"f:labels":{"f:tier":{}}}}' \
  "$(k get deploy web -o jsonpath='{.metadata.managedFields[?(@.manager=="kubectl-label")].fieldsV1}' --show-managed-fields)"
out=$(KUBE_EDITOR="sed -i s/nginx:1.25/nginx:1.26/" k edit deploy web 2>&1); expect_eq "kubectl edit" "deployment.apps/web edited" "$out"
# entries sort by operation, time (seconds), then manager: the order of writes in one second is by name
m=$(managers deploy/web)
expect_contains "kubectl edit is recorded as kubectl-edit" "kubectl-edit Update |" "$m"
expect_eq "three Update managers" "3" "$(echo "$m" | tr '|' '\n' | grep -c ' Update')"

# the status subresource: its own entry, manager from the User-Agent
code=$(curl -s -o /dev/null -w '%{http_code}' -X PATCH -A 'kube-controller-manager/v1.32.0 (linux/amd64) kubernetes/abc' \
  -H 'Content-Type: application/merge-patch+json' -d '{"status":{"replicas":2,"readyReplicas":1}}' \
  "$URL/apis/apps/v1/namespaces/default/deployments/web/status")
expect_eq "status patch" "200" "$code"
expect_contains "status writer gets an entry with subresource status" "kube-controller-manager Update status|" "$(managers deploy/web)"
expect_eq "status entry owns the status fields" '{"f:status":{".":{},"f:readyReplicas":{},"f:replicas":{}}}' \
  "$(k get deploy web -o jsonpath='{.metadata.managedFields[?(@.subresource=="status")].fieldsV1}' --show-managed-fields)"

# server-side apply against fields others own
sed 's/replicas: 2/replicas: 3/' "$T/web.yaml" >"$T/web3.yaml"
out=$(k apply --server-side -f "$T/web3.yaml" 2>&1); rc=$?
expect_eq "ssa changing replicas owned by client-side apply exits 1" "1" "$rc"
expect_contains "ssa conflict worded as kube's" 'error: Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:
- .spec.replicas' "$out"
expect_contains "ssa conflict also names kubectl-edit's image" 'conflicts with "kubectl-edit" using apps/v1:
- .spec.template.spec.containers[name="nginx"].image' "$out"
expect_eq "conflict changed nothing" "2 nginx:1.26" "$(k get deploy web -o jsonpath='{.spec.replicas} {.spec.template.spec.containers[0].image}')"
out=$(curl -s -X PATCH -H 'Content-Type: application/apply-patch+yaml' --data-binary @"$T/web3.yaml" \
  "$URL/apis/apps/v1/namespaces/default/deployments/web?fieldManager=other")
expect_contains "409 Conflict Status with causes" '"reason":"Conflict"' "$out"
expect_contains "cause names the field" '{"type":"FieldManagerConflict","message":"conflict with \"kubectl-client-side-apply\" using apps/v1","field":".spec.replicas"}' "$out"
out=$(k apply --server-side --force-conflicts -f "$T/web3.yaml" 2>&1)
expect_eq "--force-conflicts applies" "deployment.apps/web serverside-applied" "$out"
expect_eq "forced apply took replicas and image" "3 nginx:1.25" "$(k get deploy web -o jsonpath='{.spec.replicas} {.spec.template.spec.containers[0].image}')"
m=$(managers deploy/web)
expect_contains "the applier's entry is an Apply" "kubectl Apply |" "$m"
expect_contains "other managers keep what they still own" "kubectl-label Update |" "$m"
expect_contains "the status entry stays" "kube-controller-manager Update status|" "$m"

# kubectl scale goes through the scale subresource; a later apply conflicts with it
out=$(k scale deploy web --replicas=5 2>&1); expect_eq "scale" "deployment.apps/web scaled" "$out"
expect_contains "scale is recorded with subresource scale" "Update scale|" "$(managers deploy/web)"
out=$(k apply --server-side -f "$T/web3.yaml" 2>&1); rc=$?
expect_eq "apply after scale exits 1" "1" "$rc"
expect_contains "conflict names the scale subresource" 'with subresource "scale" using apps/v1: .spec.replicas' "$out"

# kubectl create: kubectl-create; a pod's status is not the creator's
cat >"$T/pod.yaml" <<Y
apiVersion: v1
kind: Pod
metadata: {name: p1}
spec:
  containers: [{name: c, image: busybox}]
Y
out=$(k create -f "$T/pod.yaml" 2>&1); expect_eq "create pod" "pod/p1 created" "$out"
expect_eq "kubectl create records kubectl-create" "kubectl-create Update |" "$(managers pod/p1)"
case "$(k get pod p1 -o jsonpath='{.metadata.managedFields[0].fieldsV1}' --show-managed-fields)" in
  *f:status*) notok "the server-set pod status is nobody's field";; *) ok "the server-set pod status is nobody's field";; esac
out=$(k create configmap cm1 --from-literal=a=1 2>&1); expect_eq "create configmap (protobuf body)" "configmap/cm1 created" "$out"
expect_eq "protobuf create records kubectl-create too" '{"f:data":{".":{},"f:a":{}}}' \
  "$(k get cm cm1 -o jsonpath='{.metadata.managedFields[0].fieldsV1}' --show-managed-fields)"
done_testing
