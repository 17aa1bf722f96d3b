/* core/api/buf — a growable byte buffer for building responses.
 *
 * Allocation failure never aborts: the buffer records it in `oom`, further
 * appends become no-ops, and the caller answers 500 when it sees `oom`.
 * The buffer owns `data`; skiff_api_buf_free() releases it, _take() hands it
 * over (the caller then frees it with free()).
 */
#ifndef SKIFF_API_BUF_H
#define SKIFF_API_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include <skiff/error.h>

typedef struct skiff_api_buf {
    char *data;
    size_t len;
    size_t cap;
    int oom;
} skiff_api_buf_t;

void skiff_api_buf_init(skiff_api_buf_t *b);
void skiff_api_buf_free(skiff_api_buf_t *b);
void skiff_api_buf_reset(skiff_api_buf_t *b);
int skiff_api_buf_reserve(skiff_api_buf_t *b, size_t extra);
void skiff_api_buf_add(skiff_api_buf_t *b, const void *p, size_t n);
void skiff_api_buf_puts(skiff_api_buf_t *b, const char *s);
void skiff_api_buf_putc(skiff_api_buf_t *b, char c);
void skiff_api_buf_printf(skiff_api_buf_t *b, const char *fmt, ...) SKIFF_PRINTF(2, 3);
/* Append `s` as a JSON string literal, quotes included. */
void skiff_api_buf_json_str(skiff_api_buf_t *b, const char *s);
char *skiff_api_buf_take(skiff_api_buf_t *b, size_t *len);

#endif
