/* Instances through the real host table: lifecycle order, settings via
 * fill and getters, fini after a failed init, bus without a bus, ABI checks
 * on a descriptor linked into the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "plugin/plugin.h"

typedef struct fake {
    const char *greeting; /* filled */
    int64_t limit;        /* filled, quantity */
    int fail_init;        /* filled */
    const skiff_host_t *host;
    skiff_ctx_t *ctx;
} fake_t;

static char trail[256]; /* lifecycle calls, in order */

static int fake_init(const skiff_host_t *host, skiff_ctx_t *ctx, void *self, skiff_error_t *err)
{
    fake_t *f = self;
    f->host = host;
    f->ctx = ctx;
    strcat(trail, "init ");
    if (f->fail_init) return skiff_error_set(err, SKIFF_E_INVALID, "told to fail");
    return 0;
}
static int fake_start(void *self, skiff_error_t *err)
{
    (void)self; (void)err;
    strcat(trail, "start ");
    return 0;
}
static void fake_stop(void *self) { (void)self; strcat(trail, "stop "); }
static void fake_fini(void *self) { (void)self; strcat(trail, "fini "); }

static const skiff_config_key_t fake_keys[] = {
    { "greeting", SKIFF_CFG_STRING, "hello", SKIFF_CFG_FILL, offsetof(fake_t, greeting), "" },
    { "limit", SKIFF_CFG_QUANTITY, "1Ki", SKIFF_CFG_FILL, offsetof(fake_t, limit), "" },
    { "fail_init", SKIFF_CFG_BOOL, "false", SKIFF_CFG_FILL, offsetof(fake_t, fail_init), "" },
    { "ratio", SKIFF_CFG_DOUBLE, "1.5", 0, 0, "" },
    SKIFF_CONFIG_END,
};

static const skiff_plugin_t fake_desc = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_RUNTIME,
    .name = "fake",
    .version = "9.9.9",
    .config = fake_keys,
    .instance_size = sizeof(fake_t),
    .init = fake_init,
    .start = fake_start,
    .stop = fake_stop,
    .fini = fake_fini,
};

static void test_lifecycle_and_settings(void **state)
{
    (void)state;
    trail[0] = '\0';
    skiff_instance_t *inst;
    skiff_error_t err;
    assert_int_equal(skiff_instance_new(&fake_desc, "one", (const char *[]){ "limit=2", NULL },
                                        NULL, &inst, &err), 0);
    assert_string_equal(skiff_instance_name(inst), "one");
    assert_string_equal(skiff_instance_desc(inst)->version, "9.9.9");
    fake_t *f = skiff_instance_self(inst);
    assert_string_equal(f->greeting, "hello");
    assert_int_equal(f->limit, 2000);
    assert_ptr_equal(f->host, skiff_host_table());

    const skiff_host_t *h = f->host;
    const char *s;
    int64_t i;
    double d;
    int b;
    assert_int_equal(h->config_string(f->ctx, "greeting", &s), 0);
    assert_string_equal(s, "hello");
    assert_int_equal(h->config_int(f->ctx, "limit", &i), 0);
    assert_int_equal(i, 2000);
    assert_int_equal(h->config_double(f->ctx, "ratio", &d), 0);
    assert_true(d == 1.5);
    assert_int_equal(h->config_bool(f->ctx, "fail_init", &b), 0);
    assert_int_equal(b, 0);
    assert_int_equal(h->config_bool(f->ctx, "greeting", &b), SKIFF_E_INVALID);
    assert_int_equal(h->config_int(f->ctx, "absent", &i), SKIFF_E_NOTFOUND);

    assert_int_equal(skiff_instance_start(inst, &err), 0);
    skiff_instance_free(inst);
    assert_string_equal(trail, "init start stop fini ");
}

static void test_fini_after_failed_init(void **state)
{
    (void)state;
    trail[0] = '\0';
    skiff_instance_t *inst = (void *)1;
    skiff_error_t err;
    assert_int_equal(skiff_instance_new(&fake_desc, NULL, (const char *[]){ "fail_init=true", NULL },
                                        NULL, &inst, &err), SKIFF_E_INVALID);
    assert_null(inst);
    assert_string_equal(trail, "init fini ");
    assert_non_null(strstr(err.msg, ": init of runtime/fake instance \"fake\" failed: told to fail"));
}

static void test_bad_settings_no_init(void **state)
{
    (void)state;
    trail[0] = '\0';
    skiff_instance_t *inst;
    skiff_error_t err;
    assert_int_equal(skiff_instance_new(&fake_desc, "x", (const char *[]){ "greting=hi", NULL },
                                        NULL, &inst, &err), SKIFF_E_INVALID);
    assert_string_equal(err.msg, "unknown key \"greting\" in runtime/fake; did you mean \"greeting\"?");
    assert_int_equal(skiff_instance_new(&fake_desc, "x", (const char *[]){ "novalue", NULL },
                                        NULL, &inst, &err), SKIFF_E_INVALID);
    assert_string_equal(err.msg, "setting \"novalue\" is not of the form key=value");
    assert_string_equal(trail, "");
}

