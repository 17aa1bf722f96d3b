/* scheduler/inter-pod-affinity: required and preferred pod affinity and
 * anti-affinity (kube-scheduler's InterPodAffinity). PreFilter counts, per
 * topology pair (key, value), the existing pods the incoming pod's terms
 * select and the existing pods whose anti-affinity selects the incoming
 * pod; Filter then checks a node's pairs:
 *   existing pods' anti-affinity  -> "node(s) didn't satisfy existing pods anti-affinity rules"
 *   the pod's affinity            -> "node(s) didn't match pod affinity rules" (unresolvable)
 *   the pod's anti-affinity       -> "node(s) didn't match pod anti-affinity rules"
 * A pod whose affinity selects itself may go first when no pod matches yet.
 * Score sums preferred weights (+affinity, -anti-affinity, both ways
 * between the pod and existing pods) over the node's pairs, scaled
 * min..max to 0..100. namespaceSelector other than {} is not supported
 * (the scheduler does not watch namespaces yet): such terms use
 * `namespaces` / the pod's namespace only. */
#include <stdio.h>

#include <skiff/skiff.h>

#include "../common/sched_plugin.h"

/* No settings, but an instance block all the same: `self` keys this
 * instance's slots in the cycle state, so it must be unique. */
typedef struct ipa_instance { int unused; } ipa_instance_t;

#define ERR_EXISTING "node(s) didn't satisfy existing pods anti-affinity rules"
#define ERR_AFFINITY "node(s) didn't match pod affinity rules"
#define ERR_ANTI "node(s) didn't match pod anti-affinity rules"

typedef struct ipa_state {
    sp_counts_t existing_anti;   /* pairs where an existing pod's anti-affinity selects us */
    sp_counts_t affinity;        /* pairs with pods matching all our affinity terms */
    sp_counts_t anti;            /* pairs with pods matching our anti-affinity terms */
    sp_counts_t score;           /* preferred weights per pair */
} ipa_state_t;

static void ipa_state_free(void *p)
{
    ipa_state_t *s = p;
    if (!s) return;
    sp_counts_free(&s->existing_anti);
    sp_counts_free(&s->affinity);
    sp_counts_free(&s->anti);
    sp_counts_free(&s->score);
    free(s);
}

static ipa_state_t *ipa_state_new(void)
{
    ipa_state_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    if (sp_counts_init(&s->existing_anti, 16) < 0 || sp_counts_init(&s->affinity, 16) < 0 ||
        sp_counts_init(&s->anti, 16) < 0 || sp_counts_init(&s->score, 16) < 0) {
        ipa_state_free(s);
        return NULL;
    }
    return s;
}

static int add_pair(sp_counts_t *c, const skiff_sched_node_t *node, const char *key, int64_t d)
{
    const char *v = skiff_sched_label(node->labels, node->n_labels, key);
    return v ? sp_counts_add(c, key, v, d) : 0;
}

static int pod_matches_all(const skiff_sched_pod_term_t *t, size_t n, const char *ns,
                           const skiff_sched_pod_t *other)
{
    for (size_t i = 0; i < n; i++)
        if (!sp_term_selects(&t[i], ns, other)) return 0;
    return n > 0;
}

typedef struct ipa_walk {
    ipa_state_t *s;
    const skiff_sched_pod_t *pod;
    const skiff_sched_pod_term_t *term;  /* one term, or */
    const skiff_sched_pod_term_t *all;   /* every affinity term (count pods matching all) */
    size_t n_all;
    sp_counts_t *into;
    int64_t delta;
} ipa_walk_t;

static int ipa_walk_one(void *ud, const skiff_sched_pod_t *o, const skiff_sched_node_t *node)
{
    ipa_walk_t *w = ud;
    if (w->all) {
        if (!pod_matches_all(w->all, w->n_all, w->pod->namespace_, o)) return 0;
        for (size_t t = 0; t < w->n_all; t++)
            if (add_pair(w->into, node, w->all[t].topology_key, w->delta) < 0) return -1;
        return 0;
    }
    if (!sp_term_selects(w->term, w->pod->namespace_, o)) return 0;
    return add_pair(w->into, node, w->term->topology_key, w->delta) < 0 ? -1 : 0;
}

/* Existing pods' terms that select the incoming pod, from the host's term
 * index: required anti-affinity into existing_anti (filter), preferred
 * terms into score (+/- weight). */
typedef struct ipa_terms_walk {
    ipa_state_t *s;
    const skiff_sched_pod_t *pod;
    int scoring;
} ipa_terms_walk_t;

