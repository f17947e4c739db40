#include "krb5_mic.h"

#include <string.h>

#include "krb5_rc4.h"
#include "krb5_session.h"
#include "krb5_thread.h"
#include "reader.h"

enum {
    TOK_ID_MIC = 0x0404,
    FLAG_SENT_BY_ACCEPTOR = 0x01,
    FLAG_ACCEPTOR_SUBKEY = 0x04,
    HEADER_LEN = 16,
    USAGE_ACCEPTOR_SIGN = 23, /* RFC 4121 §2 key usage numbers */
    USAGE_INITIATOR_SIGN = 25,
};

/* RFC 4121 §4.2.6.1: TOK_ID, flags, five 0xFF filler octets, SND_SEQ. */
static void build_header(uint8_t header[HEADER_LEN], bool by_acceptor, bool acceptor_subkey,
                         uint64_t seq)
{
    header[0] = TOK_ID_MIC >> 8;
    header[1] = TOK_ID_MIC & 0xff;
    header[2] = (uint8_t)((by_acceptor ? FLAG_SENT_BY_ACCEPTOR : 0) |
                          (acceptor_subkey ? FLAG_ACCEPTOR_SUBKEY : 0));
    memset(header + 3, 0xff, 5);
    for (int i = 0; i < 8; i++)
        header[8 + i] = (uint8_t)(seq >> (56 - 8 * i));
}

ng_status ng_krb5_session_key(const struct ng_krb5_session *s, krb5_key *out)
{
    krb5_context kctx;
    krb5_keyblock block = {KV5M_KEYBLOCK, s->enctype, (unsigned int)s->key_len,
                           (krb5_octet *)s->key};
    NG_GUARD(ng_krb5_thread_context(&kctx));
    return ng_krb5_status(krb5_k_create_key(kctx, &block, out));
}

static ng_status checksum_len(krb5_context kctx, const struct ng_krb5_session *s, size_t *len)
{
    unsigned int n = 0;
    if (!ng_krb5_enctype_is_cfx(s->enctype))
        return NG_ERR_UNSUPPORTED;
    NG_GUARD(ng_krb5_status(krb5_c_crypto_length(kctx, s->enctype, KRB5_CRYPTO_TYPE_CHECKSUM, &n)));
    *len = n;
    return NG_OK;
}

ng_status ng_krb5_mic_len(const struct ng_krb5_session *s, size_t *len)
{
    krb5_context kctx;
    if (ng_krb5_enctype_is_rc4(s->enctype)) {
        *len = ng_krb5_rc4_mic_len();
        return NG_OK;
    }
    NG_GUARD(ng_krb5_thread_context(&kctx));
    NG_GUARD(checksum_len(kctx, s, len));
    *len += HEADER_LEN;
    return NG_OK;
}

/* The checksum covers the message followed by the token header (RFC 4121 §4.2.4): one iov per
 * part, the header, then the checksum itself. `iov` has room for n_parts + 2. */
static size_t mic_iov(krb5_crypto_iov *iov, const struct ng_msg_part *parts, size_t n_parts,
                      const uint8_t *header, uint8_t *checksum, size_t cksum_len)
{
    size_t n = 0;
    for (size_t i = 0; i < n_parts; i++) {
        iov[n].flags = KRB5_CRYPTO_TYPE_DATA;
        iov[n++].data = (krb5_data){KV5M_DATA, (unsigned int)parts[i].len, (char *)parts[i].ptr};
    }
    iov[n].flags = KRB5_CRYPTO_TYPE_DATA;
    iov[n++].data = (krb5_data){KV5M_DATA, HEADER_LEN, (char *)header};
    iov[n].flags = KRB5_CRYPTO_TYPE_CHECKSUM;
    iov[n++].data = (krb5_data){KV5M_DATA, (unsigned int)cksum_len, (char *)checksum};
    return n;
}

ng_status ng_krb5_mic_make(const struct ng_krb5_session *s, krb5_key key, bool by_acceptor,
                           uint64_t seq, const struct ng_msg_part *parts, size_t n_parts,
                           uint8_t *out, size_t *out_len)
{
    krb5_context kctx;
    size_t cksum_len;
    krb5_crypto_iov iov[NG_MAX_SEC_BUFFERS + 2];
    if (n_parts > NG_MAX_SEC_BUFFERS)
        return NG_ERR_INVALID_PARAM;
    if (ng_krb5_enctype_is_rc4(s->enctype))
        return ng_krb5_rc4_mic_make(s, by_acceptor, seq, parts, n_parts, out, out_len);
    NG_GUARD(ng_krb5_thread_context(&kctx));
    NG_GUARD(checksum_len(kctx, s, &cksum_len));
    if (*out_len < HEADER_LEN + cksum_len)
        return NG_ERR_BUFFER_TOO_SMALL;
    build_header(out, by_acceptor, s->acceptor_subkey, seq);
    size_t n = mic_iov(iov, parts, n_parts, out, out + HEADER_LEN, cksum_len);
    krb5_error_code code = krb5_k_make_checksum_iov(
        kctx, 0, key, by_acceptor ? USAGE_ACCEPTOR_SIGN : USAGE_INITIATOR_SIGN, iov, n);
    if (code != 0)
        return ng_krb5_status(code);
    *out_len = HEADER_LEN + cksum_len;
    return NG_OK;
}

