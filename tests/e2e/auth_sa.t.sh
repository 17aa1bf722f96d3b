#!/usr/bin/env bash
# Authorization gaps closed the way kube-apiserver closes them, with the real
# kubectl 1.32 against `skiff server` (token file, RBAC, self-signed HTTPS):
# requests for resources the server does not serve are authorized before
# they are routed (403, not 404, for a user who may not ask);
# SubjectAccessReview and LocalSubjectAccessReview; service-account tokens
# (kubectl create token, authentication as the service account, expiry of
# bound objects, revocation, TokenReview, a key kept across restarts);
# ClusterRole aggregation (kubectl create clusterrole --aggregation-rule).
. "$SKIFF_ROOT/tests/lib.sh"
KUBECTL=$(kubectl_bin)
export HOME=$T/home
mkdir -p "$HOME"
PORT=$(free_port)
URL=https://127.0.0.1:$PORT
cat >"$T/tokens.csv" <<'CSV'
alice-token,alice,1001,"dev"
bob-token,bob,1002
CSV
cat >"$T/api.cfg" <<CFG
plugin_path = [ "$SKIFF_PLUGINS" ];
components = { apiserver = true; };
apiserver = { listen = "127.0.0.1:6443"; token_auth_file = "$T/tokens.csv"; authorization_mode = [ "RBAC" ]; };
plugins = { store = ( { plugin = "lmdb"; settings = { path = "$T/unused"; }; } ); };
CFG
start_server() {
  "$SKIFF_BIN" server --config "$T/api.cfg" --listen "127.0.0.1:$PORT" --data-dir "$T/data" >>"$T/server.log" 2>&1 &
  API_PID=$!
  on_exit "kill $API_PID 2>/dev/null; wait $API_PID 2>/dev/null"
  for i in $(seq 1 100); do curl -sk "$URL/readyz" >/dev/null 2>&1 && break; sleep 0.05; done
}
start_server
CA=$T/data/apiserver.crt
ADMIN=$T/data/kubeconfig
for u in alice bob; do
  "$SKIFF_BIN" kubeconfig --server "$URL" --token "$u-token" --user "$u" --certificate-authority "$CA" >"$T/kc-$u"
done
ka() { KUBECONFIG=$ADMIN "$KUBECTL" --request-timeout=20s "$@" </dev/null 2>&1; }
kain() { KUBECONFIG=$ADMIN "$KUBECTL" --request-timeout=20s "$@" 2>&1; } # reads stdin
kas() { local u=$1; shift; KUBECONFIG=$T/kc-$u "$KUBECTL" --request-timeout=20s "$@" </dev/null 2>&1; }

# --- 1. authorization before resource lookup ----------------------------------------
out=$(kas alice get --raw /api/v1/namespaces/default/foos); rc=$?
expect_eq "an unknown resource, user without a grant: kube's 403, not 404" \
  'Error from server (Forbidden): foos is forbidden: User "alice" cannot list resource "foos" in API group "" in the namespace "default" 1' "$out $rc"
out=$(kas alice get --raw /apis/example.com/v1/widgets/w)
expect_eq "an unknown group: 403 naming resource.group and the object" \
  'Error from server (Forbidden): widgets.example.com "w" is forbidden: User "alice" cannot get resource "widgets" in API group "example.com" at the cluster scope' "$out"
out=$(curl -sk "$URL/api/v1/namespaces/default/foos")
expect_contains "anonymous too" 'foos is forbidden: User \"system:anonymous\" cannot list resource \"foos\"' "$out"
out=$(ka get --raw /api/v1/namespaces/default/foos); rc=$?
expect_eq "the admin (allowed) gets 404 NotFound" \
  'Error from server (NotFound): the server could not find the requested resource 1' "$out $rc"
ka create namespace dev >/dev/null
ka create rolebinding alice-admin --clusterrole=admin --user=alice -n dev >/dev/null
out=$(kas alice get --raw /api/v1/namespaces/dev/pods/p/bogus)
expect_eq "alice is denied an unknown subresource she has no rule for" \
  'Error from server (Forbidden): pods "p" is forbidden: User "alice" cannot get resource "pods/bogus" in API group "" in the namespace "dev"' "$out"
ka create role any -n dev --verb='*' --resource='*.*' >/dev/null
ka create rolebinding alice-any --role=any --user=alice -n dev >/dev/null
out=$(kas alice get --raw /api/v1/namespaces/dev/foos)
expect_eq "granted everything in dev, alice learns foos do not exist" \
  'Error from server (NotFound): the server could not find the requested resource' "$out"
out=$(kas alice get --raw /api/v1/namespaces/default/foos)
expect_contains "but not in default" 'cannot list resource "foos" in API group "" in the namespace "default"' "$out"

