#include "gss_framing.h"

#include "der.h"

ng_status ng_gss_frame_parse(struct ng_slice token, struct ng_slice *mech_oid,
                             struct ng_slice *inner)
{
    struct ng_reader r = ng_reader_of(token);
    struct ng_reader frame = ng_der_read_expect(&r, NG_DER_APPLICATION(0));
    struct ng_slice oid = ng_der_read_oid(&frame);
    struct ng_slice rest = ng_read_rest(&frame);
    ng_der_finish(&r, &frame);
    if (!ng_reader_done(&r)) {
        *mech_oid = NG_SLICE_EMPTY;
        *inner = NG_SLICE_EMPTY;
        return NG_ERR_INVALID_TOKEN;
    }
    *mech_oid = oid;
    *inner = rest;
    return NG_OK;
}

size_t ng_gss_frame_size(size_t oid_len, size_t inner_len)
{
    return ng_der_tlv_size(ng_der_size_add(ng_der_tlv_size(oid_len), inner_len));
}

void ng_gss_frame_write_header(struct ng_writer *w, struct ng_slice mech_oid, size_t inner_len)
{
    size_t content = ng_der_size_add(ng_der_tlv_size(mech_oid.len), inner_len);
    ng_der_write_header(w, NG_DER_APPLICATION(0), content);
    ng_der_write_oid(w, mech_oid);
}

void ng_gss_frame_write(struct ng_writer *w, struct ng_slice mech_oid, const struct ng_slice *parts,
                        size_t nparts)
{
    size_t inner_len = 0;
    for (size_t i = 0; i < nparts; i++)
        inner_len = ng_der_size_add(inner_len, parts[i].len);
    ng_gss_frame_write_header(w, mech_oid, inner_len);
    for (size_t i = 0; i < nparts; i++)
        ng_write_slice(w, parts[i]);
}
