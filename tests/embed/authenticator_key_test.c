/* embed/authenticator_key.c: the Kerberos authenticator of a real MIT token is found, the
 * same, in every wrapping of its AP-REQ (raw Kerberos under either OID, SPNEGO NegTokenInit
 * and NegTokenResp), and in no token without one; truncated and damaged tokens are read
 * without overrun. */
#define _GNU_SOURCE /* memmem */
#include <string.h>

#include "authenticator_key.h"
#include "check.h"
#include "gss_peer.h"
#include "realm.h"

struct blob {
    uint8_t b[8192];
    size_t len;
};

static void der(struct blob *out, uint8_t tag, const uint8_t *content, size_t n)
{
    struct blob t = {0};
    t.b[t.len++] = tag;
    if (n < 0x80) {
        t.b[t.len++] = (uint8_t)n;
    } else {
        t.b[t.len++] = 0x82;
        t.b[t.len++] = (uint8_t)(n >> 8);
        t.b[t.len++] = (uint8_t)n;
    }
    memcpy(t.b + t.len, content, n);
    t.len += n;
    *out = t;
}

/* A raw Kerberos token from MIT's initiator (RFC 4121 §4.1: 0x60, krb5 OID, 01 00, AP-REQ). */
static struct blob mit_krb5_token(void)
{
    struct ng_gss_initiator c;
    gss_buffer_desc out;
    struct blob t = {0};
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", gss_mech_krb5, GSS_C_MUTUAL_FLAG, NULL) ==
            0);
    ng_gss_initiator_step(&c, NULL, 0, &out);
    REQUIRE(!GSS_ERROR(c.major) && out.length <= sizeof(t.b));
    memcpy(t.b, out.value, out.length);
    t.len = out.length;
    OM_uint32 minor;
    gss_release_buffer(&minor, &out);
    ng_gss_initiator_free(&c);
    return t;
}

