/* core/api/satoken — service-account tokens as kube-apiserver issues and
 * checks them:
 *
 *   - TokenRequest (`kubectl create token SA`, POST
 *     /api/v1/namespaces/NS/serviceaccounts/SA/token): a JWT signed with the
 *     server's key (RS256; jwt.c) carrying kube's claims: iss, sub
 *     system:serviceaccount:NS:SA, aud, exp, iat, nbf, jti and
 *     kubernetes.io {namespace, serviceaccount {name, uid}, pod|secret|node}.
 *   - Authentication of such tokens: signature, issuer, audience, time
 *     (with go-jose's one-minute leeway, as kube), then the store: the
 *     service account (and a bound object) must still exist with the uid in
 *     the token — deleting an SA revokes its tokens. The caller becomes
 *     system:serviceaccount:NS:SA in system:serviceaccounts,
 *     system:serviceaccounts:NS and system:authenticated.
 *   - TokenReview (POST /apis/authentication.k8s.io/v1/tokenreviews):
 *     the same check asked by someone else (webhooks, auth proxies).
 *
 * The signing key is kept in DATA_DIR/sa.key (0600), made on the first
 * TokenRequest (RSA key generation takes a while; servers that never issue
 * a token never pay it). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/authz.h"
#include "api/body.h"
#include "api/jwt.h"
#include "api/kinds.h"
#include "api/satoken.h"
#include "api/tls.h"
#include "log/log.h"

/* kube-apiserver's --service-account-issuer (kubeadm's default); also the
 * API audience (--api-audiences defaults to the issuer). */
static const char ISSUER[] = "https://kubernetes.default.svc.cluster.local";
/* go-jose's jwt.DefaultLeeway, which kube's validator uses */
#define LEEWAY_S 60

static pthread_mutex_t key_mu = PTHREAD_MUTEX_INITIALIZER;

static const apisrv_jwt_key_t *key_of(const skiff_api_server_t *s)
{
    return __atomic_load_n(&s->sa_key, __ATOMIC_ACQUIRE);
}

/* Tokens whose signature was checked, with their claims: the RSA check is
 * ~25 us of CPU, the rest of a token's check (claims, the store lookups
 * that make revocation immediate) ~2 us, and a client sends the same token
 * with every request. Direct-mapped by a hash of the token; only
 * signatures are remembered — time, audience and the store are checked
 * on every request. */
#define VCACHE 256
static struct vslot { const apisrv_jwt_key_t *key; uint64_t h; char *tok; size_t len; char *claims; } vcache[VCACHE];
static pthread_mutex_t vcache_mu = PTHREAD_MUTEX_INITIALIZER;

static uint64_t tok_hash(const char *t, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)t[i]) * 1099511628211ull;
    return h;
}

static cJSON *verified_claims(const apisrv_jwt_key_t *k, const char *tok, size_t len)
{
    uint64_t h = tok_hash(tok, len);
    struct vslot *v = &vcache[h % VCACHE];
    char *text = NULL;
    pthread_mutex_lock(&vcache_mu);
    if (v->key == k && v->h == h && v->len == len && memcmp(v->tok, tok, len) == 0) text = strdup(v->claims);
    pthread_mutex_unlock(&vcache_mu);
    cJSON *cl = text ? cJSON_Parse(text) : NULL;
    free(text);
    return cl;
}

static void remember(const apisrv_jwt_key_t *k, const char *tok, size_t len, const cJSON *claims)
{
    uint64_t h = tok_hash(tok, len);
    char *t = malloc(len + 1), *c = cJSON_PrintUnformatted(claims);
    if (!t || !c) { free(t); free(c); return; }
    memcpy(t, tok, len);
    t[len] = '\0';
    pthread_mutex_lock(&vcache_mu);
    struct vslot *v = &vcache[h % VCACHE];
    char *ot = v->tok, *oc = v->claims;
    *v = (struct vslot){ k, h, t, len, c };
    pthread_mutex_unlock(&vcache_mu);
    free(ot);
    free(oc);
}

