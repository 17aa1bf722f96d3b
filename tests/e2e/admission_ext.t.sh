#!/usr/bin/env bash
# More of the admission chain end to end with the real kubectl 1.32: Pod
# Security Standards checks added later (AppArmor, SELinux, ...), a webhook
# reached through clientConfig.service, webhook reinvocation (IfNeeded),
# matchConditions, and ResourceQuota scopes.
. "$SKIFF_ROOT/tests/lib.sh"
. "$SKIFF_ROOT/tests/e2e/api_common.sh"
. "$SKIFF_ROOT/tests/e2e/admission_common.sh"
admission_server

# ---- pod-security: AppArmor and SELinux
k create ns sec >/dev/null 2>&1
k label ns sec pod-security.kubernetes.io/enforce=restricted >/dev/null 2>&1
cat >"$T/aa.yaml" <<Y
apiVersion: v1
kind: Pod
metadata: {name: aa, namespace: sec}
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: c
    image: busybox:1.36
    securityContext:
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
      appArmorProfile: {type: Unconfined}
Y
out=$(k create -f "$T/aa.yaml" 2>&1); rc=$?
expect_eq "AppArmor-unconfined pod in a restricted namespace exits 1" "1" "$rc"
expect_eq "…refused with the standard PodSecurity message" \
  'Error from server (Forbidden): error when creating "'"$T"'/aa.yaml": pods "aa" is forbidden: pod-security: violates PodSecurity "restricted:latest": forbidden AppArmor profile (container "c" must not set AppArmor profile type to "Unconfined")' "$out"
sed 's/type: Unconfined/type: RuntimeDefault/' "$T/aa.yaml" >"$T/aa-ok.yaml"
out=$(k create -f "$T/aa-ok.yaml" 2>&1); expect_eq "RuntimeDefault AppArmor profile admitted" "pod/aa created" "$out"
k create ns base >/dev/null 2>&1
k label ns base pod-security.kubernetes.io/enforce=baseline >/dev/null 2>&1
cat >"$T/se.yaml" <<Y
apiVersion: v1
kind: Pod
metadata:
  name: se
  namespace: base
  annotations: {container.apparmor.security.beta.kubernetes.io/c: unconfined}
spec:
  securityContext: {seLinuxOptions: {type: spc_t}}
  initContainers: [{name: i, image: busybox:1.36, securityContext: {seLinuxOptions: {user: system_u}}}]
  containers: [{name: c, image: busybox:1.36}]
Y
out=$(k create -f "$T/se.yaml" 2>&1)
expect_contains "baseline: AppArmor annotation and SELinux options refused" \
  'violates PodSecurity "baseline:latest": forbidden AppArmor profile (annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/c="unconfined""), seLinuxOptions (pod and container "i" set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set)' "$out"
k label ns base pod-security.kubernetes.io/enforce- pod-security.kubernetes.io/warn=baseline >/dev/null 2>&1
out=$(k create -f "$T/se.yaml" 2>&1)
expect_contains "warn mode prints the same checks as a warning" 'Warning: would violate PodSecurity "baseline:latest": forbidden AppArmor profile' "$out"
expect_contains "…and admits the pod" "pod/se created" "$out"

# raising a namespace's enforce level warns about the pods already there (nothing refused)
k create ns lbl >/dev/null 2>&1
sed -e 's/namespace: sec/namespace: lbl/' -e 's/type: Unconfined/type: RuntimeDefault/' "$T/aa.yaml" >"$T/lbl.yaml"
k create -f "$T/lbl.yaml" >/dev/null 2>&1
k run plain -n lbl --image=busybox:1.36 >/dev/null 2>&1
out=$(k label ns lbl pod-security.kubernetes.io/enforce=restricted 2>&1)
expect_eq "kubectl label warns about existing pods that violate the new level" \
'Warning: existing pods in namespace "lbl" violate the new PodSecurity enforce level "restricted:latest"
Warning: plain: allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile
namespace/lbl labeled' "$out"

# ---- a webhook reached through clientConfig.service (HTTPS, certificate for hook.default.svc)
self_signed svc hook.default.svc DNS:hook.default.svc
webhook_start svc "$T/svc.crt" "$T/svc.key"
SP=$WEBHOOK_PORT
webhook_start hook
HP=$WEBHOOK_PORT
cat >"$T/svc.yaml" <<Y
apiVersion: v1
kind: Service
metadata: {name: hook, namespace: default}
spec:
  ports: [{name: https, port: 443, targetPort: $SP}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: hook, namespace: default}
subsets:
- addresses: [{ip: 127.0.0.1}]
  ports: [{name: https, port: $SP}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: by-service}
webhooks:
- name: svc.test.skiff
  admissionReviewVersions: [v1]
  sideEffects: None
  clientConfig:
    service: {namespace: default, name: hook, path: /validate}
    caBundle: "$(base64 -w0 "$T/svc.crt")"
  rules: [{operations: [CREATE], apiGroups: [""], apiVersions: [v1], resources: [configmaps]}]
