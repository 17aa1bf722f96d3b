/* One scheduling cycle of a profile up to choosing a node: PreFilter,
 * Filter over the snapshot (in parallel, stopping once enough feasible nodes
 * are found, starting where the last cycle stopped), PostFilter, PreScore,
 * Score + NormalizeScore with weights, and the pick (highest total, ties
 * broken uniformly at random as kube-scheduler's selectHost does). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched/sched_int.h"

static void *state_get(const skiff_sched_state_t *st, const void *self)
{
    const sched_cycle_t *cy = (const sched_cycle_t *)st;
    for (size_t i = 0; i < cy->n_slots; i++)
        if (cy->slots[i].key == self) return cy->slots[i].data;
    return NULL;
}

static int state_put(skiff_sched_state_t *st, const void *self, void *data, void (*free_fn)(void *))
{
    sched_cycle_t *cy = (sched_cycle_t *)st;
    for (size_t i = 0; i < cy->n_slots; i++)
        if (cy->slots[i].key == self) {
            if (cy->slots[i].free_fn && cy->slots[i].data != data) cy->slots[i].free_fn(cy->slots[i].data);
            cy->slots[i].data = data;
            cy->slots[i].free_fn = free_fn;
            return 0;
        }
    if (cy->n_slots == sizeof cy->slots / sizeof cy->slots[0]) {
        if (free_fn) free_fn(data);
        return SKIFF_E_FULL;
    }
    cy->slots[cy->n_slots++] = (sched_slot_t){ self, data, free_fn };
    return 0;
}

static size_t state_pods_with_label(const skiff_sched_state_t *st, const char *key,
                                    const char *value, const skiff_sched_pod_t *const **pods,
                                    const skiff_sched_node_t *const **nodes)
{
    const sched_cycle_t *cy = (const sched_cycle_t *)st;
    if (cy->cache) return sched_label_lookup(cy->cache, key, value, pods, nodes);
    /* A test state: walk the nodes into the cycle's scratch arrays. */
    sched_cycle_t *m = (sched_cycle_t *)cy;
    size_t n = 0;
    for (size_t i = 0; i < st->n_nodes; i++)
        for (size_t j = 0; j < st->nodes[i]->n_pods; j++) {
            const skiff_sched_pod_t *p = st->nodes[i]->pods[j];
            const char *v = skiff_sched_label(p->labels, p->n_labels, key);
            if (!v || strcmp(v, value) != 0) continue;
            if (n == m->t_cap) {
                size_t cap = m->t_cap ? m->t_cap * 2 : 16;
                const skiff_sched_pod_t **a = realloc(m->t_pods, cap * sizeof *a);
                if (!a) return n;
                m->t_pods = a;
                const skiff_sched_node_t **b = realloc(m->t_nodes, cap * sizeof *b);
                if (!b) return n;
                m->t_nodes = b;
                m->t_cap = cap;
            }
            m->t_pods[n] = p;
            m->t_nodes[n] = st->nodes[i];
            n++;
        }
    *pods = m->t_pods;
    *nodes = m->t_nodes;
    return n;
}

static int state_each_term_for(const skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                               int (*fn)(void *, const skiff_sched_pod_t *, const skiff_sched_node_t *, int, size_t),
                               void *ud)
{
    const sched_cycle_t *cy = (const sched_cycle_t *)st;
    if (cy->cache) return sched_terms_each(cy->cache, pod, fn, ud);
    /* A test state: every term of every pod on the nodes. */
    for (size_t k = 0; k < st->n_nodes; k++)
        for (size_t j = 0; j < st->nodes[k]->n_pods; j++) {
            const skiff_sched_pod_t *o = st->nodes[k]->pods[j];
            int rc = 0;
            for (size_t t = 0; t < o->anti_affinity.n_required && !rc; t++)
                rc = fn(ud, o, st->nodes[k], SKIFF_SCHED_TERM_REQUIRED_ANTI, t);
            for (size_t t = 0; t < o->affinity.n_preferred && !rc; t++)
                rc = fn(ud, o, st->nodes[k], SKIFF_SCHED_TERM_PREFERRED_AFFINITY, t);
            for (size_t t = 0; t < o->anti_affinity.n_preferred && !rc; t++)
                rc = fn(ud, o, st->nodes[k], SKIFF_SCHED_TERM_PREFERRED_ANTI, t);
            if (rc) return rc;
        }
    return 0;
}

