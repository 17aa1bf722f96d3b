/* core/controller/expect — pending creates/deletes per controller key (see expect.c). */
#ifndef SKIFF_CORE_CONTROLLER_EXPECT_H
#define SKIFF_CORE_CONTROLLER_EXPECT_H

typedef struct skiff_expect skiff_expect_t;
skiff_expect_t *skiff_expect_new(void);   /* NULL on ENOMEM */
void skiff_expect_free(skiff_expect_t *x);
void skiff_expect_set(skiff_expect_t *x, const char *key, int adds, int dels);
/* One create (add=1) or delete (add=0) for key seen by the informer. */
void skiff_expect_observed(skiff_expect_t *x, const char *key, int add);
/* 1 when nothing is pending for key (or the expectation is over 30s old). */
int skiff_expect_satisfied(skiff_expect_t *x, const char *key);
void skiff_expect_forget(skiff_expect_t *x, const char *key);

#endif
