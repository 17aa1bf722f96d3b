/* core/manifest/yaml_encode.c — cJSON to YAML through libyaml's emitter:
 * block style, keys in the object's order, and a string quoted whenever a
 * YAML reader could take it for something else (yaml_scalar.c decides;
 * libyaml itself upgrades the style when plain or single quotes cannot hold
 * the characters). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "manifest/manifest_int.h"

typedef struct {
    char *buf;
    size_t len, cap;
    bool oom;
} outbuf_t;

static int out_write(void *data, unsigned char *bytes, size_t size)
{
    outbuf_t *o = data;
    if (o->len + size + 1 > o->cap) {
        size_t ncap = o->cap ? o->cap : 256;
        while (o->len + size + 1 > ncap) ncap *= 2;
        char *nb = realloc(o->buf, ncap);
        if (!nb) {
            o->oom = true;
            return 0;
        }
        o->buf = nb;
        o->cap = ncap;
    }
    memcpy(o->buf + o->len, bytes, size);
    o->len += size;
    o->buf[o->len] = '\0';
    return 1;
}

typedef struct {
    yaml_emitter_t em;
    outbuf_t out;
    skiff_error_t *err;
} enc_t;

static int enc_emit(enc_t *e, yaml_event_t *ev)
{
    if (yaml_emitter_emit(&e->em, ev)) return 0;
    if (e->out.oom || e->em.error == YAML_MEMORY_ERROR)
        return skiff_error_set(e->err, -ENOMEM, "out of memory while encoding YAML");
    return skiff_error_set(e->err, SKIFF_E_INTERNAL, "YAML emitter: %s",
                           e->em.problem ? e->em.problem : "unknown error");
}

/* A line break other than \n would be rewritten by a literal block or folded
 * by a quoted one: such strings go double-quoted, where they are escaped. */
static bool has_odd_break(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\r') return true;
        if (p[0] == 0xC2 && p[1] == 0x85) return true;                                  /* NEL */
        if (p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) return true; /* LS, PS */
    }
    return false;
}

static int emit_string(enc_t *e, const char *s, bool is_key)
{
    size_t n = strlen(s);
    yaml_scalar_style_t style = YAML_PLAIN_SCALAR_STYLE;
    if (has_odd_break(s)) style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    else if (memchr(s, '\n', n)) style = is_key ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_LITERAL_SCALAR_STYLE;
    else if (skiff_manifest_scalar_needs_quotes(s, n)) style = YAML_SINGLE_QUOTED_SCALAR_STYLE;
    yaml_event_t ev;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)n, 1, 1, style))
        return skiff_error_set(e->err, SKIFF_E_INVALID, "string \"%.60s\" is not valid UTF-8", s);
    return enc_emit(e, &ev);
}

static int emit_plain(enc_t *e, const char *text)
{
    yaml_event_t ev;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)strlen(text), 1, 1,
                                      YAML_PLAIN_SCALAR_STYLE))
        return skiff_error_set(e->err, -ENOMEM, "out of memory while encoding YAML");
    return enc_emit(e, &ev);
}

