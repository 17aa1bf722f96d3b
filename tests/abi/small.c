/* tests/abi: a descriptor that claims to be smaller than ABI 1.0's. */
#include <skiff/plugin.h>

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    .magic = SKIFF_PLUGIN_MAGIC,
    .abi_major = SKIFF_ABI_MAJOR,
    .abi_minor = SKIFF_ABI_MINOR,
    .build_sig = SKIFF_SDK_SIGNATURE,
    .size = 24,
    .kind = SKIFF_KIND_SCHEDULER,
    .name = "small",
};
