/* core/manifest/yaml_decode.c — a YAML stream to cJSON, driven by libyaml's
 * event parser with an explicit stack (no recursion on input depth). Scalar
 * typing lives in yaml_scalar.c; the rules are in manifest.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "manifest/manifest_int.h"

typedef struct {
    cJSON *node;
    bool is_map;
    char *anchor; /* owned; registered when the collection closes */
    yaml_mark_t start;
    /* mapping state */
    char *key;    /* owned pending key, NULL while a key is expected */
    bool key_merge;
    cJSON *replace; /* the earlier item of a duplicate key (DUPLICATES_LAST_WINS) */
    size_t key_line, key_col;
    skiff_strmap_t keys; /* key (borrowed from the item) -> line, column */
    cJSON *merges;       /* merge sources, applied when the mapping closes */
} frame_t;

typedef struct {
    char *name;   /* owned */
    cJSON *node;  /* borrowed from the tree, or owned (anchored keys) */
    bool owned;
    size_t nodes; /* nodes in the subtree, for the expansion budget */
    int depth;
} anchor_t;

typedef struct {
    const char *buf;
    size_t len;
    skiff_manifest_limits_t lim;
    skiff_error_t *err;
    size_t max_docs; /* 0: any number */
    frame_t *stack;
    size_t depth, cap;
    cJSON *root;
    yaml_mark_t doc_mark;
    anchor_t *anchors;
    size_t nanchors, capanchors;
    skiff_strmap_t anchor_map; /* name -> index in anchors */
    cJSON *graveyard;          /* merge sources and replaced duplicates, kept until the document ends */
    size_t alias_nodes;
} dec_t;

