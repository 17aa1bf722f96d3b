#!/usr/bin/env bash
# The admission chain end to end with the real kubectl 1.32: namespace
# lifecycle, LimitRange defaults, ResourceQuota under a burst of parallel
# creates, Pod Security Standards, dryRun, and a webhook server (python3).
. "$SKIFF_ROOT/tests/lib.sh"
. "$SKIFF_ROOT/tests/e2e/api_common.sh"
. "$SKIFF_ROOT/tests/e2e/admission_common.sh"
admission_server

# ---- namespace-lifecycle
cat >"$T/pod-nons.yaml" <<Y
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: nope}
spec: {containers: [{name: c, image: busybox:1.36}]}
Y
out=$(k create -f "$T/pod-nons.yaml" 2>&1); rc=$?
expect_eq "create in a missing namespace exits 1" "1" "$rc"
expect_eq "create in a missing namespace is Forbidden" \
  'Error from server (Forbidden): error when creating "'"$T"'/pod-nons.yaml": pods "p" is forbidden: namespace-lifecycle: namespace "nope" does not exist' "$out"
out=$(k delete ns kube-system 2>&1); rc=$?
expect_eq "deleting kube-system exits 1" "1" "$rc"
expect_eq "kube-system is immortal" \
  'Error from server (Forbidden): namespaces "kube-system" is forbidden: namespace-lifecycle: this namespace may not be deleted' "$out"
k create -f - >/dev/null 2>&1 <<Y
apiVersion: v1
kind: Namespace
metadata: {name: going, finalizers: [example.com/hold]}
Y
k delete ns going --wait=false >/dev/null 2>&1
sed 's/namespace: nope/namespace: going/' "$T/pod-nons.yaml" >"$T/pod-going.yaml"
out=$(k create -f "$T/pod-going.yaml" 2>&1)
expect_eq "create in a terminating namespace is refused" \
  'Error from server (Forbidden): error when creating "'"$T"'/pod-going.yaml": pods "p" is forbidden: namespace-lifecycle: unable to create new content in namespace going because it is being terminated' "$out"
for ns in default kube-system kube-public kube-node-lease; do
  expect_eq "system namespace $ns exists" "namespace/$ns" "$(k get ns "$ns" -o name 2>&1)"
done

# ---- resource-quota: 50 parallel creates against pods=10
k create ns q >/dev/null 2>&1
cat >"$T/quota.yaml" <<Y
apiVersion: v1
kind: ResourceQuota
metadata: {name: pods-max, namespace: q}
spec: {hard: {pods: "10"}}
Y
out=$(k create -f "$T/quota.yaml" 2>&1); expect_eq "create quota" "resourcequota/pods-max created" "$out"
for i in $(seq 1 50); do
  cat >"$T/qp-$i.yaml" <<Y
apiVersion: v1
kind: Pod
metadata: {name: qp-$i, namespace: q}
spec: {containers: [{name: c, image: busybox:1.36}]}
Y
done
seq 1 50 | xargs -P 50 -I{} sh -c '"$0" --request-timeout=60s create -f "$1/qp-{}.yaml" >"$1/qp-{}.out" 2>&1' "$KUBECTL" "$T"
created=$(cat "$T"/qp-*.out | grep -c ' created$')
refused=$(cat "$T"/qp-*.out | grep -c 'exceeded quota: pods-max, requested: pods=1, used: pods=10, limited: pods=10')
expect_eq "50 parallel creates vs pods=10: 10 created" "10" "$created"
expect_eq "the 40 others are refused with the quota message" "40" "$refused"
expect_eq "exactly 10 pods stored" "10" "$(k get pods -n q -o name | wc -l)"
expect_contains "refusal is Forbidden and names the plugin" \
  'Error from server (Forbidden): error when creating' "$(cat "$T"/qp-*.out | grep exceeded | head -1)"
expect_contains "refusal names the plugin" 'is forbidden: resource-quota: exceeded quota' "$(cat "$T"/qp-*.out | grep exceeded | head -1)"
expect_eq "quota status.used is current" "10 10" "$(k get quota pods-max -n q -o jsonpath='{.status.used.pods} {.status.hard.pods}')"
k delete pod -n q qp-1 qp-2 qp-3 qp-4 qp-5 qp-6 qp-7 qp-8 qp-9 qp-10 --wait=false >/dev/null 2>&1
k delete pods -n q --all --wait=false >/dev/null 2>&1
expect_eq "deletes bring status.used down" "0" "$(k get quota pods-max -n q -o jsonpath='{.status.used.pods}')"
out=$(k create -f "$T/qp-1.yaml" 2>&1); expect_eq "room again after deletes" "pod/qp-1 created" "$out"

# ---- limit-ranger: defaults filled, min/max enforced
k create ns lr >/dev/null 2>&1
cat >"$T/lr.yaml" <<Y
apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: lr}
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 256Mi}
    defaultRequest: {cpu: 100m, memory: 64Mi}
    min: {cpu: 50m}
    max: {cpu: "1"}
