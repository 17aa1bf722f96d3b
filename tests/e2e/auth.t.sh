#!/usr/bin/env bash
# Authentication and RBAC with the real kubectl 1.32 and several users'
# kubeconfigs: a server with a token file, authorization_mode RBAC and its
# self-signed HTTPS certificate; 401 for a bad token, 403 with kube's
# message, a Role + RoleBinding granting list pods in one namespace only,
# `auth can-i` answers and exit codes, `auth whoami`, bootstrap roles,
# `kubectl create rolebinding` (protobuf), privilege-escalation prevention
# (escalate, bind with resourceNames), and a controller in another
# process authenticating with a kubeconfig.
. "$SKIFF_ROOT/tests/lib.sh"
KUBECTL=$(kubectl_bin)
export HOME=$T/home
mkdir -p "$HOME"
PORT=$(free_port)
URL=https://127.0.0.1:$PORT
cat >"$T/tokens.csv" <<'CSV'
alice-token,alice,1001,"dev,qa"
bob-token,bob,1002
CSV
cat >"$T/api.cfg" <<CFG
plugin_path = [ "$SKIFF_PLUGINS" ];
components = { apiserver = true; };
apiserver = { listen = "127.0.0.1:6443"; token_auth_file = "$T/tokens.csv"; authorization_mode = [ "RBAC" ]; };
plugins = { store = ( { plugin = "lmdb"; settings = { path = "$T/unused"; }; } ); };
CFG
"$SKIFF_BIN" server --config "$T/api.cfg" --listen "127.0.0.1:$PORT" --data-dir "$T/data" >>"$T/server.log" 2>&1 &
API_PID=$!
on_exit "kill $API_PID 2>/dev/null; wait $API_PID 2>/dev/null"
for i in $(seq 1 100); do curl -sk "$URL/readyz" >/dev/null 2>&1 && break; sleep 0.05; done

CA=$T/data/apiserver.crt
ADMIN=$T/data/kubeconfig
check "the server made a self-signed certificate in its data dir" test -s "$CA"
check "and an admin token (0600)" test "$(stat -c %a "$T/data/admin-token")" = 600
for u in alice bob; do
  "$SKIFF_BIN" kubeconfig --server "$URL" --token "$u-token" --user "$u" --certificate-authority "$CA" >"$T/kc-$u"
done
"$SKIFF_BIN" kubeconfig --server "$URL" --token wrong --user mallory --certificate-authority "$CA" >"$T/kc-bad"
ka() { KUBECONFIG=$ADMIN "$KUBECTL" --request-timeout=20s "$@" </dev/null 2>&1; }
kain() { KUBECONFIG=$ADMIN "$KUBECTL" --request-timeout=20s "$@" 2>&1; } # reads stdin
kas() { local u=$1; shift; KUBECONFIG=$T/kc-$u "$KUBECTL" --request-timeout=20s "$@" </dev/null 2>&1; }

# --- authentication ------------------------------------------------------
out=$(ka auth whoami); rc=$?
expect_eq "admin kubeconfig works (whoami exit 0)" "0" "$rc"
expect_contains "the generated kubeconfig is kubernetes-admin" "Username    kubernetes-admin" "$out"
expect_contains "admin is in system:masters" "[system:masters system:authenticated]" "$out"
out=$(kas alice auth whoami)
expect_contains "whoami: alice" "Username    alice" "$out"
expect_contains "whoami: alice's uid" "UID         1001" "$out"
expect_contains "whoami: groups from the token file plus system:authenticated" "Groups      [dev qa system:authenticated]" "$out"
out=$(kas bad get pods); rc=$?
expect_eq "a bad token: kubectl exits 1" "1" "$rc"
expect_contains "a bad token: 401 as kubectl prints it" "error: You must be logged in to the server" "$(echo "$out" | tail -1)"
out=$(curl -sk -H "Authorization: Bearer wrong" "$URL/api/v1/namespaces")
expect_contains "401 body is a Status with reason Unauthorized" '"reason":"Unauthorized","code":401' "$out"
out=$(curl -sk -o /dev/null -w '%{http_code}' "$URL/healthz")
expect_eq "anonymous may read /healthz (system:public-info-viewer)" "200" "$out"
out=$(curl -sk "$URL/api/v1/namespaces/default/pods")
expect_contains "anonymous gets 403 for pods" 'pods is forbidden: User \"system:anonymous\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"' "$out"
out=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -H "Authorization: Bearer alice-token" "$URL/apis")
expect_eq "the CA in the data dir verifies the server (curl --cacert)" "200" "$out"

