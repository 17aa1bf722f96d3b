/* tests/abi: built for a newer minor of this major than the host has. */
#include <skiff/plugin.h>

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    .magic = SKIFF_PLUGIN_MAGIC,
    .abi_major = SKIFF_ABI_MAJOR,
    .size = sizeof(skiff_plugin_t),
    .build_sig = SKIFF_SDK_SIGNATURE,
    .abi_minor = SKIFF_ABI_MINOR + 7,
    .kind = SKIFF_KIND_SCHEDULER,
    .name = "minor",
    .version = "0.0.1",
};
