/* core/api/jscan — finding members in JSON text without parsing it: the
 * stored objects (our own cJSON print) and the watch events carrying them.
 * Used where only a few members matter and a parse would cost far more:
 * the pods/binding edit (binding.c) and the scheduler recognising the echo
 * of its own bind (core/sched/api_link.c). Spans point into the caller's
 * text; nothing is allocated. */
#ifndef SKIFF_CORE_API_JSCAN_H
#define SKIFF_CORE_API_JSCAN_H

#include <stddef.h>

typedef struct skiff_jmem {
    const char *k;       /* the key's opening quote; NULL = absent */
    const char *v, *ve;  /* the value [v, ve) */
} skiff_jmem_t;

/* p past JSON whitespace (at most e). */
const char *skiff_jscan_ws(const char *p, const char *e);
/* Just past the value at p, NULL if there is none (containers are matched
 * by bracket depth, strings skipped: meant for valid JSON). */
const char *skiff_jscan_skip(const char *p, const char *e);
/* One pass over the object whose '{' is at o: m[i] = member keys[i] (k NULL
 * when absent; the first one wins, as cJSON's lookup). *close = the object's
 * closing '}' and *empty = it has no members; with close NULL the pass stops
 * as soon as every key is found (the rest is not checked). 0, or -1: not an
 * object, malformed, or a key with escapes (the caller then parses). */
int skiff_jscan_members(const char *o, const char *e, const char *const *keys, size_t n, skiff_jmem_t *m,
                        const char **close, int *empty);
/* The string value [v, ve) unquoted into buf; -1 if it is not a plain
 * string (escapes) or does not fit. */
int skiff_jscan_str(const char *v, const char *ve, char *buf, size_t len);

#endif
