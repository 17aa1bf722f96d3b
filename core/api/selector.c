/* Label and field selectors; see selector.h. The label grammar and its
 * messages follow k8s.io/apimachinery/pkg/labels/selector.go. */
#include "api/selector.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/validate.h"

/* ---------- lexer ---------- */

typedef enum { T_ERR, T_END, T_CLOSE, T_COMMA, T_NOT, T_DEQ, T_EQ, T_GT, T_ID, T_IN, T_LT, T_NEQ, T_NOTIN, T_OPEN } tok_t;

typedef struct {
    tok_t t;
    char *lit;
    size_t pos;
} item_t;

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
static int is_special(char c) { return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<'; }

static tok_t keyword(const char *s, size_t n)
{
    static const struct { const char *s; tok_t t; } kw[] = {
        { ")", T_CLOSE }, { ",", T_COMMA }, { "!", T_NOT }, { "==", T_DEQ }, { "=", T_EQ }, { ">", T_GT },
        { "in", T_IN }, { "<", T_LT }, { "!=", T_NEQ }, { "notin", T_NOTIN }, { "(", T_OPEN },
    };
    for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
        if (strlen(kw[i].s) == n && !memcmp(kw[i].s, s, n)) return kw[i].t;
    return T_ID;
}

/* Scan all tokens; returns the count or -ENOMEM. items end with T_END or T_ERR. */
static int lex_all(const char *s, item_t **out)
{
    size_t cap = 8, n = 0, i = 0, len = strlen(s);
    item_t *it = malloc(cap * sizeof *it);
    if (!it) return -ENOMEM;
    for (;;) {
        if (n == cap) {
            item_t *g = realloc(it, (cap *= 2) * sizeof *it);
            if (!g) goto oom;
            it = g;
        }
        while (i < len && is_ws(s[i])) i++;
        size_t start = i;
        tok_t t;
        if (i >= len) {
            t = T_END;
        } else if (is_special(s[i])) {
            /* Longest run of special chars that is still a keyword. */
            size_t best = 0;
            tok_t bt = T_ERR;
            for (size_t j = i; j < len && is_special(s[j]); j++) {
                tok_t k = keyword(s + i, j - i + 1);
                if (k != T_ID) { best = j - i + 1; bt = k; }
                else if (best) break;
            }
            if (!best) { while (i < len && is_special(s[i])) i++; t = T_ERR; }
            else { i += best; t = bt; }
        } else {
            while (i < len && !is_special(s[i]) && !is_ws(s[i])) i++;
            t = keyword(s + start, i - start);
        }
        it[n].t = t;
        it[n].pos = start;
        if (!(it[n].lit = strndup(s + start, i - start))) goto oom;
        n++;
        if (t == T_END || t == T_ERR) break;
    }
    *out = it;
    return (int)n;
oom:
    for (size_t k = 0; k < n; k++) free(it[k].lit);
    free(it);
    return -ENOMEM;
}

/* ---------- parser ---------- */

typedef struct {
    item_t *it;
    int n, p;
    skiff_error_t *err;
    size_t err_pos;
    skiff_api_selector_t *sel;
} parser_t;

/* In a values context "in"/"notin" are plain identifiers. */
static tok_t ctx(tok_t t, int values) { return values && (t == T_IN || t == T_NOTIN) ? T_ID : t; }
static item_t *peek(parser_t *ps) { return &ps->it[ps->p < ps->n ? ps->p : ps->n - 1]; }
static item_t *next(parser_t *ps) { item_t *i = peek(ps); if (ps->p < ps->n - 1) ps->p++; return i; }

static int perr(parser_t *ps, const item_t *at, int wrap, const char *fmt, ...) SKIFF_PRINTF(4, 5);
static int perr(parser_t *ps, const item_t *at, int wrap, const char *fmt, ...)
{
    char m[SKIFF_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    ps->err_pos = at->pos;
    return skiff_error_set(ps->err, SKIFF_E_INVALID, "%s%s", wrap ? "unable to parse requirement: " : "", m);
}

static int str_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void req_free(skiff_api_requirement_t *r)
{
    free(r->key);
    for (int i = 0; i < r->nvalues; i++) free(r->values[i]);
    free(r->values);
}

static int req_push(skiff_api_selector_t *sel, skiff_api_requirement_t *r)
{
    skiff_api_requirement_t *g = realloc(sel->reqs, (size_t)(sel->n + 1) * sizeof *g);
    if (!g) return -ENOMEM;
    sel->reqs = g;
    sel->reqs[sel->n++] = *r;
    return 0;
}

static int add_value(skiff_api_requirement_t *r, const char *v)
{
    for (int i = 0; i < r->nvalues; i++) if (!strcmp(r->values[i], v)) return 0; /* a set */
    char **g = realloc(r->values, (size_t)(r->nvalues + 1) * sizeof *g);
    if (!g) return -ENOMEM;
    r->values = g;
    if (!(r->values[r->nvalues] = strdup(v))) return -ENOMEM;
    r->nvalues++;
    return 0;
}

/* kube's NewRequirement checks: key, values, counts. `where` = token for the offset. */
static int req_validate(const skiff_api_requirement_t *r, skiff_error_t *err, const char *prefix)
{
    const char *msgs[SKIFF_API_CHECK_MAX];
    if (skiff_api_check_qualified_name(r->key, msgs))
        return skiff_error_set(err, SKIFF_E_INVALID, "%skey: Invalid value: \"%s\": %s", prefix, r->key, msgs[0]);
    switch (r->op) {
    case SKIFF_SEL_IN: case SKIFF_SEL_NOTIN:
        if (r->nvalues == 0)
            return skiff_error_set(err, SKIFF_E_INVALID, "%svalues: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty", prefix);
        break;
    case SKIFF_SEL_EQ: case SKIFF_SEL_NEQ:
        if (r->nvalues != 1)
            return skiff_error_set(err, SKIFF_E_INVALID, "%svalues: Invalid value: %d: exact-match compatibility requires one single value", prefix, r->nvalues);
        break;
    case SKIFF_SEL_EXISTS: case SKIFF_SEL_NOT_EXISTS:
        if (r->nvalues != 0)
            return skiff_error_set(err, SKIFF_E_INVALID, "%svalues: Invalid value: %d: values set must be empty for exists and does not exist", prefix, r->nvalues);
        break;
    case SKIFF_SEL_GT: case SKIFF_SEL_LT: {
        if (r->nvalues != 1)
            return skiff_error_set(err, SKIFF_E_INVALID, "%svalues: Invalid value: %d: for 'Gt', 'Lt' operators, exactly one value is required", prefix, r->nvalues);
        char *end;
        errno = 0;
        (void)strtoll(r->values[0], &end, 10);
        if (!r->values[0][0] || *end || errno)
            return skiff_error_set(err, SKIFF_E_INVALID, "%svalues[0]: Invalid value: \"%s\": for 'Gt', 'Lt' operators, the value must be an integer", prefix, r->values[0]);
        return 0;
    }
    }
    for (int i = 0; i < r->nvalues; i++)
        if (skiff_api_check_label_value(r->values[i], msgs))
            return skiff_error_set(err, SKIFF_E_INVALID, "%svalues[%d][%s]: Invalid value: \"%s\": %s", prefix, i, r->key,
                                   r->values[i], msgs[0]);
    return 0;
}

static int parse_requirement(parser_t *ps)
{
    skiff_api_requirement_t r = {0};
    int rc = 0, neg = 0;
    item_t *t = next(ps);
    if (t->t == T_NOT) { neg = 1; t = next(ps); }
    if (ctx(t->t, 1) != T_ID) return perr(ps, t, 1, "found '%s', expected: identifier", t->lit);
    item_t *keytok = t;
    if (!(r.key = strdup(t->lit))) return skiff_error_set(ps->err, -ENOMEM, "out of memory");
    tok_t la = ctx(peek(ps)->t, 1);
    if (neg || la == T_END || la == T_COMMA) {
        r.op = neg ? SKIFF_SEL_NOT_EXISTS : SKIFF_SEL_EXISTS;
    } else {
        item_t *op = next(ps);
        switch (op->t) {
        case T_IN: r.op = SKIFF_SEL_IN; break;
        case T_NOTIN: r.op = SKIFF_SEL_NOTIN; break;
        case T_EQ: case T_DEQ: r.op = SKIFF_SEL_EQ; break;
        case T_NEQ: r.op = SKIFF_SEL_NEQ; break;
        case T_GT: r.op = SKIFF_SEL_GT; break;
        case T_LT: r.op = SKIFF_SEL_LT; break;
        default: rc = perr(ps, op, 1, "found '%s', expected: in, notin, =, ==, !=, gt, lt", op->lit); goto fail;
        }
        if (r.op == SKIFF_SEL_IN || r.op == SKIFF_SEL_NOTIN) {
            item_t *o = next(ps);
            if (o->t != T_OPEN) { rc = perr(ps, o, 1, "found '%s' expected: '('", o->lit); goto fail; }
            item_t *v = peek(ps);
            if (ctx(v->t, 1) == T_CLOSE) {
                next(ps);
                if (add_value(&r, "")) goto oom;
            } else if (ctx(v->t, 1) == T_ID || v->t == T_COMMA) {
                /* identifiers separated by commas; empty slots are "" values */
                int want_value = 1;
                for (;;) {
                    item_t *x = next(ps);
                    tok_t xt = ctx(x->t, 1);
                    if (xt == T_ID && want_value) {
                        if (add_value(&r, x->lit)) goto oom;
                        want_value = 0;
                    } else if (xt == T_COMMA) {
                        if (want_value && add_value(&r, "")) goto oom;
                        want_value = 1;
                    } else if (xt == T_CLOSE) {
                        if (want_value && add_value(&r, "")) goto oom;
                        break;
                    } else {
                        rc = perr(ps, x, 1, want_value ? "found '%s', expected: ',', or identifier" : "found '%s', expected: ',' or ')'", x->lit);
                        goto fail;
                    }
                }
            } else {
                rc = perr(ps, v, 1, "found '%s', expected: ',', ')' or identifier", v->lit);
                goto fail;
            }
            if (r.nvalues > 1) qsort(r.values, (size_t)r.nvalues, sizeof *r.values, str_cmp);
        } else {
            item_t *v = peek(ps);
            tok_t vt = ctx(v->t, 1);
            if (vt == T_END || vt == T_COMMA) {
                if (add_value(&r, "")) goto oom;
            } else {
                next(ps);
                if (vt != T_ID) { rc = perr(ps, v, 1, "found '%s', expected: identifier", v->lit); goto fail; }
                if (add_value(&r, v->lit)) goto oom;
            }
        }
    }
    if ((rc = req_validate(&r, ps->err, "unable to parse requirement: "))) { ps->err_pos = keytok->pos; goto fail; }
    if (req_push(ps->sel, &r)) goto oom;
    return 0;
oom:
    rc = skiff_error_set(ps->err, -ENOMEM, "out of memory");
fail:
    req_free(&r);
    return rc;
}

static int req_cmp(const void *a, const void *b)
{
    return strcmp(((const skiff_api_requirement_t *)a)->key, ((const skiff_api_requirement_t *)b)->key);
}

int skiff_api_label_selector_parse(const char *text, skiff_api_selector_t **out, size_t *err_pos, skiff_error_t *err)
{
    *out = NULL;
    if (err_pos) *err_pos = 0;
    if (!text) text = "";
    skiff_api_selector_t *sel = calloc(1, sizeof *sel);
    item_t *items = NULL;
    int n = sel ? lex_all(text, &items) : -ENOMEM;
    if (n < 0) { free(sel); return skiff_error_set(err, -ENOMEM, "out of memory"); }
    parser_t ps = { .it = items, .n = n, .p = 0, .err = err, .sel = sel };
    int rc = 0;
    for (;;) {
        item_t *t = peek(&ps);
        tok_t tt = ctx(t->t, 1);
        if (tt == T_END) break;
        if (tt != T_ID && tt != T_NOT) { rc = perr(&ps, t, 0, "found '%s', expected: !, identifier, or 'end of string'", t->lit); break; }
        if ((rc = parse_requirement(&ps))) break;
        item_t *after = next(&ps);
        tok_t at = ctx(after->t, 1);
        if (at == T_END) break;
        if (at != T_COMMA) { rc = perr(&ps, after, 0, "found '%s', expected: ',' or 'end of string'", after->lit); break; }
        item_t *la = peek(&ps);
        tok_t lt = ctx(la->t, 1);
        if (lt != T_ID && lt != T_NOT) { rc = perr(&ps, la, 0, "found '%s', expected: identifier after ','", la->lit); break; }
    }
    for (int i = 0; i < n; i++) free(items[i].lit);
    free(items);
    if (rc) {
        if (err_pos) *err_pos = ps.err_pos;
        skiff_api_selector_free(sel);
        return rc;
    }
    if (sel->n > 1) qsort(sel->reqs, (size_t)sel->n, sizeof *sel->reqs, req_cmp);
    *out = sel;
    return 0;
}

int skiff_api_label_selector_from_object(const cJSON *ls, skiff_api_selector_t **out, skiff_error_t *err)
{
    *out = NULL;
    skiff_api_selector_t *sel = calloc(1, sizeof *sel);
    if (!sel) return skiff_error_set(err, -ENOMEM, "out of memory");
    if (!ls || cJSON_IsNull(ls)) { sel->nothing = 1; *out = sel; return 0; }
    int rc = 0;
    if (!cJSON_IsObject(ls)) { rc = skiff_error_set(err, SKIFF_E_INVALID, "selector: must be an object"); goto fail; }
    const cJSON *ml = cJSON_GetObjectItemCaseSensitive(ls, "matchLabels"), *e;
    if (ml && !cJSON_IsObject(ml) && !cJSON_IsNull(ml)) { rc = skiff_error_set(err, SKIFF_E_INVALID, "matchLabels: must be an object"); goto fail; }
    cJSON_ArrayForEach(e, ml) {
        char pre[320];
        snprintf(pre, sizeof pre, "matchLabels[%s]: ", e->string);
        skiff_api_requirement_t r = { .op = SKIFF_SEL_EQ };
        if (!cJSON_IsString(e)) { rc = skiff_error_set(err, SKIFF_E_INVALID, "%smust be a string", pre); goto fail; }
        if (!(r.key = strdup(e->string)) || add_value(&r, e->valuestring)) { req_free(&r); rc = skiff_error_set(err, -ENOMEM, "out of memory"); goto fail; }
        if ((rc = req_validate(&r, err, ""))) { req_free(&r); goto fail; }
        if (req_push(sel, &r)) { req_free(&r); rc = skiff_error_set(err, -ENOMEM, "out of memory"); goto fail; }
    }
    const cJSON *me = cJSON_GetObjectItemCaseSensitive(ls, "matchExpressions");
    if (me && !cJSON_IsArray(me) && !cJSON_IsNull(me)) { rc = skiff_error_set(err, SKIFF_E_INVALID, "matchExpressions: must be a list"); goto fail; }
    int i = 0;
    cJSON_ArrayForEach(e, me) {
        char pre[64];
        snprintf(pre, sizeof pre, "matchExpressions[%d].", i++);
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(e, "key");
        const cJSON *op = cJSON_GetObjectItemCaseSensitive(e, "operator");
        const cJSON *vals = cJSON_GetObjectItemCaseSensitive(e, "values"), *v;
        if (!cJSON_IsString(k)) { rc = skiff_error_set(err, SKIFF_E_INVALID, "%skey: Required value", pre); goto fail; }
        skiff_api_requirement_t r = {0};
        const char *o = cJSON_IsString(op) ? op->valuestring : "";
        if (!strcmp(o, "In")) r.op = SKIFF_SEL_IN;
        else if (!strcmp(o, "NotIn")) r.op = SKIFF_SEL_NOTIN;
        else if (!strcmp(o, "Exists")) r.op = SKIFF_SEL_EXISTS;
        else if (!strcmp(o, "DoesNotExist")) r.op = SKIFF_SEL_NOT_EXISTS;
        else { rc = skiff_error_set(err, SKIFF_E_INVALID, "%soperator: \"%s\" is not a valid label selector operator", pre, o); goto fail; }
        if (!(r.key = strdup(k->valuestring))) { rc = skiff_error_set(err, -ENOMEM, "out of memory"); goto fail; }
        cJSON_ArrayForEach(v, vals) {
            if (!cJSON_IsString(v)) { req_free(&r); rc = skiff_error_set(err, SKIFF_E_INVALID, "%svalues: must be strings", pre); goto fail; }
            if (add_value(&r, v->valuestring)) { req_free(&r); rc = skiff_error_set(err, -ENOMEM, "out of memory"); goto fail; }
        }
        if (r.nvalues > 1) qsort(r.values, (size_t)r.nvalues, sizeof *r.values, str_cmp);
        if ((rc = req_validate(&r, err, pre))) { req_free(&r); goto fail; }
        if (req_push(sel, &r)) { req_free(&r); rc = skiff_error_set(err, -ENOMEM, "out of memory"); goto fail; }
    }
    if (sel->n > 1) qsort(sel->reqs, (size_t)sel->n, sizeof *sel->reqs, req_cmp);
    *out = sel;
    return 0;
fail:
    skiff_api_selector_free(sel);
    return rc;
}

static int has_value(const skiff_api_requirement_t *r, const char *v)
{
    for (int i = 0; i < r->nvalues; i++) if (!strcmp(r->values[i], v)) return 1;
    return 0;
}

int skiff_api_selector_matches(const skiff_api_selector_t *sel, const cJSON *labels)
{
    if (!sel || sel->nothing) return 0;
    for (int i = 0; i < sel->n; i++) {
        const skiff_api_requirement_t *r = &sel->reqs[i];
        const cJSON *l = cJSON_IsObject(labels) ? cJSON_GetObjectItemCaseSensitive(labels, r->key) : NULL;
        const char *v = cJSON_IsString(l) ? l->valuestring : NULL;
        int ok;
        switch (r->op) {
        case SKIFF_SEL_EQ: ok = v && has_value(r, v); break;
        case SKIFF_SEL_IN: ok = v && has_value(r, v); break;
        case SKIFF_SEL_NEQ: case SKIFF_SEL_NOTIN: ok = !v || !has_value(r, v); break;
        case SKIFF_SEL_EXISTS: ok = v != NULL; break;
        case SKIFF_SEL_NOT_EXISTS: ok = v == NULL; break;
        default: {
            char *end;
            if (!v || !*v) { ok = 0; break; }
            errno = 0;
            long long have = strtoll(v, &end, 10);
            if (*end || errno) { ok = 0; break; }
            long long want = strtoll(r->values[0], NULL, 10);
            ok = r->op == SKIFF_SEL_GT ? have > want : have < want;
        }
        }
        if (!ok) return 0;
    }
    return 1;
}

char *skiff_api_selector_format(const skiff_api_selector_t *sel)
{
    size_t len = 1;
    for (int i = 0; sel && i < sel->n; i++) {
        len += strlen(sel->reqs[i].key) + 16;
        for (int j = 0; j < sel->reqs[i].nvalues; j++) len += strlen(sel->reqs[i].values[j]) + 1;
    }
    char *s = malloc(len), *o = s;
    if (!s) return NULL;
    *o = '\0';
    for (int i = 0; sel && i < sel->n; i++) {
        const skiff_api_requirement_t *r = &sel->reqs[i];
        if (i) *o++ = ',';
        switch (r->op) {
        case SKIFF_SEL_EXISTS: o += sprintf(o, "%s", r->key); break;
        case SKIFF_SEL_NOT_EXISTS: o += sprintf(o, "!%s", r->key); break;
        case SKIFF_SEL_EQ: o += sprintf(o, "%s=%s", r->key, r->values[0]); break;
        case SKIFF_SEL_NEQ: o += sprintf(o, "%s!=%s", r->key, r->values[0]); break;
        case SKIFF_SEL_GT: o += sprintf(o, "%s>%s", r->key, r->values[0]); break;
        case SKIFF_SEL_LT: o += sprintf(o, "%s<%s", r->key, r->values[0]); break;
        default:
            o += sprintf(o, "%s %s (", r->key, r->op == SKIFF_SEL_IN ? "in" : "notin");
            for (int j = 0; j < r->nvalues; j++) o += sprintf(o, "%s%s", j ? "," : "", r->values[j]);
            *o++ = ')';
            *o = '\0';
        }
    }
    return s;
}

void skiff_api_selector_free(skiff_api_selector_t *sel)
{
    if (!sel) return;
    for (int i = 0; i < sel->n; i++) req_free(&sel->reqs[i]);
    free(sel->reqs);
    free(sel);
}

/* ---------- field selectors ---------- */

static void field_free_reqs(skiff_api_field_selector_t *sel)
{
    for (int i = 0; i < sel->n; i++) { free(sel->reqs[i].field); free(sel->reqs[i].value); }
    free(sel->reqs);
}

void skiff_api_field_selector_free(skiff_api_field_selector_t *sel)
{
    if (!sel) return;
    field_free_reqs(sel);
    free(sel);
}

/* Unescape \x -> x into a new string. */
static char *unescape(const char *s, size_t n)
{
    char *o = malloc(n + 1), *w = o;
    if (!o) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n) i++;
        *w++ = s[i];
    }
    *w = '\0';
    return o;
}

