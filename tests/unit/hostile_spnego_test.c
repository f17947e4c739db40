/* Hostile-input catalogue, SPNEGO side (docs/hostile-input.md): each test is one attack on the
 * Negotiate acceptor, sent through AcceptSecurityContext with real Kerberos tokens from MIT's
 * GSSAPI (realm harness), and asserts the SECURITY_STATUS it must produce. Malformed DER,
 * mechanism-selection tricks and mechListMIC downgrades (RFC 4178 §5). */
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <negring/sspi.h>
#include <stdint.h>
#include <time.h>

#include "check.h"
#include "der.h"
#include "gss_framing.h"
#include "gss_peer.h"
#include "mech_oid.h"
#include "realm.h"
#include "spnego.h"
#include "writer.h"

static struct ng_test_realm realm;
static CredHandle cred; /* Negotiate, INBOUND, the realm's service.keytab */
static const uint8_t spnego_reject[] = {0xa1, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x0a, 0x01, 0x02};

/* ---- helpers ----------------------------------------------------------------------------- */

/* MIT's krb5 mechanism as the client, kept open so it can make the mechListMIC afterwards. */
struct client {
    struct ng_gss_initiator gss;
    gss_buffer_desc token; /* the framed AP-REQ */
};

static void client_start(struct client *c, OM_uint32 flags)
{
    REQUIRE(ng_gss_initiator_init(&c->gss, "HTTP@localhost", gss_mech_krb5, flags, NULL) == 0);
    if (GSS_ERROR(ng_gss_initiator_step(&c->gss, NULL, 0, &c->token)))
        ng_gss_initiator_report(&c->gss, "client_start");
    REQUIRE(!GSS_ERROR(c->gss.major));
}

static void client_end(struct client *c)
{
    OM_uint32 minor;
    gss_release_buffer(&minor, &c->token);
    ng_gss_initiator_free(&c->gss);
}

static struct ng_slice client_token(const struct client *c)
{
    return ng_slice_of(c->token.value, c->token.length);
}

/* The client's MIC (RFC 4121 §4.2.6.1) over the DER MechTypeList of `mechs`. */
static void client_mic(struct client *c, const enum ng_mech *mechs, size_t n, struct ng_writer *out)
{
    struct ng_writer list = ng_writer_growable();
    REQUIRE(ng_spnego_write_mech_list(&list, mechs, n) == NG_OK);
    gss_buffer_desc in = {list.len, list.buf}, mic;
    OM_uint32 minor;
    REQUIRE(gss_get_mic(&minor, c->gss.ctx, GSS_C_QOP_DEFAULT, &in, &mic) == GSS_S_COMPLETE);
    ng_write_bytes(out, mic.value, mic.length);
    gss_release_buffer(&minor, &mic);
    ng_writer_free(&list);
}

/* One AcceptSecurityContext leg (first when ctx_in is NULL). */
static SECURITY_STATUS leg(PCtxtHandle ctx_in, PCtxtHandle ctx_out, struct ng_slice in, ULONG req,
                           struct ng_accept_leg *out)
{
    ng_accept_leg_run(&(struct ng_accept_call){.cred = &cred,
                                               .ctx_in = ctx_in,
                                               .ctx_out = ctx_out,
                                               .in = in.ptr,
                                               .in_len = in.len,
                                               .req = req},
                      out);
    return out->status;
}

/* A first leg on a fresh context that is deleted afterwards when one was made. */
static SECURITY_STATUS accept_first(struct ng_slice in, ULONG req, struct ng_accept_leg *out)
{
    CtxtHandle ctx;
    SECURITY_STATUS st = leg(NULL, &ctx, in, req, out);
    if (st == SEC_E_OK || st == SEC_I_CONTINUE_NEEDED)
        CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    return st;
}

static struct ng_slice wslice(const struct ng_writer *w)
{
    return ng_writer_slice(w);
}

static struct ng_accept_leg *new_leg(void)
{
    struct ng_accept_leg *l = calloc(1, sizeof(*l));
    REQUIRE(l != NULL);
    return l;
}

/* An InitialContextToken with the SPNEGO OID around `inner` (any bytes). */
static void spnego_frame(struct ng_writer *w, const void *inner, size_t len)
{
    struct ng_slice part = ng_slice_of(inner, len);
    ng_gss_frame_write(w, ng_spnego_oid(), &part, 1);
}

