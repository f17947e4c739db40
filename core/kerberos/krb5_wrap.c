#include "krb5_wrap.h"

#include <string.h>

#include "alloc.h"
#include "krb5_rc4.h"
#include "krb5_session.h"
#include "krb5_thread.h"
#include "reader.h"

enum {
    TOK_ID_WRAP = 0x0504,
    FLAG_SENT_BY_ACCEPTOR = 0x01,
    FLAG_SEALED = 0x02,
    FLAG_ACCEPTOR_SUBKEY = 0x04,
    HEADER_LEN = 16,
    USAGE_ACCEPTOR_SEAL = 22, /* RFC 4121 §2: Wrap tokens use the SEAL usages, sealed or not */
    USAGE_INITIATOR_SEAL = 24,
    MAX_IOV = NG_MAX_SEC_BUFFERS + 3,
};

/* RFC 4121 §4.2.6.2 token header. */
struct wrap_header {
    uint8_t flags;
    uint16_t ec, rrc;
    uint64_t seq;
};

/* What the session's enctype (RFC 3961 profile) adds around the data. */
struct wrap_sizes {
    size_t confounder; /* KRB5_CRYPTO_TYPE_HEADER, encrypted before the data */
    size_t trailer;    /* KRB5_CRYPTO_TYPE_TRAILER: the integrity tag of the ciphertext */
    size_t checksum;   /* KRB5_CRYPTO_TYPE_CHECKSUM: the tag without confidentiality */
};

/* Where the pieces around the data are when opening a token. */
struct regions {
    uint8_t *confounder; /* sealed only */
    uint8_t *filler_hdr; /* sealed only: EC filler octets, then the encrypted header copy */
    uint8_t *tag;        /* sealed: the trailer; not sealed: the checksum */
};

struct iov_list {
    krb5_crypto_iov v[MAX_IOV];
    size_t n;
};

static void iov_add(struct iov_list *l, krb5_cryptotype type, uint8_t *p, size_t len)
{
    l->v[l->n].flags = type;
    l->v[l->n++].data = (krb5_data){KV5M_DATA, (unsigned int)len, (char *)p};
}