/* A key going away takes its slots with it (a freed key's address may be
 * reused by the next one). */
static void forget_key(const apisrv_jwt_key_t *k)
{
    pthread_mutex_lock(&vcache_mu);
    for (int i = 0; i < VCACHE; i++)
        if (vcache[i].key == k) {
            free(vcache[i].tok);
            free(vcache[i].claims);
            vcache[i] = (struct vslot){ 0 };
        }
    pthread_mutex_unlock(&vcache_mu);
}

int skiff_api_server_sa_key_file(skiff_api_server_t *s, const char *path, skiff_error_t *err)
{
    char *p = strdup(path);
    if (!p) return skiff_error_set(err, -ENOMEM, "out of memory");
    free(s->sa_key_file);
    s->sa_key_file = p;
    if (access(path, F_OK) != 0) return 0; /* made on the first TokenRequest */
    char *pem = NULL;
    int rc = skiff_api_read_file(path, &pem, err);
    apisrv_jwt_key_t *k = NULL;
    if (rc == 0) rc = apisrv_jwt_key_load(pem, path, &k, err);
    free(pem);
    if (rc < 0) {
        char why[SKIFF_ERROR_MSG_MAX];
        snprintf(why, sizeof why, "%s", err->msg);
        return skiff_error_set(err, rc, "apiserver: service-account signing key %s", why);
    }
    if (s->sa_key) forget_key(s->sa_key);
    apisrv_jwt_key_free(s->sa_key);
    __atomic_store_n(&s->sa_key, k, __ATOMIC_RELEASE);
    return 0;
}

void apisrv_sa_fini(skiff_api_server_t *s)
{
    if (s->sa_key) forget_key(s->sa_key);
    apisrv_jwt_key_free(s->sa_key);
    s->sa_key = NULL;
    free(s->sa_key_file);
    s->sa_key_file = NULL;
}

int apisrv_sa_active(const skiff_api_server_t *s) { return key_of(s) != NULL; }

/* The key, made (and kept in sa_key_file) when there is none yet. */
static const apisrv_jwt_key_t *ensure_key(skiff_api_server_t *s, skiff_error_t *err)
{
    const apisrv_jwt_key_t *k = key_of(s);
    if (k) return k;
    pthread_mutex_lock(&key_mu);
    if (!(k = key_of(s))) {
        apisrv_jwt_key_t *nk = NULL;
        char *pem = NULL;
        if (apisrv_jwt_key_generate(&nk, s->sa_key_file ? &pem : NULL, err) == 0) {
            if (s->sa_key_file) {
                int fd = open(s->sa_key_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
                size_t n = strlen(pem);
                if (fd < 0 || write(fd, pem, n) != (ssize_t)n)
                    skiff_log(SKIFF_LOG_WARN, "apiserver", "cannot keep the service-account signing key in %s: %s; its tokens end with this process",
                              s->sa_key_file, strerror(errno));
                else
                    skiff_log(SKIFF_LOG_INFO, "apiserver", "generated the service-account token signing key: %s", s->sa_key_file);
                if (fd >= 0) close(fd);
            }
            free(pem);
            __atomic_store_n(&s->sa_key, nk, __ATOMIC_RELEASE);
            k = nk;
        }
    }
    pthread_mutex_unlock(&key_mu);
    return k;
}

/* A stored object, or NULL (absent, or a store error: either way the token
 * cannot be trusted). */
static cJSON *stored(skiff_api_server_t *s, const char *plural, const char *ns, const char *name)
{
    const apisrv_resource_t *r = apisrv_resource_find("", "v1", plural);
    char key[1024];
    if (!r || apisrv_key(r, r->namespaced ? ns : "", name, key, sizeof key) < 0) return NULL;
    apisrv_kv_t kv;
    skiff_error_t err;
    if (apisrv_store_get(s, key, &kv, &err) < 0) return NULL;
    cJSON *o = apisrv_obj_decode(kv.value, kv.len, kv.mod_rev);
    free(kv.value);
    return o;
}

static const char *sget(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b) x = cJSON_GetObjectItemCaseSensitive(x, b);
    return cJSON_IsString(x) ? x->valuestring : "";
}

