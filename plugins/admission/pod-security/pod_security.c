/* admission/pod-security: the Pod Security Standards (privileged, baseline,
 * restricted) as kube-apiserver's PodSecurity admission enforces them, with
 * its check order and messages:
 *   violates PodSecurity "restricted:latest": privileged (container "c" must
 *   not set securityContext.privileged=true), allowPrivilegeEscalation != false (...)
 * The level comes from the namespace label pod-security.kubernetes.io/enforce
 * (version from .../enforce-version, default "latest"), else the `enforce`
 * setting. warn and audit levels (labels .../warn, .../audit, or the
 * settings) never refuse: warn adds a warning to the response ("would
 * violate PodSecurity ..."), audit writes a log line. Checks run on pod
 * creates; subresources and namespaces listed in `exempt_namespaces` are
 * exempt. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <skiff/skiff.h>

#include "../common/adm_cache.h"
#include "../common/adm_util.h"

typedef struct mode { int level; char version[32]; int minor; } mode_t_;

typedef struct ps {
    const char *enforce, *warn, *audit; /* filled: cluster defaults */
    mode_t_ def_enf, def_wrn, def_aud;  /* init: the modes of a namespace without pod-security labels */
    const char *const *exempt;          /* filled */
    const skiff_host_t *host;
    skiff_ctx_t *ctx;
    adm_cache_t cache; /* namespace name -> the Namespace (its labels pick the level) */
} ps_t;

enum { LVL_NONE = -1, LVL_PRIVILEGED = 0, LVL_BASELINE = 1, LVL_RESTRICTED = 2 };
static const char *const level_names[] = { "privileged", "baseline", "restricted" };

static int ps_level(const char *s)
{
    if (!s || !*s) return LVL_NONE;
    for (int i = 0; i < 3; i++)
        if (strcmp(s, level_names[i]) == 0) return i;
    return -2;
}

static void ns_mode(const cJSON *labels, const char *which, const char *which_version, const char *def, mode_t_ *m);

static int ps_init(const skiff_host_t *host, skiff_ctx_t *ctx, void *self, skiff_error_t *err)
{
    ps_t *p = self;
    p->host = host;
    p->ctx = ctx;
    const char *keys[] = { "enforce", "warn", "audit" };
    const char *vals[] = { p->enforce, p->warn, p->audit };
    for (int i = 0; i < 3; i++)
        if (ps_level(vals[i]) == -2)
            return skiff_error_set(err, SKIFF_E_INVALID,
                                   "%s = \"%s\": want one of privileged, baseline, restricted", keys[i], vals[i]);
    if (!SKIFF_HOST_HAS(host, api_get))
        return skiff_error_set(err, SKIFF_E_VERSION,
                               "needs a host with the cluster API (ABI 1.1 api_get); this host speaks ABI %u.%u",
                               host->abi_major, host->abi_minor);
    ns_mode(NULL, "enforce", "enforce-version", p->enforce, &p->def_enf);
    ns_mode(NULL, "warn", "warn-version", p->warn, &p->def_wrn);
    ns_mode(NULL, "audit", "audit-version", p->audit, &p->def_aud);
    if (adm_cache_init(&p->cache, host, 30000, 500) < 0)
        return skiff_error_set(err, SKIFF_E_INTERNAL, "cannot create a mutex");
    return 0;
}

static void ps_fini(void *self) { adm_cache_fini(&((ps_t *)self)->cache); }

/* ---- building messages --------------------------------------------------- */

/* Room for every check failing with many containers (the host carries
 * reasons up to 4 KiB); never zeroed as a whole, only s[0]. */
typedef struct sbuf { char s[3000]; size_t n; } sbuf_t;

static void sb_add(sbuf_t *b, const char *fmt, ...) SKIFF_PRINTF(2, 3);
static void sb_add(sbuf_t *b, const char *fmt, ...)
{
    if (b->n >= sizeof b->s - 1) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(b->s + b->n, sizeof b->s - b->n, fmt, ap);
    va_end(ap);
    if (w > 0) b->n += (size_t)w;
    if (b->n > sizeof b->s - 1) b->n = sizeof b->s - 1;
}

/* `container "a"` / `containers "a", "b"` (prefix e.g. "pod or ") */
typedef struct names { const char *v[64]; int n; } names_t;

static void names_add(names_t *l, const char *s)
{
    for (int i = 0; i < l->n; i++) if (strcmp(l->v[i], s) == 0) return;
    if (l->n < 64) l->v[l->n++] = s;
}

static void sb_names(sbuf_t *b, const char *one, const char *many, const names_t *l)
{
    sb_add(b, "%s ", l->n == 1 ? one : many);
    for (int i = 0; i < l->n; i++) sb_add(b, "%s\"%s\"", i ? ", " : "", l->v[i]);
}

typedef struct result { sbuf_t out; sbuf_t reasons; int n; } result_t; /* reasons: without details */

/* one failed check: `reason (detail)` */
static void fail(result_t *r, const char *reason, const sbuf_t *detail)
{
    sb_add(&r->out, "%s%s", r->n ? ", " : "", reason);
    sb_add(&r->reasons, "%s%s", r->n ? ", " : "", reason);
    if (detail && detail->n) sb_add(&r->out, " (%s)", detail->s);
    r->n++;
}

/* ---- the pod ----------------------------------------------------------- */

