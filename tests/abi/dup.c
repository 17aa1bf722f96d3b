/* tests/abi: built twice (dup-a.so, dup-b.so): two plugins with one name and kind. */
#include <skiff/plugin.h>

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_ADMISSION,
    .name = "dup",
    .version = "0.0.1",
};
