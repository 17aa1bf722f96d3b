/* admission/webhook — the CEL subset for matchConditions; see cel.h.
 * A recursive-descent parser builds a small tree (nesting bounded, so the
 * recursion is too); evaluation walks it over borrowed cJSON values. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cel.h"

/* ---- the tree ----------------------------------------------------------- */

typedef enum {
    N_NULL, N_BOOL, N_INT, N_DOUBLE, N_STRING, N_LIST, N_IDENT, N_SELECT, N_INDEX, N_HAS,
    N_CALL, N_NOT, N_NEG, N_AND, N_OR, N_EQ, N_NE, N_LT, N_LE, N_GT, N_GE, N_IN,
} nkind_t;

typedef enum { F_SIZE, F_STARTS, F_ENDS, F_CONTAINS } func_t;

typedef struct node {
    nkind_t k;
    int pos;                 /* byte offset in the source, for messages */
    int64_t i;               /* N_BOOL, N_INT; N_CALL: func_t; N_IDENT: variable index */
    double d;
    char *s;                 /* N_STRING (may hold NULs: slen), N_SELECT field */
    size_t slen;
    struct node *a, *b;      /* operands; N_CALL: a = receiver or the argument of size(x) */
    struct node **items;     /* N_LIST elements */
    int nitems;
} node_t;

struct webhook_cel {
    node_t *root;
};

static void node_free(node_t *n)
{
    if (!n) return;
    node_free(n->a);
    node_free(n->b);
    for (int i = 0; i < n->nitems; i++) node_free(n->items[i]);
    free(n->items);
    free(n->s);
    free(n);
}

void webhook_cel_free(webhook_cel_t *e)
{
    if (!e) return;
    node_free(e->root);
    free(e);
}

/* ---- lexer ---------------------------------------------------------------- */

typedef enum {
    T_EOF, T_INT, T_DOUBLE, T_STRING, T_IDENT, T_LP, T_RP, T_LB, T_RB, T_DOT, T_COMMA,
    T_NOT, T_MINUS, T_AND, T_OR, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_BAD,
} tok_t;

typedef struct parser {
    const char *src;
    size_t len, p;      /* p: next byte to read */
    tok_t t;            /* current token */
    size_t tpos;        /* its offset */
    int64_t ival;
    double dval;
    char *sval;         /* T_STRING / T_IDENT text (malloc'd) */
    size_t slen;
    int depth;
    int ops;            /* operators and accesses so far (they make left-deep chains) */
    int failed;
    char *why;
    size_t whylen;
} parser_t;

