/* core/api/jscan — the one scanner of JSON text in skiff: finding members
 * in text without parsing it.
 *
 * Why a scanner beside cJSON: on a few hot paths only a handful of members
 * of a large text matter, and a full parse was measured to cost far more
 * than the work itself (docs/performance.md: ## JSON text scanner, ##
 * Scheduler, ## API server): the pods/binding edit (binding.c), the scheduler recognising the
 * echo of its own bind (core/sched/api_link.c), splitting a watch line into
 * its type and object (client.c) and cutting metadata.managedFields before a
 * parse (lean.c). The texts are our own cJSON prints and the watch events
 * carrying them; everything else is parsed.
 *
 * Spans point into the caller's text (nothing is allocated, nothing is
 * NUL-terminated); `e` is the end of the text and no byte at or past it is
 * read. Malformed or truncated text gives NULL / -1, never a read past e;
 * keys with escapes are not decoded (a caller needing them parses). */
#ifndef SKIFF_CORE_API_JSCAN_H
#define SKIFF_CORE_API_JSCAN_H

#include <stddef.h>

typedef struct skiff_jmem {
    const char *k;       /* the key's opening quote; NULL = absent */
    const char *v, *ve;  /* the value [v, ve) */
} skiff_jmem_t;

/* p past JSON whitespace (at most e). */
const char *skiff_jscan_ws(const char *p, const char *e);
/* Just past the value at p, NULL if there is none or it is unterminated.
 * Strings end at their first unescaped quote; containers are matched by
 * bracket depth with strings skipped; a scalar runs to the next delimiter.
 * Fast rather than validating: meant for text that is valid JSON. */
const char *skiff_jscan_skip(const char *p, const char *e);
/* p at a member's key ("key" ws ':' ws): the value's first byte, with
 * [*ks, *ks + *kl) the key's raw text between its quotes (escapes left as
 * they are); NULL when p is not at a complete key and colon. */
const char *skiff_jscan_key(const char *p, const char *e, const char **ks, size_t *kl);
/* Member by member: *p at a member's key (past the object's '{' and
 * whitespace, or where the last call left it). *m = that member (k its
 * opening quote, the key not decoded), then *p moves to the next member's
 * key (1) or to the object's closing '}' (0, *m was the last); -1 when the
 * text there is not a member followed by ',' or '}'. */
int skiff_jscan_next(const char **p, const char *e, skiff_jmem_t *m);
/* 1 when member m's key is written exactly as key (raw: a key with escapes
 * never matches; key must hold no '"' or '\'). */
int skiff_jscan_key_is(const skiff_jmem_t *m, const char *key);
/* One pass over the object whose '{' is at o: m[i] = member keys[i] (k NULL
 * when absent; the first one wins, as cJSON's lookup). *close = the object's
 * closing '}' and *empty = it has no members; with close NULL the pass stops
 * as soon as every key is found (the rest is not checked). 0, or -1: not an
 * object, malformed, or a key with escapes (the caller then parses). */
int skiff_jscan_members(const char *o, const char *e, const char *const *keys, size_t n, skiff_jmem_t *m,
                        const char **close, int *empty);
/* The value at path[0].path[1]...path[n-1] below the object whose '{' is at
 * o: 0 and *v = its first byte; 1 when absent (a member missing, or a step
 * that is not an object); -1 when malformed or a key on the way has escapes.
 * Only what precedes the value is read: containers on the path are entered,
 * not skipped, so neither the value nor what follows it is checked. */
int skiff_jscan_at(const char *o, const char *e, const char *const *path, size_t n, const char **v);
/* The string value [v, ve) unquoted into buf; -1 if it is not a plain
 * string (escapes) or does not fit. */
int skiff_jscan_str(const char *v, const char *ve, char *buf, size_t len);
/* 1 when the value [v, ve) is the JSON string s written plainly (s holds
 * nothing JSON escapes), else 0 (another value, or s escaped). */
int skiff_jscan_str_eq(const char *v, const char *ve, const char *s);

#endif
