/* core/base/der.c: X.690 DER reading (strict lengths, tags, small integers, OIDs, flag bit strings)
 * and size-first writing. */
#include "check.h"
#include "der.h"

#define SLICE(arr) ng_slice_of((arr), sizeof(arr))

/* Reads one TLV from exactly `len` heap bytes, so ASan sees any over-read. */
static bool read_one(const uint8_t *bytes, size_t len, struct ng_der_tlv *tlv, bool *done)
{
    uint8_t *copy = malloc(len ? len : 1);
    REQUIRE(copy != NULL);
    if (len > 0)
        memcpy(copy, bytes, len);
    struct ng_reader r = ng_reader_of(ng_slice_of(copy, len));
    bool ok = ng_der_read_tlv(&r, tlv);
    CHECK_EQ(ok, !r.failed);
    if (done != NULL)
        *done = ng_reader_done(&r);
    free(copy);
    return ok;
}

static bool rejects(const uint8_t *bytes, size_t len)
{
    struct ng_der_tlv tlv;
    return !read_one(bytes, len, &tlv, NULL);
}

static void test_short_form_tlv_reads_value_and_whole(void)
{
    static const uint8_t in[] = {0x04, 0x03, 'a', 'b', 'c', 0x05, 0x00};
    struct ng_reader r = ng_reader_of(SLICE(in));
    struct ng_der_tlv tlv;
    CHECK(ng_der_read_tlv(&r, &tlv));
    CHECK_EQ(tlv.tag, 0x04);
    CHECK_EQ(tlv.value.len, 3);
    CHECK_MEM(tlv.value.ptr, "abc", 3);
    CHECK(tlv.whole.ptr == in);
    CHECK_EQ(tlv.whole.len, 5);
    CHECK(ng_der_read_tlv(&r, &tlv));
    CHECK_EQ(tlv.tag, 0x05);
    CHECK_EQ(tlv.value.len, 0);
    CHECK(ng_reader_done(&r));
}

static void test_long_form_lengths_are_accepted_when_minimal(void)
{
    uint8_t buf[4 + 70000] = {0};
    struct ng_der_tlv tlv;
    bool done;
    buf[0] = 0x04;
    buf[1] = 0x81;
    buf[2] = 0x80;
    CHECK(read_one(buf, 3 + 0x80, &tlv, &done) && done);
    CHECK_EQ(tlv.value.len, 0x80);
    buf[1] = 0x82;
    buf[2] = 0x01;
    buf[3] = 0x00;
    CHECK(read_one(buf, 4 + 0x100, &tlv, &done) && done);
    CHECK_EQ(tlv.value.len, 0x100);
    buf[1] = 0x83;
    buf[2] = 0x01;
    buf[3] = 0x00;
    buf[4] = 0x00;
    CHECK(read_one(buf, 5 + 0x10000, &tlv, &done) && done);
    CHECK_EQ(tlv.value.len, 0x10000);
}

static void test_rejects_non_minimal_lengths(void)
{
    static const uint8_t long_for_short[] = {0x04, 0x81, 0x05, 1, 2, 3, 4, 5};
    static const uint8_t leading_zero[] = {0x04, 0x82, 0x00, 0x05, 1, 2, 3, 4, 5};
    static const uint8_t zero_long[] = {0x04, 0x81, 0x00};
    uint8_t padded[4 + 0x80] = {0x04, 0x82, 0x00, 0x80};
    CHECK(rejects(long_for_short, sizeof(long_for_short)));
    CHECK(rejects(leading_zero, sizeof(leading_zero)));
    CHECK(rejects(zero_long, sizeof(zero_long)));
    CHECK(rejects(padded, sizeof(padded)));
}

static void test_rejects_indefinite_and_reserved_lengths(void)
{
    static const uint8_t indefinite[] = {0x30, 0x80, 0x04, 0x00, 0x00, 0x00};
    static const uint8_t reserved[] = {0x04, 0xff, 0x00};
    static const uint8_t five_octets[] = {0x04, 0x85, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00};
    CHECK(rejects(indefinite, sizeof(indefinite)));
    CHECK(rejects(reserved, sizeof(reserved)));
    CHECK(rejects(five_octets, sizeof(five_octets)));
}

