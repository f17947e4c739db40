#include "ntlm_seal.h"

#include "constant_time.h"
#include "ntlm_message.h"
#include "reader.h"

/* §3.4.5.2-3: the magic constants include their terminating NUL. */
static const char client_sign[] = "session key to client-to-server signing key magic constant";
static const char server_sign[] = "session key to server-to-client signing key magic constant";
static const char client_seal[] = "session key to client-to-server sealing key magic constant";
static const char server_seal[] = "session key to server-to-client sealing key magic constant";

static void derive(const uint8_t *key, size_t key_len, const char *magic, uint8_t out[16])
{
    ng_md5(ng_slice_of(key, key_len), ng_slice_of(magic, strlen(magic) + 1), out);
}

/* SEALKEY (§3.4.5.3) with extended session security: the key is cut to 128, 56 or 40 bits
 * first, as negotiated. */
static size_t seal_key_len(uint32_t flags)
{
    if (flags & NG_NTLMSSP_NEGOTIATE_128)
        return 16;
    return (flags & NG_NTLMSSP_NEGOTIATE_56) ? 7 : 5;
}

static void init_direction(struct ng_ntlm_direction *d, const uint8_t exported[16], uint32_t flags,
                           const char *sign, const char *seal)
{
    derive(exported, 16, sign, d->sign_key);
    derive(exported, seal_key_len(flags), seal, d->seal_key);
    d->rc4_ready = false;
}

void ng_ntlm_session_init(struct ng_ntlm_session *s, uint32_t flags, const uint8_t exported[16],
                          bool initiator)
{
    ng_ntlm_session_wipe(s);
    s->flags = flags;
    s->initiator = initiator;
    memcpy(s->exported_key, exported, 16);
}

void ng_ntlm_session_keys(struct ng_ntlm_session *s)
{
    if (s->keys_ready)
        return;
    bool client = s->initiator;
    init_direction(&s->send, s->exported_key, s->flags, client ? client_sign : server_sign,
                   client ? client_seal : server_seal);
    init_direction(&s->recv, s->exported_key, s->flags, client ? server_sign : client_sign,
                   client ? server_seal : client_seal);
    s->keys_ready = true;
}

void ng_ntlm_session_wipe(struct ng_ntlm_session *s)
{
    explicit_bzero(s, sizeof(*s));
}

bool ng_ntlm_session_usable(const struct ng_ntlm_session *s)
{
    return (s->flags & NG_NTLMSSP_NEGOTIATE_EXTENDED_SESSION) != 0;
}

static struct ng_rc4 *stream(struct ng_ntlm_direction *d)
{
    if (!d->rc4_ready) {
        ng_rc4_init(&d->rc4, d->seal_key, sizeof(d->seal_key));
        d->rc4_ready = true;
    }
    return &d->rc4;
}

static void le32(uint32_t v, uint8_t out[4])
{
    out[0] = (uint8_t)v;
    out[1] = (uint8_t)(v >> 8);
    out[2] = (uint8_t)(v >> 16);
    out[3] = (uint8_t)(v >> 24);
}

/* §3.4.4.2: HMAC_MD5(SigningKey, SeqNum || Message) over the parts' current bytes. */
static void checksum(const struct ng_ntlm_direction *d, uint32_t seq,
                     const struct ng_ntlm_part *parts, size_t n, uint8_t digest[16])
{
    uint8_t seq_le[4];
    le32(seq, seq_le);
    struct ng_hmac_md5 h;
    ng_hmac_md5_init(&h, d->sign_key);
    ng_hmac_md5_update(&h, ng_slice_of(seq_le, 4));
    for (size_t i = 0; i < n; i++)
        ng_hmac_md5_update(&h, ng_slice_of(parts[i].ptr, parts[i].len));
    ng_hmac_md5_final(&h, digest);
}

/* Whether the sealing handle restarts after a signature: it does after SPNEGO's mechListMIC
 * (MS-SPNG §3.3.5.1, as Windows does), so the application's first message sees the stream the
 * MIC saw. Sequence numbers carry on. */
enum handle_after { HANDLE_CONTINUES, HANDLE_RESTARTS };

/* The checksum's 8 bytes RC4'd with the sealing handle. A handle not yet keyed that restarts
 * after this needs only its stream's first 8 bytes: one schedule, nothing kept. */
static void seal_checksum(struct ng_ntlm_direction *d, enum handle_after after, uint8_t out[8],
                          const uint8_t digest[8])
{
    if (after == HANDLE_RESTARTS && !d->rc4_ready) {
        ng_rc4_once(d->seal_key, sizeof(d->seal_key), out, digest, 8);
        return;
    }
    ng_rc4_crypt(stream(d), out, digest, 8);
    if (after == HANDLE_RESTARTS)
        d->rc4_ready = false;
}

/* Version 1, the first 8 bytes of the checksum (RC4'd with the sealing handle when keys were
 * exchanged), SeqNum. */