Y
out=$(k create -f "$T/lr.yaml" 2>&1); expect_eq "create LimitRange" "limitrange/defaults created" "$out"
cat >"$T/lr-pod.yaml" <<Y
apiVersion: v1
kind: Pod
metadata: {name: lrp, namespace: lr}
spec: {containers: [{name: c, image: busybox:1.36}, {name: d, image: busybox:1.36, resources: {limits: {cpu: 800m}}}]}
Y
out=$(k create -f "$T/lr-pod.yaml" 2>&1); expect_eq "pod without resources created" "pod/lrp created" "$out"
json=$(k get pod lrp -n lr -o json)
res=$(echo "$json" | python3 -c 'import json,sys; p=json.load(sys.stdin); print(json.dumps([c["resources"] for c in p["spec"]["containers"]], sort_keys=True))')
expect_eq "LimitRange defaults filled (kubectl get -o json)" \
  '[{"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "64Mi"}}, {"limits": {"cpu": "800m", "memory": "256Mi"}, "requests": {"cpu": "800m", "memory": "64Mi"}}]' "$res"
expect_eq "limit-ranger annotation" "LimitRanger plugin set: cpu, memory request for container c; cpu, memory limit for container c; memory request for container d; memory limit for container d" \
  "$(echo "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["annotations"]["kubernetes.io/limit-ranger"])')"
sed 's/name: lrp/name: big/; s/cpu: 800m/cpu: "2"/' "$T/lr-pod.yaml" >"$T/lr-big.yaml"
out=$(k create -f "$T/lr-big.yaml" 2>&1)
expect_eq "max enforced with the Kubernetes message" \
  'Error from server (Forbidden): error when creating "'"$T"'/lr-big.yaml": pods "big" is forbidden: limit-ranger: maximum cpu usage per Container is 1, but limit is 2' "$out"

# ---- pod-security
k create ns sec >/dev/null 2>&1
out=$(k label ns sec pod-security.kubernetes.io/enforce=restricted 2>&1); expect_eq "label namespace restricted" "namespace/sec labeled" "$out"
cat >"$T/priv.yaml" <<Y
apiVersion: v1
kind: Pod
metadata: {name: priv, namespace: sec}
spec: {containers: [{name: c, image: busybox:1.36, securityContext: {privileged: true}}]}
Y
out=$(k create -f "$T/priv.yaml" 2>&1); rc=$?
expect_eq "privileged pod in a restricted namespace exits 1" "1" "$rc"
expect_eq "privileged pod refused with the standard PodSecurity message" \
  'Error from server (Forbidden): error when creating "'"$T"'/priv.yaml": pods "priv" is forbidden: pod-security: violates PodSecurity "restricted:latest": privileged (container "c" must not set securityContext.privileged=true), allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")' "$out"
cat >"$T/good.yaml" <<Y
apiVersion: v1
kind: Pod
metadata: {name: good, namespace: sec}
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: c
    image: busybox:1.36
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
Y
out=$(k create -f "$T/good.yaml" 2>&1); expect_eq "restricted-compliant pod admitted" "pod/good created" "$out"
k create ns base >/dev/null 2>&1; k label ns base pod-security.kubernetes.io/enforce=baseline >/dev/null 2>&1
sed 's/namespace: sec/namespace: base/' "$T/priv.yaml" >"$T/priv-base.yaml"
out=$(k create -f "$T/priv-base.yaml" 2>&1)
expect_contains "baseline refuses privileged only" 'violates PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)' "$out"
k create ns warned >/dev/null 2>&1; k label ns warned pod-security.kubernetes.io/warn=restricted >/dev/null 2>&1
sed 's/namespace: sec/namespace: warned/' "$T/priv.yaml" >"$T/priv-warn.yaml"
out=$(k create -f "$T/priv-warn.yaml" 2>&1)
expect_contains "warn mode admits the pod" "pod/priv created" "$out"
expect_contains "warn mode: kubectl prints the PodSecurity warning" 'Warning: would violate PodSecurity "restricted:latest": privileged (container "c" must not set securityContext.privileged=true)' "$out"
sed 's/namespace: sec/namespace: default/' "$T/priv.yaml" >"$T/priv-def.yaml"
out=$(k create -f "$T/priv-def.yaml" 2>&1); expect_eq "cluster default privileged admits it elsewhere" "pod/priv created" "$out"

# ---- dryRun=All runs the chain and stores nothing
out=$(k create -f "$T/pod-nons.yaml" --dry-run=server 2>&1); rc=$?
expect_contains "dry-run create in a missing namespace is refused too" "namespace \"nope\" does not exist" "$out"
sed 's/qp-1/dry-1/' "$T/qp-1.yaml" >"$T/dry.yaml"
out=$(k create -f "$T/dry.yaml" --dry-run=server 2>&1); expect_eq "dry-run create admitted" "pod/dry-1 created (server dry run)" "$out"
out=$(k get pod dry-1 -n q 2>&1); expect_contains "dry-run stored nothing" "NotFound" "$out"
expect_eq "dry-run charged no quota" "1" "$(k get quota pods-max -n q -o jsonpath='{.status.used.pods}')"

