#!/usr/bin/env bash
# Out-of-range numbers that the API server stores flow on to the scheduler
# and the controllers through their watches; none of them may take the
# server down. Each case here once did under `make test-asan`:
#  - spec.replicas 2147483648: the ReplicaSet controller computed 0 - INT_MIN
#  - numeric requests 1e308 in two containers: the scheduler's request sum
#    overflowed int64 (after an undefined double -> int64 cast)
#  - priority / tolerationSeconds / maxSurge of 1e308: undefined casts
. "$SKIFF_ROOT/tests/lib.sh"
. "$SKIFF_ROOT/tests/e2e/api_common.sh"
cat >"$API_CFG" <<CFG
plugin_path = [ "$SKIFF_PLUGINS" ];
components = { apiserver = true; scheduler = true; sim = true; controllers = true; };
apiserver = { listen = "127.0.0.1:6443"; };
sim = { nodes = 2; heartbeat = "1s"; status_interval = "2s"; pod_start_delay = "200ms"; };
controllers = { workers = 2; };
plugins = {
  store = ( { plugin = "memory"; } );
  scheduler = (
    { plugin = "node-resources-fit"; instance = "fit"; },
    { plugin = "taint-toleration"; instance = "taints"; },
    { plugin = "least-allocated"; instance = "least"; },
    { plugin = "default-binder"; instance = "binder"; }
  );
};
CFG
api_start
post() { curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$API_PORT$1" -d "$2"; }
tmpl='"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}'
post /apis/apps/v1/namespaces/default/replicasets \
  '{"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"big"},"spec":{"replicas":2147483648,"selector":{"matchLabels":{"a":"b"}},'"$tmpl"'}}' >/dev/null
post /apis/apps/v1/namespaces/default/deployments \
  '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"huge"},"spec":{"replicas":1e308,"strategy":{"rollingUpdate":{"maxSurge":1e308,"maxUnavailable":"99999999999999%"}},"selector":{"matchLabels":{"a":"b"}},'"$tmpl"'}}' >/dev/null
post /api/v1/namespaces/default/pods \
  '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"priority":1e308,"tolerations":[{"operator":"Exists","effect":"NoExecute","tolerationSeconds":1e308}],"containers":[{"name":"a","image":"i","resources":{"requests":{"cpu":1e308,"memory":-1e308}}},{"name":"b","image":"i","resources":{"requests":{"cpu":1e308,"memory":-1e308}}}]}}' >/dev/null
sleep 2  # let the scheduler and the controllers see them
check "server still healthy after the scheduler and controllers saw them" curl -sf -o /dev/null "http://127.0.0.1:$API_PORT/healthz"
out=$(k get rs big -o jsonpath='{.metadata.name}' 2>&1); expect_eq "and still serving" "big" "$out"
api_stop
check "server shut down cleanly (no sanitizer reports)" api_log_clean
done_testing