Y
out=$(k apply -f "$T/svc.yaml" 2>&1); expect_contains "service, endpoints and webhook configuration applied" "validatingwebhookconfiguration.admissionregistration.k8s.io/by-service created" "$out"
out=$(k create configmap forbidden-name --from-literal=a=1 2>&1); rc=$?
expect_eq "webhook via clientConfig.service denies (exit 1)" "1" "$rc"
expect_contains "…with its message" 'configmaps "forbidden-name" is forbidden: validating-webhooks: admission webhook "svc.test.skiff" denied the request: the name forbidden-name is not allowed' "$out"
out=$(k create configmap allowed-name --from-literal=a=1 2>&1)
expect_eq "…and admits others (passing on its warning)" "Warning: checked by the test webhook
configmap/allowed-name created" "$out"
check "the service webhook server was called over TLS" grep -q '"POST /validate HTTP/1.1" 200' "$T/svc.log"
k delete endpoints hook >/dev/null 2>&1
out=$(k create configmap no-endpoints --from-literal=a=1 2>&1)
expect_contains "no endpoints: the clusterIP is tried (unreachable here), failing closed" 'failed calling webhook "svc.test.skiff": Post "https://hook.default.svc:443/validate"' "$out"
k delete validatingwebhookconfiguration by-service >/dev/null 2>&1

# ---- reinvocation: copy-b (IfNeeded) runs before set-b changes the object
k create ns reinv >/dev/null 2>&1; k label ns reinv reinv=yes >/dev/null 2>&1
k create ns noreinv >/dev/null 2>&1; k label ns noreinv reinv=no >/dev/null 2>&1
hooks_for() { # name policy namespace-label
cat <<Y
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: $1}
webhooks:
- name: copy-b.$1.skiff
  admissionReviewVersions: [v1]
  sideEffects: None
  reinvocationPolicy: $2
  namespaceSelector: {matchLabels: {reinv: "$3"}}
  clientConfig: {url: "http://127.0.0.1:$HP/copy-b"}
  rules: [{operations: [CREATE], apiGroups: [""], apiVersions: [v1], resources: [configmaps]}]
- name: set-b.$1.skiff
  admissionReviewVersions: [v1]
  sideEffects: None
  namespaceSelector: {matchLabels: {reinv: "$3"}}
  clientConfig: {url: "http://127.0.0.1:$HP/set-b"}
  rules: [{operations: [CREATE], apiGroups: [""], apiVersions: [v1], resources: [configmaps]}]
---
Y
}
{ hooks_for ifneeded IfNeeded yes; hooks_for never Never no; } >"$T/reinv.yaml"
k apply -f "$T/reinv.yaml" >/dev/null 2>&1
out=$(k create configmap r1 -n reinv --from-literal=a=1 2>&1); expect_eq "create under IfNeeded hooks" "configmap/r1 created" "$out"
expect_eq "IfNeeded: copy-b was called again after set-b and saw b" "set" "$(k get cm r1 -n reinv -o jsonpath='{.metadata.labels.saw-b}')"
expect_eq "…exactly once more (2 calls)" "2" "$(k get cm r1 -n reinv -o jsonpath='{.metadata.annotations.copy-b-calls}')"
k create configmap r2 -n noreinv --from-literal=a=1 >/dev/null 2>&1
expect_eq "Never: copy-b ran once, before b was set" "none 1" \
  "$(k get cm r2 -n noreinv -o jsonpath='{.metadata.labels.saw-b} {.metadata.annotations.copy-b-calls}')"
k delete mutatingwebhookconfiguration ifneeded never >/dev/null 2>&1

# ---- matchConditions (skiff's CEL subset)
cat >"$T/mc.yaml" <<Y
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: conditional}
webhooks:
- name: cond.test.skiff
  admissionReviewVersions: [v1]
  sideEffects: None
  matchConditions:
  - {name: labelled, expression: "has(object.metadata.labels) && object.metadata.labels.check == 'yes'"}
  - {name: creates-only, expression: "request.operation in ['CREATE']"}
  clientConfig: {url: "http://127.0.0.1:$HP/validate"}
  rules: [{operations: [CREATE], apiGroups: [""], apiVersions: [v1], resources: [secrets]}]
