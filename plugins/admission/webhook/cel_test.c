/* Tests for the matchConditions CEL subset: what compiles (and the error,
 * with its position, for what does not) and what expressions evaluate to. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cel.h"

static const char *OBJ =
    "{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"prod\",\"labels\":{\"app\":\"web\",\"tier\":\"front\"},"
    "\"annotations\":{\"a.b/c\":\"x\"}},"
    "\"spec\":{\"replicas\":3,\"ratio\":0.5,\"paused\":false,\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.27\"},"
    "{\"name\":\"sidecar\",\"image\":\"envoy\"}],\"nothing\":null}}";
static const char *REQ =
    "{\"operation\":\"CREATE\",\"namespace\":\"prod\",\"userInfo\":{\"username\":\"system:admin\",\"groups\":[\"system:masters\"]},"
    "\"resource\":{\"group\":\"apps\",\"version\":\"v1\",\"resource\":\"deployments\"},\"dryRun\":false}";

static int run(const char *expr, char *why, size_t len)
{
    webhook_cel_t *e = NULL;
    if (webhook_cel_compile(expr, &e, why, len) < 0) return -2;
    cJSON *obj = cJSON_Parse(OBJ), *req = cJSON_Parse(REQ);
    int r = webhook_cel_eval_bool(e, obj, NULL, req, why, len);
    cJSON_Delete(obj);
    cJSON_Delete(req);
    webhook_cel_free(e);
    return r;
}

static void is(const char *expr, int want)
{
    char why[512] = "";
    int got = run(expr, why, sizeof why);
    if (got != want) fail_msg("%s: got %d want %d (%s)", expr, got, want, why);
}

static void test_evaluates(void **state)
{
    (void)state;
    is("true", 1);
    is("object.metadata.name == 'web-1'", 1);
    is("object.metadata.name != \"web-1\"", 0);
    is("object.metadata.labels.app == 'web' && object.metadata.labels['tier'] == 'front'", 1);
    is("object.metadata.annotations['a.b/c'] == 'x'", 1);
    is("has(object.metadata.labels.app)", 1);
    is("has(object.metadata.labels.missing)", 0);
    is("!has(object.spec.missing) || object.spec.missing == 1", 1);
    is("object.spec.replicas > 2 && object.spec.replicas <= 3 && object.spec.replicas >= 3 && object.spec.replicas < 4", 1);
    is("object.spec.replicas == 3.0 && object.spec.ratio < 1 && -object.spec.replicas == -3", 1);
    is("object.spec.paused == false && !object.spec.paused", 1);
    is("object.spec.nothing == null && oldObject == null", 1);
    is("size(object.spec.containers) == 2 && object.spec.containers.size() == 2 && size('héllo') == 5", 1);
    is("size(object.metadata.labels) == 2", 1);
    is("object.spec.containers[1].name == 'sidecar'", 1);
    is("object.spec.containers[0].image.startsWith('nginx:') && object.spec.containers[0].image.endsWith('.27')", 1);
    is("object.spec.containers[0].image.contains('x:1') && !object.spec.containers[1].image.contains('x:1')", 1);
    is("request.operation in ['CREATE', 'UPDATE'] && 'system:masters' in request.userInfo.groups", 1);
    is("'app' in object.metadata.labels && !('zzz' in object.metadata.labels)", 1);
    is("request.resource.group == 'apps' && request.dryRun == false", 1);
    is("request.userInfo.username.startsWith(\"system:\") || false", 1);
    is("1 == 'a'", 0);                                       /* heterogeneous equality is false */
    is("[1, 2] == [1, 2] && [1] != [2] && 0x10 == 16 && 3u == 3 && 1e2 == 100", 1);
    is("r'a\\b' == 'a\\\\b' && 'it\\'s' == \"it's\" && '\\x41' == 'A'", 1);
    is("'abc' < 'abd' && true > false", 1);
    /* errors: a missing key, a bad overload, a non-bool result; absorbed when the other side decides */
    char why[512];
    assert_int_equal(run("object.spec.missing == 1", why, sizeof why), -1);
    assert_string_equal(why, "no such key: missing");
    assert_int_equal(run("object.spec.replicas < 'a'", why, sizeof why), -1);
    assert_string_equal(why, "no such overload: int < string");
    assert_int_equal(run("object.metadata.name", why, sizeof why), -1);
    assert_string_equal(why, "expression evaluated to string, want bool");
    assert_int_equal(run("object.spec.containers[5].name == 'x'", why, sizeof why), -1);
    assert_string_equal(why, "index out of bounds: 5");
    /* a whole double too large for an index (found by the fuzzer: its conversion was UB) */
    assert_int_equal(run("object.spec.containers[1e300].name == 'x'", why, sizeof why), -1);
    assert_string_equal(why, "index out of bounds: 1e+300");
    is("object.spec.missing == 1 || true", 1);
    is("object.spec.missing == 1 && false", 0);
    is("false && object.spec.missing == 1", 0);
}

