/* skiff/error.h — error codes and the error object every fallible call takes last.
 *
 * Convention (after crun): a fallible function returns 0 on success or a
 * negative code; details go in the skiff_error_t passed as the last argument.
 * skiff_error_set() returns the code it stores, so failing is one `return`.
 * The caller owns the error object (usually on its stack); nothing in it needs
 * freeing. Plain negative errno values are valid codes; skiff's own start at
 * SKIFF_E_BASE so they never collide with errno.
 */
#ifndef SKIFF_ERROR_H
#define SKIFF_ERROR_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#define SKIFF_ERROR_MSG_MAX 512

enum {
    SKIFF_OK = 0,
    SKIFF_E_BASE = -10000,
    SKIFF_E_NOTFOUND = -10001,    /* key/object does not exist */
    SKIFF_E_EXISTS = -10002,      /* create of something that exists */
    SKIFF_E_CONFLICT = -10003,    /* compare failed / stale revision */
    SKIFF_E_COMPACTED = -10004,   /* revision older than the compaction point */
    SKIFF_E_TOOLARGE = -10005,    /* value or body over its size limit */
    SKIFF_E_INVALID = -10006,     /* bad input; message says where and why */
    SKIFF_E_FUTURE_REV = -10007,  /* revision newer than the store's */
    SKIFF_E_NOSPACE = -10008,     /* disk or map full; nothing was written */
    SKIFF_E_LOCKED = -10009,      /* another process holds the data directory */
    SKIFF_E_CORRUPT = -10010,     /* a damaged file; message names the path */
    SKIFF_E_VERSION = -10011,     /* ABI/payload version refused */
    SKIFF_E_CLOSED = -10012,      /* handle or subscription already closed */
    SKIFF_E_FULL = -10013,        /* bounded queue full */
    SKIFF_E_NOLEASE = -10014,     /* lease id unknown or expired */
    SKIFF_E_UNSUPPORTED = -10015, /* op not provided by this plugin/host */
    SKIFF_E_INTERNAL = -10016,    /* a bug or an unexpected library error */
};

typedef struct skiff_error {
    int code;                       /* last code stored, 0 if none */
    char msg[SKIFF_ERROR_MSG_MAX];  /* one sentence, no trailing newline */
} skiff_error_t;

#if defined(__GNUC__)
#define SKIFF_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SKIFF_PRINTF(a, b)
#endif

/* Store code and message in err (err may be NULL); returns code. */
static inline int skiff_error_set(skiff_error_t *err, int code, const char *fmt, ...) SKIFF_PRINTF(3, 4);
static inline int skiff_error_set(skiff_error_t *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

static inline void skiff_error_clear(skiff_error_t *err)
{
    if (err) { err->code = 0; err->msg[0] = '\0'; }
}

#endif