Y
out=$(k apply -f "$T/mc.yaml" 2>&1); expect_eq "webhook with matchConditions accepted" "validatingwebhookconfiguration.admissionregistration.k8s.io/conditional created" "$out"
out=$(k create secret generic forbidden-name --from-literal=a=1 2>&1)
expect_eq "a false matchCondition skips the hook (the name it would deny is admitted)" "secret/forbidden-name created" "$out"
k delete secret forbidden-name >/dev/null 2>&1
cat >"$T/sec.yaml" <<Y
apiVersion: v1
kind: Secret
metadata: {name: forbidden-name, labels: {check: "yes"}}
stringData: {a: "1"}
Y
out=$(k create -f "$T/sec.yaml" 2>&1)
expect_contains "all matchConditions true: the hook is called and denies" 'admission webhook "cond.test.skiff" denied the request: the name forbidden-name is not allowed' "$out"
sed -e 's/name: conditional/name: bad-cel/' -e "s/expression: \"request.operation in \['CREATE'\]\"/expression: \"object.spec.replicas + 1 > 2\"/" "$T/mc.yaml" >"$T/bad-cel.yaml"
out=$(k apply -f "$T/bad-cel.yaml" 2>&1); rc=$?
expect_eq "an expression outside the CEL subset is refused at creation (exit 1)" "1" "$rc"
expect_contains "…as Invalid, naming the expression and the position" \
  'is invalid: webhooks[0].matchConditions[1].expression: Invalid value: "object.spec.replicas + 1 > 2": compilation failed: ERROR: <input>:1:22: Syntax error: '"'+'"' is not in skiff'"'"'s CEL subset' "$out"
out=$(k get validatingwebhookconfiguration bad-cel 2>&1); expect_contains "…and not stored" "NotFound" "$out"
sed -e 's/name: conditional/name: erring/' -e 's/name: cond.test.skiff/name: erring.test.skiff/' \
  -e "s/expression: \"request.operation in \['CREATE'\]\"/expression: \"object.metadata.annotations.nope == 'x'\"/" "$T/mc.yaml" >"$T/erring.yaml"
k apply -f "$T/erring.yaml" >/dev/null 2>&1
sed 's/forbidden-name/other-name/' "$T/sec.yaml" >"$T/sec2.yaml"
out=$(k create -f "$T/sec2.yaml" 2>&1)
expect_contains "a matchCondition that fails to evaluate follows failurePolicy Fail" \
  'failed calling webhook "erring.test.skiff": failed to evaluate matchCondition "creates-only": no such key: annotations' "$out"
k delete validatingwebhookconfiguration conditional erring >/dev/null 2>&1

# ---- ResourceQuota scopes and updates
k create ns qs >/dev/null 2>&1
cat >"$T/quota.yaml" <<Y
apiVersion: v1
kind: ResourceQuota
metadata: {name: best-effort, namespace: qs}
spec:
  hard: {pods: "1"}
  scopes: [BestEffort]
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: gold, namespace: qs}
spec:
  hard: {pods: "1"}
  scopeSelector:
    matchExpressions: [{scopeName: PriorityClass, operator: In, values: [gold]}]
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: lbs, namespace: qs}
spec:
  hard: {services.loadbalancers: "0", services.nodeports: "1"}
Y
out=$(k apply -f "$T/quota.yaml" 2>&1); expect_contains "scoped quotas created" "resourcequota/gold created" "$out"
k run be1 -n qs --image=busybox:1.36 >/dev/null 2>&1
out=$(k run be2 -n qs --image=busybox:1.36 2>&1); rc=$?
expect_eq "a second BestEffort pod is refused (exit 1)" "1" "$rc"
expect_eq "…with Kubernetes' quota message" 'Error from server (Forbidden): pods "be2" is forbidden: resource-quota: exceeded quota: best-effort, requested: pods=1, used: pods=1, limited: pods=1' "$out"
out=$(k run bu1 -n qs --image=busybox:1.36 --overrides='{"spec":{"containers":[{"name":"bu1","image":"busybox:1.36","resources":{"requests":{"cpu":"10m"}}}]}}' 2>&1)
expect_eq "a Burstable pod is not counted by the BestEffort quota" "pod/bu1 created" "$out"
expect_eq "status.used of the scoped quota" "1" "$(k get quota best-effort -n qs -o jsonpath='{.status.used.pods}')"
k create service clusterip web -n qs --tcp=80:80 >/dev/null 2>&1
out=$(k patch service web -n qs -p '{"spec":{"type":"LoadBalancer"}}' 2>&1); rc=$?
expect_eq "changing a Service to LoadBalancer past services.loadbalancers exits 1" "1" "$rc"
expect_contains "…refused on the update" 'services "web" is forbidden: resource-quota: exceeded quota: lbs, requested: services.loadbalancers=1, used: services.loadbalancers=0, limited: services.loadbalancers=0' "$out"
out=$(k patch service web -n qs -p '{"spec":{"type":"NodePort"}}' 2>&1); expect_eq "…NodePort within services.nodeports passes" "service/web patched" "$out"
expect_eq "status.used counts the node port" "1" "$(k get quota lbs -n qs -o jsonpath='{.status.used.services\.nodeports}')"

api_stop
check "server log has no sanitizer report" api_log_clean
done_testing
