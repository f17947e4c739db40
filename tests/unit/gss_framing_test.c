/* core/base/gss_framing.c: RFC 2743 §3.1 InitialContextToken framing. */
#include "check.h"
#include "der.h"
#include "gss_framing.h"
#include "mech_oid.h"

#define SLICE(arr) ng_slice_of((arr), sizeof(arr))

/* A krb5 AP-REQ as RFC 4121 §4.1 frames it: TOK_ID 01 00, then the (here fake) AP-REQ. */
static const uint8_t krb5_framed[] = {0x60, 0x10, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
                                      0x12, 0x01, 0x02, 0x02, 0x01, 0x00, 0x6e, 0x01, 0x00};

/* Parses a heap copy of exactly `len` bytes, so ASan sees any over-read. */
static ng_status parse_copy(const uint8_t *bytes, size_t len, struct ng_slice *oid,
                            struct ng_slice *inner)
{
    uint8_t *copy = malloc(len ? len : 1);
    REQUIRE(copy != NULL);
    if (len > 0)
        memcpy(copy, bytes, len);
    ng_status status = ng_gss_frame_parse(ng_slice_of(copy, len), oid, inner);
    free(copy);
    return status;
}

static void test_parse_known_krb5_frame(void)
{
    struct ng_slice oid, inner;
    CHECK_EQ(ng_gss_frame_parse(SLICE(krb5_framed), &oid, &inner), NG_OK);
    CHECK(ng_slice_eq(oid, ng_mech_oid(NG_MECH_KRB5)));
    CHECK(oid.ptr == krb5_framed + 4);
    CHECK_EQ(inner.len, 5);
    CHECK(inner.ptr == krb5_framed + 13);
    CHECK_MEM(inner.ptr, "\x01\x00\x6e\x01\x00", 5);
}

static void test_write_from_parts_produces_known_bytes(void)
{
    static const uint8_t tok_id[] = {0x01, 0x00};
    static const uint8_t ap_req[] = {0x6e, 0x01, 0x00};
    struct ng_slice parts[] = {SLICE(tok_id), SLICE(ap_req)};
    uint8_t buf[64];
    struct ng_writer w = ng_writer_fixed(buf, sizeof(buf));
    ng_gss_frame_write(&w, ng_mech_oid(NG_MECH_KRB5), parts, 2);
    CHECK_EQ(ng_writer_status(&w), NG_OK);
    CHECK_EQ(w.len, sizeof(krb5_framed));
    CHECK_EQ(ng_gss_frame_size(9, 5), sizeof(krb5_framed));
    CHECK_MEM(buf, krb5_framed, sizeof(krb5_framed));
}

static void test_round_trip_across_length_forms(void)
{
    static uint8_t body[70000];
    static const size_t lens[] = {0, 1, 100, 115, 116, 117, 200, 300, 65000, 65530, 70000};
    for (size_t i = 0; i < sizeof(body); i++)
        body[i] = (uint8_t)(i ^ (i >> 8));
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        struct ng_slice part = ng_slice_of(body, lens[i]);
        struct ng_writer w = ng_writer_growable();
        ng_gss_frame_write(&w, ng_mech_oid(NG_MECH_NTLM), &part, 1);
        REQUIRE(ng_writer_status(&w) == NG_OK);
        CHECK_EQ(w.len, ng_gss_frame_size(10, lens[i]));
        struct ng_slice oid, inner;
        CHECK_EQ(ng_gss_frame_parse(ng_writer_slice(&w), &oid, &inner), NG_OK);
        CHECK_EQ(ng_mech_from_oid(oid), NG_MECH_NTLM);
        CHECK(ng_slice_eq(inner, part));
        ng_writer_free(&w);
    }
}

static void test_every_truncation_is_invalid(void)
{
    struct ng_slice oid, inner;
    for (size_t len = 0; len < sizeof(krb5_framed); len++)
        CHECK_EQ(parse_copy(krb5_framed, len, &oid, &inner), NG_ERR_INVALID_TOKEN);
    CHECK_EQ(parse_copy(krb5_framed, sizeof(krb5_framed), &oid, &inner), NG_OK);
}

