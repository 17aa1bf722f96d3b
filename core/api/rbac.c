/* core/api/rbac — the RBAC index: Roles, ClusterRoles, RoleBindings and
 * ClusterRoleBindings parsed once, kept current by one store watch per
 * prefix, evaluated in memory on every request (see rbac.h).
 *
 * The objects live in plain lists; decisions go through a map rebuilt
 * after every change (RBAC writes are rare, decisions are per request):
 * subject ("C|U|alice", "R|<ns>|G|dev", "C|S|<ns>:<sa>") → the bindings
 * naming it, each with its role already resolved. A decision is then a few
 * hash lookups (the user, each group, in the cluster and in the request's
 * namespace), not a scan of every binding — a first version that scanned
 * spent 4 µs per decision in strcmp with 100 bindings (bench/auth).
 * A watch that ends (compaction, a store that fell over) marks the index
 * stale; the next request reloads it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/rbac.h"
#include "log/log.h"

enum { K_ROLE, K_CROLE, K_RB, K_CRB, K_N };
static const char *const prefixes[K_N] = {
    "/registry/roles/", "/registry/clusterroles/", "/registry/rolebindings/", "/registry/clusterrolebindings/",
};

typedef struct role {
    struct role *next;
    char *key;
    char *ns, *name;
    apisrv_rbac_rule_t *rules;
    size_t nrules;
} role_t;

typedef struct binding {
    struct binding *next;
    char *key;
    char *ns, *name;
    int cluster_role;  /* roleRef.kind ClusterRole */
    char *role;        /* roleRef.name */
    apisrv_rbac_subject_t *subs;
    size_t nsubs;
    const struct role *resolved; /* set by rebuild(); NULL = role missing */
} binding_t;

/* string key → array of pointers (open hashing) */
typedef struct mentry {
    struct mentry *next;
    uint64_t h;
    char *key;
    size_t klen;
    const void **v;
    size_t n, cap;
} mentry_t;

typedef struct map {
    mentry_t **b;
    size_t nb, n;
} map_t;

static uint64_t mhash(const char *k, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)k[i]) * 1099511628211ull;
    return h;
}

static void map_free(map_t *m)
{
    for (size_t i = 0; i < m->nb; i++)
        for (mentry_t *e = m->b[i], *nx; e; e = nx) { nx = e->next; free(e->key); free(e->v); free(e); }
    free(m->b);
    memset(m, 0, sizeof *m);
}

static const mentry_t *map_get(const map_t *m, const char *k, size_t n)
{
    if (!m->nb) return NULL;
    uint64_t h = mhash(k, n);
    for (const mentry_t *e = m->b[h & (m->nb - 1)]; e; e = e->next)
        if (e->h == h && e->klen == n && memcmp(e->key, k, n) == 0) return e;
    return NULL;
}

static int map_add(map_t *m, const char *k, size_t n, const void *v)
{
    if (!m->nb) {
        m->nb = 64;
        if (!(m->b = calloc(m->nb, sizeof *m->b))) { m->nb = 0; return -1; }
    }
    if (m->n > m->nb) {
        size_t nb = m->nb * 4;
        mentry_t **b = calloc(nb, sizeof *b);
        if (!b) return -1;
        for (size_t i = 0; i < m->nb; i++)
            for (mentry_t *e = m->b[i], *nx; e; e = nx) { nx = e->next; e->next = b[e->h & (nb - 1)]; b[e->h & (nb - 1)] = e; }
        free(m->b);
        m->b = b;
        m->nb = nb;
    }
    uint64_t h = mhash(k, n);
    mentry_t *e = (mentry_t *)map_get(m, k, n);
    if (!e) {
        if (!(e = calloc(1, sizeof *e)) || !(e->key = malloc(n ? n : 1))) { free(e); return -1; }
        memcpy(e->key, k, n);
        e->klen = n;
        e->h = h;
        e->next = m->b[h & (m->nb - 1)];
        m->b[h & (m->nb - 1)] = e;
        m->n++;
    }
    if (e->n == e->cap) {
        size_t nc = e->cap ? e->cap * 2 : 2;
        const void **nv = realloc(e->v, nc * sizeof *nv);
        if (!nv) return -1;
        e->v = nv;
        e->cap = nc;
    }
    e->v[e->n++] = v;
    return 0;
}

