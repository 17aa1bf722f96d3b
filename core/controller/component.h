/* core/controller/component — the `controllers` config component: runs the
 * enabled controllers against this process's API server (in-process client)
 * or, with `server = "http://..."`, against a remote one over HTTP. */
#ifndef SKIFF_CORE_CONTROLLER_COMPONENT_H
#define SKIFF_CORE_CONTROLLER_COMPONENT_H

#include "config/config.h"

int skiff_ctrl_component_start(skiff_cluster_t *cl, const skiff_component_conf_t *conf,
                               void **state, skiff_error_t *err);
void skiff_ctrl_component_stop(void *state);

#endif
