/* tests/abi: built for another ABI major. */
#include <skiff/plugin.h>

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    .magic = SKIFF_PLUGIN_MAGIC,
    .size = sizeof(skiff_plugin_t),
    .build_sig = SKIFF_SDK_SIGNATURE,
    .abi_major = 99,
    .abi_minor = 0,
    .kind = SKIFF_KIND_SCHEDULER,
    .name = "major",
    .version = "0.0.1",
};