static int emit_node(enc_t *e, const cJSON *n, int depth)
{
    int rc;
    yaml_event_t ev;
    if (depth > SKIFF_MANIFEST_DEPTH_CAP)
        return skiff_error_set(e->err, SKIFF_E_INVALID, "JSON value nests deeper than %d levels",
                               SKIFF_MANIFEST_DEPTH_CAP);
    switch (n->type & 0xFF) {
    case cJSON_Object:
        if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE))
            return skiff_error_set(e->err, -ENOMEM, "out of memory while encoding YAML");
        if ((rc = enc_emit(e, &ev))) return rc;
        for (const cJSON *c = n->child; c; c = c->next) {
            if (!c->string) return skiff_error_set(e->err, SKIFF_E_INVALID, "object member without a key");
            if ((rc = emit_string(e, c->string, true)) || (rc = emit_node(e, c, depth + 1))) return rc;
        }
        yaml_mapping_end_event_initialize(&ev);
        return enc_emit(e, &ev);
    case cJSON_Array:
        if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE))
            return skiff_error_set(e->err, -ENOMEM, "out of memory while encoding YAML");
        if ((rc = enc_emit(e, &ev))) return rc;
        for (const cJSON *c = n->child; c; c = c->next)
            if ((rc = emit_node(e, c, depth + 1))) return rc;
        yaml_sequence_end_event_initialize(&ev);
        return enc_emit(e, &ev);
    case cJSON_String:
        return emit_string(e, n->valuestring ? n->valuestring : "", false);
    case cJSON_Number: {
        if (!isfinite(n->valuedouble))
            return skiff_error_set(e->err, SKIFF_E_INVALID, "number %g cannot be written as YAML for JSON",
                                   n->valuedouble);
        char buf[64];
        skiff_manifest_format_double(n->valuedouble, buf, sizeof buf);
        return emit_plain(e, buf);
    }
    case cJSON_True: return emit_plain(e, "true");
    case cJSON_False: return emit_plain(e, "false");
    case cJSON_NULL: return emit_plain(e, "null");
    default:
        return skiff_error_set(e->err, SKIFF_E_INVALID, "cannot encode a cJSON item of type %d as YAML",
                               n->type & 0xFF);
    }
}

static int encode(const cJSON *const *docs, size_t ndocs, char **out, size_t *outlen, skiff_error_t *err)
{
    *out = NULL;
    if (outlen) *outlen = 0;
    enc_t e = {.err = err};
    int rc = 0;
    if (!yaml_emitter_initialize(&e.em)) return skiff_error_set(err, -ENOMEM, "out of memory while encoding YAML");
    yaml_emitter_set_output(&e.em, out_write, &e.out);
    yaml_emitter_set_unicode(&e.em, 1);
    yaml_emitter_set_width(&e.em, -1); /* never fold long strings */
    yaml_emitter_set_indent(&e.em, 2);
    yaml_emitter_set_break(&e.em, YAML_LN_BREAK);

    yaml_event_t ev;
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    if ((rc = enc_emit(&e, &ev))) goto out;
    for (size_t i = 0; i < ndocs; i++) {
        /* libyaml writes "---" before every document but an implicit first. */
        yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
        if ((rc = enc_emit(&e, &ev)) || (rc = emit_node(&e, docs[i], 1))) goto out;
        yaml_document_end_event_initialize(&ev, 1);
        if ((rc = enc_emit(&e, &ev))) goto out;
    }
    yaml_stream_end_event_initialize(&ev);
    if ((rc = enc_emit(&e, &ev))) goto out;
    if (!yaml_emitter_flush(&e.em)) {
        rc = skiff_error_set(err, -ENOMEM, "out of memory while encoding YAML");
        goto out;
    }
    if (!e.out.buf && !(e.out.buf = calloc(1, 1))) {
        rc = skiff_error_set(err, -ENOMEM, "out of memory while encoding YAML");
        goto out;
    }
    *out = e.out.buf;
    if (outlen) *outlen = e.out.len;
    e.out.buf = NULL;
out:
    yaml_emitter_delete(&e.em);
    free(e.out.buf);
    return rc;
}

int skiff_manifest_encode_yaml(const cJSON *doc, char **out, size_t *outlen, skiff_error_t *err)
{
    if (!doc) return skiff_error_set(err, SKIFF_E_INVALID, "no document to encode");
    return encode(&doc, 1, out, outlen, err);
}

int skiff_manifest_encode_yaml_stream(const cJSON *docs, char **out, size_t *outlen, skiff_error_t *err)
{
    if (!cJSON_IsArray(docs)) return skiff_error_set(err, SKIFF_E_INVALID, "a YAML stream needs a JSON array of documents");
    int n = cJSON_GetArraySize(docs);
    const cJSON **list = calloc(n ? (size_t)n : 1, sizeof *list);
    if (!list) return skiff_error_set(err, -ENOMEM, "out of memory while encoding YAML");
    int i = 0;
    for (const cJSON *c = docs->child; c; c = c->next) list[i++] = c;
    int rc = encode(list, (size_t)n, out, outlen, err);
    free(list);
    return rc;
}
