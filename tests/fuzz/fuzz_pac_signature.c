/* MS-PAC's PACTYPE, buffers, signatures and client info as the first use of a ticket checks them
 * (core/kerberos/pac_signature.c), under a fixed AES-256 service key for the client
 * alice@EXAMPLE.TEST, and the logon info buffer found in the same bytes (pac_logon_info.c). The PAC
 * comes inside a ticket only a holder of the service key makes, but its offsets and lengths are
 * read like network input. The seeds are PACs libkrb5 signed with this key (make_seeds), so the
 * fuzzer starts from PACs that are proven good and mutates them. */
#include <stdint.h>

#include "fuzz_check.h"
#include "pac_logon_info.h"
#include "pac_signature.h"

/* The key make_seeds signs the seed PACs with. */
static uint8_t key_bytes[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    krb5_keyblock key = {KV5M_KEYBLOCK, ENCTYPE_AES256_CTS_HMAC_SHA1_96, sizeof(key_bytes),
                         key_bytes};
    struct ng_principal_ref alice = {.realm = ng_slice_of("EXAMPLE.TEST", 12), .ncomponents = 1};
    alice.components[0] = ng_slice_of("alice", 5);
    (void)ng_pac_proven_good(ng_slice_of(data, size), &key, &alice, 1700000000);
    struct ng_slice info;
    if (ng_pac_buffer(ng_slice_of(data, size), NG_PAC_LOGON_INFO, &info))
        FUZZ_CHECK(fuzz_inside(info, data, size));
    return 0;
}
