/* bench/sched/sched_shapes.h — the cluster both scheduler benchmarks build
 * (bench_sched.c, the scheduler alone; bench_sched_api.c, with the API
 * server): kube scheduler_perf's node and pod sizes, and the constraints of
 * the "constrained" shape. Static inline; benchmarks only. */
#ifndef SKIFF_BENCH_SCHED_SHAPES_H
#define SKIFF_BENCH_SCHED_SHAPES_H

#include <stdio.h>

#define N_ZONES 10
#define NODE_CPU_MILLI 32000
#define NODE_MEM (64LL << 30)
#define NODE_PODS 110
#define POD_CPU_MILLI 100
#define POD_MEM (128LL << 20)
#define GROUP 10

/* Pod i's constraint for `kind` (0 none, 1 anti-affinity to its group by
 * hostname, 2 topology spread of its group across zones, maxSkew 1) as JSON
 * to append inside its spec: "" or a leading comma and the field. */
static inline void sched_pod_constraint(char *extra, size_t size, int i, int kind)
{
    int g = i / GROUP;
    extra[0] = '\0';
    if (kind == 1)
        snprintf(extra, size,
                 ",\"affinity\":{\"podAntiAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
                 "[{\"labelSelector\":{\"matchLabels\":{\"group\":\"g%d\"}},\"topologyKey\":\"kubernetes.io/hostname\"}]}}",
                 g);
    else if (kind == 2)
        snprintf(extra, size,
                 ",\"topologySpreadConstraints\":[{\"maxSkew\":1,\"topologyKey\":\"topology.kubernetes.io/zone\","
                 "\"whenUnsatisfiable\":\"DoNotSchedule\",\"labelSelector\":{\"matchLabels\":{\"group\":\"g%d\"}}}]",
                 g);
}

#endif