static void test_rejects_lengths_past_the_input(void)
{
    static const uint8_t overflow[] = {0x04, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00};
    static const uint8_t one_short[] = {0x04, 0x03, 'a', 'b'};
    static const uint8_t cut_length[] = {0x04, 0x82, 0x01};
    static const uint8_t tag_only[] = {0x04};
    CHECK(rejects(overflow, sizeof(overflow)));
    CHECK(rejects(one_short, sizeof(one_short)));
    CHECK(rejects(cut_length, sizeof(cut_length)));
    CHECK(rejects(tag_only, sizeof(tag_only)));
    CHECK(rejects(NULL, 0));
}

static void test_rejects_high_tag_number_form_and_tag_zero(void)
{
    static const uint8_t high[] = {0x1f, 0x01, 0x00};
    static const uint8_t high_ctx[] = {0xbf, 0x21, 0x00};
    static const uint8_t eoc[] = {0x00, 0x00};
    CHECK(rejects(high, sizeof(high)));
    CHECK(rejects(high_ctx, sizeof(high_ctx)));
    CHECK(rejects(eoc, sizeof(eoc)));
}

static void test_failure_is_sticky(void)
{
    static const uint8_t in[] = {0x04, 0x80, 0x04, 0x00};
    struct ng_reader r = ng_reader_of(SLICE(in));
    struct ng_der_tlv tlv;
    CHECK(!ng_der_read_tlv(&r, &tlv));
    CHECK(!ng_der_read_tlv(&r, &tlv));
    CHECK_EQ(tlv.value.len, 0);
    CHECK(r.failed);
}

static void test_read_expect_checks_the_tag(void)
{
    static const uint8_t in[] = {0x30, 0x03, 0x02, 0x01, 0x05};
    struct ng_reader r = ng_reader_of(SLICE(in));
    struct ng_reader seq = ng_der_read_expect(&r, NG_DER_SEQUENCE);
    CHECK_EQ(ng_der_read_uint(&seq), 5);
    ng_der_finish(&r, &seq);
    CHECK(ng_reader_done(&r));

    r = ng_reader_of(SLICE(in));
    seq = ng_der_read_expect(&r, 0x31);
    CHECK(seq.failed);
    CHECK(r.failed);
}

/* What ng_der_read_expect must do, spelled with the general reader. */
static struct ng_reader expect_by_read_tlv(struct ng_reader *r, uint8_t tag)
{
    struct ng_der_tlv tlv;
    if (ng_der_read_tlv(r, &tlv) && tlv.tag != tag)
        ng_reader_fail(r);
    if (r->failed)
        return (struct ng_reader){NULL, 0, true};
    return ng_reader_of(tlv.value);
}

static bool same_reader(const struct ng_reader *a, const struct ng_reader *b)
{
    return a->failed == b->failed && (a->failed || (a->ptr == b->ptr && a->len == b->len));
}

/* The inline short-form fast path and the general path agree on every identifier and first
 * length octet, for inputs ending anywhere around them, for valid and invalid expected tags,
 * and on a reader a parser marked failed without emptying it. */
static void test_read_expect_fast_path_agrees_with_read_tlv(void)
{
    static const uint8_t tags[] = {NG_DER_SEQUENCE, NG_DER_CONTEXT(1), 0x04, 0x1f, 0x3f, 0x00};
    static const size_t lens[] = {0, 1, 2, 3, 4, 129, 131};
    uint8_t buf[131];
    size_t mismatches = 0;
    memset(buf, 0x01, sizeof buf);
    for (size_t t = 0; t < sizeof tags; t++)
        for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++)
            for (unsigned b0 = 0; b0 < 256; b0++)
                for (unsigned b1 = 0; b1 < 256; b1++) {
                    buf[0] = (uint8_t)b0;
                    buf[1] = (uint8_t)b1;
                    for (int failed = 0; failed < 2; failed++) {
                        struct ng_reader fast = {buf, lens[l], failed}, slow = fast;
                        struct ng_reader f = ng_der_read_expect(&fast, tags[t]);
                        struct ng_reader s = expect_by_read_tlv(&slow, tags[t]);
                        mismatches += !same_reader(&f, &s) || !same_reader(&fast, &slow);
                    }
                }
    CHECK_EQ(mismatches, 0);
}

/* The same for the long forms the fast path takes (0x81 and 0x82) and those next to them, on
 * every pair of length octets, for inputs that end before, at and after what they announce. */
