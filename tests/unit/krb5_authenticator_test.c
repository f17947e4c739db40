/* core/kerberos/krb5_authenticator.c and core/kerberos/krb5_der.c: an Authenticator MIT's GSSAPI
 * initiator made decodes to exactly what libkrb5's own decoder (inside krb5_rd_req) finds in it;
 * every truncation is refused and no altered byte crashes the decoder; authorization data is sorted
 * the way the cached accept path relies on (RFC 4537 etype list found bare or in AD-IF-RELEVANT;
 * anything libkrb5's plugins act on, or mandatory and unknown, flagged); KerberosTime parsing. */
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <negring/sspi.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gss_peer.h"
#include "krb5_ap_req.h"
#include "krb5_authenticator.h"
#include "krb5_der.h"
#include "krb5_token.h"
#include "realm.h"

static struct ng_test_realm realm;

static void test_kerberos_time(void)
{
    int64_t t = 0;
    CHECK(ng_krb5_time_parse(ng_slice_of("20261125130000Z", 15), &t) && t == 1795611600);
    CHECK(ng_krb5_time_parse(ng_slice_of("20240229235959Z", 15), &t) && t == 1709251199);
    CHECK(ng_krb5_time_parse(ng_slice_of("19700101000000Z", 15), &t) && t == 0);
    CHECK(ng_krb5_time_parse(ng_slice_of("21060207062815Z", 15), &t) && t == 4294967295);
    const char *bad[] = {"20250229000000Z",  "20261301000000Z", "20261100000000Z",
                         "20261125240000Z",  "20261125136000Z", "20261125130060Z",
                         "20261125130000z",  "2026112513000Z",  "20261125130000.5Z",
                         "2026-1125130000Z", "20261125130000+"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(!ng_krb5_time_parse(ng_slice_of(bad[i], strlen(bad[i])), &t));
}

/* ---- a real authenticator ------------------------------------------------------------------- */

struct real {
    gss_buffer_desc token;
    krb5_context k;
    krb5_auth_context ac;
    krb5_ticket *ticket;
    krb5_authenticator *mit; /* libkrb5's decoding */
    krb5_data plain;         /* our decryption of the same ciphertext */
};

static void real_make(struct real *r)
{
    memset(r, 0, sizeof(*r));
    struct ng_gss_initiator c;
    OM_uint32 flags = GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG |
                      GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", gss_mech_krb5, flags, NULL) == 0);
    REQUIRE(!GSS_ERROR(ng_gss_initiator_step(&c, NULL, 0, &r->token)));
    ng_gss_initiator_free(&c);
    struct ng_slice ap_req;
    struct ng_krb5_ap_req req;
    REQUIRE(ng_krb5_unframe(ng_slice_of(r->token.value, r->token.length), NG_KRB5_TOK_AP_REQ,
                            &ap_req) == NG_OK);
    REQUIRE(ng_krb5_ap_req_parse(ap_req, &req) == NG_OK);
    krb5_keytab kt;
    REQUIRE(krb5_init_context(&r->k) == 0);
    REQUIRE(krb5_kt_resolve(r->k, realm.keytab, &kt) == 0);
    krb5_data in = {KV5M_DATA, (unsigned)ap_req.len, (char *)ap_req.ptr};
    REQUIRE(krb5_rd_req(r->k, &r->ac, &in, NULL, kt, NULL, &r->ticket) == 0);
    REQUIRE(krb5_auth_con_getauthenticator(r->k, r->ac, &r->mit) == 0);
    krb5_kt_close(r->k, kt);
    krb5_enc_data enc = {
        KV5M_ENC_DATA,
        req.authenticator_etype,
        0,
        {KV5M_DATA, (unsigned)req.authenticator_cipher.len, (char *)req.authenticator_cipher.ptr}};
    r->plain.length = enc.ciphertext.length;
    r->plain.data = malloc(r->plain.length);
    REQUIRE(krb5_c_decrypt(r->k, r->ticket->enc_part2->session, KRB5_KEYUSAGE_AP_REQ_AUTH, NULL,
                           &enc, &r->plain) == 0);
}

static void real_free(struct real *r)
{
    OM_uint32 minor;
    free(r->plain.data);
    krb5_free_authenticator(r->k, r->mit);
    krb5_free_ticket(r->k, r->ticket);
    krb5_auth_con_free(r->k, r->ac);
    krb5_free_context(r->k);
    gss_release_buffer(&minor, &r->token);
}

static bool data_is(const krb5_data *d, struct ng_slice s)
{
    return ng_slice_eq(ng_slice_of(d->data, d->length), s);
}

static void test_decodes_like_libkrb5(void)
{
    struct real r;
    real_make(&r);
    struct ng_krb5_authenticator a;
    REQUIRE(ng_krb5_authenticator_parse(ng_slice_of(r.plain.data, r.plain.length), &a) == NG_OK);
    const krb5_authenticator *m = r.mit;
    CHECK(data_is(&m->client->realm, a.client.realm));
    CHECK_EQ(a.client.ncomponents, m->client->length);
    for (size_t i = 0; i < a.client.ncomponents && i < (size_t)m->client->length; i++)
        CHECK(data_is(&m->client->data[i], a.client.components[i]));
    CHECK(a.has_checksum && m->checksum != NULL);
    CHECK_EQ(a.checksum_type, m->checksum->checksum_type);
    CHECK(ng_slice_eq(a.checksum, ng_slice_of(m->checksum->contents, m->checksum->length)));
    CHECK_EQ(a.cusec, m->cusec);
    CHECK_EQ(a.ctime, (uint32_t)m->ctime);
    CHECK_EQ(a.has_subkey, m->subkey != NULL);
    if (m->subkey != NULL) {
        CHECK_EQ(a.subkey_type, m->subkey->enctype);
        CHECK(ng_slice_eq(a.subkey, ng_slice_of(m->subkey->contents, m->subkey->length)));
    }
    CHECK(a.has_seq_number);
    CHECK_EQ(a.seq_number, m->seq_number);
    /* MIT's GSSAPI sends its RFC 4537 enctype list only when the session key is not of its
     * preferred enctype; with this realm it is (aes256-cts), so there is no authorization data */
    CHECK_EQ(a.netypes > 0, m->authorization_data != NULL);
    CHECK(!a.other_authdata);
    real_free(&r);
}

static void test_truncated_or_altered_never_crashes(void)
{
    struct real r;
    real_make(&r);
    struct ng_krb5_authenticator a;
    for (size_t len = 0; len < r.plain.length; len++)
        CHECK_EQ(ng_krb5_authenticator_parse(ng_slice_of(r.plain.data, len), &a),
                 NG_ERR_INVALID_TOKEN);
    size_t refused = 0;
    uint8_t *copy = malloc(r.plain.length);
    for (size_t i = 0; i < r.plain.length; i++) {
        memcpy(copy, r.plain.data, r.plain.length);
        copy[i] ^= 0xff;
        ng_status st = ng_krb5_authenticator_parse(ng_slice_of(copy, r.plain.length), &a);
        CHECK(st == NG_OK || st == NG_ERR_INVALID_TOKEN);
        refused += st == NG_ERR_INVALID_TOKEN;
    }
    CHECK(refused > r.plain.length / 4);
    free(copy);
    real_free(&r);
}

/* ---- authorization data, on authenticators written here ------------------------------------- */

/* AuthorizationData with one element { ad-type, ad-data }. */
static void write_ad(struct ng_writer *w, uint32_t type, struct ng_slice data)
{
    size_t el = ng_krb5_explicit_uint_size(type) + ng_krb5_explicit_tlv_size(data.len);
    ng_der_write_header(w, NG_DER_SEQUENCE, ng_der_tlv_size(el));
    ng_der_write_header(w, NG_DER_SEQUENCE, el);
    ng_krb5_write_explicit_uint(w, 0, type);
    ng_krb5_write_explicit_tlv(w, 1, NG_DER_OCTET_STRING, data);
}

/* A minimal Authenticator (alice@R, no checksum) with `authdata` as its field [8]. */
static struct ng_writer authenticator_with(struct ng_slice authdata)
{
    static const char realm_name[] = "R", user[] = "alice", ctime[] = "20261125130000Z";
    size_t name = ng_krb5_explicit_uint_size(1) +
                  ng_der_tlv_size(ng_der_tlv_size(ng_der_tlv_size(strlen(user))));
    size_t seq = ng_krb5_explicit_uint_size(5) + ng_krb5_explicit_tlv_size(1) +
                 ng_der_tlv_size(ng_der_tlv_size(name)) + ng_krb5_explicit_uint_size(0) +
                 ng_krb5_explicit_tlv_size(15) + (authdata.len ? ng_der_tlv_size(authdata.len) : 0);
    struct ng_writer w = ng_writer_growable();
    ng_der_write_header(&w, NG_DER_APPLICATION(2), ng_der_tlv_size(seq));
    ng_der_write_header(&w, NG_DER_SEQUENCE, seq);
    ng_krb5_write_explicit_uint(&w, 0, 5);
    ng_krb5_write_explicit_tlv(&w, 1, NG_DER_GENERAL_STRING, ng_slice_of(realm_name, 1));
    ng_der_write_header(&w, NG_DER_CONTEXT(2), ng_der_tlv_size(name));
    ng_der_write_header(&w, NG_DER_SEQUENCE, name);
    ng_krb5_write_explicit_uint(&w, 0, 1);
    ng_der_write_header(&w, NG_DER_CONTEXT(1), ng_der_tlv_size(ng_der_tlv_size(strlen(user))));
    ng_der_write_header(&w, NG_DER_SEQUENCE, ng_der_tlv_size(strlen(user)));
    ng_der_write_general_string(&w, ng_slice_of(user, strlen(user)));
    ng_krb5_write_explicit_uint(&w, 4, 0);
    ng_krb5_write_explicit_tlv(&w, 5, NG_DER_GENERALIZED_TIME, ng_slice_of(ctime, 15));
    if (authdata.len) {
        ng_der_write_header(&w, NG_DER_CONTEXT(8), authdata.len);
        ng_write_slice(&w, authdata);
    }
    REQUIRE(ng_writer_status(&w) == NG_OK);
    return w;
}

static struct ng_krb5_authenticator parse_with(struct ng_slice authdata, ng_status *st)
{
    struct ng_writer w = authenticator_with(authdata);
    struct ng_krb5_authenticator a;
    *st = ng_krb5_authenticator_parse(ng_writer_slice(&w), &a);
    ng_writer_free(&w);
    return a;
}

static void test_authorization_data_sorted(void)
{
    ng_status st;
    struct ng_krb5_authenticator a = parse_with(NG_SLICE_EMPTY, &st);
    CHECK_EQ(st, NG_OK);
    CHECK(!a.has_checksum && !a.has_subkey && !a.has_seq_number && a.netypes == 0 &&
          !a.other_authdata);
    CHECK_EQ(a.ctime, 1795611600);

    static const uint8_t etypes[] = {0x30, 0x06, 0x02, 0x01, 0x12, 0x02, 0x01, 0x11}; /* 18, 17 */
    struct ng_writer bare = ng_writer_growable(), wrapped = ng_writer_growable(),
                     inner_pac = ng_writer_growable(), pac = ng_writer_growable(),
                     mandatory = ng_writer_growable(), other = ng_writer_growable();
    write_ad(&bare, 129, ng_slice_of(etypes, sizeof(etypes)));
    write_ad(&wrapped, 1, ng_writer_slice(&bare));
    a = parse_with(ng_writer_slice(&bare), &st);
    CHECK(st == NG_OK && a.netypes == 2 && a.etypes[0] == 18 && a.etypes[1] == 17 &&
          !a.other_authdata);
    a = parse_with(ng_writer_slice(&wrapped), &st);
    CHECK(st == NG_OK && a.netypes == 2 && a.etypes[0] == 18 && !a.other_authdata);
    /* a PAC (libkrb5's plugins verify it), even inside AD-IF-RELEVANT */
    write_ad(&inner_pac, 128, ng_slice_of("pac", 3));
    write_ad(&pac, 1, ng_writer_slice(&inner_pac));
    a = parse_with(ng_writer_slice(&pac), &st);
    CHECK(st == NG_OK && a.other_authdata);
    /* a mandatory element we do not know */
    write_ad(&mandatory, 77, ng_slice_of("x", 1));
    a = parse_with(ng_writer_slice(&mandatory), &st);
    CHECK(st == NG_OK && a.other_authdata);
    /* an ignorable one (inside AD-IF-RELEVANT): fine */
    write_ad(&other, 1, ng_writer_slice(&mandatory));
    a = parse_with(ng_writer_slice(&other), &st);
    CHECK(st == NG_OK && !a.other_authdata && a.netypes == 0);
    /* a malformed etype list is a malformed authenticator */
    static const uint8_t bad_list[] = {0x30, 0x03, 0x02, 0x02, 0x12};
    struct ng_writer bad = ng_writer_growable();
    write_ad(&bad, 129, ng_slice_of(bad_list, sizeof(bad_list)));
    a = parse_with(ng_writer_slice(&bad), &st);
    CHECK_EQ(st, NG_ERR_INVALID_TOKEN);
    struct ng_writer *all[] = {&bare, &wrapped, &inner_pac, &pac, &mandatory, &other, &bad};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        ng_writer_free(all[i]);
}

int main(void)
{
    RUN(test_kerberos_time);
    RUN(test_authorization_data_sorted);
    REQUIRE(ng_test_realm_start(&realm) == 0);
    RUN(test_decodes_like_libkrb5);
    RUN(test_truncated_or_altered_never_crashes);
    ng_test_realm_stop(&realm);
    return check_report();
}
