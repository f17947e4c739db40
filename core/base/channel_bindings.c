#include "channel_bindings.h"

#include <negring/sspi.h>
#include <nettle/md5.h>
#include <string.h>

#include "reader.h"

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
    memset(hash, 0, NG_BINDINGS_HASH_LEN);
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
    md5_digest(&md5, NG_BINDINGS_HASH_LEN, hash);
    return NG_OK;
}

bool ng_bindings_hash_is_zero(const uint8_t hash[16])
{
    uint8_t acc = 0;
    for (size_t i = 0; i < NG_BINDINGS_HASH_LEN; i++)
        acc |= hash[i];
    return acc == 0;
}