/* ---- malformed DER ------------------------------------------------------------------------ */

/* An inner length (the mechToken OCTET STRING) that runs past its enclosing [2] and SEQUENCE
 * into bytes that follow, though not past the whole buffer. */
static void test_inner_length_beyond_parent(void)
{
    struct client c;
    client_start(&c, GSS_C_MUTUAL_FLAG);
    static const enum ng_mech krb5[] = {NG_MECH_KRB5};
    struct ng_writer ok = ng_writer_growable();
    REQUIRE(ng_spnego_write_init(&ok, krb5, 1, client_token(&c), NG_SLICE_EMPTY) == NG_OK);
    /* Rebuild by hand with the OCTET STRING claiming 4 more bytes than its [2] holds, and 4
     * spare bytes after the SEQUENCE so the claim stays inside the buffer. */
    size_t tok_len = c.token.length;
    size_t list_len = ng_der_tlv_size(ng_der_tlv_size(ng_mech_oid(NG_MECH_KRB5).len));
    size_t field2_len = ng_der_tlv_size(tok_len);
    size_t seq_len = ng_der_tlv_size(list_len) + ng_der_tlv_size(field2_len);
    size_t choice_len = ng_der_tlv_size(seq_len) + 4;
    struct ng_writer bad = ng_writer_growable();
    ng_gss_frame_write_header(&bad, ng_spnego_oid(), ng_der_tlv_size(choice_len));
    ng_der_write_header(&bad, NG_DER_CONTEXT(0), choice_len);
    ng_der_write_header(&bad, NG_DER_SEQUENCE, seq_len);
    ng_der_write_header(&bad, NG_DER_CONTEXT(0), list_len);
    REQUIRE(ng_spnego_write_mech_list(&bad, krb5, 1) == NG_OK);
    ng_der_write_header(&bad, NG_DER_CONTEXT(2), field2_len);
    ng_der_write_header(&bad, NG_DER_OCTET_STRING, tok_len + 4);
    ng_write_bytes(&bad, c.token.value, tok_len);
    ng_write_bytes(&bad, "\x00\x00\x00\x00", 4);
    REQUIRE(bad.error == NG_OK && bad.len == ok.len + 4);
    struct ng_accept_leg *l = new_leg();
    CHECK_EQ(accept_first(wslice(&bad), ASC_REQ_EXTENDED_ERROR, l), SEC_E_INVALID_TOKEN);
    CHECK_EQ(l->out_len, sizeof(spnego_reject));
    /* The well-formed token with the same AP-REQ is still accepted: it was never consumed. */
    CHECK_EQ(accept_first(wslice(&ok), 0, l), SEC_E_OK);
    free(l);
    ng_writer_free(&ok);
    ng_writer_free(&bad);
    client_end(&c);
}

/* X.690 §8.1.3.5 long-form lengths that overflow 32 bits or an int32, deep inside the token:
 * in the mechToken OCTET STRING and in the AP-REQ's own outer length. */
static void test_der_length_overflow_inside(void)
{
    static const uint8_t huge_lengths[][5] = {{0x84, 0xff, 0xff, 0xff, 0xff},
                                              {0x84, 0x80, 0x00, 0x00, 0x00},
                                              {0x84, 0x7f, 0xff, 0xff, 0xff}};
    struct ng_accept_leg *l = new_leg();
    for (size_t i = 0; i < 3; i++) {
        /* ... [2] { OCTET STRING <huge> } ... */
        uint8_t inner[64];
        size_t n = 0;
        static const uint8_t head[] = {0xa0, 0x1a, 0x30, 0x18, 0xa0, 0x0b, 0x30, 0x09, 0x06, 0x07,
                                       0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0xa2, 0x09, 0x04};
        /* The mechanism is 1.2.840.113554.1 (7 octets, unknown to us): the parser still reads
         * on to the mechToken. */
        memcpy(inner, head, sizeof(head));
        n = sizeof(head);
        memcpy(inner + n, huge_lengths[i], 5);
        n += 5;
        inner[n++] = 0x60; /* 3 bytes where the claimed contents would start */
        inner[n++] = 0x00;
        inner[n++] = 0x00;
        struct ng_writer w = ng_writer_growable();
        spnego_frame(&w, inner, n);
        CHECK_EQ(accept_first(wslice(&w), 0, l), SEC_E_INVALID_TOKEN);
        ng_writer_free(&w);

        /* A krb5 token whose AP-REQ [APPLICATION 14] claims the huge length. */
        uint8_t krb[32] = {0x60, 0x13, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                           0xf7, 0x12, 0x01, 0x02, 0x02, 0x01, 0x00, 0x6e};
        memcpy(krb + 16, huge_lengths[i], 5);
        CHECK_EQ(accept_first(ng_slice_of(krb, 21), 0, l), SEC_E_INVALID_TOKEN);
    }
    free(l);
}