int skiff_api_field_selector_parse(const char *text, skiff_api_field_selector_t **out, skiff_error_t *err)
{
    *out = NULL;
    if (!text) text = "";
    skiff_api_field_selector_t *sel = calloc(1, sizeof *sel);
    if (!sel) return skiff_error_set(err, -ENOMEM, "out of memory");
    size_t len = strlen(text), start = 0;
    int rc = 0;
    for (size_t i = 0; i <= len && len; i++) {
        if (i < len && text[i] == '\\') { i++; continue; }
        if (i < len && text[i] != ',') continue;
        const char *part = text + start;
        size_t plen = i - start;
        start = i + 1;
        /* First unescaped operator, trying != then == then = (kube's order). */
        size_t op = plen, oplen = 0;
        int neg = 0;
        for (size_t j = 0; j < plen; j++) {
            if (part[j] == '\\') { j++; continue; }
            if (part[j] == '!' && j + 1 < plen && part[j + 1] == '=') { op = j; oplen = 2; neg = 1; break; }
            if (part[j] == '=' && j + 1 < plen && part[j + 1] == '=') { op = j; oplen = 2; break; }
            if (part[j] == '=') { op = j; oplen = 1; break; }
        }
        if (op == plen) {
            rc = skiff_error_set(err, SKIFF_E_INVALID, "invalid selector: '%s'; can't understand '%.*s'", text, (int)plen, part);
            goto fail;
        }
        skiff_api_field_req_t *g = realloc(sel->reqs, (size_t)(sel->n + 1) * sizeof *g);
        if (!g) goto oom;
        sel->reqs = g;
        skiff_api_field_req_t *r = &sel->reqs[sel->n];
        r->field = unescape(part, op);
        r->value = unescape(part + op + oplen, plen - op - oplen);
        r->negate = neg;
        sel->n++;
        if (!r->field || !r->value) goto oom;
    }
    *out = sel;
    return 0;
oom:
    rc = skiff_error_set(err, -ENOMEM, "out of memory");
fail:
    skiff_api_field_selector_free(sel);
    return rc;
}

