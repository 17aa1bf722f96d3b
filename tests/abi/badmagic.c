/* tests/abi: a descriptor with the wrong magic. */
#include <skiff/plugin.h>

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    .abi_major = SKIFF_ABI_MAJOR,
    .abi_minor = SKIFF_ABI_MINOR,
    .size = sizeof(skiff_plugin_t),
    .build_sig = SKIFF_SDK_SIGNATURE,
    .magic = 0x12345678u, /* overrides the header's magic */
    .kind = SKIFF_KIND_SCHEDULER,
    .name = "badmagic",
    .version = "0.0.1",
};