typedef struct feed {
    apisrv_rbac_t *r;
    int kind;
    skiff_store_watch_t *w;
} feed_t;

struct apisrv_rbac {
    const skiff_store_ops_t *ops;
    void *store;
    pthread_rwlock_t lock;
    role_t *roles[2];      /* K_ROLE, K_CROLE */
    binding_t *binds[2];   /* K_RB, K_CRB */
    int64_t rev[K_N];      /* last revision applied per prefix */
    int stale;             /* a watch ended: reload before the next decision */
    pthread_mutex_t mu;    /* with cv: waiting for rev */
    pthread_mutex_t reload_mu; /* one reload at a time */
    pthread_cond_t cv;
    feed_t feeds[K_N];
    map_t subjects;        /* subject key → bindings (rebuild()) */
    int index_broken;      /* rebuild ran out of memory: decide by scanning */
};

/* "C|U|alice", "R|<ns>|G|dev", "C|S|<ns>:<name>": a subject in the cluster
 * (ClusterRoleBindings) or in a namespace (RoleBindings). Returns the
 * length, or 0 when it does not fit. */
static size_t subject_key(char *buf, size_t len, const char *ns, char kind, const char *a, const char *b)
{
    /* memcpy, not snprintf: this runs several times per request */
    size_t nl = ns ? strlen(ns) : 0, al = strlen(a), bl = b ? strlen(b) : 0;
    size_t need = 2 + (ns ? nl + 1 : 0) + 2 + al + (b ? 1 + bl : 0);
    if (need >= len) return 0;
    char *o = buf;
    *o++ = ns ? 'R' : 'C';
    *o++ = '|';
    if (ns) { memcpy(o, ns, nl); o += nl; *o++ = '|'; }
    *o++ = kind;
    *o++ = '|';
    memcpy(o, a, al);
    o += al;
    if (b) { *o++ = ':'; memcpy(o, b, bl); o += bl; }
    *o = '\0';
    return (size_t)(o - buf);
}

static void role_free(role_t *x)
{
    if (!x) return;
    free(x->key);
    free(x->ns);
    free(x->name);
    apisrv_rbac_rules_free(x->rules, x->nrules);
    free(x);
}

static void binding_free(binding_t *b)
{
    if (!b) return;
    for (size_t i = 0; i < b->nsubs; i++) {
        free(b->subs[i].name);
        free(b->subs[i].ns);
    }
    free(b->subs);
    free(b->key);
    free(b->ns);
    free(b->name);
    free(b->role);
    free(b);
}

static const char *jstr(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b) x = cJSON_GetObjectItemCaseSensitive(x, b);
    return cJSON_IsString(x) ? x->valuestring : "";
}

static role_t *role_parse(const char *key, size_t klen, const cJSON *o)
{
    role_t *x = calloc(1, sizeof *x);
    if (!x) return NULL;
    skiff_error_t err;
    x->key = strndup(key, klen);
    x->ns = strdup(jstr(o, "metadata", "namespace"));
    x->name = strdup(jstr(o, "metadata", "name"));
    if (!x->key || !x->ns || !x->name
        || apisrv_rbac_rules_parse(cJSON_GetObjectItemCaseSensitive(o, "rules"), &x->rules, &x->nrules, &err) < 0) {
        /* validation keeps malformed rules out of the store; a role that
         * still fails to parse grants nothing */
        role_free(x);
        return NULL;
    }
    return x;
}

