/* The bounded DER reader (core/base/der.c) on arbitrary bytes: walks the input as a tree of TLVs
 * with an explicit stack (no recursion, so a nesting bomb costs memory only up to the fixed depth),
 * tries every typed reader on every primitive value, and checks that each TLV re-encodes to the
 * exact octets it was read from (DER has one encoding per value, X.690 §10). */
#include <stdint.h>

#include "der.h"
#include "fuzz_check.h"

enum { MAX_DEPTH = 64 };

static void typed_reads(const struct ng_der_tlv *tlv)
{
    struct ng_reader r = ng_reader_of(tlv->whole);
    switch (tlv->tag) {
    case NG_DER_OID: {
        struct ng_slice oid = ng_der_read_oid(&r);
        FUZZ_CHECK(r.failed == !ng_der_oid_valid(tlv->value));
        FUZZ_CHECK(r.failed || ng_slice_eq(oid, tlv->value));
        break;
    }
    case NG_DER_INTEGER:
    case NG_DER_ENUMERATED: {
        uint32_t v = tlv->tag == NG_DER_INTEGER ? ng_der_read_uint(&r) : ng_der_read_enumerated(&r);
        if (!r.failed) { /* a value read back must write to the same octets */
            uint8_t buf[16];
            struct ng_writer w = ng_writer_fixed(buf, sizeof(buf));
            if (tlv->tag == NG_DER_INTEGER)
                ng_der_write_uint(&w, v);
            else
                ng_der_write_enumerated(&w, v);
            FUZZ_CHECK(w.error == NG_OK && ng_slice_eq(ng_writer_slice(&w), tlv->whole));
        }
        break;
    }
    case NG_DER_BIT_STRING: {
        uint32_t flags = ng_der_read_bit_string_flags(&r);
        if (!r.failed) { /* flags written minimally read back to the same flags */
            uint8_t buf[16];
            struct ng_writer w = ng_writer_fixed(buf, sizeof(buf));
            ng_der_write_bit_string_flags(&w, flags);
            struct ng_reader back = ng_reader_of(ng_writer_slice(&w));
            FUZZ_CHECK(ng_der_read_bit_string_flags(&back) == flags && ng_reader_done(&back));
        }
        break;
    }
    case NG_DER_OCTET_STRING:
    case NG_DER_GENERAL_STRING: {
        struct ng_slice s = tlv->tag == NG_DER_OCTET_STRING ? ng_der_read_octet_string(&r)
                                                            : ng_der_read_general_string(&r);
        FUZZ_CHECK(!r.failed && ng_slice_eq(s, tlv->value));
        break;
    }
    default:
        break;
    }
}

static void check_reencodes(const struct ng_der_tlv *tlv)
{
    FUZZ_CHECK(ng_der_tlv_size(tlv->value.len) == tlv->whole.len);
    uint8_t header[8];
    struct ng_writer w = ng_writer_fixed(header, sizeof(header));
    ng_der_write_header(&w, tlv->tag, tlv->value.len);
    FUZZ_CHECK(w.error == NG_OK && w.len + tlv->value.len == tlv->whole.len);
    FUZZ_CHECK(memcmp(header, tlv->whole.ptr, w.len) == 0);
    FUZZ_CHECK(tlv->value.ptr == tlv->whole.ptr + w.len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ng_reader stack[MAX_DEPTH];
    size_t depth = 1;
    stack[0] = ng_reader_of(ng_slice_of(data, size));
    while (depth > 0) {
        struct ng_reader *top = &stack[depth - 1];
        if (top->failed || top->len == 0) {
            depth--;
            continue;
        }
        size_t before = top->len;
        struct ng_der_tlv tlv;
        if (!ng_der_read_tlv(top, &tlv)) {
            FUZZ_CHECK(top->failed && top->len == 0);
            continue;
        }
        FUZZ_CHECK(fuzz_inside(tlv.whole, data, size) && fuzz_inside(tlv.value, data, size));
        FUZZ_CHECK(before - top->len == tlv.whole.len);
        check_reencodes(&tlv);
        typed_reads(&tlv);
        if ((tlv.tag & 0x20) && depth < MAX_DEPTH) /* constructed: descend */
            stack[depth++] = ng_reader_of(tlv.value);
    }
    return 0;
}