static int dec_fail(dec_t *d, yaml_mark_t m, int code, const char *fmt, ...) SKIFF_PRINTF(4, 5);
static int dec_fail(dec_t *d, yaml_mark_t m, int code, const char *fmt, ...)
{
    char msg[SKIFF_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return skiff_error_set(d->err, code, "line %zu, column %zu: %s", m.line + 1, m.column + 1, msg);
}

static int dec_nomem(dec_t *d)
{
    return skiff_error_set(d->err, -ENOMEM, "out of memory while decoding YAML");
}

static void subtree_size(const cJSON *n, size_t *nodes, int *depth)
{
    size_t count = 1;
    int deepest = 0;
    if (cJSON_IsArray(n) || cJSON_IsObject(n)) {
        for (const cJSON *c = n->child; c; c = c->next) {
            size_t cn = 0;
            int cd = 0;
            subtree_size(c, &cn, &cd);
            count += cn;
            if (cd > deepest) deepest = cd;
        }
        deepest++;
    }
    *nodes = count;
    *depth = deepest;
}

static int anchor_add(dec_t *d, char *name, cJSON *node, bool owned)
{
    if (d->nanchors == d->capanchors) {
        size_t ncap = d->capanchors ? d->capanchors * 2 : 8;
        anchor_t *na = realloc(d->anchors, ncap * sizeof *na);
        if (!na) {
            free(name);
            if (owned) cJSON_Delete(node);
            return dec_nomem(d);
        }
        d->anchors = na;
        d->capanchors = ncap;
    }
    anchor_t *a = &d->anchors[d->nanchors];
    *a = (anchor_t){.name = name, .node = node, .owned = owned};
    subtree_size(node, &a->nodes, &a->depth);
    d->nanchors++;
    if (skiff_strmap_put(&d->anchor_map, name, (long)(d->nanchors - 1), 0, NULL)) return dec_nomem(d);
    return 0;
}

static void doc_reset(dec_t *d)
{
    for (size_t i = 0; i < d->nanchors; i++) {
        free(d->anchors[i].name);
        if (d->anchors[i].owned) cJSON_Delete(d->anchors[i].node);
    }
    d->nanchors = 0;
    skiff_strmap_free(&d->anchor_map);
    cJSON_Delete(d->graveyard);
    d->graveyard = NULL;
}

static void frame_free(frame_t *f)
{
    cJSON_Delete(f->node);
    free(f->anchor);
    free(f->key);
    skiff_strmap_free(&f->keys);
    cJSON_Delete(f->merges);
    memset(f, 0, sizeof *f);
}

static void dec_free(dec_t *d)
{
    while (d->depth) frame_free(&d->stack[--d->depth]);
    free(d->stack);
    cJSON_Delete(d->root);
    d->root = NULL;
    doc_reset(d);
    free(d->anchors);
}

static const char *kind_word(const cJSON *n)
{
    return cJSON_IsObject(n) ? "mapping" : cJSON_IsArray(n) ? "sequence" : "scalar";
}

/* Attach a finished value to the open collection (or make it the document
 * root). Takes ownership of node, even on failure. */
static int attach(dec_t *d, cJSON *node, yaml_mark_t m)
{
    if (d->depth == 0) {
        cJSON_Delete(d->root); /* cannot happen: libyaml gives one root */
        d->root = node;
        return 0;
    }
    frame_t *f = &d->stack[d->depth - 1];
    if (!f->is_map) {
        cJSON_AddItemToArray(f->node, node);
        return 0;
    }
    if (f->key_merge) {
        bool ok = cJSON_IsObject(node);
        if (cJSON_IsArray(node)) {
            ok = true;
            for (cJSON *c = node->child; c; c = c->next)
                if (!cJSON_IsObject(c)) ok = false;
        }
        if (!ok) {
            int rc = dec_fail(d, m, SKIFF_E_INVALID, "the value of a merge key (<<) must be a mapping or a list of "
                              "mappings, not a %s", kind_word(node));
            cJSON_Delete(node);
            return rc;
        }
        if (!f->merges && !(f->merges = cJSON_CreateArray())) {
            cJSON_Delete(node);
            return dec_nomem(d);
        }
        cJSON_AddItemToArray(f->merges, node);
        f->key_merge = false;
        return 0;
    }
    char *key = f->key;
    f->key = NULL;
    if (f->replace) {
        /* The map entry borrows the old item's key: repoint it before the
         * old item (and its key) is freed. */
        skiff_strmap_entry_t *e = skiff_strmap_get(&f->keys, key);
        cJSON *old = f->replace;
        f->replace = NULL;
        if (node->string && !(node->type & cJSON_StringIsConst)) cJSON_free(node->string);
        node->type &= ~cJSON_StringIsConst;
        node->string = key;
        if (!e || (!d->graveyard && !(d->graveyard = cJSON_CreateArray()))) {
            cJSON_Delete(node);
            return e ? dec_nomem(d) : skiff_error_set(d->err, SKIFF_E_INTERNAL, "duplicate key bookkeeping lost");
        }
        /* The later value goes last; the earlier is kept until the document
         * ends, since an anchor may still point at it. */
        cJSON_AddItemToArray(d->graveyard, cJSON_DetachItemViaPointer(f->node, old));
        cJSON_AddItemToArray(f->node, node);
        e->key = node->string;
        e->a = (long)f->key_line;
        e->b = (long)f->key_col;
        e->p = node;
        return 0;
    }
    if (!cJSON_AddItemToObject(f->node, key, node)) {
        free(key);
        cJSON_Delete(node);
        return dec_nomem(d);
    }
    free(key);
    if (skiff_strmap_put(&f->keys, node->string, (long)f->key_line, (long)f->key_col, node)) return dec_nomem(d);
    return 0;
}

/* A key was read: check for a duplicate and hold it for the value. */
static int set_key(dec_t *d, char *key, bool merge, yaml_mark_t m)
{
    frame_t *f = &d->stack[d->depth - 1];
    if (merge) {
        free(key);
        f->key_merge = true;
        return 0;
    }
    skiff_strmap_entry_t *e = skiff_strmap_get(&f->keys, key);
    if (e && (d->lim.flags & SKIFF_MANIFEST_DUPLICATES_LAST_WINS)) {
        skiff_manifest_warn(&d->lim, "line %zu, column %zu: duplicate key \"%.200s\" (first at line %ld, column "
                            "%ld); the later value is kept", m.line + 1, m.column + 1, key, e->a, e->b);
        f->replace = e->p;
    } else if (e) {
        int rc = dec_fail(d, m, SKIFF_E_INVALID, "duplicate key \"%.200s\" (first at line %ld, column %ld)", key,
                          e->a, e->b);
        free(key);
        return rc;
    }
    f->key = key;
    f->key_line = m.line + 1;
    f->key_col = m.column + 1;
    return 0;
}

static bool expecting_key(const dec_t *d)
{
    if (d->depth == 0) return false;
    const frame_t *f = &d->stack[d->depth - 1];
    return f->is_map && !f->key && !f->key_merge;
}

/* sigs.k8s.io/yaml's conversion of a scalar map key to a JSON key. */
static int scalar_key_string(dec_t *d, const skiff_scalar_t *v, const char *text, size_t n, yaml_mark_t m,
                             char **out)
{
    char buf[64];
    switch (v->kind) {
    case SKIFF_SCALAR_STR:
        *out = strndup(text, n);
        return *out ? 0 : dec_nomem(d);
    case SKIFF_SCALAR_NULL:
        return dec_fail(d, m, SKIFF_E_INVALID, "a mapping key cannot be null; quote it (\"%.*s\") for a string key",
                        (int)(n > 20 ? 20 : n), text);
    case SKIFF_SCALAR_BOOL:
        snprintf(buf, sizeof buf, "%s", v->b ? "true" : "false");
        break;
    case SKIFF_SCALAR_INT:
        if (v->u64) snprintf(buf, sizeof buf, "%llu", (unsigned long long)v->u);
        else snprintf(buf, sizeof buf, "%lld", (long long)v->i);
        break;
    case SKIFF_SCALAR_FLOAT:
        skiff_manifest_format_float32_key(v->d, buf, sizeof buf);
        break;
    }
    *out = strdup(buf);
    return *out ? 0 : dec_nomem(d);
}

static int on_scalar(dec_t *d, const yaml_event_t *ev)
{
    const char *text = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    yaml_mark_t m = ev->start_mark;
    if (memchr(text, '\0', n))
        return dec_fail(d, m, SKIFF_E_INVALID, "a NUL character (\\0) in a string is not supported");

    skiff_scalar_t v;
    char why[256];
    int rc = skiff_manifest_scalar_resolve(text, n, plain, tag, d->lim.flags, &v, why, sizeof why);
    if (rc) return dec_fail(d, m, rc, "%s", why);

    if (expecting_key(d)) {
        char *key;
        if ((rc = scalar_key_string(d, &v, text, n, m, &key))) return rc;
        if (ev->data.scalar.anchor) {
            char *name = strdup((const char *)ev->data.scalar.anchor);
            cJSON *kn = cJSON_CreateString(key);
            if (!name || !kn) {
                free(name);
                cJSON_Delete(kn);
                free(key);
                return dec_nomem(d);
            }
            if ((rc = anchor_add(d, name, kn, true))) {
                free(key);
                return rc;
            }
        }
        bool merge = plain && !tag && n == 2 && text[0] == '<' && text[1] == '<';
        return set_key(d, key, merge, m);
    }

    cJSON *node = NULL;
    switch (v.kind) {
    case SKIFF_SCALAR_STR: {
        char *s = strndup(text, n);
        if (s) node = cJSON_CreateString(s);
        free(s);
        break;
    }
    case SKIFF_SCALAR_NULL: node = cJSON_CreateNull(); break;
    case SKIFF_SCALAR_BOOL: node = cJSON_CreateBool(v.b); break;
    case SKIFF_SCALAR_INT:
        if (v.u64 || v.i >= (int64_t)SKIFF_MANIFEST_EXACT_INT_LIMIT || v.i <= -(int64_t)SKIFF_MANIFEST_EXACT_INT_LIMIT)
            return dec_fail(d, m, SKIFF_E_INVALID,
                            "integer %.*s is too large to keep exactly (|n| must be below 2^53); quote it to keep "
                            "it as a string", (int)(n > 40 ? 40 : n), text);
        node = cJSON_CreateNumber((double)v.i);
        break;
    case SKIFF_SCALAR_FLOAT: node = cJSON_CreateNumber(v.d); break;
    }
    if (!node) return dec_nomem(d);
    if (ev->data.scalar.anchor) {
        char *name = strdup((const char *)ev->data.scalar.anchor);
        if (!name) {
            cJSON_Delete(node);
            return dec_nomem(d);
        }
        if ((rc = anchor_add(d, name, node, false))) {
            cJSON_Delete(node);
            return rc;
        }
    }
    return attach(d, node, m);
}

static int on_alias(dec_t *d, const yaml_event_t *ev)
{
    const char *name = (const char *)ev->data.alias.anchor;
    yaml_mark_t m = ev->start_mark;
    skiff_strmap_entry_t *e = skiff_strmap_get(&d->anchor_map, name);
    if (!e)
        return dec_fail(d, m, SKIFF_E_INVALID, "alias *%.100s names no anchor defined before it (&%.100s) in this "
                        "document (anchors cannot refer to themselves)", name, name);
    anchor_t *a = &d->anchors[e->a];

    if (expecting_key(d)) {
        const cJSON *n = a->node;
        char buf[64];
        const char *k = buf;
        if (cJSON_IsString(n)) k = n->valuestring;
        else if (cJSON_IsBool(n)) k = cJSON_IsTrue(n) ? "true" : "false";
        else if (cJSON_IsNumber(n) && n->valuedouble > -9.2e18 && n->valuedouble < 9.2e18 && /* the cast is UB outside */
                 n->valuedouble == (double)(int64_t)n->valuedouble)
            snprintf(buf, sizeof buf, "%lld", (long long)n->valuedouble);
        else if (cJSON_IsNumber(n)) skiff_manifest_format_float32_key(n->valuedouble, buf, sizeof buf);
        else
            return dec_fail(d, m, SKIFF_E_INVALID, "alias *%.100s used as a mapping key names a %s; keys must be "
                            "strings, numbers or booleans", name, cJSON_IsNull(n) ? "null" : kind_word(n));
        char *key = strdup(k);
        if (!key) return dec_nomem(d);
        return set_key(d, key, false, m);
    }

    if (a->nodes > d->lim.max_alias_nodes - d->alias_nodes)
        return dec_fail(d, m, SKIFF_E_INVALID, "alias *%.100s would expand the input past %zu nodes made by aliases "
                        "(a \"billion laughs\" document?)", name, d->lim.max_alias_nodes);
    if ((int)d->depth + a->depth > d->lim.max_depth)
        return dec_fail(d, m, SKIFF_E_INVALID, "alias *%.100s nests deeper than %d levels", name, d->lim.max_depth);
    cJSON *copy = cJSON_Duplicate(a->node, 1);
    if (!copy) return dec_nomem(d);
    /* The copy keeps the anchored member's key; it gets its own below (or,
     * in a sequence, none). */
    if (copy->string && !(copy->type & cJSON_StringIsConst)) cJSON_free(copy->string);
    copy->string = NULL;
    copy->type &= ~cJSON_StringIsConst;
    d->alias_nodes += a->nodes;
    return attach(d, copy, m);
}

static int on_start(dec_t *d, const yaml_event_t *ev, bool is_map)
{
    yaml_mark_t m = ev->start_mark;
    const yaml_char_t *anchor = is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    if (expecting_key(d))
        return dec_fail(d, m, SKIFF_E_INVALID, "a mapping key must be a string, number or boolean, not a %s",
                        is_map ? "mapping" : "sequence");
    /* Tags on collections are ignored, as go-yaml ignores "!!set" or "!foo". */
    if ((int)d->depth + 1 > d->lim.max_depth)
        return dec_fail(d, m, SKIFF_E_INVALID, "nesting deeper than %d levels", d->lim.max_depth);
    if (d->depth == d->cap) {
        size_t ncap = d->cap ? d->cap * 2 : 16;
        frame_t *ns = realloc(d->stack, ncap * sizeof *ns);
        if (!ns) return dec_nomem(d);
        d->stack = ns;
        d->cap = ncap;
    }
    frame_t *f = &d->stack[d->depth];
    memset(f, 0, sizeof *f);
    f->is_map = is_map;
    f->start = m;
    f->node = is_map ? cJSON_CreateObject() : cJSON_CreateArray();
    if (!f->node) return dec_nomem(d);
    if (anchor && !(f->anchor = strdup((const char *)anchor))) {
        cJSON_Delete(f->node);
        return dec_nomem(d);
    }
    d->depth++;
    return 0;
}

/* Merge keys: copy keys from each source that the mapping does not have.
 * Sources listed first win, explicit keys win over all (YAML merge spec). */
static int apply_merges(dec_t *d, frame_t *f, yaml_mark_t m)
{
    if (!f->merges) return 0;
    for (cJSON *src = f->merges->child; src; src = src->next) {
        cJSON *one = cJSON_IsObject(src) ? src : src->child;
        for (; one; one = cJSON_IsObject(src) ? NULL : one->next) {
            for (cJSON *c = one->child; c; c = c->next) {
                if (skiff_strmap_get(&f->keys, c->string)) continue;
                size_t nodes;
                int depth;
                subtree_size(c, &nodes, &depth);
                if (nodes > d->lim.max_alias_nodes - d->alias_nodes)
                    return dec_fail(d, m, SKIFF_E_INVALID, "merge keys would expand the input past %zu nodes made "
                                    "by aliases", d->lim.max_alias_nodes);
                cJSON *copy = cJSON_Duplicate(c, 1);
                if (!copy) return dec_nomem(d);
                d->alias_nodes += nodes;
                if (!cJSON_AddItemToObject(f->node, c->string, copy)) {
                    cJSON_Delete(copy);
                    return dec_nomem(d);
                }
                if (skiff_strmap_put(&f->keys, copy->string, (long)m.line + 1, (long)m.column + 1, copy))
                    return dec_nomem(d);
            }
        }
    }
    /* Anchors may point into the sources: keep them until the document ends. */
    if (!d->graveyard && !(d->graveyard = cJSON_CreateArray())) return dec_nomem(d);
    cJSON_AddItemToArray(d->graveyard, f->merges);
    f->merges = NULL;
    return 0;
}

static int on_end(dec_t *d, const yaml_event_t *ev)
{
    frame_t *f = &d->stack[d->depth - 1];
    int rc = apply_merges(d, f, ev->start_mark);
    if (rc) return rc; /* the frame is freed by dec_free */
    frame_t done = *f;
    d->depth--;
    skiff_strmap_free(&done.keys);
    free(done.key);
    if (done.anchor && (rc = anchor_add(d, done.anchor, done.node, false))) {
        cJSON_Delete(done.node);
        return rc;
    }
    return attach(d, done.node, done.start);
}

static int on_document_end(dec_t *d, const yaml_event_t *ev, cJSON *docs)
{
    cJSON *root = d->root;
    d->root = NULL;
    doc_reset(d);
    if (!root || cJSON_IsNull(root)) {
        cJSON_Delete(root);
        return 0;
    }
    if (d->max_docs && (size_t)cJSON_GetArraySize(docs) >= d->max_docs) {
        cJSON_Delete(root);
        return dec_fail(d, d->doc_mark, SKIFF_E_INVALID, "expected one YAML document, found another one here");
    }
    cJSON_AddItemToArray(docs, root);
    return 0;
}

static int parser_error(dec_t *d, const yaml_parser_t *p)
{
    if (p->error == YAML_MEMORY_ERROR) return dec_nomem(d);
    if (p->error == YAML_READER_ERROR) {
        size_t line, col;
        skiff_manifest_position(d->buf, d->len, p->problem_offset, &line, &col);
        if (p->problem_value != -1)
            return skiff_error_set(d->err, SKIFF_E_INVALID, "line %zu, column %zu: %s (byte 0x%02X)", line, col,
                                   p->problem, (unsigned)p->problem_value & 0xFF);
        return skiff_error_set(d->err, SKIFF_E_INVALID, "line %zu, column %zu: %s", line, col, p->problem);
    }
    yaml_mark_t m = p->problem_mark;
    /* Find the character at the problem so a tab gets a hint. */
    const char *hint = "";
    size_t off = 0, line = 0;
    while (off < d->len && line < m.line)
        if (d->buf[off++] == '\n') line++;
    for (size_t col = 0; off < d->len && col < m.column; off++)
        if (((unsigned char)d->buf[off] & 0xC0) != 0x80 && d->buf[off] != '\n') col++;
    while (off < d->len && ((unsigned char)d->buf[off] & 0xC0) == 0x80) off++;
    if (off < d->len && d->buf[off] == '\t') hint = " (a tab; YAML indentation must use spaces)";
    const char *problem = p->problem ? p->problem : "invalid YAML";
    if (p->context)
        return skiff_error_set(d->err, SKIFF_E_INVALID, "line %zu, column %zu: %s%s (%s at line %zu, column %zu)",
                               m.line + 1, m.column + 1, problem, hint, p->context, p->context_mark.line + 1,
                               p->context_mark.column + 1);
    return skiff_error_set(d->err, SKIFF_E_INVALID, "line %zu, column %zu: %s%s", m.line + 1, m.column + 1, problem,
                           hint);
}

static int decode_stream(const char *buf, size_t len, const skiff_manifest_opts_t *opts, size_t max_docs,
                         cJSON **out, skiff_error_t *err)
{
    *out = NULL;
    if (!buf) len = 0, buf = ""; /* libyaml asserts on a NULL input */
    dec_t d = {.buf = buf, .len = len, .err = err, .max_docs = max_docs};
    skiff_manifest_limits(opts, &d.lim);
    if (len > d.lim.max_bytes)
        return skiff_error_set(err, SKIFF_E_TOOLARGE, "YAML input is %zu bytes, over the limit of %zu bytes", len,
                               d.lim.max_bytes);
    cJSON *docs = cJSON_CreateArray();
    if (!docs) return dec_nomem(&d);
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        cJSON_Delete(docs);
        return dec_nomem(&d);
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    int rc = 0;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            rc = parser_error(&d, &p);
            break;
        }
        switch (ev.type) {
        case YAML_DOCUMENT_START_EVENT: d.doc_mark = ev.start_mark; break;
        case YAML_DOCUMENT_END_EVENT: rc = on_document_end(&d, &ev, docs); break;
        case YAML_MAPPING_START_EVENT: rc = on_start(&d, &ev, true); break;
        case YAML_SEQUENCE_START_EVENT: rc = on_start(&d, &ev, false); break;
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT: rc = on_end(&d, &ev); break;
        case YAML_SCALAR_EVENT: rc = on_scalar(&d, &ev); break;
        case YAML_ALIAS_EVENT: rc = on_alias(&d, &ev); break;
        default: break;
        }
        bool end = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
        if (rc || end) break;
    }
    yaml_parser_delete(&p);
    dec_free(&d);
    if (rc) {
        cJSON_Delete(docs);
        return rc;
    }
    *out = docs;
    return 0;
}

int skiff_manifest_decode_yaml(const char *buf, size_t len, const skiff_manifest_opts_t *opts, cJSON **docs,
                               skiff_error_t *err)
{
    return decode_stream(buf, len, opts, 0, docs, err);
}

int skiff_manifest_decode_yaml_one(const char *buf, size_t len, const skiff_manifest_opts_t *opts, cJSON **doc,
                                   skiff_error_t *err)
{
    cJSON *docs;
    *doc = NULL;
    int rc = decode_stream(buf, len, opts, 1, &docs, err);
    if (rc) return rc;
    cJSON *first = cJSON_DetachItemFromArray(docs, 0);
    cJSON_Delete(docs);
    if (!first) return skiff_error_set(err, SKIFF_E_INVALID, "no YAML document: the input is empty or only comments");
    *doc = first;
    return 0;
}