static void rejects(const char *expr, const char *want)
{
    char why[512] = "";
    webhook_cel_t *e = NULL;
    if (webhook_cel_compile(expr, &e, why, sizeof why) == 0) {
        webhook_cel_free(e);
        fail_msg("%s compiled", expr);
    }
    if (strcmp(why, want) != 0) fail_msg("%s:\n got  %s\n want %s", expr, why, want);
}

static void test_rejects_outside_the_subset(void **state)
{
    (void)state;
    rejects("object.spec.replicas + 1 > 2",
            "ERROR: <input>:1:22: Syntax error: '+' is not in skiff's CEL subset (supported: literals, "
            "object/oldObject/request fields, has, size, startsWith, endsWith, contains, ! && || == != < <= > >= in)");
    rejects("object.x ? 1 : 2", "ERROR: <input>:1:10: Syntax error: '?' is not in skiff's CEL subset (supported: literals, "
            "object/oldObject/request fields, has, size, startsWith, endsWith, contains, ! && || == != < <= > >= in)");
    rejects("authorizer.group('apps').check()", "ERROR: <input>:1:1: undeclared reference to 'authorizer' (in container '')");
    rejects("object.spec.containers.all(c, c.image != '')", "ERROR: <input>:1:24: undeclared reference to 'all' (in container '')");
    rejects("object.metadata.name ==", "ERROR: <input>:1:24: Syntax error: mismatched input <EOF> expecting an expression");
    rejects("(object.a", "ERROR: <input>:1:10: Syntax error: mismatched input <EOF> expecting ')'");
    rejects("object.a\n  == 'x", "ERROR: <input>:2:6: Syntax error: unterminated string literal");
    rejects("has(object)", "ERROR: <input>:1:1: invalid argument to has() macro");
    rejects("'a'.startsWith()", "ERROR: <input>:1:5: found no matching overload for 'startsWith' applied to 0 arguments");
    rejects("object.a == 1 2", "ERROR: <input>:1:15: Syntax error: extraneous input an int expecting <EOF>");
    rejects("'\\q'", "ERROR: <input>:1:2: Syntax error: invalid escape sequence \\q");
    rejects("object.a = 1", "ERROR: <input>:1:10: Syntax error: token recognition error at: '='");
    rejects("object.a - 1 > 0", "ERROR: <input>:1:10: Syntax error: binary '-' is not in skiff's CEL subset (no arithmetic)");
    rejects("", "ERROR: <input>:1:1: Syntax error: mismatched input <EOF> expecting an expression");
    char deep[200];
    memset(deep, '(', 40);
    strcpy(deep + 40, "true");
    memset(deep + 44, ')', 40);
    deep[84] = '\0';
    rejects(deep, "ERROR: <input>:1:33: expression nested too deeply (more than 32 levels)");
    char big[CEL_MAX_LEN + 10];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    rejects(big, "ERROR: <input>:1:1: expression longer than 4096 bytes");
    char chain[2000] = "object";
    for (int i = 0; i < 300; i++) strcat(chain, ".a");
    rejects(chain, "ERROR: <input>:1:520: expression has more than 256 operators, calls and field accesses");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evaluates),
        cmocka_unit_test(test_rejects_outside_the_subset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