typedef struct ctr { const char *name; const cJSON *c; const cJSON *sc; } ctr_t;
typedef struct podv {
    const cJSON *spec, *psc, *meta;
    int minor; /* the policy version evaluated: 1.<minor> (latest = 32) */
    ctr_t c[128];
    int n;
} podv_t;

static void pod_view(const cJSON *pod, podv_t *v)
{
    v->n = 0; /* c[] is filled up to n; not zeroed (3 KiB, on every evaluation) */
    v->meta = adm_get(pod, "metadata");
    v->spec = adm_get(pod, "spec");
    v->psc = adm_get(v->spec, "securityContext");
    static const char *const lists[] = { "initContainers", "containers", "ephemeralContainers" };
    for (int l = 0; l < 3; l++) {
        const cJSON *c;
        cJSON_ArrayForEach(c, adm_get(v->spec, lists[l])) {
            if (v->n >= 128) break;
            v->c[v->n++] = (ctr_t){ adm_str(c, "name") ? adm_str(c, "name") : "", c, adm_get(c, "securityContext") };
        }
    }
}

static int is_true(const cJSON *x) { return cJSON_IsTrue(x); }
static int is_false(const cJSON *x) { return cJSON_IsFalse(x); }

/* ---- baseline checks (in Kubernetes' order: by level, then check ID) ------ */

static const char *const baseline_caps[] = { "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID",
                                             "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID",
                                             "SETPCAP", "SETUID", "SYS_CHROOT", NULL };

static int in_list(const char *const *l, const char *s)
{
    for (; *l; l++) if (strcmp(*l, s) == 0) return 1;
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Kubernetes prints sets (sets.String.List()) sorted bytewise. */
static void names_sort(names_t *l) { qsort(l->v, (size_t)l->n, sizeof l->v[0], cmp_str); }

/* `"a", "b"` — Kubernetes' joinQuote (no escaping) */
static void sb_quoted(sbuf_t *b, const names_t *l)
{
    for (int i = 0; i < l->n; i++) sb_add(b, "%s\"%s\"", i ? ", " : "", l->v[i]);
}

/* Who set a bad value: `pod`, `container "a"`, `pod and containers "a", "b"`. */
static void sb_setters(sbuf_t *b, int pod, const names_t *ctrs)
{
    if (pod) sb_add(b, "pod");
    if (ctrs->n) {
        if (pod) sb_add(b, " and ");
        sb_names(b, "container", "containers", ctrs);
    }
}

#define SBUF(d) sbuf_t d; d.n = 0; d.s[0] = '\0'

#define AA_PREFIX "container.apparmor.security.beta.kubernetes.io/"

static int apparmor_type_ok(const char *t) { return !strcmp(t, "RuntimeDefault") || !strcmp(t, "Localhost"); }

/* appArmorProfile: securityContext.appArmorProfile.type (pod and each
 * container) must be RuntimeDefault or Localhost; the deprecated annotations
 * may only be empty, runtime/default or localhost/<name>. */
static void check_apparmor(const podv_t *v, result_t *r)
{
    names_t ctrs = { .n = 0 }, vals = { .n = 0 };
    int pod = 0;
    const cJSON *pt = adm_path(v->psc, "appArmorProfile");
    if (pt) {
        const char *t = adm_str(pt, "type");
        if (!t || !apparmor_type_ok(t)) { pod = 1; names_add(&vals, t ? t : ""); }
    }
    for (int i = 0; i < v->n; i++) {
        const cJSON *ct = adm_get(v->c[i].sc, "appArmorProfile");
        if (!ct) continue;
        const char *t = adm_str(ct, "type");
        if (!t || !apparmor_type_ok(t)) { names_add(&ctrs, v->c[i].name); names_add(&vals, t ? t : ""); }
    }
    names_sort(&vals);
    /* the annotation texts `key="value"` follow the (sorted) type values */
    char *ann[64];
    int na = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, adm_path(v->meta, "annotations")) {
        if (!a->string || strncmp(a->string, AA_PREFIX, sizeof AA_PREFIX - 1) != 0 || !cJSON_IsString(a)) continue;
        const char *val = a->valuestring;
        if (!*val || !strcmp(val, "runtime/default") || !strncmp(val, "localhost/", 10)) continue;
        if (na < 64 && asprintf(&ann[na], "%s=\"%s\"", a->string, val) >= 0) na++;
    }
    qsort(ann, (size_t)na, sizeof ann[0], cmp_str);
    if (pod || ctrs.n || na) {
        names_t all = vals;
        for (int i = 0; i < na && all.n < 64; i++) all.v[all.n++] = ann[i];
        SBUF(d);
        sb_setters(&d, pod, &ctrs);
        if (na) sb_add(&d, "%s%s", pod || ctrs.n ? " and " : "", na == 1 ? "annotation" : "annotations");
        sb_add(&d, " must not set AppArmor profile type to ");
        sb_quoted(&d, &all);
        fail(r, all.n == 1 ? "forbidden AppArmor profile" : "forbidden AppArmor profiles", &d);
    }
    for (int i = 0; i < na; i++) free(ann[i]);
}