#define HAS(ops, f) SKIFF_OPS_HAS((ops), skiff_scheduler_ops_t, f)

/* PreFilter extensions for PostFilter plugins (preemption's what-if): the
 * plugins whose pre_filter did not skip update their state. */
static skiff_sched_code_t state_run_pod_ext(skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                                            const skiff_sched_pod_t *other, const skiff_sched_node_t *node,
                                            int add, skiff_sched_status_t *out)
{
    sched_cycle_t *cy = (sched_cycle_t *)st;
    const sched_profile_t *prof = cy->prof;
    out->code = SKIFF_SCHED_SUCCESS;
    out->reason[0] = '\0';
    for (size_t k = 0; prof && k < prof->n_plugins; k++) {
        const skiff_scheduler_ops_t *ops = prof->plugins[k].ops;
        if (cy->skip_filter[k] || !(add ? HAS(ops, pre_filter_add_pod) : HAS(ops, pre_filter_remove_pod))) continue;
        skiff_sched_status_t s = { SKIFF_SCHED_SUCCESS, "" };
        (add ? ops->pre_filter_add_pod : ops->pre_filter_remove_pod)(prof->plugins[k].self, st, pod, other, node, &s);
        if (s.code == SKIFF_SCHED_SUCCESS || s.code == SKIFF_SCHED_SKIP) continue;
        *out = s;
        break;
    }
    return out->code;
}

static skiff_sched_code_t run_filter_plugins(sched_cycle_t *cy, const skiff_sched_pod_t *pod,
                                             const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    const sched_profile_t *prof = cy->prof;
    out->code = SKIFF_SCHED_SUCCESS;
    out->reason[0] = '\0';
    for (size_t k = 0; prof && k < prof->n_plugins; k++) {
        const skiff_scheduler_ops_t *ops = prof->plugins[k].ops;
        if (!HAS(ops, filter) || cy->skip_filter[k]) continue;
        skiff_sched_status_t s = { SKIFF_SCHED_SUCCESS, "" };
        ops->filter(prof->plugins[k].self, &cy->st, pod, node, &s);
        if (s.code == SKIFF_SCHED_SUCCESS || s.code == SKIFF_SCHED_SKIP) continue;
        *out = s;
        if (!out->reason[0]) snprintf(out->reason, sizeof out->reason, "%s", prof->plugins[k].name);
        break;
    }
    return out->code;
}

/* For PostFilter plugins (preemption): every Filter of the profile on a node
 * view the caller may have built, as kube's RunFilterPluginsWithNominatedPods:
 * first with the pods nominated there (of at least the pod's priority) added
 * to the view and to the PreFilter state (addGENominatedPods), then, if that
 * passed, without them (they may never land: the pod must fit either way). */
static skiff_sched_code_t state_run_filters(skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                                            const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    sched_cycle_t *cy = (sched_cycle_t *)st;
    skiff_sched_node_t tmp;
    void *scratch = NULL;
    const skiff_sched_node_t *with = cy->cache ? sched_nominated_view(cy->cache, node, cy->pod, &tmp, &scratch) : node;
    if (!scratch) return run_filter_plugins(cy, pod, node, out);
    skiff_sched_status_t ign;
    for (size_t i = node->n_pods; i < with->n_pods; i++) state_run_pod_ext(st, pod, with->pods[i], with, 1, &ign);
    skiff_sched_code_t rc = run_filter_plugins(cy, pod, with, out);
    for (size_t i = node->n_pods; i < with->n_pods; i++) state_run_pod_ext(st, pod, with->pods[i], with, 0, &ign);
    free(scratch);
    if (rc == SKIFF_SCHED_SUCCESS) rc = run_filter_plugins(cy, pod, node, out);
    return rc;
}

static skiff_sched_code_t state_run_add_pod(skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                                            const skiff_sched_pod_t *other, const skiff_sched_node_t *node,
                                            skiff_sched_status_t *out)
{
    return state_run_pod_ext(st, pod, other, node, 1, out);
}

