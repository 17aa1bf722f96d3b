#!/usr/bin/env bash
# The serviceaccount controller with the real kubectl 1.32 against `skiff
# server`: every namespace gets a "default" ServiceAccount, made again when
# deleted, so `kubectl create token default` works as against a cluster.
. "$SKIFF_ROOT/tests/lib.sh"
. "$SKIFF_ROOT/tests/e2e/api_common.sh"
cat >"$API_CFG" <<CFG
plugin_path = [ "$SKIFF_PLUGINS" ];
components = { apiserver = true; controllers = true; };
apiserver = { listen = "127.0.0.1:6443"; };
controllers = { enable = [ "serviceaccount", "namespace" ]; workers = 2; };
plugins = { store = ( { plugin = "memory"; } ); };
CFG
api_start

wait_for() {
  local d=$1 want=$2 got= i; shift 2
  for i in $(seq 1 150); do got=$("$@" 2>&1); [ "$got" = "$want" ] && break; sleep 0.2; done
  expect_eq "$d" "$want" "$got"
}

wait_for "default namespace has a default ServiceAccount" "default" k get sa default -o jsonpath='{.metadata.name}'
k create namespace team >/dev/null 2>&1
wait_for "a new namespace gets one" "default" k -n team get sa default -o jsonpath='{.metadata.name}'
uid1=$(k -n team get sa default -o jsonpath='{.metadata.uid}' 2>&1)
out=$(k -n team delete sa default 2>&1); expect_eq "delete it" 'serviceaccount "default" deleted' "$out"
new_uid() { local u; u=$(k -n team get sa default -o jsonpath='{.metadata.uid}' 2>/dev/null); [ -n "$u" ] && [ "$u" != "$uid1" ] && echo 1 || echo 0; }
wait_for "made again after deletion (a new uid)" "1" new_uid
tok=$(k -n team create token default 2>&1)
check "kubectl create token default works" bash -c "echo '$tok' | grep -qE '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$'"
expect_eq "only the one ServiceAccount" "1" "$(k -n team get sa --no-headers 2>&1 | wc -l)"
done_testing
