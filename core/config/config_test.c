/* Cluster config loading without plugins: components, their key tables,
 * defaults, problem reporting and cluster assembly of an empty config. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"

static char dir[64];

static const char *write_cfg(const char *name, const char *text)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

typedef struct lines {
    int n;
    char text[8][1024];
} lines_t;

static void collect(void *ud, const char *line)
{
    lines_t *l = ud;
    if (l->n < 8) snprintf(l->text[l->n], sizeof l->text[0], "%s", line);
    l->n++;
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/skiff-config-test.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static void test_components_and_defaults(void **state)
{
    (void)state;
    char text[512];
    snprintf(text, sizeof text,
             "plugin_path = \"%s\";\n"
             "components = { apiserver = true; sim = false; };\n"
             "apiserver = { data_dir = \"/var/lib/skiff\"; };\n",
             dir);
    const char *path = write_cfg("a.cfg", text);
    skiff_cluster_config_t *cfg;
    skiff_error_t err;
    lines_t l = { 0 };
    assert_int_equal(skiff_config_load(path, collect, &l, &cfg, &err), 0);
    assert_int_equal(l.n, 0);
    assert_true(skiff_config_enabled(cfg, "apiserver"));
    assert_false(skiff_config_enabled(cfg, "sim"));
    assert_false(skiff_config_enabled(cfg, "scheduler"));
    assert_false(skiff_config_enabled(cfg, "nonsense"));
    const skiff_component_conf_t *api = skiff_config_component(cfg, "apiserver");
    assert_non_null(api);
    assert_non_null(api->setting);
    const char *s;
    assert_int_equal(skiff_settings_string(api->settings, "listen", &s), 0);
    assert_string_equal(s, "127.0.0.1:6443");
    assert_int_equal(skiff_settings_string(api->settings, "service_cidr", &s), 0);
    assert_string_equal(s, "10.96.0.0/12");
    assert_int_equal(skiff_settings_string(api->settings, "data_dir", &s), 0);
    assert_string_equal(s, "/var/lib/skiff");
    assert_int_equal(cfg->n_plugins, 0);
    assert_int_equal(cfg->n_plugin_path, 1);
    assert_string_equal(cfg->plugin_path[0], dir);

    /* The API server refuses to start without a store instance. */
    skiff_cluster_t *cl;
    assert_int_equal(skiff_cluster_assemble(cfg, NULL, &cl, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "the API server needs a store"));
    skiff_config_free(cfg);

    /* With no component enabled, an empty cluster assembles and tears down. */
    snprintf(text, sizeof text, "plugin_path = \"%s\";\ncomponents = { apiserver = false; };\n", dir);
    path = write_cfg("b.cfg", text);
    assert_int_equal(skiff_config_load(path, collect, &l, &cfg, &err), 0);
    assert_int_equal(skiff_cluster_assemble(cfg, NULL, &cl, &err), 0);
    assert_int_equal(skiff_cluster_count(cl), 0);
    assert_null(skiff_cluster_find(cl, SKIFF_KIND_STORE, "main"));
    assert_int_equal(skiff_cluster_of_kind(cl, SKIFF_KIND_ADMISSION, NULL, 0), 0);
    skiff_cluster_free(cl);
    skiff_config_free(cfg);
}

static void test_problems_reported_in_line_order(void **state)
{
    (void)state;
    char text[512];
    snprintf(text, sizeof text,
             "plugin_path = ( \"%s\", 5 );\n"
             "apiserver = {\n"
             "  listen = 6443;\n"
             "  lisen = \"x\";\n"
             "};\n"
             "plugins = { store = ( { plugin = \"memory\"; plugn = 1; } ); };\n",
             dir);
    const char *path = write_cfg("b.cfg", text);
    skiff_cluster_config_t *cfg = (void *)1;
    skiff_error_t err;
    lines_t l = { 0 };
    assert_int_equal(skiff_config_load(path, collect, &l, &cfg, &err), SKIFF_E_INVALID);
    assert_null(cfg);
    assert_int_equal(l.n, 5);
    char want[512];
    snprintf(want, sizeof want, "%s:1: plugin_path must be a string or a list of strings", path);
    assert_string_equal(l.text[0], want);
    snprintf(want, sizeof want, "%s:3: key \"listen\" in apiserver: expected string, got int", path);
    assert_string_equal(l.text[1], want);
    snprintf(want, sizeof want, "%s:4: unknown key \"lisen\" in apiserver; did you mean \"listen\"?", path);
    assert_string_equal(l.text[2], want);
    snprintf(want, sizeof want, "%s:6: unknown key \"plugn\" in a plugins.store entry; did you mean \"plugin\"?", path);
    assert_string_equal(l.text[3], want);
    assert_non_null(strstr(l.text[4], ":6: no store plugin \"memory\" in the plugin path"));
    assert_non_null(strstr(err.msg, "5 problems, the first: "));
}

static void test_missing_default_path_is_empty(void **state)
{
    (void)state;
    /* No plugin_path: the default directory (next to this binary) need not exist. */
    const char *path = write_cfg("c.cfg", "components = { };\n");
    skiff_cluster_config_t *cfg;
    skiff_error_t err;
    lines_t l = { 0 };
    assert_int_equal(skiff_config_load(path, collect, &l, &cfg, &err), 0);
    assert_int_equal(cfg->n_plugin_path, 1);
    skiff_config_free(cfg);
}

static void test_component_table(void **state)
{
    (void)state;
    size_t n;
    const skiff_component_t *c = skiff_components(&n);
    assert_true(n >= 6);
    assert_string_equal(c[0].name, "apiserver");
    skiff_error_t err;
    for (size_t i = 0; i < n; i++) assert_int_equal(skiff_settings_check_table(c[i].keys, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_components_and_defaults),
        cmocka_unit_test(test_problems_reported_in_line_order),
        cmocka_unit_test(test_missing_default_path_is_empty),
        cmocka_unit_test(test_component_table),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