static void test_read_expect_long_form_fast_path_agrees_with_read_tlv(void)
{
    static const uint8_t forms[] = {0x80, 0x81, 0x82, 0x83};
    static const size_t lens[] = {2, 3, 4, 0x83, 0x84, 0x104, 0x105, 0x10000};
    static uint8_t buf[0x10000];
    size_t mismatches = 0;
    memset(buf, 0x01, sizeof buf);
    buf[0] = NG_DER_SEQUENCE;
    for (size_t f = 0; f < sizeof forms; f++)
        for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++)
            for (unsigned b2 = 0; b2 < 256; b2++)
                for (unsigned b3 = 0; b3 < 256; b3++) {
                    buf[1] = forms[f];
                    buf[2] = (uint8_t)b2;
                    buf[3] = (uint8_t)b3;
                    struct ng_reader fast = {buf, lens[l], false}, slow = fast;
                    struct ng_reader a = ng_der_read_expect(&fast, NG_DER_SEQUENCE);
                    struct ng_reader b = expect_by_read_tlv(&slow, NG_DER_SEQUENCE);
                    mismatches += !same_reader(&a, &b) || !same_reader(&fast, &slow);
                }
    CHECK_EQ(mismatches, 0);
}

static void test_finish_rejects_trailing_bytes_in_a_constructed_value(void)
{
    static const uint8_t in[] = {0x30, 0x04, 0x02, 0x01, 0x05, 0x00};
    struct ng_reader r = ng_reader_of(SLICE(in));
    struct ng_reader seq = ng_der_read_expect(&r, NG_DER_SEQUENCE);
    CHECK_EQ(ng_der_read_uint(&seq), 5);
    CHECK(!seq.failed);
    ng_der_finish(&r, &seq);
    CHECK(r.failed);
}

static void test_read_optional_consumes_only_a_matching_tag(void)
{
    static const uint8_t in[] = {0xa1, 0x03, 0x02, 0x01, 0x07};
    struct ng_reader r = ng_reader_of(SLICE(in)), f;
    CHECK(!ng_der_read_optional(&r, NG_DER_CONTEXT(0), &f));
    CHECK(!r.failed);
    CHECK_EQ(r.len, sizeof(in));
    CHECK(ng_der_read_optional(&r, NG_DER_CONTEXT(1), &f));
    CHECK_EQ(ng_der_read_uint(&f), 7);
    CHECK(ng_reader_done(&f));
    CHECK(ng_reader_done(&r));
    CHECK(!ng_der_read_optional(&r, NG_DER_CONTEXT(2), &f));
    CHECK(!r.failed);
}

static void test_oid_validation(void)
{
    static const uint8_t krb5[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                   0xf7, 0x12, 0x01, 0x02, 0x02};
    static const uint8_t empty[] = {0x06, 0x00};
    static const uint8_t padded[] = {0x06, 0x03, 0x2a, 0x80, 0x01};
    static const uint8_t unfinished[] = {0x06, 0x02, 0x2a, 0x86};
    struct ng_reader r = ng_reader_of(SLICE(krb5));
    struct ng_slice oid = ng_der_read_oid(&r);
    CHECK(ng_reader_done(&r));
    CHECK_EQ(oid.len, 9);
    CHECK(oid.ptr == krb5 + 2);
    r = ng_reader_of(SLICE(empty));
    (void)ng_der_read_oid(&r);
    CHECK(r.failed);
    r = ng_reader_of(SLICE(padded));
    (void)ng_der_read_oid(&r);
    CHECK(r.failed);
    r = ng_reader_of(SLICE(unfinished));
    (void)ng_der_read_oid(&r);
    CHECK(r.failed);
}

static uint32_t uint_of(const uint8_t *bytes, size_t len, bool *ok)
{
    struct ng_reader r = ng_reader_of(ng_slice_of(bytes, len));
    uint32_t v = ng_der_read_uint(&r);
    *ok = ng_reader_done(&r);
    return v;
}

static void test_integer_accepts_minimal_non_negative_32_bit(void)
{
    static const uint8_t zero[] = {0x02, 0x01, 0x00};
    static const uint8_t v127[] = {0x02, 0x01, 0x7f};
    static const uint8_t v128[] = {0x02, 0x02, 0x00, 0x80};
    static const uint8_t max[] = {0x02, 0x05, 0x00, 0xff, 0xff, 0xff, 0xff};
    bool ok;
    CHECK_EQ(uint_of(zero, sizeof(zero), &ok), 0);
    CHECK(ok);
    CHECK_EQ(uint_of(v127, sizeof(v127), &ok), 127);
    CHECK(ok);
    CHECK_EQ(uint_of(v128, sizeof(v128), &ok), 128);
    CHECK(ok);
    CHECK_EQ(uint_of(max, sizeof(max), &ok), UINT32_MAX);
    CHECK(ok);
}