static int aud_matches(const cJSON *aud, const char *const *want, size_t nwant)
{
    const cJSON *x;
    if (cJSON_IsString(aud)) {
        for (size_t i = 0; i < nwant; i++) if (strcmp(aud->valuestring, want[i]) == 0) return 1;
        return 0;
    }
    cJSON_ArrayForEach(x, (cJSON_IsArray(aud) ? aud : NULL))
        for (size_t i = 0; cJSON_IsString(x) && i < nwant; i++) if (strcmp(x->valuestring, want[i]) == 0) return 1;
    return 0;
}

/* kube's validator: an object being deleted keeps its tokens valid for a
 * minute past its deletionTimestamp (preStop hooks may still call). */
static int deleted_long_ago(const cJSON *o, int64_t now_s)
{
    const char *dt = sget(o, "metadata", "deletionTimestamp");
    return *dt && apisrv_parse_time(dt) / 1000000000 < now_s - 60;
}

/* A claimed reference ({name, uid}) to a live object of `plural`. */
static int ref_alive(skiff_api_server_t *s, const cJSON *ref, const char *plural, const char *ns, const char *what,
                     int64_t now_s, char *why, size_t wl)
{
    if (!ref) return 1;
    cJSON *o = stored(s, plural, ns, sget(ref, "name", NULL));
    int ok = 0;
    if (!o) snprintf(why, wl, "%s \"%.100s\" not found", what, sget(ref, "name", NULL));
    else if (strcmp(sget(o, "metadata", "uid"), sget(ref, "uid", NULL)) != 0)
        snprintf(why, wl, "%s UID (%.60s) does not match claim (%.60s)", what, sget(o, "metadata", "uid"), sget(ref, "uid", NULL));
    else if (deleted_long_ago(o, now_s)) snprintf(why, wl, "token has been invalidated");
    else ok = 1;
    cJSON_Delete(o);
    return ok;
}

