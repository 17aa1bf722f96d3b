/* tests/store — the conformance cases, grouped by concern. */
#ifndef SKIFF_TESTS_STORE_CASES_H
#define SKIFF_TESTS_STORE_CASES_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

extern const struct CMUnitTest store_kv_cases[];
extern const size_t store_kv_ncases;
extern const struct CMUnitTest store_txn_cases[];
extern const size_t store_txn_ncases;
extern const struct CMUnitTest store_watch_cases[];
extern const size_t store_watch_ncases;
extern const struct CMUnitTest store_lease_cases[];
extern const size_t store_lease_ncases;
extern const struct CMUnitTest store_perf_cases[];
extern const size_t store_perf_ncases;

#define CASE(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

#endif