/* X.690 §8.1.3.6 indefinite length (0x80), which DER forbids, at the outer frame and inside. */
static void test_indefinite_lengths(void)
{
    struct client c;
    client_start(&c, GSS_C_MUTUAL_FLAG);
    static const enum ng_mech krb5[] = {NG_MECH_KRB5};
    struct ng_writer ok = ng_writer_growable();
    REQUIRE(ng_spnego_write_init(&ok, krb5, 1, client_token(&c), NG_SLICE_EMPTY) == NG_OK);
    struct ng_accept_leg *l = new_leg();

    /* 60 80 <contents> 00 00 */
    struct ng_writer outer = ng_writer_growable();
    struct ng_reader r = ng_reader_of(wslice(&ok));
    struct ng_der_tlv frame;
    REQUIRE(ng_der_read_tlv(&r, &frame));
    ng_write_u8(&outer, 0x60);
    ng_write_u8(&outer, 0x80);
    ng_write_slice(&outer, frame.value);
    ng_write_bytes(&outer, "\x00\x00", 2);
    CHECK_EQ(accept_first(wslice(&outer), 0, l), SEC_E_INVALID_TOKEN);

    /* The NegotiationToken [0] indefinite inside a definite frame. */
    struct ng_reader inner = ng_reader_of(frame.value);
    (void)ng_der_read_oid(&inner);
    struct ng_der_tlv choice;
    REQUIRE(ng_der_read_tlv(&inner, &choice));
    struct ng_writer body = ng_writer_growable();
    ng_der_write_oid(&body, ng_spnego_oid());
    ng_write_u8(&body, NG_DER_CONTEXT(0));
    ng_write_u8(&body, 0x80);
    ng_write_slice(&body, choice.value);
    ng_write_bytes(&body, "\x00\x00", 2);
    struct ng_writer framed = ng_writer_growable();
    ng_der_write_tlv(&framed, NG_DER_APPLICATION(0), wslice(&body));
    CHECK_EQ(accept_first(wslice(&framed), 0, l), SEC_E_INVALID_TOKEN);

    /* The AP-REQ's GSS frame indefinite, as a raw krb5 token. */
    struct ng_writer raw = ng_writer_growable();
    r = ng_reader_of(client_token(&c));
    REQUIRE(ng_der_read_tlv(&r, &frame));
    ng_write_u8(&raw, 0x60);
    ng_write_u8(&raw, 0x80);
    ng_write_slice(&raw, frame.value);
    ng_write_bytes(&raw, "\x00\x00", 2);
    CHECK_EQ(accept_first(wslice(&raw), 0, l), SEC_E_INVALID_TOKEN);

    /* None of them consumed the AP-REQ. */
    CHECK_EQ(accept_first(wslice(&ok), 0, l), SEC_E_OK);
    free(l);
    ng_writer_free(&ok);
    ng_writer_free(&outer);
    ng_writer_free(&body);
    ng_writer_free(&framed);
    ng_writer_free(&raw);
    client_end(&c);
}

/* `depth` nested constructed TLVs of `tag` around an empty SEQUENCE, built inside out. */
static void nest(struct ng_writer *w, uint8_t tag, size_t depth)
{
    size_t *sizes = malloc((depth + 1) * sizeof(*sizes));
    REQUIRE(sizes != NULL);
    sizes[0] = 2; /* 30 00 */
    for (size_t i = 1; i <= depth; i++)
        sizes[i] = ng_der_tlv_size(sizes[i - 1]);
    for (size_t i = depth; i >= 1; i--)
        ng_der_write_header(w, tag, sizes[i - 1]);
    ng_write_bytes(w, "\x30\x00", 2);
    free(sizes);
}

