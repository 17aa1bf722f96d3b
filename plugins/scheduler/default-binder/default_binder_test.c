/* scheduler/default-binder through the real host: it binds through the
 * handle's default binding and reports its refusal as an error. */
#include "../common/sched_test_util.h"

static char bound_to[64];
static int refuse;

static int fake_bind(const skiff_sched_handle_t *h, const skiff_sched_pod_t *pod, const char *node,
                     skiff_error_t *err)
{
    (void)h;
    if (refuse) return skiff_error_set(err, SKIFF_E_CONFLICT, "pods \"%s\" not found", pod->name);
    snprintf(bound_to, sizeof bound_to, "%s/%s=%s", pod->namespace_, pod->name, node);
    return 0;
}

static void test_bind(void **state)
{
    (void)state;
    skiff_instance_t *inst = tu_instance(NULL);
    const skiff_scheduler_ops_t *ops = tu_ops(inst);
    skiff_sched_handle_t h = { sizeof h, NULL, fake_bind, NULL, NULL };
    skiff_sched_state_t *st = skiff_sched_state_new(NULL, 0);
    st->handle = &h;
    skiff_sched_pod_t *p = tu_pod("{\"metadata\":{\"name\":\"web\",\"namespace\":\"prod\"}}");
    skiff_sched_status_t s = { SKIFF_SCHED_SUCCESS, "" };
    ops->bind(skiff_instance_self(inst), st, p, "n7", &s);
    assert_int_equal(s.code, SKIFF_SCHED_SUCCESS);
    assert_string_equal(bound_to, "prod/web=n7");
    refuse = 1;
    ops->bind(skiff_instance_self(inst), st, p, "n7", &s);
    assert_int_equal(s.code, SKIFF_SCHED_ERROR);
    assert_string_equal(s.reason, "binding rejected: pods \"web\" not found");
    /* a host without the slot: an error, not a crash */
    skiff_sched_handle_t old = { offsetof(skiff_sched_handle_t, bind), NULL, NULL, NULL, NULL };
    st->handle = &old;
    s.code = SKIFF_SCHED_SUCCESS;
    ops->bind(skiff_instance_self(inst), st, p, "n7", &s);
    assert_int_equal(s.code, SKIFF_SCHED_ERROR);
    skiff_sched_state_free(st);
    skiff_instance_free(inst);
    tu_free_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_bind) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
