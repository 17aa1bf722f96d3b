/* core/api/rbac — the RBAC authorizer (rbac.authorization.k8s.io/v1) as
 * kube-apiserver evaluates it: a request is allowed when some binding whose
 * subjects name the user (User), one of its groups (Group) or its service
 * account (ServiceAccount, user "system:serviceaccount:<ns>:<name>") points
 * at a role with a rule covering the request. ClusterRoleBindings apply
 * everywhere, RoleBindings in their namespace only. There are no deny rules.
 *
 * Two halves: the pure rule matcher (rbac_rules.c, unit-tested alone) and
 * the index (rbac.c): every Role, ClusterRole, RoleBinding and
 * ClusterRoleBinding parsed once and kept current by four store watches, so
 * a request is decided in memory without a store read. */
#ifndef SKIFF_CORE_API_RBAC_H
#define SKIFF_CORE_API_RBAC_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <skiff/error.h>
#include <skiff/store.h>

/* What a request asks to do (kube's authorizer.Attributes). Strings are
 * borrowed; "" when not applicable. */
typedef struct apisrv_authz_attrs {
    const char *user;
    const char *const *groups;
    size_t ngroups;
    int resource_request;   /* 1: API resource; 0: non-resource path */
    const char *verb;       /* get list watch create update patch delete deletecollection
                               (resources) or the lower-case HTTP method (paths) */
    const char *group;      /* API group, "" = core */
    const char *resource;   /* plural */
    const char *subresource;
    const char *namespace_; /* "" = cluster scope */
    const char *name;
    const char *path;       /* non-resource requests */
} apisrv_authz_attrs_t;

/* One PolicyRule, parsed. Every list owns its strings. */
typedef struct apisrv_rbac_list {
    char **v;
    size_t n;
} apisrv_rbac_list_t;

typedef struct apisrv_rbac_rule {
    apisrv_rbac_list_t verbs, groups, resources, names, urls;
    /* precomputed so most rules are refused without a string compare:
     * one bit per common verb (APISRV_RBAC_VERB_ALL for "*"); verbs outside
     * the table (impersonate, bind, escalate...) are in `other_verbs` */
    unsigned verb_mask;
    int other_verbs, any_group, any_resource;
} apisrv_rbac_rule_t;
#define APISRV_RBAC_VERB_ALL 0x80000000u
/* The bit of a verb (0 when it has none: compare strings). */
unsigned apisrv_rbac_verb_bit(const char *verb);

/* Parse a `rules` array (PolicyRule objects; NULL = no rules). On success
 * *out (may be NULL when n is 0) belongs to the caller: free with
 * apisrv_rbac_rules_free. Malformed entries (not objects, non-string list
 * items) are SKIFF_E_INVALID with the field path in err; -ENOMEM. */
int apisrv_rbac_rules_parse(const cJSON *rules, apisrv_rbac_rule_t **out, size_t *n,
                            skiff_error_t *err);
void apisrv_rbac_rules_free(apisrv_rbac_rule_t *rules, size_t n);

/* 1 when the rule allows the request (kube's RuleAllows), else 0. */
int apisrv_rbac_rule_allows(const apisrv_rbac_rule_t *r, const apisrv_authz_attrs_t *a);
int apisrv_rbac_rules_allow(const apisrv_rbac_rule_t *r, size_t n, const apisrv_authz_attrs_t *a);

/* Subjects of a binding. */
enum { APISRV_SUBJ_USER = 1, APISRV_SUBJ_GROUP, APISRV_SUBJ_SA };
typedef struct apisrv_rbac_subject {
    int kind;
    char *name;
    char *ns; /* ServiceAccount only */
} apisrv_rbac_subject_t;
/* 1 when the subject names the user, one of its groups or its service account. */
int apisrv_rbac_subject_matches(const apisrv_rbac_subject_t *s, const apisrv_authz_attrs_t *a);

/* ---- the index (rbac.c) ---------------------------------------------------- */

typedef struct apisrv_rbac apisrv_rbac_t;

/* Load every RBAC object of the store and watch for changes. The store is
 * borrowed and must outlive the index. Errors: the store's. */