# --- 2. SubjectAccessReview, LocalSubjectAccessReview --------------------------------
cat >"$T/sar.yaml" <<'Y'
apiVersion: authorization.k8s.io/v1
kind: SubjectAccessReview
spec:
  user: alice
  groups: [dev, system:authenticated]
  resourceAttributes: {namespace: dev, verb: delete, resource: pods, name: web}
Y
out=$(ka create -f "$T/sar.yaml" -o yaml); rc=$?
expect_eq "kubectl create -f sar.yaml exits 0" "0" "$rc"
expect_contains "the answer is the review with its status" "kind: SubjectAccessReview" "$out"
expect_contains "allowed: true" "allowed: true" "$out"
expect_contains "with kube's RBAC reason" "reason: 'RBAC: allowed by RoleBinding \"alice-any/dev\" of Role \"any\" to User \"alice\"'" "$out"
sed 's/namespace: dev/namespace: default/' "$T/sar.yaml" >"$T/sar2.yaml"
out=$(ka create -f "$T/sar2.yaml" -o jsonpath='{.status.allowed}')
expect_eq "not in default" "false" "$out"
out=$(ka create -f "$T/sar.yaml" -o name); rc=$?
expect_eq "-o name of a review (nameless: kubectl prints <unknown>)" "subjectaccessreview.authorization.k8s.io/<unknown> 0" "$out $rc"
printf 'apiVersion: authorization.k8s.io/v1\nkind: SubjectAccessReview\nspec:\n  resourceAttributes: {verb: get, resource: pods}\n' >"$T/sar-bad.yaml"
out=$(ka create -f "$T/sar-bad.yaml"); rc=$?
expect_eq "a review naming no one is invalid (kube's message, exit 1)" \
  'The SubjectAccessReview "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified 1' "$out $rc"
out=$(kas alice create -f "$T/sar.yaml")
expect_eq "alice may not ask about others cluster-wide" \
  'Error from server (Forbidden): error when creating "'"$T"'/sar.yaml": subjectaccessreviews.authorization.k8s.io is forbidden: User "alice" cannot create resource "subjectaccessreviews" in API group "authorization.k8s.io" at the cluster scope' "$out"
cat >"$T/lsar.yaml" <<'Y'
apiVersion: authorization.k8s.io/v1
kind: LocalSubjectAccessReview
metadata: {namespace: dev}
spec:
  user: bob
  resourceAttributes: {namespace: dev, verb: list, resource: configmaps}
Y
out=$(kas alice create -f "$T/lsar.yaml" -o jsonpath='{.metadata.namespace} {.status.allowed}'); rc=$?
expect_eq "a namespace admin asks a LocalSubjectAccessReview in her namespace (admin's rule)" "dev false 0" "$out $rc"
ka create rolebinding bob-view --clusterrole=view --user=bob -n dev >/dev/null
out=$(kas alice create -f "$T/lsar.yaml" -o jsonpath='{.status.allowed} {.status.reason}')
expect_eq "and sees bob's new grant" 'true RBAC: allowed by RoleBinding "bob-view/dev" of ClusterRole "view" to User "bob"' "$out"
out=$(kas alice create -f "$T/lsar.yaml" -n default 2>&1); rc=$?
expect_contains "the object's namespace must be the request's" "the namespace from the provided object \"dev\" does not match the namespace \"default\"" "$out"
out=$(ka auth can-i list configmaps -n dev --as bob); rc=$?
expect_eq "kubectl auth can-i --as bob: yes" "yes 0" "$out $rc"
out=$(ka auth can-i list configmaps -n default --as bob); rc=$?
expect_eq "kubectl auth can-i --as bob in default: no" "no 1" "$out $rc"

