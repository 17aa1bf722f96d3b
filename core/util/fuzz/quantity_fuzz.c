/* libFuzzer target for core/util/quantity: parse never crashes, and whatever
 * parses survives format -> parse (both families) and canonical -> parse
 * unchanged, with canonical idempotent from its second application. Durations: parse never crashes.
 * Build: make fuzz-quantity. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/quantity.h"

static void fail(const char *what, const char *in, const char *out)
{
    fprintf(stderr, "quantity_fuzz: %s: input \"%s\" output \"%s\"\n", what, in, out);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 2048) return 0;
    char s[2049];
    memcpy(s, data, size);
    s[size] = '\0';
    skiff_error_t err = {0};
    int64_t v, back, ms;
    char buf[64], canon[64], canon2[64];
    (void)skiff_duration_parse(s, &ms, &err);
    int rc = skiff_quantity_parse(s, &v, &err);
    int crc = skiff_quantity_canonical(s, canon, sizeof canon, &err);
    if ((rc == 0) != (crc == 0)) fail("parse and canonical disagree", s, "");
    if (rc) {
        if (err.msg[0] == '\0') fail("error without a message", s, "");
        return 0;
    }
    for (int b = 0; b < 2; b++) {
        int n = skiff_quantity_format(v, b, buf, sizeof buf);
        if (n <= 0 || (size_t)n >= sizeof buf) fail("format length", s, buf);
        if (skiff_quantity_parse(buf, &back, &err) || back != v) fail("format does not parse back", s, buf);
    }
    if (skiff_quantity_parse(canon, &back, &err) || back != v) fail("canonical does not parse back", s, canon);
    /* Not idempotent in one step, as in Kubernetes: "76062.5Ki" prints as
     * "77888000" (binary family, not a Ki multiple), which then parses as
     * decimal and prints "77888k". From the second step on it must be. */
    char canon3[64];
    if (skiff_quantity_canonical(canon, canon2, sizeof canon2, &err)) fail("canonical of canonical", s, canon);
    if (skiff_quantity_parse(canon2, &back, &err) || back != v) fail("canonical^2 changed the value", s, canon2);
    if (skiff_quantity_canonical(canon2, canon3, sizeof canon3, &err) || strcmp(canon2, canon3) != 0)
        fail("canonical is not idempotent from the second step", s, canon3);
    return 0;
}