static int ipa_term_one(void *ud, const skiff_sched_pod_t *o, const skiff_sched_node_t *node,
                        int kind, size_t i)
{
    ipa_terms_walk_t *w = ud;
    if (!w->scoring && kind == SKIFF_SCHED_TERM_REQUIRED_ANTI && i < o->anti_affinity.n_required &&
        sp_term_selects(&o->anti_affinity.required[i], o->namespace_, w->pod))
        return add_pair(&w->s->existing_anti, node, o->anti_affinity.required[i].topology_key, 1) < 0 ? -1 : 0;
    if (w->scoring && kind == SKIFF_SCHED_TERM_PREFERRED_AFFINITY && i < o->affinity.n_preferred &&
        sp_term_selects(&o->affinity.preferred[i].term, o->namespace_, w->pod))
        return add_pair(&w->s->score, node, o->affinity.preferred[i].term.topology_key,
                        o->affinity.preferred[i].weight) < 0 ? -1 : 0;
    if (w->scoring && kind == SKIFF_SCHED_TERM_PREFERRED_ANTI && i < o->anti_affinity.n_preferred &&
        sp_term_selects(&o->anti_affinity.preferred[i].term, o->namespace_, w->pod))
        return add_pair(&w->s->score, node, o->anti_affinity.preferred[i].term.topology_key,
                        -o->anti_affinity.preferred[i].weight) < 0 ? -1 : 0;
    return 0;
}

static int ipa_has_term_index(const skiff_sched_state_t *st)
{
    return SKIFF_STATE_HAS(st, each_term_for) && st->each_term_for != NULL;
}

static void ipa_pre_filter(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                           skiff_sched_status_t *out)
{
    const skiff_sched_pod_affinity_t *aff = &pod->affinity, *anti = &pod->anti_affinity;
    int mine = aff->n_required || anti->n_required;
    int theirs = st->n_pods_with_affinity > 0;
    if (!mine && !theirs) { out->code = SKIFF_SCHED_SKIP; return; }
    ipa_state_t *s = ipa_state_new();
    int rc = s ? 0 : -1;
    /* Existing pods whose required anti-affinity selects this pod. */
    size_t na = 0;
    const skiff_sched_node_t *const *an = NULL;
    if (rc == 0 && theirs && ipa_has_term_index(st)) {
        ipa_terms_walk_t tw = { s, pod, 0 };
        rc = st->each_term_for(st, pod, ipa_term_one, &tw);
    } else {
        an = sp_affinity_nodes(st, &na);
    }
    for (size_t k = 0; k < na && rc == 0 && theirs; k++) {
        const skiff_sched_node_t *node = an[k];
        if (!node->n_pods_with_affinity) continue;
        for (size_t j = 0; j < node->n_pods && rc == 0; j++) {
            const skiff_sched_pod_t *o = node->pods[j];
            for (size_t t = 0; t < o->anti_affinity.n_required && rc == 0; t++)
                if (sp_term_selects(&o->anti_affinity.required[t], o->namespace_, pod))
                    rc = add_pair(&s->existing_anti, node, o->anti_affinity.required[t].topology_key, 1);
        }
    }
    /* Pods this pod's required terms select, from their candidates. */
    if (rc == 0 && aff->n_required) {
        ipa_walk_t w = { s, pod, NULL, aff->required, aff->n_required, &s->affinity, 1 };
        rc = sp_each_candidate(st, &aff->required[0].selector, ipa_walk_one, &w);
    }
    for (size_t t = 0; t < anti->n_required && rc == 0; t++) {
        ipa_walk_t w = { s, pod, &anti->required[t], NULL, 0, &s->anti, 1 };
        rc = sp_each_candidate(st, &anti->required[t].selector, ipa_walk_one, &w);
    }
    /* No existing pod's anti-affinity selects this pod and it has no
     * required terms of its own: the filter passes every node (kube-
     * scheduler's PreFilter returns Skip here too). */
    if (rc == 0 && !mine && s->existing_anti.len == 0) { ipa_state_free(s); out->code = SKIFF_SCHED_SKIP; return; }
    if (rc < 0 || st->state_put(st, self, s, ipa_state_free) < 0)
        skiff_sched_status_set(out, SKIFF_SCHED_ERROR, "out of memory counting pod affinity");
}