static void check_capabilities_baseline(const podv_t *v, result_t *r)
{
    names_t who = { .n = 0 }, caps = { .n = 0 };
    for (int i = 0; i < v->n; i++) {
        const cJSON *cap;
        cJSON_ArrayForEach(cap, adm_path(v->c[i].sc, "capabilities.add")) {
            if (!cJSON_IsString(cap) || in_list(baseline_caps, cap->valuestring)) continue;
            names_add(&who, v->c[i].name);
            names_add(&caps, cap->valuestring);
        }
    }
    if (!who.n) return;
    names_sort(&caps);
    SBUF(d);
    sb_names(&d, "container", "containers", &who);
    sb_add(&d, " must not include ");
    sb_quoted(&d, &caps);
    sb_add(&d, " in securityContext.capabilities.add");
    fail(r, "non-default capabilities", &d);
}

static void check_host_namespaces(const podv_t *v, result_t *r)
{
    SBUF(d);
    static const char *const f[] = { "hostNetwork", "hostPID", "hostIPC" };
    for (int i = 0; i < 3; i++)
        if (is_true(adm_get(v->spec, f[i]))) sb_add(&d, "%s%s=true", d.n ? ", " : "", f[i]);
    if (d.n) fail(r, "host namespaces", &d);
}

static void check_host_path(const podv_t *v, result_t *r)
{
    names_t vols = { .n = 0 };
    const cJSON *vol;
    cJSON_ArrayForEach(vol, adm_get(v->spec, "volumes"))
        if (adm_get(vol, "hostPath") && adm_str(vol, "name")) names_add(&vols, adm_str(vol, "name"));
    if (!vols.n) return;
    SBUF(d);
    sb_names(&d, "volume", "volumes", &vols);
    fail(r, "hostPath volumes", &d);
}

static void check_host_ports(const podv_t *v, result_t *r)
{
    names_t who = { .n = 0 }, ports = { .n = 0 };
    char buf[64][12];
    int nb = 0;
    for (int i = 0; i < v->n; i++) {
        const cJSON *p;
        cJSON_ArrayForEach(p, adm_get(v->c[i].c, "ports")) {
            const cJSON *hp = adm_get(p, "hostPort");
            if (!cJSON_IsNumber(hp) || hp->valueint == 0) continue;
            names_add(&who, v->c[i].name);
            if (nb < 64) {
                snprintf(buf[nb], sizeof buf[0], "%d", hp->valueint);
                names_add(&ports, buf[nb++]);
            }
        }
    }
    if (!who.n) return;
    names_sort(&ports); /* as strings, as Kubernetes does: "10000" < "8080" */
    SBUF(d);
    sb_names(&d, "container", "containers", &who);
    sb_add(&d, " %s %s ", who.n == 1 ? "uses" : "use", ports.n == 1 ? "hostPort" : "hostPorts");
    for (int k = 0; k < ports.n; k++) sb_add(&d, "%s%s", k ? ", " : "", ports.v[k]);
    fail(r, "hostPort", &d);
}

static void check_privileged(const podv_t *v, result_t *r)
{
    names_t who = { .n = 0 };
    for (int i = 0; i < v->n; i++)
        if (is_true(adm_get(v->c[i].sc, "privileged"))) names_add(&who, v->c[i].name);
    if (!who.n) return;
    SBUF(d);
    sb_names(&d, "container", "containers", &who);
    sb_add(&d, " must not set securityContext.privileged=true");
    fail(r, "privileged", &d);
}

static void check_proc_mount(const podv_t *v, result_t *r)
{
    names_t who = { .n = 0 }, types = { .n = 0 };
    for (int i = 0; i < v->n; i++) {
        const char *pm = adm_str(v->c[i].sc, "procMount");
        if (pm && strcmp(pm, "Default") != 0) { names_add(&who, v->c[i].name); names_add(&types, pm); }
    }
    if (!who.n) return;
    names_sort(&types);
    SBUF(d);
    sb_names(&d, "container", "containers", &who);
    sb_add(&d, " must not set securityContext.procMount to ");
    sb_quoted(&d, &types);
    fail(r, "procMount", &d);
}

static const char *const selinux_types[] = { "", "container_t", "container_init_t", "container_kvm_t",
                                             "container_engine_t", NULL };

/* 1 when o (a seLinuxOptions object) is allowed; collects what is not. */
static int selinux_ok(const cJSON *o, int minor, names_t *types, int *user, int *role)
{
    int ok = 1;
    const char *t = adm_str(o, "type");
    /* container_engine_t is allowed from policy version 1.31 */
    int allowed = in_list(selinux_types, t ? t : "") && (minor >= 31 || !t || strcmp(t, "container_engine_t") != 0);
    if (!allowed) { ok = 0; names_add(types, t); }
    const char *u = adm_str(o, "user"), *ro = adm_str(o, "role");
    if (u && *u) { ok = 0; *user = 1; }
    if (ro && *ro) { ok = 0; *role = 1; }
    return ok;
}

static void check_selinux(const podv_t *v, result_t *r)
{
    names_t types = { .n = 0 }, ctrs = { .n = 0 };
    int user = 0, role = 0, pod = 0;
    const cJSON *po = adm_get(v->psc, "seLinuxOptions");
    if (cJSON_IsObject(po) && !selinux_ok(po, v->minor, &types, &user, &role)) pod = 1;
    for (int i = 0; i < v->n; i++) {
        const cJSON *co = adm_get(v->c[i].sc, "seLinuxOptions");
        if (cJSON_IsObject(co) && !selinux_ok(co, v->minor, &types, &user, &role)) names_add(&ctrs, v->c[i].name);
    }
    if (!pod && !ctrs.n) return;
    names_sort(&types);
    SBUF(d);
    sb_setters(&d, pod, &ctrs);
    sb_add(&d, " set forbidden securityContext.seLinuxOptions: ");
    const char *sep = "";
    if (types.n) {
        sb_add(&d, "%s ", types.n == 1 ? "type" : "types");
        sb_quoted(&d, &types);
        sep = "; ";
    }
    if (user) { sb_add(&d, "%suser may not be set", sep); sep = "; "; }
    if (role) sb_add(&d, "%srole may not be set", sep);
    fail(r, "seLinuxOptions", &d);
}

