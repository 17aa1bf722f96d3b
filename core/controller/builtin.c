/* core/controller/builtin — the controllers compiled into the core. A
 * controller is only its skiff_controller_t descriptor, so moving one into
 * a plugin means exporting that descriptor instead of listing it here. */
#include "controller/controller.h"

extern const skiff_controller_t skiff_controller_replicaset;
extern const skiff_controller_t skiff_controller_deployment;
extern const skiff_controller_t skiff_controller_gc;
extern const skiff_controller_t skiff_controller_endpoints;
extern const skiff_controller_t skiff_controller_nodelifecycle;
extern const skiff_controller_t skiff_controller_daemonset;
extern const skiff_controller_t skiff_controller_namespace;
extern const skiff_controller_t skiff_controller_nodeipam;
extern const skiff_controller_t skiff_controller_disruption;
extern const skiff_controller_t skiff_controller_serviceaccount;

static const skiff_controller_t *const builtin[] = {
    &skiff_controller_replicaset,
    &skiff_controller_deployment,
    &skiff_controller_gc,
    &skiff_controller_endpoints,
    &skiff_controller_nodelifecycle,
    &skiff_controller_daemonset,
    &skiff_controller_namespace,
    &skiff_controller_nodeipam,
    &skiff_controller_disruption,
    &skiff_controller_serviceaccount,
};

const skiff_controller_t *const *skiff_controllers_builtin(size_t *n)
{
    *n = sizeof builtin / sizeof builtin[0];
    return builtin;
}
