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

# ---- kubectl explain: the OpenAPI v3 schemas ---------------------------------
out=$(k explain pod.spec.containers 2>&1)
expect_contains "explain pod.spec.containers: the field and its type" "FIELD: containers <[]Container>" "$out"
expect_contains "explain: description" "List of containers belonging to the pod." "$out"
expect_contains "explain: a required field" "name	<string> -required-" "$out"
expect_contains "explain: a list of a type" "ports	<[]ContainerPort>" "$out"
expect_contains "explain: a nested type" "resources	<ResourceRequirements>" "$out"
out=$(k explain deployment.spec.strategy 2>&1)
expect_contains "explain deployment.spec.strategy: group" "GROUP:      apps" "$out"
expect_contains "explain deployment.spec.strategy: type" "FIELD: strategy <DeploymentStrategy>" "$out"
expect_contains "explain: rollingUpdate field" "rollingUpdate	<RollingUpdateDeployment>" "$out"
expect_contains "explain: type field described" 'Type of deployment. Can be "Recreate" or "RollingUpdate".' "$out"
out=$(k explain deploy.spec.template.spec.containers.resources.limits 2>&1)
expect_contains "explain follows a pod template into the core types" "FIELD: limits <map[string]Quantity>" "$out"
expect_contains "explain names IntOrString" "FIELD: maxSurge <IntOrString>" "$(k explain deploy.spec.strategy.rollingUpdate.maxSurge 2>&1)"
bad=0
for r in pods nodes namespaces services endpoints configmaps secrets events serviceaccounts limitranges resourcequotas \
         deployments replicasets daemonsets controllerrevisions leases endpointslices priorityclasses \
         mutatingwebhookconfigurations validatingwebhookconfigurations; do
  k explain "$r" >/dev/null 2>&1 || { bad=1; echo "# explain $r failed"; }
done
expect_eq "every served kind is explained" "0" "$bad"

# ---- field validation ---------------------------------------------------------
cat >"$T/typo.yaml" <<Y
apiVersion: v1
kind: Pod
metadata: {name: typo}
spec:
  containers:
  - name: c
    image: busybox
    imagee: busybox
Y
out=$(k apply -f "$T/typo.yaml" 2>&1); rc=$?
expect_eq "apply of a typo'd field exits 1 (--validate=strict by default)" "1" "$rc"
expect_eq "strict: kube's error" 'Error from server (BadRequest): error when creating "'"$T"'/typo.yaml": Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].imagee"' "$out"
expect_eq "strict: nothing created" "1" "$(k get pod typo >/dev/null 2>&1; echo $?)"
out=$(k create -f "$T/typo.yaml" --validate=strict 2>&1); rc=$?
expect_eq "create --validate=strict exits 1" "1" "$rc"
expect_contains "create --validate=strict: unknown field" 'strict decoding error: unknown field "spec.containers[0].imagee"' "$out"
out=$(k apply -f "$T/typo.yaml" --validate=warn 2>&1); rc=$?
expect_eq "--validate=warn creates" "0" "$rc"
expect_contains "--validate=warn prints kube's warning" 'Warning: unknown field "spec.containers[0].imagee"' "$out"
expect_contains "--validate=warn still creates" "pod/typo created" "$out"
k delete pod typo --wait=false >/dev/null 2>&1
out=$(k apply -f "$T/typo.yaml" --validate=false 2>&1); rc=$?
expect_eq "--validate=false (fieldValidation=Ignore): no warning" "pod/typo created" "$out"
out=$(k apply --server-side -f "$T/typo.yaml" --field-manager=ssa-typo 2>&1); rc=$?
expect_eq "server-side apply with a typo exits 1" "1" "$rc"
expect_contains "server-side apply: strict error" 'unknown field "spec.containers[0].imagee"' "$out"
sed 's/imagee: busybox/imagePullPolicyy: Always/' "$T/typo.yaml" >"$T/typo2.yaml"
out=$(k apply -f "$T/typo2.yaml" 2>&1); rc=$?
expect_eq "client-side apply patch with a typo exits 1" "1" "$rc"
expect_contains "patch: strict decoding error" 'strict decoding error: unknown field "spec.containers[0].imagePullPolicyy"' "$out"
out=$(curl -s -X POST -H 'Content-Type: application/json' "$URL/api/v1/namespaces/default/configmaps?fieldValidation=Sloppy" -d '{"metadata":{"name":"x"}}')
expect_contains "a bad fieldValidation directive is 400" '"code":400' "$out"

# a valid manifest with the common fields of every kind applies strictly, twice, and server-side
cat >"$T/rich.yaml" <<Y
apiVersion: v1
kind: Namespace
metadata: {name: rich, labels: {team: a}, annotations: {note: x}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: rich}
automountServiceAccountToken: false
imagePullSecrets: [{name: regcred}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: rich}
data: {a: "1"}
binaryData: {b: aGk=}
---
apiVersion: v1
kind: Secret
metadata: {name: sec, namespace: rich}
type: Opaque
data: {user: YWRtaW4=}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: q, namespace: rich}
spec:
  hard: {pods: "100", requests.cpu: "10", limits.memory: 20Gi}
