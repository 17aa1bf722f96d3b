/* The core components a config file can enable, with their key tables.
 * To add a component or a key, edit this table (and docs/config.md); to
 * make `skiff run` start a component, set its start/stop functions. */
#include "config/config.h"

#include "api/component.h"

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
    SKIFF_CONFIG_END,
};

static const skiff_config_key_t no_keys[] = { SKIFF_CONFIG_END };

static const skiff_component_t components[] = {
    { "apiserver", apiserver_keys, skiff_api_component_start, skiff_api_component_stop },
    { "scheduler", no_keys, NULL, NULL },
    { "controllers", no_keys, NULL, NULL },
    { "agent", no_keys, NULL, NULL },
    { "proxy", no_keys, NULL, NULL },
    { "sim", no_keys, NULL, NULL },
};

const skiff_component_t *skiff_components(size_t *n)
{
    *n = sizeof components / sizeof components[0];
    return components;
}