/* 100,000 nested constructed values (about 480 KB) in the SPNEGO body, in the mechToken and in
 * a NegTokenResp: refused quickly, without recursion or stack growth. */
static void test_nesting_depth_bomb(void)
{
    enum { DEPTH = 100000 };
    struct ng_accept_leg *l = new_leg();
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    struct ng_writer body = ng_writer_growable();
    nest(&body, NG_DER_CONTEXT(0), DEPTH);
    struct ng_writer tok = ng_writer_growable();
    spnego_frame(&tok, body.buf, body.len);
    REQUIRE(tok.error == NG_OK && tok.len > 400000);
    CHECK_EQ(accept_first(wslice(&tok), 0, l), SEC_E_INVALID_TOKEN);

    /* As the optimistic Kerberos token: [APPLICATION 0] frames all the way down. */
    struct ng_writer bomb = ng_writer_growable();
    nest(&bomb, NG_DER_APPLICATION(0), DEPTH);
    static const enum ng_mech krb5[] = {NG_MECH_KRB5};
    struct ng_writer init = ng_writer_growable();
    REQUIRE(ng_spnego_write_init(&init, krb5, 1, wslice(&bomb), NG_SLICE_EMPTY) == NG_OK);
    CHECK_EQ(accept_first(wslice(&init), 0, l), SEC_E_INVALID_TOKEN);

    /* As a second-leg NegTokenResp. */
    CtxtHandle ctx;
    REQUIRE(leg(NULL, &ctx, NG_SLICE_EMPTY, 0, l) == SEC_I_CONTINUE_NEEDED);
    struct ng_writer resp = ng_writer_growable();
    nest(&resp, NG_DER_CONTEXT(1), DEPTH);
    CHECK_EQ(leg(&ctx, &ctx, wslice(&resp), 0, l), SEC_E_INVALID_TOKEN);
    CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);

    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK(secs < 2.0);
    free(l);
    ng_writer_free(&body);
    ng_writer_free(&tok);
    ng_writer_free(&bomb);
    ng_writer_free(&init);
    ng_writer_free(&resp);
}

/* A token far larger than any real one (1 MiB) that is well formed only at the start. */
static void test_oversized_token(void)
{
    size_t n = 1u << 20;
    uint8_t *big = calloc(1, n);
    REQUIRE(big != NULL);
    struct ng_writer w = ng_writer_fixed(big, n);
    ng_gss_frame_write_header(&w, ng_spnego_oid(), n - 20);
    REQUIRE(w.error == NG_OK);
    struct ng_accept_leg *l = new_leg();
    CHECK_EQ(accept_first(ng_slice_of(big, n), 0, l), SEC_E_INVALID_TOKEN);
    free(l);
    free(big);
}

/* ---- mechanism selection ------------------------------------------------------------------ */

/* Only mechanisms we do not have: an unknown OID and NEGOEX. Refused; with
 * ASC_REQ_EXTENDED_ERROR the client is told with a SPNEGO reject. */
static void test_unknown_mechs_only(void)
{
    static const uint8_t unknown_oid[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x7f};
    struct ng_writer list = ng_writer_growable();
    ng_der_write_header(&list, NG_DER_SEQUENCE,
                        ng_der_tlv_size(sizeof(unknown_oid)) +
                            ng_der_tlv_size(ng_mech_oid(NG_MECH_NEGOEX).len));
    ng_der_write_oid(&list, ng_slice_of(unknown_oid, sizeof(unknown_oid)));
    ng_der_write_oid(&list, ng_mech_oid(NG_MECH_NEGOEX));
    struct ng_writer seq = ng_writer_growable();
    ng_der_write_tlv(&seq, NG_DER_CONTEXT(0), wslice(&list));
    struct ng_writer choice = ng_writer_growable();
    ng_der_write_tlv(&choice, NG_DER_SEQUENCE, wslice(&seq));
    struct ng_writer inner = ng_writer_growable();
    ng_der_write_tlv(&inner, NG_DER_CONTEXT(0), wslice(&choice));
    struct ng_writer tok = ng_writer_growable();
    spnego_frame(&tok, inner.buf, inner.len);
    struct ng_spnego_token parsed;
    REQUIRE(ng_spnego_parse(wslice(&tok), &parsed) == NG_OK && parsed.init.nmechs == 2);
    struct ng_accept_leg *l = new_leg();
    CHECK_EQ(accept_first(wslice(&tok), 0, l), SEC_E_INVALID_TOKEN);
    CHECK_EQ(accept_first(wslice(&tok), ASC_REQ_EXTENDED_ERROR, l), SEC_E_INVALID_TOKEN);
    CHECK_EQ(l->out_len, sizeof(spnego_reject));
    CHECK_MEM(l->out, spnego_reject, sizeof(spnego_reject));
    free(l);
    ng_writer_free(&list);
    ng_writer_free(&seq);
    ng_writer_free(&choice);
    ng_writer_free(&inner);
    ng_writer_free(&tok);
}

