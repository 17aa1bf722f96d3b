/* scheduler/default-preemption: kube-scheduler's DefaultPreemption
 * PostFilter. When a pod fits nowhere, find nodes where evicting pods of
 * lower priority would make it fit, keep on each the fewest such victims
 * (reprieving the most important ones first), pick the node whose victims
 * matter least, nominate the pod there and evict them through the API.
 * The pod is scheduled in a later cycle once the victims are gone.
 *
 * PodDisruptionBudgets (pdb.c, read through the host API once per
 * attempt) are honoured as kube's SelectVictimsOnNode does: the victims
 * whose eviction would take a budget below zero allowed disruptions are
 * reprieved first, so a node is preferred where fewer budgets are violated;
 * a budget is a preference, not a wall (a node where only violating pods
 * make room is still a candidate, ranked last).
 *
 * Order of the choice (pickOneNodeForPreemption): the fewest PDB
 * violations, the lowest highest-victim priority, then the lowest sum of
 * victim priorities, then the fewest victims, then the latest start among
 * the highest-priority victims, then the first found. The search for
 * candidates stops once enough are found and at least one violates no
 * budget (DryRunPreemption).
 *
 * Victims taken out in the what-if are taken out of the PreFilter state
 * too (st->run_remove_pod / run_add_pod, kube's PreFilter extensions), so
 * an (anti-)affinity clash with a victim, or a topology spread skew it
 * causes, is resolved by preempting it.
 *
 * Limitation (as documented upstream): a pod that fails only because of
 * inter-pod (anti-)affinity with pods on *other* nodes is not helped. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <skiff/skiff.h>

#include "pdb.h"

typedef struct preempt {
    int64_t pct;                /* min_candidate_nodes_percentage */
    int64_t abs;                /* min_candidate_nodes_absolute */
    size_t offset;              /* where the next search starts (spreads the work) */
    const skiff_host_t *host;   /* for the PodDisruptionBudget list */
    skiff_ctx_t *ctx;
} preempt_t;

static const skiff_config_key_t preempt_keys[] = {
    { "min_candidate_nodes_percentage", SKIFF_CFG_INT, "10", SKIFF_CFG_FILL, offsetof(preempt_t, pct),
      "candidates to find, as a percentage of the nodes (0..100; DefaultPreemptionArgs)" },
    { "min_candidate_nodes_absolute", SKIFF_CFG_INT, "100", SKIFF_CFG_FILL, offsetof(preempt_t, abs),
      "candidates to find at least (0..; 0 with a 0 percentage: every node)" },
    SKIFF_CONFIG_END,
};

static int preempt_init(const skiff_host_t *host, skiff_ctx_t *ctx, void *self, skiff_error_t *err)
{
    preempt_t *p = self;
    p->host = host;
    p->ctx = ctx;
    if (p->pct < 0 || p->pct > 100)
        return skiff_error_set(err, SKIFF_E_INVALID, "min_candidate_nodes_percentage %lld is not within 0..100", (long long)p->pct);
    if (p->abs < 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "min_candidate_nodes_absolute %lld is negative", (long long)p->abs);
    if (p->pct == 0 && p->abs == 0)
        return skiff_error_set(err, SKIFF_E_INVALID, "min_candidate_nodes_percentage and min_candidate_nodes_absolute are both 0: no candidate could ever be found");
    return 0;
}

/* ---- a node with pods taken out / put back ------------------------------ */

typedef struct work_node {
    skiff_sched_node_t view;    /* what run_filters sees */
    const skiff_sched_pod_t **pods;
    skiff_sched_scalar_t *scalar;
    size_t n_scalar, cap_scalar;
} work_node_t;

static int has_aff(const skiff_sched_pod_t *p)
{
    return p->affinity.n_required || p->affinity.n_preferred || p->anti_affinity.n_required ||
           p->anti_affinity.n_preferred;
}

static void adjust(work_node_t *w, const skiff_sched_pod_t *p, int sign)
{
    skiff_sched_resources_t *r = &w->view.requested;
    r->milli_cpu += sign * p->requests.milli_cpu;
    r->memory += sign * p->requests.memory;
    r->ephemeral_storage += sign * p->requests.ephemeral_storage;
    r->pods += sign * p->requests.pods;
    w->view.non_zero_milli_cpu += sign * p->non_zero_milli_cpu;
    w->view.non_zero_memory += sign * p->non_zero_memory;
    if (has_aff(p)) w->view.n_pods_with_affinity += (size_t)(ptrdiff_t)sign;
    for (size_t i = 0; i < p->requests.n_scalar; i++)
        for (size_t j = 0; j < w->n_scalar; j++)
            if (strcmp(w->scalar[j].name, p->requests.scalar[i].name) == 0) {
                w->scalar[j].value += sign * p->requests.scalar[i].value;
                break;
            }
}