static int seccomp_ok(const char *t) { return t && (!strcmp(t, "RuntimeDefault") || !strcmp(t, "Localhost")); }

/* seccompProfile at baseline: nothing may set a type other than
 * RuntimeDefault or Localhost (an unset profile is fine). */
static void check_seccomp_baseline(const podv_t *v, result_t *r)
{
    names_t ctrs = { .n = 0 }, vals = { .n = 0 };
    int pod = 0;
    const cJSON *pp = adm_get(v->psc, "seccompProfile");
    if (pp && !seccomp_ok(adm_str(pp, "type"))) {
        pod = 1;
        names_add(&vals, adm_str(pp, "type") ? adm_str(pp, "type") : "");
    }
    for (int i = 0; i < v->n; i++) {
        const cJSON *cp = adm_get(v->c[i].sc, "seccompProfile");
        if (cp && !seccomp_ok(adm_str(cp, "type"))) {
            names_add(&ctrs, v->c[i].name);
            names_add(&vals, adm_str(cp, "type") ? adm_str(cp, "type") : "");
        }
    }
    if (!pod && !ctrs.n) return;
    names_sort(&vals);
    SBUF(d);
    sb_setters(&d, pod, &ctrs);
    sb_add(&d, " must not set securityContext.seccompProfile.type to ");
    sb_quoted(&d, &vals);
    fail(r, "seccompProfile", &d);
}

static const char *const safe_sysctls[] = { "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                                            "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
                                            "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                                            "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                                            "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
                                            NULL };

/* the safe set grew: ip_local_reserved_ports in 1.27, the TCP keepalive
 * and fin_timeout ones in 1.29 */
static int sysctl_safe(const char *n, int minor)
{
    for (int i = 0; safe_sysctls[i]; i++)
        if (!strcmp(safe_sysctls[i], n)) return i < 5 || (i == 5 && minor >= 27) || (i > 5 && minor >= 29);
    return 0;
}

static void check_sysctls(const podv_t *v, result_t *r)
{
    SBUF(d);
    const cJSON *s;
    cJSON_ArrayForEach(s, adm_path(v->psc, "sysctls")) {
        const char *n = adm_str(s, "name");
        if (n && !sysctl_safe(n, v->minor)) sb_add(&d, "%s%s", d.n ? ", " : "", n);
    }
    if (d.n) fail(r, "forbidden sysctls", &d);
}

/* hostProcess (Windows): neither pod nor container may set
 * securityContext.windowsOptions.hostProcess=true. */
static void check_host_process(const podv_t *v, result_t *r)
{
    names_t ctrs = { .n = 0 };
    int pod = is_true(adm_path(v->psc, "windowsOptions.hostProcess"));
    for (int i = 0; i < v->n; i++)
        if (is_true(adm_path(v->c[i].sc, "windowsOptions.hostProcess"))) names_add(&ctrs, v->c[i].name);
    if (!pod && !ctrs.n) return;
    SBUF(d);
    sb_setters(&d, pod, &ctrs);
    sb_add(&d, " must not set securityContext.windowsOptions.hostProcess=true");
    fail(r, "hostProcess", &d);
}

/* ---- restricted checks ------------------------------------------------------ */

static void check_allow_priv_esc(const podv_t *v, result_t *r)
{
    names_t who = { .n = 0 };
    for (int i = 0; i < v->n; i++)
        if (!is_false(adm_get(v->c[i].sc, "allowPrivilegeEscalation"))) names_add(&who, v->c[i].name);
    if (!who.n) return;
    SBUF(d);
    sb_names(&d, "container", "containers", &who);
    sb_add(&d, " must set securityContext.allowPrivilegeEscalation=false");
    fail(r, "allowPrivilegeEscalation != false", &d);
}

static void check_capabilities_restricted(const podv_t *v, result_t *r)
{
    names_t nodrop = { .n = 0 }, adders = { .n = 0 }, caps = { .n = 0 };
    for (int i = 0; i < v->n; i++) {
        int dropped = 0;
        const cJSON *cap;
        cJSON_ArrayForEach(cap, adm_path(v->c[i].sc, "capabilities.drop"))
            if (cJSON_IsString(cap) && strcmp(cap->valuestring, "ALL") == 0) dropped = 1;
        if (!dropped) names_add(&nodrop, v->c[i].name);
        cJSON_ArrayForEach(cap, adm_path(v->c[i].sc, "capabilities.add")) {
            if (!cJSON_IsString(cap) || strcmp(cap->valuestring, "NET_BIND_SERVICE") == 0) continue;
            names_add(&adders, v->c[i].name);
            names_add(&caps, cap->valuestring);
        }
    }
    if (!nodrop.n && !adders.n) return;
    names_sort(&caps);
    SBUF(d);
    if (nodrop.n) {
        sb_names(&d, "container", "containers", &nodrop);
        sb_add(&d, " must set securityContext.capabilities.drop=[\"ALL\"]");
    }
    if (adders.n) {
        if (d.n) sb_add(&d, "; ");
        sb_names(&d, "container", "containers", &adders);
        sb_add(&d, " must not include ");
        sb_quoted(&d, &caps);
        sb_add(&d, " in securityContext.capabilities.add");
    }
    fail(r, "unrestricted capabilities", &d);
}