/* RFC 4178 NegTokenInit { mechTypes [0], mechToken [2] } around a Kerberos token, framed. */
static struct blob spnego_init(const struct blob *krb5)
{
    static const uint8_t mech_types[] = {0xa0, 0x0d, 0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86,
                                         0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
    static const uint8_t spnego_oid[] = {0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
    struct blob octets, field, seq, choice, frame, body = {0};
    der(&octets, 0x04, krb5->b, krb5->len);
    der(&field, 0xa2, octets.b, octets.len);
    memcpy(body.b, mech_types, sizeof(mech_types));
    memcpy(body.b + sizeof(mech_types), field.b, field.len);
    body.len = sizeof(mech_types) + field.len;
    der(&seq, 0x30, body.b, body.len);
    der(&choice, 0xa0, seq.b, seq.len);
    memcpy(body.b, spnego_oid, sizeof(spnego_oid));
    memcpy(body.b + sizeof(spnego_oid), choice.b, choice.len);
    der(&frame, 0x60, body.b, sizeof(spnego_oid) + choice.len);
    return frame;
}

/* RFC 4178 NegTokenResp { negState [0] accept-incomplete, responseToken [2] }, unframed. */
static struct blob spnego_resp(const struct blob *krb5)
{
    static const uint8_t neg_state[] = {0xa0, 0x03, 0x0a, 0x01, 0x01};
    struct blob octets, field, seq, choice, body = {0};
    der(&octets, 0x04, krb5->b, krb5->len);
    der(&field, 0xa2, octets.b, octets.len);
    memcpy(body.b, neg_state, sizeof(neg_state));
    memcpy(body.b + sizeof(neg_state), field.b, field.len);
    der(&seq, 0x30, body.b, sizeof(neg_state) + field.len);
    der(&choice, 0xa1, seq.b, seq.len);
    return choice;
}

static void key_of(const struct blob *t, const uint8_t **key, size_t *len)
{
    *key = NULL;
    *len = 0;
    CHECK(ne_authenticator_key(t->b, t->len, key, len));
}

/* The authenticator is the AP-REQ's last field and its cipher the last field of that: in a
 * raw Kerberos token the key is the token's last bytes. */
static void test_raw_token_key_is_the_authenticator(void)
{
    struct blob t = mit_krb5_token();
    const uint8_t *key;
    size_t len;
    key_of(&t, &key, &len);
    CHECK(len >= 32); /* an AES authenticator: confounder, body, checksum */
    CHECK(key + len == t.b + t.len);
}

static void test_every_wrapping_gives_the_same_key(void)
{
    static const uint8_t krb5_oid[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12};
    struct blob raw = mit_krb5_token(), ms = raw;
    /* Microsoft's Kerberos OID 1.2.840.48018.1.2.2 is MIT's 1.2.840.113554.1.2.2 with one byte
     * changed (86 f7 12 -> 82 f7 12). */
    uint8_t *oid = memmem(ms.b, 16, krb5_oid, sizeof(krb5_oid));
    REQUIRE(oid != NULL);
    oid[5] = 0x82;
    struct blob init = spnego_init(&raw), resp = spnego_resp(&raw);
    const uint8_t *k_raw, *k;
    size_t n_raw, n;
    key_of(&raw, &k_raw, &n_raw);
    const struct blob *wrapped[] = {&ms, &init, &resp};
    for (size_t i = 0; i < 3; i++) {
        key_of(wrapped[i], &k, &n);
        CHECK_EQ(n, n_raw);
        CHECK(n == n_raw && memcmp(k, k_raw, n) == 0);
    }
}

static void test_two_logins_have_two_keys(void)
{
    struct blob a = mit_krb5_token(), b = mit_krb5_token();
    const uint8_t *ka, *kb;
    size_t na, nb;
    key_of(&a, &ka, &na);
    key_of(&b, &kb, &nb);
    CHECK(na != nb || memcmp(ka, kb, na) != 0);
}

static void test_tokens_without_an_authenticator(void)
{
    static const uint8_t ntlm_negotiate[] = {'N', 'T', 'L', 'M', 'S',  'S',  'P',  0,
                                             1,   0,   0,   0,   0x07, 0x82, 0x08, 0xa2};
    /* A NegTokenInit offering Kerberos with no mechToken (RFC 4178 §4.2.1), and a
     * NegTokenResp with a mechListMIC only. */
    static const uint8_t init_no_token[] = {
        0x60, 0x1b, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02, 0xa0, 0x11, 0x30, 0x0f, 0xa0,
        0x0d, 0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
    static const uint8_t resp_mic[] = {0xa1, 0x08, 0x30, 0x06, 0xa3, 0x04, 0x04, 0x02, 0xaa, 0xbb};
    const uint8_t *key = NULL;
    size_t len = 0;
    CHECK(!ne_authenticator_key(ntlm_negotiate, sizeof(ntlm_negotiate), &key, &len));
    CHECK(!ne_authenticator_key(init_no_token, sizeof(init_no_token), &key, &len));
    CHECK(!ne_authenticator_key(resp_mic, sizeof(resp_mic), &key, &len));
    CHECK(!ne_authenticator_key(NULL, 0, &key, &len));
    CHECK(!ne_authenticator_key(resp_mic, 0, &key, &len));
}

/* SPNEGO inside SPNEGO is no Kerberos token: the walk does not recurse. */
static void test_spnego_in_spnego_refused(void)
{
    struct blob raw = mit_krb5_token(), once = spnego_init(&raw), twice = spnego_init(&once);
    const uint8_t *key;
    size_t len;
    CHECK(!ne_authenticator_key(twice.b, twice.len, &key, &len));
}

/* Every prefix of a token is malformed (the outer length covers it all): none yields a key,
 * and under ASan none reads past its end (each prefix is a separate heap block). */
static void test_truncations_and_flips(void)
{
    struct blob raw = mit_krb5_token(), init = spnego_init(&raw);
    const uint8_t *key;
    size_t len;
    for (size_t n = 0; n < init.len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        REQUIRE(copy != NULL);
        memcpy(copy, init.b, n);
        CHECK(!ne_authenticator_key(copy, n, &key, &len));
        free(copy);
    }
    for (size_t i = 0; i < init.len; i++) { /* any answer, never a read outside the token */
        uint8_t *copy = malloc(init.len);
        REQUIRE(copy != NULL);
        memcpy(copy, init.b, init.len);
        copy[i] ^= 0xff;
        if (ne_authenticator_key(copy, init.len, &key, &len))
            CHECK(key >= copy && key + len <= copy + init.len);
        free(copy);
    }
}

int main(void)
{
    struct ng_test_realm realm;
    REQUIRE(ng_test_realm_start(&realm) == 0);
    RUN(test_raw_token_key_is_the_authenticator);
    RUN(test_every_wrapping_gives_the_same_key);
    RUN(test_two_logins_have_two_keys);
    RUN(test_tokens_without_an_authenticator);
    RUN(test_spnego_in_spnego_refused);
    RUN(test_truncations_and_flips);
    return check_report();
}