static int work_init(work_node_t *w, const skiff_sched_node_t *node)
{
    memset(w, 0, sizeof *w);
    w->view = *node;
    w->pods = malloc((node->n_pods + 1) * sizeof *w->pods);
    w->scalar = malloc((node->requested.n_scalar + 1) * sizeof *w->scalar);
    if (!w->pods || !w->scalar) { free(w->pods); free(w->scalar); return -1; }
    if (node->requested.n_scalar) memcpy(w->scalar, node->requested.scalar, node->requested.n_scalar * sizeof *w->scalar);
    w->n_scalar = node->requested.n_scalar;
    w->view.requested.scalar = w->scalar;
    w->view.pods = w->pods;
    w->view.n_pods = 0;
    return 0;
}

static void work_add(work_node_t *w, const skiff_sched_pod_t *p)
{
    w->pods[w->view.n_pods++] = p;
    adjust(w, p, +1);
}

static void work_pop(work_node_t *w)
{
    adjust(w, w->pods[--w->view.n_pods], -1);
}

static void work_free(work_node_t *w)
{
    free(w->pods);
    free(w->scalar);
}

/* ---- victims on one node (SelectVictimsOnNode) -------------------------- */

/* util.MoreImportantPod: higher priority, then the earlier start. */
static int more_important(const skiff_sched_pod_t *a, const skiff_sched_pod_t *b)
{
    if (a->priority != b->priority) return a->priority > b->priority;
    int64_t sa = SKIFF_VIEW_HAS(a, skiff_sched_pod_t, start_time_ns) && a->start_time_ns ? a->start_time_ns : INT64_MAX;
    int64_t sb = SKIFF_VIEW_HAS(b, skiff_sched_pod_t, start_time_ns) && b->start_time_ns ? b->start_time_ns : INT64_MAX;
    return sa < sb;
}

static void sort_important(const skiff_sched_pod_t **v, size_t n)
{
    for (size_t i = 1; i < n; i++) { /* insertion: at most a node's pods */
        const skiff_sched_pod_t *x = v[i];
        size_t j = i;
        while (j > 0 && more_important(x, v[j - 1])) { v[j] = v[j - 1]; j--; }
        v[j] = x;
    }
}

typedef struct candidate {
    const skiff_sched_node_t *node;
    const skiff_sched_pod_t **victims; /* most important first */
    size_t n;
    size_t n_violations;        /* victims whose eviction violates a PDB */
} candidate_t;

enum { SV_OK = 0, SV_NOT_HELPFUL, SV_NO_VICTIMS, SV_FILTER, SV_OOM };

/* Preemption's what-if keeps the PreFilter state in step with the view
 * (kube's RemovePod/AddPod extensions): pods taken out of the node stop
 * counting for inter-pod (anti-)affinity and topology spread. kube clones
 * the state per node; here every pod taken out is put back in the state
 * before the next node (the extensions are exact inverses). */
typedef struct gone {
    const skiff_sched_pod_t **v; /* pods currently taken out of the state */
    size_t n;
    int on;                      /* the host has the extensions */
} gone_t;

static int gone_ext(skiff_sched_state_t *st, const skiff_sched_pod_t *pod, const skiff_sched_node_t *node,
                    const skiff_sched_pod_t *other, int add)
{
    skiff_sched_status_t s;
    skiff_sched_code_t rc = add ? st->run_add_pod(st, pod, other, node, &s) : st->run_remove_pod(st, pod, other, node, &s);
    return rc == SKIFF_SCHED_SUCCESS ? 0 : -1;
}

static int take_out(gone_t *g, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                    const skiff_sched_node_t *node, const skiff_sched_pod_t *p)
{
    if (!g->on) return 0;
    if (gone_ext(st, pod, node, p, 0) < 0) return -1;
    g->v[g->n++] = p;
    return 0;
}

