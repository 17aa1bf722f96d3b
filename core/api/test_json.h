/* core/api/test_json — helpers shared by the core/api cmocka tests only. */
#ifndef SKIFF_CORE_API_TEST_JSON_H
#define SKIFF_CORE_API_TEST_JSON_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

/* Parse `text` (single quotes stand for double quotes, to keep tests legible). */
static inline cJSON *tj(const char *text)
{
    char *s = strdup(text);
    for (char *p = s; *p; p++) if (*p == '\'') *p = '"';
    cJSON *j = cJSON_Parse(s);
    if (!j) fail_msg("test JSON does not parse: %s", text);
    free(s);
    return j;
}

/* Assert that `got` equals the JSON `want` (single-quote form). */
#define assert_json(got, want) do { \
    cJSON *w_ = tj(want); \
    if (!cJSON_Compare((got), w_, 1)) { \
        char *g_ = cJSON_PrintUnformatted(got); \
        fail_msg("json mismatch\n  got:  %s\n  want: %s", g_ ? g_ : "(null)", want); \
    } \
    cJSON_Delete(w_); \
} while (0)

#endif
