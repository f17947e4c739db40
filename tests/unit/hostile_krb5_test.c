/* Hostile-input catalogue, Kerberos side (docs/hostile-input.md): replayed and tampered AP-REQs,
 * authenticators whose RFC 4121 §4.1.1 checksum is missing or malformed, ticket kvnos over the
 * whole UInt32 range (parser level), and channel bindings that do not match, each sent through
 * AcceptSecurityContext with the SECURITY_STATUS it must produce. Clients are MIT's GSSAPI and,
 * where a client must misbehave, libkrb5 directly. */
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>
#include <negring/sspi.h>
#include <stdint.h>

#include "check.h"
#include "der.h"
#include "gss_framing.h"
#include "gss_peer.h"
#include "krb5_ap_req.h"
#include "krb5_gss_checksum.h"
#include "krb5_token.h"
#include "mech_oid.h"
#include "realm.h"
#include "spnego.h"
#include "writer.h"

static struct ng_test_realm realm;
static CredHandle negotiate, kerberos; /* INBOUND, the realm's service.keytab */
static const OM_uint32 mutual = GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG;

/* ---- helpers ----------------------------------------------------------------------------- */

static gss_buffer_desc mit_token(gss_OID mech, const char *bindings)
{
    struct ng_gss_initiator c;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", mech, mutual, NULL) == 0);
    if (bindings != NULL)
        ng_gss_initiator_set_bindings(&c, bindings, strlen(bindings));
    gss_buffer_desc tok;
    if (GSS_ERROR(ng_gss_initiator_step(&c, NULL, 0, &tok)))
        ng_gss_initiator_report(&c, "mit_token");
    REQUIRE(!GSS_ERROR(c.major));
    ng_gss_initiator_free(&c);
    return tok;
}

static void release(gss_buffer_desc *b)
{
    OM_uint32 minor;
    gss_release_buffer(&minor, b);
}

static SECURITY_STATUS accept_first(PCredHandle cred, struct ng_slice in, const void *bindings,
                                    size_t bindings_len)
{
    struct ng_accept_leg *l = calloc(1, sizeof(*l));
    REQUIRE(l != NULL);
    CtxtHandle ctx;
    ng_accept_leg_run(&(struct ng_accept_call){.cred = cred,
                                               .ctx_out = &ctx,
                                               .in = in.ptr,
                                               .in_len = in.len,
                                               .bindings = bindings,
                                               .bindings_len = bindings_len},
                      l);
    SECURITY_STATUS st = l->status;
    if (st == SEC_E_OK || st == SEC_I_CONTINUE_NEEDED)
        CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    free(l);
    return st;
}

static struct ng_slice gslice(const gss_buffer_desc *b)
{
    return ng_slice_of(b->value, b->length);
}

enum checksum_kind { CK_GSS, CK_NONE, CK_PLAIN };

/* A GSS-framed AP-REQ for HTTP/localhost made with libkrb5 directly, whose authenticator
 * carries `ck` as a 0x8003 checksum (CK_GSS), no checksum (CK_NONE) or an ordinary keyed
 * checksum over `ck` (CK_PLAIN). */
static void forged_ap_req(enum checksum_kind kind, const void *ck, size_t ck_len,
                          struct ng_writer *out)
{
    krb5_context k;
    krb5_ccache cc = NULL;
    krb5_creds in = {0}, *creds = NULL;
    krb5_auth_context ac = NULL;
    krb5_data ap = {0};
    krb5_data ckd = {KV5M_DATA, (unsigned int)ck_len, (char *)ck};
    REQUIRE(krb5_init_context(&k) == 0);
    REQUIRE(krb5_cc_resolve(k, realm.ccache, &cc) == 0);
    REQUIRE(krb5_cc_get_principal(k, cc, &in.client) == 0);
    REQUIRE(krb5_parse_name(k, realm.service, &in.server) == 0);
    REQUIRE(krb5_get_credentials(k, 0, cc, &in, &creds) == 0);
    REQUIRE(krb5_auth_con_init(k, &ac) == 0);
    if (kind == CK_GSS)
        REQUIRE(krb5_auth_con_set_req_cksumtype(k, ac, NG_GSS_CHECKSUM_TYPE) == 0);
    REQUIRE(krb5_mk_req_extended(k, &ac, AP_OPTS_MUTUAL_REQUIRED, kind == CK_NONE ? NULL : &ckd,
                                 creds, &ap) == 0);
    ng_krb5_frame(out, NG_KRB5_TOK_AP_REQ, ng_slice_of(ap.data, ap.length));
    REQUIRE(out->error == NG_OK);
    krb5_free_data_contents(k, &ap);
    krb5_auth_con_free(k, ac);
    krb5_free_creds(k, creds);
    krb5_free_cred_contents(k, &in);
    krb5_cc_close(k, cc);
    krb5_free_context(k);
}

