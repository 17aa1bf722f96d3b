/* How many nodes to filter, and the FailedScheduling message, both exactly
 * as kube-scheduler computes them (schedule_one.go numFeasibleNodesToFind,
 * framework/types.go FitError.Error). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched/sched_int.h"

#define MIN_FEASIBLE_NODES 100
#define MIN_FEASIBLE_PERCENTAGE 5

size_t skiff_sched_nodes_to_find(size_t n_nodes, int percentage)
{
    if (n_nodes < MIN_FEASIBLE_NODES || percentage >= 100) return n_nodes;
    int64_t pct = percentage;
    if (pct <= 0) {
        pct = 50 - (int64_t)n_nodes / 125;
        if (pct < MIN_FEASIBLE_PERCENTAGE) pct = MIN_FEASIBLE_PERCENTAGE;
    }
    size_t n = (size_t)((int64_t)n_nodes * pct / 100);
    return n < MIN_FEASIBLE_NODES ? MIN_FEASIBLE_NODES : n;
}

typedef struct reason_count { const char *r; size_t len; size_t n; char *text; } reason_count_t;

static int cmp_text(const void *a, const void *b)
{
    return strcmp(((const reason_count_t *)a)->text, ((const reason_count_t *)b)->text);
}

char *skiff_sched_fit_message(size_t n_nodes, const char *const *node_reasons, size_t n_reasons,
                              const char *prefilter, const char *postfilter)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f) return NULL;
    fprintf(f, "0/%zu nodes are available:", n_nodes);
    reason_count_t *rc = NULL;
    size_t n_rc = 0, cap = 0;
    int oom = 0;
    if (prefilter && *prefilter) {
        fprintf(f, " %s.", prefilter);
    } else {
        /* A histogram of reasons (one node may give several, '\n'-separated). */
        for (size_t i = 0; i < n_reasons && !oom; i++) {
            const char *s = node_reasons[i];
            while (s && *s) {
                const char *e = strchr(s, '\n');
                size_t l = e ? (size_t)(e - s) : strlen(s);
                size_t j = 0;
                for (; j < n_rc; j++)
                    if (rc[j].len == l && memcmp(rc[j].r, s, l) == 0) break;
                if (j == n_rc) {
                    if (n_rc == cap) {
                        cap = cap ? cap * 2 : 8;
                        reason_count_t *nr = realloc(rc, cap * sizeof *nr);
                        if (!nr) { oom = 1; break; }
                        rc = nr;
                    }
                    rc[n_rc++] = (reason_count_t){ s, l, 0, NULL };
                }
                rc[j].n++;
                s = e ? e + 1 : s + l;
            }
        }
        for (size_t j = 0; j < n_rc && !oom; j++)
            if (asprintf(&rc[j].text, "%zu %.*s", rc[j].n, (int)rc[j].len, rc[j].r) < 0) {
                rc[j].text = NULL;
                oom = 1;
            }
        if (!oom && n_rc) {
            /* Go's sort.Strings on "N reason": byte order, so "10 x" < "2 y". */
            qsort(rc, n_rc, sizeof *rc, cmp_text);
            fputc(' ', f);
            for (size_t j = 0; j < n_rc; j++) fprintf(f, "%s%s", j ? ", " : "", rc[j].text);
            fputc('.', f);
        }
    }
    if (postfilter && *postfilter) fprintf(f, " %s.", postfilter);
    for (size_t j = 0; j < n_rc; j++) free(rc[j].text);
    free(rc);
    if (fclose(f) != 0 || oom) { free(out); return NULL; }
    return out;
}