/* The same mechanism listed twice (and both Kerberos OIDs): harmless, the first is taken with
 * its optimistic token and no MIC is demanded. */
static void test_duplicate_mech_oids(void)
{
    static const enum ng_mech twice[] = {NG_MECH_KRB5, NG_MECH_KRB5, NG_MECH_KRB5_MS};
    struct client c;
    client_start(&c, GSS_C_MUTUAL_FLAG);
    struct ng_writer tok = ng_writer_growable();
    REQUIRE(ng_spnego_write_init(&tok, twice, 3, client_token(&c), NG_SLICE_EMPTY) == NG_OK);
    struct ng_accept_leg *l = new_leg();
    CHECK_EQ(accept_first(wslice(&tok), 0, l), SEC_E_OK);
    /* Duplicates of a mechanism we do not take, before Kerberos: Kerberos is picked second, so
     * the MIC exchange is demanded (request-mic) and the optimistic token is not used. */
    static const enum ng_mech negoex_twice[] = {NG_MECH_NEGOEX, NG_MECH_NEGOEX, NG_MECH_KRB5};
    struct ng_writer tok2 = ng_writer_growable();
    REQUIRE(ng_spnego_write_init(&tok2, negoex_twice, 3, NG_SLICE_EMPTY, NG_SLICE_EMPTY) == NG_OK);
    CHECK_EQ(accept_first(wslice(&tok2), 0, l), SEC_I_CONTINUE_NEEDED);
    struct ng_spnego_token reply;
    CHECK_EQ(ng_spnego_parse(ng_slice_of(l->out, l->out_len), &reply), NG_OK);
    CHECK_EQ(reply.resp.neg_state, NG_NEG_STATE_REQUEST_MIC);
    CHECK_EQ(reply.resp.supported_mech, NG_MECH_KRB5);
    free(l);
    ng_writer_free(&tok);
    ng_writer_free(&tok2);
    client_end(&c);
}

/* More than NG_SPNEGO_MAX_MECHS mechanisms: refused before anything is chosen. */
static void test_too_many_mechs(void)
{
    enum ng_mech many[NG_SPNEGO_MAX_MECHS + 1];
    for (size_t i = 0; i <= NG_SPNEGO_MAX_MECHS; i++)
        many[i] = i == NG_SPNEGO_MAX_MECHS ? NG_MECH_KRB5 : NG_MECH_NEGOEX;
    /* The encoder refuses so many; write the list by hand. */
    struct ng_writer list = ng_writer_growable();
    size_t content = 0;
    for (size_t i = 0; i <= NG_SPNEGO_MAX_MECHS; i++)
        content += ng_der_tlv_size(ng_mech_oid(many[i]).len);
    ng_der_write_header(&list, NG_DER_SEQUENCE, content);
    for (size_t i = 0; i <= NG_SPNEGO_MAX_MECHS; i++)
        ng_der_write_oid(&list, ng_mech_oid(many[i]));
    struct ng_writer f0 = ng_writer_growable();
    ng_der_write_tlv(&f0, NG_DER_CONTEXT(0), wslice(&list));
    struct ng_writer seq = ng_writer_growable();
    ng_der_write_tlv(&seq, NG_DER_SEQUENCE, wslice(&f0));
    struct ng_writer choice = ng_writer_growable();
    ng_der_write_tlv(&choice, NG_DER_CONTEXT(0), wslice(&seq));
    struct ng_writer tok = ng_writer_growable();
    spnego_frame(&tok, choice.buf, choice.len);
    struct ng_accept_leg *l = new_leg();
    CHECK_EQ(accept_first(wslice(&tok), 0, l), SEC_E_INVALID_TOKEN);
    free(l);
    ng_writer_free(&list);
    ng_writer_free(&f0);
    ng_writer_free(&seq);
    ng_writer_free(&choice);
    ng_writer_free(&tok);
}