static binding_t *binding_parse(const char *key, size_t klen, const cJSON *o)
{
    binding_t *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->key = strndup(key, klen);
    b->ns = strdup(jstr(o, "metadata", "namespace"));
    b->name = strdup(jstr(o, "metadata", "name"));
    b->role = strdup(jstr(o, "roleRef", "name"));
    b->cluster_role = strcmp(jstr(o, "roleRef", "kind"), "ClusterRole") == 0;
    const cJSON *subs = cJSON_GetObjectItemCaseSensitive(o, "subjects"), *s;
    size_t n = cJSON_IsArray(subs) ? (size_t)cJSON_GetArraySize(subs) : 0;
    if (!b->key || !b->ns || !b->name || !b->role || (n && !(b->subs = calloc(n, sizeof *b->subs)))) {
        binding_free(b);
        return NULL;
    }
    cJSON_ArrayForEach(s, (n ? subs : NULL)) {
        const char *kind = jstr(s, "kind", NULL);
        apisrv_rbac_subject_t *x = &b->subs[b->nsubs];
        x->kind = strcmp(kind, "User") == 0 ? APISRV_SUBJ_USER
                : strcmp(kind, "Group") == 0 ? APISRV_SUBJ_GROUP
                : strcmp(kind, "ServiceAccount") == 0 ? APISRV_SUBJ_SA : 0;
        if (!x->kind) continue;
        const char *ns = jstr(s, "namespace", NULL);
        x->name = strdup(jstr(s, "name", NULL));
        x->ns = strdup(*ns ? ns : b->ns);
        b->nsubs++;
        if (!x->name || !x->ns) { binding_free(b); return NULL; }
    }
    return b;
}

static void rebuild(apisrv_rbac_t *r);

/* Replace (or with o NULL remove) the entry of `key`; caller holds the write lock. */
static void apply(apisrv_rbac_t *r, int kind, const char *key, size_t klen, const cJSON *o)
{
    if (kind == K_ROLE || kind == K_CROLE) {
        role_t **pp = &r->roles[kind == K_CROLE];
        while (*pp && !(strlen((*pp)->key) == klen && memcmp((*pp)->key, key, klen) == 0)) pp = &(*pp)->next;
        if (*pp) { role_t *d = *pp; *pp = d->next; role_free(d); }
        role_t *x = o ? role_parse(key, klen, o) : NULL;
        if (x) { x->next = r->roles[kind == K_CROLE]; r->roles[kind == K_CROLE] = x; }
        else if (o) skiff_log(SKIFF_LOG_WARN, "apiserver", "rbac: %.*s could not be indexed (out of memory or bad rules); it grants nothing", (int)klen, key);
    } else {
        binding_t **pp = &r->binds[kind == K_CRB];
        while (*pp && !(strlen((*pp)->key) == klen && memcmp((*pp)->key, key, klen) == 0)) pp = &(*pp)->next;
        if (*pp) { binding_t *d = *pp; *pp = d->next; binding_free(d); }
        binding_t *b = o ? binding_parse(key, klen, o) : NULL;
        if (b) { b->next = r->binds[kind == K_CRB]; r->binds[kind == K_CRB] = b; }
        else if (o) skiff_log(SKIFF_LOG_WARN, "apiserver", "rbac: %.*s could not be indexed (out of memory); it grants nothing", (int)klen, key);
    }
}

static void apply_kv(apisrv_rbac_t *r, int kind, const char *key, size_t klen, const void *val, size_t vlen)
{
    cJSON *o = val ? cJSON_ParseWithLength(val, vlen) : NULL;
    if (val && !o) skiff_log(SKIFF_LOG_WARN, "apiserver", "rbac: %.*s is not valid JSON; ignored", (int)klen, key);
    apply(r, kind, key, klen, o);
    cJSON_Delete(o);
}

