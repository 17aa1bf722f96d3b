/* core/sched/component — the `scheduler` config component: builds a
 * skiff_sched_t from the config's profiles and the scheduler plugin
 * instances the cluster created, and runs it while the cluster runs.
 *
 *   scheduler = {
 *     percentage_of_nodes_to_score = 0;   # default for profiles
 *     profiles = ( { name = "default-scheduler";
 *                    plugins = ( { instance = "fit"; }, { instance = "least"; weight = 2; }, ... );
 *                    percentage_of_nodes_to_score = 0; } );
 *   };
 *
 * Without `profiles`, one "default-scheduler" profile holds every
 * scheduler instance in config order, weight 1.
 *
 * When the apiserver component runs in the same process (it starts first),
 * the scheduler is fed by watches of /api/v1/nodes and /api/v1/pods through
 * the in-process client (api_link.c), binds through pods/binding and
 * reports FailedScheduling / Scheduled events and PodScheduled=False.
 * Without an API server in the process nothing feeds it (binds would fail
 * with "no API client wired"); skiff_sched_component_scheduler() lets a
 * caller feed it in-process.
 */
#ifndef SKIFF_CORE_SCHED_COMPONENT_H
#define SKIFF_CORE_SCHED_COMPONENT_H

#include <stdint.h>

#include <libconfig.h>

#include "config/config.h"
#include "sched/sched.h"

/* Parse the profiles of a `scheduler` group against the cluster's scheduler
 * instances. On success *out / *n_out are malloc'd (free with
 * skiff_sched_profiles_free). SKIFF_E_INVALID: err is "FILE:LINE: ..." for
 * the first problem (unknown instance, bad weight, duplicate profile...). */
int skiff_sched_profiles_parse(const skiff_cluster_t *cl, const config_setting_t *group,
                               const char *file, int64_t default_percentage,
                               skiff_sched_profile_conf_t **out, size_t *n_out, skiff_error_t *err);
void skiff_sched_profiles_free(skiff_sched_profile_conf_t *p, size_t n);

/* skiff_component_t start/stop for core/config/components.c. */
int skiff_sched_component_start(skiff_cluster_t *cl, const skiff_component_conf_t *conf,
                                void **state, skiff_error_t *err);
void skiff_sched_component_stop(void *state);
/* The running scheduler of a component state (to feed it in-process). */
skiff_sched_t *skiff_sched_component_scheduler(void *state);
/* Events the component's recorder wrote and dropped (its queue was full)
 * so far; both 0 without an API server. `flush` first waits until what is
 * queued has been written. */
void skiff_sched_component_events(void *state, int flush, uint64_t *written, uint64_t *dropped);
/* Watch echoes of the component's own binds taken without a parse. */
uint64_t skiff_sched_component_echoes_skipped(void *state);

#endif
