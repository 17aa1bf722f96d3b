/* tests/store — how the conformance suite instantiates a store plugin. */
#ifndef SKIFF_TESTS_STORE_LOADER_H
#define SKIFF_TESTS_STORE_LOADER_H

#include <skiff/store.h>

typedef struct store_handle store_handle_t;

/* Load the plugin file (once per path), create an instance from "key=value"
 * settings (NULL-terminated) and start it. */
int store_open(const char *so_path, const char *const *settings, store_handle_t **out,
               skiff_error_t *err);
/* stop, fini, free. NULL is fine. */
void store_close(store_handle_t *h);
const skiff_store_ops_t *store_ops(const store_handle_t *h);
void *store_self(const store_handle_t *h);
/* Unload the plugin file (every handle closed first). */
void store_unload(void);

#endif