static void on_event(void *ud, const skiff_store_event_t *ev, const skiff_error_t *err)
{
    feed_t *f = ud;
    apisrv_rbac_t *r = f->r;
    if (err || !ev) {
        skiff_log(SKIFF_LOG_WARN, "apiserver", "rbac: watch of %s ended (%s); reloading", prefixes[f->kind],
                  err ? err->msg : "closed");
        __atomic_store_n(&r->stale, 1, __ATOMIC_RELEASE);
        return;
    }
    pthread_rwlock_wrlock(&r->lock);
    if (ev->type == SKIFF_STORE_EV_PUT) apply_kv(r, f->kind, ev->kv.key, ev->kv.key_len, ev->kv.value, ev->kv.value_len);
    else apply(r, f->kind, ev->kv.key, ev->kv.key_len, NULL);
    rebuild(r);
    pthread_rwlock_unlock(&r->lock);
    pthread_mutex_lock(&r->mu);
    if (ev->kv.mod_rev > r->rev[f->kind]) r->rev[f->kind] = ev->kv.mod_rev;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

typedef struct load_ctx { apisrv_rbac_t *r; int kind; } load_ctx_t;

static int on_kv(void *ud, const skiff_store_kv_t *kv)
{
    load_ctx_t *l = ud;
    apply_kv(l->r, l->kind, kv->key, kv->key_len, kv->value, kv->value_len);
    return 0;
}

static void clear(apisrv_rbac_t *r)
{
    map_free(&r->subjects);
    for (int i = 0; i < 2; i++) {
        while (r->roles[i]) { role_t *x = r->roles[i]; r->roles[i] = x->next; role_free(x); }
        while (r->binds[i]) { binding_t *b = r->binds[i]; r->binds[i] = b->next; binding_free(b); }
    }
}

static void unwatch_all(apisrv_rbac_t *r)
{
    for (int k = 0; k < K_N; k++) {
        if (r->feeds[k].w && r->ops->unwatch) r->ops->unwatch(r->store, r->feeds[k].w);
        r->feeds[k].w = NULL;
    }
}

/* (Re)load everything at one revision and watch from just after it. */
static int load(apisrv_rbac_t *r, skiff_error_t *err)
{
    unwatch_all(r);
    int64_t rev = 0;
    pthread_rwlock_wrlock(&r->lock);
    clear(r);
    int rc = 0;
    for (int k = 0; k < K_N && rc == 0; k++) {
        load_ctx_t l = { r, k };
        skiff_store_range_req_t rq = { .key = prefixes[k], .key_len = strlen(prefixes[k]), .prefix = 1, .rev = rev };
        skiff_store_range_res_t rs;
        rc = r->ops->range(r->store, &rq, on_kv, &l, &rs, err);
        if (rc == 0 && !rev) rev = rs.rev;
    }
    rebuild(r);
    pthread_rwlock_unlock(&r->lock);
    if (rc < 0) return rc;
    pthread_mutex_lock(&r->mu);
    for (int k = 0; k < K_N; k++) if (r->rev[k] < rev) r->rev[k] = rev;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    __atomic_store_n(&r->stale, 0, __ATOMIC_RELEASE);
    for (int k = 0; k < K_N && rc == 0; k++) {
        r->feeds[k] = (feed_t){ r, k, NULL };
        rc = r->ops->watch(r->store, prefixes[k], strlen(prefixes[k]), rev + 1, on_event, &r->feeds[k], &r->feeds[k].w, err);
    }
    if (rc < 0) unwatch_all(r);
    return rc;
}

int apisrv_rbac_new(const skiff_store_ops_t *ops, void *store, apisrv_rbac_t **out, skiff_error_t *err)
{
    *out = NULL;
    apisrv_rbac_t *r = calloc(1, sizeof *r);
    if (!r) return skiff_error_set(err, -ENOMEM, "apiserver: out of memory");
    r->ops = ops;
    r->store = store;
    pthread_rwlock_init(&r->lock, NULL);
    pthread_mutex_init(&r->mu, NULL);
    pthread_mutex_init(&r->reload_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cv, &ca);
    pthread_condattr_destroy(&ca);
    int rc = load(r, err);
    if (rc < 0) { apisrv_rbac_free(r); return rc; }
    *out = r;
    return 0;
}

void apisrv_rbac_free(apisrv_rbac_t *r)
{
    if (!r) return;
    unwatch_all(r);
    clear(r);
    pthread_rwlock_destroy(&r->lock);
    pthread_mutex_destroy(&r->mu);
    pthread_mutex_destroy(&r->reload_mu);
    pthread_cond_destroy(&r->cv);
    free(r);
}

/* Read-your-writes: a binding written through this server a moment ago is
 * in the index before the next decision (or we gave it a second). */
static void catch_up(apisrv_rbac_t *r, const int64_t min_rev[4])
{
    int behind = 0;
    for (int k = 0; k < K_N; k++)
        if (min_rev[k] > __atomic_load_n(&r->rev[k], __ATOMIC_RELAXED)) behind = 1;
    if (!behind) return;
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += 1;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        behind = 0;
        for (int k = 0; k < K_N; k++) if (min_rev[k] > r->rev[k]) behind = 1;
        if (!behind || pthread_cond_timedwait(&r->cv, &r->mu, &dl) != 0) break;
    }
    pthread_mutex_unlock(&r->mu);
}