# ---- webhooks (a python3 server written for the test)
webhook_start hook
HP=$WEBHOOK_PORT
cat >"$T/hooks.yaml" <<Y
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: label-adder}
webhooks:
- name: label.test.skiff
  admissionReviewVersions: [v1]
  sideEffects: None
  clientConfig: {url: "http://127.0.0.1:$HP/mutate"}
  rules: [{operations: [CREATE], apiGroups: [""], apiVersions: [v1], resources: [configmaps]}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: name-checker}
webhooks:
- name: names.test.skiff
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Fail
  clientConfig: {url: "http://127.0.0.1:$HP/validate"}
  rules: [{operations: [CREATE, UPDATE], apiGroups: [""], apiVersions: [v1], resources: [configmaps]}]
Y
out=$(k apply -f "$T/hooks.yaml" 2>&1)
expect_eq "kubectl apply of webhook configurations" "mutatingwebhookconfiguration.admissionregistration.k8s.io/label-adder created
validatingwebhookconfiguration.admissionregistration.k8s.io/name-checker created" "$out"
out=$(k create configmap hooked --from-literal=a=1 2>&1); expect_eq "configmap created through the webhooks (with the hook's warning)" "Warning: checked by the test webhook
configmap/hooked created" "$out"
expect_eq "mutating webhook added a label" "mutated" "$(k get cm hooked -o jsonpath='{.metadata.labels.webhook}')"
out=$(k create configmap forbidden-name --from-literal=a=1 2>&1); rc=$?
expect_eq "validating webhook denial exits 1" "1" "$rc"
expect_contains "validating webhook denial message" 'configmaps "forbidden-name" is forbidden: validating-webhooks: admission webhook "names.test.skiff" denied the request: the name forbidden-name is not allowed' "$out"
cat >"$T/slow.yaml" <<Y
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: slow}
webhooks:
- name: slow.test.skiff
  admissionReviewVersions: [v1]
  sideEffects: None
  timeoutSeconds: 1
  failurePolicy: Fail
  clientConfig: {url: "http://127.0.0.1:$HP/slow"}
  rules: [{operations: [CREATE], apiGroups: [""], apiVersions: [v1], resources: [secrets]}]
Y
k apply -f "$T/slow.yaml" >/dev/null 2>&1
out=$(k create secret generic s1 --from-literal=a=1 2>&1); rc=$?
expect_eq "webhook past timeoutSeconds with failurePolicy Fail exits 1" "1" "$rc"
expect_contains "…as a 500 InternalError naming the hook" 'Internal error occurred: admission plugin "validating-webhooks" failed on secrets "s1": failed calling webhook "slow.test.skiff": Post "http://127.0.0.1:'"$HP"'/slow": context deadline exceeded' "$out"
check "the failure is logged" grep -q 'plugin validating-webhooks failed on create of secrets' "$T/server.log"
sed -i 's/failurePolicy: Fail/failurePolicy: Ignore/' "$T/slow.yaml"
k apply -f "$T/slow.yaml" >/dev/null 2>&1
out=$(k create secret generic s2 --from-literal=a=1 2>&1); expect_eq "failurePolicy Ignore lets it through" "secret/s2 created" "$out"

# an HTTPS webhook trusted through its caBundle (a self-signed certificate for 127.0.0.1)
self_signed hook 127.0.0.1 IP:127.0.0.1
webhook_start hooks "$T/hook.crt" "$T/hook.key"
HSP=$WEBHOOK_PORT
cat >"$T/tls.yaml" <<Y
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: tls}
webhooks:
- name: tls.test.skiff
  admissionReviewVersions: [v1]
  sideEffects: None
  clientConfig: {url: "https://127.0.0.1:$HSP/validate", caBundle: "$(base64 -w0 "$T/hook.crt")"}
  rules: [{operations: [CREATE], apiGroups: [""], apiVersions: [v1], resources: [serviceaccounts]}]
Y
k apply -f "$T/tls.yaml" >/dev/null 2>&1
out=$(k create serviceaccount forbidden-name 2>&1)
expect_contains "HTTPS webhook with caBundle is called (denies the name)" 'admission webhook "tls.test.skiff" denied the request: the name forbidden-name is not allowed' "$out"
sed -i 's/caBundle: .*"}/caBundle: ""}/' "$T/tls.yaml"
k apply -f "$T/tls.yaml" >/dev/null 2>&1
expect_eq "apply merged the webhook by name (rules kept)" "serviceaccounts" "$(k get validatingwebhookconfiguration tls -o jsonpath='{.webhooks[0].rules[0].resources[0]}')"
out=$(k create serviceaccount sa-untrusted 2>&1)
expect_contains "without the caBundle the certificate is not trusted (fail closed)" 'failed calling webhook "tls.test.skiff": Post "https://127.0.0.1:'"$HSP"'/validate"' "$out"

api_stop
check "server log has no sanitizer report" api_log_clean
done_testing
