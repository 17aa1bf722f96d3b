/* core/api/protobuf_wire — a bounds-checked protobuf wire-format reader.
 *
 * Reads tags, varints, fixed32/64 and length-delimited fields from a byte
 * range it never reads past; truncated or over-long input is an error, not
 * a crash. Groups (wire types 3/4, unused by Kubernetes) are refused. The
 * reader borrows the buffer; nothing is allocated.
 */
#ifndef SKIFF_CORE_API_PROTOBUF_WIRE_H
#define SKIFF_CORE_API_PROTOBUF_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <skiff/error.h>

enum { SKIFF_PB_VARINT = 0, SKIFF_PB_FIXED64 = 1, SKIFF_PB_LEN = 2, SKIFF_PB_FIXED32 = 5 };

typedef struct skiff_pb_reader {
    const uint8_t *p, *end;
    const uint8_t *base; /* start of the whole buffer, for offsets in messages */
} skiff_pb_reader_t;

/* A reader over [data, data+len); base = data. */
void skiff_pb_reader_init(skiff_pb_reader_t *r, const void *data, size_t len);

/* A sub-reader over [data, data+len) keeping parent's base (for offsets). */
void skiff_pb_reader_sub(skiff_pb_reader_t *sub, const skiff_pb_reader_t *parent, const uint8_t *data, size_t len);

static inline int skiff_pb_eof(const skiff_pb_reader_t *r) { return r->p >= r->end; }
static inline size_t skiff_pb_offset(const skiff_pb_reader_t *r) { return (size_t)(r->p - r->base); }

/* Each returns 0 or SKIFF_E_INVALID with the byte offset in err. */
int skiff_pb_read_varint(skiff_pb_reader_t *r, uint64_t *v, skiff_error_t *err);
int skiff_pb_read_tag(skiff_pb_reader_t *r, uint32_t *field, uint32_t *wire_type, skiff_error_t *err);
int skiff_pb_read_fixed32(skiff_pb_reader_t *r, uint32_t *v, skiff_error_t *err);
int skiff_pb_read_fixed64(skiff_pb_reader_t *r, uint64_t *v, skiff_error_t *err);
/* Length-delimited: *data points into the buffer (borrowed). */
int skiff_pb_read_bytes(skiff_pb_reader_t *r, const uint8_t **data, size_t *len, skiff_error_t *err);
/* Skip a field's value of the given wire type. */
int skiff_pb_skip(skiff_pb_reader_t *r, uint32_t wire_type, skiff_error_t *err);

#endif
