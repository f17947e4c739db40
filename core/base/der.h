/* A zero-copy DER (X.690 §10) reader and writer for the ASN.1 that Negotiate speaks: SPNEGO
 * (RFC 4178), GSS framing (RFC 2743 §3.1) and, later, Kerberos (RFC 4120).
 *
 * Reading goes through struct ng_reader, so a violation sets the reader's sticky `failed` flag
 * and a parser may read a whole structure and check once at the end. Values are slices into the
 * reader's input and live as long as that input does.
 *
 * Writing is size-first: ng_der_tlv_size() and friends compute the exact encoded length of a
 * subtree, so an encoder emits every header before its contents, forward into one writer, with
 * no temporary buffers. Sizes saturate at SIZE_MAX instead of wrapping.
 *
 * All functions are thread-safe (no shared state). */
#ifndef NEGRING_CORE_DER_H
#define NEGRING_CORE_DER_H

#include "reader.h"
#include "writer.h"

/* Identifier octets used by negring (X.690 §8.1.2). Only the low-tag-number form exists here. */
#define NG_DER_INTEGER        0x02
#define NG_DER_BIT_STRING     0x03
#define NG_DER_OCTET_STRING   0x04
#define NG_DER_OID            0x06
#define NG_DER_ENUMERATED     0x0a
#define NG_DER_GENERAL_STRING 0x1b
#define NG_DER_SEQUENCE       0x30
#define NG_DER_CONTEXT(n)     ((uint8_t)(0xa0 | (n))) /* [n] EXPLICIT, constructed */
#define NG_DER_APPLICATION(n) ((uint8_t)(0x60 | (n))) /* [APPLICATION n], constructed */
#define NG_DER_MAX_LEN_OCTETS 4 /* longest long-form length accepted or written */

struct ng_der_tlv {
    uint8_t tag;           /* the single identifier octet */
    struct ng_slice value; /* contents octets */
    struct ng_slice whole; /* identifier, length and contents, as received */
};

/* ---- Reading ---------------------------------------------------------------------------- */

/* Reads one TLV. Fails the reader (and returns false) on the high-tag-number form (0x1f), tag
 * 0x00, an indefinite length, a non-minimal length, more than 4 length octets, or a length
 * beyond what remains. */
bool ng_der_read_tlv(struct ng_reader *r, struct ng_der_tlv *out);

/* ng_der_read_expect for what its inline fast path leaves: long-form lengths, a wrong tag, a
 * failed or short reader. Same contract. */
struct ng_reader ng_der_read_expect_any(struct ng_reader *r, uint8_t tag);

/* Reads one TLV that must carry `tag` and returns a reader over its contents. On any failure
 * both `r` and the returned reader are failed.
 *
 * Inline for the common cases, a length of one or two octets after the first (X.690 §8.1.3:
 * contents below 64 KiB) that fits: a Kerberos accept reads about a hundred TLVs, every one of
 * them that short, and the general path was a sixth of a cached accept. Everything else, valid
 * or not, goes to ng_der_read_expect_any, which rejects what ng_der_read_tlv rejects. */
static inline struct ng_reader ng_der_read_expect(struct ng_reader *r, uint8_t tag)
{
    bool tag_valid = (tag & 0x1f) != 0x1f && tag != 0x00; /* folds away for a constant tag */
    if (!tag_valid || r->failed || r->len < 2 || r->ptr[0] != tag)
        return ng_der_read_expect_any(r, tag);
    const uint8_t *p = r->ptr;
    size_t n = p[1], header = 2;
    if (n == 0x81 && r->len >= 3 && p[2] >= 0x80) /* minimal: below 0x80 is the short form */
        n = p[2], header = 3;
    else if (n == 0x82 && r->len >= 4 && p[2] != 0) /* minimal: no leading zero octet */
        n = (size_t)p[2] << 8 | p[3], header = 4;
    else if (n >= 0x80)
        return ng_der_read_expect_any(r, tag);
    if (n > r->len - header)
        return ng_der_read_expect_any(r, tag);
    struct ng_reader contents = {p + header, n, false};
    r->ptr += header + n;
    r->len -= header + n;
    return contents;
}

/* Reads one TLV that must carry `tag` and returns its contents octets. */
static inline struct ng_slice ng_der_read_value(struct ng_reader *r, uint8_t tag)
{
    struct ng_reader sub = ng_der_read_expect(r, tag);
    return sub.failed ? NG_SLICE_EMPTY : ng_slice_of(sub.ptr, sub.len);
}

/* True if the next identifier octet is `tag`; never fails the reader. */
static inline bool ng_der_peek_tag(const struct ng_reader *r, uint8_t tag)
{
    return !r->failed && r->len > 0 && r->ptr[0] == tag;
}