static void test_integer_rejects_negative_padded_empty_and_big(void)
{
    static const uint8_t negative[] = {0x02, 0x01, 0x80};
    static const uint8_t padded[] = {0x02, 0x02, 0x00, 0x7f};
    static const uint8_t empty[] = {0x02, 0x00};
    static const uint8_t big[] = {0x02, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00};
    static const uint8_t huge[] = {0x02, 0x06, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t wrong_tag[] = {0x0a, 0x01, 0x01};
    bool ok;
    (void)uint_of(negative, sizeof(negative), &ok);
    CHECK(!ok);
    (void)uint_of(padded, sizeof(padded), &ok);
    CHECK(!ok);
    (void)uint_of(empty, sizeof(empty), &ok);
    CHECK(!ok);
    (void)uint_of(big, sizeof(big), &ok);
    CHECK(!ok);
    (void)uint_of(huge, sizeof(huge), &ok);
    CHECK(!ok);
    (void)uint_of(wrong_tag, sizeof(wrong_tag), &ok);
    CHECK(!ok);
}

static void test_integer_and_enumerated_round_trip(void)
{
    static const uint32_t values[] = {0,      1,          0x7f,       0x80,      0xff,
                                      0x100,  0x7fff,     0x8000,     0x7fffff,  0x800000,
                                      0xffff, 0x7fffffff, 0x80000000, UINT32_MAX};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        uint8_t buf[16];
        struct ng_writer w = ng_writer_fixed(buf, sizeof(buf));
        ng_der_write_uint(&w, values[i]);
        ng_der_write_enumerated(&w, values[i]);
        CHECK_EQ(ng_writer_status(&w), NG_OK);
        CHECK_EQ(w.len, 2 * ng_der_tlv_size(ng_der_uint_content_size(values[i])));
        struct ng_reader r = ng_reader_of(ng_writer_slice(&w));
        CHECK_EQ(ng_der_read_uint(&r), values[i]);
        CHECK_EQ(ng_der_read_enumerated(&r), values[i]);
        CHECK(ng_reader_done(&r));
    }
}

static void test_integer_exact_encodings(void)
{
    static const uint8_t expect[] = {0x02, 0x01, 0x00, 0x02, 0x02, 0x00, 0x80, 0x0a, 0x01,
                                     0x03, 0x02, 0x05, 0x00, 0xff, 0xff, 0xff, 0xff};
    uint8_t buf[32];
    struct ng_writer w = ng_writer_fixed(buf, sizeof(buf));
    ng_der_write_uint(&w, 0);
    ng_der_write_uint(&w, 128);
    ng_der_write_enumerated(&w, 3);
    ng_der_write_uint(&w, UINT32_MAX);
    CHECK_EQ(w.len, sizeof(expect));
    CHECK_MEM(buf, expect, sizeof(expect));
}

static uint32_t flags_of(const uint8_t *bytes, size_t len, bool *ok)
{
    struct ng_reader r = ng_reader_of(ng_slice_of(bytes, len));
    uint32_t v = ng_der_read_bit_string_flags(&r);
    *ok = ng_reader_done(&r);
    return v;
}

static void test_bit_string_flags_use_asn1_bit_numbering(void)
{
    static const uint8_t deleg[] = {0x03, 0x02, 0x07, 0x80};
    static const uint8_t mutual_replay[] = {0x03, 0x02, 0x05, 0x60};
    static const uint8_t unused_set[] = {0x03, 0x02, 0x05, 0x61};
    static const uint8_t conf_integ[] = {0x03, 0x02, 0x01, 0x06};
    static const uint8_t empty[] = {0x03, 0x01, 0x00};
    static const uint8_t long_bits[] = {0x03, 0x06, 0x00, 0x01, 0x00, 0x00, 0x01, 0xff};
    bool ok;
    CHECK_EQ(flags_of(deleg, sizeof(deleg), &ok), 1u << 0);
    CHECK(ok);
    CHECK_EQ(flags_of(mutual_replay, sizeof(mutual_replay), &ok), (1u << 1) | (1u << 2));
    CHECK(ok);
    CHECK_EQ(flags_of(unused_set, sizeof(unused_set), &ok), (1u << 1) | (1u << 2));
    CHECK(ok);
    CHECK_EQ(flags_of(conf_integ, sizeof(conf_integ), &ok), (1u << 5) | (1u << 6));
    CHECK(ok);
    CHECK_EQ(flags_of(empty, sizeof(empty), &ok), 0);
    CHECK(ok);
    CHECK_EQ(flags_of(long_bits, sizeof(long_bits), &ok), (1u << 7) | (1u << 31));
    CHECK(ok);
}