static skiff_sched_code_t state_run_remove_pod(skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                                               const skiff_sched_pod_t *other, const skiff_sched_node_t *node,
                                               skiff_sched_status_t *out)
{
    return state_run_pod_ext(st, pod, other, node, 0, out);
}

void sched_cycle_init(sched_cycle_t *cy, const skiff_sched_handle_t *h, sched_cache_t *c,
                      const sched_profile_t *prof, sched_pod_rec_t *pod)
{
    memset(cy, 0, sizeof *cy);
    cy->st.size = sizeof cy->st;
    cy->st.handle = h;
    cy->st.nodes = c->snap;
    cy->st.n_nodes = c->n_list;
    cy->st.n_pods_with_affinity = c->n_affinity;
    cy->st.pods_with_label = state_pods_with_label;
    cy->st.each_term_for = state_each_term_for;
    cy->st.nodes_generation = c->node_gen;
    cy->st.affinity_nodes = c->aff_snap;
    cy->st.n_affinity_nodes = c->n_aff_nodes;
    cy->cache = c;
    cy->st.state_get = state_get;
    cy->st.state_put = state_put;
    cy->prof = prof;
    cy->pod = pod;
    cy->st.run_filters = prof ? state_run_filters : NULL;
    cy->st.run_add_pod = prof ? state_run_add_pod : NULL;
    cy->st.run_remove_pod = prof ? state_run_remove_pod : NULL;
    cy->st.preempt = h ? sched_state_preempt : NULL;
}

void sched_cycle_clear(sched_cycle_t *cy)
{
    for (size_t i = 0; i < cy->n_slots; i++)
        if (cy->slots[i].free_fn) cy->slots[i].free_fn(cy->slots[i].data);
    cy->n_slots = 0;
    free(cy->t_pods);
    free(cy->t_nodes);
    cy->t_pods = NULL;
    cy->t_nodes = NULL;
    cy->t_cap = 0;
}

static int fw_reserve(sched_fw_t *fw, size_t n_nodes, size_t n_plugins, size_t n_feasible)
{
    if (n_nodes > fw->cap) {
        size_t cap = n_nodes + n_nodes / 2 + 16;
        char(*r)[256] = realloc(fw->reason, cap * sizeof *r);
        if (!r) return -1;
        fw->reason = r;
        unsigned char *v = realloc(fw->visited, cap);
        if (!v) return -1;
        fw->visited = v;
        size_t *f = realloc(fw->feasible, cap * sizeof *f);
        if (!f) return -1;
        fw->feasible = f;
        const skiff_sched_node_t **fn = realloc(fw->fnodes, cap * sizeof *fn);
        if (!fn) return -1;
        fw->fnodes = fn;
        int64_t *t = realloc(fw->total, cap * sizeof *t);
        if (!t) return -1;
        fw->total = t;
        fw->cap = cap;
    }
    size_t need = (n_plugins ? n_plugins : 1) * (n_feasible ? n_feasible : 1);
    if (need > fw->cap_scores) {
        int64_t *s = realloc(fw->scores, need * sizeof *s);
        if (!s) return -1;
        fw->scores = s;
        fw->cap_scores = need;
    }
    return 0;
}

typedef struct filter_job {
    sched_fw_t *fw;
    sched_cycle_t *cy;
    sched_cache_t *c;
    size_t start, n, to_find;
} filter_job_t;

#define FILTER_CHUNK 32 /* at most; the pool's chunk is the same */

static void filter_error(sched_fw_t *fw, const char *plugin, const char *reason)
{
    if (atomic_exchange(&fw->error, 1) == 0)
        snprintf(fw->error_msg, sizeof fw->error_msg, "running \"%s\" filter plugin: %s", plugin, reason);
    atomic_store(&fw->stop, 1);
}

/* Node `idx` failed plugin `name` (st): an error stops the cycle (-1);
 * otherwise the node is marked failed with its reason (the plugin's name
 * when it gave none). */
static int node_failed(sched_fw_t *fw, size_t idx, const char *name, const skiff_sched_status_t *st)
{
    if (st->code == SKIFF_SCHED_ERROR) {
        filter_error(fw, name, st->reason);
        return -1;
    }
    fw->visited[idx] = SCHED_NODE_FAILED;
    char *r = fw->reason[idx];
    if (st->reason[0]) {
        size_t l = strnlen(st->reason, sizeof st->reason - 1);
        memcpy(r, st->reason, l);
        r[l] = '\0';
    } else {
        snprintf(r, sizeof fw->reason[0], "%s", name);
    }
    return 0;
}

