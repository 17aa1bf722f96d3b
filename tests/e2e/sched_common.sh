# Shared setup for the scheduling e2e tests (sourced after tests/lib.sh and
# tests/e2e/api_common.sh): `skiff server` with the scheduler and simulated
# nodes on the memory store, one profile "default-scheduler", short
# backoffs; wait_for polls a command's output.

# The profile of the preemption tests, as PLUGIN:INSTANCE in profile order.
SCHED_PREEMPT_PLUGINS=(node-unschedulable:unsched node-resources-fit:fit least-allocated:least
                       default-preemption:preemption default-binder:binder)

# sched_server NODES CPU COMPONENTS SETTINGS PLUGIN:INSTANCE...: write $API_CFG
# for NODES simulated nodes of CPU cpu (4Gi, 110 pods each; NODES 0: no
# simulator, CPU unused), COMPONENTS more components (e.g. "controllers =
# true;") and SETTINGS more top-level settings (either may be empty), the
# scheduler plugins as given (declared and used by the profile in that
# order), then api_start.
sched_server() {
  local nodes=$1 cpu=$2 comps=$3 settings=$4 pi uses= decls= sim=
  shift 4
  for pi in "$@"; do
    uses="$uses${uses:+, }{ instance = \"${pi#*:}\"; }"
    decls="$decls${decls:+,
}    { plugin = \"${pi%%:*}\"; instance = \"${pi#*:}\"; }"
  done
  if [ "$nodes" -gt 0 ]; then
    comps="sim = true;${comps:+ $comps}"
    sim="sim = { nodes = $nodes; cpu = \"$cpu\"; memory = \"4Gi\"; pods = 110; heartbeat = \"1s\"; pod_start_delay = \"100ms\"; };"
  fi
  cat >"$API_CFG" <<CFG
plugin_path = [ "$SKIFF_PLUGINS" ];
components = { apiserver = true; scheduler = true;${comps:+ $comps} };
apiserver = { listen = "127.0.0.1:6443"; };
$settings
$sim
scheduler = { pod_initial_backoff = "100ms"; pod_max_backoff = "300ms";
  profiles = ( { name = "default-scheduler"; plugins = ( $uses ); } ); };
plugins = {
  store = ( { plugin = "memory"; } );
  scheduler = (
$decls
  );
};
CFG
  api_start
}

wait_for() { # DESCRIPTION EXPECTED COMMAND...: poll up to ~15 s
  local d=$1 want=$2 got= i; shift 2
  for i in $(seq 1 150); do got=$("$@" 2>&1); [ "$got" = "$want" ] && break; sleep 0.1; done
  expect_eq "$d" "$want" "$got"
}

# The two PriorityClasses preemption tests start from, written to FILE:
# low (100, the global default) and high (1000). Callers append more.
low_high_classes() {
  cat >"$1" <<Y
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: low}
value: 100
globalDefault: true
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000
Y
}
