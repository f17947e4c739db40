#include "krb5_rc4.h"

#include <nettle/arcfour.h>
#include <nettle/hmac.h>
#include <nettle/md5.h>
#include <string.h>

#include "alloc.h"
#include "constant_time.h"
#include "gss_framing.h"
#include "mech_oid.h"
#include "random.h"
#include "writer.h"

enum {
    HEADER = 8, /* TOK_ID, SGN_ALG, SEAL_ALG (a MIC: filler), filler */
    SEQ = 8,
    CKSUM = 8,
    CONFOUNDER = 8,
    MIC_INNER = HEADER + SEQ + CKSUM,    /* RFC 4757 §7.3 GSS_GetMIC token */
    WRAP_INNER = MIC_INNER + CONFOUNDER, /* GSS_Wrap token before its data */
    KEY_LEN = 16,
    USAGE_SIGN = 15, /* the MIC's checksum salt (RFC 4757 §7.3) */
    USAGE_SEAL = 13, /* the Wrap token's: KRB5_KU_USAGE_SEAL (22) as Windows translates it */
    PAD_MAX = 8,     /* RFC 1964 §1.2.2.3: 1..8 bytes each holding the count */
};

static const uint8_t mic_header[HEADER] = {0x01, 0x01, 0x11, 0x00, 0xff, 0xff, 0xff, 0xff};
static const uint8_t sealed_header[HEADER] = {0x02, 0x01, 0x11, 0x00, 0x10, 0x00, 0xff, 0xff};
static const uint8_t signed_header[HEADER] = {0x02, 0x01, 0x11, 0x00, 0xff, 0xff, 0xff, 0xff};

bool ng_krb5_enctype_is_rc4(krb5_enctype enctype)
{
    return enctype == ENCTYPE_ARCFOUR_HMAC;
}

/* The OID the context was negotiated under frames its tokens, as MIT and Windows frame them. */
static struct ng_slice token_oid(const struct ng_krb5_session *s)
{
    return ng_mech_oid(s->token_mech == NG_MECH_KRB5_MS ? NG_MECH_KRB5_MS : NG_MECH_KRB5);
}

size_t ng_krb5_rc4_mic_len(void)
{
    return ng_gss_frame_size(ng_mech_oid(NG_MECH_KRB5).len, MIC_INNER);
}

size_t ng_krb5_rc4_wrap_header_min(void)
{
    return ng_gss_frame_size(ng_mech_oid(NG_MECH_KRB5).len, WRAP_INNER);
}

static ng_status check_key(const struct ng_krb5_session *s)
{
    return ng_krb5_enctype_is_rc4(s->enctype) && s->key_len == KEY_LEN ? NG_OK : NG_ERR_UNSUPPORTED;
}

/* Every key RFC 4757 derives is an HMAC-MD5. */
static void hmac(const uint8_t *key, size_t key_len, const void *data, size_t len,
                 uint8_t out[MD5_DIGEST_SIZE])
{
    struct hmac_md5_ctx h;
    hmac_md5_set_key(&h, key_len, key);
    hmac_md5_update(&h, len, data);
    hmac_md5_digest(&h, MD5_DIGEST_SIZE, out);
    explicit_bzero(&h, sizeof(h));
}

/* SGN_CKSUM (RFC 4757 §4 HMAC-MD5 checksum): MD5(usage as LE32 | header | what follows), then
 * HMAC under Ksign = HMAC(Kss, "signaturekey\0"), first 8 bytes. */
static void cksum_begin(struct md5_ctx *md5, uint8_t usage, const uint8_t header[HEADER])
{
    const uint8_t le_usage[4] = {usage, 0, 0, 0};
    md5_init(md5);
    md5_update(md5, sizeof(le_usage), le_usage);
    md5_update(md5, HEADER, header);
}

static void cksum_end(const struct ng_krb5_session *s, struct md5_ctx *md5, uint8_t out[CKSUM])
{
    static const char signature_key[] = "signaturekey"; /* its NUL counts */
    uint8_t ksign[MD5_DIGEST_SIZE], digest[MD5_DIGEST_SIZE], mac[MD5_DIGEST_SIZE];
    hmac(s->key, KEY_LEN, signature_key, sizeof(signature_key), ksign);
    md5_digest(md5, MD5_DIGEST_SIZE, digest);
    hmac(ksign, sizeof(ksign), digest, sizeof(digest), mac);
    memcpy(out, mac, CKSUM);
    explicit_bzero(ksign, sizeof(ksign));
    explicit_bzero(mac, sizeof(mac));
}