---
apiVersion: v1
kind: LimitRange
metadata: {name: lr, namespace: rich}
spec:
  limits:
  - {type: Container, default: {cpu: 500m}, defaultRequest: {cpu: 100m}, max: {cpu: "2"}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: rich, labels: {app: web}}
spec:
  replicas: 3
  revisionHistoryLimit: 5
  progressDeadlineSeconds: 300
  minReadySeconds: 2
  selector:
    matchLabels: {app: web}
    matchExpressions: [{key: tier, operator: In, values: [fe]}]
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 25%}}
  template:
    metadata: {labels: {app: web, tier: fe}, annotations: {prometheus.io/scrape: "true"}}
    spec:
      serviceAccountName: app
      terminationGracePeriodSeconds: 20
      dnsPolicy: ClusterFirst
      dnsConfig: {options: [{name: ndots, value: "2"}]}
      enableServiceLinks: false
      nodeSelector: {kubernetes.io/os: linux}
      securityContext: {runAsNonRoot: true, runAsUser: 1000, fsGroup: 2000, seccompProfile: {type: RuntimeDefault}}
      tolerations: [{key: dedicated, operator: Equal, value: web, effect: NoSchedule}]
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - {weight: 100, podAffinityTerm: {labelSelector: {matchLabels: {app: web}}, topologyKey: kubernetes.io/hostname}}
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway}
      hostAliases: [{ip: 10.0.0.1, hostnames: [db.local]}]
      initContainers: [{name: init, image: busybox, command: [sh, -c, "echo init"]}]
      containers:
      - name: nginx
        image: nginx:1.25
        imagePullPolicy: IfNotPresent
        args: ["-g", "daemon off;"]
        workingDir: /usr/share/nginx
        ports: [{name: http, containerPort: 80, protocol: TCP}]
        env:
        - {name: A, value: "1"}
        - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
        - {name: CPU, valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1m}}}
        - {name: PASS, valueFrom: {secretKeyRef: {name: sec, key: password, optional: true}}}
        envFrom: [{configMapRef: {name: cfg}, prefix: CFG_}, {secretRef: {name: sec}}]
        resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 500m, memory: 256Mi}}
        volumeMounts: [{name: data, mountPath: /data}, {name: cfg, mountPath: /etc/cfg, readOnly: true, subPath: a}]
        livenessProbe:
          httpGet: {path: /healthz, port: http, httpHeaders: [{name: X-Probe, value: "1"}]}
          initialDelaySeconds: 5
          periodSeconds: 10
        readinessProbe: {tcpSocket: {port: 80}, successThreshold: 1}
        startupProbe: {exec: {command: [cat, /tmp/ready]}}
        lifecycle: {preStop: {exec: {command: [sleep, "5"]}}}
        securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
        terminationMessagePolicy: FallbackToLogsOnError
      volumes:
      - {name: data, emptyDir: {sizeLimit: 1Gi}}
      - {name: cfg, configMap: {name: cfg, defaultMode: 420, items: [{key: a, path: a}]}}
      - {name: sec, secret: {secretName: sec, optional: true}}
      - {name: claim, persistentVolumeClaim: {claimName: pvc-1, readOnly: true}}
      - {name: host, hostPath: {path: /var/log, type: Directory}}
      - {name: proj, projected: {sources: [{configMap: {name: cfg}}]}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: rich}
spec:
  type: NodePort
  selector: {app: web}
  sessionAffinity: ClientIP
  ports:
  - {name: http, port: 80, targetPort: http, protocol: TCP, nodePort: 30080}
  - {name: metrics, port: 9090, targetPort: 9090, appProtocol: http}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: rich}
spec:
  selector: {matchLabels: {app: agent}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 1}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      hostNetwork: true
      containers: [{name: a, image: busybox, securityContext: {privileged: true}}]
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: l, namespace: rich}
spec: {holderIdentity: me, leaseDurationSeconds: 15}
Y
out=$(k apply -f "$T/rich.yaml" 2>&1); rc=$?
expect_eq "a manifest with the common fields applies under strict validation" "0" "$rc"
case "$out" in *Warning*|*rror*) notok "no warnings or errors for valid fields"; echo "$out" | sed 's/^/#   /';; *) ok "no warnings or errors for valid fields";; esac
out=$(k apply -f "$T/rich.yaml" 2>&1); rc=$?
expect_eq "applied again: unchanged" "0 0" "$rc $(echo "$out" | grep -vc unchanged)"
out=$(k apply --server-side --force-conflicts -f "$T/rich.yaml" 2>&1); rc=$?
expect_eq "the same manifest server-side" "0" "$rc"
expect_eq "every object serverside-applied" "10" "$(echo "$out" | grep -c serverside-applied)"

api_stop
check "server log has no sanitizer report" api_log_clean
done_testing
