/* Finding the Kerberos authenticator in a token (see authenticator_key.h). Every read goes
 * through a bounded DER cursor with a sticky error: a malformed or truncated token ends the
 * walk, never reads past its end. */
#include "authenticator_key.h"

#include <string.h>

struct der {
    const uint8_t *p;
    size_t len;
    bool failed;
};

static const struct der der_failed = {NULL, 0, true};

/* The contents of the next TLV, and its tag. Only one-byte tags and definite lengths of up to
 * four octets occur in the structures walked here; anything else fails the cursor. */
static struct der read_tlv(struct der *c, uint8_t *tag)
{
    size_t hdr = 2, n;
    if (c->failed || c->len < 2 || (c->p[0] & 0x1f) == 0x1f)
        goto fail;
    n = c->p[1];
    if (n >= 0x80) {
        size_t k = n & 0x7f;
        if (k == 0 || k > 4 || c->len < 2 + k) /* indefinite length, or over 4 GiB */
            goto fail;
        n = 0;
        for (size_t i = 0; i < k; i++)
            n = (n << 8) | c->p[2 + i];
        hdr += k;
    }
    if (n > c->len - hdr)
        goto fail;
    struct der out = {c->p + hdr, n, false};
    *tag = c->p[0];
    c->p += hdr + n;
    c->len -= hdr + n;
    return out;
fail:
    *c = der_failed;
    *tag = 0;
    return der_failed;
}

/* The contents of the TLV tagged `want` that comes next; anything else fails. */
static struct der expect(struct der *c, uint8_t want)
{
    uint8_t tag;
    struct der v = read_tlv(c, &tag);
    return tag == want ? v : der_failed;
}

/* The element of a SEQUENCE's contents tagged `want` (context tags are unique in a SEQUENCE). */
static struct der field(struct der seq, uint8_t want)
{
    while (!seq.failed && seq.len > 0) {
        uint8_t tag;
        struct der v = read_tlv(&seq, &tag);
        if (tag == want)
            return v;
    }
    return der_failed;
}

/* RFC 4120 §5.5.1 AP-REQ ::= [APPLICATION 14] SEQUENCE { ..., authenticator [4] EncryptedData }
 * and §5.2.9 EncryptedData ::= SEQUENCE { etype [0], kvno [1] OPTIONAL, cipher [2] OCTET STRING }.
 */
static bool ap_req_key(struct der c, const uint8_t **key, size_t *key_len)
{
    struct der ap_req = expect(&c, 0x6e);
    struct der seq = expect(&ap_req, 0x30);
    struct der authenticator = field(seq, 0xa4);
    struct der enc = expect(&authenticator, 0x30);
    struct der cipher_field = field(enc, 0xa2);
    struct der cipher = expect(&cipher_field, 0x04);
    if (cipher.failed || cipher.len == 0)
        return false;
    *key = cipher.p;
    *key_len = cipher.len;
    return true;
}

static const uint8_t oid_krb5[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
static const uint8_t oid_krb5_ms[] = {0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02};
static const uint8_t oid_spnego[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};

static bool oid_is(struct der oid, const uint8_t *want, size_t want_len)
{
    return !oid.failed && oid.len == want_len && memcmp(oid.p, want, want_len) == 0;
}

static bool negotiation_token(struct der c, const uint8_t **key, size_t *key_len);

/* RFC 2743 §3.1 InitialContextToken: 0x60 { OID, inner }. Kerberos' inner token is the 2-byte
 * TOK_ID 01 00 then the AP-REQ (RFC 4121 §4.1); SPNEGO's is a NegotiationToken, which may
 * carry a Kerberos token but not SPNEGO again (`in_spnego`). */
static bool framed_token(struct der c, bool in_spnego, const uint8_t **key, size_t *key_len)
{
    struct der frame = expect(&c, 0x60);
    struct der oid = expect(&frame, 0x06);
    if (oid_is(oid, oid_krb5, sizeof(oid_krb5)) || oid_is(oid, oid_krb5_ms, sizeof(oid_krb5_ms))) {
        if (frame.len < 2 || frame.p[0] != 0x01 || frame.p[1] != 0x00)
            return false;
        return ap_req_key((struct der){frame.p + 2, frame.len - 2, false}, key, key_len);
    }
    if (!in_spnego && oid_is(oid, oid_spnego, sizeof(oid_spnego)))
        return negotiation_token(frame, key, key_len);
    return false;
}

/* RFC 4178 §4.2: NegTokenInit [0] { ..., mechToken [2] } or NegTokenResp [1] { ...,
 * responseToken [2] }; either OCTET STRING holds the mechanism's token. */
static bool negotiation_token(struct der c, const uint8_t **key, size_t *key_len)
{
    uint8_t tag;
    struct der choice = read_tlv(&c, &tag);
    if (tag != 0xa0 && tag != 0xa1)
        return false;
    struct der seq = expect(&choice, 0x30);
    struct der mech_field = field(seq, 0xa2);
    struct der mech_token = expect(&mech_field, 0x04);
    return !mech_token.failed && framed_token(mech_token, true, key, key_len);
}

bool ne_authenticator_key(const uint8_t *token, size_t len, const uint8_t **key, size_t *key_len)
{
    struct der c = {token, len, token == NULL};
    if (c.failed || len == 0)
        return false;
    /* A NegTokenResp travels without the InitialContextToken frame. */
    return token[0] == 0xa1 ? negotiation_token(c, key, key_len)
                            : framed_token(c, false, key, key_len);
}
