/* core/negotiate/spnego.c (RFC 4178 §4.2, MS-SPNG §2.2.1) and core/base/mech_oid.c. Known encodings
 * below are derived by hand from the ASN.1 in RFC 4178 §4.2; the NegTokenInit2 one is byte-for-byte
 * what a Windows/Samba SMB2 NEGOTIATE response carries for NTLM. */
#include "alloc.h"
#include "check.h"
#include "der.h"
#include "security_context.h"
#include "spnego.h"

#define SLICE(arr) ng_slice_of((arr), sizeof(arr))
#define KRB5_OID   0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02
#define NTLM_OID   0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a

/* NegTokenResp { negState accept-completed, supportedMech krb5 } */
static const uint8_t resp_completed_krb5[] = {0xa1, 0x14, 0x30, 0x12, 0xa0, 0x03, 0x0a,
                                              0x01, 0x00, 0xa1, 0x0b, 0x06, 0x09, KRB5_OID};

/* GSS-framed NegTokenInit { mechTypes {krb5, NTLM}, mechToken 01 02 } */
static const uint8_t init_krb5_ntlm[] = {0x60, 0x2d, 0x06, 0x06, 0x2b,     0x06, 0x01, 0x05,
                                         0x05, 0x02, 0xa0, 0x23, 0x30,     0x21, 0xa0, 0x19,
                                         0x30, 0x17, 0x06, 0x09, KRB5_OID, 0x06, 0x0a, NTLM_OID,
                                         0xa2, 0x04, 0x04, 0x02, 0x01,     0x02};

/* GSS-framed NegTokenInit2 { mechTypes {NTLM}, negHints { hintName "not_defined..." } } */
static const uint8_t init2_ntlm_hints[] = {
    0x60, 0x48, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05,     0x05, 0x02, 0xa0, 0x3e, 0x30,
    0x3c, 0xa0, 0x0e, 0x30, 0x0c, 0x06, 0x0a, NTLM_OID, 0xa3, 0x2a, 0x30, 0x28, 0xa0,
    0x26, 0x1b, 0x24, 'n',  'o',  't',  '_',  'd',      'e',  'f',  'i',  'n',  'e',
    'd',  '_',  'i',  'n',  '_',  'R',  'F',  'C',      '4',  '1',  '7',  '8',  '@',
    'p',  'l',  'e',  'a',  's',  'e',  '_',  'i',      'g',  'n',  'o',  'r',  'e'};

/* RFC 4178 NegTokenInit { mechTypes {krb5}, reqFlags {conf, integ}, mechListMIC [3] "MIC" } */
static const uint8_t init_flags_mic[] = {0x60, 0x28, 0x06,     0x06, 0x2b, 0x06, 0x01, 0x05, 0x05,
                                         0x02, 0xa0, 0x1e,     0x30, 0x1c, 0xa0, 0x0d, 0x30, 0x0b,
                                         0x06, 0x09, KRB5_OID, 0xa1, 0x04, 0x03, 0x02, 0x01, 0x06,
                                         0xa3, 0x05, 0x04,     0x03, 'M',  'I',  'C'};

/* MS-SPNG NegTokenInit2 { mechTypes {krb5}, negHints { hintAddress "A" }, mechListMIC [4] "M" } */
static const uint8_t init2_hints_mic4[] = {0x60, 0x29, 0x06,     0x06, 0x2b, 0x06, 0x01, 0x05, 0x05,
                                           0x02, 0xa0, 0x1f,     0x30, 0x1d, 0xa0, 0x0d, 0x30, 0x0b,
                                           0x06, 0x09, KRB5_OID, 0xa3, 0x07, 0x30, 0x05, 0xa1, 0x03,
                                           0x04, 0x01, 'A',      0xa4, 0x03, 0x04, 0x01, 'M'};

/* Parses a heap copy of exactly `len` bytes, so ASan sees any over-read. */
static ng_status parse_copy(const uint8_t *bytes, size_t len, struct ng_spnego_token *out)
{
    uint8_t *copy = malloc(len ? len : 1);
    REQUIRE(copy != NULL);
    if (len > 0)
        memcpy(copy, bytes, len);
    ng_status status = ng_spnego_parse(ng_slice_of(copy, len), out);
    free(copy);
    return status;
}

static ng_status parse_array(const uint8_t *bytes, size_t len)
{
    struct ng_spnego_token tok;
    return parse_copy(bytes, len, &tok);
}