/* An OPTIONAL field: if the next TLV carries `tag`, reads it, points *field at its contents and
 * returns true; otherwise consumes nothing and returns false. */
static inline bool ng_der_read_optional(struct ng_reader *r, uint8_t tag, struct ng_reader *field)
{
    if (!ng_der_peek_tag(r, tag)) {
        *field = (struct ng_reader){NULL, 0, r->failed};
        return false;
    }
    *field = ng_der_read_expect(r, tag);
    return !field->failed;
}

/* Closes a sub-reader: fails `parent` unless `child` is error-free and fully consumed, so a
 * constructed value with trailing bytes is rejected. */
static inline void ng_der_finish(struct ng_reader *parent, const struct ng_reader *child)
{
    if (!ng_reader_done(child))
        ng_reader_fail(parent);
}

/* OBJECT IDENTIFIER contents octets (X.690 §8.19): non-empty, every subidentifier minimal
 * (no leading 0x80), the last octet completing a subidentifier. */
bool ng_der_oid_valid(struct ng_slice oid);
struct ng_slice ng_der_read_oid(struct ng_reader *r);

/* A non-negative INTEGER / ENUMERATED that fits in 32 bits, minimally encoded (X.690 §8.3). */
uint32_t ng_der_read_uint(struct ng_reader *r);
uint32_t ng_der_read_enumerated(struct ng_reader *r);

/* A BIT STRING used as a flag set, e.g. RFC 4178 §4.2.1 ContextFlags: bit n of the result is
 * named bit n of the ASN.1 (bit 0 is the first bit on the wire, the MSB of the first octet).
 * Bits past 31 are ignored. Unused trailing bits are masked off rather than rejected, since
 * peers have been seen to leave them set and the flags are advisory. */
uint32_t ng_der_read_bit_string_flags(struct ng_reader *r);

struct ng_slice ng_der_read_octet_string(struct ng_reader *r);
struct ng_slice ng_der_read_general_string(struct ng_reader *r);

/* ---- Sizing ----------------------------------------------------------------------------- */

static inline size_t ng_der_size_add(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

/* Octets the length field takes for `content_len` (1 for short form). Inline, as the two
 * below: an encoder sizes every subtree before writing it. */
static inline size_t ng_der_length_size(size_t content_len)
{
    if (content_len < 0x80)
        return 1;
    size_t n = 1;
    for (size_t v = content_len; v != 0; v >>= 8)
        n++;
    return n;
}

/* Octets a whole TLV takes: identifier + length + contents. */
static inline size_t ng_der_tlv_size(size_t content_len)
{
    return ng_der_size_add(1 + ng_der_length_size(content_len), content_len);
}

/* Contents octets of a minimal INTEGER / ENUMERATED holding v: a leading zero octet when the
 * top bit of the first would be set (X.690 §8.3.2). */
static inline size_t ng_der_uint_content_size(uint32_t v)
{
    size_t n = 1;
    while (n < 5 && (uint64_t)v >= (uint64_t)1 << (8 * n - 1))
        n++;
    return n;
}
/* Contents octets of the minimal named-bit BIT STRING holding `flags`. */
size_t ng_der_bit_string_flags_content_size(uint32_t flags);

/* ---- Writing ---------------------------------------------------------------------------- */

/* ng_der_write_header for any length (the inline one hands it the long form). */
void ng_der_write_header_any(struct ng_writer *w, uint8_t tag, size_t content_len);

/* Identifier and length; the caller writes exactly content_len octets next. A content_len past
 * 4 length octets sets the writer's error to NG_ERR_INVALID_PARAM. Inline for the short form,
 * two octets at once: an AP-REP inside a NegTokenResp writes some thirty headers, nearly all of
 * them below 128. */
static inline void ng_der_write_header(struct ng_writer *w, uint8_t tag, size_t content_len)
{
    uint8_t *at = content_len < 0x80 ? ng_writer_reserve(w, 2) : NULL;
    if (at != NULL) {
        at[0] = tag;
        at[1] = (uint8_t)content_len;
        return;
    }
    if (content_len >= 0x80)
        ng_der_write_header_any(w, tag, content_len);
}

void ng_der_write_tlv(struct ng_writer *w, uint8_t tag, struct ng_slice content);
void ng_der_write_oid(struct ng_writer *w, struct ng_slice oid);
void ng_der_write_uint(struct ng_writer *w, uint32_t v);
void ng_der_write_enumerated(struct ng_writer *w, uint32_t v);
void ng_der_write_bit_string_flags(struct ng_writer *w, uint32_t flags);
void ng_der_write_octet_string(struct ng_writer *w, struct ng_slice s);
void ng_der_write_general_string(struct ng_writer *w, struct ng_slice s);

#endif
