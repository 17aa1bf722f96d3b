/* core/manifest — Kubernetes manifests: YAML and JSON in, cJSON trees out, and
 * cJSON back to YAML (the face of core/manifest/). Implementation:
 * yaml_decode.c (libyaml events -> cJSON), yaml_scalar.c (what type a plain
 * scalar is), yaml_encode.c (cJSON -> libyaml emitter), json_decode.c (JSON
 * and the JSON-or-YAML request body entry), strmap.c (a small string hash).
 *
 * Ownership: every decoded tree is the caller's, freed with cJSON_Delete();
 * every encoded string is the caller's, freed with free(). Inputs are
 * borrowed for the call and need not be NUL-terminated.
 *
 * Errors: bad input is SKIFF_E_INVALID with "line L, column C: what" (both
 * 1-based; column counts characters); only a duplicate JSON key, found
 * after parsing, is named by its path instead (`duplicate field "spec.x"`).
 * Input over the size limit is SKIFF_E_TOOLARGE; allocation failure -ENOMEM.
 * Nothing aborts on bad input.
 *
 * How a YAML scalar becomes JSON (the rule, default mode)
 * -------------------------------------------------------
 * Quoted ('x', "x") and block (|, >) scalars are always strings. A plain
 * (unquoted) scalar is
 *   - null   if it is empty, ~, null, Null or NULL;
 *   - a bool if it is true, True, TRUE, false, False or FALSE;
 *   - an integer if it matches [-+]?(0|[1-9][0-9]*);
 *   - a float if it matches [-+]?(0|[1-9][0-9]*)?(\.[0-9]*)?([eE][-+]?[0-9]+)?
 *     with at least one digit before the exponent ("1.5", ".5", "1.", "1e3");
 *   - otherwise a string.
 * That is the YAML 1.2 core schema made stricter, so every YAML 1.1-only form
 * stays a string: on/off/yes/no/y/n (any case), leading-zero octal "0755",
 * "0o17", "0x1F", "0b101", "1_000", sexagesimal "1:30", and dates. ".inf" and
 * ".nan" (any case, signed) are refused: JSON cannot hold them. A float too
 * large for a double ("1e400") stays a string, as kubectl leaves it.
 * Explicit tags: !!str forces a string; !!int, !!float, !!bool, !!null
 * resolve the text by the rule above and must yield that type; any other tag
 * (!!binary, !!timestamp, "!", local "!foo") leaves the text a string, and
 * tags on mappings and sequences are ignored, as go-yaml does. Unlike
 * kubectl, !!binary is not base64-decoded (the result may not be UTF-8) and
 * a NUL character (\0) in a string is refused (C strings).
 *
 * NOTE: kubectl 1.32 itself (sigs.k8s.io/yaml over go-yaml v2) reads YAML
 * 1.1: "on"/"yes"/"y" -> true, 0755 -> 493, 0x1F -> 31, and a key on: -> "true".
 * Pass SKIFF_MANIFEST_YAML11 to type plain scalars and keys as go-yaml v2
 * does (underscores ignored in numbers, 0x/0o/0b/leading-0 octal ints, y/n/
 * yes/no/on/off in three cases as bools), checked against sigs.k8s.io/yaml's
 * YAMLToJSON on ~100 inputs. The checks below (duplicate keys, 2^53, NUL,
 * merge precedence) stay stricter than kubectl in both modes. The default keeps such values as
 * the strings that were written, which is what the author almost always
 * meant; the one common casualty is a volume's `defaultMode: 0644`, which
 * stays the string "0644" (write 420, or decode with SKIFF_MANIFEST_YAML11).
 *
 * Big numbers: cJSON holds doubles, so an integer is kept only while exact:
 * |n| < 2^53 becomes a number; a larger integer is refused with its position
 * ("... quote it to keep it as a string"). Kubernetes' own big values
 * (resourceVersion, uid) are strings, and int64 fields hold small numbers.
 * Floats are doubles (inexact by nature), as in JSON.
 *
 * Mapping keys become strings as sigs.k8s.io/yaml makes them: ints in
 * decimal (exact even past 2^53), floats in Go's shortest float32 form, bools
 * "true"/"false"; a null key or a sequence/mapping key is refused. A key seen
 * twice in one mapping (after that conversion, so 1 and "1" collide) is an
 * error naming both lines. Merge keys (<<: *base, or a list of them) are
 * supported; explicit keys win over merged ones wherever they stand, as the
 * YAML merge spec says (go-yaml v2 lets a later << override an earlier key),
 * and merged keys are appended after the mapping's own.
 *
 * Anchors and aliases: an alias is a deep copy of what its anchor names.
 * Copies (and merged-in keys) count against max_alias_nodes for the whole
 * call, so "billion laughs" stops with an error instead of eating memory. An
 * alias to an anchor not yet complete (a recursive structure) is an error.
 *
 * Streams: "---"-separated documents decode to a JSON array of documents;
 * documents that are empty or null (only comments, a bare "---") are skipped.
 * A `kind: List` document is returned as it is (not flattened).
 */
#ifndef SKIFF_CORE_MANIFEST_H
#define SKIFF_CORE_MANIFEST_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include <skiff/error.h>

#define SKIFF_MANIFEST_MAX_BYTES (3u * 1024 * 1024) /* Kubernetes' request body limit */
#define SKIFF_MANIFEST_MAX_DEPTH 100                /* nested mappings/sequences */
#define SKIFF_MANIFEST_DEPTH_CAP 1000               /* max_depth is clamped to this */
#define SKIFF_MANIFEST_MAX_ALIAS_NODES 100000       /* nodes made by aliases and merges */