/* Filter the nodes at rotation positions [begin, end) (end - begin <=
 * FILTER_CHUNK); ok[i] says whether position begin + i passed. Each plugin
 * runs over the chunk's remaining nodes before the next plugin (a node
 * leaves at its first failure, as node by node): one indirect call per
 * node and plugin with loop-invariant function and self, instead of
 * reloading both through the profile for every node. Returns -1 on a
 * plugin error (fw->error set). */
static int filter_range(filter_job_t *j, size_t begin, size_t end, unsigned char *ok)
{
    sched_fw_t *fw = j->fw;
    sched_cycle_t *cy = j->cy;
    const sched_profile_t *prof = cy->prof;
    const skiff_sched_pod_t *pod = &cy->pod->view;
    const skiff_sched_node_t *const *snap = j->c->snap;
    size_t m = end - begin, na = m;
    unsigned char pos[FILTER_CHUNK];
    const skiff_sched_node_t *nodes[FILTER_CHUNK];
    skiff_sched_node_t tmp[FILTER_CHUNK];
    void *scratch[FILTER_CHUNK];
    int nominated = j->c->n_nominated > 0;
    size_t idx0 = (j->start + begin) % j->n;
    for (size_t i = 0; i < m; i++) {
        size_t idx = idx0 + i < j->n ? idx0 + i : idx0 + i - j->n;
        pos[i] = (unsigned char)i;
        nodes[i] = snap[idx];
        ok[i] = 1;
        if (nominated) {
            scratch[i] = NULL;
            nodes[i] = sched_nominated_view(j->c, nodes[i], cy->pod, &tmp[i], &scratch[i]);
        }
    }
    if (nominated && cy->nom_ext) {
        /* Their nominated pods go into the PreFilter state too (kube's
         * addGENominatedPods on a copy of the state): one node at a time,
         * by state_run_filters, after the chunk (the cycle is serial). */
        size_t w = 0;
        for (size_t a = 0; a < na; a++)
            if (!scratch[pos[a]]) {
                pos[w] = pos[a];
                nodes[w++] = nodes[a];
            }
        na = w;
    }
    /* The next chunk's views are scattered in memory: ask for them now,
     * they arrive while this chunk is filtered. */
    size_t q = (idx0 + m) % j->n;
    for (size_t i = 0; i < FILTER_CHUNK; i++, q = q + 1 < j->n ? q + 1 : 0) {
        const char *ahead = (const char *)snap[q] + SCHED_NODE_HOT_OFF;
        __builtin_prefetch(ahead);
        __builtin_prefetch(ahead + 64);
    }
    int rc = 0;
    skiff_sched_status_t st;
    for (size_t f = 0; f < cy->n_filt && na; f++) {
        sched_filter_fn fn = fw->ffn[f];
        void *self = fw->fself[f];
        size_t w = 0;
        for (size_t a = 0; a < na; a++) {
            st.code = SKIFF_SCHED_SUCCESS;
            st.reason[0] = '\0';
            fn(self, &cy->st, pod, nodes[a], &st);
            if (__builtin_expect(st.code == SKIFF_SCHED_SUCCESS || st.code == SKIFF_SCHED_SKIP, 1)) {
                pos[w] = pos[a];
                nodes[w] = nodes[a];
                w++;
                continue;
            }
            size_t i = pos[a], idx = idx0 + i < j->n ? idx0 + i : idx0 + i - j->n;
            ok[i] = 0;
            if ((rc = node_failed(fw, idx, prof->plugins[cy->filt[f]].name, &st)) < 0) goto out;
        }
        na = w;
    }
    if (nominated) {
        /* kube's RunFilterPluginsWithNominatedPods: a node that passed with
         * the nominated pods counted passes again without them, which may
         * never land (a pod whose affinity only a nominated pod satisfies
         * must not go there). */
        size_t w = 0;
        for (size_t a = 0; a < na; a++) {
            size_t i = pos[a], idx = idx0 + i < j->n ? idx0 + i : idx0 + i - j->n;
            size_t f = 0;
            for (; scratch[i] && f < cy->n_filt; f++) {
                st.code = SKIFF_SCHED_SUCCESS;
                st.reason[0] = '\0';
                fw->ffn[f](fw->fself[f], &cy->st, pod, snap[idx], &st);
                if (st.code != SKIFF_SCHED_SUCCESS && st.code != SKIFF_SCHED_SKIP) break;
            }
            if (!scratch[i] || f == cy->n_filt) {
                pos[w++] = pos[a];
                continue;
            }
            ok[i] = 0;
            if ((rc = node_failed(fw, idx, prof->plugins[cy->filt[f]].name, &st)) < 0) goto out;
        }
        na = w;
    }
    for (size_t a = 0; a < na; a++) {
        size_t i = pos[a];
        fw->visited[idx0 + i < j->n ? idx0 + i : idx0 + i - j->n] = SCHED_NODE_PASSED;
    }
    for (size_t i = 0; nominated && cy->nom_ext && i < m; i++) {
        if (!scratch[i]) continue;
        size_t idx = idx0 + i < j->n ? idx0 + i : idx0 + i - j->n;
        skiff_sched_code_t code = state_run_filters(&cy->st, pod, snap[idx], &st);
        if (code == SKIFF_SCHED_SUCCESS || code == SKIFF_SCHED_SKIP) {
            fw->visited[idx] = SCHED_NODE_PASSED;
            continue;
        }
        ok[i] = 0;
        if ((rc = node_failed(fw, idx, "filter", &st)) < 0) goto out;
    }
out:
    if (nominated)
        for (size_t i = 0; i < m; i++) free(scratch[i]);
    return rc;
}