static const role_t *find_role(const apisrv_rbac_t *r, int cluster, const char *ns, const char *name)
{
    for (const role_t *x = r->roles[cluster]; x; x = x->next)
        if (strcmp(x->name, name) == 0 && (cluster || strcmp(x->ns, ns) == 0)) return x;
    return NULL;
}

/* Resolve every binding's role and map its subjects; caller holds the
 * write lock. Roles are looked up through a temporary map so a rebuild is
 * linear in the number of objects. */
static void rebuild(apisrv_rbac_t *r)
{
    map_free(&r->subjects);
    map_t roles = { 0 };
    int oom = 0;
    char k[600];
    for (int c = 0; c < 2; c++)
        for (const role_t *x = r->roles[c]; x; x = x->next) {
            size_t n = subject_key(k, sizeof k, c ? NULL : x->ns, 'r', x->name, NULL);
            if (n && map_add(&roles, k, n, x) < 0) oom = 1;
        }
    for (int c = 0; c < 2 && !oom; c++)
        for (binding_t *b = r->binds[c]; b; b = b->next) {
            size_t n = subject_key(k, sizeof k, b->cluster_role ? NULL : b->ns, 'r', b->role, NULL);
            const mentry_t *e = n ? map_get(&roles, k, n) : NULL;
            b->resolved = e ? e->v[0] : NULL;
            if (!b->resolved) continue;
            for (size_t i = 0; i < b->nsubs && !oom; i++) {
                const apisrv_rbac_subject_t *s = &b->subs[i];
                char kind = s->kind == APISRV_SUBJ_USER ? 'U' : s->kind == APISRV_SUBJ_GROUP ? 'G' : 'S';
                n = subject_key(k, sizeof k, c ? NULL : b->ns, kind, s->kind == APISRV_SUBJ_SA ? s->ns : s->name,
                                s->kind == APISRV_SUBJ_SA ? s->name : NULL);
                if (n && map_add(&r->subjects, k, n, b) < 0) oom = 1;
            }
        }
    map_free(&roles);
    r->index_broken = oom;
    if (oom) {
        map_free(&r->subjects);
        skiff_log(SKIFF_LOG_ERROR, "apiserver", "rbac: out of memory indexing bindings; deciding by scanning until the next change");
    }
}

static int binding_allows(const apisrv_rbac_t *r, const binding_t *b, const apisrv_authz_attrs_t *a)
{
    int match = 0;
    for (size_t i = 0; i < b->nsubs && !match; i++) match = apisrv_rbac_subject_matches(&b->subs[i], a);
    if (!match) return 0;
    const role_t *x = find_role(r, b->cluster_role, b->ns, b->role);
    return x && apisrv_rbac_rules_allow(x->rules, x->nrules, a);
}

/* The bindings of one subject key whose role allows a. */
static int key_allows(const apisrv_rbac_t *r, const char *k, size_t n, const apisrv_authz_attrs_t *a)
{
    const mentry_t *e = n ? map_get(&r->subjects, k, n) : NULL;
    for (size_t i = 0; e && i < e->n; i++) {
        const binding_t *b = e->v[i];
        if (b->resolved && apisrv_rbac_rules_allow(b->resolved->rules, b->resolved->nrules, a)) return 1;
    }
    return 0;
}