int apisrv_rbac_new(const skiff_store_ops_t *ops, void *store, apisrv_rbac_t **out,
                    skiff_error_t *err);
void apisrv_rbac_free(apisrv_rbac_t *r);
/* 1 = allowed, 0 = no opinion (RBAC never denies). Waits (up to 1 s) until
 * the index has applied RBAC writes up to `min_rev[0..3]` (roles,
 * clusterroles, rolebindings, clusterrolebindings) so a grant just written
 * through this server is seen by the next request. */
int apisrv_rbac_authorize(apisrv_rbac_t *r, const apisrv_authz_attrs_t *a, const int64_t min_rev[4]);
/* The same decision with kube's reason for an allow (review answers):
 * 1 with `RBAC: allowed by ClusterRoleBinding "x" of ClusterRole "y" to
 * User "alice"` (or RoleBinding "x/ns" ...) in reason, 0 with reason
 * untouched. Scans every binding: for reviews, not for each request. */
int apisrv_rbac_explain(apisrv_rbac_t *r, const apisrv_authz_attrs_t *a, const int64_t min_rev[4], char *reason,
                        size_t len);
/* Every rule granted to a's user and groups, cluster-wide and in
 * a->namespace_ (SelfSubjectRulesReview, `kubectl auth can-i --list`):
 * cb(ud, rule) once per rule of each binding that names them, under the
 * index's read lock (cb must not call back into the index). */
void apisrv_rbac_rules_for(apisrv_rbac_t *r, const apisrv_authz_attrs_t *a, const int64_t min_rev[4],
                           void (*cb)(void *ud, const apisrv_rbac_rule_t *rule), void *ud);

/* ---- escalation prevention (rbac_escalation.c) ---------------------------
 * kube's ConfirmNoEscalation: writing a role, or a binding to one, needs
 * the writer to hold every permission it grants. A rule is broken down into
 * single permissions (verb x apiGroup x resource x resourceName, or verb x
 * nonResourceURL); each must be covered by one rule the writer holds. */
typedef struct apisrv_rbac_perm {
    /* NULL: not part of it. All five live in one allocation owned by verb. */
    char *verb, *group, *resource, *name, *url;
    unsigned verb_bit; /* apisrv_rbac_verb_bit(verb) */
    int covered;
} apisrv_rbac_perm_t;

typedef struct apisrv_rbac_perms {
    apisrv_rbac_perm_t *v;
    size_t n, cap;
} apisrv_rbac_perms_t;

/* Add r broken down into single permissions. 0, -ENOMEM, or -E2BIG past
 * APISRV_RBAC_MAX_PERMS permissions in all. */
#define APISRV_RBAC_MAX_PERMS 100000
int apisrv_rbac_perms_add(apisrv_rbac_perms_t *p, const apisrv_rbac_rule_t *r);
/* Mark every permission `owner` covers (kube's ruleCovers). */
void apisrv_rbac_perms_cover(apisrv_rbac_perms_t *p, const apisrv_rbac_rule_t *owner);
/* 1 when one permission (p->v[i]) is covered by owner. */
int apisrv_rbac_rule_covers(const apisrv_rbac_rule_t *owner, const apisrv_rbac_perm_t *perm);
/* The permissions not covered, compacted and sorted as kube prints them
 * (`{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}`, one per
 * line). *out is NULL when everything is covered, else the caller frees
 * it. 0 or -ENOMEM. */
int apisrv_rbac_perms_missing(const apisrv_rbac_perms_t *p, char **out);
void apisrv_rbac_perms_free(apisrv_rbac_perms_t *p);

/* Add the rules of a role of the index (cluster: a ClusterRole, else the
 * Role `name` in `ns`) to p, after catching up with min_rev. 0, -ENOMEM,
 * or SKIFF_E_NOTFOUND when there is no such role. */
int apisrv_rbac_role_perms(apisrv_rbac_t *r, int cluster, const char *ns, const char *name,
                           const int64_t min_rev[4], apisrv_rbac_perms_t *p);

#endif
