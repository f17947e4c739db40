#include "krb5_mic.h"

#include <stdlib.h>
#include <string.h>

#include "krb5_session.h"
#include "krb5_thread.h"
#include "alloc.h"
#include "constant_time.h"
#include "reader.h"

enum {
    TOK_ID_MIC = 0x0404,
    FLAG_SENT_BY_ACCEPTOR = 0x01,
    FLAG_ACCEPTOR_SUBKEY = 0x04,
    HEADER_LEN = 16,
    USAGE_ACCEPTOR_SIGN = 23,
    USAGE_INITIATOR_SIGN = 25,
};

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

/* The checksum covers the message followed by the token header (RFC 4121 §4.2.4). */
static ng_status checksum_input(struct ng_slice message, const uint8_t header[HEADER_LEN],
                                krb5_data *input)
{
    size_t len = message.len + HEADER_LEN;
    char *buf = ng_alloc(len);
    if (buf == NULL)
        return NG_ERR_NOMEM;
    if (message.len > 0)
        memcpy(buf, message.ptr, message.len);
    memcpy(buf + message.len, header, HEADER_LEN);
    *input = (krb5_data){KV5M_DATA, (unsigned int)len, buf};
    return NG_OK;
}

static krb5_keyblock session_key(struct ng_krb5_session *s)
{
    return (krb5_keyblock){KV5M_KEYBLOCK, s->enctype, (unsigned int)s->key_len, s->key};
}

ng_status ng_krb5_get_mic(struct ng_krb5_session *s, bool by_acceptor, struct ng_slice message,
                          struct ng_writer *out)
{
    if (!ng_krb5_enctype_is_cfx(s->enctype))
        return NG_ERR_UNSUPPORTED;
    krb5_context kctx;
    NG_GUARD(ng_krb5_thread_context(&kctx));
    uint8_t header[HEADER_LEN];
    build_header(header, by_acceptor, s->acceptor_subkey, s->send_seq);
    krb5_data input;
    NG_GUARD(checksum_input(message, header, &input));
    krb5_keyblock key = session_key(s);
    krb5_checksum cksum = {0};
    krb5_error_code code = krb5_c_make_checksum(
        kctx, 0, &key, by_acceptor ? USAGE_ACCEPTOR_SIGN : USAGE_INITIATOR_SIGN, &input, &cksum);
    ng_free(input.data);
    if (code != 0)
        return ng_krb5_status(code);
    ng_write_bytes(out, header, HEADER_LEN);
    ng_write_bytes(out, cksum.contents, cksum.length);
    krb5_free_checksum_contents(kctx, &cksum);
    s->send_seq++;
    return ng_writer_status(out);
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

ng_status ng_krb5_verify_mic(struct ng_krb5_session *s, bool from_acceptor, struct ng_slice message,
                             struct ng_slice token)
{
    if (!ng_krb5_enctype_is_cfx(s->enctype))
        return NG_ERR_UNSUPPORTED;
    uint64_t seq;
    struct ng_slice sum;
    NG_GUARD(parse_mic(token, from_acceptor, s->acceptor_subkey, &seq, &sum));
    krb5_context kctx;
    NG_GUARD(ng_krb5_thread_context(&kctx));
    krb5_data input;
    NG_GUARD(checksum_input(message, token.ptr, &input));
    krb5_keyblock key = session_key(s);
    krb5_checksum expected = {0};
    krb5_error_code code = krb5_c_make_checksum(
        kctx, 0, &key, from_acceptor ? USAGE_ACCEPTOR_SIGN : USAGE_INITIATOR_SIGN, &input,
        &expected);
    ng_free(input.data);
    if (code != 0)
        return ng_krb5_status(code);
    bool valid = expected.length == sum.len && ng_ct_equal(expected.contents, sum.ptr, sum.len);
    krb5_free_checksum_contents(kctx, &expected);
    if (!valid)
        return NG_ERR_MESSAGE_ALTERED;
    if (seq != s->recv_seq)
        return NG_ERR_OUT_OF_SEQUENCE;
    s->recv_seq++;
    return NG_OK;
}