int apisrv_sa_check(skiff_api_server_t *s, const char *tok, size_t len, const char *const *auds, size_t nauds,
                    int64_t now_s, apisrv_sa_user_t *u, cJSON **claims_out, char *why, size_t wl)
{
    static const char *const api_auds[] = { ISSUER };
    if (!nauds) { auds = api_auds; nauds = 1; }
    if (claims_out) *claims_out = NULL;
    const apisrv_jwt_key_t *k = key_of(s);
    if (!k) return snprintf(why, wl, "no service-account signing key"), -1;
    cJSON *cl = verified_claims(k, tok, len);
    skiff_error_t err;
    if (!cl) {
        if (apisrv_jwt_verify(k, tok, len, &cl, &err) < 0) return snprintf(why, wl, "%s", err.msg), -1;
        remember(k, tok, len, cl);
    }
    int rc = -1;
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(cl, "exp"), *nbf = cJSON_GetObjectItemCaseSensitive(cl, "nbf");
    const cJSON *iat = cJSON_GetObjectItemCaseSensitive(cl, "iat");
    const cJSON *kio = cJSON_GetObjectItemCaseSensitive(cl, "kubernetes.io");
    const char *ns = sget(kio, "namespace", NULL), *sa = sget(kio, "serviceaccount", "name");
    if (strcmp(sget(cl, "iss", NULL), ISSUER) != 0) snprintf(why, wl, "token issuer is not %s", ISSUER);
    else if (!aud_matches(cJSON_GetObjectItemCaseSensitive(cl, "aud"), auds, nauds))
        snprintf(why, wl, "token audiences are invalid for the target audiences");
    else if (!cJSON_IsNumber(exp) || (double)now_s - LEEWAY_S > exp->valuedouble)
        snprintf(why, wl, "service account token has expired");
    else if (cJSON_IsNumber(nbf) && (double)now_s + LEEWAY_S < nbf->valuedouble)
        snprintf(why, wl, "service account token is not valid yet");
    else if (cJSON_IsNumber(iat) && (double)now_s + LEEWAY_S < iat->valuedouble)
        snprintf(why, wl, "service account token is issued in the future");
    else if (!*ns || !*sa) snprintf(why, wl, "token carries no service account");
    else {
        cJSON *o = stored(s, "serviceaccounts", ns, sa);
        const char *uid = sget(kio, "serviceaccount", "uid");
        if (!o) snprintf(why, wl, "serviceaccounts \"%.100s\" not found", sa);
        else if (strcmp(sget(o, "metadata", "uid"), uid) != 0)
            snprintf(why, wl, "service account UID (%.60s) does not match claim (%.60s)", sget(o, "metadata", "uid"), uid);
        else if (deleted_long_ago(o, now_s)) snprintf(why, wl, "token has been invalidated");
        else if (ref_alive(s, cJSON_GetObjectItemCaseSensitive(kio, "pod"), "pods", ns, "pod", now_s, why, wl)
                 && ref_alive(s, cJSON_GetObjectItemCaseSensitive(kio, "secret"), "secrets", ns, "secret", now_s, why, wl)
                 && (cJSON_GetObjectItemCaseSensitive(kio, "pod")
                     || ref_alive(s, cJSON_GetObjectItemCaseSensitive(kio, "node"), "nodes", "", "node", now_s, why, wl))) {
            /* a pod-bound token's node claim is informational (kube checks the pod only) */
            snprintf(u->name, sizeof u->name, "system:serviceaccount:%s:%s", ns, sa);
            snprintf(u->uid, sizeof u->uid, "%s", uid);
            snprintf(u->ns_group, sizeof u->ns_group, "system:serviceaccounts:%s", ns);
            u->groups[0] = "system:serviceaccounts";
            u->groups[1] = u->ns_group;
            u->groups[2] = "system:authenticated";
            u->user = (skiff_api_user_t){ u->name, u->uid, u->groups, 3 };
            const cJSON *pod = cJSON_GetObjectItemCaseSensitive(kio, "pod"), *node = cJSON_GetObjectItemCaseSensitive(kio, "node");
            snprintf(u->jti, sizeof u->jti, "%s", sget(cl, "jti", NULL));
            snprintf(u->pod_name, sizeof u->pod_name, "%s", sget(pod, "name", NULL));
            snprintf(u->pod_uid, sizeof u->pod_uid, "%s", sget(pod, "uid", NULL));
            snprintf(u->node_name, sizeof u->node_name, "%s", sget(node, "name", NULL));
            snprintf(u->node_uid, sizeof u->node_uid, "%s", sget(node, "uid", NULL));
            rc = 0;
        }
        cJSON_Delete(o);
    }
    if (rc == 0 && claims_out) *claims_out = cl;
    else cJSON_Delete(cl);
    return rc;
}

/* ---- TokenRequest ---------------------------------------------------------- */

/* kube's NewInvalid(TokenRequest.authentication.k8s.io, name, errs): the
 * call's resource is serviceaccounts, so the kind is named here. */
static int fail_invalid(apisrv_call_t *c, const char *name, const apisrv_invalid_t *inv)
{
    return apisrv_fail_invalid_kind(c, "authentication.k8s.io", "TokenRequest", name, inv);
}

static cJSON *ref_claim(const cJSON *obj)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "name", sget(obj, "metadata", "name"));
    cJSON_AddStringToObject(r, "uid", sget(obj, "metadata", "uid"));
    return r;
}