/* One node alone (the nominated node's check). */
static int filter_one(sched_fw_t *fw, sched_cycle_t *cy, sched_cache_t *c, size_t idx)
{
    filter_job_t one = { fw, cy, c, idx, c->n_list, 1 };
    unsigned char ok;
    return filter_range(&one, 0, 1, &ok) == 0 && ok;
}

/* One chunk on the pool (parallel filtering): feasible nodes are gathered
 * locally and published with one atomic add, so workers do not fight over
 * a counter per node. Processed nodes are counted as kube-scheduler counts
 * them (feasible nodes kept + failed nodes seen); a chunk that crosses the
 * target counts its failures before the first node it could not keep. */
static void filter_chunk(void *ud, size_t begin, size_t end, int worker)
{
    (void)worker;
    filter_job_t *j = ud;
    sched_fw_t *fw = j->fw;
    unsigned char ok[FILTER_CHUNK];
    size_t local[FILTER_CHUNK], nl = 0;
    if (filter_range(j, begin, end, ok) < 0) return;
    for (size_t i = 0; i < end - begin; i++)
        if (ok[i]) {
            size_t idx = j->start + begin + i;
            local[nl++] = idx < j->n ? idx : idx - j->n;
        }
    size_t f = nl ? atomic_fetch_add(&fw->n_feasible, nl) : 0;
    size_t keep = !nl ? 0 : f >= j->to_find ? 0 : j->to_find - f < nl ? j->to_find - f : nl;
    size_t counted = 0, kept = 0;
    for (size_t i = 0; i < end - begin; i++, counted++)
        if (ok[i] && kept++ == keep) break; /* the first feasible node past the target */
    atomic_fetch_add(&fw->n_processed, counted);
    for (size_t k = 0; k < keep; k++) fw->feasible[f + k] = local[k];
    if (nl && f + nl >= j->to_find) atomic_store(&fw->stop, 1);
}

/* Filtering on the scheduling thread alone, exactly as kube-scheduler's
 * findNodesThatPassFilters behaves with one worker: nodes in rotation order
 * until one more feasible node than needed turns up (it is dropped, and the
 * nodes seen before it count as processed). The last chunks shrink to what
 * is still needed, so no more nodes are filtered than kube-scheduler does. */
