/* X.690 DER: definite-length, minimal encodings only (X.690 §10.1). */
#include "der.h"

/* X.690 §8.1.2 and §8.1.3: the identifier (one octet, low-tag-number form, not 0x00) and the
 * length: short form below 0x80, else 0x80|n followed by n big-endian octets. DER forbids the
 * indefinite form (§10.1) and requires the fewest octets. On success the reader is at the
 * contents, which fit in what remains; on failure the reader is failed. Reads the octets in
 * place after one bounds check each: this runs for every TLV of every token. */
static bool read_header(struct ng_reader *r, uint8_t *tag, size_t *len)
{
    if (r->failed || r->len < 2)
        goto bad;
    const uint8_t *p = r->ptr;
    size_t header = 2, n = p[1] & 0x7f;
    *tag = p[0];
    *len = p[1];
    if ((*tag & 0x1f) == 0x1f || *tag == 0x00)
        goto bad;
    if (p[1] & 0x80) {
        if (n == 0 || n > NG_DER_MAX_LEN_OCTETS || n > r->len - 2)
            goto bad;
        uint32_t v = 0;
        for (size_t i = 0; i < n; i++)
            v = (v << 8) | p[2 + i];
        /* Minimal: a leading zero octet, or long form for a length below 0x80, is not DER. */
        if (v < 0x80 || (v >> (8 * (n - 1))) == 0)
            goto bad;
        *len = v;
        header += n;
    }
    if (*len > r->len - header)
        goto bad;
    r->ptr += header;
    r->len -= header;
    return true;
bad:
    ng_reader_fail(r);
    return false;
}

bool ng_der_read_tlv(struct ng_reader *r, struct ng_der_tlv *out)
{
    const uint8_t *start = r->ptr;
    uint8_t tag;
    size_t len;
    if (!read_header(r, &tag, &len)) {
        *out = (struct ng_der_tlv){0};
        return false;
    }
    out->tag = tag;
    out->value = ng_read_slice(r, len);
    out->whole = (struct ng_slice){start, (size_t)(r->ptr - start)};
    return true;
}

struct ng_reader ng_der_read_expect_any(struct ng_reader *r, uint8_t tag)
{
    uint8_t got;
    size_t len;
    if (!read_header(r, &got, &len) || got != tag) {
        ng_reader_fail(r);
        return (struct ng_reader){NULL, 0, true};
    }
    return ng_reader_of(ng_read_slice(r, len));
}

bool ng_der_oid_valid(struct ng_slice oid)
{
    bool at_start = true;
    if (oid.len == 0)
        return false;
    for (size_t i = 0; i < oid.len; i++) {
        if (at_start && oid.ptr[i] == 0x80) /* X.690 §8.19.2: no leading 0x80 in a subidentifier */
            return false;
        at_start = (oid.ptr[i] & 0x80) == 0;
    }
    return at_start;
}

struct ng_slice ng_der_read_oid(struct ng_reader *r)
{
    struct ng_slice oid = ng_der_read_value(r, NG_DER_OID);
    if (!r->failed && !ng_der_oid_valid(oid))
        ng_reader_fail(r);
    return r->failed ? NG_SLICE_EMPTY : oid;
}

/* X.690 §8.3: two's complement, minimal; only 0 .. UINT32_MAX is accepted here. */
static uint32_t read_small_uint(struct ng_reader *r, uint8_t tag)
{
    struct ng_reader b = ng_reader_of(ng_der_read_value(r, tag));
    if (r->failed || b.len == 0 || b.len > 5) {
        ng_reader_fail(r);
        return 0;
    }
    size_t n = b.len;
    uint8_t first = ng_read_u8(&b);
    bool negative = (first & 0x80) != 0;
    bool padded = n > 1 && first == 0 && (ng_peek_u8(&b) & 0x80) == 0;
    uint64_t v = first;
    while (b.len > 0)
        v = (v << 8) | ng_read_u8(&b);
    if (negative || padded || v > UINT32_MAX) {
        ng_reader_fail(r);
        return 0;
    }
    return (uint32_t)v;
}

uint32_t ng_der_read_uint(struct ng_reader *r)
{
    return read_small_uint(r, NG_DER_INTEGER);
}

uint32_t ng_der_read_enumerated(struct ng_reader *r)
{
    return read_small_uint(r, NG_DER_ENUMERATED);
}

static uint8_t reverse8(uint8_t b)
{
    b = (uint8_t)((b & 0xf0) >> 4 | (b & 0x0f) << 4);
    b = (uint8_t)((b & 0xcc) >> 2 | (b & 0x33) << 2);
    return (uint8_t)((b & 0xaa) >> 1 | (b & 0x55) << 1);
}

