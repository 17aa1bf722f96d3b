/* core/controller/expect — pending creates/deletes per controller key (see expect.c). */
#ifndef SKIFF_CORE_CONTROLLER_EXPECT_H
#define SKIFF_CORE_CONTROLLER_EXPECT_H

#include <stddef.h>

/* An expectation not met after this long is dropped (its events were lost). */
#define SKIFF_EXPECT_TTL_S 30

typedef struct skiff_expect skiff_expect_t;
skiff_expect_t *skiff_expect_new(void);   /* NULL on ENOMEM */
void skiff_expect_free(skiff_expect_t *x);
/* Expect adds creations and dels deletions (counted) for key. */
void skiff_expect_set(skiff_expect_t *x, const char *key, int adds, int dels);
/* Expect the deletion of these pods ("ns/name") for key, each seen once
 * however many events report it (kube's UIDTrackingControllerExpectations):
 * a pod is deleted gracefully — an update with deletionTimestamp, later the
 * DELETED event — and counting both would let key be counted again before
 * the cache has seen the other deletions. Replaces what key expected. 0 or
 * -ENOMEM (then nothing is expected: the caller must not act). */
int skiff_expect_deletes(skiff_expect_t *x, const char *key, const char *const *pods, size_t n);
/* One create (add=1) or delete (add=0) for key seen by the informer
 * (counted expectations). */
void skiff_expect_observed(skiff_expect_t *x, const char *key, int add);
/* The deletion of pod ("ns/name") of key seen (by its deletionTimestamp or
 * its DELETED event; the second sighting does nothing). */
void skiff_expect_deleted(skiff_expect_t *x, const char *key, const char *pod);
/* 1 when nothing is pending for key (or the expectation is over 30s old). */
int skiff_expect_satisfied(skiff_expect_t *x, const char *key);
void skiff_expect_forget(skiff_expect_t *x, const char *key);

#endif