static const char *const allowed_volumes[] = { "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image",
                                               "persistentVolumeClaim", "projected", "secret", NULL };
/* the volume sources Kubernetes names; any other is reported as "unknown" */
static const char *const known_volumes[] = { "hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo",
                                             "nfs", "iscsi", "glusterfs", "rbd", "flexVolume", "cinder", "cephfs",
                                             "flocker", "fc", "azureFile", "vsphereVolume", "quobyte", "azureDisk",
                                             "photonPersistentDisk", "portworxVolume", "scaleIO", "storageos", NULL };

static void check_restricted_volumes(const podv_t *v, result_t *r)
{
    names_t types = { .n = 0 }, vols = { .n = 0 };
    const cJSON *vol;
    cJSON_ArrayForEach(vol, adm_get(v->spec, "volumes")) {
        const char *type = NULL;
        int has_source = 0, allowed = 0;
        const cJSON *f;
        cJSON_ArrayForEach(f, vol) {
            if (!f->string || strcmp(f->string, "name") == 0 || cJSON_IsNull(f)) continue;
            has_source = 1;
            if (in_list(allowed_volumes, f->string)) allowed = 1;
            else if (!type && in_list(known_volumes, f->string)) type = f->string;
        }
        /* no source at all is an emptyDir once defaulted */
        if (!has_source || allowed) continue;
        names_add(&vols, adm_str(vol, "name") ? adm_str(vol, "name") : "");
        names_add(&types, type ? type : "unknown");
    }
    if (!vols.n) return;
    names_sort(&types);
    SBUF(d);
    sb_names(&d, "volume", "volumes", &vols);
    sb_add(&d, " %s restricted volume %s ", vols.n == 1 ? "uses" : "use", types.n == 1 ? "type" : "types");
    sb_quoted(&d, &types);
    fail(r, "restricted volume types", &d);
}

/* runAsNonRoot: an explicit false (pod or container) is reported alone;
 * otherwise containers that neither set it nor inherit a pod-level true. */
static void check_run_as_non_root(const podv_t *v, result_t *r)
{
    const cJSON *pod_nr = adm_get(v->psc, "runAsNonRoot");
    int pod_bad = is_false(pod_nr), pod_true = is_true(pod_nr);
    names_t bad = { .n = 0 }, unset = { .n = 0 };
    for (int i = 0; i < v->n; i++) {
        const cJSON *c = adm_get(v->c[i].sc, "runAsNonRoot");
        if (cJSON_IsBool(c)) { if (is_false(c)) names_add(&bad, v->c[i].name); }
        else if (!pod_true) names_add(&unset, v->c[i].name);
    }
    SBUF(d);
    if (pod_bad || bad.n) {
        sb_setters(&d, pod_bad, &bad);
        sb_add(&d, " must not set securityContext.runAsNonRoot=false");
    } else if (unset.n) {
        sb_add(&d, "pod or ");
        sb_names(&d, "container", "containers", &unset);
        sb_add(&d, " must set securityContext.runAsNonRoot=true");
    }
    if (d.n) fail(r, "runAsNonRoot != true", &d);
}

static void check_run_as_user(const podv_t *v, result_t *r)
{
    const cJSON *u = adm_get(v->psc, "runAsUser");
    int pod = cJSON_IsNumber(u) && u->valuedouble == 0;
    names_t who = { .n = 0 };
    for (int i = 0; i < v->n; i++) {
        const cJSON *cu = adm_get(v->c[i].sc, "runAsUser");
        if (cJSON_IsNumber(cu) && cu->valuedouble == 0) names_add(&who, v->c[i].name);
    }
    if (!pod && !who.n) return;
    SBUF(d);
    sb_setters(&d, pod, &who);
    sb_add(&d, " must not set runAsUser=0");
    fail(r, "runAsUser=0", &d);
}

/* seccompProfile at restricted: an explicit bad type is reported alone;
 * otherwise containers without a profile and no valid pod-level one. */
