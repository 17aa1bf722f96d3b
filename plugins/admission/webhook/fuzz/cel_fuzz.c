/* libFuzzer target for the matchConditions CEL subset (cel.c): any input is
 * compiled; what compiles is evaluated against a fixed object, request and
 * a null oldObject. Must never crash, leak or trip a sanitizer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../cel.h"

static cJSON *obj, *req;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!obj) {
        obj = cJSON_Parse("{\"metadata\":{\"name\":\"n\",\"labels\":{\"a\":\"b\"}},\"spec\":{\"r\":3,\"f\":1.5,"
                          "\"l\":[1,\"x\",{\"k\":null}],\"t\":true}}");
        req = cJSON_Parse("{\"operation\":\"CREATE\",\"userInfo\":{\"groups\":[\"g\"]}}");
    }
    char *src = malloc(size + 1);
    if (!src) return 0;
    memcpy(src, data, size);
    src[size] = '\0';
    webhook_cel_t *e = NULL;
    char why[512];
    if (webhook_cel_compile(src, &e, why, sizeof why) == 0) {
        webhook_cel_eval_bool(e, obj, NULL, req, why, sizeof why);
        webhook_cel_free(e);
    }
    free(src);
    return 0;
}
