#include "krb5_wrap.h"

#include <string.h>

#include "alloc.h"
#include "krb5_cfx_keys.h"
#include "krb5_rc4.h"
#include "krb5_session.h"
#include "reader.h"

enum {
    TOK_ID_WRAP = 0x0504,
    FLAG_SENT_BY_ACCEPTOR = 0x01,
    FLAG_SEALED = 0x02,
    FLAG_ACCEPTOR_SUBKEY = 0x04,
    HEADER_LEN = 16,
    MAX_PIECES = NG_MAX_SEC_BUFFERS + 1, /* the message's parts, then filler and header */
};

/* RFC 4121 §4.2.6.2 token header. */
struct wrap_header {
    uint8_t flags;
    uint16_t ec, rrc;
    uint64_t seq;
};

/* Where the pieces around the data are when opening a token. */
struct regions {
    uint8_t *confounder; /* sealed only */
    uint8_t *filler_hdr; /* sealed only: EC filler octets, then the encrypted header copy */
    uint8_t *tag;        /* sealed: the trailer; not sealed: the checksum */
};

/* The pieces RFC 4121 §4.2.4 encrypts and MACs after the confounder: the message's parts (sign-only
 * ones MAC'd as they are), then the filler and the header copy. */
struct pieces {
    struct ng_krb5_iov v[MAX_PIECES];
    size_t n;
};

static void pieces_of(struct pieces *p, const struct ng_msg_part *parts, size_t n,
                      uint8_t *filler_hdr, size_t filler_hdr_len)
{
    p->n = 0;
    for (size_t i = 0; i < n; i++)
        p->v[p->n++] =
            (struct ng_krb5_iov){parts[i].ptr, parts[i].len, parts[i].kind != NG_PART_PROTECT};
    p->v[p->n++] = (struct ng_krb5_iov){filler_hdr, filler_hdr_len, false};
}

static void put_header(uint8_t *out, const struct wrap_header *h)
{
    out[0] = TOK_ID_WRAP >> 8;
    out[1] = TOK_ID_WRAP & 0xff;
    out[2] = h->flags;
    out[3] = 0xff;
    out[4] = (uint8_t)(h->ec >> 8);
    out[5] = (uint8_t)h->ec;
    out[6] = (uint8_t)(h->rrc >> 8);
    out[7] = (uint8_t)h->rrc;
    for (int i = 0; i < 8; i++)
        out[8 + i] = (uint8_t)(h->seq >> (56 - 8 * i));
}

static ng_status parse_header(struct ng_slice token, struct wrap_header *h)
{
    struct ng_reader r = ng_reader_of(token);
    uint16_t tok_id = ng_read_be16(&r);
    h->flags = ng_read_u8(&r);
    uint8_t filler = ng_read_u8(&r);
    h->ec = ng_read_be16(&r);
    h->rrc = ng_read_be16(&r);
    uint64_t hi = ng_read_be32(&r), lo = ng_read_be32(&r);
    h->seq = (hi << 32) | lo;
    if (r.failed || tok_id != TOK_ID_WRAP || filler != 0xff)
        return NG_ERR_INVALID_TOKEN;
    return NG_OK;
}

static size_t protected_len(const struct ng_msg *m)
{
    size_t len = 0;
    for (size_t i = 0; i < m->n_parts; i++)
        len += m->parts[i].kind == NG_PART_PROTECT ? m->parts[i].len : 0;
    return len;
}

ng_status ng_krb5_wrap_token_len(const struct ng_krb5_session *s, bool conf, size_t *len)
{
    struct ng_cfx_sizes sz;
    if (ng_krb5_enctype_is_rc4(s->enctype)) { /* the least; a longer message's framing grows */
        *len = ng_krb5_rc4_wrap_header_min();
        return NG_OK;
    }
    NG_GUARD(ng_cfx_sizes(s->enctype, &sz));
    *len = HEADER_LEN + (conf ? HEADER_LEN + sz.trailer + sz.confounder : sz.checksum);
    return NG_OK;
}