static void test_mech_oid_table(void)
{
    static const uint8_t krb5[] = {KRB5_OID};
    static const uint8_t krb5_ms[] = {0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02};
    static const uint8_t negoex[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x1e};
    static const uint8_t spnego[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
    CHECK_EQ(ng_mech_from_oid(SLICE(krb5)), NG_MECH_KRB5);
    CHECK_EQ(ng_mech_from_oid(SLICE(krb5_ms)), NG_MECH_KRB5_MS);
    CHECK_EQ(ng_mech_from_oid(SLICE(negoex)), NG_MECH_NEGOEX);
    CHECK_EQ(ng_mech_from_oid(ng_mech_oid(NG_MECH_NTLM)), NG_MECH_NTLM);
    CHECK_EQ(ng_mech_from_oid(SLICE(spnego)), NG_MECH_UNKNOWN);
    CHECK_EQ(ng_mech_from_oid(NG_SLICE_EMPTY), NG_MECH_UNKNOWN);
    CHECK(ng_slice_eq(ng_spnego_oid(), SLICE(spnego)));
    CHECK_EQ(ng_mech_oid(NG_MECH_NONE).len, 0);
    CHECK_EQ(ng_mech_oid(NG_MECH_UNKNOWN).len, 0);
}

static void test_resp_accept_completed_krb5_exact_bytes(void)
{
    uint8_t buf[64];
    struct ng_writer w = ng_writer_fixed(buf, sizeof(buf));
    CHECK_EQ(ng_spnego_write_resp(&w, NG_NEG_STATE_ACCEPT_COMPLETED, NG_MECH_KRB5, NG_SLICE_EMPTY,
                                  NG_SLICE_EMPTY),
             NG_OK);
    CHECK_EQ(w.len, sizeof(resp_completed_krb5));
    CHECK_MEM(buf, resp_completed_krb5, sizeof(resp_completed_krb5));

    struct ng_spnego_token tok;
    CHECK_EQ(ng_spnego_parse(SLICE(resp_completed_krb5), &tok), NG_OK);
    CHECK_EQ(tok.kind, NG_SPNEGO_RESP);
    CHECK_EQ(tok.resp.neg_state, NG_NEG_STATE_ACCEPT_COMPLETED);
    CHECK_EQ(tok.resp.supported_mech, NG_MECH_KRB5);
    CHECK(tok.resp.supported_mech_oid.ptr == resp_completed_krb5 + 13);
    CHECK(!tok.resp.has_response_token);
    CHECK(!tok.resp.has_mech_list_mic);
}

static void test_init_exact_bytes_and_parse(void)
{
    static const enum ng_mech mechs[] = {NG_MECH_KRB5, NG_MECH_NTLM};
    static const uint8_t token[] = {0x01, 0x02};
    uint8_t buf[128];
    struct ng_writer w = ng_writer_fixed(buf, sizeof(buf));
    CHECK_EQ(ng_spnego_write_init(&w, mechs, 2, SLICE(token), NG_SLICE_EMPTY), NG_OK);
    CHECK_EQ(w.len, sizeof(init_krb5_ntlm));
    CHECK_MEM(buf, init_krb5_ntlm, sizeof(init_krb5_ntlm));

    struct ng_spnego_token tok;
    CHECK_EQ(ng_spnego_parse(SLICE(init_krb5_ntlm), &tok), NG_OK);
    CHECK_EQ(tok.kind, NG_SPNEGO_INIT);
    CHECK_EQ(tok.init.nmechs, 2);
    CHECK_EQ(tok.init.mechs[0], NG_MECH_KRB5);
    CHECK_EQ(tok.init.mechs[1], NG_MECH_NTLM);
    CHECK(tok.init.mech_list.ptr == init_krb5_ntlm + 16);
    CHECK_EQ(tok.init.mech_list.len, 25);
    CHECK(tok.init.has_mech_token);
    CHECK(ng_slice_eq(tok.init.mech_token, SLICE(token)));
    CHECK(!tok.init.has_req_flags);
    CHECK(!tok.init.has_neg_hints);
    CHECK(!tok.init.has_mech_list_mic);

    uint8_t list[64];
    w = ng_writer_fixed(list, sizeof(list));
    CHECK_EQ(ng_spnego_write_mech_list(&w, mechs, 2), NG_OK);
    CHECK(ng_slice_eq(ng_writer_slice(&w), tok.init.mech_list));
}

static void test_init2_hints_exact_bytes_and_parse(void)
{
    static const enum ng_mech mechs[] = {NG_MECH_NTLM};
    uint8_t buf[128];
    struct ng_writer w = ng_writer_fixed(buf, sizeof(buf));
    CHECK_EQ(ng_spnego_write_init2_hints(&w, mechs, 1), NG_OK);
    CHECK_EQ(w.len, sizeof(init2_ntlm_hints));
    CHECK_MEM(buf, init2_ntlm_hints, sizeof(init2_ntlm_hints));

    struct ng_spnego_token tok;
    CHECK_EQ(ng_spnego_parse(SLICE(init2_ntlm_hints), &tok), NG_OK);
    CHECK_EQ(tok.kind, NG_SPNEGO_INIT);
    CHECK_EQ(tok.init.nmechs, 1);
    CHECK_EQ(tok.init.mechs[0], NG_MECH_NTLM);
    CHECK(tok.init.has_neg_hints);
    CHECK(tok.init.has_hint_name);
    CHECK(ng_slice_eq(tok.init.hint_name, ng_slice_of(NG_SPNEGO_HINT_NAME, 36)));
    CHECK(!tok.init.has_hint_address);
    CHECK(!tok.init.has_mech_token);
    CHECK(!tok.init.has_mech_list_mic);
}

static void test_init_rfc_form_mic_in_field_3_and_req_flags(void)
{
    struct ng_spnego_token tok;
    CHECK_EQ(ng_spnego_parse(SLICE(init_flags_mic), &tok), NG_OK);
    CHECK_EQ(tok.init.nmechs, 1);
    CHECK(tok.init.has_req_flags);
    CHECK_EQ(tok.init.req_flags, NG_SPNEGO_FLAG_CONF | NG_SPNEGO_FLAG_INTEG);
    CHECK(!tok.init.has_neg_hints);
    CHECK(tok.init.has_mech_list_mic);
    CHECK(ng_slice_eq(tok.init.mech_list_mic, ng_slice_of("MIC", 3)));
}

static void test_init2_form_hints_in_3_and_mic_in_4(void)
{
    struct ng_spnego_token tok;
    CHECK_EQ(ng_spnego_parse(SLICE(init2_hints_mic4), &tok), NG_OK);
    CHECK(tok.init.has_neg_hints);
    CHECK(!tok.init.has_hint_name);
    CHECK(tok.init.has_hint_address);
    CHECK(ng_slice_eq(tok.init.hint_address, ng_slice_of("A", 1)));
    CHECK(tok.init.has_mech_list_mic);
    CHECK(ng_slice_eq(tok.init.mech_list_mic, ng_slice_of("M", 1)));
}

static void test_init_round_trip_with_mic(void)
{
    static const enum ng_mech mechs[] = {NG_MECH_KRB5_MS, NG_MECH_KRB5, NG_MECH_NEGOEX,
                                         NG_MECH_NTLM};
    static uint8_t token[300], mic[16];
    memset(token, 0x5a, sizeof(token));
    memset(mic, 0xc3, sizeof(mic));
    struct ng_writer w = ng_writer_growable();
    CHECK_EQ(ng_spnego_write_init(&w, mechs, 4, SLICE(token), SLICE(mic)), NG_OK);
    struct ng_spnego_token tok;
    CHECK_EQ(ng_spnego_parse(ng_writer_slice(&w), &tok), NG_OK);
    CHECK_EQ(tok.init.nmechs, 4);
    for (size_t i = 0; i < 4; i++)
        CHECK_EQ(tok.init.mechs[i], mechs[i]);
    CHECK(ng_slice_eq(tok.init.mech_token, SLICE(token)));
    CHECK(tok.init.has_mech_list_mic);
    CHECK(ng_slice_eq(tok.init.mech_list_mic, SLICE(mic)));
    ng_writer_free(&w);
}

static void check_resp_round_trip(enum ng_neg_state state, enum ng_mech mech, struct ng_slice token,
                                  struct ng_slice mic)
{
    struct ng_writer w = ng_writer_growable();
    CHECK_EQ(ng_spnego_write_resp(&w, state, mech, token, mic), NG_OK);
    struct ng_spnego_token tok;
    CHECK_EQ(ng_spnego_parse(ng_writer_slice(&w), &tok), NG_OK);
    CHECK_EQ(tok.kind, NG_SPNEGO_RESP);
    CHECK_EQ(tok.resp.neg_state, state);
    CHECK_EQ(tok.resp.supported_mech, mech);
    CHECK_EQ(tok.resp.has_response_token, token.len > 0);
    CHECK(ng_slice_eq(tok.resp.response_token, token));
    CHECK_EQ(tok.resp.has_mech_list_mic, mic.len > 0);
    CHECK(ng_slice_eq(tok.resp.mech_list_mic, mic));
    ng_writer_free(&w);
}

static void test_resp_round_trips_every_field_combination(void)
{
    static uint8_t token[1000], mic[28];
    memset(token, 0x11, sizeof(token));
    memset(mic, 0x22, sizeof(mic));
    static const enum ng_mech mechs[] = {NG_MECH_NONE, NG_MECH_KRB5, NG_MECH_NTLM};
    static const size_t token_lens[] = {0, 1, 100, 1000};
    for (int state = NG_NEG_STATE_ABSENT; state <= NG_NEG_STATE_REQUEST_MIC; state++) {
        for (size_t m = 0; m < 3; m++) {
            for (size_t t = 0; t < 4; t++) {
                check_resp_round_trip((enum ng_neg_state)state, mechs[m],
                                      ng_slice_of(token, token_lens[t]), NG_SLICE_EMPTY);
                check_resp_round_trip((enum ng_neg_state)state, mechs[m],
                                      ng_slice_of(token, token_lens[t]), SLICE(mic));
            }
        }
    }
}

static void test_empty_resp_is_valid(void)
{
    static const uint8_t empty[] = {0xa1, 0x02, 0x30, 0x00};
    uint8_t buf[8];
    struct ng_writer w = ng_writer_fixed(buf, sizeof(buf));
    CHECK_EQ(
        ng_spnego_write_resp(&w, NG_NEG_STATE_ABSENT, NG_MECH_NONE, NG_SLICE_EMPTY, NG_SLICE_EMPTY),
        NG_OK);
    CHECK_EQ(w.len, sizeof(empty));
    CHECK_MEM(buf, empty, sizeof(empty));
    struct ng_spnego_token tok;
    CHECK_EQ(ng_spnego_parse(SLICE(empty), &tok), NG_OK);
    CHECK_EQ(tok.resp.neg_state, NG_NEG_STATE_ABSENT);
    CHECK_EQ(tok.resp.supported_mech, NG_MECH_NONE);
}

static void check_all_truncations_invalid(const uint8_t *bytes, size_t len)
{
    for (size_t cut = 0; cut < len; cut++) {
        struct ng_spnego_token tok;
        CHECK_EQ(parse_copy(bytes, cut, &tok), NG_ERR_INVALID_TOKEN);
        CHECK_EQ(tok.kind, NG_SPNEGO_NONE);
    }
    CHECK_EQ(parse_array(bytes, len), NG_OK);
}

static void test_every_truncation_is_invalid(void)
{
    check_all_truncations_invalid(resp_completed_krb5, sizeof(resp_completed_krb5));
    check_all_truncations_invalid(init_krb5_ntlm, sizeof(init_krb5_ntlm));
    check_all_truncations_invalid(init2_ntlm_hints, sizeof(init2_ntlm_hints));
    check_all_truncations_invalid(init_flags_mic, sizeof(init_flags_mic));
    check_all_truncations_invalid(init2_hints_mic4, sizeof(init2_hints_mic4));
}

static void test_rejects_trailing_garbage(void)
{
    uint8_t buf[128];
    memcpy(buf, resp_completed_krb5, sizeof(resp_completed_krb5));
    buf[sizeof(resp_completed_krb5)] = 0;
    CHECK_EQ(parse_array(buf, sizeof(resp_completed_krb5) + 1), NG_ERR_INVALID_TOKEN);
    memcpy(buf, init_krb5_ntlm, sizeof(init_krb5_ntlm));
    buf[sizeof(init_krb5_ntlm)] = 0;
    CHECK_EQ(parse_array(buf, sizeof(init_krb5_ntlm) + 1), NG_ERR_INVALID_TOKEN);
    /* Inside the [1] wrapper, after the SEQUENCE. */
    static const uint8_t after_seq[] = {0xa1, 0x04, 0x30, 0x00, 0x05, 0x00};
    CHECK_EQ(parse_array(after_seq, sizeof(after_seq)), NG_ERR_INVALID_TOKEN);
    /* Inside negState [0], after the ENUMERATED. */
    static const uint8_t in_field[] = {0xa1, 0x09, 0x30, 0x07, 0xa0, 0x05,
                                       0x0a, 0x01, 0x00, 0x05, 0x00};
    CHECK_EQ(parse_array(in_field, sizeof(in_field)), NG_ERR_INVALID_TOKEN);
    /* An unknown [4] field in a NegTokenResp. */
    static const uint8_t unknown[] = {0xa1, 0x06, 0x30, 0x04, 0xa4, 0x02, 0x05, 0x00};
    CHECK_EQ(parse_array(unknown, sizeof(unknown)), NG_ERR_INVALID_TOKEN);
}

static void test_rejects_duplicate_and_out_of_order_fields(void)
{
    static const uint8_t dup_state[] = {0xa1, 0x0c, 0x30, 0x0a, 0xa0, 0x03, 0x0a,
                                        0x01, 0x00, 0xa0, 0x03, 0x0a, 0x01, 0x01};
    static const uint8_t out_of_order[] = {0xa1, 0x0c, 0x30, 0x0a, 0xa2, 0x03, 0x04,
                                           0x01, 0x00, 0xa0, 0x03, 0x0a, 0x01, 0x01};
    static const uint8_t ok_order[] = {0xa1, 0x0c, 0x30, 0x0a, 0xa0, 0x03, 0x0a,
                                       0x01, 0x01, 0xa2, 0x03, 0x04, 0x01, 0x00};
    CHECK_EQ(parse_array(dup_state, sizeof(dup_state)), NG_ERR_INVALID_TOKEN);
    CHECK_EQ(parse_array(out_of_order, sizeof(out_of_order)), NG_ERR_INVALID_TOKEN);
    CHECK_EQ(parse_array(ok_order, sizeof(ok_order)), NG_OK);
    /* RFC 4178 mechListMIC in [3] followed by another in [4]. */
    uint8_t buf[64];
    memcpy(buf, init_flags_mic, sizeof(init_flags_mic));
    memcpy(buf + sizeof(init_flags_mic), "\xa4\x03\x04\x01M", 5);
    buf[1] += 5;
    buf[11] += 5;
    buf[13] += 5;
    CHECK_EQ(parse_array(buf, sizeof(init_flags_mic) + 5), NG_ERR_INVALID_TOKEN);
    /* reqFlags [1] after mechToken [2] in a NegTokenInit. */
    static const uint8_t init_swapped[] = {0x60, 0x1e, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05,
                                           0x05, 0x02, 0xa0, 0x14, 0x30, 0x12, 0xa0, 0x06,
                                           0x30, 0x04, 0x06, 0x02, 0x2a, 0x03, 0xa2, 0x03,
                                           0x04, 0x01, 0x00, 0xa1, 0x03, 0x03, 0x01, 0x00};
    CHECK_EQ(parse_array(init_swapped, sizeof(init_swapped)), NG_ERR_INVALID_TOKEN);
}

static void test_rejects_wrong_tags(void)
{
    uint8_t buf[sizeof(resp_completed_krb5)];
    memcpy(buf, resp_completed_krb5, sizeof(buf));
    buf[2] = 0x31; /* SET instead of SEQUENCE */
    CHECK_EQ(parse_array(buf, sizeof(buf)), NG_ERR_INVALID_TOKEN);
    memcpy(buf, resp_completed_krb5, sizeof(buf));
    buf[6] = 0x02; /* negState as INTEGER instead of ENUMERATED */
    CHECK_EQ(parse_array(buf, sizeof(buf)), NG_ERR_INVALID_TOKEN);
    memcpy(buf, resp_completed_krb5, sizeof(buf));
    buf[11] = 0x04; /* supportedMech as OCTET STRING */
    CHECK_EQ(parse_array(buf, sizeof(buf)), NG_ERR_INVALID_TOKEN);
    memcpy(buf, resp_completed_krb5, sizeof(buf));
    buf[8] = 0x04; /* negState out of range */
    CHECK_EQ(parse_array(buf, sizeof(buf)), NG_ERR_INVALID_TOKEN);
    memcpy(buf, resp_completed_krb5, sizeof(buf));
    buf[0] = 0xa0; /* [0] without GSS framing */
    CHECK_EQ(parse_array(buf, sizeof(buf)), NG_ERR_INVALID_TOKEN);
}

static void test_rejects_wrong_framing(void)
{
    uint8_t buf[sizeof(init_krb5_ntlm)];
    memcpy(buf, init_krb5_ntlm, sizeof(buf));
    buf[9] = 0x03; /* thisMech 1.3.6.1.5.5.3, not SPNEGO */
    CHECK_EQ(parse_array(buf, sizeof(buf)), NG_ERR_INVALID_TOKEN);
    memcpy(buf, init_krb5_ntlm, sizeof(buf));
    buf[10] = 0xa1; /* NegTokenResp inside an initial token */
    CHECK_EQ(parse_array(buf, sizeof(buf)), NG_ERR_INVALID_TOKEN);
    /* A raw krb5 token framed with the krb5 OID is not SPNEGO. */
    static const uint8_t raw_krb5[] = {0x60, 0x0d, 0x06, 0x09, KRB5_OID, 0x01, 0x00};
    CHECK_EQ(parse_array(raw_krb5, sizeof(raw_krb5)), NG_ERR_INVALID_TOKEN);
}

static void test_rejects_bad_field_3_contents(void)
{
    uint8_t buf[sizeof(init_flags_mic)];
    memcpy(buf, init_flags_mic, sizeof(buf));
    buf[sizeof(buf) - 5] = 0x02; /* [3] holds an INTEGER-tagged value */
    CHECK_EQ(parse_array(buf, sizeof(buf)), NG_ERR_INVALID_TOKEN);
}

static void test_rejects_bad_lengths(void)
{
    static const uint8_t overflow[] = {0xa1, 0x84, 0xff, 0xff, 0xff, 0xff, 0x30, 0x00};
    static const uint8_t indefinite[] = {0xa1, 0x80, 0x30, 0x00, 0x00, 0x00};
    static const uint8_t non_minimal[] = {0xa1, 0x81, 0x02, 0x30, 0x00};
    static const uint8_t inner_overflow[] = {0xa1, 0x06, 0x30, 0x84, 0xff, 0xff, 0xff, 0xff};
    CHECK_EQ(parse_array(overflow, sizeof(overflow)), NG_ERR_INVALID_TOKEN);
    CHECK_EQ(parse_array(indefinite, sizeof(indefinite)), NG_ERR_INVALID_TOKEN);
    CHECK_EQ(parse_array(non_minimal, sizeof(non_minimal)), NG_ERR_INVALID_TOKEN);
    CHECK_EQ(parse_array(inner_overflow, sizeof(inner_overflow)), NG_ERR_INVALID_TOKEN);
    CHECK_EQ(parse_array(NULL, 0), NG_ERR_INVALID_TOKEN);
}

/* A framed NegTokenInit whose MechTypeList holds `n` krb5 OIDs (or is empty). */
static struct ng_writer init_with_n_mechs(size_t n)
{
    size_t list = n * ng_der_tlv_size(9);
    size_t field0 = ng_der_tlv_size(list);
    size_t seq = ng_der_tlv_size(field0);
    size_t choice = ng_der_tlv_size(seq);
    struct ng_writer w = ng_writer_growable();
    ng_der_write_header(&w, 0x60, ng_der_tlv_size(6) + ng_der_tlv_size(choice));
    ng_der_write_oid(&w, ng_spnego_oid());
    ng_der_write_header(&w, NG_DER_CONTEXT(0), choice);
    ng_der_write_header(&w, NG_DER_SEQUENCE, seq);
    ng_der_write_header(&w, NG_DER_CONTEXT(0), field0);
    ng_der_write_header(&w, NG_DER_SEQUENCE, list);
    for (size_t i = 0; i < n; i++)
        ng_der_write_oid(&w, ng_mech_oid(NG_MECH_KRB5));
    REQUIRE(ng_writer_status(&w) == NG_OK);
    return w;
}

static void test_mech_list_limits(void)
{
    struct ng_spnego_token tok;
    struct ng_writer w = init_with_n_mechs(NG_SPNEGO_MAX_MECHS);
    CHECK_EQ(ng_spnego_parse(ng_writer_slice(&w), &tok), NG_OK);
    CHECK_EQ(tok.init.nmechs, NG_SPNEGO_MAX_MECHS);
    ng_writer_free(&w);
    w = init_with_n_mechs(NG_SPNEGO_MAX_MECHS + 1);
    CHECK_EQ(ng_spnego_parse(ng_writer_slice(&w), &tok), NG_ERR_INVALID_TOKEN);
    ng_writer_free(&w);
    w = init_with_n_mechs(0);
    CHECK_EQ(ng_spnego_parse(ng_writer_slice(&w), &tok), NG_ERR_INVALID_TOKEN);
    ng_writer_free(&w);
}

static void test_unknown_mech_oid_is_kept(void)
{
    static const uint8_t init[] = {0x60, 0x16, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05,
                                   0x05, 0x02, 0xa0, 0x0c, 0x30, 0x0a, 0xa0, 0x08,
                                   0x30, 0x06, 0x06, 0x04, 0x2b, 0x06, 0x01, 0x07};
    struct ng_spnego_token tok;
    CHECK_EQ(ng_spnego_parse(SLICE(init), &tok), NG_OK);
    CHECK_EQ(tok.init.nmechs, 1);
    CHECK_EQ(tok.init.mechs[0], NG_MECH_UNKNOWN);
    CHECK(tok.init.mech_oids[0].ptr == init + 20);
    CHECK_EQ(tok.init.mech_oids[0].len, 4);
}

static void test_missing_mech_types_is_invalid(void)
{
    static const uint8_t init[] = {0x60, 0x11, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02,
                                   0xa0, 0x07, 0x30, 0x05, 0xa2, 0x03, 0x04, 0x01, 0x00};
    CHECK_EQ(parse_array(init, sizeof(init)), NG_ERR_INVALID_TOKEN);
}

/* Each encoder into a too-small fixed buffer learns the exact size; that size then fits. */
static void test_fixed_writer_too_small_then_exact(void)
{
    static const enum ng_mech mechs[] = {NG_MECH_KRB5, NG_MECH_NTLM};
    static const uint8_t token[200] = {7};
    for (int which = 0; which < 4; which++) {
        uint8_t small[4];
        struct ng_writer w = ng_writer_fixed(small, sizeof(small));
        for (int pass = 0; pass < 2; pass++) {
            ng_status status = NG_OK;
            if (which == 0)
                status = ng_spnego_write_resp(&w, NG_NEG_STATE_ACCEPT_INCOMPLETE, NG_MECH_KRB5,
                                              SLICE(token), NG_SLICE_EMPTY);
            else if (which == 1)
                status = ng_spnego_write_init(&w, mechs, 2, SLICE(token), SLICE(token));
            else if (which == 2)
                status = ng_spnego_write_init2_hints(&w, mechs, 2);
            else
                status = ng_spnego_write_mech_list(&w, mechs, 2);
            if (pass == 1) {
                CHECK_EQ(status, NG_OK);
                break;
            }
            CHECK_EQ(status, NG_ERR_BUFFER_TOO_SMALL);
            CHECK(w.len > sizeof(small));
            uint8_t *exact = malloc(w.len);
            REQUIRE(exact != NULL);
            w = ng_writer_fixed(exact, w.len);
        }
        if (which != 3) {
            struct ng_spnego_token tok;
            CHECK_EQ(ng_spnego_parse(ng_writer_slice(&w), &tok), NG_OK);
        }
        free(w.buf);
    }
}

static void test_encoders_reject_bad_parameters(void)
{
    static const enum ng_mech unknown[] = {NG_MECH_KRB5, NG_MECH_UNKNOWN};
    static const enum ng_mech none[] = {NG_MECH_NONE};
    enum ng_mech many[NG_SPNEGO_MAX_MECHS + 1];
    for (size_t i = 0; i < NG_SPNEGO_MAX_MECHS + 1; i++)
        many[i] = NG_MECH_KRB5;
    uint8_t buf[512];
    struct ng_writer w = ng_writer_fixed(buf, sizeof(buf));
    CHECK_EQ(ng_spnego_write_init(&w, unknown, 2, NG_SLICE_EMPTY, NG_SLICE_EMPTY),
             NG_ERR_INVALID_PARAM);
    w = ng_writer_fixed(buf, sizeof(buf));
    CHECK_EQ(ng_spnego_write_mech_list(&w, none, 1), NG_ERR_INVALID_PARAM);
    w = ng_writer_fixed(buf, sizeof(buf));
    CHECK_EQ(ng_spnego_write_init2_hints(&w, many, 0), NG_ERR_INVALID_PARAM);
    w = ng_writer_fixed(buf, sizeof(buf));
    CHECK_EQ(ng_spnego_write_init2_hints(&w, many, NG_SPNEGO_MAX_MECHS + 1), NG_ERR_INVALID_PARAM);
    w = ng_writer_fixed(buf, sizeof(buf));
    CHECK_EQ(ng_spnego_write_init2_hints(&w, many, NG_SPNEGO_MAX_MECHS), NG_OK);
    w = ng_writer_fixed(buf, sizeof(buf));
    CHECK_EQ(ng_spnego_write_resp(&w, NG_NEG_STATE_REJECT, NG_MECH_UNKNOWN, NG_SLICE_EMPTY,
                                  NG_SLICE_EMPTY),
             NG_ERR_INVALID_PARAM);
    CHECK_EQ(w.len, 0);
}

/* Every single-byte corruption of valid tokens parses or fails cleanly (ASan watches). */
static void test_byte_corruptions_never_misbehave(void)
{
    static const struct {
        const uint8_t *bytes;
        size_t len;
    } seeds[] = {{resp_completed_krb5, sizeof(resp_completed_krb5)},
                 {init_krb5_ntlm, sizeof(init_krb5_ntlm)},
                 {init2_ntlm_hints, sizeof(init2_ntlm_hints)},
                 {init_flags_mic, sizeof(init_flags_mic)},
                 {init2_hints_mic4, sizeof(init2_hints_mic4)}};
    static const uint8_t xors[] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff};
    uint8_t buf[128];
    for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
        for (size_t i = 0; i < seeds[s].len; i++) {
            for (size_t x = 0; x < sizeof(xors); x++) {
                memcpy(buf, seeds[s].bytes, seeds[s].len);
                buf[i] ^= xors[x];
                ng_status st = parse_array(buf, seeds[s].len);
                CHECK(st == NG_OK || st == NG_ERR_INVALID_TOKEN);
            }
        }
    }
}