static void test_rejects_trailing_bytes_after_the_frame(void)
{
    uint8_t buf[sizeof(krb5_framed) + 1];
    memcpy(buf, krb5_framed, sizeof(krb5_framed));
    buf[sizeof(krb5_framed)] = 0x00;
    struct ng_slice oid, inner;
    CHECK_EQ(parse_copy(buf, sizeof(buf), &oid, &inner), NG_ERR_INVALID_TOKEN);
    CHECK_EQ(oid.len, 0);
    CHECK_EQ(inner.len, 0);
}

static void test_rejects_wrong_outer_tag_and_missing_oid(void)
{
    uint8_t buf[sizeof(krb5_framed)];
    struct ng_slice oid, inner;
    memcpy(buf, krb5_framed, sizeof(buf));
    buf[0] = 0x30;
    CHECK_EQ(parse_copy(buf, sizeof(buf), &oid, &inner), NG_ERR_INVALID_TOKEN);
    memcpy(buf, krb5_framed, sizeof(buf));
    buf[2] = 0x04; /* OCTET STRING where thisMech belongs */
    CHECK_EQ(parse_copy(buf, sizeof(buf), &oid, &inner), NG_ERR_INVALID_TOKEN);
    memcpy(buf, krb5_framed, sizeof(buf));
    buf[12] = 0x82; /* last OID octet continues: malformed OID */
    CHECK_EQ(parse_copy(buf, sizeof(buf), &oid, &inner), NG_ERR_INVALID_TOKEN);
    static const uint8_t empty_frame[] = {0x60, 0x00};
    CHECK_EQ(parse_copy(empty_frame, sizeof(empty_frame), &oid, &inner), NG_ERR_INVALID_TOKEN);
    CHECK_EQ(parse_copy(NULL, 0, &oid, &inner), NG_ERR_INVALID_TOKEN);
}

static void test_rejects_bad_outer_lengths(void)
{
    static const uint8_t overflow[] = {0x60, 0x84, 0xff, 0xff, 0xff, 0xff, 0x06, 0x01, 0x2a};
    static const uint8_t indefinite[] = {0x60, 0x80, 0x06, 0x01, 0x2a, 0x00, 0x00};
    static const uint8_t non_minimal[] = {0x60, 0x81, 0x03, 0x06, 0x01, 0x2a};
    struct ng_slice oid, inner;
    CHECK_EQ(parse_copy(overflow, sizeof(overflow), &oid, &inner), NG_ERR_INVALID_TOKEN);
    CHECK_EQ(parse_copy(indefinite, sizeof(indefinite), &oid, &inner), NG_ERR_INVALID_TOKEN);
    CHECK_EQ(parse_copy(non_minimal, sizeof(non_minimal), &oid, &inner), NG_ERR_INVALID_TOKEN);
}

static void test_fixed_writer_too_small_reports_size_and_exact_fits(void)
{
    static const uint8_t body[150] = {0x6e};
    struct ng_slice part = SLICE(body);
    uint8_t small[8];
    struct ng_writer w = ng_writer_fixed(small, sizeof(small));
    ng_gss_frame_write(&w, ng_mech_oid(NG_MECH_KRB5), &part, 1);
    CHECK_EQ(ng_writer_status(&w), NG_ERR_BUFFER_TOO_SMALL);
    CHECK_EQ(w.len, ng_gss_frame_size(9, sizeof(body)));
    size_t need = w.len;
    uint8_t *exact = malloc(need);
    REQUIRE(exact != NULL);
    w = ng_writer_fixed(exact, need);
    ng_gss_frame_write(&w, ng_mech_oid(NG_MECH_KRB5), &part, 1);
    CHECK_EQ(ng_writer_status(&w), NG_OK);
    CHECK_EQ(w.len, need);
    CHECK_MEM(exact, "\x60\x81\xa1\x06\x09", 5);
    free(exact);
}

int main(void)
{
    RUN(test_parse_known_krb5_frame);
    RUN(test_write_from_parts_produces_known_bytes);
    RUN(test_round_trip_across_length_forms);
    RUN(test_every_truncation_is_invalid);
    RUN(test_rejects_trailing_bytes_after_the_frame);
    RUN(test_rejects_wrong_outer_tag_and_missing_oid);
    RUN(test_rejects_bad_outer_lengths);
    RUN(test_fixed_writer_too_small_reports_size_and_exact_fits);
    return check_report();
}