static void perr(parser_t *ps, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void perr(parser_t *ps, size_t pos, const char *fmt, ...)
{
    if (ps->failed) return;
    ps->failed = 1;
    int line = 1, col = 1;
    for (size_t i = 0; i < pos && i < ps->len; i++) {
        if (ps->src[i] == '\n') { line++; col = 1; } else col++;
    }
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(ps->why, ps->whylen, "ERROR: <input>:%d:%d: %s", line, col, msg);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* A quoted string at ps->p (the quote); raw strings keep backslashes. */
static void lex_string(parser_t *ps, int raw)
{
    char q = ps->src[ps->p++];
    size_t start = ps->tpos;
    char *out = malloc(ps->len - ps->p + 1);
    if (!out) { perr(ps, start, "out of memory"); ps->t = T_BAD; return; }
    size_t n = 0;
    for (;;) {
        if (ps->p >= ps->len || ps->src[ps->p] == '\n') {
            free(out);
            perr(ps, start, "Syntax error: unterminated string literal");
            ps->t = T_BAD;
            return;
        }
        char c = ps->src[ps->p++];
        if (c == q) break;
        if (c != '\\' || raw) { out[n++] = c; continue; }
        if (ps->p >= ps->len) continue; /* reported as unterminated next round */
        char e = ps->src[ps->p++];
        switch (e) {
        case 'n': out[n++] = '\n'; break;
        case 't': out[n++] = '\t'; break;
        case 'r': out[n++] = '\r'; break;
        case '\\': case '"': case '\'': case '`': case '?': out[n++] = e; break;
        case 'x': {
            int h1 = ps->p < ps->len ? hexval(ps->src[ps->p]) : -1;
            int h2 = ps->p + 1 < ps->len ? hexval(ps->src[ps->p + 1]) : -1;
            if (h1 < 0 || h2 < 0) {
                free(out);
                perr(ps, ps->p - 2, "Syntax error: invalid escape sequence");
                ps->t = T_BAD;
                return;
            }
            out[n++] = (char)(h1 * 16 + h2);
            ps->p += 2;
            break;
        }
        default:
            free(out);
            perr(ps, ps->p - 2, "Syntax error: invalid escape sequence \\%c", e);
            ps->t = T_BAD;
            return;
        }
    }
    out[n] = '\0';
    ps->sval = out;
    ps->slen = n;
    ps->t = T_STRING;
}

static void lex_number(parser_t *ps)
{
    const char *s = ps->src + ps->p;
    char *end = NULL;
    int is_double = 0;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        errno = 0;
        unsigned long long v = strtoull(s + 2, &end, 16);
        if (end == s + 2 || errno || v > INT64_MAX) { perr(ps, ps->tpos, "Syntax error: invalid int literal"); ps->t = T_BAD; return; }
        ps->ival = (int64_t)v;
    } else {
        size_t k = 0;
        while (isdigit((unsigned char)s[k])) k++;
        if (s[k] == '.' && isdigit((unsigned char)s[k + 1])) is_double = 1;
        if (s[k] == 'e' || s[k] == 'E') is_double = 1;
        errno = 0;
        if (is_double) {
            ps->dval = strtod(s, &end);
        } else {
            unsigned long long v = strtoull(s, &end, 10);
            if (errno || v > INT64_MAX) { perr(ps, ps->tpos, "Syntax error: int literal out of range"); ps->t = T_BAD; return; }
            ps->ival = (int64_t)v;
        }
    }
    ps->p = (size_t)(end - ps->src);
    if (!is_double && ps->p < ps->len && (ps->src[ps->p] == 'u' || ps->src[ps->p] == 'U')) ps->p++; /* uint: an int here */
    if (ps->p < ps->len && (isalnum((unsigned char)ps->src[ps->p]) || ps->src[ps->p] == '_' || ps->src[ps->p] == '.')) {
        perr(ps, ps->tpos, "Syntax error: invalid number literal");
        ps->t = T_BAD;
        return;
    }
    ps->t = is_double ? T_DOUBLE : T_INT;
}

static void next(parser_t *ps)
{
    free(ps->sval);
    ps->sval = NULL;
    if (ps->failed) { ps->t = T_BAD; return; }
    while (ps->p < ps->len && isspace((unsigned char)ps->src[ps->p])) ps->p++;
    /* comments: // to end of line */
    while (ps->p + 1 < ps->len && ps->src[ps->p] == '/' && ps->src[ps->p + 1] == '/') {
        while (ps->p < ps->len && ps->src[ps->p] != '\n') ps->p++;
        while (ps->p < ps->len && isspace((unsigned char)ps->src[ps->p])) ps->p++;
    }
    ps->tpos = ps->p;
    if (ps->p >= ps->len) { ps->t = T_EOF; return; }
    char c = ps->src[ps->p], d = ps->p + 1 < ps->len ? ps->src[ps->p + 1] : '\0';
    if ((c == 'r' || c == 'R') && (d == '"' || d == '\'')) { ps->p++; lex_string(ps, 1); return; }
    if (isalpha((unsigned char)c) || c == '_') {
        size_t s = ps->p;
        while (ps->p < ps->len && (isalnum((unsigned char)ps->src[ps->p]) || ps->src[ps->p] == '_')) ps->p++;
        ps->sval = strndup(ps->src + s, ps->p - s);
        if (!ps->sval) { perr(ps, s, "out of memory"); ps->t = T_BAD; return; }
        ps->slen = ps->p - s;
        ps->t = T_IDENT;
        return;
    }
    if (isdigit((unsigned char)c) || (c == '.' && isdigit((unsigned char)d))) { lex_number(ps); return; }
    if (c == '"' || c == '\'') {
        if (ps->p + 2 < ps->len && ps->src[ps->p + 1] == c && ps->src[ps->p + 2] == c) {
            perr(ps, ps->p, "Syntax error: triple-quoted strings are not in skiff's CEL subset");
            ps->t = T_BAD;
            return;
        }
        lex_string(ps, 0);
        return;
    }
    ps->p++;
    switch (c) {
    case '(': ps->t = T_LP; return;
    case ')': ps->t = T_RP; return;
    case '[': ps->t = T_LB; return;
    case ']': ps->t = T_RB; return;
    case '.': ps->t = T_DOT; return;
    case ',': ps->t = T_COMMA; return;
    case '-': ps->t = T_MINUS; return;
    case '!': if (d == '=') { ps->p++; ps->t = T_NE; } else ps->t = T_NOT; return;
    case '=': if (d == '=') { ps->p++; ps->t = T_EQ; return; } break;
    case '<': if (d == '=') { ps->p++; ps->t = T_LE; } else ps->t = T_LT; return;
    case '>': if (d == '=') { ps->p++; ps->t = T_GE; } else ps->t = T_GT; return;
    case '&': if (d == '&') { ps->p++; ps->t = T_AND; return; } break;
    case '|': if (d == '|') { ps->p++; ps->t = T_OR; return; } break;
    case '+': case '*': case '/': case '%': case '?': case ':': case '{': case '}':
        perr(ps, ps->tpos, "Syntax error: '%c' is not in skiff's CEL subset (supported: literals, "
             "object/oldObject/request fields, has, size, startsWith, endsWith, contains, "
             "! && || == != < <= > >= in)", c);
        ps->t = T_BAD;
        return;
    default: break;
    }
    if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
        perr(ps, ps->tpos, "Syntax error: token recognition error at: byte 0x%02x", (unsigned char)c);
    else
        perr(ps, ps->tpos, "Syntax error: token recognition error at: '%c'", c);
    ps->t = T_BAD;
}

/* ---- parser --------------------------------------------------------------- */

static node_t *mk(parser_t *ps, nkind_t k, size_t pos)
{
    if (k >= N_SELECT && k != N_NOT && k != N_NEG && ++ps->ops > CEL_MAX_OPS) {
        perr(ps, pos, "expression has more than %d operators, calls and field accesses", CEL_MAX_OPS);
        return NULL;
    }
    node_t *n = calloc(1, sizeof *n);
    if (!n) { perr(ps, pos, "out of memory"); return NULL; }
    n->k = k;
    n->pos = (int)pos;
    return n;
}

static const char *tok_text(tok_t t)
{
    static const char *const names[] = {
        "<EOF>", "an int", "a double", "a string", "an identifier", "'('", "')'", "'['", "']'", "'.'", "','",
        "'!'", "'-'", "'&&'", "'||'", "'=='", "'!='", "'<'", "'<='", "'>'", "'>='", "?",
    };
    return names[t];
}

static node_t *p_expr(parser_t *ps);

static int expect(parser_t *ps, tok_t t, const char *what)
{
    if (ps->t == t) { next(ps); return 0; }
    perr(ps, ps->tpos, "Syntax error: mismatched input %s expecting %s", tok_text(ps->t), what);
    return -1;
}

static const char *const vars[] = { "object", "oldObject", "request" };

static int known_method(const char *name, int64_t *f)
{
    if (!strcmp(name, "size")) *f = F_SIZE;
    else if (!strcmp(name, "startsWith")) *f = F_STARTS;
    else if (!strcmp(name, "endsWith")) *f = F_ENDS;
    else if (!strcmp(name, "contains")) *f = F_CONTAINS;
    else return 0;
    return 1;
}

/* arguments after '(' up to ')'; at most `max` */
static int p_args(parser_t *ps, node_t **args, int max, int *n)
{
    *n = 0;
    if (ps->t == T_RP) { next(ps); return 0; }
    for (;;) {
        node_t *a = p_expr(ps);
        if (!a) {
            for (int i = 0; i < *n; i++) { node_free(args[i]); args[i] = NULL; }
            *n = 0;
            return -1;
        }
        if (*n >= max) {
            perr(ps, (size_t)a->pos, "too many arguments");
            node_free(a);
            for (int i = 0; i < *n; i++) { node_free(args[i]); args[i] = NULL; }
            *n = 0;
            return -1;
        }
        args[(*n)++] = a;
        if (ps->t == T_COMMA) { next(ps); continue; }
        if (expect(ps, T_RP, "')' or ','") == 0) return 0;
        /* on failure the caller owns nothing */
        for (int i = 0; i < *n; i++) { node_free(args[i]); args[i] = NULL; }
        *n = 0;
        return -1;
    }
}

static node_t *p_primary(parser_t *ps)
{
    size_t pos = ps->tpos;
    node_t *n = NULL;
    switch (ps->t) {
    case T_INT:
        if ((n = mk(ps, N_INT, pos))) n->i = ps->ival;
        next(ps);
        return n;
    case T_DOUBLE:
        if ((n = mk(ps, N_DOUBLE, pos))) n->d = ps->dval;
        next(ps);
        return n;
    case T_STRING:
        if ((n = mk(ps, N_STRING, pos))) { n->s = ps->sval; n->slen = ps->slen; ps->sval = NULL; }
        next(ps);
        return n;
    case T_LP:
        next(ps);
        n = p_expr(ps);
        if (n && expect(ps, T_RP, "')'") < 0) { node_free(n); return NULL; }
        return n;
    case T_LB: {
        next(ps);
        if (!(n = mk(ps, N_LIST, pos))) return NULL;
        int cap = 0;
        while (ps->t != T_RB) {
            node_t *e = p_expr(ps);
            if (!e) { node_free(n); return NULL; }
            if (n->nitems == cap) {
                int nc = cap ? cap * 2 : 4;
                node_t **ni = realloc(n->items, (size_t)nc * sizeof *ni);
                if (!ni) { node_free(e); node_free(n); perr(ps, pos, "out of memory"); return NULL; }
                n->items = ni;
                cap = nc;
            }
            n->items[n->nitems++] = e;
            if (ps->t == T_COMMA) { next(ps); continue; }
            if (ps->t != T_RB) { expect(ps, T_RB, "']' or ','"); node_free(n); return NULL; }
        }
        next(ps);
        return n;
    }
    case T_IDENT: {
        char *name = ps->sval;
        ps->sval = NULL;
        next(ps);
        if (!strcmp(name, "true") || !strcmp(name, "false")) {
            if ((n = mk(ps, N_BOOL, pos))) n->i = name[0] == 't';
            free(name);
            return n;
        }
        if (!strcmp(name, "null")) { free(name); return mk(ps, N_NULL, pos); }
        if (ps->t == T_LP) { /* a global function */
            next(ps);
            node_t *args[2] = { NULL, NULL };
            int na = 0;
            if (!strcmp(name, "has")) {
                free(name);
                if (p_args(ps, args, 1, &na) < 0) return NULL;
                if (na != 1 || args[0]->k != N_SELECT) {
                    node_free(args[0]);
                    perr(ps, pos, "invalid argument to has() macro");
                    return NULL;
                }
                if ((n = mk(ps, N_HAS, pos))) n->a = args[0];
                else node_free(args[0]);
                return n;
            }
            if (!strcmp(name, "size")) {
                free(name);
                if (p_args(ps, args, 1, &na) < 0) return NULL;
                if (na != 1) { perr(ps, pos, "found no matching overload for 'size' applied to %d arguments", na); return NULL; }
                if ((n = mk(ps, N_CALL, pos))) { n->i = F_SIZE; n->a = args[0]; }
                else node_free(args[0]);
                return n;
            }
            perr(ps, pos, "undeclared reference to '%s' (in container '')", name);
            free(name);
            return NULL;
        }
        int v = -1;
        for (int i = 0; i < 3; i++) if (!strcmp(name, vars[i])) v = i;
        if (v < 0) {
            perr(ps, pos, "undeclared reference to '%s' (in container '')", name);
            free(name);
            return NULL;
        }
        free(name);
        if ((n = mk(ps, N_IDENT, pos))) n->i = v;
        return n;
    }
    default:
        perr(ps, pos, "Syntax error: mismatched input %s expecting an expression", tok_text(ps->t));
        return NULL;
    }
}

static node_t *p_member(parser_t *ps)
{
    node_t *n = p_primary(ps);
    while (n && (ps->t == T_DOT || ps->t == T_LB)) {
        size_t pos = ps->tpos;
        if (ps->t == T_LB) {
            next(ps);
            node_t *idx = p_expr(ps);
            if (!idx || expect(ps, T_RB, "']'") < 0) { node_free(idx); node_free(n); return NULL; }
            node_t *x = mk(ps, N_INDEX, pos);
            if (!x) { node_free(idx); node_free(n); return NULL; }
            x->a = n;
            x->b = idx;
            n = x;
            continue;
        }
        next(ps);
        if (ps->t != T_IDENT) {
            perr(ps, ps->tpos, "Syntax error: mismatched input %s expecting an identifier", tok_text(ps->t));
            node_free(n);
            return NULL;
        }
        char *field = ps->sval;
        ps->sval = NULL;
        size_t fpos = ps->tpos;
        next(ps);
        if (ps->t == T_LP) { /* a method */
            next(ps);
            int64_t f;
            if (!known_method(field, &f)) {
                perr(ps, fpos, "undeclared reference to '%s' (in container '')", field);
                free(field);
                node_free(n);
                return NULL;
            }
            node_t *args[2] = { NULL, NULL };
            int na = 0;
            if (p_args(ps, args, 1, &na) < 0) { free(field); node_free(n); return NULL; }
            if (na != (f == F_SIZE ? 0 : 1)) {
                perr(ps, fpos, "found no matching overload for '%s' applied to %d argument%s", field, na, na == 1 ? "" : "s");
                free(field);
                node_free(args[0]);
                node_free(n);
                return NULL;
            }
            free(field);
            node_t *x = mk(ps, N_CALL, fpos);
            if (!x) { node_free(args[0]); node_free(n); return NULL; }
            x->i = f;
            x->a = n;
            x->b = args[0];
            n = x;
            continue;
        }
        node_t *x = mk(ps, N_SELECT, fpos);
        if (!x) { free(field); node_free(n); return NULL; }
        x->a = n;
        x->s = field;
        x->slen = strlen(field);
        n = x;
    }
    return n;
}

static node_t *p_unary(parser_t *ps)
{
    size_t pos = ps->tpos;
    if (ps->t == T_NOT || ps->t == T_MINUS) {
        nkind_t k = ps->t == T_NOT ? N_NOT : N_NEG;
        if (++ps->depth > CEL_MAX_DEPTH) { perr(ps, pos, "expression nested too deeply (more than %d levels)", CEL_MAX_DEPTH); return NULL; }
        next(ps);
        node_t *a = p_unary(ps);
        ps->depth--;
        if (!a) return NULL;
        node_t *n = mk(ps, k, pos);
        if (!n) { node_free(a); return NULL; }
        n->a = a;
        return n;
    }
    return p_member(ps);
}

static node_t *p_relation(parser_t *ps)
{
    node_t *l = p_unary(ps);
    for (;;) {
        if (!l) return NULL;
        nkind_t k;
        switch (ps->t) {
        case T_EQ: k = N_EQ; break;
        case T_NE: k = N_NE; break;
        case T_LT: k = N_LT; break;
        case T_LE: k = N_LE; break;
        case T_GT: k = N_GT; break;
        case T_GE: k = N_GE; break;
        case T_IDENT:
            if (!strcmp(ps->sval, "in")) { k = N_IN; break; }
            perr(ps, ps->tpos, "Syntax error: extraneous input '%s'", ps->sval);
            node_free(l);
            return NULL;
        case T_MINUS:
            perr(ps, ps->tpos, "Syntax error: binary '-' is not in skiff's CEL subset (no arithmetic)");
            node_free(l);
            return NULL;
        default: return l;
        }
        size_t pos = ps->tpos;
        next(ps);
        node_t *r = p_unary(ps);
        if (!r) { node_free(l); return NULL; }
        node_t *n = mk(ps, k, pos);
        if (!n) { node_free(l); node_free(r); return NULL; }
        n->a = l;
        n->b = r;
        l = n;
    }
}

static node_t *p_and(parser_t *ps)
{
    node_t *l = p_relation(ps);
    while (l && ps->t == T_AND) {
        size_t pos = ps->tpos;
        next(ps);
        node_t *r = p_relation(ps);
        if (!r) { node_free(l); return NULL; }
        node_t *n = mk(ps, N_AND, pos);
        if (!n) { node_free(l); node_free(r); return NULL; }
        n->a = l;
        n->b = r;
        l = n;
    }
    return l;
}

static node_t *p_expr(parser_t *ps)
{
    if (++ps->depth > CEL_MAX_DEPTH) {
        perr(ps, ps->tpos, "expression nested too deeply (more than %d levels)", CEL_MAX_DEPTH);
        return NULL;
    }
    node_t *l = p_and(ps);
    while (l && ps->t == T_OR) {
        size_t pos = ps->tpos;
        next(ps);
        node_t *r = p_and(ps);
        if (!r) { node_free(l); l = NULL; break; }
        node_t *n = mk(ps, N_OR, pos);
        if (!n) { node_free(l); node_free(r); l = NULL; break; }
        n->a = l;
        n->b = r;
        l = n;
    }
    ps->depth--;
    return l;
}

int webhook_cel_compile(const char *src, webhook_cel_t **out, char *why, size_t whylen)
{
    *out = NULL;
    parser_t ps = { .src = src ? src : "", .why = why, .whylen = whylen };
    ps.len = strlen(ps.src);
    if (ps.len > CEL_MAX_LEN) {
        snprintf(why, whylen, "ERROR: <input>:1:1: expression longer than %d bytes", CEL_MAX_LEN);
        return -1;
    }
    next(&ps);
    node_t *root = ps.failed ? NULL : p_expr(&ps);
    if (root && ps.t != T_EOF)
        perr(&ps, ps.tpos, "Syntax error: extraneous input %s expecting <EOF>", tok_text(ps.t));
    free(ps.sval);
    if (ps.failed || !root) {
        node_free(root);
        if (!ps.failed) snprintf(why, whylen, "ERROR: <input>:1:1: invalid expression");
        return -1;
    }
    webhook_cel_t *e = calloc(1, sizeof *e);
    if (!e) {
        node_free(root);
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    e->root = root;
    *out = e;
    return 0;
}

/* ---- evaluation ------------------------------------------------------------- */

typedef enum { V_ERR, V_NULL, V_BOOL, V_INT, V_DOUBLE, V_STRING, V_LIST, V_MAP } vtype_t;

typedef struct val {
    vtype_t t;
    int64_t i;           /* V_BOOL, V_INT */
    double d;
    const char *s;       /* V_STRING (borrowed from the tree or the JSON) */
    size_t slen;
    const cJSON *j;      /* V_LIST / V_MAP from JSON */
    const node_t *lit;   /* V_LIST from a list literal */
} val_t;

typedef struct ev {
    const cJSON *vars[3];
    char *why;
    size_t whylen;
    int have_err;
} ev_t;

static val_t verr(ev_t *ev, const node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static val_t verr(ev_t *ev, const node_t *n, const char *fmt, ...)
{
    (void)n;
    if (!ev->have_err) { /* the first error is the one reported */
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ev->why, ev->whylen, fmt, ap);
        va_end(ap);
        ev->have_err = 1;
    }
    return (val_t){ .t = V_ERR };
}

static val_t from_json(const cJSON *j)
{
    if (!j || cJSON_IsNull(j)) return (val_t){ .t = V_NULL };
    if (cJSON_IsBool(j)) return (val_t){ .t = V_BOOL, .i = cJSON_IsTrue(j) };
    if (cJSON_IsNumber(j)) {
        double d = j->valuedouble;
        if (d == floor(d) && d >= -9.2e18 && d <= 9.2e18) return (val_t){ .t = V_INT, .i = (int64_t)d };
        return (val_t){ .t = V_DOUBLE, .d = d };
    }
    if (cJSON_IsString(j)) return (val_t){ .t = V_STRING, .s = j->valuestring, .slen = strlen(j->valuestring) };
    if (cJSON_IsArray(j)) return (val_t){ .t = V_LIST, .j = j };
    return (val_t){ .t = V_MAP, .j = j };
}

static const char *tname(vtype_t t)
{
    static const char *const n[] = { "error", "null_type", "bool", "int", "double", "string", "list", "map" };
    return n[t];
}

static val_t eval(ev_t *ev, const node_t *n);

static int list_len(const val_t *v) { return v->lit ? v->lit->nitems : cJSON_GetArraySize(v->j); }

static val_t list_at(ev_t *ev, const val_t *v, int i)
{
    return v->lit ? eval(ev, v->lit->items[i]) : from_json(cJSON_GetArrayItem(v->j, i));
}

static int is_num(const val_t *v) { return v->t == V_INT || v->t == V_DOUBLE; }
static double num(const val_t *v) { return v->t == V_INT ? (double)v->i : v->d; }

/* CEL equality: 1 equal, 0 not, -1 an error inside a list literal. */
static int veq(ev_t *ev, const val_t *a, const val_t *b)
{
    if (is_num(a) && is_num(b)) {
        if (a->t == V_INT && b->t == V_INT) return a->i == b->i;
        return num(a) == num(b);
    }
    if (a->t != b->t) return 0;
    switch (a->t) {
    case V_NULL: return 1;
    case V_BOOL: return a->i == b->i;
    case V_STRING: return a->slen == b->slen && memcmp(a->s, b->s, a->slen) == 0;
    case V_MAP: return cJSON_Compare(a->j, b->j, 1) != 0;
    case V_LIST: {
        int n = list_len(a);
        if (n != list_len(b)) return 0;
        for (int i = 0; i < n; i++) {
            val_t x = list_at(ev, a, i), y = list_at(ev, b, i);
            if (x.t == V_ERR || y.t == V_ERR) return -1;
            int r = veq(ev, &x, &y);
            if (r != 1) return r;
        }
        return 1;
    }
    default: return 0;
    }
}

static int bytes_cmp(const val_t *a, const val_t *b)
{
    size_t n = a->slen < b->slen ? a->slen : b->slen;
    int c = memcmp(a->s, b->s, n);
    if (c) return c;
    return a->slen < b->slen ? -1 : a->slen > b->slen;
}

static size_t utf8_len(const char *s, size_t n)
{
    size_t cps = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) cps++;
    return cps;
}

static val_t vbool(int b) { return (val_t){ .t = V_BOOL, .i = b != 0 }; }

static val_t eval_call(ev_t *ev, const node_t *n)
{
    val_t r = eval(ev, n->a);
    if (r.t == V_ERR) return r;
    if (n->i == F_SIZE) {
        if (r.t == V_STRING) return (val_t){ .t = V_INT, .i = (int64_t)utf8_len(r.s, r.slen) };
        if (r.t == V_LIST) return (val_t){ .t = V_INT, .i = list_len(&r) };
        if (r.t == V_MAP) return (val_t){ .t = V_INT, .i = cJSON_GetArraySize(r.j) };
        return verr(ev, n, "no such overload: size(%s)", tname(r.t));
    }
    val_t a = eval(ev, n->b);
    if (a.t == V_ERR) return a;
    static const char *const fn[] = { "size", "startsWith", "endsWith", "contains" };
    if (r.t != V_STRING || a.t != V_STRING)
        return verr(ev, n, "no such overload: %s.%s(%s)", tname(r.t), fn[n->i], tname(a.t));
    if (a.slen > r.slen) return vbool(0);
    switch (n->i) {
    case F_STARTS: return vbool(memcmp(r.s, a.s, a.slen) == 0);
    case F_ENDS: return vbool(memcmp(r.s + r.slen - a.slen, a.s, a.slen) == 0);
    default:
        for (size_t i = 0; i + a.slen <= r.slen; i++)
            if (memcmp(r.s + i, a.s, a.slen) == 0) return vbool(1);
        return vbool(0);
    }
}

static const cJSON *map_get(const cJSON *m, const char *k, size_t klen)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, m)
        if (x->string && strlen(x->string) == klen && memcmp(x->string, k, klen) == 0) return x;
    return NULL;
}