static void ipa_filter(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                       const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    const ipa_state_t *s = st->state_get(st, self);
    if (!s) { skiff_sched_status_set(out, SKIFF_SCHED_ERROR, "no PreFilter state"); return; }
    if (s->existing_anti.len)
        for (size_t i = 0; i < node->n_labels; i++)
            if (sp_counts_get(&s->existing_anti, node->labels[i].key, node->labels[i].value) > 0) {
                skiff_sched_status_set(out, SKIFF_SCHED_UNSCHEDULABLE, ERR_EXISTING);
                return;
            }
    const skiff_sched_pod_affinity_t *aff = &pod->affinity, *anti = &pod->anti_affinity;
    if (aff->n_required) {
        int exist = 1;
        for (size_t t = 0; t < aff->n_required; t++) {
            const char *key = aff->required[t].topology_key;
            const char *v = skiff_sched_label(node->labels, node->n_labels, key);
            if (!v) { skiff_sched_status_set(out, SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE, ERR_AFFINITY); return; }
            if (sp_counts_get(&s->affinity, key, v) <= 0) exist = 0;
        }
        if (!exist && !(s->affinity.len == 0 &&
                        pod_matches_all(aff->required, aff->n_required, pod->namespace_, pod))) {
            skiff_sched_status_set(out, SKIFF_SCHED_UNSCHEDULABLE_UNRESOLVABLE, ERR_AFFINITY);
            return;
        }
    }
    for (size_t t = 0; t < anti->n_required; t++) {
        const char *key = anti->required[t].topology_key;
        const char *v = skiff_sched_label(node->labels, node->n_labels, key);
        if (v && sp_counts_get(&s->anti, key, v) > 0) {
            skiff_sched_status_set(out, SKIFF_SCHED_UNSCHEDULABLE, ERR_ANTI);
            return;
        }
    }
}

/* PreFilter extensions (kube's updateWithPod): `other` added to (mult 1)
 * or removed from (mult -1) `node`, for preemption's what-if. */
static int ipa_any_positive(const sp_counts_t *c)
{
    for (size_t i = 0; i < c->cap; i++)
        if (c->slots[i].key && c->slots[i].n > 0) return 1;
    return 0;
}

static void ipa_update(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                       const skiff_sched_pod_t *other, const skiff_sched_node_t *node, int64_t mult,
                       skiff_sched_status_t *out)
{
    ipa_state_t *s = st->state_get(st, self);
    if (!s) return; /* pre_filter skipped: nothing counted */
    int rc = 0;
    /* the other pod's required anti-affinity over this pod */
    for (size_t t = 0; t < other->anti_affinity.n_required && rc == 0; t++)
        if (sp_term_selects(&other->anti_affinity.required[t], other->namespace_, pod))
            rc = add_pair(&s->existing_anti, node, other->anti_affinity.required[t].topology_key, mult);
    /* this pod's required affinity (all terms) and anti-affinity over it */
    const skiff_sched_pod_affinity_t *aff = &pod->affinity, *anti = &pod->anti_affinity;
    if (pod_matches_all(aff->required, aff->n_required, pod->namespace_, other))
        for (size_t t = 0; t < aff->n_required && rc == 0; t++)
            rc = add_pair(&s->affinity, node, aff->required[t].topology_key, mult);
    for (size_t t = 0; t < anti->n_required && rc == 0; t++)
        if (sp_term_selects(&anti->required[t], pod->namespace_, other))
            rc = add_pair(&s->anti, node, anti->required[t].topology_key, mult);
    /* kube deletes pairs that drop to 0; the filter's "no pod matches the
     * affinity yet" test reads an empty map, so empty it when all are 0 */
    if (rc == 0 && s->affinity.len && !ipa_any_positive(&s->affinity)) {
        sp_counts_free(&s->affinity);
        rc = sp_counts_init(&s->affinity, 16);
    }
    if (rc < 0) skiff_sched_status_set(out, SKIFF_SCHED_ERROR, "out of memory updating pod affinity counts");
}

static void ipa_add_pod(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                        const skiff_sched_pod_t *other, const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    ipa_update(self, st, pod, other, node, 1, out);
}

static void ipa_remove_pod(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                           const skiff_sched_pod_t *other, const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    ipa_update(self, st, pod, other, node, -1, out);
}

#define SCORE_KEY(self) ((const char *)(self) + 1)