static void make_signature(struct ng_ntlm_direction *d, uint32_t flags, uint32_t seq,
                           const uint8_t digest[16], enum handle_after after,
                           uint8_t sig[NG_NTLM_SIGNATURE_LEN])
{
    le32(1, sig);
    if (flags & NG_NTLMSSP_NEGOTIATE_KEY_EXCH)
        seal_checksum(d, after, sig + 4, digest);
    else
        memcpy(sig + 4, digest, 8);
    le32(seq, sig + 12);
}

static void crypt_parts(struct ng_ntlm_direction *d, const struct ng_ntlm_part *parts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (parts[i].encrypt)
            ng_rc4_crypt(stream(d), parts[i].ptr, parts[i].ptr, parts[i].len);
    }
}

static void sign(struct ng_ntlm_session *s, const struct ng_ntlm_part *parts, size_t n,
                 enum handle_after after, uint8_t signature[NG_NTLM_SIGNATURE_LEN])
{
    ng_ntlm_session_keys(s);
    uint8_t digest[16];
    checksum(&s->send, s->send.seq, parts, n, digest);
    make_signature(&s->send, s->flags, s->send.seq++, digest, after, signature);
    explicit_bzero(digest, sizeof(digest));
}

void ng_ntlm_sign_parts(struct ng_ntlm_session *s, const struct ng_ntlm_part *parts, size_t n,
                        uint8_t signature[NG_NTLM_SIGNATURE_LEN])
{
    sign(s, parts, n, HANDLE_CONTINUES, signature);
}

static ng_status check_signature(struct ng_ntlm_session *s, const struct ng_ntlm_part *parts,
                                 size_t n, enum handle_after after,
                                 const uint8_t signature[NG_NTLM_SIGNATURE_LEN])
{
    struct ng_reader r = ng_reader_of(ng_slice_of(signature, NG_NTLM_SIGNATURE_LEN));
    if (ng_read_le32(&r) != 1)
        return NG_ERR_INVALID_TOKEN;
    ng_read_skip(&r, 8);
    uint32_t seq = ng_read_le32(&r);
    /* The MAC is taken with the sender's number, so a genuine message in the wrong place is
     * told apart from a forged one. */
    uint8_t digest[16], expected[NG_NTLM_SIGNATURE_LEN];
    checksum(&s->recv, seq, parts, n, digest);
    make_signature(&s->recv, s->flags, seq, digest, after, expected);
    explicit_bzero(digest, sizeof(digest));
    if (!ng_ct_equal(expected + 4, signature + 4, 8))
        return NG_ERR_MESSAGE_ALTERED;
    if (seq != s->recv.seq)
        return NG_ERR_OUT_OF_SEQUENCE;
    s->recv.seq++;
    return NG_OK;
}

void ng_ntlm_seal_parts(struct ng_ntlm_session *s, const struct ng_ntlm_part *parts, size_t n,
                        uint8_t signature[NG_NTLM_SIGNATURE_LEN])
{
    ng_ntlm_session_keys(s);
    uint8_t digest[16];
    checksum(&s->send, s->send.seq, parts, n, digest); /* over the plaintext */
    crypt_parts(&s->send, parts, n);
    make_signature(&s->send, s->flags, s->send.seq++, digest, HANDLE_CONTINUES, signature);
    explicit_bzero(digest, sizeof(digest));
}

/* A refused message leaves the receiving RC4 stream where it was, so one forged or replayed
 * message does not make every later genuine one fail. */
static ng_status verify(struct ng_ntlm_session *s, const struct ng_ntlm_part *parts, size_t n,
                        enum handle_after after, const uint8_t signature[NG_NTLM_SIGNATURE_LEN])
{
    ng_ntlm_session_keys(s);
    struct ng_ntlm_direction saved = s->recv;
    ng_status status = check_signature(s, parts, n, after, signature);
    if (status != NG_OK)
        s->recv = saved; /* the sequence number has not moved on failure either */
    explicit_bzero(&saved, sizeof(saved));
    if (after == HANDLE_RESTARTS)
        s->recv.rc4_ready = false;
    return status;
}

ng_status ng_ntlm_verify_parts(struct ng_ntlm_session *s, const struct ng_ntlm_part *parts,
                               size_t n, const uint8_t signature[NG_NTLM_SIGNATURE_LEN])
{
    return verify(s, parts, n, HANDLE_CONTINUES, signature);
}

ng_status ng_ntlm_unseal_parts(struct ng_ntlm_session *s, const struct ng_ntlm_part *parts,
                               size_t n, const uint8_t signature[NG_NTLM_SIGNATURE_LEN])
{
    ng_ntlm_session_keys(s);
    struct ng_ntlm_direction saved = s->recv;
    crypt_parts(&s->recv, parts, n);
    ng_status status = check_signature(s, parts, n, HANDLE_CONTINUES, signature);
    if (status != NG_OK)
        s->recv = saved; /* the sequence number has not moved on failure either */
    explicit_bzero(&saved, sizeof(saved));
    return status;
}

