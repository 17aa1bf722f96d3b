/* core/plugin/settings — checking settings against a skiff_config_key_t table.
 *
 * One checker serves plugin instances (settings from a config file or
 * "key=value" strings) and core components (apiserver = { ... }). Input is a
 * list of raw settings, each with the type it was written with and the line
 * it came from; output is a skiff_settings_t holding every table key's value
 * after defaults and conversion (quantities in milli-units, durations in ms).
 *
 * Messages (asserted by tests; `where` is e.g. "apiserver" or
 * "admission/require-label"):
 *   unknown key "lisen" in apiserver; did you mean "listen"?
 *   key "port" in apiserver: expected int, got string
 *   key "cpu" in scheduler/x: quantity "12Qi": unknown suffix "Qi"
 *   missing required key "label" in admission/require-label
 *
 * Ownership: a skiff_settings_t owns copies of all its strings; it borrows
 * the key table, which must outlive it.
 */
#ifndef SKIFF_CORE_SETTINGS_H
#define SKIFF_CORE_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include <skiff/plugin.h>

typedef enum skiff_raw_kind {
    SKIFF_RAW_TEXT = 1, /* "key=value" text, converted to the key's type */
    SKIFF_RAW_STRING,
    SKIFF_RAW_INT,
    SKIFF_RAW_FLOAT,
    SKIFF_RAW_BOOL,
    SKIFF_RAW_LIST,     /* a list/array whose elements are all strings */
    SKIFF_RAW_OTHER,    /* a group, or a list of non-strings: never valid */
} skiff_raw_kind_t;

typedef struct skiff_raw_setting {
    const char *key;
    skiff_raw_kind_t kind;
    const char *str;               /* TEXT, STRING */
    int64_t i;                     /* INT */
    double d;                      /* FLOAT */
    int b;                         /* BOOL */
    const char *const *list;       /* LIST, list_len entries */
    size_t list_len;
    int line;                      /* 0 when unknown */
} skiff_raw_setting_t;

typedef struct skiff_settings skiff_settings_t;

/* Called once per problem; line is 0 when unknown. */
typedef void (*skiff_settings_report_fn)(void *ud, int line, const char *msg);

/* Check `raw` against `keys` (NULL = a table with no keys). Every problem is
 * reported; returns the number of problems (0: *out is set and the caller
 * frees it), or SKIFF_E_NOSPACE-style negative code on allocation failure. */
int skiff_settings_build(const skiff_config_key_t *keys, const char *where,
                         const skiff_raw_setting_t *raw, size_t n,
                         skiff_settings_report_fn report, void *ud, skiff_settings_t **out);
void skiff_settings_free(skiff_settings_t *s);

/* Typed reads, after defaults. 0, SKIFF_E_NOTFOUND (not in the table, or
 * unset without default) or SKIFF_E_INVALID (the key has another type).
 * int reads INT, QUANTITY (milli-units) and DURATION (ms) keys. Returned
 * strings are owned by s. */
int skiff_settings_string(const skiff_settings_t *s, const char *key, const char **out);
int skiff_settings_int(const skiff_settings_t *s, const char *key, int64_t *out);
int skiff_settings_bool(const skiff_settings_t *s, const char *key, int *out);
int skiff_settings_double(const skiff_settings_t *s, const char *key, double *out);
int skiff_settings_strlist(const skiff_settings_t *s, const char *key, const char *const **out);

/* Write every SKIFF_CFG_FILL key's value at its offset in block. A key
 * whose value would not fit in block_size is SKIFF_E_INVALID. */
int skiff_settings_fill(const skiff_settings_t *s, void *block, size_t block_size,
                        skiff_error_t *err);

/* Check a key table itself: names set and unique, known types, defaults
 * that parse. The message names the key. */
int skiff_settings_check_table(const skiff_config_key_t *keys, skiff_error_t *err);

/* Check that every SKIFF_CFG_FILL key's value fits the instance block. */
int skiff_settings_check_fill(const skiff_config_key_t *keys, size_t instance_size,
                              skiff_error_t *err);

/* "string", "int", "bool", "double", "quantity", "duration", "strlist". */
const char *skiff_cfg_type_name(uint32_t type);

#endif