static void check_seccomp_restricted(const podv_t *v, result_t *r)
{
    names_t bad = { .n = 0 }, unset = { .n = 0 }, vals = { .n = 0 };
    const cJSON *pp = adm_get(v->psc, "seccompProfile");
    int pod_bad = 0, pod_set = 0;
    if (pp) {
        const char *t = adm_str(pp, "type");
        if (seccomp_ok(t)) pod_set = 1;
        else { pod_bad = 1; names_add(&vals, t ? t : ""); }
    }
    for (int i = 0; i < v->n; i++) {
        const cJSON *cp = adm_get(v->c[i].sc, "seccompProfile");
        if (cp) {
            const char *t = adm_str(cp, "type");
            if (!seccomp_ok(t)) { names_add(&bad, v->c[i].name); names_add(&vals, t ? t : ""); }
        } else if (!pod_set) {
            names_add(&unset, v->c[i].name);
        }
    }
    SBUF(d);
    if (pod_bad || bad.n) {
        names_sort(&vals);
        sb_setters(&d, pod_bad, &bad);
        sb_add(&d, " must not set securityContext.seccompProfile.type to ");
        sb_quoted(&d, &vals);
    } else if (unset.n) {
        sb_add(&d, "pod or ");
        sb_names(&d, "container", "containers", &unset);
        sb_add(&d, " must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"");
    }
    if (d.n) fail(r, "seccompProfile", &d);
}

/* Evaluate the pod at `level`; returns the number of failed checks with
 * the joined text in r->out. The order is Kubernetes': baseline checks by
 * ID (appArmorProfile, capabilities_baseline, hostNamespaces,
 * hostPathVolumes, hostPorts, privileged, procMount, seLinuxOptions,
 * seccompProfile_baseline, sysctls, windowsHostProcess), then the
 * restricted ones; at restricted, three baseline checks are replaced by
 * their stricter restricted versions. */
static int ps_evaluate(const cJSON *pod, int level, int minor, result_t *r)
{
    r->n = 0;
    r->out.n = 0;
    r->out.s[0] = '\0';
    r->reasons.n = 0;
    r->reasons.s[0] = '\0';
    if (level <= LVL_PRIVILEGED) return 0;
    podv_t view;
    podv_t *v = &view;
    pod_view(pod, v);
    v->minor = minor;
    /* restricted's capability check replaces baseline's from 1.22 on */
    int caps_restricted = level == LVL_RESTRICTED && minor >= 22;
    check_apparmor(v, r);
    if (!caps_restricted) check_capabilities_baseline(v, r);
    check_host_namespaces(v, r);
    if (level == LVL_BASELINE) check_host_path(v, r);
    check_host_ports(v, r);
    check_privileged(v, r);
    check_proc_mount(v, r);
    check_selinux(v, r);
    if (level == LVL_BASELINE) check_seccomp_baseline(v, r);
    check_sysctls(v, r);
    check_host_process(v, r);
    if (level == LVL_RESTRICTED) {
        check_allow_priv_esc(v, r);
        if (caps_restricted) check_capabilities_restricted(v, r);
        check_restricted_volumes(v, r);
        check_run_as_non_root(v, r);
        if (minor >= 23) check_run_as_user(v, r); /* added in 1.23 */
        check_seccomp_restricted(v, r);
    }
    return r->n;
}

/* ---- admission ------------------------------------------------------------ */


#define PS_LATEST_MINOR 32 /* the Kubernetes release whose policy "latest" is */

/* "latest" or "v1.<minor>" (as the pod-security.kubernetes.io/<mode>-version
 * labels write it); anything else, or a newer minor, is latest. */
static int ps_minor(const char *ver)
{
    if (!ver || strncmp(ver, "v1.", 3) != 0) return PS_LATEST_MINOR;
    char *end;
    long m = strtol(ver + 3, &end, 10);
    if (*end || end == ver + 3 || m < 0 || m > PS_LATEST_MINOR) return PS_LATEST_MINOR;
    return (int)m;
}

#define PS_LABEL "pod-security.kubernetes.io/"

/* What is kept of a Namespace: its labels under pod-security.kubernetes.io/ */
static cJSON *ps_reduce(cJSON *ns)
{
    cJSON *out = cJSON_CreateObject();
    const cJSON *l;
    cJSON_ArrayForEach(l, adm_path(ns, "metadata.labels"))
        if (out && cJSON_IsString(l) && strncmp(l->string, PS_LABEL, sizeof PS_LABEL - 1) == 0)
            cJSON_AddStringToObject(out, l->string + sizeof PS_LABEL - 1, l->valuestring);
    cJSON_Delete(ns);
    return out;
}

/* which: "enforce"; which_version: "enforce-version" (labels as ps_reduce
 * keeps them: prefix stripped). Runs on every pod create: no formatting
 * unless the level needs its version. */
static void ns_mode(const cJSON *labels, const char *which, const char *which_version, const char *def, mode_t_ *m)
{
    const cJSON *lv = labels ? adm_get(labels, which) : NULL;
    const char *l = cJSON_IsString(lv) ? lv->valuestring : NULL;
    m->level = ps_level(l && *l ? l : def);
    if (m->level == -2) m->level = LVL_RESTRICTED; /* an unknown level: the safe choice */
    m->version[0] = '\0';
    m->minor = PS_LATEST_MINOR;
    if (m->level <= LVL_PRIVILEGED) return;
    const cJSON *vv = labels ? adm_get(labels, which_version) : NULL;
    const char *ver = cJSON_IsString(vv) && *vv->valuestring ? vv->valuestring : "latest";
    size_t n = strlen(ver);
    if (n >= sizeof m->version) n = sizeof m->version - 1;
    memcpy(m->version, ver, n);
    m->version[n] = '\0';
    m->minor = ps_minor(ver);
}

/* As kube-apiserver: a pod update is checked only when it could change
 * what the checks see — the number of containers of any kind, an image,
 * or a seccomp annotation (everything else in a pod's spec is immutable);
 * label and status changes pass. An update of the ephemeralcontainers
 * subresource is always checked. */
static int significant_update(const cJSON *pod, const cJSON *old)
{
    if (!old) return 1;
    static const char *const lists[] = { "spec.initContainers", "spec.containers", "spec.ephemeralContainers" };
    for (int l = 0; l < 3; l++) {
        const cJSON *a = adm_path(pod, lists[l]), *b = adm_path(old, lists[l]);
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b)) return 1;
        for (const cJSON *x = a ? a->child : NULL, *y = b ? b->child : NULL; x && y; x = x->next, y = y->next) {
            const char *ix = adm_str(x, "image"), *iy = adm_str(y, "image");
            if ((ix == NULL) != (iy == NULL) || (ix && strcmp(ix, iy) != 0)) return 1;
        }
    }
    const cJSON *an = adm_path(pod, "metadata.annotations"), *ao = adm_path(old, "metadata.annotations"), *x;
    const char *pfx[] = { "seccomp.security.alpha.kubernetes.io/pod", "container.seccomp.security.alpha.kubernetes.io/" };
    for (int side = 0; side < 2; side++)
        cJSON_ArrayForEach(x, (side ? ao : an)) {
            if (!x->string || (strcmp(x->string, pfx[0]) != 0 && strncmp(x->string, pfx[1], strlen(pfx[1])) != 0)) continue;
            /* keys hold dots: adm_get, not the dotted-path adm_str */
            const cJSON *a1 = adm_get(an, x->string), *a2 = adm_get(ao, x->string);
            const char *v1 = cJSON_IsString(a1) ? a1->valuestring : NULL, *v2 = cJSON_IsString(a2) ? a2->valuestring : NULL;
            if ((v1 == NULL) != (v2 == NULL) || (v1 && strcmp(v1, v2) != 0)) return 1;
        }
    return 0;
}

