/* tests/abi: init fails with its own message; fini must still run (it
 * logs through the host, which the test sees on stderr). */
#include <skiff/plugin.h>

typedef struct initfail {
    const skiff_host_t *host;
    skiff_ctx_t *ctx;
} initfail_t;

static int initfail_init(const skiff_host_t *host, skiff_ctx_t *ctx, void *self,
                         skiff_error_t *err)
{
    initfail_t *s = self;
    s->host = host;
    s->ctx = ctx;
    return skiff_error_set(err, SKIFF_E_INVALID, "the frobnicator at %s is not reachable",
                           "10.0.0.1:9");
}

static void initfail_fini(void *self)
{
    initfail_t *s = self;
    if (s->host) s->host->log(s->ctx, SKIFF_LOG_WARN, "fini after a failed init");
}

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_NETWORK,
    .name = "initfail",
    .version = "0.0.1",
    .instance_size = sizeof(initfail_t),
    .init = initfail_init,
    .fini = initfail_fini,
};