static void test_bit_string_flags_reject_bad_unused_counts(void)
{
    static const uint8_t eight[] = {0x03, 0x02, 0x08, 0x00};
    static const uint8_t unused_no_bits[] = {0x03, 0x01, 0x01};
    static const uint8_t no_octets[] = {0x03, 0x00};
    bool ok;
    (void)flags_of(eight, sizeof(eight), &ok);
    CHECK(!ok);
    (void)flags_of(unused_no_bits, sizeof(unused_no_bits), &ok);
    CHECK(!ok);
    (void)flags_of(no_octets, sizeof(no_octets), &ok);
    CHECK(!ok);
}

static void test_bit_string_flags_write_minimal_and_round_trip(void)
{
    static const uint8_t expect[] = {0x03, 0x02, 0x05, 0x60, 0x03, 0x01, 0x00,
                                     0x03, 0x05, 0x00, 0x00, 0x00, 0x00, 0x01};
    uint8_t buf[32];
    struct ng_writer w = ng_writer_fixed(buf, sizeof(buf));
    ng_der_write_bit_string_flags(&w, 0x06);
    ng_der_write_bit_string_flags(&w, 0);
    ng_der_write_bit_string_flags(&w, 1u << 31);
    CHECK_EQ(w.len, sizeof(expect));
    CHECK_MEM(buf, expect, sizeof(expect));
    for (uint32_t f = 0; f < 0x200; f += 3) {
        uint32_t flags = f * 0x10001u;
        w = ng_writer_fixed(buf, sizeof(buf));
        ng_der_write_bit_string_flags(&w, flags);
        CHECK_EQ(w.len, ng_der_tlv_size(ng_der_bit_string_flags_content_size(flags)));
        bool ok;
        CHECK_EQ(flags_of(buf, w.len, &ok), flags);
        CHECK(ok);
    }
}

static void test_tlv_size_matches_header_bytes(void)
{
    static const size_t lens[] = {0, 1, 127, 128, 255, 256, 65535, 65536, 0xffffff, 0x1000000};
    static const size_t header[] = {2, 2, 2, 3, 3, 4, 4, 5, 5, 6};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        uint8_t buf[8];
        struct ng_writer w = ng_writer_fixed(buf, sizeof(buf));
        ng_der_write_header(&w, NG_DER_OCTET_STRING, lens[i]);
        CHECK_EQ(ng_writer_status(&w), NG_OK);
        CHECK_EQ(w.len, header[i]);
        CHECK_EQ(ng_der_tlv_size(lens[i]), header[i] + lens[i]);
        CHECK_EQ(ng_der_length_size(lens[i]), header[i] - 1);
    }
}

static void test_header_exact_bytes(void)
{
    static const uint8_t expect[] = {0x30, 0x7f, 0x04, 0x81, 0x80, 0xa0, 0x82,
                                     0x01, 0x00, 0x60, 0x83, 0x01, 0x00, 0x00};
    uint8_t buf[32];
    struct ng_writer w = ng_writer_fixed(buf, sizeof(buf));
    ng_der_write_header(&w, NG_DER_SEQUENCE, 127);
    ng_der_write_header(&w, NG_DER_OCTET_STRING, 128);
    ng_der_write_header(&w, NG_DER_CONTEXT(0), 256);
    ng_der_write_header(&w, NG_DER_APPLICATION(0), 65536);
    CHECK_EQ(w.len, sizeof(expect));
    CHECK_MEM(buf, expect, sizeof(expect));
}