/* §4.2.4 with confidentiality: E(confounder | data | header), rotated so that the data's
 * ciphertext is last and stays in the caller's buffers. Every RFC 4121 enctype is a CTS mode
 * (RFC 3962, RFC 8009, RFC 6803): no filler, EC 0. */
static ng_status seal(const struct ng_cfx_keys *keys, struct wrap_header *h,
                      const struct ng_cfx_sizes *sz, struct ng_msg *m)
{
    size_t need = HEADER_LEN + HEADER_LEN + sz->trailer + sz->confounder;
    if (m->token_len < need)
        return NG_ERR_BUFFER_TOO_SMALL;
    h->ec = 0;
    uint8_t *header_copy = m->token + HEADER_LEN, *tag = header_copy + HEADER_LEN;
    put_header(header_copy, h); /* the encrypted copy has RRC 0 */
    h->rrc = (uint16_t)(HEADER_LEN + sz->trailer);
    put_header(m->token, h);
    struct pieces p;
    pieces_of(&p, m->parts, m->n_parts, header_copy, HEADER_LEN);
    NG_GUARD(ng_cfx_seal(keys, tag + sz->trailer, p.v, p.n, tag));
    m->token_len = need;
    return NG_OK;
}

/* §4.2.4 without confidentiality: data | checksum(data | header with EC = RRC = 0), rotated so
 * the checksum follows the header and the data stays where it is. */
static ng_status sign(const struct ng_cfx_keys *keys, struct wrap_header *h,
                      const struct ng_cfx_sizes *sz, struct ng_msg *m)
{
    if (m->token_len < HEADER_LEN + sz->checksum)
        return NG_ERR_BUFFER_TOO_SMALL;
    uint8_t zeroed[HEADER_LEN];
    struct ng_slice parts[NG_MAX_SEC_BUFFERS + 1];
    put_header(zeroed, h);
    size_t n = ng_cfx_checksum_input(parts, m->parts, m->n_parts, zeroed);
    NG_GUARD(ng_cfx_checksum(keys, true, parts, n, m->token + HEADER_LEN));
    h->ec = h->rrc = (uint16_t)sz->checksum;
    put_header(m->token, h);
    m->token_len = HEADER_LEN + sz->checksum;
    return NG_OK;
}

ng_status ng_krb5_wrap(const struct ng_krb5_session *s, const struct ng_cfx_keys *keys,
                       bool by_acceptor, uint64_t seq, struct ng_msg *m)
{
    struct ng_cfx_sizes sz;
    if (m->n_parts > NG_MAX_SEC_BUFFERS)
        return NG_ERR_INVALID_PARAM;
    if (ng_krb5_enctype_is_rc4(s->enctype))
        return ng_krb5_rc4_wrap(s, by_acceptor, seq, m);
    NG_GUARD(ng_cfx_sizes(s->enctype, &sz));
    struct wrap_header h = {
        .flags = (uint8_t)((by_acceptor ? FLAG_SENT_BY_ACCEPTOR : 0) | (m->conf ? FLAG_SEALED : 0) |
                           (s->acceptor_subkey ? FLAG_ACCEPTOR_SUBKEY : 0)),
        .seq = seq,
    };
    return m->conf ? seal(keys, &h, &sz, m) : sign(keys, &h, &sz, m);
}

/* ---- opening ---------------------------------------------------------------------------- */

static ng_status open_sealed(const struct ng_cfx_keys *keys, const struct wrap_header *h,
                             const struct regions *r, const struct ng_msg_part *parts,
                             size_t n_parts)
{
    struct pieces p;
    pieces_of(&p, parts, n_parts, r->filler_hdr, (size_t)h->ec + HEADER_LEN);
    NG_GUARD(ng_cfx_unseal(keys, r->confounder, p.v, p.n, r->tag));
    /* The encrypted copy authenticates the outer header, EC included (a changed EC would
     * otherwise cut the plaintext short); its RRC is not compared, as MIT does not. */
    struct wrap_header inner;
    NG_GUARD(parse_header(ng_slice_of(r->filler_hdr + h->ec, HEADER_LEN), &inner));
    if (inner.flags != h->flags || inner.ec != h->ec || inner.seq != h->seq)
        return NG_ERR_MESSAGE_ALTERED;
    return NG_OK;
}

