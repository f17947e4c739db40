#include "krb5_gss_checksum.h"

#include <nettle/md5.h>

#include "reader.h"

enum { BINDINGS_HASH_LEN = 16, DELEGATION_OPTION = 1 };

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

static void hash_le32(struct md5_ctx *md5, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    md5_update(md5, sizeof(b), b);
}

static bool hash_field(struct md5_ctx *md5, struct ng_slice whole, uint32_t offset, uint32_t len)
{
    bool ok = true;
    struct ng_slice data = ng_slice_at(whole, offset, len, &ok);
    if (!ok)
        return false;
    hash_le32(md5, len);
    if (len > 0)
        md5_update(md5, len, data.ptr);
    return true;
}

ng_status ng_channel_bindings_hash(struct ng_slice buf, uint8_t hash[16])
{
    memset(hash, 0, BINDINGS_HASH_LEN);
    if (buf.len == 0)
        return NG_OK;
    if (buf.len < sizeof(SEC_CHANNEL_BINDINGS))
        return NG_ERR_INVALID_PARAM;
    SEC_CHANNEL_BINDINGS cb;
    memcpy(&cb, buf.ptr, sizeof(cb));
    struct md5_ctx md5;
    md5_init(&md5);
    hash_le32(&md5, cb.dwInitiatorAddrType);
    bool ok = hash_field(&md5, buf, cb.dwInitiatorOffset, cb.cbInitiatorLength);
    hash_le32(&md5, cb.dwAcceptorAddrType);
    ok = ok && hash_field(&md5, buf, cb.dwAcceptorOffset, cb.cbAcceptorLength);
    ok = ok && hash_field(&md5, buf, cb.dwApplicationDataOffset, cb.cbApplicationDataLength);
    if (!ok)
        return NG_ERR_INVALID_PARAM;
    md5_digest(&md5, BINDINGS_HASH_LEN, hash);
    return NG_OK;
}

bool ng_bindings_hash_is_zero(const uint8_t hash[16])
{
    uint8_t acc = 0;
    for (size_t i = 0; i < BINDINGS_HASH_LEN; i++)
        acc |= hash[i];
    return acc == 0;
}
