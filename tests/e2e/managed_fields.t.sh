#!/usr/bin/env bash
# managedFields bookkeeping as kube-apiserver keeps it, with the real
# kubectl 1.32: at most 10 Update managers (the oldest merged into
# "ancient-changes"), and Table watch events carrying managedFields in their
# PartialObjectMetadata as kube's do (meta.AsPartialObjectMetadata copies
# the whole ObjectMeta).
. "$SKIFF_ROOT/tests/lib.sh"
. "$SKIFF_ROOT/tests/e2e/api_common.sh"
api_start
URL=http://127.0.0.1:$API_PORT

k create configmap c --from-literal=k0=v >/dev/null 2>&1
for i in $(seq 1 11); do
  k patch configmap c --type=merge -p "{\"data\":{\"k$i\":\"v\"}}" --field-manager="m$i" >/dev/null 2>&1
done
out=$(k get configmap c -o jsonpath='{range .metadata.managedFields[*]}{.manager}{"\n"}{end}' --show-managed-fields 2>&1)
expect_eq "11 patches by 11 managers after the creator: 10 Update entries" "10" "$(echo "$out" | wc -l)"
expect_contains "the oldest merged into ancient-changes" "ancient-changes" "$out"
case "$out" in *kubectl-create*|*"m1
"*) notok "kubectl-create and m1 are in the bucket";; *) ok "kubectl-create and m1 are in the bucket";; esac
out=$(k get configmap c -o json --show-managed-fields | python3 -c '
import json,sys
o=json.load(sys.stdin)
a=[e for e in o["metadata"]["managedFields"] if e["manager"]=="ancient-changes"][0]
d=a["fieldsV1"]["f:data"]
print(a["operation"], a["apiVersion"], len(d), "f:k0" in d and "f:k1" in d)')
# the two oldest (kubectl-create, m1) and one more: m2, or m10 when they shared a second (ties go by name, as kube)
expect_eq "the bucket is an Update of v1 owning the merged managers' fields" "Update v1 4 True" "$out"
out=$(k apply --server-side --field-manager=applier -f - 2>&1 <<'Y'
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data: {z: v}
Y
)
n=$(k get configmap c -o jsonpath='{range .metadata.managedFields[*]}{.operation}{"\n"}{end}' --show-managed-fields | grep -c Update)
expect_eq "an Apply manager does not count toward the cap" "10" "$n"

# --- Table watch events: the row's PartialObjectMetadata carries managedFields, as kube's
TABLE='application/json;as=Table;v=v1;g=meta.k8s.io'
RV=$(k get configmap c -o jsonpath='{.metadata.resourceVersion}')
curl -sN -H "Accept: $TABLE" "$URL/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=$RV&timeoutSeconds=2" >"$T/w.json" &
CPID=$!
sleep 0.5
k label configmap c x=y >/dev/null
wait $CPID
out=$(head -1 "$T/w.json" | python3 -c '
import json,sys
e=json.loads(sys.stdin.readline())
o=e["object"]["rows"][0]["object"]
print(e["type"], o["kind"], "managedFields" in o["metadata"])')
expect_eq "a Table watch event's row is PartialObjectMetadata with managedFields" "MODIFIED PartialObjectMetadata True" "$out"
RV=$(k get configmap c -o jsonpath='{.metadata.resourceVersion}')
curl -sN -H "Accept: $TABLE" "$URL/api/v1/namespaces/default/configmaps?watch=true&includeObject=Object&resourceVersion=$RV&timeoutSeconds=2" >"$T/w2.json" &
CPID=$!
sleep 0.5
k label configmap c x=z --overwrite >/dev/null
wait $CPID
out=$(head -1 "$T/w2.json" | python3 -c '
import json,sys
e=json.loads(sys.stdin.readline())
o=e["object"]["rows"][0]["object"]
print(o["kind"], "managedFields" in o["metadata"], o["data"]["z"])')
expect_eq "includeObject=Object: the whole object, managedFields included" "ConfigMap True v" "$out"

api_stop
check "no sanitizer reports" api_log_clean
done_testing
