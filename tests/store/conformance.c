/* The store conformance suite: the semantics every store plugin must have
 * (sdk/include/skiff/store.h), run against fresh instances of one plugin.
 *
 *   store_conformance PLUGIN.so [key=value ...]
 *
 * Settings may contain @DIR@, replaced per case by a fresh temporary
 * directory (removed afterwards), so durable plugins start empty each time.
 * Figures (range of 10k keys, watch latency) are printed as "# " lines.
 * STORE_CASES=regex runs only the matching cases. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "harness.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PLUGIN.so [key=value ...]\n", argv[0]);
        return 2;
    }
    g_plugin = argv[1];
    g_settings = calloc((size_t)argc, sizeof *g_settings);
    for (int i = 2; i < argc; i++) {
        if (!strchr(argv[i], '=')) {
            fprintf(stderr, "%s: setting \"%s\" is not key=value\n", argv[0], argv[i]);
            return 2;
        }
        g_settings[i - 2] = argv[i];
    }

    const struct { const struct CMUnitTest *c; size_t n; } groups[] = {
        { store_kv_cases, store_kv_ncases },       { store_txn_cases, store_txn_ncases },
        { store_watch_cases, store_watch_ncases }, { store_lease_cases, store_lease_ncases },
        { store_perf_cases, store_perf_ncases },
    };
    size_t total = 0;
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
        total += groups[g].n;
    struct CMUnitTest *all = calloc(total, sizeof *all);
    const char *filter = getenv("STORE_CASES");
    regex_t re;
    if (filter && regcomp(&re, filter, REG_EXTENDED | REG_NOSUB) != 0) {
        fprintf(stderr, "%s: STORE_CASES: bad regex \"%s\"\n", argv[0], filter);
        return 2;
    }
    size_t n = 0;
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
        for (size_t i = 0; i < groups[g].n; i++)
            if (!filter || regexec(&re, groups[g].c[i].name, 0, NULL, 0) == 0)
                all[n++] = groups[g].c[i];
    const char *base = strrchr(g_plugin, '/');
    char name[256];
    snprintf(name, sizeof name, "store conformance: %s", base ? base + 1 : g_plugin);
    int failed = _cmocka_run_group_tests(name, all, n, NULL, NULL);
    if (filter)
        regfree(&re);
    free(all);
    free(g_settings);
    store_unload();
    return failed ? 1 : 0;
}