# --- bootstrap policy and the RBAC kinds ------------------------------------
out=$(ka get clusterroles -o name)
for r in cluster-admin admin edit view system:discovery system:basic-user; do
  expect_contains "bootstrap ClusterRole $r" "clusterrole.rbac.authorization.k8s.io/$r" "$out"
done
out=$(ka get clusterrolebinding cluster-admin -o wide)
expect_contains "cluster-admin is bound to system:masters" "ClusterRole/cluster-admin" "$out"
expect_contains "binding table has the GROUPS column" "system:masters" "$out"
out=$(ka api-resources --api-group=rbac.authorization.k8s.io -o name)
expect_eq "api-resources lists the four RBAC kinds" "clusterrolebindings.rbac.authorization.k8s.io
clusterroles.rbac.authorization.k8s.io
rolebindings.rbac.authorization.k8s.io
roles.rbac.authorization.k8s.io" "$out"

# --- 403 and a grant in one namespace ---------------------------------------------
ka create namespace team-a >/dev/null
out=$(kas alice get pods); rc=$?
expect_eq "alice without a grant: exit 1" "1" "$rc"
expect_eq "alice without a grant: kube's 403 message" \
  'Error from server (Forbidden): pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"' "$out"
out=$(cat <<'Y' | kain apply -f -
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: team-a}
rules:
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read-pods, namespace: team-a}
subjects:
- kind: User
  name: alice
  apiGroup: rbac.authorization.k8s.io
roleRef:
  kind: Role
  name: pod-reader
  apiGroup: rbac.authorization.k8s.io
Y
)
expect_eq "kubectl apply creates the Role and RoleBinding" "role.rbac.authorization.k8s.io/pod-reader created
rolebinding.rbac.authorization.k8s.io/read-pods created" "$out"
out=$(kas alice get pods -n team-a); rc=$?
expect_eq "alice lists pods in team-a (exit 0)" "0" "$rc"
expect_eq "alice lists pods in team-a" "No resources found in team-a namespace." "$out"
out=$(kas alice get pods -n default)
expect_contains "but not in default" 'User "alice" cannot list resource "pods" in API group "" in the namespace "default"' "$out"
out=$(kas alice get pods -A)
expect_contains "nor across namespaces" 'User "alice" cannot list resource "pods" in API group "" at the cluster scope' "$out"
out=$(kas alice get configmaps -n team-a)
expect_contains "nor other resources in team-a" 'configmaps is forbidden: User "alice" cannot list resource "configmaps"' "$out"
out=$(kas alice delete pod x -n team-a)
expect_contains "nor other verbs (named: kube's message names the object)" 'pods "x" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "team-a"' "$out"

# --- kubectl auth can-i -------------------------------------------------------------
out=$(kas alice auth can-i list pods -n team-a); rc=$?
expect_eq "can-i list pods in team-a: yes" "yes 0" "$out $rc"
out=$(kas alice auth can-i list pods -n default); rc=$?
expect_eq "can-i list pods in default: no, exit 1" "no 1" "$out $rc"
out=$(kas alice auth can-i create pods -n team-a); rc=$?
expect_eq "can-i create pods in team-a: no" "no 1" "$out $rc"
out=$(kas alice auth can-i get pods --subresource=log -n team-a); rc=$?
expect_eq "can-i get pods --subresource=log: no (a subresource needs its own rule)" "no 1" "$out $rc"
out=$(kas alice auth can-i get /apis); rc=$?
expect_eq "can-i get /apis (non-resource URL, system:discovery): yes" "yes 0" "$out $rc"
out=$(kas alice auth can-i --list -n team-a); rc=$?
expect_eq "can-i --list (SelfSubjectRulesReview) exits 0" "0" "$rc"
expect_contains "can-i --list shows the Role's rule" "pods                                            []                  []               [get list watch]" "$out"
expect_contains "can-i --list shows what every user may do" "selfsubjectaccessreviews.authorization.k8s.io   []                  []               [create]" "$out"
out=$(kas alice auth can-i --list -n default)
case "$out" in *"pods      "*) notok "can-i --list in default has no pods rule";; *) ok "can-i --list in default has no pods rule";; esac
out=$(ka auth can-i '*' '*'); rc=$?
expect_eq "admin can-i '*' '*': yes" "yes 0" "$out $rc"
out=$(ka auth can-i list pods -n team-a --as alice); rc=$?
expect_eq "admin can-i --as alice (impersonation): yes in team-a" "yes 0" "$out $rc"
out=$(ka auth can-i list pods -n default --as alice); rc=$?
expect_eq "admin can-i --as alice: no in default" "no 1" "$out $rc"
out=$(ka auth whoami --as alice --as-group qa)
expect_contains "whoami --as alice --as-group qa" "Groups      [qa system:authenticated]" "$out"
out=$(kas bob get pods -n team-a --as alice)
expect_eq "bob may not impersonate" 'Error from server (Forbidden): users "alice" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope' "$out"

