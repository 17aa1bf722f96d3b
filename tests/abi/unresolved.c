/* tests/abi: references a function nothing defines (linked without
 * --no-undefined so the link succeeds and dlopen(RTLD_NOW) must refuse). */
#include <skiff/plugin.h>

int skiff_core_secret_function(int x);

static int unresolved_init(const skiff_host_t *host, skiff_ctx_t *ctx, void *self,
                           skiff_error_t *err)
{
    (void)host; (void)ctx; (void)self; (void)err;
    return skiff_core_secret_function(1);
}

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_SCHEDULER,
    .name = "unresolved",
    .version = "0.0.1",
    .init = unresolved_init,
};