int skiff_api_field_selector_check(const skiff_api_field_selector_t *sel, const char *const *allowed, skiff_error_t *err)
{
    for (int i = 0; sel && i < sel->n; i++) {
        int ok = 0;
        for (int j = 0; allowed && allowed[j] && !ok; j++) ok = !strcmp(allowed[j], sel->reqs[i].field);
        if (!ok) return skiff_error_set(err, SKIFF_E_INVALID, "field label not supported: %s", sel->reqs[i].field);
    }
    return 0;
}

const char *const *skiff_api_field_selector_allowed(const char *resource)
{
    /* From the field label conversion funcs of k8s.io/kubernetes pkg/apis/<group>/v1 and
     * the registries' GetAttrs (kube 1.32). */
    static const char *const meta[] = { "metadata.name", "metadata.namespace", NULL };
    static const char *const pods[] = { "metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy",
                                        "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork",
                                        "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName", NULL };
    static const char *const events[] = { "metadata.name", "metadata.namespace", "involvedObject.kind",
                                          "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                                          "involvedObject.apiVersion", "involvedObject.resourceVersion",
                                          "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type", NULL };
    static const char *const nodes[] = { "metadata.name", "spec.unschedulable", NULL };
    static const char *const namespaces[] = { "metadata.name", "status.phase", NULL };
    static const char *const secrets[] = { "metadata.name", "metadata.namespace", "type", NULL };
    static const char *const replicas[] = { "metadata.name", "metadata.namespace", "status.replicas", NULL };
    static const char *const jobs[] = { "metadata.name", "metadata.namespace", "status.successful", NULL };
    static const char *const csr[] = { "metadata.name", "spec.signerName", NULL };
    static const struct { const char *res; const char *const *f; } t[] = {
        { "pods", pods }, { "events", events }, { "nodes", nodes }, { "namespaces", namespaces },
        { "secrets", secrets }, { "replicasets", replicas }, { "replicationcontrollers", replicas },
        { "jobs", jobs }, { "certificatesigningrequests", csr },
    };
    for (size_t i = 0; resource && i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(t[i].res, resource)) return t[i].f;
    return meta;
}