static ng_status open_signed(const struct ng_cfx_keys *keys, const struct wrap_header *h,
                             const struct regions *r, const struct ng_msg_part *parts,
                             size_t n_parts)
{
    uint8_t zeroed[HEADER_LEN];
    struct ng_slice pieces[NG_MAX_SEC_BUFFERS + 1];
    struct wrap_header z = {.flags = h->flags, .seq = h->seq};
    put_header(zeroed, &z);
    size_t n = ng_cfx_checksum_input(pieces, parts, n_parts, zeroed);
    return ng_cfx_verify(keys, true, pieces, n, r->tag);
}

/* Everything one unwrap needs besides the message. */
struct opening {
    const struct ng_cfx_keys *keys;
    struct wrap_header h;
    struct ng_cfx_sizes sz;
    bool sealed;
    size_t overhead; /* body octets that are not data */
};

static ng_status open_token(const struct opening *o, const struct regions *r,
                            const struct ng_msg_part *parts, size_t n_parts)
{
    if (o->sealed)
        return open_sealed(o->keys, &o->h, r, parts, n_parts);
    return open_signed(o->keys, &o->h, r, parts, n_parts);
}

static void reverse(uint8_t *p, size_t n)
{
    for (size_t i = 0, j = n; i + 1 < j; i++, j--) {
        uint8_t t = p[i];
        p[i] = p[j - 1];
        p[j - 1] = t;
    }
}

/* Undoes the sender's right rotation (RFC 4121 §4.2.5), in place. */
static void rotate_left(uint8_t *p, size_t n, size_t r)
{
    if (n == 0 || (r %= n) == 0)
        return;
    reverse(p, r);
    reverse(p + r, n - r);
    reverse(p, n);
}

/* A body with RRC 0 in one piece: confounder | data | filler | header | trailer, or
 * data | checksum; `data_len` octets of data. */
static struct regions contiguous_regions(const struct opening *o, uint8_t *body, size_t data_len)
{
    if (!o->sealed)
        return (struct regions){NULL, NULL, body + data_len};
    uint8_t *filler = body + o->sz.confounder + data_len;
    return (struct regions){body, filler, filler + o->h.ec + HEADER_LEN};
}

/* SECBUFFER_STREAM: the whole token in one writable buffer; the data part is pointed at the
 * plaintext inside it. */
static ng_status unwrap_stream(const struct opening *o, struct ng_msg *m)
{
    uint8_t *body = m->token + HEADER_LEN;
    size_t body_len = m->token_len - HEADER_LEN;
    if (body_len < o->overhead)
        return NG_ERR_INVALID_TOKEN;
    rotate_left(body, body_len, o->h.rrc);
    size_t data_len = body_len - o->overhead;
    for (size_t i = 0; i < m->n_parts; i++) {
        if (m->parts[i].kind == NG_PART_PROTECT && m->parts[i].ptr == NULL) {
            m->parts[i].ptr = body + (o->sealed ? o->sz.confounder : 0);
            m->parts[i].len = data_len;
        }
    }
    struct regions r = contiguous_regions(o, body, data_len);
    return open_token(o, &r, m->parts, m->n_parts);
}

/* TOKEN + DATA whose rotation does not leave the data's octets in the DATA buffers (MIT's
 * gss_wrap uses RRC 0): the body is put together in scratch memory, opened there and the
 * plaintext copied back. */