/* The MechTypeList a context keeps for the mechListMIC: in the context when it fits, on the
 * heap when longer, the bytes whole either way and replaced cleanly (ASan sees no leak). */
static void test_kept_mech_types_in_place_or_allocated(void)
{
    struct ng_spnego_state s = {0};
    uint8_t der[3 * NG_SPNEGO_MECH_TYPES_ROOM];
    for (size_t i = 0; i < sizeof(der); i++)
        der[i] = (uint8_t)(i * 7);
    const size_t lens[] = {14, NG_SPNEGO_MECH_TYPES_ROOM, NG_SPNEGO_MECH_TYPES_ROOM + 1,
                           sizeof(der), 36};
    for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
        REQUIRE(ng_spnego_keep_mech_types(&s, ng_slice_of(der, lens[k])) == NG_OK);
        struct ng_slice kept = ng_spnego_mech_types(&s);
        CHECK(kept.len == lens[k] && memcmp(kept.ptr, der, lens[k]) == 0);
        CHECK_EQ(s.mech_types == s.mech_types_room, lens[k] <= NG_SPNEGO_MECH_TYPES_ROOM);
    }
    REQUIRE(ng_spnego_keep_mech_types(&s, ng_slice_of(der, sizeof(der))) == NG_OK);
    ng_free(s.mech_types); /* what ng_context_free does with an allocated list */
}

