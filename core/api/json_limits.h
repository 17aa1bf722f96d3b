/* core/api/json_limits — bounds shared by the API object libraries.
 *
 * Every recursive walk over a client-supplied cJSON tree stops at
 * SKIFF_API_MAX_DEPTH levels with SKIFF_E_INVALID, so a hostile body can
 * never exhaust the stack (cJSON's own parser allows 1000 levels; no
 * Kubernetes object comes close to 100). At that depth the patchers and
 * apply need ~130 KiB of stack (~1.3 KiB a level at -O2, more under ASan);
 * stack_depth_test.c checks they fit the 512 KiB the API server gives its
 * connection threads.
 */
#ifndef SKIFF_CORE_API_JSON_LIMITS_H
#define SKIFF_CORE_API_JSON_LIMITS_H

#define SKIFF_API_MAX_DEPTH 100

#endif
