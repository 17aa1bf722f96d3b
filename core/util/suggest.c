/* Levenshtein distance for "did you mean"; see suggest.h. */
#include "util/suggest.h"

#include <stdint.h>
#include <string.h>

#define SUGGEST_MAX 255

size_t skiff_str_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > SUGGEST_MAX || lb > SUGGEST_MAX) return SIZE_MAX;
    size_t row[SUGGEST_MAX + 1];
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0]; /* row[i-1][j-1] */
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] == b[j - 1] ? 0 : 1);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *skiff_str_nearest(const char *word, const char *const *cands, size_t n)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (!cands[i]) continue;
        size_t d = skiff_str_distance(word, cands[i]);
        if (!best || d < best_d) {
            best = cands[i];
            best_d = d;
        }
    }
    return best;
}
