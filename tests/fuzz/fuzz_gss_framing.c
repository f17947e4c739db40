/* RFC 2743 §3.1 InitialContextToken framing (core/base/gss_framing.c) and the RFC 4121 §4.1 krb5
 * token framing on top of it (core/kerberos/krb5_token.c). A frame that parses must be the one and
 * only DER encoding of its (OID, inner token): writing them back gives the input octets. */
#include <stdint.h>

#include "fuzz_check.h"
#include "gss_framing.h"
#include "krb5_token.h"
#include "mech_oid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ng_slice token = ng_slice_of(data, size), oid, inner;
    ng_status st = ng_gss_frame_parse(token, &oid, &inner);
    FUZZ_CHECK(st == NG_OK || st == NG_ERR_INVALID_TOKEN);
    if (st == NG_OK) {
        FUZZ_CHECK(fuzz_inside(oid, data, size) && fuzz_inside(inner, data, size));
        FUZZ_CHECK(ng_gss_frame_size(oid.len, inner.len) == size);
        struct ng_writer w = ng_writer_growable();
        ng_gss_frame_write(&w, oid, &inner, 1);
        FUZZ_CHECK(ng_slice_eq(ng_writer_slice(&w), token));
        ng_writer_free(&w);
    } else {
        FUZZ_CHECK(oid.len == 0 && inner.len == 0);
    }
    static const enum ng_krb5_tok_id ids[] = {NG_KRB5_TOK_AP_REQ, NG_KRB5_TOK_AP_REP,
                                              NG_KRB5_TOK_ERROR};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        struct ng_slice msg = NG_SLICE_EMPTY;
        st = ng_krb5_unframe(token, ids[i], &msg);
        FUZZ_CHECK(st == NG_OK || st == NG_ERR_INVALID_TOKEN);
        if (st != NG_OK)
            continue;
        FUZZ_CHECK(fuzz_inside(msg, data, size) && inner.len == msg.len + 2);
        struct ng_writer w = ng_writer_growable();
        ng_krb5_frame(&w, ids[i], msg);
        /* ng_krb5_frame writes the RFC 4121 OID; Microsoft's legacy one has the same length. */
        FUZZ_CHECK(w.error == NG_OK && w.len == size);
        FUZZ_CHECK(ng_mech_from_oid(oid) != NG_MECH_KRB5 ||
                   ng_slice_eq(ng_writer_slice(&w), token));
        ng_writer_free(&w);
    }
    return 0;
}