static void ipa_pre_score(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                          skiff_sched_status_t *out)
{
    const skiff_sched_pod_affinity_t *aff = &pod->affinity, *anti = &pod->anti_affinity;
    int mine = aff->n_preferred || anti->n_preferred;
    int theirs = st->n_pods_with_affinity > 0;
    if (!mine && !theirs) { out->code = SKIFF_SCHED_SKIP; return; }
    ipa_state_t *s = ipa_state_new();
    int rc = s ? 0 : -1;
    for (size_t t = 0; t < aff->n_preferred && rc == 0; t++) {
        ipa_walk_t w = { s, pod, &aff->preferred[t].term, NULL, 0, &s->score, aff->preferred[t].weight };
        rc = sp_each_candidate(st, &aff->preferred[t].term.selector, ipa_walk_one, &w);
    }
    for (size_t t = 0; t < anti->n_preferred && rc == 0; t++) {
        ipa_walk_t w = { s, pod, &anti->preferred[t].term, NULL, 0, &s->score, -anti->preferred[t].weight };
        rc = sp_each_candidate(st, &anti->preferred[t].term.selector, ipa_walk_one, &w);
    }
    /* Existing pods' preferred terms over this pod. */
    size_t na = 0;
    const skiff_sched_node_t *const *an = NULL;
    if (rc == 0 && theirs && ipa_has_term_index(st)) {
        ipa_terms_walk_t tw = { s, pod, 1 };
        rc = st->each_term_for(st, pod, ipa_term_one, &tw);
    } else {
        an = sp_affinity_nodes(st, &na);
    }
    for (size_t k = 0; k < na && rc == 0 && theirs; k++) {
        const skiff_sched_node_t *node = an[k];
        if (!node->n_pods_with_affinity) continue;
        for (size_t j = 0; j < node->n_pods && rc == 0; j++) {
            const skiff_sched_pod_t *o = node->pods[j];
            for (size_t t = 0; t < o->affinity.n_preferred && rc == 0; t++)
                if (sp_term_selects(&o->affinity.preferred[t].term, o->namespace_, pod))
                    rc = add_pair(&s->score, node, o->affinity.preferred[t].term.topology_key, o->affinity.preferred[t].weight);
            for (size_t t = 0; t < o->anti_affinity.n_preferred && rc == 0; t++)
                if (sp_term_selects(&o->anti_affinity.preferred[t].term, o->namespace_, pod))
                    rc = add_pair(&s->score, node, o->anti_affinity.preferred[t].term.topology_key, -o->anti_affinity.preferred[t].weight);
        }
    }
    if (rc == 0 && s->score.len == 0) { ipa_state_free(s); out->code = SKIFF_SCHED_SKIP; return; }
    if (rc < 0 || st->state_put(st, SCORE_KEY(self), s, ipa_state_free) < 0)
        skiff_sched_status_set(out, SKIFF_SCHED_ERROR, "out of memory scoring pod affinity");
}

/* Raw sums may be negative: offset so normalize sees them ordered. */
#define OFFSET (1LL << 40)

static int64_t ipa_score(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                         const skiff_sched_node_t *node, skiff_sched_status_t *out)
{
    (void)pod; (void)out;
    const ipa_state_t *s = st->state_get(st, SCORE_KEY(self));
    int64_t sum = 0;
    for (size_t i = 0; s && i < node->n_labels; i++)
        sum += sp_counts_get(&s->score, node->labels[i].key, node->labels[i].value);
    return sum + OFFSET;
}

static void ipa_normalize(void *self, skiff_sched_state_t *st, const skiff_sched_pod_t *pod,
                          int64_t *scores, size_t n, skiff_sched_status_t *out)
{
    (void)self; (void)st; (void)pod; (void)out;
    int64_t mn = INT64_MAX, mx = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        if (scores[i] < mn) mn = scores[i];
        if (scores[i] > mx) mx = scores[i];
    }
    for (size_t i = 0; i < n; i++)
        scores[i] = mx > mn ? SKIFF_SCHED_MAX_SCORE * (scores[i] - mn) / (mx - mn) : 0;
}

static const skiff_scheduler_ops_t ipa_ops = {
    .size = sizeof(skiff_scheduler_ops_t),
    .pre_filter = ipa_pre_filter,
    .filter = ipa_filter,
    .pre_score = ipa_pre_score,
    .score = ipa_score,
    .normalize_score = ipa_normalize,
    .pre_filter_add_pod = ipa_add_pod,
    .pre_filter_remove_pod = ipa_remove_pod,
};

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_SCHEDULER,
    .name = "inter-pod-affinity",
    .version = "0.1.0",
    .description = "Filter/Score: required and preferred pod affinity and anti-affinity",
    .instance_size = sizeof(ipa_instance_t),
    .ops = &ipa_ops,
};
