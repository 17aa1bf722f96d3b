/* core/manifest internals shared by the decoders and the encoder. Not a
 * public face: only files in core/manifest/ include this. */
#ifndef SKIFF_CORE_MANIFEST_INT_H
#define SKIFF_CORE_MANIFEST_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "manifest/manifest.h"

/* ---- scalar typing (yaml_scalar.c) ---- */

typedef enum {
    SKIFF_SCALAR_STR,
    SKIFF_SCALAR_NULL,
    SKIFF_SCALAR_BOOL,
    SKIFF_SCALAR_INT,
    SKIFF_SCALAR_FLOAT,
} skiff_scalar_kind_t;

typedef struct {
    skiff_scalar_kind_t kind;
    bool b;         /* BOOL */
    bool u64;       /* INT: value is u (above INT64_MAX), else i */
    int64_t i;      /* INT */
    uint64_t u;     /* INT when u64 */
    double d;       /* FLOAT */
} skiff_scalar_t;

/* Type the scalar text s[0..n) (plain: written without quotes or block
 * indicator; tag: libyaml's resolved tag or NULL). On refusal returns
 * SKIFF_E_INVALID and writes a reason (no position) into why. */
int skiff_manifest_scalar_resolve(const char *s, size_t n, bool plain, const char *tag, unsigned flags,
                                  skiff_scalar_t *out, char *why, size_t whylen);

/* True when the string s[0..n), written plain, could be read as anything but
 * this string by a YAML 1.1 or 1.2 reader (or as a merge key). */
bool skiff_manifest_scalar_needs_quotes(const char *s, size_t n);

/* Go's strconv.FormatFloat(f, 'g', -1, 32): how sigs.k8s.io/yaml turns a
 * float map key into a string. */
void skiff_manifest_format_float32_key(double d, char *buf, size_t len);

/* Shortest text that reads back as exactly d ("1.5", "1e+20"); integral
 * values below 2^53 print as integers. d must be finite. */
void skiff_manifest_format_double(double d, char *buf, size_t len);

/* 2^53: integers at or above this magnitude are not kept as JSON numbers. */
#define SKIFF_MANIFEST_EXACT_INT_LIMIT 9007199254740992.0

/* ---- a string-keyed open-addressing hash (strmap.c) ---- */

typedef struct {
    const char *key; /* borrowed: must outlive the map */
    uint32_t hash;
    long a, b;       /* caller's payload (line/column, an index...) */
    void *p;
} skiff_strmap_entry_t;

typedef struct {
    skiff_strmap_entry_t *slots;
    size_t cap, count;
} skiff_strmap_t;

/* Find key; NULL when absent. */
skiff_strmap_entry_t *skiff_strmap_get(const skiff_strmap_t *m, const char *key);
/* Insert or replace; -ENOMEM on allocation failure. */
int skiff_strmap_put(skiff_strmap_t *m, const char *key, long a, long b, void *p);
void skiff_strmap_free(skiff_strmap_t *m);

/* ---- positions ---- */

/* 1-based line and column (in UTF-8 characters) of byte offset off in buf. */
void skiff_manifest_position(const char *buf, size_t len, size_t off, size_t *line, size_t *col);

/* Byte offset of the first invalid UTF-8 sequence, or len when valid. */
size_t skiff_manifest_utf8_check(const char *buf, size_t len);

/* Resolved limits, defaults applied. */
typedef struct {
    size_t max_bytes;
    int max_depth;
    size_t max_alias_nodes;
    unsigned flags;
    char *warn_buf;
    size_t warn_len;
} skiff_manifest_limits_t;

/* Record the first warning in the caller's buffer (if any and still empty). */
void skiff_manifest_warn(const skiff_manifest_limits_t *lim, const char *fmt, ...) SKIFF_PRINTF(2, 3);

void skiff_manifest_limits(const skiff_manifest_opts_t *opts, skiff_manifest_limits_t *out);

/* ---- json_fast.c: one-pass decoding of well-formed JSON ---- */

/* The tree cJSON would build for buf (fewer allocations: see json_fast.c).
 * 0 with *doc set; 1 = not handled here (errors, \u escapes, duplicates,
 * wide objects...): run the full decoder; -ENOMEM. */
int skiff_manifest_json_fast(const char *buf, size_t len, int max_depth, cJSON **doc);
/* Tests only: nonzero makes skiff_manifest_decode_json skip the fast path
 * (the reference it is compared with). */
extern int skiff_manifest_json_fast_off;
/* Member names shared by decoded trees (json_keys.c). */
extern const char *const skiff_manifest_json_keys[];
extern const size_t skiff_manifest_json_nkeys;

#endif
