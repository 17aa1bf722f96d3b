/* core/api/eviction — PodDisruptionBudgets on the pods/eviction subresource
 * (see eviction.c). */
#ifndef SKIFF_CORE_API_EVICTION_H
#define SKIFF_CORE_API_EVICTION_H

#include "api/internal.h"

/* Before deleting the pod of an eviction call: 0 = go on (no budget, or
 * one that allowed the disruption and was spent; dry: checked, not spent);
 * -1 = refused, c's response holds the Status (429 TooManyRequests when the
 * budget allows no disruption). */
int apisrv_eviction_check(apisrv_call_t *c, int dry);
/* The DisruptionTarget condition (EvictionByEvictionAPI) on the pod;
 * best effort (a pod already gone is fine). */
void apisrv_eviction_mark(apisrv_call_t *c);

#endif