/* SND_SEQ is RC4 under Kseq = HMAC(HMAC(Kss, 0 as int32), SGN_CKSUM): its own inverse. */
static void crypt_seq(const struct ng_krb5_session *s, const uint8_t cksum[CKSUM], uint8_t seq[SEQ])
{
    static const uint8_t zero[4];
    uint8_t k1[MD5_DIGEST_SIZE], k2[MD5_DIGEST_SIZE];
    struct arcfour_ctx rc4;
    hmac(s->key, KEY_LEN, zero, sizeof(zero), k1);
    hmac(k1, sizeof(k1), cksum, CKSUM, k2);
    arcfour_set_key(&rc4, sizeof(k2), k2);
    arcfour_crypt(&rc4, SEQ, seq, seq);
    explicit_bzero(k1, sizeof(k1));
    explicit_bzero(k2, sizeof(k2));
    explicit_bzero(&rc4, sizeof(rc4));
}

/* The sequence number big-endian (RFC 4757 §7.2), then the sender: 00 initiator, FF acceptor. */
static void write_seq(uint8_t out[SEQ], uint32_t seq, bool by_acceptor)
{
    for (int i = 0; i < 4; i++)
        out[i] = (uint8_t)(seq >> (24 - 8 * i));
    memset(out + 4, by_acceptor ? 0xff : 0x00, 4);
}

/* The token's sequence number, decrypted from a copy; a token in our own direction is a
 * reflection. */
static ng_status read_seq(const struct ng_krb5_session *s, const uint8_t *t, bool from_acceptor,
                          uint64_t *seq)
{
    uint8_t plain[SEQ];
    memcpy(plain, t + HEADER, SEQ);
    crypt_seq(s, t + HEADER + SEQ, plain);
    static const uint8_t ff[4] = {0xff, 0xff, 0xff, 0xff}, zero[4];
    if (memcmp(plain + 4, from_acceptor ? ff : zero, 4) != 0)
        return NG_ERR_MESSAGE_ALTERED;
    *seq = (uint64_t)plain[0] << 24 | (uint64_t)plain[1] << 16 | (uint64_t)plain[2] << 8 | plain[3];
    return NG_OK;
}

/* The data key: Kcrypt = HMAC(HMAC(Kss ^ F0.., 0 as int32), sequence number big-endian). */
static void data_key(const struct ng_krb5_session *s, uint32_t seq, struct arcfour_ctx *rc4)
{
    static const uint8_t zero[4];
    uint8_t local[KEY_LEN], k1[MD5_DIGEST_SIZE], k2[MD5_DIGEST_SIZE];
    const uint8_t be_seq[4] = {(uint8_t)(seq >> 24), (uint8_t)(seq >> 16), (uint8_t)(seq >> 8),
                               (uint8_t)seq};
    for (int i = 0; i < KEY_LEN; i++)
        local[i] = s->key[i] ^ 0xf0;
    hmac(local, sizeof(local), zero, sizeof(zero), k1);
    hmac(k1, sizeof(k1), be_seq, sizeof(be_seq), k2);
    arcfour_set_key(rc4, sizeof(k2), k2);
    explicit_bzero(local, sizeof(local));
    explicit_bzero(k1, sizeof(k1));
    explicit_bzero(k2, sizeof(k2));
}

/* The innerContextToken of a framed token under either Kerberos OID. */
static ng_status unframe(struct ng_slice token, struct ng_slice *inner)
{
    struct ng_slice oid;
    NG_GUARD(ng_gss_frame_parse(token, &oid, inner));
    enum ng_mech mech = ng_mech_from_oid(oid);
    return mech == NG_MECH_KRB5 || mech == NG_MECH_KRB5_MS ? NG_OK : NG_ERR_INVALID_TOKEN;
}

ng_status ng_krb5_rc4_mic_make(const struct ng_krb5_session *s, bool by_acceptor, uint64_t seq,
                               const struct ng_msg_part *parts, size_t n_parts, uint8_t *out,
                               size_t *out_len)
{
    NG_GUARD(check_key(s));
    struct ng_writer w = ng_writer_fixed(out, *out_len);
    ng_gss_frame_write_header(&w, token_oid(s), MIC_INNER);
    uint8_t *t = ng_writer_reserve(&w, MIC_INNER);
    if (t == NULL)
        return NG_ERR_BUFFER_TOO_SMALL;
    memcpy(t, mic_header, HEADER);
    struct md5_ctx md5;
    cksum_begin(&md5, USAGE_SIGN, t);
    for (size_t i = 0; i < n_parts; i++)
        md5_update(&md5, parts[i].len, parts[i].ptr);
    cksum_end(s, &md5, t + HEADER + SEQ);
    write_seq(t + HEADER, (uint32_t)seq, by_acceptor);
    crypt_seq(s, t + HEADER + SEQ, t + HEADER);
    *out_len = w.len;
    return NG_OK;
}

