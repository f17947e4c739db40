#include "krb5_gss_checksum.h"

#include "reader.h"

enum { BINDINGS_HASH_LEN = NG_BINDINGS_HASH_LEN, DELEGATION_OPTION = 1 };

ng_status ng_gss_checksum_parse(struct ng_slice checksum, struct ng_gss_checksum *out)
{
    struct ng_reader r = ng_reader_of(checksum);
    if (ng_read_le32(&r) != BINDINGS_HASH_LEN)
        return NG_ERR_INVALID_TOKEN;
    struct ng_slice hash = ng_read_slice(&r, BINDINGS_HASH_LEN);
    out->flags = ng_read_le32(&r);
    out->delegation = NG_SLICE_EMPTY;
    if (r.failed)
        return NG_ERR_INVALID_TOKEN;
    memcpy(out->bindings_hash, hash.ptr, BINDINGS_HASH_LEN);
    if ((out->flags & NG_GSS_C_DELEG_FLAG) && r.len > 0) {
        if (ng_read_le16(&r) != DELEGATION_OPTION)
            return NG_ERR_INVALID_TOKEN;
        uint16_t len = ng_read_le16(&r);
        out->delegation = ng_read_slice(&r, len);
    }
    /* Anything after is RFC 4121 extensions, which we do not interpret. */
    return ng_reader_status(&r);
}

void ng_gss_checksum_write(struct ng_writer *w, const uint8_t bindings_hash[16], uint32_t flags,
                           struct ng_slice delegation)
{
    ng_write_le32(w, BINDINGS_HASH_LEN);
    ng_write_bytes(w, bindings_hash, BINDINGS_HASH_LEN);
    ng_write_le32(w, flags);
    if (flags & NG_GSS_C_DELEG_FLAG) {
        if (delegation.len > UINT16_MAX) {
            w->error = NG_ERR_INVALID_PARAM;
            return;
        }
        ng_write_le16(w, DELEGATION_OPTION);
        ng_write_le16(w, (uint16_t)delegation.len);
        ng_write_slice(w, delegation);
    }
}