static ng_status parse_mic(struct ng_slice token, bool from_acceptor, bool acceptor_subkey,
                           uint64_t *seq, struct ng_slice *checksum)
{
    struct ng_reader r = ng_reader_of(token);
    uint16_t tok_id = ng_read_be16(&r);
    uint8_t flags = ng_read_u8(&r);
    struct ng_slice filler = ng_read_slice(&r, 5);
    uint64_t hi = ng_read_be32(&r), lo = ng_read_be32(&r);
    *checksum = ng_read_rest(&r);
    if (r.failed || tok_id != TOK_ID_MIC || checksum->len == 0)
        return NG_ERR_INVALID_TOKEN;
    static const uint8_t ff[5] = {0xff, 0xff, 0xff, 0xff, 0xff};
    if (memcmp(filler.ptr, ff, 5) != 0)
        return NG_ERR_INVALID_TOKEN;
    if (((flags & FLAG_SENT_BY_ACCEPTOR) != 0) != from_acceptor)
        return NG_ERR_MESSAGE_ALTERED; /* a reflected token */
    if (((flags & FLAG_ACCEPTOR_SUBKEY) != 0) != acceptor_subkey)
        return NG_ERR_MESSAGE_ALTERED;
    *seq = (hi << 32) | lo;
    return NG_OK;
}

ng_status ng_krb5_mic_check(const struct ng_krb5_session *s, krb5_key key, bool from_acceptor,
                            const struct ng_msg_part *parts, size_t n_parts, struct ng_slice token,
                            uint64_t *seq)
{
    krb5_context kctx;
    size_t cksum_len;
    struct ng_slice sum;
    krb5_crypto_iov iov[NG_MAX_SEC_BUFFERS + 2];
    if (n_parts > NG_MAX_SEC_BUFFERS)
        return NG_ERR_INVALID_PARAM;
    if (ng_krb5_enctype_is_rc4(s->enctype))
        return ng_krb5_rc4_mic_check(s, from_acceptor, parts, n_parts, token, seq);
    NG_GUARD(ng_krb5_thread_context(&kctx));
    NG_GUARD(checksum_len(kctx, s, &cksum_len));
    NG_GUARD(parse_mic(token, from_acceptor, s->acceptor_subkey, seq, &sum));
    if (sum.len != cksum_len)
        return NG_ERR_MESSAGE_ALTERED;
    size_t n = mic_iov(iov, parts, n_parts, token.ptr, (uint8_t *)sum.ptr, sum.len);
    krb5_boolean valid = FALSE;
    krb5_error_code code = krb5_k_verify_checksum_iov(
        kctx, 0, key, from_acceptor ? USAGE_ACCEPTOR_SIGN : USAGE_INITIATOR_SIGN, iov, n, &valid);
    if (code != 0)
        return ng_krb5_status(code);
    return valid ? NG_OK : NG_ERR_MESSAGE_ALTERED;
}

static void free_key(krb5_key key)
{
    krb5_context kctx;
    if (ng_krb5_thread_context(&kctx) == NG_OK)
        krb5_k_free_key(kctx, key);
}

ng_status ng_krb5_get_mic(struct ng_krb5_session *s, bool by_acceptor, struct ng_slice message,
                          struct ng_writer *out)
{
    size_t len;
    NG_GUARD(ng_krb5_mic_len(s, &len));
    uint8_t *dst = ng_writer_reserve(out, len);
    if (dst == NULL)
        return ng_writer_status(out);
    struct ng_msg_part part = {(uint8_t *)message.ptr, message.len, NG_PART_PROTECT};
    krb5_key key;
    NG_GUARD(ng_krb5_session_key(s, &key));
    ng_status status = ng_krb5_mic_make(s, key, by_acceptor, s->send_seq, &part, 1, dst, &len);
    free_key(key);
    if (status == NG_OK)
        s->send_seq++;
    return status;
}

ng_status ng_krb5_verify_mic(struct ng_krb5_session *s, bool from_acceptor, struct ng_slice message,
                             struct ng_slice token)
{
    uint64_t seq;
    struct ng_msg_part part = {(uint8_t *)message.ptr, message.len, NG_PART_PROTECT};
    krb5_key key;
    NG_GUARD(ng_krb5_session_key(s, &key));
    ng_status status = ng_krb5_mic_check(s, key, from_acceptor, &part, 1, token, &seq);
    free_key(key);
    NG_GUARD(status);
    if (seq != s->recv_seq)
        return NG_ERR_OUT_OF_SEQUENCE;
    s->recv_seq++;
    s->recv_seen = (s->recv_seen << 1) | 1;
    return NG_OK;
}