static void test_write_read_round_trip_across_length_forms(void)
{
    static uint8_t content[70000];
    for (size_t i = 0; i < sizeof(content); i++)
        content[i] = (uint8_t)(i * 7);
    static const size_t lens[] = {0, 1, 127, 128, 200, 255, 256, 1000, 65535, 65536, 70000};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        struct ng_writer w = ng_writer_growable();
        ng_der_write_octet_string(&w, ng_slice_of(content, lens[i]));
        ng_der_write_general_string(&w, ng_slice_of(content, lens[i]));
        REQUIRE(ng_writer_status(&w) == NG_OK);
        CHECK_EQ(w.len, 2 * ng_der_tlv_size(lens[i]));
        struct ng_reader r = ng_reader_of(ng_writer_slice(&w));
        struct ng_slice a = ng_der_read_octet_string(&r);
        struct ng_slice b = ng_der_read_general_string(&r);
        CHECK(ng_reader_done(&r));
        CHECK(ng_slice_eq(a, ng_slice_of(content, lens[i])));
        CHECK(ng_slice_eq(b, ng_slice_of(content, lens[i])));
        ng_writer_free(&w);
    }
}

static void test_fixed_writer_reports_needed_size(void)
{
    static const uint8_t body[200] = {1};
    uint8_t small[10];
    struct ng_writer w = ng_writer_fixed(small, sizeof(small));
    ng_der_write_tlv(&w, NG_DER_OCTET_STRING, SLICE(body));
    CHECK_EQ(ng_writer_status(&w), NG_ERR_BUFFER_TOO_SMALL);
    CHECK_EQ(w.len, ng_der_tlv_size(sizeof(body)));
    uint8_t *exact = malloc(w.len);
    REQUIRE(exact != NULL);
    struct ng_writer w2 = ng_writer_fixed(exact, w.len);
    ng_der_write_tlv(&w2, NG_DER_OCTET_STRING, SLICE(body));
    CHECK_EQ(ng_writer_status(&w2), NG_OK);
    CHECK_EQ(w2.len, 203);
    CHECK_MEM(exact, "\x04\x81\xc8\x01", 4);
    free(exact);
    /* The short form too: a header with one octet of room still counts both. */
    struct ng_writer w3 = ng_writer_fixed(small, 1);
    ng_der_write_tlv(&w3, NG_DER_OCTET_STRING, ng_slice_of(body, 5));
    CHECK_EQ(ng_writer_status(&w3), NG_ERR_BUFFER_TOO_SMALL);
    CHECK_EQ(w3.len, 7);
}

static void test_header_refuses_lengths_past_four_octets(void)
{
    if (SIZE_MAX <= UINT32_MAX)
        return;
    uint8_t buf[8];
    struct ng_writer w = ng_writer_fixed(buf, sizeof(buf));
    ng_der_write_header(&w, NG_DER_OCTET_STRING, (size_t)UINT32_MAX + 1);
    CHECK_EQ(ng_writer_status(&w), NG_ERR_INVALID_PARAM);
    CHECK_EQ(ng_der_tlv_size(SIZE_MAX - 2), SIZE_MAX);
}

int main(void)
{
    RUN(test_short_form_tlv_reads_value_and_whole);
    RUN(test_long_form_lengths_are_accepted_when_minimal);
    RUN(test_rejects_non_minimal_lengths);
    RUN(test_rejects_indefinite_and_reserved_lengths);
    RUN(test_rejects_lengths_past_the_input);
    RUN(test_rejects_high_tag_number_form_and_tag_zero);
    RUN(test_failure_is_sticky);
    RUN(test_read_expect_checks_the_tag);
    RUN(test_read_expect_fast_path_agrees_with_read_tlv);
    RUN(test_read_expect_long_form_fast_path_agrees_with_read_tlv);
    RUN(test_finish_rejects_trailing_bytes_in_a_constructed_value);
    RUN(test_read_optional_consumes_only_a_matching_tag);
    RUN(test_oid_validation);
    RUN(test_integer_accepts_minimal_non_negative_32_bit);
    RUN(test_integer_rejects_negative_padded_empty_and_big);
    RUN(test_integer_and_enumerated_round_trip);
    RUN(test_integer_exact_encodings);
    RUN(test_bit_string_flags_use_asn1_bit_numbering);
    RUN(test_bit_string_flags_reject_bad_unused_counts);
    RUN(test_bit_string_flags_write_minimal_and_round_trip);
    RUN(test_tlv_size_matches_header_bytes);
    RUN(test_header_exact_bytes);
    RUN(test_write_read_round_trip_across_length_forms);
    RUN(test_fixed_writer_reports_needed_size);
    RUN(test_header_refuses_lengths_past_four_octets);
    return check_report();
}