/* RFC 4178 §4.2.1: the optimistic mechToken belongs to the client's first mechanism. A real
 * Kerberos AP-REQ offered as the token of NEGOEX (listed first) must not be run as Kerberos:
 * Kerberos is chosen, request-mic is answered with no response token, and the AP-REQ was not
 * consumed (it still works in the next leg). */
static void test_optimistic_token_for_unselected_mech(void)
{
    static const enum ng_mech mechs[] = {NG_MECH_NEGOEX, NG_MECH_KRB5};
    struct client c;
    client_start(&c, GSS_C_INTEG_FLAG);
    struct ng_writer init = ng_writer_growable();
    REQUIRE(ng_spnego_write_init(&init, mechs, 2, client_token(&c), NG_SLICE_EMPTY) == NG_OK);
    struct ng_accept_leg *l = new_leg();
    CtxtHandle ctx;
    CHECK_EQ(leg(NULL, &ctx, wslice(&init), 0, l), SEC_I_CONTINUE_NEEDED);
    struct ng_spnego_token reply;
    CHECK_EQ(ng_spnego_parse(ng_slice_of(l->out, l->out_len), &reply), NG_OK);
    CHECK_EQ(reply.resp.neg_state, NG_NEG_STATE_REQUEST_MIC);
    CHECK_EQ(reply.resp.supported_mech, NG_MECH_KRB5);
    CHECK(!reply.resp.has_response_token);
    CHECK_EQ(l->attrs, 0);
    struct ng_writer resp = ng_writer_growable();
    REQUIRE(ng_spnego_write_resp(&resp, NG_NEG_STATE_ABSENT, NG_MECH_NONE, client_token(&c),
                                 NG_SLICE_EMPTY) == NG_OK);
    CHECK_EQ(leg(&ctx, &ctx, wslice(&resp), 0, l), SEC_I_CONTINUE_NEEDED);
    CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    free(l);
    ng_writer_free(&init);
    ng_writer_free(&resp);
    client_end(&c);
}

/* ---- mechListMIC (RFC 4178 §5) ------------------------------------------------------------ */

/* The three legs when Kerberos is not the client's first choice: NegTokenInit {NEGOEX, krb5},
 * NegTokenResp {AP-REQ}, NegTokenResp {client's mechListMIC over `mic_mechs`}. No mutual
 * authentication, so the context key is the client's and MIT can make the MIC before we reply.
 * Returns the last leg's status; *second the second leg's. */