int main(void)
{
    RUN(test_mech_oid_table);
    RUN(test_resp_accept_completed_krb5_exact_bytes);
    RUN(test_init_exact_bytes_and_parse);
    RUN(test_init2_hints_exact_bytes_and_parse);
    RUN(test_init_rfc_form_mic_in_field_3_and_req_flags);
    RUN(test_init2_form_hints_in_3_and_mic_in_4);
    RUN(test_init_round_trip_with_mic);
    RUN(test_resp_round_trips_every_field_combination);
    RUN(test_empty_resp_is_valid);
    RUN(test_every_truncation_is_invalid);
    RUN(test_rejects_trailing_garbage);
    RUN(test_rejects_duplicate_and_out_of_order_fields);
    RUN(test_rejects_wrong_tags);
    RUN(test_rejects_wrong_framing);
    RUN(test_rejects_bad_field_3_contents);
    RUN(test_rejects_bad_lengths);
    RUN(test_mech_list_limits);
    RUN(test_kept_mech_types_in_place_or_allocated);
    RUN(test_unknown_mech_oid_is_kept);
    RUN(test_missing_mech_types_is_invalid);
    RUN(test_fixed_writer_too_small_then_exact);
    RUN(test_encoders_reject_bad_parameters);
    RUN(test_byte_corruptions_never_misbehave);
    return check_report();
}
