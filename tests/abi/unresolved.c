/* tests/abi: calls a function of the core itself. The skiff binary exports
 * nothing (no -rdynamic), so even a real core function is out of a plugin's
 * reach: linked without --no-undefined so the link succeeds, dlopen(RTLD_NOW)
 * must refuse it. */
#include <skiff/plugin.h>

int skiff_log_enabled(int level); /* core/log/log.h: exists in the host, not for plugins */

static int unresolved_init(const skiff_host_t *host, skiff_ctx_t *ctx, void *self,
                           skiff_error_t *err)
{
    (void)host; (void)ctx; (void)self; (void)err;
    return skiff_log_enabled(SKIFF_LOG_INFO) ? 0 : -1;
}

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_SCHEDULER,
    .name = "unresolved",
    .version = "0.0.1",
    .init = unresolved_init,
};
