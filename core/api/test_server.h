/* core/api/test_server — the fixture the cmocka tests share: a memory store
 * plugin instance, an API server over it and an in-process client. Tests
 * only; static inline so each test binary takes it without a build rule.
 * The plugin comes from $SKIFF_PLUGINS (build/plugins by default). */
#ifndef SKIFF_CORE_API_TEST_SERVER_H
#define SKIFF_CORE_API_TEST_SERVER_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "api/api.h"
#include "api/client.h"
#include "plugin/plugin.h"

typedef struct test_server {
    skiff_registry_t *reg;
    skiff_instance_t *store;
    skiff_api_server_t *srv;
    skiff_api_client_t *cl;
} test_server_t;

/* Start the store and a server with `cfg`; fails the test on any error.
 * The caller owns the result (test_server_down). */
static inline test_server_t *test_server_up(const skiff_api_config_t *cfg)
{
    test_server_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    skiff_error_t err;
    char path[1024];
    const char *dir = getenv("SKIFF_PLUGINS");
    snprintf(path, sizeof path, "%s/store/memory.so", dir && *dir ? dir : "build/plugins");
    assert_int_equal(skiff_registry_new(&f->reg, &err), 0);
    if (skiff_registry_load_file(f->reg, path, &err) < 0) fail_msg("%s", err.msg);
    const skiff_plugin_t *d = skiff_registry_find(f->reg, SKIFF_KIND_STORE, "memory");
    assert_non_null(d);
    assert_int_equal(skiff_instance_new(d, "mem", NULL, NULL, &f->store, &err), 0);
    assert_int_equal(skiff_instance_start(f->store, &err), 0);
    if (skiff_api_server_new(cfg, skiff_instance_ops(f->store), skiff_instance_self(f->store), &f->srv, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(skiff_api_client_local(f->srv, &f->cl, &err), 0);
    return f;
}

/* Create namespace `name` through the client. */
static inline void test_server_namespace(test_server_t *f, const char *name)
{
    skiff_error_t err;
    char body[300];
    snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"%s\"}}", name);
    if (skiff_api_client_create(f->cl, "/api/v1/namespaces", body, NULL, &err) < 0) fail_msg("%s", err.msg);
}

static inline void test_server_down(test_server_t *f)
{
    if (!f) return;
    skiff_api_client_free(f->cl);
    skiff_api_server_free(f->srv);
    skiff_instance_free(f->store);
    skiff_registry_free(f->reg);
    free(f);
}

#endif
