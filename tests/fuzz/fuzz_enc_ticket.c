/* RFC 4120 §5.3 EncTicketPart, decoded from a decrypted ticket (core/kerberos/krb5_enc_ticket.c),
 * and AuthorizationData read on its own as the first-use path reads AD-IF-RELEVANT contents.
 * Only a holder of the service key makes these bytes, but a key the acceptor shares (an AD
 * account's, another service's alias) makes that anyone holding it: decoded as hostile.
 * Slices must lie in the input, counts within their bounds, times consistent. */
#include <stdint.h>

#include "fuzz_check.h"
#include "krb5_enc_ticket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ng_krb5_authdata_ref inner[4];
    size_t n = 99;
    ng_status st = ng_krb5_authdata_parse(ng_slice_of(data, size), inner, 4, &n);
    FUZZ_CHECK(st == NG_OK || st == NG_ERR_INVALID_TOKEN);
    FUZZ_CHECK(n <= 4);
    for (size_t i = 0; st == NG_OK && i < n; i++)
        FUZZ_CHECK(fuzz_inside(inner[i].data, data, size));

    struct ng_krb5_enc_ticket t;
    st = ng_krb5_enc_ticket_parse(ng_slice_of(data, size), &t);
    FUZZ_CHECK(st == NG_OK || st == NG_ERR_INVALID_TOKEN);
    if (st != NG_OK)
        return 0;
    FUZZ_CHECK(fuzz_inside(t.key, data, size));
    FUZZ_CHECK(fuzz_inside(t.client.realm, data, size));
    FUZZ_CHECK(t.client.ncomponents >= 1 &&
               t.client.ncomponents <=
                   sizeof(t.client.components) / sizeof(t.client.components[0]));
    for (size_t i = 0; i < t.client.ncomponents; i++)
        FUZZ_CHECK(fuzz_inside(t.client.components[i], data, size));
    FUZZ_CHECK(fuzz_inside(t.transited, data, size));
    FUZZ_CHECK(t.has_start_time || t.start_time == 0);
    FUZZ_CHECK(t.nauthdata <= NG_ENC_TICKET_MAX_AUTHDATA);
    for (size_t i = 0; i < t.nauthdata; i++)
        FUZZ_CHECK(fuzz_inside(t.authdata[i].data, data, size));
    return 0;
}
