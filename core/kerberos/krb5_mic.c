#include "krb5_mic.h"

#include <string.h>

#include "krb5_rc4.h"
#include "krb5_session.h"
#include "reader.h"

enum {
    TOK_ID_MIC = 0x0404,
    FLAG_SENT_BY_ACCEPTOR = 0x01,
    FLAG_ACCEPTOR_SUBKEY = 0x04,
    HEADER_LEN = 16,
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

ng_status ng_krb5_mic_len(const struct ng_krb5_session *s, size_t *len)
{
    struct ng_cfx_sizes sz;
    if (ng_krb5_enctype_is_rc4(s->enctype)) {
        *len = ng_krb5_rc4_mic_len();
        return NG_OK;
    }
    NG_GUARD(ng_cfx_sizes(s->enctype, &sz));
    *len = HEADER_LEN + sz.checksum;
    return NG_OK;
}

ng_status ng_krb5_mic_make(const struct ng_krb5_session *s, const struct ng_cfx_keys *keys,
                           bool by_acceptor, uint64_t seq, const struct ng_msg_part *parts,
                           size_t n_parts, uint8_t *out, size_t *out_len)
{
    struct ng_cfx_sizes sz;
    struct ng_slice pieces[NG_MAX_SEC_BUFFERS + 1];
    if (n_parts > NG_MAX_SEC_BUFFERS)
        return NG_ERR_INVALID_PARAM;
    if (ng_krb5_enctype_is_rc4(s->enctype))
        return ng_krb5_rc4_mic_make(s, by_acceptor, seq, parts, n_parts, out, out_len);
    NG_GUARD(ng_cfx_sizes(s->enctype, &sz));
    if (*out_len < HEADER_LEN + sz.checksum)
        return NG_ERR_BUFFER_TOO_SMALL;
    build_header(out, by_acceptor, s->acceptor_subkey, seq);
    size_t n = ng_cfx_checksum_input(pieces, parts, n_parts, out);
    NG_GUARD(ng_cfx_checksum(keys, false, pieces, n, out + HEADER_LEN));
    *out_len = HEADER_LEN + sz.checksum;
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

ng_status ng_krb5_mic_check(const struct ng_krb5_session *s, const struct ng_cfx_keys *keys,
                            bool from_acceptor, const struct ng_msg_part *parts, size_t n_parts,
                            struct ng_slice token, uint64_t *seq)
{
    struct ng_cfx_sizes sz;
    struct ng_slice sum, pieces[NG_MAX_SEC_BUFFERS + 1];
    if (n_parts > NG_MAX_SEC_BUFFERS)
        return NG_ERR_INVALID_PARAM;
    if (ng_krb5_enctype_is_rc4(s->enctype))
        return ng_krb5_rc4_mic_check(s, from_acceptor, parts, n_parts, token, seq);
    NG_GUARD(ng_cfx_sizes(s->enctype, &sz));
    NG_GUARD(parse_mic(token, from_acceptor, s->acceptor_subkey, seq, &sum));
    if (sum.len != sz.checksum)
        return NG_ERR_MESSAGE_ALTERED;
    size_t n = ng_cfx_checksum_input(pieces, parts, n_parts, token.ptr);
    return ng_cfx_verify(keys, false, pieces, n, sum.ptr);
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
    struct ng_cfx_keys keys;
    NG_GUARD(ng_cfx_keys_make(s, by_acceptor, &keys));
    ng_status status = ng_krb5_mic_make(s, &keys, by_acceptor, s->send_seq, &part, 1, dst, &len);
    ng_cfx_keys_free(&keys);
    if (status == NG_OK)
        s->send_seq++;
    return status;
}

ng_status ng_krb5_verify_mic(struct ng_krb5_session *s, bool from_acceptor, struct ng_slice message,
                             struct ng_slice token)
{
    uint64_t seq;
    struct ng_msg_part part = {(uint8_t *)message.ptr, message.len, NG_PART_PROTECT};
    struct ng_cfx_keys keys;
    NG_GUARD(ng_cfx_keys_make(s, from_acceptor, &keys));
    ng_status status = ng_krb5_mic_check(s, &keys, from_acceptor, &part, 1, token, &seq);
    ng_cfx_keys_free(&keys);
    NG_GUARD(status);
    if (seq != s->recv_seq)
        return NG_ERR_OUT_OF_SEQUENCE;
    s->recv_seq++;
    s->recv_seen = (s->recv_seen << 1) | 1;
    return NG_OK;
}
