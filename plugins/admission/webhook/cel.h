/* admission/webhook — a small, bounded subset of CEL (the Common Expression
 * Language) for webhook matchConditions. There is no CEL library for C in
 * Debian; this covers what matchConditions are written with, and refuses
 * the rest when the configuration is created (so a hook never runs with an
 * expression skiff cannot evaluate):
 *
 *   literals     null, true, false, 12, -3, 1.5, 0x1F, 7u, "s", 's', r"raw", [a, b]
 *   variables    object, oldObject, request (the AdmissionRequest)
 *   access       a.b, a["b"], a[0]
 *   operators    ! && || == != < <= > >= in  (and unary - on numbers), ( )
 *   functions    has(a.b), size(x), x.size(), s.startsWith(t), s.endsWith(t), s.contains(t)
 *
 * Semantics follow CEL: && and || absorb errors when the other side decides
 * (false && error == false); a missing field is an error ("no such key"),
 * which has() tests for; == across types is false, < across types is an
 * error; JSON numbers without a fraction are ints. Not in the subset:
 * arithmetic, ?:, macros other than has (all, exists, map, filter),
 * `authorizer`, `params`, types and conversions, timestamps. Bounds:
 * expressions of at most CEL_MAX_LEN bytes, nesting at most CEL_MAX_DEPTH,
 * at most CEL_MAX_OPS operators, calls and field accesses (so the tree, and
 * the recursion over it, stays shallow). */
#ifndef SKIFF_WEBHOOK_CEL_H
#define SKIFF_WEBHOOK_CEL_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define CEL_MAX_LEN 4096
#define CEL_MAX_DEPTH 32
#define CEL_MAX_OPS 256

typedef struct webhook_cel webhook_cel_t;

/* Compile `src`. 0 with *out (free with webhook_cel_free), or -1 with why =
 * "ERROR: <input>:LINE:COL: <what>" (CEL's own error form) or "out of memory". */
int webhook_cel_compile(const char *src, webhook_cel_t **out, char *why, size_t whylen);

/* Evaluate as a condition. The variables are borrowed (NULL reads as null).
 * 1 true, 0 false, -1 evaluation error or a non-bool result (why set). */
int webhook_cel_eval_bool(const webhook_cel_t *e, const cJSON *object, const cJSON *old_object,
                          const cJSON *request, char *why, size_t whylen);

void webhook_cel_free(webhook_cel_t *e); /* NULL is fine */

#endif
