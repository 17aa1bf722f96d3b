/* The core components a config file can enable, with their key tables.
 * To add a component or a key, edit this table (and docs/config.md); to
 * make `skiff run` start a component, set its start/stop functions. */
#include "config/config.h"
#include "sched/component.h"

#include "api/component.h"
#include "controller/component.h"
#include "sim/sim.h"

static const skiff_config_key_t apiserver_keys[] = {
    { "listen", SKIFF_CFG_STRING, "127.0.0.1:6443", 0, 0,
      "address:port the API server listens on" },
    { "data_dir", SKIFF_CFG_STRING, NULL, 0, 0,
      "directory for the API server's own state (certificates, tokens)" },
    { "service_cidr", SKIFF_CFG_STRING, "10.96.0.0/12", 0, 0,
      "IP range ClusterIP services are allocated from" },
    { "node_port_range", SKIFF_CFG_STRING, "30000-32767", 0, 0,
      "port range NodePort services are allocated from (LOW-HIGH)" },
    { "event_ttl", SKIFF_CFG_DURATION, "1h", 0, 0,
      "Events are deleted this long after their last update (0 = kept)" },
    { "token_auth_file", SKIFF_CFG_STRING, NULL, 0, 0,
      "bearer tokens, kube-apiserver's --token-auth-file CSV: token,user,uid,\"group1,group2\"" },
    { "anonymous_auth", SKIFF_CFG_BOOL, "true", 0, 0,
      "requests without a token are system:anonymous (group system:unauthenticated); false = 401" },
    { "tls_cert_file", SKIFF_CFG_STRING, NULL, 0, 0,
      "PEM serving certificate (HTTPS); unset with authentication on = self-signed, kept in data_dir" },
    { "tls_private_key_file", SKIFF_CFG_STRING, NULL, 0, 0, "PEM private key of tls_cert_file" },
    { "authorization_mode", SKIFF_CFG_STRLIST, NULL, 0, 0,
      "authorizers in order: AlwaysAllow, AlwaysDeny, RBAC (e.g. [ \"RBAC\" ]); empty = AlwaysAllow" },
    SKIFF_CONFIG_END,
};

static const skiff_config_key_t scheduler_keys[] = {
    { "percentage_of_nodes_to_score", SKIFF_CFG_INT, "0", 0, 0,
      "share of nodes filtered per pod once enough fit; 0 = adaptive (50 - nodes/125, min 5)" },
    { "parallelism", SKIFF_CFG_INT, "2", 0, 0, "worker threads for filter and score" },
    { "bind_workers", SKIFF_CFG_INT, "16", 0, 0, "most binding threads at once (woken as the binding queue grows)" },
    { "pod_initial_backoff", SKIFF_CFG_DURATION, "1s", 0, 0, "first retry delay of a pod" },
    { "pod_max_backoff", SKIFF_CFG_DURATION, "10s", 0, 0, "longest retry delay of a pod" },
    SKIFF_CONFIG_END,
};
static const char *const scheduler_groups[] = { "profiles", NULL };

static const skiff_config_key_t controllers_keys[] = {
    { "enable", SKIFF_CFG_STRLIST, NULL, 0, 0,
      "controllers to run (replicaset, deployment, garbagecollector, endpoints, nodelifecycle, daemonset, namespace, nodeipam); empty = all" },
    { "workers", SKIFF_CFG_INT, "2", 0, 0, "worker threads per controller (1..64)" },
    { "server", SKIFF_CFG_STRING, NULL, 0, 0,
      "API server URL (http://HOST:PORT) to run against another process; default: this process's apiserver" },
    { "kubeconfig", SKIFF_CFG_STRING, NULL, 0, 0,
      "kubeconfig (server, CA, token) for an API server in another process, e.g. one with authentication on; overrides server" },
    { "resync", SKIFF_CFG_DURATION, "10m", 0, 0, "every cached object is re-synced this often (0 = never)" },
    { "leader_elect", SKIFF_CFG_BOOL, "false", 0, 0,
      "run the controllers only while holding the Lease kube-system/kube-controller-manager" },
    { "lease_duration", SKIFF_CFG_DURATION, "15s", 0, 0, "leader election: how long a Lease holds without renewal" },
    { "renew_deadline", SKIFF_CFG_DURATION, "10s", 0, 0, "leader election: a leader that cannot renew for this long stops" },
    { "retry_period", SKIFF_CFG_DURATION, "2s", 0, 0, "leader election: how often to renew or try to acquire" },
    { "identity", SKIFF_CFG_STRING, NULL, 0, 0, "leader election identity; default HOSTNAME_PID" },
    { "node_monitor_grace_period", SKIFF_CFG_DURATION, "50s", 0, 0,
      "a node whose lease is not renewed for this long becomes Unknown and unreachable-tainted" },
    { "cluster_cidr", SKIFF_CFG_STRING, NULL, 0, 0,
      "node IPAM: the cluster's pod range (IPv4 CIDR); each node without spec.podCIDR gets a range of it; unset = no allocation" },
    { "node_cidr_mask_size", SKIFF_CFG_INT, "24", 0, 0, "node IPAM: the prefix length of each node's range" },
    { "stale_pod_disruption_timeout", SKIFF_CFG_DURATION, "2m", 0, 0,
      "disruption: a pod's DisruptionTarget=True condition this old without a delete is set False" },
    SKIFF_CONFIG_END,
};