ng_status ng_krb5_rc4_mic_check(const struct ng_krb5_session *s, bool from_acceptor,
                                const struct ng_msg_part *parts, size_t n_parts,
                                struct ng_slice token, uint64_t *seq)
{
    struct ng_slice inner;
    uint8_t sum[CKSUM];
    NG_GUARD(check_key(s));
    NG_GUARD(unframe(token, &inner));
    if (inner.len != MIC_INNER || memcmp(inner.ptr, mic_header, HEADER) != 0)
        return NG_ERR_INVALID_TOKEN;
    struct md5_ctx md5;
    cksum_begin(&md5, USAGE_SIGN, inner.ptr);
    for (size_t i = 0; i < n_parts; i++)
        md5_update(&md5, parts[i].len, parts[i].ptr);
    cksum_end(s, &md5, sum);
    if (!ng_ct_equal(sum, inner.ptr + HEADER + SEQ, CKSUM))
        return NG_ERR_MESSAGE_ALTERED;
    return read_seq(s, inner.ptr, from_acceptor, seq);
}

static ng_status protected_length(const struct ng_msg *m, size_t *len)
{
    *len = 0;
    for (size_t i = 0; i < m->n_parts; i++) {
        if (m->parts[i].kind != NG_PART_PROTECT)
            return NG_ERR_UNSUPPORTED; /* an RFC 1964 Wrap token signs all it carries */
        *len += m->parts[i].len;
    }
    return NG_OK;
}

ng_status ng_krb5_rc4_wrap(const struct ng_krb5_session *s, bool by_acceptor, uint64_t seq,
                           struct ng_msg *m)
{
    size_t data_len;
    NG_GUARD(check_key(s));
    NG_GUARD(protected_length(m, &data_len));
    if (m->padding == NULL || m->padding_cap < 1)
        return NG_ERR_BUFFER_TOO_SMALL; /* SecPkgContext_Sizes.cbBlockSize: one pad byte */
    struct ng_writer w = ng_writer_fixed(m->token, m->token_len);
    ng_gss_frame_write_header(&w, token_oid(s), WRAP_INNER + data_len + 1);
    uint8_t *t = ng_writer_reserve(&w, WRAP_INNER);
    if (t == NULL)
        return NG_ERR_BUFFER_TOO_SMALL;
    uint8_t *confounder = t + MIC_INNER, pad = 1;
    NG_GUARD(ng_random_bytes(confounder, CONFOUNDER));
    memcpy(t, m->conf ? sealed_header : signed_header, HEADER);
    struct md5_ctx md5;
    cksum_begin(&md5, USAGE_SEAL, t);
    md5_update(&md5, CONFOUNDER, confounder);
    for (size_t i = 0; i < m->n_parts; i++)
        md5_update(&md5, m->parts[i].len, m->parts[i].ptr);
    md5_update(&md5, 1, &pad);
    cksum_end(s, &md5, t + HEADER + SEQ);
    if (m->conf) {
        struct arcfour_ctx rc4;
        data_key(s, (uint32_t)seq, &rc4);
        arcfour_crypt(&rc4, CONFOUNDER, confounder, confounder);
        for (size_t i = 0; i < m->n_parts; i++)
            arcfour_crypt(&rc4, m->parts[i].len, m->parts[i].ptr, m->parts[i].ptr);
        arcfour_crypt(&rc4, 1, &pad, &pad);
        explicit_bzero(&rc4, sizeof(rc4));
    }
    write_seq(t + HEADER, (uint32_t)seq, by_acceptor);
    crypt_seq(s, t + HEADER + SEQ, t + HEADER);
    m->padding[0] = pad;
    m->padding_len = 1;
    m->token_len = w.len;
    return NG_OK;
}

