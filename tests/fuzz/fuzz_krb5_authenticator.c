/* RFC 4120 §5.5.1 the Authenticator, decoded from decrypted octets
 * (core/kerberos/krb5_authenticator.c). Any client with a ticket chooses these bytes (it knows the
 * session key), so they are hostile. Slices must lie in the input, counts within their bounds, and
 * the time fields consistent. */
#include <stdint.h>

#include "fuzz_check.h"
#include "krb5_authenticator.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ng_krb5_authenticator a;
    ng_status st = ng_krb5_authenticator_parse(ng_slice_of(data, size), &a);
    FUZZ_CHECK(st == NG_OK || st == NG_ERR_INVALID_TOKEN);
    if (st != NG_OK)
        return 0;
    FUZZ_CHECK(fuzz_inside(a.client.realm, data, size));
    FUZZ_CHECK(a.client.ncomponents <=
               sizeof(a.client.components) / sizeof(a.client.components[0]));
    for (size_t i = 0; i < a.client.ncomponents; i++)
        FUZZ_CHECK(fuzz_inside(a.client.components[i], data, size));
    FUZZ_CHECK(fuzz_inside(a.checksum, data, size) && (a.has_checksum || a.checksum.len == 0));
    FUZZ_CHECK(fuzz_inside(a.subkey, data, size) && (a.has_subkey || a.subkey.len == 0));
    FUZZ_CHECK(fuzz_inside(a.ctime_der, data, size) && a.ctime_der.len == 15);
    FUZZ_CHECK(a.cusec <= 999999);
    FUZZ_CHECK(a.netypes <= NG_AUTHENTICATOR_MAX_ETYPES);
    return 0;
}