int apisrv_handle_token_request(apisrv_call_t *c)
{
    if (c->verb != APISRV_VERB_CREATE)
        return apisrv_fail(c, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    cJSON *o = apisrv_body_parse(c, 0);
    if (!o) return 0;
    if (apisrv_body_check_kind(c, o, "TokenRequest", "authentication.k8s.io/v1") < 0) { cJSON_Delete(o); return 0; }
    cJSON *m = apisrv_obj_at(o, "metadata"), *spec = apisrv_obj_at(o, "spec");
    /* protobuf bodies decode unset members as null; kube omits them */
    for (cJSON *x = spec->child, *nx; x; x = nx) {
        nx = x->next;
        if (cJSON_IsNull(x)) cJSON_Delete(cJSON_DetachItemViaPointer(spec, x));
    }
    apisrv_invalid_t inv = { 0 };
    const char *bn = sget(m, "name", NULL), *bns = sget(m, "namespace", NULL);
    if (*bn && strcmp(bn, c->name) != 0)
        apisrv_invalid_add(&inv, "FieldValueInvalid", "metadata.name", "Invalid value: \"%.200s\": must match the service account name if specified", bn);
    else if (*bns && strcmp(bns, c->ns) != 0)
        apisrv_invalid_add(&inv, "FieldValueInvalid", "metadata.namespace", "Invalid value: \"%.200s\": must match the service account namespace if specified", bns);
    if (inv.n) { cJSON_Delete(o); return fail_invalid(c, c->name, &inv); }
    cJSON *sa = stored(c->s, "serviceaccounts", c->ns, c->name);
    if (!sa) { cJSON_Delete(o); return apisrv_fail_notfound(c, c->name); }
    /* defaults: the API audiences, an hour (SetDefaults_TokenRequestSpec) */
    cJSON *auds = cJSON_GetObjectItemCaseSensitive(spec, "audiences");
    if (!cJSON_IsArray(auds) || !cJSON_GetArraySize(auds)) {
        cJSON_DeleteItemFromObjectCaseSensitive(spec, "audiences");
        auds = cJSON_AddArrayToObject(spec, "audiences");
        cJSON_AddItemToArray(auds, cJSON_CreateString(ISSUER));
    }
    cJSON *es = cJSON_GetObjectItemCaseSensitive(spec, "expirationSeconds");
    if (!cJSON_IsNumber(es)) {
        cJSON_DeleteItemFromObjectCaseSensitive(spec, "expirationSeconds");
        es = cJSON_AddNumberToObject(spec, "expirationSeconds", 3600);
    }
    double secs = es->valuedouble;
    cJSON_DeleteItemFromObjectCaseSensitive(m, "name");
    cJSON_DeleteItemFromObjectCaseSensitive(m, "namespace");
    cJSON_DeleteItemFromObjectCaseSensitive(m, "creationTimestamp");
    cJSON_AddStringToObject(m, "name", c->name);
    cJSON_AddStringToObject(m, "namespace", c->ns);
    char now_s[40];
    apisrv_format_time(c->now_ns, now_s, sizeof now_s);
    cJSON_AddStringToObject(m, "creationTimestamp", now_s);
    /* ValidateTokenRequest */
    if (secs < 600)
        apisrv_invalid_add(&inv, "FieldValueInvalid", "spec.expirationSeconds", "Invalid value: %.0f: may not specify a duration less than 10 minutes", secs);
    if (secs > 4294967296.0)
        apisrv_invalid_add(&inv, "FieldValueInvalid", "spec.expirationSeconds", "Invalid value: %.0f: may not specify a duration larger than 2^32 seconds", secs);
    if (inv.n) { cJSON_Delete(sa); cJSON_Delete(o); return fail_invalid(c, "", &inv); }
    /* a bound object: Pod, Secret (this namespace) or Node, which must exist */
    cJSON *bound = NULL, *node = NULL;
    const char *bkey = NULL;
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(spec, "boundObjectRef");
    if (cJSON_IsObject(ref)) {
        const char *kind = sget(ref, "kind", NULL), *av = sget(ref, "apiVersion", NULL), *rn = sget(ref, "name", NULL);
        const char *plural = NULL;
        if (strcmp(av, "v1") == 0 || !*av) {
            if (strcmp(kind, "Pod") == 0) { plural = "pods"; bkey = "pod"; }
            else if (strcmp(kind, "Secret") == 0) { plural = "secrets"; bkey = "secret"; }
            else if (strcmp(kind, "Node") == 0) { plural = "nodes"; bkey = "node"; }
        }
        if (!plural) {
            apisrv_fail(c, 400, "BadRequest", "cannot bind token to object of type %s%s, Kind=%s", strchr(av, '/') ? "" : "/", av, kind);
            cJSON_Delete(sa);
            cJSON_Delete(o);
            return 0;
        }
        bound = stored(c->s, plural, c->ns, rn);
        if (!bound) {
            apisrv_fail(c, 404, "NotFound", "%s \"%s\" not found", plural, rn);
            cJSON_Delete(sa);
            cJSON_Delete(o);
            return 0;
        }
        if (strcmp(plural, "pods") == 0 && strcmp(sget(cJSON_GetObjectItemCaseSensitive(bound, "spec"), "serviceAccountName", NULL), c->name) != 0) {
            cJSON_Delete(bound);
            cJSON_Delete(sa);
            cJSON_Delete(o);
            return apisrv_fail(c, 400, "BadRequest",
                               "cannot bind token for serviceaccount \"%s\" to pod running with different serviceaccount name.", c->name);
        }
        const char *ruid = sget(ref, "uid", NULL);
        if (*ruid && strcmp(ruid, sget(bound, "metadata", "uid")) != 0) {
            char msg[600];
            snprintf(msg, sizeof msg,
                     "Operation cannot be fulfilled on %s \"%s\": the UID in the bound object reference (%s) does not match the UID in record. The object might have been deleted and then recreated",
                     kind, rn, ruid);
            cJSON_Delete(bound);
            cJSON_Delete(sa);
            cJSON_Delete(o);
            return apisrv_fail(c, 409, "Conflict", "%s", msg);
        }
        const char *nn = strcmp(plural, "pods") == 0 ? sget(cJSON_GetObjectItemCaseSensitive(bound, "spec"), "nodeName", NULL) : "";
        if (*nn) node = stored(c->s, "nodes", "", nn);
    }
    skiff_error_t err;
    const apisrv_jwt_key_t *k = ensure_key(c->s, &err);
    if (!k) {
        cJSON_Delete(bound);
        cJSON_Delete(node);
        cJSON_Delete(sa);
        cJSON_Delete(o);
        return apisrv_fail(c, 500, "InternalError", "failed to generate token: %s", err.msg);
    }
    /* the claims in go-jose's order (sorted keys) */
    int64_t now = c->now_ns / 1000000000, exp = now + (int64_t)secs;
    char jti[37], sub[600];
    apisrv_new_uid(jti);
    snprintf(sub, sizeof sub, "system:serviceaccount:%s:%s", c->ns, c->name);
    cJSON *cl = cJSON_CreateObject();
    cJSON_AddItemToObject(cl, "aud", cJSON_Duplicate(auds, 1));
    cJSON_AddNumberToObject(cl, "exp", (double)exp);
    cJSON_AddNumberToObject(cl, "iat", (double)now);
    cJSON_AddStringToObject(cl, "iss", ISSUER);
    cJSON_AddStringToObject(cl, "jti", jti);
    cJSON *kio = cJSON_AddObjectToObject(cl, "kubernetes.io");
    cJSON_AddStringToObject(kio, "namespace", c->ns);
    if (node) cJSON_AddItemToObject(kio, "node", ref_claim(node));
    else if (bound && strcmp(bkey, "node") == 0) cJSON_AddItemToObject(kio, "node", ref_claim(bound));
    if (bound && strcmp(bkey, "pod") == 0) cJSON_AddItemToObject(kio, "pod", ref_claim(bound));
    if (bound && strcmp(bkey, "secret") == 0) cJSON_AddItemToObject(kio, "secret", ref_claim(bound));
    cJSON_AddItemToObject(kio, "serviceaccount", ref_claim(sa));
    cJSON_AddNumberToObject(cl, "nbf", (double)now);
    cJSON_AddStringToObject(cl, "sub", sub);
    char *tok = apisrv_jwt_sign(k, cl, &err);
    cJSON_Delete(cl);
    cJSON_Delete(bound);
    cJSON_Delete(node);
    cJSON_Delete(sa);
    if (!tok) { cJSON_Delete(o); return apisrv_fail(c, 500, "InternalError", "failed to generate token: %s", err.msg); }
    cJSON_DeleteItemFromObjectCaseSensitive(o, "status");
    cJSON *st = cJSON_AddObjectToObject(o, "status");
    cJSON_AddStringToObject(st, "token", tok);
    free(tok);
    char exp_s[40];
    apisrv_format_time(exp * 1000000000, exp_s, sizeof exp_s);
    cJSON_AddStringToObject(st, "expirationTimestamp", exp_s);
    return apisrv_reply_json(c, 201, o);
}

/* ---- TokenReview ----------------------------------------------------------- */

void apisrv_sa_extra(const apisrv_sa_user_t *u, cJSON *ui)
{
    cJSON *ex = cJSON_AddObjectToObject(ui, "extra");
    char v[100];
    if (u->jti[0]) {
        snprintf(v, sizeof v, "JTI=%s", u->jti);
        const char *p = v;
        cJSON_AddItemToObject(ex, "authentication.kubernetes.io/credential-id", cJSON_CreateStringArray(&p, 1));
    }
    const struct { const char *key, *val; } kv[] = {
        { "authentication.kubernetes.io/node-name", u->node_name }, { "authentication.kubernetes.io/node-uid", u->node_uid },
        { "authentication.kubernetes.io/pod-name", u->pod_name }, { "authentication.kubernetes.io/pod-uid", u->pod_uid },
    };
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        if (*kv[i].val) cJSON_AddItemToObject(ex, kv[i].key, cJSON_CreateStringArray(&kv[i].val, 1));
}

int apisrv_handle_token_review(apisrv_call_t *c)
{
    if (c->verb != APISRV_VERB_CREATE || c->name[0])
        return apisrv_fail(c, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    cJSON *o = apisrv_body_parse(c, 0);
    if (!o) return 0;
    if (apisrv_body_check_kind(c, o, "TokenReview", "authentication.k8s.io/v1") < 0) { cJSON_Delete(o); return 0; }
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(o, "spec");
    const char *tok = sget(spec, "token", NULL);
    if (!*tok) { cJSON_Delete(o); return apisrv_fail(c, 400, "BadRequest", "token is required for TokenReview in authentication"); }
    const cJSON *ra = cJSON_GetObjectItemCaseSensitive(spec, "audiences"), *x;
    const char *auds[16];
    size_t na = 0;
    cJSON_ArrayForEach(x, (cJSON_IsArray(ra) ? ra : NULL)) if (cJSON_IsString(x) && na < 16) auds[na++] = x->valuestring;
    cJSON_DeleteItemFromObjectCaseSensitive(o, "status");
    cJSON *st = cJSON_AddObjectToObject(o, "status");
    /* the static token file first, as kube's union authenticator */
    const skiff_api_user_t *su = NULL;
    char *hdr = NULL;
    if (asprintf(&hdr, "Bearer %s", tok) < 0) hdr = NULL;
    if (hdr && c->s->tokens && apisrv_authenticate(c->s, hdr, &su) == 0 && su != &skiff_api_user_anonymous) {
        cJSON_AddBoolToObject(st, "authenticated", 1);
        cJSON_AddItemToObject(st, "user", apisrv_user_info_json(su));
        cJSON *a = cJSON_AddArrayToObject(st, "audiences");
        if (na) for (size_t i = 0; i < na; i++) cJSON_AddItemToArray(a, cJSON_CreateString(auds[i]));
        else cJSON_AddItemToArray(a, cJSON_CreateString(ISSUER));
    } else {
        apisrv_sa_user_t u;
        cJSON *claims = NULL;
        char why[300];
        if (apisrv_sa_check(c->s, tok, strlen(tok), auds, na, c->now_ns / 1000000000, &u, &claims, why, sizeof why) == 0) {
            cJSON_AddBoolToObject(st, "authenticated", 1);
            cJSON *ui = apisrv_user_info_json(&u.user);
            apisrv_sa_extra(&u, ui);
            cJSON_AddItemToObject(st, "user", ui);
            /* the audiences the token is good for among those asked */
            cJSON *a = cJSON_AddArrayToObject(st, "audiences");
            const cJSON *ta = cJSON_GetObjectItemCaseSensitive(claims, "aud");
            if (!na) cJSON_AddItemToArray(a, cJSON_CreateString(ISSUER));
            for (size_t i = 0; i < na; i++)
                if (aud_matches(ta, &auds[i], 1)) cJSON_AddItemToArray(a, cJSON_CreateString(auds[i]));
            cJSON_Delete(claims);
        } else {
            cJSON_AddObjectToObject(st, "user");
            cJSON_AddStringToObject(st, "error", why);
        }
    }
    free(hdr);
    cJSON *m = apisrv_obj_at(o, "metadata");
    if (!cJSON_GetObjectItemCaseSensitive(m, "creationTimestamp")) cJSON_AddNullToObject(m, "creationTimestamp");
    return apisrv_reply_json(c, 201, o);
}

/* ---- the issuer's OIDC discovery (kube's ServiceAccountIssuerDiscovery) ---- */

int apisrv_handle_oidc(apisrv_call_t *c, int jwks)
{
    if (strcmp(c->req->method, "GET") != 0)
        return apisrv_fail(c, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    cJSON *o = cJSON_CreateObject();
    if (!o) return apisrv_fail(c, 500, "InternalError", "out of memory");
    if (!jwks) {
        cJSON_AddStringToObject(o, "issuer", ISSUER);
        char uri[200];
        snprintf(uri, sizeof uri, "%s/openid/v1/jwks", ISSUER);
        cJSON_AddStringToObject(o, "jwks_uri", uri);
        const char *idt = "id_token", *pub = "public", *rs = "RS256";
        cJSON_AddItemToObject(o, "response_types_supported", cJSON_CreateStringArray(&idt, 1));
        cJSON_AddItemToObject(o, "subject_types_supported", cJSON_CreateStringArray(&pub, 1));
        cJSON_AddItemToObject(o, "id_token_signing_alg_values_supported", cJSON_CreateStringArray(&rs, 1));
        return apisrv_reply_json(c, 200, o);
    }
    skiff_error_t err;
    const apisrv_jwt_key_t *k = ensure_key(c->s, &err); /* kube always has one to publish */
    if (!k) { cJSON_Delete(o); return apisrv_fail(c, 500, "InternalError", "signing key: %s", err.msg); }
    cJSON *keys = cJSON_AddArrayToObject(o, "keys");
    cJSON *j = apisrv_jwt_key_jwk(k);
    if (j) cJSON_AddItemToArray(keys, j);
    int rc = apisrv_reply_json(c, 200, o);
    snprintf(c->resp->content_type, sizeof c->resp->content_type, "application/jwk-set+json");
    return rc;
}

/* ---- authenticating a request ------------------------------------------------ */

int apisrv_sa_authenticate(apisrv_call_t *c, const char *tok, size_t len)
{
    char why[300];
    if (apisrv_sa_check(c->s, tok, len, NULL, 0, c->now_ns / 1000000000, &c->sa, NULL, why, sizeof why) < 0) {
        skiff_log(SKIFF_LOG_DEBUG, "apiserver", "service-account token refused: %s", why);
        return -1;
    }
    c->user = &c->sa.user;
    return 0;
}