int skiff_api_field_get_default(const cJSON *obj, const char *field, char *buf, size_t len, void *arg)
{
    (void)arg;
    const cJSON *cur = obj;
    const char *p = field;
    char part[256];
    while (cur && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n >= sizeof part) return -1;
        memcpy(part, p, n);
        part[n] = '\0';
        cur = cJSON_IsObject(cur) ? cJSON_GetObjectItemCaseSensitive(cur, part) : NULL;
        p += n + (dot ? 1 : 0);
    }
    if (!cur || cJSON_IsNull(cur)) snprintf(buf, len, "%s", "");
    else if (cJSON_IsString(cur)) snprintf(buf, len, "%s", cur->valuestring);
    else if (cJSON_IsBool(cur)) snprintf(buf, len, "%s", cJSON_IsTrue(cur) ? "true" : "false");
    else if (cJSON_IsNumber(cur)) {
        double d = cur->valuedouble;
        /* Integral values print as integers (as Go's int fields); the range
         * check keeps the cast defined. */
        if (d > -9e18 && d < 9e18 && d == (double)(long long)d) snprintf(buf, len, "%lld", (long long)d);
        else snprintf(buf, len, "%g", d);
    } else snprintf(buf, len, "%s", "");
    return 0;
}

int skiff_api_field_selector_matches(const skiff_api_field_selector_t *sel, const cJSON *obj, skiff_api_field_fn get, void *arg)
{
    char buf[1024];
    if (!get) get = skiff_api_field_get_default;
    for (int i = 0; sel && i < sel->n; i++) {
        const skiff_api_field_req_t *r = &sel->reqs[i];
        if (get(obj, r->field, buf, sizeof buf, arg)) return 0;
        int eq = !strcmp(buf, r->value);
        if (eq == r->negate) return 0;
    }
    return 1;
}
