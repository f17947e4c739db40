#include "krb5_token.h"

#include "der.h"
#include "gss_framing.h"
#include "mech_oid.h"
#include "reader.h"

ng_status ng_krb5_unframe(struct ng_slice token, enum ng_krb5_tok_id expected,
                          struct ng_slice *message)
{
    struct ng_slice oid, inner;
    NG_GUARD(ng_gss_frame_parse(token, &oid, &inner));
    enum ng_mech mech = ng_mech_from_oid(oid);
    if (mech != NG_MECH_KRB5 && mech != NG_MECH_KRB5_MS)
        return NG_ERR_INVALID_TOKEN;
    struct ng_reader r = ng_reader_of(inner);
    if (ng_read_be16(&r) != expected)
        return NG_ERR_INVALID_TOKEN;
    *message = ng_read_rest(&r);
    return ng_reader_status(&r);
}

void ng_krb5_frame_header(struct ng_writer *out, enum ng_krb5_tok_id tok_id, size_t message_len)
{
    struct ng_slice oid = ng_mech_oid(NG_MECH_KRB5);
    size_t inner_len = ng_der_size_add(2, message_len);
    ng_writer_expect(out, ng_gss_frame_size(oid.len, inner_len));
    ng_gss_frame_write_header(out, oid, inner_len);
    ng_write_be16(out, (uint16_t)tok_id);
}

void ng_krb5_frame(struct ng_writer *out, enum ng_krb5_tok_id tok_id, struct ng_slice message)
{
    ng_krb5_frame_header(out, tok_id, message.len);
    ng_write_slice(out, message);
}
