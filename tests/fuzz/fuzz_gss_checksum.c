/* RFC 4121 §4.1.1 the 0x8003 authenticator checksum, and §4.1.1.2 the channel-binding hash over
 * a caller's SEC_CHANNEL_BINDINGS buffer (core/kerberos/krb5_gss_checksum.c). The checksum arrives
 * inside a decrypted authenticator (so from an authenticated but possibly hostile client); the
 * bindings buffer comes from the application. A checksum that parses re-encodes to its prefix. */
#include <stdint.h>

#include "fuzz_check.h"
#include "krb5_gss_checksum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ng_slice in = ng_slice_of(data, size);
    struct ng_gss_checksum ck;
    ng_status st = ng_gss_checksum_parse(in, &ck);
    FUZZ_CHECK(st == NG_OK || st == NG_ERR_INVALID_TOKEN);
    if (st == NG_OK) {
        FUZZ_CHECK(fuzz_inside(ck.delegation, data, size));
        FUZZ_CHECK(ck.delegation.len == 0 || (ck.flags & NG_GSS_C_DELEG_FLAG));
        struct ng_writer w = ng_writer_growable();
        ng_gss_checksum_write(&w, ck.bindings_hash, ck.flags, ck.delegation);
        /* A delegation flag without the option (nothing after the flags) writes an empty one. */
        size_t same = (ck.flags & NG_GSS_C_DELEG_FLAG) && size == 24 ? 24 : w.len;
        FUZZ_CHECK(w.error == NG_OK && same <= size && memcmp(w.buf, data, same) == 0);
        ng_writer_free(&w);
    }
    uint8_t hash[16];
    st = ng_channel_bindings_hash(in, hash);
    FUZZ_CHECK(st == NG_OK || st == NG_ERR_INVALID_PARAM);
    FUZZ_CHECK(size != 0 || (st == NG_OK && ng_bindings_hash_is_zero(hash)));
    return 0;
}