/* Every subject the request's user is, in the cluster and in its namespace. */
static int indexed_allows(const apisrv_rbac_t *r, const apisrv_authz_attrs_t *a)
{
    char k[600];
    static const char sa_pfx[] = "system:serviceaccount:";
    const char *sa = strncmp(a->user, sa_pfx, sizeof sa_pfx - 1) == 0 ? a->user + sizeof sa_pfx - 1 : NULL;
    /* the namespace's RoleBindings first: most grants of ordinary users are
     * there, and any allow ends the search (RBAC has no deny) */
    const char *nss[2] = { a->resource_request && a->namespace_ && *a->namespace_ ? a->namespace_ : NULL, NULL };
    for (int j = nss[0] ? 0 : 1; j < 2; j++) {
        if (key_allows(r, k, subject_key(k, sizeof k, nss[j], 'U', a->user, NULL), a)) return 1;
        for (size_t i = 0; i < a->ngroups; i++)
            if (key_allows(r, k, subject_key(k, sizeof k, nss[j], 'G', a->groups[i], NULL), a)) return 1;
        if (sa && key_allows(r, k, subject_key(k, sizeof k, nss[j], 'S', sa, NULL), a)) return 1;
    }
    return 0;
}

int apisrv_rbac_authorize(apisrv_rbac_t *r, const apisrv_authz_attrs_t *a, const int64_t min_rev[4])
{
    if (__atomic_load_n(&r->stale, __ATOMIC_ACQUIRE)) {
        pthread_mutex_lock(&r->reload_mu); /* one reload at a time; the others wait for it */
        skiff_error_t err;
        if (__atomic_load_n(&r->stale, __ATOMIC_ACQUIRE) && load(r, &err) < 0)
            skiff_log(SKIFF_LOG_ERROR, "apiserver", "rbac: reload failed: %s", err.msg);
        pthread_mutex_unlock(&r->reload_mu);
    }
    if (min_rev) catch_up(r, min_rev);
    int allowed = 0;
    pthread_rwlock_rdlock(&r->lock);
    if (!r->index_broken) {
        allowed = indexed_allows(r, a);
    } else {
        for (const binding_t *b = r->binds[1]; b && !allowed; b = b->next) allowed = binding_allows(r, b, a);
        if (a->resource_request && a->namespace_ && *a->namespace_)
            for (const binding_t *b = r->binds[0]; b && !allowed; b = b->next)
                if (strcmp(b->ns, a->namespace_) == 0) allowed = binding_allows(r, b, a);
    }
    pthread_rwlock_unlock(&r->lock);
    return allowed;
}

/* kube's authorizingVisitor: ClusterRoleBindings, then the RoleBindings of
 * the request's namespace; the first binding, subject and rule that allow
 * are described as rbac's clusterRoleBindingDescriber/roleBindingDescriber
 * do. A slow scan, for review answers only. */