static void test_host_table(void **state)
{
    (void)state;
    const skiff_host_t *h = skiff_host_table();
    assert_int_equal(h->size, sizeof(skiff_host_t));
    assert_int_equal(h->abi_major, SKIFF_ABI_MAJOR);
    assert_true(SKIFF_HOST_HAS(h, free));
    assert_true(SKIFF_HOST_HAS(h, bus_subscribe));
    /* a host that stops before a slot does not "have" it */
    skiff_host_t older = *h;
    older.size = offsetof(skiff_host_t, alloc);
    assert_false(SKIFF_HOST_HAS(&older, alloc));
    assert_true(h->clock_monotonic_ns() > 0);
    assert_true(h->clock_realtime_ns() > 1600000000LL * 1000000000LL);
    char *p = h->alloc(16);
    p = h->realloc(p, 32);
    h->free(p);
    h->free(h->calloc(2, 8));

    skiff_instance_t *inst;
    skiff_error_t err;
    assert_int_equal(skiff_instance_new(&fake_desc, NULL, NULL, NULL, &inst, &err), 0);
    fake_t *f = skiff_instance_self(inst);
    skiff_bus_topic_t *t;
    assert_int_equal(h->bus_topic_open(f->ctx, "x", 1, &t, &err), SKIFF_E_UNSUPPORTED);
    assert_int_equal(h->log_enabled(f->ctx, SKIFF_LOG_ERROR), 1);
    skiff_instance_free(inst);
}

static int delivered, freed;
static void on_event(void *ud, const skiff_bus_event_t *ev)
{
    (void)ud;
    if (ev->len == sizeof(int)) delivered += *(const int *)ev->payload;
}
static void free_ud(void *ud) { (void)ud; freed++; }

/* The bus slots go to the real bus with the instance as owner, so freeing
 * the instance drops its subscriptions (free_ud runs once). */
static void test_bus_slots_owned_by_instance(void **state)
{
    (void)state;
    skiff_bus_t *bus;
    skiff_error_t err;
    assert_int_equal(skiff_bus_new(&bus, &err), 0);
    skiff_instance_t *inst;
    assert_int_equal(skiff_instance_new(&fake_desc, NULL, NULL, bus, &inst, &err), 0);
    fake_t *f = skiff_instance_self(inst);
    const skiff_host_t *h = f->host;
    skiff_bus_topic_t *t;
    assert_int_equal(h->bus_topic_open(f->ctx, "test.count", 1, &t, &err), 0);
    skiff_bus_sub_t *sub;
    delivered = freed = 0;
    assert_int_equal(h->bus_subscribe(f->ctx, "test.count", 1, NULL, on_event, NULL, free_ud,
                                      &sub, &err), 0);
    assert_int_equal(h->bus_subscribe(f->ctx, "test.count", 2, NULL, on_event, NULL, NULL,
                                      &sub, &err), SKIFF_E_VERSION);
    int one = 1;
    assert_int_equal(h->bus_publish(t, &one, sizeof one, &err), 0);
    assert_int_equal(delivered, 1);
    skiff_instance_free(inst);
    assert_int_equal(freed, 1);
    assert_int_equal(h->bus_publish(t, &one, sizeof one, &err), 0);
    assert_int_equal(delivered, 1); /* no longer subscribed */
    skiff_bus_free(bus);
}

static void test_refuses_bad_descriptors(void **state)
{
    (void)state;
    skiff_instance_t *inst;
    skiff_error_t err;
    skiff_plugin_t d = fake_desc;
    d.magic = 1;
    assert_int_equal(skiff_instance_new(&d, NULL, NULL, NULL, &inst, &err), SKIFF_E_VERSION);
    assert_non_null(strstr(err.msg, "bad magic 0x00000001"));
    d = fake_desc;
    d.abi_minor = SKIFF_ABI_MINOR + 1;
    assert_int_equal(skiff_instance_new(&d, NULL, NULL, NULL, &inst, &err), SKIFF_E_VERSION);
    d = fake_desc;
    d.name = "Bad Name";
    assert_int_equal(skiff_instance_new(&d, NULL, NULL, NULL, &inst, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "invalid plugin name \"Bad Name\""));
    d = fake_desc;
    d.instance_size = offsetof(fake_t, limit); /* "limit" would be filled past the end */
    assert_int_equal(skiff_instance_new(&d, NULL, NULL, NULL, &inst, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "config key table: key \"limit\" is filled at offset 8, "
                                    "outside the 8-byte instance"));
    d = fake_desc;
    d.kind = 42;
    assert_int_equal(skiff_instance_new(&d, NULL, NULL, NULL, &inst, &err), SKIFF_E_INVALID);
    assert_non_null(strstr(err.msg, "unknown plugin kind 42"));
}

static void test_kinds(void **state)
{
    (void)state;
    skiff_kind_t k;
    assert_int_equal(skiff_kind_parse("store", &k), 0);
    assert_int_equal(k, SKIFF_KIND_STORE);
    assert_int_equal(skiff_kind_parse("stores", &k), SKIFF_E_NOTFOUND);
    assert_string_equal(skiff_kind_name(SKIFF_KIND_ADMISSION), "admission");
    assert_null(skiff_kind_name(0));
    assert_null(skiff_kind_name(6));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lifecycle_and_settings),
        cmocka_unit_test(test_fini_after_failed_init),
        cmocka_unit_test(test_bad_settings_no_init),
        cmocka_unit_test(test_host_table),
        cmocka_unit_test(test_bus_slots_owned_by_instance),
        cmocka_unit_test(test_refuses_bad_descriptors),
        cmocka_unit_test(test_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