/* Kubernetes warns when a namespace's enforce level or version changes and
 * pods already there would not be admitted under it (kubectl label prints
 * them): one line naming the namespace and level, then per distinct set of
 * failed checks the first pod by name and how many others share it:
 *   existing pods in namespace "ns" violate the new PodSecurity enforce level "restricted:latest"
 *   web-1 (and 2 other pods): privileged, allowPrivilegeEscalation != false
 * Nothing is refused. */
#define PS_MAX_GROUPS 64
static void ps_namespace_warnings(ps_t *p, skiff_adm_request_t *req)
{
    if (req->size < offsetof(skiff_adm_request_t, host_data) + sizeof(void *) || !req->warn || !req->old_object) return;
    for (const char *const *e = p->exempt; e && *e; e++)
        if (strcmp(*e, req->name) == 0) return;
    cJSON *nl = ps_reduce(cJSON_Duplicate(req->object, 1)), *ol = ps_reduce(cJSON_Duplicate(req->old_object, 1));
    mode_t_ nm, om;
    ns_mode(nl, "enforce", "enforce-version", p->enforce, &nm);
    ns_mode(ol, "enforce", "enforce-version", p->enforce, &om);
    cJSON_Delete(nl);
    cJSON_Delete(ol);
    if (nm.level <= LVL_PRIVILEGED || (nm.level == om.level && nm.minor == om.minor)) return;
    char path[400], *json = NULL;
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods", req->name);
    skiff_error_t e;
    skiff_error_clear(&e);
    int rc = p->host->api_list(p->ctx, path, NULL, NULL, &json, &e);
    cJSON *list = rc == 0 && json ? cJSON_Parse(json) : NULL;
    p->host->api_free(json);
    result_t *r = malloc(sizeof *r);
    struct { char *reasons; const char *pod; int count; } g[PS_MAX_GROUPS];
    int ng = 0;
    const cJSON *pod;
    cJSON_ArrayForEach(pod, adm_get(list, "items")) {
        if (!r || ps_evaluate(pod, nm.level, nm.minor, r) <= 0) continue;
        const char *name = adm_str(pod, "metadata.name") ? adm_str(pod, "metadata.name") : "";
        int k = 0;
        while (k < ng && strcmp(g[k].reasons, r->reasons.s) != 0) k++;
        if (k == ng) {
            if (ng == PS_MAX_GROUPS || !(g[ng].reasons = strdup(r->reasons.s))) continue;
            g[ng].pod = name;
            g[ng].count = 0;
            ng++;
        } else if (strcmp(name, g[k].pod) < 0) {
            g[k].pod = name;
        }
        g[k].count++;
    }
    char *msg = NULL;
    if (ng && asprintf(&msg, "existing pods in namespace \"%s\" violate the new PodSecurity enforce level \"%s:%s\"",
                       req->name, level_names[nm.level], nm.version) >= 0) {
        req->warn(req, msg);
        free(msg);
    }
    for (int k = 0; k < ng; k++) {
        int n;
        if (g[k].count == 1) n = asprintf(&msg, "%s: %s", g[k].pod, g[k].reasons);
        else if (g[k].count == 2) n = asprintf(&msg, "%s (and 1 other pod): %s", g[k].pod, g[k].reasons);
        else n = asprintf(&msg, "%s (and %d other pods): %s", g[k].pod, g[k].count - 1, g[k].reasons);
        if (n >= 0) {
            req->warn(req, msg);
            free(msg);
        }
        free(g[k].reasons);
    }
    free(r);
    cJSON_Delete(list);
}

/* The namespace's three modes, read from the cached labels in place. */
typedef struct ps_modes { const ps_t *p; mode_t_ enf, wrn, aud; } ps_modes_t;
static int ps_modes_view(const cJSON *labels, void *arg)
{
    ps_modes_t *m = arg;
    if (!labels || !labels->child) {
        /* no pod-security labels (ps_reduce keeps only those): the defaults, worked out once */
        m->enf = m->p->def_enf;
        m->wrn = m->p->def_wrn;
        m->aud = m->p->def_aud;
        return 1;
    }
    ns_mode(labels, "enforce", "enforce-version", m->p->enforce, &m->enf);
    ns_mode(labels, "warn", "warn-version", m->p->warn, &m->wrn);
    ns_mode(labels, "audit", "audit-version", m->p->audit, &m->aud);
    return 1; /* copies only */
}