int apisrv_rbac_explain(apisrv_rbac_t *r, const apisrv_authz_attrs_t *a, const int64_t min_rev[4], char *reason,
                        size_t len)
{
    if (min_rev) catch_up(r, min_rev);
    int found = 0;
    pthread_rwlock_rdlock(&r->lock);
    for (int c = 1; c >= 0 && !found; c--) {
        if (!c && !(a->resource_request && a->namespace_ && *a->namespace_)) break;
        for (const binding_t *b = r->binds[c]; b && !found; b = b->next) {
            if (!c && strcmp(b->ns, a->namespace_) != 0) continue;
            const role_t *x = find_role(r, b->cluster_role, b->ns, b->role);
            if (!x || !apisrv_rbac_rules_allow(x->rules, x->nrules, a)) continue;
            for (size_t i = 0; i < b->nsubs && !found; i++) {
                const apisrv_rbac_subject_t *sj = &b->subs[i];
                if (!apisrv_rbac_subject_matches(sj, a)) continue;
                found = 1;
                const char *kind = sj->kind == APISRV_SUBJ_USER ? "User" : sj->kind == APISRV_SUBJ_GROUP ? "Group" : "ServiceAccount";
                const char *role_kind = b->cluster_role ? "ClusterRole" : "Role";
                if (c && sj->kind == APISRV_SUBJ_SA)
                    snprintf(reason, len, "RBAC: allowed by ClusterRoleBinding \"%s\" of %s \"%s\" to %s \"%s/%s\"", b->name,
                             role_kind, b->role, kind, sj->name, sj->ns);
                else if (c)
                    snprintf(reason, len, "RBAC: allowed by ClusterRoleBinding \"%s\" of %s \"%s\" to %s \"%s\"", b->name,
                             role_kind, b->role, kind, sj->name);
                else if (sj->kind == APISRV_SUBJ_SA)
                    snprintf(reason, len, "RBAC: allowed by RoleBinding \"%s/%s\" of %s \"%s\" to %s \"%s/%s\"", b->name,
                             b->ns, role_kind, b->role, kind, sj->name, sj->ns);
                else
                    snprintf(reason, len, "RBAC: allowed by RoleBinding \"%s/%s\" of %s \"%s\" to %s \"%s\"", b->name, b->ns,
                             role_kind, b->role, kind, sj->name);
            }
        }
    }
    pthread_rwlock_unlock(&r->lock);
    return found;
}

static void key_rules(const apisrv_rbac_t *r, const char *k, size_t n,
                      void (*cb)(void *ud, const apisrv_rbac_rule_t *rule), void *ud)
{
    const mentry_t *e = n ? map_get(&r->subjects, k, n) : NULL;
    for (size_t i = 0; e && i < e->n; i++) {
        const binding_t *b = e->v[i];
        for (size_t j = 0; b->resolved && j < b->resolved->nrules; j++) cb(ud, &b->resolved->rules[j]);
    }
}

void apisrv_rbac_rules_for(apisrv_rbac_t *r, const apisrv_authz_attrs_t *a, const int64_t min_rev[4],
                           void (*cb)(void *ud, const apisrv_rbac_rule_t *rule), void *ud)
{
    if (min_rev) catch_up(r, min_rev);
    char k[600];
    static const char sa_pfx[] = "system:serviceaccount:";
    const char *sa = strncmp(a->user, sa_pfx, sizeof sa_pfx - 1) == 0 ? a->user + sizeof sa_pfx - 1 : NULL;
    const char *nss[2] = { NULL, a->namespace_ && *a->namespace_ ? a->namespace_ : NULL };
    pthread_rwlock_rdlock(&r->lock);
    for (int j = 0; j < 2; j++) {
        if (j && !nss[1]) break;
        key_rules(r, k, subject_key(k, sizeof k, nss[j], 'U', a->user, NULL), cb, ud);
        for (size_t i = 0; i < a->ngroups; i++) key_rules(r, k, subject_key(k, sizeof k, nss[j], 'G', a->groups[i], NULL), cb, ud);
        if (sa) key_rules(r, k, subject_key(k, sizeof k, nss[j], 'S', sa, NULL), cb, ud);
    }
    pthread_rwlock_unlock(&r->lock);
}

int apisrv_rbac_role_perms(apisrv_rbac_t *r, int cluster, const char *ns, const char *name,
                           const int64_t min_rev[4], apisrv_rbac_perms_t *p)
{
    if (min_rev) catch_up(r, min_rev);
    int rc = SKIFF_E_NOTFOUND;
    pthread_rwlock_rdlock(&r->lock);
    const role_t *x = find_role(r, cluster ? 1 : 0, ns, name);
    if (x) {
        rc = 0;
        for (size_t i = 0; i < x->nrules && rc == 0; i++) rc = apisrv_rbac_perms_add(p, &x->rules[i]);
    }
    pthread_rwlock_unlock(&r->lock);
    return rc;
}