# --- kubectl create rolebinding (protobuf body), a ClusterRole bound in a namespace ---------
out=$(ka create rolebinding bob-edit --clusterrole=edit --user=bob -n team-a)
expect_eq "kubectl create rolebinding (protobuf)" "rolebinding.rbac.authorization.k8s.io/bob-edit created" "$out"
out=$(ka get rolebindings -n team-a -o wide)
expect_contains "rolebindings table: ROLE and USERS" "ClusterRole/edit" "$out"
out=$(kas bob create configmap c1 -n team-a --from-literal=a=b)
expect_eq "bob (edit) creates a configmap in team-a" "configmap/c1 created" "$out"
out=$(kas bob create configmap c2 -n default --from-literal=a=b)
expect_contains "bob cannot in default" 'configmaps is forbidden: User "bob" cannot create resource "configmaps" in API group "" in the namespace "default"' "$out"
out=$(kas bob delete rolebinding read-pods -n team-a)
expect_contains "edit does not grant RBAC objects" 'rolebindings.rbac.authorization.k8s.io "read-pods" is forbidden: User "bob" cannot delete resource "rolebindings" in API group "rbac.authorization.k8s.io"' "$out"
out=$(kas bob scale deployment nope --replicas=2 -n team-a 2>&1)
expect_contains "edit covers deployments/scale (a 404, not a 403)" 'deployments.apps "nope" not found' "$out"

out=$(ka create role cm-reader --verb=get,list --resource=configmaps,deployments.apps -n team-a)
expect_eq "kubectl create role (protobuf)" "role.rbac.authorization.k8s.io/cm-reader created" "$out"
out=$(ka get role cm-reader -n team-a -o jsonpath='{.rules[1].apiGroups[0]}/{.rules[1].resources[0]}')
expect_eq "its rules as kubectl built them" "apps/deployments" "$out"
out=$(ka create clusterrole logs-reader --verb=get --non-resource-url='/logs/*')
expect_eq "kubectl create clusterrole --non-resource-url" "clusterrole.rbac.authorization.k8s.io/logs-reader created" "$out"
out=$(ka describe rolebinding bob-edit -n team-a)
expect_contains "kubectl describe rolebinding" "ClusterRole" "$out"
expect_contains "describe lists the subject" "User  bob" "$out"

# a watch over HTTPS (the TLS session carries the stream)
KUBECONFIG=$ADMIN timeout 8 "$KUBECTL" get configmaps -n team-a -w --no-headers -o name >"$T/watch.out" 2>&1 &
WPID=$!
sleep 1.5
ka create configmap watched -n team-a --from-literal=x=y >/dev/null
for i in $(seq 1 40); do grep -q "configmap/watched" "$T/watch.out" && break; sleep 0.1; done
kill "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null
expect_contains "kubectl get -w over HTTPS sees a new object" "configmap/watched" "$(cat "$T/watch.out")"

# --- revoking ------------------------------------------------------------------------
ka delete rolebinding read-pods -n team-a >/dev/null
out=$(kas alice get pods -n team-a)
expect_contains "after the RoleBinding is deleted alice is refused again" "Error from server (Forbidden)" "$out"
out=$(kas alice auth can-i list pods -n team-a); rc=$?
expect_eq "and can-i says no" "no 1" "$out $rc"