static ng_status unwrap_gathered(const struct opening *o, struct ng_msg *m, size_t data_len)
{
    size_t token_body = m->token_len - HEADER_LEN, body_len = token_body + data_len;
    uint8_t *body = ng_alloc(body_len);
    struct ng_msg_part parts[NG_MAX_SEC_BUFFERS];
    if (body == NULL)
        return NG_ERR_NOMEM;
    memcpy(body, m->token + HEADER_LEN, token_body);
    size_t at = token_body, data_at = o->sealed ? o->sz.confounder : 0;
    for (size_t i = 0; i < m->n_parts; i++) {
        parts[i] = m->parts[i];
        if (parts[i].kind != NG_PART_PROTECT)
            continue;
        if (parts[i].len > 0)
            memcpy(body + at, parts[i].ptr, parts[i].len);
        at += parts[i].len;
    }
    rotate_left(body, body_len, o->h.rrc);
    for (size_t i = 0; i < m->n_parts; i++) {
        if (parts[i].kind == NG_PART_PROTECT) {
            parts[i].ptr = body + data_at;
            data_at += parts[i].len;
        }
    }
    struct regions r = contiguous_regions(o, body, data_len);
    ng_status status = open_token(o, &r, parts, m->n_parts);
    for (size_t i = 0; status == NG_OK && i < m->n_parts; i++) {
        if (parts[i].kind == NG_PART_PROTECT && parts[i].len > 0)
            memcpy(m->parts[i].ptr, parts[i].ptr, parts[i].len);
    }
    ng_free_secret(body, body_len);
    return status;
}

/* TOKEN + DATA: the token holds exactly what is not data. */
static ng_status unwrap_split(const struct opening *o, struct ng_msg *m)
{
    size_t data_len = protected_len(m), token_body = m->token_len - HEADER_LEN;
    if (token_body != o->overhead)
        return NG_ERR_INVALID_TOKEN;
    size_t in_token = o->overhead - (o->sealed ? o->sz.confounder : 0);
    if (o->h.rrc % (token_body + data_len) != in_token)
        return unwrap_gathered(o, m, data_len);
    uint8_t *body = m->token + HEADER_LEN;
    struct regions r = {NULL, NULL, body};
    if (o->sealed)
        r = (struct regions){body + in_token, body, body + o->h.ec + HEADER_LEN};
    return open_token(o, &r, m->parts, m->n_parts);
}

ng_status ng_krb5_unwrap(const struct ng_krb5_session *s, const struct ng_cfx_keys *keys,
                         bool from_acceptor, struct ng_msg *m, uint64_t *seq)
{
    struct opening o = {.keys = keys};
    if (m->n_parts > NG_MAX_SEC_BUFFERS)
        return NG_ERR_INVALID_PARAM;
    if (ng_krb5_enctype_is_rc4(s->enctype))
        return ng_krb5_rc4_unwrap(s, from_acceptor, m, seq);
    NG_GUARD(parse_header(ng_slice_of(m->token, m->token_len), &o.h));
    if (((o.h.flags & FLAG_SENT_BY_ACCEPTOR) != 0) != from_acceptor)
        return NG_ERR_MESSAGE_ALTERED; /* a reflected token */
    if (((o.h.flags & FLAG_ACCEPTOR_SUBKEY) != 0) != s->acceptor_subkey)
        return NG_ERR_MESSAGE_ALTERED;
    NG_GUARD(ng_cfx_sizes(s->enctype, &o.sz));
    o.sealed = (o.h.flags & FLAG_SEALED) != 0;
    if (!o.sealed && o.h.ec != o.sz.checksum)
        return NG_ERR_INVALID_TOKEN; /* §4.2.4: EC is the checksum length */
    o.overhead = o.sealed ? o.sz.confounder + o.h.ec + HEADER_LEN + o.sz.trailer : o.sz.checksum;
    m->conf = o.sealed;
    *seq = o.h.seq;
    return m->stream ? unwrap_stream(&o, m) : unwrap_split(&o, m);
}