static void filter_serial(filter_job_t *j)
{
    sched_fw_t *fw = j->fw;
    unsigned char ok[FILTER_CHUNK];
    size_t found = 0, processed = 0, p = 0;
    while (p < j->n) {
        size_t len = j->to_find - found + 1;
        if (len > FILTER_CHUNK) len = FILTER_CHUNK;
        if (len > j->n - p) len = j->n - p;
        if (filter_range(j, p, p + len, ok) < 0) return;
        for (size_t i = 0; i < len; i++) {
            if (ok[i]) {
                if (found == j->to_find) goto done;
                size_t idx = j->start + p + i; /* < 2n: no division */
                fw->feasible[found++] = idx < j->n ? idx : idx - j->n;
            }
            processed++;
        }
        p += len;
    }
done:
    atomic_store(&fw->n_feasible, found);
    atomic_store(&fw->n_processed, processed);
}

typedef struct score_job {
    sched_fw_t *fw;
    sched_cycle_t *cy;
    size_t nf;
} score_job_t;

/* Plugin by plugin over the chunk (function and self stay in registers). */
static void score_chunk(void *ud, size_t begin, size_t end, int worker)
{
    (void)worker;
    score_job_t *j = ud;
    sched_fw_t *fw = j->fw;
    sched_cycle_t *cy = j->cy;
    const skiff_sched_pod_t *pod = &cy->pod->view;
    const skiff_sched_node_t *const *nodes = fw->fnodes;
    skiff_sched_status_t s;
    for (size_t f = 0; f < cy->n_scor; f++) {
        sched_score_fn fn = fw->sfn[f];
        void *self = fw->sself[f];
        int64_t *out = &fw->scores[f * j->nf];
        for (size_t i = begin; i < end; i++) {
            s.code = SKIFF_SCHED_SUCCESS;
            s.reason[0] = '\0';
            int64_t v = fn(self, &cy->st, pod, nodes[i], &s);
            if (__builtin_expect(s.code == SKIFF_SCHED_ERROR, 0)) {
                if (atomic_exchange(&fw->error, 1) == 0)
                    snprintf(fw->error_msg, sizeof fw->error_msg, "running \"%s\" score plugin: %s",
                             cy->prof->plugins[cy->scor[f]].name, s.reason);
                v = 0;
            }
            out[i] = v;
        }
    }
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

static int fail_error(sched_fw_result_t *res, const char *msg)
{
    res->code = SKIFF_SCHED_ERROR;
    res->message = strdup(msg);
    return 0;
}

int sched_fw_schedule(sched_fw_t *fw, sched_cache_t *c, sched_cycle_t *cy, sched_fw_result_t *res)
{
    memset(res, 0, sizeof *res);
    const sched_profile_t *prof = cy->prof;
    const skiff_sched_pod_t *pod = &cy->pod->view;
    size_t n = c->n_list;
    char buf[400];
    if (n == 0) {
        res->code = SKIFF_SCHED_UNSCHEDULABLE;
        res->message = strdup("no nodes available to schedule pods");
        return 0;
    }
    if (fw_reserve(fw, n, prof->n_plugins, n) < 0) return fail_error(res, "out of memory");

    /* PreFilter */
    for (size_t k = 0; k < prof->n_plugins; k++) {
        const skiff_scheduler_ops_t *ops = prof->plugins[k].ops;
        if (!HAS(ops, pre_filter)) continue;
        skiff_sched_status_t s = { SKIFF_SCHED_SUCCESS, "" };
        ops->pre_filter(prof->plugins[k].self, &cy->st, pod, &s);
        if (s.code == SKIFF_SCHED_SKIP) { cy->skip_filter[k] = 1; continue; }
        if (s.code == SKIFF_SCHED_SUCCESS) continue;
        if (s.code == SKIFF_SCHED_UNSCHEDULABLE || s.code == SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE) {
            res->code = s.code;
            res->message = skiff_sched_fit_message(n, NULL, 0, s.reason[0] ? s.reason : prof->plugins[k].name, NULL);
            return 0;
        }
        snprintf(buf, sizeof buf, "running PreFilter plugin \"%s\": %s", prof->plugins[k].name, s.reason);
        return fail_error(res, buf);
    }

    /* Filter */
    size_t to_find = skiff_sched_nodes_to_find(n, prof->percentage);
    memset(fw->visited, SCHED_NODE_UNSEEN, n);
    atomic_store(&fw->stop, 0);
    atomic_store(&fw->error, 0);
    cy->n_filt = 0;
    for (size_t k = 0; k < prof->n_plugins; k++)
        if (HAS(prof->plugins[k].ops, filter) && !cy->skip_filter[k]) {
            fw->ffn[cy->n_filt] = prof->plugins[k].ops->filter;
            fw->fself[cy->n_filt] = prof->plugins[k].self;
            cy->filt[cy->n_filt++] = (unsigned char)k;
        }
    cy->nom_ext = 0;
    for (size_t k = 0; c->n_nominated && k < prof->n_plugins && !cy->nom_ext; k++)
        cy->nom_ext = HAS(prof->plugins[k].ops, pre_filter_add_pod) && !cy->skip_filter[k];
    if (cy->pod->nominated) {
        /* The node it preempted on first (kube-scheduler's
         * evaluateNominatedNode): if it fits there now, that is the pick. */
        sched_node_rec_t *nn = sched_map_get(&c->nodes, cy->pod->nominated);
        if (nn && nn->present) {
            if (filter_one(fw, cy, c, nn->snap_idx)) { res->node = nn; return 0; }
            if (atomic_load(&fw->error)) return fail_error(res, fw->error_msg);
        }
        memset(fw->visited, SCHED_NODE_UNSEEN, n);
    }
    atomic_store(&fw->n_feasible, 0);
    atomic_store(&fw->n_processed, 0);
    atomic_store(&fw->stop, 0);
    atomic_store(&fw->error, 0);
    size_t start = fw->next_start % n;
    filter_job_t fj = { fw, cy, c, start, n, to_find };
    size_t n_filters = cy->n_filt;
    /* Work: nodes to filter times filters. Where most nodes fail (a spread
     * constraint near its skew) far more than to_find nodes are filtered:
     * the previous cycle's count is the better guess then. */
    size_t expect = to_find < n ? to_find : n;
    if (fw->last_processed > expect) expect = fw->last_processed < n ? fw->last_processed : n;
    size_t work = expect * (n_filters ? n_filters : 1);
    if (!cy->nom_ext && sched_pool_parallel(fw->pool, work))
        sched_pool_run(fw->pool, n, work, filter_chunk, &fj, &fw->stop);
    else
        filter_serial(&fj);
    if (atomic_load(&fw->error)) return fail_error(res, fw->error_msg);
    size_t nf = atomic_load(&fw->n_feasible);
    if (nf > to_find) nf = to_find;
    fw->last_processed = atomic_load(&fw->n_processed);
    fw->next_start = (start + fw->last_processed) % n;

    if (nf == 0) {
        /* PostFilter (preemption's place): its message is appended as a hint. */
        char post[256] = "";
        for (size_t k = 0; k < prof->n_plugins; k++) {
            const skiff_scheduler_ops_t *ops = prof->plugins[k].ops;
            if (!HAS(ops, post_filter)) continue;
            skiff_sched_status_t s = { SKIFF_SCHED_UNSCHEDULABLE, "" };
            ops->post_filter(prof->plugins[k].self, &cy->st, pod, &s);
            if (s.reason[0] && !post[0]) snprintf(post, sizeof post, "%s", s.reason);
        }
        const char **reasons = malloc(n * sizeof *reasons);
        if (!reasons) return fail_error(res, "out of memory");
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (fw->visited[i] == SCHED_NODE_FAILED) reasons[m++] = fw->reason[i];
        res->code = SKIFF_SCHED_UNSCHEDULABLE;
        res->message = skiff_sched_fit_message(n, reasons, m, NULL, post);
        free(reasons);
        return 0;
    }

    if (nf == 1) { /* nothing to compare: kube-scheduler skips scoring too */
        res->node = c->list[fw->feasible[0]];
        return 0;
    }

    /* PreScore */
    cy->n_scor = 0;
    for (size_t k = 0; k < prof->n_plugins; k++) {
        const skiff_scheduler_ops_t *ops = prof->plugins[k].ops;
        if (!HAS(ops, score)) continue;
        if (HAS(ops, pre_score)) {
            skiff_sched_status_t s = { SKIFF_SCHED_SUCCESS, "" };
            ops->pre_score(prof->plugins[k].self, &cy->st, pod, &s);
            if (s.code == SKIFF_SCHED_SKIP) { cy->skip_score[k] = 1; continue; }
            if (s.code != SKIFF_SCHED_SUCCESS) {
                snprintf(buf, sizeof buf, "running PreScore plugin \"%s\": %s", prof->plugins[k].name, s.reason);
                return fail_error(res, buf);
            }
        }
        fw->sfn[cy->n_scor] = ops->score;
        fw->sself[cy->n_scor] = prof->plugins[k].self;
        cy->scor[cy->n_scor++] = (unsigned char)k;
    }

    memset(fw->total, 0, nf * sizeof *fw->total);
    if (cy->n_scor) {
        if (fw_reserve(fw, n, prof->n_plugins, nf) < 0) return fail_error(res, "out of memory");
        for (size_t i = 0; i < nf; i++) fw->fnodes[i] = c->snap[fw->feasible[i]];
        score_job_t sj = { fw, cy, nf };
        atomic_store(&fw->error, 0);
        sched_pool_run(fw->pool, nf, nf * cy->n_scor, score_chunk, &sj, NULL);
        if (atomic_load(&fw->error)) return fail_error(res, fw->error_msg);
        for (size_t f = 0; f < cy->n_scor; f++) {
            size_t k = cy->scor[f];
            const skiff_scheduler_ops_t *ops = prof->plugins[k].ops;
            int64_t *sc = &fw->scores[f * nf];
            if (HAS(ops, normalize_score)) {
                skiff_sched_status_t s = { SKIFF_SCHED_SUCCESS, "" };
                ops->normalize_score(prof->plugins[k].self, &cy->st, pod, sc, nf, &s);
                if (s.code == SKIFF_SCHED_ERROR) {
                    snprintf(buf, sizeof buf, "running NormalizeScore plugin \"%s\": %s", prof->plugins[k].name, s.reason);
                    return fail_error(res, buf);
                }
            }
            int64_t w = prof->plugins[k].weight > 0 ? prof->plugins[k].weight : 1;
            int64_t *total = fw->total;
            int bad = 0;
            for (size_t i = 0; i < nf; i++) {
                bad |= sc[i] < 0 || sc[i] > SKIFF_SCHED_MAX_SCORE;
                total[i] += sc[i] * w;
            }
            for (size_t i = 0; bad && i < nf; i++)
                if (sc[i] < 0 || sc[i] > SKIFF_SCHED_MAX_SCORE) {
                    snprintf(buf, sizeof buf, "plugin \"%s\" returns an invalid score %lld, it should in the range of [0, 100] after normalizing",
                             prof->plugins[k].name, (long long)sc[i]);
                    return fail_error(res, buf);
                }
        }
    }

    /* selectHost: the highest total; among equals each is as likely. */
    /* kube-scheduler draws once per tie (reservoir sampling); counting the
     * ties first and drawing once gives each the same chance with one
     * division per cycle instead of one per tie (a 64-bit division per node
     * was a tenth of the cycle when most nodes tie, as on an even cluster). */
    const int64_t *total = fw->total;
    int64_t top = total[0];
    size_t ties = 1;
    for (size_t i = 1; i < nf; i++) {
        if (total[i] > top) { top = total[i]; ties = 1; }
        else if (total[i] == top) ties++;
    }
    size_t best = 0, pick = ties > 1 ? (size_t)(rng_next(&fw->rng) % ties) : 0;
    for (size_t i = 0; i < nf; i++)
        if (total[i] == top && pick-- == 0) { best = i; break; }
    res->node = c->list[fw->feasible[best]];
    return 0;
}

/* Unreserve every plugin that has it, in reverse order (idempotent ops). */
void sched_fw_unreserve(sched_cycle_t *cy, const char *node)
{
    const sched_profile_t *prof = cy->prof;
    for (size_t k = prof->n_plugins; k-- > 0;) {
        const skiff_scheduler_ops_t *ops = prof->plugins[k].ops;
        if (HAS(ops, unreserve)) ops->unreserve(prof->plugins[k].self, &cy->st, &cy->pod->view, node);
    }
}

void sched_fw_free(sched_fw_t *fw)
{
    sched_pool_free(fw->pool);
    free(fw->reason);
    free(fw->visited);
    free(fw->feasible);
    free(fw->fnodes);
    free(fw->scores);
    free(fw->total);
    memset(fw, 0, sizeof *fw);
}