static int ps_admit(void *self, skiff_adm_request_t *req, skiff_adm_verdict_t *verdict,
                    skiff_error_t *err)
{
    ps_t *p = self;
    *verdict = SKIFF_ADM_ALLOW;
    if ((!req->group || !*req->group) && req->resource && strcmp(req->resource, "namespaces") == 0 && req->name) {
        adm_cache_invalidate(&p->cache, req->name); /* labels may change */
        if (req->op == SKIFF_ADM_UPDATE && req->object && (!req->subresource || !*req->subresource))
            ps_namespace_warnings(p, req);
        return 0;
    }
    if ((req->op != SKIFF_ADM_CREATE && req->op != SKIFF_ADM_UPDATE) || !req->object) return 0;
    if ((req->group && *req->group) || !req->resource || strcmp(req->resource, "pods") != 0) return 0;
    if (!req->namespace_ || !*req->namespace_) return 0;
    const char *sub = req->subresource ? req->subresource : "";
    if (*sub && strcmp(sub, "ephemeralcontainers") != 0) return 0; /* status, binding, ... */
    if (req->op == SKIFF_ADM_UPDATE && !*sub && !significant_update(req->object, req->old_object)) return 0;
    for (const char *const *e = p->exempt; e && *e; e++)
        if (strcmp(*e, req->namespace_) == 0) return 0;

    ps_modes_t m; /* ps_modes_view fills every mode */
    m.p = p;
    int rc = adm_cache_view_ns(&p->cache, p->ctx, req->namespace_, "", 0, ps_reduce, ps_modes_view, &m, sizeof m, err);
    if (rc < 0) return rc;
    mode_t_ enf = m.enf, wrn = m.wrn, aud = m.aud;
    if (enf.level <= LVL_PRIVILEGED && wrn.level <= LVL_PRIVILEGED && aud.level <= LVL_PRIVILEGED) return 0;
    result_t *r = malloc(sizeof *r); /* ps_evaluate initialises it */
    if (!r) return skiff_error_set(err, -ENOMEM, "out of memory");
    if (enf.level > LVL_PRIVILEGED && ps_evaluate(req->object, enf.level, enf.minor, r) > 0) {
        *verdict = SKIFF_ADM_DENY;
        skiff_error_set(err, SKIFF_E_INVALID, "violates PodSecurity \"%s:%s\": %s",
                        level_names[enf.level], enf.version, r->out.s);
        if (req->size >= offsetof(skiff_adm_request_t, set_reason) + sizeof(void *) && req->set_reason) {
            char *msg = NULL;
            if (asprintf(&msg, "violates PodSecurity \"%s:%s\": %s", level_names[enf.level],
                         enf.version, r->out.s) >= 0) {
                req->set_reason(req, msg);
                free(msg);
            }
        }
        free(r);
        return 0;
    }
    if (wrn.level > LVL_PRIVILEGED && ps_evaluate(req->object, wrn.level, wrn.minor, r) > 0
        && req->size >= offsetof(skiff_adm_request_t, host_data) + sizeof(void *) && req->warn) {
        char *msg = NULL;
        if (asprintf(&msg, "would violate PodSecurity \"%s:%s\": %s", level_names[wrn.level], wrn.version,
                     r->out.s) >= 0) {
            req->warn(req, msg);
            free(msg);
        }
    }
    if (aud.level > LVL_PRIVILEGED && ps_evaluate(req->object, aud.level, aud.minor, r) > 0)
        p->host->log(p->ctx, SKIFF_LOG_INFO, "audit: pod %s/%s would violate PodSecurity \"%s:%s\": %s",
                     req->namespace_, req->name ? req->name : "", level_names[aud.level], aud.version, r->out.s);
    free(r);
    return 0;
}

static const skiff_config_key_t ps_keys[] = {
    { "enforce", SKIFF_CFG_STRING, "privileged", SKIFF_CFG_FILL, offsetof(ps_t, enforce),
      "level enforced where a namespace has no pod-security.kubernetes.io/enforce label" },
    { "warn", SKIFF_CFG_STRING, "", SKIFF_CFG_FILL, offsetof(ps_t, warn),
      "default warn level (\"\" = none)" },
    { "audit", SKIFF_CFG_STRING, "", SKIFF_CFG_FILL, offsetof(ps_t, audit),
      "default audit level (\"\" = none)" },
    { "exempt_namespaces", SKIFF_CFG_STRLIST, NULL, SKIFF_CFG_FILL, offsetof(ps_t, exempt),
      "namespaces never checked" },
    SKIFF_CONFIG_END,
};

static const skiff_admission_ops_t ps_ops = {
    .size = sizeof(skiff_admission_ops_t),
    .mutating = 0,
    .admit = ps_admit,
};

SKIFF_PLUGIN_EXPORT const skiff_plugin_t skiff_plugin = {
    SKIFF_PLUGIN_HEADER,
    .kind = SKIFF_KIND_ADMISSION,
    .name = "pod-security",
    .version = "0.1.0",
    .description = "Pod Security Standards (privileged, baseline, restricted) per namespace label.",
    .config = ps_keys,
    .instance_size = sizeof(ps_t),
    .init = ps_init,
    .fini = ps_fini,
    .ops = &ps_ops,
};