static int put_back(gone_t *g, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                    const skiff_sched_node_t *node, const skiff_sched_pod_t *p)
{
    if (!g->on) return 0;
    if (gone_ext(st, pod, node, p, 1) < 0) return -1;
    for (size_t i = 0; i < g->n; i++)
        if (g->v[i] == p) { g->v[i] = g->v[--g->n]; break; }
    return 0;
}

static void restore(gone_t *g, skiff_sched_state_t *st, const skiff_sched_pod_t *pod, const skiff_sched_node_t *node)
{
    for (size_t i = 0; g->on && i < g->n; i++) gone_ext(st, pod, node, g->v[i], 1);
    g->n = 0;
}

/* 0 with c filled, or why the node is no candidate (reason in r for SV_FILTER). */
static int select_victims(skiff_sched_state_t *st, const skiff_sched_pod_t *pod, const preempt_pdbs_t *pdbs,
                          const skiff_sched_node_t *node, candidate_t *c, skiff_sched_status_t *r)
{
    /* Nodes a filter rejects for good are no use (nodesWherePreemptionMightHelp). */
    if (st->run_filters(st, pod, node, r) == SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE) return SV_NOT_HELPFUL;
    work_node_t w;
    if (work_init(&w, node) < 0) return SV_OOM;
    const skiff_sched_pod_t **lower = malloc((node->n_pods + 1) * sizeof *lower);
    gone_t g = { malloc((node->n_pods + 1) * sizeof *g.v), 0,
                 SKIFF_STATE_HAS(st, run_remove_pod) && st->run_add_pod && st->run_remove_pod };
    const skiff_sched_pod_t **viol = malloc((node->n_pods + 1) * sizeof *viol);
    const skiff_sched_pod_t **rest = malloc((node->n_pods + 1) * sizeof *rest);
    int rc = lower && g.v && viol && rest ? SV_OK : SV_OOM;
    size_t n_lower = 0, nv = 0, violations = 0;
    /* Start from the node with every lower-priority pod gone. */
    w.view.requested = node->requested;
    w.view.requested.scalar = w.scalar;
    for (size_t i = 0; rc == SV_OK && i < node->n_pods; i++) {
        const skiff_sched_pod_t *p = node->pods[i];
        if (p->priority < pod->priority) {
            lower[n_lower++] = p;
            adjust(&w, p, -1);
            if (take_out(&g, st, pod, node, p) < 0) rc = SV_OOM;
        } else {
            w.pods[w.view.n_pods++] = p;
        }
    }
    if (rc == SV_OK && n_lower == 0) rc = SV_NO_VICTIMS;
    if (rc == SV_OK && st->run_filters(st, pod, &w.view, r) != SKIFF_SCHED_SUCCESS)
        rc = r->code == SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE ? SV_NOT_HELPFUL : SV_FILTER;
    /* Put back as many as still let the pod fit, most important first:
     * those whose eviction would violate a PodDisruptionBudget before the
     * others, so the victims violate as few budgets as possible. */
    size_t n_viol = 0, n_rest = 0;
    if (rc == SV_OK) {
        sort_important(lower, n_lower);
        if (preempt_pdbs_split(pdbs, lower, n_lower, viol, &n_viol, rest, &n_rest) < 0) rc = SV_OOM;
    }
    skiff_sched_status_t tmp;
    for (size_t pass = 0; rc == SV_OK && pass < 2; pass++) {
        const skiff_sched_pod_t **list = pass ? rest : viol;
        size_t n = pass ? n_rest : n_viol;
        for (size_t i = 0; rc == SV_OK && i < n; i++) {
            work_add(&w, list[i]);
            if (put_back(&g, st, pod, node, list[i]) < 0) { rc = SV_OOM; break; }
            if (st->run_filters(st, pod, &w.view, &tmp) != SKIFF_SCHED_SUCCESS) {
                work_pop(&w);
                if (take_out(&g, st, pod, node, list[i]) < 0) rc = SV_OOM;
                lower[nv++] = list[i]; /* stays a victim */
                if (!pass) violations++;
            }
        }
    }
    restore(&g, st, pod, node); /* the next node starts from the cycle's state */
    /* back in importance order when both kinds were tried */
    if (rc == SV_OK && n_viol && n_rest) sort_important(lower, nv);
    if (rc == SV_OK && nv == 0) rc = SV_NO_VICTIMS; /* fits as is: nothing to evict */
    free(g.v);
    free(viol);
    free(rest);
    work_free(&w);
    if (rc != SV_OK) { free(lower); return rc; }
    c->node = node;
    c->victims = lower;
    c->n = nv;
    c->n_violations = violations;
    return SV_OK;
}