enum {
    /* Type plain scalars as kubectl (go-yaml v2, YAML 1.1) does; see above. */
    SKIFF_MANIFEST_YAML11 = 1u << 0,
    /* A key repeated in one mapping/object is not an error: the later value
     * replaces the earlier, as encoding/json and sigs.k8s.io/yaml do (the API
     * server's fieldValidation=Ignore/Warn). The first duplicate is described
     * in warn_buf, if given, for a Warn response header. */
    SKIFF_MANIFEST_DUPLICATES_LAST_WINS = 1u << 1,
};

typedef struct skiff_manifest_opts {
    size_t max_bytes;       /* 0: SKIFF_MANIFEST_MAX_BYTES */
    int max_depth;          /* 0: SKIFF_MANIFEST_MAX_DEPTH; capped at SKIFF_MANIFEST_DEPTH_CAP */
    size_t max_alias_nodes; /* 0: SKIFF_MANIFEST_MAX_ALIAS_NODES */
    unsigned flags;         /* SKIFF_MANIFEST_* */
    char *warn_buf;         /* optional, caller-owned: set to "" on entry, then the first warning */
    size_t warn_len;
} skiff_manifest_opts_t;

/* Decode a YAML stream into *docs, a new cJSON array with one element per
 * non-empty document (possibly none). opts may be NULL for the defaults. On
 * failure *docs is NULL. */
int skiff_manifest_decode_yaml(const char *buf, size_t len, const skiff_manifest_opts_t *opts, cJSON **docs,
                               skiff_error_t *err);

/* Decode a YAML stream that must hold exactly one non-empty document into
 * *doc (any JSON value). Zero documents or more than one is SKIFF_E_INVALID. */
int skiff_manifest_decode_yaml_one(const char *buf, size_t len, const skiff_manifest_opts_t *opts, cJSON **doc,
                                   skiff_error_t *err);

/* Decode one JSON value (RFC 8259 text, surrounding whitespace allowed).
 * Checked beyond cJSON: depth (before parsing, with the position of the first
 * bracket too deep), UTF-8 validity, trailing data, duplicate keys, integers
 * past 2^53 and numbers that overflow a double (these three name the field's
 * path). */
int skiff_manifest_decode_json(const char *buf, size_t len, const skiff_manifest_opts_t *opts, cJSON **doc,
                               skiff_error_t *err);

/* cJSON_ParseWithLength's result — the same tree, NULL where cJSON fails —
 * built in one pass with one allocation per item when the text is plain
 * well-formed JSON (json_fast.c; anything else goes to cJSON itself). For
 * texts that were checked on the way in: stored objects, watch events. The
 * tree's string items hold their text in the item's own block and schema
 * member names are shared static strings; cJSON_Delete, cJSON_Duplicate,
 * printing and every read treat them as usual, cJSON_SetValuestring does
 * not apply (replace such an item instead). */
cJSON *skiff_manifest_parse_json(const char *buf, size_t len);

/* A request body that may be JSON or YAML, as the API server gets it. Like
 * apimachinery's YAMLOrJSONDecoder, a body whose first non-space character is
 * '{' or '[' is JSON (and must be valid JSON); anything else is YAML with
 * exactly one document. max_bytes 0 means SKIFF_MANIFEST_MAX_BYTES (larger
 * bodies: SKIFF_E_TOOLARGE, "request entity too large: limit is N bytes"),
 * max_depth 0 means SKIFF_MANIFEST_MAX_DEPTH. An empty body is
 * SKIFF_E_INVALID. *doc is the caller's. */
int skiff_manifest_decode_body(const char *buf, size_t len, size_t max_bytes, int max_depth, cJSON **doc,
                               skiff_error_t *err);

/* The same with every option: e.g. SKIFF_MANIFEST_YAML11 to type a YAML body
 * as a Kubernetes API server (sigs.k8s.io/yaml) would. */
int skiff_manifest_decode_body_opts(const char *buf, size_t len, const skiff_manifest_opts_t *opts, cJSON **doc,
                                    skiff_error_t *err);

/* Encode one JSON value as a YAML document in block style, keys in the
 * object's order, strings quoted whenever a YAML 1.1 or 1.2 reader (kubectl
 * included) could read them as anything but that string ("on", "0755",
 * "123", "true", "", "null", "1.5", "a: b" ...), multi-line strings as
 * literal blocks. *out is a NUL-terminated string the caller frees; *outlen
 * (may be NULL) its length. Decoding the result in either mode gives back an
 * equal tree (cJSON_Compare) — the fuzz target checks exactly that. cJSON raw
 * items, non-finite numbers and strings that are not UTF-8 are
 * SKIFF_E_INVALID; an object built with a duplicate key is written as is
 * (and will not decode back). */
int skiff_manifest_encode_yaml(const cJSON *doc, char **out, size_t *outlen, skiff_error_t *err);

/* Encode each element of the array `docs` as one document of a stream, with
 * "---" between documents. An empty array gives an empty string. */
int skiff_manifest_encode_yaml_stream(const cJSON *docs, char **out, size_t *outlen, skiff_error_t *err);

/* The shortest decimal text that reads back as exactly d ("0.1", "1.5",
 * "1e+20"; integral values below 2^53 without a fraction). For a number
 * field that Kubernetes reads as text — a resource quantity sent as a JSON
 * number (`cpu: 0.1`) — this recovers what the client wrote, so
 * skiff_quantity_canonical() sees "0.1", not 0.1000000000000000055. d must
 * be finite; len of 32 is always enough. */
void skiff_manifest_format_number(double d, char *buf, size_t len);

#endif