static SECURITY_STATUS mic_exchange(const enum ng_mech *mic_mechs, size_t n_mic, bool corrupt,
                                    bool send_mic, SECURITY_STATUS *second)
{
    static const enum ng_mech mechs[] = {NG_MECH_NEGOEX, NG_MECH_KRB5};
    struct client c;
    client_start(&c, GSS_C_INTEG_FLAG);
    struct ng_writer init = ng_writer_growable(), resp = ng_writer_growable(),
                     mic = ng_writer_growable(), last = ng_writer_growable();
    REQUIRE(ng_spnego_write_init(&init, mechs, 2, NG_SLICE_EMPTY, NG_SLICE_EMPTY) == NG_OK);
    REQUIRE(ng_spnego_write_resp(&resp, NG_NEG_STATE_ABSENT, NG_MECH_NONE, client_token(&c),
                                 NG_SLICE_EMPTY) == NG_OK);
    client_mic(&c, mic_mechs, n_mic, &mic);
    if (corrupt)
        mic.buf[mic.len - 1] ^= 0x01;
    if (send_mic)
        REQUIRE(ng_spnego_write_resp(&last, NG_NEG_STATE_ACCEPT_COMPLETED, NG_MECH_NONE,
                                     NG_SLICE_EMPTY, wslice(&mic)) == NG_OK);
    else
        REQUIRE(ng_spnego_write_resp(&last, NG_NEG_STATE_ACCEPT_COMPLETED, NG_MECH_NONE,
                                     NG_SLICE_EMPTY, NG_SLICE_EMPTY) == NG_OK);
    struct ng_accept_leg *l = new_leg();
    CtxtHandle ctx;
    REQUIRE(leg(NULL, &ctx, wslice(&init), 0, l) == SEC_I_CONTINUE_NEEDED);
    *second = leg(&ctx, &ctx, wslice(&resp), 0, l);
    SECURITY_STATUS st = *second;
    if (st == SEC_I_CONTINUE_NEEDED) {
        struct ng_spnego_token reply;
        CHECK_EQ(ng_spnego_parse(ng_slice_of(l->out, l->out_len), &reply), NG_OK);
        CHECK(reply.resp.has_mech_list_mic); /* ours, sent before we have the client's */
        CHECK_EQ(l->attrs, 0);               /* no security flags before the last leg */
        st = leg(&ctx, &ctx, wslice(&last), ASC_REQ_EXTENDED_ERROR, l);
        if (st != SEC_E_OK)
            CHECK(l->out_len == 0 || (l->out_len == sizeof(spnego_reject) &&
                                      memcmp(l->out, spnego_reject, l->out_len) == 0));
    }
    DeleteSecurityContext(&ctx);
    free(l);
    ng_writer_free(&init);
    ng_writer_free(&resp);
    ng_writer_free(&mic);
    ng_writer_free(&last);
    client_end(&c);
    return st;
}

/* The control: the client's MIC over the list it sent completes the context. */
static void test_mech_list_mic_valid_completes(void)
{
    static const enum ng_mech sent[] = {NG_MECH_NEGOEX, NG_MECH_KRB5};
    SECURITY_STATUS second;
    CHECK_EQ(mic_exchange(sent, 2, false, true, &second), SEC_E_OK);
    CHECK_EQ(second, SEC_I_CONTINUE_NEEDED);
}

/* Downgrade: the client's MIC covers another list than the one we received (an attacker
 * rewrote the mechanism list in transit). */
static void test_mech_list_mic_mismatch_downgrade(void)
{
    static const enum ng_mech original[] = {NG_MECH_KRB5, NG_MECH_NEGOEX};
    SECURITY_STATUS second;
    CHECK_EQ(mic_exchange(original, 2, false, true, &second), SEC_E_MESSAGE_ALTERED);
}

/* The MIC's checksum altered by one bit. */
static void test_mech_list_mic_corrupted(void)
{
    static const enum ng_mech sent[] = {NG_MECH_NEGOEX, NG_MECH_KRB5};
    SECURITY_STATUS second;
    CHECK_EQ(mic_exchange(sent, 2, true, true, &second), SEC_E_MESSAGE_ALTERED);
}

/* Downgrade by omission: the last leg claims completion without the owed MIC. */
static void test_mech_list_mic_dropped(void)
{
    static const enum ng_mech sent[] = {NG_MECH_NEGOEX, NG_MECH_KRB5};
    SECURITY_STATUS second;
    CHECK_EQ(mic_exchange(sent, 2, false, false, &second), SEC_E_INVALID_TOKEN);
}

/* A mechListMIC sent with the optimistic token in the first leg that does not verify. */
static void test_mech_list_mic_bogus_in_first_leg(void)
{
    static const enum ng_mech krb5[] = {NG_MECH_KRB5};
    static const enum ng_mech other[] = {NG_MECH_KRB5, NG_MECH_NEGOEX};
    struct client c;
    client_start(&c, GSS_C_INTEG_FLAG);
    struct ng_writer mic = ng_writer_growable(), tok = ng_writer_growable();
    client_mic(&c, other, 2, &mic);
    REQUIRE(ng_spnego_write_init(&tok, krb5, 1, client_token(&c), wslice(&mic)) == NG_OK);
    struct ng_accept_leg *l = new_leg();
    CHECK_EQ(accept_first(wslice(&tok), 0, l), SEC_E_MESSAGE_ALTERED);
    free(l);
    ng_writer_free(&mic);
    ng_writer_free(&tok);
    client_end(&c);
}