# --- privilege-escalation prevention (roles and bindings grant only what the writer holds) ---
ka create namespace team-b >/dev/null
ka create rolebinding alice-admin --clusterrole=admin --user=alice -n team-b >/dev/null
out=$(kas alice create role pod-get --verb=get --resource=pods -n team-b)
expect_eq "a namespace admin creates a Role granting pods get" "role.rbac.authorization.k8s.io/pod-get created" "$out"
out=$(kas alice create role node-get --verb=get,list --resource=nodes -n team-b); rc=$?
expect_eq "but not one granting nodes: exit 1" "1" "$rc"
expect_contains "with kube's message and the missing rule" 'roles.rbac.authorization.k8s.io "node-get" is forbidden: user "alice" (groups=["dev" "qa" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:
{APIGroups:[""], Resources:["nodes"], Verbs:["get" "list"]}' "$out"
out=$(kas alice patch role pod-get -n team-b --type=json -p '[{"op":"add","path":"/rules/0/verbs/-","value":"escalate"}]'); rc=$?
expect_eq "an update adding a verb she lacks is refused" 'Error from server (Forbidden): roles.rbac.authorization.k8s.io "pod-get" is forbidden: user "alice" (groups=["dev" "qa" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:
{APIGroups:[""], Resources:["pods"], Verbs:["escalate"]} 1' "$out $rc"
cat >"$T/nodes-role.yaml" <<'Y'
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: nodes-applied, namespace: team-b}
rules: [{apiGroups: [""], resources: [nodes], verbs: [get]}]
Y
out=$(KUBECONFIG=$T/kc-alice "$KUBECTL" apply --server-side -f "$T/nodes-role.yaml" 2>&1); rc=$?
expect_contains "server-side apply is checked too" '{APIGroups:[""], Resources:["nodes"], Verbs:["get"]}' "$out $rc"
out=$(KUBECONFIG=$T/kc-alice "$KUBECTL" apply -f "$T/nodes-role.yaml" 2>&1); rc=$?
expect_contains "and client-side apply" 'is attempting to grant RBAC permissions not currently held' "$out $rc"
out=$(kas alice create rolebinding erin-view --clusterrole=view --user=erin -n team-b)
expect_eq "she binds view (admin holds all of it)" "rolebinding.rbac.authorization.k8s.io/erin-view created" "$out"
out=$(kas alice create rolebinding erin-root --clusterrole=cluster-admin --user=erin -n team-b)
expect_contains "not cluster-admin" '{APIGroups:["*"], Resources:["*"], Verbs:["*"]}
{NonResourceURLs:["*"], Verbs:["*"]}' "$out"
out=$(kas alice create clusterrole cr --verb=get --resource=pods)
expect_contains "a ClusterRole needs create on clusterroles first" 'User "alice" cannot create resource "clusterroles"' "$out"
# bob may write RoleBindings in team-b but holds nothing there: `bind` on view (by name) lets him bind view, only view
ka create role rb-writer --verb=create,get,list --resource=rolebindings.rbac.authorization.k8s.io -n team-b >/dev/null
ka create rolebinding bob-rb-writer --role=rb-writer --user=bob -n team-b >/dev/null
out=$(kas bob create rolebinding carol-view --clusterrole=view --user=carol -n team-b); rc=$?
expect_eq "bob cannot bind view without holding it: exit 1" "1" "$rc"
expect_contains "the missing rules are listed, sorted" 'user "bob" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:
{APIGroups:[""], Resources:["bindings"], Verbs:["get" "list" "watch"]}
{APIGroups:[""], Resources:["configmaps"], Verbs:["get" "list" "watch"]}' "$out"
ka create role view-binder --verb=bind --resource=clusterroles.rbac.authorization.k8s.io --resource-name=view -n team-b >/dev/null
ka create rolebinding bob-view-binder --role=view-binder --user=bob -n team-b >/dev/null
out=$(kas bob create rolebinding carol-view --clusterrole=view --user=carol -n team-b)
expect_eq "with bind on clusterroles/view he binds view" "rolebinding.rbac.authorization.k8s.io/carol-view created" "$out"
out=$(kas bob create rolebinding carol-edit --clusterrole=edit --user=carol -n team-b); rc=$?
expect_eq "but not edit (resourceNames honoured)" "1" "$rc"
expect_contains "edit's extra rules are missing" 'rolebindings.rbac.authorization.k8s.io "carol-edit" is forbidden: user "bob"' "$out"
# escalate on roles lifts the check for Roles in team-b
ka create role escalator --verb=escalate --resource=roles.rbac.authorization.k8s.io -n team-b >/dev/null
ka create rolebinding alice-escalator --role=escalator --user=alice -n team-b >/dev/null
out=$(kas alice create role node-get --verb=get,list --resource=nodes -n team-b)
expect_eq "with escalate alice creates the nodes Role" "role.rbac.authorization.k8s.io/node-get created" "$out"
out=$(ka create role root-ish --verb='*' --resource='*' -n team-b)
expect_eq "system:masters is never checked" "role.rbac.authorization.k8s.io/root-ish created" "$out"