/* ---- choosing among candidates (pickOneNodeForPreemption) --------------- */

static int64_t prio_sum(const candidate_t *c)
{
    int64_t s = 0; /* shifted so negative priorities still add up to "more" */
    for (size_t i = 0; i < c->n; i++) s += (int64_t)c->victims[i]->priority + INT32_MAX + 1;
    return s;
}

/* Earliest start among the victims of the highest priority. */
static int64_t earliest_top_start(const candidate_t *c)
{
    int64_t e = INT64_MAX;
    for (size_t i = 0; i < c->n && c->victims[i]->priority == c->victims[0]->priority; i++) {
        const skiff_sched_pod_t *v = c->victims[i];
        int64_t t = SKIFF_VIEW_HAS(v, skiff_sched_pod_t, start_time_ns) ? v->start_time_ns : 0;
        if (t && t < e) e = t;
    }
    return e == INT64_MAX ? 0 : e;
}

static size_t pick(const candidate_t *c, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++) {
        const candidate_t *a = &c[i], *b = &c[best];
        if (a->n_violations != b->n_violations) { if (a->n_violations < b->n_violations) best = i; continue; }
        int32_t pa = a->victims[0]->priority, pb = b->victims[0]->priority;
        if (pa != pb) { if (pa < pb) best = i; continue; }
        int64_t sa = prio_sum(a), sb = prio_sum(b);
        if (sa != sb) { if (sa < sb) best = i; continue; }
        if (a->n != b->n) { if (a->n < b->n) best = i; continue; }
        if (earliest_top_start(a) > earliest_top_start(b)) best = i;
    }
    return best;
}

/* ---- the message: "0/3 nodes are available: 1 ..., 2 ..." -------------- */

typedef struct hist { char reason[256]; size_t n; char text[280]; } hist_t;

static int cmp_text(const void *a, const void *b)
{
    return strcmp(((const hist_t *)a)->text, ((const hist_t *)b)->text);
}

static void hist_add(hist_t *h, size_t *n, size_t cap, const char *reasons)
{
    const char *s = reasons;
    while (s && *s) {
        const char *e = strchr(s, '\n');
        size_t l = e ? (size_t)(e - s) : strlen(s);
        if (l >= sizeof h[0].reason) l = sizeof h[0].reason - 1;
        size_t j = 0;
        for (; j < *n; j++)
            if (strlen(h[j].reason) == l && memcmp(h[j].reason, s, l) == 0) break;
        if (j == *n && *n < cap) {
            memcpy(h[j].reason, s, l);
            h[j].reason[l] = '\0';
            h[j].n = 0;
            (*n)++;
        }
        if (j < *n) h[j].n++;
        s = e ? e + 1 : s + strlen(s);
    }
}

static void hist_message(hist_t *h, size_t n, size_t n_nodes, char *out, size_t len)
{
    for (size_t j = 0; j < n; j++) snprintf(h[j].text, sizeof h[j].text, "%zu %s", h[j].n, h[j].reason);
    qsort(h, n, sizeof *h, cmp_text); /* as Go's sort.Strings */
    size_t o = (size_t)snprintf(out, len, "preemption: 0/%zu nodes are available: ", n_nodes);
    for (size_t j = 0; j < n && o < len; j++)
        o += (size_t)snprintf(out + o, len - o, "%s%s", j ? ", " : "", h[j].text);
}

/* ---- PostFilter ---------------------------------------------------------- */

static const skiff_sched_node_t *node_named(const skiff_sched_state_t *st, const char *name)
{
    for (size_t i = 0; i < st->n_nodes; i++)
        if (strcmp(st->nodes[i]->name, name) == 0) return st->nodes[i];
    return NULL;
}

/* PodEligibleToPreemptOthers. NULL when eligible, else the reason. */
static const char *not_eligible(const skiff_sched_state_t *st, const skiff_sched_pod_t *pod)
{
    if (!SKIFF_VIEW_HAS(pod, skiff_sched_pod_t, terminating)) return NULL;
    if (pod->preempt_never) return "not eligible due to preemptionPolicy=Never";
    /* It preempted already and victims are still leaving: wait for them. */
    const skiff_sched_node_t *nn = *pod->nominated_node_name ? node_named(st, pod->nominated_node_name) : NULL;
    for (size_t i = 0; nn && i < nn->n_pods; i++) {
        const skiff_sched_pod_t *p = nn->pods[i];
        if (SKIFF_VIEW_HAS(p, skiff_sched_pod_t, terminating) && p->terminating && p->priority < pod->priority)
            return "not eligible due to a terminating pod on the nominated node";
    }
    return NULL;
}