void ng_ntlm_sign(struct ng_ntlm_session *s, struct ng_slice message,
                  uint8_t signature[NG_NTLM_SIGNATURE_LEN])
{
    struct ng_ntlm_part part = {(uint8_t *)message.ptr, message.len, false};
    ng_ntlm_sign_parts(s, &part, 1, signature);
}

ng_status ng_ntlm_verify(struct ng_ntlm_session *s, struct ng_slice message,
                         const uint8_t signature[NG_NTLM_SIGNATURE_LEN])
{
    struct ng_ntlm_part part = {(uint8_t *)message.ptr, message.len, false};
    return ng_ntlm_verify_parts(s, &part, 1, signature);
}

void ng_ntlm_seal(struct ng_ntlm_session *s, uint8_t *data, size_t len,
                  uint8_t signature[NG_NTLM_SIGNATURE_LEN])
{
    struct ng_ntlm_part part = {data, len, true};
    ng_ntlm_seal_parts(s, &part, 1, signature);
}

ng_status ng_ntlm_unseal(struct ng_ntlm_session *s, uint8_t *data, size_t len,
                         const uint8_t signature[NG_NTLM_SIGNATURE_LEN])
{
    struct ng_ntlm_part part = {data, len, true};
    return ng_ntlm_unseal_parts(s, &part, 1, signature);
}

void ng_ntlm_sign_restarting(struct ng_ntlm_session *s, struct ng_slice message,
                             uint8_t signature[NG_NTLM_SIGNATURE_LEN])
{
    struct ng_ntlm_part part = {(uint8_t *)message.ptr, message.len, false};
    sign(s, &part, 1, HANDLE_RESTARTS, signature);
}

ng_status ng_ntlm_verify_restarting(struct ng_ntlm_session *s, struct ng_slice message,
                                    const uint8_t signature[NG_NTLM_SIGNATURE_LEN])
{
    struct ng_ntlm_part part = {(uint8_t *)message.ptr, message.len, false};
    return verify(s, &part, 1, HANDLE_RESTARTS, signature);
}

enum { RC4_STATE_LEN = 256 + 2 }; /* S, i, j */

static void write_direction(const struct ng_ntlm_direction *d, struct ng_writer *w)
{
    ng_write_be32(w, d->seq);
    ng_write_u8(w, d->rc4_ready);
    uint8_t *state = ng_writer_reserve(w, RC4_STATE_LEN);
    if (state == NULL)
        return; /* the writer has recorded the error (or is measuring) */
    if (!d->rc4_ready) {
        memset(state, 0, RC4_STATE_LEN);
        return;
    }
    memcpy(state, d->rc4.ctx.S, 256);
    state[256] = d->rc4.ctx.i;
    state[257] = d->rc4.ctx.j;
}

void ng_ntlm_session_write(const struct ng_ntlm_session *s, struct ng_writer *w)
{
    ng_write_be32(w, s->flags);
    ng_write_u8(w, s->initiator);
    ng_write_bytes(w, s->exported_key, sizeof(s->exported_key));
    write_direction(&s->send, w);
    write_direction(&s->recv, w);
}

/* RC4's state is always a permutation; anything else did not come from an export. */
static bool is_permutation(const uint8_t S[256])
{
    bool seen[256] = {false};
    for (size_t k = 0; k < 256; k++) {
        if (seen[S[k]])
            return false;
        seen[S[k]] = true;
    }
    return true;
}

static ng_status read_direction(struct ng_reader *r, struct ng_ntlm_direction *d)
{
    d->seq = ng_read_be32(r);
    uint8_t ready = ng_read_u8(r);
    struct ng_slice state = ng_read_slice(r, RC4_STATE_LEN);
    NG_GUARD(ng_reader_status(r));
    if (ready > 1)
        return NG_ERR_INVALID_TOKEN;
    d->rc4_ready = ready;
    if (!ready)
        return NG_OK;
    if (!is_permutation(state.ptr))
        return NG_ERR_INVALID_TOKEN;
    memcpy(d->rc4.ctx.S, state.ptr, 256);
    d->rc4.ctx.i = state.ptr[256];
    d->rc4.ctx.j = state.ptr[257];
    return NG_OK;
}

static ng_status read_session(struct ng_reader *r, struct ng_ntlm_session *s)
{
    uint32_t flags = ng_read_be32(r);
    uint8_t initiator = ng_read_u8(r);
    struct ng_slice key = ng_read_slice(r, 16);
    NG_GUARD(ng_reader_status(r));
    if (initiator > 1)
        return NG_ERR_INVALID_TOKEN;
    ng_ntlm_session_init(s, flags, key.ptr, initiator);
    ng_ntlm_session_keys(s); /* before the streams: deriving the keys resets them */
    NG_GUARD(read_direction(r, &s->send));
    return read_direction(r, &s->recv);
}

ng_status ng_ntlm_session_read(struct ng_reader *r, struct ng_ntlm_session *s)
{
    ng_status status = read_session(r, s);
    if (status != NG_OK)
        ng_ntlm_session_wipe(s);
    return status;
}
