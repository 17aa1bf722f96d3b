/* core/controller/cidralloc — node pod ranges carved out of the cluster
 * CIDR, as kube-controller-manager's cidrset (--cluster-cidr,
 * --node-cidr-mask-size): a bitmap of the /mask subnets, handed out
 * round-robin from after the last one given, so a range just released is
 * not reused at once. IPv4.
 *
 * Not thread-safe: the caller serialises (the nodeipam controller holds a
 * mutex). Strings are borrowed; outputs are written into caller buffers.
 */
#ifndef SKIFF_CORE_CONTROLLER_CIDRALLOC_H
#define SKIFF_CORE_CONTROLLER_CIDRALLOC_H

#include <stddef.h>
#include <stdint.h>

#include <skiff/error.h>

typedef struct skiff_cidr_alloc skiff_cidr_alloc_t;

/* cluster_cidr "10.244.0.0/16", mask 24 (the node range size). Errors
 * (SKIFF_E_INVALID, message naming the value): not an IPv4 network address
 * (host bits set, bad syntax, IPv6), mask outside cluster prefix..30, or
 * more than 2^16 node ranges (kube's limit). */
int skiff_cidr_alloc_new(const char *cluster_cidr, int mask, skiff_cidr_alloc_t **out, skiff_error_t *err);
void skiff_cidr_alloc_free(skiff_cidr_alloc_t *a);

/* The next free range as "a.b.c.d/m" into out (24 bytes are enough).
 * SKIFF_E_FULL when every range is taken. */
int skiff_cidr_alloc_next(skiff_cidr_alloc_t *a, char *out, size_t n, skiff_error_t *err);
/* Mark cidr (a node's spec.podCIDR) taken; a wider one takes every range it
 * covers. Idempotent. SKIFF_E_INVALID: not a network address, or not inside
 * the cluster CIDR. */
int skiff_cidr_alloc_occupy(skiff_cidr_alloc_t *a, const char *cidr, skiff_error_t *err);
/* Free what occupy/next took. Idempotent; same errors as occupy. */
int skiff_cidr_alloc_release(skiff_cidr_alloc_t *a, const char *cidr, skiff_error_t *err);
/* Ranges in all / still free. */
uint64_t skiff_cidr_alloc_total(const skiff_cidr_alloc_t *a);
uint64_t skiff_cidr_alloc_free_count(const skiff_cidr_alloc_t *a);

#endif
