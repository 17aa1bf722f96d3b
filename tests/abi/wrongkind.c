/* tests/abi: a valid scheduler plugin that a config asks for as a store. */
#include <skiff/plugin.h>
#include <skiff/scheduler.h>

static const skiff_scheduler_ops_t wrongkind_ops = { .size = sizeof(skiff_scheduler_ops_t) };

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_SCHEDULER,
    .name = "wrongkind",
    .version = "0.0.1",
    .description = "a scheduler plugin (tests/abi: kind not the one the config asked for)",
    .ops = &wrongkind_ops,
};
