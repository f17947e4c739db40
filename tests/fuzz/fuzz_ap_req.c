/* RFC 4120 §5.5.1 KRB_AP_REQ, parsed zero-copy before any decryption (core/kerberos/krb5_ap_req.c):
 * the first thing an unauthenticated client's bytes reach in the Kerberos path. Every slice must
 * lie in the input; the server name must have 1..N components. */
#include <stdint.h>

#include "fuzz_check.h"
#include "krb5_ap_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ng_krb5_ap_req req;
    memset(&req, 0, sizeof(req));
    ng_status st = ng_krb5_ap_req_parse(ng_slice_of(data, size), &req);
    FUZZ_CHECK(st == NG_OK || st == NG_ERR_INVALID_TOKEN);
    /* The acceptor's two steps (the ticket's inside only on a ticket cache miss) answer as the
     * whole parse does, and the ticket slice of the first lies in the input. */
    struct ng_krb5_ap_req outer;
    ng_status outer_st = ng_krb5_ap_req_parse_outer(ng_slice_of(data, size), &outer);
    FUZZ_CHECK(outer_st == NG_OK || outer_st == NG_ERR_INVALID_TOKEN);
    FUZZ_CHECK(outer_st != NG_OK || fuzz_inside(outer.ticket, data, size));
    FUZZ_CHECK((outer_st == NG_OK ? ng_krb5_ap_req_parse_ticket(&outer) : outer_st) == st);
    if (st != NG_OK)
        return 0;
    FUZZ_CHECK(fuzz_inside(req.server.realm, data, size));
    FUZZ_CHECK(req.server.ncomponents >= 1 &&
               req.server.ncomponents <=
                   sizeof(req.server.components) / sizeof(req.server.components[0]));
    for (size_t i = 0; i < req.server.ncomponents; i++)
        FUZZ_CHECK(fuzz_inside(req.server.components[i], data, size));
    FUZZ_CHECK(fuzz_inside(req.ticket_cipher, data, size));
    FUZZ_CHECK(fuzz_inside(req.authenticator_cipher, data, size) &&
               req.authenticator_cipher.len > 0);
    return 0;
}