# --- 3. service-account tokens (TokenRequest), their authentication, TokenReview -----------
ka create serviceaccount robot -n dev >/dev/null
TOK=$(ka create token robot -n dev); rc=$?
expect_eq "kubectl create token robot exits 0" "0" "$rc"
check "the token is a JWT (three parts)" test "$(echo "$TOK" | tr -cd . | wc -c)" = 2
check "the signing key is kept in the data dir (0600)" test "$(stat -c %a "$T/data/sa.key")" = 600
claims=$(echo "$TOK" | cut -d. -f2 | tr '_-' '/+'); while [ $(( ${#claims} % 4 )) -ne 0 ]; do claims="$claims="; done
claims=$(echo "$claims" | base64 -d)
expect_contains "claims: sub" '"sub":"system:serviceaccount:dev:robot"' "$claims"
expect_contains "claims: iss and aud" '"aud":["https://kubernetes.default.svc.cluster.local"]' "$claims"
expect_contains "claims: kubernetes.io" '"kubernetes.io":{"namespace":"dev","serviceaccount":{"name":"robot","uid":"'"$(ka get sa robot -n dev -o jsonpath='{.metadata.uid}')"'"}}' "$claims"
"$SKIFF_BIN" kubeconfig --server "$URL" --token "$TOK" --user robot --certificate-authority "$CA" >"$T/kc-robot"
out=$(kas robot auth whoami)
expect_contains "the token authenticates as the service account" "Username                                            system:serviceaccount:dev:robot" "$out"
expect_contains "with kube's groups" "Groups                                              [system:serviceaccounts system:serviceaccounts:dev system:authenticated]" "$out"
expect_contains "and kube's extra (the token's jti)" "Extra: authentication.kubernetes.io/credential-id   [JTI=$(echo "$claims" | sed 's/.*"jti":"\([^"]*\)".*/\1/')]" "$out"
out=$(kas robot get configmaps -n dev)
expect_eq "RBAC decides for it" 'Error from server (Forbidden): configmaps is forbidden: User "system:serviceaccount:dev:robot" cannot list resource "configmaps" in API group "" in the namespace "dev"' "$out"
ka create rolebinding robot-view --clusterrole=view --serviceaccount=dev:robot -n dev >/dev/null
out=$(kas robot get configmaps -n dev -o name); rc=$?
expect_eq "a RoleBinding to the ServiceAccount grants it" "0" "$rc"
out=$(curl -sk -D "$T/jwks.h" -H "Authorization: Bearer $TOK" "$URL/openid/v1/jwks")
expect_contains "a service account reads the issuer's JWKS (its kid)" '"kid":"'"$(echo "$TOK" | cut -d. -f1 | tr '_-' '/+' | base64 -d 2>/dev/null | sed 's/.*"kid":"\([^"]*\)".*/\1/')"'"' "$out"
expect_contains "served as application/jwk-set+json" "application/jwk-set+json" "$(cat "$T/jwks.h")"
out=$(curl -sk -H "Authorization: Bearer $TOK" "$URL/.well-known/openid-configuration")
expect_contains "and the discovery document" '"issuer":"https://kubernetes.default.svc.cluster.local","jwks_uri":"https://kubernetes.default.svc.cluster.local/openid/v1/jwks"' "$out"
out=$(ka auth can-i list configmaps -n dev --as system:serviceaccount:dev:robot)
expect_eq "can-i --as the service account agrees" "yes" "$out"
out=$(ka create token robot -n dev --duration=1m); rc=$?
expect_eq "--duration under 10 minutes: kube's message" \
  'error: failed to create token: TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes 1' "$out $rc"
out=$(ka create token nosuch -n dev); rc=$?
expect_eq "a missing service account" 'error: failed to create token: serviceaccounts "nosuch" not found 1' "$out $rc"
out=$(ka create token robot -n dev --duration=2h -o jsonpath='{.spec.expirationSeconds}')
expect_eq "--duration=2h" "7200" "$out"
VAULT=$(ka create token robot -n dev --audience=vault)
out=$(KUBECONFIG=$T/kc-robot "$KUBECTL" --token="$VAULT" get configmaps -n dev 2>&1)
expect_eq "a token for another audience is refused by the API" "error: You must be logged in to the server (Unauthorized)" "$out"
printf 'apiVersion: authentication.k8s.io/v1\nkind: TokenReview\nspec:\n  token: %s\n  audiences: [vault]\n' "$VAULT" >"$T/tr.yaml"
out=$(ka create -f "$T/tr.yaml" -o jsonpath='{.status.authenticated} {.status.user.username} {.status.audiences}')
expect_eq "a TokenReview for that audience says who it is" 'true system:serviceaccount:dev:robot ["vault"]' "$out"
out=$(kas robot create token robot -n dev)
expect_eq "view may not create tokens (serviceaccounts/token)" \
  'error: failed to create token: serviceaccounts "robot" is forbidden: User "system:serviceaccount:dev:robot" cannot create resource "serviceaccounts/token" in API group "" in the namespace "dev"' "$out"
# a token bound to a pod ends with the pod
ka run bound -n dev --image=nginx --overrides='{"spec":{"serviceAccountName":"robot"}}' >/dev/null
PTOK=$(ka create token robot -n dev --bound-object-kind=Pod --bound-object-name=bound)
out=$(KUBECONFIG=$T/kc-robot "$KUBECTL" --token="$PTOK" auth whoami -o jsonpath='{.status.userInfo.username} {.status.userInfo.extra.authentication\.kubernetes\.io/pod-name}' 2>&1)
expect_eq "a pod-bound token works while the pod lives (extra names the pod)" 'system:serviceaccount:dev:robot ["bound"]' "$out"
out=$(ka create token robot -n dev --bound-object-kind=Pod --bound-object-name=nope)
expect_eq "binding to a missing pod" 'error: failed to create token: pods "nope" not found' "$out"
ka delete pod bound -n dev --grace-period=0 --force >/dev/null 2>&1
out=$(KUBECONFIG=$T/kc-robot "$KUBECTL" --token="$PTOK" auth whoami 2>&1)
expect_eq "and is refused once the pod is gone" "error: You must be logged in to the server (Unauthorized)" "$out"
# a restart keeps the signing key: old tokens still work
kill "$API_PID" 2>/dev/null; wait "$API_PID" 2>/dev/null
start_server
out=$(kas robot get configmaps -n dev -o name); rc=$?
expect_eq "after a restart the token still works (sa.key kept)" "0" "$rc"
# deleting the service account revokes its tokens, a new one of the same name does not revive them
ka delete serviceaccount robot -n dev >/dev/null
out=$(kas robot get configmaps -n dev)
expect_eq "once the service account is deleted: 401" "error: You must be logged in to the server (Unauthorized)" "$out"
ka create serviceaccount robot -n dev >/dev/null
out=$(kas robot get configmaps -n dev)
expect_eq "a new service account of that name (another uid) does not revive it" "error: You must be logged in to the server (Unauthorized)" "$out"

# --- 4. ClusterRole aggregation -------------------------------------------------------------
out=$(ka get clusterrole admin -o jsonpath='{.aggregationRule.clusterRoleSelectors[0].matchLabels}')
expect_eq "bootstrap admin aggregates as kube's" '{"rbac.authorization.k8s.io/aggregate-to-admin":"true"}' "$out"
out=$(ka get clusterrole admin -o jsonpath='{.metadata.managedFields[*].manager}')
case "$out" in *clusterrole-aggregation-controller*) notok "the bootstrap aggregates are not rewritten at start";; *) ok "the bootstrap aggregates are not rewritten at start";; esac
out=$(ka create clusterrole monitoring --aggregation-rule="rbac.example.com/aggregate-to-monitoring=true")
expect_eq "kubectl create clusterrole --aggregation-rule" "clusterrole.rbac.authorization.k8s.io/monitoring created" "$out"
ka create clusterrole mon-endpoints --verb=get,list,watch --resource=endpoints >/dev/null
ka label clusterrole mon-endpoints rbac.example.com/aggregate-to-monitoring=true >/dev/null
for i in $(seq 1 50); do out=$(ka get clusterrole monitoring -o jsonpath='{.rules[0].resources}'); [ "$out" = '["endpoints"]' ] && break; sleep 0.1; done
expect_eq "a labelled ClusterRole's rules are aggregated" '["endpoints"]' "$out"
out=$(ka get clusterrole monitoring -o jsonpath='{.metadata.managedFields[*].manager}')
expect_contains "written by clusterrole-aggregation-controller" "clusterrole-aggregation-controller" "$out"
cat <<'Y' | kain apply -f - >/dev/null
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: widgets-view
  labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
rules: [{apiGroups: [example.com], resources: [widgets], verbs: [get, list, watch]}]
Y
canwidgets() { kain create -f - -o jsonpath='{.status.allowed}' <<Y
{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"$1","resourceAttributes":{"namespace":"dev","verb":"list","group":"example.com","resource":"widgets"}}}
Y
}
for i in $(seq 1 50); do out=$(canwidgets bob); [ "$out" = true ] && break; sleep 0.1; done
expect_eq "labelled aggregate-to-view: view holders get it (kube's CRD recipe)" "true" "$out"
ka create rolebinding carol-admin --clusterrole=admin --user=carol -n dev >/dev/null
for i in $(seq 1 50); do out=$(canwidgets carol); [ "$out" = true ] && break; sleep 0.1; done
expect_eq "and through edit, admin holders" "true" "$out"
ka label clusterrole mon-endpoints rbac.example.com/aggregate-to-monitoring- >/dev/null
for i in $(seq 1 50); do out=$(ka get clusterrole monitoring -o jsonpath='{.rules}'); [ -z "$out" ] || [ "$out" = '[]' ] && break; sleep 0.1; done
check "a role that loses the label drops out" test -z "$out" -o "$out" = '[]'

if grep -qE 'Sanitizer|runtime error:' "$T/server.log"; then
  notok "no sanitizer reports"; grep -E -A20 'Sanitizer|runtime error:' "$T/server.log" | head -40 | sed 's/^/# /'
else
  ok "no sanitizer reports"
fi
done_testing