static val_t eval(ev_t *ev, const node_t *n)
{
    switch (n->k) {
    case N_NULL: return (val_t){ .t = V_NULL };
    case N_BOOL: return vbool((int)n->i);
    case N_INT: return (val_t){ .t = V_INT, .i = n->i };
    case N_DOUBLE: return (val_t){ .t = V_DOUBLE, .d = n->d };
    case N_STRING: return (val_t){ .t = V_STRING, .s = n->s, .slen = n->slen };
    case N_LIST: return (val_t){ .t = V_LIST, .lit = n };
    case N_IDENT: return from_json(ev->vars[n->i]);
    case N_SELECT:
    case N_HAS: {
        const node_t *sel = n->k == N_HAS ? n->a : n;
        val_t o = eval(ev, sel->a);
        if (o.t == V_ERR) return o;
        if (o.t != V_MAP) return verr(ev, n, "no such key: %s", sel->s);
        const cJSON *x = map_get(o.j, sel->s, sel->slen);
        if (n->k == N_HAS) return vbool(x != NULL);
        if (!x) return verr(ev, n, "no such key: %s", sel->s);
        return from_json(x);
    }
    case N_INDEX: {
        val_t o = eval(ev, n->a);
        if (o.t == V_ERR) return o;
        val_t k = eval(ev, n->b);
        if (k.t == V_ERR) return k;
        if (o.t == V_MAP && k.t == V_STRING) {
            const cJSON *x = map_get(o.j, k.s, k.slen);
            if (!x) return verr(ev, n, "no such key: %.*s", (int)(k.slen > 200 ? 200 : k.slen), k.s);
            return from_json(x);
        }
        if (o.t == V_LIST && (k.t == V_INT || (k.t == V_DOUBLE && k.d == floor(k.d)))) {
            /* a double beyond int64 (or inf) is out of bounds; converting it is UB */
            if (k.t == V_DOUBLE && !(k.d >= -9.2e18 && k.d <= 9.2e18))
                return verr(ev, n, "index out of bounds: %g", k.d);
            int64_t i = k.t == V_INT ? k.i : (int64_t)k.d;
            if (i < 0 || i >= list_len(&o)) return verr(ev, n, "index out of bounds: %lld", (long long)i);
            return list_at(ev, &o, (int)i);
        }
        return verr(ev, n, "no such overload: %s[%s]", tname(o.t), tname(k.t));
    }
    case N_CALL: return eval_call(ev, n);
    case N_NOT: {
        val_t a = eval(ev, n->a);
        if (a.t == V_ERR) return a;
        if (a.t != V_BOOL) return verr(ev, n, "no such overload: !%s", tname(a.t));
        return vbool(!a.i);
    }
    case N_NEG: {
        val_t a = eval(ev, n->a);
        if (a.t == V_ERR) return a;
        if (a.t == V_INT) {
            if (a.i == INT64_MIN) return verr(ev, n, "int overflow");
            return (val_t){ .t = V_INT, .i = -a.i };
        }
        if (a.t == V_DOUBLE) return (val_t){ .t = V_DOUBLE, .d = -a.d };
        return verr(ev, n, "no such overload: -%s", tname(a.t));
    }
    case N_AND:
    case N_OR: {
        /* CEL: the side that decides wins even if the other one errs */
        int decide = n->k == N_OR;
        val_t a = eval(ev, n->a);
        if (a.t == V_BOOL && a.i == decide) return a;
        val_t b = eval(ev, n->b);
        if (b.t == V_BOOL && b.i == decide) { ev->have_err = 0; return b; }
        if (a.t == V_ERR || b.t == V_ERR) return (val_t){ .t = V_ERR };
        if (a.t != V_BOOL || b.t != V_BOOL)
            return verr(ev, n, "no such overload: %s %s %s", tname(a.t), decide ? "||" : "&&", tname(b.t));
        return vbool(!decide);
    }
    case N_EQ:
    case N_NE: {
        val_t a = eval(ev, n->a);
        if (a.t == V_ERR) return a;
        val_t b = eval(ev, n->b);
        if (b.t == V_ERR) return b;
        int r = veq(ev, &a, &b);
        if (r < 0) return (val_t){ .t = V_ERR };
        return vbool(n->k == N_EQ ? r : !r);
    }
    case N_LT: case N_LE: case N_GT: case N_GE: {
        val_t a = eval(ev, n->a);
        if (a.t == V_ERR) return a;
        val_t b = eval(ev, n->b);
        if (b.t == V_ERR) return b;
        int c;
        if (is_num(&a) && is_num(&b)) {
            if (a.t == V_INT && b.t == V_INT) c = (a.i > b.i) - (a.i < b.i);
            else c = (num(&a) > num(&b)) - (num(&a) < num(&b));
        } else if (a.t == V_STRING && b.t == V_STRING) {
            c = bytes_cmp(&a, &b);
        } else if (a.t == V_BOOL && b.t == V_BOOL) {
            c = (int)(a.i - b.i);
        } else {
            static const char *const op[] = { "<", "<=", ">", ">=" };
            return verr(ev, n, "no such overload: %s %s %s", tname(a.t), op[n->k - N_LT], tname(b.t));
        }
        switch (n->k) {
        case N_LT: return vbool(c < 0);
        case N_LE: return vbool(c <= 0);
        case N_GT: return vbool(c > 0);
        default: return vbool(c >= 0);
        }
    }
    case N_IN: {
        val_t a = eval(ev, n->a);
        if (a.t == V_ERR) return a;
        val_t b = eval(ev, n->b);
        if (b.t == V_ERR) return b;
        if (b.t == V_MAP) {
            if (a.t != V_STRING) return vbool(0);
            return vbool(map_get(b.j, a.s, a.slen) != NULL);
        }
        if (b.t != V_LIST) return verr(ev, n, "no such overload: %s in %s", tname(a.t), tname(b.t));
        int len = list_len(&b);
        for (int i = 0; i < len; i++) {
            val_t x = list_at(ev, &b, i);
            if (x.t == V_ERR) return x;
            int r = veq(ev, &a, &x);
            if (r < 0) return (val_t){ .t = V_ERR };
            if (r) return vbool(1);
        }
        return vbool(0);
    }
    }
    return verr(ev, n, "internal error: unknown node");
}

int webhook_cel_eval_bool(const webhook_cel_t *e, const cJSON *object, const cJSON *old_object,
                          const cJSON *request, char *why, size_t whylen)
{
    ev_t ev = { .vars = { object, old_object, request }, .why = why, .whylen = whylen };
    if (whylen) why[0] = '\0';
    val_t v = eval(&ev, e->root);
    if (v.t == V_ERR) {
        if (!why[0]) snprintf(why, whylen, "evaluation failed");
        return -1;
    }
    if (v.t != V_BOOL) {
        snprintf(why, whylen, "expression evaluated to %s, want bool", tname(v.t));
        return -1;
    }
    return (int)v.i;
}
