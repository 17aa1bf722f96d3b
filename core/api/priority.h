/* core/api/priority — PriorityClass and the built-in Priority admission (priority.c). */
#ifndef SKIFF_CORE_API_PRIORITY_H
#define SKIFF_CORE_API_PRIORITY_H

#include <stddef.h>

#include "api/internal.h"

/* Run before the admission chain on every write (op: SKIFF_ADM_*). Pods:
 * fills spec.priority / spec.preemptionPolicy from the class; classes: the
 * globalDefault and system- rules. 0 = go on, -1 = refused (403 Status set). */
int apisrv_priority_admit(apisrv_call_t *c, int op, cJSON *obj);
/* Resource-table prepare of priorityclasses (defaults, immutability). */
int apisrv_prepare_priorityclass(apisrv_call_t *c, cJSON *obj, const cJSON *old, apisrv_invalid_t *inv);
/* JSON of built-in class i (malloc'd), NULL past the last: created at bootstrap. */
char *apisrv_priority_builtin_json(size_t i);

#endif