/* Opens a whole innerContextToken in place; *plain and *plain_len: the data, pad removed. */
static ng_status open_inner(const struct ng_krb5_session *s, bool from_acceptor, uint8_t *t,
                            size_t len, bool *conf, uint8_t **plain, size_t *plain_len,
                            uint64_t *seq)
{
    if (len < WRAP_INNER + 1)
        return NG_ERR_INVALID_TOKEN;
    if (memcmp(t, sealed_header, HEADER) == 0)
        *conf = true;
    else if (memcmp(t, signed_header, HEADER) == 0)
        *conf = false;
    else
        return NG_ERR_INVALID_TOKEN;
    NG_GUARD(read_seq(s, t, from_acceptor, seq));
    uint8_t *body = t + MIC_INNER; /* confounder | data | pad */
    size_t body_len = len - MIC_INNER;
    if (*conf) {
        struct arcfour_ctx rc4;
        data_key(s, (uint32_t)*seq, &rc4);
        arcfour_crypt(&rc4, body_len, body, body);
        explicit_bzero(&rc4, sizeof(rc4));
    }
    uint8_t sum[CKSUM];
    struct md5_ctx md5;
    cksum_begin(&md5, USAGE_SEAL, t);
    md5_update(&md5, body_len, body);
    cksum_end(s, &md5, sum);
    if (!ng_ct_equal(sum, t + HEADER + SEQ, CKSUM))
        return NG_ERR_MESSAGE_ALTERED;
    uint8_t pad = body[body_len - 1];
    if (pad < 1 || pad > PAD_MAX || pad > body_len - CONFOUNDER)
        return NG_ERR_INVALID_TOKEN;
    for (size_t i = 1; i <= pad; i++)
        if (body[body_len - i] != pad)
            return NG_ERR_INVALID_TOKEN;
    *plain = body + CONFOUNDER;
    *plain_len = body_len - CONFOUNDER - pad;
    return NG_OK;
}

/* A SECBUFFER_STREAM: opened where it lies; the one DATA part is pointed at the plaintext. */
static ng_status unwrap_stream(const struct ng_krb5_session *s, bool from_acceptor,
                               struct ng_msg *m, uint64_t *seq)
{
    struct ng_slice inner;
    NG_GUARD(unframe(ng_slice_of(m->token, m->token_len), &inner));
    uint8_t *plain;
    size_t plain_len;
    NG_GUARD(open_inner(s, from_acceptor, (uint8_t *)inner.ptr, inner.len, &m->conf, &plain,
                        &plain_len, seq));
    for (size_t i = 0; i < m->n_parts; i++) {
        if (m->parts[i].kind == NG_PART_PROTECT && m->parts[i].ptr == NULL) {
            m->parts[i].ptr = plain;
            m->parts[i].len = plain_len;
        }
    }
    return NG_OK;
}

/* TOKEN | DATA... | PADDING as ng_krb5_rc4_wrap lays them out: opened in one scratch copy (RC4
 * is a stream over all of them), the plaintext copied back into the DATA parts. */
static ng_status unwrap_parts(const struct ng_krb5_session *s, bool from_acceptor, struct ng_msg *m,
                              uint64_t *seq)
{
    size_t data_len, total;
    NG_GUARD(protected_length(m, &data_len));
    total = m->token_len + data_len + m->padding_cap;
    uint8_t *copy = ng_alloc(total > 0 ? total : 1);
    if (copy == NULL)
        return NG_ERR_NOMEM;
    struct ng_writer w = ng_writer_fixed(copy, total);
    ng_write_bytes(&w, m->token, m->token_len);
    for (size_t i = 0; i < m->n_parts; i++)
        ng_write_bytes(&w, m->parts[i].ptr, m->parts[i].len);
    if (m->padding_cap > 0)
        ng_write_bytes(&w, m->padding, m->padding_cap);
    struct ng_slice inner;
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    ng_status status = unframe(ng_slice_of(copy, total), &inner);
    if (status == NG_OK)
        status = open_inner(s, from_acceptor, (uint8_t *)inner.ptr, inner.len, &m->conf, &plain,
                            &plain_len, seq);
    /* The DATA buffers must hold exactly the data, where the TOKEN buffer ends. */
    if (status == NG_OK && (plain != copy + m->token_len || plain_len != data_len))
        status = NG_ERR_INVALID_TOKEN;
    for (size_t i = 0, at = 0; status == NG_OK && i < m->n_parts; at += m->parts[i++].len)
        memcpy(m->parts[i].ptr, plain + at, m->parts[i].len);
    ng_free_secret(copy, total > 0 ? total : 1);
    return status;
}

ng_status ng_krb5_rc4_unwrap(const struct ng_krb5_session *s, bool from_acceptor, struct ng_msg *m,
                             uint64_t *seq)
{
    NG_GUARD(check_key(s));
    return m->stream ? unwrap_stream(s, from_acceptor, m, seq)
                     : unwrap_parts(s, from_acceptor, m, seq);
}
