/* core/util/suggest — "did you mean" for misspelt names.
 *
 * Levenshtein edit distance (insert, delete, substitute, each cost 1) and the
 * nearest candidate to a word. Pure functions; nothing is allocated that the
 * caller must free.
 */
#ifndef SKIFF_CORE_SUGGEST_H
#define SKIFF_CORE_SUGGEST_H

#include <stddef.h>

/* Edit distance between a and b; SIZE_MAX when either is longer than 255
 * characters (names never are, and the table stays on the stack). */
size_t skiff_str_distance(const char *a, const char *b);

/* The candidate nearest to word (first one on ties), or NULL when there are
 * no candidates. `cands` need not be NULL-terminated: n entries are read;
 * NULL entries are skipped. */
const char *skiff_str_nearest(const char *word, const char *const *cands, size_t n);

#endif