/* ---- out-of-order legs -------------------------------------------------------------------- */

/* After request-mic, a second NegTokenInit instead of a NegTokenResp. */
static void test_second_leg_init_instead_of_resp(void)
{
    static const enum ng_mech mechs[] = {NG_MECH_NEGOEX, NG_MECH_KRB5};
    struct ng_writer init = ng_writer_growable();
    REQUIRE(ng_spnego_write_init(&init, mechs, 2, NG_SLICE_EMPTY, NG_SLICE_EMPTY) == NG_OK);
    struct ng_accept_leg *l = new_leg();
    CtxtHandle ctx;
    REQUIRE(leg(NULL, &ctx, wslice(&init), 0, l) == SEC_I_CONTINUE_NEEDED);
    CHECK_EQ(leg(&ctx, &ctx, wslice(&init), 0, l), SEC_E_INVALID_TOKEN);
    /* The failed context takes no more legs. */
    CHECK_EQ(leg(&ctx, &ctx, wslice(&init), 0, l), SEC_E_INVALID_HANDLE);
    CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    free(l);
    ng_writer_free(&init);
}

/* A NegTokenResp with neither a response token nor a MIC where the AP-REQ is due, and one that
 * rejects: refused. */
static void test_second_leg_empty_or_reject(void)
{
    static const enum ng_mech mechs[] = {NG_MECH_NEGOEX, NG_MECH_KRB5};
    struct ng_writer init = ng_writer_growable(), empty = ng_writer_growable(),
                     reject = ng_writer_growable();
    REQUIRE(ng_spnego_write_init(&init, mechs, 2, NG_SLICE_EMPTY, NG_SLICE_EMPTY) == NG_OK);
    REQUIRE(ng_spnego_write_resp(&empty, NG_NEG_STATE_ACCEPT_INCOMPLETE, NG_MECH_NONE,
                                 NG_SLICE_EMPTY, NG_SLICE_EMPTY) == NG_OK);
    REQUIRE(ng_spnego_write_resp(&reject, NG_NEG_STATE_REJECT, NG_MECH_NONE, NG_SLICE_EMPTY,
                                 NG_SLICE_EMPTY) == NG_OK);
    struct ng_accept_leg *l = new_leg();
    CtxtHandle ctx;
    REQUIRE(leg(NULL, &ctx, wslice(&init), 0, l) == SEC_I_CONTINUE_NEEDED);
    CHECK_EQ(leg(&ctx, &ctx, wslice(&empty), 0, l), SEC_E_INVALID_TOKEN);
    CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    REQUIRE(leg(NULL, &ctx, wslice(&init), 0, l) == SEC_I_CONTINUE_NEEDED);
    CHECK_EQ(leg(&ctx, &ctx, wslice(&reject), 0, l), SEC_E_LOGON_DENIED);
    CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    free(l);
    ng_writer_free(&init);
    ng_writer_free(&empty);
    ng_writer_free(&reject);
}

int main(void)
{
    REQUIRE(ng_test_realm_start(&realm) == 0);
    REQUIRE(ng_acquire_acceptor(NULL, "Negotiate", NULL, 0, &cred) == SEC_E_OK);
    RUN(test_inner_length_beyond_parent);
    RUN(test_der_length_overflow_inside);
    RUN(test_indefinite_lengths);
    RUN(test_nesting_depth_bomb);
    RUN(test_oversized_token);
    RUN(test_unknown_mechs_only);
    RUN(test_duplicate_mech_oids);
    RUN(test_too_many_mechs);
    RUN(test_optimistic_token_for_unselected_mech);
    RUN(test_mech_list_mic_valid_completes);
    RUN(test_mech_list_mic_mismatch_downgrade);
    RUN(test_mech_list_mic_corrupted);
    RUN(test_mech_list_mic_dropped);
    RUN(test_mech_list_mic_bogus_in_first_leg);
    RUN(test_second_leg_init_instead_of_resp);
    RUN(test_second_leg_empty_or_reject);
    FreeCredentialsHandle(&cred);
    ng_test_realm_stop(&realm);
    return check_report();
}
