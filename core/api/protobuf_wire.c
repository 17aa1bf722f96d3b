/* Protobuf wire reader; see protobuf_wire.h. */
#include "api/protobuf_wire.h"

void skiff_pb_reader_init(skiff_pb_reader_t *r, const void *data, size_t len)
{
    r->p = r->base = data;
    r->end = r->p + len;
}

void skiff_pb_reader_sub(skiff_pb_reader_t *sub, const skiff_pb_reader_t *parent, const uint8_t *data, size_t len)
{
    sub->base = parent->base;
    sub->p = data;
    sub->end = data + len;
}

int skiff_pb_read_varint(skiff_pb_reader_t *r, uint64_t *v, skiff_error_t *err)
{
    uint64_t x = 0;
    size_t at = skiff_pb_offset(r);
    for (int shift = 0; shift < 70; shift += 7) {
        if (r->p >= r->end)
            return skiff_error_set(err, SKIFF_E_INVALID, "protobuf: truncated varint at offset %zu", at);
        uint8_t b = *r->p++;
        /* The 10th byte may carry only the top bit. */
        if (shift == 63 && b > 1)
            return skiff_error_set(err, SKIFF_E_INVALID, "protobuf: varint overflows 64 bits at offset %zu", at);
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) { *v = x; return 0; }
    }
    return skiff_error_set(err, SKIFF_E_INVALID, "protobuf: varint longer than 10 bytes at offset %zu", at);
}

int skiff_pb_read_tag(skiff_pb_reader_t *r, uint32_t *field, uint32_t *wire_type, skiff_error_t *err)
{
    size_t at = skiff_pb_offset(r);
    uint64_t t;
    int rc = skiff_pb_read_varint(r, &t, err);
    if (rc) return rc;
    if ((t >> 3) == 0 || (t >> 3) > 0x1fffffff)
        return skiff_error_set(err, SKIFF_E_INVALID, "protobuf: invalid field number %llu at offset %zu",
                               (unsigned long long)(t >> 3), at);
    *field = (uint32_t)(t >> 3);
    *wire_type = (uint32_t)(t & 7);
    return 0;
}

static int need(skiff_pb_reader_t *r, size_t n, const char *what, skiff_error_t *err)
{
    if ((size_t)(r->end - r->p) < n)
        return skiff_error_set(err, SKIFF_E_INVALID, "protobuf: truncated %s at offset %zu (need %zu bytes, %zu left)",
                               what, skiff_pb_offset(r), n, (size_t)(r->end - r->p));
    return 0;
}

int skiff_pb_read_fixed32(skiff_pb_reader_t *r, uint32_t *v, skiff_error_t *err)
{
    int rc = need(r, 4, "fixed32", err);
    if (rc) return rc;
    *v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
    r->p += 4;
    return 0;
}

int skiff_pb_read_fixed64(skiff_pb_reader_t *r, uint64_t *v, skiff_error_t *err)
{
    int rc = need(r, 8, "fixed64", err);
    if (rc) return rc;
    uint64_t x = 0;
    for (int i = 7; i >= 0; i--) x = x << 8 | r->p[i];
    *v = x;
    r->p += 8;
    return 0;
}

int skiff_pb_read_bytes(skiff_pb_reader_t *r, const uint8_t **data, size_t *len, skiff_error_t *err)
{
    uint64_t n;
    int rc = skiff_pb_read_varint(r, &n, err);
    if (rc) return rc;
    if (n > (uint64_t)(r->end - r->p))
        return skiff_error_set(err, SKIFF_E_INVALID, "protobuf: length %llu at offset %zu runs past the end (%zu bytes left)",
                               (unsigned long long)n, skiff_pb_offset(r), (size_t)(r->end - r->p));
    *data = r->p;
    *len = (size_t)n;
    r->p += n;
    return 0;
}

int skiff_pb_skip(skiff_pb_reader_t *r, uint32_t wire_type, skiff_error_t *err)
{
    uint64_t v;
    uint32_t v32;
    const uint8_t *d;
    size_t n;
    switch (wire_type) {
    case SKIFF_PB_VARINT: return skiff_pb_read_varint(r, &v, err);
    case SKIFF_PB_FIXED64: return skiff_pb_read_fixed64(r, &v, err);
    case SKIFF_PB_LEN: return skiff_pb_read_bytes(r, &d, &n, err);
    case SKIFF_PB_FIXED32: return skiff_pb_read_fixed32(r, &v32, err);
    default:
        return skiff_error_set(err, SKIFF_E_INVALID, "protobuf: unsupported wire type %u before offset %zu", wire_type,
                               skiff_pb_offset(r));
    }
}
