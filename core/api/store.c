/* core/api/store — small helpers over the store ops table. */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"

static int copy_kv(void *ud, const skiff_store_kv_t *kv)
{
    apisrv_kv_t *out = ud;
    out->value = malloc(kv->value_len + 1);
    if (!out->value) return 1;
    memcpy(out->value, kv->value, kv->value_len);
    out->value[kv->value_len] = '\0';
    out->len = kv->value_len;
    out->mod_rev = kv->mod_rev;
    return 0;
}

int apisrv_store_get(skiff_api_server_t *s, const char *key, apisrv_kv_t *out,
                     skiff_error_t *err)
{
    memset(out, 0, sizeof *out);
    out->mod_rev = -1;
    int rc = s->ops->get(s->store, key, strlen(key), 0, copy_kv, out, err);
    if (rc < 0) { free(out->value); out->value = NULL; return rc; }
    if (out->mod_rev < 0) return skiff_error_set(err, SKIFF_E_NOTFOUND, "%s not found", key);
    if (!out->value) return skiff_error_set(err, -ENOMEM, "out of memory reading %s", key);
    return 0;
}