# --- an out-of-process controller authenticates with a kubeconfig ---------------------
cat >"$T/ctrl.cfg" <<CFG
plugin_path = [ "$SKIFF_PLUGINS" ];
components = { controllers = true; };
controllers = { kubeconfig = "$ADMIN"; enable = [ "replicaset" ]; };
CFG
"$SKIFF_BIN" run --config "$T/ctrl.cfg" >>"$T/ctrl.log" 2>&1 &
CTRL=$!
on_exit "kill $CTRL 2>/dev/null; wait $CTRL 2>/dev/null"
cat <<'Y' | kain apply -f - >/dev/null
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: fe, namespace: team-a}
spec:
  replicas: 2
  selector: {matchLabels: {app: fe}}
  template:
    metadata: {labels: {app: fe}}
    spec: {containers: [{name: c, image: nginx}]}
Y
got=
for i in $(seq 1 100); do got=$(ka get pods -n team-a -l app=fe --no-headers | wc -l); [ "$got" = 2 ] && break; sleep 0.2; done
expect_eq "the controller (HTTPS + admin token from the kubeconfig) creates the pods" "2" "$got"
check "the controller logged no authentication error" bash -c "! grep -qE 'Unauthorized|Forbidden|certificate' '$T/ctrl.log'"

kill "$CTRL" 2>/dev/null; wait "$CTRL" 2>/dev/null

# --- a restart keeps the certificate and the admin token -------------------------------
kill "$API_PID" 2>/dev/null; wait "$API_PID" 2>/dev/null
"$SKIFF_BIN" server --config "$T/api.cfg" --listen "127.0.0.1:$PORT" --data-dir "$T/data" >>"$T/server.log" 2>&1 &
API_PID=$!
on_exit "kill $API_PID 2>/dev/null; wait $API_PID 2>/dev/null"
for i in $(seq 1 100); do curl -sk "$URL/readyz" >/dev/null 2>&1 && break; sleep 0.05; done
out=$(kas bob get configmap c1 -n team-a -o name)
expect_eq "after a restart old kubeconfigs still work (same CA, grants kept)" "configmap/c1" "$out"
out=$(ka get rolebinding bob-edit -n team-a -o name)
expect_eq "and the admin one" "rolebinding.rbac.authorization.k8s.io/bob-edit" "$out"
kill "$API_PID" 2>/dev/null; wait "$API_PID" 2>/dev/null

# --- a bad token file stops the server with FILE:LINE -------------------------------------
printf 'ok,u,1\nbroken,only-two\n' >"$T/bad.csv"
sed "s|$T/tokens.csv|$T/bad.csv|" "$T/api.cfg" >"$T/bad.cfg"
out=$("$SKIFF_BIN" server --config "$T/bad.cfg" --listen "127.0.0.1:0" --data-dir "$T/data2" 2>&1); rc=$?
check "a bad token file: the server does not start" test "$rc" -ne 0
expect_contains "and says where" "$T/bad.csv:2: token file must have at least 3 columns (token, user name, user uid), found 2" "$out"
if grep -qE 'Sanitizer|runtime error:' "$T/server.log" "$T/ctrl.log"; then
  notok "no sanitizer reports"; grep -E -A20 'Sanitizer|runtime error:' "$T/server.log" "$T/ctrl.log" | head -40 | sed 's/^/# /'
else
  ok "no sanitizer reports"
fi
done_testing