static const skiff_config_key_t sim_keys[] = {
    { "nodes", SKIFF_CFG_INT, "0", 0, 0, "how many simulated nodes to register" },
    { "name_prefix", SKIFF_CFG_STRING, "sim-node-", 0, 0, "node names are PREFIX0, PREFIX1, ..." },
    { "cpu", SKIFF_CFG_QUANTITY, "32", 0, 0, "each node's cpu capacity (and allocatable)" },
    { "memory", SKIFF_CFG_QUANTITY, "256Gi", 0, 0, "each node's memory capacity" },
    { "pods", SKIFF_CFG_INT, "110", 0, 0, "each node's pod capacity" },
    { "ephemeral_storage", SKIFF_CFG_QUANTITY, "100Gi", 0, 0, "each node's ephemeral-storage capacity" },
    { "labels", SKIFF_CFG_STRLIST, NULL, 0, 0, "extra node labels, \"key=value\"" },
    { "taints", SKIFF_CFG_STRLIST, NULL, 0, 0, "node taints, \"key[=value]:Effect\"" },
    { "zones", SKIFF_CFG_INT, "0", 0, 0, "spread nodes over this many topology.kubernetes.io/zone values (zone-0...); 0 = no zone label" },
    { "heartbeat", SKIFF_CFG_DURATION, "10s", 0, 0, "how often each node renews its Lease in kube-node-lease" },
    { "status_interval", SKIFF_CFG_DURATION, "1m", 0, 0, "how often each node's conditions (lastHeartbeatTime) are updated" },
    { "pod_start_delay", SKIFF_CFG_DURATION, "1s", 0, 0, "how long a pod bound to a simulated node stays Pending before Running" },
    { "pod_cidr", SKIFF_CFG_STRING, "10.244.0.0/16", 0, 0, "cluster pod range; node N gets its N-th /24 as spec.podCIDR" },
    { "node_cidr", SKIFF_CFG_STRING, "172.18.0.0/16", 0, 0, "node InternalIPs (node N gets base+N+2)" },
    { "wait_pod_cidr", SKIFF_CFG_BOOL, "false", 0, 0,
      "register nodes without spec.podCIDR and start pods only once the node IPAM controller (controllers.cluster_cidr) gave one, as kubelets do; pod_cidr is then unused" },
    { "server", SKIFF_CFG_STRING, NULL, 0, 0, "API server URL for a sim in another process; unset = the in-process API server" },
    { "kubeconfig", SKIFF_CFG_STRING, NULL, 0, 0,
      "kubeconfig (server, CA, token) for an API server in another process; overrides server" },
    { "workers", SKIFF_CFG_INT, "2", 0, 0, "threads doing pod status updates and deletions" },
    SKIFF_CONFIG_END,
};

static const skiff_config_key_t no_keys[] = { SKIFF_CONFIG_END };

static const skiff_component_t components[] = {
    { "apiserver", apiserver_keys, skiff_api_component_start, skiff_api_component_stop },
    { "scheduler", scheduler_keys, skiff_sched_component_start, skiff_sched_component_stop,
      scheduler_groups },
    { "controllers", controllers_keys, skiff_ctrl_component_start, skiff_ctrl_component_stop },
    { "agent", no_keys, NULL, NULL },
    { "proxy", no_keys, NULL, NULL },
    { "sim", sim_keys, skiff_sim_component_start, skiff_sim_component_stop },
};

const skiff_component_t *skiff_components(size_t *n)
{
    *n = sizeof components / sizeof components[0];
    return components;
}