static void preempt_post_filter(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                                skiff_sched_status_t *out)
{
    preempt_t *pe = self;
    if (!SKIFF_STATE_HAS(st, preempt) || !st->run_filters || !st->preempt) return; /* host cannot */
    const char *why = not_eligible(st, pod);
    if (why) {
        char msg[200];
        snprintf(msg, sizeof msg, "preemption: %s", why);
        skiff_sched_status_set(out, SKIFF_SCHED_UNSCHEDULABLE, msg);
        return;
    }
    size_t n_nodes = st->n_nodes;
    if (n_nodes == 0) return;
    /* How many candidates to look for (calculateNumCandidates). */
    size_t want = (size_t)((int64_t)n_nodes * pe->pct / 100);
    if (want < (size_t)pe->abs) want = (size_t)pe->abs;
    if (want > n_nodes || want == 0) want = n_nodes;
    preempt_pdbs_t pdbs;
    preempt_pdbs_load(pe->host, pe->ctx, &pdbs);
    /* room for every node: the search goes on past `want` while every
     * candidate found violates some budget */
    candidate_t *cands = calloc(n_nodes, sizeof *cands);
    hist_t *h = calloc(32, sizeof *h);
    if (!cands || !h) {
        free(cands);
        free(h);
        preempt_pdbs_free(&pdbs);
        skiff_sched_status_set(out, SKIFF_SCHED_ERROR, "preemption: out of memory");
        return;
    }
    size_t nc = 0, nh = 0, n_clean = 0, start = pe->offset % n_nodes, i = 0;
    for (; i < n_nodes && !(nc >= want && n_clean > 0); i++) {
        const skiff_sched_node_t *node = st->nodes[(start + i) % n_nodes];
        skiff_sched_status_t r = { SKIFF_SCHED_SUCCESS, "" };
        switch (select_victims(st, pod, &pdbs, node, &cands[nc], &r)) {
        case SV_OK: n_clean += cands[nc].n_violations == 0; nc++; break;
        case SV_NOT_HELPFUL: hist_add(h, &nh, 32, "Preemption is not helpful for scheduling"); break;
        case SV_NO_VICTIMS: hist_add(h, &nh, 32, "No preemption victims found for incoming pod"); break;
        case SV_FILTER: hist_add(h, &nh, 32, r.reason); break;
        default: hist_add(h, &nh, 32, "out of memory"); break;
        }
    }
    pe->offset = start + i; /* the next search goes on from here */
    if (nc == 0) {
        char msg[sizeof out->reason];
        hist_message(h, nh, n_nodes, msg, sizeof msg);
        skiff_sched_status_set(out, SKIFF_SCHED_UNSCHEDULABLE, msg);
        /* A nomination that no longer holds is cleared, as upstream does. */
        if (*pod->nominated_node_name) {
            skiff_error_t err;
            st->preempt(st, pod, "", NULL, 0, &err);
        }
    } else {
        const candidate_t *best = &cands[pick(cands, nc)];
        skiff_error_t err;
        if (st->preempt(st, pod, best->node->name, best->victims, best->n, &err) < 0) {
            char msg[sizeof out->reason];
            snprintf(msg, sizeof msg, "preemption: %.200s", err.msg);
            skiff_sched_status_set(out, SKIFF_SCHED_ERROR, msg);
        } else {
            out->code = SKIFF_SCHED_SUCCESS; /* upstream 1.32 adds no message on success */
            out->reason[0] = '\0';
        }
    }
    for (size_t k = 0; k < nc; k++) free(cands[k].victims);
    free(cands);
    free(h);
    preempt_pdbs_free(&pdbs);
}

static const skiff_scheduler_ops_t preempt_ops = {
    .size = sizeof(skiff_scheduler_ops_t),
    .post_filter = preempt_post_filter,
};

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_SCHEDULER,
    .name = "default-preemption",
    .version = "0.1.0",
    .description = "PostFilter: evict lower-priority pods so a pending pod fits (Kubernetes' DefaultPreemption)",
    .config = preempt_keys,
    .instance_size = sizeof(preempt_t),
    .init = preempt_init,
    .ops = &preempt_ops,
};