/* The RFC 4121 §4.1.1 checksum bytes: Lgth, Bnd, Flags, then `tail`. */
static size_t gss_checksum(uint8_t *buf, uint32_t lgth, uint32_t flags, const void *tail,
                           size_t tail_len)
{
    struct ng_writer w = ng_writer_fixed(buf, 256);
    ng_write_le32(&w, lgth);
    ng_write_bytes(&w, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
    ng_write_le32(&w, flags);
    ng_write_bytes(&w, tail, tail_len);
    REQUIRE(w.error == NG_OK);
    return w.len;
}

static SECURITY_STATUS accept_forged(enum checksum_kind kind, const void *ck, size_t ck_len)
{
    struct ng_writer w = ng_writer_growable();
    forged_ap_req(kind, ck, ck_len, &w);
    SECURITY_STATUS st = accept_first(&kerberos, ng_writer_slice(&w), NULL, 0);
    ng_writer_free(&w);
    return st;
}

/* ---- replay -------------------------------------------------------------------------------- */

/* An AP-REQ accepted raw by the Kerberos package, then replayed inside a SPNEGO NegTokenInit to
 * Negotiate: the replay cache is keyed on the authenticator, not on the wrapping. */
static void test_replay_across_wrappings(void)
{
    static const enum ng_mech krb5[] = {NG_MECH_KRB5};
    gss_buffer_desc t = mit_token(gss_mech_krb5, NULL);
    struct ng_writer wrapped = ng_writer_growable();
    REQUIRE(ng_spnego_write_init(&wrapped, krb5, 1, gslice(&t), NG_SLICE_EMPTY) == NG_OK);
    CHECK_EQ(accept_first(&kerberos, gslice(&t), NULL, 0), SEC_E_OK);
    CHECK_EQ(accept_first(&negotiate, ng_writer_slice(&wrapped), NULL, 0), SEC_E_LOGON_DENIED);
    /* And with the Microsoft Kerberos OID on the wrapper. */
    static const enum ng_mech ms[] = {NG_MECH_KRB5_MS};
    struct ng_writer ms_wrapped = ng_writer_growable();
    REQUIRE(ng_spnego_write_init(&ms_wrapped, ms, 1, gslice(&t), NG_SLICE_EMPTY) == NG_OK);
    CHECK_EQ(accept_first(&negotiate, ng_writer_slice(&ms_wrapped), NULL, 0), SEC_E_LOGON_DENIED);
    ng_writer_free(&wrapped);
    ng_writer_free(&ms_wrapped);
    release(&t);
}

/* An AP-REQ already accepted, replayed as the response token of a second SPNEGO leg. */
static void test_replay_in_second_leg(void)
{
    static const enum ng_mech mechs[] = {NG_MECH_NEGOEX, NG_MECH_KRB5};
    gss_buffer_desc t = mit_token(gss_mech_krb5, NULL);
    CHECK_EQ(accept_first(&kerberos, gslice(&t), NULL, 0), SEC_E_OK);
    struct ng_writer init = ng_writer_growable(), resp = ng_writer_growable();
    REQUIRE(ng_spnego_write_init(&init, mechs, 2, NG_SLICE_EMPTY, NG_SLICE_EMPTY) == NG_OK);
    REQUIRE(ng_spnego_write_resp(&resp, NG_NEG_STATE_ABSENT, NG_MECH_NONE, gslice(&t),
                                 NG_SLICE_EMPTY) == NG_OK);
    struct ng_accept_leg *l = calloc(1, sizeof(*l));
    CtxtHandle ctx;
    ng_accept_leg_run(
        &(struct ng_accept_call){
            .cred = &negotiate, .ctx_out = &ctx, .in = init.buf, .in_len = init.len},
        l);
    REQUIRE(l->status == SEC_I_CONTINUE_NEEDED);
    ng_accept_leg_run(&(struct ng_accept_call){.cred = &negotiate,
                                               .ctx_in = &ctx,
                                               .ctx_out = &ctx,
                                               .in = resp.buf,
                                               .in_len = resp.len},
                      l);
    CHECK_EQ(l->status, SEC_E_LOGON_DENIED);
    CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    free(l);
    ng_writer_free(&init);
    ng_writer_free(&resp);
    release(&t);
}

/* ---- tampering ----------------------------------------------------------------------------- */

/* One bit flipped in the ticket's or the authenticator's ciphertext: libkrb5's integrity check
 * fails and the logon is denied. The untouched token is accepted afterwards (nothing of it was
 * recorded by the failed attempts). */
static void test_tampered_ciphertexts(void)
{
    gss_buffer_desc t = mit_token(gss_mech_krb5, NULL);
    struct ng_slice ap;
    REQUIRE(ng_krb5_unframe(gslice(&t), NG_KRB5_TOK_AP_REQ, &ap) == NG_OK);
    struct ng_krb5_ap_req req;
    REQUIRE(ng_krb5_ap_req_parse(ap, &req) == NG_OK);
    uint8_t *copy = malloc(t.length);
    REQUIRE(copy != NULL);
    struct ng_slice parts[2] = {req.ticket_cipher, req.authenticator_cipher};
    for (int i = 0; i < 2; i++) {
        memcpy(copy, t.value, t.length);
        size_t at = (size_t)(parts[i].ptr - (const uint8_t *)t.value) + parts[i].len / 2;
        copy[at] ^= 0x04;
        CHECK_EQ(accept_first(&kerberos, ng_slice_of(copy, t.length), NULL, 0), SEC_E_LOGON_DENIED);
    }
    CHECK_EQ(accept_first(&kerberos, gslice(&t), NULL, 0), SEC_E_OK);
    free(copy);
    release(&t);
}

/* ---- kvno (RFC 4120 §5.2.9 UInt32) -------------------------------------------------------- */

/* Moves `inner`'s bytes into `w` as one TLV and frees `inner`. */
static void wrap(struct ng_writer *w, uint8_t tag, struct ng_writer *inner)
{
    ng_der_write_tlv(w, tag, ng_writer_slice(inner));
    ng_writer_free(inner);
}

static void explicit_uint(struct ng_writer *w, uint8_t n, uint32_t v)
{
    struct ng_writer f = ng_writer_growable();
    ng_der_write_uint(&f, v);
    wrap(w, NG_DER_CONTEXT(n), &f);
}

/* EncryptedData with etype 18, `kvno` (a whole INTEGER TLV, or none) and a one-octet cipher. */
static void encrypted_data(struct ng_writer *w, const uint8_t *kvno, size_t kvno_len)
{
    struct ng_writer seq = ng_writer_growable(), f = ng_writer_growable(), c = ng_writer_growable();
    explicit_uint(&seq, 0, 18);
    if (kvno != NULL) {
        ng_write_bytes(&f, kvno, kvno_len);
        wrap(&seq, NG_DER_CONTEXT(1), &f);
    } else {
        ng_writer_free(&f);
    }
    ng_der_write_octet_string(&c, ng_slice_of("x", 1));
    wrap(&seq, NG_DER_CONTEXT(2), &c);
    wrap(w, NG_DER_SEQUENCE, &seq);
}

/* An AP-REQ for HTTP/localhost@EXAMPLE.TEST whose ticket carries `kvno` (an INTEGER TLV). */
static ng_status parse_with_kvno(const uint8_t *kvno, size_t kvno_len, struct ng_krb5_ap_req *req)
{
    struct ng_writer names = ng_writer_growable(), name_seq = ng_writer_growable(),
                     name = ng_writer_growable(), pn = ng_writer_growable();
    ng_der_write_general_string(&names, ng_slice_of("HTTP", 4));
    ng_der_write_general_string(&names, ng_slice_of("localhost", 9));
    wrap(&name_seq, NG_DER_SEQUENCE, &names);
    explicit_uint(&name, 0, 2);
    wrap(&name, NG_DER_CONTEXT(1), &name_seq);
    wrap(&pn, NG_DER_SEQUENCE, &name);

    struct ng_writer tseq = ng_writer_growable(), realm_f = ng_writer_growable(),
                     enc = ng_writer_growable(), tkt_app = ng_writer_growable();
    explicit_uint(&tseq, 0, 5);
    ng_der_write_general_string(&realm_f, ng_slice_of("EXAMPLE.TEST", 12));
    wrap(&tseq, NG_DER_CONTEXT(1), &realm_f);
    wrap(&tseq, NG_DER_CONTEXT(2), &pn);
    encrypted_data(&enc, kvno, kvno_len);
    wrap(&tseq, NG_DER_CONTEXT(3), &enc);
    struct ng_writer tkt = ng_writer_growable();
    wrap(&tkt, NG_DER_SEQUENCE, &tseq);
    wrap(&tkt_app, NG_DER_APPLICATION(1), &tkt);

    struct ng_writer seq = ng_writer_growable(), opts = ng_writer_growable(),
                     auth = ng_writer_growable(), msg = ng_writer_growable();
    explicit_uint(&seq, 0, 5);
    explicit_uint(&seq, 1, 14);
    ng_der_write_bit_string_flags(&opts, 0);
    wrap(&seq, NG_DER_CONTEXT(2), &opts);
    wrap(&seq, NG_DER_CONTEXT(3), &tkt_app);
    encrypted_data(&auth, NULL, 0);
    wrap(&seq, NG_DER_CONTEXT(4), &auth);
    struct ng_writer body = ng_writer_growable();
    wrap(&body, NG_DER_SEQUENCE, &seq);
    wrap(&msg, NG_DER_APPLICATION(14), &body);
    REQUIRE(msg.error == NG_OK);
    ng_status st = ng_krb5_ap_req_parse(ng_writer_slice(&msg), req);
    /* The acceptor's two steps (the ticket's inside read only on a ticket cache miss): the
     * AP-REQ around the ticket parses whatever the kvno, and the ticket's step answers as the
     * whole parse does. */
    struct ng_krb5_ap_req outer;
    CHECK_EQ(ng_krb5_ap_req_parse_outer(ng_writer_slice(&msg), &outer), NG_OK);
    CHECK(ng_slice_eq(outer.ticket, req->ticket));
    CHECK_EQ(ng_krb5_ap_req_parse_ticket(&outer), st);
    CHECK_EQ(outer.ticket_kvno, req->ticket_kvno);
    ng_writer_free(&msg);
    return st;
}

/* kvno is a UInt32: 2^31 and above come as five octets and pick that key; the legacy negative
 * Int32 form of the same bits is read alike; above 32 bits or non-minimal is malformed. */
static void test_ticket_kvno_full_uint32_range(void)
{
    static const struct {
        uint8_t der[8];
        size_t len;
        uint32_t kvno;
    } good[] = {
        {{0x02, 0x01, 0x02}, 3, 2},
        {{0x02, 0x04, 0x7f, 0xff, 0xff, 0xff}, 6, 0x7fffffff},
        {{0x02, 0x05, 0x00, 0x80, 0x00, 0x00, 0x00}, 7, 0x80000000},
        {{0x02, 0x05, 0x00, 0xff, 0xff, 0xff, 0xff}, 7, UINT32_MAX},
        {{0x02, 0x04, 0x80, 0x00, 0x00, 0x00}, 6, 0x80000000}, /* Int32 -2^31 */
        {{0x02, 0x01, 0xff}, 3, UINT32_MAX},                   /* Int32 -1 */
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct ng_krb5_ap_req req;
        CHECK_EQ(parse_with_kvno(good[i].der, good[i].len, &req), NG_OK);
        CHECK(req.ticket_has_kvno);
        CHECK_EQ(req.ticket_kvno, good[i].kvno);
    }
    static const struct {
        uint8_t der[8];
        size_t len;
    } bad[] = {
        {{0x02, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00}, 7},       /* 2^32 */
        {{0x02, 0x06, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00}, 8}, /* padded */
        {{0x02, 0x02, 0x00, 0x05}, 4},                         /* padded */
        {{0x02, 0x02, 0xff, 0xff}, 4},                         /* padded negative */
        {{0x02, 0x00}, 2},                                     /* empty */
        {{0x04, 0x01, 0x02}, 3},                               /* not an INTEGER */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct ng_krb5_ap_req req;
        CHECK_EQ(parse_with_kvno(bad[i].der, bad[i].len, &req), NG_ERR_INVALID_TOKEN);
    }
    struct ng_krb5_ap_req req;
    CHECK_EQ(parse_with_kvno(NULL, 0, &req), NG_OK);
    CHECK(!req.ticket_has_kvno);
}

/* ---- the 0x8003 checksum (RFC 4121 §4.1.1) ------------------------------------------------ */

/* GSS-API requires the 0x8003 checksum; an authenticator without any checksum, or with an
 * ordinary keyed checksum, is not a GSS token. */
static void test_authenticator_without_gss_checksum(void)
{
    CHECK_EQ(accept_forged(CK_NONE, NULL, 0), SEC_E_INVALID_TOKEN);
    static const char data[] = "application data";
    CHECK_EQ(accept_forged(CK_PLAIN, data, sizeof(data)), SEC_E_INVALID_TOKEN);
    /* The control: a well-formed 0x8003 checksum from the same client is accepted. */
    uint8_t ck[64];
    size_t n = gss_checksum(ck, 16, NG_GSS_C_MUTUAL_FLAG, NULL, 0);
    CHECK_EQ(accept_forged(CK_GSS, ck, n), SEC_E_OK);
}

/* Lgth other than 16, and a checksum cut short before the flags. */
static void test_gss_checksum_malformed(void)
{
    uint8_t ck[64];
    size_t n = gss_checksum(ck, 17, NG_GSS_C_MUTUAL_FLAG, NULL, 0);
    CHECK_EQ(accept_forged(CK_GSS, ck, n), SEC_E_INVALID_TOKEN);
    n = gss_checksum(ck, 0xffffffffu, NG_GSS_C_MUTUAL_FLAG, NULL, 0);
    CHECK_EQ(accept_forged(CK_GSS, ck, n), SEC_E_INVALID_TOKEN);
    n = gss_checksum(ck, 16, NG_GSS_C_MUTUAL_FLAG, NULL, 0);
    CHECK_EQ(accept_forged(CK_GSS, ck, n - 4), SEC_E_INVALID_TOKEN);
    CHECK_EQ(accept_forged(CK_GSS, ck, 3), SEC_E_INVALID_TOKEN);
}

/* GSS_C_DELEG_FLAG with a delegation option whose length runs past the checksum, or with an
 * option number other than 1. */
static void test_gss_checksum_delegation_out_of_bounds(void)
{
    uint8_t ck[64];
    static const uint8_t past_end[] = {0x01, 0x00, 0xe8, 0x03, 'K', 'R', 'B'}; /* Dlgth 1000 */
    size_t n = gss_checksum(ck, 16, NG_GSS_C_DELEG_FLAG | NG_GSS_C_MUTUAL_FLAG, past_end,
                            sizeof(past_end));
    CHECK_EQ(accept_forged(CK_GSS, ck, n), SEC_E_INVALID_TOKEN);
    static const uint8_t bad_option[] = {0x02, 0x00, 0x03, 0x00, 'K', 'R', 'B'};
    n = gss_checksum(ck, 16, NG_GSS_C_DELEG_FLAG | NG_GSS_C_MUTUAL_FLAG, bad_option,
                     sizeof(bad_option));
    CHECK_EQ(accept_forged(CK_GSS, ck, n), SEC_E_INVALID_TOKEN);
    static const uint8_t half_header[] = {0x01, 0x00, 0x03};
    n = gss_checksum(ck, 16, NG_GSS_C_DELEG_FLAG | NG_GSS_C_MUTUAL_FLAG, half_header,
                     sizeof(half_header));
    CHECK_EQ(accept_forged(CK_GSS, ck, n), SEC_E_INVALID_TOKEN);
}

/* ---- channel bindings (RFC 4121 §4.1.1.2) -------------------------------------------------- */

/* MIT's client bound to one TLS channel, the server to another (a relayed token): refused by
 * both packages. The same bindings on both sides are the control. */
static void test_channel_bindings_mismatch(void)
{
    size_t len;
    unsigned char *server = ng_sec_bindings_new("tls-server-end-point:BBBB", 25, &len);
    PCredHandle creds[2] = {&negotiate, &kerberos};
    gss_OID mechs[2] = {gss_mech_spnego, gss_mech_krb5};
    for (int i = 0; i < 2; i++) {
        gss_buffer_desc t = mit_token(mechs[i], "tls-server-end-point:AAAA");
        CHECK_EQ(accept_first(creds[i], gslice(&t), server, len), SEC_E_BAD_BINDINGS);
        release(&t);
        t = mit_token(mechs[i], "tls-server-end-point:BBBB");
        CHECK_EQ(accept_first(creds[i], gslice(&t), server, len), SEC_E_OK);
        release(&t);
    }
    free(server);
}

/* A SEC_CHANNEL_BINDINGS buffer whose offsets point outside it, or shorter than the structure,
 * against a client that sent bindings: a bad parameter, never a read outside the buffer. */
static void test_channel_bindings_buffer_out_of_bounds(void)
{
    size_t len;
    unsigned char *cb = ng_sec_bindings_new("tls-server-end-point:AAAA", 25, &len);
    SEC_CHANNEL_BINDINGS hdr;
    memcpy(&hdr, cb, sizeof(hdr));
    hdr.dwApplicationDataOffset = (ULONG)len; /* data starts at the end */
    memcpy(cb, &hdr, sizeof(hdr));
    gss_buffer_desc t = mit_token(gss_mech_spnego, "tls-server-end-point:AAAA");
    CHECK_EQ(accept_first(&negotiate, gslice(&t), cb, len), SEC_E_INVALID_PARAMETER);
    hdr.dwApplicationDataOffset = 0xfffffff0u; /* offset + length wraps 32 bits */
    memcpy(cb, &hdr, sizeof(hdr));
    CHECK_EQ(accept_first(&negotiate, gslice(&t), cb, len), SEC_E_INVALID_PARAMETER);
    CHECK_EQ(accept_first(&negotiate, gslice(&t), cb, sizeof(hdr) - 1), SEC_E_INVALID_PARAMETER);
    release(&t);
    free(cb);
}

int main(void)
{
    REQUIRE(ng_test_realm_start(&realm) == 0);
    REQUIRE(ng_acquire_acceptor(NULL, "Negotiate", NULL, 0, &negotiate) == SEC_E_OK);
    REQUIRE(ng_acquire_acceptor(NULL, "Kerberos", NULL, 0, &kerberos) == SEC_E_OK);
    RUN(test_replay_across_wrappings);
    RUN(test_replay_in_second_leg);
    RUN(test_tampered_ciphertexts);
    RUN(test_ticket_kvno_full_uint32_range);
    RUN(test_authenticator_without_gss_checksum);
    RUN(test_gss_checksum_malformed);
    RUN(test_gss_checksum_delegation_out_of_bounds);
    RUN(test_channel_bindings_mismatch);
    RUN(test_channel_bindings_buffer_out_of_bounds);
    FreeCredentialsHandle(&negotiate);
    FreeCredentialsHandle(&kerberos);
    ng_test_realm_stop(&realm);
    return check_report();
}