/* The message parts in order: encrypted data or signed-only data. */
static void iov_add_parts(struct iov_list *l, const struct ng_msg_part *parts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        iov_add(l,
                parts[i].kind == NG_PART_PROTECT ? KRB5_CRYPTO_TYPE_DATA
                                                 : KRB5_CRYPTO_TYPE_SIGN_ONLY,
                parts[i].ptr, parts[i].len);
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

static ng_status wrap_sizes(krb5_context kctx, krb5_enctype enctype, struct wrap_sizes *sz)
{
    unsigned int confounder = 0, trailer = 0, checksum = 0;
    if (!ng_krb5_enctype_is_cfx(enctype))
        return NG_ERR_UNSUPPORTED;
    krb5_error_code code =
        krb5_c_crypto_length(kctx, enctype, KRB5_CRYPTO_TYPE_HEADER, &confounder);
    if (code == 0)
        code = krb5_c_crypto_length(kctx, enctype, KRB5_CRYPTO_TYPE_TRAILER, &trailer);
    if (code == 0)
        code = krb5_c_crypto_length(kctx, enctype, KRB5_CRYPTO_TYPE_CHECKSUM, &checksum);
    *sz = (struct wrap_sizes){confounder, trailer, checksum};
    return ng_krb5_status(code);
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
    krb5_context kctx;
    struct wrap_sizes sz;
    if (ng_krb5_enctype_is_rc4(s->enctype)) { /* the least; a longer message's framing grows */
        *len = ng_krb5_rc4_wrap_header_min();
        return NG_OK;
    }
    NG_GUARD(ng_krb5_thread_context(&kctx));
    NG_GUARD(wrap_sizes(kctx, s->enctype, &sz));
    *len = HEADER_LEN + (conf ? HEADER_LEN + sz.trailer + sz.confounder : sz.checksum);
    return NG_OK;
}

/* §4.2.4 with confidentiality: E(confounder | data | filler | header), rotated so that the
 * data's ciphertext is last and stays in the caller's buffers. */
static ng_status seal(krb5_context kctx, const struct ng_krb5_session *s, krb5_key key,
                      krb5_keyusage usage, struct wrap_header *h, const struct wrap_sizes *sz,
                      struct ng_msg *m)
{
    unsigned int pad = 0;
    NG_GUARD(ng_krb5_status(
        krb5_c_padding_length(kctx, s->enctype, protected_len(m) + HEADER_LEN, &pad)));
    size_t need = HEADER_LEN + pad + HEADER_LEN + sz->trailer + sz->confounder;
    if (pad > 0xffff || need - HEADER_LEN > 0xffff)
        return NG_ERR_INTERNAL;
    if (m->token_len < need)
        return NG_ERR_BUFFER_TOO_SMALL;
    h->ec = (uint16_t)pad;
    uint8_t *filler = m->token + HEADER_LEN, *tag = filler + pad + HEADER_LEN;
    memset(filler, 0xff, pad);
    put_header(filler + pad, h); /* the encrypted copy has RRC 0 */
    h->rrc = (uint16_t)(pad + HEADER_LEN + sz->trailer);
    put_header(m->token, h);
    struct iov_list l = {.n = 0};
    iov_add(&l, KRB5_CRYPTO_TYPE_HEADER, tag + sz->trailer, sz->confounder);
    iov_add_parts(&l, m->parts, m->n_parts);
    iov_add(&l, KRB5_CRYPTO_TYPE_DATA, filler, pad + HEADER_LEN);
    iov_add(&l, KRB5_CRYPTO_TYPE_TRAILER, tag, sz->trailer);
    NG_GUARD(ng_krb5_status(krb5_k_encrypt_iov(kctx, key, usage, NULL, l.v, l.n)));
    m->token_len = need;
    return NG_OK;
}

/* §4.2.4 without confidentiality: data | checksum(data | header with EC = RRC = 0), rotated so
 * the checksum follows the header and the data stays where it is. */
static ng_status sign(krb5_context kctx, krb5_key key, krb5_keyusage usage, struct wrap_header *h,
                      const struct wrap_sizes *sz, struct ng_msg *m)
{
    if (m->token_len < HEADER_LEN + sz->checksum)
        return NG_ERR_BUFFER_TOO_SMALL;
    uint8_t zeroed[HEADER_LEN];
    put_header(zeroed, h);
    struct iov_list l = {.n = 0};
    iov_add_parts(&l, m->parts, m->n_parts);
    iov_add(&l, KRB5_CRYPTO_TYPE_DATA, zeroed, HEADER_LEN);
    iov_add(&l, KRB5_CRYPTO_TYPE_CHECKSUM, m->token + HEADER_LEN, sz->checksum);
    NG_GUARD(ng_krb5_status(krb5_k_make_checksum_iov(kctx, 0, key, usage, l.v, l.n)));
    h->ec = h->rrc = (uint16_t)sz->checksum;
    put_header(m->token, h);
    m->token_len = HEADER_LEN + sz->checksum;
    return NG_OK;
}

ng_status ng_krb5_wrap(const struct ng_krb5_session *s, krb5_key key, bool by_acceptor,
                       uint64_t seq, struct ng_msg *m)
{
    krb5_context kctx;
    struct wrap_sizes sz;
    if (m->n_parts > NG_MAX_SEC_BUFFERS)
        return NG_ERR_INVALID_PARAM;
    if (ng_krb5_enctype_is_rc4(s->enctype))
        return ng_krb5_rc4_wrap(s, by_acceptor, seq, m);
    NG_GUARD(ng_krb5_thread_context(&kctx));
    NG_GUARD(wrap_sizes(kctx, s->enctype, &sz));
    struct wrap_header h = {
        .flags = (uint8_t)((by_acceptor ? FLAG_SENT_BY_ACCEPTOR : 0) | (m->conf ? FLAG_SEALED : 0) |
                           (s->acceptor_subkey ? FLAG_ACCEPTOR_SUBKEY : 0)),
        .seq = seq,
    };
    krb5_keyusage usage = by_acceptor ? USAGE_ACCEPTOR_SEAL : USAGE_INITIATOR_SEAL;
    return m->conf ? seal(kctx, s, key, usage, &h, &sz, m) : sign(kctx, key, usage, &h, &sz, m);
}

/* ---- opening ---------------------------------------------------------------------------- */

static ng_status open_sealed(krb5_context kctx, krb5_key key, krb5_keyusage usage,
                             const struct wrap_header *h, const struct wrap_sizes *sz,
                             const struct regions *r, const struct ng_msg_part *parts,
                             size_t n_parts)
{
    struct iov_list l = {.n = 0};
    iov_add(&l, KRB5_CRYPTO_TYPE_HEADER, r->confounder, sz->confounder);
    iov_add_parts(&l, parts, n_parts);
    iov_add(&l, KRB5_CRYPTO_TYPE_DATA, r->filler_hdr, (size_t)h->ec + HEADER_LEN);
    iov_add(&l, KRB5_CRYPTO_TYPE_TRAILER, r->tag, sz->trailer);
    krb5_error_code code = krb5_k_decrypt_iov(kctx, key, usage, NULL, l.v, l.n);
    if (code == KRB5KRB_AP_ERR_BAD_INTEGRITY)
        return NG_ERR_MESSAGE_ALTERED;
    NG_GUARD(ng_krb5_status(code));
    /* The encrypted copy authenticates the outer header, EC included (a changed EC would
     * otherwise cut the plaintext short); its RRC is not compared, as MIT does not. */
    struct wrap_header inner;
    NG_GUARD(parse_header(ng_slice_of(r->filler_hdr + h->ec, HEADER_LEN), &inner));
    if (inner.flags != h->flags || inner.ec != h->ec || inner.seq != h->seq)
        return NG_ERR_MESSAGE_ALTERED;
    return NG_OK;
}

static ng_status open_signed(krb5_context kctx, krb5_key key, krb5_keyusage usage,
                             const struct wrap_header *h, const struct wrap_sizes *sz,
                             const struct regions *r, const struct ng_msg_part *parts,
                             size_t n_parts)
{
    uint8_t zeroed[HEADER_LEN];
    struct wrap_header z = {.flags = h->flags, .seq = h->seq};
    put_header(zeroed, &z);
    struct iov_list l = {.n = 0};
    iov_add_parts(&l, parts, n_parts);
    iov_add(&l, KRB5_CRYPTO_TYPE_DATA, zeroed, HEADER_LEN);
    iov_add(&l, KRB5_CRYPTO_TYPE_CHECKSUM, r->tag, sz->checksum);
    krb5_boolean valid = FALSE;
    NG_GUARD(ng_krb5_status(krb5_k_verify_checksum_iov(kctx, 0, key, usage, l.v, l.n, &valid)));
    return valid ? NG_OK : NG_ERR_MESSAGE_ALTERED;
}

/* Everything one unwrap needs besides the message. */
struct opening {
    krb5_context kctx;
    krb5_key key;
    krb5_keyusage usage;
    struct wrap_header h;
    struct wrap_sizes sz;
    bool sealed;
    size_t overhead; /* body octets that are not data */
};

static ng_status open_token(const struct opening *o, const struct regions *r,
                            const struct ng_msg_part *parts, size_t n_parts)
{
    if (o->sealed)
        return open_sealed(o->kctx, o->key, o->usage, &o->h, &o->sz, r, parts, n_parts);
    return open_signed(o->kctx, o->key, o->usage, &o->h, &o->sz, r, parts, n_parts);
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

ng_status ng_krb5_unwrap(const struct ng_krb5_session *s, krb5_key key, bool from_acceptor,
                         struct ng_msg *m, uint64_t *seq)
{
    struct opening o = {.key = key};
    if (m->n_parts > NG_MAX_SEC_BUFFERS)
        return NG_ERR_INVALID_PARAM;
    if (ng_krb5_enctype_is_rc4(s->enctype))
        return ng_krb5_rc4_unwrap(s, from_acceptor, m, seq);
    NG_GUARD(parse_header(ng_slice_of(m->token, m->token_len), &o.h));
    if (((o.h.flags & FLAG_SENT_BY_ACCEPTOR) != 0) != from_acceptor)
        return NG_ERR_MESSAGE_ALTERED; /* a reflected token */
    if (((o.h.flags & FLAG_ACCEPTOR_SUBKEY) != 0) != s->acceptor_subkey)
        return NG_ERR_MESSAGE_ALTERED;
    NG_GUARD(ng_krb5_thread_context(&o.kctx));
    NG_GUARD(wrap_sizes(o.kctx, s->enctype, &o.sz));
    o.usage = from_acceptor ? USAGE_ACCEPTOR_SEAL : USAGE_INITIATOR_SEAL;
    o.sealed = (o.h.flags & FLAG_SEALED) != 0;
    if (!o.sealed && o.h.ec != o.sz.checksum)
        return NG_ERR_INVALID_TOKEN; /* §4.2.4: EC is the checksum length */
    o.overhead = o.sealed ? o.sz.confounder + o.h.ec + HEADER_LEN + o.sz.trailer : o.sz.checksum;
    m->conf = o.sealed;
    *seq = o.h.seq;
    return m->stream ? unwrap_stream(&o, m) : unwrap_split(&o, m);
}