/* X.690 §8.6: an initial octet counting unused bits in the last octet (0..7, and 0 when there
 * are no bits), then the bits, first bit in the MSB of the first octet. */
uint32_t ng_der_read_bit_string_flags(struct ng_reader *r)
{
    struct ng_reader b = ng_reader_of(ng_der_read_value(r, NG_DER_BIT_STRING));
    uint8_t unused = ng_read_u8(&b);
    if (r->failed || b.failed || unused > 7 || (b.len == 0 && unused != 0)) {
        ng_reader_fail(r);
        return 0;
    }
    uint32_t flags = 0;
    for (unsigned i = 0; i < 4 && b.len > 0; i++) {
        uint8_t octet = ng_read_u8(&b);
        if (b.len == 0)
            octet &= (uint8_t)(0xff << unused);
        flags |= (uint32_t)reverse8(octet) << (8 * i);
    }
    return flags;
}

struct ng_slice ng_der_read_octet_string(struct ng_reader *r)
{
    return ng_der_read_value(r, NG_DER_OCTET_STRING);
}

struct ng_slice ng_der_read_general_string(struct ng_reader *r)
{
    return ng_der_read_value(r, NG_DER_GENERAL_STRING);
}

size_t ng_der_bit_string_flags_content_size(uint32_t flags)
{
    unsigned bits = 0;
    while (bits < 32 && (flags >> bits) != 0)
        bits++;
    return 1 + (bits + 7) / 8;
}

void ng_der_write_header_any(struct ng_writer *w, uint8_t tag, size_t content_len)
{
    if ((uint64_t)content_len > UINT32_MAX) {
        w->error = NG_ERR_INVALID_PARAM;
        return;
    }
    size_t n = ng_der_length_size(content_len) - 1; /* 0 for the short form */
    uint8_t *at = ng_writer_reserve(w, n == 0 ? 2 : 2 + n);
    if (at == NULL)
        return;
    at[0] = tag;
    if (n == 0) {
        at[1] = (uint8_t)content_len;
        return;
    }
    at[1] = (uint8_t)(0x80 | n);
    for (size_t i = 0; i < n; i++)
        at[2 + i] = (uint8_t)((uint64_t)content_len >> (8 * (n - 1 - i)));
}

void ng_der_write_tlv(struct ng_writer *w, uint8_t tag, struct ng_slice content)
{
    ng_der_write_header(w, tag, content.len);
    ng_write_slice(w, content);
}

void ng_der_write_oid(struct ng_writer *w, struct ng_slice oid)
{
    ng_der_write_tlv(w, NG_DER_OID, oid);
}

static void write_small_uint(struct ng_writer *w, uint8_t tag, uint32_t v)
{
    size_t n = ng_der_uint_content_size(v);
    uint8_t *at = ng_writer_reserve(w, 2 + n);
    if (at == NULL)
        return;
    at[0] = tag;
    at[1] = (uint8_t)n;
    for (size_t i = 0; i < n; i++)
        at[2 + i] = (uint8_t)((uint64_t)v >> (8 * (n - 1 - i)));
}

void ng_der_write_uint(struct ng_writer *w, uint32_t v)
{
    write_small_uint(w, NG_DER_INTEGER, v);
}

void ng_der_write_enumerated(struct ng_writer *w, uint32_t v)
{
    write_small_uint(w, NG_DER_ENUMERATED, v);
}

/* DER named-bit lists drop trailing zero bits (X.690 §11.2.2). */
void ng_der_write_bit_string_flags(struct ng_writer *w, uint32_t flags)
{
    size_t n = ng_der_bit_string_flags_content_size(flags);
    unsigned bits = 0;
    while (bits < 32 && (flags >> bits) != 0)
        bits++;
    ng_der_write_header(w, NG_DER_BIT_STRING, n);
    ng_write_u8(w, (uint8_t)((8 - bits % 8) % 8));
    for (size_t i = 0; i + 1 < n; i++)
        ng_write_u8(w, reverse8((uint8_t)(flags >> (8 * i))));
}

void ng_der_write_octet_string(struct ng_writer *w, struct ng_slice s)
{
    ng_der_write_tlv(w, NG_DER_OCTET_STRING, s);
}

void ng_der_write_general_string(struct ng_writer *w, struct ng_slice s)
{
    ng_der_write_tlv(w, NG_DER_GENERAL_STRING, s);
}
